// Derivative rules of the arithmetic primitives (those with a `wasm` instruction
// in ops/spec.ts) as code to emit: the spec's algebra over terms that name the
// operands a, b, the value v and an adjoint or tangent w. The fused loops
// (fused-loops.ts) and the compiled sweeps (sweep-code.ts) instantiate the same rows.
import { I } from "./wasm-encoder.js";
import type { Algebra } from "../ops/spec.js";
import { InternalError } from "../base/errors.js";

/**
 * A term of a fused rule, as code to emit: the operands a, b, the value v and
 * the adjoint w of the run at the element, numbers, and f64 arithmetic.
 */
export type Code =
  | { k: "a" | "b" | "v" | "w" }
  | { k: "num"; x: number }
  | { k: "neg"; a: Code }
  | { k: "op"; code: number; a: Code; b: Code };

export const isNum = (c: Code, x: number) => c.k === "num" && Object.is(c.x, x);
const binaryOp = (code: number) => (a: Code, b: Code): Code => ({ k: "op", code, a, b });

/**
 * The spec's algebra over code: products with ±1 and quotients by 1 vanish (a
 * partial of 1 adds the adjoint itself, as the core's ONE partial does); a
 * fusible rule uses arithmetic only.
 */
export const CODE: Algebra<Code> = {
  num: (x) => ({ k: "num", x }),
  add: binaryOp(I.f64_add),
  sub: binaryOp(I.f64_sub),
  mul: (a, b) => (isNum(a, 1) ? b : isNum(b, 1) ? a : isNum(a, -1) ? { k: "neg", a: b } : binaryOp(I.f64_mul)(a, b)),
  div: (a, b) => (isNum(b, 1) ? a : binaryOp(I.f64_div)(a, b)),
  neg: (a) => ({ k: "neg", a }),
  call: (name) => { throw new InternalError(`a fusible rule calls ${name}`); },
  keep: () => { throw new InternalError("a fusible rule uses keep"); },
  select: () => { throw new InternalError("a fusible rule uses select"); },
};

