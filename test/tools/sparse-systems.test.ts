// Sparse Jacobians and large sparse systems: `sparseJacobian` against the dense
// Jacobian (the same numbers, bit for bit, on the graph's structural pattern),
// the banded QR against the dense pivoted QR, and findRoot on the
// Moré–Garbow–Hillstrom systems of n = 1,000 with banded Jacobians, each root
// checked by evaluating F in plain JavaScript.
import { describe, expect, it } from "vitest";
import { compile, findRoot, fn, ShapeError, Tensor, type Node } from "../../bindings/index.js";
import { bandOrder, bandedQR, bandedSolve } from "../../bindings/tools/banded-qr.js";
import { dampedSolve, norm2, pivotedQR, unpivot } from "../../bindings/tools/qr.js";
import { dogleg } from "../../bindings/tools/dogleg.js";
import { expectClose, expectIdentical, expectThrows, random } from "../support/helpers.js";

const norm = (v: ArrayLike<number>) => Math.sqrt(Array.from(v).reduce((t, x) => t + x * x, 0));

/** The extended Powell singular function (MGH 13) of n = 4k unknowns. */
function extendedPowell(n: number) {
  return fn(n, (x) => Array.from({ length: n / 4 }, (_, q) => {
    const [a, b, c, d] = [x.at(4 * q), x.at(4 * q + 1), x.at(4 * q + 2), x.at(4 * q + 3)];
    return [a.add(b.mul(10)), c.sub(d).mul(Math.sqrt(5)), b.sub(c.mul(2)).pow(2), a.sub(d).pow(2).mul(Math.sqrt(10))];
  }).flat());
}

/** Broyden's tridiagonal function (MGH 30), with x_{perm[i]} in place of x_i when a permutation is given. */
function broydenTridiagonal(n: number, perm?: Int32Array) {
  const at = (x: Node, i: number) => (i < 0 || i >= n ? 0 : x.at(perm ? perm[i] : i));
  return fn(n, (x) => Array.from({ length: n }, (_, i) => {
    const xi = x.at(perm ? perm[i] : i);
    return xi.mul(xi.mul(-2).add(3)).sub(at(x, i - 1)).sub(typeof at(x, i + 1) === "number" ? 0 : (at(x, i + 1) as Node).mul(2)).add(1);
  }));
}
const broydenTridiagonalJs = (x: Float64Array, perm?: Int32Array) => {
  const n = x.length, v = (i: number) => (i < 0 || i >= n ? 0 : x[perm ? perm[i] : i]);
  return Float64Array.from({ length: n }, (_, i) => (3 - 2 * v(i)) * v(i) - v(i - 1) - 2 * v(i + 1) + 1);
};

/** Broyden's banded function (MGH 31): five neighbours below, one above. */
function broydenBanded(n: number) {
  return fn(n, (x) => Array.from({ length: n }, (_, i) => {
    let t: Node = x.at(i).mul(x.at(i).mul(x.at(i)).mul(5).add(2)).add(1);
    for (let j = Math.max(0, i - 5); j <= Math.min(n - 1, i + 1); j++) if (j !== i) t = t.sub(x.at(j).mul(x.at(j).add(1)));
    return t;
  }));
}
const broydenBandedJs = (x: Float64Array) => Float64Array.from(x, (xi, i) => {
  let t = xi * (2 + 5 * xi * xi) + 1;
  for (let j = Math.max(0, i - 5); j <= Math.min(x.length - 1, i + 1); j++) if (j !== i) t -= x[j] * (1 + x[j]);
  return t;
});

describe("sparseJacobian", () => {
  it("gives the dense Jacobian's entries, bit for bit, on the structural pattern, with zeros elsewhere", () => {
    const rand = random(7);
    for (const F of [extendedPowell(400), broydenBanded(300), compile(["x*y", "sin(x + y + z)", "z^2"], { vars: ["x", "y", "z"] })]) {
      const x = Float64Array.from({ length: F.n }, () => rand() * 2 - 1);
      const S = F.sparseJacobian(x), dense = (F.jacobian(x) as Tensor).data;
      expect(S.shape).toEqual([F.m, F.n]);
      const rebuilt = new Float64Array(F.m * F.n);
      for (let o = 0; o < F.m; o++) {
        for (let k = S.rowStart[o]; k < S.rowStart[o + 1]; k++) {
          if (k > S.rowStart[o]) expect(S.cols[k]).toBeGreaterThan(S.cols[k - 1]);
          rebuilt[o * F.n + S.cols[k]] = S.values[k];
        }
      }
      expectIdentical(rebuilt, dense, `F with n = ${F.n}`);
    }
  });

  it("with more colors than one sweep's 16 lanes (a band of 21 entries a row: two colored sweeps), the same bits", () => {
    const n = 200, F = fn(n, (x) => Array.from({ length: n }, (_, i) => {
      let t: Node = x.at(i).sin();
      for (let j = Math.max(0, i - 10); j <= Math.min(n - 1, i + 10); j++) if (j !== i) t = t.add(x.at(j).mul(x.at(i)).mul(0.01 * (j - i)));
      return t;
    }));
    expect(F.jacobianStructure().coloring!.count).toBeGreaterThan(16);
    const x = Float64Array.from({ length: n }, (_, i) => Math.cos(i));
    const S = F.sparseJacobian(x), dense = (F.jacobian(x) as Tensor).data, rebuilt = new Float64Array(n * n);
    for (let o = 0; o < n; o++) for (let k = S.rowStart[o]; k < S.rowStart[o + 1]; k++) rebuilt[o * n + S.cols[k]] = S.values[k];
    expectIdentical(rebuilt, dense, "two sweeps of colors");
  });

  it("reads the pattern off the function: the extended Powell function has 8 entries per block of 4", () => {
    const S = extendedPowell(1000).sparseJacobian(new Float64Array(1000).fill(1));
    expect(S.values.length).toBe(250 * 8); // two entries a row: a+10b, √5(c−d), (b−2c)², √10(a−d)²
    expect(Array.from(S.cols.subarray(S.rowStart[4], S.rowStart[8]))).toEqual([4, 5, 6, 7, 5, 6, 4, 7]);
  });

  it("takes one point and several inputs (columns over every input's entries)", () => {
    const F = fn({ a: [2], b: [] }, ({ a, b }) => [a.at(0).mul(b), a.at(1).add(b)]);
    const S = F.sparseJacobian({ a: [3, 4], b: 5 });
    expect(Array.from(S.rowStart)).toEqual([0, 2, 4]);
    expect(Array.from(S.cols)).toEqual([0, 2, 1, 2]);
    expect(Array.from(S.values)).toEqual([5, 3, 1, 1]);
    expectThrows(() => F.sparseJacobian({ a: new Tensor([2, 2], Float64Array.of(1, 2, 3, 4)), b: 1 }), ShapeError, /one point, not a batch/);
  });
});

describe("banded QR", () => {
  it("solves a banded least-squares problem as the dense pivoted QR does", () => {
    const rand = random(11), m = 260, n = 200, w = 4;
    const rowStart = [0], cols: number[] = [], values: number[] = [];
    const dense = new Float64Array(m * n);
    for (let i = 0; i < m; i++) {
      const lo = Math.min(n - 1 - w, Math.floor((i * n) / m));
      for (let j = lo; j <= lo + w; j++) if (rand() < 0.8 || j === lo) { cols.push(j); const v = rand() * 2 - 1; values.push(v); dense[i * n + j] = v; }
      rowStart.push(cols.length);
    }
    const J = { rowStart: Int32Array.from(rowStart), cols: Int32Array.from(cols), values: Float64Array.from(values) };
    const b = Float64Array.from({ length: m }, () => rand());
    const band = bandOrder(J, n);
    expect(band.width).toBeLessThanOrEqual(w);
    const banded = bandedSolve(bandedQR(J, n, band, b));
    const qr = pivotedQR(dense, m, n, b);
    expect(qr.rank).toBe(n);
    expectClose(banded, unpivot(dampedSolve(qr, new Float64Array(n), 0).z, qr.perm), 1e-10, "least-squares solution", 1e-12);
  });

  it("orders shuffled columns back into a narrow band (reverse Cuthill–McKee)", () => {
    const n = 500, rand = random(3), perm = Int32Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) { const j = Math.floor(rand() * (i + 1)); [perm[i], perm[j]] = [perm[j], perm[i]]; }
    // a tridiagonal pattern with its columns shuffled
    const rowStart = [0], cols: number[] = [];
    for (let i = 0; i < n; i++) {
      cols.push(...[i - 1, i, i + 1].filter((j) => j >= 0 && j < n).map((j) => perm[j]).sort((a, b) => a - b));
      rowStart.push(cols.length);
    }
    const pattern = { rowStart: Int32Array.from(rowStart), cols: Int32Array.from(cols) };
    const band = bandOrder(pattern, n);
    expect(band.width).toBeLessThanOrEqual(4);
    expect(Array.from(band.order).sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, j) => j));
    band.order.forEach((j, k) => expect(band.position[j]).toBe(k));
  });

  it("a rank-deficient J: the residual as small as the dense pivoted QR's (no equation of a dropped row lost)", () => {
    // columns 0 and 1 are parallel: rank 2 of 3
    const dense = Float64Array.of(0.1, 0.3, 0, 0.7, 2.1, 1, 0, 0, 1, 0.3, 0.9, 0.5), b = Float64Array.of(1, 2, 3, -1);
    const J = { rowStart: Int32Array.of(0, 2, 5, 6, 9), cols: Int32Array.of(0, 1, 0, 1, 2, 2, 0, 1, 2), values: Float64Array.of(0.1, 0.3, 0.7, 2.1, 1, 1, 0.3, 0.9, 0.5) };
    const z = bandedSolve(bandedQR(J, 3, bandOrder(J, 3), b));
    const residual = (x: ArrayLike<number>) => norm2(Float64Array.from({ length: 4 }, (_, i) => b[i] + dense[3 * i] * x[0] + dense[3 * i + 1] * x[1] + dense[3 * i + 2] * x[2]));
    const qr = pivotedQR(dense, 4, 3, b);
    expect(qr.rank).toBe(2);
    const best = residual(unpivot(dampedSolve(qr, new Float64Array(3), 0).z, qr.perm));
    expect(residual(z)).toBeLessThanOrEqual(best * (1 + 1e-12));
  });

  it("does not mistake a column on a small scale for a missing one (the test is on J's columns scaled to norm 1)", () => {
    // x₀ + 1e-15·x₁ = 1, 0.1·x₀ + 1e-15·x₁·2 = 1: nonsingular, x₁ ~ 1e15
    const J = { rowStart: Int32Array.of(0, 2, 4), cols: Int32Array.of(0, 1, 0, 1), values: Float64Array.of(1, 1e-15, 0.1, 2e-15) };
    const z = bandedSolve(bandedQR(J, 2, bandOrder(J, 2), Float64Array.of(-1, -1)));
    // the exact solution of [[1, 1e-15], [0.1, 2e-15]]·x = [1, 1]: x₀ = (2 − 1)/(2 − 0.1), x₁ = (1 − 0.1)/(1.9e-15)
    expectClose(z, [1 / 1.9, 0.9 / 1.9e-15], 1e-12, "solution");
  });

  it("leaves out a direction no row reaches (rank-deficient), instead of dividing by 0", () => {
    // J = [[1, 0, 0], [0, 0, 2]]: column 1 is empty
    const J = { rowStart: Int32Array.of(0, 1, 2), cols: Int32Array.of(0, 2), values: Float64Array.of(1, 2) };
    const band = bandOrder(J, 3);
    const z = bandedSolve(bandedQR(J, 3, band, Float64Array.of(3, 4)));
    expect(Array.from(z)).toEqual([-3, 0, -2]);
  });
});

describe("findRoot on a banded system whose Jacobian is singular", () => {
  it("x0 + x1 = 2 twice, xᵢ − xᵢ₋₁/2 = 1: one Newton step from the pivoted QR (the band's unpivoted one went to 4e13 in 88)", () => {
    const n = 100, F = fn(n, (x) => Array.from({ length: n }, (_, i) => (i < 2 ? x.at(0).add(x.at(1)).sub(2) : x.at(i).sub(x.at(i - 1).mul(0.5)).sub(1))));
    const r = findRoot(F, new Float64Array(n).fill(5));
    expect([r.converged, r.reason, r.iterations]).toEqual([true, "root", 1]);
    // a root, checked in plain arithmetic, of modest size
    const residual = Float64Array.from(r.x, (xi, i) => (i < 2 ? r.x[0] + r.x[1] - 2 : xi - 0.5 * r.x[i - 1] - 1));
    expect(Math.max(...residual.map(Math.abs))).toBeLessThan(1e-12);
    expect(Math.max(...r.x.map(Math.abs))).toBeLessThan(1e3);
  });
});

describe("findRoot on large sparse systems (MGH, n = 1,000)", () => {
  it("the extended Powell singular function: banded QR, the root 0 approached as MGH states", () => {
    const n = 1000;
    const r = findRoot(extendedPowell(n), Array.from({ length: n }, (_, i) => [3, -1, 0, 1][i % 4]));
    expect(r.converged, r.reason).toBe(true);
    expect(norm(r.residual)).toBeLessThanOrEqual(1e-10);
    expect(norm(r.x)).toBeLessThan(1e-2); // (a singular root: x ~ √‖F‖)
  });

  it("Broyden's tridiagonal function from x = −1, also with its unknowns shuffled", () => {
    const n = 1000, rand = random(5), perm = Int32Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) { const j = Math.floor(rand() * (i + 1)); [perm[i], perm[j]] = [perm[j], perm[i]]; }
    const plain = findRoot(broydenTridiagonal(n), new Float64Array(n).fill(-1));
    expect(plain.converged, plain.reason).toBe(true);
    expect(norm(broydenTridiagonalJs(plain.x))).toBeLessThanOrEqual(1e-10);
    const shuffled = findRoot(broydenTridiagonal(n, perm), new Float64Array(n).fill(-1));
    expect(shuffled.converged, shuffled.reason).toBe(true);
    expect(norm(broydenTridiagonalJs(shuffled.x, perm))).toBeLessThanOrEqual(1e-10);
    // the same root, found through another column order
    expectClose(Float64Array.from(perm, (p) => shuffled.x[p]), plain.x, 1e-9, "the root, unshuffled");
  });

  it("takes the banded path (the dense Jacobian is never asked for), and solves a badly scaled system as the dense path does", () => {
    const n = 40, s = 1e-15;
    // F_i = x_i + 0.01x_i³ + 0.3x_{i+1} − 1, but x₅ enters only multiplied by s: F₄ = x₄ + 0.01x₄³ + 0.5s·x₅ − 1
    // and F₅ = s·x₅ + 0.1x₄ − 1 (its root has x₅ ~ 1e15: a column of J on a scale of 1e-15)
    const F = fn(n, (x) => Array.from({ length: n }, (_, i) => {
      if (i === 5) return x.at(5).mul(s).add(x.at(4).mul(0.1)).sub(1);
      let t: Node = x.at(i).add(x.at(i).pow(3).mul(0.01)).sub(1);
      if (i === 4) return t.add(x.at(5).mul(s * 0.5));
      return i + 1 < n ? t.add(x.at(i + 1).mul(0.3)) : t;
    }));
    const problem = {
      m: n, n, residuals: (x: Float64Array) => F.eval(x) as Float64Array,
      jacobian: (): Float64Array => { throw new Error("the dense Jacobian was asked for"); },
    };
    const structure = F.jacobianStructure();
    const r = dogleg(problem, new Float64Array(n), { tolerance: 1e-10, maxIterations: 100 }, { pattern: structure, values: (x) => F.sparseValues(x) });
    expect(r.reason).toBe("root");
    // the dense path: the pivoted QR of the dense exact Jacobian
    const dense = dogleg({ ...problem, jacobian: (x: Float64Array) => (F.jacobian(x) as Tensor).data }, new Float64Array(n), { tolerance: 1e-10, maxIterations: 100 });
    expect(dense.reason).toBe("root");
    expectClose(r.x, dense.x, 1e-6, "the root both paths find");
    expect(Math.abs(r.x[5])).toBeGreaterThan(1e14);
  });

  it("Broyden's banded function from x = −1", () => {
    const n = 1000;
    const r = findRoot(broydenBanded(n), new Float64Array(n).fill(-1));
    expect(r.converged, r.reason).toBe(true);
    expect(norm(broydenBandedJs(r.x))).toBeLessThanOrEqual(1e-10);
  });
});
