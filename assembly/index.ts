// The module's exports: the only list of what TypeScript may call.
// Hot entry points take a single descriptor address (see `Sweep` in tape.ts).

export { alloc, free } from "./core/memory";
export { opArity, OP_COUNT } from "./core/tape";
export { foldConstant, scalarRule, scalarRule1, hasPointRule, hasPartialOnly, ruleCell } from "./core/rules";
export {
  sinPoint0, sinPoint1, sinPoint2, cosPoint0, cosPoint1, cosPoint2, tanPoint0, tanPoint1, asinPoint0, asinPoint1,
  acosPoint0, acosPoint1, atanPoint0, atanPoint1, sinhPoint0, sinhPoint1, coshPoint0, coshPoint1, expPoint0,
  expPoint1, expm1Point0, expm1Point1, logPoint0, logPoint1, log1pPoint0, log1pPoint1, log2Point0, log2Point1,
  erfcPoint0, erfcPoint1, sigmoidPoint0, sigmoidPoint1,
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
