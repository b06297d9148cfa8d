// The work a chunk of an async call does, the same in a worker and on the
// calling thread: a plain-data description in, plain data out.
import { InputError } from "../base/errors.js";
import { ASYNC_KEYS, ASYNC_OPTIONS } from "./validate.js";
import type { AnyFunc as Func } from "./func.js";
import { takeApart, transferable, type Skeleton } from "../runtime/results-tree.js";

/** One chunk of a Func method's batch: the method's arguments, with the chunk's points. */
export interface MethodArgs {
  method: string;
  /** The arguments in order; the options object last. */
  args: unknown[];
  /** Where to write the result's arrays (views of the whole batch's results), if the caller can share them. */
  outs?: Float64Array[];
}

/** A chunk's result: its skeleton and arrays, or null when they were written to `outs`. */
export type MethodResult = { skeleton: Skeleton; leaves: Float64Array[] } | null;

/** A job's result and the buffers to transfer with it. */
export interface JobResult {
  result: unknown;
  transfer: Transferable[];
}

/** A job: what a worker runs for a task (the pool's worker keeps the table of them, tools/pool-worker.ts). */
export type Job<A = never> = (func: Func | undefined, args: A) => JobResult;

/** Runs a method of `func` on one chunk: the job "method". */
export function methodJob(func: Func | undefined, { method, args, outs }: MethodArgs): JobResult {
  if (!func) throw new InputError(`the job '${method}' needs a function`);
  const call = (func as unknown as Record<string, (...a: unknown[]) => unknown>)[method];
  const options = args[args.length - 1] as { out?: Float64Array; [ASYNC_OPTIONS]?: readonly string[] };
  // (a worker's copy of the options lost the mark a symbol key is: unknown keys are told against the async options too)
  options[ASYNC_OPTIONS] = ASYNC_KEYS;
  // One array: the method writes it in place (no copy in this thread).
  if (outs?.length === 1) options.out = outs[0];
  const parts = takeApart(call.apply(func, args));
  if (!outs) return { result: parts, transfer: transferable(parts.leaves) };
  if (outs.length > 1) parts.leaves.forEach((leaf, i) => outs[i].set(leaf));
  return { result: null, transfer: [] };
}

/** Runs job `name` of `jobs`. */
export function runJob(jobs: Readonly<Record<string, Job>>, name: string, func: Func | undefined, args: unknown): JobResult {
  if (!Object.hasOwn(jobs, name)) throw new InputError(`unknown job '${name}'`);
  return jobs[name](func, args as never);
}
