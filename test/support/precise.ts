// A high-precision reference, independent of the library: the grammar read by a
// parser of its own (recursive descent, from the README's precedence table) and
// evaluated in 80-digit decimal arithmetic (decimal.js), and the random trees of
// test/support/arbitrary.ts evaluated with their exact gradients and Hessians
// (second-order dual numbers over the same arithmetic, with the textbook first
// and second partials of every function).
//
// Number literals stand for the doubles the library reads them as (their exact
// binary values), so "0.1" here is the double 0.1, not one tenth, as it is in
// the library's exact folding of printed derivatives; the constants pi and e are
// the real π and e (d/dx e^x is e^x). The reference has no rounding of its own
// worth counting (80 digits against 16).
import Decimal from "decimal.js";
import type { Tree } from "./arbitrary.js";

/** Decimal arithmetic at 80 significant digits, with exponents as wide as decimal.js allows. */
export const Dec = Decimal.clone({ precision: 80, rounding: Decimal.ROUND_HALF_EVEN, minE: -9e15, maxE: 9e15, toExpNeg: -7, toExpPos: 21 });
export type Dec = InstanceType<typeof Dec>;

const bits = new DataView(new ArrayBuffer(8));

/** The exact value of a double (NaN and ±Infinity as themselves). */
export function exactly(x: number): Dec {
  if (!Number.isFinite(x) || x === 0) return new Dec(x);
  bits.setFloat64(0, x);
  const word = bits.getBigUint64(0);
  const biased = Number((word >> 52n) & 0x7ffn), fraction = word & ((1n << 52n) - 1n);
  const mantissa = biased === 0 ? fraction : fraction | (1n << 52n), exponent = biased === 0 ? -1074 : biased - 1075;
  const m = new Dec((word >> 63n ? -mantissa : mantissa).toString());
  return exponent >= 0 ? m.times(new Dec(2).pow(exponent)) : m.div(new Dec(2).pow(-exponent));
}

const ZERO = new Dec(0), ONE = new Dec(1), TWO = new Dec(2);
const PI = Dec.acos(-1), E = Dec.exp(1);
const LN2 = Dec.ln(2), LN10 = Dec.ln(10);
/** Below this, expm1 and log1p take their series (exp(x) − 1 would cancel). */
const SERIES = new Dec("1e-12");

/**
 * Beyond this, e^x leaves decimal.js's exponent range (about 1e±9e15), and it would
 * spend its time finding that out: exp, sinh and cosh are ±∞ or 0 there, tanh ±1.
 */
const EXP_LIMIT = new Dec("2e16");
const huge = (x: Dec) => x.abs().gt(EXP_LIMIT);
const exp = (x: Dec) => (huge(x) ? (x.isPositive() ? new Dec(Infinity) : ZERO) : Dec.exp(x));
const expm1 = (x: Dec) => (x.abs().lt(SERIES) ? x.plus(x.pow(2).div(2)).plus(x.pow(3).div(6)).plus(x.pow(4).div(24)) : exp(x).minus(1));
const log1p = (x: Dec) => (x.abs().lt(SERIES) ? x.minus(x.pow(2).div(2)).plus(x.pow(3).div(3)).minus(x.pow(4).div(4)) : x.plus(1).ln());
/** pow as C defines it (the library's policy): 1^y = 1 and x^0 = 1, even for NaN. */
const pow = (a: Dec, b: Dec) => (a.eq(1) || b.isZero() ? ONE : Dec.pow(a, b));

/** 1/(1 + e^−x) over decimals, from the side where e^∓x cannot overflow. */
const logistic = (x: Dec) => (x.isPositive() ? ONE.div(exp(x.neg()).plus(1)) : exp(x).div(exp(x).plus(1)));

/** The grammar's scalar functions over decimals. */
export const FUNCTIONS: Readonly<Record<string, (...args: Dec[]) => Dec>> = {
  sin: (x) => Dec.sin(x), cos: (x) => Dec.cos(x), tan: (x) => Dec.tan(x),
  asin: (x) => Dec.asin(x), acos: (x) => Dec.acos(x), atan: (x) => Dec.atan(x),
  sinh: (x) => (huge(x) ? new Dec(x.isPositive() ? Infinity : -Infinity) : Dec.sinh(x)),
  cosh: (x) => (huge(x) ? new Dec(Infinity) : Dec.cosh(x)),
  // 1 − tanh x < 10^−digits once |x| > 1.2·digits: ±1 in this arithmetic, found without e^2x
  tanh: (x) => (x.abs().gt(1.2 * Dec.precision) ? new Dec(x.s) : Dec.tanh(x)),
  asinh: (x) => Dec.asinh(x), acosh: (x) => Dec.acosh(x), atanh: (x) => Dec.atanh(x),
  exp, expm1, log: (x) => Dec.ln(x), log1p, log2: (x) => Dec.log2(x), log10: (x) => Dec.log10(x),
  sqrt: (x) => Dec.sqrt(x), cbrt: (x) => Dec.cbrt(x), abs: (x) => Dec.abs(x), sign: (x) => new Dec(Dec.sign(x)),
  sigmoid: (x) => logistic(x),
  softplus: (x) => (x.isPositive() ? x.plus(log1p(exp(x.neg()))) : log1p(exp(x))),
  atan2: (y, x) => Dec.atan2(y, x), pow, hypot: (a, b) => Dec.hypot(a, b),
  min: (a, b) => (a.isNaN() || b.isNaN() ? new Dec(NaN) : a.lte(b) ? a : b),
  max: (a, b) => (a.isNaN() || b.isNaN() ? new Dec(NaN) : a.gte(b) ? a : b),
};

// ---------------------------------------------------------------------------
// The grammar, read independently: expr := term (± term)*, term := unary (*|/ unary)*,
// unary := (−|+) unary | power, power := atom (^ unary)?, atom := number | name |
// name(args) | (expr). So −x^2 is −(x^2), 2^3^2 is 2^9, x^-2 is x^(−2), −x*y is (−x)·y.

/** A parsed expression: the shape the library's parser reduces to (parse.ts's ExprSink). */
export type Parsed =
  | { k: "num"; v: number }
  | { k: "name"; name: string }
  | { k: "neg"; a: Parsed }
  | { k: "bin"; op: string; a: Parsed; b: Parsed }
  | { k: "call"; fn: string; args: Parsed[] };

/** Reads `src` in the grammar (scalar expressions: no indexing). Throws on anything else. */
export function parse(src: string): Parsed {
  const tokens = src.match(/(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|[A-Za-z_][A-Za-z0-9_]*|[-+*/^(),]|[<>=!]=|[<>]|\S/g) ?? [];
  let at = 0;
  const peek = () => tokens[at];
  const take = (t?: string) => {
    const got = tokens[at++];
    if (t !== undefined && got !== t) throw new Error(`expected '${t}' at token ${at - 1} of ${JSON.stringify(src)}, got '${got}'`);
    return got;
  };
  // (comparisons bind loosest and do not chain, as in the grammar: min's and max's derivatives print them)
  const comparison = (): Parsed => {
    const a = sum();
    return COMPARE[peek()] ? { k: "bin", op: take(), a, b: sum() } : a;
  };
  const expr = comparison;
  const sum = (): Parsed => {
    let a = term();
    while (peek() === "+" || peek() === "-") { const op = take(); a = { k: "bin", op, a, b: term() }; }
    return a;
  };
  const term = (): Parsed => {
    let a = unary();
    while (peek() === "*" || peek() === "/") { const op = take(); a = { k: "bin", op, a, b: unary() }; }
    return a;
  };
  const unary = (): Parsed => {
    if (peek() === "-") { take(); return { k: "neg", a: unary() }; }
    if (peek() === "+") { take(); return unary(); }
    return power();
  };
  const power = (): Parsed => {
    const a = atom();
    if (peek() !== "^") return a;
    take();
    return { k: "bin", op: "^", a, b: unary() };
  };
  const atom = (): Parsed => {
    const t = take();
    if (t === "(") { const a = expr(); take(")"); return a; }
    if (/^[\d.]/.test(t)) return { k: "num", v: Number(t) };
    if (!/^[A-Za-z_]/.test(t)) throw new Error(`unexpected '${t}' in ${JSON.stringify(src)}`);
    if (peek() !== "(") return { k: "name", name: t };
    take("(");
    const args = [expr()];
    while (peek() === ",") { take(); args.push(expr()); }
    take(")");
    return { k: "call", fn: t, args };
  };
  const result = expr();
  if (at !== tokens.length) throw new Error(`unexpected '${peek()}' in ${JSON.stringify(src)}`);
  return result;
}

/** Comparisons: 1 where they hold, else 0. */
const COMPARE: Readonly<Record<string, (a: Dec, b: Dec) => boolean>> = {
  "<": (a, b) => a.lt(b), "<=": (a, b) => a.lte(b), ">": (a, b) => a.gt(b), ">=": (a, b) => a.gte(b),
  "==": (a, b) => a.eq(b), "!=": (a, b) => !a.eq(b),
};

const BINARY: Readonly<Record<string, (a: Dec, b: Dec) => Dec>> = {
  "+": (a, b) => a.plus(b), "-": (a, b) => a.minus(b), "*": (a, b) => a.times(b), "/": (a, b) => a.div(b), "^": pow,
  ...Object.fromEntries(Object.entries(COMPARE).map(([op, holds]) => [op, (a: Dec, b: Dec) => new Dec(holds(a, b) ? 1 : 0)])),
};

/**
 * The value of a parsed expression at the named variables' values (doubles, taken
 * exactly), in `digits` significant digits; `peak`, the largest magnitude of any
 * value on the way; and `lost`, the most digits any sum cancelled (log10 of its
 * larger operand over its result: 1 − tanh(−690)² loses 600, ∞ for an exact 0).
 */
export function evaluateParsed(e: Parsed, vars: Readonly<Record<string, number>>, digits = 80): { value: Dec; peak: Dec; lost: number } {
  const previous = Dec.precision;
  Dec.set({ precision: digits });
  let peak = ZERO, lost = 0;
  const visit = (u: Parsed): Dec => {
    let r: Dec;
    switch (u.k) {
      case "num": r = exactly(u.v); break;
      case "name":
        if (u.name === "pi") r = Dec.acos(-1);
        else if (u.name === "e") r = Dec.exp(1);
        else if (!Object.hasOwn(vars, u.name)) throw new Error(`unknown variable ${u.name}`);
        else r = exactly(vars[u.name]);
        break;
      case "neg": r = visit(u.a).neg(); break;
      case "bin": {
        const a = visit(u.a), b = visit(u.b);
        r = BINARY[u.op](a, b);
        if ((u.op === "+" || u.op === "-") && r.isFinite()) {
          const larger = Dec.max(a.abs(), b.abs());
          if (!larger.isZero()) lost = Math.max(lost, r.isZero() ? Infinity : larger.div(r.abs()).log(10).toNumber());
        }
        break;
      }
      case "call": r = FUNCTIONS[u.fn](...u.args.map(visit)); break;
    }
    if (r.isFinite() && r.abs().gt(peak)) peak = r.abs();
    return r;
  };
  try {
    return { value: visit(e), peak, lost };
  } finally {
    Dec.set({ precision: previous });
  }
}

/** Most digits the reference uses (decimal.js's trigonometric functions refuse about 600). */
export const MAX_DIGITS = 500;

// ---------------------------------------------------------------------------
// Trees with exact first and second derivatives

/**
 * A value with its gradient g and Hessian H (exact, in decimals), and what a
 * double-precision evaluation of them may be off by:
 *
 * - `gTerms`, `hTerms`: the magnitudes of the terms the chain rule adds up (every
 *   partial and every sum in absolute value): the arithmetic's rounding is a small
 *   multiple of ε times these, whatever the order of summation;
 * - `err`, `gErr`, `hErr`: the error a double evaluation carries in from rounded
 *   values, to first order: each value is off by up to `err` (a few ulp per
 *   operation, passed on through the partials), and a partial evaluated at values
 *   that are off is off by as much as it changes there (found by evaluating it
 *   at the perturbed values, in decimals). At atan2(cbrt(x), x) for x = −1e-300,
 *   the double angle is π/2 to the ulp, where cos is 6e-17 instead of 1e-200:
 *   the gradient's error there is that of its partials, not of its sums.
 */
export interface Jet {
  v: Dec;
  err: number;
  g: Dec[];
  gTerms: number[];
  gErr: number[];
  H: Dec[][];
  hTerms: number[][];
  hErr: number[][];
  /**
   * Whether the double evaluation of this value or one it is made from is off by
   * more than 1e-3 of it: the error model is first order, and says nothing there.
   */
  wild: boolean;
  /** Whether v depends on a variable (a constant operand contributes no terms, not 0·NaN). */
  dep: boolean;
  /**
   * The largest first (second) derivative of any node on the way: a chain-rule
   * evaluation carries each node's derivatives, so one beyond the double range
   * (d/dx (e^x/x) at x = −1e-300 is −1e600) cannot be carried, even where a later
   * factor of 0 (sign′) makes the result small.
   */
  largestG: number;
  largestH: number;
  /**
   * The smallest nonzero |∂u/∂xᵢ| of any node u on the way (0 where one is below
   * the double range): forward mode carries these tangents, so one that underflows
   * (∂/∂y of z^cos y at y = −1e-300, z = 1e-300 is −7e-598) is 0 there, even where
   * a later partial (log′ = 1/(z^cos y) = 1e300) brings the exact result back into range.
   */
  smallestG: number;
  /**
   * The largest first (second) partial of any operation on the way: a double
   * evaluation multiplies by these, so one beyond the range (atan2's second partials
   * 1/r² at r = 1e-300) is ∞ there, and ∞·0 is NaN even where a min or a factor of 0
   * makes the exact result 0.
   */
  largestD1: number;
  largestD2: number;
  /**
   * The largest and smallest nonzero |∂f/∂u| over the nodes u on the way (of the
   * root jet only): reverse accumulation carries these adjoints, so one beyond the
   * double range (∂f/∂(x^y) = 2e-450 in atan2(y, x^y)² at x = 1e-150, y = −1)
   * cannot be carried, even where a later factor (∂(x^y)/∂x = −1e300) brings the
   * result back into range.
   */
  adjoints?: { largest: number; smallest: number };
  /**
   * What reverse accumulation (of the root jet only) carries into ∂f/∂xᵢ, beyond
   * gTerms and gErr, which follow forward mode: `terms`, Σ over the paths from f
   * to xᵢ of |the product of the partials on the way| (the sizes of the numbers
   * it adds), and `err`, the same sum with each partial's error in turn (an
   * adjoint carries its partials' errors into every operand separately, where a
   * tangent may cancel them first: in sin(atan2(y, y·x)) at y = −5e-166,
   * x = 2e-135, ∂atan2/∂y is exactly 0, but its two paths from y are 2.5e14
   * each, and cos at the rounded atan2 is 6e-17 where the exact is 2e-135).
   */
  reverse?: { terms: number[]; err: number[] };
  /**
   * The largest term of the adjoints' tangents ∂(∂f/∂u)/∂xⱼ over the nodes u (of the
   * root jet only), ẇ·∂u/∂a and w·∂²u/∂a∂b·∂b/∂xⱼ for each operand a of u (w = ∂f/∂u):
   * second order differentiates a reverse sweep, so it carries these, and one beyond
   * the double range is ∞ there though the Hessian entry is an ordinary number
   * (log10(1e-150·sin y / sin y) at y = −4e-150: w/b times ḃ/b, 2.7e448).
   */
  adjointTangents?: number;
  /** The operands' jets, first partials with their errors, and second partials by operand (for the adjoints). */
  operands: readonly { jet: Jet; d1: Dec; d1Err: number; d2: readonly Dec[] }[];
}

/** An operand with its first partial d1 and, per operand, second partials d2[j], and their errors. */
interface Part { jet: Jet; d1: Dec; d2: Dec[]; d1Err: number; d2Err: number[] }

/** The double epsilon, 2^-52; an arithmetic operation rounds by half of it, a library function by about one. */
const EPS = 2 ** -52;

const mag = (d: Dec) => Math.abs(d.toNumber());
/** A partial's magnitude times a term scale; a zero of either stays 0 (not ∞·0). */
const scaled = (m: number, terms: number) => (m === 0 || terms === 0 ? 0 : m * terms);
const zeros = (n: number) => new Array<number>(n).fill(0);

function combine(n: number, v: Dec, err: number, parts: readonly Part[]): Jet {
  const g = Array.from({ length: n }, () => ZERO), gTerms = zeros(n), gErr = zeros(n);
  const H = Array.from({ length: n }, () => Array.from({ length: n }, () => ZERO));
  const hTerms = Array.from({ length: n }, () => zeros(n)), hErr = Array.from({ length: n }, () => zeros(n));
  const live = parts.map((p, k) => ({ ...p, k })).filter((p) => p.jet.dep);
  for (const p of live) {
    const m1 = mag(p.d1), gAbs = p.jet.g.map(mag);
    for (let i = 0; i < n; i++) {
      g[i] = g[i].plus(p.d1.times(p.jet.g[i]));
      gTerms[i] += scaled(m1, p.jet.gTerms[i]);
      gErr[i] += scaled(m1, p.jet.gErr[i]) + scaled(p.d1Err, gAbs[i]);
      for (let j = 0; j < n; j++) {
        H[i][j] = H[i][j].plus(p.d1.times(p.jet.H[i][j]));
        hTerms[i][j] += scaled(m1, p.jet.hTerms[i][j]);
        hErr[i][j] += scaled(m1, p.jet.hErr[i][j]) + scaled(p.d1Err, mag(p.jet.H[i][j]));
      }
    }
    for (const q of live) {
      const d2 = p.d2[q.k], m2 = mag(d2), e2 = p.d2Err[q.k], qAbs = q.jet.g.map(mag);
      if (d2.isZero() && e2 === 0) continue;
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) {
          H[i][j] = H[i][j].plus(d2.times(p.jet.g[i]).times(q.jet.g[j]));
          hTerms[i][j] += scaled(scaled(m2, p.jet.gTerms[i]), q.jet.gTerms[j]);
          hErr[i][j] += scaled(scaled(e2, gAbs[i]), qAbs[j])
            + scaled(m2, scaled(p.jet.gErr[i], qAbs[j]) + scaled(gAbs[i], q.jet.gErr[j]));
        }
      }
    }
  }
  const largest = (ds: Dec[], own: number) => ds.reduce((m, d) => Math.max(m, mag(d)), own);
  const largestG = largest(g, Math.max(0, ...parts.map((p) => p.jet.largestG)));
  const smallestG = g.reduce((m, d) => (d.isZero() ? m : Math.min(m, mag(d))), Math.min(Infinity, ...parts.map((p) => p.jet.smallestG)));
  const largestH = largest(H.flat(), Math.max(0, ...parts.map((p) => p.jet.largestH)));
  // with d1Err: a partial evaluated at rounded values may leave the range where the exact one does not
  // (asin′ at y − z = 1 − 1e-300, which rounds to 1: ∞, and ∞·0 through sign′ is NaN)
  const largestD1 = live.reduce((m, p) => Math.max(m, p.jet.largestD1, mag(p.d1) + p.d1Err), 0);
  const largestD2 = live.reduce((m, p) => Math.max(m, p.jet.largestD2, ...live.map((q) => mag(p.d2[q.k]))), 0);
  const wild = parts.some((p) => p.jet.wild) || err > 1e-3 * mag(v);
  return { v, err, g, gTerms, gErr, H, hTerms, hErr, wild, dep: live.length > 0, largestG, largestH, smallestG, largestD1, largestD2,
    operands: parts.map((p) => ({ jet: p.jet, d1: p.d1, d1Err: p.d1Err, d2: p.d2 })) };
}

/** An exact constant (or variable, with its unit gradient set after). */
function constant(n: number, v: Dec, err = 0): Jet {
  return combine(n, v, err, []);
}

/**
 * How far f(args) moves when each argument moves by its error (its largest move
 * either way), summed over the arguments: the error f carries in. `f` returns
 * several numbers (a value, or partials); NaN or a change of sign of infinity
 * (a pole crossed) counts as ∞.
 */
function carried(f: (args: Dec[]) => Dec[], args: readonly Dec[], errs: readonly number[]): number[] {
  const at = f([...args]);
  const total = at.map(() => 0);
  args.forEach((x, k) => {
    if (!(errs[k] > 0)) return;
    const e = new Dec(errs[k]);
    for (const moved of [x.plus(e), x.minus(e)]) {
      const there = f(args.map((y, j) => (j === k ? moved : y)));
      there.forEach((d, i) => {
        const change = d.minus(at[i]).abs().toNumber();
        total[i] += Number.isNaN(change) ? Infinity : change;
      });
    }
  });
  return total;
}

/** f′ and f″ of a unary function at x, with v = f(x). */
function unaryPartials(fn: string, x: Dec, v: Dec): [Dec, Dec] {
  const one = (d: Dec) => ONE.div(d);
  switch (fn) {
    case "neg": return [ONE.neg(), ZERO];
    case "sin": return [Dec.cos(x), v.neg()];
    case "cos": return [Dec.sin(x).neg(), v.neg()];
    case "tan": { const s = v.pow(2).plus(1); return [s, TWO.times(v).times(s)]; }
    case "asin": case "acos": {
      const r = ONE.minus(x.pow(2)), s = fn === "asin" ? ONE : ONE.neg();
      return [s.div(r.sqrt()), s.times(x).div(r.pow(1.5))];
    }
    case "atan": { const r = x.pow(2).plus(1); return [one(r), TWO.times(x).neg().div(r.pow(2))]; }
    case "sinh": return [FUNCTIONS.cosh(x), v];
    case "cosh": return [FUNCTIONS.sinh(x), v];
    case "tanh": { const s = one(FUNCTIONS.cosh(x).pow(2)); return [s, TWO.times(v).times(s).neg()]; }
    case "asinh": { const r = x.pow(2).plus(1); return [one(r.sqrt()), x.neg().div(r.pow(1.5))]; }
    case "acosh": { const r = x.pow(2).minus(1); return [one(r.sqrt()), x.neg().div(r.pow(1.5))]; }
    case "atanh": { const r = ONE.minus(x.pow(2)); return [one(r), TWO.times(x).div(r.pow(2))]; }
    case "exp": return [v, v];
    case "expm1": { const e = exp(x); return [e, e]; }
    case "log": return [one(x), one(x.pow(2)).neg()];
    case "log1p": return [one(x.plus(1)), one(x.plus(1).pow(2)).neg()];
    case "log2": case "log10": {
      const ln = fn === "log2" ? LN2 : LN10;
      return [one(x.times(ln)), one(x.pow(2).times(ln)).neg()];
    }
    case "sqrt": return [one(TWO.times(v)), one(v.pow(3).times(4)).neg()];
    case "cbrt": return [one(v.pow(2).times(3)), new Dec(-2).div(v.pow(5).times(9))];
    case "abs": return [new Dec(Dec.sign(x)), ZERO];
    case "sign": return [ZERO, ZERO];
    case "sigmoid": { const w = logistic(x.neg()), d = v.times(w); return [d, d.times(w.minus(v))]; } // σ′ = σσ̄, σ″ = σσ̄(σ̄ − σ)
    case "softplus": { const s = logistic(x), w = logistic(x.neg()); return [s, s.times(w)]; }
  }
  throw new Error(`no partials for ${fn}`);
}

/** First partials [fa, fb] and second [faa, fab, fbb] of a binary function at (a, b), v its value. */
function binaryPartials(fn: string, a: Dec, b: Dec, v: Dec): [Dec, Dec, Dec, Dec, Dec] {
  switch (fn) {
    case "+": return [ONE, ONE, ZERO, ZERO, ZERO];
    case "-": return [ONE, ONE.neg(), ZERO, ZERO, ZERO];
    case "*": return [b, a, ZERO, ONE, ZERO];
    case "/": return [ONE.div(b), a.neg().div(b.pow(2)), ZERO, ONE.neg().div(b.pow(2)), TWO.times(a).div(b.pow(3))];
    case "^": case "pow": {
      // The library's policy (README) for the values ∂a = 0 where b = 0 and ∂b = 0 where a = 0 < b;
      // ∂²/∂a∂b is a^(b−1)·(1 + b ln a) even at b = 0 (∂(b·a^(b−1))/∂b there is a^(−1)).
      const ln = Dec.ln(a), am1 = pow(a, b.minus(1));
      return [b.isZero() ? ZERO : b.times(am1), a.isZero() && b.gt(0) ? ZERO : v.times(ln),
        b.isZero() ? ZERO : b.times(b.minus(1)).times(pow(a, b.minus(2))), am1.times(ONE.plus(b.times(ln))), v.times(ln.pow(2))];
    }
    case "atan2": { // a = y, b = x
      const r2 = a.pow(2).plus(b.pow(2)), r4 = r2.pow(2);
      return [b.div(r2), a.neg().div(r2), TWO.times(a).times(b).neg().div(r4), a.pow(2).minus(b.pow(2)).div(r4), TWO.times(a).times(b).div(r4)];
    }
    case "hypot": {
      const h3 = v.pow(3);
      return [a.div(v), b.div(v), b.pow(2).div(h3), a.times(b).neg().div(h3), a.pow(2).div(h3)];
    }
    case "min": case "max": {
      const tie = a.eq(b), first = (fn === "min") === a.lt(b);
      const fa = tie ? new Dec(0.5) : first ? ONE : ZERO;
      return [fa, ONE.minus(fa), ZERO, ZERO, ZERO];
    }
  }
  throw new Error(`no partials for ${fn}`);
}

/** The periodic functions: where an argument's error reaches a fraction of their period, their partials' is unknown. */
const PERIODIC = new Set(["sin", "cos", "tan"]);

/** Ulp-sized error a library function adds (arithmetic and negation round less). */
const ulps = (fn: string) => (fn === "neg" || fn === "abs" || fn === "sign" || fn === "min" || fn === "max" ? 0
  : "+-*/".includes(fn) ? 0.5 : 2);

/**
 * The tree's value, gradient and Hessian at x (memoized over shared subtrees), with
 * their error bounds. The arithmetic carries 80 digits more than the ratio of the
 * largest to the smallest number given (coordinates and literals), so that x + 1 at
 * x = 1e-300 is not 1.
 */
export function jet(t: Tree, x: readonly number[]): Jet {
  const previous = Dec.precision;
  try {
    // Again with 60 digits more, until the two agree: cos x at x = 3e-141 is 1 − 5e-282, which
    // the span of the numbers given (141 digits) does not foresee.
    for (let digits = digitsFor(t, x); ; digits += 120) {
      Dec.set({ precision: digits });
      const first = jetAt(t, x);
      Dec.set({ precision: digits + 60 });
      const again = jetAt(t, x);
      if (agree(first, again) || digits + 180 > MAX_DIGITS) return again;
    }
  } finally {
    Dec.set({ precision: previous });
  }
}

/** Whether two evaluations of a jet give the same gradient and Hessian to 40 digits (of the terms' scale). */
function agree(a: Jet, b: Jet): boolean {
  const close = (x: Dec, y: Dec, terms: number) => x.eq(y) || x.minus(y).abs().lte(y.abs().plus(Number.isFinite(terms) ? terms : 0).times(1e-40));
  return close(a.v, b.v, 0) && a.g.every((g, i) => close(g, b.g[i], b.gTerms[i]))
    && a.H.every((row, i) => row.every((h, j) => close(h, b.H[i][j], b.hTerms[i][j])));
}

/**
 * The adjoints ∂f/∂u of the nodes of `order` (operands before their results; f
 * the last), by reverse accumulation: their range, and per variable (`variables`:
 * the jets of variable i, one per leaf that names it) the terms and errors
 * reverse mode carries (Jet.reverse).
 */
function adjointBounds(order: readonly Jet[], variables: ReadonlyMap<number, Jet[]>, n: number):
    { range: { largest: number; smallest: number }; terms: number[]; err: number[]; tangentTerms: number } {
  const root = order[order.length - 1];
  const adjoint = new Map<Jet, Dec>([[root, ONE]]), size = new Map<Jet, number>([[root, 1]]), err = new Map<Jet, number>([[root, 0]]);
  // (the adjoints' tangents along each variable, and the largest term they add)
  const tangent = new Map<Jet, Dec[]>([[root, Array.from({ length: n }, () => ZERO)]]);
  let tangentTerms = 0;
  const term = (d: Dec) => {
    const m = mag(d);
    tangentTerms = Math.max(tangentTerms, Number.isNaN(m) ? Infinity : m);
    return d;
  };
  let largest = ZERO, smallest = new Dec(Infinity);
  for (let k = order.length - 1; k >= 0; k--) {
    const u = order[k], w = adjoint.get(u);
    if (!w || !u.dep) continue;
    if (!w.isZero()) { // (in decimals: 1e-600 is no 0 here)
      largest = Dec.max(largest, w.abs());
      smallest = Dec.min(smallest, w.abs());
    }
    const wSize = size.get(u)!, wErr = err.get(u)!, wDot = tangent.get(u)!;
    for (const { jet, d1, d1Err, d2 } of u.operands) {
      if (!jet.dep) continue;
      const dot = tangent.get(jet) ?? Array.from({ length: n }, () => ZERO);
      tangent.set(jet, dot.map((t, j) => u.operands.reduce((sum, b, q) => (b.jet.dep ? sum.plus(term(w.times(d2[q]).times(b.jet.g[j]))) : sum),
        t.plus(term(wDot[j].times(d1))))));
      adjoint.set(jet, (adjoint.get(jet) ?? ZERO).plus(w.times(d1)));
      size.set(jet, (size.get(jet) ?? 0) + scaled(wSize, mag(d1)));
      err.set(jet, (err.get(jet) ?? 0) + scaled(wErr, mag(d1)) + scaled(wSize, d1Err));
    }
  }
  const perVariable = (m: Map<Jet, number>) =>
    Array.from({ length: n }, (_, i) => (variables.get(i) ?? []).reduce((sum, jet) => sum + (m.get(jet) ?? 0), 0));
  return { range: { largest: largest.toNumber(), smallest: smallest.toNumber() }, terms: perVariable(size), err: perVariable(err), tangentTerms };
}

/** 80 digits, and as many more as the largest number t is given (a literal, or a coordinate it uses) has over the smallest. */
export function digitsFor(t: Tree, x: readonly number[]): number {
  const magnitudes = [...variables(t).map((i) => x[i]), ...literals(t)].map(Math.abs).filter((m) => m > 0 && Number.isFinite(m));
  const span = magnitudes.length ? Math.log10(Math.max(...magnitudes) / Math.min(...magnitudes)) : 0;
  return Math.min(MAX_DIGITS, 80 + Math.ceil(span));
}

/** The indices of the variables a tree uses. */
function variables(t: Tree): number[] {
  switch (t.k) {
    case "var": return [t.i];
    case "neg": return variables(t.a);
    case "bin": return [...variables(t.a), ...variables(t.b)];
    case "call": return t.args.flatMap(variables);
    default: return [];
  }
}

/** The numbers written in a tree. */
function literals(t: Tree): number[] {
  switch (t.k) {
    case "num": return [t.v];
    case "neg": return literals(t.a);
    case "bin": return [...literals(t.a), ...literals(t.b)];
    case "call": return t.args.flatMap(literals);
    default: return [];
  }
}

function jetAt(t: Tree, x: readonly number[]): Jet {
  const n = x.length, memo = new Map<Tree, Jet>(), order: Jet[] = [];
  const visit = (u: Tree): Jet => {
    const known = memo.get(u);
    if (known) return known;
    let r: Jet;
    switch (u.k) {
      case "num": r = constant(n, exactly(u.v)); break;
      case "const": {
        const v = u.name === "pi" ? PI : E;
        r = constant(n, v, v.minus(exactly(u.name === "pi" ? Math.PI : Math.E)).abs().toNumber());
        break;
      }
      case "var": {
        r = constant(n, exactly(x[u.i]));
        r.g[u.i] = ONE;
        r.gTerms[u.i] = 1;
        r.dep = true;
        r.largestG = 1;
        r.smallestG = 1;
        break;
      }
      default: {
        const fn = u.k === "neg" ? "neg" : u.k === "bin" ? u.op : u.fn;
        const args = (u.k === "neg" ? [u.a] : u.k === "bin" ? [u.a, u.b] : u.args).map(visit);
        const values = args.map((a) => a.v), errs = args.map((a) => a.err);
        if (args.length === 1) {
          const all = ([a]: Dec[]) => { const v = FUNCTIONS[fn]?.(a) ?? a.neg(); return [v, ...unaryPartials(fn, a, v)]; };
          const [v, d1, d2] = all(values);
          // Two perturbed points cannot sample an oscillation of many periods: sin(1e20·x) in
          // doubles has an argument off by 1e4, and its derivative could be anything.
          const [vMoves, d1Moves, d2Moves] = PERIODIC.has(fn) && errs[0] > 0.01 ? [Infinity, Infinity, Infinity] : carried(all, values, errs);
          const rounding = ulps(fn) * EPS;
          r = combine(n, v, rounding * mag(v) + vMoves,
            [{ jet: args[0], d1, d2: [d2], d1Err: rounding * mag(d1) + d1Moves, d2Err: [rounding * mag(d2) + d2Moves] }]);
        } else {
          const all = ([a, b]: Dec[]) => { const v = (BINARY[fn] ?? FUNCTIONS[fn])(a, b); return [v, ...binaryPartials(fn, a, b, v)]; };
          const [v, fa, fb, faa, fab, fbb] = all(values), moves = carried(all, values, errs);
          const rounding = ulps(fn) * EPS, off = (d: Dec, i: number) => rounding * mag(d) + moves[i];
          r = combine(n, v, off(v, 0), [
            { jet: args[0], d1: fa, d2: [faa, fab], d1Err: off(fa, 1), d2Err: [off(faa, 3), off(fab, 4)] },
            { jet: args[1], d1: fb, d2: [fab, fbb], d1Err: off(fb, 2), d2Err: [off(fab, 4), off(fbb, 5)] },
          ]);
        }
      }
    }
    memo.set(u, r);
    order.push(r);
    return r;
  };
  const root = visit(t), variables = new Map<number, Jet[]>();
  for (const [u, jet] of memo) if (u.k === "var") variables.set(u.i, [...(variables.get(u.i) ?? []), jet]);
  const bounds = adjointBounds(order, variables, n);
  root.adjoints = bounds.range;
  root.adjointTangents = bounds.tangentTerms;
  root.reverse = { terms: bounds.terms, err: bounds.err };
  return root;
}
