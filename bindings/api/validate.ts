// Checks that stand between user input and the WASM core. Every failure is an
// error that says what was expected and what came instead.
import { InputError, ShapeError, show } from "../base/errors.js";
import { didYouMean } from "../base/nearest.js";
import type { Segment } from "../runtime/kernel.js";
import { WasmBuffer } from "../runtime/buffer.js";
import { inDetachableMemory } from "../runtime/loader.js";
import { Tensor, type TensorLike, describeShape, sameShape, sizeOf } from "../base/tensor.js";
import { CONSTANTS, functionArity } from "../ops/grammar.js";

/** One declared input of a function: its name, shape, and place in the flat input vector. */
export interface InputDecl {
  readonly name: string;
  readonly shape: readonly number[];
  readonly size: number;
  readonly offset: number;
}

/** A call's point argument, read: one segment per input, and the batch size. */
export interface Args {
  segments: Segment[];
  /** Number of points (1 when nothing is batched). */
  count: number;
  /** Whether any input came batched, so results carry a leading axis. */
  batched: boolean;
}

/** A variable's name, checked: an identifier that is not a constant (pi, e) or function of the grammar. */
export function variableName(v: unknown): string {
  if (typeof v !== "string" || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(v)) {
    throw new InputError(`a variable name must be an identifier (a letter or _ then letters, digits, _), got ${show(v)}`);
  }
  if (Object.hasOwn(CONSTANTS, v)) throw new InputError(`'${v}' is a constant of the grammar and cannot be a variable name`);
  if (functionArity(v) !== undefined) {
    throw new InputError(`'${v}' is a function of the grammar and cannot be a variable name`);
  }
  return v;
}

/**
 * Input declarations from a record of shapes { name: size | shape }, in the
 * record's order, every extent a whole number ≥ 1; `label(name)` names an
 * input in messages ("input 'x'", "vars.x"). Shared by fn() and compile().
 */
export function readShapes(record: Readonly<Record<string, unknown>>, label: (name: string) => string): InputDecl[] {
  let offset = 0;
  return Object.keys(record).map((name) => {
    const s = record[name];
    const shape = typeof s === "number" ? [s] : Array.isArray(s) ? [...(s as unknown[])] : undefined;
    if (!shape || shape.some((e) => typeof e !== "number" || !Number.isInteger(e) || e < 1)) {
      throw new InputError(`${label(name)}: expected a size or a shape of whole numbers ≥ 1, got ${show(s)}`);
    }
    const size = sizeOf(shape as number[]);
    checkInputCount(offset + size);
    const decl = { name, shape: shape as number[], size, offset };
    offset += size;
    return decl;
  });
}

/** Most scalar inputs a function may declare: each is a node of the traced graph. */
const MAX_INPUTS = 2 ** 24;

/** Refuses a declaration that would take the inputs past MAX_INPUTS. */
function checkInputCount(total: number): void {
  if (!(total <= MAX_INPUTS)) throw new ShapeError(`the inputs have ${total} entries in all; at most ${MAX_INPUTS} are supported`);
}

/**
 * Options must be an object (or omitted, which callers default to {}) of known
 * keys: an unknown one is an InputError naming it and the nearest known key
 * (`edge_order` → `edgeOrder`), never silently ignored. `where` names the call.
 */
export function checkOptions(options: unknown, known: readonly string[], where: string): void {
  if (typeof options !== "object" || options === null) throw new InputError(`the options of ${where} must be an object, got ${show(options)}`);
  // (for…in, not Object.entries: one-point calls in a hot loop pass options too, and should not allocate)
  for (const key in options) {
    if (!Object.hasOwn(options, key) || known.includes(key) || (options as Record<string, unknown>)[key] === undefined) continue; // ({ axis: undefined } says nothing)
    // (an async form took its own options out already: they are named too, as options of the call the user made)
    const all = [...known, ...((options as { [ASYNC_OPTIONS]?: readonly string[] })[ASYNC_OPTIONS] ?? [])];
    const hint = didYouMean(key, all), async = all.length > known.length ? "Async" : "";
    throw new InputError(`unknown option '${key}' of ${where}${async}${hint || (all.length ? ` (its options are ${all.join(", ")})` : " (it takes none)")}`);
  }
}

/**
 * The key under which an async form's options, passed on to the synchronous call,
 * carry the async options' names, so that an unknown key is told against all of
 * them. A symbol: option checks do not see it, and no caller passes it.
 */
export const ASYNC_OPTIONS = Symbol("the async options");

/** The options every async form takes besides its synchronous method's. */
export const ASYNC_KEYS = ["pool", "signal", "onProgress", "chunkSize"] as const;

function describeValue(x: unknown): string {
  if (x === null) return "null";
  if (x === undefined) return "undefined";
  if (Array.isArray(x)) return `an array of length ${x.length}`;
  if (ArrayBuffer.isView(x)) return `a ${x.constructor.name} of length ${(x as unknown as ArrayLike<number>).length}`;
  if (isTensorLike(x)) return `a tensor of shape ${describeShape(x.shape)}`;
  return typeof x === "string" ? `the string ${show(x)}` : show(x);
}

/** Whether x has a shape and data (a Tensor, a WasmBuffer or a plain object like one). */
export function isTensorLike(x: unknown): x is TensorLike {
  // (a WasmBuffer is one; asking for its data would make a view of memory)
  return x instanceof WasmBuffer || typeof x === "object" && x !== null && !ArrayBuffer.isView(x) && !Array.isArray(x) &&
    Array.isArray((x as TensorLike).shape) && typeof (x as TensorLike).data?.length === "number";
}

/** A plain record of values by name (not an array, typed array or tensor). */
function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x) && !ArrayBuffer.isView(x) && !isTensorLike(x);
}

/**
 * The numbers of an array, as a Float64Array: itself if it is one (a copy if it is
 * a view of unshared WebAssembly memory, which the call's allocations could
 * detach); `what` names it in the error for a non-number.
 */
export function toF64(values: ArrayLike<unknown>, what: string): Float64Array {
  if (values instanceof Float64Array) return inDetachableMemory(values) ? values.slice() : values;
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v !== "number") throw new InputError(`${what}: entry ${i} is ${describeValue(v)}; expected a number`);
    out[i] = v;
  }
  return out;
}

/** "shape [a, b] (n numbers)", for error messages. */
function describeExpected(decl: InputDecl): string {
  return `shape ${describeShape(decl.shape)}${decl.shape.length > 1 ? ` (${decl.size} numbers)` : ""}`;
}

/** The data of a point read in place (never read: its address is). */
const EMPTY = new Float64Array(0);

/**
 * One input's value: a number (scalar input), a flat array or typed array of its
 * `size` entries, nested arrays of its shape, or a Tensor-like of its shape (one
 * point) or of [N, ...shape] (a batch).
 */
function readInput(decl: InputDecl, x: unknown, what: string): { data: Float64Array; batched: boolean; count: number; address?: number } {
  if (typeof x === "number") {
    if (decl.size !== 1) throw new InputError(`${what} must be numbers of ${describeExpected(decl)}, got the single number ${x}`);
    return { data: Float64Array.of(x), batched: false, count: 1 };
  }
  if (Array.isArray(x) && x.length > 0 && Array.isArray(x[0])) {
    let t: Tensor;
    try {
      t = Tensor.from(x);
    } catch (error) {
      throw new ShapeError(`${what}: ${(error as Error).message}`);
    }
    if (!sameShape(t.shape, decl.shape)) throw new ShapeError(`${what} must have ${describeExpected(decl)}, got nested arrays of shape ${describeShape(t.shape)}`);
    return { data: t.data, batched: false, count: 1 };
  }
  if (Array.isArray(x) || (ArrayBuffer.isView(x) && !(x instanceof DataView))) {
    const arr = x as ArrayLike<unknown>;
    if (arr.length !== decl.size) {
      throw new ShapeError(`${what} must have ${decl.size} entr${decl.size === 1 ? "y" : "ies"} (${describeExpected(decl)}), got ${arr.length}`);
    }
    return { data: toF64(arr, what), batched: false, count: 1 };
  }
  if (isTensorLike(x)) {
    const resident = x instanceof WasmBuffer; // read in place: no copy
    const shape = x.shape, rank = decl.shape.length;
    const single = sameShape(shape, decl.shape);
    const batch = !single && shape.length === rank + 1 && sameShape(shape.slice(1), decl.shape);
    if (!single && !batch) {
      throw new ShapeError(`${what} must have ${describeExpected(decl)}, or [N, ${decl.shape.join(", ")}] for a batch; got ${describeShape(shape)}`.replace("[N, ]", "[N]"));
    }
    const size = single ? decl.size : shape[0] * decl.size;
    if (resident) return { data: EMPTY, batched: batch, count: batch ? shape[0] : 1, address: x.address };
    if (x.data.length !== size) throw new ShapeError(`${what}: a tensor of shape ${describeShape(shape)} needs ${size} entries, got ${x.data.length}`);
    return { data: toF64(x.data, what), batched: batch, count: batch ? shape[0] : 1 };
  }
  throw new InputError(`${what} must be numbers of ${describeExpected(decl)} (an array, typed array, nested arrays or Tensor), got ${describeValue(x)}`);
}

/**
 * A point given by variable name, `{ x: 3, y: 2 }`, as the one input's entries
 * in `names`' order; a batch when some values are arrays (of one length N: a
 * record of Float64Arrays), a number then being shared by every point.
 */
function byName(record: Record<string, unknown>, names: readonly string[], what: string): Float64Array | Tensor {
  for (const key of Object.keys(record)) {
    if (!names.includes(key)) throw new InputError(`${what} has an unknown variable '${key}'; the variables are ${names.join(", ")}`);
  }
  const missing = names.filter((v) => !(v in record));
  if (missing.length > 0) throw new InputError(`${what} is missing variable${missing.length > 1 ? "s" : ""} ${missing.map((v) => `'${v}'`).join(", ")} (the variables are ${names.join(", ")})`);
  let N = -1, from = "";
  const columns = names.map((v) => {
    const value = record[v];
    if (typeof value === "number") return value;
    if (!(Array.isArray(value) || (ArrayBuffer.isView(value) && !(value instanceof DataView)))) {
      throw new InputError(`${what} '${v}' must be a number, or an array of numbers for a batch; got ${describeValue(value)}`);
    }
    const column = toF64(value as ArrayLike<unknown>, `${what} '${v}'`);
    if (N >= 0 && column.length !== N) throw new ShapeError(`${what}: '${from}' has ${N} values but '${v}' has ${column.length}; a batch's variables have one length`);
    N = column.length;
    from = v;
    return column;
  });
  const n = names.length;
  if (N < 0) return Float64Array.from(columns as number[]);
  const data = new Float64Array(N * n);
  columns.forEach((c, j) => {
    for (let p = 0; p < N; p++) data[p * n + j] = typeof c === "number" ? c : c[p];
  });
  return new Tensor([N, n], data);
}

/**
 * A call's point (or tangent) argument for the declared inputs: the value itself
 * for a single input (or a record of its entries by variable name, `variables`,
 * or a function giving them),
 * else a record by input name. Each input may be batched
 * (leading axis N, the same N for all) or given once and shared by every point.
 */
export function readArgs(inputs: readonly InputDecl[], x: unknown, what: string,
                         variables?: readonly string[] | (() => readonly string[])): Args {
  if (inputs.length === 1 && isRecord(x)) {
    // (the names only here: a function of 10⁶ entries makes its 10⁶ names when a record asks for them)
    const names = typeof variables === "function" ? variables() : variables;
    // { A: value } for the one input A, unless A also names one of its entries ({ x: 3, y: 2 }: by name)
    const shorthand = Object.keys(x).length === 1 && inputs[0].name in x && !(names && names.length > 1 && names.includes(inputs[0].name));
    if (shorthand) x = x[inputs[0].name];
    else if (names) x = byName(x, names, what);
  }
  if (inputs.length === 1) {
    const r = readInput(inputs[0], x, what);
    return { segments: [{ data: r.data, size: inputs[0].size, batched: r.batched, address: r.address }], count: r.count, batched: r.batched };
  }
  if (!isRecord(x)) {
    throw new InputError(`${what} must be a record { ${inputs.map((d) => d.name).join(", ")} }, got ${describeValue(x)}`);
  }
  const record = x;
  for (const key of Object.keys(record)) {
    if (!inputs.some((d) => d.name === key)) {
      throw new InputError(`${what} has an unknown input '${key}'; the inputs are ${inputs.map((d) => d.name).join(", ")}`);
    }
  }
  let count = 1, batchedFrom = "";
  const segments = inputs.map((d) => {
    if (!(d.name in record)) throw new InputError(`${what} is missing input '${d.name}' (shape ${describeShape(d.shape)})`);
    const r = readInput(d, record[d.name], `${what} '${d.name}'`);
    if (r.batched) {
      if (batchedFrom && r.count !== count) {
        throw new ShapeError(`${what}: batched inputs disagree on N: '${batchedFrom}' has ${count} points, '${d.name}' has ${r.count}`);
      }
      count = r.count;
      batchedFrom = d.name;
    }
    return { data: r.data, size: d.size, batched: r.batched, address: r.address };
  });
  return { segments, count, batched: batchedFrom !== "" };
}

/** Checks an `out` buffer: a Float64Array or WasmBuffer of exactly `length` entries. */
export function checkOut(out: unknown, length: number): Float64Array | WasmBuffer | undefined {
  if (out === undefined) return undefined;
  if (out instanceof WasmBuffer) {
    if (out.size !== length) throw new ShapeError(`out must have ${length} entries for this result, got a buffer of ${out.size}`);
    return out;
  }
  if (!(out instanceof Float64Array)) throw new InputError(`out must be a Float64Array or WasmBuffer, got ${describeValue(out)}`);
  if (out.length !== length) throw new ShapeError(`out must have ${length} entries for this result, got ${out.length}`);
  return out;
}

/** Mode names accepted by `options.mode`. */
export type Mode = "auto" | "forward" | "reverse" | "fd";

export function readMode(mode: unknown): Mode {
  if (mode === undefined) return "auto";
  if (mode === "auto" || mode === "forward" || mode === "reverse" || mode === "fd") return mode;
  throw new InputError(`mode must be "auto", "forward", "reverse" or "fd", got ${show(mode)}`);
}
