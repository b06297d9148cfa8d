// The work a chunk of an async call does, the same in a worker and on the
// calling thread: a plain-data description in, plain data out.
import { InputError } from "../base/errors.js";
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

/** Runs a method of `func` on one chunk. */
function method(func: Func | undefined, { method, args, outs }: MethodArgs): JobResult {
  if (!func) throw new InputError(`the job '${method}' needs a function`);
  const call = (func as unknown as Record<string, (...a: unknown[]) => unknown>)[method];
  const options = args[args.length - 1] as { out?: Float64Array };
  // One array: the method writes it in place (no copy in this thread).
  if (outs?.length === 1) options.out = outs[0];
  const parts = takeApart(call.apply(func, args));
  if (!outs) return { result: parts, transfer: transferable(parts.leaves) };
  if (outs.length > 1) parts.leaves.forEach((leaf, i) => outs[i].set(leaf));
  return { result: null, transfer: [] };
}

const jobs: Record<string, (func: Func | undefined, args: never) => JobResult> = { method };

/** Runs job `name`: in a worker on its copy of the function, or on the calling thread. */
export function runJob(name: string, func: Func | undefined, args: unknown): JobResult {
  const job = jobs[name];
  if (!job) throw new InputError(`unknown job '${name}'`);
  return job(func, args as never);
}

/** Adds a job (the tools' async forms register theirs). */
export function addJob<A>(name: string, job: (func: Func | undefined, args: A) => JobResult): void {
  jobs[name] = job as (func: Func | undefined, args: never) => JobResult;
}
