// The front end, the IR and the compiler on their own: parse to a graph, fold
// constants, build the symbolic gradient, schedule a tape, plan fusion and
// color a sparse Jacobian — with nothing that loads the WebAssembly core
// (test/unit/layers.test.ts proves the imports; this file imports no
// runtime/ module, so the core is never instantiated here). Constants fold by
// the spec's JavaScript values (ops/fold.ts) until a runtime installs the core's.
import { describe, expect, it } from "vitest";
import { parseExpression, type ExprSink } from "../../bindings/front/parse.js";
import { Graph } from "../../bindings/ir/graph.js";
import { gradientNodes } from "../../bindings/ir/gradient.js";
import { colorColumns } from "../../bindings/ir/sparsity.js";
import { compileTape } from "../../bindings/compiler/tape.js";
import { adjointPlan } from "../../bindings/compiler/adjoint-plan.js";
import { BROADCAST_B, CONTIGUOUS, FIRST_A, FIRST_B, READS_SUM, READ_BY_RUN, SEGMENT_SHIFT, FUSE_BEGIN, FUSE_END, Op, RUN_SHIFT, SUM_PULLED, UNARY_FUNCTIONS, BINARY_FUNCTIONS, type UnaryName, type BinaryName } from "../../bindings/ops/grammar.js";
import { partialsAt } from "../../bindings/ops/numbers.js";

/** A graph of scalar expressions over variables in order of appearance. */
function graphOf(src: string, vars: string[], g = new Graph()): number {
  const ops = { "+": Op.Add, "-": Op.Sub, "*": Op.Mul, "/": Op.Div, "^": Op.Pow } as const;
  const sink: ExprSink<number> = {
    number: (v) => g.constant(v),
    name: (name) => g.input(vars.includes(name) ? vars.indexOf(name) : vars.push(name) - 1),
    negate: (a) => g.apply(Op.Neg, a),
    binary: (op, a, b) => g.apply(ops[op], a, b),
    call: (fn, args) => (fn in UNARY_FUNCTIONS ? g.apply(UNARY_FUNCTIONS[fn as UnaryName], args[0]) : g.apply(BINARY_FUNCTIONS[fn as BinaryName], args[0], args[1])),
    index: () => { throw new Error("scalars only"); },
  };
  return parseExpression(src, sink);
}

/** Evaluates a graph node at numbers by the spec's rules (the oracle, no core). */
function evaluate(g: Graph, id: number, x: readonly number[]): number {
  const op = g.op[id];
  if (g.isConstant(id)) return g.value[id];
  if (op === Op.Input) return x[g.a[id]];
  const a = evaluate(g, g.a[id], x), b = g.b[id] >= 0 ? evaluate(g, g.b[id], x) : 0;
  if (op <= Op.Neg) return [NaN, a + b, a - b, a * b, a / b, -a][op];
  throw new Error(`op ${op} not needed here`);
}

describe("the front end without the core", () => {
  it("folds constants by the spec's JavaScript values, and hash-conses repeated subexpressions", () => {
    const g = new Graph();
    expect(g.value[graphOf("2*3 + 1", [], g)]).toBe(7);
    const vars: string[] = [];
    const f = graphOf("x*y + x*y", vars, g);
    expect(g.a[f]).toBe(g.b[f]); // x*y built once
  });

  it("the symbolic gradient of x·y/(x − y), evaluated by the spec's rules, is the quotient rule's", () => {
    const g = new Graph(), vars: string[] = [];
    const f = graphOf("x*y/(x - y)", vars, g);
    const [dx, dy] = gradientNodes(g, f, 2);
    const x = [3, 1.25];
    const d = (x[0] - x[1]) ** 2;
    expect(evaluate(g, dx, x)).toBeCloseTo(-(x[1] ** 2) / d, 14);
    expect(evaluate(g, dy, x)).toBeCloseTo(x[0] ** 2 / d, 14);
  });

  it("schedules a tape: one instruction per computed node, constants in the pool, outputs named", () => {
    const g = new Graph(), vars: string[] = [];
    const f = graphOf("sin(x)*y + 2", vars, g);
    const t = compileTape(g, [f], 2);
    expect(t.instr.length / 4).toBe(5); // two inputs, sin, ·, +
    expect(Array.from(t.consts)).toEqual([2]);
    expect(t.outSlots.length).toBe(1);
  });

  it("plans fusion of a long elementwise chain into a WebAssembly module", () => {
    const g = new Graph(), n = 32;
    const x = Array.from({ length: n }, (_, i) => g.input(i));
    const up = x.map((xi) => g.apply(Op.Add, xi, g.constant(1))); // runs: each op over consecutive slots
    const terms = up.map((u, i) => g.apply(Op.Mul, u, x[i]));
    const total = g.block(Op.Sum, terms, 1)[0];
    const t = compileTape(g, [total], n, false);
    expect(t.fusedGroups).toBeGreaterThan(0);
    expect(WebAssembly.validate(t.fused!)).toBe(true);
  });

  it("colors a banded Jacobian's columns: three colors for a tridiagonal one", () => {
    const g = new Graph(), n = 12;
    const x = Array.from({ length: n }, (_, i) => g.input(i));
    const rows = x.map((xi, i) => g.apply(Op.Add, g.apply(Op.Mul, xi, x[Math.max(0, i - 1)]), x[Math.min(n - 1, i + 1)]));
    expect(colorColumns(g, rows, n, 8)?.count).toBe(3);
  });

  it("plans a reverse sweep's zeroing: the first pull into fresh rows zeroes them, later ones and reads reach zeroed rows", () => {
    // slots: 0–3 inputs x (a run of 4), 4–7 = x·x (a run), 8 = Σ 4–7 (contiguous), 9 = 8·x₀ (x₀ broadcast), output 9
    const L4 = 4 << RUN_SHIFT;
    const words = [
      Op.Input | L4, 0, 0, 1,
      Op.Mul | L4, 4, 0, 0,
      Op.Sum | CONTIGUOUS, 0, 2, 0,
      Op.Mul | BROADCAST_B, 9, 8, 0,
    ];
    const aux = [1, 8, 4, 4, 5, 6, 7];
    const { firsts, zeroRanges } = adjointPlan(words, aux, 10, 0, [9], null);
    // the last mul pulls first into 8 (fresh), while x₀, a broadcast operand, is added to; x·x and
    // its sum are a dot product: the run reads the sum's adjoint, and rows 4–7 are never touched;
    // x·x's pull into 0–3 is not first (x₀ was reached), so 0–3 are zeroed
    expect(firsts).toEqual([0, READS_SUM | (4 << SEGMENT_SHIFT), READ_BY_RUN, FIRST_A]);
    expect(zeroRanges).toEqual([0, 4, 9, 10]); // and the output, whose seed is added
    // two sums right after the run, over 4–5 and 6–7 into 8 and 9 (k-means' row sums): the same,
    // stretches of 2; terms out of order, or results apart, are left to the sums
    const rowSums = (terms2: number, result2: number) => adjointPlan([
      Op.Input | L4, 0, 0, 1,
      Op.Mul | L4, 4, 0, 0,
      Op.Sum | CONTIGUOUS, 0, 2, 0,
      Op.Sum | CONTIGUOUS, 5, 7, 0,
      Op.Add, 10, 8, 9,
    ], [1, 8, 2, 4, 5, 1, result2, 2, terms2, terms2 + 1], 12, 0, [10], null).firsts;
    expect(rowSums(6, 9)).toEqual([0, READS_SUM | (2 << SEGMENT_SHIFT) | FIRST_A, READ_BY_RUN, READ_BY_RUN, FIRST_A | FIRST_B]);
    expect(rowSums(6, 11)[1] & READS_SUM).toBe(0); // (the second sum into slot 11: not 9)
    expect(rowSums(4, 9)[1] & READS_SUM).toBe(0); // (both sums over 4–5)
    // with another instruction (10 = −x₀) between the run and its sum, the sum adds into its terms,
    // fresh, and −x₀'s pull is the first into x₀
    const apart = adjointPlan([
      Op.Input | L4, 0, 0, 1,
      Op.Mul | L4, 4, 0, 0,
      Op.Neg, 10, 0, 0,
      Op.Sum | CONTIGUOUS, 0, 2, 0,
      Op.Mul, 9, 8, 10,
    ], aux, 11, 0, [9], null);
    expect(apart.firsts).toEqual([0, 0, FIRST_A, FIRST_A, FIRST_A | FIRST_B]);
    expect(apart.zeroRanges).toEqual([1, 4, 9, 10]);
    // and with the products read elsewhere too (an output), no dot product either
    expect(adjointPlan(words, aux, 10, 0, [9, 5], null).firsts).toEqual([0, 0, 0, FIRST_A]);
    const noX0 = adjointPlan([Op.Input | L4, 0, 0, 1, Op.Mul | L4, 4, 0, 0], [], 8, 0, [4, 5, 6, 7], null);
    expect(noX0.firsts).toEqual([0, FIRST_A]);
    expect(noX0.zeroRanges).toEqual([4, 8]);
    // a fused group (x·x + x, its sum pulled in): the group's results stay in its locals and are
    // never zeroed; the inputs it adds into and the sum's row are
    const fused = adjointPlan([
      Op.Input | L4, 0, 0, 1,
      FUSE_BEGIN, 0, 2, 0,
      Op.Mul | L4, 4, 0, 0,
      Op.Add | L4, 8, 4, 0,
      FUSE_END, 0, 2, 0,
      Op.Sum | CONTIGUOUS, 0, 2, SUM_PULLED,
    ], [1, 12, 4, 8, 9, 10, 11], 13, 0, [12], [0, 4, 12, 13]);
    expect(fused.firsts).toEqual([0, 0, 0, 0, 0, 0]);
    expect(fused.zeroRanges).toEqual([0, 4, 12, 13]);
  });

  it("the spec's oracle gives partials with no core: ∂(a/b) = (1/b, −a/b²)", () => {
    const { value, partials } = partialsAt("div", 3, 4);
    expect(value).toBe(0.75);
    expect(partials).toEqual([0.25, -0.1875]);
  });
});
