// Prepared calls (Func.prepare): one method as a plain function of a point.
// Their results are the closed forms, and the ordinary methods' to the bit, on
// both tiers; they stay right when other calls, a grown memory or a re-created
// core intervene; bad input is refused with a message.
import { describe, expect, it } from "vitest";
import { buffer, compile, fn, InputError, scan, setCompiledTier, ShapeError, Tensor } from "../../bindings/index.js";
import { core } from "../../bindings/runtime/loader.js";
import { expectClose, expectIdentical, expectThrows, modulesCompiled, random, resetCore } from "../support/helpers.js";
import { onBothTiers } from "../support/tiers.js";

const r = random(11);
const points = Array.from({ length: 20 }, () => Float64Array.from({ length: 3 }, () => 2 * r() - 1));
/** ∇(sin(xy) + z²eˣ), by hand. */
const gradient = ([x, y, z]: Float64Array) => [y * Math.cos(x * y) + z * z * Math.exp(x), x * Math.cos(x * y), 2 * z * Math.exp(x)];
/** The Jacobian of F = [xy·sin z, eˣ·cos y + z², x/(1 + y²) + √z], row-major, by hand. */
const jacobian = ([x, y, z]: Float64Array) => [
  y * Math.sin(z), x * Math.sin(z), x * y * Math.cos(z),
  Math.exp(x) * Math.cos(y), -Math.exp(x) * Math.sin(y), 2 * z,
  1 / (1 + y * y), (-2 * x * y) / (1 + y * y) ** 2, 0.5 / Math.sqrt(z),
];
const scalar = () => compile("sin(x*y) + z^2*exp(x)", { vars: ["x", "y", "z"] });
const vector = () => compile(["x*y*sin(z)", "exp(x)*cos(y) + z^2", "x/(1+y^2) + sqrt(z)"], { vars: ["x", "y", "z"] });

describe("prepare", () => {
  it("grad, jacobian and eval: the closed forms, and the methods' bits, at one point after another, on both tiers", () => {
    onBothTiers(scalar, (f) => {
      const grad = f.prepare("grad"), value = f.prepare("eval");
      for (const x of points) {
        const g = grad(x);
        expectClose(g, gradient(x), 1e-14, "∇f");
        expectIdentical(g, f.grad(x) as Float64Array, "prepared against f.grad");
        expectIdentical(value(x)[0], f.eval(x) as number, "prepared eval");
      }
      for (const mode of ["forward", "reverse", "fd"] as const) {
        const g = f.prepare("grad", { mode })(points[3]);
        expectIdentical(g, f.grad(points[3], { mode }) as Float64Array, `mode ${mode}`);
      }
    });
    onBothTiers(vector, (F) => {
      const jac = F.prepare("jacobian"), value = F.prepare("eval");
      for (const x0 of points) {
        const x = x0.map(Math.abs); // √z needs z ≥ 0
        expectClose(jac(x), jacobian(x), 1e-14, "J");
        expectIdentical(jac(x), F.jacobian(x).data, "prepared against F.jacobian");
        expectIdentical(value(x), F.eval(x) as Float64Array, "prepared eval");
      }
    });
  });

  it("returns the same array every call (out, or its own); a function of one scalar input takes a point of length 1", () => {
    const f = scalar(), out = new Float64Array(3);
    const grad = f.prepare("grad", { out });
    expect(grad(points[0])).toBe(out);
    expect(grad(points[1])).toBe(out);
    const own = f.prepare("grad");
    expect(own(points[0])).toBe(own(points[1]));
    const cube = fn({ t: [] }, ({ t }) => t.pow(3));
    expect(cube.prepare("grad")(Float64Array.of(2))[0]).toBe(12);
    expect(cube.prepare("eval")(Float64Array.of(2))[0]).toBe(8);
  });

  it("stays right when other calls, a grown memory or a re-created core come between its calls", () => {
    const f = scalar(), g = vector(), grad = f.prepare("grad");
    grad(points[0]);
    grad(points[1]);
    f.eval(points[2]); // another call on the same function's kernels
    g.jacobian(points[2].map(Math.abs));
    expectClose(grad(points[3]), gradient(points[3]), 1e-14, "after other calls");
    f.grad(points[4], { mode: "forward" });
    expectClose(grad(points[5]), gradient(points[5]), 1e-14, "after another mode");
    const before = core().memory.buffer.byteLength;
    const big = buffer([1 << 22]); // 32 MB: memory grows, old views detach
    expect(core().memory.buffer.byteLength).toBeGreaterThan(before);
    expectClose(grad(points[6]), gradient(points[6]), 1e-14, "after memory grew");
    big.dispose();
    resetCore();
    expectClose(grad(points[7]), gradient(points[7]), 1e-14, "after the core was re-created");
  });

  it("after dispose() a prepared call throws, never running in freed memory", () => {
    const f = scalar(), grad = f.prepare("grad");
    grad(points[0]);
    grad(points[1]);
    f.dispose();
    expectThrows(() => grad(points[2]), InputError, /disposed/);
    const other = compile("x + y + z", { vars: ["x", "y", "z"] }); // may take the freed memory
    expectThrows(() => grad(points[2]), InputError, /disposed/);
    expect(Array.from(other.grad([1, 2, 3]) as Float64Array)).toEqual([1, 1, 1]);
  });

  it("refuses bad input with a message, and stays usable", () => {
    const f = scalar(), grad = f.prepare("grad");
    expectThrows(() => grad(new Float64Array(2)), ShapeError, /Float64Array of 3 entries/);
    expectThrows(() => grad([1, 2, 3] as unknown as Float64Array), ShapeError, /Float64Array of 3 entries/);
    expectClose(grad(points[0]), gradient(points[0]), 1e-14, "after a refused call");
    expectThrows(() => f.prepare("hessian" as "grad"), InputError, /"eval", "grad" or "jacobian"/);
    expectThrows(() => f.prepare("grad", { out: new Float64Array(2) }), ShapeError, /out must be a Float64Array of length 3/);
    expectThrows(() => vector().prepare("grad"), ShapeError, /scalar function/);
    const two = fn({ a: [2], b: [] }, ({ a, b }) => a.sum().mul(b));
    expectThrows(() => two.prepare("grad"), InputError, /one input; this one has 2/);
  });
});

describe("the lean path of f.eval, f.grad and f.jacobian (a Float64Array point, no option but out)", () => {
  it("gives the ordinary path's bits (a plain-array point takes that path), on both tiers, calls interleaved", () => {
    onBothTiers(scalar, (f) => {
      for (const x of points) {
        const plain = Array.from(x);
        expectIdentical(f.grad(x) as Float64Array, f.grad(plain) as Float64Array, "grad");
        expectIdentical(f.eval(x) as number, f.eval(plain) as number, "eval");
        expectIdentical((f.jacobian(x) as Tensor).data, (f.jacobian(plain) as Tensor).data, "jacobian");
        expectClose(f.grad(x, { out: new Float64Array(3), mode: undefined }) as Float64Array, gradient(x), 1e-14, "∇f (an option set to undefined)");
      }
    });
    onBothTiers(vector, (F) => {
      for (const x0 of points) {
        const x = x0.map(Math.abs), plain = Array.from(x);
        const J = F.jacobian(x) as Tensor;
        expect(J.shape).toEqual([3, 3]);
        expectIdentical(J.data, (F.jacobian(plain) as Tensor).data, "jacobian");
        expectIdentical(F.eval(x) as Float64Array, F.eval(plain) as Float64Array, "eval");
      }
    });
  });

  it("returns a new array each call without out (the caller may keep it), and out itself with it", () => {
    const f = scalar(), out = new Float64Array(3);
    const a = f.grad(points[0]) as Float64Array, b = f.grad(points[1]) as Float64Array;
    expect(a).not.toBe(b);
    expectClose(a, gradient(points[0]), 1e-14, "the first result, after a second call");
    expect(f.grad(points[2], { out })).toBe(out);
    expectClose(out, gradient(points[2]), 1e-14, "out");
    const J = f.jacobian(points[3], { out: new Float64Array(3) }) as Tensor;
    expect(J.shape).toEqual([3]); // (∂f/∂x of a scalar f: shape [n])
  });

  it("reads options as the ordinary path does (getters included), and refuses options that are not an object", () => {
    const f = scalar();
    class ByGetter { get mode(): "fd" { return "fd"; } }
    expectIdentical(f.grad(points[0], new ByGetter() as never) as Float64Array, f.grad(Array.from(points[0]), { mode: "fd" }) as Float64Array, "a mode by getter");
    expectThrows(() => f.grad(points[0], null as never), InputError, /must be an object/);
  });

  it("after the core is re-created, prepare() and the next calls start afresh (no stale set-up from the old core)", () => {
    const f = scalar();
    for (let k = 0; k < 4; k++) f.grad(points[0]);
    resetCore();
    f.prepare();
    expectClose(f.grad(points[1]) as Float64Array, gradient(points[1]), 1e-14, "∇f at the next point");
    expectClose(f.grad(Array.from(points[2])) as Float64Array, gradient(points[2]), 1e-14, "∇f by the ordinary path");
  });

  it("leaves every other case, and every error, to the ordinary path", () => {
    const f = scalar();
    expectIdentical(f.grad(points[0], { mode: "forward" }) as Float64Array, f.grad(Array.from(points[0]), { mode: "forward" }) as Float64Array, "mode forward");
    expectThrows(() => f.grad(points[0], { out: new Float64Array(2) }), ShapeError, /out/);
    expectThrows(() => f.grad(new Float64Array(2)), ShapeError);
    expectThrows(() => f.grad(points[0], { mdoe: "forward" } as never), InputError, /did you mean 'mode'/);
    expectThrows(() => vector().grad(points[0]), ShapeError, /scalar function/);
    f.dispose();
    expectThrows(() => f.grad(points[0]), InputError, /disposed/);
  });
});

describe("the lean path with WasmBuffers (a point of shape [n] and out in WebAssembly memory, read and written in place)", () => {
  /** A WasmBuffer holding `values`. */
  const resident = (values: ArrayLike<number>) => {
    const b = buffer([values.length]);
    b.data.set(values);
    return b;
  };

  it("gives the closed forms and the copying path's bits as the point changes in place, on both tiers, calls interleaved", () => {
    onBothTiers(scalar, (f) => {
      const xb = buffer([3]), gb = buffer([3]), vb = buffer([1]);
      for (const x of points) {
        xb.data.set(x);
        expect(f.grad(xb, { out: gb })).toBe(gb);
        expectClose(gb.data, gradient(x), 1e-14, "∇f in place");
        expectIdentical(gb.data, f.grad(x) as Float64Array, "∇f, against the copying path");
        expect(f.eval(xb, { out: vb })).toBe(vb);
        expectIdentical(vb.data[0], f.eval(x) as number, "f in place");
      }
      for (const b of [xb, gb, vb]) b.dispose();
    });
    onBothTiers(vector, (F) => {
      const xb = buffer([3]), Jb = buffer([3, 3]), Fb = buffer([3]);
      for (const x0 of points) {
        const x = x0.map(Math.abs);
        xb.data.set(x);
        expect(F.jacobian(xb, { out: Jb })).toBe(Jb);
        expectClose(Jb.data, jacobian(x), 1e-13, "J in place");
        expectIdentical(Jb.data, (F.jacobian(x) as Tensor).data, "J, against the copying path");
        F.eval(xb, { out: Fb });
        expectIdentical(Fb.data, F.eval(x) as Float64Array, "F in place");
      }
      for (const b of [xb, Jb, Fb]) b.dispose();
    });
  });

  it("follows the buffers it is given: other points and outs in turn, and out the point itself", () => {
    const f = scalar();
    const xs = points.slice(0, 2).map(resident), outs = [buffer([3]), buffer([3])];
    for (let k = 0; k < 8; k++) {
      const x = xs[k % 2], out = outs[(k >> 1) % 2];
      f.grad(x, { out });
      expectClose(out.data, gradient(points[k % 2]), 1e-14, `∇f at point ${k % 2} into out ${(k >> 1) % 2}`);
    }
    const both = resident(points[3]);
    for (let k = 0; k < 3; k++) {
      both.data.set(points[3 + k]);
      expect(f.grad(both, { out: both })).toBe(both); // (overlapping: the ordinary path reads the point first)
      expectClose(both.data, gradient(points[3 + k]), 1e-14, "∇f written over its point");
    }
    for (const b of [...xs, ...outs, both]) b.dispose();
  });

  it("stays right when memory grows and other functions run between its calls", () => {
    const f = scalar(), g = vector(), xb = resident(points[0]), gb = buffer([3]), big: ReturnType<typeof buffer>[] = [];
    for (let k = 0; k < 6; k++) {
      xb.data.set(points[k]);
      f.grad(xb, { out: gb });
      expectClose(gb.data, gradient(points[k]), 1e-14, `∇f, call ${k}`);
      big.push(buffer([1 << 20])); // (8 MB each: the memory grows)
      g.jacobian(points[k].map(Math.abs));
    }
    for (const b of [xb, gb, ...big]) b.dispose();
  });

  it("refuses disposed buffers as the ordinary path does, and leaves other shapes to it", () => {
    const f = scalar(), xb = resident(points[0]), gb = buffer([3]);
    f.grad(xb, { out: gb });
    f.grad(xb, { out: gb });
    gb.dispose();
    expectThrows(() => f.grad(xb, { out: gb }), InputError, /disposed/);
    const fresh = buffer([3]);
    expectClose(f.grad(xb, { out: fresh }).data, gradient(points[0]), 1e-14, "∇f into a fresh out");
    xb.dispose();
    expectThrows(() => f.grad(xb, { out: fresh }), InputError, /disposed/);
    const batch = resident([...points[1], ...points[2]]), wide = buffer([2, 3]);
    expectThrows(() => f.grad(batch, { out: fresh }), ShapeError); // (a flat [6] is not a point of 3)
    const rows = buffer([2, 3]);
    rows.data.set([...points[1], ...points[2]]);
    expectClose(f.grad(rows, { out: wide }).data, [...gradient(points[1]), ...gradient(points[2])], 1e-14, "a batch [2, 3]");
    for (const b of [fresh, batch, wide, rows]) b.dispose();
  });
});

describe("prepare({ modes }): compiling ahead", () => {
  it("after prepare(), one-point calls of every mode compile nothing, and give what an unprepared function gives", () => {
    setCompiledTier("auto");
    const text = "sin(x*y) + z^2*exp(x) + x*y*z", vars = ["x", "y", "z"];
    const plain = compile(text, { vars }), ahead = compile(text, { vars });
    expect(ahead.prepare()).toBe(ahead);
    const x = Float64Array.of(0.3, -1.2, 0.7), v = Float64Array.of(1, 2, -1);
    const calls = (f: typeof plain) => [
      f.eval(x), f.grad(x), f.grad(x, { mode: "forward" }), f.jacobian(x), f.hvp(x, v), f.hessian(x), f.hessianDiagonal(x), f.laplacian(x),
    ];
    const compiled = modulesCompiled(() => {
      for (let k = 0; k < 3; k++) calls(ahead);
    });
    expect(compiled).toBe(0);
    const [a, b] = [calls(plain), calls(ahead)];
    a.forEach((r, k) => expect(b[k]).toEqual(r));
  });

  it("modes choose what is built; a bad mode is an InputError", () => {
    const f = compile("x^2 + y", { vars: ["x", "y"] }).prepare({ modes: ["reverse"] });
    // with a scan (no second derivatives yet) the default modes leave "second" out
    const step = fn({ s: [2] }, ({ s }) => s.mul(0.5));
    const looped = fn(2, (v) => scan(step, v, { length: 3 }).sum()).prepare();
    expect(Array.from(looped.grad([1, 1]) as Float64Array)).toEqual([0.125, 0.125]);
    expect(() => fn(2, (v) => scan(step, v, { length: 3 }).sum()).prepare({ modes: ["second"] })).toThrow(InputError);
    expect(Array.from(f.grad([3, 1]) as Float64Array)).toEqual([6, 1]);
    expect(() => f.prepare({ modes: ["sideways" as "forward"] })).toThrow(InputError);
    const vector = fn({ A: [2, 2] }, ({ A }) => A.matmul(A)).prepare();
    expect((vector.jacobian({ A: [[1, 2], [3, 4]] }) as Tensor).shape).toEqual([2, 2, 2, 2]);
  });
});
