// Facts about doubles: the smallest normal one, and neighbours by stepping the bit pattern.

/** The smallest normal double, 2^−1022: below it a double has fewer than 53 bits. */
export const MIN_NORMAL = 2.2250738585072014e-308;

const bits = new Float64Array(1), word = new BigInt64Array(bits.buffer);

/** The double next to x in the direction of y (x finite, x ≠ y). */
export function nextToward(x: number, y: number): number {
  if (x === 0) return y > 0 ? Number.MIN_VALUE : -Number.MIN_VALUE;
  bits[0] = x;
  word[0] += (y > x) === (x > 0) ? 1n : -1n;
  return bits[0];
}
