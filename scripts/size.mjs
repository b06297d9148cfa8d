// `npm run size`: what a user downloads, gzipped — the package's JavaScript (which
// embeds the WebAssembly module as base64), the module itself as a file, and the
// loader dependency.
import { readdirSync, readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";

const dist = new URL("../dist/", import.meta.url);
const gz = (bytes) => gzipSync(bytes, { level: 9 }).length;
const js = readdirSync(dist).filter((f) => f.endsWith(".js"));
const wasmBytes = readFileSync(new URL("wasm-bytes.js", dist));
const code = Buffer.concat(js.filter((f) => f !== "wasm-bytes.js").map((f) => readFileSync(new URL(f, dist))));
const wasm = readFileSync(new URL("gradients.wasm", dist));
const loader = readFileSync(new URL("../node_modules/@assemblyscript/loader/index.js", import.meta.url));
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
console.log(`JavaScript (${js.length - 1} modules, unminified, comments stripped): ${kb(code.length)}, gzipped ${kb(gz(code))}`);
console.log(`WebAssembly module: ${kb(wasm.length)}, gzipped ${kb(gz(wasm))}; embedded as base64: gzipped ${kb(gz(wasmBytes))}`);
console.log(`@assemblyscript/loader: gzipped ${kb(gz(loader))}`);
console.log(`total as shipped (JavaScript + embedded WebAssembly + loader), gzipped: ${kb(gz(code) + gz(wasmBytes) + gz(loader))}`);
