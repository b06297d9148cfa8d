// Properties checked against a high-precision reference (test/support/precise.ts: the
// grammar read by a parser of its own and evaluated in 80-digit decimals, with
// exact gradients and Hessians), on random expressions over the whole grammar at
// points up to ±700 whose values reach the ends of the double range
// (test/support/wide-range.ts).
//
// GRADIENTS_FUZZ_RUNS sets the number of runs per property (default 200; `npm run
// fuzz`, 100,000, runs 10,000 here); GRADIENTS_FUZZ_SEED replays a failure fast-check reported.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { compile, derivative, Tensor } from "../../bindings/index.js";
import { parseExpression, type ExprSink } from "../../bindings/front/parse.js";
import { Dec, digitsFor, evaluateParsed, jet, MAX_DIGITS, parse, type Parsed } from "../support/precise.js";
import { wideCaseArb, type WideCase } from "../support/wide-range.js";
import type { Tree } from "../support/arbitrary.js";

const RUNS = Number(process.env.GRADIENTS_FUZZ_RUNS ?? 200);
const SEED = process.env.GRADIENTS_FUZZ_SEED === undefined ? undefined : Number(process.env.GRADIENTS_FUZZ_SEED);
/** A case costs milliseconds of decimal arithmetic: the full fuzz run takes a tenth of its count here (10,000). */
const SHARE = RUNS >= 100_000 ? 0.1 : 1;
const PATH = process.env.GRADIENTS_FUZZ_PATH; // with the seed, replays the one case fast-check reported
const runs = (weight = 1): fc.Parameters<unknown> => ({ numRuns: Math.max(1, Math.round(RUNS * SHARE * weight)), seed: SEED, path: PATH });
// (generous: 80-digit arithmetic on a shared 2-core machine under a parallel suite has taken 6× its quiet time)
// (80 ms a case: at full size the 10,000 cases of each property took 530–570 s alone on this
// machine, 2026-12-06, past the 40 ms a case allowed before; a guard against hangs, not a speed check)
const timeout = (weight = 1) => Math.max(300_000, RUNS * SHARE * weight * 80);

/** The library's own parser, reducing to the same shape as the reference's. */
function libraryParse(src: string): Parsed {
  const sink: ExprSink<Parsed> = {
    number: (v) => ({ k: "num", v }),
    name: (name) => ({ k: "name", name }),
    negate: (a) => ({ k: "neg", a }),
    binary: (op, a, b) => ({ k: "bin", op, a, b }),
    call: (fn, args) => ({ k: "call", fn, args }),
    not: () => { throw new Error("no conditions in the precision cases"); },
    conditional: () => { throw new Error("no conditions in the precision cases"); },
    index: () => { throw new Error("no indexing in scalar expressions"); },
  };
  return parseExpression(src, sink);
}

/** body's result, or undefined where decimal.js cannot carry the digits asked for (a case to skip). */
function withinDecimal<T>(body: () => T): T | undefined {
  try {
    return body();
  } catch (error) {
    if (String(error).includes("Precision limit exceeded")) return undefined;
    throw error;
  }
}

describe("derivative() strings mean the exact derivative (high precision)", () => {
  it("the library reads a printed derivative as the reference parser does, and it evaluates to the exact derivative", () => {
    fc.assert(fc.property(wideCaseArb(), ({ tree, vars, x, text }: WideCase) => withinDecimal(() => {
      const ref = jet(tree, x);
      const at = Object.fromEntries(vars.map((v, i) => [v, x[i]]));
      vars.forEach((v, i) => {
        const d = derivative(text, v);
        const parsed = parse(d);
        expect(libraryParse(d), `the library parses ${JSON.stringify(d)} as the grammar says`).toEqual(parsed);
        const want = ref.g[i];
        if (!want.isFinite()) return; // the derivative does not exist there
        // With the reference's digits, and again with 60 more: where the printed form cancels
        // (the min/max rule, 1 − tanh² u) the two differ, and the digits grow by what it lost
        // until two evaluations agree (or decimal.js can carry no more: the case is skipped).
        let digits = digitsFor(tree, x), got: Dec, peak: Dec;
        for (;;) {
          const first = evaluateParsed(parsed, at, digits), again = evaluateParsed(parsed, at, digits + 60);
          ({ value: got, peak } = again);
          // (a non-finite value where the derivative is finite is a cancellation the digits have not
          // resolved yet — 1 − cos(x)² at x = 1e-250 — not an agreement)
          const resolved = got.isFinite() || !want.isFinite();
          if (resolved && (first.value.eq(again.value) || first.value.minus(again.value).abs().lte(again.value.abs().times(1e-40)))) break;
          const lost = Number.isFinite(first.lost) ? Math.ceil(first.lost) : digits;
          digits += Math.max(lost, 60);
          if (digits + 60 > MAX_DIGITS) return; // beyond what decimal.js can carry
        }
        // A printed rule may be undefined at a point where the derivative has a limit (the
        // general power rule u^v·(v'·ln u + v·u'/u) at u = 0): NaN there is no other meaning.
        if (got.isNaN()) return;
        // Both sides are exact to their digits relative to the largest values they meet.
        const tol = want.abs().plus(ref.gTerms[i]).times(1e-40).plus(peak.times(new Dec(10).pow(20 - digits))).plus(1e-300);
        if (!(got.minus(want).abs().lte(tol))) {
          throw new Error(`d/d${v} ${text} = ${d}: at ${JSON.stringify(x)} it is ${got.toSignificantDigits(20)}, exactly ${want.toSignificantDigits(20)}`);
        }
      });
    })), runs());
  }, timeout());
});

describe("exact derivatives at the ends of the double range (against the high-precision reference)", () => {
  /**
   * got within the error a double evaluation may carry (`carried`: from rounded values,
   * see Jet) plus `rel` of the terms' scale, the slack for the arithmetic's own rounding.
   */
  const close = (got: number, want: Dec, carried: number, terms: number, rel: number, label: string) => {
    const w = want.toNumber(), tol = 8 * carried + rel * Math.max(terms, Math.abs(w)) + 1e-300;
    if (!(Math.abs(got - w) <= tol)) throw new Error(`${label}: got ${got}, exactly ${want.toSignificantDigits(17)} (tolerance ${tol.toExponential(2)})`);
  };
  const inRange = (d: Dec) => d.isFinite() && d.abs().lte(1e300);
  const usable = (x: number) => x <= 1e300; // a bound beyond the range (or NaN: ill-conditioned) says nothing

  it("the reference bounds the terms of the adjoints' tangents, which second order carries (a case the property found)", () => {
    // log10(1e-150·sin y / sin y) at y = −4e-150: its Hessian is 0, but forward over reverse forms the
    // tangent of ∂f/∂(1e-150·sin y) = w/b (w = ∂f/∂q, b = sin y) through w·ḃ/b², 2.7e448, which is ∞ in
    // doubles: the property leaves such a case's Hessian out (Jet.adjointTangents), as it does adjoints
    // out of range. log10(sin y) at y = 1 carries ordinary numbers.
    const y: Tree = { k: "var", i: 0 }, sin: Tree = { k: "call", fn: "sin", args: [y] };
    const q: Tree = { k: "bin", op: "/", a: { k: "bin", op: "*", a: { k: "num", v: 1e-150 }, b: sin }, b: sin };
    const far = jet({ k: "call", fn: "log10", args: [q] }, [-4e-150]).adjointTangents!;
    expect(far).toBeGreaterThan(1e300); // (beyond the range of doubles: the bound is a double, ∞ here)
    expect(jet({ k: "call", fn: "log10", args: [sin] }, [1]).adjointTangents).toBeLessThan(10);
  });

  it("gradients (forward and reverse) and Hessians (forward over reverse)", () => {
    fc.assert(fc.property(wideCaseArb(), ({ tree, vars, x, text }: WideCase) => {
      const ref = withinDecimal(() => jet(tree, x));
      fc.pre(ref !== undefined);
      // Derivatives beyond the double range cannot be returned; terms beyond it cannot be summed.
      // A double evaluation that is not a small perturbation of the exact one (cos(acos(−1e-300)) is
      // 6e-17 in doubles) has no first-order error bound to hold it to.
      fc.pre(!ref.wild);
      fc.pre(ref.g.every(inRange) && ref.largestG <= 1e300 && ref.largestD1 <= 1e300 && ref.gTerms.every(usable) && ref.gErr.every(usable));
      // Reverse accumulation, and second order built on it, carry every node's adjoint;
      // forward mode every node's tangents.
      const adjointsInRange = ref.adjoints!.largest <= 1e300 && ref.adjoints!.smallest >= 1e-300;
      const tangentsInRange = ref.smallestG >= 1e-300;
      const modes = [...(tangentsInRange ? ["forward" as const] : []), ...(adjointsInRange ? ["reverse" as const] : [])];
      const f = compile(text, { vars });
      try {
        for (const mode of modes) {
          const g = f.grad(x, { mode }) as Float64Array;
          // (reverse mode adds what every path carries, where forward mode may cancel first: see Jet.reverse)
          const err = (i: number) => (mode === "reverse" ? Math.max(ref.gErr[i], ref.reverse!.err[i]) : ref.gErr[i]);
          const terms = (i: number) => (mode === "reverse" ? Math.max(ref.gTerms[i], ref.reverse!.terms[i]) : ref.gTerms[i]);
          vars.forEach((_, i) => close(g[i], ref.g[i], err(i), terms(i), 1e-9, `∂/∂${vars[i]} (${mode})`));
        }
        const n = vars.length, all = (m: number[][]) => m.every((row) => row.every(usable));
        if (!(adjointsInRange && ref.adjointTangents! <= 1e300 && ref.H.every((row) => row.every(inRange)) && ref.largestH <= 1e300 &&
              ref.largestD2 <= 1e300 && all(ref.hTerms) && all(ref.hErr))) return;
        const H = (f.hessian(x) as Tensor).data;
        for (let i = 0; i < n; i++) {
          for (let j = 0; j < n; j++) {
            // Second order also differentiates the rules' own forms (asin′ as 1/√((1 − x)(1 + x)),
            // whose derivative adds −(1 + x) and 1 − x): an error of a few ulp of the first
            // derivatives' terms, per unit of x, is rounding too.
            const terms = Math.max(ref.hTerms[i][j], 1e5 * Math.max(ref.gTerms[i], ref.gTerms[j]));
            close(H[i * n + j], ref.H[i][j], ref.hErr[i][j], terms, 1e-8, `H[${i}][${j}]`);
          }
        }
      } finally {
        f.dispose();
      }
    }), runs());
  }, timeout());
});
