// sin, cos and tan for the derivative rules (point-rules.ts), with an argument
// reduction of their own from |x| = 2²⁰ on. AssemblyScript's (pio2_large_quot,
// used from 2²⁰·π/2 on) drops the cross terms of a 128-bit product and is off by
// up to 8·10⁴ ulp next to a multiple of π/2 (cos 1698673.2849629424: 1.8·10³ ulp),
// and its sincos takes every |x| ≥ 2¹⁰¹⁷ for Inf or NaN. Below 2²⁰ NativeMath's
// own reduction (Cody–Waite) is right and is used as it is.
//
// The reduction (Payne–Hanek): x = m·2ᵉ with m a 53-bit integer, so x·2/π mod 4
// needs only the bits of 2/π from 2^−(e−1) on: m times a 192-bit window of them
// gives the quadrant in its top two bits and the fraction in the 190 below (the
// bits after the window change it by less than 2⁻¹³⁷). The fraction, at least
// 2⁻⁶² from 0 for any double (the closest a double comes to a multiple of π/2),
// is taken to 106 bits and times π/2 in double-double: r = y₀ + y₁, |r| ≤ π/4.
// Then sin(y₀ + y₁) = sin y₀ + y₁·cos y₀ to well within an ulp (y₁ ≤ ulp(y₀)/2).

import { productError } from "./exact";

// @ts-ignore: decorator
@inline const LARGE: f64 = 1048576; // 2²⁰
// π/2 = PIO2_HI + PIO2_LO to 2⁻¹⁰⁷
// @ts-ignore: decorator
@inline const PIO2_HI: f64 = 1.5707963267948966;
// @ts-ignore: decorator
@inline const PIO2_LO: f64 = 6.123233995736766e-17;

/**
 * Bits of 2/π, most significant first, after 64 zero bits (so that a window may
 * start up to 63 bits before the binary point): word k holds the bits of weight
 * 2^−(64k − 64) … 2^−(64k − 1), i.e. floor(2/π · 2¹³⁴³) in 22 words. Checked against
 * an independent computation of π in test/unit/trig-table.test.ts.
 */
const TWO_OVER_PI = memory.data<u64>([
  0x0000000000000000,
  0x517CC1B727220A94,
  0xFE13ABE8FA9A6EE0,
  0x6DB14ACC9E21C820,
  0xFF28B1D5EF5DE2B0,
  0xDB92371D2126E970,
  0x0324977504E8C90E,
  0x7F0EF58E5894D39F,
  0x74411AFA975DA242,
  0x74CE38135A2FBF20,
  0x9CC8EB1CC1A99CFA,
  0x4E422FC5DEFC941D,
  0x8FFC4BFFEF02CC07,
  0xF79788C5AD05368F,
  0xB69B3F6793E584DB,
  0xA7A31FB34F2FF516,
  0xBA93DD63F5F2F8BD,
  0x9E839CFBC5294975,
  0x35FDAFD88FC6AE84,
  0x2B0198237E3DB5D5,
  0xF867DE104D7A1B0E,
  0xD4F1C8B0AF730D84
]);

/** The quadrant of the last reduce (x·2/π rounded to the nearest integer, mod 4) and r = y0 + y1 = x − quadrant·π/2. */
let quadrant: i32 = 0;
let y0: f64 = 0, y1: f64 = 0;
/** The high word of the last wide product. */
let productHigh: u64 = 0;

/** a·b as 128 bits: the low 64 returned, the high 64 in productHigh. */
// @ts-ignore: decorator
@inline function wideProduct(a: u64, b: u64): u64 {
  const aLo = a & 0xFFFFFFFF, aHi = a >> 32, bLo = b & 0xFFFFFFFF, bHi = b >> 32;
  const ll = aLo * bLo, lh = aLo * bHi, hl = aHi * bLo;
  const mid = (ll >> 32) + (lh & 0xFFFFFFFF) + (hl & 0xFFFFFFFF);
  productHigh = aHi * bHi + (lh >> 32) + (hl >> 32) + (mid >> 32);
  return (mid << 32) | (ll & 0xFFFFFFFF);
}

/** Word k of the 2/π bits shifted left by s (0 < s < 64), topped up from word k + 1. */
// @ts-ignore: decorator
@inline function window(k: i32, s: u64): u64 {
  const w = load<u64>(TWO_OVER_PI + (<usize>k << 3));
  return s ? (w << s) | (load<u64>(TWO_OVER_PI + (<usize>(k + 1) << 3)) >> (64 - s)) : w;
}

/** Reduces a finite |x| ≥ 2²⁰ (its bits `u`, sign cleared): sets quadrant, y0 and y1. */
function reduce(u: u64): void {
  const m = (u & 0x000FFFFFFFFFFFFF) | 0x0010000000000000;
  const j = <i32>(u >> 52) - 1075 + 63; // the window's first bit, counted from the table's start
  const k = j >> 6, s = <u64>(j & 63);
  const w2 = window(k, s), w1 = window(k + 1, s), w0 = window(k + 2, s);
  // m·w mod 2¹⁹²: three words
  const p0 = wideProduct(m, w0), h0 = productHigh;
  const l1 = wideProduct(m, w1), h1 = productHigh;
  const p1 = h0 + l1;
  const p2 = h1 + m * w2 + <u64>(p1 < h0);
  let n = <i32>(p2 >> 62);
  // the fraction, 128 bits of it, and its sign once rounded to the nearest quadrant
  let top = (p2 << 2) | (p1 >> 62), next = (p1 << 2) | (p0 >> 62);
  let negative = false;
  if (top >> 63) {
    n++;
    top = ~top;
    next = ~next + 1;
    if (next == 0) top++;
    negative = true;
  }
  quadrant = n & 3;
  if (top == 0 && next == 0) { y0 = 0; y1 = 0; return; }
  const z = top ? <i32>clz(top) : 64 + <i32>clz(next);
  if (z >= 64) { top = next << <u64>(z - 64); next = 0; }
  else if (z > 0) { top = (top << <u64>z) | (next >> <u64>(64 - z)); next <<= <u64>z; }
  // the fraction = A + B, two exact doubles of 53 bits each
  const A = Math.scalbn(<f64>(top >> 11), -53 - z);
  const B = Math.scalbn(<f64>(((top & 0x7FF) << 42) | (next >> 22)), -106 - z);
  // (A + B)·π/2 in double-double: A·PIO2_HI with its rounding error (Dekker's product), the rest rounded
  const p = A * PIO2_HI;
  const tail = productError(A, PIO2_HI, p) + (A * PIO2_LO + B * PIO2_HI);
  const hi = p + tail;
  y0 = negative ? -hi : hi;
  y1 = negative ? -(tail - (hi - p)) : tail - (hi - p);
}

// sin and cos of the reduced argument y0 + y1
// @ts-ignore: decorator
@inline function sinReduced(): f64 { return Math.sin(y0) + y1 * Math.cos(y0); }
// @ts-ignore: decorator
@inline function cosReduced(): f64 { return Math.cos(y0) - y1 * Math.sin(y0); }

// Each function below is inlined where it is called (point-rules.ts), its small-|x| path a
// call of NativeMath's and the rest a call of its own: one call less per rule, 1–2 ns.

/** sin x. */
// @ts-ignore: decorator
@inline export function sin(x: f64): f64 {
  return Math.abs(x) < LARGE ? Math.sin(x) : sinLarge(x);
}
function sinLarge(x: f64): f64 {
  const u = reinterpret<u64>(x) & 0x7FFFFFFFFFFFFFFF;
  if (u >= 0x7FF0000000000000) return x - x; // ±∞, NaN
  reduce(u);
  const q = quadrant, r = q & 1 ? cosReduced() : sinReduced();
  return (q & 2 ? -r : r) * (x < 0 ? -1 : 1);
}

/** cos x. */
// @ts-ignore: decorator
@inline export function cos(x: f64): f64 {
  return Math.abs(x) < LARGE ? Math.cos(x) : cosLarge(x);
}
function cosLarge(x: f64): f64 {
  const u = reinterpret<u64>(x) & 0x7FFFFFFFFFFFFFFF;
  if (u >= 0x7FF0000000000000) return x - x;
  reduce(u);
  const q = quadrant, r = q & 1 ? sinReduced() : cosReduced();
  return (q + 1) & 2 ? -r : r;
}

/** tan x. */
// @ts-ignore: decorator
@inline export function tan(x: f64): f64 {
  return Math.abs(x) < LARGE ? Math.tan(x) : tanLarge(x);
}
function tanLarge(x: f64): f64 {
  const u = reinterpret<u64>(x) & 0x7FFFFFFFFFFFFFFF;
  if (u >= 0x7FF0000000000000) return x - x;
  reduce(u);
  const t = Math.tan(y0), r = t + y1 * (1 + t * t);
  return (quadrant & 1 ? -1 / r : r) * (x < 0 ? -1 : 1);
}

/** sin x and cos x with one reduction: into sinOut and cosOut. */
export let sinOut: f64 = 0, cosOut: f64 = 0;
// @ts-ignore: decorator
@inline export function sinCos(x: f64): void {
  if (Math.abs(x) < LARGE) {
    NativeMath.sincos(x);
    sinOut = NativeMath.sincos_sin;
    cosOut = NativeMath.sincos_cos;
  } else {
    sinCosLarge(x);
  }
}
function sinCosLarge(x: f64): void {
  const u = reinterpret<u64>(x) & 0x7FFFFFFFFFFFFFFF;
  if (u >= 0x7FF0000000000000) { sinOut = cosOut = x - x; return; }
  reduce(u);
  const q = quadrant, s = sinReduced(), c = cosReduced();
  const sinR = q & 1 ? c : s, cosR = q & 1 ? s : c;
  sinOut = (q & 2 ? -sinR : sinR) * (x < 0 ? -1 : 1);
  cosOut = (q + 1) & 2 ? -cosR : cosR;
}
