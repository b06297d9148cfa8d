// Tensors in and out: derivatives of matrix- and tensor-valued functions of
// matrix, vector and tensor inputs, shaped [...output, ...input] (JAX's
// convention), against sympy references (test/fixtures/tensors.json, made by
// test/fixtures/generate_tensors.py). Every case is built twice — traced with
// `fn` and, where the grammar can say it, compiled from a string — and checked
// for shapes, values, finite differences, batches (one input batched, others
// shared) and Jacobian-vector products. Then Jacobian determinants, and bad
// input: wrong shapes and names, non-square and mismatched matrices, singular
// matrices.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  compile, fn, GradientsError, InputError, matmul, ParseError, ShapeError, Tensor,
  type Func,
} from "../../bindings/index.js";
import { expectClose, expectIdentical, expectThrows } from "../support/helpers.js";
import { FORMS } from "../support/tensor-forms.js";

// ---------------------------------------------------------------------------
// Fixtures and how each case is built
// ---------------------------------------------------------------------------

interface TensorCase {
  name: string;
  /** "ill": an ill-conditioned matrix, checked against looser (documented) bounds. */
  conditioned: "well" | "ill";
  inputs: { name: string; shape: number[]; value: number[] }[];
  outputShape: number[];
  value: number[];
  /** By input name: d(output)/d(input), shape [...outputShape, ...inputShape], flat row-major. */
  jacobians: Record<string, number[]>;
}

const cases = (JSON.parse(readFileSync(new URL("../fixtures/tensors.json", import.meta.url), "utf8")) as { cases: TensorCase[] }).cases;

function fixture(name: string): TensorCase {
  const c = cases.find((k) => k.name === name);
  if (!c) throw new Error(`no fixture ${name}`);
  return c;
}

/**
 * Relative tolerances (helpers' expectClose: relative to each entry, with a floor
 * of 1e-3 of the array's largest entry). Well-conditioned cases: 1e-12 exact, 1e-6
 * finite differences. The 4×4 Hilbert matrix has condition number κ ≈ 1.55e4, so
 * LU loses about κ·ε ≈ 3e-12 relative (measured: 1e-13): 1e-11. Its central
 * differences (step ≈ ε^(1/3)·max(|a|, 1) ≈ 6e-6) carry a truncation error of
 * about (step·‖A⁻¹‖)² ≈ 2e-3 (measured: 1.5e-3): 1e-2.
 */
const EXACT = { well: 1e-12, ill: 1e-11 };
const FD = { well: 1e-6, ill: 1e-2 };

const sizeOf = (shape: readonly number[]) => shape.reduce((p, s) => p * s, 1);
const specOf = (c: TensorCase) => Object.fromEntries(c.inputs.map((i) => [i.name, i.shape]));

/** The case as a Func: traced with fn, or compiled from its string. */
function build(c: TensorCase, how: "fn" | "compile"): Func {
  const form = FORMS[c.name];
  return how === "fn" ? fn(specOf(c), form.body) : compile(form.expr!, { vars: specOf(c) });
}

/** Builds available for a case: fn always, compile where the grammar can say it. */
function builds(c: TensorCase): ["fn" | "compile", Func][] {
  const all: ["fn" | "compile", Func][] = [["fn", build(c, "fn")]];
  if (FORMS[c.name].expr !== undefined) all.push(["compile", build(c, "compile")]);
  return all;
}

/** The fixture point as a record of Tensors by input name (one point: each Tensor has the input's rank). */
function pointOf(c: TensorCase, values?: Record<string, number[]>): Record<string, Tensor> {
  return Object.fromEntries(c.inputs.map((i) => [i.name, new Tensor(i.shape, Float64Array.from(values?.[i.name] ?? i.value))]));
}

/** A single-point result (number, Float64Array or Tensor) as a flat array. */
const flat = (r: unknown): number[] => (r instanceof Tensor ? Array.from(r.data) : typeof r === "number" ? [r] : Array.from(r as Float64Array));

/** Jacobians as a record by input name, also for a function of one input (which returns one Tensor). */
function jacobians(f: Func, c: TensorCase, x: unknown, options = {}): Record<string, Tensor> {
  const J = f.jacobian(x as never, options);
  return J instanceof Tensor ? { [c.inputs[0].name]: J } : J;
}

/** A fixed small perturbation pattern (multiples of 1/16) for the k-th point of a batch. */
const nudge = (value: number[], k: number) => value.map((v, i) => v + k * (((i * 5) % 3) - 1) / 16);

/** A fixed tangent pattern: entries in {−1/2, −1/4, 0, 1/4, 1/2}. */
const tangentOf = (size: number, seed: number) => Array.from({ length: size }, (_, i) => ((((i + seed) * 7) % 5) - 2) / 4);

// ---------------------------------------------------------------------------
// Every fixture case
// ---------------------------------------------------------------------------

describe.each(cases.map((c) => [c.name, c] as const))("%s", (_, c) => {
  const tol = EXACT[c.conditioned], fdTol = FD[c.conditioned];
  const names = c.inputs.map((i) => i.name);
  const scalarOut = c.outputShape.length === 0;

  it("has the shapes of the Shapes section: eval like the output, jacobian [...out, ...in]", () => {
    for (const [how, f] of builds(c)) {
      const label = `${c.name} (${how})`;
      expect(f.outputShape, label).toEqual(c.outputShape);
      expect(f.inputs.map((d) => d.name), label).toEqual(names);
      expect(f.inputs.map((d) => d.shape), label).toEqual(c.inputs.map((i) => i.shape));
      const x = pointOf(c);

      // eval: a number for a scalar, a Float64Array for a vector, a Tensor otherwise
      const y = f.eval(x);
      if (scalarOut) expect(typeof y, label).toBe("number");
      else if (c.outputShape.length === 1) expect(y, label).toBeInstanceOf(Float64Array);
      else expect((y as Tensor).shape, label).toEqual(c.outputShape);

      // jacobian: one Tensor for one input, a record by input name for several
      const J = f.jacobian(x);
      if (names.length === 1) {
        expect(J, label).toBeInstanceOf(Tensor);
        expect((J as Tensor).shape, label).toEqual([...c.outputShape, ...c.inputs[0].shape]);
      } else {
        expect(Object.keys(J), label).toEqual(names);
        for (const i of c.inputs) {
          const Ji = (J as Record<string, Tensor>)[i.name];
          expect(Ji.shape, `${label} d/d${i.name}`).toEqual([...c.outputShape, ...i.shape]);
          // { wrt } gives the one Tensor, the same numbers
          const only = f.jacobian(x, { wrt: i.name }) as Tensor;
          expect(only, label).toBeInstanceOf(Tensor);
          expect(only.shape, label).toEqual(Ji.shape);
          expectIdentical(only.data, Ji.data, `${label} wrt ${i.name}`);
        }
      }

      // grad of a scalar output: shaped like each input (a Float64Array for a vector, a Tensor for a matrix)
      if (scalarOut) {
        const g = f.grad(x);
        const byName = names.length === 1 ? { [names[0]]: g } : (g as Record<string, Float64Array | Tensor>);
        expect(Object.keys(byName), label).toEqual(names);
        for (const i of c.inputs) {
          const gi = byName[i.name];
          if (i.shape.length === 1) expect(gi, `${label} grad ${i.name}`).toBeInstanceOf(Float64Array);
          else expect((gi as Tensor).shape, `${label} grad ${i.name}`).toEqual(i.shape);
          expectIdentical(flat(gi), jacobians(f, c, x)[i.name].data, `${label} grad ${i.name} = jacobian`);
        }
      } else {
        expect(() => f.grad(x), label).toThrow(ShapeError);
      }
    }
  });

  it(`values and Jacobians match sympy (relative ${tol})`, () => {
    for (const [how, f] of builds(c)) {
      const label = `${c.name} (${how})`;
      // the same point as flat arrays, as nested Tensors, and (one input) unwrapped
      const flatPoint = Object.fromEntries(c.inputs.map((i) => [i.name, i.value]));
      const points: unknown[] = [flatPoint, pointOf(c)];
      if (names.length === 1) points.push(c.inputs[0].value);
      for (const x of points) {
        expectClose(flat(f.eval(x as never)), c.value, tol, `${label} value`);
        const J = jacobians(f, c, x);
        for (const i of c.inputs) expectClose(J[i.name].data, c.jacobians[i.name], tol, `${label} d/d${i.name}`);
      }
      if (scalarOut && names.length === 1) expectClose(flat(f.grad(pointOf(c))), c.jacobians[names[0]], tol, `${label} grad`);
    }
  });

  it(`forward mode agrees with mode: "fd" (relative ${fdTol})`, () => {
    for (const [how, f] of builds(c)) {
      const x = pointOf(c);
      const fd = jacobians(f, c, x, { mode: "fd" }), exact = jacobians(f, c, x);
      for (const i of c.inputs) {
        expect(fd[i.name].shape).toEqual(exact[i.name].shape);
        expectClose(fd[i.name].data, c.jacobians[i.name], fdTol, `${c.name} (${how}) fd d/d${i.name}`);
      }
    }
  });

  it("a batch gains a leading axis N and equals the per-point results bit for bit", () => {
    const f = build(c, "fn");
    const N = 3;
    // Variants: every input batched; and, with several inputs, each one batched alone (the others shared).
    const variants: string[][] = [names, ...(names.length > 1 ? names.map((n) => [n]) : [])];
    for (const batched of variants) {
      const label = `${c.name}, batched: ${batched.join(", ")}`;
      const perPoint = Array.from({ length: N }, (_, k) =>
        pointOf(c, Object.fromEntries(c.inputs.map((i) => [i.name, batched.includes(i.name) ? nudge(i.value, k) : i.value]))));
      const batch: Record<string, Tensor> = Object.fromEntries(c.inputs.map((i) => [i.name,
        batched.includes(i.name)
          ? new Tensor([N, ...i.shape], Float64Array.from(perPoint.flatMap((p) => Array.from(p[i.name].data))))
          : pointOf(c)[i.name]]));

      const y = f.eval(batch) as Tensor;
      expect(y.shape, label).toEqual([N, ...c.outputShape]);
      expectIdentical(y.data, perPoint.flatMap((p) => flat(f.eval(p))), `${label}: eval`);

      const J = jacobians(f, c, batch);
      for (const i of c.inputs) {
        expect(J[i.name].shape, label).toEqual([N, ...c.outputShape, ...i.shape]);
        expectIdentical(J[i.name].data, perPoint.flatMap((p) => Array.from(jacobians(f, c, p)[i.name].data)), `${label}: d/d${i.name}`);
      }
      if (scalarOut) {
        const g = f.grad(batch);
        const byName = names.length === 1 ? { [names[0]]: g as Tensor } : (g as Record<string, Tensor>);
        for (const i of c.inputs) {
          expect(byName[i.name].shape, label).toEqual([N, ...i.shape]);
          expectIdentical(byName[i.name].data, J[i.name].data, `${label}: grad ${i.name}`);
        }
      }
    }
    // the per-point values are the fixture's at k = 0
    expectClose(flat(f.eval(pointOf(c))), c.value, tol, `${c.name} value`);
  });

  it("jvp(point, tangent) is the Jacobian contracted with the tangent", () => {
    const m = sizeOf(c.outputShape);
    // J·v = Σ over inputs and their entries k of J[o, k]·v[k], from the sympy Jacobians
    const tangent = Object.fromEntries(c.inputs.map((i, s) => [i.name, tangentOf(sizeOf(i.shape), s)]));
    const want = new Array<number>(m).fill(0), magnitude = new Array<number>(m).fill(0);
    for (const i of c.inputs) {
      const n = sizeOf(i.shape), J = c.jacobians[i.name], v = tangent[i.name];
      for (let o = 0; o < m; o++) {
        for (let k = 0; k < n; k++) {
          want[o] += J[o * n + k] * v[k];
          magnitude[o] += Math.abs(J[o * n + k] * v[k]);
        }
      }
    }
    const floor = Math.max(...magnitude); // the contraction may cancel: judge it against Σ|J·v|
    const v = names.length === 1 ? tangent[names[0]] : tangent;
    for (const [how, f] of builds(c)) {
      const label = `${c.name} (${how})`;
      const x = pointOf(c);
      const jv = f.jvp(x, v as never);
      // shaped like the output, as eval is
      if (scalarOut) expect(typeof jv, label).toBe("number");
      else if (c.outputShape.length === 1) expect(jv, label).toBeInstanceOf(Float64Array);
      else expect((jv as Tensor).shape, label).toEqual(c.outputShape);
      expectClose(flat(jv), want, tol, `${label} jvp`, floor);
      expectIdentical(flat(f.directional(x, v as never)), flat(jv), `${label} directional = jvp`);
      expectClose(flat(f.jvp(x, v as never, { mode: "fd" })), want, fdTol, `${label} fd jvp`, floor);
    }
    // A batch of points and a batch of tangents: [N, ...out], per point to the bit.
    const f = build(c, "fn");
    const N = 2;
    const pts = Array.from({ length: N }, (_, k) => pointOf(c, Object.fromEntries(c.inputs.map((i) => [i.name, nudge(i.value, k)]))));
    const tans = Array.from({ length: N }, (_, k) => Object.fromEntries(c.inputs.map((i, s) => [i.name, tangentOf(sizeOf(i.shape), s + k)])));
    const stackAll = (shape: number[], rows: ArrayLike<number>[]) =>
      new Tensor([N, ...shape], Float64Array.from(rows.flatMap((r) => Array.from(r))));
    const xb = Object.fromEntries(c.inputs.map((i) => [i.name, stackAll(i.shape, pts.map((p) => p[i.name].data))]));
    const vb = Object.fromEntries(c.inputs.map((i) => [i.name, stackAll(i.shape, tans.map((t) => t[i.name]))]));
    const jb = f.jvp(xb, vb) as Tensor;
    expect(jb.shape).toEqual([N, ...c.outputShape]);
    expectIdentical(jb.data, pts.flatMap((p, k) => flat(f.jvp(p, tans[k]))), `${c.name} batched jvp`);
  });
});

describe("fixture coverage", () => {
  it("every fixture case has a builder form, and the listed cases are all there", () => {
    expect(cases.map((c) => c.name).sort()).toEqual(Object.keys(FORMS).sort());
  });
});

// ---------------------------------------------------------------------------
// A few more shape rules
// ---------------------------------------------------------------------------

describe("shapes beyond the fixtures", () => {
  const c = fixture("matmul_2x3_3x2");
  const f = build(c, "fn");

  it("a batch of N = 1 keeps its leading axis; plain arrays are always one point", () => {
    const A = new Tensor([1, 2, 3], Float64Array.from(c.inputs[0].value));
    const J = f.jacobian({ A, B: c.inputs[1].value }, { wrt: "A" }) as Tensor;
    expect(J.shape).toEqual([1, 2, 2, 2, 3]);
    expectClose(J.data, c.jacobians.A, 1e-12, "N = 1");
    expect((f.eval({ A: [[1, 2, -1], [0.5, -3, 2]], B: [[2, 1], [-1, 0.5], [3, -2]] }) as Tensor).shape).toEqual([2, 2]);
  });

  it("jacobian with { wrt, out } writes into out and wraps it", () => {
    const out = new Float64Array(2 * 2 * 3 * 2);
    const J = f.jacobian(pointOf(c), { wrt: "B", out }) as Tensor;
    expect(J.shape).toEqual([2, 2, 3, 2]);
    expect(J.data).toBe(out);
    expectClose(out, c.jacobians.B, 1e-12, "out");
    // several inputs and no wrt: one out cannot hold a record
    expect(() => f.jacobian(pointOf(c), { out })).toThrow(InputError);
  });

  it("a scalar function's jacobian has the input's shape and grad's numbers", () => {
    const d = fixture("det_6x6");
    const g = build(d, "fn");
    const J = g.jacobian(pointOf(d)) as Tensor, G = g.grad(pointOf(d)) as Tensor;
    expect(J.shape).toEqual([6, 6]);
    expect(G.shape).toEqual([6, 6]);
    expectIdentical(J.data, G.data, "jacobian = grad");
  });

  it("solve with a matrix right-hand side: d(A⁻¹B)/dB is A⁻¹ on each column", () => {
    const a = fixture("inv_3x3");
    const S = fn({ A: [3, 3], B: [3, 2] }, ({ A, B }) => A.solve(B));
    const B = [1, 2, -1, 0.5, 3, -2];
    const J = S.jacobian({ A: a.inputs[0].value, B }, { wrt: "B" }) as Tensor;
    expect(J.shape).toEqual([3, 2, 3, 2]);
    // d X_ij / d B_kl = (A⁻¹)_ik δ_jl, with A⁻¹ from the fixture
    const want: number[] = [];
    for (let i = 0; i < 3; i++) for (let j = 0; j < 2; j++) for (let k = 0; k < 3; k++) for (let l = 0; l < 2; l++) {
      want.push(j === l ? a.value[i * 3 + k] : 0);
    }
    expectClose(J.data, want, 1e-12, "d solve / dB");
  });
});

describe("long batches of matrices (several blocks of points)", () => {
  const N = 300;
  /** N matrices near the fixture's: entries nudged by multiples of 1/64 (still diagonally dominant). */
  const near = (value: number[]) => Float64Array.from({ length: N * value.length }, (_, q) =>
    value[q % value.length] + ((Math.floor(q / value.length) * 7 + (q % value.length)) % 11 - 5) / 64);

  it("inv of 300 8×8 matrices: [N, 8, 8, 8, 8], per point to the bit", () => {
    const c = fixture("inv_8x8");
    const f = build(c, "fn");
    const data = near(c.inputs[0].value);
    const J = f.jacobian(new Tensor([N, 8, 8], data)) as Tensor;
    expect(J.shape).toEqual([N, 8, 8, 8, 8]);
    for (const k of [0, 1, 127, 128, 129, 255, 299]) {
      const one = data.subarray(k * 64, (k + 1) * 64);
      expectIdentical(J.data.subarray(k * 4096, (k + 1) * 4096), (f.jacobian(one) as Tensor).data, `point ${k}`);
    }
  });

  it("solve with A shared and 300 right-hand sides batched; a tangent shared by every point", () => {
    const c = fixture("solve_8x8");
    const f = build(c, "fn");
    const A = c.inputs[0].value;
    const b = Float64Array.from({ length: N * 8 }, (_, q) => (q % 13) - 6);
    const J = f.jacobian({ A, b: new Tensor([N, 8], b) }) as Record<string, Tensor>;
    expect(J.A.shape).toEqual([N, 8, 8, 8]);
    expect(J.b.shape).toEqual([N, 8, 8]);
    const v = { A: tangentOf(64, 1), b: tangentOf(8, 2) };
    const jv = f.jvp({ A, b: new Tensor([N, 8], b) }, v) as Tensor;
    expect(jv.shape).toEqual([N, 8]);
    for (const k of [0, 128, 299]) {
      const one = { A, b: b.subarray(k * 8, (k + 1) * 8) };
      const Jk = f.jacobian(one) as Record<string, Tensor>;
      expectIdentical(J.A.data.subarray(k * 512, (k + 1) * 512), Jk.A.data, `d/dA point ${k}`);
      expectIdentical(J.b.data.subarray(k * 64, (k + 1) * 64), Jk.b.data, `d/db point ${k}`);
      expectIdentical(jv.data.subarray(k * 8, (k + 1) * 8), f.jvp(one, v) as Float64Array, `jvp point ${k}`);
    }
    // d x / d b = A⁻¹ wherever b is (x is linear in b)
    expectClose(J.b.data.subarray(299 * 64), fixture("inv_8x8").value, 1e-12, "d solve / db = inv A");
  });
});

describe("compositions through det, inv and solve (closed forms)", () => {
  const a = fixture("inv_3x3");
  const A = a.inputs[0].value;
  const identity = Array.from({ length: 81 }, (_, q) => (Math.floor(q / 9) === q % 9 ? 1 : 0));

  it("inv(inv(A)) = A: its Jacobian is the identity on 3×3 matrices", () => {
    const f = fn({ A: [3, 3] }, ({ A }) => A.inv().inv());
    expectClose((f.jacobian(A) as Tensor).data, identity, 1e-14, "d inv inv", 1); // 1e-14 absolute
    expectClose((compile("inv(inv(A))", { vars: { A: [3, 3] } }).jacobian(A) as Tensor).data, identity, 1e-14, "compiled", 1);
  });

  it("det(inv A)·det A = 1: a zero gradient; solve(A, b) = inv(A)·b to rounding", () => {
    const f = fn({ A: [3, 3] }, ({ A }) => A.inv().det().mul(A.det()));
    expectClose([f.eval(A) as number], [1], 1e-15, "value");
    expectClose((f.grad(A) as Tensor).data, new Array(9).fill(0), 1, "grad", 1e-15);
    const b = [1, -2, 0.5];
    const s = fn({ A: [3, 3], b: 3 }, ({ A, b }) => A.solve(b));
    const m = fn({ A: [3, 3], b: 3 }, ({ A, b }) => A.inv().matvec(b));
    const Js = s.jacobian({ A, b }) as Record<string, Tensor>, Jm = m.jacobian({ A, b }) as Record<string, Tensor>;
    expectClose(Js.A.data, Jm.A.data, 1e-13, "d/dA");
    expectClose(Js.b.data, Jm.b.data, 1e-13, "d/db");
  });
});

// ---------------------------------------------------------------------------
// Jacobian determinants
// ---------------------------------------------------------------------------

describe("jacobianDeterminant", () => {
  const polarBuilt = fn(2, ([r, t]) => [r.mul(t.cos()), r.mul(t.sin())]);
  const polarCompiled = compile(["r*cos(t)", "r*sin(t)"], { vars: ["r", "t"] });
  const rt = [[2, 0.7], [0.5, -2], [3, 3], [1e-3, 1]];

  it("polar coordinates (r·cos t, r·sin t) stretch area by r", () => {
    for (const [how, P] of [["fn", polarBuilt], ["compile", polarCompiled]] as const) {
      for (const p of rt) {
        expectClose([P.jacobianDeterminant(p)], [p[0]], 1e-14, `${how} at ${p}`);
        expectClose([P.jacobianDeterminant(p, { mode: "fd" })], [p[0]], 1e-7, `${how} fd at ${p}`, 1);
      }
    }
  });

  it("batched: a Tensor [N, 2] gives [N], per point to the bit", () => {
    const batch = new Tensor([rt.length, 2], Float64Array.from(rt.flat()));
    const d = polarBuilt.jacobianDeterminant(batch) as Tensor;
    expect(d.shape).toEqual([rt.length]);
    expectIdentical(d.data, rt.map((p) => polarBuilt.jacobianDeterminant(p)), "batch");
    expectClose(d.data, rt.map((p) => p[0]), 1e-14, "r");
  });

  it("a linear map x ↦ M·x has det M everywhere", () => {
    const M = [[2, -1, 0.5], [1, 3, -2], [0, 1.5, 4]]; // det 34.75 (det_3x3 fixture)
    expect(fixture("det_3x3").value).toEqual([34.75]);
    const L = fn(3, (x) => matmul(M, x));
    const Lc = compile(["2*x - y + 0.5*z", "x + 3*y - 2*z", "1.5*y + 4*z"], { vars: ["x", "y", "z"] });
    const xs = [[0, 0, 0], [1, -2, 3], [100, 0.25, -7], [-1e6, 3, 0.5]];
    for (const x of xs) {
      expectClose([L.jacobianDeterminant(x)], [34.75], 1e-14, `fn at ${x}`);
      expectClose([Lc.jacobianDeterminant(x)], [34.75], 1e-14, `compile at ${x}`);
    }
    const d = L.jacobianDeterminant(new Tensor([xs.length, 3], Float64Array.from(xs.flat()))) as Tensor;
    expect(d.shape).toEqual([xs.length]);
    expectIdentical(d.data, xs.map((x) => L.jacobianDeterminant(x)), "batch");
  });

  it("over a matrix input: A ↦ A⁻¹ on 3×3 matrices has det −det(A)⁻⁶", () => {
    // The Jacobian of inversion is −A⁻¹ ⊗ A⁻ᵀ, whose determinant is (−1)ⁿ det(A)^(−2n).
    const a = fixture("inv_3x3");
    const I = build(a, "fn");
    expectClose([I.jacobianDeterminant(pointOf(a)) as number], [-(34.75 ** -6)], 1e-12, "det of d inv");
    const batch = { A: new Tensor([2, 3, 3], Float64Array.from([...a.inputs[0].value, ...nudge(a.inputs[0].value, 1)])) };
    const d = I.jacobianDeterminant(batch) as Tensor;
    expect(d.shape).toEqual([2]);
    expectIdentical(d.data[0], I.jacobianDeterminant(pointOf(a)) as number, "batch point 0");
  });

  it("transposing a 2×3 matrix permutes its 6 entries (an odd permutation): det −1", () => {
    const t = fixture("transpose_2x3");
    expect(build(t, "fn").jacobianDeterminant(t.inputs[0].value)).toBe(-1);
    expect(build(t, "compile").jacobianDeterminant(t.inputs[0].value)).toBe(-1);
  });

  it("a map whose output and input sizes differ has none: ShapeError", () => {
    const g = fixture("gram_3x2"); // 6 entries in, 4 out
    expect(() => build(g, "fn").jacobianDeterminant(g.inputs[0].value)).toThrow(ShapeError);
    const M = fixture("inv_3x3");
    expectClose([build(M, "fn").jacobianDeterminant(M.inputs[0].value)], [-(34.75 ** -6)], 1e-12, "still works");
  });
});

// ---------------------------------------------------------------------------
// Bad input, singular matrices — and the library still works afterwards
// ---------------------------------------------------------------------------

describe("bad input", () => {
  const c = fixture("matmul_3x3");
  const f = build(c, "fn");
  const A = c.inputs[0].value, B = c.inputs[1].value;

  /** A correct call after an error still gives the fixture's answers. */
  function stillWorks(): void {
    expectClose(flat(f.eval({ A, B })), c.value, 1e-12, "value after an error");
    const J = f.jacobian({ A, B }) as Record<string, Tensor>;
    expectClose(J.A.data, c.jacobians.A, 1e-12, "d/dA after an error");
  }

  /** `call` throws `type` (a GradientsError) whose message matches every pattern; then the library still works. */
  function expectError(call: () => unknown, type: abstract new (...args: never[]) => GradientsError, ...patterns: RegExp[]): void {
    expectThrows(call, type, ...patterns);
    stillWorks();
  }

  it("a wrong shape is a ShapeError naming the input and both shapes", () => {
    expectError(() => f.eval({ A: new Tensor([2, 3]), B }), ShapeError, /'A'/, /\[3, 3\]/, /\[2, 3\]/);
    expectError(() => f.jacobian({ A, B: [[1, 2], [3, 4]] }), ShapeError, /'B'/, /\[3, 3\]/, /\[2, 2\]/);
    expectError(() => f.jacobian({ A: [1, 2, 3, 4], B }, { wrt: "A" }), ShapeError, /'A'/, /\[3, 3\]/, /got 4/);
    // a rank-3 Tensor is a batch only if its trailing axes are the input's shape
    expectError(() => f.eval({ A: new Tensor([2, 3, 2]), B }), ShapeError, /'A'/, /\[3, 3\]/, /\[2, 3, 2\]/);
    // a tangent of the wrong shape, named as a tangent
    expectError(() => f.jvp({ A, B }, { A, B: new Tensor([3]) }), ShapeError, /tangent 'B'/, /\[3, 3\]/, /\[3\]/);
    // a batch of tangents needs a batch of as many points
    expectError(() => f.jvp({ A, B }, { A: new Tensor([2, 3, 3]), B }), ShapeError, /2 tangents/, /one point/);
    // batched inputs that disagree on N
    expectError(() => f.eval({ A: new Tensor([2, 3, 3]), B: new Tensor([3, 3, 3]) }), ShapeError, /'A'/, /'B'/, /2/, /3/);
    const d = build(fixture("det_3x3"), "compile");
    expectError(() => d.grad(new Tensor([3, 2])), ShapeError, /\[3, 3\]/, /\[3, 2\]/);
  });

  it("unknown or missing inputs are InputErrors naming them", () => {
    expectError(() => f.eval({ A, B, C: A }), InputError, /'C'/, /A, B/);
    expectError(() => f.jacobian({ A, B }, { wrt: "C" }), InputError, /'C'/);
    expectError(() => f.eval({ A }), InputError, /missing/, /'B'/);
    expectError(() => f.eval(A), InputError, /A, B/); // several inputs need a record
  });

  it("det, inv and solve of a non-square matrix: ShapeError when tracing (ParseError at the column in a string)", () => {
    expectError(() => fn({ A: [2, 3] }, ({ A }) => A.det()), ShapeError, /det/, /square/, /\[2, 3\]/);
    expectError(() => fn({ A: [3, 2] }, ({ A }) => A.inv()), ShapeError, /inv/, /square/, /\[3, 2\]/);
    expectError(() => fn({ A: [2, 3], b: 2 }, ({ A, b }) => A.solve(b)), ShapeError, /solve/, /square/);
    expectError(() => fn({ A: [3, 3], b: 2 }, ({ A, b }) => A.solve(b)), ShapeError, /3 rows/, /\[2\]/);
    // in an expression, the same message becomes a ParseError at the call's column
    let caught: unknown;
    try {
      compile("1 + det(A)", { vars: { A: [2, 3] } });
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(ParseError);
    expect((caught as ParseError).column).toBe(5);
    expect((caught as Error).message).toMatch(/square.*\[2, 3\]/);
    stillWorks();
  });

  it("matmul with mismatched inner dimensions: ShapeError naming both shapes", () => {
    expectError(() => fn({ A: [2, 3], B: [2, 3] }, ({ A, B }) => A.matmul(B)), ShapeError, /\[2, 3\] and \[2, 3\]/, /3 and 2/);
    expectError(() => fn({ A: [2, 3], x: 2 }, ({ A, x }) => A.matvec(x)), ShapeError, /\[2, 3\] and \[2\]/);
    expectError(() => compile("matmul(A, B)", { vars: { A: [2, 3], B: [2, 3] } }), ParseError, /inner dimensions/);
  });
});

describe("det's derivative where A⁻¹ or det leaves the normal range, or an entry is infinite", () => {
  const det2 = fn({ A: [2, 2] }, ({ A }) => A.det());
  const both = (A: number[][]) => (["forward", "reverse"] as const).map((mode) => Array.from((det2.jacobian(A, { mode }) as Tensor).data));

  it("the cofactors [d, −c, −b, a] themselves, not det·A⁻ᵀ", () => {
    // det 1e-307 is normal, but A⁻¹ holds −1e309: det·A⁻ᵀ made ∂/∂c −∞
    for (const J of both([[1e-290, 100], [0, 1e-17]])) expect(J).toEqual([1e-17, 0, -100, 1e-290]);
    // diag(a, a): det = a² is subnormal, and det·(1/a) kept its 5 digits
    const a = 1.234567e-160;
    for (const J of both([[a, 0], [0, a]])) expect(J).toEqual([a, 0, 0, a]);
  });

  it("forward mode adds only the entries live in each lane: one infinite or NaN cofactor stays in its own entry", () => {
    const I = Infinity;
    for (const J of both([[I, 1], [0, 1]])) expect(J).toEqual([1, 0, -1, I]); // (forward gave [NaN, NaN, NaN, ∞])
    for (const J of both([[1, 1], [0, NaN]])) expect(J).toEqual([NaN, 0, -1, 1]);
  });
});

describe("singular matrices", () => {
  // Exactly singular in floating point too: LU's elimination is exact here.
  const S3 = [[1, 2, 3], [1, 2, 3], [0, 1, 1]];
  const S2 = [[1, 2], [2, 4]];
  const det3 = fn({ A: [3, 3] }, ({ A }) => A.det());
  const inv3 = fn({ A: [3, 3] }, ({ A }) => A.inv());
  const solve3 = fn({ A: [3, 3], b: 3 }, ({ A, b }) => A.solve(b));
  const ok = fixture("inv_3x3");

  /** Not a number or infinite, as IEEE division by a zero pivot gives. */
  const nonFinite = (xs: ArrayLike<number>) => Array.from(xs).some((v) => !Number.isFinite(v));

  it("det is exactly 0", () => {
    expect(det3.eval(S3) === 0).toBe(true);
    expect(fn({ A: [2, 2] }, ({ A }) => A.det()).eval(S2) === 0).toBe(true);
    expect(compile("det(A)", { vars: { A: [3, 3] } }).eval({ A: S3 }) === 0).toBe(true);
  });

  it("inv and solve return ±Infinity/NaN (IEEE), and so do their derivatives; the call returns", () => {
    expect(nonFinite((inv3.eval(S3) as Tensor).data)).toBe(true);
    expect(nonFinite((inv3.jacobian(S3) as Tensor).data)).toBe(true);
    expect(nonFinite(solve3.eval({ A: S3, b: [1, 2, 3] }) as Float64Array)).toBe(true);
    expect(nonFinite((solve3.jacobian({ A: S3, b: [1, 2, 3] }, { wrt: "b" }) as Tensor).data)).toBe(true);
    expect(nonFinite((inv3.jacobian(S3, { mode: "fd" }) as Tensor).data)).toBe(true);
    // afterwards a regular matrix works as before
    expectClose((inv3.eval(ok.inputs[0].value) as Tensor).data, ok.value, 1e-12, "inv after a singular one");
    expectClose((inv3.jacobian(ok.inputs[0].value) as Tensor).data, ok.jacobians.A, 1e-12, "d inv after a singular one");
  });

  it("a singular matrix in a batch does not disturb its neighbours", () => {
    const good = ok.inputs[0].value;
    const batch = new Tensor([3, 3, 3], Float64Array.from([...good, ...S3.flat(), ...good]));
    const X = inv3.eval(batch) as Tensor, J = inv3.jacobian(batch) as Tensor;
    expectIdentical(X.data.subarray(0, 9), (inv3.eval(good) as Tensor).data, "point 0");
    expectIdentical(X.data.subarray(18, 27), (inv3.eval(good) as Tensor).data, "point 2");
    expect(nonFinite(X.data.subarray(9, 18))).toBe(true);
    expectIdentical(J.data.subarray(0, 81), (inv3.jacobian(good) as Tensor).data, "d/dA point 0");
    expectIdentical(J.data.subarray(162, 243), (inv3.jacobian(good) as Tensor).data, "d/dA point 2");
  });

  it("d det/dA of a singular matrix is its cofactor matrix (det is a polynomial)", () => {
    // d det A / dA_ij = (−1)^(i+j) · minor_ij: finite, and for a rank n−1 matrix not zero.
    const cof = (A: number[][]) => A.flatMap((_, i) => A[0].map((__, j) => {
      const m = A.filter((_r, r) => r !== i).map((row) => row.filter((_c, k) => k !== j));
      return (-1) ** (i + j) * (m[0][0] * m[1][1] - m[0][1] * m[1][0]) + 0; // + 0: no −0
    }));
    expect(cof(S3)).toEqual([-1, -1, 1, 1, 1, -1, 0, 0, 0]);
    expectClose((det3.grad(S3) as Tensor).data, cof(S3), 1e-12, "grad det at a singular 3×3");
    expectClose((fn({ A: [2, 2] }, ({ A }) => A.det()).grad(S2) as Tensor).data, [4, -2, -2, 1], 1e-12, "grad det at a singular 2×2");
  });
});
