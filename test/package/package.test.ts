// The package as users get it: npm pack, install the tarball into a new project,
// import it from plain Node ESM and run its command line.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../..", import.meta.url));
const work = mkdtempSync(join(tmpdir(), "gradients-pack-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const npm = (args: string[], cwd: string) =>
  execFileSync("npm", args, { cwd, encoding: "utf8", env: { ...process.env, npm_config_loglevel: "error" } });

describe("the packed tarball", () => {
  let tarball = "";
  let files: string[] = [];

  it("holds the ESM build, types, the embedded WASM, the CLI, README and LICENSE; no tests, sources, source maps or loose .wasm", () => {
    const [info] = JSON.parse(npm(["pack", "--json", "--ignore-scripts", "--pack-destination", work], root));
    tarball = join(work, info.filename);
    files = info.files.map((f: { path: string }) => f.path);
    for (const f of ["dist/index.js", "dist/index.d.ts", "dist/runtime/wasm-bytes.js", "dist/tools/pool-worker.js", "dist/tools/fd-public.js",
      "bin/gradients.mjs", "README.md", "LICENSE", "package.json"]) {
      expect(files, f).toContain(f);
    }
    expect(files.filter((f) => /^(test|assembly|bindings|bench|scripts|examples)\//.test(f))).toEqual([]);
    expect(files.filter((f) => f.endsWith(".map") || f.endsWith(".wasm"))).toEqual([]);
  });

  it("installs into a new project and imports from plain Node ESM", () => {
    const project = join(work, "project");
    execFileSync("mkdir", ["-p", project]);
    writeFileSync(join(project, "package.json"), JSON.stringify({ name: "user", version: "1.0.0", type: "module", private: true }));
    npm(["install", tarball, "--no-audit", "--no-fund", "--prefer-offline"], project);
    writeFileSync(join(project, "main.js"), [
      'import { compile, fn, grid } from "gradients";',
      'const f = compile("sin(x*y) + z^2*exp(x)", { vars: ["x", "y", "z"] });',
      "const g = f.grad([1, 2, 3]);",
      "const h = fn(2, (x) => x[0].mul(x[1])).grad([3, 4]);",
      "const d = grid.gradient(Float64Array.of(0, 1, 4, 9), [4], { axis: 0 });",
      "console.log(JSON.stringify([Array.from(g), Array.from(h), Array.from(d)]));",
    ].join("\n"));
    const [g, h, d] = JSON.parse(execFileSync(process.execPath, ["main.js"], { cwd: project, encoding: "utf8" }));
    const want = [2 * Math.cos(2) + 9 * Math.E, Math.cos(2), 6 * Math.E];
    g.forEach((v: number, i: number) => expect(Math.abs(v - want[i])).toBeLessThanOrEqual(1e-12 * Math.abs(want[i])));
    expect(h).toEqual([4, 3]);
    expect(d).toEqual([1, 2, 4, 5]);
    const cli = execFileSync(join(project, "node_modules", ".bin", "gradients"), ["derive", "x^2*y", "--var", "x"], { encoding: "utf8" });
    expect(cli.trim()).toBe("d/dx x^2*y = 2*x*y");

    // subpaths, and require() from CommonJS (Node 20 loads the ESM build: it has no top-level await)
    writeFileSync(join(project, "subpaths.js"), [
      'import { derivative } from "gradients/symbolic";',
      'import { grad } from "gradients/fd";',
      'import { gradient } from "gradients/grid";',
      'import { gaussian } from "gradients/reparam";',
      'console.log(JSON.stringify([derivative("x^3", "x"), typeof grad, typeof gradient, typeof gaussian]));',
    ].join("\n"));
    expect(JSON.parse(execFileSync(process.execPath, ["subpaths.js"], { cwd: project, encoding: "utf8" }))).toEqual(["3*x^2", "function", "function", "function"]);
    writeFileSync(join(project, "main.cjs"), [
      'const { compile } = require("gradients");',
      'const { derivative } = require("gradients/symbolic");',
      'console.log(JSON.stringify([Array.from(compile("x^2*y").grad([3, 2])), derivative("x*y", "y")]));',
    ].join("\n"));
    const required = execFileSync(process.execPath, ["--no-warnings", "main.cjs"], { cwd: project, encoding: "utf8" });
    expect(JSON.parse(required)).toEqual([[12, 9], "x"]);
  }, 120_000);
});
