// Symbolic derivatives as readable expressions: parse to a small tree, apply the
// rules of differentiation, simplify as the tree is built, print in the library's
// own grammar. For teaching and for showing work; numbers are computed by the
// compiled engine, not here.
import { naturalOrder } from "../base/natural-order.js";
import { checkOptions, variableName } from "../api/validate.js";
import { InputError, ParseError, show } from "../base/errors.js";
import { CONSTANTS, TENSOR_FUNCTIONS } from "../ops/grammar.js";
import { PRIMITIVES, type Algebra, type PrimitiveName, type Row, type ScalarRow } from "../ops/spec.js";
import { parseExpression, type ExprSink } from "../front/parse.js";
import { userFunction } from "../ops/user-functions.js";
import { exactDifference, exactPower, exactProduct, exactQuotient, exactSum } from "./exact.js";

/** An expression tree: numbers, names (variables, pi, e), operators and calls. */
export type Expr =
  | { kind: "num"; value: number }
  | { kind: "name"; name: string }
  | { kind: "neg"; a: Expr }
  | { kind: "add" | "sub" | "mul" | "div" | "pow"; a: Expr; b: Expr }
  | { kind: "call"; fn: string; args: Expr[] };

/** Deepest nesting differentiated symbolically (the rules recurse; the compiled engine has no such limit). */
const MAX_DEPTH = 1000;
/** Each explained step prints its subexpression, so the steps' text grows with depth²: 200 levels take ~0.3 s. */
const MAX_EXPLAIN_DEPTH = 200;

const num = (value: number): Expr => ({ kind: "num", value });
const isNum = (e: Expr): e is { kind: "num"; value: number } => e.kind === "num";
/** Whether e is the number v. */
const is = (e: Expr, v: number): boolean => e.kind === "num" && e.value === v;

/**
 * Structural identity: one number per distinct tree, kept with the tree, so that
 * comparing two deep trees is one comparison (the smart constructors compare at
 * every step: a 1,000-deep chain took seconds). Numbers compare as ===: 0 and −0
 * are one tree, NaN is never equal to anything. The table lives for one public
 * call (`resetIdentities`).
 */
let identities = new Map<string, number>();
const identityOf = new WeakMap<Expr, { table: Map<string, number>; id: number }>();

function idOf(e: Expr): number {
  const known = identityOf.get(e);
  if (known && known.table === identities) return known.id;
  let key: string;
  switch (e.kind) {
    case "num": key = Number.isNaN(e.value) ? `NaN#${identities.size}` : `n${e.value}`; break;
    case "name": key = `v${e.name}`; break;
    case "neg": key = `-${idOf(e.a)}`; break;
    case "call": key = `${e.fn}(${e.args.map(idOf).join(",")})`; break;
    default: key = `${e.kind}(${idOf(e.a)},${idOf(e.b)})`;
  }
  let id = identities.get(key);
  if (id === undefined) {
    id = identities.size;
    identities.set(key, id);
  }
  identityOf.set(e, { table: identities, id });
  return id;
}

/** Starts a new identity table (each public call, so none outlives it). */
function resetIdentities(): void {
  identities = new Map();
}

/** Structural equality. */
function same(a: Expr, b: Expr): boolean {
  return a === b || idOf(a) === idOf(b);
}

// Smart constructors: each simplifies what it builds, enough to read (no 1*, +0,
// x^1, --x; numbers moved to the front of products). Numbers are folded, and like
// terms collected, only where the double result is the exact one: the printed
// string means the same real function as the rules built.
function neg(a: Expr): Expr {
  if (isNum(a)) return num(-a.value);
  if (a.kind === "neg") return a.a;
  if (a.kind === "mul" && isNum(a.a)) return mul(num(-a.a.value), a.b);
  return { kind: "neg", a };
}

/** e as coefficient × rest, the coefficient being the number a product starts with: 3*x*y → [3, x*y], −x → [−1, x]. */
function split(e: Expr): [number, Expr] {
  if (e.kind === "neg") {
    const [k, r] = split(e.a);
    return [-k, r];
  }
  if (e.kind !== "mul") return [1, e];
  if (isNum(e.a)) return [e.a.value, e.b];
  const [k, r] = split(e.a);
  return k === 1 ? [1, e] : [k, { kind: "mul", a: r, b: e.b }];
}

/** k·rest, built as a product that starts with its number. */
function scaled(k: number, rest: Expr): Expr {
  return mul(num(k), rest);
}

function add(a: Expr, b: Expr): Expr {
  if (is(a, 0)) return b;
  if (is(b, 0)) return a;
  const folded = isNum(a) && isNum(b) ? exactSum(a.value, b.value) : undefined;
  if (folded !== undefined) return num(folded);
  const [ka, ra] = split(a), [kb, rb] = split(b);
  const k = !isNum(ra) && same(ra, rb) ? exactSum(ka, kb) : undefined;
  if (k !== undefined) return scaled(k, ra); // like terms
  if (kb < 0) return sub(a, scaled(-kb, rb)); // a + (−k)·u = a − k·u
  if (isNum(b) && b.value < 0) return sub(a, num(-b.value));
  return { kind: "add", a, b };
}

function sub(a: Expr, b: Expr): Expr {
  if (is(b, 0)) return a;
  if (is(a, 0)) return neg(b);
  const folded = isNum(a) && isNum(b) ? exactDifference(a.value, b.value) : undefined;
  if (folded !== undefined) return num(folded);
  const [ka, ra] = split(a), [kb, rb] = split(b);
  const k = !isNum(ra) && same(ra, rb) ? exactDifference(ka, kb) : undefined;
  if (k !== undefined) return scaled(k, ra); // like terms
  if (kb < 0) return add(a, scaled(-kb, rb)); // a − (−k)·u = a + k·u
  if (isNum(b) && b.value < 0) return add(a, num(-b.value));
  return { kind: "sub", a, b };
}

/** Ordering of factors in a product: numbers, then names, then powers, then the rest. */
function rank(e: Expr): number {
  return e.kind === "num" ? 0 : e.kind === "name" ? 1 : e.kind === "pow" ? 2 : 3;
}

/** Whether factor b goes before factor a: lower rank, or names in alphabetical order. */
function before(b: Expr, a: Expr): boolean {
  const rb = rank(b), ra = rank(a);
  return rb < ra || (rb === ra && b.kind === "name" && a.kind === "name" && b.name < a.name);
}

/** The first factor of a product (left-associated), or e itself. */
function leadingFactor(e: Expr): Expr {
  while (e.kind === "mul") e = e.a;
  return e;
}

function mul(a: Expr, b: Expr): Expr {
  if (is(a, 0) || is(b, 0)) return num(0);
  if (is(a, 1)) return b;
  if (is(b, 1)) return a;
  const folded = isNum(a) && isNum(b) ? exactProduct(a.value, b.value) : undefined;
  if (folded !== undefined) return num(folded);
  if (is(a, -1)) return neg(b);
  if (a.kind === "neg") return neg(mul(a.a, b));
  if (b.kind === "neg") return neg(mul(a, b.a));
  if (b.kind === "div") return div(mul(a, b.a), b.b); // a·(u/v) = (a·u)/v
  if (a.kind === "div") return div(mul(a.a, b), a.b);
  if (b.kind === "mul") return mul(mul(a, b.a), b.b); // products associate to the left
  if (same(a, b)) return pow(a, num(2));
  if (a.kind === "pow" && same(a.a, b)) return pow(b, add(a.b, num(1)));
  if (a.kind === "mul") { // k·u·v: keep numbers first, collect u·u, and order the factors
    if (same(a.b, b) || (a.b.kind === "pow" && same(a.b.a, b))) return mul(a.a, mul(a.b, b));
    if (isNum(b)) { // a number joins the product's leading number, if their product is exact
      if (!isNum(a.a)) {
        // (a leading number it cannot join exactly keeps it at the end: moving it in would reshuffle
        // numbers that never fold, without end)
        const lead = leadingFactor(a.a);
        if (isNum(lead) && exactProduct(b.value, lead.value) === undefined) return { kind: "mul", a, b };
        return mul(mul(b, a.a), a.b);
      }
      const k = exactProduct(b.value, a.a.value);
      return k === undefined ? { kind: "mul", a, b } : mul(num(k), a.b);
    }
    if (before(b, a.b)) return mul(mul(a.a, b), a.b);
    return { kind: "mul", a, b };
  }
  if (before(b, a)) return mul(b, a);
  return { kind: "mul", a, b };
}

function div(a: Expr, b: Expr): Expr {
  if (is(a, 0)) return num(0);
  if (is(b, 1)) return a;
  if (a.kind === "div") return div(a.a, mul(a.b, b)); // (u/v)/w = u/(v·w)
  if (b.kind === "div") return div(mul(a, b.b), b.a);
  const folded = isNum(a) && isNum(b) ? exactQuotient(a.value, b.value) : undefined;
  if (folded !== undefined && Number.isInteger(folded)) return num(folded);
  if (a.kind === "neg") return neg(div(a.a, b));
  if (same(a, b)) return num(1);
  return { kind: "div", a, b };
}

function pow(a: Expr, b: Expr): Expr {
  if (is(b, 0)) return num(1);
  if (is(b, 1)) return a;
  const folded = isNum(a) && isNum(b) && Number.isInteger(a.value) ? exactPower(a.value, b.value) : undefined;
  if (folded !== undefined) return num(folded);
  // (u^p)^q = u^(pq) for every real u only when p and q are whole: (u^2)^0.5 is |u|.
  const pq = a.kind === "pow" && isNum(a.b) && isNum(b) && Number.isInteger(a.b.value) && Number.isInteger(b.value)
    ? exactProduct(a.b.value, b.value) : undefined;
  if (pq !== undefined) return pow((a as { a: Expr }).a, num(pq));
  return { kind: "pow", a, b };
}

function call(fn: string, ...args: Expr[]): Expr {
  return { kind: "call", fn, args };
}

/** A record of one rule applied, for `explain`. */
export interface Step {
  /** The rule's name: "constant rule", "sum rule", "product rule", "chain rule", … */
  rule: string;
  /** What was differentiated. */
  of: string;
  /** Its derivative. */
  is: string;
}

/**
 * The spec's algebra over trees, for printing: each operation a smart
 * constructor, `keep` and `select` the textbook branch (the rules' other
 * branches are the same real function in a form that stays in range).
 */
const TREES: Algebra<Expr> = {
  num: (x) => (x === Math.PI ? { kind: "name", name: "pi" } : x === Math.E ? { kind: "name", name: "e" } : num(x)),
  add, sub, mul, div, neg,
  call: (fn, a, b) => {
    if (fn === "pow") return pow(a, b!);
    if (fn === "log" && a.kind === "name" && a.name === "e") return num(1);
    return b === undefined ? call(fn, a) : call(fn, a, b);
  },
  keep: (x) => x,
  select: (_where, x) => x,
};

/** The operator a tree node applies, as a spec name. */
const OPERATORS = { neg: "neg", add: "add", sub: "sub", mul: "mul", div: "div", pow: "pow" } as const;

/** d e/d x as a tree, recording each rule applied in `steps` (if given). */
function differentiate(e: Expr, x: string, steps?: Step[], depth = 0): Expr {
  if (depth > MAX_DEPTH) throw new InputError(`the expression is nested more than ${MAX_DEPTH} levels deep for symbolic differentiation`);
  if (steps && depth > MAX_EXPLAIN_DEPTH) {
    throw new InputError(`explain: the expression is nested more than ${MAX_EXPLAIN_DEPTH} levels deep; its steps would grow with the square of the depth (derivative without explain takes up to ${MAX_DEPTH})`);
  }
  const d = (u: Expr) => differentiate(u, x, steps, depth + 1);
  let rule: string;
  let r: Expr;
  if (e.kind === "num") {
    rule = "constant rule";
    r = num(0);
  } else if (e.kind === "name") {
    rule = e.name === x ? "d x/d x = 1" : Object.hasOwn(CONSTANTS, e.name) ? "constant rule" : "another variable is a constant";
    r = num(e.name === x ? 1 : 0);
  } else if (e.kind === "call" && !Object.hasOwn(PRIMITIVES, e.fn)) {
    throw new InputError(`symbolic differentiation does not handle ${e.fn}() (tensor functions are for compile)`);
  } else if (e.kind === "call" && e.fn === "where") {
    // the taken branch's derivative (at a switching point too: the branch the condition takes there)
    rule = "where rule: where(c, u, v)' = where(c, u', v')";
    const [c, u, v] = e.args, du = d(u), dv = d(v);
    r = same(du, dv) ? du : call("where", c, du, dv);
  } else {
    const name = e.kind === "call" ? e.fn as PrimitiveName : OPERATORS[e.kind];
    const args = e.kind === "call" ? e.args : e.kind === "neg" ? [e.a] : [e.a, e.b];
    const row = PRIMITIVES[name] as Row;
    rule = ruleName(name, args, x);
    if (row.kind === "composite") r = d(row.expand(TREES, ...args));
    else if (row.kind === "scalar") r = chainRule(row, args, e, d);
    else throw new InputError(`symbolic differentiation does not handle ${name}() (tensor functions are for compile)`);
  }
  steps?.push({ rule, of: print(e), is: print(r) });
  return r;
}

/** Σ (∂ᵢ·argᵢ′)/s over the operands, by the row's partials at these operands and the value e. */
function chainRule(row: ScalarRow, args: readonly Expr[], e: Expr, d: (u: Expr) => Expr): Expr {
  const [u, v] = args;
  const p = row.partials(TREES, u, v ?? num(0), e);
  const term = (partial: Expr, du: Expr) => (p.scale === undefined ? mul(partial, du) : div(mul(partial, du), p.scale));
  const r = term(p.a, d(u));
  return args.length === 2 ? add(r, term(p.b!, d(v))) : r;
}

/** The name of the rule that differentiates name(args) with respect to x, for `explain`. */
function ruleName(name: PrimitiveName, args: readonly Expr[], x: string): string {
  const [u, v] = args;
  switch (name) {
    case "neg": return "constant multiple rule";
    case "add": return "sum rule";
    case "sub": return "difference rule";
    case "mul": return depends(u, x) && depends(v, x) ? "product rule: (u·v)' = u'·v + u·v'" : "constant multiple rule";
    case "div": return depends(v, x) ? "quotient rule: (u/v)' = u'/v − (u/v)·v'/v" : "constant multiple rule";
    case "pow":
      if (!depends(v, x)) return isChain(u, x) ? "power rule and chain rule: (u^c)' = c·u^(c−1)·u'" : "power rule: (x^c)' = c·x^(c−1)";
      if (!depends(u, x)) return "exponential rule: (c^u)' = c^u·ln(c)·u'";
      return "general power rule: (u^v)' = v·u^(v−1)·u' + u^v·ln(u)·v'";
    default:
      if (args.length === 1) return isChain(u, x) ? `chain rule: ${name}(u)' = ${name}'(u)·u'` : `derivative of ${name}`;
      return `chain rule: ${name}(u, v)' = ∂₁${name}·u' + ∂₂${name}·v'`;
  }
}

/** Whether e contains the variable x. */
function depends(e: Expr, x: string): boolean {
  switch (e.kind) {
    case "num": return false;
    case "name": return e.name === x;
    case "neg": return depends(e.a, x);
    case "call": return e.args.some((a) => depends(a, x));
    default: return depends(e.a, x) || depends(e.b, x);
  }
}

/** Whether u is more than the variable itself (so a rule needs the chain rule too). */
function isChain(u: Expr, x: string): boolean {
  return !(u.kind === "name" && u.name === x);
}

// Printing, correct by construction: each printed form has the grammar's level
// (parse.ts: 1 ||, 2 &&, 3 == !=, 4 < <= > >=, 5 + −, 6 * /, 7 unary − and !, 8 ^,
// 9 atoms), and an operand is wrapped in parentheses exactly when its level is
// below what its position requires: the left operand of a left-associative
// operator at the operator's level, the right one above it, both operands of a
// comparison above it (they do not chain), the base of ^ an atom, its exponent
// at least unary minus (x^-y is x^(−y)), the operand of unary minus at least unary minus.

/** The grammar levels of the comparison and logical operators (parse.ts's order). */
const INFIX_LEVELS: Readonly<Record<string, number>> = { "||": 1, "&&": 2, "==": 3, "!=": 3, "<": 4, "<=": 4, ">": 4, ">=": 4 };
/** Comparisons and logical operators, called by their spec names in trees: their text (the spec row's operator) and level. */
const INFIX: Readonly<Record<string, { text: string; level: number }>> = Object.fromEntries(
  (Object.entries(PRIMITIVES) as [string, Row][]).flatMap(([name, row]) => (row.kind === "scalar" && row.operator && Object.hasOwn(INFIX_LEVELS, row.operator)
    ? [[name, { text: row.operator, level: INFIX_LEVELS[row.operator] }]] : [])));

/** The grammar level of e as `print` writes it. */
function level(e: Expr): number {
  switch (e.kind) {
    case "num": return e.value < 0 || Object.is(e.value, -0) ? 7 : 9; // a negative number prints with a minus
    case "name": return 9;
    case "call": return Object.hasOwn(INFIX, e.fn) ? INFIX[e.fn].level : e.fn === "not" ? 7 : 9;
    case "pow": return 8;
    // −(a·b) prints as (−a)·b, the same number in IEEE arithmetic: a product.
    case "neg": return e.a.kind === "mul" || e.a.kind === "div" ? 6 : 7;
    case "mul": case "div": return 6;
    case "add": case "sub": return 5;
  }
}

function formatNumber(v: number): string {
  if (v < 0 || Object.is(v, -0)) return `-${formatNumber(-v)}`;
  // Printed so that they parse back: the grammar has no names for them.
  if (v === Infinity) return "1e999";
  if (Number.isNaN(v)) return "(0/0)";
  return String(v);
}

/** An expression in the library's grammar: `*` and `^` tight, `+` and `-` spaced. */
export function print(e: Expr): string {
  const wrap = (c: Expr, min: number) => (level(c) < min ? `(${print(c)})` : print(c));
  switch (e.kind) {
    case "num": return formatNumber(e.value);
    case "name": return e.name;
    case "neg":
      // The minus moves onto the leftmost factor: −(a·b) is written −a*b, read (−a)·b.
      if (e.a.kind === "mul" || e.a.kind === "div") return print({ kind: e.a.kind, a: { kind: "neg", a: e.a.a }, b: e.a.b });
      return `-${wrap(e.a, 7)}`;
    case "call": {
      const infix = Object.hasOwn(INFIX, e.fn) ? INFIX[e.fn] : undefined;
      if (infix) {
        const chains = infix.level <= 2; // && and || associate; comparisons do not chain
        return `${wrap(e.args[0], chains ? infix.level : infix.level + 1)} ${infix.text} ${wrap(e.args[1], infix.level + 1)}`;
      }
      if (e.fn === "not") return `!${wrap(e.args[0], 7)}`;
      return `${e.fn}(${e.args.map(print).join(", ")})`;
    }
    case "add": return `${wrap(e.a, 5)} + ${wrap(e.b, 6)}`;
    case "sub": return `${wrap(e.a, 5)} - ${wrap(e.b, 6)}`;
    case "mul": return `${wrap(e.a, 6)}*${wrap(e.b, 7)}`;
    case "div": return `${wrap(e.a, 6)}/${wrap(e.b, 7)}`;
    case "pow": return `${wrap(e.a, 9)}^${wrap(e.b, 7)}`; // right-associative: the exponent may be a^b or −u
  }
}

const ARITHMETIC = { "+": add, "-": sub, "*": mul, "/": div, "^": pow } as const;
/** The spec name of each comparison and logical operator. */
const OPERATOR_NAMES = Object.fromEntries(Object.entries(INFIX).map(([name, { text }]) => [text, name])) as Record<string, string>;

/**
 * Parses an expression of scalars into a tree; tensor variables and functions are
 * for `compile`. Names in `bound` stand for those trees (a defined function's
 * parameters, as its body expands inline).
 */
function parseTree(src: string, bound?: ReadonlyMap<string, Expr>): Expr {
  if (typeof src !== "string") throw new InputError(`the expression must be a string, got ${typeof src}`);
  const depths = new WeakMap<Expr, number>();
  const node = (e: Expr, ...children: Expr[]) => {
    const depth = 1 + Math.max(0, ...children.map((c) => depths.get(c) ?? 0));
    if (depth > MAX_DEPTH) throw new InputError(`the expression is nested more than ${MAX_DEPTH} levels deep for symbolic differentiation`);
    depths.set(e, depth);
    return e;
  };
  const sink: ExprSink<Expr> = {
    // The input is simplified as it is read, by the same constructors as the results.
    number: (value) => node(num(value)),
    name: (name) => bound?.get(name) ?? node({ kind: "name", name }),
    negate: (a) => node(neg(a), a),
    binary: (op, a, b) => node(Object.hasOwn(ARITHMETIC, op) ? ARITHMETIC[op as keyof typeof ARITHMETIC](a, b) : call(OPERATOR_NAMES[op], a, b), a, b),
    not: (a) => node(call("not", a), a),
    conditional: (c, a, b) => node(call("where", c, a, b), c, a, b),
    call: (fn, args, column) => {
      if (Object.hasOwn(TENSOR_FUNCTIONS, fn)) throw new ParseError(`${fn}() takes tensors; symbolic derivatives are for scalar expressions`, column, src);
      const user = Object.hasOwn(PRIMITIVES, fn) ? undefined : userFunction(fn);
      if (user?.body !== undefined) return parseTree(user.body, new Map(user.params.map((p, i) => [p, args[i]])));
      if (user) throw new ParseError(`${fn} is defined by code: its derivative has no expression to print (compile it for numbers)`, column, src);
      return node(call(fn, ...args), ...args);
    },
    index: (_a, _i, column) => {
      throw new ParseError("indexing takes tensor variables; symbolic derivatives are for scalar expressions", column, src);
    },
  };
  return parseExpression(src, sink);
}

/** Names of the variables of a tree, in order of first appearance (without pi and e); sorted by the callers. */
function variablesOf(e: Expr): string[] {
  const seen: string[] = [];
  const walk = (u: Expr): void => {
    if (u.kind === "name") {
      if (!Object.hasOwn(CONSTANTS, u.name) && !seen.includes(u.name)) seen.push(u.name);
    } else if (u.kind === "neg") walk(u.a);
    else if (u.kind === "call") u.args.forEach(walk);
    else if (u.kind !== "num") {
      walk(u.a);
      walk(u.b);
    }
  };
  walk(e);
  return seen;
}

/** Options of `derivative`. */
export interface DerivativeExprOptions {
  /** Also list the rule applied at each step. */
  explain?: boolean;
}

/**
 * The derivative of `expr` with respect to `variable`, as an expression in the
 * library's grammar, built by the rules of differentiation and simplified to read
 * (`derivative("x^3*sin(x)", "x")` is `"3*x^2*sin(x) + x^3*cos(x)"`). With
 * `{ explain: true }`, `{ result, steps }`: each rule applied, innermost first.
 * @param expr an expression
 * @param variable the variable to differentiate by
 * @example
 * ```ts
 * import { derivative } from "gradients/symbolic";
 * const d: string = derivative("x^3*sin(x)", "x"); // "3*x^2*sin(x) + x^3*cos(x)"
 * ```
 */
export function derivative(expr: string, variable: string): string;
export function derivative(expr: string, variable: string, options: { explain: true }): { result: string; steps: Step[] };
export function derivative(expr: string, variable: string, options?: DerivativeExprOptions): string | { result: string; steps: Step[] };
export function derivative(expr: string, variable: string, options: DerivativeExprOptions = {}): string | { result: string; steps: Step[] } {
  const x = variableName(variable);
  checkOptions(options, ["explain"], "derivative");
  resetIdentities();
  const tree = parseTree(expr);
  if (!options.explain) return print(differentiate(tree, x));
  const steps: Step[] = [];
  const result = print(differentiate(tree, x, steps));
  return { result, steps };
}

/**
 * The gradient of `expr` as expressions, one per variable (`vars`, or the names in natural order, as `compile` orders them).
 * @param expr an expression
 * @param vars the variables, in order (default: natural order)
 * @example
 * ```ts
 * import { gradientExpr } from "gradients/symbolic";
 * const g: string[] = gradientExpr("x^2*y"); // ["2*x*y", "x^2"]
 * ```
 */
export function gradientExpr(expr: string, vars?: readonly string[]): string[] {
  checkNames(vars);
  resetIdentities();
  const tree = parseTree(expr);
  return (vars ?? naturalOrder(variablesOf(tree))).map((v) => print(differentiate(tree, variableName(v))));
}

function checkNames(vars: unknown): void {
  if (vars !== undefined && !Array.isArray(vars)) throw new InputError(`vars must be an array of variable names, got ${show(vars)}`);
}

/**
 * The Jacobian of several expressions as expressions: row i is the gradient of expression i (columns: `vars`, or the names in natural order).
 * @param exprs the expressions, one row each
 * @param vars the variables, in order (default: natural order)
 * @example
 * ```ts
 * import { jacobianExpr } from "gradients/symbolic";
 * const J: string[][] = jacobianExpr(["x*y", "y*z"]); // [["y", "x", "0"], ["0", "z", "y"]]
 * ```
 */
export function jacobianExpr(exprs: readonly string[], vars?: readonly string[]): string[][] {
  if (!Array.isArray(exprs)) throw new InputError("jacobianExpr takes an array of expressions");
  checkNames(vars);
  resetIdentities();
  const trees = exprs.map((e) => parseTree(e));
  const names = vars ?? naturalOrder([...new Set(trees.flatMap(variablesOf))]);
  return trees.map((t) => names.map((v) => print(differentiate(t, variableName(v)))));
}
