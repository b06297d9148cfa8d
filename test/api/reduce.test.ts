// Reductions over the batch axis (reduce: "sum" | "mean", weights): every method
// of R = Σ_p w_p·f(x_p, θ) over a batch whose data are batched and parameters
// shared. Sums are added in point order, so they equal a loop over the per-point
// results in that order to the bit, whatever the chunk size; closed forms check
// the numbers themselves.
import { describe, expect, it } from "vitest";
import { buffer, fn, InputError, ShapeError, Tensor } from "../../bindings/index.js";
import { expectClose, expectIdentical, expectThrows, random } from "../support/helpers.js";

const r = random(5);
const N = 37;
const data = new Tensor([N, 2], Float64Array.from({ length: 2 * N }, () => 2 * r() - 1));
const p = [0.7, -0.3];
const w = Float64Array.from({ length: N }, () => r());
// squared residual of a line through (a, b): (p0·a + p1 − b)²
const model = fn({ d: [2], p: [2] }, ({ d, p }) => p.at(0).mul(d.at(0)).add(p.at(1)).sub(d.at(1)).pow(2));
const at = { d: data, p };

/** Σ_p weight_p·row_p over rows of `per` (entries per point `size`), in point order, then ÷ divisor. */
function sumRows(per: Float64Array, size: number, weights: Float64Array | null, divisor = 1): Float64Array {
  const acc = new Float64Array(size);
  for (let q = 0; q < per.length / size; q++) for (let k = 0; k < size; k++) acc[k] += (weights ? weights[q] : 1) * per[q * size + k];
  return divisor === 1 ? acc : acc.map((v) => v / divisor);
}
const residual = (q: number) => p[0] * data.data[2 * q] + p[1] - data.data[2 * q + 1];

describe("reduce over a batch", () => {
  it("grad: the shared parameters' gradient is the closed form Σ 2r(a, 1), and the per-point gradients summed in order, to the bit", () => {
    const g = model.grad(at, { reduce: "sum" }) as Record<string, Tensor | Float64Array>;
    const closed = [0, 0];
    for (let q = 0; q < N; q++) { closed[0] += 2 * residual(q) * data.data[2 * q]; closed[1] += 2 * residual(q); }
    expectClose(g.p as Float64Array, closed, 1e-13, "Σ ∂f/∂p");
    const per = model.grad(at) as Record<string, Tensor>;
    expectIdentical(g.p as Float64Array, sumRows(per.p.data, 2, null), "against the loop");
    // the batched input keeps its axis: ∂R/∂d_p = ∂f/∂d_p
    expect((g.d as Tensor).shape).toEqual([N, 2]);
    expectIdentical((g.d as Tensor).data, per.d.data, "∂R/∂d");
  });

  it("weights and mean: Σ w·∂f/∂p, divided by Σ w; a batched input's rows scaled by w_p (÷ Σ w)", () => {
    const per = model.grad(at) as Record<string, Tensor>;
    const wsum = w.reduce((s, v) => s + v, 0);
    const weighted = model.grad(at, { reduce: "sum", weights: w }) as Record<string, Tensor | Float64Array>;
    expectIdentical(weighted.p as Float64Array, sumRows(per.p.data, 2, w), "Σ w ∂f/∂p");
    const mean = model.grad(at, { reduce: "mean", weights: Array.from(w) }) as Record<string, Tensor | Float64Array>;
    expectIdentical(mean.p as Float64Array, sumRows(per.p.data, 2, w, wsum), "Σ w ∂f/∂p / Σ w");
    expectIdentical((mean.d as Tensor).data, per.d.data.map((v, k) => (w[Math.floor(k / 2)] * v) / wsum), "w_p ∂f/∂d_p / Σ w");
    const plain = model.grad(at, { reduce: "mean" }) as Record<string, Tensor | Float64Array>;
    expectIdentical(plain.p as Float64Array, sumRows(per.p.data, 2, null, N), "mean without weights");
    // weights in a WasmBuffer, as every other batch argument may be
    const wb = buffer([N]);
    wb.data.set(w);
    expectIdentical((model.grad(at, { reduce: "sum", weights: wb }) as Record<string, Float64Array>).p, sumRows(per.p.data, 2, w), "WasmBuffer weights");
    expectThrows(() => model.grad(at, { reduce: "sum", weights: buffer([3]) }), ShapeError, /one per point \(37\), got 3/);
    wb.dispose();
  });

  it("every method: eval, jacobian (both modes), vjp, jvp, partial, hessian (blocks), hvp, laplacian", () => {
    const sum = { reduce: "sum" } as const;
    expectIdentical(model.eval(at, sum) as number, sumRows((model.eval(at) as Tensor).data, 1, null)[0], "eval");
    expectClose([model.eval(at, sum) as number], [Array.from({ length: N }, (_, q) => residual(q) ** 2).reduce((s, v) => s + v, 0)], 1e-13, "Σ r²");
    for (const mode of ["forward", "reverse"] as const) {
      const J = model.jacobian(at, { ...sum, mode, wrt: "p" }) as Tensor;
      expectIdentical(J.data, sumRows((model.jacobian(at, { mode, wrt: "p" }) as Tensor).data, 2, null), `jacobian ${mode}`);
    }
    const v = model.vjp(at, 3, sum) as Record<string, Tensor | Float64Array>;
    expectIdentical(v.p as Float64Array, sumRows((model.vjp(at, 3) as Record<string, Tensor>).p.data, 2, null), "vjp");
    const direction = { d: [0.5, 0.25], p: [1, -2] };
    expectIdentical(model.jvp(at, direction, sum) as number, sumRows((model.jvp(at, direction) as Tensor).data, 1, null)[0], "jvp");
    expectIdentical(model.partial("p[1]", at, sum) as number, sumRows((model.partial("p[1]", at) as Tensor).data, 1, null)[0], "partial");
    const H = model.hessian(at, sum) as unknown as Record<string, Record<string, Tensor>>;
    const Hper = model.hessian(at) as unknown as Record<string, Record<string, Tensor>>;
    expectIdentical(H.p.p.data, sumRows(Hper.p.p.data, 4, null), "H[p][p] summed");
    // closed form: Σ 2(a, 1)(a, 1)ᵀ
    const closed = [0, 0, 0, 0];
    for (let q = 0; q < N; q++) { const a = data.data[2 * q]; closed[0] += 2 * a * a; closed[1] += 2 * a; closed[2] += 2 * a; closed[3] += 2; }
    expectClose(H.p.p.data, closed, 1e-13, "Σ ∂²f/∂p²");
    expect(H.d.p.shape).toEqual([N, 2, 2]); // a batched input in the block: per point
    expectIdentical(H.d.p.data, Hper.d.p.data, "H[d][p] per point");
    const hv = model.hvp(at, direction, sum) as Record<string, Tensor | Float64Array>;
    expectIdentical(hv.p as Float64Array, sumRows((model.hvp(at, direction) as Record<string, Tensor>).p.data, 2, null), "hvp");
    expectIdentical(model.laplacian(at, sum) as number, sumRows((model.laplacian(at) as Tensor).data, 1, null)[0], "laplacian");
  });

  it("the sum does not depend on how the batch is cut: 300,000 points over several chunks equal the loop to the bit", () => {
    const M = 300_000, big = new Tensor([M, 2], Float64Array.from({ length: 2 * M }, (_, k) => Math.sin(k)));
    const weights = Float64Array.from({ length: M }, (_, q) => 1 + (q % 7) / 8);
    const g = model.grad({ d: big, p }, { reduce: "sum", weights, wrt: "p" }) as Float64Array;
    expectIdentical(g, sumRows((model.grad({ d: big, p }, { wrt: "p" }) as Tensor).data, 2, weights), "against the loop");
  });

  // k-means: Σ_p min_k ‖x_p − c_k‖². The reverse schedule keeps its inputs, so a block after
  // the first reloads only the batched x, not the entries of C. 85 points of a 960-entry C make
  // several blocks of values (about 40 points each) and of gradients, and a short last one; 9
  // points of a 4,800-entry C make gradient blocks of two points (their sums are added two
  // entries at a time) and a last block of one.
  it.each([
    { P: 85, d: 8, k: 120, fd: true },
    { P: 9, d: 16, k: 300, fd: false },
  ])("a shared matrix over many blocks ($P points, C $k×$d): each point as it is alone, to the bit, and the closed forms", ({ P, d, k, fd }) => {
    const rk = random(11);
    const X = Float64Array.from({ length: P * d }, () => 2 * rk() - 1), C = Float64Array.from({ length: k * d }, () => 2 * rk() - 1);
    const nearest = fn({ x: [d], C: [k, d] }, ({ x, C }) => C.sub(x).pow(2).sum(1).amin());
    const batch = { x: new Tensor([P, d], X), C: new Tensor([k, d], C) };
    const alone = (q: number) => ({ x: X.slice(q * d, (q + 1) * d), C: batch.C });
    const values = nearest.eval(batch) as Tensor, grads = (nearest.grad(batch, { wrt: "C" }) as Tensor).data;
    const fdGrads = fd ? (nearest.grad(batch, { wrt: "C", mode: "fd" }) as Tensor).data : null;
    const closedSum = new Float64Array(k * d);
    for (let q = 0; q < P; q++) {
      let best = Infinity, at = -1;
      for (let c = 0; c < k; c++) {
        let s = 0;
        for (let j = 0; j < d; j++) s += (X[q * d + j] - C[c * d + j]) ** 2;
        if (s < best) [best, at] = [s, c];
      }
      expectClose([values.data[q]], [best], 1e-14, `value ${q}`);
      expectIdentical([values.data[q]], [nearest.eval(alone(q)) as number], `value ${q} alone`);
      const one = (nearest.grad(alone(q), { wrt: "C" }) as Tensor).data;
      expectIdentical(grads.subarray(q * k * d, (q + 1) * k * d), one, `gradient ${q} alone`);
      if (fdGrads && q % 7 === 6) { // (finite differences perturb every input: each block loads them all)
        const fdOne = (nearest.grad(alone(q), { wrt: "C", mode: "fd" }) as Tensor).data;
        expectIdentical(fdGrads.subarray(q * k * d, (q + 1) * k * d), fdOne, `fd gradient ${q} alone`);
      }
      for (let j = 0; j < d; j++) closedSum[at * d + j] += 2 * (C[at * d + j] - X[q * d + j]);
    }
    // (a tape of block ops runs on the interpreter, whose reverse sweep forms the sum as it goes)
    expectClose((nearest.grad(batch, { wrt: "C", reduce: "sum" }) as Tensor).data, closedSum, 1e-13, "Σ ∂/∂C");
    expectIdentical((nearest.grad(batch, { wrt: "C", reduce: "sum" }) as Tensor).data, sumRows(grads, k * d, null), "Σ ∂/∂C, the loop");
    const weights = Float64Array.from({ length: P }, () => rk());
    const totalWeight = weights.reduce((s, v) => s + v, 0);
    expectIdentical((nearest.grad(batch, { wrt: "C", reduce: "mean", weights }) as Tensor).data, sumRows(grads, k * d, weights, totalWeight),
      "Σ w·∂/∂C ÷ Σ w, the loop");
    // the points read in place from a WasmBuffer: nothing is copied per point, and chunks stay bounded
    const xb = buffer([P, d]);
    xb.data.set(X);
    expectIdentical((nearest.grad({ x: xb, C: batch.C }, { wrt: "C", reduce: "mean", weights }) as Tensor).data,
      sumRows(grads, k * d, weights, totalWeight), "Σ w·∂/∂C ÷ Σ w, points in a WasmBuffer");
    xb.dispose();
    nearest.dispose();
  }, 60_000);

  it("refuses what it cannot mean, with a message", () => {
    expectThrows(() => model.grad({ d: [1, 2], p }, { reduce: "sum" }), InputError, /reduce sums over a batch.*one point/);
    expectThrows(() => model.grad(at, { weights: w }), InputError, /weights are for reduce/);
    expectThrows(() => model.grad(at, { reduce: "max" as "sum" }), InputError, /reduce must be "sum" or "mean", got "max"/);
    expectThrows(() => model.grad(at, { reduce: "sum", weights: new Float64Array(3) }), ShapeError, /one per point \(37\), got 3/);
    expectThrows(() => model.grad(at, { reduce: "sum", weights: "heavy" as unknown as Float64Array }), InputError, /weights must be/);
    expectThrows(() => model.grad(at, { reduce: "mean", weights: new Float64Array(N) }), InputError, /weights' sum, which is 0/);
    expectThrows(() => model.grad(at, { reduce: "sum", weights: new Float64Array(N).fill(NaN) }), InputError, /finite/);
    expect(model.grad(at, { reduce: "sum", wrt: "p" })).toBeInstanceOf(Float64Array); // still usable
  });

  it("an empty batch: a sum is 0, a mean NaN", () => {
    const empty = { d: new Tensor([0, 2], new Float64Array(0)), p };
    expect(model.eval(empty, { reduce: "sum" })).toBe(0);
    expect(model.eval(empty, { reduce: "mean" })).toBeNaN();
    expect(Array.from(model.grad(empty, { reduce: "sum", wrt: "p" }) as Float64Array)).toEqual([0, 0]);
    expect(Array.from(model.grad(empty, { reduce: "mean", wrt: "p", out: Float64Array.of(7, 7) }) as Float64Array).every(Number.isNaN)).toBe(true);
  });
});
