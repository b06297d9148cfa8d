// The tape: the contract between the TypeScript compiler and the WASM sweeps.
//
// A compiled function is a flat instruction stream plus a constant pool, written
// into linear memory by TypeScript (bindings/compiler/tape.ts makes it, bindings/runtime/kernel.ts
// writes it):
//
//   Tape header (14 × i32, at the handle address)
//   ┌────────┬───────┬────────┬───────┬────────┬─────┬──────┬──────────┬─────┬──────────────┬────────┬───────────┬───────────┬───────────┐
//   │ nInstr │ instr │ nConst │ const │ nSlots │ nIn │ nOut │ outSlots │ aux │ blockScratch │ maxRun │ fusedBase │ fusedZero │ allInputs │
//   └────────┴───────┴────────┴───────┴────────┴─────┴──────┴──────────┴─────┴──────────────┴────────┴───────────┴───────────┴───────────┘
//   instr:    nInstr × (word, dst, a, b) as i32      — topological order; word is
//             the op code (bits 0–7), flags BROADCAST_A/B (bits 8, 9) and a run
//             length L (bits 13–31; 0 means 1): a run applies the op to L
//             consecutive slots dst+j from a+j and b+j (or from a / b itself when
//             broadcast). Only reverse tapes (no slot reuse) hold runs.
//             Flag CONTIGUOUS (bit 10) on a sum: its operand list is the
//             consecutive computed slots list[0] … list[0]+len−1.
//             Flag VALUES_UNREAD (bit 11) on a sum or a FUSE_BEGIN: nothing a
//             fused reverse sweep runs reads these results' values (it returns
//             none), so its forward pass skips them.
//             Flag NO_ADJOINT (bit 12): no derivative of the outputs flows
//             through the instruction (it feeds only Keep's guard operand): a
//             reverse sweep skips its rule, whose adjoint is 0, and whose
//             partials may be ∞ where the guard is set (0·∞ would be NaN).
//   const:    nConst × f64                            — constant i lives in slot i
//   outSlots: nOut × i32                              — slot holding output o
//   aux:      i32 lists [length, slot, …] that block ops (det, inv, solve, sum)
//             name by offset; blockScratch: bytes of per-point scratch they need
//   maxRun:   the longest run (rows of scratch the reverse sweep needs to spell
//             out a broadcast operand)
//   fusedBase: where the fused groups' functions start in the function table
//             (0: none). A group g of run instructions is bracketed by
//             (FUSE_BEGIN, g, count, 0) … (FUSE_END, g, count, 0); table entry
//             fusedBase + 2g computes the group's values, fusedBase + 2g + 1 its
//             adjoints (one lane), each called as (vals, adj, B, n). Sweeps that
//             do not use them step over the markers and run the instructions.
//   fusedZero: aux offset of [2·count, lo, hi, …]: the slot ranges whose
//             adjoints a fused sweep reads from memory, and so zeroes first
//             (the others stay in the fused loops' locals, or are a pulled
//             sum's: see SUM_PULLED).
//   allInputs: 1 if every input has an Input instruction (none is unused).
//
// Slots [0, nConst) hold constants and are never written by an instruction;
// an operand with a slot index below nConst is therefore known to have a zero
// tangent, and the sweeps skip its lanes. `Op.Input` loads input `a` into `dst`.

/** Op codes. Keep in step with bindings/ops/grammar.ts (a test checks the arity of each). */
export const enum Op {
  Input = 0,
  // arithmetic
  Add = 1, Sub = 2, Mul = 3, Div = 4, Neg = 5, Pow = 6,
  // unary functions
  Sin = 7, Cos = 8, Tan = 9, Asin = 10, Acos = 11, Atan = 12,
  Sinh = 13, Cosh = 14, Tanh = 15, Asinh = 16, Acosh = 17, Atanh = 18,
  Exp = 19, Expm1 = 20, Log = 21, Log1p = 22, Log2 = 23, Log10 = 24,
  Sqrt = 25, Cbrt = 26, Abs = 27, Sign = 28,
  // binary functions
  Atan2 = 29, Hypot = 30, Min = 31, Max = 32,
  // a ≠ 0 guard of the symbolic rules (not in the grammar): Keep(a, c) = c ≠ 0 ? a : 0
  Keep = 33,
  // block ops: operands and results are slot lists (blocks.ts)
  Det = 34, Inv = 35, Solve = 36, Sum = 37,
}

/** Number of op codes; ops are 0 .. OP_COUNT-1. */
export const OP_COUNT: i32 = 38;

/** Instruction word flags: operand a (b) is one slot for the whole run. */
export const BROADCAST_A: i32 = 1 << 8;
export const BROADCAST_B: i32 = 1 << 9;
/** Markers around a fused group (bindings/compiler/fuse.ts). */
export const FUSE_BEGIN: i32 = 0xf0;
export const FUSE_END: i32 = 0xf1;

/** Instruction word flag of a sum: its operands are consecutive computed slots. */
export const CONTIGUOUS: i32 = 1 << 10;
/** Instruction word flag of a sum or a fused group: a fused reverse sweep need not compute it. */
export const VALUES_UNREAD: i32 = 1 << 11;
/** Instruction word flag: no derivative flows through this instruction (see the header). */
export const NO_ADJOINT: i32 = 1 << 12;
/**
 * The b field of a contiguous sum (otherwise 0) when the fused group before it
 * reads the sum's adjoint for each of its operands directly (their only
 * reader is the sum): a fused reverse sweep skips the sum's rule.
 */
export const SUM_PULLED: i32 = 1;

// @ts-ignore: decorator
@inline export function opOf(word: i32): i32 { return word & 0xff; }
// @ts-ignore: decorator
@inline export function runOf(word: i32): i32 { const n = <i32>(<u32>word >>> 13); return n ? n : 1; }

/**
 * Operand count of an op: 0 for Input (whose `a` is an input index, not a slot),
 * 1 or 2 for scalar ops, −1 for block ops (operands are slot lists).
 */
export function opArity(op: i32): i32 {
  if (op == Op.Input) return 0;
  if (op >= Op.Det) return -1;
  if (op <= Op.Div || op == Op.Pow || op >= Op.Atan2) return 2;
  return 1;
}

@unmanaged
export class Tape {
  nInstr: i32;
  instr: usize;
  nConst: i32;
  consts: usize;
  nSlots: i32;
  nIn: i32;
  nOut: i32;
  outSlots: usize;
  aux: usize;
  blockScratch: i32;
  maxRun: i32;
  fusedBase: i32;
  fusedZero: i32;
  allInputs: i32;
}

/**
 * One sweep request, written by TypeScript (bindings/runtime/kernel.ts) into a
 * per-function descriptor block. All strides and offsets count f64 elements.
 *
 *   inputs   a segment table: nSegments × (size, address, stride) as i32. The
 *            flat input vector is the segments' entries in order; entry j of a
 *            segment at point p is at address + (p·stride + j)·8 (stride 0: the
 *            same values for every point — a shared input).
 *   seeds    0: identity seeding, lane l carries ∂/∂x_(lane0 + l), the Jacobian
 *            columns lane0 … lane0+K−1 (structural zeros skipped); otherwise a
 *            segment table like `inputs` giving one tangent lane (K = 1)
 *   values   count × nOut f64 (0: not wanted; the reverse sweep ignores it)
 *   tangents lane l of output o at point p:
 *            tangents[p*tPoint + (o − rangeLo)*tOut + l*tLane + tOffset] (0: not
 *            wanted), for rangeLo ≤ o < rangeHi only. The reverse sweep writes
 *            adjoints of inputs there instead: "o" is an input index.
 *   colors   0, or (forward identity seeding) an i32 per input: its lane is
 *            colors[i] − lane0 instead of i − lane0, so inputs of one color
 *            share a lane (a column-colored sparse Jacobian, bindings/ir/sparsity.ts)
 */
@unmanaged
export class Sweep {
  tape: usize;
  count: i32;
  inputs: usize;
  nSegments: i32;
  work: usize;
  block: i32;
  lanes: i32;
  seeds: usize;
  lane0: i32;
  values: usize;
  tangents: usize;
  tPoint: i32;
  tOut: i32;
  tLane: i32;
  tOffset: i32;
  rangeLo: i32;
  rangeHi: i32;
  colors: usize;
}
