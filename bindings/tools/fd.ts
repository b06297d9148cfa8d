// Finite differences of black-box JavaScript functions: the public functions and
// the shapes of their results. fd-plan.ts reads the options and points,
// fd-caller.ts calls the user's function, fd-differentiate.ts samples it where
// the core (assembly/extras/fd.ts) plans and has the core combine the samples
// into derivatives and error estimates.
import { checkOptions } from "../api/validate.js";
import { CallbackError, InputError, ShapeError, show } from "../base/errors.js";
import { core, f64, withMemory } from "../runtime/loader.js";
import { Tensor, type TensorLike } from "../base/tensor.js";
import { checkInside, ownCopy, pointPrefix, readBase, readOptions, refuseVanishingSteps } from "./fd-plan.js";
import { splitDirections } from "./fd-direction.js";
import { Caller } from "./fd-caller.js";
import { differentiate } from "./fd-differentiate.js";

/** A function of a point; `x` is reused between calls (copy it to keep it). */
export type Callback = (x: Float64Array) => number | ArrayLike<number>;
/** With `vectorized: true`: a function of a batch of points X [P, n], returning P values or [P, m] values. */
export type BatchCallback = (X: Tensor) => ArrayLike<number> | TensorLike;

/** Options of every `fd` function. */
export interface FdOptions {
  /** The stencil: "central" (default, error ~h²), "forward", "backward" (~h), "five-point" (~h⁴). */
  scheme?: "central" | "forward" | "backward" | "five-point";
  /**
   * The step: a number, one per variable, or automatic (default): ∛ε·max(|x|, 1)
   * central, √ε·max(|x|, 1) one-sided, ε^(1/5)·max(|x|, 1) five-point, ε^(1/4)·max(|x|, 1)
   * for second differences; with Richardson levels, larger (see the README).
   */
  step?: number | ArrayLike<number>;
  /** Richardson extrapolation levels (0–8, default 0): each halves the step once more. */
  richardson?: number;
  /**
   * The domain: a [lower, upper] pair per variable (±Infinity for none); a variable
   * too close to a bound for the stencil is differenced one-sidedly, away from it.
   */
  bounds?: readonly (readonly [number, number])[];
  /** The callback takes a batch of points (a Tensor [P, n]) and returns P values or [P, m]. */
  vectorized?: boolean;
}

/** Options for a vectorized callback (a function of a batch of points). */
export type VectorizedOptions = FdOptions & { vectorized: true };

/** A finite-difference result and its error estimate, of the same shape. */
export interface Estimate<T> {
  value: T;
  error: T;
}

/** One point's result, or a batch's with a leading N. */
function shaped(data: Float64Array, batched: boolean, N: number, shape: readonly number[]): number | Float64Array | Tensor {
  if (batched) return new Tensor([N, ...shape], data);
  if (shape.length === 0) return data[0];
  return shape.length === 1 ? data : new Tensor(shape, data);
}

function estimate<T>(r: { value: Float64Array; error: Float64Array }, batched: boolean, N: number, shape: readonly number[]): Estimate<T> {
  return { value: shaped(r.value, batched, N, shape) as T, error: shaped(r.error, batched, N, shape) as T };
}

/** The output shape of a function that returned m values (a number: []). */
function outShape(r: { m: number; scalar: boolean }): number[] {
  return r.scalar ? [] : [r.m];
}

/**
 * d f/dx of a function of one number, at x (or at each entry of a batch Tensor
 * [N]). `f` receives a number.
 * @param f a function of one number
 * @param x the point, or a batch Tensor [N]
 * @param options as FdOptions
 * @example
 * ```ts
 * import { fd } from "gradients";
 * const { value, error } = fd.derivative(Math.cos, 0.5); // −sin 0.5, and an error bound
 * ```
 */
export function derivative(f: (x: number) => number, x: number | TensorLike, options: FdOptions = {}): Estimate<number | Tensor> {
  if (typeof f !== "function") throw new InputError("the first argument must be the function to differentiate");
  checkOptions(options, ["scheme", "step", "richardson", "bounds", "vectorized"], "fd.derivative");
  const batched = typeof x !== "number";
  if (batched && (x === null || typeof x !== "object" || !Array.isArray((x as TensorLike).shape) || (x as TensorLike).shape.length !== 1)) {
    throw new InputError("derivative takes a number, or a batch Tensor of shape [N]");
  }
  if (batched && (x as TensorLike).data?.length !== (x as TensorLike).shape[0]) {
    throw new ShapeError(`a batch of shape [${show((x as TensorLike).shape[0])}] needs as many numbers, got ${show((x as TensorLike).data)}`);
  }
  const data = batched ? ownCopy((x as TensorLike).data) : Float64Array.of(x as number);
  const base = { data, N: data.length, n: 1, batched };
  const g: Callback = (p) => f(p[0]);
  const r = differentiate(options.vectorized ? (f as unknown as BatchCallback) : g, base, { axes: [0] }, readOptions(options, 1, "fd.derivative"));
  if (!r.scalar) throw new CallbackError("derivative's function must return a number");
  return estimate(r, batched, base.N, []);
}

/**
 * ∂f/∂x_i at x (an array of n numbers, or a batch Tensor [N, n]), f returning a
 * number or an array: shaped like f's result.
 * @param f the function: of a point (a Float64Array, reused between calls), or of a batch Tensor [P, n] with `vectorized: true`
 * @param x the point (n numbers), or a batch Tensor [N, n]
 * @param variable the index of the variable
 * @param options `scheme`, `step`, `richardson`, `bounds`, `vectorized` (see FdOptions)
 * @example
 * ```ts
 * import { fd } from "gradients";
 * const { value } = fd.partial((x) => x[0] * x[1] ** 2, [3, 2], 1); // 2·3·2 = 12
 * ```
 */
export function partial(f: BatchCallback, x: TensorLike, variable: number, options: VectorizedOptions): Estimate<Tensor>;
export function partial(f: Callback, x: ArrayLike<number>, variable: number, options?: FdOptions): Estimate<number | Float64Array>;
export function partial(f: Callback, x: TensorLike, variable: number, options?: FdOptions): Estimate<Tensor>;
export function partial(f: Callback | BatchCallback, x: ArrayLike<number> | TensorLike, variable: number, options?: FdOptions): Estimate<number | Float64Array | Tensor>;
export function partial(f: Callback | BatchCallback, x: ArrayLike<number> | TensorLike, variable: number, options: FdOptions = {}): Estimate<number | Float64Array | Tensor> {
  const base = readBase(x);
  if (!Number.isInteger(variable) || variable < 0 || variable >= base.n) {
    throw new InputError(`variable must be a whole number from 0 to ${base.n - 1}, got ${show(variable)}`);
  }
  const r = differentiate(f, base, { axes: [variable] }, readOptions(options, base.n, "fd.partial"));
  return estimate(r, base.batched, base.N, outShape(r));
}

/**
 * ∇f of a function returning a number, at x (n numbers, or a batch Tensor [N, n]): Float64Array(n) or Tensor [N, n].
 * @param f the function: of a point (a Float64Array, reused between calls), or of a batch Tensor [P, n] with `vectorized: true`
 * @param x the point (n numbers), or a batch Tensor [N, n]
 * @param options `scheme`, `step`, `richardson`, `bounds`, `vectorized` (see FdOptions)
 * @example
 * ```ts
 * import { fd } from "gradients";
 * const { value, error } = fd.grad((x) => Math.sin(x[0]) * Math.exp(x[1]), [1, 0.5], { richardson: 2 });
 * ```
 */
export function grad(f: BatchCallback, x: TensorLike, options: VectorizedOptions): Estimate<Tensor>;
export function grad(f: Callback, x: ArrayLike<number>, options?: FdOptions): Estimate<Float64Array>;
export function grad(f: Callback, x: TensorLike, options?: FdOptions): Estimate<Tensor>;
export function grad(f: Callback | BatchCallback, x: ArrayLike<number> | TensorLike, options?: FdOptions): Estimate<Float64Array | Tensor>;
export function grad(f: Callback | BatchCallback, x: ArrayLike<number> | TensorLike, options: FdOptions = {}): Estimate<Float64Array | Tensor> {
  const base = readBase(x);
  const r = differentiate(f, base, { axes: Array.from({ length: base.n }, (_, i) => i) }, readOptions(options, base.n, "fd.grad"));
  if (!r.scalar) throw new ShapeError(`grad needs a function returning a number; this one returned ${r.m} values (use jacobian)`);
  return estimate(r, base.batched, base.N, [base.n]);
}

/**
 * J(x)·v along v (not normalized), shaped like f's result; v has n entries or is a batch [N, n] like x.
 * @param f the function: of a point (a Float64Array, reused between calls), or of a batch Tensor [P, n] with `vectorized: true`
 * @param x the point (n numbers), or a batch Tensor [N, n]
 * @param v the direction (not normalized), or a batch of them
 * @param options `scheme`, `step`, `richardson`, `bounds`, `vectorized` (see FdOptions)
 * @example
 * ```ts
 * import { fd } from "gradients";
 * const { value } = fd.directional((x) => x[0] * x[1], [3, 2], [1, 1]); // y + x = 5
 * ```
 */
export function directional(f: BatchCallback, x: TensorLike, v: ArrayLike<number> | TensorLike, options: VectorizedOptions): Estimate<Tensor>;
export function directional(f: Callback, x: ArrayLike<number>, v: ArrayLike<number>, options?: FdOptions): Estimate<number | Float64Array>;
export function directional(f: Callback, x: TensorLike, v: ArrayLike<number> | TensorLike, options?: FdOptions): Estimate<Tensor>;
export function directional(f: Callback | BatchCallback, x: ArrayLike<number> | TensorLike, v: ArrayLike<number> | TensorLike, options?: FdOptions): Estimate<number | Float64Array | Tensor>;
export function directional(f: Callback | BatchCallback, x: ArrayLike<number> | TensorLike, v: ArrayLike<number> | TensorLike,
                            options: FdOptions = {}): Estimate<number | Float64Array | Tensor> {
  const base = readBase(x), dir = readBase(v);
  if (dir.n !== base.n) throw new ShapeError(`the direction needs ${base.n} entries, got ${dir.n}`);
  if (dir.batched && (!base.batched || dir.N !== base.N)) throw new ShapeError(`a batch of ${dir.N} directions needs a batch of as many points`);
  const plan = readOptions(options, base.n, "fd.directional");
  // With the automatic step, coordinates of unlike scales along v get lines of their own (fd-direction.ts).
  const split = plan.step === undefined ? splitDirections(base.data, base.N, base.n, dir.data, dir.batched) : undefined;
  if (!split) {
    const r = differentiate(f, base, { direction: dir.data, perPoint: dir.batched }, plan);
    return estimate(r, base.batched, base.N, outShape(r));
  }
  checkInside(base, plan); // (before the points are repeated, so that errors name them)
  const lines = { data: split.points, N: split.owner.length, n: base.n, batched: true };
  const r = differentiate(f, lines, { direction: split.directions, perPoint: true }, plan), m = r.m;
  const value = new Float64Array(base.N * m), error = new Float64Array(base.N * m);
  split.owner.forEach((p, line) => {
    const first = line === 0 || split.owner[line - 1] !== p; // (assigned, not added to 0: a −0 stays −0)
    for (let o = 0; o < m; o++) {
      value[p * m + o] = first ? r.value[line * m + o] : value[p * m + o] + r.value[line * m + o];
      error[p * m + o] = first ? r.error[line * m + o] : error[p * m + o] + r.error[line * m + o];
    }
  });
  return estimate({ value, error }, base.batched, base.N, outShape(r));
}

/**
 * The Jacobian [m, n] (J[i·n + j] = ∂f_i/∂x_j; [n] for a function returning a number), batched [N, m, n].
 * @param f the function: of a point (a Float64Array, reused between calls), or of a batch Tensor [P, n] with `vectorized: true`
 * @param x the point (n numbers), or a batch Tensor [N, n]
 * @param options `scheme`, `step`, `richardson`, `bounds`, `vectorized` (see FdOptions)
 * @example
 * ```ts
 * import { fd } from "gradients";
 * const { value } = fd.jacobian((x) => [x[0] * x[1], Math.sin(x[0])], [1, 2]); // Tensor [2, 2]
 * ```
 */
export function jacobian(f: BatchCallback, x: TensorLike, options: VectorizedOptions): Estimate<Tensor>;
export function jacobian(f: Callback, x: ArrayLike<number> | TensorLike, options?: FdOptions): Estimate<Tensor>;
export function jacobian(f: Callback | BatchCallback, x: ArrayLike<number> | TensorLike, options?: FdOptions): Estimate<Tensor>;
export function jacobian(f: Callback | BatchCallback, x: ArrayLike<number> | TensorLike, options: FdOptions = {}): Estimate<Tensor> {
  const base = readBase(x);
  const r = differentiate(f, base, { axes: Array.from({ length: base.n }, (_, i) => i) }, readOptions(options, base.n, "fd.jacobian"), true);
  const shape = [...outShape(r), base.n];
  const lead = base.batched ? [base.N] : [];
  return { value: new Tensor([...lead, ...shape], r.value), error: new Tensor([...lead, ...shape], r.error) };
}

/** Jacobians of a field ℝⁿ → ℝⁿ (n ∈ sizes), as [N?, n, n] data with errors. */
function fieldJacobian(f: Callback | BatchCallback, x: ArrayLike<number> | TensorLike, options: FdOptions, what: string, sizes: readonly number[]) {
  const base = readBase(x);
  if (!sizes.includes(base.n)) throw new ShapeError(`${what} is defined for ${sizes.length === 2 ? "2-D and 3-D fields" : "fields ℝⁿ → ℝⁿ"}; the point has ${base.n} entries`);
  const r = differentiate(f, base, { axes: Array.from({ length: base.n }, (_, i) => i) }, readOptions(options, base.n, `fd.${what}`), true);
  if (r.scalar || r.m !== base.n) throw new ShapeError(`${what} needs a field with as many outputs as inputs (${base.n}); the function returned ${r.scalar ? "a number" : `${r.m} values`}`);
  return { base, J: r.value, E: r.error, n: base.n };
}

/**
 * ∇·f = Σ ∂f_i/∂x_i of a field ℝⁿ → ℝⁿ: a number, or a Tensor [N]; the error sums the entries' errors.
 * @param f the function: of a point (a Float64Array, reused between calls), or of a batch Tensor [P, n] with `vectorized: true`
 * @param x the point (n numbers), or a batch Tensor [N, n]
 * @param options `scheme`, `step`, `richardson`, `bounds`, `vectorized` (see FdOptions)
 * @example
 * ```ts
 * import { fd } from "gradients";
 * const { value } = fd.divergence((x) => [x[0] * x[1], x[1] ** 2], [1, 2]); // y + 2y = 6
 * ```
 */
export function divergence(f: BatchCallback, x: TensorLike, options: VectorizedOptions): Estimate<Tensor>;
export function divergence(f: Callback, x: ArrayLike<number>, options?: FdOptions): Estimate<number>;
export function divergence(f: Callback, x: TensorLike, options?: FdOptions): Estimate<Tensor>;
export function divergence(f: Callback | BatchCallback, x: ArrayLike<number> | TensorLike, options?: FdOptions): Estimate<number | Tensor>;
export function divergence(f: Callback | BatchCallback, x: ArrayLike<number> | TensorLike, options: FdOptions = {}): Estimate<number | Tensor> {
  const { base, J, E, n } = fieldJacobian(f, x, options, "divergence", Array.from({ length: 64 }, (_, i) => i + 1));
  const value = new Float64Array(base.N), error = new Float64Array(base.N);
  for (let p = 0; p < base.N; p++) for (let i = 0; i < n; i++) {
    value[p] += J[p * n * n + i * n + i];
    error[p] += E[p * n * n + i * n + i];
  }
  return estimate({ value, error }, base.batched, base.N, []);
}

/**
 * The curl of a 2-D field (∂f1/∂x0 − ∂f0/∂x1) or 3-D field (a vector of 3); batched with a leading N.
 * @param f the function: of a point (a Float64Array, reused between calls), or of a batch Tensor [P, n] with `vectorized: true`
 * @param x the point (n numbers), or a batch Tensor [N, n]
 * @param options `scheme`, `step`, `richardson`, `bounds`, `vectorized` (see FdOptions)
 * @example
 * ```ts
 * import { fd } from "gradients";
 * const { value } = fd.curl((x) => [-x[1], x[0]], [1, 2]); // 2
 * ```
 */
export function curl(f: BatchCallback, x: TensorLike, options: VectorizedOptions): Estimate<Tensor>;
export function curl(f: Callback, x: ArrayLike<number>, options?: FdOptions): Estimate<number | Float64Array>;
export function curl(f: Callback, x: TensorLike, options?: FdOptions): Estimate<Tensor>;
export function curl(f: Callback | BatchCallback, x: ArrayLike<number> | TensorLike, options?: FdOptions): Estimate<number | Float64Array | Tensor>;
export function curl(f: Callback | BatchCallback, x: ArrayLike<number> | TensorLike, options: FdOptions = {}): Estimate<number | Float64Array | Tensor> {
  const { base, J, E, n } = fieldJacobian(f, x, options, "curl", [2, 3]);
  const terms = n === 2 ? [[1, 0, 0, 1]] : [[2, 1, 1, 2], [0, 2, 2, 0], [1, 0, 0, 1]]; // ∂f_a/∂x_b − ∂f_c/∂x_d
  const k = terms.length, value = new Float64Array(base.N * k), error = new Float64Array(base.N * k);
  for (let p = 0; p < base.N; p++) {
    terms.forEach(([a, b, c, d], t) => {
      value[p * k + t] = J[p * n * n + a * n + b] - J[p * n * n + c * n + d];
      error[p * k + t] = E[p * n * n + a * n + b] + E[p * n * n + c * n + d];
    });
  }
  return estimate({ value, error }, base.batched, base.N, n === 2 ? [] : [3]);
}

/**
 * The Hessian [n, n] of a function returning a number, from second differences
 * (step ε^(1/4)·max(|x_i|, 1)); 1 + 2n² calls per point (more with Richardson).
 * Batched: [N, n, n].
 * @param f the function: of a point (a Float64Array, reused between calls), or of a batch Tensor [P, n] with `vectorized: true`
 * @param x the point (n numbers), or a batch Tensor [N, n]
 * @param options `step`, `richardson`, `vectorized` (see FdOptions); `scheme` only as "central", and no `bounds`
 * @example
 * ```ts
 * import { fd } from "gradients";
 * const { value } = fd.hessian((x) => x[0] ** 2 * x[1], [1, 2]); // Tensor [2, 2]: [[4, 2], [2, 0]]
 * ```
 */
export function hessian(f: BatchCallback, x: TensorLike, options: VectorizedOptions): Estimate<Tensor>;
export function hessian(f: Callback, x: ArrayLike<number> | TensorLike, options?: FdOptions): Estimate<Tensor>;
export function hessian(f: Callback | BatchCallback, x: ArrayLike<number> | TensorLike, options?: FdOptions): Estimate<Tensor>;
export function hessian(f: Callback | BatchCallback, x: ArrayLike<number> | TensorLike, options: FdOptions = {}): Estimate<Tensor> {
  const base = readBase(x), plan = readOptions(options, base.n, "fd.hessian");
  if (plan.bounds) throw new InputError("hessian does not take bounds: second differences need room on both sides");
  if (options.scheme !== undefined && options.scheme !== "central") {
    throw new InputError(`hessian takes only central second differences, got scheme ${show(options.scheme)}: leave scheme out or pass "central"`);
  }
  const { N, n, data: X } = base, levels = plan.levels;
  const caller = new Caller(f);
  const perLevel = 1 + 2 * n + 2 * n * (n - 1);
  const value = new Float64Array(N * n * n), error = new Float64Array(N * n * n);
  const point = new Float64Array(n), axes = Array.from({ length: n }, (_, i) => i);
  for (let p = 0; p < N; p++) {
    const x = X.subarray(p * n, (p + 1) * n);
    const scale = x.map((v) => Math.max(Math.abs(v), 1));
    const steps = new Float64Array(n).fill(NaN);
    if (plan.step !== undefined) for (let i = 0; i < n; i++) steps[i] = typeof plan.step === "number" ? plan.step : plan.step[i];
    const hs = withMemory(32 * n + 16, "the finite-difference plan", (at) => {
      f64().set(x, at >> 3);
      f64().set(scale, (at >> 3) + n);
      f64().set(steps, (at >> 3) + 2 * n);
      core().fdHessianPlan(n, at, at + 8 * n, at + 16 * n, levels, at + 24 * n);
      return Float64Array.from(f64().subarray((at >> 3) + 3 * n, (at >> 3) + 4 * n));
    });
    if (plan.step !== undefined) refuseVanishingSteps(x, hs, axes, (q) => pointPrefix(plan, base.batched, q), p);
    // The points, level by level, in the order fdHessianCombine reads them; f(x) once.
    const moves: (readonly [number, number])[][] = [[]];
    for (let r = 0; r < levels; r++) {
      const h = hs.map((v) => v / (1 << r));
      for (let i = 0; i < n; i++) moves.push([[i, h[i]]], [[i, -h[i]]]);
      for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) {
        for (const [si, sj] of [[1, 1], [1, -1], [-1, 1], [-1, -1]]) moves.push([[i, si * h[i]], [j, sj * h[j]]]);
      }
    }
    const results = new Float64Array(moves.length);
    const at = (q: number) => { point.set(x); for (const [i, t] of moves[q]) point[i] = x[i] + t; };
    if (plan.vectorized) {
      const batch = new Float64Array(moves.length * n);
      moves.forEach((_, q) => { at(q); batch.set(point, q * n); });
      const values = caller.many(batch, moves.length, n);
      if (caller.scalar) results.set(values);
    } else {
      moves.forEach((_, q) => { at(q); results[q] = caller.one(point)[0]; });
    }
    if (!caller.scalar) throw new ShapeError(`hessian needs a function returning a number; this one returned ${caller.m} values`);
    const samples = new Float64Array(levels * perLevel);
    for (let r = 0; r < levels; r++) {
      samples[r * perLevel] = results[0];
      samples.set(results.subarray(1 + r * (perLevel - 1), 1 + (r + 1) * (perLevel - 1)), r * perLevel + 1);
    }
    withMemory(8 * (samples.length + 2 * n * n + 2 * n + 3 * levels + 8), "the second differences", (at) => {
      const hAt = at + 8 * samples.length, scaleAt = hAt + 8 * n, outAt = scaleAt + 8 * n, errAt = outAt + 8 * n * n;
      const tableAt = errAt + 8 * n * n;
      f64().set(samples, at >> 3);
      f64().set(hs, hAt >> 3);
      f64().set(scale, scaleAt >> 3);
      core().fdHessianCombine(n, at, hAt, scaleAt, levels, outAt, errAt, tableAt);
      value.set(f64().subarray(outAt >> 3, (outAt >> 3) + n * n), p * n * n);
      error.set(f64().subarray(errAt >> 3, (errAt >> 3) + n * n), p * n * n);
    });
  }
  const shape = [...(base.batched ? [N] : []), n, n];
  return { value: new Tensor(shape, value), error: new Tensor(shape, error) };
}
