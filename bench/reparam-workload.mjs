// The reparameterization benchmarks' workload (bench/reparam.mjs, bench/pool.mjs):
// a 10-variable f and its estimator written by hand — sampling (Box–Muller on a
// xorshift generator), the analytic gradient, the same means and variances.
import { compile } from "../dist/index.js";

export const d = 10;
const vars = Array.from({ length: d }, (_, i) => `z${i}`);
export const f = compile(vars.map((v, i) => `sin(${v}) + ${0.1 * (i + 1)}*${v}^2`).join(" + "), { vars });
export const mu = Float64Array.from({ length: d }, (_, i) => 0.1 * i), sigma = Float64Array.from({ length: d }, (_, i) => 0.5 + 0.05 * i);

/** The estimator by hand over S samples: value, d/dmu and d/dsigma with their running sums of squares. */
export function handWritten(seed, S) {
  let s = seed >>> 0 || 1;
  const uniform = () => { // xorshift32
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    return (s + 0.5) / 4294967296;
  };
  const eps = new Float64Array(d), sum = new Float64Array(1 + 2 * d), sq = new Float64Array(1 + 2 * d);
  for (let k = 0; k < S; k++) {
    for (let i = 0; i < d; i += 2) {
      const r = Math.sqrt(-2 * Math.log(uniform())), a = 2 * Math.PI * uniform();
      eps[i] = r * Math.cos(a);
      if (i + 1 < d) eps[i + 1] = r * Math.sin(a);
    }
    let value = 0;
    for (let i = 0; i < d; i++) {
      const z = mu[i] + sigma[i] * eps[i];
      value += Math.sin(z) + 0.1 * (i + 1) * z * z;
      const g = Math.cos(z) + 0.2 * (i + 1) * z;
      sum[1 + i] += g; sq[1 + i] += g * g;
      const ge = g * eps[i];
      sum[1 + d + i] += ge; sq[1 + d + i] += ge * ge;
    }
    sum[0] += value; sq[0] += value * value;
  }
  return sum.map((x, i) => Math.sqrt((sq[i] - x * x / S) / (S - 1) / S));
}

