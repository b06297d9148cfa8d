// Block rows: the workspace layout every sweep shares, and the loops that move
// rows of B points (SIMD where the op allows).
//
//   workspace (from `Sweep.work`, sized by `workSize`), every row B f64:
//   ┌──────────────┬─────────────────────┬────┬────┬────┬─────────┬─────────────┬──────────────┬───────┬─────────┐
//   │ vals[nSlots] │ lanes[nSlots × K]   │ da │ db │ ds │ in[nIn] │ seed rows   │ kind's own   │ masks │ block   │
//   │              │ forward: tangents   │    │    │    │         │ (nIn fwd/fd │ rows (below) │ (u32) │ scratch │
//   │              │ reverse: adjoints   │    │    │    │         │ nOut rev)   │              │       │         │
//   └──────────────┴─────────────────────┴────┴────┴────┴─────────┴─────────────┴──────────────┴───────┴─────────┘
//   value of slot s at point p:         vals + (s·B + p)·8
//   lane l of slot s at p:              lanes + ((s·K + l)·B + p)·8
//   finite differences' own rows:       pert[nIn] fPlus[nOut] diff[nOut × K] step
//   reverse's own rows:                 partials[3 × nSlots] (two partials and a scale
//                                       per op result), then 8 × nInstr u32 (the partials'
//                                       and scales' addresses, the scales' step) and,
//                                       after the block scratch, 2 × maxRun rows to spell
//                                       out broadcast operands of runs
//
// Blocks hold B points (even, so rows are 16-byte aligned for f64x2, or 1 for a
// single point); the SIMD loops take pairs and one scalar step for an odd count.

import { Kind, Sweep, Tape } from "./tape";
import { ONE, MINUS_ONE } from "./rules";

export { Kind };

/** Scratch rows for one instruction's partials and scale (da, db, ds: see applyRule). */
export const PARTIAL_ROWS: i32 = 3;

// @ts-ignore: decorator
@inline export function row(base: usize, index: i32, B: i32): usize {
  return base + ((<usize>index * <usize>B) << 3);
}

/** Rows of B f64 a sweep of `kind` lays out in its workspace (see the diagram). */
export function workRows(tape: Tape, kind: i32, K: i32): i32 {
  let rows = tape.nSlots + PARTIAL_ROWS + tape.nIn;
  if (kind == Kind.Forward) rows += tape.nSlots * K + tape.nIn;
  if (kind == Kind.FiniteDiff) rows += 2 * tape.nIn + tape.nOut + tape.nOut * K + 1;
  if (kind == Kind.Reverse) rows += tape.nSlots * K + tape.nOut + PARTIAL_ROWS * tape.nSlots;
  return rows;
}

/** Bytes of the lane masks (u32 per slot), rounded to keep what follows 16-byte aligned. */
// @ts-ignore: decorator
@inline export function maskBytes(tape: Tape): usize {
  return ((<usize>tape.nSlots << 2) + 15) & ~15;
}

/** Bytes of the reverse sweep's partial and scale addresses (eight u32 per instruction, see reverse.ts). */
// @ts-ignore: decorator
@inline export function addressBytes(tape: Tape, kind: i32): usize {
  return kind == Kind.Reverse ? <usize>tape.nInstr << 5 : 0;
}

/** Where the block ops' per-point scratch starts: after the rows, the masks and the addresses. */
// @ts-ignore: decorator
@inline export function blockScratchAt(tape: Tape, kind: i32, work: usize, B: i32, K: i32): usize {
  return row(work, workRows(tape, kind, K), B) + maskBytes(tape) + addressBytes(tape, kind);
}

/** Bytes of workspace a sweep of `kind` needs for blocks of B points and K lanes. */
export function workSize(tape: Tape, kind: i32, B: i32, K: i32): i32 {
  const spelling = kind == Kind.Reverse || kind == Kind.Value ? 2 * tape.maxRun * B * 8 : 0; // broadcast operands of runs
  return workRows(tape, kind, K) * B * 8 + <i32>(maskBytes(tape) + addressBytes(tape, kind)) + tape.blockScratch + spelling;
}

/** Entries 0, 2, 4, … of `from` to `even` and 1, 3, 5, … to `odd` (L each): two pairs at a time. */
export function deinterleave(even: usize, odd: usize, from: usize, L: i32): void {
  let o: usize = 0;
  const end = <usize>L << 3;
  for (; o + 8 < end; o += 16, from += 32) {
    const p = v128.load(from), q = v128.load(from, 16);
    v128.store(even + o, v128.shuffle<f64>(p, q, 0, 2));
    v128.store(odd + o, v128.shuffle<f64>(p, q, 1, 3));
  }
  if (o < end) {
    store<f64>(even + o, load<f64>(from));
    store<f64>(odd + o, load<f64>(from, 8));
  }
}

/** deinterleave's inverse: even[j] to to[2j], odd[j] to to[2j + 1]. */
export function interleave(to: usize, even: usize, odd: usize, L: i32): void {
  let o: usize = 0;
  const end = <usize>L << 3;
  for (; o + 8 < end; o += 16, to += 32) {
    const e = v128.load(even + o), d = v128.load(odd + o);
    v128.store(to, v128.shuffle<f64>(e, d, 0, 2));
    v128.store(to, v128.shuffle<f64>(e, d, 1, 3), 16);
  }
  if (o < end) {
    store<f64>(to, load<f64>(even + o));
    store<f64>(to, load<f64>(odd + o), 8);
  }
}

// Row copies and clears: short rows as SIMD loops (a bulk-memory instruction
// costs a call into the engine), rows of 32 entries or more with memory.copy /
// memory.fill, which the engine runs faster from there on.
// (Every SIMD loop here takes pairs of values and one scalar step for an odd n.)
// @ts-ignore: decorator
@inline export function copyRow(dst: usize, src: usize, n: i32): void {
  if (n >= 32) { memory.copy(dst, src, <usize>n << 3); return; }
  const end = <usize>n << 3;
  let o: usize = 0;
  for (; o + 8 < end; o += 16) v128.store(dst + o, v128.load(src + o));
  if (o < end) store<f64>(dst + o, load<f64>(src + o));
}
// @ts-ignore: decorator
@inline export function fillRow(dst: usize, n: i32, x: f64): void {
  if (n >= 32 && reinterpret<u64>(x) == 0) { memory.fill(dst, 0, <usize>n << 3); return; }
  const v = f64x2.splat(x), end = <usize>n << 3;
  let o: usize = 0;
  for (; o + 8 < end; o += 16) v128.store(dst + o, v);
  if (o < end) store<f64>(dst + o, x);
}

// @ts-ignore: decorator
@inline export function mask(masks: usize, s: i32): u32 { return load<u32>(masks + (<usize>s << 2)); }
// @ts-ignore: decorator
@inline export function setMask(masks: usize, s: i32, m: u32): void { store<u32>(masks + (<usize>s << 2), m); }

/** The row at `src` copied L times into `scratch` (a broadcast operand, spelled out for a run). */
export function spell(scratch: usize, src: usize, L: i32, B: i32): usize {
  for (let j = 0; j < L; j++) copyRow(row(scratch, j, B), src, B);
  return scratch;
}

/** Broadcasts constant i into every point of slot row i (those rows are never overwritten). */
export function fillConstants(tape: Tape, vals: usize, B: i32): void {
  for (let c = 0; c < tape.nConst; c++) {
    fillRow(row(vals, c, B), B, load<f64>(tape.consts + (<usize>c << 3)));
  }
}

/**
 * The rows of the flat input vector for points [start, start+cnt): gathered into
 * `rows`, or, for one point of one segment, that segment's own entries, laid out
 * as those rows already (read in place: the sweeps never write their inputs).
 */
export function inputRows(segments: usize, nSegments: i32, start: i32, cnt: i32, n: i32, rows: usize, B: i32): usize {
  if (B == 1 && nSegments == 1) return <usize>load<i32>(segments, 4) + ((<usize>start * load<i32>(segments, 8)) << 3);
  gather(segments, nSegments, start, cnt, n, rows, B);
  return rows;
}

/**
 * Points [start, start+cnt) of a segment table (see Sweep) into rows: entry i of
 * the flat vector goes to row i. Padding gets zeros.
 */
export function gather(segments: usize, nSegments: i32, start: i32, cnt: i32, n: i32, rows: usize, B: i32): void {
  let i = 0;
  for (let s = 0; s < nSegments; s++) {
    const seg = segments + (<usize>(s * 12));
    const size = load<i32>(seg), address = load<i32>(seg, 4), stride = load<i32>(seg, 8);
    if (B == 1) { // one point: the rows of consecutive entries are consecutive f64
      memory.copy(rows + (<usize>i << 3), <usize>address + ((<usize>start * stride) << 3), <usize>size << 3);
      i += size;
      continue;
    }
    // A shared entry's row is filled at the sweep's first block and still holds it after
    // (only this writes these rows): a shared matrix of 16,000 entries is not spread again
    // per block, nor even visited, unless the block is short and its padding needs zeros.
    if (stride == 0 && start != 0 && cnt == n) {
      i += size;
      continue;
    }
    for (let j = 0; j < size; j++, i++) {
      const r = row(rows, i, B);
      let src = <usize>address + ((<usize>start * stride + j) << 3);
      if (stride == 0) { if (start == 0) fillRow(r, n, load<f64>(src)); }
      else for (let p = 0; p < cnt; p++, src += <usize>stride << 3) store<f64>(r + (<usize>p << 3), load<f64>(src));
      if (cnt < n) store<f64>(r + (<usize>cnt << 3), 0);
    }
  }
}

/**
 * An Input instruction's rows at a later block of a sweep whose tape keeps its
 * inputs (Tape.inputsKept): the rows of entries [a, a + L) copied into the slot
 * rows from `dst`, but only those of batched segments. A shared entry's slot
 * row still holds what the sweep's first block loaded (nothing writes it), so
 * the 16,000 entries of a shared matrix are not copied again per block.
 * `span`: entries per copy for one entry alone (L = 1), as the caller's copy.
 */
export function loadBatchedRows(dst: usize, inRows: usize, a: i32, L: i32, span: i32, B: i32,
                                segments: usize, nSegments: i32): void {
  let lo = 0;
  for (let s = 0; s < nSegments && lo < a + L; s++) {
    const seg = segments + (<usize>(s * 12)), hi = lo + load<i32>(seg);
    const from = max(lo, a), to = min(hi, a + L);
    if (from < to && load<i32>(seg, 8) != 0) {
      copyRow(row(dst, from - a, B), row(inRows, from, B), L == 1 ? span : (to - from) * B);
    }
    lo = hi;
  }
}

/** d·t for one pair of points, d a partial row or the sentinel ONE / MINUS_ONE. */
// @ts-ignore: decorator
@inline export function term(d: usize, t: usize, o: usize): v128 {
  if (d == ONE) return v128.load(t + o);
  if (d == MINUS_ONE) return f64x2.neg(v128.load(t + o));
  return f64x2.mul(v128.load(d + o), v128.load(t + o));
}

/** d·t for one point (the scalar step after the pairs). */
// @ts-ignore: decorator
@inline export function term1(d: usize, t: usize, o: usize): f64 {
  if (d == ONE) return load<f64>(t + o);
  if (d == MINUS_ONE) return -load<f64>(t + o);
  return load<f64>(d + o) * load<f64>(t + o);
}

// The smallest normal double: a product below it has lost digits.
// @ts-ignore: decorator
@inline const MIN_NORMAL: f64 = 2.2250738585072014e-308;

/**
 * (d·t)/s for one pair of points, or d·t without a scale (s 0): a scaled
 * partial's term (rules.ts). Multiplying first keeps the term in range where d/s
 * would leave it; but where d·t itself falls below the normal range (and so
 * has lost digits, or all of them: 0 for a t that is not) while s < 1 brings
 * the term back, d·(t/s) is used instead, if it is finite (∂/∂z of
 * x/atan2(x, z) at x = 1.8e-264, z = −1.8e-214 kept 9 digits before; log10′ at
 * a subnormal a, (1/ln 10)/a, with ȧ = 5e-324 was 0).
 */
// @ts-ignore: decorator
@inline export function scaledTerm(d: usize, s: usize, t: usize, o: usize): v128 {
  const x = term(d, t, o);
  if (!s) return x;
  const sv = v128.load(s + o), q = f64x2.div(x, sv), tv = v128.load(t + o);
  const small = v128.and(f64x2.lt(f64x2.abs(x), f64x2.splat(MIN_NORMAL)), f64x2.ne(tv, f64x2.splat(0)));
  if (!v128.any_true(small)) return q;
  const ts = f64x2.div(tv, sv);
  const alt = d == ONE ? ts : d == MINUS_ONE ? f64x2.neg(ts) : f64x2.mul(v128.load(d + o), ts);
  const use = v128.and(small, f64x2.eq(f64x2.sub(alt, alt), f64x2.splat(0))); // and alt finite
  return v128.bitselect(alt, q, use);
}

/** (d·t)/s for one point (see scaledTerm). */
// @ts-ignore: decorator
@inline export function scaledTerm1(d: usize, s: usize, t: usize, o: usize): f64 {
  const x = term1(d, t, o);
  if (!s) return x;
  const sv = load<f64>(s + o), tv = load<f64>(t + o);
  if (tv != 0 && Math.abs(x) < MIN_NORMAL) {
    const ts = tv / sv;
    const alt = d == ONE ? ts : d == MINUS_ONE ? -ts : load<f64>(d + o) * ts;
    if (alt - alt == 0) return alt;
  }
  return x / sv;
}

/**
 * One tangent lane of an instruction: t = da·ta/sa + db·tb/sb, where ta / tb is 0
 * for a term that is structurally zero (a constant operand, or a lane the operand
 * does not depend on) and sa / sb is 0 for a partial without a scale.
 */
export function combineLane(t: usize, ta: usize, da: usize, sa: usize, tb: usize, db: usize, sb: usize, n: i32): void {
  const end = <usize>n << 3;
  let o: usize = 0;
  if (sa || sb) {
    if (ta && tb) {
      for (; o + 8 < end; o += 16) v128.store(t + o, f64x2.add(scaledTerm(da, sa, ta, o), scaledTerm(db, sb, tb, o)));
      if (o < end) store<f64>(t + o, scaledTerm1(da, sa, ta, o) + scaledTerm1(db, sb, tb, o));
    } else if (ta || tb) {
      const d = ta ? da : db, sc = ta ? sa : sb, src = ta ? ta : tb;
      for (; o + 8 < end; o += 16) v128.store(t + o, scaledTerm(d, sc, src, o));
      if (o < end) store<f64>(t + o, scaledTerm1(d, sc, src, o));
    } else {
      fillRow(t, n, 0);
    }
    return;
  }
  if (ta && tb) {
    if (da == ONE && db == ONE) {
      for (; o + 8 < end; o += 16) v128.store(t + o, f64x2.add(v128.load(ta + o), v128.load(tb + o)));
    } else if (da == ONE && db == MINUS_ONE) {
      for (; o + 8 < end; o += 16) v128.store(t + o, f64x2.sub(v128.load(ta + o), v128.load(tb + o)));
    } else {
      for (; o + 8 < end; o += 16) v128.store(t + o, f64x2.add(term(da, ta, o), term(db, tb, o)));
    }
    if (o < end) store<f64>(t + o, term1(da, ta, o) + term1(db, tb, o));
  } else if (ta || tb) {
    const d = ta ? da : db, src = ta ? ta : tb;
    if (d == ONE) copyRow(t, src, n);
    else {
      for (; o + 8 < end; o += 16) v128.store(t + o, term(d, src, o));
      if (o < end) store<f64>(t + o, term1(d, src, o));
    }
  } else {
    fillRow(t, n, 0);
  }
}

/** t[p] = c[p] ≠ 0 ? t[p] : 0 (a NaN c keeps t): Keep's guard, which stops even a NaN tangent. */
export function keepRow(t: usize, c: usize, n: i32): void {
  const end = <usize>n << 3, zero = f64x2.splat(0);
  let o: usize = 0;
  for (; o + 8 < end; o += 16) v128.store(t + o, v128.and(v128.load(t + o), f64x2.ne(v128.load(c + o), zero)));
  if (o < end && load<f64>(c + o) == 0) store<f64>(t + o, 0);
}

/** Values of every output for the block's points into `sw.values` (row-major, point-major). */
export function scatterValues(tape: Tape, sw: Sweep, vals: usize, start: i32, cnt: i32): void {
  const nOut = tape.nOut;
  for (let o = 0; o < nOut; o++) {
    const src = row(vals, load<i32>(tape.outSlots + (<usize>o << 2)), sw.block);
    let dst = sw.values + ((<usize>start * nOut + o) << 3);
    for (let p = 0; p < cnt; p++, dst += <usize>nOut << 3) store<f64>(dst, load<f64>(src + (<usize>p << 3)));
  }
}

/** Lane l of output (or, in reverse, input) o for the block's points into `sw.tangents`; src 0 writes zeros. */
// @ts-ignore: decorator
@inline export function scatterTangent(sw: Sweep, o: i32, l: i32, start: i32, cnt: i32, src: usize): void {
  let dst = sw.tangents + ((<usize>start * sw.tPoint + o * sw.tOut + l * sw.tLane + sw.tOffset) << 3);
  const stride = <usize>sw.tPoint << 3;
  for (let p = 0; p < cnt; p++, dst += stride) store<f64>(dst, src ? load<f64>(src + (<usize>p << 3)) : 0);
}
