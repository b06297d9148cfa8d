// Shared test helpers: fixture loading, tolerance checks and error expectations.
import { readFileSync } from "node:fs";
import { expect, onTestFinished } from "vitest";
import { GradientsError, InternalError } from "../../bindings/index.js";
import { core, trapped } from "../../bindings/runtime/loader.js";

export interface ScalarCase {
  name: string;
  expr: string;
  vars: string[];
  points: number[][];
  values: number[];
  grads: number[][];
}

export interface VectorCase {
  name: string;
  exprs: string[];
  vars: string[];
  points: number[][];
  values: number[][];
  jacobians: number[][][];
  divergence: number[] | null;
  curl: (number | number[])[] | null;
}

export const fixtures = JSON.parse(
  readFileSync(new URL("../fixtures/first-derivatives.json", import.meta.url), "utf8"),
) as { scalar: ScalarCase[]; vector: VectorCase[] };

/**
 * Asserts |got_i − want_i| ≤ rel · max(|want_i|, 1e-3·scale, floor) for every entry,
 * where scale is the largest |want| of the array (exact zeros in the reference
 * then accept rounding-level values relative to the array's scale). `floor` is an
 * absolute scale for methods whose error does not shrink with the result, such as
 * finite differences at a minimum.
 */
export function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, rel: number, label = "", floor = 1e-300): void {
  expect(got.length, `${label}: length`).toBe(want.length);
  let scale = 0;
  for (let i = 0; i < want.length; i++) scale = Math.max(scale, Math.abs(want[i]));
  for (let i = 0; i < want.length; i++) {
    const tol = rel * Math.max(Math.abs(want[i]), scale * 1e-3, floor);
    const err = Math.abs(got[i] - want[i]);
    if (!(err <= tol)) {
      expect.fail(`${label}[${i}]: got ${got[i]}, want ${want[i]} (error ${err.toExponential(2)} > tolerance ${tol.toExponential(2)})`);
    }
  }
}

/** A number or array result as a plain array. */
export function asArray(x: number | ArrayLike<number>): number[] {
  return typeof x === "number" ? [x] : Array.from(x);
}

/** A number as text, −0 as "-0" (String(−0) is "0"). */
const signed = (v: number) => (Object.is(v, -0) ? "-0" : String(v));

/**
 * Asserts two results hold the same numbers to the bit (Object.is per entry, so
 * +0 and −0 differ and NaN equals NaN): for checks such as "a batch gives the
 * per-point results" where only identical arithmetic is acceptable.
 */
export function expectIdentical(got: number | ArrayLike<number>, want: number | ArrayLike<number>, label = ""): void {
  const g = asArray(got), w = asArray(want);
  expect(g.length, `${label}: length`).toBe(w.length);
  for (let i = 0; i < w.length; i++) {
    if (!Object.is(g[i], w[i])) expect.fail(`${label}[${i}]: got ${signed(g[i])}, want ${signed(w[i])} (not bit-identical)`);
  }
}

/** A case of test/fixtures/second-order.json (made by test/fixtures/generate_second_order.py). */
export interface SecondOrderCase {
  name: string;
  expr: string;
  vars: string[];
  points: number[][];
  /** Per point, the n×n Hessian H[i][j] = ∂²f/∂v_i∂v_j. */
  hessians: number[][][];
  /** Per point, Σ_i ∂²f/∂v_i². */
  laplacians: number[];
}

export const secondOrderFixtures = (JSON.parse(
  readFileSync(new URL("../fixtures/second-order.json", import.meta.url), "utf8"),
) as { cases: SecondOrderCase[] }).cases;

/** A seeded generator of uniform numbers in [0, 1) (mulberry32): the same sequence on every run. */
export function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A case of test/fixtures/grid.json (made by test/fixtures/generate_grid.py): one numpy.gradient call. */
export interface GridCase {
  name: string;
  shape: number[];
  /** The library's options; `spacing` has one entry per grid axis (a number or coordinates). */
  options: { spacing?: number | (number | number[])[]; edgeOrder?: 1 | 2; axis?: number | number[] };
  /** Sampled values, flat, row-major. */
  field: number[];
  /** numpy's results, flat, one per requested axis in the order requested. */
  results: number[][];
  /** float32 data, with numpy's float64 results on it (see test/fixtures/generate_grid.py). */
  float32?: boolean;
}

export const gridFixtures = (JSON.parse(
  readFileSync(new URL("../fixtures/grid.json", import.meta.url), "utf8"),
) as { cases: GridCase[] }).cases;

/**
 * A case of test/fixtures/reparam.json (made by test/fixtures/generate_reparam.py):
 * E[f(z)] for z ~ N(mu, diag sigma²), its exact derivatives, and the standard
 * deviations (and kurtoses) of the per-sample Monte Carlo estimators.
 */
export interface ReparamCase {
  name: string;
  expr: string;
  vars: string[];
  closedForm: string;
  mu: number[];
  sigma: number[];
  value: number;
  dmu: number[];
  dsigma: number[];
  /** sd of f(z), of ∂f/∂z_i, of ∂f/∂z_i·ε_i. */
  sd: { value: number; dmu: number[]; dsigma: number[] };
  /** sd of f(z)·ε_i/σ_i and of f(z)·(ε_i² − 1)/σ_i. */
  scoreSd: { dmu: number[]; dsigma: number[] };
  kurtosis: { value: number; dmu: number[]; dsigma: number[]; scoreDmu: number[]; scoreDsigma: number[] };
}

export const reparamFixtures = JSON.parse(
  readFileSync(new URL("../fixtures/reparam.json", import.meta.url), "utf8"),
) as { samples: number; cases: ReparamCase[] };

/**
 * Asserts |got_i − want_i| ≤ k·se_i for every entry: a Monte Carlo estimate within
 * k standard errors of the truth.
 */
export function expectWithinErrors(got: number | ArrayLike<number>, want: number | ArrayLike<number>,
                                   se: number | ArrayLike<number>, k: number, label = ""): void {
  const g = asArray(got), w = asArray(want), s = asArray(se);
  expect(g.length, `${label}: length`).toBe(w.length);
  expect(s.length, `${label}: standard errors`).toBe(w.length);
  for (let i = 0; i < w.length; i++) {
    const err = Math.abs(g[i] - w[i]);
    if (!(err <= k * s[i])) {
      expect.fail(`${label}[${i}]: got ${g[i]}, want ${w[i]} (off by ${(err / s[i]).toFixed(2)} standard errors of ${s[i].toExponential(3)}; allowed ${k})`);
    }
  }
}

/** Asserts got_i/want_i ∈ [1 − rel_i, 1 + rel_i] for every entry (rel a number or one per entry). */
export function expectRatio(got: number | ArrayLike<number>, want: number | ArrayLike<number>,
                            rel: number | ArrayLike<number>, label = ""): void {
  const g = asArray(got), w = asArray(want);
  const r = typeof rel === "number" ? w.map(() => rel) : asArray(rel);
  expect(g.length, `${label}: length`).toBe(w.length);
  for (let i = 0; i < w.length; i++) {
    const ratio = g[i] / w[i];
    if (!(Math.abs(ratio - 1) <= r[i])) expect.fail(`${label}[${i}]: got ${g[i]}, want ${w[i]} (ratio ${ratio.toFixed(4)}; allowed ±${r[i]})`);
  }
}

/** Inverse by Gauss–Jordan with partial pivoting, in plain JS (an independent reference). */
export function inverse(A: number[][]): number[][] {
  const n = A.length;
  const M = A.map((row, i) => [...row, ...Array.from({ length: n }, (_, j) => (i === j ? 1 : 0))]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(M[r][c]) > Math.abs(M[p][c])) p = r;
    [M[c], M[p]] = [M[p], M[c]];
    const d = M[c][c];
    for (let j = 0; j < 2 * n; j++) M[c][j] /= d;
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = M[r][c];
      for (let j = 0; j < 2 * n; j++) M[r][j] -= f * M[c][j];
    }
  }
  return M.map((row) => row.slice(n));
}

/**
 * Makes the core fail (an allocation of 4 GB minus 64 bytes: the allocator
 * aborts) as a trap would, and asserts the InternalError the call gets: the
 * instance is dropped and the next call creates a fresh one.
 */
export function resetCore(): void {
  expect(() => {
    try {
      core().alloc(-64);
    } catch (error) {
      throw trapped(error);
    }
  }).toThrow(InternalError);
}

/**
 * Runs `call` and asserts that it throws a GradientsError of class `type` whose
 * message matches every pattern; returns the error for further checks.
 */
export function expectThrows(call: () => unknown, type: abstract new (...args: never[]) => GradientsError,
                             ...patterns: RegExp[]): GradientsError {
  let thrown: unknown;
  try {
    call();
  } catch (error) {
    thrown = error;
  }
  expect(thrown, `expected ${type.name}${patterns.length ? ` matching ${patterns.join(", ")}` : ""}`).toBeInstanceOf(type);
  expect(thrown).toBeInstanceOf(GradientsError);
  for (const p of patterns) expect((thrown as Error).message).toMatch(p);
  return thrown as GradientsError;
}

const ulpBits = new DataView(new ArrayBuffer(8));
/** The spacing of doubles at |x| (the smallest subnormal at 0). */
export function ulp(x: number): number {
  ulpBits.setFloat64(0, Math.abs(x));
  const exponent = (ulpBits.getUint32(0) >>> 20) & 0x7ff;
  return exponent === 0 ? 5e-324 : 2 ** (exponent - 1075);
}

/** |got − want| in ulps of want (0 when they are the same double; NaN if one is NaN and not the other). */
export function ulps(got: number, want: number): number {
  return Object.is(got, want) ? 0 : Math.abs(got - want) / ulp(want);
}

/** Counts WebAssembly modules compiled while `body` runs (the core's, or the compiled tier's). */
export function modulesCompiled(body: () => void): number {
  const Module = WebAssembly.Module;
  let count = 0;
  onTestFinished(() => { (WebAssembly as { Module: unknown }).Module = Module; });
  (WebAssembly as { Module: unknown }).Module = function counting(bytes: BufferSource) {
    count++;
    return new Module(bytes);
  };
  try {
    body();
  } finally {
    (WebAssembly as { Module: unknown }).Module = Module;
  }
  return count;
}
