// Copying a compiled function's graph into another trace (Func.of), with its
// inputs replaced by nodes of that trace. The copy goes through the target
// graph's own constructors, so it is hash-consed and folded there too.
import { CONST, Op, PROJ, isBlock, opArity } from "../ops/grammar.js";
import type { Graph } from "./graph.js";

/** The ids in `target` of `outputs` of `source`, whose input i becomes `inputs[i]`. */
export function inlineGraph(source: Graph, outputs: readonly number[], inputs: readonly number[], target: Graph): number[] {
  // Only what the outputs reach, in id order (topological).
  const reached = new Uint8Array(source.size);
  for (const o of outputs) reached[o] = 1;
  for (let id = source.size - 1; id >= 0; id--) {
    if (!reached[id]) continue;
    const op = source.op[id];
    if (op === PROJ) reached[source.a[id]] = 1;
    else if (isBlock(op)) for (const a of source.args.get(id)!) reached[a] = 1;
    else if (op !== CONST && op !== Op.Input) {
      reached[source.a[id]] = 1;
      if (opArity(op) === 2) reached[source.b[id]] = 1;
    }
  }
  const map = new Int32Array(source.size).fill(-1);
  const blockResults = new Map<number, number[]>();
  for (let id = 0; id < source.size; id++) {
    if (!reached[id]) continue;
    const op = source.op[id];
    if (op === CONST) map[id] = target.constant(source.value[id]);
    else if (op === Op.Input) map[id] = inputs[source.a[id]];
    else if (op === PROJ) map[id] = blockResults.get(source.a[id])![source.b[id]];
    else if (isBlock(op)) {
      const args = source.args.get(id)!.map((a) => map[a]);
      blockResults.set(id, target.block(op, args, source.b[id]));
    } else {
      map[id] = target.apply(op, map[source.a[id]], opArity(op) === 2 ? map[source.b[id]] : -1);
    }
  }
  return outputs.map((o) => map[o]);
}
