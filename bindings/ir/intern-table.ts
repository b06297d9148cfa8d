// Hash-consing keys without strings: an open-addressing table from integer
// triples (op, a, b) to node ids. A string key per node (`${op},${a},${b}`)
// made tracing cost microseconds per element, mostly in allocation.

const EMPTY = -1;

/** (op, a, b) → id, for integers op ≥ 0 and a, b ≥ −1. */
export class TripleTable {
  private keys = new Int32Array(3 * 1024);
  private ids = new Int32Array(1024).fill(EMPTY);
  private count = 0;

  /** The id stored for (op, a, b), or −1. */
  get(op: number, a: number, b: number): number {
    const mask = this.ids.length - 1;
    for (let slot = hash(op, a, b) & mask; ; slot = (slot + 1) & mask) {
      const id = this.ids[slot];
      if (id === EMPTY) return EMPTY;
      const k = 3 * slot;
      if (this.keys[k] === op && this.keys[k + 1] === a && this.keys[k + 2] === b) return id;
    }
  }

  /**
   * The id stored for (op, a, b); or, if none, stores `id` for it and returns
   * `id` (one probe where get-then-set takes two: tracing calls this per node).
   */
  getOrSet(op: number, a: number, b: number, id: number): number {
    if (2 * (this.count + 1) > this.ids.length) this.grow();
    const mask = this.ids.length - 1;
    for (let slot = hash(op, a, b) & mask; ; slot = (slot + 1) & mask) {
      const found = this.ids[slot];
      const k = 3 * slot;
      if (found === EMPTY) {
        this.ids[slot] = id;
        this.keys[k] = op;
        this.keys[k + 1] = a;
        this.keys[k + 2] = b;
        this.count++;
        return id;
      }
      if (this.keys[k] === op && this.keys[k + 1] === a && this.keys[k + 2] === b) return found;
    }
  }

  /** Stores id for (op, a, b), which must not be stored yet. */
  set(op: number, a: number, b: number, id: number): void {
    if (2 * (this.count + 1) > this.ids.length) this.grow();
    this.place(op, a, b, id);
    this.count++;
  }

  private place(op: number, a: number, b: number, id: number): void {
    const mask = this.ids.length - 1;
    let slot = hash(op, a, b) & mask;
    while (this.ids[slot] !== EMPTY) slot = (slot + 1) & mask;
    this.ids[slot] = id;
    this.keys[3 * slot] = op;
    this.keys[3 * slot + 1] = a;
    this.keys[3 * slot + 2] = b;
  }

  private grow(): void {
    const keys = this.keys, ids = this.ids;
    this.keys = new Int32Array(2 * keys.length);
    this.ids = new Int32Array(2 * ids.length).fill(EMPTY);
    for (let slot = 0; slot < ids.length; slot++) {
      if (ids[slot] !== EMPTY) this.place(keys[3 * slot], keys[3 * slot + 1], keys[3 * slot + 2], ids[slot]);
    }
  }
}

/** A well-mixed 32-bit hash of three integers (multiply–xorshift). */
function hash(op: number, a: number, b: number): number {
  let h = Math.imul(op + 0x9e3779b9, 0x85ebca6b) ^ a;
  h = Math.imul(h ^ (h >>> 15), 0xc2b2ae35) ^ b;
  h = Math.imul(h ^ (h >>> 13), 0x27d4eb2f);
  return (h ^ (h >>> 16)) >>> 0;
}
