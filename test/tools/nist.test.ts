// The NIST StRD nonlinear regression problems (all 27, from both starting
// points): fit must reach the certified parameters to 6 significant digits, the
// residual sum of squares to 6 (Lanczos1's certified 1.4e-25 is below the
// rounding of its residuals: there any RSS under 1e-20 counts) and the
// certified standard deviations to 3 (2 for Lanczos1, whose s² is that noise).
import { afterAll, describe, expect, it } from "vitest";
import { fit } from "../../bindings/index.js";
import { digits, nistProblems } from "../support/nist.mjs";

const problems = nistProblems();
/** One row per run for the README's table (printed with GRADIENTS_NIST_TABLE=1). */
const rows: string[] = [];
afterAll(() => {
  if (!process.env.GRADIENTS_NIST_TABLE) return;
  console.log(["| problem | start | parameters (digits, worst) | RSS (digits) | std. deviations (digits, worst) | iterations |",
    "| --- | --- | --- | --- | --- | --- |", ...rows].join("\n"));
});

describe("NIST StRD nonlinear regression, through fit", () => {
  it("reads all 27 problems", () => expect(problems.length).toBe(27));

  const runs = problems.flatMap((P) => [0, 1].map((s) => [`${P.name}, start ${s + 1}`, P, s] as const));
  it.each(runs)("%s", (_label, P, s) => {
    const data = P.response === "log(y)" ? { ...P.data, y: P.data.y.map(Math.log) } : P.data;
    const result = fit(P.model, data, Object.fromEntries(P.params.map((b, j) => [b, P.starts[s][j]])));
    expect(result.converged, `stopped: ${result.reason}`).toBe(true);
    // Where the certified RSS is rounding noise (Lanczos1), so is s² = RSS/(m − n): its standard deviations to 2 digits.
    const sdDigits = P.rss < 1e-20 ? 2 : 3;
    P.params.forEach((b, j) => {
      expect(digits(result.p[b], P.certified[j]), `${b} = ${result.p[b]}, certified ${P.certified[j]}`).toBeGreaterThanOrEqual(6);
      expect(digits(result.standardErrors[b], P.certifiedSd[j]), `sd(${b}) = ${result.standardErrors[b]}, certified ${P.certifiedSd[j]}`).toBeGreaterThanOrEqual(sdDigits);
    });
    const rss = 2 * result.cost;
    const worst = (values: number[]) => Math.min(...values).toFixed(1);
    rows.push(`| ${P.name} | ${s + 1} | ${worst(P.params.map((b, j) => digits(result.p[b], P.certified[j])))} | ` +
      `${P.rss < 1e-20 ? `${rss.toExponential(1)} (< 1e-20)` : digits(rss, P.rss).toFixed(1)} | ` +
      `${worst(P.params.map((b, j) => digits(result.standardErrors[b], P.certifiedSd[j])))} | ${result.iterations} |`);
    if (P.rss < 1e-20) expect(rss).toBeLessThan(1e-20);
    else expect(digits(rss, P.rss), `RSS ${rss}, certified ${P.rss}`).toBeGreaterThanOrEqual(6);
  });
});
