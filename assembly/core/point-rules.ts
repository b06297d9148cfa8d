// The rules of the unary elementary functions at one point: the value, stored
// at `v`, and unless `da` is 0 the local partial ∂v/∂a, stored at `da`. A rule
// that may scale its partial (see "Scaled partials" in rules.ts: atan, tanh,
// exp, expm1) takes `ds` too, stores the scale s there where it needs one
// (∂ = partial/s; s is never exactly 1 then) and returns whether it did. This
// is the one definition of each: the op table's loops (rules.ts applyRule)
// call these per point with addresses in their rows, and `unaryRule` serves
// the compiled tier, which calls it once per op and point.
//
// Every function is inlined where it is called; with `da` a constant 0 (the op
// table's value-only loops) the partial's code goes away.

import { Op } from "./tape";
import * as trig from "./trig";
import { erf, erfc, expMinusSquare, sigmoid, softplus } from "./special";

// @ts-ignore: decorator
@inline const LN2: f64 = 0.6931471805599453;
// @ts-ignore: decorator
@inline const LOG10_E: f64 = 0.4342944819032518; // 1/ln 10
// @ts-ignore: decorator
@inline const LOG2_E: f64 = 1.4426950408889634; // 1/ln 2
// @ts-ignore: decorator
@inline const TWO_OVER_SQRT_PI: f64 = 1.1283791670955126;
// Beyond these, 1 + a² (atan, asinh) and cosh² (tanh) would leave the double range.
// @ts-ignore: decorator
@inline export const HUGE_ARGUMENT: f64 = 1e100;
// @ts-ignore: decorator
@inline const TANH_SCALED: f64 = 300;
// The smallest normal double: a partial below it has lost precision.
// @ts-ignore: decorator
@inline export const MIN_NORMAL: f64 = 2.2250738585072014e-308;

/** ∂ sin a = cos a (one argument reduction for both). */
// @ts-ignore: decorator
@inline export function sinRule(x: f64, v: usize, da: usize): void {
  if (!da) { store<f64>(v, trig.sin(x)); return; }
  trig.sinCos(x);
  store<f64>(v, trig.sinOut);
  store<f64>(da, trig.cosOut);
}

/** ∂ cos a = −sin a. */
// @ts-ignore: decorator
@inline export function cosRule(x: f64, v: usize, da: usize): void {
  if (!da) { store<f64>(v, trig.cos(x)); return; }
  trig.sinCos(x);
  store<f64>(v, trig.cosOut);
  store<f64>(da, -trig.sinOut);
}

/** ∂ tan a = 1 + tan² a. */
// @ts-ignore: decorator
@inline export function tanRule(x: f64, v: usize, da: usize): void {
  const t = trig.tan(x);
  store<f64>(v, t);
  if (da) store<f64>(da, 1 + t * t);
}

/** ∂ asin a = 1/√((1 − a)(1 + a))  (factored: no cancellation next to ±1). */
// @ts-ignore: decorator
@inline export function asinRule(x: f64, v: usize, da: usize): void {
  store<f64>(v, Math.asin(x));
  if (da) store<f64>(da, 1 / Math.sqrt((1 - x) * (1 + x)));
}

/** ∂ acos a = −1/√((1 − a)(1 + a)). */
// @ts-ignore: decorator
@inline export function acosRule(x: f64, v: usize, da: usize): void {
  store<f64>(v, Math.acos(x));
  if (da) store<f64>(da, -1 / Math.sqrt((1 - x) * (1 + x)));
}

/** ∂ atan a = 1/(1 + a²); for huge |a|, 1/a scaled by a (1/a² would underflow). */
// @ts-ignore: decorator
@inline export function atanRule(x: f64, v: usize, da: usize, ds: usize): bool {
  store<f64>(v, Math.atan(x));
  if (!da) return false;
  if (Math.abs(x) > HUGE_ARGUMENT) {
    store<f64>(da, 1 / x);
    store<f64>(ds, x);
    return true;
  }
  store<f64>(da, 1 / (1 + x * x));
  return false;
}

/** ∂ sinh a = cosh a. */
// @ts-ignore: decorator
@inline export function sinhRule(x: f64, v: usize, da: usize): void {
  store<f64>(v, Math.sinh(x));
  if (da) store<f64>(da, Math.cosh(x));
}

/** ∂ cosh a = sinh a. */
// @ts-ignore: decorator
@inline export function coshRule(x: f64, v: usize, da: usize): void {
  store<f64>(v, Math.cosh(x));
  if (da) store<f64>(da, Math.sinh(x));
}

/** ∂ tanh a = 1/cosh² a (1 − tanh² a cancels for |a| ≳ 1); beyond |a| = 300, 1/cosh a scaled by cosh a. */
// @ts-ignore: decorator
@inline export function tanhRule(x: f64, v: usize, da: usize, ds: usize): bool {
  store<f64>(v, Math.tanh(x));
  if (!da) return false;
  const c = Math.cosh(x);
  if (Math.abs(x) > TANH_SCALED) {
    store<f64>(da, 1 / c);
    store<f64>(ds, c);
    return true;
  }
  store<f64>(da, 1 / (c * c));
  return false;
}

/** ∂ asinh a = 1/√(a² + 1), or 1/|a| where a² would overflow. */
// @ts-ignore: decorator
@inline export function asinhRule(x: f64, v: usize, da: usize): void {
  store<f64>(v, Math.asinh(x));
  if (da) store<f64>(da, Math.abs(x) > HUGE_ARGUMENT ? 1 / Math.abs(x) : 1 / Math.sqrt(x * x + 1));
}

/** ∂ acosh a = 1/(√(a − 1)·√(a + 1))  (factored: no cancellation near 1). */
// @ts-ignore: decorator
@inline export function acoshRule(x: f64, v: usize, da: usize): void {
  store<f64>(v, Math.acosh(x));
  if (da) store<f64>(da, 1 / (Math.sqrt(x - 1) * Math.sqrt(x + 1)));
}

/** ∂ atanh a = 1/((1 − a)(1 + a)). */
// @ts-ignore: decorator
@inline export function atanhRule(x: f64, v: usize, da: usize): void {
  store<f64>(v, Math.atanh(x));
  if (da) store<f64>(da, 1 / ((1 - x) * (1 + x)));
}

/**
 * exp (`minusOne` false) and expm1: ∂ = exp a; below the normal range (a < −708),
 * e^(a + 700) scaled by e^700 (a + 700 is exact, a being further from 0; a
 * tangent as large as 1e300 makes e^−996·ȧ an ordinary number).
 */
// @ts-ignore: decorator
@inline export function expRule(x: f64, minusOne: bool, v: usize, da: usize, ds: usize): bool {
  const r = Math.exp(x);
  store<f64>(v, minusOne ? Math.expm1(x) : r);
  if (!da) return false;
  if (r < MIN_NORMAL && x > -1500) {
    store<f64>(da, Math.exp(x + 700));
    store<f64>(ds, Math.exp(700));
    return true;
  }
  store<f64>(da, r);
  return false;
}

/**
 * A logarithm's partial c/a (c = 1, 1/ln 2, 1/ln 10), `partial` as its rule forms
 * it in the normal range; below it, c scaled by a, as the spec's rule is (1/a
 * overflows there, so ∂·ȧ would be ∞ where it is an ordinary number: c at
 * a = ȧ = 1e-310).
 */
// @ts-ignore: decorator
@inline function logPartial(x: f64, c: f64, partial: f64, da: usize, ds: usize): bool {
  if (x != 0 && Math.abs(x) < MIN_NORMAL) {
    store<f64>(da, c);
    store<f64>(ds, x);
    return true;
  }
  store<f64>(da, partial);
  return false;
}

/** ∂ ln a = 1/a (scaled: logPartial). */
// @ts-ignore: decorator
@inline export function logRule(x: f64, v: usize, da: usize, ds: usize): bool {
  store<f64>(v, Math.log(x));
  return da ? logPartial(x, 1, 1 / x, da, ds) : false;
}

/** ∂ ln(1 + a) = 1/(1 + a). */
// @ts-ignore: decorator
@inline export function log1pRule(x: f64, v: usize, da: usize): void {
  store<f64>(v, Math.log1p(x));
  if (da) store<f64>(da, 1 / (1 + x));
}

/** ∂ log2 a = 1/(a·ln 2) (scaled: logPartial, with 1/ln 2 by a: a·ln 2 would lose digits there). */
// @ts-ignore: decorator
@inline export function log2Rule(x: f64, v: usize, da: usize, ds: usize): bool {
  store<f64>(v, Math.log2(x));
  return da ? logPartial(x, LOG2_E, 1 / (x * LN2), da, ds) : false;
}

/** ∂ log10 a = (1/ln 10)/a  (a·ln 10 overflows from a = 7.8e307 on; scaled: logPartial). */
// @ts-ignore: decorator
@inline export function log10Rule(x: f64, v: usize, da: usize, ds: usize): bool {
  store<f64>(v, Math.log10(x));
  return da ? logPartial(x, LOG10_E, LOG10_E / x, da, ds) : false;
}

/** ∂ ∛a = 1/(3·∛a²). */
// @ts-ignore: decorator
@inline export function cbrtRule(x: f64, v: usize, da: usize): void {
  const r = Math.cbrt(x);
  store<f64>(v, r);
  if (da) store<f64>(da, 1 / (3 * r * r));
}

/** erf (`complement` false) and erfc: ∂ erf a = (2/√π)·e^(−a²), ∂ erfc a = −(2/√π)·e^(−a²). */
// @ts-ignore: decorator
@inline export function erfRule(x: f64, complement: bool, v: usize, da: usize): void {
  store<f64>(v, complement ? erfc(x) : erf(x));
  // (e^(−x²) with x² in two parts: its rounding, amplified by exp, cost 239 ulp at x = 20; 0 beyond 27.3)
  if (da) store<f64>(da, (complement ? -TWO_OVER_SQRT_PI : TWO_OVER_SQRT_PI) * (Math.abs(x) > 28 ? 0 : expMinusSquare(Math.abs(x))));
}

/** ∂ σ(a) = σ(a)·σ(−a)  (σ(1 − σ) would cancel for large a). */
// @ts-ignore: decorator
@inline export function sigmoidRule(x: f64, v: usize, da: usize): void {
  const s = sigmoid(x);
  store<f64>(v, s);
  if (da) store<f64>(da, s * sigmoid(-x));
}

/** ∂ softplus a = σ(a). */
// @ts-ignore: decorator
@inline export function softplusRule(x: f64, v: usize, da: usize): void {
  store<f64>(v, softplus(x));
  if (da) store<f64>(da, sigmoid(x));
}

/**
 * The rule of unary `op` at one point, as above (`ds` is written only where the
 * partial is scaled); returns whether it has a rule for `op`, writing nothing
 * for an op it does not serve. It leaves out the ops whose math the
 * optimizer inlines into the op table's loops (tanh, asinh, acosh, atanh, log10,
 * cbrt, erf, softplus): a second call site here would stop that inlining, and
 * slow the interpreter's runs of them.
 */
// @ts-ignore: decorator
@inline export function unaryRule(op: i32, x: f64, v: usize, da: usize, ds: usize): bool {
  switch (op) {
    case Op.Sin: sinRule(x, v, da); return true;
    case Op.Cos: cosRule(x, v, da); return true;
    case Op.Tan: tanRule(x, v, da); return true;
    case Op.Asin: asinRule(x, v, da); return true;
    case Op.Acos: acosRule(x, v, da); return true;
    case Op.Atan: atanRule(x, v, da, ds); return true;
    case Op.Sinh: sinhRule(x, v, da); return true;
    case Op.Cosh: coshRule(x, v, da); return true;
    case Op.Exp: expRule(x, false, v, da, ds); return true;
    case Op.Expm1: expRule(x, true, v, da, ds); return true;
    case Op.Log: logRule(x, v, da, ds); return true;
    case Op.Log1p: log1pRule(x, v, da); return true;
    case Op.Log2: log2Rule(x, v, da, ds); return true;
    case Op.Erfc: erfRule(x, true, v, da); return true;
    case Op.Sigmoid: sigmoidRule(x, v, da); return true;
    default:
      return false;
  }
}

/**
 * The partial ∂a of unary `op` alone, into `da`, where its value is not needed (the
 * compiled tier's reverse sweep of sin(xy) + …, whose sum reads no value of sin);
 * false for an op without such a form. The same bits as its rule's partial: musl's
 * cos and sin share sincos's kernels and reduction, and trig.ts's own reduction
 * is the same for all three (test/api/tiers.test.ts holds them to the rules').
 */
// @ts-ignore: decorator
@inline export function partialOnly(op: i32, x: f64, da: usize): bool {
  switch (op) {
    case Op.Sin: store<f64>(da, trig.cos(x)); return true;
    case Op.Cos: store<f64>(da, -trig.sin(x)); return true;
    default: return false;
  }
}

/** Whether `unaryRule`'s rule for `op` may scale its partial (those that take `ds` above). */
// @ts-ignore: decorator
@inline export function pointRuleScales(op: i32): bool {
  return op == Op.Atan || op == Op.Exp || op == Op.Expm1 || op == Op.Log || op == Op.Log2;
}
