// Fuzzing (fast-check): malformed expressions into compile and the symbolic
// functions, and junk values into every public function. Every outcome must be a
// result or a documented error — a GradientsError subclass, CallbackError only
// where a callback is involved, never an InternalError (bad input must not reach
// WebAssembly), never another exception, never a hang — and after every call the
// library must still compute right answers with functions and buffers made before
// (no corrupted state).
//
// GRADIENTS_FUZZ_RUNS sets the number of runs per property (default 200; `npm run
// fuzz` uses 100,000); GRADIENTS_FUZZ_SEED replays a failure fast-check reported.
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  buffer, CallbackError, compile, derivative, fd, fn, GradientsError, gradientExpr, grid, InternalError, jacobianExpr,
  minimize, ParseError, reparam, Tensor, WasmBuffer, type Func, type Node,
} from "../../bindings/index.js";
import * as A from "../support/arbitrary.js";

const RUNS = Number(process.env.GRADIENTS_FUZZ_RUNS ?? 200);
const SEED = process.env.GRADIENTS_FUZZ_SEED === undefined ? undefined : Number(process.env.GRADIENTS_FUZZ_SEED);
const runs = (weight = 1): fc.Parameters<unknown> => ({ numRuns: Math.max(1, Math.round(RUNS * weight)), seed: SEED });
// (generous: a guard against hangs, not a speed check; the shared machine is slow at times)
const timeout = (weight = 1) => Math.max(180_000, RUNS * weight * 20);
/**
 * Longest a single call may take: a generous bound (the inputs are small, but a
 * 1,000-deep nesting differentiated symbolically has a derivative of millions of
 * characters, and CI machines are slow); a hang exceeds it by far.
 */
const SLOW_MS = 5000;

// ---------------------------------------------------------------------------
// State that must survive every call

const PROBE = [2 * Math.cos(2), Math.cos(2)];

/** Functions and a buffer made before the calls under test; re-made (at the start of a test) if a failure broke them. */
function makeState() {
  const probe = compile("sin(x*y)", { vars: ["x", "y"] });
  const fixtures = {
    f3: compile("sin(x*y) + z^2*exp(x)", { vars: ["x", "y", "z"] }),
    F3: compile(["x*y", "y*z", "sin(x) + z"], { vars: ["x", "y", "z"] }),
    F2: compile(["x*y", "x - y^2"], { vars: ["x", "y"] }),
    T: fn({ A: [2, 2], x: 2 }, ({ A, x }) => A.matvec(x).dot(x).add(A.det())),
    s: fn({ t: [] }, ({ t }) => t.sin().mul(t)),
    M: compile("inv(A)", { vars: { A: [2, 2] } }),
    disposed: compile("x + y", { vars: ["x", "y"] }),
  };
  fixtures.disposed.dispose();
  const sentinel = buffer([4]);
  sentinel.data.set([1, -2, 3.5, 1e-300]);
  const values = Object.fromEntries(Object.entries(fixtures).filter(([k]) => k !== "disposed")
    .map(([k, f]) => [k, valueBits((f as Func).eval(fixturePoints[k as keyof typeof fixtures] as never))]));
  return { probe, probeBits: Array.from(probe.grad([1, 2]) as Float64Array), fixtures, sentinel, values };
}
const fixturePoints = {
  f3: [1, 2, 3], F3: [1, 2, 3], F2: [1, 2], T: { A: [[1, 2], [3, 4]], x: [1, -1] }, s: 1, M: [[2, 1], [1, 1]], disposed: [1, 2],
} as const;
let state = makeState();
type FixtureName = keyof typeof state.fixtures;
const FIXTURE_NAMES = Object.keys(state.fixtures) as FixtureName[];
const fixture = (name: FixtureName): Func => state.fixtures[name] as Func;

function disposeState(): void {
  try {
    state.sentinel.dispose();
    for (const f of Object.values(state.fixtures)) f.dispose();
    state.probe.dispose();
  } catch {
    // a broken state may refuse to be disposed: it is dropped anyway
  }
}

beforeEach(() => {
  try {
    stillWorks();
  } catch {
    disposeState();
    state = makeState();
  }
});
afterAll(disposeState);

function valueBits(v: unknown): number[] {
  if (typeof v === "number") return [v];
  if (v instanceof Float64Array) return Array.from(v);
  return Array.from((v as Tensor).data);
}

/** A fixed correct call, old functions and an old buffer all still give the right answers. */
function stillWorks(): void {
  const g = state.probe.grad([1, 2]) as Float64Array;
  for (let i = 0; i < 2; i++) {
    if (!Object.is(g[i], state.probeBits[i]) || Math.abs(g[i] - PROBE[i]) > 1e-15) throw new Error(`after the call, grad of sin(x*y) at (1, 2) is [${Array.from(g)}], not [${PROBE}]`);
  }
  const fresh = compile("sin(x*y)", { vars: ["x", "y"] });
  try {
    expect(Array.from(fresh.grad([1, 2]) as Float64Array), "a function compiled after the call").toEqual(state.probeBits);
  } finally {
    fresh.dispose();
  }
  for (const k of FIXTURE_NAMES) {
    if (k === "disposed") continue;
    expect(valueBits(fixture(k).eval(fixturePoints[k] as never)), `fixture ${k} after the call`).toEqual(state.values[k]);
  }
  expect(Array.from(state.sentinel.data), "a WasmBuffer made before the call").toEqual([1, -2, 3.5, 1e-300]);
}

// ---------------------------------------------------------------------------
// Outcomes

/** What the user's callbacks throw: allowed to pass through where the library does not promise to wrap it. */
class UserBoom extends Error {}

interface Rules {
  /** A callback of the user's is involved: CallbackError is allowed. */
  callback?: boolean;
  /** The user's own error may pass through unwrapped (builder bodies, onStep). */
  passThrough?: boolean;
  /** Positional arguments that are points: a Tensor-like among them whose data does not fit its shape must be refused. */
  points?: readonly unknown[];
}

function describeError(e: unknown): string {
  if (e instanceof Error) return `${e.constructor.name}: ${e.message}`;
  try {
    return `a thrown ${typeof e}: ${String(e)}`;
  } catch {
    return `a thrown ${typeof e}`;
  }
}

/** Runs `call`: it returns or throws a documented error, quickly; then the library still works. */
function outcome(label: string, call: () => unknown, rules: Rules = {}): { ok: boolean; value?: unknown; error?: unknown } {
  const started = performance.now();
  let result: { ok: boolean; value?: unknown; error?: unknown };
  try {
    result = { ok: true, value: call() };
  } catch (error) {
    result = { ok: false, error };
  }
  const elapsed = performance.now() - started;
  if (elapsed > SLOW_MS) throw new Error(`${label}: took ${elapsed.toFixed(0)} ms`);
  if (!result.ok) {
    const e = result.error;
    const allowed = e instanceof GradientsError && !(e instanceof InternalError) && (rules.callback || !(e instanceof CallbackError));
    if (!allowed && !(rules.passThrough && e instanceof UserBoom)) throw new Error(`${label}: threw ${describeError(e)}`);
    if (e instanceof GradientsError && !["parse", "shape", "input", "callback"].includes(e.code)) throw new Error(`${label}: error code ${e.code}`);
  } else {
    const bad = (rules.points ?? []).find(malformedTensorLike);
    if (bad !== undefined) throw new Error(`${label}: accepted a tensor-like whose data (${(bad as { data: ArrayLike<unknown> }).data.length} entries) does not fit its shape [${(bad as { shape: unknown[] }).shape}]`);
  }
  stillWorks();
  return result;
}

/** A { shape, data } whose shape is valid but whose data has another number of entries. */
function malformedTensorLike(x: unknown): boolean {
  if (typeof x !== "object" || x === null || Array.isArray(x) || ArrayBuffer.isView(x) || x instanceof WasmBuffer) return false;
  const { shape, data } = x as { shape?: unknown; data?: unknown };
  if (!Array.isArray(shape) || !shape.every((s) => Number.isInteger(s) && s >= 0)) return false;
  if (data === null || typeof data !== "object" || typeof (data as { length?: unknown }).length !== "number") return false;
  return (data as ArrayLike<unknown>).length !== shape.reduce((a: number, b: number) => a * b, 1);
}

// Buffers described by the arbitraries (which must stay pure) are made here, per call.
const made: WasmBuffer[] = [];
function materialize(x: unknown, depth = 0): unknown {
  if (depth > 6 || x === null || typeof x !== "object" || ArrayBuffer.isView(x)) return x;
  if ("__buffer" in x && Array.isArray((x as A.BufferSpec).__buffer)) {
    const spec = x as A.BufferSpec;
    const b = buffer(spec.__buffer);
    b.data.forEach((_, i, d) => { d[i] = i + 1; });
    if (spec.disposed) b.dispose();
    made.push(b);
    return b;
  }
  if (Array.isArray(x)) return x.map((v) => materialize(v, depth + 1));
  if (Object.getPrototypeOf(x) === Object.prototype || Object.getPrototypeOf(x) === null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(x)) Object.defineProperty(out, k, { value: materialize(v, depth + 1), enumerable: true, writable: true, configurable: true });
    return out;
  }
  return x;
}
function freeMade(): void {
  for (const b of made.splice(0)) b.dispose();
}

// ---------------------------------------------------------------------------
// Malformed expressions

/**
 * A ParseError's column is 1 … length + 1 and its message says it: "at column c", or where
 * lines come before it, "at line l, column k" of that line.
 */
function checkParseError(e: unknown, text: string | undefined, label: string): void {
  if (!(e instanceof ParseError)) return;
  const length = text?.length ?? Infinity;
  if (!(Number.isInteger(e.column) && e.column >= 1 && e.column <= length + 1)) {
    throw new Error(`${label}: ParseError column ${e.column} outside 1…${length + 1} for ${JSON.stringify(text)}: ${e.message}`);
  }
  const lines = (e.expression ?? "").slice(0, e.column - 1).split("\n");
  const place = lines.length === 1 ? `column ${e.column}` : `line ${lines.length}, column ${lines[lines.length - 1].length + 1}`;
  if (e.message !== `${e.reason} at ${place}`) throw new Error(`${label}: message "${e.message}" does not end with its place, ${place}`);
  if (text !== undefined && e.expression !== text) throw new Error(`${label}: ParseError.expression ${JSON.stringify(e.expression)}, not the expression ${JSON.stringify(text)}`);
}

/** A compiled function evaluates (and differentiates) at a point of its shape without error. */
function exercise(f: Func, label: string): void {
  try {
    const point = f.inputs.length === 1
      ? new Tensor(f.inputs[0].shape, Float64Array.from({ length: f.inputs[0].size }, (_, i) => 0.5 + i))
      : Object.fromEntries(f.inputs.map((d) => [d.name, new Tensor(d.shape, Float64Array.from({ length: d.size }, (_, i) => 0.5 + i))]));
    f.eval(point as never);
    if (f.n > 0) f.jacobian(point as never);
    if (f.outputShape.length === 0 && f.n > 0) f.grad(point as never);
  } catch (e) {
    throw new Error(`${label}: compiled, but evaluating at a valid point threw ${describeError(e)}`);
  } finally {
    f.dispose();
  }
}

describe("malformed expressions: a result or a ParseError/InputError/ShapeError with a valid column", () => {
  it("compile, with open variables, named variables, tensor variables, and in arrays", () => {
    fc.assert(fc.property(A.expressionTextArb, (text) => {
      const r1 = outcome(`compile(${JSON.stringify(text)})`, () => compile(text));
      if (r1.ok) exercise(r1.value as Func, `compile(${JSON.stringify(text)})`);
      else checkParseError(r1.error, text, `compile(${JSON.stringify(text)})`);
      const r2 = outcome("compile with vars", () => compile(text, { vars: ["x", "y", "z"] }));
      if (r2.ok) exercise(r2.value as Func, `compile(${JSON.stringify(text)}, { vars: [x, y, z] })`);
      else checkParseError(r2.error, text, "compile with vars");
      const vars = { x: [2], A: [2, 2], b: [2], t: [] };
      const r3 = outcome("compile with tensor vars", () => compile(text, { vars }));
      if (r3.ok) exercise(r3.value as Func, `compile(${JSON.stringify(text)}, { vars: { x: [2], A: [2, 2], b: [2], t: [] } })`);
      else checkParseError(r3.error, text, "compile with tensor vars");
      const r4 = outcome("compile in an array", () => compile(["x", [text] as never, "y"] as never));
      if (r4.ok) exercise(r4.value as Func, `compile(["x", [${JSON.stringify(text)}], "y"])`);
      else checkParseError(r4.error, text, "compile in an array");
    }), runs());
  }, timeout());

  it("derivative, gradientExpr and jacobianExpr; every string they return compiles over the expression's variables", () => {
    fc.assert(fc.property(A.expressionTextArb, fc.constantFrom("x", "y", "A", "t"), (text, variable) => {
      const label = `derivative(${JSON.stringify(text)}, "${variable}")`;
      const d = outcome(label, () => derivative(text, variable));
      if (!d.ok) {
        checkParseError(d.error, text, label);
        return;
      }
      // The variables the expression has, as compile reads them: the derivative may use no others.
      const own = outcome("compile of the expression", () => compile(text));
      const names = new Set([...(own.ok ? (own.value as Func).vars : []), variable]);
      if (own.ok) (own.value as Func).dispose();
      const back = (s: string, what: string) => {
        let f: Func;
        try {
          f = compile(s, { vars: [...names] });
        } catch (e) {
          throw new Error(`${what} of ${JSON.stringify(text)} is ${JSON.stringify(s)}, which does not compile over [${[...names]}]: ${describeError(e)}`);
        }
        exercise(f, what);
      };
      back(d.value as string, label);
      const g = outcome("gradientExpr", () => gradientExpr(text));
      if (g.ok) (g.value as string[]).forEach((s, i) => back(s, `gradientExpr(${JSON.stringify(text)})[${i}]`));
      const j = outcome("jacobianExpr", () => jacobianExpr([text, "x*y"]));
      names.add("x").add("y");
      if (j.ok) (j.value as string[][]).flat().forEach((s, i) => back(s, `jacobianExpr([${JSON.stringify(text)}, "x*y"])[${i}]`));
      // explain prints every step (each a subtree and its derivative): for deep nesting that is
      // cubic in the depth, so only short texts here.
      if (text.length <= 400) {
        const e = outcome("derivative with explain", () => derivative(text, variable, { explain: true }));
        if (e.ok) expect((e.value as { result: string }).result).toBe(d.value);
      }
    }), runs(0.5)); // a 1,000-deep nesting has a derivative of millions of characters: half the runs
  }, timeout(0.5));
});

// ---------------------------------------------------------------------------
// Junk values into every public function

const junk = A.junkArb;
/** A number, or an array, typed array, nested array or tensor of the right kind for a point, with odd entries. */
const numbers = (n: number) => fc.array(A.numberish, { minLength: n, maxLength: n });
const batch = (shape: number[]) => fc.integer({ min: 0, max: 3 }).chain((N) =>
  numbers(N * shape.reduce((a, b) => a * b, 1)).map((xs) => new Tensor([N, ...shape], Float64Array.from(xs))));

/** Points for a fixture: valid ones (entries may be NaN, ±∞, −0, subnormal, huge), near misses and junk. */
function pointFor(name: FixtureName): fc.Arbitrary<unknown> {
  const vector = (n: number) => fc.oneof(
    numbers(n), numbers(n).map((xs) => Float64Array.from(xs)), batch([n]),
    fc.tuple(fc.integer({ min: 0, max: 3 }), fc.array(A.numberish, { maxLength: 8 })).map(([N, xs]) => ({ shape: [N, n], data: xs })),
    numbers(n).map((xs) => ({ x: xs })),
  );
  const matrix = fc.oneof(fc.array(numbers(2), { minLength: 2, maxLength: 2 }), numbers(4), batch([2, 2]), numbers(4).map((xs) => new Tensor([2, 2], Float64Array.from(xs))));
  let valid: fc.Arbitrary<unknown>;
  switch (name) {
    case "f3": case "F3": valid = vector(3); break;
    case "F2": case "disposed": valid = vector(2); break;
    case "s": valid = fc.oneof(A.numberish, batch([]), numbers(1), fc.record({ t: A.numberish })); break;
    case "M": valid = fc.oneof(matrix, fc.record({ A: matrix })); break;
    case "T": valid = fc.record({ A: fc.oneof(matrix, junk), x: fc.oneof(vector(2), junk) }, { requiredKeys: [] }); break;
  }
  return fc.oneof({ weight: 3, arbitrary: valid }, { weight: 2, arbitrary: junk });
}

/** A value or junk, for one option. */
const option = (...valid: fc.Arbitrary<unknown>[]) => fc.oneof({ weight: 2, arbitrary: fc.oneof(...valid) }, { weight: 1, arbitrary: junk });
const outArb = fc.oneof(fc.integer({ min: 0, max: 40 }).map((n) => new Float64Array(n)), A.bufferSpecArb, fc.integer({ min: 0, max: 9 }).map((n) => new Float32Array(n)));

const funcOptions = fc.oneof(
  { weight: 4, arbitrary: fc.record({
    mode: option(fc.constantFrom("auto", "forward", "reverse", "fd", "Forward", "")),
    out: option(outArb),
    wrt: option(fc.constantFrom("A", "x", "t", "z", "__proto__", "")),
  }, { requiredKeys: [] }) },
  { weight: 1, arbitrary: junk },
);

type Method = "eval" | "grad" | "jacobian" | "partial" | "jvp" | "directional" | "vjp" | "hessian" | "hvp" | "laplacian" |
  "divergence" | "curl" | "jacobianDeterminant" | "linearize";
const METHODS: Method[] = ["eval", "grad", "jacobian", "partial", "jvp", "directional", "vjp", "hessian", "hvp", "laplacian",
  "divergence", "curl", "jacobianDeterminant", "linearize"];

describe("junk into every public function: a result or a documented error, and nothing broken", () => {
  it("Func methods (every fixture, every method: points, tangents, cotangents, variables, options)", () => {
    const arb = fc.constantFrom(...FIXTURE_NAMES).chain((name) => fc.record({
      name: fc.constant(name), method: fc.constantFrom(...METHODS),
      x: pointFor(name), v: pointFor(name), w: fc.oneof(pointFor(name), junk),
      variable: option(fc.constantFrom("x", "y", "z", "t", "A[1][0]", "x[1]", 0, 1, 2, 3, -1, 1.5)),
      options: funcOptions, y: pointFor(name),
    }));
    fc.assert(fc.property(arb, (c) => {
      const f = fixture(c.name);
      const [x, v, w, variable, options, y] = [c.x, c.v, c.w, c.variable, c.options, c.y].map((a) => materialize(a));
      try {
        const label = `${c.name}.${c.method}`;
        const call = (): unknown => {
          const m = f as unknown as Record<Method, (...a: unknown[]) => unknown>;
          switch (c.method) {
            case "partial": return m.partial.call(f, variable, x, options);
            case "jvp": case "directional": case "hvp": return m[c.method].call(f, x, v, options);
            case "vjp": return m.vjp.call(f, x, w, options);
            case "linearize": {
              const lin = f.linearize(x as never, options as never);
              outcome(`${label}(…).apply`, () => lin.apply(y as never), { points: [y] });
              outcome(`${label}(…).tangent`, () => lin.tangent(v as never), { points: [v] });
              return lin;
            }
            default: return m[c.method].call(f, x, options);
          }
        };
        const used = c.method === "vjp" ? [x, w] : ["jvp", "directional", "hvp"].includes(c.method) ? [x, v] : [x];
        const entries = (p: unknown) => (p && typeof p === "object" && !ArrayBuffer.isView(p) && !Array.isArray(p) ? Object.values(p) : []);
        outcome(label, call, { points: [...used, ...used.flatMap(entries)] });
      } finally {
        freeMade();
      }
    }), runs());
  }, timeout());

  /** Callbacks for fd: good ones, ones that throw or return junk, one that calls the library. */
  const callbackArb: fc.Arbitrary<unknown> = fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom<unknown>(
      (x: Float64Array) => Math.sin(x[0]) * (x.length > 1 ? x[1] : 1),
      (x: Float64Array) => Array.from(x, (v) => v * v + 1),
      (x: Float64Array) => Float64Array.from(x, (v) => Math.exp(v)),
      (x: number) => x * x, // for fd.derivative
      (X: Tensor) => (X.shape ? Array.from({ length: X.shape[0] }, (_, p) => X.data[p * X.shape[1]]) : NaN), // vectorized
      (X: Tensor) => (X.shape ? new Tensor([X.shape[0], 2], new Float64Array(2 * X.shape[0])) : [NaN]),
      (x: Float64Array) => state.probe.eval([x[0], x.length > 1 ? x[1] : 0]), // re-entrant
      () => { throw new UserBoom("boom"); },
      () => { throw 42; }, // eslint-disable-line no-throw-literal
      () => { throw undefined; }, // eslint-disable-line no-throw-literal
      (() => { let k = 0; return () => Array.from({ length: (k++ % 3) + 1 }, () => 1); })(),
      () => NaN, () => Infinity, () => -0,
    ) },
    { weight: 1, arbitrary: junk.map((value) => () => value) },
    { weight: 1, arbitrary: junk },
  );
  const fdPoint = fc.oneof(
    fc.array(A.numberish, { maxLength: 4 }), fc.array(A.numberish, { maxLength: 4 }).map((xs) => Float64Array.from(xs)),
    fc.integer({ min: 1, max: 3 }).chain((n) => batch([n])),
    fc.record({ shape: fc.array(A.extent, { maxLength: 3 }), data: fc.array(A.numberish, { maxLength: 9 }) }),
    junk,
  );
  const fdOptions = fc.oneof(
    { weight: 4, arbitrary: fc.record({
      scheme: option(fc.constantFrom("central", "forward", "backward", "five-point", "Central")),
      step: option(A.numberish, fc.array(A.numberish, { maxLength: 4 })),
      richardson: option(fc.integer({ min: -1, max: 9 })),
      bounds: option(fc.array(fc.tuple(A.numberish, A.numberish), { maxLength: 4 }), fc.array(junk, { maxLength: 3 })),
      vectorized: option(fc.boolean()),
    }, { requiredKeys: [] }) },
    { weight: 1, arbitrary: junk },
  );
  const FD = ["derivative", "partial", "grad", "directional", "jacobian", "divergence", "curl", "hessian"] as const;

  it("fd.* (callbacks that throw, return junk or re-enter; points, directions, options)", () => {
    fc.assert(fc.property(fc.constantFrom(...FD), callbackArb, fdPoint, fdPoint, fc.oneof(A.extent, junk), fdOptions, (name, f, x0, v0, i, o0) => {
      const [x, v, options] = [x0, v0, o0].map((a) => materialize(a));
      try {
        // fd.derivative takes a number (or a batch [N]): an array point becomes a number.
        const point = name === "derivative" && (Array.isArray(x) || ArrayBuffer.isView(x)) ? 0.5 : x;
        const call = (): unknown => {
          const F = fd as unknown as Record<string, (...a: unknown[]) => unknown>;
          switch (name) {
            case "partial": return F.partial(f, point, i, options);
            case "directional": return F.directional(f, point, v, options);
            default: return F[name](f, point, options);
          }
        };
        outcome(`fd.${name}`, call, { callback: true, points: name === "directional" ? [point, v] : [point] });
      } finally {
        freeMade();
      }
    }), runs());
  }, timeout());

  const SHAPES = [[5], [3, 4], [4, 3], [2, 3, 4], [3, 3, 3]];
  const field = (shape: unknown) => {
    const size = Array.isArray(shape) && shape.every((s) => Number.isInteger(s) && s >= 0 && s < 10) ? shape.reduce((a: number, b: number) => a * b, 1) : 4;
    return fc.oneof(
      { weight: 3, arbitrary: fc.array(A.numberish, { minLength: size, maxLength: size }).map((xs) => Float64Array.from(xs)) },
      { weight: 1, arbitrary: fc.array(A.numberish, { minLength: size, maxLength: size }).map((xs) => Float32Array.from(xs)) },
      { weight: 1, arbitrary: fc.constant({ __buffer: Array.isArray(shape) && size > 0 ? [size] : [4], disposed: false }) },
      { weight: 1, arbitrary: fc.record({ __buffer: fc.constant([Math.max(size, 1)]), disposed: fc.constant(true) }) },
      { weight: 1, arbitrary: junk },
    );
  };
  const gridCase = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...SHAPES) }, { weight: 1, arbitrary: fc.array(A.extent, { maxLength: 4 }) }, { weight: 1, arbitrary: junk })
    .chain((shape) => fc.record({
      fn: fc.constantFrom("gradient", "divergence", "curl", "laplacian"),
      shape: fc.constant(shape),
      fields: fc.array(field(shape), { minLength: 0, maxLength: 4 }),
      options: fc.oneof({ weight: 4, arbitrary: fc.record({
        spacing: option(A.numberish, fc.array(fc.oneof(A.numberish, fc.array(A.numberish, { maxLength: 6 }), fc.array(A.numberish, { maxLength: 6 }).map((xs) => Float64Array.from(xs))), { maxLength: 4 })),
        edgeOrder: option(fc.constantFrom(1, 2, 0, 3)),
        axis: option(fc.integer({ min: -4, max: 4 }), fc.array(fc.integer({ min: -4, max: 4 }), { maxLength: 3 })),
        out: option(field(shape), fc.array(field(shape), { maxLength: 4 })),
      }, { requiredKeys: [] }) }, { weight: 1, arbitrary: junk }),
    }));

  it("grid.gradient, divergence, curl, laplacian (fields of every kind, shapes, spacings, out)", () => {
    fc.assert(fc.property(gridCase, (c) => {
      const fields = materialize(c.fields) as unknown[];
      const options = materialize(c.options);
      try {
        const G = grid as unknown as Record<string, (...a: unknown[]) => unknown>;
        const first = c.fn === "gradient" || c.fn === "laplacian" ? fields[0] : fields;
        const r = outcome(`grid.${c.fn}`, () => G[c.fn](first, c.shape, options));
        if (r.ok) for (const out of [r.value].flat()) if (out instanceof WasmBuffer && !made.includes(out)) made.push(out);
      } finally {
        freeMade();
      }
    }), runs());
  }, timeout());

  it("reparam.gaussian, score, expectationGrad", () => {
    const funcArb = fc.oneof({ weight: 4, arbitrary: fc.constantFrom<unknown>(...FIXTURE_NAMES) }, { weight: 1, arbitrary: junk });
    const vec = fc.oneof(numbers(3), numbers(2), numbers(1), fc.array(A.numberish, { maxLength: 4 }), junk);
    const builder = fc.constantFrom<unknown>(
      (eps: Node, theta: Node) => theta.add(eps),
      (eps: Node, theta: Node) => theta.slice([0], [eps.shape[0] ?? 1]).add(eps),
      (eps: Node) => eps,
      () => 1, () => "z", () => null, () => [1, 2],
      () => { throw new UserBoom("g"); },
      5, undefined,
    );
    const arb = fc.record({
      which: fc.constantFrom("gaussian", "score", "expectationGrad"),
      f: funcArb,
      params: fc.oneof({ weight: 4, arbitrary: fc.record({ mu: vec, sigma: vec, logSigma: vec }, { requiredKeys: ["mu"] }) }, { weight: 1, arbitrary: junk }),
      g: builder, theta: fc.oneof(vec, batch([3]), fc.record({ shape: fc.array(A.extent, { maxLength: 2 }), data: fc.array(A.numberish, { maxLength: 6 }) })),
      options: fc.oneof({ weight: 4, arbitrary: fc.record({
        samples: fc.constantFrom<unknown>(2, 3, 10, 100, 4097, 1, 0, -5, 2.5, NaN, Infinity, "10", null, [], {}),
        seed: option(fc.integer(), fc.constantFrom(2 ** 53, -(2 ** 53))),
        noise: option(fc.constantFrom("normal", "uniform", "cauchy")),
        noiseSize: option(fc.integer({ min: -1, max: 4 })),
      }, { requiredKeys: [] }) }, { weight: 1, arbitrary: junk }),
    });
    fc.assert(fc.property(arb, (c) => {
      const f = typeof c.f === "string" && c.f in state.fixtures ? fixture(c.f as FixtureName) : materialize(c.f);
      const [params, theta, options] = [c.params, c.theta, c.options].map((a) => materialize(a));
      try {
        const R = reparam as unknown as Record<string, (...a: unknown[]) => unknown>;
        const call = () => (c.which === "expectationGrad" ? R.expectationGrad(f, c.g, theta, options) : R[c.which](f, params, options));
        outcome(`reparam.${c.which}`, call, { callback: c.which === "expectationGrad", passThrough: true, points: c.which === "expectationGrad" ? [theta] : [] });
      } finally {
        freeMade();
      }
    }), runs());
  }, timeout());

  it("minimize (compiled functions, objectives, x0, every option, onStep)", () => {
    const objective = fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom<unknown>("f3", "F3", "T", "s", "disposed", "probe") },
      { weight: 2, arbitrary: fc.constantFrom<unknown>(
        (x: Float64Array) => ({ value: x.reduce((s, v) => s + v * v, 0), grad: Array.from(x, (v) => 2 * v) }),
        (x: Float64Array) => ({ value: 1, grad: Array.from(x, () => "a") }),
        () => ({ value: NaN, grad: [] }),
        () => null, () => 5, () => { throw new UserBoom("objective"); },
        (x: Float64Array) => ({ value: x[0], grad: new Float64Array(x.length + 1) }),
      ) },
      { weight: 1, arbitrary: junk.map((value) => () => value) },
      { weight: 1, arbitrary: junk },
    );
    const onStep = fc.constantFrom<unknown>(undefined, () => false, () => true, () => undefined, () => "stop", 5, "f", {}, () => { throw new UserBoom("onStep"); });
    const arb = fc.record({
      f: objective,
      x0: fc.oneof(numbers(3), numbers(2), numbers(1), fc.array(A.numberish, { maxLength: 4 }).map((xs) => Float64Array.from(xs)), junk),
      options: fc.oneof({ weight: 4, arbitrary: fc.record({
        method: option(fc.constantFrom("lbfgs", "gd", "backtracking", "momentum", "adam", "newton")),
        learningRate: option(A.numberish), momentum: option(A.numberish), beta1: option(A.numberish), beta2: option(A.numberish),
        epsilon: option(A.numberish), memory: option(fc.integer({ min: -1, max: 12 })),
        maxIterations: fc.constantFrom<unknown>(0, 1, 5, 20, 50, -1, 1.5, NaN, Infinity, "5", null, [], {}),
        gradTol: option(A.numberish), stepTol: option(A.numberish), onStep,
      }, { requiredKeys: [] }) }, { weight: 1, arbitrary: junk }),
    });
    fc.assert(fc.property(arb, (c) => {
      const f = c.f === "probe" ? state.probe : typeof c.f === "string" && c.f in state.fixtures ? fixture(c.f as FixtureName) : materialize(c.f);
      const [x0, options] = [c.x0, c.options].map((a) => materialize(a));
      try {
        outcome("minimize", () => minimize(f as never, x0 as never, options as never), { callback: typeof f === "function", passThrough: true });
      } finally {
        freeMade();
      }
    }), runs());
  }, timeout());

  it("buffer, Tensor.from, new Tensor, Tensor.get", () => {
    const shapeArb = fc.oneof(fc.array(fc.oneof({ weight: 4, arbitrary: A.extent }, { weight: 1, arbitrary: A.hugeExtent }), { maxLength: 4 }), A.extent, A.hugeExtent, junk);
    fc.assert(fc.property(shapeArb, junk, fc.array(fc.oneof(A.extent, junk), { maxLength: 4 }), (shape, data, index) => {
      const s = materialize(shape), d = materialize(data);
      try {
        const b = outcome("buffer", () => buffer(s as never));
        if (b.ok) {
          const buf = b.value as WasmBuffer;
          made.push(buf);
          // The buffer's view must cover exactly its entries (its memory is its own).
          if (buf.data.length !== buf.size) throw new Error(`buffer(${fc.stringify(s)}) has size ${buf.size} but a view of ${buf.data.length} entries`);
        }
        outcome("Tensor.from", () => Tensor.from(d as never));
        const t = outcome("new Tensor", () => new Tensor(s as never, d as never));
        if (t.ok) outcome("Tensor.get", () => (t.value as Tensor).get(...(index as number[])));
      } finally {
        freeMade();
      }
    }), runs());
  }, timeout());

  it("compile options, fn specs and bodies, and the symbolic functions' arguments", () => {
    const body = fc.constantFrom<unknown>(
      (x: Node) => x, (x: Node) => (x instanceof Object && "sum" in x ? (x as Node).sum() : 1), () => 1, () => NaN, () => "x",
      () => null, () => [], () => [[1], [2, 3]], () => [1, [2]], () => fixture("f3").of(undefined as never),
      (x: Node) => [x, x], () => { throw new UserBoom("body"); }, 3, undefined,
    );
    const arb = fc.record({
      which: fc.constantFrom("compile", "fn", "derivative", "gradientExpr", "jacobianExpr"),
      a: fc.oneof(fc.constantFrom("x*y", "sin(x)", "x[0]*A[1][1]", "det(A)", "", "x +"), junk),
      b: fc.oneof(
        fc.record({ vars: fc.oneof(fc.array(fc.constantFrom("x", "y", "pi", "sin", "1x", "x"), { maxLength: 3 }), fc.dictionary(fc.constantFrom("x", "A", "t", "e"), fc.oneof(fc.array(A.extent, { maxLength: 3 }), A.extent, junk), { maxKeys: 3 }), junk) }, { requiredKeys: [] }),
        fc.dictionary(fc.constantFrom("x", "A", "t"), fc.oneof(fc.array(A.extent, { maxLength: 3 }), A.extent), { maxKeys: 3 }),
        fc.constantFrom("x", "y"), A.extent, junk,
      ),
      c: fc.oneof(fc.record({ explain: junk }, { requiredKeys: [] }), body, junk),
    });
    fc.assert(fc.property(arb, (c) => {
      const [a, b, cc] = [c.a, c.b, c.c].map((v) => materialize(v));
      try {
        const call = (): unknown => {
          switch (c.which) {
            case "compile": return compile(a as never, b as never);
            case "fn": return fn(b as never, cc as never);
            case "derivative": return derivative(a as never, b as never, cc as never);
            case "gradientExpr": return gradientExpr(a as never, b as never);
            case "jacobianExpr": return jacobianExpr([a, "x*y"] as never, b as never);
          }
        };
        const r = outcome(c.which, call, { passThrough: c.which === "fn" });
        if (r.ok && (c.which === "compile" || c.which === "fn")) exercise(r.value as Func, `${c.which}(${fc.stringify(a)}, ${fc.stringify(b)})`);
      } finally {
        freeMade();
      }
    }), runs());
  }, timeout());
});

// ---------------------------------------------------------------------------
// The smallest cases of what the fuzzing above found, as plain examples.

/** Runs `call` and asserts the outcome rules (a result or a documented error, state intact). */
const expectDocumented = (label: string, call: () => unknown, rules?: Rules) => outcome(label, call, rules);

/** Every case follows the outcome rules; the failures are reported together, one a line. */
function allDocumented(cases: [string, () => unknown, Rules?][]): void {
  const failures: string[] = [];
  for (const [label, call, rules] of cases) {
    try {
      outcome(label, call, rules);
    } catch (e) {
      failures.push(e instanceof Error ? e.message : String(e));
      try {
        stillWorks();
      } catch {
        disposeState();
        state = makeState();
      }
    }
  }
  if (failures.length > 0) throw new Error(`${failures.length} of ${cases.length} cases failed:\n${failures.join("\n")}`);
}

describe("regressions found by fuzzing", () => {
  it("derivative strings parse back: an infinite constant is not printed as the name 'Infinity'", () => {
    for (const text of ["1e309*x", "x*10^400"]) {
      const d = derivative(text, "x");
      expect(() => compile(d, { vars: ["x"] }).dispose(), `derivative(${text}) = ${d}`).not.toThrow();
    }
  });

  it("symbolic derivatives keep (u^2)^r = |u|^(2r): d/dx (x^2)^0.5 at x = -2 is -1", () => {
    for (const [text, want] of [["(x^2)^0.5", -1], ["(x^2)^1.5", -12]] as const) {
      const d = derivative(text, "x");
      const f = compile(d, { vars: ["x"] });
      expect(f.eval([-2]), `derivative(${text}) = ${d} at -2`).toBe(want);
      f.dispose();
    }
  });

  it("a buffer of 2^29 or more entries is refused or really that large, and nothing else is overwritten", () => {
    // 8 bytes × 2^29 entries overflow 32 bits: the allocation wraps to a few bytes, and the
    // zero-fill of the view then overwrites every function's tape after it.
    allDocumented([2 ** 29, 2 ** 29 + 1, 2 ** 32 + 1].map((size) => [`buffer(${size})`, () => {
      const b = buffer(size);
      const length = b.data.length;
      b.dispose();
      if (length !== size) throw new Error(`buffer(${size}) returned a view of ${length} entries`);
    }]));
  });

  it("after the core is re-created (a failed allocation), the next call of a live function is right", () => {
    const f = compile("sin(x*y)", { vars: ["x", "y"] });
    const want = Array.from(f.grad([1, 2]) as Float64Array);
    expect(() => buffer(1e12)).toThrow(GradientsError);
    expect(Array.from(f.grad([1, 2]) as Float64Array), "first call after the failure").toEqual(want);
    f.dispose();
  });

  it("fd refuses a batch whose data does not fit its shape", () => {
    const f = (x: Float64Array) => x[0];
    allDocumented([
      ["fd.grad, data shorter than the shape", () => fd.grad(f, { shape: [3, 2], data: [1, 2] }), { callback: true, points: [{ shape: [3, 2], data: [1, 2] }] }],
      ["fd.derivative, data shorter than the shape", () => fd.derivative((x: number) => x, { shape: [2], data: [1] }), { callback: true, points: [{ shape: [2], data: [1] }] }],
      ["fd.hessian, data shorter than the shape", () => fd.hessian(f, { shape: [2, 1], data: [1] }), { callback: true, points: [{ shape: [2, 1], data: [1] }] }],
      ["fd.jacobian, data longer than the shape", () => fd.jacobian(f, { shape: [1, 1], data: [1, 2, 3] }), { callback: true, points: [{ shape: [1, 1], data: [1, 2, 3] }] }],
      ["fd.grad, shape [0, Infinity]", () => fd.grad(f, { shape: [0, Infinity], data: [] }), { callback: true }],
      ["fd.grad, shape [0, -1]", () => fd.grad(f, { shape: [0, -1], data: [] }), { callback: true }],
    ]);
  });

  it("fd refuses a callback result whose length is not a count (100,000 runs found { length: 1.8e308 })", () => {
    for (const length of [Number.MAX_VALUE, 2.5, -1, 2 ** 40, NaN]) {
      const junk = () => ({ length }) as unknown as number;
      allDocumented([
        [`fd.hessian, length ${length}`, () => fd.hessian(junk, [0]), { callback: true, points: [[0]] }],
        [`fd.grad, length ${length}`, () => fd.grad(junk, [1, 2]), { callback: true, points: [[1, 2]] }],
        [`fd.jacobian vectorized, length ${length}`, () => fd.jacobian(junk, { shape: [2, 1], data: [1, 2] }, { vectorized: true }), { callback: true, points: [{ shape: [2, 1], data: [1, 2] }] }],
      ]);
      expect(() => fd.hessian(junk, [0])).toThrow(/object of length/);
    }
  });

  it("grid.gradient names an axis it cannot print (100,000 runs found axis: [Symbol.iterator])", () => {
    const field = new Float64Array(27);
    allDocumented([
      ["grid.gradient, axis [Symbol]", () => grid.gradient(field, [3, 3, 3], { axis: [Symbol.iterator] as never }), { points: [] }],
      ["grid.gradient, axis [1n]", () => grid.gradient(field, [3, 3, 3], { axis: [1n] as never }), { points: [] }],
    ]);
    expect(() => grid.gradient(field, [3, 3, 3], { axis: [Symbol.iterator] as never })).toThrow(/axis Symbol\(Symbol\.iterator\) is out of range/);
  });

  it("junk that error messages cannot print (BigInt, BigInt64Array, Symbol, null-prototype objects) still gives documented errors", () => {
    const nullProto = Object.create(null) as object;
    allDocumented([
      ["grad with mode 1n", () => state.probe.grad([1, 2], { mode: 1n as never })],
      ["fd.grad with scheme 1n", () => fd.grad((x: Float64Array) => x[0], [1], { scheme: 1n as never }), { callback: true }],
      ["fd.partial with a symbol for the variable", () => fd.partial((x: Float64Array) => x[0], [1], Symbol.iterator as never), { callback: true }],
      ["fd.partial with a null-prototype object for the variable", () => fd.partial((x: Float64Array) => x[0], [1], nullProto as never), { callback: true }],
      ["grid.gradient with a BigInt64Array shape", () => grid.gradient(new Float64Array(4), BigInt64Array.of(4n) as never)],
      ["grid.gradient with BigInt64Array coordinates", () => grid.gradient(new Float64Array(4), [4], { spacing: [BigInt64Array.of(1n, 2n, 3n, 4n)] as never })],
      ["buffer(1n)", () => buffer(1n as never)],
      ["minimize with a BigInt64Array x0", () => minimize((x: Float64Array) => ({ value: 0, grad: x }), BigInt64Array.of(1n) as never), { callback: true }],
      ["minimize with a symbol gradTol", () => minimize(state.probe, [1, 2], { gradTol: Symbol.iterator as never })],
      ["reparam.gaussian with a symbol sample count", () => reparam.gaussian(fixture("f3"), { mu: [0, 0, 0], sigma: [1, 1, 1] }, { samples: Symbol.iterator as never, seed: 1 })],
      ["derivative with a BigInt variable", () => derivative("x", 1n as never)],
      ["Tensor.get with a symbol index", () => Tensor.from([[1, 2]]).get(Symbol.iterator as never, 0)],
    ]);
  });

  it("arguments of the wrong type or size are InputErrors or ShapeErrors, not TypeErrors or RangeErrors", () => {
    const disposed = compile("z^2", { vars: ["z"] });
    disposed.dispose();
    allDocumented([
      ["new Tensor(2)", () => new Tensor(2 as never)],
      ["gradientExpr with vars a string", () => gradientExpr("x*y", "y" as never)],
      ["jacobianExpr with vars an object", () => jacobianExpr(["x*y"], {} as never)],
      ["derivative with null options", () => derivative("x^2", "x", null as never)],
      ["grid.gradient with null options", () => grid.gradient(new Float64Array(4), [4], null as never)],
      ["fd.derivative with null options", () => fd.derivative((x: number) => x, 1, null as never), { callback: true }],
      ["fd.grad with step null", () => fd.grad((x: Float64Array) => x[0], [1], { step: null as never }), { callback: true }],
      ["fd.derivative at null", () => fd.derivative((x: number) => x, null as never), { callback: true }],
      ["compile with a tensor variable of 10^10 entries", () => compile("x", { vars: { x: [1e5, 1e5] } })],
      ["fn with an input of 10^23 entries", () => fn(1e23, (x) => x.sum()), { passThrough: true }],
      ["buffer of shape [1e308, 1e308, 0]", () => {
        const b = buffer([1e308, 1e308, 0]);
        const size = b.size;
        b.dispose();
        if (!Number.isInteger(size)) throw new Error(`buffer([1e308, 1e308, 0]).size is ${size}`);
      }],
      ["minimize with onStep not a function", () => minimize(state.probe, [1, 2], { onStep: 5 as never, maxIterations: 3 })],
      ["Func.of(undefined)", () => fn({ t: [] }, () => fixture("f3").of(undefined as never)), { passThrough: true }],
      ["reparam.gaussian of a disposed function", () => reparam.gaussian(disposed, { mu: [0], sigma: [1] }, { samples: 10, seed: 1 })],
      ["reparam.expectationGrad with theta null", () => reparam.expectationGrad(fixture("f3"), (eps: Node, theta: Node) => theta.add(eps), null as never, { samples: 2, seed: 0 }), { callback: true }],
    ]);
  });
});
