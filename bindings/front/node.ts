// Node: a traced value inside an `fn` body (or a compiled expression) — a scalar
// or a tensor of scalar graph nodes, row-major. Every operation records graph
// nodes; nothing is computed until the function runs.
//
// Nodes refuse to become numbers, so `if (x > 0)` fails loudly instead of
// silently tracing one branch.
import { InputError, ShapeError } from "../base/errors.js";
import type { Graph } from "../ir/graph.js";
import { Tensor, type NestedArray, describeShape, sameShape, sizeOf } from "../base/tensor.js";
import type { ElementwiseMethods } from "./functions.js";
import type { TensorMethods } from "./tensor-ops.js";

/** What builder operations accept: a traced node, or a constant (number, nested array, Tensor of either precision). */
export type Operand = Node | number | Tensor<Float64Array | Float32Array> | NestedArray | NestedNodes;

/** Nested arrays of traced nodes and numbers, rectangular: [[x0, 1], [0, x1]] is a 2×2 matrix of them. */
export type NestedNodes = readonly (Node | number | NestedNodes)[];

/** Prototypes with index getters 0 … length−1, one per leading-axis length, so `x[i]` works. */
const indexedPrototypes = new Map<number, object>();
/** Longer first axes share one prototype that answers `x[i]` through a Proxy (a getter per index would cost more than the trace). */
const INDEXED_LENGTH = 1024;
let longPrototype: object | undefined;

function prototypeFor(length: number): object {
  if (length > INDEXED_LENGTH) {
    longPrototype ??= new Proxy(Object.create(Node.prototype) as object, {
      get(target, key, receiver: Node) {
        if (typeof key === "string" && /^(0|[1-9]\d*)$/.test(key) && Number(key) < receiver.shape[0]) return receiver.at(Number(key));
        return Reflect.get(target, key, receiver);
      },
    });
    return longPrototype;
  }
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

/**
 * A traced value: a scalar (shape []) or a tensor of traced entries, inside an
 * `fn` body or a tensor-valued expression. Operations record graph nodes;
 * nothing is computed until the compiled function runs. Methods mirror the
 * free functions (`x.sin()` is `sin(x)`); `x[i]`, `at`, `get`, iteration and
 * destructuring index the first axis. The elementwise methods are installed
 * from the primitives' spec (front/lift.ts), the tensor methods by
 * front/tensor-ops.ts: this file needs neither.
 */
export interface Node extends ElementwiseMethods, TensorMethods {}
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
    if (Array.isArray(value) && holdsNode(value)) { // [[x0, 1], [0, x1]]: its entries stacked, as numpy.array does
      const parts = (value as readonly Operand[]).map((v) => Node.constant(graph, v)), shape = parts[0].shape;
      const other = parts.find((p) => !sameShape(p.shape, shape));
      if (other) throw new ShapeError(`a nested array's entries must have one shape, got ${describeShape(shape)} and ${describeShape(other.shape)}`);
      return Node.of(graph, [parts.length, ...shape], parts.flatMap((p) => p.ids));
    }
    const t = value instanceof Tensor ? value : Tensor.from(value as NestedArray);
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
      throw new ShapeError(`get needs ${this.shape.length} indices for shape ${describeShape(this.shape)}, got ${index.length}`);
    }
    let node: Node = this;
    for (const i of index) node = node.at(i);
    return node;
  }

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

/** Whether a nested array holds a traced node anywhere. */
function holdsNode(value: readonly unknown[]): boolean {
  return value.some((v) => v instanceof Node || (Array.isArray(v) && holdsNode(v)));
}
