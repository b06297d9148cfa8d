// The natural order of names: runs of digits compare by their value, the rest
// character by character, so x < y < z, x2 < x10 and a < b (as a person sorts
// the variables of a field; an uppercase letter sorts before every lowercase one).

const RUNS = /\d+|\D+/g;

/** Negative, zero or positive as `a` comes before, with or after `b` in natural order. */
export function compareNatural(a: string, b: string): number {
  const x = a.match(RUNS) ?? [], y = b.match(RUNS) ?? [];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const p = x[i], q = y[i];
    if (p === q) continue;
    const digits = /^\d/.test(p) && /^\d/.test(q);
    if (digits) {
      const byValue = BigInt(p) < BigInt(q) ? -1 : BigInt(p) > BigInt(q) ? 1 : 0;
      if (byValue !== 0) return byValue;
      return p.length - q.length; // x01 after x1
    }
    return p < q ? -1 : 1;
  }
  return x.length - y.length;
}

/** The names, sorted in natural order (a new array). */
export function naturalOrder(names: readonly string[]): string[] {
  return [...names].sort(compareNatural);
}
