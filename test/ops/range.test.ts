// Derivatives at the ends of the double range, against mpmath (test/fixtures/range.json,
// made by test/fixtures/generate_range.py): the wrong numbers an adversarial review found
// (second derivatives whose local partials underflowed, first derivatives whose partials
// over- or underflowed, rules that cancelled, powers at a zero base), each now within
// rounding of the correctly rounded value, in forward and reverse mode and for Hessians
// (forward over reverse, and reverse over reverse).
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { compile, fn, Tensor } from "../../bindings/index.js";
import { onBothTiers } from "../support/tiers.js";

interface RangeCase {
  name: string;
  expr: string;
  vars: string[];
  points: number[][];
  values: number[];
  gradients: number[][];
  /** null: an entry beyond the double range. */
  hessians: (number | null)[][][];
}

const cases = (JSON.parse(readFileSync(new URL("../fixtures/range.json", import.meta.url), "utf8")) as { cases: RangeCase[] }).cases;

/**
 * Second derivatives whose terms are larger than the result: the expression as
 * written computes them as a difference (log1p(exp(x)): u·r and u·ṙ with r = 1/(1 + u),
 * each about 1, for a Hessian of 2e-174 at x = 400; log(exp(x) + exp(y)) at (400, 390):
 * eˣ/s − e²ˣ/s², with s = eˣ + eʸ; asin at 1e-8 through (1 − x)(1 + x)).
 * There the error is rounding relative to that scale, not to the result.
 */
const HESSIAN_TERMS: Readonly<Record<string, number>> = { log1p_exp: 1, log_sum_exp: 1, asin_near_one: 1 };

/**
 * Absolute error allowed besides the relative one: the smallest normal double (results there are
 * subnormal, with fewer digits), or for cases about subnormal results a few of their steps
 * (x^y's ∂/∂y at (1e-200, 1.6), −4.6e-318, was 12 steps of 4.9e-324 off as v·ln x).
 */
const FLOOR: Readonly<Record<string, number>> = { pow_tiny_value: 8 * 4.9e-324 };

/** |got − want| ≤ rel·max(|want|, scale) + floor. */
function near(got: number, want: number, rel: number, scale: number, label: string, floor = 2.3e-308): void {
  const tol = rel * Math.max(Math.abs(want), scale) + floor;
  if (!(Math.abs(got - want) <= tol)) expect.fail(`${label}: got ${got}, want ${want} (error ${Math.abs(got - want).toExponential(2)} > ${tol.toExponential(2)})`);
}

describe("derivatives at the ends of the double range agree with mpmath", () => {
  for (const c of cases) {
    it(`${c.name}: ${c.expr}`, () => {
      const f = compile(c.expr, { vars: c.vars });
      const n = c.vars.length;
      c.points.forEach((x, k) => {
        const at = `${c.expr} at (${x})`;
        const floor = FLOOR[c.name];
        near(f.eval(x) as number, c.values[k], 1e-15, 0, `${at}: value`, floor);
        for (const mode of ["forward", "reverse"] as const) {
          const g = f.grad(x, { mode }) as Float64Array;
          c.gradients[k].forEach((want, i) => near(g[i], want, 1e-14, 0, `${at}: ∂/∂${c.vars[i]} (${mode})`, floor));
        }
        const H = c.hessians[k];
        if (H.flat().some((h) => h === null)) return; // a Hessian beyond the double range has no usable entries
        for (const mode of ["forward", "reverse"] as const) {
          const got = (f.hessian(x, { mode }) as Tensor).data;
          for (let i = 0; i < n; i++) {
            for (let j = 0; j < n; j++) {
              near(got[i * n + j], H[i][j]!, 1e-12, HESSIAN_TERMS[c.name] ?? 0, `${at}: H[${i}][${j}] (${mode})`, floor);
            }
          }
        }
      });
    });
  }

  it("reverse mode multiplies before it divides by a scale: (∂·w̄)/s, not ∂·(w̄/s), which overflows", () => {
    // ∂/∂b of 1e200·a/b = −1e200·a/b² = −1e300 at (1e-200, 1e-150); w̄/b alone is 1e350
    const q = compile("1e200*(a/b)", { vars: ["a", "b"] });
    for (const mode of ["forward", "reverse"] as const) expect((q.grad([1e-200, 1e-150], { mode }) as Float64Array)[1], mode).toBeCloseTo(-1e300, -286);
    // ∂/∂y of x^y at a huge base is x^y·ln x (its ∂x is scaled, its ∂y is not: ln x·x would overflow)
    const p = compile("x^y", { vars: ["x", "y"] });
    for (const mode of ["forward", "reverse"] as const) {
      const g = p.grad([1e308, 1e-10], { mode }) as Float64Array;
      expect(g[1], mode).toBeCloseTo(1e308 ** 1e-10 * Math.log(1e308), 10);
    }
  });

  it("the Hessian of x^y where x^y underflows keeps its ∂²/∂x∂y (the guard is on x = 0, not on x^y = 0)", () => {
    const want = 1e-300 * (1 + 2.5 * Math.log(1e-200)); // x^(y−1)·(1 + y·ln x)
    for (const mode of ["forward", "reverse"] as const) {
      const H = (compile("x^y", { vars: ["x", "y"] }).hessian([1e-200, 2.5], { mode }) as Tensor).data;
      // (and ∂/∂x of ∂/∂y, where x^y = 1e-500 underflows: x^(y−1)·xlogy(x, x) there, not x^y·ln x, which lost 1e-3)
      for (const h of [H[1], H[2]]) expect(Math.abs(h - want), mode).toBeLessThanOrEqual(1e-12 * Math.abs(want));
    }
  });

  it("tanh's Hessian in reverse mode at 150 < |x| < 300 (its 1/cosh² form would carry sech⁴, which underflows)", () => {
    const t = compile("tanh(x)", { vars: ["x"] });
    for (const x of [150, 190, 250, -299, 300.5]) {
      const sech = 2 * Math.exp(-Math.abs(x)) / (1 + Math.exp(-2 * Math.abs(x))), want = -2 * Math.tanh(x) * sech * sech;
      for (const mode of ["forward", "reverse"] as const) near((t.hessian([x], { mode }) as Tensor).data[0], want, 1e-14, 0, `tanh″(${x}) (${mode})`);
    }
  });

  it("asin, acos and atanh keep their second derivatives at tiny arguments (found by 100,000 precision runs: 0 for 10¹⁷)", () => {
    // d²/dx² asin(ax) = a³x/(1 − a²x²)^(3/2), acos the opposite, atanh 2a³x/(1 − a²x²)²; here a²x² = 10⁻⁴⁶, so
    // the closed forms are a³x and 2a³x to well within a double's rounding of them.
    const x = 1.0000000000000341e-43, a3x = 1e60 * x;
    for (const [expr, want] of [["asin(100000000000000000000*x)", a3x], ["acos(100000000000000000000*x)", -a3x], ["atanh(100000000000000000000*x)", 2 * a3x]] as const) {
      const f = compile(expr, { vars: ["x"] });
      const forward = (f.hessian([x]) as Tensor).data[0], reverse = (f.hessian([x], { mode: "reverse" }) as Tensor).data[0];
      for (const got of [forward, reverse]) expect(Math.abs(got - want), expr).toBeLessThanOrEqual(1e-13 * Math.abs(want));
    }
  });

  it("atan2's partials stay in range where a ≪ hypot(a, b) and b is large: d/dy atan2(1, sinh y) = −1/cosh y at y = 401", () => {
    // a/r² = 1/cosh² 401 underflows; (−a/r)·ḃ/r does not. (Reverse mode would carry the adjoint of
    // sinh y, 1e-348: out of range, as the README says.)
    const f = compile("atan2(1, sinh(y))", { vars: ["y"] });
    for (const y of [401, 300, -350]) near((f.grad([y], { mode: "forward" }) as Float64Array)[0], -1 / Math.cosh(y), 1e-14, 0, `at ${y}`);
  });

  it("a scaled term whose product falls below the normal range keeps its digits: ∂/∂z x/atan2(x, z) at x = 1.8e-264, z = −1.8e-214", () => {
    // atan2's ∂z is −x/h scaled by h = |z|: (−x/h)·w̄ with w̄ = −x/atan2² is 1e-315, a subnormal with 9 digits,
    // before the division by h brings it back to 1e-101; the term is then formed as d·(w̄/h). mpmath, 60 digits:
    const want = 1.034017306645115e-101;
    const f = compile("x/atan2(x, z)", { vars: ["x", "z"] });
    for (const mode of ["forward", "reverse"] as const) {
      near((f.grad([1.7904258067402344e-264, -1.7723216899577518e-214], { mode }) as Float64Array)[1], want, 4e-16, 0, mode);
    }
  });

  it("x^0 has a zero gradient and Hessian everywhere, 0 included (x^0 = 1 for every x)", () => {
    const f = compile("x^0", { vars: ["x"] });
    for (const x of [0, -0, 2, -3, 1e-300]) {
      expect(f.eval([x])).toBe(1);
      expect(Array.from(f.grad([x]))).toEqual([0]);
      expect(Array.from((f.hessian([x]) as Tensor).data)).toEqual([0]);
    }
  });

  it("sin and cos of a tensor at |x| ≥ 2¹⁰¹⁷ in a batch (the op table's row loops) have the fixture's gradients too", () => {
    for (const name of ["sin_huge", "cos_huge"]) {
      const c = cases.find((k) => k.name === name)!;
      const f = fn(c.points.length, (x) => (name === "sin_huge" ? x.sin() : x.cos()).sum());
      const g = f.grad(Float64Array.from(c.points.flat())) as Float64Array;
      c.gradients.forEach(([want], i) => near(g[i], want, 1e-14, 0, `${name} at ${c.points[i][0]}`));
      const batch = compile(c.expr, { vars: c.vars }).grad(new Tensor([c.points.length, 1], Float64Array.from(c.points.flat()))) as Tensor;
      c.gradients.forEach(([want], i) => near(batch.data[i], want, 1e-14, 0, `${name} batch at ${c.points[i][0]}`));
    }
  });

  it("hypot's and atan2's partials where hypot overflows or an argument is infinite are their limits, not 0 or NaN", () => {
    const hypot = compile("hypot(a, b)", { vars: ["a", "b"] }), atan2 = compile("atan2(a, b)", { vars: ["a", "b"] });
    for (const mode of ["forward", "reverse"] as const) {
      const [da, db] = hypot.grad([1.5e308, 1.5e308], { mode }) as Float64Array; // a/√(a² + b²) = 1/√2 though a² + b² overflows
      near(da, Math.SQRT1_2, 4e-16, 0, `${mode}: ∂a hypot at (1.5e308, 1.5e308)`);
      near(db, Math.SQRT1_2, 4e-16, 0, `${mode}: ∂b hypot at (1.5e308, 1.5e308)`);
      expect(Array.from(hypot.grad([Infinity, 1], { mode }) as Float64Array), mode).toEqual([1, 0]);
      expect(Array.from(hypot.grad([-Infinity, 2], { mode }) as Float64Array), mode).toEqual([-1, 0]);
      expect(Array.from(hypot.grad([1, Infinity], { mode }) as Float64Array), mode).toEqual([0, 1]);
      expect(Array.from(hypot.grad([Infinity, Infinity], { mode }) as Float64Array).every(Number.isNaN), `${mode}: no limit at (∞, ∞)`).toBe(true);
      // ∂a atan2(a, b) = b/(a² + b²), ∂b = −a/(a² + b²): both tend to 0 as either argument does to ±∞
      for (const at of [[1, Infinity], [Infinity, 1], [-2, -Infinity]]) {
        expect(Array.from(atan2.grad(at, { mode }) as Float64Array, Math.abs), `${mode}: atan2 at (${at})`).toEqual([0, 0]);
      }
    }
  });

  it("the logarithms' first derivatives at a subnormal argument: v/x, not ∞ (1/x overflows there), on both tiers, one point and a batch", () => {
    const x = 1e-310, factor: Record<string, number> = { log: 1, log2: 1 / Math.LN2, log10: 1 / Math.LN10 };
    for (const [name, c] of Object.entries(factor)) {
      // jvp at x along v = x: c·v/x = c exactly; the gradient of x·name(t) at t = x: c·x/x = c (reverse mode)
      const f = () => compile(`${name}(t)`, { vars: ["t"] }), g = () => compile(`${x}*${name}(t)`, { vars: ["t"] });
      onBothTiers(f, (h) => near(h.jvp([x], [x]) as number, c, 2.3e-16, 0, `${name}: jvp at ${x}`));
      onBothTiers(f, (h) => near(h.jvp([-x], [x]) as number, -c, 2.3e-16, 0, `${name}: jvp at ${-x}`));
      onBothTiers(g, (h) => near((h.grad([x], { mode: "reverse" }) as Float64Array)[0], c, 2.3e-16, 0, `${name}: reverse gradient`));
      // the smallest tangent and cotangent, 5e-324: c·5e-324 is 0 for c < ½ (log10), so the term is c·(ȧ/a)
      const h = () => compile(`5e-324*${name}(t)`, { vars: ["t"] });
      for (const a of [x, 5e-324]) {
        onBothTiers(f, (k) => near(k.jvp([a], [5e-324]) as number, c * (5e-324 / a), 4.5e-16, 0, `${name}: jvp at ${a} along 5e-324`));
        onBothTiers(h, (k) => near((k.grad([a], { mode: "reverse" }) as Float64Array)[0], c * (5e-324 / a), 4.5e-16, 0, `${name}: reverse at ${a}, cotangent 5e-324`));
      }
      // a batch mixing subnormal and ordinary points: each point as it is alone (the row's scale is 1 at the others)
      const points = new Tensor([3, 1], Float64Array.of(2, x, 0.5));
      const rows = onBothTiers(f, (h) => (h.jvp(points, new Tensor([3, 1], Float64Array.of(1, x, 1))) as Tensor).data);
      near(rows[0], c / 2, 2.3e-16, 0, `${name}: batch jvp at 2`);
      near(rows[1], c, 2.3e-16, 0, `${name}: batch jvp at ${x}`);
      near(rows[2], 2 * c, 2.3e-16, 0, `${name}: batch jvp at 0.5`);
    }
  });
});
