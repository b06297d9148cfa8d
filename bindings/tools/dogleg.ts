// Powell's hybrid (dogleg) method for F(x) = 0, F: ℝⁿ → ℝⁿ, with the exact
// Jacobian, after MINPACK's hybrj (Moré, Garbow and Hillstrom, 1980): in a trust
// region ‖D·p‖ ≤ Δ (D the largest column norms of J seen), the step is Newton's
// where it fits, else the scaled steepest-descent (Cauchy) step cut at the
// boundary, else the point where the path from one to the other leaves the
// region. The Newton step comes from a pivoted QR of J (qr.ts); where J is
// singular, its rank-deficient part is left out. A large system with a sparse
// Jacobian whose columns order into a narrow band is factored in the band
// instead (banded-qr.ts). Unlike hybrj, the Jacobian is recomputed at every
// accepted point (it is exact and cheap here) rather than updated by Broyden's
// formula.
import { allFinite, dampedSolve, norm2, pivotedQR, scaledNorm as scaled, transposeTimes, unpivot } from "./qr.js";
import { bandOrder, bandedQR, bandedSolve, sparseColumnNorms, type BandOrder, type SparseRows } from "./banded-qr.js";
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
  /**
   * "root" (‖F‖ within the tolerance, or each |Fᵢ| within rounding of its terms), or why it stopped short:
   * the region shrank below x's resolution away from a root ("step"), no progress, iterations, non-finite.
   */
  reason: "root" | Extract<LmReason, "step" | "iterations" | "non-finite" | "no progress">;
}

/** A sparse Jacobian: its fixed pattern, and its entries at a point. */
export interface SparseJacobianSource {
  pattern: SparseRows;
  values(x: Float64Array): Float64Array;
}

/** J at a point as the dogleg uses it: its column norms, the Newton step (least squares, J's rank-deficient part left out), J·v and Jᵀ·u. */
interface Linearized {
  columnNorms: Float64Array;
  newton: Float64Array;
  /** start + J·v (start absent: 0), each row summed from its start. */
  times(v: Float64Array, start?: Float64Array): Float64Array;
  /** |J|·v, entry by entry in absolute value (v ≥ 0): the size of each row's terms at v. */
  absTimes(v: Float64Array): Float64Array;
  transposeTimes(u: Float64Array): Float64Array;
}

const EPS = 2.220446049250313e-16;
/** How many ε of its terms' size an equation may be off and x still count as a root to rounding. */
const ROUNDING_STEPS = 16;

/** The banded factorization pays where the band is under a third of n (its cost m·w² against the dense m·n²). */
const worthBanding = (band: BandOrder, n: number) => 3 * (band.width + 1) < n;

/**
 * A root of problem.residuals by the dogleg, from x0. With `sparse` (the
 * Jacobian's pattern and entries), a band narrow enough is factored in the band.
 */
export function dogleg(problem: Problem, x0: Float64Array, s: DoglegSettings, sparse?: SparseJacobianSource): DoglegOutcome {
  const n = problem.n;
  const band = sparse && bandOrder(sparse.pattern, n);
  const linearize = (x: Float64Array, F: Float64Array): Linearized | undefined => {
    if (sparse && band && worthBanding(band, n)) {
      const J = { ...sparse.pattern, values: sparse.values(x) };
      if (!allFinite(J.values)) return undefined;
      // A singular J leaves directions out of the band's unpivoted QR, whose Newton step then grows
      // like 1/c^n along a chain (roots near 1e13 for a system the pivoted QR solves in one step):
      // such a J is factored dense, pivoted.
      return bandedModel(J, n, band, F) ?? denseModel(denseOf(J, n), n, F);
    }
    const J = problem.jacobian(x);
    return allFinite(J) ? denseModel(J, n, F) : undefined;
  };
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
    const J = linearize(x, F);
    if (!J) return finish("non-finite");
    for (let j = 0; j < n; j++) D[j] = iterations === 1 ? J.columnNorms[j] || 1 : Math.max(D[j], J.columnNorms[j]);
    if (iterations === 1) delta = Math.max(100 * scaled(D, x), 100);
    // the gradient of ½‖F‖² scaled by D: g = D⁻¹·JᵀF
    const g = J.transposeTimes(F).map((v, j) => v / D[j]);
    for (;;) {
      const p = doglegStep(J, D, g, delta);
      const trial = Float64Array.from(x, (v, j) => v + p[j]);
      const Ft = problem.residuals(trial);
      evaluations++;
      const tnorm = allFinite(Ft) ? norm2(Ft) : Infinity;
      const model = norm2(J.times(p, F));
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
      if (delta <= EPS * scaled(D, x)) {
        // The region is below x's resolution. x is a root to rounding if each Fᵢ is within what
        // rounding x's terms makes of it, |Fᵢ| ≤ ROUNDING_STEPS·ε·(|J|·|x|)ᵢ (x² = 2e6 at its nearest
        // double leaves F = 2.3e-10, above the tolerance; an unknown that is exactly 0 counts too).
        // Else it is a minimum of ‖F‖ that is not a root (an inconsistent system, where F stays large).
        const terms = J.absTimes(x.map(Math.abs));
        return finish(F.every((v, i) => Math.abs(v) <= ROUNDING_STEPS * EPS * terms[i]) ? "root" : "step");
      }
      if (failures >= 60) return finish("no progress");
    }
  }
}

/** The dogleg point in ‖D·p‖ ≤ Δ between the Cauchy step along −D⁻¹g and the Newton step. */
function doglegStep(J: Linearized, D: Float64Array, g: Float64Array, delta: number): Float64Array {
  const n = D.length, newton = J.newton;
  const qnorm = scaled(D, newton);
  if (qnorm <= delta) return newton;
  // the Cauchy step: −α·D⁻¹·g with α = ‖g‖²/‖J·D⁻¹·g‖² (in x: −α·D⁻²·JᵀF)
  const gnorm = norm2(g), dir = Float64Array.from(g, (v, j) => v / gnorm / D[j]);
  const Jd = J.times(dir);
  const sgnorm = gnorm / norm2(Jd) ** 2; // the Cauchy step's length, in the scaled norm
  if (gnorm === 0 || sgnorm >= delta) return Float64Array.from(dir, (v) => (gnorm === 0 ? 0 : -delta * v));
  // from c = −sgnorm·dir toward newton: c + τ(newton − c) with ‖D(c + τ(newton − c))‖ = Δ
  const c = Float64Array.from(dir, (v) => -sgnorm * v), w = Float64Array.from(newton, (v, j) => v - c[j]);
  let cc = 0, cw = 0, ww = 0;
  for (let j = 0; j < n; j++) { const a = D[j] * c[j], b = D[j] * w[j]; cc += a * a; cw += a * b; ww += b * b; }
  const tau = (-cw + Math.sqrt(cw * cw + ww * (delta * delta - cc))) / ww;
  return Float64Array.from(c, (v, j) => v + tau * w[j]);
}

/** A sparse J's entries as a dense n × n matrix, row-major. */
function denseOf(J: SparseRows & { values: Float64Array }, n: number): Float64Array {
  const dense = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let k = J.rowStart[i]; k < J.rowStart[i + 1]; k++) dense[i * n + J.cols[k]] += J.values[k];
  return dense;
}

/** A dense J through its pivoted QR. */
function denseModel(J: Float64Array, n: number, F: Float64Array): Linearized {
  const qr = pivotedQR(J, n, n, F);
  return {
    columnNorms: qr.columnNorms,
    newton: unpivot(dampedSolve(qr, new Float64Array(n), 0).z, qr.perm), // (pivoted order → J's order)
    times: (v, start) => Float64Array.from({ length: n }, (_, i) => { let t = start ? start[i] : 0; for (let j = 0; j < n; j++) t += J[i * n + j] * v[j]; return t; }),
    absTimes: (v) => Float64Array.from({ length: n }, (_, i) => { let t = 0; for (let j = 0; j < n; j++) t += Math.abs(J[i * n + j]) * v[j]; return t; }),
    transposeTimes: (u) => transposeTimes(J, n, n, u),
  };
}

/** A sparse J factored in its band; undefined where the factorization left a direction out (J singular). */
function bandedModel(J: SparseRows & { values: Float64Array }, n: number, band: BandOrder, F: Float64Array): Linearized | undefined {
  const { rowStart, cols, values } = J, m = rowStart.length - 1;
  const qr = bandedQR(J, n, band, F);
  for (let k = 0; k < n; k++) if (qr.R[k * (qr.width + 1)] === 0) return undefined;
  return {
    columnNorms: sparseColumnNorms(J, n),
    newton: bandedSolve(qr),
    times: (v, start) => Float64Array.from({ length: m }, (_, i) => { let t = start ? start[i] : 0; for (let k = rowStart[i]; k < rowStart[i + 1]; k++) t += values[k] * v[cols[k]]; return t; }),
    absTimes: (v) => Float64Array.from({ length: m }, (_, i) => { let t = 0; for (let k = rowStart[i]; k < rowStart[i + 1]; k++) t += Math.abs(values[k]) * v[cols[k]]; return t; }),
    transposeTimes: (u) => {
      const out = new Float64Array(n);
      for (let i = 0; i < m; i++) for (let k = rowStart[i]; k < rowStart[i + 1]; k++) out[cols[k]] += values[k] * u[i];
      return out;
    },
  };
}
