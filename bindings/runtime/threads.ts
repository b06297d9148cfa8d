// One worker thread, the same to the pool in Node (node:worker_threads) and in
// browsers (Web Workers): post a message, hear messages and the thread's end.
// Node's module is imported by a name the bundlers do not follow, so the
// browser path never touches a Node built-in.

/** A worker thread as the pool drives it. */
export interface Thread {
  post(message: unknown, transfer: Transferable[]): void;
  /** Lets a Node process exit while this thread is idle (browsers: nothing to do). */
  idle(isIdle: boolean): void;
  /** Ends the thread; `asCrash`: the pool hears of it as of a crash. */
  terminate(asCrash?: boolean): void;
}

/** What a thread tells the pool. */
export interface ThreadEvents {
  message(data: unknown): void;
  /** The thread is gone (crashed, killed, or an error escaped it). */
  exit(reason: string): void;
}

const NODE_THREADS = "node:worker_threads";

/** The part of node:worker_threads' Worker used here (the bindings build without Node's types). */
interface NodeWorker {
  on(event: "message", listener: (data: unknown) => void): void;
  on(event: "error", listener: (error: Error) => void): void;
  on(event: "exit", listener: (code: number) => void): void;
  postMessage(message: unknown, transfer: readonly Transferable[]): void;
  ref(): void;
  unref(): void;
  terminate(): Promise<number>;
}

/** Starts a worker running the pool's worker script. */
export async function startThread(events: ThreadEvents): Promise<Thread> {
  if (typeof Worker === "function") return webThread(events);
  const threads = (await import(/* @vite-ignore */ NODE_THREADS)) as { Worker: new (url: URL, options: object) => NodeWorker };
  // The worker script is tools/pool-worker.js of the built package (dist/): started,
  // not imported. Not the process's flags: `--input-type` or `-e` would stop it loading.
  const worker = new threads.Worker(new URL("../tools/pool-worker.js", import.meta.url), { execArgv: [] });
  let ended = false;
  const end = (reason: string) => {
    if (!ended) { ended = true; events.exit(reason); }
  };
  worker.on("message", (data) => events.message(data));
  worker.on("error", (error) => end(`it failed: ${error.message}`));
  worker.on("exit", (code) => end(`it exited with code ${code}`));
  return {
    post: (message, transfer) => worker.postMessage(message, transfer),
    idle: (isIdle) => (isIdle ? worker.unref() : worker.ref()),
    terminate: (asCrash) => { ended = !asCrash; void worker.terminate(); },
  };
}

function webThread(events: ThreadEvents): Thread {
  // Written as bundlers (Vite, webpack, esbuild's plugins) recognize a worker, so they bundle it too.
  const worker = new Worker(new URL("../tools/pool-worker.js", import.meta.url), { type: "module" });
  worker.onmessage = (event) => events.message(event.data);
  worker.onerror = (event) => { event.preventDefault(); worker.terminate(); events.exit(`it failed: ${event.message}`); };
  return {
    post: (message, transfer) => worker.postMessage(message, transfer),
    idle: () => {},
    terminate: (asCrash) => { worker.terminate(); if (asCrash) events.exit("it was terminated"); },
  };
}
