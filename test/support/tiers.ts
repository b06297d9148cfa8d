// Both tiers on one case: the body runs on a function under the core's
// interpreter, then on a fresh one under the compiled tier, and every number any
// method of either returned must be the same bits (DESIGN: tiers give the same
// bits). The compiled run's result is returned.
import { expect } from "vitest";
import { setCompiledTier } from "../../bindings/runtime/compiled.js";
import type { Func } from "../../bindings/index.js";

/** Every number in a method's result, in order (Tensors, records, arrays, linearizations' data). */
function numbersOf(x: unknown, out: number[] = []): number[] {
  if (typeof x === "number") out.push(x);
  else if (x instanceof Float64Array) for (const v of x) out.push(v);
  else if (Array.isArray(x)) for (const v of x) numbersOf(v, out);
  else if (x && typeof x === "object") for (const key of Object.keys(x).sort()) numbersOf((x as Record<string, unknown>)[key], out);
  return out;
}

/** A view of f that records what its methods return. */
function recording(f: Func, log: number[][]): Func {
  return new Proxy(f, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver);
      if (typeof value !== "function" || key === "dispose") return value;
      return (...args: unknown[]) => {
        const result = (value as (...a: unknown[]) => unknown).apply(target, args);
        log.push(numbersOf(result));
        return result;
      };
    },
  });
}

/** `body` on make() under the interpreter and under the compiled tier; their results must agree to the bit. */
export function onBothTiers<R>(make: () => Func, body: (f: Func) => R): R {
  const logs: number[][][] = [[], []];
  let result!: R;
  // (the compiled tier falls back to the interpreter where the engine refuses a generated module,
  // which would compare the interpreter with itself: any refusal fails the case)
  const refused: unknown[] = [], Module = WebAssembly.Module;
  function checked(bytes: BufferSource): WebAssembly.Module {
    try {
      return new Module(bytes);
    } catch (error) {
      refused.push(error);
      throw error;
    }
  }
  checked.prototype = Module.prototype; // (so that instanceof WebAssembly.Module still holds)
  for (const [i, tier] of (["never", "always"] as const).entries()) {
    setCompiledTier(tier);
    if (tier === "always") (WebAssembly as { Module: unknown }).Module = checked;
    const f = make();
    try {
      result = body(recording(f, logs[i]));
    } finally {
      f.dispose();
      setCompiledTier("auto");
      (WebAssembly as { Module: unknown }).Module = Module;
    }
  }
  expect(refused, "generated modules the engine refused").toEqual([]);
  const [interpreted, compiled] = logs;
  expect(compiled.length).toBe(interpreted.length);
  interpreted.forEach((numbers, call) => {
    for (let k = 0; k < numbers.length; k++) {
      // (a NaN's sign and payload are the engine's: V8 gives the interpreter's own NaNs another sign once it optimizes the core)
      if (!Object.is(numbers[k], compiled[call][k]) && !(Number.isNaN(numbers[k]) && Number.isNaN(compiled[call][k]))) {
        expect.fail(`call ${call}, entry ${k}: interpreter ${numbers[k]}, compiled tier ${compiled[call][k]}`);
      }
    }
  });
  return result;
}
