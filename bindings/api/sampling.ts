// The inner loop of Monte Carlo estimators (tools/reparam.ts): values and
// gradients of a scalar function at C points whose inputs already lie in
// WebAssembly memory, written in place. Not part of Func's public face: each
// Func registers how it does this for itself, and the tools call sampleAt.
import { InputError } from "../base/errors.js";
import type { Segment } from "../runtime/kernel.js";

/** values[c] and, if `grads`, the gradient with respect to input `wrt` (default: all) at grads[c·size + i]. */
export type Sampler = (segments: readonly Segment[], C: number, values: number, grads: number, wrt?: string) => void;

const samplers = new WeakMap<object, Sampler>();

/** Records how `f` samples itself (called by Func's constructor). */
export function registerSampler(f: object, sampler: Sampler): void {
  samplers.set(f, sampler);
}

/**
 * Values (and gradients, if `grads` is an address) of the compiled function `f`
 * at C points given as segments (batched ones already in WebAssembly memory).
 */
export function sampleAt(f: object, segments: readonly Segment[], C: number, values: number, grads = 0, wrt?: string): void {
  const sampler = samplers.get(f);
  if (!sampler) throw new InputError("sampleAt needs a function made by compile or fn");
  sampler(segments, C, values, grads, wrt);
}
