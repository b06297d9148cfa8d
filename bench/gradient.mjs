// Reverse mode and second order, each against hand-written analytic JavaScript:
// the gradient of the extended Rosenbrock function for n = 100, 1,000, 10,000
// (written with the builder's tensor operations), ‖x‖² = x·x at n = 10,000 and 100, the Hessian of
// f(x, y, z) = sin(xy) + z²eˣ at 10,000 points, and the Hessian of Rosenbrock n = 100.
import { compile, fn, setCompiledTier, Tensor } from "../dist/index.js";
import { compare } from "./report.mjs";

/** Σ 100(x_{i+1} − x_i²)² + (1 − x_i)², traced from whole-vector operations. */
function rosenbrock(n) {
  return fn(n, (x) => {
    const a = x.slice([0], [n - 1]), b = x.slice([1]);
    return b.sub(a.pow(2)).pow(2).mul(100).add(a.neg().add(1).pow(2)).sum();
  });
}

function rosenbrockValue(x) {
  let s = 0;
  for (let i = 0; i + 1 < x.length; i++) {
    const d = x[i + 1] - x[i] * x[i], e = 1 - x[i];
    s += 100 * d * d + e * e;
  }
  return s;
}

function rosenbrockGradient(x, g) {
  g.fill(0);
  for (let i = 0; i + 1 < x.length; i++) {
    const d = x[i + 1] - x[i] * x[i];
    g[i] += -400 * x[i] * d - 2 * (1 - x[i]);
    g[i + 1] += 200 * d;
  }
}

/** The tridiagonal Hessian of Rosenbrock, dense n×n. */
function rosenbrockHessian(x, H) {
  const n = x.length;
  H.fill(0);
  for (let i = 0; i + 1 < n; i++) {
    H[i * n + i] += 1200 * x[i] * x[i] - 400 * x[i + 1] + 2;
    H[i * n + i + 1] += -400 * x[i];
    H[(i + 1) * n + i] += -400 * x[i];
    H[(i + 1) * (n + 1)] += 200;
  }
}

function check(got, want, what) {
  for (let k = 0; k < want.length; k++) {
    if (Math.abs(got[k] - want[k]) > 1e-9 * Math.max(1, Math.abs(want[k]))) throw new Error(`${what} disagrees at ${k}: ${got[k]} vs ${want[k]}`);
  }
}

export const rows = {};
for (const n of [100, 1_000, 10_000]) {
  const t0 = performance.now();
  const f = rosenbrock(n);
  const compileMs = performance.now() - t0;
  const x = Float64Array.from({ length: n }, (_, i) => 0.5 + 0.3 * Math.sin(i));
  const gJs = new Float64Array(n), gLib = new Float64Array(n);
  rosenbrockGradient(x, gJs);
  check(f.grad(x, { out: gLib }), gJs, `Rosenbrock gradient n=${n}`);
  const r = await compare(`Rosenbrock n = ${n.toLocaleString("en")}: gradient (tracing and compiling took ${compileMs.toFixed(0)} ms)`, {
    "analytic gradient (JavaScript)": () => rosenbrockGradient(x, gJs),
    "gradients f.grad(x, { out }) (reverse)": () => f.grad(x, { out: gLib }),
    "analytic value (JavaScript)": () => rosenbrockValue(x),
    "gradients f.eval(x)": () => f.eval(x),
  });
  rows[`rosenbrock ${n}`] = { ...r, gradOverEval: r["gradients f.grad(x, { out }) (reverse)"] / r["gradients f.eval(x)"] };
  console.log(`  gradient time / function time (library): ${rows[`rosenbrock ${n}`].gradOverEval.toFixed(2)}`);
}

// The simplest reduction at one point: ‖x‖² = x·x, its value and its gradient 2x.
{
  const n = 10_000, f = fn(n, (x) => x.dot(x));
  const x = Float64Array.from({ length: n }, (_, i) => Math.sin(i)), gJs = new Float64Array(n), gLib = new Float64Array(n);
  const value = () => { let s = 0; for (let i = 0; i < n; i++) s += x[i] * x[i]; return s; };
  const gradient = () => { for (let i = 0; i < n; i++) gJs[i] = 2 * x[i]; };
  gradient();
  check(f.grad(x, { out: gLib }), gJs, "gradient of x·x");
  check([f.eval(x)], [value()], "x·x");
  await compare("‖x‖² = x·x, n = 10,000, one point: value", {
    "plain JavaScript value": value,
    "gradients f.eval(x)": () => f.eval(x),
  });
  await compare("‖x‖² = x·x, n = 10,000, one point: gradient", {
    "plain JavaScript gradient (2x)": gradient,
    "gradients f.grad(x, { out })": () => f.grad(x, { out: gLib }),
  });
}

// The same gradient at n = 100 (a sum of 100 terms: its reverse sweep runs compiled), and on the interpreter.
{
  const n = 100, f = fn(n, (x) => x.mul(x).sum());
  const x = Float64Array.from({ length: n }, (_, i) => Math.sin(i)), gJs = new Float64Array(n), gLib = new Float64Array(n);
  const gradient = () => { for (let i = 0; i < n; i++) gJs[i] = 2 * x[i]; };
  gradient();
  check(f.grad(x, { out: gLib }), gJs, "gradient of Σx², n = 100");
  await compare("‖x‖² = Σ x·x, n = 100, one point: gradient", {
    "plain JavaScript gradient (2x)": gradient,
    "gradients f.grad(x, { out })": () => f.grad(x, { out: gLib }),
  });
  setCompiledTier("never"); // (for the whole comparison: switching tiers per call would set each call up afresh)
  await compare("the same on the interpreter", {
    "plain JavaScript gradient (2x)": gradient,
    "gradients f.grad(x, { out }), interpreter": () => f.grad(x, { out: gLib }),
  });
  setCompiledTier("auto");
}

{
  const N = 10_000;
  const f = compile("sin(x*y) + z^2*exp(x)", { vars: ["x", "y", "z"] });
  const pts = Float64Array.from({ length: 3 * N }, (_, k) => Math.sin(k * 0.37) * 1.5);
  const batch = new Tensor([N, 3], pts);
  const hJs = new Float64Array(9 * N), hLib = new Float64Array(9 * N);
  const analytic = () => {
    for (let p = 0; p < N; p++) {
      const x = pts[3 * p], y = pts[3 * p + 1], z = pts[3 * p + 2], o = 9 * p;
      const s = Math.sin(x * y), c = Math.cos(x * y), e = Math.exp(x);
      hJs[o] = -y * y * s + z * z * e; hJs[o + 1] = c - x * y * s; hJs[o + 2] = 2 * z * e;
      hJs[o + 3] = hJs[o + 1]; hJs[o + 4] = -x * x * s; hJs[o + 5] = 0;
      hJs[o + 6] = hJs[o + 2]; hJs[o + 7] = 0; hJs[o + 8] = 2 * e;
    }
  };
  analytic();
  check(f.hessian(batch, { out: hLib }).data, hJs, "Hessian of sin(xy) + z²eˣ");
  rows.hessianBatch = await compare(`Hessian of sin(xy) + z²eˣ at ${N.toLocaleString("en")} points (batch)`, {
    "analytic Hessian (JavaScript)": analytic,
    "gradients f.hessian(batch, { out })": () => f.hessian(batch, { out: hLib }),
  });
}

{
  const n = 100;
  const f = rosenbrock(n);
  const x = Float64Array.from({ length: n }, (_, i) => 0.5 + 0.3 * Math.sin(i));
  const hJs = new Float64Array(n * n), hLib = new Float64Array(n * n);
  rosenbrockHessian(x, hJs);
  check(f.hessian(x, { out: hLib }).data, hJs, "Rosenbrock Hessian");
  rows.hessianRosenbrock = await compare("Hessian of Rosenbrock n = 100 (dense 100×100)", {
    "analytic Hessian (JavaScript)": () => rosenbrockHessian(x, hJs),
    "gradients f.hessian(x, { out })": () => f.hessian(x, { out: hLib }),
  });
}
