// The fused loops of bindings/compiler/fuse.ts, emitted as WebAssembly functions: for a
// group of runs, a forward function (every run's values at element j before
// the next elements, intermediates in locals) and a backward function (the
// values again, then adjoints carried from run to run in locals). Both take two
// elements at a time in f64x2 lanes: two points of a block, or at one point
// elements j and j + 1.
//
// Each function takes (vals, adj, B, n): the value rows, the adjoint rows (one
// lane), the block size and the points filled. Element (j, p) of the run at slot
// s is at row(s) + (j·B + p)·8; a broadcast operand's at row(s) + p·8.
//
// Values are each op's `wasm` instruction and adjoints its spec rule
// (ops/spec.ts), emitted operation for operation: the same arithmetic as the
// core's rules (assembly/core/rules.ts), which test/api/fusion.test.ts holds to
// the fused loops bit for bit.
import { OP_NAMES, Op } from "../ops/grammar.js";
import { PRIMITIVES, type Row, type ScalarRow } from "../ops/spec.js";
import { CODE, type Code } from "./code-algebra.js";
import { InternalError } from "../base/errors.js";
import { F64X2, FunctionBody, I, V128_BITSELECT } from "./wasm-encoder.js";

/** Keep's value where its guard is 0, from its spec row (−0); an adjoint's mask is +0 instead. */
const KEPT_OUT = PRIMITIVES.keep.value(0, 0);

/** One run instruction, decoded. */
export interface Run {
  op: number;
  L: number;
  dst: number;
  /** Operand slots and steps (1: slot a + j; 0: the one slot a); b absent for unary ops. */
  a: number;
  aStep: number;
  b: number;
  bStep: number;
  binary: boolean;
}

// Parameters of every fused function.
const VALS = 0, ADJ = 1, BLOCK = 2, FILLED = 3;

/**
 * The arithmetic of one copy of a loop body: f64 for one element, or f64x2 for
 * two at once (the same IEEE operations lane by lane) — two points of a block,
 * or, at one point, two consecutive elements of the runs.
 */
interface Arith {
  local(): number;
  /** The value at the address on the stack: a run's element (step 1), or a broadcast operand's row (step 0). */
  load(step: number): void;
  /** Stores (address, value) at a run's element. */
  store(): void;
  constant(x: number): void;
  /** An f64 arithmetic opcode (I.f64_*), or its f64x2 form. */
  op(code: number): void;
  /** memory += local for each target, in order (element by element when there are two). */
  addTo(targets: readonly Target[]): void;
  /** Keep on the stack's (x, guard): x where guard ≠ 0 (NaN too), else `zero` (Keep's value −0; an adjoint's mask +0), lane by lane. */
  keep(zero: number): void;
}

/** A place in memory a loop body adds to: `address` pushes it (and may be called more than once), of step 1 or 0. */
interface Target {
  slot: number;
  address: () => void;
  step: number;
  local: number;
}

function scalar(f: FunctionBody): Arith {
  return {
    local: () => f.f64(), load: () => f.load(), store: () => f.store(), constant: (x) => f.f64Const(x), op: (code) => f.op(code),
    keep: (zero) => { // select(x, zero, guard ≠ 0)
      const guard = f.f64();
      f.set(guard).f64Const(zero).get(guard).f64Const(0).op(I.f64_ne).op(I.select);
    },
    addTo: (targets) => {
      for (const { address, local } of targets) {
        address();
        address();
        f.load().get(local).op(I.f64_add).store();
      }
    },
  };
}

/** Keep in f64x2 lanes: bitselect(x, zero, guard ≠ 0). */
function keepLanes(f: FunctionBody, zero: number): void {
  const guard = f.v128();
  f.set(guard).f64Const(zero).splat().get(guard).f64Const(0).splat().simd(F64X2[I.f64_ne]).simd(V128_BITSELECT);
}

/** Two points p, p + 1 of a block: every row, a broadcast operand's too, holds them side by side. */
function pointPairs(f: FunctionBody): Arith {
  return {
    local: () => f.v128(), load: () => f.loadV128(), store: () => f.storeV128(),
    constant: (x) => f.f64Const(x).splat(), op: (code) => f.simd(F64X2[code]), keep: (zero) => keepLanes(f, zero),
    addTo: (targets) => {
      for (const { address, local } of targets) {
        address();
        address();
        f.loadV128().get(local).simd(F64X2[I.f64_add]).storeV128();
      }
    },
  };
}

/**
 * Elements j, j + 1 at one point: a run's are side by side, a broadcast
 * operand's one value is loaded into both lanes. Memory is added to one lane at
 * a time, every target of element j before those of j + 1, as the scalar loop
 * does: the same sums in the same order (windows of one row shifted by one
 * share elements), and no wide load of a row another window has half written
 * (carried pairs load wide, but only cells no other target writes).
 *
 * `carried` (window slot s → a local): two windows s and s + 1 of one row that
 * no other target touches (x[i] and x[i+1] of a stencil) are added together:
 * element e takes s + 1's term of element e − 1, then s's of e, as the scalar
 * loop adds them, so [e, e + 1] += [carry, t₁(j)], then += t₀; the term of
 * j + 1 is carried into the next pair (Loop.emit starts it at −0, which adds
 * nothing, and adds the last one after the loop).
 */
function elementPairs(f: FunctionBody, carried: ReadonlyMap<number, number>): Arith {
  return {
    local: () => f.v128(), load: (step) => (step ? f.loadV128() : f.loadSplat()), store: () => f.storeV128(),
    constant: (x) => f.f64Const(x).splat(), op: (code) => f.simd(F64X2[code]), keep: (zero) => keepLanes(f, zero),
    addTo: (targets) => {
      const rest = targets.filter((t) => !(t.step && (carried.has(t.slot) || carried.has(t.slot - 1))));
      for (const [slot, carry] of carried) {
        const low = targets.find((t) => t.slot === slot && t.step)!, high = targets.find((t) => t.slot === slot + 1 && t.step)!;
        low.address();
        low.address();
        f.loadV128().get(carry).get(high.local).highLow().simd(F64X2[I.f64_add]).get(low.local).simd(F64X2[I.f64_add]).storeV128();
        f.get(high.local).set(carry);
      }
      for (const lane of [0, 1]) {
        for (const { address, step, local } of rest) {
          address();
          address();
          f.load(8 * lane * step).get(local).extractLane(lane).op(I.f64_add).store(8 * lane * step);
        }
      }
    },
  };
}

/**
 * The frame shared by both directions: a local per row base the body reads
 * (slot s of VALS or ADJ, computed once, before the loops), and the loops over
 * the run's elements j < L and the block's points p < n, with `off` = (j·B + p)·8
 * and `poff` = p·8 set for the body. One point (B = 1, the common case of a
 * single gradient) gets a flat loop over pairs of elements (f64x2), the last of
 * an odd L alone; a block takes its points in pairs, the last one of an odd
 * count alone, as the core's SIMD loops do.
 */
class Loop {
  readonly f = new FunctionBody(4);
  /** The arithmetic of the copy being emitted. */
  x: Arith = scalar(this.f);
  /** Windows added in pairs at one point, with their carries (see elementPairs); set before `emit`. */
  readonly carried = new Map<number, number>();
  private readonly off: number;
  private readonly poff: number;
  private readonly rowBytes: number;
  private readonly bases = new Map<number, number>();

  /** `rows`: the (VALS or ADJ, slot) rows the body may address. */
  constructor(rows: readonly (readonly [number, number])[]) {
    const f = this.f;
    this.rowBytes = f.i32();
    this.off = f.i32();
    this.poff = f.i32();
    f.get(BLOCK).i32Const(3).op(I.i32_shl).set(this.rowBytes);
    for (const [from, slot] of rows) {
      const key = slot * 2 + from;
      if (this.bases.has(key)) continue;
      const local = f.i32();
      this.bases.set(key, local);
      f.get(from).i32Const(slot).get(this.rowBytes).op(I.i32_mul).op(I.i32_add).set(local);
    }
  }

  /** Pushes the address of element (j, p) of the run at `slot` in `rows` (step 1), or of its broadcast row (step 0). */
  address(rows: number, slot: number, step: number): void {
    this.f.get(this.bases.get(slot * 2 + rows)!).get(step ? this.off : this.poff).op(I.i32_add);
  }

  /**
   * if (B == 1) { for (off = 0; off < 8·(L − L%2); off += 16) body on j, j+1; if (L odd) body on j = L − 1 }
   * else for j < L { for (p = 0; p + 1 < n; p += 2) body on p, p+1; if (p < n) body on p }
   * (`body` is called once per copy, with `x` set to that copy's arithmetic).
   */
  emit(L: number, body: () => void): FunctionBody {
    const f = this.f, j = f.i32(), p = f.i32(), rowOff = f.i32();
    const at = () => f.get(p).i32Const(3).op(I.i32_shl).tee(this.poff).get(rowOff).op(I.i32_add).set(this.off);
    const even = L & ~1;
    f.get(BLOCK).i32Const(1).op(I.i32_eq).if();
    f.i32Const(0).set(this.off).i32Const(0).set(this.poff);
    if (even > 0) {
      for (const carry of this.carried.values()) f.f64Const(-0).splat().set(carry);
      f.loop();
      this.x = elementPairs(f, this.carried);
      body();
      f.get(this.off).i32Const(16).op(I.i32_add).tee(this.off).i32Const(8 * even).op(I.i32_lt_s).brIf(0);
      f.end();
      // the carried terms of element even − 1, into element even of the window's row (off = 8·even now)
      for (const [slot, carry] of this.carried) {
        this.address(ADJ, slot, 1);
        this.address(ADJ, slot, 1);
        f.load().get(carry).extractLane(1).op(I.f64_add).store();
      }
    }
    if (L & 1) { // the last element (off = 8·(L − 1) now)
      this.x = scalar(f);
      body();
    }
    f.else();
    f.i32Const(0).set(j);
    f.loop();
    f.get(j).get(this.rowBytes).op(I.i32_mul).set(rowOff);
    f.i32Const(0).set(p);
    f.block().loop(); // pairs of points
    f.get(p).i32Const(1).op(I.i32_add).get(FILLED).op(I.i32_ge_s).brIf(1);
    at();
    this.x = pointPairs(f);
    body();
    f.get(p).i32Const(2).op(I.i32_add).set(p).br(0);
    f.end().end();
    f.get(p).get(FILLED).op(I.i32_lt_s).if(); // the last point of an odd count
    at();
    this.x = scalar(f);
    body();
    f.end();
    f.get(j).i32Const(1).op(I.i32_add).tee(j).i32Const(L).op(I.i32_lt_s).brIf(0);
    f.end();
    f.end();
    return f;
  }
}

/** A run's operands as (slot, step). */
function operandsOf(r: Run): [number, number][] {
  return r.binary ? [[r.a, r.aStep], [r.b, r.bStep]] : [[r.a, r.aStep]];
}

/** The rows the body addresses: every slot the runs name in VALS (broadcast constants are immediates instead), and computed ones in ADJ when `adjoints`. */
function rowsOf(runs: readonly Run[], adjoints: boolean, nConst: number): [number, number][] {
  const rows: [number, number][] = [];
  for (const r of runs) {
    for (const [slot, step] of [[r.dst, 1], ...operandsOf(r)]) {
      if (slot < nConst && step === 0) continue; // a broadcast constant is an immediate; constants take no adjoint
      rows.push([VALS, slot]);
      if (adjoints && slot >= nConst) rows.push([ADJ, slot]);
    }
  }
  return rows;
}

/** The spec row of a fusible op code (one with a `wasm` instruction; Keep, the where's mask, is emitted apart). */
function fusibleRow(op: number): ScalarRow & { wasm: keyof typeof I } {
  const row = PRIMITIVES[OP_NAMES[op]] as Row;
  if (row.kind !== "scalar" || !row.wasm) throw new InternalError(`op ${OP_NAMES[op]} is not fusible`);
  return row as ScalarRow & { wasm: keyof typeof I };
}

/** Whether an op code can run in a fused loop. */
export function isFusible(op: number): boolean {
  const row = PRIMITIVES[OP_NAMES[op]] as Row | undefined;
  return op === Op.Keep || (row !== undefined && row.kind === "scalar" && row.wasm !== undefined);
}

const A: Code = { k: "a" }, B: Code = { k: "b" }, V: Code = { k: "v" }, W: Code = { k: "w" };

/** The adjoint terms (∂·w̄)/s an op adds to its operands, as code. */
function adjointTerms(op: number): Code[] {
  const p = fusibleRow(op).partials(CODE, A, B, V);
  const term = (partial: Code) => (p.scale === undefined ? CODE.mul(partial, W) : CODE.div(CODE.mul(partial, W), p.scale));
  return p.b === undefined ? [term(p.a)] : [term(p.a), term(p.b)];
}

/** Whether a term reads `k` (an operand, the value or the adjoint). */
function reads(c: Code, k: "a" | "b" | "v"): boolean {
  if (c.k === "neg") return reads(c.a, k);
  if (c.k === "op") return reads(c.a, k) || reads(c.b, k);
  return c.k === k;
}

/**
 * The runs whose values a backward function needs: those an adjoint rule reads
 * (its own value, or an operand an earlier run of the group computes), and the
 * runs those are computed from. The rest (+, −, negation feeding only such
 * runs: k-means' C − x) are not recomputed, nor are their operands loaded.
 */
function valuesReadBackward(runs: readonly Run[]): boolean[] {
  const needed = runs.map(() => false);
  const operand = (i: number, slot: number, step: number) => {
    const from = producerIn(runs, i, slot, step);
    if (from >= 0) needed[from] = true;
  };
  runs.forEach((r, i) => {
    const terms = r.op === Op.Keep ? [B] : adjointTerms(r.op); // (Keep's rule reads its guard, b)
    if (terms.some((t) => reads(t, "v"))) needed[i] = true;
    if (terms.some((t) => reads(t, "a"))) operand(i, r.a, r.aStep);
    if (r.binary && terms.some((t) => reads(t, "b"))) operand(i, r.b, r.bStep);
  });
  for (let i = runs.length - 1; i >= 0; i--) {
    if (!needed[i]) continue;
    operand(i, runs[i].a, runs[i].aStep);
    if (runs[i].binary) operand(i, runs[i].b, runs[i].bStep);
  }
  return needed;
}

/** Whether two terms are the same code, b read as a (a run that squares its operand). */
function sameCode(x: Code, y: Code): boolean {
  const kind = (c: Code) => (c.k === "b" ? "a" : c.k);
  if (kind(x) !== kind(y)) return false;
  if (x.k === "num") return Object.is(x.x, (y as typeof x).x);
  if (x.k === "neg") return sameCode(x.a, (y as typeof x).a);
  if (x.k === "op") return x.code === (y as typeof x).code && sameCode(x.a, (y as typeof x).a) && sameCode(x.b, (y as typeof x).b);
  return true;
}

/**
 * The lower slots s of the pairs of memory targets s, s + 1 (windows of one row
 * shifted by one, as x[i] and x[i+1]) that no other target of the group touches:
 * their adjoints can be added two elements at a time (see elementPairs).
 */
function shiftedWindows(runs: readonly Run[], nConst: number): number[] {
  const targets: [number, number][] = []; // (slot, step) of every operand read from memory
  runs.forEach((r, i) => {
    for (const [slot, step] of r.op === Op.Keep ? [[r.a, r.aStep]] : operandsOf(r)) { // (Keep's guard takes no adjoint)
      if (slot >= nConst && producerIn(runs, i, slot, step) < 0 && !targets.some(([s, t]) => s === slot && t === step)) targets.push([slot, step]);
    }
  });
  const L = runs[0].L;
  const meets = ([s, step]: [number, number], lo: number, hi: number) => s <= hi && (step ? s + L - 1 : s) >= lo;
  return targets.flatMap(([s, step]) => {
    if (!step || !targets.some(([u, v]) => u === s + 1 && v === 1)) return [];
    const alone = targets.every(([u, v]) => (v === 1 && (u === s || u === s + 1)) || !meets([u, v], s, s + L));
    return alone ? [s] : [];
  });
}

/** Index of the group run whose results an operand reads (aligned), or −1 (memory). */
function producerIn(runs: readonly Run[], before: number, slot: number, step: number): number {
  if (step !== 1) return -1;
  for (let i = before - 1; i >= 0; i--) if (runs[i].dst === slot) return i;
  return -1;
}

/**
 * Pushes an operand's value at the element: an earlier run's local, a broadcast
 * constant as an immediate, or memory, read once per element into a local.
 */
type Operand = (i: number, slot: number, step: number) => void;

function operandReader(loop: Loop, runs: readonly Run[], value: readonly number[], consts: readonly number[]): Operand {
  const g = loop.f, x = loop.x, loaded = new Map<number, number>(); // slot·2 + step → local, per element
  return (i, slot, step) => {
    const from = producerIn(runs, i, slot, step);
    if (from >= 0) {
      g.get(value[from]);
      return;
    }
    if (step === 0 && slot < consts.length) {
      x.constant(consts[slot]);
      return;
    }
    const key = slot * 2 + step;
    let local = loaded.get(key);
    if (local === undefined) {
      local = x.local();
      loaded.set(key, local);
      loop.address(VALS, slot, step);
      x.load(step);
      g.set(local);
    }
    g.get(local);
  };
}

/**
 * Emits the runs' values at the element into `value` locals (only those `wanted`,
 * all if absent); `stored(i)`: whether run i's is also written to memory.
 */
function values(loop: Loop, runs: readonly Run[], value: readonly number[], operand: Operand, stored: (i: number) => boolean,
                wanted?: readonly boolean[]): void {
  const g = loop.f, x = loop.x;
  runs.forEach((r, i) => {
    if (wanted && !wanted[i]) return;
    operand(i, r.a, r.aStep);
    if (r.binary) operand(i, r.b, r.bStep);
    if (r.op === Op.Keep) x.keep(KEPT_OUT);
    else x.op(I[fusibleRow(r.op).wasm]);
    g.set(value[i]);
    if (stored(i)) {
      loop.address(VALS, r.dst, 1);
      g.get(value[i]);
      x.store();
    }
  });
}

/**
 * Forward: every run's values at each element, in locals; stored where
 * something outside the group reads them. `consts`: the tape's constants.
 */
export function forward(runs: readonly Run[], escapes: readonly boolean[], consts: readonly number[]): FunctionBody {
  const loop = new Loop(rowsOf(runs, false, consts.length));
  return loop.emit(runs[0].L, () => {
    const value = runs.map(() => loop.x.local());
    values(loop, runs, value, operandReader(loop, runs, value, consts), (i) => escapes[i]);
  });
}

/**
 * Backward: the values recomputed (the same operations: the same numbers), then
 * the adjoint w̄ of each run's results, from the last run to the first, adds ∂·w̄
 * to its operands' adjoints: an earlier run's local, or memory. A result read
 * outside the group starts from its adjoint in memory, others from 0; a run
 * whose results only a sum reads starts each from that sum's adjoint,
 * `pulled[i]` the sum's slot (−1: none; see fuse.ts).
 */
export function backward(runs: readonly Run[], escapes: readonly boolean[], pulled: readonly number[],
                         consts: readonly number[]): FunctionBody {
  const nConst = consts.length;
  const sums = pulled.filter((s) => s >= 0).map((s): [number, number] => [ADJ, s]);
  const loop = new Loop([...rowsOf(runs, true, nConst), ...sums]), g = loop.f;
  for (const slot of shiftedWindows(runs, nConst)) loop.carried.set(slot, g.v128());
  return loop.emit(runs[0].L, () => {
    const x = loop.x, value = runs.map(() => x.local()), adjoint = runs.map(() => x.local());
    const valueOf = operandReader(loop, runs, value, consts);
    values(loop, runs, value, valueOf, () => false, valuesReadBackward(runs));
    runs.forEach((r, i) => {
      if (pulled[i] >= 0) {
        loop.address(ADJ, pulled[i], 0);
        x.load(0);
      } else if (escapes[i]) {
        loop.address(ADJ, r.dst, 1);
        x.load(1);
      } else x.constant(0);
      g.set(adjoint[i]);
    });
    // target ± term, where `term` pushes ∂·w̄ (or w̄ itself for ±1). A target in
    // memory gathers its terms in a local, added to memory once per element.
    const gathered = new Map<number, { slot: number; step: number; local: number }>();
    const accumulate = (i: number, slot: number, step: number, subtract: boolean, term: () => void) => {
      if (slot < nConst) return;
      const from = producerIn(runs, i, slot, step);
      let local = from >= 0 ? adjoint[from] : gathered.get(slot * 2 + step)?.local;
      if (local === undefined) { // the first term into this memory target
        local = x.local();
        gathered.set(slot * 2 + step, { slot, step, local });
        if (subtract) x.constant(0);
        term();
        if (subtract) x.op(I.f64_sub);
        g.set(local);
        return;
      }
      g.get(local);
      term();
      x.op(subtract ? I.f64_sub : I.f64_add);
      g.set(local);
    };
    for (let i = runs.length - 1; i >= 0; i--) {
      const r = runs[i];
      const emit = (c: Code): void => {
        switch (c.k) {
          case "a": valueOf(i, r.a, r.aStep); break;
          case "b": valueOf(i, r.b, r.bStep); break;
          case "v": g.get(value[i]); break;
          case "w": g.get(adjoint[i]); break;
          case "num": x.constant(c.x); break;
          case "neg": emit(c.a); x.op(I.f64_neg); break;
          case "op": emit(c.a); emit(c.b); x.op(c.code); break;
        }
      };
      // target += term, or target −= t where the term is −t
      const add = (slot: number, step: number, c: Code) =>
        accumulate(i, slot, step, c.k === "neg", () => emit(c.k === "neg" ? c.a : c));
      if (r.op === Op.Keep) { // w̄ where the guard ≠ 0 (NaN too), else 0, to a alone; the guard takes none
        accumulate(i, r.a, r.aStep, false, () => { g.get(adjoint[i]); valueOf(i, r.b, r.bStep); x.keep(0); });
        continue;
      }
      const terms = adjointTerms(r.op);
      if (terms.length === 1) {
        add(r.a, r.aStep, terms[0]);
      } else if (r.a === r.b && r.aStep === r.bStep && sameCode(terms[0], terms[1])) { // a square: one term, added twice
        if (r.a < nConst) continue; // constants take no adjoint
        const t = terms[0], negative = t.k === "neg", term = x.local();
        emit(negative ? t.a : t);
        g.set(term);
        accumulate(i, r.a, r.aStep, negative, () => g.get(term));
        accumulate(i, r.a, r.aStep, negative, () => g.get(term));
      } else {
        add(r.a, r.aStep, terms[0]);
        add(r.b, r.bStep, terms[1]);
      }
    }
    x.addTo([...gathered.values()].map(({ slot, step, local }) => ({ slot, address: () => loop.address(ADJ, slot, step), step, local })));
  });
}
