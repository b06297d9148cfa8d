// Lane and block boundaries of the core: forward sweeps push at most MAX_LANES
// tangent lanes, so n inputs take ceil(n/MAX_LANES) sweeps; points run in blocks of up
// to 128 (padded to an even count), fewer when a tape is large; long batches are
// cut into chunks. Results must not depend on any of it: they match closed forms,
// and a batch gives the per-point results bit for bit. Also: `out` buffers and the
// accepted forms of points and batches.
import { describe, expect, it, onTestFinished } from "vitest";
import { add, buffer, compile, fn, Tensor, type Func, type Node } from "../../bindings/index.js";
import { MAX_LANES } from "../../bindings/runtime/kernel.js";
import { setCompiledTier } from "../../bindings/runtime/compiled.js";
import { asArray, expectClose, expectIdentical, resetCore } from "../support/helpers.js";

/** Input counts on both sides of one and two lane chunks (for chunks of 8 and of MAX_LANES). */
const L = MAX_LANES;
const LANE_EDGES = [...new Set([1, 7, 8, 9, 17, 20, L - 1, L, L + 1, 2 * L, 2 * L + 1])].sort((a, b) => a - b);

/** A seeded generator (mulberry32), so every run uses the same points. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** N points of n coordinates, uniform in [lo, hi), row-major. */
function points(N: number, n: number, seed: number, lo = -2, hi = 2): Float64Array {
  const r = random(seed);
  return Float64Array.from({ length: N * n }, () => lo + (hi - lo) * r());
}

/** N points of n coordinates, multiples of 1/8 in [−4, 4]: sums and products of a few stay exact. */
function dyadicPoints(N: number, n: number, seed: number): Float64Array {
  const r = random(seed);
  return Float64Array.from({ length: N * n }, () => Math.floor(r() * 64 - 32) / 8);
}

/** A single-point result (number, Float64Array or Tensor) as a flat array. */
const flat = (r: number | Float64Array | Tensor): number[] => (r instanceof Tensor ? Array.from(r.data) : asArray(r));

const row = (data: Float64Array, k: number, n: number): number[] => Array.from(data.subarray(k * n, (k + 1) * n));

describe(`n inputs across the ${MAX_LANES}-lane chunks (closed forms)`, () => {
  for (const n of LANE_EDGES) {
    // f = Σ sin((i+1)·x_i): ∂f/∂x_i = (i+1)·cos((i+1)·x_i)
    it(`n = ${n}: f = Σ sin((i+1)·x_i)`, () => {
      const f = fn(n, (x) => x.map((xi, i) => xi.mul(i + 1).sin()).reduce((a, b) => a.add(b)));
      const X = points(5, n, n);
      for (let k = 0; k < 5; k++) {
        const x = row(X, k, n);
        const g = x.map((xi, i) => (i + 1) * Math.cos((i + 1) * xi));
        expectClose([f.eval(x)], [x.reduce((s, xi, i) => s + Math.sin((i + 1) * xi), 0)], 1e-13, "value");
        expectClose(f.grad(x), g, 1e-13, `grad, n = ${n}`);
        expectClose(f.jacobian(x).data, g, 1e-13, `jacobian, n = ${n}`);
        expectClose(f.grad(x, { mode: "fd" }), g, 1e-7, `fd grad, n = ${n}`, 1);
        for (let i = 0; i < n; i++) expectClose([f.partial(i, x)], [g[i]], 1e-13, `∂/∂x_${i}`, 1);
        const v = x.map((_, i) => (i % 3) - 1);
        expectClose([f.directional(x, v)], [g.reduce((s, gi, i) => s + gi * v[i], 0)], 1e-13, "∇f·v", n);
      }
    });

    // F_i = S·x_i with S = Σ (j+1)·x_j: J_ij = (j+1)·x_i + δ_ij·S, dense, exact on dyadic points
    it(`n = ${n}: a dense Jacobian, exactly`, () => {
      const F = fn(n, (x) => {
        const S = x.map((xj, j) => xj.mul(j + 1)).reduce((a, b) => a.add(b));
        return x.map((xi) => S.mul(xi));
      });
      const X = dyadicPoints(4, n, 100 + n);
      for (let k = 0; k < 4; k++) {
        const x = row(X, k, n);
        const S = x.reduce((s, xj, j) => s + (j + 1) * xj, 0);
        const J = x.flatMap((xi, i) => x.map((_, j) => (j + 1) * xi + (i === j ? S : 0)));
        const Jgot = F.jacobian(x);
        expect(Jgot.shape).toEqual([n, n]);
        expect(Array.from(Jgot.data)).toEqual(J);
        expect(F.divergence(x)).toBe(x.reduce((s, xi, i) => s + (i + 1) * xi + S, 0));
        for (const j of [0, n - 1]) expect(Array.from(F.partial(j, x))).toEqual(x.map((_, i) => J[i * n + j]));
        const v = x.map((_, j) => (j % 2 ? 0.5 : -1));
        expect(Array.from(F.directional(x, v))).toEqual(x.map((_, i) => x.reduce((s, _x, j) => s + J[i * n + j] * v[j], 0)));
        expectClose(F.jacobian(x, { mode: "fd" }).data, J, 1e-8, "fd jacobian", 1);
      }
    });

    // F_i = x_i·x_((i+1) mod n): two nonzeros per row; the last row depends on x_(n−1) and
    // x_0, so the lanes between them must come out as exact zeros
    it(`n = ${n}: a sparse cyclic Jacobian, zeros included`, () => {
      const F = fn(n, (x) => x.map((xi, i) => xi.mul(x[(i + 1) % n])));
      const X = dyadicPoints(3, n, 200 + n);
      for (let k = 0; k < 3; k++) {
        const x = row(X, k, n);
        const J = new Array<number>(n * n).fill(0);
        for (let i = 0; i < n; i++) {
          J[i * n + i] += x[(i + 1) % n];
          J[i * n + (i + 1) % n] += x[i];
        }
        expect(Array.from(F.jacobian(x).data)).toEqual(J);
      }
    });
  }
});

describe("a long sum adds in one order, for one point and in a batch", () => {
  it("Σx over a range (four partial sums), where the order shows: [1e16, 1, −1e16, 1, …]", () => {
    const f = fn(10, (x) => x.sum());
    const x = [1e16, 1, -1e16, 1, 3, 5, 7, 9, 11, 13];
    const y = x.map((v) => v * 3);
    const single = [f.eval(x) as number, f.eval(y) as number];
    expectIdentical((f.eval(new Tensor([2, 10], Float64Array.from([...x, ...y]))) as Tensor).data, single, "eval");
    // and for a batch whose block is part-filled (an odd count of points)
    const X = Float64Array.from({ length: 30 }, (_, k) => x[k % 10] * (1 + Math.floor(k / 10)));
    expectIdentical((f.eval(new Tensor([3, 10], X)) as Tensor).data, [0, 1, 2].map((p) => f.eval(X.subarray(10 * p, 10 * p + 10)) as number), "eval, 3 points");
  });

  it("two sums over an odd number of points: each point's closed form (a block of 3 wrote one sum's 4th lane into the other's first)", () => {
    const f = fn(8, (x) => x.mul(x).sum().add(x.sum()));
    for (const N of [3, 5, 7]) {
      const X = Float64Array.from({ length: 8 * N }, (_, k) => 0.3 * (k % 8) + 0.2 + 0.1 * Math.floor(k / 8));
      const want = Array.from({ length: N }, (_, p) => X.subarray(8 * p, 8 * p + 8).reduce((s, v) => s + v * v + v, 0));
      expectClose((f.eval(new Tensor([N, 8], X)) as Tensor).data, want, 1e-14, `eval, ${N} points`);
      const G = (f.grad(new Tensor([N, 8], X)) as Tensor).data;
      expectClose(G, Array.from(X, (v) => 2 * v + 1), 1e-14, `grad, ${N} points`);
    }
  });
});

describe("single-point calls in any order (a repeated call reuses its layout)", () => {
  // f = sin(x·y) + z²·eˣ: closed forms for every call, so a stale layout, point or
  // output would show; the calls alternate sweeps, modes, wrt and out arrays.
  const value = ([x, y, z]: number[]) => Math.sin(x * y) + z * z * Math.exp(x);
  const gradient = ([x, y, z]: number[]) => [y * Math.cos(x * y) + z * z * Math.exp(x), x * Math.cos(x * y), 2 * z * Math.exp(x)];
  const points = [[0.5, 1.5, -0.75], [1.25, -0.5, 2], [-1, 0.25, 0.5]];

  it("grad, eval, jacobian and jvp interleaved on one function, with and without out", () => {
    const f = compile("sin(x*y) + z^2*exp(x)", { vars: ["x", "y", "z"] });
    const out = new Float64Array(3), other = new Float64Array(3);
    for (let round = 0; round < 3; round++) {
      for (const [k, p] of points.entries()) {
        expectClose(f.grad(p, { out: k % 2 ? out : other }) as Float64Array, gradient(p), 1e-14, `grad at point ${k}`);
        expectClose(f.grad(p) as Float64Array, gradient(p), 1e-14, `grad again at point ${k}`);
        expectClose([f.eval(p) as number], [value(p)], 1e-14, `eval at point ${k}`);
        expectClose((f.jacobian(p, { mode: "forward" }) as Tensor).data, gradient(p), 1e-14, `forward jacobian at point ${k}`);
        expectClose((f.jacobian(p, { mode: "fd" }) as Tensor).data, gradient(p), 1e-6, `fd jacobian at point ${k}`);
        expectClose((f.jacobian(p, { mode: "forward" }) as Tensor).data, gradient(p), 1e-14, `forward jacobian again at point ${k}`);
        expectClose([f.jvp(p, [1, 0, 0]) as number], [gradient(p)[0]], 1e-14, `jvp at point ${k}`);
        expectClose(f.grad(p, { mode: "reverse" }) as Float64Array, gradient(p), 1e-14, `reverse grad at point ${k}`);
      }
    }
  });

  it("with several inputs, the blocks of wrt one and the other alternate (the same shapes, other entries)", () => {
    // g = a₀a₁b₀ + b₀b₁: ∂/∂a = (a₁b₀, a₀b₀), ∂/∂b = (a₀a₁ + b₁, b₀)
    const g = fn({ a: [2], b: [2] }, ({ a, b }) => a.at(0).mul(a.at(1)).mul(b.at(0)).add(b.at(0).mul(b.at(1))));
    for (const [a0, a1, b0] of points) {
      const b1 = a0 - b0, at = { a: [a0, a1], b: [b0, b1] };
      for (let round = 0; round < 2; round++) {
        expectClose(g.grad(at, { wrt: "a" }) as Float64Array, [a1 * b0, a0 * b0], 1e-14, "∂/∂a");
        expectClose(g.grad(at, { wrt: "b" }) as Float64Array, [a0 * a1 + b1, b0], 1e-14, "∂/∂b");
      }
    }
  });

  it("a repeated gradient writes every entry of `out` (whatever it held) without zeroing it first", () => {
    // every input is loaded, so the reverse sweep skips zeroing its results: each must still be written
    const n = 20;
    const f = fn(n, (x) => { const a = x.slice([0], [n - 1]), b = x.slice([1]); return b.sub(a.mul(a)).mul(b).sum(); });
    const out = new Float64Array(n);
    for (let round = 0; round < 3; round++) {
      const x = Float64Array.from({ length: n }, (_, i) => 0.5 + 0.1 * i + 0.01 * round);
      out.fill(NaN);
      f.grad(x, { out });
      expectClose(out, f.grad(x, { mode: "forward" }) as Float64Array, 1e-13, `round ${round}`);
    }
  });

  it("a point held in a WasmBuffer is read in place, never written: the same results as from an array", () => {
    const f = compile("sin(x*y) + z^2*exp(x)", { vars: ["x", "y", "z"] });
    for (const p of points) {
      const held = buffer([3]);
      held.data.set(p);
      for (const mode of ["forward", "reverse", "fd"] as const) {
        expectIdentical((f.jacobian(held, { mode }) as Tensor).data, (f.jacobian(p, { mode }) as Tensor).data, `jacobian (${mode})`);
      }
      expectIdentical(f.grad(held) as Float64Array, f.grad(p) as Float64Array, "grad");
      expectIdentical([f.eval(held) as number], [f.eval(p) as number], "eval");
      expectIdentical((f.hessian(held) as Tensor).data, (f.hessian(p) as Tensor).data, "hessian");
      expectIdentical(held.data, p, "the point itself, afterwards");
      held.dispose();
    }
  });

  it("across memory growth and a reset of the core", () => {
    const f = compile("sin(x*y) + z^2*exp(x)", { vars: ["x", "y", "z"] });
    expectClose(f.grad(points[0]) as Float64Array, gradient(points[0]), 1e-14, "before");
    expectClose(f.grad(points[2]) as Float64Array, gradient(points[2]), 1e-14, "repeated before");
    const big = buffer(3 << 20); // 24 MB: memory grows (old views detach; addresses stay)
    expectClose(f.grad(points[1]) as Float64Array, gradient(points[1]), 1e-14, "after growth");
    big.dispose();
    resetCore(); // the core fails and is re-created
    expectClose(f.grad(points[2]) as Float64Array, gradient(points[2]), 1e-14, "after the reset");
    expectClose(f.grad(points[0]) as Float64Array, gradient(points[0]), 1e-14, "and again");
  });
});

describe("constants fill whole blocks with their own bits", () => {
  it("−0 stays −0 in blocks of 33 to 128 points (long rows are filled in bulk, but only with +0)", () => {
    // x·(−0) is −0 at x = 1, and x·0 is +0 (IEEE; neither is folded: x·0 is NaN at x = ∞):
    // a −0 constant filled as +0 would show
    const minus = fn(1, (x) => x.mul(-0)), plus = fn(1, (x) => x.mul(0));
    for (const N of [1, 31, 32, 33, 128, 300]) {
      const X = new Tensor([N, 1], new Float64Array(N).fill(1));
      expectIdentical((minus.eval(X) as Tensor).data, new Float64Array(N).fill(-0), `x·(−0), ${N} points`);
      expectIdentical((plus.eval(X) as Tensor).data, new Float64Array(N), `x·0, ${N} points`);
    }
  });
});

describe("a batch gives the per-point results bit for bit", () => {
  // The benchmark field (3 → 3), a scalar function and a 2-D field.
  const F = compile(["x*y*sin(z)", "exp(x)*cos(y) + z^2", "x/(1+y^2) + sqrt(z)"], { vars: ["x", "y", "z"] });
  const g = compile("sin(x*y) + z^2*exp(x)", { vars: ["x", "y", "z"] });
  const G2 = compile(["x*y^2", "sin(x) - y"], { vars: ["x", "y"] });
  const v3 = [0.5, -2, 1.25];

  type Case = [string, Func, (T: Tensor, V: Tensor) => Tensor, (x: number[], v: number[]) => number | Float64Array | Tensor];
  const cases = (mode: "forward" | "fd"): Case[] => {
    const o = { mode };
    return [
      ["F.eval", F, (T) => F.eval(T), (x) => F.eval(x)],
      ["g.eval", g, (T) => g.eval(T), (x) => g.eval(x)],
      ["g.grad", g, (T) => g.grad(T, o), (x) => g.grad(x, o)],
      ["F.jacobian", F, (T) => F.jacobian(T, o), (x) => F.jacobian(x, o)],
      ["g.jacobian", g, (T) => g.jacobian(T, o), (x) => g.jacobian(x, o)],
      ...[0, 1, 2].map((i): Case => [`F.partial(${i})`, F, (T) => F.partial(i, T, o), (x) => F.partial(i, x, o)]),
      ["g.partial(y)", g, (T) => g.partial("y", T, o), (x) => g.partial("y", x, o)],
      ["F.directional, shared v", F, (T) => F.directional(T, v3, o), (x) => F.directional(x, v3, o)],
      ["F.directional, v per point", F, (T, V) => F.directional(T, V, o), (x, v) => F.directional(x, v, o)],
      ["g.directional, v per point", g, (T, V) => g.directional(T, V, o), (x, v) => g.directional(x, v, o)],
      ["F.divergence", F, (T) => F.divergence(T, o), (x) => F.divergence(x, o)],
      ["F.curl", F, (T) => F.curl(T, o), (x) => F.curl(x, o)],
      ["G2.curl", G2, (T) => G2.curl(T, o), (x) => G2.curl(x, o)],
      ["G2.jacobian", G2, (T) => G2.jacobian(T, o), (x) => G2.jacobian(x, o)],
    ];
  };

  for (const N of [0, 1, 2, 127, 128, 129, 300, 1000]) {
    for (const mode of ["forward", "fd"] as const) {
      it(`N = ${N}, mode ${mode}`, () => {
        for (const [name, func, batched, single] of cases(mode)) {
          const n = func.n;
          // z > 0 for sqrt(z)
          const X = points(N, n, N + n, 0.1, 2.5), V = points(N, n, 7 * N + n);
          const got = batched(new Tensor([N, n], X), new Tensor([N, n], V));
          const want: number[] = [];
          let perPoint: number[] = [];
          for (let k = 0; k < N; k++) {
            perPoint = flat(single(row(X, k, n), row(V, k, n)));
            want.push(...perPoint);
          }
          // the shape: N, then the single-point result's shape
          const one = single(row(points(1, n, 1, 0.1, 2.5), 0, n), v3.slice(0, n));
          const oneShape = one instanceof Tensor ? one.shape : typeof one === "number" ? [] : [one.length];
          expect(got.shape, name).toEqual([N, ...oneShape]);
          expectIdentical(got.data, want, `${name}, N = ${N}, ${mode}`);
        }
      });
    }
  }

  it("N = 0: an empty result of the right shape", () => {
    const T = new Tensor([0, 3]);
    expect(F.eval(T).shape).toEqual([0, 3]);
    expect(g.eval(T).shape).toEqual([0]);
    expect(g.grad(T).shape).toEqual([0, 3]);
    expect(F.jacobian(T).shape).toEqual([0, 3, 3]);
    expect(F.jacobian(T, { mode: "fd" }).shape).toEqual([0, 3, 3]);
    expect(F.partial("x", T).shape).toEqual([0, 3]);
    expect(g.directional(T, [1, 0, 0]).shape).toEqual([0]);
    expect(g.directional(T, new Tensor([0, 3])).shape).toEqual([0]);
    expect(F.divergence(T).shape).toEqual([0]);
    expect(F.curl(T).shape).toEqual([0, 3]);
    expect(G2.curl(new Tensor([0, 2])).shape).toEqual([0]);
    expect(F.jacobian({ shape: [0, 3], data: [] }).data.length).toBe(0);
  });

  it("N = 1 as a batch keeps its leading axis", () => {
    const T = new Tensor([1, 3], Float64Array.of(0.5, 1, 2));
    expect(F.eval(T).shape).toEqual([1, 3]);
    expect(g.eval(T).shape).toEqual([1]);
    expect(g.grad(T).shape).toEqual([1, 3]);
    expect(F.jacobian(T).shape).toEqual([1, 3, 3]);
    expect(g.partial(0, T).shape).toEqual([1]);
    expect(F.divergence(T).shape).toEqual([1]);
    expect(F.curl(T).shape).toEqual([1, 3]);
    expect(G2.curl(new Tensor([1, 2], Float64Array.of(1, 2))).shape).toEqual([1]);
    // and its numbers are the single point's: g = sin(xy) + z² eˣ at (0.5, 1, 2)
    expectClose(g.eval(T).data, [Math.sin(0.5) + 4 * Math.exp(0.5)], 1e-15, "g");
  });
});

describe("more sweeps and smaller blocks, in batches", () => {
  it("n past one lane chunk: batch Jacobians equal the per-point ones, and the closed form", () => {
    for (const n of LANE_EDGES.filter((n) => n > 8)) {
      const F = fn(n, (x) => x.map((xi, i) => xi.mul(x[(i + 1) % n]).add(xi.sin())));
      const N = 129;
      const X = points(N, n, 300 + n);
      const J = F.jacobian(new Tensor([N, n], X));
      expect(J.shape).toEqual([N, n, n]);
      for (let k = 0; k < N; k++) {
        const x = row(X, k, n);
        const Jk = J.data.subarray(k * n * n, (k + 1) * n * n);
        expectIdentical(Jk, F.jacobian(x).data, `n = ${n}, point ${k}`);
        const want = new Array<number>(n * n).fill(0);
        for (let i = 0; i < n; i++) {
          want[i * n + i] += x[(i + 1) % n] + Math.cos(x[i]);
          want[i * n + (i + 1) % n] += x[i];
        }
        expectClose(Jk, want, 1e-14, `n = ${n}, point ${k}`);
      }
    }
  });

  it("a tape with hundreds of live values (blocks smaller than 128) over 300 points", () => {
    // f = Σ_k sin((k+1)·x_(k mod 20)), k < 300, every term computed before the sum:
    // ∂f/∂x_i = Σ_{k ≡ i} (k+1)·cos((k+1)·x_i)
    const n = 20, terms = 300;
    const f = fn(n, (x) => {
      const t: Node[] = [];
      for (let k = 0; k < terms; k++) t.push(x[k % n].mul(k + 1).sin());
      return t.reduce((a, b) => add(a, b));
    });
    expect(f.tapeSize.slots).toBeGreaterThan(terms); // all terms live at once
    const N = 300;
    const X = points(N, n, 42, -0.5, 0.5);
    const G = f.grad(new Tensor([N, n], X));
    const fd = f.grad(new Tensor([N, n], X), { mode: "fd" });
    const V = f.eval(new Tensor([N, n], X));
    for (let p = 0; p < N; p++) {
      const x = row(X, p, n);
      const want = new Array<number>(n).fill(0);
      let value = 0;
      for (let k = 0; k < terms; k++) {
        want[k % n] += (k + 1) * Math.cos((k + 1) * x[k % n]);
        value += Math.sin((k + 1) * x[k % n]);
      }
      const scale = want.reduce((s, w) => s + Math.abs(w), 0);
      expectClose(G.data.subarray(p * n, (p + 1) * n), want, 1e-13, `grad at point ${p}`, scale);
      expectIdentical(G.data.subarray(p * n, (p + 1) * n), f.grad(x), `grad at point ${p}`);
      expectIdentical(fd.data.subarray(p * n, (p + 1) * n), f.grad(x, { mode: "fd" }), `fd grad at point ${p}`);
      expectIdentical(V.data[p], f.eval(x), `value at point ${p}`);
      expectClose([V.data[p]], [value], 1e-13, `value at point ${p}`, terms);
    }
  });

  it("a batch longer than one scratch chunk (100,003 points), exact against closed forms", () => {
    // F = (xy, yz, zx): J = [[y, x, 0], [0, z, y], [z, 0, x]], div = y + z + x, curl = (−y, −z, −x)
    const F = compile(["x*y", "y*z", "z*x"], { vars: ["x", "y", "z"] });
    const N = 100_003;
    const X = dyadicPoints(N, 3, 9);
    const T = new Tensor([N, 3], X);
    const J = F.jacobian(T).data, D = F.divergence(T).data, C = F.curl(T).data, V = F.eval(T).data;
    const dirs = dyadicPoints(N, 3, 10);
    const Jv = F.directional(T, new Tensor([N, 3], dirs)).data;
    for (let p = 0; p < N; p++) {
      const x = X[3 * p], y = X[3 * p + 1], z = X[3 * p + 2];
      const a = dirs[3 * p], b = dirs[3 * p + 1], c = dirs[3 * p + 2];
      if (Jv[3 * p] !== y * a + x * b || Jv[3 * p + 1] !== z * b + y * c || Jv[3 * p + 2] !== z * a + x * c) {
        expect.fail(`J·v at point ${p}`);
      }
      const want = [y, x, 0, 0, z, y, z, 0, x];
      for (let e = 0; e < 9; e++) if (J[9 * p + e] !== want[e]) expect.fail(`J at point ${p}: ${J[9 * p + e]} ≠ ${want[e]}`);
      if (D[p] !== y + z + x) expect.fail(`divergence at point ${p}`);
      if (C[3 * p] !== -y || C[3 * p + 1] !== -z || C[3 * p + 2] !== -x) expect.fail(`curl at point ${p}`);
      if (V[3 * p] !== x * y || V[3 * p + 1] !== y * z || V[3 * p + 2] !== z * x) expect.fail(`value at point ${p}`);
    }
    // finite differences over the same batch: every 1,000th point and the last one, per point
    const Jfd = F.jacobian(T, { mode: "fd" }).data;
    for (let p = 0; p < N; p += p + 1000 < N ? 1000 : Math.max(1, N - 1 - p)) {
      expectIdentical(Jfd.subarray(9 * p, 9 * p + 9), F.jacobian(row(X, p, 3), { mode: "fd" }).data, `fd at point ${p}`);
    }
  });
});

describe("out buffers", () => {
  const g = compile("x*y + z^2", { vars: ["x", "y", "z"] });
  const F = compile(["x*y", "y*z", "z*x"], { vars: ["x", "y", "z"] });
  const batch = new Tensor([2, 3], Float64Array.of(1, 2, 3, -1, 0.5, 4));

  it("a batch's points given as a view of its own out (a Float64Array, or a WasmBuffer's memory), over many chunks: every point right, on both tiers", () => {
    // Hessians of x²y, [[2y, 2x], [2x, 0]], 30,000 points (several chunks): a point read after an earlier chunk's
    // results overwrote it gave 16 for 10 from point 10,922 on
    const N = 30_000, pts = Float64Array.from({ length: 2 * N }, (_, k) => 1 + (k % 7));
    const want = Float64Array.from({ length: 4 * N }, (_, k) => {
      const [x, y] = [pts[2 * (k >> 2)], pts[2 * (k >> 2) + 1]];
      return [2 * y, 2 * x, 2 * x, 0][k & 3];
    });
    for (const tier of ["never", "always"] as const) {
      setCompiledTier(tier);
      onTestFinished(() => setCompiledTier("auto"));
      const f = fn(2, (v) => v.at(0).mul(v.at(0)).mul(v.at(1)));
      const X = new Float64Array(4 * N);
      X.set(pts);
      f.hessian(new Tensor([N, 2], X.subarray(0, 2 * N)), { out: X });
      expectIdentical(X, want, `${tier}: out a Float64Array holding the points`);
      const b = buffer([N, 2, 2]);
      b.data.set(pts);
      f.hessian(new Tensor([N, 2], b.data.subarray(0, 2 * N)), { out: b });
      expectIdentical(b.data, want, `${tier}: out a WasmBuffer holding the points`);
      // (and a gradient written over its own points, the same size: already right, and kept so)
      const G = Float64Array.from(pts);
      f.grad(new Tensor([N, 2], G), { out: G });
      expectIdentical(G, Float64Array.from({ length: 2 * N }, (_, k) => (k & 1 ? pts[k - 1] ** 2 : 2 * pts[k] * pts[k + 1])), `${tier}: ∇ over its points`);
      b.dispose();
      f.dispose();
    }
  });

  it("single point: grad returns `out` itself, filled", () => {
    const out = new Float64Array(3).fill(NaN);
    const r = g.grad([1, 2, 3], { out });
    expect(r).toBe(out);
    expect(Array.from(out)).toEqual([2, 1, 6]);
    expect(g.grad([2, 0.5, -1], { out })).toBe(out); // reused
    expect(Array.from(out)).toEqual([0.5, 2, -2]);
  });

  it("reverse mode writes the zeros of inputs nothing reaches, in every sweep's lanes (`out` full of NaN before)", () => {
    const vars = Array.from({ length: 25 }, (_, i) => `x${i}`);
    const grad = new Float64Array(25).fill(NaN);
    compile("x0*2", { vars }).grad(new Float64Array(25).fill(1), { out: grad, mode: "reverse" });
    expect(Array.from(grad)).toEqual([2, ...new Array(24).fill(0)]);
    // 20 outputs: two reverse sweeps of 10 cotangent lanes into one `out`
    const F20 = compile(Array.from({ length: 20 }, (_, i) => `x${i % 3}*${i + 1}`), { vars });
    const J = new Float64Array(20 * 25).fill(NaN);
    F20.jacobian(new Float64Array(25).fill(1), { out: J, mode: "reverse" });
    expect(Array.from(J)).toEqual(Array.from({ length: 500 }, (_, k) => (k % 25 === Math.floor(k / 25) % 3 ? Math.floor(k / 25) + 1 : 0)));
  });

  it("single point: eval, jacobian, partial, directional, curl write into `out`", () => {
    const one = new Float64Array(1);
    expect(g.eval([1, 2, 3], { out: one })).toBe(11);
    expect(one[0]).toBe(11);
    const three = new Float64Array(3);
    expect(F.eval([1, 2, 3], { out: three })).toBe(three);
    expect(Array.from(three)).toEqual([2, 6, 3]);
    const nine = new Float64Array(9);
    expect(F.jacobian([1, 2, 3], { out: nine }).data).toBe(nine);
    expect(Array.from(nine)).toEqual([2, 1, 0, 0, 3, 2, 3, 0, 1]);
    expect(F.partial("y", [1, 2, 3], { out: three })).toBe(three);
    expect(Array.from(three)).toEqual([1, 3, 0]);
    expect(F.directional([1, 2, 3], [1, 1, 1], { out: three })).toBe(three);
    expect(Array.from(three)).toEqual([3, 5, 4]);
    expect(F.curl([1, 2, 3], { out: three })).toBe(three);
    expect(Array.from(three)).toEqual([-2, -3, -1]);
    expect(F.divergence([1, 2, 3], { out: one })).toBe(6);
    expect(one[0]).toBe(6);
  });

  it("`out` may alias the point (gl-matrix style)", () => {
    const x = Float64Array.of(1, 2, 3);
    expect(g.grad(x, { out: x })).toBe(x);
    expect(Array.from(x)).toEqual([2, 1, 6]);
    const y = Float64Array.of(1, 2, 3);
    expect(F.directional([1, 2, 3], y, { out: y })).toBe(y);
    expect(Array.from(y)).toEqual([2 * 1 + 1 * 2, 3 * 2 + 2 * 3, 3 * 1 + 1 * 3]);
    const data = Float64Array.of(1, 2, 3, -1, 0.5, 4);
    expect(g.grad(new Tensor([2, 3], data), { out: data }).data).toBe(data);
    expect(Array.from(data)).toEqual([2, 1, 6, 0.5, -1, 8]);
  });

  it("batches: the returned Tensor's data is `out`", () => {
    const out6 = new Float64Array(6);
    const G = g.grad(batch, { out: out6 });
    expect(G.data).toBe(out6);
    expect(Array.from(out6)).toEqual([2, 1, 6, 0.5, -1, 8]);
    const out2 = new Float64Array(2);
    expect(g.eval(batch, { out: out2 }).data).toBe(out2);
    expect(Array.from(out2)).toEqual([11, 15.5]);
    const out18 = new Float64Array(18);
    expect(F.jacobian(batch, { out: out18, mode: "fd" }).data).toBe(out18);
    expectClose(out18, [2, 1, 0, 0, 3, 2, 3, 0, 1, 0.5, -1, 0, 0, 4, 0.5, 4, 0, -1], 1e-9, "fd jacobian", 1);
    expect(F.divergence(batch, { out: out2 }).data).toBe(out2);
    expect(Array.from(out2)).toEqual([6, 3.5]);
    expect(g.partial("z", batch, { out: out2 }).data).toBe(out2);
    expect(Array.from(out2)).toEqual([6, 8]);
    expect(g.directional(batch, batch, { out: out2 }).data).toBe(out2);
    // ∇g·x per point: (2, 1, 6)·(1, 2, 3) = 22, (0.5, −1, 8)·(−1, 0.5, 4) = 31
    expect(Array.from(out2)).toEqual([22, 31]);
  });
});

describe("accepted forms of points and batches", () => {
  const g = compile("x*y + z^2", { vars: ["x", "y", "z"] });

  it("plain { shape, data } objects are batches, with array or typed-array data", () => {
    const want = [2, 1, 6, 0.5, -1, 8];
    expect(Array.from(g.grad({ shape: [2, 3], data: [1, 2, 3, -1, 0.5, 4] }).data)).toEqual(want);
    expect(Array.from(g.grad({ shape: [2, 3], data: Float64Array.of(1, 2, 3, -1, 0.5, 4) }).data)).toEqual(want);
    expect(Array.from(g.grad({ shape: [2, 3], data: Float32Array.of(1, 2, 3, -1, 0.5, 4) }).data)).toEqual(want);
    const r = g.eval({ shape: [2, 3], data: [1, 2, 3, -1, 0.5, 4] });
    expect(r).toBeInstanceOf(Tensor);
    expect(r.shape).toEqual([2]);
    expect(Array.from(r.data)).toEqual([11, 15.5]);
  });

  it("Float32Array and Float64Array points are points", () => {
    const p32 = Float32Array.of(0.1, 0.2, 0.3);
    const x = Array.from(p32); // the float32 values, exactly, as doubles
    expectIdentical(g.grad(p32), g.grad(x), "grad of a Float32Array point");
    expectIdentical(g.eval(p32), g.eval(x), "eval of a Float32Array point");
    expect(Array.from(g.grad(p32))).toEqual([x[1], x[0], 2 * x[2]]);
    expectIdentical(g.grad(Float64Array.from(x)), g.grad(x), "grad of a Float64Array point");
  });

  it("a WasmBuffer point is read where it is by taylor, derivatives and linearize too (they read no zeros)", () => {
    const exp = compile("exp(x)"), at = buffer([1]);
    at.data[0] = 0.5;
    expect(Array.from(exp.derivatives(at, 2))).toEqual([Math.exp(0.5), Math.exp(0.5), Math.exp(0.5)]); // (exp's own value, exactly)
    const f = compile("x*y^2", { vars: ["x", "y"] }), x = buffer([2]), v = buffer([2]);
    x.data.set([1, 2]);
    v.data.set([1, 1]);
    // (1 + t)(2 + t)² = 4 + 8t + 5t² + t³
    expect(Array.from(f.taylor(x, v, 3) as Float64Array)).toEqual([4, 8, 5, 1]);
    const h = compile("exp(x)*y", { vars: ["x", "y"] }), lin = h.linearize(x);
    expect(lin.apply([1, 2])).toBe(Math.E * 2); // at the point itself: f(1, 2)
    for (const b of [at, x, v]) b.dispose();
  });

  it("a point given as a Float64Array is not modified", () => {
    const p = Float64Array.of(1, 2, 3);
    g.grad(p);
    g.jacobian(p, { mode: "fd" });
    expect(Array.from(p)).toEqual([1, 2, 3]);
  });
});

describe("shared inputs across many blocks of points", () => {
  it("a shared matrix and batched points over 1,000 points (8 blocks): every point as a single call gives, in every sweep", () => {
    // The shared matrix's rows are spread once per sweep, at its first block: later blocks must still read them.
    const k = 5, d = 3, N = 1000;
    const f = fn({ x: [d], C: [k, d] }, ({ x, C }) => C.sub(x).pow(2).sum(1).amin());
    const C = Array.from({ length: k }, (_, i) => Array.from({ length: d }, (_, j) => Math.cos(i + 2 * j)));
    const X = Float64Array.from({ length: N * d }, (_, i) => Math.sin(0.37 * i));
    const batch = { x: new Tensor([N, d], X), C };
    const values = (f.eval(batch) as Tensor).data;
    const grads = f.grad(batch, { wrt: "C", mode: "reverse" }) as Tensor, fwd = f.grad(batch, { wrt: "C", mode: "forward" }) as Tensor;
    const fdGrads = f.grad(batch, { wrt: "C", mode: "fd" }) as Tensor;
    for (const p of [0, 127, 128, 500, 999]) {
      const one = { x: X.subarray(p * d, (p + 1) * d), C };
      expectIdentical(values[p], f.eval(one) as number, `value at point ${p}`);
      expectIdentical(grads.data.subarray(p * k * d, (p + 1) * k * d), (f.grad(one, { wrt: "C", mode: "reverse" }) as Tensor).data, `reverse at ${p}`);
      expectIdentical(fwd.data.subarray(p * k * d, (p + 1) * k * d), (f.grad(one, { wrt: "C", mode: "forward" }) as Tensor).data, `forward at ${p}`);
      expectIdentical(fdGrads.data.subarray(p * k * d, (p + 1) * k * d), (f.grad(one, { wrt: "C", mode: "fd" }) as Tensor).data, `fd at ${p}`);
    }
  });
});
