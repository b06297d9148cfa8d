// The domain policy (README, "Numerics"): what value and what derivative the
// library returns at the edges of the functions' domains. Each expectation
// follows from IEEE arithmetic applied to the rule in assembly/core/rules.ts, and
// forward and reverse mode agree on every one.
import { describe, expect, it } from "vitest";
import { compile } from "../../bindings/index.js";

type Case = [expr: string, at: [number, number], value: number, grad: [number, number], why: string];
const cases: Case[] = [
  ["log(x)", [-1, 0], NaN, [-1, 0], "ln of a negative number is NaN; the rule 1/x is finite there (as JAX and PyTorch)"],
  ["log(x)", [0, 0], -Infinity, [Infinity, 0], "ln 0 = −∞, 1/0 = +∞"],
  ["x/y", [0, 0], NaN, [Infinity, NaN], "0/0 = NaN; ∂/∂x = 1/y = +∞, ∂/∂y = −(x/y)/y = NaN"],
  ["sqrt(x)", [0, 0], 0, [Infinity, 0], "√0 = 0 with an infinite slope, 1/(2√0)"],
  ["sqrt(x)", [-0, 0], -0, [-Infinity, 0], "√−0 = −0 (IEEE), so 1/(2√−0) = −∞"],
  ["sqrt(x)", [-1, 0], NaN, [NaN, 0], "√ of a negative number is NaN, and so is its derivative"],
  ["abs(x)", [0, 0], 0, [0, 0], "|x| at 0: derivative 0 (sign(0))"],
  ["x^y", [-2, 3], -8, [12, NaN], "a negative base with an integer exponent: ∂/∂x = y·x^(y−1) = 12, ∂/∂y = x^y·ln x = NaN"],
  ["x^y", [-8, 1 / 3], NaN, [NaN, NaN], "a negative base with a fractional exponent is NaN (IEEE pow), not the real cube root: use cbrt"],
  ["x^y", [0, 2], 0, [0, 0], "0^2 = 0; ∂/∂y is taken as 0 where x = 0 < y"],
  ["x^y", [0, 0], 1, [0, -Infinity], "0^0 = 1 (IEEE pow); ∂/∂y = 1·ln 0 = −∞"],
  ["x^y", [1, NaN], 1, [NaN, 0], "1^NaN = 1 (C's pow; JavaScript's Math.pow says NaN); ∂/∂x = NaN·1^(NaN−1), ∂/∂y = 1·ln 1 = 0"],
  ["pow(x, y)", [1, NaN], 1, [NaN, 0], "pow(a, b) is a^b"],
  ["atan2(y, x)", [0, 0], 0, [NaN, NaN], "atan2(0, 0) = 0 (IEEE); its partials are 0/0"],
  ["1/x", [0, 0], Infinity, [-Infinity, 0], "1/0 = +∞, −1/0² = −∞"],
  ["acos(x)", [1, 0], 0, [-Infinity, 0], "acos 1 = 0 with derivative −1/√(1 − 1) = −∞"],
  ["x*y", [Infinity, 0], NaN, [0, Infinity], "∞·0 = NaN; ∂/∂x = y = 0, ∂/∂y = x = ∞"],
];

describe("domain policy", () => {
  for (const [expr, at, value, grad, why] of cases) {
    it(`${expr} at (${at.map((v) => (Object.is(v, -0) ? "-0" : v)).join(", ")}): ${why}`, () => {
      const f = compile(expr, { vars: ["x", "y"] });
      expect(Object.is(f.eval(at), value) || (Number.isNaN(value) && Number.isNaN(f.eval(at)))).toBe(true);
      for (const mode of ["forward", "reverse"] as const) {
        const g = Array.from(f.grad(at, { mode }));
        g.forEach((v, i) => expect(Number.isNaN(grad[i]) ? Number.isNaN(v) : v === grad[i], `${mode} ∂/∂${"xy"[i]} = ${v}`).toBe(true));
      }
    });
  }

  it("1^y is 1 for every y, NaN included, also where it is folded as a constant", () => {
    expect(compile("1^y", { vars: ["y"] }).eval([NaN])).toBe(1);
    expect(compile("1^(0/0) + x", { vars: ["x"] }).eval([2])).toBe(3);
    expect(compile("pow(1, 0/0)*x", { vars: ["x"] }).eval([2])).toBe(2);
  });

  it("a directional derivative adds every term, so a NaN partial times a zero direction is NaN", () => {
    const f = compile("x^y", { vars: ["x", "y"] });
    expect(f.grad([-2, 3])[0]).toBe(12); // the Jacobian skips the y lane structurally
    expect(f.directional([-2, 3], [1, 0])).toBeNaN(); // 12·1 + NaN·0
  });
});
