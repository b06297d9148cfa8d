// WASM-resident arrays: the zero-copy path for large data.
import { InputError, ShapeError, show } from "./errors.js";
import { core, f64, generation, trapped } from "./loader.js";
import { sizeOf, type TensorLike } from "./tensor.js";

const registry = new FinalizationRegistry<{ address: number; generation: number }>(({ address, generation: g }) => {
  if (g === generation) core().free(address);
});

/**
 * A Float64Array that lives in WebAssembly memory (row-major, of `shape`), so
 * the library reads and writes it without copying. Every API that takes a field
 * or a batch accepts one, and grid functions given one return their results in
 * new buffers.
 *
 * `data` is a view of WebAssembly memory. Memory grows when the library needs
 * more, and growing detaches every view made before: read `buf.data` again after
 * any library call rather than keeping the view. Free the memory with `dispose()`
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
    // WebAssembly memory is 32-bit: the byte count must fit, or the allocation would wrap.
    if (!(8 * this.size < 2 ** 32 - 2 ** 16)) throw new ShapeError(`a buffer of shape [${shape.join(", ")}] (${this.size} numbers) does not fit in WebAssembly memory (4 GB)`);
    let address: number;
    try {
      address = core().alloc(Math.max(16, 8 * this.size));
    } catch (error) {
      throw trapped(error);
    }
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
    if (this.owned.generation === generation) core().free(this.owned.address);
  }
}

/** A zero-filled WebAssembly-resident array of the given shape (see `WasmBuffer`). */
export function buffer(shape: number | readonly number[]): WasmBuffer {
  const s = typeof shape === "number" ? [shape] : shape;
  if (!Array.isArray(s) || s.some((e) => !Number.isSafeInteger(e) || e < 0)) {
    throw new ShapeError(`buffer shape must be whole numbers ≥ 0, got ${show(shape)}`);
  }
  const b = new WasmBuffer(s);
  b.data.fill(0);
  return b;
}
