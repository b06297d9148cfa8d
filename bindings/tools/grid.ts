// Derivatives of sampled data on grids, with numpy.gradient's semantics; the
// stencil loops run in WebAssembly (assembly/extras/grid.ts).
import { checkOptions } from "../api/validate.js";
import { InputError, ShapeError, show } from "../base/errors.js";
import { WasmBuffer } from "../runtime/buffer.js";
import { allocate, core, f64, generation, release, withMemory } from "../runtime/loader.js";
import { describeShape, sizeOf } from "../base/tensor.js";

/** Sampled values, row-major: a Float64Array, a Float32Array (image data) or a WasmBuffer. */
export type Field = Float64Array | Float32Array | WasmBuffer;

/** The kind of field a grid function returns for input fields of kind F: the same (Float32Array in, Float32Array out). */
export type FieldOf<F extends Field> = F extends Float32Array ? Float32Array : F extends WasmBuffer ? WasmBuffer : Float64Array;

/**
 * One field of kind F per entry of `axes`: a tuple as long as a shape or axis list
 * written out (`[ny, nx]` gives two, so `const [dy, dx] = …` needs no check), an
 * array for one of unknown length.
 */
export type FieldsFor<Axes extends readonly number[], F extends Field> = { -readonly [K in keyof Axes]: FieldOf<F> };

/** Options shared by every grid function. */
export interface GridOptions {
  /**
   * Sample spacing: one number for every axis (default 1), or one entry per axis,
   * each a number (uniform) or the coordinates of that axis's samples (length
   * shape[axis], strictly monotonic: a non-uniform grid). Entries follow the grid's
   * axes, whatever order gradient's `axis` lists them in; where `axis` names fewer
   * axes than the grid has, one entry per axis named (numpy's form) is accepted too.
   */
  spacing?: number | readonly (number | ArrayLike<number>)[];
  /** Accuracy at the boundaries: 1 (first-order one-sided, default, as numpy) or 2. */
  edgeOrder?: 1 | 2;
  /**
   * Where to write the results: a field of the result's type, or an array of them
   * where the result is an array; returned instead of new ones (no allocation; with
   * WasmBuffers, no copy either).
   */
  out?: Field | readonly Field[];
}

/** Options of `gradient`. */
export interface GradientOptions extends GridOptions {
  /** The axis (a number: one result) or axes (an array: one result each); default all axes. */
  axis?: number | readonly number[];
}

interface Axis {
  len: number;
  outer: number;
  inner: number;
  /** Uniform spacing, or NaN with coordinates. */
  dx: number;
  coords?: Float64Array;
}

function checkShape(shape: unknown): number[] {
  if (!Array.isArray(shape) || shape.length === 0 || shape.some((s) => !Number.isInteger(s) || s < 1)) {
    throw new ShapeError(`the grid shape must be an array of whole numbers ≥ 1, got ${show(shape)}`);
  }
  return [...shape];
}

function checkField(field: unknown, shape: readonly number[], what: string): Field {
  if (!(field instanceof Float64Array || field instanceof Float32Array || field instanceof WasmBuffer)) {
    const kind = field === null ? "null" : typeof field === "object" ? (field.constructor?.name ?? "an object") : typeof field;
    throw new InputError(`${what} must be a Float64Array, Float32Array or WasmBuffer, got ${kind}`);
  }
  const size = sizeOf(shape), got = field instanceof WasmBuffer ? field.size : field.length;
  if (got !== size) throw new ShapeError(`${what} has ${got} samples, but the grid shape ${describeShape(shape)} needs ${size}`);
  return field;
}

/**
 * Each grid axis's entry of `spacing`. An array has one entry per axis of the grid, in
 * the grid's order; or, where gradient's `axis` names fewer axes (`requested`), one per
 * axis named, in the order named, as numpy takes them (the others are then 1, and not
 * differentiated). (numpy takes a full-length list in `axis`'s order too; here it is
 * the grid's, whatever order `axis` lists the axes in.)
 */
function spacingPerAxis(shape: readonly number[], spacing: GridOptions["spacing"], requested?: readonly number[]): readonly unknown[] {
  const given = spacing ?? 1;
  if (typeof given === "number") return shape.map(() => given);
  if (!Array.isArray(given)) throw new InputError(`spacing must be a number or an array of one entry per axis, got ${show(given)}`);
  if (given.length === shape.length) return given;
  if (requested && given.length === requested.length) {
    const perAxis: unknown[] = shape.map(() => 1);
    requested.forEach((k, i) => { perAxis[k] = given[i]; });
    return perAxis;
  }
  throw new ShapeError(`spacing needs one entry per axis of the grid (${shape.length})${requested ? `, or one per axis of 'axis' (${requested.length})` : ""}, got ${given.length}`);
}

/**
 * Per-axis geometry, with numpy's rule that evenly spaced coordinates count as
 * uniform. Samples enough for a stencil are checked only on the axes a function
 * differentiates (`needSamples`), as numpy does: a [5, 1] grid has a gradient along axis 0.
 */
function axes(shape: readonly number[], options: GridOptions, requested?: readonly number[]): Axis[] {
  const edgeOrder = options.edgeOrder ?? 1;
  if (edgeOrder !== 1 && edgeOrder !== 2) throw new InputError(`edgeOrder must be 1 or 2, got ${show(options.edgeOrder)}`);
  const perAxis = spacingPerAxis(shape, options.spacing, requested);
  return shape.map((len, k) => {
    const geometry = { len, outer: sizeOf(shape.slice(0, k)), inner: sizeOf(shape.slice(k + 1)) };
    const s = perAxis[k];
    if (typeof s === "number") {
      if (!Number.isFinite(s) || s === 0) throw new InputError(`spacing of axis ${k} must be a finite non-zero number, got ${show(s)}`);
      return { ...geometry, dx: s };
    }
    if (s === null || typeof s !== "object" || typeof (s as ArrayLike<number>).length !== "number") {
      throw new InputError(`spacing of axis ${k} must be a number or an array of coordinates, got ${s === null ? "null" : typeof s}`);
    }
    if (!Array.prototype.every.call(s, (c: unknown) => typeof c === "number")) throw new InputError(`coordinates of axis ${k} must be numbers`);
    const coords = Float64Array.from(s as ArrayLike<number>);
    if (coords.length !== len) throw new ShapeError(`axis ${k} has ${len} samples but ${coords.length} coordinates`);
    const d0 = coords[1] - coords[0];
    let uniform = true;
    for (let i = 0; i < len; i++) {
      if (!Number.isFinite(coords[i])) throw new InputError(`coordinate ${i} of axis ${k} is ${coords[i]}; coordinates must be finite`);
      if (i > 0) {
        const d = coords[i] - coords[i - 1];
        if (!Number.isFinite(d)) {
          throw new InputError(`coordinates ${i - 1} and ${i} of axis ${k} (${coords[i - 1]} and ${coords[i]}) are further apart than the largest double: rescale the coordinates`);
        }
        if (d === 0 || Math.sign(d) !== Math.sign(d0)) throw new InputError(`coordinates of axis ${k} must be strictly increasing or decreasing (at ${i})`);
        if (d !== d0) uniform = false;
      }
    }
    return uniform ? { ...geometry, dx: d0 } : { ...geometry, dx: NaN, coords };
  });
}

/** What a grid function computes on fields in WebAssembly memory: into `outs`, on a grid of that geometry. */
type Stencils = (fields: number[], outs: number[], geometry: readonly Axis[], coords: (k: number) => number, scratch: number) => void;

/**
 * Runs `body` on the fields with `count` output fields, and hands the outputs
 * back in the input's type. WebAssembly-resident fields are read in place and
 * written to new buffers (or `out`); JavaScript arrays are copied in and out in
 * slabs of rows along axis 0 (see `inSlabs`), so a field larger than what
 * WebAssembly memory holds in one piece still works.
 */
function withFields(inputs: readonly Field[], count: number, shape: readonly number[], geometry: readonly Axis[], given: GridOptions["out"],
                    body: Stencils): Field[] {
  const targets = readOut(given, count, sizeOf(shape), inputs[0]);
  if (inputs[0] instanceof WasmBuffer) return inPlace(inputs as WasmBuffer[], count, shape, geometry, targets as WasmBuffer[] | undefined, body);
  const Type = inputs[0] instanceof Float32Array ? Float32Array : Float64Array;
  const fresh = () => Array.from({ length: count }, () => new Type(sizeOf(shape)));
  // A slab's results are written before the next slab reads its neighbouring row: an `out`
  // sharing memory with an input gets the results through new arrays.
  const overlaps = (t: Field) => inputs.some((f) => (f as Float64Array).buffer === (t as Float64Array).buffer);
  const aliased = targets?.some(overlaps) ?? false;
  const results = (targets && !aliased ? targets : fresh()) as (Float64Array | Float32Array)[];
  inSlabs(inputs as (Float64Array | Float32Array)[], results, shape, geometry, body);
  if (aliased) targets!.forEach((t, i) => (t as Float64Array | Float32Array).set(results[i]));
  return targets ?? results;
}

/** The coordinates of the axes that have them, in WebAssembly memory at `at`; their addresses by axis (0: uniform). */
function placeCoords(geometry: readonly Axis[], at: number): number[] {
  let next = at;
  return geometry.map((a) => {
    if (!a.coords) return 0;
    const here = next;
    f64().set(a.coords, here >> 3);
    next += 8 * a.coords.length;
    return here;
  });
}

const coordBytes = (geometry: readonly Axis[]) => 8 * geometry.reduce((s, a) => s + (a.coords ? a.coords.length : 0), 0);
/** Bytes of the stencils' own scratch (assembly/extras/grid.ts's second differences). */
const STENCIL_SCRATCH = 8 * 32;

/** WasmBuffer fields: read in place, results into new buffers or `out` (through scratch where `out` is also an input). */
function inPlace(inputs: readonly WasmBuffer[], count: number, shape: readonly number[], geometry: readonly Axis[],
                 targets: WasmBuffer[] | undefined, body: Stencils): WasmBuffer[] {
  const size = sizeOf(shape);
  const made = targets ? [] : Array.from({ length: count }, () => new WasmBuffer(shape));
  const outBuffers = targets ?? made;
  // An out buffer that is also an input would be overwritten while the stencils still read it.
  const aliased = outBuffers.some((t) => inputs.includes(t));
  const held: { at: number; from: number }[] = [];
  try {
    const outs = aliased ? outBuffers.map(() => {
      const at = allocate(8 * size, "a grid result");
      held.push({ at, from: generation });
      return at;
    }) : outBuffers.map((b) => b.address);
    withMemory(coordBytes(geometry) + STENCIL_SCRATCH, "a grid's coordinates", (at) => {
      const coordAt = placeCoords(geometry, at + STENCIL_SCRATCH);
      body(inputs.map((f) => f.address), outs, geometry, (k) => coordAt[k], at);
    });
    if (aliased) outBuffers.forEach((b, i) => f64().copyWithin(b.address >> 3, outs[i] >> 3, (outs[i] >> 3) + size));
    return outBuffers;
  } catch (error) {
    for (const b of made) b.dispose();
    throw error;
  } finally {
    for (const { at, from } of held) release(at, from);
  }
}

/** Bytes of WebAssembly memory one slab of fields and results may take. */
const SLAB_BYTES = 32 * 2 ** 20;

/**
 * JavaScript fields: copied into WebAssembly memory a slab of rows along axis 0 at
 * a time, with one more row on each side where there is one, and the results of
 * the slab's own rows copied out. Every stencil reads at most one neighbour inside
 * the grid, and the one-sided ones run only at the grid's ends (a slab's extra rows,
 * computed one-sidedly, are not kept), so the results are the same numbers as from
 * one pass over the whole grid.
 */
function inSlabs(inputs: readonly (Float64Array | Float32Array)[], results: readonly (Float64Array | Float32Array)[], shape: readonly number[],
                 geometry: readonly Axis[], body: Stencils, span = { from: 0, first: 0, last: shape[0] }): void {
  const rows = shape[0], rowSize = sizeOf(shape) / rows, perRow = 8 * rowSize * (inputs.length + results.length);
  const count = span.last - span.first;
  // Rows spread evenly over the slabs, at least 3 of a slab's own, so that with its neighbour's
  // row it has the 4 an end stencil may need (the Laplacian's with edgeOrder 2).
  const slabs = Math.max(1, Math.min(Math.ceil(count / Math.max(1, Math.floor(SLAB_BYTES / perRow) - 2)), Math.floor(count / 3)));
  for (let k = 0; k < slabs; k++) {
    const first = span.first + Math.floor((k * count) / slabs), last = span.first + Math.floor(((k + 1) * count) / slabs);
    const lo = Math.max(0, first - 1), hi = Math.min(rows, last + 1), len = hi - lo;
    const slab: Axis[] = geometry.map((a, k) => k === 0
      ? { ...a, len, outer: 1, coords: a.coords?.subarray(lo, hi) }
      : { ...a, outer: (a.outer / rows) * len });
    const values = len * rowSize;
    withMemory(8 * values * (inputs.length + results.length) + coordBytes(slab) + STENCIL_SCRATCH, "a slab of a grid", (at) => {
      const fields = inputs.map((f, i) => {
        const here = at + 8 * values * i;
        f64().set(f.subarray((lo - span.from) * rowSize, (hi - span.from) * rowSize), here >> 3);
        return here;
      });
      const outs = results.map((_, i) => at + 8 * values * (inputs.length + i));
      const coordAt = placeCoords(slab, at + 8 * values * (inputs.length + results.length) + STENCIL_SCRATCH);
      body(fields, outs, slab, (k) => coordAt[k], at + 8 * values * (inputs.length + results.length));
      const keep = (first - lo) * rowSize;
      // (results hold rows from span.first on: the whole grid's, or a chunk's)
      outs.forEach((o, i) => results[i].set(f64().subarray((o >> 3) + keep, (o >> 3) + keep + (last - first) * rowSize), (first - span.first) * rowSize));
    });
  }
}

/** @internal The `out` option as a list of `count` fields of the input's kind and `size`, or undefined. */
export function readOut(out: GridOptions["out"], count: number, size: number, like: Field): Field[] | undefined {
  if (out === undefined) return undefined;
  const list = Array.isArray(out) ? out : [out];
  if (list.length !== count) throw new ShapeError(`out must hold ${count} field${count > 1 ? "s" : ""} for this result, got ${list.length}`);
  const kind = like instanceof WasmBuffer ? WasmBuffer : like instanceof Float32Array ? Float32Array : Float64Array;
  return list.map((f, i) => {
    if (!(f instanceof kind)) throw new InputError(`out[${i}] must be a ${kind.name} like the input`);
    const got = f instanceof WasmBuffer ? f.size : (f as Float64Array | Float32Array).length;
    if (got !== size) throw new ShapeError(`out[${i}] has ${got} entries, the grid ${size}`);
    return f as Field;
  });
}

function readAxes(axis: GradientOptions["axis"], rank: number): number[] {
  const list = axis === undefined ? Array.from({ length: rank }, (_, k) => k) : typeof axis === "number" ? [axis] : axis;
  if (!Array.isArray(list) || list.length === 0) throw new InputError(`axis must be an axis number or a non-empty array of them`);
  for (const k of list) {
    if (!Number.isInteger(k) || k < -rank || k >= rank) throw new ShapeError(`axis ${show(k)} is out of range for a grid of ${rank} axes (axes are whole numbers from ${-rank} to ${rank - 1})`);
  }
  const axes = list.map((k) => (k < 0 ? k + rank : k));
  axes.forEach((k, i) => { if (axes.indexOf(k) !== i) throw new InputError(`axis ${k} is listed twice in axis ${show(axis)}`); });
  return axes;
}

function gradientInto(field: number, out: number, a: Axis, coords: number, edgeOrder: number, mode: number): void {
  core().gradientAxis(field, out, a.outer, a.len, a.inner, coords, a.coords ? 0 : a.dx, edgeOrder, mode);
}

/** @internal A grid function's stencils, planned: how many results, the geometry, the work. */
export interface GridStencils {
  count: number;
  shape: readonly number[];
  geometry: readonly Axis[];
  body: Stencils;
  /** Whether the result is one field (else an array of them). */
  single: boolean;
}

/** The options of every grid function (gradient's also `axis`). */
const GRID_KEYS = ["spacing", "edgeOrder", "out"];

/** The grid functions, by name. */
export type GridFunction = "gradient" | "divergence" | "curl" | "laplacian";

/** @internal Checks a grid function's fields (`input`: the field, or the components) and plans it. */
export function planGrid(name: GridFunction, input: unknown, shape: readonly number[], options: GradientOptions): GridStencils & { inputs: readonly Field[] } {
  const s = checkShape(shape);
  if (name === "gradient" || name === "laplacian") {
    checkField(input, s, "field");
  } else {
    if (name === "curl" && s.length !== 2 && s.length !== 3) throw new ShapeError(`curl is defined on 2-D and 3-D grids, got shape ${describeShape(s)}`);
    checkComponents(input as readonly Field[], s, s.length, name);
  }
  return { ...planStencils(name, s, options), inputs: name === "gradient" || name === "laplacian" ? [input as Field] : (input as readonly Field[]) };
}

/** @internal Plans a grid function's stencils on a grid of `shape` (checked) from its options. */
export function planStencils(name: GridFunction, s: readonly number[], options: GradientOptions): GridStencils {
  checkOptions(options, name === "gradient" ? [...GRID_KEYS, "axis"] : GRID_KEYS, `grid.${name}`);
  const edgeOrder = options.edgeOrder ?? 1;
  const requested = name === "gradient" ? readAxes(options.axis, s.length) : undefined;
  const geometry = axes(s, options, options.axis === undefined ? undefined : requested);
  const plan = (count: number, single: boolean, body: Stencils): GridStencils => ({ count, shape: s, geometry, body, single });
  /** Refuses an axis the function differentiates with fewer samples than its stencils need. */
  const needSamples = (k: number, laplacian: boolean) => {
    const least = edgeOrder + (laplacian ? 2 : 1);
    if (s[k] < least) throw new ShapeError(`axis ${k} has ${s[k]} samples; a ${laplacian ? "Laplacian" : "gradient"} with edgeOrder ${edgeOrder} needs at least ${least}`);
  };
  if (name !== "gradient") s.forEach((_, k) => needSamples(k, name === "laplacian"));
  switch (name) {
    case "gradient": {
      const list = requested!;
      list.forEach((k) => needSamples(k, false));
      return plan(list.length, typeof options.axis === "number", ([f], outs, grid, coords) => {
        list.forEach((k, i) => gradientInto(f, outs[i], grid[k], coords(k), edgeOrder, 0));
      });
    }
    case "divergence":
      return plan(1, true, (fields, [out], grid, coords) => {
        fields.forEach((f, k) => gradientInto(f, out, grid[k], coords(k), edgeOrder, k === 0 ? 0 : 1));
      });
    case "curl": {
      // Each output: + ∂c_p/∂x_q − ∂c_r/∂x_t, as [p, q, r, t].
      const terms = s.length === 2 ? [[1, 0, 0, 1]] : [[2, 1, 1, 2], [0, 2, 2, 0], [1, 0, 0, 1]];
      return plan(terms.length, s.length === 2, (fields, outs, grid, coords) => {
        terms.forEach(([p, q, r, t], i) => {
          gradientInto(fields[p], outs[i], grid[q], coords(q), edgeOrder, 0);
          gradientInto(fields[r], outs[i], grid[t], coords(t), edgeOrder, -1);
        });
      });
    }
    case "laplacian":
      return plan(1, true, ([f], [out], grid, coords, scratch) => {
        grid.forEach((a, k) => core().secondAxis(f, out, a.outer, a.len, a.inner, coords(k), a.coords ? 0 : a.dx, edgeOrder, k === 0 ? 0 : 1, scratch));
      });
  }
}

/** A plan run over the whole grid: its result as the public function returns it. */
function runPlan(plan: GridStencils & { inputs: readonly Field[] }, out: GridOptions["out"]): Field | Field[] {
  const outs = withFields(plan.inputs, plan.count, plan.shape, plan.geometry, out, plan.body);
  return plan.single ? outs[0] : outs;
}

/**
 * @internal Rows [first, last) along axis 0 of the results into `results` (which
 * hold just those rows), from JavaScript fields holding the grid's rows from
 * `from` on: at least one row beyond each end of [first, last) where the grid
 * has one. The same numbers as those rows of the whole grid's result.
 */
export function gridRows(plan: GridStencils, fields: readonly (Float64Array | Float32Array)[], results: readonly (Float64Array | Float32Array)[],
                         from: number, first: number, last: number): void {
  inSlabs(fields, results, plan.shape, plan.geometry, plan.body, { from, first, last });
}

/**
 * ∂f/∂x_k of sampled data along each requested axis, as numpy.gradient computes it:
 * second-order central differences inside, one-sided differences of `edgeOrder`
 * at the ends. `shape` is the grid's shape (row-major; axis k is coordinate x_k).
 * With `axis` a number, one field; otherwise an array of fields, one per axis.
 * Results have the input's type (Float32Array in, Float32Array out; a WasmBuffer
 * in, new WasmBuffers out).
 * @param field the samples, row-major: a Float64Array, Float32Array or WasmBuffer
 * @param shape the grid's shape; axis k is coordinate x_k
 * @param options `spacing` (a number, or per axis a number or coordinates), `edgeOrder` (1 or 2), `axis`, `out`
 * @example
 * ```ts
 * import { grid } from "gradients";
 * const f = Float64Array.of(0, 1, 4, 9, 16);                 // x² at x = 0 … 4
 * const df = grid.gradient(f, [5], { axis: 0 });           // [1, 2, 4, 6, 7]
 * const [dy, dx] = grid.gradient(new Float64Array(12), [3, 4], { spacing: [0.5, 0.1], edgeOrder: 2 });
 * ```
 */
export function gradient<F extends Field, const S extends readonly number[]>(field: F, shape: S, options?: GradientOptions & { axis?: undefined }): FieldsFor<S, F>;
export function gradient<F extends Field>(field: F, shape: readonly number[], options: GradientOptions & { axis: number }): FieldOf<F>;
export function gradient<F extends Field, const A extends readonly number[]>(field: F, shape: readonly number[], options: GradientOptions & { axis: A }): FieldsFor<A, F>;
export function gradient(field: Field, shape: readonly number[], options?: GradientOptions): Field | Field[];
export function gradient(field: Field, shape: readonly number[], options: GradientOptions = {}): Field | Field[] {
  return runPlan(planGrid("gradient", field, shape, options), options.out);
}

function checkComponents(components: readonly Field[], shape: readonly number[], count: number, what: string): void {
  if (!Array.isArray(components) || components.length !== count) {
    throw new ShapeError(`${what} of a field on a ${shape.length}-D grid needs ${count} components, got ${Array.isArray(components) ? components.length : typeof components}`);
  }
  components.forEach((c, i) => checkField(c, shape, `component ${i}`));
  const kinds = new Set(components.map((c) => c.constructor));
  if (kinds.size > 1) throw new InputError(`${what}: the components must all be of one type (Float64Array, Float32Array or WasmBuffer)`);
}

/**
 * ∇·c = Σ_k ∂c_k/∂x_k of a sampled vector field (component k along axis k).
 * @param components component k along axis k, each sampled on the grid
 * @param shape the grid's shape; axis k is coordinate x_k
 * @param options `spacing`, `edgeOrder`, `out`
 * @example
 * ```ts
 * import { grid } from "gradients";
 * const u = Float64Array.from({ length: 16 }, (_, k) => k % 4), v = Float64Array.from({ length: 16 }, (_, k) => Math.floor(k / 4));
 * const div = grid.divergence([v, u], [4, 4]); // ∂v/∂x0 + ∂u/∂x1 = 2 everywhere
 * ```
 */
export function divergence<F extends Field>(components: readonly F[], shape: readonly number[], options?: GridOptions): FieldOf<F>;
export function divergence(components: readonly Field[], shape: readonly number[], options: GridOptions = {}): Field {
  return runPlan(planGrid("divergence", components, shape, options), options.out) as Field;
}

/**
 * The curl of a sampled vector field: on a 2-D grid the scalar ∂c1/∂x0 − ∂c0/∂x1;
 * on a 3-D grid the three fields (∂c2/∂x1 − ∂c1/∂x2, ∂c0/∂x2 − ∂c2/∂x0,
 * ∂c1/∂x0 − ∂c0/∂x1). Axis i is coordinate x_i; an image stored [row, col] = [y, x]
 * gets the opposite sign from the (x, y) convention (see the README).
 * @param components component k along axis k: two on a 2-D grid, three on a 3-D one
 * @param shape the grid's shape; axis k is coordinate x_k
 * @param options `spacing`, `edgeOrder`, `out`
 * @example
 * ```ts
 * import { grid } from "gradients";
 * const c0 = Float64Array.from({ length: 16 }, (_, k) => -(k % 4)), c1 = Float64Array.from({ length: 16 }, (_, k) => Math.floor(k / 4));
 * const spin = grid.curl([c0, c1], [4, 4]); // ∂c1/∂x0 − ∂c0/∂x1 = 2
 * ```
 */
export function curl<F extends Field>(components: readonly F[], shape: readonly [number, number], options?: GridOptions): FieldOf<F>;
export function curl<F extends Field>(components: readonly F[], shape: readonly [number, number, number], options?: GridOptions): [FieldOf<F>, FieldOf<F>, FieldOf<F>];
export function curl(components: readonly Field[], shape: readonly number[], options?: GridOptions): Field | Field[];
export function curl(components: readonly Field[], shape: readonly number[], options: GridOptions = {}): Field | Field[] {
  return runPlan(planGrid("curl", components, shape, options), options.out);
}

/**
 * ∇²f = Σ_k ∂²f/∂x_k²: three-point second differences inside (second order on
 * uniform grids); at the ends the second derivative of the polynomial through the
 * first or last three samples (edgeOrder 1) or four (edgeOrder 2, second order).
 * @param field the samples, row-major
 * @param shape the grid's shape; axis k is coordinate x_k
 * @param options `spacing`, `edgeOrder`, `out`
 * @example
 * ```ts
 * import { grid } from "gradients";
 * const f = Float64Array.from({ length: 25 }, (_, k) => (k % 5) ** 2 + Math.floor(k / 5) ** 2);
 * const lap = grid.laplacian(f, [5, 5]); // 4 everywhere
 * ```
 */
export function laplacian<F extends Field>(field: F, shape: readonly number[], options?: GridOptions): FieldOf<F>;
export function laplacian(field: Field, shape: readonly number[], options: GridOptions = {}): Field {
  return runPlan(planGrid("laplacian", field, shape, options), options.out) as Field;
}
