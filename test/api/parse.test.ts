// The expression grammar: precedence and associativity, number syntax, constants,
// every grammar function against JS Math, variable order, parse errors with
// their columns, and inputs deep or long enough to break a recursive parser.
import { describe, expect, it } from "vitest";
import { compile, GradientsError, InputError, ParseError, ShapeError, Tensor } from "../../bindings/index.js";
import { expectClose, expectIdentical, expectThrows } from "../support/helpers.js";

/** The value of a constant expression (no variables). */
const value = (expr: string): number => compile(expr).eval([]);

describe("precedence and associativity", () => {
  it("unary minus binds looser than ^: -x^2 is −(x²)", () => {
    const f = compile("-x^2", { vars: ["x"] });
    expect(f.eval([3])).toBe(-9);
    expect(f.eval([-3])).toBe(-9);
    expect(f.grad([3])[0]).toBe(-6);
    expect(value("-2^2")).toBe(-4);
  });

  it("^ is right-associative: 2^3^2 is 2^9", () => {
    expect(value("2^3^2")).toBe(512);
    const f = compile("x^y^z", { vars: ["x", "y", "z"] });
    expect(f.eval([2, 3, 2])).toBe(512);
  });

  it("unary minus may follow an operator", () => {
    expect(compile("x^-2", { vars: ["x"] }).eval([2])).toBe(0.25); // x^(−2)
    expect(value("2*-3")).toBe(-6);
    expect(value("2^-1")).toBe(0.5);
    expect(value("4--1")).toBe(5);
    expect(value("--3")).toBe(3);
    expect(value("+3 * +2")).toBe(6);
    expect(value("2^-3^2")).toBe(2 ** -9); // 2^(−(3^2))
    expect(value("-2^-2")).toBe(-0.25); // −(2^(−2))
    // 2^-x^2 is 2^(−(x²)): at x = 1.5 that is 2^−2.25, not (2^−1.5)^2 = 2^−3
    const f = compile("2^-x^2", { vars: ["x"] });
    expectClose([f.eval([1.5])], [2 ** -2.25], 1e-15, "2^-x^2");
    // d/dx 2^(−x²) = 2^(−x²)·ln 2·(−2x)
    expectClose(f.grad([1.5]), [2 ** -2.25 * Math.LN2 * -3], 1e-14, "d/dx 2^-x^2");
  });

  it("- and / are left-associative", () => {
    expect(value("8/4/2")).toBe(1);
    expect(value("5-3-1")).toBe(1);
    const f = compile("a/b/c - a-b-c", { vars: ["a", "b", "c"] });
    expect(f.eval([8, 4, 2])).toBe(1 - 8 - 4 - 2);
  });

  it("* and / bind tighter than + and -; parentheses override", () => {
    expect(value("2+3*4")).toBe(14);
    expect(value("2*3+4")).toBe(10);
    expect(value("(2+3)*4")).toBe(20);
    expect(value("2*(3+4)")).toBe(14);
    expect(value("12/2*3")).toBe(18);
    expect(value("1-2*3^2")).toBe(-17);
    expect(value("-(2+3)^2")).toBe(-25);
  });
});

describe("numbers, constants and whitespace", () => {
  it("number syntax", () => {
    for (const [text, want] of [["2", 2], ["2.5", 2.5], [".5", 0.5], ["1e-3", 0.001], ["2E+2", 200],
      ["2.", 2], ["1.5e2", 150], ["007", 7], ["123456789012", 123456789012]] as const) {
      expect(value(text), text).toBe(want);
    }
  });

  it("long literals round as JavaScript rounds them; an exponent needs digits", () => {
    // 2^53 + 1 and 0.1 + 2^-56 do not fit a double: JavaScript's Number() is the reference rounding
    for (const text of ["9007199254740993", "123456789012345678901234567890", "0.10000000000000001387778780781445675529539585113525390625",
      "1.e5", "1e400", "4.9e-324", "2.2250738585072014e-308"]) {
      expect(value(text), text).toBe(Number(text));
    }
    // "2e" is the number 2 and then the name e, not an exponent
    expect(() => compile("2e*3")).toThrow(/unexpected name 'e' after an operand.*column 2/s);
    expect(value("2e+1")).toBe(20);
    expect(value("2e-1")).toBe(0.2);
  });

  it("pi and e are the constants, not variables", () => {
    expect(value("pi")).toBe(Math.PI);
    expect(value("e")).toBe(Math.E);
    const f = compile("e*x + pi*y");
    expect(f.vars).toEqual(["x", "y"]);
    expect(f.eval([2, 3])).toBe(Math.E * 2 + Math.PI * 3);
    expect(Array.from(f.grad([2, 3]))).toEqual([Math.E, Math.PI]);
  });

  it("spaces, tabs and newlines are ignored", () => {
    const f = compile(" \t x\n*\r\n y +  sin ( x ) ", { vars: ["x", "y"] });
    expectClose([f.eval([0.5, 3])], [0.5 * 3 + Math.sin(0.5)], 1e-15, "whitespace");
  });
});

describe("every grammar function against JS Math", () => {
  // [expression in x (and y), x, y, the same function in plain JS]
  const cases: Array<[string, number, number, (x: number, y: number) => number]> = [
    ["sin(x)", 0.7, 0, Math.sin], ["cos(x)", 0.7, 0, Math.cos], ["tan(x)", 0.7, 0, Math.tan],
    ["asin(x)", 0.35, 0, Math.asin], ["acos(x)", 0.35, 0, Math.acos], ["atan(x)", 2.5, 0, Math.atan],
    ["sinh(x)", 1.3, 0, Math.sinh], ["cosh(x)", 1.3, 0, Math.cosh], ["tanh(x)", 0.6, 0, Math.tanh],
    ["asinh(x)", 2.2, 0, Math.asinh], ["acosh(x)", 2.2, 0, Math.acosh], ["atanh(x)", 0.45, 0, Math.atanh],
    ["exp(x)", 1.7, 0, Math.exp], ["expm1(x)", 1e-5, 0, Math.expm1],
    ["log(x)", 3.3, 0, Math.log], ["log1p(x)", 1e-5, 0, Math.log1p],
    ["log2(x)", 10, 0, Math.log2], ["log10(x)", 250, 0, Math.log10],
    ["sqrt(x)", 2, 0, Math.sqrt], ["cbrt(x)", -27.5, 0, Math.cbrt],
    ["abs(x)", -4.25, 0, Math.abs], ["sign(x)", -4.25, 0, Math.sign], ["sign(x)", 0.1, 0, Math.sign],
    // atan2(y, x): the first argument is y
    ["atan2(y, x)", 0.3, -1.2, (x, y) => Math.atan2(y, x)],
    ["atan2(y, x)", -2, 0.5, (x, y) => Math.atan2(y, x)],
    ["pow(x, y)", 1.9, 2.7, (x, y) => x ** y],
    ["hypot(x, y)", 3, -4, Math.hypot], ["hypot(x, y)", 1e200, 1e200, Math.hypot],
    ["min(x, y)", 1.5, -2, Math.min], ["max(x, y)", 1.5, -2, Math.max],
  ];
  for (const [expr, x, y, js] of cases) {
    it(`${expr} at (${x}, ${y})`, () => {
      const f = compile(expr, { vars: ["x", "y"] });
      expectClose([f.eval([x, y])], [js(x, y)], 2e-15, expr);
    });
  }
});

describe("variables", () => {
  it("without vars: the names in natural order (x < y < z, x2 < x10, a < b), whatever order they appear in", () => {
    const f = compile("b*a + c - a + b");
    expect(f.vars).toEqual(["a", "b", "c"]);
    // f(a, b, c) = ab + c − a + b at (a, b, c) = (1, 10, 100)
    expect(f.eval([1, 10, 100])).toBe(10 + 100 - 1 + 10);
    expect(Array.from(f.grad([1, 10, 100]))).toEqual([10 - 1, 1 + 1, 1]);
    expect(compile(["z + y", "x*y", "w"]).vars).toEqual(["w", "x", "y", "z"]);
    expect(compile("x10 + x2 + x1 + x").vars).toEqual(["x", "x1", "x2", "x10"]);
    expect(compile("x_1 + _t + X + a2b10 + a2b9").vars).toEqual(["X", "_t", "a2b9", "a2b10", "x_1"]);
    // A field's components line up with its axes: the curl of (−y, x, z) is (0, 0, 2).
    const field = compile(["-y", "x", "z"]);
    expect(field.vars).toEqual(["x", "y", "z"]);
    expect(Array.from(field.curl([1, 2, 3]) as Float64Array)).toEqual([0, 0, 2]);
    expect(field.divergence([1, 2, 3])).toBe(1);
  });

  it("points by name: { x: 3, y: 2 } wherever a point is taken, and a batch as a record of arrays", async () => {
    const f = compile("x^2*y + z", { vars: ["z", "y", "x"] }); // the names, not their order, place the values
    expect(f.eval({ x: 3, y: 2, z: 1 })).toBe(19);
    expectIdentical(f.grad({ x: 3, y: 2, z: 1 }) as Float64Array, [1, 9, 12]); // ∂/∂z, ∂/∂y, ∂/∂x
    expect(f.jvp({ x: 3, y: 2, z: 1 }, { x: 1, y: 0, z: 0 })).toBe(12);
    const g = compile("x^2*y");
    expectIdentical(g.hvp({ x: 3, y: 2 }, { x: 1, y: 0 }) as Float64Array, [4, 6]); // H = [[2y, 2x], [2x, 0]]
    expectIdentical(g.taylor({ x: 1, y: 1 }, { x: 1, y: 0 }, 3), [1, 2, 1, 0]); // (1 + t)²
    // a batch: a record of arrays (one length), numbers shared by every point
    const batch = g.eval({ x: Float64Array.of(1, 2, 3), y: 2 }) as Tensor;
    expect(batch.shape).toEqual([3]);
    expectIdentical(batch.data, [2, 8, 18]);
    expectIdentical((g.grad({ x: [1, 2], y: [5, 7] }) as Tensor).data, [10, 1, 28, 4]);
    expectIdentical((await g.evalAsync({ x: [1, 2], y: 3 }, { chunkSize: 1 }) as Tensor).data, [3, 12]);
    expectThrows(() => g.eval({ x: 1, w: 2 }), InputError, /unknown variable 'w'/, /x, y/);
    expectThrows(() => g.eval({ x: 1 }), InputError, /missing variable 'y'/);
    expectThrows(() => g.eval({ x: [1, 2], y: [1, 2, 3] }), ShapeError, /'x' has 2 values but 'y' has 3/);
    expectThrows(() => g.eval({ x: "1", y: 2 }), InputError, /'x' must be a number/);
    expect(g.eval({ x: 2, y: 5 })).toBe(20); // usable after the errors
  });

  it("with vars: their order is the input order, unused ones included", () => {
    const f = compile("x - y", { vars: ["y", "unused", "x"] });
    expect(f.vars).toEqual(["y", "unused", "x"]);
    expect(f.inputShape).toEqual([3]);
    expect(f.eval([1, 99, 5])).toBe(4);
    expect(Array.from(f.grad([1, 99, 5]))).toEqual([-1, 0, 1]);
    expect(f.partial("x", [1, 99, 5])).toBe(1);
  });
});

/** The ParseError compiling `expr` throws. */
function expectParseError(expr: string): ParseError {
  try {
    compile(expr);
  } catch (e) {
    expect(e).toBeInstanceOf(ParseError);
    return e as ParseError;
  }
  return expect.fail(`${JSON.stringify(expr)} compiled`);
}

describe("parse errors name the column", () => {
  // [expression, vars (or undefined), the 1-based column of the problem, why]
  const cases: Array<[string, string[] | undefined, number, string]> = [
    ["(x+1", undefined, 1, "the '(' that is never closed"],
    ["x+1)", undefined, 4, "the ')' with nothing to close"],
    ["(x))", undefined, 4, "the second ')'"],
    ["2*(x+(y", undefined, 6, "the innermost unclosed '('"],
    ["sin(x", undefined, 4, "the '(' of the call"],
    ["x+", undefined, 3, "the end, where an operand is missing"],
    ["x^", undefined, 3, "the end, where the exponent is missing"],
    ["-", undefined, 2, "the end, where the operand of '-' is missing"],
    ["2**3", undefined, 3, "the second '*'"],
    ["foo(x)", undefined, 1, "the unknown function's name"],
    ["pi(x)", undefined, 1, "a constant is not a function"],
    ["x + w", ["x"], 5, "the unknown variable"],
    ["", undefined, 1, "an empty expression"],
    ["   ", undefined, 1, "an expression of only whitespace is empty"],
    ["sin()", undefined, 5, "the ')' where the argument should be"],
    ["sin(x, y)", undefined, 1, "the call with two arguments for one"],
    ["atan2(x)", undefined, 1, "the call with one argument for two"],
    ["sin x", undefined, 1, "a function name without parentheses"],
    ["sin + 1", undefined, 1, "a function name without parentheses"],
    ["x y", undefined, 3, "the second operand (no implicit multiplication)"],
    ["2x", undefined, 2, "the name after the number"],
    ["x $ y", undefined, 3, "the unknown character"],
    ["(x, y)", undefined, 3, "a comma outside a call"],
    ["()", undefined, 2, "the ')' of empty parentheses"],
    ["x[0]", ["x"], 2, "indexing a scalar variable"],
  ];
  for (const [expr, vars, column, why] of cases) {
    it(`${JSON.stringify(expr)} → column ${column} (${why})`, () => {
      let caught: unknown;
      try {
        compile(expr, vars ? { vars } : undefined);
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(ParseError);
      expect(caught).toBeInstanceOf(GradientsError);
      const err = caught as ParseError;
      expect(err.code).toBe("parse");
      expect(err.column).toBe(column);
      expect(err.message).toContain(`at column ${column}`);
      expect(err.expression).toBe(expr);
    });
  }

  it("says what was meant where the mistake is a common one, and where it is not, does not guess", () => {
    expect(() => compile("e(2)")).toThrow("'e' is a constant, not a function (to multiply, write e*(…)) at column 1");
    expect(() => compile("x ? (y : z)")).toThrow("':' inside the parentheses from column 5, whose '?' is outside them");
    expect(() => compile("x : y")).toThrow("':' without a '?' before it");
    expect(() => compile("x=>y")).toThrow("unexpected character '=' (did you mean '>='?) at column 2");
    expect(() => compile("x=<y")).toThrow("(did you mean '<='?)");
    expect(() => compile("x=y")).toThrow("(did you mean '=='?)");
    expect(() => compile("sin()")).toThrow("sin takes 1 argument, got none at column 5");
    expect(() => compile("atan2()")).toThrow("atan2 takes 2 arguments, got none");
    // the hint about '*' only where an operand follows an operand
    expect(() => compile("x 2")).toThrow("unexpected number '2' after an operand (no implicit multiplication: write '*')");
    expect(() => compile("x (y)+1", { vars: ["x", "y"] })).toThrow("unknown function 'x'");
    expect(() => compile("x!")).toThrow(/^unexpected '!' after an operand at column 2$/);
    expect(() => compile("x[0]]", { vars: { x: [2] } })).toThrow(/^unexpected '\]' after an operand at column 5$/);
    // a character beyond the basic plane is quoted whole, not half a surrogate pair
    expect(() => compile("x + \u{1F600}")).toThrow("unexpected character '\u{1F600}' at column 5");
  });

  it("in an expression of several lines, the message gives the line and the column in it (the column field counts from the start)", () => {
    const err = expectParseError("x\n+ y\n+ )");
    expect(err.message).toBe("unexpected ')' at line 3, column 3");
    expect(err.column).toBe(9);
    expect(err.reason).toBe("unexpected ')'");
    // an error at the newline itself, or before any, is on line 1
    expect(expectParseError("\n").message).toBe("empty expression at column 1");
    expect(expectParseError("x\n)").message).toBe("unexpected ')' at line 2, column 1");
    expect(expectParseError("(x\n").message).toBe("unclosed '(' at column 1");
  });

  it("names the problem in the message", () => {
    expect(() => compile("foo(x)")).toThrow(/foo/);
    expect(() => compile("x + w", { vars: ["x"] })).toThrow(/'w'/);
    expect(() => compile("sin(x, y)")).toThrow(/sin takes 1 argument, got 2/);
    expect(() => compile("(x+1")).toThrow(/unclosed/);
  });

  it("in an array of expressions, reports the one that fails", () => {
    try {
      compile(["x + 1", "y*", "z"]);
      expect.fail("should throw");
    } catch (e) {
      expect(e).toBeInstanceOf(ParseError);
      expect((e as ParseError).expression).toBe("y*");
      expect((e as ParseError).column).toBe(3);
    }
  });
});

describe("deep and long inputs (no recursion on user-controlled depth)", () => {
  const DEPTH = 5000;

  it("5,000 nested parentheses", () => {
    const f = compile("(".repeat(DEPTH) + "x" + ")".repeat(DEPTH), { vars: ["x"] });
    expect(f.eval([1.7])).toBe(1.7);
    expect(f.grad([1.7])[0]).toBe(1);
    expect(f.tapeSize.instructions).toBe(1);
  });

  it("-(-(-(…x…))) 5,000 and 5,001 deep", () => {
    const even = compile("-(".repeat(DEPTH) + "x" + ")".repeat(DEPTH), { vars: ["x"] });
    expect(even.eval([1.7])).toBe(1.7);
    expect(even.grad([1.7])[0]).toBe(1);
    const odd = compile("-(".repeat(DEPTH + 1) + "x" + ")".repeat(DEPTH + 1), { vars: ["x"] });
    expect(odd.eval([1.7])).toBe(-1.7);
    expect(odd.grad([1.7])[0]).toBe(-1);
  });

  it("-(x + -(x + … x)) 5,000 deep: a graph that deep, not a folded chain", () => {
    // e0 = x, e_k = −(x + e_(k−1)): e_k alternates x, −2x; with 5,000 levels e = x, de/dx = 1
    const f = compile("-(x+".repeat(DEPTH) + "x" + ")".repeat(DEPTH), { vars: ["x"] });
    expect(f.tapeSize.instructions).toBe(1 + 2 * DEPTH);
    expect(f.eval([1.5])).toBe(1.5);
    expect(f.grad([1.5])[0]).toBe(1);
    const g = compile("-(x+".repeat(DEPTH - 1) + "x" + ")".repeat(DEPTH - 1), { vars: ["x"] });
    expect(g.eval([1.5])).toBe(-3);
    expect(g.grad([1.5])[0]).toBe(-2);
  });

  it("sin(sin(…sin(x)…)) 5,000 deep against a JS loop", () => {
    const f = compile("sin(".repeat(DEPTH) + "x" + ")".repeat(DEPTH), { vars: ["x"] });
    let v = 0.9, d = 1;
    for (let k = 0; k < DEPTH; k++) {
      d *= Math.cos(v);
      v = Math.sin(v);
    }
    expectClose([f.eval([0.9])], [v], 1e-12, "value");
    expectClose(f.grad([0.9]), [d], 1e-11, "derivative");
  });

  it("a sum of 20,000 terms x+x+…+x is 20000·x with gradient 20000", () => {
    const f = compile(Array(20000).fill("x").join("+"), { vars: ["x"] });
    expect(f.tapeSize.instructions).toBe(20000); // one Input, 19,999 additions
    expect(f.eval([1.25])).toBe(25000); // every partial sum is exact
    expectClose([f.eval([0.1])], [2000], 1e-12, "20000·0.1");
    expect(f.grad([0.1])[0]).toBe(20000);
    expect(f.grad([-7])[0]).toBe(20000);
  });
});
