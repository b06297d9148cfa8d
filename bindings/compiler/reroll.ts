// Loop rerolling: a program whose steps repeat one pattern over ids that move by
// fixed strides (the n/2 terms of an extended Rosenbrock written out as a string,
// a Σ spelled term by term) is cut into loops, so its compiled code is one body
// per pattern rather than n copies: code size and compile time stay small, and
// the loop runs from the instruction cache.
import { resultId, stepCount, type Program } from "./program.js";

/** A stretch of steps [from, from + period·count): straight code (count 1), or a loop of `count` iterations. */
export interface Piece {
  from: number;
  period: number;
  count: number;
}

/** Longest pattern looked for, and fewest repetitions worth a loop. */
const MAX_PERIOD = 64;
const MIN_COUNT = 4;

/**
 * The program cut into pieces. `signature(id)` (optional) must agree between
 * iterations too: forward sweeps pass their lane masks, which a loop must not
 * vary. Steps of a run (several steps of one group) are never looped.
 */
export function findLoops(p: Program, signature?: (id: number) => number): Piece[] {
  const n = stepCount(p), pieces: Piece[] = [];
  let straight = 0; // start of the pending straight stretch
  const sameSignature = (x: number, y: number) => !signature || (x < 0 && y < 0) || (x >= 0 && y >= 0 && signature(x) === signature(y));
  /** Whether step s + c·P + j repeats step s + j with the strides iteration 1 showed. */
  const repeats = (s: number, P: number, c: number, j: number): boolean => {
    const k0 = s + j, k1 = s + P + j, k = s + c * P + j;
    if (p.op[k] !== p.op[k0] || p.noAdjoint[k] !== p.noAdjoint[k0] || p.group[k] !== k) return false;
    if (p.a[k] !== p.a[k0] + c * (p.a[k1] - p.a[k0])) return false;
    if (p.b[k0] < 0 ? p.b[k] >= 0 : p.b[k] !== p.b[k0] + c * (p.b[k1] - p.b[k0])) return false;
    return sameSignature(p.a[k], p.a[k0]) && sameSignature(p.b[k], p.b[k0]) && sameSignature(resultId(p, k), resultId(p, k0));
  };
  let s = 0;
  while (s < n) {
    let best: Piece | null = null;
    for (let P = 1; P <= MAX_PERIOD && s + MIN_COUNT * P <= n; P++) {
      if (p.op[s] !== p.op[s + P] || p.group[s] !== s) continue;
      let count = 1;
      for (; s + (count + 1) * P <= n; count++) {
        let all = true;
        for (let j = 0; j < P && all; j++) all = repeats(s, P, count, j);
        if (!all) break;
      }
      if (count >= MIN_COUNT && (!best || count * P > best.count * best.period)) best = { from: s, period: P, count };
    }
    if (!best) {
      s++;
      continue;
    }
    if (straight < s) pieces.push({ from: straight, period: s - straight, count: 1 });
    pieces.push(best);
    s += best.period * best.count;
    straight = s;
  }
  if (straight < n) pieces.push({ from: straight, period: n - straight, count: 1 });
  return pieces;
}
