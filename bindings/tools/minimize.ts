// Gradient-based minimization with exact gradients: gradient descent (fixed step
// or backtracking), momentum, Adam and L-BFGS. The loop is per iteration, in
// JavaScript; every value and gradient comes from the core (or from the caller's
// objective, for stochastic ones).
import { checkOptions } from "../api/validate.js";
import { didYouMean } from "../base/nearest.js";
import { CallbackError, InputError, ShapeError, show } from "../base/errors.js";
import { Func } from "../api/func.js";
import { Tensor } from "../base/tensor.js";

/** An objective given directly: value and gradient at x (the iteration number helps a stochastic one reseed). */
export type Objective = (x: Float64Array, iteration: number) => { value: number; grad: ArrayLike<number> };

/** What `onStep` sees after each iteration. */
export interface StepInfo {
  iteration: number;
  x: Float64Array;
  value: number;
  grad: Float64Array;
  /** The step taken, x_new − x_old. */
  step: Float64Array;
}

/** Options of `minimize`. */
export interface MinimizeOptions {
  /**
   * "lbfgs" (default; with a strong-Wolfe line search), "newton" (a trust
   * region on the exact Hessian through Hessian-vector products, the step by
   * Steihaug's truncated conjugate gradients: for a compiled f), "gd" (fixed step),
   * "backtracking" (gradient descent with an Armijo line search), "momentum"
   * (heavy ball), "adam".
   */
  method?: "lbfgs" | "gd" | "backtracking" | "momentum" | "adam" | "newton";
  /** Step size of gd, momentum and adam (default 0.01; adam 0.001), initial step of backtracking (1). */
  learningRate?: number;
  /** Momentum coefficient (default 0.9). */
  momentum?: number;
  /** Adam's decay rates and ε (defaults 0.9, 0.999, 1e-8). */
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  /**
   * Bounds [lower, upper] on x (arrays of n; −Infinity and Infinity for none),
   * for "lbfgs": a projected L-BFGS (see README). x0 must lie within them.
   */
  bounds?: readonly [ArrayLike<number>, ArrayLike<number>];
  /** Newton's first trust-region radius (default 1). */
  trustRadius?: number;
  /** Pairs L-BFGS remembers (default 10). */
  memory?: number;
  /** At most this many iterations (default 1000). */
  maxIterations?: number;
  /** Converged when max |∂f/∂x_i| ≤ gradTol (default 1e-8). */
  gradTol?: number;
  /** Converged when max |Δx_i| ≤ stepTol·(1 + max |x_i|) (default 1e-15 for lbfgs and backtracking, off otherwise). */
  stepTol?: number;
  /** Called after each iteration; returning false stops the run. */
  onStep?: (info: StepInfo) => void | boolean;
}

/** Each method's own options (the others, method, bounds, tolerances and onStep, are every method's). */
const METHOD_OPTIONS: Readonly<Record<NonNullable<MinimizeOptions["method"]>, readonly (keyof MinimizeOptions)[]>> = {
  lbfgs: ["memory"], newton: ["trustRadius"], gd: ["learningRate"], backtracking: ["learningRate"],
  momentum: ["learningRate", "momentum"], adam: ["learningRate", "beta1", "beta2", "epsilon"],
};

/** An option of other methods given to this one would be ignored: an InputError naming whose it is. */
function refuseOtherMethodsOptions(method: keyof typeof METHOD_OPTIONS, options: MinimizeOptions): void {
  const methods = Object.keys(METHOD_OPTIONS) as (keyof typeof METHOD_OPTIONS)[];
  for (const key of new Set(methods.flatMap((m) => METHOD_OPTIONS[m]))) {
    if (options[key] === undefined || METHOD_OPTIONS[method].includes(key)) continue;
    const whose = methods.filter((m) => METHOD_OPTIONS[m].includes(key));
    throw new InputError(`${key} is an option of method${whose.length > 1 ? "s" : ""} ${whose.map((m) => `"${m}"`).join(", ")}, not "${method}" (it would be ignored)`);
  }
}

/** Why a run stopped. */
export type StopReason = "gradient" | "step" | "iterations" | "callback" | "line search" | "non-finite";

/** The result of `minimize`. */
export interface MinimizeResult {
  x: Float64Array;
  value: number;
  grad: Float64Array;
  iterations: number;
  /** True when the gradient test was met (max |∂f/∂x_i| ≤ gradTol); a stop for a small step is not convergence. */
  converged: boolean;
  reason: StopReason;
}

type Evaluate = (x: Float64Array, iteration: number) => { value: number; grad: Float64Array };

function objectiveOf(f: Func | Objective, n: number): Evaluate {
  if (f instanceof Func) {
    if (f.outputShape.length !== 0) throw new ShapeError(`minimize needs a scalar function; this one has output shape [${f.outputShape.join(", ")}]`);
    if (f.n !== n) throw new ShapeError(`x0 has ${n} entries; the function has ${f.n} inputs`);
    const point = f.inputs.length === 1 ? (x: Float64Array) => x : undefined;
    if (!point) throw new ShapeError("minimize takes a function of one input (a vector); wrap several inputs in one");
    return (x) => { // one sweep for both
      const grad = new Float64Array(n);
      const { value } = f.valueAndGrad(x, { out: grad });
      return { value: value as number, grad };
    };
  }
  if (typeof f !== "function") throw new InputError("minimize needs a compiled function or an objective (x, iteration) => { value, grad }");
  return (x, iteration) => {
    let r: { value: number; grad: ArrayLike<number> };
    try {
      r = f(x.slice(), iteration);
    } catch (error) {
      throw new CallbackError(`the objective threw at iteration ${iteration}: ${error instanceof Error ? error.message : String(error)}`, error);
    }
    if (r === null || typeof r !== "object" || typeof r.value !== "number" || !r.grad || r.grad.length !== n) {
      throw new CallbackError(`the objective must return { value: number, grad: ${n} numbers } (iteration ${iteration})`);
    }
    return { value: r.value, grad: Float64Array.from(r.grad) };
  };
}

const maxAbs = (v: Float64Array) => v.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
const dot = (a: Float64Array, b: Float64Array) => a.reduce((s, x, i) => s + x * b[i], 0);

function positive(x: unknown, name: string, fallback: number): number {
  if (x === undefined) return fallback;
  if (typeof x !== "number" || !(x > 0) || !Number.isFinite(x)) throw new InputError(`${name} must be a finite number > 0, got ${show(x)}`);
  return x;
}

/**
 * Minimizes f from x0. f is a compiled scalar function of one vector input (its
 * exact gradient is used), or an objective `(x, iteration) => { value, grad }`
 * (for example a reparameterized estimate with a fresh seed per iteration, with
 * method "adam"). Returns { x, value, grad, iterations, converged, reason }.
 * @param f a compiled scalar function, or an objective (x, iteration) => { value, grad }
 * @param x0 the starting point
 * @param options `method`, its step settings, `bounds`, stopping rules and `onStep` (see MinimizeOptions)
 * @example
 * ```ts
 * import { compile, minimize } from "gradients";
 * const rosen = compile("100*(y - x^2)^2 + (1 - x)^2");
 * const { x, converged } = minimize(rosen, [-1.2, 1], { method: "lbfgs", gradTol: 1e-10 }); // x ≈ [1, 1]
 * ```
 */
export function minimize(f: Func | Objective, x0: ArrayLike<number>, options: MinimizeOptions = {}): MinimizeResult {
  checkOptions(options, ["method", "learningRate", "momentum", "beta1", "beta2", "epsilon", "bounds", "trustRadius", "memory",
    "maxIterations", "gradTol", "stepTol", "onStep"], "minimize");
  if (!(Array.isArray(x0) || ArrayBuffer.isView(x0)) || x0.length === 0) throw new InputError("x0 must be a non-empty array of numbers");
  const n = x0.length;
  if (!Array.prototype.every.call(x0, (v: unknown) => typeof v === "number" && Number.isFinite(v))) throw new InputError("x0 must hold finite numbers");
  const x = Float64Array.from(x0);
  if (options.onStep !== undefined && typeof options.onStep !== "function") throw new InputError(`onStep must be a function, got ${show(options.onStep)}`);
  const evaluate = objectiveOf(f, n);
  const method = options.method ?? "lbfgs";
  if (typeof method !== "string" || !Object.hasOwn(METHOD_OPTIONS, method)) {
    const hint = typeof method === "string" ? didYouMean(method, Object.keys(METHOD_OPTIONS)) : "";
    throw new InputError(`unknown method ${show(method)}${hint || ` (the methods are ${Object.keys(METHOD_OPTIONS).join(", ")})`}`);
  }
  refuseOtherMethodsOptions(method, options);
  if (method === "newton" && !(f instanceof Func)) throw new InputError(`method "newton" needs a compiled function: it takes Hessian-vector products of f`);
  const maxIterations = options.maxIterations ?? 1000;
  if (!Number.isInteger(maxIterations) || maxIterations < 0) throw new InputError(`maxIterations must be a whole number ≥ 0, got ${show(maxIterations)}`);
  const gradTol = options.gradTol ?? 1e-8;
  if (typeof gradTol !== "number" || !(gradTol >= 0)) throw new InputError(`gradTol must be a number ≥ 0, got ${show(gradTol)}`);
  const stepTol = options.stepTol ?? (method === "lbfgs" || method === "backtracking" ? 1e-15 : 0);
  if (typeof stepTol !== "number" || !(stepTol >= 0)) throw new InputError(`stepTol must be a number ≥ 0, got ${show(stepTol)}`);

  const box = readBox(options.bounds, x);
  if (box && method !== "lbfgs") throw new InputError(`bounds are for method "lbfgs" (a projected L-BFGS), not ${show(method)}`);
  const stepper = box ? projectedLbfgs(Math.round(positive(options.memory, "memory", 10)), evaluate, box)
    : method === "newton" ? newtonStepper(f as Func, n, options, evaluate) : makeStepper(method, n, options, evaluate);
  let { value, grad } = evaluate(x, 0);
  let iterations = 0, last: Float64Array | undefined; // the last step taken
  // Only the gradient test is convergence: a step below stepTol means the search stalled.
  const done = (reason: StopReason): MinimizeResult => ({ x, value, grad, iterations, converged: reason === "gradient", reason });
  for (;;) {
    if (!Number.isFinite(value) || grad.some((g) => !Number.isFinite(g))) return done("non-finite");
    if (maxAbs(box ? projected(x, grad, box) : grad) <= gradTol) return done("gradient"); // (with bounds: the gradient along the free directions)
    // (after the gradient test: a last step that was small but found the minimum has converged)
    if (last && stepTol > 0 && maxAbs(last) <= stepTol * (1 + maxAbs(x))) return done("step");
    if (iterations >= maxIterations) return done("iterations");
    iterations++;
    const r = stepper(x, value, grad, iterations);
    if (!r) return done("line search");
    const step = r.x.map((v, i) => v - x[i]);
    x.set(r.x);
    value = r.value;
    grad = r.grad;
    last = step;
    if (options.onStep && options.onStep({ iteration: iterations, x: x.slice(), value, grad: grad.slice(), step }) === false) {
      return done("callback");
    }
  }
}

type Stepper = (x: Float64Array, value: number, grad: Float64Array, iteration: number) =>
  { x: Float64Array; value: number; grad: Float64Array } | undefined;

const norm = (v: Float64Array) => Math.sqrt(dot(v, v));

/**
 * Newton's method in a trust region (Nocedal & Wright, alg. 4.1 and 7.2): the
 * step minimizes the quadratic model g·p + ½p·H·p within ‖p‖ ≤ Δ by Steihaug's
 * truncated conjugate gradients, each iteration one exact Hessian-vector product
 * (f.hvp), stopping at the boundary, at negative curvature, or at a residual of
 * min(½, √‖g‖)·‖g‖ (superlinear convergence). Δ grows after good agreement of
 * model and f and shrinks after poor; a step is taken where f falls by at least a
 * tenth of the model's prediction.
 */
function newtonStepper(f: Func, n: number, o: MinimizeOptions, evaluate: Evaluate): Stepper {
  let radius = positive(o.trustRadius, "trustRadius", 1);
  // (the one input may be a scalar or a matrix: H·v flattened)
  const hvp = (x: Float64Array, v: Float64Array) => {
    const hv = f.hvp(x, v);
    return typeof hv === "number" ? Float64Array.of(hv) : hv instanceof Tensor ? hv.data : hv as Float64Array;
  };
  return (x, value, g, it) => {
    for (let tries = 0; tries < 60; tries++) {
      const p = steihaug(x, g, radius, n, hvp);
      const Hp = hvp(x, p), predicted = -(dot(g, p) + 0.5 * dot(p, Hp));
      const trial = x.map((xi, i) => xi + p[i]);
      if (trial.every((v, i) => v === x[i])) return undefined; // the region is below x's resolution
      const next = evaluate(trial, it), rho = predicted > 0 ? (value - next.value) / predicted : -1;
      const length = norm(p);
      if (!(rho >= 0.25)) radius = 0.25 * length;
      else if (rho > 0.75 && length >= 0.99 * radius) radius *= 2;
      if (rho > 0.1 && Number.isFinite(next.value)) return { x: trial, ...next };
    }
    return undefined;
  };
}

/** The truncated-CG step for the model g·p + ½p·H·p in ‖p‖ ≤ Δ. */
function steihaug(x: Float64Array, g: Float64Array, radius: number, n: number,
                  hvp: (x: Float64Array, v: Float64Array) => Float64Array): Float64Array {
  const z = new Float64Array(n), r = Float64Array.from(g), d = g.map((v) => -v);
  const gnorm = norm(g), tolerance = Math.min(0.5, Math.sqrt(gnorm)) * gnorm;
  let rr = dot(r, r);
  /** z + τ·d with τ ≥ 0 on the boundary ‖z + τ·d‖ = Δ. */
  const toBoundary = () => {
    const dd = dot(d, d), zd = dot(z, d), zz = dot(z, z);
    const tau = (-zd + Math.sqrt(zd * zd + dd * (radius * radius - zz))) / dd;
    return z.map((v, i) => v + tau * d[i]);
  };
  for (let k = 0; k < 2 * n + 10; k++) {
    const Hd = hvp(x, d), dHd = dot(d, Hd);
    if (!(dHd > 0)) return toBoundary(); // negative (or no) curvature: to the edge
    const alpha = rr / dHd;
    const next = z.map((v, i) => v + alpha * d[i]);
    if (norm(next) >= radius) return toBoundary();
    z.set(next);
    for (let i = 0; i < n; i++) r[i] += alpha * Hd[i];
    const rr2 = dot(r, r);
    if (Math.sqrt(rr2) <= tolerance) break;
    const beta = rr2 / rr;
    for (let i = 0; i < n; i++) d[i] = -r[i] + beta * d[i];
    rr = rr2;
  }
  return z;
}

function makeStepper(method: string, n: number, o: MinimizeOptions, evaluate: Evaluate): Stepper {
  const at = (x: Float64Array, it: number) => ({ x, ...evaluate(x, it) });
  switch (method) {
    case "gd": {
      const lr = positive(o.learningRate, "learningRate", 0.01);
      return (x, _v, g, it) => at(x.map((xi, i) => xi - lr * g[i]), it);
    }
    case "momentum": {
      const lr = positive(o.learningRate, "learningRate", 0.01), mu = o.momentum ?? 0.9;
      if (typeof mu !== "number" || !(mu >= 0 && mu < 1)) throw new InputError(`momentum must be a number in [0, 1), got ${show(mu)}`);
      const velocity = new Float64Array(n);
      return (x, _v, g, it) => {
        for (let i = 0; i < n; i++) velocity[i] = mu * velocity[i] - lr * g[i];
        return at(x.map((xi, i) => xi + velocity[i]), it);
      };
    }
    case "adam": {
      const lr = positive(o.learningRate, "learningRate", 0.001);
      const b1 = o.beta1 ?? 0.9, b2 = o.beta2 ?? 0.999, eps = positive(o.epsilon, "epsilon", 1e-8);
      for (const [name, b] of [["beta1", b1], ["beta2", b2]] as const) {
        if (typeof b !== "number" || !(b >= 0 && b < 1)) throw new InputError(`${name} must be a number in [0, 1), got ${show(b)}`);
      }
      const m = new Float64Array(n), v = new Float64Array(n);
      return (x, _v, g, it) => {
        const c1 = 1 - b1 ** it, c2 = 1 - b2 ** it;
        return at(x.map((xi, i) => {
          m[i] = b1 * m[i] + (1 - b1) * g[i];
          v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
          return xi - lr * (m[i] / c1) / (Math.sqrt(v[i] / c2) + eps);
        }), it);
      };
    }
    case "backtracking": {
      // Armijo: halve t until f(x − t·g) ≤ f(x) − ½·t·|g|²; start from twice the last accepted t.
      let t = positive(o.learningRate, "learningRate", 1);
      return (x, value, g, it) => {
        const gg = dot(g, g);
        for (let tries = 0; tries < 60; tries++, t /= 2) {
          const trial = at(x.map((xi, i) => xi - t * g[i]), it);
          // A step too small to move x, or that does not strictly decrease f, is no step.
          if (trial.x.every((v, i) => v === x[i])) break;
          if (trial.value < value && trial.value <= value - 0.5 * t * gg) {
            t *= 2;
            return trial;
          }
        }
        return undefined;
      };
    }
    default:
      return lbfgs(Math.round(positive(o.memory, "memory", 10)), evaluate);
  }
}

/** L-BFGS's memory: steps s, gradient changes y, and ρ = 1/sᵀy. */
interface Pairs { S: Float64Array[]; Y: Float64Array[]; rho: number[] }

/**
 * Adds the pair (s, y), dropping the oldest beyond `memory`; only pairs that keep H positive definite.
 * Returns whether it was kept (false: f is not convex along s, or its curvature there is lost in rounding).
 */
function remember(pairs: Pairs, memory: number, s: Float64Array, y: Float64Array): boolean {
  const sy = dot(s, y);
  if (!(sy > 1e-12 * Math.sqrt(dot(s, s) * dot(y, y)))) return false;
  pairs.S.push(s);
  pairs.Y.push(y);
  pairs.rho.push(1 / sy);
  if (pairs.S.length > memory) {
    pairs.S.shift();
    pairs.Y.shift();
    pairs.rho.shift();
  }
  return true;
}

function forget(pairs: Pairs): void {
  pairs.S.length = pairs.Y.length = pairs.rho.length = 0;
}

/**
 * H·g by L-BFGS's two-loop recursion over the pairs (S, Y), ρ = 1/sᵀy, the
 * initial Hessian scaled by sᵀy/yᵀy of the newest pair (1/max(‖g‖, 1) with none).
 */
function twoLoop({ S, Y, rho }: Pairs, g: Float64Array): Float64Array {
  const n = g.length, q = g.slice(), alpha: number[] = [];
  for (let k = S.length - 1; k >= 0; k--) {
    alpha[k] = rho[k] * dot(S[k], q);
    for (let i = 0; i < n; i++) q[i] -= alpha[k] * Y[k][i];
  }
  const last = S.length - 1;
  const gamma = last >= 0 ? dot(S[last], Y[last]) / dot(Y[last], Y[last]) : 1 / Math.max(Math.sqrt(dot(g, g)), 1);
  for (let i = 0; i < n; i++) q[i] *= gamma;
  for (let k = 0; k < S.length; k++) {
    const beta = rho[k] * dot(Y[k], q);
    for (let i = 0; i < n; i++) q[i] += S[k][i] * (alpha[k] - beta);
  }
  return q;
}

/**
 * L-BFGS (Nocedal & Wright, Numerical Optimization, Algorithm 7.4: the two-loop
 * recursion, initial Hessian scaled by sᵀy/yᵀy) with a strong-Wolfe line search
 * (Algorithms 3.5 and 3.6, cubic interpolation; c1 = 1e-4, c2 = 0.9).
 */
function lbfgs(memory: number, evaluate: Evaluate): Stepper {
  const pairs: Pairs = { S: [], Y: [], rho: [] };
  return (x, value, g, it) => {
    // Direction p = −H·g by the two-loop recursion.
    let p = twoLoop(pairs, g).map((v) => -v);
    let slope = dot(g, p);
    if (!(slope < 0)) { // not a descent direction: restart from steepest descent
      forget(pairs);
      p = g.map((v) => -v / Math.max(Math.sqrt(dot(g, g)), 1));
      slope = dot(g, p);
    }
    const trial = wolfe(x, value, slope, p, (xa) => evaluate(xa, it));
    if (!trial) return undefined;
    remember(pairs, memory, trial.x.map((v, i) => v - x[i]), trial.grad.map((v, i) => v - g[i]));
    return trial;
  };
}

interface Box { lower: Float64Array; upper: Float64Array }

function readBox(bounds: MinimizeOptions["bounds"], x0: Float64Array): Box | undefined {
  if (bounds === undefined) return undefined;
  const n = x0.length;
  if (!Array.isArray(bounds) || bounds.length !== 2) throw new InputError(`bounds must be [lower, upper], two arrays of ${n} numbers, got ${show(bounds)}`);
  const [lower, upper] = bounds.map((b, k) => {
    if (b === null || typeof b !== "object" || (b as ArrayLike<number>).length !== n) throw new ShapeError(`bounds[${k}] must have ${n} entries, got ${show(b)}`);
    return Float64Array.from(b as ArrayLike<number>);
  });
  for (let i = 0; i < n; i++) {
    if (Number.isNaN(lower[i]) || Number.isNaN(upper[i]) || lower[i] > upper[i]) throw new InputError(`bounds on x[${i}] must satisfy lower ≤ upper, got [${lower[i]}, ${upper[i]}]`);
    if (!(x0[i] >= lower[i] && x0[i] <= upper[i])) throw new InputError(`x0[${i}] (${x0[i]}) lies outside its bounds [${lower[i]}, ${upper[i]}]`);
  }
  return { lower, upper };
}

/** The gradient with the entries of variables held at a bound (the gradient pushing them outward) zeroed. */
function projected(x: Float64Array, g: Float64Array, { lower, upper }: Box): Float64Array {
  return g.map((v, i) => ((x[i] <= lower[i] && v > 0) || (x[i] >= upper[i] && v < 0) ? 0 : v));
}

/**
 * L-BFGS with bounds, projected: the two-loop direction on the free variables
 * (those not held at a bound by the gradient), the trial points projected onto
 * the box, and an Armijo backtracking along that projected path (the strong
 * Wolfe search does not apply to a bent path), which doubles a first step
 * accepted whole after a step along which f was not convex. Not L-BFGS-B's Cauchy-point
 * subspace method: simpler, and it converges on the problems it is tested on.
 */
function projectedLbfgs(memory: number, evaluate: Evaluate, box: Box): Stepper {
  const pairs: Pairs = { S: [], Y: [], rho: [] };
  const clip = (x: Float64Array) => x.map((v, i) => Math.min(Math.max(v, box.lower[i]), box.upper[i]));
  const along = (x: Float64Array, p: Float64Array, t: number) => clip(x.map((v, i) => v + t * p[i]));
  const same = (a: Float64Array, b: Float64Array) => a.every((v, i) => v === b[i]);
  /** f at a trial point, and whether it decreased enough from x (Armijo's condition along the path). */
  const sample = (trial: Float64Array, x: Float64Array, value: number, g: Float64Array, it: number) => {
    const next = evaluate(trial, it), moved = trial.map((v, i) => v - x[i]);
    return { x: trial, moved, value: next.value, grad: next.grad, enough: next.value <= value + 1e-4 * dot(g, moved) };
  };
  let refused = false; // the last step's pair was refused: f was linear or concave along it
  return (x, value, g, it) => {
    const pg = projected(x, g, box), q = twoLoop(pairs, pg);
    // After such a step the direction's length says nothing of how far to go: a first step
    // accepted whole is then doubled while f keeps falling, as the Wolfe search of unbounded
    // L-BFGS extends its step (a linear f on a box 4e4 wide once moved one unit an iteration).
    let unscaled = refused;
    let p = q.map((v, i) => (pg[i] === 0 && g[i] !== 0 ? 0 : -v)); // held variables do not move
    if (!(dot(pg, p) < 0)) { // not a descent direction: restart from the projected steepest descent
      forget(pairs);
      p = pg.map((v) => -v / Math.max(Math.sqrt(dot(pg, pg)), 1));
      unscaled = true;
    }
    for (let t = 1, tries = 0; tries < 60; tries++, t /= 2) {
      const trial = along(x, p, t);
      if (same(trial, x)) return undefined;
      let best = sample(trial, x, value, g, it);
      if (!best.enough) continue;
      for (let grow = 0; unscaled && tries === 0 && grow < 60; grow++) {
        const wider = along(x, p, t *= 2);
        if (same(wider, best.x)) break; // held at the bounds
        const further = sample(wider, x, value, g, it);
        if (!(further.enough && further.value < best.value)) break;
        best = further;
      }
      refused = !remember(pairs, memory, best.moved, best.grad.map((v, i) => v - g[i]));
      return { x: best.x, value: best.value, grad: best.grad };
    }
    return undefined;
  };
}

/** A step length along p satisfying the strong Wolfe conditions, and the point there. */
function wolfe(x: Float64Array, f0: number, d0: number, p: Float64Array,
               evaluate: (x: Float64Array) => { value: number; grad: Float64Array }) {
  const c1 = 1e-4, c2 = 0.9;
  // Values within rounding of each other are not an increase: where a step changes f by
  // less than its last digits (y² along a direction 1e-20 long, at f = 1), the slopes decide.
  const tol = 8 * Number.EPSILON * Math.abs(f0);
  const above = (v: number, ref: number) => v > ref + tol;
  const phi = (a: number) => {
    const xa = x.map((v, i) => v + a * p[i]);
    const r = evaluate(xa);
    return { a, x: xa, value: r.value, grad: r.grad, slope: dot(r.grad, p) };
  };
  type Sample = ReturnType<typeof phi>;
  /** A step that went somewhere downhill (or, within rounding of f, along a falling slope), else none. */
  const usable = (s: Sample) => (s.a > 0 && (s.value < f0 || (s.value <= f0 + tol && s.slope < 0)) ? s : undefined);
  const zoom = (lo: Sample, hi: Sample): Sample | undefined => {
    for (let j = 0; j < 40; j++) {
      const a = cubicMinimum(lo, hi);
      const s = phi(a);
      if (!Number.isFinite(s.value)) { hi = s; continue; }
      if (above(s.value, f0 + c1 * a * d0) || (s.value >= lo.value && !(s.value <= lo.value + tol && s.slope < 0))) hi = s;
      else {
        if (Math.abs(s.slope) <= -c2 * d0) return s;
        if (s.slope * (hi.a - lo.a) >= 0) hi = lo;
        lo = s;
      }
      if (Math.abs(hi.a - lo.a) < 1e-16 * Math.max(1, Math.abs(lo.a))) return usable(lo);
    }
    return usable(lo);
  };
  let prev: Sample = { a: 0, x: x as Sample["x"], value: f0, grad: new Float64Array(0), slope: d0 };
  // Expanding: the factor doubles each time (2, 4, 8, …), so a step 1e20 times the first
  // guess (a badly scaled first direction: 1e20·x² + y²) takes a dozen trials, not 67.
  let a = 1, growth = 2;
  for (let i = 0; i < 60 && a < 1e300; i++) {
    const s = phi(a);
    if (!Number.isFinite(s.value) || above(s.value, f0 + c1 * a * d0) || (i > 0 && above(s.value, prev.value))) return zoom(prev, s);
    if (Math.abs(s.slope) <= -c2 * d0) return s;
    if (s.slope >= 0) return zoom(s, prev);
    prev = s;
    a *= growth;
    growth = Math.min(2 * growth, 1e10);
  }
  return undefined;
}

/** The minimizer of the cubic through two samples (value and slope), kept inside the interval's middle 80%. */
function cubicMinimum(lo: { a: number; value: number; slope: number }, hi: { a: number; value: number; slope: number }): number {
  const d1 = lo.slope + hi.slope - 3 * (lo.value - hi.value) / (lo.a - hi.a);
  const disc = d1 * d1 - lo.slope * hi.slope;
  const left = Math.min(lo.a, hi.a), width = Math.abs(hi.a - lo.a);
  if (disc >= 0 && Number.isFinite(hi.value)) {
    const d2 = Math.sign(hi.a - lo.a) * Math.sqrt(disc);
    const a = hi.a - (hi.a - lo.a) * (hi.slope + d2 - d1) / (hi.slope - lo.slope + 2 * d2);
    if (Number.isFinite(a) && a > left + 0.1 * width && a < left + 0.9 * width) return a;
  }
  return (lo.a + hi.a) / 2;
}
