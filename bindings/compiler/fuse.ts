// Fusion: a chain of elementwise runs becomes one loop, compiled to WebAssembly
// when the reverse tape is compiled.
//
// On a reverse tape (compile.ts), an elementwise tensor operation is one run
// instruction, but the core still makes one pass over memory per run, forward
// and backward. A *group* of consecutive runs of the same length L, each an
// op this file knows (+, −, ·, /, negation, √, and Keep, the masks of where), is fused: its forward function
// computes every run at an element (two, in f64x2 lanes) before moving on,
// keeping intermediate values in locals, and its backward function recomputes
// them and carries adjoints from run to run in locals, touching memory only
// for what enters or leaves the group. Groups and sums whose values nothing
// else reads are flagged VALUES_UNREAD: a gradient skips their forward pass. This
// file finds the groups and marks them in the tape (assembly/core/tape.ts:
// FUSE_BEGIN / FUSE_END; the interpreted instructions stay, for the sweeps that
// do not use fusion); fused-loops.ts writes their functions, which become a
// small WebAssembly module over the core's memory, called from the sweeps
// through the core's function table (kernel.ts puts them there).
//
// The arithmetic is the op table's (assembly/core/rules.ts), operation for operation:
// values are bit-identical to the interpreted runs; adjoints add the same terms,
// though a slot fed by several runs of a group may receive them in another order
// (element by element rather than run by run), so they agree to rounding.
import { BROADCAST_A, BROADCAST_B, CONTIGUOUS, FUSE_BEGIN, FUSE_END, NO_ADJOINT, Op, RUN_SHIFT, SUM_PULLED, VALUES_UNREAD, isBlock, opArity } from "../ops/grammar.js";
import { encodeModule, type FunctionBody } from "./wasm-encoder.js";
import { backward, forward, isFusible, type Run } from "./fused-loops.js";

/** Runs shorter than this are not worth a call through the function table. */
const MIN_RUN = 8;
/** Runs per group at most: a function's locals grow with its runs (engines cap them near 50,000). */
const MAX_GROUP = 64;

/** The tape with its groups marked, and the module that runs them (null: nothing to fuse). */
export interface Fused {
  instr: ArrayLike<number>;
  groups: number;
  module: Uint8Array | null;
  /**
   * Slot ranges [lo, hi, lo, hi, …] whose adjoints a fused reverse sweep reads
   * from memory (all but the results that stay inside their group): the only
   * adjoint rows it has to zero first.
   */
  zeroRanges: number[];
}

function decode(instr: ArrayLike<number>, k: number): Run {
  const word = instr[k], op = word & 0xff, L = (word >>> RUN_SHIFT) || 1;
  const binary = opArity(op) === 2;
  return {
    op, L, dst: instr[k + 1],
    a: instr[k + 2], aStep: word & BROADCAST_A ? 0 : 1,
    b: instr[k + 3], bStep: word & BROADCAST_B ? 0 : 1, binary,
  };
}

/** Slots an instruction reads (runs: each operand's range; block ops: their aux lists). */
export function readSlots(instr: ArrayLike<number>, k: number, aux: readonly number[], visit: (slot: number) => void): void {
  const op = instr[k] & 0xff;
  if (op === Op.Input) return;
  if (isBlock(op)) {
    for (const offset of [instr[k + 2], op === Op.Solve ? instr[k + 3] : -1]) {
      if (offset < 0) continue;
      for (let i = 0; i < aux[offset]; i++) visit(aux[offset + 1 + i]);
    }
    return;
  }
  const r = decode(instr, k);
  for (let j = 0; j < (r.aStep ? r.L : 1); j++) visit(r.a + j);
  if (r.binary) for (let j = 0; j < (r.bStep ? r.L : 1); j++) visit(r.b + j);
}

/**
 * Finds the groups of a reverse tape's instructions (already merged into runs),
 * marks them, and emits their functions. Constant i (`consts[i]`) is in slot i.
 */
export function fuse(instr: ArrayLike<number>, consts: readonly number[], nSlots: number, outSlots: readonly number[],
                     aux: readonly number[]): Fused {
  const nConst = consts.length;
  const { groups, groupOf } = findGroups(instr, nConst, nSlots);
  if (groups.length === 0) return { instr, groups: 0, module: null, zeroRanges: [] };
  const readers = readersOutside(instr, groups, groupOf, nSlots, outSlots, aux);
  const source = Array.from(instr); // pulled sums get their b field set
  const bodies: FunctionBody[] = [];
  const inside = new Uint8Array(nSlots); // results whose adjoints live in locals only (or are never made)
  for (const members of groups) {
    const runs = members.map((k) => decode(instr, 4 * k));
    const escapes = runs.map((r) => readers.subarray(r.dst, r.dst + r.L).some((k) => k !== NO_READER));
    const pulled = runs.map((r) => pulledSum(source, aux, readers, r));
    runs.forEach((r, i) => { if (!escapes[i] || pulled[i] >= 0) inside.fill(1, r.dst, r.dst + r.L); });
    bodies.push(forward(runs, escapes, consts), backward(runs, escapes, pulled, consts));
  }
  const out = marked(source, groups, groupOf);
  markUnread(out, aux, nSlots);
  return { instr: out, groups: groups.length, module: encodeModule(4, bodies), zeroRanges: rangesOutside(inside, nConst) };
}

/**
 * Flags VALUES_UNREAD on the groups and sums whose results a gradient never reads.
 * A fused reverse sweep (which returns adjoints, not values) needs a value only
 * where a later instruction it computes, or a reverse rule, reads it: interpreted
 * instructions compute their partials from their operands forward; a group's
 * backward function recomputes its values from the group's operands; a sum's
 * rule reads no values. So walking back from the end, a sum or group whose
 * results nothing read so far reads is skipped, and a skipped sum reads nothing.
 */
function markUnread(instr: number[], aux: readonly number[], nSlots: number): void {
  const read = new Uint8Array(nSlots);
  for (let k = instr.length / 4 - 1; k >= 0; k--) {
    const op = instr[4 * k] & 0xff;
    if (op === FUSE_END) {
      const begin = k - instr[4 * k + 2] - 1;
      let used = false;
      for (let m = begin + 1; m < k; m++) {
        const r = decode(instr, 4 * m);
        used ||= read.subarray(r.dst, r.dst + r.L).includes(1);
        readSlots(instr, 4 * m, aux, (s) => { read[s] = 1; }); // the backward function reads them either way
      }
      if (!used) instr[4 * begin] |= VALUES_UNREAD;
      k = begin;
      continue;
    }
    if (op === Op.Sum && !read[aux[instr[4 * k + 1] + 1]]) {
      instr[4 * k] |= VALUES_UNREAD;
      continue;
    }
    readSlots(instr, 4 * k, aux, (s) => { read[s] = 1; });
  }
}

/**
 * Groups: maximal stretches of consecutive fusible runs of one length (at most
 * MAX_GROUP, at least 2) in which an operand reads an earlier run's results only
 * whole and aligned (then it is a local); a shifted or partial read ends the group.
 */
function findGroups(instr: ArrayLike<number>, nConst: number, nSlots: number): { groups: number[][]; groupOf: Int32Array } {
  const nInstr = instr.length / 4;
  const groupOf = new Int32Array(nInstr).fill(-1);
  const groups: number[][] = []; // instruction indices
  const producer = new Int32Array(nSlots).fill(-1); // within the open group: the instruction writing a slot
  let open: number[] = [];
  const close = () => {
    if (open.length >= 2) {
      for (const k of open) groupOf[k] = groups.length;
      groups.push(open);
    }
    for (const k of open) {
      const r = decode(instr, 4 * k);
      producer.fill(-1, r.dst, r.dst + r.L);
    }
    open = [];
  };
  const fits = (slot: number, step: number, L: number) => {
    if (slot < nConst) return true;
    const first = producer[slot];
    if (first >= 0) return step === 1 && decode(instr, 4 * first).dst === slot;
    for (let j = 1; j < (step ? L : 1); j++) if (producer[slot + j] >= 0) return false;
    return true;
  };
  for (let k = 0; k < nInstr; k++) {
    const op = instr[4 * k] & 0xff;
    const r = !isBlock(op) && op !== Op.Input ? decode(instr, 4 * k) : undefined;
    // (a guard's run takes no adjoint: the interpreted sweep skips it, and so must a group)
    const fusible = r !== undefined && isFusible(r.op) && r.L >= MIN_RUN && !(instr[4 * k] & NO_ADJOINT);
    const joins = fusible && open.length > 0 && open.length < MAX_GROUP && decode(instr, 4 * open[0]).L === r.L &&
      fits(r.a, r.aStep, r.L) && (!r.binary || fits(r.b, r.bStep, r.L));
    if (!joins) close();
    if (fusible) {
      open.push(k);
      producer.fill(k, r.dst, r.dst + r.L);
    }
  }
  close();
  return { groups, groupOf };
}

/** readersOutside's marks: nothing outside the group reads the slot; several instructions do, or it is an output. */
const NO_READER = -1, READERS = -2;

/**
 * Per slot of a group's results, who outside that group reads it: NO_READER,
 * the one instruction that does, or READERS. Anything read keeps its value and
 * adjoint in memory.
 */
function readersOutside(instr: ArrayLike<number>, groups: readonly number[][], groupOf: Int32Array, nSlots: number,
                        outSlots: readonly number[], aux: readonly number[]): Int32Array {
  const slotGroup = new Int32Array(nSlots).fill(-1);
  for (const [g, members] of groups.entries()) {
    for (const k of members) {
      const r = decode(instr, 4 * k);
      slotGroup.fill(g, r.dst, r.dst + r.L);
    }
  }
  const readers = new Int32Array(nSlots).fill(NO_READER);
  for (const s of outSlots) readers[s] = READERS;
  for (let k = 0; k < instr.length / 4; k++) {
    readSlots(instr, 4 * k, aux, (s) => {
      if (slotGroup[s] < 0 || slotGroup[s] === groupOf[k]) return;
      readers[s] = readers[s] === NO_READER || readers[s] === k ? k : READERS;
    });
  }
  return readers;
}

/**
 * A run whose results nothing outside its group reads but one contiguous sum of
 * exactly them (Σ of an elementwise expression, as a loss is) needs no adjoint
 * rows: every result's adjoint is the sum's. Marks that sum SUM_PULLED (the fused
 * reverse sweep skips its rule) and returns the slot of its result, whose
 * adjoint the group's backward function reads; −1 for any other run.
 */
function pulledSum(instr: number[], aux: readonly number[], readers: Int32Array, r: Run): number {
  const k = readers[r.dst];
  if (k < 0 || (instr[4 * k] & 0xff) !== Op.Sum || !(instr[4 * k] & CONTIGUOUS)) return -1;
  const operands = instr[4 * k + 2];
  if (aux[operands] !== r.L || aux[operands + 1] !== r.dst || readers.subarray(r.dst, r.dst + r.L).some((x) => x !== k)) return -1;
  instr[4 * k + 3] = SUM_PULLED;
  return aux[instr[4 * k + 1] + 1];
}

/** The computed slots not marked `inside`, as ranges [lo, hi, lo, hi, …]. */
function rangesOutside(inside: Uint8Array, nConst: number): number[] {
  const ranges: number[] = [];
  for (let s = nConst; s < inside.length; ) {
    if (inside[s]) { s++; continue; }
    const lo = s;
    while (s < inside.length && !inside[s]) s++;
    ranges.push(lo, s);
  }
  return ranges;
}

/** The instructions with each group bracketed by FUSE_BEGIN / FUSE_END (group index, instruction count). */
function marked(instr: ArrayLike<number>, groups: readonly number[][], groupOf: Int32Array): number[] {
  const out: number[] = [];
  for (let k = 0; k < instr.length / 4; k++) {
    const g = groupOf[k], members = g >= 0 ? groups[g] : undefined;
    if (members && k === members[0]) out.push(FUSE_BEGIN, g, members.length, 0);
    for (let i = 0; i < 4; i++) out.push(instr[4 * k + i]);
    if (members && k === members[members.length - 1]) out.push(FUSE_END, g, members.length, 0);
  }
  return out;
}
