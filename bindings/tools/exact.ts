// Exact arithmetic on doubles: the IEEE result of a + b, a − b, a·b, a/b or a^k
// when it equals the real result exactly, so a printed derivative folds numbers
// only where folding changes nothing (1e20 + 1 stays a sum: its double is 1e20).
//
// A finite double is m·2^e for an integer m (BigInt) and 53 bits of it at most;
// two such numbers are compared exactly by shifting to the smaller exponent.

type Exact = readonly [mantissa: bigint, exponent: number];

const bits = new DataView(new ArrayBuffer(8));

/** x = m·2^e exactly (x finite). */
function exact(x: number): Exact {
  bits.setFloat64(0, x);
  const word = bits.getBigUint64(0);
  const sign = word >> 63n ? -1n : 1n;
  const biased = Number((word >> 52n) & 0x7ffn), fraction = word & ((1n << 52n) - 1n);
  return biased === 0 ? [sign * fraction, -1074] : [sign * (fraction | (1n << 52n)), biased - 1075];
}

/** The mantissas of x and y over their smaller exponent. */
function aligned([mx, ex]: Exact, [my, ey]: Exact): [bigint, bigint, number] {
  const e = Math.min(ex, ey);
  return [mx << BigInt(ex - e), my << BigInt(ey - e), e];
}

function same(x: Exact, y: Exact): boolean {
  const [a, b] = aligned(x, y);
  return a === b;
}

/** r when it is finite and `holds` (the exact check), else undefined. */
function ifExact(r: number, operands: readonly number[], holds: () => boolean): number | undefined {
  return Number.isFinite(r) && operands.every(Number.isFinite) && holds() ? r : undefined;
}

/** a + b, if the double sum is the exact sum. */
export function exactSum(a: number, b: number): number | undefined {
  return ifExact(a + b, [a, b], () => {
    const [ma, mb, e] = aligned(exact(a), exact(b));
    return same([ma + mb, e], exact(a + b));
  });
}

/** a − b, if exact. */
export function exactDifference(a: number, b: number): number | undefined {
  return exactSum(a, -b);
}

/** a·b, if exact. */
export function exactProduct(a: number, b: number): number | undefined {
  return ifExact(a * b, [a, b], () => {
    const [ma, ea] = exact(a), [mb, eb] = exact(b);
    return same([ma * mb, ea + eb], exact(a * b));
  });
}

/** a/b, if exact (the quotient times b is a). */
export function exactQuotient(a: number, b: number): number | undefined {
  const q = a / b;
  return ifExact(q, [a, b], () => {
    const [mq, eq] = exact(q), [mb, eb] = exact(b);
    return b !== 0 && same([mq * mb, eq + eb], exact(a));
  });
}

/** a^k for a whole k from 0 to 64, if exact. */
export function exactPower(a: number, k: number): number | undefined {
  if (!Number.isInteger(k) || k < 0 || k > 64) return undefined;
  const r = a ** k;
  return ifExact(r, [a], () => {
    const [m, e] = exact(a);
    return same([m ** BigInt(k), e * k], exact(r));
  });
}
