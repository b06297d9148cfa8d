// Axis reductions (amax, amin, argmax, argmin, prod, mean, norm(p), with sum and
// logsumexp) and numpy broadcasting of elementwise operations: values and
// derivatives against closed forms, forward against reverse.
import { describe, expect, it } from "vitest";
import { amax, argmin, fn, mean, norm, prod, ShapeError, Tensor } from "../../bindings/index.js";
import { expectClose, expectIdentical, expectThrows, random } from "../support/helpers.js";

const r = random(3);

describe("numpy broadcasting of elementwise operations", () => {
  it("[k, d] − [d], [m, 1]·[n], [1, 3] + [2, 1]: values", () => {
    const sub = fn({ C: [3, 2], x: [2] }, ({ C, x }) => C.sub(x));
    expect(Array.from((sub.eval({ C: [[1, 2], [3, 4], [5, 6]], x: [1, 10] }) as Tensor).data)).toEqual([0, -8, 2, -6, 4, -4]);
    const outer = fn({ c: [2, 1], w: [3] }, ({ c, w }) => c.mul(w));
    const o = outer.eval({ c: [[1], [2]], w: [1, 10, 100] }) as Tensor;
    expect(o.shape).toEqual([2, 3]);
    expect(Array.from(o.data)).toEqual([1, 10, 100, 2, 20, 200]);
    const grid = fn({ a: [1, 3], b: [2, 1] }, ({ a, b }) => a.add(b));
    expect(Array.from((grid.eval({ a: [[1, 2, 3]], b: [[10], [20]] }) as Tensor).data)).toEqual([11, 12, 13, 21, 22, 23]);
  });

  it("a repeated operand's derivative sums over the axes it was repeated on: ∂/∂x Σ (C − x)² = −2 Σₖ (Cₖ − x)", () => {
    const f = fn({ C: [4, 3], x: [3] }, ({ C, x }) => C.sub(x).pow(2).sum());
    const C = Array.from({ length: 4 }, () => Array.from({ length: 3 }, () => r())), x = [r(), r(), r()];
    const want = x.map((xj, j) => -2 * C.reduce((s, row) => s + row[j] - xj, 0));
    for (const mode of ["forward", "reverse"] as const) {
      const g = f.grad({ C, x }, { mode }) as Record<string, Tensor | Float64Array>;
      expectClose(g.x as Float64Array, want, 1e-14, `∂/∂x (${mode})`);
      expectClose((g.C as Tensor).data, C.flatMap((row) => row.map((c, j) => 2 * (c - x[j]))), 1e-14, `∂/∂C (${mode})`);
    }
  });

  it("shapes that do not broadcast are a ShapeError naming the axis", () => {
    expectThrows(() => fn({ a: [2, 3], b: [3, 2] }, ({ a, b }) => a.add(b)), ShapeError, /\[2, 3\] and \[3, 2\].*axis 0.*extents 2 and 3.*equal or one of them 1/);
  });
});

describe("reductions over all entries or one axis", () => {
  const A = [[1, 5, 2], [7, 7, 3]];

  it("amax and amin: the extreme entries; the derivative goes to them, ½ each on a tie", () => {
    const f = fn({ A: [2, 3] }, ({ A }) => A.amax(1)), g = fn({ A: [2, 3] }, ({ A }) => A.amin(0));
    expect(Array.from(f.eval({ A }) as Float64Array)).toEqual([5, 7]);
    expect(Array.from(f.jacobian({ A }).data)).toEqual([0, 1, 0, 0, 0, 0, 0, 0, 0, 0.5, 0.5, 0]);
    expect(Array.from(g.eval({ A }) as Float64Array)).toEqual([1, 5, 2]);
    expect(fn({ v: [4] }, ({ v }) => amax(v)).eval([3, -1, 8, 2])).toBe(8);
    expect(fn({ v: [2] }, ({ v }) => v.slice([1], [1]).amax()).eval([1, 2])).toBe(-Infinity); // an empty slice
  });

  it("argmax and argmin: the first index of the extreme entry, derivative 0; NaN where an entry is NaN", () => {
    const f = fn({ A: [2, 3] }, ({ A }) => A.argmax(1)), g = fn({ v: [5] }, ({ v }) => argmin(v));
    expect(Array.from(f.eval({ A }) as Float64Array)).toEqual([1, 0]); // 7, 7: the first
    expect(Array.from(f.jacobian({ A }).data).every((d) => d === 0)).toBe(true);
    expect(g.eval([3, 1, 4, 1, 5])).toBe(1);
    expect(g.eval([3, 1, NaN, 1, 5])).toBeNaN();
    expect(Array.from(g.grad([3, 1, 4, 1, 5]) as Float64Array).every((d) => d === 0)).toBe(true);
    // equal infinities tie like any equal entries (∞ − ∞ once made the index NaN): numpy's answers
    const h = fn({ v: [3] }, ({ v }) => v.argmax()), k = fn({ v: [3] }, ({ v }) => argmin(v));
    const I = Infinity;
    expect([h.eval([-I, -I, -5]), h.eval([I, I, 1]), h.eval([1, I, I]), k.eval([I, I, 9]), k.eval([-I, -I, 9])]).toEqual([2, 0, 1, 2, 0]);
    expect(Array.from(fn({ A: [2, 2] }, ({ A }) => A.argmax(1)).eval({ A: [[-I, -I], [1, 2]] }) as Float64Array)).toEqual([0, 1]);
    expect([h.eval([NaN, 1, 2]), h.eval([1, 2, NaN]), k.eval([I, NaN, -I])].every(Number.isNaN)).toBe(true);
  });

  it("prod, mean and norm(p): closed-form values and gradients", () => {
    const v = [0.5, -2, 3, 1.25];
    const P = fn({ v: [4] }, ({ v }) => prod(v));
    expectClose([P.eval(v) as number], [v.reduce((p, x) => p * x, 1)], 1e-15);
    expectClose(P.grad(v) as Float64Array, v.map((_, i) => v.reduce((p, x, j) => (j === i ? p : p * x), 1)), 1e-15, "∂ prod");
    const M = fn({ A: [2, 3] }, ({ A }) => mean(A, 1));
    expect(Array.from(M.eval({ A }) as Float64Array)).toEqual([8 / 3, 17 / 3]);
    for (const p of [1, 2, 3, 2.5]) {
      const N = fn({ v: [4] }, ({ v }) => norm(v, p)), length = v.reduce((s, x) => s + Math.abs(x) ** p, 0) ** (1 / p);
      expectClose([N.eval(v) as number], [length], 1e-15, `‖v‖_${p}`);
      expectClose(N.grad(v) as Float64Array, v.map((x) => (Math.sign(x) * Math.abs(x) ** (p - 1)) / length ** (p - 1)), 1e-14, `∇‖v‖_${p}`);
    }
    const inf = fn({ v: [4] }, ({ v }) => v.norm(Infinity));
    expect(inf.eval(v)).toBe(3);
    expect(Array.from(inf.grad(v) as Float64Array)).toEqual([0, 0, 1, 0]);
    const rows = fn({ A: [2, 3] }, ({ A }) => A.norm(2, 1));
    expectClose(rows.eval({ A }) as Float64Array, [Math.sqrt(30), Math.sqrt(107)], 1e-15, "row norms");
    expectThrows(() => fn({ v: [2] }, ({ v }) => v.norm(0.5)), ShapeError, /p must be a number ≥ 1/);
  });

  it("norm(p) is scaled by the largest entry: in range wherever the norm is (the squares of 3e-200 underflowed to 0)", () => {
    for (const s of [1e-200, 1e-160, 1e200, 1e-310]) {
      const v = [3 * s, 4 * s];
      const N = fn({ v: [2] }, ({ v }) => norm(v)), N3 = fn({ v: [2] }, ({ v }) => norm(v, 3));
      expectClose([N.eval(v) as number], [5 * s], s === 1e-310 ? 1e-5 : 1e-15, `‖(3, 4)·${s}‖`); // (a subnormal s has few digits)
      expectClose(N.grad(v) as Float64Array, [0.6, 0.8], s === 1e-310 ? 1e-5 : 1e-15, `∇‖(3, 4)·${s}‖`);
      const l3 = Math.cbrt(27 + 64); // ‖(3, 4)‖₃, and its gradient (|vᵢ|/‖v‖₃)²
      expectClose([N3.eval(v) as number], [l3 * s], s === 1e-310 ? 1e-5 : 1e-14, `‖(3, 4)·${s}‖₃`);
      expectClose(N3.grad(v) as Float64Array, [(3 / l3) ** 2, (4 / l3) ** 2], s === 1e-310 ? 1e-5 : 1e-14, `∇‖(3, 4)·${s}‖₃`);
    }
    const N = fn({ v: [3] }, ({ v }) => norm(v));
    expect([N.eval([0, 0, 0]), N.eval([1, -Infinity, 2]), N.eval([1, NaN, 2])]).toEqual([0, Infinity, NaN]);
    // in range it is √Σvᵢ² as written, to the bit, derivatives too (the scale is 1 there)
    const plain = fn({ v: [3] }, ({ v }) => v.mul(v).sum().sqrt()), at = [3, -4, 1e-3];
    expectIdentical(N.grad(at) as Float64Array, plain.grad(at) as Float64Array, "∇‖v‖ in range");
    expectIdentical((N.hessian(at) as Tensor).data, (plain.hessian(at) as Tensor).data, "∇²‖v‖ in range");
    // the smallest subnormal: the scale is held at the smallest normal number, so 1/scale stays finite (forward mode gave NaN)
    for (const mode of ["forward", "reverse"] as const) expect(Array.from(N.grad([0, 5e-324, 0], { mode }) as Float64Array)).toEqual([0, 1, 0]);
  });

  it("the k-means objective Σᵢ minₖ ‖xᵢ − cₖ‖² by broadcasting and amin: each point pulls its nearest centroid", () => {
    const k = 3, d = 2, n = 6;
    const X = Array.from({ length: n }, () => [r(), r()]), Cs = Array.from({ length: k }, () => [r(), r()]);
    const f = fn({ X: [n, d], C: [k, d] }, ({ X, C }) =>
      X.reshape([n, 1, d]).sub(C.reshape([1, k, d])).pow(2).sum(2).amin(1).sum());
    const nearest = X.map((x) => {
      const dist = Cs.map((c) => (x[0] - c[0]) ** 2 + (x[1] - c[1]) ** 2);
      return dist.indexOf(Math.min(...dist));
    });
    const value = X.reduce((s, x, i) => s + (x[0] - Cs[nearest[i]][0]) ** 2 + (x[1] - Cs[nearest[i]][1]) ** 2, 0);
    expectClose([f.eval({ X, C: Cs }) as number], [value], 1e-14, "objective");
    const want = Cs.flatMap((c, j) => [0, 1].map((t) => X.reduce((s, x, i) => s + (nearest[i] === j ? -2 * (x[t] - c[t]) : 0), 0)));
    for (const mode of ["forward", "reverse"] as const) {
      expectClose((f.grad({ X, C: Cs }, { mode, wrt: "C" }) as Tensor).data, want, 1e-13, `∂/∂C (${mode})`);
    }
  });
});
