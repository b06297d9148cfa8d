// The compiler: graph → tape (the format assembly/tape.ts documents).
//
// Only nodes the outputs reach are emitted, in id order (a topological order).
// Constants get the first slots; every other node gets a slot when it is computed
// and gives it back after its last use, so the slot count is the peak number of
// live values, not the node count. Outputs stay live to the end. A destination
// never shares a slot with its own operands (the rules may read operands while
// writing the result).
//
// Reverse mode will need the value of every slot its adjoint rules read; it will
// get its own schedule from the same graph (`compileTape` with `reuseSlots: false`).
import { CONST, Op, opArity } from "./ops.js";
import type { Graph } from "./graph.js";

/** A compiled tape, kept in JavaScript so it can be re-uploaded into a fresh instance. */
export interface TapeData {
  /** nInstr × (op, dst, a, b). */
  readonly instr: Int32Array;
  /** Constant pool; constant i lives in slot i. */
  readonly consts: Float64Array;
  /** Slot holding each output. */
  readonly outSlots: Int32Array;
  readonly nSlots: number;
  readonly nIn: number;
}

export function compileTape(graph: Graph, outputs: readonly number[], nIn: number, reuseSlots = true): TapeData {
  const n = graph.size;
  const reached = new Uint8Array(n);
  for (const o of outputs) reached[o] = 1;
  // ids are topological, so one backward pass marks everything the outputs reach.
  const lastUse = new Int32Array(n).fill(-1);
  for (let id = n - 1; id >= 0; id--) {
    if (!reached[id] || graph.op[id] === CONST || graph.op[id] === Op.Input) continue;
    const arity = opArity(graph.op[id]);
    for (const operand of arity === 2 ? [graph.a[id], graph.b[id]] : [graph.a[id]]) {
      reached[operand] = 1;
      if (lastUse[operand] < id) lastUse[operand] = id;
    }
  }
  for (const o of outputs) lastUse[o] = n; // live to the end

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
  const instr: number[] = [];
  for (let id = 0; id < n; id++) {
    if (!reached[id] || graph.op[id] === CONST) continue;
    const op = graph.op[id];
    const dst = free.length > 0 ? free.pop()! : nSlots++;
    slot[id] = dst;
    if (op === Op.Input) {
      instr.push(op, dst, graph.a[id], 0);
      continue;
    }
    const a = graph.a[id], b = graph.b[id], binary = opArity(op) === 2;
    instr.push(op, dst, slot[a], binary ? slot[b] : 0);
    // Operands whose last reader this is give their slots back, after dst was taken.
    if (!reuseSlots) continue;
    for (const operand of binary && b !== a ? [a, b] : [a]) {
      if (lastUse[operand] === id && graph.op[operand] !== CONST) free.push(slot[operand]);
    }
  }

  return {
    instr: Int32Array.from(instr),
    consts: Float64Array.from(consts),
    outSlots: Int32Array.from(outputs, (o) => slot[o]),
    nSlots,
    nIn,
  };
}
