// Points in single precision (image and graphics data): a tensor-like whose data
// is a Float32Array is computed in float64 like any other, and its results come
// back in single precision (Tensor<Float32Array>, Float32Array), unless `out`
// says where they go.
import { Tensor, type TensorLike } from "../base/tensor.js";

/** Points in single precision: a batch [N, ...input] (or one point) whose data is a Float32Array. */
export interface Float32Points {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/** A result with its arrays in single precision: Tensor → Tensor<Float32Array>, Float64Array → Float32Array, records entry by entry. */
export type Float32Of<R> = R extends number ? number
  : R extends Tensor<Float64Array | Float32Array> ? Tensor<Float32Array>
  : R extends Float64Array ? Float32Array
  : R extends object ? { [K in keyof R]: Float32Of<R[K]> }
  : R;

/** Whether a call's points are single precision and its results should be (no `out` given). */
export function inSinglePrecision(x: unknown, options: { out?: unknown } | undefined): x is Float32Points {
  return (options?.out === undefined) && typeof x === "object" && x !== null && !ArrayBuffer.isView(x) &&
    Array.isArray((x as TensorLike).shape) && (x as TensorLike).data instanceof Float32Array;
}

/** The points in double precision (what the computation reads). */
export function inDoublePrecision(x: Float32Points): TensorLike {
  return { shape: x.shape, data: Float64Array.from(x.data) };
}

/** A result (a number, Float64Array, Tensor or a record of them) with its arrays converted to Float32Array. */
export function toSinglePrecision<R>(result: R): Float32Of<R> {
  const convert = (x: unknown): unknown => {
    if (typeof x === "number") return x;
    if (x instanceof Float64Array) return Float32Array.from(x);
    if (x instanceof Tensor) return new Tensor(x.shape, Float32Array.from(x.data));
    return Object.fromEntries(Object.entries(x as Record<string, unknown>).map(([k, v]) => [k, convert(v)]));
  };
  return convert(result) as Float32Of<R>;
}
