// Reductions over the batch axis: `reduce: "sum" | "mean"` (and `weights`) on a
// batch method make it the method of R = Σ_p w_p·f(x_p) (or that over Σ_p w_p,
// N without weights): derivatives by inputs every point shares are summed in the
// core chunk by chunk (kernel.ts BatchSum), so memory does not grow with N;
// derivatives by batched inputs keep their leading axis, each point's scaled
// by its weight (∂R/∂x_p = w_p·∂f/∂x_p).
import { InputError, ShapeError, show } from "../base/errors.js";
import type { BatchSum } from "../runtime/kernel.js";
import { toF64, type Args } from "./validate.js";
import { WasmBuffer } from "../runtime/buffer.js";

/** The options a reducing method takes. */
export interface ReduceOptions {
  /** Sum (or average) the method's result over a batch's points. */
  reduce?: "sum" | "mean";
  /** One weight per point for `reduce`: Σ w_p·f(x_p) (divided by Σ w_p for "mean"). */
  weights?: Float64Array | Float32Array | readonly number[] | WasmBuffer;
}

/** Results of a reduced call are shaped as at one point. */
export const ONE_POINT: Args = { segments: [], count: 1, batched: false };

/** The reduction `options` ask for over the points of `args`, checked; undefined for none. */
export function readReduce(options: ReduceOptions, args: Args, what: string): BatchSum | undefined {
  const { reduce, weights } = options;
  if (reduce === undefined) {
    if (weights !== undefined) throw new InputError(`weights are for reduce: "sum" or "mean"; ${what} got weights without reduce`);
    return undefined;
  }
  if (reduce !== "sum" && reduce !== "mean") throw new InputError(`reduce must be "sum" or "mean", got ${show(reduce)}`);
  if (!args.batched) throw new InputError(`reduce sums over a batch (a Tensor with a leading axis N); ${what} got one point`);
  let w: Float64Array | null = null;
  if (weights !== undefined) {
    // (a WasmBuffer's are copied: the core's memory may grow, and the buffer may be the same call's out)
    const list = weights instanceof WasmBuffer ? weights.data.slice() : weights;
    const typed = ArrayBuffer.isView(list) && !(list instanceof DataView) && !(list instanceof BigInt64Array) && !(list instanceof BigUint64Array);
    if (!typed && !(Array.isArray(list) && (list as unknown[]).every((v) => typeof v === "number"))) {
      throw new InputError(`weights must be a typed array (Float64Array, Float32Array, …), a WasmBuffer or an array of numbers, got ${show(weights)}`);
    }
    if (list.length !== args.count) throw new ShapeError(`weights: expected one per point (${args.count}), got ${list.length}`);
    w = list instanceof Float64Array ? toF64(list, "weights") : Float64Array.from(list as ArrayLike<number>); // (a view of memory: copied)
    if (!w.every(Number.isFinite)) throw new InputError("weights must be finite numbers");
  }
  let divisor = 1;
  if (reduce === "mean") {
    divisor = args.count;
    if (w) {
      divisor = 0;
      for (let p = 0; p < w.length; p++) divisor += w[p];
      if (divisor === 0 && w.length > 0) throw new InputError(`reduce: "mean" divides by the weights' sum, which is 0`);
    }
  }
  return { weights: w, divisor };
}

/** Whether the derivative by input `d` (number `index` of the function's inputs) is summed: no point has its own. */
export function sharedInput(args: Args, index: number): boolean {
  return !args.segments[index].batched;
}

/**
 * A per-point result [N, size] of a reduced call (a derivative by a batched
 * input): each point's entries r become (w_p·r)/divisor, as the sum forms them.
 */
export function scalePoints(out: Float64Array | WasmBuffer, size: number, sum: BatchSum): void {
  if (!sum.weights && sum.divisor === 1) return;
  const data = out instanceof WasmBuffer ? out.data : out;
  for (let p = 0, k = 0; k < data.length; p++) {
    const w = sum.weights ? sum.weights[p] : 1;
    for (let j = 0; j < size; j++, k++) data[k] = (w * data[k]) / sum.divisor;
  }
}
