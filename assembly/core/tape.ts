// The tape: the contract between the TypeScript compiler and the WASM sweeps.
//
// A compiled function is a flat instruction stream plus a constant pool, written
// into linear memory by TypeScript (bindings/compiler/tape.ts makes it, bindings/runtime/kernel.ts
// writes it):
//
//   Tape header (17 × i32, at the handle address): nInstr, instr, nConst, const,
//   nSlots, nIn, nOut, outSlots, aux, blockScratch, maxRun, fusedBase, fusedZero,
//   allInputs, inputsKept, adjointFirsts, adjointZero
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
//   inputsKept: 1 if no instruction writes a slot an Input instruction loaded
//             (reverse tapes: no slot is reused), so within one sweep a
//             shared input's rows still hold it at every later block.
//   adjointFirsts, adjointZero: aux offsets (−1: none; reverse tapes have them)
//             of the plan a one-lane reverse sweep zeroes its adjoint rows by
//             (bindings/compiler/adjoint-plan.ts): per instruction, bit 0 / 1
//             when its pull into a / b (a contiguous sum's: into its terms) is
//             the first to reach those rows, which it zeroes just before; bit 2
//             (READS_SUM) on a run whose results only the contiguous sums right
//             after it read, each the next S of them (S from bit SEGMENT_SHIFT
//             up; dot products): result j's adjoint is the row of the sums'
//             results (consecutive slots) j / S on from the first's, and bit 3
//             (READ_BY_RUN) on those sums, which then add nothing; and
//             [2·count, lo, hi, …], the slot ranges zeroed at each block's start.
//
// Slots [0, nConst) hold constants and are never written by an instruction;
// an operand with a slot index below nConst is therefore known to have a zero
// tangent, and the sweeps skip its lanes. `Op.Input` loads input `a` into `dst`;
// as a run of L it loads inputs a, a+b, …, a+(L−1)b into dst … dst+L−1 (b: the
// input stride, 0 or 1 for consecutive inputs), so a strided view of an input
// vector (every other entry, a matrix column) lands in consecutive slots.

// The numbers both languages share — op codes, flags, sweep kinds and the
// Tape and Sweep records below — are generated from bindings/ops/spec.ts.
export * from "../abi";
import { RUN_SHIFT } from "../abi";

// @ts-ignore: decorator
@inline export function opOf(word: i32): i32 { return word & 0xff; }
// @ts-ignore: decorator
@inline export function runOf(word: i32): i32 { const n = <i32>(<u32>word >>> RUN_SHIFT); return n ? n : 1; }

/**
 * Whether instructions k and k + 1 load the two columns of pairs
 * (x.reshape([n/2, 2]) sliced, or x[0::2] and x[1::2]): Input runs of stride 2
 * and one length into consecutive rows, from inputs a and a ± 1. 1 where k loads
 * the even entries (k + 1 reads a + 1), −1 where it loads the odd ones, else 0.
 * At one point the sweeps then move both in one pass (rows.ts deinterleave, interleave).
 */
export function pairedInputs(tape: Tape, k: i32): i32 {
  if (k < 0 || k + 1 >= tape.nInstr) return 0;
  const first = tape.instr + (<usize>k << 4), second = first + 16;
  const w0 = load<i32>(first), w1 = load<i32>(second), L = runOf(w0);
  if (opOf(w0) != Op.Input || opOf(w1) != Op.Input || L < 2 || runOf(w1) != L ||
      load<i32>(first, 12) != 2 || load<i32>(second, 12) != 2 || load<i32>(second, 4) != load<i32>(first, 4) + L) return 0;
  const step = load<i32>(second, 8) - load<i32>(first, 8);
  return step == 1 || step == -1 ? step : 0;
}

// The sweep descriptor (the generated Sweep record):
//
/*
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
 *   accumulate  1 (the reverse sweep of a gradient: one lane, one output): the
 *            points' adjoints are added to `tangents` (tPoint unused) in point
 *            order, each times its weight when `weights` (count f64) is not 0 —
 *            the batch's sum, formed as the sweep goes (a reduced call's
 *            derivatives by shared inputs); 0: written per point.
 */
