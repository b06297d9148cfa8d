// The grid functions' async forms: the grid cut into bands of rows along axis 0,
// each band's results computed from its rows and one neighbouring row on each
// side (grid.ts's gridRows), so the whole is the synchronous result to the bit.
import { InputError } from "../base/errors.js";
import { eachChunk, readAsyncOptions, type AsyncOptions } from "../api/async.js";
import { WasmBuffer } from "../runtime/buffer.js";
import type { Range } from "../runtime/chunks.js";
import { isShared, sharedMemory } from "../base/shared-memory.js";
import type { Job } from "../api/jobs.js";
import { transferable } from "../runtime/results-tree.js";
import { sizeOf } from "../base/tensor.js";
import { gridRows, planGrid, planStencils, readOut, type Field, type FieldOf, type FieldsFor, type GradientOptions, type GridFunction, type GridOptions } from "./grid.js";

type Values = Float64Array | Float32Array;

/** A band's job: the options as plain data, the fields' rows from `from`, and where its rows go (or null: send them back). */
interface RowsArgs {
  name: GridFunction;
  shape: number[];
  options: GradientOptions;
  fields: Values[];
  from: number;
  range: Range;
  outs: Values[] | null;
}

/** @internal A band of rows, in a worker. */
export const gridRowsJob: Job<RowsArgs> = (_, { name, shape, options, fields, from, range, outs }) => {
  const plan = planStencils(name, shape, options), rowSize = sizeOf(shape) / shape[0];
  const Type = fields[0] instanceof Float32Array ? Float32Array : Float64Array;
  const results = outs ?? Array.from({ length: plan.count }, () => new Type((range.end - range.start) * rowSize));
  gridRows(plan, fields, results, from, range.start, range.end);
  return outs ? { result: null, transfer: [] } : { result: results, transfer: transferable(results) };
};

/** `grid.gradient`, asynchronously (see AsyncOptions; `chunkSize` counts rows along axis 0). The same results, bit for bit. */
export function gradientAsync<F extends Values, const S extends readonly number[]>(field: F, shape: S, options?: GradientOptions & AsyncOptions & { axis?: undefined }): Promise<FieldsFor<S, F>>;
export function gradientAsync<F extends Values>(field: F, shape: readonly number[], options: GradientOptions & AsyncOptions & { axis: number }): Promise<FieldOf<F>>;
export function gradientAsync<F extends Values, const A extends readonly number[]>(field: F, shape: readonly number[], options: GradientOptions & AsyncOptions & { axis: A }): Promise<FieldsFor<A, F>>;
export function gradientAsync(field: Field, shape: readonly number[], options?: GradientOptions & AsyncOptions): Promise<Field | Field[]>;
export function gradientAsync(field: Field, shape: readonly number[], options: GradientOptions & AsyncOptions = {}): Promise<Field | Field[]> {
  return gridAsync("gradient", field, shape, options);
}

/** `grid.divergence`, asynchronously (see gradientAsync). */
export function divergenceAsync<F extends Values>(components: readonly F[], shape: readonly number[], options?: GridOptions & AsyncOptions): Promise<FieldOf<F>>;
export function divergenceAsync(components: readonly Field[], shape: readonly number[], options: GridOptions & AsyncOptions = {}): Promise<Field> {
  return gridAsync("divergence", components, shape, options) as Promise<Field>;
}

/** `grid.curl`, asynchronously (see gradientAsync). */
export function curlAsync<F extends Values>(components: readonly F[], shape: readonly [number, number], options?: GridOptions & AsyncOptions): Promise<FieldOf<F>>;
export function curlAsync<F extends Values>(components: readonly F[], shape: readonly [number, number, number], options?: GridOptions & AsyncOptions): Promise<[FieldOf<F>, FieldOf<F>, FieldOf<F>]>;
export function curlAsync(components: readonly Field[], shape: readonly number[], options?: GridOptions & AsyncOptions): Promise<Field | Field[]>;
export function curlAsync(components: readonly Field[], shape: readonly number[], options: GridOptions & AsyncOptions = {}): Promise<Field | Field[]> {
  return gridAsync("curl", components, shape, options);
}

/** `grid.laplacian`, asynchronously (see gradientAsync). */
export function laplacianAsync<F extends Values>(field: F, shape: readonly number[], options?: GridOptions & AsyncOptions): Promise<FieldOf<F>>;
export function laplacianAsync(field: Field, shape: readonly number[], options: GridOptions & AsyncOptions = {}): Promise<Field> {
  return gridAsync("laplacian", field, shape, options) as Promise<Field>;
}

async function gridAsync(name: GridFunction, input: unknown, shape: readonly number[], options: unknown): Promise<Field | Field[]> {
  const { async, rest } = readAsyncOptions(options);
  const plan = planGrid(name, input, shape, rest as GradientOptions);
  if (plan.inputs[0] instanceof WasmBuffer) {
    throw new InputError("async grid calls take Float64Arrays or Float32Arrays, not WasmBuffers (they live in one thread's WebAssembly memory)");
  }
  const { pool, signal } = async;
  signal?.throwIfAborted();
  const fields = plan.inputs as Values[], Type = fields[0] instanceof Float32Array ? Float32Array : Float64Array;
  const rows = plan.shape[0], rowSize = sizeOf(plan.shape) / rows, shared = pool !== undefined && sharedMemory();
  const fresh = (length: number): Values => {
    if (!shared) return new Type(length);
    const memory = new SharedArrayBuffer(Type.BYTES_PER_ELEMENT * length);
    return Type === Float32Array ? new Float32Array(memory) : new Float64Array(memory);
  };
  const view = (a: Values, lo: number, hi: number) => a.subarray(lo * rowSize, hi * rowSize);
  // With shared memory, a field that is not there is copied band by band as the bands go out.
  const sources = fields.map((f) => (shared && !isShared(f) ? fresh(f.length) : f));
  const given = readOut(rest.out as GridOptions["out"], plan.count, rows * rowSize, fields[0]) as Values[] | undefined;
  const results = given ?? Array.from({ length: plan.count }, () => fresh(rows * rowSize));
  // An out that is also an input would be overwritten while neighbouring bands still read it:
  // such results are written aside and copied at the end; others (an out the workers cannot
  // reach) band by band.
  const aliased = results.some((r) => fields.some((f) => f.buffer === r.buffer));
  const written = results.map((r) => (aliased || (pool && shared && !isShared(r)) ? fresh(r.length) : r));
  const sendable: GradientOptions = { spacing: rest.spacing as GridOptions["spacing"], edgeOrder: rest.edgeOrder as 1 | 2, axis: rest.axis as GradientOptions["axis"] };
  await eachChunk(bands(rows, async.chunkSize ?? (pool ? Math.ceil(rows / (4 * pool.size)) : Math.ceil(2 ** 20 / rowSize))), async, rows, 0, async (range) => {
    const lo = Math.max(0, range.start - 1), hi = Math.min(rows, range.end + 1);
    if (!pool) {
      gridRows(plan, sources, written.map((r) => view(r, range.start, range.end)), 0, range.start, range.end);
    } else {
      // Shared memory: views of the whole fields and results; else copies of the band's rows, transferred, and its rows sent back.
      fields.forEach((f, i) => { if (shared && sources[i] !== f) sources[i].set(view(f, lo, hi), lo * rowSize); });
      const band = shared ? sources : sources.map((f) => view(f, lo, hi).slice());
      const outs = shared ? written.map((r) => view(r, range.start, range.end)) : null;
      const args: RowsArgs = { name, shape: [...plan.shape], options: sendable, fields: band, from: shared ? 0 : lo, range, outs };
      const back = (await pool.run("grid rows", args, shared ? [] : transferable(band), undefined, signal)) as Values[] | null;
      back?.forEach((r, i) => written[i].set(r, range.start * rowSize));
    }
    if (!aliased) written.forEach((w, i) => { if (w !== results[i]) results[i].set(view(w, range.start, range.end), range.start * rowSize); });
  });
  if (aliased) written.forEach((w, i) => results[i].set(w));
  return plan.single ? results[0] : results;
}

/** Bands of about `size` rows (at least 3: a band's end stencils need its rows and a neighbour's). */
function bands(rows: number, size: number): Range[] {
  const count = Math.max(1, Math.min(Math.ceil(rows / size), Math.floor(rows / 3)));
  return Array.from({ length: count }, (_, k) => ({ start: Math.floor((k * rows) / count), end: Math.floor(((k + 1) * rows) / count) }));
}
