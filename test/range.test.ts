// Derivatives at the ends of the double range, against mpmath (test/fixtures/range.json,
// made by test/fixtures/generate_range.py): the wrong numbers an adversarial review found
// (second derivatives whose local partials underflowed, first derivatives whose partials
// over- or underflowed, rules that cancelled, powers at a zero base), each now within
// rounding of the correctly rounded value, in forward and reverse mode and for Hessians
// (forward over reverse, and reverse over reverse).
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { compile, Tensor } from "../bindings/index.js";

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

const cases = (JSON.parse(readFileSync(new URL("./fixtures/range.json", import.meta.url), "utf8")) as { cases: RangeCase[] }).cases;

/**
 * Second derivatives whose terms are larger than the result: the expression as
 * written computes them as a difference (log1p(exp(x)): u·r and u·ṙ with r = 1/(1 + u),
 * each about 1, for a Hessian of 2e-174 at x = 400; log(exp(x) + exp(y)) at (400, 390):
 * eˣ/s − e²ˣ/s², with s = eˣ + eʸ; asin at 1e-8 through (1 − x)(1 + x)).
 * There the error is rounding relative to that scale, not to the result.
 */
const HESSIAN_TERMS: Readonly<Record<string, number>> = { log1p_exp: 1, log_sum_exp: 1, asin_near_one: 1 };

/** |got − want| ≤ rel·max(|want|, scale) + the smallest normal double (results there are subnormal). */
function near(got: number, want: number, rel: number, scale: number, label: string): void {
  const tol = rel * Math.max(Math.abs(want), scale) + 2.3e-308;
  if (!(Math.abs(got - want) <= tol)) expect.fail(`${label}: got ${got}, want ${want} (error ${Math.abs(got - want).toExponential(2)} > ${tol.toExponential(2)})`);
}

describe("derivatives at the ends of the double range agree with mpmath", () => {
  for (const c of cases) {
    it(`${c.name}: ${c.expr}`, () => {
      const f = compile(c.expr, { vars: c.vars });
      const n = c.vars.length;
      c.points.forEach((x, k) => {
        const at = `${c.expr} at (${x})`;
        near(f.eval(x) as number, c.values[k], 1e-15, 0, `${at}: value`);
        for (const mode of ["forward", "reverse"] as const) {
          const g = f.grad(x, { mode }) as Float64Array;
          c.gradients[k].forEach((want, i) => near(g[i], want, 1e-14, 0, `${at}: ∂/∂${c.vars[i]} (${mode})`));
        }
        const H = c.hessians[k];
        if (H.flat().some((h) => h === null)) return; // a Hessian beyond the double range has no usable entries
        for (const mode of ["forward", "reverse"] as const) {
          const got = (f.hessian(x, { mode }) as Tensor).data;
          for (let i = 0; i < n; i++) {
            for (let j = 0; j < n; j++) {
              near(got[i * n + j], H[i][j]!, 1e-12, HESSIAN_TERMS[c.name] ?? 0, `${at}: H[${i}][${j}] (${mode})`);
            }
          }
        }
      });
    });
  }

  it("x^0 has a zero gradient and Hessian everywhere, 0 included (x^0 = 1 for every x)", () => {
    const f = compile("x^0", { vars: ["x"] });
    for (const x of [0, -0, 2, -3, 1e-300]) {
      expect(f.eval([x])).toBe(1);
      expect(Array.from(f.grad([x]))).toEqual([0]);
      expect(Array.from((f.hessian([x]) as Tensor).data)).toEqual([0]);
    }
  });
});
