// The spec's rules at plain numbers: the oracle the op tests hold the core to
// (test/ops/spec.test.ts). Calls of other primitives fold by ops/fold.ts — the
// core's own values once the runtime has loaded, so a rule is compared with
// the core's partials, not with another library's elementary functions.
import { foldConstant } from "./fold.js";
import { opCode } from "./grammar.js";
import { PRIMITIVES, type Algebra, type PartialRule, type ScalarName } from "./spec.js";

/** The spec's Keep at numbers (its row's value). */
const keep = (x: number, guard: number) => PRIMITIVES.keep.value(x, guard);

/** The spec's algebra over numbers. */
export const NUMBERS: Algebra<number> = {
  num: (x) => x,
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  neg: (a) => -a,
  call: (name, a, b = 0) => foldConstant(opCode(name), a, b),
  keep,
  select: (where, x, y) => keep(x, where) + keep(y, 1 - where),
};

/** v = name(a, b) and its partials [∂v/∂a, ∂v/∂b] at numbers, by the spec's rule (∂b is 0 for unary ops). */
export function partialsAt(name: ScalarName, a: number, b = 0): { value: number; partials: [number, number] } {
  const value = foldConstant(opCode(name), a, b);
  const rule: PartialRule = PRIMITIVES[name].partials;
  const p = rule(NUMBERS, a, b, value);
  const scale = p.scale ?? 1;
  return { value, partials: [p.a / scale, p.b === undefined ? 0 : p.b / scale] };
}
