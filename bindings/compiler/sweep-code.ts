// The compiled tier: a tape's sweeps as generated WebAssembly, one module per
// (function, sweep plan). The module's `run(descriptor, work)` does what the
// core's sweep does for the same Sweep descriptor (assembly/core/tape.ts), point
// by point: inputs in, the steps of the program (program.ts) as straight code,
// results out. The arithmetic is the core's, operation for operation, so the
// two tiers agree bit for bit:
//
// - +, −, ·, /, negation and √ are emitted inline, their partials from the one
//   primitive spec (ops/spec.ts, through code-algebra.ts); every other op calls
//   the core's own rule (a unary op with a rule at one point, assembly/core/
//   point-rules.ts, its own export per mode `<name>Point<mode>`, inlined:
//   splice.ts); other unary ops `scalarRule1`,
//   the rest `scalarRule`: the op table, assembly/core/rules.ts) and reads its
//   partials and scales from `ruleCell`;
// - a term is ∂·t, or (∂·t)/s with the core's guard for a subnormal ∂·t
//   (rows.ts scaledTerm); a missing scale is 1, which changes no bit;
// - forward lanes skip what the core's lane masks skip (structural zeros), and
//   an adjoint starts at 0 and is added to in the core's order.
//
// Placement: a small program keeps every value, partial, tangent and adjoint
// in locals (the engine keeps them in registers). A large one keeps them in
// `work` (memory, an id's cell at id·8), where repeated patterns run as loops
// (reroll.ts) and the code is cut into functions of bounded size, so no engine
// limit on locals or body size is met.
import { FunctionBody, I, T, encode, type ModuleFunction } from "./wasm-encoder.js";
import { carriable, CoreSplice, inlinedBytes as bytesInlined } from "./splice.js";
import type { CoreCode } from "./core-code.js";
import { CODE, isNum, type Code } from "./code-algebra.js";
import { PRIMITIVES, type Row } from "../ops/spec.js";
import { OP_NAMES } from "../ops/grammar.js";
import { FLAT, Kind, Op, SWEEP } from "../ops/abi.js";
import { resultId, stepCount, type Program } from "./program.js";
import { findLoops, firstStep, fuseLoops, iterationStride, type Piece } from "./reroll.js";
import { MIN_NORMAL } from "../base/doubles.js";

/**
 * What a module computes: values; a gradient or a cotangent's pullback (one lane); or K forward lanes.
 * `ranged`: for calls that want only some of the results (the descriptor's range, a Jacobian's block by one of
 * several inputs), which are then checked one by one; without it every result is written, with no branch.
 */
export type SweepPlan =
  | { kind: Kind.Value }
  | { kind: Kind.Reverse; seeded: boolean; ranged?: boolean }
  /** `own[i]`: the lane input i seeds (−1: none), or null for one dense lane from the descriptor's seeds. */
  | { kind: Kind.Forward; lanes: number; own: Int32Array | null; ranged?: boolean };

/** In `pointRule(op)`: the core's rule gives the partial alone, without the value (`<name>Point2`). */
export const PARTIAL_ONLY = 4;

/** Fewest outputs (or inputs) in arithmetic progression written by a loop rather than straight code, and their widest spacing. */
const MIN_LOOP = 8, MAX_INTERLEAVE = 8;
/** Programs up to this many steps (times lanes) keep everything in locals. */
const LOCAL_STEPS = 3_000;
/** Steps of straight code per function in memory placement (bounded body size and compile time). */
const CHUNK_STEPS = 4_000;
/** Most bytes of the core's code (splice.ts) a module inlines, over all its sites of point rules. */
const INLINE_BUDGET = 48_000;
/** Beyond this many steps the interpreter runs (documented in the README). */
export const MAX_COMPILED_STEPS = 2_000_000;

// Regions of `work` in memory placement, and bytes per index in each; and, read in
// place where a point's inputs are one segment, the point's entries (IN) and its dense seeds (SEED).
const VAL = 0, ADJ = 1, PART = 2, TAN = 3, IN = 4, SEED = 5;

/**
 * A WebAssembly module for `plan` over `p` (segments of the sizes given), or null if the program is too large.
 * `pointRule(op)`: the core's point rule for a unary op (1: its partial is never scaled, so none is read; 2: it
 * may be; with PARTIAL_ONLY, the rule gives the partial alone where the value is not needed).
 */
/** Each op's row of the primitive spec, by op code (a keyed lookup by name per step is slow on large tapes). */
const ROWS: readonly Row[] = OP_NAMES.map((name) => PRIMITIVES[name as keyof typeof PRIMITIVES] as Row);

export function sweepModule(p: Program, plan: SweepPlan, sizes: readonly number[], ruleCell: number,
                            pointRule: (op: number) => number, core: CoreCode | null): Uint8Array | null {
  const lanes = plan.kind === Kind.Forward ? plan.lanes : 1;
  if (stepCount(p) > MAX_COMPILED_STEPS) return null;
  const inLocals = stepCount(p) * lanes <= LOCAL_STEPS;
  return new SweepWriter(p, plan, sizes, ruleCell, inLocals, pointRule, core).module();
}

/**
 * The share of a program's steps the compiled code calls the core's op table for:
 * all but +, −, ·, /, negation, √ and the unary ops `pointRule` says the core has a
 * rule at one point for (scalarRule1).
 */
export function coreCallShare(p: Program, pointRule: (op: number) => boolean): number {
  let calls = 0;
  for (let k = 0; k < p.op.length; k++) {
    const row = ROWS[p.op[k]];
    if (row.kind !== "scalar" || (!row.wasm && !(p.b[k] < 0 && pointRule(p.op[k])))) calls++;
  }
  return p.op.length ? calls / p.op.length : 0;
}

/**
 * Whether some run (an elementwise op over a vector, at least `minRun` steps)
 * is an op the compiled code calls the core for: the interpreter applies such a
 * rule to the whole run in one call, which beats a call per element.
 */
export function callsCoreInRuns(p: Program, minRun = 8): boolean {
  for (let k = 0; k < p.op.length;) {
    let end = k + 1;
    while (end < p.op.length && p.group[end] === p.group[k]) end++;
    const row = ROWS[p.op[k]];
    if (end - k >= minRun && (row.kind !== "scalar" || !row.wasm)) return true;
    k = end;
  }
  return false;
}

/**
 * `pieces` with each straight stretch longer than CHUNK_STEPS cut into stretches of at most that
 * many steps (at the start of a run, never inside one), so that memory placement's functions
 * (SweepWriter.chunked, which keeps a piece whole) stay within the engine's limit on a function's
 * size: a sweep of 25,000 steps that no loop covered was one function of 7 MB (V8 refuses 7.3 MB).
 */
function boundedStraight(p: Program, pieces: Piece[]): Piece[] {
  const bounded: Piece[] = [];
  for (const piece of pieces) {
    const end = piece.from + piece.period;
    let from = piece.from;
    while (piece.count === 1 && end - from > CHUNK_STEPS) {
      let cut = from + CHUNK_STEPS;
      while (cut > from && p.group[cut] !== cut) cut--; // (back to the start of the run it falls in)
      if (cut === from) break; // (a run longer than a function's steps stays whole)
      bounded.push({ from, period: cut - from, count: 1 });
      from = cut;
    }
    bounded.push(from === piece.from ? piece : { from, period: end - from, count: 1 });
  }
  return bounded;
}

/** Bytes of `work` the module for `plan` needs (0 when it keeps everything in locals). */
export function workBytes(p: Program, plan: SweepPlan): number {
  const lanes = plan.kind === Kind.Forward ? plan.lanes : 1;
  if (stepCount(p) * lanes <= LOCAL_STEPS) return 0;
  const ids = p.nConst + p.nIn + stepCount(p);
  return 8 * ids * (2 + lanes) + 32 * stepCount(p);
}

type Partial = { k: "one" } | { k: "minus" } | { k: "code"; code: Code } | { k: "cell"; at: number };

/**
 * Where a value lives: a local, or memory at a local's address plus an offset.
 * `once`: a cell written at most once per sweep (a value or a tangent), which a
 * loop iteration may keep in a local after its first load or store (iterationCells).
 */
type Place = { local: number } | { base: number; offset: number; once?: boolean };

/**
 * Locals a function keeps cells in at most (iterationCells). Loops reuse them, one
 * after another, so a function of many loops stays far below V8's 50,000 locals.
 */
const ITERATION_CELLS = 4096;
/** Inside a loop of `count` iterations: its stride locals by "region:cells", and each one made, as [local, region, cells]. */
type StrideLocals = { count: number; cells: Map<string, number>; made: [number, number, number][] };

/**
 * Bytes a stride local for ids that decrease by −cells an iteration (cells < 0) would reach
 * below its region's base over `count` iterations, in whichever direction the loop runs
 * (a forward loop moves it down from the base, a backward one up to it): it starts that much higher.
 */
const lift = (cells: number, count: number) => (cells < 0 ? -8 * cells * (count - 1) : 0);

/** A memory place as one number (a local's index times 2³², plus a byte offset below 2³²), for iterationCells. */
const cellKey = (place: { base: number; offset: number }) => place.base * 2 ** 32 + place.offset;

const RULE_TYPE = 1, RUN_TYPE = 0, CHUNK_TYPE = 2, RULE1_TYPE = 3, POINT_TYPE = 4;
// The imported functions' indices: these two, then the point rules the program calls (pointImports),
// then the functions defined in the module.
const SCALAR_RULE = 0, SCALAR_RULE1 = 1, RULE_IMPORTS = 2;

/** The core's export of unary `op`'s point rule alone in one mode (scalarRule1 without its dispatch: assembly/core/rules.ts). */
export const pointExport = (op: number, mode: PointMode): string => `${OP_NAMES[op]}Point${mode}`;

/** What a point rule's export computes: the value alone (0), the value and its partial (1), the partial alone (2). */
export type PointMode = 0 | 1 | 2;

/** The modes `pointRule(op)` says op's point rule has. */
export const pointModes = (rule: number): PointMode[] => (rule & PARTIAL_ONLY ? [0, 1, 2] : [0, 1]);

class SweepWriter {
  private readonly nIds: number;
  private readonly steps: number;
  private readonly K: number;
  private readonly masks: Uint32Array;
  /** Per step: whether its first-operand (a) or second-operand (b) contribution starts the adjoint, whether w̄ is nonzero. */
  private readonly firstA: Uint8Array;
  private readonly firstB: Uint8Array;
  private readonly liveW: Uint8Array;
  /** Adjoints that have a contribution at all (after the backward pass). */
  private readonly seen: Uint8Array;
  private zeroAll = false;
  private readonly pieces: Piece[];
  /** The pieces as the code runs them: a group of loops of one count is one joined loop (reroll.ts fuseLoops). */
  private readonly loops: Piece[][];
  private readonly functions: ModuleFunction[] = [];
  // The function being written, its region bases, and, inside a loop, the stride locals.
  private f!: FunctionBody;
  private bases: number[] = [];
  private strideLocals: StrideLocals = { count: 0, cells: new Map(), made: [] };
  private inLoop = false;
  /**
   * Inside a loop: the first-iteration ids whose every reader is in their own
   * iteration (loopLocalIds), and the locals holding their cells there.
   */
  private iterationIds = new Set<number>();
  private iterationLocals = new Map<string, number>();
  /**
   * Inside a loop over steps: the locals holding cells of values and tangents
   * this iteration has loaded or stored at the loop body's own depth, by
   * cellKey (null elsewhere). Each such cell is written once per sweep,
   * before anything reads it, so the local and memory agree; reading the local
   * saves a load the engine must otherwise repeat after every store (it cannot
   * tell that the store went elsewhere).
   */
  private iterationCells: Map<number, number> | null = null;
  private iterationDepth = 0;
  /** Cell locals that loops around the one being written hold (none outside nested loops). */
  private cellsBelow = 0;
  /** Per function body, the f64 locals cells are kept in, reused by each loop from the first. */
  private readonly cellLocals = new Map<FunctionBody, number[]>();
  /** Per id: whether a step outside its own loop iteration reads it, or it is an output (then it lives in memory). */
  private readonly escapes: Uint8Array;
  /** A reverse sweep in memory: per id, whether its forward pass must compute it (undefined: everything). */
  private valuesNeeded?: Uint8Array;
  /** …and the loop-local values its backward loops must recompute (undefined: all of them). */
  private recomputed?: Uint8Array;
  /** A reverse sweep's adjoints known while the code is written (planKnownAdjoints); null: nothing folded. */
  private known: KnownAdjoints | null = null;
  private scratchX = -1;
  private scratchAlt = -1;
  // Locals placement: a local per value, partial, adjoint, tangent (−1: none yet).
  private valLocal!: Int32Array;
  private adjLocal!: Int32Array;
  private partLocal!: Int32Array;
  private tanLocal!: Int32Array;
  /** In memory placement: whether the point's inputs (one segment), and its one dense lane of seeds, are read where they are, not copied into `work`. */
  private readonly inputsInPlace: boolean;
  private readonly seedsInPlace: boolean;
  /** `partial`'s answers, by 2·op + operand. */
  private readonly partials: { d: Partial; s: Partial | null }[] = [];
  /**
   * A reverse sweep in locals: per id, whether anything reads its value (valuesRead). A step whose rule
   * gives its partial alone (PARTIAL_ONLY) and whose value nothing reads asks for the partial only.
   */
  private readonly valueRead?: Uint8Array;
  /** The unary ops the program computes by the core's point rule, by op: the import index of each (pointExport). */
  /** By op·4 + mode: the import of that op's point rule in that mode (where the module does not carry it). */
  private readonly pointImports = new Map<number, number>();
  /** By op·4 + mode: the core function index of a point rule the module carries (splice.ts). */
  private readonly carried = new Map<number, number>();
  private readonly splice: CoreSplice | null;
  /**
   * Outputs a loop writes where it computes them (findDirectOutputs), by the id its body
   * names: the first iteration's output index and how far it moves per iteration.
   */
  private readonly direct = new Map<number, { o0: number; by: number }>();
  /** Per output index, and per id: written by its loop (the output stage skips it; it need not live in memory for it). */
  private directOutput: Uint8Array;
  private directId: Uint8Array;
  /** With direct outputs, the function being written's locals (or parameters) holding values, tangents and tOut (writeRun). */
  private outputLocals: { values: number; tangents: number; tOut: number } | null = null;
  /** In a loop over steps: the output addresses its direct outputs are written at, set before it and moved on in it. */
  private loopPointers: { tan: number; val: number; init: () => void; step: () => void }[] | null = null;
  private pointerOf = new Map<number, { tan: number; val: number }>();

  constructor(private readonly p: Program, private readonly plan: SweepPlan, private readonly sizes: readonly number[],
              private readonly ruleCell: number, private readonly inLocals: boolean,
              private readonly pointRule: (op: number) => number, core: CoreCode | null) {
    this.steps = stepCount(p);
    this.nIds = p.nConst + p.nIn + this.steps;
    this.K = plan.kind === Kind.Forward ? plan.lanes : 1;
    this.masks = this.laneMasks();
    const signature = plan.kind === Kind.Forward ? (id: number) => this.masks[id] : undefined;
    this.pieces = inLocals ? [{ from: 0, period: this.steps, count: 1 }]
      : boundedStraight(p, findLoops(p, (id) => (id < 0 ? 0 : (signature?.(id) ?? 0))).filter((piece) => piece.count > 0));
    // (not where a loop's operand runs from the inputs into the constants or the steps: those are in `work`)
    this.inputsInPlace = !inLocals && sizes.length === 1 && !this.pieces.some((piece) => this.loopStraddlesInputs(piece));
    this.seedsInPlace = this.inputsInPlace && plan.kind === Kind.Forward && plan.own === null && this.K === 1;
    this.firstA = new Uint8Array(this.steps);
    this.firstB = new Uint8Array(this.steps);
    this.liveW = new Uint8Array(this.steps);
    this.seen = new Uint8Array(this.nIds);
    this.loops = plan.kind === Kind.Reverse ? this.pieces.map((piece) => [piece]) : fuseLoops(p, this.pieces);
    this.directOutput = new Uint8Array(p.outputs.length);
    this.directId = new Uint8Array(this.nIds);
    if (plan.kind === Kind.Forward && this.K === 1 && !plan.ranged && !inLocals) this.findDirectOutputs();
    this.escapes = this.escaping();
    if (plan.kind === Kind.Reverse && !inLocals) this.valuesNeeded = this.neededInMemory();
    if (plan.kind === Kind.Reverse) this.planAdjoints();
    if (plan.kind === Kind.Reverse && !this.zeroAll) this.known = this.planKnownAdjoints(plan.seeded);
    if (plan.kind === Kind.Reverse && inLocals) this.valueRead = this.valuesRead();
    const carried: number[] = [];
    let inlinedBytes = 0;
    for (let k = 0; k < p.op.length; k++) {
      const op = p.op[k];
      const row = ROWS[op];
      if (p.b[k] >= 0 || row.kind !== "scalar" || row.wasm || !pointRule(op)) continue;
      for (const mode of this.pointImports.has(op * 4 + 1) || this.carried.has(op * 4 + 1) ? [] : pointModes(pointRule(op))) {
        const index = core?.exports.get(pointExport(op, mode));
        if (index !== undefined && carriable(core!, index)) {
          this.carried.set(op * 4 + mode, index);
          carried.push(index);
        } else this.pointImports.set(op * 4 + mode, RULE_IMPORTS + this.pointImports.size);
      }
      const index = this.carried.get(op * 4 + 1); // (the mode of most sites, and the largest)
      if (index !== undefined) inlinedBytes += bytesInlined(core!, index);
    }
    // (rules inlined at each site while the code they add stays small; beyond that, called in the module)
    this.splice = core && carried.length
      ? new CoreSplice(core, carried, RULE_IMPORTS + this.pointImports.size, inLocals && inlinedBytes <= INLINE_BUDGET)
      : null;
  }

  /** The module index of its first own function (after the imports and the core's functions it carries). */
  private get firstOwnFunction(): number {
    return RULE_IMPORTS + this.pointImports.size + (this.splice?.functions.length ?? 0);
  }

  module(): Uint8Array {
    const f64 = T.f64, i32 = T.i32;
    // (a chunk function takes the bases of the regions: 4 in `work`, and the point's segments read in place)
    const chunkParams = 4 + (this.inputsInPlace ? 1 : 0) + (this.seedsInPlace ? 1 : 0) + (this.direct.size ? 3 : 0);
    const types: [number[], number[]][] = [[[i32, i32], []], [[i32, f64, f64, i32], [f64]], [Array<number>(chunkParams).fill(i32), []],
      [[i32, f64, i32], [f64]], [[f64], [f64]]];
    const run = new FunctionBody(2);
    this.functions.push({ type: RUN_TYPE, body: run, export: "run" });
    this.writeRun(run);
    const points = [...this.pointImports.keys()].map((key) => ({ name: pointExport(key >> 2, (key & 3) as PointMode), type: POINT_TYPE }));
    const carried = (this.splice?.functions ?? []).map((fn): ModuleFunction => {
      const key = `${fn.params}:${fn.results}`;
      let type = types.findIndex(([params, results]) => `${params}:${results}` === key);
      if (type < 0) type = types.push([fn.params, fn.results]) - 1;
      const body = new FunctionBody(fn.params.length);
      for (const local of fn.locals) body.local(local);
      return { type, body: body.paste(fn.code.subarray(0, fn.code.length - 1)) }; // (encode adds the final `end`)
    });
    return encode(types, [{ name: "scalarRule", type: RULE_TYPE }, { name: "scalarRule1", type: RULE1_TYPE }, ...points],
                  [...carried, ...this.functions], this.splice?.globals);
  }

  // ── Lane masks and the adjoints' first contributions ───────────────────────

  /** The core's lane masks (sweeps.ts): constants none, inputs their own lane, a step the union of its operands'. */
  private laneMasks(): Uint32Array {
    const p = this.p, plan = this.plan, masks = new Uint32Array(this.nIds);
    if (plan.kind !== Kind.Forward) return masks;
    for (let i = 0; i < p.nIn; i++) {
      const own = plan.own ? plan.own[i] : 0;
      masks[p.nConst + i] = own >= 0 && own < plan.lanes ? 1 << own : 0;
    }
    for (let k = 0; k < this.steps; k++) {
      if (!FLAT[p.op[k]]) masks[resultId(p, k)] = masks[p.a[k]] | (this.pullsB(k) ? masks[p.b[k]] : 0); // a comparison's: none
    }
    return masks;
  }

  /** How many of ids first, first + stride, … (count of them) lie on the side of the inputs' bounds the first does. */
  private sameSideOfInputs(first: number, stride: number, count: number): number {
    const inputsFrom = this.p.nConst, inputsTo = this.p.nConst + this.p.nIn;
    const inside = (id: number) => id >= inputsFrom && id < inputsTo, side = inside(first);
    let c = 1;
    while (c < count && inside(first + c * stride) === side) c++;
    return c;
  }

  /** Whether a loop piece's steps read an operand whose ids cross the inputs' bounds (see sameSideOfInputs). */
  private loopStraddlesInputs(piece: Piece): boolean {
    const p = this.p, C = piece.count;
    const crosses = (x: number, next: number) => this.sameSideOfInputs(x, next - x, C) < C;
    if (C < 2) return false;
    for (let k = piece.from; k < piece.from + piece.period; k++) {
      if (crosses(p.a[k], p.a[k + piece.period]) || (p.b[k] >= 0 && crosses(p.b[k], p.b[k + piece.period]))) return true;
    }
    return false;
  }

  /** Whether a step's second operand takes a derivative (Keep's guard does not). */
  private pullsB(k: number): boolean {
    return this.p.b[k] >= 0 && this.p.op[k] !== Op.Keep;
  }

  /**
   * Which contribution to each adjoint comes first (it is 0 + term, with no
   * read), whether w̄ has any contribution by the time a step pulls, in the
   * order the backward pass runs. A loop needs these the same in every
   * iteration; if they are not, every adjoint is zeroed first and added to, as
   * the core does.
   */
  private planAdjoints(): void {
    const p = this.p, seen = this.seen;
    const contribute = (k: number, which: 0 | 1) => {
      const id = which ? p.b[k] : p.a[k];
      if (id < p.nConst || p.noAdjoint[k] || (which === 1 && !this.pullsB(k))) return;
      (which ? this.firstB : this.firstA)[k] = seen[id] ? 0 : 1;
      seen[id] = 1;
    };
    for (const o of p.outputs) if (o >= p.nConst) seen[o] = 1;
    this.backwardOrder((k) => { this.liveW[k] = seen[resultId(p, k)]; }, contribute);
    for (const piece of this.pieces) {
      if (piece.count === 1) continue;
      for (let j = 0; j < piece.period; j++) {
        const k0 = piece.from + j;
        for (let c = 1; c < piece.count; c++) {
          const k = k0 + c * piece.period;
          if (this.firstA[k] !== this.firstA[k0] || this.firstB[k] !== this.firstB[k0] || this.liveW[k] !== this.liveW[k0]) this.zeroAll = true;
        }
      }
    }
    if (this.zeroAll) {
      this.firstA.fill(0);
      this.firstB.fill(0);
      this.liveW.fill(1);
    }
  }

  /** Visits the backward pass's order: per step `pull(k)` (its w̄ is read), then its contributions. */
  private backwardOrder(pull: (k: number) => void, contribute: (k: number, which: 0 | 1) => void): void {
    for (let i = this.pieces.length - 1; i >= 0; i--) {
      const piece = this.pieces[i];
      if (piece.count > 1) {
        for (let k = piece.from + piece.period * piece.count - 1; k >= piece.from; k--) {
          pull(k);
          contribute(k, 0);
          contribute(k, 1);
        }
        continue;
      }
      this.groupsBackward(piece.from, piece.from + piece.period, (first, end) => {
        for (let k = first; k < end; k++) pull(k);
        for (let k = first; k < end; k++) contribute(k, 0);
        for (let k = first; k < end; k++) contribute(k, 1);
      });
    }
  }

  /** The groups (run instructions) of steps [from, to), last first, as [first, end) each. */
  private groupsBackward(from: number, to: number, visit: (first: number, end: number) => void): void {
    for (let end = to; end > from;) {
      const first = Math.max(from, this.p.group[end - 1]);
      visit(first, end);
      end = first;
    }
  }

  // ── The run function: descriptor, points, pieces ──────────────────────────

  private writeRun(f: FunctionBody): void {
    const p = this.p, plan = this.plan, DESC = 0, WORK = 1;
    this.f = f;
    const field = (name: keyof typeof SWEEP) => f.get(DESC).loadI32(4 * SWEEP[name]);
    const local = (emit: () => void) => { const l = f.i32(); emit(); f.set(l); return l; };
    const segmentsOf = (table: number, count: number) => Array.from({ length: count }, (_, s) => ({
      at: local(() => f.get(table).loadI32(12 * s + 4)),
      step: local(() => f.get(table).loadI32(12 * s + 8).i32Const(3).op(I.i32_shl)),
    }));
    const count = local(() => field("count"));
    // Per segment: the address of this point's entries, and bytes to the next point's.
    const segments = segmentsOf(local(() => field("inputs")), this.sizes.length);
    const seeded = plan.kind === Kind.Forward ? plan.own === null : plan.kind === Kind.Reverse && plan.seeded;
    const seeds = seeded ? segmentsOf(local(() => field("seeds")), plan.kind === Kind.Reverse ? 1 : this.sizes.length) : [];
    const values = local(() => field("values"));
    const nOut = p.outputs.length;
    // Tangents (forward) or input adjoints (reverse) of index o, lane l at this point:
    // tangents + (o·tOut + l·tLane)·8, where `tangents` already holds (point·tPoint + tOffset − rangeLo·tOut)·8.
    const rangeLo = local(() => field("rangeLo")), rangeHi = local(() => field("rangeHi"));
    const tOut = local(() => field("tOut").i32Const(3).op(I.i32_shl)), tLane = local(() => field("tLane").i32Const(3).op(I.i32_shl));
    const tPoint = local(() => field("tPoint").i32Const(3).op(I.i32_shl));
    const tangents = local(() => field("tangents").get(DESC).loadI32(4 * SWEEP.tOffset).i32Const(3).op(I.i32_shl).op(I.i32_add)
      .get(rangeLo).get(tOut).op(I.i32_mul).op(I.i32_sub));
    if (this.direct.size) this.outputLocals = { values, tangents, tOut };
    if (this.inLocals) {
      this.valLocal = new Int32Array(this.nIds).fill(-1);
      this.adjLocal = new Int32Array(this.nIds).fill(-1);
      this.partLocal = new Int32Array(4 * this.steps).fill(-1);
      this.tanLocal = new Int32Array(this.nIds * this.K).fill(-1);
    } else {
      const bytes = 8 * this.nIds;
      this.bases = [WORK, local(() => f.get(WORK).i32Const(bytes).op(I.i32_add)),
        local(() => f.get(WORK).i32Const((2 + this.K) * bytes).op(I.i32_add)),
        local(() => f.get(WORK).i32Const(2 * bytes).op(I.i32_add))];
      // (regions in `work`: values, adjoints, tangents, partials; bases indexed VAL, ADJ, PART, TAN)
      if (this.inputsInPlace) this.bases[IN] = segments[0].at;
      if (this.seedsInPlace) this.bases[SEED] = seeds[0].at;
      for (let c = 0; c < p.nConst; c++) this.put(this.place(VAL, c), () => f.f64Const(p.consts[c]));
    }
    this.newScratch();

    const point = f.i32();
    f.i32Const(0).set(point);
    f.block().loop();
    f.get(point).get(count).op(I.i32_ge_s).brIf(1);

    // This point's inputs, and their tangents (in memory, a segment's values and
    // one dense lane's seeds are copied whole, unless read in place).
    let i = 0;
    this.sizes.forEach((size, s) => {
      const first = p.nConst + i;
      const copied = !this.inLocals, seedsCopied = !this.inLocals && plan.kind === Kind.Forward && seeded && this.K === 1;
      if (copied && !this.inputsInPlace) f.get(this.bases[VAL]).i32Const(8 * first).op(I.i32_add).get(segments[s].at).i32Const(8 * size).copy();
      if (seedsCopied && !this.seedsInPlace) f.get(this.bases[TAN]).i32Const(8 * first).op(I.i32_add).get(seeds[s].at).i32Const(8 * size).copy();
      for (let j = 0; j < size; j++, i++) {
        const id = p.nConst + i;
        if (!copied) this.put(this.place(VAL, id), () => f.get(segments[s].at).load(8 * j));
        if (plan.kind !== Kind.Forward || !this.masks[id] || seedsCopied) continue;
        const lane = 31 - Math.clz32(this.masks[id]);
        this.put(this.place(TAN, id, lane), () => (seeded ? f.get(seeds[s].at).load(8 * j) : f.f64Const(1)));
      }
    });

    this.chunked((from, to) => this.forwardPieces(from, to), false);

    if (plan.kind !== Kind.Reverse) { // values[point·nOut + o], when asked for
      f.get(values).if();
      this.eachOutput(p.outputs, () => 0, (o, id, stride) => {
        f.get(values).get(o).i32Const(3).op(I.i32_shl).op(I.i32_add);
        this.readValue(id, stride);
        f.store();
      }, this.directOutput);
      f.get(values).i32Const(8 * nOut).op(I.i32_add).set(values);
      f.end();
    }
    if (plan.kind === Kind.Forward) {
      this.eachOutput(p.outputs, (id) => this.masks[id], (o, id, stride) => this.inRange(o, rangeLo, rangeHi, () => {
        for (let l = 0; l < this.K; l++) {
          f.get(tangents).get(tOut).get(o).op(I.i32_mul).op(I.i32_add).get(tLane).i32Const(l).op(I.i32_mul).op(I.i32_add);
          if (this.masks[id] & (1 << l)) this.read(this.place(TAN, id, l, stride));
          else f.f64Const(0);
          f.store();
        }
      }), this.directOutput);
    }
    if (plan.kind === Kind.Reverse) {
      if (!this.inLocals && this.zeroAll) f.get(this.bases[ADJ]).i32Const(0).i32Const(8 * this.nIds).fill();
      // Each output's adjoint starts at 0 + its cotangent (1 for a gradient).
      const started = new Uint8Array(this.nIds);
      p.outputs.forEach((id, o) => {
        if (id < p.nConst) return;
        const first = !started[id] && !this.zeroAll;
        started[id] = 1;
        this.addToAdjoint(2 * this.steps + o, id, 0, first, () => (seeded ? f.get(seeds[0].at).load(8 * o) : f.f64Const(1)));
      });
      this.chunked((from, to) => this.backwardPieces(from, to), true);
      const inputs = Int32Array.from({ length: p.nIn }, (_, input) => p.nConst + input);
      const kinds = new Map<string, number>(); // (inputs whose adjoints are one known number are one kind: a loop writes it)
      const kind = (id: number) => {
        if (!this.seen[id] && !this.zeroAll) return 0;
        if (!this.known?.finalKnown[id]) return 1;
        const key = String(Object.is(this.known.final[id], -0) ? "-0" : this.known.final[id]);
        return kinds.get(key) ?? (kinds.set(key, kinds.size + 2), kinds.size + 1);
      };
      this.eachOutput(inputs, kind, (input, id, stride) => this.inRange(input, rangeLo, rangeHi, () => {
        f.get(tangents).get(tOut).get(input).op(I.i32_mul).op(I.i32_add);
        if (this.known?.finalKnown[id]) f.f64Const(this.known.final[id]);
        else if (this.seen[id] || this.zeroAll) this.read(this.place(ADJ, id, 0, stride));
        else f.f64Const(0);
        f.store();
      }));
    }

    for (const s of [...segments, ...seeds]) f.get(s.at).get(s.step).op(I.i32_add).set(s.at);
    f.get(tangents).get(tPoint).op(I.i32_add).set(tangents);
    f.get(point).i32Const(1).op(I.i32_add).set(point);
    f.br(0);
    f.end().end();
  }

  /**
   * `body` where lo ≤ index < hi (index: an i32 local); all of it in a module for
   * calls that want every result (a branch per result cost a one-point gradient
   * of 100 inputs a third of its time).
   */
  private inRange(index: number, lo: number, hi: number, body: () => void): void {
    const f = this.f;
    if (this.plan.kind === Kind.Value || !this.plan.ranged) {
      body();
      return;
    }
    f.get(lo).get(index).op(I.i32_le_s).get(index).get(hi).op(I.i32_lt_s).op(I.i32_and).if();
    body();
    f.end();
  }

  /**
   * `body(o, id, stride)` for each index o of `ids` (o an i32 local holding it).
   * In memory placement, at least MIN_LOOP indices o₀, o₀ + t, o₀ + 2t, … (t ≤
   * MAX_INTERLEAVE: outputs of interleaved vectors, such as a gradient's even
   * and odd entries) whose ids form an arithmetic progression of one `kind` are
   * a loop (`id`, `stride`: the first id and its step, as in a loop body);
   * everything else is straight code. Indices `skip` marks are left out.
   */
  private eachOutput(ids: ArrayLike<number>, kind: (id: number) => number, body: (o: number, id: number, stride: number) => void,
                     skip?: Uint8Array): void {
    const f = this.f, o = f.i32(), n = ids.length, done = skip ? skip.slice() : new Uint8Array(n);
    const inMemory = (id: number) => id >= this.p.nConst;
    for (let o0 = 0; o0 < n; o0++) {
      if (done[o0]) continue;
      let best = { by: 1, step: 0, count: 1 };
      for (let by = 1; by <= MAX_INTERLEAVE && !this.inLocals && o0 + by < n; by++) {
        const step = ids[o0 + by] - ids[o0];
        let count = 1;
        for (let q = o0 + by; q < n && !done[q] && ids[q] === ids[o0] + count * step && kind(ids[q]) === kind(ids[o0]); q += by) count++;
        if (count > best.count) best = { by, step, count };
      }
      const { by, step } = best;
      // (ids read in place come from the inputs' own base: a loop stops where its ids leave or enter the inputs)
      const count = this.inputsInPlace ? this.sameSideOfInputs(ids[o0], step, best.count) : best.count;
      f.i32Const(o0).set(o);
      if (count < MIN_LOOP || step === 0 || !inMemory(ids[o0]) || !inMemory(ids[o0] + (count - 1) * step)) {
        body(o, ids[o0], 0);
        done[o0] = 1;
        continue;
      }
      this.loop([{ from: -1, period: step, count }], false, () => body(o, ids[o0], step), [[o, by]]);
      for (let c = 0; c < count; c++) done[o0 + c * by] = 1;
    }
  }

  private newScratch(): void {
    this.scratchX = this.f.f64();
    this.scratchAlt = this.f.f64();
  }

  /**
   * Emits pieces [0, n) through `emit(from, to)`: in place with locals, else in
   * functions of at most CHUNK_STEPS steps each, called here (last first when
   * `backward`), all state in memory.
   */
  private chunked(emit: (from: number, to: number) => void, backward: boolean): void {
    const n = this.loops.length, steps = (group: readonly Piece[]) => group.reduce((sum, piece) => sum + piece.period, 0);
    if (this.inLocals) {
      emit(0, n);
      return;
    }
    const chunks: [number, number][] = [];
    for (let from = 0; from < n;) {
      let to = from, size = 0;
      while (to < n && (to === from || size + steps(this.loops[to]) <= CHUNK_STEPS)) size += steps(this.loops[to++]);
      chunks.push([from, to]);
      from = to;
    }
    if (backward) chunks.reverse();
    const caller = this.f, callerBases = this.bases, callerX = this.scratchX, callerAlt = this.scratchAlt;
    const callerOutputs = this.outputLocals, nBases = callerBases.length;
    for (const [from, to] of chunks) {
      // (its parameters: the region bases, then with direct outputs the values, tangents and tOut locals)
      const body = new FunctionBody(nBases + (callerOutputs ? 3 : 0));
      this.functions.push({ type: CHUNK_TYPE, body });
      const index = this.firstOwnFunction + this.functions.length - 1;
      for (const b of callerBases) caller.get(b);
      if (callerOutputs) caller.get(callerOutputs.values).get(callerOutputs.tangents).get(callerOutputs.tOut);
      caller.call(index);
      this.f = body;
      this.bases = callerBases.map((_, i) => i);
      this.outputLocals = callerOutputs && { values: nBases, tangents: nBases + 1, tOut: nBases + 2 };
      this.newScratch();
      emit(from, to);
    }
    this.f = caller;
    this.bases = callerBases;
    this.outputLocals = callerOutputs;
    this.scratchX = callerX;
    this.scratchAlt = callerAlt;
  }

  // ── Places ──────────────────────────────────────────────────────────────

  /**
   * Where value, adjoint or tangent (lane) of `id`, or partial `lane` of step
   * `id`, lives; `stride`: how far the id moves per iteration of the loop being
   * written (0 outside loops).
   */
  private place(region: number, id: number, lane = 0, stride = 0): Place {
    if (this.inLocals) {
      const table = region === VAL ? this.valLocal : region === ADJ ? this.adjLocal : region === PART ? this.partLocal : this.tanLocal;
      const index = region === PART ? 4 * id + lane : region === TAN ? id * this.K + lane : id;
      if (table[index] < 0) table[index] = this.f.f64();
      return { local: table[index] };
    }
    // (a partial's `id` is its step's index: it stays in a local where the step's result does)
    if (stride !== 0 && this.iterationIds.has(region === PART ? resultId(this.p, id) : id)) {
      const key = `${region}:${id}:${lane}`;
      let local = this.iterationLocals.get(key);
      if (local === undefined) this.iterationLocals.set(key, (local = this.f.f64()));
      return { local };
    }
    const once = region === VAL || region === TAN;
    const input = id - this.p.nConst;
    if (input >= 0 && input < this.p.nIn && ((region === VAL && this.inputsInPlace) || (region === TAN && this.seedsInPlace))) {
      return { ...this.strided(region === VAL ? IN : SEED, stride, 8 * input), once };
    }
    const unit = region === PART ? 4 : region === TAN ? this.K : 1;
    return { ...this.strided(region, stride * unit, 8 * (id * unit + lane)), once };
  }

  /**
   * The cell `offset` bytes into a region, as seen from the loop being written, which
   * moves it on by `stride` cells per iteration: a stride local and an offset from it.
   * Where the ids decrease (stride < 0) the local is lifted by how far below the base
   * it would otherwise reach (`lift`), and the offset is that much less, so that the
   * local never holds an address below the region's base: WebAssembly adds an offset
   * to the address as an unsigned number, so a base that went "negative" (a region
   * low in memory, such as a WasmBuffer point read in place) would trap, not wrap back.
   */
  private strided(region: number, stride: number, offset: number): { base: number; offset: number } {
    if (stride === 0) return { base: this.bases[region], offset };
    if (!this.inLoop) throw new Error(`internal: a stride (${stride}) outside a loop`);
    const { count, cells, made } = this.strideLocals, key = `${region}:${stride}`;
    let local = cells.get(key);
    if (local === undefined) {
      cells.set(key, (local = this.f.i32()));
      made.push([local, region, stride]);
    }
    const lifted = offset - lift(stride, count);
    if (lifted < 0) throw new Error(`internal: cell ${offset / 8} leaves its region in a loop of stride ${stride}`);
    return { base: local, offset: lifted };
  }

  private read(place: Place): void {
    if ("local" in place) {
      this.f.get(place.local);
      return;
    }
    const kept = this.keptCell(place);
    if (kept !== undefined) {
      this.f.get(kept);
      return;
    }
    this.f.get(place.base).load(place.offset);
    this.keepCell(place);
  }

  private put(place: Place, value: () => void): void {
    if ("local" in place) {
      value();
      this.f.set(place.local);
    } else {
      this.f.get(place.base);
      value();
      this.keepCell(place);
      this.f.store(place.offset);
    }
  }

  /** The local this loop iteration holds a cell in, if it does (iterationCells). */
  private keptCell(place: { base: number; offset: number; once?: boolean }): number | undefined {
    return place.once ? this.iterationCells?.get(cellKey(place)) : undefined;
  }

  /**
   * Keeps the number on the stack, the cell's content, in a local for the rest of the
   * iteration (local.tee), where the code runs unconditionally in the loop body.
   */
  private keepCell(place: { base: number; offset: number; once?: boolean }): void {
    const cells = this.iterationCells;
    if (!place.once || !cells || this.f.depth !== this.iterationDepth) return;
    const key = cellKey(place);
    let local = cells.get(key);
    if (local === undefined) {
      // (the next of the function's cell locals: a loop's cells start after those of a loop around it)
      const pool = this.cellLocals.get(this.f) ?? this.cellLocals.set(this.f, []).get(this.f)!, next = this.cellsBelow + cells.size;
      if (next >= ITERATION_CELLS) return;
      if (next === pool.length) pool.push(this.f.f64());
      cells.set(key, (local = pool[next]));
    }
    this.f.tee(local);
  }

  /** A value: a constant as an immediate (outside loops that step through constants), else its place. */
  private readValue(id: number, stride: number): void {
    if (id < this.p.nConst && stride === 0) this.f.f64Const(this.p.consts[id]);
    else this.read(this.place(VAL, id, 0, stride));
  }

  // ── Steps ───────────────────────────────────────────────────────────────

  /** Step k as a loop body sees it (ids of its first iteration, and their strides), or as straight code. */
  private ref(k: number, stride: number): StepRef {
    const p = this.p, k1 = k + stride;
    return {
      k, op: p.op[k], a: p.a[k], b: p.b[k], dst: resultId(p, k),
      sa: stride ? p.a[k1] - p.a[k] : 0, sb: stride && p.b[k] >= 0 ? p.b[k1] - p.b[k] : 0, sk: stride,
    };
  }

  private forwardPieces(from: number, to: number): void {
    const needed = this.valuesNeeded;
    for (let i = from; i < to; i++) {
      const group = this.loops[i];
      if (group[0].count === 1) {
        for (let k = group[0].from; k < group[0].from + group[0].period; k++) {
          if (!needed || needed[resultId(this.p, k)]) this.forwardStep(this.ref(k, 0));
        }
        continue;
      }
      if (needed && group.every((piece) => !needed.subarray(resultId(this.p, piece.from), resultId(this.p, piece.from + piece.period * piece.count)).includes(1))) continue;
      this.loop(group, false, () => {
        for (const piece of group) {
          const first = firstStep(piece), stride = iterationStride(piece);
          for (let k = first; k < first + piece.period; k++) this.forwardStep(this.ref(k, stride));
        }
      });
    }
  }

  /** (Reverse sweeps do not join loops: each group is one piece.) */
  private backwardPieces(from: number, to: number): void {
    for (let i = to - 1; i >= from; i--) {
      const piece = this.loops[i][0];
      if (piece.count > 1) {
        this.loop([piece], true, () => {
          this.recomputeIteration(piece);
          for (let k = piece.from + piece.period - 1; k >= piece.from; k--) {
            const r = this.ref(k, piece.period);
            this.pull(r, 0);
            this.pull(r, 1);
          }
        });
        continue;
      }
      this.groupsBackward(piece.from, piece.from + piece.period, (first, end) => {
        for (let k = first; k < end; k++) this.pull(this.ref(k, 0), 0);
        for (let k = first; k < end; k++) this.pull(this.ref(k, 0), 1);
      });
    }
  }

  /**
   * A loop over the iterations of a group of pieces of one count (last first
   * when `backward`): a local per region and stride walks the cells, and `body`
   * reads places through them. A piece from −1 has no steps (a loop over outputs).
   */
  private loop(group: readonly Piece[], backward: boolean, body: () => void, counters: [number, number][] = []): void {
    const f = this.f, C = group[0].count;
    const saved = this.strideLocals, savedInLoop = this.inLoop;
    // Stride locals are made as the body asks for them (strided), and only those are
    // set before the loop and moved on in it: an unused induction variable still costs
    // an add and a register per iteration in the engine's code.
    this.strideLocals = { count: C, cells: new Map(), made: [] };
    this.inLoop = true;
    this.iterationIds = group[0].from >= 0 ? this.loopLocalIds(group) : new Set();
    this.iterationLocals = new Map();
    const savedPointers = this.loopPointers, savedPointerOf = this.pointerOf;
    this.loopPointers = [];
    this.pointerOf = new Map();
    const start = f.mark(), c = f.i32();
    f.i32Const(C).set(c);
    f.loop();
    // (not in loops over outputs, whose stores may land on a point read in place)
    const outerCells = this.iterationCells, outerDepth = this.iterationDepth, outerBelow = this.cellsBelow;
    this.cellsBelow = outerCells ? outerBelow + outerCells.size : 0;
    this.iterationCells = group[0].from >= 0 ? new Map() : null;
    this.iterationDepth = f.depth;
    body();
    this.iterationCells = outerCells;
    this.iterationDepth = outerDepth;
    this.cellsBelow = outerBelow;
    const made = this.strideLocals.made;
    for (const [local, , cells] of made) f.get(local).i32Const(backward ? -8 * cells : 8 * cells).op(I.i32_add).set(local);
    for (const [local, by] of counters) f.get(local).i32Const(by).op(I.i32_add).set(local);
    for (const pointer of this.loopPointers) pointer.step();
    f.get(c).i32Const(1).op(I.i32_sub).tee(c).brIf(0);
    f.end();
    const loopCode = f.cut(start);
    for (const [local, region, cells] of made) {
      f.get(this.bases[region]).i32Const((backward ? 8 * cells * (C - 1) : 0) + lift(cells, C)).op(I.i32_add).set(local);
    }
    for (const pointer of this.loopPointers) pointer.init();
    this.loopPointers = savedPointers;
    this.pointerOf = savedPointerOf;
    f.paste(loopCode);
    this.strideLocals = saved;
    this.inLoop = savedInLoop;
    this.iterationIds = new Set();
  }

  /**
   * A forward sweep of one lane over every result, in memory placement: the outputs a
   * loop computes one per iteration, their indices in arithmetic progression, are
   * written where they are computed, at their places in `values` (when asked for) and
   * `tangents` (writeDirect), not read back from `work` by the output stage in a second
   * pass (hvp over a 10,000-input gradient gathered its result so), and need not live
   * in memory for it.
   */
  private findDirectOutputs(): void {
    const p = this.p, index = new Int32Array(this.nIds).fill(-1);
    p.outputs.forEach((id, o) => { index[id] = index[id] === -1 ? o : -2; }); // (−2: an id that is two outputs)
    for (const group of this.loops) {
      if (group[0].count < 2) continue;
      for (const piece of group) {
        const first = firstStep(piece), stride = iterationStride(piece);
        for (let j = 0; j < piece.period; j++) {
          const id = (c: number) => resultId(p, first + j + c * stride), o0 = index[id(0)], by = index[id(1)] - o0;
          let regular = o0 >= 0 && index[id(1)] >= 0 && by !== 0;
          for (let c = 2; c < piece.count && regular; c++) regular = index[id(c)] === o0 + c * by;
          if (!regular) continue;
          this.direct.set(id(0), { o0, by });
          for (let c = 0; c < piece.count; c++) {
            this.directId[id(c)] = 1;
            this.directOutput[o0 + c * by] = 1;
          }
        }
      }
    }
  }

  /** In a loop's body: a direct output's value (when values are asked for) and tangent, stored at their addresses (findDirectOutputs). */
  private writeDirect(r: StepRef, at: { o0: number; by: number }): void {
    const f = this.f, out = this.outputLocals!;
    let pointer = this.pointerOf.get(r.dst);
    if (!pointer) {
      const tan = f.i32(), val = f.i32(), step = f.i32();
      pointer = { tan, val };
      this.pointerOf.set(r.dst, pointer);
      this.loopPointers!.push({
        tan, val,
        init: () => {
          f.get(out.tOut).i32Const(at.by).op(I.i32_mul).set(step);
          f.get(out.tangents).get(out.tOut).i32Const(at.o0).op(I.i32_mul).op(I.i32_add).set(tan);
          f.get(out.values).i32Const(8 * at.o0).op(I.i32_add).set(val);
        },
        step: () => {
          f.get(tan).get(step).op(I.i32_add).set(tan);
          f.get(val).i32Const(8 * at.by).op(I.i32_add).set(val);
        },
      });
    }
    f.get(out.values).if();
    f.get(pointer.val);
    this.read(this.place(VAL, r.dst, 0, r.sk));
    f.store();
    f.end();
    f.get(pointer.tan);
    if (this.masks[r.dst] & 1) this.read(this.place(TAN, r.dst, 0, r.sk));
    else f.f64Const(0);
    f.store();
  }

  /**
   * A reverse sweep's reads of values, last step first: a step reads its operands where it
   * runs, which it does where its value is read or it gives partials (a call gives them from
   * its operands; an inline op's partial code reads what it names: a, b or its value v);
   * Keep reads its guard. Outputs' values are not written by a reverse sweep.
   */
  private valuesRead(): Uint8Array {
    const p = this.p, read = new Uint8Array(this.nIds);
    let r: StepRef, runs = false;
    const mark = (c: Code): void => {
      if (c.k === "a") read[r.a] = 1;
      else if (c.k === "b") read[r.b] = 1;
      else if (c.k === "v") { read[r.dst] = 1; runs = true; }
      else if (c.k === "neg") mark(c.a);
      else if (c.k === "op") { mark(c.a); mark(c.b); }
    };
    for (let k = this.steps - 1; k >= 0; k--) {
      r = this.ref(k, 0);
      const row = ROWS[r.op];
      runs = read[r.dst] === 1;
      if (!p.noAdjoint[k]) {
        if (row.kind !== "scalar" || !row.wasm) runs = true;
        else {
          const last = this.pullsB(k) ? 1 : 0;
          for (let which = 0; which <= last; which++) {
            const { d, s } = this.partial(r, which as 0 | 1);
            if (d.k === "code") mark(d.code);
            if (s && s.k === "code") mark(s.code);
          }
        }
      }
      if (r.op === Op.Keep) read[r.b] = 1;
      if (runs) {
        read[r.a] = 1;
        if (r.b >= 0) read[r.b] = 1;
      }
    }
    return read;
  }

  /**
   * Per id, whether it must live in memory: an output, or read by a step of
   * another iteration or outside its loop (home: one number per iteration of
   * each loop, a distinct one per straight step).
   */
  private escaping(): Uint8Array {
    const p = this.p, base = p.nConst + p.nIn, home = new Float64Array(this.steps);
    let next = 0;
    for (const group of this.loops) {
      const straight = group[0].count === 1, start = next;
      for (const piece of group) {
        for (let k = piece.from; k < piece.from + piece.period * piece.count; k++) {
          const c = Math.floor((k - piece.from) / piece.period);
          home[k] = straight ? next++ : start + (piece.reversed ? piece.count - 1 - c : c);
        }
      }
      if (!straight) next = start + group[0].count;
    }
    const escapes = new Uint8Array(this.nIds);
    for (const o of p.outputs) if (!this.directId[o]) escapes[o] = 1;
    for (let k = 0; k < this.steps; k++) {
      const a = p.a[k], b = p.b[k];
      if (a >= base && home[a - base] !== home[k]) escapes[a] = 1;
      if (b >= base && home[b - base] !== home[k]) escapes[b] = 1;
    }
    return escapes;
  }

  /**
   * The values a gradient's forward pass must leave in memory: those the
   * backward pass reads (a partial's a, b or v; Keep's guard; a call's value and
   * partials), other than loop-local ones it recomputes, and the operands of
   * what it recomputes; then everything these are computed from. A step or loop
   * that computes none of them is skipped (the chain of partial sums of a Σ
   * written out term by term is read by nothing: its adds' partials are 1).
   */
  private neededInMemory(): Uint8Array {
    const p = this.p, base = p.nConst + p.nIn, need = new Uint8Array(this.nIds), local = new Uint8Array(this.nIds);
    for (const group of this.loops) {
      if (group[0].count === 1) continue;
      for (const piece of group) {
        const locals = this.loopLocalIds([piece]);
        for (let j = 0; j < piece.period; j++) {
          if (!locals.has(resultId(p, firstStep(piece) + j))) continue;
          for (let c = 0; c < piece.count; c++) local[resultId(p, piece.from + j + c * piece.period)] = 1;
        }
      }
    }
    // need: computed by the forward pass (memory); recompute: loop-local values the backward loop needs
    const recompute = new Uint8Array(this.nIds);
    const read = (id: number) => { if (id >= base) (local[id] ? recompute : need)[id] = 1; };
    const reads = (c: Code, r: StepRef) => {
      if (c.k === "a") read(r.a);
      else if (c.k === "b") read(r.b);
      else if (c.k === "v") read(r.dst);
      else if (c.k === "neg") reads(c.a, r);
      else if (c.k === "op") { reads(c.a, r); reads(c.b, r); }
    };
    const readsPartial = (r: StepRef, which: 0 | 1) => {
      const { d, s } = this.partial(r, which);
      if (d.k === "code") reads(d.code, r);
      if (s && s.k === "code") reads(s.code, r);
    };
    for (let k = 0; k < this.steps; k++) {
      if (p.noAdjoint[k]) continue;
      const r = this.ref(k, 0), row = ROWS[r.op];
      if (row.kind !== "scalar" || !row.wasm) { need[r.dst] = 1; continue; } // its value and partials, from the call
      if (r.op === Op.Keep) read(r.b);
      readsPartial(r, 0);
      if (this.pullsB(k)) readsPartial(r, 1);
    }
    for (let k = this.steps - 1; k >= 0; k--) { // what the needed values are computed from
      const id = resultId(p, k);
      if (!need[id] && !recompute[id]) continue;
      for (let which = 0; which < 2; which++) {
        const operand = which ? p.b[k] : p.a[k];
        if (operand < base) continue;
        // A value the forward pass computes needs its operands there; one the backward loop
        // recomputes needs its loop-local operands recomputed too (a value may be both: sqrt's,
        // read by sin's call in the forward pass and by its own partial 0.5/v in the backward loop).
        if (need[id]) need[operand] = 1;
        if (recompute[id]) (local[operand] ? recompute : need)[operand] = 1;
      }
    }
    this.recomputed = recompute;
    return need;
  }

  /**
   * The results of a loop's bodies (first-iteration ids) that can live in locals:
   * in every iteration, read only by steps of the same iteration. In a reverse
   * sweep only inline steps qualify (the backward loop recomputes their values,
   * whose partials are code; a call's partials stay in memory), and it is their
   * values and adjoints that stay in locals; in the other sweeps their values,
   * partials and tangents do.
   */
  private loopLocalIds(group: readonly Piece[]): Set<number> {
    const p = this.p, ids = new Set<number>();
    for (const piece of group) {
      for (let j = 0; j < piece.period; j++) {
        const k0 = piece.from + j, row = ROWS[p.op[k0]];
        if (this.plan.kind === Kind.Reverse && !(row.kind === "scalar" && row.wasm)) continue;
        let local = true;
        for (let c = 0; c < piece.count && local; c++) local = !this.escapes[resultId(p, k0 + c * piece.period)];
        if (local) ids.add(resultId(p, firstStep(piece) + j)); // (the id the body's code names)
      }
    }
    return ids;
  }

  /**
   * At the top of a reverse loop's body: the values of this iteration's loop-local
   * steps that the backward pass reads, again (the forward loop kept them in
   * locals of its own), and their adjoints set to 0 where every contribution
   * adds to what is there.
   */
  private recomputeIteration(piece: Piece): void {
    const f = this.f, p = this.p, wanted = this.recomputed;
    for (let k = piece.from; k < piece.from + piece.period; k++) {
      const r = this.ref(k, piece.period);
      if (!this.iterationIds.has(r.dst)) continue;
      let read = !wanted;
      for (let c = 0; c < piece.count && !read; c++) read = wanted![resultId(p, k + c * piece.period)] === 1;
      if (read) this.forwardStep(r);
      if (this.zeroAll) this.put(this.place(ADJ, r.dst, 0, r.sk), () => f.f64Const(0));
    }
  }

  /** A step's value (and partials, where a derivative sweep needs them), and in forward sweeps its lanes. */
  private forwardStep(r: StepRef): void {
    const f = this.f, plan = this.plan, row = ROWS[r.op];
    const binary = r.b >= 0;
    if (row.kind === "scalar" && row.wasm) {
      this.put(this.place(VAL, r.dst, 0, r.sk), () => {
        this.readValue(r.a, r.sa);
        if (binary) this.readValue(r.b, r.sb);
        f.op(I[row.wasm!]);
      });
    } else {
      const partials = plan.kind === Kind.Forward || (plan.kind === Kind.Reverse && !this.p.noAdjoint[r.k]);
      const hasRule = !binary && this.pointRule(r.op) > 0;
      // (the core's point rule in `mode`, inlined where the module carries it, else imported)
      const callPoint = (mode: PointMode) => {
        const carried = this.carried.get(r.op * 4 + mode);
        if (carried !== undefined) this.splice!.call(f, carried);
        else f.call(this.pointImports.get(r.op * 4 + mode)!);
      };
      if (hasRule && partials && this.valueRead && !this.valueRead[r.dst] && this.pointRule(r.op) & PARTIAL_ONLY) {
        this.readValue(r.a, r.sa);
        callPoint(2);
        f.op(I.drop); // (its partial alone: nothing reads its value)
      } else {
        this.put(this.place(VAL, r.dst, 0, r.sk), () => {
          if (!hasRule) f.i32Const(r.op);
          this.readValue(r.a, r.sa);
          if (binary) this.readValue(r.b, r.sb);
          if (hasRule) callPoint(partials ? 1 : 0);
          else f.i32Const(partials ? 1 : 0).call(binary ? SCALAR_RULE : SCALAR_RULE1);
        });
      }
      if (partials) {
        for (const which of binary ? [0, 1, 2, 3] : this.unscaled(r.op) ? [0] : [0, 2]) {
          this.put(this.place(PART, r.k, which, r.sk), () => f.i32Const(this.ruleCell).load(8 * which));
        }
      }
    }
    if (plan.kind !== Kind.Forward) return;
    const m = this.masks[r.dst];
    const mA = this.masks[r.a], mB = this.pullsB(r.k) ? this.masks[r.b] : 0;
    for (let l = 0; l < this.K; l++) {
      const bit = 1 << l;
      if (!(m & bit)) continue;
      this.put(this.place(TAN, r.dst, l, r.sk), () => {
        if (mA & bit) this.term(r, 0, () => this.read(this.place(TAN, r.a, l, r.sa)));
        if (mB & bit) this.term(r, 1, () => this.read(this.place(TAN, r.b, l, r.sb)));
        if (mA & mB & bit) f.op(I.f64_add);
        if (r.op === Op.Keep) this.keepMask(r);
      });
    }
    const direct = r.sk !== 0 && this.loopPointers ? this.direct.get(r.dst) : undefined;
    if (direct) this.writeDirect(r, direct);
  }

  /** The guard of Keep on the value on the stack: kept where b ≠ 0 (NaN too), else +0. */
  private keepMask(r: StepRef): void {
    const f = this.f;
    f.f64Const(0);
    this.readValue(r.b, r.sb);
    f.f64Const(0).op(I.f64_ne).op(I.select);
  }

  /** adj[operand] (+)= term(w̄): operand a (0) or b (1) of a step. */
  private pull(r: StepRef, which: 0 | 1): void {
    const p = this.p, f = this.f;
    const id = which ? r.b : r.a, stride = which ? r.sb : r.sa;
    if (id < p.nConst || p.noAdjoint[r.k] || (which === 1 && !this.pullsB(r.k))) return;
    const first = (which ? this.firstB : this.firstA)[r.k] === 1;
    this.addToAdjoint(2 * r.k + which, id, stride, first, () => this.term(r, which, () => {
      if (this.known?.wKnown[r.k]) f.f64Const(this.known.w[r.k]);
      else if (this.liveW[r.k]) this.read(this.place(ADJ, r.dst, 0, r.sk));
      else f.f64Const(0);
      if (r.op === Op.Keep) this.keepMask(r);
    }));
  }

  /**
   * Contribution c (see KnownAdjoints) to adj[id]: (first ? 0 : adj[id]) + its
   * term, the term emitted by `emitTerm`; nothing when the sum is known, and a
   * known side as a number.
   */
  private addToAdjoint(c: number, id: number, stride: number, first: boolean, emitTerm: () => void): void {
    const known = this.known, f = this.f;
    if (known?.folded[c]) return;
    this.put(this.place(ADJ, id, 0, stride), () => {
      if (known?.beforeKnown[c]) f.f64Const(known.before[c]);
      else if (first) f.f64Const(0);
      else this.read(this.place(ADJ, id, 0, stride));
      if (known?.termKnown[c]) f.f64Const(known.term[c]);
      else emitTerm();
      f.op(I.f64_add);
    });
  }

  /**
   * The adjoints known while the code is written: a gradient's seed (1), and
   * what constant partials make of it — through a Σ written out term by term,
   * every partial sum's adjoint is 1. The backward pass is run here in the
   * order the code runs it, in the same IEEE arithmetic, so a known sum is the
   * number the code would have computed, and no chain of 0 + w̄ adds is left to
   * run. Null when a loop's iterations would know different things (its body
   * is one piece of code for all of them): then nothing is folded.
   */
  private planKnownAdjoints(seeded: boolean): KnownAdjoints | null {
    const p = this.p, S = this.steps;
    const known: KnownAdjoints = {
      wKnown: new Uint8Array(S), w: new Float64Array(S),
      beforeKnown: new Uint8Array(2 * S + p.outputs.length), before: new Float64Array(2 * S + p.outputs.length),
      termKnown: new Uint8Array(2 * S + p.outputs.length), term: new Float64Array(2 * S + p.outputs.length),
      folded: new Uint8Array(2 * S + p.outputs.length),
      finalKnown: new Uint8Array(this.nIds), final: new Float64Array(this.nIds),
    };
    const now = known.finalKnown, value = known.final; // (as the pass goes; final at its end)
    // (a NaN is never folded: the code makes it, so its bits are the engine's, as the interpreter's are)
    const contribute = (c: number, id: number, first: boolean, made: number | undefined) => {
      const before = first ? 0 : now[id] ? value[id] : undefined, term = Number.isNaN(made) ? undefined : made;
      known.beforeKnown[c] = before === undefined ? 0 : 1;
      known.before[c] = before ?? 0;
      known.termKnown[c] = term === undefined ? 0 : 1;
      known.term[c] = term ?? 0;
      const sum = before !== undefined && term !== undefined ? before + term : NaN;
      now[id] = known.folded[c] = Number.isNaN(sum) ? 0 : 1;
      value[id] = sum;
    };
    const started = new Uint8Array(this.nIds);
    p.outputs.forEach((id, o) => {
      if (id < p.nConst) return;
      contribute(2 * S + o, id, !started[id], seeded ? undefined : 1);
      started[id] = 1;
    });
    this.backwardOrder((k) => {
      const dst = resultId(p, k);
      known.wKnown[k] = !this.liveW[k] || now[dst] ? 1 : 0;
      known.w[k] = this.liveW[k] && now[dst] ? value[dst] : 0; // (0 where unknown: the loop check compares it)
    }, (k, which) => {
      const id = which ? p.b[k] : p.a[k];
      if (id < p.nConst || p.noAdjoint[k] || (which === 1 && !this.pullsB(k))) return;
      const term = known.wKnown[k] ? this.knownTerm(this.ref(k, 0), which, known.w[k]) : undefined;
      contribute(2 * k + which, id, (which ? this.firstB : this.firstA)[k] === 1, term);
    });
    const same = (x: Float64Array | Uint8Array, i: number, j: number) => Object.is(x[i], x[j]);
    const perContribution = [known.beforeKnown, known.before, known.termKnown, known.term];
    for (const piece of this.pieces) {
      for (let c = 1; c < piece.count; c++) {
        for (let k0 = piece.from; k0 < piece.from + piece.period; k0++) {
          const k = k0 + c * piece.period;
          if (!same(known.wKnown, k0, k) || !same(known.w, k0, k)) return null;
          for (const x of perContribution) {
            if (!same(x, 2 * k0, 2 * k) || !same(x, 2 * k0 + 1, 2 * k + 1)) return null;
          }
        }
      }
    }
    return known;
  }

  /** A pull's term ∂·w̄ for a known w̄ when the partial is known too (constants only, no scale), else undefined. */
  private knownTerm(r: StepRef, which: 0 | 1, w: number): number | undefined {
    if (r.op === Op.Keep) return undefined;
    const { d, s } = this.partial(r, which);
    if (s) return undefined;
    if (d.k === "one") return w;
    if (d.k === "minus") return -w;
    if (d.k === "cell") return undefined;
    const partial = this.knownCode(r, d.code);
    return partial === undefined ? undefined : partial * w;
  }

  /** A partial's code evaluated while writing the code, where it reads constants only (else undefined). */
  private knownCode(r: StepRef, c: Code): number | undefined {
    const p = this.p;
    switch (c.k) {
      case "a": return r.a < p.nConst ? p.consts[r.a] : undefined;
      case "b": return r.b >= 0 && r.b < p.nConst ? p.consts[r.b] : undefined;
      case "num": return c.x;
      case "neg": { const x = this.knownCode(r, c.a); return x === undefined ? undefined : -x; }
      case "op": {
        const x = this.knownCode(r, c.a), y = x === undefined ? undefined : this.knownCode(r, c.b);
        if (x === undefined || y === undefined) return undefined;
        if (c.code === I.f64_add) return x + y;
        if (c.code === I.f64_sub) return x - y;
        if (c.code === I.f64_mul) return x * y;
        if (c.code === I.f64_div) return x / y;
        return undefined;
      }
      default: return undefined;
    }
  }

  /** A step's partial by operand a or b, and its scale (null: none). */
  private partial(r: StepRef, which: 0 | 1): { d: Partial; s: Partial | null } {
    // (it depends on the op alone: the code reads a, b and v symbolically)
    const key = 2 * r.op + which;
    return (this.partials[key] ??= this.partialOf(r.op, r.b >= 0, which));
  }

  private partialOf(op: number, binary: boolean, which: 0 | 1): { d: Partial; s: Partial | null } {
    const row = ROWS[op];
    if (row.kind !== "scalar" || !row.wasm) {
      return { d: { k: "cell", at: which }, s: !binary && this.unscaled(op) ? null : { k: "cell", at: 2 + which } };
    }
    const A: Code = { k: "a" }, B: Code = { k: "b" }, V: Code = { k: "v" };
    const rule = row.partials(CODE, A, B, V);
    const code = which ? rule.b! : rule.a;
    const d: Partial = isNum(code, 1) ? { k: "one" } : isNum(code, -1) ? { k: "minus" } : { k: "code", code };
    return { d, s: rule.scale ? { k: "code", code: rule.scale } : null };
  }

  /** Whether the core's rule for unary `op` is a point rule whose partial is never scaled (no scale to read or divide by). */
  private unscaled(op: number): boolean {
    return (this.pointRule(op) & 3) === 1;
  }

  private emitPartial(r: StepRef, x: Partial): void {
    const f = this.f;
    if (x.k === "cell") this.read(this.place(PART, r.k, x.at, r.sk));
    else if (x.k === "one") f.f64Const(1);
    else if (x.k === "minus") f.f64Const(-1);
    else this.emitCode(r, x.code);
  }

  private emitCode(r: StepRef, c: Code): void {
    const f = this.f;
    switch (c.k) {
      case "a": this.readValue(r.a, r.sa); break;
      case "b": this.readValue(r.b, r.sb); break;
      case "v": this.readValue(r.dst, r.sk); break;
      case "w": throw new Error("internal: a partial reads w");
      case "num": f.f64Const(c.x); break;
      case "neg": this.emitCode(r, c.a); f.op(I.f64_neg); break;
      case "op": this.emitCode(r, c.a); this.emitCode(r, c.b); f.op(c.code); break;
    }
  }

  /**
   * ∂·t, or with a scale s the core's scaledTerm1 (rows.ts): x = ∂·t; where x is
   * subnormal and nonzero, ∂·(t/s) if that is finite, else x/s.
   */
  private term(r: StepRef, which: 0 | 1, t: () => void): void {
    const f = this.f, { d, s } = this.partial(r, which);
    const product = () => {
      if (d.k === "one") t();
      else if (d.k === "minus") { t(); f.op(I.f64_neg); }
      else { this.emitPartial(r, d); t(); f.op(I.f64_mul); }
    };
    if (!s) {
      product();
      return;
    }
    const X = this.scratchX, ALT = this.scratchAlt;
    const quotient = () => { f.get(X); this.emitPartial(r, s); f.op(I.f64_div); };
    product();
    // (the core's guard, rows.ts scaledTerm: |∂·t| below the normal range, 0 included, for a t that is not 0)
    f.tee(X).op(I.f64_abs).f64Const(MIN_NORMAL).op(I.f64_lt);
    t();
    f.f64Const(0).op(I.f64_ne).op(I.i32_and);
    f.if(T.f64);
    // ∂·(t/s)
    if (d.k === "code" || d.k === "cell") this.emitPartial(r, d);
    t();
    this.emitPartial(r, s);
    f.op(I.f64_div);
    if (d.k === "minus") f.op(I.f64_neg);
    else if (d.k !== "one") f.op(I.f64_mul);
    f.tee(ALT);
    quotient();
    f.get(ALT).get(ALT).op(I.f64_sub).f64Const(0).op(I.f64_eq).op(I.select);
    f.else();
    // (∂·t/s, skipping the division by the scale 1 that almost every point has: x/1 is x to the bit)
    this.emitPartial(r, s);
    f.f64Const(1).op(I.f64_eq).if(T.f64).get(X).else();
    quotient();
    f.end();
    f.end();
  }
}

/**
 * What a reverse sweep's writer knows of the adjoints (planKnownAdjoints).
 * Contribution c is 2k (step k's operand a), 2k + 1 (its b), or 2S + o (output
 * o's seed, S steps): whether the adjoint before it and its term are known
 * numbers, and which.
 */
interface KnownAdjoints {
  /** Per step: the w̄ its pull reads, when known. */
  wKnown: Uint8Array;
  w: Float64Array;
  beforeKnown: Uint8Array;
  before: Float64Array;
  termKnown: Uint8Array;
  term: Float64Array;
  /** Whether the sum is known (both sides are, and it is not NaN): then no code is written. */
  folded: Uint8Array;
  /** Per id: its adjoint at the end of the pass, when known. */
  finalKnown: Uint8Array;
  final: Float64Array;
}

/** A step as the code for it reads it: ids (of a loop's first iteration) and their strides per iteration. */
interface StepRef {
  k: number;
  op: number;
  a: number;
  b: number;
  dst: number;
  sa: number;
  sb: number;
  /** The stride of the step's own result id and index (the loop's period; 0 outside loops). */
  sk: number;
}
