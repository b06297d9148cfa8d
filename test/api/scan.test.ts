// scan: a step function applied to a carry as one tape instruction. Each case
// is checked against the same computation unrolled in the trace (equal to
// rounding), in forward and reverse mode, at points and in batches; a long scan
// against a closed form; the tape does not grow with the step count.
import { describe, expect, it } from "vitest";
import { concat, fn, InputError, scan, ShapeError, Tensor, type Node } from "../../bindings/index.js";
import { expectClose, expectIdentical, expectThrows, random } from "../support/helpers.js";
import { onBothTiers } from "../support/tiers.js";

const r = random(21);

/** Every first-derivative method of two functions of one input agrees (to rounding) at x and in a batch. */
function agree(looped: ReturnType<typeof fn>, unrolled: ReturnType<typeof fn>, x: Float64Array, tol = 1e-12): void {
  const n = x.length;
  expectClose([looped.eval(x) as number].flat(), [unrolled.eval(x) as number].flat(), tol, "value");
  for (const mode of ["forward", "reverse"] as const) {
    expectClose((looped.jacobian(x, { mode }) as Tensor).data, (unrolled.jacobian(x, { mode }) as Tensor).data, tol, `jacobian (${mode})`);
  }
  const batch = new Tensor([3, n], Float64Array.from({ length: 3 * n }, (_, k) => x[k % n] * (1 - 0.2 * Math.floor(k / n))));
  expectClose((looped.jacobian(batch) as Tensor).data, (unrolled.jacobian(batch) as Tensor).data, tol, "batch jacobian");
  expectClose((looped.eval(batch) as Tensor).data, (unrolled.eval(batch) as Tensor).data, tol, "batch value");
}

describe("scan", () => {
  it("an explicit-Euler ODE (a chain with tanh): the unrolled loop's values and derivatives; the tape does not grow with the steps", () => {
    const n = 6, dt = 0.05;
    const rhs = (s: Node) => concat([s.slice([0], [1]).mul(0), s.slice([0], [n - 1]).tanh()]).sub(s);
    const step = fn({ s: [n] }, ({ s }) => s.add(rhs(s).mul(dt)));
    const at = Float64Array.from({ length: n }, () => 2 * r() - 1);
    for (const steps of [1, 7, 40]) {
      const looped = fn(n, (s0) => scan(step, s0, { length: steps }).pow(2).sum());
      const unrolled = fn(n, (s0) => {
        let s = s0;
        for (let t = 0; t < steps; t++) s = s.add(rhs(s).mul(dt));
        return s.pow(2).sum();
      });
      agree(looped, unrolled, at);
    }
    const short = fn(n, (s0) => scan(step, s0, { length: 3 }).sum()), long = fn(n, (s0) => scan(step, s0, { length: 3000 }).sum());
    expect(long.tapeSize).toEqual(short.tapeSize);
    const none = fn(n, (s0) => scan(step, s0, { length: 0 }).sum());
    expect(none.eval(at)).toBe(at.reduce((s, v) => s + v, 0)); // zero steps: the initial carry
  });

  it("checkpoints (every k-th carry kept, the rest recomputed) give the same bits; a vector result's Jacobian takes several lanes each way", () => {
    const n = 4, dt = 0.1;
    const step = fn({ s: [n] }, ({ s }) => s.add(s.sin().mul(concat([s.slice([1]), s.slice([0], [1])])).mul(dt)));
    const at = Float64Array.from({ length: n }, () => r() - 0.5);
    const plain = fn(n, (s0) => scan(step, s0, { length: 40 }));
    for (const checkpoint of [3, 7, 40, 100]) {
      const saved = fn(n, (s0) => scan(step, s0, { length: 40, checkpoint }));
      for (const mode of ["reverse", "forward"] as const) {
        expect(Array.from((saved.jacobian(at, { mode }) as Tensor).data)).toEqual(Array.from((plain.jacobian(at, { mode }) as Tensor).data));
      }
    }
    const unrolled = fn(n, (s0) => {
      let s = s0;
      for (let t = 0; t < 40; t++) s = s.add(s.sin().mul(concat([s.slice([1]), s.slice([0], [1])])).mul(dt));
      return s;
    });
    for (const mode of ["reverse", "forward"] as const) {
      expectClose((plain.jacobian(at, { mode }) as Tensor).data, (unrolled.jacobian(at, { mode }) as Tensor).data, 1e-12, `J (${mode})`);
    }
    expectThrows(() => fn(n, (s0) => scan(step, s0, { length: 4, checkpoint: 0 })), InputError, /checkpoint must be a whole number ≥ 1/);
  });

  it("a recurrent cell h ← tanh(W·h + U·x_t + b) over a sequence xs, with the weights as params: ∂/∂(h0, xs, weights)", () => {
    const H = 3, X = 2, T = 5, P = H * H + H * X + H;
    const cell = (h: Node, x: Node, p: Node) => {
      const W = p.slice([0], [H * H]).reshape([H, H]), U = p.slice([H * H], [H * H + H * X]).reshape([H, X]), b = p.slice([H * H + H * X]);
      return W.matvec(h).add(U.matvec(x)).add(b).tanh();
    };
    const step = fn({ h: [H], x: [X], p: [P] }, ({ h, x, p }) => cell(h, x, p));
    const spec = { h0: [H], xs: [T, X], p: [P] };
    const looped = fn(spec, ({ h0, xs, p }) => scan(step, h0, { xs, params: p }).sum());
    const unrolled = fn(spec, ({ h0, xs, p }) => {
      let h = h0;
      for (let t = 0; t < T; t++) h = cell(h, xs[t], p);
      return h.sum();
    });
    const at = { h0: [0.1, -0.2, 0.3], xs: Array.from({ length: T }, () => [r() - 0.5, r() - 0.5]), p: Array.from({ length: P }, () => r() - 0.5) };
    expectClose([looped.eval(at) as number], [unrolled.eval(at) as number], 1e-14, "value");
    for (const mode of ["forward", "reverse"] as const) {
      const a = looped.grad(at, { mode }) as Record<string, Tensor | Float64Array>, b = unrolled.grad(at, { mode }) as Record<string, Tensor | Float64Array>;
      for (const k of ["h0", "xs", "p"]) {
        const data = (v: Tensor | Float64Array) => (v instanceof Tensor ? v.data : v);
        expectClose(data(a[k]), data(b[k]), 1e-13, `∂/∂${k} (${mode})`);
      }
    }
  });

  it("a fixed-point iteration x ← a·cos x: 60 steps reach x* = a·cos x*, and dx*/da = cos x* / (1 + a·sin x*)", () => {
    const step = fn({ x: [], a: [] }, ({ x, a }) => a.mul(x.cos()));
    const f = fn({ a: [] }, ({ a }) => scan(step, 0.5, { length: 60, params: a }));
    const a = 0.8, x = f.eval({ a }) as number;
    expect(Math.abs(x - a * Math.cos(x))).toBeLessThan(1e-12);
    const want = Math.cos(x) / (1 + a * Math.sin(x));
    for (const mode of ["forward", "reverse"] as const) expectClose([f.grad({ a }, { mode }) as number], [want], 1e-10, `dx*/da (${mode})`);
  });

  it("100,000 steps: s ← (1 − h)·s gives s₀(1 − h)ᵀ and its derivative (1 − h)ᵀ, both modes", () => {
    const T = 100_000, h = 1e-5;
    const step = fn({ s: [] }, ({ s }) => s.mul(1 - h));
    const f = fn({ s0: [] }, ({ s0 }) => scan(step, s0, { length: T }));
    let factor = 1;
    for (let t = 0; t < T; t++) factor *= 1 - h; // the same products in the same order
    expect(f.eval({ s0: 2 })).toBe(2 * factor);
    for (const mode of ["forward", "reverse"] as const) expect(f.grad({ s0: 2 }, { mode })).toBe(factor);
  }, 60_000);

  it("a carry entry a lane never reaches stays exactly 0 through the steps, as unrolled: not 0·∞ = NaN", () => {
    // (a, b) ← (a², b·p + x_t): a overflows to ∞ at once from 1e200 and never meets b, p or xs
    const step = fn({ s: [2], x: [], p: [] }, ({ s, x, p }) => concat([s.get(0).pow(2).reshape([1]), s.get(1).mul(p).add(x).reshape([1])]));
    const xs = [0.5, -0.25, 2], p = 1.5, z = [1e200, 1.5];
    const viaScan = (pick: (s: Node) => Node) => fn({ z: [2], xs: [3], p: [] }, (v) => pick(scan(step, v.z, { xs: v.xs, params: v.p })));
    const b3 = ((z[1] * p + xs[0]) * p + xs[1]) * p + xs[2]; // b after three steps
    // ∂b₃: by b₀ p³, by p 3p²b₀ + 2p·x₀ + x₁, by x_t p^(2−t); ∂a₃/∂a₀ = 8a₀⁷ = ∞
    const db = { z: [0, p ** 3], xs: [p * p, p, 1], p: 3 * p * p * z[1] + 2 * p * xs[0] + xs[1] };
    for (const mode of ["forward", "reverse"] as const) {
      const g = viaScan((s) => s.get(1)).grad({ z, xs, p }, { mode }) as Record<string, Float64Array | number>;
      expect(viaScan((s) => s.get(1)).eval({ z, xs, p })).toBe(b3);
      expect(Array.from(g.z as Float64Array), mode).toEqual(db.z); // (NaN, on the code before)
      expectClose(g.xs as Float64Array, db.xs, 1e-15, `∂/∂xs (${mode})`);
      expectClose([g.p as number], [db.p], 1e-15, `∂/∂p (${mode})`);
      // a₃ + b₃: ∂/∂a₀ is ∞, and ∂/∂b₀ still p³
      const sum = viaScan((s) => s.sum()).grad({ z, xs, p }, { mode }) as Record<string, Float64Array>;
      expect(Array.from(sum.z), mode).toEqual([Infinity, p ** 3]);
    }
  });

  it("in reverse mode what a point's cotangents reach is decided at that point: alone or in a batch, the same bits", () => {
    // y = c0 + w·c1 after (c0, c1) ← (c0/2, √c1) from c1 = 0: w = 0 reaches no c1 (√′ is ∞ there)
    const step = fn({ c: [2] }, ({ c }) => concat([c.get(0).mul(0.5).reshape([1]), c.get(1).sqrt().reshape([1])]));
    const f = fn({ x: [3] }, ({ x }) => { const s = scan(step, concat([x.get(0).reshape([1]), x.get(1).reshape([1])]), { length: 1 }); return s.get(0).add(x.get(2).mul(s.get(1))); });
    const alone = [0, 1].map((w) => Array.from(f.grad([1, 0, w], { mode: "reverse" }) as Float64Array));
    expect(alone[0]).toEqual([0.5, 0, 0]);
    expect(alone[1]).toEqual([0.5, Infinity, 0]);
    const batch = (f.grad(new Tensor([2, 3], Float64Array.of(1, 0, 0, 1, 0, 1)), { mode: "reverse" }) as Tensor).data;
    expect(Array.from(batch)).toEqual([...alone[0], ...alone[1]]); // (the w = 0 point was NaN beside the w = 1 one)
  });

  it("works inside reduced batches and on both tiers; a step that fails leaves the library usable", () => {
    const step = fn({ h: [2], w: [2] }, ({ h, w }) => h.mul(w).add(h.sin()));
    const model = fn({ x: [2], w: [2] }, ({ x, w }) => scan(step, x, { length: 5, params: w }).pow(2).sum());
    const xs = new Tensor([4, 2], Float64Array.from({ length: 8 }, () => r() - 0.5)), w = [0.9, -0.4];
    const summed = model.grad({ x: xs, w }, { reduce: "sum", wrt: "w" }) as Float64Array;
    const per = (model.grad({ x: xs, w }, { wrt: "w" }) as Tensor).data;
    expectIdentical(summed, [per[0] + per[2] + per[4] + per[6], per[1] + per[3] + per[5] + per[7]], "Σ over the batch");
    onBothTiers(() => fn({ x: [2], w: [2] }, ({ x, w }) => scan(step, x, { length: 5, params: w }).pow(2).sum()), (f) => {
      f.eval({ x: [0.3, -0.2], w });
      f.grad({ x: [0.3, -0.2], w });
      f.grad({ x: [0.3, -0.2], w }, { mode: "forward" });
      f.grad({ x: xs, w });
    });
    const before = model.grad({ x: [0.3, -0.2], w }, { wrt: "w" }) as Float64Array;
    const doomed = fn({ s: [2] }, ({ s }) => s.mul(2));
    const g = fn(2, (v) => scan(doomed, v, { length: 3 }).sum());
    expect(g.eval([1, 2])).toBe(24);
    doomed.dispose();
    expectThrows(() => g.eval([1, 2]), InputError, /disposed/); // from inside the core's sweep
    expectIdentical(model.grad({ x: [0.3, -0.2], w }, { wrt: "w" }) as Float64Array, before, "the library still answers");
  });

  it("refuses what does not fit, and second derivatives, with a message", () => {
    const step = fn({ s: [2] }, ({ s }) => s.mul(2));
    expectThrows(() => fn(3, (x) => scan(step, x, { length: 2 })), ShapeError, /input 's' has shape \[2\]; the carry has \[3\]/);
    expectThrows(() => fn(2, (x) => scan(step, x, { length: -1 })), InputError, /length must be a whole number ≥ 0/);
    expectThrows(() => fn(2, (x) => scan(step, x)), InputError, /length must be a whole number/);
    expectThrows(() => fn(2, (x) => scan(step, x, { length: 2, params: x })), ShapeError, /takes 1 inputs; it needs 2 \(the carry, params\)/);
    expectThrows(() => fn(2, (x) => scan((() => x) as never, x, { length: 2 })), InputError, /compiled function/);
    const f = fn(2, (x) => scan(step, x, { length: 3 }).pow(2).sum());
    expectThrows(() => f.hessian([1, 2]), InputError, /second derivatives .* through scan are not supported/);
    expect(Array.from(f.grad([1, 2]) as Float64Array)).toEqual([128, 256]); // 2·64·x: still usable
  });
});
