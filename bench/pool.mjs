// Every core: the async forms on a pool of 2 workers against the synchronous
// call, for the 10⁶-point 3×3 Jacobian, grid.gradient of a 4096×4096 field and
// reparam.gaussian with 10⁷ samples, each with its hand-written JavaScript
// baseline in the same run. Inputs and outputs are given as users first write
// them (plain arrays, results allocated by the call) and as a pool user gives
// them for speed (in shared memory, out given).
// From the 1- and 2-worker times, T(p) ≈ a + b/p: the serial part a (copies,
// the probe, messages) and the parallel part b, hence the speed-up more cores
// would give, and the time the pool adds per chunk.
import { createPool, grid, reparam, Tensor } from "../dist/index.js";
import { compare } from "./report.mjs";
import { F, analyticJacobians, fillPoints, gridGradientByHand, testField } from "./field-workloads.mjs";
import { f, handWritten, mu, sigma } from "./reparam-workload.mjs";

const shared = (length) => new Float64Array(new SharedArrayBuffer(8 * length));
const same = (a, b) => a.length === b.length && a.every((v, i) => Object.is(v, b[i]));
const pools = { 1: createPool({ size: 1 }), 2: createPool({ size: 2 }) };
const options = { time: 2000, warmupTime: 500, iterations: 5, warmupIterations: 1 };

/**
 * Speed-ups of the 2-worker forms over the synchronous call (as users write them,
 * `plain`: [sync, async]), and the scaling model from 1 and 2 workers.
 */
function report(title, ratios, sync, one, two, chunks, plain) {
  const T1 = ratios[one], T2 = ratios[two], Ts = ratios[sync];
  const b = 2 * (T1 - T2), a = T1 - b; // in units of the baseline's time
  const predicted = [4, 8, 16].map((p) => `${p}: ×${(Ts / (a + b / p)).toFixed(1)}`).join(", ");
  if (plain) console.log(`  as users write it (plain arrays, no out): speed-up with 2 workers ×${(ratios[plain[0]] / ratios[plain[1]]).toFixed(2)}`);
  console.log(`  ${plain ? "in shared memory, out given: " : ""}speed-up over the synchronous call with 2 workers: ×${(Ts / T2).toFixed(2)}` +
    `; serial part ${(100 * a / T1).toFixed(1)}% of the 1-worker time; predicted with more workers: ${predicted}` +
    `; the pool adds ${((T1 - Ts) / chunks * 100).toFixed(2)}% of the baseline's time per chunk (${chunks} chunks)`);
  return { speedup: Ts / T2, serial: a / T1, perChunk: (T1 - Ts) / chunks, title };
}

// 1. The 3×3 Jacobian at 10⁶ points.
const N = 1_000_000;
const points = fillPoints(new Float64Array(3 * N)), sharedPoints = fillPoints(shared(3 * N));
const batch = new Tensor([N, 3], points), sharedBatch = new Tensor([N, 3], sharedPoints);
const outJs = new Float64Array(9 * N), outSync = new Float64Array(9 * N), outShared = shared(9 * N);
F.jacobian(batch, { out: outSync });
await F.jacobianAsync(sharedBatch, { pool: pools[2], out: outShared });
if (!same(outSync, outShared)) throw new Error("the pool's Jacobian is not the synchronous one");
const eighth = Math.ceil(N / 8); // the scaling model's runs: 8 chunks (and the probe) for 1 and for 2 workers
export const jacobianRatios = await compare(`Jacobian of the 3→3 field at ${N.toLocaleString("en")} points: a pool of workers`, {
  "analytic JavaScript": () => analyticJacobians(points, outJs),
  "F.jacobian(batch) (synchronous)": () => F.jacobian(batch),
  "F.jacobianAsync(batch, { pool }), 2 workers": () => F.jacobianAsync(batch, { pool: pools[2] }),
  "F.jacobian(batch, { out }) (synchronous)": () => F.jacobian(batch, { out: outSync }),
  "F.jacobianAsync, 1 worker, shared memory": () => F.jacobianAsync(sharedBatch, { pool: pools[1], out: outShared, chunkSize: eighth }),
  "F.jacobianAsync, 2 workers, shared memory": () => F.jacobianAsync(sharedBatch, { pool: pools[2], out: outShared, chunkSize: eighth }),
}, options);
export const jacobianScaling = report("jacobian", jacobianRatios, "F.jacobian(batch, { out }) (synchronous)",
  "F.jacobianAsync, 1 worker, shared memory", "F.jacobianAsync, 2 workers, shared memory", 9,
  ["F.jacobian(batch) (synchronous)", "F.jacobianAsync(batch, { pool }), 2 workers"]);

// 2. grid.gradient of a 4096×4096 field.
const ny = 4096, nx = 4096, size = ny * nx;
const field = testField(new Float64Array(size), ny, nx), sharedField = testField(shared(size), ny, nx);
const gy = new Float64Array(size), gx = new Float64Array(size), syncY = new Float64Array(size), syncX = new Float64Array(size);
const poolY = shared(size), poolX = shared(size);
grid.gradient(field, [ny, nx], { out: [syncY, syncX] });
await grid.gradientAsync(sharedField, [ny, nx], { pool: pools[2], out: [poolY, poolX] });
if (!same(syncY, poolY) || !same(syncX, poolX)) throw new Error("the pool's gradient is not the synchronous one");
export const gridRatios = await compare(`grid.gradient of a ${ny}×${nx} field, both axes: a pool of workers`, {
  "plain JavaScript loops": () => gridGradientByHand(field, gy, gx, ny, nx),
  "grid.gradient(field, shape) (synchronous)": () => grid.gradient(field, [ny, nx]),
  "grid.gradientAsync(field, shape, { pool }), 2 workers": () => grid.gradientAsync(field, [ny, nx], { pool: pools[2] }),
  "grid.gradient (synchronous, out given)": () => grid.gradient(field, [ny, nx], { out: [syncY, syncX] }),
  "grid.gradientAsync, 1 worker, shared memory": () => grid.gradientAsync(sharedField, [ny, nx], { pool: pools[1], out: [poolY, poolX], chunkSize: ny / 8 }),
  "grid.gradientAsync, 2 workers, shared memory": () => grid.gradientAsync(sharedField, [ny, nx], { pool: pools[2], out: [poolY, poolX], chunkSize: ny / 8 }),
}, options);
export const gridScaling = report("grid", gridRatios, "grid.gradient (synchronous, out given)",
  "grid.gradientAsync, 1 worker, shared memory", "grid.gradientAsync, 2 workers, shared memory", 8,
  ["grid.gradient(field, shape) (synchronous)", "grid.gradientAsync(field, shape, { pool }), 2 workers"]);

// 3. reparam.gaussian with 10⁷ samples (153 streams of 65,536).
const S = 10_000_000, sampling = { samples: S, seed: 7 };
const want = reparam.gaussian(f, { mu, sigma }, sampling), got = await reparam.gaussianAsync(f, { mu, sigma }, { ...sampling, pool: pools[2] });
if (want.value !== got.value || !same(want.dmu, got.dmu) || !same(want.stderr.dsigma, got.stderr.dsigma)) throw new Error("the pool's estimate is not the synchronous one");
const streams = Math.ceil(S / 65536);
export const reparamRatios = await compare(`reparam.gaussian, ${S.toLocaleString("en")} samples of a 10-variable f: a pool of workers`, {
  "hand-written JavaScript (sampling + analytic gradient)": () => handWritten(7, S),
  "reparam.gaussian (synchronous)": () => reparam.gaussian(f, { mu, sigma }, sampling),
  "reparam.gaussianAsync, 1 worker": () => reparam.gaussianAsync(f, { mu, sigma }, { ...sampling, pool: pools[1], chunkSize: Math.ceil(streams / 8) }),
  "reparam.gaussianAsync, 2 workers": () => reparam.gaussianAsync(f, { mu, sigma }, { ...sampling, pool: pools[2], chunkSize: Math.ceil(streams / 8) }),
}, { ...options, iterations: 3 });
export const reparamScaling = report("reparam", reparamRatios, "reparam.gaussian (synchronous)",
  "reparam.gaussianAsync, 1 worker", "reparam.gaussianAsync, 2 workers", 8);

await Promise.all(Object.values(pools).map((pool) => pool.terminate()));
