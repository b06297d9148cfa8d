// Which adjoint rows a reverse sweep must zero. The core's reverse sweep with
// every adjoint live (one lane: a gradient, a vector-Jacobian product) adds each
// contribution into its operand's adjoint row, so it used to zero every row of
// every block first: 50,000–230,000 rows a block on the workloads' tapes, most
// of them long out of cache when they were next touched. Here the sweep is
// walked in the order it runs (instructions last first, fused groups whole): a
// run's pull into an operand range nothing has reached yet (and a contiguous
// sum's into its terms) zeroes just those rows right before it adds, while
// they are about to be in cache anyway; only the rows that some other
// contribution or read reaches first are zeroed at the start of a block. The
// sums are the same, to the bit.
//
// Dot products (a run of products summed by the contiguous sums right after
// it, each over the next stretch of its results, nothing else reading them)
// skip their products' adjoint rows altogether: each would be its sum's
// adjoint, added to a zeroed row, so the run reads those sums' rows instead
// (READS_SUM, with the stretch length above SEGMENT_SHIFT) and the sums add
// nothing (READ_BY_RUN): a dot product's one sum, or k-means' 1,000 row sums.
import {
  BROADCAST_A, BROADCAST_B, CONTIGUOUS, FIRST_A, FIRST_B, FUSE_BEGIN, FUSE_END, NO_ADJOINT, Op, READ_BY_RUN, READS_SUM, RUN_SHIFT,
  SEGMENT_SHIFT, SUM_PULLED, isBlock, opArity,
} from "../ops/grammar.js";
import { readSlots } from "./fuse.js";

export interface AdjointPlan {
  /** Per instruction (of the tape as written, fused markers included): FIRST_A | FIRST_B | READS_SUM | READ_BY_RUN. */
  firsts: number[];
  /** [lo, hi) slot ranges whose adjoint rows are zeroed at the start of each block. */
  zeroRanges: number[];
}

/**
 * The plan for a reverse tape's words (fused groups, if any, run fused: a
 * sweep that interprets them instead zeroes every row). `aux`: the block ops'
 * slot lists, each [length, slot, …]. `outside`: with fused groups, the slot
 * ranges [lo, hi, …] whose adjoints live in memory (fuse.ts zeroRanges); the
 * others stay in a group's locals, and their rows are never read.
 */
export function adjointPlan(words: ArrayLike<number>, aux: readonly number[], nSlots: number, nConst: number,
                            outSlots: readonly number[], outside: readonly number[] | null): AdjointPlan {
  const nInstr = words.length / 4;
  const firsts = new Array<number>(nInstr).fill(0);
  const written = new Uint8Array(nSlots), zero = new Uint8Array(nSlots); // (written: reached by the sweep so far)
  const inMemory = new Uint8Array(nSlots).fill(outside ? 0 : 1);
  for (let i = 0; outside && i < outside.length; i += 2) inMemory.fill(1, outside[i], outside[i + 1]);
  /** A contribution or read that needs the row to hold its sum so far: zeroed at the start if nothing reached it yet. */
  const reach = (s: number) => {
    if (s < nConst || !inMemory[s]) return;
    if (!written[s]) zero[s] = 1;
    written[s] = 1;
  };
  const reachRange = (first: number, count: number) => { for (let j = 0; j < count; j++) reach(first + j); };
  const reachList = (offset: number) => { for (let i = 0; i < aux[offset]; i++) reach(aux[offset + 1 + i]); };
  /** A pull into [first, first + count): the first to reach them when none is reached yet (then it reaches them all). */
  const firstInto = (first: number, count: number): boolean => {
    if (first < nConst) return false; // (the sweep pulls nothing into constants)
    for (let j = 0; j < count; j++) if (written[first + j]) { reachRange(first, count); return false; }
    written.fill(1, first, first + count);
    return true;
  };
  markDotProducts(words, aux, nSlots, outSlots, firsts);
  for (const s of outSlots) reach(s); // (seeds are added)
  for (let k = nInstr - 1; k >= 0; k--) {
    const word = words[4 * k], op = word & 0xff, L = (word >>> RUN_SHIFT) || 1;
    const dst = words[4 * k + 1], a = words[4 * k + 2], b = words[4 * k + 3];
    if (op === FUSE_END) { // the group's backward function: reads its results' rows, adds into its operands'
      const begin = k - a - 1;
      for (let m = begin + 1; m < k; m++) {
        const w = words[4 * m], Lm = (w >>> RUN_SHIFT) || 1, binary = opArity(w & 0xff) === 2;
        reachRange(words[4 * m + 1], Lm);
        reachRange(words[4 * m + 2], w & BROADCAST_A ? 1 : Lm);
        if (binary) reachRange(words[4 * m + 3], w & BROADCAST_B ? 1 : Lm);
      }
      k = begin;
      continue;
    }
    if (op === Op.Input) { // its results' rows are read (an input nothing reached reads zeros)
      reachRange(dst, L);
      continue;
    }
    if (op === FUSE_BEGIN || word & NO_ADJOINT) continue;
    if (isBlock(op)) {
      if (op === Op.Sum && b === SUM_PULLED) continue; // (its group reads its adjoint instead)
      reachList(dst);
      if (op === Op.Sum && word & CONTIGUOUS) {
        const first = aux[a + 1], count = aux[a];
        if (!(firsts[k] & READ_BY_RUN) && firstInto(first, count)) firsts[k] = FIRST_A;
        continue;
      }
      reachList(a);
      if (op === Op.Solve) reachList(b);
      continue;
    }
    if (!(firsts[k] & READS_SUM)) reachRange(dst, L); // w̄, read (and Keep's, zeroed in place)
    if (word & BROADCAST_A) reach(a);
    else if (firstInto(a, L)) firsts[k] |= FIRST_A;
    if (opArity(op) !== 2 || op === Op.Keep) continue;
    if (word & BROADCAST_B) reach(b);
    else if (firstInto(b, L)) firsts[k] |= FIRST_B;
  }
  const zeroRanges: number[] = [];
  for (let s = nConst; s < nSlots;) {
    if (!zero[s]) { s++; continue; }
    const lo = s;
    while (s < nSlots && zero[s]) s++;
    zeroRanges.push(lo, s);
  }
  return { firsts, zeroRanges };
}

/**
 * Marks the dot products in `firsts`: a run followed by m contiguous sums, sum i
 * of results dst + i·S … dst + (i+1)·S − 1 (S = L / m) into slot r + i, where
 * nothing else reads the results.
 */
function markDotProducts(words: ArrayLike<number>, aux: readonly number[], nSlots: number, outSlots: readonly number[],
                         firsts: number[]): void {
  const nInstr = words.length / 4;
  const isSum = (j: number) => j < nInstr && (words[4 * j] & 0xff) === Op.Sum && (words[4 * j] & CONTIGUOUS) !== 0 &&
    !(words[4 * j] & NO_ADJOINT) && words[4 * j + 3] !== SUM_PULLED;
  const tilings: [run: number, S: number, m: number][] = [];
  for (let k = 0; k + 1 < nInstr; k++) {
    const word = words[4 * k], op = word & 0xff;
    if (op >= FUSE_BEGIN || isBlock(op) || op === Op.Input || op === Op.Keep || word & NO_ADJOINT || !isSum(k + 1)) continue;
    const L = (word >>> RUN_SHIFT) || 1, dst = words[4 * k + 1], S = aux[words[4 * (k + 1) + 2]], m = L / S;
    if (!Number.isInteger(m) || S << SEGMENT_SHIFT >>> SEGMENT_SHIFT !== S) continue;
    const result = aux[words[4 * (k + 1) + 1] + 1];
    let tiled = true;
    for (let i = 0; i < m && tiled; i++) {
      const j = k + 1 + i, terms = words[4 * j + 2], results = words[4 * j + 1];
      tiled = isSum(j) && aux[terms] === S && aux[terms + 1] === dst + i * S && aux[results] === 1 && aux[results + 1] === result + i;
    }
    if (!tiled) continue;
    tilings.push([k, S, m]);
    k += m;
  }
  if (tilings.length === 0) return; // (no reader counts needed: most tapes)
  const readers = readerCounts(words, aux, nSlots, outSlots);
  for (const [k, S, m] of tilings) {
    const dst = words[4 * k + 1];
    if (readers.subarray(dst, dst + S * m).some((r) => r !== 1)) continue;
    firsts[k] = READS_SUM | (S << SEGMENT_SHIFT);
    for (let i = 1; i <= m; i++) firsts[k + i] = READ_BY_RUN;
  }
}

/** How many instructions read each slot (an output counts as a reader). */
function readerCounts(words: ArrayLike<number>, aux: readonly number[], nSlots: number, outSlots: readonly number[]): Uint32Array {
  const readers = new Uint32Array(nSlots);
  for (const s of outSlots) readers[s]++;
  for (let k = 0; k < words.length / 4; k++) {
    if ((words[4 * k] & 0xff) >= FUSE_BEGIN) continue; // (a group's markers; its members are read below)
    readSlots(words, 4 * k, aux, (s) => { readers[s]++; });
  }
  return readers;
}
