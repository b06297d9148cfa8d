// Loop rerolling (bindings/compiler/reroll.ts) on a program whose first term differs
// from the rest, as a sum's first often does: the loop starts at a term's first
// step, where an iteration reads nothing from the one before, not one step into
// the first term, where each iteration would hand a value on to the next.
import { describe, expect, it } from "vitest";
import { findLoops, fuseLoops } from "../../bindings/compiler/reroll.js";
import { Op } from "../../bindings/ops/abi.js";
import type { Program } from "../../bindings/compiler/program.js";

/** T terms ((x₂ₜ·x₂ₜ − x₂ₜ₊₁)² + 1, four steps each); the first term's first step subtracts instead. */
function terms(T: number): Program {
  const nConst = 1, nIn = 2 * T, steps = 4 * T;
  const op = new Int32Array(steps), a = new Int32Array(steps), b = new Int32Array(steps);
  const input = (i: number) => nConst + i, result = (k: number) => nConst + nIn + k;
  for (let t = 0; t < T; t++) {
    const k = 4 * t;
    [op[k], a[k], b[k]] = [t === 0 ? Op.Sub : Op.Mul, input(2 * t), input(2 * t)];
    [op[k + 1], a[k + 1], b[k + 1]] = [Op.Sub, result(k), input(2 * t + 1)];
    [op[k + 2], a[k + 2], b[k + 2]] = [Op.Mul, result(k + 1), result(k + 1)];
    [op[k + 3], a[k + 3], b[k + 3]] = [Op.Add, result(k + 2), 0];
  }
  return {
    nConst, consts: Float64Array.of(1), nIn, op, a, b, noAdjoint: new Uint8Array(steps),
    group: Int32Array.from({ length: steps }, (_, k) => k), outputs: Int32Array.from({ length: T }, (_, t) => result(4 * t + 3)),
    sumTerms: 0,
  };
}

describe("loop rerolling", () => {
  it("a loop starts where its iterations hand no value on: the first term apart, then one loop over the rest", () => {
    // (started at the first step that repeats, step 1, each iteration would end with the next term's x², which the next reads)
    expect(findLoops(terms(10))).toEqual([{ from: 0, period: 4, count: 1 }, { from: 4, period: 4, count: 9 }]);
  });

  it("a program that repeats from its first step keeps its one loop", () => {
    const p = terms(10), op = Int32Array.from(p.op);
    op[0] = Op.Mul;
    expect(findLoops({ ...p, op })).toEqual([{ from: 0, period: 4, count: 10 }]);
  });

  it("a period found in few iterations does not hide its multiples: a period-3 pattern whose first steps also fit period 1", () => {
    // step 3m reads input 3m, steps 3m + 1 and 3m + 2 inputs 10m + 1 and 10m + 2 (all one unary op): the first
    // four steps read inputs 0, 1, 2, 3, a run of period 1, but only period 3 repeats over the whole program
    const nConst = 1, nIn = 4000, T = 300, steps = 3 * T, a = new Int32Array(steps);
    for (let m = 0; m < T; m++) [a[3 * m], a[3 * m + 1], a[3 * m + 2]] = [nConst + 3 * m, nConst + 1 + 10 * m, nConst + 2 + 10 * m];
    const p: Program = {
      nConst, consts: Float64Array.of(1), nIn, op: new Int32Array(steps).fill(Op.Atan), a, b: new Int32Array(steps).fill(-1),
      noAdjoint: new Uint8Array(steps), group: Int32Array.from({ length: steps }, (_, k) => k),
      outputs: Int32Array.from({ length: steps }, (_, k) => nConst + nIn + k), sumTerms: 0,
    };
    expect(findLoops(p)).toEqual([{ from: 0, period: 3, count: T }]);
  });

  describe("joining a loop of C iterations with one of C − 1 across straight code (a symbolic gradient's shape)", () => {
    // Loop A: step t squares input t (C iterations). Straight code: the gradient of term C − 1 (it reads A's last
    // iteration). Loop B, C − 1 iterations: term C − 2 − c's gradient from A's iteration C − 2 − c (B runs backwards).
    // `straightReads`: the step of A the straight code reads.
    function shape(C: number, straightReads: number): Program {
      const nConst = 1, nIn = C, steps = 2 * C, op = new Int32Array(steps), a = new Int32Array(steps), b = new Int32Array(steps).fill(-1);
      const result = (k: number) => nConst + nIn + k;
      for (let t = 0; t < C; t++) [op[t], a[t], b[t]] = [Op.Mul, nConst + t, nConst + t];
      [op[C], a[C], b[C]] = [Op.Neg, result(straightReads), -1];
      for (let c = 0; c < C - 1; c++) [op[C + 1 + c], a[C + 1 + c], b[C + 1 + c]] = [Op.Add, result(C - 2 - c), result(C - 2 - c)];
      return {
        nConst, consts: Float64Array.of(1), nIn, op, a, b, noAdjoint: new Uint8Array(steps),
        group: Int32Array.from({ length: steps }, (_, k) => k), outputs: Int32Array.from({ length: C }, (_, t) => result(C + t)),
        sumTerms: 0,
      };
    }

    it("the first loop's last iteration runs apart, before the straight code, and the rest joins the second loop", () => {
      const C = 10, p = shape(C, C - 1), pieces = findLoops(p);
      expect(pieces).toEqual([{ from: 0, period: 1, count: C }, { from: C, period: 1, count: 1 }, { from: C + 1, period: 1, count: C - 1 }]);
      expect(fuseLoops(p, pieces)).toEqual([
        [{ from: C - 1, period: 1, count: 1 }], [{ from: C, period: 1, count: 1 }],
        [{ from: 0, period: 1, count: C - 1 }, { from: C + 1, period: 1, count: C - 1, reversed: true }],
      ]);
    });

    it("nothing moves where the straight code reads an iteration the rest of the loop computes", () => {
      const C = 10, p = shape(C, 4), pieces = findLoops(p);
      expect(fuseLoops(p, pieces)).toEqual(pieces.map((piece) => [piece]));
    });
  });
});
