// The module's exports: the only list of what TypeScript may call.
// Hot entry points take a single descriptor address (see `Sweep` in tape.ts).

export { alloc, free } from "./memory";
export { opArity, OP_COUNT } from "./tape";
export { foldConstant } from "./rules";
export { workSize } from "./rows";
export { valueSweep, forwardSweep, finiteDiffSweep } from "./sweeps";
export { reverseSweep } from "./reverse";
export { divergenceFromJacobians, curlFromJacobians, determinantsOfJacobians, spreadColored } from "./fields";
export { blockScratchBytes } from "./blocks";
export { gradientAxis, secondAxis } from "./grid";
export { fdPlan, fdCombine, fdHessianPlan, fdHessianCombine, stencilSize, stencilOffset } from "./fd";
export { seedGenerator, fillUniform, fillNormal } from "./random";
export { accumulateMoments, multiplyRows, affineSamples, scoreRows } from "./moments";
