// The files generated from the primitives' spec (scripts/generate-ops.mjs) are
// committed; a spec changed without regenerating them fails here.
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const script = fileURLToPath(new URL("../../scripts/generate-ops.mjs", import.meta.url));

describe("generated from bindings/ops/spec.ts", () => {
  it("assembly/abi.ts, bindings/ops/abi.ts and bindings/front/functions.ts are up to date", () => {
    expect(() => execFileSync(process.execPath, [script, "--check"], { encoding: "utf8", stdio: "pipe" })).not.toThrow();
  });
});
