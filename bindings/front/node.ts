// Node: a traced value inside an `fn` body (or a compiled expression) — a scalar
// or a tensor of scalar graph nodes, row-major. Every operation records graph
// nodes; nothing is computed until the function runs.
//
// Nodes refuse to become numbers, so `if (x > 0)` fails loudly instead of
// silently tracing one branch.
import { InputError, ShapeError } from "../base/errors.js";
import type { Graph } from "../ir/graph.js";
import { Op } from "../ops/grammar.js";
import { Tensor, type NestedArray, sizeOf } from "../base/tensor.js";
import * as T from "./tensor-ops.js";

/** What builder operations accept: a traced node, or a constant (number, nested array, Tensor). */
export type Operand = Node | number | Tensor | NestedArray;

/** Prototypes with index getters 0 … length−1, one per leading-axis length, so `x[i]` works. */
const indexedPrototypes = new Map<number, object>();

function prototypeFor(length: number): object {
  let proto = indexedPrototypes.get(length);
  if (!proto) {
    proto = Object.create(Node.prototype) as object;
    for (let i = 0; i < length; i++) {
      Object.defineProperty(proto, i, { get(this: Node) { return this.at(i); }, enumerable: false });
    }
    indexedPrototypes.set(length, proto);
  }
  return proto;
}

function describe(shape: readonly number[]): string {
  return `[${shape.join(", ")}]`;
}

/**
 * A traced value: a scalar (shape []) or a tensor of traced entries, inside an
 * `fn` body or a tensor-valued expression. Operations record graph nodes;
 * nothing is computed until the compiled function runs. Methods mirror the
 * free functions (`x.sin()` is `sin(x)`); `x[i]`, `at`, `get`, iteration and
 * destructuring index the first axis.
 */
export class Node {
  /** The graph this node belongs to. @internal */
  declare readonly graph: Graph;
  /** Shape: [] for a scalar, [n] for a vector, [m, n] for a matrix, … */
  declare readonly shape: readonly number[];
  /** Graph node ids of the entries, row-major. @internal */
  declare readonly ids: readonly number[];
  /** Entry (or sub-tensor) i along the first axis. */
  readonly [index: number]: Node;

  /** @internal Use `Node.of`. */
  private constructor() {}

  /** @internal A node of `shape` over graph ids (row-major). */
  static of(graph: Graph, shape: readonly number[], ids: readonly number[]): Node {
    const node = Object.create(shape.length > 0 ? prototypeFor(shape[0]) : Node.prototype) as Node;
    Object.assign(node, { graph, shape, ids });
    return node;
  }

  /** @internal A constant node (a number, nested array or Tensor) in `graph`. */
  static constant(graph: Graph, value: Operand): Node {
    if (value instanceof Node) return value;
    if (typeof value === "number") return Node.of(graph, [], [graph.constant(value)]);
    const t = value instanceof Tensor ? value : Tensor.from(value);
    return Node.of(graph, t.shape, Array.from(t.data, (v) => graph.constant(v)));
  }

  /** Number of entries. */
  get size(): number {
    return this.ids.length;
  }

  /** Number of axes. */
  get rank(): number {
    return this.shape.length;
  }

  /** Extent of the first axis (so a vector node destructures and iterates like an array). */
  get length(): number {
    if (this.shape.length === 0) throw new ShapeError("a scalar has no length");
    return this.shape[0];
  }

  /** The entries (or sub-tensors) along the first axis: `const [x, y, z] = v`. */
  *[Symbol.iterator](): IterableIterator<Node> {
    for (let i = 0; i < this.length; i++) yield this.at(i);
  }

  /** `body` applied to each entry (or sub-tensor) along the first axis, as an array. */
  map<R>(body: (entry: Node, index: number) => R): R[] {
    return Array.from({ length: this.length }, (_, i) => body(this.at(i), i));
  }

  /** Entry (or sub-tensor) i along the first axis. */
  at(i: number): Node {
    if (this.shape.length === 0) throw new ShapeError("a scalar cannot be indexed");
    if (!Number.isInteger(i) || i < 0 || i >= this.shape[0]) {
      throw new ShapeError(`index ${i} is out of range for an axis of length ${this.shape[0]}`);
    }
    const inner = this.shape.slice(1), stride = sizeOf(inner);
    return Node.of(this.graph, inner, this.ids.slice(i * stride, (i + 1) * stride));
  }

  /** The scalar entry at one index per axis: `A.get(1, 2)`. */
  get(...index: number[]): Node {
    if (index.length !== this.shape.length) {
      throw new ShapeError(`get needs ${this.shape.length} indices for shape ${describe(this.shape)}, got ${index.length}`);
    }
    let node: Node = this;
    for (const i of index) node = node.at(i);
    return node;
  }

  /** Elementwise this + b (b a number, nested array, Tensor or node: equal shapes, or one a scalar). */
  add(b: Operand): Node { return T.elementwise(Op.Add, this, b); }
  /** Elementwise this − b (shapes as for add). */
  sub(b: Operand): Node { return T.elementwise(Op.Sub, this, b); }
  /** Elementwise this · b (shapes as for add; for the matrix product, matmul). */
  mul(b: Operand): Node { return T.elementwise(Op.Mul, this, b); }
  /** Elementwise this / b (shapes as for add). */
  div(b: Operand): Node { return T.elementwise(Op.Div, this, b); }
  /** this^b, elementwise. */
  pow(b: Operand): Node { return T.elementwise(Op.Pow, this, b); }
  /** Elementwise −this. */
  neg(): Node { return T.map(Op.Neg, this); }
  /** Elementwise sin, shaped like this. */
  sin(): Node { return T.map(Op.Sin, this); }
  /** Elementwise cos, shaped like this. */
  cos(): Node { return T.map(Op.Cos, this); }
  /** Elementwise tan, shaped like this. */
  tan(): Node { return T.map(Op.Tan, this); }
  /** Elementwise arcsine, shaped like this. */
  asin(): Node { return T.map(Op.Asin, this); }
  /** Elementwise arccosine, shaped like this. */
  acos(): Node { return T.map(Op.Acos, this); }
  /** Elementwise arctangent, shaped like this. */
  atan(): Node { return T.map(Op.Atan, this); }
  /** Elementwise sinh, shaped like this. */
  sinh(): Node { return T.map(Op.Sinh, this); }
  /** Elementwise cosh, shaped like this. */
  cosh(): Node { return T.map(Op.Cosh, this); }
  /** Elementwise tanh, shaped like this. */
  tanh(): Node { return T.map(Op.Tanh, this); }
  /** Elementwise asinh, shaped like this. */
  asinh(): Node { return T.map(Op.Asinh, this); }
  /** Elementwise acosh, shaped like this. */
  acosh(): Node { return T.map(Op.Acosh, this); }
  /** Elementwise atanh, shaped like this. */
  atanh(): Node { return T.map(Op.Atanh, this); }
  /** Elementwise eˣ, shaped like this. */
  exp(): Node { return T.map(Op.Exp, this); }
  /** Elementwise eˣ − 1 (accurate near 0), shaped like this. */
  expm1(): Node { return T.map(Op.Expm1, this); }
  /** Elementwise natural logarithm, shaped like this. */
  log(): Node { return T.map(Op.Log, this); }
  /** Elementwise ln(1 + x) (accurate near 0), shaped like this. */
  log1p(): Node { return T.map(Op.Log1p, this); }
  /** Elementwise base-2 logarithm, shaped like this. */
  log2(): Node { return T.map(Op.Log2, this); }
  /** Elementwise base-10 logarithm, shaped like this. */
  log10(): Node { return T.map(Op.Log10, this); }
  /** Elementwise square root, shaped like this. */
  sqrt(): Node { return T.map(Op.Sqrt, this); }
  /** Elementwise cube root, shaped like this. */
  cbrt(): Node { return T.map(Op.Cbrt, this); }
  /** Elementwise absolute value, shaped like this. */
  abs(): Node { return T.map(Op.Abs, this); }
  /** Elementwise sign (−1, 0 or 1), shaped like this. */
  sign(): Node { return T.map(Op.Sign, this); }
  /** atan2(this, x) elementwise: the angle of the point (x, this). */
  atan2(x: Operand): Node { return T.elementwise(Op.Atan2, this, x); }
  /** Elementwise √(this² + b²) (shapes as for add). */
  hypot(b: Operand): Node { return T.elementwise(Op.Hypot, this, b); }
  /** Elementwise minimum of this and b (shapes as for add). */
  min(b: Operand): Node { return T.elementwise(Op.Min, this, b); }
  /** Elementwise maximum of this and b (shapes as for add). */
  max(b: Operand): Node { return T.elementwise(Op.Max, this, b); }

  /** Matrix product ([m, k]·[k, n] → [m, n]; a vector on either side is a row or column: numpy's matmul). */
  matmul(b: Operand): Node { return T.matmul(this, b); }
  /** Matrix-vector product [m, k]·[k] → [m]. */
  matvec(x: Operand): Node { return T.matvec(this, x); }
  /** Σ aᵢ·bᵢ over two tensors of the same shape (the dot product of vectors). */
  dot(b: Operand): Node { return T.dot(this, b); }
  /** Outer product: shape [...this.shape, ...b.shape]. */
  outer(b: Operand): Node { return T.outer(this, b); }
  /** Axes reversed (a matrix's transpose), or permuted by `axes`. */
  transpose(axes?: readonly number[]): Node { return T.transpose(this, axes); }
  /** Σ Aᵢᵢ of a square matrix. */
  trace(): Node { return T.trace(this); }
  /** Sum of all entries (a scalar), or along one axis (that axis removed). */
  sum(axis?: number): Node { return T.sum(this, axis); }
  /** √(Σ aᵢ²): the 2-norm of a vector, the Frobenius norm of a matrix. */
  norm(): Node { return T.norm(this); }
  /** Determinant of a square matrix (LU with partial pivoting). */
  det(): Node { return T.det(this); }
  /** Inverse of a square matrix (LU with partial pivoting). */
  inv(): Node { return T.inv(this); }
  /** x with this·x = b, for b a vector [k] or a matrix [k, r]. */
  solve(b: Operand): Node { return T.solve(this, b); }
  /** The same entries in a new shape (one extent may be −1: inferred). */
  reshape(shape: readonly number[]): Node { return T.reshape(this, shape); }
  /** Entries begin[i] ≤ index < end[i] along each axis i given (missing axes: all). */
  slice(begin: readonly number[], end?: readonly number[]): Node { return T.slice(this, begin, end); }
  /** A vector's diagonal matrix, or a matrix's diagonal vector. */
  diag(): Node { return T.diag(this); }

  /** @internal A traced value has no number yet: JS operators and comparisons cannot be traced. */
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
