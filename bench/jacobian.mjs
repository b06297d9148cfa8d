// Jacobian of F(x,y,z) = [x·y·sin z, eˣ·cos y + z², x/(1+y²) + √z]: 100,000 points
// in one batch, and one point at a time, against hand-written analytic JavaScript.
import { Tensor, setCompiledTier } from "../dist/index.js";
import { compare } from "./report.mjs";
import { F, analyticJacobian, analyticJacobians, fillPoints } from "./field-workloads.mjs";

const N = 100_000;
const points = fillPoints(new Float64Array(3 * N));
const batch = new Tensor([N, 3], points);
const outJs = new Float64Array(9 * N), outLib = new Float64Array(9 * N);

// Check agreement before timing anything.
F.jacobian(batch, { out: outLib });
analyticJacobians(points, outJs);
let worst = 0;
for (let k = 0; k < 9 * N; k++) worst = Math.max(worst, Math.abs(outJs[k] - outLib[k]) / Math.max(1, Math.abs(outJs[k])));
if (worst > 1e-12) throw new Error(`library and analytic Jacobians disagree (${worst})`);

export const batchRatios = await compare(`Jacobian of a 3→3 field at ${N.toLocaleString("en")} points (batch)`, {
  "analytic JavaScript": () => analyticJacobians(points, outJs),
  "gradients F.jacobian(batch, { out })": () => F.jacobian(batch, { out: outLib }),
  // (the same call on the core's interpreter, which ran such batches before generated code called the point rules)
  "gradients F.jacobian(batch, { out }), interpreter": () => {
    setCompiledTier("never");
    F.jacobian(batch, { out: outLib });
    setCompiledTier("auto");
  },
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
