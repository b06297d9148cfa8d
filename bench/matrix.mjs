// d(A·A)/dA for 3×3 matrices A, 10,000 of them in one batch: a [N, 3, 3, 3, 3]
// tensor, against the analytic form written by hand:
//   ∂(AA)_ij/∂A_pq = δ_ip·A_qj + A_ip·δ_jq
import { fn, Tensor } from "../dist/index.js";
import { compare } from "./report.mjs";

const N = 10_000;
const square = fn({ A: [3, 3] }, ({ A }) => A.matmul(A));

function analytic(A, a, out, o) {
  out.fill(0, o, o + 81);
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) {
    const ij = o + 27 * i + 9 * j;
    for (let q = 0; q < 3; q++) out[ij + 3 * i + q] += A[a + 3 * q + j]; // p = i
    for (let p = 0; p < 3; p++) out[ij + 3 * p + j] += A[a + 3 * i + p]; // q = j
  }
}

const data = new Float64Array(9 * N).map((_, k) => Math.sin(k * 0.37) * 2);
const batch = new Tensor([N, 3, 3], data);
const outJs = new Float64Array(81 * N), outLib = new Float64Array(81 * N);

square.jacobian(batch, { out: outLib });
for (let p = 0; p < N; p++) analytic(data, 9 * p, outJs, 81 * p);
for (let k = 0; k < 81 * N; k++) {
  if (Math.abs(outJs[k] - outLib[k]) > 1e-14 * Math.max(1, Math.abs(outJs[k]))) throw new Error(`d(AA)/dA disagrees at ${k}`);
}

export const ratios = await compare(`d(A·A)/dA for 3×3 A at ${N.toLocaleString("en")} matrices (batch)`, {
  "analytic JavaScript": () => {
    for (let p = 0; p < N; p++) analytic(data, 9 * p, outJs, 81 * p);
  },
  "gradients square.jacobian(batch, { out })": () => square.jacobian(batch, { out: outLib }),
});
