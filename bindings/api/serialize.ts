// Functions from bytes: the inverse of Func.serialize (the byte form is ir/graph-bytes.ts's).
import { decodeFunction } from "../ir/graph-bytes.js";
import { buildId } from "../runtime/build-id.js";
import { Func } from "./func.js";

/**
 * The function `f.serialize()` wrote, rebuilt: same inputs (names, shapes),
 * output shape and variable names, and the same results, bit for bit. Bytes
 * from another build of the library, or damaged ones, are refused with an
 * InputError. `bytes` is a Uint8Array (it may come from a file, a message or
 * another machine).
 * @param bytes what `serialize()` returned
 * @example
 * ```ts
 * import { compile, deserialize } from "gradients";
 * const bytes = compile("x^2*y").serialize();
 * const g = deserialize(bytes).grad([3, 2]); // [12, 9]
 * ```
 */
export function deserialize(bytes: Uint8Array): Func {
  const { graph, outputs, parts } = decodeFunction(bytes, buildId());
  let offset = 0;
  const inputs = parts.inputs.map((d) => {
    const size = d.shape.reduce((p, k) => p * k, 1), decl = { name: d.name, shape: d.shape, size, offset };
    offset += size;
    return decl;
  });
  return new Func(graph, outputs, inputs, parts.outputShape, parts.vars, true);
}
