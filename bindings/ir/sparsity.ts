// Sparse Jacobians by column coloring (Curtis, Powell and Reid, 1974), used for
// the Hessian: the Jacobian of the gradient.
//
// Which inputs each output can depend on is read off the graph (a structural
// pattern: an entry outside it is exactly zero). Two columns that no output
// shares can be pushed through forward mode in one tangent lane: lane c seeds
// every input of color c, and output o's tangent in lane c is ∂f_o/∂x_j for the
// one input j of color c that o depends on. A tridiagonal Hessian of any size
// needs 3 lanes instead of n; a dense one gets n colors and gains nothing, and
// is then computed column by column, one input per lane.
//
// The lane arithmetic is the same as with one input per lane (the other inputs of
// a color never meet an output's dependencies), so the entries are the same
// numbers, bit for bit.
import { CONST, FLAT, Op } from "../ops/grammar.js";
import { operandsOf, type Graph } from "./graph.js";
import { largest } from "../base/arrays.js";

/** A coloring of the columns of a Jacobian, with its sparsity pattern. */
export interface Coloring {
  /** Number of colors (tangent lanes). */
  readonly count: number;
  /** Color of each input. */
  readonly colors: Int32Array;
  /** The pattern, row by row: output o can depend on inputs cols[rowStart[o]] … cols[rowStart[o + 1] − 1]. */
  readonly rowStart: Int32Array;
  readonly cols: Int32Array;
  /** rowStart, cols and colors end to end (the three above are views of it), as the core reads them. */
  readonly tables: Int32Array;
}

/** Entries of the dependency sets the analysis may hold at once before it gives up (the function is too dense to gain). */
const SET_BUDGET = 1 << 22;
/** Entries it may copy in all (its time) before it gives up. */
const UNION_BUDGET = 1 << 26;

/**
 * A coloring of ∂outputs/∂inputs (inputs 0 … nIn−1) that needs fewer forward
 * sweeps of `lanes` lanes than one lane per input; undefined when it would not.
 */
export function colorColumns(graph: Graph, outputs: readonly number[], nIn: number, lanes: number): Coloring | undefined {
  const pattern = dependencies(graph, outputs);
  return pattern && colorPattern(pattern, nIn, lanes);
}

/** A Jacobian's structural pattern (CSR), and a coloring of it where one saves sweeps. */
export interface JacobianStructure {
  /** Row o's entries are at columns cols[rowStart[o]] … cols[rowStart[o + 1] − 1], ascending. */
  readonly rowStart: Int32Array;
  readonly cols: Int32Array;
  readonly coloring?: Coloring;
}

/**
 * The pattern of ∂outputs/∂inputs read off the graph, with a coloring when it
 * saves sweeps; every entry (a dense pattern) when the analysis would hold more
 * than its budget.
 */
export function jacobianStructure(graph: Graph, outputs: readonly number[], nIn: number, lanes: number): JacobianStructure {
  const pattern = dependencies(graph, outputs);
  if (!pattern) {
    const m = outputs.length, rowStart = Int32Array.from({ length: m + 1 }, (_, o) => o * nIn);
    return { rowStart, cols: Int32Array.from({ length: m * nIn }, (_, k) => k % nIn) };
  }
  const coloring = colorPattern(pattern, nIn, lanes);
  return coloring ? { rowStart: coloring.rowStart, cols: coloring.cols, coloring } : packed(pattern);
}

/** The pattern as CSR. */
function packed(pattern: readonly Int32Array[]): { rowStart: Int32Array; cols: Int32Array } {
  const rowStart = new Int32Array(pattern.length + 1);
  pattern.forEach((deps, o) => { rowStart[o + 1] = rowStart[o] + deps.length; });
  const cols = new Int32Array(rowStart[pattern.length]);
  pattern.forEach((deps, o) => cols.set(deps, rowStart[o]));
  return { rowStart, cols };
}

/** Greedy column coloring of a pattern; undefined when it saves no sweep of `lanes` lanes. */
function colorPattern(pattern: readonly Int32Array[], nIn: number, lanes: number): Coloring | undefined {
  // The columns of one row all conflict: a row of r entries needs r colors. A dense
  // row rules out any gain before the coloring, which is O(n³) for a dense pattern.
  const widest = pattern.reduce((w, deps) => Math.max(w, deps.length), 0);
  if (Math.ceil(widest / lanes) >= Math.ceil(nIn / lanes)) return undefined;
  // Columns sharing an output conflict; greedy coloring in input order.
  const rowsOf: number[][] = Array.from({ length: nIn }, () => []);
  let work = 0;
  pattern.forEach((deps, o) => {
    for (const j of deps) rowsOf[j].push(o);
    work += deps.length * deps.length;
  });
  if (work > 16 * SET_BUDGET) return undefined;
  const { colors, count } = greedy(nIn, (j, conflict) => {
    for (const o of rowsOf[j]) for (const k of pattern[o]) conflict(k);
  });
  if (Math.ceil(count / lanes) >= Math.ceil(nIn / lanes)) return undefined;
  return coloringOf(pattern, colors, count);
}

/**
 * Greedy coloring in column order: column j takes the least color that no
 * column `conflicts(j, conflict)` names (by calling `conflict(k)`) has yet.
 */
function greedy(nIn: number, conflicts: (j: number, conflict: (k: number) => void) => void): { colors: Int32Array; count: number } {
  const colors = new Int32Array(nIn).fill(-1);
  const seen = new Int32Array(nIn + 1).fill(-1); // seen[color] = the column that last ruled it out
  let count = 0;
  for (let j = 0; j < nIn; j++) {
    conflicts(j, (k) => { if (colors[k] >= 0) seen[colors[k]] = j; });
    let c = 0;
    while (seen[c] === j) c++;
    colors[j] = c;
    count = Math.max(count, c + 1);
  }
  return { colors, count };
}

/**
 * A coloring for the diagonal of a square Jacobian (a Hessian: the gradient's),
 * where one saves sweeps of `lanes` lanes. Only the diagonal entry of each row
 * is wanted, so columns i and j conflict only where entry (i, j) or (j, i) is a
 * structural nonzero (not wherever they share a row): entry (i, color of i) of
 * the compressed rows is then J_ii. For k-means' Σ minₖ ‖x − cₖ‖², whose
 * gradient by c_kj reads c_kj and x_j alone, two colors do for any k, where a
 * full coloring needs k + 1.
 */
export function colorDiagonal(graph: Graph, outputs: readonly number[], nIn: number, lanes: number): Coloring | undefined {
  const pattern = dependencies(graph, outputs);
  if (!pattern) return undefined;
  const neighbors: number[][] = Array.from({ length: nIn }, () => []);
  pattern.forEach((deps, i) => {
    for (const j of deps) {
      if (j === i) continue;
      neighbors[i].push(j);
      neighbors[j].push(i);
    }
  });
  const { colors, count } = greedy(nIn, (i, conflict) => {
    for (const j of neighbors[i]) conflict(j);
  });
  if (Math.ceil(count / lanes) >= Math.ceil(nIn / lanes)) return undefined;
  return coloringOf(pattern, colors, count);
}

/** A coloring with its pattern, the tables end to end as the core reads them. */
function coloringOf(pattern: readonly Int32Array[], colors: Int32Array, count: number): Coloring {
  const m = pattern.length, nIn = colors.length, nnz = pattern.reduce((t, deps) => t + deps.length, 0);
  const tables = new Int32Array(m + 1 + nnz + nIn);
  const rowStart = tables.subarray(0, m + 1), cols = tables.subarray(m + 1, m + 1 + nnz);
  pattern.forEach((deps, o) => {
    cols.set(deps, rowStart[o]);
    rowStart[o + 1] = rowStart[o] + deps.length;
  });
  tables.set(colors, m + 1 + nnz);
  return { count, colors: tables.subarray(m + 1 + nnz), rowStart, cols, tables };
}

/**
 * Per output, the sorted inputs it depends on; undefined when the sets alive at
 * once would exceed SET_BUDGET entries, or building them would copy more than
 * UNION_BUDGET (a set is dropped after its last reader: a chain of n partial
 * sums, as a gradient accumulates a shared input's terms, holds one at a time,
 * though it copies n²/2 entries).
 */
function dependencies(g: Graph, outputs: readonly number[]): Int32Array[] | undefined {
  const top = largest(outputs);
  const reached = new Uint8Array(top + 1), lastUse = new Int32Array(top + 1).fill(-1);
  for (const o of outputs) {
    reached[o] = 1;
    lastUse[o] = top + 1; // (kept to the end)
  }
  for (let id = top; id >= 0; id--) {
    if (!reached[id]) continue;
    for (const operand of operandsOf(g, id)) {
      reached[operand] = 1;
      if (lastUse[operand] < id) lastUse[operand] = id;
    }
  }
  const deps: (Int32Array | undefined)[] = new Array(top + 1);
  const none: Int32Array = new Int32Array(0);
  let held = 0, copied = 0;
  for (let id = 0; id <= top; id++) {
    if (!reached[id]) continue;
    const op = g.op[id], operands = operandsOf(g, id);
    let set: Int32Array;
    // (no derivative flows out of a flat op, a comparison, nor into Keep's guard, its b:
    // the tangents a sweep gives them never reach the result, so they add no dependency)
    if (op === CONST || (op >= 0 && FLAT[op])) set = none;
    else if (op === Op.Input) set = Int32Array.of(g.a[id]);
    else if (op === Op.Keep) set = deps[g.a[id]]!;
    else set = operands.reduce<Int32Array>((acc, operand) => union(acc, deps[operand]!), none);
    deps[id] = set;
    held += set.length;
    copied += set.length;
    for (const operand of operands) {
      if (lastUse[operand] !== id || deps[operand] === undefined) continue;
      held -= deps[operand]!.length;
      deps[operand] = undefined;
    }
    if (held > SET_BUDGET || copied > UNION_BUDGET) return undefined;
  }
  return outputs.map((o) => deps[o]!);
}

/** The union of two ascending sets. */
function union(a: Int32Array, b: Int32Array): Int32Array {
  if (a.length === 0) return b;
  if (b.length === 0 || a === b) return a;
  const out = new Int32Array(a.length + b.length);
  let i = 0, j = 0, k = 0;
  while (i < a.length && j < b.length) {
    const x = a[i], y = b[j];
    out[k++] = x <= y ? x : y;
    if (x <= y) i++;
    if (y <= x) j++;
  }
  while (i < a.length) out[k++] = a[i++];
  while (j < b.length) out[k++] = b[j++];
  return k === out.length ? out : out.slice(0, k);
}
