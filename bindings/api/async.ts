// The async forms of the batch methods: the batch is cut into chunks along its
// leading axis N, the chunks run on a pool's workers (or on the calling thread,
// yielding to the event loop between them), and the chunks' results are laid
// side by side. Every point's result is computed as in the synchronous call, so
// the whole is the same to the bit.
//
// The first chunk is a small probe: its result says what the whole result looks
// like (a Tensor, a record of them, …), so the whole batch's arrays can be made
// before the other chunks run, in shared memory where there is some: workers
// then write their rows in place and nothing is copied between threads.
import { InputError, ShapeError, show } from "../base/errors.js";
import { Tensor } from "../base/tensor.js";
import { WasmBuffer } from "../runtime/buffer.js";
import { Pool } from "./pool.js";
import { methodJob, type MethodArgs, type MethodResult } from "./jobs.js";
import { forBatch, perPoint, putTogether } from "../runtime/results-tree.js";
import { chunkRanges, yieldToEventLoop, type Range } from "../runtime/chunks.js";
import { isShared, sharedArray, sharedMemory } from "../base/shared-memory.js";
import type { Segment } from "../runtime/kernel.js";
import { ASYNC_KEYS, ASYNC_OPTIONS, readArgs, type Args, type InputDecl } from "./validate.js";
import type { AnyFunc as Func } from "./func.js";

/** Options of every async method, with the synchronous method's own. */
export interface AsyncOptions {
  /** Workers to run the chunks on (createPool); without one, the chunks run on the calling thread. */
  pool?: Pool;
  /** Cancels the call between chunks: it rejects with the signal's reason (an AbortError by default). */
  signal?: AbortSignal;
  /** Called as chunks finish, with the points done so far and the batch's N. */
  onProgress?: (done: number, total: number) => void;
  /** Points per chunk (default: about four chunks per worker, at most 65,536 points; without a pool 16,384). */
  chunkSize?: number;
}

/** One argument of a method that may carry a batch: its value, how to read it, and its name in errors. */
export interface BatchArgument {
  value: unknown;
  decls: readonly InputDecl[];
  what: string;
  /** The variables' names, for a point given by name (see readArgs). */
  names?: readonly string[];
}


/** The async options, checked, and the rest (the synchronous method's options). */
export function readAsyncOptions(options: unknown): { async: AsyncOptions; rest: Record<string, unknown> } {
  if (typeof options !== "object" || options === null) throw new InputError(`options must be an object, got ${show(options)}`);
  const rest: Record<string, unknown> = { ...options };
  const async: AsyncOptions = {};
  for (const key of ASYNC_KEYS) {
    if (rest[key] !== undefined) (async as Record<string, unknown>)[key] = rest[key];
    delete rest[key];
  }
  if (async.pool !== undefined && !(async.pool instanceof Pool)) throw new InputError(`pool must be a pool from createPool, got ${show(async.pool)}`);
  if (async.signal !== undefined && !(typeof async.signal === "object" && typeof async.signal.aborted === "boolean")) {
    throw new InputError(`signal must be an AbortSignal, got ${show(async.signal)}`);
  }
  if (async.onProgress !== undefined && typeof async.onProgress !== "function") throw new InputError(`onProgress must be a function (done, total), got ${show(async.onProgress)}`);
  if (async.chunkSize !== undefined && !(Number.isInteger(async.chunkSize) && async.chunkSize >= 1)) {
    throw new InputError(`chunkSize must be a whole number ≥ 1, got ${show(async.chunkSize)}`);
  }
  if (rest.out instanceof WasmBuffer) throw new InputError("an async call's out must be a Float64Array (a WasmBuffer lives in one thread's WebAssembly memory)");
  (rest as { [ASYNC_OPTIONS]?: readonly string[] })[ASYNC_OPTIONS] = ASYNC_KEYS;
  return { async, rest };
}

/**
 * `func[method](...lead, ...batch arguments, options)` over chunks of the batch.
 * `batch[0]` (the point) decides N; the others are cut with it where batched.
 */
export async function methodAsync(func: Func, method: string, lead: readonly unknown[], batch: readonly BatchArgument[],
                                  options: unknown): Promise<unknown> {
  const { async, rest } = readAsyncOptions(options);
  if (rest.reduce !== undefined) {
    throw new InputError("reduce is not available in async calls (a sum over chunks would not give the synchronous call's bits); sum the per-point results, or call the synchronous method");
  }
  if (func.disposed) throw new InputError("this function has been disposed");
  const read = batch.map((b) => readArgs(b.decls, b.value, b.what, b.names));
  if (read.some((r) => r.segments.some((s) => s.address !== undefined))) {
    throw new InputError("async calls take points in JavaScript arrays or Tensors, not WasmBuffers (they live in one thread's WebAssembly memory)");
  }
  const { pool, signal } = async;
  signal?.throwIfAborted();
  if (rest.out !== undefined && !(rest.out instanceof Float64Array)) throw new InputError(`an async call's out must be a Float64Array, got ${show(rest.out)}`);
  if (!read[0].batched) {
    // One point: the synchronous method, on this thread (a worker would only add the trip).
    await yieldToEventLoop();
    signal?.throwIfAborted();
    const call = (func as unknown as Record<string, (...a: unknown[]) => unknown>)[method];
    const result = call.apply(func, [...lead, ...batch.map((b) => b.value), rest]);
    async.onProgress?.(1, 1);
    return result;
  }
  const N = read[0].count;
  read.forEach((r, i) => {
    if (i > 0 && r.batched && r.count !== N) throw new ShapeError(`a batch of ${r.count} ${batch[i].what}s needs a batch of as many points, got ${N} points`);
  });
  const sent = { ...rest };
  delete sent.out; // each chunk writes its own rows (or returns them)
  const shared = pool !== undefined && sharedMemory();
  // How a chunk's rows reach a worker: a view of shared memory (the batch's own, or
  // a copy made chunk by chunk as the chunks go out), or a copy transferred to it.
  const rows: RowSource = !pool ? { kind: "view" } : shared ? { kind: "shared", copies: new Map() } : { kind: "transfer" };
  /** The arguments for the points in `range`, and the buffers to transfer with them. */
  const job = (range: Range, outs?: Float64Array[]): { job: MethodArgs; transfer: Transferable[] } => {
    const transfer: Transferable[] = [];
    const values = batch.map((b, i) => cut(b, read[i], range, rows, transfer));
    return { job: { method, args: [...lead, ...values, { ...sent }], outs }, transfer };
  };
  const ranges = chunkRanges(N, async.chunkSize ?? (pool ? Math.min(65536, Math.ceil(N / (4 * pool.size))) : 16384));
  if (!pool) await yieldToEventLoop();
  // The probe: the first chunk, alone.
  const probe = (await untilAborted(run(func, pool, job(ranges[0]), signal), signal))!;
  const sizes = perPoint(probe.leaves, ranges[0].end);
  const out = rest.out as Float64Array | undefined;
  if (out !== undefined && probe.leaves.length > 1) {
    throw new InputError(`out holds one array, and this result has ${probe.leaves.length} (a record or { value, grad }): leave out out in this async call`);
  }
  if (out !== undefined && out.length !== N * sizes[0]) throw new ShapeError(`out must have ${N * sizes[0]} entries for this result, got ${out.length}`);
  const whole = sizes.map((size, i) =>
    i === 0 && out ? out : (shared ? sharedArray(N * size) : new Float64Array(N * size)));
  probe.leaves.forEach((leaf, i) => whole[i].set(leaf));
  async.onProgress?.(ranges[0].end, N);
  // Rows written in place where the workers can reach the whole result (or there are no workers).
  const inPlace = !pool || whole.every(isShared);
  await eachChunk(ranges.slice(1), async, N, ranges[0].end, async (range) => {
    const outs = inPlace ? whole.map((w, i) => w.subarray(range.start * sizes[i], range.end * sizes[i])) : undefined;
    const result = await run(func, pool, job(range, outs), signal);
    result?.leaves.forEach((leaf, i) => whole[i].set(leaf, range.start * sizes[i]));
  });
  return putTogether(forBatch(probe.skeleton, N), whole);
}

/**
 * Runs `work` on each range, reporting progress in points out of `total`
 * (`done` already) and stopping at the signal. With a pool, two chunks per
 * worker are under way at a time and the next starts as one finishes, so what
 * `work` does on this thread before handing a chunk over (copying its rows into
 * shared memory) overlaps the workers' computing; a cancelled call rejects at
 * once, and chunks running finish unseen. Without one, one chunk after another
 * with a turn of the event loop before each.
 */
export async function eachChunk(ranges: readonly Range[], async: AsyncOptions, total: number, done: number,
                                work: (range: Range) => Promise<void>): Promise<void> {
  const chunk = async (range: Range) => {
    await work(range);
    done += range.end - range.start;
    async.onProgress?.(done, total);
  };
  const { pool, signal } = async;
  if (pool) {
    const all = new Promise<void>((resolve, reject) => {
      let next = 0, running = 0, failed = false;
      const launch = () => {
        if (next === ranges.length && running === 0) resolve();
        while (!failed && !signal?.aborted && running < 2 * pool.size && next < ranges.length) {
          running++;
          chunk(ranges[next++]).then(() => { running--; launch(); }, (error) => { failed = true; reject(error); });
        }
      };
      launch();
    });
    await untilAborted(all, signal);
    return;
  }
  for (const range of ranges) {
    await yieldToEventLoop();
    async.signal?.throwIfAborted();
    await chunk(range);
  }
}

/** One chunk's job, on a worker or here. */
async function run(func: Func, pool: Pool | undefined, { job, transfer }: { job: MethodArgs; transfer: Transferable[] },
                   signal?: AbortSignal): Promise<MethodResult> {
  if (!pool) return methodJob(func, job).result as MethodResult;
  return (await pool.run("method", job, transfer, func, signal)) as MethodResult;
}

/** The promise, or the signal's reason as soon as it aborts. */
export function untilAborted<T>(promise: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return promise;
  return new Promise<T>((resolve, reject) => {
    const abort = () => reject(signal.reason);
    if (signal.aborted) abort();
    signal.addEventListener("abort", abort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", abort));
  });
}

/** How chunks' rows are given: views (this thread), views of shared memory (copied there chunk by chunk when the batch is not), or transferred copies. */
type RowSource = { kind: "view" } | { kind: "shared"; copies: Map<Segment, Float64Array> } | { kind: "transfer" };

/** A batch argument's value for the points in `range`: batched inputs cut, shared ones as given. */
function cut(b: BatchArgument, read: Args, range: Range, rows: RowSource, transfer: Transferable[]): unknown {
  const count = range.end - range.start;
  const part = (i: number) => {
    const d = b.decls[i], s = read.segments[i], lo = range.start * d.size, hi = range.end * d.size;
    let data: Float64Array;
    if (rows.kind === "transfer") {
      data = s.data.slice(lo, hi);
      transfer.push(data.buffer as ArrayBuffer);
    } else if (rows.kind === "shared" && !isShared(s.data)) {
      let copy = rows.copies.get(s);
      if (!copy) rows.copies.set(s, (copy = sharedArray(s.data.length)));
      copy.set(s.data.subarray(lo, hi), lo);
      data = copy.subarray(lo, hi);
    } else {
      data = s.data.subarray(lo, hi);
    }
    return new Tensor([count, ...d.shape], data);
  };
  if (b.decls.length === 1) return read.segments[0].batched ? part(0) : b.value;
  const record = b.value as Record<string, unknown>;
  return Object.fromEntries(b.decls.map((d, i) => [d.name, read.segments[i].batched ? part(i) : record[d.name]]));
}
