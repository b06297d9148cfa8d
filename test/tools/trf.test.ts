// leastSquares with method "trf" (trust-region reflective): bounded minima
// against closed forms and an active-set enumeration in plain JavaScript,
// residuals at the ends of the double range, and the NIST problems unbounded.
import { describe, expect, it } from "vitest";
import { compile, fit, InputError, leastSquares } from "../../bindings/index.js";
import { digits, nistProblems } from "../support/nist.mjs";
import { expectClose, expectThrows, random } from "../support/helpers.js";

/** Solves the small dense system A·x = b (Gaussian elimination with partial pivoting). */
function solveDense(A: number[][], b: number[]): number[] {
  const n = b.length, M = A.map((row, i) => [...row, b[i]]);
  for (let k = 0; k < n; k++) {
    const p = M.slice(k).reduce((best, row, i) => (Math.abs(row[k]) > Math.abs(M[best][k]) ? k + i : best), k);
    [M[k], M[p]] = [M[p], M[k]];
    for (let i = k + 1; i < n; i++) { const f = M[i][k] / M[k][k]; for (let j = k; j <= n; j++) M[i][j] -= f * M[k][j]; }
  }
  const x = new Array(n).fill(0);
  for (let k = n - 1; k >= 0; k--) x[k] = (M[k][n] - M[k].slice(k + 1, n).reduce((t, a, j) => t + a * x[k + 1 + j], 0)) / M[k][k];
  return x;
}

describe('leastSquares, method "trf"', () => {
  it("the bounded Rosenbrock residuals (x₂ ≥ 1.5): x₁ the root of 200x³ − 299x − 1 = 0, x₂ on its bound", () => {
    const r = leastSquares(compile(["10*(x2 - x1^2)", "1 - x1"]), [2, 2], { method: "trf", bounds: [[-Infinity, 1.5], [Infinity, Infinity]] });
    // ∂cost/∂x₁ = 0 with x₂ = 1.5: −200x₁(1.5 − x₁²) − (1 − x₁) = 0; Newton's method from 1.2
    let x1 = 1.2;
    for (let k = 0; k < 50; k++) x1 -= (200 * x1 ** 3 - 299 * x1 - 1) / (600 * x1 ** 2 - 299);
    expect(r.converged, r.reason).toBe(true);
    expectClose(r.p, [x1, 1.5], 1e-9, "minimizer");
    expect(r.p[1]).toBeGreaterThanOrEqual(1.5); // (strictly inside, or on the bound: never outside)
    expectClose([r.cost], [0.5 * (100 * (1.5 - x1 * x1) ** 2 + (1 - x1) ** 2)], 1e-12, "cost");
  });

  it("box-constrained linear least squares: the minimum an enumeration of the active sets finds", () => {
    const rand = random(21);
    for (let trial = 0; trial < 5; trial++) {
      const m = 12, n = 3;
      const A = Array.from({ length: m }, () => Array.from({ length: n }, () => rand() * 2 - 1));
      const b = Array.from({ length: m }, () => 3 * (rand() * 2 - 1));
      const lower = [-0.3, -0.2, -Infinity], upper = [0.25, Infinity, 0.1];
      const cost = (x: number[]) => 0.5 * A.reduce((t, row, i) => t + (row.reduce((s, a, j) => s + a * x[j], 0) - b[i]) ** 2, 0);
      // every choice of free / at lower / at upper per variable: the best feasible stationary point is the minimum (convex)
      let best = { x: [0, 0, 0], cost: Infinity };
      for (let code = 0; code < 27; code++) {
        const state = [code % 3, Math.floor(code / 3) % 3, Math.floor(code / 9)];
        if (state.some((st, j) => (st === 1 && !Number.isFinite(lower[j])) || (st === 2 && !Number.isFinite(upper[j])))) continue;
        const fixed = state.map((st, j) => (st === 1 ? lower[j] : st === 2 ? upper[j] : NaN));
        const free = state.flatMap((st, j) => (st === 0 ? [j] : []));
        const x = fixed.slice();
        if (free.length) {
          const rhs = b.map((bi, i) => bi - A[i].reduce((t, a, j) => t + (state[j] === 0 ? 0 : a * fixed[j]), 0));
          const N = free.map((p) => free.map((q) => A.reduce((t, row) => t + row[p] * row[q], 0)));
          const y = solveDense(N, free.map((p) => A.reduce((t, row, i) => t + row[p] * rhs[i], 0)));
          free.forEach((j, k) => { x[j] = y[k]; });
        }
        if (x.every((v, j) => v >= lower[j] - 1e-12 && v <= upper[j] + 1e-12) && cost(x) < best.cost) best = { x, cost: cost(x) };
      }
      const f = compile(A.map((row, i) => `${row.map((a, j) => `(${a})*p${j}`).join(" + ")} - (${b[i]})`), { vars: ["p0", "p1", "p2"] });
      const r = leastSquares(f, [0, 0, 0], { method: "trf", bounds: [lower, upper] });
      expect(r.converged, r.reason).toBe(true);
      expectClose(r.p, best.x, 1e-7, `trial ${trial}: minimizer`, 0.1); // (to 1e-8: the cost test stops where the cost is flat to 1e-15)
      expectClose([r.cost], [best.cost], 1e-10, `trial ${trial}: cost`);
      r.p.forEach((v, j) => expect(v >= lower[j] && v <= upper[j], `p${j} = ${v} within its bounds`).toBe(true));
    }
  });

  it("a NIST model held by a bound (Misra1a with b2 ≤ 4e-4): b2 on it, b1 the linear least-squares fit given it", () => {
    const P = nistProblems().find((p) => p.name === "Misra1a")!;
    const { x, y } = P.data as { x: number[]; y: number[] };
    const r = fit(P.model, P.data, { b1: 500, b2: 1e-4 }, { method: "trf", bounds: { b2: [0, 4e-4] } });
    expect(r.converged, r.reason).toBe(true);
    // the unbounded minimum has b2 = 5.4e-4 (certified), beyond the bound: b2 stays on it, and then
    // y ≈ b1·u with u = 1 − exp(−b2·x) is linear in b1: b1 = Σ y·u / Σ u²
    const u = x.map((xi) => 1 - Math.exp(-4e-4 * xi));
    const b1 = u.reduce((t, ui, i) => t + ui * y[i], 0) / u.reduce((t, ui) => t + ui * ui, 0);
    expectClose([r.p.b1, r.p.b2], [b1, 4e-4], 1e-8, "minimizer on the bound");
    expect(r.p.b2).toBeLessThanOrEqual(4e-4);
    expectClose([r.cost], [0.5 * u.reduce((t, ui, i) => t + (b1 * ui - y[i]) ** 2, 0)], 1e-12, "cost");
  });

  it("reaches NIST's certified parameters unbounded, all 54 runs (Bennett5 from its first start takes 1,223 iterations: past the default 1,000)", () => {
    for (const P of nistProblems()) {
      for (const s of [0, 1]) {
        const data = P.response === "log(y)" ? { ...P.data, y: P.data.y.map(Math.log) } : P.data;
        const r = fit(P.model, data, Object.fromEntries(P.params.map((b, j) => [b, P.starts[s][j]])), { method: "trf", maxIterations: 2000 });
        expect(r.converged, `${P.name} ${s + 1}: ${r.reason}`).toBe(true);
        P.params.forEach((b, j) => expect(digits(r.p[b], P.certified[j]), `${P.name} ${s + 1}: ${b}`).toBeGreaterThanOrEqual(6));
      }
    }
  }, 60_000);

  it("judges convergence without units: a parameter on a scale of 1e-6 near its bound is fitted, not stopped early", () => {
    // r = (1e3·(x − 1e-6), 1): the minimum x = 1e-6, inside [0, 1e-5]
    // (the constant residual makes the cost flat to 1e-13 within 3e-13 of the minimum: x is determined to about that)
    const f = compile(["1e3*(x - 1e-6)", "1"], { vars: ["x"] });
    const r = leastSquares(f, [9e-6], { method: "trf", bounds: [[0], [1e-5]] });
    expect(r.converged, r.reason).toBe(true);
    expectClose(r.p, [1e-6], 1e-6, "minimizer");
    // a loose gradTol stops where the scaled gradient is 1e-8 (as SciPy's does, at 1.0005e-6), not at 2.7e-6
    const loose = leastSquares(f, [9e-6], { method: "trf", bounds: [[0], [1e-5]], gradTol: 1e-8 });
    expect(loose.converged, loose.reason).toBe(true);
    expectClose(loose.p, [1e-6], 1e-3, "minimizer (gradTol 1e-8)");
  });

  it("residuals near the ends of the double range: 1e155 (½‖r‖² overflows) and 1e-165 (it underflows)", () => {
    // r = (c + x, c + 2x): the minimum x = −0.6c
    for (const c of [1e155, 1e-165]) {
      const r = leastSquares(compile([`${c} + x`, `${c} + 2*x`], { vars: ["x"] }), [0], { method: "trf" });
      expect(r.converged, `c = ${c}: ${r.reason}`).toBe(true);
      expectClose(r.p, [-0.6 * c], 1e-8, `c = ${c}: minimizer`);
      expect(r.evaluations).toBeLessThan(100);
    }
  });

  it("a parameter fixed by lower = upper stays there, and the others are fitted given it", () => {
    const f = compile(["a - 1", "b - 2", "a*b - 3"], { vars: ["a", "b"] });
    const r = leastSquares(f, [0.5, 0], { method: "trf", bounds: [[0.5, -Infinity], [0.5, Infinity]] });
    expect(r.converged, r.reason).toBe(true);
    expect(r.p[0]).toBe(0.5);
    // with a = 0.5: minimize (b − 2)² + (0.5b − 3)²: b = (2 + 1.5)/(1 + 0.25)
    expectClose([r.p[1]], [3.5 / 1.25], 1e-9, "b given a");
  });

  it("refuses an unknown method, and starts from a point on a bound by moving it inside", () => {
    const f = compile(["x - 2", "y + 1"], { vars: ["x", "y"] });
    expectThrows(() => leastSquares(f, [0, 0], { method: "newton" as "lm" }), InputError, /method must be "lm" or "trf"/);
    const r = leastSquares(f, [0, 0], { method: "trf", bounds: [[0, 0], [1, 5]] });
    expect(r.converged, r.reason).toBe(true);
    expectClose(r.p, [1, 0], 1e-8, "the box's corner nearest (2, −1)", 1e-8);
  });
});
