// checkGrad: exact derivatives against Richardson-extrapolated differences.
import { describe, expect, it } from "vitest";
import { checkGrad, compile, fn, InputError, scan, ShapeError } from "../../bindings/index.js";
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

  it("refuses what it cannot check", () => {
    expectThrows(() => checkGrad(compile(["x", "y"], { vars: ["x", "y"] }), [1, 2]), ShapeError, /scalar function/);
    expectThrows(() => checkGrad(compile("x*y", { vars: ["x", "y"] }), [1]), ShapeError, /needs 2 entries, got 1/);
    expectThrows(() => checkGrad(((x: number) => x) as never, [1]), InputError, /compiled function/);
    expectThrows(() => checkGrad(fn({ a: [], b: [] }, ({ a, b }) => a.mul(b)), [1, 2]), InputError, /one input; this one has 2/);
  });
});
