// Derivatives of sampled data (the `grid` namespace) against independent
// references: numpy.gradient's results (test/fixtures/grid.json, made by
// test/fixtures/generate_grid.py) and closed forms of analytic fields sampled here
// — exact where the stencils are exact (linear and quadratic fields, cubics for
// the Laplacian's interior), and the stencils' order of accuracy elsewhere
// (the error shrinks ~4× when the spacing halves for second-order stencils).
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  buffer, compile, GradientsError, grid, InputError, ShapeError, WasmBuffer, type Field,
} from "../../bindings/index.js";
import { expectClose, expectIdentical, gridFixtures, expectThrows } from "../support/helpers.js";
import { coreMemoryShared } from "../../bindings/base/shared-memory.js";

const maxAbs = (xs: ArrayLike<number>) => Array.from(xs).reduce((m, v) => Math.max(m, Math.abs(v)), 0);
const fields = (r: Field | Field[]): Field[] => (Array.isArray(r) ? r : [r]);

/**
 * numpy's numbers to 1e-13, relative to each entry and floored at the result's
 * scale (its largest |entry|): the stencils are numpy's, in numpy's order of
 * operations, so only rounding separates them.
 */
function expectNumpy(got: ArrayLike<number>, want: number[], label: string, rel = 1e-13): void {
  expectClose(got, want, rel, label, maxAbs(want));
}

/** Samples f at every point of a grid given by its axes' coordinates, row-major. */
function sample(axes: readonly (readonly number[])[], f: (...x: number[]) => number): Float64Array {
  const shape = axes.map((a) => a.length);
  const size = shape.reduce((a, b) => a * b, 1);
  const out = new Float64Array(size);
  const x = new Array<number>(shape.length);
  for (let k = 0; k < size; k++) {
    let rest = k;
    for (let d = shape.length - 1; d >= 0; d--) {
      x[d] = axes[d][rest % shape[d]];
      rest = Math.floor(rest / shape[d]);
    }
    out[k] = f(...x);
  }
  return out;
}

/** n evenly spaced coordinates from a to b, computed as a + i·h. */
const linspace = (a: number, b: number, n: number) => Array.from({ length: n }, (_, i) => a + (i * (b - a)) / (n - 1));
/** Strictly increasing, unevenly spaced coordinates on [a, b]. */
const uneven = (a: number, b: number, n: number) => Array.from({ length: n }, (_, i) => {
  const t = i / (n - 1);
  return a + (b - a) * (t + 0.15 * Math.sin(Math.PI * t) * (i % 2 ? 1 : -0.5) / (n - 1) * 2);
});

/** Indices (row-major) of the points at least `margin` samples from every end. */
function interior(shape: readonly number[], margin = 1): number[] {
  const out: number[] = [];
  const size = shape.reduce((a, b) => a * b, 1);
  for (let k = 0; k < size; k++) {
    let rest = k, inside = true;
    for (let d = shape.length - 1; d >= 0; d--) {
      const i = rest % shape[d];
      rest = Math.floor(rest / shape[d]);
      if (i < margin || i > shape[d] - 1 - margin) inside = false;
    }
    if (inside) out.push(k);
  }
  return out;
}

/** max |got − want| over the given indices (all by default). */
function maxError(got: ArrayLike<number>, want: ArrayLike<number>, at?: number[]): number {
  let e = 0;
  for (const k of at ?? Array.from({ length: want.length }, (_, i) => i)) e = Math.max(e, Math.abs(got[k] - want[k]));
  return e;
}


// ---------------------------------------------------------------------------
// numpy.gradient
// ---------------------------------------------------------------------------

describe("grid.gradient against numpy.gradient", () => {
  it("the fixtures cover what they should", () => {
    const names = gridFixtures.map((c) => c.name);
    expect(names.some((n) => n.startsWith("1d"))).toBe(true);
    expect(new Set(gridFixtures.map((c) => c.shape.length))).toEqual(new Set([1, 2, 3]));
    expect(gridFixtures.some((c) => c.options.edgeOrder === 2)).toBe(true);
    expect(gridFixtures.some((c) => typeof c.options.axis === "number")).toBe(true);
    expect(gridFixtures.some((c) => Array.isArray(c.options.axis))).toBe(true);
    expect(names).toContain("2d_coords_evenly_spaced");
  });

  for (const c of gridFixtures) {
    it(`${c.name}: shape [${c.shape}], ${JSON.stringify(c.options)}`, () => {
      const field = Float64Array.from(c.field);
      const r = grid.gradient(field, c.shape, c.options);
      if (typeof c.options.axis === "number") {
        expect(Array.isArray(r)).toBe(false);
      } else {
        expect(Array.isArray(r)).toBe(true);
      }
      const outs = fields(r);
      expect(outs.length).toBe(c.results.length);
      outs.forEach((o, i) => {
        expect(o).toBeInstanceOf(Float64Array);
        expectNumpy(o as Float64Array, c.results[i], `${c.name} result ${i}`);
      });
      // the input is left alone
      expectIdentical(field, c.field, `${c.name} input`);
    });
  }

  it("Float32Array in, Float32Array out: numpy's float64 results on that data, rounded to float32", () => {
    // Computed in float64 and rounded once: more accurate than numpy's float32 arithmetic, which
    // differs from these by up to 104 float32 ulps on the fixtures' float32 data ("float32_numpy_ulps").
    expect(gridFixtures.filter((c) => c.float32).length).toBeGreaterThan(0);
    for (const c of gridFixtures) {
      const r = fields(grid.gradient(Float32Array.from(c.field), c.shape, c.options));
      expect(r.length).toBe(c.results.length);
      r.forEach((o, i) => {
        expect(o, c.name).toBeInstanceOf(Float32Array);
        // within one float32 rounding of numpy's float64 result (whose own rounding is 1e-13 at most)
        (o as Float32Array).forEach((v, k) => {
          const want = c.results[i][k], ulp = Math.abs(want) * 2 ** -23 + 1e-30;
          if (!(Math.abs(v - want) <= ulp)) expect.fail(`${c.name} float32 result ${i}[${k}]: ${v}, numpy (float64) ${want}`);
        });
      });
    }
  });

  it("WasmBuffer in, new WasmBuffers out, with the same values", () => {
    for (const c of gridFixtures) {
      const f = buffer(c.shape);
      f.data.set(c.field);
      const r = fields(grid.gradient(f, c.shape, c.options));
      const plain = fields(grid.gradient(Float64Array.from(c.field), c.shape, c.options));
      expect(r.length).toBe(c.results.length);
      r.forEach((o, i) => {
        expect(o, c.name).toBeInstanceOf(WasmBuffer);
        expect((o as WasmBuffer).size).toBe(c.field.length);
        expect(o).not.toBe(f);
        expectIdentical((o as WasmBuffer).data, plain[i] as Float64Array, `${c.name} buffer ${i} vs Float64Array`);
        expectNumpy((o as WasmBuffer).data, c.results[i], `${c.name} buffer ${i}`);
      });
      expectIdentical(f.data, c.field, `${c.name} input buffer untouched`);
      for (const o of r) (o as WasmBuffer).dispose();
      f.dispose();
    }
  });

  it("result buffers have the grid's shape, like the input buffer", () => {
    const f = buffer([6, 5]);
    f.data.set(Array.from({ length: 30 }, (_, k) => k * k));
    const made = [
      ...(grid.gradient(f, [6, 5]) as WasmBuffer[]),
      grid.divergence([f, f], [6, 5]) as WasmBuffer,
      grid.curl([f, f], [6, 5]) as WasmBuffer,
      grid.laplacian(f, [6, 5]) as WasmBuffer,
    ];
    const shapes = made.map((b) => [...b.shape]);
    for (const b of [f, ...made]) b.dispose();
    expect(shapes).toEqual(new Array(5).fill([6, 5]));
  });

  it("`out` receives the results: Float64Arrays, Float32Arrays and WasmBuffers, returned as given", () => {
    const c = gridFixtures.find((k) => k.name === "3d_coords_all_edge2")!;
    const size = c.field.length;
    const out64 = [new Float64Array(size), new Float64Array(size), new Float64Array(size)];
    const r64 = grid.gradient(Float64Array.from(c.field), c.shape, { ...c.options, out: out64 }) as Field[];
    r64.forEach((o, i) => {
      expect(o).toBe(out64[i]);
      expectNumpy(out64[i], c.results[i], `out ${i}`);
    });
    const out32 = [new Float32Array(size), new Float32Array(size), new Float32Array(size)];
    const r32 = grid.gradient(Float32Array.from(c.field), c.shape, { ...c.options, out: out32 }) as Field[];
    r32.forEach((o, i) => {
      expect(o).toBe(out32[i]);
      expectClose(out32[i], c.results[i], 2e-7, `out32 ${i}`, maxAbs(c.results[i]) * 1e-3);
    });
    const f = buffer(c.shape);
    f.data.set(c.field);
    const outBuf = [buffer(c.shape), buffer(c.shape), buffer(c.shape)];
    const rb = grid.gradient(f, c.shape, { ...c.options, out: outBuf }) as Field[];
    rb.forEach((o, i) => {
      expect(o).toBe(outBuf[i]);
      expectIdentical(outBuf[i].data, out64[i], `out buffer ${i}`);
    });
    // one axis: `out` may be a single field
    const one = new Float64Array(size);
    expect(grid.gradient(Float64Array.from(c.field), c.shape, { ...c.options, axis: 2, out: one })).toBe(one);
    expectNumpy(one, c.results[2], "single out");
    const oneBuf = buffer(c.shape);
    expect(grid.gradient(f, c.shape, { ...c.options, axis: 0, out: [oneBuf] })).toBe(oneBuf);
    expectIdentical(oneBuf.data, out64[0], "single out buffer");
    for (const b of [f, oneBuf, ...outBuf]) b.dispose();
  });

  it("`out` for divergence, curl and laplacian", () => {
    const shape = [6, 5], xs = linspace(0, 1, 6), ys = linspace(-1, 1, 5);
    const c0 = sample([xs, ys], (x, y) => x * y), c1 = sample([xs, ys], (x, y) => x + y * y);
    const d = new Float64Array(30), cu = new Float64Array(30), l = new Float64Array(30);
    expect(grid.divergence([c0, c1], shape, { spacing: [xs, ys], edgeOrder: 2, out: d })).toBe(d);
    expect(grid.curl([c0, c1], shape, { spacing: [xs, ys], out: [cu] })).toBe(cu);
    expect(grid.laplacian(c1, shape, { spacing: [xs, ys], out: l })).toBe(l);
    expectClose(d, sample([xs, ys], (_x, y) => y + 2 * y), 1e-13, "divergence into out", 3);
    expectClose(cu, sample([xs, ys], (x) => 1 - x), 1e-13, "curl into out", 1);
    expectClose(l, new Float64Array(30).fill(2), 1e-13, "laplacian into out");
  });
});

describe("field types and aliasing", () => {
  const shape = [6, 5], xs = linspace(0, 1, 6), ys = uneven(-1, 1, 5);
  const c0 = sample([xs, ys], (x, y) => x * x * y), c1 = sample([xs, ys], (x, y) => x - y * y * y);

  it("divergence, curl and laplacian: Float32Array in, Float32Array out, close to the Float64Array results", () => {
    const options = { spacing: [xs, ys], edgeOrder: 2 as const };
    const f32 = [Float32Array.from(c0), Float32Array.from(c1)];
    // float32 inputs are the float64 ones rounded (relative 2^-24), then differenced: compare with
    // the float64 path on the same rounded inputs, to float32 output rounding
    const ref = [Float64Array.from(f32[0]), Float64Array.from(f32[1])];
    const pairs: [Field, Field][] = [
      [grid.divergence(f32, shape, options), grid.divergence(ref, shape, options)],
      [grid.curl(f32, shape, options) as Field, grid.curl(ref, shape, options) as Field],
      [grid.laplacian(f32[1], shape, options), grid.laplacian(ref[1], shape, options)],
    ];
    for (const [got, want] of pairs) {
      expect(got).toBeInstanceOf(Float32Array);
      expectClose(got as Float32Array, want as Float64Array, 2e-7, "float32", maxAbs(want as Float64Array) * 1e-3);
    }
  });

  it("`out` may be the input itself (gl-matrix's convention), for every field type", () => {
    const want = grid.gradient(c0, shape, { axis: 0, spacing: [xs, ys] }) as Float64Array;
    const wantLap = grid.laplacian(c0, shape, { spacing: [xs, ys] }) as Float64Array;
    const wantDiv = grid.divergence([c0, c1], shape, { spacing: [xs, ys] }) as Float64Array;
    const same = Float64Array.from(c0);
    expect(grid.gradient(same, shape, { axis: 0, spacing: [xs, ys], out: same })).toBe(same);
    expectIdentical(same, want, "Float64Array gradient in place");
    const bad: string[] = [];
    const check = (label: string, got: ArrayLike<number>, ref: Float64Array) => {
      if (maxError(got, ref) > 1e-13 * maxAbs(ref)) bad.push(`${label}: got [${Array.from(got).slice(0, 4).join(", ")}, …], want [${Array.from(ref).slice(0, 4).join(", ")}, …]`);
    };
    const b = buffer(shape);
    b.data.set(c0);
    grid.gradient(b, shape, { axis: 0, spacing: [xs, ys], out: b });
    check("WasmBuffer gradient, out = field", b.data, want);
    b.data.set(c0);
    grid.laplacian(b, shape, { spacing: [xs, ys], out: b });
    check("WasmBuffer laplacian, out = field", b.data, wantLap);
    const d1 = buffer(shape);
    b.data.set(c0);
    d1.data.set(c1);
    grid.divergence([b, d1], shape, { spacing: [xs, ys], out: d1 });
    check("WasmBuffer divergence, out = component 1", d1.data, wantDiv);
    b.dispose();
    d1.dispose();
    expect(bad).toEqual([]);
  });
});

describe("JavaScript arrays are differentiated a slab of rows at a time: the numbers of one pass", () => {
  // 4096 × 512 float64 fields (16 MB each): with their results, more than the 32 MB a slab may take,
  // so they go in slabs along axis 0, each with a row of its neighbours'. WasmBuffers are read in
  // place in one pass: the reference, bit for bit, for every function, edge order and spacing.
  const shape = [4096, 512], size = shape[0] * shape[1];
  const field = (seed: number) => Float64Array.from({ length: size }, (_, k) => Math.sin(seed + k * 1e-3) * (1 + (k % 7)));
  const rows = Float64Array.from({ length: shape[0] }, (_, i) => i + 0.25 * Math.sin(i)); // non-uniform axis 0
  const inBuffer = (f: Float64Array) => { const b = buffer(shape); b.data.set(f); return b; };
  const inBuffer13 = (f: Float64Array) => { const b = buffer([13, 200_000]); b.data.set(f); return b; };
  const data = (r: Field | Field[]) => (Array.isArray(r) ? r : [r]).map((f) => Float64Array.from(f instanceof WasmBuffer ? f.data : f));
  const same = (js: Field | Field[], wasm: Field | Field[], label: string) => {
    const a = data(js), b = data(wasm);
    expect(a.length).toBe(b.length);
    a.forEach((x, i) => expectIdentical(x, b[i], `${label} [${i}]`));
  };
  it("slabs keep at least three rows of their own: a Laplacian with edgeOrder 2 on 10 rows of 300,000, and a gradient on 13", () => {
    const cols = 300_000, cubic = new Float64Array(10 * cols);
    for (let i = 0; i < 10; i++) cubic.fill(i ** 3, i * cols, (i + 1) * cols);
    const L = grid.laplacian(cubic, [10, cols], { edgeOrder: 2 }) as Float64Array;
    for (let i = 0; i < 10; i++) expect(L[i * cols + 7], `row ${i}`).toBe(6 * i); // exact for a cubic, ends included
    const g = Float64Array.from({ length: 13 * 200_000 }, (_, k) => Math.sin(k));
    const b = inBuffer13(g);
    same(grid.gradient(g, [13, 200_000], { edgeOrder: 2 }), grid.gradient(b, [13, 200_000], { edgeOrder: 2 }), "13 rows");
    b.dispose();
  });

  it("an out that is the input itself (JavaScript arrays): the results of one pass", () => {
    const n = 5_000_000, h = Float64Array.from({ length: n }, (_, k) => Math.sin(k * 1e-3));
    const want = grid.gradient(h.slice(), [n], { axis: 0 }) as Float64Array;
    expect(grid.gradient(h, [n], { axis: 0, out: h })).toBe(h);
    expectIdentical(h, want, "in place");
  });

  for (const options of [{}, { edgeOrder: 2 as const, spacing: [rows, 0.5] }]) {
    it(`gradient, divergence, curl and laplacian, ${JSON.stringify(options).slice(0, 40)}`, () => {
      const f = field(1), g = field(2), bf = inBuffer(f), bg = inBuffer(g);
      same(grid.gradient(f, shape, options), grid.gradient(bf, shape, options), "gradient");
      same(grid.divergence([f, g], shape, options), grid.divergence([bf, bg], shape, options), "divergence");
      same(grid.curl([f, g], shape, options), grid.curl([bf, bg], shape, options), "curl");
      same(grid.laplacian(f, shape, options), grid.laplacian(bf, shape, options), "laplacian");
      bf.dispose();
      bg.dispose();
    });
  }
});

describe("axis: a number gives one field, an array one field per entry", () => {
  const c = gridFixtures.find((k) => k.name === "3d_axis_list")!; // axis [2, 0]
  const f = Float64Array.from(c.field);
  const spacing = c.options.spacing;

  it("number vs array, negative axes, the order of the array", () => {
    const two = grid.gradient(f, c.shape, { spacing, axis: 2 });
    expect(two).toBeInstanceOf(Float64Array);
    expectNumpy(two as Float64Array, c.results[0], "axis 2");
    const minus1 = grid.gradient(f, c.shape, { spacing, axis: -1 });
    expectIdentical(minus1 as Float64Array, two as Float64Array, "axis −1");
    const listed = grid.gradient(f, c.shape, { spacing, axis: [2] }) as Field[];
    expect(Array.isArray(listed)).toBe(true);
    expect(listed.length).toBe(1);
    expectIdentical(listed[0] as Float64Array, two as Float64Array, "axis [2]");
    const pair = grid.gradient(f, c.shape, { spacing, axis: [2, 0] }) as Field[];
    expectNumpy(pair[0] as Float64Array, c.results[0], "axis [2, 0] first");
    expectNumpy(pair[1] as Float64Array, c.results[1], "axis [2, 0] second");
    const all = grid.gradient(f, c.shape, { spacing }) as Field[];
    expect(all.length).toBe(3);
    expectIdentical(all[2] as Float64Array, two as Float64Array, "all axes, third");
    expectIdentical(all[0] as Float64Array, pair[1] as Float64Array, "all axes, first");
  });

  it("a 1-D field without axis is an array of one field", () => {
    const r = grid.gradient(Float64Array.of(0, 1, 4, 9, 16), [5]);
    expect(Array.isArray(r)).toBe(true);
    expect(Array.from((r as Field[])[0] as Float64Array)).toEqual([1, 2, 4, 6, 7]);
  });

  it("spacing with axis: one entry per grid axis in the grid's order, or one per axis named where axis names fewer", () => {
    // f = 10·i + j on a 3 × 4 grid: ∂f/∂i = 10/h_i, ∂f/∂j = 1/h_j exactly, at every node
    const g = Float64Array.from({ length: 12 }, (_, k) => 10 * Math.floor(k / 4) + (k % 4));
    const every = (x: Field, v: number) => expect(Array.from(x as Float64Array)).toEqual(new Array(12).fill(v));
    const [dj, di] = grid.gradient(g, [3, 4], { axis: [1, 0], spacing: [0.5, 2] }); // h_i = 0.5, h_j = 2 whatever axis's order
    every(dj, 0.5);
    every(di, 20);
    every(grid.gradient(g, [3, 4], { axis: 1, spacing: [2] }), 0.5); // np.gradient(g, 2, axis=1)
    every(grid.gradient(g, [3, 4], { axis: -1, spacing: [[0, 2, 4, 6]] }), 0.5);
    every(grid.gradient(g, [3, 4], { axis: 1, spacing: [0.5, 2] }), 0.5);
    expect(() => grid.gradient(g, [3, 4], { axis: [1, 0], spacing: [1, 2, 3] })).toThrow("spacing needs one entry per axis of the grid (2), or one per axis of 'axis' (2), got 3");
    expect(() => grid.gradient(g, [3, 4], { axis: 0, spacing: [1, 2, 3] })).toThrow("spacing needs one entry per axis of the grid (2), or one per axis of 'axis' (1), got 3");
    expect(() => grid.gradient(g, [3, 4], { axis: [0, 0] })).toThrow(/axis 0 is listed twice/);
    expect(() => grid.gradient(g, [3, 4], { axis: [1, -1] })).toThrow(/axis 1 is listed twice/);
    stillWorks();
  });

  it("axes out of range, not whole, or none: refused", () => {
    expect(() => grid.gradient(f, c.shape, { axis: 3 })).toThrow(ShapeError);
    expect(() => grid.gradient(f, c.shape, { axis: -4 })).toThrow(ShapeError);
    expect(() => grid.gradient(f, c.shape, { axis: 1.5 })).toThrow(ShapeError);
    expect(() => grid.gradient(f, c.shape, { axis: [] })).toThrow(InputError);
    stillWorks();
  });
});

// ---------------------------------------------------------------------------
// Exact results where the stencils are exact
// ---------------------------------------------------------------------------

describe("fields the stencils differentiate exactly", () => {
  const xs = uneven(-1, 2, 7), ys = uneven(0, 1.5, 6), zs = linspace(-0.5, 0.5, 5);

  it("linear fields: every stencil, any spacing", () => {
    const linear = (x: number, y: number, z: number) => 3 * x - 2 * y + 0.5 * z + 1;
    const variants: { label: string; axes: number[][]; spacing: (number | number[])[] }[] = [
      { label: "coordinates", axes: [xs, ys, zs], spacing: [xs, ys, zs] },
      { label: "mixed", axes: [xs, linspace(0, 1.5, 6), zs], spacing: [xs, 0.3, zs[1] - zs[0]] },
      { label: "decreasing", axes: [xs.slice().reverse(), ys, zs], spacing: [xs.slice().reverse(), ys, zs] },
    ];
    for (const { label, axes, spacing } of variants) {
      const f = sample(axes, linear);
      for (const edgeOrder of [1, 2] as const) {
        const r = grid.gradient(f, [7, 6, 5], { spacing, edgeOrder }) as Float64Array[];
        [3, -2, 0.5].forEach((want, k) => expectClose(r[k], new Float64Array(210).fill(want), 1e-13, `${label} ∂/∂x${k}, edgeOrder ${edgeOrder}`, 3));
      }
    }
  });

  it("quadratic fields: exact inside; at the ends exact with edgeOrder 2, f′ + (h/2)·f″ with edgeOrder 1", () => {
    // f = x² − 3xy + 2y² + y: ∂x = 2x − 3y, ∂y = −3x + 4y + 1
    const f = (x: number, y: number) => x * x - 3 * x * y + 2 * y * y + y;
    for (const [label, ax, ay] of [["uniform", linspace(-1, 2, 7), linspace(0, 1.5, 6)], ["coordinates", xs, ys]] as const) {
      const F = sample([ax, ay], f);
      const dx = sample([ax, ay], (x, y) => 2 * x - 3 * y), dy = sample([ax, ay], (x, y) => -3 * x + 4 * y + 1);
      const scale = maxAbs(dx) + maxAbs(dy);
      const two = grid.gradient(F, [7, 6], { spacing: [ax, ay], edgeOrder: 2 }) as Float64Array[];
      expectClose(two[0], dx, 1e-13, `${label} ∂x edgeOrder 2`, scale);
      expectClose(two[1], dy, 1e-13, `${label} ∂y edgeOrder 2`, scale);
      const one = grid.gradient(F, [7, 6], { spacing: [ax, ay] }) as Float64Array[];
      const all = Array.from({ length: 42 }, (_, k) => k);
      const insideX = all.filter((k) => Math.floor(k / 6) !== 0 && Math.floor(k / 6) !== 6); // not at x's ends
      const insideY = all.filter((k) => k % 6 !== 0 && k % 6 !== 5);                         // not at y's ends
      expect(maxError(one[0], dx, insideX)).toBeLessThan(1e-13 * scale);
      expect(maxError(one[1], dy, insideY)).toBeLessThan(1e-13 * scale);
      // edgeOrder 1 at x = x₀: (f(x₁) − f(x₀))/h₀ = f′(x₀) + (h₀/2)·f″ with f″ = 2 along x; at the end, − (h/2)·f″
      const h0 = ax[1] - ax[0], hn = ax[6] - ax[5];
      for (let j = 0; j < 6; j++) {
        expect(Math.abs(one[0][j] - (dx[j] + h0))).toBeLessThan(1e-13 * scale);
        expect(Math.abs(one[0][36 + j] - (dx[36 + j] - hn))).toBeLessThan(1e-13 * scale);
      }
    }
  });

  it("divergence and curl of quadratic fields with edgeOrder 2: exact everywhere (3-D, coordinates)", () => {
    // c = (x² + yz + xy, xz − 2y² + z², 3z² + xy − yz), quadratic along every axis:
    // div = 2x − 4y + 6z, curl = (−3z, 0, −x)
    const c0 = (x: number, y: number, z: number) => x * x + y * z + x * y;
    const c1 = (x: number, y: number, z: number) => x * z - 2 * y * y + z * z;
    const c2 = (x: number, y: number, z: number) => 3 * z * z + x * y - y * z;
    const axes = [xs, ys, zs], shape = [7, 6, 5];
    const comps = [sample(axes, c0), sample(axes, c1), sample(axes, c2)];
    const div = grid.divergence(comps, shape, { spacing: axes, edgeOrder: 2 }) as Float64Array;
    const wantDiv = sample(axes, (x, y, z) => 2 * x + y - 4 * y + 6 * z - y);
    expectClose(div, wantDiv, 1e-13, "divergence", maxAbs(wantDiv));
    // curl = (∂c2/∂y − ∂c1/∂z, ∂c0/∂z − ∂c2/∂x, ∂c1/∂x − ∂c0/∂y)
    const want = [
      sample(axes, (x, _y, z) => x - z - (x + 2 * z)),
      sample(axes, (_x, y) => y - y),
      sample(axes, (x, _y, z) => z - (z + x)),
    ];
    const curl = grid.curl(comps, shape, { spacing: axes, edgeOrder: 2 }) as Float64Array[];
    expect(curl.length).toBe(3);
    curl.forEach((r, k) => expectClose(r, want[k], 1e-13, `curl ${k}`, maxAbs(want[0]) + maxAbs(want[2])));
  });

  it("2-D curl: ∂c1/∂x0 − ∂c0/∂x1 (right-handed in axis order)", () => {
    const ax = linspace(0, 1, 5), ay = uneven(0, 2, 4), shape = [5, 4];
    const zero = new Float64Array(20);
    const y = sample([ax, ay], (_, b) => b), x = sample([ax, ay], (a) => a);
    const r1 = grid.curl([zero, x], shape, { spacing: [ax, ay] }) as Float64Array; // c = (0, x0): +1
    const r2 = grid.curl([y, zero], shape, { spacing: [ax, ay] }) as Float64Array; // c = (x1, 0): −1
    const r3 = grid.curl([Float64Array.from(y, (v) => -v), x], shape, { spacing: [ax, ay] }) as Float64Array; // rotation: 2
    expect(r1).toBeInstanceOf(Float64Array);
    expectClose(r1, new Float64Array(20).fill(1), 1e-13, "curl (0, x0)");
    expectClose(r2, new Float64Array(20).fill(-1), 1e-13, "curl (x1, 0)");
    expectClose(r3, new Float64Array(20).fill(2), 1e-13, "curl (−x1, x0)");
  });

  it("divergence of rotation fields ≈ 0; curl of a source field ≈ 0", () => {
    // Each component is constant along the axes differenced here, so the stencils'
    // weights (which sum to 0) cancel: exactly on uniform grids with edgeOrder 1,
    // to the rounding of the weights (ε·|c|/h) otherwise.
    const ax = uneven(-1, 1, 6), ay = linspace(-2, 2, 5), az = uneven(0, 1, 4);
    const rot2 = [sample([ax, ay], (_, y) => -y), sample([ax, ay], (x) => x)];
    expect(Array.from(grid.divergence(rot2, [6, 5], { spacing: [0.4, 1] }) as Float64Array)).toEqual(new Array(30).fill(0));
    const axes = [ax, ay, az];
    const sol = [sample(axes, (_x, y, z) => Math.sin(y) * z), sample(axes, (x, _y, z) => Math.cos(x) * z * z), sample(axes, (x, y) => x * y)];
    const source = [sample(axes, (x) => x * x), sample(axes, (_, y) => Math.exp(y)), sample(axes, (_, __, z) => z)];
    const hmin = Math.min(...axes.flatMap((a) => a.slice(1).map((v, i) => v - a[i])));
    for (const edgeOrder of [1, 2] as const) {
      const rounding = 1e-14 * Math.max(...sol.map(maxAbs), ...source.map(maxAbs)) / hmin;
      expect(maxAbs(grid.divergence(sol, [6, 5, 4], { spacing: axes, edgeOrder }) as Float64Array)).toBeLessThan(rounding);
      expect(maxAbs(grid.divergence(rot2, [6, 5], { spacing: [ax, ay], edgeOrder }) as Float64Array)).toBeLessThan(rounding);
      for (const r of grid.curl(source, [6, 5, 4], { spacing: axes, edgeOrder }) as Float64Array[]) expect(maxAbs(r)).toBeLessThan(rounding);
      const rot3 = [sample(axes, (_, y) => -y), sample(axes, (x) => x), new Float64Array(120)];
      expect(maxAbs(grid.divergence(rot3, [6, 5, 4], { spacing: axes, edgeOrder }) as Float64Array)).toBeLessThan(rounding);
    }
  });
});

// ---------------------------------------------------------------------------
// Orders of accuracy
// ---------------------------------------------------------------------------

describe("smooth fields: the error shrinks with the stencil's order", () => {
  /**
   * Errors on a square with n points per axis, interior and everywhere, and the
   * leading interior truncation bound h²/6·(|∂³c0/∂x³| + |∂³c1/∂y³|) (divergence),
   * h²/6·(|∂³c1/∂x³| + |∂³c0/∂y³|) (curl), h²/12·(|∂⁴f/∂x⁴| + |∂⁴f/∂y⁴|) (Laplacian),
   * with the derivatives' maxima over the square.
   */
  function errors(n: number, edgeOrder: 1 | 2, what: "divergence" | "curl" | "laplacian") {
    const ax = linspace(0, 1.2, n), ay = linspace(-0.3, 0.9, n), shape = [n, n];
    const spacing = [ax[1] - ax[0], ay[1] - ay[0]];
    const c0 = sample([ax, ay], (x, y) => Math.sin(2 * x) * Math.cos(y));
    const c1 = sample([ax, ay], (x, y) => Math.exp(x) * Math.sin(3 * y));
    let got: Float64Array, want: Float64Array, bound: number;
    const h = spacing[0], e12 = Math.exp(1.2); // x ∈ [0, 1.2]: |d³/dx³ eˣ| ≤ e^1.2
    if (what === "divergence") {
      bound = (h * h / 6) * (8 + 27 * e12);
      got = grid.divergence([c0, c1], shape, { spacing, edgeOrder }) as Float64Array;
      want = sample([ax, ay], (x, y) => 2 * Math.cos(2 * x) * Math.cos(y) + 3 * Math.exp(x) * Math.cos(3 * y));
    } else if (what === "curl") {
      bound = (h * h / 6) * (e12 + 1);
      got = grid.curl([c0, c1], shape, { spacing, edgeOrder }) as Float64Array;
      want = sample([ax, ay], (x, y) => Math.exp(x) * Math.sin(3 * y) + Math.sin(2 * x) * Math.sin(y));
    } else {
      bound = (h * h / 12) * 2;
      got = grid.laplacian(sample([ax, ay], (x, y) => Math.sin(x) * Math.sin(y)), shape, { spacing, edgeOrder }) as Float64Array;
      want = sample([ax, ay], (x, y) => -2 * Math.sin(x) * Math.sin(y));
    }
    return { inside: maxError(got, want, interior(shape)), all: maxError(got, want), bound };
  }

  for (const what of ["divergence", "curl", "laplacian"] as const) {
    it(`${what}: second order inside; at the ends first order (edgeOrder 1) or second (edgeOrder 2)`, () => {
      const ns = [11, 21, 41, 81]; // the spacing halves each time
      for (const edgeOrder of [1, 2] as const) {
        const e = ns.map((n) => errors(n, edgeOrder, what));
        for (let i = 1; i < e.length; i++) {
          const inside = e[i - 1].inside / e[i].inside, all = e[i - 1].all / e[i].all;
          expect(inside, `${what} inside, h/${2 ** i}, edgeOrder ${edgeOrder}`).toBeGreaterThan(3.5);
          expect(inside).toBeLessThan(4.5);
          if (edgeOrder === 2) {
            expect(all, `${what} everywhere, edgeOrder 2`).toBeGreaterThan(3.3);
            expect(all).toBeLessThan(4.7);
          } else {
            expect(all, `${what} everywhere, edgeOrder 1`).toBeGreaterThan(1.7);
            expect(all).toBeLessThan(2.3);
          }
        }
        for (const { inside, bound } of e) expect(inside, `${what} inside vs the truncation bound`).toBeLessThan(bound);
      }
    });
  }

  it("curl of a gradient field ≈ 0: exactly (to rounding) for the grid's own gradient, to O(h²) for a sampled one", () => {
    for (const n of [9, 17]) {
      const ax = linspace(0, 1, n), ay = uneven(-1, 0, n - 1), az = linspace(0.5, 1.5, n + 1);
      const axes = [ax, ay, az], shape = [n, n - 1, n + 1];
      const phi = sample(axes, (x, y, z) => Math.sin(x * y) + z * z * Math.exp(x));
      for (const edgeOrder of [1, 2] as const) {
        const g = grid.gradient(phi, shape, { spacing: axes, edgeOrder }) as Float64Array[];
        const scale = Math.max(...g.map(maxAbs));
        for (const r of grid.curl(g, shape, { spacing: axes, edgeOrder }) as Float64Array[]) {
          expect(maxAbs(r), `discrete curl of the discrete gradient, n = ${n}`).toBeLessThan(1e-12 * scale * n);
        }
      }
    }
    const err = [10, 20, 40].map((n) => {
      const ax = linspace(0, 1, n), ay = linspace(-1, 0, n), az = linspace(0.5, 1.5, n), axes = [ax, ay, az];
      const spacing = axes.map((a) => a[1] - a[0]);
      const grad = [
        sample(axes, (x, y, z) => y * Math.cos(x * y) + z * z * Math.exp(x)),
        sample(axes, (x, y) => x * Math.cos(x * y)),
        sample(axes, (x, _, z) => 2 * z * Math.exp(x)),
      ];
      const r = grid.curl(grad, [n, n, n], { spacing, edgeOrder: 2 }) as Float64Array[];
      return { e: Math.max(...r.map(maxAbs)), h: spacing[0] };
    });
    // second order everywhere with edgeOrder 2 (measured ≈ 2.7h², ratios 4.3 and 4.1)
    expect(err[0].e / err[1].e).toBeGreaterThan(3.5);
    expect(err[1].e / err[2].e).toBeGreaterThan(3.5);
    for (const { e, h } of err) expect(e).toBeLessThan(4 * h * h);
  });
});

describe("grid.gradient where numpy's arithmetic leaves the range and the derivative does not", () => {
  const rel = (got: ArrayLike<number>, want: readonly number[], tol: number) =>
    want.forEach((w, i) => expect(Math.abs(got[i] - w), `entry ${i}: ${got[i]} vs ${w}`).toBeLessThanOrEqual(tol * Math.max(Math.abs(w), 1e-300)));

  it("coordinates from 1e-300 to 1e300 apart: f = t² at x = s·t gives 2t/s (numpy's weights multiply gaps, and overflowed to 0 or NaN)", () => {
    const t = [0, 1, 3, 4, 6], f = Float64Array.from(t, (v) => v * v);
    for (const s of [1e-300, 1e-200, 1e-160, 1e-150, 1e150, 1e160, 1e200, 1e300]) {
      for (const edgeOrder of [1, 2] as const) {
        const d = grid.gradient(f, [5], { spacing: [t.map((v) => v * s)], edgeOrder, axis: 0 }) as Float64Array;
        const scaledBack = Array.from(d, (v) => v * s);
        // inside: exact for a quadratic; the ends too with edgeOrder 2 (2t = 0 there: within rounding of the terms)
        rel(scaledBack.slice(1, 4), [2, 6, 8], 1e-15);
        if (edgeOrder === 2) {
          expect(Math.abs(scaledBack[0])).toBeLessThanOrEqual(1e-15);
          rel([scaledBack[4]], [12], 1e-15);
        }
      }
    }
  });

  it("gaps 1e160 apart in size, values near 1e308, spacings past 1e308 / 2 and down to 1e-300", () => {
    rel(grid.gradient(Float64Array.of(0, 3, 3e160, 6e160), [4], { spacing: [[0, 1, 1e160, 2e160]], axis: 0 }) as Float64Array, [3, 3, 3, 3], 1e-15);
    expect(Array.from(grid.gradient(new Float64Array(4).fill(1e308), [4], { edgeOrder: 2, axis: 0 }) as Float64Array)).toEqual([0, 0, 0, 0]);
    rel(grid.gradient(Float64Array.of(-1e308, 0, 1e308), [3], { axis: 0 }) as Float64Array, [1e308, 1e308, 1e308], 1e-15);
    rel(grid.gradient(Float64Array.of(0, 1, 2, 3), [4], { spacing: 1e308, axis: 0 }) as Float64Array, [1e-308, 1e-308, 1e-308, 1e-308], 1e-15);
    rel(grid.gradient(Float64Array.of(1e10, 1e10 + 1, 1e10 + 2, 1e10 + 3), [4], { spacing: 1e-300, edgeOrder: 2, axis: 0 }) as Float64Array,
      [1e300, 1e300, 1e300, 1e300], 1e-15);
    // along the contiguous axis of a 4 × 4 grid and across it (the paths two samples at a time), and in a
    // divergence: (j − 1.5)·1e308 and (i − 1.5)·1e308 have slope 1e308, though f[i+1] − f[i−1] overflows
    const alongJ = Float64Array.from({ length: 16 }, (_, k) => ((k % 4) - 1.5) * 1e308);
    const alongI = Float64Array.from({ length: 16 }, (_, k) => (Math.floor(k / 4) - 1.5) * 1e308);
    rel(grid.gradient(alongJ, [4, 4], { axis: 1 }) as Float64Array, new Array(16).fill(1e308), 1e-15);
    rel(grid.gradient(alongI, [4, 4], { axis: 0 }) as Float64Array, new Array(16).fill(1e308), 1e-15);
    rel(grid.divergence([alongI.map((v) => v / 2), alongJ.map((v) => v / 2)], [4, 4]) as Float64Array, new Array(16).fill(1e308), 1e-15);
    expect(() => grid.gradient(new Float64Array(3), [3], { spacing: [[-1e308, 1e308, 1.5e308]] })).toThrow(/further apart than the largest double/);
  });

  it("exact values where numpy gives NaN, 0 or loses digits (test/fixtures/grid-extremes.json, exact rational arithmetic)", () => {
    const cases = JSON.parse(readFileSync(new URL("../fixtures/grid-extremes.json", import.meta.url), "utf8")) as
      { name: string; x: number[]; f: number[]; edgeOrder: 1 | 2; exact: (number | string)[] }[];
    for (const c of cases) {
      const got = grid.gradient(Float64Array.from(c.f), [c.f.length], { spacing: [c.x], edgeOrder: c.edgeOrder, axis: 0 }) as Float64Array;
      c.exact.forEach((want, i) => {
        const w = Number(want);
        if (!Number.isFinite(w)) expect(got[i], `${c.name}, entry ${i}`).toBe(w);
        else expect(Math.abs(got[i] - w), `${c.name}, entry ${i}: ${got[i]} vs ${w}`).toBeLessThanOrEqual(1e-15 * Math.abs(w) + 1e-323);
      });
    }
  });

  it("±∞ samples where numpy's weights fail give IEEE's Σ w·f: the weights' signs decide", () => {
    // coordinates 0, 1e200, 3e200: interior weights (a, b, c) have signs (−, +, +), as at 0, 1, 3
    for (const coords of [[0, 1, 3], [0, 1e200, 3e200]]) {
      const at = (f: number[]) => Array.from(grid.gradient(Float64Array.from(f), [3], { spacing: [coords], axis: 0 }) as Float64Array);
      expect(at([Infinity, 0, 0]), `${coords}`).toEqual([-Infinity, -Infinity, 0]);
      expect(at([0, Infinity, 0]), `${coords}`).toEqual([Infinity, Infinity, -Infinity]);
      expect(at([0, NaN, 0]).map(Number.isNaN), `${coords}`).toEqual([true, true, true]);
    }
    const ends = grid.gradient(Float64Array.of(Infinity, 0, 0, 0), [4], { spacing: 1e308, edgeOrder: 2, axis: 0 }) as Float64Array;
    expect(Array.from(ends)).toEqual([-Infinity, -Infinity, 0, 0]);
    // finite samples near 1e308 beside the infinite one add a finite amount, not ∞ of the other sign
    const big = grid.gradient(Float64Array.of(0, 1e308, -1e308, -Infinity), [4], { spacing: 1e308, edgeOrder: 2, axis: 0 }) as Float64Array;
    expect(big[3]).toBe(-Infinity);
    const mixed = grid.gradient(Float64Array.of(1e308, -1e308, Infinity), [3], { spacing: [[0, 1e200, 3e200]], axis: 0 }) as Float64Array;
    expect(mixed[1]).toBe(Infinity);
  });

  it("NaN and ±∞ in the samples still reach only the stencils that read them", () => {
    const f = Float64Array.of(0, 1, Infinity, 3, 4, 5, NaN, 7);
    const d = grid.gradient(f, [8], { axis: 0 }) as Float64Array;
    expect(Array.from(d)).toEqual([1, Infinity, 1, -Infinity, 1, NaN, 1, NaN]);
  });
});

describe("grid.laplacian: exact where its stencils are", () => {
  it("x² + y² → 4 everywhere, both edge orders, uniform and coordinates", () => {
    for (const [label, ax, ay] of [["uniform", linspace(-1, 1, 6), linspace(0, 2, 5)], ["coordinates", uneven(-1, 1, 6), uneven(0, 2, 5)]] as const) {
      const f = sample([ax, ay], (x, y) => x * x + y * y);
      for (const edgeOrder of [1, 2] as const) {
        const l = grid.laplacian(f, [6, 5], { spacing: [ax, ay], edgeOrder }) as Float64Array;
        expectClose(l, new Float64Array(30).fill(4), 1e-12, `${label}, edgeOrder ${edgeOrder}`);
      }
    }
    const axes = [linspace(0, 1, 5), uneven(0, 1, 4), linspace(-1, 1, 6)];
    const l3 = grid.laplacian(sample(axes, (x, y, z) => x * x + 2 * y * y - z * z + x * y * z), [5, 4, 6], { spacing: axes, edgeOrder: 2 }) as Float64Array;
    expectClose(l3, new Float64Array(120).fill(2 + 4 - 2), 1e-12, "3-D quadratic");
  });

  it("at spacings far from 1: x² → 2 from h = 1e-150 to 1e150, and A·i² → 2A/h² where 1/h² leaves the range", () => {
    // 1/h² once overflowed or underflowed (NaN, ±∞ or wrong finite ends from h ≈ 1e-108 and 1e102 on)
    for (const h of [1e-150, 1e-110, 1e-3, 1e103, 1e150]) {
      const xs = Array.from({ length: 6 }, (_, i) => i * h), uneven = xs.map((x, i) => x * (1 + 0.1 * (i % 2)));
      for (const [label, coords] of [["uniform", h], ["coordinates", uneven]] as const) {
        const f = Float64Array.from(typeof coords === "number" ? xs : coords, (x) => x * x);
        for (const edgeOrder of [1, 2] as const) {
          const l = grid.laplacian(f, [6], { spacing: typeof coords === "number" ? coords : [coords], edgeOrder }) as Float64Array;
          expectClose(l, new Float64Array(6).fill(2), 1e-12, `h = ${h}, ${label}, edgeOrder ${edgeOrder}`);
        }
      }
    }
    // values near the top of the range at h = 10: 1e308 − 1e303·x² → −2e303 (a sum formed before
    // dividing by h² overflows); and gaps 1e155 apart in size, x² on [0, 1e-155, 1, 2, 3, 4] → 2
    const xs = Array.from({ length: 6 }, (_, i) => 10 * i * (1 + 0.1 * (i % 2)));
    for (const [label, coords] of [["uniform", 10], ["coordinates", xs]] as const) {
      const at = typeof coords === "number" ? xs.map((_, i) => 10 * i) : coords;
      for (const edgeOrder of [1, 2] as const) {
        const l = grid.laplacian(Float64Array.from(at, (x) => 1e308 - 1e303 * x * x), [6], { spacing: typeof coords === "number" ? coords : [coords], edgeOrder }) as Float64Array;
        expectClose(l, new Float64Array(6).fill(-2e303), 1e-9, `near the top, ${label}, edgeOrder ${edgeOrder}`);
      }
    }
    // and at spacings up to 1, where the weights are not divided first: 1.5e308 − 1e300·x² → −2e300
    for (const h of [0.5, 1]) {
      const f = Float64Array.from({ length: 6 }, (_, i) => 1.5e308 - 1e300 * (i * h) ** 2);
      for (const edgeOrder of [1, 2] as const) {
        expectClose(grid.laplacian(f, [6], { spacing: h, edgeOrder }) as Float64Array, new Float64Array(6).fill(-2e300), 1e-6, `1.5e308 − 1e300·x², h = ${h}, edgeOrder ${edgeOrder}`);
      }
    }
    const uneven = [0, 1e-155, 1, 2, 3, 4];
    for (const edgeOrder of [1, 2] as const) {
      expectClose(grid.laplacian(Float64Array.from(uneven, (x) => x * x), [6], { spacing: [uneven], edgeOrder }) as Float64Array, new Float64Array(6).fill(2), 1e-12, `gaps 1e155 apart, edgeOrder ${edgeOrder}`);
    }
    for (const [A, h] of [[1e-300, 1e-160], [1e300, 1e160]]) {
      const f = Float64Array.from({ length: 6 }, (_, i) => A * i * i);
      for (const edgeOrder of [1, 2] as const) {
        expectClose(grid.laplacian(f, [6], { spacing: h, edgeOrder }) as Float64Array, new Float64Array(6).fill(2 * A / h / h), 1e-12, `A = ${A}, h = ${h}`);
      }
    }
  });

  it("cubics on a uniform grid: exact inside and with edgeOrder 2; edgeOrder 1's ends are the parabola's, 6(x₀ + h)", () => {
    const ax = linspace(-1, 1, 7), ay = linspace(0, 3, 5), h = ax[1] - ax[0];
    const f = sample([ax, ay], (x, y) => x ** 3 + y ** 3 + x * y);
    const want = sample([ax, ay], (x, y) => 6 * x + 6 * y);
    const scale = maxAbs(want);
    const two = grid.laplacian(f, [7, 5], { spacing: [h, ay[1] - ay[0]], edgeOrder: 2 }) as Float64Array;
    expectClose(two, want, 1e-12, "edgeOrder 2", scale);
    const one = grid.laplacian(f, [7, 5], { spacing: [h, ay[1] - ay[0]] }) as Float64Array;
    expect(maxError(one, want, interior([7, 5]))).toBeLessThan(1e-12 * scale);
    // along x at x₀ (j inside along y): the parabola through x₀, x₀+h, x₀+2h has f″ = 6(x₀ + h)
    for (let j = 1; j < 4; j++) {
      expect(Math.abs(one[j] - (6 * (ax[0] + h) + 6 * ay[j]))).toBeLessThan(1e-12 * scale);
      expect(Math.abs(one[6 * 5 + j] - (6 * (ax[6] - h) + 6 * ay[j]))).toBeLessThan(1e-12 * scale);
    }
  });

  it("agrees with the trace of the exact Hessian of a compiled function, to second order", () => {
    const g = compile("sin(x)*sin(y)", { vars: ["x", "y"] });
    const ax = linspace(0.2, 1.4, 41), ay = linspace(-0.5, 0.7, 41);
    const f = sample([ax, ay], (x, y) => Math.sin(x) * Math.sin(y));
    const l = grid.laplacian(f, [41, 41], { spacing: [ax[1] - ax[0], ay[1] - ay[0]], edgeOrder: 2 }) as Float64Array;
    const want = sample([ax, ay], (x, y) => g.laplacian([x, y]) as number);
    // the end stencil (cubic through 4 samples) errs by 11/12·h²·|∂⁴f|, per axis; |∂⁴f| ≤ 1
    const h = ax[1] - ax[0];
    expect(maxError(l, want)).toBeLessThan((11 / 12) * h * h * 2);
    expect(maxError(l, want, interior([41, 41]))).toBeLessThan((h * h / 12) * 2);
  });
});

// ---------------------------------------------------------------------------
// Bad input
// ---------------------------------------------------------------------------

/** A correct call after an error gives the right answer (closed forms), as does a compiled function. */
function stillWorks(): void {
  const [d] = grid.gradient(Float64Array.of(0, 1, 4, 9), [4]) as Float64Array[];
  expect(Array.from(d)).toEqual([1, 2, 4, 5]);
  const b = buffer([4]);
  b.data.set([0, 1, 4, 9]);
  const db = grid.gradient(b, [4], { axis: 0, edgeOrder: 2 }) as WasmBuffer;
  expect(Array.from(db.data)).toEqual([0, 2, 4, 6]);
  b.dispose();
  db.dispose();
  expect(compile("x*y").grad([2, 3])).toEqual(Float64Array.of(3, 2));
}

function expectError(call: () => unknown, type: typeof ShapeError | typeof InputError, message?: RegExp): void {
  expectThrows(call, type, ...(message ? [message] : []));
  stillWorks();
}

describe("bad input", () => {
  const f12 = new Float64Array(12);

  it("shape and length mismatches: ShapeError", () => {
    expectError(() => grid.gradient(new Float64Array(11), [3, 4]), ShapeError, /11.*\[3, 4\].*12/);
    expectError(() => grid.gradient(new Float32Array(13), [3, 4]), ShapeError);
    expectError(() => grid.gradient(f12, []), ShapeError);
    expectError(() => grid.gradient(f12, [3, 0, 4]), ShapeError);
    expectError(() => grid.gradient(f12, [3, 4.5] as never), ShapeError);
    expectError(() => grid.gradient(f12, "3x4" as never), ShapeError);
    expectError(() => grid.gradient(f12, [3, 4], { spacing: [1, 1, 1] }), ShapeError);
    expectError(() => grid.gradient(f12, [3, 4], { spacing: [[0, 1, 2, 3], 1] }), ShapeError); // 4 coordinates for 3 samples
    expectError(() => grid.gradient(f12, [3, 4], { out: [new Float64Array(12)] }), ShapeError); // 2 results
    expectError(() => grid.gradient(f12, [3, 4], { out: [new Float64Array(12), new Float64Array(11)] }), ShapeError);
    expectError(() => grid.divergence([f12], [3, 4]), ShapeError);
    expectError(() => grid.divergence([f12, new Float64Array(11)], [3, 4]), ShapeError);
    expectError(() => grid.curl([f12, f12, f12], [3, 4]), ShapeError);
    expectError(() => grid.curl([new Float64Array(3)], [3]), ShapeError);
    expectError(() => grid.curl([f12, f12, f12, f12], [1, 2, 3, 2]), ShapeError);
    expectError(() => grid.laplacian(f12, [12, 1]), ShapeError);
  });

  it("an axis shorter than edgeOrder + 1 (numpy's rule): ShapeError; the Laplacian needs one more", () => {
    expectError(() => grid.gradient(new Float64Array(5), [1, 5]), ShapeError, /axis 0.*1 sample/);
    expectError(() => grid.gradient(new Float64Array(10), [2, 5], { edgeOrder: 2 }), ShapeError, /axis 0/);
    expect((grid.gradient(Float64Array.of(1, 3), [2]) as Float64Array[])[0]).toEqual(Float64Array.of(2, 2));
    expect((grid.gradient(Float64Array.of(1, 3, 7), [3], { edgeOrder: 2 }) as Float64Array[])[0]).toEqual(Float64Array.of(1, 3, 5));
    expectError(() => grid.laplacian(new Float64Array(10), [5, 2]), ShapeError, /axis 1/);
    expectError(() => grid.laplacian(new Float64Array(15), [5, 3], { edgeOrder: 2 }), ShapeError, /axis 1/);
    expectError(() => grid.divergence([new Float64Array(5), new Float64Array(5)], [5, 1]), ShapeError);
    // the Laplacian says its own rule where an axis has samples enough for a gradient but not for it
    expectError(() => grid.laplacian(Float64Array.of(0, 1, 4), [3, 1]), ShapeError, /axis 1 has 1 samples; a Laplacian with edgeOrder 1 needs at least 3/);
  });

  it("only the axes differentiated need samples, as numpy checks: a [5, 1] grid has a gradient along axis 0", () => {
    // np.gradient(np.arange(5.).reshape(5, 1)**2, axis=0) is [1, 2, 4, 6, 7] (and np.gradient(…, axis=1) is an error)
    const f = Float64Array.of(0, 1, 4, 9, 16), want = [1, 2, 4, 6, 7];
    expect(Array.from(grid.gradient(f, [5, 1], { axis: 0 }) as Float64Array)).toEqual(want);
    expect(Array.from(grid.gradient(f, [1, 5], { axis: 1 }) as Float64Array)).toEqual(want);
    expect(Array.from((grid.gradient(f, [5, 1], { axis: [0], spacing: [[0, 1, 2, 3, 4], [7]] }) as Float64Array[])[0])).toEqual(want);
    expectError(() => grid.gradient(f, [5, 1], { axis: 1 }), ShapeError, /axis 1 has 1 samples/);
    expectError(() => grid.gradient(f, [5, 1]), ShapeError, /axis 1 has 1 samples/);
  });

  it("zero, non-finite or non-monotonic spacing and coordinates: InputError", () => {
    for (const spacing of [0, NaN, Infinity, -Infinity]) expectError(() => grid.gradient(f12, [3, 4], { spacing }), InputError);
    expectError(() => grid.gradient(f12, [3, 4], { spacing: [1, 0] }), InputError);
    expectError(() => grid.gradient(f12, [3, 4], { spacing: [[0, 1, NaN], 1] }), InputError);
    expectError(() => grid.gradient(f12, [3, 4], { spacing: [[0, 1, Infinity], 1] }), InputError);
    expectError(() => grid.gradient(f12, [3, 4], { spacing: [[0, 1, 1], 1] }), InputError); // a zero step
    expectError(() => grid.gradient(f12, [3, 4], { spacing: [[0, 2, 1], 1] }), InputError); // not monotonic
    expectError(() => grid.gradient(f12, [3, 4], { spacing: [1, "2"] as never }), InputError);
    expectError(() => grid.gradient(f12, [3, 4], { spacing: [1, null] as never }), InputError);
    expectError(() => grid.laplacian(f12, [3, 4], { spacing: [[0, 0, 1], 1] }), InputError);
    expectError(() => grid.curl([f12, f12], [3, 4], { spacing: [1, NaN] }), InputError);
    expectError(() => grid.gradient(f12, [3, 4], { edgeOrder: 3 as never }), InputError);
    expectError(() => grid.gradient(f12, [3, 4], { edgeOrder: 0 as never }), InputError);
  });

  it("wrong field types: InputError", () => {
    for (const bad of [[1, 2, 3, 4], new Int32Array(4), new Uint8Array(4), null, undefined, "1234", { data: new Float64Array(4), shape: [4] }]) {
      expectError(() => grid.gradient(bad as never, [4]), InputError);
      expectError(() => grid.laplacian(bad as never, [4]), InputError);
    }
    expect(() => grid.gradient(new Int32Array(4) as never, [4])).toThrow("field must be a Float64Array, Float32Array or WasmBuffer, got Int32Array");
    expect(() => grid.gradient([1, 2, 3, 4] as never, [4])).toThrow("got Array");
    expectError(() => grid.divergence([f12, Array.from(f12)] as never, [3, 4]), InputError);
    expectError(() => grid.divergence([f12, new Float32Array(12)], [3, 4]), InputError); // mixed types
    expect(() => grid.curl(f12 as never, [3, 4])).toThrow(GradientsError); // not an array of components
    expectError(() => grid.gradient(f12, [3, 4], { out: [new Float32Array(12), new Float32Array(12)] }), InputError); // out of another type
    const b = buffer([3, 4]);
    expectError(() => grid.gradient(b, [3, 4], { out: [new Float64Array(12), new Float64Array(12)] }), InputError);
    b.dispose();
  });

  it("a disposed WasmBuffer: InputError, as a field or as out", () => {
    const b = buffer([3, 4]);
    b.dispose();
    expectError(() => grid.gradient(b, [3, 4]), InputError, /disposed/);
    expectError(() => grid.laplacian(b, [3, 4]), InputError, /disposed/);
    const live = buffer([3, 4]), other = buffer([3, 4]);
    expectError(() => grid.divergence([live, b], [3, 4]), InputError, /disposed/);
    expectError(() => grid.gradient(live, [3, 4], { axis: 0, out: b }), InputError, /disposed/);
    expectError(() => grid.curl([live, other], [3, 4], { out: b }), InputError, /disposed/);
    expect(() => b.data).toThrow(InputError);
    b.dispose(); // a second dispose is harmless
    live.dispose();
    other.dispose();
  });
});

// ---------------------------------------------------------------------------
// WasmBuffer views across memory growth
// ---------------------------------------------------------------------------

describe("WasmBuffer: views across memory growth", () => {
  it("memory grows without detaching views (shared memory, the default in Node), and buf.data reads the right values after", () => {
    const shared = coreMemoryShared(); // (false under GRADIENTS_MEMORY=unshared: then growing detaches)
    const shape = [5, 4, 6];
    const c = gridFixtures.find((k) => k.name === "3d_spacing_per_axis_edge2")!;
    const f = buffer(shape);
    f.data.set(c.field);
    const results = grid.gradient(f, shape, c.options) as WasmBuffer[];
    const oldView = results[0].data;
    expect(oldView.length).toBe(120);
    expect(oldView.buffer instanceof SharedArrayBuffer).toBe(shared);
    // grow memory: allocate until a new view covers more memory than the old one
    const big: WasmBuffer[] = [];
    const before = oldView.buffer.byteLength;
    for (let mb = 16; f.data.buffer.byteLength === before && mb <= 256; mb *= 2) big.push(buffer((mb << 20) / 8));
    expect(f.data.buffer.byteLength, "memory grew").toBeGreaterThan(before);
    // in shared memory the old view was not detached (so V8 keeps typed-array code free of detach checks) and still reads the result
    expect(oldView.length, "the view made before the growth").toBe(shared ? 120 : 0);
    if (shared) expectNumpy(oldView, c.results[0], "the old view after growth");
    // re-read: the values are still there
    expectIdentical(f.data, c.field, "field after growth");
    results.forEach((r, i) => expectNumpy(r.data, c.results[i], `result ${i} after growth`));
    // and the buffers still work as inputs and outputs, also in the memory that grew
    const again = grid.gradient(f, shape, { ...c.options, out: results }) as WasmBuffer[];
    again.forEach((r, i) => expectNumpy(r.data, c.results[i], `recomputed ${i}`));
    const last = big[big.length - 1];
    last.data[last.size - 1] = 7;
    expect(last.data[last.size - 1]).toBe(7);
    for (const b of [...big, ...results, f]) b.dispose();
  });
});
