// Cutting a batch into chunks, and the memory chunks share across threads.

/** Points [start, end) of a batch. */
export interface Range {
  start: number;
  end: number;
}

/**
 * Chunks of a batch of N points: a probe of at most 16 points first (see
 * api/async.ts), then chunks of `size` points, the last one shorter.
 */
export function chunkRanges(N: number, size: number): Range[] {
  const ranges: Range[] = [{ start: 0, end: Math.min(N, 16, size) }];
  for (let start = ranges[0].end; start < N; start += size) ranges.push({ start, end: Math.min(N, start + size) });
  return ranges;
}

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

/** Resolves after the event loop has run what was waiting (timers, input, rendering). */
export function yieldToEventLoop(): Promise<void> {
  const immediate = (globalThis as { setImmediate?: (callback: () => void) => void }).setImmediate;
  if (immediate) return new Promise((resolve) => immediate(resolve));
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => { channel.port1.close(); resolve(); };
    channel.port2.postMessage(null);
  });
}
