// The compiler: graph → tape (the format assembly/core/tape.ts documents).
//
// Only nodes the outputs reach are emitted, in id order (a topological order).
// Constants get the first slots; every other value gets a slot when it is
// computed and gives it back after its last use, so the slot count is the peak
// number of live values, not the node count. Outputs stay live to the end. A
// destination never shares a slot with its own operands (the rules may read
// operands while writing the result).
//
// Block ops (det, inv, solve) become one instruction whose dst, a and b name
// slot lists in the tape's aux pool; their results' PROJ nodes are just slots.
//
// Reverse mode needs the value of every slot its adjoint rules read, so it gets
// its own schedule from the same graph (`reuseSlots: false`). There slots are
// handed out in node order, so an elementwise tensor operation's nodes land in
// consecutive slots, and consecutive instructions of one op over consecutive
// (or one broadcast) operand slots merge into a run: one instruction word
// carrying the op, broadcast flags and the run length (assembly/core/tape.ts); chains
// of runs are then fused into single loops (fuse.ts).
import { BROADCAST_A, BROADCAST_B, CONST, CONTIGUOUS, FLAT, NO_ADJOINT, Op, PROJ, RUN_SHIFT, isBlock, opArity } from "../ops/grammar.js";
import { blockOrder, type Graph } from "../ir/graph.js";
import { fuse } from "./fuse.js";
import { adjointPlan } from "./adjoint-plan.js";
import { append, IntList } from "../base/arrays.js";

/** A compiled tape, kept in JavaScript so it can be re-uploaded into a fresh instance. */
export interface TapeData {
  /** nInstr × (op, dst, a, b). */
  readonly instr: Int32Array;
  /** Constant pool; constant i lives in slot i. */
  readonly consts: Float64Array;
  /** Slot holding each output. */
  readonly outSlots: Int32Array;
  /** Slot lists of block instructions, each [length, slot, …]. */
  readonly aux: Int32Array;
  /** Largest k of the k×k matrices block instructions work on (0: none). */
  readonly maxBlock: number;
  /** Longest run of one op over consecutive slots (1 without runs). */
  readonly maxRun: number;
  /** The fused groups' functions as a WebAssembly module (bindings/compiler/fuse.ts), and their number; null, 0: none. */
  readonly fused: Uint8Array | null;
  readonly fusedGroups: number;
  /** Aux offset of the slot ranges a fused reverse sweep zeroes ([2·count, lo, hi, …]); −1: none. */
  readonly fusedZero: number;
  /** Whether every input has an Input instruction (reaches an output). */
  readonly allInputs: boolean;
  /** Whether no instruction writes a slot an Input loaded (no slot is reused): the sweeps load a shared input once per sweep. */
  readonly inputsKept: boolean;
  /** Aux offsets of a reverse tape's adjoint plan (adjoint-plan.ts): per instruction its flags (FIRST_A, FIRST_B, READS_SUM with a stretch length, READ_BY_RUN), and the ranges zeroed per block; −1: none. */
  readonly adjointFirsts: number;
  readonly adjointZero: number;
  readonly nSlots: number;
  readonly nIn: number;
}

export function compileTape(graph: Graph, outputs: readonly number[], nIn: number, reuseSlots = true): TapeData {
  const reach = reachability(graph, outputs);
  let best = schedule(graph, outputs, reach, reuseSlots, inputsInOrder(graph, reach.reached, reuseSlots ? "id" : "index"));
  if (!reuseSlots) {
    // Inputs in index order suit contiguous windows (x[0:n−1], x[1:n]); strided
    // views (every other entry, a column) want them in the order they are first
    // read. Both are scheduled when they differ, and the one with fewer runs kept.
    const byUse = inputsInOrder(graph, reach.reached, "first use");
    if (byUse.some((id, i) => id !== best.inputs[i])) {
      const other = schedule(graph, outputs, reach, false, byUse);
      if (other.runs.instr.length < best.runs.instr.length) best = other;
    }
  }
  const { runs, consts, nSlots, outSlots, aux } = best;
  const fused = reuseSlots ? undefined : fuse(runs.instr, consts, nSlots, outSlots, aux);
  const words = fused?.instr ?? runs.instr;
  const plan = reuseSlots ? undefined : adjointPlan(words, aux, nSlots, consts.length, outSlots, fused?.module ? fused.zeroRanges : null);
  return {
    instr: words instanceof Int32Array ? words.slice() : Int32Array.from(words),
    fused: fused?.module ?? null,
    fusedGroups: fused?.groups ?? 0,
    fusedZero: fused?.module ? appendList(aux, fused.zeroRanges) : -1,
    allInputs: best.inputs.length === nIn,
    inputsKept: !reuseSlots,
    adjointFirsts: plan ? appendList(aux, plan.firsts) : -1,
    adjointZero: plan ? appendList(aux, plan.zeroRanges) : -1,
    consts: Float64Array.from(consts),
    outSlots: Int32Array.from(outSlots),
    aux: Int32Array.from(aux),
    maxBlock: best.maxBlock,
    maxRun: runs.maxRun,
    nSlots,
    nIn,
  };
}

/** What the outputs reach, each node's last reader, block results by index, and where derivatives flow. */
interface Reach {
  reached: Uint8Array;
  lastUse: Int32Array;
  projections: Map<number, number[]>;
  differentiated: Uint8Array;
}

function reachability(graph: Graph, outputs: readonly number[]): Reach {
  const n = graph.size;
  const reached = new Uint8Array(n);
  for (const o of outputs) reached[o] = 1;
  // ids are topological, so one backward pass marks everything the outputs reach.
  const lastUse = new Int32Array(n).fill(-1);
  const projections = new Map<number, number[]>(); // block id → reached PROJ ids by result index
  for (let id = n - 1; id >= 0; id--) {
    if (!reached[id]) continue;
    if (graph.op[id] === PROJ) {
      const block = graph.a[id];
      (projections.get(block) ?? projections.set(block, []).get(block)!)[graph.b[id]] = id;
    }
    // (operands read inline, not through eachOperand's callback: this runs per node of graphs of millions)
    const op = graph.op[id];
    if (op === CONST || op === Op.Input) continue;
    if (op !== PROJ && isBlock(op)) {
      for (const operand of graph.args.get(id)!) markRead(reached, lastUse, operand, id);
    } else {
      markRead(reached, lastUse, graph.a[id], id);
      if (op !== PROJ && opArity(op) === 2) markRead(reached, lastUse, graph.b[id], id);
    }
  }
  for (const o of outputs) lastUse[o] = n; // live to the end
  return { reached, lastUse, projections, differentiated: adjointsReached(graph, outputs, reached) };
}

/** Marks `operand` reached, read by `reader` (ids ascend, so the last reader is the largest). */
function markRead(reached: Uint8Array, lastUse: Int32Array, operand: number, reader: number): void {
  reached[operand] = 1;
  if (lastUse[operand] < reader) lastUse[operand] = reader;
}

/** Appends a slot list [length, slot, …] to `aux` and returns its offset (no spread: lists may be huge). */
function appendList(aux: number[], slots: readonly number[]): number {
  const at = aux.length;
  aux.push(slots.length);
  append(aux, slots);
  return at;
}

/** One schedule of the graph: slots, instructions (merged into runs on a reverse schedule) and aux lists. */
interface Schedule {
  runs: { instr: ArrayLike<number>; maxRun: number };
  consts: number[];
  aux: number[];
  outSlots: number[];
  nSlots: number;
  maxBlock: number;
  /** The Input nodes loaded, in load order. */
  inputs: readonly number[];
}

/**
 * Assigns slots and emits instructions. With `reuseSlots`, Input nodes load where
 * they stand in id order and slots are reused after a value's last reader;
 * otherwise the inputs load first, in the order given, and every value keeps its slot.
 */
function schedule(graph: Graph, outputs: readonly number[], reach: Reach, reuseSlots: boolean, inputs: readonly number[]): Schedule {
  const { reached, lastUse, projections, differentiated } = reach;
  const n = graph.size;
  const slot = new Int32Array(n).fill(-1);
  const consts: number[] = [];
  for (let id = 0; id < n; id++) {
    if (reached[id] && graph.op[id] === CONST) {
      slot[id] = consts.length;
      consts.push(graph.value[id]);
    }
  }

  // Free slots kept as a stack; the most recently freed is reused first (warm in cache).
  const free: number[] = [];
  let nSlots = consts.length;
  const take = () => (free.length > 0 ? free.pop()! : nSlots++);
  const instr = new IntList(4 * n); // (at most one instruction per node)
  const aux: number[] = [];
  let maxBlock = 0;
  let freedBy: Int32Array | undefined; // per node, the block whose operand list last freed its slot
  const load = (id: number) => instr.push4(Op.Input, (slot[id] = take()), graph.a[id], 0);
  if (!reuseSlots) for (const id of inputs) load(id);
  for (let id = 0; id < n; id++) {
    const op = graph.op[id];
    if (!reached[id] || op === CONST || op === PROJ) continue;
    if (op === Op.Input) {
      if (reuseSlots) load(id);
      continue;
    }
    if (isBlock(op)) {
      const operands = graph.args.get(id)!;
      const k = blockOrder(graph, id);
      if (op !== Op.Sum && op !== Op.Host) maxBlock = Math.max(maxBlock, k);
      const count = graph.b[id], projs = projections.get(id) ?? [];
      const results: number[] = [];
      const unused: number[] = [];
      for (let i = 0; i < count; i++) {
        const s = take();
        results.push(s);
        if (projs[i] !== undefined) slot[projs[i]] = s;
        else unused.push(s); // written by the instruction, read by nobody
      }
      const args = operands.map((a) => slot[a]);
      // A sum over consecutive computed slots (an elementwise run's results) is summed as one range.
      const contiguous = op === Op.Sum && args[0] >= consts.length && args.every((s, i) => s === args[0] + i);
      instr.push4(op | (contiguous ? CONTIGUOUS : 0) | (differentiated[id] ? 0 : NO_ADJOINT), appendList(aux, results),
        appendList(aux, args.slice(0, k * k)), op === Op.Solve ? appendList(aux, args.slice(k * k)) : 0);
      // Results nobody reads are free at once, but not on a reverse schedule: the
      // reverse rules read every result's value and adjoint.
      if (!reuseSlots) continue;
      append(free, unused);
      // Operands whose last reader this is give their slots back, after the results were taken.
      // (once each: an operand may be listed twice; no Set, the lists can be huge)
      freedBy ??= new Int32Array(n).fill(-1);
      for (const operand of operands) {
        if (lastUse[operand] !== id || graph.op[operand] === CONST || freedBy[operand] === id) continue;
        freedBy[operand] = id;
        free.push(slot[operand]);
      }
      continue;
    }
    const a = graph.a[id], b = opArity(op) === 2 ? graph.b[id] : -1;
    const dst = (slot[id] = take());
    instr.push4(op | (differentiated[id] ? 0 : NO_ADJOINT), dst, slot[a], b >= 0 ? slot[b] : 0);
    if (!reuseSlots) continue;
    // Operands whose last reader this is give their slots back, after dst was taken.
    if (lastUse[a] === id && graph.op[a] !== CONST) free.push(slot[a]);
    if (b >= 0 && b !== a && lastUse[b] === id && graph.op[b] !== CONST) free.push(slot[b]);
  }
  const loaded = reuseSlots ? inputs.filter((id) => reached[id]) : inputs;
  return {
    runs: reuseSlots ? { instr: instr.view(), maxRun: 1 } : mergeRuns(instr.view(), consts.length),
    consts, aux, nSlots, maxBlock, inputs: loaded,
    outSlots: outputs.map((o) => slot[o]),
  };
}

/**
 * The reached Input nodes: in id order, by input index, or by first use — sorted
 * by the operand position they are first read at, then by that reader (so the
 * a's and the b's of an elementwise op over two strided views each come out in
 * order), with inputs nobody reads (an output that is an input) last.
 */
function inputsInOrder(graph: Graph, reached: Uint8Array, order: "id" | "index" | "first use"): number[] {
  // (typed arrays and no closures: this runs over graphs of millions of nodes, twice per reverse tape)
  const ops = graph.op, as = graph.a, bs = graph.b, size = graph.size;
  const inputs: number[] = [];
  let maxIndex = -1;
  for (let id = 0; id < size; id++) {
    if (!reached[id] || ops[id] !== Op.Input) continue;
    inputs.push(id);
    if (as[id] > maxIndex) maxIndex = as[id];
  }
  if (order === "id") return inputs;
  if (order === "index") { // (each input index has one node: placed, not sorted)
    const byIndex = new Int32Array(maxIndex + 1).fill(-1);
    for (const id of inputs) byIndex[as[id]] = id;
    const placed: number[] = [];
    for (let i = 0; i <= maxIndex; i++) if (byIndex[i] >= 0) placed.push(byIndex[i]);
    return placed;
  }
  // Each input's first reader and operand position, in the order met: readers
  // ascend, so a stable sort by position (counting, linear) orders by position,
  // then reader. Inputs nobody reads follow, by id.
  const reader = new Int32Array(size).fill(-1), position = new Int32Array(size);
  const met = new Int32Array(inputs.length);
  let nMet = 0, maxPosition = 0;
  for (let id = 0; id < size; id++) {
    const op = ops[id];
    if (!reached[id] || op === CONST || op === Op.Input) continue;
    const args = op !== PROJ && isBlock(op) ? graph.args.get(id)! : undefined;
    const count = args ? args.length : op !== PROJ && opArity(op) === 2 ? 2 : 1;
    for (let pos = 0; pos < count; pos++) {
      const operand = args ? args[pos] : pos === 0 ? as[id] : bs[id];
      if (ops[operand] !== Op.Input || reader[operand] >= 0) continue;
      reader[operand] = id;
      position[operand] = pos;
      met[nMet++] = operand;
      if (pos > maxPosition) maxPosition = pos;
    }
  }
  const start = new Int32Array(maxPosition + 2);
  for (let k = 0; k < nMet; k++) start[position[met[k]] + 1]++;
  for (let p = 1; p < start.length; p++) start[p] += start[p - 1];
  const sorted: number[] = new Array(nMet);
  for (let k = 0; k < nMet; k++) sorted[start[position[met[k]]]++] = met[k];
  for (const id of inputs) if (reader[id] < 0) sorted.push(id);
  return sorted;
}

/**
 * The nodes a derivative of the outputs flows through: those the outputs reach by
 * operands other than Keep's guard (its second operand takes no derivative) and
 * a comparison's (none of its operands does; nor does it, being flat). The
 * others compute guards and conditions only.
 */
function adjointsReached(graph: Graph, outputs: readonly number[], reached: Uint8Array): Uint8Array {
  const flows = new Uint8Array(graph.size);
  for (const o of outputs) flows[o] = 1;
  for (let id = graph.size - 1; id >= 0; id--) {
    if (!flows[id] || !reached[id]) continue;
    const op = graph.op[id];
    if (op >= 0 && FLAT[op]) {
      flows[id] = 0;
      continue;
    }
    if (op === CONST || op === Op.Input) continue;
    if (op !== PROJ && isBlock(op)) {
      for (const operand of graph.args.get(id)!) flows[operand] = 1;
    } else {
      flows[graph.a[id]] = 1;
      if (op !== PROJ && op !== Op.Keep && opArity(op) === 2) flows[graph.b[id]] = 1; // (Keep's guard takes none)
    }
  }
  return flows;
}

const MAX_RUN = (1 << 19) - 1;

/**
 * Merges consecutive scalar instructions (and Input loads) of one op into runs:
 * each next instruction writes the next slot and reads the next slot of each
 * operand (or the same slot throughout: a broadcast); an Input run loads every
 * k-th input (k ≥ 1, kept in its b field). An operand range may not
 * overlap the results, so evaluating the run all at once equals one at a time,
 * nor mix constant slots (the first nConst) with computed ones.
 */
function mergeRuns(instr: Int32Array, nConst: number): { instr: Int32Array; maxRun: number } {
  const out = new IntList(instr.length);
  let maxRun = 1;
  for (let k = 0; k < instr.length; ) {
    const op = instr[k], dst = instr[k + 1], a = instr[k + 2], b = instr[k + 3];
    const arity = opArity(op & 0xff);
    let L = 1, flags = 0, inputStride = 0;
    if (arity >= 0) {
      // Modes are fixed by the second instruction: 1 = next slot, 0 = same slot.
      let stepA = -1, stepB = -1;
      for (let j = k + 4; j < instr.length && L < MAX_RUN; j += 4, L++) {
        if (instr[j] !== op || instr[j + 1] !== dst + L) break;
        const da = instr[j + 2] - a, db = instr[j + 3] - b;
        const sa = stepA === -1 ? da : stepA, sb = arity === 2 ? (stepB === -1 ? db : stepB) : 0;
        if (op !== Op.Input && ((sa !== 0 && sa !== 1) || da !== sa * L) || (arity === 2 && ((sb !== 0 && sb !== 1) || db !== sb * L))) break;
        if (op === Op.Input ? sa < 1 || da !== sa * L : overlaps(a, sa, L + 1, dst) || (arity === 2 && overlaps(b, sb, L + 1, dst))) break;
        // The reverse sweep treats an operand range as all constants or none (slots below nConst).
        if (op !== Op.Input && (a < nConst) !== (instr[j + 2] < nConst) || (arity === 2 && (b < nConst) !== (instr[j + 3] < nConst))) break;
        stepA = sa;
        stepB = sb;
      }
      if (L > 1 && stepA === 0) flags |= BROADCAST_A;
      if (L > 1 && arity === 2 && stepB === 0) flags |= BROADCAST_B;
      if (L > 1 && op === Op.Input) inputStride = stepA;
    }
    // (an Input run's b is its input stride)
    out.push4(op | flags | (L > 1 ? L << RUN_SHIFT : 0), dst, a, op === Op.Input ? inputStride : b);
    maxRun = Math.max(maxRun, L);
    k += 4 * L;
  }
  return { instr: out.view(), maxRun };
}

/** Whether operand slots (start, step 0 or 1, for len entries) meet the results dst … dst+len−1. */
function overlaps(start: number, step: number, len: number, dst: number): boolean {
  const last = start + step * (len - 1);
  return start < dst + len && last >= dst;
}
