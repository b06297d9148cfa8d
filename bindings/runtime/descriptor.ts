// The sweep descriptor (the generated SWEEP fields; assembly/core/tape.ts says
// what each means), written where the core's sweeps read it.
import { i32 } from "./loader.js";
import { SWEEP, SWEEP_FIELDS } from "../ops/abi.js";

/** Bytes of the descriptor, padded to keep what follows 16-byte aligned. */
export const DESCRIPTOR_BYTES = (4 * SWEEP_FIELDS + 15) & ~15;

/**
 * Writes one sweep request at `address` (addresses are byte offsets in
 * WebAssembly memory; 0: none), a store per field: this runs on every call, so
 * no record is built. test/api/abi.test.ts checks that every field is written.
 */
export function writeSweep(address: number, tape: number, count: number, inputs: number, nSegments: number, work: number,
                           block: number, lanes: number, seeds: number, lane0: number, values: number, tangents: number,
                           tPoint: number, tOut: number, tLane: number, tOffset: number, rangeLo: number, rangeHi: number,
                           colors: number, accumulate = false, weights = 0): void {
  const d = i32(), at = address >> 2;
  d[at + SWEEP.tape] = tape;
  d[at + SWEEP.count] = count;
  d[at + SWEEP.inputs] = inputs;
  d[at + SWEEP.nSegments] = nSegments;
  d[at + SWEEP.work] = work;
  d[at + SWEEP.block] = block;
  d[at + SWEEP.lanes] = lanes;
  d[at + SWEEP.seeds] = seeds;
  d[at + SWEEP.lane0] = lane0;
  d[at + SWEEP.values] = values;
  d[at + SWEEP.tangents] = tangents;
  d[at + SWEEP.tPoint] = tPoint;
  d[at + SWEEP.tOut] = tOut;
  d[at + SWEEP.tLane] = tLane;
  d[at + SWEEP.tOffset] = tOffset;
  d[at + SWEEP.rangeLo] = rangeLo;
  d[at + SWEEP.rangeHi] = rangeHi;
  d[at + SWEEP.colors] = colors;
  d[at + SWEEP.accumulate] = accumulate ? 1 : 0;
  d[at + SWEEP.weights] = weights;
}
