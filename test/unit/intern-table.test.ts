// The hash-consing table (bindings/ir/intern-table.ts) against a Map of string
// keys: the same answers for every pattern tracing makes (elementwise runs,
// broadcasts against one node, outer products, one operand shared by many keys)
// and for random keys, across the table's growth.
import { describe, expect, it } from "vitest";
import { TripleTable } from "../../bindings/ir/intern-table.js";

/** A key's fixed flag must be a function of the key: here, b < 0 or b a multiple of 1000 (a "constant"). */
const fixedOf = (b: number) => b < 0 || b % 1000 === 0;

/** Interns `keys` in order in a table and in a Map; the ids the table returns must be the Map's. */
function internBoth(keys: [number, number, number][]): { table: TripleTable; reference: Map<string, number> } {
  const table = new TripleTable(), reference = new Map<string, number>();
  let next = 0;
  for (const [op, a, b] of keys) {
    const name = `${op},${a},${b}`;
    const want = reference.get(name) ?? (reference.set(name, next), next);
    const got = table.getOrSet(op, a, b, fixedOf(b), next);
    expect(got, name).toBe(want);
    if (got === next) next++;
  }
  return { table, reference };
}

function* range(n: number, from = 0): Generator<number> {
  for (let i = from; i < from + n; i++) yield i;
}

describe("TripleTable (hash-consing keys)", () => {
  it("elementwise runs, broadcasts and repeats give each key one id, found again after growth", () => {
    const keys: [number, number, number][] = [];
    for (const i of range(5000)) keys.push([1, i, -1]); // unary over a run
    for (const i of range(5000)) keys.push([2, i, i + 5000]); // binary over two runs
    for (const i of range(5000)) keys.push([3, i, 3000]); // against one constant
    for (const i of range(5000)) keys.push([1, i, -1]); // all found again
    const { table, reference } = internBoth(keys);
    expect(reference.size).toBe(15000);
    for (const [name, id] of reference) {
      const [op, a, b] = name.split(",").map(Number);
      expect(table.get(op, a, b, fixedOf(b))).toBe(id);
    }
    expect(table.get(2, 7, 7, false)).toBe(-1);
    expect(table.get(9, 0, -1, true)).toBe(-1);
  });

  it("an operand shared by 100,000 keys (x·yⱼ, and yⱼ·x): each key one id", () => {
    // Every key has a = 5: all would share a's slot offset without the group's rotation.
    const keys: [number, number, number][] = [];
    for (const j of range(100_000, 10)) keys.push([4, 5, j]);
    for (const j of range(100_000, 10)) keys.push([5, j, 5]);
    for (const j of range(1000, 10)) keys.push([4, 5, j]);
    const { reference } = internBoth(keys);
    expect(reference.size).toBe(200_000);
  });

  it("outer products and random keys", () => {
    const keys: [number, number, number][] = [];
    for (const i of range(300)) for (const j of range(300)) keys.push([6, i, j]);
    let s = 7;
    const random = () => (s = (s * 48271) % 2147483647);
    for (const _ of range(50_000)) keys.push([random() % 40, random() % 3000, (random() % 3001) - 1]);
    const { reference } = internBoth(keys);
    expect(reference.size).toBeGreaterThan(90_000);
  });

  it("set stores a key that get finds (a graph read back registers its nodes so), random keys included", () => {
    const table = new TripleTable();
    for (const i of range(20_000)) table.set(7, i, i + 1, false, 3 * i);
    for (const i of range(20_000)) expect(table.get(7, i, i + 1, false)).toBe(3 * i);
    expect(table.getOrSet(7, 10, 11, false, -5)).toBe(30);
    // Random keys crowd some slot positions before the table is half full: set must grow then, as getOrSet does.
    for (let trial = 0; trial < 50; trial++) {
      const random = new TripleTable(), reference = new Map<string, number>();
      let s = 1 + trial;
      const next = () => (s = (s * 48271) % 2147483647);
      for (let id = 0; id < 3000; id++) {
        const op = next() % 30, a = next() % 5000, b = (next() % 5001) - 1, name = `${op},${a},${b}`;
        if (reference.has(name)) continue;
        reference.set(name, id);
        random.set(op, a, b, fixedOf(b), id);
      }
      for (const [name, id] of reference) {
        const [op, a, b] = name.split(",").map(Number);
        expect(random.get(op, a, b, fixedOf(b)), name).toBe(id);
      }
    }
  });
});
