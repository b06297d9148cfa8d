// The rules of differentiation, shown by gradients against closed forms written
// here in plain JavaScript: constants, powers, sums, products, quotients and the
// chain rule, through eval, grad, partial, jacobian and directional.
import { describe, expect, it } from "vitest";
import { compile } from "../../bindings/index.js";
import { expectClose } from "../support/helpers.js";

/** Relative tolerance: the core's libm and V8's may differ by an ulp or two per call. */
const REL = 1e-13;

type Vec = number[];

/**
 * Checks a scalar expression at each point: the value, the gradient, every
 * partial by name and by index, the Jacobian (the gradient's numbers) and the
 * directional derivative along a few unnormalized directions (∇f·v).
 */
function checkScalar(expr: string, vars: string[], value: (x: Vec) => number, grad: (x: Vec) => Vec, points: Vec[]): void {
  const f = compile(expr, { vars });
  for (const x of points) {
    const at = `${expr} at (${x.join(", ")})`;
    const g = grad(x);
    expectClose([f.eval(x)], [value(x)], REL, `value of ${at}`);
    expectClose(f.grad(x), g, REL, `grad of ${at}`);
    expectClose(f.jacobian(x).data, g, REL, `jacobian of ${at}`);
    vars.forEach((v, i) => {
      const scale = Math.max(...g.map(Math.abs));
      expectClose([f.partial(v, x)], [g[i]], REL, `∂/∂${v} of ${at}`, scale);
      expectClose([f.partial(i, x)], [g[i]], REL, `∂/∂x_${i} of ${at}`, scale);
    });
    for (const v of [vars.map((_, i) => i + 2), vars.map((_, i) => (i % 2 ? -0.5 : 3))]) {
      const want = g.reduce((s, gi, i) => s + gi * v[i], 0);
      const scale = g.reduce((s, gi, i) => s + Math.abs(gi * v[i]), 0);
      expectClose([f.directional(x, v)], [want], REL, `∇f·(${v}) of ${at}`, scale);
    }
  }
}

describe("constant rule: ∂c/∂x = 0", () => {
  it("a constant expression has a zero gradient, exactly", () => {
    for (const [expr, value] of [["7", 7], ["pi*2 + e", Math.PI * 2 + Math.E], ["sin(2)^2 + cos(2)^2", 1]] as const) {
      const f = compile(expr, { vars: ["x", "y"] });
      for (const x of [[0, 0], [1.5, -2], [-3, 1e6]]) {
        expectClose([f.eval(x)], [value], 1e-15, expr);
        expect(Array.from(f.grad(x))).toEqual([0, 0]);
        expect(f.partial("x", x)).toBe(0);
        expect(f.directional(x, [4, -7])).toBe(0);
      }
    }
  });

  it("a constant term or factor adds nothing of its own", () => {
    const pts = [[0.3, 1.1], [-1.4, 2.5], [2, -0.75]];
    checkScalar("x + sin(3)", ["x", "y"], ([x]) => x + Math.sin(3), () => [1, 0], pts);
    checkScalar("5*y - exp(1)", ["x", "y"], ([, y]) => 5 * y - Math.exp(1), () => [0, 5], pts);
  });
});

describe("power rule: d(x^n) = n·x^(n−1)", () => {
  it("n = 3, on both sides of 0", () => {
    checkScalar("x^3", ["x"], ([x]) => x ** 3, ([x]) => [3 * x ** 2], [[-2], [-0.5], [0.7], [1.3], [3]]);
  });

  it("n = −2", () => {
    checkScalar("x^-2", ["x"], ([x]) => x ** -2, ([x]) => [-2 * x ** -3], [[-2], [-0.5], [0.7], [1.3], [3]]);
  });

  it("n = 0.5 (the square root, written as a power)", () => {
    checkScalar("x^0.5", ["x"], ([x]) => Math.sqrt(x), ([x]) => [0.5 * x ** -0.5], [[0.04], [0.7], [2], [9]]);
  });

  it("x^y with both varying: ∂x = y·x^(y−1), ∂y = x^y·ln x", () => {
    checkScalar("x^y", ["x", "y"], ([x, y]) => x ** y,
      ([x, y]) => [y * x ** (y - 1), x ** y * Math.log(x)],
      [[2, 3], [0.5, 1.7], [3.2, -0.4], [1.1, 10]]);
    // pow(a, b) is the same function
    checkScalar("pow(x, y)", ["x", "y"], ([x, y]) => x ** y,
      ([x, y]) => [y * x ** (y - 1), x ** y * Math.log(x)], [[2, 3], [0.5, 1.7]]);
  });
});

describe("sum rule: d(u + v) = du + dv", () => {
  it("sums and differences of terms in different variables", () => {
    const pts = [[0.3, 1.1, -2], [-1.4, 2.5, 0.5], [2, -0.75, 3]];
    checkScalar("x + y + z", ["x", "y", "z"], ([x, y, z]) => x + y + z, () => [1, 1, 1], pts);
    checkScalar("sin(x) + x^2 - 3*y + exp(z)", ["x", "y", "z"],
      ([x, y, z]) => Math.sin(x) + x * x - 3 * y + Math.exp(z),
      ([x, , z]) => [Math.cos(x) + 2 * x, -3, Math.exp(z)], pts);
  });
});

describe("product rule: d(uv) = u dv + v du", () => {
  const pts = [[0.3, 1.1, -2], [-1.4, 2.5, 0.5], [2, -0.75, 3]];

  it("two factors", () => {
    checkScalar("x*y", ["x", "y", "z"], ([x, y]) => x * y, ([x, y]) => [y, x, 0], pts);
    checkScalar("sin(x)*exp(y)", ["x", "y", "z"], ([x, y]) => Math.sin(x) * Math.exp(y),
      ([x, y]) => [Math.cos(x) * Math.exp(y), Math.sin(x) * Math.exp(y), 0], pts);
  });

  it("three factors: d(uvw) = vw du + uw dv + uv dw", () => {
    checkScalar("x*y*z", ["x", "y", "z"], ([x, y, z]) => x * y * z, ([x, y, z]) => [y * z, x * z, x * y], pts);
    checkScalar("sin(x)*cos(y)*exp(z)", ["x", "y", "z"],
      ([x, y, z]) => Math.sin(x) * Math.cos(y) * Math.exp(z),
      ([x, y, z]) => [
        Math.cos(x) * Math.cos(y) * Math.exp(z),
        -Math.sin(x) * Math.sin(y) * Math.exp(z),
        Math.sin(x) * Math.cos(y) * Math.exp(z),
      ], pts);
  });

  it("a variable times itself: d(x·x) = 2x", () => {
    checkScalar("x*x", ["x"], ([x]) => x * x, ([x]) => [2 * x], [[-3], [0.25], [7]]);
  });
});

describe("quotient rule: d(u/v) = (v du − u dv)/v²", () => {
  const pts = [[0.3, 1.1], [-1.4, 2.5], [2, -0.75]];

  it("x/y", () => {
    checkScalar("x/y", ["x", "y"], ([x, y]) => x / y, ([x, y]) => [1 / y, -x / (y * y)], pts);
  });

  it("sin(x)/(1 + y^2)", () => {
    checkScalar("sin(x)/(1 + y^2)", ["x", "y"], ([x, y]) => Math.sin(x) / (1 + y * y),
      ([x, y]) => [Math.cos(x) / (1 + y * y), -Math.sin(x) * 2 * y / (1 + y * y) ** 2], pts);
  });

  it("1/x: d = −1/x²", () => {
    checkScalar("1/x", ["x"], ([x]) => 1 / x, ([x]) => [-1 / (x * x)], [[-2], [0.1], [3]]);
  });
});

describe("chain rule: d f(g(x)) = f'(g(x))·g'(x)", () => {
  it("sin(cos(exp(x)))", () => {
    checkScalar("sin(cos(exp(x)))", ["x"], ([x]) => Math.sin(Math.cos(Math.exp(x))),
      ([x]) => [Math.cos(Math.cos(Math.exp(x))) * -Math.sin(Math.exp(x)) * Math.exp(x)],
      [[-1], [0], [0.4], [1.2], [2]]);
  });

  it("exp(sin(x*y)^2): both variables through one inner product", () => {
    const f = ([x, y]: Vec) => Math.exp(Math.sin(x * y) ** 2);
    // d/du exp(sin(u)^2) = exp(sin²u)·2 sin u cos u, with ∂u/∂x = y, ∂u/∂y = x
    const outer = (u: number) => Math.exp(Math.sin(u) ** 2) * 2 * Math.sin(u) * Math.cos(u);
    checkScalar("exp(sin(x*y)^2)", ["x", "y"], f, ([x, y]) => [outer(x * y) * y, outer(x * y) * x],
      [[0.3, 1.1], [-1.4, 2.5], [2, -0.75], [0.9, 0.9]]);
  });

  it("log(1 + x^2), sqrt(x^2 + y^2) and tanh(x/y)", () => {
    const pts = [[0.3, 1.1], [-1.4, 2.5], [2, -0.75]];
    checkScalar("log(1 + x^2)", ["x", "y"], ([x]) => Math.log(1 + x * x), ([x]) => [2 * x / (1 + x * x), 0], pts);
    checkScalar("sqrt(x^2 + y^2)", ["x", "y"], ([x, y]) => Math.hypot(x, y),
      ([x, y]) => [x / Math.hypot(x, y), y / Math.hypot(x, y)], pts);
    const sech2 = (u: number) => 1 - Math.tanh(u) ** 2;
    checkScalar("tanh(x/y)", ["x", "y"], ([x, y]) => Math.tanh(x / y),
      ([x, y]) => [sech2(x / y) / y, -sech2(x / y) * x / (y * y)], pts);
  });
});

describe("directional derivatives are J·v, not normalized", () => {
  it("scaling v scales the result (a unit vector would not)", () => {
    const f = compile("x^2*y", { vars: ["x", "y"] });
    // ∇f = (2xy, x²); at (1.5, −2): (−6, 2.25)
    expect(f.directional([1.5, -2], [1, 0])).toBe(-6);
    expect(f.directional([1.5, -2], [3, 0])).toBe(-18);
    expect(f.directional([1.5, -2], [3, 4])).toBe(-18 + 9);
  });

  it("of a vector function: J·v for each output", () => {
    const F = compile(["x*y", "y*z", "sin(x) + z"], { vars: ["x", "y", "z"] });
    for (const [x, y, z] of [[1, 2, 3], [-0.5, 0.25, 2], [2.2, -1.3, 0.7]]) {
      for (const v of [[1, 0, 0], [2, -1, 0.5], [0, 0, 0]]) {
        const J = [[y, x, 0], [0, z, y], [Math.cos(x), 0, 1]];
        const want = J.map((row) => row.reduce((s, Jij, j) => s + Jij * v[j], 0));
        expectClose(F.directional([x, y, z], v), want, REL, `J·(${v}) at (${x}, ${y}, ${z})`, 1);
      }
    }
  });
});
