// Array helpers for user-sized arrays: a spread (`out.push(...items)`,
// `Math.max(...items)`) passes every entry as an argument and overflows the
// stack near 120,000 entries, so these loop instead.

/** out.push(...items) for any number of items. */
export function append(out: number[], items: ArrayLike<number>): void {
  for (let i = 0; i < items.length; i++) out.push(items[i]);
}

/** The largest entry (−∞ for none). */
export function largest(items: ArrayLike<number>): number {
  let top = -Infinity;
  for (let i = 0; i < items.length; i++) if (items[i] > top) top = items[i];
  return top;
}

/**
 * A growable list of 32-bit integers in one typed array: pushing millions of
 * entries (a tape's instruction words) costs a store each and a doubling copy
 * now and then, with no boxed array for the collector to walk.
 */
export class IntList {
  private data: Int32Array;
  length = 0;

  /** `capacity`: entries to make room for at once (an estimate; the list grows past it). */
  constructor(capacity = 1024) {
    this.data = new Int32Array(Math.max(4, capacity));
  }

  /** Appends four entries (one instruction). */
  push4(p: number, q: number, r: number, s: number): void {
    if (this.length + 4 > this.data.length) this.grow(this.length + 4);
    const d = this.data, at = this.length;
    d[at] = p; d[at + 1] = q; d[at + 2] = r; d[at + 3] = s;
    this.length = at + 4;
  }

  /** The entries, as a view of the live storage (valid until the next push). */
  view(): Int32Array {
    return this.data.subarray(0, this.length);
  }

  private grow(needed: number): void {
    const data = new Int32Array(Math.max(needed, 2 * this.data.length));
    data.set(this.data.subarray(0, this.length));
    this.data = data;
  }
}
