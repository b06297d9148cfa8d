// The gamma family and the other special functions users ask for (lgamma,
// digamma, polygamma, gamma, erfinv, sinc, xlogy; beta, logit and log1mexp made
// of others) against mpmath: values in ulps of the correctly rounded result
// (test/fixtures/gamma.json, made by generate_gamma.py), derivatives in every
// mode against mpmath's, and the IEEE edges. Their rows are also walked by
// test/ops/spec.test.ts with every other primitive.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ulps } from "../support/helpers.js";
import { beta, compile, digamma, erfinv, gamma, lgamma, log1mexp, logit, polygamma, sinc, Tensor, xlogy } from "../../bindings/index.js";

interface Fixtures {
  lgamma: { x: number; lgamma: number; digamma: number; trigamma: number }[];
  gamma: { x: number; gamma: number; dgamma: number }[];
  polygamma: { n: number; x: number; value: number; next: number }[];
  erfinv: { y: number; erfinv: number; derfinv: number }[];
  sinc: { x: number; sinc: number; dsinc: number }[];
  beta: { a: number; b: number; beta: number; dbeta: number[] }[];
  logit: { p: number; logit: number; dlogit: number }[];
  log1mexp: { x: number; log1mexp: number; dlog1mexp: number }[];
  xlogy: { x: number; y: number; xlogy: number; dx: number; dy: number }[];
}
const F = JSON.parse(readFileSync(new URL("../fixtures/gamma.json", import.meta.url), "utf8")) as Fixtures;


/** The worst error in ulps over the cases, and where. */
function worst<C>(cases: readonly C[], got: (c: C) => number, want: (c: C) => number, at: (c: C) => unknown) {
  let most = 0, where: unknown;
  for (const c of cases) {
    const e = ulps(got(c), want(c));
    if (!(e <= most)) { most = e; where = at(c); }
  }
  return { most, where };
}

const num = (f: unknown) => f as (...a: number[]) => number;

describe("values against mpmath (50 digits, rounded once)", () => {
  const positive = F.lgamma.filter((c) => c.x > 0), negative = F.lgamma.filter((c) => c.x < 0);

  it.each([
    ["lgamma, x > 0 (its zeros at 1 and 2 included), to 1e300", 4, positive, (c: Fixtures["lgamma"][0]) => num(lgamma)(c.x), (c: Fixtures["lgamma"][0]) => c.lgamma],
    ["digamma, x > 0 (its root 1.4616… included)", 4, positive, (c: Fixtures["lgamma"][0]) => num(digamma)(c.x), (c: Fixtures["lgamma"][0]) => c.digamma],
    ["polygamma(1, x), x > 0", 8, positive, (c: Fixtures["lgamma"][0]) => num(polygamma)(1, c.x), (c: Fixtures["lgamma"][0]) => c.trigamma],
  ] as const)("%s within %i ulp", (_name, limit, cases, got, want) => {
    const { most, where } = worst(cases, got, want, (c) => c.x);
    expect(most, `at x = ${String(where)}`).toBeLessThanOrEqual(limit);
  });

  it("lgamma and digamma for x < 0 (reflection): within 1e-13 relative, or 1e-15 absolute next to lgamma's zeros", () => {
    for (const c of negative) {
      expect(Math.abs(num(lgamma)(c.x) - c.lgamma), `lgamma(${c.x})`).toBeLessThanOrEqual(1e-13 * Math.abs(c.lgamma) + 1e-15);
      expect(Math.abs(num(digamma)(c.x) - c.digamma), `digamma(${c.x})`).toBeLessThanOrEqual(1e-13 * Math.abs(c.digamma));
    }
  });

  it("gamma within 2 ulp on (0, 171.6] (integers exact), 1e-13 relative for x < 0", () => {
    const positive = F.gamma.filter((c) => c.x > 0);
    const g = (c: { x: number }) => num(gamma)(c.x);
    const { most, where } = worst(positive, g, (c) => c.gamma, (c) => c.x);
    expect(most, `at x = ${String(where)}`).toBeLessThanOrEqual(2);
    for (let k = 1; k <= 20; k++) expect(num(gamma)(k + 1)).toBe(Array.from({ length: k }, (_, i) => i + 1).reduce((a, b) => a * b, 1));
    for (const c of F.gamma.filter((c) => c.x < 0)) expect(Math.abs(g(c) - c.gamma), `gamma(${c.x})`).toBeLessThanOrEqual(1e-13 * Math.abs(c.gamma));
  });

  it("polygamma(n, x) for n = 1 … 4 and 10 within 8 ulp", () => {
    const { most, where } = worst(F.polygamma, (c) => num(polygamma)(c.n, c.x), (c) => c.value, (c) => [c.n, c.x]);
    expect(most, `at (n, x) = ${String(where)}`).toBeLessThanOrEqual(8);
  });

  it("erfinv within 4 ulp on (−1, 1), 1 − 10⁻¹⁶ included; sinc within 4 ulp", () => {
    const e = worst(F.erfinv, (c) => num(erfinv)(c.y), (c) => c.erfinv, (c) => c.y);
    expect(e.most, `erfinv at ${String(e.where)}`).toBeLessThanOrEqual(4);
    const s = worst(F.sinc, (c) => num(sinc)(c.x), (c) => c.sinc, (c) => c.x);
    expect(s.most, `sinc at ${String(s.where)}`).toBeLessThanOrEqual(4);
  });

  it("beta, logit, log1mexp and xlogy (made of the others, or of logs) within 1e-14 relative", () => {
    // (a floor for subnormal results: ln(1 − e^−745) is −5e-324)
    const near = (got: number, want: number, label: string, rel = 1e-14) => expect(Math.abs(got - want), label).toBeLessThanOrEqual(rel * Math.abs(want) + 1e-320);
    // beta = exp(lgamma a + lgamma b − lgamma(a + b)): the exponent's rounding, ~ε·|lgamma|, is relative error of the result
    for (const c of F.beta) near(num(beta)(c.a, c.b), c.beta, `beta(${c.a}, ${c.b})`, 4e-16 * (1 + Math.abs(Math.log(c.beta)) + 2 * Math.abs(c.a + c.b)));
    for (const c of F.logit) near(num(logit)(c.p), c.logit, `logit(${c.p})`);
    for (const c of F.log1mexp) near(num(log1mexp)(c.x), c.log1mexp, `log1mexp(${c.x})`);
    for (const c of F.xlogy) near(num(xlogy)(c.x, c.y), c.xlogy, `xlogy(${c.x}, ${c.y})`);
  });
});

describe("derivatives in every mode, against mpmath", () => {
  const rel = (got: ArrayLike<number>, want: readonly number[], tol: number, label: string) =>
    want.forEach((w, i) => { if (!Object.is(got[i], w)) expect(Math.abs(got[i] - w), `${label}[${i}]`).toBeLessThanOrEqual(tol * Math.abs(w) + 1e-300); });

  it.each(["forward", "reverse"] as const)("lgamma′ = ψ, ψ′ = ψ₁, Γ′ = Γψ, erfinv′ and sinc′ (%s), batched", (mode) => {
    const pos = F.lgamma.filter((c, i) => c.x > 0 && c.x < 1e6 && i % 5 === 0);
    const f = compile(["lgamma(x)", "digamma(x)"], { vars: ["x"] });
    const J = f.jacobian(new Tensor([pos.length, 1], Float64Array.from(pos, (c) => c.x)), { mode }) as Tensor;
    pos.forEach((c, i) => rel(J.data.subarray(2 * i, 2 * i + 2), [c.digamma, c.trigamma], 1e-14, `lgamma, digamma at ${c.x}`));
    const gs = F.gamma.filter((c, i) => c.x > 0 && c.x < 20 && i % 9 === 0);
    for (const c of gs) rel(compile("gamma(x)").grad([c.x], { mode }) as Float64Array, [c.dgamma], 1e-14, `gamma′(${c.x})`);
    for (const c of F.erfinv.filter((_, i) => i % 13 === 0)) rel(compile("erfinv(y)").grad([c.y], { mode }) as Float64Array, [c.derfinv], 2e-15 * (1 + c.erfinv * c.erfinv), `erfinv′(${c.y})`);
    for (const c of F.sinc.filter((c, i) => i % 11 === 0 && Math.abs(c.x) < 10)) {
      expect(Math.abs((compile("sinc(x)").grad([c.x], { mode }) as Float64Array)[0] - c.dsinc), `sinc′(${c.x})`).toBeLessThanOrEqual(1e-14 * Math.max(1, Math.abs(c.dsinc)));
    }
  });

  it("second derivatives: (lgamma)″ = ψ₁ by the Hessian; the composites' partials", () => {
    for (const c of F.lgamma.filter((c, i) => c.x > 0.05 && c.x < 100 && i % 17 === 0)) {
      rel((compile("lgamma(x)").hessian([c.x]) as Tensor).data, [c.trigamma], 1e-13, `lgamma″(${c.x})`);
    }
    for (const c of F.beta) rel(compile("beta(a, b)", { vars: ["a", "b"] }).grad([c.a, c.b]) as Float64Array, c.dbeta, 1e-13 * (1 + c.a + c.b), `∇beta(${c.a}, ${c.b})`);
    for (const c of F.logit) rel(compile("logit(p)").grad([c.p]) as Float64Array, [c.dlogit], 1e-15, `logit′(${c.p})`);
    for (const c of F.log1mexp) rel(compile("log1mexp(x)").grad([c.x]) as Float64Array, [c.dlog1mexp], 1e-15, `log1mexp′(${c.x})`);
    // its second derivative −eˣ/expm1(x)² next to 0, where the branch not taken (ln(1 − eˣ)) has NaN partials
    rel((compile("log1mexp(x)").hessian([-1e-20]) as Tensor).data, [-1e40], 1e-14, "log1mexp″(−1e-20)");
    for (const c of F.xlogy) rel(compile("xlogy(x, y)", { vars: ["x", "y"] }).grad([c.x, c.y]) as Float64Array, [c.dx, c.dy], 1e-15, `∇xlogy(${c.x}, ${c.y})`);
  });
});

describe("IEEE edges", () => {
  it("poles, ±∞, NaN, and xlogy's 0·ln 0 = 0", () => {
    expect([num(lgamma)(0), num(lgamma)(-3), num(lgamma)(Infinity), num(lgamma)(1), num(lgamma)(2)]).toEqual([Infinity, Infinity, Infinity, 0, 0]);
    expect([num(gamma)(0), num(gamma)(-0), num(gamma)(-2), num(gamma)(1), num(gamma)(200)]).toEqual([Infinity, -Infinity, NaN, 1, Infinity]);
    expect([num(erfinv)(1), num(erfinv)(-1), num(erfinv)(0)]).toEqual([Infinity, -Infinity, 0]);
    expect(num(erfinv)(1.5)).toBeNaN();
    expect(num(polygamma)(1.5, 2)).toBeNaN(); // the order must be a whole number
    expect(num(digamma)(-2)).toBeNaN();
    expect([num(sinc)(0), num(sinc)(1), num(sinc)(-2)]).toEqual([1, 0, 0]);
    expect([num(xlogy)(0, 0), num(xlogy)(0, 5)]).toEqual([0, 0]);
    expect(num(xlogy)(0, NaN)).toBeNaN();
    for (const f of [lgamma, digamma, gamma, erfinv, sinc]) expect(num(f)(NaN)).toBeNaN();
    const g = compile("xlogy(x, y)", { vars: ["x", "y"] }).grad([0, 2]) as Float64Array;
    expect(Array.from(g)).toEqual([Math.log(2), 0]); // ∂x = ln y at x = 0, ∂y = 0 there (not 0/y computed as NaN at y = 0)
    expect(Array.from(compile("xlogy(x, y)", { vars: ["x", "y"] }).grad([0, 0]) as Float64Array)).toEqual([-Infinity, 0]);
  });
});
