// Error-free pieces of floating-point arithmetic, shared by the special functions
// (gamma.ts, special.ts), the trigonometric reduction (trig.ts) and the grid's
// stencils at the ends of the range (extras/grid.ts).

/** The upper 26 bits of x, by masking (Veltkamp's split would overflow near the top of the range). */
// @ts-ignore: decorator
@inline export function upperHalf(x: f64): f64 {
  return reinterpret<f64>(reinterpret<u64>(x) & 0xFFFFFFFFF8000000);
}

/** a·b − p for p = fl(a·b), by Dekker's product of the halves (exact but for the tiny al·bl's rounding). */
export function productError(a: f64, b: f64, p: f64): f64 {
  const ah = upperHalf(a), al = a - ah, bh = upperHalf(b), bl = b - bh;
  return ((ah * bh - p) + ah * bl + al * bh) + al * bl;
}

/** e with x = m·2^e, m in [1, 2), for finite x > 0 (subnormals included). */
export function binaryExponent(x: f64): i32 {
  if (x < 2.2250738585072014e-308) return binaryExponent(x * 18446744073709551616.0) - 64; // ·2^64
  return <i32>(reinterpret<u64>(x) >> 52) - 1023;
}
