// Tensor operations on traced nodes. Each builds scalar graph nodes (so every
// operation is differentiable in every mode), except det, inv and solve, which
// become block ops with their own rules in the core (assembly/core/blocks.ts).
// Shapes are checked here, at trace time, with errors naming both shapes.
import { InputError, ShapeError, show } from "../base/errors.js";
import type { Graph } from "../ir/graph.js";
import { Node, type Operand } from "./node.js";
import { Op } from "../ops/grammar.js";
import { describeShape, sameShape, sizeOf } from "../base/tensor.js";
import { append } from "../base/arrays.js";
import { MIN_NORMAL } from "../base/doubles.js";

/** The graph shared by the operands' nodes; at least one operand must be a Node. */
export function graphOf(operands: readonly Operand[]): Graph | undefined {
  let graph: Graph | undefined;
  for (const o of operands) {
    // (a nested array may hold traced nodes too: [[x0, 1], [0, x1]])
    const inner = o instanceof Node ? o.graph : Array.isArray(o) ? graphOf(o as Operand[]) : undefined;
    if (inner) {
      if (graph && inner !== graph) throw new InputError("nodes from two different traces cannot be combined");
      graph = inner;
    }
  }
  return graph;
}

/** The operands as Nodes of one graph (constants lifted into it). */
function lift(operands: readonly Operand[], what: string): Node[] {
  const graph = graphOf(operands);
  if (!graph) throw new InputError(`${what} needs at least one traced value`);
  return operands.map((o) => {
    if (o instanceof Node || typeof o === "number" || Array.isArray(o) || (typeof o === "object" && o !== null && "shape" in o)) {
      return Node.constant(graph, o);
    }
    throw new InputError(`${what} takes traced nodes, numbers, nested arrays or Tensors, got ${o === null ? "null" : typeof o}`);
  });
}

/** op applied to every entry. */
export function map(op: number, a: Node): Node {
  return Node.of(a.graph, a.shape, a.ids.map((id) => a.graph.apply(op, id)));
}

/**
 * op applied entry by entry to two tensors, broadcast by numpy's rules: shapes
 * are aligned at their last axes, and along each axis the extents must be equal
 * or one of them 1 (or missing), which is repeated: centroids C [k, d] minus a
 * point x [d] is [k, d], a column [m, 1] times a row [n] is [m, n].
 */
export function elementwise(op: number, a: Operand, b: Operand): Node {
  const [x, y] = lift([a, b], "this operation");
  const g = x.graph;
  if (x.size === 1 && x.rank === 0) return Node.of(g, y.shape, y.ids.map((id) => g.apply(op, x.ids[0], id)));
  if (y.size === 1 && y.rank === 0) return Node.of(g, x.shape, x.ids.map((id) => g.apply(op, id, y.ids[0])));
  if (sameShape(x.shape, y.shape)) return Node.of(g, x.shape, x.ids.map((id, i) => g.apply(op, id, y.ids[i])));
  const shape = broadcastShape(x.shape, y.shape);
  const xs = broadcastStrides(x.shape, shape.length), ys = broadcastStrides(y.shape, shape.length);
  const ids: number[] = [];
  forEachIndex(shape, (index) => {
    let i = 0, j = 0;
    for (let k = 0; k < shape.length; k++) {
      i += index[k] * xs[k];
      j += index[k] * ys[k];
    }
    ids.push(g.apply(op, x.ids[i], y.ids[j]));
  });
  return Node.of(g, shape, ids);
}

/**
 * `make(g, ids)` entry by entry over any number of operands, broadcast together
 * as `elementwise` broadcasts two: a user function of several arguments applied
 * to tensors. `what` names the operation in errors.
 */
export function elementwiseOf(operands: readonly Operand[], what: string, make: (g: Graph, ids: number[]) => number): Node {
  const xs = lift(operands, what), g = xs[0].graph;
  const shape = xs.reduce<number[]>((s, x) => broadcastShape(s, x.shape), []);
  const strides = xs.map((x) => broadcastStrides(x.shape, shape.length));
  const ids: number[] = [];
  forEachIndex(shape, (index) => {
    ids.push(make(g, xs.map((x, j) => {
      let i = 0;
      for (let k = 0; k < shape.length; k++) i += index[k] * strides[j][k];
      return x.ids[i];
    })));
  });
  return Node.of(g, shape, ids);
}

/** The shape two shapes broadcast to (numpy's rules), or a ShapeError naming the axis that does not fit. */
function broadcastShape(p: readonly number[], q: readonly number[]): number[] {
  const rank = Math.max(p.length, q.length), shape: number[] = [];
  for (let k = 0; k < rank; k++) {
    const a = p[p.length - rank + k] ?? 1, b = q[q.length - rank + k] ?? 1;
    if (a !== b && a !== 1 && b !== 1) {
      throw new ShapeError(`elementwise operation on shapes ${describeShape(p)} and ${describeShape(q)}: ` +
        `axis ${k} of the result has extents ${a} and ${b}; they must be equal or one of them 1 (numpy's broadcasting)`);
    }
    shape.push(a === 1 ? b : a);
  }
  return shape;
}

/** Strides of `shape` as an operand of a `rank`-axis result: 0 along axes it is repeated on. */
function broadcastStrides(shape: readonly number[], rank: number): number[] {
  const own = stridesOf(shape), strides = new Array<number>(rank).fill(0);
  for (let k = 0; k < shape.length; k++) strides[rank - shape.length + k] = shape[k] === 1 ? 0 : own[k];
  return strides;
}


/** Sums of at least this many terms become one sum instruction instead of a tree of additions. */
const SUM_BLOCK = 8;

/** Σ of ids: one sum instruction for long sums, else a balanced tree (low rounding and depth). */
function total(g: Graph, ids: readonly number[]): number {
  if (ids.length === 0) return g.constant(0);
  if (ids.length >= SUM_BLOCK) return g.block(Op.Sum, ids, 1)[0];
  let level = [...ids];
  while (level.length > 1) {
    const next: number[] = [];
    for (let i = 0; i + 1 < level.length; i += 2) next.push(g.apply(Op.Add, level[i], level[i + 1]));
    if (level.length % 2) next.push(level[level.length - 1]);
    level = next;
  }
  return level[0];
}

/** Σ_k a[k]·b[k] over index lists. */
function inner(g: Graph, a: readonly number[], b: readonly number[]): number {
  return total(g, a.map((id, k) => g.apply(Op.Mul, id, b[k])));
}

function requireRank(x: Node, ranks: readonly number[], what: string): void {
  if (!ranks.includes(x.rank)) {
    throw new ShapeError(`${what} needs a ${ranks.map((r) => ["scalar", "vector", "matrix"][r] ?? `rank-${r} tensor`).join(" or ")}, got shape ${describeShape(x.shape)}`);
  }
}

/** Matrix product with numpy's matmul rules for vectors. */
export function matmul(a: Operand, b: Operand): Node {
  const [x, y] = lift([a, b], "matmul");
  requireRank(x, [1, 2], "matmul's left operand");
  requireRank(y, [1, 2], "matmul's right operand");
  const g = x.graph;
  const [m, k] = x.rank === 2 ? x.shape : [1, x.shape[0]];
  const [k2, n] = y.rank === 2 ? y.shape : [y.shape[0], 1];
  if (k !== k2) throw new ShapeError(`matmul of ${describeShape(x.shape)} and ${describeShape(y.shape)}: inner dimensions ${k} and ${k2} differ`);
  const ids: number[] = [];
  for (let i = 0; i < m; i++) {
    const row = x.ids.slice(i * k, (i + 1) * k);
    for (let j = 0; j < n; j++) {
      const col: number[] = [];
      for (let t = 0; t < k; t++) col.push(y.ids[t * n + j]);
      ids.push(inner(g, row, col));
    }
  }
  const shape = [...(x.rank === 2 ? [m] : []), ...(y.rank === 2 ? [n] : [])];
  return Node.of(g, shape, ids);
}

/** The matrix-vector product [m, k]·[k] → [m]. */
export function matvec(A: Operand, v: Operand): Node {
  const [M, x] = lift([A, v], "matvec");
  requireRank(M, [2], "matvec's matrix");
  requireRank(x, [1], "matvec's vector");
  return matmul(M, x);
}

/** Σ aᵢ·bᵢ over two tensors of one shape → a scalar (the dot product of vectors). */
export function dot(a: Operand, b: Operand): Node {
  const [x, y] = lift([a, b], "dot");
  if (!sameShape(x.shape, y.shape)) throw new ShapeError(`dot of shapes ${describeShape(x.shape)} and ${describeShape(y.shape)}: the shapes must be equal`);
  return Node.of(x.graph, [], [inner(x.graph, x.ids, y.ids)]);
}

/** The outer product: shape [...a.shape, ...b.shape], entries aᵢ·bⱼ. */
export function outer(a: Operand, b: Operand): Node {
  const [x, y] = lift([a, b], "outer");
  const g = x.graph;
  const ids: number[] = [];
  for (const i of x.ids) for (const j of y.ids) ids.push(g.apply(Op.Mul, i, j));
  return Node.of(g, [...x.shape, ...y.shape], ids);
}

/** The axes reversed (a matrix's transpose), or permuted by `axes`. */
export function transpose(a: Operand, axes?: readonly number[]): Node {
  const [x] = lift([a], "transpose");
  const r = x.rank;
  const perm = axes ?? Array.from({ length: r }, (_, i) => r - 1 - i);
  if (perm.length !== r || [...perm].sort((p, q) => p - q).some((p, i) => p !== i)) {
    throw new ShapeError(`transpose axes [${perm.join(", ")}] are not a permutation of the ${r} axes of shape ${describeShape(x.shape)}`);
  }
  const shape = perm.map((p) => x.shape[p]);
  const strides = stridesOf(x.shape);
  const ids: number[] = [];
  forEachIndex(shape, (index) => {
    let offset = 0;
    for (let i = 0; i < r; i++) offset += index[i] * strides[perm[i]];
    ids.push(x.ids[offset]);
  });
  return Node.of(x.graph, shape, ids);
}

/** Σ Aᵢᵢ of a square matrix → a scalar. */
export function trace(a: Operand): Node {
  const [x] = lift([a], "trace");
  if (x.rank !== 2 || x.shape[0] !== x.shape[1]) throw new ShapeError(`trace needs a square matrix, got shape ${describeShape(x.shape)}`);
  const n = x.shape[0];
  return Node.of(x.graph, [], [total(x.graph, Array.from({ length: n }, (_, i) => x.ids[i * n + i]))]);
}

/** All entries combined into a scalar, or each line along `axis` (that axis removed). */
function reduce(x: Node, axis: number | undefined, what: string, combine: (g: Graph, ids: readonly number[]) => number): Node {
  if (axis === undefined) return Node.of(x.graph, [], [combine(x.graph, x.ids)]);
  if (!Number.isInteger(axis) || axis < 0 || axis >= x.rank) {
    throw new ShapeError(`${what}'s axis must be a whole number from 0 to ${x.rank - 1} for shape ${describeShape(x.shape)}, got ${show(axis)}`);
  }
  const shape = x.shape.filter((_, i) => i !== axis);
  const strides = stridesOf(x.shape);
  const ids: number[] = [];
  forEachIndex(shape, (index) => {
    const terms: number[] = [];
    for (let t = 0; t < x.shape[axis]; t++) {
      let offset = t * strides[axis];
      for (let i = 0, j = 0; i < x.rank; i++) if (i !== axis) offset += index[j++] * strides[i];
      terms.push(x.ids[offset]);
    }
    ids.push(combine(x.graph, terms));
  });
  return Node.of(x.graph, shape, ids);
}

/** The sum of all entries (a scalar), or along `axis` (that axis removed). */
export function sum(a: Operand, axis?: number): Node {
  const [x] = lift([a], "sum");
  return reduce(x, axis, "sum", total);
}

/**
 * ln Σ e^(aᵢ) of ids, as m + ln Σ e^(aᵢ − m) with m the largest entry: no term
 * overflows, and the largest is 1. m is clamped to the finite range, so that
 * entries of −∞ give −∞ (not ∞ − ∞) and an entry of +∞ gives +∞.
 */
function logSumExp(g: Graph, ids: readonly number[]): number {
  if (ids.length === 0) return g.constant(-Infinity);
  const m = g.apply(Op.Min, g.apply(Op.Max, tree(g, Op.Max, ids, -Infinity), g.constant(-Number.MAX_VALUE)), g.constant(Number.MAX_VALUE));
  // (all the differences, then all the exponentials: each one elementwise op, a run, not alternating scalars)
  const shifted = ids.map((id) => g.apply(Op.Sub, id, m));
  return g.apply(Op.Add, m, g.apply(Op.Log, total(g, shifted.map((id) => g.apply(Op.Exp, id)))));
}

/** ln Σ e^(aᵢ) over all entries (a scalar), or along `axis` (that axis removed), without overflow: its gradient is the softmax. */
export function logsumexp(a: Operand, axis?: number): Node {
  const [x] = lift([a], "logsumexp");
  return reduce(x, axis, "logsumexp", logSumExp);
}

/**
 * The p-norm of all entries (a scalar: with p = 2 a vector's length, a matrix's
 * Frobenius norm), or of each line along `axis`: (Σ |aᵢ|^p)^(1/p) for p ≥ 1;
 * p = 2 is √(Σ aᵢ²), p = 1 is Σ |aᵢ|, p = Infinity is the largest |aᵢ|.
 */
export function norm(a: Operand, p = 2, axis?: number): Node {
  const [x] = lift([a], "norm");
  if (!(typeof p === "number" && p >= 1)) throw new ShapeError(`norm's p must be a number ≥ 1 (or Infinity), got ${show(p)}`);
  return reduce(x, axis, "norm", (g, ids) => {
    const magnitudes = ids.map((id) => g.apply(Op.Abs, id));
    if (p === 1) return total(g, magnitudes);
    const largest = tree(g, Op.Max, magnitudes, -Infinity);
    if (p === Infinity) return largest;
    // Scaled by the largest |aᵢ| where its power would leave the range ((3e-200, 4e-200)'s squares
    // underflow to 0, 1e200's overflow, where the norm itself is in range), as hypot is; by 1, so
    // exactly as written, where it is between 2^−500 and 2^500 or is 0, ∞ or NaN. At least the
    // smallest normal number, so that 1/scale, in the derivatives of aᵢ/scale, is finite.
    const extreme = g.apply(Op.Or, g.apply(Op.And, g.apply(Op.Gt, largest, g.constant(0)), g.apply(Op.Lt, largest, g.constant(2 ** -500))),
      g.apply(Op.And, g.apply(Op.Gt, largest, g.constant(2 ** 500)), g.apply(Op.Lt, largest, g.constant(Infinity))));
    const normal = g.apply(Op.Max, largest, g.constant(MIN_NORMAL));
    const scale = g.apply(Op.Add, g.apply(Op.Keep, normal, extreme), g.apply(Op.Keep, g.constant(1), g.apply(Op.Not, extreme)));
    const scaled = ids.map((id) => g.apply(Op.Div, id, scale));
    const body = p === 2 ? g.apply(Op.Sqrt, inner(g, scaled, scaled))
      : g.apply(Op.Pow, total(g, scaled.map((v) => g.apply(Op.Pow, g.apply(Op.Abs, v), g.constant(p)))), g.constant(1 / p));
    return g.apply(Op.Mul, scale, body);
  });
}

/**
 * ids combined pairwise by `op` in a balanced tree (`empty` for none). Each level
 * pairs entry i with entry i + h of the level below (h its half, an odd one
 * out carried last), so a level is one elementwise op over two consecutive
 * ranges: a run on the reverse schedule, not a scalar instruction per pair.
 */
function tree(g: Graph, op: number, ids: readonly number[], empty: number): number {
  if (ids.length === 0) return g.constant(empty);
  let level = [...ids];
  while (level.length > 1) {
    const h = level.length >> 1, next: number[] = [];
    for (let i = 0; i < h; i++) next.push(g.apply(op, level[i], level[i + h]));
    if (level.length % 2) next.push(level[level.length - 1]);
    level = next;
  }
  return level[0];
}

/**
 * The largest entry (a scalar), or the largest of each line along `axis`: a
 * balanced tree of `max`, so the derivative goes to the largest entry, and a
 * tie splits it as `max` does (½ to each side of each tie). numpy's `amax`.
 */
export function amax(a: Operand, axis?: number): Node {
  const [x] = lift([a], "amax");
  return reduce(x, axis, "amax", (g, ids) => tree(g, Op.Max, ids, -Infinity));
}

/** The smallest entry, or of each line along `axis` (see amax; numpy's `amin`). */
export function amin(a: Operand, axis?: number): Node {
  const [x] = lift([a], "amin");
  return reduce(x, axis, "amin", (g, ids) => tree(g, Op.Min, ids, Infinity));
}

/** The product of all entries, or along `axis` (a balanced tree of products). */
export function prod(a: Operand, axis?: number): Node {
  const [x] = lift([a], "prod");
  return reduce(x, axis, "prod", (g, ids) => tree(g, Op.Mul, ids, 1));
}

/** The mean of all entries, or along `axis`: the sum over the count. */
export function mean(a: Operand, axis?: number): Node {
  const [x] = lift([a], "mean");
  return reduce(x, axis, "mean", (g, ids) => g.apply(Op.Div, total(g, ids), g.constant(ids.length)));
}

/**
 * The index (flat over all entries, or along `axis`) of the largest entry, the
 * first of ties: a value with derivative 0, as numpy's `argmax`. NaN where an
 * entry is NaN.
 */
export function argmax(a: Operand, axis?: number): Node {
  const [x] = lift([a], "argmax");
  return reduce(x, axis, "argmax", (g, ids) => argBest(g, ids, 1));
}

/** The index of the smallest entry, the first of ties (see argmax). */
export function argmin(a: Operand, axis?: number): Node {
  const [x] = lift([a], "argmin");
  return reduce(x, axis, "argmin", (g, ids) => argBest(g, ids, -1));
}

/**
 * A tournament over (value, index) pairs: the right one wins where it is
 * strictly greater (less, for sign −1), so the left (the earlier index) wins
 * ties, equal infinities too; where either is NaN the index is NaN. The tests
 * are comparisons, whose derivative is 0, so the index's is too.
 */
function argBest(g: Graph, ids: readonly number[], sign: 1 | -1): number {
  if (ids.length === 0) return g.constant(NaN);
  let level = ids.map((id, i) => [id, g.constant(i)]);
  const zero = g.constant(0), one = g.constant(1);
  while (level.length > 1) {
    const next: number[][] = [];
    for (let i = 0; i + 1 < level.length; i += 2) {
      const [v, k] = level[i], [w, l] = level[i + 1];
      const right = g.apply(sign > 0 ? Op.Gt : Op.Lt, w, v); // 1 where the right one wins, else 0 (not sign(w − v): ∞ − ∞ is NaN)
      const index = g.apply(Op.Add, k, g.apply(Op.Mul, right, g.apply(Op.Sub, l, k)));
      const unordered = g.apply(Op.Or, g.apply(Op.Ne, v, v), g.apply(Op.Ne, w, w)); // a NaN entry: 0/(1 − 1) makes the index NaN
      next.push([g.apply(sign > 0 ? Op.Max : Op.Min, v, w), g.apply(Op.Add, index, g.apply(Op.Div, zero, g.apply(Op.Sub, one, unordered)))]);
    }
    if (level.length % 2) next.push(level[level.length - 1]);
    level = next;
  }
  return level[0][1];
}

function square(x: Node, what: string): number {
  if (x.rank !== 2 || x.shape[0] !== x.shape[1]) throw new ShapeError(`${what} needs a square matrix, got shape ${describeShape(x.shape)}`);
  return x.shape[0];
}

/** The determinant of a square matrix [k, k] → a scalar (LU with partial pivoting, in the core). */
export function det(a: Operand): Node {
  const [x] = lift([a], "det");
  square(x, "det");
  return Node.of(x.graph, [], x.graph.block(Op.Det, x.ids, 1));
}

/** The inverse of a square matrix [k, k] → [k, k] (LU with partial pivoting, in the core). */
export function inv(a: Operand): Node {
  const [x] = lift([a], "inv");
  const k = square(x, "inv");
  return Node.of(x.graph, [k, k], x.graph.block(Op.Inv, x.ids, k * k));
}

/** x with A·x = b, for A [k, k] and b [k] (→ [k]) or [k, r] (→ [k, r]). */
export function solve(A: Operand, b: Operand): Node {
  const [M, y] = lift([A, b], "solve");
  const k = square(M, "solve");
  requireRank(y, [1, 2], "solve's right-hand side");
  if (y.shape[0] !== k) throw new ShapeError(`solve: a ${k}×${k} matrix needs a right-hand side with ${k} rows, got shape ${describeShape(y.shape)}`);
  if (y.rank === 1) return Node.of(M.graph, [k], M.graph.block(Op.Solve, [...M.ids, ...y.ids], k));
  const r = y.shape[1];
  const columns = Array.from({ length: r }, (_, j) =>
    M.graph.block(Op.Solve, [...M.ids, ...Array.from({ length: k }, (_, i) => y.ids[i * r + j])], k));
  const ids: number[] = [];
  for (let i = 0; i < k; i++) for (let j = 0; j < r; j++) ids.push(columns[j][i]);
  return Node.of(M.graph, [k, r], ids);
}

/** The same entries (row-major) in a new shape; one extent may be −1 (inferred). */
export function reshape(a: Operand, shape: readonly number[]): Node {
  const [x] = lift([a], "reshape");
  const free = shape.filter((s) => s === -1).length;
  if (free > 1 || shape.some((s) => !Number.isInteger(s) || s < -1)) {
    throw new ShapeError(`reshape to ${describeShape(shape)}: extents must be whole numbers ≥ 0, with at most one −1`);
  }
  const known = shape.reduce((p, s) => (s === -1 ? p : p * s), 1);
  const resolved = shape.map((s) => (s === -1 ? (known === 0 ? 0 : x.size / known) : s));
  if (sizeOf(resolved) !== x.size || !resolved.every(Number.isInteger)) {
    throw new ShapeError(`cannot reshape shape ${describeShape(x.shape)} (${x.size} entries) to ${describeShape(shape)}`);
  }
  return Node.of(x.graph, resolved, x.ids);
}

/**
 * Entries begin[i], begin[i] + step[i], … (below end[i]) along each axis i given
 * (missing bounds: the whole axis; missing steps: 1), as numpy's
 * `x[begin:end:step]`: `x.slice([0], [n], [2])` is every other entry, shape
 * [⌈(end − begin)/step⌉ per axis]. Steps are whole numbers ≥ 1.
 */
export function slice(a: Operand, begin: readonly number[], end?: readonly number[], step?: readonly number[]): Node {
  const [x] = lift([a], "slice");
  if (begin.length > x.rank || (end && end.length > x.rank) || (step && step.length > x.rank)) {
    throw new ShapeError(`slice of shape ${describeShape(x.shape)} takes at most ${x.rank} bounds and steps per axis`);
  }
  const lo = x.shape.map((_, i) => begin[i] ?? 0);
  const hi = x.shape.map((s, i) => end?.[i] ?? s);
  const by = x.shape.map((_, i) => step?.[i] ?? 1);
  x.shape.forEach((s, i) => {
    if (!Number.isInteger(lo[i]) || !Number.isInteger(hi[i]) || lo[i] < 0 || hi[i] > s || lo[i] > hi[i]) {
      throw new ShapeError(`slice [${lo[i]}, ${hi[i]}) is out of range for axis ${i} of length ${s}`);
    }
    if (!Number.isInteger(by[i]) || by[i] < 1) {
      throw new ShapeError(`slice step ${by[i]} on axis ${i}: expected a whole number ≥ 1`);
    }
  });
  const shape = lo.map((l, i) => Math.ceil((hi[i] - l) / by[i]));
  const strides = stridesOf(x.shape);
  const ids: number[] = [];
  forEachIndex(shape, (index) => {
    let offset = 0;
    for (let i = 0; i < x.rank; i++) offset += (lo[i] + index[i] * by[i]) * strides[i];
    ids.push(x.ids[offset]);
  });
  return Node.of(x.graph, shape, ids);
}

/** A vector's diagonal matrix [n] → [n, n], or a matrix's diagonal [m, n] → [min(m, n)]. */
export function diag(a: Operand): Node {
  const [x] = lift([a], "diag");
  const g = x.graph;
  if (x.rank === 1) {
    const n = x.shape[0], zero = g.constant(0);
    const ids: number[] = [];
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) ids.push(i === j ? x.ids[i] : zero);
    return Node.of(g, [n, n], ids);
  }
  if (x.rank === 2) {
    const n = Math.min(x.shape[0], x.shape[1]);
    return Node.of(g, [n], Array.from({ length: n }, (_, i) => x.ids[i * x.shape[1] + i]));
  }
  throw new ShapeError(`diag needs a vector or a matrix, got shape ${describeShape(x.shape)}`);
}

/** Tensors of one shape stacked along a new axis. */
export function stack(parts: readonly Operand[], axis = 0): Node {
  const xs = lift(parts, "stack");
  const shape = xs[0].shape;
  if (xs.some((x) => !sameShape(x.shape, shape))) {
    throw new ShapeError(`stack needs equal shapes, got ${xs.map((x) => describeShape(x.shape)).join(", ")}`);
  }
  if (!Number.isInteger(axis) || axis < 0 || axis > shape.length) throw new ShapeError(`stack's axis must be a whole number from 0 to ${shape.length}, got ${show(axis)}`);
  const expanded = xs.map((x) => Node.of(x.graph, [...shape.slice(0, axis), 1, ...shape.slice(axis)], x.ids));
  return concat(expanded, axis);
}

/** Tensors joined along an existing axis (the other extents must agree). */
export function concat(parts: readonly Operand[], axis = 0): Node {
  const xs = lift(parts, "concat");
  const r = xs[0].rank;
  if (r === 0) throw new ShapeError("concat needs tensors of rank ≥ 1 (use stack for scalars)");
  if (!Number.isInteger(axis) || axis < 0 || axis >= r) throw new ShapeError(`concat's axis must be a whole number from 0 to ${r - 1} for rank ${r}, got ${show(axis)}`);
  for (const x of xs) {
    if (x.rank !== r || x.shape.some((s, i) => i !== axis && s !== xs[0].shape[i])) {
      throw new ShapeError(`concat along axis ${axis} needs matching other extents, got ${xs.map((y) => describeShape(y.shape)).join(", ")}`);
    }
  }
  const shape = [...xs[0].shape];
  shape[axis] = xs.reduce((s, x) => s + x.shape[axis], 0);
  const outer = sizeOf(shape.slice(0, axis));
  const ids: number[] = [];
  for (let o = 0; o < outer; o++) {
    for (const x of xs) {
      const chunk = sizeOf(x.shape.slice(axis));
      append(ids, x.ids.slice(o * chunk, (o + 1) * chunk));
    }
  }
  return Node.of(xs[0].graph, shape, ids);
}

function stridesOf(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i];
  }
  return strides;
}

/** Calls `body` with every index of `shape`, row-major order. */
function forEachIndex(shape: readonly number[], body: (index: number[]) => void): void {
  const n = sizeOf(shape);
  const index = new Array<number>(shape.length).fill(0);
  for (let k = 0; k < n; k++) {
    body(index);
    for (let i = shape.length - 1; i >= 0; i--) {
      if (++index[i] < shape[i]) break;
      index[i] = 0;
    }
  }
}

/** Node's tensor methods: `A.matmul(B)` is `matmul(A, B)`. */
export interface TensorMethods {
  /** Matrix product ([m, k]·[k, n] → [m, n]; a vector on either side is a row or column: numpy's matmul). */
  matmul(b: Operand): Node;
  /** Matrix-vector product [m, k]·[k] → [m]. */
  matvec(x: Operand): Node;
  /** Σ aᵢ·bᵢ over two tensors of the same shape (the dot product of vectors). */
  dot(b: Operand): Node;
  /** Outer product: shape [...this.shape, ...b.shape]. */
  outer(b: Operand): Node;
  /** Axes reversed (a matrix's transpose), or permuted by `axes`. */
  transpose(axes?: readonly number[]): Node;
  /** Σ Aᵢᵢ of a square matrix. */
  trace(): Node;
  /** Sum of all entries (a scalar), or along one axis (that axis removed). */
  sum(axis?: number): Node;
  /** ln Σ e^(aᵢ) over all entries (a scalar), or along one axis, without overflow. */
  logsumexp(axis?: number): Node;
  /** The p-norm (default 2) of all entries, or of each line along `axis`: (Σ |aᵢ|^p)^(1/p); p = Infinity: max |aᵢ|. */
  norm(p?: number, axis?: number): Node;
  /** The largest entry, or of each line along `axis` (numpy's amax; ties split as `max` splits them). */
  amax(axis?: number): Node;
  /** The smallest entry, or of each line along `axis` (numpy's amin). */
  amin(axis?: number): Node;
  /** The index of the largest entry (flat, or along `axis`; the first of ties): a value, derivative 0. */
  argmax(axis?: number): Node;
  /** The index of the smallest entry (flat, or along `axis`; the first of ties): a value, derivative 0. */
  argmin(axis?: number): Node;
  /** The product of all entries, or along `axis`. */
  prod(axis?: number): Node;
  /** The mean of all entries, or along `axis`. */
  mean(axis?: number): Node;
  /** Determinant of a square matrix (LU with partial pivoting). */
  det(): Node;
  /** Inverse of a square matrix (LU with partial pivoting). */
  inv(): Node;
  /** x with this·x = b, for b a vector [k] or a matrix [k, r]. */
  solve(b: Operand): Node;
  /** The same entries in a new shape (one extent may be −1: inferred). */
  reshape(shape: readonly number[]): Node;
  /** Entries begin[i], begin[i] + step[i], … below end[i] along each axis i given (missing axes: all; missing steps: 1). */
  slice(begin: readonly number[], end?: readonly number[], step?: readonly number[]): Node;
  /** A vector's diagonal matrix, or a matrix's diagonal vector. */
  diag(): Node;
}

// The methods, installed here so that node.ts needs nothing from this file.
const methods: { [K in keyof TensorMethods]: (this: Node, ...args: Parameters<TensorMethods[K]>) => Node } = {
  matmul(b) { return matmul(this, b); },
  matvec(x) { return matvec(this, x); },
  dot(b) { return dot(this, b); },
  outer(b) { return outer(this, b); },
  transpose(axes) { return transpose(this, axes); },
  trace() { return trace(this); },
  sum(axis) { return sum(this, axis); },
  logsumexp(axis) { return logsumexp(this, axis); },
  norm(p, axis) { return norm(this, p, axis); },
  amax(axis) { return amax(this, axis); },
  amin(axis) { return amin(this, axis); },
  argmax(axis) { return argmax(this, axis); },
  argmin(axis) { return argmin(this, axis); },
  prod(axis) { return prod(this, axis); },
  mean(axis) { return mean(this, axis); },
  det() { return det(this); },
  inv() { return inv(this); },
  solve(b) { return solve(this, b); },
  reshape(shape) { return reshape(this, shape); },
  slice(begin, end, step) { return slice(this, begin, end, step); },
  diag() { return diag(this); },
};
for (const [name, method] of Object.entries(methods)) {
  Object.defineProperty(Node.prototype, name, { value: method, writable: true, configurable: true });
}
