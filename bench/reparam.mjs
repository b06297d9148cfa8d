// reparam.gaussian with 1,000,000 samples of a 10-variable f, against a
// hand-written JavaScript loop that samples (Box–Muller on a xorshift generator),
// applies the analytic gradient and accumulates the same means and variances.
import { compile, reparam } from "../dist/index.js";
import { compare } from "./report.mjs";

const d = 10, S = 1_000_000;
const vars = Array.from({ length: d }, (_, i) => `z${i}`);
const f = compile(vars.map((v, i) => `sin(${v}) + ${0.1 * (i + 1)}*${v}^2`).join(" + "), { vars });
const mu = Float64Array.from({ length: d }, (_, i) => 0.1 * i), sigma = Float64Array.from({ length: d }, (_, i) => 0.5 + 0.05 * i);

/** The estimator by hand: value, d/dmu and d/dsigma with their running sums of squares. */
function handWritten(seed) {
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

// Both estimate the same thing: check the library's dmu against the hand loop's within 6 standard errors.
const lib = reparam.gaussian(f, { mu, sigma }, { samples: 200_000, seed: 1 });
for (let i = 0; i < d; i++) {
  const exact = Math.exp(-(sigma[i] ** 2) / 2) * Math.cos(mu[i]) + 0.2 * (i + 1) * mu[i]; // E[cos z] = e^{-σ²/2} cos μ
  if (Math.abs(lib.dmu[i] - exact) > 6 * lib.stderr.dmu[i]) throw new Error(`dmu[${i}] = ${lib.dmu[i]} is off the exact ${exact}`);
}

export const ratios = await compare(`reparam.gaussian, ${S.toLocaleString("en")} samples of a ${d}-variable f`, {
  "hand-written JavaScript (sampling + analytic gradient)": () => handWritten(7),
  "gradients reparam.gaussian(f, { mu, sigma }, { samples, seed })": () => reparam.gaussian(f, { mu, sigma }, { samples: S, seed: 7 }),
}, { time: 3000, warmupTime: 500 });
