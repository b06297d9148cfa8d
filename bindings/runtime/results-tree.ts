// A method's result as it crosses threads: its arrays (the leaves) and a
// skeleton that says how to put them back together (Tensors, records, numbers).
// A Tensor sent as is would arrive as a plain object, and its array would be copied.
import { Tensor } from "../base/tensor.js";

/** Where a result's arrays go: a number as is, an array by leaf index, a Tensor by leaf and shape, a record by key. */
export type Skeleton = number | { leaf: number; shape?: number[] } | { record: [string, Skeleton][] };

/** The result's skeleton and its arrays, in leaf order. */
export function takeApart(result: unknown): { skeleton: Skeleton; leaves: Float64Array[] } {
  const leaves: Float64Array[] = [];
  const walk = (x: unknown): Skeleton => {
    if (typeof x === "number") return x;
    if (x instanceof Float64Array) return { leaf: leaves.push(x) - 1 };
    if (x instanceof Tensor) return { leaf: leaves.push(x.data) - 1, shape: [...x.shape] };
    return { record: Object.entries(x as Record<string, unknown>).map(([k, v]) => [k, walk(v)]) };
  };
  return { skeleton: walk(result), leaves };
}

/** The result a skeleton describes, over these arrays. */
export function putTogether(skeleton: Skeleton, leaves: readonly Float64Array[]): unknown {
  if (typeof skeleton === "number") return skeleton;
  if ("record" in skeleton) return Object.fromEntries(skeleton.record.map(([k, v]) => [k, putTogether(v, leaves)]));
  const data = leaves[skeleton.leaf];
  return skeleton.shape ? new Tensor(skeleton.shape, data) : data;
}

/** The skeleton of a whole batch of N points from one chunk's: every Tensor's leading axis becomes N. */
export function forBatch(skeleton: Skeleton, N: number): Skeleton {
  if (typeof skeleton === "number") return skeleton;
  if ("record" in skeleton) return { record: skeleton.record.map(([k, v]) => [k, forBatch(v, N)]) };
  return { leaf: skeleton.leaf, shape: skeleton.shape && [N, ...skeleton.shape.slice(1)] };
}

/** Each leaf's entries per point, from a chunk of `count` points. */
export function perPoint(leaves: readonly Float64Array[], count: number): number[] {
  return leaves.map((leaf) => leaf.length / count);
}

/** The ArrayBuffers of leaves that can be transferred (not shared memory). */
export function transferable(leaves: readonly ArrayBufferView[]): Transferable[] {
  const buffers = new Set<ArrayBuffer>();
  for (const leaf of leaves) if (leaf.buffer instanceof ArrayBuffer) buffers.add(leaf.buffer);
  return [...buffers];
}
