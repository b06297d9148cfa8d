// Type tests: compiled (not run) under `tsc --strict` by test/package/types.test.ts,
// against the built declarations as a user's project sees them ("gradients" resolves
// to dist/ through the package's exports). Each `same<A, B>()` fails to compile
// unless A and B are the same type.
import { compile, det, fn, fd, fit, grid, reparam, buffer, createPool, Tensor, WasmBuffer, type Linearization, type Func, type SparseJacobian } from "gradients";
import { derivative } from "gradients/symbolic";
import { gradient } from "gradients/grid";

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false;
declare function same<A, B>(...proof: Equal<A, B> extends true ? [] : [never]): void;
declare const x3: Float64Array;

// compile: a scalar function of named variables
const f = compile("x^2*y + z", { vars: ["x", "y", "z"] });
const value: number = f.eval([1, 2, 3]);
const gradient3: Float64Array = f.grad([1, 2, 3]);
const hessian: Tensor = f.hessian([1, 2, 3]);
same<typeof value, number>();
same<typeof gradient3, Float64Array>();

// fn of one vector: grad is a Float64Array, jacobian a Tensor
const g = fn(3, (v) => v.at(0).mul(v.at(1)));
const gg = g.grad([1, 2, 3]);
same<typeof gg, Float64Array>();
const h = fn({ x: 3 }, ({ x }) => x.sum());
const hg = h.grad([1, 2, 3]);
same<typeof hg, Float64Array>();
const hj = h.jacobian([1, 2, 3]);
same<typeof hj, Tensor>();
hj.get(0);

// nested arrays of traced nodes are operands (no cast): a 2×2 matrix of them
const nested = fn(2, (v) => det([[v.at(0), 1], [0, v.at(1)]]));
const nestedGrad = nested.grad([1, 2]);
same<typeof nestedGrad, Float64Array>();

// several named inputs: records keyed by the declared names
const m = fn({ A: [2, 2], x: 2, t: [] }, ({ A, x, t }) => A.matvec(x).dot(x).mul(t));
const mg = m.grad({ A: [1, 0, 0, 1], x: [1, 2], t: 3 });
same<typeof mg, { A: Tensor; x: Float64Array; t: number }>();
const mj = m.jacobian({ A: [1, 0, 0, 1], x: [1, 2], t: 3 });
same<typeof mj, { A: Tensor; x: Tensor; t: Tensor }>();

// out: a WasmBuffer comes back as itself
const wb = f.eval(new Tensor([2, 3], x3.subarray(0, 6)), { out: buffer([2]) });
same<typeof wb, WasmBuffer>();

// sparseJacobian: CSR arrays
const sj = g.sparseJacobian([1, 2, 3]);
same<typeof sj, SparseJacobian>();
same<typeof sj.values, Float64Array>();

// Float32 batches: results in single precision
const b32 = { shape: [2, 3], data: new Float32Array(6) };
const hj32 = h.jacobian(b32);
same<typeof hj32, Tensor<Float32Array>>();
const g32 = f.grad(b32);
same<typeof g32, Float32Array | Tensor<Float32Array> | { [name: string]: Tensor<Float32Array> }>();
const e32 = f.eval(b32);
same<typeof e32, number | Tensor<Float32Array>>();

// linearize
const lin: Linearization<number, Tensor> = f.linearize([1, 2, 3]);
same<typeof lin.value, number>();

// fd: the callback's argument is typed without an annotation
const e = fd.grad((p) => p[0] * p[1], [1, 2]);
same<typeof e.value, Float64Array>();
const eb = fd.grad((p) => p[0], new Tensor([2, 1], Float64Array.of(1, 2)));
same<typeof eb.value, Tensor>();
const ev = fd.grad((P) => P.data, new Tensor([2, 1], Float64Array.of(1, 2)), { vectorized: true });
same<typeof ev.value, Tensor>();

// grid: axis a number gives one field, of the input's kind; curl by the shape's rank
const field = new Float64Array(16), field32 = new Float32Array(16);
const dx = grid.gradient(field, [4, 4], { axis: 1 });
same<typeof dx, Float64Array>();
const [gy, gx] = gradient(field32, [4, 4]);
same<typeof gy, Float32Array>();
same<typeof gx, Float32Array>();
const c2 = grid.curl([field, field], [4, 4]);
same<typeof c2, Float64Array>();
const c3 = grid.curl([field, field, field], [2, 2, 4]);
same<typeof c3, [Float64Array, Float64Array, Float64Array]>();
// a shape or axis list written out gives a tuple (destructuring needs no check under noUncheckedIndexedAccess);
// one of unknown length, an array
same<typeof gy, Float32Array>();
const pair = grid.gradient(field, [4, 4]);
same<typeof pair, [Float64Array, Float64Array]>();
const picked = grid.gradient(field, [4, 4], { axis: [1, 0] });
same<typeof picked, [Float64Array, Float64Array]>();
const anyShape: number[] = [4, 4];
const many = grid.gradient(field, anyShape);
same<typeof many, Float64Array[]>();
const pairAsync = grid.gradientAsync(field, [4, 4]);
same<typeof pairAsync, Promise<[Float64Array, Float64Array]>>();

// fit: p0 by name types the parameters (p.b1 is a number, even under noUncheckedIndexedAccess); an array does not
const fitted = fit("b1*(1-exp(-b2*x))", { x: [1, 2], y: [1, 2] }, { b1: 500, b2: 1e-4 });
same<typeof fitted.p, Record<"b1" | "b2", number>>();
same<typeof fitted.names, ("b1" | "b2")[]>();
const fittedByOrder = fit("b1*(1-exp(-b2*x))", { x: [1, 2], y: [1, 2] }, [500, 1e-4]);
same<typeof fittedByOrder.p, Record<string, number>>();

// reparam: the form of the Gaussian decides the keys
const s = compile("z^2", { vars: ["z"] });
const bySigma = reparam.gaussian(s, { mu: [0], sigma: [1] }, { samples: 10, seed: 1 });
same<typeof bySigma.dsigma, Float64Array>();
same<typeof bySigma.stderr.dsigma, Float64Array>();
const byLog = reparam.gaussian(s, { mu: [0], logSigma: [0] }, { samples: 10, seed: 1 });
same<typeof byLog.dlogSigma, Float64Array>();

// async methods and pools
async function pooled(fun: Func<number, Float64Array, Tensor>) {
  const pool = createPool({ size: 2 });
  const J = await fun.jacobianAsync(new Tensor([2, 3], x3.subarray(0, 6)), { pool });
  same<typeof J, Tensor>();
  await pool.terminate();
}
void pooled;

// the symbolic subpath
const d: string = derivative("x^3", "x");
void [d, hessian];
const probe1: { A: Tensor; x: Float64Array; t: number } = mg;
const probe2: { A: Tensor; x: Tensor; t: Tensor } = mj;
void [probe1, probe2];

// out: a WasmBuffer comes back as itself from every method that takes out
const batch3 = new Tensor([2, 3], x3.subarray(0, 6));
const hb = f.hessian(batch3, { out: buffer([2, 3, 3]) });
same<typeof hb, WasmBuffer>();
const lb = f.laplacian(batch3, { out: buffer([2]) });
same<typeof lb, WasmBuffer>();
const jb = f.jvp(batch3, [1, 0, 0], { out: buffer([2]) });
same<typeof jb, WasmBuffer>();

// the body's vector is a plain Node: a wrapper generic over the length compiles, and so does
// putting new Nodes where the traced input was (an iterated model)
export function vectorFunction<N extends number>(n: N) {
  return fn(n, (x) => x.sin().sum());
}
export const iterated = fn(3, (x) => {
  let v = x;
  for (let k = 0; k < 3; k++) v = v.sin().mul(2);
  x = x.add(v);
  return x.sum();
});
