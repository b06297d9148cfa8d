// `npm run demo`: serves the browser demo on localhost — the page, the library's
// ESM build (dist/) and its one dependency — with nothing fetched from elsewhere.
//   node demo/serve.mjs [port]     (default 8080; 0 picks a free port)
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { extname, normalize } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const TYPES = { ".html": "text/html; charset=utf-8", ".js": "text/javascript", ".mjs": "text/javascript", ".css": "text/css", ".wasm": "application/wasm", ".map": "application/json" };
/** The only directories served. */
const ALLOWED = ["demo/", "dist/", "node_modules/@assemblyscript/loader/"];

/** Starts the server; resolves to { url, close }. */
export function serve(port = 8080) {
  const server = createServer(async (req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? "/", "http://localhost").pathname)).replace(/^\/+/, "");
    const file = path === "" ? "demo/index.html" : path;
    if (!ALLOWED.some((dir) => file.startsWith(dir)) || file.includes("..")) {
      res.writeHead(404).end("not found");
      return;
    }
    try {
      const body = await readFile(root + file);
      res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream", "cache-control": "no-store" }).end(body);
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
  const { url } = await serve(Number(process.argv[2] ?? 8080));
  console.log(`gradients demo at ${url} (Ctrl+C to stop)`);
}
