// Folding a scalar op at numbers. The front end folds constants as it builds
// graphs, and a folded constant must be what the core would compute, bit for
// bit, so the runtime installs the core's own fold when it loads
// (runtime/loader.ts). Until then — in the front end's unit tests, which run
// without WebAssembly — the spec's JavaScript values fold, where Math has them.
import { OP_NAMES } from "./abi.js";
import { PRIMITIVES, type Row } from "./spec.js";
import { InputError } from "../base/errors.js";

/** v = op(a, b) at numbers (b ignored by unary ops). */
export type Fold = (op: number, a: number, b: number) => number;

/** The spec's JavaScript value of an op. */
const specFold: Fold = (op, a, b) => {
  const row: Row = PRIMITIVES[OP_NAMES[op]];
  if (row.kind !== "scalar" || !row.value) throw new InputError(`${OP_NAMES[op]} has no JavaScript value: folding it needs the WebAssembly core (import the package, not the front end alone)`);
  return row.value(a, b);
};

let installed: Fold = specFold;

/** v = op(a, b), by the installed fold. */
export function foldConstant(op: number, a: number, b: number): number {
  return installed(op, a, b);
}

/** Makes `fold` the one every graph and builder function uses from now on. */
export function installFold(fold: Fold): void {
  installed = fold;
}
