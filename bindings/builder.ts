// fn(): tracing TypeScript code into the same graph that expressions compile to.
//
// The body runs once, on Node objects; every operation records a graph node.
// Nodes refuse to become numbers, so `if (x > 0)` fails loudly instead of
// silently tracing one branch.
import { InputError } from "./errors.js";
import { Graph } from "./graph.js";
import { compileTape } from "./compile.js";
import { Func } from "./func.js";
import { core } from "./loader.js";
import { Op } from "./ops.js";

/** A number or a traced node: what builder operations accept. */
export type Operand = Node | number;

/** Result of an operation on operands: a Node if any operand is one, else a number. */
export type Lifted<A, B = number> = A extends Node ? Node : B extends Node ? Node : number;

/** A traced scalar value inside an `fn` body. */
export class Node {
  /** @internal */
  constructor(readonly graph: Graph, readonly id: number) {}

  add(b: Operand): Node { return binary(Op.Add, this, b) as Node; }
  sub(b: Operand): Node { return binary(Op.Sub, this, b) as Node; }
  mul(b: Operand): Node { return binary(Op.Mul, this, b) as Node; }
  div(b: Operand): Node { return binary(Op.Div, this, b) as Node; }
  /** this^b */
  pow(b: Operand): Node { return binary(Op.Pow, this, b) as Node; }
  neg(): Node { return unary(Op.Neg, this) as Node; }
  sin(): Node { return unary(Op.Sin, this) as Node; }
  cos(): Node { return unary(Op.Cos, this) as Node; }
  tan(): Node { return unary(Op.Tan, this) as Node; }
  asin(): Node { return unary(Op.Asin, this) as Node; }
  acos(): Node { return unary(Op.Acos, this) as Node; }
  atan(): Node { return unary(Op.Atan, this) as Node; }
  sinh(): Node { return unary(Op.Sinh, this) as Node; }
  cosh(): Node { return unary(Op.Cosh, this) as Node; }
  tanh(): Node { return unary(Op.Tanh, this) as Node; }
  asinh(): Node { return unary(Op.Asinh, this) as Node; }
  acosh(): Node { return unary(Op.Acosh, this) as Node; }
  atanh(): Node { return unary(Op.Atanh, this) as Node; }
  exp(): Node { return unary(Op.Exp, this) as Node; }
  expm1(): Node { return unary(Op.Expm1, this) as Node; }
  log(): Node { return unary(Op.Log, this) as Node; }
  log1p(): Node { return unary(Op.Log1p, this) as Node; }
  log2(): Node { return unary(Op.Log2, this) as Node; }
  log10(): Node { return unary(Op.Log10, this) as Node; }
  sqrt(): Node { return unary(Op.Sqrt, this) as Node; }
  cbrt(): Node { return unary(Op.Cbrt, this) as Node; }
  abs(): Node { return unary(Op.Abs, this) as Node; }
  sign(): Node { return unary(Op.Sign, this) as Node; }
  /** atan2(this, x): the angle of the point (x, this). */
  atan2(x: Operand): Node { return binary(Op.Atan2, this, x) as Node; }
  hypot(b: Operand): Node { return binary(Op.Hypot, this, b) as Node; }
  min(b: Operand): Node { return binary(Op.Min, this, b) as Node; }
  max(b: Operand): Node { return binary(Op.Max, this, b) as Node; }

  /** @internal A traced value has no number yet: comparisons and arithmetic with JS operators cannot be traced. */
  valueOf(): never {
    throw new InputError(
      "a traced value cannot be used as a number: JS operators and comparisons (x > 0, x * 2, if (x)) " +
      "are not traced. Use methods or free functions (x.mul(2), max(x, 0)) instead");
  }

  /** @internal */
  [Symbol.toPrimitive](): never {
    return this.valueOf();
  }
}

function graphOf(operands: Operand[]): Graph | undefined {
  let graph: Graph | undefined;
  for (const o of operands) {
    if (o instanceof Node) {
      if (graph && o.graph !== graph) throw new InputError("nodes from two different fn() traces cannot be combined");
      graph = o.graph;
    } else if (typeof o !== "number") {
      throw new InputError(`builder operations take numbers or traced nodes, got ${o === null ? "null" : typeof o}`);
    }
  }
  return graph;
}

function lift(graph: Graph, o: Operand): number {
  return o instanceof Node ? o.id : graph.constant(o);
}

function unary(op: number, a: Operand): Operand {
  const graph = graphOf([a]);
  if (!graph) return core().foldConstant(op, a as number, 0);
  return new Node(graph, graph.apply(op, lift(graph, a)));
}

function binary(op: number, a: Operand, b: Operand): Operand {
  const graph = graphOf([a, b]);
  if (!graph) return core().foldConstant(op, a as number, b as number);
  return new Node(graph, graph.apply(op, lift(graph, a), lift(graph, b)));
}

const u = (op: number) => <A extends Operand>(a: A): Lifted<A> => unary(op, a) as Lifted<A>;
const b = (op: number) => <A extends Operand, B extends Operand>(x: A, y: B): Lifted<A, B> =>
  binary(op, x, y) as Lifted<A, B>;

export const add = b(Op.Add), sub = b(Op.Sub), mul = b(Op.Mul), div = b(Op.Div), pow = b(Op.Pow);
export const neg = u(Op.Neg);
export const sin = u(Op.Sin), cos = u(Op.Cos), tan = u(Op.Tan), asin = u(Op.Asin), acos = u(Op.Acos), atan = u(Op.Atan);
export const sinh = u(Op.Sinh), cosh = u(Op.Cosh), tanh = u(Op.Tanh);
export const asinh = u(Op.Asinh), acosh = u(Op.Acosh), atanh = u(Op.Atanh);
export const exp = u(Op.Exp), expm1 = u(Op.Expm1), log = u(Op.Log), log1p = u(Op.Log1p), log2 = u(Op.Log2), log10 = u(Op.Log10);
export const sqrt = u(Op.Sqrt), cbrt = u(Op.Cbrt), abs = u(Op.Abs), sign = u(Op.Sign);
/** atan2(y, x): the angle of the point (x, y). */
export const atan2 = b(Op.Atan2);
export const hypot = b(Op.Hypot), min = b(Op.Min), max = b(Op.Max);

/** The input declaration of `fn`: n (a vector of n), or one named input { x: n } / { x: [n] } / { x: [] }. */
export type InputSpec = number | Record<string, number | readonly number[]>;

type Traced<T extends InputSpec> = T extends number ? Node[]
  : { [K in keyof T]: T[K] extends readonly [] ? Node : Node[] };

/** What an `fn` body returns: a node or number (scalar function) or an array of them (vector function). */
export type Body<T extends InputSpec> = (x: Traced<T>) => Operand | readonly Operand[];

/**
 * Traces `body` into a compiled function. `fn(3, (x) => x[0].mul(x[1]).sin())` is
 * f: ℝ³ → ℝ; returning an array gives a vector function. With a named input,
 * `fn({ x: 3 }, ({ x }) => …)`, the variables are named x[0], x[1], …;
 * `fn({ t: [] }, ({ t }) => …)` has one scalar input t.
 */
export function fn<const T extends InputSpec>(spec: T, body: (x: Traced<T>) => Operand): Func<number>;
export function fn<const T extends InputSpec>(spec: T, body: (x: Traced<T>) => readonly Operand[]): Func<Float64Array>;
export function fn<const T extends InputSpec>(spec: T, body: Body<T>): Func {
  if (typeof body !== "function") throw new InputError("fn needs a body function as its second argument");
  const { name, size, scalar } = readSpec(spec);
  const graph = new Graph();
  const nodes = Array.from({ length: size }, (_, i) => new Node(graph, graph.input(i)));
  const arg = typeof spec === "number" ? nodes : { [name]: scalar ? nodes[0] : nodes };
  const result = body(arg as Traced<T>);
  const vector = Array.isArray(result);
  const outs = (vector ? result : [result]) as Operand[];
  if (outs.length === 0) throw new InputError("fn body returned an empty array; return a node, a number or a non-empty array");
  const outputs = outs.map((o, i) => {
    if (o instanceof Node) {
      if (o.graph !== graph) throw new InputError(`output ${i} was traced by another fn() call`);
      return o.id;
    }
    if (typeof o === "number") return graph.constant(o);
    throw new InputError(`fn body must return nodes or numbers; output ${i} is ${o === null ? "null" : typeof o}`);
  });
  const vars = scalar ? [name] : nodes.map((_, i) => `${name}[${i}]`);
  return new Func(compileTape(graph, outputs, size), vars, vector ? [outputs.length] : []);
}

function readSpec(spec: InputSpec): { name: string; size: number; scalar: boolean } {
  const checkSize = (n: unknown, what: string): number => {
    if (typeof n !== "number" || !Number.isInteger(n) || n < 1) {
      throw new InputError(`${what} must be a whole number ≥ 1, got ${String(n)}`);
    }
    return n;
  };
  if (typeof spec === "number") return { name: "x", size: checkSize(spec, "the input size"), scalar: false };
  if (typeof spec !== "object" || spec === null) throw new InputError("fn's first argument is an input size n or { name: shape }");
  const names = Object.keys(spec);
  if (names.length !== 1) {
    throw new InputError(`fn takes one named input, got ${names.length} (${names.join(", ")})`);
  }
  const shape = spec[names[0]];
  if (Array.isArray(shape)) {
    if (shape.length === 0) return { name: names[0], size: 1, scalar: true };
    if (shape.length === 1) return { name: names[0], size: checkSize(shape[0], `the size of '${names[0]}'`), scalar: false };
    throw new InputError(`input '${names[0]}' has shape [${shape.join(", ")}]; fn supports scalar [] and vector [n] inputs`);
  }
  return { name: names[0], size: checkSize(shape, `the size of '${names[0]}'`), scalar: false };
}

