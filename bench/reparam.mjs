// reparam.gaussian with 1,000,000 samples of a 10-variable f, against a
// hand-written JavaScript loop that samples (Box–Muller on a xorshift generator),
// applies the analytic gradient and accumulates the same means and variances.
import { reparam } from "../dist/index.js";
import { compare } from "./report.mjs";
import { d, f, handWritten, mu, sigma } from "./reparam-workload.mjs";

const S = 1_000_000;

// Both estimate the same thing: check the library's dmu against the hand loop's within 6 standard errors.
const lib = reparam.gaussian(f, { mu, sigma }, { samples: 200_000, seed: 1 });
for (let i = 0; i < d; i++) {
  const exact = Math.exp(-(sigma[i] ** 2) / 2) * Math.cos(mu[i]) + 0.2 * (i + 1) * mu[i]; // E[cos z] = e^{-σ²/2} cos μ
  if (Math.abs(lib.dmu[i] - exact) > 6 * lib.stderr.dmu[i]) throw new Error(`dmu[${i}] = ${lib.dmu[i]} is off the exact ${exact}`);
}

export const ratios = await compare(`reparam.gaussian, ${S.toLocaleString("en")} samples of a ${d}-variable f`, {
  "hand-written JavaScript (sampling + analytic gradient)": () => handWritten(7, S),
  "gradients reparam.gaussian(f, { mu, sigma }, { samples, seed })": () => reparam.gaussian(f, { mu, sigma }, { samples: S, seed: 7 }),
}, { time: 3000, warmupTime: 500 });
