// What the front end asks of an op code or a name, read from the spec
// (spec.ts) and the generated ABI (abi.ts): the grammar's function tables,
// arities, and the traits the graph relies on.
import { ARITY, FIRST_BLOCK, OP_NAMES, Op } from "./abi.js";
import { userFunction, userFunctions } from "./user-functions.js";
import { PRIMITIVES, type BinaryName, type CompositeName, type Row, type ScalarName, type UnaryName } from "./spec.js";

export {
  Op, OP_NAMES, OP_COUNT, FLAT, BROADCAST_A, BROADCAST_B, CONTIGUOUS, VALUES_UNREAD, NO_ADJOINT, RUN_SHIFT, SUM_PULLED, FIRST_A, FIRST_B,
  READS_SUM, READ_BY_RUN, SEGMENT_SHIFT, FUSE_BEGIN, FUSE_END,
} from "./abi.js";
export type { UnaryName, BinaryName, ScalarName, CompositeName } from "./spec.js";

/** Graph-only node kind: a constant (lives in the tape's constant pool, not an instruction). */
export const CONST = -1;
/** Graph-only node kind: entry `b` of the results of block node `a` (no instruction of its own). */
export const PROJ = -2;

/** The op code of a scalar primitive, by its spec name. */
export function opCode(name: ScalarName): number {
  return Op[(name[0].toUpperCase() + name.slice(1)) as keyof typeof Op];
}

function callable<N extends ScalarName>(arity: 1 | 2): Record<N, number> {
  const table: Record<string, number> = {};
  for (const [name, row] of Object.entries(PRIMITIVES)) {
    if (row.kind === "scalar" && row.arity === arity && "callable" in row) table[name] = opCode(name as ScalarName);
  }
  return table as Record<N, number>;
}

/** Unary functions of the grammar, by name: their op codes. */
export const UNARY_FUNCTIONS: Readonly<Record<UnaryName, number>> = callable<UnaryName>(1);

/** Binary functions of the grammar, by name: their op codes. */
export const BINARY_FUNCTIONS: Readonly<Record<BinaryName, number>> = callable<BinaryName>(2);

/** Composite functions of the grammar (defined by other primitives), by name, with their argument counts. */
export const COMPOSITE_FUNCTIONS: Readonly<Record<CompositeName, number>> = Object.fromEntries(
  Object.entries(PRIMITIVES).flatMap(([name, row]) => (row.kind === "composite" ? [[name, row.arity]] : [])),
) as Record<CompositeName, number>;

/** Functions of tensor arguments (matrices, vectors), by name, with their argument counts. */
export const TENSOR_FUNCTIONS = {
  det: 1, inv: 1, trace: 1, transpose: 1, sum: 1, logsumexp: 1, norm: 1, diag: 1,
  dot: 2, matmul: 2, outer: 2, solve: 2,
} as const;

/** Every built-in function's argument count, by name: one lookup per name the parser meets. */
const BUILTIN_ARITY: ReadonlyMap<string, number> = new Map([
  ...Object.keys(UNARY_FUNCTIONS).map((name) => [name, 1] as const),
  ...Object.keys(BINARY_FUNCTIONS).map((name) => [name, 2] as const),
  ...Object.entries(COMPOSITE_FUNCTIONS),
  ...Object.entries(TENSOR_FUNCTIONS),
]);

/** Number of arguments a built-in grammar function takes, or undefined for another name. */
export function builtinArity(name: string): number | undefined {
  return BUILTIN_ARITY.get(name);
}

/** Number of arguments a grammar function takes (built-in or user-defined), or undefined for an unknown name. */
export function functionArity(name: string): number | undefined {
  return builtinArity(name) ?? userFunction(name)?.params.length;
}

/** Every function name of the grammar: built-in and user-defined. */
export function functionNames(): string[] {
  return [...Object.keys(UNARY_FUNCTIONS), ...Object.keys(BINARY_FUNCTIONS), ...Object.keys(COMPOSITE_FUNCTIONS),
    ...Object.keys(TENSOR_FUNCTIONS), ...userFunctions().map((f) => f.name)];
}

/** Names other libraries and textbooks give the grammar's functions. */
export const FUNCTION_ALIASES: Readonly<Record<string, string>> = {
  ln: "log", arcsin: "asin", arccos: "acos", arctan: "atan", arsinh: "asinh", arcosh: "acosh", artanh: "atanh",
  arcsinh: "asinh", arccosh: "acosh", arctanh: "atanh", lb: "log2", lg: "log10", sgn: "sign", logistic: "sigmoid",
};

/** Operand count of an op code: 0 for Input, 1 or 2 for scalar ops, −1 for block ops (operand lists). */
export function opArity(op: number): number {
  return ARITY[op];
}

/** Block ops (det, inv, solve, sum) read and write lists of values. */
export function isBlock(op: number): boolean {
  return op >= FIRST_BLOCK;
}

const COMMUTATIVE = OP_NAMES.map((name) => { const row: Row = PRIMITIVES[name]; return row.kind === "scalar" && row.commutative === true; });

/** Ops whose operands may be swapped without changing any result, NaN and −0 included. */
export function isCommutative(op: number): boolean {
  return COMMUTATIVE[op] === true;
}

/** Named constants of the grammar. */
export const CONSTANTS: Readonly<Record<string, number>> = { pi: Math.PI, e: Math.E };
