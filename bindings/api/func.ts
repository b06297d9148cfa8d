// Func: a compiled function and its derivatives, at one point or a batch.
import { InputError, ShapeError, show } from "../base/errors.js";
import { Kind } from "../ops/abi.js";
import { Kernel, MAX_LANES, columns, type BatchSum, type Seeds, type Target, type TangentLayout } from "../runtime/kernel.js";
import { colorColumns, colorDiagonal, jacobianStructure, type Coloring, type JacobianStructure } from "../ir/sparsity.js";
import { sparseValues, type SparseJacobian } from "./sparse-jacobian.js";
import { inDoublePrecision, inSinglePrecision, toSinglePrecision, type Float32Of, type Float32Points } from "./float32.js";
import { compileTape } from "../compiler/tape.js";
import { gradientNodes } from "../ir/gradient.js";
import { guardBranches } from "../ir/branches.js";
import { encodeFunction } from "../ir/graph-bytes.js";
import { buildId } from "../runtime/build-id.js";
import { announceDispose } from "../runtime/dispose-hooks.js";
import { methodAsync, type AsyncOptions, type BatchArgument } from "./async.js";
import { refusesSecondOrder } from "../ir/host-blocks.js";
import { derivatives as derivativesOf, taylor as taylorOf } from "./taylor.js";
import type { Graph } from "../ir/graph.js";
import { WasmBuffer } from "../runtime/buffer.js";
import { Node } from "../front/node.js";
import { Tensor, type NestedArray, type TensorLike, describeShape } from "../base/tensor.js";
import { readArgs, readMode, type Args, type InputDecl, type Mode, checkOptions } from "./validate.js";
import { forwardSweepFor, sweepFor } from "./modes.js";
import { entryNames, flatten, resultArray, resultFor, shaped, tensor } from "./results.js";
import { linearization, type Linearization } from "./linearize.js";
import * as secondOrder from "./second-order.js";
import { composeInto } from "./compose.js";
import { registerSampler } from "./sampling.js";
import { preparedCall, preparedInPlace, preparedInto, readPreparedMethod, type PreparedMethod, type PreparedView } from "./prepare.js";
import { ONE_POINT, readReduce, scalePoints, sharedInput, type ReduceOptions } from "./batch-sum.js";
import type { SecondOrderView } from "./second-order.js";

export type { InputDecl } from "./validate.js";

/** One input's value: a number (scalar input), an array or typed array, nested arrays, or a Tensor. */
export type InputValue = number | ArrayLike<number> | NestedArray | TensorLike;

/** A value that is always one point: no Tensor anywhere, so nothing can be batched. */
export type PlainValue = number | ArrayLike<number> | NestedArray;
/** One point given without Tensors: results are unbatched. */
export type PlainPoint = PlainValue | Readonly<Record<string, PlainValue>>;

/**
 * A point: for a function of one input, that input's value; with several named
 * inputs, a record of values by name. A Tensor-like with one more (leading) axis
 * than an input is a batch of N values; unbatched inputs are shared by every point.
 */
export type Point = InputValue | Readonly<Record<string, InputValue>>;

/** A Func of any result types (what a pool holds). */
export type AnyFunc = Func<Shaped, unknown, unknown>;

/** Options of every derivative method. */
export interface DerivativeOptions extends ReduceOptions {
  /**
   * How derivatives are computed: "forward" (dual numbers) and "reverse" (an
   * adjoint sweep) are exact; "fd" is central finite differences over the same
   * function. "auto" (default) picks by shape, as JAX's jacfwd/jacrev: reverse
   * when there are fewer outputs than inputs (so every gradient of two or more
   * inputs), else forward.
   */
  mode?: Mode;
  /**
   * Receives the result's entries (row-major) and is returned (a Float64Array, or
   * wrapped in the returned Tensor); a WasmBuffer receives them in place, without
   * a copy, and is itself the result.
   */
  out?: Float64Array | WasmBuffer;
}

/** Options of `jacobian`, `grad` and `hessian`. */
export interface JacobianOptions extends DerivativeOptions {
  /**
   * With several inputs: differentiate with respect to this one only (the
   * result is then a single array), or to these (a record of them; in reverse
   * mode one sweep serves them all).
   */
  wrt?: string | readonly string[];
}

/** Options of `eval`. */
export interface EvalOptions extends ReduceOptions {
  /** As in DerivativeOptions. */
  out?: Float64Array | WasmBuffer;
}

/** The options each method takes (checked: an unknown key is an InputError). */
const EVAL_KEYS = ["out", "reduce", "weights"];
const DERIVATIVE_KEYS = ["mode", "out", "reduce", "weights"];
const JACOBIAN_KEYS = [...DERIVATIVE_KEYS, "wrt"];
/** Jacobian entries (n·m) up to which one-point calls take the lean path (quickCall). */
const QUICK_ENTRIES = 256;
const PREPARED_KEYS = ["mode", "out"];
const AHEAD_KEYS = ["modes"];
/** prepare()'s gradient calls at zeros: at most this many, and no new one after this long. */
const WARM_UP_CALLS = 20, WARM_UP_MS = 20;

/** A result shaped like `shape` at one point: a number ([]), a Float64Array (a vector) or a Tensor. */
export type Shaped = number | Float64Array | Tensor;

/**
 * A compiled function of one or more named inputs (scalars, vectors, matrices,
 * tensors) with an output of any shape. `S` is the type of `eval`'s result at one
 * point: number for a scalar output, Float64Array for a vector, Tensor otherwise.
 *
 * Every method takes one point or a batch (see `Point`); a batch adds a leading
 * axis N to every result, which is then always a Tensor. The derivative of the
 * output (shape O) with respect to an input (shape I) has shape [...O, ...I],
 * row-major: for a vector function, J[i*n + j] = ∂f_i/∂x_j.
 */
export class Func<S extends Shaped = Shaped, G = Shaped | Record<string, Shaped>, J = Tensor | Record<string, Tensor>> {
  /** The declared inputs, in order: name, shape, and offset in the flat input vector. */
  readonly inputs: readonly InputDecl[];
  /** The names `vars` gives, once made (or as given). */
  private varNames?: readonly string[];
  /** Made from named scalar variables (compile's `vars` array, or the names an expression uses): one input, their vector. */
  private readonly ofVariables: boolean;
  /** `vars` as a function, made once: what readArgs asks for a point given by name. */
  private readonly names = (): readonly string[] => this.vars;
  /** Shape of the output: [] scalar, [m] vector, [p, q] matrix, … */
  readonly outputShape: readonly number[];
  private readonly graph: Graph;
  private readonly outputIds: readonly number[];
  /** The forward schedule (slots reused by liveness: values, forward mode, finite differences), compiled on first use: see `kernel`. */
  private forwardKernel?: Kernel;
  /** Number of scalar inputs and outputs. */
  private readonly nIn: number;
  private readonly nOut: number;
  /** The graph's size when this function was made: a bound on its forward tape's instructions (one per node reached). */
  private readonly nodes: number;
  private isDisposed = false;
  /** The reverse schedule (every value kept), compiled on first use. */
  private reverseKernel?: Kernel;
  /** ∇f as a function of the same inputs (scalar f), built on first second-order use. */
  private gradientFunc?: Func;
  /** The Hessian's column coloring (null: none worth it), once computed. */
  private coloring?: Coloring | null;
  /** The coloring for the Hessian's diagonal alone (null: none worth it), once computed. */
  private diagonalColors?: Coloring | null;
  /** This function and its gradient as api/second-order.ts needs them (secondOrderView). */
  private secondOrder?: SecondOrderView;
  /** The prepared calls behind quickCall, by method: for Float64Arrays, and for WasmBuffers. */
  private quick?: Partial<Record<PreparedMethod, (x: Float64Array, out: Float64Array) => void>>;
  private inPlaceCalls?: Partial<Record<PreparedMethod, (x: WasmBuffer, out: WasmBuffer) => void>>;
  /** The one input's shape when it is a vector [n] (quickCall's case), else undefined. */
  private readonly quickShape?: readonly number[];
  /** The Jacobian's pattern (and coloring), once sparseJacobian has asked. */
  private structure?: JacobianStructure;

  /** @internal Use `compile`, `fn` or `deserialize`; `guarded`: the outputs' branches are guarded already (ir/branches.ts). */
  constructor(graph: Graph, outputIds: readonly number[], inputs: readonly InputDecl[], outputShape: readonly number[],
              vars?: readonly string[], guarded = false) {
    const n = inputs.reduce((total, d) => total + d.size, 0);
    this.graph = graph;
    this.outputIds = guarded ? outputIds : guardBranches(graph, outputIds);
    this.nIn = n;
    this.nOut = this.outputIds.length;
    this.nodes = graph.size;
    this.inputs = inputs;
    this.outputShape = outputShape;
    if (inputs.length === 1 && inputs[0].shape.length === 1) this.quickShape = inputs[0].shape;
    this.varNames = vars;
    // (vars other than its entries' own names: x, y for an input x of [2], not x[0], x[1], which a copy rebuilt from bytes is given)
    this.ofVariables = vars !== undefined && inputs.length === 1 && inputs[0].shape.length === 1 && vars[0] !== `${inputs[0].name}[0]`;
    registerSampler(this, (segments, C, values, grads, wrt) => {
      const args: Args = { segments: [...segments], count: C, batched: true };
      this.valueKernel().values(segments, C, { address: values });
      if (!grads) return;
      const d = wrt === undefined ? { offset: 0, size: this.n } : this.wanted(wrt)[0];
      this.jacobianBlock(args, d.size > 1 ? Kind.Reverse : Kind.Forward, 0, 1, d.offset, d.size, { address: grads });
    });
  }

  /** Shape of the input when there is one; with several inputs, [n] over the flat input vector. */
  get inputShape(): readonly number[] {
    return this.inputs.length === 1 ? this.inputs[0].shape : [this.n];
  }

  /**
   * Names of the scalar input entries in flat order (`x`, `y` or `A[0][1]`, …);
   * made at the first ask (a function of 10⁶ entries has 10⁶ of them).
   */
  get vars(): readonly string[] {
    return (this.varNames ??= this.inputs.flatMap((d) => entryNames(d)));
  }

  /** Number of scalar inputs n (all inputs' entries). */
  get n(): number {
    return this.nIn;
  }

  /** Number of scalar outputs m (1 for a scalar function). */
  get m(): number {
    return this.nOut;
  }

  /**
   * Instructions, slots and constants of the forward tape, one instruction per
   * operation (shared subexpressions appear once); compiles it if no call has yet.
   */
  get tapeSize(): { instructions: number; slots: number; constants: number } {
    return this.kernel.size;
  }

  /**
   * The forward schedule's kernel (values and tangent lanes, slots reused),
   * compiled at its first use: a function evaluated and differentiated in
   * reverse mode alone never needs it.
   */
  private get kernel(): Kernel {
    if (this.forwardKernel) return this.forwardKernel;
    this.checkLive();
    return (this.forwardKernel = new Kernel(compileTape(this.graph, this.outputIds, this.nIn)));
  }

  /**
   * f(x), shaped like the output; for a batch, a Tensor [N, ...output].
   * @param x one point, or a batch (a Tensor with a leading axis N)
   * @param options `out`, `reduce`, `weights`
   * @example
   * ```ts
   * import { compile, Tensor } from "gradients";
   * const f = compile("x^2*y + sin(z)");        // variables x, y, z
   * const value: number = f.eval([1, 2, 0]);         // 2
   * const values = f.eval(new Tensor([2, 3], Float64Array.of(1, 2, 0, 2, 1, 0))); // Tensor [2]: 2, 4
   * ```
   */
  eval(x: Point, options: EvalOptions & { out: WasmBuffer }): WasmBuffer;
  eval(x: Float32Points, options?: EvalOptions & { out?: undefined }): Float32Of<S | Tensor>;
  eval(x: TensorLike, options?: EvalOptions): S | Tensor;
  eval(x: PlainPoint, options?: EvalOptions): S;
  eval(x: Point, options?: EvalOptions): S | Tensor;
  eval(x: Point, options: EvalOptions = {}): unknown {
    if (inSinglePrecision(x, options)) return toSinglePrecision(this.eval(inDoublePrecision(x), options));
    const quick = this.quickCall("eval", x, options);
    if (quick !== undefined) return quick as S | Tensor;
    return this.evaluate(x, options);
  }

  /** eval's ordinary path (options checked, any point or batch). */
  private evaluate(x: Point, options: EvalOptions): S | Tensor | WasmBuffer {
    checkOptions(options, EVAL_KEYS, "eval");
    const args = this.args(x), sum = readReduce(options, args, "eval"), shape = sum ? ONE_POINT : args;
    const out = resultFor(shape, this.outputShape, options.out);
    this.valueKernel().values(args.segments, args.count, out, sum);
    return shaped(shape, this.outputShape, out) as S | Tensor;
  }

  /**
   * ∇f of a scalar f, shaped like the input (a number for a scalar input, a
   * Float64Array for a vector, a Tensor otherwise); with several inputs, a record of
   * those by input name (or one, with `wrt`). A batch adds a leading axis N.
   * @param x one point (by name too), or a batch
   * @param options `mode`, `wrt`, `out`, `reduce`, `weights`
   * @example
   * ```ts
   * import { compile, Tensor } from "gradients";
   * const f = compile("x^2*y + sin(z)");        // variables x, y, z
   * const g: Float64Array = f.grad({ x: 1, y: 2, z: 0 }); // [2xy, x², cos z] = [4, 1, 1]
   * ```
   */
  grad(x: Point, options: JacobianOptions & { out: WasmBuffer }): WasmBuffer;
  grad(x: Float32Points, options?: JacobianOptions & { out?: undefined }): Float32Of<G | Tensor | Record<string, Tensor>>;
  grad(x: TensorLike, options?: JacobianOptions): G | Tensor | Record<string, Tensor>;
  grad<K extends string>(x: PlainPoint, options: JacobianOptions & { wrt: K }): G extends Readonly<Record<K, infer R>> ? R : G;
  grad(x: PlainPoint, options?: JacobianOptions): G;
  grad(x: Point, options?: JacobianOptions): G | Tensor | Record<string, Tensor>;
  grad(x: Point, options: JacobianOptions = {}): unknown {
    if (inSinglePrecision(x, options)) return toSinglePrecision(this.grad(inDoublePrecision(x), options));
    const quick = this.quickCall("grad", x, options);
    if (quick !== undefined) return quick;
    checkOptions(options, JACOBIAN_KEYS, "grad");
    if (this.outputShape.length !== 0) {
      throw new ShapeError(`grad needs a scalar function; this one has output shape ${describeShape(this.outputShape)} (use jacobian)`);
    }
    // The same choice as jacobian's (reverse as soon as there are more inputs than
    // the one output), so a scalar function's grad and jacobian agree to the bit.
    return this.derivative(x, options, this.m < this.n, (args, d, out) => shaped(args, d.shape, out)) as G;
  }

  /**
   * f(x) and ∇f(x) of a scalar f from one sweep (JAX's value_and_grad): `{ value,
   * grad }`, the value as `eval` shapes it (a number, or a Tensor [N] for a batch)
   * and the gradient as `grad` does; the same options (`mode`, `wrt`, `reduce`,
   * `weights`; with reduce both are the reduced function's). With mode "fd" the
   * value is a separate evaluation.
   * @param x one point, or a batch
   * @param options as `grad`'s
   * @example
   * ```ts
   * import { compile, Tensor } from "gradients";
   * const f = compile("x^2*y + sin(z)");        // variables x, y, z
   * const { value, grad } = f.valueAndGrad([1, 2, 0]); // 2, [4, 1, 1]
   * ```
   */
  valueAndGrad(x: Float32Points, options?: JacobianOptions & { out?: undefined }): Float32Of<{ value: number | Tensor; grad: G | Tensor | Record<string, Tensor> }>;
  valueAndGrad(x: TensorLike, options?: JacobianOptions): { value: number | Tensor; grad: G | Tensor | Record<string, Tensor> };
  valueAndGrad(x: PlainPoint, options?: JacobianOptions): { value: number; grad: G };
  valueAndGrad(x: Point, options?: JacobianOptions): { value: number | Tensor; grad: G | Tensor | Record<string, Tensor> };
  valueAndGrad(x: Point, options: JacobianOptions = {}): unknown {
    if (inSinglePrecision(x, options)) return toSinglePrecision(this.valueAndGrad(inDoublePrecision(x), options));
    checkOptions(options, JACOBIAN_KEYS, "valueAndGrad");
    if (this.outputShape.length !== 0) {
      throw new ShapeError(`valueAndGrad needs a scalar function; this one has output shape ${describeShape(this.outputShape)}`);
    }
    if (sweepFor(options, this.m < this.n) === Kind.FiniteDiff) {
      return { value: this.eval(x, { reduce: options.reduce, weights: options.weights }) as number | Tensor, grad: this.grad(x, options) };
    }
    const got: { values?: Float64Array; summed?: boolean } = {};
    const grad = this.derivative(x, options, this.m < this.n, (args, d, out) => shaped(args, d.shape, out), got) as G;
    const args = this.args(x), values = got.values!;
    let value: number | Tensor;
    if (got.summed || !args.batched) value = values[0];
    else if (options.reduce) { // the gradient's block was per point (a batched input): the values' sum, in point order
      const sum = readReduce(options, args, "valueAndGrad")!;
      let total = 0;
      for (let p = 0; p < values.length; p++) total += (sum.weights ? sum.weights[p] : 1) * values[p];
      value = sum.divisor === 1 ? total : total / sum.divisor;
    } else value = new Tensor([args.count], values);
    return { value, grad };
  }

  /**
   * The derivative with respect to each input, shaped [...output, ...input] (a
   * Tensor; a record of Tensors by input name with several inputs, or one with
   * `wrt`). For a batch, [N, ...output, ...input].
   * @param x one point, or a batch
   * @param options `mode`, `wrt`, `out`, `reduce`, `weights`
   * @example
   * ```ts
   * import { compile } from "gradients";
   * const F = compile(["x*y", "x + y^2"]);
   * const J = F.jacobian([1, 2]);  // Tensor [2, 2]: [[2, 1], [1, 4]]
   * const dF_dx = J.get(1, 0);      // 1
   * ```
   */
  jacobian(x: Point, options: JacobianOptions & { out: WasmBuffer }): WasmBuffer;
  jacobian(x: Float32Points, options?: JacobianOptions & { out?: undefined }): Float32Of<J>;
  jacobian(x: TensorLike, options?: JacobianOptions): J;
  jacobian<K extends string>(x: Point, options: JacobianOptions & { wrt: K }): J extends Readonly<Record<K, infer R>> ? R : J;
  jacobian(x: Point, options?: JacobianOptions): J;
  jacobian(x: Point, options: JacobianOptions = {}): unknown {
    if (inSinglePrecision(x, options)) return toSinglePrecision(this.jacobian(inDoublePrecision(x), options));
    const quick = this.quickCall("jacobian", x, options);
    if (quick !== undefined) return quick;
    return this.jacobianOf(x, options);
  }

  /** jacobian's ordinary path (options checked, any point or batch). */
  private jacobianOf(x: Point, options: JacobianOptions): unknown {
    checkOptions(options, JACOBIAN_KEYS, "jacobian");
    return this.derivative(x, options, this.m < this.n, (args, d, out) =>
      tensor([...(args.batched ? [args.count] : []), ...this.outputShape, ...d.shape], out)) as J;
  }

  /**
   * The Jacobian at one point as a sparse matrix (CSR) of shape [m, n], over the
   * flattened outputs and every input's entries: the structural pattern read off
   * the function (an entry outside it is exactly 0), and its entries from one
   * forward sweep per 16 colors of a column coloring (a banded or block-diagonal
   * Jacobian of any size takes a few colors), bit for bit the dense Jacobian's.
   * For large systems: `findRoot` uses it to factor a banded Jacobian.
   * @param x one point
   * @example
   * ```ts
   * import { fn } from "gradients";
   * const F = fn(1000, (x) => x.mul(x).sub(1)); // xᵢ² − 1: a diagonal Jacobian
   * const J = F.sparseJacobian(new Float64Array(1000).fill(3)); // J.values: 1000 sixes; J.cols[k] = k
   * ```
   */
  sparseJacobian(x: Point): SparseJacobian {
    const values = this.sparseValues(x), { rowStart, cols } = this.jacobianStructure();
    return { shape: [this.m, this.n], rowStart: rowStart.slice(), cols: cols.slice(), values };
  }

  /** The Jacobian's structural pattern, and its column coloring where one saves sweeps (computed once). @internal */
  jacobianStructure(): JacobianStructure {
    this.checkLive();
    return (this.structure ??= jacobianStructure(this.graph, this.outputIds, this.n, MAX_LANES));
  }

  /** The pattern's entries at one point, in jacobianStructure's order. @internal */
  sparseValues(x: Point): Float64Array {
    const args = this.args(x);
    if (args.batched) throw new ShapeError("sparseJacobian takes one point, not a batch");
    const m = this.m, n = this.n, structure = this.jacobianStructure();
    return sparseValues({
      m, n, structure,
      compressed: (out) => this.kernel.coloredRows(args.segments, structure.coloring!, out),
      dense: (out) => this.jacobianBlock(args, sweepFor({}, m < n), 0, m, 0, n, out),
    });
  }


  /**
   * One method as a plain function of the point, for a loop of one-point calls:
   * `const g = f.prepare("grad"); g(x)` is ∇f(x). It takes a Float64Array of
   * the one input's n entries and returns the same Float64Array every call
   * (`out`, or one made here; copy it to keep a result): "eval" the outputs
   * [m], "grad" the gradient [n] (scalar f), "jacobian" the Jacobian [m·n]
   * row-major. After its first call a call checks the point's length and does
   * nothing else in JavaScript: no parsing, no allocation, one WebAssembly
   * call. `mode` as in the methods. For functions of one input.
   */
  prepare(method: PreparedMethod, options?: { mode?: Mode; out?: Float64Array }): (x: Float64Array) => Float64Array;
  /**
   * Compiles ahead: builds now every tape, gradient function and generated
   * module that one-point calls of these modes will need (by default all), so
   * that no later call compiles anything. "forward": `eval`, and `grad`,
   * `jacobian`, `jvp` in forward mode; "reverse": `grad`, `jacobian`, `vjp` in
   * reverse mode; "second": `hvp`, `hessian`, `hessianDiagonal`, `laplacian`
   * (the exact gradient's function and its sparsity coloring; scalar f).
   * With "reverse" it then calls the gradient at zeros until the engine's
   * optimizing tier has the new code (up to 20 calls or 20 ms). Returns the
   * function. Without it, each is built at its first use.
   */
  prepare(options?: { modes?: readonly ("forward" | "reverse" | "second")[] }): this;
  prepare(method?: PreparedMethod | { modes?: readonly ("forward" | "reverse" | "second")[] },
          options: { mode?: Mode; out?: Float64Array } = {}): ((x: Float64Array) => Float64Array) | this {
    this.checkLive();
    if (typeof method !== "string") return this.compileAhead(method ?? {});
    checkOptions(options, PREPARED_KEYS, "prepare");
    const which = readPreparedMethod(method);
    if (this.inputs.length !== 1) {
      throw new InputError(`prepare needs a function of one input; this one has ${this.inputs.length} (${this.describeInputs()})`);
    }
    if (which === "grad" && this.outputShape.length !== 0) {
      throw new ShapeError(`grad needs a scalar function; this one has output shape ${describeShape(this.outputShape)} (prepare "jacobian")`);
    }
    return preparedCall(this.preparedView(which, options.mode), which, options.out);
  }

  /** What a prepared call of `method` runs (a function of one input; see prepare.ts). */
  private preparedView(method: PreparedMethod, mode: Mode | undefined): PreparedView {
    const n = this.n, m = this.m, scalarInput = this.inputs[0].shape.length === 0;
    const point = (x: Float64Array | WasmBuffer) => (scalarInput && x instanceof Float64Array ? x[0] : x);
    if (method === "eval") {
      return { n, resultLength: m, kernel: () => this.valueKernel(), kind: Kind.Value,
        call: (x, out) => { this.evaluate(point(x), { out }); } };
    }
    const kind = sweepFor({ mode }, m < n);
    return { n, resultLength: m * n, kernel: () => (kind === Kind.Reverse ? this.reverse() : this.kernel), kind,
      call: (x, out) => { this.jacobianOf(point(x), { mode, out }); } };
  }

  /**
   * The lean path of the commonest call: one point of a function of one vector
   * input, given as a Float64Array (with `out` a Float64Array of the result's
   * size, or none) and no other option. It runs as a prepared call
   * (prepare.ts), which repeats the last sweep with nothing re-validated;
   * undefined: take the ordinary path. A WasmBuffer point goes to quickInPlace.
   */
  private quickCall(method: PreparedMethod, x: unknown, options: EvalOptions | JacobianOptions): Shaped | WasmBuffer | undefined {
    if (!(x instanceof Float64Array)) return x instanceof WasmBuffer ? this.quickInPlace(method, x, options) : undefined;
    // (for small calls only: where copying the point and the results costs more than checking them, the ordinary path copies in bulk)
    const size = this.quickSize(method, x.length, options);
    if (size === undefined) return undefined;
    const out: unknown = (options as JacobianOptions).out;
    if (out !== undefined && !(out instanceof Float64Array && out.length === size)) return undefined;
    const data = out === undefined ? new Float64Array(size) : (out as Float64Array);
    ((this.quick ??= {})[method] ??= preparedInto(this.preparedView(method, undefined)))(x, data);
    if (method === "grad") return data;
    if (method === "jacobian") return new Tensor([...this.outputShape, this.n], data);
    return this.outputShape.length === 0 ? data[0] : this.outputShape.length === 1 ? data : new Tensor(this.outputShape, data);
  }

  /**
   * quickCall for a WasmBuffer point of shape [n] with `out` a WasmBuffer of the
   * result's size that does not overlap it: both are read and written in place,
   * nothing copied, and the result is `out`.
   */
  private quickInPlace(method: PreparedMethod, x: WasmBuffer, options: EvalOptions | JacobianOptions): WasmBuffer | undefined {
    const size = x.shape.length === 1 ? this.quickSize(method, x.size, options) : undefined;
    const out: unknown = (options as JacobianOptions | undefined)?.out;
    if (size === undefined || !(out instanceof WasmBuffer && out.size === size) || out === x) return undefined;
    const at = x.address, to = out.address; // (their getters throw for a disposed buffer, as the ordinary path would)
    if (at < to + 8 * size && to < at + 8 * this.n) return undefined; // (overlapping: the ordinary path copies the point first)
    ((this.inPlaceCalls ??= {})[method] ??= preparedInPlace(this.preparedView(method, undefined)))(x, out);
    return out;
  }

  /** The result's size when a point of `length` entries and `options` may take the lean path, else undefined. */
  private quickSize(method: PreparedMethod, length: number, options: EvalOptions | JacobianOptions): number | undefined {
    if (this.quickShape === undefined || length !== this.n || this.n * this.m > QUICK_ENTRIES) return undefined;
    if (typeof options !== "object" || options === null) return undefined;
    // (read as the ordinary path reads them, getters included; any other key it also sees goes that way)
    const o = options as JacobianOptions;
    if (o.mode !== undefined || o.reduce !== undefined || o.weights !== undefined || o.wrt !== undefined) return undefined;
    for (const key in options) if (key !== "out" && (options as Record<string, unknown>)[key] !== undefined) return undefined;
    if (method === "grad" && this.outputShape.length !== 0) return undefined; // (the ordinary path says why)
    if (this.disposed) return undefined;
    return method === "eval" ? this.m : this.m * this.n;
  }

  private compileAhead(options: { modes?: unknown }): this {
    checkOptions(options, AHEAD_KEYS, "prepare");
    const modes = options.modes ?? ["forward", "reverse", "second"];
    if (!Array.isArray(modes) || modes.some((m) => m !== "forward" && m !== "reverse" && m !== "second")) {
      throw new InputError(`prepare's modes are a list of "forward", "reverse" and "second", got ${show(modes)}`);
    }
    this.checkLive();
    const sizes = this.inputs.map((d) => d.size);
    this.valueKernel().prepareAhead(sizes, ["value"]);
    if (modes.includes("forward")) this.kernel.prepareAhead(sizes, ["value", "forward", "dense"]);
    if (modes.includes("reverse")) this.reverse().prepareAhead(sizes, ["gradient"]);
    // "second" by default only where second derivatives exist (not through scan)
    const second = modes.includes("second") && this.outputShape.length === 0 && (options.modes !== undefined || !this.refusesSecondOrder());
    if (second) {
      const view = this.secondOrderView("prepare");
      view.gradient.prepareAhead(sizes, ["forward", "dense"]);
      view.coloring();
      view.diagonalColoring();
    }
    // One call of each at a point of zeros: the engine compiles a module's functions
    // at their first call, and the scratch each call lays out is allocated now.
    const zeros = this.inputs.length > 1 ? Object.fromEntries(this.inputs.map((d) => [d.name, new Float64Array(d.size)]))
      : this.inputs[0].shape.length === 0 ? 0 : new Float64Array(this.n);
    // (the gradient last: the memory it works in is then the warmest for the commonest first call)
    if (second) this.hvp(zeros, zeros);
    if (modes.includes("forward") && this.n <= 64) this.jacobian(zeros, { mode: "forward" }); // (wider: see Kernel.prepareAhead)
    this.eval(zeros);
    if (modes.includes("reverse") && this.outputShape.length === 0) this.warmUp(zeros);
    return this;
  }

  /**
   * The gradient at `zeros`, as the commonest first call makes it (with an `out`),
   * until the calls settle: the engine runs a new WebAssembly function in its
   * baseline tier until it has run enough, and the first calls also fill the
   * caches a call goes through (bench/textbook.mjs times the first call after
   * prepare against later ones; bounded by WARM_UP_MS, so a large function is
   * not run twenty times).
   */
  private warmUp(zeros: Float64Array | number | Record<string, Float64Array>): void {
    const out = zeros instanceof Float64Array ? new Float64Array(this.n) : undefined;
    const until = performance.now() + WARM_UP_MS;
    for (let k = 0; k < WARM_UP_CALLS && (k === 0 || performance.now() < until); k++) {
      if (out) this.grad(zeros as Float64Array, { out });
      else this.grad(zeros, { mode: "reverse" });
    }
  }

  /**
   * ∂f/∂v for one scalar input entry `v` (a name from `vars`, a scalar input's name,
   * or a flat index): shaped like the output; for a batch, [N, ...output].
   * @param variable a name from `vars`, or a flat index
   * @param x one point, or a batch
   * @param options `mode`, `out`, `reduce`, `weights`
   * @example
   * ```ts
   * import { compile, Tensor } from "gradients";
   * const f = compile("x^2*y + sin(z)");        // variables x, y, z
   * const dy: number = f.partial("y", [3, 2, 0]); // x² = 9
   * ```
   */
  partial(variable: string | number, x: Point, options: DerivativeOptions & { out: WasmBuffer }): WasmBuffer;
  partial(variable: string | number, x: Float32Points, options?: DerivativeOptions & { out?: undefined }): Float32Of<S | Tensor>;
  partial(variable: string | number, x: TensorLike, options?: DerivativeOptions): S | Tensor;
  partial(variable: string | number, x: PlainPoint, options?: DerivativeOptions): S;
  partial(variable: string | number, x: Point, options?: DerivativeOptions): S | Tensor;
  partial(variable: string | number, x: Point, options: DerivativeOptions = {}): unknown {
    if (inSinglePrecision(x, options)) return toSinglePrecision(this.partial(variable, inDoublePrecision(x), options));
    checkOptions(options, DERIVATIVE_KEYS, "partial");
    const i = this.variableIndex(variable);
    return this.alongSeeds(this.args(x), columns(i, 1), options);
  }

  /**
   * The Jacobian-vector product J(x)·v, with v shaped like the inputs (a record for
   * several inputs; batched or shared like the point): the directional derivative
   * along v, not normalized. Shaped like the output; for a batch, [N, ...output].
   * @param x one point, or a batch
   * @param v the tangent, shaped like the inputs (shared, or batched like x)
   * @param options `mode`, `out`, `reduce`, `weights`
   * @example
   * ```ts
   * import { compile, Tensor } from "gradients";
   * const f = compile("x^2*y + sin(z)");        // variables x, y, z
   * const along: number = f.jvp([1, 2, 0], [1, 0, 0]); // ∂f/∂x = 4
   * ```
   */
  jvp(x: Point, v: Point, options: DerivativeOptions & { out: WasmBuffer }): WasmBuffer;
  jvp(x: Float32Points, v: Point, options?: DerivativeOptions & { out?: undefined }): Float32Of<S | Tensor>;
  jvp(x: TensorLike, v: Point, options?: DerivativeOptions): S | Tensor;
  jvp(x: PlainPoint, v: PlainPoint, options?: DerivativeOptions): S;
  jvp(x: Point, v: Point, options?: DerivativeOptions): S | Tensor;
  jvp(x: Point, v: Point, options: DerivativeOptions = {}): unknown {
    if (inSinglePrecision(x, options)) return toSinglePrecision(this.jvp(inDoublePrecision(x), v, options));
    return this.along(x, v, options, "tangent");
  }
  /**
   * The directional derivative J(x)·v (v not normalized): the same as `jvp`.
   * @param x one point, or a batch
   * @param v the direction (not normalized)
   * @param options `mode`, `out`, `reduce`, `weights`
   * @example
   * ```ts
   * import { compile, Tensor } from "gradients";
   * const f = compile("x^2*y + sin(z)");        // variables x, y, z
   * const slope: number = f.directional([1, 2, 0], [0, 1, 0]); // x² = 1
   * ```
   */
  directional(x: Point, v: Point, options: DerivativeOptions & { out: WasmBuffer }): WasmBuffer;
  directional(x: Float32Points, v: Point, options?: DerivativeOptions & { out?: undefined }): Float32Of<S | Tensor>;
  directional(x: TensorLike, v: Point, options?: DerivativeOptions): S | Tensor;
  directional(x: PlainPoint, v: PlainPoint, options?: DerivativeOptions): S;
  directional(x: Point, v: Point, options?: DerivativeOptions): S | Tensor;
  directional(x: Point, v: Point, options: DerivativeOptions = {}): unknown {
    if (inSinglePrecision(x, options)) return toSinglePrecision(this.directional(inDoublePrecision(x), v, options));
    return this.along(x, v, options, "direction");
  }

  /**
   * ∇·f(x) = Σ ∂f_i/∂x_i of a vector field ℝⁿ → ℝⁿ: a number; for a batch, a Tensor [N].
   * @param x one point, or a batch
   * @param options `mode`, `out`, `reduce`, `weights`
   * @example
   * ```ts
   * import { compile } from "gradients";
   * const div: number = compile(["x*y", "y^2"]).divergence([1, 2]); // y + 2y = 6
   * ```
   */
  divergence(x: Point, options: DerivativeOptions & { out: WasmBuffer }): WasmBuffer;
  divergence(x: Float32Points, options?: DerivativeOptions & { out?: undefined }): Float32Of<number | Tensor>;
  divergence(x: TensorLike, options?: DerivativeOptions): number | Tensor;
  divergence(x: PlainPoint, options?: DerivativeOptions): number;
  divergence(x: Point, options?: DerivativeOptions): number | Tensor;
  divergence(x: Point, options: DerivativeOptions = {}): unknown {
    if (inSinglePrecision(x, options)) return toSinglePrecision(this.divergence(inDoublePrecision(x), options));
    this.requireField("divergence", [this.n]);
    return this.field("divergence", x, options, []) as number | Tensor;
  }

  /**
   * The curl of a 2-D field (∂f1/∂x0 − ∂f0/∂x1, a number) or of a 3-D field (a
   * Float64Array(3)); for a batch, a Tensor [N] or [N, 3].
   * @param x one point, or a batch
   * @param options `mode`, `out`, `reduce`, `weights`
   * @example
   * ```ts
   * import { compile } from "gradients";
   * const spin = compile(["-y", "x"]).curl([1, 2]); // 2
   * ```
   */
  curl(x: Point, options: DerivativeOptions & { out: WasmBuffer }): WasmBuffer;
  curl(x: Float32Points, options?: DerivativeOptions & { out?: undefined }): Float32Of<number | Float64Array | Tensor>;
  curl(x: TensorLike, options?: DerivativeOptions): number | Float64Array | Tensor;
  curl(x: PlainPoint, options?: DerivativeOptions): number | Float64Array;
  curl(x: Point, options?: DerivativeOptions): number | Float64Array | Tensor;
  curl(x: Point, options: DerivativeOptions = {}): unknown {
    if (inSinglePrecision(x, options)) return toSinglePrecision(this.curl(inDoublePrecision(x), options));
    this.requireField("curl", [2, 3]);
    return this.field("curl", x, options, this.n === 3 ? [3] : []);
  }

  /**
   * det J(x) for a map between spaces of equal dimension (all inputs' entries → the
   * output's entries): how much a small patch of volume is stretched (> 1) or
   * squeezed (< 1) near x, negative where the map flips orientation. A number; for
   * a batch, a Tensor [N].
   * @param x one point, or a batch
   * @param options `mode`, `out`, `reduce`, `weights`
   * @example
   * ```ts
   * import { compile } from "gradients";
   * const polar = compile(["r*cos(t)", "r*sin(t)"], { vars: ["r", "t"] });
   * const area: number = polar.jacobianDeterminant([2, 0.5]); // r = 2
   * ```
   */
  jacobianDeterminant(x: Point, options: DerivativeOptions & { out: WasmBuffer }): WasmBuffer;
  jacobianDeterminant(x: Float32Points, options?: DerivativeOptions & { out?: undefined }): Float32Of<number | Tensor>;
  jacobianDeterminant(x: TensorLike, options?: DerivativeOptions): number | Tensor;
  jacobianDeterminant(x: PlainPoint, options?: DerivativeOptions): number;
  jacobianDeterminant(x: Point, options?: DerivativeOptions): number | Tensor;
  jacobianDeterminant(x: Point, options: DerivativeOptions = {}): unknown {
    if (inSinglePrecision(x, options)) return toSinglePrecision(this.jacobianDeterminant(inDoublePrecision(x), options));
    if (this.m !== this.n) {
      throw new ShapeError(`jacobianDeterminant needs as many outputs as inputs; this function has ${this.n} inputs and ${this.m} outputs`);
    }
    return this.field("determinant", x, options, []) as number | Tensor;
  }

  /**
   * The vector-Jacobian product wᵀJ(x), with w shaped like the output (batched or
   * shared like the point): one reverse sweep. Shaped like the inputs (a record
   * with several inputs); for a batch, [N, ...input].
   * @param x one point, or a batch
   * @param w the cotangent, shaped like the output
   * @param options `mode`, `out`, `reduce`, `weights`
   * @example
   * ```ts
   * import { compile } from "gradients";
   * const F = compile(["x*y", "x + y^2"]);
   * const pulled = F.vjp([1, 2], [1, 1]); // wᵀJ = [2 + 1, 1 + 4]
   * ```
   */
  vjp(x: Point, w: InputValue, options: DerivativeOptions & { out: WasmBuffer }): WasmBuffer;
  vjp(x: Float32Points, w: InputValue, options?: DerivativeOptions & { out?: undefined }): Float32Of<G | Tensor | Record<string, Shaped>>;
  vjp(x: TensorLike, w: InputValue, options?: DerivativeOptions): G | Tensor | Record<string, Shaped>;
  vjp(x: PlainPoint, w: PlainValue, options?: DerivativeOptions): G;
  vjp(x: Point, w: InputValue, options?: DerivativeOptions): G | Tensor | Record<string, Shaped>;
  vjp(x: Point, w: InputValue, options: DerivativeOptions = {}): unknown {
    if (inSinglePrecision(x, options)) return toSinglePrecision(this.vjp(inDoublePrecision(x), w, options));
    checkOptions(options, DERIVATIVE_KEYS, "vjp");
    const mode = readMode(options.mode);
    if (mode === "forward" || mode === "fd") throw new InputError(`vjp is computed by a reverse sweep; mode must be "auto" or "reverse", got "${mode}"`);
    const args = this.args(x);
    const cotangent = readArgs([this.outputDecl()], w, "cotangent");
    if (cotangent.batched && (!args.batched || cotangent.count !== args.count)) {
      throw new ShapeError(`a batch of ${cotangent.count} cotangents needs a batch of as many points, got ${args.batched ? `${args.count} points` : "one point"}`);
    }
    const seeds: Seeds = { identity: false, tangent: cotangent.segments };
    this.singleOut(options, "vjp");
    const sum = readReduce(options, args, "vjp");
    const results = this.inputs.map((d, i) => {
      const summed = sum && sharedInput(args, i), shape = summed ? ONE_POINT : args;
      const out = resultFor(shape, d.shape, options.out);
      this.reverse().tangents(Kind.Reverse, args.segments, args.count, seeds, out,
        { point: d.size, out: 1, lane: 0, offset: 0 }, [d.offset, d.offset + d.size], summed ? sum : undefined);
      if (sum && !summed) scalePoints(out, d.size, sum);
      return shaped(shape, d.shape, out);
    });
    return this.byInput(this.inputs, results, undefined) as G | Tensor | Record<string, Shaped>;
  }

  /**
   * The best linear approximation of f at one point x: `value` f(x), `jacobian` J(x)
   * (as `jacobian` returns it), `apply(y)` = f(x) + J(x)(y − x) and `tangent(v)` =
   * J(x)·v, both shaped like the output, computed from the stored value and
   * Jacobian without evaluating f again.
   * @param x one point
   * @param options `mode`
   * @example
   * ```ts
   * import { compile } from "gradients";
   * const lin = compile("exp(x)*y").linearize([0, 1]);
   * const near: number = lin.apply([0.1, 1]); // 1 + 0.1 = 1.1 (f(x) + J·(y − x))
   * ```
   */
  linearize(x: PlainPoint, options: DerivativeOptions = {}): Linearization<S, J> {
    checkOptions(options, ["mode"], "linearize");
    const args = this.args(x);
    if (args.batched) throw new ShapeError("linearize takes one point, not a batch");
    const n = this.n, m = this.m;
    const x0 = flatten(args);
    const value = this.evaluate(x, {}); // (float64, whatever the point's precision)
    const flat = new Float64Array(m * n);
    this.jacobianBlock(args, sweepFor(options, m < n), 0, m, 0, n, flat);
    const jacobian = this.byInput(this.inputs, this.inputs.map((d) => {
      const block = new Float64Array(m * d.size);
      for (let o = 0; o < m; o++) block.set(flat.subarray(o * n + d.offset, o * n + d.offset + d.size), o * d.size);
      return new Tensor([...this.outputShape, ...d.shape], block);
    }), undefined) as J;
    const read = (y: unknown, what: string) => {
      const a = readArgs(this.inputs, y, what, this.names);
      if (a.batched) throw new ShapeError(`the linearization's ${what} is one point, not a batch`);
      return flatten(a);
    };
    return linearization(value as S, jacobian, flat, x0, read, (out) => shaped(args, this.outputShape, out) as S);
  }

  /**
   * The Hessian of a scalar f, exact: shaped [...input, ...input] (a Tensor); with
   * several inputs, a nested record H[a][b] shaped [...a, ...b]. For a batch, a
   * leading N. Computed as the Jacobian of the exact gradient (forward mode over a
   * symbolic reverse sweep; mode "reverse" pulls rows instead; "fd" differences the
   * exact gradient, as a cross-check).
   * @param x one point, or a batch
   * @param options `mode`, `out`, `reduce`, `weights`
   * @example
   * ```ts
   * import { compile, Tensor } from "gradients";
   * const f = compile("x^2*y + sin(z)");        // variables x, y, z
   * const H = f.hessian([1, 2, 0]); // Tensor [3, 3]: [[4, 2, 0], [2, 0, 0], [0, 0, 0]]
   * ```
   */
  hessian(x: Point, options: DerivativeOptions & { out: WasmBuffer }): WasmBuffer;
  hessian(x: Float32Points, options?: DerivativeOptions & { out?: undefined }): Float32Of<Tensor | Record<string, Record<string, Tensor>>>;
  hessian(x: TensorLike, options?: DerivativeOptions): Tensor | Record<string, Record<string, Tensor>>;
  hessian(x: PlainPoint, options?: DerivativeOptions): J extends Tensor ? Tensor : Tensor | Record<string, Record<string, Tensor>>;
  hessian(x: Point, options?: DerivativeOptions): Tensor | Record<string, Record<string, Tensor>>;
  hessian(x: Point, options: DerivativeOptions = {}): unknown {
    if (inSinglePrecision(x, options)) return toSinglePrecision(this.hessian(inDoublePrecision(x), options));
    checkOptions(options, DERIVATIVE_KEYS, "hessian");
    return secondOrder.hessian(this.secondOrderView("hessian"), x, options);
  }

  /**
   * The Hessian-vector product H(x)·v of a scalar f in one forward pass over the
   * gradient, v shaped like the inputs; shaped like the inputs (a record with
   * several). For a batch, a leading N.
   * @param x one point, or a batch
   * @param v the vector, shaped like the inputs
   * @param options `mode`, `out`, `reduce`, `weights`
   * @example
   * ```ts
   * import { compile, Tensor } from "gradients";
   * const f = compile("x^2*y + sin(z)");        // variables x, y, z
   * const Hv = f.hvp([1, 2, 0], [1, 0, 0]); // the first column of H: [4, 2, 0]
   * ```
   */
  hvp(x: Point, v: Point, options: DerivativeOptions & { out: WasmBuffer }): WasmBuffer;
  hvp(x: Float32Points, v: Point, options?: DerivativeOptions & { out?: undefined }): Float32Of<G | Tensor | Record<string, Shaped>>;
  hvp(x: TensorLike, v: Point, options?: DerivativeOptions): G | Tensor | Record<string, Shaped>;
  hvp(x: PlainPoint, v: PlainPoint, options?: DerivativeOptions): G;
  hvp(x: Point, v: Point, options?: DerivativeOptions): G | Tensor | Record<string, Shaped>;
  hvp(x: Point, v: Point, options: DerivativeOptions = {}): unknown {
    if (inSinglePrecision(x, options)) return toSinglePrecision(this.hvp(inDoublePrecision(x), v, options));
    checkOptions(options, DERIVATIVE_KEYS, "hvp");
    return secondOrder.hvp(this.secondOrderView("hvp"), x, v, options) as G | Tensor | Record<string, Shaped>;
  }

  /**
   * The diagonal of the Hessian, ∂²f/∂xᵢ² for every input entry, of a scalar f,
   * shaped like the inputs (a record with several); for a batch, a leading N.
   * Exact (forward mode over the exact gradient), without forming the Hessian:
   * a sweep per 16 colors of a coloring for the diagonal (two columns conflict
   * only where one's gradient entry reads the other), else per 16 entries.
   * @param x one point, or a batch
   * @param options `mode`, `out`, `reduce`, `weights`, and `wrt` (with several
   *   inputs: the one input, or the inputs, whose entries are wanted; the others
   *   cost nothing)
   * @example
   * ```ts
   * import { compile, Tensor } from "gradients";
   * const f = compile("x^2*y + sin(z)");        // variables x, y, z
   * const d = f.hessianDiagonal([1, 2, 0]); // [2y, 0, −sin z] = [4, 0, −0]
   * ```
   */
  hessianDiagonal(x: Point, options: JacobianOptions & { out: WasmBuffer }): WasmBuffer;
  hessianDiagonal(x: Float32Points, options?: JacobianOptions & { out?: undefined }): Float32Of<G | Tensor | Record<string, Shaped>>;
  hessianDiagonal(x: TensorLike, options?: JacobianOptions): G | Tensor | Record<string, Shaped>;
  hessianDiagonal(x: PlainPoint, options?: JacobianOptions): G;
  hessianDiagonal(x: Point, options?: JacobianOptions): G | Tensor | Record<string, Shaped>;
  hessianDiagonal(x: Point, options: JacobianOptions = {}): unknown {
    if (inSinglePrecision(x, options)) return toSinglePrecision(this.hessianDiagonal(inDoublePrecision(x), options));
    checkOptions(options, JACOBIAN_KEYS, "hessianDiagonal");
    return secondOrder.hessianDiagonal(this.secondOrderView("hessianDiagonal"), x, options) as G | Tensor | Record<string, Shaped>;
  }

  /**
   * The Laplacian Σᵢ ∂²f/∂xᵢ² of a scalar f (over every input entry): the trace of
   * the Hessian, the divergence of the gradient. A number; for a batch, a Tensor [N].
   * @param x one point, or a batch
   * @param options `mode`, `out`, `reduce`, `weights`
   * @example
   * ```ts
   * import { compile, Tensor } from "gradients";
   * const f = compile("x^2*y + sin(z)");        // variables x, y, z
   * const lap: number = f.laplacian([1, 2, 0]); // 2y − sin z = 4
   * ```
   */
  laplacian(x: Point, options: DerivativeOptions & { out: WasmBuffer }): WasmBuffer;
  laplacian(x: Float32Points, options?: DerivativeOptions & { out?: undefined }): Float32Of<number | Tensor>;
  laplacian(x: TensorLike, options?: DerivativeOptions): number | Tensor;
  laplacian(x: PlainPoint, options?: DerivativeOptions): number;
  laplacian(x: Point, options?: DerivativeOptions): number | Tensor;
  laplacian(x: Point, options: DerivativeOptions = {}): unknown {
    if (inSinglePrecision(x, options)) return toSinglePrecision(this.laplacian(inDoublePrecision(x), options));
    checkOptions(options, DERIVATIVE_KEYS, "laplacian");
    return secondOrder.laplacian(this.secondOrderView("laplacian"), x, options);
  }

  /**
   * This function applied to traced values inside another trace (`fn` body): its
   * graph is inlined there, so the composition is differentiated as one function.
   * `x` is the input's node (a record of nodes with several inputs); the result
   * is a node of the output's shape.
   * @param x the input's traced node (a record of them with several inputs)
   * @example
   * ```ts
   * import { compile, fn, stack } from "gradients";
   * const norm2 = compile("x^2 + y^2");
   * const g = fn(1, (t) => norm2.of(stack([t.at(0).mul(2), t.at(0)]))).grad([1]); // d/dt 5t² = 10
   * ```
   */
  of(x: Node | Readonly<Record<string, Node>>): Node {
    this.checkLive();
    return composeInto(this.graph, this.outputIds, this.inputs, this.outputShape, x);
  }

  /**
   * The function as bytes (a Uint8Array of a few bytes per graph node): its graph,
   * input names and shapes, output shape and a format version. `deserialize`
   * gives back a function with the same results, bit for bit, in any thread or
   * process running this build of the library. Functions that call JavaScript
   * from the core (a `scan`, a function defined by code) cannot be serialized.
   */
  serialize(): Uint8Array {
    this.checkLive();
    return encodeFunction(this.graph, this.outputIds, this, buildId());
  }

  // The async forms: the same results, bit for bit, as the method of the same name
  // without "Async", computed chunk by chunk on a pool's workers (`pool`) or on
  // this thread between turns of the event loop; `signal` cancels between chunks,
  // `onProgress(done, total)` hears of every chunk (api/async.ts). Not `reduce`.
  /** `eval`, asynchronously: see AsyncOptions. */
  evalAsync(x: Float32Points, options?: EvalOptions & AsyncOptions & { out?: undefined }): Promise<Float32Of<S | Tensor>>;
  evalAsync(x: Point, options?: EvalOptions & AsyncOptions): Promise<S | Tensor>;
  evalAsync(x: Point, options: EvalOptions & AsyncOptions = {}): Promise<unknown> {
    if (inSinglePrecision(x, options)) return this.evalAsync(inDoublePrecision(x), options).then(toSinglePrecision);
    return methodAsync(this, "eval", [], [this.point(x)], options) as Promise<S | Tensor>;
  }
  /** `grad`, asynchronously: see AsyncOptions. */
  gradAsync(x: Float32Points, options?: JacobianOptions & AsyncOptions & { out?: undefined }): Promise<Float32Of<G | Tensor | Record<string, Tensor>>>;
  gradAsync(x: Point, options?: JacobianOptions & AsyncOptions): Promise<G | Tensor | Record<string, Tensor>>;
  gradAsync(x: Point, options: JacobianOptions & AsyncOptions = {}): Promise<unknown> {
    if (inSinglePrecision(x, options)) return this.gradAsync(inDoublePrecision(x), options).then(toSinglePrecision);
    return methodAsync(this, "grad", [], [this.point(x)], options) as Promise<G | Tensor | Record<string, Tensor>>;
  }
  /** `valueAndGrad`, asynchronously: see AsyncOptions. */
  valueAndGradAsync(x: Float32Points, options?: JacobianOptions & AsyncOptions & { out?: undefined }): Promise<Float32Of<{ value: number | Tensor; grad: G | Tensor | Record<string, Tensor> }>>;
  valueAndGradAsync(x: Point, options?: JacobianOptions & AsyncOptions): Promise<{ value: number | Tensor; grad: G | Tensor | Record<string, Tensor> }>;
  valueAndGradAsync(x: Point, options: JacobianOptions & AsyncOptions = {}): Promise<unknown> {
    if (inSinglePrecision(x, options)) return this.valueAndGradAsync(inDoublePrecision(x), options).then(toSinglePrecision);
    return methodAsync(this, "valueAndGrad", [], [this.point(x)], options) as Promise<{ value: number | Tensor; grad: G | Tensor | Record<string, Tensor> }>;
  }
  /** `jacobian`, asynchronously: see AsyncOptions. */
  jacobianAsync(x: Float32Points, options?: JacobianOptions & AsyncOptions & { out?: undefined }): Promise<Float32Of<J>>;
  jacobianAsync(x: Point, options?: JacobianOptions & AsyncOptions): Promise<J>;
  jacobianAsync(x: Point, options: JacobianOptions & AsyncOptions = {}): Promise<unknown> {
    if (inSinglePrecision(x, options)) return this.jacobianAsync(inDoublePrecision(x), options).then(toSinglePrecision);
    return methodAsync(this, "jacobian", [], [this.point(x)], options) as Promise<J>;
  }
  /** `partial`, asynchronously: see AsyncOptions. */
  partialAsync(variable: string | number, x: Float32Points, options?: DerivativeOptions & AsyncOptions & { out?: undefined }): Promise<Float32Of<S | Tensor>>;
  partialAsync(variable: string | number, x: Point, options?: DerivativeOptions & AsyncOptions): Promise<S | Tensor>;
  partialAsync(variable: string | number, x: Point, options: DerivativeOptions & AsyncOptions = {}): Promise<unknown> {
    if (inSinglePrecision(x, options)) return this.partialAsync(variable, inDoublePrecision(x), options).then(toSinglePrecision);
    return methodAsync(this, "partial", [variable], [this.point(x)], options) as Promise<S | Tensor>;
  }
  /** `jvp`, asynchronously: see AsyncOptions. */
  jvpAsync(x: Float32Points, v: Point, options?: DerivativeOptions & AsyncOptions & { out?: undefined }): Promise<Float32Of<S | Tensor>>;
  jvpAsync(x: Point, v: Point, options?: DerivativeOptions & AsyncOptions): Promise<S | Tensor>;
  jvpAsync(x: Point, v: Point, options: DerivativeOptions & AsyncOptions = {}): Promise<unknown> {
    if (inSinglePrecision(x, options)) return this.jvpAsync(inDoublePrecision(x), v, options).then(toSinglePrecision);
    return methodAsync(this, "jvp", [], [this.point(x), this.point(v, "tangent")], options) as Promise<S | Tensor>;
  }
  /** `directional`, asynchronously: see AsyncOptions. */
  directionalAsync(x: Float32Points, v: Point, options?: DerivativeOptions & AsyncOptions & { out?: undefined }): Promise<Float32Of<S | Tensor>>;
  directionalAsync(x: Point, v: Point, options?: DerivativeOptions & AsyncOptions): Promise<S | Tensor>;
  directionalAsync(x: Point, v: Point, options: DerivativeOptions & AsyncOptions = {}): Promise<unknown> {
    if (inSinglePrecision(x, options)) return this.directionalAsync(inDoublePrecision(x), v, options).then(toSinglePrecision);
    return methodAsync(this, "directional", [], [this.point(x), this.point(v, "direction")], options) as Promise<S | Tensor>;
  }
  /** `vjp`, asynchronously: see AsyncOptions. */
  vjpAsync(x: Float32Points, w: InputValue, options?: DerivativeOptions & AsyncOptions & { out?: undefined }): Promise<Float32Of<G | Tensor | Record<string, Shaped>>>;
  vjpAsync(x: Point, w: InputValue, options?: DerivativeOptions & AsyncOptions): Promise<G | Tensor | Record<string, Shaped>>;
  vjpAsync(x: Point, w: InputValue, options: DerivativeOptions & AsyncOptions = {}): Promise<unknown> {
    if (inSinglePrecision(x, options)) return this.vjpAsync(inDoublePrecision(x), w, options).then(toSinglePrecision);
    return methodAsync(this, "vjp", [], [this.point(x), { value: w, decls: [this.outputDecl()], what: "cotangent" }], options) as Promise<G | Tensor | Record<string, Shaped>>;
  }
  /** `divergence`, asynchronously: see AsyncOptions. */
  divergenceAsync(x: Float32Points, options?: DerivativeOptions & AsyncOptions & { out?: undefined }): Promise<Float32Of<number | Tensor>>;
  divergenceAsync(x: Point, options?: DerivativeOptions & AsyncOptions): Promise<number | Tensor>;
  divergenceAsync(x: Point, options: DerivativeOptions & AsyncOptions = {}): Promise<unknown> {
    if (inSinglePrecision(x, options)) return this.divergenceAsync(inDoublePrecision(x), options).then(toSinglePrecision);
    return methodAsync(this, "divergence", [], [this.point(x)], options) as Promise<number | Tensor>;
  }
  /** `curl`, asynchronously: see AsyncOptions. */
  curlAsync(x: Float32Points, options?: DerivativeOptions & AsyncOptions & { out?: undefined }): Promise<Float32Of<number | Float64Array | Tensor>>;
  curlAsync(x: Point, options?: DerivativeOptions & AsyncOptions): Promise<number | Float64Array | Tensor>;
  curlAsync(x: Point, options: DerivativeOptions & AsyncOptions = {}): Promise<unknown> {
    if (inSinglePrecision(x, options)) return this.curlAsync(inDoublePrecision(x), options).then(toSinglePrecision);
    return methodAsync(this, "curl", [], [this.point(x)], options) as Promise<number | Float64Array | Tensor>;
  }
  /** `jacobianDeterminant`, asynchronously: see AsyncOptions. */
  jacobianDeterminantAsync(x: Float32Points, options?: DerivativeOptions & AsyncOptions & { out?: undefined }): Promise<Float32Of<number | Tensor>>;
  jacobianDeterminantAsync(x: Point, options?: DerivativeOptions & AsyncOptions): Promise<number | Tensor>;
  jacobianDeterminantAsync(x: Point, options: DerivativeOptions & AsyncOptions = {}): Promise<unknown> {
    if (inSinglePrecision(x, options)) return this.jacobianDeterminantAsync(inDoublePrecision(x), options).then(toSinglePrecision);
    return methodAsync(this, "jacobianDeterminant", [], [this.point(x)], options) as Promise<number | Tensor>;
  }
  /** `hessian`, asynchronously: see AsyncOptions. */
  hessianAsync(x: Float32Points, options?: DerivativeOptions & AsyncOptions & { out?: undefined }): Promise<Float32Of<Tensor | Record<string, Record<string, Tensor>>>>;
  hessianAsync(x: Point, options?: DerivativeOptions & AsyncOptions): Promise<Tensor | Record<string, Record<string, Tensor>>>;
  hessianAsync(x: Point, options: DerivativeOptions & AsyncOptions = {}): Promise<unknown> {
    if (inSinglePrecision(x, options)) return this.hessianAsync(inDoublePrecision(x), options).then(toSinglePrecision);
    return methodAsync(this, "hessian", [], [this.point(x)], options) as Promise<Tensor | Record<string, Record<string, Tensor>>>;
  }
  /** `hvp`, asynchronously: see AsyncOptions. */
  hvpAsync(x: Float32Points, v: Point, options?: DerivativeOptions & AsyncOptions & { out?: undefined }): Promise<Float32Of<G | Tensor | Record<string, Shaped>>>;
  hvpAsync(x: Point, v: Point, options?: DerivativeOptions & AsyncOptions): Promise<G | Tensor | Record<string, Shaped>>;
  hvpAsync(x: Point, v: Point, options: DerivativeOptions & AsyncOptions = {}): Promise<unknown> {
    if (inSinglePrecision(x, options)) return this.hvpAsync(inDoublePrecision(x), v, options).then(toSinglePrecision);
    return methodAsync(this, "hvp", [], [this.point(x), this.point(v, "tangent")], options) as Promise<G | Tensor | Record<string, Shaped>>;
  }
  /** `hessianDiagonal`, asynchronously: see AsyncOptions. */
  hessianDiagonalAsync(x: Float32Points, options?: JacobianOptions & AsyncOptions & { out?: undefined }): Promise<Float32Of<G | Tensor | Record<string, Shaped>>>;
  hessianDiagonalAsync(x: Point, options?: JacobianOptions & AsyncOptions): Promise<G | Tensor | Record<string, Shaped>>;
  hessianDiagonalAsync(x: Point, options: JacobianOptions & AsyncOptions = {}): Promise<unknown> {
    if (inSinglePrecision(x, options)) return this.hessianDiagonalAsync(inDoublePrecision(x), options).then(toSinglePrecision);
    return methodAsync(this, "hessianDiagonal", [], [this.point(x)], options) as Promise<G | Tensor | Record<string, Shaped>>;
  }
  /** `laplacian`, asynchronously: see AsyncOptions. */
  laplacianAsync(x: Float32Points, options?: DerivativeOptions & AsyncOptions & { out?: undefined }): Promise<Float32Of<number | Tensor>>;
  laplacianAsync(x: Point, options?: DerivativeOptions & AsyncOptions): Promise<number | Tensor>;
  laplacianAsync(x: Point, options: DerivativeOptions & AsyncOptions = {}): Promise<unknown> {
    if (inSinglePrecision(x, options)) return this.laplacianAsync(inDoublePrecision(x), options).then(toSinglePrecision);
    return methodAsync(this, "laplacian", [], [this.point(x)], options) as Promise<number | Tensor>;
  }
  /** A batch argument shaped like the inputs, for the async forms. */
  private point(value: unknown, what = "point"): BatchArgument {
    return { value, decls: this.inputs, what, names: this.vars };
  }

  /** The output as an input declaration (the cotangent of vjp is shaped like it). */
  private outputDecl(): InputDecl {
    return { name: "output", shape: this.outputShape, size: this.m, offset: 0 };
  }

  /** Throws the InputError every call of a disposed function throws. */
  private checkLive(): void {
    if (this.isDisposed) throw new InputError("this function has been disposed");
  }

  /** Whether `dispose()` has been called: every call then throws an `InputError`. */
  get disposed(): boolean {
    return this.isDisposed;
  }

  /** Frees the function's WebAssembly memory now (otherwise it is freed when garbage-collected). */
  dispose(): void {
    if (!this.isDisposed) announceDispose(this);
    this.isDisposed = true;
    this.forwardKernel?.dispose();
    this.reverseKernel?.dispose();
    this.gradientFunc?.dispose();
  }

  /** Jacobian blocks, one per input (or the `wrt` one), each presented by `present`. */
  private derivative<R>(x: Point, options: JacobianOptions, preferReverse: boolean,
                        present: (args: Args, d: InputDecl, out: Float64Array | WasmBuffer) => R,
                        valuesToo?: { values?: Float64Array; summed?: boolean }): R | Record<string, R> {
    const args = this.args(x), sum = readReduce(options, args, "a derivative");
    /** The values array for the first sweep (valueAndGrad), sized for a summed or a per-point result. */
    const valuesFor = (summed: boolean) => {
      if (!valuesToo || valuesToo.values) return undefined;
      valuesToo.summed = summed;
      return (valuesToo.values = new Float64Array(summed ? this.m : args.count * this.m));
    };
    const kind = sweepFor(options, preferReverse);
    const wanted = this.wanted(options.wrt);
    if (options.out !== undefined && wanted.length > 1) {
      throw new InputError(`out holds one array; with ${wanted.length} inputs pass { wrt } to choose one`);
    }
    const m = this.m;
    const block = (d: InputDecl) => {
      const summed = sum && sharedInput(args, this.inputs.indexOf(d)), shape = summed ? ONE_POINT : args;
      const out = resultArray(shape, m * d.size, options.out);
      this.jacobianBlock(args, kind, 0, m, d.offset, d.size, out, summed ? sum : undefined, valuesFor(!!summed));
      if (sum && !summed) scalePoints(out, m * d.size, sum);
      return present(shape, d, out);
    };
    // One block (one input, or `wrt` naming one) is the result itself: the common call, kept lean.
    if (wanted.length === 1) return Array.isArray(options.wrt) ? this.byInput(wanted, [block(wanted[0])], options.wrt) : block(wanted[0]);
    const summedAll = wanted.every((d) => sharedInput(args, this.inputs.indexOf(d)));
    if (kind === Kind.Reverse && (!sum || summedAll || wanted.every((d) => !sharedInput(args, this.inputs.indexOf(d))))) {
      // One reverse sweep gives every input's adjoint: run it once over the inputs' span, then split it.
      const lo = Math.min(...wanted.map((d) => d.offset)), hi = Math.max(...wanted.map((d) => d.offset + d.size));
      const shape = sum && summedAll ? ONE_POINT : args, span = hi - lo, rows = shape.count * m;
      const all = new Float64Array(rows * span);
      this.jacobianBlock(args, kind, 0, m, lo, span, all, sum && summedAll ? sum : undefined, valuesFor(!!sum && summedAll));
      if (sum && !summedAll) scalePoints(all, m * span, sum);
      return this.byInput(wanted, wanted.map((d) => {
        const out = new Float64Array(rows * d.size);
        for (let r = 0; r < rows; r++) out.set(all.subarray(r * span + d.offset - lo, r * span + d.offset - lo + d.size), r * d.size);
        return present(shape, d, out);
      }), options.wrt);
    }
    return this.byInput(wanted, wanted.map(block), options.wrt);
  }

  /** `out` holds one array: refused when the result is a record (several inputs). */
  private singleOut(options: DerivativeOptions, what: string): void {
    if (options.out !== undefined && this.inputs.length > 1) {
      throw new InputError(`out holds one array, but ${what} of a function of ${this.inputs.length} inputs is a record by input name`);
    }
  }

  /** One result, or a record by input name when there are several inputs and no `wrt`. */
  private byInput<R>(wanted: readonly InputDecl[], results: R[], wrt: unknown): R | Record<string, R> {
    if (this.inputs.length === 1 || typeof wrt === "string") return results[0];
    return Object.fromEntries(wanted.map((d, i) => [d.name, results[i]]));
  }

  /**
   * The block ∂(outputs oLo … oLo+mo−1)/∂(inputs iLo … iLo+ni−1), [N?, mo, ni]
   * row-major, into `out`: forward (or fd) pushes ni columns, reverse pulls mo rows.
   */
  private jacobianBlock(args: Args, kind: Kind.Forward | Kind.FiniteDiff | Kind.Reverse,
                        oLo: number, mo: number, iLo: number, ni: number, out: Target, sum?: BatchSum, values?: Float64Array): void {
    if (kind === Kind.Reverse) {
      this.reverse().tangents(kind, args.segments, args.count, columns(oLo, mo), out,
        { point: mo * ni, out: 1, lane: ni, offset: 0 }, [iLo, iLo + ni], sum, values);
    } else {
      this.kernel.tangents(kind, args.segments, args.count, columns(iLo, ni), out,
        { point: mo * ni, out: ni, lane: 1, offset: 0 }, [oLo, oLo + mo], sum, values);
    }
  }

  /**
   * The kernel for values: a large function built from whole-tensor operations
   * evaluates faster on the reverse schedule, whose runs apply an op to a whole
   * vector per instruction (see compile.ts), than one scalar instruction at a time.
   */
  private valueKernel(): Kernel {
    // (judged by the graph's size, not the forward tape's, which may not be compiled)
    if (this.nodes < 128) return this.kernel;
    const runs = this.reverse();
    return 2 * runs.size.instructions <= this.nodes ? runs : this.kernel;
  }

  /** The reverse schedule's kernel: the same graph compiled with every value kept. */
  private reverse(): Kernel {
    if (!this.reverseKernel) this.checkLive();
    this.reverseKernel ??= new Kernel(compileTape(this.graph, this.outputIds, this.n, false));
    return this.reverseKernel;
  }

  /**
   * ∇f as a compiled function of its own (scalar f): the same inputs, output
   * shaped like the one input (or [n], the inputs' entries end to end, with
   * several). Built symbolically on the graph, so it can be differentiated again
   * without perturbation confusion: its Jacobian is f's Hessian, its Hessian f's
   * third derivatives along each output, and inside another trace (`.of`) it is
   * an ordinary function of its arguments. Disposing it leaves f untouched.
   * @example
   * ```ts
   * import { compile } from "gradients";
   * const grad = compile("x^3*y").gradFunction();  // ∇f = [3x²y, x³], a compiled function
   * const H = grad.jacobian([1, 2]);                 // f's Hessian: [[12, 3], [3, 0]]
   * ```
   */
  gradFunction(): Func {
    this.checkLive();
    const g = this.gradient("gradFunction");
    const shape = this.inputs.length === 1 ? this.inputs[0].shape : [this.n];
    return new Func(this.graph, g.outputIds, this.inputs, shape, this.varNames);
  }

  /**
   * [f(x), f′(x), …, f⁽ᵏ⁾(x)], k = `order` (up to 100), for a scalar function of
   * one scalar variable, by Taylor mode: truncated power series through every
   * primitive's rule, exact to rounding at every order (no finite differences).
   * @param x the point (one variable)
   * @param order the highest order k (≤ 100)
   * @example
   * ```ts
   * import { compile } from "gradients";
   * const d = compile("sin(x)").derivatives(0, 4); // [0, 1, 0, −1, 0]
   * ```
   */
  derivatives(x: PlainPoint, order: number): Float64Array {
    return derivativesOf(this.taylorView(), x, order);
  }

  /**
   * The Taylor coefficients c₀ … c_order of t ↦ f(x + t·v) (v shaped like the
   * inputs, not normalized): Float64Array(order + 1) for a scalar f, else a
   * Tensor [...O, order + 1]. k!·cₖ is the k-th derivative along v: 6·c₃ is the
   * third-derivative tensor contracted with v, v, v.
   */
  taylor(x: PlainPoint, v: PlainPoint, order: number): Float64Array | Tensor {
    return taylorOf(this.taylorView(), x, v, order);
  }

  private taylorView() {
    this.checkLive();
    return { graph: this.graph, outputIds: this.outputIds, inputs: this.inputs, vars: this.vars, outputShape: this.outputShape };
  }

  /** Whether second derivatives are refused (through a scan, or a user function without second partials). @internal */
  refusesSecondOrder(): boolean {
    return refusesSecondOrder(this.graph);
  }

  /** ∇f as a Func of the same inputs with output [n] (scalar f only). */
  private gradient(what: string): Func {
    if (this.outputShape.length !== 0) {
      throw new ShapeError(`${what} needs a scalar function; this one has output shape ${describeShape(this.outputShape)}`);
    }
    this.gradientFunc ??= new Func(this.graph, gradientNodes(this.graph, this.outputIds[0], this.n), this.inputs, [this.n], this.varNames);
    return this.gradientFunc;
  }

  /** This scalar function and its gradient as api/second-order.ts needs them. */
  private secondOrderView(what: string): SecondOrderView {
    const g = this.gradient(what), names = this.names;
    // (made once: a fresh object of closures per call cost an hvp of 10,000 inputs 3% of its time)
    return this.secondOrder ??= {
      inputs: this.inputs,
      get vars() { return names(); },
      n: this.n,
      args: (x) => this.args(x),
      gradient: g.kernel,
      gradientBlock: (args, kind, oLo, mo, iLo, ni, out, sum) => g.jacobianBlock(args, kind, oLo, mo, iLo, ni, out, sum),
      coloring: () => {
        if (this.coloring === undefined) this.coloring = colorColumns(g.graph, g.outputIds, this.n, MAX_LANES) ?? null;
        return this.coloring ?? undefined;
      },
      diagonalColoring: () => {
        if (this.diagonalColors === undefined) this.diagonalColors = colorDiagonal(g.graph, g.outputIds, this.n, MAX_LANES) ?? null;
        return this.diagonalColors ?? undefined;
      },
      singleOut: (options, name) => this.singleOut(options, name),
      byInput: (results, wanted, wrt) => this.byInput(wanted ?? this.inputs, results, wrt),
      wanted: (wrt) => this.wanted(wrt),
    };
  }

  private wanted(wrt: unknown): readonly InputDecl[] {
    if (wrt === undefined) return this.inputs;
    // (its one input is the vector of the variables: `wrt: "x"` meaning variable x would get the whole gradient;
    // with one variable, its name and the input's both mean the whole)
    const one = (name: unknown) => name === this.vars[0] || name === this.inputs[0].name;
    if (this.ofVariables && this.n === 1 && (Array.isArray(wrt) ? wrt.length === 1 && one(wrt[0]) : one(wrt))) return this.inputs;
    if (this.ofVariables) {
      const first = this.varNames?.[0] ?? "x";
      throw new InputError(`wrt chooses among the inputs of a function of several; this one has one, the vector of its variables (${this.vars.slice(0, 6).join(", ")}${this.n > 6 ? ", …" : ""}): ` +
        `for the derivative along one variable use partial("${first}", …), or declare vars as a record ({ ${first}: [], … }) for an input per variable`);
    }
    const names = Array.isArray(wrt) ? wrt : [wrt];
    if (names.length === 0 || new Set(names).size !== names.length) {
      throw new InputError(`wrt names an input or several different ones, got ${show(wrt)}`);
    }
    return names.map((name) => {
      const d = this.inputs.find((i) => i.name === name);
      if (!d) throw new InputError(`wrt names an input; ${typeof name === "string" ? `'${name}'` : show(name)} is not one of ${this.inputs.map((i) => i.name).join(", ")}`);
      return d;
    });
  }

  /** J(x)·v for a tangent `v` shaped like the inputs; `what` names v in errors. */
  private along(x: Point, v: Point, options: DerivativeOptions, what: string): S | Tensor {
    checkOptions(options, DERIVATIVE_KEYS, what === "tangent" ? "jvp" : "directional");
    const args = this.args(x);
    const tangent = readArgs(this.inputs, v, what, this.names);
    if (tangent.batched && (!args.batched || tangent.count !== args.count)) {
      throw new ShapeError(`a batch of ${tangent.count} ${what}s needs a batch of as many points, got ${args.batched ? `${args.count} points` : "one point"}`);
    }
    return this.alongSeeds(args, { identity: false, tangent: tangent.segments }, options);
  }

  private alongSeeds(args: Args, seeds: Seeds, options: DerivativeOptions): S | Tensor {
    const sum = readReduce(options, args, "a directional derivative"), shape = sum ? ONE_POINT : args;
    const out = resultFor(shape, this.outputShape, options.out);
    const layout: TangentLayout = { point: this.m, out: 1, lane: 0, offset: 0 };
    this.kernel.tangents(forwardSweepFor(options, "a directional derivative"), args.segments, args.count, seeds, out, layout, undefined, sum);
    return shaped(shape, this.outputShape, out) as S | Tensor;
  }

  private field(op: "divergence" | "curl" | "determinant", x: Point, options: DerivativeOptions,
                shape: readonly number[]): number | Float64Array | Tensor {
    checkOptions(options, DERIVATIVE_KEYS, op === "determinant" ? "jacobianDeterminant" : op);
    const args = this.args(x), sum = readReduce(options, args, op), lead = sum ? ONE_POINT : args;
    const out = resultFor(lead, shape, options.out);
    this.kernel.field(op, forwardSweepFor(options, op), args.segments, args.count, out, sum);
    return shaped(lead, shape, out);
  }

  private requireField(what: string, sizes: readonly number[]): void {
    const n = this.n;
    if (this.inputs.length !== 1 || this.inputs[0].shape.length !== 1 || this.outputShape.length !== 1 ||
        this.m !== n || !sizes.includes(n)) {
      const dims = what === "curl" ? "a 2-D or 3-D vector field (2 → 2 or 3 → 3)" : "a vector field ℝⁿ → ℝⁿ";
      throw new ShapeError(`${what} is defined for ${dims}; this function maps ${this.describeInputs()} to ${describeShape(this.outputShape)}`);
    }
  }

  private describeInputs(): string {
    return this.inputs.length === 1 ? describeShape(this.inputs[0].shape)
      : `{ ${this.inputs.map((d) => `${d.name}: ${describeShape(d.shape)}`).join(", ")} }`;
  }

  private args(x: unknown): Args {
    this.checkLive();
    return readArgs(this.inputs, x, "point", this.names);
  }

  private variableIndex(variable: string | number): number {
    if (typeof variable === "number") {
      if (!Number.isInteger(variable) || variable < 0 || variable >= this.n) {
        throw new InputError(`variable index must be a whole number from 0 to ${this.n - 1}, got ${show(variable)}`);
      }
      return variable;
    }
    if (typeof variable !== "string") throw new InputError(`the variable must be a name or an index, got ${show(variable)}`);
    const i = this.vars.indexOf(variable);
    if (i < 0) throw new InputError(`unknown variable '${variable}'; the variables are ${this.vars.join(", ")}`);
    return i;
  }
}
