// A reader of the NIST StRD nonlinear regression files (test/fixtures/nist-strd/,
// copied from NIST's Statistical Reference Datasets): the model rewritten in the
// library's grammar, the two starting points, the certified values and the data.
// Plain JavaScript, so that bench/fitting.mjs reads the same files the tests do.
import { readdirSync, readFileSync } from "node:fs";

/**
 * @typedef {object} NistProblem
 * @property {string} name
 * @property {string} model The right-hand side in the library's grammar (`**` → `^`, `[ ]` → `( )`, arctan → atan).
 * @property {"y" | "log(y)"} response As the file states it: y, or log(y) (Nelson).
 * @property {string[]} params
 * @property {[number[], number[]]} starts
 * @property {number[]} certified
 * @property {number[]} certifiedSd
 * @property {number} rss
 * @property {Record<string, Float64Array>} data Columns by name: y and x, or y, x1, x2.
 */

const DIR = new URL("../fixtures/nist-strd/", import.meta.url);

/** @returns {NistProblem[]} every problem, in file-name order */
export function nistProblems() {
  return readdirSync(DIR).filter((f) => f.endsWith(".dat")).sort().map((f) => parseNist(f.slice(0, -4), readFileSync(new URL(f, DIR), "utf8")));
}

/** @returns {NistProblem} */
export function parseNist(name, text) {
  const lines = text.split(/\r?\n/);
  // the model: from "y =" (or "log[y] =") after "Model:" to the line ending in "+ e"
  const modelAt = lines.findIndex((k) => k.startsWith("Model:"));
  const from = lines.findIndex((l, i) => i > modelAt && /^\s*(log\[y\]|y)\s*=/.test(l));
  let model = "";
  for (let i = from; ; i++) {
    model += ` ${lines[i].trim()}`;
    if (/\+\s*e\s*$/.test(lines[i])) break;
  }
  const response = /^\s*log\[y\]/.test(model) ? "log(y)" : "y";
  model = model.replace(/^\s*(log\[y\]|y)\s*=/, "").replace(/\+\s*e\s*$/, "")
    .replace(/\*\*/g, "^").replace(/\[/g, "(").replace(/\]/g, ")").replace(/arctan/g, "atan").trim();
  const params = [], s1 = [], s2 = [], certified = [], certifiedSd = [];
  for (const l of lines) {
    const m = /^\s*(b\d+)\s*=\s*(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s*$/.exec(l);
    if (!m) continue;
    params.push(m[1]); s1.push(Number(m[2])); s2.push(Number(m[3])); certified.push(Number(m[4])); certifiedSd.push(Number(m[5]));
  }
  const rss = Number(/Residual Sum of Squares:\s*(\S+)/.exec(text)[1]);
  const header = lines.findIndex((l) => /^Data:\s+y\b/.test(l));
  const columns = lines[header].replace(/^Data:/, "").trim().split(/\s+/);
  const rows = lines.slice(header + 1).filter((l) => l.trim() !== "").map((l) => l.trim().split(/\s+/).map(Number));
  const data = Object.fromEntries(columns.map((c, j) => [c, Float64Array.from(rows, (r) => r[j])]));
  return { name, model, response, params, starts: [s1, s2], certified, certifiedSd, rss, data };
}

/** Log relative error: the significant digits `got` shares with `want` (0 to 15). */
export function digits(got, want) {
  if (got === want) return 15;
  const lre = want === 0 ? -Math.log10(Math.abs(got)) : -Math.log10(Math.abs(got - want) / Math.abs(want));
  return Number.isFinite(lre) ? Math.max(0, Math.min(15, lre)) : 0;
}
