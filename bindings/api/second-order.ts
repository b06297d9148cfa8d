// Second derivatives of a scalar function, each a forward sweep over its exact
// gradient's own compiled function (the symbolic gradient of ir/gradient.ts):
// the Hessian (dense, or by colored columns where it is sparse), Hessian-vector
// products and the Laplacian. Func's methods call these with a view of itself.
import { ShapeError } from "../base/errors.js";
import { Kind } from "../ops/abi.js";
import type { Coloring } from "../ir/sparsity.js";
import type { BatchSum, Kernel } from "../runtime/kernel.js";
import { ONE_POINT, readReduce, scalePoints, sharedInput } from "./batch-sum.js";
import type { Tensor } from "../base/tensor.js";
import { readArgs, type Args, type InputDecl } from "./validate.js";
import { forwardSweepFor, sweepFor } from "./modes.js";
import { resultFor, shaped, tensor } from "./results.js";
import type { DerivativeOptions, JacobianOptions, Shaped } from "./func.js";

/** What these need of a scalar function and of its gradient's compiled function. */
export interface SecondOrderView {
  readonly inputs: readonly InputDecl[];
  /** The variables' names (a point or tangent may name them). */
  readonly vars: readonly string[];
  /** Scalar inputs in all. */
  readonly n: number;
  /** The point(s), read and checked. */
  args(x: unknown): Args;
  /** The gradient's kernel. */
  readonly gradient: Kernel;
  /** Block ∂(gradient entries oLo…)/∂(inputs iLo…) of the gradient, into `out` (see Func's jacobian). */
  gradientBlock(args: Args, kind: Kind.Forward | Kind.FiniteDiff | Kind.Reverse, oLo: number, mo: number, iLo: number, ni: number,
                out: Float64Array | { readonly address: number }, sum?: BatchSum): void;
  /** The Hessian's column coloring, or undefined when it saves no sweep. */
  coloring(): Coloring | undefined;
  /** A coloring for the Hessian's diagonal alone (sparsity.ts colorDiagonal), or undefined when it saves no sweep. */
  diagonalColoring(): Coloring | undefined;
  /** Refuses `out` where the result is a record by input name. */
  singleOut(options: DerivativeOptions, what: string): void;
  /** One result, or a record by input name with several inputs (of `wanted`; a `wrt` string: one result). */
  byInput<R>(results: R[], wanted?: readonly InputDecl[], wrt?: unknown): R | Record<string, R>;
  /** The inputs a `wrt` option names (all without one), checked. */
  wanted(wrt: unknown): readonly InputDecl[];
}

/** The Hessian: [...input, ...input] (a record H[a][b] with several inputs), with a leading N for a batch. */
export function hessian(f: SecondOrderView, x: unknown, options: DerivativeOptions): Tensor | Record<string, Record<string, Tensor>> {
  const args = f.args(x), sum = readReduce(options, args, "hessian");
  const kind = sweepFor(options);
  // A block is summed over a reduced batch when both its inputs are shared (∂²R/∂θ²); else it keeps the axis.
  const summed = (a: InputDecl, b: InputDecl) => sum !== undefined && sharedInput(args, f.inputs.indexOf(a)) && sharedInput(args, f.inputs.indexOf(b));
  const shapeOf = (a: InputDecl, b: InputDecl) => (summed(a, b) ? ONE_POINT : args);
  const lead = (a: InputDecl, b: InputDecl) => (shapeOf(a, b).batched ? [args.count] : []);
  const coloring = f.inputs.length === 1 && kind === Kind.Forward ? f.coloring() : undefined;
  if (coloring) {
    const d = f.inputs[0], shape = d.shape;
    const data = resultFor(shapeOf(d, d), [f.n, f.n], options.out);
    f.gradient.coloredJacobian(args.segments, args.count, coloring, data, summed(d, d) ? sum : undefined);
    if (sum && !summed(d, d)) scalePoints(data, f.n * f.n, sum);
    return tensor([...lead(d, d), ...shape, ...shape], data);
  }
  const block = (a: InputDecl, b: InputDecl, out?: unknown) => {
    const data = resultFor(shapeOf(a, b), [a.size, b.size], out);
    f.gradientBlock(args, kind, a.offset, a.size, b.offset, b.size, data, summed(a, b) ? sum : undefined);
    if (sum && !summed(a, b)) scalePoints(data, a.size * b.size, sum);
    return tensor([...lead(a, b), ...a.shape, ...b.shape], data);
  };
  if (f.inputs.length === 1) return block(f.inputs[0], f.inputs[0], options.out);
  f.singleOut(options, "hessian");
  return Object.fromEntries(f.inputs.map((a) => [a.name, Object.fromEntries(f.inputs.map((b) => [b.name, block(a, b)]))]));
}

/**
 * The Hessian's diagonal ∂²f/∂xᵢ², shaped like the inputs (a record with several;
 * `wrt`: of those named). With a coloring for the diagonal (sparsity.ts
 * colorDiagonal, over all inputs' entries), one forward sweep over the gradient
 * per 16 colors, taking entry (i, color of i) of each compressed row for the
 * wanted inputs' entries; otherwise a sweep per 16 entries, each computing a
 * 16 × 16 diagonal block of the Hessian. Never the whole Hessian: memory per
 * point is O(n·colors) or O(n).
 */
export function hessianDiagonal(f: SecondOrderView, x: unknown, options: JacobianOptions): Shaped | Record<string, Shaped> {
  const args = f.args(x), sum = readReduce(options, args, "hessianDiagonal");
  const kind = forwardSweepFor(options, "hessianDiagonal");
  const wanted = f.wanted(options.wrt);
  if (typeof options.wrt !== "string") f.singleOut(options, "hessianDiagonal");
  const coloring = kind === Kind.Forward ? f.diagonalColoring() : undefined;
  return f.byInput(wanted.map((d) => {
    const summed = sum && sharedInput(args, f.inputs.indexOf(d)), shape = summed ? ONE_POINT : args;
    const out = resultFor(shape, d.shape, options.out);
    if (coloring) { // (its sweeps give every input's entries; each wanted input runs them and takes its own: `wrt` saves the rest)
      f.gradient.coloredDiagonal(args.segments, args.count, coloring, out, summed ? sum : undefined, d.offset, d.offset + d.size);
    } else {
      // (every block's sweeps read the point, which `out` may hold: the diagonal goes there after the last)
      const perPoint = summed ? 1 : args.count, diagonal = new Float64Array(perPoint * d.size);
      for (let c0 = 0; c0 < d.size; c0 += LANES) {
        const K = Math.min(LANES, d.size - c0), lo = d.offset + c0, block = new Float64Array(perPoint * K * K);
        f.gradientBlock(args, kind, lo, K, lo, K, block, summed ? sum : undefined);
        for (let p = 0; p < perPoint; p++) for (let l = 0; l < K; l++) diagonal[p * d.size + c0 + l] = block[(p * K + l) * K + l];
      }
      (out instanceof Float64Array ? out : out.data).set(diagonal); // (a buffer's view now: memory may have grown)
    }
    if (sum && !summed) scalePoints(out, d.size, sum);
    return shaped(shape, d.shape, out);
  }), wanted, options.wrt);
}

/** Entries of the Hessian's diagonal per sweep without a coloring (the sweeps' lane count). */
const LANES = 16;

/** H(x)·v in one forward pass over the gradient, shaped like the inputs. */
export function hvp(f: SecondOrderView, x: unknown, v: unknown, options: DerivativeOptions): Shaped | Record<string, Shaped> {
  const args = f.args(x);
  const tangent = readArgs(f.inputs, v, "tangent", f.vars);
  if (tangent.batched && (!args.batched || tangent.count !== args.count)) {
    throw new ShapeError(`a batch of ${tangent.count} tangents needs a batch of as many points, got ${args.batched ? `${args.count} points` : "one point"}`);
  }
  const kind = forwardSweepFor(options, "hvp");
  f.singleOut(options, "hvp");
  const sum = readReduce(options, args, "hvp");
  return f.byInput(f.inputs.map((d, i) => {
    const summed = sum && sharedInput(args, i), shape = summed ? ONE_POINT : args;
    const out = resultFor(shape, d.shape, options.out);
    f.gradient.tangents(kind, args.segments, args.count, { identity: false, tangent: tangent.segments }, out,
      { point: d.size, out: 1, lane: 0, offset: 0 }, [d.offset, d.offset + d.size], summed ? sum : undefined);
    if (sum && !summed) scalePoints(out, d.size, sum);
    return shaped(shape, d.shape, out);
  }));
}

/** Σᵢ ∂²f/∂xᵢ²: the divergence of the gradient. */
export function laplacian(f: SecondOrderView, x: unknown, options: DerivativeOptions): number | Tensor {
  const args = f.args(x), sum = readReduce(options, args, "laplacian"), shape = sum ? ONE_POINT : args;
  const out = resultFor(shape, [], options.out);
  f.gradient.field("divergence", forwardSweepFor(options, "laplacian"), args.segments, args.count, out, sum);
  return shaped(shape, [], out) as number | Tensor;
}
