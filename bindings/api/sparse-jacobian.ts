// The Jacobian as a sparse matrix (CSR), for large systems whose outputs each
// depend on a few inputs: the structural pattern is read off the graph
// (ir/sparsity.ts), and the entries come from one forward sweep per 16 colors of
// a column coloring where that saves sweeps (the same numbers, bit for bit, as
// the dense forward-mode Jacobian's), else from the dense Jacobian in the
// default mode (reverse when m < n, whose last bits may differ).
import type { JacobianStructure } from "../ir/sparsity.js";

/** A sparse Jacobian in compressed sparse row form. */
export interface SparseJacobian {
  /** The shape, [m, n]: the outputs (flattened) by the inputs (every input's entries, in order). */
  shape: [number, number];
  /** Row o's entries are values[rowStart[o]] … values[rowStart[o + 1] − 1] (m + 1 offsets). */
  rowStart: Int32Array;
  /** The column of each entry, ascending within a row. */
  cols: Int32Array;
  /** ∂f_o/∂x_cols[k]: every entry of the structural pattern (some may be 0 at this point). */
  values: Float64Array;
}

/** What the gathering needs of a function at one point. */
export interface SparseJacobianView {
  m: number;
  n: number;
  structure: JacobianStructure;
  /** The colored sweep's compressed rows [m, colors]: row o, lane c is Σ ∂f_o/∂x_j over the inputs j of color c. */
  compressed(out: Float64Array): void;
  /** The dense Jacobian [m, n]. */
  dense(out: Float64Array): void;
}

/** The entries of the pattern at one point, from the colored sweep or the dense Jacobian. */
export function sparseValues(view: SparseJacobianView): Float64Array {
  const { m, n, structure: { rowStart, cols, coloring } } = view;
  const values = new Float64Array(cols.length);
  if (coloring) {
    const C = coloring.count, rows = new Float64Array(m * C), colors = coloring.colors;
    view.compressed(rows);
    for (let o = 0; o < m; o++) for (let k = rowStart[o]; k < rowStart[o + 1]; k++) values[k] = rows[o * C + colors[cols[k]]];
  } else {
    const J = new Float64Array(m * n);
    view.dense(J);
    for (let o = 0; o < m; o++) for (let k = rowStart[o]; k < rowStart[o + 1]; k++) values[k] = J[o * n + cols[k]];
  }
  return values;
}
