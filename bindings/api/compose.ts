// A compiled function applied to traced values inside another trace (Func.of):
// its graph is inlined there (ir/inline.ts), so the composition is
// differentiated as one function.
import { InputError, ShapeError, show } from "../base/errors.js";
import { describeShape } from "../base/tensor.js";
import { Node } from "../front/node.js";
import type { Graph } from "../ir/graph.js";
import { inlineGraph } from "../ir/inline.js";
import type { InputDecl } from "./validate.js";
import { append } from "../base/arrays.js";

/**
 * The node of `graph`'s outputs (shaped `outputShape`) with its inputs replaced by
 * `x`: the input's node, or a record of nodes by input name.
 */
export function composeInto(graph: Graph, outputIds: readonly number[], inputs: readonly InputDecl[], outputShape: readonly number[],
                            x: Node | Readonly<Record<string, Node>>): Node {
  if (typeof x !== "object" || x === null) throw new InputError(`of() needs a traced node or a record of them, got ${show(x)}`);
  const nodes = inputs.length === 1 && x instanceof Node ? [x] : inputs.map((d) => {
    const v = (x as Record<string, Node>)[d.name];
    if (!(v instanceof Node)) throw new InputError(`of() needs a traced node for input '${d.name}'`);
    return v;
  });
  const target = nodes[0].graph;
  const inputIds: number[] = [];
  inputs.forEach((d, k) => {
    const v = nodes[k];
    if (v.graph !== target) throw new InputError("of() needs nodes of one trace");
    if (v.size !== d.size || (v.rank !== d.shape.length && v.rank !== 1)) {
      throw new ShapeError(`input '${d.name}' has shape ${describeShape(d.shape)}, got a node of shape ${describeShape(v.shape)}`);
    }
    append(inputIds, v.ids);
  });
  return Node.of(target, outputShape, inlineGraph(graph, outputIds, inputIds, target));
}
