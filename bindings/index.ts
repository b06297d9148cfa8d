/**
 * gradients — exact derivatives for JavaScript and TypeScript, computed in WebAssembly.
 *
 * @packageDocumentation
 */
export { compile, type CompileOptions } from "./expression.js";
export {
  fn, Node, type Operand, type InputSpec,
  add, sub, mul, div, pow, neg, sin, cos, tan, asin, acos, atan, sinh, cosh, tanh, asinh, acosh, atanh,
  exp, expm1, log, log1p, log2, log10, sqrt, cbrt, abs, sign, atan2, hypot, min, max,
} from "./builder.js";
export { Func, type Point, type DerivativeOptions, type EvalOptions } from "./func.js";
export { Tensor, type TensorLike, type NestedArray } from "./tensor.js";
export { GradientsError, ParseError, ShapeError, InputError, CallbackError, InternalError } from "./errors.js";
export type { Mode } from "./validate.js";
