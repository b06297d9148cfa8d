// `npm run size`: what an application that imports the library ships, bundled and
// minified by esbuild (as a bundler would: the package's "sideEffects": false lets it
// drop what is not imported; the WebAssembly embedded as it ships), then gzipped —
// for the core import, each subpath, and the whole library. The first time esbuild
// is run it needs its platform binary, which npm installs with it.
import { build } from "esbuild";
import { gzipSync } from "node:zlib";

const dist = new URL("../dist/", import.meta.url).pathname;
const IMPORTS = {
  "core (compile, fn and the derivative methods)": `import { compile, fn } from "${dist}index.js"; globalThis.use = [compile, fn];`,
  "gradients/symbolic (derivative, gradientExpr, jacobianExpr)": `export * from "${dist}tools/symbolic-public.js";`,
  "gradients/fd": `export * from "${dist}tools/fd-public.js";`,
  "gradients/grid": `export * from "${dist}tools/grid-public.js";`,
  "gradients/reparam": `export * from "${dist}tools/reparam-public.js";`,
  "the whole library": `export * from "${dist}index.js";`,
};

const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
const rows = [];
for (const [name, contents] of Object.entries(IMPORTS)) {
  const result = await build({
    stdin: { contents, resolveDir: dist, loader: "js" }, bundle: true, minify: true, write: false, format: "esm",
    platform: "browser", metafile: true, logLevel: "silent",
  });
  const code = result.outputFiles[0].contents;
  // The embedded WebAssembly, as it ships (base64 in runtime/wasm-bytes.js), if the bundle holds it.
  const wasm = Object.entries(Object.values(result.metafile.outputs)[0].inputs).find(([path]) => path.endsWith("runtime/wasm-bytes.js"))?.[1];
  rows.push([name, kb(code.length), kb(gzipSync(code, { level: 9 }).length), wasm ? kb(wasm.bytesInOutput) : "—"]);
}
console.log("| import | minified | gzipped | of it, the WebAssembly as base64 (minified) |\n| --- | --- | --- | --- |");
for (const r of rows) console.log(`| ${r.join(" | ")} |`);
