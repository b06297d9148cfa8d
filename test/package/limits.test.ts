// Limits and memory: huge expressions, huge batches, many compile/dispose
// cycles, forgotten functions, and a trap inside the core.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it, onTestFinished } from "vitest";
import { buffer, compile, concat, fn, grid, InternalError, ShapeError, Tensor } from "../../bindings/index.js";
import { core, generation, i32 } from "../../bindings/runtime/loader.js";
import { setCompiledTier } from "../../bindings/runtime/compiled.js";
import { expectThrows, resetCore } from "../support/helpers.js";

const memoryBytes = () => core().memory.buffer.byteLength;
/** `npm run fuzz` (the full run) takes the memory tests to 10⁶ cycles; CI runs 10⁴. */
const CYCLES = Number(process.env.GRADIENTS_FUZZ_RUNS ?? 0) >= 100_000 ? 1_000_000 : 10_000;
const CYCLE_TIMEOUT = CYCLES * 12 + 60_000;

describe("limits", () => {
  it("a 100,000-term expression compiles and differentiates (no recursion on its size)", () => {
    const terms = Array.from({ length: 100_000 }, (_, i) => `${(i % 7) + 1}*x^${(i % 3) + 1}`).join(" + ");
    const f = compile(terms, { vars: ["x"] });
    // Σ c_i x^{p_i} at x = 1 is Σ c_i; the derivative Σ c_i p_i.
    let value = 0, slope = 0;
    for (let i = 0; i < 100_000; i++) {
      value += (i % 7) + 1;
      slope += ((i % 7) + 1) * ((i % 3) + 1);
    }
    expect(f.eval([1])).toBe(value);
    expect(f.grad([1])[0]).toBe(slope);
    f.dispose();
  }, 60_000);

  it("5,000-deep nesting of functions evaluates and differentiates", () => {
    const expr = "sin(".repeat(5000) + "x" + ")".repeat(5000);
    const f = compile(expr, { vars: ["x"] });
    let v = 0.3, d = 1;
    for (let i = 0; i < 5000; i++) {
      d *= Math.cos(v);
      v = Math.sin(v);
    }
    expect(Math.abs(f.eval([0.3]) - v)).toBeLessThanOrEqual(1e-15);
    expect(Math.abs(f.grad([0.3])[0] - d)).toBeLessThanOrEqual(1e-12 * Math.abs(d));
  });

  it("a sum of 10⁶ entries traces, compiles and differentiates (no user-sized array is spread into a call)", () => {
    const m = 1_000_000, x = Float64Array.from({ length: m }, (_, i) => (i % 11) - 5);
    const total = fn({ x: [m] }, ({ x }) => x.sum());
    expect(total.eval({ x })).toBe(x.reduce((s, v) => s + v, 0));
    expect((total.grad({ x }) as Float64Array).every((g) => g === 1)).toBe(true);
    total.dispose();
  }, 60_000);

  it("concat and composition of 150,000-entry tensors (past the 120,000 arguments a spread takes)", () => {
    const m = 150_000, x = Float64Array.from({ length: m }, (_, i) => (i % 11) - 5);
    const squares = fn(m, (v) => concat([v, v.mul(2)]).pow(2).sum());
    const g = squares.grad(x) as Float64Array;
    expect(g[12345]).toBe(10 * x[12345]);
    expect(g[m - 1]).toBe(10 * x[m - 1]);
    const total = fn(m, (v) => v.sum()), composed = fn(m, (v) => total.of(v).mul(3));
    expect(composed.eval(x)).toBe(3 * x.reduce((s, v) => s + v, 0));
    for (const f of [total, squares, composed]) f.dispose();
  }, 60_000);

  it("a gradient summed over 10⁷ points (reduce) in bounded memory: Σ 2(p·x − 1)x by hand", () => {
    const f = fn({ x: [], p: [] }, ({ x, p }) => p.mul(x).sub(1).pow(2));
    const N = 10_000_000, xs = new Float64Array(N);
    for (let i = 0; i < N; i++) xs[i] = (i % 1000) / 1000; // exact in binary only with care: compare to 1e-9 relative
    const before = memoryBytes();
    const g = f.grad({ x: new Tensor([N], xs), p: 0.5 }, { reduce: "mean", wrt: "p" }) as number;
    // mean over the repeating block of 1000: (1/1000) Σ_k 2(0.5·k/1000 − 1)(k/1000)
    let want = 0;
    for (let k = 0; k < 1000; k++) want += 2 * (0.5 * (k / 1000) - 1) * (k / 1000);
    want /= 1000;
    expect(Math.abs(g - want)).toBeLessThanOrEqual(1e-9 * Math.abs(want));
    expect(memoryBytes() - before).toBeLessThan(32 << 20);
    f.dispose();
  }, 60_000);

  it("a batch of 10⁷ points is processed in chunks: WebAssembly memory stays bounded", () => {
    const f = compile("x*x + 1", { vars: ["x"] });
    const N = 10_000_000;
    const points = new Float64Array(N);
    for (let i = 0; i < N; i++) points[i] = i * 1e-3;
    const before = memoryBytes();
    const out = f.eval(new Tensor([N, 1], points)) as Tensor;
    expect(out.shape).toEqual([N]);
    for (const i of [0, 1, 12345, N - 1]) expect(out.data[i]).toBe(points[i] * points[i] + 1);
    const grads = f.grad(new Tensor([N, 1], points)) as Tensor;
    expect(grads.data[N - 1]).toBe(2 * points[N - 1]);
    // The input alone is 80 MB: memory may grow by the chunks' scratch (a few MB), not by the batch.
    expect(memoryBytes() - before).toBeLessThan(32 << 20);
    f.dispose();
  }, 60_000);
});

describe("memory", () => {
  it(`${CYCLES.toLocaleString("en")} compile/evaluate/dispose cycles leave WebAssembly memory where it was`, () => {
    const cycle = (i: number) => {
      const f = compile(`sin(x*y) + ${i % 13}*z^2`, { vars: ["x", "y", "z"] });
      f.grad([1, 2, 3]);
      f.hessian([1, 2, 3]);
      f.dispose();
      const g = fn({ A: [2, 2] }, ({ A }) => A.inv().sum());
      g.grad([[2, 1], [1, 1]]);
      g.dispose();
    };
    for (let i = 0; i < 200; i++) cycle(i); // warm up: memory reaches its working size
    const high = memoryBytes();
    for (let i = 0; i < CYCLES; i++) cycle(i);
    expect(memoryBytes()).toBe(high);
  }, CYCLE_TIMEOUT);

  it(`${CYCLES.toLocaleString("en")} forgotten (never disposed) functions are freed by the garbage collector`, () => {
    // A fresh process with --expose-gc: create functions without disposing them.
    const script = fileURLToPath(new URL("../fixtures/forget.mjs", import.meta.url));
    const r = spawnSync(process.execPath, ["--expose-gc", script, String(CYCLES)], { encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    const { first, last } = JSON.parse(r.stdout);
    expect(last).toBeLessThanOrEqual(first * 2); // bounded, not growing with the count
  }, CYCLE_TIMEOUT);

  it.each([["shared (the default in Node)", undefined], ["unshared (GRADIENTS_MEMORY=unshared)", "unshared"]])(
    "memory grows by a large buffer, %s: detached views only in unshared memory, the same numbers", (_, mode) => {
      const script = fileURLToPath(new URL("../fixtures/memory-growth.mjs", import.meta.url));
      const env = { ...process.env, GRADIENTS_MEMORY: mode };
      if (mode === undefined) delete env.GRADIENTS_MEMORY;
      const r = spawnSync(process.execPath, [script], { encoding: "utf8", env });
      expect(r.status, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout);
      expect(out.shared).toBe(mode === undefined);
      expect(out.detached).toBe(mode !== undefined);
      expect(out.small).toEqual([1, 2, 3, 4]);
      expect(out.last).toBe(5);
      // ∇(sin(xy) + z²eˣ) at (1, 2, 3) = (y cos xy + z²eˣ, x cos xy, 2z eˣ)
      const want = [2 * Math.cos(2) + 9 * Math.E, Math.cos(2), 6 * Math.E];
      for (const g of [out.before, out.after]) g.forEach((v: number, i: number) => expect(v).toBeCloseTo(want[i], 13));
      // and at (0.5, −1, 2), by the prepared call and the one-point call with out made before the growth
      const [x, y, z] = [0.5, -1, 2], there = [y * Math.cos(x * y) + z * z * Math.exp(x), x * Math.cos(x * y), 2 * z * Math.exp(x)];
      for (const g of [out.preparedAfter, out.outAfter]) g.forEach((v: number, i: number) => expect(v).toBeCloseTo(there[i], 13));
      // growing(xy) + z² = e^(xy) + z² at (0.5, 1, 2), its rule growing memory during the sweep; ∇ = (y e^(xy), x e^(xy), 2z)
      expect(out.grownInValue).toBeCloseTo(Math.exp(0.5) + 4, 13);
      [Math.exp(0.5), 0.5 * Math.exp(0.5), 4].forEach((w, i) => expect(out.grownInPartials[i]).toBeCloseTo(w, 13));
      // the scan: ∂/∂xsₜᵢ Σᵢ s0ᵢ·exp(Σₜ xsₜᵢ) = s0ᵢ·exp(Σₜ xsₜᵢ), the same for each t
      const s0 = [1.5, -0.5], sums = [0.45, 0.3];
      expect(out.grownInScan.length).toBe(6);
      out.grownInScan.forEach((v: number, k: number) => expect(v).toBeCloseTo(s0[k % 2] * Math.exp(sums[k % 2]), 13));
      // fd.grad of sin(p₀)·p₁ at (0.5, 1) and (−0.25, 2): (cos p₀·p₁, sin p₀), to the differences' accuracy
      const fdWant = [Math.cos(0.5), Math.sin(0.5), 2 * Math.cos(-0.25), Math.sin(-0.25)];
      fdWant.forEach((w, i) => expect(out.fdOnBuffer[i]).toBeCloseTo(w, 8));
      // a gradient at a WasmBuffer's view, the call growing memory: the gradient at the same numbers as a plain array
      expect(out.viewGrew).toBe(true);
      expect(out.viewPoint).toEqual(out.viewWant);
      expect(out.viewWant.every((v: number) => Number.isFinite(v) && v !== 0)).toBe(true);
    });

  it("a trap inside the core re-creates the instance; live functions reload their tapes", () => {
    setCompiledTier("never"); // the interpreter is what reads the corrupted tape
    onTestFinished(() => setCompiledTier("auto"));
    const f = compile("x*y", { vars: ["x", "y"] }), g = compile("x + y", { vars: ["x", "y"] });
    expect(f.eval([2, 3])).toBe(6);
    // Corrupt f's tape header in WebAssembly memory (its instructions' address) so
    // the core reads outside memory: a real trap.
    i32()[((f as unknown as { kernel: { tape: number } }).kernel.tape >> 2) + 1] = 0x7ffffff0;
    expect(() => f.eval([2, 3])).toThrow(InternalError);
    expect(Array.from(g.grad([2, 3]) as Float64Array)).toEqual([1, 1]); // the first call after reads the new memory
    expect(g.eval([2, 3])).toBe(5); // another function reloads into the new instance
    expect(f.eval([2, 3])).toBe(6); // and so does the one that trapped
  });

  it("a buffer larger than one allocation (1 GiB) is a ShapeError up front: the core is not reset, buffers keep their contents", () => {
    const kept = buffer([4]);
    kept.data.set([1, 2, 3, 4]);
    const f = compile("x*y", { vars: ["x", "y"] });
    const before = generation;
    expectThrows(() => buffer([2 ** 27]), ShapeError, /1 GiB/);
    expect(generation).toBe(before);
    expect(Array.from(kept.data)).toEqual([1, 2, 3, 4]);
    expect(f.eval([2, 3])).toBe(6);
    f.dispose();
    kept.dispose();
  });

  it("a 512 MB field (8192 × 8192) is differentiated in slabs: every entry of f = 3i + 2j² exact", () => {
    const n = 8192, field = new Float64Array(n * n);
    for (let i = 0, k = 0; i < n; i++) for (let j = 0; j < n; j++, k++) field[k] = 3 * i + 2 * j * j;
    const [di, dj] = grid.gradient(field, [n, n]) as Float64Array[];
    let wrong = 0;
    for (let i = 0, k = 0; i < n; i++) {
      for (let j = 0; j < n; j++, k++) {
        // numpy: central differences inside, first-order one-sided at the ends
        const want = j === 0 ? 2 : j === n - 1 ? 2 * (2 * n - 3) : 4 * j;
        if (di[k] !== 3 || dj[k] !== want) wrong++;
      }
    }
    expect(wrong).toBe(0);
    expect(memoryBytes()).toBeLessThan(2 ** 30); // the slabs, not the field, went through WebAssembly memory
  }, 120_000);

  it("after a failed allocation resets the core, the very next call of a live function is right", () => {
    const f = compile("sin(x*y)", { vars: ["x", "y"] });
    const want = [2 * Math.cos(2), Math.cos(2)];
    f.grad([1, 2]); // its tape is now in the instance about to be reset
    resetCore(); // a failed allocation: the core is re-created
    const got = f.grad([1, 2]) as Float64Array;
    want.forEach((w, i) => expect(got[i]).toBeCloseTo(w, 14));
    f.dispose();
  });
});
