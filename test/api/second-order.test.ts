// Second derivatives: Hessians, Hessian-vector products and Laplacians, against
// independent references — sympy/mpmath fixtures (test/fixtures/second-order.json,
// made by test/fixtures/generate_second_order.py), closed forms written here, and
// finite differences of the exact gradient:
//
// * every fixture case in every mode, at one point and in batches (bit for bit),
//   symmetric, hvp(x, v) = H·v and laplacian = trace(H) computed here;
// * shapes: [n, n] for a vector input, [2, 2, 2, 2] for a 2×2 matrix input, a
//   nested record H[a][b] shaped [...a, ...b] for several inputs, with H[a][b]
//   the transpose-block of H[b][a];
// * Hessians through det, inv, solve and matmul (closed forms, finite differences);
// * the symbolic partials behind second order (bindings/ir/gradient.ts) against the
//   core's numeric partials, op by op;
// * bad input: ShapeErrors, and the library still works afterwards.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { buffer, compile, fn, InputError, ShapeError, Tensor, type Func, type Node } from "../../bindings/index.js";
import { expectClose, expectIdentical, fixtures, inverse, secondOrderFixtures, expectThrows } from "../support/helpers.js";
import { Graph } from "../../bindings/ir/graph.js";
import { Op } from "../../bindings/ops/grammar.js";
import { colorColumns } from "../../bindings/ir/sparsity.js";
import { gradientNodes } from "../../bindings/ir/gradient.js";

/** A case of test/fixtures/tensors.json (sympy Jacobians of tensor functions). */
interface TensorCase {
  name: string;
  inputs: { name: string; shape: number[]; value: number[] }[];
  value: number[];
  jacobians: Record<string, number[]>;
}

function tensorsFixture(name: string): TensorCase {
  const cases = (JSON.parse(readFileSync(new URL("../fixtures/tensors.json", import.meta.url), "utf8")) as { cases: TensorCase[] }).cases;
  const c = cases.find((k) => k.name === name);
  if (!c) throw new Error(`no tensors.json case ${name}`);
  return c;
}

/** H·v for a row-major n×n H, with the magnitudes Σ_j |H_ij·v_j| per row. */
function matVec(H: ArrayLike<number>, v: ArrayLike<number>): { value: number[]; scale: number[] } {
  const n = v.length, value: number[] = [], scale: number[] = [];
  for (let i = 0; i < n; i++) {
    let s = 0, a = 0;
    for (let j = 0; j < n; j++) {
      s += H[i * n + j] * v[j];
      a += Math.abs(H[i * n + j] * v[j]);
    }
    value.push(s);
    scale.push(a);
  }
  return { value, scale };
}

/** |got − want| ≤ rel·max(scale, |want|) entry by entry (scale: the magnitude of the terms summed into want). */
function expectWithin(got: ArrayLike<number>, want: ArrayLike<number>, scale: ArrayLike<number>, rel: number, label: string): void {
  expect(got.length, `${label}: length`).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const tol = rel * Math.max(scale[i], Math.abs(want[i]), 1e-300);
    const err = Math.abs(got[i] - want[i]);
    if (!(err <= tol)) expect.fail(`${label}[${i}]: got ${got[i]}, want ${want[i]} (error ${err.toExponential(2)} > ${tol.toExponential(2)})`);
  }
}

const maxAbs = (xs: ArrayLike<number>) => Array.from(xs).reduce((m, v) => Math.max(m, Math.abs(v)), 0);

/** A fixed tangent pattern with entries in {−1, −½, ½, 1, 2}. */
const tangentOf = (n: number, seed: number) => Array.from({ length: n }, (_, i) => [1, -0.5, 2, 0.5, -1][(i + seed) % 5]);

// ---------------------------------------------------------------------------
// Every fixture case
// ---------------------------------------------------------------------------

/**
 * Tolerances. Exact modes: 1e-12 relative per entry (helpers' expectClose: relative
 * to each entry, with a floor of 1e-3 of the Hessian's largest entry; measured
 * worst 3e-14, in family_roots). The Laplacian is a sum of diagonal entries whose
 * rounding errors are relative to the entries, not to their sum, so it is judged
 * against max(|Δf|, Σ|H_ii|). Finite differences (mode "fd": central differences
 * of the exact gradient with step ≈ ε^(1/3)·max(|x|, 1)): truncation h²·f⁽⁴⁾/6
 * plus rounding ε·|∇f|/h, so 1e-6 relative with an absolute floor of 1e-6
 * (measured worst below 1e-8).
 */
const EXACT = 1e-12;
const FD = 1e-6;

describe("second-order.json: Hessians and Laplacians against sympy", () => {
  it("covers the cases asked for", () => {
    const names = secondOrderFixtures.map((c) => c.name);
    for (const name of ["rosenbrock", "rosenbrock_5d", "beale", "himmelblau", "ackley", "booth", "matyas", "three_hump_camel",
      "rastrigin", "styblinski_tang_3d", "sin_xy_z2_exp_x"]) expect(names).toContain(name);
    // the value quoted in DESIGN's sketch: H of sin(x*y) + z^2*exp(x) at (1, 2, 3); its first entry
    // −4·sin 2 + 9e = 20.8273467488286803… rounds to 20.82734674882868 (the plain float64 sum gives …678)
    const c = secondOrderFixtures.find((k) => k.name === "sin_xy_z2_exp_x")!;
    expect(c.points[0]).toEqual([1, 2, 3]);
    expectClose(c.hessians[0][0], [20.827346748828678, -2.234741690198506, 16.30969097075427], 4e-16, "quoted row");
    const H = compile(c.expr, { vars: c.vars }).hessian([1, 2, 3]);
    expectClose(H.data.subarray(0, 3), [20.827346748828678, -2.234741690198506, 16.30969097075427], 1e-15, "library's row");
  });

  for (const c of secondOrderFixtures) {
    describe(`${c.name}: ${c.expr}`, () => {
      const f = compile(c.expr, { vars: c.vars });
      const n = c.vars.length;

      it(`hessian [${n}, ${n}] in modes forward, reverse, auto (${EXACT}) and fd (${FD}); symmetric`, () => {
        c.points.forEach((x, k) => {
          const want = c.hessians[k].flat();
          for (const mode of ["auto", "forward", "reverse"] as const) {
            const H = f.hessian(x, { mode });
            expect(H).toBeInstanceOf(Tensor);
            expect(H.shape).toEqual([n, n]);
            expectClose(H.data, want, EXACT, `${c.name} ${mode} at (${x})`);
            const scale = maxAbs(H.data);
            for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) {
              const d = Math.abs(H.data[i * n + j] - H.data[j * n + i]);
              if (!(d <= 1e-14 * scale)) expect.fail(`${c.name} ${mode} at (${x}): H[${i}][${j}] = ${H.data[i * n + j]} ≠ H[${j}][${i}] = ${H.data[j * n + i]}`);
            }
          }
          expectIdentical(f.hessian(x).data, f.hessian(x, { mode: "forward" }).data, `${c.name}: auto is forward over the gradient`);
          const Hfd = f.hessian(x, { mode: "fd" });
          expect(Hfd.shape).toEqual([n, n]);
          expectClose(Hfd.data, want, FD, `${c.name} fd at (${x})`, 1e-6 / FD);
        });
      });

      it("laplacian = sympy's and = trace(H); hvp(x, v) = H·v", () => {
        c.points.forEach((x, k) => {
          const Hs = c.hessians[k].flat();
          const diag = Array.from({ length: n }, (_, i) => Hs[i * n + i]);
          const lapScale = Math.max(Math.abs(c.laplacians[k]), diag.reduce((s, d) => s + Math.abs(d), 0));
          const L = f.laplacian(x);
          expect(typeof L).toBe("number");
          expectWithin([L], [c.laplacians[k]], [lapScale], EXACT, `${c.name} laplacian at (${x})`);
          const H = f.hessian(x).data;
          const trace = Array.from({ length: n }, (_, i) => H[i * n + i]).reduce((s, d) => s + d, 0);
          expectWithin([L], [trace], [lapScale], 1e-14, `${c.name} laplacian = trace(H) at (${x})`);
          expectWithin([f.laplacian(x, { mode: "fd" })], [c.laplacians[k]], [Math.max(lapScale, 1)], n * FD, `${c.name} fd laplacian`);
          for (const seed of [0, 3]) {
            const v = tangentOf(n, seed);
            const want = matVec(Hs, v);
            const got = f.hvp(x, v);
            expect(got).toBeInstanceOf(Float64Array);
            expectWithin(got, want.value, want.scale, EXACT, `${c.name} hvp at (${x}) v = (${v})`);
            const mine = matVec(H, v); // the library's own H·v, to rounding
            expectWithin(got, mine.value, mine.scale, 1e-14, `${c.name} hvp = hessian·v`);
            expectWithin(f.hvp(x, v, { mode: "fd" }), want.value, want.scale.map((s) => Math.max(s, 1)), FD, `${c.name} fd hvp`);
          }
        });
      });

      it("batches: [N, n, n], [N] and [N, n], per point to the bit", () => {
        const N = c.points.length;
        const X = new Tensor([N, n], Float64Array.from(c.points.flat()));
        const H = f.hessian(X) as Tensor;
        expect(H.shape).toEqual([N, n, n]);
        const Hr = f.hessian(X, { mode: "reverse" }) as Tensor;
        expect(Hr.shape).toEqual([N, n, n]);
        const L = f.laplacian(X) as Tensor;
        expect(L.shape).toEqual([N]);
        const v = tangentOf(n, 1);
        const V = new Tensor([N, n], Float64Array.from(c.points.flatMap((_, k) => tangentOf(n, k))));
        const Hv = f.hvp(X, v) as Tensor, HV = f.hvp(X, V) as Tensor;
        expect(Hv.shape).toEqual([N, n]);
        expect(HV.shape).toEqual([N, n]);
        c.points.forEach((x, k) => {
          expectIdentical(H.data.subarray(k * n * n, (k + 1) * n * n), f.hessian(x).data, `hessian point ${k}`);
          expectIdentical(Hr.data.subarray(k * n * n, (k + 1) * n * n), f.hessian(x, { mode: "reverse" }).data, `reverse hessian point ${k}`);
          expectIdentical(L.data[k], f.laplacian(x), `laplacian point ${k}`);
          expectIdentical(Hv.data.subarray(k * n, (k + 1) * n), f.hvp(x, v), `hvp (shared v) point ${k}`);
          expectIdentical(HV.data.subarray(k * n, (k + 1) * n), f.hvp(x, tangentOf(n, k)), `hvp (batched v) point ${k}`);
        });
        expectClose(H.data, c.hessians.flat(2), EXACT, `${c.name} batch vs sympy`);
      });
    });
  }
});

// ---------------------------------------------------------------------------
// Shapes, with closed forms
// ---------------------------------------------------------------------------

const matmul = (A: number[][], B: number[][]) => A.map((row) => B[0].map((_, j) => row.reduce((s, a, t) => s + a * B[t][j], 0)));

/** H[i][j][k][l] flattened, from a rule on the four indices of a k×k matrix input. */
const block4 = (k: number, rule: (i: number, j: number, p: number, q: number) => number) => {
  const out: number[] = [];
  for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) for (let p = 0; p < k; p++) for (let q = 0; q < k; q++) out.push(rule(i, j, p, q));
  return out;
};

describe("shapes of second derivatives", () => {
  it("one vector input: [n, n] (traced, compiled with a vars list, compiled with a vars record)", () => {
    const x = [0.5, -1.25, 2];
    // f = x0²·x1 + sin(x1·x2): closed form
    const want = [
      2 * x[1], 2 * x[0], 0,
      2 * x[0], -x[2] * x[2] * Math.sin(x[1] * x[2]), Math.cos(x[1] * x[2]) - x[1] * x[2] * Math.sin(x[1] * x[2]),
      0, Math.cos(x[1] * x[2]) - x[1] * x[2] * Math.sin(x[1] * x[2]), -x[1] * x[1] * Math.sin(x[1] * x[2]),
    ];
    const forms: [string, Func][] = [
      ["fn", fn(3, (v) => v[0].pow(2).mul(v[1]).add(v[1].mul(v[2]).sin()))],
      ["compile vars list", compile("x^2*y + sin(y*z)", { vars: ["x", "y", "z"] })],
      ["compile vars record", compile("x[0]^2*x[1] + sin(x[1]*x[2])", { vars: { x: [3] } })],
    ];
    for (const [how, f] of forms) {
      const H = f.hessian(x) as Tensor;
      expect(H.shape, how).toEqual([3, 3]);
      expectClose(H.data, want, 1e-14, how);
      expect(f.hvp(x, [1, 0, 0]), how).toBeInstanceOf(Float64Array);
      expectClose(f.hvp(x, [1, 0, 0]) as Float64Array, want.slice(0, 3), 1e-14, `${how} hvp`);
    }
  });

  it("one scalar input: H has shape [] (a Tensor of one entry); hvp and laplacian are numbers", () => {
    const f = fn({ t: [] }, ({ t }) => t.sin().mul(t));
    const t = 0.75; // (t·sin t)'' = 2 cos t − t sin t
    const H = f.hessian(t) as Tensor;
    expect(H.shape).toEqual([]);
    expectClose(H.data, [2 * Math.cos(t) - t * Math.sin(t)], 1e-14, "d²/dt²");
    expectClose([f.laplacian(t)], [2 * Math.cos(t) - t * Math.sin(t)], 1e-14, "laplacian");
    expectClose([f.hvp(t, 2) as number], [2 * (2 * Math.cos(t) - t * Math.sin(t))], 1e-14, "hvp");
  });

  it("a 2×2 matrix input A: [2, 2, 2, 2] — det A (constant), log det A and trace(A⁻¹) (closed forms)", () => {
    const A = [[2, -0.5], [0.75, 1.5]];
    const X = inverse(A), X2 = matmul(X, X);
    // det A = a00·a11 − a01·a10: ∂²/∂a00∂a11 = 1, ∂²/∂a01∂a10 = −1, else 0
    const dDet = block4(2, (i, j, p, q) => (i !== p && j !== q ? (i === j ? 1 : -1) : 0));
    // ∂² log det A / ∂A_ij ∂A_pq = −X_qi·X_jp
    const dLogDet = block4(2, (i, j, p, q) => -X[q][i] * X[j][p]);
    // ∂² tr(A⁻¹) / ∂A_ij ∂A_pq = X_jp·(X²)_qi + (X²)_jp·X_qi
    const dTrInv = block4(2, (i, j, p, q) => X[j][p] * X2[q][i] + X2[j][p] * X[q][i]);
    const cases: [string, Func, number[]][] = [
      ["det", fn({ A: [2, 2] }, ({ A }) => A.det()), dDet],
      ["log det", fn({ A: [2, 2] }, ({ A }) => A.det().log()), dLogDet],
      ["trace inv", compile("trace(inv(A))", { vars: { A: [2, 2] } }), dTrInv],
    ];
    for (const [label, f, want] of cases) {
      for (const mode of ["auto", "forward", "reverse"] as const) {
        const H = f.hessian({ A }, { mode }) as Tensor;
        expect(H.shape, label).toEqual([2, 2, 2, 2]);
        expectClose(H.data, want, 1e-13, `${label} ${mode}`);
      }
      const Hfd = f.hessian(A.flat(), { mode: "fd" }) as Tensor;
      expect(Hfd.shape).toEqual([2, 2, 2, 2]);
      expectClose(Hfd.data, want, 1e-6, `${label} fd`, 1e-6);
      // laplacian: Σ over the four entries of ∂²/∂A_ij²; hvp shaped like A
      const trace = [0, 5, 10, 15].reduce((s, d) => s + want[d], 0);
      expectClose([f.laplacian({ A })], [trace], 1e-13, `${label} laplacian`, Math.max(...want.map(Math.abs)));
      const V = [[1, -2], [0.5, 3]];
      const Hv = f.hvp({ A }, { A: V }) as Tensor;
      expect(Hv.shape).toEqual([2, 2]);
      const hv = matVec(want, V.flat());
      expectWithin(Hv.data, hv.value, hv.scale, 1e-13, `${label} hvp`);
    }
    // a batch of two matrices: [2, 2, 2, 2, 2]
    const f = cases[1][1];
    const B = [[1, 0.25], [-0.5, 3]];
    const Hb = f.hessian(new Tensor([2, 2, 2], Float64Array.from([...A.flat(), ...B.flat()]))) as Tensor;
    expect(Hb.shape).toEqual([2, 2, 2, 2, 2]);
    expectIdentical(Hb.data.subarray(0, 16), (f.hessian(A) as Tensor).data, "batch point 0");
    expectIdentical(Hb.data.subarray(16), (f.hessian(B) as Tensor).data, "batch point 1");
  });

  describe("several inputs: a nested record H[a][b] shaped [...a, ...b]", () => {
    // f(A, y, x, t) = t²·(yᵀ A x) + sin(t)·Σ x_j², A 2×3, y [2], x [3], t scalar. With q = yᵀAx:
    //   ∂²/∂A∂A = 0   ∂²/∂A_ij∂y_k = t²·δ_ik·x_j   ∂²/∂A_ij∂x_k = t²·y_i·δ_jk   ∂²/∂A_ij∂t = 2t·y_i·x_j
    //   ∂²/∂y∂y = 0   ∂²/∂y_i∂x_j = t²·A_ij        ∂²/∂y_i∂t = 2t·(Ax)_i
    //   ∂²/∂x_j∂x_k = 2 sin t·δ_jk                 ∂²/∂x_j∂t = 2t·(yᵀA)_j + 2 cos t·x_j
    //   ∂²/∂t² = 2q − sin t·Σ x_j²
    const spec = { A: [2, 3], y: [2], x: [3], t: [] as number[] };
    const traced = fn(spec, ({ A, y, x, t }) => t.pow(2).mul(y.matmul(A).matmul(x)).add(t.sin().mul(x.mul(x).sum())));
    const compiled = compile("t^2*dot(y, matmul(A, x)) + sin(t)*dot(x, x)", { vars: spec });
    const names = ["A", "y", "x", "t"] as const;
    type Name = (typeof names)[number];
    const shapes: Record<Name, number[]> = { A: [2, 3], y: [2], x: [3], t: [] };
    const size = (s: number[]) => s.reduce((p, e) => p * e, 1);

    /** The closed-form blocks, flat row-major [...a, ...b]. */
    function closedForm(P: { A: number[]; y: number[]; x: number[]; t: number }): Record<Name, Record<Name, number[]>> {
      const { A, y, x, t } = P;
      const a = (i: number, j: number) => A[i * 3 + j];
      const Ax = [0, 1].map((i) => [0, 1, 2].reduce((s, j) => s + a(i, j) * x[j], 0));
      const yA = [0, 1, 2].map((j) => [0, 1].reduce((s, i) => s + y[i] * a(i, j), 0));
      const q = [0, 1].reduce((s, i) => s + y[i] * Ax[i], 0);
      const sx2 = x.reduce((s, v) => s + v * v, 0);
      const t2 = t * t;
      const H = {} as Record<Name, Record<Name, number[]>>;
      for (const n of names) H[n] = {} as Record<Name, number[]>;
      const AA: number[] = [], Ay: number[] = [], Axx: number[] = [], At: number[] = [];
      for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) {
        for (let p = 0; p < 2; p++) for (let r = 0; r < 3; r++) AA.push(0);
        for (let k = 0; k < 2; k++) Ay.push(i === k ? t2 * x[j] : 0);
        for (let k = 0; k < 3; k++) Axx.push(j === k ? t2 * y[i] : 0);
        At.push(2 * t * y[i] * x[j]);
      }
      H.A = { A: AA, y: Ay, x: Axx, t: At };
      H.y = { A: [], y: [0, 0, 0, 0], x: [0, 1].flatMap((i) => [0, 1, 2].map((j) => t2 * a(i, j))), t: Ax.map((v) => 2 * t * v) };
      H.x = { A: [], y: [], x: [0, 1, 2].flatMap((j) => [0, 1, 2].map((k) => (j === k ? 2 * Math.sin(t) : 0))),
        t: [0, 1, 2].map((j) => 2 * t * yA[j] + 2 * Math.cos(t) * x[j]) };
      H.t = { A: [], y: [], x: [], t: [2 * q - Math.sin(t) * sx2] };
      // the lower blocks are the transposes of the upper ones
      const order = names.slice();
      for (let ai = 0; ai < 4; ai++) for (let bi = 0; bi < ai; bi++) {
        const a2 = order[ai], b2 = order[bi];
        const ra = size(shapes[a2]), rb = size(shapes[b2]);
        H[a2][b2] = Array.from({ length: ra * rb }, (_, idx) => H[b2][a2][(idx % rb) * ra + Math.floor(idx / rb)]);
      }
      return H;
    }

    const P = { A: [1.5, -2, 0.5, 3, 0.25, -1], y: [0.75, -1.25], x: [2, -0.5, 1], t: 0.6 };
    const point = { A: [[1.5, -2, 0.5], [3, 0.25, -1]], y: P.y, x: P.x, t: P.t };

    it("block shapes, closed-form values, and H[a][b] = transpose-block of H[b][a] (traced and compiled, every exact mode)", () => {
      const want = closedForm(P);
      for (const [how, f] of [["fn", traced], ["compile", compiled]] as const) {
        for (const mode of ["auto", "forward", "reverse"] as const) {
          const H = f.hessian(point, { mode }) as Record<string, Record<string, Tensor>>;
          expect(Object.keys(H)).toEqual([...names]);
          for (const a of names) {
            expect(Object.keys(H[a])).toEqual([...names]);
            for (const b of names) {
              const label = `${how} ${mode} H.${a}.${b}`;
              expect(H[a][b]).toBeInstanceOf(Tensor);
              expect(H[a][b].shape, label).toEqual([...shapes[a], ...shapes[b]]);
              expectClose(H[a][b].data, want[a][b], 1e-14, label, 1);
              // transpose-block: H[a][b][I, J] = H[b][a][J, I]
              const ra = size(shapes[a]), rb = size(shapes[b]);
              for (let I = 0; I < ra; I++) for (let J = 0; J < rb; J++) {
                const u = H[a][b].data[I * rb + J], w = H[b][a].data[J * ra + I];
                if (!(Math.abs(u - w) <= 1e-14 * Math.max(1, Math.abs(u)))) expect.fail(`${label}[${I}, ${J}] = ${u} but H.${b}.${a}[${J}, ${I}] = ${w}`);
              }
            }
          }
          expect(() => f.hessian(point, { mode, out: new Float64Array(144) })).toThrow(InputError); // one out cannot hold a record
        }
      }
    });

    it("hvp gives a record shaped like the inputs, = Σ_b H[a][b]·v_b; laplacian = Σ of every input's diagonal", () => {
      const want = closedForm(P);
      const v = { A: [1, 0, -1, 0.5, 2, -0.5], y: [0.25, -1], x: [1, 1, -2], t: 0.5 };
      const vPoint = { A: [[1, 0, -1], [0.5, 2, -0.5]], y: v.y, x: v.x, t: v.t };
      for (const f of [traced, compiled]) {
        const Hv = f.hvp(point, vPoint) as Record<string, Float64Array | Tensor | number>;
        expect(Object.keys(Hv)).toEqual([...names]);
        expect((Hv.A as Tensor).shape).toEqual([2, 3]);
        expect(Hv.y).toBeInstanceOf(Float64Array);
        expect(Hv.x).toBeInstanceOf(Float64Array);
        expect(typeof Hv.t).toBe("number");
        for (const a of names) {
          const ra = size(shapes[a]);
          const value = new Array<number>(ra).fill(0), scale = new Array<number>(ra).fill(0);
          for (const b of names) {
            const rb = size(shapes[b]), vb = b === "t" ? [v.t] : (v[b] as number[]);
            for (let I = 0; I < ra; I++) for (let J = 0; J < rb; J++) {
              value[I] += want[a][b][I * rb + J] * vb[J];
              scale[I] += Math.abs(want[a][b][I * rb + J] * vb[J]);
            }
          }
          const got = Hv[a] instanceof Tensor ? (Hv[a] as Tensor).data : typeof Hv[a] === "number" ? [Hv[a] as number] : (Hv[a] as Float64Array);
          expectWithin(got, value, scale.map((s) => Math.max(s, 1e-300)), 1e-14, `hvp ${a}`);
        }
        const lap = 6 * Math.sin(P.t) + want.t.t[0]; // ∂²/∂x_j² = 2 sin t (three of them), A and y contribute 0
        expectClose([f.laplacian(point)], [lap], 1e-14, "laplacian");
      }
    });

    it("batched: x batched, the rest shared: a leading N on every block, per point to the bit", () => {
      const xs = [[2, -0.5, 1], [0, 1, -1], [-1.5, 0.25, 3]];
      const xb = { ...point, x: new Tensor([3, 3], Float64Array.from(xs.flat())) };
      const H = traced.hessian(xb) as Record<string, Record<string, Tensor>>;
      const L = traced.laplacian(xb) as Tensor;
      expect(L.shape).toEqual([3]);
      xs.forEach((x, k) => {
        const Hk = traced.hessian({ ...point, x }) as Record<string, Record<string, Tensor>>;
        const want = closedForm({ ...P, x });
        for (const a of names) for (const b of names) {
          const s = size(shapes[a]) * size(shapes[b]);
          expect(H[a][b].shape).toEqual([3, ...shapes[a], ...shapes[b]]);
          expectIdentical(H[a][b].data.subarray(k * s, (k + 1) * s), Hk[a][b].data, `H.${a}.${b} point ${k}`);
          expectClose(Hk[a][b].data, want[a][b], 1e-14, `H.${a}.${b} point ${k} closed form`, 1);
        }
        expectIdentical(L.data[k], traced.laplacian({ ...point, x }), `laplacian point ${k}`);
      });
    });
  });

  it("out with several inputs: refused by hessian, and by hvp too (not silently left unwritten)", () => {
    const g = fn({ A: [2, 2], t: [] }, ({ A, t }) => A.det().mul(t));
    const x = { A: [[1, 2], [3, 4]], t: 2 };
    // H·v for v = (e_A00, 1): ∂/∂A (t·cof A)·v_A + cof A·v_t, ∂/∂t (det A)·v_A
    const hv = g.hvp(x, { A: [1, 0, 0, 0], t: 1 }) as Record<string, Tensor | number>;
    // (det goes through LU: equal to rounding)
    expectClose((hv.A as Tensor).data, [4, -3, -2, 1 + 2], 1e-14, "cof A + t·∂cof/∂A00 = [4, −3, −2, 1] + [0, 0, 0, 2]");
    expectClose([hv.t as number], [4], 1e-14, "∂det/∂A00 = A11");
    expect(() => g.hessian(x, { out: new Float64Array(25) })).toThrow(InputError);
    expect(() => g.hvp(x, { A: [1, 0, 0, 0], t: 1 }, { out: new Float64Array(5) })).toThrow(InputError);
  });

  it("out receives a single input's Hessian", () => {
    const f = compile("x^2*y^3", { vars: ["x", "y"] });
    const out = new Float64Array(4);
    const H = f.hessian([2, -1], { out });
    expect(H.data).toBe(out);
    expect(Array.from(out)).toEqual([2 * -1, 6 * 2 * 1, 6 * 2 * 1, 6 * 4 * -1]); // [2y³, 6xy², 6xy², 6x²y]
  });
});

describe("many variables: the extended Rosenbrock function (tridiagonal Hessian, analytic)", () => {
  // f = Σ_{i<N−1} 100(x_{i+1} − x_i²)² + (1 − x_i)²:
  //   H_ii = [i < N−1]·(1200 x_i² − 400 x_{i+1} + 2) + [i > 0]·200,  H_{i,i+1} = H_{i+1,i} = −400 x_i
  const rosenbrock = (N: number) => fn(N, (x) => {
    const a = x.slice([0], [N - 1]), b = x.slice([1], [N]);
    return b.sub(a.pow(2)).pow(2).mul(100).add(a.neg().add(1).pow(2)).sum();
  });
  const diagonal = (x: ArrayLike<number>, i: number) =>
    (i < x.length - 1 ? 1200 * x[i] * x[i] - 400 * x[i + 1] + 2 : 0) + (i > 0 ? 200 : 0);

  it("hvp at 10,000 variables = H·v", () => {
    const N = 10_000;
    const f = rosenbrock(N);
    const x = Float64Array.from({ length: N }, (_, i) => 1 + 0.5 * Math.sin(i));
    const v = Float64Array.from({ length: N }, (_, i) => Math.cos(3 * i));
    const value = new Array<number>(N), scale = new Array<number>(N);
    for (let i = 0; i < N; i++) {
      const terms = [diagonal(x, i) * v[i], i > 0 ? -400 * x[i - 1] * v[i - 1] : 0, i < N - 1 ? -400 * x[i] * v[i + 1] : 0];
      value[i] = terms.reduce((s, t) => s + t, 0);
      // the diagonal entry itself sums terms of size 1200x², 400x: judge against those too
      scale[i] = terms.reduce((s, t) => s + Math.abs(t), 0) + (1200 * x[i] * x[i] + 400 * Math.abs(x[i + 1] ?? 0)) * Math.abs(v[i]);
    }
    const hv = f.hvp(x, v) as Float64Array;
    expect(hv.length).toBe(N);
    expectWithin(hv, value, scale, 1e-13, "hvp");
  });

  it("hessian and laplacian at 1,000 variables", () => {
    const N = 1_000;
    const f = rosenbrock(N);
    const x = Float64Array.from({ length: N }, (_, i) => 1 + 0.5 * Math.cos(i));
    const H = f.hessian(x);
    expect(H.shape).toEqual([N, N]);
    let lap = 0, lapScale = 0;
    for (let i = 0; i < N; i++) {
      const d = diagonal(x, i);
      lap += d;
      lapScale += 1200 * x[i] * x[i] + 400 * Math.abs(x[i + 1] ?? 0) + 202;
      for (const j of [i - 1, i, i + 1]) {
        if (j < 0 || j >= N) continue;
        const want = j === i ? d : -400 * x[Math.min(i, j)];
        const got = H.data[i * N + j];
        if (!(Math.abs(got - want) <= 1e-13 * (1200 * x[i] * x[i] + 400 + 202))) expect.fail(`H[${i}][${j}] = ${got}, want ${want}`);
      }
    }
    // every entry off the three diagonals is exactly zero
    let offBand = 0;
    for (let i = 0; i < N; i++) for (let j = 0; j < N; j++) if (Math.abs(i - j) > 1 && H.data[i * N + j] !== 0) offBand++;
    expect(offBand).toBe(0);
    expectWithin([f.laplacian(x)], [lap], [lapScale], 1e-13, "laplacian");
  });
});

// ---------------------------------------------------------------------------
// Sparse Hessians: columns no gradient entry shares ride one tangent lane
// ---------------------------------------------------------------------------

describe("sparse Hessians by column coloring (bindings/ir/sparsity.ts)", () => {
  /** Colors the Hessian's columns got (white box), or null when coloring saved no sweep. */
  const colorsOf = (f: Func) => (f as unknown as { coloring?: { count: number } | null }).coloring;

  it("2×2 blocks, Σ (x₂ₖ·x₂ₖ₊₁)², n = 40: two colors, the closed form, exact zeros elsewhere", () => {
    const n = 40;
    const f = fn(n, (x) => x.reshape([n / 2, 2]).slice([0, 0], [n / 2, 1]).reshape([n / 2])
      .mul(x.reshape([n / 2, 2]).slice([0, 1], [n / 2, 2]).reshape([n / 2])).pow(2).sum());
    const x = Float64Array.from({ length: n }, (_, i) => 0.5 + 0.1 * i);
    const H = f.hessian(x);
    expect(colorsOf(f)?.count).toBe(2);
    const want = new Float64Array(n * n);
    for (let k = 0; k < n / 2; k++) {
      const a = x[2 * k], b = x[2 * k + 1], i = 2 * k, j = 2 * k + 1;
      want[i * n + i] = 2 * b * b;
      want[j * n + j] = 2 * a * a;
      want[i * n + j] = want[j * n + i] = 4 * a * b;
    }
    expectClose(H.data, want, 1e-14, "H");
    expect(H.data.filter((v, k) => want[k] === 0 && v !== 0).length).toBe(0);
  });

  it("one-point colored Hessians called again and again (the repeat of the last sweep): each new point's closed form, between other calls", () => {
    const n = 40;
    const f = fn(n, (x) => x.reshape([n / 2, 2]).slice([0, 0], [n / 2, 1]).reshape([n / 2])
      .mul(x.reshape([n / 2, 2]).slice([0, 1], [n / 2, 2]).reshape([n / 2])).pow(2).sum());
    const out = new Float64Array(n * n);
    for (let call = 0; call < 6; call++) {
      const x = Float64Array.from({ length: n }, (_, i) => 0.5 + 0.1 * i - 0.3 * call);
      if (call === 3) f.hvp(x, x); // (another sweep of the gradient's kernel in between: the repeat is forgotten)
      if (call === 4) f.hessian(new Tensor([2, n], Float64Array.from([...x, ...x])));
      f.hessian(x, { out });
      for (let k = 0; k < n / 2; k++) {
        const a = x[2 * k], b = x[2 * k + 1], i = 2 * k, j = 2 * k + 1;
        expectClose([out[i * n + i], out[j * n + j], out[i * n + j], out[j * n + i]], [2 * b * b, 2 * a * a, 4 * a * b, 4 * a * b], 1e-14, `call ${call}`);
      }
    }
  });

  it("Rosenbrock, n = 60: three colors; equal to H·eⱼ column by column and to reverse mode; batches, out and WasmBuffer alike", () => {
    const n = 60;
    const f = fn(n, (x) => {
      const a = x.slice([0], [n - 1]), b = x.slice([1], [n]);
      return b.sub(a.pow(2)).pow(2).mul(100).add(a.neg().add(1).pow(2)).sum();
    });
    const points = [0, 1, 2].map((s) => Float64Array.from({ length: n }, (_, i) => 1 + 0.5 * Math.sin(i + s)));
    const H = f.hessian(points[0]);
    expect(colorsOf(f)?.count).toBe(3);
    for (let j = 0; j < n; j++) {
      const e = new Float64Array(n);
      e[j] = 1;
      const column = f.hvp(points[0], e) as Float64Array;
      expectClose(Array.from({ length: n }, (_, i) => H.data[i * n + j]), column, 1e-14, `column ${j} against hvp`);
    }
    expectClose(H.data, f.hessian(points[0], { mode: "reverse" }).data, 1e-12, "against reverse mode");
    const batch = new Tensor([3, n], Float64Array.from(points.flatMap((p) => [...p])));
    const HB = f.hessian(batch);
    expect(HB.shape).toEqual([3, n, n]);
    points.forEach((x, p) => expectIdentical(HB.data.subarray(p * n * n, (p + 1) * n * n), f.hessian(x).data, `batch point ${p}`));
    const out = new Float64Array(n * n).fill(NaN); // entries off the pattern must be written too
    f.hessian(points[0], { out });
    expectIdentical(out, H.data, "out");
    const buf = buffer([n, n]);
    f.hessian(points[0], { out: buf });
    expectIdentical(buf.data, H.data, "WasmBuffer out");
    buf.dispose();
  });

  it("a dense Hessian, (Σ x²)², n = 40: no coloring (it would save nothing), and the closed form 4(Σx²)I + 8xxᵀ", () => {
    const n = 40;
    const f = fn(n, (x) => x.mul(x).sum().pow(2));
    const x = Float64Array.from({ length: n }, (_, i) => Math.cos(i));
    const H = f.hessian(x);
    expect(colorsOf(f)).toBe(null);
    const s = x.reduce((t, v) => t + v * v, 0);
    const want = Array.from({ length: n * n }, (_, k) => (k % (n + 1) === 0 ? 4 * s : 0) + 8 * x[Math.floor(k / n)] * x[k % n]);
    expectClose(H.data, want, 1e-13, "H");
  });

  it("one dense row (an arrowhead, x₀·Σx + Σx², n = 30) rules out coloring before it is tried: every column meets row 0", () => {
    const n = 30;
    const graph = new Graph();
    const x = Array.from({ length: n }, (_, i) => graph.input(i));
    const sum = x.reduce((s, v) => graph.apply(Op.Add, s, v));
    const squares = x.map((v) => graph.apply(Op.Mul, v, v)).reduce((s, v) => graph.apply(Op.Add, s, v));
    const f = graph.apply(Op.Add, graph.apply(Op.Mul, x[0], sum), squares);
    expect(colorColumns(graph, gradientNodes(graph, f, n), n, 16)).toBeUndefined();
    // without row 0's x₀·Σx the Hessian is diagonal: one color
    expect(colorColumns(graph, gradientNodes(graph, squares, n), n, 16)?.count).toBe(1);
  });
});

// ---------------------------------------------------------------------------
// Hessians through det, inv, solve and matmul
// ---------------------------------------------------------------------------

/**
 * Hessian by fourth-order central differences of an exact gradient (flat input
 * vector): H[:, j] ≈ (g(x−2h) − 8g(x−h) + 8g(x+h) − g(x+2h)) / 12h, h = 1e-3·max(1, |x_j|).
 * Truncation ≈ h⁴·g⁽⁵⁾/30, rounding ≈ ε·|g|/h: about 1e-12 and 1e-13 of the scale here.
 */
function fdHessian(grad: (x: number[]) => number[], x: number[]): number[] {
  const n = x.length, H = new Array<number>(n * n);
  for (let j = 0; j < n; j++) {
    const h = 1e-3 * Math.max(1, Math.abs(x[j]));
    const at = (k: number) => grad(x.map((v, i) => (i === j ? v + k * h : v)));
    const [m2, m1, p1, p2] = [at(-2), at(-1), at(1), at(2)];
    for (let i = 0; i < n; i++) H[i * n + j] = (m2[i] - 8 * m1[i] + 8 * p1[i] - p2[i]) / (12 * h);
  }
  return H;
}

describe("Hessians through det, inv, solve and matmul", () => {
  const A3 = [[2, -1, 0.5], [1, 3, -2], [0, 1.5, 4]]; // det 34.75 (the det_3x3 fixture)
  const B3 = [[1, 0.5, -0.25], [0.5, 2, 0], [-1, 0.25, 1.5]];
  const b3 = [1, -2, 0.5];

  /** name, function, its input names with values (flattened in declaration order for the differences). */
  const cases: [string, Func, Record<string, number[]>][] = [
    ["log det A", fn({ A: [3, 3] }, ({ A }) => A.det().log()), { A: A3.flat() }],
    ["trace(inv A)", fn({ A: [3, 3] }, ({ A }) => A.inv().trace()), { A: A3.flat() }],
    ["‖solve(A, b)‖²", fn({ A: [3, 3], b: 3 }, ({ A, b }) => { const s = A.solve(b); return s.dot(s); }), { A: A3.flat(), b: b3 }],
    ["bᵀ·solve(A, b)·det(A)", compile("dot(b, solve(A, b))*det(A)", { vars: { A: [3, 3], b: [3] } }), { A: A3.flat(), b: b3 }],
    ["det(A·B)", fn({ A: [3, 3], B: [3, 3] }, ({ A, B }) => A.matmul(B).det()), { A: A3.flat(), B: B3.flat() }],
    ["Σ sin(A·B)", compile("sum(sin(matmul(A, B)))", { vars: { A: [3, 3], B: [3, 3] } }), { A: A3.flat(), B: B3.flat() }],
    ["trace(inv(A·Aᵀ + B))", fn({ A: [3, 3], B: [3, 3] }, ({ A, B }) => A.matmul(A.transpose()).add(B).inv().trace()), { A: A3.flat(), B: B3.flat() }],
    ["det(inv(A) + B)·‖b‖", fn({ A: [3, 3], B: [3, 3], b: 3 }, ({ A, B, b }) => A.inv().add(B).det().mul(b.norm())), { A: A3.flat(), B: B3.flat(), b: b3 }],
  ];

  /** A Hessian as one flat n×n matrix over the inputs in declaration order. */
  function flatHessian(f: Func, x: Record<string, number[]>, mode: "auto" | "forward" | "reverse" | "fd"): number[] {
    const H = f.hessian(f.inputs.length === 1 ? x[f.inputs[0].name] : x, { mode });
    if (H instanceof Tensor) return Array.from(H.data);
    const n = f.n, out = new Array<number>(n * n);
    for (const a of f.inputs) for (const b of f.inputs) {
      const blk = H[a.name][b.name];
      expect(blk.shape).toEqual([...a.shape, ...b.shape]);
      for (let i = 0; i < a.size; i++) for (let j = 0; j < b.size; j++) out[(a.offset + i) * n + b.offset + j] = blk.data[i * b.size + j];
    }
    return out;
  }

  for (const [label, f, x] of cases) {
    it(`${label}: forward = reverse = differences of the exact gradient; mode "fd" too`, () => {
      const names = f.inputs.map((d) => d.name);
      const flatX = names.flatMap((k) => x[k]);
      const split = (v: number[]) => Object.fromEntries(f.inputs.map((d) => [d.name, v.slice(d.offset, d.offset + d.size)]));
      const grad = (v: number[]) => {
        const g = f.grad(names.length === 1 ? v : split(v), { mode: "forward" });
        return names.length === 1 ? Array.from((g as Tensor).data ?? (g as Float64Array))
          : names.flatMap((k) => { const gk = (g as Record<string, Tensor | Float64Array>)[k]; return Array.from(gk instanceof Tensor ? gk.data : gk); });
      };
      const ref = fdHessian(grad, flatX);
      const fwd = flatHessian(f, x, "forward"), rev = flatHessian(f, x, "reverse");
      expectClose(fwd, ref, 1e-8, `${label}: forward vs differences`);
      expectClose(rev, fwd, 1e-12, `${label}: reverse vs forward`);
      expectClose(flatHessian(f, x, "auto"), fwd, 1e-12, `${label}: auto`);
      expectClose(flatHessian(f, x, "fd"), fwd, 1e-6, `${label}: mode fd`, 1e-6);
      // symmetric to rounding
      const n = flatX.length, scale = maxAbs(fwd);
      for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) {
        if (!(Math.abs(fwd[i * n + j] - fwd[j * n + i]) <= 1e-13 * scale)) expect.fail(`${label}: H[${i}][${j}] ≠ H[${j}][${i}]`);
      }
      // hvp along a fixed direction = H·v
      const v = tangentOf(n, 2);
      const hv = f.hvp(names.length === 1 ? flatX : x, names.length === 1 ? v : split(v));
      const got = names.length === 1 ? Array.from((hv as Tensor).data ?? (hv as Float64Array))
        : names.flatMap((k) => { const h = (hv as Record<string, Tensor | Float64Array>)[k]; return Array.from(h instanceof Tensor ? h.data : h); });
      const want = matVec(fwd, v);
      expectWithin(got, want.value, want.scale, 1e-13, `${label}: hvp`);
    });
  }

  it("log det A and trace(A⁻¹) on 3×3: closed forms (A⁻¹ by Gauss–Jordan here)", () => {
    const X = inverse(A3), X2 = matmul(X, X);
    expectClose(flatHessian(cases[0][1], cases[0][2], "forward"), block4(3, (i, j, p, q) => -X[q][i] * X[j][p]), 1e-13, "log det");
    expectClose(flatHessian(cases[1][1], cases[1][2], "reverse"), block4(3, (i, j, p, q) => X[j][p] * X2[q][i] + X2[j][p] * X[q][i]), 1e-13, "trace inv");
  });
});

// ---------------------------------------------------------------------------
// Symbolic partials (second order) against the core's numeric partials
// ---------------------------------------------------------------------------

describe("the symbolic partials of second order agree with the core's numeric partials, op by op", () => {
  // For h(x, s) = s·f(x) at s = 1, the mixed block of the Hessian holds f's gradient twice:
  // row s, H[s][x_i] = ∂/∂s (∂h/∂x_i), is the symbolic gradient of f (bindings/ir/gradient.ts,
  // SYMBOLIC_PARTIALS) carried along by forward mode; column s, H[x_i][s] = ∂/∂x_i (∂h/∂s) =
  // ∂/∂x_i f(x), is forward mode over f itself: the core's numeric partials (assembly/). Both
  // must equal sympy's gradient, and each other.
  for (const c of fixtures.scalar) {
    it(`${c.name}: ${c.expr}`, () => {
      const n = c.vars.length;
      const h = compile(`s*(${c.expr})`, { vars: [...c.vars, "s"] });
      const f = compile(c.expr, { vars: c.vars });
      c.points.forEach((x, k) => {
        const at = `${c.name} at (${x})`;
        const H = h.hessian([...x, 1]).data;
        const symbolic = Array.from(H.subarray(n * (n + 1), n * (n + 1) + n));
        const numeric = Array.from({ length: n }, (_, i) => H[i * (n + 1) + n]);
        expectClose(symbolic, c.grads[k], 1e-12, `${at}: symbolic gradient vs sympy`);
        expectClose(numeric, c.grads[k], 1e-12, `${at}: numeric gradient vs sympy`);
        expectClose(symbolic, numeric, 1e-14, `${at}: symbolic vs numeric`);
        const fwd = f.grad(x, { mode: "forward" }), rev = f.grad(x, { mode: "reverse" });
        expectClose(symbolic, fwd, 1e-14, `${at}: symbolic vs forward grad`);
        // first-order consistency of the core: reverse vs forward partials, every op
        expectClose(rev, fwd, 1e-14, `${at}: reverse vs forward grad`);
        expectClose(f.jacobian(x, { mode: "reverse" }).data, fwd, 1e-14, `${at}: reverse jacobian vs forward`);
      });
    });
  }

  // The block ops: h(A, b, s) = s·f(A, b) with f = det A, Σ_o w_o·inv(A)_o and Σ_o w_o·solve(A, b)_o,
  // whose gradients are contractions of the sympy Jacobians of tensors.json.
  const blocks: [string, string, (k: number) => number][] = [
    ["det", "det_3x3", () => 1],
    ["inv", "inv_3x3", (o) => ((o * 7) % 5) / 2 - 1],
    ["solve", "solve_6x6", (o) => (o % 3) - 1 + o / 8],
  ];
  for (const [op, name, weight] of blocks) {
    it(`${op} (tensors.json ${name})`, () => {
      const c = tensorsFixture(name);
      const m = c.value.length, A = c.inputs[0], k = A.shape[0];
      const w = Tensor.from(Array.from({ length: m }, (_, o) => weight(o)));
      const spec: Record<string, number[]> = Object.fromEntries([...c.inputs.map((i) => [i.name, i.shape]), ["s", []]]);
      const h = fn(spec, (v: Readonly<Record<string, Node>>) => {
        const out = op === "det" ? v.A.det() : op === "inv" ? v.A.inv().reshape([m]).dot(w) : v.A.solve(v.b).dot(w);
        return out.mul(v.s);
      });
      const point = { ...Object.fromEntries(c.inputs.map((i) => [i.name, i.value])), s: 1 };
      const H = h.hessian(point) as Record<string, Record<string, Tensor>>;
      for (const i of c.inputs) {
        const size = i.shape.reduce((p, e) => p * e, 1);
        const want = Array.from({ length: size }, (_, q) => Array.from({ length: m }, (_, o) => weight(o) * c.jacobians[i.name][o * size + q]).reduce((s, t) => s + t, 0));
        expect(H.s[i.name].shape).toEqual(i.shape);
        expectClose(H.s[i.name].data, want, 1e-12, `${op}: symbolic ∂/∂${i.name} vs sympy`);
        expectClose(H[i.name].s.data, want, 1e-12, `${op}: numeric ∂/∂${i.name} vs sympy`);
        expectClose(H.s[i.name].data, H[i.name].s.data, 1e-13, `${op}: symbolic vs numeric ∂/∂${i.name}`);
      }
      expect(k).toBeGreaterThan(2);
    });
  }
});

// ---------------------------------------------------------------------------
// Bad input
// ---------------------------------------------------------------------------

describe("bad input", () => {
  const c = secondOrderFixtures.find((k) => k.name === "sin_xy_z2_exp_x")!;
  const f = compile(c.expr, { vars: c.vars });
  const F = compile(["x*y", "y*z", "sin(x) + z"], { vars: ["x", "y", "z"] });
  const x = c.points[0];

  /** A correct call after an error still gives sympy's answers. */
  function stillWorks(): void {
    expectClose(f.hessian(x).data, c.hessians[0].flat(), EXACT, "hessian after an error");
    expectClose([f.laplacian(x)], [c.laplacians[0]], EXACT, "laplacian after an error");
    const v = [1, -1, 0.5];
    const want = matVec(c.hessians[0].flat(), v);
    expectWithin(f.hvp(x, v), want.value, want.scale, EXACT, "hvp after an error");
  }

  function expectError(call: () => unknown, type: typeof ShapeError | typeof InputError, ...patterns: RegExp[]): void {
    expectThrows(call, type, ...patterns);
    stillWorks();
  }

  it("hessian, hvp and laplacian of a vector-valued function: ShapeError naming the output shape", () => {
    expectError(() => F.hessian([1, 2, 3]), ShapeError, /scalar/, /\[3\]/);
    expectError(() => F.hvp([1, 2, 3], [1, 0, 0]), ShapeError, /scalar/, /\[3\]/);
    expectError(() => F.laplacian([1, 2, 3]), ShapeError, /scalar/, /\[3\]/);
    const M = fn({ A: [2, 2] }, ({ A }) => A.inv());
    expectError(() => M.hessian([[1, 2], [3, 4]]), ShapeError, /\[2, 2\]/);
    // and F itself still works
    expect(Array.from(F.jacobian([1, 2, 3]).data)).toEqual([2, 1, 0, 0, 3, 2, Math.cos(1), 0, 1]);
  });

  it("hvp with a tangent of the wrong shape: ShapeError", () => {
    expectError(() => f.hvp(x, [1, 2]), ShapeError, /tangent/);
    expectError(() => f.hvp(x, new Tensor([2, 2], new Float64Array(4))), ShapeError, /tangent/);
    // a batch of tangents needs a batch of as many points
    expectError(() => f.hvp(x, new Tensor([2, 3], new Float64Array(6))), ShapeError, /2 tangents/, /one point/);
    const X = new Tensor([3, 3], Float64Array.from(c.points.flat()));
    expectError(() => f.hvp(X, new Tensor([2, 3], new Float64Array(6))), ShapeError, /2 tangents/);
    // several inputs: the tangent's entry for one input has the wrong shape
    const g = fn({ A: [2, 2], t: [] }, ({ A, t }) => A.det().mul(t));
    expectError(() => g.hvp({ A: [[1, 2], [3, 4]], t: 1 }, { A: [1, 2, 3], t: 1 }), ShapeError, /'A'/);
  });

  it("a wrong point shape, and mode \"reverse\" for hvp and laplacian (forward products): errors", () => {
    expectError(() => f.hessian([1, 2]), ShapeError);
    expectError(() => f.laplacian([1, 2, 3, 4]), ShapeError);
    expectError(() => f.hvp(x, [1, 0, 0], { mode: "reverse" }), InputError, /reverse/);
    expectError(() => f.laplacian(x, { mode: "reverse" }), InputError, /reverse/);
    expectError(() => f.hessian(x, { mode: "backward" as never }), InputError, /mode/);
  });
});
