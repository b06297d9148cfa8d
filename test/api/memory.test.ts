// Growing WebAssembly memory detaches its old ArrayBuffer, and in V8 one detached
// buffer anywhere in the process slows every typed-array loop after it (about 2×
// for a loop like an analytic gradient: the engine must then check each access
// for detachment). The core starts with 16 MB so that typical use never grows
// it; this file (a fresh core of its own) holds it to that.
import { describe, expect, it } from "vitest";
import { compile, fd, fn, grid, Tensor } from "../../bindings/index.js";
import { core } from "../../bindings/runtime/loader.js";

describe("WebAssembly memory in typical use", () => {
  it("starts at 16 MB and is never grown (its buffer never detached) by a day's work", () => {
    const memory = core().memory, buffer = memory.buffer;
    expect(buffer.byteLength).toBe(16 << 20);

    const n = 10_000;
    const rosenbrock = fn(n, (x) => {
      const a = x.slice([0], [n - 1]), b = x.slice([1]);
      return b.sub(a.pow(2)).pow(2).mul(100).add(a.neg().add(1).pow(2)).sum();
    });
    const x = Float64Array.from({ length: n }, (_, i) => 0.5 + 0.3 * Math.sin(i));
    const g = rosenbrock.grad(x) as Float64Array;
    expect(g[0]).toBeCloseTo(-400 * x[0] * (x[1] - x[0] ** 2) - 2 * (1 - x[0]), 8);

    const field = compile(["x*y*sin(z)", "exp(x)*cos(y) + z^2", "x/(1 + y^2) + sqrt(z)"], { vars: ["x", "y", "z"] });
    const N = 100_000;
    const points = new Tensor([N, 3], Float64Array.from({ length: 3 * N }, (_, k) => 1 + (k % 7) / 7));
    expect((field.jacobian(points) as Tensor).shape).toEqual([N, 3, 3]);

    const h = compile("sin(x*y) + z^2*exp(x)", { vars: ["x", "y", "z"] });
    expect((h.hessian(new Tensor([10_000, 3], points.data.subarray(0, 30_000))) as Tensor).shape).toEqual([10_000, 3, 3]);

    const opaque = (v: Float64Array) => v.reduce((s, vi, i) => s + Math.sin(vi) * (i + 1), 0);
    expect((fd.grad(opaque, new Tensor([200, 50], new Float64Array(200 * 50).fill(0.5))).value as Tensor).shape).toEqual([200, 50]);

    const side = 256;
    const sampled = Float64Array.from({ length: side * side }, (_, k) => Math.sin(k / side) + Math.cos(k % side));
    expect((grid.gradient(sampled, [side, side]) as Float64Array[]).length).toBe(2);

    for (const f of [rosenbrock, field, h]) f.dispose();
    expect(memory.buffer, "the same buffer: memory never grew").toBe(buffer);
    expect(buffer.byteLength).toBe(16 << 20);
  }, 60_000);
});
