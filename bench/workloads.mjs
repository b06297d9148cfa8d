// Issue 16's workloads, each written with the public API the natural way and
// timed against a plain JavaScript loop of its primal in the same process:
// the k-means objective, log-sum-exp of 10⁶ entries, a Gaussian mixture's
// log-likelihood, and an explicit ODE. Targets: a gradient ≤ 4× the library's
// own primal, a primal ≤ 2× the plain loop.
import { concat, fn, scan, stack, Tensor } from "../dist/index.js";
import { compare } from "./report.mjs";

const slow = { time: 1500, warmupTime: 0 };

function close(got, want, what, tol = 1e-9) {
  if (!(Math.abs(got - want) <= tol * Math.max(1, Math.abs(want)))) throw new Error(`${what}: ${got} against ${want}`);
}

// ── k-means: 10,000 points in 16 dimensions, 1,000 centroids, Σᵢ minₖ ‖xᵢ − cₖ‖² ──
{
  const N = 10_000, d = 16, k = 1_000;
  const X = Float64Array.from({ length: N * d }, (_, i) => Math.sin(i * 0.37));
  const C = Float64Array.from({ length: k * d }, (_, i) => Math.cos(i * 0.11));
  const t0 = performance.now();
  const nearest = fn({ x: [d], C: [k, d] }, ({ x, C }) => C.sub(x).pow(2).sum(1).amin());
  const at = { x: new Tensor([N, d], X), C: new Tensor([k, d], C) };
  const objective = () => nearest.eval(at, { reduce: "sum" });
  const gradient = () => nearest.grad(at, { reduce: "sum", wrt: "C" });
  const plain = () => {
    let total = 0;
    for (let i = 0; i < N; i++) {
      let best = Infinity;
      for (let c = 0; c < k; c++) {
        let s = 0;
        for (let j = 0; j < d; j++) { const t = X[i * d + j] - C[c * d + j]; s += t * t; }
        if (s < best) best = s;
      }
      total += best;
    }
    return total;
  };
  close(objective(), plain(), "k-means objective");
  console.log(`\nk-means: traced and compiled in ${(performance.now() - t0).toFixed(0)} ms (${nearest.tapeSize.instructions.toLocaleString("en")} instructions a point)`);
  await compare("k-means objective and gradient (10,000 points, d = 16, 1,000 centroids)", {
    "plain JavaScript objective": plain,
    "gradients nearest.eval(at, { reduce: \"sum\" })": objective,
    "gradients nearest.grad(at, { reduce: \"sum\", wrt: \"C\" })": gradient,
  }, slow);
  // The Hessian's diagonal by the centroids: Σᵢ 2·[cₖ nearest xᵢ] on each of cₖ's entries.
  // One call over the 10,000 points (it takes seconds), after one over ten that builds
  // the gradient's function and its coloring.
  const few = { x: new Tensor([10, d], X.subarray(0, 10 * d)), C: at.C };
  nearest.hessianDiagonal(few, { reduce: "sum", wrt: "C" });
  const t1 = performance.now();
  const diagonal = nearest.hessianDiagonal(at, { reduce: "sum", wrt: "C" });
  const hessianMs = performance.now() - t1;
  const t2 = performance.now();
  objective();
  const primalMs = performance.now() - t2;
  let total = 0;
  for (const v of diagonal.data) total += v;
  close(total, 2 * d * N, "k-means Hessian diagonal (2 on each entry of each point's nearest centroid)");
  console.log(`k-means Hessian diagonal by C, nearest.hessianDiagonal(at, { reduce: "sum", wrt: "C" }): ${(hessianMs / 1000).toFixed(1)} s, ` +
    `×${(hessianMs / primalMs).toFixed(0)} the library's primal (${primalMs.toFixed(0)} ms) timed after it`);
}

// ── log-sum-exp of 10⁶ entries and its gradient ──
{
  const n = 1_000_000, x = Float64Array.from({ length: n }, (_, i) => Math.sin(i) * 10);
  const t0 = performance.now();
  const lse = fn({ x: [n] }, ({ x }) => x.logsumexp());
  const plain = () => {
    let m = -Infinity;
    for (let i = 0; i < n; i++) if (x[i] > m) m = x[i];
    let s = 0;
    for (let i = 0; i < n; i++) s += Math.exp(x[i] - m);
    return m + Math.log(s);
  };
  const g = new Float64Array(n);
  close(lse.eval({ x }), plain(), "logsumexp");
  lse.grad({ x }, { out: g });
  console.log(`\nlog-sum-exp: traced and compiled in ${(performance.now() - t0).toFixed(0)} ms`);
  await compare("log-sum-exp of 10⁶ entries", {
    "plain JavaScript value": plain,
    "gradients lse.eval(x)": () => lse.eval({ x }),
    "gradients lse.grad(x, { out })": () => lse.grad({ x }, { out: g }),
  }, slow);
}

// ── Tracing and compiling at 10⁶ elements: an elementwise chain over a vector of
// 10⁶ entries, Σ sin(x²) + eˣ (5 × 10⁶ traced elements: the inputs, x², sin, eˣ
// and +, each a scalar node), traced, compiled and evaluated once; target ≤ 0.5 µs per traced element ──
{
  const n = 1_000_000, x = Float64Array.from({ length: n }, (_, i) => Math.sin(i));
  for (let run = 0; run < 3; run++) {
    const t0 = performance.now();
    const f = fn(n, (v) => v.mul(v).sin().add(v.exp()).sum());
    const t1 = performance.now();
    const value = f.eval(x);
    const t2 = performance.now();
    let plain = 0;
    for (let i = 0; i < n; i++) plain += Math.sin(x[i] * x[i]) + Math.exp(x[i]);
    close(value, plain, "traced chain", 1e-12);
    const nodes = 5 * n;
    console.log(`\ntracing 10⁶ elements: traced in ${(t1 - t0).toFixed(0)} ms, compiled and evaluated in ${(t2 - t1).toFixed(0)} ms: ` +
      `${((t2 - t0) * 1e3 / nodes).toFixed(2)} µs per traced element (${nodes.toLocaleString("en")} elements: the inputs and 4 elementwise operations)`);
    f.dispose();
  }
}

// ── Gaussian mixture log-likelihood (d = 64, k = 50, 1,000 points), parameterized by
// log-diagonals and lower triangles of the inverse Cholesky factors Q_k, with the
// Wishart-style prior of the AD benchmark (γ = 1, m = 0): objective and gradient ──
{
  const N = 1_000, d = 64, K = 50, tri = (d * (d - 1)) / 2;
  const data = Float64Array.from({ length: N * d }, (_, i) => Math.sin(i * 0.13));
  const alphas = Float64Array.from({ length: K }, (_, i) => Math.cos(i));
  const means = Float64Array.from({ length: K * d }, (_, i) => 0.5 * Math.sin(i * 0.7));
  const icf = Float64Array.from({ length: K * (d + tri) }, (_, i) => 0.1 * Math.cos(i * 0.3));
  const t0 = performance.now();
  // One point's term: logsumexp_k(α_k + Σ q_k − ½‖Q_k (x − μ_k)‖²), Q_k = diag(e^q_k) + strictly lower L_k (row-major).
  const term = fn({ x: [d], alphas: [K], means: [K, d], icf: [K, d + tri] }, ({ x, alphas, means, icf }) => {
    const parts = [];
    for (let k = 0; k < K; k++) {
      const q = icf[k].slice([0], [d]), l = icf[k].slice([d]), z = x.sub(means[k]);
      const rows = [];
      for (let j = 0, at = 0; j < d; at += j, j++) {
        const diagonal = q.at(j).exp().mul(z.at(j));
        rows.push(j === 0 ? diagonal : l.slice([at], [at + j]).dot(z.slice([0], [j])).add(diagonal));
      }
      parts.push(alphas.at(k).add(q.sum()).sub(stack(rows).pow(2).sum().mul(0.5)));
    }
    return stack(parts).logsumexp();
  });
  // The terms that do not depend on the data: −N·logsumexp(α) and the prior ½ Σ_k (‖e^q_k‖² + ‖l_k‖²).
  const rest = fn({ alphas: [K], icf: [K, d + tri] }, ({ alphas, icf }) =>
    alphas.logsumexp().mul(-N).add(icf.slice([0, 0], [K, d]).exp().pow(2).sum().add(icf.slice([0, d]).pow(2).sum()).mul(0.5)));
  const params = { alphas, means: new Tensor([K, d], means), icf: new Tensor([K, d + tri], icf) };
  const at = { x: new Tensor([N, d], data), ...params };
  const objective = () => (term.eval(at, { reduce: "sum" })) + rest.eval({ alphas, icf: params.icf });
  const gradient = () => [term.grad(at, { reduce: "sum", wrt: ["alphas", "means", "icf"] }), rest.grad({ alphas, icf: params.icf })];
  const plain = () => {
    let total = 0;
    const z = new Float64Array(d), lse = new Float64Array(K);
    for (let i = 0; i < N; i++) {
      for (let k = 0; k < K; k++) {
        const base = k * (d + tri);
        let qsum = 0, norm = 0;
        for (let j = 0; j < d; j++) { z[j] = data[i * d + j] - means[k * d + j]; qsum += icf[base + j]; }
        for (let j = 0, at = base + d; j < d; at += j, j++) {
          let s = 0;
          for (let t = 0; t < j; t++) s += icf[at + t] * z[t];
          s += Math.exp(icf[base + j]) * z[j];
          norm += s * s;
        }
        lse[k] = alphas[k] + qsum - 0.5 * norm;
      }
      let m = -Infinity;
      for (let k = 0; k < K; k++) if (lse[k] > m) m = lse[k];
      let s = 0;
      for (let k = 0; k < K; k++) s += Math.exp(lse[k] - m);
      total += m + Math.log(s);
    }
    let m = -Infinity;
    for (let k = 0; k < K; k++) if (alphas[k] > m) m = alphas[k];
    let s = 0;
    for (let k = 0; k < K; k++) s += Math.exp(alphas[k] - m);
    let prior = 0;
    for (let k = 0; k < K; k++) {
      const base = k * (d + tri);
      for (let j = 0; j < d; j++) prior += Math.exp(icf[base + j]) ** 2;
      for (let t = 0; t < tri; t++) prior += icf[base + d + t] ** 2;
    }
    return total - N * (m + Math.log(s)) + 0.5 * prior;
  };
  close(objective(), plain(), "mixture log-likelihood", 1e-8);
  console.log(`\nGaussian mixture: traced and compiled in ${(performance.now() - t0).toFixed(0)} ms (${term.tapeSize.instructions.toLocaleString("en")} instructions a point)`);
  await compare("Gaussian mixture log-likelihood (d = 64, k = 50, 1,000 points): objective and gradient", {
    "plain JavaScript objective": plain,
    "gradients term.eval(…, { reduce: \"sum\" }) + rest.eval(…)": objective,
    "gradients term.grad(…, { reduce, wrt: [3 parameters] }) + rest.grad(…)": gradient,
  }, slow);
}

// ── An explicit ODE: n = 10⁴ states, 100 Euler steps of the chain s'ᵢ = tanh(sᵢ₋₁) − sᵢ,
// the loss Σ s(T) and its gradient with respect to s(0), written with scan (one
// instruction, the step compiled once) and, for comparison, as a JavaScript loop
// the trace unrolls. ──
{
  const n = 10_000, steps = 100, dt = 0.01;
  const s0 = Float64Array.from({ length: n }, (_, i) => Math.sin(i));
  const rhs = (s) => concat([s.slice([0], [1]).mul(0), s.slice([0], [n - 1]).tanh()]).sub(s);
  let t0 = performance.now();
  const step = fn({ s: [n] }, ({ s }) => s.add(rhs(s).mul(dt)));
  const ode = fn({ s0: [n] }, ({ s0 }) => scan(step, s0, { length: steps }).sum());
  const tracedScan = performance.now() - t0;
  t0 = performance.now();
  const unrolled = fn({ s: [n] }, ({ s }) => {
    let state = s;
    for (let t = 0; t < steps; t++) state = state.add(rhs(state).mul(dt));
    return state.sum();
  });
  const tracedUnrolled = performance.now() - t0;
  const plain = () => {
    let a = Float64Array.from(s0), b = new Float64Array(n);
    for (let t = 0; t < steps; t++) {
      b[0] = a[0] + dt * (0 - a[0]);
      for (let i = 1; i < n; i++) b[i] = a[i] + dt * (Math.tanh(a[i - 1]) - a[i]);
      [a, b] = [b, a];
    }
    let total = 0;
    for (let i = 0; i < n; i++) total += a[i];
    return total;
  };
  close(ode.eval({ s0 }), plain(), "ODE (scan)");
  close(unrolled.eval({ s: s0 }), plain(), "ODE (unrolled)");
  const g = new Float64Array(n), gu = new Float64Array(n);
  ode.grad({ s0 }, { out: g });
  unrolled.grad({ s: s0 }, { out: gu });
  for (let i = 0; i < n; i += 997) close(g[i], gu[i], "ODE gradients agree", 1e-12);
  console.log(`\nODE: with scan, traced and compiled in ${tracedScan.toFixed(0)} ms (${ode.tapeSize.instructions} instructions);` +
    ` unrolled, ${tracedUnrolled.toFixed(0)} ms (${unrolled.tapeSize.instructions.toLocaleString("en")} instructions)`);
  await compare("explicit ODE, n = 10⁴, 100 steps: value and gradient by the initial state", {
    "plain JavaScript integration": plain,
    "gradients ode.eval(s0) (scan)": () => ode.eval({ s0 }),
    "gradients ode.grad(s0, { out }) (scan)": () => ode.grad({ s0 }, { out: g }),
    "gradients unrolled.eval(s0)": () => unrolled.eval({ s: s0 }),
    "gradients unrolled.grad(s0, { out })": () => unrolled.grad({ s: s0 }, { out: gu }),
  }, slow);
}
