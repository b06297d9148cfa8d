// fast-check arbitraries for property tests and fuzzing (test/package/properties.test.ts,
// test/package/fuzz.test.ts): random expression trees over every operation of the
// grammar, printed as strings in the grammar; an independent interpreter for them
// (values and derivatives, in plain JavaScript with Math.*); random points, small
// matrices, malformed expression strings and junk values.
//
// Trees are DAGs: a random "program" pushes nodes onto a pool, each built from
// earlier pool entries, so one subtree may be used several times (a shared
// subexpression; printed, it is repeated, and the library's hash-consing should
// find it). Every function is applied in a form that keeps its argument inside
// the domain where it is defined and smooth, for any real input — log(c + u²),
// sqrt(c + u²), asin(0.9·tanh(u)), acosh(c + u²), atanh(0.9·tanh(u)), division by
// c + u², powers of positive bases, atan2 away from its branch cut, abs/sign/min/max
// away from their kinks — and a node whose magnitude bound grows too large is
// squashed (tanh, atan, sin) before it feeds exp-like functions. With `kinks`, raw
// abs(u), sign(u), min(u, v), max(u, v), hypot(u, v) and cbrt(u) appear too, and
// where(c, a, b) (or c ? a : b) with conditions made of comparisons, && || and !:
// each records its kink's argument (a condition's switching points), and
// `kinkMargin` says how far a point is from them.
import fc from "fast-check";
import { BINARY_FUNCTIONS, COMPOSITE_FUNCTIONS, TENSOR_FUNCTIONS, UNARY_FUNCTIONS } from "../../bindings/ops/grammar.js";

// ---------------------------------------------------------------------------
// Trees

export type BinaryOp = "+" | "-" | "*" | "/" | "^";

export type Tree =
  | { readonly k: "num"; readonly v: number }
  | { readonly k: "const"; readonly name: "pi" | "e" }
  | { readonly k: "var"; readonly i: number }
  | { readonly k: "neg"; readonly a: Tree }
  | { readonly k: "bin"; readonly op: BinaryOp; readonly a: Tree; readonly b: Tree }
  | { readonly k: "call"; readonly fn: string; readonly args: readonly Tree[] };

/** A node with a kink: `kink.at(values of kink.args)` is the signed distance to it (0 at the kink). */
type Kinked = Tree & { kink?: { args: readonly Tree[]; at: (values: number[]) => number } };

/** The scalar functions the generator draws (each has a reference interpreter below and in precise.ts). */
export const UNARY = ["sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh", "asinh", "acosh", "atanh",
  "exp", "expm1", "log", "log1p", "log2", "log10", "sqrt", "cbrt", "abs", "sign", "sigmoid", "softplus"] as const;
export const BINARY = ["atan2", "pow", "hypot", "min", "max"] as const;
/** Every function name of the grammar, from its tables (the spec's primitives, composites and tensor functions). */
const GRAMMAR_FUNCTIONS = [...Object.keys(UNARY_FUNCTIONS), ...Object.keys(BINARY_FUNCTIONS), ...Object.keys(COMPOSITE_FUNCTIONS),
  ...Object.keys(TENSOR_FUNCTIONS)];
/** Names that cannot be variables: constants and function names. */
export const RESERVED = new Set<string>(["pi", "e", ...GRAMMAR_FUNCTIONS]);

const num = (v: number): Tree => ({ k: "num", v });
const neg = (a: Tree): Tree => ({ k: "neg", a });
const bin = (op: BinaryOp, a: Tree, b: Tree): Tree => ({ k: "bin", op, a, b });
const call = (fn: string, ...args: Tree[]): Tree => ({ k: "call", fn, args });
const sq = (a: Tree): Tree => bin("^", a, num(2));
/** c + u², ≥ c > 0. */
const pos = (c: number, u: Tree): Tree => bin("+", num(c), sq(u));

/** An expression over n scalar variables, and the names it is printed with. */
export interface Expr {
  tree: Tree;
  vars: string[];
}

/** Several expressions over the same variables (a vector function), possibly sharing subtrees. */
export interface VectorExpr {
  trees: Tree[];
  vars: string[];
}

// ---------------------------------------------------------------------------
// Building trees from random programs

/** One step of a program: a template and the pool entries (counted from the newest) it uses. */
interface Instr {
  t: number;
  a: number;
  b: number;
  c: number;
  /** A number constant, for leaves. */
  v: number;
}

interface Built {
  tree: Kinked;
  /** Upper bound of |value| over the box. */
  bound: number;
  /** Nodes of the tree written out (shared subtrees counted each time). */
  size: number;
}

const BOX = 1.5;
/** Magnitude above which a node is squashed before an exp-like function. */
const EXP_ARG = 3;
/** Magnitude above which any new node is squashed. */
const LIMIT = 1e3;

type Template = (a: Built, b: Built, c: number, v: number) => { tree: Kinked; bound: number } | undefined;

const CS = [0.5, 1, 1.5, 2];
const pick = <T>(xs: readonly T[], c: number): T => xs[c % xs.length];

/** u, or a bounded smooth function of u when |u| may exceed `limit`. */
function tame(u: Built, limit: number, c: number): { tree: Tree; bound: number } {
  if (u.bound <= limit) return u;
  switch (c % 3) {
    case 0: return { tree: bin("*", num(limit), call("tanh", u.tree)), bound: limit };
    case 1: return { tree: call("atan", u.tree), bound: Math.min(limit, Math.PI / 2) };
    default: return { tree: bin("*", num(limit), call("sin", u.tree)), bound: limit };
  }
}

/** 0.9·tanh(u), or u itself when |u| ≤ 0.9 over the box: an argument in (−1, 1). */
function unit(u: Built, c: number): { tree: Tree; bound: number } {
  if (u.bound <= 0.9 && c % 2 === 0) return u;
  return { tree: bin("*", num(0.9), call("tanh", u.tree)), bound: 0.9 };
}

const SAFE: Record<string, Template> = {
  add: (a, b) => ({ tree: bin("+", a.tree, b.tree), bound: a.bound + b.bound }),
  sub: (a, b) => ({ tree: bin("-", a.tree, b.tree), bound: a.bound + b.bound }),
  mul: (a, b) => ({ tree: bin("*", a.tree, b.tree), bound: a.bound * b.bound }),
  div: (a, b, c) => {
    const k = pick(CS.slice(1), c);
    return c % 4 === 3
      ? { tree: bin("/", a.tree, bin("-", num(2), call("tanh", b.tree))), bound: a.bound }
      : { tree: bin("/", a.tree, pos(k, b.tree)), bound: a.bound / k };
  },
  neg: (a) => ({ tree: neg(a.tree), bound: a.bound }),
  powInt: (a, _b, c) => {
    const k = pick([2, 3, 2, 3, 4, 1, 0], c);
    return { tree: bin("^", a.tree, num(k)), bound: a.bound ** k };
  },
  powReal: (a, b, c) => {
    const base = pos(pick(CS.slice(1), c), a.tree), e = tame(b, 2, c);
    return { tree: bin("^", base, e.tree), bound: (pick(CS.slice(1), c) + a.bound ** 2) ** e.bound };
  },
  powConstBase: (a, _b, c) => {
    const e = tame(a, EXP_ARG, c), base = pick([2, Math.E, 0.5, 10], c);
    return { tree: bin("^", base === Math.E ? { k: "const", name: "e" } : num(base), e.tree), bound: Math.max(base, 1 / base) ** e.bound };
  },
  sin: (a) => ({ tree: call("sin", a.tree), bound: 1 }),
  cos: (a) => ({ tree: call("cos", a.tree), bound: 1 }),
  tan: (a) => {
    const u = a.bound <= 1.2 ? a : { tree: call("tanh", a.tree), bound: 1 };
    return { tree: call("tan", u.tree), bound: Math.tan(u.bound) };
  },
  asin: (a, _b, c) => ({ tree: call("asin", unit(a, c).tree), bound: Math.PI / 2 }),
  acos: (a, _b, c) => ({ tree: call("acos", unit(a, c).tree), bound: Math.PI }),
  atan: (a) => ({ tree: call("atan", a.tree), bound: Math.PI / 2 }),
  sinh: (a, _b, c) => { const u = tame(a, EXP_ARG, c); return { tree: call("sinh", u.tree), bound: Math.sinh(u.bound) }; },
  cosh: (a, _b, c) => { const u = tame(a, EXP_ARG, c); return { tree: call("cosh", u.tree), bound: Math.cosh(u.bound) }; },
  tanh: (a) => ({ tree: call("tanh", a.tree), bound: 1 }),
  sigmoid: (a) => ({ tree: call("sigmoid", a.tree), bound: 1 }),
  softplus: (a) => ({ tree: call("softplus", a.tree), bound: a.bound + Math.LN2 }),
  asinh: (a) => ({ tree: call("asinh", a.tree), bound: Math.asinh(a.bound) }),
  acosh: (a, _b, c) => {
    const k = pick([1.5, 2, 3], c);
    return { tree: call("acosh", pos(k, a.tree)), bound: Math.acosh(k + a.bound ** 2) };
  },
  atanh: (a, _b, c) => ({ tree: call("atanh", unit(a, c).tree), bound: Math.atanh(0.9) }),
  exp: (a, _b, c) => { const u = tame(a, EXP_ARG, c); return { tree: call("exp", u.tree), bound: Math.exp(u.bound) }; },
  expm1: (a, _b, c) => { const u = tame(a, EXP_ARG, c); return { tree: call("expm1", u.tree), bound: Math.exp(u.bound) }; },
  log: (a, _b, c) => logOf("log", a, c),
  log2: (a, _b, c) => logOf("log2", a, c),
  log10: (a, _b, c) => logOf("log10", a, c),
  log1p: (a, _b, c) => {
    const u = c % 2 === 0 ? { tree: sq(a.tree), bound: a.bound ** 2 } : unit(a, c);
    return { tree: call("log1p", u.tree), bound: Math.max(Math.log1p(u.bound), -Math.log1p(-0.9)) };
  },
  sqrt: (a, _b, c) => {
    const k = pick(CS, c);
    return { tree: call("sqrt", pos(k, a.tree)), bound: Math.sqrt(k + a.bound ** 2) };
  },
  cbrt: (a, _b, c) => {
    const k = pick(CS, c), arg = pos(k, a.tree);
    return { tree: call("cbrt", c % 2 === 0 ? arg : neg(arg)), bound: Math.cbrt(k + a.bound ** 2) };
  },
  abs: (a, _b, c) => {
    // ±1.5 + tanh(u): never 0, either sign.
    const inner = bin(c % 2 === 0 ? "+" : "-", call("tanh", a.tree), num(1.5));
    return { tree: call("abs", inner), bound: 2.5 };
  },
  sign: (a, b, c) => {
    const inner = bin(c % 2 === 0 ? "+" : "-", call("tanh", a.tree), num(1.5));
    return { tree: bin("*", call("sign", inner), b.tree), bound: b.bound };
  },
  atan2: (a, b, c) => {
    // Away from the cut (y = 0, x < 0): x > 0, or y ≠ 0 of fixed sign.
    const k = pick(CS.slice(1), c);
    if (c % 3 === 0) return { tree: call("atan2", a.tree, pos(k, b.tree)), bound: Math.PI / 2 };
    const y = pos(k, a.tree);
    return { tree: call("atan2", c % 3 === 1 ? y : neg(y), b.tree), bound: Math.PI };
  },
  pow: (a, b, c) => {
    const base = pos(pick(CS.slice(1), c), a.tree), e = tame(b, 2, c);
    return { tree: call("pow", base, e.tree), bound: (pick(CS.slice(1), c) + a.bound ** 2) ** e.bound };
  },
  hypot: (a, b, c) => {
    const k = pick(CS.slice(1), c);
    return { tree: call("hypot", a.tree, pos(k, b.tree)), bound: a.bound + k + b.bound ** 2 };
  },
  min: (a, b, c) => {
    // tanh(u) − 1.5 < tanh(v) + 1.5 always: min takes the first (or, swapped, the second).
    const lo = bin("-", call("tanh", a.tree), num(1.5)), hi = bin("+", call("tanh", b.tree), num(1.5));
    return { tree: c % 2 === 0 ? call("min", lo, hi) : call("min", hi, lo), bound: 2.5 };
  },
  max: (a, b, c) => {
    const lo = bin("-", call("tanh", a.tree), num(1.5)), hi = bin("+", call("tanh", b.tree), num(1.5));
    return { tree: c % 2 === 0 ? call("max", lo, hi) : call("max", hi, lo), bound: 2.5 };
  },
  num: (_a, _b, _c, v) => ({ tree: num(v), bound: v }),
  pi: () => ({ tree: { k: "const", name: "pi" }, bound: Math.PI }),
  e: () => ({ tree: { k: "const", name: "e" }, bound: Math.E }),
};

function logOf(fn: string, a: Built, c: number): { tree: Tree; bound: number } {
  const k = pick(CS, c);
  const f = fn === "log" ? Math.log : fn === "log2" ? Math.log2 : Math.log10;
  return { tree: call(fn, pos(k, a.tree)), bound: Math.max(Math.abs(f(k)), Math.abs(f(k + a.bound ** 2))) };
}

/** Raw functions at their kinks; each records the signed distance to its kink. */
const KINKED: Record<string, Template> = {
  rawAbs: (a) => ({ tree: kinked(call("abs", a.tree), ([u]) => u), bound: a.bound }),
  rawSign: (a, b) => ({ tree: bin("*", kinked(call("sign", a.tree), ([u]) => u), b.tree), bound: b.bound }),
  rawMin: (a, b) => ({ tree: kinked(call("min", a.tree, b.tree), ([u, v]) => u - v), bound: Math.max(a.bound, b.bound) }),
  rawMax: (a, b) => ({ tree: kinked(call("max", a.tree, b.tree), ([u, v]) => u - v), bound: Math.max(a.bound, b.bound) }),
  rawHypot: (a, b) => ({ tree: kinked(call("hypot", a.tree, b.tree), ([u, v]) => Math.hypot(u, v)), bound: a.bound + b.bound }),
  rawCbrt: (a) => ({ tree: kinked(call("cbrt", a.tree), ([u]) => u), bound: Math.cbrt(a.bound) }),
  // where(u OP v, u, v·u) and where(u OP v, v, u·u): the branches meet nowhere in particular, so the function jumps
  rawWhere: (a, b, c) => {
    const op = pick(["lt", "le", "gt", "ge"], c);
    const [x, y] = c % 2 === 0 ? [a.tree, bin("*", b.tree, a.tree)] : [b.tree, sq(a.tree)];
    const tree = kinked(call("where", call(op, a.tree, b.tree), x, y), ([u, v]) => u - v, [a.tree, b.tree]);
    return { tree, bound: Math.max(a.bound, b.bound, a.bound * b.bound, a.bound ** 2) };
  },
  // where(u > 0 && v < 0.5 || !(u < v), sin(u), v): a condition of several comparisons, switching where any of them does
  rawLogic: (a, b) => {
    const cond = call("or", call("and", call("gt", a.tree, num(0)), call("lt", b.tree, num(0.5))), call("not", call("lt", a.tree, b.tree)));
    const tree = kinked(call("where", cond, call("sin", a.tree), b.tree), ([u, v]) => Math.min(Math.abs(u), Math.abs(v - 0.5), Math.abs(u - v)), [a.tree, b.tree]);
    return { tree, bound: Math.max(1, b.bound) };
  },
  // (u²)^r: defined for every u (the base is ≥ 0), smooth away from u = 0 (|u|^(2r)).
  rawPowEven: (a, _b, c) => {
    const r = pick([0.5, 1.5, 0.25, 0.75, 2.5], c);
    return { tree: kinked(bin("^", sq(a.tree), num(r)), ([u]) => u, [a.tree]), bound: a.bound ** (2 * r) };
  },
};

/** t, marked with its kink: at(values of args) is 0 there (args: t's own arguments unless given). */
function kinked(t: Tree, at: (values: number[]) => number, args?: readonly Tree[]): Kinked {
  return Object.assign(t, { kink: { args: args ?? (t.k === "call" ? t.args : []), at } });
}

const SAFE_NAMES = Object.keys(SAFE);
const KINK_NAMES = Object.keys(KINKED);

function sizeOf(t: Tree): number {
  switch (t.k) {
    case "num": case "const": case "var": return 1;
    case "neg": return 1 + sizeOf(t.a);
    case "bin": return 1 + sizeOf(t.a) + sizeOf(t.b);
    case "call": return 1 + t.args.reduce((s, u) => s + sizeOf(u), 0);
  }
}

/** Runs a program over n variables: the pool of nodes it built (variables first). */
function run(n: number, program: readonly Instr[], options: ExprOptions): Built[] {
  const { kinks = false, maxSize = 160, limit = LIMIT, exclude = [] } = options;
  const pool: Built[] = Array.from({ length: n }, (_, i) => ({ tree: { k: "var", i }, bound: BOX, size: 1 }));
  const names = (kinks ? [...SAFE_NAMES, ...KINK_NAMES, ...KINK_NAMES] : SAFE_NAMES).filter((t) => !exclude.includes(t));
  for (const s of program) {
    const a = pool[pool.length - 1 - (s.a % pool.length)], b = pool[pool.length - 1 - (s.b % pool.length)];
    const name = names[s.t % names.length];
    const template = SAFE[name] ?? KINKED[name];
    let made = template(a, b, s.c, s.v);
    if (!made) continue;
    if (!(made.bound <= limit)) {
      // Too large: build it again from squashed operands (squashing the result instead would
      // make sin(1000·u), which varies faster than finite differences can follow).
      const small = (u: Built): Built => ({ ...tame(u, 1, s.c), size: u.size });
      made = template(small(a), small(b), s.c, s.v) ?? made;
    }
    let { tree, bound } = made;
    if (!(bound <= limit)) {
      const squashed = tame({ tree, bound, size: 0 }, 1, s.c);
      tree = squashed.tree;
      bound = squashed.bound;
    }
    const size = sizeOf(tree);
    if (size > maxSize) continue;
    pool.push({ tree, bound, size });
  }
  if (options.focus) {
    const last = pool[pool.length - 1], made = (SAFE[options.focus] ?? KINKED[options.focus])(last, last, program[0]?.c ?? 0, 1)!;
    pool.push({ ...made, size: sizeOf(made.tree) });
  }
  return pool;
}

/** Number constants: simple ones, and any double in [0, 4] (every digit must survive printing). */
const constant = fc.oneof(
  fc.constantFrom(0, 1, 2, 3, 0.5, 0.25, 0.1, 1.5, 2.5, 1e-3, 10, 7, 0.3),
  fc.double({ min: 0, max: 4, noNaN: true }).map((v) => Math.abs(v)),
);

const instr = (maxPick: number): fc.Arbitrary<Instr> => fc.record({
  t: fc.nat(), a: fc.nat(maxPick), b: fc.nat(maxPick), c: fc.nat(11), v: constant,
});

/** Variable names: short plain ones, or random identifiers (not constants or function names). */
export function varNames(n: number): fc.Arbitrary<string[]> {
  const plain = fc.constant(["x", "y", "z", "u", "w"].slice(0, n));
  const ident = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,5}$/).filter((s) => !RESERVED.has(s));
  return fc.oneof({ weight: 2, arbitrary: plain }, { weight: 1, arbitrary: fc.uniqueArray(ident, { minLength: n, maxLength: n }) });
}

export interface ExprOptions {
  /** Variables: from `minVars` to `maxVars` (1–5). */
  minVars?: number;
  maxVars?: number;
  /** Program steps (each may add one node). */
  maxSteps?: number;
  /** Largest tree, counting shared subtrees each time they are printed. */
  maxSize?: number;
  /** Allow raw abs/sign/min/max/hypot/cbrt and (u²)^r at their kinks (see kinkMargin). */
  kinks?: boolean;
  /** Magnitude above which a node is squashed (default 1000; smaller keeps functions from oscillating fast). */
  limit?: number;
  /** Templates left out (names of SAFE or KINKED entries). */
  exclude?: readonly string[];
  /** A template the expression ends with (applied to the program's last node). */
  focus?: string;
}

/** A random scalar expression over 1–5 variables. */
export function exprArb(options: ExprOptions = {}): fc.Arbitrary<Expr> {
  const { minVars = 1, maxVars = 5, maxSteps = 14 } = options;
  return fc.integer({ min: minVars, max: maxVars }).chain((n) =>
    fc.tuple(varNames(n), fc.array(instr(6), { minLength: 1, maxLength: maxSteps })).map(([vars, program]) => {
      const pool = run(n, program, { maxSize: 160, ...options });
      return described({ tree: pool[pool.length - 1].tree, vars });
    }));
}

/** Several random expressions over the same variables, built from one pool (so they share subtrees). */
export function vectorExprArb(options: ExprOptions & { minOutputs?: number; maxOutputs?: number } = {}): fc.Arbitrary<VectorExpr> {
  const { minVars = 1, maxVars = 5, maxSteps = 16, minOutputs = 2, maxOutputs = 4 } = options;
  return fc.tuple(fc.integer({ min: minVars, max: maxVars }), fc.integer({ min: minOutputs, max: maxOutputs })).chain(([n, m]) =>
    fc.tuple(varNames(n), fc.array(instr(6), { minLength: 1, maxLength: maxSteps }), fc.array(fc.nat(), { minLength: m, maxLength: m }))
      .map(([vars, program, picks]) => {
        const pool = run(n, program, { maxSize: 120, ...options });
        const trees = picks.map((p, i) => (i === picks.length - 1 ? pool[pool.length - 1] : pool[pool.length - 1 - (p % pool.length)]).tree);
        return Object.assign({ trees, vars }, {
          [fc.toStringMethod]: () => `${JSON.stringify(trees.map((t) => print(t, vars)))} over ${JSON.stringify(vars)}`,
        });
      }));
}

/** An Expr that fast-check reports as its printed text. */
function described(e: Expr): Expr {
  return Object.assign(e, { [fc.toStringMethod]: () => `${JSON.stringify(print(e.tree, e.vars))} over ${JSON.stringify(e.vars)}` });
}

// ---------------------------------------------------------------------------
// Points

/** A coordinate in the box [−1.5, 1.5] (fast-check includes ±0, tiny and boundary values). */
export const coordinate = fc.double({ min: -BOX, max: BOX, noNaN: true });

/** A point of n coordinates in the box. */
export function pointArb(n: number): fc.Arbitrary<number[]> {
  return fc.array(coordinate, { minLength: n, maxLength: n });
}

/** An expression and a point for it. */
export function exprAtPointArb(options: ExprOptions = {}): fc.Arbitrary<{ expr: Expr; x: number[] }> {
  return exprArb(options).chain((expr) => pointArb(expr.vars.length).map((x) => ({ expr, x })));
}

// ---------------------------------------------------------------------------
// Printing

/** A tiny deterministic generator (mulberry32) for printing choices. */
function rng(seed: number): () => number {
  let s = seed | 0;
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Precedence levels of the grammar: + − 1, * / 2, unary − 3, ^ 4, atoms 5. */
function prec(t: Tree): number {
  if (t.k === "neg") return 3;
  if (t.k === "bin") return t.op === "+" || t.op === "-" ? 1 : t.op === "*" || t.op === "/" ? 2 : 4;
  return 5;
}

/** Ways to write a non-negative number that all read back as exactly that number. */
function numberTexts(v: number): string[] {
  const s = String(v);
  const texts = [s, v.toExponential(), v.toExponential().replace("e", "E"), v.toExponential().replace("e+", "e")];
  if (s.startsWith("0.")) texts.push(s.slice(1));
  if (Number.isInteger(v) && !s.includes("e")) texts.push(`${s}.`, `${s}.0`, `${s}.000`);
  if (s.includes(".") && !s.includes("e")) texts.push(`${s}0`);
  return texts.filter((t) => Number(t) === v);
}

/**
 * The tree as a string in the grammar. With a style seed, the spelling varies —
 * whitespace, redundant parentheses, number formats, `pow(a, b)` for `a^b`,
 * `--a` for `-(-a)` — but the parse is always the same tree.
 */
export function print(t: Tree, vars: readonly string[], style?: number): string {
  const r = style === undefined ? undefined : rng(style);
  const chance = (p: number) => r !== undefined && r() < p;
  const ws = () => (r === undefined ? "" : chance(0.15) ? pick([" ", "  ", "\t", "\n", "\r\n"], Math.floor(r() * 5)) : "");
  const out = (u: Tree, needParens: boolean): string => {
    const s = go(u);
    return needParens || chance(0.1) ? `(${ws()}${s}${ws()})` : s;
  };
  const go = (u: Tree): string => {
    switch (u.k) {
      case "num": {
        if (r === undefined) return String(u.v);
        const texts = numberTexts(u.v);
        return texts[Math.floor(r() * texts.length)];
      }
      case "const": return u.name;
      case "var": return vars[u.i];
      case "neg": {
        // The operand of unary minus may contain ^ (tighter) but not * / + −; --a is -(-a).
        const p = prec(u.a);
        return `-${ws()}${out(u.a, p < 3 || (p === 3 && !chance(0.5)))}`;
      }
      case "call": {
        // comparisons and logic parenthesized whole; a where spelled as c ? a : b at times
        if (Object.hasOwn(INFIX, u.fn)) return `(${go(u.args[0])}${ws()}${INFIX[u.fn]}${ws()}${go(u.args[1])})`;
        if (u.fn === "not") return `!${ws()}(${go(u.args[0])})`;
        if (u.fn === "where" && chance(0.5)) return `(${go(u.args[0])}${ws()}?${ws()}${go(u.args[1])}${ws()}:${ws()}${go(u.args[2])})`;
        return `${u.fn}${ws()}(${u.args.map((a) => `${ws()}${go(a)}${ws()}`).join(",")})`;
      }
      case "bin": {
        if (u.op === "^" && chance(0.3)) return `pow(${ws()}${go(u.a)},${ws()}${go(u.b)})`;
        const p = prec(u);
        let left: boolean, right: boolean;
        if (u.op === "^") {
          left = prec(u.a) < 5; // the base is an atom: -a^b is -(a^b), (a^b)^c needs them
          right = prec(u.b) < 3; // a^b^c is a^(b^c), a^-b is a^(-b)
        } else {
          left = prec(u.a) < p;
          right = prec(u.b) <= p && u.b.k !== "neg"; // a - -b, a*-b: unary minus may follow an operator
        }
        const sp = u.op === "+" || u.op === "-" ? (r === undefined ? " " : ws()) : ws();
        return `${out(u.a, left)}${sp}${u.op}${sp}${out(u.b, right)}`;
      }
    }
  };
  return go(t);
}

/** A style seed for `print`. */
export const styleArb = fc.integer();

// ---------------------------------------------------------------------------
// The reference interpreter

/** pow as C (and the library) define it: 1^y = 1 and x^0 = 1 even for NaN, (−1)^±∞ = 1. */
export function cpow(a: number, b: number): number {
  if (a === 1 || b === 0) return 1;
  if (a === -1 && (b === Infinity || b === -Infinity)) return 1;
  return Math.pow(a, b);
}

/** 1/(1 + e^−u), each side written so that e^∓u cannot overflow. */
const logistic = (u: number) => (u >= 0 ? 1 / (1 + Math.exp(-u)) : Math.exp(u) / (1 + Math.exp(u)));

const FNS: Record<string, (...a: number[]) => number> = {
  sin: Math.sin, cos: Math.cos, tan: Math.tan, asin: Math.asin, acos: Math.acos, atan: Math.atan,
  sinh: Math.sinh, cosh: Math.cosh, tanh: Math.tanh, asinh: Math.asinh, acosh: Math.acosh, atanh: Math.atanh,
  exp: Math.exp, expm1: Math.expm1, log: Math.log, log1p: Math.log1p, log2: Math.log2, log10: Math.log10,
  sqrt: Math.sqrt, cbrt: Math.cbrt, abs: Math.abs, sign: Math.sign, sigmoid: logistic,
  softplus: (u) => (u > 0 ? u + Math.log1p(Math.exp(-u)) : Math.log1p(Math.exp(u))),
  atan2: Math.atan2, pow: cpow, hypot: (a, b) => Math.hypot(a, b), min: (a, b) => Math.min(a, b), max: (a, b) => Math.max(a, b),
  lt: (a, b) => Number(a < b), le: (a, b) => Number(a <= b), gt: (a, b) => Number(a > b), ge: (a, b) => Number(a >= b),
  and: (a, b) => Number(a !== 0 && b !== 0), or: (a, b) => Number(a !== 0 || b !== 0), not: (a) => Number(a === 0),
  where: (c, a, b) => (c !== 0 ? a : b),
};

/** Comparisons and logical operators as the grammar writes them. */
const INFIX: Readonly<Record<string, string>> = { lt: "<", le: "<=", gt: ">", ge: ">=", and: "&&", or: "||" };

/** Partial derivatives of each function at its arguments (value v given). */
function partials(fn: string, [u, w]: number[], v: number): number[] {
  switch (fn) {
    case "sin": return [Math.cos(u)];
    case "cos": return [-Math.sin(u)];
    case "tan": return [1 + v * v];
    case "asin": return [1 / Math.sqrt((1 - u) * (1 + u))]; // (factored: 1 − u² cancels next to ±1)
    case "acos": return [-1 / Math.sqrt((1 - u) * (1 + u))];
    case "atan": return [1 / (1 + u * u)];
    case "sinh": return [Math.cosh(u)];
    case "cosh": return [Math.sinh(u)];
    case "tanh": return [1 / Math.cosh(u) ** 2]; // (1 − tanh² u cancels for |u| ≳ 1)
    case "asinh": return [1 / Math.hypot(u, 1)];
    case "acosh": return [1 / Math.sqrt(u * u - 1)];
    case "atanh": return [1 / ((1 - u) * (1 + u))];
    case "exp": return [v];
    case "expm1": return [Math.exp(u)];
    case "log": return [1 / u];
    case "log1p": return [1 / (1 + u)];
    case "log2": return [1 / (u * Math.LN2)];
    case "log10": return [1 / (u * Math.LN10)];
    case "sqrt": return [1 / (2 * v)];
    case "cbrt": return [1 / (3 * v * v)];
    case "abs": return [Math.sign(u)];
    case "sign": return [0];
    case "sigmoid": return [v * logistic(-u)];
    case "softplus": return [logistic(u)];
    case "atan2": { const h = Math.hypot(u, w); return [w / h / h, -(u / h / h)]; }
    case "pow": return [w === 0 ? 0 : w * cpow(u, w - 1), v === 0 ? 0 : v * Math.log(u)];
    case "hypot": return [u / v, w / v];
    case "min": return u < w ? [1, 0] : u > w ? [0, 1] : [0.5, 0.5];
    case "max": return u > w ? [1, 0] : u < w ? [0, 1] : [0.5, 0.5];
  }
  throw new Error(`no partials for ${fn}`);
}

const EPS = 2 ** -53;

/** A value, its gradient, and scales for tolerances. */
export interface Dual {
  v: number;
  /** ∂v/∂x_i. */
  g: Float64Array;
  /**
   * The gradient with every partial and every sum taken in absolute value: a bound
   * on the terms a chain-rule evaluation adds up, so a bound on its rounding errors
   * (relative) whatever the order of summation.
   */
  ga: Float64Array;
  /** A first-order bound on the rounding error of v (absolute), from ~2 ulp per transcendental op. */
  e: number;
  /** Whether v depends on any variable (a constant exponent contributes no ∂b term). */
  dep: boolean;
  /**
   * The largest |partial| met on the way (of a node that depends on a variable):
   * beyond ~1e30 (near cbrt(0), say) chain-rule products may underflow or overflow
   * in one order of multiplication and not in another.
   */
  pmax: number;
}

/**
 * Evaluates a tree at x in plain JavaScript (Math.*, C's pow) with forward-mode
 * derivatives: the independent reference for values and gradients. Memoized per
 * node, so shared subtrees are evaluated once.
 */
export function evaluate(t: Tree, x: readonly number[]): Dual {
  const n = x.length;
  const memo = new Map<Tree, Dual>();
  const leaf = (v: number): Dual => ({ v, g: new Float64Array(n), ga: new Float64Array(n), e: 0, dep: false, pmax: 0 });
  // `absPs`: the partials the term scale `ga` uses (min and max count both arguments: the
  // symbolic rule (a' + b')/2 ± sign(a − b)·(a' − b')/2 adds both up).
  const combine = (v: number, parts: Dual[], ps: number[], rounding: number, absPs: number[] = ps): Dual => {
    const g = new Float64Array(n), ga = new Float64Array(n);
    let e = rounding * EPS * Math.abs(v), pmax = 0;
    parts.forEach((p, k) => {
      const d = ps[k];
      // A constant part's rounding error carries into v as any part's does (the
      // library folds constants correctly rounded; Math.hypot, for one, is not).
      if (p.e !== 0) e += Math.abs(d) * p.e;
      if (!p.dep) return; // structurally independent: no term (as the library skips such lanes)
      pmax = Math.max(pmax, p.pmax, Math.abs(d));
      for (let i = 0; i < n; i++) {
        g[i] += d * p.g[i];
        ga[i] += Math.abs(absPs[k]) * p.ga[i];
      }
    });
    return { v, g, ga, e, dep: parts.some((p) => p.dep), pmax };
  };
  // Iterative post-order walk: trees may be deep.
  const stack: { t: Tree; done: boolean }[] = [{ t, done: false }];
  while (stack.length > 0) {
    const top = stack.pop()!;
    const u = top.t;
    if (memo.has(u)) continue;
    const kids = u.k === "neg" ? [u.a] : u.k === "bin" ? [u.a, u.b] : u.k === "call" ? u.args : [];
    if (!top.done) {
      stack.push({ t: u, done: true });
      for (const c of kids) if (!memo.has(c)) stack.push({ t: c, done: false });
      continue;
    }
    let r: Dual;
    switch (u.k) {
      case "num": r = leaf(u.v); break;
      case "const": r = leaf(u.name === "pi" ? Math.PI : Math.E); break;
      case "var": {
        r = leaf(x[u.i]);
        r.g[u.i] = 1;
        r.ga[u.i] = 1;
        r.dep = true;
        break;
      }
      case "neg": { const a = memo.get(u.a)!; r = combine(-a.v, [a], [-1], 0); break; }
      case "bin": {
        const a = memo.get(u.a)!, b = memo.get(u.b)!;
        switch (u.op) {
          case "+": r = combine(a.v + b.v, [a, b], [1, 1], 1); break;
          case "-": r = combine(a.v - b.v, [a, b], [1, -1], 1); break;
          case "*": r = combine(a.v * b.v, [a, b], [b.v, a.v], 1); break;
          case "/": r = combine(a.v / b.v, [a, b], [1 / b.v, -(a.v / b.v) / b.v], 1); break;
          case "^": { const v = cpow(a.v, b.v); r = combine(v, [a, b], partials("pow", [a.v, b.v], v), 4); break; }
        }
        break;
      }
      case "call": {
        const args = u.args.map((c) => memo.get(c)!);
        const vals = args.map((a) => a.v);
        if (u.fn === "where") { // the taken branch, value and derivatives; a condition's derivative is 0
          r = combine(vals[0] !== 0 ? vals[1] : vals[2], [args[vals[0] !== 0 ? 1 : 2]], [1], 0);
          break;
        }
        if (Object.hasOwn(INFIX, u.fn) || u.fn === "not") {
          r = leaf(FNS[u.fn](...vals));
          break;
        }
        const v = FNS[u.fn](...vals);
        const exact = u.fn === "abs" || u.fn === "sign" || u.fn === "min" || u.fn === "max";
        r = combine(v, args, partials(u.fn, vals, v), exact ? 0 : 4, u.fn === "min" || u.fn === "max" ? [1, 1] : undefined);
        break;
      }
    }
    memo.set(u, r!);
  }
  return memo.get(t)!;
}

/** The value only. */
export function value(t: Tree, x: readonly number[]): number {
  return evaluate(t, x).v;
}

/**
 * How far x is from every kink of the tree (raw abs, sign, min, max, hypot, cbrt):
 * the smallest |distance| of a kink's argument, or +Infinity without kinks.
 */
export function kinkMargin(t: Tree, x: readonly number[]): number {
  let margin = Infinity;
  const seen = new Set<Tree>();
  const stack: Tree[] = [t];
  while (stack.length > 0) {
    const u = stack.pop()! as Kinked;
    if (seen.has(u)) continue;
    seen.add(u);
    if (u.kink) margin = Math.min(margin, Math.abs(u.kink.at(u.kink.args.map((a) => value(a, x)))));
    if (u.k === "neg") stack.push(u.a);
    else if (u.k === "bin") stack.push(u.a, u.b);
    else if (u.k === "call") stack.push(...u.args);
  }
  return margin;
}

/** Whether the tree has any kinked node. */
export function hasKinks(t: Tree): boolean {
  const stack: Tree[] = [t];
  while (stack.length > 0) {
    const u = stack.pop()! as Kinked;
    if (u.kink) return true;
    if (u.k === "neg") stack.push(u.a);
    else if (u.k === "bin") stack.push(u.a, u.b);
    else if (u.k === "call") stack.push(...u.args);
  }
  return false;
}

// ---------------------------------------------------------------------------
// Matrices

/** A rows × cols matrix with entries in [−2, 2] (as nested arrays). */
export function matrixArb(rows: number, cols: number, max = 2): fc.Arbitrary<number[][]> {
  const entry = fc.double({ min: -max, max, noNaN: true });
  return fc.array(fc.array(entry, { minLength: cols, maxLength: cols }), { minLength: rows, maxLength: rows });
}

export function vectorArb(n: number, max = 2): fc.Arbitrary<number[]> {
  return fc.array(fc.double({ min: -max, max, noNaN: true }), { minLength: n, maxLength: n });
}

/** det of a 2×2 or 3×3 matrix by the cofactor expansion along the first row. */
export function det(A: readonly (readonly number[])[]): number {
  if (A.length === 1) return A[0][0];
  if (A.length === 2) return A[0][0] * A[1][1] - A[0][1] * A[1][0];
  return A[0][0] * (A[1][1] * A[2][2] - A[1][2] * A[2][1])
    - A[0][1] * (A[1][0] * A[2][2] - A[1][2] * A[2][0])
    + A[0][2] * (A[1][0] * A[2][1] - A[1][1] * A[2][0]);
}

/** The inverse by cofactors (adjugate / det). */
export function inverse(A: readonly (readonly number[])[]): number[][] {
  const k = A.length, d = det(A);
  const minor = (i: number, j: number) => A.filter((_, r) => r !== i).map((row) => row.filter((_, c) => c !== j));
  return Array.from({ length: k }, (_, i) => Array.from({ length: k }, (_, j) => (k === 1 ? 1 : ((i + j) % 2 ? -1 : 1) * det(minor(j, i))) / d));
}

const frobenius = (A: readonly (readonly number[])[]) => Math.sqrt(A.flat().reduce((s, v) => s + v * v, 0));

/** A k×k matrix (k = 1–3) with Frobenius condition number ≤ maxCond, entries in [−2, 2]. */
export function wellConditionedArb(k: number, maxCond = 30): fc.Arbitrary<number[][]> {
  return matrixArb(k, k).filter((A) => {
    const d = det(A);
    if (!(Math.abs(d) > 1e-3)) return false;
    return frobenius(A) * frobenius(inverse(A)) <= maxCond;
  });
}

// ---------------------------------------------------------------------------
// Malformed input

/** Tokens of the grammar and near misses, for token soup. */
export const TOKENS = [
  "x", "y", "z", "A", "b", "_t", "x1", "pi", "e", "E", "(", ")", "(", ")", "[", "]", ",", "+", "-", "*", "/", "^",
  "+", "-", "*", "^", "0", "1", "2", "2.5", ".5", "5.", "1e-3", "2E+2", "1e309", "1e-400", "0.0", "00", "1e", "1.2.3",
  "..", "[0]", "[1]", "[2]", "[9]", "[-1]", "[1.5]", "[1e0]", "[]", " ", "  ", "\t", "\n", "**", "//", "^-", "--",
  ...GRAMMAR_FUNCTIONS, "foo", "Infinity", "NaN", "undefined", "null", "constructor", "__proto__",
  "toString", "hasOwnProperty", "#", "$", "@", "!", "=", "<", ">", ";", ":", "'", "\"", "\\", "{", "}", "é", "π", "∞",
  "😀", "\u0000", "\u200b", "\ufeff", "\ud800", "0x1F", "1_000", "∗", "−",
];

export const tokenSoupArb = fc.array(fc.constantFrom(...TOKENS), { maxLength: 24 }).map((ts) => ts.join(""));

/** Random text: any code points, any code units, printable ASCII. */
export const randomTextArb = fc.oneof(
  fc.string({ unit: "grapheme", maxLength: 30 }),
  fc.string({ unit: "binary", maxLength: 30 }),
  fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength: 30 }), // lone surrogates too
  fc.string({ unit: "grapheme-ascii", maxLength: 40 }),
);

type Mutation = { kind: "delete" | "insert" | "swap" | "duplicate" | "replace"; at: number; len: number; text: string };

const mutationArb: fc.Arbitrary<Mutation> = fc.record({
  kind: fc.constantFrom("delete", "insert", "swap", "duplicate", "replace"),
  at: fc.nat(),
  len: fc.integer({ min: 1, max: 6 }),
  text: fc.oneof(fc.constantFrom(...TOKENS), fc.string({ unit: "grapheme-ascii", minLength: 1, maxLength: 2 })),
});

function mutate(s: string, ms: readonly Mutation[]): string {
  for (const m of ms) {
    const at = s.length === 0 ? 0 : m.at % (s.length + 1);
    switch (m.kind) {
      case "delete": s = s.slice(0, at) + s.slice(at + m.len); break;
      case "insert": s = s.slice(0, at) + m.text + s.slice(at); break;
      case "swap": if (at + 1 < s.length) s = s.slice(0, at) + s[at + 1] + s[at] + s.slice(at + 2); break;
      case "duplicate": s = s.slice(0, at) + s.slice(at, at + m.len) + s.slice(at); break;
      case "replace": s = s.slice(0, at) + m.text + s.slice(at + m.len); break;
    }
  }
  return s;
}

/** A valid printed expression (over x, y, z or random names) with 1–4 random edits. */
export const mutatedExprArb = fc.tuple(exprArb({ maxSteps: 8, maxSize: 60, kinks: true }), styleArb, fc.array(mutationArb, { minLength: 1, maxLength: 4 }))
  .map(([expr, style, ms]) => ({ vars: expr.vars, text: mutate(print(expr.tree, expr.vars, style), ms) }));

/** Deep nesting: many '(' or calls, balanced or not. */
export const deepNestingArb = fc.tuple(fc.integer({ min: 1, max: 3000 }), fc.integer({ min: -2, max: 2 }), fc.constantFrom("(", "sin(", "-(", "x^(", "-", "--", "x+(", "abs("))
  .map(([depth, off, open]) => `${open.repeat(depth)}x${")".repeat(Math.max(0, (open.includes("(") ? depth : 0) + off))}`);

/** Any malformed (or sometimes well-formed) expression text. */
export const expressionTextArb = fc.oneof(
  { weight: 3, arbitrary: randomTextArb },
  { weight: 4, arbitrary: tokenSoupArb },
  { weight: 4, arbitrary: mutatedExprArb.map((m) => m.text) },
  { weight: 1, arbitrary: deepNestingArb },
);

// ---------------------------------------------------------------------------
// Junk values

// Whole numbers between 10⁴ and 10¹⁰ are left out of the junk: as a size, an iteration count
// or a sample count they are valid and make a call legitimately run for minutes or allocate
// gigabytes (larger ones are refused, or fail fast, as lengths). Sizes that large are tried
// only where they cannot be honoured (`hugeExtent`, for buffer).

/** Numbers at the edges of IEEE arithmetic, and plain ones. */
export const specialNumber = fc.constantFrom(
  NaN, Infinity, -Infinity, -0, 0, 5e-324, -5e-324, 2.2250738585072014e-308, 1e308, -1e308, Number.MAX_VALUE,
  1, -1, 2, 3, 0.5, 1.5, -2.5, 4, 1e-300, -(2 ** 31), 1e-7,
);

/** Small whole numbers and invalid extents (negative, fractional, NaN, ±∞), for shapes, sizes and indices. */
export const extent = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0, max: 4 }) },
  { weight: 1, arbitrary: fc.constantFrom(-1, -0, 1.5, NaN, Infinity, -Infinity) },
);

/** Sizes no allocation can honour: 2²⁹ + 1 (8 bytes each overflow 32 bits), 10¹², 2⁵³. */
export const hugeExtent = fc.constantFrom(2 ** 29, 2 ** 29 + 1, 2 ** 32 + 1, 1e12, 2 ** 53, Number.MAX_SAFE_INTEGER);

/** Any double except whole numbers between 10⁴ and 10¹⁰ (see above). */
const safeDouble = fc.double().filter((v) => !(Number.isInteger(v) && Math.abs(v) > 1e4 && Math.abs(v) < 1e10));

export const numberish = fc.oneof({ weight: 3, arbitrary: specialNumber }, { weight: 2, arbitrary: safeDouble }, { weight: 2, arbitrary: fc.integer({ min: -3, max: 3 }) });

const TYPED = [Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Int32Array, Float32Array, Float64Array] as const;

/** A typed array of some kind, length 0–6 (BigInt64Array too). */
export const typedArrayArb: fc.Arbitrary<ArrayLike<number> | BigInt64Array> = fc.oneof(
  fc.tuple(fc.constantFrom(...TYPED), fc.array(numberish, { maxLength: 6 })).map(([T, xs]) => T.from(xs)),
  fc.array(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), { maxLength: 6 }).map((xs) => BigInt64Array.from(xs)),
);

/** A description of a WebAssembly buffer to make in the test (not made here: arbitraries must be pure). */
export interface BufferSpec { __buffer: number[]; disposed: boolean }
export const bufferSpecArb: fc.Arbitrary<BufferSpec> = fc.record({
  __buffer: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 3 }),
  disposed: fc.boolean(),
});

/** Any value: numbers, strings, null, undefined, objects, arrays (flat, nested, ragged), typed arrays, tensor-likes. */
export const junkArb: fc.Arbitrary<unknown> = fc.letrec<{ junk: unknown }>((tie) => ({
  junk: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    numberish,
    fc.constantFrom(null, undefined, true, false, "", "x", "1", "auto", "fd", "[1, 2]", 1n, Symbol.iterator),
    fc.string({ maxLength: 4 }),
    fc.array(numberish, { maxLength: 6 }),
    fc.array(fc.array(numberish, { maxLength: 3 }), { maxLength: 3 }),
    fc.array(tie("junk"), { maxLength: 3 }),
    typedArrayArb,
    fc.record({ shape: fc.array(extent, { maxLength: 4 }), data: fc.oneof(fc.array(numberish, { maxLength: 8 }), typedArrayArb, tie("junk")) }),
    fc.dictionary(fc.constantFrom("x", "y", "A", "shape", "data", "mode", "__proto__", "length", "0"), tie("junk"), { maxKeys: 3 }),
    bufferSpecArb,
  ),
})).junk;
