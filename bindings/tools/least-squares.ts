// leastSquares and fit: nonlinear least squares with exact Jacobians (of a whole
// data set in one batch call), by Moré's Levenberg–Marquardt
// (levenberg-marquardt.ts), with the covariance s²(JᵀJ)⁻¹ from the QR of J.
import { checkOptions } from "../api/validate.js";
import { CallbackError, InputError, ShapeError, show } from "../base/errors.js";
import { Tensor } from "../base/tensor.js";
import { Func, type Point } from "../api/func.js";
import { compile } from "../api/expression.js";
import { CONSTANTS } from "../ops/grammar.js";
import * as fd from "./fd.js";
import { inverseNormal } from "./qr.js";
import { levenbergMarquardt, type LmReason, type Problem } from "./levenberg-marquardt.js";
import { dogleg, type DoglegOutcome, type SparseJacobianSource } from "./dogleg.js";
import { trustRegionReflective } from "./trust-region-reflective.js";

/** A residual function: a compiled one, or a plain callback of the parameters (its Jacobian then by finite differences). */
export type Residual = Func | ((p: Float64Array) => ArrayLike<number>);

/** Options of `leastSquares`. */
/** The keys of LeastSquaresOptions (fit's are the same but data, and response). */
const LEAST_SQUARES_KEYS = ["data", "method", "bounds", "weights", "sigma", "costTol", "stepTol", "gradTol", "maxIterations", "onStep"];

export interface LeastSquaresOptions {
  /**
   * The data, for a compiled residual of several inputs: a record of batched
   * inputs (leading axis m, one residual per observation); the one input not
   * given is the parameters.
   */
  data?: Readonly<Record<string, unknown>>;
  /**
   * "lm" (the default): Moré's Levenberg–Marquardt; with bounds, projected (a
   * parameter at a bound the gradient pushes it against is held there).
   * "trf": the trust-region reflective method (Branch, Coleman and Li), for
   * bounds: iterates strictly inside the box, the region scaled by each
   * parameter's distance to the bound it is pushed toward, and steps reflected
   * off the bounds they meet.
   */
  method?: "lm" | "trf";
  /**
   * Bounds [lower, upper] on the parameters (arrays of n; −Infinity and Infinity
   * for none), handled as `method` says. p0 must lie within them.
   */
  bounds?: readonly [ArrayLike<number>, ArrayLike<number>];
  /** Per-residual weights wᵢ ≥ 0: minimizes ½Σ wᵢ·rᵢ². */
  weights?: ArrayLike<number>;
  /** Per-residual standard deviations σᵢ > 0: minimizes ½Σ (rᵢ/σᵢ)² (instead of weights). */
  sigma?: ArrayLike<number>;
  /** Stop when the relative reduction of the cost, actual and predicted, is at most this (default 1e-15). */
  costTol?: number;
  /** Stop when the step is at most this relative to the parameters (scaled; default 1e-15). */
  stepTol?: number;
  /** Stop when every column of J is within this cosine of orthogonal to the residuals (default 1e-15). */
  gradTol?: number;
  /** At most this many iterations (Jacobians; default 1000). */
  maxIterations?: number;
  /** Called after each accepted step with the parameters and the cost; returning false stops the run. */
  onStep?: (info: { iteration: number; p: Float64Array; cost: number }) => void | boolean;
}

/** Why a fit stopped: `converged` for "cost", "step", "gradient" and "zero residual". */
export type FitReason = LmReason;

/** The result of `leastSquares`. */
export interface LeastSquaresResult {
  /** The parameters found. */
  p: Float64Array;
  /** ½‖r‖² (weighted) at p. */
  cost: number;
  /** r(p) (weighted: √wᵢ·rᵢ or rᵢ/σᵢ), [m]. */
  residuals: Float64Array;
  /** ∂r/∂p at p (weighted likewise), [m, n]. */
  jacobian: Tensor;
  /** s²·(JᵀJ)⁻¹ with s² = 2·cost/(m − n), from the QR of J (never JᵀJ itself); all NaN when J is rank-deficient. [n, n] */
  covariance: Tensor;
  /** √diag(covariance). */
  standardErrors: Float64Array;
  /** The numerical rank of J at p (n when the parameters are identifiable). */
  rank: number;
  iterations: number;
  /** Residual evaluations (each a batch over the data). */
  evaluations: number;
  converged: boolean;
  reason: FitReason;
}

const CONVERGED: readonly FitReason[] = ["cost", "step", "gradient", "zero residual"];

/**
 * Minimizes ½‖r(p)‖² from p0 by Levenberg–Marquardt with Moré's scaling: r a
 * compiled function of the parameters (vector output [m]), or of the data (a
 * batch given as `options.data`, one residual per observation) and the
 * parameters, or a plain callback (Jacobians by finite differences).
 *
 *   leastSquares(fn({ d: [2], p: [2] }, ({ d, p }) => p.at(0).mul(d.at(0)).add(p.at(1)).sub(d.at(1))), [0, 0], { data: { d } })
 * @param residual a compiled vector function of the parameters (or of data and parameters, with `data`)
 * @param p0 the starting parameters
 * @param options `data`, `bounds`, `weights` or `sigma`, tolerances, `maxIterations`, `onStep`
 * @example
 * ```ts
 * import { compile, leastSquares } from "gradients";
 * const r = compile(["10*(x2 - x1^2)", "1 - x1"]); // Rosenbrock as residuals
 * const { p, standardErrors } = leastSquares(r, [-1.2, 1]); // p ≈ [1, 1]
 * ```
 */
export function leastSquares(residual: Residual, p0: ArrayLike<number>, options: LeastSquaresOptions = {}): LeastSquaresResult {
  checkOptions(options, LEAST_SQUARES_KEYS, "leastSquares");
  const start = readStart(p0);
  const box = readBounds(options.bounds, start);
  const problem = weighted(problemOf(residual, start, options), options);
  if (problem.m < problem.n) {
    throw new ShapeError(`least squares needs at least as many residuals as parameters; there are ${problem.m} residuals for ${problem.n} parameters (the fit would not be determined)`);
  }
  const method = options.method ?? "lm";
  if (method !== "lm" && method !== "trf") throw new InputError(`method must be "lm" or "trf", got ${show(options.method)}`);
  const outcome = (method === "trf" ? trustRegionReflective : levenbergMarquardt)(problem, start, {
    ...box,
    costTol: tolerance(options.costTol, "costTol"), stepTol: tolerance(options.stepTol, "stepTol"), gradTol: tolerance(options.gradTol, "gradTol"),
    maxIterations: count(options.maxIterations, 1000, "maxIterations"),
    onStep: options.onStep && ((iteration, p, cost) => options.onStep!({ iteration, p: Float64Array.from(p), cost })),
  });
  const { m, n } = problem, r = outcome.residuals;
  let sum = 0;
  for (let i = 0; i < m; i++) sum += r[i] * r[i];
  // s² over the degrees of freedom of the residuals observed: one of weight 0 is not in the fit
  let observed = m;
  if (options.weights !== undefined) for (let i = 0; i < m; i++) if (options.weights[i] === 0) observed--;
  const cost = 0.5 * sum, s2 = observed > n ? sum / (observed - n) : NaN;
  const C = inverseNormal(outcome.qr).map((c) => c * s2);
  return {
    p: outcome.p, cost, residuals: r, jacobian: new Tensor([m, n], outcome.jacobian), covariance: new Tensor([n, n], C),
    standardErrors: Float64Array.from({ length: n }, (_, j) => Math.sqrt(C[j * n + j])), rank: outcome.qr.rank,
    iterations: outcome.iterations, evaluations: outcome.evaluations, converged: CONVERGED.includes(outcome.reason), reason: outcome.reason,
  };
}

function readStart(p0: ArrayLike<number>): Float64Array {
  if (p0 === null || typeof p0 !== "object" || typeof p0.length !== "number" || p0.length === 0) {
    throw new InputError(`the starting parameters must be a non-empty array of numbers, got ${show(p0)}`);
  }
  const p = Float64Array.from(p0 as ArrayLike<number>);
  p.forEach((v, j) => { if (!Number.isFinite(v)) throw new InputError(`starting parameter ${j} must be a finite number, got ${show(p0[j])}`); });
  return p;
}

/** [lower, upper] as arrays of n, checked: lower ≤ p0 ≤ upper, no NaN. */
function readBounds(bounds: LeastSquaresOptions["bounds"], p0: Float64Array): { lower?: Float64Array; upper?: Float64Array } {
  if (bounds === undefined) return {};
  const n = p0.length;
  if (!Array.isArray(bounds) || bounds.length !== 2) throw new InputError(`bounds must be [lower, upper], two arrays of ${n} numbers, got ${show(bounds)}`);
  const [lo, hi] = bounds.map((b, k) => {
    if (b === null || typeof b !== "object" || (b as ArrayLike<number>).length !== n) throw new ShapeError(`bounds[${k}] must have ${n} entries (one per parameter), got ${show(b)}`);
    return Float64Array.from(b as ArrayLike<number>);
  });
  for (let j = 0; j < n; j++) {
    if (Number.isNaN(lo[j]) || Number.isNaN(hi[j]) || lo[j] > hi[j]) throw new InputError(`bounds on parameter ${j} must satisfy lower ≤ upper, got [${lo[j]}, ${hi[j]}]`);
    if (!(p0[j] >= lo[j] && p0[j] <= hi[j])) throw new InputError(`starting parameter ${j} (${p0[j]}) lies outside its bounds [${lo[j]}, ${hi[j]}]`);
  }
  return { lower: lo, upper: hi };
}

function tolerance(t: number | undefined, name: string): number {
  if (t === undefined) return 1e-15;
  if (typeof t !== "number" || !(t >= 0)) throw new InputError(`${name} must be a number ≥ 0, got ${show(t)}`);
  return t;
}

function count(k: number | undefined, fallback: number, name: string): number {
  if (k === undefined) return fallback;
  if (!Number.isInteger(k) || k < 0) throw new InputError(`${name} must be a whole number ≥ 0, got ${show(k)}`);
  return k;
}

/** The residuals and Jacobian of each form of residual. */
function problemOf(residual: Residual, p0: Float64Array, options: LeastSquaresOptions): Problem {
  const n = p0.length;
  if (residual instanceof Func) {
    if (options.data === undefined) {
      if (residual.inputs.length !== 1) {
        throw new InputError(`a function of the parameters alone takes them as one input (compile with vars as an array, or fn(n)); this one has inputs ${residual.inputs.map((d) => d.name).join(", ")}`
          + " (for a residual per observation, give the other inputs as options.data)");
      }
      if (residual.n !== n) throw new ShapeError(`the residual function takes ${residual.n} parameters; p0 has ${n}`);
      if (residual.outputShape.length > 1) throw new ShapeError(`a residual function of the parameters alone returns a vector [m] (or one number); this one returns shape [${residual.outputShape.join(", ")}]`);
      const m = residual.m;
      const values = (r: unknown) => (typeof r === "number" ? Float64Array.of(r) : r as Float64Array);
      return { m, n, residuals: (p) => values(residual.eval(p)), jacobian: (p) => (residual.jacobian(p) as Tensor).data };
    }
    return batchedProblem(residual, n, options.data);
  }
  if (typeof residual !== "function") throw new InputError(`the residual must be a compiled function or a callback of the parameters, got ${show(residual)}`);
  const call = (p: Float64Array): Float64Array => {
    let r: ArrayLike<number>;
    try {
      r = residual(Float64Array.from(p));
    } catch (error) {
      throw new CallbackError(`the residual callback threw: ${error instanceof Error ? error.message : String(error)}`, error);
    }
    if (r === null || typeof r !== "object" || typeof r.length !== "number") throw new CallbackError(`the residual callback must return an array of numbers, got ${show(r)}`);
    return Float64Array.from(r);
  };
  const m = call(p0).length;
  return {
    m, n, residuals: (p) => { const r = call(p); if (r.length !== m) throw new CallbackError(`the residual callback returned ${r.length} numbers, then ${m}`); return r; },
    jacobian: (p) => fd.jacobian((x: Float64Array) => call(x), p).value.data,
  };
}

/** One residual per observation: the data batched, the parameters (the one input not in the data) shared. */
function batchedProblem(f: Func, n: number, data: Readonly<Record<string, unknown>>): Problem {
  if (typeof data !== "object" || data === null) throw new InputError(`options.data must be a record of batched inputs, got ${show(data)}`);
  const free = f.inputs.filter((d) => !(d.name in data));
  if (free.length !== 1) {
    throw new InputError(`options.data must give every input of the residual but the parameters; the inputs not given are ${free.map((d) => d.name).join(", ") || "none"}`);
  }
  const wrt = free[0].name;
  if (free[0].size !== n) throw new ShapeError(`the parameters '${wrt}' have ${free[0].size} entries; p0 has ${n}`);
  if (f.outputShape.length !== 0) throw new ShapeError(`a residual per observation must be a scalar; this function returns shape [${f.outputShape.join(", ")}]`);
  const at = (p: Float64Array): Point => ({ ...data, [wrt]: free[0].shape.length === 0 ? p[0] : p }) as Point;
  const first = f.eval(at(new Float64Array(n)));
  if (!(first instanceof Tensor)) throw new ShapeError("options.data must be batched: a leading axis of one entry per observation");
  const m = first.shape[0];
  return {
    m, n,
    residuals: (p) => (f.eval(at(p)) as Tensor).data,
    jacobian: (p) => (f.jacobian(at(p), { wrt }) as Tensor).data,
  };
}

/** The problem with rᵢ scaled by √wᵢ (or 1/σᵢ). */
function weighted(problem: Problem, options: LeastSquaresOptions): Problem {
  if (options.weights !== undefined && options.sigma !== undefined) throw new InputError("give weights or sigma, not both");
  const given = options.weights ?? options.sigma;
  if (given === undefined) return problem;
  const what = options.weights !== undefined ? "weights" : "sigma";
  if (typeof given !== "object" || given === null || given.length !== problem.m) {
    throw new ShapeError(`${what} must have one entry per residual (${problem.m}), got ${show(given)}`);
  }
  const scale = Float64Array.from(given, (v, i) => {
    if (what === "weights" ? !(v >= 0 && Number.isFinite(v)) : !(v > 0 && Number.isFinite(v))) {
      throw new InputError(`${what}[${i}] must be a finite number ${what === "weights" ? "≥ 0" : "> 0"}, got ${show(v)}`);
    }
    return what === "weights" ? Math.sqrt(v) : 1 / v;
  });
  const { m, n } = problem;
  return {
    m, n,
    residuals: (p) => problem.residuals(p).map((r, i) => r * scale[i]),
    jacobian: (p) => problem.jacobian(p).map((v, k) => v * scale[Math.floor(k / n)]),
  };
}

// ── fit: a model string and data columns ──────────────────────────────────────

/** Options of `fit`: those of leastSquares, bounds by parameter name, and the response column's name. */
export interface FitOptions extends Omit<LeastSquaresOptions, "data" | "bounds"> {
  /** The data column the model predicts (default "y"). */
  response?: string;
  /** Bounds by parameter name: `{ b2: [0, Infinity] }` (the others unbounded). */
  bounds?: Readonly<Record<string, readonly [number, number]>>;
}

/** The result of `fit`: leastSquares's, with the parameters and their standard errors by name. */
/** `fit`'s result; `P` the parameters' names (known to the types when p0 gives them by name). */
export interface FitResult<P extends string = string> extends Omit<LeastSquaresResult, "p" | "standardErrors"> {
  p: Record<P, number>;
  standardErrors: Record<P, number>;
  /** The parameter names, in the order of the covariance's rows. */
  names: P[];
}

/** Natural order: b2 before b10. */
const natural = (a: string, b: string) => a.localeCompare(b, "en", { numeric: true });

/**
 * Fits `model` (an expression whose names are data columns or parameters) to
 * `data` (columns by name, the response among them) from `p0`: a record by
 * parameter name, or an array in the parameters' natural order (b1, b2, …, b10).
 *
 *   fit("b1*(1-exp(-b2*x))", { x, y }, { b1: 500, b2: 1e-4 })  // { p: { b1, b2 }, standardErrors, cost, … }
 * @param model an expression of the data's columns and the parameters
 * @param data columns by name, the response among them
 * @param p0 the starting parameters, by name (or in their natural order)
 * @param options `response` (default y), `bounds` by name, and leastSquares' options
 * @example
 * ```ts
 * import { fit } from "gradients";
 * const x = [1, 2, 3, 4, 5], y = x.map((t) => 3 * Math.exp(-0.5 * t));
 * const { p, standardErrors } = fit("a*exp(-b*x)", { x, y }, { a: 1, b: 1 }); // p ≈ { a: 3, b: 0.5 }
 * ```
 */
export function fit<P extends string>(model: string, data: Readonly<Record<string, ArrayLike<number>>>, p0: Readonly<Record<P, number>>, options?: FitOptions): FitResult<P>;
export function fit(model: string, data: Readonly<Record<string, ArrayLike<number>>>, p0: Readonly<Record<string, number>> | ArrayLike<number>, options?: FitOptions): FitResult;
export function fit(model: string, data: Readonly<Record<string, ArrayLike<number>>>, p0: Readonly<Record<string, number>> | ArrayLike<number>,
                    options: FitOptions = {}): FitResult {
  if (typeof model !== "string") throw new InputError(`fit's model must be an expression string, got ${show(model)}`);
  checkOptions(options, [...LEAST_SQUARES_KEYS.filter((k) => k !== "data"), "response"], "fit");
  if (typeof data !== "object" || data === null) throw new InputError(`fit's data must be a record of columns, got ${show(data)}`);
  const response = options.response ?? "y";
  if (!Object.hasOwn(data, response)) throw new InputError(`the data has no response column '${response}' (columns: ${Object.keys(data).join(", ")}); name it with options.response`);
  const isColumn = (name: string) => Object.hasOwn(data, name);
  for (const constant of Object.keys(CONSTANTS)) {
    if (isColumn(constant) && new RegExp(`(?<![\\w.])${constant}(?!\\w)`).test(model)) {
      throw new InputError(`data column '${constant}' has the name of the constant ${constant} (${CONSTANTS[constant]}), which is what the model reads: rename the column`);
    }
  }
  const names = compile(model).vars, columns = names.filter(isColumn), params = names.filter((v) => !isColumn(v)).sort(natural);
  if (params.length === 0) throw new InputError(`the model ${show(model)} has no parameters: every name in it is a data column`);
  const m = data[response].length;
  for (const c of [...columns, response]) {
    if (typeof data[c] !== "object" || data[c] === null || data[c].length !== m) throw new ShapeError(`data column '${c}' must have ${m} entries (as '${response}'), got ${show(data[c])}`);
  }
  if (p0 === null || typeof p0 !== "object") {
    throw new InputError(`p0 must be the starting parameters by name ({ ${params.map((name) => `${name}: …`).join(", ")} }) or an array in that order, got ${show(p0)}`);
  }
  const start = Array.isArray(p0) || ArrayBuffer.isView(p0) ? Array.from(p0 as ArrayLike<number>) : params.map((name) => {
    if (!(name in (p0 as Record<string, number>))) throw new InputError(`p0 has no value for parameter '${name}' (the parameters are ${params.join(", ")})`);
    return (p0 as Record<string, number>)[name];
  });
  if (start.length !== params.length) throw new ShapeError(`p0 has ${start.length} values; the model has ${params.length} parameters (${params.join(", ")})`);
  if (!Array.isArray(p0) && !ArrayBuffer.isView(p0)) {
    for (const key of Object.keys(p0)) if (!params.includes(key)) throw new InputError(`p0 names '${key}', which is not a parameter of the model (the parameters are ${params.join(", ")})`);
  }
  // r = model − response, per observation: the columns batched, the parameters one vector p
  const pName = freshName("p", names);
  const body = substitute(model, params, pName);
  const f = compile(`(${body}) - ${response}`, { vars: { ...Object.fromEntries([...columns, response].map((c) => [c, []])), [pName]: [params.length] } });
  const batch = Object.fromEntries([...new Set([...columns, response])].map((c) => [c, new Tensor([m], Float64Array.from(data[c]))]));
  let bounds: LeastSquaresOptions["bounds"];
  if (options.bounds !== undefined) {
    if (typeof options.bounds !== "object" || options.bounds === null) throw new InputError(`fit's bounds must be a record { name: [lower, upper] }, got ${show(options.bounds)}`);
    for (const key of Object.keys(options.bounds)) if (!params.includes(key)) throw new InputError(`bounds name '${key}', which is not a parameter of the model (the parameters are ${params.join(", ")})`);
    const pair = (name: string) => options.bounds![name] ?? [-Infinity, Infinity];
    bounds = [params.map((b) => pair(b)[0]), params.map((b) => pair(b)[1])];
  }
  const { response: _, ...solverOptions } = options; // (fit's own option)
  const result = leastSquares(f, start, { ...solverOptions, data: batch, bounds });
  f.dispose();
  return {
    ...result, names: params,
    p: Object.fromEntries(params.map((name, j) => [name, result.p[j]])),
    standardErrors: Object.fromEntries(params.map((name, j) => [name, result.standardErrors[j]])),
  };
}

/** A name not among `taken`. */
function freshName(base: string, taken: readonly string[]): string {
  let name = base;
  for (let k = 0; taken.includes(name); k++) name = `${base}_${k}`;
  return name;
}

/** The model with each parameter name replaced by p[j] (whole identifiers only). */
function substitute(model: string, params: readonly string[], p: string): string {
  return model.replace(/(?<![0-9.])[A-Za-z_][A-Za-z0-9_]*/g, (name) => (params.includes(name) ? `${p}[${params.indexOf(name)}]` : name));
}

// ── findRoot: F(x) = 0 for F: ℝⁿ → ℝⁿ ────────────────────────────────────────

/** Options of `findRoot`. */
export interface FindRootOptions {
  /** A root when ‖F(x)‖ ≤ this (default 1e-10). */
  tolerance?: number;
  /** At most this many iterations (Jacobians; default 1000). */
  maxIterations?: number;
}

/** Unknowns from which findRoot reads a compiled F's Jacobian pattern (below, the dense QR is cheap whatever the pattern). */
const SPARSE_FROM = 32;

/** A compiled F's sparse Jacobian, for a system large enough to gain from a band (and sparse enough to be colored). */
function sparseSource(F: Residual): SparseJacobianSource | undefined {
  if (!(F instanceof Func) || F.n < SPARSE_FROM) return undefined;
  const structure = F.jacobianStructure();
  return structure.coloring && { pattern: structure, values: (x) => F.sparseValues(x) };
}

/** The result of `findRoot`. */
export interface FindRootResult {
  x: Float64Array;
  /** F(x). */
  residual: Float64Array;
  iterations: number;
  evaluations: number;
  /** ‖F(x)‖ ≤ tolerance. */
  converged: boolean;
  /** "root", or why the iteration stopped short of one (at a minimum of ‖F‖ that is not a root: "step" or "no progress"). */
  reason: DoglegOutcome["reason"];
}

/**
 * A root of F: ℝⁿ → ℝⁿ from x0 — F a compiled function with n inputs and n
 * outputs (its Jacobian exact), or a callback (differenced): Powell's hybrid
 * (dogleg) trust-region method as MINPACK's hybrj (tools/dogleg.ts). Where ‖F‖
 * has a minimum that is not a root, it stops near it and says so.
 *
 *   findRoot(compile(["10*(y - x^2)", "1 - x"], { vars: ["x", "y"] }), [-1.2, 1])  // x = [1, 1]
 * @param F a compiled function ℝⁿ → ℝⁿ
 * @param x0 the starting point
 * @param options `tolerance` and `maxIterations`
 * @example
 * ```ts
 * import { compile, findRoot } from "gradients";
 * const { x } = findRoot(compile(["10*(y - x^2)", "1 - x"]), [-1.2, 1]); // x = [1, 1]
 * ```
 */
export function findRoot(F: Residual, x0: ArrayLike<number>, options: FindRootOptions = {}): FindRootResult {
  checkOptions(options, ["tolerance", "maxIterations"], "findRoot");
  const tol = options.tolerance ?? 1e-10;
  if (typeof tol !== "number" || !(tol >= 0)) throw new InputError(`tolerance must be a number ≥ 0, got ${show(tol)}`);
  const start = readStart(x0);
  if (F instanceof Func && F.inputs.length !== 1) {
    throw new InputError(`findRoot takes F as a function of one vector input (compile with vars as an array, or fn(n)); this one has inputs ${F.inputs.map((d) => d.name).join(", ")}`);
  }
  const problem = problemOf(F, start, {});
  if (problem.m !== problem.n) throw new ShapeError(`findRoot needs as many equations as unknowns; F has ${problem.m} outputs and ${problem.n} unknowns (for more equations, use leastSquares)`);
  const outcome = dogleg(problem, start, { tolerance: tol, maxIterations: count(options.maxIterations, 1000, "maxIterations") }, sparseSource(F));
  return {
    x: outcome.x, residual: outcome.residual, iterations: outcome.iterations, evaluations: outcome.evaluations,
    converged: outcome.reason === "root", reason: outcome.reason,
  };
}
