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
    ["fd richardsen", () => fd.grad((x) => x[0] ** 2, [1], { richardsen: 2 } as never), /unknown option 'richardsen' of fd; did you mean 'richardson'\?/],
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
