// A tape's fused loops (compiler/fuse.ts) made callable by the sweeps: the
// module instantiated over the core's memory, its functions put in the core's
// function table.
import { addFunctions, core } from "./loader.js";

/** Where a tape's fused functions sit in the function table: [first entry, count]. */
export type FusedEntries = [first: number, count: number];

/**
 * Instantiates `module` (its groups' value and adjoint functions, 2 per group)
 * and adds them to the table; null if the engine refuses to compile or run it
 * (a browser's limit on compiling on the main thread, a table that cannot grow):
 * the sweeps then interpret the runs.
 */
export function instantiateFused(module: WebAssembly.Module, groups: number): FusedEntries | null {
  try {
    const loops = new WebAssembly.Instance(module, { env: { memory: core().memory } }).exports;
    const functions = Array.from({ length: 2 * groups }, (_, i) => loops[String(i)]);
    return [addFunctions(functions), functions.length];
  } catch {
    return null;
  }
}
