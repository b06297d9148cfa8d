// The types a strict TypeScript project sees: test/types/*.ts pins the result
// types of the public API (compile-time assertions), and every ```js example of
// the README and every @example of the API docs must compile under
// `tsc --strict` with no cast. All are checked against the built declarations
// (dist/, as the package ships them).
import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../..", import.meta.url));
const readmeDir = new URL("../types/readme/", import.meta.url);

describe("types under tsc --strict", () => {
  it("the type tests and every README example compile", () => {
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
    expect(examples).toBeGreaterThanOrEqual(16); // (as many as there are)
    const tsc = spawnSync(process.execPath, [`${root}node_modules/typescript/bin/tsc`, "-p", "test/types/tsconfig.json"], { cwd: root, encoding: "utf8" });
    expect(tsc.stdout + tsc.stderr).toBe("");
    expect(tsc.status).toBe(0);
    expect(blocks.length).toBeGreaterThan(20);
  }, 120_000);
});
