// Finite differences of black-box callbacks (the `fd` namespace) against
// independent references: the sympy fixtures (test/fixtures/first-derivatives.json,
// second-order.json), closed forms written here, and the exact difference
// quotients of polynomials for a given step.
//
// The callbacks are opaque to `fd`: each fixture expression is compiled with the
// library's `compile` and called as `f.eval(x)` — the value sweep, a path
// independent of the finite-difference planner and combiner under test. Where the
// test needs to see the points the library asks for, the callback records them.
//
// Tolerances (`expectClose`: relative to each reference entry, with a floor):
// finite differences lose accuracy relative to the function's scale of
// variation, not to the derivative — at a minimum (Rosenbrock at (1, 1), Booth at
// (1, 3)) the reference is 0 but the truncation and rounding errors are not. So
// every comparison is floored at the function's scale,
//
//     floor = max(1, |f(x)| / s^k),   s = max(1, |x_1|, …, |x_n|),
//
// k = 1 for first derivatives, 2 for second: the size of a k-th derivative of a
// function of that magnitude varying over a distance s (the scale the automatic
// steps assume, README "Finite differences of black boxes").
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  buffer, CallbackError, compile, fd, GradientsError, grid, InputError, ShapeError, Tensor,
} from "../../bindings/index.js";
import {
  asArray, expectClose, expectIdentical, expectThrows, fixtures, secondOrderFixtures, type ScalarCase,
} from "../support/helpers.js";

type Scheme = "central" | "forward" | "backward" | "five-point";

/** A fixture expression as an opaque callback (f.eval), with a call counter. */
function blackBox(expr: string | string[], vars: string[]) {
  const f = compile(expr as string, { vars });
  const box = {
    calls: 0,
    f: (x: Float64Array): number | Float64Array => {
      box.calls++;
      return f.eval(x) as number | Float64Array;
    },
  };
  return box;
}

const scaleOf = (x: ArrayLike<number>) => Math.max(1, ...Array.from(x, Math.abs));
const maxAbs = (xs: ArrayLike<number>) => Array.from(xs).reduce((m, v) => Math.max(m, Math.abs(v)), 0);
/** The tolerance floor for k-th derivatives of a function of size |value| at x (see the header). */
const floorOf = (value: number | ArrayLike<number>, x: ArrayLike<number>, k = 1) =>
  Math.max(1, maxAbs(asArray(value)) / scaleOf(x) ** k);

const scalarCase = (name: string): ScalarCase => {
  const c = fixtures.scalar.find((k) => k.name === name);
  if (!c) throw new Error(`no first-derivatives.json scalar case ${name}`);
  return c;
};

/** The smooth classic test functions of the fixtures (and sin(x*y) + z^2*exp(x)). */
const CLASSIC = [
  "rosenbrock", "rosenbrock_5d", "beale", "himmelblau", "booth", "matyas", "three_hump_camel",
  "styblinski_tang_3d", "rastrigin", "ackley", "mixed_three_vars",
].map(scalarCase);

/** J·v for a row-major m×n J given as rows. */
const jv = (J: number[][], v: number[]) => J.map((row) => row.reduce((s, a, j) => s + a * v[j], 0));

// ---------------------------------------------------------------------------
// Accuracy of every scheme on the classic functions
// ---------------------------------------------------------------------------

/**
 * Relative tolerances per scheme (floored as in the header). Truncation is
 * ~h^q·|f^(q+1)| and rounding ~ε·|f|/h; with the automatic steps that is about
 * ε^(2/3) ≈ 4e-11 central, ε^(1/2) ≈ 1.5e-8 one-sided, ε^(4/5) ≈ 3e-13 five-point,
 * times the size of the function's higher derivatives on its scale (up to a few
 * hundred for Rosenbrock and Rastrigin). Measured worst: central 1.5e-8,
 * forward/backward 7.5e-6 (Rosenbrock 5-D at its minimum), five-point 1.2e-8
 * (Rastrigin), central with Richardson 2 or 3 1e-10 (Ackley).
 */
const ACCURACY: { scheme: Scheme; richardson: number; rel: number }[] = [
  { scheme: "central", richardson: 0, rel: 1e-6 },
  { scheme: "forward", richardson: 0, rel: 1e-5 },
  { scheme: "backward", richardson: 0, rel: 1e-5 },
  { scheme: "five-point", richardson: 0, rel: 1e-7 },
  { scheme: "central", richardson: 2, rel: 1e-9 },
  { scheme: "central", richardson: 3, rel: 1e-9 },
];

describe("fd.grad on the classic functions, against sympy", () => {
  for (const { scheme, richardson, rel } of ACCURACY) {
    it(`${scheme}${richardson ? ` + Richardson ${richardson}` : ""}: within ${rel} (floored at the function's scale)`, () => {
      for (const c of CLASSIC) {
        const { f } = blackBox(c.expr, c.vars);
        c.points.forEach((x, k) => {
          const r = fd.grad(f, x, { scheme, richardson });
          expect(r.value).toBeInstanceOf(Float64Array);
          expect(r.error).toBeInstanceOf(Float64Array);
          expectClose(r.value as Float64Array, c.grads[k], rel, `${c.name} at (${x})`, floorOf(c.values[k], x));
        });
      }
    });
  }

  it("central differences (the default) on every scalar fixture: within 1e-6", () => {
    for (const c of fixtures.scalar) {
      const { f } = blackBox(c.expr, c.vars);
      c.points.forEach((x, k) => {
        const r = fd.grad(f, x);
        expectClose(r.value as Float64Array, c.grads[k], 1e-6, `${c.name} at (${x})`, floorOf(c.values[k], x));
      });
    }
  });

  it("fd.partial and fd.derivative agree with the fixtures", () => {
    for (const c of CLASSIC) {
      const { f } = blackBox(c.expr, c.vars);
      c.points.forEach((x, k) => {
        c.vars.forEach((_, i) => {
          const r = fd.partial(f, x, i, { richardson: 2 });
          expect(typeof r.value).toBe("number");
          expectClose([r.value as number], [c.grads[k][i]], 1e-9, `${c.name} ∂/∂x${i} at (${x})`, floorOf(c.values[k], x));
        });
      });
    }
    for (const name of ["fn_sin", "fn_exp", "fn_log", "fn_atan", "product_rule"]) {
      const c = scalarCase(name), g = compile(c.expr, { vars: c.vars });
      c.points.forEach((x, k) => {
        const r = fd.derivative((t) => g.eval([t]) as number, x[0], { richardson: 3 });
        expectClose([r.value as number], c.grads[k], 1e-9, `${name} at ${x[0]}`, floorOf(c.values[k], x));
      });
    }
  });
});

// ---------------------------------------------------------------------------
// The error estimate bounds the true error
// ---------------------------------------------------------------------------

const BOUND_SCHEMES: { scheme: Scheme; richardson: number }[] = [
  { scheme: "central", richardson: 0 },
  { scheme: "forward", richardson: 0 },
  { scheme: "backward", richardson: 0 },
  { scheme: "five-point", richardson: 0 },
  { scheme: "central", richardson: 1 },
  { scheme: "central", richardson: 2 },
  { scheme: "central", richardson: 3 },
  { scheme: "forward", richardson: 2 },
  { scheme: "five-point", richardson: 1 },
];

/** Entries where |value − ref| > error, as readable lines (empty when the bound holds). */
function violations(value: ArrayLike<number>, error: ArrayLike<number>, ref: ArrayLike<number>, label: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < ref.length; i++) {
    const err = Math.abs(value[i] - ref[i]);
    if (!(error[i] >= 0) || !(err <= error[i])) {
      out.push(`${label}[${i}]: |${value[i]} − ${ref[i]}| = ${err.toExponential(2)} > error ${error[i].toExponential(2)}`);
    }
  }
  return out;
}

/**
 * With richardson 0 the error is an a-priori bound under a stated model of the
 * function (README, "Finite differences"; assembly/extras/fd.ts): it varies on the scale
 * max(|x|, 1), by about max(|f|, |∇f|·s, 1). Two kinds of fixture lie outside it,
 * and there only the Richardson estimates (which measure instead of assume) are
 * held to the bound: functions that oscillate on a fixed scale (Rastrigin and
 * Ackley, cos 2πx) at |x| > 1, and stationary points where f itself is 0 (the
 * minima of Rosenbrock, Himmelblau, Beale, Booth), where nothing in the samples
 * shows how large the function's coefficients are.
 */
function inModel(c: ScalarCase, k: number): boolean {
  if (c.name === "rastrigin" || c.name === "ackley") return false;
  return !(c.values[k] === 0 && c.grads[k].every((g) => g === 0));
}

describe("the returned error bounds the true error (|value − ref| ≤ error, every entry)", () => {
  for (const { scheme, richardson } of BOUND_SCHEMES) {
    it(`fd.grad, ${scheme}${richardson ? ` + Richardson ${richardson}` : " (within the a-priori model)"}, on the classic functions`, () => {
      const bad: string[] = [];
      for (const c of CLASSIC) {
        const { f } = blackBox(c.expr, c.vars);
        c.points.forEach((x, k) => {
          if (richardson === 0 && !inModel(c, k)) return;
          const r = fd.grad(f, x, { scheme, richardson });
          bad.push(...violations(r.value as Float64Array, r.error as Float64Array, c.grads[k], `${c.name} at (${x})`));
        });
      }
      expect(bad, `${bad.length} entries where the error estimate is below the true error`).toEqual([]);
    });
  }

  it("fd.jacobian on the vector fixtures, central and five-point", () => {
    const bad: string[] = [];
    for (const c of fixtures.vector) {
      const { f } = blackBox(c.exprs, c.vars);
      c.points.forEach((x, k) => {
        for (const scheme of ["central", "five-point"] as const) {
          const r = fd.jacobian(f, x, { scheme });
          bad.push(...violations(r.value.data, r.error.data, c.jacobians[k].flat(), `${c.name} ${scheme} at (${x})`));
        }
      });
    }
    expect(bad, `${bad.length} entries where the error estimate is below the true error`).toEqual([]);
  });

  for (const richardson of [0, 1, 2]) {
    it(`fd.hessian${richardson ? ` + Richardson ${richardson}` : ""} on the second-order fixtures`, () => {
      const bad: string[] = [];
      for (const c of secondOrderFixtures) {
        const { f } = blackBox(c.expr, c.vars);
        c.points.forEach((x, k) => {
          const r = fd.hessian(f, x, { richardson });
          bad.push(...violations(r.value.data, r.error.data, c.hessians[k].flat(), `${c.name} at (${x})`));
        });
      }
      expect(bad, `${bad.length} entries where the error estimate is below the true error`).toEqual([]);
    });
  }
});

// ---------------------------------------------------------------------------
// Points at 0, 1e-8 and 1e8
// ---------------------------------------------------------------------------

describe("the automatic steps work at x = 0, 1e-8 and 1e8", () => {
  // Functions whose scale of variation grows with |x| there (the automatic steps scale with it): x², x³,
  // sqrt and log for large x; sin and exp near 0. Closed-form derivatives.
  const cases: { name: string; f: (x: number) => number; d: (x: number) => number; at: number[] }[] = [
    { name: "x²", f: (x) => x * x, d: (x) => 2 * x, at: [0, 1e-8, 1e8] },
    { name: "x³", f: (x) => x * x * x, d: (x) => 3 * x * x, at: [0, 1e-8, 1e8] },
    { name: "sin", f: Math.sin, d: Math.cos, at: [0, 1e-8] },
    { name: "exp", f: Math.exp, d: Math.exp, at: [0, 1e-8] },
    { name: "sqrt", f: Math.sqrt, d: (x) => 0.5 / Math.sqrt(x), at: [1e8] },
    { name: "log", f: Math.log, d: (x) => 1 / x, at: [1e8] },
  ];
  // Relative error: central ~ε^(2/3), forward ~ε^(1/2), five-point ~ε^(4/5), relative
  // to the size of f's variation over its scale s = max(|x|, 1) and to its rounding
  // scale: the floor is max(|f′(x)|, |f(x + s) − f(x)|/s, |f(x)|/s) (1 for x² at 0,
  // where f′ = 0; |log 1e8|/1e8 for log, whose value is 18 where f′ is 1e-8).
  const tolerances: { scheme: Scheme; richardson: number; rel: number }[] = [
    { scheme: "central", richardson: 0, rel: 1e-9 },
    { scheme: "forward", richardson: 0, rel: 1e-7 },
    { scheme: "backward", richardson: 0, rel: 1e-7 },
    { scheme: "five-point", richardson: 0, rel: 1e-11 },
    { scheme: "central", richardson: 2, rel: 1e-11 },
  ];
  for (const { name, f, d, at } of cases) {
    it(`d/dx ${name} at ${at.join(", ")}`, () => {
      for (const x of at) {
        const s = Math.max(Math.abs(x), 1), floor = Math.max(Math.abs(d(x)), Math.abs(f(x + s) - f(x)) / s, Math.abs(f(x)) / s);
        for (const { scheme, richardson, rel } of tolerances) {
          const r = fd.derivative(f, x, { scheme, richardson });
          expect(Number.isFinite(r.value), `${name} ${scheme} at ${x}`).toBe(true);
          expectClose([r.value as number], [d(x)], rel, `${name} ${scheme}/${richardson} at ${x}`, floor);
          const g = fd.grad((p: Float64Array) => f(p[0]), [x], { scheme, richardson });
          expectIdentical(g.value as Float64Array, [r.value as number], `${name} grad vs derivative at ${x}`);
        }
      }
    });
  }

  it("several variables at mixed scales take a step each", () => {
    // f = log(x0)·(1 + x1)·exp(x2) at (1e8, 1e-8, 0): x0's step is ~600, x1's and
    // x2's ~6e-6 (one step for all would send exp(x2 ± 600) to 0 and ∞).
    const f = (x: Float64Array) => Math.log(x[0]) * (1 + x[1]) * Math.exp(x[2]);
    const x = [1e8, 1e-8, 0], L = Math.log(1e8);
    const want = [(1 + 1e-8) / 1e8, L, L * (1 + 1e-8)];
    for (const options of [{}, { scheme: "five-point" as const }, { richardson: 2 }]) {
      const g = fd.grad(f, x, options).value as Float64Array;
      // per entry: rounding ε·|f|/h relative to each partial is ≤ 1e-9 here
      want.forEach((w, i) => expect(Math.abs(g[i] - w) / Math.abs(w), `∂/∂x${i} ${JSON.stringify(options)}`).toBeLessThan(1e-8));
    }
  });

  it("log near 0 varies on the scale x, not max(|x|, 1): it takes a step well below x (the README's advice)", () => {
    // central: truncation h²/6·|2/x³| ≈ 3e-6 at x = 1e-3, h = 1e-7; rounding ε·|log x|/h ≈ 2e-8
    expect(Math.abs((fd.derivative(Math.log, 1e-3, { step: 1e-7 }).value as number) - 1e3)).toBeLessThan(1e-5);
    expect(Math.abs((fd.derivative(Math.log, 1e-8, { step: 1e-12 }).value as number) / 1e8 - 1)).toBeLessThan(1e-7);
    // the automatic central step (6e-6) reaches below 0 from 1e-8: NaN, as the README says
    expect(fd.derivative(Math.log, 1e-8).value).toBeNaN();
  });

  it("along a direction the step follows each coordinate's own scale, not the largest coordinate's", () => {
    // The step was once set by max |xᵢ| over the direction's nonzero entries: a component
    // 1e-12 along x0 = 1e6 stepped x1 = 0.5 by 6, giving −0.0327 with an error bound of 2e-10.
    const sinX1 = (x: Float64Array) => Math.sin(x[1]);
    for (const v of [[0, 1], [1e-12, 1], [1, 1], [1e-300, 1]]) {
      const r = fd.directional(sinX1, [1e6, 0.5], v);
      const value = r.value as number, error = r.error as number, want = Math.cos(0.5) * v[1];
      expect(Math.abs(value - want), `along (${v}): ${value}, bound ${error}`).toBeLessThanOrEqual(error);
      expect(error, `along (${v})`).toBeLessThan(1e-7);
    }
    // exp(x1) + x0 at (1e8, 1) along (1, 1): e + 1 (the step was 600 in x1, giving 2e260)
    const r = fd.directional((x) => Math.exp(x[1]) + x[0], [1e8, 1], [1, 1]);
    expect(Math.abs((r.value as number) - (Math.E + 1))).toBeLessThanOrEqual(r.error as number);
    expect(Math.abs((r.value as number) - (Math.E + 1))).toBeLessThan(1e-2);
    // a direction scaled up: the derivative along 1e10·(0, 1) is 1e10·cos(0.5)
    const big = fd.directional(sinX1, [1e6, 0.5], [1, 1e10]);
    expect(Math.abs((big.value as number) / 1e10 - Math.cos(0.5))).toBeLessThan(1e-8);
  });

  it("an oscillatory function at large |x| takes an explicit step (the README's advice)", () => {
    const x = 1e8;
    const r = fd.derivative(Math.sin, x, { step: 1e-4 });
    // central: h²/6·|sin‴| ≈ 1.7e-9 truncation; rounding ε/h ≈ 1e-12.
    expect(Math.abs((r.value as number) - Math.cos(x))).toBeLessThan(1e-8);
    const five = fd.derivative(Math.sin, x, { step: 1e-2, scheme: "five-point" });
    expect(Math.abs((five.value as number) - Math.cos(x))).toBeLessThan(1e-9);
  });
});

// ---------------------------------------------------------------------------
// Call counts
// ---------------------------------------------------------------------------

describe("calls: the minimum each scheme needs", () => {
  const c = scalarCase("mixed_three_vars"); // n = 3
  const n = 3;
  const expected: { scheme: Scheme; richardson: number; calls: number }[] = [
    { scheme: "forward", richardson: 0, calls: n + 1 },
    { scheme: "backward", richardson: 0, calls: n + 1 },
    { scheme: "central", richardson: 0, calls: 2 * n },
    { scheme: "five-point", richardson: 0, calls: 4 * n },
    ...[1, 2, 3, 8].map((k) => ({ scheme: "central" as const, richardson: k, calls: 2 * n * (k + 1) })),
    ...[1, 3].map((k) => ({ scheme: "forward" as const, richardson: k, calls: 1 + n * (k + 1) })),
    ...[1, 3].map((k) => ({ scheme: "five-point" as const, richardson: k, calls: 4 * n * (k + 1) })),
  ];
  for (const { scheme, richardson, calls } of expected) {
    it(`${scheme}${richardson ? ` + Richardson ${richardson}` : ""}: ${calls} calls for n = ${n}, N× that for a batch of N`, () => {
      const box = blackBox(c.expr, c.vars);
      fd.grad(box.f, c.points[0], { scheme, richardson });
      expect(box.calls).toBe(calls);
      box.calls = 0;
      fd.grad(box.f, new Tensor([3, n], Float64Array.from(c.points.flat())), { scheme, richardson });
      expect(box.calls).toBe(3 * calls);
      box.calls = 0;
      fd.partial(box.f, c.points[0], 1, { scheme, richardson });
      expect(box.calls).toBe(scheme === "forward" || scheme === "backward" ? (calls - 1) / n + 1 : calls / n);
    });
  }

  it("jacobian: as grad, whatever m; directional: one line; hessian: 1 + 2n² (× levels)", () => {
    const F = fixtures.vector.find((k) => k.name === "benchmark_3d")!;
    const box = blackBox(F.exprs, F.vars);
    fd.jacobian(box.f, F.points[0]);
    expect(box.calls).toBe(2 * 3);
    box.calls = 0;
    fd.jacobian(box.f, F.points[0], { scheme: "forward" });
    expect(box.calls).toBe(3 + 1);
    box.calls = 0;
    fd.directional(box.f, F.points[0], [1, -1, 2]);
    expect(box.calls).toBe(2);
    box.calls = 0;
    fd.directional(box.f, F.points[0], [1, -1, 2], { scheme: "five-point", richardson: 1 });
    expect(box.calls).toBe(8);

    const h = blackBox(c.expr, c.vars);
    fd.hessian(h.f, c.points[0]);
    expect(h.calls).toBe(1 + 2 * n * n);
    h.calls = 0;
    fd.hessian(h.f, c.points[0], { richardson: 2 });
    expect(h.calls).toBe(1 + 2 * n * n * 3);
  });

  it("vectorized: one call, with every point", () => {
    const g = compile(c.expr, { vars: c.vars });
    const seen: number[][] = [];
    const f = (X: Tensor) => {
      seen.push([...X.shape]);
      return (g.eval(X) as Tensor).data;
    };
    fd.grad(f, c.points[0], { vectorized: true });
    fd.grad(f, c.points[0], { vectorized: true, scheme: "five-point", richardson: 2 });
    fd.hessian(f, c.points[0], { vectorized: true });
    expect(seen).toEqual([[2 * n, n], [4 * n * 3, n], [1 + 2 * n * n, n]]);
  });
});

// ---------------------------------------------------------------------------
// Bounds
// ---------------------------------------------------------------------------

/** exp(x0)·(1 + x1²) on x0 ∈ [lo, hi]: records the range of x0 asked for; outside, NaN. */
function guarded(lo: number, hi: number) {
  const box = {
    min: Infinity,
    max: -Infinity,
    calls: 0,
    f: (x: Float64Array) => {
      box.calls++;
      box.min = Math.min(box.min, x[0]);
      box.max = Math.max(box.max, x[0]);
      return x[0] < lo || x[0] > hi ? NaN : Math.exp(x[0]) * (1 + x[1] * x[1]);
    },
  };
  return box;
}

describe("bounds: a variable at the edge of its domain is differenced one-sidedly", () => {
  it("sqrt(x) + y² at x = 0 with x ∈ [0, ∞): finite, and no call with x < 0", () => {
    let lowest = Infinity;
    const f = (x: Float64Array) => {
      lowest = Math.min(lowest, x[0]);
      return Math.sqrt(x[0]) + x[1] * x[1];
    };
    for (const scheme of ["central", "five-point", "backward"] as const) {
      for (const richardson of [0, 2]) {
        const r = fd.grad(f, [0, 1.5], { scheme, richardson, bounds: [[0, Infinity], [-Infinity, Infinity]] });
        const g = r.value as Float64Array;
        expect(Number.isFinite(g[0]) && g[0] > 0, `${scheme}/${richardson}: ∂/∂x = ${g[0]}`).toBe(true);
        expect(Number.isFinite((r.error as Float64Array)[0])).toBe(true);
        expectClose([g[1]], [3], richardson ? 1e-9 : 1e-6, `${scheme} ∂/∂y`);
        expect(lowest, `${scheme}/${richardson}: smallest x asked for`).toBeGreaterThanOrEqual(0);
      }
    }
  });

  const lowerCases = [0, 1e-7, 1e-3]; // at the bound, inside any step, inside the five-point reach
  for (const scheme of ["central", "five-point", "backward", "forward"] as const) {
    it(`${scheme}: near a lower bound, accurate and inside the domain`, () => {
      for (const x0 of lowerCases) {
        for (const richardson of [0, 1, 3]) {
          const box = guarded(0, Infinity);
          const r = fd.grad(box.f, [x0, 0.5], { scheme, richardson, bounds: [[0, Infinity], [-Infinity, Infinity]] });
          expect(box.min, `${scheme}/${richardson} at ${x0}`).toBeGreaterThanOrEqual(0);
          // one-sided with the automatic step: ~√ε relative; extrapolated: far better
          expectClose(r.value as Float64Array, [Math.exp(x0) * 1.25, Math.exp(x0)], richardson ? 1e-7 : 1e-6, `${scheme}/${richardson} at ${x0}`);
        }
      }
    });
  }

  it("near an upper bound: backward differences, no call above it", () => {
    for (const x0 of [1, 1 - 1e-7, 1 - 1e-3]) {
      for (const scheme of ["central", "five-point", "forward"] as const) {
        const box = guarded(-Infinity, 1);
        const r = fd.grad(box.f, [x0, 0], { scheme, bounds: [[-Infinity, 1], [-Infinity, Infinity]] });
        expect(box.max, `${scheme} at ${x0}`).toBeLessThanOrEqual(1);
        expectClose(r.value as Float64Array, [Math.exp(x0), 0], 1e-6, `${scheme} at ${x0}`, Math.exp(x0));
      }
    }
  });

  it("a domain narrower than the step: the samples stay inside it", () => {
    const lo = 0, hi = 1e-9;
    let bad = 0;
    const f = (x: Float64Array) => {
      if (x[0] < lo || x[0] > hi) bad++;
      return 3 * x[0] + 1;
    };
    for (const x0 of [0, 5e-10, 1e-9]) {
      const r = fd.grad(f, [x0], { bounds: [[lo, hi]] });
      expect(bad, `at ${x0}`).toBe(0);
      // values ≈ 1, step ≥ 5e-10: rounding ≤ ε·1/5e-10 ≈ 4e-7 relative to 3
      expectClose(r.value as Float64Array, [3], 1e-6, `narrow domain at ${x0}`);
    }
  });

  it("far from the bounds: the requested stencil, exactly as without bounds", () => {
    const c = scalarCase("mixed_three_vars");
    const box = blackBox(c.expr, c.vars);
    const bounds = [[-10, 10], [-10, 10], [-10, 10]] as [number, number][];
    for (const scheme of ["central", "five-point"] as const) {
      box.calls = 0;
      const withBounds = fd.grad(box.f, c.points[0], { scheme, bounds });
      expect(box.calls).toBe(scheme === "central" ? 6 : 12);
      expectIdentical(withBounds.value as Float64Array, fd.grad(box.f, c.points[0], { scheme }).value as Float64Array, scheme);
    }
  });

  it("directional derivatives respect bounds along the line", () => {
    // from (0, 0.5) along v = (1, −2): x0 = t must stay ≥ 0, so t ≥ 0 only
    const box = guarded(0, Infinity);
    const r = fd.directional(box.f, [0, 0.5], [1, -2], { bounds: [[0, Infinity], [-Infinity, Infinity]] });
    expect(box.min).toBeGreaterThanOrEqual(0);
    expectClose([r.value as number], [1.25 * 1 + 1 * (-2)], 1e-6, "directional at the bound", 1.25);
    // along v = (−1, 0) the room is on the negative-t side
    const back = guarded(0, Infinity);
    const s = fd.directional(back.f, [0, 0.5], [-1, 0], { bounds: [[0, Infinity], [-Infinity, Infinity]] });
    expect(back.min).toBeGreaterThanOrEqual(0);
    expectClose([s.value as number], [-1.25], 1e-6, "directional, backwards");
  });

  it("at a bound closer than the step: √(x + 0.001) at x = 0.02 ∈ [−0.001, 0.02], Richardson 8", () => {
    // The room below (0.021) is smaller than Richardson 8's step: x − h once rounded one ulp past −0.001.
    const seen: number[] = [];
    const r = fd.grad((x) => { seen.push(x[0]); return Math.sqrt(x[0] + 0.001); }, [0.02], { bounds: [[-0.001, 0.02]], richardson: 8 });
    expect(Math.min(...seen)).toBeGreaterThanOrEqual(-0.001);
    expect(Math.max(...seen)).toBeLessThanOrEqual(0.02);
    expectClose(r.value as Float64Array, [1 / (2 * Math.sqrt(0.021))], 1e-8, "d/dx √(x + 0.001) at 0.02");
  });

  it("a point outside its bounds is an InputError (the function may be undefined there)", () => {
    const f = (x: Float64Array) => Math.sqrt(x[0]);
    expectThrows(() => fd.grad(f, [2], { bounds: [[0, 1]] }), InputError, /x\[0\] = 2 is outside its bounds \[0, 1\]/);
    expectThrows(() => fd.grad(f, new Tensor([2, 1], Float64Array.of(0.5, -1)), { bounds: [[0, 1]] }), InputError, /point 1: x\[0\] = -1/);
    expectThrows(() => fd.directional(f, [NaN], [1], { bounds: [[0, 1]] }), InputError, /outside its bounds/);
    stillWorks();
  });

  it("the callback never sees a coordinate outside the bounds (random domains, points, schemes, Richardson levels, steps)", () => {
    const scheme = fc.constantFrom<Scheme>("central", "forward", "backward", "five-point");
    const domain = fc.tuple(fc.double({ min: -1e3, max: 1e3, noNaN: true }), fc.double({ min: 1e-12, max: 1e3, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }))
      .map(([lo, width, at]) => ({ lo, hi: lo + width, x: lo + at * width }))
      .filter(({ lo, hi, x }) => lo < hi && x >= lo && x <= hi);
    const arb = fc.record({
      domains: fc.array(domain, { minLength: 1, maxLength: 3 }), scheme, richardson: fc.integer({ min: 0, max: 8 }),
      step: fc.option(fc.double({ min: 1e-9, max: 10, noNaN: true }), { nil: undefined }), v: fc.array(fc.double({ min: -2, max: 2, noNaN: true }), { minLength: 3, maxLength: 3 }),
    });
    fc.assert(fc.property(arb, ({ domains, scheme, richardson, step, v }) => {
      const bounds = domains.map(({ lo, hi }) => [lo, hi] as [number, number]), x = domains.map((d) => d.x);
      let outside = "";
      const f = (p: Float64Array) => {
        p.forEach((c, i) => { if (!(c >= bounds[i][0] && c <= bounds[i][1])) outside ||= `x[${i}] = ${c} outside [${bounds[i]}]`; });
        return Math.sin(p[0]) + p.reduce((s, c) => s + c * c, 0);
      };
      const options = { bounds, scheme, richardson, step };
      fd.grad(f, x, options);
      fd.jacobian((p) => [f(p), 2 * f(p)], x, options);
      try {
        fd.directional(f, x, v.slice(0, x.length), { bounds, scheme, richardson, step });
      } catch (e) { // a given step that a tiny direction turns into no move at all is refused (tested below)
        if (!(e instanceof InputError && /does not move x along the direction/.test(e.message))) throw e;
      }
      expect(outside).toBe("");
    }), { numRuns: 300 });
  });

  it("invalid bounds are refused", () => {
    const f = (x: Float64Array) => x[0] * x[1];
    expect(() => fd.grad(f, [1, 2], { bounds: [[0, 1]] })).toThrow(ShapeError);
    expect(() => fd.grad(f, [1, 2], { bounds: [[1, 0], [0, 1]] })).toThrow(InputError);
    expect(() => fd.grad(f, [1, 2], { bounds: [[0, 0], [0, 1]] })).toThrow(InputError);
    expect(() => fd.grad(f, [1, 2], { bounds: [[0, "1"], [0, 1]] as never })).toThrow(InputError);
    expect(() => fd.hessian(f, [1, 2], { bounds: [[0, 3], [0, 3]] })).toThrow(InputError);
    stillWorks();
  });

  it("a given step that does not move x is refused, naming the variable, the point and the spacing there", () => {
    const f = (x: Float64Array) => x[0] + 2 * x[1];
    // doubles at 1e300 are 2^(996−52) ≈ 1.487e284 apart (996 = ⌊log2 1e300⌋)
    const spacing = 2 ** (Math.floor(Math.log2(1e300)) - 52);
    for (const scheme of ["central", "forward", "backward", "five-point"] as const) {
      expect(() => fd.grad(f, [1, 1e300], { scheme, step: 0.5 })).toThrow(`step 0.5 does not move x[1] = 1e+300: doubles there are ${spacing} apart`);
    }
    expect(() => fd.grad(f, new Tensor([2, 2], Float64Array.of(1, 2, 3, -1e300)), { step: [1e-3, 1] })).toThrow("point 1: step 1 does not move x[1] = -1e+300");
    expect(() => fd.hessian(f, [1e300, 1], { step: 1e200 })).toThrow("step 1e+200 does not move x[0] = 1e+300");
    // at the largest double the next one up is ∞: the spacing below is given, 2^971
    expect(() => fd.grad(f, [1, Number.MAX_VALUE], { step: 1 })).toThrow(`doubles there are ${2 ** 971} apart`);
    // one spacing moves it: the difference of a linear function is then exact
    const { value } = fd.grad(f, [1, 1e300], { step: [1e-3, spacing] });
    expect(value[1]).toBe(2);
    stillWorks();
  });

  it("coordinates of unlike scales along a direction get lines of their own, and J·v sums them", () => {
    // One step cannot serve x0 = 1e12 and x1 = 1 along (1, 1): fitted to x1 it does not move x0
    // (J·v came out 0), fitted to x0 it steps x1 by 6e6. Each now has its own line: 4 calls, central.
    let calls = 0;
    const x0 = (x: Float64Array) => { calls++; return x[0]; };
    for (const X of [1e8, 1e12, 1e20]) {
      calls = 0;
      const r = fd.directional(x0, [X, 1], [1, 1]);
      expect(Math.abs((r.value as number) - 1), `x0 at (${X}, 1)`).toBeLessThan(1e-9);
      expect(calls).toBe(4);
    }
    // Below some 3e4 between |xᵢ|/|vᵢ| and the line's scale, x + t·v rounds by at most ε^(2/3)·3e4 ≈ 1e-6
    // of a coordinate's move: one line. So do ordinary directions (a gradient's, small components).
    for (const [x, v] of [[[1e4, 1], [1, 1]], [[3, 1, 2], [1, 1e-4, 0]], [[1, 1, 1], [2e4, 2, 1]], [[100, 1.5, 10], [0.01, 1, 3]]]) {
      calls = 0;
      const r = fd.directional(x0, x, v);
      expect(Math.abs((r.value as number) - v[0]) / Math.abs(v[0]), `x0 at (${x}) along (${v})`).toBeLessThan(1e-6);
      expect(calls, `at (${x}) along (${v})`).toBe(2);
    }
    // a small coordinate with a small component is not split off: it does not round away (log near
    // 0 along (1e-6, 1) at (1e-8, 1): a line of its own would step x0 by 6e-6, past 0, giving NaN)
    calls = 0;
    const nearZero = fd.directional((x) => { calls++; return Math.log(x[0]) + x[1]; }, [1e-8, 1], [1e-6, 1]);
    expect(Math.abs((nearZero.value as number) - 101) / 101).toBeLessThan(1e-6);
    expect(calls).toBe(2);
    calls = 0;
    fd.directional(x0, [1e12, 1], [1, 1], { step: 1e-3 }); // a given step is the caller's: one line
    expect(calls).toBe(2);
    // exp(x0/X)·sin(x1) at (X, 0.5) along (1, 1): e·(sin(0.5)/X + cos(0.5))
    for (const X of [1e3, 1e6, 1e9]) {
      const r = fd.directional((x) => Math.exp(x[0] / X) * Math.sin(x[1]), [X, 0.5], [1, 1]);
      const want = Math.E * (Math.sin(0.5) / X + Math.cos(0.5));
      expect(Math.abs((r.value as number) - want), `X = ${X}`).toBeLessThanOrEqual(r.error as number);
      expect(Math.abs((r.value as number) - want) / want).toBeLessThan(1e-9);
    }
    // a subnormal component (its scale is ∞): x0² at (1e10, 1) along (1e-300, 0) is 2e-290
    const tiny = fd.directional((x) => x[0] * x[0], [1e10, 1], [1e-300, 0]);
    expect(Math.abs((tiny.value as number) / 2e-290 - 1)).toBeLessThan(1e-8);
    // a batch: each point as alone, to the bit, whether or not it splits; bounds name the point given
    const X = new Tensor([3, 2], Float64Array.of(1e12, 1, 3, 1, 0.5, 1e9)), V = new Tensor([3, 2], Float64Array.of(1, 1, 1, 1, -2, 1));
    const f = (x: Float64Array) => [Math.sin(x[1]) + x[0], x[0] * x[1]];
    const batch = fd.directional(f, X, V);
    for (let p = 0; p < 3; p++) {
      const one = fd.directional(f, X.data.subarray(2 * p, 2 * p + 2), V.data.subarray(2 * p, 2 * p + 2));
      expectIdentical((batch.value as Tensor).data.subarray(2 * p, 2 * p + 2), one.value as Float64Array, `point ${p}`);
      expectIdentical((batch.error as Tensor).data.subarray(2 * p, 2 * p + 2), one.error as Float64Array, `point ${p}'s bound`);
    }
    expect(() => fd.directional(f, X, V, { bounds: [[0, 1e13], [0, 10]] })).toThrow("point 2: x[1] = 1000000000 is outside its bounds");
  });

  it("along a direction that moves many coordinates, the bound counts them all: exp(Σxᵢ) at 0 along (1, …, 1)", () => {
    // every variable's k-th derivative is 1, inside the model; along v the k-th derivative is n^k,
    // which the bound once took as 1 (errors 9× and 1000× their bounds at n = 100)
    for (const n of [3, 30, 100]) {
      for (const scheme of ["central", "five-point", "forward"] as const) {
        const r = fd.directional((x) => Math.exp(x.reduce((s, c) => s + c, 0)), new Float64Array(n), new Float64Array(n).fill(1), { scheme });
        expect(Math.abs((r.value as number) - n), `n = ${n}, ${scheme}: bound ${r.error}`).toBeLessThanOrEqual(r.error as number);
      }
    }
  });

  it("a given step that does not move x along a direction is refused too, with the least step that would", () => {
    const f = (x: Float64Array) => x[0] + 2 * x[1];
    const spacing = 2 ** (Math.floor(Math.log2(1e300)) - 52);
    expect(() => fd.directional(f, [1e300, 1], [1, 0], { step: 0.5 })).toThrow(`step 0.5 does not move x along the direction: a step of at least ${spacing}`);
    // along (2, 0) half that step moves it
    expect(() => fd.directional(f, [1e300, 1], [2, 0], { step: 0.5 })).toThrow(`a step of at least ${spacing / 2}`);
    expect(() => fd.directional(f, new Tensor([2, 2], Float64Array.of(1, 2, 1e20, 0)), [1, 0], { step: 1000 })).toThrow("point 1: step 1000 does not move x along the direction");
    // one coordinate that moves is enough; a zero direction needs no step (the derivative along it is 0)
    expect(fd.directional((x) => 2 * x[1], [1e300, 1], [1, 1], { step: 0.5 }).value).toBe(2);
    expect(fd.directional(f, [1e300, 1], [0, 0], { step: 0.5 }).value).toBe(0);
    stillWorks();
  });

  it("hessian refuses a scheme it would not use, and takes \"central\"", () => {
    const f = (x: Float64Array) => x[0] * x[0] * x[1];
    for (const scheme of ["forward", "backward", "five-point"] as const) {
      expect(() => fd.hessian(f, [1, 2], { scheme })).toThrow(/hessian takes only central second differences, got scheme "?/);
    }
    const { value } = fd.hessian(f, [1, 2], { scheme: "central" });
    const want = [4, 2, 2, 0]; // ∂²(x²y): [[2y, 2x], [2x, 0]]
    want.forEach((w, k) => expect(value.data[k]).toBeCloseTo(w, 6));
    stillWorks();
  });
});

describe("error estimates at the ends of the double range are finite and bound the error", () => {
  // h^q and (10/s)^(q+1) apart once overflowed and underflowed (NaN at |x| = 1e100 for
  // five-point, 1e200 central, 1e160 for Hessians): the bound is now formed scaled.
  const cases: [name: string, f: (x: number) => number, d: (x: number) => number, xs: number[]][] = [
    ["x", (x) => x, () => 1, [1e-300, -1e-200, 1e-100, 1, 1e100, -1e200, 1e300]],
    ["ln x", Math.log, (x) => 1 / x, [1e100, 1e160, 1e200, 1e300]],
    ["sin x", Math.sin, Math.cos, [1e-300, -1e-150, 1e-10]],
    ["x³", (x) => x * x * x, (x) => 3 * x * x, [1e-300, 1e-100, 1e50, -1e100]],
  ];
  for (const [name, f, d, xs] of cases) {
    for (const scheme of ["central", "forward", "backward", "five-point"] as const) {
      for (const richardson of [0, 2]) {
        it(`d/dx ${name}, ${scheme}${richardson ? ` + Richardson ${richardson}` : ""}, at ${xs.join(", ")}`, () => {
          for (const x of xs) {
            const r = fd.grad((p) => f(p[0]), [x], { scheme, richardson });
            const value = (r.value as Float64Array)[0], error = (r.error as Float64Array)[0], want = d(x);
            expect(Number.isFinite(error), `error at ${x}: ${error}`).toBe(true);
            expect(Math.abs(value - want), `at ${x}: ${value} vs ${want}, error bound ${error}`).toBeLessThanOrEqual(error);
          }
        });
      }
    }
  }

  it("functions near the top of the range: the bound is finite where the value is (it was ∞ from |f| ≈ 1e303)", () => {
    const big = fd.derivative((x) => 1e306 * x, 3);
    expect(Number.isFinite(big.error as number)).toBe(true);
    expect(Math.abs((big.value as number) - 1e306)).toBeLessThanOrEqual(big.error as number);
    for (const scheme of ["central", "forward", "five-point"] as const) {
      const g = fd.grad((x) => 1e300 * x[0] + 1e305 * Math.sin(x[1]), [2, 1], { scheme });
      const want = [1e300, 1e305 * Math.cos(1)];
      want.forEach((w, i) => {
        const value = (g.value as Float64Array)[i], error = (g.error as Float64Array)[i];
        expect(Number.isFinite(error), `${scheme} ∂${i}: ${error}`).toBe(true);
        expect(Math.abs(value - w), `${scheme} ∂${i}`).toBeLessThanOrEqual(error);
      });
    }
    // x0²·x1 at (1e150, 3): ∂²/∂x0∂x1 = 2e150 where U·(its scales) passes 1e308 (its bound was ∞)
    for (const x0 of [1e50, 1e120, 1e150]) {
      const H = fd.hessian((x) => x[0] * x[0] * x[1], [x0, 3]);
      const err = (H.error as Tensor).data, val = (H.value as Tensor).data, want = [6, 2 * x0, 2 * x0, 0];
      want.forEach((w, k) => {
        expect(Number.isFinite(err[k]), `x0 = ${x0}, entry ${k}: ${err[k]}`).toBe(true);
        expect(Math.abs(val[k] - w), `x0 = ${x0}, entry ${k}`).toBeLessThanOrEqual(err[k]);
      });
      expect(err[1]).toBeLessThan(1e-3 * 2 * x0);
    }
    // Richardson levels near the top: 4·D(h/2) once overflowed for |f′| beyond 4.5e307
    const top = fd.derivative((x) => 0.9 * Number.MAX_VALUE * Math.cos(x), 0.5, { richardson: 2 });
    expect(Math.abs((top.value as number) + 0.9 * Number.MAX_VALUE * Math.sin(0.5))).toBeLessThanOrEqual(top.error as number);
    expect(Number.isFinite(top.error as number)).toBe(true);
    const h = fd.hessian((x) => 1e305 * x[0] * x[0], [1]);
    const value = (h.value as Tensor).data[0], error = (h.error as Tensor).data[0];
    expect(Number.isFinite(error)).toBe(true);
    expect(Math.abs(value - 2e305)).toBeLessThanOrEqual(error);
  });

  it("second differences: ln x at 1e100 and 1e160, x³ at 1e-300 and 1e50", () => {
    for (const [f, d2, x] of [[Math.log, (t: number) => -1 / (t * t), 1e100], [Math.log, (t: number) => -1 / t / t, 1e160],
      [(t: number) => t * t * t, (t: number) => 6 * t, 1e-300], [(t: number) => t * t * t, (t: number) => 6 * t, 1e50]] as const) {
      for (const richardson of [0, 2]) {
        const r = fd.hessian((p) => f(p[0]), [x], { richardson });
        const value = (r.value as Tensor).data[0], error = (r.error as Tensor).data[0];
        expect(Number.isFinite(error), `error at ${x}: ${error}`).toBe(true);
        expect(Math.abs(value - d2(x)), `at ${x}: ${value} vs ${d2(x)}, bound ${error}`).toBeLessThanOrEqual(error);
      }
    }
  });
});

// ---------------------------------------------------------------------------
// Explicit steps
// ---------------------------------------------------------------------------

describe("step: a number, or one per variable", () => {
  // For a cubic the difference quotients are known exactly in the step h:
  //   central (f(x+h) − f(x−h))/2h of x³ = 3x² + h²
  //   forward (f(x+h) − f(x))/h       of x³ = 3x² + 3xh + h²
  //   five-point of x⁵                        = 5x⁴ − 4h⁴
  //   central + 1 Richardson level of x³     = 3x² exactly
  // with h the representable step (x + h) − x, which the library uses.
  const rep = (x: number, h: number) => (x + h) - x;

  it("central, one step for every variable: 3x² + h², and the samples at x ± h", () => {
    const x = [1.5, -0.5];
    const offsets = new Set<number>();
    const f = (p: Float64Array) => {
      offsets.add(Math.abs(p[0] - x[0]) || Math.abs(p[1] - x[1]));
      return p[0] ** 3 + 2 * p[1] ** 3;
    };
    const r = fd.grad(f, x, { step: 0.01 });
    const h0 = rep(x[0], 0.01), h1 = rep(x[1], 0.01);
    expectClose(r.value as Float64Array, [3 * x[0] ** 2 + h0 * h0, 2 * (3 * x[1] ** 2 + h1 * h1)], 1e-11, "central with step 0.01");
    expect([...offsets].sort()).toEqual([...new Set([h0, h1])].sort());
  });

  it("per-variable steps", () => {
    const x = [1.5, -0.5, 2];
    const f = (p: Float64Array) => p[0] ** 3 + 2 * p[1] ** 3 + p[2] ** 3;
    const steps = [1e-2, 1e-3, 0.25];
    const h = steps.map((s, i) => rep(x[i], s));
    const r = fd.grad(f, x, { step: steps });
    expectClose(r.value as Float64Array, [3 * 2.25 + h[0] ** 2, 2 * (3 * 0.25 + h[1] ** 2), 12 + h[2] ** 2], 1e-10, "per-variable steps");
    const fw = fd.grad(f, x, { step: steps, scheme: "forward" });
    expectClose(fw.value as Float64Array, [
      3 * 2.25 + 3 * 1.5 * h[0] + h[0] ** 2,
      2 * (3 * 0.25 + 3 * -0.5 * h[1] + h[1] ** 2),
      12 + 6 * h[2] + h[2] ** 2,
    ], 1e-10, "forward, per-variable steps");
    const ex = fd.grad(f, x, { step: steps, richardson: 1 });
    // exact up to rounding: ε·|f|/h ≈ 2.6e-12 for the smallest step (1e-3, |f| ≈ 12)
    expectClose(ex.value as Float64Array, [6.75, 1.5, 12], 1e-10, "central + Richardson 1 is exact on cubics");
  });

  it("five-point with a step: 5x⁴ − 4h⁴ for x⁵", () => {
    const x = 1.25, h = rep(x, 0.125);
    const r = fd.derivative((t) => t ** 5, x, { step: 0.125, scheme: "five-point" });
    expectClose([r.value as number], [5 * x ** 4 - 4 * h ** 4], 1e-13, "five-point x⁵");
  });

  it("hessian with a step: exact second differences of a quartic", () => {
    // (f(x+h) − 2f(x) + f(x−h))/h² of x⁴ = 12x² + 2h²; mixed: exact for x²y²'s ∂²/∂x∂y = 4xy + 0
    const x = [0.75, -1.5], steps = [0.1, 0.05];
    const h = steps.map((s, i) => rep(x[i], s));
    const r = fd.hessian((p: Float64Array) => p[0] ** 4 + p[0] ** 2 * p[1] ** 2, x, { step: steps });
    // ∂²/∂x²: 12x² + 2h0² + 2y²; ∂²/∂y²: 2x²; ∂²/∂x∂y: (4 points) = 4xy exactly
    expectClose(r.value.data, [12 * 0.5625 + 2 * h[0] ** 2 + 2 * 2.25, 4 * 0.75 * -1.5, 4 * 0.75 * -1.5, 2 * 0.5625], 1e-11, "hessian with steps");
  });

  it("invalid steps are refused", () => {
    const f = (x: Float64Array) => x[0] * x[1];
    for (const step of [0, -1e-3, NaN, Infinity]) expect(() => fd.grad(f, [1, 2], { step })).toThrow(InputError);
    expect(() => fd.grad(f, [1, 2], { step: [1e-3, 0] })).toThrow(InputError);
    expect(() => fd.grad(f, [1, 2], { step: [1e-3] })).toThrow(ShapeError);
    expect(() => fd.directional(f, [1, 2], [1, 0], { step: [1e-3, 1e-3] })).toThrow(InputError);
    stillWorks();
  });
});

// ---------------------------------------------------------------------------
// Vectorized callbacks
// ---------------------------------------------------------------------------

describe("vectorized: true gives the one-at-a-time results", () => {
  it("grad, partial, jacobian, directional, hessian, divergence, curl — bit for bit", () => {
    for (const c of [...CLASSIC.slice(0, 4), scalarCase("mixed_three_vars")]) {
      const g = compile(c.expr, { vars: c.vars });
      const one = (x: Float64Array) => g.eval(x) as number;
      const many = (X: Tensor) => {
        expect(X).toBeInstanceOf(Tensor);
        expect(X.shape[1]).toBe(c.vars.length);
        return (g.eval(X) as Tensor).data; // P values
      };
      for (const x of c.points) {
        for (const options of [{}, { scheme: "forward" as const }, { scheme: "five-point" as const, richardson: 2 }]) {
          const a = fd.grad(one, x, options), b = fd.grad(many, x, { ...options, vectorized: true });
          expectIdentical(b.value as Float64Array, a.value as Float64Array, `${c.name} grad`);
          expectIdentical(b.error as Float64Array, a.error as Float64Array, `${c.name} grad error`);
        }
        expectIdentical(fd.partial(many, x, 0, { vectorized: true }).value as number, fd.partial(one, x, 0).value as number, "partial");
        const v = x.map((_, i) => (i % 2 ? -0.5 : 2));
        expectIdentical(fd.directional(many, x, v, { vectorized: true }).value as number, fd.directional(one, x, v).value as number, "directional");
        expectIdentical(fd.hessian(many, x, { vectorized: true }).value.data, fd.hessian(one, x).value.data, `${c.name} hessian`);
      }
    }
    for (const c of fixtures.vector) {
      const F = compile(c.exprs, { vars: c.vars });
      const one = (x: Float64Array) => F.eval(x) as Float64Array;
      const many = (X: Tensor) => F.eval(X) as Tensor; // a Tensor [P, m]
      const flat = (X: Tensor) => Array.from((F.eval(X) as Tensor).data); // a plain array of P·m
      for (const x of c.points) {
        const a = fd.jacobian(one, x);
        expectIdentical(fd.jacobian(many, x, { vectorized: true }).value.data, a.value.data, `${c.name} jacobian`);
        expectIdentical(fd.jacobian(flat, x, { vectorized: true }).value.data, a.value.data, `${c.name} jacobian (array)`);
        if (c.divergence) expectIdentical(fd.divergence(many, x, { vectorized: true }).value as number, fd.divergence(one, x).value as number, "divergence");
        if (c.curl) expectIdentical(fd.curl(many, x, { vectorized: true }).value as number, fd.curl(one, x).value as number, "curl");
      }
    }
  });

  it("a batch with vectorized: true", () => {
    const c = scalarCase("beale"), g = compile(c.expr, { vars: c.vars });
    const X = new Tensor([c.points.length, 2], Float64Array.from(c.points.flat()));
    let calls = 0;
    const r = fd.grad((P: Tensor) => { calls++; return (g.eval(P) as Tensor).data; }, X, { vectorized: true });
    expect(calls).toBe(1);
    expect((r.value as Tensor).shape).toEqual([c.points.length, 2]);
    c.points.forEach((x, k) => expectIdentical((r.value as Tensor).data.subarray(2 * k, 2 * k + 2), fd.grad((p: Float64Array) => g.eval(p) as number, x).value as Float64Array, `point ${k}`));
  });
});

// ---------------------------------------------------------------------------
// Jacobians, Hessians, divergence, curl, directional
// ---------------------------------------------------------------------------

describe("fd.jacobian against sympy Jacobians", () => {
  for (const c of fixtures.vector) {
    it(`${c.name}: [${c.exprs.join(", ")}]`, () => {
      const { f } = blackBox(c.exprs, c.vars);
      const m = c.exprs.length, n = c.vars.length;
      c.points.forEach((x, k) => {
        const floor = floorOf(c.values[k], x);
        const r = fd.jacobian(f, x);
        expect(r.value.shape).toEqual([m, n]);
        expect(r.error.shape).toEqual([m, n]);
        expectClose(r.value.data, c.jacobians[k].flat(), 1e-6, `${c.name} central at (${x})`, floor);
        expectClose(fd.jacobian(f, x, { richardson: 2 }).value.data, c.jacobians[k].flat(), 1e-9, `${c.name} Richardson at (${x})`, floor);
        expectClose(fd.jacobian(f, x, { scheme: "forward" }).value.data, c.jacobians[k].flat(), 1e-5, `${c.name} forward at (${x})`, floor);
        c.vars.forEach((_, j) => {
          const p = fd.partial(f, x, j);
          expect(p.value).toBeInstanceOf(Float64Array);
          expectClose(p.value as Float64Array, c.jacobians[k].map((row) => row[j]), 1e-6, `${c.name} ∂/∂x${j}`, floor);
        });
      });
    });
  }

  it("a function returning a number: the Jacobian has shape [n]", () => {
    const c = scalarCase("rosenbrock");
    const { f } = blackBox(c.expr, c.vars);
    const r = fd.jacobian(f, c.points[0]);
    expect(r.value.shape).toEqual([2]);
    expectClose(r.value.data, c.grads[0], 1e-6, "scalar jacobian", floorOf(c.values[0], c.points[0]));
  });

  it("a function returning an array of one entry: [1, n]", () => {
    const r = fd.jacobian((x: Float64Array) => [x[0] * x[1]], [2, 3]);
    expect(r.value.shape).toEqual([1, 2]);
    expectClose(r.value.data, [3, 2], 1e-9, "[1, n]");
  });
});

describe("fd.hessian against the second-order fixtures", () => {
  /**
   * Second differences with h = ε^(1/4)·s: truncation h²/12·|f⁗| ≈ 1e-9 and
   * rounding 4ε|f|/h² ≈ 6e-8·|f| relative to the function's scale: 1e-5 relative,
   * floored at max(1, |f|/s²). Measured worst: 1.4e-6 (Ackley), 4e-7 (family_roots).
   */
  for (const c of secondOrderFixtures) {
    it(`${c.name}: ${c.expr}`, () => {
      const g = compile(c.expr, { vars: c.vars });
      const n = c.vars.length;
      c.points.forEach((x, k) => {
        // the floor's |f(x)| is a tolerance scale only, not a reference value
        const floor = floorOf(g.eval(x) as number, x, 2);
        const r = fd.hessian((p: Float64Array) => g.eval(p) as number, x);
        expect(r.value.shape).toEqual([n, n]);
        expect(r.error.shape).toEqual([n, n]);
        expectClose(r.value.data, c.hessians[k].flat(), 1e-5, `${c.name} at (${x})`, floor);
        for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) expect(r.value.get(i, j)).toBe(r.value.get(j, i));
        expectClose(fd.hessian((p: Float64Array) => g.eval(p) as number, x, { richardson: 2 }).value.data, c.hessians[k].flat(), 1e-6,
          `${c.name} Richardson at (${x})`, floor);
      });
    });
  }

  it("refuses a vector function", () => {
    expect(() => fd.hessian((x: Float64Array) => [x[0], x[1]], [1, 2])).toThrow(ShapeError);
    stillWorks();
  });
});

describe("fd.divergence, fd.curl and fd.directional against the fixtures", () => {
  const square = fixtures.vector.filter((c) => c.divergence);
  for (const c of square) {
    it(`${c.name}`, () => {
      const { f } = blackBox(c.exprs, c.vars);
      c.points.forEach((x, k) => {
        const floor = floorOf(c.values[k], x);
        const d = fd.divergence(f, x);
        expect(typeof d.value).toBe("number");
        expectClose([d.value as number], [c.divergence![k]], 1e-6, `${c.name} divergence`, floor);
        expectClose([fd.divergence(f, x, { richardson: 2 }).value as number], [c.divergence![k]], 1e-9, `${c.name} divergence R2`, floor);
        if (c.curl) {
          const r = fd.curl(f, x, { scheme: "five-point" });
          const want = [c.curl[k]].flat();
          if (c.vars.length === 2) expect(typeof r.value).toBe("number");
          else expect(r.value).toBeInstanceOf(Float64Array);
          expectClose(asArray(r.value as number | Float64Array), want, 1e-7, `${c.name} curl`, floor);
        }
      });
    });
  }

  it("directional: J·v with v not normalized, for vector and scalar functions", () => {
    for (const c of fixtures.vector) {
      const { f } = blackBox(c.exprs, c.vars);
      c.points.forEach((x, k) => {
        const v = c.vars.map((_, i) => [2, -0.5, 3][i]);
        const want = jv(c.jacobians[k], v);
        const r = fd.directional(f, x, v);
        expect(r.value).toBeInstanceOf(Float64Array);
        expectClose(r.value as Float64Array, want, 1e-6, `${c.name} along (${v})`, 3 * floorOf(c.values[k], x));
        expectClose(fd.directional(f, x, v, { richardson: 2 }).value as Float64Array, want, 1e-9, `${c.name} R2`, 3 * floorOf(c.values[k], x));
      });
    }
    for (const c of CLASSIC) {
      const { f } = blackBox(c.expr, c.vars);
      c.points.forEach((x, k) => {
        const v = c.vars.map((_, i) => (i % 2 ? -1.5 : 0.25));
        const want = c.grads[k].reduce((s, g, i) => s + g * v[i], 0);
        const r = fd.directional(f, x, v);
        expect(typeof r.value).toBe("number");
        expectClose([r.value as number], [want], 1e-6, `${c.name} directional`, 1.5 * floorOf(c.values[k], x));
      });
    }
  });

  it("divergence and curl refuse fields of the wrong shape", () => {
    expect(() => fd.divergence((x: Float64Array) => [x[0], x[1], x[0]], [1, 2])).toThrow(ShapeError);
    expect(() => fd.curl((x: Float64Array) => [x[0], x[1], x[2], x[3]], [1, 2, 3, 4])).toThrow(ShapeError);
    expect(() => fd.curl((x: Float64Array) => x[0] * x[1], [1, 2])).toThrow(ShapeError);
    expect(() => fd.directional((x: Float64Array) => x[0], [1, 2], [1, 2, 3])).toThrow(ShapeError);
    stillWorks();
  });
});

// ---------------------------------------------------------------------------
// Batches
// ---------------------------------------------------------------------------

describe("batches (Tensor [N, n]) give the per-point results", () => {
  const batchOf = (points: number[][]) => new Tensor([points.length, points[0].length], Float64Array.from(points.flat()));

  it("grad, partial, hessian of scalar functions", () => {
    for (const c of CLASSIC) {
      const { f } = blackBox(c.expr, c.vars);
      const X = batchOf(c.points), N = c.points.length, n = c.vars.length;
      const g = fd.grad(f, X, { richardson: 1 });
      expect((g.value as Tensor).shape).toEqual([N, n]);
      expect((g.error as Tensor).shape).toEqual([N, n]);
      const p = fd.partial(f, X, n - 1);
      expect((p.value as Tensor).shape).toEqual([N]);
      const H = fd.hessian(f, X);
      expect(H.value.shape).toEqual([N, n, n]);
      c.points.forEach((x, k) => {
        const one = fd.grad(f, x, { richardson: 1 });
        expectIdentical((g.value as Tensor).data.subarray(k * n, (k + 1) * n), one.value as Float64Array, `${c.name} grad ${k}`);
        expectIdentical((g.error as Tensor).data.subarray(k * n, (k + 1) * n), one.error as Float64Array, `${c.name} error ${k}`);
        expectClose((g.value as Tensor).data.subarray(k * n, (k + 1) * n), c.grads[k], 1e-9, `${c.name} vs sympy ${k}`, floorOf(c.values[k], x));
        expectIdentical((p.value as Tensor).data[k], fd.partial(f, x, n - 1).value as number, `${c.name} partial ${k}`);
        expectIdentical(H.value.data.subarray(k * n * n, (k + 1) * n * n), fd.hessian(f, x).value.data, `${c.name} hessian ${k}`);
      });
    }
  });

  it("jacobian, divergence, curl, directional (shared and per-point directions)", () => {
    for (const c of fixtures.vector) {
      const { f } = blackBox(c.exprs, c.vars);
      const X = batchOf(c.points), N = c.points.length, m = c.exprs.length, n = c.vars.length;
      const J = fd.jacobian(f, X);
      expect(J.value.shape).toEqual([N, m, n]);
      const V = batchOf(c.points.map((_, k) => c.vars.map((_, i) => k - i + 0.5)));
      const shared = c.vars.map((_, i) => (i ? -1 : 2));
      const dShared = fd.directional(f, X, shared), dEach = fd.directional(f, X, V);
      expect((dShared.value as Tensor).shape).toEqual([N, m]);
      c.points.forEach((x, k) => {
        expectIdentical(J.value.data.subarray(k * m * n, (k + 1) * m * n), fd.jacobian(f, x).value.data, `${c.name} J ${k}`);
        expectClose(J.value.data.subarray(k * m * n, (k + 1) * m * n), c.jacobians[k].flat(), 1e-6, `${c.name} J vs sympy ${k}`, floorOf(c.values[k], x));
        expectIdentical((dShared.value as Tensor).data.subarray(k * m, (k + 1) * m), fd.directional(f, x, shared).value as Float64Array, `shared ${k}`);
        const vk = Array.from(V.data.subarray(k * n, (k + 1) * n));
        expectIdentical((dEach.value as Tensor).data.subarray(k * m, (k + 1) * m), fd.directional(f, x, vk).value as Float64Array, `per-point ${k}`);
        expectClose((dEach.value as Tensor).data.subarray(k * m, (k + 1) * m), jv(c.jacobians[k], vk), 1e-6, `per-point vs J·v ${k}`,
          maxAbs(vk) * floorOf(c.values[k], x));
      });
      if (c.divergence) {
        const d = fd.divergence(f, X);
        expect((d.value as Tensor).shape).toEqual([N]);
        c.points.forEach((x, k) => expectIdentical((d.value as Tensor).data[k], fd.divergence(f, x).value as number, `div ${k}`));
      }
      if (c.curl) {
        const r = fd.curl(f, X), w = n === 3 ? 3 : 1;
        expect((r.value as Tensor).shape).toEqual(n === 3 ? [N, 3] : [N]);
        c.points.forEach((x, k) => expectIdentical((r.value as Tensor).data.subarray(k * w, (k + 1) * w), asArray(fd.curl(f, x).value as number | Float64Array), `curl ${k}`));
      }
    }
  });

  it("fd.derivative over a Tensor [N]", () => {
    const xs = new Tensor([4], Float64Array.of(-2, 0, 1e-8, 3));
    const r = fd.derivative(Math.sin, xs, { richardson: 2 });
    expect((r.value as Tensor).shape).toEqual([4]);
    expectClose((r.value as Tensor).data, Array.from(xs.data, Math.cos), 1e-11, "cos");
  });

  it("a batch of one keeps its leading axis; a batch of points and directions of different N is refused", () => {
    const r = fd.grad((x: Float64Array) => x[0] * x[1], new Tensor([1, 2], Float64Array.of(3, 4)));
    expect((r.value as Tensor).shape).toEqual([1, 2]);
    expectClose((r.value as Tensor).data, [4, 3], 1e-9, "N = 1");
    expect(() => fd.directional((x: Float64Array) => x[0], new Tensor([2, 2], new Float64Array(4)), new Tensor([3, 2], new Float64Array(6)))).toThrow(ShapeError);
    expect(() => fd.grad((x: Float64Array) => x[0], new Tensor([2, 2, 1], new Float64Array(4)))).toThrow(ShapeError);
    stillWorks();
  });
});

// ---------------------------------------------------------------------------
// Callback errors, bad input, and staying usable
// ---------------------------------------------------------------------------

const probe = compile("x*y + z^2", { vars: ["x", "y", "z"] });

/** A correct call after an error still gives the right answers (closed forms). */
function stillWorks(): void {
  const r = fd.grad((x: Float64Array) => x[0] * x[1] + x[2] * x[2], [1, 2, 3], { richardson: 1 });
  expectClose(r.value as Float64Array, [2, 1, 6], 1e-12, "fd after an error");
  expect(probe.eval([1, 2, 3])).toBe(11);
  expect(Array.from(probe.grad([1, 2, 3]))).toEqual([2, 1, 6]);
  const [d] = grid.gradient(Float64Array.of(0, 1, 4, 9), [4]) as Float64Array[];
  expect(Array.from(d)).toEqual([1, 2, 4, 5]);
}

function caught(call: () => unknown): GradientsError {
  try {
    call();
  } catch (e) {
    expect(e).toBeInstanceOf(GradientsError);
    return e as GradientsError;
  }
  return expect.fail("should have thrown");
}

describe("a callback that throws: CallbackError naming the call, with the cause", () => {
  const schemes: { scheme: Scheme; richardson: number }[] = [
    { scheme: "central", richardson: 0 }, { scheme: "forward", richardson: 0 }, { scheme: "backward", richardson: 0 },
    { scheme: "five-point", richardson: 0 }, { scheme: "central", richardson: 1 },
  ];
  for (const { scheme, richardson } of schemes) {
    it(`${scheme}${richardson ? ` + Richardson ${richardson}` : ""}: at every call k, the error names call k`, () => {
      const x = [1, 2, 3];
      let total = 0;
      fd.grad(() => { total++; return 1; }, x, { scheme, richardson });
      const wrong: string[] = [];
      for (let k = 1; k <= total; k++) {
        const boom = new RangeError(`boom ${k}`);
        let calls = 0;
        const e = caught(() => fd.grad((p: Float64Array) => {
          if (++calls === k) throw boom;
          return p[0] * p[1] + p[2];
        }, x, { scheme, richardson }));
        expect(e).toBeInstanceOf(CallbackError);
        expect(e.code).toBe("callback");
        expect(e.cause).toBe(boom);
        expect(e.message).toContain(`boom ${k}`);
        const named = /call (\d+)/.exec(e.message);
        if (!named || Number(named[1]) !== k) wrong.push(`thrown at call ${k}, message: "${e.message}"`);
      }
      expect(wrong).toEqual([]);
      stillWorks();
    });
  }

  it("for every fd function, and for throws of non-Errors", () => {
    const f = (x: Float64Array) => { if (x[0] > 1) throw "a string"; return x[0]; };
    const V = (x: Float64Array) => { if (x[0] > 1) throw new Error("field"); return [x[0], x[1]]; };
    for (const call of [
      () => fd.grad(f, [1, 2]), () => fd.partial(f, [1, 2], 0), () => fd.derivative((t) => f(Float64Array.of(t)), 1),
      () => fd.hessian(f, [1, 2]), () => fd.directional(f, [1, 2], [1, 1]), () => fd.jacobian(V, [1, 2]),
      () => fd.divergence(V, [1, 2]), () => fd.curl(V, [1, 2]), () => fd.grad(() => { throw new Error("vec"); }, [1], { vectorized: true }),
    ]) {
      const e = caught(call);
      expect(e).toBeInstanceOf(CallbackError);
      expect(e.message).toMatch(/call \d+/);
      expect(e.cause).toBeDefined();
      stillWorks();
    }
  });
});

describe("a callback that writes to its argument (the library's reused point): CallbackError, not wrong numbers", () => {
  it("squaring its entries in place (the gradient came out 7e6, 2e12, 3e5 for 2, 4, 6), or setting one entry", () => {
    const square = (x: Float64Array) => { let s = 0; for (let i = 0; i < x.length; i++) { x[i] *= x[i]; s += x[i]; } return s; };
    const setsThird = (x: Float64Array) => { const s = x[0] + x[1]; x[2] = 7; return s; };
    for (const call of [() => fd.grad(square, [1, 2, 3]), () => fd.jacobian((x) => [square(x)], [1, 2, 3]),
      () => fd.grad(square, [1, 2, 3], { richardson: 2 }), () => fd.grad(setsThird, [1, 2, 3]),
      () => fd.grad(square, new Tensor([2, 3], Float64Array.of(1, 2, 3, 4, 5, 6)))]) {
      expectThrows(call, CallbackError, /wrote to its argument \(entry \d, by call \d+\)/);
    }
    // (reading it, and writing a copy, is fine)
    const g = fd.grad((x) => { const y = Float64Array.from(x); y[0] *= 2; return y[0] * x[1]; }, [1, 2, 3]).value as Float64Array;
    expect(g[0]).toBeCloseTo(4, 6);
    expect(g[1]).toBeCloseTo(2, 6);
  });

  it("a point given as the callback's own state array, which it writes (a model evaluated at the state it sets): fd works on a copy", () => {
    // ∇(s₀s₁ + sin s₂) at (1, 2, 3) = (2, 1, cos 3)
    const state = Float64Array.of(1, 2, 3);
    const model = (p: Float64Array) => { state.set(p); return state[0] * state[1] + Math.sin(state[2]); };
    expectClose(fd.grad(model, state).value as Float64Array, [2, 1, Math.cos(3)], 1e-8, "∇ at the state itself");
    state.set([1, 2, 3]);
    const batch = new Tensor([1, 3], state);
    expectClose((fd.grad(model, batch).value as Tensor).data, [2, 1, Math.cos(3)], 1e-8, "∇ at a batch over the state");
  });
});

describe("a callback that returns the wrong thing: CallbackError", () => {
  /** A callback that returns `good(x)` except at call k, where it returns `bad`. */
  const at = (k: number, bad: unknown, good: (x: Float64Array) => unknown) => {
    let calls = 0;
    return (x: Float64Array) => (++calls === k ? bad : good(x)) as number;
  };
  const scalar = (x: Float64Array) => x[0] * x[1];
  const vector = (x: Float64Array) => [x[0] * x[1], x[0] + x[1]];

  /** Runs `call`, expects a CallbackError naming call k; a line describing what went wrong, or nothing. */
  const misreported = (call: () => unknown, k: number, label: string): string[] => {
    const e = caught(call);
    stillWorks();
    if (!(e instanceof CallbackError)) return [`${label}: ${e.name} instead of CallbackError`];
    return new RegExp(`call ${k}\\b`).test(e.message) ? [] : [`${label} at call ${k}: "${e.message}"`];
  };

  it("a non-number, at the first call or later", () => {
    const wrong: string[] = [];
    for (const bad of ["1", undefined, null, {}, true, () => 1]) {
      for (const scheme of ["central", "forward"] as const) {
        for (const k of scheme === "central" ? [1, 2, 3, 4] : [1, 2, 3]) { // n = 2: 4 calls central, 3 forward
          wrong.push(...misreported(() => fd.grad(at(k, bad, scalar), [1, 2], { scheme }), k, `${scheme}, ${typeof bad}`));
        }
      }
    }
    for (const bad of [[1, "2"], [NaN, undefined], ["x"]]) {
      wrong.push(...misreported(() => fd.jacobian(at(2, bad, vector), [1, 2]), 2, JSON.stringify(bad)));
    }
    expect(wrong).toEqual([]);
  });

  it("a length that changes between calls (or a number, then an array)", () => {
    const wrong: string[] = [];
    for (const [bad, k] of [[[1, 2, 3], 3], [[1], 2], [[], 1], [5, 4]] as const) {
      wrong.push(...misreported(() => fd.jacobian(at(k, bad, vector), [1, 2]), k, `jacobian, ${JSON.stringify(bad)}`));
    }
    for (const scheme of ["central", "forward", "five-point"] as const) {
      for (const k of scheme === "forward" ? [2, 3] : [2, 3, 4]) {
        wrong.push(...misreported(() => fd.grad(at(k, [7], scalar), [1, 2], { scheme }), k, `grad ${scheme}, [7]`));
      }
    }
    expect(wrong).toEqual([]);
  });

  it("in a batch, at a later point: the error still names the call, and the calls are counted right", () => {
    const batch = new Tensor([3, 2], Float64Array.of(1, 2, 3, 4, 5, 6)); // central: 4 calls a point, 12 in all
    let total = 0;
    const r = fd.grad((x: Float64Array) => { total++; return scalar(x); }, batch);
    expect(total).toBe(12);
    // ∇(x0·x1) = (x1, x0) at each point
    expectClose((r.value as Tensor).data, [2, 1, 4, 3, 6, 5], 1e-9, "batch gradient");
    const wrong: string[] = [];
    for (let k = 1; k <= 12; k++) {
      wrong.push(...misreported(() => fd.grad(at(k, "x", scalar), batch), k, `batch, a string at call ${k}`));
      // (an array at the first call fixes the output as an array: the number at call 2 is then the odd one)
      if (k > 1) wrong.push(...misreported(() => fd.grad(at(k, [1], scalar), batch), k, `batch, an array at call ${k}`));
      let calls = 0;
      const e = caught(() => fd.grad((x: Float64Array) => { if (++calls === k) throw new Error(`boom ${k}`); return scalar(x); }, batch));
      if (!(e instanceof CallbackError) || !new RegExp(`call ${k}\\b`).test(e.message)) wrong.push(`batch, thrown at call ${k}: "${e.message}"`);
    }
    expect(wrong).toEqual([]);
    stillWorks();
  });

  it("vectorized: the wrong number of values", () => {
    expect(caught(() => fd.grad((X: Tensor) => new Float64Array(X.shape[0] + 1), [1, 2], { vectorized: true }))).toBeInstanceOf(CallbackError);
    expect(caught(() => fd.grad((X: Tensor) => new Float64Array(X.shape[0] - 1), [1, 2], { vectorized: true }))).toBeInstanceOf(CallbackError);
    expect(caught(() => fd.grad((() => "no") as never, [1, 2], { vectorized: true }))).toBeInstanceOf(CallbackError);
    stillWorks();
  });

  it("NaN is a number, not an error: it propagates", () => {
    const r = fd.grad((x: Float64Array) => (x[1] > 2 ? NaN : x[0] + x[1]), [1, 2]);
    expectClose([(r.value as Float64Array)[0]], [1], 1e-9, "∂/∂x0 where f is a number");
    expect((r.value as Float64Array)[1]).toBeNaN();
  });

  it("grad of a function returning several values: ShapeError", () => {
    expect(caught(() => fd.grad(vector, [1, 2]))).toBeInstanceOf(ShapeError);
    stillWorks();
  });
});

describe("bad input: InputError / ShapeError, and the library stays usable", () => {
  const f = (x: Float64Array) => x[0];
  it("refuses bad functions, points and options", () => {
    const cases: [() => unknown, typeof InputError | typeof ShapeError][] = [
      [() => fd.grad("x" as never, [1]), InputError],
      [() => fd.derivative(null as never, 1), InputError],
      [() => fd.grad(f, "1" as never), InputError],
      [() => fd.grad(f, [1, "2"] as never), InputError],
      [() => fd.grad(f, []), ShapeError],
      [() => fd.grad(f, [1], { scheme: "centered" as never }), InputError],
      [() => fd.grad(f, [1], { richardson: 9 }), InputError],
      [() => fd.grad(f, [1], { richardson: 1.5 }), InputError],
      [() => fd.grad(f, [1], { richardson: -1 }), InputError],
      [() => fd.grad(f, [1], null as never), InputError],
      [() => fd.partial(f, [1, 2], 2), InputError],
      [() => fd.partial(f, [1, 2], 0.5), InputError],
      [() => fd.derivative(Math.sin, [1, 2] as never), InputError],
    ];
    for (const [call, type] of cases) {
      expect(caught(call)).toBeInstanceOf(type);
      stillWorks();
    }
  });
});

// ---------------------------------------------------------------------------
// Re-entrancy
// ---------------------------------------------------------------------------

describe("a callback may call the library (re-entrancy)", () => {
  it("compiled eval and grad inside fd (the black boxes above do this throughout)", () => {
    const g = compile("sin(x*y) + z^2*exp(x)", { vars: ["x", "y", "z"] });
    const c = scalarCase("mixed_three_vars");
    // f = g + ∂g/∂z: the callback runs a value sweep and a gradient
    const f = (x: Float64Array) => (g.eval(x) as number) + g.grad(x)[2];
    c.points.forEach((x, k) => {
      const r = fd.grad(f, x, { richardson: 2 });
      // ∂/∂x_i (g + 2 z e^x) = ∂g/∂x_i + (2 z eˣ, 0, 2 eˣ)
      const e = Math.exp(x[0]);
      expectClose(r.value as Float64Array, [c.grads[k][0] + 2 * x[2] * e, c.grads[k][1], c.grads[k][2] + 2 * e], 1e-9,
        `nested eval + grad at (${x})`, floorOf(c.values[k], x));
    });
  });

  it("fd inside fd", () => {
    // g(y) = d/dt [t²·y0 + sin(t)·y1] at t = 1 = 2·y0 + cos(1)·y1, computed by an inner fd call
    const g = (y: Float64Array) => fd.derivative((t) => t * t * y[0] + Math.sin(t) * y[1], 1, { richardson: 2 }).value as number;
    const r = fd.grad(g, [0.5, -2]);
    expectClose(r.value as Float64Array, [2, Math.cos(1)], 1e-6, "fd of fd");
    const H = fd.jacobian((y: Float64Array) => fd.grad((x: Float64Array) => x[0] * x[0] * y[0] + x[0] * x[1] * y[1], [1, 2], { richardson: 1 }).value as Float64Array, [3, 4]);
    // inner: ∇_x = (2x0·y0 + x1·y1, x0·y1) at x = (1, 2) = (2y0 + 2y1, y1); outer Jacobian in y:
    expectClose(H.value.data, [2, 2, 0, 1], 1e-6, "jacobian of fd.grad", 1);
  });

  it("a callback that grows WebAssembly memory, and one that runs grid stencils", () => {
    let big: ReturnType<typeof buffer> | undefined;
    const f = (x: Float64Array) => {
      if (!big) {
        big = buffer(1 << 22); // 32 MB: memory grows while fd is between its own calls into the core
        big.data[12345] = 1;
      }
      const [d] = grid.gradient(Float64Array.of(x[0], 2 * x[0], 4 * x[0]), [3]) as Float64Array[];
      return d[1] * x[1] + x[0] * x[0]; // = 1.5·x0·x1 + x0²
    };
    const r = fd.grad(f, [2, 3], { richardson: 1 });
    expect(big).toBeDefined();
    expect(big!.data[12345]).toBe(1);
    big!.dispose();
    expectClose(r.value as Float64Array, [1.5 * 3 + 4, 1.5 * 2], 1e-10, "after memory growth");
    stillWorks();
  });
});
