// The user's function, called: each result checked (a number, or m numbers
// the same every call), its exceptions wrapped in a CallbackError, and the
// common case's sampling loop kept small enough for the engine to inline it.
import { CallbackError, InputError } from "../base/errors.js";
import { Tensor, type TensorLike } from "../base/tensor.js";
import type { BatchCallback, Callback } from "./fd.js";
import { offsets } from "./fd-plan.js";

/** Calls the user's function and checks what comes back; the first call fixes the output size m. */
export class Caller {
  m = -1;
  /** Whether the function returns a number (not an array). */
  scalar = true;
  calls = 0;
  private result = new Float64Array(0);

  constructor(private readonly f: Callback | BatchCallback) {
    if (typeof f !== "function") throw new InputError("the first argument must be the function to differentiate");
  }

  /** f(x): its m values (a view reused by the next call). */
  one(x: Float64Array): Float64Array {
    return this.accept(this.invoke(x), 1, x);
  }

  /** f over P points at once (vectorized): P·m values, point-major. */
  many(points: Float64Array, P: number, n: number): Float64Array {
    const arg = new Tensor([P, n], points), r = this.invoke(arg);
    const data = r !== null && typeof r === "object" && "shape" in r && "data" in r ? (r as TensorLike).data : r;
    return this.accept(data, P, arg);
  }

  private invoke(arg: Float64Array | Tensor): unknown {
    const call = ++this.calls;
    try {
      return (this.f as (a: unknown) => unknown)(arg);
    } catch (error) {
      throw threw(error, call, arg);
    }
  }

  /** Checks one call's result (P points' worth, from argument `arg`) against what came before; its values. */
  accept(r: unknown, P = 1, arg?: Float64Array | Tensor): Float64Array {
    const call = `${this.calls}${arg ? argumentOf(arg) : ""}`;
    const isNumber = typeof r === "number";
    if (!isNumber && (r === null || typeof r !== "object" || typeof (r as ArrayLike<number>).length !== "number")) {
      throw new CallbackError(`the function returned ${r === null ? "null" : typeof r} at call ${call}; expected ${P === 1 ? "a number or an array of numbers" : `${P} values (or ${P}·m)`}`);
    }
    const a: ArrayLike<unknown> = isNumber ? [r] : (r as ArrayLike<unknown>);
    // (an object's `length` may be anything: 1e308, 2.5, −1)
    if (!(Number.isSafeInteger(a.length) && a.length >= 0 && a.length <= 2 ** 29)) {
      throw new CallbackError(`the function returned an object of length ${a.length} at call ${call}; expected ${P === 1 ? "a number or an array of numbers" : `${P} values (or ${P}·m)`}`);
    }
    if (a.length === 0 || a.length % P !== 0) throw new CallbackError(`the function returned ${a.length} values at call ${call} for ${P} point${P > 1 ? "s" : ""}`);
    const m = a.length / P, scalar = P === 1 ? isNumber : this.m === -1 ? m === 1 : this.scalar;
    if (this.m === -1) {
      this.m = m;
      this.scalar = scalar;
    } else if (m !== this.m || scalar !== this.scalar) {
      throw new CallbackError(`the function returned ${scalar ? "a number" : `${m} values`} at call ${call}, but ${this.scalar ? "a number" : `${this.m} values`} before`);
    }
    if (this.result.length !== a.length) this.result = new Float64Array(a.length);
    for (let k = 0; k < a.length; k++) {
      const v = a[k];
      if (typeof v !== "number") throw new CallbackError(`the function returned a non-number (${typeof v}) at entry ${k}, call ${call}`);
      this.result[k] = v;
    }
    return this.result;
  }
}

/** The error for a function that threw at call `call`, given `arg`. */
export function threw(error: unknown, call: number, arg: Float64Array | Tensor): CallbackError {
  return new CallbackError(`the function threw at call ${call}${argumentOf(arg)}: ${error instanceof Error ? error.message : String(error)}`, error);
}

/** An argument as errors show it (" (x = [1, 2])", " (a batch of 8 points)"): which call failed, whatever the calls' order. */
function argumentOf(arg: Float64Array | Tensor): string {
  if (arg instanceof Tensor) return ` (a batch of ${arg.shape[0]} points)`;
  const shown = Array.from(arg.subarray(0, 6), String).join(", ");
  return ` (x = [${shown}${arg.length > 6 ? ", …" : ""}])`;
}

/**
 * The error for a function that wrote entry `i` of its argument: the point is the
 * library's, reused for every sample, so a write would move later samples (checked
 * where it shows: the coordinate a call moved, and the whole point after its last call).
 */
export function wroteArgument(i: number, call: number): CallbackError {
  return new CallbackError(`the function wrote to its argument (entry ${i}, by call ${call}); the point is reused for every sample: ` +
    "treat it as read-only (copy it to change it)");
}

/** Throws wroteArgument unless `point` still holds the entries of `x` (after a point's last call). */
export function checkUnwritten(point: Float64Array, x: Float64Array, call: number): void {
  for (let i = 0; i < point.length; i++) if (!Object.is(point[i], x[i])) throw wroteArgument(i, call);
}

/**
 * The common case's hot loop (f returns a number; every line a coordinate axis
 * with a two-point stencil that skips the center; no Richardson levels): for
 * points [from, N), f at x ± along each axis into the samples. `point` (n
 * entries) holds each argument, and the failing one if f throws. Kept small and
 * free of bookkeeping so that the engine inlines the user's function here, as
 * into a hand-written loop.
 */
export function sampleAxesTwoPoint(f: (x: Float64Array) => unknown, caller: Caller, point: Float64Array, X: Float64Array, n: number, from: number, N: number,
                            axes: readonly number[], schemes: Int32Array, hs: Float64Array, values: Float64Array, S: number): void {
  const L = axes.length;
  for (let p = from; p < N; p++) {
    const x = X.subarray(p * n, (p + 1) * n);
    point.set(x);
    for (let l = 0; l < L; l++) {
      const k = p * L + l, i = axes[l], xi = point[i], offs = offsets(schemes[k]), h = hs[k];
      const a = xi + offs[0] * h, b = xi + offs[1] * h;
      point[i] = a;
      caller.calls++;
      const ya = f(point);
      if (typeof ya !== "number") caller.accept(ya, 1, point); // throws the CallbackError saying what came back
      if (!Object.is(point[i], a)) throw wroteArgument(i, caller.calls);
      point[i] = b;
      caller.calls++;
      const yb = f(point);
      if (typeof yb !== "number") caller.accept(yb, 1, point);
      if (!Object.is(point[i], b)) throw wroteArgument(i, caller.calls);
      point[i] = xi;
      values[k * S] = ya as number;
      values[k * S + 1] = yb as number;
    }
    checkUnwritten(point, x, caller.calls);
  }
}
