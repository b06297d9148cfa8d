// Matrix ops: instructions that read and write lists of slots (the "block" part
// of the op table). Each has its value rule, its forward (jvp) rule and its
// reverse (vjp) rule side by side; they run point by point on small dense
// matrices (see linalg.ts). X = A⁻¹ throughout.
//
//   op           value          forward                 reverse (adjoints w̄ of the result)
//   det(A)       d = det A      ḋ = d · tr(X Ȧ)         Ā += w̄ · d · Xᵀ
//                (d · Xᵀ is ∂det/∂A; at a singular A it is the cofactor matrix: linalg.ts)
//   inv(A)       X              Ẋ = −X Ȧ X              Ā += −Xᵀ W̄ Xᵀ
//   solve(A, b)  x = X b        ẋ = X (ḃ − Ȧ x)         b̄ += A⁻ᵀ x̄,  Ā += −(A⁻ᵀ x̄) xᵀ
//   sum(a…)      s = Σ aᵢ       ṡ = Σ ȧᵢ                āᵢ += w̄   (a of any length, no matrix)
//   host(id, …)  work JavaScript does (bindings/ir/host-blocks.ts: a scan's steps,
//                a user-defined primitive's rules), named by the constant id:
//                run through the imported hostBlock, which reads and writes the
//                rows below directly
//
// A block instruction is (op, dst, a, b) with dst, a and b offsets into the
// tape's aux pool, each a list [length, slot, slot, …]: dst the result entries,
// a the k×k matrix entries (row-major), b the right-hand side (solve only).
// A singular A gives det 0 and IEEE ±Infinity/NaN for inverse, solve and
// derivatives that divide by a zero pivot.

import { Op, HostKind, Tape, CONTIGUOUS, opOf } from "./tape";
import { luFactor, luDet, luInverse, luSolve, luSolveTransposed, detGradient } from "./linalg";

/** A host block's rules, by the host (bindings/ir/host-blocks.ts), the kind of work a HostKind. */
// @ts-ignore: decorator
@external("env", "hostBlock")
declare function hostBlock(kind: i32, dst: usize, a: usize, vals: usize, rows: usize, masks: usize,
                           B: i32, K: i32, n: i32, laneMask: u32, nConst: i32): void;

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
 * A host block's values in the forward pass of a reverse sweep: the host keeps
 * what it computes for the adjoints that follow (a scan's carries; hostBlock kind 3).
 */
export function hostValuesForReverse(tape: Tape, dstOff: i32, aOff: i32, vals: usize, B: i32, n: i32): void {
  hostBlock(HostKind.KeptValues, list(tape, dstOff), list(tape, aOff), vals, 0, 0, B, 0, n, 0, tape.nConst);
}

/**
 * Values, and with `tans` != 0 the tangent lanes in `laneMask`, of one block
 * instruction for points [0, n). Rows as in sweeps.ts: value of slot s at
 * vals + (s·B + p)·8, lane l of slot s at tans + ((s·K + l)·B + p)·8.
 * `masks` (per slot, u32) tell which operand lanes are live; 0 for values only.
 */
export function applyBlock(tape: Tape, word: i32, dstOff: i32, aOff: i32, bOff: i32,
                           vals: usize, tans: usize, masks: usize, B: i32, K: i32, n: i32,
                           laneMask: u32, scratchBase: usize): void {
  const op = opOf(word);
  if (op == Op.Sum) {
    sumForward(tape, dstOff, aOff, word & CONTIGUOUS, vals, tans, masks, B, K, n, laneMask);
    return;
  }
  if (op == Op.Host) {
    hostBlock(tans ? HostKind.Tangents : HostKind.Values, list(tape, dstOff), list(tape, aOff), vals, tans, masks, B, K, n, laneMask, tape.nConst);
    return;
  }
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
    if (op == Op.Det) {
      const det = luDet(lu, k, sign);
      store<f64>(cell(vals, slotAt(dst, 0), B, p), det);
      if (tans != 0) { // ∂det/∂A into dA's place: the lanes below read it as G
        for (let i = 0; i < kk; i++) setF(prod, i, load<f64>(cell(vals, slotAt(A, i), B, p)));
        detGradient(prod, k, det, inv, dA, prod + mat);
        copyMatrix(dA, inv, kk);
      }
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
      if (op == Op.Det) { // ḋ = Σ_ij G_ij Ȧ_ij, G = ∂det/∂A (held in `inv`), over the entries live in this lane
        let t: f64 = 0;   // (a dead entry adds nothing: not 0·∞ = NaN where its cofactor is infinite)
        for (let i = 0; i < kk; i++) if (load<u32>(masks + (<usize>slotAt(A, i) << 2)) & bit) t += f(inv, i) * f(dA, i);
        store<f64>(cell(tans, slotAt(dst, 0) * K + l, B, p), t);
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

function copyMatrix(src: usize, dst: usize, kk: i32): void {
  memory.copy(dst, src, <usize>kk << 3);
}

function matmul(a: usize, b: usize, out: usize, k: i32): void {
  for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) {
    let t: f64 = 0;
    for (let m = 0; m < k; m++) t += f(a, i * k + m) * f(b, m * k + j);
    setF(out, i * k + j, t);
  }
}

/**
 * Reverse rule of one block instruction for points [0, n): adds the operands'
 * adjoints from the results' adjoints in lanes `laneMask` (rows as in rows.ts:
 * lane l of slot s at adj + ((s·K + l)·B + p)·8). Operand values are still in
 * `vals` (reverse tapes never reuse a slot). The caller has zeroed the lanes of
 * the operand rows that were not live yet; results' lanes outside their own mask
 * read as 0. Constant operands (slot < nConst) receive nothing.
 */
export function applyBlockReverse(tape: Tape, word: i32, dstOff: i32, aOff: i32, bOff: i32,
                                  vals: usize, adj: usize, masks: usize, B: i32, K: i32, n: i32,
                                  laneMask: u32, scratchBase: usize): void {
  const op = opOf(word);
  if (op == Op.Sum) {
    sumReverse(tape, dstOff, aOff, word & CONTIGUOUS, adj, masks, B, K, n, laneMask);
    return;
  }
  if (op == Op.Host) {
    hostBlock(HostKind.Adjoints, list(tape, dstOff), list(tape, aOff), vals, adj, masks, B, K, n, laneMask, tape.nConst);
    return;
  }
  const dst = list(tape, dstOff), A = list(tape, aOff);
  const kk = len(A), k = <i32>Math.sqrt(<f64>kk), nConst = tape.nConst;
  const mat = <usize>kk << 3, vec = <usize>k << 3;
  const lu = scratchBase, inv = lu + mat, wbar = inv + mat, prod = wbar + mat;
  const perm = prod + 2 * mat, x = perm + vec, bbar = x + vec, col = bbar + vec, tmp = col + vec;
  const rhs = op == Op.Solve ? list(tape, bOff) : 0;
  const nRes = len(dst);
  for (let p = 0; p < n; p++) {
    for (let i = 0; i < kk; i++) setF(lu, i, load<f64>(cell(vals, slotAt(A, i), B, p)));
    const sign = luFactor(lu, perm, k);
    if (op != Op.Solve) luInverse(lu, perm, k, inv, col, tmp);
    if (op == Op.Det) { // G = ∂det/∂A into `inv`
      for (let i = 0; i < kk; i++) setF(prod, i, load<f64>(cell(vals, slotAt(A, i), B, p)));
      detGradient(prod, k, luDet(lu, k, sign), inv, wbar, prod + mat);
      copyMatrix(wbar, inv, kk);
    }
    if (op == Op.Solve) for (let i = 0; i < k; i++) setF(x, i, load<f64>(cell(vals, slotAt(dst, i), B, p)));
    let lanes = laneMask;
    while (lanes) {
      const l = <i32>ctz(lanes);
      lanes &= lanes - 1;
      const bit: u32 = <u32>1 << l;
      for (let i = 0; i < nRes; i++) { // W̄: the results' adjoints in this lane
        const slot = slotAt(dst, i);
        setF(wbar, i, load<u32>(masks + (<usize>slot << 2)) & bit ? load<f64>(cell(adj, slot * K + l, B, p)) : 0);
      }
      if (op == Op.Det) { // Ā_ij += w̄ · G_ij
        const w = f(wbar, 0);
        for (let i = 0; i < kk; i++) addAdjoint(adj, A, i, nConst, K, l, B, p, w * f(inv, i));
      } else if (op == Op.Inv) { // Ā = −Xᵀ W̄ Xᵀ: prod = W̄ Xᵀ, then Ā_ij = −Σ_m X_mi prod_mj
        for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) {
          let t: f64 = 0;
          for (let m = 0; m < k; m++) t += f(wbar, i * k + m) * f(inv, j * k + m);
          setF(prod, i * k + j, t);
        }
        for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) {
          let t: f64 = 0;
          for (let m = 0; m < k; m++) t += f(inv, m * k + i) * f(prod, m * k + j);
          addAdjoint(adj, A, i * k + j, nConst, K, l, B, p, -t);
        }
      } else { // b̄ = A⁻ᵀ x̄, Ā = −b̄ xᵀ
        for (let i = 0; i < k; i++) setF(bbar, i, f(wbar, i));
        luSolveTransposed(lu, perm, k, bbar, tmp);
        for (let i = 0; i < k; i++) {
          addAdjoint(adj, rhs, i, nConst, K, l, B, p, f(bbar, i));
          for (let j = 0; j < k; j++) addAdjoint(adj, A, i * k + j, nConst, K, l, B, p, -f(bbar, i) * f(x, j));
        }
      }
    }
  }
}

/** sum: values (and, with `tans`, the lanes in `laneMask`) of Σ aᵢ, adding whole rows. */
function sumForward(tape: Tape, dstOff: i32, aOff: i32, contiguous: i32, vals: usize, tans: usize, masks: usize,
                    B: i32, K: i32, n: i32, laneMask: u32): void {
  const A = list(tape, aOff), d = slotAt(list(tape, dstOff), 0), count = len(A);
  if (contiguous) sumRange(cell(vals, d, B, 0), cell(vals, slotAt(A, 0), B, 0), count, B, n);
  else addRows(cell(vals, d, B, 0), A, count, vals, 1, 0, B, n, masks, 0);
  if (tans == 0) return;
  let lanes = laneMask;
  while (lanes) {
    const l = <i32>ctz(lanes);
    lanes &= lanes - 1;
    sumTangent(cell(tans, d * K + l, B, 0), A, count, contiguous != 0, tans, K, l, B, n, masks, <u32>1 << l);
  }
}

// A partial sum of tangents being formed: its value, and whether a live term reached it yet.
let partial: f64 = 0;
let partialLive = false;

/** partial (+)= t: the first live term is taken as it is, not added to 0 (so −0 stays −0). */
// @ts-ignore: decorator
@inline function addTerm(t: f64): void {
  partial = partialLive ? partial + t : t;
  partialLive = true;
}

/**
 * Lane l of Σ aᵢ's tangent at each point: the live terms' tangents (slots whose
 * mask has `bit`), added in the association the values take (contiguous: sumRange's
 * four partial sums of every fourth term, (s₀ + s₂) + (s₁ + s₃), then the rest one by
 * one; otherwise in list order), each partial sum starting from its first live term.
 * That is what the compiled tier's chain of additions for a sum computes, bit for bit
 * (bindings/compiler/program.ts). A lane no term has is 0.
 */
function sumTangent(out: usize, A: usize, count: i32, contiguous: bool, tans: usize, K: i32, l: i32, B: i32, n: i32,
                    masks: usize, bit: u32): void {
  const whole = contiguous ? count & ~3 : 0;
  for (let p = 0; p < n; p++) {
    // the four partial sums over the first `whole` terms, then (s₀ + s₂) + (s₁ + s₃)
    let q0: f64 = 0, q1: f64 = 0;
    let live0 = false, live1 = false;
    for (let j = 0; j < 4 && whole > 0; j++) {
      partial = 0;
      partialLive = false;
      for (let i = j; i < whole; i += 4) {
        const slot = slotAt(A, i);
        if (load<u32>(masks + (<usize>slot << 2)) & bit) addTerm(load<f64>(cell(tans, slot * K + l, B, p)));
      }
      if (!partialLive) continue;
      if (j & 1) { q1 = live1 ? q1 + partial : partial; live1 = true; } // (s₁, then s₁ + s₃)
      else { q0 = live0 ? q0 + partial : partial; live0 = true; } // (s₀, then s₀ + s₂)
    }
    partial = q0;
    partialLive = live0;
    if (live1) addTerm(q1);
    for (let i = whole; i < count; i++) {
      const slot = slotAt(A, i);
      if (load<u32>(masks + (<usize>slot << 2)) & bit) addTerm(load<f64>(cell(tans, slot * K + l, B, p)));
    }
    store<f64>(out + (<usize>p << 3), partialLive ? partial : 0);
  }
}

/** out = Σ over the list's slots s of rows[(s·K + l)·B …], skipping slots whose mask lacks `bit` (bit 0: none skipped). */
function addRows(out: usize, A: usize, count: i32, rows: usize, K: i32, l: i32, B: i32, n: i32, masks: usize, bit: u32): void {
  for (let p = 0; p < n; p++) {
    let s: f64 = 0;
    for (let i = 0; i < count; i++) {
      const slot = slotAt(A, i);
      if (bit && !(load<u32>(masks + (<usize>slot << 2)) & bit)) continue;
      s += load<f64>(cell(rows, slot * K + l, B, p));
    }
    store<f64>(out + (<usize>p << 3), s);
  }
}

/**
 * out = Σ of `count` consecutive rows from `first`, for each point in the same
 * order whatever the block size (one point and a batch agree to the bit): four
 * partial sums of every fourth term, (s₀ + s₂) + (s₁ + s₃), then the last
 * count mod 4 terms one by one. No chain of dependent additions, and SIMD: over
 * consecutive terms for one point, over pairs of points otherwise.
 */
function sumRange(out: usize, first: usize, count: i32, B: i32, n: i32): void {
  const whole = count & ~3;
  if (B == 1) {
    let s01 = f64x2.splat(0), s23 = f64x2.splat(0), o: usize = 0;
    for (const end = <usize>whole << 3; o < end; o += 32) {
      s01 = f64x2.add(s01, v128.load(first + o));
      s23 = f64x2.add(s23, v128.load(first + o, 16));
    }
    const s = f64x2.add(s01, s23); // (s₀ + s₂, s₁ + s₃)
    let total = f64x2.extract_lane(s, 0) + f64x2.extract_lane(s, 1);
    for (const end = <usize>count << 3; o < end; o += 8) total += load<f64>(first + o);
    store<f64>(out, total);
    return;
  }
  const rowBytes = <usize>B << 3, end = <usize>n << 3;
  for (let o: usize = 0; o < end; o += 16) { // pairs of points (rows are B ≥ 2 long and 16-byte aligned)
    let s0 = f64x2.splat(0), s1 = f64x2.splat(0), s2 = f64x2.splat(0), s3 = f64x2.splat(0);
    let r = first + o;
    for (let i = 0; i < whole; i += 4, r += 4 * rowBytes) {
      s0 = f64x2.add(s0, v128.load(r));
      s1 = f64x2.add(s1, v128.load(r + rowBytes));
      s2 = f64x2.add(s2, v128.load(r + 2 * rowBytes));
      s3 = f64x2.add(s3, v128.load(r + 3 * rowBytes));
    }
    let total = f64x2.add(f64x2.add(s0, s2), f64x2.add(s1, s3));
    for (let i = whole; i < count; i++, r += rowBytes) total = f64x2.add(total, v128.load(r));
    v128.store(out + o, total);
  }
}

/** sum's reverse rule: every non-constant term's adjoint gains w̄ (consecutive terms with one lane: one SIMD pass). */
function sumReverse(tape: Tape, dstOff: i32, aOff: i32, contiguous: i32, adj: usize, masks: usize,
                    B: i32, K: i32, n: i32, laneMask: u32): void {
  const A = list(tape, aOff), d = slotAt(list(tape, dstOff), 0), end = <usize>n << 3;
  let lanes = laneMask;
  while (lanes) {
    const l = <i32>ctz(lanes);
    lanes &= lanes - 1;
    if (!(load<u32>(masks + (<usize>d << 2)) & (<u32>1 << l))) continue;
    const w = cell(adj, d * K + l, B, 0);
    if (contiguous && K == 1 && B == 1) {
      const first = cell(adj, slotAt(A, 0), 1, 0), span = <usize>len(A) << 3, wv = v128.load64_splat(w);
      let o: usize = 0;
      for (; o + 8 < span; o += 16) v128.store(first + o, f64x2.add(v128.load(first + o), wv));
      if (o < span) store<f64>(first + o, load<f64>(first + o) + load<f64>(w));
      continue;
    }
    if (contiguous && K == 1) { // consecutive rows of computed slots: no slot lookups, the same adds
      const rowBytes = <usize>B << 3;
      for (let i = 0, c = len(A), r = cell(adj, slotAt(A, 0), B, 0); i < c; i++, r += rowBytes) {
        let o: usize = 0;
        for (; o + 8 < end; o += 16) v128.store(r + o, f64x2.add(v128.load(r + o), v128.load(w + o)));
        if (o < end) store<f64>(r + o, load<f64>(r + o) + load<f64>(w + o));
      }
      continue;
    }
    for (let i = 0, c = len(A); i < c; i++) {
      const s = slotAt(A, i);
      if (s < tape.nConst) continue;
      const r = cell(adj, s * K + l, B, 0);
      let o: usize = 0;
      for (; o + 8 < end; o += 16) v128.store(r + o, f64x2.add(v128.load(r + o), v128.load(w + o)));
      if (o < end) store<f64>(r + o, load<f64>(r + o) + load<f64>(w + o));
    }
  }
}

/** Union of the masks of a block instruction's results: the lanes its reverse rule must push. */
export function resultMask(tape: Tape, dstOff: i32, masks: usize): u32 {
  let m: u32 = 0;
  const dst = list(tape, dstOff);
  for (let i = 0, c = len(dst); i < c; i++) m |= load<u32>(masks + (<usize>slotAt(dst, i) << 2));
  return m;
}

/** Operand slots of a block instruction, for the caller to make their adjoint lanes live: list i (0: A, 1: b). */
export function operandList(tape: Tape, op: i32, aOff: i32, bOff: i32, which: i32): usize {
  return which == 0 ? list(tape, aOff) : op == Op.Solve ? list(tape, bOff) : 0;
}

/** Result slots of a block instruction. */
export function resultList(tape: Tape, dstOff: i32): usize {
  return list(tape, dstOff);
}

// @ts-ignore: decorator
@inline function addAdjoint(adj: usize, l0: usize, i: i32, nConst: i32, K: i32, l: i32, B: i32, p: i32, v: f64): void {
  const slot = slotAt(l0, i);
  if (slot < nConst) return;
  const c = cell(adj, slot * K + l, B, p);
  store<f64>(c, load<f64>(c) + v);
}
