// Single-precision points (issue 20, item 9): a batch whose data is a
// Float32Array is computed in float64 and comes back in single precision,
// unless `out` is given: each result is the float64 result rounded to float32,
// and the float64 result is the closed form's.
import { describe, expect, it } from "vitest";
import { compile, Tensor } from "../../bindings/index.js";
import { expectClose, expectIdentical } from "../support/helpers.js";

const f = compile("sin(x*y) + z^2*exp(x)", { vars: ["x", "y", "z"] });
const F = compile(["x*y*sin(z)", "exp(x)*cos(y) + z^2", "x/(1+y^2) + z"], { vars: ["x", "y", "z"] });
const N = 5;
const data32 = Float32Array.from({ length: 3 * N }, (_, k) => 0.37 * Math.sin(3 * k + 1) + 0.5);
const batch32 = { shape: [N, 3], data: data32 };
const batch64 = new Tensor([N, 3], Float64Array.from(data32)); // the same points, exactly
/** ∇f at the float32 points, by hand, in float64. */
const gradient = (p: number) => {
  const [x, y, z] = [data32[3 * p], data32[3 * p + 1], data32[3 * p + 2]];
  return [y * Math.cos(x * y) + z * z * Math.exp(x), x * Math.cos(x * y), 2 * z * Math.exp(x)];
};

/** Every array in a result (Tensor data, typed arrays, records), in order. */
function leaves(r: unknown): ArrayLike<number>[] {
  if (typeof r === "number") return [];
  if (r instanceof Tensor) return [r.data];
  if (ArrayBuffer.isView(r)) return [r as unknown as ArrayLike<number>];
  return Object.values(r as Record<string, unknown>).flatMap(leaves);
}

describe("Float32 batches", () => {
  it("grad: a Tensor<Float32Array>, the float64 gradient rounded, which is the closed form's", () => {
    const g = f.grad(batch32) as Tensor<Float32Array>;
    expect(g).toBeInstanceOf(Tensor);
    expect(g.data).toBeInstanceOf(Float32Array);
    expect(g.shape).toEqual([N, 3]);
    const g64 = f.grad(batch64) as Tensor;
    expectIdentical(g.data, Float32Array.from(g64.data), "rounded from float64");
    for (let p = 0; p < N; p++) expectClose(g64.data.subarray(3 * p, 3 * p + 3), gradient(p), 1e-14, `point ${p}`);
    // a Tensor over Float32Array data is such a batch too
    expectIdentical((f.grad(new Tensor([N, 3], data32)) as Tensor<Float32Array>).data, g.data, "Tensor<Float32Array> points");
  });

  it("every batch method gives single-precision arrays, each the float64 result rounded", () => {
    const v = Float64Array.of(1, -0.5, 2), w = Float64Array.of(0.5, 1, -1);
    const scalarCalls: [string, (x: never) => unknown][] = [
      ["eval", (x) => f.eval(x)], ["grad", (x) => f.grad(x)], ["valueAndGrad", (x) => f.valueAndGrad(x)],
      ["jacobian", (x) => f.jacobian(x)], ["partial", (x) => f.partial("y", x)], ["jvp", (x) => f.jvp(x, v)],
      ["directional", (x) => f.directional(x, v)], ["vjp", (x) => f.vjp(x, 2)], ["hessian", (x) => f.hessian(x)],
      ["hvp", (x) => f.hvp(x, v)], ["hessianDiagonal", (x) => f.hessianDiagonal(x)], ["laplacian", (x) => f.laplacian(x)],
      ["field eval", (x) => F.eval(x)], ["field jacobian", (x) => F.jacobian(x)], ["divergence", (x) => F.divergence(x)],
      ["curl", (x) => F.curl(x)], ["jacobianDeterminant", (x) => F.jacobianDeterminant(x)], ["field vjp", (x) => F.vjp(x, w)],
    ];
    for (const [name, call] of scalarCalls) {
      const single = leaves(call(batch32 as never)), double = leaves(call(batch64 as never));
      expect(single.length, name).toBe(double.length);
      expect(single.length, name).toBeGreaterThan(0);
      single.forEach((a, k) => {
        expect(a, `${name}: leaf ${k}`).toBeInstanceOf(Float32Array);
        expectIdentical(a, Float32Array.from(double[k]), `${name}: leaf ${k}`);
      });
    }
  });

  it("with out, the results go where out says (float64)", () => {
    const out = new Float64Array(3 * N);
    const g = f.grad(batch32, { out }) as unknown as Tensor;
    expect(g.data).toBe(out);
    expectIdentical(out, (f.grad(batch64) as Tensor).data, "the float64 gradient in out");
  });

  it("the async forms too", async () => {
    const g = (await f.gradAsync(batch32)) as Tensor<Float32Array>;
    expect(g.data).toBeInstanceOf(Float32Array);
    expectIdentical(g.data, (f.grad(batch32) as Tensor<Float32Array>).data, "gradAsync");
    const J = (await F.jacobianAsync(batch32)) as Tensor<Float32Array>;
    expectIdentical(J.data, (F.jacobian(batch32) as Tensor<Float32Array>).data, "jacobianAsync");
  });

  it("one point as a bare Float32Array is a point like any array (float64 results); linearize stays float64; Float32 weights", () => {
    expect(f.grad(data32.subarray(0, 3))).toBeInstanceOf(Float64Array);
    const point32 = { shape: [3], data: data32.subarray(0, 3) };
    const lin = F.linearize(point32), exact = F.eval(Array.from(data32.subarray(0, 3))) as Float64Array;
    expect(lin.value).toBeInstanceOf(Float64Array);
    expectIdentical(lin.apply(Array.from(data32.subarray(0, 3))) as Float64Array, exact, "f(x0) + J·0 is f(x0) in float64");
    const weights = Float32Array.of(1, 2, 0.5, 0, 3);
    const value = (p: number) => Math.sin(data32[3 * p] * data32[3 * p + 1]) + data32[3 * p + 2] ** 2 * Math.exp(data32[3 * p]);
    const summed = f.eval(batch64, { reduce: "sum", weights }) as number;
    expectClose([summed], [Array.from(weights).reduce((t, wp, p) => t + wp * value(p), 0)], 1e-14, "Σ w·f with Float32 weights");
  });
});
