// Loops of the compiled tier that move down through memory, over a point read in
// place from low in memory. A file of its own: in a fresh instance the first
// WasmBuffers are the lowest blocks the core hands out (about 20 KB up), below
// how far such a loop moves (16 bytes an iteration over 4,999 iterations here),
// which is what made a stride local "negative" and the load trap.
import { describe, expect, it, onTestFinished } from "vitest";
import { buffer, compile } from "../../bindings/index.js";
import { setCompiledTier } from "../../bindings/runtime/compiled.js";

/** The MGH extended Rosenbrock function as one expression string over x0 … x(n−1). */
function rosenbrockText(n: number): string {
  const terms = [];
  for (let i = 0; i < n; i += 2) terms.push(`100*(x${i + 1} - x${i}^2)^2 + (1 - x${i})^2`);
  return terms.join(" + ");
}

describe("loops that move down through a point read in place", () => {
  it("the string Rosenbrock's hvp and gradient at n = 10,000 with WasmBuffers low in memory, on both tiers", () => {
    const n = 10_000, x = buffer([n]), v = buffer([n]), out = buffer([n]);
    // (the test needs the point below how far the loop over its pairs moves: 16 bytes an iteration)
    expect(x.address).toBeLessThan(16 * (n / 2 - 1));
    x.data.set(Float64Array.from({ length: n }, (_, i) => 0.5 + 0.3 * Math.sin(i)));
    v.data.set(Float64Array.from({ length: n }, (_, i) => Math.cos(i)));
    // H·v and ∇f in closed form: 2×2 blocks per pair (x₂ᵢ, x₂ᵢ₊₁)
    const hv = new Float64Array(n), g = new Float64Array(n), p = x.data, w = v.data;
    for (let i = 0; i < n; i += 2) {
      const a = 1200 * p[i] * p[i] - 400 * p[i + 1] + 2, b = -400 * p[i], d = p[i + 1] - p[i] * p[i];
      hv[i] = a * w[i] + b * w[i + 1];
      hv[i + 1] = b * w[i] + 200 * w[i + 1];
      g[i] = -400 * p[i] * d - 2 * (1 - p[i]);
      g[i + 1] = 200 * d;
    }
    const vars = Array.from({ length: n }, (_, i) => `x${i}`), results: Float64Array[] = [];
    onTestFinished(() => setCompiledTier("auto"));
    for (const tier of ["always", "never"] as const) {
      setCompiledTier(tier);
      const f = compile(rosenbrockText(n), { vars });
      f.hvp(x, v, { out });
      for (let i = 0; i < n; i++) expect(out.data[i]).toBeCloseTo(hv[i], 9);
      results.push(out.data.slice());
      f.grad(x, { out });
      for (let i = 0; i < n; i++) expect(out.data[i]).toBeCloseTo(g[i], 9);
      results.push(out.data.slice());
      f.dispose();
    }
    expect(results[0]).toEqual(results[2]);
    expect(results[1]).toEqual(results[3]);
  });
});
