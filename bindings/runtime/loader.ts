// The only place that instantiates the WebAssembly core.
//
// The module bytes are embedded (wasm-bytes.ts) and compiled synchronously on
// first use. `core()` returns the live instance; `f64()`/`i32()` return views of
// its memory, re-derived whenever memory has grown. The memory is shared where
// shared memory exists, so that growing it detaches no ArrayBuffer.
// If the core traps, `guard` re-creates the instance and bumps `generation`, so
// objects holding WASM addresses know to re-upload what they own.
import { instantiateSync } from "@assemblyscript/loader";
import { WASM_BASE64 } from "./wasm-bytes.js";
import { InternalError, ShapeError } from "../base/errors.js";
import { installFold } from "../ops/fold.js";
import { hostBlock } from "../ir/host-blocks.js";
import { coreMemoryShared } from "../base/shared-memory.js";
import { moduleSection } from "../compiler/core-code.js";

/** The exports of assembly/index.ts. Addresses are byte offsets into `memory`. */
export interface CoreExports {
  memory: WebAssembly.Memory;
  alloc(size: number): number;
  free(ptr: number): void;
  opArity(op: number): number;
  OP_COUNT: WebAssembly.Global;
  foldConstant(op: number, a: number, b: number): number;
  /** One op at one point (the compiled tier's call for ops it does not emit): the value; partials at ruleCell(). */
  scalarRule(op: number, a: number, b: number, partials: number): number;
  /** A unary op at one point, by its point rule where it has one (hasPointRule): the value; ∂a and its scale at ruleCell(). */
  scalarRule1(op: number, a: number, partials: number): number;
  /** 0: scalarRule1 takes the op table for op; 1: a point rule whose scale is always 1; 2: one that may scale. */
  hasPointRule(op: number): number;
  /** 1 where the op has `<name>Point2`, its partial alone, without the value. */
  hasPartialOnly(op: number): number;
  // (and, for each op with a point rule, `<op name>Point0`, `…Point1` (and `…Point2`): scalarRule1 for that op
  // and mode alone, which generated modules import by name or inline: compiled.ts moduleImports, compiler/splice.ts)
  ruleCell(): number;
  workSize(tape: number, kind: number, block: number, lanes: number): number;
  valueSweep(sweep: number): void;
  forwardSweep(sweep: number): void;
  finiteDiffSweep(sweep: number): void;
  reverseSweep(sweep: number): void;
  divergenceFromJacobians(jacobians: number, count: number, n: number, out: number): void;
  curlFromJacobians(jacobians: number, count: number, n: number, out: number): void;
  determinantsOfJacobians(jacobians: number, count: number, n: number, out: number, scratch: number): void;
  spreadColored(compressed: number, count: number, m: number, n: number, colors: number,
                rowStart: number, cols: number, colorOf: number, out: number): void;
  diagonalFromColored(compressed: number, count: number, n: number, colors: number, colorOf: number, out: number): void;
  blockScratchBytes(k: number): number;
  fdPlan(n: number, x: number, scale: number, step: number, lo: number, hi: number,
         scheme: number, levels: number, schemeOut: number, hOut: number): void;
  fdCombine(n: number, m: number, values: number, slots: number, schemes: number, hs: number, scale: number,
            levels: number, out: number, err: number, table: number, linesPerPoint: number): void;
  fdHessianPlan(n: number, x: number, scale: number, step: number, levels: number, hOut: number): void;
  fdHessianCombine(n: number, values: number, hs: number, scale: number, levels: number,
                   out: number, err: number, table: number): void;
  stencilSize(scheme: number): number;
  stencilOffset(scheme: number, k: number): number;
  seedGenerator(state: number, seed: number): void;
  jumpGenerator(state: number): void;
  fillUniform(state: number, out: number, count: number): void;
  fillNormal(state: number, out: number, count: number): void;
  accumulateMoments(data: number, count: number, width: number, stats: number): void;
  multiplyRows(a: number, b: number, count: number, out: number): void;
  addRows(rows: number, count: number, width: number, weights: number, acc: number): void;
  affineSamples(mu: number, sigma: number, eps: number, count: number, d: number, z: number): void;
  scoreRows(f: number, eps: number, sigma: number, count: number, d: number, out: number): void;
  gradientAxis(f: number, out: number, outer: number, len: number, inner: number,
               coords: number, dx: number, edgeOrder: number, mode: number): void;
  secondAxis(f: number, out: number, outer: number, len: number, inner: number,
             coords: number, dx: number, edgeOrder: number, mode: number, weights: number): void;
}

let compiled: WebAssembly.Module | undefined;
let exports: CoreExports | undefined;
/** The core's function table (imported by it), where fused loops are put (bindings/compiler/fuse.ts). */
let table: WebAssembly.Table | undefined;
/** Entries given back, by run length, for reuse. */
let freeEntries = new Map<number, number[]>();
let f64View = new Float64Array(0);
let i32View = new Int32Array(0);

/** Incremented each time the instance is (re-)created; addresses from older generations are void. */
export let generation = 0;

function decodeBase64(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** The core's binary as built (read by the compiled tier for the rules it inlines: compiler/core-code.ts). */
export function coreBinary(): Uint8Array {
  return (binary ??= decodeBase64(WASM_BASE64));
}
let binary: Uint8Array | undefined;

/**
 * The core's bytes with its memory made shared (limits flag 0x01, a maximum, to
 * 0x03) where coreMemoryShared() says so; the generated modules import it so.
 */
function coreBytes(): Uint8Array {
  const bytes = coreBinary().slice();
  if (!coreMemoryShared()) return bytes;
  const memory = moduleSection(bytes, 5); // a count of 1, then the limits
  if (memory) {
    memory.u32();
    if (bytes[memory.at] === 0x01) {
      bytes[memory.at] = 0x03;
      return bytes;
    }
  }
  throw new InternalError("the WebAssembly core defines no memory with a maximum, so it cannot be shared (a build problem)");
}

function instantiate(): CoreExports {
  compiled ??= new WebAssembly.Module(coreBytes() as BufferSource);
  // Entry 0 stays empty: a tape's fusedBase of 0 means "no fused functions".
  table = new WebAssembly.Table({ element: "anyfunc", initial: 1 });
  freeEntries = new Map();
  // The loader supplies the core's imports (abort and the like); its exports wrap every
  // function in a rest-argument shim for optional parameters, which the core's
  // exports do not have: the instance's own exports are called directly (a call
  // costs a third as much, and generated modules import scalarRule without a JS hop).
  const imports = { env: { table, hostBlock: hostCall } } as unknown as Parameters<typeof instantiateSync>[1];
  exports = instantiateSync(compiled, imports).instance.exports as unknown as CoreExports;
  f64View = new Float64Array(0);
  i32View = new Int32Array(0);
  generation++;
  return exports;
}

/**
 * The first error a host block threw during the sweep under way (a user's rule,
 * a scan's step): caught here so that no exception unwinds through the core's
 * frames, and thrown by `throwHostError` once the sweep has returned.
 */
let hostError: { error: unknown } | undefined;

/** The core's hostBlock import (assembly/core/blocks.ts): each call to the entry the instruction names. */
function hostCall(kind: number, dst: number, a: number, vals: number, rows: number, masks: number,
                  B: number, K: number, n: number, laneMask: number, nConst: number): void {
  if (hostError) return; // the sweep's results are void already
  try {
    const idSlot = i32()[(a >> 2) + 1];
    hostBlock(f64()[(vals >> 3) + idSlot * B]).run({ kind, dst, a, vals, rows, masks, B, K, n, laneMask, nConst });
  } catch (error) {
    hostError = { error };
  }
}

/** Throws what a host block threw during the sweep that just returned, if anything. */
export function throwHostError(): void {
  const pending = hostError;
  hostError = undefined;
  if (pending) throw pending.error;
}

/** The live WebAssembly instance's exports. */
export function core(): CoreExports {
  return exports ?? instantiate();
}

// Constants fold by the core's own rules from now on (see ops/fold.ts).
installFold((op, a, b) => core().foldConstant(op, a, b));

/** Puts functions into consecutive entries of the core's function table; returns the first entry. */
export function addFunctions(functions: readonly unknown[]): number {
  core();
  const base = freeEntries.get(functions.length)?.pop() ?? table!.grow(functions.length);
  functions.forEach((f, i) => table!.set(base + i, f));
  return base;
}

/** Gives back `count` entries from `addFunctions` (of the live instance). */
export function removeFunctions(base: number, count: number): void {
  for (let i = 0; i < count; i++) table!.set(base + i, null);
  (freeEntries.get(count) ?? freeEntries.set(count, []).get(count)!).push(base);
}

/** Entries in the core's function table (for tests: fused functions give theirs back). */
export function functionTableSize(): number {
  core();
  return table!.length;
}

// Growing an unshared memory detaches the old buffer, and a detached view has
// length 0: that is the cheap test for "re-derive". A shared memory detaches
// nothing, so `allocate` empties the views when a block ends beyond them. A new
// instance empties the views too.

/** A Float64Array over all of WASM memory (index = byte address / 8). */
export function f64(): Float64Array {
  if (f64View.length === 0) f64View = new Float64Array(core().memory.buffer);
  return f64View;
}

/**
 * Whether `view` lies in the live instance's memory and that memory is unshared:
 * then growing it (any allocation of the library's, or of a function of your
 * own) detaches the view, and a point given so is copied before the call
 * allocates (api/validate.ts toF64).
 */
export function inDetachableMemory(view: ArrayBufferView): boolean {
  // (asking a view for its buffer costs some 16 ns, so shared memory is ruled out first)
  return exports !== undefined && !coreMemoryShared() && view.buffer === f64().buffer;
}

/** An Int32Array over all of WASM memory (index = byte address / 4). */
export function i32(): Int32Array {
  if (i32View.length === 0) i32View = new Int32Array(core().memory.buffer);
  return i32View;
}

/**
 * Call from a `catch` around calls into the core. A trap (RuntimeError, or an abort
 * from the AssemblyScript runtime such as memory exhaustion) leaves the instance
 * suspect: it is dropped, the next call creates a fresh one, and the caller gets an
 * InternalError. Any other error is returned unchanged, to be rethrown.
 */
export function trapped(error: unknown): unknown {
  if (error instanceof WebAssembly.RuntimeError || (error instanceof Error && error.message.startsWith("abort:"))) {
    exports = undefined;
    // A new generation now, not at the next instantiate: a function checking whether
    // its tape is loaded must see at once that the old instance's addresses are void.
    generation++;
    f64View = new Float64Array(0);
    i32View = new Int32Array(0);
    return new InternalError(`the WebAssembly core failed (${error.message}); it has been reset, retry the call`, error);
  }
  return error;
}

/** The most bytes one allocation may have: the core's allocator (TLSF) hands out blocks below 1 GiB. */
export const MAX_ALLOCATION = 2 ** 30 - 64;
/**
 * The most WebAssembly memory may grow to (asconfig.json's maximumMemory): 2 GiB,
 * so that every address is a positive 32-bit integer in JavaScript.
 */
const MAX_MEMORY = 2 ** 31;

/** A byte count as people read it: 512 MiB, 1.5 GiB. */
export function describeBytes(bytes: number): string {
  const [unit, scale] = bytes >= 2 ** 30 ? ["GiB", 2 ** 30] : bytes >= 2 ** 20 ? ["MiB", 2 ** 20] : ["KiB", 2 ** 10];
  return `${Number((bytes / scale).toPrecision(3))} ${unit}`;
}

/**
 * `bytes` of WebAssembly memory (16-byte aligned) for `what`. A request beyond one
 * block, or beyond what memory can grow to (MAX_MEMORY), is a ShapeError, not a
 * trap: the allocator fails before it changes anything, so the core, and all it
 * holds, stays as it was.
 */
export function allocate(bytes: number, what: string): number {
  if (!(bytes <= MAX_ALLOCATION)) {
    throw new ShapeError(`${what} needs ${describeBytes(bytes)} of WebAssembly memory in one piece; at most ${describeBytes(MAX_ALLOCATION)} can be allocated at once`);
  }
  try {
    const address = core().alloc(bytes);
    // (only allocation grows memory; in shared memory the old views stay valid, but short)
    if (address + bytes > f64View.byteLength) {
      f64View = new Float64Array(0);
      i32View = new Int32Array(0);
    }
    return address;
  } catch (error) {
    if (error instanceof WebAssembly.RuntimeError) { // memory could not grow enough
      throw new ShapeError(`${what} needs ${describeBytes(bytes)} more WebAssembly memory than it can grow to (${describeBytes(MAX_MEMORY)} in all): dispose of buffers and functions no longer needed`);
    }
    throw trapped(error);
  }
}

/** Frees a block from `allocate`, if the instance it came from is still the live one. */
export function release(address: number, from: number): void {
  if (address && from === generation) core().free(address);
}

/**
 * Runs a finalizer's frees. A trap there (a block the core's allocator no longer
 * knows) resets the core, as any trap does, and is not thrown: a finalizer has
 * no caller, and an error thrown from one ends the process.
 */
export function finalizing(body: () => void): void {
  try {
    body();
  } catch (error) {
    trapped(error);
  }
}

/**
 * Runs `body` with `bytes` of WebAssembly memory of its own (a callback in it may
 * call the library), freed after; a trap in it resets the core (see `trapped`).
 */
export function withMemory<T>(bytes: number, what: string, body: (at: number) => T): T {
  const at = allocate(bytes, what), from = generation;
  try {
    return body(at);
  } catch (error) {
    throw trapped(error);
  } finally {
    release(at, from);
  }
}
