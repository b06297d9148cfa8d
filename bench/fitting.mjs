// Fitting (issue 18): gradients' fit (exact Jacobians, Moré's Levenberg–Marquardt)
// against ml-levenberg-marquardt, the JavaScript package people use today (its
// Jacobian by finite differences), in the same process:
// - the 54 NIST StRD runs (27 problems, two starts): runs reaching the certified
//   parameters to 6 significant digits, and the time for all of them;
// - 48 parameters: 16 Gaussian peaks fitted to 10,000 samples.
// The package runs with its defaults (as its README shows) and tuned (central
// differences with a small step, more iterations, no early stop on the error).
// Its models are the same expressions, turned into JavaScript functions by the
// library's own parser.
import { levenbergMarquardt } from "ml-levenberg-marquardt";
import { fit } from "../dist/index.js";
import { parseExpression } from "../dist/front/parse.js";
import { digits, nistProblems } from "../test/support/nist.mjs";

const PEER_TUNED = { centralDifference: true, gradientDifference: 1e-6, maxIterations: 10000, errorTolerance: 0 };

/** The model as a JavaScript function of (p, columns, i), from its expression: parameters p[j], data columns[name][i]. */
function javascript(model, params) {
  const sink = {
    number: (v) => `(${v})`,
    name: (name) => (name === "pi" ? "Math.PI" : name === "e" ? "Math.E" : params.includes(name) ? `p[${params.indexOf(name)}]` : `c.${name}[i]`),
    negate: (a) => `(-${a})`,
    binary: (op, a, b) => (op === "^" ? `Math.pow(${a}, ${b})` : `(${a} ${op} ${b})`),
    call: (name, args) => `Math.${name}(${args.join(", ")})`,
    not: () => { throw new Error("no conditions in these models"); },
    conditional: () => { throw new Error("no conditions in these models"); },
    index: () => { throw new Error("no indexing in these models"); },
  };
  return new Function("p", "c", "i", `return ${parseExpression(model, sink)};`);
}

/** The peer's fit: data as observation indices, the model reading the columns. */
function peerFit(model, params, columns, y, p0, options) {
  const f = javascript(model, params), index = Float64Array.from(y, (_, i) => i);
  try {
    return levenbergMarquardt({ x: index, y }, (p) => (i) => f(p, columns, i), { initialValues: p0, ...options }).parameterValues;
  } catch {
    return p0.map(() => NaN);
  }
}

const time = (body) => { const t = performance.now(); const r = body(); return [r, performance.now() - t]; };

function nist() {
  const runs = nistProblems().flatMap((P) => [0, 1].map((s) => ({ P, s })));
  const solved = (P, p) => P.certified.every((c, j) => digits(p[j], c) >= 6);
  const rows = { ours: [0, 0], defaults: [0, 0], tuned: [0, 0] };
  for (const { P, s } of runs) {
    const y = P.response === "log(y)" ? P.data.y.map(Math.log) : P.data.y;
    const data = { ...P.data, y };
    const [mine, t1] = time(() => fit(P.model, data, Object.fromEntries(P.params.map((b, j) => [b, P.starts[s][j]]))));
    const [plain, t2] = time(() => peerFit(P.model, P.params, data, y, P.starts[s], {}));
    const [tuned, t3] = time(() => peerFit(P.model, P.params, data, y, P.starts[s], PEER_TUNED));
    rows.ours[0] += solved(P, P.params.map((b) => mine.p[b])); rows.ours[1] += t1;
    rows.defaults[0] += solved(P, plain); rows.defaults[1] += t2;
    rows.tuned[0] += solved(P, tuned); rows.tuned[1] += t3;
  }
  console.log("\nNIST StRD, 54 runs: solved (certified parameters to 6 digits), total time");
  for (const [name, [ok, ms]] of Object.entries(rows)) {
    console.log(`  ${({ ours: "gradients fit (exact Jacobians)", defaults: "ml-levenberg-marquardt, defaults", tuned: "ml-levenberg-marquardt, tuned" })[name].padEnd(40)} ${String(ok).padStart(2)}/54  ${ms.toFixed(0).padStart(7)} ms  ×${(ms / rows.tuned[1]).toFixed(2)} of tuned`);
  }
}

function peaks() {
  const K = 16, m = 10000;
  const params = [], truth = [], start = [];
  for (let k = 1; k <= K; k++) {
    params.push(`a${k}`, `c${k}`, `w${k}`);
    truth.push(1 + (k % 3), 6 * k, 1 + 0.1 * k);
    start.push(0.8 * (1 + (k % 3)), 6 * k + 0.3, 1.2 * (1 + 0.1 * k));
  }
  const model = Array.from({ length: K }, (_, q) => `a${q + 1}*exp(-(x - c${q + 1})^2/(2*w${q + 1}^2))`).join(" + ");
  const x = Float64Array.from({ length: m }, (_, i) => (i / m) * 6 * (K + 1));
  const f = javascript(model, params), y = Float64Array.from(x, (_, i) => f(truth, { x }, i));
  const recovered = (p) => Math.max(...truth.map((t, j) => Math.abs(p[j] - t) / Math.abs(t)));
  const [mine, t1] = time(() => fit(model, { x, y }, Object.fromEntries(params.map((b, j) => [b, start[j]]))));
  // (200 iterations at most here: each costs 97 evaluations of the 10,000-sample model)
  const [tuned, t3] = time(() => peerFit(model, params, { x }, y, start, { ...PEER_TUNED, maxIterations: 200 }));
  const [plain, t2] = time(() => peerFit(model, params, { x }, y, start, {}));
  console.log(`\n16 Gaussian peaks, 48 parameters, ${m} samples: time per fit, worst relative error of the parameters`);
  console.log(`  ${"gradients fit (exact Jacobians)".padEnd(40)} ${t1.toFixed(0).padStart(7)} ms  error ${recovered(params.map((b) => mine.p[b])).toExponential(1)}  ×${(t1 / t3).toFixed(3)} of tuned`);
  console.log(`  ${"ml-levenberg-marquardt, defaults".padEnd(40)} ${t2.toFixed(0).padStart(7)} ms  error ${recovered(plain).toExponential(1)}`);
  console.log(`  ${"ml-levenberg-marquardt, tuned".padEnd(40)} ${t3.toFixed(0).padStart(7)} ms  error ${recovered(tuned).toExponential(1)}`);
}

nist();
peaks();
