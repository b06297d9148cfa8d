// Symbolic derivatives on the graph: each op's partials as graph nodes, and the
// gradient of a scalar output as new graph nodes (reverse accumulation done
// symbolically). Differentiating that gradient again — by forward mode in the
// core — gives exact Hessians, Hessian-vector products and Laplacians with no
// second-derivative table to keep in step.
//
// The partials are the spec's (ops/spec.ts), instantiated on graph nodes; the
// core's numeric rules (assembly/core/rules.ts, blocks.ts) are held to the same
// rows by test/ops/spec.test.ts. As there, a partial may come with a scale s (∂ = partial/s), and an adjoint
// term is (partial·w̄)/s, so that neither the gradient's nodes nor their
// derivatives leave the double range where the result does not (∂ log a is
// w̄/a, not (1/a)·w̄; ∂ atan a is ((1/h)·w̄)/h, h = hypot(a, 1)).
import { CONST, FLAT, OP_NAMES, Op, PROJ, isBlock, opArity, opCode } from "../ops/grammar.js";
import { PRIMITIVES, zeroElse, type Algebra, type PartialRule, type Row } from "../ops/spec.js";
import { InternalError } from "../base/errors.js";
import { blockOrder, type Graph } from "./graph.js";
import { hostPartials } from "./host-blocks.js";

/** The spec's algebra over graph nodes: each operation a node of `g`. */
function nodes(g: Graph): Algebra<number> {
  const A: Algebra<number> = {
    num: (x) => g.constant(x),
    add: (a, b) => g.apply(Op.Add, a, b),
    sub: (a, b) => g.apply(Op.Sub, a, b),
    mul: (a, b) => g.apply(Op.Mul, a, b),
    div: (a, b) => g.apply(Op.Div, a, b),
    neg: (a) => g.apply(Op.Neg, a),
    call: (name, a, b = -1) => g.apply(opCode(name), a, b),
    keep: (x, guard) => g.apply(Op.Keep, x, guard),
    // Keep on both sides, so neither branch's NaN or ∞ (nor its derivatives') reaches the other's points.
    select: (where, x, y) => A.add(A.keep(x, where), A.keep(y, A.sub(A.num(1), where))),
  };
  return A;
}

/** The partial rule of a scalar op code, from its spec row. */
function ruleOf(op: number): PartialRule {
  const row: Row = PRIMITIVES[OP_NAMES[op]];
  if (row.kind !== "scalar") throw new InternalError(`op ${OP_NAMES[op]} has no scalar rule`);
  return row.partials;
}

/**
 * Gradient of the scalar node `output` with respect to inputs 0 … nIn−1, as graph
 * nodes (added to `g`): one reverse sweep over the graph, each node's adjoint the
 * sum of ∂·adjoint over its consumers.
 */
export function gradientNodes(g: Graph, output: number, nIn: number): number[] {
  const A = nodes(g), c = A.num, add = A.add, mul = A.mul, div = A.div;
  const adjoint = new Map<number, number>();
  const accumulate = (id: number, contribution: number) => {
    if (g.op[id] === CONST) return;
    const prev = adjoint.get(id);
    adjoint.set(id, prev === undefined ? contribution : add(prev, contribution));
  };
  adjoint.set(output, c(1));
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
      if (ws) blockAdjoints(g, A, id, ws, accumulate);
      continue;
    }
    if (w === undefined || op === CONST || op === Op.Input || FLAT[op]) continue; // (a comparison passes nothing on)
    const a = g.a[id], b = g.b[id];
    if (op === Op.Keep) { // w̄ where the guard b ≠ 0, even a NaN or infinite one, and 0 elsewhere
      accumulate(a, zeroElse(A, w, b)); // (+0 where b is 0, as the sweeps' mask: Keep's own value there is −0)
      continue;
    }
    const p = ruleOf(op)(A, a, b, id);
    // (∂·w̄)/s: multiplied before divided, so the term stays in range where it is
    const term = (partial: number) => (p.scale === undefined ? mul(partial, w) : div(mul(partial, w), p.scale));
    accumulate(a, term(p.a));
    if (opArity(op) === 2) accumulate(b, term(p.b!));
  }
  return Array.from({ length: nIn }, (_, i) => adjoint.get(g.input(i)) ?? c(0));
}

/** The reverse rules of det, inv, solve and sum (assembly/core/blocks.ts), on graph nodes. */
function blockAdjoints(g: Graph, nodes: Algebra<number>, id: number, ws: readonly (number | undefined)[],
                       accumulate: (id: number, contribution: number) => void): void {
  const add = nodes.add, mul = nodes.mul, neg = nodes.neg;
  const op = g.op[id], args = g.args.get(id)!;
  if (op === Op.Sum) { // āᵢ += w̄
    const w = ws[0];
    if (w !== undefined) for (const a of args) accumulate(a, w);
    return;
  }
  if (op === Op.Host) { // āᵢ += ∂ᵢ·w̄, by the host block's own partials (one result)
    const w = ws[0], partials = hostPartials(g, id);
    if (w !== undefined) args.slice(1).forEach((a, i) => accumulate(a, mul(partials[i], w)));
    return;
  }
  const k = blockOrder(g, id);
  const A = args.slice(0, k * k);
  const zero = nodes.num(0);
  const w = (i: number) => ws[i] ?? zero;
  const sum = (terms: number[]) => terms.reduce((s, t) => add(s, t));
  if (op === Op.Det) { // Ā_ij = w̄ · d · X_ji
    const X = g.block(Op.Inv, A, k * k), d = g.block(Op.Det, A, 1)[0];
    const wd = mul(w(0), d);
    for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) accumulate(A[i * k + j], mul(wd, X[j * k + i]));
  } else if (op === Op.Inv) { // Ā = −Xᵀ W̄ Xᵀ
    const X = g.block(Op.Inv, A, k * k);
    const P: number[] = []; // P = W̄ Xᵀ
    for (let m = 0; m < k; m++) for (let j = 0; j < k; j++) {
      P.push(sum(Array.from({ length: k }, (_, n) => mul(w(m * k + n), X[j * k + n]))));
    }
    for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) {
      accumulate(A[i * k + j], neg(sum(Array.from({ length: k }, (_, m) => mul(X[m * k + i], P[m * k + j])))));
    }
  } else { // b̄ = A⁻ᵀ x̄, Ā = −b̄ xᵀ
    const b = args.slice(k * k);
    const x = g.block(Op.Solve, args, k);
    const At = Array.from({ length: k * k }, (_, t) => A[(t % k) * k + Math.floor(t / k)]);
    const bbar = g.block(Op.Solve, [...At, ...Array.from({ length: k }, (_, i) => w(i))], k);
    for (let i = 0; i < k; i++) {
      accumulate(b[i], bbar[i]);
      for (let j = 0; j < k; j++) accumulate(A[i * k + j], neg(mul(bbar[i], x[j])));
    }
  }
}
