// Structural zeros through a scan: which carry entries a tangent lane or an
// adjoint can reach, step by step, read off the step's Jacobian pattern. An
// entry that cannot be reached is set to exactly 0 after each step, as it would
// be in the unrolled loop, where it is skipped: not the 0·∞ = NaN that the step's
// own product of a numeric 0 and an infinite partial would give (api/scan.ts).
//
// The step's inputs are laid out as it takes them: the carry (c entries), then
// x (xSize, with xs), then the params (pSize); its outputs are the next carry.
import type { JacobianStructure } from "../ir/sparsity.js";

const allOnes = (flags: Uint8Array) => flags.every((v) => v === 1);

/** The step's pattern, and what it says about liveness at once. */
export class StepLiveness {
  /** Entries of the step's input (c + xSize + pSize). */
  readonly width: number;
  /** Every output reads some input: where every input is live, every output is (forward). */
  private readonly everyRowReads: boolean;
  /** Every carry entry is read by some output: where every output is reached, every carry entry is (reverse). */
  private readonly everyCarryRead: boolean;

  constructor(private readonly pattern: JacobianStructure, private readonly c: number, private readonly xSize: number, pSize: number) {
    this.width = c + xSize + pSize;
    const { rowStart, cols } = pattern, read = new Uint8Array(c);
    let rows = true;
    for (let o = 0; o < c; o++) {
      if (rowStart[o + 1] === rowStart[o]) rows = false;
      for (let k = rowStart[o]; k < rowStart[o + 1]; k++) if (cols[k] < c) read[cols[k]] = 1;
    }
    this.everyRowReads = rows;
    this.everyCarryRead = allOnes(read);
  }

  /** Forward: whether every input flagged live (x's entries aside) keeps every output live, so no step needs looking at. */
  allLive(flags: Uint8Array): boolean {
    return this.everyRowReads && allOnes(flags.subarray(0, this.c)) && allOnes(flags.subarray(this.c + this.xSize));
  }

  /**
   * Forward, one step: the carry entries of `next` (n points × c) that no live input
   * reaches set to 0, and `flags`' carry part (live inputs, c + xSize + pSize) made
   * the next carry's.
   */
  forwardStep(flags: Uint8Array, next: Float64Array, n: number): void {
    const { rowStart, cols } = this.pattern, c = this.c, reached = new Uint8Array(c);
    for (let o = 0; o < c; o++) for (let k = rowStart[o]; k < rowStart[o + 1] && !reached[o]; k++) reached[o] = flags[cols[k]];
    for (let o = 0; o < c; o++) {
      flags[o] = reached[o];
      if (!reached[o]) for (let q = 0; q < n; q++) next[q * c + o] = 0;
    }
  }

  /** Reverse: whether every carry entry reached at every point (n × c flags) keeps them all reached, so no step needs looking at. */
  allReached(reached: Uint8Array): boolean {
    return this.everyCarryRead && allOnes(reached);
  }

  /**
   * Reverse, one step: per point, the step's inputs some reached output reads (n × width),
   * and `reached` (n × c) made the previous carry's.
   */
  backwardStep(reached: Uint8Array, n: number): Uint8Array {
    const { rowStart, cols } = this.pattern, c = this.c, w = this.width, inputs = new Uint8Array(n * w);
    for (let q = 0; q < n; q++) {
      for (let o = 0; o < c; o++) if (reached[q * c + o]) for (let k = rowStart[o]; k < rowStart[o + 1]; k++) inputs[q * w + cols[k]] = 1;
      for (let j = 0; j < c; j++) reached[q * c + j] = inputs[q * w + j];
    }
    return inputs;
  }

  /** The entries of `data` (n points × `size`: the step's inputs from `offset` on) that `inputs` does not flag, set to 0. */
  onlyReached(data: Float64Array, size: number, offset: number, inputs: Uint8Array, n: number): Float64Array {
    const w = this.width;
    for (let q = 0; q < n; q++) for (let j = 0; j < size; j++) if (!inputs[q * w + offset + j]) data[q * size + j] = 0;
    return data;
  }
}
