// The types a strict TypeScript project sees: test/types/*.ts pins the result
// types of the public API (compile-time assertions), and every ```js example of
// the README and every @example of the API docs must compile under
// `tsc --strict` with no cast. All are checked against the built declarations
// (dist/, as the package ships them).
import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import { transformSync } from "esbuild";
import { beforeAll, describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../..", import.meta.url));
const readmeDir = new URL("../types/readme/", import.meta.url);

/** The README's ```js blocks and the sources' @example blocks, as .ts modules in test/types/readme/ (not committed). */
function writeExamples(): void {
  const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
  const blocks = [...readme.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]);
  rmSync(readmeDir, { recursive: true, force: true });
  mkdirSync(readmeDir, { recursive: true });
  // (each example a module of its own, so their names do not collide)
  blocks.forEach((block, k) => writeFileSync(new URL(`block-${String(k + 1).padStart(2, "0")}.ts`, readmeDir), `export {};\n${block}`));
  // The API docs' examples: ```ts blocks after @example in the sources' doc comments.
  const sources = readdirSync(new URL("../../bindings/", import.meta.url), { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".ts"));
  let examples = 0;
  for (const file of sources) {
    const text = readFileSync(new URL(`../../bindings/${file}`, import.meta.url), "utf8");
    for (const [, body] of text.matchAll(/@example\n\s*\* ```ts\n([\s\S]*?)\n\s*\* ```/g)) {
      const code = body.split("\n").map((line) => line.replace(/^\s*\* ?/, "")).join("\n");
      writeFileSync(new URL(`example-${++examples}.ts`, readmeDir), `export {};\n${code}\n`);
    }
  }
  if (examples < 30) throw new Error(`only ${examples} @example blocks were found`);
}

describe("types under tsc --strict", () => {
  beforeAll(writeExamples);

  it("the type tests, every README example and every @example compile", () => {
    const tsc = spawnSync(process.execPath, [`${root}node_modules/typescript/bin/tsc`, "-p", "test/types/tsconfig.json"], { cwd: root, encoding: "utf8" });
    expect(tsc.stdout + tsc.stderr).toBe("");
    expect(tsc.status).toBe(0);
    expect(readdirSync(readmeDir).filter((f) => f.startsWith("block-")).length).toBeGreaterThan(20);
  }, 120_000);

  it("every @example of the API docs runs (on the built package)", async () => {
    const examples = readdirSync(readmeDir).filter((f) => f.startsWith("example-"));
    expect(examples.length).toBeGreaterThanOrEqual(30);
    for (const file of examples) {
      // gradients and its subpaths, resolved to dist/; the types stripped by esbuild
      const source = readFileSync(new URL(file, readmeDir), "utf8").replace(/from "gradients(?:\/([a-z]+))?"/g,
        (_, sub?: string) => `from ${JSON.stringify(pathToFileURL(`${root}dist/${sub ? `tools/${sub}-public.js` : "index.js"}`).href)}`);
      const js = new URL(file.replace(/\.ts$/, ".mjs"), readmeDir);
      writeFileSync(js, transformSync(source, { loader: "ts", format: "esm" }).code);
      await expect(import(js.href), file).resolves.toBeDefined();
    }
  }, 120_000);
});
