// Func: a compiled function and its derivatives, at one point or a batch.
import { InputError, ShapeError } from "./errors.js";
import { Kernel, Kind, columns, type Seeds, type TangentLayout } from "./kernel.js";
import { Tensor, type NestedArray, type TensorLike, sizeOf } from "./tensor.js";
import { checkOut, describeShape, readArgs, readMode, type Args, type InputDecl, type Mode } from "./validate.js";
import type { TapeData } from "./compile.js";

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

/** Options of every derivative method. */
export interface DerivativeOptions {
  /**
   * How derivatives are computed: "auto" (default) and "forward" use exact forward
   * mode (dual numbers); "fd" uses central finite differences over the same tape.
   */
  mode?: Mode;
  /** Receives the result's entries (row-major); returned (or wrapped in the returned Tensor). */
  out?: Float64Array;
}

/** Options of `jacobian` and `grad`. */
export interface JacobianOptions extends DerivativeOptions {
  /** With several inputs: differentiate with respect to this one only (the result is then a single array). */
  wrt?: string;
}

/** Options of `eval`. */
export interface EvalOptions {
  out?: Float64Array;
}

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
  /** Names of the scalar input entries in flat order (`x`, `y` or `A[0][1]`, …). */
  readonly vars: readonly string[];
  /** Shape of the output: [] scalar, [m] vector, [p, q] matrix, … */
  readonly outputShape: readonly number[];
  private readonly kernel: Kernel;

  /** @internal Use `compile` or `fn`. */
  constructor(tape: TapeData, inputs: readonly InputDecl[], outputShape: readonly number[], vars?: readonly string[]) {
    this.kernel = new Kernel(tape);
    this.inputs = inputs;
    this.outputShape = outputShape;
    this.vars = vars ?? inputs.flatMap((d) => entryNames(d));
  }

  /** Shape of the input when there is one; with several inputs, [n] over the flat input vector. */
  get inputShape(): readonly number[] {
    return this.inputs.length === 1 ? this.inputs[0].shape : [this.n];
  }

  /** Number of scalar inputs n (all inputs' entries). */
  get n(): number {
    return this.kernel.nIn;
  }

  /** Number of scalar outputs m (1 for a scalar function). */
  get m(): number {
    return this.kernel.nOut;
  }

  /** Instructions, slots and constants of the compiled tape (shared subexpressions appear once). */
  get tapeSize(): { instructions: number; slots: number; constants: number } {
    return this.kernel.size;
  }

  /** f(x), shaped like the output; for a batch, a Tensor [N, ...output]. */
  eval(x: PlainPoint, options?: EvalOptions): S;
  eval(x: Point, options?: EvalOptions): S | Tensor;
  eval(x: Point, options: EvalOptions = {}): S | Tensor {
    checkOptions(options);
    const args = this.args(x);
    const out = this.output(args, this.outputShape, options.out);
    this.kernel.values(args.segments, args.count, out);
    return this.shaped(args, this.outputShape, out) as S | Tensor;
  }

  /**
   * ∇f of a scalar f, shaped like the input (a number for a scalar input, a
   * Float64Array for a vector, a Tensor otherwise); with several inputs, a record of
   * those by input name (or one, with `wrt`). A batch adds a leading axis N.
   */
  grad(x: PlainPoint, options?: JacobianOptions): G;
  grad(x: Point, options?: JacobianOptions): G | Tensor | Record<string, Tensor>;
  grad(x: Point, options: JacobianOptions = {}): G | Tensor | Record<string, Shaped> {
    checkOptions(options);
    if (this.outputShape.length !== 0) {
      throw new ShapeError(`grad needs a scalar function; this one has output shape ${describeShape(this.outputShape)} (use jacobian)`);
    }
    return this.derivative(x, options, (args, d, out) => this.shaped(args, d.shape, out)) as G;
  }

  /**
   * The derivative with respect to each input, shaped [...output, ...input] (a
   * Tensor; a record of Tensors by input name with several inputs, or one with
   * `wrt`). For a batch, [N, ...output, ...input].
   */
  jacobian(x: Point, options: JacobianOptions = {}): J {
    checkOptions(options);
    return this.derivative(x, options, (args, d, out) =>
      new Tensor([...(args.batched ? [args.count] : []), ...this.outputShape, ...d.shape], out)) as J;
  }

  /**
   * ∂f/∂v for one scalar input entry `v` (a name from `vars`, a scalar input's name,
   * or a flat index): shaped like the output; for a batch, [N, ...output].
   */
  partial(variable: string | number, x: PlainPoint, options?: DerivativeOptions): S;
  partial(variable: string | number, x: Point, options?: DerivativeOptions): S | Tensor;
  partial(variable: string | number, x: Point, options: DerivativeOptions = {}): S | Tensor {
    checkOptions(options);
    const i = this.variableIndex(variable);
    return this.alongSeeds(this.args(x), columns(i, 1), options);
  }

  /**
   * The Jacobian-vector product J(x)·v, with v shaped like the inputs (a record for
   * several inputs; batched or shared like the point): the directional derivative
   * along v, not normalized. Shaped like the output; for a batch, [N, ...output].
   */
  jvp(x: PlainPoint, v: PlainPoint, options?: DerivativeOptions): S;
  jvp(x: Point, v: Point, options?: DerivativeOptions): S | Tensor;
  jvp(x: Point, v: Point, options: DerivativeOptions = {}): S | Tensor {
    return this.along(x, v, options, "tangent");
  }
  /** The directional derivative J(x)·v (v not normalized): the same as `jvp`. */
  directional(x: PlainPoint, v: PlainPoint, options?: DerivativeOptions): S;
  directional(x: Point, v: Point, options?: DerivativeOptions): S | Tensor;
  directional(x: Point, v: Point, options: DerivativeOptions = {}): S | Tensor {
    return this.along(x, v, options, "direction");
  }

  /** ∇·f(x) = Σ ∂f_i/∂x_i of a vector field ℝⁿ → ℝⁿ: a number; for a batch, a Tensor [N]. */
  divergence(x: PlainPoint, options?: DerivativeOptions): number;
  divergence(x: Point, options?: DerivativeOptions): number | Tensor;
  divergence(x: Point, options: DerivativeOptions = {}): number | Tensor {
    this.requireField("divergence", [this.n]);
    return this.field("divergence", x, options, []) as number | Tensor;
  }

  /**
   * The curl of a 2-D field (∂f1/∂x0 − ∂f0/∂x1, a number) or of a 3-D field (a
   * Float64Array(3)); for a batch, a Tensor [N] or [N, 3].
   */
  curl(x: PlainPoint, options?: DerivativeOptions): number | Float64Array;
  curl(x: Point, options?: DerivativeOptions): number | Float64Array | Tensor;
  curl(x: Point, options: DerivativeOptions = {}): number | Float64Array | Tensor {
    this.requireField("curl", [2, 3]);
    return this.field("curl", x, options, this.n === 3 ? [3] : []);
  }

  /**
   * det J(x) for a map between spaces of equal dimension (all inputs' entries → the
   * output's entries): how much a small patch of volume is stretched (> 1) or
   * squeezed (< 1) near x, negative where the map flips orientation. A number; for
   * a batch, a Tensor [N].
   */
  jacobianDeterminant(x: PlainPoint, options?: DerivativeOptions): number;
  jacobianDeterminant(x: Point, options?: DerivativeOptions): number | Tensor;
  jacobianDeterminant(x: Point, options: DerivativeOptions = {}): number | Tensor {
    if (this.m !== this.n) {
      throw new ShapeError(`jacobianDeterminant needs as many outputs as inputs; this function has ${this.n} inputs and ${this.m} outputs`);
    }
    return this.field("determinant", x, options, []) as number | Tensor;
  }

  /** Frees the function's WebAssembly memory now (otherwise it is freed when garbage-collected). */
  dispose(): void {
    this.kernel.dispose();
  }

  /** Jacobian blocks, one per input (or the `wrt` one), each presented by `present`. */
  private derivative<R>(x: Point, options: JacobianOptions,
                        present: (args: Args, d: InputDecl, out: Float64Array) => R): R | Record<string, R> {
    const args = this.args(x);
    const kind = this.kind(options);
    const wanted = this.wanted(options.wrt);
    if (options.out !== undefined && wanted.length > 1) {
      throw new InputError(`out holds one array; with ${wanted.length} inputs pass { wrt } to choose one`);
    }
    const m = this.m;
    const results = wanted.map((d) => {
      const out = this.output(args, [m, d.size], options.out);
      const layout: TangentLayout = { point: m * d.size, out: d.size, lane: 1, offset: 0 };
      this.kernel.tangents(kind, args.segments, args.count, columns(d.offset, d.size), out, layout);
      return present(args, d, out);
    });
    if (this.inputs.length === 1 || options.wrt !== undefined) return results[0];
    return Object.fromEntries(wanted.map((d, i) => [d.name, results[i]]));
  }

  private wanted(wrt: unknown): readonly InputDecl[] {
    if (wrt === undefined) return this.inputs;
    const d = this.inputs.find((i) => i.name === wrt);
    if (!d) throw new InputError(`wrt names an input; '${String(wrt)}' is not one of ${this.inputs.map((i) => i.name).join(", ")}`);
    return [d];
  }

  /** J(x)·v for a tangent `v` shaped like the inputs; `what` names v in errors. */
  private along(x: Point, v: Point, options: DerivativeOptions, what: string): S | Tensor {
    checkOptions(options);
    const args = this.args(x);
    const tangent = readArgs(this.inputs, v, what);
    if (tangent.batched && (!args.batched || tangent.count !== args.count)) {
      throw new ShapeError(`a batch of ${tangent.count} ${what}s needs a batch of as many points, got ${args.batched ? `${args.count} points` : "one point"}`);
    }
    return this.alongSeeds(args, { identity: false, tangent: tangent.segments }, options);
  }

  private alongSeeds(args: Args, seeds: Seeds, options: DerivativeOptions): S | Tensor {
    const out = this.output(args, this.outputShape, options.out);
    const layout: TangentLayout = { point: this.m, out: 1, lane: 0, offset: 0 };
    this.kernel.tangents(this.kind(options), args.segments, args.count, seeds, out, layout);
    return this.shaped(args, this.outputShape, out) as S | Tensor;
  }

  private field(op: "divergence" | "curl" | "determinant", x: Point, options: DerivativeOptions,
                shape: readonly number[]): number | Float64Array | Tensor {
    checkOptions(options);
    const args = this.args(x);
    const out = this.output(args, shape, options.out);
    this.kernel.field(op, this.kind(options), args.segments, args.count, out);
    return this.shaped(args, shape, out);
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
    if (this.kernel.isDisposed) throw new InputError("this function has been disposed");
    return readArgs(this.inputs, x, "point");
  }

  private kind(options: DerivativeOptions): Kind.Forward | Kind.FiniteDiff {
    return readMode(options.mode) === "fd" ? Kind.FiniteDiff : Kind.Forward;
  }

  private output(args: Args, shape: readonly number[], out: unknown): Float64Array {
    const size = args.count * sizeOf(shape);
    return checkOut(out, size) ?? new Float64Array(size);
  }

  /** One point: a number, Float64Array or Tensor by rank; a batch: a Tensor with leading N. */
  private shaped(args: Args, shape: readonly number[], out: Float64Array): Shaped {
    if (args.batched) return new Tensor([args.count, ...shape], out);
    if (shape.length === 0) return out[0];
    return shape.length === 1 ? out : new Tensor(shape, out);
  }

  private variableIndex(variable: string | number): number {
    if (typeof variable === "number") {
      if (!Number.isInteger(variable) || variable < 0 || variable >= this.n) {
        throw new InputError(`variable index must be a whole number from 0 to ${this.n - 1}, got ${variable}`);
      }
      return variable;
    }
    const i = this.vars.indexOf(variable);
    if (i < 0) throw new InputError(`unknown variable '${variable}'; the variables are ${this.vars.join(", ")}`);
    return i;
  }
}

function checkOptions(options: unknown): void {
  if (typeof options !== "object" || options === null) throw new InputError(`options must be an object, got ${String(options)}`);
}

/** Names of an input's scalar entries: `t` for a scalar, `x[0]`, `A[1][2]`, … */
function entryNames(d: InputDecl): string[] {
  if (d.shape.length === 0) return [d.name];
  const names: string[] = [];
  const index = new Array<number>(d.shape.length).fill(0);
  for (let k = 0; k < d.size; k++) {
    names.push(d.name + index.map((i) => `[${i}]`).join(""));
    for (let a = d.shape.length - 1; a >= 0; a--) {
      if (++index[a] < d.shape[a]) break;
      index[a] = 0;
    }
  }
  return names;
}
