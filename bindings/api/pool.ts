// A pool of worker threads, each with its own instance of the core. Work comes
// as tasks (a job name and plain-data arguments, see runtime/jobs.ts); an idle
// worker takes the next task from one queue, so a slow worker never holds the
// others back. A function travels to a worker as its bytes (Func.serialize),
// once, and stays there until it is disposed or garbage-collected.
import { GradientsError, InputError, InternalError, show } from "../base/errors.js";
import type { AnyFunc as Func } from "./func.js";
import { onDispose } from "../runtime/dispose-hooks.js";
import { startThread, type Thread } from "../runtime/threads.js";
import { reviveError, type Reply, type Request } from "../runtime/messages.js";
import { checkOptions } from "./validate.js";

/** Options of `createPool`. */
export interface PoolOptions {
  /** Number of workers: a whole number ≥ 1; default the machine's cores less one (at least one). */
  size?: number;
}

interface Task {
  job: string;
  args: unknown;
  transfer: Transferable[];
  func?: Func;
  /** A cancelled call's tasks that have not started are dropped. */
  signal?: AbortSignal;
  resolve(result: unknown): void;
  reject(error: unknown): void;
}

interface Slot {
  thread?: Promise<Thread>;
  /** Ids of the functions this worker holds. */
  loaded: Set<number>;
  task?: Task;
}

/** Ids by which workers know functions, and their bytes (made once per function). */
const known = new WeakMap<Func, { id: number; bytes: Uint8Array }>();
let nextId = 0;
/** Pools that may hold functions, to tell them when one goes. */
const live = new Set<Pool>();
const collected = new FinalizationRegistry<number>((id) => live.forEach((pool) => pool.drop(id)));
onDispose((owner) => {
  const entry = known.get(owner as Func);
  if (entry) live.forEach((pool) => pool.drop(entry.id));
});

/**
 * Worker threads for the async methods (`F.jacobianAsync(batch, { pool })`,
 * `grid.gradientAsync`, `reparam.gaussianAsync`): Node's worker_threads, or Web
 * Workers in a browser. Workers start at the first call; an idle pool does not
 * keep a Node process alive. `terminate()` ends them: a pool dropped without it
 * keeps its idle workers (and their memory) until the process or page ends.
 */
export class Pool {
  /** Number of workers. */
  readonly size: number;
  private readonly slots: Slot[];
  private readonly queue: Task[] = [];
  private ended = false;

  /** @internal Use `createPool`. */
  constructor(size: number) {
    this.size = size;
    this.slots = Array.from({ length: size }, () => ({ loaded: new Set<number>() }));
    live.add(this);
  }

  /** Whether `terminate()` has been called. */
  get terminated(): boolean {
    return this.ended;
  }

  /**
   * @internal Runs a job on the next free worker: its result, or a rejection with
   * the library's error class. `func`, if the job needs one, is sent first where missing.
   */
  run(job: string, args: unknown, transfer: Transferable[] = [], func?: Func, signal?: AbortSignal): Promise<unknown> {
    if (this.ended) return Promise.reject(new InputError("this pool has been terminated; create another with createPool"));
    return new Promise((resolve, reject) => {
      this.queue.push({ job, args, transfer, func, signal, resolve, reject });
      this.dispatch();
    });
  }

  /** Ends every worker; calls still running are rejected. The pool cannot be used again. */
  async terminate(): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    live.delete(this);
    const stopped = new InputError("the pool was terminated while this call ran");
    for (const task of this.queue.splice(0)) task.reject(stopped);
    await Promise.all(this.slots.map(async (slot) => {
      slot.task?.reject(stopped);
      slot.task = undefined;
      const thread = await slot.thread?.catch(() => undefined);
      thread?.terminate();
    }));
  }

  /** @internal Ends worker `index` as a crash would (tests of recovery). */
  async crashWorker(index: number): Promise<void> {
    (await this.slots[index].thread)?.terminate(true);
  }

  /** @internal Forgets function `id` in every worker that holds it. */
  drop(id: number): void {
    for (const slot of this.slots) {
      if (!slot.loaded.delete(id)) continue;
      void slot.thread?.then((thread) => thread.post({ kind: "drop", id } satisfies Request, []), () => {});
    }
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (slot.task) continue;
      let task = this.queue.shift();
      while (task?.signal?.aborted) {
        task.reject(task.signal.reason);
        task = this.queue.shift();
      }
      if (!task) return;
      void this.start(slot, task);
    }
  }

  private async start(slot: Slot, task: Task): Promise<void> {
    slot.task = task;
    // The function's bytes first: one that cannot be serialized (a scan) is refused with no worker started.
    let entry: { id: number; bytes: Uint8Array } | undefined;
    try {
      entry = task.func ? functionEntry(task.func) : undefined;
    } catch (error) {
      await undefined; // (finish dispatches the next task: not from inside this call, queued task after queued task)
      this.finish(slot, task, undefined, error);
      return;
    }
    let thread: Thread;
    try {
      thread = await (slot.thread ??= this.spawn(slot));
    } catch (error) {
      slot.thread = undefined; // the next task starts another
      slot.loaded.clear();
      this.finish(slot, task, undefined, error instanceof GradientsError ? error : new InternalError(`a worker could not start: ${(error as Error)?.message ?? show(error)}`, error));
      return;
    }
    if (slot.task !== task) return; // terminated, or the worker died while starting
    thread.idle(false);
    try {
      if (entry && !slot.loaded.has(entry.id)) {
        thread.post({ kind: "load", id: entry.id, bytes: entry.bytes } satisfies Request, []);
        slot.loaded.add(entry.id);
      }
      thread.post({ kind: "run", job: task.job, args: task.args, ...(entry ? { func: entry.id } : {}) } satisfies Request, task.transfer);
    } catch (error) {
      // The worker is well; what was sent is not something a worker can receive (a function among the options).
      // finish() leaves it idle, so that it no longer keeps the process alive.
      this.finish(slot, task, undefined, new InputError(`an async call's arguments and options must be data a worker can receive ` +
        `(numbers, strings, arrays, typed arrays, records of them): ${(error as Error)?.message ?? show(error)}`));
    }
  }

  private spawn(slot: Slot): Promise<Thread> {
    return startThread({
      message: (data) => {
        const reply = data as Reply, task = slot.task;
        if (!task) return;
        if (reply.kind === "done") this.finish(slot, task, reply.result);
        else this.finish(slot, task, undefined, reviveError(reply.error));
      },
      exit: (reason) => {
        // Replaced: the next task starts a new worker, which gets its functions again.
        slot.thread = undefined;
        slot.loaded.clear();
        const task = slot.task;
        if (task) this.finish(slot, task, undefined, new InternalError(`a worker of the pool stopped while it computed (${reason}); it has been replaced`));
      },
    });
  }

  private finish(slot: Slot, task: Task, result: unknown, error?: unknown): void {
    if (slot.task !== task) return;
    slot.task = undefined;
    if (error === undefined) task.resolve(result);
    else task.reject(error);
    if (this.queue.length > 0) this.dispatch();
    // (the queue may have held only cancelled tasks: a slot left without one lets Node exit)
    if (!slot.task) void slot.thread?.then((thread) => { if (!slot.task) thread.idle(true); }, () => {});
  }
}

function functionEntry(func: Func): { id: number; bytes: Uint8Array } {
  let entry = known.get(func);
  if (!entry) {
    entry = { id: nextId++, bytes: func.serialize() };
    known.set(func, entry);
    collected.register(func, entry.id);
  }
  return entry;
}

/** Cores of this machine: navigator.hardwareConcurrency (browsers and Node ≥ 21), else os.availableParallelism. */
function cores(): number {
  const n = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency;
  return typeof n === "number" && n >= 1 ? n : nodeCores();
}

function nodeCores(): number {
  const os = (globalThis as { process?: { getBuiltinModule?: (name: string) => { availableParallelism(): number } | undefined } })
    .process?.getBuiltinModule?.("node:os");
  return os ? os.availableParallelism() : 2;
}

/**
 * A pool of `size` worker threads (default: the machine's cores less one, at
 * least one), each with its own WebAssembly core, for the async methods' `pool`
 * option. Workers start at the first call that needs them.
 * @param options `size`: the number of workers
 * @example
 * ```ts
 * import { compile, createPool, Tensor } from "gradients";
 * const pool = createPool({ size: 2 });
 * const F = compile(["x*y", "x - y"]);
 * const J = await F.jacobianAsync(new Tensor([1000, 2], new Float64Array(2000).fill(1)), { pool });
 * await pool.terminate();
 * ```
 */
export function createPool(options: PoolOptions = {}): Pool {
  checkOptions(options, ["size"], "createPool");
  const size = options.size ?? Math.max(1, cores() - 1);
  if (!Number.isInteger(size) || size < 1 || size > 256) throw new InputError(`a pool's size is a whole number from 1 to 256, got ${show(options.size)}`);
  return new Pool(size);
}
