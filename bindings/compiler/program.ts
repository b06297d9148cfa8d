// A tape as the compiled tier sees it (sweep-code.ts): straight-line steps over
// value ids in single-assignment form, whatever slots the tape reused. Ids:
// constant c is c, input i is nConst + i, step k's result is nConst + nIn + k.
// A run instruction (L consecutive slots) becomes L steps of one group, so the
// reverse pass can take them in the order the core's sweeps do (see `group`).
//
// A sum becomes a chain of additions in the association the core's sum takes
// (assembly/core/blocks.ts: sumRange's four partial sums of every fourth term for
// consecutive slots, else list order), from a constant 0 as the core's starts: the
// same values, and tangents the core forms the same way (sumTangent), bit for bit;
// in a reverse sweep each term's adjoint gets the sum's through the chain, as the
// core's sum adds it (runtime/compiled.ts says why to the bit). Reverse sweeps of
// tapes with fused groups stay with the core, whose groups add an entry's adjoint
// terms in orders of their own. Tapes with other block ops (det, inv, solve, host) have no program:
// their sweeps stay with the core, which the compiled tier would have to call per
// point anyway.
import { ARITY, BROADCAST_A, BROADCAST_B, CONTIGUOUS, FIRST_BLOCK, FUSE_BEGIN, NO_ADJOINT, Op, RUN_SHIFT } from "../ops/abi.js";
import type { TapeData } from "./tape.js";

export interface Program {
  readonly nConst: number;
  readonly consts: Float64Array;
  readonly nIn: number;
  /** Per step: op code, operand ids (b is −1 for unary ops), whether no derivative flows through it (NO_ADJOINT). */
  readonly op: Int32Array;
  readonly a: Int32Array;
  readonly b: Int32Array;
  readonly noAdjoint: Uint8Array;
  /** Per step: the first step of its instruction (a run's steps share it; a scalar instruction's is itself). */
  readonly group: Int32Array;
  /** The id of each output. */
  readonly outputs: Int32Array;
  /** Terms of all its sums together (0 without sums). */
  readonly sumTerms: number;
}

/** Number of steps. */
export function stepCount(p: Program): number {
  return p.op.length;
}

/** The id of step k's result. */
export function resultId(p: Program, k: number): number {
  return p.nConst + p.nIn + k;
}

/** The program of a tape, or null when it holds block ops other than sums, or loads an input twice. */
export function programOf(t: TapeData): Program | null {
  const nIn = t.nIn, words = t.instr, aux = t.aux;
  let steps = 0, hasSums = false, sumTerms = 0;
  for (let i = 0; i < words.length; i += 4) {
    const op = words[i] & 0xff;
    if (op >= FUSE_BEGIN) continue; // a fused group's markers: its instructions follow them
    if (op === Op.Sum) {
      const count = aux[words[i + 2]];
      steps += count + (words[i] & CONTIGUOUS && count >= 4 ? 3 : 0);
      hasSums = true;
      sumTerms += count;
      continue;
    }
    if (op >= FIRST_BLOCK) return null;
    if (op !== Op.Input) steps += (words[i] >>> RUN_SHIFT) || 1;
  }
  // (a sum's chain starts from a constant 0 of its own, after the tape's)
  let consts = t.consts;
  if (hasSums) (consts = new Float64Array(t.consts.length + 1)).set(t.consts);
  const nConst = consts.length, zero = nConst - 1;
  const op = new Int32Array(steps), a = new Int32Array(steps), b = new Int32Array(steps);
  const noAdjoint = new Uint8Array(steps), group = new Int32Array(steps);
  const idOf = new Int32Array(t.nSlots).fill(-1), loaded = new Uint8Array(nIn);
  for (let c = 0; c < t.consts.length; c++) idOf[c] = c;
  let k = 0;
  /** A step adding ids x and y; its id. */
  const add = (x: number, y: number, flags: number): number => {
    op[k] = Op.Add;
    a[k] = x;
    b[k] = y;
    noAdjoint[k] = flags & NO_ADJOINT ? 1 : 0;
    group[k] = k;
    return nConst + nIn + k++;
  };
  for (let i = 0; i < words.length; i += 4) {
    const word = words[i], code = word & 0xff, L = (word >>> RUN_SHIFT) || 1;
    const dst = words[i + 1], sa = words[i + 2], sb = words[i + 3];
    if (code >= FUSE_BEGIN) continue;
    if (code === Op.Sum) {
      const count = aux[sa], term = (j: number) => idOf[aux[sa + 1 + j]];
      const whole = word & CONTIGUOUS ? count & ~3 : 0;
      let total = zero;
      if (whole > 0) { // sumRange: four partial sums of every fourth term, then (s₀ + s₂) + (s₁ + s₃)
        const partials = [0, 1, 2, 3].map((j) => {
          let s = zero;
          for (let q = j; q < whole; q += 4) s = add(s, term(q), word);
          return s;
        });
        total = add(add(partials[0], partials[2], word), add(partials[1], partials[3], word), word);
      }
      for (let j = whole; j < count; j++) total = add(total, term(j), word);
      idOf[aux[dst + 1]] = total;
      continue;
    }
    if (code === Op.Input) {
      const stride = L > 1 ? sb : 1; // (a run's b is its input stride)
      for (let j = 0; j < L; j++) {
        const input = sa + j * stride;
        if (loaded[input]) return null;
        loaded[input] = 1;
        idOf[dst + j] = nConst + input;
      }
      continue;
    }
    const aStep = word & BROADCAST_A ? 0 : 1, bStep = word & BROADCAST_B ? 0 : 1, binary = ARITY[code] === 2;
    const first = k;
    // Read every operand before writing any result (a run never overlaps its operands, but a reused slot may be both).
    for (let j = 0; j < L; j++) {
      op[k + j] = code;
      a[k + j] = idOf[sa + j * aStep];
      b[k + j] = binary ? idOf[sb + j * bStep] : -1;
      noAdjoint[k + j] = word & NO_ADJOINT ? 1 : 0;
      group[k + j] = first;
    }
    for (let j = 0; j < L; j++) idOf[dst + j] = nConst + nIn + k + j;
    k += L;
  }
  const outputs = Int32Array.from(t.outSlots, (s) => idOf[s]);
  return { nConst, consts, nIn, op, a, b, noAdjoint, group, outputs, sumTerms };
}
