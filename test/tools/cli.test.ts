// The command line, run as a user runs it: a child process, its output and exit code.
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { nistProblems } from "../support/nist.mjs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const bin = fileURLToPath(new URL("../../bin/gradients.mjs", import.meta.url));
function run(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: "utf8" });
  return { out: r.stdout, err: r.stderr, code: r.status };
}

// f = sin(xy) + z²eˣ at (1, 2, 3): ∇f = (y cos xy + z²eˣ, x cos xy, 2z eˣ)
const grad = [2 * Math.cos(2) + 9 * Math.E, Math.cos(2), 6 * Math.E];

describe("gradients CLI", () => {
  it("grad prints the gradient, aligned, one variable a line", () => {
    const r = run("grad", "sin(x*y) + z^2*exp(x)", "--at", "x=1,y=2,z=3");
    expect(r.code).toBe(0);
    const lines = r.out.trim().split("\n");
    expect(lines[0]).toBe("at (x, y, z) = (1, 2, 3)");
    const values = lines.slice(2).map((l) => Number(l.trim().split(/\s+/).at(-1)));
    values.forEach((v, i) => expect(Math.abs(v - grad[i])).toBeLessThanOrEqual(1e-12 * Math.abs(grad[i])));
    const columns = new Set(lines.slice(1).map((l) => l.length)); // right-aligned: one width
    expect(columns.size).toBe(1);
  });

  it("--json gives machine output; positional --at follows the variables' order", () => {
    const r = run("grad", "sin(x*y) + z^2*exp(x)", "--at", "1,2,3", "--json");
    expect(r.code).toBe(0);
    const data = JSON.parse(r.out);
    expect(data.command).toBe("grad");
    expect(data.vars).toEqual(["x", "y", "z"]);
    data.gradient.forEach((v: number, i: number) => expect(Math.abs(v - grad[i])).toBeLessThanOrEqual(1e-12 * Math.abs(grad[i])));
  });

  it("--method fd agrees to finite-difference accuracy", () => {
    const data = JSON.parse(run("grad", "sin(x*y) + z^2*exp(x)", "--at", "x=1,y=2,z=3", "--method", "fd", "--json").out);
    data.gradient.forEach((v: number, i: number) => expect(Math.abs(v - grad[i])).toBeLessThanOrEqual(1e-7 * Math.abs(grad[i])));
  });

  it("jacobian, div and curl of a vector field given as several expressions", () => {
    const J = JSON.parse(run("jacobian", "x*y", "y*z", "sin(x) + z", "--at", "x=1,y=2,z=3", "--json").out).jacobian;
    expect(J).toEqual([[2, 1, 0], [0, 3, 2], [Math.cos(1), 0, 1]]);
    expect(JSON.parse(run("div", "x*y", "y*z", "sin(x) + z", "--at", "x=1,y=2,z=3", "--json").out).divergence).toBe(6);
    expect(JSON.parse(run("curl", "x*y", "y*z", "sin(x) + z", "--at", "x=1,y=2,z=3", "--json").out).curl).toEqual([-2, -Math.cos(1), -1]);
    const r = run("curl", "-y", "x", "--at", "x=1,y=2");
    expect(r.out.trim().split("\n").at(-1)).toBe("curl = 2");
  });

  it("hessian and partial", () => {
    const H = JSON.parse(run("hessian", "x^2*y + y^3", "--at", "x=1,y=2", "--json").out).hessian;
    expect(H).toEqual([[4, 2], [2, 12]]); // [[2y, 2x], [2x, 6y]]
    const p = JSON.parse(run("partial", "x*y", "x + y", "--var", "y", "--at", "x=3,y=2", "--json").out).partial;
    expect(p).toEqual([3, 1]);
  });

  it("check compares the exact derivatives with extrapolated differences: exit 0 when they agree, 1 where they cannot judge", () => {
    const good = run("check", "sin(x*y) + z^2*exp(x)", "--at", "x=1,y=2,z=3", "--json");
    expect(good.code).toBe(0);
    const data = JSON.parse(good.out);
    expect(data.command).toBe("check");
    expect(data.ok).toBe(true);
    expect(data.worst).toBeLessThan(1e-9);
    const text = run("check", "sin(x*y) + z^2*exp(x)", "--at", "x=1,y=2,z=3");
    expect(text.out.trim().split("\n").at(-1)).toBe("ok");
    const jump = run("check", "sign(x) + y", "--at", "x=0,y=1");
    expect(jump.code).toBe(1);
    expect(jump.out).toMatch(/cannot judge/);
    expect(jump.out.trim().split("\n").at(-1)).toBe("not ok");
  });

  it("derive prints the derivative, and with --explain the rules", () => {
    expect(run("derive", "x^3*sin(x)").out.trim()).toBe("d/dx x^3*sin(x) = 3*x^2*sin(x) + x^3*cos(x)");
    const r = run("derive", "sin(x^2)", "--explain");
    expect(r.out).toMatch(/chain rule/);
    expect(JSON.parse(run("derive", "x*y", "--var", "y", "--json").out).derivative).toBe("x");
  });

  it("a parse error marks the column under the expression and exits 1", () => {
    const r = run("grad", "sin(x*y))", "--at", "x=1,y=2");
    expect(r.code).toBe(1);
    const lines = r.err.split("\n");
    expect(lines[0]).toBe("gradients: unexpected ')' at column 9");
    expect(lines[1]).toBe("  sin(x*y))");
    expect(lines[2]).toBe("          ^"); // under column 9
  });

  it("usage errors exit 2 with a hint; --help for each command exits 0", () => {
    for (const args of [["grad", "x*y"], ["frobnicate"], ["grad", "x", "--at", "x=1", "--method", "magic"], ["grad", "x", "--bogus"],
      ["grad", "x", "--at", "x=1", "--at", "x=2"], ["check", "x", "--at", "1", "--method", "fd"], ["derive", "x^2", "--at", "x=1"],
      ["grad", "x", "--at", "x=1", "--explain"], ["fit", "a*x", "--at", "x=1"], ["partial", "x*y", "--at", "1,2"], ["grad", "x*y", "--vars", "x,x", "--at", "1,2"]]) {
      const r = run(...args);
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.err).toMatch(/^gradients: /);
    }
    for (const c of ["grad", "partial", "jacobian", "hessian", "div", "curl", "derive"]) {
      const r = run(c, "--help");
      expect(r.code).toBe(0);
      expect(r.out).toMatch(new RegExp(`^usage: gradients ${c} `));
    }
    expect(run("--help").out).toMatch(/^gradients — exact derivatives/);
  });

  it("with no arguments prints the usage and exits 2; one dash too few is named; ln suggests log", () => {
    const none = run();
    expect(none.code).toBe(2);
    expect(none.err).toMatch(/a command is needed/);
    expect(none.err).toMatch(/usage: gradients <command>/);
    const dash = run("grad", "x*y", "-at", "1,2");
    expect(dash.code).toBe(2);
    expect(dash.err).toMatch(/unknown option -at: options take two dashes \(--at\)/);
    const ln = run("grad", "ln(x)", "--at", "x=1");
    expect(ln.code).toBe(1);
    expect(ln.err).toMatch(/unknown function 'ln'; did you mean 'log'\?/);
    expect(run("curl", "-y", "x", "--at", "x=1,y=2").out.trim().split("\n").at(-1)).toBe("curl = 2"); // -y is an expression
  });

  it("--at takes expressions of constants, and names only variables the expressions use", () => {
    const data = JSON.parse(run("grad", "r*sin(theta)", "--at", "theta=pi/4,r=2", "--json").out);
    expect(data.vars).toEqual(["r", "theta"]); // natural order, whatever order --at gives them in
    expect(data.at).toEqual([2, Math.PI / 4]);
    expect(data.gradient).toEqual([Math.sin(Math.PI / 4), 2 * Math.cos(Math.PI / 4)]);
    expect(run("grad", "x*y", "--at", "x=1,y=2,w=3").err).toMatch(/--at names w, which the expressions do not use/);
    expect(run("grad", "x*y", "--at", "x=1,y=q").err).toMatch(/'q' must be a number or an expression of constants/);
  });

  it("a field's variables are in natural order, and positional --at is refused where the expressions meet them in another", () => {
    // (y·z, x·z, x·y) is a gradient field: its curl is 0 at every point, in the right order
    const curl = JSON.parse(run("curl", "y*z", "x*z", "x*y", "--at", "x=1,y=2,z=3", "--json").out);
    expect(curl.vars).toEqual(["x", "y", "z"]);
    expect(curl.curl).toEqual([0, 0, 0]);
    const refused = run("curl", "y*z", "x*z", "x*y", "--at", "1,2,3");
    expect(refused.code).toBe(2);
    expect(refused.err).toMatch(/use y, z, x in that order, but the variables .* are in natural order, x, y, z/);
    const ordered = JSON.parse(run("curl", "y*z", "x*z", "x*y", "--at", "1,2,3", "--vars", "x,y,z", "--json").out);
    expect(ordered.curl).toEqual([0, 0, 0]);
    expect(JSON.parse(run("div", "x", "y^2", "--at", "1,2", "--json").out).divergence).toBe(1 + 4); // met in natural order: positional is fine
    // function names and the exponent of 1e3 are not variables (sin was read as "si", 1e3 as "e3")
    expect(JSON.parse(run("div", "sin(x)", "y", "--at", "1,2", "--json").out).divergence).toBe(Math.cos(1) + 1);
    expect(JSON.parse(run("div", "1e3*x", "exp(y)", "--at", "1,2", "--json").out).divergence).toBe(1000 + Math.exp(2));
  });

  it("--at splits at commas outside parentheses; --json writes ∞ and NaN as strings, not null", () => {
    const two = JSON.parse(run("grad", "x*y", "--at", "x=hypot(3,4),y=atan2(1,1)", "--json").out);
    expect(two.at).toEqual([5, Math.PI / 4]);
    expect(JSON.parse(run("grad", "sqrt(x)", "--at", "x=0", "--json").out).gradient).toEqual(["Infinity"]);
    expect(JSON.parse(run("grad", "-sqrt(x)", "--at", "x=0", "--json").out).gradient).toEqual(["-Infinity"]);
    expect(JSON.parse(run("grad", "sqrt(x)", "--at", "x=-1", "--json").out).gradient).toEqual(["NaN"]);
  });

  it("a shape error (curl of a 4-D field) is reported, exit 1, whether the point is given by name or in order", () => {
    for (const at of ["a=1,b=2,c=3,d=4", "1,2,3,4"]) {
      const r = run("curl", "a", "b", "c", "d", "--at", at);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/curl is defined for/);
    }
  });

  it("errors in the point exit 1, and say what is wrong with it; the command's form exits 2", () => {
    const cases: [string[], RegExp][] = [
      [["grad", "x", "--at", "x=abc"], /'abc' must be a number or an expression of constants/],
      [["grad", "x*y", "--at", "x=1,x=2"], /--at gives x twice/],
      [["grad", "x*y", "--at", "1"], /--at has 1 value for 2 variables \(x, y\)/],
      [["grad", "x*y", "--at", "x=1"], /--at has no value for y/],
      [["grad", "2", "--at", "1"], /the expressions have no variables/],
    ];
    for (const [args, message] of cases) {
      const r = run(...args);
      expect([r.code, r.err], args.join(" ")).toEqual([1, expect.stringMatching(message)]);
    }
    expect(run("grad", "x", "--at", "x=1", "--at", "x=2").err).toMatch(/--at is given twice/);
    expect(run("derive", "x^2", "--at", "x=1").err).toMatch(/derive takes no --at/);
    expect(run("partial", "x*y", "--at", "1,2").err).toMatch(/partial needs --var, the variable to differentiate by \(x, y\)/);
    expect(JSON.parse(run("partial", "x^2", "--at", "3", "--json").out).partial).toBe(6); // one variable: no --var needed
    expect(run("grad", "x*y", "--vars", "x,x", "--at", "1,2").err).toMatch(/--vars lists x twice/);
  });

  it("fit reads a CSV, prints the parameters with standard errors and the RSS (NIST's Misra1a, certified values)", () => {
    const P = nistProblems().find((p) => p.name === "Misra1a")!;
    const file = join(mkdtempSync(join(tmpdir(), "gradients-")), "misra1a.csv");
    writeFileSync(file, `x, y\n${Array.from(P.data.x, (x, i) => `${x}, ${P.data.y[i]}`).join("\n")}\n`);
    const r = run("fit", P.model, "--data", file, "--p0", "b1=500,b2=1e-4", "--json");
    expect(r.code, r.err).toBe(0);
    const data = JSON.parse(r.out);
    P.params.forEach((b, j) => {
      expect(Math.abs(data.p[b] - P.certified[j])).toBeLessThanOrEqual(1e-6 * Math.abs(P.certified[j]));
      expect(Math.abs(data.standardErrors[b] - P.certifiedSd[j])).toBeLessThanOrEqual(1e-3 * P.certifiedSd[j]);
    });
    expect(Math.abs(data.rss - P.rss)).toBeLessThanOrEqual(1e-6 * P.rss);
    const text = run("fit", P.model, "--data", file, "--p0", "b1=500,b2=1e-4");
    expect(text.out).toMatch(/b1 +238\.942129\d* +2\.70700\d*/);
    expect(text.out).toMatch(/residual sum of squares = 0\.124551388/);
    const bad = run("fit", P.model, "--data", file, "--p0", "b1=500");
    expect([bad.code, bad.err]).toEqual([1, expect.stringMatching(/no value for parameter 'b2'/)]);
    expect(run("fit", P.model, "--p0", "b1=1").err).toMatch(/--data file\.csv/);
    // a response column the file does not have is named with the CLI's flag; quoted headers are read without their quotes
    const noY = run("fit", P.model, "--data", file, "--p0", "b1=500,b2=1e-4", "--response", "z");
    expect([noY.code, noY.err]).toEqual([1, expect.stringMatching(/has no column 'z' \(its columns are x, y\): name the one the model predicts with --response/)]);
    const quoted = join(mkdtempSync(join(tmpdir(), "gradients-")), "quoted.csv");
    writeFileSync(quoted, `"x","y"\n${Array.from(P.data.x, (x, i) => `${x},${P.data.y[i]}`).join("\n")}\n`);
    expect(JSON.parse(run("fit", P.model, "--data", quoted, "--p0", "b1=500,b2=1e-4", "--json").out).p.b1).toBeCloseTo(P.certified[0], 5);
    // an empty field is a field (refused: not a number), not a shift of the later ones into its column
    writeFileSync(quoted, `x,y\n1,,2.1\n2,4\n`);
    const empty = run("fit", "a*x", "--data", quoted, "--p0", "a=1");
    expect([empty.code, empty.err]).toEqual([1, expect.stringMatching(/line 2: 3 values for 2 columns/)]);
    // a quoted blank is not a number (Number(" ") would be 0), and errors name the line of the file, comments counted
    writeFileSync(quoted, `# a comment\nx,y\n1,2\n2," "\n`);
    const blank = run("fit", "a*x", "--data", quoted, "--p0", "a=1");
    expect([blank.code, blank.err]).toEqual([1, expect.stringMatching(/line 4: ' ' is not a number/)]);
    // a quoted name holding a space is one column (then refused as a name, not blamed on the data)
    writeFileSync(quoted, `"x","my y"\n1,2\n2,4\n`);
    const spaced = run("fit", "a*x", "--data", quoted, "--p0", "a=1", "--response", "my y");
    expect([spaced.code, spaced.err]).toEqual([1, expect.stringMatching(/a variable name must be an identifier .* got "my y"/)]);
    expect(run("fit", P.model, "--data", file, "--p0", "b1=1=2,b2=1").err).toMatch(/--p0 takes name=value pairs, got 'b1=1=2'/);
  });
});
