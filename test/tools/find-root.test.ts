// findRoot on the Moré–Garbow–Hillstrom systems it is classically tested on
// (ACM TOMS 7, 1981): the roots they state, and an honest "no root" where the
// iteration ends at a minimum of ‖F‖ that is not one. (Systems of n = 1,000
// with sparse Jacobians: sparse-systems.test.ts.)
import { describe, expect, it } from "vitest";
import { compile, findRoot, fn, InputError, leastSquares, ShapeError, type Node } from "../../bindings/index.js";
import { expectClose, expectThrows } from "../support/helpers.js";

const norm = (v: ArrayLike<number>) => Math.sqrt(Array.from(v).reduce((t, x) => t + x * x, 0));

describe("findRoot: Moré–Garbow–Hillstrom systems", () => {
  it("Rosenbrock as a system, from (−1.2, 1): the root (1, 1)", () => {
    const r = findRoot(compile(["10*(y - x^2)", "1 - x"], { vars: ["x", "y"] }), [-1.2, 1]);
    expect(r.converged, r.reason).toBe(true);
    expectClose(r.x, [1, 1], 1e-10, "root");
  });

  it("helical valley, from (−1, 0, 0): the root (1, 0, 0)", () => {
    const F = compile(["10*(z - 10*atan2(y, x)/(2*pi))", "10*(sqrt(x^2 + y^2) - 1)", "z"], { vars: ["x", "y", "z"] });
    const r = findRoot(F, [-1, 0, 0]);
    expect(r.converged, r.reason).toBe(true);
    expectClose(r.x, [1, 0, 0], 1e-9, "root", 1e-9);
  });

  it("Powell's singular function (its Jacobian singular at the root 0), and extended to n = 100", () => {
    const powell = (x: Node, k: number) => {
      const [a, b, c, d] = [x.at(k), x.at(k + 1), x.at(k + 2), x.at(k + 3)];
      return [a.add(b.mul(10)), c.sub(d).mul(Math.sqrt(5)), b.sub(c.mul(2)).pow(2), a.sub(d).pow(2).mul(Math.sqrt(10))];
    };
    for (const n of [4, 100]) {
      const F = fn(n, (x) => Array.from({ length: n / 4 }, (_, q) => powell(x, 4 * q)).flat());
      const x0 = Array.from({ length: n }, (_, i) => [3, -1, 0, 1][i % 4]);
      const r = findRoot(F, x0);
      expect(r.converged, `n = ${n}: ${r.reason}`).toBe(true);
      expect(norm(r.residual)).toBeLessThanOrEqual(1e-10);
      expect(norm(r.x)).toBeLessThan(1e-2); // (the singular root is approached linearly: x ~ √‖F‖)
    }
  });

  it("Wood's function (MGH 14) as least squares, from (−3, −1, −3, −1): the zero residual at (1, 1, 1, 1)", () => {
    const wood = compile(["10*(b - a^2)", "1 - a", "sqrt(90)*(d - c^2)", "1 - c", "sqrt(10)*(b + d - 2)", "(b - d)/sqrt(10)"], { vars: ["a", "b", "c", "d"] });
    const r = leastSquares(wood, [-3, -1, -3, -1]);
    expect(r.converged, r.reason).toBe(true);
    expectClose(r.p, [1, 1, 1, 1], 1e-8, "minimizer");
    expect(r.cost).toBeLessThan(1e-20);
  });

  it("a root to the last bit counts as one where ‖F‖ there is above the tolerance (mpmath's roots)", () => {
    // at the double nearest √(2e6) F is 2.3e-10 > 1e-10: once reported as \"step\", \"a minimum that is not a root\"
    for (const [expr, x0, root] of [["x^2 - 2e6", 1000, 1414.2135623730950488], ["exp(x) - 1e6", 10, 13.815510557964274104],
      ["1e6*(x^2 - 2)", 1, 1.4142135623730950488]] as const) {
      const r = findRoot(compile([expr], { vars: ["x"] }), [x0]);
      expect([r.converged, r.reason], expr).toEqual([true, "root"]);
      expect(Math.abs(r.x[0] - root), expr).toBeLessThanOrEqual(2 * Number.EPSILON * root);
      expect(Math.abs(r.residual[0]), expr).toBeGreaterThan(1e-10);
    }
    // each unknown judged against itself: x at its nearest double to √(2e30) leaves F₁ = 2.8e14, y = 3 is exact;
    // where exp(y) − 20 is still 395 the large x once hid y's step of 3 in a norm of the two
    expect(findRoot(compile(["x^2 - 2e30", "y - 3"], { vars: ["x", "y"] }), [1.5e15, 10]).reason).toBe("root");
    // an unknown that is exactly 0 at the root: (√(2e6), 0) of x² + y² = 2e6, x² − y = 2e6
    const zero = findRoot(compile(["x^2 + y^2 - 2e6", "x^2 - y - 2e6"], { vars: ["x", "y"] }), [1400, 0]);
    expect([zero.converged, zero.x[1]]).toEqual([true, 0]);
    expect(findRoot(compile(["x^2 - 2e30", "exp(y) - 20"], { vars: ["x", "y"] }), [1.5e15, 10]).converged).toBe(false);
    // not where J is singular and the step 0 because JᵀF is (minima of ‖F‖ with no root: ‖F‖ = 1/√5 and 1)
    for (const [exprs, x0] of [[["2*x - y - 1", "4*x - 2*y - 3"], [1, 1]], [["(x - 1)^2 + 1", "y"], [1, 1]]] as const) {
      const r = findRoot(compile([...exprs], { vars: ["x", "y"] }), [...x0]);
      expect([r.converged, r.reason], exprs.join("; ")).toEqual([false, "step"]);
    }
  });

  it("Freudenstein and Roth, from (0.5, −2): a minimum of ‖F‖ that is not a root, reported as such", () => {
    const F = compile(["-13 + x + ((5 - y)*y - 2)*y", "-29 + x + ((y + 1)*y - 14)*y"], { vars: ["x", "y"] });
    const r = findRoot(F, [0.5, -2]);
    expect([r.converged, r.reason]).toEqual([false, "step"]); // (the region shrank to nothing: no step reduces ‖F‖)
    expectClose([norm(r.residual) ** 2], [48.9842536792400], 1e-9, "MGH's local minimum of ‖F‖²");
    expectClose(r.x, [11.4127789869, -0.896805253], 1e-8, "where it lies");
    expectClose(findRoot(compile("x^2 - 2"), [1]).x, [Math.SQRT2], 1e-10, "a scalar equation (|F| ≤ 1e-10)");
    const plain = findRoot((x) => [x[0] * x[0] - 2], [1]); // a callback: differenced Jacobian
    expectClose(plain.x, [Math.SQRT2], 1e-9, "√2");
    expectThrows(() => findRoot(compile(["x", "y", "x*y"], { vars: ["x", "y"] }), [1, 2]), ShapeError, /as many equations as unknowns/);
    // a function of several inputs: said so, not "the point must be a record { x, y }" for a start it cannot take
    const twoInputs = compile(["x[0] - y[0]", "x[1] + y[1] - 2", "y[0] - 1", "y[1]"], { vars: { x: [2], y: [2] } });
    expectThrows(() => findRoot(twoInputs, [0, 0, 0, 0]), InputError, /findRoot takes F as a function of one vector input .*this one has inputs x, y/);
    expectThrows(() => leastSquares(twoInputs, [0, 0, 0, 0]), InputError, /takes them as one input .*this one has inputs x, y/);
  });
});
