// WASM-resident arrays: the zero-copy path for large data.
import { InputError, ShapeError, show } from "../base/errors.js";
import { allocate, describeBytes, f64, finalizing, generation, MAX_ALLOCATION, release } from "./loader.js";
import { sizeOf, type TensorLike } from "../base/tensor.js";

const registry = new FinalizationRegistry<{ address: number; generation: number }>(({ address, generation: g }) => finalizing(() => release(address, g)));

/**
 * A Float64Array that lives in WebAssembly memory (row-major, of `shape`), so
 * the library reads and writes it without copying. Every API that takes a field
 * or a batch accepts one, and grid functions given one return their results in
 * new buffers.
 *
 * `data` is a view of WebAssembly memory. Memory grows when the library needs
 * more. Where shared memory exists (Node; cross-origin-isolated pages) views
 * made before stay valid; elsewhere growing detaches them. So read `buf.data`
 * again after any library call rather than keeping the view. Free the memory with `dispose()`
 * (a forgotten buffer is freed when garbage-collected).
 */
export class WasmBuffer implements TensorLike {
  readonly shape: readonly number[];
  readonly size: number;
  private readonly owned: { address: number; generation: number };
  private disposed = false;

  /** @internal Use `buffer(shape)`. */
  constructor(shape: readonly number[]) {
    this.shape = shape.slice();
    this.size = sizeOf(shape);
    if (!(8 * this.size <= MAX_ALLOCATION)) {
      throw new ShapeError(`a buffer of shape [${shape.join(", ")}] (${this.size} numbers, ${describeBytes(8 * this.size)}) is larger than WebAssembly memory holds in one piece (${describeBytes(MAX_ALLOCATION)})`);
    }
    const address = allocate(Math.max(16, 8 * this.size), `a buffer of shape [${shape.join(", ")}]`);
    this.owned = { address, generation };
    registry.register(this, this.owned, this);
  }

  /** The entries, as a view of WebAssembly memory (re-read it after library calls). */
  get data(): Float64Array {
    const at = this.address;
    return f64().subarray(at >> 3, (at >> 3) + this.size);
  }

  /** @internal Byte address in WebAssembly memory. */
  get address(): number {
    if (this.disposed) throw new InputError("this buffer has been disposed");
    if (this.owned.generation !== generation) {
      throw new InputError("this buffer belonged to a WebAssembly instance that failed and was re-created; its contents are gone");
    }
    return this.owned.address;
  }

  /** Frees the buffer's memory now; the buffer must not be used afterwards. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    registry.unregister(this);
    release(this.owned.address, this.owned.generation);
  }
}

/**
 * A zero-filled WebAssembly-resident array of the given shape (see `WasmBuffer`).
 * @param shape the number of entries, or a shape
 * @example
 * ```ts
 * import { buffer, grid } from "gradients";
 * const f = buffer([3, 4]);
 * f.data.set([0, 1, 4, 9, 10, 11, 14, 19, 20, 21, 24, 29]);
 * const dj = grid.gradient(f, [3, 4], { axis: 1 }); // a WasmBuffer, computed in place
 * f.dispose();
 * dj.dispose();
 * ```
 */
export function buffer(shape: number | readonly number[]): WasmBuffer {
  const s = typeof shape === "number" ? [shape] : shape;
  if (!Array.isArray(s) || s.some((e) => !Number.isSafeInteger(e) || e < 0)) {
    throw new ShapeError(`buffer shape must be whole numbers ≥ 0, got ${show(shape)}`);
  }
  const b = new WasmBuffer(s);
  b.data.fill(0);
  return b;
}
