// Fused loops (bindings/compiler/fuse.ts): chains of elementwise runs compiled to one
// WebAssembly loop each, forward and backward. Every case checks that fusion
// really happened (the reverse tape has fused groups), then compares against
// closed forms written here, against forward mode (a separate sweep, never
// fused), and batches against single points bit for bit (a batch runs the
// loops' nested form, a single point its flat form).
import { describe, expect, it } from "vitest";
import { div, fn, stack, sub, Tensor, type Func, type Node } from "../../bindings/index.js";
import { compileTape } from "../../bindings/compiler/tape.js";
import { fuse } from "../../bindings/compiler/fuse.js";
import { FUSE_BEGIN, Op, RUN_SHIFT, SUM_PULLED, VALUES_UNREAD } from "../../bindings/ops/grammar.js";
import { functionTableSize } from "../../bindings/runtime/loader.js";
import { expectClose, expectIdentical, random, resetCore } from "../support/helpers.js";

const n = 33;
const r = random(7);
const points = Array.from({ length: 3 }, () => Float64Array.from({ length: n }, () => 0.5 + 1.5 * r()));

/** Fused groups of f's reverse tape (white box: the graph and outputs of a Func). */
function fusedGroups(f: Func): number {
  const inner = f as unknown as { graph: Parameters<typeof compileTape>[0]; outputIds: number[]; n: number };
  return compileTape(inner.graph, inner.outputIds, inner.n, false).fusedGroups;
}

const sum = (x: Float64Array, term: (v: number, i: number) => number) => x.reduce((s, v, i) => s + term(v, i), 0);

interface Case {
  name: string;
  body: (x: Node) => Node;
  value: (x: Float64Array) => number;
  grad: (x: Float64Array) => number[];
}

const cases: Case[] = [
  { name: "Σ √(x·x + 1)", body: (x) => x.mul(x).add(1).sqrt().sum(),
    value: (x) => sum(x, (v) => Math.sqrt(v * v + 1)), grad: (x) => Array.from(x, (v) => v / Math.sqrt(v * v + 1)) },
  { name: "Σ (x − 2)/(x + 3)", body: (x) => x.sub(2).div(x.add(3)).sum(),
    value: (x) => sum(x, (v) => (v - 2) / (v + 3)), grad: (x) => Array.from(x, (v) => 5 / (v + 3) ** 2) },
  { name: "Σ (−x)·(x + 1)", body: (x) => x.neg().mul(x.add(1)).sum(),
    value: (x) => sum(x, (v) => -v * (v + 1)), grad: (x) => Array.from(x, (v) => -2 * v - 1) },
  { name: "y = x·x + x used twice in the group: Σ y·y + 3y", body: (x) => { const y = x.mul(x).add(x); return y.mul(y).add(y.mul(3)).sum(); },
    value: (x) => sum(x, (v) => { const y = v * v + v; return y * y + 3 * y; }),
    grad: (x) => Array.from(x, (v) => (2 * (v * v + v) + 3) * (2 * v + 1)) },
  { name: "y = x·x + 1 also read outside the group: Σ sin y + Σ y·y", body: (x) => { const y = x.mul(x).add(1); return y.sin().sum().add(y.mul(y).sum()); },
    value: (x) => sum(x, (v) => Math.sin(v * v + 1) + (v * v + 1) ** 2),
    grad: (x) => Array.from(x, (v) => (Math.cos(v * v + 1) + 2 * (v * v + 1)) * 2 * v) },
  { name: "a shifted window of a fused result (the group must end there): Σ (y[i+1] − y[i])², y = x·x + x",
    body: (x) => { const y = x.mul(x).add(x), d = y.slice([1]).sub(y.slice([0], [n - 1])); return d.mul(d).sum(); },
    value: (x) => { const y = Array.from(x, (v) => v * v + v); return sum(x.subarray(1), (_, i) => (y[i + 1] - y[i]) ** 2); },
    grad: (x) => {
      const y = Array.from(x, (v) => v * v + v);
      return Array.from(x, (v, i) => 2 * (2 * v + 1) * ((i > 0 ? y[i] - y[i - 1] : 0) - (i < n - 1 ? y[i + 1] - y[i] : 0)));
    } },
  { name: "windows shifted by one, both added to in one group: Σ 2u + Σ u·(v + u), u = x[0:n−2], v = x[1:n−1]",
    // x[i] takes terms from u at element i and from v at element i − 1: added in one order however the loop is cut
    body: (x) => { const u = x.slice([0], [n - 2]), v = x.slice([1], [n - 1]), w = v.add(u); return u.add(u).sum().add(u.mul(w).sum()); },
    value: (x) => sum(x.subarray(0, n - 2), (u, i) => 2 * u + u * (x[i + 1] + u)),
    grad: (x) => Array.from(x, (xi, i) => (i < n - 2 ? 2 + x[i + 1] + 2 * xi : 0) + (i >= 1 && i < n - 1 ? x[i - 1] : 0)) },
  { name: "a group's sum read by a nonlinear op (its values are needed): exp(Σ (x·x + x)/n)",
    body: (x) => x.mul(x).add(x).div(n).sum().exp(),
    value: (x) => Math.exp(sum(x, (v) => (v * v + v) / n)),
    grad: (x) => { const e = Math.exp(sum(x, (v) => (v * v + v) / n)); return Array.from(x, (v) => (e * (2 * v + 1)) / n); } },
  { name: "three windows shifted by one (no pair of them is added alone): Σ (u + 2v)·(v − w), u, v, w = x[0:n−2], x[1:n−1], x[2:n]",
    body: (x) => { const u = x.slice([0], [n - 2]), v = x.slice([1], [n - 1]), w = x.slice([2]); return u.add(v.mul(2)).mul(v.sub(w)).sum(); },
    value: (x) => sum(x.subarray(0, n - 2), (u, j) => (u + 2 * x[j + 1]) * (x[j + 1] - x[j + 2])),
    grad: (x) => Array.from(x, (_, i) => (i <= n - 3 ? x[i + 1] - x[i + 2] : 0) +
      (i >= 1 && i <= n - 2 ? 2 * (x[i] - x[i + 1]) + x[i - 1] + 2 * x[i] : 0) - (i >= 2 ? x[i - 2] + 2 * x[i - 1] : 0)) },
  { name: "sums of an inner run's results and of the last run's: Σ y + Σ y·x, y = x·x",
    body: (x) => { const y = x.mul(x), z = y.mul(x); return y.sum().add(z.sum()); },
    value: (x) => sum(x, (v) => v * v + v * v * v), grad: (x) => Array.from(x, (v) => 2 * v + 3 * v * v) },
  { name: "a sum read by a later group's broadcast operand: Σ (x − m)², m = Σx / n",
    body: (x) => { const d = x.sub(x.sum().div(n)); return d.mul(d).sum(); },
    value: (x) => { const m = sum(x, (v) => v) / n; return sum(x, (v) => (v - m) ** 2); },
    grad: (x) => { const m = sum(x, (v) => v) / n, s = sum(x, (v) => v - m); return Array.from(x, (v) => 2 * (v - m) - (2 * s) / n); } },
  { name: "a determinant of a group's results: det [[y₀, y₁], [y₂, y₃]] + Σ y, y = x·x + 1",
    body: (x) => { const y = x.mul(x).add(1); return y.slice([0], [4]).reshape([2, 2]).det().add(y.sum()); },
    value: (x) => { const y = Array.from(x, (v) => v * v + 1); return y[0] * y[3] - y[1] * y[2] + y.reduce((s, v) => s + v, 0); },
    grad: (x) => {
      const y = Array.from(x, (v) => v * v + 1), dDet = [y[3], -y[2], -y[1], y[0]];
      return Array.from(x, (v, i) => 2 * v * ((dDet[i] ?? 0) + 1));
    } },
  { name: "a product of two groups' sums: (Σ x·x)·(Σ (x + 2)·x)", body: (x) => x.mul(x).sum().mul(x.add(2).mul(x).sum()),
    value: (x) => sum(x, (v) => v * v) * sum(x, (v) => (v + 2) * v),
    grad: (x) => { const s1 = sum(x, (v) => v * v), s2 = sum(x, (v) => (v + 2) * v); return Array.from(x, (v) => 2 * v * s2 + s1 * (2 * v + 2)); } },
  { name: "a computed scalar broadcast into the group: Σ (x/x₀ + 2)·x", body: (x) => x.div(x.at(0)).add(2).mul(x).sum(),
    value: (x) => sum(x, (v) => (v / x[0] + 2) * v),
    grad: (x) => Array.from(x, (v, i) => (i === 0 ? 4 - sum(x, (u) => u * u) / (x[0] * x[0]) : (2 * v) / x[0] + 2)) },
];

describe("fused chains of elementwise runs: closed-form gradients", () => {
  for (const c of cases) {
    it(c.name, () => {
      const f = fn(n, c.body);
      expect(fusedGroups(f), "the reverse tape has a fused group").toBeGreaterThan(0);
      for (const x of points) {
        expectClose([f.eval(x) as number], [c.value(x)], 1e-12, "value");
        const g = f.grad(x, { mode: "reverse" }) as Float64Array;
        expectClose(g, c.grad(x), 1e-12, "reverse (fused)");
        expectClose(g, f.grad(x, { mode: "forward" }) as Float64Array, 1e-12, "forward mode");
        expectClose(f.vjp(x, 2) as Float64Array, c.grad(x).map((v) => 2 * v), 1e-12, "vjp with cotangent 2");
      }
      const batch = new Tensor([points.length, n], Float64Array.from(points.flatMap((p) => [...p])));
      const G = f.grad(batch, { mode: "reverse" }) as Tensor;
      points.forEach((x, p) => expectIdentical(G.data.subarray(p * n, (p + 1) * n), f.grad(x, { mode: "reverse" }) as Float64Array, `batch point ${p}`));
    });
  }

  it("an element's adjoint takes its terms in one order at one point and in a batch (windows shifted by one)", () => {
    // x[i] gets u·… from outside the group first, then the group's terms from v at element i − 1 and u at element i;
    // with three terms the order shows in the bits, at some of many points
    const f = fn(n, (x) => { const u = x.slice([0], [n - 2]), v = x.slice([1], [n - 1]), w = v.add(u); return u.add(u).sum().add(u.mul(w).sum()); });
    // full 53-bit mantissas: with r()'s 32-bit fractions these sums are exact in any order
    const many = Array.from({ length: 64 }, () => Float64Array.from({ length: n }, () => 0.5 + 1.5 * (r() + r() / 2 ** 32)));
    const G = f.grad(new Tensor([many.length, n], Float64Array.from(many.flatMap((p) => [...p]))), { mode: "reverse" }) as Tensor;
    many.forEach((x, p) => expectIdentical(f.grad(x, { mode: "reverse" }) as Float64Array, G.data.subarray(p * n, (p + 1) * n), `point ${p}`));
  });

  it("two stencils in one group, over an input and over a computed row, at even and odd run lengths", () => {
    // (b − a²)·(d + c²) with a, b = x[0:L], x[1:L+1] and c, d the same windows of z = sin x: two carried pairs
    for (let L = 8; L <= 13; L++) {
      const f = fn(L + 1, (x) => {
        const z = x.sin(), a = x.slice([0], [L]), b = x.slice([1]), c = z.slice([0], [L]), d = z.slice([1]);
        return b.sub(a.mul(a)).mul(d.add(c.mul(c))).sum();
      });
      expect(fusedGroups(f)).toBeGreaterThan(0);
      const many = Array.from({ length: 5 }, () => Float64Array.from({ length: L + 1 }, () => 0.5 + 1.5 * (r() + r() / 2 ** 32)));
      const G = f.grad(new Tensor([many.length, L + 1], Float64Array.from(many.flatMap((p) => [...p]))), { mode: "reverse" }) as Tensor;
      many.forEach((x, p) => {
        const g = f.grad(x, { mode: "reverse" }) as Float64Array;
        expectIdentical(g, G.data.subarray(p * (L + 1), (p + 1) * (L + 1)), `L = ${L}, point ${p}: one point against the batch`);
        expectClose(g, f.grad(x, { mode: "forward" }) as Float64Array, 1e-12, `L = ${L}, point ${p}: against forward mode`);
      });
    }
  });

  it("a chain of 200 runs is cut into groups of at most 64 (an engine caps a function's locals)", () => {
    const c = 0.99;
    const f = fn(n, (x) => {
      let y = x;
      for (let k = 0; k < 100; k++) y = y.mul(c).add(x);
      return y.sum();
    });
    expect(fusedGroups(f)).toBeGreaterThanOrEqual(4);
    let slope = 1; // dy/dx through y ← c·y + x, per entry
    for (let k = 0; k < 100; k++) slope = c * slope + 1;
    expectClose(f.grad(points[0]) as Float64Array, new Array(n).fill(slope), 1e-13, "gradient");
  });

  it("NaN stays where IEEE puts it: √ of a negative entry spoils that entry's derivative only", () => {
    const f = fn(n, (x) => x.add(1).sqrt().mul(x).sum());
    expect(fusedGroups(f)).toBeGreaterThan(0);
    const x = Float64Array.from(points[0]);
    x[5] = -2;
    const g = f.grad(x) as Float64Array;
    expect(f.eval(x)).toBeNaN();
    expect(g[5]).toBeNaN();
    const want = Array.from(x, (v) => Math.sqrt(v + 1) + v / (2 * Math.sqrt(v + 1)));
    expectClose([...g.subarray(0, 5), ...g.subarray(6)], [...want.slice(0, 5), ...want.slice(6)], 1e-12, "the other entries");
  });

  it("a vector output that is a fused result: vjp(x, w) = wᵀJ for f(x) = 3·(x·x + x)", () => {
    const f = fn(n, (x) => x.mul(x).add(x).mul(3));
    expect(fusedGroups(f)).toBeGreaterThan(0);
    const w = Float64Array.from({ length: n }, () => r() - 0.5);
    for (const x of points) {
      expectClose(f.vjp(x, w) as Float64Array, Array.from(x, (v, i) => w[i] * 3 * (2 * v + 1)), 1e-12, "vjp");
      const J = f.jacobian(x, { mode: "reverse" }); // several cotangent lanes: the interpreted sweep
      for (let i = 0; i < n; i++) expect(J.data[i * n + i]).toBeCloseTo(3 * (2 * x[i] + 1), 12);
    }
  });
});

describe("strided views of an input vector fuse (its strided entries load into consecutive slots)", () => {
  /** The reverse tape's Input runs with an input stride above 1 (white box). */
  function stridedLoads(f: Func): number {
    const inner = f as unknown as { graph: Parameters<typeof compileTape>[0]; outputIds: number[]; n: number };
    const t = compileTape(inner.graph, inner.outputIds, inner.n, false);
    let count = 0;
    for (let k = 0; k < t.instr.length; k += 4) if ((t.instr[k] & 0xff) === Op.Input && t.instr[k] >>> RUN_SHIFT > 1 && t.instr[k + 3] > 1) count++;
    return count;
  }
  const m = 40; // even: pairs
  const x = Float64Array.from({ length: m }, (_, i) => 0.5 + 0.3 * Math.sin(i));
  // Moré–Garbow–Hillstrom extended Rosenbrock: Σ over pairs 100(x₂ᵢ₊₁ − x₂ᵢ²)² + (1 − x₂ᵢ)²
  const rosenbrock = (even: Node, odd: Node) => odd.sub(even.pow(2)).pow(2).mul(100).add(even.neg().add(1).pow(2)).sum();
  const value = (x: Float64Array) => { let s = 0; for (let i = 0; i < m; i += 2) s += 100 * (x[i + 1] - x[i] ** 2) ** 2 + (1 - x[i]) ** 2; return s; };
  const gradient = (x: Float64Array) => {
    const g = new Array<number>(m);
    for (let i = 0; i < m; i += 2) {
      const d = x[i + 1] - x[i] * x[i];
      g[i] = -400 * x[i] * d - 2 * (1 - x[i]);
      g[i + 1] = 200 * d;
    }
    return g;
  };
  const forms: [string, (x: Node) => Node][] = [
    ["pairs by reshape([m/2, 2]) and slice", (x) => {
      const pairs = x.reshape([m / 2, 2]);
      return rosenbrock(pairs.slice([0, 0], [m / 2, 1]), pairs.slice([0, 1], [m / 2, 2]));
    }],
    ["pairs by slice with a step (numpy's x[0::2], x[1::2])", (x) => rosenbrock(x.slice([0], [m], [2]), x.slice([1], [m], [2]))],
  ];
  for (const [label, body] of forms) {
    it(`extended Rosenbrock, ${label}: closed-form value and gradient, forward mode, batch bit for bit`, () => {
      const f = fn(m, body);
      expect(stridedLoads(f), "two stride-2 loads").toBe(2);
      expect(fusedGroups(f), "the reverse tape has a fused group").toBeGreaterThan(0);
      expectClose([f.eval(x) as number], [value(x)], 1e-13, "value");
      const g = f.grad(x, { mode: "reverse" }) as Float64Array;
      expectClose(g, gradient(x), 1e-12, "reverse (fused)");
      expectClose(g, f.grad(x, { mode: "forward" }) as Float64Array, 1e-12, "forward mode");
      const points = [x, x.map((v) => v - 0.25), x.map((v) => 1.5 * v)];
      const G = f.grad(new Tensor([3, m], Float64Array.from(points.flatMap((p) => [...p]))), { mode: "reverse" }) as Tensor;
      points.forEach((p, k) => expectIdentical(G.data.subarray(k * m, (k + 1) * m), f.grad(p, { mode: "reverse" }) as Float64Array, `batch point ${k}`));
      f.dispose();
    });
  }

  it("pairs loaded and their adjoints written in one pass at one point: an odd count of pairs, after another input, by wrt", () => {
    // f(s, x) = Σᵢ s·x₂ᵢ·x₂ᵢ₊₁² over 7 pairs of x (entries 1 … 14 of the flat inputs: s is entry 0)
    const pairs = 7, x = Float64Array.from({ length: 2 * pairs }, (_, i) => 0.3 + 0.1 * i), s = 1.5;
    const f = fn({ s: [], x: [2 * pairs] }, ({ s, x }) => x.slice([0], [2 * pairs], [2]).mul(x.slice([1], [2 * pairs], [2]).pow(2)).mul(s).sum());
    expect(stridedLoads(f)).toBe(2);
    let value = 0, dS = 0;
    const dX = new Array<number>(2 * pairs);
    for (let i = 0; i < 2 * pairs; i += 2) {
      value += s * x[i] * x[i + 1] ** 2;
      dS += x[i] * x[i + 1] ** 2;
      dX[i] = s * x[i + 1] ** 2;
      dX[i + 1] = 2 * s * x[i] * x[i + 1];
    }
    expectClose([f.eval({ s, x }) as number], [value], 1e-14, "value");
    const g = f.grad({ s, x }) as Record<string, Float64Array | number>;
    expectClose([g.s as number], [dS], 1e-14, "∂/∂s");
    expectClose(g.x as Float64Array, dX, 1e-14, "∂/∂x");
    expectIdentical(f.grad({ s, x }, { wrt: "x" }) as Float64Array, g.x as Float64Array, "wrt x alone");
    expectClose([f.grad({ s, x }, { wrt: "s" }) as number], [dS], 1e-14, "wrt s alone (the pairs' adjoints not written)");
    // a batch (the pairs loaded by the general strided copy) agrees to the bit
    const G = f.grad({ s: new Tensor([2], Float64Array.of(s, s)), x: new Tensor([2, 2 * pairs], Float64Array.from([...x, ...x])) }) as Record<string, Tensor>;
    expectIdentical(G.x.data.subarray(0, 2 * pairs), g.x as Float64Array, "batch point 0");
    expectClose(f.grad({ s, x }, { mode: "forward" }).x as Float64Array, dX, 1e-14, "forward mode");
    f.dispose();
  });

  it("a column of a matrix (stride 3) and a step-3 slice give the same closed-form gradient", () => {
    const rows = 11, cols = 3, y = Float64Array.from({ length: rows * cols }, (_, i) => Math.cos(i));
    const column = fn(rows * cols, (v) => v.reshape([rows, cols]).slice([0, 1], [rows, 2]).reshape([rows]).sin().mul(3).sum());
    const stepped = fn(rows * cols, (v) => v.slice([1], [rows * cols], [3]).sin().mul(3).sum());
    const want = Array.from(y, (v, i) => (i % cols === 1 ? 3 * Math.cos(v) : 0));
    for (const f of [column, stepped]) {
      expect(stridedLoads(f)).toBe(1);
      expectClose(f.grad(y) as Float64Array, want, 1e-14, "∂/∂v");
    }
  });

  it("a strided load that spans two named inputs: each input's Jacobian block takes its own entries", () => {
    // a₁, a₃, b₁, b₃ are inputs 1, 3, 5, 7: one stride-2 load across the boundary between a and b
    const f = fn({ a: [4], b: [4] }, ({ a, b }) => stack([a.at(1), a.at(3), b.at(1), b.at(3)]).mul(Tensor.from([1, 2, 3, 4])).sin());
    expect(stridedLoads(f)).toBe(1);
    const at = { a: [0.1, 0.2, 0.3, 0.4], b: [0.5, 0.6, 0.7, 0.8] };
    const J = f.jacobian(at, { mode: "reverse" }) as Record<string, Tensor>;
    const picked = [at.a[1], at.a[3], at.b[1], at.b[3]];
    for (const input of ["a", "b"] as const) {
      const want = new Array<number>(16).fill(0);
      for (let i = 0; i < 4; i++) {
        const column = input === "a" ? [1, 3][i] : [1, 3][i - 2]; // output i reads a[1], a[3], b[1], b[3]
        if ((input === "a") === (i < 2)) want[i * 4 + column] = (i + 1) * Math.cos((i + 1) * picked[i]);
      }
      expectClose(J[input].data, want, 1e-14, `∂f/∂${input}`);
      expectClose(J[input].data, (f.jacobian(at, { mode: "forward" }) as Record<string, Tensor>)[input].data, 1e-14, `${input}: forward mode`);
    }
  });

  it("slice steps are checked", () => {
    const bad: [number[], string][] = [[[0], "step 0"], [[-1], "step -1"], [[1.5], "step 1.5"]];
    for (const [step, what] of bad) {
      expect(() => fn(6, (v) => v.slice([0], [6], step).sum()), what).toThrow(/slice step .* expected a whole number ≥ 1/);
    }
    const f = fn(7, (v) => v.slice([1], [7], [4]).sum()); // entries 1 and 5
    expect(f.grad(new Float64Array(7))).toEqual(Float64Array.of(0, 1, 0, 0, 0, 1, 0));
  });
});

describe("the fused rules are the op table's (assembly/core/rules.ts), to the bit", () => {
  // z = op(…) feeds z·v (v a constant vector: a second run, so the two fuse).
  // grad of Σ z·v runs the fused loops; row 0 of the Jacobian of [Σ z·v, Σ x]
  // in reverse mode runs two cotangent lanes, which only the interpreted sweep
  // does. Each entry's adjoint is one term in both, so they must agree exactly
  // (±0 aside), as must the values, for every op the fused loops know. A
  // square's entry gets its term twice in both. Runs of 12 take one point's
  // elements in pairs; runs of 11 end with one element alone.
  const x12 = [0.75, -1.5, 0, 2, 1e-300, 1e300, -0, 3.25, Infinity, 0.1, 7, -2.5];
  const y12 = [2, 0.5, -3, 0, 1e-10, 4, 1.5, -0.25, 2, NaN, -7, 1e200];
  const forms: [string, (x: Node, y: Node) => Node][] = [
    ["x + y", (x, y) => x.add(y)], ["x − y", (x, y) => x.sub(y)], ["x · y", (x, y) => x.mul(y)], ["x / y", (x, y) => x.div(y)],
    ["x · x", (x) => x.mul(x)], ["−x", (x) => x.neg()], ["√x", (x) => x.sqrt()],
    ["x + 2.5", (x) => x.add(2.5)], ["3 − x", (x) => sub(3, x)], ["x · 1.5", (x) => x.mul(1.5)], ["x / 4", (x) => x.div(4)], ["7 / x", (x) => div(7, x)],
    ["x · y₀", (x, y) => x.mul(y.at(0))], ["x / y₀", (x, y) => x.div(y.at(0))], ["y₀ − x", (x, y) => sub(y.at(0), x)],
  ];
  const same = (a: number, b: number) => a === b || (Number.isNaN(a) && Number.isNaN(b));
  for (const [label, op] of forms) for (const half of [12, 11]) {
    const v = Tensor.from(Array.from({ length: half }, (_, i) => 0.55 + i / 3)); // no 1 (x·1 is x) and none of the ops' constants
    it(`${label}, runs of ${half}`, () => {
      const split = (x: Node) => [x.slice([0], [half]), x.slice([half])] as const;
      const f = fn(2 * half, (x) => { const [a, b] = split(x); return op(a, b).mul(v).sum(); });
      const F = fn(2 * half, (x) => { const [a, b] = split(x); return stack([op(a, b).mul(v).sum(), x.sum()]); });
      expect(fusedGroups(f)).toBeGreaterThan(0);
      const x = Float64Array.from([...x12.slice(0, half), ...y12.slice(0, half)]);
      const fusedGrad = f.grad(x, { mode: "reverse" }) as Float64Array;
      const interpreted = F.jacobian(x, { mode: "reverse" }).data.subarray(0, 2 * half);
      const wrong = [...fusedGrad].flatMap((g, i) => (same(g, interpreted[i]) ? [] : [`∂/∂x${i}: fused ${g}, interpreted ${interpreted[i]}`]));
      expect(wrong).toEqual([]);
      expect(same(f.eval(x) as number, (F.eval(x) as Float64Array)[0])).toBe(true);
    });
  }
});

describe("fusion: which runs form a group", () => {
  const run = (op: number, L: number, dst: number, a: number, b = 0, flags = 0) => [op | flags | (L << RUN_SHIFT), dst, a, b];
  const groupsOf = (instr: number[][], nSlots: number, outSlots: number[]) => {
    const fused = fuse(instr.flat(), [2], nSlots, outSlots, []);
    return fused.instr.filter((_, k) => k % 4 === 0 && (fused.instr[k] & 0xff) === FUSE_BEGIN).length;
  };

  it("consecutive runs of one length fuse; a different length, an unknown op or a shifted read ends the group", () => {
    // slot 0 constant; inputs at 1…16
    const input = [0 | (16 << RUN_SHIFT), 1, 0, 0];
    expect(groupsOf([input, run(Op.Mul, 16, 17, 1, 1), run(Op.Add, 16, 33, 17, 1)], 49, [33])).toBe(1);
    expect(groupsOf([input, run(Op.Mul, 16, 17, 1, 1), run(Op.Sin, 16, 33, 17)], 49, [33])).toBe(0);
    expect(groupsOf([input, run(Op.Mul, 15, 17, 1, 1), run(Op.Add, 16, 33, 1, 1)], 49, [33])).toBe(0);
    // the second run reads the first's results one slot on: not the same element
    expect(groupsOf([input, run(Op.Mul, 15, 17, 1, 1), run(Op.Sub, 15, 33, 18, 17)], 49, [33])).toBe(0);
    // the same read aligned: one group
    expect(groupsOf([input, run(Op.Mul, 15, 17, 1, 1), run(Op.Sub, 15, 33, 17, 2)], 49, [33])).toBe(1);
    // runs too short to be worth a call
    expect(groupsOf([[0 | (4 << RUN_SHIFT), 1, 0, 0], run(Op.Mul, 4, 5, 1, 1), run(Op.Add, 4, 9, 5, 1)], 13, [9])).toBe(0);
  });
});

describe("fusion: what a gradient may leave uncomputed", () => {
  const run = (op: number, L: number, dst: number, a: number, b = 0) => [op | (L << RUN_SHIFT), dst, a, b];
  // slot 0 constant; inputs at 1…16; a group writes 17…48; aux [1, 49] is a sum's result, [16, 33…48] its operands
  const input = [0 | (16 << RUN_SHIFT), 1, 0, 0];
  const group = [run(Op.Mul, 16, 17, 1, 1), run(Op.Add, 16, 33, 17, 1)];
  const aux = [1, 49, 16, ...Array.from({ length: 16 }, (_, i) => 33 + i)];
  const sumOf = (flags = 1 << 10) => [Op.Sum | flags, 0, 2, 0];
  const flagged = (instr: number[][], nSlots: number, outSlots: number[]) => {
    const out = fuse(instr.flat(), [2], nSlots, outSlots, aux).instr;
    return out.flatMap((w, k) => (k % 4 === 0 && (w & VALUES_UNREAD) ? [w & 0xff] : []));
  };

  it("a group read only by a sum, and the sum read by nothing, are both skipped", () => {
    expect(flagged([input, ...group, sumOf()], 50, [49])).toEqual([FUSE_BEGIN, Op.Sum]);
  });
  it("a sum read by an interpreted instruction keeps its values and its group's", () => {
    expect(flagged([input, ...group, sumOf(), run(Op.Sin, 1, 50, 49)], 51, [50])).toEqual([]);
  });
  it("a group read by an interpreted run keeps its values", () => {
    expect(flagged([input, ...group, run(Op.Exp, 16, 49, 33)], 65, Array.from({ length: 16 }, (_, i) => 49 + i))).toEqual([]);
  });
  it("a group read only by a later group's backward function keeps its values (that function reads its operands)", () => {
    const later = [run(Op.Sqrt, 8, 49, 33), run(Op.Mul, 8, 57, 49, 49)]; // a shorter run: a second group
    const out = fuse([input, ...group, ...later].flat(), [2], 65, Array.from({ length: 8 }, (_, i) => 57 + i), aux).instr;
    const begins = out.flatMap((w, k) => (k % 4 === 0 && (w & 0xff) === FUSE_BEGIN ? [w & VALUES_UNREAD] : []));
    expect(begins).toEqual([0, VALUES_UNREAD]);
  });

  // A sum is pulled (its b field SUM_PULLED, its rule done by the group) only when it reads exactly one run's
  // results and nothing else outside the group reads them. aux [1, 49]: result; [16, 33…48]: the last run's
  // results; [8, 33…40]: half of them; [16, 17…32]: the first run's.
  const pulledSums = (instr: number[][], nSlots: number, outSlots: number[], lists = aux) => {
    const out = fuse(instr.flat(), [2], nSlots, outSlots, lists).instr;
    return out.flatMap((w, k) => (k % 4 === 0 && (w & 0xff) === Op.Sum ? [out[k + 3] === SUM_PULLED] : []));
  };
  it("a sum of exactly one run's results, their only reader, is pulled into the group", () => {
    expect(pulledSums([input, ...group, sumOf()], 50, [49])).toEqual([true]);
  });
  it("a sum of an earlier run's results is pulled too (the later run adds to those adjoints in the group)", () => {
    const first = [1, 49, 16, ...Array.from({ length: 16 }, (_, i) => 17 + i)];
    expect(pulledSums([input, ...group, sumOf()], 50, [49, ...Array.from({ length: 16 }, (_, i) => 33 + i)], first)).toEqual([true]);
  });
  it("not when something else reads those results too, nor when it sums part of them", () => {
    expect(pulledSums([input, ...group, sumOf(), run(Op.Exp, 16, 50, 33)], 66, [49, ...Array.from({ length: 16 }, (_, i) => 50 + i)])).toEqual([false]);
    expect(pulledSums([input, ...group, sumOf()], 50, [49, 40])).toEqual([false]); // one of them is an output
    const half = [1, 49, 8, ...Array.from({ length: 8 }, (_, i) => 33 + i)];
    expect(pulledSums([input, ...group, sumOf()], 50, [49], half)).toEqual([false]);
  });
});

describe("fused loops and the core's lifetime", () => {
  const body = (x: Node) => x.mul(x).add(x).sum();
  const want = (x: Float64Array) => Array.from(x, (v) => 2 * v + 1);

  it("a trap resets the core; a fused function re-attaches its loops to the new instance", () => {
    const f = fn(n, body), g = fn(n, body);
    expectClose(f.grad(points[0]) as Float64Array, want(points[0]), 1e-14);
    resetCore(); // the core fails and is re-created
    expectClose(f.grad(points[1]) as Float64Array, want(points[1]), 1e-14, "after the reset");
    expectClose(g.grad(points[2]) as Float64Array, want(points[2]), 1e-14, "a function first used after it");
  });

  it("disposing fused functions gives their function-table entries back", () => {
    fn(n, body).grad(points[0]); // the table holds at least one group's pair now
    const size = functionTableSize();
    for (let i = 0; i < 200; i++) {
      const f = fn(n, body);
      f.grad(points[i % 3]);
      f.dispose();
    }
    expect(functionTableSize()).toBeLessThanOrEqual(size + 2);
  });
});
