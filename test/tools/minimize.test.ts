// minimize() against analytic minimizers: Rosenbrock's (1, 1), the solution of
// A·x = b for a convex quadratic ½xᵀAx − bᵀx (solved here by Gaussian elimination,
// independently of the library), and the optimum of a reparameterized expectation
// found in closed form. Plus the result's shape, every stop reason, onStep, the
// objective-callback form, and bad inputs.
import { describe, expect, it } from "vitest";
import {
  CallbackError, compile, fn, InputError, minimize, reparam, ShapeError,
  type MinimizeOptions, type MinimizeResult, type StepInfo,
} from "../../bindings/index.js";
import { expectClose, expectThrows } from "../support/helpers.js";

const maxAbs = (v: ArrayLike<number>) => Array.from(v).reduce((m, x) => Math.max(m, Math.abs(x)), 0);
const sub = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a, (v, i) => v - b[i]);
const matvec = (A: number[][], x: ArrayLike<number>) => A.map((row) => row.reduce((s, a, j) => s + a * x[j], 0));

/** Solves A·x = b by Gaussian elimination with partial pivoting (plain JavaScript). */
function solve(A: number[][], b: number[]): number[] {
  const n = b.length, M = A.map((row, i) => [...row, b[i]]);
  for (let k = 0; k < n; k++) {
    let p = k;
    for (let i = k + 1; i < n; i++) if (Math.abs(M[i][k]) > Math.abs(M[p][k])) p = i;
    [M[k], M[p]] = [M[p], M[k]];
    for (let i = k + 1; i < n; i++) {
      const m = M[i][k] / M[k][k];
      for (let j = k; j <= n; j++) M[i][j] -= m * M[k][j];
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let i = n - 1; i >= 0; i--) {
    let s = M[i][n];
    for (let j = i + 1; j < n; j++) s -= M[i][j] * x[j];
    x[i] = s / M[i][i];
  }
  return x;
}

// A convex quadratic f(x) = ½xᵀAx − bᵀx, A symmetric positive definite (eigenvalues ≈ 1.471, 2.900, 4.629,
// from numpy.linalg.eigvalsh).
const A = [[4, 1, 0.5], [1, 3, -0.5], [0.5, -0.5, 2]];
const b = [1, -2, 0.5];
const VARS = ["x", "y", "z"];
const quadExpr = (() => {
  const terms: string[] = [];
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) terms.push(`0.5*(${A[i][j]})*${VARS[i]}*${VARS[j]}`);
    terms.push(`-(${b[i]})*${VARS[i]}`);
  }
  return terms.join(" + ");
})();
const quad = compile(quadExpr, { vars: VARS });
const xStar = solve(A, b);
const quadValue = (x: ArrayLike<number>) => 0.5 * Array.from(x).reduce((s, xi, i) => s + xi * matvec(A, x)[i], 0) - b.reduce((s, bi, i) => s + bi * x[i], 0);
const quadGrad = (x: ArrayLike<number>) => sub(matvec(A, x), b);
const LAMBDA_MIN = 1.4; // below A's smallest eigenvalue, ≈ 1.471
const x0 = [2, -1, 3];

function expectShape(r: MinimizeResult, n: number): void {
  expect(Object.keys(r).sort()).toEqual(["converged", "grad", "iterations", "reason", "value", "x"]);
  expect(r.x).toBeInstanceOf(Float64Array);
  expect(r.grad).toBeInstanceOf(Float64Array);
  expect(r.x.length).toBe(n);
  expect(r.grad.length).toBe(n);
  expect(typeof r.value).toBe("number");
  expect(Number.isInteger(r.iterations)).toBe(true);
  expect(r.converged).toBe(r.reason === "gradient"); // a stop for a small step is not convergence
}

/** The result is a true local description of the quadratic at r.x: value and gradient, analytically. */
function expectQuadResult(r: MinimizeResult, label: string): void {
  expectShape(r, 3);
  expectClose([r.value], [quadValue(r.x)], 1e-12, `${label} value`, 1);
  expectClose(r.grad, quadGrad(r.x), 1e-12, `${label} grad`, 1);
}

describe("L-BFGS", () => {
  const rosenbrock = compile("(1-x)^2 + 100*(y-x^2)^2", { vars: ["x", "y"] });

  it("reaches Rosenbrock's minimum (1, 1) from (−1.2, 1) to 1e-8 within 100 iterations", () => {
    const r = minimize(rosenbrock, [-1.2, 1], { gradTol: 1e-10, maxIterations: 100 });
    expectShape(r, 2);
    expect(r.reason).toBe("gradient");
    expect(r.converged).toBe(true);
    expect(r.iterations).toBeLessThanOrEqual(100);
    expect(maxAbs(sub(r.x, [1, 1]))).toBeLessThanOrEqual(1e-8);
    expect(maxAbs(r.grad)).toBeLessThanOrEqual(1e-10);
    // value and gradient are Rosenbrock's at the returned x.
    const [x, y] = r.x;
    expectClose([r.value], [(1 - x) ** 2 + 100 * (y - x * x) ** 2], 1e-12, "value", 1e-30);
    expectClose(r.grad, [-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)], 1e-9, "grad", 1e-12);
  });

  it("reaches the 6-D Rosenbrock minimum from the standard start, with small and large memory", () => {
    const n = 6, vars = Array.from({ length: n }, (_, i) => `x${i + 1}`);
    const terms = [];
    for (let i = 0; i < n - 1; i++) terms.push(`100*(${vars[i + 1]} - ${vars[i]}^2)^2 + (1 - ${vars[i]})^2`);
    const f = compile(terms.join(" + "), { vars });
    const start = Array.from({ length: n }, (_, i) => (i % 2 === 0 ? -1.2 : 1));
    for (const memory of [3, 10, 30]) {
      const r = minimize(f, start, { gradTol: 1e-9, memory, maxIterations: 500 });
      expect(r.reason, `memory ${memory}`).toBe("gradient");
      expect(maxAbs(sub(r.x, new Array(n).fill(1))), `memory ${memory}`).toBeLessThan(1e-7);
    }
  });

  it("minimizes a convex quadratic to the solution of A·x = b", () => {
    // A line search compares values: with f* ≈ −1.05 it cannot see decreases below
    // ~1e-16, i.e. |∇f| below ~1e-8 is reached only by luck. Ask for 1e-7.
    const r = minimize(quad, x0, { gradTol: 1e-7 });
    expectQuadResult(r, "lbfgs");
    expect(r.reason).toBe("gradient");
    expect(maxAbs(quadGrad(r.x))).toBeLessThanOrEqual(1e-7 + 1e-14);
    // |x − x*|₂ ≤ |∇f|₂ / λ_min.
    expect(maxAbs(sub(r.x, xStar))).toBeLessThanOrEqual(Math.sqrt(3) * 1e-7 / LAMBDA_MIN + 1e-14);
    expect(r.iterations).toBeLessThanOrEqual(20);
  });
});

describe("first-order methods on a convex quadratic", () => {
  // λ_max ≈ 4.629: fixed steps below 2/λ_max ≈ 0.432 converge. These methods use only gradients,
  // so they can reach tight gradient tolerances.
  const cases: [string, MinimizeOptions][] = [
    ["gd, fixed step", { method: "gd", learningRate: 0.3, gradTol: 1e-10, maxIterations: 2000 }],
    ["gd, default step", { method: "gd", gradTol: 1e-8, maxIterations: 5000 }],
    ["momentum", { method: "momentum", learningRate: 0.05, momentum: 0.8, gradTol: 1e-10, maxIterations: 2000 }],
    ["adam", { method: "adam", learningRate: 0.05, gradTol: 1e-9, maxIterations: 5000 }],
  ];
  for (const [name, options] of cases) {
    it(`${name} converges to A⁻¹b`, () => {
      const r = minimize(quad, x0, options);
      expectQuadResult(r, name);
      expect(r.reason, name).toBe("gradient");
      expect(r.converged).toBe(true);
      const tol = options.gradTol!;
      expect(maxAbs(quadGrad(r.x))).toBeLessThanOrEqual(tol * (1 + 1e-6) + 1e-14);
      expect(maxAbs(sub(r.x, xStar))).toBeLessThanOrEqual(Math.sqrt(3) * tol / LAMBDA_MIN + 1e-14);
    });
  }

  it("backtracking (Armijo) converges to A⁻¹b as far as values can tell", () => {
    // An Armijo test compares values: it stalls once ½·t·|∇f|² drops below the rounding
    // of f (~1e-16·|f|), i.e. |x − x*| ~ 1e-8. Ask for less than that.
    const r = minimize(quad, x0, { method: "backtracking", gradTol: 1e-6 });
    expectQuadResult(r, "backtracking");
    expect(r.reason).toBe("gradient");
    expect(maxAbs(sub(r.x, xStar))).toBeLessThanOrEqual(Math.sqrt(3) * 1e-6 / LAMBDA_MIN);
    // And the value decreased monotonically on the way.
    const values: number[] = [];
    minimize(quad, x0, { method: "backtracking", gradTol: 1e-6, onStep: (s) => { values.push(s.value); } });
    for (let i = 1; i < values.length; i++) expect(values[i]).toBeLessThan(values[i - 1]);
  });

  it("gd with a step above 2/λ_max diverges (the test would notice a wrong step rule)", () => {
    const r = minimize(quad, x0, { method: "gd", learningRate: 0.45, maxIterations: 200 });
    expect(r.reason).toBe("iterations");
    expect(maxAbs(sub(r.x, xStar))).toBeGreaterThan(1);
  });

  it("momentum takes v ← μv − lr·∇f(x), x ← x + v", () => {
    const steps: StepInfo[] = [];
    minimize(quad, x0, { method: "momentum", learningRate: 0.05, momentum: 0.7, maxIterations: 4, onStep: (s) => { steps.push(s); } });
    let x = x0.slice(), v = [0, 0, 0];
    for (const s of steps) {
      const g = quadGrad(x);
      v = v.map((vi, i) => 0.7 * vi - 0.05 * g[i]);
      x = x.map((xi, i) => xi + v[i]);
      expectClose(s.x, x, 1e-14, `iteration ${s.iteration}`, 1);
    }
  });

  it("adam (Kingma & Ba, with bias correction): the first step is lr per coordinate, whatever the gradient's scale", () => {
    // m̂₁ = g, v̂₁ = g²: the step is −lr·g/(|g| + ε).
    for (const scale of [1e-3, 1, 1e3]) {
      const steps: StepInfo[] = [];
      const objective = (x: Float64Array) => ({ value: scale * quadValue(x), grad: quadGrad(x).map((g) => scale * g) });
      minimize(objective, x0, { method: "adam", learningRate: 0.1, maxIterations: 3, onStep: (s) => { steps.push(s); } });
      const g0 = quadGrad(x0);
      expectClose(steps[0].step, g0.map((g) => -0.1 * (scale * g) / (Math.abs(scale * g) + 1e-8)), 1e-12, `first step, gradient scale ${scale}`);
      expectClose(steps[0].step, g0.map((g) => -0.1 * Math.sign(g)), 1e-4, `first step ≈ −lr·sign(g), gradient scale ${scale}`);
      // Second step from the textbook recursion.
      const g1 = quadGrad(steps[0].x).map((g) => scale * g), gs = g0.map((g) => scale * g);
      const m = gs.map((g, i) => 0.9 * 0.1 * g + 0.1 * g1[i]), v = gs.map((g, i) => 0.999 * 0.001 * g * g + 0.001 * g1[i] * g1[i]);
      const want = m.map((mi, i) => -0.1 * (mi / (1 - 0.9 ** 2)) / (Math.sqrt(v[i] / (1 - 0.999 ** 2)) + 1e-8));
      expectClose(steps[1].step, want, 1e-9, `second step, gradient scale ${scale}`);
    }
  });

  it("gd takes exactly x ← x − lr·∇f(x)", () => {
    const steps: StepInfo[] = [];
    minimize(quad, x0, { method: "gd", learningRate: 0.1, maxIterations: 3, onStep: (s) => { steps.push(s); } });
    let x = x0.slice();
    for (const s of steps) {
      x = x.map((v, i) => v - 0.1 * quadGrad(x)[i]);
      expectClose(s.x, x, 1e-14, `iteration ${s.iteration}`, 1);
    }
  });
});

describe("stop reasons and onStep", () => {
  it("a stop for a small step where the gradient is not small is not convergence: max(x, −x) + y² from (2, 1)", () => {
    const f = compile("max(x, -x) + y^2", { vars: ["x", "y"] });
    const r = minimize(f, [2, 1]);
    expect(r.reason).not.toBe("gradient");
    expect(r.converged).toBe(false);
    expect(maxAbs(r.grad)).toBeGreaterThan(1e-8); // |∂f/∂x| = 1 wherever x ≠ 0
  });

  it("a last step that is small but lands on the minimum has converged: (x − 1e8)² + (y + 3)² from (0, 0)", () => {
    const r = minimize(compile("(x-1e8)^2 + (y+3)^2", { vars: ["x", "y"] }), [0, 0]);
    expect(r).toMatchObject({ reason: "gradient", converged: true });
    expect(Array.from(r.grad)).toEqual([0, 0]);
  });

  it("L-BFGS on a badly scaled quadratic, 1e20·x² + y² from (1, 1): the minimum in a few iterations", () => {
    // The first pair scales the direction by sᵀy/yᵀy = 5e-21, so the next step must be 1e20 times the first
    // guess, and along it f changes by less than its last digit at first: the line search expands by
    // doubling factors and decides by the slope where f's values tie.
    const f = compile("1e20*x^2 + y^2", { vars: ["x", "y"] });
    const r = minimize(f, [1, 1]);
    expect(r).toMatchObject({ reason: "gradient", converged: true, value: 0 });
    expect(Array.from(r.x)).toEqual([0, 0]);
    expect(r.iterations).toBeLessThanOrEqual(5);
  });

  it("\"iterations\": at most maxIterations, not converged", () => {
    const r = minimize(quad, x0, { method: "gd", learningRate: 0.01, maxIterations: 7 });
    expectQuadResult(r, "iterations");
    expect(r).toMatchObject({ reason: "iterations", iterations: 7, converged: false });
    const zero = minimize(quad, x0, { maxIterations: 0 });
    expect(zero).toMatchObject({ reason: "iterations", iterations: 0, converged: false });
    expect(Array.from(zero.x)).toEqual(x0);
    expectClose(zero.grad, quadGrad(x0), 1e-14, "grad at x0", 1);
  });

  it("\"gradient\": already at the minimum, zero iterations", () => {
    const r = minimize(compile("(x-1)^2 + (y+2)^2", { vars: ["x", "y"] }), [1, -2]);
    expect(r).toMatchObject({ reason: "gradient", iterations: 0, converged: true, value: 0 });
  });

  it("\"step\": the step is below stepTol relative to x", () => {
    const steps: StepInfo[] = [];
    const r = minimize(quad, x0, { method: "gd", learningRate: 0.05, stepTol: 1e-4, gradTol: 0, maxIterations: 10000,
      onStep: (s) => { steps.push(s); } });
    expectQuadResult(r, "step");
    expect(r).toMatchObject({ reason: "step", converged: false }); // the gradient is not below gradTol (0)
    const last = steps[steps.length - 1];
    expect(maxAbs(last.step)).toBeLessThanOrEqual(1e-4 * (1 + maxAbs(r.x)));
    for (const s of steps.slice(0, -1)) expect(maxAbs(s.step)).toBeGreaterThan(1e-4 * (1 + maxAbs(s.x)));
  });

  it("\"callback\": onStep returning false stops after that iteration", () => {
    const seen: number[] = [];
    const r = minimize(quad, x0, { onStep: (s) => { seen.push(s.iteration); return s.iteration < 3; } });
    expect(r).toMatchObject({ reason: "callback", iterations: 3, converged: false });
    expect(seen).toEqual([1, 2, 3]);
    // onStep returning undefined (or true) does not stop.
    const r2 = minimize(quad, x0, { gradTol: 1e-10, onStep: () => undefined });
    expect(r2.reason).toBe("gradient");
  });

  it("\"non-finite\": a NaN or infinite value or gradient stops the run", () => {
    // log x from x = 1 with a step of 2 lands on x = −1.
    const r = minimize(compile("log(x)", { vars: ["x"] }), [1], { method: "gd", learningRate: 2 });
    expect(r).toMatchObject({ reason: "non-finite", iterations: 1, converged: false });
    expect(Array.from(r.x)).toEqual([-1]);
    expect(r.value).toBeNaN();
    // Non-finite at x0: nothing is attempted.
    const r0 = minimize(compile("1/x", { vars: ["x"] }), [0]);
    expect(r0).toMatchObject({ reason: "non-finite", iterations: 0, converged: false });
    // An objective whose gradient overflows.
    const r1 = minimize((x) => ({ value: x[0] ** 2, grad: [x[0] > 5 ? Infinity : 2 * x[0]] }), [1],
      { method: "gd", learningRate: 1.5 });
    expect(r1.reason).toBe("non-finite");
  });

  // value x², but the objective reports the gradient with the wrong sign: no step along
  // −grad decreases f, so the line search must fail (and must not claim convergence).
  const wrong = (x: Float64Array) => ({ value: x[0] * x[0], grad: [-2 * x[0]] });
  for (const method of ["lbfgs", "backtracking"] as const) {
    it(`"line search" (${method}): no acceptable step along a wrong (ascent) gradient`, () => {
      const r = minimize(wrong, [1], { method });
      expect(Array.from(r.x)).toEqual([1]);
      expect(r.iterations).toBe(1);
      expect(r.converged, `${method}: converged after not moving (reason "${r.reason}")`).toBe(false);
      expect(r.reason).toBe("line search");
    });
  }

  it("\"line search\" (backtracking): a constant value with a nonzero gradient", () => {
    const r = minimize(() => ({ value: 0, grad: [1] }), [0], { method: "backtracking" });
    expect(r).toMatchObject({ reason: "line search", converged: false, iterations: 1 });
  });

  it("onStep is called once per iteration, with the iteration number, x, value, grad and step", () => {
    for (const method of ["lbfgs", "gd", "backtracking", "momentum", "adam"] as const) {
      const seen: StepInfo[] = [];
      const r = minimize(quad, x0, { method, learningRate: method === "lbfgs" ? undefined : method === "backtracking" ? 1 : 0.05, maxIterations: 40, gradTol: 1e-6,
        onStep: (s) => { seen.push(s); } });
      expect(seen.map((s) => s.iteration), method).toEqual(Array.from({ length: r.iterations }, (_, i) => i + 1));
      let x = x0.slice();
      for (const s of seen) {
        expectClose(s.step, sub(s.x, x), 1e-15, `${method} step ${s.iteration}`, 1);
        expectClose([s.value], [quadValue(s.x)], 1e-12, `${method} value ${s.iteration}`, 1);
        expectClose(s.grad, quadGrad(s.x), 1e-12, `${method} grad ${s.iteration}`, 1);
        x = Array.from(s.x);
      }
      const last = seen[seen.length - 1];
      expect(Array.from(last.x)).toEqual(Array.from(r.x));
      expect(last.value).toBe(r.value);
    }
  });

  it("onStep gets copies: changing them does not steer the run", () => {
    const plain = minimize(quad, x0, { method: "gd", learningRate: 0.1, maxIterations: 20 });
    const scribbled = minimize(quad, x0, { method: "gd", learningRate: 0.1, maxIterations: 20,
      onStep: (s) => { s.x.fill(100); s.grad.fill(100); s.step.fill(100); } });
    expect(Array.from(scribbled.x)).toEqual(Array.from(plain.x));
  });
});

describe("objective callbacks (x, iteration) => { value, grad }", () => {
  it("a JavaScript objective works like a compiled one, and sees the iteration number", () => {
    const iterations: number[] = [];
    const objective = (x: Float64Array, iteration: number) => {
      iterations.push(iteration);
      const result = { value: quadValue(x), grad: quadGrad(x) }; // plain array gradient
      x.fill(NaN); // scribbling on the argument must not matter
      return result;
    };
    const r = minimize(objective, x0, { method: "gd", learningRate: 0.3, gradTol: 1e-10, maxIterations: 2000 });
    expect(r.reason).toBe("gradient");
    expect(maxAbs(sub(r.x, xStar))).toBeLessThanOrEqual(Math.sqrt(3) * 1e-10 / LAMBDA_MIN + 1e-14);
    // gd: one evaluation at x0 (iteration 0), then one per iteration.
    expect(iterations).toEqual(Array.from({ length: r.iterations + 1 }, (_, i) => i));
    // L-BFGS may evaluate several times per iteration, always with the current iteration number.
    const seen: number[] = [];
    const r2 = minimize((x, it) => { seen.push(it); return { value: quadValue(x), grad: Float64Array.from(quadGrad(x)) }; }, x0, { gradTol: 1e-7 });
    expect(r2.reason).toBe("gradient");
    expect(seen[0]).toBe(0);
    for (let i = 1; i < seen.length; i++) expect(seen[i] - seen[i - 1]).toBeGreaterThanOrEqual(0);
    expect(seen[seen.length - 1]).toBe(r2.iterations);
  });

  it("Adam on a reparameterized objective with a fresh seed per iteration finds argmin over μ of E[(z − 3)²]", () => {
    // E[(z − 3)²] = (μ − 3)² + σ² for z ~ N(μ, σ²): with σ = 1 the minimizer is μ = 3.
    const f = compile("(z-3)^2", { vars: ["z"] });
    const seeds: number[] = [];
    const objective = (x: Float64Array, iteration: number) => {
      seeds.push(iteration);
      const e = reparam.gaussian(f, { mu: [x[0]], sigma: [1] }, { samples: 2000, seed: iteration });
      return { value: e.value, grad: e.dmu };
    };
    const r = minimize(objective, [0], { method: "adam", learningRate: 0.05, maxIterations: 300, gradTol: 0 });
    expect(r.reason).toBe("iterations");
    expect(new Set(seeds).size).toBe(301);
    // Gradient noise per step: sd 2/√2000 ≈ 0.045; over 60 runs with other seeds the error stayed below 0.01.
    expect(Math.abs(r.x[0] - 3)).toBeLessThan(0.05);
    // The last estimate of the value is near the minimum value σ² = 1 (sd of (z−3)² is √2; 2000 samples).
    expect(Math.abs(r.value - 1)).toBeLessThan(5 * Math.sqrt(2 / 2000) + 0.01);
  });

  it("…and over (μ, log σ) of E[(z − 3)²] − log σ: μ = 3, σ = 1/√2", () => {
    // (μ − 3)² + σ² − log σ is minimal at μ = 3, 2σ = 1/σ.
    const f = compile("(z-3)^2", { vars: ["z"] });
    const objective = (x: Float64Array, iteration: number) => {
      const e = reparam.gaussian(f, { mu: [x[0]], logSigma: [x[1]] }, { samples: 2000, seed: 7000 + iteration });
      return { value: e.value - x[1], grad: [e.dmu[0], e.dlogSigma![0] - 1] };
    };
    const r = minimize(objective, [0, 0], { method: "adam", learningRate: 0.05, maxIterations: 300, gradTol: 0 });
    expect(Math.abs(r.x[0] - 3)).toBeLessThan(0.05);
    expect(Math.abs(r.x[1] - -0.5 * Math.log(2))).toBeLessThan(0.1);
  });
});

describe("bad inputs give clear errors, and the library stays usable", () => {
  const f2 = compile("(x-1)^2 + (y-2)^2", { vars: ["x", "y"] });
  const usable = () => {
    const r = minimize(f2, [0, 0]);
    expect(r.reason).toBe("gradient");
    expect(maxAbs(sub(r.x, [1, 2]))).toBeLessThan(1e-8);
    expect(quad.eval([1, 2, 3])).toBeCloseTo(quadValue([1, 2, 3]), 12);
  };
  const expectError = (call: () => unknown, type: typeof InputError, message: RegExp): unknown => {
    const thrown = expectThrows(call, type, message);
    usable();
    return thrown;
  };

  it("x0 of the wrong length for a compiled f", () => {
    expectError(() => minimize(f2, [0, 0, 0]), ShapeError, /x0 has 3 entries.*2/);
    expectError(() => minimize(f2, [0]), ShapeError, /x0 has 1 entries.*2/);
  });

  it("x0 empty, not an array, or not finite", () => {
    expectError(() => minimize(f2, []), InputError, /x0/);
    expectError(() => minimize(f2, "12" as unknown as number[]), InputError, /x0/);
    expectError(() => minimize(f2, [0, NaN]), InputError, /finite/);
    expectError(() => minimize(f2, [Infinity, 0]), InputError, /finite/);
    expectError(() => minimize((x) => ({ value: 0, grad: x }), [NaN]), InputError, /finite/);
  });

  it("a function that is not scalar, or not a function", () => {
    expectError(() => minimize(compile(["x", "y"], { vars: ["x", "y"] }), [0, 0]), ShapeError, /scalar/);
    expectError(() => minimize(42 as unknown as typeof f2, [0, 0]), InputError, /compiled function or an objective/);
  });

  it("unknown method and invalid options", () => {
    expectError(() => minimize(f2, [0, 0], { method: "gauss" as "gd" }), InputError, /unknown method "gauss"/);
    for (const method of ["gd", "momentum", "adam", "backtracking"] as const) {
      for (const learningRate of [-0.1, 0, NaN, Infinity]) {
        expectError(() => minimize(f2, [0, 0], { method, learningRate }), InputError, /learningRate/);
      }
    }
    expectError(() => minimize(f2, [0, 0], { maxIterations: -1 }), InputError, /maxIterations/);
    expectError(() => minimize(f2, [0, 0], { maxIterations: 2.5 }), InputError, /maxIterations/);
    expectError(() => minimize(f2, [0, 0], { gradTol: -1 }), InputError, /gradTol/);
    expectError(() => minimize(f2, [0, 0], { stepTol: NaN }), InputError, /stepTol/);
    expectError(() => minimize(f2, [0, 0], { method: "momentum", momentum: 1 }), InputError, /momentum/);
    expectError(() => minimize(f2, [0, 0], { method: "adam", beta1: 1 }), InputError, /beta1/);
    expectError(() => minimize(f2, [0, 0], { method: "adam", beta2: -0.1 }), InputError, /beta2/);
    expectError(() => minimize(f2, [0, 0], { memory: 0 }), InputError, /memory/);
    expectError(() => minimize(f2, [0, 0], null as unknown as MinimizeOptions), InputError, /options/);
  });

  it("an objective that throws: CallbackError wrapping the cause, naming the iteration", () => {
    const boom = new RangeError("boom");
    const e0 = expectError(() => minimize(() => { throw boom; }, [0]), CallbackError, /threw at iteration 0: boom/);
    expect((e0 as Error).cause).toBe(boom);
    const e3 = expectError(() => minimize((x, it) => {
      if (it === 3) throw new Error("late");
      return { value: x[0] ** 2, grad: [2 * x[0]] };
    }, [1], { method: "gd", learningRate: 0.1 }), CallbackError, /iteration 3: late/);
    expect(((e3 as Error).cause as Error).message).toBe("late");
  });

  it("an objective that returns the wrong shape: CallbackError", () => {
    const bad: [string, unknown][] = [
      ["grad too short", { value: 1, grad: [1] }],
      ["grad too long", { value: 1, grad: [1, 2, 3] }],
      ["no grad", { value: 1 }],
      ["value not a number", { value: "1", grad: [1, 2] }],
      ["a number", 3],
      ["undefined", undefined],
      ["null", null],
    ];
    for (const [what, result] of bad) {
      const e = expectError(() => minimize(() => result as { value: number; grad: number[] }, [0, 0]), CallbackError,
        /must return \{ value: number, grad: 2 numbers \}/);
      expect((e as Error).message, what).toMatch(/iteration 0/);
    }
  });
});

describe("method newton: a trust region on the exact Hessian (Hessian-vector products, truncated CG)", () => {
  it("Rosenbrock from (−1.2, 1) in fewer iterations than L-BFGS, converging fast at the end", () => {
    const f = compile("100*(y - x^2)^2 + (1 - x)^2", { vars: ["x", "y"] });
    const steps: number[] = [];
    const r = minimize(f, [-1.2, 1], { method: "newton", gradTol: 1e-12, onStep: ({ grad }) => { steps.push(Math.hypot(grad[0], grad[1])); } });
    expect(r.converged, r.reason).toBe(true);
    expectClose(r.x, [1, 1], 1e-12, "the minimum");
    expect(r.iterations).toBeLessThan(minimize(f, [-1.2, 1], { gradTol: 1e-12 }).iterations);
    // quadratic convergence: the last gradients fall faster than geometrically
    const [a, b, c] = steps.slice(-3);
    expect(c).toBeLessThan(b * b * 10 + 1e-14);
    expect(b).toBeLessThan(a);
  });

  it("the extended Rosenbrock function of 500 variables, by Hessian-vector products only", () => {
    const n = 500;
    const f = fn(n, (x) => {
      const odd = x.slice([0], [n], [2]), even = x.slice([1], [n], [2]);
      return even.sub(odd.mul(odd)).pow(2).mul(100).add(odd.sub(1).pow(2)).sum();
    });
    const x0 = Array.from({ length: n }, (_, i) => (i % 2 === 0 ? -1.2 : 1));
    const r = minimize(f, x0, { method: "newton", gradTol: 1e-9 });
    expect(r.converged, r.reason).toBe(true);
    expect(Math.max(...Array.from(r.x, (v) => Math.abs(v - 1)))).toBeLessThan(1e-9);
  });

  it("a matrix input and a scalar input (H·v of any shape)", () => {
    const m = minimize(fn({ A: [2, 2] }, ({ A }) => A.sub(1).pow(2).sum()), [0, 0, 0, 0], { method: "newton" });
    expect(m.converged, m.reason).toBe(true);
    expectClose(m.x, [1, 1, 1, 1], 1e-12, "A = 1");
    const s = minimize(fn({ t: [] }, ({ t }) => t.sub(3).pow(2)), [0], { method: "newton" });
    expectClose(s.x, [3], 1e-12, "t = 3");
  });

  it("needs a compiled function", () => {
    expect(() => minimize((x) => ({ value: x[0] ** 2, grad: [2 * x[0]] }), [1], { method: "newton" })).toThrow(/needs a compiled function/);
  });
});

describe("bounds (method lbfgs, projected)", () => {
  it("a separable quadratic: the minimum clipped to the box", () => {
    const f = compile("(x - 2)^2 + (y + 3)^2 + (z - 0.5)^2", { vars: ["x", "y", "z"] });
    const r = minimize(f, [0.5, 0.5, 0.5], { bounds: [[0, 0, 0], [1, 1, 1]] });
    expect(r.converged, r.reason).toBe(true);
    expectClose(r.x, [1, 0, 0.5], 1e-12, "clip((2, −3, 0.5))", 1e-12);
  });

  it("Rosenbrock with x ≤ 0.5: the constrained minimum (0.5, 0.25) on the boundary", () => {
    const f = compile("(1-x)^2 + 100*(y-x^2)^2", { vars: ["x", "y"] });
    const r = minimize(f, [-1.2, 1], { bounds: [[-Infinity, -Infinity], [0.5, Infinity]], gradTol: 1e-10 });
    expect(r.converged, r.reason).toBe(true);
    expectClose(r.x, [0.5, 0.25], 1e-9, "(0.5, 0.25)");
    expect(r.grad[0]).toBeLessThan(0); // the gradient pushes x past its bound: held there
  });

  it("linear and concave objectives reach a far corner in a few iterations, not one unit per iteration", () => {
    // Their curvature pairs are refused (sᵀy ≤ 0), so the direction is the unit steepest descent:
    // once moved by at most 1 a step, x − 2y on [0, 3e4] × [0, 4e4] stopped at (0, 1000) after 1000 iterations.
    const linear = minimize(compile("x - 2*y", { vars: ["x", "y"] }), [1, 1], { bounds: [[0, 0], [3e4, 4e4]] });
    expect(linear.converged, linear.reason).toBe(true);
    expect(Array.from(linear.x)).toEqual([0, 4e4]);
    expect(linear.value).toBe(-8e4);
    expect(linear.iterations).toBeLessThanOrEqual(5);
    const concave = minimize(compile("-x^2", { vars: ["x"] }), [0.5], { bounds: [[-1], [1e4]] });
    expect(concave.converged, concave.reason).toBe(true);
    expect(Array.from(concave.x)).toEqual([1e4]);
    expect(concave.iterations).toBeLessThanOrEqual(5);
  });

  it("says what is wrong", () => {
    const f = compile("x^2", { vars: ["x"] });
    expectThrows(() => minimize(f, [2], { bounds: [[0], [1]] }), InputError, /x0\[0\] \(2\) lies outside its bounds \[0, 1\]/);
    expectThrows(() => minimize(f, [0.5], { bounds: [[0], [1]], method: "adam" }), InputError, /bounds are for method "lbfgs"/);
    expectThrows(() => minimize(f, [0.5], { bounds: [[0, 1], [1]] as never }), ShapeError, /bounds\[0\] must have 1 entries/);
  });
});
