// A compiled tape's home in WASM memory, and the one place that runs sweeps on it.
//
// A Kernel owns three regions: the tape, a workspace for the sweeps' blocks, and a
// scratch region for one call's descriptor, seeds, points and results. The sweeps
// never call back into JavaScript, so reusing the kernel's own regions across
// calls is safe. Batches are cut into chunks so the scratch region stays bounded
// however many points a call brings.
import { core, f64, generation, i32, trapped } from "./loader.js";
import type { TapeData } from "./compile.js";

/** Sweep kinds, as assembly/sweeps.ts numbers them. */
export const enum Kind {
  Value = 0,
  Forward = 1,
  FiniteDiff = 2,
}

/**
 * Widest tangent chunk: n inputs take ceil(n / MAX_LANES) forward sweeps. Measured on
 * 24-input Jacobians: 4 → 8 lanes saves 15–35%; beyond 8, dense functions gain nothing
 * and sparse ones (whose structural zeros are skipped) up to 20% more at 16.
 */
export const MAX_LANES = 16;
/** Points per block, measured (see README, "Benchmarks"); smaller when a tape is large. */
const MAX_BLOCK = 128;
/** Bytes a sweep's block rows may take, so the working set stays in cache. */
const WORK_BUDGET = 1 << 20;
/** Bytes of points and results one chunk of a batch may take in scratch. */
const CHUNK_BUDGET = 4 << 20;
/** Bytes of the Sweep descriptor (15 × i32), padded to keep what follows 16-byte aligned. */
const DESCRIPTOR_BYTES = 64;
const TAPE_HEADER_BYTES = 32;

/** Where a sweep writes tangent lane l of output o at point p: p*point + o*out + l*lane + offset. */
export interface TangentLayout {
  point: number;
  out: number;
  lane: number;
  offset: number;
}

/**
 * The lanes to push through the sweeps: tangent of input i in lane l at point p is
 * data[p*stride + l*nIn + i] (stride 0: one lanes × nIn matrix for every point).
 * Without `data`, identity seeding: lane l is ∂/∂x_l, the Jacobian's columns, and
 * the core skips the lanes a value structurally cannot depend on.
 */
export interface Seeds {
  data?: Float64Array;
  lanes: number;
  /** Entries per point of `data` (0: shared by every point). */
  stride: number;
}

/** A WASM pass over each chunk's tangents (e.g. Jacobians → divergence), producing `perPoint` numbers. */
interface Reduction {
  perPoint: number;
  apply(tangentsAt: number, count: number, resultAt: number): void;
}

/** n lanes seeding input l in lane l: the sweeps yield the whole Jacobian. */
export function identitySeeds(n: number): Seeds {
  return { lanes: n, stride: 0 };
}

/** Copies src[from, from+len) into WASM memory at byte address `at` (small copies by hand: no subarray). */
function copyIn(src: Float64Array, from: number, len: number, at: number): void {
  const mem = f64(), base = at >> 3;
  if (len <= 32) for (let i = 0; i < len; i++) mem[base + i] = src[from + i];
  else mem.set(src.subarray(from, from + len), base);
}

/** Copies len f64 at byte address `at` into dst[to, to+len). */
function copyOut(at: number, len: number, dst: Float64Array, to: number): void {
  const mem = f64(), base = at >> 3;
  if (len <= 32) for (let i = 0; i < len; i++) dst[to + i] = mem[base + i];
  else dst.set(mem.subarray(base, base + len), to);
}

const registry = new FinalizationRegistry<{ addresses: number[]; generation: number }>(({ addresses, generation: g }) => {
  if (g !== generation) return; // that instance is gone, and its memory with it
  for (const a of addresses) if (a) core().free(a);
});

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
  /** Shared with the finalization registry, so a forgotten kernel's memory is freed. */
  private readonly owned = { addresses: [0, 0, 0], generation: -1 };

  constructor(tape: TapeData) {
    this.tapeData = tape;
    this.nIn = tape.nIn;
    this.nOut = tape.outSlots.length;
    registry.register(this, this.owned, this);
  }

  /** Number of instructions and slots: the tape's size, for tests and reports. */
  get size(): { instructions: number; slots: number; constants: number } {
    const t = this.tapeData;
    return { instructions: t.instr.length / 4, slots: t.nSlots, constants: t.consts.length };
  }

  /** Frees the WASM memory now; the kernel must not be used afterwards. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    registry.unregister(this);
    if (this.loadedIn === generation) for (const a of [this.tape, this.work, this.scratch]) if (a) core().free(a);
    this.tape = this.work = this.scratch = 0;
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  /** values[p*nOut + o] = f_o(points[p*nIn ...]) for N points. */
  values(points: Float64Array, N: number, out: Float64Array): void {
    this.run(Kind.Value, points, N, null, out, null, null);
  }

  /**
   * Tangents (forward mode, or central differences when `kind` is FiniteDiff) of
   * every output along the seeded directions, written per `layout` into `out`
   * (entries per point: `layout.point`). Seeds with more than MAX_LANES lanes run
   * as several sweeps.
   */
  tangents(kind: Kind.Forward | Kind.FiniteDiff, points: Float64Array, N: number, seeds: Seeds,
           out: Float64Array, layout: TangentLayout): void {
    this.run(kind, points, N, seeds, null, out, layout);
  }

  /**
   * Divergence (out: N) or curl (out: N for n = 2, N × 3 for n = 3) of a field with
   * nIn = nOut, from its Jacobians, which never leave WASM memory.
   */
  field(op: "divergence" | "curl", kind: Kind.Forward | Kind.FiniteDiff, points: Float64Array, N: number,
        out: Float64Array): void {
    const n = this.nIn;
    const reduce: Reduction = {
      perPoint: op === "curl" && n === 3 ? 3 : 1,
      apply: (jacobians, count, at) =>
        op === "divergence" ? core().divergenceFromJacobians(jacobians, count, n, at)
          : core().curlFromJacobians(jacobians, count, n, at),
    };
    this.run(kind, points, N, identitySeeds(n), null, out,
      { point: n * n, out: n, lane: 1, offset: 0 }, reduce);
  }

  private run(kind: Kind, points: Float64Array, N: number, seeds: Seeds | null,
              values: Float64Array | null, tangents: Float64Array | null, layout: TangentLayout | null,
              reduce?: Reduction): void {
    if (this.disposed) throw new Error("internal: kernel used after dispose");
    if (N === 0) return;
    const nIn = this.nIn;
    const lanes = seeds ? seeds.lanes : 0;
    const sweeps = lanes > MAX_LANES ? Math.ceil(lanes / MAX_LANES) : 1;
    const K = lanes > 0 ? Math.ceil(lanes / sweeps) : 1; // balanced chunks, as ForwardDiff picks them
    const seedData = seeds?.data;
    const seedPerPoint = seedData && seeds!.stride > 0 ? seeds!.stride : 0;
    const sharedSeeds = seedData && !seedPerPoint ? seedData.length : 0;
    const perPointOut = values ? this.nOut : layout!.point;
    const perPointResult = reduce ? reduce.perPoint : perPointOut;
    const perPoint = nIn + seedPerPoint + perPointOut + (reduce ? perPointResult : 0);
    const chunk = Math.max(1, Math.min(N, Math.floor(CHUNK_BUDGET / (8 * perPoint))));
    const result = (values ?? tangents)!;

    try {
      this.load();
      const B = this.blockSize(kind, K, chunk);
      const pointsAt = this.ensureScratch(DESCRIPTOR_BYTES + 8 * (sharedSeeds + chunk * perPoint)) + DESCRIPTOR_BYTES;
      const seedsAt = pointsAt + 8 * chunk * nIn;
      const outAt = seedsAt + 8 * (seedPerPoint ? chunk * seedPerPoint : sharedSeeds);
      const resultAt = reduce ? outAt + 8 * chunk * perPointOut : outAt;
      if (sharedSeeds) copyIn(seedData!, 0, sharedSeeds, seedsAt);

      for (let start = 0; start < N; start += chunk) {
        const count = Math.min(chunk, N - start);
        copyIn(points, start * nIn, count * nIn, pointsAt);
        if (seedPerPoint) copyIn(seedData!, start * seedPerPoint, count * seedPerPoint, seedsAt);
        for (let s = 0; s < sweeps; s++) {
          const lane0 = s * K;
          this.describe(count, pointsAt, B, Math.min(K, lanes - lane0), seedData ? seedsAt + 8 * lane0 * nIn : 0,
            seedPerPoint, values ? outAt : 0, tangents ? outAt : 0, layout, lane0);
          const c = core();
          if (kind === Kind.Value) c.valueSweep(this.scratch);
          else if (kind === Kind.Forward) c.forwardSweep(this.scratch);
          else c.finiteDiffSweep(this.scratch);
        }
        if (reduce) reduce.apply(outAt, count, resultAt);
        copyOut(resultAt, count * perPointResult, result, start * perPointResult);
      }
    } catch (error) {
      throw trapped(error);
    }
  }

  /** Writes the Sweep descriptor (assembly/tape.ts) at the head of scratch. */
  private describe(count: number, points: number, B: number, K: number, seeds: number, seedStride: number,
                   values: number, tangents: number, layout: TangentLayout | null, lane0: number): void {
    const d = i32(), at = this.scratch >> 2;
    d[at] = this.tape;
    d[at + 1] = count;
    d[at + 2] = points;
    d[at + 3] = this.work;
    d[at + 4] = B;
    d[at + 5] = K;
    d[at + 6] = seeds;
    d[at + 7] = seedStride;
    d[at + 8] = values;
    d[at + 9] = tangents;
    d[at + 10] = layout ? layout.point : 0;
    d[at + 11] = layout ? layout.out : 0;
    d[at + 12] = layout ? layout.lane : 0;
    d[at + 13] = layout ? layout.offset + lane0 * layout.lane : 0;
    d[at + 14] = lane0;
  }

  /**
   * Largest even block ≤ MAX_BLOCK whose rows fit WORK_BUDGET, and no larger than
   * the points; makes sure the workspace holds it. Sizes are cached per (kind, K).
   */
  private blockSize(kind: Kind, K: number, count: number): number {
    const key = kind * (MAX_LANES + 1) + K;
    let best = this.blocks[key];
    if (best === undefined) {
      const perPoint = core().workSize(this.tape, kind, 4, K) - core().workSize(this.tape, kind, 2, K);
      best = this.blocks[key] = Math.max(2, Math.min(MAX_BLOCK, Math.floor(WORK_BUDGET / (perPoint / 2)) & ~1));
    }
    const B = Math.min(best, (count + 1) & ~1);
    this.ensureWork(kind, K, B);
    return B;
  }

  /** Uploads the tape into the current instance, if it is not there yet. */
  private load(): void {
    if (this.loadedIn === generation) return;
    // A new instance: addresses from an older one are void.
    this.tape = this.work = this.scratch = 0;
    this.workBytes = this.scratchBytes = 0;
    this.workBlock = [];
    const t = this.tapeData;
    const nInstr = t.instr.length / 4;
    const constAt = TAPE_HEADER_BYTES, instrAt = constAt + 8 * t.consts.length, outAt = instrAt + 16 * nInstr;
    const base = core().alloc(outAt + 4 * t.outSlots.length);
    this.tape = base;
    const h = i32(), at = base >> 2;
    h.set([nInstr, base + instrAt, t.consts.length, base + constAt, t.nSlots, t.nIn, t.outSlots.length, base + outAt], at);
    f64().set(t.consts, (base + constAt) >> 3);
    i32().set(t.instr, (base + instrAt) >> 2);
    i32().set(t.outSlots, (base + outAt) >> 2);
    this.loadedIn = generation;
    this.track();
  }

  private ensureWork(kind: Kind, K: number, B: number): void {
    if (B <= this.workBlock[kind * (MAX_LANES + 1) + K]) return;
    const bytes = core().workSize(this.tape, kind, B, K);
    this.workBlock[kind * (MAX_LANES + 1) + K] = B;
    if (bytes <= this.workBytes) return;
    if (this.work) core().free(this.work);
    this.work = 0;
    this.work = core().alloc(bytes);
    this.workBytes = bytes;
    this.track();
  }

  private ensureScratch(bytes: number): number {
    if (bytes > this.scratchBytes) {
      if (this.scratch) core().free(this.scratch);
      this.scratch = 0;
      this.scratch = core().alloc(bytes);
      this.scratchBytes = bytes;
      this.track();
    }
    return this.scratch;
  }

  private track(): void {
    this.owned.addresses[0] = this.tape;
    this.owned.addresses[1] = this.work;
    this.owned.addresses[2] = this.scratch;
    this.owned.generation = this.loadedIn;
  }
}
