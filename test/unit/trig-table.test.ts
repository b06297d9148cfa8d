// The bits of 2/π that assembly/core/trig.ts reduces large arguments with, against
// an independent computation: π by Machin's formula, π = 16·atan(1/5) − 4·atan(1/239),
// in fixed point with BigInt.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

/** atan(1/k) · 2^bits, by its series Σ (−1)ⁿ / ((2n + 1)·k^(2n+1)), truncated. */
function atanInverse(k: bigint, bits: bigint): bigint {
  const one = 1n << bits, k2 = k * k;
  let power = one / k, sum = 0n;
  for (let n = 0n; power !== 0n; n++, power /= k2) sum += (n % 2n === 0n ? 1n : -1n) * (power / (2n * n + 1n));
  return sum;
}

describe("trig.ts's table of 2/π", () => {
  it("is floor(2/π · 2¹³⁴³) in 22 words of 64 bits", () => {
    const source = readFileSync(new URL("../../assembly/core/trig.ts", import.meta.url), "utf8");
    const table = source.slice(source.indexOf("TWO_OVER_PI = memory.data<u64>(["), source.indexOf("]);", source.indexOf("TWO_OVER_PI")));
    const words = [...table.matchAll(/0x([0-9A-F]{16})/g)].map((m) => BigInt(`0x${m[1]}`));
    expect(words.length).toBe(22);
    const stored = words.reduce((acc, w) => (acc << 64n) | w, 0n);
    // π to 1,600 bits (truncation errors of a few units in the last bits), then 2/π · 2¹³⁴³
    const bits = 1600n, pi = 16n * atanInverse(5n, bits) - 4n * atanInverse(239n, bits);
    const want = ((2n << bits) << 1343n) / pi;
    expect(stored.toString(16)).toBe(want.toString(16));
  });
});
