/**
 * gradients — exact derivatives for JavaScript and TypeScript, computed in WebAssembly.
 *
 * @packageDocumentation
 */
export { compile, type CompileOptions, type Expressions } from "./expression.js";
export {
  fn, Node, type Operand, type InputSpec, type Traced, type BodyResult,
  add, sub, mul, div, pow, neg, sin, cos, tan, asin, acos, atan, sinh, cosh, tanh, asinh, acosh, atanh,
  exp, expm1, log, log1p, log2, log10, sqrt, cbrt, abs, sign, atan2, hypot, min, max,
  matmul, matvec, dot, outer, transpose, trace, sum, norm, det, inv, solve, reshape, slice, diag, stack, concat, eye,
} from "./builder.js";
export {
  Func, type Point, type PlainPoint, type InputValue, type PlainValue, type Shaped, type InputDecl,
  type DerivativeOptions, type JacobianOptions, type EvalOptions,
} from "./func.js";
export { Tensor, type TensorLike, type NestedArray } from "./tensor.js";
export { GradientsError, ParseError, ShapeError, InputError, CallbackError, InternalError } from "./errors.js";
export type { Mode } from "./validate.js";
export * as grid from "./grid.js";
export type { Field, GridOptions, GradientOptions } from "./grid.js";
export { buffer, WasmBuffer } from "./buffer.js";
export * as fd from "./fd.js";
export type { FdOptions, Estimate, Callback, BatchCallback } from "./fd.js";
export * as reparam from "./reparam.js";
export type { GaussianParams, SampleOptions, GaussianEstimate, ExpectationEstimate, ExpectationOptions } from "./reparam.js";
export { minimize, type MinimizeOptions, type MinimizeResult, type Objective, type StepInfo, type StopReason } from "./minimize.js";
export { derivative, gradientExpr, jacobianExpr, type Step, type DerivativeExprOptions } from "./symbolic-expr.js";
