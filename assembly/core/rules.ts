// The op table: for every op, its value rule and its local partial derivatives,
// side by side. The forward sweep combines the partials with operand tangents
// (ṫ = ∂a·ȧ + ∂b·ḃ) and the reverse sweep with adjoints (ā += ∂a·w̄, b̄ += ∂b·w̄),
// so the two cannot disagree.
//
// `applyRule` works on one block of points at a time, structure-of-arrays:
//
//   a, b  operand rows   (n f64 each)      v   result row
//   da, db, ds scratch rows for partials and a scale of ∂a (n f64 each; da == 0: values only)
//
// The arithmetic ops run as f64x2 SIMD over pairs of values, with one scalar
// step when n is odd. `v` never aliases `a` or `b` (the compiler guarantees it).
//
// Where the partials are, after the call: `partialA` / `partialB` hold a row
// address (the scratch row, or an operand's own value row: ∂(a·b)/∂a is b), or
// the sentinel ONE / MINUS_ONE for a partial that is ±1 everywhere, so the
// sweeps add or subtract tangents instead of multiplying by a row of ones.
//
// Scaled partials. A partial that is itself out of the double range while its
// product with a tangent is not (∂(a/b)/∂b = −q/b underflows for large b, and
// ḃ·q/b with ḃ as large as b is an ordinary number) is kept as a partial d and
// a scale s, with ∂ = d/s: the sweeps then form (d·ṫ)/s from the tangent
// (forward) or (d·w̄)/s from the adjoint (reverse), multiplying before they
// divide, so no intermediate leaves the range when the result does not: a
// quotient's tangent is ȧ/b + (−q·ḃ)/b. `scaleA` / `scaleB` name each operand's
// s row (0: none). Where a scale is needed only at some points, it is 1 at the
// others, and a division by 1 changes no bit.
//
// Keep (c ≠ 0 ? a : 0, the guard the symbolic rules of pow need) passes a's
// tangent where c ≠ 0 and 0 elsewhere, even a NaN or infinite one, and none to
// c: the sweeps mask the tangent by c (see `Op.Keep` in sweeps.ts and reverse.ts).
//
// The unary elementary functions' rules at one point are in point-rules.ts; their
// cases here apply them point by point.
//
// The fused loops (bindings/compiler/fuse.ts) emit +, −, ·, /, negation and √ with
// these same formulas, operation for operation; test/api/fusion.test.ts holds them
// to this table bit for bit.

import { Op, opArity } from "./tape";
import { digamma, erfinv, gamma, lgamma, polygamma, sinc, sincDerivative } from "./gamma";
import {
  MIN_NORMAL, partialOnly, pointRuleScales, unaryRule,
  sinRule, cosRule, tanRule, asinRule, acosRule, atanRule, sinhRule, coshRule, tanhRule, asinhRule, acoshRule, atanhRule,
  expRule, logRule, log1pRule, log2Rule, log10Rule, cbrtRule, erfRule, sigmoidRule, softplusRule,
} from "./point-rules";

// @ts-ignore: decorator
@inline const HALF_SQRT_PI: f64 = 0.8862269254527579;

// @ts-ignore: decorator
@inline function ld(row: usize, p: i32): f64 { return load<f64>(row + (<usize>p << 3)); }
// @ts-ignore: decorator
@inline function st(row: usize, p: i32, x: f64): void { store<f64>(row + (<usize>p << 3), x); }
// @ts-ignore: decorator
@inline function ldv(row: usize, p: i32): v128 { return v128.load(row + (<usize>p << 3)); }
// @ts-ignore: decorator
@inline function stv(row: usize, p: i32, x: v128): void { v128.store(row + (<usize>p << 3), x); }

/** The address of point p of a row. */
// @ts-ignore: decorator
@inline function at(row: usize, p: i32): usize { return row + (<usize>p << 3); }

/**
 * After a point rule that may scale (point-rules.ts) ran at point p: once any
 * point has needed a scale, the others get 1 in the scale row `ds` (which
 * changes no bit). Returns whether the scale row is in use.
 */
// @ts-ignore: decorator
@inline function keepScale(scaledHere: bool, ds: usize, p: i32, scaled: bool): bool {
  if (scaledHere && !scaled) {
    for (let q = 0; q < p; q++) st(ds, q, 1);
    return true;
  }
  if (!scaledHere && scaled) st(ds, p, 1);
  return scaled;
}

/** Partial that is +1 at every point. */
export const ONE: usize = 1;
/** Partial that is −1 at every point. */
export const MINUS_ONE: usize = 2;

/** Where ∂v/∂a of the last `applyRule` call is: a row address, ONE or MINUS_ONE. */
export let partialA: usize = 0;
/** Where ∂v/∂b of the last `applyRule` call is (binary ops). */
export let partialB: usize = 0;
/** The scale s of the last call's ∂v/∂a (∂ = partial/s): a row address, or 0 for none. */
export let scaleA: usize = 0;
/** The scale of ∂v/∂b. */
export let scaleB: usize = 0;
/** Whether the scales are one row for a whole run (a broadcast divisor, x/c); see applyBroadcast. */
export let scaleBroadcast: bool = false;

/** pow as C defines it: 1^y = 1 (and x^0 = 1) for every y, NaN included; JavaScript's says NaN. */
// @ts-ignore: decorator
@inline export function cpow(x: f64, y: f64): f64 { return x == 1 ? 1 : Math.pow(x, y); }

/** Applies `op` to a block: v = op(a, b); if da != 0, also the partials ∂v/∂a, ∂v/∂b (and their scale). */
export function applyRule(op: i32, a: usize, b: usize, v: usize, da: usize, db: usize, ds: usize, n: i32): void {
  const d = da != 0;
  partialA = da;
  partialB = db;
  scaleA = scaleB = 0;
  scaleBroadcast = false;
  switch (op) {
    case Op.Add: { // v = a + b;  ∂a = 1, ∂b = 1
      let p = 0;
      for (; p + 1 < n; p += 2) stv(v, p, f64x2.add(ldv(a, p), ldv(b, p)));
      if (p < n) st(v, p, ld(a, p) + ld(b, p));
      partialA = ONE; partialB = ONE;
      break;
    }
    case Op.Sub: { // v = a − b;  ∂a = 1, ∂b = −1
      let p = 0;
      for (; p + 1 < n; p += 2) stv(v, p, f64x2.sub(ldv(a, p), ldv(b, p)));
      if (p < n) st(v, p, ld(a, p) - ld(b, p));
      partialA = ONE; partialB = MINUS_ONE;
      break;
    }
    case Op.Mul: { // v = a·b;  ∂a = b, ∂b = a
      let p = 0;
      for (; p + 1 < n; p += 2) stv(v, p, f64x2.mul(ldv(a, p), ldv(b, p)));
      if (p < n) st(v, p, ld(a, p) * ld(b, p));
      partialA = b; partialB = a;
      break;
    }
    case Op.Div: { // v = a/b;  ∂a = 1/b, ∂b = −v/b, kept as 1 and −v scaled by b: (ȧ − v·ḃ)/b
      let p = 0;
      for (; p + 1 < n; p += 2) {
        const q = f64x2.div(ldv(a, p), ldv(b, p));
        stv(v, p, q);
        if (d) stv(db, p, f64x2.neg(q));
      }
      if (p < n) {
        const q = ld(a, p) / ld(b, p);
        st(v, p, q);
        if (d) st(db, p, -q);
      }
      partialA = ONE;
      if (d) scaleA = scaleB = b;
      break;
    }
    case Op.Neg: { // v = −a;  ∂a = −1
      let p = 0;
      for (; p + 1 < n; p += 2) stv(v, p, f64x2.neg(ldv(a, p)));
      if (p < n) st(v, p, -ld(a, p));
      partialA = MINUS_ONE;
      break;
    }
    case Op.Pow: { // v = a^b;  ∂a = b·a^(b−1) (0 where b = 0), ∂b = v·ln a (0 where v = 0)
      // ∂a is b·(v/a) where v is a normal number (b − 1 would round, and a^(b−1)
      // magnifies that by |ln v|: 2e-14 for e^-440^0.3), else b·a^(b−1). Where that
      // leaves the range but v does not (a tiny or huge base), ∂a is b·v scaled by a.
      // ∂b is a^(b−1)·(a·ln a) where 0 < a < 1 and v is below the normal range (v's
      // few digits, or 0, would carry into it), as the symbolic rule's (spec.ts powExponent).
      let scaled = false;
      for (let p = 0; p < n; p++) {
        const x = ld(a, p), y = ld(b, p), r = cpow(x, y);
        st(v, p, r);
        if (!d) continue;
        const quotient = x != 0 && Number.isFinite(x) && Math.abs(r) >= MIN_NORMAL && Math.abs(r) <= f64.MAX_VALUE;
        const tiny = x > 0 && x < 1 && Math.abs(r) < MIN_NORMAL;
        const pa = y == 0 ? 0 : quotient ? y * (r / x) : y * cpow(x, y - 1), m = Math.abs(pa);
        const pb = tiny ? cpow(x, y - 1) * (x * Math.log(x)) : r == 0 ? 0 : r * Math.log(x);
        if (!(m >= MIN_NORMAL && m <= f64.MAX_VALUE) && y != 0 && x != 0 && Number.isFinite(x) && Math.abs(r) >= MIN_NORMAL && Number.isFinite(r)) {
          if (!scaled) { for (let q = 0; q < p; q++) st(ds, q, 1); scaled = true; }
          st(da, p, y * r); st(db, p, pb); st(ds, p, x);
        } else {
          st(da, p, pa); st(db, p, pb);
          if (scaled) st(ds, p, 1);
        }
      }
      if (scaled) scaleA = ds;
      break;
    }
    case Op.Sin: { // ∂ sin a = cos a (this case and the elementary functions' below, to softplus: point-rules.ts)
      for (let p = 0; p < n; p++) sinRule(ld(a, p), at(v, p), d ? at(da, p) : 0);
      break;
    }
    case Op.Cos: { // ∂ cos a = −sin a
      for (let p = 0; p < n; p++) cosRule(ld(a, p), at(v, p), d ? at(da, p) : 0);
      break;
    }
    case Op.Tan: { // ∂ tan a = 1 + tan² a
      for (let p = 0; p < n; p++) tanRule(ld(a, p), at(v, p), d ? at(da, p) : 0);
      break;
    }
    case Op.Asin: { // ∂ asin a = 1/√((1 − a)(1 + a))
      for (let p = 0; p < n; p++) asinRule(ld(a, p), at(v, p), d ? at(da, p) : 0);
      break;
    }
    case Op.Acos: { // ∂ acos a = −1/√((1 − a)(1 + a))
      for (let p = 0; p < n; p++) acosRule(ld(a, p), at(v, p), d ? at(da, p) : 0);
      break;
    }
    case Op.Atan: { // ∂ atan a = 1/(1 + a²), scaled for huge |a|
      let scaled = false;
      for (let p = 0; p < n; p++) scaled = keepScale(atanRule(ld(a, p), at(v, p), d ? at(da, p) : 0, at(ds, p)), ds, p, scaled);
      if (scaled) scaleA = ds;
      break;
    }
    case Op.Sinh: { // ∂ sinh a = cosh a
      for (let p = 0; p < n; p++) sinhRule(ld(a, p), at(v, p), d ? at(da, p) : 0);
      break;
    }
    case Op.Cosh: { // ∂ cosh a = sinh a
      for (let p = 0; p < n; p++) coshRule(ld(a, p), at(v, p), d ? at(da, p) : 0);
      break;
    }
    case Op.Tanh: { // ∂ tanh a = 1/cosh² a, scaled beyond |a| = 300
      let scaled = false;
      for (let p = 0; p < n; p++) scaled = keepScale(tanhRule(ld(a, p), at(v, p), d ? at(da, p) : 0, at(ds, p)), ds, p, scaled);
      if (scaled) scaleA = ds;
      break;
    }
    case Op.Asinh: { // ∂ asinh a = 1/√(a² + 1)
      for (let p = 0; p < n; p++) asinhRule(ld(a, p), at(v, p), d ? at(da, p) : 0);
      break;
    }
    case Op.Acosh: { // ∂ acosh a = 1/(√(a − 1)·√(a + 1))
      for (let p = 0; p < n; p++) acoshRule(ld(a, p), at(v, p), d ? at(da, p) : 0);
      break;
    }
    case Op.Atanh: { // ∂ atanh a = 1/((1 − a)(1 + a))
      for (let p = 0; p < n; p++) atanhRule(ld(a, p), at(v, p), d ? at(da, p) : 0);
      break;
    }
    case Op.Exp: { // ∂ exp a = exp a, scaled below the normal range
      let scaled = false;
      for (let p = 0; p < n; p++) scaled = keepScale(expRule(ld(a, p), false, at(v, p), d ? at(da, p) : 0, at(ds, p)), ds, p, scaled);
      if (scaled) scaleA = ds;
      break;
    }
    case Op.Expm1: { // ∂ expm1 a = exp a, likewise
      let scaled = false;
      for (let p = 0; p < n; p++) scaled = keepScale(expRule(ld(a, p), true, at(v, p), d ? at(da, p) : 0, at(ds, p)), ds, p, scaled);
      if (scaled) scaleA = ds;
      break;
    }
    case Op.Log: { // ∂ ln a = 1/a, scaled below the normal range
      let scaled = false;
      for (let p = 0; p < n; p++) scaled = keepScale(logRule(ld(a, p), at(v, p), d ? at(da, p) : 0, at(ds, p)), ds, p, scaled);
      if (scaled) scaleA = ds;
      break;
    }
    case Op.Log1p: { // ∂ ln(1 + a) = 1/(1 + a)
      for (let p = 0; p < n; p++) log1pRule(ld(a, p), at(v, p), d ? at(da, p) : 0);
      break;
    }
    case Op.Log2: { // ∂ log2 a = 1/(a·ln 2), likewise
      let scaled = false;
      for (let p = 0; p < n; p++) scaled = keepScale(log2Rule(ld(a, p), at(v, p), d ? at(da, p) : 0, at(ds, p)), ds, p, scaled);
      if (scaled) scaleA = ds;
      break;
    }
    case Op.Log10: { // ∂ log10 a = 1/(a·ln 10), likewise
      let scaled = false;
      for (let p = 0; p < n; p++) scaled = keepScale(log10Rule(ld(a, p), at(v, p), d ? at(da, p) : 0, at(ds, p)), ds, p, scaled);
      if (scaled) scaleA = ds;
      break;
    }
    case Op.Sqrt: { // ∂ √a = 1/(2√a)
      const half = f64x2.splat(0.5);
      let p = 0;
      for (; p + 1 < n; p += 2) {
        const r = f64x2.sqrt(ldv(a, p));
        stv(v, p, r);
        if (d) stv(da, p, f64x2.div(half, r));
      }
      if (p < n) {
        const r = Math.sqrt(ld(a, p));
        st(v, p, r);
        if (d) st(da, p, 0.5 / r);
      }
      break;
    }
    case Op.Cbrt: { // ∂ ∛a = 1/(3·∛a²)
      for (let p = 0; p < n; p++) cbrtRule(ld(a, p), at(v, p), d ? at(da, p) : 0);
      break;
    }
    case Op.Abs: { // ∂ |a| = sign a (0 at a = 0)
      let p = 0;
      for (; p + 1 < n; p += 2) stv(v, p, f64x2.abs(ldv(a, p)));
      if (p < n) st(v, p, Math.abs(ld(a, p)));
      if (d) for (let q = 0; q < n; q++) { const x = ld(a, q); st(da, q, x > 0 ? 1 : x < 0 ? -1 : x); }
      break;
    }
    case Op.Sign: { // ∂ sign a = 0 (NaN stays NaN; ±0 at ±∞, where a·0 would be NaN)
      for (let p = 0; p < n; p++) { const x = ld(a, p); const s = Math.sign(x); st(v, p, s); if (d) st(da, p, s * 0); }
      break;
    }
    case Op.Erf: { // ∂ erf a = (2/√π)·e^(−a²)
      for (let p = 0; p < n; p++) erfRule(ld(a, p), false, at(v, p), d ? at(da, p) : 0);
      break;
    }
    case Op.Erfc: { // ∂ erfc a = −(2/√π)·e^(−a²)
      for (let p = 0; p < n; p++) erfRule(ld(a, p), true, at(v, p), d ? at(da, p) : 0);
      break;
    }
    case Op.Sigmoid: { // ∂ σ(a) = σ(a)·σ(−a)
      for (let p = 0; p < n; p++) sigmoidRule(ld(a, p), at(v, p), d ? at(da, p) : 0);
      break;
    }
    case Op.Softplus: { // ∂ softplus a = σ(a)
      for (let p = 0; p < n; p++) softplusRule(ld(a, p), at(v, p), d ? at(da, p) : 0);
      break;
    }
    case Op.Lgamma: { // ∂ ln|Γ(a)| = ψ(a)
      for (let p = 0; p < n; p++) { const x = ld(a, p); st(v, p, lgamma(x)); if (d) st(da, p, digamma(x)); }
      break;
    }
    case Op.Digamma: { // ∂ ψ(a) = ψ′(a)
      for (let p = 0; p < n; p++) { const x = ld(a, p); st(v, p, digamma(x)); if (d) st(da, p, polygamma(1, x)); }
      break;
    }
    case Op.Polygamma: { // v = ψ⁽ⁿ⁾(b), n = a;  ∂a = 0 (an order), ∂b = ψ⁽ⁿ⁺¹⁾(b)
      for (let p = 0; p < n; p++) {
        const k = ld(a, p), x = ld(b, p);
        st(v, p, polygamma(k, x));
        if (d) { st(da, p, 0); st(db, p, polygamma(k + 1, x)); }
      }
      break;
    }
    case Op.Gamma: { // ∂ Γ(a) = Γ(a)·ψ(a)
      for (let p = 0; p < n; p++) { const x = ld(a, p), g = gamma(x); st(v, p, g); if (d) st(da, p, g * digamma(x)); }
      break;
    }
    case Op.Erfinv: { // ∂ erfinv a = (√π/2)·e^(v²)
      for (let p = 0; p < n; p++) { const r = erfinv(ld(a, p)); st(v, p, r); if (d) st(da, p, HALF_SQRT_PI * Math.exp(r * r)); }
      break;
    }
    case Op.Sinc: { // ∂ sinc a = (cos πa − sinc a)/a, by its series near 0 (gamma.ts)
      for (let p = 0; p < n; p++) { const x = ld(a, p); st(v, p, sinc(x)); if (d) st(da, p, sincDerivative(x)); }
      break;
    }
    case Op.Xlogy: { // v = a·ln b (0 where a = 0, unless b is NaN);  ∂a = ln b, ∂b = a/b (0 where a = 0)
      for (let p = 0; p < n; p++) {
        const x = ld(a, p), y = ld(b, p);
        st(v, p, x == 0 && y == y ? 0 : x * Math.log(y));
        if (d) { st(da, p, Math.log(y)); st(db, p, x == 0 ? 0 : x / y); }
      }
      break;
    }
    case Op.Atan2: { // v = atan2(a, b) (a = y, b = x);  ∂a = b/r², ∂b = −a/r², r = hypot(a, b): b/r and −a/r scaled by r
      // (b/r and a/r are within ±1; a/r² alone underflows where a ≪ r and r is large, as in atan2(1, sinh 401))
      for (let p = 0; p < n; p++) {
        const y = ld(a, p), x = ld(b, p);
        st(v, p, Math.atan2(y, x));
        if (d) { const r = Math.hypot(x, y); st(da, p, cosineOf(x, y, r)); st(db, p, -cosineOf(y, x, r)); st(ds, p, r); }
      }
      if (d) scaleA = scaleB = ds;
      break;
    }
    case Op.Hypot: { // v = √(a² + b²);  ∂a = a/v, ∂b = b/v
      for (let p = 0; p < n; p++) {
        const x = ld(a, p), y = ld(b, p), r = Math.hypot(x, y);
        st(v, p, r);
        if (d) { st(da, p, cosineOf(x, y, r)); st(db, p, cosineOf(y, x, r)); }
      }
      break;
    }
    case Op.Min: // ∂ min(a, b): 1 for the smaller operand, ½ each on a tie (as JAX)
    case Op.Max: { // ∂ max(a, b): 1 for the larger operand, ½ each on a tie
      const isMin = op == Op.Min;
      for (let p = 0; p < n; p++) {
        const x = ld(a, p), y = ld(b, p);
        st(v, p, isMin ? Math.min(x, y) : Math.max(x, y));
        if (d) {
          const first: f64 = x == y ? 0.5 : (x < y) == isMin ? 1 : 0;
          const nan = x != x || y != y;
          st(da, p, nan ? NaN : first);
          st(db, p, nan ? NaN : x == y ? 0.5 : 1 - first);
        }
      }
      break;
    }
    case Op.Lt: case Op.Le: case Op.Gt: case Op.Ge: case Op.Eq: case Op.Ne: case Op.And: case Op.Or: case Op.Not: {
      // 1 or 0; derivative 0 (the sweeps pass no tangent or adjoint through them: isFlat)
      for (let p = 0; p < n; p++) st(v, p, truth(op, ld(a, p), ld(b, p)) ? 1 : 0);
      if (d) { fillZero(da, n); if (opArity(op) == 2) fillZero(db, n); }
      break;
    }
    case Op.Keep: { // v = b ≠ 0 ? a : −0 (x + (−0) = x);  the tangent of a where b ≠ 0, else 0; none to b (see the header)
      for (let p = 0; p < n; p++) { const c = ld(b, p); st(v, p, c != 0 ? ld(a, p) : -0.0); }
      partialA = ONE;
      break;
    }
    default: unreachable();
  }
}

/** A comparison or logical op at one pair of numbers (NaN compares false and is true as a condition, as in C). */
// @ts-ignore: decorator
@inline function truth(op: i32, x: f64, y: f64): bool {
  switch (op) {
    case Op.Lt: return x < y;
    case Op.Le: return x <= y;
    case Op.Gt: return x > y;
    case Op.Ge: return x >= y;
    case Op.Eq: return x == y;
    case Op.Ne: return x != y;
    case Op.And: return x != 0 && y != 0;
    case Op.Or: return x != 0 || y != 0;
    default: return x == 0; // Not
  }
}

function fillZero(row: usize, n: i32): void { memory.fill(row, 0, <usize>n << 3); }

/** Whether `applyBroadcast` serves `op` (the arithmetic ops a scalar often meets: x·c, x + c, c/x …). */
// @ts-ignore: decorator
@inline export function broadcasts(op: i32): bool { return op == Op.Add || op == Op.Sub || op == Op.Mul || op == Op.Div; }

/**
 * Whether a partial of a run is one row for the whole run rather than L rows:
 * ∂(a·c)/∂a is the broadcast operand c itself (`which` 0: ∂a, 1: ∂b).
 */
// @ts-ignore: decorator
@inline export function partialIsBroadcast(op: i32, broadcastA: bool, broadcastB: bool, which: i32): bool {
  return op == Op.Mul && (which == 0 ? broadcastB : broadcastA);
}

/**
 * applyRule over a run of L rows (B points each, n filled) of an op `broadcasts`
 * serves, where exactly one operand is a single row for the whole run (its step
 * 0): no spelled-out copy of it. Partials are left as applyRule leaves them, at
 * the start of their L rows, except those `partialIsBroadcast` names (one row);
 * a quotient's scale is its divisor: L rows of x for c/x, the one row of c for
 * x/c (`scaleBroadcast`).
 */
export function applyBroadcast(op: i32, a: usize, b: usize, broadcastA: bool, v: usize, da: usize, db: usize,
                               L: i32, B: i32, n: i32): void {
  scaleA = scaleB = 0;
  scaleBroadcast = false;
  if (B == 1) { // one point: the broadcast operand is one number c
    const x = broadcastA ? b : a, c = load<f64>(broadcastA ? a : b), cv = f64x2.splat(c);
    let p = 0;
    switch (op) {
      case Op.Add:
        for (; p + 1 < L; p += 2) stv(v, p, f64x2.add(ldv(x, p), cv));
        if (p < L) st(v, p, ld(x, p) + c);
        break;
      case Op.Sub:
        if (broadcastA) { for (; p + 1 < L; p += 2) stv(v, p, f64x2.sub(cv, ldv(x, p))); if (p < L) st(v, p, c - ld(x, p)); }
        else { for (; p + 1 < L; p += 2) stv(v, p, f64x2.sub(ldv(x, p), cv)); if (p < L) st(v, p, ld(x, p) - c); }
        break;
      case Op.Mul:
        for (; p + 1 < L; p += 2) stv(v, p, f64x2.mul(ldv(x, p), cv));
        if (p < L) st(v, p, ld(x, p) * c);
        break;
      case Op.Div: // ∂a = 1, ∂b = −v (L rows), scaled by the divisor
        if (broadcastA) for (; p < L; p++) { const q = c / ld(x, p); st(v, p, q); if (da) st(db, p, -q); }
        else for (; p < L; p++) { const q = ld(x, p) / c; st(v, p, q); if (da) st(db, p, -q); }
        partialA = ONE; partialB = db;
        if (da) { scaleA = scaleB = b; scaleBroadcast = !broadcastA; }
        return;
      default: unreachable();
    }
    partialA = op == Op.Mul ? b : ONE;
    partialB = op == Op.Mul ? a : op == Op.Sub ? MINUS_ONE : ONE;
    return;
  }
  const rowBytes = <usize>B << 3;
  for (let j = 0; j < L; j++) {
    const o = <usize>j * rowBytes;
    applyRule(op, broadcastA ? a : a + o, broadcastA ? b + o : b, v + o, da ? da + o : 0, da ? db + o : 0, 0, n);
  }
  // applyRule named the last row's partials; the run's start at the first row.
  if (op == Op.Mul) { partialA = b; partialB = a; }
  else if (op == Op.Div) {
    partialB = db;
    if (da) { scaleA = scaleB = b; scaleBroadcast = !broadcastA; }
  }
}

/**
 * x/r with r = hypot(x, y): the direction cosine hypot's and atan2's partials
 * are made of. Where r is out of the normal range, x/r loses it (0 where
 * hypot(1.5e308, 1.5e308) overflows, 1e-4 off where r is subnormal, NaN at an
 * infinite x); there it is taken from the ratio of the smaller magnitude to the
 * larger: (x/|y|)/hypot(1, x/y) where |x| ≤ |y|, else sign(x)/hypot(1, y/x).
 */
// @ts-ignore: decorator
@inline function cosineOf(x: f64, y: f64, r: f64): f64 {
  if (r < 1e300 && r > 1e-290) return x / r;
  return Math.abs(x) <= Math.abs(y) ? x / Math.abs(y) / Math.hypot(1, x / y) : Math.sign(x) / Math.hypot(1, y / x);
}

/**
 * applyRule at one point, for the compiled tier (bindings/compiler/sweep-code.ts),
 * which calls it for every op it does not emit inline: returns the value and,
 * with `partials`, leaves ∂a, ∂b and their scales at `ruleCell()` as four f64,
 * a sentinel as ±1 and a missing scale as 1 (d·t/1 and the ±1 products are the
 * same bits as the sweeps' forms, so the tiers agree bit for bit).
 */
export function scalarRule(op: i32, a: f64, b: f64, partials: i32): f64 {
  store<f64>(RULE_ROWS, a);
  store<f64>(RULE_ROWS, b, 8);
  const d = partials != 0;
  applyRule(op, RULE_ROWS, RULE_ROWS + 8, RULE_ROWS + 16, d ? RULE_ROWS + 24 : 0, RULE_ROWS + 32, RULE_ROWS + 40, 1);
  if (d) {
    store<f64>(RULE_CELL, resolved(partialA));
    store<f64>(RULE_CELL, resolved(partialB), 8);
    store<f64>(RULE_CELL, scaleA ? load<f64>(scaleA) : 1, 16);
    store<f64>(RULE_CELL, scaleB ? load<f64>(scaleB) : 1, 24);
  }
  return load<f64>(RULE_ROWS + 16);
}

/**
 * A unary op at one point, for the compiled tier: as `scalarRule`, with the
 * value returned and, with `partials`, ∂a at `ruleCell()` and its scale (1 for
 * none) two cells on; straight from the op's point rule (point-rules.ts) where
 * it has one, else through the op table.
 */
export function scalarRule1(op: i32, a: f64, partials: i32): f64 {
  store<f64>(RULE_CELL, 1, 16); // (the scale, unless the rule stores one)
  // (the point rules' one call site outside the op table's loops: inlined here, no call of its own)
  if (unaryRule(op, a, RULE_ROWS + 16, partials > 0 ? RULE_CELL : 0, RULE_CELL + 16)) return load<f64>(RULE_ROWS + 16);
  if (partials < 0) { // hasPointRule's question: no rule here
    ruleMissed = true;
    return 0;
  }
  return scalarRule(op, a, 0, partials);
}

/**
 * `scalarRule1` for one op with a point rule and one `partials` mode, the op's
 * dispatch and the mode's gone: the compiled tier calls or inlines these
 * (compiler/splice.ts), exported as `<op name>Point<mode>` (assembly/index.ts):
 * 0 the value alone, 1 the value and the partial (and its scale), 2 the partial
 * alone where the op has such a form (sin, cos: partialOnly). Each export is the
 * one path its call sites run, so inlined it carries no other mode's code.
 */
// @ts-ignore: decorator
@inline function pointRuleOf(op: i32, a: f64, partials: i32): f64 {
  // (partials 2: the value is not needed, where the op has a partial without it; its value is then 0)
  if (partials > 1 && partialOnly(op, a, RULE_CELL)) return 0;
  if (pointRuleScales(op)) store<f64>(RULE_CELL, 1, 16);
  unaryRule(op, a, RULE_ROWS + 16, partials > 0 ? RULE_CELL : 0, RULE_CELL + 16);
  return load<f64>(RULE_ROWS + 16);
}
export function sinPoint0(a: f64): f64 { return pointRuleOf(Op.Sin, a, 0); }
export function sinPoint1(a: f64): f64 { return pointRuleOf(Op.Sin, a, 1); }
export function sinPoint2(a: f64): f64 { return pointRuleOf(Op.Sin, a, 2); }
export function cosPoint0(a: f64): f64 { return pointRuleOf(Op.Cos, a, 0); }
export function cosPoint1(a: f64): f64 { return pointRuleOf(Op.Cos, a, 1); }
export function cosPoint2(a: f64): f64 { return pointRuleOf(Op.Cos, a, 2); }
export function tanPoint0(a: f64): f64 { return pointRuleOf(Op.Tan, a, 0); }
export function tanPoint1(a: f64): f64 { return pointRuleOf(Op.Tan, a, 1); }
export function asinPoint0(a: f64): f64 { return pointRuleOf(Op.Asin, a, 0); }
export function asinPoint1(a: f64): f64 { return pointRuleOf(Op.Asin, a, 1); }
export function acosPoint0(a: f64): f64 { return pointRuleOf(Op.Acos, a, 0); }
export function acosPoint1(a: f64): f64 { return pointRuleOf(Op.Acos, a, 1); }
export function atanPoint0(a: f64): f64 { return pointRuleOf(Op.Atan, a, 0); }
export function atanPoint1(a: f64): f64 { return pointRuleOf(Op.Atan, a, 1); }
export function sinhPoint0(a: f64): f64 { return pointRuleOf(Op.Sinh, a, 0); }
export function sinhPoint1(a: f64): f64 { return pointRuleOf(Op.Sinh, a, 1); }
export function coshPoint0(a: f64): f64 { return pointRuleOf(Op.Cosh, a, 0); }
export function coshPoint1(a: f64): f64 { return pointRuleOf(Op.Cosh, a, 1); }
export function expPoint0(a: f64): f64 { return pointRuleOf(Op.Exp, a, 0); }
export function expPoint1(a: f64): f64 { return pointRuleOf(Op.Exp, a, 1); }
export function expm1Point0(a: f64): f64 { return pointRuleOf(Op.Expm1, a, 0); }
export function expm1Point1(a: f64): f64 { return pointRuleOf(Op.Expm1, a, 1); }
export function logPoint0(a: f64): f64 { return pointRuleOf(Op.Log, a, 0); }
export function logPoint1(a: f64): f64 { return pointRuleOf(Op.Log, a, 1); }
export function log1pPoint0(a: f64): f64 { return pointRuleOf(Op.Log1p, a, 0); }
export function log1pPoint1(a: f64): f64 { return pointRuleOf(Op.Log1p, a, 1); }
export function log2Point0(a: f64): f64 { return pointRuleOf(Op.Log2, a, 0); }
export function log2Point1(a: f64): f64 { return pointRuleOf(Op.Log2, a, 1); }
export function erfcPoint0(a: f64): f64 { return pointRuleOf(Op.Erfc, a, 0); }
export function erfcPoint1(a: f64): f64 { return pointRuleOf(Op.Erfc, a, 1); }
export function sigmoidPoint0(a: f64): f64 { return pointRuleOf(Op.Sigmoid, a, 0); }
export function sigmoidPoint1(a: f64): f64 { return pointRuleOf(Op.Sigmoid, a, 1); }

/** Set by scalarRule1 asked with partials −1 for an op it has no point rule for. */
let ruleMissed = false;

/**
 * Whether `scalarRule1` computes `op` by its point rule: 1 by one that never
 * scales its partial (its scale is always 1), 2 by one that may, 0 not at all
 * (through the op table).
 */
export function hasPointRule(op: i32): i32 {
  ruleMissed = false;
  scalarRule1(op, 0, -1);
  return ruleMissed ? 0 : pointRuleScales(op) ? 2 : 1;
}

/** Whether op has `<name>Point2`, its partial without its value (partialOnly). */
export function hasPartialOnly(op: i32): bool {
  return partialOnly(op, 0, RULE_CELL);
}

/** Where `scalarRule` leaves its partials. */
export function ruleCell(): usize { return RULE_CELL; }

/** A partial's value at the one point of a scalarRule call. */
function resolved(p: usize): f64 { return p == ONE ? 1 : p == MINUS_ONE ? -1 : load<f64>(p); }

// One point's a, b, v, da, db, ds, and scalarRule's result cell.
const RULE_ROWS = memory.data(48, 16);
const RULE_CELL = memory.data(32, 16);

/** The value of `op` at one pair of numbers: the compiler folds constants with it. */
export function foldConstant(op: i32, a: f64, b: f64): f64 {
  // Three rows of two points; only the first point is meaningful.
  store<f64>(FOLD_ROWS, a); store<f64>(FOLD_ROWS, 0, 8);
  store<f64>(FOLD_ROWS + 16, b); store<f64>(FOLD_ROWS + 16, 0, 8);
  applyRule(op, FOLD_ROWS, FOLD_ROWS + 16, FOLD_ROWS + 32, 0, 0, 0, 2);
  return load<f64>(FOLD_ROWS + 32);
}

const FOLD_ROWS = memory.data(48, 16);
