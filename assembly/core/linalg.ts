// Dense linear algebra on one small k×k matrix at a time (row-major f64 in
// linear memory): LU with partial pivoting, determinant, inverse and solve.
// Used by the matrix ops (det, inv, solve) and by Jacobian determinants; meant
// for k up to a few dozen — the cost is O(k³) per point.
//
// LU (Golub & Van Loan, Algorithm 3.4.1): PA = LU, L unit lower triangular
// stored below the diagonal, U on and above it, the row permutation in `perm`.
// A zero pivot column (a singular matrix) is left as it is, so det is exactly 0
// and inverse/solve divide by zero: ±Infinity or NaN, as IEEE says, never a trap.
import { MIN_NORMAL } from "./point-rules";

/** Largest k whose det gradient falls back to cofactors where det·A⁻ᵀ lost digits or range (O(k⁵); a singular matrix always does). */
const COFACTORS_UP_TO: i32 = 12;

// @ts-ignore: decorator
@inline function at(m: usize, k: i32, i: i32, j: i32): usize {
  return m + ((<usize>(i * k + j)) << 3);
}

/** Factors the k×k matrix at `lu` in place; perm[i] = original row of row i. Returns the permutation's sign. */
export function luFactor(lu: usize, perm: usize, k: i32): f64 {
  let sign: f64 = 1;
  for (let i = 0; i < k; i++) store<i32>(perm + (<usize>i << 2), i);
  for (let c = 0; c < k; c++) {
    let pivotRow = c, best = Math.abs(load<f64>(at(lu, k, c, c)));
    for (let r = c + 1; r < k; r++) {
      const v = Math.abs(load<f64>(at(lu, k, r, c)));
      if (v > best) { best = v; pivotRow = r; }
    }
    if (pivotRow != c) {
      for (let j = 0; j < k; j++) {
        const t = load<f64>(at(lu, k, c, j));
        store<f64>(at(lu, k, c, j), load<f64>(at(lu, k, pivotRow, j)));
        store<f64>(at(lu, k, pivotRow, j), t);
      }
      const t = load<i32>(perm + (<usize>c << 2));
      store<i32>(perm + (<usize>c << 2), load<i32>(perm + (<usize>pivotRow << 2)));
      store<i32>(perm + (<usize>pivotRow << 2), t);
      sign = -sign;
    }
    const pivot = load<f64>(at(lu, k, c, c));
    if (pivot == 0) continue; // singular: nothing to eliminate below a zero column
    for (let r = c + 1; r < k; r++) {
      const l = load<f64>(at(lu, k, r, c)) / pivot;
      store<f64>(at(lu, k, r, c), l);
      if (l != 0) for (let j = c + 1; j < k; j++) {
        store<f64>(at(lu, k, r, j), load<f64>(at(lu, k, r, j)) - l * load<f64>(at(lu, k, c, j)));
      }
    }
  }
  return sign;
}

/** det(A) from its LU factors and permutation sign. */
export function luDet(lu: usize, k: i32, sign: f64): f64 {
  let d = sign;
  for (let i = 0; i < k; i++) d *= load<f64>(at(lu, k, i, i));
  return d;
}

/** Solves A·x = b for one right-hand side in place (x overwrites b, length k), given A's LU. */
export function luSolve(lu: usize, perm: usize, k: i32, b: usize, tmp: usize): void {
  // Forward substitution on P·b, then back substitution.
  for (let i = 0; i < k; i++) {
    let s = load<f64>(b + (<usize>load<i32>(perm + (<usize>i << 2)) << 3));
    for (let j = 0; j < i; j++) s -= load<f64>(at(lu, k, i, j)) * load<f64>(tmp + (<usize>j << 3));
    store<f64>(tmp + (<usize>i << 3), s);
  }
  for (let i = k - 1; i >= 0; i--) {
    let s = load<f64>(tmp + (<usize>i << 3));
    for (let j = i + 1; j < k; j++) s -= load<f64>(at(lu, k, i, j)) * load<f64>(b + (<usize>j << 3));
    store<f64>(b + (<usize>i << 3), s / load<f64>(at(lu, k, i, i)));
  }
}

/** inv = A⁻¹ (k×k, row-major) from A's LU, column by column; `col` and `tmp` hold k f64 each. */
export function luInverse(lu: usize, perm: usize, k: i32, inv: usize, col: usize, tmp: usize): void {
  for (let j = 0; j < k; j++) {
    for (let i = 0; i < k; i++) store<f64>(col + (<usize>i << 3), i == j ? 1 : 0);
    luSolve(lu, perm, k, col, tmp);
    for (let i = 0; i < k; i++) store<f64>(at(inv, k, i, j), load<f64>(col + (<usize>i << 3)));
  }
}

/** Solves Aᵀ·y = c in place (y overwrites c), given A's LU: Uᵀz = c, Lᵀw = z, y = Pᵀw. */
export function luSolveTransposed(lu: usize, perm: usize, k: i32, c: usize, tmp: usize): void {
  for (let i = 0; i < k; i++) { // Uᵀ is lower triangular
    let s = load<f64>(c + (<usize>i << 3));
    for (let j = 0; j < i; j++) s -= load<f64>(at(lu, k, j, i)) * load<f64>(tmp + (<usize>j << 3));
    store<f64>(tmp + (<usize>i << 3), s / load<f64>(at(lu, k, i, i)));
  }
  for (let i = k - 1; i >= 0; i--) { // Lᵀ is unit upper triangular
    let s = load<f64>(tmp + (<usize>i << 3));
    for (let j = i + 1; j < k; j++) s -= load<f64>(at(lu, k, j, i)) * load<f64>(tmp + (<usize>j << 3));
    store<f64>(tmp + (<usize>i << 3), s);
  }
  for (let i = 0; i < k; i++) {
    store<f64>(c + (<usize>load<i32>(perm + (<usize>i << 2)) << 3), load<f64>(tmp + (<usize>i << 3)));
  }
}

/**
 * ∂det/∂A of the k×k matrix `a` (row-major), into `grad`: det·(A⁻¹)ᵀ from the
 * factors when det is a normal number and every product is finite (or k is
 * above COFACTORS_UP_TO and det ≠ 0), and otherwise the cofactor matrix itself — the determinants of the (k−1)×(k−1)
 * minors, O(k⁵) — because det·A⁻¹ is 0·∞ at a singular matrix, 1e-307·1e309
 * where A⁻¹ leaves the range and the cofactors do not, and a subnormal det has
 * lost digits, while the derivative of a polynomial is always defined.
 * `inv` holds A⁻¹ when det ≠ 0; `minor` has room for (k−1)² f64 and k i32.
 */
export function detGradient(a: usize, k: i32, det: f64, inv: usize, grad: usize, minor: usize): void {
  if (det != 0 && Number.isFinite(det)) {
    let finite = true;
    for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) {
      const g = det * load<f64>(at(inv, k, j, i));
      store<f64>(at(grad, k, i, j), g);
      finite = finite && Number.isFinite(g);
    }
    // (the cofactors' O(k⁵) only where they are cheap: a large matrix keeps det·A⁻ᵀ as it is)
    if ((finite && Math.abs(det) >= MIN_NORMAL) || k > COFACTORS_UP_TO) return;
  }
  const m = k - 1, perm = minor + ((<usize>(m * m)) << 3);
  for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) {
    if (m == 0) { store<f64>(grad, 1); continue; }
    for (let r = 0, rr = 0; r < k; r++) {
      if (r == i) continue;
      for (let c = 0, cc = 0; c < k; c++) {
        if (c == j) continue;
        store<f64>(at(minor, m, rr, cc), load<f64>(at(a, k, r, c)));
        cc++;
      }
      rr++;
    }
    const sign = luFactor(minor, perm, m);
    store<f64>(at(grad, k, i, j), ((i + j) & 1 ? -1 : 1) * luDet(minor, m, sign));
  }
}
