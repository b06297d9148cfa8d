// The expression graph: a DAG of scalar nodes, hash-consed, with IEEE-safe folding.
//
// Nodes are stored structure-of-arrays (op, a, b, value) and numbered in creation
// order, which is a topological order: a node's operands always have smaller ids.
// Creating a node that already exists returns the existing id, so a repeated
// subexpression is computed once.
//
// Block ops (det, inv, solve) are tuple nodes whose operands are a list
// (`args`) and whose results are read through PROJ nodes: PROJ(a = block, b = i).
import { CONST, Op, PROJ, isBlock, opArity, isCommutative } from "../ops/grammar.js";
import { foldConstant } from "../ops/fold.js";
import { TripleTable } from "./intern-table.js";

export class Graph {
  // Nodes in typed arrays of room for `size` and more (doubled when full): a
  // traced graph can have millions, which boxed arrays would make the
  // collector walk. Entries past `size` mean nothing.
  private count = 0;
  private ops = new Int32Array(256);
  private as = new Int32Array(256);
  private bs = new Int32Array(256);
  private values = new Float64Array(256);
  /** Op code per node (CONST for constants). */
  get op(): Int32Array { return this.ops; }
  /** First operand id, or the input index for Op.Input. */
  get a(): Int32Array { return this.as; }
  /** Second operand id (binary ops), else -1. */
  get b(): Int32Array { return this.bs; }
  /** Constant value (CONST nodes), else NaN. */
  get value(): Float64Array { return this.values; }
  /** Block nodes: operand ids (matrix entries row-major, then the right-hand side); `b` holds the result count. */
  readonly args = new Map<number, number[]>();
  /** Hash-consing: applications and projections by (op, a, b), constants by value, inputs by index, blocks by key. */
  private readonly applied = new TripleTable();
  private readonly constants = new Map<number, number>();
  private negativeZero = -1;
  private readonly inputs: number[] = [];
  private readonly blocks = new Map<string, number>();
  /** Number of Not nodes: conditions of `where`, whose branches ir/branches.ts guards (none: nothing to do). */
  conditions = 0;

  get size(): number {
    return this.count;
  }

  isConstant(id: number): boolean {
    return this.op[id] === CONST;
  }

  /** The node of a numeric constant (−0 and NaN are kept distinct from 0). */
  constant(v: number): number {
    if (Object.is(v, -0)) return this.negativeZero >= 0 ? this.negativeZero : (this.negativeZero = this.add(CONST, -1, -1, v));
    const found = this.constants.get(v); // (a Map's keys: NaN is one key, +0 and −0 are one, hence −0 above)
    if (found !== undefined) return found;
    const id = this.add(CONST, -1, -1, v);
    this.constants.set(v, id);
    return id;
  }

  /** The node of input `i` of the flat input vector. */
  input(i: number): number {
    return this.inputs[i] ?? (this.inputs[i] = this.add(Op.Input, i, -1, NaN));
  }

  /** The node for `op` applied to operand ids (`b` only for binary ops). */
  apply(op: number, a: number, b = -1): number {
    const binary = opArity(op) === 2;
    if (this.isConstant(a) && (!binary || this.isConstant(b))) {
      return this.constant(foldConstant(op, this.value[a], binary ? this.value[b] : 0));
    }
    // (every identity but −(−x)'s reads a constant operand: skip the lookup for the common case)
    if (op === Op.Neg || this.op[a] === CONST || (binary && this.op[b] === CONST)) {
      const simplified = this.identity(op, a, b);
      if (simplified !== undefined) return simplified;
    }
    if (binary && b < a && isCommutative(op)) return this.intern(op, b, a);
    return this.intern(op, a, binary ? b : -1);
  }

  /** The node (op, a, b) if the graph has it, else −1 (nothing is made; `b` −1 for unary ops). */
  find(op: number, a: number, b = -1): number {
    return this.applied.get(op, a, b, this.fixedOperand(op, b));
  }

  /**
   * The results of a block op: `count` node ids. `args` are the k×k matrix entries
   * (row-major), followed for solve by the k right-hand-side entries.
   */
  block(op: number, args: readonly number[], count: number): number[] {
    const key = `${op}:${args.join(",")}`;
    let id = this.blocks.get(key);
    if (id === undefined) {
      id = this.add(op, -1, count, NaN);
      this.blocks.set(key, id);
      this.args.set(id, args.slice());
    }
    const results: number[] = [];
    for (let i = 0; i < count; i++) results.push(this.intern(PROJ, id, i));
    return results;
  }

  /**
   * Rewrites that hold for every IEEE value, NaN, ±0 and ±Infinity included:
   * x·1 = x, x/1 = x, x − 0 = x, x + (−0) = x, x^0 = 1, x^1 = x, −(−x) = x; and x^2 becomes
   * x·x (the correctly rounded square, on the SIMD path).
   * Not x·0 = 0 (NaN·0 is NaN) nor x + 0 = x (−0 + 0 is +0). Keep with a constant
   * guard is x or −0, and keep(−0, c) is −0 whatever c.
   */
  private identity(op: number, a: number, b: number): number | undefined {
    switch (op) {
      case Op.Mul:
        if (this.isConstantOf(b, 1)) return a;
        if (this.isConstantOf(a, 1)) return b;
        break;
      case Op.Div:
        if (this.isConstantOf(b, 1)) return a;
        break;
      case Op.Sub:
        if (this.isConstantOf(b, 0)) return a;
        break;
      case Op.Add:
        if (this.isConstantOf(b, -0)) return a;
        if (this.isConstantOf(a, -0)) return b;
        break;
      case Op.Pow:
        if (this.isConstantOf(b, 0)) return this.constant(1); // x^0 = 1 for every x, NaN included (C's pow)
        if (this.isConstantOf(b, 1)) return a;
        if (this.isConstantOf(b, 2)) return this.apply(Op.Mul, a, a);
        break;
      case Op.Neg:
        if (this.op[a] === Op.Neg) return this.a[a];
        break;
      case Op.Keep:
        if (this.isConstant(b)) return this.value[b] !== 0 ? a : this.constant(-0);
        if (this.isConstantOf(a, -0)) return a;
        break;
    }
    return undefined;
  }

  /** Whether node `id` is the constant `v` (−0 and +0 told apart). */
  private isConstantOf(id: number, v: number): boolean {
    return this.op[id] === CONST && Object.is(this.value[id], v);
  }

  /**
   * Renumbers the flat inputs: the node of input i reads input `order[i]`
   * instead (`order` a permutation). For a graph whose inputs were numbered
   * as they were met, before anything compiled it.
   */
  renumberInputs(order: readonly number[]): void {
    const nodes = this.inputs.slice();
    nodes.forEach((id, i) => { this.a[id] = order[i]; this.inputs[order[i]] = id; });
  }

  /**
   * A graph holding exactly these nodes, in this order, as the nodes of another
   * graph were (ir/graph-bytes.ts reads them back): operands come before their
   * readers, and every node is already folded and simplified, so each is only
   * registered for hash-consing, never rewritten.
   */
  static of(nodes: { op: ArrayLike<number>; a: ArrayLike<number>; b: ArrayLike<number>; value: ArrayLike<number>;
                     args: ReadonlyMap<number, readonly number[]> }): Graph {
    const g = new Graph();
    for (let id = 0; id < nodes.op.length; id++) {
      const op = nodes.op[id], a = nodes.a[id], b = nodes.b[id], v = nodes.value[id];
      g.add(op, a, b, v);
      if (op === CONST) {
        if (Object.is(v, -0)) g.negativeZero = id;
        else g.constants.set(v, id);
      } else if (op === Op.Input) {
        g.inputs[a] = id;
      } else if (isBlock(op)) {
        const args = nodes.args.get(id)!;
        g.args.set(id, args.slice());
        g.blocks.set(`${op}:${args.join(",")}`, id);
      } else {
        g.applied.set(op, a, b, g.fixedOperand(op, b), id);
        if (op === Op.Not) g.conditions++;
      }
    }
    return g;
  }

  /**
   * Whether the second operand of (op, a, b) is one node that many keys share (none,
   * or a constant) rather than one that moves with a: hash-consing's locality (intern-table.ts).
   */
  private fixedOperand(op: number, b: number): boolean {
    return b < 0 || (op !== PROJ && this.op[b] === CONST);
  }

  /** The node (op, a, b), made if new. */
  private intern(op: number, a: number, b: number): number {
    const next = this.count, id = this.applied.getOrSet(op, a, b, this.fixedOperand(op, b), next);
    if (id !== next) return id;
    this.add(op, a, b, NaN);
    if (op === Op.Not) this.conditions++;
    return id;
  }

  private add(op: number, a: number, b: number, v: number): number {
    const id = this.count;
    if (id === this.ops.length) this.grow();
    this.ops[id] = op;
    this.as[id] = a;
    this.bs[id] = b;
    this.values[id] = v;
    this.count = id + 1;
    return id;
  }

  private grow(): void {
    const room = 2 * this.ops.length;
    const widen = <T extends Int32Array | Float64Array>(old: T, made: T): T => { made.set(old); return made; };
    this.ops = widen(this.ops, new Int32Array(room));
    this.as = widen(this.as, new Int32Array(room));
    this.bs = widen(this.bs, new Int32Array(room));
    this.values = widen(this.values, new Float64Array(room));
  }
}

/**
 * Matrix order k of a block op with this many operands: k² entries (+ k for
 * solve); a sum's (or host block's) term count. Not a whole number where no k fits.
 */
export function operandOrder(op: number, operands: number): number {
  if (op === Op.Sum || op === Op.Host) return operands;
  return op === Op.Solve ? (Math.sqrt(1 + 4 * operands) - 1) / 2 : Math.sqrt(operands);
}

/** Results a block op of order k makes: det and sum one, inv k², solve k (host blocks: their own count). */
export function resultCount(op: number, k: number): number {
  return op === Op.Inv ? k * k : op === Op.Solve ? k : 1;
}

/** Matrix order k of a block node: args are k² entries (+ k for solve); a sum's term count. */
export function blockOrder(graph: Graph, id: number): number {
  return Math.round(operandOrder(graph.op[id], graph.args.get(id)!.length));
}

/** `visit(operand, position)` for each operand of a node, as operandsOf lists them, without making the list. */
export function eachOperand(graph: Graph, id: number, visit: (operand: number, position: number) => void): void {
  const op = graph.op[id];
  if (op === CONST || op === Op.Input) return;
  if (op === PROJ) {
    visit(graph.a[id], 0);
  } else if (isBlock(op)) {
    const args = graph.args.get(id)!;
    for (let i = 0; i < args.length; i++) visit(args[i], i);
  } else {
    visit(graph.a[id], 0);
    if (opArity(op) === 2) visit(graph.b[id], 1);
  }
}

/** Operand ids of a node (block nodes: their argument list; PROJ: its block). */
export function operandsOf(graph: Graph, id: number): readonly number[] {
  const op = graph.op[id];
  if (op === CONST || op === Op.Input) return [];
  if (op === PROJ) return [graph.a[id]];
  if (isBlock(op)) return graph.args.get(id)!;
  return opArity(op) === 2 ? [graph.a[id], graph.b[id]] : [graph.a[id]];
}
