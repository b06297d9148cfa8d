// The shapes most users write, as issue 15 names them, each against a
// hand-written JavaScript loop in the same process: the extended Rosenbrock
// function of Moré, Garbow and Hillstrom (Σ over pairs i of
// 100(x₂ᵢ₊₁ − x₂ᵢ²)² + (1 − x₂ᵢ)²) written as one expression string and with the
// builder's strided tensor ops (pairs by reshape([n/2, 2]) and slice), its
// Hessian-vector product at n = 10,000, the one-point gradient of
// sin(xy) + z²eˣ, the same gradient at 100,000 points, and the time to compile
// the 10,000-variable string.
import { buffer, compile, fn, setCompiledTier, Tensor } from "../dist/index.js";
import { compare } from "./report.mjs";

/** The MGH extended Rosenbrock function as one expression string over x0 … x(n−1). */
function rosenbrockText(n) {
  const terms = [];
  for (let i = 0; i < n; i += 2) terms.push(`100*(x${i + 1} - x${i}^2)^2 + (1 - x${i})^2`);
  return terms.join(" + ");
}

/** The same with the builder's tensor ops: pairs as rows of reshape([n/2, 2]), columns by slice. */
function rosenbrockStrided(n) {
  return fn(n, (x) => {
    const pairs = x.reshape([n / 2, 2]);
    const even = pairs.slice([0, 0], [n / 2, 1]), odd = pairs.slice([0, 1], [n / 2, 2]);
    return odd.sub(even.pow(2)).pow(2).mul(100).add(even.neg().add(1).pow(2)).sum();
  });
}

function gradient(x, g) {
  for (let i = 0; i < x.length; i += 2) {
    const d = x[i + 1] - x[i] * x[i];
    g[i] = -400 * x[i] * d - 2 * (1 - x[i]);
    g[i + 1] = 200 * d;
  }
}

/** H·v of the extended Rosenbrock function: 2×2 blocks per pair. */
function hessianVector(x, v, out) {
  for (let i = 0; i < x.length; i += 2) {
    const a = 1200 * x[i] * x[i] - 400 * x[i + 1] + 2, b = -400 * x[i];
    out[i] = a * v[i] + b * v[i + 1];
    out[i + 1] = b * v[i] + 200 * v[i + 1];
  }
}

function check(got, want, what) {
  for (let k = 0; k < want.length; k++) {
    if (Math.abs(got[k] - want[k]) > 1e-9 * Math.max(1, Math.abs(want[k]))) throw new Error(`${what} disagrees at ${k}: ${got[k]} vs ${want[k]}`);
  }
}

// Compile time of the 10,000-variable string: parse, trace, tape, and the compiled
// tier's code generation and WebAssembly compile (forced at the first gradient).
{
  const n = 10_000, vars = Array.from({ length: n }, (_, i) => `x${i}`), text = rosenbrockText(n);
  const x = new Float64Array(n).fill(0.5), g = new Float64Array(n);
  for (let run = 0; run < 3; run++) {
    setCompiledTier("always");
    const t0 = performance.now();
    const f = compile(text, { vars });
    const t1 = performance.now();
    f.grad(x, { out: g });
    const t2 = performance.now();
    setCompiledTier("auto");
    console.log(`\ncompile the n = 10,000 string Rosenbrock: ${(t2 - t0).toFixed(0)} ms (parse, trace and tape ${(t1 - t0).toFixed(0)} ms; code generation, WebAssembly compile and the first gradient ${(t2 - t1).toFixed(0)} ms)`);
    f.dispose();
  }
}

// With prepare() the first call compiles nothing: its time against a later call's.
// Compiling leaves the caller's arrays out of the caches, and the first call pays
// to bring them back, as any code's first touch of them would; so it is also timed
// with the arrays just written by the caller.
{
  const n = 10_000, vars = Array.from({ length: n }, (_, i) => `x${i}`);
  for (const [ahead, warmArrays] of [[false, false], [true, false], [true, true]]) {
    const x = new Float64Array(n).fill(0.5), g = new Float64Array(n);
    const f = compile(rosenbrockText(n), { vars });
    const t0 = performance.now();
    if (ahead) f.prepare();
    if (warmArrays) { x.fill(0.5); g.fill(0); }
    const t1 = performance.now();
    f.grad(x, { out: g });
    const t2 = performance.now();
    for (let k = 0; k < 50; k++) f.grad(x, { out: g });
    const later = (performance.now() - t2) / 50;
    const how = !ahead ? "without prepare" : `after prepare() (${(t1 - t0).toFixed(0)} ms), the caller's arrays ${warmArrays ? "just written" : "cold"}`;
    console.log(`\nstring Rosenbrock n = 10,000, ${how}: first grad ${(t2 - t1).toFixed(3)} ms, later ${later.toFixed(3)} ms (×${((t2 - t1) / later).toFixed(1)})`);
    f.dispose();
  }
}

for (const n of [100, 1_000, 10_000]) {
  const vars = Array.from({ length: n }, (_, i) => `x${i}`);
  const t0 = performance.now();
  const text = compile(rosenbrockText(n), { vars });
  const textMs = performance.now() - t0;
  const strided = rosenbrockStrided(n);
  const x = Float64Array.from({ length: n }, (_, i) => 0.5 + 0.3 * Math.sin(i));
  const want = new Float64Array(n), g1 = new Float64Array(n), g2 = new Float64Array(n);
  gradient(x, want);
  check(text.grad(x, { out: g1 }), want, `string Rosenbrock n=${n}`);
  check(strided.grad(x, { out: g2 }), want, `strided Rosenbrock n=${n}`);
  // (and the string's gradient with its point and result in WebAssembly memory: no copies)
  const xb = buffer([n]), gb = buffer([n]);
  xb.data.set(x);
  check(text.grad(xb, { out: gb }).data, want, `string Rosenbrock n=${n}, WasmBuffers`);
  await compare(`extended Rosenbrock n = ${n.toLocaleString("en")}: gradient (the string compiled in ${textMs.toFixed(0)} ms)`, {
    "analytic gradient (JavaScript)": () => gradient(x, want),
    "gradients, from the expression string": () => text.grad(x, { out: g1 }),
    "gradients, from strided tensor ops": () => strided.grad(x, { out: g2 }),
    "gradients, the string, WasmBuffer point and out": () => text.grad(xb, { out: gb }),
  });
  xb.dispose();
  gb.dispose();
  if (n === 10_000) {
    const v = Float64Array.from({ length: n }, (_, i) => Math.cos(i)), hv = new Float64Array(n), hv1 = new Float64Array(n);
    hessianVector(x, v, hv);
    check(strided.hvp(x, v, { out: hv1 }), hv, "hvp of the strided form");
    check(text.hvp(x, v, { out: hv1 }), hv, "hvp of the string");
    await compare("extended Rosenbrock n = 10,000: Hessian-vector product", {
      "analytic H·v (JavaScript)": () => hessianVector(x, v, hv),
      "gradients strided.hvp(x, v, { out })": () => strided.hvp(x, v, { out: hv1 }),
      "gradients, the string's hvp(x, v, { out })": () => text.hvp(x, v, { out: hv1 }),
    });
  }
  text.dispose();
  strided.dispose();
}

// sin(xy) + z²eˣ: one point in a loop, and 100,000 points in one batch call.
const f = compile("sin(x*y) + z^2*exp(x)", { vars: ["x", "y", "z"] });
const grad3 = (x, y, z, g, o) => {
  const c = Math.cos(x * y), e = Math.exp(x);
  g[o] = y * c + z * z * e;
  g[o + 1] = x * c;
  g[o + 2] = 2 * z * e;
};
const point = Float64Array.of(0.3, -1.2, 0.7), g = new Float64Array(3), gLib = new Float64Array(3);
grad3(point[0], point[1], point[2], g, 0);
check(f.grad(point, { out: gLib }), g, "one-point gradient");
const preparedGrad = f.prepare("grad", { out: gLib });
check(preparedGrad(point), g, "prepared one-point gradient");
await compare("gradient of sin(xy) + z²eˣ at one point, called 1000 times", {
  "analytic gradient (JavaScript)": () => { for (let k = 0; k < 1000; k++) grad3(point[0], point[1], point[2], g, 0); },
  "gradients f.grad(point, { out })": () => { for (let k = 0; k < 1000; k++) f.grad(point, { out: gLib }); },
  "gradients f.prepare(\"grad\", { out })(point)": () => { for (let k = 0; k < 1000; k++) preparedGrad(point); },
});
const N = 100_000, X = new Float64Array(3 * N);
for (let p = 0; p < N; p++) { X[3 * p] = Math.sin(p); X[3 * p + 1] = Math.cos(p); X[3 * p + 2] = 0.001 * p; }
const batch = new Tensor([N, 3], X), G = new Float64Array(3 * N), GLib = new Float64Array(3 * N);
await compare("gradient of sin(xy) + z²eˣ at 100,000 points (batch)", {
  "analytic gradient (JavaScript)": () => { for (let p = 0; p < N; p++) grad3(X[3 * p], X[3 * p + 1], X[3 * p + 2], G, 3 * p); },
  "gradients f.grad(batch, { out })": () => f.grad(batch, { out: GLib }),
  "gradients f.grad(batch, { out }), interpreter": () => {
    setCompiledTier("never");
    f.grad(batch, { out: GLib });
    setCompiledTier("auto");
  },
});
check(GLib, G, "batch gradient");
