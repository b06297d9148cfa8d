// Checks that stand between user input and the WASM core. Every failure is an
// error that says what was expected and what came instead.
import { InputError, ShapeError } from "./errors.js";
import type { TensorLike } from "./tensor.js";

/** How a call's point argument was given: one point, or a batch along a leading axis. */
export interface Points {
  /** Row-major entries, `count × size`. */
  data: Float64Array;
  count: number;
  batched: boolean;
}

export function describeShape(shape: readonly number[]): string {
  return `[${shape.join(", ")}]`;
}

function describeValue(x: unknown): string {
  if (x === null) return "null";
  if (Array.isArray(x)) return `an array of length ${x.length}`;
  if (ArrayBuffer.isView(x)) return `a ${x.constructor.name} of length ${(x as unknown as ArrayLike<number>).length}`;
  return typeof x === "object" ? "an object" : `${typeof x} ${String(x)}`;
}

function isTensorLike(x: unknown): x is TensorLike {
  return typeof x === "object" && x !== null && !ArrayBuffer.isView(x) && !Array.isArray(x) &&
    Array.isArray((x as TensorLike).shape) && (x as TensorLike).data !== undefined;
}

/** Copies numbers into a Float64Array, rejecting anything that is not a number. */
function toF64(values: ArrayLike<unknown>, what: string): Float64Array {
  if (values instanceof Float64Array) return values;
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v !== "number") {
      throw new InputError(`${what}: entry ${i} is ${describeValue(v)}; expected a number`);
    }
    out[i] = v;
  }
  return out;
}

/**
 * A point of `size` numbers (array or typed array), or a batch: a Tensor-like whose
 * shape is [N, size]. `what` names the argument in messages ("point", "direction").
 */
export function readPoints(x: unknown, size: number, what: string): Points {
  if (Array.isArray(x) || (ArrayBuffer.isView(x) && !(x instanceof DataView))) {
    const arr = x as ArrayLike<unknown>;
    if (arr.length !== size) {
      throw new ShapeError(`${what} must have ${size} entr${size === 1 ? "y" : "ies"} (shape [${size}]), got ${arr.length}`);
    }
    return { data: toF64(arr, what), count: 1, batched: false };
  }
  if (isTensorLike(x)) {
    const shape = x.shape;
    if (shape.length !== 2 || shape[1] !== size) {
      throw new ShapeError(`a batch of ${what}s must have shape [N, ${size}], got ${describeShape(shape)}`);
    }
    if (x.data.length !== shape[0] * size) {
      throw new ShapeError(`a batch of shape ${describeShape(shape)} needs ${shape[0] * size} entries, got ${x.data.length}`);
    }
    return { data: toF64(x.data, what), count: shape[0], batched: true };
  }
  throw new InputError(`${what} must be an array of ${size} numbers or a batch Tensor of shape [N, ${size}], got ${describeValue(x)}`);
}

/** Checks an `out` buffer: a Float64Array of exactly `length` entries. */
export function checkOut(out: unknown, length: number): Float64Array | undefined {
  if (out === undefined) return undefined;
  if (!(out instanceof Float64Array)) throw new InputError(`out must be a Float64Array, got ${describeValue(out)}`);
  if (out.length !== length) throw new ShapeError(`out must have ${length} entries for this result, got ${out.length}`);
  return out;
}

/** Mode names accepted by `options.mode`. */
export type Mode = "auto" | "forward" | "fd";

export function readMode(mode: unknown): "forward" | "fd" {
  if (mode === undefined || mode === "auto" || mode === "forward") return "forward";
  if (mode === "fd") return "fd";
  throw new InputError(`mode must be "auto", "forward" or "fd", got ${JSON.stringify(mode)}`);
}
