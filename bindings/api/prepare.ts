// Prepared calls: one method of a compiled function as a plain function of a
// point, for a hot loop of one-point calls. The first call (and any call after
// something else used the function) takes the ordinary path, which leaves the
// sweep's descriptor in place; the calls after it copy the point in, run the
// sweep and copy the results out, with a length check and nothing else: no
// argument parsing, no allocation.
import { InputError, ShapeError, show } from "../base/errors.js";
import type { Kind } from "../ops/abi.js";
import type { Kernel } from "../runtime/kernel.js";
import type { WasmBuffer } from "../runtime/buffer.js";

/** The methods `prepare` takes. */
export type PreparedMethod = "eval" | "grad" | "jacobian";

/** What `prepare` needs of a function. */
export interface PreparedView {
  /** Entries of the one input (the point's length). */
  n: number;
  /** Entries of the result (m, n or m·n). */
  resultLength: number;
  /** The kernel and sweep the ordinary one-point call runs. */
  kernel: () => Kernel;
  kind: Kind;
  /** The ordinary call, writing into `out`. */
  call: (x: Float64Array | WasmBuffer, out: Float64Array | WasmBuffer) => void;
}

/** The plain function `prepare` returns: the point in, the results in `out` (the same array every call). */
export function preparedCall(view: PreparedView, method: PreparedMethod, out?: Float64Array): (x: Float64Array) => Float64Array {
  const { n, resultLength } = view;
  if (out !== undefined && (!(out instanceof Float64Array) || out.length !== resultLength)) {
    throw new ShapeError(`prepare("${method}"): out must be a Float64Array of length ${resultLength}, got ${show(out)}`);
  }
  const result = out ?? new Float64Array(resultLength);
  const into = preparedInto(view);
  return (x: Float64Array) => {
    if (!(x instanceof Float64Array) || x.length !== n) {
      throw new ShapeError(`a prepared ${method} takes a Float64Array of ${n} entries, got ${show(x)}`);
    }
    into(x, result);
    return result;
  };
}

/**
 * The prepared call unchecked: a Float64Array point of n entries in, the
 * results into `out` (resultLength entries). The lean path of the ordinary
 * methods (Func's quickCall), which has checked both.
 */
export function preparedInto(view: PreparedView): (x: Float64Array, out: Float64Array) => void {
  let repeat: ((point: Float64Array, out: Float64Array) => boolean) | null = null;
  return (x, out) => {
    if (repeat?.(x, out)) return;
    view.call(x, out);
    repeat = view.kernel().preparedRepeat(view.kind);
  };
}

/**
 * preparedInto for a point and results in WebAssembly memory: a WasmBuffer
 * point of n entries in, the results written into `out` (a WasmBuffer of
 * resultLength entries that does not overlap the point) in place, nothing
 * copied. Func's quickCall, which has checked both.
 */
export function preparedInPlace(view: PreparedView): (x: WasmBuffer, out: WasmBuffer) => void {
  let repeat: ((pointAt: number, outAt: number) => boolean) | null = null;
  return (x, out) => {
    if (repeat?.(x.address, out.address)) return; // (the addresses' getters refuse disposed buffers)
    view.call(x, out);
    repeat = view.kernel().preparedInPlace(view.kind);
  };
}

/** The method name, checked. */
export function readPreparedMethod(method: unknown): PreparedMethod {
  if (method === "eval" || method === "grad" || method === "jacobian") return method;
  throw new InputError(`prepare takes "eval", "grad" or "jacobian", got ${show(method)}`);
}
