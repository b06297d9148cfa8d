// valueAndGrad: f(x) and ∇f(x) from one sweep, the same bits as eval and grad.
import { describe, expect, it } from "vitest";
import { compile, fn, ShapeError, Tensor } from "../../bindings/index.js";
import { expectIdentical, expectThrows } from "../support/helpers.js";
import { onBothTiers } from "../support/tiers.js";

describe("valueAndGrad", () => {
  it("the value and gradient eval and grad give, to the bit, in every mode, at a point and in a batch, on both tiers", () => {
    const x = [0.3, -1.2, 0.7], batch = new Tensor([3, 3], Float64Array.of(0.3, -1.2, 0.7, 1, 2, 3, -0.5, 0.25, 2));
    onBothTiers(() => compile("sin(x*y) + z^2*exp(x)", { vars: ["x", "y", "z"] }), (f) => {
      for (const mode of ["reverse", "forward", "fd", "auto"] as const) {
        const { value, grad } = f.valueAndGrad(x, { mode });
        expectIdentical(value, f.eval(x) as number, `value (${mode})`);
        expectIdentical(grad as Float64Array, f.grad(x, { mode }) as Float64Array, `grad (${mode})`);
        const b = f.valueAndGrad(batch, { mode });
        expectIdentical((b.value as Tensor).data, (f.eval(batch) as Tensor).data, `batch values (${mode})`);
        expectIdentical((b.grad as Tensor).data, (f.grad(batch, { mode }) as Tensor).data, `batch gradients (${mode})`);
      }
    });
  });

  it("a fused tensor function (whose gradient alone skips its forward loops), several inputs, wrt and reduce", () => {
    const n = 40, x = Float64Array.from({ length: n }, (_, i) => Math.cos(i));
    const chain = fn(n, (v) => v.slice([1]).sub(v.slice([0], [n - 1]).pow(2)).pow(2).mul(100).add(v.slice([0], [n - 1]).neg().add(1).pow(2)).sum());
    const vg = chain.valueAndGrad(x);
    expectIdentical(vg.value as number, chain.eval(x) as number, "value");
    expectIdentical(vg.grad as Float64Array, chain.grad(x) as Float64Array, "gradient");
    const model = fn({ d: [2], p: [2] }, ({ d, p }) => p.at(0).mul(d.at(0)).add(p.at(1)).sub(d.at(1)).pow(2));
    const data = new Tensor([5, 2], Float64Array.from({ length: 10 }, (_, i) => Math.sin(i)));
    const at = { d: data, p: [0.5, -0.25] };
    for (const reduce of ["sum", "mean"] as const) {
      const weights = Float64Array.of(1, 2, 0.5, 3, 1);
      const r = model.valueAndGrad(at, { reduce, weights, wrt: "p" });
      expectIdentical(r.value as number, model.eval(at, { reduce, weights }) as number, `${reduce}: value`);
      expectIdentical(r.grad as Float64Array, model.grad(at, { reduce, weights, wrt: "p" }) as Float64Array, `${reduce}: gradient`);
      const byD = model.valueAndGrad(at, { reduce, weights, wrt: "d" }); // a batched input: per-point gradients, the values summed
      expectIdentical(byD.value as number, model.eval(at, { reduce, weights }) as number, `${reduce}: value (wrt d)`);
    }
    const both = model.valueAndGrad(at, { wrt: ["p", "d"] });
    expectIdentical((both.value as Tensor).data, (model.eval(at) as Tensor).data, "values");
    expectIdentical(((both.grad as Record<string, Tensor>).p).data, (model.grad(at, { wrt: "p" }) as Tensor).data, "∂/∂p");
  });

  it("needs a scalar function", () => {
    expectThrows(() => compile(["x", "y"], { vars: ["x", "y"] }).valueAndGrad([1, 2]), ShapeError, /valueAndGrad needs a scalar function/);
    expect(compile("x*y", { vars: ["x", "y"] }).valueAndGrad([2, 3])).toEqual({ value: 6, grad: Float64Array.of(3, 2) });
  });
});
