// Func: a compiled function and its derivatives, at one point or a batch.
import { InputError, ShapeError } from "./errors.js";
import { Kernel, Kind, identitySeeds, type Seeds, type TangentLayout } from "./kernel.js";
import { Tensor, type TensorLike } from "./tensor.js";
import { checkOut, describeShape, readMode, readPoints, type Mode, type Points } from "./validate.js";
import type { TapeData } from "./compile.js";

/** One point: an array or typed array with one entry per input variable. */
export type Point = ArrayLike<number>;

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

/** Options of `eval`. */
export interface EvalOptions {
  out?: Float64Array;
}

/**
 * A compiled function f: ℝⁿ → ℝ (`S` = number) or ℝⁿ → ℝᵐ (`S` = Float64Array).
 *
 * Every method takes one point (an array of n numbers) or a batch (a Tensor of shape
 * [N, n]); a batch adds a leading axis N to the result, which is then always a Tensor.
 * Index convention: J[i*n + j] = ∂f_i/∂x_j (row-major, output axes first).
 */
export class Func<S extends number | Float64Array = number | Float64Array> {
  /** Names of the input variables, in input order. */
  readonly vars: readonly string[];
  /** Shape of the input: [n]. */
  readonly inputShape: readonly number[];
  /** Shape of the output: [] for a scalar function, [m] for a vector function. */
  readonly outputShape: readonly number[];
  private readonly kernel: Kernel;

  /** @internal Use `compile` or `fn`. */
  constructor(tape: TapeData, vars: readonly string[], outputShape: readonly number[]) {
    this.kernel = new Kernel(tape);
    this.vars = Object.freeze([...vars]);
    this.inputShape = Object.freeze([vars.length]);
    this.outputShape = Object.freeze([...outputShape]);
  }

  /** Number of inputs n. */
  get n(): number {
    return this.kernel.nIn;
  }

  /** Number of outputs m (1 for a scalar function). */
  get m(): number {
    return this.kernel.nOut;
  }

  /** Instructions, slots and constants of the compiled tape (shared subexpressions appear once). */
  get tapeSize(): { instructions: number; slots: number; constants: number } {
    return this.kernel.size;
  }

  /** f(x): a number (scalar f) or Float64Array(m); for a batch [N, n], a Tensor [N] or [N, m]. */
  eval(x: Point, options?: EvalOptions): S;
  eval(x: TensorLike, options?: EvalOptions): Tensor;
  eval(x: Point | TensorLike, options: EvalOptions = {}): S | Tensor {
    const pts = this.points(x);
    const out = this.output(pts, this.outputShape, options.out);
    this.kernel.values(pts.data, pts.count, out);
    return this.shaped(pts, this.outputShape, out);
  }

  /** ∇f(x) of a scalar f: Float64Array(n); for a batch [N, n], a Tensor [N, n]. */
  grad(x: Point, options?: DerivativeOptions): Float64Array;
  grad(x: TensorLike, options?: DerivativeOptions): Tensor;
  grad(x: Point | TensorLike, options: DerivativeOptions = {}): Float64Array | Tensor {
    if (this.outputShape.length !== 0) {
      throw new ShapeError(`grad needs a scalar function; this one has output shape ${describeShape(this.outputShape)} (use jacobian)`);
    }
    const pts = this.points(x);
    const out = this.jacobianData(pts, options);
    return pts.batched ? new Tensor([pts.count, this.n], out) : out;
  }

  /**
   * ∂f/∂x_i for the variable named `variable` (or index i): shaped like the output
   * (a number for scalar f); for a batch, a Tensor [N, ...output].
   */
  partial(variable: string | number, x: Point, options?: DerivativeOptions): S;
  partial(variable: string | number, x: TensorLike, options?: DerivativeOptions): Tensor;
  partial(variable: string | number, x: Point | TensorLike, options: DerivativeOptions = {}): S | Tensor {
    const i = this.variableIndex(variable);
    const seed = new Float64Array(this.n);
    seed[i] = 1;
    return this.alongSeeds(x, { data: seed, lanes: 1, stride: 0 }, options);
  }

  /**
   * The directional derivative J(x)·v (v is not normalized), shaped like the output.
   * `v` has n entries, or is a batch [N, n] matching a batch of points.
   */
  directional(x: Point, v: Point, options?: DerivativeOptions): S;
  directional(x: TensorLike, v: Point | TensorLike, options?: DerivativeOptions): Tensor;
  directional(x: Point | TensorLike, v: Point | TensorLike, options: DerivativeOptions = {}): S | Tensor {
    const dir = readPoints(v, this.n, "direction");
    if (dir.batched) {
      const pts = this.points(x);
      if (!pts.batched || pts.count !== dir.count) {
        throw new ShapeError(`a batch of directions [${dir.count}, ${this.n}] needs a batch of as many points, got ${pts.batched ? `[${pts.count}, ${this.n}]` : "one point"}`);
      }
    }
    return this.alongSeeds(x, { data: dir.data, lanes: 1, stride: dir.batched ? this.n : 0 }, options);
  }

  /**
   * The Jacobian, a Tensor shaped [...output, n]: [m, n] for a vector f
   * (J[i*n + j] = ∂f_i/∂x_j), [n] for a scalar f. For a batch [N, n]: [N, ...output, n].
   */
  jacobian(x: Point | TensorLike, options: DerivativeOptions = {}): Tensor {
    const pts = this.points(x);
    const shape = [...this.outputShape, this.n];
    return new Tensor(pts.batched ? [pts.count, ...shape] : shape, this.jacobianData(pts, options));
  }

  /** ∇·f(x) = Σ ∂f_i/∂x_i of a field with m = n: a number; for a batch, a Tensor [N]. */
  divergence(x: Point, options?: DerivativeOptions): number;
  divergence(x: TensorLike, options?: DerivativeOptions): Tensor;
  divergence(x: Point | TensorLike, options: DerivativeOptions = {}): number | Tensor {
    if (this.m !== this.n || this.outputShape.length !== 1) {
      throw new ShapeError(`divergence needs a vector field with as many outputs as inputs; this one maps ${describeShape(this.inputShape)} to ${describeShape(this.outputShape)}`);
    }
    const pts = this.points(x);
    const out = this.output(pts, [], options.out);
    this.kernel.field("divergence", this.kind(options), pts.data, pts.count, out);
    return pts.batched ? new Tensor([pts.count], out) : out[0];
  }

  /**
   * The curl of a 2-D field (∂f1/∂x0 − ∂f0/∂x1, a number) or of a 3-D field (a
   * Float64Array(3)); for a batch, a Tensor [N] or [N, 3].
   */
  curl(x: Point, options?: DerivativeOptions): number | Float64Array;
  curl(x: TensorLike, options?: DerivativeOptions): Tensor;
  curl(x: Point | TensorLike, options: DerivativeOptions = {}): number | Float64Array | Tensor {
    const n = this.n;
    if (this.m !== n || (n !== 2 && n !== 3) || this.outputShape.length !== 1) {
      throw new ShapeError(`curl is defined for 2-D and 3-D vector fields (2 → 2 or 3 → 3); this function maps ${describeShape(this.inputShape)} to ${describeShape(this.outputShape)}`);
    }
    const pts = this.points(x);
    const shape = n === 3 ? [3] : [];
    const out = this.output(pts, shape, options.out);
    this.kernel.field("curl", this.kind(options), pts.data, pts.count, out);
    if (pts.batched) return new Tensor([pts.count, ...shape], out);
    return n === 3 ? out : out[0];
  }

  /** Frees the function's WebAssembly memory now (otherwise it is freed when garbage-collected). */
  dispose(): void {
    this.kernel.dispose();
  }

  private jacobianData(pts: Points, options: DerivativeOptions): Float64Array {
    const n = this.n, m = this.m;
    const out = this.output(pts, [m, n], options.out);
    const layout: TangentLayout = { point: m * n, out: n, lane: 1, offset: 0 };
    this.kernel.tangents(this.kind(options), pts.data, pts.count, identitySeeds(n), out, layout);
    return out;
  }

  private alongSeeds(x: Point | TensorLike, seeds: Seeds, options: DerivativeOptions): S | Tensor {
    const pts = this.points(x);
    const out = this.output(pts, this.outputShape, options.out);
    const layout: TangentLayout = { point: this.m, out: 1, lane: 0, offset: 0 };
    this.kernel.tangents(this.kind(options), pts.data, pts.count, seeds, out, layout);
    return this.shaped(pts, this.outputShape, out);
  }

  private points(x: unknown): Points {
    if (this.kernel.isDisposed) throw new InputError("this function has been disposed");
    return readPoints(x, this.n, "point");
  }

  private kind(options: DerivativeOptions): Kind.Forward | Kind.FiniteDiff {
    if (typeof options !== "object" || options === null) throw new InputError(`options must be an object, got ${String(options)}`);
    return readMode(options.mode) === "fd" ? Kind.FiniteDiff : Kind.Forward;
  }

  private output(pts: Points, shape: readonly number[], out: unknown): Float64Array {
    let size = pts.count;
    for (const s of shape) size *= s;
    return checkOut(out, size) ?? new Float64Array(size);
  }

  private shaped(pts: Points, shape: readonly number[], out: Float64Array): S | Tensor {
    if (pts.batched) return new Tensor([pts.count, ...shape], out);
    return (shape.length === 0 ? out[0] : out) as S;
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
