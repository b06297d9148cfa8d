// erf, erfc, sigmoid and softplus (assembly/core/special.ts) against mpmath
// over the whole line (test/fixtures/special.json, made by
// test/fixtures/generate_special.py): values in ulps of the correctly rounded
// result, erfc's tail included down to the subnormal range, and the
// derivatives every mode computes; logsumexp (a reduction) against mpmath's,
// with its gradient the softmax and its Hessian diag(p) − p·pᵀ; clamp's
// derivative at and between its bounds.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ulps } from "../support/helpers.js";
import { clamp, compile, erf, erfc, fn, logsumexp, sigmoid, softplus, Tensor, type Node } from "../../bindings/index.js";

interface Case { x: number; erf: number; erfc: number; derf: number; sigmoid: number; dsigmoid: number }
interface SoftCase { x: number; softplus: number; dsoftplus: number }
interface LseCase { v: number[]; logsumexp: number; softmax: number[] }
const fixtures = JSON.parse(readFileSync(new URL("../fixtures/special.json", import.meta.url), "utf8")) as
  { cases: Case[]; softplus: SoftCase[]; logsumexp: LseCase[] };


/** The worst error of f over the cases, in ulps, with where it occurred. */
function worst<C extends { x: number }>(cases: readonly C[], f: (x: number) => number, want: (c: C) => number) {
  let most = 0, at = NaN;
  for (const c of cases) {
    const e = ulps(f(c.x), want(c));
    if (!(e <= most)) { most = e; at = c.x; }
  }
  return { most, at };
}

describe("special functions against mpmath (50 digits, rounded once)", () => {
  const { cases } = fixtures;
  it.each([
    ["erf", 1, erf, (c: Case) => c.erf],
    ["erfc", 2, erfc, (c: Case) => c.erfc],
    ["sigmoid", 2, sigmoid, (c: Case) => c.sigmoid],
  ] as const)("%s within %i ulp over the whole line (erfc: its tail to the subnormal range too)", (_name, limit, f, want) => {
    const { most, at } = worst(cases, f as (x: number) => number, want);
    expect(most, `at x = ${at}`).toBeLessThanOrEqual(limit);
  });

  it("softplus within 2 ulp from −800 to 800 (ln 2 at 0, e^x far left, x far right)", () => {
    const { most, at } = worst(fixtures.softplus, softplus as (x: number) => number, (c) => c.softplus);
    expect(most, `at x = ${at}`).toBeLessThanOrEqual(2);
  });

  it("IEEE edges: odd erf with erf(−0) = −0, erfc(±∞) = 0 and 2, NaN in, NaN out", () => {
    expect(Object.is(erf(-0), -0)).toBe(true);
    expect([erf(Infinity), erf(-Infinity), erfc(Infinity), erfc(-Infinity)]).toEqual([1, -1, 0, 2]);
    expect([sigmoid(Infinity), sigmoid(-Infinity), softplus(-Infinity), softplus(Infinity)]).toEqual([1, 0, 0, Infinity]);
    for (const f of [erf, erfc, sigmoid, softplus]) expect(f(NaN)).toBeNaN();
  });
});

describe("their derivatives in every mode, against mpmath", () => {
  it.each(["forward", "reverse"] as const)("erf′, erfc′ and sigmoid′ (%s) within 1e-15 relative (or 1e-300), into the tail", (mode) => {
    const F = compile(["erf(x)", "erfc(x)", "sigmoid(x)"], { vars: ["x"] });
    for (const c of fixtures.cases) {
      const J = F.jacobian([c.x], { mode }).data;
      const want = [c.derf, -c.derf, c.dsigmoid];
      // (erf′ = (2/√π)e^(−x²) with x² in two exact parts: e^(−x²) from x² rounded was off by up to x²·ε, 239 ulp at x = 20)
      want.forEach((w, i) => expect(Math.abs(J[i] - w), `${["erf", "erfc", "sigmoid"][i]}′(${c.x})`).toBeLessThanOrEqual(1e-15 * Math.abs(w) + 1e-300));
    }
  });

  it("softplus′ = sigmoid within 2 ulp, batched over the whole range", () => {
    const F = compile("softplus(x)", { vars: ["x"] });
    const xs = new Tensor([fixtures.softplus.length, 1], Float64Array.from(fixtures.softplus, (c) => c.x));
    const g = F.grad(xs) as Tensor;
    fixtures.softplus.forEach((c, i) => expect(ulps(g.data[i], c.dsoftplus), `softplus′(${c.x})`).toBeLessThanOrEqual(2));
  });
});

describe("logsumexp: stable for entries far beyond e^x's range, against mpmath", () => {
  it.each(fixtures.logsumexp.map((c) => [c.v.join(", "), c] as const))("[%s]: value, softmax gradient (forward, reverse, batched) and Hessian", (_label, c) => {
    const n = c.v.length;
    const F = fn({ v: [n] }, ({ v }) => logsumexp(v));
    const rel = 4 * Number.EPSILON;
    const value = F.eval({ v: c.v }) as number;
    expect(Math.abs(value - c.logsumexp), "value").toBeLessThanOrEqual(rel * Math.abs(c.logsumexp));
    for (const mode of ["forward", "reverse"] as const) {
      const g = F.grad({ v: c.v }, { mode }) as Float64Array;
      c.softmax.forEach((p, i) => expect(Math.abs(g[i] - p), `${mode} ∂/∂v${i}`).toBeLessThanOrEqual(rel * Math.max(p, 1e-300) + 8 * Number.EPSILON * 1e-3));
    }
    const batch = (F.grad({ v: new Tensor([2, n], Float64Array.from([...c.v, ...c.v])) }) as Tensor).data;
    expect(Array.from(batch.subarray(n)), "a batch gives each point's gradient").toEqual(Array.from(batch.subarray(0, n)));
    const H = F.hessian({ v: c.v }) as Tensor;
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
      const want = (i === j ? c.softmax[i] : 0) - c.softmax[i] * c.softmax[j];
      expect(Math.abs(H.get(i, j) - want), `H[${i}][${j}]`).toBeLessThanOrEqual(1e-14);
    }
  });

  it("entries of −∞ and +∞, an axis, the grammar and the method", () => {
    expect(fn({ v: [2] }, ({ v }) => logsumexp(v)).eval({ v: [-Infinity, -Infinity] })).toBe(-Infinity);
    expect(fn({ v: [2] }, ({ v }) => logsumexp(v)).eval({ v: [Infinity, 1] })).toBe(Infinity);
    const rows = fn({ A: [2, 3] }, ({ A }) => (A as Node).logsumexp(1));
    const r = rows.eval({ A: [[1, 2, 3], [1000, 1000, 999]] }) as Float64Array;
    expect(Math.abs(r[0] - fixtures.logsumexp[0].logsumexp)).toBeLessThanOrEqual(4 * Number.EPSILON * 4);
    expect(Math.abs(r[1] - fixtures.logsumexp[1].logsumexp)).toBeLessThanOrEqual(4 * Number.EPSILON * 1001);
    const parsed = compile("logsumexp(v)", { vars: { v: [3] } });
    expect(parsed.eval({ v: [1, 2, 3] })).toBe(fn({ v: [3] }, ({ v }) => logsumexp(v)).eval({ v: [1, 2, 3] }));
  });
});

describe("clamp(x, lo, hi) = min(max(x, lo), hi)", () => {
  it("passes x between the bounds (derivative 1), holds at them (derivative 0 to x, 1 to the bound), ½ on a tie", () => {
    const F = compile("clamp(x, lo, hi)", { vars: ["x", "lo", "hi"] });
    const cases: [number[], number, number[]][] = [
      [[0.3, -1, 2], 0.3, [1, 0, 0]],
      [[-5, -1, 2], -1, [0, 1, 0]],
      [[7, -1, 2], 2, [0, 0, 1]],
      [[-1, -1, 2], -1, [0.5, 0.5, 0]],
    ];
    for (const [x, v, g] of cases) {
      expect(F.eval(x), `clamp(${x})`).toBe(v);
      expect(clamp(x[0], x[1], x[2]), `clamp(${x}) on numbers`).toBe(v);
      for (const mode of ["forward", "reverse"] as const) expect(Array.from(F.grad(x, { mode }) as Float64Array), `${mode} at ${x}`).toEqual(g);
    }
  });
});
