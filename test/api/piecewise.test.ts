// Piecewise functions: comparisons, && || !, where(c, a, b) and c ? a : b, in the
// grammar and the builder. Values against closed forms; derivatives against the
// branch's closed form (the taken branch, at a switching point too), forward =
// reverse = second order, batches = points bit for bit, both tiers the same bits;
// and the "double where" cases users report for other libraries (a NaN or
// infinite partial of the branch not taken must not reach the result).
import { describe, expect, it } from "vitest";
import { compile, derivative, fn, gt, ParseError, Tensor, where, type Func } from "../../bindings/index.js";
import { expectClose, expectIdentical, expectThrows } from "../support/helpers.js";
import { compileTape } from "../../bindings/compiler/tape.js";
import { FUSE_BEGIN, FUSE_END, Op } from "../../bindings/ops/grammar.js";
import { onBothTiers } from "../support/tiers.js";

/** grad in every first-order mode, and the Hessian's diagonal, at x: all must be finite and agree. */
function gradients(f: Func, x: number[]): { forward: Float64Array; reverse: Float64Array; hessian: Tensor } {
  return {
    forward: f.grad(x, { mode: "forward" }) as Float64Array,
    reverse: f.grad(x, { mode: "reverse" }) as Float64Array,
    hessian: f.hessian(x) as Tensor,
  };
}

describe("comparisons and logic in the grammar", () => {
  const cases: [string, (x: number, y: number) => boolean][] = [
    ["x < y", (x, y) => x < y], ["x <= y", (x, y) => x <= y], ["x > y", (x, y) => x > y], ["x >= y", (x, y) => x >= y],
    ["x == y", (x, y) => x === y], ["x != y", (x, y) => x !== y],
    ["x && y", (x, y) => x !== 0 && y !== 0], ["x || y", (x, y) => x !== 0 || y !== 0], ["!x", (x) => x === 0],
  ];
  const points = [[1, 2], [2, 1], [2, 2], [0, 3], [0, 0], [-0, 0], [NaN, 1], [1, NaN], [Infinity, Infinity]];

  it.each(cases)("%s is 1 or 0 (NaN compares false and is true as a condition, as in C) with derivative 0", (text, want) => {
    const f = compile(text, { vars: ["x", "y"] });
    for (const [x, y] of points) {
      expect(f.eval([x, y]), `${text} at (${x}, ${y})`).toBe(want(x, y) ? 1 : 0);
      expectIdentical(f.grad([x, y]) as Float64Array, [0, 0], `∇(${text}) at (${x}, ${y})`);
    }
  });

  it("binds as C does: arithmetic, then comparisons, then ==, &&, ||, ?: last and to the right", () => {
    const f = compile("x + 1 > 2*y && y >= 0 || x == -y", { vars: ["x", "y"] }); // ((x+1 > 2y) && (y ≥ 0)) || (x == −y)
    expect(f.eval([2, 1])).toBe(1); // 3 > 2 and 1 ≥ 0
    expect(f.eval([0, 1])).toBe(0);
    expect(f.eval([-1, 1])).toBe(1); // x == −y
    const g = compile("x < 0 ? -1 : x < 1 ? 0 : 1"); // right-associative: x < 0 ? −1 : (x < 1 ? 0 : 1)
    expect([-2, 0.5, 3].map((x) => g.eval([x]))).toEqual([-1, 0, 1]);
    const h = compile("x > 0 ? y > 0 ? 1 : 2 : 3", { vars: ["x", "y"] }); // a conditional as the middle operand
    expect([[1, 1], [1, -1], [-1, 1]].map((p) => h.eval(p))).toEqual([1, 2, 3]);
    expect(compile("!x^2").eval([0])).toBe(1); // ! binds looser than ^: !(x²)
    expect(compile("-x < 0").eval([2])).toBe(1);
    expect(compile("(x < 1) < 1").eval([0])).toBe(0); // parenthesized, a comparison may compare a comparison
  });

  it("malformed conditions name the problem and the column", () => {
    const e1 = expectThrows(() => compile("0 < x < 1"), ParseError, /comparisons do not chain/);
    expect((e1 as ParseError).column).toBe(7);
    expect((expectThrows(() => compile("x ? 1"), ParseError, /'\?' needs its ':'/) as ParseError).column).toBe(3);
    expect((expectThrows(() => compile("x : 1"), ParseError, /':' without a '\?'/) as ParseError).column).toBe(3);
    expectThrows(() => compile("x = 1"), ParseError, /unexpected character '='.*'=='/);
    expectThrows(() => compile("x & y"), ParseError, /'&&'/);
    expectThrows(() => compile("x | y"), ParseError, /'\|\|'/);
    expectThrows(() => compile("where(x, 1)"), ParseError, /where takes 3 arguments/);
    expect(compile("where(x > 0, x, -x)").eval([-3])).toBe(3); // the library is fine afterwards
  });
});

describe("where: the derivative flows into the branch taken", () => {
  it("|x| as where(x >= 0, x, -x): values, gradients and Hessians by the closed form, the switch taking its branch", () => {
    onBothTiers(() => compile("where(x >= 0, x^3, -x)"), (f) => {
      for (const x of [-2, -0.5, 0, 0.5, 2]) {
        const taken = x >= 0;
        expect(f.eval([x])).toBe(taken ? x ** 3 : -x);
        const d = gradients(f, [x]);
        const want = taken ? 3 * x * x : -1;
        expectIdentical(d.forward, [want], `forward at ${x}`);
        expectIdentical(d.reverse, [want], `reverse at ${x}`);
        expectIdentical(d.hessian.data, [taken ? 6 * x : 0], `second derivative at ${x}`);
      }
    });
  });

  it("c ? a : b is where(c, a, b), from strings and the builder", () => {
    const a = compile("x > 1 ? log(x) : x - 1"), b = compile("where(x > 1, log(x), x - 1)");
    const c = fn(1, (x) => where(x.at(0).gt(1), x.at(0).log(), x.at(0).sub(1)));
    for (const x of [0.5, 1, 2, 3]) {
      expectIdentical([a.eval([x]) as number, ...(a.grad([x]) as Float64Array)], [b.eval([x]) as number, ...(b.grad([x]) as Float64Array)], `at ${x}`);
      expectIdentical([c.eval([x]) as number, ...(c.grad([x]) as Float64Array)], [b.eval([x]) as number, ...(b.grad([x]) as Float64Array)], `builder at ${x}`);
      expectIdentical(a.grad([x]) as Float64Array, [x > 1 ? 1 / x : 1], `closed form at ${x}`);
    }
  });

  it("the branch taken is the value, −0 included (C's ?: and numpy.where give −0 there), on both tiers and in fused loops", () => {
    const isNegZero = (v: number) => Object.is(v, -0);
    onBothTiers(() => compile("x >= 0 ? -x : 1"), (f) => {
      expect(isNegZero(f.eval([0]) as number)).toBe(true);
      expect(Object.is(f.eval([-0]) as number, 0)).toBe(true); // −(−0) = +0
    });
    onBothTiers(() => compile("atan2(x >= 0 ? -x : 1, -1)"), (f) => expect(f.eval([0])).toBe(-Math.PI)); // atan2(−0, −1) = −π
    onBothTiers(() => compile("where(1, -x, 5) + 0*x", { vars: ["x"] }), (f) => expect(f.eval([1])).toBe(-1));
    expect(isNegZero(compile("where(0, 5, -0)").eval([]) as number)).toBe(true); // folded: keep of a constant guard
    // the derivative through a taken branch keeps its −0 in every mode (gradFunction's symbolic one added +0),
    // Taylor mode's every coefficient too, and pow's "0 where a = b = 0" stays +0 symbolically as in the core
    const isZero = (v: number) => (isNegZero(v) ? "-0" : v === 0 ? "+0" : v);
    const w = compile("where(x > -1, x*y, 1)", { vars: ["x", "y"] });
    expect(Array.from(w.gradFunction().eval([0, -0]) as Float64Array).map(isZero)).toEqual(["-0", "+0"]);
    expect(Array.from(w.grad([0, -0], { mode: "forward" }) as Float64Array).map(isZero)).toEqual(["-0", "+0"]);
    expect(Array.from(compile("where(x > -1, -(x*x*x), 1)").derivatives([0], 3)).map(isZero)).toEqual(["-0", "-0", "-0", -6]);
    const pow = compile("x^y", { vars: ["x", "y"] }).gradFunction();
    expect(Array.from(pow.eval([0, 2]) as Float64Array).map(isZero)).toEqual(["+0", "+0"]);
    for (const p of [[-5, 0], [5, -0], [-1e-300, 0]]) expect(isZero((pow.eval(p) as Float64Array)[0]), `${p}`).toBe("+0"); // ∂/∂x at y = ±0, as the core's
    // over a tensor, in a fused chain of elementwise operations
    const r = fn({ x: [4] }, ({ x }) => where(x.ge(0), x.neg(), x.mul(2)));
    expect(Array.from(r.eval({ x: [0, 1, -1, -0] }) as Float64Array).map((v) => (isNegZero(v) ? "-0" : v))).toEqual(["-0", -1, -2, 0]);
  });

  it("a condition on several variables, nested wheres, and a branch also used outside it", () => {
    // f = where(x > y, where(x > 0, x·y, y), x²) + x·y (x·y is read inside a branch and outside)
    const f = compile("where(x > y, where(x > 0, x*y, y), x^2) + x*y", { vars: ["x", "y"] });
    const grad = (x: number, y: number) => (x > y ? (x > 0 ? [2 * y, 2 * x] : [y, 1 + x]) : [2 * x + y, x]);
    for (const [x, y] of [[2, 1], [-1, -3], [1, 2], [0, -1]]) {
      const d = gradients(f, [x, y]);
      expectIdentical(d.forward, grad(x, y), `forward at (${x}, ${y})`);
      expectIdentical(d.reverse, grad(x, y), `reverse at (${x}, ${y})`);
    }
  });

  it("batches give each point's numbers, bit for bit", () => {
    const f = compile("x > 0 ? sqrt(x)*y : y^2 - x", { vars: ["x", "y"] });
    const pts = [[4, 1], [0, 2], [-1, 3], [2.5, -1], [NaN, 1]];
    const batch = new Tensor([pts.length, 2], Float64Array.from(pts.flat()));
    const values = f.eval(batch) as Tensor, grads = f.grad(batch) as Tensor, H = f.hessian(batch) as Tensor;
    pts.forEach((p, i) => {
      expectIdentical([values.data[i]], [f.eval(p) as number], `value ${i}`);
      expectIdentical(grads.data.subarray(2 * i, 2 * i + 2), f.grad(p) as Float64Array, `gradient ${i}`);
      expectIdentical(H.data.subarray(4 * i, 4 * i + 4), (f.hessian(p) as Tensor).data, `Hessian ${i}`);
    });
  });

  it("elementwise on tensors with broadcasting (a tensor condition, scalar and tensor branches), in fused chains", () => {
    const n = 40;
    const f = fn({ x: [n], s: [] }, ({ x, s }) => where(x.gt(0), x.mul(x).mul(s), x.mul(-0.5)).add(x.mul(3)).sum());
    const x = Float64Array.from({ length: n }, (_, i) => Math.sin(i * 1.7) * 2), s = 1.5;
    const g = f.grad({ x, s }) as Record<string, Float64Array | number>;
    const wantX = Array.from(x, (v) => (v > 0 ? 2 * v * s : -0.5) + 3);
    const wantS = Array.from(x).reduce((t, v) => t + (v > 0 ? v * v : 0), 0);
    expectClose(g.x as Float64Array, wantX, 1e-15, "∂/∂x");
    expectClose([g.s as number], [wantS], 1e-14, "∂/∂s");
    const forward = f.grad({ x, s }, { mode: "forward" }) as Record<string, Float64Array | number>;
    expectClose(forward.x as Float64Array, g.x as Float64Array, 1e-15, "forward = reverse");
    const h = fn({ x: [3] }, ({ x }) => where([1, 0, NaN], x, x.mul(2))); // a constant condition (NaN is true) folds to a branch
    expectIdentical((h.jacobian([1, 2, 3]) as Tensor).data, [1, 0, 0, 0, 2, 0, 0, 0, 1], "constant condition");
  });

  it("a where inside a chain of tensor operations runs in the fused loop (its masks fused), with the same gradient", () => {
    const n = 101;
    const f = fn({ x: [n] }, ({ x }) => where(x.gt(0), x.mul(x).mul(3), x.mul(-0.5).add(x.sin())).mul(x.add(2)).sum());
    const inner = f as unknown as { graph: Parameters<typeof compileTape>[0]; outputIds: number[]; n: number };
    const tape = compileTape(inner.graph, inner.outputIds, inner.n, false);
    let inside = false, fusedMasks = 0;
    for (let k = 0; k < tape.instr.length; k += 4) {
      const op = tape.instr[k] & 0xff;
      if (op === FUSE_BEGIN) inside = true;
      else if (op === FUSE_END) inside = false;
      else if (op === Op.Keep && inside) fusedMasks++;
    }
    expect(fusedMasks, "the where's two masks inside a fused group").toBe(2);
    const x = Float64Array.from({ length: n }, (_, i) => Math.sin(i * 1.3) * 2);
    const want = Array.from(x, (v) => (v > 0 ? 6 * v * (v + 2) + 3 * v * v : (-0.5 + Math.cos(v)) * (v + 2) + (-0.5 * v + Math.sin(v))));
    expectClose(f.grad(x, { mode: "reverse" }) as Float64Array, want, 1e-14, "fused reverse vs the closed form");
    expectClose(f.grad(x, { mode: "reverse" }) as Float64Array, f.grad(x, { mode: "forward" }) as Float64Array, 4e-16 * 4, "fused reverse vs forward");
    const sqrtChain = fn({ x: [n] }, ({ x }) => where(x.gt(0), x.sqrt().mul(x.add(1)), x.mul(0)).sum());
    const z = Float64Array.from({ length: n }, (_, i) => i - 50);
    const g = sqrtChain.grad(z) as Float64Array;
    expect(g.every(Number.isFinite), "no NaN from the masked sqrt′(x ≤ 0), fused").toBe(true);
    expectClose([g[54]], [(4 + 1) / (2 * Math.sqrt(4)) + Math.sqrt(4)], 1e-14, "d/dx √x·(x + 1) = (x + 1)/(2√x) + √x at 4");
    expectIdentical([g[50]], [0], "at 0 the zero branch is taken: x·0");
  });

  it("a comparison's derivative is 0 even where its operand's is infinite or NaN", () => {
    // f = x·(sqrt(x) > 1) + x: at x = 0, sqrt′ is ∞, and 0·∞ must not appear
    const f = compile("x*(sqrt(x) > 1) + x");
    for (const x of [0, 4]) {
      const d = gradients(f, [x]);
      const want = x > 1 ? 2 : 1;
      expectIdentical(d.forward, [want], `forward at ${x}`);
      expectIdentical(d.reverse, [want], `reverse at ${x}`);
    }
  });
});

describe("the double where: a NaN or ∞ in the branch not taken never reaches the result", () => {
  // Each: the function, points where the untaken branch's partial is ∞ or NaN, and the gradient there.
  const cases: [string, string[], number[][], number[][]][] = [
    ["where(x > 0, sqrt(x), 0)", ["x"], [[0], [-1]], [[0], [0]]],
    ["where(x > 0, x*log(x), 0)", ["x"], [[0], [-2]], [[0], [0]]],
    ["where(y != 0, x/y, 0)", ["x", "y"], [[1, 0], [0, 0]], [[0, 0], [0, 0]]],
    ["where(x < 1, asin(x), x)", ["x"], [[1], [2]], [[1], [1]]],
    ["x >= 0 ? x^0.5 : -(-x)^0.5", ["x"], [[-4]], [[0.25]]],
    // at 0 the sqrt branch is taken, and its IEEE answer stands: −x is −0, sqrt′ is 0.5/−0 = −∞, times −1
    ["where(x > 0, where(x < 1, log(1 - x), 0), sqrt(-x))", ["x"], [[1], [0]], [[0], [Infinity]]],
  ];
  it.each(cases)("%s", (text, vars, points, want) => {
    onBothTiers(() => compile(text, { vars }), (f) => {
      points.forEach((x, i) => {
        const d = gradients(f, x);
        expectIdentical(d.forward, want[i], `forward at (${x})`);
        expectIdentical(d.reverse, want[i], `reverse at (${x})`);
        if (want[i].every(Number.isFinite)) expect(d.hessian.data.every(Number.isFinite), `Hessian at (${x})`).toBe(true);
      });
    });
  });

  it("a node only branches read, of two wheres or of one where's elements, is guarded by either condition", () => {
    const two = compile("where(x > 0, sqrt(s), 0) + where(x > 1, sqrt(s), 0)", { vars: ["x", "s"] });
    expectIdentical(two.grad([-1, -1]) as Float64Array, [0, 0], "neither branch taken");
    expectIdentical((two.hessian([-1, -1]) as Tensor).data, [0, 0, 0, 0], "its Hessian");
    expectIdentical(two.grad([2, 4]) as Float64Array, [0, 0.5], "both taken: 2·(1/(2√4))");
    const broadcast = fn({ x: [2], s: [] }, ({ x, s }) => where(x.gt(0), x, s.sqrt()).sum()); // one sqrt(s), two elements
    expectIdentical((broadcast.grad({ x: [1, 1], s: -1 }) as Record<string, Float64Array | number>).s as number, 0, "no element takes sqrt(s)");
    expectIdentical((broadcast.grad({ x: [1, -1], s: 4 }) as Record<string, Float64Array | number>).s as number, 0.25, "one element takes it");
  });

  it("a node two branches read, one nested in the other where, whose own operand a condition reads too (found by the full fuzz)", () => {
    // s = √(A²) feeds the conditions and, squared, both else-branches; at A = 0 neither else-branch is taken,
    // and s's own partial there is NaN: it must stay out, in reverse mode too (that took the conditions on
    // the way down to each reader, ANDed, and a region for the shared node, so that s's copy is guarded)
    const s = "((A^2)^0.5)", w = `where(${s} <= A, A, ${s}^2)`;
    onBothTiers(() => compile(`where(0 <= ${w}, ${w} + ${w}, ${s}^2)`, { vars: ["A"] }), (f) => {
      const d = gradients(f, [0]);
      expectIdentical(d.forward, [2], "forward at 0");
      expectIdentical(d.reverse, [2], "reverse at 0");
      expect(d.hessian.data.every(Number.isFinite), "Hessian at 0").toBe(true);
      expectIdentical(gradients(f, [-3]).reverse, [-12], "at −3: w = s² = 9 (its else-branch), then w + w: 4A");
    });
  });

  it("a condition traced after its branch guards it as well", () => {
    const f = fn({ x: [] }, ({ x }) => { const branch = x.sqrt(); return where(x.gt(0), branch, 0); });
    expectIdentical(f.grad(0) as number, 0, "reverse at 0");
    expectIdentical(f.grad(-1, { mode: "forward" }) as number, 0, "forward at −1");
    expectIdentical(f.grad(4) as number, 0.25, "at 4");
  });

  it("the taken branch keeps its own IEEE answers: sqrt′(0) = ∞ where sqrt is taken at 0", () => {
    const f = compile("where(x >= 0, sqrt(x), 0)");
    expect(f.grad([0])).toEqual(Float64Array.from([Infinity]));
    expect(gt(2, 1)).toBe(1);
  });
});

describe("derivative() prints where and comparisons in the grammar", () => {
  it.each([
    ["where(x > 0, x^2, -x)", "where(x > 0, 2*x, -1)"],
    ["x > 0 && x < 1 || !(x == 2) ? sin(x) : x", "where(x > 0 && x < 1 || !(x == 2), cos(x), 1)"],
    ["where(x > y, x*y, x*y)", "y"],
    ["(x < 1)*x", "x < 1"],
  ])("d/dx %s = %s, which parses back to the compiled gradient", (expr, want) => {
    expect(derivative(expr, "x")).toBe(want);
    const printed = compile(derivative(expr, "x"), { vars: ["x", "y"] }), f = compile(expr, { vars: ["x", "y"] });
    for (const p of [[0.5, 0.2], [-1, 2], [3, 1]]) {
      expectIdentical([printed.eval(p) as number], [(f.grad(p) as Float64Array)[0]], `at (${p})`);
    }
  });
});
