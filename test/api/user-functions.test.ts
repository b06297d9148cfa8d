// defineFunction: functions of the user's own, by expression (a macro expanded
// inline) and by code (value and partials in JavaScript, called back from the
// core a block of points at a time). Values and derivatives against closed
// forms in every mode; batches against points bit for bit; the error paths.
import { afterEach, describe, expect, it } from "vitest";
import {
  CallbackError, checkGrad, compile, defineFunction, derivative, fn, InputError, listFunctions, ParseError, removeFunction, Tensor,
} from "../../bindings/index.js";
import { expectClose, expectIdentical, expectThrows } from "../support/helpers.js";

afterEach(() => {
  for (const f of listFunctions().reverse()) removeFunction(f.name);
});

/** Huber's loss with threshold d, and its derivative in r, by hand. */
const huber = (r: number, d: number) => (Math.abs(r) <= d ? r * r / 2 : d * (Math.abs(r) - d / 2));
const huberPrime = (r: number, d: number) => (Math.abs(r) <= d ? r : d * Math.sign(r));

describe("defineFunction by expression", () => {
  it("works in strings, in the builder on numbers and nodes (broadcast), and in every mode", () => {
    const h = defineFunction("huber(r, d)", "where(abs(r) <= d, r^2/2, d*(abs(r) - d/2))");
    expect(h(0.5, 1)).toBe(0.125);
    expect(h(3, 1)).toBe(2.5);
    const f = compile("huber(x - 1, 0.5)");
    for (const x of [3, 1.2, -4, 1]) {
      expect(f.eval([x])).toBe(huber(x - 1, 0.5));
      expectIdentical(f.grad([x]) as Float64Array, [huberPrime(x - 1, 0.5)], `reverse at ${x}`);
      expectIdentical(f.grad([x], { mode: "forward" }) as Float64Array, [huberPrime(x - 1, 0.5)], `forward at ${x}`);
      expectIdentical((f.hessian([x]) as Tensor).data, [Math.abs(x - 1) <= 0.5 ? 1 : 0], `second derivative at ${x}`);
    }
    const g = fn(3, (x) => h(x, 1).sum()); // a tensor argument and a scalar one
    expectIdentical(g.grad([0.5, -3, 2]) as Float64Array, [0.5, -1, 1], "builder over a vector");
    expect(g.tapeSize).toEqual(fn(3, (x) => x.abs().le(1).where(x.mul(x).div(2), x.abs().sub(0.5)).sum()).tapeSize);
  });

  it("bodies may call functions defined before them; derivative() expands them", () => {
    defineFunction("sq(u)", "u*u");
    defineFunction("energy(x, y)", "sq(x) + 3*sq(y - x)");
    const f = compile("energy(a, b)", { vars: ["a", "b"] });
    const [a, b] = [0.7, -1.2];
    expectClose(f.grad([a, b]) as Float64Array, [2 * a - 6 * (b - a), 6 * (b - a)], 1e-15, "∇energy");
    expect(derivative("energy(a, b)", "b")).toBe("6*(b - a)");
    const printed = compile(derivative("energy(a, b)", "a"), { vars: ["a", "b"] });
    expectClose([printed.eval([a, b]) as number], [(f.grad([a, b]) as Float64Array)[0]], 1e-15, "printed ∂/∂a");
    expectThrows(() => removeFunction("sq"), InputError, /called by the body of energy/);
    expect(removeFunction("energy")).toBe(true);
    expect(removeFunction("sq")).toBe(true);
    expect(removeFunction("sq")).toBe(false);
    expectThrows(() => compile("sq(x)"), ParseError, /unknown function 'sq'/);
  });

  it("lists, refuses shadowing and redefinition, and reports malformed definitions with columns", () => {
    defineFunction("twice(x)", "2*x");
    expect(listFunctions()).toEqual([{ name: "twice", params: ["x"], kind: "expression", body: "2*x" }]);
    expectThrows(() => defineFunction("sin(x)", "x"), InputError, /built-in function/);
    expectThrows(() => defineFunction("pi(x)", "x"), InputError, /built-in constant/);
    expectThrows(() => defineFunction("twice(x)", "3*x"), InputError, /defined already/);
    expect((expectThrows(() => defineFunction("foo(x, x)", "x"), ParseError, /listed twice/) as ParseError).column).toBe(8);
    expect((expectThrows(() => defineFunction("foo(x, 2)", "x"), ParseError, /not an identifier/) as ParseError).column).toBe(8);
    expectThrows(() => defineFunction("foo x", "x"), ParseError, /name and its parameters/);
    expect((expectThrows(() => defineFunction("foo(x)", "x + z"), ParseError, /body of foo: unknown variable 'z'/) as ParseError).column).toBe(5);
    expectThrows(() => compile("twice(x, 1)"), ParseError, /twice takes 1 argument/);
    // a body that fails for the arguments of a call: its own column once, then the call's
    defineFunction("dq(a, b)", "dot(a, b)");
    const err = expectThrows(() => compile("1 + dq(x, y)", { vars: { x: [3], y: [2] } }), ParseError) as ParseError;
    expect(err.message).toBe("in the body of dq(a, b), column 1 of \"dot(a, b)\": dot of shapes [3] and [2]: the shapes must be equal at column 5");
    expectThrows(() => defineFunction("foo(x)", 42 as never), InputError, /expression string or \{ value, partials/);
    expect(compile("twice(x)").eval([4])).toBe(8); // all still usable
  });
});

describe("defineFunction by expression broadcasts over its arguments", () => {
  it("also where the body reads not every argument, as the same function defined by code does", () => {
    defineFunction("five(a)", "5");
    defineFunction("first(a, b)", "a");
    defineFunction("fivec(a)", { value: () => 5, partials: () => [0] });
    const vars = { x: [3], t: [] }, point = { x: [1, 2, 3], t: 2 };
    const at = (e: string) => compile(e, { vars }).eval(point);
    expect(Array.from(at("five(x)") as Float64Array)).toEqual([5, 5, 5]);
    expect(at("sum(five(x))")).toBe(15);
    expect(at("sum(five(x))")).toBe(at("sum(fivec(x))"));
    expect(Array.from(at("first(t, x)") as Float64Array)).toEqual([2, 2, 2]);
    expect(Array.from(at("first(x, t)") as Float64Array)).toEqual([1, 2, 3]);
    expect(at("five(t)")).toBe(5);
    // a body that reads its arguments and reduces them keeps its own shape: dot(x, y) is one number
    defineFunction("dq(a, b)", "dot(a, b)");
    defineFunction("s1(a)", "sum(a)");
    const both = { x: [3], y: [3] }, xy = { x: [1, 2, 3], y: [4, 5, 6] };
    expect(compile("dq(x, y)", { vars: both }).eval(xy)).toBe(32);
    expect(compile("s1(x)", { vars: both }).eval(xy)).toBe(6);
    // the builder too, and the gradient of Σ first(t, x) = 3t is 3 along t, 0 along x
    const six = defineFunction("six(a)", "6");
    expect(Array.from(fn({ x: [3] }, ({ x }) => six(x)).eval({ x: [1, 2, 3] }) as Float64Array)).toEqual([6, 6, 6]);
    const g = compile("sum(first(t, x))", { vars }).grad(point) as Record<string, Float64Array | number>;
    expect(Array.from(g.x as Float64Array)).toEqual([0, 0, 0]);
    expect(g.t).toBe(3);
  });
});

describe("defineFunction by code", () => {
  // f(a, b) = a·e^b: ∂a = e^b, ∂b = a·e^b; ∂aa = 0, ∂ab = e^b, ∂bb = a·e^b
  const rules = {
    value: (a: number, b: number) => a * Math.exp(b),
    partials: (a: number, b: number) => [Math.exp(b), a * Math.exp(b)],
    second: (a: number, b: number) => [[0, Math.exp(b)], [Math.exp(b), a * Math.exp(b)]],
  };

  it("forward, reverse, Jacobians, Hessians and hvp use the rules; batches equal points to the bit", () => {
    const aexp = defineFunction("aexp(a, b)", rules);
    expect(aexp(2, 0)).toBe(2);
    const f = compile("aexp(x, y)*y + sin(x)", { vars: ["x", "y"] });
    const want = (x: number, y: number) => [Math.exp(y) * y + Math.cos(x), x * Math.exp(y) * y + x * Math.exp(y)];
    const hess = (x: number, y: number) => {
      const e = Math.exp(y);
      return [-Math.sin(x), e * y + e, e * y + e, x * e * y + 2 * x * e];
    };
    const pts = [[0.3, -0.4], [1.5, 0.2], [-2, 1]];
    for (const [x, y] of pts) {
      expectClose(f.grad([x, y]) as Float64Array, want(x, y), 1e-15, `reverse at (${x}, ${y})`);
      expectClose(f.grad([x, y], { mode: "forward" }) as Float64Array, want(x, y), 1e-15, `forward at (${x}, ${y})`);
      expectClose((f.hessian([x, y]) as Tensor).data, hess(x, y), 1e-14, `Hessian at (${x}, ${y})`);
      const H = hess(x, y);
      expectClose(f.hvp([x, y], [1, -2]) as Float64Array, [H[0] - 2 * H[1], H[2] - 2 * H[3]], 1e-14, "hvp");
    }
    const batch = new Tensor([3, 2], Float64Array.from(pts.flat()));
    const G = f.grad(batch) as Tensor, J = fn(2, (v) => aexp(v, 1.5)).jacobian(batch) as Tensor; // a vector argument, a scalar one
    pts.forEach((p, i) => {
      expectIdentical(G.data.subarray(2 * i, 2 * i + 2), f.grad(p) as Float64Array, `batch row ${i}`);
      expectClose(J.data.subarray(4 * i, 4 * i + 4), [Math.exp(1.5), 0, 0, Math.exp(1.5)], 1e-15, `Jacobian of the elementwise call, row ${i}`);
    });
    expect(listFunctions()).toEqual([{ name: "aexp", params: ["a", "b"], kind: "code", second: true }]);
    const g = f.gradFunction(), dfdx = fn(2, (v) => g.of(v).at(0)); // ∂f/∂x as a function: its Hessian is third order
    expectClose((dfdx.grad([1, 1]) as Float64Array), hess(1, 1).slice(0, 2), 1e-14, "∂f/∂x differentiated: a row of the Hessian");
    expectThrows(() => dfdx.hessian([1, 1]), InputError, /third derivatives through aexp/);
  });

  it("checkGrad confirms right rules and catches wrong ones", () => {
    defineFunction("aexp(a, b)", rules);
    defineFunction("wrong(a, b)", { ...rules, partials: (a: number, b: number) => [Math.exp(b), a * Math.exp(b) * 1.001] });
    expect(checkGrad(compile("aexp(x, y)", { vars: ["x", "y"] }), [0.4, 0.3]).ok).toBe(true);
    const bad = checkGrad(compile("wrong(x, y)", { vars: ["x", "y"] }), [0.4, 0.3], { hessian: false });
    expect(bad.ok).toBe(false);
    expect(bad.reverse.disagreement).toBeGreaterThan(1e-4);
  });

  it("a rule that throws or returns the wrong thing raises a CallbackError naming the function; the library stays usable", () => {
    defineFunction("short(x)", { value: (x: number) => x, partials: () => [1, 2] });
    defineFunction("boom(x)", { value: () => { throw new RangeError("no"); }, partials: () => [1] });
    defineFunction("text(x)", { value: () => "1" as unknown as number, partials: () => [1] });
    defineFunction("plain(x)", { value: (x: number) => 2 * x, partials: () => [2] });
    const short = compile("short(x)");
    expect(short.eval([3])).toBe(3);
    expectThrows(() => short.grad([3]), CallbackError, /short's partials rule returned \[1,2\] at \(3\); expected an array of 1 number/);
    defineFunction("bare(x)", { value: (x: number) => x, partials: () => 1 as never });
    expectThrows(() => compile("bare(x)").grad([3]), CallbackError, /bare's partials rule returned 1 at \(3\); expected an array of 1 number/);
    removeFunction("bare");
    const e = expectThrows(() => compile("boom(x) + x").eval([1]), CallbackError, /boom's value rule threw at \(1\): no/);
    expect(e.cause).toBeInstanceOf(RangeError);
    expectThrows(() => compile("text(x)").eval([1]), CallbackError, /text's value rule returned "1"/);
    expectThrows(() => compile("plain(x)").hessian([1]), InputError, /need its second partials/);
    expectThrows(() => defineFunction("odd(x)", { value: (x: number) => x, partials: () => [1], third: 1 } as never), InputError, /unknown rule 'third'/);
    expectThrows(() => defineFunction("nop(x)", { value: (x: number) => x } as never), InputError, /needs a partials rule/);
    expectIdentical(compile("plain(x)").grad([5, 1].slice(0, 1)) as Float64Array, [2], "usable afterwards");
    expectIdentical((short.eval(new Tensor([2, 1], Float64Array.from([1, 2]))) as Tensor).data, [1, 2], "and in batches");
  });
});
