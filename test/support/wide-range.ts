// Random expressions built around a point, over the whole grammar, for the
// high-precision properties (test/ops/precision.test.ts). Every function is applied
// raw to earlier nodes, at points whose coordinates reach ±700 (where exp is
// still finite), with constants up to 1e150 that push values and products
// towards the ends of the double range. A step whose value at the point would be
// undefined (NaN), infinite, 0 (an exact zero is a kink of abs, sign or a power, and
// in doubles may be an underflow) or beyond [1e-300, 1e300] in magnitude is left
// out, so the expression is defined and in range where it is evaluated, and its
// derivatives are whatever they truly are there: huge, tiny or cancelling.
import fc from "fast-check";
import { cpow, print, type BinaryOp, type Tree } from "./arbitrary.js";

/** An expression over x, y, z (the first n), a point, and the expression as text. */
export interface WideCase {
  tree: Tree;
  vars: string[];
  x: number[];
  text: string;
}

const UNARY: Readonly<Record<string, (u: number) => number>> = {
  sin: Math.sin, cos: Math.cos, tan: Math.tan, asin: Math.asin, acos: Math.acos, atan: Math.atan,
  sinh: Math.sinh, cosh: Math.cosh, tanh: Math.tanh, asinh: Math.asinh, acosh: Math.acosh, atanh: Math.atanh,
  exp: Math.exp, expm1: Math.expm1, log: Math.log, log1p: Math.log1p, log2: Math.log2, log10: Math.log10,
  sqrt: Math.sqrt, cbrt: Math.cbrt, abs: Math.abs, sign: Math.sign,
  sigmoid: (u) => (u >= 0 ? 1 / (1 + Math.exp(-u)) : Math.exp(u) / (1 + Math.exp(u))),
  softplus: (u) => (u > 0 ? u + Math.log1p(Math.exp(-u)) : Math.log1p(Math.exp(u))),
};
const BINARY_CALLS: Readonly<Record<string, (a: number, b: number) => number>> = {
  atan2: Math.atan2, pow: cpow, hypot: Math.hypot, min: Math.min, max: Math.max,
};
const OPERATORS: Readonly<Record<BinaryOp, (a: number, b: number) => number>> = {
  "+": (a, b) => a + b, "-": (a, b) => a - b, "*": (a, b) => a * b, "/": (a, b) => a / b, "^": cpow,
};
const SCALES = [1e-150, 1e-20, 1e-5, 0.5, 3, 1e5, 1e20, 1e150];
const SHIFTS = [1, -1, 2, 0.5, 400, -400, 1e-10];
const EXPONENTS = [2, 3, -1, -2, 0.5, 1.5, 200, -0.5, 0, 1];
const BASES = [2, Math.E, 0.5, 10];

type Node = { tree: Tree; v: number };
type Step = { t: number; a: number; b: number; c: number };

const num = (v: number): Node => ({ tree: { k: "num", v: Math.abs(v) }, v: Math.abs(v) });
/** A constant as the grammar writes it: a negative one is a negated number. */
const constant = (v: number): Node => (v < 0 ? { tree: { k: "neg", a: num(v).tree }, v } : num(v));

/** The node a step builds from operands a, b (or undefined: a step that does not apply). */
function build(s: Step, a: Node, b: Node): Node | undefined {
  const unary = Object.keys(UNARY), calls = Object.keys(BINARY_CALLS), ops = Object.keys(OPERATORS) as BinaryOp[];
  const kinds = unary.length + calls.length + ops.length + 5;
  const k = s.t % kinds, c = s.c;
  if (k < unary.length) return { tree: { k: "call", fn: unary[k], args: [a.tree] }, v: UNARY[unary[k]](a.v) };
  let r = k - unary.length;
  if (r < calls.length) {
    // min and max away from ties (which rounding may make where the reals have none)
    if ((calls[r] === "min" || calls[r] === "max") && !(Math.abs(a.v - b.v) > 1e-6 * Math.max(Math.abs(a.v), Math.abs(b.v)))) return undefined;
    return { tree: { k: "call", fn: calls[r], args: [a.tree, b.tree] }, v: BINARY_CALLS[calls[r]](a.v, b.v) };
  }
  r -= calls.length;
  const bin = (op: BinaryOp, u: Node, w: Node): Node => ({ tree: { k: "bin", op, a: u.tree, b: w.tree }, v: OPERATORS[op](u.v, w.v) });
  if (r < ops.length) return bin(ops[r], a, b);
  switch (r - ops.length) {
    case 0: return { tree: { k: "neg", a: a.tree }, v: -a.v };
    case 1: return bin("*", num(SCALES[c % SCALES.length]), a);
    case 2: { const shift = SHIFTS[c % SHIFTS.length]; return bin(shift < 0 ? "-" : "+", a, num(shift)); }
    case 3: return bin("^", a, constant(EXPONENTS[c % EXPONENTS.length]));
    default: {
      const base = BASES[c % BASES.length];
      return bin("^", base === Math.E ? { tree: { k: "const", name: "e" }, v: Math.E } : num(base), a);
    }
  }
}

/** Defined, and within [1e-300, 1e300] in magnitude. */
const inRange = (v: number) => Math.abs(v) >= 1e-300 && Math.abs(v) <= 1e300;

function size(t: Tree): number {
  switch (t.k) {
    case "num": case "const": case "var": return 1;
    case "neg": return 1 + size(t.a);
    case "bin": return 1 + size(t.a) + size(t.b);
    case "call": return 1 + t.args.reduce((s, u) => s + size(u), 0);
  }
}

/** A coordinate: mostly |x| from 1e-3 to 700 (log-uniform, either sign), sometimes in [−2, 2] (not subnormal). */
const coordinate = fc.oneof(
  { weight: 3, arbitrary: fc.tuple(fc.double({ min: -3, max: Math.log10(700), noNaN: true }), fc.boolean()).map(([e, neg]) => (neg ? -1 : 1) * 10 ** e) },
  { weight: 1, arbitrary: fc.double({ min: -2, max: 2, noNaN: true }).filter((v) => v === 0 || Math.abs(v) >= 1e-300) },
);

/** A random expression over 1–3 variables, defined and in range at a random point. */
export function wideCaseArb(maxSize = 40): fc.Arbitrary<WideCase> {
  const step = fc.record({ t: fc.nat(), a: fc.nat(5), b: fc.nat(5), c: fc.nat(31) });
  return fc.integer({ min: 1, max: 3 }).chain((n) =>
    fc.tuple(fc.array(coordinate, { minLength: n, maxLength: n }), fc.array(step, { minLength: 1, maxLength: 10 })).map(([x, steps]) => {
      const vars = ["x", "y", "z"].slice(0, n);
      const pool: Node[] = x.map((v, i) => ({ tree: { k: "var", i }, v }));
      for (const s of steps) {
        const pick = (j: number) => pool[pool.length - 1 - (j % pool.length)];
        const made = build(s, pick(s.a), pick(s.b));
        if (made && inRange(made.v) && size(made.tree) <= maxSize) pool.push(made);
      }
      const tree = pool[pool.length - 1].tree;
      const text = print(tree, vars);
      return Object.assign({ tree, vars, x, text }, { [fc.toStringMethod]: () => `${JSON.stringify(text)} at ${JSON.stringify(x)}` });
    }));
}
