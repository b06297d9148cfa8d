// sin, cos and tan, and their derivatives, at the doubles nearest to multiples of
// π/2 in every binade from 2 to 2¹⁰²³ (test/fixtures/trig.json, made by
// test/fixtures/generate_trig.py with mpmath): the hardest arguments to reduce.
// AssemblyScript's own reduction from 2²⁰·π/2 on was off by up to 8·10⁴ ulp there;
// assembly/core/trig.ts reduces them itself.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ulps } from "../support/helpers.js";
import { compile, Tensor } from "../../bindings/index.js";

interface Case { x: number; sin: number; cos: number; tan: number }
const cases = (JSON.parse(readFileSync(new URL("../fixtures/trig.json", import.meta.url), "utf8")) as { cases: Case[] }).cases;
/** Each point and its negative: sin and tan are odd, cos is even. */
const both = cases.flatMap((c) => [c, { x: -c.x, sin: -c.sin, cos: c.cos, tan: -c.tan }]);

/** The worst error over the cases, in ulps, and where. */
function worst(got: (c: Case) => number, want: (c: Case) => number): { most: number; at: number } {
  let most = 0, at = NaN;
  for (const c of both) {
    const e = ulps(got(c), want(c));
    if (!(e <= most)) { most = e; at = c.x; }
  }
  return { most, at };
}

describe("sin, cos and tan at the hardest arguments, against mpmath", () => {
  const f = compile(["sin(x)", "cos(x)", "tan(x)"], { vars: ["x"] });
  const values = new Map(both.map((c) => [c.x, f.eval([c.x]) as Float64Array]));

  it.each([["sin", 1, 0], ["cos", 1, 1], ["tan", 2, 2]] as const)("%s within %i ulp", (name, limit, k) => {
    const { most, at } = worst((c) => values.get(c.x)![k], (c) => c[name]);
    expect(most, `${name} at x = ${at}`).toBeLessThanOrEqual(limit);
  });

  it.each(["forward", "reverse"] as const)("sin′ = cos, cos′ = −sin and tan′ = 1 + tan² (%s) within 1, 1 and 4 ulp", (mode) => {
    const J = new Map(both.map((c) => [c.x, f.jacobian([c.x], { mode }).data]));
    expect(worst((c) => J.get(c.x)![0], (c) => c.cos).most, "sin′").toBeLessThanOrEqual(1);
    expect(worst((c) => J.get(c.x)![1], (c) => -c.sin).most, "cos′").toBeLessThanOrEqual(1);
    // (1 + tan² from tan within 2 ulp: 4 ulp where tan² dominates)
    expect(worst((c) => J.get(c.x)![2], (c) => 1 + c.tan * c.tan).most, "tan′").toBeLessThanOrEqual(4);
  });

  it("a batch (the op table's loops over rows) gives the same bits as one point at a time", () => {
    const xs = Float64Array.from(both, (c) => c.x);
    const batch = f.jacobian(new Tensor([xs.length, 1], xs), { mode: "forward" }).data;
    both.forEach((c, p) => {
      const one = f.jacobian([c.x], { mode: "forward" }).data;
      for (let k = 0; k < 3; k++) if (!Object.is(batch[3 * p + k], one[k])) expect.fail(`at x = ${c.x}, output ${k}: ${batch[3 * p + k]} vs ${one[k]}`);
    });
  });

  it("IEEE edges: ±∞ and NaN give NaN, ±0 keeps its sign", () => {
    for (const x of [Infinity, -Infinity, NaN]) expect(Array.from(f.eval([x]) as Float64Array).every(Number.isNaN), String(x)).toBe(true);
    const zero = f.eval([-0]) as Float64Array;
    expect([Object.is(zero[0], -0), zero[1], Object.is(zero[2], -0)]).toEqual([true, 1, true]);
  });
});
