// One pass over a tape for a block of B points: every instruction's values,
// and for the reverse sweep also each rule's partials, kept for its backward
// pass. The value and finite-difference sweeps run it without partials; the
// reverse sweep's forward pass with them. (The forward sweep combines partials
// with tangents as it goes, and the backward pass walks the tape the other
// way: their loops are their own.)
//
// Runs (reverse-schedule tapes, see tape.ts) are evaluated whole; a broadcast
// operand of +, −, ·, / is read in place (applyBroadcast), of other ops spelled
// out in the scratch after `blockScratch` (2 × maxRun rows).

import { Op, Tape, FIRST_BLOCK, opOf, runOf, pairedInputs, BROADCAST_A, BROADCAST_B, FUSE_BEGIN, VALUES_UNREAD, NO_ADJOINT } from "../core/tape";
import { applyRule, applyBroadcast, broadcasts, partialA, partialB, scaleA, scaleB, scaleBroadcast } from "../core/rules";
import { applyBlock, hostValuesForReverse } from "../core/blocks";
import { PARTIAL_ROWS, row, copyRow, spell, loadBatchedRows, deinterleave } from "../core/rows";

/**
 * Values of every slot for one block (inputs from the rows at `inRows`). With
 * `partials` (an address: 0 for none), each instruction's partials go to rows
 * from there on, and where they are is recorded at `addresses` + 32k as u32: ∂a,
 * ∂b, the scale of ∂a, of ∂b (0: none), and the scales' step (0: one row for a
 * run). `fused`: run the fused groups' value loops; `skipUnread`: skip what a
 * fused reverse sweep never reads (VALUES_UNREAD). `kept`: the segment table
 * (`nSegments` long) when the shared inputs' slot rows still hold this sweep's
 * values (a later block of a tape that keeps its inputs): only batched rows
 * are loaded; 0: every input row is.
 */
export function valuePass(tape: Tape, vals: usize, inRows: usize, B: i32, n: i32, blockScratch: usize,
                          partials: usize, addresses: usize, fused: bool, skipUnread: bool,
                          kept: usize, nSegments: i32): void {
  const spellA = blockScratch + <usize>tape.blockScratch, spellB = row(spellA, tape.maxRun, B);
  let next = partials;
  for (let k = 0; k < tape.nInstr; k++) {
    const ins = tape.instr + (<usize>k << 4);
    const word = load<i32>(ins), op = opOf(word), dst = load<i32>(ins, 4), a = load<i32>(ins, 8), b = load<i32>(ins, 12);
    const L = runOf(word), span = L == 1 ? n : L * B;
    if (skipUnread && (word & VALUES_UNREAD)) { // nothing this sweep runs reads these values
      if (op == FUSE_BEGIN) k += a + 1;
      continue;
    }
    if (op >= FUSE_BEGIN) { // a fused group: its values in one loop (its partials never leave it)
      if (fused && op == FUSE_BEGIN) {
        call_indirect<void>(<u32>(tape.fusedBase + 2 * dst), vals, 0, B, n);
        k += a + 1;
      }
      continue;
    }
    if (op == Op.Input) {
      const pair = b == 2 && B == 1 && n == 1 ? pairedInputs(tape, k) : 0;
      if (pair != 0) { // this instruction's column of pairs and the next one's, in one pass
        if (pair > 0) deinterleave(row(vals, dst, 1), row(vals, dst + L, 1), row(inRows, a, 1), L);
        else deinterleave(row(vals, dst + L, 1), row(vals, dst, 1), row(inRows, a - 1, 1), L);
        k++;
      } else if (b > 1) gatherRows(row(vals, dst, B), row(inRows, a, B), L, b, B, n);
      else if (kept) loadBatchedRows(row(vals, dst, B), inRows, a, L, span, B, kept, nSegments);
      else copyRow(row(vals, dst, B), row(inRows, a, B), span);
      continue;
    }
    if (op >= FIRST_BLOCK) {
      if (op == Op.Host && partials != 0 && !(word & NO_ADJOINT)) hostValuesForReverse(tape, dst, a, vals, B, n);
      else applyBlock(tape, word, dst, a, b, vals, 0, 0, B, 0, n, 0, blockScratch);
      continue;
    }
    const withPartials = partials != 0 && !(word & NO_ADJOINT); // a guard's value needs none (its backward pass is skipped)
    const da = withPartials ? next : 0, db = withPartials ? row(next, L, B) : 0, ds = withPartials ? row(next, 2 * L, B) : 0;
    const at = addresses + (<usize>k << 5);
    if (withPartials) next = row(next, PARTIAL_ROWS * L, B);
    if (word & (BROADCAST_A | BROADCAST_B) && broadcasts(op)) {
      applyBroadcast(op, row(vals, a, B), row(vals, b, B), (word & BROADCAST_A) != 0, row(vals, dst, B), da, db, L, B, n);
      if (withPartials) {
        store<u32>(at, <u32>partialA);
        store<u32>(at, <u32>partialB, 4);
        store<u32>(at, <u32>scaleA, 8);
        store<u32>(at, <u32>scaleB, 12);
        store<u32>(at, scaleBroadcast ? 0 : 1, 16);
      }
      continue;
    }
    const aRow = word & BROADCAST_A ? spell(spellA, row(vals, a, B), L, B) : row(vals, a, B);
    const bRow = word & BROADCAST_B ? spell(spellB, row(vals, b, B), L, B) : row(vals, b, B);
    applyRule(op, aRow, bRow, row(vals, dst, B), da, db, ds, span);
    if (withPartials) {
      // A partial or scale that is a spelled-out operand must outlive the scratch.
      store<u32>(at, <u32>keep(partialA, spellA, spellB, da, span));
      store<u32>(at, <u32>keep(partialB, spellA, spellB, db, span), 4);
      store<u32>(at, <u32>(scaleA ? keep(scaleA, spellA, spellB, ds, span) : 0), 8);
      store<u32>(at, <u32>scaleB, 12); // (a quotient's b, never spelled: Div runs broadcast in place)
      store<u32>(at, 1, 16);
    }
  }
}

/** A partial's address that stays valid: one pointing into the spelling scratch is copied to `own`. */
function keep(p: usize, spellA: usize, spellB: usize, own: usize, span: i32): usize {
  if (p == spellA || p == spellB) {
    copyRow(own, p, span);
    return own;
  }
  return p;
}

/** Rows 0, stride, 2·stride, … (L of them, n entries each) of `from` to consecutive rows of `to`. */
function gatherRows(to: usize, from: usize, L: i32, stride: i32, B: i32, n: i32): void {
  const rowBytes = <usize>B << 3, step = <usize>stride * rowBytes;
  if (n == 1) { // one point: a plain strided copy
    for (let j = 0; j < L; j++, to += rowBytes, from += step) store<f64>(to, load<f64>(from));
    return;
  }
  for (let j = 0; j < L; j++, to += rowBytes, from += step) {
    for (let p = 0; p < n; p++) store<f64>(to + (<usize>p << 3), load<f64>(from + (<usize>p << 3)));
  }
}
