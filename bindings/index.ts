/**
 * gradients — exact derivatives for JavaScript and TypeScript, computed in WebAssembly.
 *
 * @packageDocumentation
 */
export { compile, type CompileOptions, type Expressions } from "./api/expression.js";
export {
  fn, Node, type Operand, type NestedNodes, type InputSpec, type Traced, type BodyResult,
  matmul, matvec, dot, outer, transpose, trace, sum, logsumexp, norm, amax, amin, argmax, argmin, prod, mean,
  det, inv, solve, reshape, slice, diag, stack, concat, eye,
} from "./api/builder.js";
// The elementwise functions, one per primitive of ops/spec.ts: add, sub, mul, div, pow, neg, sin, … max.
export * from "./front/functions.js";
export {
  Func, type Point, type PlainPoint, type InputValue, type PlainValue, type Shaped, type InputDecl,
  type DerivativeOptions, type JacobianOptions, type EvalOptions,
} from "./api/func.js";
export type { Linearization } from "./api/linearize.js";
export type { SparseJacobian } from "./api/sparse-jacobian.js";
export type { Float32Points, Float32Of } from "./api/float32.js";
export type { GradOf, GradOfInput, JacobianOf } from "./api/builder.js";
export type { ReduceOptions } from "./api/batch-sum.js";
export { deserialize } from "./api/serialize.js";
export { createPool, Pool, type PoolOptions } from "./api/pool.js";
export type { AsyncOptions } from "./api/async.js";
export { scan, type ScanOptions } from "./api/scan.js";
export { defineFunction, listFunctions, removeFunction, type FunctionRules, type UserFunction, type FunctionInfo } from "./api/user-functions.js";
export type { PreparedMethod } from "./api/prepare.js";
export { Tensor, type TensorLike, type NestedArray } from "./base/tensor.js";
export { GradientsError, ParseError, ShapeError, InputError, CallbackError, InternalError } from "./base/errors.js";
export type { Mode } from "./api/validate.js";
export * as grid from "./tools/grid-public.js";
export type { Field, FieldOf, GridOptions, GradientOptions } from "./tools/grid.js";
export { buffer, WasmBuffer } from "./runtime/buffer.js";
export { setCompiledTier, compiledTier, type TierPolicy } from "./runtime/compiled.js";
export * as fd from "./tools/fd-public.js";
export type { FdOptions, Estimate, Callback, BatchCallback, VectorizedOptions } from "./tools/fd.js";
export * as reparam from "./tools/reparam-public.js";
export type {
  GaussianParams, SampleOptions, GaussianEstimate, ExpectationEstimate, ExpectationOptions, SigmaParams, LogSigmaParams, SigmaEstimate, LogSigmaEstimate,
} from "./tools/reparam.js";
export {
  leastSquares, fit, findRoot, type Residual, type FindRootOptions, type FindRootResult, type LeastSquaresOptions, type LeastSquaresResult, type FitOptions, type FitResult, type FitReason,
} from "./tools/least-squares.js";
export { minimize, type MinimizeOptions, type MinimizeResult, type Objective, type StepInfo, type StopReason } from "./tools/minimize.js";
export { derivative, gradientExpr, jacobianExpr, type Step, type DerivativeExprOptions } from "./tools/derivative.js";
export { checkGrad, type CheckOptions, type Comparison, type GradientCheck } from "./tools/check.js";
