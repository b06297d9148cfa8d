// defineFunction: functions of the user's own, usable in expression strings and
// as builder functions, in two forms.
//
// - By expression: a macro. `defineFunction("huber(r, d)", "where(abs(r) <= d, …)")`
//   expands the body over the arguments at each call, so the compiled function
//   is as if the body had been written there: every mode, fusion and
//   derivative() work as for any expression.
// - By code: a primitive whose value and partial derivatives are JavaScript
//   functions of numbers. It becomes a host block (ir/host-blocks.ts): the core
//   calls back once per block of points (not per point) and runs the chain rule
//   with the partials given; with second partials, a partial is itself such a
//   primitive, so Hessians work too. A rule that throws or returns the wrong
//   thing raises a CallbackError naming the function, after the sweep.
//
// Both live in one table per library instance (ops/user-functions.ts).
import { CallbackError, InputError, ParseError, show } from "../base/errors.js";
import { HostKind } from "../ops/abi.js";
import { CONSTANTS, builtinArity } from "../ops/grammar.js";
import { registerUserFunction, unregisterUserFunction, userFunction, userFunctions, type UserFunctionEntry } from "../ops/user-functions.js";
import { addHostBlock, hostNodes, type HostBlock, type HostRequest } from "../ir/host-blocks.js";
import { Node, type Operand } from "../front/node.js";
import { graphOf } from "../front/tensor-ops.js";
import { f64, i32 } from "../runtime/loader.js";
import { applyUserFunction, compile } from "./expression.js";
import type { Func } from "./func.js";
import type { Graph } from "../ir/graph.js";

/** The rules of a function defined by code: each takes the arguments as numbers. */
export interface FunctionRules {
  /** f(a, b, …): a number. */
  value: (...args: number[]) => number;
  /** The partials ∂f/∂a, ∂f/∂b, …: one number per argument. */
  partials: (...args: number[]) => ArrayLike<number>;
  /** The second partials [[∂²f/∂a², ∂²f/∂a∂b, …], …] (k×k, or k² numbers row by row): needed for Hessians and hvp. */
  second?: (...args: number[]) => ArrayLike<number> | ArrayLike<ArrayLike<number>>;
}

/** A defined function: numbers in, a number out; anything traced in, a node out (elementwise, broadcast). */
export type UserFunction = (...args: Operand[]) => any;

/** What `listFunctions` reports of a defined function. */
export interface FunctionInfo {
  name: string;
  params: string[];
  /** "expression" (with its body) or "code". */
  kind: "expression" | "code";
  body?: string;
  /** By code: whether second partials were given (Hessians need them). */
  second?: boolean;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** name and parameters of a signature "name(a, b)"; a ParseError names the column of what is wrong. */
function readSignature(signature: unknown): { name: string; params: string[] } {
  if (typeof signature !== "string") throw new InputError(`defineFunction's signature must be a string such as "huber(r, d)", got ${show(signature)}`);
  const m = /^(\s*)([A-Za-z_][A-Za-z0-9_]*)\s*\((.*)\)\s*$/.exec(signature);
  if (!m) throw new ParseError(`a signature is a name and its parameters in parentheses, such as "huber(r, d)"`, 1, signature);
  const name = m[2], open = signature.indexOf("(") + 1;
  const params: string[] = [];
  let column = open + 1;
  for (const part of m[3].split(",")) {
    const p = part.trim(), at = column + part.indexOf(p);
    if (!IDENTIFIER.test(p)) throw new ParseError(p === "" ? "expected a parameter name" : `parameter '${p}' is not an identifier`, at, signature);
    if (Object.hasOwn(CONSTANTS, p) || builtinArity(p) !== undefined || userFunction(p)) {
      throw new ParseError(`parameter '${p}' is the name of a constant or function of the grammar`, at, signature);
    }
    if (params.includes(p)) throw new ParseError(`parameter '${p}' is listed twice`, at, signature);
    params.push(p);
    column += part.length + 1;
  }
  if (Object.hasOwn(CONSTANTS, name) || builtinArity(name) !== undefined) {
    throw new InputError(`'${name}' is a built-in ${builtinArity(name) === undefined ? "constant" : "function"} of the grammar; a defined function may not shadow it`);
  }
  if (userFunction(name)) throw new InputError(`'${name}' is defined already; removeFunction("${name}") first to define it again`);
  return { name, params };
}

/**
 * Defines a function for expression strings and the builder, and returns it as
 * a builder function. `body` is an expression over the parameters (a macro,
 * expanded inline) or `{ value, partials, second? }` in JavaScript (a primitive
 * the core calls back for, a block of points at a time). A name that shadows a
 * built-in, or one defined already, is refused.
 *
 *   const huber = defineFunction("huber(r, d)", "where(abs(r) <= d, r^2/2, d*(abs(r) - d/2))");
 *   compile("huber(x - 1, 0.5)").grad([3]);  fn(3, (x) => huber(x, 1).sum());
 *   defineFunction("lbeta(a, b)", { value, partials, second });
 * @param signature the name and parameters, `name(a, b)`
 * @param body an expression of the parameters, or `{ value, partials, second? }` rules in JavaScript
 * @example
 * ```ts
 * import { compile, defineFunction } from "gradients";
 * defineFunction("huber(r, d)", "where(abs(r) <= d, r^2/2, d*(abs(r) - d/2))");
 * const g = compile("huber(x - 1, 0.5)").grad([3]); // [0.5]
 * ```
 */
export function defineFunction(signature: string, body: string | FunctionRules): UserFunction {
  const { name, params } = readSignature(signature);
  let entry: UserFunctionEntry;
  let numbers: (args: number[]) => number;
  if (typeof body === "string") {
    let check: Func;
    try {
      check = compile(body, { vars: params });
    } catch (error) {
      if (error instanceof ParseError) {
        throw new ParseError(`in the body of ${name}: ${error.reason}`, error.column, body);
      }
      throw error;
    }
    if (check.outputShape.length !== 0) throw new InputError(`the body of ${name} must be a scalar expression of its parameters`);
    entry = { name, params, body };
    numbers = (args) => check.eval(args) as number;
  } else {
    const rules = readRules(name, params.length, body);
    entry = { name, params, host: ruleBlock(name, params.length, rules, 0) };
    numbers = (args) => valueOf(name, rules.value, args);
  }
  registerUserFunction(entry);
  return (...args: Operand[]) => {
    if (args.length !== params.length) throw new InputError(`${name} takes ${params.length} argument${params.length === 1 ? "" : "s"} (${params.join(", ")}), got ${args.length}`);
    if (args.every((a) => typeof a === "number")) return numbers(args as number[]);
    if (!graphOf(args)) throw new InputError(`${name} takes numbers or traced values (inside fn), got ${args.map(show).join(", ")}`);
    return applyUserFunction(entry, args) as Node;
  };
}

/** The defined functions, in the order they were defined. */
export function listFunctions(): FunctionInfo[] {
  return userFunctions().map((e) => (e.body !== undefined
    ? { name: e.name, params: [...e.params], kind: "expression", body: e.body }
    : { name: e.name, params: [...e.params], kind: "code", second: secondGiven.has(e.name) }));
}

/**
 * Removes a defined function (functions already compiled keep working); whether
 * it was defined. Refused while another definition's body calls it.
 */
export function removeFunction(name: string): boolean {
  if (typeof name !== "string") throw new InputError(`removeFunction takes a function's name, got ${show(name)}`);
  const users = userFunctions().filter((e) => e.body !== undefined && callsOf(e.body).has(name)).map((e) => e.name);
  if (users.length > 0) throw new InputError(`${name} is called by the body of ${users.join(", ")}; remove ${users.length === 1 ? "it" : "them"} first`);
  secondGiven.delete(name);
  return unregisterUserFunction(name);
}

/** Names followed by '(' in an expression: the functions it calls. */
function callsOf(body: string): Set<string> {
  return new Set([...body.matchAll(/([A-Za-z_][A-Za-z0-9_]*)\s*\(/g)].map((m) => m[1]));
}

// ── Functions defined by code ────────────────────────────────────────────────

/** Names of code-defined functions given second partials. */
const secondGiven = new Set<string>();

function readRules(name: string, k: number, rules: unknown): FunctionRules {
  if (typeof rules !== "object" || rules === null) {
    throw new InputError(`defineFunction takes an expression string or { value, partials, second? } for ${name}, got ${show(rules)}`);
  }
  const r = rules as Record<string, unknown>;
  for (const key of Object.keys(r)) {
    if (!["value", "partials", "second"].includes(key)) throw new InputError(`unknown rule '${key}' for ${name}: the rules are value, partials and second`);
  }
  if (typeof r.value !== "function") throw new InputError(`${name} needs a value rule: a function of its ${k} argument${k === 1 ? "" : "s"} returning a number`);
  if (typeof r.partials !== "function") throw new InputError(`${name} needs a partials rule: a function returning its ${k} partial derivative${k === 1 ? "" : "s"}`);
  if (r.second !== undefined && typeof r.second !== "function") throw new InputError(`${name}'s second rule must be a function returning the ${k}×${k} second partials`);
  if (r.second) secondGiven.add(name);
  return rules as FunctionRules;
}

/** A rule's result at one point, checked: a CallbackError naming the function and rule otherwise. */
function call(name: string, rule: string, f: (...args: number[]) => unknown, args: number[]): unknown {
  try {
    return f(...args);
  } catch (error) {
    throw new CallbackError(`${name}'s ${rule} rule threw at (${args.join(", ")}): ${error instanceof Error ? error.message : String(error)}`, error);
  }
}

function valueOf(name: string, f: FunctionRules["value"], args: number[]): number {
  const v = call(name, "value", f, args);
  if (typeof v !== "number") throw new CallbackError(`${name}'s value rule returned ${show(v)} at (${args.join(", ")}); expected a number`);
  return v;
}

/** k numbers from a rule (an array-like of numbers). */
function numbersOf(name: string, rule: string, got: unknown, k: number, args: number[]): ArrayLike<number> {
  const list = got as ArrayLike<unknown>;
  if (typeof got !== "object" || got === null || typeof list.length !== "number" || list.length !== k) {
    throw new CallbackError(`${name}'s ${rule} rule returned ${show(got)} at (${args.join(", ")}); expected an array of ${k} number${k === 1 ? "" : "s"}`);
  }
  for (let i = 0; i < k; i++) {
    if (typeof list[i] !== "number") throw new CallbackError(`${name}'s ${rule} rule returned ${show(list[i])} as entry ${i} at (${args.join(", ")}); expected a number`);
  }
  return list as ArrayLike<number>;
}

/**
 * Row `row` of the second partials (k numbers), from a k×k nested array or k²
 * numbers row by row.
 */
function secondRow(name: string, got: unknown, k: number, row: number, args: number[]): ArrayLike<number> {
  const list = got as ArrayLike<unknown>;
  if (typeof got === "object" && got !== null && list.length === k && typeof list[0] === "object") {
    return numbersOf(name, "second", list[row], k, args);
  }
  const flat = numbersOf(name, "second", got, k * k, args);
  return Array.from({ length: k }, (_, j) => flat[row * k + j]);
}

/**
 * The host block of a code-defined function's derivative of order `order` along
 * `path` (order 0: the value; 1: ∂ᵢ; 2: ∂ᵢ∂ⱼ): its value at each point, and the
 * partials the chain rule combines with tangents or adjoints (the next order's
 * values). Second order needs `second`: without it the value block gives no
 * partials as graph nodes, and Hessians are refused up front.
 */
function ruleBlock(name: string, k: number, rules: FunctionRules, order: number, path: readonly number[] = [],
                   made = new Map<string, number[]>()): number {
  const label = order === 0 ? name : `${name}'s partial ∂${path.map((i) => i + 1).join("∂")}`;
  const first = (args: number[]) => numbersOf(name, "partials", call(name, "partials", rules.partials, args), k, args);
  const second = (row: number) => (args: number[]) => secondRow(name, call(name, "second", rules.second!, args), k, row, args);
  const value = order === 0 ? (args: number[]) => valueOf(name, rules.value, args)
    : order === 1 ? (args: number[]) => first(args)[path[0]] : (args: number[]) => second(path[0])(args)[path[1]];
  const partials = order === 0 ? first : order === 1 ? second(path[0]) : undefined;
  const refusal = order < 2
    ? `second derivatives (hessian, hvp, laplacian, gradFunction) through ${name} need its second partials: pass { value, partials, second } to defineFunction`
    : `third derivatives through ${name} are not supported (its rules give two orders)`;
  const derived = (g: Graph, operands: readonly number[]) => {
    const key = path.join(",");
    let ids = made.get(key);
    if (!ids) made.set(key, ids = Array.from({ length: k }, (_, i) => ruleBlock(name, k, rules, order + 1, [...path, i], made)));
    return ids.map((id) => hostNodes(g, id, operands, 1)[0]);
  };
  const block: HostBlock = {
    name: label,
    run: (request) => runRule(request, k, value, partials, refusal),
    ...(order < 2 && rules.second ? { partials: derived } : { refusal }),
  };
  return addHostBlock(block);
}

/**
 * A code-defined block over the request's points: values, and for tangents or
 * adjoints the chain rule with the rule's partials (operands in order, each
 * lane's terms added left to right).
 */
function runRule(request: HostRequest, k: number, value: (args: number[]) => number,
                 partials: ((args: number[]) => ArrayLike<number>) | undefined, refusal: string): void {
  const { kind, dst, a, vals, rows, masks, B, K, n, laneMask, nConst } = request;
  const I = i32();
  const out = I[(dst >> 2) + 1], slots = Array.from(I.subarray((a >> 2) + 2, (a >> 2) + 2 + k));
  const M = Array.from(slots, (s) => (s < nConst ? 0 : I[(masks >> 2) + s]));
  const v0 = vals >> 3, r0 = rows >> 3;
  const derivatives = kind === HostKind.Tangents || kind === HostKind.Adjoints;
  if (derivatives && !partials) throw new InputError(refusal);
  const args = new Array<number>(k);
  // (memory is read through a view taken after each call of the user's code: a rule that grows
  // unshared memory, by making a buffer, detaches the views taken before it)
  let F = f64();
  for (let p = 0; p < n; p++) {
    for (let i = 0; i < k; i++) args[i] = F[v0 + slots[i] * B + p];
    if (kind !== HostKind.Adjoints) {
      const y = value(args);
      F = f64();
      F[v0 + out * B + p] = y;
    }
    if (!derivatives) continue;
    const d = partials!(args);
    F = f64();
    for (let l = 0; l < K; l++) {
      if (!(laneMask & (1 << l))) continue;
      if (kind === HostKind.Tangents) { // ṫ = Σ ∂ᵢ·ȧᵢ over the operands live in lane l
        let t = 0;
        for (let i = 0; i < k; i++) if (M[i] & (1 << l)) t += d[i] * F[r0 + (slots[i] * K + l) * B + p];
        F[r0 + (out * K + l) * B + p] = t;
      } else { // āᵢ += ∂ᵢ·w̄
        const w = F[r0 + (out * K + l) * B + p];
        for (let i = 0; i < k; i++) if (slots[i] >= nConst) F[r0 + (slots[i] * K + l) * B + p] += d[i] * w;
      }
    }
  }
}
