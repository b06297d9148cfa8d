// Finite differences of black-box JavaScript functions. The core (assembly/extras/fd.ts)
// plans the steps and stencils and combines the samples into derivatives and
// error estimates; here we only call the user's function at the planned points.
import { checkOptions } from "../api/validate.js";
import { CallbackError, InputError, ShapeError, show } from "../base/errors.js";
import { core, f64, i32, withMemory } from "../runtime/loader.js";
import { Tensor, type TensorLike } from "../base/tensor.js";

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

/** A finite-difference result and its error estimate, of the same shape. */
export interface Estimate<T> {
  value: T;
  error: T;
}

const SCHEMES = { central: 0, forward: 1, backward: 2, "five-point": 3 } as const;

/** Stencil offsets per scheme, read once from the core (its table is the only one). */
let offsetTable: number[][] | undefined;
function offsets(scheme: number): number[] {
  offsetTable ??= [0, 1, 2, 3].map((s) => Array.from({ length: core().stencilSize(s) }, (_, k) => core().stencilOffset(s, k)));
  return offsetTable[scheme];
}

interface Plan {
  scheme: number;
  levels: number;
  step?: number | ArrayLike<number>;
  bounds?: readonly (readonly [number, number])[];
  vectorized: boolean;
}

function readOptions(options: FdOptions, n: number): Plan {
  checkOptions(options);
  const scheme = options.scheme ?? "central";
  if (typeof scheme !== "string" || !Object.hasOwn(SCHEMES, scheme)) throw new InputError(`scheme must be "central", "forward", "backward" or "five-point", got ${show(scheme)}`);
  const richardson = options.richardson ?? 0;
  if (!Number.isInteger(richardson) || richardson < 0 || richardson > 8) throw new InputError(`richardson must be a whole number from 0 to 8, got ${show(richardson)}`);
  const step = options.step;
  if (step !== undefined && typeof step !== "number" && !Array.isArray(step) && !ArrayBuffer.isView(step)) {
    throw new InputError(`step must be a number or one number per variable, got ${show(step)}`);
  }
  if (step !== undefined) {
    const steps = typeof step === "number" ? [step] : Array.from(step);
    if (typeof step !== "number" && steps.length !== n) throw new ShapeError(`step needs one entry per variable (${n}), got ${steps.length}`);
    for (const h of steps) if (typeof h !== "number" || !Number.isFinite(h) || h <= 0) throw new InputError(`steps must be finite numbers > 0, got ${show(h)}`);
  }
  const bounds = options.bounds;
  if (bounds !== undefined) {
    if (!Array.isArray(bounds) || bounds.length !== n) throw new ShapeError(`bounds needs one [lower, upper] pair per variable (${n})`);
    bounds.forEach((b, i) => {
      if (!Array.isArray(b) || b.length !== 2 || typeof b[0] !== "number" || typeof b[1] !== "number" || !(b[0] < b[1])) {
        throw new InputError(`bounds[${i}] must be [lower, upper] with lower < upper, got ${show(b)}`);
      }
    });
  }
  return { scheme: SCHEMES[scheme], levels: richardson + 1, step, bounds, vectorized: options.vectorized === true };
}

/** Base points: one point (an array of n numbers) or a batch (a Tensor [N, n]). */
function readBase(x: unknown): { data: Float64Array; N: number; n: number; batched: boolean } {
  if (typeof x === "object" && x !== null && !ArrayBuffer.isView(x) && !Array.isArray(x) && Array.isArray((x as TensorLike).shape)) {
    const t = x as TensorLike;
    if (t.shape.length !== 2 || !t.shape.every((s) => Number.isSafeInteger(s) && s >= 0)) {
      throw new ShapeError(`a batch of points must have shape [N, n] of whole numbers, got ${show(t.shape)}`);
    }
    const [N, n] = t.shape;
    if (n === 0) throw new ShapeError("the points have no variables");
    if (t.data?.length !== N * n) throw new ShapeError(`a batch of shape [${N}, ${n}] needs ${N * n} numbers, got ${show(t.data)}`);
    return { data: numbers(t.data, "point"), N, n, batched: true };
  }
  if (Array.isArray(x) || (ArrayBuffer.isView(x) && !(x instanceof DataView))) {
    const data = numbers(x as ArrayLike<unknown>, "point");
    if (data.length === 0) throw new ShapeError("the point has no variables");
    return { data, N: 1, n: data.length, batched: false };
  }
  throw new InputError(`the point must be an array of numbers or a batch Tensor [N, n], got ${show(x)}`);
}

function numbers(values: ArrayLike<unknown>, what: string): Float64Array {
  if (values instanceof Float64Array) return values;
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    if (typeof values[i] !== "number") throw new InputError(`${what}: entry ${i} is ${show(values[i])}; expected a number`);
    out[i] = values[i] as number;
  }
  return out;
}

/** Calls the user's function and checks what comes back; the first call fixes the output size m. */
class Caller {
  m = -1;
  /** Whether the function returns a number (not an array). */
  scalar = true;
  calls = 0;
  private result = new Float64Array(0);

  constructor(private readonly f: Callback | BatchCallback) {
    if (typeof f !== "function") throw new InputError("the first argument must be the function to differentiate");
  }

  /** f(x): its m values (a view reused by the next call). */
  one(x: Float64Array): Float64Array {
    return this.accept(this.invoke(x), 1);
  }

  /** f over P points at once (vectorized): P·m values, point-major. */
  many(points: Float64Array, P: number, n: number): Float64Array {
    const r = this.invoke(new Tensor([P, n], points));
    const data = r !== null && typeof r === "object" && "shape" in r && "data" in r ? (r as TensorLike).data : r;
    return this.accept(data, P);
  }

  private invoke(arg: Float64Array | Tensor): unknown {
    const call = ++this.calls;
    try {
      return (this.f as (a: unknown) => unknown)(arg);
    } catch (error) {
      throw new CallbackError(`the function threw at call ${call}: ${error instanceof Error ? error.message : String(error)}`, error);
    }
  }

  /** Checks one call's result (P points' worth) against what came before; its values. */
  accept(r: unknown, P = 1): Float64Array {
    const call = this.calls;
    const isNumber = typeof r === "number";
    if (!isNumber && (r === null || typeof r !== "object" || typeof (r as ArrayLike<number>).length !== "number")) {
      throw new CallbackError(`the function returned ${r === null ? "null" : typeof r} at call ${call}; expected ${P === 1 ? "a number or an array of numbers" : `${P} values (or ${P}·m)`}`);
    }
    const a: ArrayLike<unknown> = isNumber ? [r] : (r as ArrayLike<unknown>);
    if (a.length === 0 || a.length % P !== 0) throw new CallbackError(`the function returned ${a.length} values at call ${call} for ${P} point${P > 1 ? "s" : ""}`);
    const m = a.length / P, scalar = P === 1 ? isNumber : this.m === -1 ? m === 1 : this.scalar;
    if (this.m === -1) {
      this.m = m;
      this.scalar = scalar;
    } else if (m !== this.m || scalar !== this.scalar) {
      throw new CallbackError(`the function returned ${scalar ? "a number" : `${m} values`} at call ${call}, but ${this.scalar ? "a number" : `${this.m} values`} before`);
    }
    if (this.result.length !== a.length) this.result = new Float64Array(a.length);
    for (let k = 0; k < a.length; k++) {
      const v = a[k];
      if (typeof v !== "number") throw new CallbackError(`the function returned a non-number (${typeof v}) at entry ${k}, call ${call}`);
      this.result[k] = v;
    }
    return this.result;
  }
}

/**
 * The common case's hot loop (f returns a number; every line a coordinate axis
 * with a two-point stencil that skips the center; no Richardson levels): for
 * points [from, N), f at x ± along each axis into the samples. Kept small and
 * free of bookkeeping so that the engine inlines the user's function here, as
 * into a hand-written loop.
 */
function sampleAxesTwoPoint(f: (x: Float64Array) => unknown, caller: Caller, X: Float64Array, n: number, from: number, N: number,
                            axes: readonly number[], schemes: Int32Array, hs: Float64Array, values: Float64Array, S: number): void {
  const point = new Float64Array(n), L = axes.length;
  for (let p = from; p < N; p++) {
    point.set(X.subarray(p * n, (p + 1) * n));
    for (let l = 0; l < L; l++) {
      const k = p * L + l, i = axes[l], xi = point[i], offs = offsets(schemes[k]), h = hs[k];
      point[i] = xi + offs[0] * h;
      caller.calls++;
      const ya = f(point);
      if (typeof ya !== "number") caller.accept(ya); // throws the CallbackError saying what came back
      point[i] = xi + offs[1] * h;
      caller.calls++;
      const yb = f(point);
      if (typeof yb !== "number") caller.accept(yb);
      point[i] = xi;
      values[k * S] = ya as number;
      values[k * S + 1] = yb as number;
    }
  }
}

/** Refuses a base point outside the bounds (the function may be undefined there). */
function checkInside(X: Float64Array, N: number, n: number, bounds: readonly (readonly [number, number])[]): void {
  for (let p = 0; p < N; p++) {
    for (let i = 0; i < n; i++) {
      const x = X[p * n + i], [lo, hi] = bounds[i];
      if (!(x >= lo && x <= hi)) {
        throw new InputError(`${N > 1 ? `point ${p}: ` : ""}x[${i}] = ${x} is outside its bounds [${lo}, ${hi}]`);
      }
    }
  }
}

/** Per axis line k = p·L + l (axis i = axes[l]): its coordinate, scale max(|x_i|, 1), given step and bounds. */
function axisGeometry(X: Float64Array, N: number, n: number, axes: readonly number[], plan: Plan,
                      xs: Float64Array, scale: Float64Array, step: Float64Array, lo: Float64Array, hi: Float64Array): void {
  const L = axes.length;
  for (let p = 0, k = 0; p < N; p++) {
    for (let l = 0; l < L; l++, k++) {
      const xi = X[p * n + axes[l]];
      xs[k] = xi;
      scale[k] = Math.max(Math.abs(xi), 1);
    }
  }
  // Per-axis settings, the same at every point.
  const given = plan.step, bounds = plan.bounds;
  if (given === undefined && !bounds) return;
  for (let l = 0; l < L; l++) {
    const i = axes[l], h = given === undefined ? NaN : typeof given === "number" ? given : given[i];
    for (let k = l; k < N * L; k += L) {
      if (given !== undefined) step[k] = h;
      if (bounds) [lo[k], hi[k]] = bounds[i];
    }
  }
}

/** A line of differentiation: a coordinate axis, or a direction vector (shared, or one per point). */
type Lines = { axes: readonly number[] } | { direction: Float64Array; perPoint: boolean };

/** Samples: per line, `levels` × S slots (the requested stencil's size) of m values, filled as results arrive. */
class Samples {
  values = new Float64Array(0);
  constructor(private readonly slots: number) {}
  /** Allocates the values once the output size m is known. */
  ready(m: number): void {
    if (this.values.length === 0) this.values = new Float64Array(this.slots * m);
  }
  put(slot: number, v: Float64Array, m: number, from = 0): void {
    this.ready(m);
    for (let o = 0; o < m; o++) this.values[slot * m + o] = v[from + o];
  }
}

/**
 * Derivatives along `lines` at N base points: value/error[(p·L + ℓ)·m + o]. The
 * core plans the steps, the user's function is sampled, the core combines. The
 * function may itself call the library: scratch memory is per call and views of
 * WebAssembly memory are re-read after it runs.
 */
function differentiate(f: Callback | BatchCallback, base: ReturnType<typeof readBase>, lines: Lines, plan: Plan,
                       jacobianOrder = false) {
  const { N, n, data: X } = base;
  if (plan.bounds) checkInside(X, N, n, plan.bounds);
  const caller = new Caller(f);
  const axisLines = "axes" in lines;
  const L = axisLines ? lines.axes.length : 1, NL = N * L, levels = plan.levels;
  const directionAt = (p: number) => (lines as { direction: Float64Array; perPoint: boolean }).perPoint
    ? (lines as { direction: Float64Array }).direction.subarray(p * n, (p + 1) * n) : (lines as { direction: Float64Array }).direction;

  // Per line: its coordinate (0 along a direction), scale, step and bounds along it.
  // Rows for given steps and for bounds only when there are any (the core's plan takes their absence as 0).
  const stepRow = plan.step === undefined ? -1 : 2, boundRow = plan.bounds ? 2 + +(stepRow > 0) : -1;
  const rows = 2 + +(stepRow > 0) + 2 * +(boundRow > 0), geometry = new Float64Array(rows * NL);
  const rowOf = (r: number) => (r < 0 ? new Float64Array(0) : geometry.subarray(r * NL, (r + 1) * NL));
  const xs = rowOf(0), scale = rowOf(1), step = rowOf(stepRow), lo = rowOf(boundRow), hi = rowOf(boundRow < 0 ? -1 : boundRow + 1);
  lo.fill(-Infinity);
  hi.fill(Infinity);
  if (axisLines) axisGeometry(X, N, n, lines.axes, plan, xs, scale, step, lo, hi);
  else {
    for (let p = 0; p < N; p++) {
      const k = p, v = directionAt(p);
      let reach = 1, vmax = 0;
      for (let i = 0; i < n; i++) {
        if (v[i] === 0) continue;
        const xi = X[p * n + i];
        reach = Math.max(reach, Math.abs(xi));
        vmax = Math.max(vmax, Math.abs(v[i]));
        if (plan.bounds) { // lower_i ≤ x_i + t·v_i ≤ upper_i
          const t1 = (plan.bounds[i][0] - xi) / v[i], t2 = (plan.bounds[i][1] - xi) / v[i];
          lo[k] = Math.max(lo[k], Math.min(t1, t2));
          hi[k] = Math.min(hi[k], Math.max(t1, t2));
        }
      }
      // (a subnormal direction would make the scale ∞, and t·0 NaN for the coordinates it leaves)
      scale[k] = vmax > 0 ? Math.min(reach / vmax, Number.MAX_VALUE) : 1;
      if (typeof plan.step === "number") step[k] = plan.step;
      else if (plan.step !== undefined) throw new InputError("a directional derivative takes one step (a number), not one per variable");
    }
  }

  // The core's plan: scheme and step of every line.
  const planned = withMemory(8 * (rows + 2) * NL + 16, "the finite-difference plan", (at) => {
    f64().set(geometry, at >> 3);
    const rowAt = (r: number) => (r < 0 ? 0 : at + 8 * r * NL), hAt = rowAt(rows), schemeAt = rowAt(rows + 1);
    core().fdPlan(NL, at, rowAt(1), rowAt(stepRow), rowAt(boundRow), boundRow < 0 ? 0 : rowAt(boundRow + 1), plan.scheme, levels, schemeAt, hAt);
    return { schemes: Int32Array.from(i32().subarray(schemeAt >> 2, (schemeAt >> 2) + NL)), hs: Float64Array.from(f64().subarray(hAt >> 3, (hAt >> 3) + NL)) };
  });

  // Sample the function at the planned points.
  const S = core().stencilSize(plan.scheme), samples = new Samples(NL * levels * S);
  const slotOf = (k: number, r: number, s: number) => (k * levels + r) * S + s;
  const point = new Float64Array(n);
  // Along a direction, t's bounds come from the variables' (above), and rounding of x + t·v
  // may carry a coordinate one ulp past its bound: those are clamped (axis lines' steps are
  // fitted by the core's plan so that no sample crosses).
  const bounds = plan.bounds;
  const along = (x: Float64Array, v: Float64Array, t: number) => {
    for (let i = 0; i < n; i++) point[i] = bounds ? Math.min(Math.max(x[i] + t * v[i], bounds[i][0]), bounds[i][1]) : x[i] + t * v[i];
  };
  const move = (x: Float64Array, l: number, p: number, t: number) => {
    if (axisLines) point[lines.axes[l]] = x[lines.axes[l]] + t;
    else along(x, directionAt(p), t);
  };
  if (!plan.vectorized) {
    // The hot loop: one call of the user's function per sample. The first call
    // goes through `caller` (it learns what the function returns); after that a
    // function returning numbers is called directly, inside one try for them all.
    const direct = f as (x: Float64Array) => unknown;
    // Once the first point has shown that f returns a number, the common case runs in its own loop.
    const twoPoint = axisLines && levels === 1 && planned.schemes.every((sc) => offsets(sc).length === 2 && !offsets(sc).includes(0));
    try {
      let p = 0;
      for (; p < N; p++) {
        if (p > 0 && twoPoint && caller.scalar && caller.m === 1) break;
        const x = X.subarray(p * n, (p + 1) * n);
        const v = axisLines ? undefined : directionAt(p);
        point.set(x);
        let center: Float64Array | undefined; // f(x), called once if a one-sided stencil needs it
        for (let l = 0; l < L; l++) {
          const k = p * L + l, offs = offsets(planned.schemes[k]), h = planned.hs[k];
          const axis = axisLines ? lines.axes[l] : -1, xi = axis >= 0 ? x[axis] : 0;
          for (let r = 0; r < levels; r++) {
            const hr = h / (1 << r);
            for (let s = 0; s < offs.length; s++) {
              const slot = (k * levels + r) * S + s;
              if (offs[s] === 0) {
                center ??= caller.one(point).slice();
                samples.put(slot, center, caller.m);
                continue;
              }
              const t = offs[s] * hr;
              if (axis >= 0) point[axis] = xi + t;
              else along(x, v!, t);
              if (caller.scalar && caller.m === 1) {
                caller.calls++;
                const y = direct(point);
                if (typeof y !== "number") caller.accept(y); // throws the CallbackError saying what came back
                samples.values[slot] = y as number;
              } else {
                samples.put(slot, caller.one(point), caller.m);
              }
              if (axis >= 0) point[axis] = xi;
              else point.set(x);
            }
          }
        }
      }
      if (p < N) sampleAxesTwoPoint(direct, caller, X, n, p, N, (lines as { axes: readonly number[] }).axes, planned.schemes, planned.hs, samples.values, S);
    } catch (error) {
      if (error instanceof CallbackError) throw error;
      throw new CallbackError(`the function threw at call ${caller.calls}: ${error instanceof Error ? error.message : String(error)}`, error);
    }
  } else {
    // Every point of every line in one batch per chunk of base points.
    const slots: number[] = [];
    const points: number[] = [];
    const flush = () => {
      if (slots.length === 0) return;
      const P = slots.length, res = caller.many(Float64Array.from(points), P, n), m = caller.m;
      for (let q = 0; q < P; q++) samples.put(slots[q], res, m, q * m);
      slots.length = points.length = 0;
    };
    for (let p = 0; p < N; p++) {
      const x = X.subarray(p * n, (p + 1) * n);
      for (let l = 0; l < L; l++) {
        const k = p * L + l, offs = offsets(planned.schemes[k]);
        for (let r = 0; r < levels; r++) {
          const hr = planned.hs[k] / (1 << r);
          for (let s = 0; s < offs.length; s++) {
            point.set(x);
            if (offs[s] !== 0) move(x, l, p, offs[s] * hr);
            slots.push(slotOf(k, r, s));
            for (let i = 0; i < n; i++) points.push(point[i]);
          }
        }
      }
      if (points.length >= 1 << 19) flush();
    }
    flush();
  }

  // The core combines the samples into derivatives and error estimates.
  const m = caller.m, values = samples.values;
  return withMemory(8 * (values.length + 2 * NL * m + 2 * NL + 3 * levels + 8) + 4 * NL + 16, "the finite differences", (at) => {
    const valuesAt = at, outAt = valuesAt + 8 * values.length, errAt = outAt + 8 * NL * m;
    const hAt = errAt + 8 * NL * m, scaleAt = hAt + 8 * NL, tableAt = scaleAt + 8 * NL;
    const schemeAt = tableAt + 8 * (3 * levels + 8);
    f64().set(values, valuesAt >> 3);
    f64().set(planned.hs, hAt >> 3);
    f64().set(scale, scaleAt >> 3);
    i32().set(planned.schemes, schemeAt >> 2);
    core().fdCombine(NL, m, valuesAt, S, schemeAt, hAt, scaleAt, levels, outAt, errAt, tableAt, jacobianOrder ? L : 0);
    return {
      value: Float64Array.from(f64().subarray(outAt >> 3, (outAt >> 3) + NL * m)),
      error: Float64Array.from(f64().subarray(errAt >> 3, (errAt >> 3) + NL * m)),
      m,
      scalar: caller.scalar,
    };
  });
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
 */
export function derivative(f: (x: number) => number, x: number | TensorLike, options: FdOptions = {}): Estimate<number | Tensor> {
  if (typeof f !== "function") throw new InputError("the first argument must be the function to differentiate");
  checkOptions(options);
  const batched = typeof x !== "number";
  if (batched && (x === null || typeof x !== "object" || !Array.isArray((x as TensorLike).shape) || (x as TensorLike).shape.length !== 1)) {
    throw new InputError("derivative takes a number, or a batch Tensor of shape [N]");
  }
  if (batched && (x as TensorLike).data?.length !== (x as TensorLike).shape[0]) {
    throw new ShapeError(`a batch of shape [${show((x as TensorLike).shape[0])}] needs as many numbers, got ${show((x as TensorLike).data)}`);
  }
  const data = batched ? numbers((x as TensorLike).data, "point") : Float64Array.of(x as number);
  const base = { data, N: data.length, n: 1, batched };
  const g: Callback = (p) => f(p[0]);
  const r = differentiate(options.vectorized ? (f as unknown as BatchCallback) : g, base, { axes: [0] }, readOptions(options, 1));
  if (!r.scalar) throw new CallbackError("derivative's function must return a number");
  return estimate(r, batched, base.N, []);
}

/**
 * ∂f/∂x_i at x (an array of n numbers, or a batch Tensor [N, n]), f returning a
 * number or an array: shaped like f's result.
 */
export function partial(f: Callback | BatchCallback, x: ArrayLike<number> | TensorLike, variable: number, options: FdOptions = {}): Estimate<number | Float64Array | Tensor> {
  const base = readBase(x);
  if (!Number.isInteger(variable) || variable < 0 || variable >= base.n) {
    throw new InputError(`variable must be a whole number from 0 to ${base.n - 1}, got ${show(variable)}`);
  }
  const r = differentiate(f, base, { axes: [variable] }, readOptions(options, base.n));
  return estimate(r, base.batched, base.N, outShape(r));
}

/** ∇f of a function returning a number, at x (n numbers, or a batch Tensor [N, n]): Float64Array(n) or Tensor [N, n]. */
export function grad(f: Callback | BatchCallback, x: ArrayLike<number> | TensorLike, options: FdOptions = {}): Estimate<Float64Array | Tensor> {
  const base = readBase(x);
  const r = differentiate(f, base, { axes: Array.from({ length: base.n }, (_, i) => i) }, readOptions(options, base.n));
  if (!r.scalar) throw new ShapeError(`grad needs a function returning a number; this one returned ${r.m} values (use jacobian)`);
  return estimate(r, base.batched, base.N, [base.n]);
}

/** J(x)·v along v (not normalized), shaped like f's result; v has n entries or is a batch [N, n] like x. */
export function directional(f: Callback | BatchCallback, x: ArrayLike<number> | TensorLike, v: ArrayLike<number> | TensorLike,
                            options: FdOptions = {}): Estimate<number | Float64Array | Tensor> {
  const base = readBase(x), dir = readBase(v);
  if (dir.n !== base.n) throw new ShapeError(`the direction needs ${base.n} entries, got ${dir.n}`);
  if (dir.batched && (!base.batched || dir.N !== base.N)) throw new ShapeError(`a batch of ${dir.N} directions needs a batch of as many points`);
  const r = differentiate(f, base, { direction: dir.data, perPoint: dir.batched }, readOptions(options, base.n));
  return estimate(r, base.batched, base.N, outShape(r));
}

/** The Jacobian [m, n] (J[i·n + j] = ∂f_i/∂x_j; [n] for a function returning a number), batched [N, m, n]. */
export function jacobian(f: Callback | BatchCallback, x: ArrayLike<number> | TensorLike, options: FdOptions = {}): Estimate<Tensor> {
  const base = readBase(x);
  const r = differentiate(f, base, { axes: Array.from({ length: base.n }, (_, i) => i) }, readOptions(options, base.n), true);
  const shape = [...outShape(r), base.n];
  const lead = base.batched ? [base.N] : [];
  return { value: new Tensor([...lead, ...shape], r.value), error: new Tensor([...lead, ...shape], r.error) };
}

/** Jacobians of a field ℝⁿ → ℝⁿ (n ∈ sizes), as [N?, n, n] data with errors. */
function fieldJacobian(f: Callback | BatchCallback, x: ArrayLike<number> | TensorLike, options: FdOptions, what: string, sizes: readonly number[]) {
  const base = readBase(x);
  if (!sizes.includes(base.n)) throw new ShapeError(`${what} is defined for ${sizes.length === 2 ? "2-D and 3-D fields" : "fields ℝⁿ → ℝⁿ"}; the point has ${base.n} entries`);
  const r = differentiate(f, base, { axes: Array.from({ length: base.n }, (_, i) => i) }, readOptions(options, base.n), true);
  if (r.scalar || r.m !== base.n) throw new ShapeError(`${what} needs a field with as many outputs as inputs (${base.n}); the function returned ${r.scalar ? "a number" : `${r.m} values`}`);
  return { base, J: r.value, E: r.error, n: base.n };
}

/** ∇·f = Σ ∂f_i/∂x_i of a field ℝⁿ → ℝⁿ: a number, or a Tensor [N]; the error sums the entries' errors. */
export function divergence(f: Callback | BatchCallback, x: ArrayLike<number> | TensorLike, options: FdOptions = {}): Estimate<number | Tensor> {
  const { base, J, E, n } = fieldJacobian(f, x, options, "divergence", Array.from({ length: 64 }, (_, i) => i + 1));
  const value = new Float64Array(base.N), error = new Float64Array(base.N);
  for (let p = 0; p < base.N; p++) for (let i = 0; i < n; i++) {
    value[p] += J[p * n * n + i * n + i];
    error[p] += E[p * n * n + i * n + i];
  }
  return estimate({ value, error }, base.batched, base.N, []);
}

/** The curl of a 2-D field (∂f1/∂x0 − ∂f0/∂x1) or 3-D field (a vector of 3); batched with a leading N. */
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
 */
export function hessian(f: Callback | BatchCallback, x: ArrayLike<number> | TensorLike, options: FdOptions = {}): Estimate<Tensor> {
  const base = readBase(x), plan = readOptions(options, base.n);
  if (plan.bounds) throw new InputError("hessian does not take bounds: second differences need room on both sides");
  const { N, n, data: X } = base, levels = plan.levels;
  const caller = new Caller(f);
  const perLevel = 1 + 2 * n + 2 * n * (n - 1);
  const value = new Float64Array(N * n * n), error = new Float64Array(N * n * n);
  const point = new Float64Array(n);
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
