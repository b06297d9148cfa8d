// The reverse (adjoint) sweep over blocks of B points, K cotangent lanes at once.
//
// A forward pass evaluates every slot and keeps each instruction's partials (the
// op table's rows, copied per instruction, or its ±1 sentinels); the backward
// pass then walks the instructions in reverse, adding ∂·w̄ into the operands'
// adjoints. It runs on a tape compiled without slot reuse, so every value the
// rules read (operand rows for a·b, matrices for det/inv/solve) is still there.
//
// Lanes: with identity seeding, lane l is the cotangent of output lane0 + l (a
// row of the Jacobian); otherwise one lane seeded per output from `sw.seeds`, a
// one-segment table shaped like the output (a vector-Jacobian product wᵀJ). Each slot's mask says which adjoint lanes
// are live; a lane becomes live (its row zeroed) the first time anything flows
// into it, so lanes no output reaches cost nothing. Results go where forward
// mode writes tangents, with "output o" read as "input i", for the inputs in
// [rangeLo, rangeHi):
//   tangents[p*tPoint + (i − rangeLo)*tOut + l*tLane + tOffset] = ∂(cotangent lane l)/∂x_i

import { Op, Sweep, Tape, opArity } from "./tape";
import { applyRule, partialA, partialB } from "./rules";
import { applyBlock, applyBlockReverse, resultMask, operandList } from "./blocks";
import {
  Kind, row, maskBytes, blockScratchAt, copyRow, fillRow, mask, setMask, fillConstants, gather, term,
  scatterValues, scatterTangent,
} from "./rows";

/** Adjoints (K lanes) of every input at every point, seeded per `sw.seeds`; values too if `sw.values`. */
export function reverseSweep(sw: Sweep): void {
  const tape = changetype<Tape>(sw.tape);
  const B = sw.block, K = sw.lanes, nConst = tape.nConst, nIn = tape.nIn, nOut = tape.nOut, nInstr = tape.nInstr;
  const vals = sw.work, adj = row(vals, tape.nSlots, B);
  const inRows = row(adj, tape.nSlots * K + 2, B), seedRows = row(inRows, nIn, B), partials = row(seedRows, nOut, B);
  const masks = row(partials, 2 * nInstr, B), addresses = masks + maskBytes(tape);
  const blockScratch = blockScratchAt(tape, Kind.Reverse, vals, B, K);
  fillConstants(tape, vals, B);
  for (let start = 0; start < sw.count; start += B) {
    const cnt = min(B, sw.count - start), n = (cnt + 1) & ~1;
    gather(sw.inputs, sw.nSegments, start, cnt, n, inRows, B);

    // Forward: values, and where each instruction's partials are.
    for (let k = 0; k < nInstr; k++) {
      const ins = tape.instr + (<usize>k << 4);
      const op = load<i32>(ins), dst = load<i32>(ins, 4), a = load<i32>(ins, 8), b = load<i32>(ins, 12);
      if (op == Op.Input) copyRow(row(vals, dst, B), row(inRows, a, B), n);
      else if (op >= Op.Det) applyBlock(tape, op, dst, a, b, vals, 0, 0, B, 0, n, 0, blockScratch);
      else {
        const da = row(partials, 2 * k, B);
        applyRule(op, row(vals, a, B), row(vals, b, B), row(vals, dst, B), da, da + ((<usize>B) << 3), n);
        store<u32>(addresses + (<usize>k << 3), <u32>partialA);
        store<u32>(addresses + (<usize>k << 3), <u32>partialB, 4);
      }
    }
    if (sw.values) scatterValues(tape, sw, vals, start, cnt);

    // Seeds: the cotangent of each output.
    for (let s = 0; s < tape.nSlots; s++) setMask(masks, s, 0);
    if (sw.seeds) gather(sw.seeds, 1, start, cnt, n, seedRows, B); // one segment: the output
    for (let o = 0; o < nOut; o++) {
      const s = load<i32>(tape.outSlots + (<usize>o << 2));
      if (s < nConst) continue; // a constant output: no adjoint flows anywhere
      const l = sw.seeds ? 0 : o - sw.lane0;
      if (l < 0 || l >= K) continue;
      touch(adj, masks, s, <u32>1 << l, K, B, n);
      const r = row(adj, s * K + l, B);
      if (sw.seeds) addRow(r, row(seedRows, o, B), n);
      else addOnes(r, n);
    }
    for (let i = sw.rangeLo; i < sw.rangeHi; i++) for (let l = 0; l < K; l++) scatterTangent(sw, i - sw.rangeLo, l, start, cnt, 0);

    // Backward.
    for (let k = nInstr - 1; k >= 0; k--) {
      const ins = tape.instr + (<usize>k << 4);
      const op = load<i32>(ins), dst = load<i32>(ins, 4), a = load<i32>(ins, 8), b = load<i32>(ins, 12);
      if (op >= Op.Det) {
        const m = resultMask(tape, dst, masks);
        if (!m) continue;
        touchList(adj, masks, operandList(tape, op, a, b, 0), nConst, m, K, B, n);
        touchList(adj, masks, operandList(tape, op, a, b, 1), nConst, m, K, B, n);
        applyBlockReverse(tape, op, dst, a, b, vals, adj, masks, B, K, n, m, blockScratch);
        continue;
      }
      let m = mask(masks, dst);
      if (!m) continue;
      if (op == Op.Input) {
        if (a < sw.rangeLo || a >= sw.rangeHi) continue;
        while (m) {
          const l = <i32>ctz(m);
          m &= m - 1;
          scatterTangent(sw, a - sw.rangeLo, l, start, cnt, row(adj, dst * K + l, B));
        }
        continue;
      }
      const pa = <usize>load<u32>(addresses + (<usize>k << 3)), pb = <usize>load<u32>(addresses + (<usize>k << 3), 4);
      if (a >= nConst) accumulate(adj, masks, a, pa, dst, m, K, B, n);
      if (opArity(op) == 2 && b >= nConst) accumulate(adj, masks, b, pb, dst, m, K, B, n);
    }
  }
}

/** adj[s] += d · adj[dst] in every lane of `lanes` (d a partial row or a ±1 sentinel). */
function accumulate(adj: usize, masks: usize, s: i32, d: usize, dst: i32, lanes: u32, K: i32, B: i32, n: i32): void {
  touch(adj, masks, s, lanes, K, B, n);
  const end = <usize>n << 3;
  while (lanes) {
    const l = <i32>ctz(lanes);
    lanes &= lanes - 1;
    const t = row(adj, s * K + l, B), w = row(adj, dst * K + l, B);
    for (let o: usize = 0; o < end; o += 16) v128.store(t + o, f64x2.add(v128.load(t + o), term(d, w, o)));
  }
}

/** Makes lanes of slot s live: those not live yet get a zeroed row. */
// @ts-ignore: decorator
@inline function touch(adj: usize, masks: usize, s: i32, lanes: u32, K: i32, B: i32, n: i32): void {
  const old = mask(masks, s);
  let fresh = lanes & ~old;
  if (!fresh) return;
  setMask(masks, s, old | lanes);
  while (fresh) {
    const l = <i32>ctz(fresh);
    fresh &= fresh - 1;
    fillRow(row(adj, s * K + l, B), n, 0);
  }
}

/** `touch` for every non-constant slot of an aux list (0: no list). */
function touchList(adj: usize, masks: usize, list: usize, nConst: i32, lanes: u32, K: i32, B: i32, n: i32): void {
  if (!list) return;
  for (let i = 0, c = load<i32>(list); i < c; i++) {
    const s = load<i32>(list + (<usize>(i + 1) << 2));
    if (s >= nConst) touch(adj, masks, s, lanes, K, B, n);
  }
}

// @ts-ignore: decorator
@inline function addRow(dst: usize, src: usize, n: i32): void {
  for (let o: usize = 0, end = <usize>n << 3; o < end; o += 16) v128.store(dst + o, f64x2.add(v128.load(dst + o), v128.load(src + o)));
}

// @ts-ignore: decorator
@inline function addOnes(dst: usize, n: i32): void {
  const one = f64x2.splat(1);
  for (let o: usize = 0, end = <usize>n << 3; o < end; o += 16) v128.store(dst + o, f64x2.add(v128.load(dst + o), one));
}
