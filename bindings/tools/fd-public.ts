/**
 * `fd`: finite differences of black-box JavaScript functions, with error estimates, and their async forms.
 * @module
 */
export { derivative, partial, grad, directional, jacobian, divergence, curl, hessian, type FdOptions, type Estimate, type Callback, type BatchCallback, type VectorizedOptions } from "./fd.js";
export { derivativeAsync, partialAsync, gradAsync, directionalAsync, jacobianAsync, divergenceAsync, curlAsync, hessianAsync } from "./fd-async.js";
