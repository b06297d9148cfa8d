// The TypeScript op table and the WASM op table agree, and each op's value rule
// matches JavaScript's Math (an independent implementation) on ordinary inputs.
import { describe, expect, it } from "vitest";
import { core } from "../../bindings/runtime/loader.js";
import { Op, opArity, UNARY_FUNCTIONS, BINARY_FUNCTIONS } from "../../bindings/ops/grammar.js";
import { compile } from "../../bindings/index.js";

describe("op table", () => {
  it("has the same ops and arities on both sides", () => {
    const codes = Object.values(Op);
    expect((core().OP_COUNT as unknown as WebAssembly.Global).value).toBe(codes.length);
    for (const code of codes) expect(core().opArity(code), `op ${code}`).toBe(opArity(code));
  });

  it("gives every grammar function a value close to JavaScript's Math", () => {
    const reference: Record<string, (a: number, b: number) => number> = {
      sin: Math.sin, cos: Math.cos, tan: Math.tan, asin: Math.asin, acos: Math.acos, atan: Math.atan,
      sinh: Math.sinh, cosh: Math.cosh, tanh: Math.tanh, asinh: Math.asinh, acosh: (a) => Math.acosh(a + 1),
      atanh: Math.atanh, exp: Math.exp, expm1: Math.expm1, log: Math.log, log1p: Math.log1p, log2: Math.log2,
      log10: Math.log10, sqrt: Math.sqrt, cbrt: Math.cbrt, abs: Math.abs, sign: Math.sign,
      atan2: Math.atan2, pow: Math.pow, hypot: Math.hypot, min: Math.min, max: Math.max,
    };
    const names = [...Object.keys(UNARY_FUNCTIONS), ...Object.keys(BINARY_FUNCTIONS)];
    expect(new Set(names)).toEqual(new Set(Object.keys(reference)));
    for (const name of names) {
      const binary = name in BINARY_FUNCTIONS;
      const arg = name === "acosh" ? "a + 1" : "a";
      const f = compile(binary ? `${name}(a, b)` : `${name}(${arg})`, { vars: ["a", "b"] });
      for (const [a, b] of [[0.3, 0.7], [0.9, -0.2], [-0.45, 2.5]]) {
        const want = reference[name](a, b);
        if (Number.isNaN(want)) {
          expect(f.eval([a, b]), `${name}(${a}, ${b})`).toBeNaN();
          continue;
        }
        expect(Math.abs(f.eval([a, b]) - want), `${name}(${a}, ${b})`).toBeLessThanOrEqual(2 * Number.EPSILON * Math.abs(want));
      }
    }
  });
});
