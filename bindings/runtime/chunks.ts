// Cutting a batch into chunks, and yielding to the event loop between them.

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
