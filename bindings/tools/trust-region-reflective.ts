// The trust-region reflective method for least squares with bounds (Branch,
// Coleman and Li, 1999, "A subspace, interior, and conjugate gradient method
// for large-scale bound-constrained minimization problems"), in the form of its
// dense variant that SciPy's least_squares calls "trf": iterates stay strictly
// inside the box; each step solves a trust-region problem in variables scaled
// by the Coleman–Li vector v (a parameter's distance to the bound its gradient
// points at, 1 where no bound lies that way), so the region shrinks toward a
// bound the gradient pushes against; a step that leaves the box is cut at the
// bound, and the better of it, its reflection off the bound, and the scaled
// steepest-descent step is taken. The trust-region subproblem is Moré's
// (levenberg-marquardt.ts's lmStep) on the QR of J augmented by the scaling's
// curvature rows, never JᵀJ.
import { nextToward } from "../base/doubles.js";
import { allFinite, columnNorms, matrixTimes as times, norm2, pivotedQR, transposeTimes } from "./qr.js";
import { lmStep, type LmOutcome, type LmSettings, type Problem } from "./levenberg-marquardt.js";

/** Steps are pulled back by this fraction of their way to a bound (strict feasibility). */
const THETA_MIN = 0.995;

/**
 * Minimizes ½‖r(p)‖² from p0 within [lower, upper] (p0 is moved strictly
 * inside). The residuals are divided by their norm at the start, so that
 * neither ½‖r‖² nor Jᵀr overflows or underflows for residuals far from 1.
 */
export function trustRegionReflective(problem: Problem, p0: Float64Array, s: LmSettings): LmOutcome {
  const { m, n } = problem;
  const lower = s.lower ?? new Float64Array(n).fill(-Infinity), upper = s.upper ?? new Float64Array(n).fill(Infinity);
  let x = strictlyInside(p0, lower, upper);
  let f = problem.residuals(x), evaluations = 1, jacobians = 0, iterations = 0;
  let J: Float64Array = new Float64Array(m * n).fill(NaN);
  const finish = (reason: LmOutcome["reason"]): LmOutcome => ({
    p: x, residuals: f, jacobian: J, qr: pivotedQR(J, m, n, f), iterations, evaluations, jacobians, reason,
  });
  if (!allFinite(f)) return finish("non-finite");
  const start = norm2(f);
  if (start === 0) return finish("zero residual");
  const unit = 1 / Math.max(start, 1e-300);
  J = problem.jacobian(x);
  jacobians++;
  // fs, Js: the residuals and Jacobian in units of the starting residual norm
  let fs = f.map((r) => r * unit), Js = J.map((a) => a * unit), cost = 0.5 * dot(fs, fs);
  // the scaling: the largest column norms of J seen (1 for a zero column)
  const scaleInv = columnNorms(Js, m, n).map((c) => c || 1);
  let g = transposeTimes(Js, m, n, fs);
  let delta = 0, alpha = 0;
  for (;;) {
    if (!allFinite(J)) return finish("non-finite");
    if (cost === 0) return finish("zero residual");
    const { v, dv } = colemanLi(x, g, lower, upper);
    if (gradientMeasure(Js, m, n, fs, g, v, dv) <= s.gradTol) return finish("gradient");
    if (iterations >= s.maxIterations) return finish("iterations");
    const theta = Math.max(THETA_MIN, 1 - maxAbs(Float64Array.from(g, (gj, j) => gj * v[j])));
    for (let j = 0; j < n; j++) if (dv[j] !== 0) v[j] *= scaleInv[j];
    // (a parameter fixed by lower = upper has v = 0: it takes no part in the first region's size)
    if (iterations === 0) delta = norm2(Float64Array.from(x, (xj, j) => (v[j] > 0 ? (xj * scaleInv[j]) / Math.sqrt(v[j]) : 0))) || 1;
    iterations++;
    // the scaled problem: p = d·p_h, J_h = J·diag(d), curvature diag_h from the scaling's derivative
    const d = Float64Array.from(v, (vj, j) => Math.sqrt(vj) / scaleInv[j]);
    const diagH = Float64Array.from(g, (gj, j) => (gj * dv[j]) / scaleInv[j]);
    const gH = Float64Array.from(g, (gj, j) => gj * d[j]);
    const Jh = Float64Array.from(Js, (a, k) => a * d[k % n]);
    const augmented = new Float64Array((m + n) * n), rhs = new Float64Array(m + n);
    augmented.set(Jh);
    rhs.set(fs);
    for (let j = 0; j < n; j++) augmented[(m + j) * n + j] = Math.sqrt(diagH[j]);
    const qr = pivotedQR(augmented, m + n, n, rhs);
    const ones = new Float64Array(n).fill(1);
    const quadratic: Quadratic = { J: Jh, m, n, g: gH, diag: diagH };
    for (;;) {
      if (evaluations > 100 * (s.maxIterations + 1)) return finish("iterations");
      const trial = lmStep(qr, ones, delta, alpha);
      alpha = trial.lambda;
      if (!allFinite(trial.delta)) return finish("no progress");
      const chosen = selectStep(x, quadratic, Float64Array.from(trial.delta, (ph, j) => ph * d[j]), trial.delta, d, delta, lower, upper, theta);
      const xNew = strictlyInside(Float64Array.from(x, (xj, j) => xj + chosen.step[j]), lower, upper, 0);
      const fNew = problem.residuals(xNew);
      evaluations++;
      const stepHNorm = norm2(chosen.stepH);
      const fsNew = fNew.map((r) => r * unit), costNew = 0.5 * dot(fsNew, fsNew);
      if (!allFinite(fNew) || !Number.isFinite(costNew)) {
        delta = 0.25 * stepHNorm;
        if (!(delta > 0)) return finish("no progress");
        continue;
      }
      const actual = cost - costNew, predicted = chosen.predicted;
      const ratio = predicted > 0 ? actual / predicted : predicted === actual ? 1 : 0;
      const previous = delta;
      if (!(ratio >= 0.25)) delta = 0.25 * stepHNorm; // (NaN shrinks too)
      else if (ratio > 0.75 && stepHNorm > 0.95 * delta) delta *= 2;
      if (delta > 0) alpha *= previous / delta; // (the damping's start for the next region: SciPy's)
      const stepNorm = norm2(Float64Array.from(xNew, (xj, j) => xj - x[j]));
      const costConverged = Math.abs(actual) < s.costTol * cost && ratio > 0.25;
      const stepConverged = stepNorm < s.stepTol * (s.stepTol + norm2(x));
      if (actual > 0) {
        x = xNew;
        f = fNew;
        fs = fsNew;
        cost = costNew;
        J = problem.jacobian(x);
        jacobians++;
        Js = J.map((a) => a * unit);
        for (const [j, c] of columnNorms(Js, m, n).entries()) scaleInv[j] = Math.max(scaleInv[j], c);
        g = transposeTimes(Js, m, n, fs);
        if (s.onStep && s.onStep(iterations, x, 0.5 * dot(f, f)) === false) return finish("callback");
      }
      if (costConverged) return finish("cost");
      if (stepConverged) return finish("step");
      if (actual > 0) break;
      if (!(delta > 1e-300)) return finish("no progress");
    }
  }
}

/**
 * The Coleman–Li scaling: v_j the distance to the bound the step −g points at
 * (and dv_j its derivative's sign, ±1), or 1 and 0 where no bound lies that way.
 */
function colemanLi(x: Float64Array, g: Float64Array, lower: Float64Array, upper: Float64Array): { v: Float64Array; dv: Float64Array } {
  const n = x.length, v = new Float64Array(n).fill(1), dv = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    if (g[j] < 0 && Number.isFinite(upper[j])) { v[j] = upper[j] - x[j]; dv[j] = -1; }
    else if (g[j] > 0 && Number.isFinite(lower[j])) { v[j] = x[j] - lower[j]; dv[j] = 1; }
  }
  return { v, dv };
}

/**
 * The gradient test, scale-free: per parameter the cosine between r and J's
 * column (LM's test), times min(1, v·‖J_j‖/‖r‖) where a bound lies the way the
 * gradient points (v its distance: a parameter pressed against its bound passes).
 */
function gradientMeasure(J: Float64Array, m: number, n: number, f: Float64Array, g: Float64Array, v: Float64Array, dv: Float64Array): number {
  const fnorm = norm2(f), norms = columnNorms(J, m, n);
  let worst = 0;
  for (let j = 0; j < n; j++) {
    if (!(norms[j] > 0)) continue;
    const cosine = Math.abs(g[j]) / (norms[j] * fnorm);
    worst = Math.max(worst, dv[j] !== 0 ? cosine * Math.min(1, (v[j] * norms[j]) / fnorm) : cosine);
  }
  return worst;
}

/** The model q(s) = ½(‖J·s‖² + s·diag·s) + g·s of the scaled problem. */
interface Quadratic {
  J: Float64Array;
  m: number;
  n: number;
  g: Float64Array;
  diag: Float64Array;
}

function modelValue(q: Quadratic, s: Float64Array): number {
  const Js = times(q.J, q.m, q.n, s);
  let t = dot(Js, Js);
  for (let j = 0; j < q.n; j++) t += s[j] * q.diag[j] * s[j];
  return 0.5 * t + dot(q.g, s);
}

/** q(s0 + t·s) = a·t² + b·t + c. */
function along(q: Quadratic, s: Float64Array, s0?: Float64Array): { a: number; b: number; c: number } {
  const v = times(q.J, q.m, q.n, s);
  let a = dot(v, v), b = dot(q.g, s), c = 0;
  for (let j = 0; j < q.n; j++) a += s[j] * q.diag[j] * s[j];
  if (s0) {
    const u = times(q.J, q.m, q.n, s0);
    b += dot(u, v);
    c = 0.5 * dot(u, u) + dot(q.g, s0);
    for (let j = 0; j < q.n; j++) { b += s0[j] * q.diag[j] * s[j]; c += 0.5 * s0[j] * q.diag[j] * s0[j]; }
  }
  return { a: 0.5 * a, b, c };
}

/** The t in [lo, hi] minimizing a·t² + b·t + c, and the value there. */
function minimizeOnInterval(a: number, b: number, c: number, lo: number, hi: number): { t: number; value: number } {
  const candidates = [lo, hi];
  if (a !== 0) {
    const extremum = (-0.5 * b) / a;
    if (lo < extremum && extremum < hi) candidates.push(extremum);
  }
  let best = { t: lo, value: Infinity };
  for (const t of candidates) {
    const value = a * t * t + b * t + c;
    if (value < best.value) best = { t, value };
  }
  return best;
}

/** The largest t with x + t·s in the box, and which entries reach a bound there (−1, 0 or 1: the side). */
function toBound(x: Float64Array, s: Float64Array, lower: Float64Array, upper: Float64Array): { t: number; hits: Int8Array } {
  const n = x.length, steps = new Float64Array(n).fill(Infinity);
  let t = Infinity;
  for (let j = 0; j < n; j++) {
    if (s[j] === 0) continue;
    steps[j] = Math.max((lower[j] - x[j]) / s[j], (upper[j] - x[j]) / s[j]);
    t = Math.min(t, steps[j]);
  }
  return { t, hits: Int8Array.from(steps, (sj, j) => (sj === t ? Math.sign(s[j]) : 0)) };
}

/** The t ≥ 0 where ‖x + t·s‖ = Δ (x inside the region). */
function toRegionEdge(x: Float64Array, s: Float64Array, delta: number): number {
  const a = dot(s, s), b = dot(x, s), c = dot(x, x) - delta * delta;
  const disc = Math.sqrt(Math.max(b * b - a * c, 0));
  const q = -(b + (b >= 0 ? disc : -disc));
  return Math.max(q / a, c / q);
}

/**
 * Of the trust-region step p (p_h scaled), cut at the box and pulled back by θ,
 * its reflection off the bound it meets, and the scaled steepest-descent step:
 * the one the model rates lowest, with the model's predicted reduction.
 */
function selectStep(x: Float64Array, q: Quadratic, p: Float64Array, pH: Float64Array, d: Float64Array, delta: number,
                    lower: Float64Array, upper: Float64Array, theta: number): { step: Float64Array; stepH: Float64Array; predicted: number } {
  if (inside(Float64Array.from(x, (xj, j) => xj + p[j]), lower, upper)) return { step: p, stepH: pH, predicted: -modelValue(q, pH) };
  const { t: pStride, hits } = toBound(x, p, lower, upper);
  // the reflected direction, from where p meets the bound
  const rH = Float64Array.from(pH, (v, j) => (hits[j] !== 0 ? -v : v));
  const r = Float64Array.from(rH, (v, j) => v * d[j]);
  const pCut = p.map((v) => v * pStride), pHCut = pH.map((v) => v * pStride);
  const onBound = Float64Array.from(x, (xj, j) => xj + pCut[j]);
  const toEdge = toRegionEdge(pHCut, rH, delta);
  const { t: rToBound } = toBound(onBound, r, lower, upper);
  const rStride = Math.min(rToBound, toEdge);
  let lo = 0, hi = -1;
  if (rStride > 0) {
    lo = ((1 - theta) * pStride) / rStride;
    hi = rStride === rToBound ? theta * rToBound : toEdge;
  }
  let reflected: { step: Float64Array; stepH: Float64Array; value: number } | undefined;
  if (lo <= hi) {
    const { a, b, c } = along(q, rH, pHCut);
    const best = minimizeOnInterval(a, b, c, lo, hi);
    const stepH = Float64Array.from(rH, (v, j) => v * best.t + pHCut[j]);
    reflected = { step: Float64Array.from(stepH, (v, j) => v * d[j]), stepH, value: best.value };
  }
  // the cut step, pulled back inside
  const cutH = pHCut.map((v) => v * theta), cut = pCut.map((v) => v * theta);
  const cutValue = modelValue(q, cutH);
  // the scaled steepest-descent step, cut at the region and the box
  const agH = q.g.map((v) => -v), ag = Float64Array.from(agH, (v, j) => v * d[j]);
  const agNorm = norm2(agH), agToEdge = agNorm > 0 ? delta / agNorm : 0;
  const { t: agToBound } = toBound(x, ag, lower, upper);
  const agLimit = agToBound < agToEdge ? theta * agToBound : agToEdge;
  const { a, b } = along(q, agH);
  const agBest = minimizeOnInterval(a, b, 0, 0, agLimit);
  const candidates = [
    { step: cut, stepH: cutH, value: cutValue },
    ...(reflected ? [reflected] : []),
    { step: ag.map((v) => v * agBest.t), stepH: agH.map((v) => v * agBest.t), value: agBest.value },
  ];
  const best = candidates.reduce((u, w) => (w.value < u.value ? w : u));
  return { step: best.step, stepH: best.stepH, predicted: -best.value };
}

/** Whether every entry lies within its bounds. */
function inside(x: Float64Array, lower: Float64Array, upper: Float64Array): boolean {
  for (let j = 0; j < x.length; j++) if (!(x[j] >= lower[j] && x[j] <= upper[j])) return false;
  return true;
}

/**
 * x clipped to the box and moved off any bound it sits on: by `gap` relative to
 * the bound's size (at the start), or to the next float inside (after a step).
 */
function strictlyInside(x: Float64Array, lower: Float64Array, upper: Float64Array, gap = 1e-10): Float64Array {
  return x.map((v, j) => {
    const lo = lower[j], hi = upper[j];
    let y = Math.min(Math.max(v, lo), hi);
    if (y === lo && lo < hi) y = gap > 0 ? Math.min(lo + gap * Math.max(1, Math.abs(lo)), 0.5 * (lo + hi)) : nextToward(lo, hi);
    else if (y === hi && lo < hi) y = gap > 0 ? Math.max(hi - gap * Math.max(1, Math.abs(hi)), 0.5 * (lo + hi)) : nextToward(hi, lo);
    return y;
  });
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let t = 0;
  for (let i = 0; i < a.length; i++) t += a[i] * b[i];
  return t;
}

function maxAbs(a: Float64Array): number {
  let t = 0;
  for (const v of a) t = Math.max(t, Math.abs(v));
  return t;
}
