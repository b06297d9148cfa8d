// Reverse mode (adjoint sweeps): gradients, Jacobians, vector-Jacobian products
// and linearizations, against independent references — sympy fixtures
// (test/fixtures/first-derivatives.json, tensors.json), closed forms written
// here, and agreement with forward mode (dual numbers, a separate sweep):
//
// * reverse = forward = sympy on every case of both fixture files;
// * non-square Jacobians (m < n and m > n) in every mode, shapes included, and
//   "auto" choosing by JAX's rule (forward when n ≤ m, reverse when m < n);
// * vjp(x, w) = wᵀJ for vector and matrix outputs and several inputs, at one
//   point and in batches (shared and batched cotangents);
// * the dot-product test ⟨J·v, w⟩ = ⟨v, Jᵀ·w⟩ on randomly generated functions
//   (a seeded generator over the grammar, domains kept valid);
// * gradients of 10,000-variable functions against their analytic gradients;
// * linearize(x) against eval, jacobian and J·(y − x) computed here;
// * reverse mode through det, inv and solve.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  compile, fn, InputError, ShapeError, Tensor, div, stack, sub,
  type Func, type Node,
} from "../../bindings/index.js";
import { expectClose, expectIdentical, fixtures, inverse, random } from "../support/helpers.js";
import { FORMS } from "../support/tensor-forms.js";
import { onBothTiers } from "../support/tiers.js";

type Mode = "auto" | "forward" | "reverse" | "fd";
const EXACT_MODES = ["forward", "reverse", "auto"] as const;
const ALL_MODES: readonly Mode[] = ["auto", "forward", "reverse", "fd"];

/** A single-point result (number, Float64Array or Tensor) as a flat array. */
const flat = (r: unknown): number[] =>
  r instanceof Tensor ? Array.from(r.data) : typeof r === "number" ? [r] : Array.from(r as ArrayLike<number>);

/** Σ_i a_i·b_i and Σ_i |a_i·b_i| (the scale a rounding error of the sum is judged against). */
function dot(a: ArrayLike<number>, b: ArrayLike<number>): [number, number] {
  let s = 0, m = 0;
  for (let i = 0; i < a.length; i++) {
    s += a[i] * b[i];
    m += Math.abs(a[i] * b[i]);
  }
  return [s, m];
}

/** J·v for a row-major m×n J, with the magnitudes Σ_j |J_ij·v_j| per row. */
function matVec(J: ArrayLike<number>, m: number, n: number, v: ArrayLike<number>): { value: number[]; scale: number[] } {
  const value: number[] = [], scale: number[] = [];
  for (let i = 0; i < m; i++) {
    const [s, a] = dot(Array.prototype.slice.call(J, i * n, (i + 1) * n) as number[], v);
    value.push(s);
    scale.push(a);
  }
  return { value, scale };
}

/** wᵀ·J for a row-major m×n J, with the magnitudes Σ_i |w_i·J_ij| per column. */
function vecMat(w: ArrayLike<number>, J: ArrayLike<number>, m: number, n: number): { value: number[]; scale: number[] } {
  const value = new Array<number>(n).fill(0), scale = new Array<number>(n).fill(0);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      value[j] += w[i] * J[i * n + j];
      scale[j] += Math.abs(w[i] * J[i * n + j]);
    }
  }
  return { value, scale };
}

/** |got − want| ≤ rel·scale entry by entry (scale: the magnitude of the terms summed into want). */
function expectWithin(got: ArrayLike<number>, want: ArrayLike<number>, scale: ArrayLike<number>, rel: number, label: string): void {
  expect(got.length, `${label}: length`).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const tol = rel * Math.max(scale[i], Math.abs(want[i]), 1e-300);
    const err = Math.abs(got[i] - want[i]);
    if (!(err <= tol)) expect.fail(`${label}[${i}]: got ${got[i]}, want ${want[i]} (error ${err.toExponential(2)} > ${tol.toExponential(2)})`);
  }
}

// ---------------------------------------------------------------------------
// Every case of first-derivatives.json: reverse = forward = sympy
// ---------------------------------------------------------------------------

describe("first-derivatives.json: reverse = forward = sympy (1e-12)", () => {
  for (const c of fixtures.scalar) {
    it(`scalar ${c.name}: ${c.expr}`, () => {
      const f = compile(c.expr, { vars: c.vars });
      c.points.forEach((x, k) => {
        const at = `${c.name} at (${x})`;
        const want = c.grads[k];
        const rev = f.grad(x, { mode: "reverse" }), fwd = f.grad(x, { mode: "forward" });
        expect(rev).toBeInstanceOf(Float64Array);
        expectClose(rev, want, 1e-12, `${at}: reverse grad`);
        expectClose(fwd, want, 1e-12, `${at}: forward grad`);
        expectClose(rev, fwd, 1e-12, `${at}: reverse vs forward`);
        const J = f.jacobian(x, { mode: "reverse" });
        expect(J.shape).toEqual([c.vars.length]);
        expectClose(J.data, want, 1e-12, `${at}: reverse jacobian`);
        expectClose(f.vjp(x, 1), want, 1e-12, `${at}: vjp with w = 1`);
      });
      // a batch of the points, reverse: per point to the bit
      const n = c.vars.length, N = c.points.length;
      const G = f.grad(new Tensor([N, n], Float64Array.from(c.points.flat())), { mode: "reverse" }) as Tensor;
      expect(G.shape).toEqual([N, n]);
      c.points.forEach((x, k) => expectIdentical(G.data.subarray(k * n, (k + 1) * n), f.grad(x, { mode: "reverse" }), `${c.name} batch point ${k}`));
    });
  }

  for (const c of fixtures.vector) {
    it(`vector ${c.name}: [${c.exprs.join(", ")}]`, () => {
      const F = compile(c.exprs, { vars: c.vars });
      const m = c.exprs.length, n = c.vars.length;
      c.points.forEach((x, k) => {
        const at = `${c.name} at (${x})`;
        const want = c.jacobians[k].flat();
        const rev = F.jacobian(x, { mode: "reverse" }), fwd = F.jacobian(x, { mode: "forward" });
        expect(rev.shape).toEqual([m, n]);
        expect(fwd.shape).toEqual([m, n]);
        expectClose(rev.data, want, 1e-12, `${at}: reverse`);
        expectClose(fwd.data, want, 1e-12, `${at}: forward`);
        expectClose(rev.data, fwd.data, 1e-12, `${at}: reverse vs forward`);
      });
      const N = c.points.length;
      const J = F.jacobian(new Tensor([N, n], Float64Array.from(c.points.flat())), { mode: "reverse" });
      expect(J.shape).toEqual([N, m, n]);
      c.points.forEach((x, k) =>
        expectIdentical(J.data.subarray(k * m * n, (k + 1) * m * n), F.jacobian(x, { mode: "reverse" }).data, `${c.name} batch point ${k}`));
    });
  }
});

// ---------------------------------------------------------------------------
// Every case of tensors.json, in reverse mode
// ---------------------------------------------------------------------------

interface TensorCase {
  name: string;
  conditioned: "well" | "ill";
  inputs: { name: string; shape: number[]; value: number[] }[];
  outputShape: number[];
  value: number[];
  jacobians: Record<string, number[]>;
}

const tensorCases = (JSON.parse(readFileSync(new URL("../fixtures/tensors.json", import.meta.url), "utf8")) as { cases: TensorCase[] }).cases;

/** As test/api/tensors.test.ts documents: 1e-12 well conditioned; the 4×4 Hilbert matrix (κ ≈ 1.55e4) 1e-11. */
const EXACT = { well: 1e-12, ill: 1e-11 };

const sizeOf = (shape: readonly number[]) => shape.reduce((p, s) => p * s, 1);
const specOf = (c: TensorCase) => Object.fromEntries(c.inputs.map((i) => [i.name, i.shape]));
const pointOf = (c: TensorCase, values?: Record<string, ArrayLike<number>>): Record<string, Tensor> =>
  Object.fromEntries(c.inputs.map((i) => [i.name, new Tensor(i.shape, Float64Array.from(values?.[i.name] ?? i.value))]));

function builds(c: TensorCase): [string, Func][] {
  const form = FORMS[c.name];
  const all: [string, Func][] = [["fn", fn(specOf(c), form.body)]];
  if (form.expr !== undefined) all.push(["compile", compile(form.expr, { vars: specOf(c) })]);
  return all;
}

/** Jacobians as a record by input name, also for one input. */
function jacobians(f: Func, c: TensorCase, x: unknown, options = {}): Record<string, Tensor> {
  const J = f.jacobian(x as never, options);
  return J instanceof Tensor ? { [c.inputs[0].name]: J } : J;
}

describe("tensors.json: jacobian(p, { mode: \"reverse\" }) against sympy", () => {
  it("every case has a form here", () => {
    expect(tensorCases.map((c) => c.name).sort()).toEqual(Object.keys(FORMS).sort());
  });

  for (const c of tensorCases) {
    it(`${c.name}`, () => {
      const tol = EXACT[c.conditioned];
      const m = sizeOf(c.outputShape);
      for (const [how, f] of builds(c)) {
        const label = `${c.name} (${how})`;
        const x = pointOf(c);
        const rev = jacobians(f, c, x, { mode: "reverse" }), fwd = jacobians(f, c, x, { mode: "forward" });
        expect(Object.keys(rev)).toEqual(c.inputs.map((i) => i.name));
        for (const i of c.inputs) {
          expect(rev[i.name].shape, label).toEqual([...c.outputShape, ...i.shape]);
          expectClose(rev[i.name].data, c.jacobians[i.name], tol, `${label} reverse d/d${i.name}`);
          expectClose(rev[i.name].data, fwd[i.name].data, tol, `${label} reverse vs forward d/d${i.name}`);
          // with wrt: the same block alone
          const only = f.jacobian(x, { wrt: i.name, mode: "reverse" }) as unknown as Tensor;
          if (c.inputs.length > 1) expectIdentical(only.data, rev[i.name].data, `${label} wrt ${i.name}`);
        }
        if (m === 1 && c.outputShape.length === 0) {
          const g = f.grad(x, { mode: "reverse" });
          const byName = c.inputs.length === 1 ? { [c.inputs[0].name]: g } : (g as Record<string, unknown>);
          for (const i of c.inputs) expectClose(flat(byName[i.name]), c.jacobians[i.name], tol, `${label} reverse grad ${i.name}`);
        }
      }
      // batched (every input, then each alone with the others shared): per point to the bit
      const f = builds(c)[0][1];
      const N = 3;
      const nudge = (v: number[], k: number) => v.map((e, q) => e + k * (((q * 5) % 3) - 1) / 16);
      const variants = [c.inputs.map((i) => i.name), ...(c.inputs.length > 1 ? c.inputs.map((i) => [i.name]) : [])];
      for (const batched of variants) {
        const per = Array.from({ length: N }, (_, k) =>
          pointOf(c, Object.fromEntries(c.inputs.map((i) => [i.name, batched.includes(i.name) ? nudge(i.value, k) : i.value]))));
        const xb = Object.fromEntries(c.inputs.map((i) => [i.name, batched.includes(i.name)
          ? new Tensor([N, ...i.shape], Float64Array.from(per.flatMap((p) => Array.from(p[i.name].data))))
          : pointOf(c)[i.name]]));
        const J = jacobians(f, c, xb, { mode: "reverse" });
        for (const i of c.inputs) {
          expect(J[i.name].shape).toEqual([N, ...c.outputShape, ...i.shape]);
          expectIdentical(J[i.name].data, per.flatMap((p) => Array.from(jacobians(f, c, p, { mode: "reverse" })[i.name].data)),
            `${c.name} batched ${batched.join(", ")}: d/d${i.name}`);
        }
      }
    });
  }
});

// ---------------------------------------------------------------------------
// Non-square Jacobians in every mode, and "auto"
// ---------------------------------------------------------------------------

describe("non-square Jacobians", () => {
  /** Tolerance per mode: exact modes 1e-12; central differences 1e-7 relative to max(|J|, 1). */
  const check = (got: ArrayLike<number>, want: ArrayLike<number>, mode: Mode, label: string) =>
    mode === "fd" ? expectClose(got, want, 1e-7, label, 1) : expectClose(got, want, 1e-12, label);

  for (const name of ["nonsquare_2_to_4", "nonsquare_3_to_2"]) {
    const c = fixtures.vector.find((v) => v.name === name)!;
    it(`${name} (m = ${c.exprs.length}, n = ${c.vars.length}): shape [m, n] and sympy's values in every mode`, () => {
      const F = compile(c.exprs, { vars: c.vars });
      const m = c.exprs.length, n = c.vars.length;
      for (const mode of ALL_MODES) {
        c.points.forEach((x, k) => {
          const J = F.jacobian(x, { mode });
          expect(J.shape, `${name} ${mode}`).toEqual([m, n]);
          check(J.data, c.jacobians[k].flat(), mode, `${name} ${mode} at (${x})`);
        });
        const N = c.points.length;
        const Jb = F.jacobian(new Tensor([N, n], Float64Array.from(c.points.flat())), { mode });
        expect(Jb.shape, `${name} ${mode} batch`).toEqual([N, m, n]);
        check(Jb.data, c.jacobians.flat(2), mode, `${name} ${mode} batch`);
      }
    });
  }

  // Wide and tall maps across several lane chunks (MAX_LANES is 16), closed forms:
  // tall T: ℝ³ → ℝ⁴⁰, T_k = sin(k·x0 + x1)·x2² + k·x1; wide W: ℝ⁴⁰ → ℝ³,
  // W = (Σ x_i², Σ (i+1)·sin x_i, x_0·x_39 + Σ exp(x_i/10)).
  const K = 40;
  const tall = fn(3, ([x0, x1, x2]) => Array.from({ length: K }, (_, k) => x0.mul(k).add(x1).sin().mul(x2.pow(2)).add(x1.mul(k))));
  const tallJ = ([x0, x1, x2]: number[]) => Array.from({ length: K }, (_, k) => {
    const s = Math.sin(k * x0 + x1), co = Math.cos(k * x0 + x1);
    return [k * co * x2 * x2, co * x2 * x2 + k, 2 * s * x2];
  }).flat();
  const wide = fn(K, (x) => [
    x.mul(x).sum(),
    x.sin().mul(Tensor.from(Array.from({ length: K }, (_, i) => i + 1))).sum(),
    x[0].mul(x[K - 1]).add(x.div(10).exp().sum()),
  ]);
  const wideJ = (x: number[]) => [
    ...x.map((xi) => 2 * xi),
    ...x.map((xi, i) => (i + 1) * Math.cos(xi)),
    ...x.map((xi, i) => Math.exp(xi / 10) / 10 + (i === 0 ? x[K - 1] : 0) + (i === K - 1 ? x[0] : 0)),
  ];
  const r = random(4242);
  const tallPoints = Array.from({ length: 3 }, () => Array.from({ length: 3 }, () => 4 * r() - 2));
  const widePoints = Array.from({ length: 3 }, () => Array.from({ length: K }, () => 4 * r() - 2));

  it(`tall ℝ³ → ℝ^${K} and wide ℝ^${K} → ℝ³: shapes and closed forms in every mode`, () => {
    for (const mode of ALL_MODES) {
      for (const x of tallPoints) {
        const J = tall.jacobian(x, { mode });
        expect(J.shape).toEqual([K, 3]);
        check(J.data, tallJ(x), mode, `tall ${mode}`);
      }
      for (const x of widePoints) {
        const J = wide.jacobian(x, { mode });
        expect(J.shape).toEqual([3, K]);
        check(J.data, wideJ(x), mode, `wide ${mode}`);
      }
      const Tb = tall.jacobian(new Tensor([3, 3], Float64Array.from(tallPoints.flat())), { mode });
      expect(Tb.shape).toEqual([3, K, 3]);
      check(Tb.data, tallPoints.flatMap(tallJ), mode, `tall ${mode} batch`);
      const Wb = wide.jacobian(new Tensor([3, K], Float64Array.from(widePoints.flat())), { mode });
      expect(Wb.shape).toEqual([3, 3, K]);
      check(Wb.data, widePoints.flatMap(wideJ), mode, `wide ${mode} batch`);
    }
  });

  it("matrix-valued maps of matrices: [...out, ...in] in every mode (m < n and m > n)", () => {
    // F(A) = A·Aᵀ for A 2×3: 4 outputs of 6 inputs; G(A) = Aᵀ·A: 9 outputs of 6.
    // d(AAᵀ)_ij/dA_kl = δ_ik A_jl + δ_jk A_il; d(AᵀA)_ij/dA_kl = δ_jl A_ki + δ_il A_kj.
    const A = [[1.5, -2, 0.5], [3, 0.25, -1]];
    const Af = A.flat();
    const aat: number[] = [], ata: number[] = [];
    for (let i = 0; i < 2; i++) for (let j = 0; j < 2; j++) for (let k = 0; k < 2; k++) for (let l = 0; l < 3; l++) {
      aat.push((i === k ? A[j][l] : 0) + (j === k ? A[i][l] : 0));
    }
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) for (let k = 0; k < 2; k++) for (let l = 0; l < 3; l++) {
      ata.push((j === l ? A[k][i] : 0) + (i === l ? A[k][j] : 0));
    }
    const F = fn({ A: [2, 3] }, ({ A }) => A.matmul(A.transpose()));
    const G = compile("matmul(transpose(A), A)", { vars: { A: [2, 3] } });
    for (const mode of ALL_MODES) {
      const JF = F.jacobian(Af, { mode }) as Tensor, JG = G.jacobian({ A }, { mode }) as Tensor;
      expect(JF.shape).toEqual([2, 2, 2, 3]);
      expect(JG.shape).toEqual([3, 3, 2, 3]);
      check(JF.data, aat, mode, `A·Aᵀ ${mode}`);
      check(JG.data, ata, mode, `Aᵀ·A ${mode}`);
    }
  });
});

describe('mode "auto" follows JAX\'s rule: forward when n ≤ m, reverse when m < n', () => {
  // The choice is not observable, but auto must give the chosen sweep's numbers
  // exactly (it runs that sweep), and both sweeps agree with each other. These
  // functions were picked so that forward and reverse round differently in some
  // entries, so the bit-for-bit comparison tells the two apart.
  const cases: [string, Func, number[]][] = [
    ["m < n (2 of 3)", compile(["x*y*sin(z)*exp(x*z)", "exp(x - z)/(1 + y^2)*cos(x*y*z)"], { vars: ["x", "y", "z"] }), [0.7, -1.3, 2.1]],
    ["m = 1 < n = 5", compile("log(1 + x1^2)*cos(x2*x3) + x4/hypot(x5, 1.5)", { vars: ["x1", "x2", "x3", "x4", "x5"] }), [0.3, 1.1, -0.6, 2.2, 0.9]],
    ["m = n (3)", compile(["x*y*sin(z)*exp(x*z)", "exp(x)*cos(y)*sinh(z*y) + z^2", "x/(1+y^2)*log(1+x^2*z^2) + sqrt(z)"], { vars: ["x", "y", "z"] }), [1.1, 2.3, 0.7]],
    ["m > n (4 of 3)", compile(["x*y*sin(z)*exp(x*z)", "exp(x - z)/(1 + y^2)*cos(x*y*z)", "sin(x*y*z)*cos(x+y+z)",
      "hypot(x*y, z*x)*log(1 + (x*y*z)^2)"], { vars: ["x", "y", "z"] }), [0.7, -1.3, 2.1]],
    ["m > n (3 of 2)", compile(["sin(x*y*exp(x*y))*cos(x*y)", "x*y*x*y*x", "tanh(x*y)*sinh(x*y)"], { vars: ["x", "y"] }), [0.9, -1.7]],
  ];
  for (const [label, F, x] of cases) {
    it(label, () => {
      const fwd = F.jacobian(x, { mode: "forward" }) as Tensor, rev = F.jacobian(x, { mode: "reverse" }) as Tensor;
      const auto = F.jacobian(x) as Tensor, explicit = F.jacobian(x, { mode: "auto" }) as Tensor;
      expectClose(rev.data, fwd.data, 1e-12, `${label}: reverse vs forward`);
      expectClose(auto.data, fwd.data, 1e-12, `${label}: auto vs forward`);
      expectIdentical(explicit.data, auto.data, `${label}: mode "auto" is the default`);
      expectIdentical(auto.data, (F.m < F.n ? rev : fwd).data, `${label}: auto runs ${F.m < F.n ? "reverse" : "forward"}`);
      // a batch decides the same way
      const xb = new Tensor([2, F.n], Float64Array.from([...x, ...x.map((v) => v / 2)]));
      const ab = F.jacobian(xb) as Tensor, want = F.jacobian(xb, { mode: F.m < F.n ? "reverse" : "forward" }) as Tensor;
      expectIdentical(ab.data, want.data, `${label}: batched auto`);
    });
  }
});

describe("a scalar function's jacobian has grad's numbers (DESIGN, Decisions: Shapes of results)", () => {
  // DESIGN: "jacobian → [...out, ...in] (so a scalar function's Jacobian has the input's shape,
  // the same numbers as grad)": the same numbers to the bit, whatever n is (tensors.test.ts checks
  // it at n = 36). Forward and reverse round differently on these functions, so both methods must
  // run the same sweep in "auto" (by JAX's rule, reverse: m = 1 < n).
  const functions: [string, Func, number[]][] = [
    ["n = 5", compile("log(1 + x1^2)*cos(x2*x3) + x4/hypot(x5, 1.5)", { vars: ["x1", "x2", "x3", "x4", "x5"] }), [0.3, 1.1, -0.6, 2.2, 0.9]],
    ["n = 3", compile("x*y*sin(z)*exp(x*z) + exp(x - z)/(1 + y^2)*cos(x*y*z)", { vars: ["x", "y", "z"] }), [0.7, -1.3, 2.1]],
    ["n = 16", fn(16, (x) => x.mul(x.sin()).exp().mul(x.cos()).sum().mul(x[0].mul(x[15]))), Array.from({ length: 16 }, (_, i) => Math.sin(i + 1))],
    ["n = 40", fn(40, (x) => x.mul(x.sin()).exp().mul(x.cos()).sum().mul(x[0].mul(x[39]))), Array.from({ length: 40 }, (_, i) => Math.sin(i + 1))],
  ];
  for (const [label, f, x] of functions) {
    it(label, () => {
      const J = f.jacobian(x) as Tensor;
      expect(J.shape).toEqual([x.length]);
      expectIdentical(J.data, f.grad(x) as Float64Array, `${label}: jacobian = grad`);
      expectClose(J.data, f.grad(x, { mode: "forward" }) as Float64Array, 1e-12, `${label}: jacobian vs forward grad`);
    });
  }
});

// ---------------------------------------------------------------------------
// vjp
// ---------------------------------------------------------------------------

describe("vjp(x, w) = wᵀJ", () => {
  it("vector outputs: wᵀJ from sympy's Jacobian, several cotangents and points", () => {
    for (const c of fixtures.vector) {
      const F = compile(c.exprs, { vars: c.vars });
      const m = c.exprs.length, n = c.vars.length;
      c.points.forEach((x, k) => {
        for (const w of [Array.from({ length: m }, (_, i) => i + 1), Array.from({ length: m }, (_, i) => (i % 2 ? -0.5 : 2.25))]) {
          const want = vecMat(w, c.jacobians[k].flat(), m, n);
          const got = F.vjp(x, w) as Float64Array;
          expect(got).toBeInstanceOf(Float64Array);
          expectWithin(got, want.value, want.scale, 1e-12, `${c.name} vjp at (${x}) w = (${w})`);
          expectWithin(F.vjp(x, w, { mode: "reverse" }) as Float64Array, want.value, want.scale, 1e-12, `${c.name} vjp mode reverse`);
          // and wᵀJ from the library's own forward Jacobian
          const Jf = F.jacobian(x, { mode: "forward" }).data;
          const alt = vecMat(w, Jf, m, n);
          expectWithin(got, alt.value, alt.scale, 1e-12, `${c.name} vjp vs forward Jacobian`);
        }
      });
    }
  });

  it("scalar outputs: the cotangent is a number and vjp(x, w) = w·∇f", () => {
    for (const c of fixtures.scalar.slice(0, 20)) {
      const f = compile(c.expr, { vars: c.vars });
      c.points.forEach((x, k) => {
        const want = c.grads[k].map((g) => -2.5 * g);
        expectClose(f.vjp(x, -2.5) as Float64Array, want, 1e-12, `${c.name} vjp at (${x})`);
      });
    }
  });

  it("every tensors.json case: matrix outputs, several inputs (a record shaped like the inputs)", () => {
    for (const c of tensorCases) {
      const tol = EXACT[c.conditioned];
      const m = sizeOf(c.outputShape);
      const w = Array.from({ length: m }, (_, o) => ((o * 7) % 5) / 2 - 1); // in {−1, −½, 0, ½, 1}
      const cotangent = c.outputShape.length === 0 ? w[0] : new Tensor(c.outputShape, Float64Array.from(w));
      for (const [how, f] of builds(c)) {
        const label = `${c.name} (${how})`;
        const got = f.vjp(pointOf(c), cotangent as never);
        const byName = c.inputs.length === 1 ? { [c.inputs[0].name]: got } : (got as Record<string, unknown>);
        expect(Object.keys(byName)).toEqual(c.inputs.map((i) => i.name));
        for (const i of c.inputs) {
          const g = byName[i.name];
          // shaped like the input: a Float64Array for a vector, a Tensor otherwise
          if (i.shape.length === 1) expect(g, `${label} ${i.name}`).toBeInstanceOf(Float64Array);
          else expect((g as Tensor).shape, `${label} ${i.name}`).toEqual(i.shape);
          const want = vecMat(w, c.jacobians[i.name], m, sizeOf(i.shape));
          expectWithin(flat(g), want.value, want.scale, tol, `${label} vjp ${i.name}`);
        }
      }
    }
  });

  it("batches: shared and batched cotangents give the per-point results bit for bit", () => {
    // a matrix output of two inputs, A batched and B shared
    const c = tensorCases.find((k) => k.name === "sin_matmul_2x2")!;
    const f = fn(specOf(c), FORMS[c.name].body);
    const N = 4;
    const As = Array.from({ length: N }, (_, k) => c.inputs[0].value.map((v, q) => v + (k - 1.5) * (q + 1) / 8));
    const B = c.inputs[1].value;
    const Ws = Array.from({ length: N }, (_, k) => [1, -k, 0.5 * k, 2 - k]);
    const xb = { A: new Tensor([N, 2, 2], Float64Array.from(As.flat())), B };
    const shared = Ws[1];
    const one = f.vjp(xb, new Tensor([2, 2], Float64Array.from(shared))) as Record<string, Tensor>;
    const many = f.vjp(xb, new Tensor([N, 2, 2], Float64Array.from(Ws.flat()))) as Record<string, Tensor>;
    for (const r of [one, many]) {
      expect(r.A.shape).toEqual([N, 2, 2]);
      expect(r.B.shape).toEqual([N, 2, 2]);
    }
    for (let k = 0; k < N; k++) {
      const point = { A: As[k], B };
      const s = f.vjp(point, new Tensor([2, 2], Float64Array.from(shared))) as Record<string, Tensor>;
      const b = f.vjp(point, new Tensor([2, 2], Float64Array.from(Ws[k]))) as Record<string, Tensor>;
      expectIdentical(one.A.data.subarray(4 * k, 4 * k + 4), s.A.data, `shared w: A, point ${k}`);
      expectIdentical(one.B.data.subarray(4 * k, 4 * k + 4), s.B.data, `shared w: B, point ${k}`);
      expectIdentical(many.A.data.subarray(4 * k, 4 * k + 4), b.A.data, `batched w: A, point ${k}`);
      expectIdentical(many.B.data.subarray(4 * k, 4 * k + 4), b.B.data, `batched w: B, point ${k}`);
      // and each equals wᵀJ from the per-point Jacobian
      const J = f.jacobian(point, { mode: "forward" }) as Record<string, Tensor>;
      for (const name of ["A", "B"] as const) {
        const want = vecMat(Ws[k], J[name].data, 4, 4);
        expectWithin(b[name].data, want.value, want.scale, 1e-12, `batched w: ${name} = wᵀJ, point ${k}`);
      }
    }

    // a vector function of one input: [N, n]
    const F = compile(["x*y*sin(z)", "exp(x)*cos(y) + z^2", "x/(1+y^2) + sqrt(z)"], { vars: ["x", "y", "z"] });
    const xs = [[1, 2, 3], [-0.5, 1.5, 0.25], [2, -1, 4]];
    const ws = [[1, 0, 0], [0.5, -2, 1], [0, 0, 3]];
    const X = new Tensor([3, 3], Float64Array.from(xs.flat()));
    const Vs = F.vjp(X, [1, 2, 3]) as Tensor, Vb = F.vjp(X, new Tensor([3, 3], Float64Array.from(ws.flat()))) as Tensor;
    expect(Vs.shape).toEqual([3, 3]);
    expect(Vb.shape).toEqual([3, 3]);
    xs.forEach((x, k) => {
      expectIdentical(Vs.data.subarray(3 * k, 3 * k + 3), F.vjp(x, [1, 2, 3]) as Float64Array, `shared, point ${k}`);
      expectIdentical(Vb.data.subarray(3 * k, 3 * k + 3), F.vjp(x, ws[k]) as Float64Array, `batched, point ${k}`);
    });
  });

  it("out with several inputs (a record result) is refused, as jacobian and hessian refuse it", () => {
    // jacobian and hessian throw InputError ("out holds one array"); vjp must not silently
    // leave the caller's buffer unwritten.
    const g = fn({ A: [2, 2], t: [] }, ({ A, t }) => A.det().mul(t));
    const x = { A: [[1, 2], [3, 4]], t: 2 };
    const r = g.vjp(x, 1) as Record<string, Tensor | number>;
    expectClose((r.A as Tensor).data, [8, -6, -4, 2], 1e-14, "t·cofactors of A"); // (through LU: to rounding)
    expectClose([r.t as number], [-2], 1e-14, "det A");
    expect(() => g.jacobian(x, { out: new Float64Array(5) })).toThrow(InputError);
    expect(() => g.vjp(x, 1, { out: new Float64Array(5) })).toThrow(InputError);
  });

  it("bad cotangents and modes are refused; the function still works afterwards", () => {
    const F = compile(["x*y", "y*z"], { vars: ["x", "y", "z"] });
    expect(() => F.vjp([1, 2, 3], [1, 2, 3])).toThrow(ShapeError); // w has the output's shape [2]
    expect(() => F.vjp([1, 2, 3], new Tensor([2, 2], new Float64Array(4)))).toThrow(ShapeError); // 2 cotangents, one point
    expect(() => F.vjp([1, 2, 3], [1, 2], { mode: "forward" })).toThrow(InputError);
    expect(() => F.vjp([1, 2, 3], [1, 2], { mode: "fd" })).toThrow(InputError);
    expect(Array.from(F.vjp([1, 2, 3], [1, 2]) as Float64Array)).toEqual([2, 1 + 6, 4]); // (y, x + 2z, 2y)
  });
});

// ---------------------------------------------------------------------------
// The dot-product test on random functions
// ---------------------------------------------------------------------------

/**
 * Random expressions of the grammar over `vars`, from a seeded generator. Every
 * template keeps its arguments in the function's domain wherever its operand
 * lands (log(1 + u²), sqrt(1 + u²), asin(tanh(u)/2), …), so every point is valid;
 * abs, min, max and sign have kinks that random points miss with probability 1.
 */
function expressionGenerator(r: () => number, vars: readonly string[]) {
  const unary: ((u: string) => string)[] = [
    (u) => `sin(${u})`, (u) => `cos(${u})`, (u) => `tan(atan(${u})/2)`, (u) => `asin(tanh(${u})/2)`,
    (u) => `acos(tanh(${u})/2)`, (u) => `atan(${u})`, (u) => `sinh(sin(${u}))`, (u) => `cosh(cos(${u}))`,
    (u) => `tanh(${u})`, (u) => `asinh(${u})`, (u) => `acosh(2 + (${u})^2)`, (u) => `atanh(tanh(${u})/2)`,
    (u) => `exp(sin(${u}))`, (u) => `expm1(cos(${u}))`, (u) => `log(1 + (${u})^2)`, (u) => `log1p((${u})^2)`,
    (u) => `log2(1 + (${u})^2)`, (u) => `log10(2 + (${u})^2)`, (u) => `sqrt(1 + (${u})^2)`, (u) => `cbrt(2 + (${u})^2)`,
    (u) => `abs(${u})`, (u) => `-(${u})`, (u) => `(${u})^2`, (u) => `(${u})^3`, (u) => `2.5*(${u})`,
  ];
  const binary: ((a: string, b: string) => string)[] = [
    (a, b) => `(${a}) + (${b})`, (a, b) => `(${a}) - (${b})`, (a, b) => `(${a})*(${b})`,
    (a, b) => `(${a})/(1 + (${b})^2)`, (a, b) => `pow(1 + (${a})^2, sin(${b}))`, (a, b) => `atan2(${a}, 1 + (${b})^2)`,
    (a, b) => `hypot(${a}, 1 + (${b})^2)`, (a, b) => `min(${a}, ${b})`, (a, b) => `max(${a}, ${b})`,
    (a, b) => `sign(${a})*(${b})`,
  ];
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
  const leaf = () => (r() < 0.85 ? pick(vars) : (Math.round(r() * 40) / 8 - 2.5).toString());
  const expr = (depth: number): string => {
    if (depth === 0 || r() < 0.15) return leaf();
    return r() < 0.5 ? pick(unary)(expr(depth - 1)) : pick(binary)(expr(depth - 1), expr(depth - 1));
  };
  return expr;
}

describe("dot-product test ⟨J·v, w⟩ = ⟨v, Jᵀ·w⟩ on random functions", () => {
  const shapes: [number, number][] = [[1, 1], [1, 3], [2, 1], [3, 3], [5, 2], [2, 7], [8, 4], [17, 3], [3, 17], [40, 5], [6, 20]];
  for (const [n, m] of shapes) {
    it(`n = ${n} inputs, m = ${m} outputs (seeded)`, () => {
      const r = random(1000 * n + m);
      const vars = Array.from({ length: n }, (_, i) => `x${i}`);
      const gen = expressionGenerator(r, vars);
      for (let trial = 0; trial < 4; trial++) {
        // each output: a sum of two random trees, plus one variable so no output is constant
        const exprs = Array.from({ length: m }, (_, i) => `(${gen(4)}) + (${gen(3)}) + 0.5*${vars[(i + trial) % n]}`);
        const F = compile(exprs, { vars });
        for (let p = 0; p < 3; p++) {
          const label = `trial ${trial} point ${p}: [${exprs.join(", ")}]`;
          const x = Array.from({ length: n }, () => 4 * r() - 2);
          const v = Array.from({ length: n }, () => 2 * r() - 1);
          const w = Array.from({ length: m }, () => 2 * r() - 1);
          const jv = flat(F.jvp(x, v)), vjp = flat(F.vjp(x, w));
          expect(jv.length).toBe(m);
          expect(vjp.length).toBe(n);
          const [lhs] = dot(jv, w), [rhs] = dot(v, vjp);
          // the scale of the contraction: Σ_ij |w_i·J_ij·v_j| (J from forward mode, only for the scale)
          const J = F.jacobian(x, { mode: "forward" }).data;
          let scale = 0;
          for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) scale += Math.abs(w[i] * J[i * n + j] * v[j]);
          expect(Number.isFinite(lhs) && Number.isFinite(rhs), label).toBe(true);
          expect(scale, `${label}: a non-trivial Jacobian`).toBeGreaterThan(0);
          const err = Math.abs(lhs - rhs);
          if (!(err <= 1e-12 * scale)) expect.fail(`${label}: ⟨Jv, w⟩ = ${lhs}, ⟨v, Jᵀw⟩ = ${rhs} (error ${err.toExponential(2)}, scale ${scale.toExponential(2)})`);
          // and the reverse Jacobian agrees with the forward one entry by entry
          expectClose(F.jacobian(x, { mode: "reverse" }).data, J, 1e-12, `${label}: reverse vs forward Jacobian`);
        }
        // a batch of points with batched v and w: the same identity per point
        const N = 5;
        const X = Float64Array.from({ length: N * n }, () => 4 * r() - 2);
        const V = Float64Array.from({ length: N * n }, () => 2 * r() - 1);
        const W = Float64Array.from({ length: N * m }, () => 2 * r() - 1);
        const JV = F.jvp(new Tensor([N, n], X), new Tensor([N, n], V)) as Tensor;
        const VJ = F.vjp(new Tensor([N, n], X), new Tensor([N, m], W)) as Tensor;
        expect(JV.shape).toEqual([N, m]);
        expect(VJ.shape).toEqual([N, n]);
        const Jb = F.jacobian(new Tensor([N, n], X), { mode: "forward" }).data;
        for (let k = 0; k < N; k++) {
          const [lhs] = dot(JV.data.subarray(k * m, (k + 1) * m), W.subarray(k * m, (k + 1) * m));
          const [rhs] = dot(V.subarray(k * n, (k + 1) * n), VJ.data.subarray(k * n, (k + 1) * n));
          let scale = 0;
          for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) scale += Math.abs(W[k * m + i] * Jb[k * m * n + i * n + j] * V[k * n + j]);
          if (!(Math.abs(lhs - rhs) <= 1e-12 * scale)) expect.fail(`trial ${trial} batch point ${k}: ${lhs} vs ${rhs} (scale ${scale})`);
        }
      }
    });
  }
});

// ---------------------------------------------------------------------------
// 10,000 variables
// ---------------------------------------------------------------------------

describe("gradients of 10,000-variable functions", () => {
  const N = 10_000;
  const r = random(10_000);
  const x = Float64Array.from({ length: N }, () => 1 + (r() - 0.5)); // around the minimum, in [0.5, 1.5)

  it("extended Rosenbrock Σ 100(x_{i+1} − x_i²)² + (1 − x_i)², built with slice, sub, pow, mul, sum", () => {
    const f = fn(N, (x) => {
      const a = x.slice([0], [N - 1]), b = x.slice([1], [N]);
      return b.sub(a.pow(2)).pow(2).mul(100).add(a.neg().add(1).pow(2)).sum();
    });
    let value = 0;
    const g = new Float64Array(N);
    for (let i = 0; i + 1 < N; i++) {
      const d = x[i + 1] - x[i] * x[i];
      value += 100 * d * d + (1 - x[i]) ** 2;
      g[i] += -400 * x[i] * d - 2 * (1 - x[i]);
      g[i + 1] += 200 * d;
    }
    expectClose([f.eval(x) as number], [value], 1e-12, "value");
    const rev = f.grad(x, { mode: "reverse" }) as Float64Array;
    expect(rev.length).toBe(N);
    expectClose(rev, g, 1e-12, "reverse grad");
    expectClose(f.grad(x) as Float64Array, g, 1e-12, "auto grad");
    const J = f.jacobian(x);
    expect(J.shape).toEqual([N]);
    expectClose(J.data, g, 1e-12, "auto jacobian");
    expectClose(f.vjp(x, 1) as Float64Array, g, 1e-12, "vjp");
    // a batch of two points: per point to the bit
    const y = x.map((v, i) => v + ((i % 7) - 3) / 64);
    const G = f.grad(new Tensor([2, N], Float64Array.from([...x, ...y])), { mode: "reverse" }) as Tensor;
    expect(G.shape).toEqual([2, N]);
    expectIdentical(G.data.subarray(0, N), rev, "batch point 0");
    expectIdentical(G.data.subarray(N), f.grad(y, { mode: "reverse" }) as Float64Array, "batch point 1");
  });

  it("Σ sin(i·x_i)·x_{i+1} (i from 1), built with slice, a constant vector, sin, mul, sum", () => {
    const idx = Tensor.from(Array.from({ length: N - 1 }, (_, i) => i + 1));
    const f = fn(N, (x) => x.slice([0], [N - 1]).mul(idx).sin().mul(x.slice([1], [N])).sum());
    let value = 0;
    const g = new Float64Array(N);
    for (let i = 0; i + 1 < N; i++) {
      const k = i + 1;
      value += Math.sin(k * x[i]) * x[i + 1];
      g[i] += k * Math.cos(k * x[i]) * x[i + 1];
      g[i + 1] += Math.sin(k * x[i]);
    }
    // sin(k·x) for k up to 10⁴ loses about k·x·ε relative to its argument's rounding
    // (k·x is rounded before sin sees it; here and in the library alike), so the
    // reference and the library share that input, and agree to rounding.
    expectClose([f.eval(x) as number], [value], 1e-11, "value");
    expectClose(f.grad(x, { mode: "reverse" }) as Float64Array, g, 1e-12, "reverse grad");
    expectClose(f.grad(x) as Float64Array, g, 1e-12, "auto grad");
    expectClose(f.jacobian(x).data, g, 1e-12, "auto jacobian");
  });
});

// ---------------------------------------------------------------------------
// Runs: an elementwise op over a whole vector is one instruction (a run); a
// scalar operand is broadcast over the run, and a long sum adds a range of slots
// ---------------------------------------------------------------------------

describe("runs with a broadcast scalar operand, and long sums: closed-form gradients", () => {
  const n = 41; // odd: the SIMD loops' scalar tail runs too
  const r = random(41);
  // Each case: the builder body, and f and ∇f at x written out here.
  const cases: { name: string; body: (x: Node) => Node; value: (x: Float64Array) => number; grad: (x: Float64Array) => number[] }[] = [
    { name: "Σ (x + 2.5)²", body: (x) => x.add(2.5).mul(x.add(2.5)).sum(),
      value: (x) => sumOf(x, (v) => (v + 2.5) ** 2), grad: (x) => Array.from(x, (v) => 2 * (v + 2.5)) },
    { name: "Σ (3 − x)·x", body: (x) => sub(3, x).mul(x).sum(),
      value: (x) => sumOf(x, (v) => (3 - v) * v), grad: (x) => Array.from(x, (v) => 3 - 2 * v) },
    { name: "Σ (x − 0.5)·x", body: (x) => x.sub(0.5).mul(x).sum(),
      value: (x) => sumOf(x, (v) => (v - 0.5) * v), grad: (x) => Array.from(x, (v) => 2 * v - 0.5) },
    { name: "Σ 7/x", body: (x) => div(7, x).sum(),
      value: (x) => sumOf(x, (v) => 7 / v), grad: (x) => Array.from(x, (v) => -7 / (v * v)) },
    { name: "Σ (x/4)·x", body: (x) => x.div(4).mul(x).sum(),
      value: (x) => sumOf(x, (v) => (v / 4) * v), grad: (x) => Array.from(x, (v) => v / 2) },
    { name: "Σ 1.5·x³ (x·1.5 then twice ·x)", body: (x) => x.mul(1.5).mul(x).mul(x).sum(),
      value: (x) => sumOf(x, (v) => 1.5 * v ** 3), grad: (x) => Array.from(x, (v) => 4.5 * v * v) },
    { name: "x₀·Σ x (a computed scalar broadcast)", body: (x) => x.mul(x.at(0)).sum(),
      value: (x) => x[0] * sumOf(x, (v) => v), grad: (x) => Array.from(x, (v, i) => (i === 0 ? sumOf(x, (u) => u) + x[0] : x[0])) },
    { name: "Σ x/x₀ (a computed divisor broadcast)", body: (x) => x.div(x.at(0)).sum(),
      value: (x) => sumOf(x, (v) => v / x[0]),
      grad: (x) => Array.from(x, (v, i) => (i === 0 ? 1 / x[0] - sumOf(x, (u) => u) / (x[0] * x[0]) : 1 / x[0])) },
  ];
  const points = Array.from({ length: 5 }, () => Float64Array.from({ length: n }, () => 0.5 + 1.5 * r()));

  for (const c of cases) {
    it(`${c.name}: value and gradient in every mode, one point and a batch (1e-12)`, () => {
      const f = fn(n, c.body);
      for (const x of points) {
        expectClose([f.eval(x) as number], [c.value(x)], 1e-12, `${c.name}: value`);
        for (const mode of EXACT_MODES) expectClose(f.grad(x, { mode }) as Float64Array, c.grad(x), 1e-12, `${c.name}: ${mode} grad`);
      }
      // 5 points: blocks of several points, the last part-filled
      const batch = new Tensor([points.length, n], Float64Array.from(points.flatMap((p) => [...p])));
      const G = f.grad(batch, { mode: "reverse" }) as Tensor;
      points.forEach((x, p) => expectClose(G.data.subarray(p * n, (p + 1) * n), c.grad(x), 1e-12, `${c.name}: batch point ${p}`));
      expectClose(flat(f.eval(batch)), points.map(c.value), 1e-12, `${c.name}: batch values`);
    });
  }

  it("all cases as one vector function: its reverse Jacobian (several cotangent lanes) has their gradients as rows", () => {
    const f = fn(n, (x) => stack(cases.map((c) => c.body(x))));
    for (const x of points) {
      const J = f.jacobian(x, { mode: "reverse" });
      expect(J.shape).toEqual([cases.length, n]);
      cases.forEach((c, i) => expectClose(J.data.subarray(i * n, (i + 1) * n), c.grad(x), 1e-12, `${c.name}: Jacobian row`));
    }
  });
});

function sumOf(x: Float64Array, term: (v: number) => number): number {
  let s = 0;
  for (const v of x) s += term(v);
  return s;
}

// ---------------------------------------------------------------------------
// linearize
// ---------------------------------------------------------------------------

describe("linearize(x): value, Jacobian, apply and tangent", () => {
  it("vector functions (sympy Jacobians): apply(y) = f(x) + J(y − x), tangent(v) = J·v", () => {
    for (const name of ["benchmark_3d", "nonsquare_2_to_4", "nonsquare_3_to_2", "polar_to_cartesian"]) {
      const c = fixtures.vector.find((v) => v.name === name)!;
      const F = compile(c.exprs, { vars: c.vars });
      const m = c.exprs.length, n = c.vars.length;
      c.points.forEach((x, k) => {
        const label = `${name} at (${x})`;
        for (const mode of EXACT_MODES) {
          const lin = F.linearize(x, { mode });
          expectIdentical(lin.value, F.eval(x), `${label} ${mode}: value = eval`);
          expectIdentical(lin.jacobian.data, F.jacobian(x, { mode }).data, `${label} ${mode}: jacobian = jacobian`);
          expect(lin.jacobian.shape).toEqual([m, n]);
          expectClose(lin.jacobian.data, c.jacobians[k].flat(), 1e-12, `${label} ${mode}: jacobian vs sympy`);
          expectIdentical(lin.apply(x), lin.value, `${label} ${mode}: apply(x) = value`);
          const J = c.jacobians[k].flat();
          for (const d of [[0.5, -1, 0.25], [1e-3, 2e-3, -1e-3], [3, 0, -2]]) {
            const step = d.slice(0, n);
            const y = x.map((xi, i) => xi + step[i]);
            const Jd = matVec(J, m, n, y.map((yi, i) => yi - x[i]));
            const want = Jd.value.map((s, i) => c.values[k][i] + s);
            const scale = Jd.scale.map((s, i) => s + Math.abs(c.values[k][i]));
            const ap = lin.apply(y) as Float64Array;
            expect(ap).toBeInstanceOf(Float64Array);
            expectWithin(ap, want, scale, 1e-12, `${label} ${mode}: apply(${y})`);
            const v = step.map((s) => 2 * s);
            const Jv = matVec(J, m, n, v);
            expectWithin(lin.tangent(v) as Float64Array, Jv.value, Jv.scale, 1e-12, `${label} ${mode}: tangent(${v})`);
          }
        }
      });
    }
  });

  it("a scalar function: numbers out; the Jacobian is the gradient", () => {
    const c = fixtures.scalar.find((s) => s.name === "mixed_three_vars")!;
    const f = compile(c.expr, { vars: c.vars });
    c.points.forEach((x, k) => {
      const lin = f.linearize(x);
      expect(typeof lin.value).toBe("number");
      expectClose([lin.value as number], [c.values[k]], 1e-12, "value");
      expect(lin.jacobian.shape).toEqual([3]);
      expectClose(lin.jacobian.data, c.grads[k], 1e-12, "jacobian = grad");
      expect(lin.apply(x)).toBe(lin.value);
      const v = [1, -2, 0.5];
      const [gv, gs] = dot(c.grads[k], v);
      expectWithin([lin.tangent(v) as number], [gv], [gs], 1e-12, "tangent");
      const y = x.map((xi, i) => xi + v[i] / 4);
      const [gd, gds] = dot(c.grads[k], v.map((vi) => vi / 4));
      expectWithin([lin.apply(y) as number], [c.values[k] + gd], [gds + Math.abs(c.values[k])], 1e-12, "apply");
    });
  });

  it("several inputs and a matrix output: records in, Tensors shaped like the output out", () => {
    const c = tensorCases.find((k) => k.name === "matmul_2x3_3x2")!;
    const f = fn(specOf(c), FORMS[c.name].body);
    const x = Object.fromEntries(c.inputs.map((i) => [i.name, i.value]));
    for (const mode of EXACT_MODES) {
      const lin = f.linearize(x, { mode });
      expect((lin.value as Tensor).shape).toEqual([2, 2]);
      expectClose((lin.value as Tensor).data, c.value, 1e-12, `${mode} value`);
      const J = lin.jacobian as Record<string, Tensor>;
      expect(J.A.shape).toEqual([2, 2, 2, 3]);
      expect(J.B.shape).toEqual([2, 2, 3, 2]);
      expectClose(J.A.data, c.jacobians.A, 1e-12, `${mode} d/dA`);
      expectClose(J.B.data, c.jacobians.B, 1e-12, `${mode} d/dB`);
      expectIdentical((lin.apply(x) as Tensor).data, (lin.value as Tensor).data, `${mode} apply(x) = value`);
      const dA = [0.5, -1, 0.25, 0, 2, -0.5], dB = [1, 0, -1, 0.5, 0.25, -2];
      const y = { A: c.inputs[0].value.map((a, q) => a + dA[q]), B: c.inputs[1].value.map((b, q) => b + dB[q]) };
      const viaA = matVec(c.jacobians.A, 4, 6, dA), viaB = matVec(c.jacobians.B, 4, 6, dB);
      const tangent = viaA.value.map((s, o) => s + viaB.value[o]);
      const scale = viaA.scale.map((s, o) => s + viaB.scale[o]);
      const ap = lin.apply(y) as Tensor;
      expect(ap.shape).toEqual([2, 2]);
      expectWithin(ap.data, tangent.map((t, o) => c.value[o] + t), scale.map((s, o) => s + Math.abs(c.value[o])), 1e-12, `${mode} apply`);
      const tg = lin.tangent({ A: dA, B: dB }) as Tensor;
      expect(tg.shape).toEqual([2, 2]);
      expectWithin(tg.data, tangent, scale, 1e-12, `${mode} tangent`);
      // f is bilinear: f(y) = f(x) + J(y − x) + (ΔA·ΔB), so apply misses exactly ΔA·ΔB
      const exact = (f.eval(y) as Tensor).data;
      const dAdB = [0, 1].flatMap((i) => [0, 1].map((j) => [0, 1, 2].reduce((s, t) => s + dA[i * 3 + t] * dB[t * 2 + j], 0)));
      expectClose(Array.from(exact, (e, o) => e - ap.data[o]), dAdB, 1e-12, `${mode} f(y) − apply(y) = ΔA·ΔB`, 1);
    }
  });

  it("a batch is refused (linearize takes one point), and so are wrong shapes; then it still works", () => {
    const F = compile(["x*y", "sin(y)"], { vars: ["x", "y"] });
    expect(() => F.linearize(new Tensor([2, 2], new Float64Array(4)) as never)).toThrow(ShapeError);
    const lin = F.linearize([1, 2]);
    expect(() => lin.apply([1, 2, 3])).toThrow(ShapeError);
    expect(() => lin.tangent([1])).toThrow(ShapeError);
    expect(Array.from(lin.tangent([1, 0]) as Float64Array)).toEqual([2, 0]); // ∂/∂x = (y, 0)
  });

  it("a function of no inputs: its value everywhere, and a zero tangent", () => {
    const scalar = compile("3").linearize([]);
    expect([scalar.apply([]), scalar.tangent([])]).toEqual([3, 0]);
    const vector = compile(["3", "4"]).linearize([]);
    expect(Array.from(vector.apply([]) as Float64Array)).toEqual([3, 4]);
    expect(Array.from(vector.tangent([]) as Float64Array)).toEqual([0, 0]);
  });
});

// ---------------------------------------------------------------------------
// Reverse mode through det, inv and solve
// ---------------------------------------------------------------------------

describe('mode "reverse" through det, inv and solve', () => {
  const A4 = [[4, 1, -0.5, 0.25], [1, 3, 0.5, -1], [-0.5, 0.5, 5, 1], [0.25, -1, 1, 2.5]];
  const A4b = A4.map((row, i) => row.map((v, j) => v + (i === j ? 0.5 : (i - j) / 8)));
  const b4 = [1, -2, 0.5, 3];

  it("results of inv and solve that nothing reads keep their slots (their reverse rules read every result), fused runs or not", () => {
    // Only 3 of inv(X)'s 4 entries, and 1 of solve's 2, are used; an elementwise
    // chain (fused) follows, and its first run once took the unused slot.
    const x = Float64Array.from({ length: 12 }, (_, i) => 0.7 + 0.9 * Math.sin(i + 1) ** 2 + (i % 5 === 0 ? 2 : 0));
    const forms: [string, (x: Node) => Node][] = [
      ["inv", (x) => {
        const Y = x.slice([0], [4]).reshape([2, 2]).inv();
        return Y.get(0, 0).add(Y.get(0, 1)).add(Y.get(1, 0)).add(x.mul(x).add(1).sqrt().mul(x).sum());
      }],
      ["solve", (x) => {
        const s = x.slice([0], [4]).reshape([2, 2]).solve(x.slice([4], [6]));
        return s.get(0).add(x.mul(x).add(1).sqrt().mul(x).sum());
      }],
    ];
    for (const [label, body] of forms) {
      const f = fn(12, body), F = fn(12, (x) => stack([body(x), x.sum()]));
      const forward = f.grad(x, { mode: "forward" }) as Float64Array;
      expectClose(f.grad(x, { mode: "reverse" }) as Float64Array, forward, 1e-12, `${label}: reverse (fused)`);
      f.grad(new Tensor([5, 12], Float64Array.from({ length: 60 }, (_, k) => x[k % 12] * (1 + k / 100))), { mode: "reverse" });
      expectClose(f.grad(x, { mode: "reverse" }) as Float64Array, forward, 1e-12, `${label}: reverse after a batch`);
      expectClose(F.jacobian(x, { mode: "reverse" }).data.subarray(0, 12), forward, 1e-12, `${label}: interpreted (two lanes)`);
    }
  });

  it("∇ log det A = A⁻ᵀ (closed form, A⁻¹ by Gauss–Jordan here), reverse and forward", () => {
    const f = fn({ A: [4, 4] }, ({ A }) => A.det().log());
    for (const A of [A4, A4b]) {
      const X = inverse(A);
      const want = A.flatMap((_, i) => A.map((__, j) => X[j][i]));
      for (const mode of EXACT_MODES) expectClose((f.grad(A.flat(), { mode }) as Tensor).data, want, 1e-12, `∇ log det, ${mode}`);
    }
  });

  const cases: [string, Func, Record<string, number[]>][] = [
    ["det(inv(A) + Aᵀ)·trace(A)", fn({ A: [4, 4] }, ({ A }) => A.inv().add(A.transpose()).det().mul(A.trace())), { A: A4.flat() }],
    ["solve(A, b)·det(A): 4 of 20 inputs", fn({ A: [4, 4], b: 4 }, ({ A, b }) => A.solve(b).mul(A.det())), { A: A4.flat(), b: b4 }],
    ["solve(A, inv(B)) + A·B: 16 of 32", fn({ A: [4, 4], B: [4, 4] }, ({ A, B }) => A.solve(B.inv()).add(A.matmul(B))), { A: A4.flat(), B: A4b.flat() }],
    ["sin(inv(A))·b, compiled", compile("matmul(sin(inv(A)), b)", { vars: { A: [4, 4], b: [4] } }), { A: A4b.flat(), b: b4 }],
    ["det(A)^2 / (1 + ‖solve(A, b)‖²), compiled", compile("det(A)^2/(1 + dot(solve(A, b), solve(A, b)))", { vars: { A: [4, 4], b: [4] } }), { A: A4.flat(), b: b4 }],
  ];
  for (const [label, f, x] of cases) {
    it(`${label}: reverse = forward (1e-12), batches per point to the bit`, () => {
      const rev = f.jacobian(x, { mode: "reverse" }) as Record<string, Tensor> | Tensor;
      const fwd = f.jacobian(x, { mode: "forward" }) as Record<string, Tensor> | Tensor;
      const R = rev instanceof Tensor ? { A: rev } : rev, Fw = fwd instanceof Tensor ? { A: fwd } : fwd;
      for (const name of Object.keys(Fw)) {
        expect(R[name].shape).toEqual(Fw[name].shape);
        expectClose(R[name].data, Fw[name].data, 1e-12, `${label}: d/d${name}`);
        expectClose(f.jacobian(x, { mode: "fd", wrt: f.inputs.length > 1 ? name : undefined }).data as Float64Array,
          Fw[name].data, 1e-6, `${label}: fd d/d${name}`, 1);
      }
      // two points, A batched (the rest shared)
      const A2 = new Tensor([2, 4, 4], Float64Array.from([...x.A, ...x.A.map((v, q) => v + ((q % 5) - 2) / 32)]));
      const xb = { ...x, A: A2 };
      const Jb = f.jacobian(f.inputs.length > 1 ? xb : A2, { mode: "reverse" }) as Record<string, Tensor> | Tensor;
      const B = Jb instanceof Tensor ? { A: Jb } : Jb;
      for (let k = 0; k < 2; k++) {
        const xk = { ...x, A: Array.from(A2.data.subarray(16 * k, 16 * k + 16)) };
        const Jk = f.jacobian(f.inputs.length > 1 ? xk : xk.A, { mode: "reverse" }) as Record<string, Tensor> | Tensor;
        const K = Jk instanceof Tensor ? { A: Jk } : Jk;
        for (const name of Object.keys(K)) {
          const size = K[name].data.length;
          expect(B[name].shape).toEqual([2, ...K[name].shape]);
          expectIdentical(B[name].data.subarray(k * size, (k + 1) * size), K[name].data, `${label}: batch point ${k} d/d${name}`);
        }
      }
    });
  }
});

describe("dot products in reverse mode: the products' adjoints are their sum's (adjoint-plan.ts READS_SUM)", () => {
  // f(x, A, s) = Σ_k (A_k · x)² + (s · Σ_j x_j)² + Σ_k r_k², r_k = Σ_j A_kj²: each A_k · x is a run
  // of products summed by the sum right after it, as is x·s (s broadcast); A² is one run whose
  // rows the K sums after it take (k-means' form). Closed forms:
  //   ∂f/∂x_j = 2 Σ_k (A_k·x) A_kj + 2 (sΣx) s,  ∂f/∂A_kj = 2 (A_k·x) x_j + 4 r_k A_kj,  ∂f/∂s = 2 (sΣx) Σx
  const d = 12, K = 3;
  const make = () => fn({ x: [d], A: [K, d], s: [] }, ({ x, A, s }) => {
    const terms = [];
    for (let k = 0; k < K; k++) terms.push(A.at(k).dot(x).pow(2));
    return stack(terms).sum().add(x.mul(s).sum().pow(2)).add(A.pow(2).sum(1).pow(2).sum());
  });
  const A = Float64Array.from({ length: K * d }, (_, i) => Math.sin(0.7 * i + 0.2));
  const s = 0.75;
  const pointX = (p: number) => Float64Array.from({ length: d }, (_, j) => Math.cos(0.3 * j + p) + p / 8);
  function closedForm(x: Float64Array) {
    const gx = new Float64Array(d), gA = new Float64Array(K * d);
    let sx = 0;
    for (let j = 0; j < d; j++) sx += x[j];
    for (let k = 0; k < K; k++) {
      let ax = 0;
      for (let j = 0; j < d; j++) ax += A[k * d + j] * x[j];
      let r = 0;
      for (let j = 0; j < d; j++) r += A[k * d + j] ** 2;
      for (let j = 0; j < d; j++) { gx[j] += 2 * ax * A[k * d + j]; gA[k * d + j] = 2 * ax * x[j] + 4 * r * A[k * d + j]; }
    }
    for (let j = 0; j < d; j++) gx[j] += 2 * s * sx * s;
    return { x: gx, A: gA, s: 2 * s * sx * sx };
  }
  for (const P of [1, 2, 5]) {
    it(`${P} point${P > 1 ? "s" : ""}, each input's gradient against the closed form, both tiers to the bit`, () => {
      const X = new Float64Array(P * d);
      for (let p = 0; p < P; p++) X.set(pointX(p), p * d);
      onBothTiers(make, (f) => {
        const at = { x: P === 1 ? X : new Tensor([P, d], X), A: new Tensor([K, d], A), s };
        const g = f.grad(at, { wrt: ["x", "A", "s"] }) as Record<string, Tensor | Float64Array | number>;
        const data = (v: Tensor | Float64Array | number) => (v instanceof Tensor ? v.data : typeof v === "number" ? [v] : v);
        const sum = { x: new Float64Array(d), A: new Float64Array(K * d), s: 0 };
        for (let p = 0; p < P; p++) {
          const want = closedForm(X.subarray(p * d, (p + 1) * d));
          const gx = data(g.x), gA = data(g.A), gs = data(g.s);
          expectClose(gx.slice(p * d, (p + 1) * d), want.x, 1e-13, `point ${p}: d/dx`);
          expectClose(gA.slice(p * K * d, (p + 1) * K * d), want.A, 1e-13, `point ${p}: d/dA`);
          expectClose([gs[p]], [want.s], 1e-13, `point ${p}: d/ds`);
          want.x.forEach((v, j) => { sum.x[j] += v; });
          want.A.forEach((v, j) => { sum.A[j] += v; });
          sum.s += want.s;
        }
        // summed over the points in the sweep (shared inputs' adjoints accumulated as it goes)
        const r = f.grad({ ...at, x: new Tensor([P, d], X) }, { wrt: ["A", "s"], reduce: "sum" }) as Record<string, Tensor | number>;
        expectClose(data(r.A), sum.A, 1e-13, "Σ d/dA");
        expectClose(data(r.s), [sum.s], 1e-13, "Σ d/ds");
      });
    });
  }
});
