// Fusion: a chain of elementwise runs becomes one loop, compiled to WebAssembly
// when the reverse tape is compiled.
//
// On a reverse tape (compile.ts), an elementwise tensor operation is one run
// instruction, but the core still makes one pass over memory per run, forward
// and backward. A *group* of consecutive runs of the same length L, each an
// op this file knows (+, −, ·, /, negation, √), is fused: its forward function
// computes every run at element j before moving to j + 1, keeping intermediate
// values in locals, and its backward function carries adjoints from run to run
// in locals, touching memory only for what enters or leaves the group. The
// functions are emitted here as a small WebAssembly module over the core's
// memory and called from the sweeps through the core's function table
// (assembly/tape.ts: FUSE_BEGIN / FUSE_END mark a group; the interpreted
// instructions stay in the tape for the sweeps that do not use fusion).
//
// Each function takes (vals, adj, B, n): the value rows, the adjoint rows (one
// lane), the block size and the points filled. Element (j, p) of the run at slot
// s is at row(s) + (j·B + p)·8; a broadcast operand's at row(s) + p·8.
//
// The arithmetic is the op table's (assembly/rules.ts), operation for operation:
// values are bit-identical to the interpreted runs; adjoints add the same terms,
// though a slot fed by several runs of a group may receive them in another order
// (element by element rather than run by run), so they agree to rounding.
import { Op } from "./ops.js";
import { F64X2, FunctionBody, I, encodeModule } from "./wasm-encoder.js";

/** Tape markers around a fused group (assembly/tape.ts): word, group index, instruction count. */
export const FUSE_BEGIN = 0xf0, FUSE_END = 0xf1;

const FUSIBLE: ReadonlySet<number> = new Set([Op.Add, Op.Sub, Op.Mul, Op.Div, Op.Neg, Op.Sqrt]);
const BROADCAST_A = 1 << 8, BROADCAST_B = 1 << 9, RUN_SHIFT = 12;
/** Runs shorter than this are not worth a call through the function table. */
const MIN_RUN = 8;
/** Runs per group at most: a function's locals grow with its runs (engines cap them near 50,000). */
const MAX_GROUP = 64;

/** One run instruction, decoded. */
interface Run {
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

/** The tape with its groups marked, and the module that runs them (null: nothing to fuse). */
export interface Fused {
  instr: number[];
  groups: number;
  module: Uint8Array | null;
  /**
   * Slot ranges [lo, hi, lo, hi, …] whose adjoints a fused reverse sweep reads
   * from memory (all but the results that stay inside their group): the only
   * adjoint rows it has to zero first.
   */
  zeroRanges: number[];
}

function decode(instr: readonly number[], k: number): Run {
  const word = instr[k], op = word & 0xff, L = (word >>> RUN_SHIFT) || 1;
  const binary = op !== Op.Neg && op !== Op.Sqrt;
  return {
    op, L, dst: instr[k + 1],
    a: instr[k + 2], aStep: word & BROADCAST_A ? 0 : 1,
    b: instr[k + 3], bStep: word & BROADCAST_B ? 0 : 1, binary,
  };
}

/** Slots an instruction reads (runs: each operand's range; block ops: their aux lists). */
function readSlots(instr: readonly number[], k: number, aux: readonly number[], visit: (slot: number) => void): void {
  const op = instr[k] & 0xff;
  if (op === Op.Input) return;
  if (op >= Op.Det) {
    for (const offset of [instr[k + 2], op === Op.Solve ? instr[k + 3] : -1]) {
      if (offset < 0) continue;
      for (let i = 0; i < aux[offset]; i++) visit(aux[offset + 1 + i]);
    }
    return;
  }
  const r = decode(instr, k);
  for (let j = 0; j < (r.aStep ? r.L : 1); j++) visit(r.a + j);
  if (r.binary) for (let j = 0; j < (r.bStep ? r.L : 1); j++) visit(r.b + j);
}

/**
 * Finds the groups of a reverse tape's instructions (already merged into runs),
 * marks them, and emits their functions. `nConst` slots are constants.
 */
export function fuse(instr: readonly number[], nConst: number, nSlots: number, outSlots: readonly number[],
                     aux: readonly number[]): Fused {
  const nInstr = instr.length / 4;
  const groupOf = new Int32Array(nInstr).fill(-1);
  const groups: number[][] = []; // instruction indices
  const producer = new Int32Array(nSlots).fill(-1); // within the open group: index of the run writing a slot
  let open: number[] = [];
  const close = () => {
    if (open.length >= 2) {
      for (const k of open) groupOf[k] = groups.length;
      groups.push(open);
    }
    for (const k of open) {
      const r = decode(instr, 4 * k);
      producer.fill(-1, r.dst, r.dst + r.L);
    }
    open = [];
  };
  // An operand may read a group's results only whole and aligned (then it is a local).
  const fits = (slot: number, step: number, L: number) => {
    if (slot < nConst) return true;
    const first = producer[slot];
    if (first >= 0) return step === 1 && decode(instr, 4 * first).dst === slot;
    for (let j = 1; j < (step ? L : 1); j++) if (producer[slot + j] >= 0) return false;
    return true;
  };
  for (let k = 0; k < nInstr; k++) {
    const op = instr[4 * k] & 0xff;
    const r = op < Op.Det && op !== Op.Input ? decode(instr, 4 * k) : undefined;
    const fusible = r !== undefined && FUSIBLE.has(r.op) && r.L >= MIN_RUN;
    const joins = fusible && open.length > 0 && open.length < MAX_GROUP && decode(instr, 4 * open[0]).L === r.L &&
      fits(r.a, r.aStep, r.L) && (!r.binary || fits(r.b, r.bStep, r.L));
    if (!joins) close();
    if (fusible) {
      open.push(k);
      producer.fill(k, r.dst, r.dst + r.L);
    }
  }
  close();
  if (groups.length === 0) return { instr: [...instr], groups: 0, module: null, zeroRanges: [] };

  // Results read outside their group (or outputs) keep their values and adjoints in memory.
  const slotGroup = new Int32Array(nSlots).fill(-1);
  for (const [g, members] of groups.entries()) {
    for (const k of members) {
      const r = decode(instr, 4 * k);
      slotGroup.fill(g, r.dst, r.dst + r.L);
    }
  }
  const outside = new Uint8Array(nSlots);
  for (const s of outSlots) outside[s] = 1;
  for (let k = 0; k < nInstr; k++) {
    readSlots(instr, 4 * k, aux, (s) => {
      if (slotGroup[s] >= 0 && slotGroup[s] !== groupOf[k]) outside[s] = 1;
    });
  }

  const bodies: FunctionBody[] = [];
  const inside = new Uint8Array(nSlots); // results whose adjoints live in locals only
  for (const members of groups) {
    const runs = members.map((k) => decode(instr, 4 * k));
    const escapes = runs.map((r) => outside.subarray(r.dst, r.dst + r.L).some((x) => x === 1));
    runs.forEach((r, i) => { if (!escapes[i]) inside.fill(1, r.dst, r.dst + r.L); });
    bodies.push(forward(runs, escapes), backward(runs, escapes, nConst));
  }
  const zeroRanges: number[] = [];
  for (let s = nConst; s < nSlots; ) {
    if (inside[s]) { s++; continue; }
    const lo = s;
    while (s < nSlots && !inside[s]) s++;
    zeroRanges.push(lo, s);
  }
  const marked: number[] = [];
  for (let k = 0; k < nInstr; k++) {
    const g = groupOf[k], members = g >= 0 ? groups[g] : undefined;
    if (members && k === members[0]) marked.push(FUSE_BEGIN, g, members.length, 0);
    for (let i = 0; i < 4; i++) marked.push(instr[4 * k + i]);
    if (members && k === members[members.length - 1]) marked.push(FUSE_END, g, members.length, 0);
  }
  return { instr: marked, groups: groups.length, module: encodeModule(4, bodies), zeroRanges };
}

// Parameters of every fused function.
const VALS = 0, ADJ = 1, BLOCK = 2, FILLED = 3;

/**
 * The arithmetic of one copy of a loop body: f64 for one point, f64x2 for two
 * points of a block at once (the same IEEE operations lane by lane).
 */
interface Arith {
  local(): number;
  /** Value at the address on the stack. */
  load(): void;
  /** Stores (address, value). */
  store(): void;
  constant(x: number): void;
  /** An f64 arithmetic opcode (I.f64_*), or its f64x2 form. */
  op(code: number): void;
}

function scalar(f: FunctionBody): Arith {
  return { local: () => f.f64(), load: () => f.load(), store: () => f.store(), constant: (x) => f.f64Const(x), op: (code) => f.op(code) };
}

function pairs(f: FunctionBody): Arith {
  return {
    local: () => f.v128(), load: () => f.loadV128(), store: () => f.storeV128(),
    constant: (x) => f.f64Const(x).splat(), op: (code) => f.simd(F64X2[code]),
  };
}

/**
 * The frame shared by both directions: a local per row base the body reads
 * (slot s of VALS or ADJ, computed once, before the loops), and the loops over
 * the run's elements j < L and the block's points p < n, with `off` = (j·B + p)·8
 * and `poff` = p·8 set for the body. One point (B = 1, the common case of a
 * single gradient) gets a flat scalar loop; a block takes its points in pairs
 * (f64x2), the last one of an odd count alone, as the core's SIMD loops do.
 */
class Loop {
  readonly f = new FunctionBody(4);
  /** The arithmetic of the copy being emitted. */
  x: Arith = scalar(this.f);
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
   * if (B == 1) { off = 0; do { body } while ((off += 8) < 8L) }
   * else for j < L { for (p = 0; p + 1 < n; p += 2) body on p, p+1; if (p < n) body on p }
   * (`body` is called once per copy, with `x` set to that copy's arithmetic).
   */
  emit(L: number, body: () => void): FunctionBody {
    const f = this.f, j = f.i32(), p = f.i32(), rowOff = f.i32();
    const at = () => f.get(p).i32Const(3).op(I.i32_shl).tee(this.poff).get(rowOff).op(I.i32_add).set(this.off);
    f.get(BLOCK).i32Const(1).op(I.i32_eq).if();
    f.i32Const(0).set(this.off).i32Const(0).set(this.poff);
    f.loop();
    this.x = scalar(f);
    body();
    f.get(this.off).i32Const(8).op(I.i32_add).tee(this.off).i32Const(8 * L).op(I.i32_lt_s).brIf(0);
    f.end();
    f.else();
    f.i32Const(0).set(j);
    f.loop();
    f.get(j).get(this.rowBytes).op(I.i32_mul).set(rowOff);
    f.i32Const(0).set(p);
    f.block().loop(); // pairs of points
    f.get(p).i32Const(1).op(I.i32_add).get(FILLED).op(I.i32_ge_s).brIf(1);
    at();
    this.x = pairs(f);
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

/** The rows of every slot the runs name, in VALS (and in ADJ when `adjoints`). */
function rowsOf(runs: readonly Run[], adjoints: boolean): [number, number][] {
  const rows: [number, number][] = [];
  for (const r of runs) {
    for (const slot of r.binary ? [r.dst, r.a, r.b] : [r.dst, r.a]) {
      rows.push([VALS, slot]);
      if (adjoints) rows.push([ADJ, slot]);
    }
  }
  return rows;
}

const OPCODE: Record<number, number> = {
  [Op.Add]: I.f64_add, [Op.Sub]: I.f64_sub, [Op.Mul]: I.f64_mul, [Op.Div]: I.f64_div, [Op.Neg]: I.f64_neg, [Op.Sqrt]: I.f64_sqrt,
};

/** Index of the group run whose results an operand reads (aligned), or −1 (memory). */
function producerIn(runs: readonly Run[], before: number, slot: number, step: number): number {
  if (step !== 1) return -1;
  for (let i = before - 1; i >= 0; i--) if (runs[i].dst === slot) return i;
  return -1;
}

/**
 * Emits every run's value at the element into `value` locals, reading each
 * operand from memory once per element (then from a local) or from an earlier
 * run's local. `stored(i)`: whether run i's value is also written to memory.
 */
function values(loop: Loop, runs: readonly Run[], value: readonly number[], stored: (i: number) => boolean): void {
  const g = loop.f, x = loop.x, loaded = new Map<number, number>(); // slot·2 + step → local, per element
  const operand = (i: number, slot: number, step: number) => {
    const from = producerIn(runs, i, slot, step);
    if (from >= 0) {
      g.get(value[from]);
      return;
    }
    const key = slot * 2 + step;
    let local = loaded.get(key);
    if (local === undefined) {
      local = x.local();
      loaded.set(key, local);
      loop.address(VALS, slot, step);
      x.load();
      g.set(local);
    }
    g.get(local);
  };
  runs.forEach((r, i) => {
    operand(i, r.a, r.aStep);
    if (r.binary) operand(i, r.b, r.bStep);
    x.op(OPCODE[r.op]);
    g.set(value[i]);
    if (stored(i)) {
      loop.address(VALS, r.dst, 1);
      g.get(value[i]);
      x.store();
    }
  });
}

/** Forward: every run's values at each element, in locals; stored where something outside the group reads them. */
function forward(runs: readonly Run[], escapes: readonly boolean[]): FunctionBody {
  const loop = new Loop(rowsOf(runs, false));
  return loop.emit(runs[0].L, () => values(loop, runs, runs.map(() => loop.x.local()), (i) => escapes[i]));
}

/**
 * Backward: the values recomputed (the same operations: the same numbers), then
 * the adjoint w̄ of each run's results, from the last run to the first, adds ∂·w̄
 * to its operands' adjoints: an earlier run's local, or memory. A result read
 * outside the group starts from its adjoint in memory, others from 0.
 */
function backward(runs: readonly Run[], escapes: readonly boolean[], nConst: number): FunctionBody {
  const loop = new Loop(rowsOf(runs, true)), g = loop.f;
  return loop.emit(runs[0].L, () => {
    const x = loop.x, value = runs.map(() => x.local()), adjoint = runs.map(() => x.local());
    values(loop, runs, value, () => false);
    const valueOf = (i: number, slot: number, step: number) => {
      const from = producerIn(runs, i, slot, step);
      if (from >= 0) g.get(value[from]);
      else {
        loop.address(VALS, slot, step);
        x.load();
      }
    };
    runs.forEach((r, i) => {
      if (escapes[i]) {
        loop.address(ADJ, r.dst, 1);
        x.load();
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
      const r = runs[i], w = () => g.get(adjoint[i]);
      switch (r.op) {
        case Op.Add:
          accumulate(i, r.a, r.aStep, false, w);
          accumulate(i, r.b, r.bStep, false, w);
          break;
        case Op.Sub:
          accumulate(i, r.a, r.aStep, false, w);
          accumulate(i, r.b, r.bStep, true, w);
          break;
        case Op.Neg:
          accumulate(i, r.a, r.aStep, true, w);
          break;
        case Op.Mul: // ∂a = b, ∂b = a
          accumulate(i, r.a, r.aStep, false, () => { valueOf(i, r.b, r.bStep); w(); x.op(I.f64_mul); });
          accumulate(i, r.b, r.bStep, false, () => { valueOf(i, r.a, r.aStep); w(); x.op(I.f64_mul); });
          break;
        case Op.Div: // ∂a = 1/b, ∂b = −v/b
          accumulate(i, r.a, r.aStep, false, () => { x.constant(1); valueOf(i, r.b, r.bStep); x.op(I.f64_div); w(); x.op(I.f64_mul); });
          accumulate(i, r.b, r.bStep, false, () => {
            g.get(value[i]);
            valueOf(i, r.b, r.bStep);
            x.op(I.f64_div);
            x.op(I.f64_neg);
            w();
            x.op(I.f64_mul);
          });
          break;
        case Op.Sqrt: // ∂a = ½/v
          accumulate(i, r.a, r.aStep, false, () => { x.constant(0.5); g.get(value[i]); x.op(I.f64_div); w(); x.op(I.f64_mul); });
          break;
      }
    }
    for (const { slot, step, local } of gathered.values()) {
      loop.address(ADJ, slot, step);
      loop.address(ADJ, slot, step);
      x.load();
      g.get(local);
      x.op(I.f64_add);
      x.store();
    }
  });
}
