// Taylor mode: the coefficients of f(x + t·v) = Σₖ cₖ tᵏ up to order K, by
// truncated power series pushed through the graph (Griewank & Walther,
// "Evaluating Derivatives", ch. 13). Every primitive goes through its spec row:
// for v = φ(a, b), v′ = ∂ₐφ·a′ + ∂ᵦφ·b′ along t, so
//
//   vₖ = (1/k) Σⱼ₌₁..ₖ j·(aⱼ·Pₐ[k−j] + bⱼ·Pᵦ[k−j])
//
// where Pₐ, Pᵦ are the series of the partials — the spec's partial rule run over
// this same series algebra, one order lower. That recursion (sin needs cos one
// order down, which needs sin one order below that) is memoized per operand
// series and order, so a primitive costs O(K²) per order reached, O(K³) in all.
// + − · / and negation use their exact series arithmetic directly; comparisons
// are constant along t away from their switch; Keep follows its guard's value.
import { InputError } from "../base/errors.js";
import { foldConstant } from "../ops/fold.js";
import { CONST, FLAT, OP_NAMES, Op, PROJ, isBlock, opArity, opCode } from "../ops/grammar.js";
import { PRIMITIVES, type Algebra, type Row, type ScalarName } from "../ops/spec.js";
import { eachOperand, type Graph } from "./graph.js";

type Series = Float64Array;

/**
 * The series algebra: operations truncate to their operands' common length, and
 * numbers are as long as the rule being run needs (`width`). Calls of
 * primitives are memoized by their operands' coefficients. Series are never
 * written once made.
 */
function seriesAlgebra(width: number): Algebra<Series> & { apply(name: ScalarName, a: Series, b: Series): Series } {
  const memo = new Map<string, Series>();
  const numbers = new Map<string, Series>();
  const zeros = new Float64Array(width);
  /** A series' coefficients as a key: equal series made twice (a rule's operands, rebuilt one order down) are one entry. */
  const keyOf = (s: Series, m: number) => Array.from(s.subarray(0, m), (x) => (Object.is(x, -0) ? "-0" : String(x))).join(",");
  const lengthOf = (a: Series, b: Series) => Math.min(a.length, b.length);
  const add = (a: Series, b: Series) => { const m = lengthOf(a, b), s = new Float64Array(m); for (let k = 0; k < m; k++) s[k] = a[k] + b[k]; return s; };
  const sub = (a: Series, b: Series) => { const m = lengthOf(a, b), s = new Float64Array(m); for (let k = 0; k < m; k++) s[k] = a[k] - b[k]; return s; };
  const mul = (a: Series, b: Series) => {
    const m = lengthOf(a, b), s = new Float64Array(m);
    for (let k = 0; k < m; k++) { let t = 0; for (let j = 0; j <= k; j++) t += a[j] * b[k - j]; s[k] = t; }
    return s;
  };
  const div = (a: Series, b: Series) => { // q = a/b: qₖ = (aₖ − Σⱼ₌₁..ₖ bⱼ·qₖ₋ⱼ)/b₀
    const m = lengthOf(a, b), q = new Float64Array(m);
    for (let k = 0; k < m; k++) { let t = a[k]; for (let j = 1; j <= k; j++) t -= b[j] * q[k - j]; q[k] = t / b[0]; }
    return q;
  };
  const neg = (a: Series) => a.map((x) => -x);
  /** A primitive by its spec rule, to the operands' common length m. */
  const apply = (name: ScalarName, a: Series, b: Series): Series => {
    const m = lengthOf(a, b), key = `${name}(${keyOf(a, m)};${keyOf(b, m)})`;
    const known = memo.get(key);
    if (known) return known;
    const op = opCode(name), v = new Float64Array(m);
    v[0] = foldConstant(op, a[0], b[0]);
    if (m > 1 && !FLAT[op]) { // (a comparison is constant along t away from its switch)
      const row = PRIMITIVES[name] as Row;
      if (row.kind !== "scalar") throw new InputError(`${name} has no rule for Taylor mode`);
      const at = a.subarray(0, m - 1), bt = b.subarray(0, m - 1);
      const lower = apply(name, at, bt); // v to order m − 2, which the rule may read
      const outer = width;
      width = m - 1;
      const p = row.partials(A, at, bt, lower);
      const pa = p.scale ? div(p.a, p.scale) : p.a;
      const pb = opArity(op) === 2 ? (p.scale ? div(p.b!, p.scale) : p.b!) : undefined;
      width = outer;
      for (let k = 1; k < m; k++) {
        let t = 0;
        // (a zero coefficient adds nothing: not 0·NaN where a partial is undefined, ∂(a^3)/∂3 at a < 0)
        for (let j = 1; j <= k; j++) {
          if (a[j] !== 0) t += j * a[j] * pa[k - j];
          if (pb && b[j] !== 0) t += j * b[j] * pb[k - j];
        }
        v[k] = t / k;
      }
    }
    memo.set(key, v);
    return v;
  };
  const A: Algebra<Series> & { apply: typeof apply } = {
    num: (x) => {
      const key = `${Object.is(x, -0) ? "-0" : x}:${width}`;
      let s = numbers.get(key);
      if (!s) { s = new Float64Array(width); s[0] = x; numbers.set(key, s); }
      return s;
    },
    add, sub, mul, div, neg,
    call: (name, a, b) => apply(name, a, b ?? zeros.subarray(0, a.length)),
    keep: (x, guard) => (guard[0] !== 0 ? x : new Float64Array(x.length)),
    select: (where, x, y) => (where[0] !== 0 ? x : y),
    apply,
  };
  return A;
}

/**
 * cₖ of each output along v at x, k = 0 … K, output-major ([m, K + 1]): f(x + t·v) = Σ cₖ tᵏ.
 * Block ops other than sums (det, inv, solve, host blocks) are refused.
 */
export function taylorCoefficients(g: Graph, outputs: readonly number[], x: ArrayLike<number>, v: ArrayLike<number>, K: number): Float64Array {
  const m = K + 1, S = seriesAlgebra(m);
  const reached = new Uint8Array(g.size);
  for (const o of outputs) reached[o] = 1;
  for (let id = g.size - 1; id >= 0; id--) if (reached[id]) eachOperand(g, id, (operand) => { reached[operand] = 1; });
  const series = new Map<number, Series>();
  const zero = new Float64Array(m); // (the second operand of a unary op)
  for (let id = 0; id < g.size; id++) {
    if (!reached[id]) continue;
    const op = g.op[id];
    let s: Series;
    if (op === CONST) { s = new Float64Array(m); s[0] = g.value[id]; }
    else if (op === Op.Input) { s = new Float64Array(m); s[0] = x[g.a[id]]; if (m > 1) s[1] = v[g.a[id]]; }
    else if (op === PROJ) s = series.get(g.a[id])!;
    else if (isBlock(op)) {
      if (op !== Op.Sum) throw new InputError(`Taylor mode does not go through ${OP_NAMES[op]} yet (derivatives of any order take elementwise functions and sums)`);
      s = new Float64Array(m);
      for (const a of g.args.get(id)!) { const t = series.get(a)!; for (let k = 0; k < m; k++) s[k] += t[k]; }
    } else {
      const a = series.get(g.a[id])!, b = opArity(op) === 2 ? series.get(g.b[id])! : zero;
      switch (op) {
        case Op.Add: s = S.add(a, b); break;
        case Op.Sub: s = S.sub(a, b); break;
        case Op.Mul: s = S.mul(a, b); break;
        case Op.Div: s = S.div(a, b); break;
        case Op.Neg: s = S.neg(a); break;
        case Op.Keep: s = S.keep(a, b); break;
        default: s = S.apply(OP_NAMES[op] as ScalarName, a, b);
      }
    }
    series.set(id, s);
  }
  const out = new Float64Array(outputs.length * m);
  outputs.forEach((o, i) => out.set(series.get(o)!.subarray(0, m), i * m));
  return out;
}
