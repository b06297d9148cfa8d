// The rules of the unary elementary functions at one point: the value and, when
// `d`, the local partial ∂v/∂a, left in `pointPartial` with its scale in
// `pointScale` (1: none; see "Scaled partials" in rules.ts). This is the one
// definition of each: the op table's loops (rules.ts applyRule) call these per
// point, and so does `unaryRule` for the compiled tier, which calls it once per
// op and point instead of going through the op table's rows.
//
// Every function is inlined where it is called with a constant `d`, so the op
// table's value-only loops compute the value alone.

import { Op } from "./tape";
import { erf, erfc, sigmoid, softplus } from "./special";

// @ts-ignore: decorator
@inline const LN2: f64 = 0.6931471805599453;
// @ts-ignore: decorator
@inline const LN10: f64 = 2.302585092994046;
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

/** ∂v/∂a at the point of the last rule called with `d`. */
export let pointPartial: f64 = 0;
/** Its scale s (∂ = pointPartial/s), 1 where none is needed; never exactly 1 where one is. */
export let pointScale: f64 = 1;

// @ts-ignore: decorator
@inline function partial(p: f64): void { pointPartial = p; pointScale = 1; }
// @ts-ignore: decorator
@inline function scaledPartial(p: f64, s: f64): void { pointPartial = p; pointScale = s; }

/** ∂ sin a = cos a (one argument reduction for both). */
// @ts-ignore: decorator
@inline export function sinRule(x: f64, d: bool): f64 {
  if (!d) return Math.sin(x);
  NativeMath.sincos(x);
  partial(NativeMath.sincos_cos);
  return NativeMath.sincos_sin;
}

/** ∂ cos a = −sin a. */
// @ts-ignore: decorator
@inline export function cosRule(x: f64, d: bool): f64 {
  if (!d) return Math.cos(x);
  NativeMath.sincos(x);
  partial(-NativeMath.sincos_sin);
  return NativeMath.sincos_cos;
}

/** ∂ tan a = 1 + tan² a. */
// @ts-ignore: decorator
@inline export function tanRule(x: f64, d: bool): f64 {
  const t = Math.tan(x);
  if (d) partial(1 + t * t);
  return t;
}

/** ∂ asin a = 1/√((1 − a)(1 + a))  (factored: no cancellation next to ±1). */
// @ts-ignore: decorator
@inline export function asinRule(x: f64, d: bool): f64 {
  if (d) partial(1 / Math.sqrt((1 - x) * (1 + x)));
  return Math.asin(x);
}

/** ∂ acos a = −1/√((1 − a)(1 + a)). */
// @ts-ignore: decorator
@inline export function acosRule(x: f64, d: bool): f64 {
  if (d) partial(-1 / Math.sqrt((1 - x) * (1 + x)));
  return Math.acos(x);
}

/** ∂ atan a = 1/(1 + a²); for huge |a|, 1/a scaled by a (1/a² would underflow). */
// @ts-ignore: decorator
@inline export function atanRule(x: f64, d: bool): f64 {
  if (d) {
    if (Math.abs(x) > HUGE_ARGUMENT) scaledPartial(1 / x, x);
    else partial(1 / (1 + x * x));
  }
  return Math.atan(x);
}

/** ∂ sinh a = cosh a. */
// @ts-ignore: decorator
@inline export function sinhRule(x: f64, d: bool): f64 {
  if (d) partial(Math.cosh(x));
  return Math.sinh(x);
}

/** ∂ cosh a = sinh a. */
// @ts-ignore: decorator
@inline export function coshRule(x: f64, d: bool): f64 {
  if (d) partial(Math.sinh(x));
  return Math.cosh(x);
}

/** ∂ tanh a = 1/cosh² a (1 − tanh² a cancels for |a| ≳ 1); beyond |a| = 300, 1/cosh a scaled by cosh a. */
// @ts-ignore: decorator
@inline export function tanhRule(x: f64, d: bool): f64 {
  if (d) {
    const c = Math.cosh(x);
    if (Math.abs(x) > TANH_SCALED) scaledPartial(1 / c, c);
    else partial(1 / (c * c));
  }
  return Math.tanh(x);
}

/** ∂ asinh a = 1/√(a² + 1), or 1/|a| where a² would overflow. */
// @ts-ignore: decorator
@inline export function asinhRule(x: f64, d: bool): f64 {
  if (d) partial(Math.abs(x) > HUGE_ARGUMENT ? 1 / Math.abs(x) : 1 / Math.sqrt(x * x + 1));
  return Math.asinh(x);
}

/** ∂ acosh a = 1/(√(a − 1)·√(a + 1))  (factored: no cancellation near 1). */
// @ts-ignore: decorator
@inline export function acoshRule(x: f64, d: bool): f64 {
  if (d) partial(1 / (Math.sqrt(x - 1) * Math.sqrt(x + 1)));
  return Math.acosh(x);
}

/** ∂ atanh a = 1/((1 − a)(1 + a)). */
// @ts-ignore: decorator
@inline export function atanhRule(x: f64, d: bool): f64 {
  if (d) partial(1 / ((1 - x) * (1 + x)));
  return Math.atanh(x);
}

/**
 * exp (`minusOne` false) and expm1: ∂ = exp a; below the normal range (a < −708),
 * e^(a + 700) scaled by e^700 (a + 700 is exact, a being further from 0; a
 * tangent as large as 1e300 makes e^−996·ȧ an ordinary number).
 */
// @ts-ignore: decorator
@inline export function expRule(x: f64, minusOne: bool, d: bool): f64 {
  const r = Math.exp(x);
  if (d) {
    if (r < MIN_NORMAL && x > -1500) scaledPartial(Math.exp(x + 700), Math.exp(700));
    else partial(r);
  }
  return minusOne ? Math.expm1(x) : r;
}

/** ∂ ln a = 1/a. */
// @ts-ignore: decorator
@inline export function logRule(x: f64, d: bool): f64 {
  if (d) partial(1 / x);
  return Math.log(x);
}

/** ∂ ln(1 + a) = 1/(1 + a). */
// @ts-ignore: decorator
@inline export function log1pRule(x: f64, d: bool): f64 {
  if (d) partial(1 / (1 + x));
  return Math.log1p(x);
}

/** ∂ log2 a = 1/(a·ln 2). */
// @ts-ignore: decorator
@inline export function log2Rule(x: f64, d: bool): f64 {
  if (d) partial(1 / (x * LN2));
  return Math.log2(x);
}

/** ∂ log10 a = 1/(a·ln 10). */
// @ts-ignore: decorator
@inline export function log10Rule(x: f64, d: bool): f64 {
  if (d) partial(1 / (x * LN10));
  return Math.log10(x);
}

/** ∂ ∛a = 1/(3·∛a²). */
// @ts-ignore: decorator
@inline export function cbrtRule(x: f64, d: bool): f64 {
  const r = Math.cbrt(x);
  if (d) partial(1 / (3 * r * r));
  return r;
}

/** erf (`complement` false) and erfc: ∂ erf a = (2/√π)·e^(−a²), ∂ erfc a = −(2/√π)·e^(−a²). */
// @ts-ignore: decorator
@inline export function erfRule(x: f64, complement: bool, d: bool): f64 {
  if (d) partial((complement ? -TWO_OVER_SQRT_PI : TWO_OVER_SQRT_PI) * Math.exp(-(x * x)));
  return complement ? erfc(x) : erf(x);
}

/** ∂ σ(a) = σ(a)·σ(−a)  (σ(1 − σ) would cancel for large a). */
// @ts-ignore: decorator
@inline export function sigmoidRule(x: f64, d: bool): f64 {
  const s = sigmoid(x);
  if (d) partial(s * sigmoid(-x));
  return s;
}

/** ∂ softplus a = σ(a). */
// @ts-ignore: decorator
@inline export function softplusRule(x: f64, d: bool): f64 {
  if (d) partial(sigmoid(x));
  return softplus(x);
}

/** Whether `unaryRule` has a rule of its own for `op` (else the caller takes the op table's). */
export let ruleFound = false;

/**
 * The rule of unary `op` at one point (partials when `d`, as above); sets
 * `ruleFound` false, and returns 0, for an op without one here.
 */
// @ts-ignore: decorator
@inline export function unaryRule(op: i32, x: f64, d: bool): f64 {
  ruleFound = true;
  switch (op) {
    case Op.Sin: return sinRule(x, d);
    case Op.Cos: return cosRule(x, d);
    case Op.Tan: return tanRule(x, d);
    case Op.Asin: return asinRule(x, d);
    case Op.Acos: return acosRule(x, d);
    case Op.Atan: return atanRule(x, d);
    case Op.Sinh: return sinhRule(x, d);
    case Op.Cosh: return coshRule(x, d);
    case Op.Tanh: return tanhRule(x, d);
    case Op.Asinh: return asinhRule(x, d);
    case Op.Acosh: return acoshRule(x, d);
    case Op.Atanh: return atanhRule(x, d);
    case Op.Exp: return expRule(x, false, d);
    case Op.Expm1: return expRule(x, true, d);
    case Op.Log: return logRule(x, d);
    case Op.Log1p: return log1pRule(x, d);
    case Op.Log2: return log2Rule(x, d);
    case Op.Log10: return log10Rule(x, d);
    case Op.Cbrt: return cbrtRule(x, d);
    case Op.Erf: return erfRule(x, false, d);
    case Op.Erfc: return erfRule(x, true, d);
    case Op.Sigmoid: return sigmoidRule(x, d);
    case Op.Softplus: return softplusRule(x, d);
    default:
      ruleFound = false;
      return 0;
  }
}
