// A compiled tape's home in WASM memory, and the one place that runs sweeps on it.
//
// A Kernel owns three regions: the tape, a workspace for the sweeps' blocks, and a
// scratch region for one call's descriptor, seeds, points and results. The sweeps
// never call back into JavaScript, so reusing the kernel's own regions across
// calls is safe. Batches are cut into chunks so the scratch region stays bounded
// however many points a call brings.
import { core, f64, generation, guard, i32 } from "./loader.js";
import type { TapeData } from "./compile.js";

/** Sweep kinds, as assembly/sweeps.ts numbers them. */
export const enum Kind {
  Value = 0,
  Forward = 1,
  FiniteDiff = 2,
}

/** Widest tangent chunk: n inputs take ceil(n / MAX_LANES) forward sweeps. */
export const MAX_LANES = 8;
/** Points per block, measured (see README, "Benchmarks"); smaller when a tape is large. */
const MAX_BLOCK = 128;
/** Bytes a sweep's block rows may take, so the working set stays in cache. */
const WORK_BUDGET = 1 << 20;
/** Bytes of points and results one chunk of a batch may take in scratch. */
const CHUNK_BUDGET = 4 << 20;
/** Bytes of the Sweep descriptor (14 × i32), padded to keep what follows 16-byte aligned. */
const DESCRIPTOR_BYTES = 64;
const TAPE_HEADER_BYTES = 32;

/** Where a sweep writes tangent lane l of output o at point p: p*point + o*out + l*lane + offset. */
export interface TangentLayout {
  point: number;
  out: number;
  lane: number;
  offset: number;
}

/** The lanes to push through one sweep: seeds[p*seedStride + l*nIn + i] (seedStride 0: shared). */
export interface Seeds {
  data: Float64Array;
  lanes: number;
  /** Entries per point of `data` (0: one K × nIn matrix for every point). */
  stride: number;
}

/** A WASM pass over each chunk's tangents (e.g. Jacobians → divergence), producing `perPoint` numbers. */
interface Reduction {
  perPoint: number;
  apply(tangentsAt: number, count: number, resultAt: number): void;
}

/** n lanes seeding input l in lane l: one sweep set yields the whole Jacobian. */
export function identitySeeds(n: number): Seeds {
  const data = new Float64Array(n * n);
  for (let i = 0; i < n; i++) data[i * n + i] = 1;
  return { data, lanes: n, stride: 0 };
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
    const nIn = this.nIn, nOut = this.nOut;
    const lanes = seeds ? seeds.lanes : 0;
    const sweeps = lanes > 0 ? Math.ceil(lanes / MAX_LANES) : 1;
    const K = lanes > 0 ? Math.ceil(lanes / sweeps) : 1; // balanced chunks, as ForwardDiff picks them
    const perPointOut = values ? nOut : layout!.point;
    const seedPerPoint = seeds && seeds.stride > 0 ? seeds.stride : 0;
    const perPointResult = reduce ? reduce.perPoint : perPointOut;
    const perPoint = nIn + perPointOut + seedPerPoint + (reduce ? perPointResult : 0);
    const chunk = Math.max(1, Math.min(N, Math.floor(CHUNK_BUDGET / (8 * perPoint))));
    const sharedSeeds = seeds && seeds.stride === 0 ? seeds.data.length : 0;

    guard(() => {
      this.load();
      const B = this.blockSize(kind, K, chunk);
      this.ensureWork(core().workSize(this.tape, kind, B, K));
      const pointsAt = this.ensureScratch(DESCRIPTOR_BYTES + 8 * (sharedSeeds + chunk * perPoint)) + DESCRIPTOR_BYTES;
      const seedsAt = pointsAt + 8 * chunk * nIn;
      const outAt = seedsAt + 8 * (seedPerPoint ? chunk * seedPerPoint : sharedSeeds);
      if (sharedSeeds) f64().set(seeds!.data, seedsAt >> 3);

      for (let start = 0; start < N; start += chunk) {
        const count = Math.min(chunk, N - start);
        f64().set(points.subarray(start * nIn, (start + count) * nIn), pointsAt >> 3);
        if (seedPerPoint) f64().set(seeds!.data.subarray(start * seedPerPoint, (start + count) * seedPerPoint), seedsAt >> 3);
        for (let s = 0; s < sweeps; s++) {
          const lane0 = s * K, k = Math.min(K, lanes - lane0);
          this.describe(count, pointsAt, B, k, seedsAt + 8 * lane0 * nIn, seedPerPoint,
            values ? outAt : 0, tangents ? outAt : 0, layout, lane0);
          const c = core();
          if (kind === Kind.Value) c.valueSweep(this.scratch);
          else if (kind === Kind.Forward) c.forwardSweep(this.scratch);
          else c.finiteDiffSweep(this.scratch);
        }
        let from = outAt >> 3;
        if (reduce) {
          const resultAt = outAt + 8 * chunk * perPointOut;
          reduce.apply(outAt, count, resultAt);
          from = resultAt >> 3;
        }
        (values ?? tangents)!.set(f64().subarray(from, from + count * perPointResult), start * perPointResult);
      }
    });
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
  }

  /** Largest even block ≤ MAX_BLOCK whose rows fit WORK_BUDGET, and no larger than the points. */
  private blockSize(kind: Kind, K: number, count: number): number {
    const bytesPerPoint = core().workSize(this.tape, kind, 2, K) / 2;
    const fit = Math.floor(WORK_BUDGET / bytesPerPoint) & ~1;
    return Math.max(2, Math.min(MAX_BLOCK, fit, (count + 1) & ~1));
  }

  /** Uploads the tape into the current instance, if it is not there yet. */
  private load(): void {
    if (this.loadedIn === generation) return;
    // A new instance: addresses from an older one are void.
    this.tape = this.work = this.scratch = 0;
    this.workBytes = this.scratchBytes = 0;
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

  private ensureWork(bytes: number): void {
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
