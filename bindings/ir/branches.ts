// The branches of `where`, made safe to differentiate ("double where").
//
// where(c, a, b) is keep(a, c) + keep(b, !c) (ops/spec.ts): the value and the
// derivative of the branch not taken are masked to 0. That alone is not enough
// in reverse mode: the masked adjoint, 0, still meets the untaken branch's own
// partials on the way down, and where(x > 0, sqrt(x), 0) at x = 0 would give
// 0·∞ = NaN for ∂/∂x, as JAX users keep finding. So every operand that enters a
// branch from outside it is guarded by the branch's condition too: inside the
// branch, sqrt(keep(x, c)). Where the branch is not taken, its inputs are then 0,
// any NaN its partials make stays inside it, and Keep's rule stops it at the
// border (a masked adjoint is 0 even where the partial is NaN). Where it is
// taken, keep(x, c) is x: the same values and derivatives, bit for bit.
//
// "Inside the branch" is exact: the nodes whose derivatives only the branch
// reads, directly or through other such nodes (a region); a condition may read
// them too, and keeps reading the original, unguarded nodes. Regions nest with
// the wheres; an operand from further out is guarded by every condition in
// between, since an inner condition may hold where an outer one does not.
import { CONST, FLAT, Op, PROJ, isBlock, opArity } from "../ops/grammar.js";
import { eachOperand, type Graph } from "./graph.js";

/** Region 0 is the function itself; each guarded Keep opens a region inside its own. */
interface Regions {
  parent: number[];
  depth: number[];
  /** The condition node of each region. */
  guard: number[];
}

/** Whether Keep node `k` is a branch of a where: its guard is a condition !c, or c with !c in the graph. */
function isBranch(g: Graph, k: number): boolean {
  const guard = g.b[k];
  return g.op[guard] === Op.Not || g.find(Op.Not, guard) >= 0;
}

/** The innermost region holding both r and s. */
function common(R: Regions, r: number, s: number): number {
  while (R.depth[r] > R.depth[s]) r = R.parent[r];
  while (R.depth[s] > R.depth[r]) s = R.parent[s];
  while (r !== s) { r = R.parent[r]; s = R.parent[s]; }
  return r;
}

/**
 * The outputs of `outputs`' function with every where's branches guarded (new
 * nodes in `g`; the old ones stay, unread). Without a where, `outputs` itself.
 */
export function guardBranches(g: Graph, outputs: readonly number[]): readonly number[] {
  if (g.conditions === 0) return outputs;
  const size = g.size;
  // Regions, from the outputs down (ids are a topological order: readers come after).
  // Only reads a derivative flows through count: a condition (a Keep's guard, a
  // comparison's operands) reads the original nodes, whatever region they are in.
  const region = new Int32Array(size).fill(-1);
  const R: Regions = { parent: [-1], depth: [0], guard: [-1] };
  const reads = new Map<number, number[]>(); // the regions each node is read from
  for (const o of outputs) reads.set(o, [0]);
  let any = false;
  for (let id = size - 1; id >= 0; id--) {
    const from = reads.get(id), op = g.op[id];
    if (!from) continue;
    reads.delete(id);
    let r = from.reduce((l, x) => common(R, l, x));
    if (!(op >= 0 && FLAT[op]) && !from.includes(r)) {
      // Read only from inside branches (of several wheres, or several elements of one):
      // a region of its own, inside r, guarded by the OR over its readers of the
      // conditions on the way down to each, so that what only it reads is guarded too.
      const paths = [...new Set(from)].map((x) => {
        let c = R.guard[x];
        for (let y = R.parent[x]; y !== r; y = R.parent[y]) c = g.apply(Op.And, R.guard[y], c);
        return c;
      });
      R.parent.push(r);
      R.depth.push(R.depth[r] + 1);
      R.guard.push(paths.reduce((c, d) => g.apply(Op.Or, c, d)));
      r = R.parent.length - 1;
    }
    region[id] = r;
    if (op >= 0 && FLAT[op]) continue;
    let inner = r;
    if (op === Op.Keep && isBranch(g, id)) {
      inner = R.parent.length;
      R.parent.push(r);
      R.depth.push(R.depth[r] + 1);
      R.guard.push(g.b[id]);
      any = true;
    }
    eachOperand(g, id, (operand, pos) => {
      if (op === Op.Keep && pos === 1) return;
      const at = g.op[operand] === Op.Input ? 0 : inner; // an input's adjoint is a result, outside every branch
      const list = reads.get(operand);
      if (list) list.push(at);
      else reads.set(operand, [at]);
    });
  }
  if (!any) return outputs;

  // Rebuild what changes, from the inputs up: an operand read from an outer region
  // (or a sibling's) is guarded by the conditions in between (original nodes: a
  // guard takes no derivative).
  const map = new Int32Array(size);
  const blockResults = new Map<number, number[]>();
  const guarded = (operand: number, reads: number): number => {
    let id = map[operand];
    if (g.op[operand] === CONST) return id;
    // (up to the innermost region holding both: the operand's own, or, for a node read by several
    // branches, the region its own region sits in)
    const top = common(R, reads, region[operand]);
    for (let r = reads; r !== top; r = R.parent[r]) id = g.apply(Op.Keep, id, R.guard[r]);
    return id;
  };
  for (let id = 0; id < size; id++) {
    map[id] = id;
    const r = region[id], op = g.op[id];
    if (r < 0 || op === CONST || op === Op.Input || (op >= 0 && FLAT[op])) continue;
    if (op === PROJ) {
      const results = blockResults.get(g.a[id]);
      if (results) map[id] = results[g.b[id]];
    } else if (isBlock(op)) {
      const args = g.args.get(id)!, mapped = args.map((a) => guarded(a, r));
      if (mapped.some((a, i) => a !== args[i])) blockResults.set(id, g.block(op, mapped, g.b[id]));
    } else {
      const a = guarded(g.a[id], r); // (a branch's own Keep guards its first operand by its condition)
      const b = opArity(op) === 2 ? (op === Op.Keep ? g.b[id] : guarded(g.b[id], r)) : -1;
      if (a !== g.a[id] || b !== g.b[id]) map[id] = g.apply(op, a, b);
    }
  }
  return outputs.map((o) => map[o]);
}
