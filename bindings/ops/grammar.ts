// Op codes and the grammar's function table. The codes mirror assembly/core/tape.ts
// (test/ops/ops.test.ts checks every arity against the WASM module's own table).

export const Op = {
  Input: 0,
  Add: 1, Sub: 2, Mul: 3, Div: 4, Neg: 5, Pow: 6,
  Sin: 7, Cos: 8, Tan: 9, Asin: 10, Acos: 11, Atan: 12,
  Sinh: 13, Cosh: 14, Tanh: 15, Asinh: 16, Acosh: 17, Atanh: 18,
  Exp: 19, Expm1: 20, Log: 21, Log1p: 22, Log2: 23, Log10: 24,
  Sqrt: 25, Cbrt: 26, Abs: 27, Sign: 28,
  Atan2: 29, Hypot: 30, Min: 31, Max: 32,
  /** Keep(a, c) = c ≠ 0 ? a : 0, passing a's derivative only where c ≠ 0: a guard the symbolic rules use (not in the grammar). */
  Keep: 33,
  Det: 34, Inv: 35, Solve: 36, Sum: 37,
} as const;

/**
 * The instruction word (assembly/core/tape.ts): op in bits 0–7, flags, and a run
 * length from bit RUN_SHIFT. BROADCAST_A/B: operand a (b) is one slot for the
 * whole run; CONTIGUOUS: a sum's operands are consecutive computed slots;
 * VALUES_UNREAD: a sum or fused group a fused reverse sweep need not compute;
 * NO_ADJOINT: no derivative of the outputs flows through the instruction (it
 * feeds only guards: Keep's second operand), so a reverse sweep skips its rule.
 */
export const BROADCAST_A = 1 << 8, BROADCAST_B = 1 << 9, CONTIGUOUS = 1 << 10, VALUES_UNREAD = 1 << 11, NO_ADJOINT = 1 << 12,
  RUN_SHIFT = 13;
/** The b field of a contiguous sum whose reverse rule the fused group before it carries out (assembly/core/tape.ts). */
export const SUM_PULLED = 1;

/** Graph-only node kind: a constant (lives in the tape's constant pool, not an instruction). */
export const CONST = -1;
/** Graph-only node kind: entry `b` of the results of block node `a` (no instruction of its own). */
export const PROJ = -2;

export type OpCode = (typeof Op)[keyof typeof Op];

/** Unary functions of the grammar, by name. */
export const UNARY_FUNCTIONS = {
  sin: Op.Sin, cos: Op.Cos, tan: Op.Tan, asin: Op.Asin, acos: Op.Acos, atan: Op.Atan,
  sinh: Op.Sinh, cosh: Op.Cosh, tanh: Op.Tanh, asinh: Op.Asinh, acosh: Op.Acosh, atanh: Op.Atanh,
  exp: Op.Exp, expm1: Op.Expm1, log: Op.Log, log1p: Op.Log1p, log2: Op.Log2, log10: Op.Log10,
  sqrt: Op.Sqrt, cbrt: Op.Cbrt, abs: Op.Abs, sign: Op.Sign,
} as const;

/** Binary functions of the grammar, by name. */
export const BINARY_FUNCTIONS = {
  atan2: Op.Atan2, pow: Op.Pow, hypot: Op.Hypot, min: Op.Min, max: Op.Max,
} as const;

/** Functions of tensor arguments (matrices, vectors), by name, with their argument counts. */
export const TENSOR_FUNCTIONS = {
  det: 1, inv: 1, trace: 1, transpose: 1, sum: 1, norm: 1, diag: 1,
  dot: 2, matmul: 2, outer: 2, solve: 2,
} as const;

export type UnaryName = keyof typeof UNARY_FUNCTIONS;
export type BinaryName = keyof typeof BINARY_FUNCTIONS;
export type TensorFunctionName = keyof typeof TENSOR_FUNCTIONS;

/** Number of arguments a grammar function takes, or undefined for an unknown name. */
export function functionArity(name: string): 1 | 2 | undefined {
  if (Object.hasOwn(UNARY_FUNCTIONS, name)) return 1;
  if (Object.hasOwn(BINARY_FUNCTIONS, name)) return 2;
  if (Object.hasOwn(TENSOR_FUNCTIONS, name)) return TENSOR_FUNCTIONS[name as TensorFunctionName];
  return undefined;
}

/** Operand count of an op code: 0 for Input, 1 or 2 for scalar ops, −1 for block ops (operand lists). */
export function opArity(op: number): number {
  if (op === Op.Input) return 0;
  if (op >= Op.Det) return -1;
  if (op === Op.Neg || (op >= Op.Sin && op <= Op.Sign)) return 1;
  return 2;
}

/** Block ops (det, inv, solve) read and write lists of values. */
export function isBlock(op: number): boolean {
  return op >= Op.Det;
}

/** Ops whose operands may be swapped without changing any result, NaN and −0 included. */
export function isCommutative(op: number): boolean {
  return op === Op.Add || op === Op.Mul || op === Op.Hypot || op === Op.Min || op === Op.Max;
}

/** Named constants of the grammar. */
export const CONSTANTS: Readonly<Record<string, number>> = { pi: Math.PI, e: Math.E };
