// The reparameterization estimates' async forms: an estimate's streams (see
// reparam.ts: 65,536 samples each, from generators jumped apart) are run in
// groups on a pool's workers or on the calling thread, and their statistics
// combined in stream order, so a seed gives the synchronous estimate's bits for
// any pool size and chunking.
import type { Func } from "../api/func.js";
import type { Node } from "../front/node.js";
import type { TensorLike } from "../base/tensor.js";
import { eachChunk, readAsyncOptions, type AsyncOptions } from "../api/async.js";
import type { Job } from "../api/jobs.js";
import { transferable } from "../runtime/results-tree.js";
import type { Range } from "../runtime/chunks.js";
import {
  planExpectation, planGaussian, planScore, runStreams,
  type ExpectationEstimate, type ExpectationOptions, type GaussianEstimate, type GaussianParams, type SampleOptions, type StreamArgs, type StreamPlan,
  type LogSigmaEstimate, type LogSigmaParams, type SigmaEstimate, type SigmaParams,
} from "./reparam.js";

/** @internal Streams of an estimate, in a worker. */
export const reparamStreamsJob: Job<{ args: StreamArgs; range: Range }> = (func, { args, range }) => {
  const stats = runStreams(func as Func, args, range.start, range.end - range.start);
  return { result: stats, transfer: transferable([stats]) };
};

/** `reparam.gaussian`, asynchronously (see AsyncOptions; `chunkSize` counts streams of 65,536 samples). The same estimate, bit for bit. */
export function gaussianAsync(f: Func, params: SigmaParams, options: SampleOptions & AsyncOptions): Promise<SigmaEstimate>;
export function gaussianAsync(f: Func, params: LogSigmaParams, options: SampleOptions & AsyncOptions): Promise<LogSigmaEstimate>;
export function gaussianAsync(f: Func, params: GaussianParams, options: SampleOptions & AsyncOptions): Promise<GaussianEstimate>;
export async function gaussianAsync(f: Func, params: GaussianParams, options: SampleOptions & AsyncOptions): Promise<GaussianEstimate> {
  const { async, rest } = readAsyncOptions(options);
  return streamsAsync(planGaussian(f, params, rest as unknown as SampleOptions), async);
}

/** `reparam.score`, asynchronously (see gaussianAsync). */
export function scoreAsync(f: Func, params: SigmaParams, options: SampleOptions & AsyncOptions): Promise<SigmaEstimate>;
export function scoreAsync(f: Func, params: LogSigmaParams, options: SampleOptions & AsyncOptions): Promise<LogSigmaEstimate>;
export function scoreAsync(f: Func, params: GaussianParams, options: SampleOptions & AsyncOptions): Promise<GaussianEstimate>;
export async function scoreAsync(f: Func, params: GaussianParams, options: SampleOptions & AsyncOptions): Promise<GaussianEstimate> {
  const { async, rest } = readAsyncOptions(options);
  return streamsAsync(planScore(f, params, rest as unknown as SampleOptions), async);
}

/** `reparam.expectationGrad`, asynchronously (see gaussianAsync); `g` is traced on the calling thread. */
export async function expectationGradAsync(f: Func, g: (eps: Node, theta: Node) => Node, theta: ArrayLike<number> | TensorLike,
                                     options: ExpectationOptions & AsyncOptions): Promise<ExpectationEstimate> {
  const { async, rest } = readAsyncOptions(options);
  return streamsAsync(planExpectation(f, g, theta, rest as unknown as ExpectationOptions), async);
}

async function streamsAsync<R>(plan: StreamPlan<R>, async: AsyncOptions): Promise<R> {
  try {
    async.signal?.throwIfAborted();
    const { pool } = async, streams = plan.streams;
    const size = async.chunkSize ?? (pool ? Math.max(1, Math.ceil(streams / (4 * pool.size))) : 1);
    const ranges: Range[] = [];
    for (let start = 0; start < streams; start += size) ranges.push({ start, end: Math.min(streams, start + size) });
    const parts: Float64Array[] = new Array(ranges.length);
    await eachChunk(ranges, async, streams, 0, async (range) => {
      parts[ranges.indexOf(range)] = pool
        ? (await pool.run("reparam streams", { args: plan.args, range }, [], plan.func, async.signal)) as Float64Array
        : runStreams(plan.func, plan.args, range.start, range.end - range.start);
    });
    return plan.finish(parts);
  } finally {
    plan.dispose();
  }
}
