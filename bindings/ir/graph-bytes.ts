// A compiled function's byte form: the part of its graph the outputs reach, and
// its inputs and output shape. The tapes, fused modules and compiled tier are
// rebuilt from the graph where the bytes are read (compilation is deterministic,
// so they come out the same and give the same bits), which keeps the byte form
// a fraction of their size and independent of the machine's compiled tier.
//
// Layout (little-endian): "GRDF", u32 format version, u32 build id (runtime/build-id.ts),
// u32 header length, the header as JSON (names and shapes), padding to 8, then
// the node table: constants' values (f64), op, a, b per node (i32), and each
// block node's operand list as [length, id, …] (i32), in node order; last, the
// CRC-32 of everything before it (u32), so that damaged bytes are refused.
import { crc32 } from "../base/crc32.js";
import { InputError } from "../base/errors.js";
import { CONST, OP_NAMES, Op, PROJ, isBlock } from "../ops/grammar.js";
import { eachOperand, Graph, operandOrder, resultCount } from "./graph.js";

/** Bumped whenever the layout above changes. */
const FORMAT = 2;
const MAGIC = 0x46445247; // "GRDF" read as a little-endian u32

/** What a function is, apart from its graph: as Func's constructor takes it. */
export interface FunctionParts {
  inputs: readonly { name: string; shape: readonly number[] }[];
  outputShape: readonly number[];
  vars: readonly string[];
}

interface Header extends FunctionParts {
  nodes: number;
  constants: number;
  argWords: number;
  outputs: number[];
}

/**
 * The nodes `outputs` reach, renumbered in their old order (a topological order
 * still), with each reached condition's negation: ir/branches.ts recognizes a
 * where's branches by it when a derivative of the function is built.
 */
function reached(g: Graph, outputs: readonly number[]): Int32Array {
  const keep = new Uint8Array(g.size);
  for (const o of outputs) keep[o] = 1;
  for (let id = g.size - 1; id >= 0; id--) if (keep[id]) eachOperand(g, id, (operand) => { keep[operand] = 1; });
  for (let id = 0; id < g.size; id++) if (g.op[id] === Op.Not && keep[g.a[id]]) keep[id] = 1;
  const newId = new Int32Array(g.size).fill(-1);
  let next = 0;
  for (let id = 0; id < g.size; id++) if (keep[id]) newId[id] = next++;
  return newId;
}

/** The byte form of the function whose graph is `g` and outputs `outputs` (see the layout above), stamped with `build`. */
export function encodeFunction(g: Graph, outputs: readonly number[], parts: FunctionParts, build: number): Uint8Array {
  const newId = reached(g, outputs);
  const ids: number[] = [];
  for (let id = 0; id < g.size; id++) if (newId[id] >= 0) ids.push(id);
  const constants: number[] = [], args: number[] = [];
  const op = new Int32Array(ids.length), a = new Int32Array(ids.length), b = new Int32Array(ids.length);
  const renumber = (id: number) => (id < 0 ? id : newId[id]);
  ids.forEach((id, i) => {
    op[i] = g.op[id];
    if (op[i] === Op.Host) {
      throw new InputError("this function calls JavaScript from the core (a scan, or a function defined by code), which cannot be serialized or sent to a worker");
    }
    if (op[i] === CONST) constants.push(g.value[id]);
    // An Input's `a` is its index and a block's `b` its result count; PROJ's `b` is an index too.
    a[i] = op[i] === Op.Input || op[i] === CONST || isBlock(op[i]) ? g.a[id] : renumber(g.a[id]);
    b[i] = op[i] === PROJ || op[i] === CONST || op[i] === Op.Input || isBlock(op[i]) ? g.b[id] : renumber(g.b[id]);
    if (isBlock(op[i])) {
      const list = g.args.get(id)!;
      args.push(list.length, ...[...list].map(renumber));
    }
  });
  const header: Header = {
    inputs: parts.inputs.map((d) => ({ name: d.name, shape: [...d.shape] })),
    outputShape: [...parts.outputShape], vars: [...parts.vars],
    nodes: ids.length, constants: constants.length, argWords: args.length, outputs: outputs.map(renumber),
  };
  const json = new TextEncoder().encode(JSON.stringify(header));
  const tableAt = (16 + json.length + 7) & ~7;
  const bytes = new Uint8Array(tableAt + 8 * constants.length + 4 * (3 * ids.length + args.length) + 4);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, MAGIC, true);
  view.setUint32(4, FORMAT, true);
  view.setUint32(8, build, true);
  view.setUint32(12, json.length, true);
  bytes.set(json, 16);
  let at = tableAt;
  for (const v of constants) { view.setFloat64(at, v, true); at += 8; }
  for (const column of [op, a, b, args]) for (const word of column) { view.setInt32(at, word, true); at += 4; }
  view.setUint32(at, crc32(bytes.subarray(0, at)), true);
  return bytes;
}

/** The graph, outputs and parts a byte form holds; an InputError if the bytes are not one build `build` wrote. */
export function decodeFunction(bytes: unknown, build: number): { graph: Graph; outputs: number[]; parts: FunctionParts } {
  if (!(bytes instanceof Uint8Array)) throw new InputError("deserialize takes the Uint8Array that serialize() returned");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 16 || view.getUint32(0, true) !== MAGIC) throw new InputError("these bytes are not a serialized gradients function");
  const format = view.getUint32(4, true), writer = view.getUint32(8, true);
  if (format !== FORMAT || writer !== build) {
    throw new InputError(`this function was serialized by another build of gradients (format ${format}, build ${hex(writer)}); ` +
      `this one reads format ${FORMAT}, build ${hex(build)}: serialize it again with this version`);
  }
  try {
    if (bytes.length < 20 || view.getUint32(bytes.length - 4, true) !== crc32(bytes.subarray(0, bytes.length - 4))) {
      throw new Error("their checksum does not match: bytes were changed or cut after serialize() wrote them");
    }
    const length = view.getUint32(12, true);
    const header = checkHeader(JSON.parse(new TextDecoder().decode(bytes.subarray(16, 16 + length))));
    let at = (16 + length + 7) & ~7;
    if (bytes.length !== at + 8 * header.constants + 4 * (3 * header.nodes + header.argWords) + 4) throw new Error("the node table's length is wrong");
    const constants = new Float64Array(header.constants);
    for (let i = 0; i < constants.length; i++, at += 8) constants[i] = view.getFloat64(at, true);
    const words = (count: number) => {
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++, at += 4) out[i] = view.getInt32(at, true);
      return out;
    };
    const n = header.nodes, op = words(n), a = words(n), b = words(n), argWords = words(header.argWords);
    const value = new Float64Array(n).fill(NaN), args = new Map<number, number[]>();
    let w = 0;
    for (let id = 0, c = 0; id < n; id++) {
      if (op[id] === CONST) value[id] = constants[c++];
      if (isBlock(op[id])) {
        if (!(w < argWords.length && argWords[w] >= 1 && w + 1 + argWords[w] <= argWords.length)) throw new Error(`block ${id}'s operands are cut short`);
        const list = [...argWords.subarray(w + 1, w + 1 + argWords[w])];
        checkBlock(op[id], list.length, b[id], id);
        args.set(id, list);
        w += 1 + list.length;
      }
    }
    if (w !== argWords.length) throw new Error("there are operand words no block reads");
    const graph = Graph.of({ op, a, b, value, args }), inputCount = header.vars.length, seenInputs = new Uint8Array(inputCount);
    const projected = new Set<string>();
    for (let id = 0; id < n; id++) {
      const known = op[id] === CONST || op[id] === PROJ || (op[id] >= 0 && op[id] < OP_NAMES.length && op[id] !== Op.Host);
      if (!known || (op[id] === Op.Input && !(a[id] >= 0 && a[id] < inputCount))) throw new Error(`node ${id} is not valid`);
      if (op[id] === Op.Input && (seenInputs[a[id]]++ > 0)) throw new Error(`input ${a[id]} has two nodes`);
      // a projection reads result b of a block that has that many
      if (op[id] === PROJ && !(a[id] >= 0 && a[id] < id && isBlock(op[a[id]]) && b[id] >= 0 && b[id] < b[a[id]])) throw new Error(`node ${id} projects no result`);
      // …and is the only one that does (the core places each result once)
      if (op[id] === PROJ && projected.size === projected.add(`${a[id]}:${b[id]}`).size) throw new Error(`node ${id} projects a result another node does`);
      // only a projection reads a block; everything else reads numbers
      eachOperand(graph, id, (operand) => {
        if (!(operand >= 0 && operand < id)) throw new Error(`node ${id} reads node ${operand}`);
        if (op[id] !== PROJ && isBlock(op[operand])) throw new Error(`node ${id} reads block ${operand} as a number`);
      });
    }
    if (header.outputs.some((o) => !(o >= 0 && o < n) || isBlock(op[o]))) throw new Error("an output is not a value node");
    return { graph, outputs: header.outputs, parts: header };
  } catch (cause) {
    throw new InputError(`these bytes are a damaged serialized function (${(cause as Error).message})`);
  }
}

/** A block node's operand and result counts must be what its op makes (ir/graph.ts): else an Error. */
function checkBlock(op: number, operands: number, results: number, id: number): void {
  const k = operandOrder(op, operands);
  if (!(Number.isInteger(k) && k >= 1 && results === resultCount(op, k))) {
    throw new Error(`block ${id} has ${operands} operands and ${results} results, which its op does not make`);
  }
}

const isCount = (x: unknown): x is number => Number.isSafeInteger(x) && (x as number) >= 0;
const isShape = (x: unknown): x is number[] => Array.isArray(x) && x.every(isCount);
const size = (shape: readonly number[]) => shape.reduce((p, k) => p * k, 1);

/** The header, if every field is what encodeFunction writes and they agree with each other. */
function checkHeader(h: Header): Header {
  const valid = typeof h === "object" && h !== null && Array.isArray(h.inputs) && h.inputs.length > 0 &&
    h.inputs.every((d) => typeof d?.name === "string" && isShape(d.shape)) && isShape(h.outputShape) &&
    Array.isArray(h.vars) && h.vars.every((v) => typeof v === "string") && isCount(h.nodes) && isCount(h.constants) &&
    isCount(h.argWords) && Array.isArray(h.outputs) && h.outputs.every(isCount) && h.outputs.length === size(h.outputShape) &&
    h.vars.length === h.inputs.reduce((t, d) => t + size(d.shape), 0) && new Set(h.inputs.map((d) => d.name)).size === h.inputs.length;
  if (!valid) throw new Error("the header is not valid");
  return h;
}

const hex = (x: number) => x.toString(16).padStart(8, "0");
