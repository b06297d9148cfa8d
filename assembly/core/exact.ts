// Error-free pieces of floating-point arithmetic, shared by the special functions
// (gamma.ts, special.ts) and the trigonometric reduction (trig.ts).

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
