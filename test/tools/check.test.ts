// checkGrad: exact derivatives against Richardson-extrapolated differences.
import { describe, expect, it } from "vitest";
import { checkGrad, compile, defineFunction, fn, InputError, removeFunction, scan, ShapeError, Tensor } from "../../bindings/index.js";
import { expectThrows } from "../support/helpers.js";

describe("checkGrad", () => {
  it("smooth functions pass: forward, reverse and Hessian agree with the differences far inside their error bound", () => {
    const f = compile("sin(x*y) + z^2*exp(x)", { vars: ["x", "y", "z"] });
    const r = checkGrad(f, [0.3, -1.2, 0.7]);
    expect(r.ok).toBe(true);
    for (const c of [r.forward, r.reverse, r.hessian!]) {
      expect(c.reliable).toBe(true);
      expect(c.disagreement).toBeLessThan(1e-9);
      expect(c.error).toBeLessThan(1e-8);
    }
    expect(r.worst).toBe(Math.max(r.forward.disagreement, r.reverse.disagreement, r.hessian!.disagreement));
    const tensor = fn(6, (v) => v.reshape([2, 3]).matmul(v.reshape([3, 2])).det());
    expect(checkGrad(tensor, [0.5, -1, 2, 0.25, 1.5, -0.75]).ok).toBe(true);
  });

  it("a constant offset does not hide a wrong gradient: its floor is f's change near x, not |f|", () => {
    // a·sin b with ∂a's sign flipped: failed alone, but passed under 1e8 + … (checked on a floor of |f| = 1e8)
    const second = (a: number, b: number) => [[0, Math.cos(b)], [Math.cos(b), -a * Math.sin(b)]];
    defineFunction("checkSignFlipped(a, b)", { value: (a, b) => a * Math.sin(b), partials: (a, b) => [-Math.sin(b), a * Math.cos(b)], second });
    defineFunction("checkRight(a, b)", { value: (a, b) => a * Math.sin(b), partials: (a, b) => [Math.sin(b), a * Math.cos(b)], second });
    defineFunction("checkOffMin(a)", { value: (a) => a * a, partials: (a) => [2 * a + 1e-3], second: () => [[2]] });
    try {
      for (const offset of ["", "1e3 + ", "1e8 + "]) {
        const wrong = checkGrad(compile(`${offset}checkSignFlipped(x, y)`, { vars: ["x", "y"] }), [0.7, 1.3]);
        expect(wrong.ok, `${offset}checkSignFlipped`).toBe(false);
        expect(wrong.forward.disagreement).toBeGreaterThan(1);
      }
      // the floor from f's change passes what is right where f changes only to second order or more: saddles
      // (not along the axes), flat minima, with an offset (each once failed as 'not reliable')
      for (const [expr, at] of [["sin(x)*y^2", [0, 0]], ["x*y", [0, 0]], ["1 + x^4 + y^4", [0, 0]], ["1 + x^6 + y^2", [0, 0]],
        ["cosh(x^3) + y", [0, 0.5]]] as const) {
        expect(checkGrad(compile(expr, { vars: ["x", "y"] }), [...at]).ok, expr).toBe(true);
      }
      // a function that does not change near x gives the differences nothing to judge by: not reliable
      for (const expr of ["5 + 0*x + 0*y", "1e13 + sin(x)*y"]) {
        const r = checkGrad(compile(expr, { vars: ["x", "y"] }), [0.3, 0.7]);
        expect([r.ok, r.forward.reliable], expr).toEqual([false, false]);
      }
      // and a wrong gradient of a function near the top of the range (its change over a tenth once overflowed)
      defineFunction("checkOnePercentOff(a)", { value: (a) => a, partials: () => [1.01], second: () => [[0]] });
      expect(checkGrad(compile("1e306*exp(checkOnePercentOff(x))"), [5]).ok).toBe(false);
      // f's change near x is a floor, never more than |f|'s: Rosenbrock's valley bends far within a tenth, yet
      // ∂/∂x off by 1e-5 fails there; a Hessian off by 1e-5 fails beside a steep linear part (10x + y² at
      // (1, 1)); and a period dividing a tenth does not hide cos(2πx)'s change at its maximum x = 10
      defineFunction("checkSlightlyOff(a)", { value: (a) => a, partials: () => [1 + 1e-5], second: () => [[0]] });
      defineFunction("checkCurvedOff(a)", { value: (a) => a * a, partials: (a) => [2 * a], second: () => [[2 * (1 + 1e-5)]] });
      expect(checkGrad(compile("100*(y - x^2)^2 + (1 - checkSlightlyOff(x))^2", { vars: ["x", "y"] }), [0.5, 0.25]).ok).toBe(false);
      const curved = checkGrad(compile("10*x + checkCurvedOff(y)", { vars: ["x", "y"] }), [1, 1]);
      expect([curved.forward.ok, curved.hessian!.ok]).toEqual([true, false]);
      expect(checkGrad(compile("cos(2*pi*x)"), [10]).ok).toBe(true);
      // right, under an offset the differences still resolve (1e3: within 1e-4 of the gradient)
      expect(checkGrad(compile("1e3 + checkRight(x, y)", { vars: ["x", "y"] }), [0.7, 1.3]).ok).toBe(true);
      // a gradient of 1e-3 at a minimum of value 1e4, where the truth is 0
      expect(checkGrad(compile("1e4 + checkOffMin(x - 1) + (y + 2)^2", { vars: ["x", "y"] }), [1, -2]).ok).toBe(false);
      // under 1e8 the differences resolve only some 1e-4 of the gradient: they cannot vouch for the right one
      const blurred = checkGrad(compile("1e8 + checkRight(x, y)", { vars: ["x", "y"] }), [0.7, 1.3]);
      expect(blurred.forward.reliable).toBe(false);
      expect(blurred.ok).toBe(false);
    } finally {
      for (const name of ["checkSignFlipped", "checkRight", "checkOffMin", "checkOnePercentOff", "checkSlightlyOff", "checkCurvedOff"]) removeFunction(name);
    }
  });

  it("at a jump the differences cannot judge: not reliable, not ok (the exact derivative of sign is 0 there, the differences' is huge)", () => {
    const r = checkGrad(compile("sign(x) + y", { vars: ["x", "y"] }), [0, 1], { hessian: false });
    expect(r.hessian).toBeUndefined();
    expect(r.forward.reliable).toBe(false);
    expect(r.ok).toBe(false);
    expect(r.worst).toBeGreaterThan(0.5);
  });

  it("a function of one scalar input, and one with a scan (whose Hessian is left out by default)", () => {
    const r = checkGrad(fn({ t: [] }, ({ t }) => t.sin().mul(t)), [0.7]);
    expect(r.ok).toBe(true);
    expect(r.hessian!.ok).toBe(true);
    const step = fn({ s: [2] }, ({ s }) => s.mul(s.sin()));
    const looped = checkGrad(fn(2, (v) => scan(step, v, { length: 4 }).sum()), [0.4, -0.9]);
    expect(looped.hessian).toBeUndefined();
    expect(looped.ok).toBe(true);
  });

  it("a function of a matrix: every entry is compared (a wrong rule fails, det passes), the point flat or as a Tensor", () => {
    defineFunction("wrongSquare(a)", { value: (a) => a * a, partials: (a) => [5 * a] }); // ∂a² reported as 5a, not 2a
    try {
      const wrong = checkGrad(compile("sum(wrongSquare(A))", { vars: { A: [2, 2] } }), [1, 2, 3, 4], { hessian: false });
      expect(wrong.ok).toBe(false);
      expect(wrong.worst).toBeCloseTo(0.6, 6); // |5a − 2a| over the largest entry, 5·4
    } finally {
      removeFunction("wrongSquare");
    }
    const det = compile("det(A)", { vars: { A: [2, 2] } });
    for (const point of [[1, 2, 3, 4], new Tensor([2, 2], Float64Array.of(1, 2, 3, 4))]) {
      const r = checkGrad(det, point);
      expect([r.ok, r.hessian!.ok]).toEqual([true, true]);
    }
    expect(checkGrad(fn({ t: [] }, ({ t }) => t.exp()), 0.5).ok).toBe(true); // (a scalar input takes a number)
  });

  it("the function's size and a zero derivative do not change the verdict (stationary points, 1e-200·x², 1e300·x)", () => {
    const rosenbrock = compile("100*(y - x^2)^2 + (1 - x)^2", { vars: ["x", "y"] });
    for (const [f, x] of [
      [rosenbrock, [1, 1]], // its minimum: f = 0, ∇f = 0
      [compile("x^2 + x^3"), [0]], [compile("exp(x) - x"), [0]], [compile("x^4 - x^3"), [0]], // ∇f = 0 (and H = 0 for the last)
      [compile("x^2*1e-200"), [1]], [compile("1e300*x"), [1]], [compile("x^2"), [1]],
    ] as const) {
      const r = checkGrad(f, x);
      expect(r.ok, `${f.vars} at ${x}`).toBe(true);
    }
    // …while a wrong rule is still caught at that size, at a root of f too (its size is taken near x, not at it)
    defineFunction("tinyWrong(a)", { value: (a) => 1e-200 * a * a, partials: (a) => [3e-200 * a] });
    defineFunction("wrongSin(a)", { value: (a) => Math.sin(a), partials: (a) => [1.5 * Math.cos(a)] });
    try {
      expect(checkGrad(compile("tinyWrong(x)"), [1], { hessian: false }).ok).toBe(false);
      for (const [text, x] of [["1e-8*wrongSin(x)", [0]], ["1e-7*wrongSin(x)*y", [0, 1]], ["wrongSin(x)", [0]]] as const) {
        expect(checkGrad(compile(text), x, { hessian: false }).ok, `${text} at ${x}`).toBe(false); // (1e-8·… at its root passed)
      }
    } finally {
      removeFunction("tinyWrong");
      removeFunction("wrongSin");
    }
  });

  it("refuses what it cannot check", () => {
    expectThrows(() => checkGrad(compile(["x", "y"], { vars: ["x", "y"] }), [1, 2]), ShapeError, /scalar function/);
    expectThrows(() => checkGrad(compile("x*y", { vars: ["x", "y"] }), [1]), ShapeError, /needs 2 entries, got 1/);
    expectThrows(() => checkGrad(((x: number) => x) as never, [1]), InputError, /compiled function/);
    expectThrows(() => checkGrad(fn({ a: [], b: [] }, ({ a, b }) => a.mul(b)), [1, 2]), InputError, /one input; this one has 2/);
  });
});
