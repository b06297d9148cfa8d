// The layers of bindings/ and the way their imports run: each folder imports
// only from its own layer and those below it, so the front end, the IR and
// the compiler never load the WebAssembly core (runtime/), and nothing below
// the API knows about it. Read from the sources' import statements.
import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

/** Lowest first. */
const LAYERS = ["base", "ops", "ir", "front", "compiler", "runtime", "api", "tools"] as const;
const root = new URL("../../bindings/", import.meta.url);

function sources(): string[] {
  return LAYERS.flatMap((layer) => readdirSync(new URL(`${layer}/`, root)).filter((f) => f.endsWith(".ts")).map((f) => `${layer}/${f}`));
}

/** The bindings/ files a source imports (type-only imports too: they name what a layer knows). */
function importsOf(file: string): string[] {
  const text = readFileSync(new URL(file, root), "utf8");
  const dir = file.slice(0, file.indexOf("/"));
  return [...text.matchAll(/(?:from|import)\s*\(?\s*"(\.{1,2}\/[^"]+)"/g)].map(([, spec]) =>
    spec.startsWith("./") ? `${dir}/${spec.slice(2)}` : spec.slice(3));
}

const layerOf = (file: string) => LAYERS.indexOf(file.slice(0, file.indexOf("/")) as (typeof LAYERS)[number]);

describe("layers", () => {
  it("every file of bindings/ is in a layer folder (index.ts and the embedded module aside)", () => {
    const top = readdirSync(root).filter((f) => f.endsWith(".ts"));
    expect(top).toEqual(["index.ts"]);
  });

  it.each(sources())("%s imports only from its layer and the ones below", (file) => {
    for (const target of importsOf(file)) {
      expect(layerOf(target), `${file} imports ${target}`).toBeGreaterThanOrEqual(0);
      expect(layerOf(target), `${file} imports ${target}`).toBeLessThanOrEqual(layerOf(file));
    }
  });
});
