// Finite differences' async forms: a batch's points in chunks on the calling
// thread, with a turn of the event loop between chunks, so a page stays
// responsive while a slow callback is sampled. The callback is a JavaScript
// function and cannot be sent to a worker, so these forms take no pool.
import { InputError, ShapeError } from "../base/errors.js";
import { Tensor, type TensorLike } from "../base/tensor.js";
import { eachChunk, readAsyncOptions, type AsyncOptions } from "../api/async.js";
import { chunkRanges, yieldToEventLoop, type Range } from "../runtime/chunks.js";
import { forBatch, perPoint, putTogether, takeApart } from "../runtime/results-tree.js";
import * as fd from "./fd.js";
import type { BatchCallback, Callback, Estimate, FdOptions } from "./fd.js";
import { FIRST_POINT } from "./fd-plan.js";

type Point = ArrayLike<number> | TensorLike;

/** `fd.derivative`, asynchronously (see AsyncOptions; no pool). The same results, bit for bit. */
export function derivativeAsync(f: (x: number) => number, x: number | TensorLike, options: FdOptions & AsyncOptions = {}): Promise<Estimate<number | Tensor>> {
  return fdAsync("derivative", (p, _, o) => fd.derivative(f, p as number | TensorLike, o), x, undefined, options) as Promise<Estimate<number | Tensor>>;
}

/** `fd.partial`, asynchronously (see derivativeAsync). */
export function partialAsync(f: Callback | BatchCallback, x: Point, variable: number, options: FdOptions & AsyncOptions = {}): Promise<Estimate<number | Float64Array | Tensor>> {
  return fdAsync("partial", (p, _, o) => fd.partial(f, p as Point, variable, o), x, undefined, options) as Promise<Estimate<number | Float64Array | Tensor>>;
}

/** `fd.grad`, asynchronously (see derivativeAsync). */
export function gradAsync(f: Callback | BatchCallback, x: Point, options: FdOptions & AsyncOptions = {}): Promise<Estimate<Float64Array | Tensor>> {
  return fdAsync("grad", (p, _, o) => fd.grad(f, p as Point, o), x, undefined, options) as Promise<Estimate<Float64Array | Tensor>>;
}

/** `fd.directional`, asynchronously (see derivativeAsync); a batch of directions is cut with the points. */
export function directionalAsync(f: Callback | BatchCallback, x: Point, v: Point, options: FdOptions & AsyncOptions = {}): Promise<Estimate<number | Float64Array | Tensor>> {
  return fdAsync("directional", (p, w, o) => fd.directional(f, p as Point, w as Point, o), x, v, options) as Promise<Estimate<number | Float64Array | Tensor>>;
}

/** `fd.jacobian`, asynchronously (see derivativeAsync). */
export function jacobianAsync(f: Callback | BatchCallback, x: Point, options: FdOptions & AsyncOptions = {}): Promise<Estimate<Tensor>> {
  return fdAsync("jacobian", (p, _, o) => fd.jacobian(f, p as Point, o), x, undefined, options) as Promise<Estimate<Tensor>>;
}

/** `fd.divergence`, asynchronously (see derivativeAsync). */
export function divergenceAsync(f: Callback | BatchCallback, x: Point, options: FdOptions & AsyncOptions = {}): Promise<Estimate<number | Tensor>> {
  return fdAsync("divergence", (p, _, o) => fd.divergence(f, p as Point, o), x, undefined, options) as Promise<Estimate<number | Tensor>>;
}

/** `fd.curl`, asynchronously (see derivativeAsync). */
export function curlAsync(f: Callback | BatchCallback, x: Point, options: FdOptions & AsyncOptions = {}): Promise<Estimate<number | Float64Array | Tensor>> {
  return fdAsync("curl", (p, _, o) => fd.curl(f, p as Point, o), x, undefined, options) as Promise<Estimate<number | Float64Array | Tensor>>;
}

/** `fd.hessian`, asynchronously (see derivativeAsync). */
export function hessianAsync(f: Callback | BatchCallback, x: Point, options: FdOptions & AsyncOptions = {}): Promise<Estimate<Tensor>> {
  return fdAsync("hessian", (p, _, o) => fd.hessian(f, p as Point, o), x, undefined, options) as Promise<Estimate<Tensor>>;
}

/** A batch: a Tensor-like whose leading axis is N (a plain array or a number is one point). */
function batchOf(x: unknown): { N: number; width: number; shape: number[]; data: Float64Array } | undefined {
  if (typeof x !== "object" || x === null || ArrayBuffer.isView(x) || Array.isArray(x) || !Array.isArray((x as TensorLike).shape)) return undefined;
  const t = x as TensorLike, N = t.shape[0];
  if (!Number.isSafeInteger(N) || N < 1 || t.data?.length === undefined || t.data.length % N !== 0) return undefined; // the sync call says what is wrong
  // (copied: a WasmBuffer's data is a view of memory, which the chunks' calls may detach)
  return { N, width: t.data.length / N, shape: [...t.shape], data: Float64Array.from(t.data) };
}

async function fdAsync(name: string, call: (x: unknown, v: unknown, options: FdOptions) => Estimate<unknown>,
                       x: unknown, v: unknown, options: unknown): Promise<unknown> {
  const { async, rest } = readAsyncOptions(options);
  if (async.pool !== undefined) {
    throw new InputError(`fd.${name}Async calls your callback on this thread: a JavaScript function cannot be sent to a worker. ` +
      "Leave out pool (the chunks then yield to the event loop), or compile the function (compile, fn) and use its async methods with the pool");
  }
  async.signal?.throwIfAborted();
  await yieldToEventLoop();
  async.signal?.throwIfAborted();
  const points = batchOf(x);
  if (!points) {
    const one = call(x, v, rest as FdOptions);
    async.onProgress?.(1, 1);
    return one;
  }
  const directions = v === undefined ? undefined : batchOf(v);
  if (directions && directions.N !== points.N) throw new ShapeError(`a batch of ${directions.N} directions needs a batch of as many points, got ${points.N}`);
  const cut = (b: NonNullable<ReturnType<typeof batchOf>>, r: Range) =>
    new Tensor([r.end - r.start, ...b.shape.slice(1)], b.data.subarray(r.start * b.width, r.end * b.width));
  const N = points.N, ranges = chunkRanges(N, async.chunkSize ?? 16384);
  let skeleton: ReturnType<typeof takeApart>["skeleton"] | undefined, whole: Float64Array[] = [], sizes: number[] = [];
  await eachChunk(ranges, async, N, 0, async (r) => {
    const parts = takeApart(call(cut(points, r), directions ? cut(directions, r) : v, { ...rest, [FIRST_POINT]: r.start } as FdOptions));
    if (!skeleton) {
      skeleton = parts.skeleton;
      sizes = perPoint(parts.leaves, r.end - r.start);
      whole = sizes.map((size) => new Float64Array(N * size));
    }
    parts.leaves.forEach((leaf, i) => whole[i].set(leaf, r.start * sizes[i]));
  });
  return putTogether(forBatch(skeleton!, N), whole);
}
