// A pool's worker (api/pool.ts): holds the functions sent to it, by id, and
// runs jobs on them, one message at a time. Runs in Node's worker_threads and
// as a module Web Worker.
import { deserialize } from "../api/serialize.js";
import type { Func } from "../api/func.js";
import { methodJob, runJob, type Job } from "../api/jobs.js";
import { errorData, type Reply, type Request } from "../runtime/messages.js";
import { gridRowsJob } from "./grid-async.js";
import { reparamStreamsJob } from "./reparam-async.js";

/** What this worker can run, by the names the pool's tasks give (api/async.ts, grid-async.ts, reparam-async.ts). */
const JOBS: Record<string, Job> = { "method": methodJob as Job, "grid rows": gridRowsJob as Job, "reparam streams": reparamStreamsJob as Job };

interface Port {
  post(message: Reply, transfer: Transferable[]): void;
  listen(handler: (message: Request) => void): void;
}

const NODE_THREADS = "node:worker_threads";

async function port(): Promise<Port> {
  const scope = globalThis as unknown as { postMessage?: (m: unknown, t: Transferable[]) => void; addEventListener?: (type: string, h: (e: MessageEvent) => void) => void };
  if (typeof scope.postMessage === "function" && typeof scope.addEventListener === "function") {
    return { post: (m, t) => scope.postMessage!(m, t), listen: (h) => scope.addEventListener!("message", (e) => h(e.data as Request)) };
  }
  const { parentPort } = (await import(/* @vite-ignore */ NODE_THREADS)) as {
    parentPort: { postMessage(m: unknown, t: readonly Transferable[]): void; on(type: "message", h: (m: unknown) => void): void };
  };
  return { post: (m, t) => parentPort.postMessage(m, t), listen: (h) => parentPort.on("message", (m) => h(m as Request)) };
}

const functions = new Map<number, Func>();
/** Why a function could not be loaded (its runs report it). */
const failed = new Map<number, unknown>();
const channel = await port();

channel.listen((request) => {
  if (request.kind === "load") {
    try {
      functions.set(request.id, deserialize(request.bytes));
    } catch (error) {
      failed.set(request.id, error);
    }
  } else if (request.kind === "drop") {
    functions.get(request.id)?.dispose();
    functions.delete(request.id);
    failed.delete(request.id);
  } else {
    try {
      if (request.func !== undefined && failed.has(request.func)) throw failed.get(request.func);
      const func = request.func === undefined ? undefined : functions.get(request.func);
      const { result, transfer } = runJob(JOBS, request.job, func, request.args);
      channel.post({ kind: "done", result }, transfer);
    } catch (error) {
      channel.post({ kind: "failed", error: errorData(error) }, []);
    }
  }
});
