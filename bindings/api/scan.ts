// scan: a compiled step function applied to a carry a fixed number of times, as
// ONE instruction of the enclosing tape (not unrolled), as JAX's lax.scan.
//
//   carry_{t+1} = step(carry_t, xs[t], params),  t = 0 … length − 1
//
// The instruction's operands are a constant naming the scan (its entry below),
// then the initial carry's entries, every xs entry and the params' entries; its
// results are the final carry. The core runs it by calling back here
// (assembly/core/blocks.ts scanBlock) with the rows of the block of points in
// hand, and this runs the step's own compiled function over those points:
// - values: `length` batch evaluations;
// - forward lanes: the carries, then per lane `length` Jacobian-vector products;
// - adjoints: the carries again (kept: memory ∝ length × carry × points), then
//   per lane `length` vector-Jacobian products backwards, adding into the
//   operands' adjoints (xs[t] at its step, params summed over the steps).
// Second derivatives through a scan are refused (ir/gradient.ts).
import { InputError, ShapeError } from "../base/errors.js";
import { Tensor, describeShape, sameShape } from "../base/tensor.js";
import { Node, type Operand } from "../front/node.js";
import { graphOf } from "../front/tensor-ops.js";
import { Op } from "../ops/grammar.js";
import { f64, i32, setScanHandler } from "../runtime/loader.js";
import { Func } from "./func.js";

/** Options of `scan`. */
export interface ScanOptions {
  /** Steps (a whole number ≥ 0); with `xs`, its leading extent (and may be left out). */
  length?: number;
  /** Per-step inputs: step t reads xs[t] (leading axis = length) as the step's second input. */
  xs?: Operand;
  /** Inputs every step reads (weights, a time step): the step's last input. */
  params?: Operand;
}

/** What the core's scan instruction names: the step and the operand layout. */
interface ScanEntry {
  step: Func;
  length: number;
  /** The step's input names, in order: carry, then x (with xs), then params (with params). */
  names: string[];
  shapes: (readonly number[])[];
  sizes: number[];
  hasXs: boolean;
}

const entries: ScanEntry[] = [];
/** Entries by step and layout, so tracing the same scan again reuses its entry. */
const known = new WeakMap<Func, Map<string, number>>();

/**
 * `step` (a compiled function of the carry, then xs[t] if `xs` is given, then
 * `params` if given, returning the next carry, of the carry's shape) applied
 * `length` times to `init`: the final carry, a traced node of init's shape.
 * Compiled as one instruction however many steps: the tape does not grow with
 * `length`. Forward and reverse mode (every first-derivative method) go through
 * it; second derivatives through a scan are not supported yet.
 *
 *   const step = fn({ s: [n] }, ({ s }) => s.add(s.tanh().mul(dt)));
 *   const ode = fn({ s0: [n] }, ({ s0 }) => scan(step, s0, { length: 100 }).sum());
 */
export function scan(step: Func, init: Operand, options: ScanOptions = {}): Node {
  if (!(step instanceof Func)) throw new InputError("scan's step must be a compiled function (fn or compile)");
  if (typeof options !== "object" || options === null) throw new InputError("scan's options must be an object");
  const operands = [init, options.xs, options.params].filter((o) => o !== undefined) as Operand[];
  const graph = graphOf(operands);
  if (!graph) throw new InputError("scan needs a traced value (inside an fn body) as init, xs or params");
  const carry = Node.constant(graph, init);
  const xs = options.xs === undefined ? undefined : Node.constant(graph, options.xs);
  const params = options.params === undefined ? undefined : Node.constant(graph, options.params);
  if (xs && xs.rank === 0) throw new ShapeError("scan's xs needs a leading axis (one entry per step)");
  const length = options.length ?? xs?.shape[0];
  if (length === undefined || !Number.isInteger(length) || length < 0) {
    throw new InputError(`scan's length must be a whole number ≥ 0 (or given by xs), got ${String(options.length)}`);
  }
  if (xs && xs.shape[0] !== length) throw new ShapeError(`scan's xs has ${xs.shape[0]} steps along its first axis, but length is ${length}`);
  const wanted = [carry.shape, ...(xs ? [xs.shape.slice(1)] : []), ...(params ? [params.shape] : [])];
  const what = ["the carry", ...(xs ? ["xs[t]"] : []), ...(params ? ["params"] : [])];
  if (step.inputs.length !== wanted.length) {
    throw new ShapeError(`scan's step takes ${step.inputs.length} inputs; it needs ${wanted.length} (${what.join(", ")})`);
  }
  step.inputs.forEach((d, i) => {
    if (!sameShape(d.shape, wanted[i])) throw new ShapeError(`scan's step input '${d.name}' has shape ${describeShape(d.shape)}; ${what[i]} has ${describeShape(wanted[i])}`);
  });
  if (!sameShape(step.outputShape, carry.shape)) {
    throw new ShapeError(`scan's step returns shape ${describeShape(step.outputShape)}; the carry has ${describeShape(carry.shape)}`);
  }
  const id = entryFor(step, length, xs !== undefined);
  const args = [graph.constant(id), ...carry.ids, ...(xs?.ids ?? []), ...(params?.ids ?? [])];
  return Node.of(graph, carry.shape, graph.block(Op.Scan, args, carry.size));
}

function entryFor(step: Func, length: number, hasXs: boolean): number {
  const byLayout = known.get(step) ?? known.set(step, new Map()).get(step)!;
  const key = `${length}:${hasXs}`;
  let id = byLayout.get(key);
  if (id === undefined) {
    id = entries.length;
    entries.push({ step, length, hasXs, names: step.inputs.map((d) => d.name), shapes: step.inputs.map((d) => d.shape), sizes: step.inputs.map((d) => d.size) });
    byLayout.set(key, id);
  }
  return id;
}

// ── The core's callback ─────────────────────────────────────────────────────

/** Slots of a list [length, slot, …] at a byte address (copied: memory may move under later calls). */
function slotList(address: number): number[] {
  const I = i32(), at = address >> 2;
  return Array.from(I.subarray(at + 1, at + 1 + I[at]));
}

/** The rows of `slots` (lane `lane` of K when K > 0) for n points, as [n, slots.length]. */
function gather(base: number, slots: readonly number[], B: number, n: number, K = 0, lane = 0, live?: (slot: number) => boolean): Float64Array {
  const F = f64(), out = new Float64Array(n * slots.length), w = slots.length;
  slots.forEach((s, i) => {
    if (live && !live(s)) return; // a structural zero
    const row = (base >> 3) + ((K ? s * K + lane : s) * B);
    for (let p = 0; p < n; p++) out[p * w + i] = F[row + p];
  });
  return out;
}

/** data [n, slots.length] into the rows of `slots` (lane of K), written or (`add`) added to. */
function scatter(base: number, slots: readonly number[], data: Float64Array, B: number, n: number, K: number, lane: number, add: boolean, nConst = 0): void {
  const F = f64(), w = slots.length;
  slots.forEach((s, i) => {
    if (add && s < nConst) return; // constants take no adjoint
    const row = (base >> 3) + ((K ? s * K + lane : s) * B);
    for (let p = 0; p < n; p++) F[row + p] = add ? F[row + p] + data[p * w + i] : data[p * w + i];
  });
}

/** The step's inputs for n points at step t: a record of batches by input name. */
function stepPoint(e: ScanEntry, n: number, carry: Float64Array, xs: Float64Array | undefined, t: number, params: Float64Array | undefined) {
  const point: Record<string, Tensor> = { [e.names[0]]: new Tensor([n, ...e.shapes[0]], carry) };
  let k = 1;
  if (xs) {
    const size = e.sizes[k], steps = e.length, x = new Float64Array(n * size);
    for (let p = 0; p < n; p++) x.set(xs.subarray((p * steps + t) * size, (p * steps + t + 1) * size), p * size);
    point[e.names[k]] = new Tensor([n, ...e.shapes[k]], x);
    k++;
  }
  if (params) point[e.names[k]] = new Tensor([n, ...e.shapes[k]], params);
  return point;
}

/** A method's result for a batch: its data (a Tensor), or per input name with several inputs. */
const dataOf = (r: unknown): Float64Array => (r instanceof Tensor ? r.data : (r as Float64Array));

setScanHandler((kind, dst, a, vals, rows, masks, B, K, n, laneMask, nConst) => {
  const A = slotList(a), D = slotList(dst);
  const e = entries[f64()[(vals >> 3) + A[0] * B]];
  const c = e.sizes[0], T = e.length, hasXs = e.hasXs;
  const xSize = hasXs ? e.sizes[1] : 0, pSize = A.length - 1 - c - T * xSize;
  const carrySlots = A.slice(1, 1 + c), xSlots = A.slice(1 + c, 1 + c + T * xSize), pSlots = A.slice(1 + c + T * xSize);
  const xs = hasXs ? gather(vals, xSlots, B, n) : undefined, params = pSize ? gather(vals, pSlots, B, n) : undefined;
  // The carries c_0 … c_T (only the last is kept for values).
  const carries = [gather(vals, carrySlots, B, n)];
  for (let t = 0; t < T; t++) {
    const next = dataOf(e.step.eval(stepPoint(e, n, carries[carries.length - 1], xs, t, params)));
    if (kind === 0) carries[0] = next;
    else carries.push(next);
  }
  if (kind !== 2) scatter(vals, D, carries[carries.length - 1], B, n, 0, 0, false);
  if (kind === 0) return;
  const M = i32(), live = (lane: number) => (s: number) => s >= nConst && (M[(masks >> 2) + s] & (1 << lane)) !== 0;
  for (let lanes = laneMask, l = 0; lanes; lanes >>>= 1, l++) {
    if (!(lanes & 1)) continue;
    if (kind === 1) { // tangents forward through the steps
      let dot = gather(rows, carrySlots, B, n, K, l, live(l));
      const xdot = hasXs ? gather(rows, xSlots, B, n, K, l, live(l)) : undefined;
      const pdot = pSize ? gather(rows, pSlots, B, n, K, l, live(l)) : undefined;
      for (let t = 0; t < T; t++) {
        dot = dataOf(e.step.jvp(stepPoint(e, n, carries[t], xs, t, params), stepPoint(e, n, dot, xdot, t, pdot)));
      }
      scatter(rows, D, dot, B, n, K, l, false);
      continue;
    }
    // adjoints backward through the steps
    let bar = gather(rows, D, B, n, K, l, live(l));
    const pbar = new Float64Array(n * pSize);
    for (let t = T - 1; t >= 0; t--) {
      const cotangent = new Tensor([n, ...e.shapes[0]], bar);
      const pulled = e.step.vjp(stepPoint(e, n, carries[t], xs, t, params), cotangent);
      const byInput = e.names.length === 1 ? { [e.names[0]]: pulled } : (pulled as Record<string, unknown>);
      bar = dataOf(byInput[e.names[0]]);
      if (hasXs) scatter(rows, xSlots.filter((_, i) => Math.floor(i / xSize) === t), dataOf(byInput[e.names[1]]), B, n, K, l, true, nConst);
      if (pSize) {
        const step = dataOf(byInput[e.names[e.names.length - 1]]);
        for (let k = 0; k < pbar.length; k++) pbar[k] += step[k];
      }
    }
    scatter(rows, carrySlots, bar, B, n, K, l, true, nConst);
    if (pSize) scatter(rows, pSlots, pbar, B, n, K, l, true, nConst);
  }
});
