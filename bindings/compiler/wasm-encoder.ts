// A minimal WebAssembly binary writer: enough to emit the fused loops of
// bindings/compiler/fuse.ts and the compiled sweeps of bindings/compiler/sweep-code.ts
// as modules of functions over the core's imported memory.
// (Binary format: https://webassembly.github.io/spec/core/binary/.)

/** The opcodes the generated code uses. */
import { append } from "../base/arrays.js";
import { coreMemoryShared } from "../base/shared-memory.js";
export const I = {
  block: 0x02, loop: 0x03, if: 0x04, else: 0x05, br: 0x0c, br_if: 0x0d, end: 0x0b, call: 0x10, drop: 0x1a, select: 0x1b,
  local_get: 0x20, local_set: 0x21, local_tee: 0x22,
  i32_load: 0x28, f64_load: 0x2b, f64_store: 0x39,
  i32_const: 0x41, f64_const: 0x44,
  i32_eqz: 0x45, i32_eq: 0x46, i32_ne: 0x47, i32_lt_s: 0x48, i32_le_s: 0x4c, i32_ge_s: 0x4e,
  f64_eq: 0x61, f64_ne: 0x62, f64_lt: 0x63,
  i32_add: 0x6a, i32_sub: 0x6b, i32_mul: 0x6c, i32_and: 0x71, i32_shl: 0x74,
  f64_abs: 0x99, f64_neg: 0x9a, f64_sqrt: 0x9f, f64_add: 0xa0, f64_sub: 0xa1, f64_mul: 0xa2, f64_div: 0xa3,
} as const;

/** Value types. */
export const T = { i32: 0x7f, f64: 0x7c, v128: 0x7b } as const;

/** f64x2 opcodes (after the 0xfd prefix) of the f64 arithmetic the fused loops use. */
export const F64X2: Readonly<Record<number, number>> = {
  [I.f64_add]: 240, [I.f64_sub]: 241, [I.f64_mul]: 242, [I.f64_div]: 243, [I.f64_neg]: 237, [I.f64_sqrt]: 239,
  [I.f64_ne]: 72,
};
/** v128.bitselect (after the 0xfd prefix): (a & mask) | (b & ~mask). */
export const V128_BITSELECT = 82;
const SIMD = 0xfd, V128_LOAD = 0, V128_LOAD64_SPLAT = 10, V128_STORE = 11, I8X16_SHUFFLE = 13, F64X2_SPLAT = 20, F64X2_EXTRACT_LANE = 33;

const VOID_BLOCK = 0x40, I32 = T.i32, F64 = T.f64, V128 = T.v128;
const BULK = 0xfc, MEMORY_COPY = 10, MEMORY_FILL = 11;

/** Unsigned LEB128. */
export function uleb(out: number[], value: number): void {
  do {
    let byte = value & 0x7f;
    value >>>= 7;
    if (value !== 0) byte |= 0x80;
    out.push(byte);
  } while (value !== 0);
}

/** Signed LEB128 (32-bit). */
function sleb(out: number[], value: number): void {
  for (;;) {
    const byte = value & 0x7f;
    value >>= 7;
    if ((value === 0 && (byte & 0x40) === 0) || (value === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return;
    }
    out.push(byte | 0x80);
  }
}

/** One function body under construction: locals are declared as they are asked for. */
export class FunctionBody {
  private readonly code: number[] = [];
  private readonly locals: number[] = []; // types of the locals after the parameters
  /**
   * Blocks, loops and ifs open where the code ends: code at one depth runs whenever the
   * code before it at that depth does (`else` stays at its `if`'s depth; code `cut` and
   * `paste`d back is balanced, so it leaves the depth as it was).
   */
  depth = 0;

  constructor(private readonly params: number) {}

  /** A new i32 local's index. */
  i32(): number { return this.local(I32); }
  /** A new f64 local's index. */
  f64(): number { return this.local(F64); }
  /** A new v128 local's index. */
  v128(): number { return this.local(V128); }

  /** A new local of value type `type`: its index. */
  local(type: number): number {
    this.locals.push(type);
    return this.params + this.locals.length - 1;
  }

  op(code: number): this { this.code.push(code); return this; }
  get(local: number): this { this.code.push(I.local_get); uleb(this.code, local); return this; }
  set(local: number): this { this.code.push(I.local_set); uleb(this.code, local); return this; }
  tee(local: number): this { this.code.push(I.local_tee); uleb(this.code, local); return this; }
  i32Const(value: number): this { this.code.push(I.i32_const); sleb(this.code, value | 0); return this; }
  f64Const(value: number): this {
    this.code.push(I.f64_const);
    const bytes = new Uint8Array(new Float64Array([value]).buffer);
    append(this.code, bytes);
    return this;
  }
  /** f64.load at the address on the stack plus `offset` bytes (alignment 8). */
  load(offset = 0): this { this.code.push(I.f64_load, 3); uleb(this.code, offset); return this; }
  /** f64.store of (address, value) on the stack, at the address plus `offset` bytes. */
  store(offset = 0): this { this.code.push(I.f64_store, 3); uleb(this.code, offset); return this; }
  /** A SIMD instruction (0xfd prefix). */
  simd(code: number): this { this.code.push(SIMD); uleb(this.code, code); return this; }
  /** v128.load / v128.store (offset 0; alignment hint 8: a row of an odd block is only 8-byte aligned). */
  loadV128(): this { return this.simd(V128_LOAD).memarg8(); }
  storeV128(): this { return this.simd(V128_STORE).memarg8(); }
  /** f64x2.splat of the f64 on the stack. */
  splat(): this { return this.simd(F64X2_SPLAT); }
  /** v128.load64_splat: the f64 at the address on the stack, in both lanes. */
  loadSplat(): this { return this.simd(V128_LOAD64_SPLAT).memarg8(); }
  /** The f64x2 (lane 1 of the first, lane 0 of the second) of two on the stack (i8x16.shuffle). */
  highLow(): this {
    this.simd(I8X16_SHUFFLE);
    for (let i = 8; i < 24; i++) this.code.push(i);
    return this;
  }
  /** f64x2.extract_lane: lane 0 or 1 of the f64x2 on the stack. */
  extractLane(lane: number): this { this.simd(F64X2_EXTRACT_LANE); this.code.push(lane); return this; }
  private memarg8(): this { this.code.push(3, 0); return this; }
  /** `block` (a branch to it leaves it), with a void block type. */
  block(): this { this.code.push(I.block, VOID_BLOCK); this.depth++; return this; }
  br(depth: number): this { this.code.push(I.br); uleb(this.code, depth); return this; }
  /** `loop` (label 0 inside it branches back to its start), with a void block type. */
  loop(): this { this.code.push(I.loop, VOID_BLOCK); this.depth++; return this; }
  /** `if` on the i32 on the stack (void, or leaving one f64); `else` and `end` close it. */
  if(result?: typeof T.f64): this { this.code.push(I.if, result ?? VOID_BLOCK); this.depth++; return this; }
  /** Calls function `index` (imports first). */
  call(index: number): this { this.code.push(I.call); uleb(this.code, index); return this; }
  /** i32.load at the address on the stack plus `offset` (alignment 4). */
  loadI32(offset = 0): this { this.code.push(I.i32_load, 2); uleb(this.code, offset); return this; }
  /** memory.fill(address, byte, count) of the three i32 on the stack. */
  fill(): this { this.code.push(BULK, MEMORY_FILL, 0); return this; }
  /** memory.copy(destination, source, count) of the three i32 on the stack. */
  copy(): this { this.code.push(BULK, MEMORY_COPY, 0, 0); return this; }
  else(): this { this.code.push(I.else); return this; }
  brIf(depth: number): this { this.code.push(I.br_if); uleb(this.code, depth); return this; }
  end(): this { this.code.push(I.end); this.depth--; return this; }

  /** Where the code written so far ends: for `cut`. */
  mark(): number { return this.code.length; }
  /** Removes the code written since `mark` and returns it (to write something before it, then `paste` it back). */
  cut(mark: number): number[] { return this.code.splice(mark); }
  /** Appends code that `cut` returned. */
  paste(code: ArrayLike<number>): this { append(this.code, code); return this; }

  /** The encoded body: local declarations (one group per local), code, end. */
  encode(): number[] {
    const out: number[] = [];
    uleb(out, this.locals.length);
    for (const type of this.locals) out.push(1, type);
    append(out, this.code);
    out.push(I.end);
    const sized: number[] = [];
    uleb(sized, out.length);
    append(sized, out);
    return sized;
  }
}

function section(out: number[], id: number, body: number[]): void {
  out.push(id);
  uleb(out, body.length);
  append(out, body);
}

function name(out: number[], text: string): void {
  uleb(out, text.length);
  for (let i = 0; i < text.length; i++) out.push(text.charCodeAt(i));
}

/** A function of a module: its type (an index into `types`), its body, and an export name if it has one. */
export interface ModuleFunction {
  type: number;
  body: FunctionBody;
  export?: string;
}

/** A global of a module: value type, mutability, and its initializer (a constant instruction and `end`). */
export interface ModuleGlobal {
  type: number;
  mutable: boolean;
  init: Uint8Array;
}

/**
 * A module importing `env.memory` and the functions `imports` name (env.<name>,
 * of type index `type`; they come first in the function index space), with
 * `functions` after them, and defining `globals`. `types`: [parameter types, result types] each.
 */
export function encode(types: readonly (readonly [number[], number[]])[], imports: readonly { name: string; type: number }[],
                       functions: readonly ModuleFunction[], globals: readonly ModuleGlobal[] = []): Uint8Array {
  const out = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  const typeSection: number[] = [];
  uleb(typeSection, types.length);
  for (const [params, results] of types) {
    typeSection.push(0x60);
    uleb(typeSection, params.length);
    append(typeSection, params);
    uleb(typeSection, results.length);
    append(typeSection, results);
  }
  section(out, 1, typeSection);
  const importSection: number[] = [];
  uleb(importSection, 1 + imports.length);
  name(importSection, "env");
  name(importSection, "memory");
  // memory, limits: min 0 and no max; or, shared like the core's (a shared memory needs a max), at most 4 GiB
  if (coreMemoryShared()) importSection.push(0x02, 0x03, 0x00, 0x80, 0x80, 0x04);
  else importSection.push(0x02, 0x00, 0x00);
  for (const f of imports) {
    name(importSection, "env");
    name(importSection, f.name);
    importSection.push(0x00);
    uleb(importSection, f.type);
  }
  section(out, 2, importSection);
  const functionSection: number[] = [];
  uleb(functionSection, functions.length);
  for (const f of functions) uleb(functionSection, f.type);
  section(out, 3, functionSection);
  if (globals.length) {
    const globalSection: number[] = [];
    uleb(globalSection, globals.length);
    for (const g of globals) {
      globalSection.push(g.type, g.mutable ? 1 : 0);
      append(globalSection, g.init);
    }
    section(out, 6, globalSection);
  }
  const exported = functions.map((f, i) => [f, i + imports.length] as const).filter(([f]) => f.export !== undefined);
  const exportSection: number[] = [];
  uleb(exportSection, exported.length);
  for (const [f, index] of exported) {
    name(exportSection, f.export!);
    exportSection.push(0x00);
    uleb(exportSection, index);
  }
  section(out, 7, exportSection);
  const code: number[] = [];
  uleb(code, functions.length);
  for (const f of functions) append(code, f.body.encode());
  section(out, 10, code);
  return Uint8Array.from(out);
}

/**
 * A module importing `env.memory` whose functions all take `params` i32
 * parameters and return nothing, exported as "0", "1", … in order.
 */
export function encodeModule(params: number, bodies: readonly FunctionBody[]): Uint8Array {
  return encode([[Array<number>(params).fill(I32), []]], [], bodies.map((body, i) => ({ type: 0, body, export: String(i) })));
}
