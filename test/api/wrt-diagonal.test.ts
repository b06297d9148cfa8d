// Several inputs at once (wrt: [...]) and the Hessian's diagonal.
import { describe, expect, it } from "vitest";
import { compile, fn, InputError, Tensor } from "../../bindings/index.js";
import { expectClose, expectIdentical, expectThrows } from "../support/helpers.js";
import { colorDiagonal } from "../../bindings/ir/sparsity.js";
import type { Graph } from "../../bindings/ir/graph.js";

describe("wrt: several inputs", () => {
  const f = fn({ A: [2, 2], b: [2], c: [] }, ({ A, b, c }) => A.matvec(b).sin().sum().mul(c).add(c.pow(2)));
  const at = { A: [[1, 2], [0.5, -1]], b: [0.3, 0.7], c: 1.5 };

  it("a record of just those inputs, the same bits as one wrt at a time, forward and reverse, batched too", () => {
    for (const mode of ["reverse", "forward"] as const) {
      const g = f.grad(at, { wrt: ["b", "A"], mode }) as Record<string, Tensor | Float64Array>;
      expect(Object.keys(g)).toEqual(["b", "A"]);
      expectIdentical(g.b as Float64Array, f.grad(at, { wrt: "b", mode }) as Float64Array, `b (${mode})`);
      expectIdentical((g.A as Tensor).data, (f.grad(at, { wrt: "A", mode }) as Tensor).data, `A (${mode})`);
    }
    // ∂/∂b_j = c Σ_i cos((Ab)_i) A_ij, by hand
    const Ab = [1 * 0.3 + 2 * 0.7, 0.5 * 0.3 - 1 * 0.7];
    const want = [0, 1].map((j) => 1.5 * (Math.cos(Ab[0]) * at.A[0][j] + Math.cos(Ab[1]) * at.A[1][j]));
    expectClose((f.grad(at, { wrt: ["b", "c"] }) as Record<string, Float64Array>).b, want, 1e-14, "∂/∂b");
    const batch = { A: at.A, b: new Tensor([2, 2], Float64Array.of(0.3, 0.7, -0.2, 0.1)), c: 1.5 };
    const gb = f.jacobian(batch, { wrt: ["c", "b"] }) as Record<string, Tensor>;
    expectIdentical(gb.b.data, (f.jacobian(batch, { wrt: "b" }) as Tensor).data, "batched b");
    expectIdentical(gb.c.data, (f.jacobian(batch, { wrt: "c" }) as Tensor).data, "shared c, per point");
    const summed = f.grad(batch, { wrt: ["A", "c"], reduce: "sum" }) as Record<string, Tensor | number>;
    expectIdentical((summed.A as Tensor).data, (f.grad(batch, { wrt: "A", reduce: "sum" }) as Tensor).data, "Σ ∂/∂A");
  });

  it("a list of one name is still a record", () => {
    const g = f.grad(at, { wrt: ["b"] }) as Record<string, Float64Array>;
    expect(Object.keys(g)).toEqual(["b"]);
    expectIdentical(g.b, f.grad(at, { wrt: "b" }) as Float64Array, "b");
  });

  it("refuses an empty list, a repeated name and an unknown one", () => {
    expectThrows(() => f.grad(at, { wrt: [] }), InputError, /wrt names an input or several different ones/);
    expectThrows(() => f.grad(at, { wrt: ["b", "b"] }), InputError, /several different ones/);
    expectThrows(() => f.grad(at, { wrt: ["b", "z"] }), InputError, /'z' is not one of A, b, c/);
  });
});

describe("hessianDiagonal", () => {
  it("the closed form of sin(xy) + z²eˣ + x³, and the Hessian's diagonal to the bit", () => {
    const f = compile("sin(x*y) + z^2*exp(x) + x^3", { vars: ["x", "y", "z"] });
    const [x, y, z] = [0.3, -1.2, 0.7];
    const want = [-y * y * Math.sin(x * y) + z * z * Math.exp(x) + 6 * x, -x * x * Math.sin(x * y), 2 * Math.exp(x)];
    const d = f.hessianDiagonal([x, y, z]) as Float64Array;
    expectClose(d, want, 1e-14, "∂²f/∂xᵢ²");
    const H = (f.hessian([x, y, z]) as Tensor).data;
    expectIdentical(d, [H[0], H[4], H[8]], "diag H");
  });

  it("a sparse Hessian by its coloring, a dense one by 16-entry blocks, several inputs, batches and reduce", () => {
    const n = 40, p = Float64Array.from({ length: n }, (_, i) => Math.cos(i));
    const chain = fn(n, (v) => v.slice([1]).sub(v.slice([0], [n - 1]).pow(2)).pow(2).mul(100).add(v.slice([0], [n - 1]).neg().add(1).pow(2)).sum());
    const dense = fn(n, (v) => v.sum().pow(3).add(v.mul(v).sum().sin()));
    for (const f of [chain, dense]) {
      const H = (f.hessian(p) as Tensor).data;
      expectIdentical(f.hessianDiagonal(p) as Float64Array, Array.from({ length: n }, (_, i) => H[i * n + i]), "diag H");
      const batch = new Tensor([2, n], Float64Array.from([...p, ...p.map((v) => v / 2)]));
      const D = f.hessianDiagonal(batch) as Tensor, HB = (f.hessian(batch) as Tensor).data;
      expect(D.shape).toEqual([2, n]);
      expectIdentical(D.data, Array.from({ length: 2 * n }, (_, k) => HB[Math.floor(k / n) * n * n + (k % n) * (n + 1)]), "batch");
    }
    const two = fn({ a: [20], b: [] }, ({ a, b }) => a.mul(b).sin().sum().add(b.pow(3)));
    const a = Array.from({ length: 20 }, (_, i) => i / 10), b = 0.7;
    const hd = two.hessianDiagonal({ a, b }) as Record<string, Float64Array | number>;
    expectClose(hd.a as Float64Array, a.map((ai) => -b * b * Math.sin(ai * b)), 1e-14, "∂²/∂aᵢ²");
    expectClose([hd.b as number], [a.reduce((s, ai) => s - ai * ai * Math.sin(ai * b), 0) + 6 * b], 1e-14, "∂²/∂b²");
    const shared = fn({ x: [], w: [2] }, ({ x, w }) => w.at(0).mul(x).exp().add(w.at(1).pow(2).mul(x)));
    const xs = new Tensor([3], Float64Array.of(0.1, 0.2, 0.3)), w = [0.5, 2];
    const summed = shared.hessianDiagonal({ x: xs, w }, { reduce: "sum" }) as Record<string, Float64Array | Tensor>;
    expectClose(summed.w as Float64Array, [[0.1, 0.2, 0.3].reduce((s, x) => s + x * x * Math.exp(0.5 * x), 0), 2 * 0.6], 1e-14, "Σ ∂²/∂w²");
  });

  it("k-means' Σ minₖ ‖x − cₖ‖²: two colors for any k (min's partials pass no derivative), 2·(points nearest cₖ) on cₖ", () => {
    const d = 3, k = 40, N = 25;
    const nearest = fn({ x: [d], C: [k, d] }, ({ x, C }) => C.sub(x).pow(2).sum(1).amin());
    const X = Float64Array.from({ length: N * d }, (_, i) => Math.sin(0.37 * i)), C = Float64Array.from({ length: k * d }, (_, i) => Math.cos(0.11 * i));
    // the gradient by c_kj reads c_kj and x_j alone, so C's entries share one color and x's another
    const g = nearest.gradFunction();
    expect(colorDiagonal((g as unknown as { graph: Graph }).graph, (g as unknown as { outputIds: number[] }).outputIds, nearest.n, 16)?.count).toBe(2);
    const count = new Float64Array(k);
    for (let i = 0; i < N; i++) {
      let best = Infinity, arg = -1;
      for (let c = 0; c < k; c++) {
        let s = 0;
        for (let j = 0; j < d; j++) s += (X[i * d + j] - C[c * d + j]) ** 2;
        if (s < best) { best = s; arg = c; }
      }
      count[arg]++;
    }
    const at = { x: new Tensor([N, d], X), C: new Tensor([k, d], C) };
    const summed = nearest.hessianDiagonal(at, { reduce: "sum" }) as Record<string, Tensor>;
    expectIdentical(summed.C.data, Array.from({ length: k * d }, (_, i) => 2 * count[Math.floor(i / d)]), "Σ ∂²/∂c²");
    expect(summed.x.shape).toEqual([N, d]); // (batched: one diagonal per point, each 2·1 on x's entries)
    expectIdentical(summed.x.data, new Array(N * d).fill(2), "∂²/∂x²");
    // one point: the dense Hessian's diagonal, to the bit
    const one = { x: X.slice(0, d), C: new Tensor([k, d], C) };
    const H = nearest.hessian(one) as Record<string, Record<string, Tensor>>;
    const diag = nearest.hessianDiagonal(one) as Record<string, Float64Array | Tensor>;
    expectIdentical((diag.C as Tensor).data, Array.from({ length: k * d }, (_, i) => H.C.C.data[i * k * d + i]), "diag H_CC");
    expectIdentical(diag.x as Float64Array, Array.from({ length: d }, (_, i) => H.x.x.data[i * d + i]), "diag H_xx");
    // wrt: C's alone (a single Tensor), or a record of the named ones, the same bits
    const onlyC = nearest.hessianDiagonal(at, { reduce: "sum", wrt: "C" }) as Tensor;
    expect(onlyC.shape).toEqual([k, d]);
    expectIdentical(onlyC.data, summed.C.data, "wrt C");
    const listed = nearest.hessianDiagonal(at, { reduce: "sum", wrt: ["C"] }) as Record<string, Tensor>;
    expect(Object.keys(listed)).toEqual(["C"]);
    expectIdentical(listed.C.data, summed.C.data, "wrt [C]");
    expectThrows(() => nearest.hessianDiagonal(at, { wrt: "c" }), InputError, /'c' is not one of x, C/);
  });

  it("an out that holds the point: a dense diagonal's 16-entry blocks all read the point before it is written", () => {
    // ∂²/∂xᵢ² of (Σx)²/2 + Σ sin(xᵢ)·xᵢ₊₁ (cyclic) is 1 − sin(xᵢ)·xᵢ₊₁; 17 entries: two blocks, the second was
    // computed from a point the first block's results had overwritten
    const n = 17, vars = Array.from({ length: n }, (_, i) => `x${i}`);
    const f = compile(`(${vars.join(" + ")})^2/2 + ` + vars.map((v, i) => `sin(${v})*x${(i + 1) % n}`).join(" + "), { vars });
    const p = Float64Array.from({ length: n }, (_, i) => 0.5 + 0.3 * Math.sin(i));
    const want = Array.from(p, (x, i) => 1 - Math.sin(x) * p[(i + 1) % n]);
    const a = p.slice();
    f.hessianDiagonal(a, { out: a });
    expectClose(a, want, 1e-14, "one point");
    const rows = new Tensor([2, n], Float64Array.from([...p, ...p]));
    f.hessianDiagonal(rows, { out: rows.data });
    expectClose(rows.data, [...want, ...want], 1e-14, "a batch of two");
    f.dispose();
  });

  it("k-means at the benchmark's size (d = 16, k = 1,000): still two colors", () => {
    // x's gradient adds 1,000 terms one after another: the partial sums' sets copy 8 million
    // entries in all, though only one is alive at a time (the analysis' budget counts those alive)
    const nearest = fn({ x: [16], C: [1000, 16] }, ({ x, C }) => C.sub(x).pow(2).sum(1).amin());
    const g = nearest.gradFunction() as unknown as { graph: Graph; outputIds: number[] };
    expect(colorDiagonal(g.graph, g.outputIds, nearest.n, 16)?.count).toBe(2);
    nearest.dispose();
  });
});
