// Gradients, Jacobians, divergence and curl against sympy references
// (test/fixtures/generate.py), in forward mode and with finite differences.
import { describe, expect, it } from "vitest";
import { compile, Tensor } from "../../bindings/index.js";
import { asArray, expectClose, fixtures } from "../support/helpers.js";

describe("scalar functions against sympy", () => {
  for (const c of fixtures.scalar) {
    it(`${c.name}: ${c.expr}`, () => {
      const f = compile(c.expr, { vars: c.vars });
      c.points.forEach((x, k) => {
        expectClose([f.eval(x)], [c.values[k]], 1e-12, `${c.name} value at ${x}`);
        expectClose(f.grad(x), c.grads[k], 1e-12, `${c.name} grad at ${x}`);
        expectClose(f.jacobian(x).data, c.grads[k], 1e-12, `${c.name} jacobian at ${x}`);
        c.vars.forEach((v, i) => expectClose([f.partial(v, x)], [c.grads[k][i]], 1e-12, `${c.name} ∂/∂${v} at ${x}`));
        expectClose(f.grad(x, { mode: "fd" }), c.grads[k], 1e-7, `${c.name} fd grad at ${x}`, 1);
      });
    });
  }
});

describe("vector functions against sympy", () => {
  for (const c of fixtures.vector) {
    it(`${c.name}: [${c.exprs.join(", ")}]`, () => {
      const F = compile(c.exprs, { vars: c.vars });
      const m = c.exprs.length, n = c.vars.length;
      c.points.forEach((x, k) => {
        expectClose(F.eval(x), c.values[k], 1e-12, `${c.name} value`);
        const J = F.jacobian(x);
        expect(J.shape).toEqual([m, n]);
        expectClose(J.data, c.jacobians[k].flat(), 1e-12, `${c.name} jacobian at ${x}`);
        expectClose(F.jacobian(x, { mode: "fd" }).data, c.jacobians[k].flat(), 1e-7, `${c.name} fd jacobian`, 1);
        if (c.divergence) {
          expectClose([F.divergence(x)], [c.divergence[k]], 1e-12, `${c.name} divergence`);
          expectClose([F.divergence(x, { mode: "fd" })], [c.divergence[k]], 1e-7, `${c.name} fd divergence`, 1);
        }
        if (c.curl) {
          const want = [c.curl[k]].flat();
          expectClose(asArray(F.curl(x)), want, 1e-12, `${c.name} curl`);
          expectClose(asArray(F.curl(x, { mode: "fd" })), want, 1e-7, `${c.name} fd curl`, 1);
        }
      });
    });
  }

  it("a gradient field has zero curl and a rotation field zero divergence", () => {
    const grad = fixtures.vector.find((c) => c.name === "gradient_field_3d")!;
    const G = compile(grad.exprs, { vars: grad.vars });
    for (const x of grad.points) {
      const scale = Math.max(...G.jacobian(x).data.map(Math.abs));
      expectClose(asArray(G.curl(x)), [0, 0, 0], 1e-13, "curl of a gradient", scale);
    }
    const R = compile(["-y", "x"], { vars: ["x", "y"] });
    expect(R.divergence([0.3, -1.7])).toBe(0);
    expect(R.curl([0.3, -1.7])).toBe(2);
  });
});

describe("batches", () => {
  it("give the per-point results bit for bit", () => {
    for (const c of fixtures.vector) {
      const F = compile(c.exprs, { vars: c.vars });
      const N = c.points.length, m = c.exprs.length, n = c.vars.length;
      const batch = new Tensor([N, n], Float64Array.from(c.points.flat()));
      const J = F.jacobian(batch);
      expect(J.shape).toEqual([N, m, n]);
      const V = F.eval(batch);
      expect(V.shape).toEqual([N, m]);
      c.points.forEach((x, k) => {
        expect(Array.from(J.data.subarray(k * m * n, (k + 1) * m * n))).toEqual(Array.from(F.jacobian(x).data));
        expect(Array.from(V.data.subarray(k * m, (k + 1) * m))).toEqual(Array.from(F.eval(x)));
        const Jfd = F.jacobian(batch, { mode: "fd" });
        expect(Array.from(Jfd.data.subarray(k * m * n, (k + 1) * m * n))).toEqual(Array.from(F.jacobian(x, { mode: "fd" }).data));
      });
      if (c.divergence) {
        const d = F.divergence(batch);
        expect(d.shape).toEqual([N]);
        c.points.forEach((x, k) => expect(d.data[k]).toBe(F.divergence(x)));
      }
      if (c.curl) {
        const r = F.curl(batch);
        expect(r.shape).toEqual(n === 3 ? [N, 3] : [N]);
        c.points.forEach((x, k) => expect(Array.from(r.data.subarray(k * (n === 3 ? 3 : 1), (k + 1) * (n === 3 ? 3 : 1))))
          .toEqual(asArray(F.curl(x))));
      }
    }
  });
});
