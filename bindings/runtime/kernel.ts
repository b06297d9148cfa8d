// A compiled tape's home in WASM memory, and the one place that runs sweeps on it.
//
// A Kernel owns three regions: the tape, a workspace for the sweeps' blocks, and a
// scratch region for one call's descriptor, seeds, points and results. The sweeps
// never call back into JavaScript, so reusing the kernel's own regions across
// calls is safe. Batches are cut into chunks so the scratch region stays bounded
// however many points a call brings.
import { allocate, core, f64, finalizing, generation, i32, removeFunctions, throwHostError, trapped } from "./loader.js";
import type { TapeData } from "../compiler/tape.js";
import type { Coloring } from "../ir/sparsity.js";
import { Kind } from "../ops/abi.js";
import { DESCRIPTOR_BYTES, writeSweep } from "./descriptor.js";
import { instantiateFused, type FusedEntries } from "./fused.js";
import { writeTape } from "./tape-memory.js";
import { BULK, copyIn, copyOut, unaliased, writeSegmentTables } from "./segments.js";
import { isRepeat, type Repeat } from "./repeat.js";
import { CompiledSweeps, forwardPlan, tierChanges } from "./compiled.js";
import type { SweepPlan } from "../compiler/sweep-code.js";
import { InputError } from "../base/errors.js";

/**
 * Widest tangent chunk: n inputs take ceil(n / MAX_LANES) forward sweeps. Measured on
 * 24-input Jacobians: 4 → 8 lanes saves 15–35%; beyond 8, dense functions gain nothing
 * and sparse ones (whose structural zeros are skipped) up to 20% more at 16.
 */
export const MAX_LANES = 16;
/** Forward Jacobians of at most this many lane chunks (a module each) are compiled ahead; wider ones at their second use. */
const AHEAD_CHUNKS = 4;
/** Points per block, measured (see README, "Benchmarks"); smaller when a tape is large. */
const MAX_BLOCK = 128;
/** Bytes a sweep's block rows may take, so the working set stays in cache. */
const WORK_BUDGET = 1 << 20;
/**
 * Bytes of points and results one chunk of a batch may take in scratch: small
 * enough that a chunk's results are still in cache when they are copied out
 * (bench/jacobian.mjs, batch: 1.21× the hand-written loop with 4 MB chunks,
 * 1.04–1.07× with 512 KB).
 */
const CHUNK_BUDGET = 512 << 10;
function align16(bytes: number): number {
  return (bytes + 15) & ~15;
}


/** Where a sweep writes tangent lane l of output o at point p: p*point + o*out + l*lane + offset. */
export interface TangentLayout {
  point: number;
  out: number;
  lane: number;
  offset: number;
}

/**
 * One input (or one input's tangent) as the kernel receives it: `size` entries
 * per point, given for every point (`batched`: data is N × size) or shared by all
 * points (data is size). The flat input vector is the segments in order.
 */
export interface Segment {
  data: Float64Array;
  size: number;
  batched: boolean;
  /** Where the data already lives in WebAssembly memory (a WasmBuffer): read in place, never copied. */
  address?: number;
}

/** Where results go: a Float64Array (copied out), or WebAssembly memory (a WasmBuffer's address). */
export type Target = Float64Array | { readonly address: number };

/**
 * The tangent lanes to push through the sweeps. Identity seeding: lane l is
 * ∂/∂x_(first + l), so `lanes` lanes give those Jacobian columns (the core skips
 * lanes a value structurally cannot depend on). Otherwise one lane whose tangent
 * is given per input, shaped like the inputs. In reverse mode the same words
 * apply to outputs: identity lanes are Jacobian rows, a dense lane a cotangent
 * shaped like the output (one segment). With `colors` (forward mode), lane l
 * seeds every input i with colors[i] = first + l (a column coloring,
 * bindings/ir/sparsity.ts), and `lanes` counts colors.
 */
export type Seeds =
  | { identity: true; first: number; lanes: number; colors?: Int32Array }
  | { identity: false; tangent: readonly Segment[] };

/** Seeds for Jacobian columns first … first + lanes − 1. */
export function columns(first: number, lanes: number): Seeds {
  return { identity: true, first, lanes };
}

const spreads = new WeakMap<Coloring, { to: Int32Array; from: Int32Array }>();
/** Per entry of a coloring's pattern: its place in the dense m×n Jacobian, and its lane in the compressed [m, colors] rows. */
function spreadIndices(c: Coloring, n: number): { to: Int32Array; from: Int32Array } {
  let s = spreads.get(c);
  if (!s) {
    const { rowStart, cols, colors, count } = c, to = new Int32Array(cols.length), from = new Int32Array(cols.length);
    for (let o = 0; o + 1 < rowStart.length; o++) {
      for (let k = rowStart[o]; k < rowStart[o + 1]; k++) { to[k] = o * n + cols[k]; from[k] = o * count + colors[cols[k]]; }
    }
    spreads.set(c, (s = { to, from }));
  }
  return s;
}

/** A WASM pass over each chunk's Jacobians (divergence, curl, determinant, spreading a coloring), `perPoint` numbers out. */
interface Reduction {
  perPoint: number;
  scratchBytes: number;
  apply(jacobiansAt: number, count: number, resultAt: number, scratchAt: number): void;
}

/**
 * A sum over the batch: the result is Σ_p w_p·r_p / divisor over the points'
 * results r_p (w_p = 1 without weights), added in point order chunk by chunk in
 * the core, so only a chunk's results exist at once and the sum does not
 * depend on the chunk size.
 */
export interface BatchSum {
  weights: Float64Array | null;
  divisor: number;
}

const registry = new FinalizationRegistry<Owned>(({ addresses, functions, generation: g }) => finalizing(() => {
  if (g !== generation) return; // that instance is gone, and its memory with it
  for (const a of addresses) if (a) core().free(a);
  if (functions[1]) removeFunctions(functions[0], functions[1]);
}));

/** What a kernel holds in the live instance: memory regions, and function-table entries [first, count]. */
interface Owned {
  addresses: number[];
  functions: [number, number];
  generation: number;
}

export class Kernel {
  readonly nIn: number;
  readonly nOut: number;
  private readonly tapeData: TapeData;
  private tape = 0;
  private work = 0;
  private workBytes = 0;
  private scratch = 0;
  private scratchBytes = 0;
  private loadedIn = -1;
  /** Best block size per (kind, K), and the largest block the workspace is known to hold. */
  private blocks: number[] = [];
  private workBlock: number[] = [];
  private disposed = false;
  private repeat: Repeat | undefined;
  /** The fused loops, compiled once (null: none, or the engine would not compile them). */
  private fusedModule: WebAssembly.Module | null | undefined;
  /** Shared with the finalization registry, so a forgotten kernel's memory is freed. */
  private readonly owned: Owned = { addresses: [0, 0, 0, 0], functions: [0, 0], generation: -1 };
  /** The compiled tier's modules for this tape, and the memory the large ones work in. */
  private readonly compiled: CompiledSweeps;
  private compiledWork = 0;
  private compiledWorkBytes = 0;
  /** The compiled run function the last sweep used (null: the interpreter's), which a repeat reuses. */
  private lastRun: ((descriptor: number, work: number) => void) | null = null;
  /** The last sweep interpreted only because its plan is not compiled yet (a repeat must then ask again). */
  private tierPending = false;

  constructor(tape: TapeData) {
    this.tapeData = tape;
    this.nIn = tape.nIn;
    this.nOut = tape.outSlots.length;
    this.compiled = new CompiledSweeps(tape);
    registry.register(this, this.owned, this);
  }

  /** A one-point colored Jacobian's lanes [m, colors], kept between calls. */
  private coloredLanes?: Float64Array;

  /** Number of instructions and slots: the tape's size, for tests and reports. */
  get size(): { instructions: number; slots: number; constants: number } {
    const t = this.tapeData;
    return { instructions: t.instr.length / 4, slots: t.nSlots, constants: t.consts.length };
  }

  /** Frees the WASM memory now; the kernel must not be used afterwards. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.repeat = undefined; // (a prepared call must not run in freed memory)
    registry.unregister(this);
    if (this.loadedIn === generation) {
      for (const a of [this.tape, this.work, this.scratch, this.compiledWork]) if (a) core().free(a);
      const [first, count] = this.owned.functions;
      if (count) removeFunctions(first, count);
    }
    this.tape = this.work = this.scratch = this.compiledWork = 0;
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  /** values[p*nOut + o] = f_o(x_p) for the N points the inputs describe. */
  values(inputs: readonly Segment[], N: number, out: Target, sum?: BatchSum): void {
    this.run(Kind.Value, inputs, N, null, out, null, null, undefined, undefined, sum);
  }

  /**
   * Tangents (forward mode, or central differences when `kind` is FiniteDiff) of
   * every output along the seeded lanes, written per `layout` into `out` (entries
   * per point: `layout.point`). More than MAX_LANES lanes run as several sweeps.
   */
  tangents(kind: Kind.Forward | Kind.FiniteDiff | Kind.Reverse, inputs: readonly Segment[], N: number, seeds: Seeds,
           out: Target, layout: TangentLayout, range?: readonly [number, number], sum?: BatchSum, valuesToo?: Float64Array): void {
    this.run(kind, inputs, N, seeds, null, out, layout, undefined, range, sum, valuesToo);
  }

  /**
   * For a map with nIn = nOut: the divergence (out: N), the curl (N for n = 2,
   * N × 3 for n = 3) or the Jacobian determinant (N), from Jacobians that never
   * leave WASM memory.
   */
  field(op: "divergence" | "curl" | "determinant", kind: Kind.Forward | Kind.FiniteDiff,
        inputs: readonly Segment[], N: number, out: Target, sum?: BatchSum): void {
    const n = this.nIn;
    const reduce: Reduction = {
      perPoint: op === "curl" && n === 3 ? 3 : 1,
      scratchBytes: op === "determinant" ? 12 * n * n + 16 : 0,
      apply: (jacobians, count, at, scratch) => {
        if (op === "divergence") core().divergenceFromJacobians(jacobians, count, n, at);
        else if (op === "curl") core().curlFromJacobians(jacobians, count, n, at);
        else core().determinantsOfJacobians(jacobians, count, n, at, scratch);
      },
    };
    this.run(kind, inputs, N, columns(0, n), null, out, { point: n * n, out: n, lane: 1, offset: 0 }, reduce, undefined, sum);
  }

  /**
   * The Jacobian [N, nOut, nIn] from a column coloring (bindings/ir/sparsity.ts): a
   * forward sweep per MAX_LANES colors carries each color's columns summed, and
   * the core spreads every entry of the pattern back from its column's lane,
   * writing the structural zeros too. One point into a JavaScript array is
   * spread here instead: its few lanes come out, not the m·n dense entries.
   */
  coloredJacobian(inputs: readonly Segment[], N: number, c: Coloring, out: Target, sum?: BatchSum): void {
    const m = this.nOut, n = this.nIn, C = c.count, nnz = c.cols.length;
    if (N === 1 && out instanceof Float64Array && !sum) {
      const lanes = (this.coloredLanes = this.coloredLanes?.length === m * C ? this.coloredLanes : new Float64Array(m * C));
      this.coloredRows(inputs, c, lanes);
      const { to, from } = spreadIndices(c, n);
      out.fill(0, 0, m * n);
      for (let k = 0; k < nnz; k++) out[to[k]] = lanes[from[k]];
      return;
    }
    const reduce: Reduction = {
      perPoint: m * n,
      scratchBytes: 4 * c.tables.length,
      apply: (compressed, count, at, scratch) => {
        i32().set(c.tables, scratch >> 2);
        const cols = scratch + 4 * (m + 1), colors = cols + 4 * nnz;
        core().spreadColored(compressed, count, m, n, C, scratch, cols, colors, at);
      },
    };
    this.run(Kind.Forward, inputs, N, { identity: true, first: 0, lanes: C, colors: c.colors }, null, out,
      { point: m * C, out: C, lane: 1, offset: 0 }, reduce, undefined, sum);
  }

  /**
   * The Jacobian's rows compressed by a column coloring at one point, [m, colors]
   * into `out`: entry (i, color of j) is J_ij for every structural nonzero (no
   * other column of j's color meets row i). One forward sweep per 16 colors.
   */
  coloredRows(inputs: readonly Segment[], c: Coloring, out: Float64Array): void {
    const C = c.count;
    this.tangents(Kind.Forward, inputs, 1, { identity: true, first: 0, lanes: C, colors: c.colors }, out,
      { point: this.nOut * C, out: C, lane: 1, offset: 0 });
  }

  /**
   * The diagonal [N, hi − lo] of the Jacobian of a map ℝⁿ → ℝⁿ (the Hessian, for a
   * gradient's kernel), entries lo … hi − 1 (all by default), from a coloring
   * (sparsity.ts colorDiagonal): the colored sweeps' compressed rows [colors]
   * per point, of which entry (i, color of i) is J_ii — no other column of that
   * color meets row i.
   */
  coloredDiagonal(inputs: readonly Segment[], N: number, c: Coloring, out: Target, sum?: BatchSum,
                  lo = 0, hi = this.nIn): void {
    const n = hi - lo, C = c.count, colors = c.colors.subarray(lo, hi);
    const reduce: Reduction = {
      perPoint: n,
      scratchBytes: 4 * n,
      apply: (compressed, count, at, scratch) => {
        i32().set(colors, scratch >> 2);
        core().diagonalFromColored(compressed, count, n, C, scratch, at);
      },
    };
    this.run(Kind.Forward, inputs, N, { identity: true, first: 0, lanes: C, colors: c.colors }, null, out,
      { point: n * C, out: C, lane: 1, offset: 0 }, reduce, [lo, hi], sum);
  }

  /**
   * `range`: the outputs (forward, fd) or inputs (reverse) whose tangents are
   * written, [lo, hi), at index − lo; all by default. `sum`: one result, the
   * batch's sum (see BatchSum), rather than one per point.
   */
  private run(kind: Kind, inputs: readonly Segment[], N: number, seeds: Seeds | null,
              values: Target | null, tangents: Target | null, layout: TangentLayout | null,
              reduce?: Reduction, range?: readonly [number, number], sum?: BatchSum, valuesToo?: Float64Array): void {
    if (this.disposed) throw new InputError("this function has been disposed");
    if (N === 0) { // an empty batch: nothing per point; a sum of nothing is 0, a mean NaN
      if (sum) writeEmptySum(values ?? tangents!, reduce ? reduce.perPoint : values ? this.nOut : layout!.point, sum, valuesToo, this.nOut);
      return;
    }
    const lanes = !seeds ? 0 : seeds.identity ? seeds.lanes : 1;
    const sweeps = lanes > MAX_LANES ? Math.ceil(lanes / MAX_LANES) : 1;
    const K = lanes > 0 ? Math.ceil(lanes / sweeps) : 1; // balanced chunks, as ForwardDiff picks them
    const first = seeds?.identity ? seeds.first : 0;
    const dense = seeds !== null && !seeds.identity;
    const result = (values ?? tangents)!;
    const direct = result instanceof Float64Array ? 0 : result.address; // results written in place (or the sum, at the end)
    // (points that results could overwrite before they are read are copied in first)
    const resultBytes = 8 * N * (reduce ? reduce.perPoint : values ? this.nOut : layout!.point);
    inputs = unaliased(inputs, N, result, resultBytes);
    const segments = dense ? [...inputs, ...unaliased(seeds.tangent, N, result, resultBytes)] : inputs;
    const nSeg = inputs.length;
    const results = kind === Kind.Reverse ? this.nIn : this.nOut;
    const rangeLo = range ? range[0] : 0, rangeHi = range ? range[1] : results, ranged = rangeLo > 0 || rangeHi < results;
    // One point, one sweep, results copied out: the case a repeat can take.
    const colors = seeds?.identity ? seeds.colors : undefined;
    const repeatable = N === 1 && !reduce && !sum && !valuesToo && sweeps === 1 && !dense && inputs.every((s) => !s.batched);
    if (repeatable && !this.tierPending && this.loadedIn === generation && this.repeat?.tier === tierChanges &&
        isRepeat(this.repeat, kind, values !== null, lanes, first, layout, rangeLo, rangeHi, colors, inputs, direct)) {
      this.runAgain(kind, inputs, result);
      return;
    }
    this.repeat = undefined;

    // Scratch: descriptor, the two segment tables (inputs, tangents), shared data,
    // then per chunk the batched data, the sweep's output and a reduction's result.
    let shared = 0, batchedPerPoint = 0;
    for (const s of segments) {
      if (s.address !== undefined) continue; // read in place
      if (s.batched) batchedPerPoint += s.size;
      else shared += s.size;
    }
    const perPointOut = values ? this.nOut : layout!.point;
    const perPointResult = reduce ? reduce.perPoint : perPointOut;
    // A gradient summed over the batch, on the interpreter: its reverse sweep adds each point's
    // adjoints to the sum as it goes (Sweep.accumulate), so no point keeps its own, a chunk
    // holds many points, and a shared input is loaded once per chunk, not once per point.
    const summing = sum !== undefined && !reduce && !valuesToo && !values && kind === Kind.Reverse && lanes === 1 && sweeps === 1 &&
      !dense && this.nOut === 1 && !this.compiled.mayRun(N);
    // (weights are per-point scratch too; and a batch read in place with nothing per point still gets bounded chunks)
    const perPoint = Math.max(1, batchedPerPoint + (summing ? 0 : perPointOut) + (reduce ? perPointResult : 0) + (sum?.weights ? 1 : 0));
    const chunk = Math.max(1, Math.min(N, Math.floor(CHUNK_BUDGET / (8 * perPoint))));
    const tableBytes = align16(12 * Math.max(nSeg, segments.length - nSeg));
    const sharedAt = DESCRIPTOR_BYTES + 2 * tableBytes;
    const chunkAt = sharedAt + align16(8 * shared);
    const outAt = chunkAt + 8 * chunk * batchedPerPoint;
    const resultAt = outAt + 8 * chunk * (summing ? 0 : perPointOut);
    const reduceAt = align16(resultAt + (reduce ? 8 * chunk * perPointResult : 0));
    const colorsAt = align16(reduceAt + (reduce ? reduce.scratchBytes : 0));
    const sumAt = align16(colorsAt + (colors ? 4 * colors.length : 0)), weightsAt = align16(sumAt + 8 * perPointResult);
    const sumEnd = sum ? weightsAt + (sum.weights ? 8 * chunk : 0) : sumAt;
    // valuesToo: the outputs' values as well (per chunk, and their own sum)
    const valuesAt = align16(sumEnd), valuesSumAt = align16(valuesAt + 8 * chunk * this.nOut);
    const end = valuesToo ? valuesSumAt + (sum ? 8 * this.nOut : 0) : sumEnd;

    try {
      this.load();
      const B = this.blockSize(kind, K, chunk);
      const base = this.ensureScratch(end);
      if (colors) i32().set(colors, (base + colorsAt) >> 2);
      if (sum) f64().fill(0, (base + sumAt) >> 3, ((base + sumAt) >> 3) + perPointResult);
      if (sum && valuesToo) f64().fill(0, (base + valuesSumAt) >> 3, ((base + valuesSumAt) >> 3) + this.nOut);
      const addresses = writeSegmentTables(segments, nSeg, base, base + DESCRIPTOR_BYTES, tableBytes, sharedAt, chunkAt, chunk);
      for (let start = 0; start < N; start += chunk) {
        const count = Math.min(chunk, N - start);
        for (let i = 0; i < segments.length; i++) {
          const s = segments[i];
          if (!s.batched) continue;
          if (s.address === undefined) copyIn(s.data, start * s.size, count * s.size, addresses[i]);
          else i32()[addresses[i] >> 2] = s.address + 8 * start * s.size; // this chunk's rows, in place
        }
        const sweepOut = summing ? base + sumAt : direct && !reduce && !sum ? direct + 8 * start * perPointOut : base + outAt;
        if (summing && sum.weights) copyIn(sum.weights, start, count, base + weightsAt);
        const reduceOut = direct && !sum ? direct + 8 * start * perPointResult : base + resultAt;
        for (let s = 0; s < sweeps; s++) {
          const lane0 = s * K;
          const lanesNow = Math.min(K, lanes - lane0);
          this.describe(count, base + DESCRIPTOR_BYTES, nSeg, B, lanesNow,
            dense ? base + DESCRIPTOR_BYTES + tableBytes : 0, first + lane0,
            values ? sweepOut : valuesToo && s === 0 ? base + valuesAt : 0, tangents ? sweepOut : 0, layout, lane0, rangeLo, rangeHi,
            colors ? base + colorsAt : 0, summing, summing && sum.weights ? base + weightsAt : 0);
          this.lastRun = this.compiledRun(kind, lanesNow, first + lane0, dense, colors, inputs, N, sweeps, valuesToo !== undefined, ranged);
          this.sweep(kind);
        }
        if (reduce) reduce.apply(base + outAt, count, reduceOut, base + reduceAt);
        if (summing) continue; // (the sweep formed the sum)
        if (sum) {
          if (sum.weights) copyIn(sum.weights, start, count, base + weightsAt);
          core().addRows(reduce ? reduceOut : sweepOut, count, perPointResult, sum.weights ? base + weightsAt : 0, base + sumAt);
        } else if (!direct) copyOut(reduce ? reduceOut : sweepOut, count * perPointResult, result as Float64Array, start * perPointResult);
        if (valuesToo && sum) core().addRows(base + valuesAt, count, this.nOut, sum.weights ? base + weightsAt : 0, base + valuesSumAt);
        else if (valuesToo) copyOut(base + valuesAt, count * this.nOut, valuesToo, start * this.nOut);
      }
      if (sum) writeSum(base + sumAt, perPointResult, sum.divisor, result);
      if (sum && valuesToo) writeSum(base + valuesSumAt, this.nOut, sum.divisor, valuesToo);
      if (repeatable) {
        this.repeat = { kind, values: values !== null, lanes, first, layout: layout && { ...layout }, rangeLo, rangeHi, colors, tier: tierChanges,
          sizes: inputs.map((s) => s.size), dataAt: addresses.slice(0, nSeg), inPlace: inputs.map((s) => s.address), direct,
          resultAt: base + outAt, resultLength: perPointResult,
          results: new Float64Array(0), resultsOf: new Float64Array(0) };
      }
    } catch (error) {
      throw trapped(error);
    }
  }

  /**
   * Everything a later one-point call of these kinds needs, done now: the tape
   * in the live instance (with its fused loops) and the compiled tier's modules
   * for values, a gradient (one reverse lane) and the first forward lanes
   * (identity columns, or one dense lane when `dense`). `sizes`: the inputs'
   * sizes, as calls pass them.
   */
  prepareAhead(sizes: readonly number[], kinds: readonly ("value" | "gradient" | "forward" | "dense")[]): void {
    this.load();
    const key = sizes.map((s) => `,${s}`).join("");
    for (const kind of kinds) {
      if (kind === "value") this.compiled.compileAhead("v" + key, () => ({ kind: Kind.Value }), sizes);
      else if (kind === "gradient" && this.nOut === 1) {
        this.compiled.compileAhead("r" + key, () => ({ kind: Kind.Reverse, seeded: false }), sizes);
      } else if (kind === "dense") {
        const [k, plan] = forwardPlan(1, 0, this.nIn, true, undefined);
        this.compiled.compileAhead(k + key, plan, sizes);
      } else if (kind === "forward" && this.nIn <= AHEAD_CHUNKS * MAX_LANES) { // the lane chunks run() cuts the n columns into
        const sweeps = Math.ceil(this.nIn / MAX_LANES), K = Math.ceil(this.nIn / sweeps);
        for (let lane0 = 0; lane0 < this.nIn; lane0 += K) {
          const [k, plan] = forwardPlan(Math.min(K, this.nIn - lane0), lane0, this.nIn, false, undefined);
          this.compiled.compileAhead(k + key, plan, sizes);
        }
      }
    }
    this.ensureCompiledWork(this.compiled.workNeeded);
  }

  /**
   * The last one-point call (see Repeat) as a plain function of one segment's
   * point: entries in, the sweep, `out` filled, and true; false (nothing done)
   * once any other call has used this kernel's scratch, or the instance was
   * re-created, or the compiled tier is about to take over: then the caller
   * makes the ordinary call, which sets up a new repeat. Null when the last
   * call cannot repeat (or took several segments). Func.prepare's fast path.
   */
  preparedRepeat(kind: Kind): ((point: Float64Array, out: Float64Array) => boolean) | null {
    const r = this.repeat;
    if (!r || r.kind !== kind || r.sizes.length !== 1 || r.inPlace[0] !== undefined || r.direct) return null;
    const size = r.sizes[0], dataAt = r.dataAt[0] >> 3, resultAt = r.resultAt >> 3, length = r.resultLength;
    // Views of the point's and the results' cells, made once: constants of the closure, which the
    // engine's code reads without a check per call (a view reassigned on memory growth cost a
    // third of a 3-entry call). Where memory grew and detached them (unshared memory), the call
    // returns false and the ordinary path runs, which makes a new closure.
    // (whether they are detached is read off the whole memory's view: a point may have no entries)
    const memory = f64(), pointCells = memory.subarray(dataAt, dataAt + size), resultCells = memory.subarray(resultAt, resultAt + length);
    return (point, out) => {
      if (this.repeat !== r || this.loadedIn !== generation || this.tierPending || this.disposed || r.tier !== tierChanges ||
          memory.length === 0) return false;
      try {
        if (size >= BULK) pointCells.set(point); // (a loop beats a view's set for a few entries, not for many)
        else for (let i = 0; i < size; i++) pointCells[i] = point[i];
        this.sweep(kind);
        // (memory can grow during a sweep only in a host block: a function of your own, a scan)
        const results = memory.length === 0 ? f64().subarray(resultAt, resultAt + length) : resultCells;
        if (length >= BULK) out.set(results);
        else for (let i = 0; i < length; i++) out[i] = results[i];
        return true;
      } catch (error) {
        throw trapped(error);
      }
    };
  }

  /**
   * preparedRepeat for a point and results in WebAssembly memory (WasmBuffers):
   * given the point's and the results' byte addresses, true once the sweep has
   * run, reading and writing them in place, nothing copied; false (nothing done)
   * where preparedRepeat's would be, or where either address is not the last
   * call's. Null when the last call did not read its one segment in place and
   * write its results in place. Func's quickCall for WasmBuffers.
   */
  preparedInPlace(kind: Kind): ((pointAt: number, outAt: number) => boolean) | null {
    const r = this.repeat;
    if (!r || r.kind !== kind || r.sizes.length !== 1 || r.inPlace[0] === undefined || !r.direct) return null;
    const pointAt = r.inPlace[0], outAt = r.direct;
    return (at, to) => {
      if (at !== pointAt || to !== outAt || this.repeat !== r || this.loadedIn !== generation || this.tierPending || this.disposed ||
          r.tier !== tierChanges) return false;
      try {
        this.sweep(kind);
        return true;
      } catch (error) {
        throw trapped(error);
      }
    };
  }

  /** The last one-point call again (see Repeat): the point's segments in, the sweep, the results out. */
  private runAgain(kind: Kind, inputs: readonly Segment[], result: Target): void {
    const r = this.repeat!;
    try {
      for (let i = 0; i < inputs.length; i++) if (r.inPlace[i] === undefined) copyIn(inputs[i].data, 0, r.sizes[i], r.dataAt[i]);
      this.sweep(kind);
      if (!(result instanceof Float64Array)) return; // (written in place)
      const mem = f64();
      if (r.resultsOf !== mem) { // memory grew since the view was made
        r.results = mem.subarray(r.resultAt >> 3, (r.resultAt >> 3) + r.resultLength);
        r.resultsOf = mem;
      }
      result.set(r.results);
    } catch (error) {
      throw trapped(error);
    }
  }

  /**
   * The compiled tier's run function for this sweep, or null for the
   * interpreter: values; reverse sweeps with one lane that every adjoint takes
   * (a gradient, a cotangent); forward sweeps. (Finite differences, reverse
   * sweeps of several lanes and reverse sweeps that return values too interpret;
   * so do the sweeps CompiledSweeps.programFor leaves to the interpreter.)
   */
  private compiledRun(kind: Kind, lanes: number, lane0: number, dense: boolean, colors: Int32Array | undefined,
                      inputs: readonly Segment[], N: number, sweeps: number, withValues: boolean, ranged: boolean): ((descriptor: number, work: number) => void) | null {
    let key: string, plan: () => SweepPlan;
    if (kind === Kind.Value) [key, plan] = ["v", () => ({ kind: Kind.Value })];
    else if (kind === Kind.Reverse && lanes === 1 && (dense || (this.nOut === 1 && lane0 === 0)) && !withValues) {
      [key, plan] = [dense ? "r:seeded" : "r", () => ({ kind: Kind.Reverse, seeded: dense })];
    } else if (kind === Kind.Forward) [key, plan] = forwardPlan(lanes, lane0, this.nIn, dense, colors);
    else {
      this.tierPending = false;
      return null;
    }
    if (ranged && kind !== Kind.Value) { // (a module of its own, which checks each result against the range)
      const whole = plan;
      [key, plan] = [`${key}:ranged`, () => ({ ...whole(), ranged: true })];
    }
    let sizes = "";
    for (const s of inputs) sizes += `,${s.size}`;
    const entry = this.compiled.runner(key + sizes, plan, () => inputs.map((s) => s.size), N, sweeps);
    this.tierPending = entry === undefined;
    if (!entry) return null;
    this.ensureCompiledWork(entry.work);
    return entry.run;
  }

  /** The compiled tier's workspace, at least `bytes` long. */
  private ensureCompiledWork(bytes: number): void {
    if (bytes <= this.compiledWorkBytes) return;
    if (this.compiledWork) core().free(this.compiledWork);
    this.compiledWork = this.compiledWorkBytes = 0;
    this.track();
    this.compiledWork = allocate(bytes, "a compiled function's workspace");
    this.compiledWorkBytes = bytes;
    this.track();
  }

  /** Runs the sweep the descriptor in scratch describes: compiled when `lastRun` is set, else by the core. */
  private sweep(kind: Kind): void {
    if (this.lastRun) {
      this.lastRun(this.scratch, this.compiledWork);
      return;
    }
    const c = core();
    if (kind === Kind.Value) c.valueSweep(this.scratch);
    else if (kind === Kind.Forward) c.forwardSweep(this.scratch);
    else if (kind === Kind.Reverse) c.reverseSweep(this.scratch);
    else c.finiteDiffSweep(this.scratch);
    throwHostError(); // (a host block's error, held while the core ran)
  }

  /** Writes the Sweep descriptor at the head of scratch. */
  private describe(count: number, inputs: number, nSegments: number, B: number, K: number, seeds: number,
                   lane0: number, values: number, tangents: number, layout: TangentLayout | null, laneOffset: number,
                   rangeLo: number, rangeHi: number, colors: number, accumulate = false, weights = 0): void {
    writeSweep(this.scratch, this.tape, count, inputs, nSegments, this.work, B, K, seeds, lane0, values, tangents,
      layout && !accumulate ? layout.point : 0, layout ? layout.out : 0, layout ? layout.lane : 0,
      layout ? layout.offset + laneOffset * layout.lane : 0, rangeLo, rangeHi, colors, accumulate, weights);
  }

  /**
   * Largest even block ≤ MAX_BLOCK whose rows fit WORK_BUDGET, and no larger than
   * the points rounded up to even (1 for one point); makes sure the workspace
   * holds it. Sizes are cached per (kind, K).
   */
  private blockSize(kind: Kind, K: number, count: number): number {
    const key = kind * (MAX_LANES + 1) + K;
    let best = this.blocks[key];
    if (best === undefined) {
      const perPoint = core().workSize(this.tape, kind, 4, K) - core().workSize(this.tape, kind, 2, K);
      // Even, so rows stay 16-byte aligned for the SIMD loops.
      best = this.blocks[key] = Math.max(2, Math.min(MAX_BLOCK, Math.floor(WORK_BUDGET / (perPoint / 2)) & ~1));
    }
    // One point: a block of one, no padding. Otherwise even, as the core's SIMD loops over pairs of
    // points take rows to be: a sum over a block of 3 stored its 4th lane into the next row's first.
    const B = count === 1 ? 1 : Math.min(best, count + (count & 1));
    this.ensureWork(kind, K, B);
    return B;
  }

  /** Uploads the tape into the current instance, if it is not there yet. */
  private load(): void {
    if (this.loadedIn === generation) return;
    // A new instance: addresses from an older one are void, and so is the last
    // call's set-up (its descriptor lay in the old scratch).
    this.repeat = undefined;
    this.lastRun = null;
    this.tierPending = false;
    this.tape = this.work = this.scratch = this.compiledWork = 0;
    this.workBytes = this.scratchBytes = this.compiledWorkBytes = 0;
    this.workBlock = [];
    this.tape = writeTape(this.tapeData, this.attachFused());
    this.loadedIn = generation;
    this.track();
  }

  /**
   * Instantiates the tape's fused loops over the live memory and puts them in the
   * core's function table; their first entry, or 0 (the sweeps then interpret
   * every instruction) if there are none or the engine refuses to compile them.
   */
  private attachFused(): number {
    this.owned.functions = [0, 0];
    const t = this.tapeData;
    if (!t.fused || this.fusedModule === null) return 0;
    let entries: FusedEntries | null = null;
    try {
      this.fusedModule ??= new WebAssembly.Module(t.fused as BufferSource);
      entries = instantiateFused(this.fusedModule, t.fusedGroups);
    } catch { /* the engine would not compile it */ }
    if (!entries) {
      this.fusedModule = null; // interpret the runs, for good
      return 0;
    }
    this.owned.functions = entries;
    return entries[0];
  }

  private ensureWork(kind: Kind, K: number, B: number): void {
    if (B <= this.workBlock[kind * (MAX_LANES + 1) + K]) return;
    const bytes = core().workSize(this.tape, kind, B, K);
    if (bytes > this.workBytes) {
      if (this.work) core().free(this.work);
      this.work = this.workBytes = 0; // (so a refused allocation leaves nothing that looks usable)
      this.workBlock = [];
      this.track();
      this.work = allocate(bytes, "a compiled function's workspace");
      this.workBytes = bytes;
      this.track();
    }
    this.workBlock[kind * (MAX_LANES + 1) + K] = B;
  }

  private ensureScratch(bytes: number): number {
    if (bytes > this.scratchBytes) {
      if (this.scratch) core().free(this.scratch);
      this.scratch = this.scratchBytes = 0;
      this.repeat = undefined; // its layout lived in that scratch
      this.track();
      this.scratch = allocate(bytes, "a call's points and results");
      this.scratchBytes = bytes;
      this.track();
    }
    return this.scratch;
  }

  private track(): void {
    this.owned.addresses[0] = this.tape;
    this.owned.addresses[1] = this.work;
    this.owned.addresses[2] = this.scratch;
    this.owned.addresses[3] = this.compiledWork;
    this.owned.generation = this.loadedIn;
  }
}

/** The sum accumulated at `at` (divided by `divisor`) into the result: an array, or a buffer in memory. */
function writeSum(at: number, length: number, divisor: number, result: Target): void {
  const mem = f64(), from = at >> 3;
  if (divisor !== 1) for (let k = 0; k < length; k++) mem[from + k] /= divisor;
  if (result instanceof Float64Array) result.set(mem.subarray(from, from + length));
  else mem.copyWithin(result.address >> 3, from, from + length);
}

/** The result of a sum over an empty batch: 0 (NaN for a mean, whose divisor is then 0), values too. */
function writeEmptySum(result: Target, length: number, sum: BatchSum, valuesToo: Float64Array | undefined, nOut: number): void {
  const v = sum.divisor === 0 ? NaN : 0;
  if (result instanceof Float64Array) result.fill(v, 0, length);
  else f64().fill(v, result.address >> 3, (result.address >> 3) + length);
  valuesToo?.fill(v, 0, nOut);
}
