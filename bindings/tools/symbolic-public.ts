/**
 * `gradients/symbolic`: derivatives as expressions, by the rules of differentiation (no WebAssembly).
 * @module
 */
export { derivative, gradientExpr, jacobianExpr, type Step, type DerivativeExprOptions } from "./derivative.js";
