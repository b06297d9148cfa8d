// Shared memory: where it exists, and whether an array lives in it. Threads
// share batches through it, and the WebAssembly core's memory is shared where it
// can be, so that growing it detaches no ArrayBuffer (runtime/loader.ts).

/**
 * Whether threads can share memory here: always in Node; in a browser only on a
 * cross-origin-isolated page (served with COOP: same-origin and COEP: require-corp).
 */
export function sharedMemory(): boolean {
  const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated;
  return typeof SharedArrayBuffer === "function" && isolated !== false;
}

/** Whether an array's memory is shared (false where SharedArrayBuffer does not exist). */
export function isShared(array: ArrayBufferView): boolean {
  return typeof SharedArrayBuffer === "function" && array.buffer instanceof SharedArrayBuffer;
}

/** A Float64Array of `length` zeros in shared memory. */
export function sharedArray(length: number): Float64Array {
  return new Float64Array(new SharedArrayBuffer(8 * length));
}

let coreShared: boolean | undefined;

/**
 * Whether the WebAssembly core's memory is shared (decided once, at the first
 * call: the core and every generated module must agree). Growing an unshared
 * memory detaches its old ArrayBuffer, and from then on V8 compiles every
 * typed-array access in the process with a check for detached buffers, which
 * slows typed-array loops everywhere, the application's own included. Growing a
 * shared memory detaches nothing. The price: copies between JavaScript arrays
 * and shared memory cost more than between unshared ones. The environment
 * variable GRADIENTS_MEMORY=unshared chooses unshared memory where shared would
 * be used (for an application that never grows it, or to compare).
 */
export function coreMemoryShared(): boolean {
  if (coreShared === undefined) {
    const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.GRADIENTS_MEMORY;
    try {
      coreShared = env !== "unshared" && sharedMemory() &&
        new WebAssembly.Memory({ initial: 0, maximum: 1, shared: true }).buffer instanceof SharedArrayBuffer;
    } catch {
      coreShared = false;
    }
  }
  return coreShared;
}
