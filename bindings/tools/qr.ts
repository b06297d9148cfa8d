// Dense QR factorizations for least squares (least-squares.ts): Householder QR
// with column pivoting of the Jacobian, and the small damped solves of the
// Levenberg–Marquardt step, after MINPACK's qrfac and qrsolv (Moré, Garbow and
// Hillstrom, 1980). Nothing here forms JᵀJ: its condition number is the square
// of J's, and the hard NIST problems need the digits that would lose.

/** J·Π = Q·R for an m×n J (m ≥ n): R upper triangular (n×n, row-major), Π a column order, and Qᵀb. */
export interface PivotedQR {
  n: number;
  R: Float64Array;
  /** perm[k] is the column of J in position k. */
  perm: Int32Array;
  /** The first n entries of Qᵀb. */
  qtb: Float64Array;
  /** The Euclidean norms of J's columns (by J's order). */
  columnNorms: Float64Array;
  /** Leading diagonal entries of R not negligible (the numerical rank). */
  rank: number;
}

/** √(Σ x²) without overflow or underflow for entries far from 1 (scaled by the largest). */
export function norm2(x: ArrayLike<number>, from = 0, to = x.length): number {
  let scale = 0, sum = 1;
  for (let i = from; i < to; i++) {
    const a = Math.abs(x[i]);
    if (a === 0) continue;
    if (a > scale) { sum = 1 + sum * (scale / a) ** 2; scale = a; } else sum += (a / scale) ** 2;
  }
  return scale === 0 ? 0 : scale * Math.sqrt(sum);
}

/** ‖D·x‖, the norm in a scaling D (one factor per entry). */
export function scaledNorm(D: Float64Array, x: ArrayLike<number>): number {
  return norm2(Float64Array.from(D, (d, j) => d * x[j]));
}

/** Whether every entry is a finite number. */
export function allFinite(x: ArrayLike<number>): boolean {
  for (let i = 0; i < x.length; i++) if (!Number.isFinite(x[i])) return false;
  return true;
}

/** J·x for an m×n row-major J. */
export function matrixTimes(J: Float64Array, m: number, n: number, x: ArrayLike<number>): Float64Array {
  const y = new Float64Array(m);
  for (let i = 0; i < m; i++) { let t = 0; for (let j = 0; j < n; j++) t += J[i * n + j] * x[j]; y[i] = t; }
  return y;
}

/** Jᵀ·u for an m×n row-major J. */
export function transposeTimes(J: Float64Array, m: number, n: number, u: ArrayLike<number>): Float64Array {
  const g = new Float64Array(n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) g[j] += J[i * n + j] * u[i];
  return g;
}

/** The Euclidean norm of each column of an m×n row-major J. */
export function columnNorms(J: Float64Array, m: number, n: number): Float64Array {
  return Float64Array.from({ length: n }, (_, j) => norm2(Float64Array.from({ length: m }, (_, i) => J[i * n + j])));
}

/** A vector in pivoted order (entry k for column perm[k]) back in J's column order. */
export function unpivot(z: Float64Array, perm: Int32Array): Float64Array {
  const x = new Float64Array(z.length);
  for (let k = 0; k < z.length; k++) x[perm[k]] = z[k];
  return x;
}

/**
 * Householder QR with column pivoting of J, an m×n row-major matrix with m ≥ n,
 * applied to b as well. J is not modified. The next pivot is the column with
 * the largest part outside the span of those before, relative to its own norm
 * (the sine of its angle to that span), and the rank counts pivots whose sine
 * exceeds max(m, n)·ε: so rank and order are those of J with its columns
 * equilibrated, and do not change when a variable's units do (x in metres or
 * in 1e-17 of them; unscaled, a column 1e17 times shorter counted as dependent).
 */
export function pivotedQR(J: Float64Array, m: number, n: number, b: Float64Array): PivotedQR {
  const cols = Array.from({ length: n }, (_, j) => { const c = new Float64Array(m); for (let i = 0; i < m; i++) c[i] = J[i * n + j]; return c; });
  const y = Float64Array.from(b);
  const perm = Int32Array.from({ length: n }, (_, j) => j);
  const columnNorms = Float64Array.from(cols, (c) => norm2(c));
  const remaining = Float64Array.from(columnNorms), reference = Float64Array.from(columnNorms);
  const R = new Float64Array(n * n);
  for (let k = 0; k < n; k++) {
    const share = (j: number) => (columnNorms[perm[j]] > 0 ? remaining[j] / columnNorms[perm[j]] : 0);
    let best = k;
    // (ties, as every column's at the start, go to the longest: MINPACK's order where scales agree)
    for (let j = k + 1; j < n; j++) if (share(j) > share(best) || (share(j) === share(best) && remaining[j] > remaining[best])) best = j;
    if (best !== k) {
      [cols[k], cols[best]] = [cols[best], cols[k]];
      [perm[k], perm[best]] = [perm[best], perm[k]];
      [remaining[k], remaining[best]] = [remaining[best], remaining[k]];
      [reference[k], reference[best]] = [reference[best], reference[k]];
    }
    const c = cols[k];
    let alpha = norm2(c, k, m);
    if (alpha !== 0) {
      if (c[k] < 0) alpha = -alpha;
      for (let i = k; i < m; i++) c[i] /= alpha;
      c[k] += 1; // v = x/α + e_k, and H = I − v·vᵀ/v_k maps the column to −α·e_k
      for (let j = k + 1; j < n; j++) applyReflector(c, cols[j], k, m);
      applyReflector(c, y, k, m);
      // downdate the remaining norms; recompute where cancellation has eaten them
      for (let j = k + 1; j < n; j++) {
        if (remaining[j] === 0) continue;
        const t = 1 - (cols[j][k] / remaining[j]) ** 2;
        remaining[j] *= Math.sqrt(Math.max(t, 0));
        if (0.05 * (remaining[j] / reference[j]) ** 2 <= 2.2e-16) { remaining[j] = norm2(cols[j], k + 1, m); reference[j] = remaining[j]; }
      }
    }
    R[k * n + k] = -alpha;
  }
  // (off the diagonal, R is what the reflectors left above it: read after every swap)
  for (let k = 0; k < n; k++) for (let j = k + 1; j < n; j++) R[k * n + j] = cols[j][k];
  const tolerance = Math.max(m, n) * 2.2e-16;
  let rank = 0;
  while (rank < n && Math.abs(R[rank * n + rank]) > columnNorms[perm[rank]] * tolerance) rank++;
  return { n, R, perm, qtb: y.subarray(0, n).slice(), columnNorms, rank };
}

/** x ← H·x for the reflector H = I − v·vᵀ/v_k stored in v[k…m). */
function applyReflector(v: Float64Array, x: Float64Array, k: number, m: number): void {
  let s = 0;
  for (let i = k; i < m; i++) s += v[i] * x[i];
  const t = s / v[k];
  for (let i = k; i < m; i++) x[i] -= t * v[i];
}

/**
 * The damped step: z minimizing ‖R·z + qtb‖² + ‖√λ·d·z‖² (d the scaling of each
 * pivoted column), by Givens rotations that fold the diagonal rows into R, as
 * MINPACK's qrsolv. Returns z (pivoted order) and S, upper triangular with
 * SᵀS = RᵀR + λ·diag(d)², which the damping's Newton iteration needs.
 */
export function dampedSolve(qr: PivotedQR, d: Float64Array, lambda: number): { z: Float64Array; S: Float64Array } {
  const n = qr.n, S = Float64Array.from(qr.R), rhs = Float64Array.from(qr.qtb);
  const root = Math.sqrt(lambda);
  for (let j = 0; j < n; j++) {
    if (root === 0 || d[j] === 0) continue;
    // the row √λ·d_j·e_jᵀ, eliminated against rows j … n−1 of S
    const row = new Float64Array(n);
    row[j] = root * d[j];
    let extra = 0;
    for (let k = j; k < n; k++) {
      if (row[k] === 0) continue;
      const skk = S[k * n + k];
      let c: number, s: number;
      if (Math.abs(skk) < Math.abs(row[k])) { const t = skk / row[k]; s = 1 / Math.sqrt(1 + t * t); c = s * t; }
      else { const t = row[k] / skk; c = 1 / Math.sqrt(1 + t * t); s = c * t; }
      for (let i = k; i < n; i++) {
        const a = S[k * n + i], b = row[i];
        S[k * n + i] = c * a + s * b;
        row[i] = -s * a + c * b;
      }
      const a = rhs[k];
      rhs[k] = c * a + s * extra;
      extra = -s * a + c * extra;
    }
  }
  // back substitution, with a singular trailing block left at 0 (rank-deficient, λ = 0)
  const z = new Float64Array(n);
  let usable = n;
  for (let k = 0; k < n; k++) if (S[k * n + k] === 0) { usable = k; break; }
  for (let k = usable - 1; k >= 0; k--) {
    let t = -rhs[k];
    for (let i = k + 1; i < usable; i++) t -= S[k * n + i] * z[i];
    z[k] = t / S[k * n + k];
  }
  return { z, S };
}

/** w solving Sᵀ·w = b (S upper triangular, row-major n×n). */
export function solveTransposed(S: Float64Array, n: number, b: Float64Array): Float64Array {
  const w = Float64Array.from(b);
  for (let k = 0; k < n; k++) {
    let t = w[k];
    for (let i = 0; i < k; i++) t -= S[i * n + k] * w[i];
    w[k] = t / S[k * n + k];
  }
  return w;
}

/**
 * (RᵀR)⁻¹ = (JᵀJ)⁻¹ in J's column order (n×n), from the pivoted R; all NaN when
 * R is rank-deficient (then no parameter's variance is defined on its own).
 */
export function inverseNormal(qr: PivotedQR): Float64Array {
  const n = qr.n, R = qr.R;
  if (qr.rank < n) return new Float64Array(n * n).fill(NaN);
  // U = R⁻¹ (upper triangular), then (RᵀR)⁻¹ = U·Uᵀ, unpivoted
  const U = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    U[j * n + j] = 1 / R[j * n + j];
    for (let i = j - 1; i >= 0; i--) {
      let t = 0;
      for (let k = i + 1; k <= j; k++) t += R[i * n + k] * U[k * n + j];
      U[i * n + j] = -t / R[i * n + i];
    }
  }
  const C = new Float64Array(n * n);
  for (let a = 0; a < n; a++) for (let b = 0; b < n; b++) {
    let t = 0;
    for (let k = Math.max(a, b); k < n; k++) t += U[a * n + k] * U[b * n + k];
    C[qr.perm[a] * n + qr.perm[b]] = t;
  }
  return C;
}
