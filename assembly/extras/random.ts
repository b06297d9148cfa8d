// Seeded random numbers, the same in every engine: xoshiro256** (Blackman &
// Vigna, "Scrambled linear pseudorandom number generators", 2018), seeded by
// splitmix64 as its authors recommend; uniforms from the top 53 bits; standard
// normals by the Box–Muller transform. AssemblyScript's own Math (compiled into
// this module, not the host's) makes the normals bit-identical in Node and in
// browsers.
//
// A generator's state is 4 × u64 at an address the caller owns (32 bytes), so
// concurrent and nested users never share one.

// @ts-ignore: decorator
@inline function rotl(x: u64, k: u64): u64 { return (x << k) | (x >> (64 - k)); }

/** Seeds the state at `state` from a whole-number seed (|seed| < 2^53) by splitmix64. */
export function seedGenerator(state: usize, seed: f64): void {
  let z: u64 = <u64>(<i64>seed);
  for (let i = 0; i < 4; i++) {
    z += 0x9e3779b97f4a7c15;
    let r = z;
    r = (r ^ (r >> 30)) * 0xbf58476d1ce4e5b9;
    r = (r ^ (r >> 27)) * 0x94d049bb133111eb;
    store<u64>(state + (<usize>i << 3), r ^ (r >> 31));
  }
}

/** The next 64 bits of xoshiro256**. */
// @ts-ignore: decorator
@inline function next(state: usize): u64 {
  const s0 = load<u64>(state), s1 = load<u64>(state, 8), s2 = load<u64>(state, 16), s3 = load<u64>(state, 24);
  const result = rotl(s1 * 5, 7) * 9;
  const t = s1 << 17;
  const n2 = s2 ^ s0, n3 = s3 ^ s1;
  store<u64>(state, s0 ^ n3);
  store<u64>(state, s1 ^ n2, 8);
  store<u64>(state, n2 ^ t, 16);
  store<u64>(state, rotl(n3, 45), 24);
  return result;
}

/** xoshiro256**'s published jump polynomial, as four 64-bit words (lowest bit first). */
const JUMP = memory.data<u64>([0x180ec6d33cfd0aba, 0xd5a61266f0c9392c, 0xa9582618e03fc9aa, 0x39abdc4529b1661c]);

/**
 * Advances the state at `state` as 2^128 calls of next would (the authors' jump
 * function): the state becomes Σ_b JUMP_b·(state after b steps) over GF(2). Jumping
 * k times gives the start of the k-th of 2^128 non-overlapping subsequences.
 */
export function jumpGenerator(state: usize): void {
  let s0: u64 = 0, s1: u64 = 0, s2: u64 = 0, s3: u64 = 0;
  for (let i = 0; i < 4; i++) {
    const word = load<u64>(JUMP + (<usize>i << 3));
    for (let b: u64 = 0; b < 64; b++) {
      if ((word >> b) & 1) {
        s0 ^= load<u64>(state);
        s1 ^= load<u64>(state, 8);
        s2 ^= load<u64>(state, 16);
        s3 ^= load<u64>(state, 24);
      }
      next(state);
    }
  }
  store<u64>(state, s0);
  store<u64>(state, s1, 8);
  store<u64>(state, s2, 16);
  store<u64>(state, s3, 24);
}

/** A uniform number in [0, 1): the top 53 bits of the next output. */
// @ts-ignore: decorator
@inline function uniform(state: usize): f64 {
  return <f64>(next(state) >> 11) * 1.1102230246251565e-16; // 2^-53
}

/** count uniforms in [0, 1) into out. */
export function fillUniform(state: usize, out: usize, count: i32): void {
  for (let i = 0; i < count; i++) store<f64>(out + (<usize>i << 3), uniform(state));
}

/**
 * count standard normals into out, by Box–Muller: from u1 ∈ (0, 1] and u2 ∈ [0, 1),
 * r = √(−2 ln u1), the pair (r cos 2πu2, r sin 2πu2).
 */
export function fillNormal(state: usize, out: usize, count: i32): void {
  for (let i = 0; i < count; i += 2) {
    const u1 = 1.0 - uniform(state), u2 = uniform(state);
    const r = Math.sqrt(-2.0 * Math.log(u1)), a = 6.283185307179586 * u2;
    store<f64>(out + (<usize>i << 3), r * Math.cos(a));
    if (i + 1 < count) store<f64>(out + (<usize>(i + 1) << 3), r * Math.sin(a));
  }
}
