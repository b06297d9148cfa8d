// The repeat cache of one-point calls: what a kernel's last one-point call
// left in scratch, and whether the next call is the same again.
import type { Kind } from "../ops/abi.js";
import type { Segment, TangentLayout } from "./kernel.js";

/**
 * What a one-point call left in scratch, for the same call again: its
 * descriptor and segment tables are still there (only this kernel's calls write
 * its scratch, and any other call forgets this), so a repeat copies the point's
 * segments in, runs the sweep and copies the results out, and nothing else
 * (nothing in or out for a WasmBuffer point or `out` at the same address).
 */
export interface Repeat {
  kind: Kind;
  values: boolean;
  lanes: number;
  first: number;
  layout: TangentLayout | null;
  rangeLo: number;
  rangeHi: number;
  /** tierChanges when it was laid out: a repeat runs the tier chosen then. */
  tier: number;
  /** A colored sweep's column colors (the same array: its table is still in scratch), else undefined. */
  colors: Int32Array | undefined;
  /** Each segment's size and where its data goes, or, for one read in place (a WasmBuffer), its address. */
  sizes: number[];
  dataAt: number[];
  inPlace: (number | undefined)[];
  /** Where results were written in place (a WasmBuffer `out`), or 0: copied out from resultAt. */
  direct: number;
  resultAt: number;
  resultLength: number;
  /** A view of the results, made once per view of memory (making one costs more than copying 100 numbers). */
  results: Float64Array;
  resultsOf: Float64Array;
}

/** Whether this call is the last one, `r` (laid out in the live instance), again. */
export function isRepeat(r: Repeat | undefined, kind: Kind, values: boolean, lanes: number, first: number,
                         layout: TangentLayout | null, rangeLo: number, rangeHi: number, colors: Int32Array | undefined,
                         inputs: readonly Segment[], direct: number): boolean {
  if (!r || r.kind !== kind || r.values !== values || r.lanes !== lanes || r.first !== first || r.direct !== direct ||
      r.rangeLo !== rangeLo || r.rangeHi !== rangeHi || r.colors !== colors || r.sizes.length !== inputs.length) return false;
  const l = r.layout;
  if (l === null ? layout !== null : layout === null || l.point !== layout.point || l.out !== layout.out ||
      l.lane !== layout.lane || l.offset !== layout.offset) return false;
  for (let i = 0; i < inputs.length; i++) if (r.sizes[i] !== inputs[i].size || r.inPlace[i] !== inputs[i].address) return false;
  return true;
}
