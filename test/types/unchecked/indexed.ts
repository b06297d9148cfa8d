// Type tests under `noUncheckedIndexedAccess` (tsconfig.json here; compiled, not run,
// by test/package/types.test.ts): a traced vector of a length the types know has its
// entries typed one by one, so `x[0]` needs no check; past the end, or for a length
// only known at run time, an entry is `Node | undefined`, as an array's is.
import { fn, type Node } from "gradients";

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false;
declare function same<A, B>(...proof: Equal<A, B> extends true ? [] : [never]): void;

// fn(n, …): the README's form, with no check
export const f = fn(3, (x) => x[0].mul(x[1]).add(x[2].pow(2)));
fn(3, (x) => {
  const first = x[0], last = x[2], past = x[3];
  same<typeof first, Node>();
  same<typeof last, Node>();
  same<typeof past, Node | undefined>();
  return first;
});

// named inputs: a number or a one-entry shape is a vector whose entries are typed
export const g = fn({ p: 2, q: [2], A: [2, 2] }, ({ p, q, A }) => {
  const p1 = p[1], q0 = q[0], a0 = A[0];
  same<typeof p1, Node>();
  same<typeof q0, Node>();
  same<typeof a0, Node | undefined>(); // (a matrix's entries by flat index: not typed one by one)
  return p1.mul(q0);
});

// a length the types do not know
declare const n: number;
fn(n, (x) => {
  const first = x[0];
  same<typeof first, Node | undefined>();
  return x.sum();
});
