// checkGrad: every exact derivative a compiled function offers, held against
// Richardson-extrapolated central differences over the same function.
import { InputError, InternalError, ShapeError, show } from "../base/errors.js";
import { Func } from "../api/func.js";
import { checkOptions, isTensorLike, toF64 } from "../api/validate.js";
import { Tensor, type TensorLike } from "../base/tensor.js";
import * as fd from "./fd.js";

/** Options of `checkGrad`. */
export interface CheckOptions {
  /** Relative slack beyond the differences' own error bound (default 1e-6 of the derivative's scale). */
  tolerance?: number;
  /** Richardson levels of the differences (default 2). */
  richardson?: number;
  /** Also check the Hessian (against differences of the exact gradient); default true. */
  hessian?: boolean;
}

/** One exact derivative against its differences. */
export interface Comparison {
  /**
   * The largest |exact − differences| over the derivative's scale: its largest
   * entry, or a floor where that is smaller (1/s, 1/s² for the Hessian, but no
   * more than f's change near x; see checkGrad), all of f over its size near x.
   */
  disagreement: number;
  /** The largest error estimate of the differences, over the same scale. */
  error: number;
  /** Whether the differences can judge: their error estimate within 1e-4 of the scale (not at a jump or a kink). */
  reliable: boolean;
  /** Reliable, and every entry agrees within 8 error estimates plus the tolerance. */
  ok: boolean;
}

/** What `checkGrad` found: each check, the worst disagreement, and a verdict. */
export interface GradientCheck {
  forward: Comparison;
  reverse: Comparison;
  /** The Hessian (forward over reverse) against differences of the exact gradient; absent when not asked for. */
  hessian?: Comparison;
  worst: number;
  ok: boolean;
}

/**
 * Checks the exact gradients (forward and reverse mode) of a scalar compiled
 * function of one input at the point x against central differences with
 * Richardson extrapolation over the same function, and its Hessian against
 * differences of the exact gradient. A derivative that disagrees beyond the
 * differences' error estimate (8×, plus `tolerance` of its scale) fails, and so
 * does one the differences cannot judge (their own error estimate above 1e-4 of
 * the scale: at a jump or a kink of f), marked `reliable: false`.
 * The comparisons are made on f over its size near x (the largest |f| at x and a
 * thousandth of each variable's scale to either side), so that a function's size
 * (1e-200·x² or 1e300·x) does not change the verdict, and relative to the
 * function's change near x where the derivative is 0 (a stationary point), not
 * to that 0 nor to |f| (which a constant offset inflates). A function that does
 * not change near x beyond rounding (a constant) cannot be judged: not reliable.
 * @param f a compiled scalar function of one input
 * @param x the point: a number for a scalar input, its entries in order (a Float64Array, an array, a Tensor or WasmBuffer of the input's shape)
 * @param options `tolerance`, `richardson`, `hessian`
 * @example
 * ```ts
 * import { checkGrad, compile } from "gradients";
 * const report = checkGrad(compile("sin(x)*y^2"), [0.5, 2]); // report.ok: true
 * ```
 */
export function checkGrad(f: Func, x: number | ArrayLike<number> | TensorLike, options: CheckOptions = {}): GradientCheck {
  if (!(f instanceof Func)) throw new InputError("checkGrad takes a compiled function (compile or fn)");
  checkOptions(options, ["tolerance", "richardson", "hessian"], "checkGrad");
  if (f.outputShape.length !== 0) throw new ShapeError(`checkGrad needs a scalar function; this one has output shape [${f.outputShape.join(", ")}]`);
  if (f.inputs.length !== 1) throw new InputError(`checkGrad takes a function of one input; this one has ${f.inputs.length}`);
  const tolerance = options.tolerance ?? 1e-6, richardson = options.richardson ?? 2;
  if (!(tolerance >= 0)) throw new InputError(`checkGrad's tolerance must be a number ≥ 0, got ${String(options.tolerance)}`);
  if (typeof x !== "number" && !isTensorLike(x) && !Array.isArray(x) && !(ArrayBuffer.isView(x) && !(x instanceof DataView))) {
    throw new InputError(`checkGrad: the point must be a number, an array of numbers or a Tensor, got ${show(x)}`);
  }
  const point = typeof x === "number" ? Float64Array.of(x) : Float64Array.from(toF64(isTensorLike(x) ? x.data : x, "checkGrad: the point"));
  if (point.length !== f.n) throw new ShapeError(`checkGrad: the point needs ${f.n} entries, got ${point.length}`);
  // (a function of one scalar input takes a number; a tensor input its entries as a Tensor of its shape)
  const shape = f.inputs[0].shape;
  const at = (p: Float64Array) => (shape.length === 0 ? p[0] : shape.length === 1 ? p : new Tensor(shape, p.slice()));
  const dataOf = (r: number | Float64Array | Tensor) => (typeof r === "number" ? Float64Array.of(r) : r instanceof Tensor ? r.data.slice() : Float64Array.from(r));
  // f over its size near x, and its derivatives: so that the differences' error model (values of
  // size 1) fits any f. The size is the largest |f| at x and a thousandth of each variable's scale
  // to either side: not |f(x)| alone, which is 0 at a root (then 1e-8·sin x at 0 would be judged
  // on a scale of 1, where any gradient of its size passes).
  const center = f.eval(at(point)) as number;
  const moved = (u: Float64Array, sign: number) => f.eval(at(point.map((v, j) => v + sign * u[j]))) as number;
  const along = (i: number, step: number) => Float64Array.from(point, (_, j) => (j === i ? step * Math.max(Math.abs(point[j]), 1) : 0));
  let size = Number.isFinite(center) ? Math.abs(center) : 0;
  for (let i = 0; i < point.length; i++) {
    for (const sign of [1, -1]) {
      const v = moved(along(i, 1e-3), sign);
      if (Number.isFinite(v)) size = Math.max(size, Math.abs(v));
    }
  }
  if (!(size > 0)) size = 1;
  const value = (p: Float64Array) => (f.eval(at(p)) as number) / size;
  const gradientAt = (p: Float64Array, mode: "forward" | "reverse") => dataOf(f.grad(at(p), { mode }) as number | Float64Array | Tensor).map((v) => v / size);
  // The floor of the derivative's scale (where the derivative is small, as at a stationary point):
  // f's own, |f| over the largest scale s (1/s here, f being over its size), but no more than f's
  // change near x where that is measurable, which a constant offset does not inflate (under 1e8 +
  // a·sin b a gradient with a wrong sign passed on a floor of |f|). Probes move x by u, a tenth
  // (and, against a period that divides a tenth, 0.0371) of each variable's scale, along each axis
  // and two diagonals (a saddle x·y does not change along the axes). The gradient's floor takes the
  // smaller change of x ± u (a pole on one side does not set it) over ‖u‖₁; the Hessian's the
  // smaller change less the exact gradient's share g·u (so that a steep linear part does not set
  // it), over ‖u‖₁². A change below the differences' own error leaves them unable to judge, as
  // for a constant f.
  const reach = point.reduce((t, v) => Math.max(t, Math.abs(v), 1), 1);
  const slope = gradientAt(point, "reverse");
  let firstOrder = 0, secondOrder = 0;
  const probe = (u: Float64Array) => {
    const length = u.reduce((t, v) => t + Math.abs(v), 0), linear = u.reduce((t, v, j) => t + v * slope[j], 0);
    const up = (moved(u, 1) - center) / size, down = (moved(u, -1) - center) / size;
    // (a remainder within rounding of the terms it is the difference of is 0: f linear along u)
    const remainder = (change: number, part: number) => (Math.abs(change - part) <= 4 * Number.EPSILON * (Math.abs(change) + Math.abs(part)) ? 0 : Math.abs(change - part));
    const first = [Math.abs(up), Math.abs(down)].filter(Number.isFinite), second = [remainder(up, linear), remainder(down, -linear)].filter(Number.isFinite);
    if (first.length > 0) firstOrder = Math.max(firstOrder, Math.min(...first) / length);
    if (second.length > 0) secondOrder = Math.max(secondOrder, Math.min(...second) / length / length);
  };
  for (const tenth of [0.1, 0.0371]) {
    for (let i = 0; i < point.length; i++) probe(along(i, tenth));
    for (const alternate of [false, true]) probe(Float64Array.from(point, (v, j) => (alternate && j % 2 ? -tenth : tenth) * Math.max(Math.abs(v), 1)));
  }
  // (a linear f's remainder is 0 along every probe: its Hessian's floor is |f|'s; a constant f has
  // no gradient floor, and its differences cannot judge)
  firstOrder = Math.min(firstOrder, 1 / reach);
  secondOrder = secondOrder > 0 ? Math.min(secondOrder, 1 / reach ** 2) : 1 / reach ** 2;
  const differences = fd.grad(value, point, { richardson }) as { value: Float64Array; error: Float64Array };
  const forward = compare(gradientAt(point, "forward"), differences, tolerance, firstOrder);
  const reverse = compare(slope, differences, tolerance, firstOrder);
  let hessian: Comparison | undefined;
  if (options.hessian ?? !f.refusesSecondOrder()) { // (none through a scan, nor user functions without second partials)
    const H = fd.jacobian((p: Float64Array) => gradientAt(p, "reverse"), point, { richardson }) as { value: Tensor; error: Tensor };
    const exact = dataOf(f.hessian(at(point)) as Tensor | number).map((v) => v / size);
    hessian = compare(exact, { value: H.value.data, error: H.error.data }, tolerance, secondOrder);
  }
  const all = [forward, reverse, ...(hessian ? [hessian] : [])];
  return { forward, reverse, ...(hessian ? { hessian } : {}), worst: Math.max(...all.map((c) => c.disagreement)), ok: all.every((c) => c.ok) };
}

/** The largest relative error estimate at which differences can vouch for a derivative. */
const RELIABLE = 1e-4;

/** Exact against differences, relative to the larger of their largest entry and `floor` (the function's own scale). */
function compare(exact: ArrayLike<number>, differences: { value: ArrayLike<number>; error: ArrayLike<number> }, tolerance: number, floor: number): Comparison {
  if (exact.length !== differences.value.length) throw new InternalError(`checkGrad compared ${exact.length} exact entries with ${differences.value.length} differences`);
  let unit = floor;
  for (let i = 0; i < exact.length; i++) unit = Math.max(unit, Math.abs(differences.value[i]), Math.abs(exact[i]));
  if (!(unit > 0)) unit = Number.MIN_VALUE; // (a constant f: its differences' error, if any, then says they cannot judge)
  let disagreement = 0, error = 0, agree = true;
  for (let i = 0; i < exact.length; i++) {
    const gap = Math.abs(exact[i] - differences.value[i]);
    disagreement = Math.max(disagreement, gap / unit);
    error = Math.max(error, differences.error[i] / unit);
    if (!(gap <= 8 * differences.error[i] + tolerance * unit)) agree = false; // (NaN fails)
  }
  const reliable = error <= RELIABLE;
  return { disagreement, error, reliable, ok: agree && reliable };
}
