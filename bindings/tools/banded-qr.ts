// QR of a sparse Jacobian whose columns can be ordered into a narrow band, for
// large systems (findRoot's dogleg): a column order from a breadth-first sweep
// of the columns' row-sharing graph (reverse Cuthill–McKee), then Givens
// rotations that fold the rows, one at a time, into an upper-triangular R of the
// same band (George and Heath, 1980). An m×n Jacobian of half-bandwidth w costs
// O(m·w²) and O(n·w) memory, where the dense pivoted QR (qr.ts) costs O(m·n²):
// the extended Powell function at n = 1,000 has w = 3.
import { norm2 } from "./qr.js";

/** A sparse matrix in compressed rows: row i's entries are values[rowStart[i] … rowStart[i + 1]) at columns cols[…]. */
export interface SparseRows {
  rowStart: Int32Array;
  cols: Int32Array;
}

/** A column order and the band it gives: every row's columns lie within `width` positions of each other. */
export interface BandOrder {
  /** order[k] is the column at position k. */
  order: Int32Array;
  /** position[j] is column j's position. */
  position: Int32Array;
  width: number;
}

/** The narrower of the natural order's band and the reverse Cuthill–McKee order's. */
export function bandOrder(pattern: SparseRows, n: number): BandOrder {
  const natural = Int32Array.from({ length: n }, (_, j) => j);
  const naturalWidth = widthOf(pattern, natural);
  const rcm = reverseCuthillMcKee(pattern, n);
  const rcmPosition = new Int32Array(n);
  rcm.forEach((j, k) => { rcmPosition[j] = k; });
  const rcmWidth = widthOf(pattern, rcmPosition);
  return rcmWidth < naturalWidth ? { order: rcm, position: rcmPosition, width: rcmWidth } : { order: natural, position: natural, width: naturalWidth };
}

/** The largest span of positions within one row. */
function widthOf({ rowStart, cols }: SparseRows, position: Int32Array): number {
  let width = 0;
  for (let i = 0; i + 1 < rowStart.length; i++) {
    let lo = Infinity, hi = -Infinity;
    for (let k = rowStart[i]; k < rowStart[i + 1]; k++) { const p = position[cols[k]]; lo = Math.min(lo, p); hi = Math.max(hi, p); }
    if (hi >= lo) width = Math.max(width, hi - lo);
  }
  return width;
}

/**
 * Columns in reverse Cuthill–McKee order: breadth first over "shares a row",
 * from a column of fewest neighbours in each connected part, neighbours by
 * ascending degree, the whole order reversed. Each row is expanded once, so the
 * cost is O(entries), not O(Σ row²).
 */
function reverseCuthillMcKee({ rowStart, cols }: SparseRows, n: number): Int32Array {
  const m = rowStart.length - 1;
  // the rows of each column (CSC), and each column's degree as Σ of its rows' lengths
  const colStart = new Int32Array(n + 1);
  for (let k = 0; k < cols.length; k++) colStart[cols[k] + 1]++;
  for (let j = 0; j < n; j++) colStart[j + 1] += colStart[j];
  const rowsOf = new Int32Array(cols.length), fill = colStart.slice(0, n), degree = new Float64Array(n);
  for (let i = 0; i < m; i++) {
    for (let k = rowStart[i]; k < rowStart[i + 1]; k++) {
      rowsOf[fill[cols[k]]++] = i;
      degree[cols[k]] += rowStart[i + 1] - rowStart[i] - 1;
    }
  }
  const byDegree = Int32Array.from({ length: n }, (_, j) => j).sort((a, b) => degree[a] - degree[b] || a - b);
  const placed = new Uint8Array(n), rowDone = new Uint8Array(m), order = new Int32Array(n);
  let head = 0, tail = 0;
  for (const start of byDegree) {
    if (placed[start]) continue;
    placed[start] = 1;
    order[tail++] = start;
    while (head < tail) {
      const j = order[head++], from = tail;
      for (let r = colStart[j]; r < colStart[j + 1]; r++) {
        const i = rowsOf[r];
        if (rowDone[i]) continue;
        rowDone[i] = 1;
        for (let k = rowStart[i]; k < rowStart[i + 1]; k++) {
          const c = cols[k];
          if (!placed[c]) { placed[c] = 1; order[tail++] = c; }
        }
      }
      order.subarray(from, tail).sort((a, b) => degree[a] - degree[b] || a - b);
    }
  }
  return order.reverse();
}

/** R (upper triangular, band of width w, positions' order) and Qᵀb of an m×n sparse J with unit columns. */
export interface BandedQR {
  n: number;
  width: number;
  /** R[k, k + d] at R[k·(width + 1) + d], d = 0 … width; a row of zeros where a direction was left out. */
  R: Float64Array;
  /** The first n entries of Qᵀb, by position. */
  qtb: Float64Array;
  band: BandOrder;
  /** The norm of the column at each position (1 for an empty one): J's columns are divided by it. */
  scale: Float64Array;
}

/**
 * J·S⁻¹ = Q·R with J's columns in `band`'s order and S their norms (so that
 * "negligible" does not depend on the unknowns' units), by Givens rotations row
 * by row, applied to b as well. Where a diagonal of R comes out negligible (n·ε
 * of the largest), that direction is left out: the row's other entries and its
 * share of Qᵀb are folded into the rows below, so no equation is lost.
 */
export function bandedQR(J: SparseRows & { values: Float64Array }, n: number, band: BandOrder, b: Float64Array): BandedQR {
  const w = band.width, stride = w + 1, { rowStart, cols, values } = J;
  const norms = sparseColumnNorms(J, n), scale = Float64Array.from(band.order, (j) => norms[j] || 1);
  const R = new Float64Array(n * stride), qtb = new Float64Array(n), filled = new Uint8Array(n);
  const row = new Float64Array(n); // the row being folded in, by position
  /** Folds `row` (its entries in lo … hi) and its right-hand side into R and Qᵀb. */
  const fold = (lo: number, hi: number, extra: number): void => {
    for (let k = lo; k <= hi; k++) {
      const x = row[k];
      if (x === 0) continue;
      const Rk = k * stride;
      if (!filled[k]) { // R's row k is empty: the rest of this row becomes it
        filled[k] = 1;
        for (let j = k; j <= hi; j++) { R[Rk + j - k] = row[j]; row[j] = 0; }
        qtb[k] = extra;
        return;
      }
      const r = R[Rk];
      let c: number, s: number;
      if (Math.abs(r) < Math.abs(x)) { const t = r / x; s = 1 / Math.sqrt(1 + t * t); c = s * t; }
      else { const t = x / r; c = 1 / Math.sqrt(1 + t * t); s = c * t; }
      const end = Math.min(k + w, n - 1);
      for (let j = k; j <= end; j++) {
        const a = R[Rk + j - k], y = row[j];
        R[Rk + j - k] = c * a + s * y;
        row[j] = -s * a + c * y;
      }
      row[k] = 0;
      const a = qtb[k];
      qtb[k] = c * a + s * extra;
      extra = -s * a + c * extra;
      hi = Math.max(hi, end);
    }
  };
  for (let i = 0; i + 1 < rowStart.length; i++) {
    let lo = n, hi = -1;
    for (let k = rowStart[i]; k < rowStart[i + 1]; k++) {
      const p = band.position[cols[k]];
      row[p] += values[k] / scale[p];
      lo = Math.min(lo, p);
      hi = Math.max(hi, p);
    }
    fold(lo, hi, b[i]);
  }
  let largest = 0;
  for (let k = 0; k < n; k++) largest = Math.max(largest, Math.abs(R[k * stride]));
  const negligible = largest * n * EPS;
  for (let k = 0; k < n; k++) {
    const Rk = k * stride;
    if (!filled[k] || Math.abs(R[Rk]) > negligible) continue;
    const end = Math.min(k + w, n - 1);
    for (let j = k + 1; j <= end; j++) row[j] = R[Rk + j - k];
    R.fill(0, Rk, Rk + stride);
    const extra = qtb[k];
    qtb[k] = 0;
    fold(k + 1, end, extra);
  }
  return { n, width: w, R, qtb, band, scale };
}

/** z minimizing ‖J·z + b‖ from its banded QR, in J's column order; a direction left out (R's diagonal 0) gets 0. */
export function bandedSolve(qr: BandedQR): Float64Array {
  const { n, width: w, R, qtb, scale } = qr, stride = w + 1;
  const z = new Float64Array(n);
  for (let k = n - 1; k >= 0; k--) {
    const d = R[k * stride];
    if (d === 0) continue;
    let t = -qtb[k];
    for (let j = k + 1; j <= Math.min(k + w, n - 1); j++) t -= R[k * stride + j - k] * z[j];
    z[k] = t / d;
  }
  const x = new Float64Array(n);
  for (let k = 0; k < n; k++) x[qr.band.order[k]] = z[k] / scale[k];
  return x;
}

const EPS = 2.220446049250313e-16;

/** The Euclidean norm of each column of a sparse J. */
export function sparseColumnNorms(J: SparseRows & { values: Float64Array }, n: number): Float64Array {
  const byColumn: number[][] = Array.from({ length: n }, () => []);
  for (let k = 0; k < J.cols.length; k++) byColumn[J.cols[k]].push(J.values[k]);
  return Float64Array.from(byColumn, (c) => norm2(c));
}
