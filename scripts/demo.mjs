// `npm run demo`: builds only when dist/ is older than the sources (or missing),
// then serves the demo (demo/serve.mjs; `-- --isolated` for a cross-origin-isolated page).
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";

const root = new URL("../", import.meta.url);
const newest = (dir) => readdirSync(new URL(dir, root), { recursive: true, encoding: "utf8" })
  .filter((f) => f.endsWith(".ts")).reduce((t, f) => Math.max(t, statSync(new URL(`${dir}${f}`, root)).mtimeMs), 0);
let built = 0;
try {
  built = statSync(new URL("dist/index.js", root)).mtimeMs;
} catch { /* not built yet */ }
if (built < Math.max(newest("bindings/"), newest("assembly/"))) {
  console.log("dist/ is older than the sources: building");
  const build = spawnSync("npm", ["run", "build"], { cwd: root, stdio: "inherit" });
  if (build.status !== 0) process.exit(build.status ?? 1);
}
const { serve } = await import("../demo/serve.mjs");
const { url } = await serve(Number(process.argv.find((a) => /^\d+$/.test(a)) ?? 8080), { isolated: process.argv.includes("--isolated") });
console.log(`gradients demo at ${url} (Ctrl+C to stop)`);
