// The core's functions carried into a generated module (core-code.ts reads
// them): each root (a point rule the program calls) is inlined where the code
// calls it, and so are the functions it calls itself up to `INLINE_BYTES` each
// (NativeMath's exp, sin, cos: the hot path); anything further (a huge
// argument's reduction) becomes a function of the module, called. WebAssembly
// engines here do not inline across functions, let alone across instances, so
// this is what puts a batch's exp in the loop that needs it.
//
// Inlining: the arguments on the stack go into fresh locals for the parameters,
// the callee's other locals are zeroed (as a call's would be), and its body
// runs in a block of its result type whose end is the body's own `end`; a
// `return` becomes a branch out of that block. Locals are shared by the sites
// of one callee in one function: an inlined body runs to its end before
// another site of it starts, and none is inlined into itself.
import { uleb, type FunctionBody } from "./wasm-encoder.js";
import { Ref, VOID, type CoreCode, type CoreFunction, type CoreGlobal } from "./core-code.js";

/** Largest callee (bytes of code) inlined below a root; and how deep below it. */
const INLINE_BYTES = 1_200, INLINE_LEVELS = 1;

/** A function the module defines for the core: its type and its body (locals and code). */
export interface SplicedFunction {
  params: number[];
  results: number[];
  locals: number[];
  code: Uint8Array;
}

/**
 * Whether the call `ref` in `caller`, at `level` below a root (`stack`: the functions inlined there), is
 * inlined. Only a callee's first call in its caller is: later ones are the rule's rare paths (exp's
 * scaled partial calls exp twice more), whose code would be most of the module's.
 */
function inlines(core: CoreCode, caller: CoreFunction, ref: CoreFunction["refs"][number], level: number, stack: readonly number[]): boolean {
  return level <= INLINE_LEVELS && core.function(ref.index)!.code.length <= INLINE_BYTES && !stack.includes(ref.index) &&
    caller.refs.find((r) => r.kind === Ref.Call && r.index === ref.index) === ref;
}

/** Zero of each value type, as a constant instruction. */
const ZERO: Readonly<Record<number, readonly number[]>> = {
  0x7f: [0x41, 0], 0x7e: [0x42, 0], 0x7d: [0x43, 0, 0, 0, 0], 0x7c: [0x44, 0, 0, 0, 0, 0, 0, 0, 0],
  0x7b: [0xfd, 12, ...new Array<number>(16).fill(0)],
};

/** What one generated module carries of the core: the functions and globals it defines, and the inlining of its roots. */
export class CoreSplice {
  /** The functions to define, in order, as functions `firstFunction` + j of the module. */
  readonly functions: SplicedFunction[] = [];
  /**
   * The globals the carried code uses, in order, as globals 0 … of the module, each starting at
   * its initial value: the core's rules use globals only to hand results back within a call (trig's
   * quadrant and sin/cos outputs, NativeMath's reduction), never state set elsewhere in the core,
   * which a copy would not see (the tier tests hold every rule to the core's bits).
   */
  readonly globals: CoreGlobal[] = [];
  private readonly functionIndex = new Map<number, number>();
  private readonly globalIndex = new Map<number, number>();
  private readonly sharedLocals = new WeakMap<FunctionBody, Map<number, number[]>>();

  /**
   * Carries `roots` (core function indices that `carriable` accepts) and what they reach, the roots inlined
   * where `inlineRoots`, else called as functions of the module; its defined functions start at `firstFunction`.
   */
  constructor(private readonly core: CoreCode, roots: readonly number[], private readonly firstFunction: number,
              private readonly inlineRoots: boolean) {
    const called: number[] = [];
    const visit = (index: number, level: number, stack: number[]): void => {
      const fn = core.function(index)!;
      for (const ref of fn.refs) {
        if (ref.kind === Ref.Global) this.global(ref.index);
        if (ref.kind !== Ref.Call) continue;
        if (inlines(core, fn, ref, level + 1, stack)) visit(ref.index, level + 1, [...stack, ref.index]);
        else if (!this.functionIndex.has(ref.index)) {
          this.functionIndex.set(ref.index, this.functionIndex.size);
          called.push(ref.index);
        }
      }
    };
    for (const root of new Set(roots)) { // (two ops' rules could be one function, were the core's optimizer to merge them)
      if (inlineRoots) visit(root, 0, [root]);
      else {
        this.functionIndex.set(root, this.functionIndex.size);
        called.push(root);
      }
    }
    // The called functions and all they call, as they are (their calls are calls)
    for (let j = 0; j < called.length; j++) {
      for (const ref of core.function(called[j])!.refs) {
        if (ref.kind === Ref.Global) this.global(ref.index);
        if (ref.kind === Ref.Call && !this.functionIndex.has(ref.index)) {
          this.functionIndex.set(ref.index, this.functionIndex.size);
          called.push(ref.index);
        }
      }
    }
    for (const index of called) {
      const fn = core.function(index)!, code: number[] = [];
      this.copy(fn, code, (local) => local, null);
      this.functions.push({ params: fn.params, results: fn.results, locals: fn.locals, code: Uint8Array.from(code) });
    }
  }

  /** Emits a call of root `index` into `body` (inlined or not, as constructed): its arguments on the stack, its result left there. */
  call(body: FunctionBody, index: number): void {
    if (this.inlineRoots) this.inline(body, index, 0, [index]);
    else body.call(this.firstFunction + this.functionIndex.get(index)!);
  }

  /** Core function `index` inlined into `body` at `level` below a root (`stack`: the functions being inlined, it last). */
  private inline(body: FunctionBody, index: number, level: number, stack: readonly number[]): void {
    const fn = this.core.function(index)!, code: number[] = [];
    let locals = this.sharedLocals.get(body)?.get(index);
    if (!locals) {
      locals = [...fn.params, ...fn.locals].map((type) => body.local(type));
      if (!this.sharedLocals.has(body)) this.sharedLocals.set(body, new Map());
      this.sharedLocals.get(body)!.set(index, locals);
    }
    for (let i = fn.params.length - 1; i >= 0; i--) { code.push(0x21); uleb(code, locals[i]); } // local.set
    for (let i = fn.params.length; i < locals.length; i++) {
      code.push(...ZERO[fn.locals[i - fn.params.length]], 0x21);
      uleb(code, locals[i]);
    }
    code.push(0x02, fn.results.length ? fn.results[0] : VOID); // block (the body's `end` closes it)
    body.paste(code);
    const rest: number[] = [];
    this.copy(fn, rest, (local) => locals![local], (ref) => {
      if (!inlines(this.core, fn, ref, level + 1, stack)) return false;
      body.paste(rest.splice(0));
      this.inline(body, ref.index, level + 1, [...stack, ref.index]);
      return true;
    });
    body.paste(rest);
  }


  private global(index: number): void {
    if (this.globalIndex.has(index)) return;
    this.globalIndex.set(index, this.globals.length);
    this.globals.push(this.core.globals[index]!);
  }

  /**
   * `fn`'s code into `out`, renumbered: locals by `local`, globals and called functions to the module's; with
   * `inlineCall`, a call it takes over (emitting what `out` holds first) is not written here, and `return` leaves the block.
   */
  private copy(fn: CoreFunction, out: number[], local: (index: number) => number,
               inlineCall: ((call: CoreFunction["refs"][number]) => boolean) | null): void {
    let from = 0;
    for (const ref of fn.refs) {
      if (ref.kind === Ref.Call) {
        for (let i = from; i < ref.at - 1; i++) out.push(fn.code[i]); // (up to the call's opcode)
        if (!inlineCall?.(ref)) { out.push(0x10); uleb(out, this.firstFunction + this.functionIndex.get(ref.index)!); }
      } else if (ref.kind === Ref.Return) {
        for (let i = from; i < ref.at; i++) out.push(fn.code[i]);
        if (inlineCall) { out.push(0x0c); uleb(out, ref.index); } // br out of the inlined block
        else out.push(0x0f);
      } else {
        for (let i = from; i < ref.at; i++) out.push(fn.code[i]);
        uleb(out, ref.kind === Ref.Local ? local(ref.index) : this.globalIndex.get(ref.index)!);
      }
      from = ref.at + ref.size;
    }
    for (let i = from; i < fn.code.length; i++) out.push(fn.code[i]);
  }
}

/**
 * Bytes of code root `index` puts in a module at each site where it is inlined: its own and its inlined
 * callees' (the budget that decides whether a module inlines its roots: sweep-code.ts).
 */
export function inlinedBytes(core: CoreCode, index: number, level = 0, stack: readonly number[] = [index]): number {
  const fn = core.function(index)!;
  let bytes = fn.code.length;
  for (const ref of fn.refs) {
    if (ref.kind === Ref.Call && inlines(core, fn, ref, level + 1, stack)) {
      bytes += inlinedBytes(core, ref.index, level + 1, [...stack, ref.index]);
    }
  }
  return bytes;
}

/** Whether core function `index` can be carried: it and everything it calls are defined, plain functions. */
export function carriable(core: CoreCode, index: number, seen = new Set<number>()): boolean {
  if (seen.has(index)) return true;
  seen.add(index);
  const fn = core.function(index);
  if (!fn) return false;
  return fn.refs.every((ref) => (ref.kind === Ref.Call ? carriable(core, ref.index, seen) : ref.kind !== Ref.Global || core.globals[ref.index] !== null));
}
