// The finite-difference plan from a caller's options and points: the scheme,
// Richardson levels, steps and bounds, the base points, and per line of
// differentiation its coordinate, scale, step and bounds. The core
// (assembly/extras/fd.ts) turns these into steps and stencils.
import { checkOptions, toF64 } from "../api/validate.js";
import { InputError, ShapeError, show } from "../base/errors.js";
import { nextToward } from "../base/doubles.js";
import type { TensorLike } from "../base/tensor.js";
import { core } from "../runtime/loader.js";
import type { FdOptions } from "./fd.js";

const SCHEMES = { central: 0, forward: 1, backward: 2, "five-point": 3 } as const;

/** Stencil offsets per scheme, read once from the core (its table is the only one). */
let offsetTable: number[][] | undefined;
export function offsets(scheme: number): number[] {
  offsetTable ??= [0, 1, 2, 3].map((s) => Array.from({ length: core().stencilSize(s) }, (_, k) => core().stencilOffset(s, k)));
  return offsetTable[scheme];
}

export interface Plan {
  scheme: number;
  levels: number;
  step?: number | ArrayLike<number>;
  bounds?: readonly (readonly [number, number])[];
  vectorized: boolean;
  /** The index in the caller's batch of this call's first point (FIRST_POINT; 0 but for a chunk of an async call). */
  firstPoint: number;
}

/**
 * The options key by which fd's async forms say where a chunk's points start in
 * the caller's batch, so that errors name points as the caller counts them. A
 * symbol: no caller can pass it by accident, and option checks do not see it.
 */
export const FIRST_POINT = Symbol("first point of the chunk");

/** How errors name point p of a call ("point 3: "): a batch's point as the caller counts it; nothing for one point. */
export function pointPrefix(plan: Plan, batched: boolean, p: number): string {
  return batched ? `point ${plan.firstPoint + p}: ` : "";
}

/** The options of every fd function. */
const FD_KEYS = ["scheme", "step", "richardson", "bounds", "vectorized"];

export function readOptions(options: FdOptions, n: number, where: string): Plan {
  checkOptions(options, FD_KEYS, where);
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
  const firstPoint = (options as { [FIRST_POINT]?: number })[FIRST_POINT] ?? 0;
  return { scheme: SCHEMES[scheme], levels: richardson + 1, step, bounds, vectorized: options.vectorized === true, firstPoint };
}

/**
 * The points as numbers of the library's own: the caller's array may be one the
 * callback itself writes (its own state), or a view of WebAssembly memory (a
 * WasmBuffer's data) that the library's allocations, or the callback's, would
 * detach (unshared memory) while the differences are taken.
 */
export function ownCopy(values: ArrayLike<unknown>): Float64Array {
  const data = toF64(values, "point");
  return data === values ? data.slice() : data;
}

/** Base points: one point (an array of n numbers) or a batch (a Tensor [N, n]). */
export function readBase(x: unknown): { data: Float64Array; N: number; n: number; batched: boolean } {
  if (typeof x === "object" && x !== null && !ArrayBuffer.isView(x) && !Array.isArray(x) && Array.isArray((x as TensorLike).shape)) {
    const t = x as TensorLike;
    if (t.shape.length !== 2 || !t.shape.every((s) => Number.isSafeInteger(s) && s >= 0)) {
      throw new ShapeError(`a batch of points must have shape [N, n] of whole numbers, got ${show(t.shape)}`);
    }
    const [N, n] = t.shape;
    if (n === 0) throw new ShapeError("the points have no variables");
    if (t.data?.length !== N * n) throw new ShapeError(`a batch of shape [${N}, ${n}] needs ${N * n} numbers, got ${show(t.data)}`);
    return { data: ownCopy(t.data), N, n, batched: true };
  }
  if (Array.isArray(x) || (ArrayBuffer.isView(x) && !(x instanceof DataView))) {
    const data = ownCopy(x as ArrayLike<unknown>);
    if (data.length === 0) throw new ShapeError("the point has no variables");
    return { data, N: 1, n: data.length, batched: false };
  }
  throw new InputError(`the point must be an array of numbers or a batch Tensor [N, n], got ${show(x)}`);
}

/** Refuses a base point outside the plan's bounds (the function may be undefined there). */
export function checkInside(base: ReturnType<typeof readBase>, plan: Plan): void {
  const { data: X, N, n } = base, bounds = plan.bounds;
  if (!bounds) return;
  for (let p = 0; p < N; p++) {
    for (let i = 0; i < n; i++) {
      const x = X[p * n + i], [lo, hi] = bounds[i];
      if (!(x >= lo && x <= hi)) {
        throw new InputError(`${pointPrefix(plan, base.batched, p)}x[${i}] = ${x} is outside its bounds [${lo}, ${hi}]`);
      }
    }
  }
}

/** Per axis line k = p·L + l (axis i = axes[l]): its coordinate, scale max(|x_i|, 1), given step and bounds. */
export function axisGeometry(X: Float64Array, N: number, n: number, axes: readonly number[], plan: Plan,
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
export type Lines = { axes: readonly number[] } | { direction: Float64Array; perPoint: boolean };

/** How far apart doubles are at x, away from 0 (toward 0 at ±MAX_VALUE, where the next one up is ∞). */
function spacingAt(x: number): number {
  const away = Math.abs(nextToward(x, x < 0 ? -Infinity : Infinity) - x);
  return Number.isFinite(away) ? away : Math.abs(x - nextToward(x, 0));
}

/**
 * A given step too small to move x (below half the spacing of doubles there, as
 * 0.5 at x = 1e300) samples f at x alone: its differences are 0 whatever f is.
 * That is the caller's mistake, said so, not a derivative of 0. Lines are
 * point-major: line k is variable axes[k mod L] of point p + ⌊k / L⌋; `prefix`
 * names a point in errors (pointPrefix).
 */
export function refuseVanishingSteps(xs: Float64Array, hs: Float64Array, axes: readonly number[], prefix: (p: number) => string, p = 0): void {
  for (let k = 0; k < xs.length; k++) {
    const x = xs[k], h = hs[k];
    if (x + h === x && x - h === x) {
      const L = axes.length;
      throw new InputError(`${prefix(p + Math.floor(k / L))}step ${h} does not move x[${axes[k % L]}] = ${x}: `
        + `doubles there are ${spacingAt(x)} apart; give a step of at least that, or leave step out for the automatic one`);
    }
  }
}

/** The same along direction v: a given step t that moves no coordinate of x (x ± t·v = x) is an InputError. */
export function refuseVanishingDirection(x: Float64Array, v: Float64Array, t: number, prefix: string): void {
  let least = Infinity; // the smallest step that moves some coordinate by the spacing there
  for (let i = 0; i < x.length; i++) {
    if (v[i] === 0) continue;
    if (x[i] + t * v[i] !== x[i] || x[i] - t * v[i] !== x[i]) return;
    least = Math.min(least, spacingAt(x[i]) / Math.abs(v[i]));
  }
  if (least === Infinity) return; // v = 0: the derivative along it is 0, and no step is needed
  throw new InputError(`${prefix}step ${t} does not move x along the direction: `
    + `a step of at least ${least} moves a coordinate by the spacing of doubles there; give one, or leave step out for the automatic one`);
}

