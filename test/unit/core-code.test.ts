// The reader of the core's binary (bindings/compiler/core-code.ts), on modules
// written as text and assembled by binaryen (AssemblyScript's own assembler,
// installed with it), and on the core itself: what it cannot read it refuses
// (null), rather than misreading the immediates that carried code renumbers.
import { describe, expect, it } from "vitest";
import binaryen from "binaryen";
import { readCore, Ref, type CoreCode } from "../../bindings/compiler/core-code.js";
import { carriable } from "../../bindings/compiler/splice.js";
import { coreBinary } from "../../bindings/runtime/loader.js";

/** `text` assembled; `validate`: also compiled by the engine (Node 20's takes one memory only). */
function assemble(text: string, validate = true): Uint8Array {
  const module = binaryen.parseText(text);
  module.setFeatures(binaryen.Features.All);
  const bytes = module.emitBinary();
  module.dispose();
  if (validate) new WebAssembly.Module(bytes);
  return bytes;
}

const refsOf = (core: CoreCode, name: string) =>
  core.function(core.exports.get(name)!)!.refs.map((r) => `${["local", "global", "call", "return"][r.kind]} ${r.index}`);

describe("reading the core's binary", () => {
  it("globals: a v128 constant whose bytes hold an `end`, and one initialized from an import, are not carried; the globals after them are read right", () => {
    const core = readCore(assemble(`(module
      (import "env" "g" (global $g i32))
      (global $v (mut v128) (v128.const i8x16 0x0b 0x7c 0x00 0x44 0 0 0 0 0 0 0xf0 0x3f 0x0b 0 0 0))
      (global $y (mut i32) (global.get $g))
      (global $x (mut f64) (f64.const 0))
      (func (export "f") (result f64) (global.set $x (f64.const 2)) (global.get $x)))`))!;
    expect(core.globals.slice(0, 3)).toEqual([null, null, null]);
    expect(core.globals[3]).toEqual({ type: 0x7c, mutable: true, init: Uint8Array.of(0x44, 0, 0, 0, 0, 0, 0, 0, 0, 0x0b) });
    expect(refsOf(core, "f")).toEqual(["global 3", "global 3"]);
  });

  it("a load from a second memory (its index after the alignment's flag) is skipped whole: the body's locals and globals are read right", () => {
    const core = readCore(assemble(`(module
      (memory $a 1) (memory $b 1)
      (global $g (mut f64) (f64.const 0))
      (func (export "f") (param i32) (result f64)
        (global.set $g (f64.load $b offset=16 (local.get 0)))
        (f64.add (global.get $g) (f64.load $b offset=1 (local.get 0)))))`, false))!;
    expect(refsOf(core, "f")).toEqual(["local 0", "global 0", "global 0", "local 0"]);
  });

  it("a body that calls through a table or calls an import is not carried, and neither is its caller", () => {
    const core = readCore(assemble(`(module
      (import "env" "h" (func $h (param f64) (result f64)))
      (type $t (func (param f64) (result f64)))
      (table 1 funcref)
      (func $viaTable (export "viaTable") (param f64) (result f64) (call_indirect (type $t) (local.get 0) (i32.const 0)))
      (func $viaImport (export "viaImport") (param f64) (result f64) (call $h (local.get 0)))
      (func (export "caller") (param f64) (result f64) (call $viaTable (local.get 0)))
      (func (export "plain") (param f64) (result f64) (if (result f64) (f64.lt (local.get 0) (f64.const 0)) (then (return (f64.neg (local.get 0)))) (else (local.get 0)))))`))!;
    expect(core.function(core.exports.get("viaTable")!)).toBeNull();
    expect(core.function(core.exports.get("viaImport")!)).toBeNull();
    expect(carriable(core, core.exports.get("caller")!)).toBe(false);
    expect(carriable(core, core.exports.get("plain")!)).toBe(true);
    expect(core.function(core.exports.get("plain")!)!.refs.map((r) => r.kind)).toEqual([Ref.Local, Ref.Local, Ref.Return, Ref.Local]);
  });

  it("a binary with an import this reader does not know (an exception tag) is refused whole", () => {
    expect(readCore(assemble(`(module (import "env" "t" (tag $t (param i32))) (func (export "f")))`))).toBeNull();
  });

  it("the core: every point rule export is carried, and each function it reaches is read to its body's end", () => {
    const core = readCore(coreBinary())!;
    const rules = [...core.exports.keys()].filter((name) => /Point[012]$/.test(name));
    expect(rules.length).toBe(32); // 15 ops with the value alone and with the partial; sin and cos with the partial alone
    for (const name of rules) expect(carriable(core, core.exports.get(name)!), name).toBe(true);
  });
});
