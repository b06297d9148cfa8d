// The primitives, each defined once: what it is called, how many operands it
// takes, what it may be trusted with (commutative, fusible), where its tests
// sample it, its value in plain JavaScript, and its partial derivatives written
// against a small algebra (numbers, + − · /, calls of other primitives and two
// guards). Every consumer instantiates the same rule: graph nodes for second
// order (ir/gradient.ts), printed expressions for `derivative()`
// (tools/symbolic-expr.ts), plain numbers for the tests' oracle
// (ops/numbers.ts), and WebAssembly for the fused loops (compiler/fused-loops.ts).
// The core's rules (assembly/core/rules.ts) are hand-tuned for speed and are
// held to these rows by test/ops/spec.test.ts.
//
// scripts/generate-ops.mjs reads this file (it imports nothing at run time) and
// writes the numbers both languages must agree on — op codes, arities, flags,
// the tape header and the sweep descriptor — into assembly/abi.ts and
// bindings/ops/abi.ts, and the builder's functions into bindings/front/functions.ts.
// Adding a primitive is a row here, a case in the core's applyRule, and its
// math routine if the core has none.

/**
 * The operations a derivative rule may use. `select` and `keep` are exact
 * branches: they switch between forms that are equal as real functions (a
 * textbook form and one that stays in range), or mask a term where it is
 * structurally 0; a printed derivative shows the first, textbook form.
 */
export interface Algebra<T> {
  num(x: number): T;
  add(a: T, b: T): T;
  sub(a: T, b: T): T;
  mul(a: T, b: T): T;
  div(a: T, b: T): T;
  neg(a: T): T;
  /** A call of another scalar primitive. */
  call(name: ScalarName, a: T, b?: T): T;
  /** x where `guard` ≠ 0 (NaN and ∞ included), else 0, passing x's derivative only there. */
  keep(x: T, guard: T): T;
  /** x where `where` is 1, y where it is 0 (`where` is exactly 0 or 1): the two guarded, so neither's NaN reaches the other's points. */
  select(where: T, x: T, y: T): T;
}

/** ∂v/∂a = a/scale, ∂v/∂b = b/scale (no scale: 1). A scale keeps a partial in range while its product with a tangent is (∂(a/b)/∂b = −v/b is −v scaled by b). */
export interface Partials<T> {
  a: T;
  b?: T;
  scale?: T;
}

/** A rule: the partials of v = op(a, b) at operands a, b (b unused for unary ops) and the value v. */
export type PartialRule = <T>(A: Algebra<T>, a: T, b: T, v: T) => Partials<T>;

/** Where the tests sample an operand: [lo, hi] per operand. */
export type Domain = readonly (readonly [number, number])[];

/** An operator of the grammar ("neg" is the prefix minus, "!" the prefix not). */
export type Operator = "+" | "-" | "*" | "/" | "^" | "neg" | "<" | "<=" | ">" | ">=" | "==" | "!=" | "&&" | "||" | "!";

interface RowBase {
  /** One line: what it computes (the builder's documentation). */
  doc: string;
}

/** An elementwise scalar primitive: an op code, a value, partials. */
export interface ScalarRow extends RowBase {
  kind: "scalar";
  arity: 1 | 2;
  /** Operands may be swapped without changing any result, NaN and −0 included. */
  commutative?: boolean;
  /** Its first operand is a whole-number order (polygamma's n): not differentiated (partial 0), and sampled at whole numbers by the tests. */
  order?: true;
  /** Piecewise constant (a comparison): its derivative is 0 wherever it has one, so no tangent or adjoint flows through it, not even a NaN one. */
  flat?: true;
  /** The WebAssembly instruction that computes it, for the fused loops (absent: not fusible). */
  wasm?: "f64_add" | "f64_sub" | "f64_mul" | "f64_div" | "f64_neg" | "f64_sqrt";
  /** The grammar's operator for it, if any. */
  operator?: Operator;
  /** The grammar calls it by its name (`sin(x)`, `pow(x, y)`). */
  callable?: true;
  /** Not in the grammar nor the builder (Keep, the rules' guard). */
  internal?: true;
  domain: Domain;
  /** The value in JavaScript, where Math has it (folding without the core, the tests' oracle). */
  value?: (a: number, b: number) => number;
  partials: PartialRule;
}

/** A primitive defined by other primitives (no op code): the grammar and the builder expand it. */
export interface CompositeRow extends RowBase {
  kind: "composite";
  arity: number;
  callable: true;
  domain: Domain;
  expand: <T>(A: Algebra<T>, ...args: T[]) => T;
}

/** An op on lists of values (det, inv, solve, sum): rules in assembly/core/blocks.ts and ir/gradient.ts. */
export interface BlockRow extends RowBase {
  kind: "block";
}

/** Loads an input: the tape's leaf. */
export interface InputRow extends RowBase {
  kind: "input";
}

export type Row = ScalarRow | CompositeRow | BlockRow | InputRow;

// ── The names: every table keyed by primitive is a mapped type over these ─────

/** Scalar primitives: an op code, a value and a rule each. */
export type ScalarName =
  | "add" | "sub" | "mul" | "div" | "neg" | "pow"
  | "sin" | "cos" | "tan" | "asin" | "acos" | "atan" | "sinh" | "cosh" | "tanh" | "asinh" | "acosh" | "atanh"
  | "exp" | "expm1" | "log" | "log1p" | "log2" | "log10" | "sqrt" | "cbrt" | "abs" | "sign"
  | "erf" | "erfc" | "sigmoid" | "softplus" | "lgamma" | "digamma" | "polygamma" | "gamma" | "erfinv" | "sinc" | "xlogy"
  | "atan2" | "hypot" | "min" | "max"
  | "lt" | "le" | "gt" | "ge" | "eq" | "ne" | "and" | "or" | "not" | "keep";
/** Primitives defined by others (no op code). */
export type CompositeName = "clamp" | "where" | "beta" | "logit" | "log1mexp";
/** Ops on lists of values. */
export type BlockName = "det" | "inv" | "solve" | "sum" | "host";
export type PrimitiveName = "input" | ScalarName | CompositeName | BlockName;
/** The row type a primitive's kind asks for. */
export type RowOf<N extends PrimitiveName> = N extends ScalarName ? ScalarRow : N extends CompositeName ? CompositeRow : N extends BlockName ? BlockRow : InputRow;

// ── Forms shared by several rules, written once against the algebra ──────────

/**
 * ½(1 + sign d): 1 where d > 0, ½ at ±0, 0 below, NaN at NaN (min's and max's
 * partials). Built from flat comparisons, NaN selected where d is NaN, not from
 * sign, so that no derivative flows through it, not even 0·ḋ: these partials
 * are piecewise constant, and a Hessian's structure then leaves out what only
 * they read (ir/sparsity.ts; k-means' Hessian diagonal takes two colors, not k + 1).
 */
const step = <T>(A: Algebra<T>, d: T) =>
  A.select(A.call("eq", d, d), A.add(A.call("gt", d, A.num(0)), A.mul(A.num(0.5), A.call("eq", d, A.num(0)))), A.num(NaN));
/**
 * 1 − a²: as (1 − a)(1 + a) where |a| ≥ ½ (accurate as |a| → 1), as 1 − a·a where
 * |a| < ½. The second form keeps the derivative's digits: differentiated, it is
 * −2a·ȧ, where the product rule on the first gives −ȧ(1 + a) + (1 − a)ȧ, which
 * is 0 once |a| < ε (∂²asin(10²⁰x)/∂x² at x = 10⁻⁴³ came out 0, not 10¹⁷).
 */
const oneMinusSquare = <T>(A: Algebra<T>, a: T) => A.select(A.call("lt", A.call("abs", a), A.num(0.5)),
  A.sub(A.num(1), A.mul(a, a)), A.mul(A.sub(A.num(1), a), A.add(A.num(1), a)));
/**
 * x where g ≠ 0, else +0: a value that is 0 off its guard as a derivative is (Keep alone gives −0
 * there, so that a sum of kept terms is the term kept; a rule's "0 where …" is +0, as the core's).
 */
export const zeroElse = <T>(A: Algebra<T>, x: T, g: T) => A.add(A.keep(x, g), A.keep(A.num(0), A.call("not", g)));

/** x + (+0): x, but a zero +0 (as the core's rules give "0 where …"; Keep alone gives −0). */
const unsignedZero = <T>(A: Algebra<T>, x: T) => A.add(x, A.num(0));

/** u where `where` is 1, else 1: an operand at which a branch not taken stays finite (JAX's "double where"). */
const taken = <T>(A: Algebra<T>, where: T, u: T) => A.select(where, u, A.num(1));
/** The smallest normal double (base/doubles.ts's: the spec imports nothing, scripts/generate-ops.mjs loads it alone; the core's is MIN_NORMAL in assembly/core/rows.ts). */
const MIN_NORMAL = 2.2250738585072014e-308;
/** 1 where |u| ≤ |w|, else 0. */
const notLarger = <T>(A: Algebra<T>, u: T, w: T) =>
  A.sub(A.num(1), A.call("max", A.call("sign", A.sub(A.call("abs", u), A.call("abs", w))), A.num(0)));

/**
 * ∂(a^b)/∂a = b·a^(b−1) (0 where a = b = 0, not 0·∞; a zero is +0, as the core's); where a^(b−2) overflows
 * (a tiny base: x^x at 1e-229) the derivative of a^(b−1) would too, though b
 * times it does not, so there (a, v ≠ 0) it is (b·v)/a, which never forms it.
 * (Not everywhere: that quotient's own derivative cancels where b ≈ 1.)
 */
function powBase<T>(A: Algebra<T>, a: T, b: T, v: T): T {
  const one = A.num(1), a2 = A.call("pow", a, A.sub(b, A.num(2)));
  const overflows = A.keep(one, A.sub(a2, a2)); // 1 where a^(b−2) is ∞ (or NaN): ∞ − ∞ is NaN, which keep keeps
  const quotient = A.keep(A.keep(overflows, a), v), direct = A.sub(one, quotient);
  return unsignedZero(A, A.select(direct, A.keep(A.mul(b, A.call("pow", taken(A, direct, a), A.sub(b, one))), A.add(A.call("abs", a), A.call("abs", b))),
    A.div(A.mul(b, v), taken(A, quotient, a))));
}

/**
 * ∂(a^b)/∂b = v·ln a, 0 where a = v = 0 (a = 0 < b, not 0·∞); where only v is 0 (it underflowed) its derivatives still flow.
 * Where 0 < a < 1 and v is below the normal range it is a^(b−1)·xlogy(a, a): v has lost digits
 * there (or is 0), and the derivative of v·ln a by a would carry v/a (1.5e-8 off where v = 1e-320,
 * NaN where a is subnormal and v is 0); a^(b−1) is v/a without that loss, and its value cannot
 * overflow there. xlogy, not a·ln a: its partials ln a and a/a = 1 keep reverse mode from forming
 * the subnormal adjoint a^(b−1)·a, and forward mode from forming 1/a. (At a subnormal a with b
 * near 1 the tangent of a^(b−1) itself, (b − 1)·a^(b−2), leaves the range: forward mode's
 * ∂²/∂a∂b is ±∞ there, reverse mode's is right; README, "Numerics".)
 * The core's first-order rule (assembly/core/rules.ts, Op.Pow) takes the same two forms.
 */
function powExponent<T>(A: Algebra<T>, a: T, b: T, v: T): T {
  const either = A.add(A.call("abs", a), A.call("abs", v)), defined = A.keep(A.num(1), either); // 1 unless a = v = 0
  const tiny = A.mul(A.call("lt", A.call("abs", v), A.num(MIN_NORMAL)), A.mul(A.call("gt", a, A.num(0)), A.call("lt", a, A.num(1))));
  const usual = A.sub(A.num(1), tiny), t = taken(A, tiny, a); // (each branch's operand stays finite where it is not taken)
  return unsignedZero(A, A.select(usual, A.keep(A.mul(v, A.call("log", taken(A, A.mul(usual, defined), a))), either),
    A.mul(A.call("pow", t, A.sub(b, A.num(1))), A.call("xlogy", t, t))));
}

/**
 * ∂hypot(a, b)/∂a = a/h, written so that its own derivatives are single terms: a/h
 * where |a| ≤ |b|, and sign(a)/hypot(1, b/a) where |a| > |b| (there a/h's derivative
 * (h − a·a/h)/h² would cancel: the Hessian of hypot(1, y) at y = 1e6 to 1e-4).
 */
function hypotPartial<T>(A: Algebra<T>, a: T, b: T, h: T): T {
  const near = notLarger(A, a, b), far = A.sub(A.num(1), near), a1 = taken(A, far, a);
  return A.select(near, A.div(a, h), A.div(A.call("sign", a1), A.call("hypot", A.num(1), A.div(b, a1))));
}

/**
 * tanh′ a = 1/cosh² a where |a| ≤ 20 (its derivative −2 sinh/cosh³ a single term,
 * exact next to 0), and sech² a with sech = 2e/(1 + e²), e = e^−|a|, beyond, where
 * cosh would overflow (|a| > 710) and its derivative with it, and a reverse sweep
 * over 1/cosh² would carry sech⁴, which underflows for |a| > 186.
 */
function tanhPartial<T>(A: Algebra<T>, a: T): T {
  const near = notLarger(A, a, A.num(20)), far = A.sub(A.num(1), near);
  const ch = A.call("cosh", taken(A, near, a));
  const e = A.call("exp", A.neg(A.call("abs", taken(A, far, a)))), sech = A.div(A.mul(A.num(2), e), A.add(A.num(1), A.mul(e, e)));
  return A.select(near, A.div(A.num(1), A.mul(ch, ch)), A.mul(sech, sech));
}


/** A comparison or logical op: 1 or 0, derivative 0 (a step has none away from its switch). */
const truth = <T>(A: Algebra<T>): Partials<T> => ({ a: A.num(0), b: A.num(0) });
const bool = (b: boolean) => (b ? 1 : 0);

/**
 * sinc′(a) = (cos(πa) − sinc a)/a, and where |πa| < 1 (where that cancels, and is
 * 0/0 at 0) its Taylor series π·Σₖ (−1)ᵏ·2k·u^(2k−1)/(2k+1)!, u = πa, to u¹⁹.
 * cos(πa) is taken as π(a + ½)·sinc(a + ½), whose sinc reduces a exactly (the core's):
 * cos of πa rounded was off by |a|·ε, and the second derivative of the wrong sign at 1e8.
 * From 2⁵² on a + ½ rounds, and every double is a whole number: there cos(πa) is
 * 2cos²(πa/2) − 1, by the same form at a/2, and from 2⁵³ on (even numbers only) 1.
 */
function sincPartial<T>(A: Algebra<T>, a: T, v: T): T {
  const near = A.call("lt", A.call("abs", A.mul(A.num(Math.PI), a)), A.num(1)), far = A.call("not", near);
  const u = A.mul(A.num(Math.PI), taken(A, near, a)), u2 = A.mul(u, u); // (the series away from 0 takes u = π: no u² to overflow)
  let series = A.num(0), factorial = 1;
  const terms: number[] = [];
  for (let k = 1; k <= 10; k++) { factorial *= (2 * k) * (2 * k + 1); terms.push((k % 2 ? -1 : 1) * 2 * k / factorial); }
  for (let k = terms.length - 1; k >= 0; k--) series = A.add(A.num(terms[k]), A.mul(u2, series)); // Horner in u²
  const a1 = taken(A, far, a), size = A.call("abs", a1);
  /** cos(πx) = π(x + ½)·sinc(x + ½), for |x| < 2⁵². */
  const cosOfPi = (x: T) => { const half = A.add(x, A.num(0.5)); return A.mul(A.mul(A.num(Math.PI), half), A.call("sinc", half)); };
  const normal = A.call("lt", size, A.num(2 ** 52)), whole = A.call("lt", size, A.num(2 ** 53));
  const c = cosOfPi(A.mul(taken(A, whole, a1), A.num(0.5)));
  const cosPi = A.select(normal, cosOfPi(taken(A, normal, a1)), A.select(whole, A.sub(A.mul(A.num(2), A.mul(c, c)), A.num(1)), A.num(1)));
  return A.select(far, A.div(A.sub(cosPi, v), a1), A.mul(A.num(Math.PI), A.mul(u, series)));
}

/** (2/√π)·e^(−a²), 0 from |a| = 28 on (where it underflows; a² would overflow a tangent from 1.3e154 on). */
function erfPartial<T>(A: Algebra<T>, a: T, sign: number): T {
  const small = A.call("lt", A.call("abs", a), A.num(28)), u = taken(A, small, a);
  return A.select(small, A.mul(A.div(A.num(2 * sign), A.call("sqrt", A.num(Math.PI))), A.call("exp", A.neg(A.mul(u, u)))), A.num(0));
}

const ANY: Domain = [[-3, 3]];
const ANY2: Domain = [[-3, 3], [-3, 3]];

// ── The table ────────────────────────────────────────────────────────────────
// Order matters only in that the generator numbers the ops in it: the input,
// then scalar primitives, then block ops (the core tests `op >= FIRST_BLOCK`).

export const PRIMITIVES = {
  input: { kind: "input", doc: "Loads input `a` of the flat input vector." },

  add: {
    kind: "scalar", arity: 2, commutative: true, wasm: "f64_add", operator: "+", domain: ANY2, doc: "a + b, elementwise.",
    value: (a, b) => a + b, partials: (A) => ({ a: A.num(1), b: A.num(1) }),
  },
  sub: {
    kind: "scalar", arity: 2, wasm: "f64_sub", operator: "-", domain: ANY2, doc: "a − b, elementwise.",
    value: (a, b) => a - b, partials: (A) => ({ a: A.num(1), b: A.num(-1) }),
  },
  mul: {
    kind: "scalar", arity: 2, commutative: true, wasm: "f64_mul", operator: "*", domain: ANY2, doc: "a · b, elementwise.",
    value: (a, b) => a * b, partials: (_A, a, b) => ({ a: b, b: a }),
  },
  div: { // ∂a = 1/b, ∂b = −v/b: 1 and −v scaled by b, so that (ȧ − v·ḃ)/b never forms v/b
    kind: "scalar", arity: 2, wasm: "f64_div", operator: "/", domain: [[-3, 3], [0.5, 3]], doc: "a / b, elementwise.",
    value: (a, b) => a / b, partials: (A, _a, b, v) => ({ a: A.num(1), b: A.neg(v), scale: b }),
  },
  neg: {
    kind: "scalar", arity: 1, wasm: "f64_neg", operator: "neg", domain: ANY, doc: "−a, elementwise.",
    value: (a) => -a, partials: (A) => ({ a: A.num(-1) }),
  },
  pow: {
    kind: "scalar", arity: 2, operator: "^", callable: true, domain: [[0.5, 3], [-2, 2]],
    doc: "a^b, elementwise (C's pow: 1^y = 1 and x^0 = 1 for every x and y, NaN included).",
    value: (a, b) => (a === 1 ? 1 : Math.pow(a, b)),
    partials: (A, a, b, v) => ({ a: powBase(A, a, b, v), b: powExponent(A, a, b, v) }),
  },
  sin: { kind: "scalar", arity: 1, callable: true, domain: ANY, doc: "Elementwise sine.", value: Math.sin, partials: (A, a) => ({ a: A.call("cos", a) }) },
  cos: { kind: "scalar", arity: 1, callable: true, domain: ANY, doc: "Elementwise cosine.", value: Math.cos, partials: (A, a) => ({ a: A.neg(A.call("sin", a)) }) },
  tan: {
    kind: "scalar", arity: 1, callable: true, domain: [[-1.4, 1.4]], doc: "Elementwise tangent.",
    value: Math.tan, partials: (A, _a, _b, v) => ({ a: A.add(A.num(1), A.mul(v, v)) }),
  },
  asin: {
    kind: "scalar", arity: 1, callable: true, domain: [[-0.95, 0.95]], doc: "Elementwise arcsine.",
    value: Math.asin, partials: (A, a) => ({ a: A.num(1), scale: A.call("sqrt", oneMinusSquare(A, a)) }),
  },
  acos: {
    kind: "scalar", arity: 1, callable: true, domain: [[-0.95, 0.95]], doc: "Elementwise arccosine.",
    value: Math.acos, partials: (A, a) => ({ a: A.num(-1), scale: A.call("sqrt", oneMinusSquare(A, a)) }),
  },
  atan: { // ((1/h)·w̄)/h with h = hypot(a, 1): 1 + a² would overflow
    kind: "scalar", arity: 1, callable: true, domain: ANY, doc: "Elementwise arctangent.",
    value: Math.atan, partials: (A, a) => { const h = A.call("hypot", a, A.num(1)); return { a: A.div(A.num(1), h), scale: h }; },
  },
  sinh: { kind: "scalar", arity: 1, callable: true, domain: ANY, doc: "Elementwise hyperbolic sine.", value: Math.sinh, partials: (A, a) => ({ a: A.call("cosh", a) }) },
  cosh: { kind: "scalar", arity: 1, callable: true, domain: ANY, doc: "Elementwise hyperbolic cosine.", value: Math.cosh, partials: (A, a) => ({ a: A.call("sinh", a) }) },
  tanh: { kind: "scalar", arity: 1, callable: true, domain: ANY, doc: "Elementwise hyperbolic tangent.", value: Math.tanh, partials: (A, a) => ({ a: tanhPartial(A, a) }) },
  asinh: {
    kind: "scalar", arity: 1, callable: true, domain: ANY, doc: "Elementwise inverse hyperbolic sine.",
    value: Math.asinh, partials: (A, a) => ({ a: A.num(1), scale: A.call("hypot", a, A.num(1)) }),
  },
  acosh: {
    kind: "scalar", arity: 1, callable: true, domain: [[1.1, 4]], doc: "Elementwise inverse hyperbolic cosine.",
    value: Math.acosh,
    partials: (A, a) => ({ a: A.num(1), scale: A.mul(A.call("sqrt", A.sub(a, A.num(1))), A.call("sqrt", A.add(a, A.num(1)))) }),
  },
  atanh: {
    kind: "scalar", arity: 1, callable: true, domain: [[-0.95, 0.95]], doc: "Elementwise inverse hyperbolic tangent.",
    value: Math.atanh, partials: (A, a) => ({ a: A.num(1), scale: oneMinusSquare(A, a) }),
  },
  exp: { kind: "scalar", arity: 1, callable: true, domain: ANY, doc: "Elementwise eᵃ.", value: Math.exp, partials: (_A, _a, _b, v) => ({ a: v }) },
  expm1: { kind: "scalar", arity: 1, callable: true, domain: ANY, doc: "Elementwise eᵃ − 1, exact near 0.", value: Math.expm1, partials: (A, a) => ({ a: A.call("exp", a) }) },
  log: { kind: "scalar", arity: 1, callable: true, domain: [[0.1, 5]], doc: "Elementwise natural logarithm.", value: Math.log, partials: (A, a) => ({ a: A.num(1), scale: a }) },
  log1p: {
    kind: "scalar", arity: 1, callable: true, domain: [[-0.9, 5]], doc: "Elementwise ln(1 + a), exact near 0.",
    value: Math.log1p, partials: (A, a) => ({ a: A.num(1), scale: A.add(A.num(1), a) }),
  },
  log2: {
    kind: "scalar", arity: 1, callable: true, domain: [[0.1, 5]], doc: "Elementwise base-2 logarithm.",
    value: Math.log2, partials: (A, a) => ({ a: A.num(1), scale: A.mul(a, A.call("log", A.num(2))) }),
  },
  log10: {
    kind: "scalar", arity: 1, callable: true, domain: [[0.1, 5]], doc: "Elementwise base-10 logarithm.",
    // ((1/ln 10)·w̄)/a: a·ln 10 would overflow from a = 7.8e307 on
    value: Math.log10, partials: (A, a) => ({ a: A.div(A.num(1), A.call("log", A.num(10))), scale: a }),
  },
  sqrt: {
    kind: "scalar", arity: 1, wasm: "f64_sqrt", callable: true, domain: [[0.1, 5]], doc: "Elementwise square root.",
    value: Math.sqrt, partials: (A, _a, _b, v) => ({ a: A.div(A.num(0.5), v) }),
  },
  cbrt: {
    kind: "scalar", arity: 1, callable: true, domain: [[0.1, 5]], doc: "Elementwise cube root.",
    value: Math.cbrt, partials: (A, _a, _b, v) => ({ a: A.num(1), scale: A.mul(A.mul(A.num(3), v), v) }),
  },
  abs: { kind: "scalar", arity: 1, callable: true, domain: ANY, doc: "Elementwise |a| (derivative sign a, 0 at 0).", value: Math.abs, partials: (A, a) => ({ a: A.call("sign", a) }) },
  sign: { kind: "scalar", arity: 1, callable: true, domain: ANY, doc: "Elementwise sign (−1, 0 or 1; derivative 0).", value: Math.sign, partials: (A, a) => ({ a: A.mul(A.call("sign", a), A.num(0)) }) },
  erf: {
    kind: "scalar", arity: 1, callable: true, domain: ANY, doc: "Elementwise error function (2/√π)∫₀ᵃ e^(−t²) dt.",
    partials: (A, a) => ({ a: erfPartial(A, a, 1) }),
  },
  erfc: {
    kind: "scalar", arity: 1, callable: true, domain: ANY, doc: "Elementwise complementary error function 1 − erf a, without its cancellation for large a.",
    partials: (A, a) => ({ a: erfPartial(A, a, -1) }),
  },
  sigmoid: { // σ′ = ¼·sech²(a/2): σ(1 − σ) would cancel for large a, and σ(a)·σ(−a)'s derivative near 0
    kind: "scalar", arity: 1, callable: true, domain: ANY, doc: "Elementwise logistic function 1/(1 + e⁻ᵃ).",
    partials: (A, a) => ({ a: A.mul(A.num(0.25), tanhPartial(A, A.mul(a, A.num(0.5)))) }),
  },
  softplus: {
    kind: "scalar", arity: 1, callable: true, domain: ANY, doc: "Elementwise ln(1 + eᵃ), exact for large |a|.",
    partials: (A, a) => ({ a: A.call("sigmoid", a) }),
  },
  lgamma: {
    kind: "scalar", arity: 1, callable: true, domain: [[0.5, 5]], doc: "Elementwise ln|Γ(a)|, the log-gamma function (+∞ at the poles 0, −1, −2, …).",
    partials: (A, a) => ({ a: A.call("digamma", a) }),
  },
  digamma: {
    kind: "scalar", arity: 1, callable: true, domain: [[0.5, 5]], doc: "Elementwise ψ(a) = Γ′(a)/Γ(a), the digamma function.",
    partials: (A, a) => ({ a: A.call("polygamma", A.num(1), a) }),
  },
  polygamma: { // the order n is not differentiated
    kind: "scalar", arity: 2, order: true, callable: true, domain: [[0, 3], [0.5, 5]],
    doc: "polygamma(n, a) = ψ⁽ⁿ⁾(a), the n-th derivative of digamma (n a whole number ≥ 0, else NaN; n takes no derivative).",
    partials: (A, n, a) => ({ a: A.num(0), b: A.call("polygamma", A.add(n, A.num(1)), a) }),
  },
  gamma: {
    kind: "scalar", arity: 1, callable: true, domain: [[0.5, 4]], doc: "Elementwise Γ(a), the gamma function (C's tgamma).",
    partials: (A, a, _b, v) => ({ a: A.mul(v, A.call("digamma", a)) }),
  },
  erfinv: {
    kind: "scalar", arity: 1, callable: true, domain: [[-0.9, 0.9]], doc: "Elementwise inverse error function on (−1, 1) (±∞ at ±1).",
    partials: (A, _a, _b, v) => ({ a: A.mul(A.num(Math.sqrt(Math.PI) / 2), A.call("exp", A.mul(v, v))) }),
  },
  sinc: {
    kind: "scalar", arity: 1, callable: true, domain: ANY, doc: "Elementwise normalized sinc sin(πa)/(πa), 1 at 0 (numpy's sinc).",
    partials: (A, a, _b, v) => ({ a: sincPartial(A, a, v) }),
  },
  xlogy: { // ∂a = ln b, ∂b = a/b (0 where a = b = 0: a/1 there, so that ∂²/∂a∂b is still 1/b at a = 0 < b)
    kind: "scalar", arity: 2, callable: true, domain: [[-2, 2], [0.5, 3]], doc: "Elementwise a·ln b, 0 where a = 0 (also at b = 0; NaN b stays NaN), as scipy's xlogy.",
    value: (a, b) => (a === 0 && !Number.isNaN(b) ? 0 : a * Math.log(b)),
    partials: (A, a, b) => ({ a: A.call("log", b), b: A.div(a, taken(A, A.call("or", A.call("ne", a, A.num(0)), A.call("ne", b, A.num(0))), b)) }),
  },
  atan2: { // b/h and −a/h scaled by h = hypot(a, b): no a² + b², nor a/h², to under- or overflow
    kind: "scalar", arity: 2, callable: true, domain: [[-3, 3], [0.2, 3]], doc: "Elementwise atan2(a, b): the angle of the point (b, a).",
    value: Math.atan2,
    partials: (A, a, b) => { const h = A.call("hypot", a, b); return { a: A.div(b, h), b: A.neg(A.div(a, h)), scale: h }; },
  },
  hypot: { // a/v and b/v: bounded by 1, and their derivatives by 1/v
    kind: "scalar", arity: 2, commutative: true, callable: true, domain: ANY2, doc: "Elementwise √(a² + b²), without overflow.",
    value: Math.hypot, partials: (A, a, b, v) => ({ a: hypotPartial(A, a, b, v), b: hypotPartial(A, b, a, v) }),
  },
  min: { // 1 for the smaller operand, ½ each on a tie (as JAX)
    kind: "scalar", arity: 2, commutative: true, callable: true, domain: ANY2, doc: "Elementwise minimum (½ to each operand on a tie).",
    value: Math.min, partials: (A, a, b) => ({ a: step(A, A.sub(b, a)), b: step(A, A.sub(a, b)) }),
  },
  max: {
    kind: "scalar", arity: 2, commutative: true, callable: true, domain: ANY2, doc: "Elementwise maximum (½ to each operand on a tie).",
    value: Math.max, partials: (A, a, b) => ({ a: step(A, A.sub(a, b)), b: step(A, A.sub(b, a)) }),
  },
  clamp: { // ½ at either bound, as min and max on a tie
    kind: "composite", arity: 3, callable: true, domain: [[-3, 3], [-2, -0.5], [0.5, 2]],
    doc: "Elementwise clamp(x, lo, hi) = min(max(x, lo), hi).",
    expand: (A, x, lo, hi) => A.call("min", A.call("max", x, lo), hi),
  },
  lt: {
    kind: "scalar", arity: 2, flat: true, operator: "<", callable: true, domain: ANY2, doc: "1 where a < b, else 0 (NaN compares false), elementwise; derivative 0.",
    value: (a, b) => bool(a < b), partials: truth,
  },
  le: {
    kind: "scalar", arity: 2, flat: true, operator: "<=", callable: true, domain: ANY2, doc: "1 where a ≤ b, else 0, elementwise; derivative 0.",
    value: (a, b) => bool(a <= b), partials: truth,
  },
  gt: {
    kind: "scalar", arity: 2, flat: true, operator: ">", callable: true, domain: ANY2, doc: "1 where a > b, else 0, elementwise; derivative 0.",
    value: (a, b) => bool(a > b), partials: truth,
  },
  ge: {
    kind: "scalar", arity: 2, flat: true, operator: ">=", callable: true, domain: ANY2, doc: "1 where a ≥ b, else 0, elementwise; derivative 0.",
    value: (a, b) => bool(a >= b), partials: truth,
  },
  eq: {
    kind: "scalar", arity: 2, flat: true, commutative: true, operator: "==", callable: true, domain: ANY2, doc: "1 where a = b, else 0, elementwise; derivative 0.",
    value: (a, b) => bool(a === b), partials: truth,
  },
  ne: {
    kind: "scalar", arity: 2, flat: true, commutative: true, operator: "!=", callable: true, domain: ANY2, doc: "1 where a ≠ b (NaN included), else 0, elementwise; derivative 0.",
    value: (a, b) => bool(a !== b), partials: truth,
  },
  and: {
    kind: "scalar", arity: 2, flat: true, commutative: true, operator: "&&", callable: true, domain: ANY2, doc: "1 where a and b are both true (≠ 0; NaN is true), else 0; derivative 0.",
    value: (a, b) => bool(a !== 0 && b !== 0), partials: truth,
  },
  or: {
    kind: "scalar", arity: 2, flat: true, commutative: true, operator: "||", callable: true, domain: ANY2, doc: "1 where a or b is true (≠ 0; NaN is true), else 0; derivative 0.",
    value: (a, b) => bool(a !== 0 || b !== 0), partials: truth,
  },
  not: {
    kind: "scalar", arity: 1, flat: true, operator: "!", callable: true, domain: ANY, doc: "1 where a is 0, else 0 (the negation of a condition; NaN is true); derivative 0.",
    value: (a) => bool(a === 0), partials: (A) => ({ a: A.num(0) }),
  },
  beta: { // for a, b > 0 (where Γ is positive)
    kind: "composite", arity: 2, callable: true, domain: [[0.5, 3], [0.5, 3]],
    doc: "Elementwise beta function B(a, b) = Γ(a)Γ(b)/Γ(a + b), as exp(lgamma a + lgamma b − lgamma(a + b)): for a, b > 0.",
    expand: (A, a, b) => A.call("exp", A.sub(A.add(A.call("lgamma", a), A.call("lgamma", b)), A.call("lgamma", A.add(a, b)))),
  },
  logit: {
    kind: "composite", arity: 1, callable: true, domain: [[0.1, 0.9]], doc: "Elementwise ln(p/(1 − p)), the inverse of sigmoid, as ln p − ln(1 − p) without cancellation.",
    expand: (A, p) => A.sub(A.call("log", p), A.call("log1p", A.neg(p))),
  },
  log1mexp: { // Mächler's split at −ln 2: two forms of one function, each where it is exact
    kind: "composite", arity: 1, callable: true, domain: [[-3, -0.1]], doc: "Elementwise ln(1 − eᵃ) for a < 0, accurate at both ends (Mächler's split at −ln 2).",
    expand: (A, a) => A.select(A.call("gt", a, A.num(-Math.LN2)), A.call("log", A.neg(A.call("expm1", a))), A.call("log1p", A.neg(A.call("exp", a)))),
  },
  where: { // keep on both sides: neither branch's NaN or ∞ reaches the other's points (ir/branches.ts guards their derivatives)
    kind: "composite", arity: 3, callable: true, domain: [[-1, 1], [-3, 3], [-3, 3]],
    doc: "where(c, a, b): a where c is true (≠ 0; NaN is true), else b, elementwise; the derivative flows only into the branch taken.",
    expand: (A, c, a, b) => A.add(A.keep(a, c), A.keep(b, A.call("not", c))),
  },
  keep: { // the guard of `select` and `keep` above: not in the grammar
    kind: "scalar", arity: 2, internal: true, domain: ANY2,
    doc: "Keep(a, c) = c ≠ 0 ? a : −0, passing a's derivative only where c ≠ 0 (−0, x + (−0) = x for every x: a sum of kept terms is the term kept, −0 included).",
    value: (a, c) => (c !== 0 ? a : -0), partials: (A) => ({ a: A.num(1), b: A.num(0) }),
  },

  det: { kind: "block", doc: "Determinant of a k×k matrix (LU with partial pivoting)." },
  inv: { kind: "block", doc: "Inverse of a k×k matrix." },
  solve: { kind: "block", doc: "x with A·x = b for a k×k matrix A." },
  sum: { kind: "block", doc: "Sum of a list of values." },
  host: { kind: "block", doc: "A block of work the host (JavaScript) does, named by its first operand: a scan, a user-defined primitive (ir/host-blocks.ts)." },
} as const satisfies { readonly [N in PrimitiveName]: RowOf<N> };

type Callable<Arity> = { [N in ScalarName]: (typeof PRIMITIVES)[N] extends { arity: Arity; callable: true } ? N : never }[ScalarName];
/** Scalar primitives the grammar calls by name with one operand (sin, exp, erf …). */
export type UnaryName = Callable<1>;
/** Scalar primitives the grammar calls by name with two operands (pow, atan2, hypot, min, max). */
export type BinaryName = Callable<2>;
/** Scalar primitives of the builder: all but the internal guard. */
export type BuilderName = { [N in ScalarName]: (typeof PRIMITIVES)[N] extends { internal: true } ? never : N }[ScalarName];

/**
 * The layout both languages share, field by field (every field 4 bytes: i32 or
 * a wasm32 address). The generator writes AssemblyScript classes and
 * TypeScript offsets from these lists.
 */
export const LAYOUT = {
  /** The tape header at a compiled function's address (assembly/core/tape.ts explains each field). */
  Tape: [
    ["nInstr", "i32"], ["instr", "usize"], ["nConst", "i32"], ["consts", "usize"], ["nSlots", "i32"], ["nIn", "i32"],
    ["nOut", "i32"], ["outSlots", "usize"], ["aux", "usize"], ["blockScratch", "i32"], ["maxRun", "i32"],
    ["fusedBase", "i32"], ["fusedZero", "i32"], ["allInputs", "i32"], ["inputsKept", "i32"],
    ["adjointFirsts", "i32"], ["adjointZero", "i32"],
  ],
  /** One sweep request (assembly/core/tape.ts explains each field). */
  Sweep: [
    ["tape", "usize"], ["count", "i32"], ["inputs", "usize"], ["nSegments", "i32"], ["work", "usize"], ["block", "i32"],
    ["lanes", "i32"], ["seeds", "usize"], ["lane0", "i32"], ["values", "usize"], ["tangents", "usize"], ["tPoint", "i32"],
    ["tOut", "i32"], ["tLane", "i32"], ["tOffset", "i32"], ["rangeLo", "i32"], ["rangeHi", "i32"], ["colors", "usize"],
    ["accumulate", "i32"], ["weights", "usize"],
  ],
} as const;

/** The sweeps the core runs over a tape. */
export const KINDS = ["Value", "Forward", "FiniteDiff", "Reverse"] as const;

/**
 * What the core asks of the host at a host instruction (assembly/core/blocks.ts
 * hostBlock, ir/host-blocks.ts): values; values and tangent lanes; adjoints;
 * values whose intermediate results (a scan's carries) the adjoints that follow will use.
 */
export const HOST_KINDS = ["Values", "Tangents", "Adjoints", "KeptValues"] as const;

/**
 * Instruction word flags (bits above the op code, below the run length at
 * RUN_SHIFT); see assembly/core/tape.ts for what each means.
 */
export const FLAGS = {
  BROADCAST_A: 1 << 8, BROADCAST_B: 1 << 9, CONTIGUOUS: 1 << 10, VALUES_UNREAD: 1 << 11, NO_ADJOINT: 1 << 12,
  RUN_SHIFT: 13, FUSE_BEGIN: 0xf0, FUSE_END: 0xf1, SUM_PULLED: 1,
  // (a reverse tape's adjoint plan, per instruction: its pull into a / b is the first to reach those rows;
  // a run whose results only the contiguous sums right after it read, each the next S of them, takes
  // those sums' adjoints as its results' (READS_SUM, with S from SEGMENT_SHIFT up), and the sums add
  // nothing into their rows (READ_BY_RUN): dot products)
  FIRST_A: 1, FIRST_B: 2, READS_SUM: 4, READ_BY_RUN: 8, SEGMENT_SHIFT: 4,
} as const;
