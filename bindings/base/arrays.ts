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
