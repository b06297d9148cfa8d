// fn(): tracing TypeScript code into the same graph that expressions compile to,
// re-exporting the free functions of every builder operation.
import { readShapes } from "./validate.js";
import { InputError, show } from "../base/errors.js";
import { Graph } from "../ir/graph.js";
import { Func, type InputDecl, type Shaped } from "./func.js";
import { Node, type Operand } from "../front/node.js";
import { Tensor, type NestedArray } from "../base/tensor.js";

export { Node, type Operand, type NestedNodes } from "../front/node.js";

export * from "../front/functions.js";
export type { Lifted } from "../front/lift.js";
export {
  matmul, matvec, dot, outer, transpose, trace, sum, logsumexp, norm, amax, amin, argmax, argmin, prod, mean,
  det, inv, solve, reshape, slice, diag, stack, concat,
} from "../front/tensor-ops.js";

/** The n×n identity matrix, a constant Tensor usable as an operand: `A.add(eye(3))`. */
export function eye(n: number): Tensor {
  if (!Number.isInteger(n) || n < 0) throw new InputError(`eye needs a whole number ≥ 0, got ${show(n)}`);
  const t = new Tensor([n, n]);
  for (let i = 0; i < n; i++) t.data[i * n + i] = 1;
  return t;
}

/** The input declaration of `fn`: n (one vector input), or named inputs { A: [3, 3], x: 3, t: [] }. */
export type InputSpec = number | Readonly<Record<string, number | readonly number[]>>;

/** What the body receives: one Node for `fn(n, …)`, else a record of Nodes by input name. */
export type Traced<S extends InputSpec> = S extends number ? Node : { readonly [K in keyof S]: Node };

/** Whether T is a union of two or more types. */
type IsUnion<T, U = T> = T extends unknown ? ([U] extends [T] ? false : true) : never;

/** ∇f by an input of this spec entry: a number (scalar), a Float64Array (vector), else a Tensor. */
export type GradOfInput<V> = V extends readonly [] ? number : V extends number | readonly [number] ? Float64Array : Tensor;

/** `grad`'s result at one point for inputs `S`: the one input's, or a record of them by name. */
export type GradOf<S> = true extends IsUnion<keyof S> ? { -readonly [K in keyof S]: GradOfInput<S[K]> } : GradOfInput<S[keyof S]>;

/** `jacobian`'s result for inputs `S`: a Tensor, or a record of them by name. */
export type JacobianOf<S> = true extends IsUnion<keyof S> ? { -readonly [K in keyof S]: Tensor } : Tensor;

/** What a body may return: a Node of any shape, a number, or nested arrays of scalar Nodes and numbers. */
export type BodyResult = Operand | readonly BodyResult[];

/**
 * Traces `body` into a compiled function. `fn(3, (x) => x[0].mul(x[1]).sin())` has one
 * vector input of 3; `fn({ A: [3, 3], x: 3, t: [] }, ({ A, x, t }) => …)` has named
 * inputs of those shapes (`x: 3` is shorthand for `x: [3]`, `[]` a scalar). The body
 * returns the output: a scalar node, a tensor node, or nested arrays of scalar nodes,
 * which fix the output shape.
 * @param spec the inputs: a number n (one vector of n), or a record of shapes by name (`x: 3` is `x: [3]`, `[]` a scalar)
 * @param body builds the output from the traced inputs: a node, a number, or nested arrays of scalar nodes
 * @example
 * ```ts
 * import { fn } from "gradients";
 * const rosen = fn(2, (x) => x.at(1).sub(x.at(0).mul(x.at(0))).pow(2).mul(100).add(x.at(0).neg().add(1).pow(2)));
 * const g: Float64Array = rosen.grad([1, 1]); // [0, 0] at the minimum
 * const quad = fn({ A: [2, 2], x: 2 }, ({ A, x }) => x.dot(A.matvec(x)));
 * const byA = quad.grad({ A: [1, 0, 0, 1], x: [1, 2] }, { wrt: "A" }); // Tensor [2, 2]: x·xᵀ
 * ```
 */
export function fn<const S extends number>(spec: S, body: (x: Node) => Node | number): Func<Shaped, Float64Array, Tensor>;
export function fn<const S extends number>(spec: S, body: (x: Node) => readonly (Node | number)[]): Func<Float64Array, never, Tensor>;
export function fn<const S extends number>(spec: S, body: (x: Node) => BodyResult): Func<Shaped, never, Tensor>;
export function fn<const S extends Readonly<Record<string, number | readonly number[]>>>(spec: S, body: (x: Traced<S>) => BodyResult): Func<Shaped, GradOf<S>, JacobianOf<S>>;
export function fn<const S extends InputSpec>(spec: S, body: (x: Traced<S>) => BodyResult): Func;
// The overloads above carry the precise types.
export function fn(spec: InputSpec, body: (x: any) => BodyResult): Func<any, any, any> {
  if (typeof body !== "function") throw new InputError("fn needs a body function as its second argument");
  const inputs = readSpec(spec);
  const graph = new Graph();
  const nodes = inputs.map((d) => Node.of(graph, d.shape, Array.from({ length: d.size }, (_, j) => graph.input(d.offset + j))));
  const arg = typeof spec === "number" ? nodes[0] : Object.fromEntries(inputs.map((d, i) => [d.name, nodes[i]]));
  const { shape, ids } = outputOf(graph, body(arg));
  return new Func(graph, ids, inputs, shape);
}

/** The output's shape and graph ids, from a node, a number or nested arrays of scalars. */
export function outputOf(graph: Graph, result: BodyResult): { shape: number[]; ids: number[] } {
  const check = (node: Node) => {
    if (node.graph !== graph) throw new InputError("the result was traced by another fn() call");
    return node;
  };
  if (result instanceof Node) return { shape: [...check(result).shape], ids: [...result.ids] };
  if (typeof result === "number") return { shape: [], ids: [graph.constant(result)] };
  if (!Array.isArray(result)) throw new InputError(`fn body must return nodes or numbers, got ${result === null ? "null" : typeof result}`);
  if (result.length === 0) throw new InputError("fn body returned an empty array; return a node, a number or a non-empty array");
  // Nested arrays of scalar nodes and numbers: rectangular, like Tensor.from.
  const shape: number[] = [];
  for (let level: BodyResult = result; Array.isArray(level); level = (level as BodyResult[])[0]) shape.push((level as BodyResult[]).length);
  const ids: number[] = [];
  const walk = (x: BodyResult, depth: number): void => {
    if (depth === shape.length) {
      if (typeof x === "number") ids.push(graph.constant(x));
      else if (x instanceof Node && x.rank === 0) ids.push(check(x).ids[0]);
      else throw new InputError(`fn body's nested result must hold scalar nodes or numbers at depth ${depth}`);
      return;
    }
    if (!Array.isArray(x) || x.length !== shape[depth]) {
      throw new InputError(`fn body's nested result is not rectangular: expected ${shape[depth]} entries at depth ${depth}`);
    }
    for (const item of x) walk(item, depth + 1);
  };
  walk(result, 0);
  return { shape, ids };
}

function readSpec(spec: InputSpec): InputDecl[] {
  if (typeof spec === "number") return readShapes({ x: spec }, () => "fn's input size");
  if (typeof spec !== "object" || spec === null || Array.isArray(spec)) {
    throw new InputError("fn's first argument is an input size n or a record of input shapes { name: shape }");
  }
  if (Object.keys(spec).length === 0) throw new InputError("fn needs at least one input");
  return readShapes(spec, (name) => `input '${name}'`);
}

export type { NestedArray };
