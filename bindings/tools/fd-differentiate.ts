// Finite differences along lines at base points: the core plans the steps, the
// user's function is sampled at the planned points, the core combines the
// samples into derivatives and error estimates.
import { CallbackError, InputError } from "../base/errors.js";
import { core, f64, i32, withMemory } from "../runtime/loader.js";
import type { BatchCallback, Callback } from "./fd.js";
import { Caller, checkUnwritten, sampleAxesTwoPoint, threw, wroteArgument } from "./fd-caller.js";
import { axisGeometry, checkInside, offsets, pointPrefix, refuseVanishingDirection, refuseVanishingSteps, type Lines, type Plan, type readBase } from "./fd-plan.js";

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
export function differentiate(f: Callback | BatchCallback, base: ReturnType<typeof readBase>, lines: Lines, plan: Plan,
                       jacobianOrder = false) {
  const { N, n, data: X } = base;
  checkInside(base, plan);
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
      // The line's scale: 1/Σ 1/rᵢ, rᵢ = max(|xᵢ|, 1)/|vᵢ| the t at which coordinate i moves
      // by its own scale. Along v the model's k-th derivative is then at most 10^k·U/scale^k,
      // and no coordinate is stepped beyond the step its axis would take (a component 1e-12
      // along x₀ = 1e6 does not set the step of x₁ = 0.5; coordinates whose moves would round
      // away have lines of their own: fd-direction.ts).
      const k = p, v = directionAt(p);
      let fastest = 0, moves = false; // the largest 1/rᵢ: Σ 1/rᵢ is summed over it, as it may pass 1e308
      for (let i = 0; i < n; i++) if (v[i] !== 0) fastest = Math.max(fastest, Math.abs(v[i]) / Math.max(Math.abs(X[p * n + i]), 1));
      let rates = 0; // Σ (1/rᵢ)/fastest
      for (let i = 0; i < n; i++) {
        if (v[i] === 0) continue;
        const xi = X[p * n + i];
        moves = true;
        rates += Math.abs(v[i]) / Math.max(Math.abs(xi), 1) / fastest;
        if (plan.bounds) { // lower_i ≤ x_i + t·v_i ≤ upper_i
          const t1 = (plan.bounds[i][0] - xi) / v[i], t2 = (plan.bounds[i][1] - xi) / v[i];
          lo[k] = Math.max(lo[k], Math.min(t1, t2));
          hi[k] = Math.min(hi[k], Math.max(t1, t2));
        }
      }
      // (a subnormal direction, whose 1/rᵢ are 0, would make the scale ∞, and t·0 NaN for the coordinates it leaves)
      scale[k] = !moves ? 1 : fastest === 0 ? Number.MAX_VALUE : Math.min(1 / fastest / rates, Number.MAX_VALUE);
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
  const prefix = (p: number) => pointPrefix(plan, base.batched, p);
  if (axisLines && plan.step !== undefined) refuseVanishingSteps(xs, planned.hs, lines.axes, prefix);
  // (the step given, not the planned one: bounds may leave no room, which is NaN, not the caller's mistake)
  else if (typeof plan.step === "number") for (let p = 0; p < N; p++) refuseVanishingDirection(X.subarray(p * n, (p + 1) * n), directionAt(p), plan.step, prefix(p));

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
                if (typeof y !== "number") caller.accept(y, 1, point); // throws the CallbackError saying what came back
                samples.values[slot] = y as number;
              } else {
                samples.put(slot, caller.one(point), caller.m);
              }
              // (a direction's samples set every entry, so only an axis line's can carry a write on)
              if (axis >= 0 && !Object.is(point[axis], xi + t)) throw wroteArgument(axis, caller.calls);
              if (axis >= 0) point[axis] = xi;
              else point.set(x);
            }
          }
        }
        if (axisLines) checkUnwritten(point, x, caller.calls);
      }
      if (p < N) sampleAxesTwoPoint(direct, caller, point, X, n, p, N, (lines as { axes: readonly number[] }).axes, planned.schemes, planned.hs, samples.values, S);
    } catch (error) {
      if (error instanceof CallbackError) throw error;
      throw threw(error, caller.calls, point);
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
