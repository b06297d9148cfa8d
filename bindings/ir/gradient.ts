// Symbolic derivatives on the graph: each op's partials as graph nodes, and the
// gradient of a scalar output as new graph nodes (reverse accumulation done
// symbolically). Differentiating that gradient again — by forward mode in the
// core — gives exact Hessians, Hessian-vector products and Laplacians with no
// second-derivative table to keep in step.
//
// SYMBOLIC_PARTIALS mirrors the numeric partials of assembly/core/rules.ts and
// assembly/core/blocks.ts; test/api/second-order.test.ts checks that they agree for every
// op. As there, a partial may come with a scale s (∂ = partial/s), and an adjoint
// term is (partial·w̄)/s, so that neither the gradient's nodes nor their
// derivatives leave the double range where the result does not (∂ log a is
// w̄/a, not (1/a)·w̄; ∂ atan a is ((1/h)·w̄)/h, h = hypot(a, 1)).
import { CONST, Op, PROJ, isBlock, opArity } from "../ops/grammar.js";
import type { Graph } from "./graph.js";

const LN2 = 0.6931471805599453;
const LN10 = 2.302585092994046;

/** ∂v/∂a = a/scale and ∂v/∂b = b/scale (b −1 for unary ops, scale −1 for none) of v = op(a, b), as graph nodes. */
interface Partials { a: number; b: number; scale: number }
type PartialRule = (g: Graph, a: number, b: number, v: number) => Partials;

const c = (g: Graph, x: number) => g.constant(x);
const add = (g: Graph, a: number, b: number) => g.apply(Op.Add, a, b);
const sub = (g: Graph, a: number, b: number) => g.apply(Op.Sub, a, b);
const mul = (g: Graph, a: number, b: number) => g.apply(Op.Mul, a, b);
const div = (g: Graph, a: number, b: number) => g.apply(Op.Div, a, b);
const neg = (g: Graph, a: number) => g.apply(Op.Neg, a);
const sq = (g: Graph, a: number) => mul(g, a, a);
const fn1 = (g: Graph, op: number, a: number) => g.apply(op, a);
/** Keep(x, guard): x where guard ≠ 0, else 0 (its derivative too). */
const keep = (g: Graph, x: number, guard: number) => g.apply(Op.Keep, x, guard);

/** ½(1 + sign(d)): 1 where d > 0, ½ where d = 0, 0 where d < 0 — the min/max partials. */
const step = (g: Graph, d: number) => mul(g, c(g, 0.5), add(g, c(g, 1), fn1(g, Op.Sign, d)));
/** (1 − a)(1 + a): 1 − a² without its cancellation next to ±1. */
const oneMinusSquare = (g: Graph, a: number) => mul(g, sub(g, c(g, 1), a), add(g, c(g, 1), a));

/**
 * x where `where` is 1, y where it is 0: a select from two Keeps, so neither's NaN
 * or ∞ (nor its derivatives') reaches the other's points in forward mode. Reverse
 * mode still multiplies the branch not taken by its 0 adjoint, so its inputs are
 * made harmless there (`taken`): the "double where" of JAX, done inside the rules.
 */
const select = (g: Graph, where: number, x: number, y: number) => add(g, keep(g, x, where), keep(g, y, sub(g, c(g, 1), where)));
/** u where `where` is 1, else 1: an input at which a branch not taken stays finite. */
const taken = (g: Graph, where: number, u: number) => select(g, where, u, c(g, 1));
/** 1 where |u| ≤ |w|, else 0. */
const notLarger = (g: Graph, u: number, w: number) =>
  sub(g, c(g, 1), g.apply(Op.Max, fn1(g, Op.Sign, sub(g, fn1(g, Op.Abs, u), fn1(g, Op.Abs, w))), c(g, 0)));

/**
 * ∂(a^b)/∂a = b·a^(b−1) (0 where a = b = 0, as the core's rule, not 0·∞); where a^(b−2) overflows
 * (a tiny base: x^x at 1e-229), the derivative of a^(b−1) would too, though b times
 * it does not, so there (a, v ≠ 0) it is (b·v)/a, which never forms it. (Not
 * everywhere: that quotient's own derivative cancels where b ≈ 1.)
 */
function powBase(g: Graph, a: number, b: number, v: number): number {
  const one = c(g, 1), a2 = g.apply(Op.Pow, a, sub(g, b, c(g, 2)));
  const overflows = keep(g, one, sub(g, a2, a2)); // 1 where a^(b−2) is ∞ (or NaN): ∞ − ∞ is NaN, which Keep keeps
  const quotient = keep(g, keep(g, overflows, a), v), direct = sub(g, one, quotient);
  return select(g, quotient, div(g, mul(g, b, v), taken(g, quotient, a)),
    keep(g, mul(g, b, g.apply(Op.Pow, taken(g, direct, a), sub(g, b, one))), add(g, fn1(g, Op.Abs, a), fn1(g, Op.Abs, b))));
}

/**
 * ∂(a^b)/∂b = v·ln a, 0 where a = v = 0 (a = 0 < b, as the core's rule, not 0·∞);
 * where only v is 0 (it underflowed) its derivatives still flow.
 */
function powExponent(g: Graph, a: number, v: number): number {
  const either = add(g, fn1(g, Op.Abs, a), fn1(g, Op.Abs, v)), defined = keep(g, c(g, 1), either); // 1 unless a = v = 0
  return keep(g, mul(g, v, fn1(g, Op.Log, taken(g, defined, a))), either);
}

/**
 * ∂hypot(a, b)/∂a = a/h, written so that its own derivatives are single terms: a/h
 * where |a| ≤ |b|, and sign(a)/hypot(1, b/a) where |a| > |b| (there a/h's derivative
 * (h − a·a/h)/h² would cancel: the Hessian of hypot(1, y) at y = 1e6 to 1e-4).
 */
function hypotPartial(g: Graph, a: number, b: number, h: number): number {
  const near = notLarger(g, a, b), far = sub(g, c(g, 1), near), a1 = taken(g, far, a);
  return select(g, near, div(g, a, h), div(g, fn1(g, Op.Sign, a1), g.apply(Op.Hypot, c(g, 1), div(g, b, a1))));
}

/**
 * tanh′ a = 1/cosh² a where |a| ≤ 20 (its derivative −2 sinh/cosh³ a single term,
 * exact next to 0), and sech² a with sech = 2e/(1 + e²), e = e^−|a|, beyond, where
 * cosh would overflow (|a| > 710) and its derivative with it, and a reverse sweep
 * over 1/cosh² would carry sech⁴, which underflows for |a| > 186.
 */
function tanhPartial(g: Graph, a: number): number {
  const near = notLarger(g, a, c(g, 20)), far = sub(g, c(g, 1), near);
  const ch = fn1(g, Op.Cosh, taken(g, near, a));
  const e = fn1(g, Op.Exp, neg(g, fn1(g, Op.Abs, taken(g, far, a)))), sech = div(g, mul(g, c(g, 2), e), add(g, c(g, 1), mul(g, e, e)));
  return select(g, near, div(g, c(g, 1), mul(g, ch, ch)), mul(g, sech, sech));
}

const plain = (a: number, b = -1): Partials => ({ a, b, scale: -1 });
const scaled = (a: number, scale: number, b = -1): Partials => ({ a, b, scale });

export const SYMBOLIC_PARTIALS: Readonly<Record<number, PartialRule>> = {
  [Op.Add]: (g) => plain(c(g, 1), c(g, 1)),
  [Op.Sub]: (g) => plain(c(g, 1), c(g, -1)),
  [Op.Mul]: (_g, a, b) => plain(b, a),
  [Op.Div]: (g, _a, b, v) => scaled(c(g, 1), b, neg(g, v)),
  [Op.Neg]: (g) => plain(c(g, -1)),
  [Op.Pow]: (g, a, b, v) => plain(powBase(g, a, b, v), powExponent(g, a, v)),
  [Op.Sin]: (g, a) => plain(fn1(g, Op.Cos, a)),
  [Op.Cos]: (g, a) => plain(neg(g, fn1(g, Op.Sin, a))),
  [Op.Tan]: (g, _a, _b, v) => plain(add(g, c(g, 1), sq(g, v))),
  [Op.Asin]: (g, a) => scaled(c(g, 1), fn1(g, Op.Sqrt, oneMinusSquare(g, a))),
  [Op.Acos]: (g, a) => scaled(c(g, -1), fn1(g, Op.Sqrt, oneMinusSquare(g, a))),
  [Op.Atan]: (g, a) => {
    const h = g.apply(Op.Hypot, a, c(g, 1));
    return scaled(div(g, c(g, 1), h), h);
  },
  [Op.Sinh]: (g, a) => plain(fn1(g, Op.Cosh, a)),
  [Op.Cosh]: (g, a) => plain(fn1(g, Op.Sinh, a)),
  [Op.Tanh]: (g, a) => plain(tanhPartial(g, a)),
  [Op.Asinh]: (g, a) => scaled(c(g, 1), g.apply(Op.Hypot, a, c(g, 1))),
  [Op.Acosh]: (g, a) => scaled(c(g, 1), mul(g, fn1(g, Op.Sqrt, sub(g, a, c(g, 1))), fn1(g, Op.Sqrt, add(g, a, c(g, 1))))),
  [Op.Atanh]: (g, a) => scaled(c(g, 1), oneMinusSquare(g, a)),
  [Op.Exp]: (_g, _a, _b, v) => plain(v),
  [Op.Expm1]: (g, a) => plain(fn1(g, Op.Exp, a)),
  [Op.Log]: (g, a) => scaled(c(g, 1), a),
  [Op.Log1p]: (g, a) => scaled(c(g, 1), add(g, c(g, 1), a)),
  [Op.Log2]: (g, a) => scaled(c(g, 1), mul(g, a, c(g, LN2))),
  [Op.Log10]: (g, a) => scaled(c(g, 1), mul(g, a, c(g, LN10))),
  [Op.Sqrt]: (g, _a, _b, v) => scaled(c(g, 0.5), v),
  [Op.Cbrt]: (g, _a, _b, v) => scaled(c(g, 1), mul(g, mul(g, c(g, 3), v), v)),
  [Op.Abs]: (g, a) => plain(fn1(g, Op.Sign, a)),
  [Op.Sign]: (g, a) => plain(mul(g, a, c(g, 0))),
  [Op.Atan2]: (g, a, b) => { // b/h and −a/h scaled by h = hypot(a, b): no a² + b², nor a/h², to under- or overflow
    const h = g.apply(Op.Hypot, a, b);
    return scaled(div(g, b, h), h, neg(g, div(g, a, h)));
  },
  // a/v and b/v, not a·(w̄/v): the quotients are bounded by 1, and so are their derivatives by 1/v,
  // where w̄/v alone would have derivatives of 1/v² (out of range for v below 1e-154).
  [Op.Hypot]: (g, a, b, v) => plain(hypotPartial(g, a, b, v), hypotPartial(g, b, a, v)),
  [Op.Min]: (g, a, b) => plain(step(g, sub(g, b, a)), step(g, sub(g, a, b))),
  [Op.Max]: (g, a, b) => plain(step(g, sub(g, a, b)), step(g, sub(g, b, a))),
  // The adjoint passes to a where b ≠ 0 (gradientNodes), none to b: no partial to write.
  [Op.Keep]: (g) => plain(c(g, 1), c(g, 0)),
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
    if (op === Op.Keep) { // w̄ where the guard b ≠ 0, even a NaN or infinite one, and 0 elsewhere
      accumulate(a, keep(g, w, b));
      continue;
    }
    const p = SYMBOLIC_PARTIALS[op](g, a, b, id);
    const term = (partial: number) => (p.scale < 0 ? mul(g, partial, w) : div(g, mul(g, partial, w), p.scale));
    accumulate(a, term(p.a));
    if (opArity(op) === 2) accumulate(b, term(p.b));
  }
  return Array.from({ length: nIn }, (_, i) => adjoint.get(g.input(i)) ?? c(g, 0));
}

/** The reverse rules of det, inv, solve and sum (assembly/core/blocks.ts), on graph nodes. */
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
