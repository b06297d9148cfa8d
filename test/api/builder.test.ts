// The traced builder `fn`: its input specs, method chains and free functions,
// agreement with compiled strings to the bit, what the graph shares and folds
// (visible in tapeSize), and traced nodes refusing to become numbers.
import { describe, expect, it } from "vitest";
import {
  add, atan2, compile, cos, det, exp, fn, hypot, InputError, log1p, max, min, mul, neg, Node, pow, ShapeError, sin, sqrt, stack, sub, Tensor,
  type Func,
} from "../../bindings/index.js";
import { expectClose, expectIdentical, expectThrows } from "../support/helpers.js";

describe("input specs", () => {
  // f = sin(x0·x1) + x2: ∇f = (x1 cos(x0 x1), x0 cos(x0 x1), 1)
  const want = ([a, b, c]: number[]) => ({
    value: Math.sin(a * b) + c,
    grad: [b * Math.cos(a * b), a * Math.cos(a * b), 1],
  });
  const points = [[0.5, 1.5, 2], [-1.2, 0.3, 0.7], [2.5, -2, 4.1]];

  it("fn(n, body): a vector input x[0], …, x[n−1]", () => {
    const f = fn(3, (x) => x[0].mul(x[1]).sin().add(x[2]));
    expect(f.vars).toEqual(["x[0]", "x[1]", "x[2]"]);
    expect(f.inputShape).toEqual([3]);
    expect(f.outputShape).toEqual([]);
    for (const p of points) {
      expectClose([f.eval(p)], [want(p).value], 1e-14, "value");
      expectClose(f.grad(p), want(p).grad, 1e-14, "grad");
      expectClose([f.partial("x[1]", p)], [want(p).grad[1]], 1e-14, "∂/∂x[1]");
    }
  });

  it("x[i] indexes long vectors too (past the per-length index getters): a proxy answers, methods still work", () => {
    const n = 5000, x = Float64Array.from({ length: n }, (_, i) => i);
    let outside: unknown = "unset";
    const f = fn(n, (v) => {
      outside = (v as unknown as Record<number, unknown>)[n];
      return v[n - 1].mul(v[10]).add(v.slice([0], [3]).sum());
    });
    expect(outside).toBeUndefined();
    expect(f.eval(x)).toBe((n - 1) * 10 + 0 + 1 + 2);
    expect((f.grad(x) as Float64Array)[n - 1]).toBe(10);
  });

  it("nested arrays may hold traced nodes: their rows are stacked (det([[x0, 1], [0, x1]]) is x0·x1)", () => {
    const f = fn(2, (x) => det([[x[0], 1], [0, x[1]]]));
    expect(f.eval([3, 2])).toBe(6);
    expect(Array.from(f.grad([3, 2]) as Float64Array)).toEqual([2, 3]);
    const g = fn(2, (x) => x[0].add([[x[0], 1], [0, x[1]]]));
    expect(Array.from((g.eval([3, 2]) as Tensor).data)).toEqual([6, 4, 3, 5]);
    expectThrows(() => fn(2, (x) => det([[x[0], 1], [0]])), ShapeError, /a nested array's entries must have one shape, got \[2\] and \[1\]/);
    expect(Array.from(fn(2, (x) => x.mul([[x[0], 1], [0, x[1]]]).sum()).grad([3, 2]) as Float64Array)).toEqual([2 * 3, 1 + 2 * 2]); // x0² + x1 + x1², through an elementwise method
  });

  it("an axis or p of the wrong type says so", () => {
    expectThrows(() => fn({ A: [2, 3] }, ({ A }) => A.sum("1" as never)), ShapeError, /sum's axis must be a whole number from 0 to 1 for shape \[2, 3\], got "1"/);
    expectThrows(() => fn(2, (x) => x.norm("2" as never)), ShapeError, /norm's p must be a number ≥ 1 \(or Infinity\), got "2"/);
    expectThrows(() => fn(2, (x) => stack([x, x], 2.5)), ShapeError, /stack's axis must be a whole number from 0 to 1, got 2\.5/);
  });

  it("fn({ x: 3 }, body) is the same as fn(3, body); other names name the variables", () => {
    const f = fn({ x: 3 }, ({ x }) => x[0].mul(x[1]).sin().add(x[2]));
    expect(f.vars).toEqual(["x[0]", "x[1]", "x[2]"]);
    for (const p of points) expectClose(f.grad(p), want(p).grad, 1e-14, "grad");
    const g = fn({ v: [2] }, ({ v }) => v[0].div(v[1]));
    expect(g.vars).toEqual(["v[0]", "v[1]"]);
    expect(Array.from(g.grad([3, 2]))).toEqual([0.5, -0.75]);
    expect(g.partial("v[1]", [3, 2])).toBe(-0.75);
  });

  it("fn({ t: [] }, body): one scalar input t", () => {
    const f = fn({ t: [] }, ({ t }) => t.mul(t).add(t.sin()));
    expect(f.vars).toEqual(["t"]);
    expect(f.inputShape).toEqual([]); // a scalar input: its gradient is a number
    for (const t of [-1.5, 0, 0.7, 3]) {
      expectClose([f.eval([t])], [t * t + Math.sin(t)], 1e-15, `value at ${t}`);
      expectClose([f.eval(t)], [t * t + Math.sin(t)], 1e-15, `value at ${t} given as a number`);
      expectClose([f.grad(t) as number], [2 * t + Math.cos(t)], 1e-15, `derivative at ${t}`);
      expectClose([f.partial("t", [t])], [2 * t + Math.cos(t)], 1e-15, `∂/∂t at ${t}`);
    }
  });

  it("rejects specs it does not support, with InputError", () => {
    const body = (x: Node[]) => x[0];
    for (const spec of [0, -1, 1.5, NaN, "3", null, { x: 0 }, { x: -2 }, { x: [0] }, { x: [1.5] }, {}]) {
      expect(() => fn(spec as never, body as never), JSON.stringify(spec)).toThrow(InputError);
    }
    expect(() => fn(2, "x[0]" as never)).toThrow(InputError);
  });
});

describe("method chains and free functions", () => {
  it("x[0].mul(x[1]).sin() and sin(mul(x[0], x[1])) are one function", () => {
    const chained = fn(2, (x) => x[0].mul(x[1]).sin());
    const free = fn(2, (x) => sin(mul(x[0], x[1])));
    for (const p of [[0.4, 2], [-3, 0.25]]) {
      const [a, b] = p;
      expectClose([chained.eval(p)], [Math.sin(a * b)], 1e-15, "value");
      expectClose(chained.grad(p), [b * Math.cos(a * b), a * Math.cos(a * b)], 1e-14, "grad");
      expectIdentical(free.grad(p), chained.grad(p), "free vs chained");
    }
  });

  it("numbers are lifted into traced operations, on either side", () => {
    // f = (2 + a)·b − a/4 + 3^a: ∂a = b − 1/4 + 3^a ln 3, ∂b = 2 + a
    const f = fn(2, ([a, b]) => add(2, a).mul(b).sub(a.div(4)).add(pow(3, a)));
    for (const [a, b] of [[1, 2], [-0.5, 4]]) {
      expectClose([f.eval([a, b])], [(2 + a) * b - a / 4 + 3 ** a], 1e-15, "value");
      expectClose(f.grad([a, b]), [b - 0.25 + 3 ** a * Math.log(3), 2 + a], 1e-14, "grad");
    }
  });

  it("free functions on numbers alone return plain numbers", () => {
    expect(add(2, 3)).toBe(5);
    expect(mul(4, 0.5)).toBe(2);
    expect(pow(2, 10)).toBe(1024);
    expect(sin(0)).toBe(0);
    expect(max(-1, 3)).toBe(3);
    expect(typeof exp(1)).toBe("number");
    expectClose([exp(1)], [Math.E], 1e-15, "exp(1)");
  });

  it("atan2(y, x) takes y first, as Math.atan2; a.atan2(b) is atan2(a, b)", () => {
    const f = fn(2, ([y, x]) => atan2(y, x));
    const g = fn(2, ([y, x]) => y.atan2(x));
    for (const [y, x] of [[1, -2], [-0.5, 0.25]]) {
      expectClose([f.eval([y, x])], [Math.atan2(y, x)], 1e-15, "atan2");
      // ∂/∂y = x/(x² + y²), ∂/∂x = −y/(x² + y²)
      expectClose(f.grad([y, x]), [x / (x * x + y * y), -y / (x * x + y * y)], 1e-15, "∇atan2");
      expectIdentical(g.grad([y, x]), f.grad([y, x]), "method vs free");
    }
  });
});

describe("builder and string compile to the same function, to the bit", () => {
  const points = [[0.5, 1.5, 2], [-1.2, 0.3, 0.7], [2.5, -2, 4.1], [1e-3, 7, 0.25]];
  const vars = ["x", "y", "z"];
  const scalars: Array<[string, (x: Node, y: Node, z: Node) => Node]> = [
    ["x*y*sin(z)", (x, y, z) => x.mul(y).mul(z.sin())],
    ["exp(x)*cos(y) + z^2", (x, y, z) => x.exp().mul(y.cos()).add(z.pow(2))],
    ["x/(1+y^2) + sqrt(z)", (x, y, z) => x.div(add(1, y.pow(2))).add(sqrt(z))],
    ["atan2(y, x) - hypot(x, z)/max(y, 1)", (x, y, z) => atan2(y, x).sub(hypot(x, z).div(max(y, 1)))],
    ["-x^2 + 2^-y*log1p(z^2)", (x, y, z) => neg(x.pow(2)).add(pow(2, neg(y)).mul(log1p(z.pow(2))))],
    ["min(x, z)*cos(x*y) - cos(y*x)", (x, y, z) => min(x, z).mul(cos(x.mul(y))).sub(cos(y.mul(x)))],
  ];

  const same = (traced: Func, parsed: Func, label: string) => {
    // the same operations (slot numbering may differ: fn creates every input up front)
    expect(traced.tapeSize.instructions, `${label}: instructions`).toBe(parsed.tapeSize.instructions);
    expect(traced.tapeSize.constants, `${label}: constants`).toBe(parsed.tapeSize.constants);
    for (const p of points) {
      expectIdentical(traced.eval(p), parsed.eval(p), `${label}: eval at ${p}`);
      expectIdentical(traced.jacobian(p).data, parsed.jacobian(p).data, `${label}: jacobian at ${p}`);
      expectIdentical(traced.jacobian(p, { mode: "fd" }).data, parsed.jacobian(p, { mode: "fd" }).data, `${label}: fd at ${p}`);
      expectIdentical(traced.directional(p, [1, -2, 0.5]), parsed.directional(p, [1, -2, 0.5]), `${label}: J·v at ${p}`);
    }
  };

  for (const [expr, build] of scalars) {
    it(expr, () => {
      const traced = fn(3, ([x, y, z]) => build(x, y, z)), parsed = compile(expr, { vars });
      same(traced, parsed, expr);
      for (const p of points) expectIdentical(traced.grad(p), parsed.grad(p), `${expr}: grad at ${p}`);
    });
  }

  it("the benchmark field [x*y*sin(z), exp(x)*cos(y) + z^2, x/(1+y^2) + sqrt(z)]", () => {
    const exprs = ["x*y*sin(z)", "exp(x)*cos(y) + z^2", "x/(1+y^2) + sqrt(z)"];
    const traced = fn(3, ([x, y, z]) => scalars.slice(0, 3).map(([, build]) => build(x, y, z)));
    const parsed = compile(exprs, { vars });
    expect(traced.outputShape).toEqual([3]);
    same(traced, parsed, "field");
    for (const p of points) {
      expectIdentical(traced.divergence(p), parsed.divergence(p), `divergence at ${p}`);
      expectIdentical(traced.curl(p), parsed.curl(p), `curl at ${p}`);
    }
  });
});

describe("the graph shares repeated subexpressions and folds constants (tapeSize)", () => {
  // Instructions = one per Input the outputs reach + one per operation; constants
  // live in the constant pool, not in instructions.
  const size = (expr: string | string[], vars = ["x", "y", "z"]) => compile(expr as string, { vars }).tapeSize;

  it("sin(x*y) + sin(x*y) computes sin(x*y) once", () => {
    // Input x, Input y, x*y, sin, + : 5 (7 if each sin(x*y) were computed)
    expect(size("sin(x*y) + sin(x*y)").instructions).toBe(5);
    // the same count as writing it once: Input x, Input y, x*y, sin, 2*s
    expect(size("2*sin(x*y)").instructions).toBe(5);
    // operands of + and * are ordered, so y*x is x*y
    expect(size("sin(x*y) + sin(y*x)").instructions).toBe(5);
    // a different outer function still shares x*y: Input x, Input y, x*y, sin, cos, + : 6
    expect(size("sin(x*y) + cos(x*y)").instructions).toBe(6);
    // another variable instead of the repeat: Input x, Input y, x*y, sin, Input z, + : 6
    expect(size("sin(x*y) + z").instructions).toBe(6);
  });

  it("traced code shares the same way", () => {
    const f = fn(2, ([x, y]) => x.mul(y).sin().add(y.mul(x).sin()));
    expect(f.tapeSize.instructions).toBe(5);
    expectClose([f.eval([0.5, 3])], [2 * Math.sin(1.5)], 1e-15, "value");
    expectClose(f.grad([0.5, 3]), [2 * 3 * Math.cos(1.5), 2 * 0.5 * Math.cos(1.5)], 1e-15, "grad");
  });

  it("counts of the benchmark field and of a field with shared parts", () => {
    // Inputs 3; x*y, sin z, ·; exp x, cos y, ·, z·z, +; y·y, 1+, /, sqrt z, + : 3 + 3 + 5 + 5
    expect(size(["x*y*sin(z)", "exp(x)*cos(y) + z^2", "x/(1+y^2) + sqrt(z)"])).toEqual(
      { instructions: 16, slots: expect.any(Number), constants: 1 });
    // Inputs 2; x*y, sin, cos; the third output is the x*y already there
    expect(size(["sin(x*y)", "cos(x*y)", "x*y"]).instructions).toBe(5);
  });

  it("constant subexpressions are folded: 2*3 + x has one operation besides the input", () => {
    expect(size("2*3 + x")).toEqual({ instructions: 2, slots: expect.any(Number), constants: 1 });
    expect(size("(1+2)*(3+4)*x")).toEqual({ instructions: 2, slots: expect.any(Number), constants: 1 });
    expect(compile("2*3 + x", { vars: ["x"] }).eval([0.5])).toBe(6.5);
    expect(compile("(1+2)*(3+4)*x", { vars: ["x"] }).eval([2])).toBe(42);
    expect(fn(1, ([x]) => add(mul(2, 3), x)).tapeSize.instructions).toBe(2);
  });

  it("identities that hold for every IEEE value are applied", () => {
    for (const expr of ["x*1", "1*x", "x/1", "x-0", "x^1", "--x", "x + -0"]) {
      expect(size(expr, ["x"]), expr).toEqual({ instructions: 1, slots: 1, constants: 0 });
      expect(Object.is(compile(expr, { vars: ["x"] }).eval([-0]), -0), `${expr} at −0`).toBe(true);
    }
    // x^2 becomes x*x: no constant, no pow
    expect(size("x^2", ["x"])).toEqual({ instructions: 2, slots: expect.any(Number), constants: 0 });
    expect(fn(1, ([x]) => x.mul(1)).tapeSize.instructions).toBe(1);
  });

  it("x*0 and x + 0 are NOT folded: they differ from 0 and x at some IEEE values", () => {
    const times0 = compile("x*0", { vars: ["x"] });
    expect(times0.tapeSize.instructions).toBe(2);
    expect(times0.eval([Infinity])).toBeNaN();
    expect(times0.eval([NaN])).toBeNaN();
    expect(Object.is(times0.eval([-1]), -0)).toBe(true);
    const plus0 = compile("x + 0", { vars: ["x"] });
    expect(plus0.tapeSize.instructions).toBe(2);
    expect(Object.is(plus0.eval([-0]), 0)).toBe(true); // −0 + 0 is +0
  });
});

describe("traced nodes refuse to become numbers", () => {
  it("a JS comparison in the body throws InputError", () => {
    expect(() => fn(1, (x) => ((x[0] as unknown as number) > 0 ? x[0] : 0))).toThrow(InputError);
  });

  it("JS arithmetic operators and Math functions throw InputError", () => {
    expect(() => fn(1, (x) => (x[0] as unknown as number) * 2)).toThrow(InputError);
    expect(() => fn(1, (x) => (x[0] as unknown as number) + 1)).toThrow(InputError);
    expect(() => fn(1, (x) => Math.sin(x[0] as unknown as number))).toThrow(InputError);
    expect(() => fn(1, (x) => Number(`${x[0]}`))).toThrow(InputError);
    expect(() => fn(1, (x) => (x[0] as unknown as number) * 2)).toThrow(/cannot be used as a number/);
  });

  it("nodes of two traces cannot be mixed", () => {
    let leaked: Node | undefined;
    fn(1, (x) => (leaked = x[0]));
    expect(() => fn(1, (x) => x[0].add(leaked!))).toThrow(InputError);
    expect(() => fn(1, () => leaked!)).toThrow(InputError);
  });

  it("the library works normally after such an error", () => {
    expect(() => fn(1, (x) => (x[0] as unknown as number) * 2)).toThrow(InputError);
    expect(fn(1, (x) => x[0].mul(2)).grad([5])[0]).toBe(2);
  });
});

describe("what the body returns", () => {
  it("an array gives a vector function with outputShape [m]", () => {
    const F = fn(2, ([x, y]) => [x.mul(y), x.add(y), y.sin()]);
    expect(F.outputShape).toEqual([3]);
    expect(F.m).toBe(3);
    expect(Array.from(F.eval([2, 0.5]))).toEqual([1, 2.5, Math.sin(0.5)]);
    const J = F.jacobian([2, 0.5]);
    expect(J.shape).toEqual([3, 2]);
    expectClose(J.data, [0.5, 2, 1, 1, 0, Math.cos(0.5)], 1e-15, "J");
  });

  it("an array of one gives a vector function of one output", () => {
    const F = fn(2, ([x, y]) => [x.mul(y)]);
    expect(F.outputShape).toEqual([1]);
    expect(F.jacobian([3, 4]).shape).toEqual([1, 2]);
  });

  it("a number gives a constant function; numbers in an array, constant outputs", () => {
    const c = fn(2, () => 7);
    expect(c.outputShape).toEqual([]);
    expect(c.eval([1, 2])).toBe(7);
    expect(Array.from(c.grad([1, 2]))).toEqual([0, 0]);
    const F = fn(2, ([x]) => [x, 3]);
    expect(Array.from(F.eval([5, 6]))).toEqual([5, 3]);
    expect(Array.from(F.jacobian([5, 6]).data)).toEqual([1, 0, 0, 0]);
  });

  it("an empty array or a non-number is an InputError", () => {
    expect(() => fn(2, () => [])).toThrow(InputError);
    expect(() => fn(2, () => "x" as never)).toThrow(InputError);
    expect(() => fn(2, ([x]) => [x, null as never])).toThrow(InputError);
    expect(() => sub(1, "2" as never)).toThrow(InputError);
  });
});
