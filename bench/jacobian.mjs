// Jacobian of F(x,y,z) = [x·y·sin z, eˣ·cos y + z², x/(1+y²) + √z]: 100,000 points
// in one batch, and one point at a time, against hand-written analytic JavaScript.
import { compile, Tensor } from "../dist/index.js";
import { compare } from "./report.mjs";

const N = 100_000;
const F = compile(["x*y*sin(z)", "exp(x)*cos(y) + z^2", "x/(1+y^2) + sqrt(z)"], { vars: ["x", "y", "z"] });

/** J[9p + 3i + j] = ∂F_i/∂x_j at point p, written by hand. */
function analyticJacobian(x, y, z, out, o) {
  const sz = Math.sin(z), ex = Math.exp(x), q = 1 / (1 + y * y);
  out[o] = y * sz; out[o + 1] = x * sz; out[o + 2] = x * y * Math.cos(z);
  out[o + 3] = ex * Math.cos(y); out[o + 4] = -ex * Math.sin(y); out[o + 5] = 2 * z;
  out[o + 6] = q; out[o + 7] = -2 * x * y * q * q; out[o + 8] = 0.5 / Math.sqrt(z);
}

const points = new Float64Array(3 * N);
for (let i = 0; i < N; i++) {
  points[3 * i] = Math.sin(i) * 2;
  points[3 * i + 1] = Math.cos(i * 0.7) * 2;
  points[3 * i + 2] = 0.5 + (i % 100) / 50;
}
const batch = new Tensor([N, 3], points);
const outJs = new Float64Array(9 * N), outLib = new Float64Array(9 * N);

// Check agreement before timing anything.
F.jacobian(batch, { out: outLib });
for (let p = 0; p < N; p++) analyticJacobian(points[3 * p], points[3 * p + 1], points[3 * p + 2], outJs, 9 * p);
let worst = 0;
for (let k = 0; k < 9 * N; k++) worst = Math.max(worst, Math.abs(outJs[k] - outLib[k]) / Math.max(1, Math.abs(outJs[k])));
if (worst > 1e-12) throw new Error(`library and analytic Jacobians disagree (${worst})`);

export const batchRatios = await compare(`Jacobian of a 3→3 field at ${N.toLocaleString("en")} points (batch)`, {
  "analytic JavaScript": () => {
    for (let p = 0; p < N; p++) analyticJacobian(points[3 * p], points[3 * p + 1], points[3 * p + 2], outJs, 9 * p);
  },
  "gradients F.jacobian(batch, { out })": () => F.jacobian(batch, { out: outLib }),
});

const LOOP = 1000;
const one = new Float64Array(3), outOne = new Float64Array(9);
const preparedJacobian = F.prepare("jacobian", { out: outOne });
export const pointRatios = await compare(`Jacobian at one point, called ${LOOP} times`, {
  "analytic JavaScript": () => {
    for (let p = 0; p < LOOP; p++) analyticJacobian(points[3 * p], points[3 * p + 1], points[3 * p + 2], outOne, 0);
  },
  "gradients F.jacobian(point, { out })": () => {
    for (let p = 0; p < LOOP; p++) {
      one[0] = points[3 * p]; one[1] = points[3 * p + 1]; one[2] = points[3 * p + 2];
      F.jacobian(one, { out: outOne });
    }
  },
  "gradients F.prepare(\"jacobian\", { out })(point)": () => {
    for (let p = 0; p < LOOP; p++) {
      one[0] = points[3 * p]; one[1] = points[3 * p + 1]; one[2] = points[3 * p + 2];
      preparedJacobian(one);
    }
  },
});
