// The reverse (adjoint) sweep over blocks of B points, K cotangent lanes at once.
//
// A forward pass (values.ts) evaluates the slots and keeps each instruction's partials (the
// op table's rows, copied per instruction, or its ±1 sentinels) — all but fused
// groups and sums whose values nothing in the sweep reads (fuse.ts flags them
// VALUES_UNREAD; a fused group's backward function recomputes its own); the backward
// pass then walks the instructions in reverse, adding ∂·w̄ into the operands'
// adjoints. It runs on a tape compiled without slot reuse, so every value the
// rules read (operand rows for a·b, matrices for det/inv/solve) is still there.
//
// Runs. An instruction may apply its op to L consecutive slots at once (a run,
// from an elementwise tensor operation); since rows of consecutive slots are
// contiguous, its forward pass is one call of the op table over L·B values. A
// broadcast operand (one slot for the whole run) of +, −, ·, / is read in place
// (applyBroadcast; ∂(a·c)/∂a is then c's one row); for other ops it is first
// spelled out L times in scratch. Its partials get 2·L rows of their own.
//
// Lanes: with identity seeding, lane l is the cotangent of output lane0 + l (a
// row of the Jacobian); otherwise one lane seeded per output from `sw.seeds`, a
// one-segment table shaped like the output (a vector-Jacobian product wᵀJ). Each slot's mask says which adjoint lanes
// are live; a lane becomes live (its row zeroed) the first time anything flows
// into it, so lanes no output reaches cost nothing. Inputs nothing reaches are
// never written by the backward pass: their results are zeroed first. Results go where forward
// mode writes tangents, with "output o" read as "input i", for the inputs in
// [rangeLo, rangeHi):
//   tangents[p*tPoint + (i − rangeLo)*tOut + l*tLane + tOffset] = ∂(cotangent lane l)/∂x_i

import { Op, Sweep, Tape, FIRST_BLOCK, opArity, opOf, runOf, pairedInputs, BROADCAST_A, BROADCAST_B, FUSE_BEGIN, FUSE_END, VALUES_UNREAD, NO_ADJOINT, SUM_PULLED, FIRST_A, FIRST_B, READS_SUM, READ_BY_RUN, SEGMENT_SHIFT } from "../core/tape";
import { applyBroadcast, partialIsBroadcast, ONE, MINUS_ONE } from "../core/rules";
import { applyBlockReverse, resultMask, operandList, resultList } from "../core/blocks";
import { valuePass } from "./values";
import {
  Kind, PARTIAL_ROWS, row, maskBytes, blockScratchAt, fillRow, mask, setMask, fillConstants, gather, inputRows, term, term1, scatterValues,
  scaledTerm, scaledTerm1, keepRow, scatterTangent, interleave,
} from "../core/rows";

/** Adjoints (K lanes) of every input at every point, seeded per `sw.seeds` (a reverse sweep returns no values). */
export function reverseSweep(sw: Sweep): void {
  const tape = changetype<Tape>(sw.tape);
  const B = sw.block, K = sw.lanes, nConst = tape.nConst, nIn = tape.nIn, nOut = tape.nOut, nInstr = tape.nInstr;
  const vals = sw.work, adj = row(vals, tape.nSlots, B);
  const inRows = row(adj, tape.nSlots * K + PARTIAL_ROWS, B), seedRows = row(inRows, nIn, B), partials = row(seedRows, nOut, B);
  const masks = row(partials, PARTIAL_ROWS * tape.nSlots, B), addresses = masks + maskBytes(tape);
  const blockScratch = blockScratchAt(tape, Kind.Reverse, vals, B, K);
  const spellA = blockScratch + <usize>tape.blockScratch, spellB = row(spellA, tape.maxRun, B);
  fillConstants(tape, vals, B);
  // Seeds: the cotangent of each output. With one lane and one output (or a
  // dense cotangent) every value reaches what is seeded, so all adjoints are
  // live from the start: zeroed once, then only added to, with no mask checks;
  // fused groups (which keep no masks) run then.
  const allLive = K == 1 && (nOut == 1 || sw.seeds != 0);
  const fused = allLive && tape.fusedBase != 0;
  // (with every adjoint live, a tape's plan says which rows to zero at a block's start, and
  // which pulls zero their operands' rows just before: then no row is zeroed long before use.
  // It assumes fused groups run fused: where generated code was refused, every row is zeroed.)
  const planned = allLive && tape.adjointFirsts >= 0 && (fused || tape.fusedZero < 0);
  const firsts = planned ? tape.aux + (<usize>(tape.adjointFirsts + 1) << 2) : 0;
  if (allLive) liveMasks(tape, masks);
  // With every adjoint live, each input the tape loads gets its result written;
  // only inputs it never loads (nothing depends on them) need their zeros.
  // (a sum being formed starts from the caller's zeros: an input not loaded adds nothing)
  if (sw.tangents && !sw.accumulate && !(allLive && tape.allInputs)) zeroResults(sw, K);
  for (let start = 0; start < sw.count; start += B) {
    const cnt = min(B, sw.count - start), n = cnt;
    const inputs = inputRows(sw.inputs, sw.nSegments, start, cnt, n, inRows, B);

    // Forward: values, and each instruction's partials (where they are: at addresses + 32k).
    // (with the values asked for too, what a gradient alone would skip is computed: valueAndGrad)
    valuePass(tape, vals, inputs, B, n, blockScratch, partials, addresses, fused, fused && !sw.values,
              tape.inputsKept && start != 0 ? sw.inputs : 0, sw.nSegments);
    if (sw.values) scatterValues(tape, sw, vals, start, cnt);

    if (!allLive) for (let s = 0; s < tape.nSlots; s++) setMask(masks, s, 0);
    if (firsts) {
      const ranges = tape.aux + (<usize>tape.adjointZero << 2);
      for (let i = 0, c = load<i32>(ranges); i < c; i += 2) {
        const lo = load<i32>(ranges + (<usize>(i + 1) << 2)), hi = load<i32>(ranges + (<usize>(i + 2) << 2));
        fillRow(row(adj, lo, B), (hi - lo) * B, 0);
      }
    } else if (fused) {
      const ranges = tape.aux + (<usize>tape.fusedZero << 2);
      for (let i = 0, c = load<i32>(ranges); i < c; i += 2) {
        const lo = load<i32>(ranges + (<usize>(i + 1) << 2)), hi = load<i32>(ranges + (<usize>(i + 2) << 2));
        fillRow(row(adj, lo, B), (hi - lo) * B, 0);
      }
    } else if (allLive) fillRow(row(adj, nConst, B), (tape.nSlots - nConst) * B, 0);
    if (sw.seeds) gather(sw.seeds, 1, start, cnt, n, seedRows, B); // one segment: the output
    for (let o = 0; o < nOut; o++) {
      const s = load<i32>(tape.outSlots + (<usize>o << 2));
      if (s < nConst) continue; // a constant output: no adjoint flows anywhere
      const l = sw.seeds ? 0 : o - sw.lane0;
      if (l < 0 || l >= K) continue;
      if (!allLive) touch(adj, masks, s, <u32>1 << l, K, B, n);
      const r = row(adj, s * K + l, B);
      if (sw.seeds) addRow(r, row(seedRows, o, B), n);
      else addOnes(r, n);
    }

    // Backward.
    for (let k = nInstr - 1; k >= 0; k--) {
      const ins = tape.instr + (<usize>k << 4);
      const word = load<i32>(ins), op = opOf(word), dst = load<i32>(ins, 4), a = load<i32>(ins, 8), b = load<i32>(ins, 12);
      if (op >= FUSE_BEGIN) {
        if (fused && op == FUSE_END) {
          call_indirect<void>(<u32>(tape.fusedBase + 2 * dst + 1), vals, adj, B, n);
          k -= a + 1;
        }
        continue;
      }
      if (word & NO_ADJOINT) continue;
      if (op >= FIRST_BLOCK) {
        if (fused && op == Op.Sum && b == SUM_PULLED) continue; // the group before it reads the sum's adjoint
        if (firsts && load<i32>(firsts + (<usize>k << 2)) & READ_BY_RUN) continue; // and here, the run before it
        const m = resultMask(tape, dst, masks);
        if (!m) continue;
        if (!allLive) { // (all live: zeroed at the start)
          touchList(adj, masks, operandList(tape, op, a, b, 0), nConst, m, K, B, n);
          touchList(adj, masks, operandList(tape, op, a, b, 1), nConst, m, K, B, n);
        }
        if (firsts && load<i32>(firsts + (<usize>k << 2)) & FIRST_A) { // a contiguous sum whose terms nothing reached yet
          const terms = operandList(tape, op, a, b, 0);
          fillRow(row(adj, load<i32>(terms, 4), B), load<i32>(terms) * B, 0);
        }
        applyBlockReverse(tape, word, dst, a, b, vals, adj, masks, B, K, n, m, blockScratch);
        continue;
      }
      const L = runOf(word);
      if (op == Op.Input) {
        // Inputs a, a+step, … (those in range): their adjoints are the results.
        const step = b > 1 ? b : 1;
        const jLo = a >= sw.rangeLo ? 0 : (sw.rangeLo - a + step - 1) / step;
        const jHi = sw.rangeHi <= a ? 0 : min(L, (sw.rangeHi - a + step - 1) / step);
        if (allLive) {
          // this column of pairs and the one the instruction before loaded, both wanted whole: in one pass
          const pair = !sw.accumulate && B == 1 && cnt == 1 && sw.tOut == 1 && step == 2 ? pairedInputs(tape, k - 1) : 0;
          const first = pair > 0 ? a - 1 : a;
          if (pair != 0 && first >= sw.rangeLo && first + 2 * L <= sw.rangeHi) {
            const other = load<i32>(ins - 16, 4); // (the rows the instruction before loaded)
            const to = sw.tangents + ((<usize>start * sw.tPoint + (first - sw.rangeLo) + sw.tOffset) << 3);
            if (pair > 0) interleave(to, row(adj, other, 1), row(adj, dst, 1), L);
            else interleave(to, row(adj, dst, 1), row(adj, other, 1), L);
            k--;
            continue;
          }
          if (sw.accumulate) addLive(sw, adj, dst + jLo, a + jLo * step - sw.rangeLo, jHi - jLo, step, start, cnt, B);
          else scatterLive(sw, adj, dst + jLo, a + jLo * step - sw.rangeLo, jHi - jLo, step, start, cnt, B);
          continue;
        }
        for (let j = jLo; j < jHi; j++) {
          let m = mask(masks, dst + j);
          while (m) {
            const l = <i32>ctz(m);
            m &= m - 1;
            scatterTangent(sw, a + j * step - sw.rangeLo, l, start, cnt, row(adj, (dst + j) * K + l, B));
          }
        }
        continue;
      }
      const at = addresses + (<usize>k << 5);
      const pa = <usize>load<u32>(at), pb = <usize>load<u32>(at, 4), sa = <usize>load<u32>(at, 8), sb = <usize>load<u32>(at, 12);
      const sStep = load<i32>(at, 16);
      const bcA = (word & BROADCAST_A) != 0, bcB = (word & BROADCAST_B) != 0;
      const aStep = bcA ? 0 : 1, bStep = bcB ? 0 : 1;
      const paStep = partialIsBroadcast(op, bcA, bcB, 0) ? 0 : 1, pbStep = partialIsBroadcast(op, bcA, bcB, 1) ? 0 : 1;
      // Keep: the result's adjoint, read by nothing after this, is zeroed where the guard is 0
      // (even a NaN one), then flows to a alone.
      const keepOp = op == Op.Keep;
      if (keepOp) keepAdjoints(adj, masks, dst, L, row(vals, b, B), bStep, K, B, n, allLive);
      const pullsB = opArity(op) == 2 && !keepOp;
      if (allLive) {
        const first = firsts ? load<i32>(firsts + (<usize>k << 2)) : 0;
        // (dot products: each result's adjoint is that of the sum of its stretch of S, the sums
        // right after the run, whose results are consecutive from the first one's)
        const S = first & READS_SUM ? first >>> SEGMENT_SHIFT : 1;
        const w = first & READS_SUM ? row(adj, load<i32>(resultList(tape, load<i32>(ins, 16 + 4)), 4), B) : row(adj, dst, B);
        if (first & FIRST_A) fillRow(row(adj, a, B), L * B, 0); // (rows nothing reached yet: see adjoint-plan.ts)
        pullLive(adj, nConst, w, S, L, a, aStep, pa, paStep, sa, sStep, B, n);
        if (first & FIRST_B) fillRow(row(adj, b, B), L * B, 0);
        if (pullsB) pullLive(adj, nConst, w, S, L, b, bStep, pb, pbStep, sb, sStep, B, n);
      } else {
        pullRun(adj, masks, nConst, dst, L, a, aStep, pa, paStep, sa, sStep, K, B, n);
        if (pullsB) pullRun(adj, masks, nConst, dst, L, b, bStep, pb, pbStep, sb, sStep, K, B, n);
      }
    }
  }
}

/**
 * The adjoint flow into one operand of a run: for each result j (slot dst+j) and
 * each live lane, adj[s_j] += ∂_j · adj[dst+j], where s_j = a + j·step and ∂_j is
 * row j of the partials at `d` (or the sentinel ±1), divided by row j of the scale
 * `sc` if there is one (rows.ts scaledTerm; one row for the run if `sStep` is 0).
 * A lane that was not live in s_j is written instead of added to, so adjoint rows
 * need no clearing.
 */
function pullRun(adj: usize, masks: usize, nConst: i32, dst: i32, L: i32, a: i32, step: i32, d: usize, dStep: i32,
                 sc: usize, sStep: i32, K: i32, B: i32, n: i32): void {
  const sentinel = d <= MINUS_ONE, oneRow = sentinel || dStep == 0;
  if (K == 1 && L > 1 && step == 1 && a >= nConst && (dStep == 1 || sentinel) && !sc && pullRunBulk(adj, masks, dst, L, a, d, B, n)) return;
  const end = <usize>n << 3, rowBytes = <usize>B << 3;
  for (let j = 0; j < L; j++) {
    let m = mask(masks, dst + j);
    const s = a + j * step;
    if (!m || s < nConst) continue;
    const live = mask(masks, s);
    setMask(masks, s, live | m);
    const dj = oneRow ? d : d + <usize>j * rowBytes, sj = sc && sStep ? sc + <usize>j * rowBytes : sc;
    while (m) {
      const l = <i32>ctz(m);
      m &= m - 1;
      const t = row(adj, s * K + l, B), w = row(adj, (dst + j) * K + l, B);
      let o: usize = 0;
      if (live & (<u32>1 << l)) {
        for (; o + 8 < end; o += 16) v128.store(t + o, f64x2.add(v128.load(t + o), scaledTerm(dj, sj, w, o)));
        if (o < end) store<f64>(t + o, load<f64>(t + o) + scaledTerm1(dj, sj, w, o));
      } else {
        for (; o + 8 < end; o += 16) v128.store(t + o, scaledTerm(dj, sj, w, o));
        if (o < end) store<f64>(t + o, scaledTerm1(dj, sj, w, o));
      }
    }
  }
}

/**
 * pullRun when every adjoint is live (one lane, zeroed at the start): adj[s_j] +=
 * ∂_j · w̄_j as one SIMD pass over the run's L·B values, or, for a
 * broadcast operand, summed into its one row. The results' adjoints w̄_j are the
 * rows from `w`, one for each stretch of S results (S = 1: row j; dot products'
 * sums have S > 1, and L is a whole number of stretches: compiler/adjoint-plan.ts). A partial with dStep 0 is one row for every j (at one point:
 * one number). A scaled partial (`sc`) takes the row-by-row path.
 */
function pullLive(adj: usize, nConst: i32, w: usize, S: i32, L: i32, a: i32, step: i32, d: usize, dStep: i32,
                  sc: usize, sStep: i32, B: i32, n: i32): void {
  if (a < nConst) return;
  const t = row(adj, a, B), sentinel = d <= MINUS_ONE;
  if (S > 1 && B == 2 && n == 2 && !sc && step == 1 && dStep == 1 && !sentinel) { // dot products, two points
    // (a row is one pair: the general loop below, for any block, costs more per row)
    const stretch = <usize>S << 4;
    for (let o: usize = 0, end = <usize>L << 4, wo = w; o < end; wo += 16) {
      const wv = v128.load(wo);
      for (const next = o + stretch; o < next; o += 16) v128.store(t + o, f64x2.add(v128.load(t + o), f64x2.mul(v128.load(d + o), wv)));
    }
    return;
  }
  if (S > 1 && B > 1 && !sc && step == 1) { // dot products and sums, a block of points
    // (row j's terms are d_j·w̄ of its stretch's sum, point by point: SIMD over the points)
    const rowBytes = <usize>B << 3, end = <usize>n << 3, oneRow = sentinel || dStep == 0;
    for (let j = 0, wj = w; j < L; wj += rowBytes) {
      for (const next = j + S; j < next; j++) {
        const tj = t + <usize>j * rowBytes, dj = oneRow ? d : d + <usize>j * rowBytes;
        let o: usize = 0;
        for (; o + 8 < end; o += 16) v128.store(tj + o, f64x2.add(v128.load(tj + o), term(dj, wj, o)));
        if (o < end) store<f64>(tj + o, load<f64>(tj + o) + term1(dj, wj, o));
      }
    }
    return;
  }
  if (S > 1 && B == 1 && n == 1 && !sc && step == 1) { // dot products and sums, one point
    // (the terms are d_j·w̄ of their stretch's sum; one factor for the run (dStep 0, or ±1) makes them one number a stretch)
    const stretch = <usize>S << 3, perEntry = dStep == 1 && !sentinel;
    for (let o: usize = 0, end = <usize>L << 3, wo = w; o < end; wo += 8) {
      const next = o + stretch;
      if (perEntry) {
        const wv = v128.load64_splat(wo);
        for (; o + 8 < next; o += 16) v128.store(t + o, f64x2.add(v128.load(t + o), f64x2.mul(v128.load(d + o), wv)));
        if (o < next) {
          store<f64>(t + o, load<f64>(t + o) + load<f64>(d + o) * load<f64>(wo));
          o += 8;
        }
      } else {
        const term = term1(d, wo, 0), tv = f64x2.splat(term);
        for (; o + 8 < next; o += 16) v128.store(t + o, f64x2.add(v128.load(t + o), tv));
        if (o < next) {
          store<f64>(t + o, load<f64>(t + o) + term);
          o += 8;
        }
      }
    }
    return;
  }
  if (S == 1 && !sc && step == 1 && (L == 1 || n == B) && (dStep == 1 || sentinel || B == 1)) {
    const end = <usize>(L == 1 ? n : L * B) << 3;
    let o: usize = 0;
    if (d == ONE) for (; o + 8 < end; o += 16) v128.store(t + o, f64x2.add(v128.load(t + o), v128.load(w + o)));
    else if (d == MINUS_ONE) for (; o + 8 < end; o += 16) v128.store(t + o, f64x2.sub(v128.load(t + o), v128.load(w + o)));
    else if (dStep == 0) { // one point, one factor c for the whole run
      const c = v128.load64_splat(d);
      for (; o + 8 < end; o += 16) v128.store(t + o, f64x2.add(v128.load(t + o), f64x2.mul(c, v128.load(w + o))));
      if (o < end) store<f64>(t + o, load<f64>(t + o) + load<f64>(d) * load<f64>(w + o));
      return;
    }
    else for (; o + 8 < end; o += 16) v128.store(t + o, f64x2.add(v128.load(t + o), f64x2.mul(v128.load(d + o), v128.load(w + o))));
    if (o < end) store<f64>(t + o, load<f64>(t + o) + term1(d, w, o));
    return;
  }
  const rowBytes = <usize>B << 3, end = <usize>n << 3, oneRow = sentinel || dStep == 0;
  let wj = w, left = S;
  for (let j = 0; j < L; j++) {
    const tj = step ? t + <usize>j * rowBytes : t, dj = oneRow ? d : d + <usize>j * rowBytes;
    const sj = sc && sStep ? sc + <usize>j * rowBytes : sc;
    for (let o: usize = 0; o < end; o += 8) store<f64>(tj + o, load<f64>(tj + o) + scaledTerm1(dj, sj, wj, o));
    if (--left == 0) { wj += rowBytes; left = S; }
  }
}

/**
 * pullRun's common case in one SIMD pass over L rows: one lane, every result
 * live, and the operand rows all fresh (written) or all live (added to). Returns
 * false, doing nothing, when the masks are mixed.
 */
function pullRunBulk(adj: usize, masks: usize, dst: i32, L: i32, a: i32, d: usize, B: i32, n: i32): bool {
  let resultsLive: u32 = 1, anyOperand: u32 = 0, allOperands: u32 = 1;
  for (let j = 0; j < L; j++) {
    resultsLive &= mask(masks, dst + j);
    const m = mask(masks, a + j);
    anyOperand |= m;
    allOperands &= m;
  }
  if (!resultsLive || anyOperand != allOperands) return false;
  if (n != B) return false; // a part-filled block: the contiguous pass needs whole rows
  for (let j = 0; j < L; j++) setMask(masks, a + j, 1);
  const t = row(adj, a, B), w = row(adj, dst, B), end = <usize>(L * B) << 3;
  let o: usize = 0;
  if (allOperands) {
    if (d == ONE) for (; o + 8 < end; o += 16) v128.store(t + o, f64x2.add(v128.load(t + o), v128.load(w + o)));
    else if (d == MINUS_ONE) for (; o + 8 < end; o += 16) v128.store(t + o, f64x2.sub(v128.load(t + o), v128.load(w + o)));
    else for (; o + 8 < end; o += 16) v128.store(t + o, f64x2.add(v128.load(t + o), f64x2.mul(v128.load(d + o), v128.load(w + o))));
    if (o < end) store<f64>(t + o, load<f64>(t + o) + term1(d, w, o));
  } else {
    if (d == ONE) for (; o + 8 < end; o += 16) v128.store(t + o, v128.load(w + o));
    else if (d == MINUS_ONE) for (; o + 8 < end; o += 16) v128.store(t + o, f64x2.neg(v128.load(w + o)));
    else for (; o + 8 < end; o += 16) v128.store(t + o, f64x2.mul(v128.load(d + o), v128.load(w + o)));
    if (o < end) store<f64>(t + o, term1(d, w, o));
  }
  return true;
}

/** Zeroes every place the sweep may write a result: lanes < K of inputs [rangeLo, rangeHi) at every point. */
function zeroResults(sw: Sweep, K: i32): void {
  if (K == 1 && sw.tOut == 1) { // a gradient's layout: each point's results are one stretch
    for (let p = 0; p < sw.count; p++) fillRow(sw.tangents + ((<usize>p * sw.tPoint + sw.tOffset) << 3), sw.rangeHi - sw.rangeLo, 0);
    return;
  }
  for (let p = 0; p < sw.count; p++) {
    for (let i = sw.rangeLo; i < sw.rangeHi; i++) {
      const at = sw.tangents + ((<usize>p * sw.tPoint + (i - sw.rangeLo) * sw.tOut + sw.tOffset) << 3);
      for (let l = 0; l < K; l++) store<f64>(at + (<usize>(l * sw.tLane) << 3), 0);
    }
  }
}

/**
 * Adjoint rows of `count` consecutive input slots (one live lane; none if count ≤ 0)
 * to inputs `first`, `first` + `step`, … of `sw.tangents`.
 */
function scatterLive(sw: Sweep, adj: usize, slot: i32, first: i32, count: i32, step: i32, start: i32, cnt: i32, B: i32): void {
  const inStride = <usize>(sw.tOut * step) << 3, rowBytes = <usize>B << 3;
  if (B == 1 && sw.tOut == 1 && step == 1) { // one point's gradient: consecutive rows to consecutive places
    if (count > 0) memory.copy(sw.tangents + ((<usize>start * sw.tPoint + first + sw.tOffset) << 3), row(adj, slot, 1), <usize>count << 3);
    return;
  }
  for (let p = 0; p < cnt; p++) {
    let to = sw.tangents + ((<usize>(start + p) * sw.tPoint + first * sw.tOut + sw.tOffset) << 3);
    let from = row(adj, slot, B) + (<usize>p << 3);
    for (let j = 0; j < count; j++, to += inStride, from += rowBytes) store<f64>(to, load<f64>(from));
  }
}

/**
 * scatterLive's rows added to one place (Sweep.accumulate): each point's, in
 * point order, times its weight where there are weights, as moments.ts addRows
 * adds per-point rows, so a batch's sum has the same bits either way.
 */
function addLive(sw: Sweep, adj: usize, slot: i32, first: i32, count: i32, step: i32, start: i32, cnt: i32, B: i32): void {
  const inStride = <usize>(sw.tOut * step) << 3, rowBytes = <usize>B << 3;
  const sum = sw.tangents + ((<usize>first * sw.tOut + sw.tOffset) << 3);
  let done = 0;
  if (B == 2 && cnt == 2 && inStride == 8) { // blocks of two points (large tapes): two entries of the sum at a time
    const w0 = f64x2.splat(sw.weights ? load<f64>(sw.weights + (<usize>start << 3)) : 1);
    const w1 = f64x2.splat(sw.weights ? load<f64>(sw.weights + (<usize>(start + 1) << 3)) : 1);
    let to = sum, from = row(adj, slot, 2);
    for (; done + 1 < count; done += 2, to += 16, from += 32) {
      const r0 = v128.load(from), r1 = v128.load(from, 16); // (entry j at points 0, 1), (entry j + 1 at 0, 1)
      const p0 = v128.shuffle<f64>(r0, r1, 0, 2), p1 = v128.shuffle<f64>(r0, r1, 1, 3);
      // point 0's terms, then point 1's, as the loop below adds them (w·x, or x where there are no weights)
      const s0 = f64x2.add(v128.load(to), sw.weights ? f64x2.mul(w0, p0) : p0);
      v128.store(to, f64x2.add(s0, sw.weights ? f64x2.mul(w1, p1) : p1));
    }
    if (done == count) return;
  }
  for (let p = 0; p < cnt; p++) {
    let to = sum + <usize>done * inStride, from = row(adj, slot + done, B) + (<usize>p << 3);
    if (sw.weights) {
      const w = load<f64>(sw.weights + (<usize>(start + p) << 3));
      for (let j = done; j < count; j++, to += inStride, from += rowBytes) store<f64>(to, load<f64>(to) + w * load<f64>(from));
    } else {
      for (let j = done; j < count; j++, to += inStride, from += rowBytes) store<f64>(to, load<f64>(to) + load<f64>(from));
    }
  }
}

/** Keep's rule on its adjoint: each live lane of results dst … dst+L−1 zeroed where row j of `guard` (one row when `step` is 0) is 0. */
function keepAdjoints(adj: usize, masks: usize, dst: i32, L: i32, guard: usize, step: i32, K: i32, B: i32, n: i32, allLive: bool): void {
  const rowBytes = <usize>B << 3;
  for (let j = 0; j < L; j++) {
    const r = step ? guard + <usize>j * rowBytes : guard;
    let m: u32 = allLive ? 1 : mask(masks, dst + j);
    while (m) {
      const l = <i32>ctz(m);
      m &= m - 1;
      keepRow(row(adj, (dst + j) * K + l, B), r, n);
    }
  }
}

/**
 * The masks when every adjoint is live: 1 for every computed slot, the same for
 * every block of points. Only block instructions read masks then (their
 * results'), so only those are set (a run tape has far fewer of them than slots).
 */
function liveMasks(tape: Tape, masks: usize): void {
  for (let k = 0; k < tape.nInstr; k++) {
    const ins = tape.instr + (<usize>k << 4), op = opOf(load<i32>(ins));
    if (op < FIRST_BLOCK || op >= FUSE_BEGIN) continue;
    const results = resultList(tape, load<i32>(ins, 4));
    for (let i = 0, c = load<i32>(results); i < c; i++) setMask(masks, load<i32>(results + (<usize>(i + 1) << 2)), 1);
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
  for (let o: usize = 0, end = <usize>n << 3; o < end; o += 8) store<f64>(dst + o, load<f64>(dst + o) + load<f64>(src + o));
}

// @ts-ignore: decorator
@inline function addOnes(dst: usize, n: i32): void {
  for (let o: usize = 0, end = <usize>n << 3; o < end; o += 8) store<f64>(dst + o, load<f64>(dst + o) + 1);
}
