// The README's examples run, and print what their comments say they print.
// Every `console.log(…); // expected` line in a ```js block is checked.
import { readFileSync } from "node:fs";
import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
// The built package, as users get it: a pool's workers load dist/ (npm test builds it first).
import * as lib from "../../dist/index.js";

/** Runs a block's code as the body of an async function, so `await` works as at a module's top level. */
const AsyncFunction = (async () => {}).constructor as new (...args: string[]) => (...values: unknown[]) => Promise<void>;

const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
const blocks = [...readme.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]);

describe("README examples", () => {
  it("has examples", () => expect(blocks.length).toBeGreaterThan(3));

  blocks.forEach((block, k) => {
    const firstLine = block.split("\n").find((l) => l.startsWith("const") || l.startsWith("console")) ?? "";
    it(`block ${k + 1}: ${firstLine.slice(0, 60)}`, async () => {
      const expected: string[] = [];
      const code = block
        .replace(/^import \{([^}]*)\} from "gradients";$/gm, "const {$1} = lib;")
        .split("\n")
        .map((line) => {
          const m = /^(.*console\.log\(.*\);)\s*\/\/ (.*)$/.exec(line);
          if (!m) return line;
          expected.push(m[2].trim());
          return m[1].replace("console.log(", "log(");
        })
        .join("\n");
      const printed: string[] = [];
      // As console.log prints its arguments: strings as they are, the rest inspected, space-separated.
      const log = (...values: unknown[]) =>
        printed.push(values.map((v) => (typeof v === "string" ? v : inspect(v, { breakLength: Infinity }))).join(" "));
      await new AsyncFunction("lib", "log", code)(lib, log);
      expect(printed).toEqual(expected);
    });
  });
});
