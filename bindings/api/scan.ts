// scan: a compiled step function applied to a carry a fixed number of times, as
// ONE instruction of the enclosing tape (not unrolled), as JAX's lax.scan.
//
//   carry_{t+1} = step(carry_t, xs[t], params),  t = 0 … length − 1
//
// The instruction's operands are a constant naming the scan (its entry below),
// then the initial carry's entries, every xs entry and the params' entries; its
// results are the final carry. The core runs it by calling back here
// (assembly/core/blocks.ts hostBlock) with the rows of the block of points in
// hand, and this runs the step's own compiled function over those points:
// - values: `length` batch evaluations;
// - forward lanes: per step a Jacobian-vector product per lane, then the next
//   carry (nothing kept);
// - adjoints: the carries the sweep's forward pass kept (every one: memory ∝
//   length × carry × points; or every k-th with `checkpoint: k`, the rest
//   recomputed), then per lane `length` vector-Jacobian products backwards,
//   adding into the operands' adjoints (xs[t] at its step, params summed over
//   the steps).
// Second derivatives through a scan are refused (it gives no partials as graph
// nodes: ir/host-blocks.ts).
import { checkOptions } from "./validate.js";
import { InputError, ShapeError } from "../base/errors.js";
import { Tensor, describeShape, sameShape } from "../base/tensor.js";
import { Node, type Operand } from "../front/node.js";
import { graphOf } from "../front/tensor-ops.js";
import { HostKind } from "../ops/abi.js";
import { addHostBlock, hostNodes, type HostRequest } from "../ir/host-blocks.js";
import { f64, i32 } from "../runtime/loader.js";
import { Func } from "./func.js";
import { StepLiveness } from "./scan-liveness.js";

/** Options of `scan`. */
export interface ScanOptions {
  /** Steps (a whole number ≥ 0); with `xs`, its leading extent (and may be left out). */
  length?: number;
  /** Per-step inputs: step t reads xs[t] (leading axis = length) as the step's second input. */
  xs?: Operand;
  /** Inputs every step reads (weights, a time step): the step's last input. */
  params?: Operand;
  /**
   * Reverse mode keeps every carry (memory ∝ length × carry); with `checkpoint: k`
   * it keeps every k-th and recomputes each stretch of k steps from it (memory ∝
   * (length/k + k) × carry, least at k ≈ √length, for one more evaluation per step).
   */
  checkpoint?: number;
}

/** What the core's host instruction names for a scan: the step and the operand layout. */
interface ScanEntry {
  step: Func;
  length: number;
  /** The step's input names, in order: carry, then x (with xs), then params (with params). */
  names: string[];
  shapes: (readonly number[])[];
  sizes: number[];
  hasXs: boolean;
  /** Adjoints keep every `checkpoint`-th carry and recompute the rest (1: keep them all). */
  checkpoint: number;
  /** What the step's Jacobian pattern says about structural zeros (made at the first derivative through it). */
  liveness?: StepLiveness;
}

/** Host block ids by step and layout, so tracing the same scan again reuses its entry. */
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
 * @param step a compiled function of the carry (then xs[t], then params)
 * @param init the first carry, a traced value
 * @param options `length`, `xs`, `params`, `checkpoint`
 * @example
 * ```ts
 * import { fn, scan } from "gradients";
 * const decay = fn({ s: [2] }, ({ s }) => s.mul(0.5));
 * const f = fn({ s0: [2] }, ({ s0 }) => scan(decay, s0, { length: 3 }).sum());
 * const g = f.grad([8, 16]); // [0.125, 0.125]
 * ```
 */
export function scan(step: Func, init: Operand, options: ScanOptions = {}): Node {
  if (!(step instanceof Func)) throw new InputError("scan's step must be a compiled function (fn or compile)");
  checkOptions(options, ["length", "xs", "params", "checkpoint"], "scan");
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
  const checkpoint = options.checkpoint ?? 1;
  if (!Number.isInteger(checkpoint) || checkpoint < 1) throw new InputError(`scan's checkpoint must be a whole number ≥ 1, got ${String(options.checkpoint)}`);
  const id = entryFor(step, length, xs !== undefined, checkpoint);
  return Node.of(graph, carry.shape, hostNodes(graph, id, [...carry.ids, ...(xs?.ids ?? []), ...(params?.ids ?? [])], carry.size));
}

function entryFor(step: Func, length: number, hasXs: boolean, checkpoint: number): number {
  const byLayout = known.get(step) ?? known.set(step, new Map()).get(step)!;
  const key = `${length}:${hasXs}:${checkpoint}`;
  let id = byLayout.get(key);
  if (id === undefined) {
    const entry: ScanEntry = { step, length, hasXs, checkpoint, names: step.inputs.map((d) => d.name), shapes: step.inputs.map((d) => d.shape), sizes: step.inputs.map((d) => d.size) };
    id = addHostBlock({
      name: "scan", run: (request) => runScan(entry, request),
      refusal: "second derivatives (hessian, hvp, hessianDiagonal, laplacian) through scan are not supported yet; first derivatives are",
    });
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

/**
 * The carries a reverse sweep's forward pass computed (HostKind.KeptValues), by the scan's
 * result list and value rows, for its adjoints (HostKind.Adjoints) to take: the same block
 * of points in between, so they are still right. Where no adjoint reaches the
 * scan they are never taken: the next reverse sweep replaces them, and more
 * than MAX_KEPT sets (instructions × nesting) are dropped.
 */
const kept = new Map<string, Float64Array[]>();
const MAX_KEPT = 64;

/** The core's request at a scan's instruction (see the head of this file). */
function runScan(e: ScanEntry, { kind, dst, a, vals, rows, masks, B, K, n, laneMask, nConst }: HostRequest): void {
  const A = slotList(a), D = slotList(dst);
  const c = e.sizes[0], T = e.length, hasXs = e.hasXs, every = e.checkpoint;
  const xSize = hasXs ? e.sizes[1] : 0, pSize = A.length - 1 - c - T * xSize;
  const carrySlots = A.slice(1, 1 + c), xSlots = A.slice(1 + c, 1 + c + T * xSize), pSlots = A.slice(1 + c + T * xSize);
  const xs = hasXs ? gather(vals, xSlots, B, n) : undefined, params = pSize ? gather(vals, pSlots, B, n) : undefined;
  const point = (carry: Float64Array, t: number) => stepPoint(e, n, carry, xs, t, params);
  /** c_{t+1} from c_t, into `out` (which may be c_t: a point is copied in before results are written). */
  const advance = (carry: Float64Array, t: number, out: Float64Array = new Float64Array(n * c)) => {
    e.step.eval(point(carry, t), { out });
    return out;
  };
  // (the masks are read through a view taken at each use: the step's rules are the user's code, and a rule
  // that grows unshared memory detaches the views taken before it)
  const live = (lane: number) => (s: number) => s >= nConst && (i32()[(masks >> 2) + s] & (1 << lane)) !== 0;
  const liveness = (e.liveness ??= new StepLiveness(e.step.jacobianStructure(), c, xSize, pSize));
  const lanes: number[] = [];
  for (let l = 0; l < 32; l++) if (laneMask & (1 << l)) lanes.push(l);

  if (kind === HostKind.Values) { // one carry, updated in place
    const carry = gather(vals, carrySlots, B, n);
    for (let t = 0; t < T; t++) advance(carry, t, carry);
    scatter(vals, D, carry, B, n, 0, 0, false);
    return;
  }
  if (kind === HostKind.Tangents) { // values and tangent lanes, step by step together: nothing kept
    const carry = gather(vals, carrySlots, B, n);
    const dots = lanes.map((l) => gather(rows, carrySlots, B, n, K, l, live(l)));
    const xdots = lanes.map((l) => (hasXs ? gather(rows, xSlots, B, n, K, l, live(l)) : undefined));
    const pdots = lanes.map((l) => (pSize ? gather(rows, pSlots, B, n, K, l, live(l)) : undefined));
    // Per lane, which of the step's inputs carry a tangent at all, and so which carry entries do
    // (scan-liveness.ts): the others are set to exactly 0 after each step.
    const inputLive = lanes.map((l) => {
      const flags = new Uint8Array(liveness.width);
      carrySlots.forEach((slot, j) => { flags[j] = +live(l)(slot); });
      pSlots.forEach((slot, j) => { flags[c + xSize + j] = +live(l)(slot); });
      return flags;
    });
    const whole = inputLive.map((flags) => liveness.allLive(flags));
    for (let t = 0; t < T; t++) {
      lanes.forEach((l, i) => {
        const flags = inputLive[i];
        let xsLive = true;
        for (let j = 0; j < xSize; j++) xsLive = (flags[c + j] = +live(l)(xSlots[t * xSize + j])) === 1 && xsLive;
        const next = dataOf(e.step.jvp(point(carry, t), stepPoint(e, n, dots[i], xdots[i], t, pdots[i])));
        dots[i] = next;
        if (whole[i] && xsLive) return; // (every input live, every output reads one: all stay live)
        liveness.forwardStep(flags, next, n);
        whole[i] = liveness.allLive(flags);
      });
      advance(carry, t, carry);
    }
    scatter(vals, D, carry, B, n, 0, 0, false);
    lanes.forEach((l, i) => scatter(rows, D, dots[i], B, n, K, l, false));
    return;
  }
  // Adjoints need c_t at every step, backwards: the forward pass keeps c_0, c_k, c_2k, …
  // (every step without checkpointing), and each stretch of k steps is recomputed from its first.
  const key = `${dst}:${vals}:${n}`;
  let checkpoints = kind === HostKind.Adjoints ? kept.get(key) : undefined;
  kept.delete(key);
  if (!checkpoints) {
    checkpoints = [gather(vals, carrySlots, B, n)];
    let carry = checkpoints[0];
    for (let t = 0; t < T; t++) {
      carry = advance(carry, t);
      if ((t + 1) % every === 0 && t + 1 < T) checkpoints.push(carry);
    }
    if (kind === HostKind.KeptValues) scatter(vals, D, carry, B, n, 0, 0, false);
  }
  if (kind === HostKind.KeptValues) {
    if (kept.size >= MAX_KEPT) kept.clear();
    kept.set(key, checkpoints);
    return;
  }
  const bars = lanes.map((l) => gather(rows, D, B, n, K, l, live(l)));
  const pbars = lanes.map(() => new Float64Array(n * pSize));
  // Per lane and point, which carry entries' adjoints anything reaches: a live lane whose cotangent
  // at that point is not exactly 0 (an unused result's never is; the core's masks do not say, with
  // every lane live). Step by step back, the step's inputs that no reached output reads get exactly 0
  // at that point (scan-liveness.ts). Point by point, so that a point's results do not depend on the
  // others in its block.
  const reached = lanes.map((l, i) => {
    const flags = new Uint8Array(n * c);
    D.forEach((slot, o) => { if (live(l)(slot)) for (let q = 0; q < n; q++) flags[q * c + o] = +(bars[i][q * c + o] !== 0); });
    return flags;
  });
  const wholeBars = reached.map((flags) => liveness.allReached(flags));
  for (let start = Math.floor((T - 1) / every) * every; start >= 0; start -= every) {
    const stretch = [checkpoints[start / every]];
    for (let t = start; t < Math.min(start + every, T) - 1; t++) stretch.push(advance(stretch[stretch.length - 1], t));
    for (let t = Math.min(start + every, T) - 1; t >= start; t--) {
      lanes.forEach((l, i) => {
        const pulled = e.step.vjp(point(stretch[t - start], t), new Tensor([n, ...e.shapes[0]], bars[i]));
        const byInput = e.names.length === 1 ? { [e.names[0]]: pulled } : (pulled as Record<string, unknown>);
        // (every carry entry reached, each read by some output: every input some output reads is reached,
        // and the vjp's adjoint of one no output reads is 0 already: nothing to set, all stay reached)
        const inputReached = wholeBars[i] ? undefined : liveness.backwardStep(reached[i], n);
        if (inputReached) wholeBars[i] = liveness.allReached(reached[i]);
        const onlyReachedOf = (data: Float64Array, size: number, offset: number) => (inputReached ? liveness.onlyReached(data, size, offset, inputReached, n) : data);
        bars[i] = onlyReachedOf(dataOf(byInput[e.names[0]]), c, 0);
        if (hasXs) scatter(rows, xSlots.slice(t * xSize, (t + 1) * xSize), onlyReachedOf(dataOf(byInput[e.names[1]]), xSize, c), B, n, K, l, true, nConst);
        if (pSize) {
          const step = onlyReachedOf(dataOf(byInput[e.names[e.names.length - 1]]), pSize, c + xSize), pbar = pbars[i];
          for (let k = 0; k < pbar.length; k++) pbar[k] += step[k];
        }
      });
    }
  }
  lanes.forEach((l, i) => {
    scatter(rows, carrySlots, bars[i], B, n, K, l, true, nConst);
    if (pSize) scatter(rows, pSlots, pbars[i], B, n, K, l, true, nConst);
  });
}
