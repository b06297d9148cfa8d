// Hash-consing keys without strings: an open-addressing table from integer
// triples (op, a, b) to node ids. A string key per node (`${op},${a},${b}`)
// made tracing cost microseconds per element, mostly in allocation.
//
// Locality. A tensor operation interns its element nodes in order: (op, aᵢ, bᵢ)
// with aᵢ consecutive and bᵢ either one fixed node (a constant, or none) or
// consecutive too. A hash of the whole key would send each to a random slot of
// a table of millions, a cache miss per node (most of tracing's time). So the
// key's "group" (op, a ÷ 64, and b if fixed, else b − a) picks a block of 64
// slots, and a mod 64, turned by the group's own rotation, the slot in it: a
// tensor operation fills blocks in order. A group has at most 64 keys, and the
// rotation spreads the keys that share one operand (x·yⱼ for many j: many
// groups) over every slot of a block. When a slot is taken by another key the
// probe moves to the same slot of another block (the group's own sequence of
// blocks, so its keys stay together there too). Each slot holds its key and id
// side by side, one cache line per probe.

const EMPTY = -1;
const WIDTH = 4; // (op, a, b, id)
const BLOCK_BITS = 6, BLOCK = 1 << BLOCK_BITS;
/**
 * The op field's flag for "b is fixed" (part of the stored key, so a rehash can
 * find the group again). A negative op (PROJ) has it set already: its keys all
 * group by b, the result index, which is as good.
 */
const FIXED = 1 << 30;

/** (op, a, b) → id, for integers op < 2³⁰, a ≥ 0 and b ≥ −1. */
export class TripleTable {
  private slots = emptySlots(1024);
  private capacity = 1024;
  private count = 0;

  /**
   * The id stored for (op, a, b), or −1. `fixed`: whether b is a node that many
   * keys share (a constant, or −1 for none) rather than one that moves with a;
   * a function of the key, the same at every call.
   */
  get(op: number, a: number, b: number, fixed: boolean): number {
    const key = fixed ? op | FIXED : op, slots = this.slots;
    for (let probe = 0, k = this.start(key, a, b); ; k = this.next(key, a, b, ++probe)) {
      const id = slots[k + 3];
      if (id === EMPTY || this.spent(probe)) return EMPTY;
      if (slots[k] === key && slots[k + 1] === a && slots[k + 2] === b) return id;
    }
  }

  /**
   * The id stored for (op, a, b); or, if none, stores `id` for it and returns
   * `id` (one probe where get-then-set takes two: tracing calls this per node).
   */
  getOrSet(op: number, a: number, b: number, fixed: boolean, id: number): number {
    if (2 * (this.count + 1) > this.capacity) this.grow();
    const key = fixed ? op | FIXED : op, slots = this.slots;
    for (let probe = 0, k = this.start(key, a, b); ; k = this.next(key, a, b, ++probe)) {
      if (this.spent(probe)) { // (every block's slot of this key is taken: only a larger table has room)
        this.grow();
        return this.getOrSet(op, a, b, fixed, id);
      }
      const found = slots[k + 3];
      if (found === EMPTY) {
        this.fill(k, key, a, b, id);
        return id;
      }
      if (slots[k] === key && slots[k + 1] === a && slots[k + 2] === b) return found;
    }
  }

  /** Stores id for (op, a, b), which must not be stored yet. */
  set(op: number, a: number, b: number, fixed: boolean, id: number): void {
    if (2 * (this.count + 1) > this.capacity) this.grow();
    const key = fixed ? op | FIXED : op;
    while (!this.place(key, a, b, id)) this.grow();
  }

  /** Stores the key in the first free slot of its sequence; false if every block's slot is taken. */
  private place(key: number, a: number, b: number, id: number): boolean {
    let k = this.start(key, a, b);
    for (let probe = 1; this.slots[k + 3] !== EMPTY; probe++) {
      if (this.spent(probe)) return false;
      k = this.next(key, a, b, probe);
    }
    this.fill(k, key, a, b, id);
    return true;
  }

  /** Whether `probe` blocks cover every block (the key's slot is taken in all of them). */
  private spent(probe: number): boolean {
    return probe >= this.capacity >>> BLOCK_BITS;
  }

  private fill(k: number, key: number, a: number, b: number, id: number): void {
    const slots = this.slots;
    slots[k] = key;
    slots[k + 1] = a;
    slots[k + 2] = b;
    slots[k + 3] = id;
    this.count++;
  }

  /** Index (into `slots`) of the key's slot in its group's first block. */
  private start(key: number, a: number, b: number): number {
    const h = groupHash(key, a, b);
    return this.slotIn(h, h, a);
  }

  /**
   * The key's slot in the group's block number `probe`: blocks h, h + s, h + 2s, …
   * (s odd, so every block comes up once the count of blocks, a power of two, is
   * spent; a table that full grows first, see `probed`).
   */
  private next(key: number, a: number, b: number, probe: number): number {
    const h = groupHash(key, a, b);
    return this.slotIn(h + probe * ((h >>> 16) | 1), h, a);
  }

  /** The slot of a in `block`: a mod 64 turned by the group's rotation (6 bits of its hash h). */
  private slotIn(block: number, h: number, a: number): number {
    const blocks = this.capacity >>> BLOCK_BITS;
    return WIDTH * (((block & (blocks - 1)) << BLOCK_BITS) | ((a + (h >>> 26)) & (BLOCK - 1)));
  }

  /** Doubles the table (again, in the unlikely case a key finds no slot) and stores every key anew. */
  private grow(): void {
    const old = this.slots;
    for (let capacity = 2 * this.capacity; ; capacity *= 2) {
      this.capacity = capacity;
      this.slots = emptySlots(capacity);
      this.count = 0;
      let placed = true;
      for (let k = 0; k < old.length && placed; k += WIDTH) {
        if (old[k + 3] !== EMPTY) placed = this.place(old[k], old[k + 1], old[k + 2], old[k + 3]);
      }
      if (placed) return;
    }
  }
}

/** A table of `capacity` empty slots. */
function emptySlots(capacity: number): Int32Array {
  const slots = new Int32Array(WIDTH * capacity);
  for (let k = 3; k < slots.length; k += WIDTH) slots[k] = EMPTY;
  return slots;
}

/** The hash of a key's group: (op and its flag, a ÷ 64, b if fixed else b − a). */
function groupHash(key: number, a: number, b: number): number {
  return hash(key, a >> BLOCK_BITS, key & FIXED ? b : b - a);
}

/** A well-mixed 32-bit hash of three integers (multiply–xorshift). */
function hash(op: number, a: number, b: number): number {
  let h = Math.imul(op + 0x9e3779b9, 0x85ebca6b) ^ a;
  h = Math.imul(h ^ (h >>> 15), 0xc2b2ae35) ^ b;
  h = Math.imul(h ^ (h >>> 13), 0x27d4eb2f);
  return (h ^ (h >>> 16)) >>> 0;
}
