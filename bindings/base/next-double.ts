// Neighbouring doubles, by stepping the bit pattern.

const bits = new Float64Array(1), word = new BigInt64Array(bits.buffer);

/** The double next to x in the direction of y (x finite, x ≠ y). */
export function nextToward(x: number, y: number): number {
  if (x === 0) return y > 0 ? Number.MIN_VALUE : -Number.MIN_VALUE;
  bits[0] = x;
  word[0] += (y > x) === (x > 0) ? 1n : -1n;
  return bits[0];
}
