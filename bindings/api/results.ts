// Results as callers receive them: shaped by rank and batch, written into a
// caller's array or WasmBuffer, and the names of an input's entries.
import { Tensor, sizeOf } from "../base/tensor.js";
import { WasmBuffer } from "../runtime/buffer.js";
import { f64 } from "../runtime/loader.js";
import { checkOut, type Args, type InputDecl } from "./validate.js";
import type { Shaped } from "./func.js";

/** `out` checked to hold `perPoint` numbers per point of `args`, or a new array of that size. */
export function resultArray(args: Args, perPoint: number, out: unknown): Float64Array | WasmBuffer {
  const size = args.count * perPoint;
  return checkOut(out, size) ?? new Float64Array(size);
}

/** `out` checked to hold a result of `shape` per point, or a new array. */
export function resultFor(args: Args, shape: readonly number[], out: unknown): Float64Array | WasmBuffer {
  return resultArray(args, sizeOf(shape), out);
}

/**
 * One point: a number, Float64Array or Tensor by rank; a batch: a Tensor with
 * leading N. Results written into a WasmBuffer `out` are that buffer.
 */
export function shaped(args: Args, shape: readonly number[], out: Float64Array | WasmBuffer): Shaped {
  if (out instanceof WasmBuffer) return out as unknown as Shaped;
  if (args.batched) return new Tensor([args.count, ...shape], out);
  if (shape.length === 0) return out[0];
  return shape.length === 1 ? out : new Tensor(shape, out);
}

/** A Tensor over `data`, or the WasmBuffer the results were written into. */
export function tensor(shape: readonly number[], data: Float64Array | WasmBuffer): Tensor {
  return data instanceof WasmBuffer ? data as unknown as Tensor : new Tensor(shape, data);
}

/** The flat input vector of one point. */
export function flatten(args: Args): Float64Array {
  const flat = new Float64Array(args.segments.reduce((s, seg) => s + seg.size, 0));
  let at = 0;
  for (const seg of args.segments) {
    // (a WasmBuffer's segment is read in place: its entries are at its address, not in `data`)
    const cells = seg.address !== undefined ? f64().subarray(seg.address >> 3, (seg.address >> 3) + seg.size) : seg.data.subarray(0, seg.size);
    flat.set(cells, at);
    at += seg.size;
  }
  return flat;
}

/** Names of an input's scalar entries: `t` for a scalar, `x[0]`, `A[1][2]`, … */
export function entryNames(d: InputDecl): string[] {
  if (d.shape.length === 0) return [d.name];
  const names: string[] = [];
  const index = new Array<number>(d.shape.length).fill(0);
  for (let k = 0; k < d.size; k++) {
    names.push(d.name + index.map((i) => `[${i}]`).join(""));
    for (let a = d.shape.length - 1; a >= 0; a--) {
      if (++index[a] < d.shape[a]) break;
      index[a] = 0;
    }
  }
  return names;
}
