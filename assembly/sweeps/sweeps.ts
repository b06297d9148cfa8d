// The sweeps: value, forward (K tangent lanes) and central finite differences,
// each over blocks of B points laid out structure-of-arrays.
//
// The workspace layout and the row loops are in rows.ts.
//
// Structural zeros. Each slot carries a bit mask of the lanes that may be
// nonzero (`masks`, one u32 per slot, so K ≤ 32): constants have none, an input
// has all K (dense seeds) or, with identity seeding (a Jacobian), only the lane
// that differentiates by it (its color's, with colored seeds); an op's mask is
// the union of its operands'. Lanes
// outside a mask are neither computed nor read, which skips most of the lane work
// of functions whose parts each use a few inputs (a·b in a matrix product uses two).

import { Op, Sweep, Tape, FIRST_BLOCK, opArity, opOf, isFlat } from "../core/tape";
import { applyRule, partialA, partialB, scaleA, scaleB } from "../core/rules";
import { applyBlock, blockMask, setBlockMasks } from "../core/blocks";
import { valuePass } from "./values";
import {
  Kind, PARTIAL_ROWS, row, blockScratchAt, copyRow, fillRow, mask, setMask, fillConstants, gather, inputRows, combineLane, keepRow, scatterValues, scatterTangent,
} from "../core/rows";

// ∛ε: the central-difference step for a variable of unit scale.
// @ts-ignore: decorator
@inline const CBRT_EPS: f64 = 6.055454452393343e-6;

/** Evaluates the outputs at every point: values[p*nOut + o]. */
export function valueSweep(sw: Sweep): void {
  const tape = changetype<Tape>(sw.tape);
  const B = sw.block, vals = sw.work;
  const inRows = row(vals, tape.nSlots + PARTIAL_ROWS, B), blockScratch = blockScratchAt(tape, Kind.Value, vals, B, 1);
  fillConstants(tape, vals, B);
  for (let start = 0; start < sw.count; start += B) {
    const cnt = min(B, sw.count - start), n = cnt;
    const inputs = inputRows(sw.inputs, sw.nSegments, start, cnt, n, inRows, B);
    valueBlock(tape, vals, inputs, B, n, blockScratch, tape.inputsKept && start != 0 ? sw.inputs : 0, sw.nSegments);
    scatterValues(tape, sw, vals, start, cnt);
  }
}

/** Evaluates values (if `sw.values`) and K tangent lanes seeded by `sw.seeds`. */
export function forwardSweep(sw: Sweep): void {
  const tape = changetype<Tape>(sw.tape);
  const B = sw.block, K = sw.lanes, nConst = tape.nConst, lane0 = sw.lane0;
  const identity = sw.seeds == 0;
  const vals = sw.work, tans = row(vals, tape.nSlots, B);
  const da = row(tans, tape.nSlots * K, B), db = row(da, 1, B), ds = row(db, 1, B), inRows = row(ds, 1, B);
  const seedRows = row(inRows, tape.nIn, B), masks = row(seedRows, tape.nIn, B);
  const blockScratch = blockScratchAt(tape, Kind.Forward, vals, B, K);
  const allLanes: u32 = K == 32 ? <u32>-1 : (<u32>1 << K) - 1;
  fillConstants(tape, vals, B);
  for (let c = 0; c < nConst; c++) setMask(masks, c, 0);
  for (let start = 0; start < sw.count; start += B) {
    const cnt = min(B, sw.count - start), n = cnt;
    const inputs = inputRows(sw.inputs, sw.nSegments, start, cnt, n, inRows, B);
    if (!identity) gather(sw.seeds, sw.nSegments, start, cnt, n, seedRows, B);
    for (let k = 0; k < tape.nInstr; k++) {
      const ins = tape.instr + (<usize>k << 4);
      const word = load<i32>(ins), op = opOf(word), dst = load<i32>(ins, 4), a = load<i32>(ins, 8), b = load<i32>(ins, 12);
      if (op == Op.Input) {
        copyRow(row(vals, dst, B), row(inputs, a, B), n);
        const own = (sw.colors ? load<i32>(sw.colors + (<usize>a << 2)) : a) - lane0, tan = row(tans, dst * K, B);
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
      if (op >= FIRST_BLOCK) {
        const m = blockMask(tape, a, b, op, masks);
        applyBlock(tape, word, dst, a, b, vals, tans, masks, B, K, n, m, blockScratch);
        setBlockMasks(tape, dst, masks, m);
        continue;
      }
      applyRule(op, row(vals, a, B), row(vals, b, B), row(vals, dst, B), da, db, ds, n);
      // Keep's second operand takes no derivative (its tangent is masked instead).
      // A comparison (isFlat) passes none: its tangent is a structural zero.
      const keep = op == Op.Keep, flat = isFlat(op);
      const aMask = flat ? 0 : mask(masks, a), bMask = opArity(op) == 2 && !keep && !flat ? mask(masks, b) : 0;
      let lanes = aMask | bMask;
      setMask(masks, dst, lanes);
      while (lanes) {
        const l = <i32>ctz(lanes), t = row(tans, dst * K + l, B);
        lanes &= lanes - 1;
        combineLane(t,
          aMask & (<u32>1 << l) ? row(tans, a * K + l, B) : 0, partialA, scaleA,
          bMask & (<u32>1 << l) ? row(tans, b * K + l, B) : 0, partialB, scaleB, n);
        if (keep) keepRow(t, row(vals, b, B), n);
      }
    }
    if (sw.values) scatterValues(tape, sw, vals, start, cnt);
    if (sw.tangents) {
      for (let o = sw.rangeLo; o < sw.rangeHi; o++) {
        const s = load<i32>(tape.outSlots + (<usize>o << 2));
        for (let l = 0; l < K; l++) {
          const live = mask(masks, s) & (<u32>1 << l);
          scatterTangent(sw, o - sw.rangeLo, l, start, cnt, live ? row(tans, s * K + l, B) : 0);
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
  const vals = sw.work, inRows = row(vals, tape.nSlots + PARTIAL_ROWS, B), seedRows = row(inRows, nIn, B);
  const pert = row(seedRows, nIn, B), fPlus = row(pert, nIn, B);
  const diff = row(fPlus, nOut, B), step = row(diff, nOut * K, B);
  const blockScratch = blockScratchAt(tape, Kind.FiniteDiff, vals, B, K);
  fillConstants(tape, vals, B);
  for (let start = 0; start < sw.count; start += B) {
    const cnt = min(B, sw.count - start), n = cnt;
    const inputs = inputRows(sw.inputs, sw.nSegments, start, cnt, n, inRows, B);
    if (sw.seeds) gather(sw.seeds, sw.nSegments, start, cnt, n, seedRows, B);
    for (let l = 0; l < K; l++) {
      for (let sign = 1; sign >= -1; sign -= 2) {
        perturb(sw, nIn, l, n, inputs, seedRows, pert, step, <f64>sign, B);
        valueBlock(tape, vals, pert, B, n, blockScratch, 0, 0); // (perturbed inputs: every row loaded)
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
    for (let o = sw.rangeLo; o < sw.rangeHi; o++) {
      for (let l = 0; l < K; l++) scatterTangent(sw, o - sw.rangeLo, l, start, cnt, row(diff, o * K + l, B));
    }
  }
}

/** Runs the tape for values only (see values.ts), inputs taken from the rows at `inRows`; `kept` as valuePass takes it. */
function valueBlock(tape: Tape, vals: usize, inRows: usize, B: i32, n: i32, blockScratch: usize, kept: usize, nSegments: i32): void {
  valuePass(tape, vals, inRows, B, n, blockScratch, 0, 0, tape.fusedBase != 0, false, kept, nSegments);
}

/** Seed entry: the tangent of input i in lane l at block point p (identity, or the seed rows' only lane). */
// @ts-ignore: decorator
@inline function seed(sw: Sweep, seedRows: usize, B: i32, p: i32, l: i32, i: i32): f64 {
  if (sw.seeds == 0) return i == sw.lane0 + l ? 1 : 0;
  return load<f64>(row(seedRows, i, B) + (<usize>p << 3));
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

