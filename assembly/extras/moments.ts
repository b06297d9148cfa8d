// Running means and variances of sampled estimates, for Monte Carlo results and
// their standard errors. Each call folds a chunk of C rows of w numbers into
// running statistics by Chan, Golub & LeVeque's pairwise update (the chunk's own
// mean and M2 computed in two passes), which stays accurate when the mean is
// large compared with the spread.
//
//   stats: [n, mean_0 … mean_(w−1), M2_0 … M2_(w−1)]  (M2 = Σ (x − mean)²)

/** Folds rows data[c·w + k], c < C, into `stats`. */
export function accumulateMoments(data: usize, C: i32, w: i32, stats: usize): void {
  if (C == 0) return;
  const n0 = load<f64>(stats), n1 = <f64>C, n = n0 + n1;
  for (let k = 0; k < w; k++) {
    let s: f64 = 0;
    for (let c = 0; c < C; c++) s += load<f64>(data + (<usize>(c * w + k) << 3));
    const m1 = s / n1;
    let q: f64 = 0;
    for (let c = 0; c < C; c++) {
      const dx = load<f64>(data + (<usize>(c * w + k) << 3)) - m1;
      q += dx * dx;
    }
    const meanAt = stats + (<usize>(1 + k) << 3), m2At = stats + (<usize>(1 + w + k) << 3);
    const m0 = load<f64>(meanAt), delta = m1 - m0;
    store<f64>(meanAt, m0 + delta * n1 / n);
    store<f64>(m2At, load<f64>(m2At) + q + delta * delta * n0 * n1 / n);
  }
  store<f64>(stats, n);
}

/** out[i] = a[i]·b[i] for i < count. */
export function multiplyRows(a: usize, b: usize, count: i32, out: usize): void {
  let i = 0;
  for (; i + 1 < count; i += 2) {
    const o = <usize>i << 3;
    v128.store(out + o, f64x2.mul(v128.load(a + o), v128.load(b + o)));
  }
  if (i < count) store<f64>(out + (<usize>i << 3), load<f64>(a + (<usize>i << 3)) * load<f64>(b + (<usize>i << 3)));
}

/** z[c·d + i] = mu[i] + sigma[i]·eps[c·d + i]: a diagonal Gaussian's samples from standard normals. */
export function affineSamples(mu: usize, sigma: usize, eps: usize, C: i32, d: i32, z: usize): void {
  for (let c = 0; c < C; c++) {
    for (let i = 0; i < d; i++) {
      const k = <usize>(c * d + i) << 3;
      store<f64>(z + k, load<f64>(mu + (<usize>i << 3)) + load<f64>(sigma + (<usize>i << 3)) * load<f64>(eps + k));
    }
  }
}

/**
 * The score-function (REINFORCE) terms of a diagonal Gaussian, per sample c:
 * out[c·2d + i] = f_c·ε_i/σ_i (∂ log p/∂μ_i times f) and
 * out[c·2d + d + i] = f_c·(ε_i² − 1)/σ_i (∂ log p/∂σ_i times f).
 */
export function scoreRows(f: usize, eps: usize, sigma: usize, C: i32, d: i32, out: usize): void {
  for (let c = 0; c < C; c++) {
    const fc = load<f64>(f + (<usize>c << 3));
    for (let i = 0; i < d; i++) {
      const e = load<f64>(eps + (<usize>(c * d + i) << 3)), s = load<f64>(sigma + (<usize>i << 3));
      store<f64>(out + (<usize>(c * 2 * d + i) << 3), fc * e / s);
      store<f64>(out + (<usize>(c * 2 * d + d + i) << 3), fc * (e * e - 1) / s);
    }
  }
}

/**
 * acc[k] += Σ_c w_c·rows[c·width + k] for c = 0 … C−1, added one row at a time
 * in row order (so a batch's sum does not depend on how it is cut into
 * chunks); w_c = 1 when `weights` is 0.
 */
export function addRows(rows: usize, C: i32, width: i32, weights: usize, acc: usize): void {
  for (let c = 0; c < C; c++) {
    const row = rows + (<usize>(c * width) << 3);
    if (weights) {
      const w = load<f64>(weights + (<usize>c << 3));
      for (let k = 0; k < width; k++) {
        const at = acc + (<usize>k << 3);
        store<f64>(at, load<f64>(at) + w * load<f64>(row + (<usize>k << 3)));
      }
    } else {
      for (let k = 0; k < width; k++) {
        const at = acc + (<usize>k << 3);
        store<f64>(at, load<f64>(at) + load<f64>(row + (<usize>k << 3)));
      }
    }
  }
}
