// Which build of the library this is, for the byte form of functions
// (ir/graph-bytes.ts): another build may number ops differently or round
// differently in its core, so bytes written by one are refused by another.
import { OP_NAMES } from "../ops/grammar.js";
import { WASM_BASE64 } from "./wasm-bytes.js";

let id: number | undefined;

/** FNV-1a of the op table and the core's bytes: the same for every copy of one build. */
export function buildId(): number {
  if (id !== undefined) return id;
  let h = 0x811c9dc5;
  const text = OP_NAMES.join(",") + "|" + WASM_BASE64;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return (id = h >>> 0);
}
