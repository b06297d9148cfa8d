// Bad input is answered with a GradientsError that says what was expected, and
// leaves the function usable; NaN and ±Infinity in points are not errors: they
// give what IEEE arithmetic on each op's value and derivative rule gives.
import { describe, expect, it } from "vitest";
import {
  compile, fn, GradientsError, InputError, ParseError, ShapeError, Tensor, type Func,
} from "../../bindings/index.js";
import { expectClose, expectThrows } from "../support/helpers.js";

// f = x*y + z² and a field F, with their closed forms at P = (1, 2, 3)
const P = [1, 2, 3];
const f = compile("x*y + z^2", { vars: ["x", "y", "z"] });
const F = compile(["x*y", "y*z", "sin(x) + z"], { vars: ["x", "y", "z"] });

/** A correct call on the same functions still gives the right answers. */
function stillWorks(): void {
  expect(f.eval(P)).toBe(11);
  expect(Array.from(f.grad(P))).toEqual([2, 1, 6]);
  expect(f.partial("z", P)).toBe(6);
  expect(Array.from(F.eval(P))).toEqual([2, 6, Math.sin(1) + 3]);
  expect(Array.from(F.jacobian(P).data)).toEqual([2, 1, 0, 0, 3, 2, Math.cos(1), 0, 1]);
  expect(F.divergence(P)).toBe(2 + 3 + 1);
}

/** Runs `call`, asserts it throws `type` with `code` (a GradientsError), then that the library still works. */
function expectError(call: () => unknown, type: abstract new (...args: never[]) => GradientsError, code: string, message?: RegExp): void {
  const caught = expectThrows(call, type, ...(message ? [message] : []));
  expect(caught).toBeInstanceOf(Error);
  expect(caught.code).toBe(code);
  expect(caught.name).toBe(type.name);
  stillWorks();
}

describe("error classes", () => {
  it("each has its stable code and is a GradientsError", () => {
    expectError(() => compile("x+"), ParseError, "parse");
    expectError(() => f.eval([1, 2]), ShapeError, "shape");
    expectError(() => f.eval("abc" as never), InputError, "input");
  });
});

describe("points", () => {
  it("of the wrong length: ShapeError naming expected and got", () => {
    expectError(() => f.eval([1, 2]), ShapeError, "shape", /3 entries.*got 2/);
    expectError(() => f.grad([1, 2, 3, 4]), ShapeError, "shape", /3 entries.*got 4/);
    expectError(() => f.grad([]), ShapeError, "shape", /got 0/);
    expectError(() => F.jacobian(new Float64Array(2)), ShapeError, "shape", /got 2/);
    expectError(() => f.partial("x", [1]), ShapeError, "shape");
  });

  it("with non-numeric entries, or not an array at all: InputError", () => {
    expectError(() => f.eval([1, "a", 3] as never), InputError, "input", /entry 1/);
    expectError(() => f.grad([1, null, 3] as never), InputError, "input", /entry 1/);
    expectError(() => f.grad([1, 2, undefined] as never), InputError, "input", /entry 2/);
    expectError(() => f.grad([1, 2n, 3] as never), InputError, "input");
    expectError(() => f.eval("abc" as never), InputError, "input"); // a string of length 3 is not a point
    expectError(() => f.eval(123 as never), InputError, "input");
    expectError(() => f.eval(null as never), InputError, "input");
    expectError(() => f.eval(undefined as never), InputError, "input");
    expectError(() => f.eval({ 0: 1, 1: 2, 2: 3, length: 3 } as never), InputError, "input");
  });

  it("a batch Tensor of the wrong shape: ShapeError", () => {
    expectError(() => f.eval(new Tensor([2, 4])), ShapeError, "shape", /\[N, 3\].*\[2, 4\]/);
    expectError(() => f.grad(new Tensor([6])), ShapeError, "shape");
    expectError(() => f.grad(new Tensor([2, 3, 1])), ShapeError, "shape");
    expectError(() => F.jacobian({ shape: [2, 3], data: new Float64Array(5) }), ShapeError, "shape", /6 entries, got 5/);
    expectError(() => f.eval({ shape: [2, 3], data: [1, 2, 3, 4, "5", 6] } as never), InputError, "input");
  });

  it("a batch of directions must match the batch of points", () => {
    const pts = new Tensor([2, 3], Float64Array.of(1, 2, 3, 4, 5, 6));
    expectError(() => f.directional(P, new Tensor([2, 3]) as never), ShapeError, "shape");
    expectError(() => f.directional(pts, new Tensor([3, 3])), ShapeError, "shape");
    expectError(() => f.directional(P, [1, 0]), ShapeError, "shape", /direction/);
  });
});

describe("builder methods called without their operands", () => {
  it("a.max() says it takes an operand and points to amax; a.clamp(0) names the two it needs; the builder works after", () => {
    expectThrows(() => fn(3, (x) => x.max()), InputError, /a\.max\(\) takes an operand \(Elementwise maximum/, /got none; the largest entry is a\.amax\(\)/);
    expectThrows(() => fn(3, (x) => x.min()), InputError, /the smallest entry is a\.amin\(\)/);
    expectThrows(() => fn(3, (x) => x.clamp(0)), InputError, /a\.clamp\(\) takes 2 operands .* got undefined as operand 2/);
    expectThrows(() => fn(3, (x) => x.atan2(undefined as never)), InputError, /a\.atan2\(\) takes an operand/);
    expect(fn(3, (x) => x.max(1).amax()).eval([0, 2, 5])).toBe(5);
  });
});

describe("operations the function's shape does not allow: ShapeError", () => {
  it("curl of a 4-D field and of a non-square map", () => {
    const F4 = compile(["x", "y", "z", "w"], { vars: ["x", "y", "z", "w"] });
    expectError(() => F4.curl([1, 2, 3, 4]), ShapeError, "shape");
    expect(F4.divergence([1, 2, 3, 4])).toBe(4); // the same function, used correctly
    const F32 = compile(["x*y", "z"], { vars: ["x", "y", "z"] });
    expectError(() => F32.curl([1, 2, 3]), ShapeError, "shape");
    expect(Array.from(F32.jacobian([1, 2, 3]).data)).toEqual([2, 1, 0, 0, 0, 1]);
    expectError(() => f.curl(P), ShapeError, "shape"); // a scalar function
    expectError(() => compile(["x"], { vars: ["x"] }).curl([1]), ShapeError, "shape"); // 1 → 1
  });

  it("divergence of a non-square map or a scalar function", () => {
    const F32 = compile(["x*y", "z"], { vars: ["x", "y", "z"] });
    expectError(() => F32.divergence([1, 2, 3]), ShapeError, "shape");
    expect(Array.from(F32.eval([1, 2, 3]))).toEqual([2, 3]);
    expectError(() => f.divergence(P), ShapeError, "shape");
    // one input, one output, but a scalar function: not a field
    expectError(() => compile("x^2", { vars: ["x"] }).divergence([1]), ShapeError, "shape");
  });

  it("a 1 → 1 field has a divergence (its derivative)", () => {
    expect(compile(["x^2"], { vars: ["x"] }).divergence([3])).toBe(6);
  });

  it("grad of a vector function", () => {
    expectError(() => F.grad(P), ShapeError, "shape", /jacobian/);
    expectError(() => compile(["x"], { vars: ["x"] }).grad([1]), ShapeError, "shape");
  });
});

describe("options", () => {
  it("a bad mode: InputError", () => {
    for (const mode of ["backward", "FD", "", 1, null]) {
      expectError(() => f.grad(P, { mode: mode as never }), InputError, "input", /mode/);
      expectError(() => F.jacobian(P, { mode: mode as never }), InputError, "input", /mode/);
    }
  });

  it("the accepted modes give the forward-mode result (auto, forward) or differences (fd)", () => {
    expect(Array.from(f.grad(P, { mode: "auto" }))).toEqual([2, 1, 6]);
    expect(Array.from(f.grad(P, { mode: "forward" }))).toEqual([2, 1, 6]);
    expectClose(f.grad(P, { mode: "fd" }), [2, 1, 6], 1e-8, "fd");
  });

  it("out of the wrong length (ShapeError) or type (InputError)", () => {
    expectError(() => f.grad(P, { out: new Float64Array(2) }), ShapeError, "shape", /3 entries.*got 2/);
    expectError(() => F.jacobian(P, { out: new Float64Array(3) }), ShapeError, "shape", /9 entries/);
    expectError(() => f.eval(P, { out: new Float64Array(0) }), ShapeError, "shape");
    expectError(() => f.grad(P, { out: new Float32Array(3) as never }), InputError, "input", /Float64Array/);
    expectError(() => f.grad(P, { out: [0, 0, 0] as never }), InputError, "input");
    const batch = new Tensor([2, 3], Float64Array.of(1, 2, 3, 4, 5, 6));
    expectError(() => f.grad(batch, { out: new Float64Array(3) }), ShapeError, "shape", /6 entries/);
  });

  it("options that are not an object: InputError", () => {
    expectError(() => f.grad(P, 5 as never), InputError, "input");
    expectError(() => f.grad(P, "fd" as never), InputError, "input");
  });

  // null is not an options object: an InputError, never a TypeError from reading `options.out`.
  it("options = null in grad: InputError, not a TypeError", () => {
    expectError(() => f.grad(P, null as never), InputError, "input");
  });

  it("options = null in eval: InputError, not a TypeError", () => {
    expectError(() => f.eval(P, null as never), InputError, "input");
  });
});

describe("partial: the variable", () => {
  it("an unknown name: InputError naming the variables", () => {
    expectError(() => f.partial("w", P), InputError, "input", /'w'.*x, y, z/);
    expectError(() => f.partial("X", P), InputError, "input");
  });

  it("a bad index: InputError", () => {
    for (const i of [-1, 3, 1.5, NaN, Infinity]) expectError(() => f.partial(i, P), InputError, "input");
  });

  it("a name or an index works", () => {
    expect(f.partial("y", P)).toBe(1);
    expect(f.partial(1, P)).toBe(1);
  });
});

describe("compile: vars and expressions", () => {
  it("vars that are not identifiers, repeated, or names of the grammar: InputError", () => {
    const bad: unknown[] = [["x", "1y"], ["x y"], [""], ["x-y"], [3], [null], ["x", "x"], ["pi"], ["e"], ["x", "sin"], "xyz", {}];
    for (const vars of bad) {
      expectError(() => compile("x", { vars: vars as string[] }), InputError, "input");
    }
  });

  it("identifiers that are fine", () => {
    const g = compile("_a + b2 + Pi + ee", { vars: ["_a", "b2", "Pi", "ee"] });
    expect(g.eval([1, 2, 3, 4])).toBe(10);
  });

  it("a non-string expression or an empty array: InputError", () => {
    expectError(() => compile(42 as never), InputError, "input");
    expectError(() => compile(["x", 1] as never), InputError, "input");
    expectError(() => compile([]), InputError, "input");
  });
});

describe("NaN and ±Infinity follow IEEE arithmetic on each rule, never hang", () => {
  const xy = compile("x*y", { vars: ["x", "y"] });

  it("x*y at (NaN, 1): value NaN, ∂/∂x = y = 1, ∂/∂y = x = NaN", () => {
    expect(xy.eval([NaN, 1])).toBeNaN();
    const g = xy.grad([NaN, 1]);
    expect(g[0]).toBe(1);
    expect(g[1]).toBeNaN();
    expect(xy.jacobian([NaN, 1]).data[0]).toBe(1);
  });

  // partial() pushes only the lane of x, as grad() and jacobian() do, so x's NaN
  // never meets a zero tangent: ∂(xy)/∂x = y = 1.
  it("x*y at (NaN, 1): partial('x') agrees with grad: 1", () => {
    expect(xy.partial("x", [NaN, 1])).toBe(1);
  });

  it("x*y at (Infinity, 0): value NaN (∞·0), ∇ = (y, x) = (0, ∞)", () => {
    expect(xy.eval([Infinity, 0])).toBeNaN();
    expect(Array.from(xy.grad([Infinity, 0]))).toEqual([0, Infinity]);
    expect(xy.partial("y", [Infinity, 0])).toBe(Infinity);
  });

  it("x*y at (Infinity, 0): partial('x') agrees with grad: 0", () => {
    expect(xy.partial("x", [Infinity, 0])).toBe(0);
  });

  it("directional(x, v) is the dual-number sum ∂x·v0 + ∂y·v1, so NaN·0 counts", () => {
    // at (NaN, 1) along (1, 0): y·1 + x·0 = 1 + NaN = NaN
    expect(xy.directional([NaN, 1], [1, 0])).toBeNaN();
    // at (2, 3) along (NaN, 0): 3·NaN + 2·0 = NaN
    expect(xy.directional([2, 3], [NaN, 0])).toBeNaN();
  });

  it("sqrt(x) at 0: value 0, derivative 1/(2√0) = Infinity", () => {
    const s = compile("sqrt(x)", { vars: ["x"] });
    expect(s.eval([0])).toBe(0);
    expect(s.grad([0])[0]).toBe(Infinity);
    expect(s.eval([-1])).toBeNaN();
    expect(s.grad([-1])[0]).toBeNaN(); // 1/(2·NaN)
  });

  it("log(x) at −1: value NaN; the rule 1/x still gives −1; at 0: −Infinity and Infinity", () => {
    const l = compile("log(x)", { vars: ["x"] });
    expect(l.eval([-1])).toBeNaN();
    expect(l.grad([-1])[0]).toBe(-1);
    expect(l.eval([0])).toBe(-Infinity);
    expect(l.grad([0])[0]).toBe(Infinity);
  });

  it("1/x at 0: Infinity, derivative −v/x = −Infinity (at −0: −Infinity, −Infinity)", () => {
    const r = compile("1/x", { vars: ["x"] });
    expect(r.eval([0])).toBe(Infinity);
    expect(r.grad([0])[0]).toBe(-Infinity);
    expect(r.eval([-0])).toBe(-Infinity);
    expect(r.grad([-0])[0]).toBe(-Infinity); // −(−∞/−0) = −(+∞)
    expect(r.eval([Infinity])).toBe(0);
    expect(Object.is(r.grad([Infinity])[0], -0)).toBe(true); // −(0/∞)
  });

  it("x − x at Infinity: NaN, but the derivative 1 − 1 = 0", () => {
    const d = compile("x - x", { vars: ["x"] });
    expect(d.eval([Infinity])).toBeNaN();
    expect(d.grad([Infinity])[0]).toBe(0);
  });

  it("exp, atan and tanh at ±Infinity", () => {
    const ex = compile("exp(x)", { vars: ["x"] });
    expect([ex.eval([Infinity]), ex.grad([Infinity])[0]]).toEqual([Infinity, Infinity]);
    expect([ex.eval([-Infinity]), ex.grad([-Infinity])[0]]).toEqual([0, 0]);
    const at = compile("atan(x)", { vars: ["x"] });
    expect(at.eval([Infinity])).toBe(Math.PI / 2);
    expect(at.grad([Infinity])[0]).toBe(0); // 1/(1 + ∞)
    const th = compile("tanh(x)", { vars: ["x"] });
    expect([th.eval([-Infinity]), th.grad([-Infinity])[0]]).toEqual([-1, 0]); // 1 − (−1)²
  });

  it("NaN propagates through a vector function's Jacobian only where the rules read it", () => {
    // F = (x*y, y*z, sin(x) + z) at (1, NaN, 3): J = [[y, x, 0], [0, z, y], [cos x, 0, 1]]
    const J = F.jacobian([1, NaN, 3]).data;
    const want = [NaN, 1, 0, 0, 3, NaN, Math.cos(1), 0, 1];
    want.forEach((w, i) => (Number.isNaN(w) ? expect(J[i]).toBeNaN() : expect(J[i], `J[${i}]`).toBe(w)));
    expect(F.divergence([1, NaN, 3])).toBeNaN();
  });

  it("a batch of 1,000 NaN and infinite points returns promptly", () => {
    const N = 1000;
    const data = new Float64Array(3 * N).map((_, i) => [NaN, Infinity, -Infinity][i % 3]);
    const t0 = Date.now();
    const J = F.jacobian(new Tensor([N, 3], data));
    const y = f.eval(new Tensor([N, 3], data));
    expect(J.shape).toEqual([N, 3, 3]);
    expect(y.shape).toEqual([N]);
    // every point is (NaN, ∞, −∞): f = NaN·∞ + ∞ = NaN
    expect(y.data.every(Number.isNaN)).toBe(true);
    expect(Date.now() - t0).toBeLessThan(5000);
    stillWorks();
  });
});

describe("a disposed function", () => {
  it("throws InputError on use", () => {
    const g: Func = compile("x", { vars: ["x"] });
    g.dispose();
    expectError(() => g.eval([1]), InputError, "input", /disposed/);
  });

  it("throws InputError for a mode whose tape it never compiled, and compiles nothing then", () => {
    // A function of 2,000 nodes evaluates on its reverse schedule; its forward tape is
    // compiled at the first forward call, and after dispose() there is none to be.
    const f = fn(1000, (x) => x.mul(x).sum()), x = new Float64Array(1000).fill(2);
    expect(f.eval(x)).toBe(4000);
    f.dispose();
    expect(f.disposed).toBe(true);
    expectError(() => f.jacobian(x, { mode: "forward" }), InputError, "input", /disposed/);
    expectError(() => f.tapeSize, InputError, "input", /disposed/);
    const fresh = fn(1000, (x) => x.mul(x).sum());
    expect(Array.from((fresh.grad(x, { mode: "forward" }) as Float64Array).subarray(0, 2))).toEqual([4, 4]);
    expect(fresh.tapeSize.instructions).toBe(2001); // the forward tape: 1,000 loads, 1,000 squares, one sum
    fresh.dispose();
  });
});
