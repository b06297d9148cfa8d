// Symbolic derivatives: the printed expressions parse back in the library's grammar
// and evaluate equal to the exact (AD) derivatives on every fixture; the
// simplifier produces readable forms; explain lists the rules.
import { describe, expect, it } from "vitest";
import { compile, derivative, gradientExpr, InputError, jacobianExpr, ParseError } from "../../bindings/index.js";
import { expectClose, expectThrows, fixtures } from "../support/helpers.js";
import { evaluateParsed, exactly, parse } from "../support/precise.js";

describe("derivative strings evaluate to the exact derivatives", () => {
  for (const c of fixtures.scalar) {
    it(`${c.name}: ${c.expr}`, () => {
      const exprs = gradientExpr(c.expr, c.vars);
      const f = compile(c.expr, { vars: c.vars });
      const parsed = exprs.map((e) => compile(e, { vars: c.vars }));
      c.points.forEach((x) => {
        const ad = f.grad(x, { mode: "forward" });
        const symbolic = parsed.map((g) => g.eval(x) as number);
        const scale = Math.max(1, ...Array.from(ad, Math.abs));
        expectClose(symbolic, ad, 1e-12, `${c.name} at ${x}: [${exprs.join(", ")}]`, scale);
      });
    });
  }

  for (const c of fixtures.vector) {
    it(`${c.name}: [${c.exprs.join(", ")}]`, () => {
      const rows = jacobianExpr(c.exprs, c.vars);
      expect(rows.length).toBe(c.exprs.length);
      const F = compile(c.exprs, { vars: c.vars });
      c.points.forEach((x) => {
        const J = F.jacobian(x).data;
        const symbolic = rows.flat().map((e) => compile(e, { vars: c.vars }).eval(x) as number);
        expectClose(symbolic, J, 1e-12, `${c.name} at ${x}`, Math.max(1, ...Array.from(J, Math.abs)));
      });
    });
  }
});

describe("readable forms", () => {
  // Each derived by hand from the rules; the printer uses the grammar's precedence.
  const cases: [string, string, string][] = [
    ["x^3*sin(x)", "x", "3*x^2*sin(x) + x^3*cos(x)"],
    ["x^2", "x", "2*x"],
    ["x^-2", "x", "-2*x^-3"],
    ["x^0.5", "x", "0.5*x^-0.5"],
    ["5", "x", "0"],
    ["pi*e", "x", "0"],
    ["x", "x", "1"],
    ["y", "x", "0"],
    ["3*x + 2", "x", "3"],
    ["x*x*x", "x", "3*x^2"],
    ["3*x - 2*x", "x", "1"],
    ["-x^2", "x", "-2*x"],
    ["x^2 - 4*x*y", "x", "2*x - 4*y"],
    ["sin(x)", "x", "cos(x)"],
    ["cos(x)", "x", "-sin(x)"],
    ["exp(2*x)", "x", "2*exp(2*x)"],
    ["log(x)", "x", "1/x"],
    ["2^x", "x", "2^x*log(2)"],
    ["e^x", "x", "e^x"],
    ["x^y", "y", "x^y*log(x)"],
    ["sqrt(x)", "x", "0.5/sqrt(x)"],
    ["sin(x*y) + z^2*exp(x)", "x", "y*cos(x*y) + z^2*exp(x)"],
    ["x*exp(-x^2)", "x", "exp(-x^2) - 2*x^2*exp(-x^2)"],
    ["atan2(y, x)", "x", "-y/hypot(y, x)^2"], // hypot(y, x)² = x² + y²
  ];
  for (const [expr, v, want] of cases) {
    it(`d/d${v} ${expr} = ${want}`, () => {
      const got = derivative(expr, v);
      expect(got).toBe(want);
      expect(got).not.toMatch(/(^|[^0-9.])1\*|\+ 0\b|\^1(?![0-9.])|--/); // no 1*, +0, x^1 or --
    });
  }
});

describe("printed strings mean what the rules built (read by the library's parser, evaluated exactly)", () => {
  // A negated product or quotient in a denominator once lost its parentheses: "-y/-x*y" reads
  // (−y/(−x))·y. Each string here is read by the library's own parser (compile) and by the
  // reference parser of test/support/precise.ts, whose 80-digit evaluation is exact to rounding.
  const cases: [expr: string, v: string, at: Record<string, number>, want: number][] = [
    ["log(-x*y)", "x", { x: -1, y: 2 }, -1], // 1/x
    ["x/(-(y*z))", "x", { x: 1, y: 2, z: 3 }, -1 / 6], // −1/(y·z)
    ["log2(-y)", "y", { y: -3 }, 1 / (-3 * Math.LN2)], // 1/(y·ln 2)
    ["x^-(y*z)", "x", { x: 2, y: 1, z: 2 }, -0.25], // −y·z·x^(−y·z − 1)
    ["(-x*y)^3", "x", { x: 1, y: 2 }, -24], // −3y·(−x·y)²
  ];
  for (const [expr, v, at, want] of cases) {
    it(`d/d${v} ${expr} at ${JSON.stringify(at)} = ${want}`, () => {
      const d = derivative(expr, v);
      const vars = Object.keys(at);
      expect(Math.abs(compile(d, { vars }).eval(vars.map((k) => at[k])) as number - want), d).toBeLessThanOrEqual(1e-15);
      expect(evaluateParsed(parse(d), at).value.minus(exactly(want)).abs().toNumber(), d).toBeLessThanOrEqual(1e-15);
    });
  }

  it("numbers are folded only where the double result is exact: min(1e20*x, x+5) has derivative 1 at x = 1", () => {
    const d = derivative("min(1e20*x, x+5)", "x");
    expect(evaluateParsed(parse(d), { x: 1 }).value.toNumber(), d).toBe(1);
    expect(d).not.toBe("50000000000000000000"); // (1e20 + 1)/2, folded in doubles
  });

  it("numbers that do not fold exactly stay where they are (found by the full fuzz: they were reshuffled without end)", () => {
    const text = "((0.3/(1 + atanh(0.9*tanh(z))^2))^2)^0.75", d = derivative(text, "z");
    const f = compile(text, { vars: ["z"] }), df = compile(d, { vars: ["z"] });
    for (const z of [0.3, -0.7, 1.5]) expectClose([df.eval([z]) as number], [(f.grad([z]) as Float64Array)[0]], 1e-14, `d/dz at ${z}`);
  });

  it("the constants e and pi are not variables: derivative(\"e*x\", \"e\") is an InputError, as compile's vars", () => {
    for (const name of ["e", "pi"]) {
      expectThrows(() => derivative(`${name}*x`, name), InputError, /constant/);
      expectThrows(() => compile(`${name}*x`, { vars: [name, "x"] }), InputError, /constant/);
    }
    expect(derivative("e*x", "x")).toBe("e");
  });
});

describe("explain", () => {
  it("lists each rule applied, innermost first, ending with the result", () => {
    const { result, steps } = derivative("x^3*sin(x)", "x", { explain: true });
    expect(result).toBe("3*x^2*sin(x) + x^3*cos(x)");
    expect(steps.map((s) => s.rule)).toContain("product rule: (u·v)' = u'·v + u·v'");
    expect(steps.some((s) => s.rule.startsWith("power rule"))).toBe(true);
    expect(steps.at(-1)).toEqual({ rule: "product rule: (u·v)' = u'·v + u·v'", of: "x^3*sin(x)", is: result });
  });

  it("names the chain rule for compositions", () => {
    const { steps } = derivative("sin(x^2)", "x", { explain: true });
    expect(steps.at(-1)?.rule).toMatch(/^chain rule/);
    expect(steps.at(-1)?.is).toBe("2*x*cos(x^2)");
  });
});

describe("bad input", () => {
  it("a malformed expression is a ParseError with its column", () => {
    try {
      derivative("sin(x))", "x");
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ParseError);
      expect((error as ParseError).column).toBe(7);
    }
  });

  it("tensor functions and indexing are refused (they are for compile)", () => {
    expect(() => derivative("det(A)", "A")).toThrow(ParseError);
    expect(() => derivative("x[0]", "x")).toThrow(ParseError);
  });

  it("a variable that is not a name is an InputError; the library stays usable", () => {
    expect(() => derivative("x^2", "2x")).toThrow(InputError);
    expect(() => derivative(42 as never, "x")).toThrow(InputError);
    expect(derivative("x^2", "x")).toBe("2*x");
  });

  it("nesting deeper than the symbolic limit is an InputError, not a stack overflow", () => {
    const deep = "(".repeat(3000) + "x" + ")".repeat(3000);
    expect(derivative(deep, "x")).toBe("1"); // parentheses add no depth
    const nested = "sin(".repeat(3000) + "x" + ")".repeat(3000);
    expect(() => derivative(nested, "x")).toThrow(InputError);
  });

  it("explain stops at 200 levels (its steps grow with depth²) and works up to them", () => {
    const at = (depth: number) => "sin(".repeat(depth) + "x" + ")".repeat(depth);
    const { steps } = derivative(at(150), "x", { explain: true });
    expect(steps.length).toBeGreaterThan(150);
    expect(() => derivative(at(300), "x", { explain: true })).toThrow(/explain: the expression is nested more than 200 levels/);
    expect(derivative(at(300), "x")).toMatch(/^cos\(/); // without explain, 300 levels are fine
  });
});
