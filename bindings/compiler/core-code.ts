// The core's own compiled functions, read from its binary, for generated modules
// to inline: the point rules of the unary elementary functions (`<op>Point`,
// assembly/core/rules.ts) cost a call into another instance and a trip through
// memory per point when imported, which is most of a batch's time for
// sin(xy) + z²eˣ. Inlined, they are the core's very instructions (the same bits,
// no second copy of the math), with the functions they call (a large argument's
// reduction) and the globals they use carried into the module beside them.
//
// Only what is needed is decoded: the sections that give function types,
// globals, exports and bodies, and each body's instructions as far as their
// immediates (to find and renumber calls, globals and locals). A rule whose
// code reaches anything else (an import, a table, a call through one) is not
// offered, and stays an import.
// (Binary format: https://webassembly.github.io/spec/core/binary/.)

/** A function of the core that generated code can carry: what `splice` needs to renumber it. */
export interface CoreFunction {
  /** Its type: parameter and result value types. */
  params: number[];
  results: number[];
  /** Types of its locals after the parameters, one entry per local. */
  locals: number[];
  /** Its instructions, up to and including the body's final `end`. */
  code: Uint8Array;
  /**
   * Byte offsets in `code` of each immediate to renumber, its size and what it names (for `return`: the
   * `return` itself, and as `index` how many blocks enclose it inside the function's own).
   */
  refs: { at: number; size: number; kind: Ref; index: number }[];
}

/** What an immediate names: a local, a global (of the core), a function (of the core), or, for `return`, nothing. */
export const enum Ref { Local, Global, Call, Return }

/** A global of the core: value type, mutability and its initializer's bytes (a constant expression with its `end`). */
export interface CoreGlobal {
  type: number;
  mutable: boolean;
  init: Uint8Array;
}

/** The parts of the core a generated module can draw on. */
export class CoreCode {
  private readonly read = new Map<number, CoreFunction | null>();

  constructor(
    /** By export name, the function's index (imports first). */
    readonly exports: Map<string, number>,
    /** By global index: null for an imported global (which nothing carried may use). */
    readonly globals: readonly (CoreGlobal | null)[],
    private readonly bytes: Uint8Array,
    private readonly importedFunctions: number,
    /** By defined function (index − importedFunctions): its type and where its body lies in `bytes`. */
    private readonly bodies: readonly { params: number[]; results: number[]; from: number; to: number }[],
  ) {}

  /** Function `index`, decoded on first use (a few of the core's hundreds are ever asked for); null where it cannot be carried. */
  function(index: number): CoreFunction | null {
    let fn = this.read.get(index);
    if (fn === undefined) {
      const body = this.bodies[index - this.importedFunctions];
      fn = body ? readBody(new Reader(this.bytes.subarray(body.from, body.to)), body.params, body.results, this.importedFunctions) : null;
      this.read.set(index, fn);
    }
    return fn;
  }
}

/** The empty block type. */
export const VOID = 0x40;

/** A cursor over a WebAssembly binary: bytes and LEB128 numbers. */
export class Reader {
  constructor(readonly bytes: Uint8Array, public at = 0) {}
  byte(): number { return this.bytes[this.at++]; }
  u32(): number {
    let value = 0, shift = 0, b: number;
    do {
      b = this.bytes[this.at++];
      value += (b & 0x7f) * 2 ** shift;
      shift += 7;
    } while (b & 0x80);
    return value;
  }
  /** Skips a LEB128 (signed or not). */
  skipLeb(): void { while (this.bytes[this.at++] & 0x80); }
  name(): string {
    const length = this.u32();
    let text = "";
    for (let i = 0; i < length; i++) text += String.fromCharCode(this.bytes[this.at + i]);
    this.at += length;
    return text;
  }
  limits(): void {
    const flags = this.byte();
    this.u32();
    if (flags & 1) this.u32();
  }
}

/** A reader at the content of a module's section `id` (the first of that id), or undefined where it has none. */
export function moduleSection(bytes: Uint8Array, id: number): Reader | undefined {
  const r = new Reader(bytes, 8);
  while (r.at < bytes.length) {
    const section = r.byte(), size = r.u32();
    if (section === id) return r;
    r.at += size;
  }
  return undefined;
}

/**
 * Reads the parts of a core binary that `CoreCode` describes (its functions' code when asked for), or
 * null for a binary with parts this reader does not know (then nothing is carried: the rules are imported).
 */
export function readCore(bytes: Uint8Array): CoreCode | null {
  const r = new Reader(bytes, 8);
  const types: [number[], number[]][] = [];
  const functionTypes: number[] = [];
  const globals: (CoreGlobal | null)[] = [];
  const exports = new Map<string, number>();
  const bodies: { params: number[]; results: number[]; from: number; to: number }[] = [];
  let importedFunctions = 0;
  while (r.at < bytes.length) {
    const id = r.byte(), size = r.u32(), end = r.at + size;
    if (id === 1) {
      for (let n = r.u32(); n > 0; n--) {
        r.byte(); // 0x60
        const params = Array.from({ length: r.u32() }, () => r.byte());
        const results = Array.from({ length: r.u32() }, () => r.byte());
        types.push([params, results]);
      }
    } else if (id === 2) {
      for (let n = r.u32(); n > 0; n--) {
        r.name();
        r.name();
        const kind = r.byte();
        if (kind === 0) { functionTypes.push(r.u32()); importedFunctions++; }
        else if (kind === 1) { r.byte(); r.limits(); }
        else if (kind === 2) r.limits();
        else if (kind === 3) { r.byte(); r.byte(); globals.push(null); }
        else return null; // (an import of another kind: a core this reader does not know)
      }
    } else if (id === 3) {
      for (let n = r.u32(); n > 0; n--) functionTypes.push(r.u32());
    } else if (id === 6) {
      for (let n = r.u32(); n > 0; n--) {
        const type = r.byte(), mutable = r.byte() === 1, from = r.at;
        const constant = skipConstant(r);
        if (constant === undefined) return null;
        globals.push(constant ? { type, mutable, init: bytes.subarray(from, r.at) } : null);
      }
    } else if (id === 7) {
      for (let n = r.u32(); n > 0; n--) {
        const name = r.name(), kind = r.byte(), index = r.u32();
        if (kind === 0) exports.set(name, index);
      }
    } else if (id === 10) {
      r.u32();
      for (let index = importedFunctions; index < functionTypes.length; index++) {
        const bodySize = r.u32(), bodyEnd = r.at + bodySize;
        const [params, results] = types[functionTypes[index]];
        bodies.push({ params, results, from: r.at, to: bodyEnd });
        r.at = bodyEnd;
      }
    }
    r.at = end;
  }
  return new CoreCode(exports, globals, bytes, importedFunctions, bodies);
}

/**
 * Skips a global's initializer: true for one number constant and `end` (a global carried code may use),
 * false for another constant expression of one instruction (global.get, v128.const, a reference: not
 * carried), undefined for anything else, which this reader cannot skip safely.
 */
function skipConstant(r: Reader): boolean | undefined {
  const op = r.byte();
  let plain = true;
  if (op === 0x41 || op === 0x42) r.skipLeb();
  else if (op === 0x43) r.at += 4;
  else if (op === 0x44) r.at += 8;
  else if (op === 0x23 || op === 0xd2) { r.u32(); plain = false; } // global.get, ref.func
  else if (op === 0xd0) { r.at++; plain = false; } // ref.null
  else if (op === 0xfd && r.u32() === 12) { r.at += 16; plain = false; } // v128.const
  else return undefined;
  return r.byte() === 0x0b ? plain : undefined;
}

/** A body's locals and instructions, with the immediates to renumber; null for one that uses what cannot be carried. */
function readBody(r: Reader, params: number[], results: number[], importedFunctions: number): CoreFunction | null {
  if (results.length > 1) return null;
  const locals: number[] = [];
  for (let groups = r.u32(); groups > 0; groups--) {
    const count = r.u32(), type = r.byte();
    for (let i = 0; i < count; i++) locals.push(type);
  }
  const start = r.at, refs: CoreFunction["refs"] = [];
  const ref = (kind: Ref) => {
    const at = r.at, index = r.u32();
    refs.push({ at: at - start, size: r.at - at, kind, index });
    return index;
  };
  let depth = 1;
  while (depth > 0) {
    const op = r.byte();
    if (op === 0x02 || op === 0x03 || op === 0x04) {
      const blockType = r.bytes[r.at];
      if (blockType !== VOID && (blockType < 0x7b || blockType > 0x7f)) return null; // (a type index: not carried)
      r.at++;
      depth++;
    } else if (op === 0x0b) depth--;
    else if (op === 0x0c || op === 0x0d) r.u32();
    else if (op === 0x0e) { for (let n = r.u32() + 1; n > 0; n--) r.u32(); }
    else if (op === 0x0f) refs.push({ at: r.at - 1 - start, size: 1, kind: Ref.Return, index: depth - 1 });
    else if (op === 0x10) { if (ref(Ref.Call) < importedFunctions) return null; }
    else if (op >= 0x20 && op <= 0x22) ref(Ref.Local);
    else if (op === 0x23 || op === 0x24) ref(Ref.Global);
    else if (op >= 0x28 && op <= 0x3e) memarg(r);
    else if (op === 0x41 || op === 0x42) r.skipLeb();
    else if (op === 0x43) r.at += 4;
    else if (op === 0x44) r.at += 8;
    else if (op === 0x00 || op === 0x01 || op === 0x05 || op === 0x1a || op === 0x1b || (op >= 0x45 && op <= 0xc4)) { /* no immediate */ }
    else if (op === 0xfc) {
      const sub = r.u32();
      if (sub <= 7) { /* saturating truncations */ }
      else if (sub === 10) r.at += 2; // memory.copy
      else if (sub === 11) r.at += 1; // memory.fill
      else return null;
    } else if (op === 0xfd) {
      const sub = r.u32();
      if (sub <= 11 || sub === 92 || sub === 93) memarg(r); // loads and stores
      else if (sub >= 84 && sub <= 91) { memarg(r); r.at++; } // lane loads and stores
      else if (sub === 12 || sub === 13) r.at += 16; // v128.const, i8x16.shuffle
      else if (sub >= 21 && sub <= 34) r.at++; // extract and replace lane
    } else return null; // call_indirect, tables, references, atomics: not carried
  }
  // (a body read to anything but its own end was misread: not carried)
  return r.at === r.bytes.length ? { params, results, locals, code: r.bytes.slice(start, r.at), refs } : null;
}

/** Skips a memory instruction's alignment and offset (and a memory index, flagged by bit 6 of the alignment). */
function memarg(r: Reader): void {
  if (r.u32() & 0x40) r.u32();
  r.u32();
}
