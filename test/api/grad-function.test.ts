// gradFunction: ∇f as a compiled function of its own, differentiated again.
import { describe, expect, it } from "vitest";
import { compile, fn, ShapeError, Tensor } from "../../bindings/index.js";
import { expectClose, expectIdentical, expectThrows } from "../support/helpers.js";

describe("gradFunction", () => {
  it("evaluates ∇f; its Jacobian is f's Hessian to the bit", () => {
    const f = compile("x^3*y^2 + sin(x*y)", { vars: ["x", "y"] }), g = f.gradFunction();
    const [x, y] = [0.7, -1.3];
    expectClose(g.eval([x, y]) as Float64Array, [3 * x * x * y * y + y * Math.cos(x * y), 2 * x ** 3 * y + x * Math.cos(x * y)], 1e-14, "∇f");
    expectIdentical(g.eval([x, y]) as Float64Array, f.grad([x, y]) as Float64Array, "the gradient f.grad gives");
    expectIdentical((g.jacobian([x, y]) as Tensor).data, (f.hessian([x, y]) as Tensor).data, "J(∇f) = H");
    g.dispose();
    expectClose(f.grad([1, 1]) as Float64Array, [3 + Math.cos(1), 2 + Math.cos(1)], 1e-15, "after disposing ∇f");
  });

  it("derivatives of any order by nesting: sin, then −sin′ … the fourth derivative of sin is sin", () => {
    let d = fn({ t: [] }, ({ t }) => t.sin());
    const want = [Math.sin, Math.cos, (t: number) => -Math.sin(t), (t: number) => -Math.cos(t), Math.sin];
    for (let k = 0; k <= 4; k++) {
      expectClose([d.eval(0.4) as number], [want[k](0.4)], 1e-15, `order ${k}`);
      d = d.gradFunction();
    }
  });

  it("no perturbation confusion: x ↦ d/dy (x·y) at y = 1 has derivative 1, not 2", () => {
    const dxy = fn({ x: [], y: [] }, ({ x, y }) => x.mul(y)).gradFunction(); // [∂/∂x, ∂/∂y] = [y, x]
    const h = fn({ x: [], y: [] }, ({ x, y }) => dxy.of({ x, y }).at(1)); // d/dy (x·y), as a function of x (and y)
    expect(h.eval({ x: 3, y: 1 })).toBe(3);
    expect(h.grad({ x: 3, y: 1 }, { wrt: "x" })).toBe(1);
    expect(h.grad({ x: 3, y: 1 }, { wrt: "y" })).toBe(0);
  });

  it("needs a scalar function", () => {
    expectThrows(() => compile(["x", "y"], { vars: ["x", "y"] }).gradFunction(), ShapeError, /gradFunction needs a scalar function/);
  });
});
