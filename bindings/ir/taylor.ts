// Taylor mode: the coefficients of f(x + t·v) = Σₖ cₖ tᵏ up to order K, by
// truncated power series pushed through the graph (Griewank & Walther,
// "Evaluating Derivatives", ch. 13). Every primitive goes through its spec row:
// for v = φ(a, b), v′ = (∂ₐφ·a′ + ∂ᵦφ·b′)/s along t (s the rule's scale, 1 if none), so
//
//   vₖ = qₖ₋₁/k,  q = (Σⱼ j·(aⱼ·Pₐ[· − j + 1] + bⱼ·Pᵦ[· − j + 1])) / S
//
// where Pₐ, Pᵦ, S are the series of the partials and scale — the spec's partial
// rule run over this same series algebra, one order lower — and the scale divides
// last, after the product with the tangent, as in the other modes (README,
// "Numerics"): atan′ at 10³⁰⁰ is (1/h)·ȧ/h, not (1/h²)·ȧ, which underflows. That
// recursion (sin needs cos one order down, which needs sin one order below that)
// is memoized per operand series and order, so a primitive costs O(K²) per order
// reached, O(K³) in all. + − · / and negation use their exact series arithmetic
// directly (a constant operand's coefficients past the first are not multiplied,
// as the other modes skip a constant's lane: x·0 at ∞ has derivative 0);
// comparisons are constant along t away from their switch; Keep follows its
// guard's value. sinc has its own series (sincSeries): its spec rule, written for
// first and second order, is neither exact nor cheap at high orders.
import { InputError } from "../base/errors.js";
import { foldConstant } from "../ops/fold.js";
import { CONST, FLAT, OP_NAMES, Op, PROJ, isBlock, opArity, opCode } from "../ops/grammar.js";
import { PRIMITIVES, type Algebra, type Row, type ScalarName } from "../ops/spec.js";
import { eachOperand, type Graph } from "./graph.js";
import { hostBlockOf } from "./host-blocks.js";
import { MIN_NORMAL } from "../base/doubles.js";

type Series = Float64Array;

/**
 * Whether pow's ∂a is taken as b·v scaled by a: where the spec's b·a^(b−1) (`pa`) leaves the
 * range but v = a^b does not (x^−0.5 at 10⁻³⁰⁰), as the core's rule (assembly/core/rules.ts, Op.Pow).
 */
function powScaled(a: number, b: number, v: number, pa: number): boolean {
  const m = Math.abs(pa);
  return !(m >= MIN_NORMAL && m <= Number.MAX_VALUE) && b !== 0 && a !== 0 && Number.isFinite(a)
    && Math.abs(v) >= MIN_NORMAL && Number.isFinite(v);
}

/** [sin(πx), cos(πx)], x reduced exactly (x − 2·round(x/2) and its quarter are exact), as the core's sinc reduces. */
function sinCosPi(x: number): [number, number] {
  if (!Number.isFinite(x)) return [NaN, NaN];
  if (Math.abs(x) >= 2 ** 52) return [0 * Math.sign(x), Math.abs(x) >= 2 ** 53 || x % 2 === 0 ? 1 : -1]; // whole numbers
  const r = x - 2 * Math.round(x / 2), q = Math.round(2 * r), f = r - q / 2; // r ∈ [−1, 1], f ∈ [−¼, ¼]
  const s = Math.sin(Math.PI * f), c = Math.cos(Math.PI * f);
  switch (q & 3) {
    case 0: return [s, c];
    case 1: return [c, -s];
    case 2: return [-s, -c];
    default: return [-c, s];
  }
}

/** π's rounding error relative to π: (π − Math.PI)/Math.PI. */
const PI_ERROR = 1.2246467991473532e-16 / Math.PI;

/**
 * dₙ = sinc⁽ⁿ⁾(x)/n!, n = 0 … K, for finite x. From x·sinc(x) = sin(πx)/π,
 * differentiated n times: x·dₙ + dₙ₋₁ = σₙ, σₙ = πⁿ⁻¹/n!·sin(πx + nπ/2). Run forward,
 * dₙ = (σₙ − dₙ₋₁)/x, while n ≤ π|x|, where it does not amplify rounding, and
 * backward, dₙ₋₁ = σₙ − x·dₙ, above (from d_N = 0 at an order N where the factors
 * π|x|/n damp that start's error below 10⁻²⁰·min(1, |x|), at least two orders above K:
 * near 0 the odd dₙ are |x| times the even ones): each direction stable where it
 * runs, so every dₙ is within a few ulp (an independent 80-digit reference:
 * test/fixtures/sinc-taylor.json). πⁿ⁻¹/n! carries π's rounding, corrected to first order.
 */
function sincDerivatives(x: number, K: number): Float64Array {
  const d = new Float64Array(K + 1), [sin, cos] = sinCosPi(x);
  const factor = new Float64Array(K + 2); // πⁿ⁻¹/n!
  factor[0] = 1 / Math.PI;
  for (let n = 1; n <= K + 1; n++) factor[n] = factor[n - 1] * (Math.PI / n);
  /** σₙ; past the table (only the backward run's start, whose error is damped), without π's correction. */
  const sigma = (n: number) => {
    let f = factor[Math.min(n, K + 1)];
    for (let j = K + 2; j <= n; j++) f *= Math.PI / j;
    return f * (n <= K + 1 ? 1 + (n - 1) * PI_ERROR : 1) * [sin, cos, -sin, -cos][n & 3];
  };
  const reach = Math.PI * Math.abs(x);
  let top = -1; // the forward recurrence's last order
  if (reach >= 1) {
    top = Math.min(K, Math.floor(reach));
    d[0] = sigma(0) / x;
    for (let n = 1; n <= top; n++) d[n] = (sigma(n) - d[n - 1]) / x;
  }
  if (top < K) {
    let N = K, damping = 1;
    while (N < K + 2 || damping > 1e-20 * Math.min(1, Math.abs(x))) { N++; damping *= reach / N; }
    let dn = 0; // d_N, taken as 0
    for (let n = N; n > top + 1; n--) {
      const below = sigma(n) - x * dn;
      dn = below;
      if (n - 1 <= K) d[n - 1] = below;
    }
  }
  return d;
}

/**
 * sinc's series at a (v[0], its value, already set): Σₙ dₙ·hⁿ with h = a − a₀ and
 * dₙ = sinc⁽ⁿ⁾(a₀)/n! (sincDerivatives), powers of h by series products whose
 * zero coefficients take no part (h = v·t for a variable: one term each). O(K³) at
 * most, O(K²) along a line. At ±∞ every derivative is 0 (as the rule's limit in
 * the other modes); at NaN, NaN.
 */
function sincSeries(a: Series, v: Series): void {
  const m = v.length, x = a[0];
  if (!Number.isFinite(x)) { v.fill(Number.isNaN(x) ? NaN : 0, 1); return; }
  const d = sincDerivatives(x, m - 1);
  const h = a.slice(0, m); h[0] = 0;
  let power = h; // hⁿ, whose coefficients below n are 0
  for (let n = 1; n < m; n++) {
    for (let k = n; k < m; k++) if (power[k] !== 0) v[k] += d[n] * power[k];
    if (n + 1 < m) {
      const next = new Float64Array(m);
      for (let i = n; i < m; i++) {
        if (power[i] === 0) continue;
        for (let j = 1; i + j < m; j++) if (h[j] !== 0) next[i + j] += power[i] * h[j];
      }
      power = next;
    }
  }
}

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
  // (b's zero coefficients take no part: not 0·∞ where q is infinite, a scale dividing last included)
  const div = (a: Series, b: Series) => { // q = a/b: qₖ = (aₖ − Σⱼ₌₁..ₖ bⱼ·qₖ₋ⱼ)/b₀
    const m = lengthOf(a, b), q = new Float64Array(m);
    for (let k = 0; k < m; k++) { let t = a[k]; for (let j = 1; j <= k; j++) if (b[j] !== 0) t -= b[j] * q[k - j]; q[k] = t / b[0]; }
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
    if (m > 1 && name === "sinc") sincSeries(a, v);
    else if (m > 1 && !FLAT[op]) { // (a comparison is constant along t away from its switch)
      const row = PRIMITIVES[name] as Row;
      if (row.kind !== "scalar") throw new InputError(`${name} has no rule for Taylor mode`);
      const at = a.subarray(0, m - 1), bt = b.subarray(0, m - 1);
      const lower = apply(name, at, bt); // v to order m − 2, which the rule may read
      const outer = width;
      width = m - 1;
      const p = row.partials(A, at, bt, lower);
      let pa = p.a, scaleA = p.scale;
      const pb = opArity(op) === 2 ? p.b! : undefined, scaleB = p.scale;
      if (name === "pow" && powScaled(at[0], bt[0], lower[0], pa[0])) { pa = mul(bt, lower); scaleA = at; } // ∂a = b·v scaled by a, as the core's
      width = outer;
      // The tangent's coefficients, each partial's product with its operand's before its scale divides.
      // (A zero coefficient adds nothing: not 0·NaN where a partial is undefined, ∂(a^3)/∂3 at a < 0.)
      const wa = new Float64Array(m - 1), wb = pb ? new Float64Array(m - 1) : undefined;
      for (let k = 1; k < m; k++) {
        let t = 0, u = 0;
        for (let j = 1; j <= k; j++) {
          if (a[j] !== 0) t += j * a[j] * pa[k - j];
          if (pb && b[j] !== 0) { if (scaleB === scaleA) t += j * b[j] * pb[k - j]; else u += j * b[j] * pb[k - j]; }
        }
        wa[k - 1] = t;
        if (wb) wb[k - 1] = u;
      }
      const q = scaleA ? div(wa, scaleA) : wa;
      if (wb && scaleB !== scaleA) { const r = scaleB ? div(wb, scaleB) : wb; for (let k = 0; k < m - 1; k++) q[k] += r[k]; }
      for (let k = 1; k < m; k++) v[k] = q[k - 1] / k;
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
    keep: (x, guard) => (guard[0] !== 0 ? x : keptOut(x.length)),
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
  const constant = new Uint8Array(g.size); // 1 where a node depends on no input: its coefficients past the first are 0 by structure
  const zero = new Float64Array(m); // (the second operand of a unary op)
  for (let id = 0; id < g.size; id++) {
    if (!reached[id]) continue;
    const op = g.op[id];
    let s: Series;
    if (op === CONST) { s = new Float64Array(m); s[0] = g.value[id]; constant[id] = 1; }
    else if (op === Op.Input) { s = new Float64Array(m); s[0] = x[g.a[id]]; if (m > 1) s[1] = v[g.a[id]]; }
    else if (op === PROJ) { s = series.get(g.a[id])!; constant[id] = constant[g.a[id]]; }
    else if (isBlock(op)) {
      if (op !== Op.Sum) {
        throw new InputError(`Taylor mode does not go through ${blockName(g, id)} yet (derivatives of any order take elementwise functions and sums)`);
      }
      s = new Float64Array(m);
      let all = 1;
      for (const a of g.args.get(id)!) { const t = series.get(a)!; all &= constant[a]; for (let k = 0; k < m; k++) s[k] += t[k]; }
      constant[id] = all;
    } else {
      const a = series.get(g.a[id])!, binary = opArity(op) === 2, b = binary ? series.get(g.b[id])! : zero;
      const ca = constant[g.a[id]] === 1, cb = !binary || constant[g.b[id]] === 1;
      constant[id] = ca && cb ? 1 : 0;
      switch (op) {
        case Op.Add: s = S.add(a, b); break;
        case Op.Sub: s = S.sub(a, b); break;
        // (a constant factor's or divisor's later coefficients, 0, are not multiplied: not 0·∞ where the other's are infinite)
        case Op.Mul: s = ca ? b.map((y) => a[0] * y) : cb ? a.map((y) => y * b[0]) : S.mul(a, b); break;
        case Op.Div: s = cb ? a.map((y) => y / b[0]) : S.div(a, b); break;
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

/** A block's name for a message: the op's (det), or a host block's ("scan", or a function defined by code). */
function blockName(g: Graph, id: number): string {
  if (g.op[id] !== Op.Host) return OP_NAMES[g.op[id]];
  const name = hostBlockOf(g, id).name;
  return name === "scan" ? name : `${name}, a function defined by code,`;
}

/** Keep's series where its guard is 0: the spec's value there (−0) in every coefficient, each added to the taken branch's leaving it as it is. */
function keptOut(width: number): Float64Array {
  return new Float64Array(width).fill(PRIMITIVES.keep.value(0, 0));
}
