import { InputError, ShapeError, show } from "./errors.js";

/** Anything with a shape and row-major data: a `Tensor` or a plain object of that form. */
export interface TensorLike {
  readonly shape: readonly number[];
  readonly data: ArrayLike<number>;
}

/** Nested arrays of numbers, e.g. number[][] for a matrix. */
export type NestedArray = number | readonly NestedArray[];

/** Most entries a tensor may hold (4 GB of numbers, as much as WebAssembly memory). */
const MAX_TENSOR_SIZE = 2 ** 29;

/**
 * An n-dimensional array of f64 (or f32: `Tensor<Float32Array>`, as results of
 * single-precision points come), row-major: the entry at (i0, i1, …, ik) is
 * data[((i0·s1 + i1)·s2 + …)·sk + ik] for shape [s0, s1, …, sk]. A scalar has shape [].
 */
export class Tensor<D extends Float64Array | Float32Array = Float64Array> implements TensorLike {
  readonly shape: readonly number[];
  readonly data: D;

  /** A tensor of the given shape over `data` (f64 zeros if omitted); `data` is used, not copied. */
  constructor(shape: readonly number[], data?: D) {
    if (!Array.isArray(shape) || !shape.every((s) => Number.isInteger(s) && s >= 0)) {
      throw new InputError(`a tensor shape must be an array of whole numbers ≥ 0, got ${show(shape)}`);
    }
    const size = sizeOf(shape);
    if (!(size <= MAX_TENSOR_SIZE)) throw new ShapeError(`tensor shape ${show(shape)} has ${size} entries; at most ${MAX_TENSOR_SIZE} are supported`);
    if (data !== undefined && !(data instanceof Float64Array) && !(data instanceof Float32Array)) {
      throw new InputError(`tensor data must be a Float64Array (or Float32Array), got ${show(data)}`);
    }
    if (data && data.length !== size) {
      throw new ShapeError(`tensor of shape [${shape.join(", ")}] needs ${size} entries, got ${data.length}`);
    }
    this.shape = shape.slice();
    this.data = data ?? (new Float64Array(size) as D);
  }

  /** A tensor from nested arrays (rectangular), e.g. `Tensor.from([[1, 2], [3, 4]])` has shape [2, 2]. */
  static from(nested: NestedArray): Tensor {
    const shape: number[] = [];
    for (let level: NestedArray = nested; Array.isArray(level); level = (level as NestedArray[])[0]) {
      shape.push((level as NestedArray[]).length);
      if ((level as NestedArray[]).length === 0) break;
    }
    const data = new Float64Array(sizeOf(shape));
    let k = 0;
    // Iterative walk: nesting depth is the user's.
    const stack: Array<{ node: NestedArray; depth: number }> = [{ node: nested, depth: 0 }];
    while (stack.length > 0) {
      const { node, depth } = stack.pop()!;
      if (depth === shape.length) {
        if (typeof node !== "number") throw new InputError(`nested array is not rectangular: expected a number at depth ${depth}`);
        data[k++] = node;
        continue;
      }
      if (!Array.isArray(node) || node.length !== shape[depth]) {
        throw new ShapeError(`nested array is not rectangular: expected ${shape[depth]} entries at depth ${depth}`);
      }
      for (let i = node.length - 1; i >= 0; i--) stack.push({ node: node[i], depth: depth + 1 });
    }
    return new Tensor(shape, data);
  }

  /** Number of entries. */
  get size(): number {
    return this.data.length;
  }

  /** The entry at the given indices (one per axis). */
  get(...index: number[]): number {
    if (index.length !== this.shape.length) {
      throw new ShapeError(`get needs ${this.shape.length} indices for shape [${this.shape.join(", ")}], got ${index.length}`);
    }
    let offset = 0;
    for (let axis = 0; axis < index.length; axis++) {
      const i = index[axis];
      if (!Number.isInteger(i) || i < 0 || i >= this.shape[axis]) {
        throw new ShapeError(`index ${show(i)} is out of range for axis ${axis} of length ${this.shape[axis]}`);
      }
      offset = offset * this.shape[axis] + i;
    }
    return this.data[offset];
  }

  /** The entries as nested arrays (a number for shape []). */
  toArray(): NestedArray {
    if (this.shape.length === 0) return this.data[0];
    const build = (axis: number, offset: number, stride: number): NestedArray => {
      const len = this.shape[axis], inner = stride / (len || 1);
      const out: NestedArray[] = [];
      for (let i = 0; i < len; i++) {
        out.push(axis === this.shape.length - 1 ? this.data[offset + i] : build(axis + 1, offset + i * inner, inner));
      }
      return out;
    };
    return build(0, 0, this.data.length);
  }
}

/** A shape as it reads in messages: "[2, 3]". */
export function describeShape(shape: readonly number[]): string {
  return `[${shape.join(", ")}]`;
}

/** Whether two shapes are equal, axis by axis. */
export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((s, i) => s === b[i]);
}

/** Product of the extents (1 for a scalar shape). */
export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const s of shape) n *= s;
  return n;
}
