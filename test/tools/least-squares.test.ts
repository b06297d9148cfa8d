// leastSquares and fit beyond the NIST suite (test/tools/nist.test.ts): each form
// of residual, weights and sigma against the closed-form weighted regression,
// rank deficiency, a residual that turns NaN mid-fit, a million observations,
// and the errors.
import { describe, expect, it } from "vitest";
import { CallbackError, compile, fit, fn, InputError, leastSquares, ParseError, ShapeError, Tensor } from "../../bindings/index.js";
import { expectClose, expectThrows } from "../support/helpers.js";

/** Weighted least-squares line y ≈ a·x + b by the normal equations, in plain arithmetic (2×2, well conditioned). */
function weightedLine(x: number[], y: number[], w: number[]) {
  let sw = 0, sx = 0, sy = 0, sxx = 0, sxy = 0;
  x.forEach((xi, i) => { sw += w[i]; sx += w[i] * xi; sy += w[i] * y[i]; sxx += w[i] * xi * xi; sxy += w[i] * xi * y[i]; });
  const det = sw * sxx - sx * sx;
  return { a: (sw * sxy - sx * sy) / det, b: (sxx * sy - sx * sxy) / det, varA: sw / det, varB: sxx / det };
}

describe("leastSquares: every form of residual", () => {
  const x = [0, 1, 2, 3, 4, 5], y = [1.1, 2.9, 5.2, 6.8, 9.1, 11.0];

  it("a compiled function of the parameters (vector output), of data and parameters, and a plain callback agree with the closed form", () => {
    const want = weightedLine(x, y, x.map(() => 1));
    const vector = fn({ p: [2] }, ({ p }) => x.map((xi, i) => p.at(0).mul(xi).add(p.at(1)).sub(y[i])));
    const perPoint = fn({ d: [2], p: [2] }, ({ d, p }) => p.at(0).mul(d.at(0)).add(p.at(1)).sub(d.at(1)));
    const data = { d: new Tensor([x.length, 2], Float64Array.from(x.flatMap((xi, i) => [xi, y[i]]))) };
    const callback = (p: Float64Array) => x.map((xi, i) => p[0] * xi + p[1] - y[i]);
    const exact = [leastSquares(vector, [0, 0]), leastSquares(perPoint, [0, 0], { data })], differenced = leastSquares(callback, [0, 0]);
    for (const r of [...exact, differenced]) {
      expect(r.converged, r.reason).toBe(true);
      expectClose(r.p, [want.a, want.b], r === differenced ? 1e-9 : 1e-13, "the line"); // (the callback's Jacobian is differenced)
      // covariance s²(XᵀX)⁻¹ with s² = RSS/(m − 2)
      const s2 = (2 * r.cost) / (x.length - 2);
      expectClose([r.covariance.get(0, 0), r.covariance.get(1, 1)], [s2 * want.varA, s2 * want.varB], 1e-6, "covariance");
      expect(r.jacobian.shape).toEqual([6, 2]);
      expect(r.rank).toBe(2);
    }
  });

  it("weights and sigma: the weighted closed form; sigma σᵢ is weights 1/σᵢ²", () => {
    const w = [1, 4, 0.5, 2, 1, 9], want = weightedLine(x, y, w);
    const f = fit("a*x + b", { x, y }, { a: 1, b: 0 }, { weights: w });
    expectClose([f.p.a, f.p.b], [want.a, want.b], 1e-12, "weights");
    const g = fit("a*x + b", { x, y }, { a: 1, b: 0 }, { sigma: w.map((v) => 1 / Math.sqrt(v)) });
    expectClose([g.p.a, g.p.b], [f.p.a, f.p.b], 1e-13, "sigma = 1/√w");
    expectClose([g.cost], [f.cost], 1e-12, "the same weighted cost");
  });

  it("a residual of weight 0 is not in the fit: the points alone give the same standard errors (m counts the others)", () => {
    // 6 points, 3 of weight 0: s² = RSS/(3 − 2), not RSS/(6 − 2) (the errors came out √(1/4) of the truth)
    const w = [1, 1, 0, 1, 0, 0];
    const weighted = fit("a*x + b", { x, y }, { a: 1, b: 0 }, { weights: w });
    const kept = [0, 1, 3];
    const alone = fit("a*x + b", { x: kept.map((i) => x[i]), y: kept.map((i) => y[i]) }, { a: 1, b: 0 });
    expectClose([weighted.p.a, weighted.p.b], [alone.p.a, alone.p.b], 1e-12, "the same line");
    expectClose([weighted.standardErrors.a, weighted.standardErrors.b], [alone.standardErrors.a, alone.standardErrors.b], 1e-9, "the same standard errors");
  });

  it("bounds: an active bound holds its parameter there and the rest is optimal given it; inactive bounds change nothing", () => {
    const held = fit("a*x + b", { x, y }, { a: 0, b: 0 }, { bounds: { a: [-1, 1.5] } });
    expect(held.converged, held.reason).toBe(true);
    expect(held.p.a).toBe(1.5);
    const b = y.reduce((t, yi, i) => t + yi - 1.5 * x[i], 0) / x.length; // the best intercept for slope 1.5
    expectClose([held.p.b], [b], 1e-13, "intercept given the bound");
    const loose = fit("a*x + b", { x, y }, { a: 0, b: 0 }, { bounds: { a: [-10, 10], b: [-5, 5] } });
    const want = weightedLine(x, y, x.map(() => 1));
    expectClose([loose.p.a, loose.p.b], [want.a, want.b], 1e-12, "inactive bounds");
    const callback = leastSquares((p) => x.map((xi, i) => p[0] * xi + p[1] - y[i]), [0, 3], { bounds: [[-Infinity, 2], [Infinity, Infinity]] });
    expect(callback.p[1]).toBe(2); // the intercept pushed up to its lower bound (the free optimum is 1.04)
    expectThrows(() => leastSquares(() => [1, 2], [5], { bounds: [[0], [1]] }), InputError, /starting parameter 0 \(5\) lies outside its bounds \[0, 1\]/);
    expectThrows(() => leastSquares(() => [1, 2], [0.5], { bounds: [[1], [0]] }), InputError, /lower ≤ upper/);
    expectThrows(() => leastSquares(() => [1, 2], [0.5], { bounds: [[0, 1], [1]] as never }), ShapeError, /bounds\[0\] must have 1 entries/);
    expectThrows(() => fit("a*x", { x, y }, { a: 1 }, { bounds: { c: [0, 1] } }), InputError, /bounds name 'c'/);
  });

  it("rank deficiency is reported: NaN covariance where parameters are not identifiable", () => {
    const r = fit("a*b*x", { x, y }, { a: 1, b: 1 });
    expect(r.rank).toBe(1);
    const slope = x.reduce((t, xi, i) => t + xi * y[i], 0) / x.reduce((t, xi) => t + xi * xi, 0);
    expectClose([r.p.a * r.p.b], [slope], 1e-12, "a·b is the least-squares slope through 0");
    expect(r.covariance.data.every(Number.isNaN)).toBe(true);
    expect(r.standardErrors.a).toBeNaN();
  });

  it("rank and standard errors do not depend on a variable's units (x in 1e-100 of its unit to 1e20 of it)", () => {
    // a straight line: SE(b2) = s/√Sxx and SE(b1) = s·√(1/m + x̄²/Sxx), s² = RSS/(m − 2) (the textbook closed form)
    const xs = [0, 1, 2, 3, 4, 5, 6, 7], ys = [1.1, 2.9, 5.2, 6.8, 9.1, 11.0, 12.8, 15.2], m = xs.length;
    const mean = (v: number[]) => v.reduce((t, a) => t + a, 0) / v.length, xbar = mean(xs), ybar = mean(ys);
    const Sxx = xs.reduce((t, a) => t + (a - xbar) ** 2, 0), slope = xs.reduce((t, a, i) => t + (a - xbar) * (ys[i] - ybar), 0) / Sxx;
    const rss = xs.reduce((t, a, i) => t + (ybar + slope * (a - xbar) - ys[i]) ** 2, 0), sd = Math.sqrt(rss / (m - 2));
    for (const scale of [1, 1e-9, 1e-17, 1e-20, 1e-100, 1e20]) {
      const r = fit("b1 + b2*x", { x: xs.map((v) => v * scale), y: ys }, { b1: 0, b2: 1 / scale });
      expect(r.rank, `rank at scale ${scale}`).toBe(2);
      expectClose([r.p.b1, r.p.b2 * scale], [ybar - slope * xbar, slope], 1e-12, `p at scale ${scale}`);
      expectClose([r.standardErrors.b1, r.standardErrors.b2 * scale], [sd * Math.sqrt(1 / m + xbar ** 2 / Sxx), sd / Math.sqrt(Sxx)], 1e-10, `SE at scale ${scale}`);
    }
  });

  it("a residual that turns NaN mid-fit: the step is refused and the fit goes on", () => {
    // √(c) is NaN for c < 0; the model stays defined near the answer c = 4
    const xs = Array.from({ length: 20 }, (_, i) => i / 4), ys = xs.map((t) => 2 * t + 1);
    let nans = 0;
    const r = leastSquares((p) => xs.map((t, i) => { const v = Math.sqrt(p[0]) * t + p[1] - ys[i]; if (Number.isNaN(v)) nans++; return v; }), [100, 0]);
    expect(r.converged, r.reason).toBe(true);
    expectClose(r.p, [4, 1], 1e-8, "√c = 2, b = 1");
    expect(nans).toBeGreaterThan(0);
    const start = leastSquares(() => [NaN, 1], [1]);
    expect([start.converged, start.reason]).toEqual([false, "non-finite"]);
  });

  it("a million observations: one batch call per residual and per Jacobian", () => {
    const m = 1_000_000, xs = new Float64Array(m), ys = new Float64Array(m);
    for (let i = 0; i < m; i++) { xs[i] = (i / m) * 1000; ys[i] = 240 * (1 - Math.exp(-5.5e-3 * xs[i])); }
    const r = fit("b1*(1-exp(-b2*x))", { x: xs, y: ys }, { b1: 500, b2: 1e-4 });
    expect(r.converged, r.reason).toBe(true);
    expectClose([r.p.b1, r.p.b2], [240, 5.5e-3], 1e-9, "the generating parameters");
    expect(r.residuals.length).toBe(m);
  });
});

describe("fit: a model string and data columns", () => {
  it("takes p0 as a record or as an array in the parameters' natural order (b2 before b10)", () => {
    const x = [1, 2, 3, 4], y = x.map((t) => 3 * t - 2);
    const r = fit("b10*x + b2", { x, y }, [3.5, -1]); // [b2, b10]
    expectClose([r.p.b2, r.p.b10], [-2, 3], 1e-12, "p by name");
    expect(r.names).toEqual(["b2", "b10"]);
    const s = fit("k*t - c", { t: x, obs: y }, { k: 1, c: 0 }, { response: "obs" });
    expectClose([s.p.k, s.p.c], [3, 2], 1e-12, "a named response");
  });

  it("says what is wrong", () => {
    const d = { x: [1, 2, 3], y: [2, 4, 6] };
    expectThrows(() => fit("a*x", { x: [1, 2] }, { a: 1 }), InputError, /no response column 'y'/);
    expectThrows(() => fit("a*x", { x: [1, 2], y: [1] }, { a: 1 }), ShapeError, /column 'x' must have 1 entries/);
    expectThrows(() => fit("a*x + b", d, { a: 1 }), InputError, /no value for parameter 'b'/);
    expectThrows(() => fit("a*x", d, { a: 1, c: 2 }), InputError, /'c', which is not a parameter/);
    expectThrows(() => fit("a*x", d, [1, 2]), ShapeError, /2 values; the model has 1 parameters/);
    expectThrows(() => fit("x*2", d, []), InputError, /no parameters/);
    expectThrows(() => fit("a*(x", d, { a: 1 }), ParseError, /unclosed/);
    expectThrows(() => leastSquares((p) => [p[0], p[0]], [NaN]), InputError, /starting parameter 0 must be a finite number/);
    expectThrows(() => leastSquares(() => { throw new Error("bad"); }, [1]), CallbackError, /the residual callback threw: bad/);
    expectThrows(() => leastSquares(compile(["a", "b"], { vars: ["a", "b"] }), [1, 2], { weights: [1] }), ShapeError, /one entry per residual \(2\)/);
    expectThrows(() => fit("a*x", d, { a: 1 }, { weights: [1, -1, 1] }), InputError, /weights\[1\] must be a finite number ≥ 0/);
    expectThrows(() => leastSquares(compile(["x^2+y^2+z^2+1", "exp(x)"], { vars: ["x", "y", "z"] }), [3, 2, 1]), ShapeError, /2 residuals for 3 parameters/);
    // a column named like a constant would be silently replaced by it (b2 = −0.02/e, not −0.02)
    expectThrows(() => fit("b1*x + b2*e", { ...d, e: [1, 1, 1] }, { b1: 0, b2: 0 }), InputError, /data column 'e' has the name of the constant e \(2\.718/, /rename the column/);
    expectThrows(() => fit("b1*x + pi", { ...d, pi: [0, 0, 0] }, { b1: 0 }), InputError, /data column 'pi'/);
    const unused = fit("a*x", { ...d, e: [1, 1, 1] }, { a: 1 }); // (a column the model does not name is no matter)
    expectClose([unused.p.a], [2], 1e-14, "an unused column e");
    const r = fit("toString*x", d, { toString: 1 }); // a parameter named like an Object property is not a column
    expectClose([r.p.toString], [2], 1e-14, "toString as a parameter");
  });
});
