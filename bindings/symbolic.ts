// Symbolic derivatives on the graph: each op's partials as graph nodes, and the
// gradient of a scalar output as new graph nodes (reverse accumulation done
// symbolically). Differentiating that gradient again — by forward mode in the
// core — gives exact Hessians, Hessian-vector products and Laplacians with no
// second-derivative table to keep in step.
//
// SYMBOLIC_PARTIALS mirrors the numeric partials of assembly/rules.ts and
// assembly/blocks.ts formula for formula; test/second-order.test.ts checks that
// they agree for every op.
import { CONST, Op, PROJ, isBlock, opArity } from "./ops.js";
import type { Graph } from "./graph.js";

const LN2 = 0.6931471805599453;
const LN10 = 2.302585092994046;

/** ∂v/∂a and ∂v/∂b (−1 for unary ops) of v = op(a, b), as graph nodes. */
type PartialRule = (g: Graph, a: number, b: number, v: number) => [number, number];

const c = (g: Graph, x: number) => g.constant(x);
const add = (g: Graph, a: number, b: number) => g.apply(Op.Add, a, b);
const sub = (g: Graph, a: number, b: number) => g.apply(Op.Sub, a, b);
const mul = (g: Graph, a: number, b: number) => g.apply(Op.Mul, a, b);
const div = (g: Graph, a: number, b: number) => g.apply(Op.Div, a, b);
const neg = (g: Graph, a: number) => g.apply(Op.Neg, a);
const sq = (g: Graph, a: number) => mul(g, a, a);
const fn1 = (g: Graph, op: number, a: number) => g.apply(op, a);

/** ½(1 + sign(d)): 1 where d > 0, ½ where d = 0, 0 where d < 0 — the min/max partials. */
const step = (g: Graph, d: number) => mul(g, c(g, 0.5), add(g, c(g, 1), fn1(g, Op.Sign, d)));

export const SYMBOLIC_PARTIALS: Readonly<Record<number, PartialRule>> = {
  [Op.Add]: (g) => [c(g, 1), c(g, 1)],
  [Op.Sub]: (g) => [c(g, 1), c(g, -1)],
  [Op.Mul]: (_g, a, b) => [b, a],
  [Op.Div]: (g, _a, b, v) => [div(g, c(g, 1), b), neg(g, div(g, v, b))],
  [Op.Neg]: (g) => [c(g, -1), -1],
  [Op.Pow]: (g, a, b, v) => [mul(g, b, g.apply(Op.Pow, a, sub(g, b, c(g, 1)))), mul(g, v, fn1(g, Op.Log, a))],
  [Op.Sin]: (g, a) => [fn1(g, Op.Cos, a), -1],
  [Op.Cos]: (g, a) => [neg(g, fn1(g, Op.Sin, a)), -1],
  [Op.Tan]: (g, _a, _b, v) => [add(g, c(g, 1), sq(g, v)), -1],
  [Op.Asin]: (g, a) => [div(g, c(g, 1), fn1(g, Op.Sqrt, sub(g, c(g, 1), sq(g, a)))), -1],
  [Op.Acos]: (g, a) => [neg(g, div(g, c(g, 1), fn1(g, Op.Sqrt, sub(g, c(g, 1), sq(g, a))))), -1],
  [Op.Atan]: (g, a) => [div(g, c(g, 1), add(g, c(g, 1), sq(g, a))), -1],
  [Op.Sinh]: (g, a) => [fn1(g, Op.Cosh, a), -1],
  [Op.Cosh]: (g, a) => [fn1(g, Op.Sinh, a), -1],
  [Op.Tanh]: (g, _a, _b, v) => [sub(g, c(g, 1), sq(g, v)), -1],
  [Op.Asinh]: (g, a) => [div(g, c(g, 1), fn1(g, Op.Sqrt, add(g, sq(g, a), c(g, 1)))), -1],
  [Op.Acosh]: (g, a) => [div(g, c(g, 1), mul(g, fn1(g, Op.Sqrt, sub(g, a, c(g, 1))), fn1(g, Op.Sqrt, add(g, a, c(g, 1))))), -1],
  [Op.Atanh]: (g, a) => [div(g, c(g, 1), sub(g, c(g, 1), sq(g, a))), -1],
  [Op.Exp]: (_g, _a, _b, v) => [v, -1],
  [Op.Expm1]: (g, a) => [fn1(g, Op.Exp, a), -1],
  [Op.Log]: (g, a) => [div(g, c(g, 1), a), -1],
  [Op.Log1p]: (g, a) => [div(g, c(g, 1), add(g, c(g, 1), a)), -1],
  [Op.Log2]: (g, a) => [div(g, c(g, 1), mul(g, a, c(g, LN2))), -1],
  [Op.Log10]: (g, a) => [div(g, c(g, 1), mul(g, a, c(g, LN10))), -1],
  [Op.Sqrt]: (g, _a, _b, v) => [div(g, c(g, 0.5), v), -1],
  [Op.Cbrt]: (g, _a, _b, v) => [div(g, c(g, 1), mul(g, mul(g, c(g, 3), v), v)), -1],
  [Op.Abs]: (g, a) => [fn1(g, Op.Sign, a), -1],
  [Op.Sign]: (g, a) => [mul(g, a, c(g, 0)), -1],
  [Op.Atan2]: (g, a, b) => {
    const r2 = add(g, sq(g, b), sq(g, a));
    return [div(g, b, r2), div(g, neg(g, a), r2)];
  },
  [Op.Hypot]: (g, a, b, v) => [div(g, a, v), div(g, b, v)],
  [Op.Min]: (g, a, b) => [step(g, sub(g, b, a)), step(g, sub(g, a, b))],
  [Op.Max]: (g, a, b) => [step(g, sub(g, a, b)), step(g, sub(g, b, a))],
};

/**
 * Gradient of the scalar node `output` with respect to inputs 0 … nIn−1, as graph
 * nodes (added to `g`): one reverse sweep over the graph, each node's adjoint the
 * sum of ∂·adjoint over its consumers.
 */
export function gradientNodes(g: Graph, output: number, nIn: number): number[] {
  const adjoint = new Map<number, number>();
  const accumulate = (id: number, contribution: number) => {
    if (g.op[id] === CONST) return;
    const prev = adjoint.get(id);
    adjoint.set(id, prev === undefined ? contribution : add(g, prev, contribution));
  };
  adjoint.set(output, c(g, 1));
  // Adjoints of block results, gathered from their PROJ nodes (which come after the block).
  const resultAdjoints = new Map<number, (number | undefined)[]>();
  for (let id = output; id >= 0; id--) {
    const w = adjoint.get(id);
    const op = g.op[id];
    if (op === PROJ) {
      if (w !== undefined) (resultAdjoints.get(g.a[id]) ?? resultAdjoints.set(g.a[id], []).get(g.a[id])!)[g.b[id]] = w;
      continue;
    }
    if (isBlock(op)) {
      const ws = resultAdjoints.get(id);
      if (ws) blockAdjoints(g, id, ws, accumulate);
      continue;
    }
    if (w === undefined || op === CONST || op === Op.Input) continue;
    const a = g.a[id], b = g.b[id];
    const [pa, pb] = SYMBOLIC_PARTIALS[op](g, a, b, id);
    accumulate(a, mul(g, pa, w));
    if (opArity(op) === 2) accumulate(b, mul(g, pb, w));
  }
  return Array.from({ length: nIn }, (_, i) => adjoint.get(g.input(i)) ?? c(g, 0));
}

/** The reverse rules of det, inv, solve and sum (assembly/blocks.ts), on graph nodes. */
function blockAdjoints(g: Graph, id: number, ws: readonly (number | undefined)[],
                       accumulate: (id: number, contribution: number) => void): void {
  const op = g.op[id], args = g.args.get(id)!;
  if (op === Op.Sum) { // āᵢ += w̄
    const w = ws[0];
    if (w !== undefined) for (const a of args) accumulate(a, w);
    return;
  }
  const k = op === Op.Solve ? Math.round((Math.sqrt(1 + 4 * args.length) - 1) / 2) : Math.round(Math.sqrt(args.length));
  const A = args.slice(0, k * k);
  const zero = c(g, 0);
  const w = (i: number) => ws[i] ?? zero;
  const sum = (terms: number[]) => terms.reduce((s, t) => add(g, s, t));
  if (op === Op.Det) { // Ā_ij = w̄ · d · X_ji
    const X = g.block(Op.Inv, A, k * k), d = g.block(Op.Det, A, 1)[0];
    const wd = mul(g, w(0), d);
    for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) accumulate(A[i * k + j], mul(g, wd, X[j * k + i]));
  } else if (op === Op.Inv) { // Ā = −Xᵀ W̄ Xᵀ
    const X = g.block(Op.Inv, A, k * k);
    const P: number[] = []; // P = W̄ Xᵀ
    for (let m = 0; m < k; m++) for (let j = 0; j < k; j++) {
      P.push(sum(Array.from({ length: k }, (_, n) => mul(g, w(m * k + n), X[j * k + n]))));
    }
    for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) {
      accumulate(A[i * k + j], neg(g, sum(Array.from({ length: k }, (_, m) => mul(g, X[m * k + i], P[m * k + j])))));
    }
  } else { // b̄ = A⁻ᵀ x̄, Ā = −b̄ xᵀ
    const b = args.slice(k * k);
    const x = g.block(Op.Solve, args, k);
    const At = Array.from({ length: k * k }, (_, t) => A[(t % k) * k + Math.floor(t / k)]);
    const bbar = g.block(Op.Solve, [...At, ...Array.from({ length: k }, (_, i) => w(i))], k);
    for (let i = 0; i < k; i++) {
      accumulate(b[i], bbar[i]);
      for (let j = 0; j < k; j++) accumulate(A[i * k + j], neg(g, mul(g, bbar[i], x[j])));
    }
  }
}
