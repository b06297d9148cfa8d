// The sweeps: value, forward (K tangent lanes) and central finite differences,
// each over blocks of B points laid out structure-of-arrays.
//
//   workspace (from `Sweep.work`, sized by `workSize`), every row B f64:
//   ┌──────────────┬──────────────────┬────┬────┬─────────┬───────────┬─────────────────────┬───────┬─────────┐
//   │ vals[nSlots] │ tans[nSlots × K] │ da │ db │ in[nIn] │ seed[nIn] │ fd only: pert[nIn]  │ masks │ block   │
//   │              │ (forward only)   │    │    │         │ (fwd, fd) │ fPlus[nOut] diff    │ (u32) │ scratch │
//   │              │                  │    │    │         │           │ [nOut × K] step     │       │         │
//   └──────────────┴──────────────────┴────┴────┴─────────┴───────────┴─────────────────────┴───────┴─────────┘
//   value of slot s at point p:         vals + (s·B + p)·8
//   tangent lane l of slot s at p:      tans + ((s·K + l)·B + p)·8
//
// A block of cnt points is padded to an even count so the SIMD loops need no
// tail; padded points hold zeros and their results are never written out.
//
// Structural zeros. Each slot carries a bit mask of the lanes that may be
// nonzero (`masks`, one u32 per slot, so K ≤ 32): constants have none, an input
// has all K (dense seeds) or, with identity seeding (a Jacobian), only the lane
// that differentiates by it; an op's mask is the union of its operands'. Lanes
// outside a mask are neither computed nor read, which skips most of the lane work
// of functions whose parts each use a few inputs (a·b in a matrix product uses two).

import { Op, Sweep, Tape, opArity } from "./tape";
import { applyRule, partialA, partialB, ONE, MINUS_ONE } from "./rules";
import { applyBlock, blockMask, setBlockMasks } from "./blocks";

/** Sweep kinds, for `workSize`. */
export const enum Kind { Value = 0, Forward = 1, FiniteDiff = 2 }

// ∛ε: the central-difference step for a variable of unit scale.
// @ts-ignore: decorator
@inline const CBRT_EPS: f64 = 6.055454452393343e-6;

// @ts-ignore: decorator
@inline function row(base: usize, index: i32, B: i32): usize {
  return base + ((<usize>index * <usize>B) << 3);
}

/** Rows of B f64 a sweep of `kind` lays out in its workspace (see the diagram). */
function workRows(tape: Tape, kind: i32, K: i32): i32 {
  let rows = tape.nSlots + 2 + tape.nIn;
  if (kind == Kind.Forward) rows += tape.nSlots * K + tape.nIn;
  if (kind == Kind.FiniteDiff) rows += 2 * tape.nIn + tape.nOut + tape.nOut * K + 1;
  return rows;
}

/** Bytes of the lane masks (u32 per slot), rounded to keep what follows 16-byte aligned. */
// @ts-ignore: decorator
@inline function maskBytes(tape: Tape): usize {
  return ((<usize>tape.nSlots << 2) + 15) & ~15;
}

/** Where the block ops' per-point scratch starts: after the rows and the masks. */
// @ts-ignore: decorator
@inline function blockScratchAt(tape: Tape, kind: i32, work: usize, B: i32, K: i32): usize {
  return row(work, workRows(tape, kind, K), B) + maskBytes(tape);
}

/** Bytes of workspace a sweep of `kind` needs for blocks of B points and K lanes. */
export function workSize(tape: Tape, kind: i32, B: i32, K: i32): i32 {
  return workRows(tape, kind, K) * B * 8 + <i32>maskBytes(tape) + tape.blockScratch;
}

/** Evaluates the outputs at every point: values[p*nOut + o]. */
export function valueSweep(sw: Sweep): void {
  const tape = changetype<Tape>(sw.tape);
  const B = sw.block, vals = sw.work;
  const inRows = row(vals, tape.nSlots + 2, B), blockScratch = blockScratchAt(tape, Kind.Value, vals, B, 1);
  fillConstants(tape, vals, B);
  for (let start = 0; start < sw.count; start += B) {
    const cnt = min(B, sw.count - start), n = (cnt + 1) & ~1;
    gather(sw.inputs, sw.nSegments, start, cnt, n, inRows, B);
    valueBlock(tape, vals, inRows, B, n, blockScratch);
    scatterValues(tape, sw, vals, start, cnt);
  }
}

/** Evaluates values (if `sw.values`) and K tangent lanes seeded by `sw.seeds`. */
export function forwardSweep(sw: Sweep): void {
  const tape = changetype<Tape>(sw.tape);
  const B = sw.block, K = sw.lanes, nConst = tape.nConst, lane0 = sw.lane0;
  const identity = sw.seeds == 0;
  const vals = sw.work, tans = row(vals, tape.nSlots, B);
  const da = row(tans, tape.nSlots * K, B), db = row(da, 1, B), inRows = row(db, 1, B);
  const seedRows = row(inRows, tape.nIn, B), masks = row(seedRows, tape.nIn, B);
  const blockScratch = blockScratchAt(tape, Kind.Forward, vals, B, K);
  const allLanes: u32 = K == 32 ? <u32>-1 : (<u32>1 << K) - 1;
  fillConstants(tape, vals, B);
  for (let c = 0; c < nConst; c++) setMask(masks, c, 0);
  for (let start = 0; start < sw.count; start += B) {
    const cnt = min(B, sw.count - start), n = (cnt + 1) & ~1;
    gather(sw.inputs, sw.nSegments, start, cnt, n, inRows, B);
    if (!identity) gather(sw.seeds, sw.nSegments, start, cnt, n, seedRows, B);
    for (let k = 0; k < tape.nInstr; k++) {
      const ins = tape.instr + (<usize>k << 4);
      const op = load<i32>(ins), dst = load<i32>(ins, 4), a = load<i32>(ins, 8), b = load<i32>(ins, 12);
      if (op == Op.Input) {
        copyRow(row(vals, dst, B), row(inRows, a, B), n);
        const own = a - lane0, tan = row(tans, dst * K, B);
        if (!identity) { // one dense lane
          setMask(masks, dst, allLanes);
          copyRow(tan, row(seedRows, a, B), n);
        } else if (own >= 0 && own < K) { // its own lane is all ones; the others are structural zeros
          setMask(masks, dst, <u32>1 << own);
          fillRow(row(tan, own, B), n, 1);
        } else {
          setMask(masks, dst, 0);
        }
        continue;
      }
      if (op >= Op.Det) {
        const m = blockMask(tape, a, b, op, masks);
        applyBlock(tape, op, dst, a, b, vals, tans, masks, B, K, n, m, blockScratch);
        setBlockMasks(tape, dst, masks, m);
        continue;
      }
      applyRule(op, row(vals, a, B), row(vals, b, B), row(vals, dst, B), da, db, n);
      const aMask = mask(masks, a), bMask = opArity(op) == 2 ? mask(masks, b) : 0;
      let lanes = aMask | bMask;
      setMask(masks, dst, lanes);
      while (lanes) {
        const l = <i32>ctz(lanes);
        lanes &= lanes - 1;
        combineLane(row(tans, dst * K + l, B),
          aMask & (<u32>1 << l) ? row(tans, a * K + l, B) : 0, partialA,
          bMask & (<u32>1 << l) ? row(tans, b * K + l, B) : 0, partialB, n);
      }
    }
    if (sw.values) scatterValues(tape, sw, vals, start, cnt);
    if (sw.tangents) {
      for (let o = 0; o < tape.nOut; o++) {
        const s = load<i32>(tape.outSlots + (<usize>o << 2));
        for (let l = 0; l < K; l++) {
          const live = mask(masks, s) & (<u32>1 << l);
          scatterTangent(sw, o, l, start, cnt, live ? row(tans, s * K + l, B) : 0);
        }
      }
    }
  }
}

/**
 * Central differences along the K seed directions d: (f(x + h·d) − f(x − h·d)) / 2h,
 * with h = ∛ε·max(1, max |x_i| over the i that d moves) / max |d_i|, written where
 * forward mode would write its tangents.
 */
export function finiteDiffSweep(sw: Sweep): void {
  const tape = changetype<Tape>(sw.tape);
  const B = sw.block, K = sw.lanes, nIn = tape.nIn, nOut = tape.nOut;
  const vals = sw.work, inRows = row(vals, tape.nSlots + 2, B), seedRows = row(inRows, nIn, B);
  const pert = row(seedRows, nIn, B), fPlus = row(pert, nIn, B);
  const diff = row(fPlus, nOut, B), step = row(diff, nOut * K, B);
  const blockScratch = blockScratchAt(tape, Kind.FiniteDiff, vals, B, K);
  fillConstants(tape, vals, B);
  for (let start = 0; start < sw.count; start += B) {
    const cnt = min(B, sw.count - start), n = (cnt + 1) & ~1;
    gather(sw.inputs, sw.nSegments, start, cnt, n, inRows, B);
    if (sw.seeds) gather(sw.seeds, sw.nSegments, start, cnt, n, seedRows, B);
    for (let l = 0; l < K; l++) {
      for (let sign = 1; sign >= -1; sign -= 2) {
        perturb(sw, nIn, l, n, inRows, seedRows, pert, step, <f64>sign, B);
        valueBlock(tape, vals, pert, B, n, blockScratch);
        for (let o = 0; o < nOut; o++) {
          const src = row(vals, load<i32>(tape.outSlots + (<usize>o << 2)), B);
          const plus = row(fPlus, o, B), out = row(diff, o * K + l, B);
          if (sign > 0) copyRow(plus, src, n);
          else for (let p = 0; p < n; p++) {
            store<f64>(out + (<usize>p << 3),
              (load<f64>(plus + (<usize>p << 3)) - load<f64>(src + (<usize>p << 3))) /
              (2 * load<f64>(step + (<usize>p << 3))));
          }
        }
      }
    }
    for (let o = 0; o < nOut; o++) {
      for (let l = 0; l < K; l++) scatterTangent(sw, o, l, start, cnt, row(diff, o * K + l, B));
    }
  }
}

// Row copies and clears as SIMD loops: rows are short and 16-byte aligned, and
// the bulk-memory instructions cost a call into the engine each.
// @ts-ignore: decorator
@inline function copyRow(dst: usize, src: usize, n: i32): void {
  for (let o: usize = 0, end = <usize>n << 3; o < end; o += 16) v128.store(dst + o, v128.load(src + o));
}
// @ts-ignore: decorator
@inline function fillRow(dst: usize, n: i32, x: f64): void {
  const v = f64x2.splat(x);
  for (let o: usize = 0, end = <usize>n << 3; o < end; o += 16) v128.store(dst + o, v);
}

// @ts-ignore: decorator
@inline function mask(masks: usize, s: i32): u32 { return load<u32>(masks + (<usize>s << 2)); }
// @ts-ignore: decorator
@inline function setMask(masks: usize, s: i32, m: u32): void { store<u32>(masks + (<usize>s << 2), m); }

/** Runs the tape for values only, inputs taken from the rows at `inRows`. */
function valueBlock(tape: Tape, vals: usize, inRows: usize, B: i32, n: i32, blockScratch: usize): void {
  for (let k = 0; k < tape.nInstr; k++) {
    const ins = tape.instr + (<usize>k << 4);
    const op = load<i32>(ins), dst = load<i32>(ins, 4), a = load<i32>(ins, 8), b = load<i32>(ins, 12);
    if (op == Op.Input) copyRow(row(vals, dst, B), row(inRows, a, B), n);
    else if (op >= Op.Det) applyBlock(tape, op, dst, a, b, vals, 0, 0, B, 0, n, 0, blockScratch);
    else applyRule(op, row(vals, a, B), row(vals, b, B), row(vals, dst, B), 0, 0, n);
  }
}

/** Broadcasts constant i into every point of slot row i (those rows are never overwritten). */
function fillConstants(tape: Tape, vals: usize, B: i32): void {
  for (let c = 0; c < tape.nConst; c++) {
    const s = f64x2.splat(load<f64>(tape.consts + (<usize>c << 3))), r = row(vals, c, B);
    for (let p = 0; p < B; p += 2) v128.store(r + (<usize>p << 3), s);
  }
}

/**
 * Points [start, start+cnt) of a segment table (see Sweep) into rows: entry i of
 * the flat vector goes to row i. Padding gets zeros.
 */
function gather(segments: usize, nSegments: i32, start: i32, cnt: i32, n: i32, rows: usize, B: i32): void {
  let i = 0;
  for (let s = 0; s < nSegments; s++) {
    const seg = segments + (<usize>(s * 12));
    const size = load<i32>(seg), address = load<i32>(seg, 4), stride = load<i32>(seg, 8);
    for (let j = 0; j < size; j++, i++) {
      const r = row(rows, i, B);
      let src = <usize>address + ((<usize>start * stride + j) << 3);
      if (stride == 0) fillRow(r, n, load<f64>(src));
      else for (let p = 0; p < cnt; p++, src += <usize>stride << 3) store<f64>(r + (<usize>p << 3), load<f64>(src));
      if (cnt < n) store<f64>(r + (<usize>cnt << 3), 0);
    }
  }
}

/** Seed entry: the tangent of input i in lane l at block point p (identity, or the seed rows' only lane). */
// @ts-ignore: decorator
@inline function seed(sw: Sweep, seedRows: usize, B: i32, p: i32, l: i32, i: i32): f64 {
  if (sw.seeds == 0) return i == sw.lane0 + l ? 1 : 0;
  return load<f64>(row(seedRows, i, B) + (<usize>p << 3));
}

/** d·t for one pair of points, d a partial row or the sentinel ONE / MINUS_ONE. */
// @ts-ignore: decorator
@inline function term(d: usize, t: usize, o: usize): v128 {
  if (d == ONE) return v128.load(t + o);
  if (d == MINUS_ONE) return f64x2.neg(v128.load(t + o));
  return f64x2.mul(v128.load(d + o), v128.load(t + o));
}

/**
 * One tangent lane of an instruction: t = da·ta + db·tb, where ta / tb is 0 for a
 * term that is structurally zero (a constant operand, or a lane the operand does
 * not depend on).
 */
function combineLane(t: usize, ta: usize, da: usize, tb: usize, db: usize, n: i32): void {
  const end = <usize>n << 3;
  if (ta && tb) {
    if (da == ONE && db == ONE) {
      for (let o: usize = 0; o < end; o += 16) v128.store(t + o, f64x2.add(v128.load(ta + o), v128.load(tb + o)));
    } else if (da == ONE && db == MINUS_ONE) {
      for (let o: usize = 0; o < end; o += 16) v128.store(t + o, f64x2.sub(v128.load(ta + o), v128.load(tb + o)));
    } else {
      for (let o: usize = 0; o < end; o += 16) v128.store(t + o, f64x2.add(term(da, ta, o), term(db, tb, o)));
    }
  } else if (ta || tb) {
    const d = ta ? da : db, s = ta ? ta : tb;
    if (d == ONE) copyRow(t, s, n);
    else for (let o: usize = 0; o < end; o += 16) v128.store(t + o, term(d, s, o));
  } else {
    fillRow(t, n, 0);
  }
}

/** Input rows moved by sign·h along seed lane l; step[p] receives the effective h. */
function perturb(sw: Sweep, nIn: i32, l: i32, n: i32, inRows: usize, seedRows: usize,
                 pert: usize, step: usize, sign: f64, B: i32): void {
  for (let p = 0; p < n; p++) {
    let scale: f64 = 1, dmax: f64 = 0, kmax = 0;
    for (let i = 0; i < nIn; i++) {
      const d = Math.abs(seed(sw, seedRows, B, p, l, i));
      if (d != 0) scale = Math.max(scale, Math.abs(load<f64>(row(inRows, i, B) + (<usize>p << 3))));
      if (d > dmax) { dmax = d; kmax = i; }
    }
    const h = dmax > 0 ? CBRT_EPS * scale / dmax : 0;
    for (let i = 0; i < nIn; i++) {
      const x = load<f64>(row(inRows, i, B) + (<usize>p << 3));
      store<f64>(row(pert, i, B) + (<usize>p << 3), x + sign * h * seed(sw, seedRows, B, p, l, i));
    }
    // The step actually taken (x + h·d − x rounds): exact differences need it.
    if (sign > 0 && dmax > 0) {
      const x = load<f64>(row(inRows, kmax, B) + (<usize>p << 3)), d = seed(sw, seedRows, B, p, l, kmax);
      store<f64>(step + (<usize>p << 3), ((x + h * d) - (x - h * d)) / (2 * d));
    } else if (sign > 0) {
      store<f64>(step + (<usize>p << 3), Infinity); // no direction: the difference is 0
    }
  }
}

function scatterValues(tape: Tape, sw: Sweep, vals: usize, start: i32, cnt: i32): void {
  const nOut = tape.nOut;
  for (let o = 0; o < nOut; o++) {
    const src = row(vals, load<i32>(tape.outSlots + (<usize>o << 2)), sw.block);
    let dst = sw.values + ((<usize>start * nOut + o) << 3);
    for (let p = 0; p < cnt; p++, dst += <usize>nOut << 3) store<f64>(dst, load<f64>(src + (<usize>p << 3)));
  }
}

/** Lane l of output o for the block's points into `sw.tangents`; src 0 writes zeros. */
function scatterTangent(sw: Sweep, o: i32, l: i32, start: i32, cnt: i32, src: usize): void {
  let dst = sw.tangents + ((<usize>start * sw.tPoint + o * sw.tOut + l * sw.tLane + sw.tOffset) << 3);
  const stride = <usize>sw.tPoint << 3;
  for (let p = 0; p < cnt; p++, dst += stride) store<f64>(dst, src ? load<f64>(src + (<usize>p << 3)) : 0);
}
