// Host blocks: work the WebAssembly core hands back to JavaScript, one block of
// points per call — a scan's steps (api/scan.ts) and the rules of a primitive a
// user defined by code (api/user-functions.ts). In the graph a host block is an
// Op.Host node whose first operand is a constant naming its entry here; the
// core runs it through its imported hostBlock (assembly/core/blocks.ts), and
// runtime/loader.ts passes each call to the entry's `run`.
import { InputError } from "../base/errors.js";
import { Op } from "../ops/grammar.js";
import type { Graph } from "./graph.js";

/** The core's request at a host instruction: its arguments as assembly/core/blocks.ts hostBlock passes them. */
export interface HostRequest {
  /** A HostKind (ops/abi.ts): values, values and tangent lanes, adjoints, values kept for the adjoints. */
  kind: number;
  /** Byte addresses of the result and operand slot lists ([length, slot, …]; operand 0 is the entry id's constant). */
  dst: number;
  a: number;
  /** Value rows (slot s, point p at vals + (s·B + p)·8) and tangent or adjoint rows (lane l of slot s at rows + ((s·K + l)·B + p)·8). */
  vals: number;
  rows: number;
  /** Live lanes per slot (u32 bit masks). */
  masks: number;
  B: number;
  K: number;
  /** Points in this block. */
  n: number;
  /** The lanes to compute. */
  laneMask: number;
  /** Slots below this are constants (they take no adjoint). */
  nConst: number;
}

export interface HostBlock {
  /** What it is, for messages ("scan", "defineFunction 'lbeta'"). */
  readonly name: string;
  /** Does the work a request names, reading and writing the core's rows. */
  run(request: HostRequest): void;
  /**
   * ∂(its one result)/∂(each operand after the id), as graph nodes: second
   * derivatives differentiate these. Absent: second order is refused with `refusal`.
   */
  partials?(g: Graph, operands: readonly number[]): number[];
  /** Why second derivatives through it are refused (when `partials` is absent). */
  readonly refusal?: string;
}

const entries: HostBlock[] = [];

/** Registers a host block; returns the id its instructions carry. */
export function addHostBlock(block: HostBlock): number {
  entries.push(block);
  return entries.length - 1;
}

/** The host block an id names. */
export function hostBlock(id: number): HostBlock {
  return entries[id];
}

/** The results (`count` node ids) of host block `id` applied to `operands`. */
export function hostNodes(g: Graph, id: number, operands: readonly number[], count: number): number[] {
  return g.block(Op.Host, [g.constant(id), ...operands], count);
}

/** The host block of an Op.Host graph node. */
export function hostBlockOf(g: Graph, node: number): HostBlock {
  return entries[g.value[g.args.get(node)![0]]];
}

/** ∂result/∂operands of an Op.Host node as graph nodes, or an InputError saying why there are none. */
export function hostPartials(g: Graph, node: number): number[] {
  const block = hostBlockOf(g, node);
  if (!block.partials) throw new InputError(block.refusal ?? `second derivatives through ${block.name} are not supported`);
  return block.partials(g, g.args.get(node)!.slice(1));
}

/** Whether second derivatives through some host block of the graph are refused. */
export function refusesSecondOrder(g: Graph): boolean {
  for (const [node] of g.args) if (g.op[node] === Op.Host && !hostBlockOf(g, node).partials) return true;
  return false;
}
