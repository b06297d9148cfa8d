// `npm start`: a short tour of the library, one example of each capability.
import { compile, createPool, defineFunction, derivative, deserialize, fd, fit, fn, grid, minimize, removeFunction, reparam, sin, ParseError, Tensor } from "../dist/index.js";

const show = (label, value) => {
  const text = value instanceof Tensor ? JSON.stringify(value.toArray()) + `  (shape [${value.shape}])`
    : ArrayBuffer.isView(value) ? `[${Array.from(value, (v) => +v.toPrecision(12)).join(", ")}]`
    : String(value);
  console.log(`  ${label.padEnd(44)} ${text}`);
};

console.log("A scalar field f(x, y, z) = sin(x*y) + z^2*exp(x), at (1, 2, 3):");
const f = compile("sin(x*y) + z^2*exp(x)", { vars: ["x", "y", "z"] });
show("f.eval([1, 2, 3])", f.eval([1, 2, 3]));
show("f.grad([1, 2, 3])   (points uphill)", f.grad([1, 2, 3]));
show("f.partial(\"y\", [1, 2, 3])", f.partial("y", [1, 2, 3]));
show("f.directional([1, 2, 3], [1, 0, 0])", f.directional([1, 2, 3], [1, 0, 0]));
show("f.grad([1, 2, 3], { mode: \"fd\" })", f.grad([1, 2, 3], { mode: "fd" }));

console.log("\nA vector field F(x, y, z) = [x*y, y*z, sin(x) + z]:");
const F = compile(["x*y", "y*z", "sin(x) + z"], { vars: ["x", "y", "z"] });
show("F.jacobian([1, 2, 3])", F.jacobian([1, 2, 3]));
show("F.divergence([1, 2, 3])", F.divergence([1, 2, 3]));
show("F.curl([1, 2, 3])", F.curl([1, 2, 3]));
const R = compile(["-y", "x"], { vars: ["x", "y"] });
show("rotation [-y, x]: divergence, curl", `${R.divergence([0.5, 0.5])}, ${R.curl([0.5, 0.5])}`);

console.log("\nA batch of points (one call, results gain a leading axis):");
const points = new Tensor([2, 3], Float64Array.from([1, 2, 3, 0, 1, 2]));
show("f.grad(points [2, 3])", f.grad(points));

console.log("\nThe TypeScript builder traces code into the same engine:");
const g = fn(3, (x) => sin(x[0].mul(x[1])).add(x[2].pow(2).mul(x[0].exp())));
show("fn(3, x => sin(x0*x1) + x2^2*exp(x0)).grad", g.grad([1, 2, 3]));

console.log("\nTensors in and out: derivatives shaped [...output, ...input]:");
const inverse = fn({ A: [2, 2] }, ({ A }) => A.inv());
show("d inv(A)/dA at [[2, 1], [1, 1]]", inverse.jacobian({ A: [[2, 1], [1, 1]] }));
const quad = compile("dot(x, matmul(A, x))", { vars: { x: [2], A: [2, 2] } });
const at = { x: [1, 2], A: [[2, 1], [0, 3]] };
show("x·(A x): ∂/∂x", quad.grad(at).x);
show("x·(A x): ∂/∂A (= x xᵀ)", quad.grad(at).A);
const polar = compile(["r*cos(t)", "r*sin(t)"], { vars: ["r", "t"] });
show("polar map: det J at r = 2 (= r)", polar.jacobianDeterminant([2, 0.3]));

console.log("\nReverse mode and second order:");
show("f.grad([1, 2, 3], { mode: \"reverse\" })", f.grad([1, 2, 3], { mode: "reverse" }));
show("F.vjp([1, 2, 3], [1, 0, 0])  (first row of J)", F.vjp([1, 2, 3], [1, 0, 0]));
show("f.hessian([1, 2, 3])", f.hessian([1, 2, 3]));
show("f.laplacian([1, 2, 3])", f.laplacian([1, 2, 3]));

console.log("\nSymbolic derivatives by the rules:");
show('derivative("x^3*sin(x)", "x")', derivative("x^3*sin(x)", "x"));

console.log("\nFinite differences of an opaque JavaScript function:");
const blackBox = (x) => Math.sin(x[0]) * Math.exp(x[1]);
const estimate = fd.grad(blackBox, [1, 0.5], { richardson: 2 });
show("fd.grad(blackBox, [1, 0.5]).value", estimate.value);
show("  its error estimate", estimate.error);

console.log("\nSampled data on a grid (numpy.gradient's stencils):");
const field = Float64Array.from({ length: 12 }, (_, k) => (k % 4) ** 2 + 10 * Math.floor(k / 4));
const [dRows, dCols] = grid.gradient(field, [3, 4]);
show("j² + 10·i on 3×4: ∂/∂i, first row", dRows.subarray(0, 4));
show("                  ∂/∂j, first row", dCols.subarray(0, 4));

console.log("\nThe reparameterization trick (z ~ N(0.7, 1.3²), E[z²] = μ² + σ²):");
const square = compile("z^2", { vars: ["z"] });
const e = reparam.gaussian(square, { mu: [0.7], sigma: [1.3] }, { samples: 100000, seed: 1 });
show("E[z²] ± stderr", `${e.value.toFixed(4)} ± ${e.stderr.value.toFixed(4)}  (exact 2.18)`);
show("d/dμ, d/dσ", `${e.dmu[0].toFixed(4)}, ${e.dsigma[0].toFixed(4)}  (exact 1.4, 2.6)`);

console.log("\nMinimization with exact gradients (L-BFGS on Rosenbrock from (-1.2, 1)):");
const rosenbrock = compile("(1-x)^2 + 100*(y-x^2)^2", { vars: ["x", "y"] });
const r = minimize(rosenbrock, [-1.2, 1], { gradTol: 1e-10 });
show(`minimum (${r.iterations} iterations, stop: ${r.reason})`, r.x);

console.log("\nPiecewise functions, derivatives of any order, a function of your own:");
const safe = compile("where(x > 0, sqrt(x), 0)");
show("d/dx where(x > 0, sqrt(x), 0) at 0, -1, 4", Float64Array.of(safe.grad([0])[0], safe.grad([-1])[0], safe.grad([4])[0]));
show("sin and its derivatives to order 4 at 0", compile("sin(x)").derivatives([0], 4));
const huber = defineFunction("huber(r, d)", "where(abs(r) <= d, r^2/2, d*(abs(r) - d/2))");
show("grad of sum huber(x_i, 1) at (0.5, -3, 2)", fn(3, (x) => huber(x, 1).sum()).grad([0.5, -3, 2]));
removeFunction("huber");

console.log("\nFitting a model to data (NIST's Misra1a, from its first start):");
const x = [77.6, 114.9, 141.1, 190.8, 239.9, 289.0, 332.8, 378.4, 434.8, 477.3, 536.8, 593.1, 689.1, 760.0];
const y = [10.07, 14.73, 17.94, 23.93, 29.61, 35.18, 40.02, 44.82, 50.76, 55.05, 61.01, 66.40, 75.47, 81.78];
const fitted = fit("b1*(1-exp(-b2*x))", { x, y }, { b1: 500, b2: 1e-4 });
show("b1, b2", Float64Array.of(fitted.p.b1, fitted.p.b2));
show("  certified", "[238.94212918, 0.00055015643181]");
show("standard errors", Float64Array.of(fitted.standardErrors.b1, fitted.standardErrors.b2));
show("  certified", "[2.7070075241, 0.0000072668688436]");

console.log("\nEvery core: a batch on a pool of workers, and a function as bytes:");
{
  const F = compile(["x*y*sin(z)", "exp(x)*cos(y) + z^2"]);
  const N = 200_000, points = new Tensor([N, 3], Float64Array.from({ length: 3 * N }, (_, i) => 1 + (i % 13) / 10));
  const pool = createPool({ size: 2 });
  let chunks = 0;
  const J = await F.jacobianAsync(points, { pool, onProgress: () => chunks++ });
  await pool.terminate();
  const same = F.jacobian(points).data.every((v, i) => Object.is(v, J.data[i]));
  show(`F.jacobianAsync(${N.toLocaleString("en")} points, { pool })`, `shape [${J.shape}], ${chunks} chunks, the synchronous bits: ${same}`);
  const bytes = F.serialize();
  show("deserialize(F.serialize()).eval([1, 2, 3])", `${bytes.length} bytes → [${Array.from(deserialize(bytes).eval([1, 2, 3]), (v) => +v.toFixed(9)).join(", ")}]`);
}

console.log("\nErrors say what and where:");
try {
  compile("sin(x*y))");
} catch (error) {
  if (!(error instanceof ParseError)) throw error;
  show(`compile("sin(x*y))")`, `${error.name}: ${error.message}`);
}
