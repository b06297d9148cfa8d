// The compiled tier (generated WebAssembly per tape) against the core's
// interpreter: the same bits for every primitive, in every sweep, at one point
// and in batches, in both placements (locals; memory with rerolled loops), at
// the edges where the core scales a partial or guards a subnormal term; sums as
// chains of additions; and the fallbacks (an engine that refuses generated code,
// tapes with det, inv or solve, reverse sweeps of fused groups).
import { describe, expect, it, onTestFinished } from "vitest";
import { buffer, compile, concat, fn, sin, stack, tanh, Tensor } from "../../bindings/index.js";
import { core, f64 } from "../../bindings/runtime/loader.js";
import { OP_NAMES } from "../../bindings/ops/abi.js";
import { PRIMITIVES, type Row } from "../../bindings/ops/spec.js";
import { compiledTier, setCompiledTier } from "../../bindings/runtime/compiled.js";
import { onBothTiers } from "../support/tiers.js";
import { modulesCompiled, random } from "../support/helpers.js";
import { moduleSection, readCore } from "../../bindings/compiler/core-code.js";
import { carriable } from "../../bindings/compiler/splice.js";

/** The body sizes, in bytes, of a module's functions (its code section). */
function functionSizes(bytes: Uint8Array): number[] {
  const r = moduleSection(bytes, 10), sizes: number[] = [];
  for (let count = r ? r.u32() : 0; count > 0; count--) {
    const body = r!.u32();
    sizes.push(body);
    r!.at += body;
  }
  return sizes;
}

const scalarRows = Object.entries(PRIMITIVES as Record<string, Row>)
  .filter(([name, row]) => row.kind === "scalar" && !row.internal && name !== "neg") as [string, Row & { kind: "scalar" }][];

/** Every derivative method on one function at point x (n inputs, scalar output). */
function exercise(f: ReturnType<typeof compile>, x: number[], v: number[]): void {
  f.eval(x);
  f.grad(x);
  f.grad(x, { mode: "forward" });
  f.jacobian(x);
  f.hessian(x);
  f.hvp(x, v);
  f.vjp(x, 0.75);
  f.jvp(x, v);
  const n = x.length, batch = new Tensor([3, n], Float64Array.from({ length: 3 * n }, (_, k) => x[k % n] * (1 + 0.1 * Math.floor(k / n))));
  f.eval(batch);
  f.grad(batch);
  f.jacobian(batch);
  f.hessian(batch);
}

describe("the compiled tier gives the interpreter's bits", () => {
  it.each(scalarRows)("%s: values, gradients, Jacobians, Hessians, hvp, vjp, jvp, batches", (name, row) => {
    const text = row.operator && row.arity === 2 ? `a ${row.operator} b` : row.arity === 2 ? `${name}(a, b)` : `${name}(a)`;
    const wrapped = `${text} * (a + 2*b) + sin(${text})`; // a product and a chain, so partials meet tangents and adjoints
    const [lo0, hi0] = row.domain[0], [lo1, hi1] = row.domain[1] ?? [0.5, 1.5];
    const first = (a: number) => (row.order ? Math.round(a) : a); // (polygamma's order is a whole number)
    for (const [a, b] of [[first(lo0 + 0.3 * (hi0 - lo0)), lo1 + 0.6 * (hi1 - lo1)], [first(hi0 - 0.1 * (hi0 - lo0)), lo1 + 0.2 * (hi1 - lo1)]]) {
      onBothTiers(() => compile(wrapped, { vars: ["a", "b"] }), (f) => exercise(f, [a, b], [0.3, -1.1]));
    }
  });

  it("where the core scales a partial or guards a subnormal term, and at NaN, ±∞ and ±0", () => {
    const cases: [string, number[]][] = [
      ["exp(a) * b", [-800, 1e300]], ["expm1(a) * b", [-745.5, 3]], ["atan(a) * b", [1e200, 2]], ["tanh(a) * b", [400, -1]],
      ["a^b", [1e-300, 0.5]], ["a^b", [1e300, 1.2]], ["a^b", [0, 2]], ["a^b", [-2, 3]], ["atan2(a, b)", [1, Math.sinh(401)]],
      ["a / atan2(a, b)", [1.8e-264, -1.8e-214]], ["a / b", [1e-300, 1e300]], ["1e200 * (a / b)", [3, 1e-200]],
      ["sqrt(a) * b", [0, 1]], ["abs(a) * b", [-0, 2]], ["min(a, b)", [1, 1]], ["max(a, b) * a", [NaN, 1]],
      ["log(a) + b", [Infinity, 1]], ["sign(a) * b", [-Infinity, 2]], ["cbrt(a) * b", [1e-310, 2]], ["hypot(a, b)", [0, 0]],
    ];
    for (const [text, x] of cases) onBothTiers(() => compile(text, { vars: ["a", "b"] }), (f) => exercise(f, x, [1, -1]));
  });

  it("vector functions: Jacobians forward and reverse, colored Hessians, outputs that are inputs or constants", () => {
    const F = () => compile(["x*y*sin(z)", "exp(x)*cos(y) + z^2", "x/(1+y^2) + sqrt(z)", "y", "3"], { vars: ["x", "y", "z"] });
    onBothTiers(F, (f) => {
      f.eval([1, 2, 3]);
      f.jacobian([1, 2, 3]);
      f.jacobian([1, 2, 3], { mode: "reverse" });
      f.vjp([1, 2, 3], [1, -2, 0.5, 4, 7]);
      f.jacobian(new Tensor([2, 3], Float64Array.of(1, 2, 3, -1, 0.5, 2)));
    });
    // 20 inputs: Jacobians in two chunks of lanes, and a banded Hessian taken by colored columns.
    const chain = Array.from({ length: 19 }, (_, i) => `(x${i + 1} - x${i}^2)^2`).join(" + ");
    const vars = Array.from({ length: 20 }, (_, i) => `x${i}`);
    const x = Array.from({ length: 20 }, (_, i) => Math.cos(i));
    onBothTiers(() => compile(chain, { vars }), (f) => exercise(f, x, x.map((xi) => xi / 2)));
  });

  it("large programs in memory: rerolled loops (uniform and chained terms) and straight code in several functions", () => {
    const n = 1600, vars = Array.from({ length: n }, (_, i) => `x${i}`);
    const x = Array.from({ length: n }, (_, i) => 0.5 + 0.3 * Math.sin(i)), v = x.map((_, i) => Math.cos(i));
    const pairs = Array.from({ length: n / 2 }, (_, i) => `100*(x${2 * i + 1} - x${2 * i}^2)^2 + (1 - x${2 * i})^2`).join(" + ");
    const chained = Array.from({ length: n - 1 }, (_, i) => `(x${i + 1} - x${i}^2)^2`).join(" + ");
    // no repeated pattern: every term a different op
    const names = ["sin", "cos", "exp", "atan", "tanh", "sqrt", "log1p", "cbrt"];
    const mixed = Array.from({ length: n }, (_, i) => `${names[i % 7 === 3 ? 0 : (i * i) % 8]}(x${i}^2 + 1)*x${(i * 7) % n}`).join(" + ");
    // core calls in a loop whose values the adjoints read, and a value read across iterations: sin xᵢ·e^(xᵢ₊₁)·xᵢ₊₁
    const calls = Array.from({ length: n - 1 }, (_, i) => `sin(x${i})*exp(x${i + 1})*x${i + 1}`).join(" + ");
    // coefficients: repeating every 5 terms (a loop of 5 terms an iteration, each knowing its term's adjoint),
    // and one per term (each iteration of a loop over the terms would know a different one: nothing is folded)
    const weighted = Array.from({ length: n - 1 }, (_, i) => `${i % 5 + 1}*(x${i + 1} - x${i}^2)^2`).join(" - ");
    const scaled = Array.from({ length: n / 2 }, (_, i) => `${i + 2}*(x${2 * i + 1} - x${2 * i}^2)^2`).join(" + ");
    for (const text of [pairs, chained, mixed, calls, weighted, scaled]) {
      onBothTiers(() => compile(text, { vars }), (f) => {
        f.eval(x);
        f.grad(x);
        f.hvp(x, v);
        f.vjp(x, 2);
        f.grad(new Tensor([2, n], Float64Array.from([...x, ...v])));
      });
    }
  });

  it("large programs in memory: a long stretch no loop covers is cut into functions of bounded size (the engine refuses one of 7.3 MB)", () => {
    // The forward-over-reverse sweep of this sum (a case of the large-program property) has some 25,000 steps that
    // repeat no pattern the rerolling finds: one function of 4 MB before, 7.5 MB (refused) at 621 terms
    const n = 369, term = (v: string) => `pow(1 + tanh(pow(1 + log1p(${v}^2)^2, 2*tanh(log1p(${v}^2))))^2, tanh(pow(1 + log1p(${v}^2)^2, 2*tanh(log1p(${v}^2)))))`;
    const vars = Array.from({ length: n }, (_, i) => `x${i}`), text = Array.from({ length: 200 }, (_, i) => term(vars[i % n])).join(" + ");
    const x = Array.from({ length: n }, (_, i) => 0.6 * Math.sin(i)), v = x.map((_, i) => Math.cos(i));
    const largest: number[] = [];
    const Module = WebAssembly.Module;
    onTestFinished(() => { (WebAssembly as { Module: unknown }).Module = Module; });
    function measuring(bytes: Uint8Array): WebAssembly.Module {
      largest.push(Math.max(...functionSizes(bytes)));
      return new Module(bytes);
    }
    measuring.prototype = Module.prototype;
    (WebAssembly as { Module: unknown }).Module = measuring;
    onBothTiers(() => compile(text, { vars }), (f) => f.hvp(x, v));
    (WebAssembly as { Module: unknown }).Module = Module;
    expect(largest.length).toBeGreaterThan(0);
    expect(Math.max(...largest)).toBeLessThan(2 ** 20);
  });

  it("large programs in memory: a loop-local value both the forward pass and the backward loop compute gets its operands in both", () => {
    // sqrt's value is read by sin's call (forward) and by sqrt's own partial 0.5/v (backward loop, recomputed):
    // its operand xᵢ + 1.5 was recomputed only where the forward pass did not need sqrt (the gradient was ∞)
    const n = 1000, vars = Array.from({ length: n }, (_, i) => `x${i}`), x = Float64Array.from({ length: n }, (_, i) => 0.5 + 0.2 * Math.sin(i));
    onBothTiers(() => compile(vars.map((v) => `sin(sqrt(${v} + 1.5))`).join(" + "), { vars }), (f) => {
      const g = f.grad(x) as Float64Array;
      for (const i of [0, 1, 500, n - 1]) expect(g[i]).toBeCloseTo(Math.cos(Math.sqrt(x[i] + 1.5)) / (2 * Math.sqrt(x[i] + 1.5)), 14);
      f.vjp(x, -0.5);
    });
    // one term twice (the expression's graph shares it): 799 of 800 entries of the gradient were wrong
    const m = 800, terms = Array.from({ length: m }, (_, i) => `1/(2+x${m - 1 - i}*3)`).join(" + ") + " + 1/(2+x0*3)";
    const y = Float64Array.from({ length: m }, (_, i) => Math.sin(i + 1)), names = vars.slice(0, m);
    onBothTiers(() => compile(terms, { vars: names }), (f) => {
      const g = f.grad(y) as Float64Array;
      for (const i of [0, 1, 5, m - 1]) expect(g[i]).toBeCloseTo(((i === 0 ? 2 : 1) * -3) / (2 + 3 * y[i]) ** 2, 12);
      f.vjp(y, 1);
    });
  });

  it("large tensor-form functions in memory: a gradient's vector steps joined into one loop, some run backwards", () => {
    // The gradient graph of a tensor-form function is a sequence of whole-vector steps, some built in reverse
    // element order; forward sweeps over it (hvp, jvp) join them into one loop where no step reads a later iteration.
    const n = 1600, x = Float64Array.from({ length: n }, (_, i) => 0.5 + 0.3 * Math.sin(i)), v = x.map((_, i) => Math.cos(i));
    const strided = () => fn(n, (y) => {
      const even = y.slice([0], [n], [2]), odd = y.slice([1], [n], [2]);
      return odd.sub(even.pow(2)).pow(2).mul(100).add(even.neg().add(1).pow(2)).sum();
    });
    // shifted windows: step i reads entries i and i + 1 of earlier steps (a later iteration: those must not join)
    const shifted = () => fn(n, (y) => {
      const a = y.slice([0], [n - 1]), b = y.slice([1]), d = b.sub(a.mul(a)), e = d.slice([1]).mul(d.slice([0], [n - 2]));
      return d.mul(d).sum().add(e.sin().sum());
    });
    for (const make of [strided, shifted]) {
      onBothTiers(make, (f) => {
        f.hvp(x, v);
        f.jvp(x, v);
        f.eval(x);
        f.hvp(new Tensor([2, n], Float64Array.from([...x, ...v])), new Tensor([2, n], Float64Array.from([...v, ...x])));
      });
    }
  });

  it("large programs in memory whose loops run from the inputs (read where the caller put them) into the steps", () => {
    // x + x + … + x: the chain's first term reads the input where later ones read the partial sums
    onBothTiers(() => compile(Array(5000).fill("x").join(" + ")), (f) => {
      expect(f.eval([0.1])).toBeCloseTo(500, 9);
      expect(f.grad([0.1])[0]).toBe(5000);
      f.hvp([0.1], [2]);
      f.eval(new Tensor([3, 1], Float64Array.of(0.1, -2, 7)));
    });
    // outputs [y, 2y]: one progression of ids from the inputs into the steps, values and dense tangents
    const n = 4000, y = Float64Array.from({ length: n }, (_, i) => Math.sin(i)), t = y.map((_, i) => Math.cos(i));
    onBothTiers(() => fn(n, (v) => concat([v, v.mul(2)])), (f) => {
      const value = f.eval(y) as Float64Array, tangent = f.jvp(y, t) as Float64Array;
      for (const i of [0, 1, n - 1]) {
        expect([value[i], value[n + i], tangent[i], tangent[n + i]]).toEqual([y[i], 2 * y[i], t[i], 2 * t[i]]);
      }
      f.vjp(y, Float64Array.from({ length: 2 * n }, (_, i) => 1 / (i + 1)));
    });
  });

  it("a point given as the WasmBuffer that receives the results: read before any result is written, on both tiers", () => {
    // outputs [Σ, x₀ … x₍ₙ₋₂₎] into x's own buffer: the compiled tier reads points in place, so the point is copied first
    const n = 4000, x = Float64Array.from({ length: n }, (_, i) => 0.001 * (i + 1));
    const sum = x.reduce((s, v, i) => (i === 0 ? v : s + v * v), 0);
    // (a gradient by forward sweeps of 16 lanes, 3 sweeps, into the point's own buffer; jvp into its direction's)
    const m = 40, y = Float64Array.from({ length: m }, (_, i) => Math.sin(i)), t = y.map((_, i) => Math.cos(i));
    const sums: number[] = [];
    for (const tier of ["never", "always"] as const) {
      setCompiledTier(tier);
      onTestFinished(() => setCompiledTier("auto"));
      const f = fn(n, (v) => {
        let s = v.at(0);
        for (let i = 1; i < n; i++) s = s.add(v.at(i).mul(v.at(i))); // (scalar steps: a program in memory, compiled)
        return [s, ...Array.from({ length: n - 1 }, (_, i) => v.at(i))];
      });
      const b = buffer([n]);
      b.data.set(x);
      f.eval(b, { out: b });
      expect(b.data[0]).toBeCloseTo(sum, 9);
      expect(Array.from(b.data.subarray(1))).toEqual(Array.from(x.subarray(0, n - 1)));
      sums.push(b.data[0]);
      f.dispose();
      // (Σx)²: every entry of the gradient, 2Σx, reads every entry of the point
      const g = compile(`(${Array.from({ length: m }, (_, i) => `x${i}`).join(" + ")})^2`, { vars: Array.from({ length: m }, (_, i) => `x${i}`) });
      const p = buffer([m]), total = y.reduce((a, v) => a + v, 0);
      p.data.set(y);
      g.grad(p, { mode: "forward", out: p });
      for (const v of p.data) expect(v).toBeCloseTo(2 * total, 12);
      const F = fn(m, (v) => v.mul(v)), u = buffer([m]);
      u.data.set(t);
      F.jvp(y, u, { out: u });
      expect(Array.from(u.data)).toEqual(Array.from(y, (v, i) => 2 * v * t[i]));
    }
    expect(sums[1]).toBe(sums[0]);
  });

  it("one-point calls repeated with WasmBuffer points and outs (the repeat path): new contents, other buffers, aliasing", () => {
    // ∇(sin(xy) + z²eˣ) = (y cos xy + z²eˣ, x cos xy, 2z eˣ), and the same call on Float64Arrays to the bit
    const grad = (p: ArrayLike<number>) => [p[1] * Math.cos(p[0] * p[1]) + p[2] ** 2 * Math.exp(p[0]), p[0] * Math.cos(p[0] * p[1]), 2 * p[2] * Math.exp(p[0])];
    const points = [[0.3, -1.2, 0.7], [1.5, 0.25, -2], [-0.4, 2, 0.1], [0.9, 0.9, 0.9]];
    for (const tier of ["never", "always"] as const) {
      setCompiledTier(tier);
      onTestFinished(() => setCompiledTier("auto"));
      const f = compile("sin(x*y) + z^2*exp(x)", { vars: ["x", "y", "z"] });
      const wants = points.map((p) => Array.from(f.grad(Float64Array.from(p))));
      const a = buffer([3]), b = buffer([3]), out = buffer([3]), other = buffer([3]);
      const check = (into: { data: Float64Array }, k: number, what: string) => {
        expect(Array.from(into.data), `${what}, point ${k} (${tier})`).toEqual(wants[k]);
        grad(points[k]).forEach((v, i) => expect(into.data[i]).toBeCloseTo(v, 13));
      };
      // the same buffers again with new contents; then other point buffers into one out, one after another
      for (let k = 0; k < 8; k++) {
        const from = k < 4 ? a : k % 2 ? b : a;
        from.data.set(points[k % 4]);
        expect(f.grad(from, { out })).toBe(out);
        check(out, k % 4, "point buffer into out");
      }
      // one point buffer into other outs, one after another
      a.data.set(points[1]);
      for (let k = 0; k < 4; k++) {
        const into = k % 2 ? other : out;
        into.data.fill(0);
        f.grad(a, { out: into });
        check(into, 1, "into alternating outs");
      }
      // the point's own buffer as out (copied before the results are written), twice, then back to another out
      for (let k = 0; k < 2; k++) {
        a.data.set(points[2]);
        f.grad(a, { out: a });
        check(a, 2, "into the point's own buffer");
      }
      a.data.set(points[3]);
      f.grad(a, { out });
      check(out, 3, "after the aliased calls");
      for (const x of [a, b, out, other]) x.dispose();
      f.dispose();
    }
  });

  it("large vector functions in memory: outputs and input adjoints by loops, clipped to each named input's range", () => {
    const m = 200, at = { a: Array.from({ length: m }, (_, i) => Math.sin(i)), b: Array.from({ length: m }, (_, i) => Math.cos(i)) };
    const w = Array.from({ length: 3.5 * m + 2 }, (_, i) => 1 / (i + 1)), v = { a: at.b, b: at.a };
    // Outputs: contiguous progressions, a strided one, a constant and an input (straight code). A Jacobian
    // takes 16 lanes by colors here, with values, tangents and the core's partials (sin, exp) all in memory.
    const make = () => fn({ a: [m], b: [m] }, ({ a, b }) =>
      concat([a.mul(a).sub(b).mul(10), a.sin().add(b), a.mul(b), a.slice([0], [m], [2]).exp(), Tensor.from([3]), b.slice([5], [6])]));
    onBothTiers(make, (f) => {
      f.eval(at);
      f.jacobian(at);
      f.jacobian(at, { mode: "reverse" });
      f.vjp(at, w);
      f.jvp(at, v);
      f.jacobian({ a: new Tensor([2, m], Float64Array.from([...at.a, ...at.b])), b: new Tensor([2, m], Float64Array.from([...at.b, ...at.a])) });
    });
  });

  it("an engine that refuses generated WebAssembly (a CSP without 'wasm-unsafe-eval') gets the interpreter, and the same numbers", () => {
    const want = compile("sin(x*y) + z^2*exp(x)", { vars: ["x", "y", "z"] }).grad([1, 2, 3]);
    const Module = WebAssembly.Module;
    setCompiledTier("always");
    onTestFinished(() => {
      (WebAssembly as { Module: unknown }).Module = Module;
      setCompiledTier("auto");
    });
    (WebAssembly as { Module: unknown }).Module = function refuse() {
      throw new WebAssembly.CompileError("WebAssembly.Module(): Refused to compile or instantiate WebAssembly module because 'wasm-unsafe-eval' is not an allowed source of script");
    };
    const f = compile("sin(x*y) + z^2*exp(x)", { vars: ["x", "y", "z"] });
    expect(Array.from(f.grad([1, 2, 3]) as Float64Array)).toEqual(Array.from(want as Float64Array));
    expect(compiledTier()).toBe("never");
  });

  it("\"auto\" interprets a dense Jacobian of many sweeps over a large tape (a module per sweep would take seconds to compile)", () => {
    setCompiledTier("auto");
    const n = 1000; // 63 sweeps of 16 lanes over some 3,000 steps: past the budget of 100,000 steps × sweeps
    const F = fn(n, (x) => Array.from({ length: n }, (_, i) => x.at(i).mul(x.at((7 * i + 1) % n)).add(x.at((13 * i + 5) % n).sin())));
    const x = Float64Array.from({ length: n }, (_, i) => Math.cos(i));
    const first = (F.jacobian(x) as Tensor).data;
    expect(modulesCompiled(() => { for (let k = 0; k < 3; k++) F.jacobian(x); })).toBe(0);
    const small = fn(40, (x) => Array.from({ length: 40 }, (_, i) => x.at(i).mul(x.at((7 * i + 1) % 40)))); // 3 sweeps, 120 steps: compiled
    small.jacobian(x.subarray(0, 40));
    expect(modulesCompiled(() => small.jacobian(x.subarray(0, 40)))).toBe(3);
    // and the entries are the forms', ∂(xᵢ·x₍₇ᵢ₊₁₎ + sin x₍₁₃ᵢ₊₅₎)/∂x
    for (const i of [0, 17, 999]) {
      const row = new Float64Array(n), a = (7 * i + 1) % n, c = (13 * i + 5) % n;
      row[i] += x[a]; row[a] += x[i]; row[c] += Math.cos(x[c]);
      expect(Array.from(first.subarray(i * n, (i + 1) * n))).toEqual(Array.from(row));
    }
  });

  it("a loop whose steps call the core keeps their partials for the backward pass (reverse mode through 900 steps)", () => {
    for (const op of [sin, tanh]) {
      const make = () => fn(1, (x) => {
        let s = x.at(0);
        for (let i = 0; i < 900; i++) s = s.mul(0.999).add(op(s.mul(s)).mul(0.25));
        return s;
      });
      const reverse = onBothTiers(make, (f) => f.grad([0.3], { mode: "reverse" })[0] as number);
      // and it is the forward-mode derivative, an independent sweep
      setCompiledTier("never");
      onTestFinished(() => setCompiledTier("auto"));
      const g = make();
      expect(reverse).toBeCloseTo(g.grad([0.3], { mode: "forward" })[0] as number, 9);
      g.dispose();
    }
  });

  it("a point rule the core says never scales leaves its scale 1 at every argument", () => {
    const c = core(), cell = c.ruleCell() >> 3;
    const args = [0, -0, 0.5, -0.5, 1, -1, 1e-300, -1e-300, 5e-324, 800, -800, -745.5, 1e200, -1e200, 1e300, Infinity, -Infinity, NaN];
    let checked = 0;
    for (let op = 0; op < OP_NAMES.length; op++) {
      if (c.hasPointRule(op) !== 1) continue;
      for (const a of args) {
        c.scalarRule1(op, a, 1);
        expect(f64()[cell + 2], `${OP_NAMES[op]}(${a})`).toBe(1);
      }
      checked++;
    }
    expect(checked).toBe(10); // sin, cos, tan, asin, acos, sinh, cosh, log1p, erfc, sigmoid
  });

  it("each op's own point rule exports (<name>Point0 and 1, which generated code inlines) give scalarRule1's bits: value, partial and scale", () => {
    const c = core() as unknown as Record<string, (a: number) => number> & ReturnType<typeof core>;
    const cell = c.ruleCell() >> 3;
    const args = [0, -0, 0.5, -0.5, 1, -1, 1e-300, 5e-324, 800, -800, -745.5, 1e200, -1e200, 1e300, Infinity, -Infinity, NaN];
    let checked = 0;
    for (let op = 0; op < OP_NAMES.length; op++) {
      const rule = c.hasPointRule(op);
      if (!rule) continue;
      const valueOnly = c[`${OP_NAMES[op]}Point0`], withPartial = c[`${OP_NAMES[op]}Point1`];
      expect(typeof valueOnly, `${OP_NAMES[op]}Point0`).toBe("function");
      expect(typeof withPartial, `${OP_NAMES[op]}Point1`).toBe("function");
      for (const a of args) {
        const value = c.scalarRule1(op, a, 1), partial = f64()[cell], scale = f64()[cell + 2];
        f64()[cell] = 12345;
        f64()[cell + 2] = 12345;
        expect(Object.is(withPartial(a), value), `${OP_NAMES[op]}(${a})`).toBe(true);
        expect(Object.is(f64()[cell], partial), `∂${OP_NAMES[op]}(${a})`).toBe(true);
        if (rule === 2) expect(Object.is(f64()[cell + 2], scale), `scale of ∂${OP_NAMES[op]}(${a})`).toBe(true);
        expect(Object.is(valueOnly(a), value), `${OP_NAMES[op]}(${a}), value only`).toBe(true);
      }
      checked++;
    }
    expect(checked).toBe(15); // the ten above and atan, exp, expm1, log, log2
  });

  it("a point rule asked for its partial alone (<name>Point2: sin, cos) leaves its rule's partial to the bit", () => {
    const c = core() as unknown as Record<string, (a: number) => number> & ReturnType<typeof core>;
    const cell = c.ruleCell() >> 3;
    // every binade's edges, where musl's sin returns x itself (below 2⁻²⁶) and sincos its kernel (from 2⁻²⁷·√2),
    // multiples of π/2 near and far (trig.ts's own reduction from 2²⁰), specials, and random arguments
    const args = [0, -0, Infinity, -Infinity, NaN, 5e-324, 1e-300, 2 ** -27 * Math.SQRT2, 1.4e-8, 2 ** -26, 0.7853981633974483,
      Math.PI / 2, Math.PI, 1048575.9, 1048576, 1698673.2849629424, 1e22, 1.7e308];
    let seed = 7;
    const random = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    for (let k = 0; k < 20_000; k++) args.push((random() - 0.5) * 2 ** (Math.floor(random() * 80) - 40));
    const ops = OP_NAMES.map((_, op) => op).filter((op) => c.hasPartialOnly(op));
    expect(ops.map((op) => OP_NAMES[op])).toEqual(["sin", "cos"]);
    for (const op of ops) {
      const withPartial = c[`${OP_NAMES[op]}Point1`], partialAlone = c[`${OP_NAMES[op]}Point2`];
      for (const a of [...args, ...args.map((x) => -x)]) {
        withPartial(a);
        const partial = f64()[cell];
        f64()[cell] = 12345;
        partialAlone(a);
        if (!Object.is(f64()[cell], partial)) expect(f64()[cell], `∂${OP_NAMES[op]}(${a}) alone`).toBe(partial);
      }
    }
  });

  it("a reverse sweep whose point rule's value nothing reads (sin in sin(xy) + z²eˣ) asks for the partial alone, with the same bits", () => {
    const made = () => compile("sin(x*y) + z^2*exp(x) + cos(z)*0", { vars: ["x", "y", "z"] });
    const batch = new Tensor([50, 3], Float64Array.from({ length: 150 }, (_, k) => Math.sin(k) * 4 ** (k % 5)));
    const g = onBothTiers(made, (f) => (f.grad(batch) as Tensor).data);
    for (let q = 0; q < 50; q++) {
      const [x, y, z] = batch.data.subarray(3 * q, 3 * q + 3);
      const want = [y * Math.cos(x * y) + z * z * Math.exp(x), x * Math.cos(x * y), 2 * z * Math.exp(x) - Math.sin(z) * 0];
      want.forEach((w, i) => expect(Math.abs(g[3 * q + i] - w), `point ${q}, ∂${i}`).toBeLessThanOrEqual(1e-14 * Math.max(1, Math.abs(w))));
    }
  });

  it("generated modules carry the core's point rules instead of importing them: inlined in a small program, called beyond the inlining budget, the same bits", () => {
    const imported: string[][] = [], binaries: Uint8Array[] = [];
    core(); // (instantiated before the constructor is wrapped: the loader checks its module's class)
    const Module = WebAssembly.Module;
    onTestFinished(() => { (WebAssembly as { Module: unknown }).Module = Module; });
    (WebAssembly as { Module: unknown }).Module = function recording(bytes: Uint8Array) {
      const module = new Module(bytes);
      imported.push(Module.imports(module).map((entry) => entry.name));
      binaries.push(bytes.slice());
      return module;
    };
    const batch = new Tensor([40, 2], Float64Array.from({ length: 80 }, (_, k) => Math.sin(k) * 3 ** (k % 4)));
    // one site each of sin, cos and exp; then 120 sites, past the bytes the module inlines
    const few = () => compile("sin(x*y) + cos(x)*exp(y)", { vars: ["x", "y"] });
    const many = () => compile(Array.from({ length: 40 }, (_, i) => `sin(${i + 1}*x) + exp(y/${i + 1}) + cos(x*y + ${i})`).join(" + "), { vars: ["x", "y"] });
    for (const make of [few, many]) {
      onBothTiers(make, (f) => {
        f.eval(batch);
        f.grad(batch);
        f.jacobian(batch, { mode: "forward" });
        f.hessian(batch);
      });
    }
    expect(imported.length).toBeGreaterThanOrEqual(8);
    for (const names of imported) expect(names.filter((name) => /Point\d$/.test(name))).toEqual([]);
    // and nothing these programs run calls out of its module (not even the op table's scalarRule1)
    for (const bytes of binaries) {
      const code = readCore(bytes)!;
      expect(carriable(code, code.exports.get("run")!)).toBe(true);
    }
    (WebAssembly as { Module: unknown }).Module = Module;
  });

  it("\"auto\" compiles a batch whose core calls all have point rules (sin, exp) or are few, not one much of which needs the op table (pow)", () => {
    const batch = new Tensor([20, 2], Float64Array.from({ length: 40 }, (_, k) => 0.5 + 0.01 * k));
    const direct = compile("sin(x*y) + exp(x)*y", { vars: ["x", "y"] }), table = compile("x^y + sin(x)", { vars: ["x", "y"] });
    expect(modulesCompiled(() => direct.grad(batch))).toBe(1);
    expect(modulesCompiled(() => table.grad(batch))).toBe(0);
    // one min among 60 steps of +, · and a sum: compiled (k-means' Hessian diagonal is such a program)
    const few = fn(20, (t) => t.mul(t).add(t).sum().min(t.at(0).mul(3)));
    const points = new Tensor([20, 20], Float64Array.from({ length: 400 }, (_, k) => Math.sin(k)));
    expect(modulesCompiled(() => few.eval(points))).toBe(1);
    // and the gradient is the closed form
    const g = (direct.grad(batch) as Tensor).data;
    for (const p of [0, 19]) {
      const x = batch.data[2 * p], y = batch.data[2 * p + 1];
      expect(g[2 * p]).toBeCloseTo(y * Math.cos(x * y) + Math.exp(x) * y, 13);
      expect(g[2 * p + 1]).toBeCloseTo(x * Math.cos(x * y) + Math.exp(x), 13);
    }
  });

  it("setCompiledTier takes effect at the next call, also for a one-point call that repeats the last sweep", () => {
    const f = compile("sin(x*y) + z^2*exp(x)", { vars: ["x", "y", "z"] }), x = Float64Array.of(0.3, -1.2, 0.7);
    const out = new Float64Array(3), prepared = f.prepare("grad");
    setCompiledTier("never");
    onTestFinished(() => setCompiledTier("auto"));
    for (let k = 0; k < 3; k++) { f.grad(x, { out }); prepared(x); } // (interpreted, and repeating)
    setCompiledTier("always");
    expect(modulesCompiled(() => f.grad(x, { out }))).toBe(1); // (the repeat would have kept the interpreter)
    const compiled = Array.from(prepared(x));
    setCompiledTier("never");
    expect(modulesCompiled(() => { f.grad(x, { out }); prepared(x); })).toBe(0);
    expect(Array.from(out)).toEqual(compiled);
  });

  it("tapes with det, inv and solve run on the interpreter; results are unchanged", () => {
    onBothTiers(() => fn({ A: [2, 2], x: 2 }, ({ A, x }) => A.matvec(x).dot(x).add(A.det())) as never, (f) => {
      f.grad({ A: [1, 2, 3, 4], x: [0.5, -1] });
      f.hessian({ A: [1, 2, 3, 4], x: [0.5, -1] });
    });
  });

  it.each([1, 3, 4, 5, 8, 11])("a sum of %i terms runs compiled in sweeps of values, tangents and adjoints (a chain of additions in the core's order)", (n) => {
    const x = Array.from({ length: n }, (_, i) => 0.3 * i - 0.7), v = x.map((xi) => 1 - xi);
    const batch = new Tensor([3, n], Float64Array.from({ length: 3 * n }, (_, k) => x[k % n] + 0.1 * Math.floor(k / n)));
    // a contiguous sum (consecutive slots: sumRange's four partial sums), and column sums (a list of slots: in order)
    const contiguous = () => fn(n, (t) => t.mul(t).sin().sum().add(t.sum().mul(t.at(0))));
    const columns = () => fn({ A: [3, n] }, ({ A }) => A.mul(A).sum(0).sin().sum());
    onBothTiers(contiguous as never, (f) => {
      f.eval(x);
      f.jacobian(x, { mode: "forward" });
      f.grad(x, { mode: "reverse" });
      f.vjp(x, 0.75);
      f.jvp(x, v);
      f.hessian(x);
      f.hvp(x, v);
      f.eval(batch);
      f.jacobian(batch, { mode: "forward" });
      f.grad(batch, { mode: "reverse" });
      f.grad(batch, { mode: "reverse", reduce: "sum" });
      f.grad(batch, { mode: "reverse", reduce: "mean", weights: [1, -2, 0.5] });
    });
    const A = Array.from({ length: 3 * n }, (_, k) => Math.cos(k));
    onBothTiers(columns as never, (f) => {
      f.eval({ A });
      f.grad({ A }, { mode: "forward" });
      f.grad({ A }, { mode: "reverse" });
      f.hessianDiagonal({ A });
    });
    // a dot product (a run of products, then their sum: the interpreter reads the sum's adjoint for each
    // product), a term twice in one sum, a sum nothing's adjoint reaches but through 0, and ±0, ±∞, NaN
    const dot = () => fn({ a: n, b: n }, ({ a, b }) => a.mul(b).sum().mul(a.at(0)).add(stack([a.at(0), a.at(0), b.at(n - 1)]).sum())
      .add(a.sum().mul(0)));
    const edges = [0, -0, Infinity, -Infinity, NaN, 1e-310, 2];
    onBothTiers(dot as never, (f) => {
      for (let k = 0; k < edges.length; k++) {
        const a = Array.from({ length: n }, (_, i) => (i === 0 ? edges[k] : 0.5 - i)), b = Array.from({ length: n }, (_, i) => edges[(k + i) % edges.length]);
        f.grad({ a, b }, { mode: "reverse" });
        f.vjp({ a, b }, -0);
      }
    });
    setCompiledTier("always");
    try {
      const f = contiguous();
      expect(modulesCompiled(() => f.eval(x)), "the value sweep of a tape with a sum is generated code").toBe(1);
      expect(modulesCompiled(() => f.jacobian(x, { mode: "forward" }))).toBe(1);
      expect(modulesCompiled(() => f.grad(x, { mode: "reverse" })), "and its reverse sweep").toBe(1);
      f.dispose();
    } finally {
      setCompiledTier("auto");
    }
  });

  it("random programs with sums, dot products and column sums: gradients, cotangents and summed batches, the same bits on both tiers", () => {
    // Each program is a few elementwise steps over x (and slices of it), reduced by sum, dot, sum(axis) or a stack of
    // entries, at points with ±0, ±∞, NaN, subnormals and ordinary values.
    const UNARY = ["sin", "exp", "tanh", "neg", "abs", "sqrt", "log", "atan"] as const;
    const edges = [0, -0, Infinity, -Infinity, NaN, 5e-324, 1e-310, 0.5, -1.5, 3, 1e300];
    const cases = Math.max(60, Math.round(Number(process.env.GRADIENTS_FUZZ_RUNS ?? 200) * 0.3));
    for (let c = 0; c < cases; c++) {
      const r = random(1000 + c), pick = <T,>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
      const n = 2 + Math.floor(r() * 10), steps = 1 + Math.floor(r() * 4), reductions = 1 + Math.floor(r() * 3);
      const plan = Array.from({ length: steps * 3 + reductions * 3 }, () => r());
      const make = () => fn(n, (x) => {
        let v = x, k = 0;
        for (let s = 0; s < steps; s++) {
          const u = plan[k++], w = plan[k++], z = plan[k++];
          if (u < 0.5) v = (v as unknown as Record<string, () => typeof v>)[UNARY[Math.floor(w * UNARY.length)]]();
          else if (u < 0.7) v = v.mul(x.at(Math.floor(z * n)));
          else if (u < 0.85) v = v.add(x.mul(w - 0.5));
          else v = v.sub(x.sum().mul(z));
        }
        let total = v.at(0);
        for (let q = 0; q < reductions; q++) {
          const u = plan[k++], w = plan[k++], z = plan[k++];
          const m = Math.max(1, Math.floor(w * n));
          const term = u < 0.3 ? v.sum() : u < 0.5 ? v.dot(x) : u < 0.65 ? v.slice([0], [m]).sum() : u < 0.8
            ? stack([v.at(0), v.at(m - 1), v.at(0), x.at(n - 1)]).sum()
            : v.slice([0], [2 * Math.floor(n / 2)]).reshape([2, Math.floor(n / 2)]).sum(0).sum();
          total = z < 0.5 ? total.add(term) : total.mul(term.mul(0.1).tanh());
        }
        return total;
      });
      const points = Array.from({ length: 4 }, (_, p) => Array.from({ length: n }, () => (p === 0 ? 2 * r() - 1 : r() < 0.3 ? pick(edges) : 4 * r() - 2)));
      const batch = new Tensor([4, n], Float64Array.from(points.flat())), seeds = points.map(() => pick([1, -0, 0.25, NaN]));
      onBothTiers(make as never, (f) => {
        points.forEach((x, p) => {
          f.grad(x, { mode: "reverse" });
          f.vjp(x, seeds[p]);
        });
        f.grad(batch, { mode: "reverse" });
        f.grad(batch, { mode: "reverse", reduce: "sum" });
      });
    }
  });

  it("value sweeps of a tape with fused groups stay with their fused loops (the interpreter); its forward sweeps compile", () => {
    // Rosenbrock from contiguous tensor ops: compiled step by step, its value took 35× the fused loops' time at n = 10,000
    const n = 1000, x = Float64Array.from({ length: n }, (_, i) => 0.5 + 0.3 * Math.sin(i));
    let want = 0;
    for (let i = 0; i + 1 < n; i++) want += 100 * (x[i + 1] - x[i] * x[i]) ** 2 + (1 - x[i]) ** 2;
    const f = fn(n, (t) => {
      const a = t.slice([0], [n - 1]), b = t.slice([1]);
      return b.sub(a.pow(2)).pow(2).mul(100).add(a.neg().add(1).pow(2)).sum();
    });
    setCompiledTier("never");
    f.eval(x); // (loads the tape and its fused loops' module)
    setCompiledTier("always");
    onTestFinished(() => setCompiledTier("auto"));
    let value = 0;
    expect(modulesCompiled(() => { value = f.eval(x) as number; }), "no module for the value sweep").toBe(0);
    expect(value).toBeCloseTo(want, 9);
    expect(modulesCompiled(() => f.jvp(x, x)), "a module for the forward sweep").toBe(1);
    f.dispose();
  });

  it("values of a program whose sums have 1,024 terms or more in all stay with the interpreter's SIMD sums; fewer, and tangents, compile", () => {
    setCompiledTier("always");
    onTestFinished(() => setCompiledTier("auto"));
    // one sum of n terms; and ten row sums of n/10 terms, then their sum (n + 10 terms in all)
    const cases = [[1024, 0, false], [1023, 1, false], [1020, 0, true], [1000, 1, true]] as const;
    for (const [n, modules, rows] of cases) {
      const x = Float64Array.from({ length: n }, (_, i) => Math.sin(i));
      const f = rows ? fn(n, (t) => t.mul(t).reshape([10, n / 10]).sum(1).sum()) : fn(n, (t) => t.mul(t).sum());
      setCompiledTier("never");
      f.eval(x); // (loads the tape, and any fused loops' module)
      setCompiledTier("always");
      let value = 0;
      expect(modulesCompiled(() => { value = f.eval(x) as number; }), `modules for the value sweep of Σ over ${n} terms${rows ? " by rows" : ""}`).toBe(modules);
      expect(value).toBeCloseTo(x.reduce((s, v) => s + v * v, 0), 10);
      expect(modulesCompiled(() => f.jvp(x, x)), "a module for the forward sweep").toBe(1);
      f.dispose();
    }
  });

  it("a sum's tangent starts from its first live term, not from 0 + it: a sum of −0 tangents is −0 on both tiers", () => {
    // ∂/∂x₀ of each term is −0 (x₀·(−0)), and x₁'s lane reaches only the last term
    const made = () => fn(2, (t) => stack([t.at(0).mul(-0), t.at(0).mul(-0), t.at(1), t.at(0).mul(-0), t.at(0).mul(-0)]).sum());
    const J = onBothTiers(made as never, (f) => f.jacobian([0.5, 2], { mode: "forward" }).data) as Float64Array;
    expect([Object.is(J[0], -0), J[1]]).toEqual([true, 1]);
  });

  describe("outputs a loop computes, written where the loop computes them (one forward lane, memory placement)", () => {
    const n = 4000; // (past the steps kept in locals: the sweep lives in memory, its outputs come from loops)
    const at = (k: number) => 0.5 + 0.3 * Math.sin(k), dir = (k: number) => Math.cos(k);

    it("hvp of the strided Rosenbrock at one point and at a batch of three: the closed form, the same bits on both tiers", () => {
      const strided = () => fn(n, (x) => {
        const pairs = x.reshape([n / 2, 2]), even = pairs.slice([0, 0], [n / 2, 1]), odd = pairs.slice([0, 1], [n / 2, 2]);
        return odd.sub(even.pow(2)).pow(2).mul(100).add(even.neg().add(1).pow(2)).sum();
      });
      const N = 3, X = Float64Array.from({ length: N * n }, (_, k) => at(k)), V = Float64Array.from({ length: N * n }, (_, k) => dir(k));
      const want = new Float64Array(N * n);
      for (let q = 0; q < N * n; q += 2) {
        const a = 1200 * X[q] * X[q] - 400 * X[q + 1] + 2, b = -400 * X[q];
        want[q] = a * V[q] + b * V[q + 1];
        want[q + 1] = b * V[q] + 200 * V[q + 1];
      }
      const one = onBothTiers(strided, (f) => f.hvp(X.subarray(0, n), V.subarray(0, n)) as Float64Array);
      const batch = onBothTiers(strided, (f) => (f.hvp(new Tensor([N, n], X), new Tensor([N, n], V)) as Tensor).data);
      for (let k = 0; k < N * n; k++) {
        if (k < n) expect(Math.abs(one[k] - want[k]), `one point, entry ${k}`).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(want[k])));
        expect(Math.abs(batch[k] - want[k]), `batch, entry ${k}`).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(want[k])));
      }
    });

    it("jvp of sin over a vector, of [sin x, 2 sin x] (an output another loop reads) and of [sin x, sin x] (each id twice): cos(x)·v", () => {
      const X = Float64Array.from({ length: n }, (_, k) => at(k)), V = Float64Array.from({ length: n }, (_, k) => dir(k));
      const cases: [string, () => ReturnType<typeof fn>, (k: number) => number][] = [
        ["sin x", () => fn(n, (x) => x.sin()), () => 1],
        ["[sin x, 2 sin x]", () => fn(n, (x) => { const y = x.sin(); return concat([y, y.mul(2)]); }), (k) => (k < n ? 1 : 2)],
        ["[sin x, sin x]", () => fn(n, (x) => { const y = x.sin(); return concat([y, y]); }), () => 1],
      ];
      for (const [name, make, factor] of cases) {
        const got = onBothTiers(make, (f) => f.jvp(X, V) as Float64Array);
        got.forEach((g, k) => {
          const want = factor(k) * Math.cos(X[k % n]) * V[k % n];
          expect(Math.abs(g - want), `${name}, entry ${k}`).toBeLessThanOrEqual(4e-16 * Math.abs(want));
        });
      }
    });
  });
});
