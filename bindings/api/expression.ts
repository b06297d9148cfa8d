// compile(): expression strings → Func.
import { checkOptions, readShapes, variableName } from "./validate.js";
import { GradientsError, InputError, ParseError } from "../base/errors.js";
import { Graph } from "../ir/graph.js";
import { naturalOrder } from "../base/natural-order.js";
import { Func, type InputDecl, type Shaped } from "./func.js";
import { outputOf, type BodyResult, type GradOf, type JacobianOf } from "./builder.js";
import { Node, type Operand } from "../front/node.js";
import { BINARY_FUNCTIONS, COMPOSITE_FUNCTIONS, CONSTANTS, Op, TENSOR_FUNCTIONS, UNARY_FUNCTIONS, builtinArity, opCode, type BinaryName, type CompositeName, type UnaryName } from "../ops/grammar.js";
import { PRIMITIVES, type Row, type ScalarName } from "../ops/spec.js";
import { userFunction, type UserFunctionEntry } from "../ops/user-functions.js";
import { hostNodes } from "../ir/host-blocks.js";
import { lifted } from "../front/lift.js";
import { parseExpression, type BinaryOperator, type ExprSink } from "../front/parse.js";
import * as T from "../front/tensor-ops.js";
import type { Tensor } from "../base/tensor.js";

/** Options of `compile`. */
export interface CompileOptions {
  /**
   * The inputs. An array of names: one vector input whose entries are those scalar
   * variables, in that order. A record { x: [2], A: [2, 2], t: [] }: named inputs of
   * those shapes, indexed in expressions as x[0], A[1][0]. Without it, the variables
   * are the names the expressions use (other than `pi` and `e`) in natural order
   * (x < y < z, x2 < x10, a < b; see `naturalOrder`), so a field's components line up
   * with its axes.
   */
  vars?: readonly string[] | Readonly<Record<string, number | readonly number[]>>;
}

/** Expressions: one string, or nested arrays of strings (one output entry each). */
export type Expressions = string | readonly Expressions[];

/** The op code of each binary operator, from the spec rows that name it. */
const BINARY_OPS = Object.fromEntries(Object.entries(PRIMITIVES as Record<string, Row>).flatMap(([name, row]) =>
  (row.kind === "scalar" && row.arity === 2 && row.operator ? [[row.operator, opCode(name as ScalarName)]] : []))) as Record<BinaryOperator, number>;

type TensorFn = (a: Node, b: Node) => Node;
const TENSOR_CALLS: Record<keyof typeof TENSOR_FUNCTIONS, TensorFn> = {
  det: (a) => T.det(a), inv: (a) => T.inv(a), trace: (a) => T.trace(a), transpose: (a) => T.transpose(a),
  sum: (a) => T.sum(a), logsumexp: (a) => T.logsumexp(a), norm: (a) => T.norm(a), diag: (a) => T.diag(a),
  dot: (a, b) => T.dot(a, b), matmul: (a, b) => T.matmul(a, b), outer: (a, b) => T.outer(a, b),
  solve: (a, b) => T.solve(a, b),
};

/**
 * What the expression sink builds: a scalar as its graph id (most of an expression: no
 * object per node), anything else as a Node.
 */
type Built = Node | number;

/**
 * A sink building graph nodes; names resolve against `named` (or, if `open`, become new
 * scalar variables). `read`, if given, collects the names the expression uses.
 */
function nodeSink(graph: Graph, named: Map<string, Node>, open: string[] | null, src: () => string, read?: Set<string>): ExprSink<Built> {
  const node = (x: Built): Node => (typeof x === "number" ? Node.of(graph, [], [x]) : x);
  // Tensor operations report shape errors as ShapeError; inside an expression they
  // become ParseErrors at the call's column, so the user sees where.
  const at = <R>(column: number, body: () => R): R => {
    try {
      return body();
    } catch (error) {
      if (error instanceof GradientsError && !(error instanceof ParseError)) throw new ParseError(error.message, column, src());
      throw error;
    }
  };
  return {
    number: (v) => graph.constant(v),
    name(name, column) {
      const found = named.get(name); // (no variable is named as a constant: variableName refuses it)
      if (found) {
        read?.add(name);
        return found.rank === 0 ? found.ids[0] : found;
      }
      if (Object.hasOwn(CONSTANTS, name)) return graph.constant(CONSTANTS[name]);
      if (!open) {
        throw new ParseError(`unknown variable '${name}' (the variables are ${[...named.keys()].join(", ") || "none"})`, column, src());
      }
      const id = graph.input(open.length);
      open.push(name);
      named.set(name, Node.of(graph, [], [id]));
      return id;
    },
    negate: (a) => (typeof a === "number" ? graph.apply(Op.Neg, a) : T.map(Op.Neg, a)),
    not: (a) => T.map(Op.Not, node(a)),
    conditional: (c, a, b, column) => at(column, () => lifted("where")(node(c), node(a), node(b))),
    binary: (op, a, b, column) => (typeof a === "number" && typeof b === "number"
      ? graph.apply(BINARY_OPS[op], a, b)
      : at(column, () => T.elementwise(BINARY_OPS[op], node(a), node(b)))),
    call: (name, built, column) => at(column, () => {
      const args = built.map(node);
      const user = builtinArity(name) === undefined ? userFunction(name) : undefined;
      if (user) return applyUserFunction(user, args);
      if (Object.hasOwn(UNARY_FUNCTIONS, name)) return T.map(UNARY_FUNCTIONS[name as UnaryName], args[0]);
      if (Object.hasOwn(BINARY_FUNCTIONS, name)) return T.elementwise(BINARY_FUNCTIONS[name as BinaryName], args[0], args[1]);
      if (Object.hasOwn(COMPOSITE_FUNCTIONS, name)) return lifted(name as CompositeName)(...args);
      return TENSOR_CALLS[name as keyof typeof TENSOR_FUNCTIONS](args[0], args[1]);
    }),
    index: (a, i, column) => at(column, () => node(a).at(i)),
  };
}

/** The parse of `src` into `graph` through `sink`, as a Node. */
function parseNode(graph: Graph, src: string, sink: ExprSink<Built>): Node {
  const built = parseExpression(src, sink);
  return typeof built === "number" ? Node.of(graph, [], [built]) : built;
}

/**
 * A user function (ops/user-functions.ts) applied to operands, at least one of
 * them traced: its body expanded over them (defined by expression), or its host
 * block entry by entry, broadcast (defined by code).
 */
export function applyUserFunction(entry: UserFunctionEntry, args: readonly Operand[]): Node {
  if (entry.host !== undefined) return T.elementwiseOf(args, entry.name, (g, ids) => hostNodes(g, entry.host!, ids, 1)[0]);
  const body = entry.body!, graph = T.graphOf(args)!;
  const named = new Map(entry.params.map((p, i) => [p, Node.constant(graph, args[i])]));
  let result: Node;
  const read = new Set<string>();
  try {
    result = parseNode(graph, body, nodeSink(graph, named, null, () => body, read));
  } catch (error) {
    const signature = `${entry.name}(${entry.params.join(", ")})`;
    if (error instanceof ParseError) throw new InputError(`in the body of ${signature}, column ${error.column} of "${body}": ${error.reason}`);
    if (error instanceof GradientsError) throw new InputError(`in the body of ${signature}: ${error.message}`);
    throw error;
  }
  // Broadcast over the arguments the body does not read ("5" of (a), or "a" of (a, b)), as over
  // those it reads: a constant body still has a value per entry of its argument. Those it
  // reads shape the result as the body says (sum(a) of a vector is one number).
  const unread = args.filter((x, i) => !read.has(entry.params[i]) && !(typeof x === "number" || (x instanceof Node && x.rank === 0)));
  return unread.length === 0 ? result : T.elementwiseOf([result, ...unread], entry.name, (_, ids) => ids[0]);
}

/** The declared inputs and their nodes, from `vars`. */
function declare(graph: Graph, vars: CompileOptions["vars"]): { inputs: InputDecl[]; named: Map<string, Node>; names?: string[] } {
  const named = new Map<string, Node>();
  if (Array.isArray(vars)) {
    const names = vars.map(variableName);
    names.forEach((v, i) => {
      if (named.has(v)) throw new InputError(`variable '${v}' is listed twice in vars`);
      named.set(v, Node.of(graph, [], [graph.input(i)]));
    });
    return { inputs: [{ name: "x", shape: [names.length], size: names.length, offset: 0 }], named, names };
  }
  if (typeof vars !== "object" || vars === null) throw new InputError(`vars must be an array of names or a record of shapes, got ${typeof vars}`);
  Object.keys(vars).forEach(variableName);
  const inputs = readShapes(vars as Readonly<Record<string, unknown>>, (name) => `vars.${name}`);
  for (const { name, shape, size, offset } of inputs) {
    named.set(name, Node.of(graph, shape, Array.from({ length: size }, (_, j) => graph.input(offset + j))));
  }
  if (inputs.length === 0) throw new InputError("vars declares no inputs");
  return { inputs, named };
}

/**
 * Compiles an expression, or nested arrays of expressions (one output entry each:
 * an array gives a vector function, an array of arrays a matrix function). A single
 * expression may itself be tensor-valued (`inv(A)`). Throws ParseError (with the
 * column) for malformed input.
 *
 *   compile("sin(x*y) + z^2*exp(x)", { vars: ["x", "y", "z"] }).grad([1, 2, 3])
 *   compile("x[0]*A[1][0] + det(A)", { vars: { x: [2], A: [2, 2] } })
 * @param expr an expression, or (nested) arrays of them, one output entry each
 * @param options `vars`: the variables in order (one vector input), or a record of input shapes
 * @example
 * ```ts
 * import { compile } from "gradients";
 * const f = compile("sin(x*y) + z^2*exp(x)", { vars: ["x", "y", "z"] });
 * const g: Float64Array = f.grad([1, 2, 3]); // [y·cos(xy) + z²eˣ, x·cos(xy), 2z·eˣ]
 * const F = compile(["x*y", "y/x"]);          // variables x, y (natural order)
 * const J = F.jacobian({ x: 1, y: 2 });       // Tensor [2, 2]
 * ```
 */
export function compile(expr: string, options?: { vars?: readonly string[] }): Func<number, Float64Array, Tensor>;
export function compile(expr: readonly string[], options?: { vars?: readonly string[] }): Func<Float64Array, never, Tensor>;
export function compile<const V extends Readonly<Record<string, number | readonly number[]>>>(expr: Expressions, options: { vars: V }): Func<Shaped, GradOf<V>, JacobianOf<V>>;
export function compile(expr: Expressions, options?: CompileOptions): Func;
// The overloads above carry the precise types.
export function compile(expr: Expressions, options: CompileOptions = {}): Func<any, any, any> {
  checkOptions(options, ["vars"], "compile");
  const graph = new Graph();
  const open = options.vars === undefined ? ([] as string[]) : null;
  const declared = open ? { inputs: [], named: new Map<string, Node>(), names: undefined } : declare(graph, options.vars);
  let current = "";
  const sink = nodeSink(graph, declared.named, open, () => current);
  const parse = (e: unknown): Node => {
    if (typeof e !== "string") throw new InputError(`compile takes expression strings (or nested arrays of them), got ${e === null ? "null" : typeof e}`);
    current = e;
    return parseNode(graph, e, sink);
  };
  let result: BodyResult;
  if (typeof expr === "string") result = parse(expr);
  else if (Array.isArray(expr)) {
    if (expr.length === 0) throw new InputError("compile needs at least one expression");
    const walk = (e: Expressions): BodyResult => (Array.isArray(e) ? e.map(walk) : scalarOf(parse(e), e as string));
    result = walk(expr);
  } else {
    throw new InputError("compile takes an expression string or (nested) arrays of expression strings");
  }
  const { shape, ids } = outputOf(graph, result);
  if (open) {
    // Inputs were numbered as the names were met; the variables' order is their natural order.
    const names = naturalOrder(open), n = names.length;
    graph.renumberInputs(open.map((name) => names.indexOf(name)));
    return new Func(graph, ids, [{ name: "x", shape: [n], size: n, offset: 0 }], shape, names);
  }
  return new Func(graph, ids, declared.inputs, shape, declared.names);
}

/** An entry of an array of expressions must be scalar-valued. */
function scalarOf(node: Node, src: string): Node {
  if (node.rank !== 0) {
    throw new ParseError(`an entry of an array of expressions must be a scalar; this one has shape [${node.shape.join(", ")}]`, 1, src);
  }
  return node;
}

