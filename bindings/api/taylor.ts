// Derivatives of any order by Taylor mode (ir/taylor.ts): `derivatives` for a
// scalar function of one variable, `taylor` along a direction for any function.
import { InputError, ShapeError, show } from "../base/errors.js";
import { Tensor, describeShape } from "../base/tensor.js";
import type { Graph } from "../ir/graph.js";
import { taylorCoefficients } from "../ir/taylor.js";
import { readArgs, type InputDecl } from "./validate.js";
import { flatten } from "./results.js";

/** Highest order accepted: the work grows as order³ per primitive. */
export const MAX_ORDER = 100;

/** What Taylor mode needs of a compiled function. */
export interface TaylorView {
  graph: Graph;
  outputIds: readonly number[];
  inputs: readonly InputDecl[];
  /** The variables' names (a point may name them). */
  vars: readonly string[];
  outputShape: readonly number[];
}

function readOrder(order: unknown): number {
  if (typeof order !== "number" || !Number.isInteger(order) || order < 0 || order > MAX_ORDER) {
    throw new InputError(`the order must be a whole number from 0 to ${MAX_ORDER}, got ${show(order)}`);
  }
  return order;
}

/** One point's entries end to end (a batch is refused: Taylor mode takes one point). */
function flat(inputs: readonly InputDecl[], vars: readonly string[], x: unknown, what: string): Float64Array {
  const args = readArgs(inputs, x, what, vars);
  if (args.batched) throw new InputError(`taylor and derivatives take one ${what}, not a batch`);
  return flatten(args);
}

/**
 * The Taylor coefficients c₀ … c_order of t ↦ f(x + t·v): Float64Array(order + 1)
 * for a scalar f, else a Tensor [...O, order + 1]. cₖ·k! is the k-th directional
 * derivative along v (v not normalized): the third-derivative tensor contracted
 * with v three times is 6·c₃.
 */
export function taylor(f: TaylorView, x: unknown, v: unknown, order: unknown): Float64Array | Tensor {
  const K = readOrder(order);
  const c = taylorCoefficients(f.graph, f.outputIds, flat(f.inputs, f.vars, x, "point"), flat(f.inputs, f.vars, v, "direction"), K);
  return f.outputShape.length === 0 ? c : new Tensor([...f.outputShape, K + 1], c);
}

/** [f(x), f′(x), …, f⁽ᵒʳᵈᵉʳ⁾(x)] for a scalar function of one scalar variable. */
export function derivatives(f: TaylorView, x: unknown, order: unknown): Float64Array {
  const n = f.inputs.reduce((s, d) => s + d.size, 0);
  if (n !== 1 || f.outputShape.length !== 0) {
    throw new ShapeError(`derivatives takes a scalar function of one variable; this one maps ${n} inputs to shape ${describeShape(f.outputShape)} (use taylor(x, v, order) along a direction)`);
  }
  const c = taylor(f, x, f.inputs[0].shape.length === 0 ? 1 : [1], order) as Float64Array;
  let factorial = 1;
  for (let k = 1; k < c.length; k++) c[k] *= (factorial *= k);
  return c;
}
