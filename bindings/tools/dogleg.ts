// Powell's hybrid (dogleg) method for F(x) = 0, F: ℝⁿ → ℝⁿ, with the exact
// Jacobian, after MINPACK's hybrj (Moré, Garbow and Hillstrom, 1980): in a trust
// region ‖D·p‖ ≤ Δ (D the largest column norms of J seen), the step is Newton's
// where it fits, else the scaled steepest-descent (Cauchy) step cut at the
// boundary, else the point where the path from one to the other leaves the
// region. The Newton step comes from a pivoted QR of J (qr.ts); where J is
// singular, its rank-deficient part is left out. Unlike hybrj, the Jacobian is
// recomputed at every accepted point (it is exact and cheap here) rather than
// updated by Broyden's formula.
import { allFinite, dampedSolve, norm2, pivotedQR, scaledNorm as scaled, unpivot } from "./qr.js";
import type { LmReason, Problem } from "./levenberg-marquardt.js";

export interface DoglegSettings {
  /** A root when ‖F‖ ≤ this. */
  tolerance: number;
  maxIterations: number;
}

export interface DoglegOutcome {
  x: Float64Array;
  residual: Float64Array;
  iterations: number;
  evaluations: number;
  /** "root", or why it stopped short: the region shrank below x's resolution ("step"), no progress, iterations, non-finite. */
  reason: "root" | Extract<LmReason, "step" | "iterations" | "non-finite" | "no progress">;
}

const EPS = 2.220446049250313e-16;

export function dogleg(problem: Problem, x0: Float64Array, s: DoglegSettings): DoglegOutcome {
  const n = problem.n;
  let x = Float64Array.from(x0), F = problem.residuals(x), evaluations = 1, iterations = 0;
  const finish = (reason: DoglegOutcome["reason"]): DoglegOutcome => ({ x, residual: F, iterations, evaluations, reason });
  if (!allFinite(F)) return finish("non-finite");
  let fnorm = norm2(F);
  const D = new Float64Array(n);
  let delta = 0, failures = 0;
  for (;;) {
    if (fnorm <= s.tolerance) return finish("root");
    if (iterations >= s.maxIterations) return finish("iterations");
    iterations++;
    const J = problem.jacobian(x);
    if (!allFinite(J)) return finish("non-finite");
    const qr = pivotedQR(J, n, n, F);
    for (let j = 0; j < n; j++) D[j] = iterations === 1 ? qr.columnNorms[j] || 1 : Math.max(D[j], qr.columnNorms[j]);
    if (iterations === 1) delta = Math.max(100 * scaled(D, x), 100);
    // Newton (pivoted order → J's order), and the gradient of ½‖F‖² scaled by D: g = D⁻¹·JᵀF
    const newton = unpivot(dampedSolve(qr, Float64Array.from(qr.perm, (j) => D[j]), 0).z, qr.perm);
    const g = new Float64Array(n);
    for (let j = 0; j < n; j++) { let t = 0; for (let i = 0; i < n; i++) t += J[i * n + j] * F[i]; g[j] = t / D[j]; }
    for (;;) {
      const p = doglegStep(J, n, D, newton, g, delta);
      const trial = Float64Array.from(x, (v, j) => v + p[j]);
      const Ft = problem.residuals(trial);
      evaluations++;
      const tnorm = allFinite(Ft) ? norm2(Ft) : Infinity;
      const model = norm2(Float64Array.from(F, (f, i) => { let t = f; for (let j = 0; j < n; j++) t += J[i * n + j] * p[j]; return t; }));
      const predicted = 1 - (model / fnorm) ** 2, actual = tnorm < fnorm ? 1 - (tnorm / fnorm) ** 2 : -1;
      const ratio = predicted > 0 ? actual / predicted : 0, pnorm = scaled(D, p);
      if (ratio < 0.1) { delta = 0.5 * Math.min(delta, pnorm); failures++; }
      else { failures = 0; if (ratio >= 0.5 || pnorm >= 0.99 * delta) delta = Math.max(delta, 2 * pnorm); }
      if (ratio >= 1e-4) {
        x = trial;
        F = Ft;
        fnorm = tnorm;
        break;
      }
      if (delta <= EPS * scaled(D, x)) return finish("step");
      if (failures >= 60) return finish("no progress");
    }
  }
}

/** The dogleg point in ‖D·p‖ ≤ Δ between the Cauchy step along −D⁻¹g and the Newton step. */
function doglegStep(J: Float64Array, n: number, D: Float64Array, newton: Float64Array, g: Float64Array, delta: number): Float64Array {
  const qnorm = scaled(D, newton);
  if (qnorm <= delta) return newton;
  // the Cauchy step: −α·D⁻¹·g with α = ‖g‖²/‖J·D⁻¹·g‖² (in x: −α·D⁻²·JᵀF)
  const gnorm = norm2(g), dir = Float64Array.from(g, (v, j) => v / gnorm / D[j]);
  const Jd = new Float64Array(n);
  for (let i = 0; i < n; i++) { let t = 0; for (let j = 0; j < n; j++) t += J[i * n + j] * dir[j]; Jd[i] = t; }
  const sgnorm = gnorm / norm2(Jd) ** 2; // the Cauchy step's length, in the scaled norm
  if (gnorm === 0 || sgnorm >= delta) return Float64Array.from(dir, (v) => (gnorm === 0 ? 0 : -delta * v));
  // from c = −sgnorm·dir toward newton: c + τ(newton − c) with ‖D(c + τ(newton − c))‖ = Δ
  const c = Float64Array.from(dir, (v) => -sgnorm * v), w = Float64Array.from(newton, (v, j) => v - c[j]);
  let cc = 0, cw = 0, ww = 0;
  for (let j = 0; j < n; j++) { const a = D[j] * c[j], b = D[j] * w[j]; cc += a * a; cw += a * b; ww += b * b; }
  const tau = (-cw + Math.sqrt(cw * cw + ww * (delta * delta - cc))) / ww;
  return Float64Array.from(c, (v, j) => v + tau * w[j]);
}
