// Pools of worker threads and the async methods, on the built package (dist/: the
// workers run its runtime/pool-worker.js). Every async result must equal the
// synchronous call's bit for bit, for pools of 1, 2 and 3 workers, without a
// pool, and for chunk sizes that do not divide the batch; cancellation,
// progress, errors from a worker, a worker killed mid-call and many calls in a
// row must leave the pool usable and its memory flat.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  compile, createPool, fn, fd, grid, reparam, buffer, CallbackError, InputError, InternalError, GradientsError, Tensor, type Func, type Pool,
} from "../../dist/index.js";

const leaves = (x: unknown): number[] => {
  if (typeof x === "number") return [x];
  if (x instanceof Float64Array || x instanceof Float32Array) return [...x];
  if (x instanceof Tensor) return [...x.data];
  if (Array.isArray(x)) return x.flatMap(leaves);
  return Object.entries(x as Record<string, unknown>).flatMap(([k, v]) => [k.length, ...leaves(v)]);
};

/** Same structure (Tensor shapes, record keys) and the same numbers to the bit. */
function expectSame(got: unknown, want: unknown, label: string): void {
  const shape = (x: unknown): unknown => x instanceof Tensor ? ["T", x.shape] : x instanceof Float64Array ? ["F", x.length]
    : typeof x === "number" ? "n" : Object.fromEntries(Object.entries(x as object).map(([k, v]) => [k, shape(v)]));
  expect(shape(got), `${label}: structure`).toEqual(shape(want));
  const g = leaves(got), w = leaves(want);
  for (let i = 0; i < w.length; i++) if (!Object.is(g[i], w[i])) expect.fail(`${label}[${i}]: got ${g[i]}, want ${w[i]}`);
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected the call to reject");
}

const N = 1001;
const points = (width: number, seed: number) => new Tensor([N, width], Float64Array.from({ length: N * width }, (_, i) => 0.3 + ((i * 7919 + seed) % 1013) / 400));
const field = compile(["x*y*sin(z)", "exp(x)*cos(y) + z^2", "x/(1+y^2) + sqrt(z)"], { vars: ["x", "y", "z"] });
const scalar = compile("x^2*y + log(z)*sin(x*y) + where(x > 1, x^3, -x)", { vars: ["x", "y", "z"] });
const named = fn({ A: [2, 2], x: 2 }, ({ A, x }) => A.matvec(x).dot(x).log());
const X = points(3, 1), V = points(3, 2);
const batchA = new Tensor([N, 2, 2], Float64Array.from({ length: 4 * N }, (_, i) => 1 + ((i * 31) % 17) / 4));

/** Every batch method, as [label, sync call, async call]. */
const calls: [string, (f: Func) => unknown, (f: Func, o: object) => Promise<unknown>][] = [
  ["eval", () => field.eval(X), (_, o) => field.evalAsync(X, o)],
  ["jacobian forward", () => field.jacobian(X, { mode: "forward" }), (_, o) => field.jacobianAsync(X, { mode: "forward", ...o })],
  ["jacobian reverse", () => field.jacobian(X, { mode: "reverse" }), (_, o) => field.jacobianAsync(X, { mode: "reverse", ...o })],
  ["jacobian fd", () => field.jacobian(X, { mode: "fd" }), (_, o) => field.jacobianAsync(X, { mode: "fd", ...o })],
  ["partial", () => field.partial("y", X), (_, o) => field.partialAsync("y", X, o)],
  ["jvp (batched v)", () => field.jvp(X, V), (_, o) => field.jvpAsync(X, V, o)],
  ["directional (shared v)", () => field.directional(X, [1, -2, 0.5]), (_, o) => field.directionalAsync(X, [1, -2, 0.5], o)],
  ["vjp (batched w)", () => field.vjp(X, V), (_, o) => field.vjpAsync(X, V, o)],
  ["divergence", () => field.divergence(X), (_, o) => field.divergenceAsync(X, o)],
  ["curl", () => field.curl(X), (_, o) => field.curlAsync(X, o)],
  ["jacobianDeterminant", () => field.jacobianDeterminant(X), (_, o) => field.jacobianDeterminantAsync(X, o)],
  ["grad", () => scalar.grad(X), (_, o) => scalar.gradAsync(X, o)],
  ["valueAndGrad", () => scalar.valueAndGrad(X), (_, o) => scalar.valueAndGradAsync(X, o)],
  ["hessian", () => scalar.hessian(X), (_, o) => scalar.hessianAsync(X, o)],
  ["hvp", () => scalar.hvp(X, V), (_, o) => scalar.hvpAsync(X, V, o)],
  ["hessianDiagonal", () => scalar.hessianDiagonal(X), (_, o) => scalar.hessianDiagonalAsync(X, o)],
  ["laplacian", () => scalar.laplacian(X), (_, o) => scalar.laplacianAsync(X, o)],
  ["named grad (shared x)", () => named.grad({ A: batchA, x: [0.5, 2] }), (_, o) => named.gradAsync({ A: batchA, x: [0.5, 2] }, o)],
  ["named grad wrt", () => named.grad({ A: batchA, x: [0.5, 2] }, { wrt: "x" }), (_, o) => named.gradAsync({ A: batchA, x: [0.5, 2] }, { wrt: "x", ...o })],
  ["named hessian", () => named.hessian({ A: batchA, x: [0.5, 2] }), (_, o) => named.hessianAsync({ A: batchA, x: [0.5, 2] }, o)],
  ["named valueAndGrad", () => named.valueAndGrad({ A: batchA, x: [0.5, 2] }), (_, o) => named.valueAndGradAsync({ A: batchA, x: [0.5, 2] }, o)],
];

describe("async methods of compiled functions", () => {
  const pools: Record<number, Pool> = {};
  beforeAll(() => {
    for (const size of [1, 2, 3]) pools[size] = createPool({ size });
  });
  afterAll(async () => {
    for (const pool of Object.values(pools)) await pool.terminate();
  });

  for (const size of [0, 1, 2, 3]) {
    it(`give the synchronous results bit for bit ${size ? `with a pool of ${size}` : "without a pool"}`, async () => {
      for (const chunkSize of [97, 1000, undefined]) {
        const options = { ...(size ? { pool: pools[size] } : {}), chunkSize };
        for (const [label, sync, async] of calls) {
          expectSame(await async(field, options), sync(field), `${label}, chunks of ${chunkSize}`);
        }
      }
    }, 60_000);
  }

  it("take one point, and write a batch into out", async () => {
    const pool = pools[2];
    expectSame(await scalar.gradAsync([1, 2, 3], { pool }), scalar.grad([1, 2, 3]), "one point");
    expectSame(await field.curlAsync([1, 2, 3]), field.curl([1, 2, 3]), "one point, no pool");
    const out = new Float64Array(9 * N);
    const J = await field.jacobianAsync(X, { pool, out, chunkSize: 100 });
    expect((J as Tensor).data).toBe(out);
    expectSame(J, field.jacobian(X), "out");
    const shared = new Float64Array(new SharedArrayBuffer(8 * 9 * N));
    expect(((await field.jacobianAsync(X, { pool, out: shared, chunkSize: 100 })) as Tensor).data).toBe(shared);
    expectSame(new Tensor([N, 3, 3], Float64Array.from(shared)), field.jacobian(X), "shared out");
  });

  it("report progress chunk by chunk, in points", async () => {
    for (const pool of [undefined, pools[3]]) {
      const seen: [number, number][] = [];
      await field.jacobianAsync(X, { pool, chunkSize: 100, onProgress: (done, total) => seen.push([done, total]) });
      // a probe of 16 points, then 985 in chunks of 100
      expect(seen.length).toBe(11);
      expect(seen.every(([, total]) => total === N)).toBe(true);
      expect(seen.map(([done]) => done)).toEqual([...seen.map(([done]) => done)].sort((a, b) => a - b));
      expect(seen[0][0]).toBe(16);
      expect(seen.at(-1)![0]).toBe(N);
    }
  });

  it("cancel between chunks with the signal's reason, and the pool goes on", async () => {
    for (const pool of [undefined, pools[2]]) {
      const controller = new AbortController();
      let progress = 0;
      const error = await rejection(field.jacobianAsync(X, {
        pool, chunkSize: 50, signal: controller.signal,
        onProgress: () => { if (++progress === 2) controller.abort(); },
      }));
      expect((error as Error).name).toBe("AbortError");
      expect(progress).toBeLessThan(21);
      const reason = new Error("stop now");
      const early = new AbortController();
      early.abort(reason);
      expect(await rejection(scalar.gradAsync(X, { pool, signal: early.signal }))).toBe(reason);
      expectSame(await field.jacobianAsync(X, { pool }), field.jacobian(X), "after a cancellation");
    }
  });

  it("reject with the library's error class when a worker's call fails, and the pool goes on", async () => {
    const pool = pools[2];
    const error = await rejection(field.jacobianAsync(X, { pool, mode: "sideways" as "auto" }));
    expect(error).toBeInstanceOf(InputError);
    expect(error).toBeInstanceOf(GradientsError);
    expect((error as Error).message).toMatch(/mode/);
    expect(await rejection(field.jacobianAsync(X, { pool, reduce: "sum" }))).toBeInstanceOf(InputError);
    expect(await rejection(field.jacobianAsync(X, { pool, out: buffer([N, 3, 3]) }))).toBeInstanceOf(InputError);
    expect(await rejection(field.jacobianAsync(X, { pool: {} as Pool }))).toBeInstanceOf(InputError);
    expect(await rejection(field.jacobianAsync(new Tensor([2, 2], Float64Array.of(1, 2, 3, 4)), { pool }))).toBeInstanceOf(GradientsError);
    expectSame(await field.jacobianAsync(X, { pool }), field.jacobian(X), "after the errors");
  });

  it("a worker killed mid-call rejects that call with an InternalError and is replaced", async () => {
    const pool = createPool({ size: 2 });
    try {
      const big = points(3, 5);
      const many = new Tensor([60 * N, 3], Float64Array.from({ length: 180 * N }, (_, i) => big.data[i % big.data.length]));
      let killed = false;
      const error = await rejection(field.jacobianAsync(many, {
        pool, chunkSize: 500,
        onProgress: () => { if (!killed) { killed = true; void pool.crashWorker(0); } },
      }));
      expect(error).toBeInstanceOf(InternalError);
      expect((error as Error).message).toMatch(/worker of the pool stopped/);
      expectSame(await field.jacobianAsync(X, { pool, chunkSize: 100 }), field.jacobian(X), "after the crash");
    } finally {
      await pool.terminate();
    }
  });

  it("a terminated pool rejects calls, running ones included", async () => {
    const pool = createPool({ size: 1 });
    const running = field.jacobianAsync(X, { pool, chunkSize: 10 });
    await pool.terminate();
    expect(await rejection(running)).toBeInstanceOf(InputError);
    const error = await rejection(field.evalAsync(X, { pool }));
    expect((error as Error).message).toMatch(/terminated/);
    expect(() => createPool({ size: 0 })).toThrow(InputError);
    expect(() => createPool({ workers: 2 } as never)).toThrow(/unknown option 'workers' of createPool/);
  });

  it("10,000 calls leave memory flat, functions made and disposed on the way included", () => {
    // In a process of its own, where a full collection can be asked for.
    const script = fileURLToPath(new URL("../support/pool-memory.mjs", import.meta.url));
    const run = spawnSync(process.execPath, ["--expose-gc", script], { timeout: 100_000, encoding: "utf8" });
    expect(run.stderr).toBe("");
    const grown = JSON.parse(run.stdout) as { rss: number; js: number };
    expect(grown.js).toBeLessThan(2 ** 20); // this thread's heap and buffers
    expect(grown.rss).toBeLessThan(64 * 2 ** 20); // the workers' too (collected when they choose)
  }, 120_000);

  it("refuse what the synchronous call refuses: batches of other sizes, out of the wrong kind; one point writes into out", async () => {
    const pool = pools[2];
    const half = new Tensor([500, 3], V.data.subarray(0, 1500));
    for (const call of [() => field.jvpAsync(X, half, { pool }), () => scalar.hvpAsync(X, half), () => field.vjpAsync(X, half, { pool })]) {
      const error = await rejection(call());
      expect((error as Error).message).toMatch(/a batch of 500 .* needs a batch of as many points, got 1001 points/);
    }
    const out = new Float64Array(9);
    expect(await field.jacobianAsync([1, 2, 3], { pool, out })).toBeInstanceOf(Tensor);
    expectSame(out, field.jacobian([1, 2, 3]).data, "one point into out");
    expect(await rejection(scalar.valueAndGradAsync(X, { pool, out: new Float64Array(N) }))).toBeInstanceOf(InputError);
    expect(await rejection(field.evalAsync(X, { pool, out: new Float32Array(3 * N) as never }))).toBeInstanceOf(InputError);
    const f64 = new Float64Array(64);
    expect(await rejection(grid.gradientAsync(f64, [8, 8], { pool, out: [new Float64Array(63), new Float64Array(64)] }))).toBeInstanceOf(GradientsError);
    expect(await rejection(grid.gradientAsync(f64, [8, 8], { pool, out: [new Float32Array(64), new Float32Array(64)] as never }))).toBeInstanceOf(InputError);
    const pending = reparam.gaussianAsync(compile("z^2", { vars: ["z"] }), { mu: [0, 1], sigma: [1] } as never, { samples: 10, seed: 1, pool });
    expect(await rejection(pending)).toBeInstanceOf(GradientsError); // a rejection, not a throw
    const direction = new Tensor([10, 3], V.data.subarray(0, 30));
    expect(await rejection(fd.directionalAsync((p) => p[0], new Tensor([20, 3], X.data.subarray(0, 60)), direction, { chunkSize: 10 })))
      .toBeInstanceOf(GradientsError);
  });

  it("a cancelled call lets Node exit even with its pool not terminated", () => {
    const dist = fileURLToPath(new URL("../../dist/index.js", import.meta.url));
    const script = `import { compile, createPool, Tensor } from ${JSON.stringify(dist)};
      const pool = createPool({ size: 1 });
      const f = compile(["x*y", "sin(x)"]);
      const X = new Tensor([400000, 2], new Float64Array(800000).fill(1));
      const controller = new AbortController();
      try {
        // (aborted from a timer, while one chunk runs and the next waits in the pool's queue)
        await f.jacobianAsync(X, { pool, chunkSize: 5000, signal: controller.signal, onProgress: (done) => { if (done > 5000) setTimeout(() => controller.abort(), 0); } });
      } catch (e) { console.log(e.name); }`;
    const run = spawnSync(process.execPath, ["--input-type=module", "-e", script], { timeout: 20_000, encoding: "utf8" });
    expect(run.error).toBeUndefined();
    expect(run.status).toBe(0);
    expect(run.stdout.trim()).toBe("AbortError");
  });

  it("a call refused before it reaches a worker (a scan; a function among the options) leaves no worker running", () => {
    const dist = fileURLToPath(new URL("../../dist/index.js", import.meta.url));
    const script = `import { fn, scan, createPool, Tensor } from ${JSON.stringify(dist)};
      const pool = createPool({ size: 2 });
      const step = fn({ s: [2] }, ({ s }) => s.mul(0.5));
      const looped = fn({ s0: [2] }, ({ s0 }) => scan(step, s0, { length: 3 }).sum());
      const batch = new Tensor([2, 2], Float64Array.of(1, 2, 3, 4));
      for (let i = 0; i < 3; i++) await looped.gradAsync(batch, { pool }).catch((e) => console.log(e.name));
      await step.jacobianAsync(batch, { pool, mode: () => "forward" }).catch((e) => console.log(e.name, /a worker can receive/.test(e.message)));
      console.log((await step.evalAsync(batch, { pool })).data.join(","));
      await pool.terminate();`;
    const run = spawnSync(process.execPath, ["--input-type=module", "-e", script], { timeout: 20_000, encoding: "utf8" });
    expect(run.error).toBeUndefined(); // (a leaked worker kept the process alive past terminate(): the timeout)
    expect(run.status).toBe(0);
    expect(run.stdout.trim().split("\n")).toEqual(["InputError", "InputError", "InputError", "InputError true", "0.5,1,1.5,2"]);
  });

  it("a forgotten pool does not keep Node running", () => {
    const dist = fileURLToPath(new URL("../../dist/index.js", import.meta.url));
    const script = `import { compile, createPool, Tensor } from ${JSON.stringify(dist)};
      const pool = createPool({ size: 2 });
      const f = compile("x*y", { vars: ["x", "y"] });
      console.log((await f.evalAsync(new Tensor([3, 2], Float64Array.of(1, 2, 3, 4, 5, 6)), { pool })).data.join(","));`;
    const run = spawnSync(process.execPath, ["--input-type=module", "-e", script], { timeout: 20_000, encoding: "utf8" });
    expect(run.error).toBeUndefined();
    expect(run.status).toBe(0);
    expect(run.stdout.trim()).toBe("2,12,30");
  });
});

describe("async grid, reparam and fd", () => {
  const pools: Record<number, Pool> = {};
  beforeAll(() => {
    for (const size of [1, 2, 3]) pools[size] = createPool({ size });
  });
  afterAll(async () => {
    for (const pool of Object.values(pools)) await pool.terminate();
  });
  const options = (size: number, chunkSize?: number) => ({ ...(size ? { pool: pools[size] } : {}), chunkSize });

  it("grid functions give the synchronous fields bit for bit, in bands of any size", async () => {
    const rows = 203, cols = 61, shape = [rows, cols];
    const f = Float64Array.from({ length: rows * cols }, (_, i) => Math.sin(i * 0.013) * Math.cos((i % cols) * 0.2) + (i % 7));
    const g = Float64Array.from(f, (v, i) => v * v - i * 1e-3);
    const coords = Array.from({ length: rows }, (_, i) => i + 0.004 * i * i);
    const cube = [13, 9, 11], c3 = [0, 1, 2].map((k) => Float64Array.from({ length: 13 * 9 * 11 }, (_, i) => Math.sin(i * 0.01 * (k + 1))));
    for (const size of [0, 1, 2, 3]) {
      for (const chunkSize of [3, 7, 64, undefined]) {
        const o = options(size, chunkSize), label = `pool ${size}, bands of ${chunkSize}`;
        expectSame(await grid.gradientAsync(f, shape, o), grid.gradient(f, shape), `gradient, ${label}`);
        expectSame(await grid.gradientAsync(f, shape, { ...o, edgeOrder: 2, spacing: [coords, 0.5] }),
          grid.gradient(f, shape, { edgeOrder: 2, spacing: [coords, 0.5] }), `gradient, coordinates, ${label}`);
        expectSame(await grid.gradientAsync(f, shape, { ...o, axis: 0 }), grid.gradient(f, shape, { axis: 0 }), `gradient axis 0, ${label}`);
        expectSame(await grid.divergenceAsync([f, g], shape, o), grid.divergence([f, g], shape), `divergence, ${label}`);
        expectSame(await grid.curlAsync([f, g], shape, o), grid.curl([f, g], shape), `curl 2-D, ${label}`);
        expectSame(await grid.curlAsync(c3, cube, o), grid.curl(c3, cube), `curl 3-D, ${label}`);
        expectSame(await grid.laplacianAsync(f, shape, { ...o, edgeOrder: 2 }), grid.laplacian(f, shape, { edgeOrder: 2 }), `laplacian, ${label}`);
      }
    }
    const f32 = Float32Array.from(f);
    const got = await grid.gradientAsync(f32, shape, { pool: pools[2], chunkSize: 10 }) as Float32Array[];
    expect(got[0]).toBeInstanceOf(Float32Array);
    expectSame(got, grid.gradient(f32, shape), "Float32Array");
    const out = new Float64Array(rows * cols);
    expect(await grid.laplacianAsync(f, shape, { pool: pools[2], out })).toBe(out);
    expectSame(out, grid.laplacian(f, shape), "laplacian into out");
    expect(await rejection(grid.gradientAsync(f, [rows, cols + 1], { pool: pools[1] }))).toBeInstanceOf(GradientsError);
  }, 60_000);

  it("reparameterization estimates are the synchronous ones bit for bit, for any pool and grouping of streams", async () => {
    const f = compile("sin(a)*b + a^2 + exp(-b^2)", { vars: ["a", "b"] });
    const params = { mu: [0.3, -0.2], sigma: [1.1, 0.7] };
    const sampling = { samples: 5 * 65536 + 77, seed: 11 };
    const want = reparam.gaussian(f, params, sampling), wantScore = reparam.score(f, { mu: params.mu, logSigma: [0.1, -0.3] }, sampling);
    const g = (eps: Parameters<Parameters<typeof reparam.expectationGrad>[1]>[0], theta: Parameters<Parameters<typeof reparam.expectationGrad>[1]>[1]) =>
      theta.slice([0], [2]).add(theta.slice([2]).mul(eps));
    const wantExpect = reparam.expectationGrad(f, g, [0.3, -0.2, 1.1, 0.7], { ...sampling, noise: "uniform" });
    for (const size of [0, 1, 2, 3]) {
      for (const chunkSize of [1, 2, undefined]) {
        const o = { ...sampling, ...options(size, chunkSize) };
        expectSame(await reparam.gaussianAsync(f, params, o), want, `gaussian, pool ${size}, ${chunkSize}`);
        expectSame(await reparam.scoreAsync(f, { mu: params.mu, logSigma: [0.1, -0.3] }, o), wantScore, `score, pool ${size}`);
        expectSame(await reparam.expectationGradAsync(f, g, [0.3, -0.2, 1.1, 0.7], { ...o, noise: "uniform" }), wantExpect, `expectationGrad, pool ${size}`);
      }
    }
  }, 60_000);

  it("fd runs the callback on this thread in chunks, and refuses a pool saying why", async () => {
    const h = (x: Float64Array) => x[0] * Math.sin(x[1]) + Math.exp(x[2] / 4);
    const field3 = (x: Float64Array) => [x[1] * x[2], Math.sin(x[0]) * x[2], x[0] * x[1] * x[2]];
    for (const chunkSize of [37, undefined]) {
      expectSame(await fd.gradAsync(h, X, { chunkSize }), fd.grad(h, X), "grad");
      expectSame(await fd.hessianAsync(h, X.data.subarray(0, 3), { chunkSize }), fd.hessian(h, X.data.subarray(0, 3)), "hessian, one point");
      expectSame(await fd.curlAsync(field3, X, { chunkSize, scheme: "five-point" }), fd.curl(field3, X, { scheme: "five-point" }), "curl");
      expectSame(await fd.directionalAsync(h, X, V, { chunkSize }), fd.directional(h, X, V), "directional");
      const t = new Tensor([N], X.data.subarray(0, N));
      expectSame(await fd.derivativeAsync(Math.sin, t, { chunkSize }), fd.derivative(Math.sin, t), "derivative");
    }
    const error = await rejection(fd.gradAsync(h, X, { pool: pools[1] }));
    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).message).toMatch(/cannot be sent to a worker/);
  });

  it("an unknown option of an async call on a pool is told against the async options too (the workers' copy of the options)", async () => {
    const f = compile("x*y", { vars: ["x", "y"] }), batch = new Tensor([4, 2], new Float64Array(8).fill(1));
    const error = (await rejection(f.gradAsync(batch, { pool: pools[1], onprogres: 1 } as never))) as Error;
    expect(error).toBeInstanceOf(InputError);
    expect(error.message).toMatch(/unknown option 'onprogres' of gradAsync; did you mean 'onProgress'\?/);
    f.dispose();
  });

  it("fd's async errors name points as the caller's batch counts them, and the argument a failing call had", async () => {
    // 40 points (2k, 2k + 1), chunks of 16: point 31 lies in the second chunk, as its 15th point.
    const points = new Tensor([40, 2], Float64Array.from({ length: 80 }, (_, i) => i));
    const bounds = { bounds: [[0, 60], [0, 100]] as [number, number][] };
    const outside = "point 31: x[0] = 62 is outside its bounds [0, 60]";
    expect(() => fd.grad((x) => x[0], points, bounds)).toThrow(outside);
    expect(((await rejection(fd.gradAsync((x) => x[0], points, { ...bounds, chunkSize: 16 }))) as Error).message).toBe(outside);
    // A step that does not move x[1] = 1e300 of point 30: refused at that point's index, sync or async.
    const far = new Tensor([40, 2], Float64Array.from({ length: 80 }, (_, i) => (i === 61 ? 1e300 : i)));
    const still = "point 30: step 1 does not move x[1] = 1e+300";
    expect(() => fd.grad((x) => x[1], far, { step: 1 })).toThrow(still);
    expect(((await rejection(fd.gradAsync((x) => x[1], far, { step: 1, chunkSize: 16 }))) as Error).message).toContain(still);
    // The function fails at x₀ = 70: with step 2 the first sample there is point 34's, (68 + 2, 69).
    const failing = (x: Float64Array) => { if (x[0] === 70) throw new Error("no"); return x[0]; };
    const error = (await rejection(fd.gradAsync(failing, points, { step: 2, chunkSize: 16 }))) as Error;
    expect(error).toBeInstanceOf(CallbackError);
    expect(error.message).toMatch(/^the function threw at call \d+ \(x = \[70, 69\]\): no$/);
    expect(() => fd.grad(failing, points, { step: 2 })).toThrow("(x = [70, 69]): no");
  });
});
