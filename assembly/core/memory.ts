// Memory: one allocator for everything that lives in linear memory.
//
// We build with AssemblyScript's `minimal` runtime, which gives a TLSF allocator
// (`heap.alloc` / `heap.free`) without a garbage collector. Nothing in this module
// allocates managed objects: every region (tapes, workspaces, point buffers) is a
// raw block that TypeScript allocates through `alloc`, owns, and gives back with
// `free`. Blocks are 16-byte aligned, so f64x2 loads on them are aligned.
//
// Growing memory detaches every JavaScript view of it; the bindings re-derive
// their views after any call that may allocate.

/** Allocates `size` bytes (16-byte aligned) and returns the address. */
export function alloc(size: usize): usize {
  return heap.alloc(size);
}

/** Returns a block obtained from `alloc`. */
export function free(ptr: usize): void {
  heap.free(ptr);
}
