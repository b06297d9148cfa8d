// Derivatives of any order (Taylor mode): coefficients of f(x + t·v) against
// sympy's high-order derivatives and mpmath's 60-digit Taylor series
// (test/fixtures/taylor.json, from generate_taylor.py), and against the library's
// independent first and second derivatives (gradient, Hessian).
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { compile, fn, InputError, ShapeError, Tensor } from "../../bindings/index.js";
import { expectClose, expectThrows } from "../support/helpers.js";

interface Case { expr: string; vars: string[]; x: number[]; v: number[]; order: number; reference: string; coefficients: number[] }
const cases = JSON.parse(readFileSync(new URL("../fixtures/taylor.json", import.meta.url), "utf8")) as Case[];

/** |got − want| ≤ rel·|want| + floor·max|want|, coefficient by coefficient. */
function expectCoefficients(got: ArrayLike<number>, want: readonly number[], rel: number, label: string): void {
  const scale = Math.max(...want.map(Math.abs));
  want.forEach((w, k) => {
    const err = Math.abs(got[k] - w), tol = rel * Math.abs(w) + 1e-16 * scale;
    if (!(err <= tol)) expect.fail(`${label}: c${k} = ${got[k]}, want ${w} (error ${err.toExponential(2)} > ${tol.toExponential(2)})`);
  });
}

describe("taylor(x, v, order): the coefficients of f(x + t·v)", () => {
  it.each(cases.map((c) => [c.expr, c] as const))("%s to order 20 (12 for two variables), within 1e-13 of each coefficient", (_, c) => {
    const f = compile(c.expr, { vars: c.vars });
    const got = f.taylor(c.x, c.v, c.order) as Float64Array;
    expect(got.length).toBe(c.order + 1);
    expectCoefficients(got, c.coefficients, 1e-13, `${c.expr} (reference: ${c.reference})`);
  });

  it("order 1 is the directional derivative, order 2 half of vᵀHv, from the independent exact sweeps", () => {
    const f = compile("exp(x*y)*sin(x + 2*y) + x^3/(1 + y^2)", { vars: ["x", "y"] });
    const x = [0.4, -0.7], v = [1.5, -0.5];
    const c = f.taylor(x, v, 2) as Float64Array, g = f.grad(x) as Float64Array, H = (f.hessian(x) as Tensor).data;
    expectClose([c[0]], [f.eval(x) as number], 1e-16, "c0 = f");
    expectClose([c[1]], [g[0] * v[0] + g[1] * v[1]], 1e-15, "c1 = ∇f·v");
    const vHv = H[0] * v[0] * v[0] + 2 * H[1] * v[0] * v[1] + H[3] * v[1] * v[1];
    expectClose([2 * c[2]], [vHv], 1e-14, "2·c2 = vᵀHv");
  });

  it("vector and tensor outputs give [...O, order + 1]; where follows the branch taken", () => {
    const F = compile(["x*y", "where(x > 0, x^3, -x)"], { vars: ["x", "y"] });
    const T = F.taylor([2, 3], [1, 0], 4) as Tensor;
    expect(T.shape).toEqual([2, 5]);
    expect(Array.from(T.data)).toEqual([6, 3, 0, 0, 0, 8, 12, 6, 1, 0]);
    expect(Array.from((F.taylor([-2, 3], [1, 0], 2) as Tensor).data)).toEqual([-6, 3, 0, 2, -1, 0]);
  });
});

describe("derivatives(x, order): f, f′, …, f⁽ᵏ⁾ of a function of one variable", () => {
  it("is k!·cₖ: the fixtures' functions of x, as derivatives", () => {
    for (const c of cases.filter((c) => c.vars.length === 1)) {
      const d = compile(c.expr).derivatives(c.x, c.order);
      let factorial = 1;
      const want = c.coefficients.map((w, k) => w * (k === 0 ? 1 : (factorial *= k)));
      expectCoefficients(d, want, 2e-13, c.expr);
    }
  });

  it("closed forms: the n-th derivative of log is (−1)ⁿ⁻¹(n−1)!/xⁿ; of a polynomial, exact and then 0", () => {
    const d = compile("log(x)").derivatives([2], 12);
    let factorial = 1;
    for (let n = 1; n <= 12; n++) {
      expectClose([d[n]], [(-1) ** (n - 1) * factorial / 2 ** n], 1e-15, `log^(${n})`);
      factorial *= n;
    }
    expect(Array.from(compile("x^5 - 3*x^2").derivatives([1], 7))).toEqual([-2, -1, 14, 60, 120, 120, 0, 0]);
    expect(Array.from(fn({ t: [] }, ({ t }) => t.sin()).derivatives(0, 4))).toEqual([0, 1, 0, -1, 0]); // a scalar input
  });

  it("powers with a constant exponent, at negative bases and at 0 (no 0·NaN from the exponent's partial)", () => {
    expect(Array.from(compile("x^3").derivatives([-2], 4))).toEqual([-8, 12, -12, 6, 0]);
    expect(Array.from(compile("x^3").derivatives([0], 5))).toEqual([0, 0, 0, 6, 0, 0]);
    expect(Array.from(compile("x^4").derivatives([0], 6))).toEqual([0, 0, 0, 0, 24, 0, 0]);
    expectCoefficients(compile("x^(-1)").derivatives([-2], 4), [-0.5, -0.25, -0.25, -0.375, -0.75], 1e-15, "1/x at −2");
  });

  it("refuses what it cannot do, with what was expected", () => {
    expectThrows(() => compile("x*y").derivatives([1, 2], 3), ShapeError, /one variable.*taylor\(x, v, order\)/);
    expectThrows(() => compile("sin(x)").derivatives([1], 2.5), InputError, /whole number from 0 to 100/);
    expectThrows(() => compile("sin(x)").derivatives([1], -1), InputError, /whole number/);
    expectThrows(() => compile("sin(x)").taylor(new Tensor([2, 1], Float64Array.of(1, 2)), [1], 2), InputError, /not a batch/);
    expectThrows(() => compile("det(A)", { vars: { A: [2, 2] } }).taylor([1, 2, 3, 4], [1, 0, 0, 1], 3), InputError, /through det/);
    expect(compile("sin(x)").derivatives([1], 0)).toEqual(Float64Array.of(Math.sin(1)));
  });
});
