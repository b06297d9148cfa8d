// Every options object is checked: an unknown key is an InputError that names it
// and, where one is close, the known key the user meant (numpy's edge_order is
// edgeOrder here), instead of being silently ignored.
import { describe, expect, it } from "vitest";
import {
  checkGrad, compile, createPool, derivative, fd, findRoot, fit, fn, grid, InputError, leastSquares, minimize, reparam, scan,
} from "../../bindings/index.js";
import { expectThrows } from "../support/helpers.js";

const f = compile("x^2 + y^2", { vars: ["x", "y"] });
const field = new Float64Array(25).map((_, i) => i * i);

describe("unknown option keys", () => {
  it.each([
    ["grid.gradient edge_order", () => grid.gradient(field, [5, 5], { edge_order: 2 } as never), /unknown option 'edge_order' of grid\.gradient; did you mean 'edgeOrder'\?/],
    ["grid.laplacian axis (gradient's, not its own)", () => grid.laplacian(field, [5, 5], { axis: 0 } as never), /unknown option 'axis' of grid\.laplacian/],
    ["minimize maxIter", () => minimize(f, [1, 1], { maxIter: 3 } as never), /unknown option 'maxIter' of minimize; did you mean 'maxIterations'\?/],
    ["fd richardsen", () => fd.grad((x) => x[0] ** 2, [1], { richardsen: 2 } as never), /unknown option 'richardsen' of fd.grad; did you mean 'richardson'\?/],
    ["compile variables", () => compile("x", { variables: ["x"] } as never), /unknown option 'variables' of compile; did you mean 'vars'\?/],
    ["grad wrtt", () => f.grad([1, 2], { wrtt: "x" } as never), /unknown option 'wrtt' of grad; did you mean 'wrt'\?/],
    ["eval mode (eval has none)", () => f.eval([1, 2], { mode: "forward" } as never), /unknown option 'mode' of eval \(its options are out, reduce, weights\)/],
    ["hessian modes", () => f.hessian([1, 2], { modes: "forward" } as never), /unknown option 'modes' of hessian; did you mean 'mode'\?/],
    ["prepare(method) Mode", () => f.prepare("eval", { Mode: "forward" } as never), /unknown option 'Mode' of prepare; did you mean 'mode'\?/],
    ["reparam.gaussian seeds", () => reparam.gaussian(f, { mu: [0, 0], sigma: [1, 1] }, { samples: 10, seed: 1, seeds: 2 } as never), /unknown option 'seeds' of reparam\.gaussian; did you mean 'seed'\?/],
    ["leastSquares maxIteration", () => leastSquares(compile(["x - 1", "y"], { vars: ["x", "y"] }), [0, 0], { maxIteration: 3 } as never), /did you mean 'maxIterations'\?/],
    ["fit respons", () => fit("a*x", { x: [1, 2], y: [2, 4] }, { a: 1 }, { respons: "y" } as never), /unknown option 'respons' of fit; did you mean 'response'\?/],
    ["findRoot tol", () => findRoot(compile(["x - 1"], { vars: ["x"] }), [0], { tol: 1e-9 } as never), /unknown option 'tol' of findRoot/],
    ["checkGrad hessians", () => checkGrad(f, [1, 2], { hessians: true } as never), /did you mean 'hessian'\?/],
    ["derivative explian", () => derivative("x^2", "x", { explian: true } as never), /unknown option 'explian' of derivative; did you mean 'explain'\?/],
    ["createPool workers", () => createPool({ workers: 2 } as never), /unknown option 'workers' of createPool/],
    ["scan lenght", () => fn({ s: [2] }, ({ s }) => scan(fn({ c: [2] }, ({ c }) => c.mul(2)), s, { lenght: 2 } as never).sum()), /unknown option 'lenght' of scan; did you mean 'length'\?/],
  ])("%s", (_, call, message) => {
    expectThrows(call, InputError, message);
  });

  it("keys set to undefined say nothing, and the known keys still work", () => {
    expect(grid.gradient(field, [5, 5], { edgeOrder: 2, axis: 1, spacing: undefined })).toBeInstanceOf(Float64Array);
    expect(f.grad([1, 2], { mode: "reverse", wrt: undefined })).toEqual(Float64Array.of(2, 4));
    expect(() => f.eval([1, 2], null as never)).toThrow(/the options of eval must be an object/);
  });
});

describe("options that would be ignored, or mean something else, are refused", () => {
  it("wrt on a function of named variables (its one input is their vector): refused, pointing to partial", () => {
    // wrt: "x" used to return the whole gradient [4, 1] (the input is named x), and wrt: "y" said y is not an input
    for (const wrt of ["x", "y", ["x"]]) {
      expectThrows(() => f.grad([1, 2], { wrt } as never), InputError, /this one has one, the vector of its variables \(x, y\): for the derivative along one variable use partial\("x", …\)/);
    }
    expect(f.partial("x", [1, 2])).toBe(2);
    // one variable named as the input (compile("x^2")): wrt "x" means either, and is the whole gradient
    expect(compile("x^2").grad([3], { wrt: "x" })).toEqual(Float64Array.of(6));
    expect(compile("t^2").grad([3], { wrt: "t" })).toEqual(Float64Array.of(6)); // one variable: its name means the whole too
    expect(compile("x^2").grad([3], { wrt: ["x"] })).toEqual(Float64Array.of(6)); // and as a list
    expectThrows(() => compile("t*u").grad([3, 1], { wrt: "t" }), InputError, /the vector of its variables \(t, u\)/);
    const byName = compile("x^2*y", { vars: { x: [], y: [] } });
    expect(byName.grad({ x: 1, y: 2 }, { wrt: "x" })).toBe(4);
    expect(fn(2, (x) => x.at(0).mul(x.at(1))).grad([3, 4], { wrt: "x" })).toEqual(Float64Array.of(4, 3)); // fn(n): the input x
  });

  it("minimize: an option of another method, and an unknown method, named with what exists", () => {
    expectThrows(() => minimize(f, [1, 1], { learningRate: 0.1 }), InputError, /learningRate is an option of methods "gd", "backtracking", "momentum", "adam", not "lbfgs" \(it would be ignored\)/);
    expectThrows(() => minimize(f, [1, 1], { method: "gd", momentum: 0.9 }), InputError, /momentum is an option of method "momentum", not "gd"/);
    expectThrows(() => minimize(f, [1, 1], { method: "newton", memory: 5 }), InputError, /memory is an option of method "lbfgs"/);
    expectThrows(() => minimize(f, [1, 1], { method: "bfgs" } as never), InputError, /unknown method "bfgs"; did you mean 'lbfgs'\?/);
    expectThrows(() => minimize(f, [1, 1], { method: 3 } as never), InputError, /\(the methods are lbfgs, newton, gd, backtracking, momentum, adam\)/);
    expect(minimize(f, [1, 1], { method: "adam", learningRate: 0.1, beta1: 0.8, maxIterations: 3 }).iterations).toBe(3);
  });

  it("the async forms name their own options too when a key is unknown", async () => {
    const batch = { shape: [4, 2], data: new Float64Array(8).fill(1) };
    const rejected = async (p: Promise<unknown>) => p.then(() => expect.fail("resolved"), (e: unknown) => e as Error);
    expect((await rejected(f.gradAsync(batch, { onprogress: () => {} } as never))).message).toBe("unknown option 'onprogress' of gradAsync; did you mean 'onProgress'?");
    expect((await rejected(f.gradAsync(batch, { chunksize: 2 } as never))).message).toMatch(/did you mean 'chunkSize'\?/);
    expect((await rejected(f.gradAsync(batch, { zzz: 2 } as never))).message).toMatch(/\(its options are mode, out, reduce, weights, wrt, pool, signal, onProgress, chunkSize\)/);
    expect((await rejected(grid.gradientAsync(field, [5, 5], { pol: 1 } as never))).message).toMatch(/of grid\.gradientAsync; did you mean 'pool'\?/);
    expect((await rejected(fd.gradAsync((x) => x[0], batch, { signl: 1 } as never))).message).toMatch(/of fd\.gradAsync; did you mean 'signal'\?/);
    expectThrows(() => f.grad([1, 2], { onprogress: 1 } as never), InputError, /unknown option 'onprogress' of grad \(its options are mode, out, reduce, weights, wrt\)/);
  });

  it("arguments of the wrong kind are InputErrors, not TypeErrors", () => {
    for (const p0 of [1, null, "a", true]) expectThrows(() => fit("a*x", { x: [1, 2], y: [2, 4] }, p0 as never), InputError, /p0 must be the starting parameters by name \(\{ a: … \}\) or an array/);
    for (const x of [null, undefined, "1", {}]) expectThrows(() => checkGrad(f, x as never), InputError, /checkGrad: the point must be a number, an array of numbers or a Tensor/);
    expectThrows(() => checkGrad(f, [1, "2"] as never), InputError, /entry 1 is .*expected a number/);
  });

  it("a disposed function refuses every call, gradFunction, prepare, of and its structure included", () => {
    const h = compile("x^3*y");
    h.dispose();
    for (const call of [() => h.gradFunction(), () => h.prepare("grad"), () => h.prepare(), () => h.jacobianStructure(), () => fn(2, (x) => h.of(x)), () => h.grad([1, 2])]) {
      expectThrows(call, InputError, /this function has been disposed/);
    }
  });
});
