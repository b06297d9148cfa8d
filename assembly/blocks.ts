// Matrix ops: instructions that read and write lists of slots (the "block" part
// of the op table). Each has its value rule and its forward (jvp) rule side by
// side; they run point by point on small dense matrices (see linalg.ts).
//
//   det(A)       d = det A                 ḋ = d · tr(A⁻¹ Ȧ)
//   inv(A)       X = A⁻¹                   Ẋ = −X Ȧ X
//   solve(A, b)  x = A⁻¹ b                 ẋ = A⁻¹ (ḃ − Ȧ x)
//
// A block instruction is (op, dst, a, b) with dst, a and b offsets into the
// tape's aux pool, each a list [length, slot, slot, …]: dst the result entries,
// a the k×k matrix entries (row-major), b the right-hand side (solve only).
// A singular A gives det 0 and IEEE ±Infinity/NaN for inverse, solve and
// derivatives that divide by a zero pivot.

import { Op, Tape } from "./tape";
import { luFactor, luDet, luInverse, luSolve } from "./linalg";

/** Bytes of per-point scratch a block op on k×k matrices needs. */
export function blockScratchBytes(k: i32): i32 {
  return (5 * k * k + 5 * k) * 8;
}

// @ts-ignore: decorator
@inline function list(tape: Tape, offset: i32): usize { return tape.aux + (<usize>offset << 2); }
// @ts-ignore: decorator
@inline function len(l: usize): i32 { return load<i32>(l); }
// @ts-ignore: decorator
@inline function slotAt(l: usize, i: i32): i32 { return load<i32>(l + (<usize>(i + 1) << 2)); }
// @ts-ignore: decorator
@inline function cell(rows: usize, slot: i32, B: i32, p: i32): usize {
  return rows + ((<usize>slot * <usize>B + <usize>p) << 3);
}
// @ts-ignore: decorator
@inline function f(m: usize, i: i32): f64 { return load<f64>(m + (<usize>i << 3)); }
// @ts-ignore: decorator
@inline function setF(m: usize, i: i32, v: f64): void { store<f64>(m + (<usize>i << 3), v); }

/**
 * Values, and with `tans` != 0 the tangent lanes in `laneMask`, of one block
 * instruction for points [0, n). Rows as in sweeps.ts: value of slot s at
 * vals + (s·B + p)·8, lane l of slot s at tans + ((s·K + l)·B + p)·8.
 * `masks` (per slot, u32) tell which operand lanes are live; 0 for values only.
 */
export function applyBlock(tape: Tape, op: i32, dstOff: i32, aOff: i32, bOff: i32,
                           vals: usize, tans: usize, masks: usize, B: i32, K: i32, n: i32,
                           laneMask: u32, scratchBase: usize): void {
  const dst = list(tape, dstOff), A = list(tape, aOff);
  const kk = len(A), k = <i32>Math.sqrt(<f64>kk);
  // Scratch: five k×k matrices, then perm (k i32 in a k-f64 span) and four k-vectors.
  const mat = <usize>kk << 3, vec = <usize>k << 3;
  const lu = scratchBase, inv = lu + mat, dA = inv + mat, prod = dA + mat;
  const perm = prod + 2 * mat, x = perm + vec, db = x + vec, col = db + vec, tmp = col + vec;
  const rhs = op == Op.Solve ? list(tape, bOff) : 0;
  for (let p = 0; p < n; p++) {
    for (let i = 0; i < kk; i++) setF(lu, i, load<f64>(cell(vals, slotAt(A, i), B, p)));
    const sign = luFactor(lu, perm, k);
    const needInverse = op == Op.Inv || (tans != 0 && op == Op.Det);
    if (needInverse) luInverse(lu, perm, k, inv, col, tmp);
    let det: f64 = 0;
    if (op == Op.Det) {
      det = luDet(lu, k, sign);
      store<f64>(cell(vals, slotAt(dst, 0), B, p), det);
    } else if (op == Op.Inv) {
      for (let i = 0; i < kk; i++) store<f64>(cell(vals, slotAt(dst, i), B, p), f(inv, i));
    } else { // Solve
      for (let i = 0; i < k; i++) setF(x, i, load<f64>(cell(vals, slotAt(rhs, i), B, p)));
      luSolve(lu, perm, k, x, tmp);
      for (let i = 0; i < k; i++) store<f64>(cell(vals, slotAt(dst, i), B, p), f(x, i));
    }
    if (tans == 0) continue;

    let lanes = laneMask;
    while (lanes) {
      const l = <i32>ctz(lanes);
      lanes &= lanes - 1;
      const bit: u32 = <u32>1 << l;
      // Ȧ for this lane (structurally zero entries are 0)
      for (let i = 0; i < kk; i++) {
        const slot = slotAt(A, i);
        setF(dA, i, load<u32>(masks + (<usize>slot << 2)) & bit ? load<f64>(cell(tans, slot * K + l, B, p)) : 0);
      }
      if (op == Op.Det) { // ḋ = d · Σ_ij X_ji Ȧ_ij
        let t: f64 = 0;
        for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) t += f(inv, j * k + i) * f(dA, i * k + j);
        store<f64>(cell(tans, slotAt(dst, 0) * K + l, B, p), det * t);
      } else if (op == Op.Inv) { // Ẋ = −X Ȧ X: tmp = Ȧ X, then −X tmp
        matmul(dA, inv, prod, k);
        for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) {
          let t: f64 = 0;
          for (let m = 0; m < k; m++) t += f(inv, i * k + m) * f(prod, m * k + j);
          store<f64>(cell(tans, slotAt(dst, i * k + j) * K + l, B, p), -t);
        }
      } else { // ẋ = A⁻¹ (ḃ − Ȧ x)
        for (let i = 0; i < k; i++) {
          const slot = slotAt(rhs, i);
          let t: f64 = load<u32>(masks + (<usize>slot << 2)) & bit ? load<f64>(cell(tans, slot * K + l, B, p)) : 0;
          for (let j = 0; j < k; j++) t -= f(dA, i * k + j) * f(x, j);
          setF(db, i, t);
        }
        luSolve(lu, perm, k, db, tmp);
        for (let i = 0; i < k; i++) store<f64>(cell(tans, slotAt(dst, i) * K + l, B, p), f(db, i));
      }
    }
  }
}

/** Lanes any operand of a block instruction may carry: the union of their masks. */
export function blockMask(tape: Tape, aOff: i32, bOff: i32, op: i32, masks: usize): u32 {
  let m: u32 = 0;
  const A = list(tape, aOff);
  for (let i = 0, kk = len(A); i < kk; i++) m |= load<u32>(masks + (<usize>slotAt(A, i) << 2));
  if (op == Op.Solve) {
    const b = list(tape, bOff);
    for (let i = 0, k = len(b); i < k; i++) m |= load<u32>(masks + (<usize>slotAt(b, i) << 2));
  }
  return m;
}

/** Sets every result slot's mask of a block instruction. */
export function setBlockMasks(tape: Tape, dstOff: i32, masks: usize, m: u32): void {
  const dst = list(tape, dstOff);
  for (let i = 0, c = len(dst); i < c; i++) store<u32>(masks + (<usize>slotAt(dst, i) << 2), m);
}

function matmul(a: usize, b: usize, out: usize, k: i32): void {
  for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) {
    let t: f64 = 0;
    for (let m = 0; m < k; m++) t += f(a, i * k + m) * f(b, m * k + j);
    setF(out, i * k + j, t);
  }
}
