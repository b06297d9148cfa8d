// Property tests (fast-check): random expressions over every operation of the
// grammar, at random points, against independent references — a plain
// JavaScript interpreter of the same trees (test/support/arbitrary.ts), finite
// differences of that interpreter, and the scalar expansions of tensor
// operations — and against the library's own invariants (forward = reverse,
// batch = per point to the bit, one function however it is spelled).
//
// GRADIENTS_FUZZ_RUNS sets the number of runs per property (default 200; `npm run
// fuzz` uses 100,000); GRADIENTS_FUZZ_SEED replays a failure fast-check reported.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { compile, derivative, fd, fn, gradientExpr, Tensor, type Func, type Node } from "../../bindings/index.js";
import * as A from "../support/arbitrary.js";
import { onBothTiers } from "../support/tiers.js";

const RUNS = Number(process.env.GRADIENTS_FUZZ_RUNS ?? 200);
const SEED = process.env.GRADIENTS_FUZZ_SEED === undefined ? undefined : Number(process.env.GRADIENTS_FUZZ_SEED);
/** fast-check parameters for a property worth `weight` × RUNS runs. */
const runs = (weight = 1): fc.Parameters<unknown> => ({ numRuns: Math.max(1, Math.round(RUNS * weight)), seed: SEED });
/** Generous per-test timeouts: the full fuzz runs each property 100,000 times. */
// (generous: a guard against hangs, not a speed check; the shared machine is slow at times)
const timeout = (weight = 1) => Math.max(180_000, RUNS * weight * 20);

const maxAbs = (xs: ArrayLike<number>) => Array.from(xs).reduce((m, v) => Math.max(m, Math.abs(v)), 0);
const allFinite = (xs: ArrayLike<number>) => Array.from(xs).every(Number.isFinite);
const asArray = (x: number | ArrayLike<number>): number[] => (typeof x === "number" ? [x] : Array.from(x));

/** |got_i − want_i| ≤ tol_i for every entry, else a failure that names the entry. */
function within(got: ArrayLike<number>, want: ArrayLike<number>, tol: number | ArrayLike<number>, label: string): void {
  expect(got.length, `${label}: length`).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    // An absolute floor far below any meaningful value: subnormal results carry less precision.
    const t = Math.max(typeof tol === "number" ? tol : tol[i], 1e-290);
    const err = Math.abs(got[i] - want[i]);
    if (!(err <= t) && !Object.is(got[i], want[i])) throw new Error(`${label}[${i}]: got ${got[i]}, want ${want[i]} (error ${err.toExponential(2)} > tolerance ${t.toExponential(2)})`);
  }
}

/** Bit-for-bit equality (Object.is per entry: −0 ≠ +0, NaN = NaN). */
function identical(got: number | ArrayLike<number>, want: number | ArrayLike<number>, label: string): void {
  const g = asArray(got), w = asArray(want);
  expect(g.length, `${label}: length`).toBe(w.length);
  for (let i = 0; i < w.length; i++) {
    if (!Object.is(g[i], w[i])) throw new Error(`${label}[${i}]: got ${g[i]}, want ${w[i]} (not bit-identical)`);
  }
}

/** Compiles an expression (printed canonically or in a style), runs `body`, frees it. */
/** `body` on the compiled function, once per tier (the interpreter, generated code): the same bits from both. */
function withCompiled<R>(src: string | string[], vars: string[], body: (f: Func) => R): R {
  return onBothTiers(() => compile(src as string, { vars }), body);
}

/** Values this large (or gradients) make relative comparisons meaningless at 1e-10: skip. */
const HUGE = 1e8;

describe("exact derivatives: forward, reverse, the reference interpreter and finite differences agree", () => {
  it("forward and reverse mode give the same gradient (to rounding, relative to the gradient's scale)", () => {
    fc.assert(fc.property(A.exprAtPointArb({ kinks: true }), ({ expr, x }) => {
      const ref = A.evaluate(expr.tree, x);
      // Partials beyond 1e30 (cbrt near 0) make products underflow in one order and not the other.
      fc.pre(!(ref.pmax >= 1e30));
      withCompiled(A.print(expr.tree, expr.vars), expr.vars, (f) => {
        const fwd = f.grad(x, { mode: "forward" }) as Float64Array;
        const rev = f.grad(x, { mode: "reverse" }) as Float64Array;
        // grad and jacobian of a scalar function make the same choice (README): the same bits.
        identical(f.grad(x) as Float64Array, (f.jacobian(x) as Tensor).data, "grad vs jacobian (auto)");
        identical((f.jacobian(x, { mode: "reverse" }) as Tensor).data, rev, "jacobian vs grad (reverse)");
        const scale = Math.max(maxAbs(rev), 1e-300);
        const tol = Array.from(ref.ga, (ga) => 1e-10 * Math.max(ga, scale));
        const finite = Array.from(ref.ga, Number.isFinite);
        within(fwd.filter((_, i) => finite[i]), rev.filter((_, i) => finite[i]), tol.filter((_, i) => finite[i]), "forward vs reverse");
      });
    }), runs());
  }, timeout());

  it("the gradient equals the reference interpreter's forward-mode gradient", () => {
    fc.assert(fc.property(A.exprAtPointArb({ kinks: true }), ({ expr, x }) => {
      fc.pre(A.kinkMargin(expr.tree, x) > 1e-6);
      const ref = A.evaluate(expr.tree, x);
      fc.pre(Number.isFinite(ref.v) && allFinite(ref.ga) && maxAbs(ref.ga) < HUGE && ref.pmax < 1e30);
      withCompiled(A.print(expr.tree, expr.vars), expr.vars, (f) => {
        const value = f.eval(x) as number;
        expect(Math.abs(value - ref.v), `value ${value} vs ${ref.v}`).toBeLessThanOrEqual(1e-12 * Math.abs(ref.v) + 16 * ref.e + 1e-290);
        const g = f.grad(x) as Float64Array;
        // Partials differ by the rounding of their arguments (≈ ref.e-sized): relative 1e-9 of the terms' scale.
        const scale = Math.max(maxAbs(ref.ga), 1e-300);
        within(g, ref.g, Array.from(ref.ga, (ga) => 1e-9 * Math.max(ga, 1e-3 * scale)), "grad vs interpreter");
      });
    }), runs());
  }, timeout());

  it("central differences with Richardson extrapolation (of the interpreter, a black box) agree with the exact gradient within 1e-5 or their own error estimate", () => {
    // Nodes squashed beyond 10 (not 1000): sin(1000·u) varies faster than the automatic steps assume.
    fc.assert(fc.property(A.exprAtPointArb({ kinks: false, limit: 10 }), ({ expr, x }) => {
      const ref = A.evaluate(expr.tree, x);
      fc.pre(Number.isFinite(ref.v) && Math.abs(ref.v) < HUGE && allFinite(ref.ga) && maxAbs(ref.ga) < HUGE);
      withCompiled(A.print(expr.tree, expr.vars), expr.vars, (f) => {
        const exact = f.grad(x) as Float64Array;
        const black = (p: Float64Array) => A.value(expr.tree, Array.from(p));
        const r = fd.grad(black, x, { richardson: 2 });
        // Relative 1e-5, floored by the gradient's norm (an entry near 0 is judged on the gradient's scale)
        // and by the rounding of the values the differences divide (ε·|f|/h with h ≥ 1e-3).
        // At a stationary point the gradient gives no scale: the terms' scale (ref.ga) or, failing that, the
        // function's (|f|/1000, a derivative of f over a distance of a thousand units) stands in.
        const floor = Math.max(maxAbs(exact), maxAbs(ref.ga), 1e-3 * Math.max(Math.abs(ref.v), 1));
        // Where the function varies faster than the differences' steps resolve, fd says so in its error
        // estimate: an entry may miss 1e-5 by up to 8 of its estimates, the margin checkGrad allows.
        const error = r.error as Float64Array;
        within(r.value as Float64Array, exact, Array.from(exact, (g, i) => 1e-5 * Math.max(Math.abs(g), floor) + 8 * error[i]), "fd.grad (richardson 2) vs exact");
        // mode "fd": central differences over the compiled function, h = ∛ε·max(|x|, 1).
        const own = f.grad(x, { mode: "fd" }) as Float64Array;
        within(own, exact, Array.from(exact, (g) => 1e-5 * Math.max(Math.abs(g), floor)), "grad mode fd vs exact");
      });
    }), runs());
  }, timeout());

  it("jvp, vjp, hvp, Hessians (forward, reverse, fd), Laplacian and linearize are consistent with the gradient", () => {
    const arb = A.exprArb({ kinks: false, maxSize: 60, limit: 10 }).chain((expr) =>
      fc.tuple(A.pointArb(expr.vars.length), A.pointArb(expr.vars.length), fc.double({ min: -2, max: 2, noNaN: true }))
        .map(([x, v, w]) => ({ expr, x, v, w })));
    fc.assert(fc.property(arb, ({ expr, x, v, w }) => {
      const ref = A.evaluate(expr.tree, x);
      fc.pre(Number.isFinite(ref.v) && Math.abs(ref.v) < HUGE && allFinite(ref.ga) && maxAbs(ref.ga) < HUGE);
      withCompiled(A.print(expr.tree, expr.vars), expr.vars, (f) => {
        const n = x.length;
        const g = f.grad(x) as Float64Array;
        const gScale = Math.max(maxAbs(ref.ga), 1e-300);
        const jvpScale = ref.ga.reduce((s, ga, i) => s + ga * Math.abs(v[i]), 0);
        within([f.jvp(x, v) as number], [g.reduce((s, gi, i) => s + gi * v[i], 0)], 1e-10 * Math.max(jvpScale, 1e-300), "jvp vs grad·v");
        within([f.directional(x, v) as number], [f.jvp(x, v) as number], 0, "directional vs jvp");
        within(f.vjp(x, w) as Float64Array, g.map((gi) => w * gi), Array.from(ref.ga, (ga) => 1e-10 * Math.abs(w) * Math.max(ga, 1e-3 * gScale)), "vjp vs w·grad");
        const H = (f.hessian(x) as Tensor).data;
        fc.pre(allFinite(H));
        // Second derivatives have no term scale of their own here: the Hessian's, floored by the gradient's
        // and the function's (as for finite differences), so entries that cancel to ~0 are judged fairly.
        const hScale = Math.max(maxAbs(H), gScale, 1e-3 * Math.max(Math.abs(ref.v), 1));
        const Hr = (f.hessian(x, { mode: "reverse" }) as Tensor).data;
        within(Hr, H, 1e-9 * hScale, "hessian reverse vs forward");
        const Ht = Array.from({ length: n * n }, (_, k) => H[(k % n) * n + Math.floor(k / n)]);
        within(H, Ht, 1e-9 * hScale, "hessian symmetric");
        const Hv = Array.from({ length: n }, (_, i) => v.reduce((s, vj, j) => s + H[i * n + j] * vj, 0));
        within(f.hvp(x, v) as Float64Array, Hv, 1e-9 * hScale * Math.max(maxAbs(v), 1e-300) * n, "hvp vs H·v");
        within([f.laplacian(x)], [Array.from({ length: n }, (_, i) => H[i * n + i]).reduce((a, b) => a + b, 0)], 1e-9 * hScale * n, "laplacian vs trace H");
        // fd differences the exact gradient: O(h²) with h = ε^(1/3)·max(|x|, 1).
        const Hfd = (f.hessian(x, { mode: "fd" }) as Tensor).data;
        within(Hfd, H, 1e-4 * hScale, "hessian fd vs exact");
        const lin = f.linearize(x);
        identical(lin.value as number, f.eval(x) as number, "linearize value");
        identical((lin.jacobian as Tensor).data, (f.jacobian(x) as Tensor).data, "linearize jacobian");
        const y = x.map((xi, i) => xi + v[i]);
        // f(x) itself may differ from the reference by its rounding bound (as in the value checks above):
        // where terms cancel to ~0, by an ulp of those terms, not of the result.
        within([lin.apply(y) as number], [ref.v + g.reduce((s, gi, i) => s + gi * (y[i] - x[i]), 0)],
          1e-10 * (Math.abs(ref.v) + jvpScale) + 16 * ref.e + 1e-300, "linearize apply");
        within([lin.tangent(v) as number], [f.jvp(x, v) as number], 1e-12 * Math.max(jvpScale, 1e-300), "linearize tangent vs jvp");
      });
    }), runs(0.5));
  }, timeout(0.5));
});

describe("a batch gives exactly the per-point results", () => {
  /** Points: mostly in the box, sometimes NaN, ±Infinity, −0, subnormal or huge (must match to the bit too). */
  const coordinate = fc.oneof({ weight: 12, arbitrary: A.coordinate }, { weight: 1, arbitrary: A.specialNumber });
  const arb = A.vectorExprArb({ kinks: true }).chain((F) =>
    fc.integer({ min: 1, max: 300 }).chain((N) =>
      fc.array(fc.array(coordinate, { minLength: F.vars.length, maxLength: F.vars.length }), { minLength: N, maxLength: N })
        .map((points) => ({ F, points }))));

  it("eval, jacobian (every mode), grad and hessian of random vector functions, batch vs one point at a time", () => {
    fc.assert(fc.property(arb, ({ F, points }) => {
      const n = F.vars.length, m = F.trees.length, N = points.length;
      const X = new Tensor([N, n], Float64Array.from(points.flat()));
      withCompiled(F.trees.map((t) => A.print(t, F.vars)), F.vars, (f) => {
        const values = (f.eval(X) as Tensor).data;
        points.forEach((p, k) => identical(f.eval(p) as Float64Array, values.subarray(k * m, (k + 1) * m), `eval at point ${k}`));
        for (const mode of ["auto", "forward", "reverse", "fd"] as const) {
          const J = (f.jacobian(X, { mode }) as Tensor).data;
          points.forEach((p, k) => identical((f.jacobian(p, { mode }) as Tensor).data, J.subarray(k * m * n, (k + 1) * m * n), `jacobian (${mode}) at point ${k}`));
        }
      });
      withCompiled(A.print(F.trees[0], F.vars), F.vars, (g) => {
        for (const mode of ["auto", "forward", "reverse"] as const) {
          const G = (g.grad(X, { mode }) as Tensor).data;
          points.forEach((p, k) => identical(g.grad(p, { mode }) as Float64Array, G.subarray(k * n, (k + 1) * n), `grad (${mode}) at point ${k}`));
        }
        const few = points.slice(0, 8);
        const H = (g.hessian(new Tensor([few.length, n], Float64Array.from(few.flat()))) as Tensor).data;
        few.forEach((p, k) => identical((g.hessian(p) as Tensor).data, H.subarray(k * n * n, (k + 1) * n * n), `hessian at point ${k}`));
      });
    }), runs(0.3));
    // (a case compiles two functions and sweeps four modes and a Hessian over every point: up to
    // 50 ms on this machine, so the guard against a hang allows that, not the 20 ms of the others)
  }, timeout(0.75));
});

describe("random elementwise tensor programs (fused loops): reverse = forward, batch = per point", () => {
  // A program keeps a pool of length-m vectors (three windows of x to start) and
  // appends steps: +, −, · with a vector, a constant or an entry of the pool
  // (a broadcast scalar), a safe division a/(a² + ½), negation, √(a² + 1). Its
  // output sums the last vector and products of pool vectors. Chains of such runs
  // fuse; windows shifted by one make groups end where they must.
  const step = fc.record({ kind: fc.integer({ min: 0, max: 5 }), a: fc.nat(), b: fc.nat(), bKind: fc.integer({ min: 0, max: 2 }),
    c: fc.double({ min: 0.5, max: 2, noNaN: true }) });
  const arb = fc.record({
    m: fc.integer({ min: 8, max: 40 }),
    steps: fc.array(step, { minLength: 1, maxLength: 10 }),
    pairs: fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 3 }),
    points: fc.integer({ min: 1, max: 7 }),
    seed: fc.integer({ min: 1, max: 1e6 }),
  });
  type Program = { m: number; steps: { kind: number; a: number; b: number; bKind: number; c: number }[]; pairs: [number, number][] };
  const build = (p: Program) =>
    (x: Node) => {
      const m = p.m, pool = [x.slice([0], [m]), x.slice([1], [m + 1]), x.slice([2])];
      const pick = (i: number) => pool[i % pool.length];
      for (const s of p.steps) {
        const a = pick(s.a), b = s.bKind === 0 ? pick(s.b) : s.bKind === 1 ? s.c : pick(s.b).at(s.b % m);
        pool.push([a.add(b), a.sub(b), a.mul(b), a.div(a.mul(a).add(0.5)), a.neg(), a.mul(a).add(1).sqrt()][s.kind]);
      }
      return p.pairs.reduce((acc, [i, j]) => acc.add(pick(i).mul(pick(j)).sum()), pool[pool.length - 1].sum());
    };

  it("gradients and vector-Jacobian products agree across sweeps, and batches with their points bit for bit", () => {
    fc.assert(fc.property(arb, (p) => {
      const nIn = p.m + 2;
      const f = fn(nIn, build(p));
      try {
        let s = p.seed;
        const next = () => (s = (s * 48271) % 2147483647) / 2147483647;
        const points = Array.from({ length: p.points }, () => Float64Array.from({ length: nIn }, () => 0.5 + 1.5 * next()));
        const forward = points.map((x) => f.grad(x, { mode: "forward" }) as Float64Array);
        fc.pre(forward.every((g) => allFinite(g) && maxAbs(g) < HUGE));
        const reverse = points.map((x) => f.grad(x, { mode: "reverse" }) as Float64Array);
        reverse.forEach((g, k) => within(g, forward[k], 1e-10 * Math.max(1, maxAbs(forward[k])), `reverse grad at point ${k}`));
        const G = (f.grad(new Tensor([p.points, nIn], Float64Array.from(points.flatMap((x) => [...x]))), { mode: "reverse" }) as Tensor).data;
        reverse.forEach((g, k) => identical(G.subarray(k * nIn, (k + 1) * nIn), g, `batch grad at point ${k}`));
        points.forEach((x, k) => within(f.vjp(x, 3) as Float64Array, forward[k].map((v) => 3 * v), 1e-10 * Math.max(1, 3 * maxAbs(forward[k])), `vjp at point ${k}`));
      } finally {
        f.dispose();
      }
    }), runs(0.5));
  }, timeout(0.5));
});

describe("large programs (generated code in memory, rerolled loops): both tiers to the bit, reverse = forward", () => {
  // A random term over 1–3 variables, summed over 300–900 indices i with each of its
  // variables read at an index map of i (i, i + 1, n − 1 − i, 2i, 3i + 1 mod n): thousands
  // of steps, so the compiled tier keeps values in memory and rolls the terms into loops.
  // Terms run up or down, and one may appear twice (the graph then shares it).
  const maps = [(i: number, n: number) => i % n, (i: number, n: number) => (i + 1) % n, (i: number, n: number) => n - 1 - (i % n),
    (i: number, n: number) => (2 * i) % n, (i: number, n: number) => (3 * i + 1) % n];
  const arb = fc.record({
    expr: A.exprArb({ maxVars: 3, maxSteps: 6 }),
    n: fc.integer({ min: 200, max: 500 }),
    count: fc.integer({ min: 300, max: 900 }),
    picks: fc.array(fc.nat(maps.length - 1), { minLength: 3, maxLength: 3 }),
    down: fc.boolean(),
    twice: fc.option(fc.nat()),
    seed: fc.integer({ min: 1, max: 1e6 }),
  });

  it("values, gradients, jvp, vjp and hvp of sums of thousands of terms", () => {
    fc.assert(fc.property(arb, ({ expr, n, count, picks, down, twice, seed }) => {
      const names = Array.from({ length: n }, (_, k) => `x${k}`);
      const term = (i: number) => A.print(expr.tree, expr.vars.map((_, j) => names[maps[picks[j]](i, n)]));
      const order = Array.from({ length: count }, (_, i) => (down ? count - 1 - i : i));
      const terms = order.map(term);
      if (twice !== null) terms.push(term(twice % count));
      let r = seed;
      const next = () => (r = (r * 48271) % 2147483647) / 2147483647;
      const x = Float64Array.from({ length: n }, () => 1.4 * next() - 0.7), v = Float64Array.from({ length: n }, () => next() - 0.5);
      withCompiled(terms.join(" + "), names, (f) => {
        f.eval(x);
        const g = f.grad(x) as Float64Array, t = f.jvp(x, v) as number;
        f.vjp(x, 0.5);
        f.hvp(x, v);
        if (!allFinite(g) || maxAbs(g) > HUGE || !Number.isFinite(t)) return;
        let dot = 0, scale = 0;
        for (let k = 0; k < n; k++) { dot += g[k] * v[k]; scale += Math.abs(g[k] * v[k]); }
        within([t], [dot], 1e-10 * Math.max(1, scale), "jvp = ∇f·v");
      });
    }), runs(0.25));
    // (a hang guard sized to this property's cases, which compile modules of up to several MB: 500 cases took
    // 297 s alone at GRADIENTS_FUZZ_RUNS=2000 on 2026-12-08, 154 s the day before, against 180 s allowed)
  }, Math.max(180_000, RUNS * 0.25 * 1_000));
});

describe("parse(print(tree)) is the tree", () => {
  it("the compiled string evaluates as the interpreter does, and every spelling compiles to the same function", () => {
    const arb = A.exprAtPointArb({ kinks: true }).chain((p) => fc.tuple(A.styleArb, A.styleArb).map(([s1, s2]) => ({ ...p, s1, s2 })));
    fc.assert(fc.property(arb, ({ expr, x, s1, s2 }) => {
      fc.pre(A.kinkMargin(expr.tree, x) > 1e-9);
      const ref = A.evaluate(expr.tree, x);
      const texts = [A.print(expr.tree, expr.vars), A.print(expr.tree, expr.vars, s1), A.print(expr.tree, expr.vars, s2)];
      const fs = texts.map((t) => compile(t, { vars: expr.vars }));
      try {
        const v = fs[0].eval(x) as number;
        if (Number.isFinite(ref.v)) {
          const tol = 1e-12 * Math.abs(ref.v) + 16 * ref.e + 1e-290;
          if (!(Math.abs(v - ref.v) <= tol)) throw new Error(`${texts[0]} at ${JSON.stringify(x)}: got ${v}, the interpreter ${ref.v} (tolerance ${tol.toExponential(2)})`);
        } else {
          expect(Number.isFinite(v), `the interpreter gives ${ref.v}, the library ${v}`).toBe(false);
        }
        const g = fs[0].grad(x) as Float64Array;
        for (let k = 1; k < fs.length; k++) {
          expect(fs[k].tapeSize, `tape of ${JSON.stringify(texts[k])}`).toEqual(fs[0].tapeSize);
          identical(fs[k].eval(x) as number, v, `eval of ${JSON.stringify(texts[k])}`);
          identical(fs[k].grad(x) as Float64Array, g, `grad of ${JSON.stringify(texts[k])}`);
        }
        // Shared subtrees are hash-consed: no more instructions than distinct operations.
        // (Each variable read is one instruction too.)
        expect(fs[0].tapeSize.instructions).toBeLessThanOrEqual(distinctOperations(expr.tree) + expr.vars.length);
      } finally {
        for (const f of fs) f.dispose();
      }
    }), runs());
  }, timeout());
});

/**
 * Distinct operation nodes of a tree, by structure (what hash-consing can merge).
 * A where is four (keep, keep, not, add), and its branches' operands may each be
 * guarded by its condition (ir/branches.ts): at most one Keep per operand of each
 * distinct node in a branch.
 */
function distinctOperations(t: A.Tree): number {
  let guards = 0, wheres = 0;
  const walk = (u: A.Tree, visit: (v: A.Tree) => void): void => {
    visit(u);
    if (u.k === "neg") walk(u.a, visit);
    else if (u.k === "bin") { walk(u.a, visit); walk(u.b, visit); }
    else if (u.k === "call") u.args.forEach((v) => walk(v, visit));
  };
  walk(t, (u) => {
    if (u.k !== "call" || u.fn !== "where") return;
    const inside = new Set<A.Tree>();
    for (const branch of u.args.slice(1)) walk(branch, (v) => inside.add(v));
    guards += 3 + 3 * inside.size; // a guard and a guarded copy per node inside, a condition for a node two branches share
    wheres++;
  });
  // (and the conditions on the way down to a shared node's readers: at most one per pair of branch regions)
  return distinctStructures(t) + guards + (2 * wheres) ** 2;
}

function distinctStructures(t: A.Tree): number {
  const keys = new Map<A.Tree, string>();
  const ops = new Set<string>();
  const key = (u: A.Tree): string => {
    const known = keys.get(u);
    if (known !== undefined) return known;
    let k: string;
    switch (u.k) {
      case "num": k = `#${u.v}`; break;
      case "const": k = u.name; break;
      case "var": k = `$${u.i}`; break;
      case "neg": k = `neg(${key(u.a)})`; break;
      case "bin": k = `${u.op === "^" ? "pow" : u.op}(${key(u.a)},${key(u.b)})`; break;
      case "call": k = `${u.fn}(${u.args.map(key).join(",")})`; break;
    }
    if (u.k === "neg" || u.k === "bin" || u.k === "call") ops.add(k);
    keys.set(u, k);
    return k;
  };
  key(t);
  return ops.size;
}

/** derivative() and gradientExpr() of a random expression, compiled, equal the AD gradient at x. */
function symbolicMatchesAD({ expr, x }: { expr: A.Expr; x: number[] }): void {
  fc.pre(A.kinkMargin(expr.tree, x) > 1e-6);
  const ref = A.evaluate(expr.tree, x);
  fc.pre(Number.isFinite(ref.v) && allFinite(ref.ga) && maxAbs(ref.ga) < HUGE && ref.pmax < 1e30);
  const text = A.print(expr.tree, expr.vars);
  const exprs = gradientExpr(text, expr.vars);
  expect(exprs).toHaveLength(expr.vars.length);
  withCompiled(text, expr.vars, (f) => {
    const g = f.grad(x) as Float64Array;
    const scale = Math.max(maxAbs(ref.ga), 1e-300);
    expr.vars.forEach((v, i) => {
      const d = derivative(text, v);
      expect(exprs[i], `gradientExpr[${i}]`).toBe(d);
      const got = withCompiled(d, expr.vars, (df) => df.eval(x) as number);
      const tol = 1e-10 * Math.max(ref.ga[i], 1e-3 * scale);
      if (!(Math.abs(got - g[i]) <= Math.max(tol, 1e-290))) {
        throw new Error(`d/d${v} ${text} = ${d}: at ${JSON.stringify(x)} evaluates to ${got}, AD gives ${g[i]} (tolerance ${tol.toExponential(2)})`);
      }
    });
  });
}

describe("symbolic derivatives evaluate to the exact ones", () => {
  it("derivative() and gradientExpr() strings, compiled, equal the AD gradient", () => {
    fc.assert(fc.property(A.exprAtPointArb({ kinks: true, maxSteps: 8, maxSize: 40, exclude: ["rawPowEven"] }), symbolicMatchesAD), runs());
  }, timeout());

  // (u²)^r is |u|^(2r): simplifying it to u^(2r) is wrong where u < 0.
  it("… also for powers of squares, (u^2)^r", () => {
    fc.assert(fc.property(A.exprAtPointArb({ kinks: true, maxSteps: 8, maxSize: 40, focus: "rawPowEven" }), symbolicMatchesAD), runs(0.3));
  }, timeout(0.3));
});

// ---------------------------------------------------------------------------
// Tensor operations against their scalar expansions

type Inputs = Record<string, number[] | number[][]>;
type Body = (x: Record<string, Node>) => Node | Node[] | Node[][];

const sumOf = (terms: Node[]): Node => terms.reduce((s, t) => s.add(t));

/** The determinant of a node matrix by cofactors (k ≤ 3). */
function detNodes(M: (i: number, j: number) => Node, k: number): Node {
  if (k === 1) return M(0, 0);
  if (k === 2) return M(0, 0).mul(M(1, 1)).sub(M(0, 1).mul(M(1, 0)));
  return M(0, 0).mul(M(1, 1).mul(M(2, 2)).sub(M(1, 2).mul(M(2, 1))))
    .sub(M(0, 1).mul(M(1, 0).mul(M(2, 2)).sub(M(1, 2).mul(M(2, 0)))))
    .add(M(0, 2).mul(M(1, 0).mul(M(2, 1)).sub(M(1, 1).mul(M(2, 0)))));
}

/** The inverse of a node matrix as adjugate / det (k ≤ 3). */
function invNodes(A: Node, k: number): Node[][] {
  const d = detNodes((i, j) => A.get(i, j), k);
  const minor = (r: number, c: number) => (i: number, j: number) => A.get(i < r ? i : i + 1, j < c ? j : j + 1);
  return Array.from({ length: k }, (_, i) => Array.from({ length: k }, (_, j) =>
    (k === 1 ? d.pow(-1) : detNodes(minor(j, i), k - 1).mul((i + j) % 2 ? -1 : 1).div(d))));
}

/** Shapes of the inputs, from their values. */
function specOf(inputs: Inputs): Record<string, number[]> {
  return Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, Array.isArray(v[0]) ? [v.length, (v[0] as number[]).length] : [v.length]]));
}

/**
 * The tensor form and the scalar form of one function agree: values to `rel`
 * of the values' scale, Jacobians by every input, forward and reverse, to `rel`
 * of the Jacobians' scale.
 */
function sameFunction(inputs: Inputs, tensorBody: Body, scalarBody: Body, rel: number, label: string,
                      valueScale?: number): { value: Float64Array; tensor: Func } {
  const spec = specOf(inputs);
  const t = fn(spec, tensorBody as never), s = fn(spec, scalarBody as never);
  try {
    expect(t.outputShape, `${label}: output shape`).toEqual(s.outputShape);
    const tv = valueData(t.eval(inputs)), sv = valueData(s.eval(inputs));
    // Sums may cancel: their rounding is relative to the terms (valueScale), not to the result.
    within(tv, sv, rel * Math.max(maxAbs(sv), valueScale ?? 0), `${label}: value`);
    for (const mode of ["forward", "reverse"] as const) {
      for (const wrt of Object.keys(spec)) {
        const Jt = (t.jacobian(inputs, { mode, wrt }) as Tensor).data, Js = (s.jacobian(inputs, { mode, wrt }) as Tensor).data;
        within(Jt, Js, rel * Math.max(maxAbs(Js), 1e-300), `${label}: jacobian (${mode}) by ${wrt}`);
      }
    }
    return { value: tv, tensor: t };
  } finally {
    s.dispose();
  }
}

function valueData(v: unknown): Float64Array {
  if (typeof v === "number") return Float64Array.of(v);
  if (v instanceof Float64Array) return v;
  return (v as Tensor).data;
}

const dim = fc.integer({ min: 1, max: 3 });

describe("tensor operations equal their scalar expansions (values and Jacobians)", () => {
  it("matmul, transpose, trace, dot, outer, sum(axis), norm, diag", () => {
    const arb = fc.tuple(dim, dim, dim).chain(([m, k, p]) => fc.record({
      A: A.matrixArb(m, k), B: A.matrixArb(k, p), S: A.matrixArb(k, k), a: A.vectorArb(k), b: A.vectorArb(k), c: A.vectorArb(p),
      axis: fc.constantFrom(0, 1),
    }));
    fc.assert(fc.property(arb, ({ A: Am, B, S, a, b, c, axis }) => {
      const m = Am.length, k = B.length, p = B[0].length;
      const grid = <T>(r: number, q: number, f: (i: number, j: number) => T) => Array.from({ length: r }, (_, i) => Array.from({ length: q }, (_, j) => f(i, j)));
      const range = (r: number) => Array.from({ length: r }, (_, i) => i);
      const done: Func[] = [];
      const keep = (r: { tensor: Func }) => done.push(r.tensor);
      try {
        keep(sameFunction({ A: Am, B }, ({ A, B }) => A.matmul(B),
          ({ A, B }) => grid(m, p, (i, j) => sumOf(range(k).map((l) => A.get(i, l).mul(B.get(l, j))))), 1e-13, "matmul", 36));
        keep(sameFunction({ A: Am, b }, ({ A, b }) => A.matvec(b),
          ({ A, b }) => range(m).map((i) => sumOf(range(k).map((l) => A.get(i, l).mul(b.at(l))))), 1e-13, "matvec", 36));
        keep(sameFunction({ a, B }, ({ a, B }) => a.matmul(B),
          ({ a, B }) => range(p).map((j) => sumOf(range(k).map((l) => a.at(l).mul(B.get(l, j))))), 1e-13, "vector·matrix", 36));
        keep(sameFunction({ A: Am }, ({ A }) => A.transpose(), ({ A }) => grid(k, m, (i, j) => A.get(j, i)), 0, "transpose"));
        keep(sameFunction({ S }, ({ S }) => S.trace(), ({ S }) => sumOf(range(k).map((i) => S.get(i, i))), 1e-13, "trace", 36));
        keep(sameFunction({ a, b }, ({ a, b }) => a.dot(b), ({ a, b }) => sumOf(range(k).map((i) => a.at(i).mul(b.at(i)))), 1e-13, "dot", 36));
        keep(sameFunction({ A: Am }, ({ A }) => A.dot(A), ({ A }) => sumOf(grid(m, k, (i, j) => A.get(i, j).mul(A.get(i, j))).flat()), 1e-13, "dot of matrices", 36));
        keep(sameFunction({ a, c }, ({ a, c }) => a.outer(c), ({ a, c }) => grid(k, p, (i, j) => a.at(i).mul(c.at(j))), 0, "outer"));
        keep(sameFunction({ A: Am }, ({ A }) => A.sum(axis),
          ({ A }) => (axis === 0 ? range(k).map((j) => sumOf(range(m).map((i) => A.get(i, j)))) : range(m).map((i) => sumOf(range(k).map((j) => A.get(i, j))))),
          1e-13, `sum(axis ${axis})`, 36));
        keep(sameFunction({ A: Am }, ({ A }) => A.sum(), ({ A }) => sumOf(grid(m, k, (i, j) => A.get(i, j)).flat()), 1e-13, "sum", 36));
        // (where a square leaves the normal range the expansion does too, and norm, scaled, does not: then Math.hypot's)
        if (a.every((v) => v === 0 || (Math.abs(v) > 1e-150 && Math.abs(v) < 1e150))) {
          keep(sameFunction({ a }, ({ a }) => a.norm(), ({ a }) => sumOf(range(k).map((i) => a.at(i).mul(a.at(i)))).sqrt(), 1e-13, "norm", 36));
        } else {
          const N = fn({ a: [k] }, ({ a }) => a.norm()), h = Math.hypot(...a);
          done.push(N);
          within(Float64Array.of(N.eval({ a }) as number), Float64Array.of(h), 1e-15 * h, "norm, scaled: value");
          // ∂‖a‖/∂aᵢ = aᵢ/‖a‖ = uᵢ/‖u‖ with u = a/max|aⱼ| (exact algebra; a/h with h rounded to a subnormal is not)
          const top = Math.max(...a.map(Math.abs)), u = a.map((v) => v / top), r = Math.sqrt(u.reduce((t, v) => t + v * v, 0));
          if (h > 0 && Number.isFinite(h)) within(N.grad({ a }) as Float64Array, Float64Array.from(u, (v) => v / r), 1e-15, "norm, scaled: gradient");
        }
        keep(sameFunction({ a }, ({ a }) => a.diag(), ({ a }) => grid(k, k, (i, j) => (i === j ? a.at(i) : a.at(i).mul(0))), 0, "diag"));
      } finally {
        for (const f of done) f.dispose();
      }
    }), runs());
  }, timeout());

  it("det, inv and solve (LU with pivoting) equal cofactor formulas and Cramer's rule; A·inv(A) = I, A·x = b", () => {
    const arb = fc.integer({ min: 1, max: 3 }).chain((k) => fc.record({ S: A.wellConditionedArb(k), b: A.vectorArb(k), R: A.matrixArb(k, 2) }));
    fc.assert(fc.property(arb, ({ S, b, R }) => {
      const k = S.length;
      const range = (r: number) => Array.from({ length: r }, (_, i) => i);
      const Sinv = A.inverse(S), d = A.det(S);
      const done: Func[] = [];
      try {
        // det: the cofactor expansion; its gradient is the cofactor matrix det·A⁻ᵀ.
        const dr = sameFunction({ S }, ({ S }) => S.det(), ({ S }) => detNodes((i, j) => S.get(i, j), k), 1e-12, "det");
        done.push(dr.tensor);
        within(dr.value, [d], 1e-12 * Math.max(Math.abs(d), 1), "det vs cofactors (JS)");
        within((dr.tensor.grad({ S }) as Tensor).data, range(k * k).map((q) => d * Sinv[q % k][Math.floor(q / k)]), 1e-11 * Math.abs(d) * maxAbs(Sinv.flat()), "∇det = cofactors");
        // inv: adjugate/det; A·inv(A) = I; ∂(A⁻¹)ij/∂Akl = −(A⁻¹)ik(A⁻¹)lj.
        const ir = sameFunction({ S }, ({ S }) => S.inv(), ({ S }) => invNodes(S, k), 1e-11, "inv");
        done.push(ir.tensor);
        const X = ir.value;
        const product = range(k * k).map((q) => range(k).reduce((s, l) => s + S[Math.floor(q / k)][l] * X[l * k + (q % k)], 0));
        within(product, range(k * k).map((q) => (Math.floor(q / k) === q % k ? 1 : 0)), 1e-12 * 30 * k, "A·inv(A) = I");
        const J = (ir.tensor.jacobian({ S }) as Tensor).data;
        const want = range(k ** 4).map((q) => {
          const i = Math.floor(q / k ** 3), j = Math.floor(q / k ** 2) % k, kk = Math.floor(q / k) % k, l = q % k;
          return -Sinv[i][kk] * Sinv[l][j];
        });
        within(J, want, 1e-10 * maxAbs(want), "∂inv closed form");
        // solve: Cramer's rule; A·x = b; for a matrix right-hand side too.
        const cramer = (A: Node, rhs: (i: number) => Node) => {
          const dA = detNodes((i, j) => A.get(i, j), k);
          return range(k).map((c) => detNodes((i, j) => (j === c ? rhs(i) : A.get(i, j)), k).div(dA));
        };
        const sr = sameFunction({ S, b }, ({ S, b }) => S.solve(b), ({ S, b }) => cramer(S, (i) => b.at(i)), 1e-11, "solve");
        done.push(sr.tensor);
        within(range(k).map((i) => range(k).reduce((s, j) => s + S[i][j] * sr.value[j], 0)), b, 1e-12 * 30 * k * Math.max(maxAbs(b), 1), "A·x = b");
        const mr = sameFunction({ S, R }, ({ S, R }) => S.solve(R),
          ({ S, R }) => { const cols = [0, 1].map((c) => cramer(S, (i) => R.get(i, c))); return range(k).map((i) => [cols[0][i], cols[1][i]]); },
          1e-11, "solve (matrix right-hand side)");
        done.push(mr.tensor);
      } finally {
        for (const f of done) f.dispose();
      }
    }), runs());
  }, timeout());

  it("the grammar's tensor functions compile to the same functions as the builder's", () => {
    const arb = fc.integer({ min: 1, max: 3 }).chain((k) => fc.record({ S: A.wellConditionedArb(k), B: A.matrixArb(k, k), a: A.vectorArb(k), b: A.vectorArb(k) }));
    const cases: [string, (x: Record<string, Node>) => Node][] = [
      ["det(S)", ({ S }) => S.det()], ["inv(S)", ({ S }) => S.inv()], ["solve(S, a)", ({ S, a }) => S.solve(a)],
      ["trace(S)", ({ S }) => S.trace()], ["transpose(B)", ({ B }) => B.transpose()], ["sum(B)", ({ B }) => B.sum()],
      ["norm(a)", ({ a }) => a.norm()], ["diag(a)", ({ a }) => a.diag()], ["dot(a, b)", ({ a, b }) => a.dot(b)],
      ["matmul(S, B)", ({ S, B }) => S.matmul(B)], ["outer(a, b)", ({ a, b }) => a.outer(b)],
      ["trace(matmul(inv(S), transpose(B))) + dot(solve(S, a), b)*det(S)",
        ({ S, B, a, b }) => S.inv().matmul(B.transpose()).trace().add(S.solve(a).dot(b).mul(S.det()))],
      ["sin(S)*B + exp(outer(a, b))/2", ({ S, B, a, b }) => S.sin().mul(B).add(a.outer(b).exp().div(2))],
    ];
    fc.assert(fc.property(arb, fc.constantFrom(...cases), (inputs, [text, body]) => {
      const k = inputs.S.length;
      const vars = { S: [k, k], B: [k, k], a: [k], b: [k] };
      const f = compile(text, { vars }), g = fn(vars, body as never);
      try {
        identical(valueData(f.eval(inputs)), valueData(g.eval(inputs)), `${text}: value`);
        for (const mode of ["forward", "reverse"] as const) {
          for (const wrt of ["S", "B", "a", "b"]) {
            identical((f.jacobian(inputs, { mode, wrt }) as Tensor).data, (g.jacobian(inputs, { mode, wrt }) as Tensor).data, `${text}: jacobian (${mode}) by ${wrt}`);
          }
        }
      } finally {
        f.dispose();
        g.dispose();
      }
    }), runs());
  }, timeout());
});

// ---------------------------------------------------------------------------
// The smallest cases of what the properties above found, as plain examples.

describe("regressions found by the properties", () => {
  it("the reverse-mode Hessian of -(x^2)^x (one variable) equals the forward one and the closed form", () => {
    // f = −e^g with g = 2x·ln x: f'' = −e^g·(g'² + g''), g' = 2 ln x + 2, g'' = 2/x.
    const x = 0.7, g = 2 * x * Math.log(x), g1 = 2 * Math.log(x) + 2, g2 = 2 / x;
    const want = -Math.exp(g) * (g1 * g1 + g2);
    for (const text of ["-(x^2)^x", "0 - (1 + x^2)^x"]) {
      withCompiled(text, ["x"], (f) => {
        const fwd = (f.hessian([x]) as Tensor).data[0], rev = (f.hessian([x], { mode: "reverse" }) as Tensor).data[0];
        if (text === "-(x^2)^x") within([fwd], [want], 1e-12 * Math.abs(want), `${text}: forward hessian vs closed form`);
        within([rev], [fwd], 1e-12 * Math.abs(fwd), `${text}: reverse hessian vs forward`);
      });
    }
  });

  it("symbolic derivatives print a negated product in an exponent with parentheses: d/dz z*2^(-(x*y)) = 2^(-(x*y))", () => {
    const d = derivative("z*2^(-(x*y))", "z");
    withCompiled(d, ["x", "y", "z"], (f) => within([f.eval([0.5, 2, 3]) as number], [0.5], 1e-15, `derivative = ${d}`));
  });
});
