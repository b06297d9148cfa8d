// The records TypeScript writes for the core, field by field against the
// layout generated from the spec: a field added there and not written here fails.
import { describe, expect, it } from "vitest";
import { SWEEP, SWEEP_FIELDS } from "../../bindings/ops/abi.js";
import { writeSweep } from "../../bindings/runtime/descriptor.js";
import { allocate, i32, release, generation } from "../../bindings/runtime/loader.js";

describe("the sweep descriptor", () => {
  it("writes every field of the generated layout, each where the layout puts it", () => {
    const at = allocate(4 * SWEEP_FIELDS, "a test descriptor"), from = generation;
    try {
      i32().fill(0, at >> 2, (at >> 2) + SWEEP_FIELDS);
      const values = Array.from({ length: 18 }, (_, k) => 100 + k);
      writeSweep(at, ...(values as [number, number, number, number, number, number, number, number, number, number, number, number, number, number, number, number, number, number]),
        true, 118);
      const written = Array.from(i32().subarray(at >> 2, (at >> 2) + SWEEP_FIELDS));
      expect(written.every((v, field) => (field === SWEEP.accumulate ? v === 1 : v >= 100)), "every field written").toBe(true);
      expect(Object.keys(SWEEP).length).toBe(values.length + 2);
      expect(written[SWEEP.tape]).toBe(100);
      expect(written[SWEEP.colors]).toBe(117);
      expect(written[SWEEP.weights]).toBe(118);
    } finally {
      release(at, from);
    }
  });
});
