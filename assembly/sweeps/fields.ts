import { luFactor, luDet } from "../core/linalg";
import { fillRow } from "../core/rows";

// Divergence and curl of vector fields, from a batch of Jacobians; and Jacobians
// spread back from a column coloring.
//
//   J: count × n × n f64, row-major: J[(p·n + i)·n + j] = ∂f_i/∂x_j at point p

/** out[p] = Σ_i ∂f_i/∂x_i: the trace of each Jacobian. */
export function divergenceFromJacobians(J: usize, count: i32, n: i32, out: usize): void {
  const nn = <usize>(n * n) << 3, diag = <usize>(n + 1) << 3;
  for (let p = 0; p < count; p++) {
    const Jp = J + <usize>p * nn;
    let s: f64 = 0;
    for (let i = 0; i < n; i++) s += load<f64>(Jp + <usize>i * diag);
    store<f64>(out + (<usize>p << 3), s);
  }
}

/**
 * The curl of each Jacobian. n = 2: out[p] = ∂f1/∂x0 − ∂f0/∂x1 (a scalar per point);
 * n = 3: out[3p..3p+2] = (∂f2/∂x1 − ∂f1/∂x2, ∂f0/∂x2 − ∂f2/∂x0, ∂f1/∂x0 − ∂f0/∂x1).
 */
export function curlFromJacobians(J: usize, count: i32, n: i32, out: usize): void {
  for (let p = 0; p < count; p++) {
    const Jp = J + (<usize>(p * n * n) << 3);
    if (n == 2) {
      store<f64>(out + (<usize>p << 3), load<f64>(Jp, 16) - load<f64>(Jp, 8));
    } else {
      const o = out + (<usize>(p * 3) << 3);
      // J[i][j] at byte (3i + j)·8
      store<f64>(o, load<f64>(Jp, 56) - load<f64>(Jp, 40));      // ∂f2/∂x1 − ∂f1/∂x2
      store<f64>(o, load<f64>(Jp, 16) - load<f64>(Jp, 48), 8);   // ∂f0/∂x2 − ∂f2/∂x0
      store<f64>(o, load<f64>(Jp, 24) - load<f64>(Jp, 8), 16);   // ∂f1/∂x0 − ∂f0/∂x1
    }
  }
}

/**
 * out[p] = det J_p: how much the map stretches (|det| > 1) or squeezes volume near
 * point p, and whether it flips orientation (det < 0). `scratch` holds n·n f64
 * then n i32. LU with partial pivoting (linalg.ts).
 */
export function determinantsOfJacobians(J: usize, count: i32, n: i32, out: usize, scratch: usize): void {
  const nn = <usize>(n * n) << 3, perm = scratch + nn;
  for (let p = 0; p < count; p++) {
    memory.copy(scratch, J + <usize>p * nn, nn);
    const sign = luFactor(scratch, perm, n);
    store<f64>(out + (<usize>p << 3), luDet(scratch, n, sign));
  }
}

/**
 * Diagonals [count, n] of square Jacobians from column-colored tangents T
 * [count, n, C]: entry i is T[p][i][colorOf[i]] (no other column of that color
 * meets row i).
 */
export function diagonalFromColored(T: usize, count: i32, n: i32, C: i32, colorOf: usize, out: usize): void {
  for (let p = 0; p < count; p++) {
    for (let i = 0; i < n; i++) {
      const lane = load<i32>(colorOf + (<usize>i << 2));
      store<f64>(out + (<usize>(p * n + i) << 3), load<f64>(T + (<usize>((p * n + i) * C + lane) << 3)));
    }
  }
}

/**
 * Jacobians [count, m, n] from column-colored tangents T [count, m, C]
 * (bindings/ir/sparsity.ts): entry (o, j) of the pattern (j = cols[k] for k from
 * rowStart[o] to rowStart[o + 1] − 1) is T[p][o][colorOf[j]]; every other entry
 * is a structural zero.
 */
export function spreadColored(T: usize, count: i32, m: i32, n: i32, C: i32,
                              rowStart: usize, cols: usize, colorOf: usize, out: usize): void {
  for (let p = 0; p < count; p++) {
    for (let o = 0; o < m; o++) {
      const row = out + (<usize>((p * m + o) * n) << 3), lanes = T + (<usize>((p * m + o) * C) << 3);
      fillRow(row, n, 0);
      for (let k = load<i32>(rowStart + (<usize>o << 2)), end = load<i32>(rowStart + (<usize>(o + 1) << 2)); k < end; k++) {
        const j = load<i32>(cols + (<usize>k << 2));
        store<f64>(row + (<usize>j << 3), load<f64>(lanes + (<usize>load<i32>(colorOf + (<usize>j << 2)) << 3)));
      }
    }
  }
}
