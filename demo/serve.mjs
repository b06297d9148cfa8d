// `npm run demo`: serves the browser demo on localhost — the page, the library's
// ESM build (dist/) and its one dependency — with nothing fetched from elsewhere.
//   node demo/serve.mjs [port] [--isolated]   (default 8080; 0 picks a free port;
//   --isolated: cross-origin isolated pages, whose pools share memory with their workers)
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { extname, normalize } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const TYPES = { ".html": "text/html; charset=utf-8", ".js": "text/javascript", ".mjs": "text/javascript", ".css": "text/css", ".wasm": "application/wasm", ".map": "application/json", ".svg": "image/svg+xml" };
/** The only directories served. */
const ALLOWED = ["demo/", "dist/", "node_modules/@assemblyscript/loader/"];

/** The library's one bare import, resolved as a dev server (Vite and the like) does: workers see no import map. */
const LOADER = "/node_modules/@assemblyscript/loader/index.js";
const bareImports = (file, body) => (file.startsWith("dist/") && file.endsWith(".js")
  ? Buffer.from(body.toString("utf8").replaceAll('from "@assemblyscript/loader"', `from "${LOADER}"`)) : body);

/**
 * Starts the server; resolves to { url, close }. With `isolated`, pages are
 * cross-origin isolated (COOP same-origin, COEP require-corp), so they may share
 * memory with their workers (SharedArrayBuffer).
 */
export function serve(port = 8080, { isolated = false } = {}) {
  const isolation = isolated ? { "cross-origin-opener-policy": "same-origin", "cross-origin-embedder-policy": "require-corp" } : {};
  const server = createServer(async (req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? "/", "http://localhost").pathname)).replace(/^\/+/, "");
    const file = path === "" ? "demo/index.html" : path;
    if (!ALLOWED.some((dir) => file.startsWith(dir)) || file.includes("..")) {
      res.writeHead(404).end("not found");
      return;
    }
    try {
      const body = bareImports(file, await readFile(root + file));
      res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream", "cache-control": "no-store", ...isolation }).end(body);
    } catch {
      res.writeHead(404).end("not found");
    }
  });
  return new Promise((resolve) => server.listen(port, "127.0.0.1", () => {
    const url = `http://localhost:${server.address().port}/`;
    resolve({ url, close: () => new Promise((done) => server.close(done)) });
  }));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { url } = await serve(Number(process.argv[2] ?? 8080), { isolated: process.argv.includes("--isolated") });
  console.log(`gradients demo at ${url} (Ctrl+C to stop)`);
}
