// A compiled function as bytes: deserialize(f.serialize()) must give the same
// results as f, bit for bit, for every kind of function (expressions, where,
// matrices with det/inv/solve, sums, fused tensor chains, second derivatives),
// and refuse bytes from another build or damaged ones with a clear error.
import { describe, expect, it } from "vitest";
import {
  compile, defineFunction, deserialize, fn, removeFunction, scan, stack, InputError, Tensor, type Func,
} from "../../bindings/index.js";
import { expectIdentical, expectThrows, random } from "../support/helpers.js";
import { OP_NAMES } from "../../bindings/ops/abi.js";

/** CRC-32 (IEEE), bit by bit: the check the byte form ends with, computed independently of the library's table. */
function crc32(bytes: Uint8Array): number {
  let crc = ~0;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1));
  }
  return ~crc >>> 0;
}

const leaves = (x: unknown): number[] => {
  if (typeof x === "number") return [x];
  if (x instanceof Float64Array) return [...x];
  if (x instanceof Tensor) return [...x.data];
  return Object.values(x as Record<string, unknown>).flatMap(leaves);
};

/** Every method the function supports at x (and a batch of 3 points), the original against its copy. */
function expectSameResults(f: Func, g: Func, x: unknown, batch: unknown, label: string): void {
  const calls: [string, (h: Func, p: unknown) => unknown][] = [
    ["eval", (h, p) => h.eval(p as never)],
    ["jacobian forward", (h, p) => h.jacobian(p as never, { mode: "forward" })],
    ["jacobian reverse", (h, p) => h.jacobian(p as never, { mode: "reverse" })],
  ];
  if (f.outputShape.length === 0) {
    calls.push(["grad", (h, p) => h.grad(p as never)], ["hessian", (h, p) => h.hessian(p as never)],
      ["laplacian", (h, p) => h.laplacian(p as never)]);
  }
  for (const [name, call] of calls) {
    expectIdentical(leaves(call(g, x)), leaves(call(f, x)), `${label} ${name}`);
    expectIdentical(leaves(call(g, batch)), leaves(call(f, batch)), `${label} ${name} (batch)`);
  }
}

describe("serialize and deserialize", () => {
  it("an expression with branches keeps its inputs, variables and every result", () => {
    const f = compile("where(x > 0, sqrt(x) * y, log(1 + y^2)) + sin(x * y) + lgamma(2 + x^2)", { vars: ["y", "x"] });
    const g = deserialize(f.serialize());
    expect(g.vars).toEqual(["y", "x"]);
    expect(g.inputShape).toEqual([2]);
    expect(g.outputShape).toEqual([]);
    // x = 0 is the switching point: the taken branch's derivative, finite, in both.
    for (const x of [[3, 0], [2, 1.5], [-1, -2]]) {
      expectSameResults(f, g, x, new Tensor([3, 2], Float64Array.of(...x, 0.5, 2, -3, 0)), `at ${x}`);
    }
    expect(g.grad([3, 0]).every(Number.isFinite)).toBe(true);
  });

  it("sums of random products xᵢ·xⱼ (nodes whose keys crowd the hash-consing table as it is read back)", () => {
    let s = 21;
    const next = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) >>> 8;
    const n = 300, vars = Array.from({ length: n }, (_, i) => `x${i}`);
    for (let trial = 0; trial < 20; trial++) {
      const terms = Array.from({ length: 200 + (next() % 500) }, () => `x${next() % n}*x${next() % n}`);
      const f = compile(terms.join(" + "), { vars }), g = deserialize(f.serialize());
      const x = vars.map((_, i) => 1 + i / n);
      expectIdentical(g.eval(x), f.eval(x), `trial ${trial}: value`);
      expectIdentical(g.grad(x), f.grad(x), `trial ${trial}: gradient`);
    }
  });

  it("matrices (det, inv, solve), several named inputs and shared subexpressions", () => {
    const f = fn({ A: [3, 3], b: 3 }, ({ A, b }) => A.inv().matvec(b).dot(A.solve(b)).add(A.det().log()));
    const g = deserialize(f.serialize());
    expect(g.inputs.map((d) => [d.name, d.shape])).toEqual([["A", [3, 3]], ["b", [3]]]);
    const rand = random(7);
    const A = [4, 1, 0.5, 1, 3, 0.2, 0.5, 0.2, 2], b = [1, -2, 0.5];
    const batchA = new Tensor([3, 3, 3], Float64Array.from({ length: 27 }, (_, i) => A[i % 9] + 0.1 * rand()));
    expectSameResults(f, g, { A, b }, { A: batchA, b }, "matrix");
  });

  it("a vector field, a fused tensor chain, gradFunction (which shares its graph) and a user function", () => {
    const curl = compile(["y*z", "x*z^2", "exp(x)*y"], { vars: ["x", "y", "z"] });
    const curlCopy = deserialize(curl.serialize());
    expectIdentical(curlCopy.curl([1, 2, 3]) as Float64Array, curl.curl([1, 2, 3]) as Float64Array, "curl");
    expectIdentical(curlCopy.divergence([1, 2, 3]), curl.divergence([1, 2, 3]), "divergence");

    const n = 64;
    const rosen = fn({ x: [n] }, ({ x }) => {
      const a = x.slice([0], [n - 1]), b = x.slice([1]);
      const d = b.sub(a.mul(a)), e = a.neg().add(1);
      return d.mul(d).mul(100).add(e.mul(e)).sum();
    });
    const x = Float64Array.from({ length: n }, (_, i) => 0.5 + 0.01 * i);
    const rosenCopy = deserialize(rosen.serialize());
    expectIdentical(rosenCopy.grad(x) as Float64Array, rosen.grad(x) as Float64Array, "rosenbrock grad");
    expectIdentical(rosenCopy.hvp(x, x) as Float64Array, rosen.hvp(x, x) as Float64Array, "rosenbrock hvp");

    const gradient = curl.jacobian([1, 2, 3]);
    const grad = compile("x^3*y + z*sin(x)", { vars: ["x", "y", "z"] }).gradFunction();
    expectIdentical(deserialize(grad.serialize()).jacobian([1, 2, 3]).data, grad.jacobian([1, 2, 3]).data, "gradFunction");
    expect(gradient.shape).toEqual([3, 3]);

    const huber = defineFunction("huberSer(r, d)", "where(abs(r) <= d, r^2/2, d*(abs(r) - d/2))");
    try {
      const h = compile("huberSer(x - 1, 0.5)", { vars: ["x"] });
      removeFunction("huberSer"); // the bytes hold the expansion, not the name
      const copy = deserialize(h.serialize());
      for (const p of [0.2, 1.1, 3]) expectIdentical(copy.grad([p]) as Float64Array, h.grad([p]) as Float64Array, `huber at ${p}`);
    } finally {
      if (huber) try { removeFunction("huberSer"); } catch { /* removed above */ }
    }
  });

  it("a copy composes inside another trace and is independent of the original", () => {
    const f = compile("x^2 + x*y", { vars: ["x", "y"] });
    const copy = deserialize(f.serialize());
    f.dispose();
    expect(copy.eval([2, 3])).toBe(10);
    const outer = fn({ t: [] }, ({ t }) => copy.of(stack([t.mul(2), t])));
    expect(outer.grad(1)).toBe(12); // f(2t, t) = 4t² + 2t² = 6t²: 12t at t = 1
  });

  it("is compact: a few bytes per graph node, only what the outputs reach", () => {
    const big = fn({ x: [1000] }, ({ x }) => x.sin().mul(x).sum());
    const bytes = big.serialize();
    expect(bytes.length).toBeLessThan(20 * big.tapeSize.instructions + 600);
    // The gradient function shares f's graph; its bytes carry only its own nodes.
    const small = compile("x + 1", { vars: ["x"] });
    expect(small.serialize().length).toBeLessThan(250);
  });

  it("refuses bytes of another format or build, damaged bytes and other values, and stays usable", () => {
    const f = compile("x*y", { vars: ["x", "y"] });
    const bytes = f.serialize();
    const otherFormat = bytes.slice();
    otherFormat[4] ^= 0x40;
    expectThrows(() => deserialize(otherFormat), InputError, /another build of gradients \(format \d+/, /serialize it again/);
    const otherBuild = bytes.slice();
    otherBuild[9] ^= 0x01;
    expectThrows(() => deserialize(otherBuild), InputError, /another build/);
    expectThrows(() => deserialize(bytes.slice(0, bytes.length - 5)), InputError, /damaged/);
    // every flip of one bit, and random bytes overwritten, are refused (the checksum): none reads as another function
    for (let bit = 0; bit < 8 * bytes.length; bit++) {
      const damaged = bytes.slice();
      damaged[bit >> 3] ^= 1 << (bit & 7);
      expectThrows(() => deserialize(damaged), InputError, /damaged|another build|not a serialized/);
    }
    const rand = random(3);
    for (let trial = 0; trial < 200; trial++) {
      const damaged = bytes.slice();
      const at = 16 + Math.floor(rand() * (damaged.length - 16)), was = damaged[at];
      damaged[at] = (was + 1 + Math.floor(rand() * 255)) & 0xff;
      expectThrows(() => deserialize(damaged), InputError, /damaged/);
    }
    expectThrows(() => deserialize(new Uint8Array([1, 2, 3])), InputError, /not a serialized gradients function/);
    // damage that keeps the layout: block sizes, projections, outputs and ops are checked, and the core never sees them
    const inv = fn({ A: [2, 2] }, ({ A }) => A.inv().sum()).serialize();
    const view = new DataView(inv.buffer), length = view.getUint32(12, true);
    const header = JSON.parse(new TextDecoder().decode(inv.subarray(16, 16 + length))) as { nodes: number; constants: number };
    const table = (16 + length + 7) & ~7, ops = table + 8 * header.constants, words = ops + 12 * header.nodes;
    const opAt = (i: number) => view.getInt32(ops + 4 * i, true);
    const INV = OP_NAMES.indexOf("inv"), HOST = OP_NAMES.indexOf("host");
    const block = Array.from({ length: header.nodes }, (_, i) => i).find((i) => opAt(i) === INV)!;
    // (each damaged copy with its checksum made right again, as a writer that built a wrong graph would)
    const damage = (change: (v: DataView) => void) => {
      const copy = inv.slice(), v = new DataView(copy.buffer);
      change(v);
      v.setUint32(copy.length - 4, crc32(copy.subarray(0, copy.length - 4)), true);
      return copy;
    };
    const PROJ = -2, projections = Array.from({ length: header.nodes }, (_, i) => i).filter((i) => opAt(i) === PROJ);
    const bAt = (i: number) => ops + 8 * header.nodes + 4 * i, aAt = (i: number) => ops + 4 * header.nodes + 4 * i;
    const reader = Array.from({ length: header.nodes }, (_, i) => i).find((i) => opAt(i) >= 0 && projections.includes(view.getInt32(aAt(i), true)))!;
    expect(deserialize(damage(() => {})).eval([[1, 2], [3, 4]])).toBe(fn({ A: [2, 2] }, ({ A }) => A.inv().sum()).eval([[1, 2], [3, 4]]));
    for (const [what, bytes, message] of [
      ["an inv of 2 operands", damage((v) => v.setInt32(words, 2, true)), /operands/],
      ["an inv of 100,000 results", damage((v) => v.setInt32(bAt(block), 100000, true)), /results/],
      ["a projection of result 50", damage((v) => v.setInt32(bAt(projections[0]), 50, true)), /projects no result/],
      ["two projections of one result", damage((v) => v.setInt32(bAt(projections[1]), v.getInt32(bAt(projections[0]), true), true)), /projects a result another node does/],
      ["an op reading the block as a number", damage((v) => v.setInt32(aAt(reader), block, true)), /reads block \d+ as a number/],
      ["a host op", damage((v) => v.setInt32(ops + 4 * block, HOST, true)), /not valid|operands/],
    ] as const) {
      expectThrows(() => deserialize(bytes), InputError, /damaged/, message);
      expect(what).toBeTruthy();
    }
    expectThrows(() => deserialize([1, 2, 3] as never), InputError, /Uint8Array/);
    expect(deserialize(bytes).eval([3, 4])).toBe(12);
  });

  it("refuses functions that call JavaScript (scan, functions defined by code), and disposed ones", () => {
    const step = fn({ s: [2] }, ({ s }) => s.mul(0.5));
    const looped = fn({ s0: [2] }, ({ s0 }) => scan(step, s0, { length: 3 }).sum());
    expectThrows(() => looped.serialize(), InputError, /calls JavaScript from the core/, /cannot be serialized/);
    const f = compile("x", { vars: ["x"] });
    f.dispose();
    expectThrows(() => f.serialize(), InputError, /disposed/);
  });
});
