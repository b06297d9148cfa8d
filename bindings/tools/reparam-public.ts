/**
 * `reparam`: Monte Carlo gradients of expectations by the reparameterization trick, and their async forms.
 * @module
 */
export {
  gaussian, score, expectationGrad,
  type GaussianParams, type SampleOptions, type GaussianEstimate, type ExpectationEstimate, type ExpectationOptions,
  type SigmaParams, type LogSigmaParams, type SigmaEstimate, type LogSigmaEstimate,
} from "./reparam.js";
export { gaussianAsync, scoreAsync, expectationGradAsync } from "./reparam-async.js";
