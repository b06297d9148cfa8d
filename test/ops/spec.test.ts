// Every row of the primitives' spec (bindings/ops/spec.ts), walked by one test:
// a new row is tested by this code, with no test of its own to write. For each
// scalar primitive, at points of its row's domain:
//   - the core's value (a sweep, and a folded constant) against the spec's
//     JavaScript value, where Math has one;
//   - the core's partials (forward and reverse mode) against the spec's rule at
//     numbers (ops/numbers.ts) and against central differences;
//   - a fused reverse sweep over a vector (fusible rows) against forward mode;
//   - second derivatives (the symbolic gradient, differentiated) against central
//     differences of the first;
//   - the printed derivative, parsed back and evaluated, against the core's.
// Composite rows are held to their expansion and to central differences.
import { describe, expect, it } from "vitest";
import * as G from "../../bindings/index.js";
import { compile, derivative, fn, type Func, type Node } from "../../bindings/index.js";
import { ARITY, OP_COUNT, OP_NAMES } from "../../bindings/ops/abi.js";
import { opCode } from "../../bindings/ops/grammar.js";
import { NUMBERS, partialsAt } from "../../bindings/ops/numbers.js";
import { PRIMITIVES, type CompositeRow, type Row, type ScalarName, type ScalarRow } from "../../bindings/ops/spec.js";
import { core } from "../../bindings/runtime/loader.js";
import { compileTape } from "../../bindings/compiler/tape.js";
import { random } from "../support/helpers.js";

const EPS = Number.EPSILON;
const rows = Object.entries(PRIMITIVES) as [string, Row][];
const scalars = rows.filter((e): e is [ScalarName, ScalarRow] => e[1].kind === "scalar");
const composites = rows.filter((e): e is [string, CompositeRow] => e[1].kind === "composite");

/** `count` points of a domain, the same on every run. */
function pointsOf(domain: readonly (readonly [number, number])[], count: number, seed: number): number[][] {
  const r = random(seed);
  return Array.from({ length: count }, () => domain.map(([lo, hi]) => lo + (hi - lo) * r()));
}

/** |got − want| ≤ rel·|want| (+ an absolute floor for values near 0). */
function near(got: number, want: number, rel: number, label: string, floor = 0): void {
  const err = Math.abs(got - want), tol = rel * Math.abs(want) + floor;
  if (!(err <= tol)) expect.fail(`${label}: got ${got}, want ${want} (error ${err.toExponential(2)} > ${tol.toExponential(2)})`);
}

/** How the grammar writes name(a, b). */
function spelled(name: string, row: ScalarRow | CompositeRow, vars: readonly string[]): string {
  if ("operator" in row && row.operator) {
    if (row.arity === 1) return `${row.operator === "neg" ? "-" : row.operator}${vars[0]}`;
    return `${vars[0]} ${row.operator} ${vars[1]}`;
  }
  return `${name}(${vars.join(", ")})`;
}

/** The builder function of a primitive, from the package's exports. */
const builder = (name: string) => (G as unknown as Record<string, (...a: unknown[]) => Node>)[name];

/** Central differences of f along coordinate i (step scaled to the point). */
function central(f: (x: number[]) => number, x: number[], i: number): number {
  const h = 1e-5 * Math.max(1, Math.abs(x[i]));
  const up = [...x], down = [...x];
  up[i] += h;
  down[i] -= h;
  return (f(up) - f(down)) / (up[i] - down[i]);
}

describe("the generated ABI matches the core", () => {
  it("op count and every arity, from the spec on both sides", () => {
    expect((core().OP_COUNT as unknown as WebAssembly.Global).value).toBe(OP_COUNT);
    for (let op = 0; op < OP_COUNT; op++) expect(core().opArity(op), OP_NAMES[op]).toBe(ARITY[op]);
  });
});

describe.each(scalars)("%s", (name, row) => {
  // (an order operand, polygamma's n, is sampled at whole numbers)
  const op = opCode(name), n = row.arity, points = pointsOf(row.domain, 12, op + 1).map((x) => (row.order ? [Math.round(x[0]), ...x.slice(1)] : x));
  const vars = ["a", "b"].slice(0, n);
  const internal = "internal" in row;
  const F: Func | undefined = internal ? undefined : fn(n, (x: Node) => builder(name)(...vars.map((_, i) => x.at(i))));
  const value = (x: number[]) => core().foldConstant(op, x[0], x[1] ?? 0);

  it("the core's value is the spec's JavaScript value (within 4 ulps), the same swept or folded", () => {
    for (const x of points) {
      const v = value(x);
      if (row.value) near(v, row.value(x[0], x[1] ?? 0), 4 * EPS, `${name}(${x})`);
      if (F) expect(Object.is(F.eval(x) as number, v), `${name}(${x}) swept`).toBe(true);
    }
  });

  if (internal) return; // Keep: its derivative is structural (masked by the guard), tested in test/ops/range.test.ts

  it("forward and reverse partials: the spec's rule at numbers (within rounding) and central differences", () => {
    for (const x of points) {
      const forward = Array.from(F!.grad(x, { mode: "forward" }) as Float64Array);
      const reverse = Array.from(F!.grad(x, { mode: "reverse" }) as Float64Array);
      const { partials } = partialsAt(name, x[0], x[1] ?? 0);
      for (let i = 0; i < n; i++) {
        const label = `∂${name}/∂${vars[i]} at (${x})`;
        near(forward[i], partials[i], 8 * EPS, `${label} forward vs the spec`, 4 * EPS);
        near(reverse[i], forward[i], 4 * EPS, `${label} reverse vs forward`, 4 * EPS);
        if (!(row.order && i === 0)) near(forward[i], central(value, x, i), 1e-7, `${label} vs central differences`, 1e-8);
      }
    }
  });

  it("second derivatives (the symbolic gradient, differentiated) match central differences of the first", () => {
    for (const x of points.slice(0, 4)) {
      const H = F!.hessian(x) as G.Tensor;
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
        if (row.order && (i === 0 || j === 0)) continue; // (an order takes no derivative: its row and column are 0)
        const dj = (y: number[]) => (F!.grad(y) as Float64Array)[j];
        near(H.get(i, j), central(dj, x, i), 1e-6, `∂²${name}/∂${vars[i]}∂${vars[j]} at (${x})`, 1e-7);
      }
    }
  });

  it("the printed derivative parses back and evaluates to the core's partial", () => {
    const expr = spelled(name, row, vars);
    for (let i = 0; i < n; i++) {
      const printed = compile(derivative(expr, vars[i]), { vars });
      for (const x of points.slice(0, 4)) {
        const want = (F!.grad(x) as Float64Array)[i];
        near(printed.eval(x) as number, want, 64 * EPS, `d/d${vars[i]} ${expr} printed as ${derivative(expr, vars[i])} at (${x})`, 64 * EPS);
      }
    }
  });

  if (row.wasm) {
    it("a fused reverse sweep over a vector agrees with forward mode", () => {
      const L = 33, r = random(op);
      const point = Array.from({ length: L }, () => row.domain[0][0] + (row.domain[0][1] - row.domain[0][0]) * r());
      // the second operand stays in the second domain: y = lo + (x − lo₀)·(hi − lo)/(hi₀ − lo₀)
      const [[lo0, hi0], [lo1, hi1] = [0, 1]] = row.domain;
      const k = (hi1 - lo1) / (hi0 - lo0);
      // times x, so that the group has two runs
      const body = (x: Node) => (n === 1 ? builder(name)(x) : builder(name)(x, x.sub(lo0).mul(k).add(lo1))).mul(x).sum();
      const V = fn(L, body);
      const inner = V as unknown as { graph: Parameters<typeof compileTape>[0]; outputIds: number[]; n: number };
      expect(compileTape(inner.graph, inner.outputIds, inner.n, false).fusedGroups, "fused groups").toBeGreaterThan(0);
      const reverse = V.grad(point, { mode: "reverse" }) as Float64Array, forward = V.grad(point, { mode: "forward" }) as Float64Array;
      for (let i = 0; i < L; i++) near(reverse[i], forward[i], 4 * EPS, `${name}: ∂/∂x${i}`, 4 * EPS);
    });
  }
});

describe.each(composites)("%s (composite)", (name, row) => {
  const points = pointsOf(row.domain, 12, name.length);
  const F = fn(row.arity, (x: Node) => builder(name)(...Array.from({ length: row.arity }, (_, i) => x.at(i))));

  it("is its expansion, in value and gradient (central differences)", () => {
    for (const x of points) {
      const want = row.expand(NUMBERS, ...x);
      expect(Object.is(F.eval(x) as number, want), `${name}(${x})`).toBe(true);
      expect(Object.is(builder(name)(...x) as unknown as number, want), `${name}(${x}) on numbers`).toBe(true);
      const g = F.grad(x) as Float64Array;
      for (let i = 0; i < row.arity; i++) near(g[i], central((y) => row.expand(NUMBERS, ...y), x, i), 1e-7, `∂${name}/∂x${i} at (${x})`, 1e-8);
    }
  });

  it("the printed derivative parses back and evaluates to the gradient", () => {
    const vars = ["a", "b", "c"].slice(0, row.arity);
    for (let i = 0; i < row.arity; i++) {
      const printed = compile(derivative(`${name}(${vars.join(", ")})`, vars[i]), { vars });
      for (const x of points.slice(0, 4)) near(printed.eval(x) as number, (F.grad(x) as Float64Array)[i], 64 * EPS, `d/d${vars[i]} ${name}`, 64 * EPS);
    }
  });
});

describe("pow's first-order rule in the core is the spec's where their forms branch (v = x^y below the normal range)", () => {
  // The spec's ∂/∂y is x^(y−1)·xlogy(x, x) there, else v·ln x; the core's op table writes both
  // forms again (assembly/core/rules.ts, Op.Pow): the same numbers, within rounding (as above)
  // and a few subnormal steps, in both modes. (v·ln x from a subnormal v was 12 steps off.)
  const F = fn(2, (x: Node) => x.at(0).pow(x.at(1)));
  it.each([[1e-200, 1.6], [1e-310, 1.2], [0.5, 1030.3], [0.5, 1080], [1e-300, 1.0000001], [3, 2.5], [2, -1100]])("at (%d, %d)", (a, b) => {
    const { partials } = partialsAt("pow", a, b);
    for (const mode of ["forward", "reverse"] as const) {
      const g = F.grad([a, b], { mode }) as Float64Array;
      for (let i = 0; i < 2; i++) near(g[i], partials[i], 8 * EPS, `∂/∂${"xy"[i]} at (${a}, ${b}) (${mode})`, 8 * 4.9e-324);
    }
  });
});
