// "Did you mean …?": the known name closest to a misspelled one, for error
// messages (unknown functions, unknown option keys).

/** Edits (insert, delete, substitute, swap two neighbours) from a to b, case ignored. */
function distance(a: string, b: string): number {
  a = a.toLowerCase();
  b = b.toLowerCase();
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/** Whether the letters of `short` appear in `long` in order (maxIter in maxIterations, vars in variables). */
function within(short: string, long: string): boolean {
  let k = 0;
  for (const ch of long.toLowerCase()) if (k < short.length && ch === short[k].toLowerCase()) k++;
  return short.length >= 3 && k === short.length;
}

/**
 * The candidate closest to `name` (an alias's target first: `ln` is `log`), if
 * it is close enough to be a likely slip: a third of the name's letters at most,
 * a spelling with underscores (edge_order) of a camel-cased one (edgeOrder), or
 * a shortening or a lengthening of it (maxIter, variables).
 */
export function nearest(name: string, candidates: Iterable<string>, aliases: Readonly<Record<string, string>> = {}): string | undefined {
  if (Object.hasOwn(aliases, name)) return aliases[name];
  const plain = (s: string) => s.replaceAll("_", "").toLowerCase();
  let best: string | undefined, bestDistance = Infinity, shortened: string | undefined;
  for (const c of candidates) {
    const d = plain(c) === plain(name) ? 0 : distance(name, c);
    if (d < bestDistance) { best = c; bestDistance = d; }
    const related = c.length < name.length ? within(c, name) : within(name, c);
    if (related && (shortened === undefined || Math.abs(c.length - name.length) < Math.abs(shortened.length - name.length))) shortened = c;
  }
  return bestDistance <= Math.max(1, Math.floor(name.length / 3)) ? best : shortened;
}

/** "; did you mean 'x'?" for the nearest candidate, or "". */
export function didYouMean(name: string, candidates: Iterable<string>, aliases?: Readonly<Record<string, string>>): string {
  const guess = nearest(name, candidates, aliases);
  return guess === undefined ? "" : `; did you mean '${guess}'?`;
}
