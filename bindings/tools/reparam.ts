// Monte Carlo gradients of expectations: the reparameterization trick (and the
// score-function estimator to compare it with). Sampling, the affine transform,
// the exact gradients and the running statistics all run in WebAssembly, chunk by
// chunk; nothing happens per sample in JavaScript.
import { InputError, ShapeError, show } from "../base/errors.js";
import { fn } from "../api/builder.js";
import { Func } from "../api/func.js";
import { sampleAt } from "../api/sampling.js";
import { core, f64, withMemory } from "../runtime/loader.js";
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

/** An estimate of E[f(g(ε; θ))] and its gradient with respect to θ (shaped like θ), with standard errors. */
export interface ExpectationEstimate {
  value: number;
  grad: Float64Array | Tensor;
  stderr: { value: number; grad: Float64Array | Tensor };
}

/** Samples per chunk: the unit of work in WebAssembly memory. */
const CHUNK = 4096;

function checkFunc(f: unknown, what: string): Func {
  if (!(f instanceof Func)) throw new InputError(`${what} needs a compiled function (compile or fn)`);
  if (f.disposed) throw new InputError(`${what} was given a function that has been disposed`);
  if (f.outputShape.length !== 0) throw new ShapeError(`${what} needs a function with a scalar output; this one has shape [${f.outputShape.join(", ")}]`);
  return f;
}

function checkSampling(options: SampleOptions): { samples: number; seed: number } {
  if (typeof options !== "object" || options === null) throw new InputError("options { samples, seed } are required");
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

/** Memory for one estimate, allocated for this call and freed after; `body` gets an allocator over it. */
function withRegion<T>(bytes: number, body: (take: (f64s: number) => number) => T): T {
  return withMemory(bytes + 64, "the estimate's samples", (region) => {
    let next = (region + 15) & ~15;
    return body((count) => {
      const at = next;
      next += (8 * count + 15) & ~15;
      return at;
    });
  });
}

/** Mean and standard error of the mean, per column, from running statistics [n, means…, M2s…]. */
function finish(stats: number, w: number): { mean: Float64Array; stderr: Float64Array } {
  const s = f64().subarray(stats >> 3, (stats >> 3) + 1 + 2 * w);
  const n = s[0];
  const mean = Float64Array.from(s.subarray(1, 1 + w));
  const stderr = Float64Array.from(s.subarray(1 + w, 1 + 2 * w), (m2) => Math.sqrt(m2 / (n - 1) / n));
  return { mean, stderr };
}

/** Bytes for `count` f64, aligned. */
const bytes = (count: number) => 8 * count + 16;

/**
 * The reparameterization-trick estimate for z ~ N(μ, diag σ²), z = μ + σ·ε,
 * ε ~ N(0, I): E[f(z)], d/dμ = E[∇f(z)], d/dσ = E[∇f(z)·ε] (or d/d log σ = σ·d/dσ),
 * each with its standard error, from `samples` draws of the seeded generator
 * (xoshiro256**, Box–Muller). f is a compiled function of one vector input z.
 */
export function gaussian(f: Func, params: GaussianParams, options: SampleOptions): GaussianEstimate {
  checkFunc(f, "reparam.gaussian");
  const { mu, sigma, log } = gaussianParams(f, params);
  const { samples, seed } = checkSampling(options);
  const d = f.n, C = Math.min(CHUNK, samples);
  return withRegion(32 + bytes(2 * d) + 4 * bytes(C * d) + bytes(C) + bytes(3) + 2 * bytes(1 + 2 * d), (take) => {
    const c = core();
    const state = take(4), muAt = take(d), sigmaAt = take(d), eps = take(C * d), z = take(C * d);
    const values = take(C), grads = take(C * d), prod = take(C * d);
    const fStats = take(3), gStats = take(1 + 2 * d), geStats = take(1 + 2 * d);
    f64().set(mu, muAt >> 3);
    f64().set(sigma, sigmaAt >> 3);
    f64().fill(0, fStats >> 3, (fStats >> 3) + 3);
    f64().fill(0, gStats >> 3, (gStats >> 3) + 1 + 2 * d);
    f64().fill(0, geStats >> 3, (geStats >> 3) + 1 + 2 * d);
    c.seedGenerator(state, seed);
    for (let done = 0; done < samples; done += C) {
      const count = Math.min(C, samples - done);
      c.fillNormal(state, eps, count * d);
      c.affineSamples(muAt, sigmaAt, eps, count, d, z);
      sampleAt(f, inPlace(z, d), count, values, grads);
      c.accumulateMoments(values, count, 1, fStats);
      c.accumulateMoments(grads, count, d, gStats);
      c.multiplyRows(grads, eps, count * d, prod);
      c.accumulateMoments(prod, count, d, geStats);
    }
    const v = finish(fStats, 1), g = finish(gStats, d), ge = finish(geStats, d);
    const result: GaussianEstimate = { value: v.mean[0], dmu: g.mean, stderr: { value: v.stderr[0], dmu: g.stderr } };
    if (log) {
      result.dlogSigma = ge.mean.map((x, i) => x * sigma[i]);
      result.stderr.dlogSigma = ge.stderr.map((x, i) => x * sigma[i]);
    } else {
      result.dsigma = ge.mean;
      result.stderr.dsigma = ge.stderr;
    }
    return result;
  });
}

/**
 * The score-function (REINFORCE) estimate of the same gradients as `gaussian`:
 * d/dμ = E[f(z)·ε/σ], d/dσ = E[f(z)·(ε² − 1)/σ]. It needs only values of f, and
 * its standard errors are usually much larger: compare them with `gaussian`'s.
 */
export function score(f: Func, params: GaussianParams, options: SampleOptions): GaussianEstimate {
  checkFunc(f, "reparam.score");
  const { mu, sigma, log } = gaussianParams(f, params);
  const { samples, seed } = checkSampling(options);
  const d = f.n, C = Math.min(CHUNK, samples);
  return withRegion(32 + bytes(2 * d) + 2 * bytes(C * d) + bytes(C) + bytes(2 * C * d) + bytes(3) + bytes(1 + 4 * d), (take) => {
    const c = core();
    const state = take(4), muAt = take(d), sigmaAt = take(d), eps = take(C * d), z = take(C * d);
    const values = take(C), rows = take(2 * C * d), fStats = take(3), sStats = take(1 + 4 * d);
    f64().set(mu, muAt >> 3);
    f64().set(sigma, sigmaAt >> 3);
    f64().fill(0, fStats >> 3, (fStats >> 3) + 3);
    f64().fill(0, sStats >> 3, (sStats >> 3) + 1 + 4 * d);
    c.seedGenerator(state, seed);
    for (let done = 0; done < samples; done += C) {
      const count = Math.min(C, samples - done);
      c.fillNormal(state, eps, count * d);
      c.affineSamples(muAt, sigmaAt, eps, count, d, z);
      sampleAt(f, inPlace(z, d), count, values);
      c.accumulateMoments(values, count, 1, fStats);
      c.scoreRows(values, eps, sigmaAt, count, d, rows);
      c.accumulateMoments(rows, count, 2 * d, sStats);
    }
    const v = finish(fStats, 1), s = finish(sStats, 2 * d);
    const dmu = s.mean.slice(0, d), dsig = s.mean.slice(d), edmu = s.stderr.slice(0, d), edsig = s.stderr.slice(d);
    const result: GaussianEstimate = { value: v.mean[0], dmu, stderr: { value: v.stderr[0], dmu: edmu } };
    if (log) {
      result.dlogSigma = dsig.map((x, i) => x * sigma[i]);
      result.stderr.dlogSigma = edsig.map((x, i) => x * sigma[i]);
    } else {
      result.dsigma = dsig;
      result.stderr.dsigma = edsig;
    }
    return result;
  });
}

/** Options of `expectationGrad`. */
export interface ExpectationOptions extends SampleOptions {
  /** The noise ε: "normal" (standard normal, default) or "uniform" (on [0, 1)). */
  noise?: "normal" | "uniform";
  /** Entries of ε (default: the size of f's input). */
  noiseSize?: number;
}

/**
 * The general reparameterization estimate: for z = g(ε; θ) with ε drawn from
 * `noise`, the estimate of E[f(z)] and of its gradient E[J_g(ε; θ)ᵀ ∇f(g(ε; θ))]
 * with respect to θ, with standard errors. `g` is a builder function
 * `(eps, theta) => z` (traced once, like an `fn` body) returning a node shaped
 * like f's input; θ is a vector (or Tensor) of parameters. For example a
 * full-covariance Gaussian: `(eps, L) => mu.add(L.matvec(eps))`.
 */
export function expectationGrad(f: Func, g: (eps: Node, theta: Node) => Node, theta: ArrayLike<number> | TensorLike,
                                options: ExpectationOptions): ExpectationEstimate {
  checkFunc(f, "reparam.expectationGrad");
  if (typeof g !== "function") throw new InputError("expectationGrad needs g, a builder function (eps, theta) => z");
  const { samples, seed } = checkSampling(options);
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
  const p = thetaData.length;
  // h(ε, θ) = f(g(ε; θ)), traced as one function, differentiated by θ.
  const h = fn({ eps: [k], theta: thetaShape }, ({ eps, theta: t }) => {
    const z = g(eps, t);
    if (!(z instanceof Node)) throw new InputError(`g(eps, theta) must return a traced node (f's input), got ${typeof z}`);
    if (z.size !== f.n) throw new ShapeError(`g(eps, theta) must return ${f.n} entries (f's input), got shape [${z.shape.join(", ")}]`);
    return f.of(z);
  });
  const C = Math.min(CHUNK, samples);
  try {
    return withRegion(32 + bytes(C * k) + bytes(C) + bytes(C * p) + bytes(3) + bytes(1 + 2 * p), (take) => {
      const c = core();
      const state = take(4), eps = take(C * k), values = take(C), grads = take(C * p);
      const fStats = take(3), gStats = take(1 + 2 * p);
      f64().fill(0, fStats >> 3, (fStats >> 3) + 3);
      f64().fill(0, gStats >> 3, (gStats >> 3) + 1 + 2 * p);
      c.seedGenerator(state, seed);
      // ε batched in place, θ given once and shared by every sample.
      const segments = [...inPlace(eps, k), { data: thetaData, size: p, batched: false }];
      for (let done = 0; done < samples; done += C) {
        const count = Math.min(C, samples - done);
        if (noise === "normal") c.fillNormal(state, eps, count * k);
        else c.fillUniform(state, eps, count * k);
        sampleAt(h, segments, count, values, grads, "theta");
        c.accumulateMoments(values, count, 1, fStats);
        c.accumulateMoments(grads, count, p, gStats);
      }
      const v = finish(fStats, 1), gr = finish(gStats, p);
      const shape = (a: Float64Array) => (thetaShape.length === 1 ? a : new Tensor(thetaShape, a));
      return { value: v.mean[0], grad: shape(gr.mean), stderr: { value: v.stderr[0], grad: shape(gr.stderr) } };
    });
  } finally {
    h.dispose();
  }
}

/** A batch of points of `size` numbers each, already in WebAssembly memory at `address`. */
function inPlace(address: number, size: number): Segment[] {
  return [{ data: new Float64Array(0), size, batched: true, address }];
}
