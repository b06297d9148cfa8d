// The Levenberg–Marquardt trust-region iteration of Moré (1978), "The
// Levenberg–Marquardt algorithm: implementation and theory", as MINPACK's lmder:
// Moré's column scaling D (the largest column norms of J seen), a trust region
// ‖D·δ‖ ≤ Δ, and the damping λ found by a safeguarded Newton iteration on
// ‖D·δ(λ)‖ = Δ (lmpar). Each step solves the damped problem from a QR of J
// (qr.ts), never from JᵀJ.
//
// Bounds: a projected variant. A parameter at a bound that the gradient pushes
// outward is held (its column of J is left out of the step), and the trial
// point is projected onto the box; its predicted reduction is then the model's
// for the projected step.
import { allFinite, dampedSolve, matrixTimes, transposeTimes, norm2, pivotedQR, scaledNorm, solveTransposed, unpivot, type PivotedQR } from "./qr.js";

/** A least-squares problem: m residuals of n parameters, and their Jacobian (m×n, row-major). */
export interface Problem {
  m: number;
  n: number;
  residuals(p: Float64Array): Float64Array;
  jacobian(p: Float64Array): Float64Array;
}

export interface LmSettings {
  /** Stop when the relative reductions of the cost, actual and predicted, are both at most this. */
  costTol: number;
  /** Stop when the trust region is at most this relative to ‖D·p‖. */
  stepTol: number;
  /** Stop when the cosine between r and every column of J is at most this. */
  gradTol: number;
  maxIterations: number;
  /** Bounds on the parameters (−∞ and ∞ for none). */
  lower?: Float64Array;
  upper?: Float64Array;
  /** Called after each accepted step; false stops the run. */
  onStep?: (iteration: number, p: Float64Array, cost: number) => void | boolean;
}

/** Why a run stopped: converged ("cost", "step", "gradient", or "zero residual"), or not. */
export type LmReason = "cost" | "step" | "gradient" | "zero residual" | "iterations" | "callback" | "non-finite" | "no progress";

export interface LmOutcome {
  p: Float64Array;
  residuals: Float64Array;
  jacobian: Float64Array;
  qr: PivotedQR;
  iterations: number;
  evaluations: number;
  jacobians: number;
  reason: LmReason;
}

const EPS = 2.220446049250313e-16;
const TINY = 2.2250738585072014e-308;
/** The first trust region, relative to ‖D·p0‖. */
const INITIAL_RADIUS = 10;

/** Minimizes ½‖r(p)‖² from p0. */
export function levenbergMarquardt(problem: Problem, p0: Float64Array, s: LmSettings): LmOutcome {
  const { m, n } = problem;
  const lower = s.lower ?? new Float64Array(n).fill(-Infinity), upper = s.upper ?? new Float64Array(n).fill(Infinity);
  const clip = (x: Float64Array) => x.map((v, j) => Math.min(Math.max(v, lower[j]), upper[j]));
  const bounded = lower.some((v) => v > -Infinity) || upper.some((v) => v < Infinity);
  let p = clip(Float64Array.from(p0));
  let delta = 0, iterations = 0, lambda = 0;
  let r = problem.residuals(p), evaluations = 1, jacobians = 0;
  let J: Float64Array = new Float64Array(m * n).fill(NaN);
  let qr = pivotedQR(J, m, n, r);
  if (!allFinite(r)) return finish("non-finite");
  J = problem.jacobian(p);
  jacobians++;
  qr = pivotedQR(J, m, n, r);
  let rnorm = norm2(r);
  const D = new Float64Array(n);
  for (;;) {
    if (!allFinite(J)) return finish("non-finite");
    // scaling: the largest column norms so far (1 for a zero column)
    for (let j = 0; j < n; j++) D[j] = iterations === 0 ? qr.columnNorms[j] || 1 : Math.max(D[j], qr.columnNorms[j]);
    if (iterations === 0) { // (MINPACK's factor: 100 by default; 10 reaches BoxBOD's minimum from its first start too)
      const scaled = scaledNorm(D, p);
      delta = scaled > 0 ? INITIAL_RADIUS * scaled : INITIAL_RADIUS;
    }
    if (rnorm === 0) return finish("zero residual");
    // (with bounds, the step's QR leaves out the parameters held at a bound)
    const stepQr = bounded ? heldOut(J, m, n, r, p, lower, upper) ?? qr : qr;
    if (gradientCosine(stepQr, rnorm) <= s.gradTol) return finish("gradient");
    if (iterations >= s.maxIterations) return finish("iterations");
    iterations++;
    // inner loop: shrink the region until a step reduces the cost
    for (;;) {
      const step = lmStep(stepQr, D, delta, lambda);
      if (!Number.isFinite(step.lambda) || !allFinite(step.delta)) return finish("no progress"); // (never loop on a NaN step)
      lambda = step.lambda;
      const trial = clip(Float64Array.from(p, (v, j) => v + step.delta[j]));
      const delta0 = trial.map((v, j) => v - p[j]), projected = delta0.some((v, j) => v !== step.delta[j]);
      const pnorm = scaledNorm(D, delta0);
      if (iterations === 1) delta = Math.min(delta, pnorm);
      const rt = problem.residuals(trial);
      evaluations++;
      const tnorm = allFinite(rt) ? norm2(rt) : Infinity;
      const actual = 0.1 * tnorm < rnorm ? 1 - (tnorm / rnorm) ** 2 : -1;
      // predicted reduction, from ‖J·δ‖ and λ·‖D·δ‖² (a projected step: the model's, 1 − ‖r + J·δ‖²/‖r‖²)
      const jd = matrixTimes(J, m, n, delta0);
      const t1 = norm2(jd) / rnorm, t2 = (Math.sqrt(lambda) * pnorm) / rnorm;
      let predicted = t1 * t1 + 2 * t2 * t2, directional = -(t1 * t1 + t2 * t2);
      if (projected) {
        let rj = 0;
        for (let i = 0; i < m; i++) rj += r[i] * jd[i];
        directional = rj / (rnorm * rnorm);
        predicted = -2 * directional - t1 * t1;
      }
      const ratio = predicted !== 0 ? actual / predicted : 0;
      if (ratio <= 0.25) {
        let shrink = actual >= 0 ? 0.5 : (0.5 * directional) / (directional + 0.5 * actual);
        if (0.1 * tnorm >= rnorm || shrink < 0.1) shrink = 0.1;
        delta = shrink * Math.min(delta, 10 * pnorm);
        lambda /= shrink;
      } else if (lambda === 0 || ratio >= 0.75) {
        delta = 2 * pnorm;
        lambda *= 0.5;
      }
      if (ratio >= 1e-4) { // accept
        p = trial;
        r = rt;
        rnorm = tnorm;
        J = problem.jacobian(p);
        jacobians++;
        qr = pivotedQR(J, m, n, r);
        if (s.onStep && s.onStep(iterations, p, 0.5 * rnorm * rnorm) === false) return finish("callback");
      }
      if (Math.abs(actual) <= s.costTol && predicted <= s.costTol && 0.5 * ratio <= 1) return finish("cost");
      if (delta <= s.stepTol * scaledNorm(D, p)) return finish("step");
      if (ratio >= 1e-4) break;
      if (Math.abs(actual) <= EPS && predicted <= EPS && 0.5 * ratio <= 1) return finish("no progress");
      if (delta <= EPS * scaledNorm(D, p)) return finish("no progress");
      if (iterations >= s.maxIterations) return finish("iterations");
    }
  }

  function finish(reason: LmReason): LmOutcome {
    return { p, residuals: r, jacobian: J, qr, iterations, evaluations, jacobians, reason };
  }
}

/**
 * The QR of J with the columns of parameters held at a bound zeroed: those at a
 * bound that the gradient Jᵀr pushes outward. Undefined when none is held.
 */
function heldOut(J: Float64Array, m: number, n: number, r: Float64Array, p: Float64Array,
                 lower: Float64Array, upper: Float64Array): PivotedQR | undefined {
  const held: number[] = [], g = transposeTimes(J, m, n, r);
  for (let j = 0; j < n; j++) if ((p[j] <= lower[j] && g[j] > 0) || (p[j] >= upper[j] && g[j] < 0)) held.push(j);
  if (held.length === 0) return undefined;
  const masked = Float64Array.from(J);
  for (let i = 0; i < m; i++) for (const j of held) masked[i * n + j] = 0;
  return pivotedQR(masked, m, n, r);
}

/** max over columns of |Jⱼᵀr|/(‖Jⱼ‖·‖r‖): the gradient test (cosine between r and each column). */
function gradientCosine(qr: PivotedQR, rnorm: number): number {
  const n = qr.n;
  let worst = 0;
  for (let k = 0; k < n; k++) {
    const col = qr.perm[k], cn = qr.columnNorms[col];
    if (cn === 0) continue;
    let t = 0;
    for (let i = 0; i <= k; i++) t += qr.R[i * n + k] * qr.qtb[i];
    worst = Math.max(worst, Math.abs(t / rnorm) / cn);
  }
  return worst;
}

/**
 * The step δ with ‖D·δ‖ ≈ Δ (within 10%), or the Gauss–Newton step if it is
 * shorter, and its damping λ: Moré's lmpar. `previous` starts the search.
 */
export function lmStep(qr: PivotedQR, D: Float64Array, delta: number, previous: number): { delta: Float64Array; lambda: number } {
  const n = qr.n, perm = qr.perm, R = qr.R;
  const d = Float64Array.from(perm, (j) => D[j]); // the scaling in pivoted order
  // Gauss–Newton step (leading rank block; the rest 0)
  const gn = dampedSolve(qr, d, 0).z;
  const dxnorm0 = norm2(Float64Array.from(gn, (z, k) => d[k] * z));
  let fp = dxnorm0 - delta;
  if (fp <= 0.1 * delta) return { delta: unpivot(gn, perm), lambda: 0 };
  // bounds on λ: a lower one from the Newton step at 0 (full rank only), an upper one from the gradient
  let lower = 0;
  if (qr.rank === n) {
    const w = solveTransposed(R, n, Float64Array.from(gn, (z, k) => d[k] * ((d[k] * z) / dxnorm0)));
    const t = norm2(w);
    lower = ((fp / delta) / t) / t;
  }
  const g = new Float64Array(n);
  for (let k = 0; k < n; k++) { let t = 0; for (let i = 0; i <= k; i++) t += R[i * n + k] * qr.qtb[i]; g[k] = t / d[k]; }
  const gnorm = norm2(g);
  let upper = gnorm / delta;
  if (upper === 0) upper = TINY / Math.min(delta, 0.1);
  let lambda = Math.min(Math.max(previous, lower), upper);
  if (lambda === 0) lambda = gnorm / dxnorm0;
  let z = gn;
  for (let iter = 0; iter < 10; iter++) {
    if (lambda === 0) lambda = Math.max(TINY, 0.001 * upper);
    const solved = dampedSolve(qr, d, lambda);
    z = solved.z;
    const dz = Float64Array.from(z, (v, k) => d[k] * v), dxnorm = norm2(dz);
    const last = fp;
    fp = dxnorm - delta;
    if (Math.abs(fp) <= 0.1 * delta || (lower === 0 && fp <= last && last < 0) || iter === 9) break;
    // Newton correction for ‖D·δ(λ)‖ = Δ
    const w = solveTransposed(solved.S, n, Float64Array.from(dz, (v, k) => (d[k] * v) / dxnorm));
    const t = norm2(w), correction = ((fp / delta) / t) / t;
    if (fp > 0) lower = Math.max(lower, lambda);
    if (fp < 0) upper = Math.min(upper, lambda);
    lambda = Math.max(lower, lambda + correction);
  }
  return { delta: unpivot(z, perm), lambda };
}
