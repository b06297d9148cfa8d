// Derivatives of any order (Taylor mode): coefficients of f(x + t·v) against
// sympy's high-order derivatives and mpmath's 60-digit Taylor series
// (test/fixtures/taylor.json, from generate_taylor.py), sinc's to order 100
// against mpmath's 80-digit ones (test/fixtures/sinc-taylor.json, from
// generate_sinc_taylor.py), closed forms, and the library's independent first
// and second derivatives (gradient, Hessian, jvp).
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { compile, defineFunction, fn, InputError, removeFunction, scan, ShapeError, Tensor } from "../../bindings/index.js";
import { expectClose, expectThrows } from "../support/helpers.js";

interface Case { expr: string; vars: string[]; x: number[]; v: number[]; order: number; reference: string; coefficients: number[] }
const cases = JSON.parse(readFileSync(new URL("../fixtures/taylor.json", import.meta.url), "utf8")) as Case[];
interface SincCase { expr: string; x: number[]; v: number[]; order: number; coefficients: number[] }
const sincCases = JSON.parse(readFileSync(new URL("../fixtures/sinc-taylor.json", import.meta.url), "utf8")) as SincCase[];

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
    // (−x's series along t is [2, −1, −0], the negation of x's [−2, 1, 0]: the branch taken, its −0 included)
    expect(Array.from((F.taylor([-2, 3], [1, 0], 2) as Tensor).data)).toEqual([-6, 3, 0, 2, -1, -0]);
    expect(Array.from(compile("-x").taylor([-2], [1], 2))).toEqual([2, -1, -0]);
  });
});

describe("sinc to order 100, and ranges: what Taylor mode got wrong", () => {
  // Was: sinc's spec rule run as a series (a degree-19 polynomial near 0, a series division that
  // amplified rounding away from it, and two calls of sinc per order): every coefficient from 22 on
  // 0 at x = 0, c20 at 0.5 eight times too large, and time tripling every two orders (order 100 hung).
  it.each(sincCases.map((c) => [c.expr, c.x[0], c.v[0], c.order, c] as const))("%s at %s along %s to order %s: within 1e-13 of mpmath's", (_e, _x, _v, _k, c) => {
    const got = compile(c.expr).taylor(c.x, c.v, c.order) as Float64Array;
    expect(got.length).toBe(c.order + 1);
    const w = c.coefficients;
    w.forEach((want, k) => { // relative; a coefficient that cancels (1e-2 of its neighbours') is held to 1e-15 of theirs
      const tol = 1e-13 * Math.abs(want) + 1e-15 * (Math.abs(w[k - 1] ?? 0) + Math.abs(w[k + 1] ?? 0));
      if (!(Math.abs(got[k] - want) <= tol)) expect.fail(`${c.expr} at ${c.x[0]}: c${k} = ${got[k]}, want ${want}`);
    });
  });

  it("closed forms: sinc⁽ⁿ⁾(0) = (−1)^(n/2)·πⁿ/(n + 1) for even n, 0 for odd, to n = 100; at a whole number n, sinc′ = (−1)ⁿ/n, c2 = −(−1)ⁿ/n², c3 = (−1)ⁿ(1/n³ − π²/(6n))", () => {
    const d = compile("sinc(x)").derivatives([0], 100);
    expectClose([d[22]], [-(Math.PI ** 22) / 23], 1e-14, "sinc^(22)(0)");
    for (let n = 0; n <= 100; n++) {
      if (n % 2) expect(d[n], `sinc^(${n})(0)`).toBe(0);
      else expectClose([d[n]], [(-1) ** (n / 2) * Math.PI ** n / (n + 1)], 1e-13, `sinc^(${n})(0)`);
    }
    for (const n of [3, 2 ** 52 + 1, 2 ** 53, 1e300]) { // (every double from 2⁵³ on is even)
      const s = n % 2 ? -1 : 1, c = compile("sinc(x)").taylor([n], [1], 3) as Float64Array;
      expectCoefficients(c, [0, s / n, -s / n / n, s * (1 / n / n / n - Math.PI ** 2 / 6 / n)], 1e-15, `sinc at ${n}`);
    }
  });

  it("sinc's own series (Taylor mode's second definition of sinc) gives the spec's first and second derivatives: c1 = jvp, 2·c2 = the Hessian", () => {
    const f = compile("sinc(x)");
    for (const x of [0, 1e-300, 1e-8, -0.1, 0.25, 0.5, 1, -2, 3.75, 10.3, 1e3, 123456.7, 2 ** 52 + 1, 2 ** 53, 1e300]) {
      const c = f.taylor([x], [1], 2) as Float64Array;
      expect(c[0], `sinc(${x})`).toBe(f.eval([x]));
      const want = [f.jvp([x], [1]) as number, (f.hessian([x]) as Tensor).data[0]];
      [c[1], 2 * c[2]].forEach((got, k) => {
        if (!(got === want[k] || Math.abs(got - want[k]) <= 1e-14 * Math.abs(want[k]))) expect.fail(`sinc ${k ? "″" : "′"} at ${x}: ${got}, the spec's ${want[k]}`);
      });
    }
  });

  it("pow's scaled ∂a (Taylor mode's copy of the core's test) agrees with jvp on both sides of its branch", () => {
    // (scaled where a^(b−1) leaves the range and a^b does not: the first, third, fourth and fifth)
    for (const [x, y] of [[1e-300, -0.5], [1e-300, 0.5], [1e-200, -1.2], [1e-250, -0.9], [1e-308, -0.99], [2, 1000.5], [1e-310, 0.5], [3, 2.5], [1e150, 2.05]]) {
      const f = compile(`x^(${y})`), c = f.taylor([x], [x], 1) as Float64Array, jvp = f.jvp([x], [x]) as number;
      expect(Number.isFinite(jvp), `jvp at (${x}, ${y})`).toBe(true);
      expectClose([c[1]], [jvp], 1e-15, `x^(${y})′·x at ${x}`);
    }
  });

  it("a partial's scale divides after its product with the tangent, as in jvp: no overflow or underflow the result does not have", () => {
    // (x^−0.5 at 1e-300: c1 was −∞, its b·a^(b−1) 5e449; atan′ at 1e300 was (1/h)/h = 0; log at 1e-310 was ∞)
    const binomial = (r: number, k: number) => { let c = 1; for (let j = 0; j < k; j++) c *= (r - j) / (j + 1); return c; };
    expectCoefficients(compile("x^-0.5").taylor([1e-300], [1e-300], 4) as Float64Array, [0, 1, 2, 3, 4].map((k) => binomial(-0.5, k) * 1e150), 1e-15, "x^-0.5");
    expect((compile("x^-0.5").taylor([1e-300], [1e-300], 1) as Float64Array)[1]).toBe(compile("x^-0.5").jvp([1e-300], [1e-300]));
    expectCoefficients(compile("atan(x)").taylor([1e300], [1e300], 3) as Float64Array, [Math.PI / 2, 1e-300, -1e-300, 1e-300], 1e-15, "atan");
    expectCoefficients((compile("log(x)").taylor([1e-310], [1e-310], 4) as Float64Array).subarray(1), [1, -1 / 2, 1 / 3, -1 / 4], 1e-15, "log");
    expectCoefficients((compile("log10(x)").taylor([1e-310], [1e-310], 2) as Float64Array).subarray(1), [1 / Math.LN10, -0.5 / Math.LN10], 1e-12, "log10"); // (v·(1/ln 10) is subnormal: 13 digits)
  });

  it("a constant's later coefficients are not multiplied, as jvp skips a constant's lane: x·0 at ∞ has c1 = 0", () => {
    expect((compile("x*0").taylor([Infinity], [1], 2) as Float64Array)[1]).toBe(0);
    expect(compile("x*0").jvp([Infinity], [1])).toBe(0);
    expect(Array.from((compile("x + 0*y", { vars: ["x", "y"] }).taylor([1, Infinity], [1, 0], 2) as Float64Array).subarray(1))).toEqual([1, 0]);
    expect(Array.from((compile("x/2").taylor([Infinity], [1], 2) as Float64Array))).toEqual([Infinity, 0.5, 0]);
  });

  it("refusals name a function defined by code and scan, not the core's host instruction", () => {
    defineFunction("taylorTestExp(a)", { value: (a: number) => Math.exp(a), partials: (a: number) => [Math.exp(a)] });
    try {
      expectThrows(() => compile("taylorTestExp(x)").taylor([1], [1], 3), InputError, /through taylorTestExp, a function defined by code,/);
    } finally { removeFunction("taylorTestExp"); }
    const half = fn({ s: [2] }, ({ s }) => s.mul(0.5));
    const f = fn({ s0: [2] }, ({ s0 }) => scan(half, s0, { length: 3 }).sum());
    expect(expectThrows(() => f.taylor([8, 16], [1, 0], 3), InputError, /through scan yet/).message).not.toMatch(/host/);
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
