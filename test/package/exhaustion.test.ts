// WebAssembly memory used up: an allocation memory cannot grow for is a ShapeError,
// and the core, with everything it holds, keeps working. It takes WebAssembly memory
// to its 2 GiB, so only `npm run fuzz` (the full run) runs it.
import { describe, expect, it } from "vitest";
import { buffer, compile, ShapeError, type WasmBuffer } from "../../bindings/index.js";
import { generation, MAX_ALLOCATION } from "../../bindings/runtime/loader.js";

const FULL = Number(process.env.GRADIENTS_FUZZ_RUNS ?? 0) >= 100_000;

describe.skipIf(!FULL)("WebAssembly memory exhausted", () => {
  it("buffers of 1 GiB until memory cannot grow: a ShapeError, then every earlier buffer and function still works", () => {
    const f = compile("x*y", { vars: ["x", "y"] });
    expect(f.eval([2, 3])).toBe(6); // (the core is instantiated)
    const before = generation, held: WasmBuffer[] = [];
    let refused: unknown;
    for (let k = 0; k < 5 && refused === undefined; k++) {
      try {
        const b = buffer([MAX_ALLOCATION / 8]);
        b.data[0] = k;
        held.push(b);
      } catch (error) {
        refused = error;
      }
    }
    expect(refused).toBeInstanceOf(ShapeError);
    expect(String((refused as Error).message)).toMatch(/2 GiB in all/);
    expect(held.length).toBeGreaterThanOrEqual(1);
    expect(generation).toBe(before);
    held.forEach((b, k) => expect(b.data[0]).toBe(k));
    expect(f.eval([2, 3])).toBe(6);
    for (const b of held) b.dispose();
    expect(buffer([MAX_ALLOCATION / 8]).size).toBe(MAX_ALLOCATION / 8); // the freed memory is used again
  }, 120_000);
});
