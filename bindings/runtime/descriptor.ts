// The sweep descriptor (the generated SWEEP fields; assembly/core/tape.ts says
// what each means), written where the core's sweeps read it.
import { i32 } from "./loader.js";
import { SWEEP, SWEEP_FIELDS } from "../ops/abi.js";

/** Bytes of the descriptor, padded to keep what follows 16-byte aligned. */
export const DESCRIPTOR_BYTES = (4 * SWEEP_FIELDS + 15) & ~15;

/** One sweep request, field by field (addresses are byte offsets in WebAssembly memory; 0: none). */
export type SweepFields = { readonly [K in keyof typeof SWEEP]: number };

const NAMES = Object.keys(SWEEP) as (keyof typeof SWEEP)[];

/** Writes `fields` at `address`. */
export function writeSweep(address: number, fields: SweepFields): void {
  const d = i32(), at = address >> 2;
  for (const name of NAMES) d[at + SWEEP[name]] = fields[name];
}
