import { it } from "vitest";
import { compile, reparam, minimize } from "../bindings/index.js";
it("x", () => {
  const ros = compile("(1-x)^2 + 100*(y-x^2)^2", { vars: ["x", "y"] });
  let r = minimize(ros, [-1.2, 1], { gradTol: 1e-10 });
  console.log(r);
  // quadratic 0.5 x'Ax - b'x
  const q = compile("0.5*(3*x^2 + 2*1*x*y + 2*y^2) - (1*x - 2*y)", { vars: ["x", "y"] });
  for (const [method, lr] of [["gd", 0.2], ["backtracking", undefined], ["momentum", 0.05], ["adam", 0.05]] as const) {
    const t = performance.now();
    r = minimize(q, [2, 2], { method, learningRate: lr, maxIterations: 5000, gradTol: 1e-9 });
    console.log(method, r.reason, r.iterations, Array.from(r.x), performance.now() - t);
  }
  const obj = (x: Float64Array, it: number) => {
    const e = reparam.gaussian(compile("(z-3)^2", { vars: ["z"] }), { mu: [x[0]], sigma: [1] }, { samples: 2000, seed: it });
    return { value: e.value, grad: e.dmu };
  };
  const t = performance.now();
  r = minimize(obj, [0], { method: "adam", learningRate: 0.05, maxIterations: 400, gradTol: 0 });
  console.log(r, performance.now() - t);
});
