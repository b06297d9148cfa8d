// Monte Carlo gradients of expectations: the reparameterization trick (and the
// score-function estimator to compare it with). Sampling, the affine transform,
// the exact gradients and the running statistics all run in WebAssembly, chunk by
// chunk; nothing happens per sample in JavaScript. Each estimate is cut into
// streams of STREAM samples, each with its own generator (the seed's, jumped k
// times for stream k) and its own statistics, combined in stream order: so the
// streams can run in any grouping (worker threads) and give the same bits.
import { checkOptions } from "../api/validate.js";
import { InputError, InternalError, ShapeError, show } from "../base/errors.js";
import { fn } from "../api/builder.js";
import { Func } from "../api/func.js";
import { sampleAt } from "../api/sampling.js";
import { core, f64, i32, withMemory } from "../runtime/loader.js";
import { Node } from "../front/node.js";
import type { Segment } from "../runtime/kernel.js";
import { Tensor, type TensorLike } from "../base/tensor.js";

/** A diagonal Gaussian N(μ, diag σ²), by σ or by log σ. */
export interface GaussianParams {
  mu: ArrayLike<number>;
  sigma?: ArrayLike<number>;
  logSigma?: ArrayLike<number>;
}

/** Options of the estimators. */
export interface SampleOptions {
  /** Number of samples (≥ 2). */
  samples: number;
  /** Seed of the generator (a whole number): the same seed gives the same result, to the bit. */
  seed: number;
}

/** An estimate of E[f(z)] and its gradient with respect to a Gaussian's parameters, with standard errors. */
export interface GaussianEstimate {
  value: number;
  dmu: Float64Array;
  /** With `sigma` given: d/dσ. */
  dsigma?: Float64Array;
  /** With `logSigma` given: d/d log σ. */
  dlogSigma?: Float64Array;
  stderr: { value: number; dmu: Float64Array; dsigma?: Float64Array; dlogSigma?: Float64Array };
}

/** The estimate for a Gaussian given by σ: `dsigma` is there. */
export type SigmaEstimate = GaussianEstimate & { dsigma: Float64Array; stderr: { dsigma: Float64Array } };
/** The estimate for a Gaussian given by log σ: `dlogSigma` is there. */
export type LogSigmaEstimate = GaussianEstimate & { dlogSigma: Float64Array; stderr: { dlogSigma: Float64Array } };
/** A Gaussian by σ. */
export type SigmaParams = { mu: ArrayLike<number>; sigma: ArrayLike<number>; logSigma?: undefined };
/** A Gaussian by log σ. */
export type LogSigmaParams = { mu: ArrayLike<number>; logSigma: ArrayLike<number>; sigma?: undefined };

/** An estimate of E[f(g(ε; θ))] and its gradient with respect to θ (shaped like θ), with standard errors. */
export interface ExpectationEstimate {
  value: number;
  grad: Float64Array | Tensor;
  stderr: { value: number; grad: Float64Array | Tensor };
}

/** Samples per chunk: the unit of work in WebAssembly memory. */
const CHUNK = 4096;

/**
 * @internal Samples per stream (a multiple of CHUNK): stream k covers samples
 * [k·STREAM, (k + 1)·STREAM) and draws them from the seed's generator jumped k
 * times (k·2^128 steps ahead), so it can run anywhere, in any grouping.
 */
export const STREAM = 65536;

/** Streams of an estimate of `samples` samples. */
const streamsOf = (samples: number) => Math.ceil(samples / STREAM);

/** @internal Plain data a worker needs to run streams of an estimate (structured-cloneable: numbers, strings, Float64Arrays). */
export type StreamArgs =
  /** A diagonal Gaussian z = μ + σ·ε (σ itself, also when the caller gave log σ). */
  | { kind: "gaussian" | "score"; samples: number; seed: number; mu: Float64Array; sigma: Float64Array }
  /** ε of `noiseSize` entries from `noise`; θ flattened (the plan's h takes it in its shape). */
  | { kind: "expectation"; samples: number; seed: number; noise: "normal" | "uniform"; noiseSize: number; theta: Float64Array };

/** @internal An estimate cut into streams. */
export interface StreamPlan<R> {
  /** The function sampled (for "expectation": the traced h(eps, theta), built by the plan). */
  readonly func: Func;
  readonly args: StreamArgs;
  /** Number of streams: ceil(samples / STREAM). */
  readonly streams: number;
  /** The estimate from the statistics of every stream, given as consecutive parts in stream order (each part as runStreams returns it). */
  finish(parts: readonly Float64Array[]): R;
  /** Frees what the plan built (expectation's h); idempotent. */
  dispose(): void;
}

function checkFunc(f: unknown, what: string): Func {
  if (!(f instanceof Func)) throw new InputError(`${what} needs a compiled function (compile or fn)`);
  if (f.disposed) throw new InputError(`${what} was given a function that has been disposed`);
  if (f.outputShape.length !== 0) throw new ShapeError(`${what} needs a function with a scalar output; this one has shape [${f.outputShape.join(", ")}]`);
  return f;
}

function checkSampling(options: SampleOptions, where: string, more: readonly string[] = []): { samples: number; seed: number } {
  if (typeof options !== "object" || options === null) throw new InputError("options { samples, seed } are required");
  checkOptions(options, ["samples", "seed", ...more], where);
  const { samples, seed } = options;
  if (!Number.isInteger(samples) || samples < 2) throw new InputError(`samples must be a whole number ≥ 2, got ${show(samples)}`);
  if (!Number.isInteger(seed) || Math.abs(seed) > Number.MAX_SAFE_INTEGER) throw new InputError(`seed must be a whole number, got ${show(seed)}`);
  return { samples, seed };
}

function vector(x: unknown, d: number, what: string): Float64Array {
  if (!(Array.isArray(x) || ArrayBuffer.isView(x))) throw new InputError(`${what} must be an array of ${d} numbers`);
  const a = x as ArrayLike<unknown>;
  if (a.length !== d) throw new ShapeError(`${what} must have ${d} entries (the function's input), got ${a.length}`);
  const out = new Float64Array(d);
  for (let i = 0; i < d; i++) {
    if (typeof a[i] !== "number" || !Number.isFinite(a[i] as number)) throw new InputError(`${what}[${i}] must be a finite number, got ${show(a[i])}`);
    out[i] = a[i] as number;
  }
  return out;
}

/** μ and σ of a diagonal Gaussian over the input of f, checked. */
function gaussianParams(f: Func, params: GaussianParams): { mu: Float64Array; sigma: Float64Array; log: boolean } {
  if (f.inputs.length !== 1) throw new ShapeError("a Gaussian over z needs a function of one input z");
  const d = f.n;
  if (typeof params !== "object" || params === null) throw new InputError("the distribution is { mu, sigma } or { mu, logSigma }");
  const log = params.logSigma !== undefined;
  if (log === (params.sigma !== undefined)) throw new InputError("give exactly one of sigma and logSigma");
  const mu = vector(params.mu, d, "mu");
  const sigma = log ? vector(params.logSigma, d, "logSigma").map(Math.exp) : vector(params.sigma, d, "sigma");
  sigma.forEach((s, i) => {
    if (!(s > 0)) {
      throw new InputError(log ? `exp(logSigma[${i}]) must be > 0, got ${s} (logSigma[${i}] = ${(params.logSigma as ArrayLike<number>)[i]})` : `sigma[${i}] must be > 0, got ${s}`);
    }
  });
  return { mu, sigma, log };
}

/** Memory for one call, freed after: `body` gets the addresses of 16-byte aligned blocks of `sizes[i]` f64 each. */
function withRegion<T>(sizes: readonly number[], body: (at: number[]) => T): T {
  const bytes = (count: number) => (8 * count + 15) & ~15;
  return withMemory(sizes.reduce((sum, n) => sum + bytes(n), 16), "the estimate's samples", (region) => {
    let next = (region + 15) & ~15;
    return body(sizes.map((n) => {
      const at = next;
      next += bytes(n);
      return at;
    }));
  });
}

/** Means and standard errors of the mean of the quantities an estimate accumulates. */
interface Moments { mean: Float64Array; stderr: Float64Array }

/**
 * The moments of `width` quantities from per-stream statistics [n, means…, M2s…]
 * (parts concatenated in stream order), folded stream by stream by Chan et al.'s
 * pairwise update: the result depends on the streams' statistics alone, not on
 * how they were grouped into parts.
 */
function combine(parts: readonly Float64Array[], streams: number, width: number): Moments {
  const per = 1 + 2 * width, all = new Float64Array(streams * per);
  if (parts.reduce((sum, p) => sum + p.length, 0) !== all.length) {
    throw new InternalError(`the parts of an estimate must hold ${streams} streams of ${per} numbers`);
  }
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    at += p.length;
  }
  // Stream 0 taken as it is (not folded into an empty one), so one stream gives exactly its own moments.
  const acc = all.slice(0, per);
  for (let s = 1; s < streams; s++) {
    const b = all.subarray(s * per, (s + 1) * per), na = acc[0], nb = b[0], n = na + nb;
    for (let i = 1; i <= width; i++) {
      const delta = b[i] - acc[i];
      acc[i] = acc[i] + delta * nb / n;
      acc[width + i] = acc[width + i] + b[width + i] + delta * delta * na * nb / n;
    }
    acc[0] = n;
  }
  const n = acc[0];
  return { mean: acc.slice(1, 1 + width), stderr: acc.slice(1 + width).map((m2) => Math.sqrt(m2 / (n - 1) / n)) };
}

/** Numbers of per-stream statistics an estimate may keep (2²⁷: 1 GiB); beyond, `samples` is refused up front. */
const MAX_STATISTICS = 2 ** 27;

/** A plan over `args`, whose streams accumulate `width` quantities that `result` turns into the estimate. */
function streamPlan<R>(func: Func, args: StreamArgs, width: number, result: (m: Moments) => R, dispose = () => {}): StreamPlan<R> {
  const streams = streamsOf(args.samples), per = 1 + 2 * width;
  if (streams * per > MAX_STATISTICS) {
    dispose();
    const most = Math.floor(MAX_STATISTICS / per) * STREAM;
    throw new ShapeError(`samples: ${show(args.samples)} is more than this estimate can hold statistics for (${streams} streams of ${STREAM}); ` +
      `at most ${most} for a function with ${width} quantities to average`);
  }
  return { func, args, streams, finish: (parts) => result(combine(parts, streams, width)), dispose };
}

/** Plans, runs every stream in this thread, finishes. */
function estimate<R>(plan: StreamPlan<R>): R {
  try {
    return plan.finish([runStreams(plan.func, plan.args, 0, plan.streams)]);
  } finally {
    plan.dispose();
  }
}

/** Checks and plans `gaussian` or `score`: both accumulate [f, d/dμ (d of them), d/dσ (d)]. */
function planDiagonal(kind: "gaussian" | "score", f: Func, params: GaussianParams, options: SampleOptions): StreamPlan<GaussianEstimate> {
  checkFunc(f, `reparam.${kind}`);
  const { mu, sigma, log } = gaussianParams(f, params);
  const { samples, seed } = checkSampling(options, `reparam.${kind}`);
  const d = f.n;
  return streamPlan(f, { kind, samples, seed, mu, sigma }, 1 + 2 * d, ({ mean, stderr }) => {
    const result: GaussianEstimate = { value: mean[0], dmu: mean.slice(1, 1 + d), stderr: { value: stderr[0], dmu: stderr.slice(1, 1 + d) } };
    const dsigma = mean.slice(1 + d), edsigma = stderr.slice(1 + d);
    if (log) {
      result.dlogSigma = dsigma.map((x, i) => x * sigma[i]);
      result.stderr.dlogSigma = edsigma.map((x, i) => x * sigma[i]);
    } else {
      result.dsigma = dsigma;
      result.stderr.dsigma = edsigma;
    }
    return result;
  });
}

/** @internal `gaussian` cut into streams. */
export function planGaussian(f: Func, params: GaussianParams, options: SampleOptions): StreamPlan<GaussianEstimate> {
  return planDiagonal("gaussian", f, params, options);
}

/** @internal `score` cut into streams. */
export function planScore(f: Func, params: GaussianParams, options: SampleOptions): StreamPlan<GaussianEstimate> {
  return planDiagonal("score", f, params, options);
}

/**
 * The reparameterization-trick estimate for z ~ N(μ, diag σ²), z = μ + σ·ε,
 * ε ~ N(0, I): E[f(z)], d/dμ = E[∇f(z)], d/dσ = E[∇f(z)·ε] (or d/d log σ = σ·d/dσ),
 * each with its standard error, from `samples` draws of the seeded generator
 * (xoshiro256**, Box–Muller). f is a compiled function of one vector input z.
 *
 * Samples are drawn in streams of 65,536: stream k (samples k·65,536 up to
 * (k + 1)·65,536) draws from the seed's generator jumped ahead k·2^128 steps,
 * and the streams' statistics are combined in order, so a seed gives the same
 * estimate, to the bit, however the streams are split (over worker threads).
 * @param f a compiled scalar function of one vector z
 * @param params `{ mu, sigma }` or `{ mu, logSigma }`
 * @param options `samples` (≥ 2) and `seed` (a whole number)
 * @example
 * ```ts
 * import { compile, reparam } from "gradients";
 * const f = compile("z^2", { vars: ["z"] });
 * const e = reparam.gaussian(f, { mu: [0.7], sigma: [1.3] }, { samples: 100000, seed: 1 });
 * const dsigma: Float64Array = e.dsigma; // ≈ 2σ = 2.6, with e.stderr.dsigma
 * ```
 */
export function gaussian(f: Func, params: SigmaParams, options: SampleOptions): SigmaEstimate;
export function gaussian(f: Func, params: LogSigmaParams, options: SampleOptions): LogSigmaEstimate;
export function gaussian(f: Func, params: GaussianParams, options: SampleOptions): GaussianEstimate;
export function gaussian(f: Func, params: GaussianParams, options: SampleOptions): GaussianEstimate {
  return estimate(planGaussian(f, params, options));
}

/**
 * The score-function (REINFORCE) estimate of the same gradients as `gaussian`:
 * d/dμ = E[f(z)·ε/σ], d/dσ = E[f(z)·(ε² − 1)/σ]. It needs only values of f, and
 * its standard errors are usually much larger: compare them with `gaussian`'s.
 * Samples are drawn as by `gaussian` (streams of 65,536, stream k from the
 * generator jumped k·2^128 steps): a seed gives the same estimate for any split.
 * @param f a compiled scalar function of one vector z
 * @param params `{ mu, sigma }` or `{ mu, logSigma }`
 * @param options `samples` and `seed`
 * @example
 * ```ts
 * import { compile, reparam } from "gradients";
 * const e = reparam.score(compile("z^2", { vars: ["z"] }), { mu: [0.7], sigma: [1.3] }, { samples: 100000, seed: 1 });
 * const dmu: Float64Array = e.dmu; // ≈ 2μ = 1.4, with a larger e.stderr.dmu than reparam.gaussian's
 * ```
 */
export function score(f: Func, params: SigmaParams, options: SampleOptions): SigmaEstimate;
export function score(f: Func, params: LogSigmaParams, options: SampleOptions): LogSigmaEstimate;
export function score(f: Func, params: GaussianParams, options: SampleOptions): GaussianEstimate;
export function score(f: Func, params: GaussianParams, options: SampleOptions): GaussianEstimate {
  return estimate(planScore(f, params, options));
}

/** Options of `expectationGrad`. */
export interface ExpectationOptions extends SampleOptions {
  /** The noise ε: "normal" (standard normal, default) or "uniform" (on [0, 1)). */
  noise?: "normal" | "uniform";
  /** Entries of ε (default: the size of f's input). */
  noiseSize?: number;
}

/** @internal `expectationGrad` cut into streams; the plan owns the traced h(ε, θ) = f(g(ε; θ)) until disposed. */
export function planExpectation(f: Func, g: (eps: Node, theta: Node) => Node, theta: ArrayLike<number> | TensorLike,
                                options: ExpectationOptions): StreamPlan<ExpectationEstimate> {
  checkFunc(f, "reparam.expectationGrad");
  if (typeof g !== "function") throw new InputError("expectationGrad needs g, a builder function (eps, theta) => z");
  const { samples, seed } = checkSampling(options, "reparam.expectationGrad", ["noise", "noiseSize"]);
  const noise = options.noise ?? "normal";
  if (noise !== "normal" && noise !== "uniform") throw new InputError(`noise must be "normal" or "uniform", got ${show(noise)}`);
  const k = options.noiseSize ?? f.n;
  if (!Number.isInteger(k) || k < 1) throw new InputError(`noiseSize must be a whole number ≥ 1, got ${show(k)}`);
  if (typeof theta !== "object" || theta === null || typeof (theta as ArrayLike<number>).length !== "number" && !("shape" in theta)) {
    throw new InputError(`theta must be an array of numbers or a Tensor, got ${show(theta)}`);
  }
  const isTensor = "shape" in theta && !ArrayBuffer.isView(theta) && !Array.isArray(theta);
  const thetaShape = isTensor ? [...(theta as TensorLike).shape] : [(theta as ArrayLike<number>).length];
  const thetaData = vector(isTensor ? (theta as TensorLike).data : theta, thetaShape.reduce((a, b) => a * b, 1), "theta");
  // h(ε, θ) = f(g(ε; θ)), traced as one function, differentiated by θ.
  const h = fn({ eps: [k], theta: thetaShape }, ({ eps, theta: t }) => {
    const z = g(eps, t);
    if (!(z instanceof Node)) throw new InputError(`g(eps, theta) must return a traced node (f's input), got ${typeof z}`);
    if (z.size !== f.n) throw new ShapeError(`g(eps, theta) must return ${f.n} entries (f's input), got shape [${z.shape.join(", ")}]`);
    return f.of(z);
  });
  const shape = (a: Float64Array) => (thetaShape.length === 1 ? a : new Tensor(thetaShape, a));
  return streamPlan(h, { kind: "expectation", samples, seed, noise, noiseSize: k, theta: thetaData }, 1 + thetaData.length,
    ({ mean, stderr }) => ({ value: mean[0], grad: shape(mean.slice(1)), stderr: { value: stderr[0], grad: shape(stderr.slice(1)) } }),
    () => h.dispose());
}

/**
 * The general reparameterization estimate: for z = g(ε; θ) with ε drawn from
 * `noise`, the estimate of E[f(z)] and of its gradient E[J_g(ε; θ)ᵀ ∇f(g(ε; θ))]
 * with respect to θ, with standard errors. `g` is a builder function
 * `(eps, theta) => z` (traced once, like an `fn` body) returning a node shaped
 * like f's input; θ is a vector (or Tensor) of parameters. For example a
 * full-covariance Gaussian: `(eps, L) => mu.add(L.matvec(eps))`.
 * Samples are drawn as by `gaussian` (streams of 65,536, stream k from the
 * generator jumped k·2^128 steps): a seed gives the same estimate for any split.
 * @param f a compiled scalar function of one vector z
 * @param g z = g(ε; θ), a builder function (eps, theta) => z
 * @param theta the parameters θ
 * @param options `samples`, `seed`, `noise`, `noiseSize`
 * @example
 * ```ts
 * import { compile, reparam } from "gradients";
 * const f = compile("z^2", { vars: ["z"] });
 * const e = reparam.expectationGrad(f, (eps, t) => t.slice([0], [1]).add(t.slice([1]).mul(eps)), [0.7, 1.3], { samples: 100000, seed: 1 });
 * const grad = e.grad; // ≈ [2μ, 2σ] = [1.4, 2.6]
 * ```
 */
export function expectationGrad(f: Func, g: (eps: Node, theta: Node) => Node, theta: ArrayLike<number> | TensorLike,
                                options: ExpectationOptions): ExpectationEstimate {
  return estimate(planExpectation(f, g, theta, options));
}

/** One kind's work on a chunk: draw `count` samples from the generator at `state`, evaluate, fold them into the stats blocks. */
type Chunk = (state: number, count: number, stats: readonly number[]) => void;

/** How a kind samples: its scratch (f64 counts), the widths of what it accumulates (a stats block each), its chunk work given the scratch. */
interface Sampler { scratch: number[]; widths: number[]; chunk(at: readonly number[]): Chunk }

function sampler(func: Func, args: StreamArgs, C: number): Sampler {
  const c = core();
  if (args.kind === "expectation") {
    const k = args.noiseSize, p = args.theta.length;
    return {
      scratch: [C * k, C, C * p],
      widths: [1, p],
      chunk: ([eps, values, grads]) => {
        // ε batched in place, θ given once and shared by every sample.
        const segments = [...inPlace(eps, k), { data: args.theta, size: p, batched: false }];
        return (state, count, [fStats, gStats]) => {
          if (args.noise === "normal") c.fillNormal(state, eps, count * k);
          else c.fillUniform(state, eps, count * k);
          sampleAt(func, segments, count, values, grads, "theta");
          c.accumulateMoments(values, count, 1, fStats);
          c.accumulateMoments(grads, count, p, gStats);
        };
      },
    };
  }
  const d = args.mu.length, reparameterized = args.kind === "gaussian";
  return {
    // μ, σ, ε, z, f(z), then ∇f(z) and ∇f(z)·ε (gaussian) or the score terms (score).
    scratch: [d, d, C * d, C * d, C, ...(reparameterized ? [C * d, C * d] : [2 * C * d])],
    widths: reparameterized ? [1, d, d] : [1, 2 * d],
    chunk: ([muAt, sigmaAt, eps, z, values, rows, prod]) => {
      f64().set(args.mu, muAt >> 3);
      f64().set(args.sigma, sigmaAt >> 3);
      return (state, count, [fStats, rowStats, prodStats]) => {
        c.fillNormal(state, eps, count * d);
        c.affineSamples(muAt, sigmaAt, eps, count, d, z);
        if (reparameterized) {
          sampleAt(func, inPlace(z, d), count, values, rows);
          c.accumulateMoments(values, count, 1, fStats);
          c.accumulateMoments(rows, count, d, rowStats);
          c.multiplyRows(rows, eps, count * d, prod);
          c.accumulateMoments(prod, count, d, prodStats);
        } else {
          sampleAt(func, inPlace(z, d), count, values);
          c.accumulateMoments(values, count, 1, fStats);
          c.scoreRows(values, eps, sigmaAt, count, d, rows);
          c.accumulateMoments(rows, count, 2 * d, rowStats);
        }
      };
    },
  };
}

/**
 * @internal The statistics of streams [first, first + count): for each stream in
 * order, its count, means and M2s (Σ (x − mean)²) of every quantity the estimate
 * accumulates, concatenated. Uses only `func` and `args`, so it runs as well on
 * a function re-created in another thread from the same graph.
 */
export function runStreams(func: Func, args: StreamArgs, first: number, count: number): Float64Array {
  const streams = streamsOf(args.samples);
  if (!(Number.isInteger(first) && Number.isInteger(count) && first >= 0 && count >= 0 && first + count <= streams)) {
    throw new InternalError(`streams [${first}, ${first + count}) are not among the estimate's ${streams}`);
  }
  const C = Math.min(CHUNK, args.samples), s = sampler(func, args, C), blocks = s.widths.length;
  const width = s.widths.reduce((a, b) => a + b, 0), per = 1 + 2 * width, out = new Float64Array(count * per);
  withRegion([4, 4, ...s.widths.map((w) => 1 + 2 * w), ...s.scratch], ([start, state, ...rest]) => {
    const c = core(), stats = rest.slice(0, blocks), chunk = s.chunk(rest.slice(blocks));
    c.seedGenerator(start, args.seed);
    for (let k = 0; k < first; k++) c.jumpGenerator(start);
    for (let k = first; k < first + count; k++) {
      if (k > first) c.jumpGenerator(start);
      // The stream draws from a copy, so `start` stays where the next stream's jump begins.
      i32().copyWithin(state >> 2, start >> 2, (start >> 2) + 8);
      stats.forEach((at, b) => f64().fill(0, at >> 3, (at >> 3) + 1 + 2 * s.widths[b]));
      const end = Math.min((k + 1) * STREAM, args.samples);
      for (let done = k * STREAM; done < end; done += C) chunk(state, Math.min(C, end - done), stats);
      // Each block holds [n, means…, M2s…] (the same n): lay them out as [n, all means…, all M2s…].
      const v = f64(), o = (k - first) * per;
      out[o] = v[stats[0] >> 3];
      for (let b = 0, col = o + 1; b < blocks; col += s.widths[b++]) {
        const w = s.widths[b], i = (stats[b] >> 3) + 1;
        out.set(v.subarray(i, i + w), col);
        out.set(v.subarray(i + w, i + 2 * w), col + width);
      }
    }
  });
  return out;
}

/** A batch of points of `size` numbers each, already in WebAssembly memory at `address`. */
function inPlace(address: number, size: number): Segment[] {
  return [{ data: new Float64Array(0), size, batched: true, address }];
}
