// Loop rerolling: a program whose steps repeat one pattern over ids that move by
// fixed strides (the n/2 terms of an extended Rosenbrock written out as a string,
// a Σ spelled term by term) is cut into loops, so its compiled code is one body
// per pattern rather than n copies: code size and compile time stay small, and
// the loop runs from the instruction cache.
import { resultId, stepCount, type Program } from "./program.js";

/**
 * A stretch of steps [from, from + period·count): straight code (count 1), or a
 * loop of `count` iterations, run last iteration first when `reversed` (a loop
 * joined to others whose iteration c meets this one's count − 1 − c).
 */
export interface Piece {
  from: number;
  period: number;
  count: number;
  reversed?: boolean;
}

/** The first step of the iteration a piece's loop runs first. */
export function firstStep(piece: Piece): number {
  return piece.reversed ? piece.from + (piece.count - 1) * piece.period : piece.from;
}

/** How far a piece's steps move from one iteration the loop runs to the next (−period when reversed). */
export function iterationStride(piece: Piece): number {
  return piece.reversed ? -piece.period : piece.period;
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
  /** Iterations of period P from step `start` that repeat its first (0 where `start` cannot begin one). */
  const countFrom = (start: number, P: number): number => {
    if (start + P >= n || p.op[start] !== p.op[start + P] || p.group[start] !== start) return 0;
    let count = 1;
    for (; start + (count + 1) * P <= n; count++) {
      let all = true;
      for (let j = 0; j < P && all; j++) all = repeats(start, P, count, j);
      if (!all) break;
    }
    return count;
  };
  const base = p.nConst + p.nIn;
  /** Operands that a loop from `start` reads from the iteration before: such values must live in memory. */
  const carried = (start: number, P: number): number => {
    let reads = 0;
    for (let k = start + P; k < start + 2 * P; k++) {
      for (const x of [p.a[k], p.b[k]]) if (x - base >= start && x - base < start + P) reads++;
    }
    return reads;
  };
  let s = 0;
  while (s < n) {
    let best: Piece | null = null;
    for (let P = 1; P <= MAX_PERIOD && s + MIN_COUNT * P <= n; P++) {
      // (a multiple kP of a period P found in 2k iterations or more repeats no further: not worth its scan)
      if (best && P % best.period === 0 && best.count >= 2 * (P / best.period)) continue;
      const count = countFrom(s, P);
      if (count >= MIN_COUNT && (!best || count * P > best.count * best.period)) best = { from: s, period: P, count };
    }
    if (!best) {
      s++;
      continue;
    }
    // The same pattern may start a few steps on, at a phase where an iteration passes fewer values to the
    // next (the first term of a sum often differs from the rest, so the loop found first begins part-way
    // into a term: the string Rosenbrock's gradient then carried two values from each iteration to the
    // next, through memory). Such a start loses at most one iteration.
    // (the reads first: they cost 2·period lookups, a count thousands of comparisons)
    const found = best.count;
    for (let r = 1, fewest = carried(best.from, best.period); r < best.period && fewest > 0; r++) {
      const P: number = best.period, reads = s + r + 2 * P <= n ? carried(s + r, P) : fewest;
      if (reads >= fewest) continue;
      const count = countFrom(s + r, P);
      if (count < MIN_COUNT || count < found - 1) continue;
      fewest = reads;
      best = { from: s + r, period: P, count };
    }
    if (straight < best.from) pieces.push({ from: straight, period: best.from - straight, count: 1 });
    pieces.push(best);
    s = best.from + best.period * best.count;
    straight = s;
  }
  if (straight < n) pieces.push({ from: straight, period: n - straight, count: 1 });
  return pieces;
}

/**
 * A loop of C iterations, straight code, then a loop of C − 1 (a symbolic gradient's
 * loop over its terms' values, the gradient of the term whose adjoint starts the sum,
 * which differs from the rest, and the loop over the others' gradients): the first
 * loop's first or last iteration is peeled off and run, with the straight code, above
 * the rest of it, so that two loops of one count meet and may be joined. Only where
 * neither the peeled iteration nor the straight code reads what the rest of the first
 * loop computes; for sweeps whose results do not depend on the order of steps that
 * do not read each other (values, forward lanes).
 */
function peeledToJoin(p: Program, pieces: readonly Piece[]): Piece[] {
  const base = p.nConst + p.nIn, out: Piece[] = [];
  /** Whether the steps of `piece` read none of the steps [lo, hi). */
  const readsNone = (piece: Piece, lo: number, hi: number) => {
    for (let k = piece.from; k < piece.from + piece.period * piece.count; k++) {
      for (const x of [p.a[k] - base, p.b[k] - base]) if (x >= lo && x < hi) return false;
    }
    return true;
  };
  for (let i = 0; i < pieces.length; i++) {
    const loop = pieces[i], between = pieces[i + 1], next = pieces[i + 2];
    if (loop.count > MIN_COUNT && between?.count === 1 && next?.count === loop.count - 1) {
      const { from, period: P, count: C } = loop, end = from + C * P;
      const first: Piece = { from, period: P, count: 1 }, last: Piece = { from: end - P, period: P, count: 1 };
      const peeled = readsNone(between, from + P, end) ? [first, between, { from: from + P, period: P, count: C - 1 }]
        : readsNone(between, from, end - P) && readsNone(last, from, end - P) ? [last, between, { from, period: P, count: C - 1 }]
        : null;
      if (peeled) {
        out.push(...peeled);
        i++;
        continue;
      }
    }
    out.push(loop);
  }
  return out;
}

/**
 * Consecutive loops of one count joined into one loop whose body runs each
 * loop's body in turn (loop fusion), where that changes no value: no step reads
 * what the joined loops compute in a later iteration than its own. Then a value one body computes and the
 * next reads lives in a register. Returns the pieces in groups (a group of one
 * is a piece as it was). Only for sweeps whose results do not depend on the
 * order steps run in across iterations (values, forward lanes): a reverse
 * sweep's adjoint sums would take their terms in another order.
 */
export function fuseLoops(p: Program, found: readonly Piece[]): Piece[][] {
  const base = p.nConst + p.nIn;
  const pieces = peeledToJoin(p, found);
  const pieceOf = new Int32Array(stepCount(p)).fill(-1);
  pieces.forEach((piece, i) => { if (piece.count > 1) pieceOf.fill(i, piece.from, piece.from + piece.period * piece.count); });
  /** The loop iteration (of the joined loop) in which step k runs. */
  const turn = (piece: Piece, k: number) => {
    const c = Math.floor((k - piece.from) / piece.period);
    return piece.reversed ? piece.count - 1 - c : c;
  };
  /**
   * Whether every step of `piece` (number `index`, run in the direction it says) reads the
   * results of the group's loops (from piece `first` on) only from the joined
   * loop's current iteration or earlier ones: those have run by then.
   */
  const fits = (piece: Piece, index: number, first: number) => {
    for (let k = piece.from; k < piece.from + piece.period * piece.count; k++) {
      for (const x of [p.a[k], p.b[k]]) {
        if (x < base || pieceOf[x - base] < first) continue; // a constant, an input, or computed before the group
        const producer = pieceOf[x - base] === index ? piece : joined[pieceOf[x - base]];
        if (turn(producer, x - base) > turn(piece, k)) return false;
      }
    }
    return true;
  };
  const joined: Piece[] = []; // the pieces as joined (with their directions), by index
  const groups: Piece[][] = [];
  let first = -1; // index of the open group's first piece
  pieces.forEach((piece, i) => {
    const open = groups[groups.length - 1];
    let member: Piece | undefined;
    if (first >= 0 && piece.count > 1 && open[0].count === piece.count) {
      member = [piece, { ...piece, reversed: true }].find((candidate) => fits(candidate, i, first));
    }
    if (member) {
      open.push((joined[i] = member));
      return;
    }
    groups.push([(joined[i] = piece)]);
    first = piece.count > 1 ? i : -1;
  });
  return groups;
}
