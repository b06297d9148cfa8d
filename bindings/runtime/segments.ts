// The points of a call in WebAssembly memory: copies in and out, and the
// segment tables the sweeps read (assembly/core/tape.ts, the Sweep record's
// `inputs` and `seeds`).
import { f64, i32 } from "./loader.js";
import type { Segment, Target } from "./kernel.js";

/**
 * Entries from which a copy between a JavaScript array and WebAssembly memory
 * takes a view's `set` rather than a loop. Measured in Node 20, shared memory,
 * on one-point calls: the loop is faster below about 10 entries (a 3×3
 * Jacobian, 3 in and 9 out: 65 ns a call against 68), `set` from there, and by
 * far as they grow (gradients of n inputs, n in and n out: 79 ns against 109
 * at n = 16, 150 ns against 303 at n = 60).
 */
export const BULK = 10;

/** Copies src[from, from+len) into WASM memory at byte address `at` (small copies by hand: no subarray). */
export function copyIn(src: Float64Array, from: number, len: number, at: number): void {
  const mem = f64(), base = at >> 3;
  if (len < BULK) for (let i = 0; i < len; i++) mem[base + i] = src[from + i];
  else mem.set(from === 0 && len === src.length ? src : src.subarray(from, from + len), base);
}

/** Copies len f64 at byte address `at` into dst[to, to+len). */
export function copyOut(at: number, len: number, dst: Float64Array, to: number): void {
  const mem = f64(), base = at >> 3;
  if (len < BULK) for (let i = 0; i < len; i++) dst[to + i] = mem[base + i];
  else dst.set(mem.subarray(base, base + len), to);
}

/**
 * The segments, with a copy of those whose points could be overwritten by the
 * results before they are read: a WasmBuffer read in place that shares memory
 * with results written in place (a sweep may write results before every read of
 * its points is done: a later sweep of lanes, the compiled tier's in-place
 * reads); and a batch's points given as a view of the results' own bytes (`out`,
 * or the WasmBuffer results go into), whose later chunks the earlier chunks'
 * results would overwrite before they are copied in. `resultBytes`: the
 * results' size.
 */
export function unaliased(segments: readonly Segment[], N: number, result: Target, resultBytes: number): readonly Segment[] {
  const inPlace = !(result instanceof Float64Array);
  if (!inPlace && N === 1) return segments; // (one point into a Float64Array: copied in whole before any result is out)
  const length = (s: Segment) => (s.batched ? N : 1) * s.size;
  const at = inPlace ? result.address : 0, end = at + resultBytes;
  const readInPlace = (s: Segment) => inPlace && s.address !== undefined && s.address < end && s.address + 8 * length(s) > at;
  const viewOfResults = (s: Segment) => N > 1 && s.batched && s.address === undefined && (inPlace
    ? s.data.buffer === f64().buffer && s.data.byteOffset < end && at < s.data.byteOffset + s.data.byteLength
    : s.data.buffer === result.buffer && s.data.byteOffset < result.byteOffset + result.byteLength &&
      result.byteOffset < s.data.byteOffset + s.data.byteLength);
  if (!segments.some((s) => readInPlace(s) || viewOfResults(s))) return segments; // (the zero-copy path allocates nothing)
  return segments.map((s) => (readInPlace(s) ? { data: f64().slice(s.address! >> 3, (s.address! >> 3) + length(s)), size: s.size, batched: s.batched }
    : viewOfResults(s) ? { data: s.data.slice(), size: s.size, batched: s.batched } : s));
}

/**
 * Writes the segment tables (inputs at `tables`, tangents one table further) and
 * copies the shared segments; returns, per segment, where its data goes (batched
 * ones receive each chunk's copy there) — or, for a segment already in
 * WebAssembly memory, the address of its table entry's address field, which each
 * chunk points at its own rows.
 */
export function writeSegmentTables(segments: readonly Segment[], nSeg: number, base: number, tables: number, tableBytes: number,
               sharedAt: number, chunkAt: number, chunk: number): number[] {
  const table = i32();
  let sharedNext = base + sharedAt, batchedNext = base + chunkAt;
  const addresses: number[] = [];
  for (let i = 0; i < segments.length; i++) {
    const s = segments[i];
    const entry = tables + (i < nSeg ? 12 * i : tableBytes + 12 * (i - nSeg));
    let at: number;
    if (s.address !== undefined) {
      at = s.address;
      addresses.push(entry + 4);
    } else {
      at = s.batched ? batchedNext : sharedNext;
      if (s.batched) batchedNext += 8 * chunk * s.size;
      else {
        copyIn(s.data, 0, s.size, at);
        sharedNext += 8 * s.size;
      }
      addresses.push(at);
    }
    table[entry >> 2] = s.size;
    table[(entry >> 2) + 1] = at;
    table[(entry >> 2) + 2] = s.batched ? s.size : 0;
  }
  return addresses;
}
