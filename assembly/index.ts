// The module's exports: the only list of what TypeScript may call.
// Hot entry points take a single descriptor address (see `Sweep` in tape.ts).

export { alloc, free } from "./core/memory";
export { opArity, OP_COUNT } from "./core/tape";
export { foldConstant, scalarRule, scalarRule1, hasPointRule, hasPartialOnly, ruleCell } from "./core/rules";
export {
  sinPoint, cosPoint, tanPoint, asinPoint, acosPoint, atanPoint, sinhPoint, coshPoint, expPoint, expm1Point,
  logPoint, log1pPoint, log2Point, erfcPoint, sigmoidPoint,
} from "./core/rules";
export { workSize } from "./core/rows";
export { valueSweep, forwardSweep, finiteDiffSweep } from "./sweeps/sweeps";
export { reverseSweep } from "./sweeps/reverse";
export { divergenceFromJacobians, curlFromJacobians, determinantsOfJacobians, spreadColored, diagonalFromColored } from "./sweeps/fields";
export { blockScratchBytes } from "./core/blocks";
export { gradientAxis, secondAxis } from "./extras/grid";
export { fdPlan, fdCombine, fdHessianPlan, fdHessianCombine, stencilSize, stencilOffset } from "./extras/fd";
export { seedGenerator, jumpGenerator, fillUniform, fillNormal } from "./extras/random";
export { accumulateMoments, addRows, multiplyRows, affineSamples, scoreRows } from "./extras/moments";
