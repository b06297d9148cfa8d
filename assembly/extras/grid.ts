// Derivatives of sampled fields: the stencils of numpy.gradient along one axis
// of a row-major array, and second differences for the Laplacian.
//
//   field f: outer × len × inner f64, row-major; the axis has length len and
//   stride `inner`: sample i of line (o, j) is f[(o·len + i)·inner + j].
//
// Spacing is uniform (dx, coords = 0) or given by coordinates x[0 … len): the
// formulas and their order of operations are numpy's (numpy/lib/_function_base_impl.py,
// gradient), so results match numpy's to rounding. `mode` says what to do with
// the derivative: 0 store it in out, 1 add it, −1 subtract it (divergence and
// curl sum several axes' derivatives in one output).
//
// When inner ≥ 2 the lines are processed two at a time with f64x2 along the
// contiguous inner axis; when the axis itself is contiguous (inner = 1), the
// interior is processed two samples at a time along it.

import { binaryExponent } from "../core/exact";

// @ts-ignore: decorator
@inline function at(base: usize, index: i32): usize { return base + (<usize>index << 3); }

// @ts-ignore: decorator
@inline function put(out: usize, index: i32, v: f64, mode: i32): void {
  const p = at(out, index);
  if (mode == 0) store<f64>(p, v);
  else if (mode > 0) store<f64>(p, load<f64>(p) + v);
  else store<f64>(p, load<f64>(p) - v);
}

// @ts-ignore: decorator
@inline function putv(out: usize, index: i32, v: v128, mode: i32): void {
  const p = at(out, index);
  if (mode == 0) v128.store(p, v);
  else if (mode > 0) v128.store(p, f64x2.add(v128.load(p), v));
  else v128.store(p, f64x2.sub(v128.load(p), v));
}

/**
 * ∂f/∂x along the axis, numpy.gradient's stencils: second-order central in the
 * interior; at the two ends first-order one-sided (edgeOrder 1) or second-order
 * one-sided (edgeOrder 2). Needs len ≥ edgeOrder + 1 (checked by the caller).
 *
 * numpy's arithmetic, for its numbers to the bit, and where that leaves the range
 * while the derivative does not, the stencil again in a form that cannot: a
 * uniform central difference halved, (f₊/2 − f₋/2)/dx (exact for the values whose
 * difference overflows, and where 2·dx does); any other stencil by `stencil3`,
 * which needs no weight or product of gaps numpy forms. That is where numpy's
 * value is ±∞ or NaN from finite samples (values near 1e308, weights 1.5/dx at
 * dx = 1e-300), or its weights came from products of gaps beyond 1e±154 or are
 * not normal themselves (they overflowed to 0, or lost digits).
 */
export function gradientAxis(f: usize, out: usize, outer: i32, len: i32, inner: i32,
                             coords: usize, dx: f64, edgeOrder: i32, mode: i32): void {
  const uniform = coords == 0, two = 2 * dx, twov = f64x2.splat(two);
  const wide = !Number.isFinite(two); // (2·dx overflows: every central difference halved)
  for (let o = 0; o < outer; o++) {
    const base = o * len * inner;
    // Interior: uniform lines two samples at a time, along a contiguous axis or across lines.
    if (uniform && !wide) {
      if (inner == 1) centralRun(f, out, base + 1, len - 2, 1, twov, dx, mode);
      else for (let i = 1; i < len - 1; i++) centralRun(f, out, base + i * inner, inner, inner, twov, dx, mode);
    }
    for (let i = 1; i < len - 1 && !(uniform && !wide); i++) {
      const row = base + i * inner;
      if (uniform) { // (2·dx overflows)
        for (let j = 0; j < inner; j++) put(out, row + j, halvedCentral(f, row + j, inner, dx), mode);
        continue;
      }
      // numpy's weights (a, b, c) on samples i−1, i, i+1
      const dx1 = load<f64>(at(coords, i)) - load<f64>(at(coords, i - 1));
      const dx2 = load<f64>(at(coords, i + 1)) - load<f64>(at(coords, i));
      const a = -(dx2) / (dx1 * (dx1 + dx2)), b = (dx2 - dx1) / (dx1 * dx2), c = dx1 / (dx2 * (dx1 + dx2));
      let j = 0;
      if (!numpyWeights(false, dx1, dx2, a, b, c)) {
        for (; j < inner; j++) put(out, row + j, stencil3(load<f64>(at(f, row - inner + j)), load<f64>(at(f, row + j)), load<f64>(at(f, row + inner + j)), dx1, dx2, 1), mode);
        continue;
      }
      const av = f64x2.splat(a), bv = f64x2.splat(b), cv = f64x2.splat(c);
      for (; j + 1 < inner; j += 2) {
        const v = f64x2.add(f64x2.add(
          f64x2.mul(av, v128.load(at(f, row - inner + j))),
          f64x2.mul(bv, v128.load(at(f, row + j)))),
          f64x2.mul(cv, v128.load(at(f, row + inner + j))));
        if (finite2(v)) putv(out, row + j, v, mode);
        else for (let q = j; q < j + 2; q++) put(out, row + q, interiorChecked(a, b, c, f, row + q, inner, dx1, dx2), mode);
      }
      for (; j < inner; j++) put(out, row + j, interiorChecked(a, b, c, f, row + j, inner, dx1, dx2), mode);
    }
    // The two ends.
    const last = len - 1;
    for (let j = 0; j < inner; j++) {
      const f0 = load<f64>(at(f, base + j)), f1 = load<f64>(at(f, base + inner + j));
      const fl = load<f64>(at(f, base + last * inner + j)), fm = load<f64>(at(f, base + (last - 1) * inner + j));
      if (edgeOrder == 1) {
        const d0 = coords ? load<f64>(at(coords, 1)) - load<f64>(at(coords, 0)) : dx;
        const dn = coords ? load<f64>(at(coords, last)) - load<f64>(at(coords, last - 1)) : dx;
        put(out, base + j, oneSided(f0, f1, d0), mode);
        put(out, base + last * inner + j, oneSided(fm, fl, dn), mode);
      } else {
        const f2 = load<f64>(at(f, base + 2 * inner + j)), fk = load<f64>(at(f, base + (last - 2) * inner + j));
        for (let end = 0; end < 2; end++) {
          // numpy's weights on the end's three samples g0, g1, g2 (gaps dx1, dx2)
          const from = end == 0 ? 0 : last - 2;
          const dx1 = coords ? load<f64>(at(coords, from + 1)) - load<f64>(at(coords, from)) : dx;
          const dx2 = coords ? load<f64>(at(coords, from + 2)) - load<f64>(at(coords, from + 1)) : dx;
          let a: f64, b: f64, c: f64;
          if (coords == 0) {
            if (end == 0) { a = -1.5 / dx; b = 2.0 / dx; c = -0.5 / dx; } else { a = 0.5 / dx; b = -2.0 / dx; c = 1.5 / dx; }
          } else if (end == 0) {
            a = -(2.0 * dx1 + dx2) / (dx1 * (dx1 + dx2));
            b = (dx1 + dx2) / (dx1 * dx2);
            c = -dx1 / (dx2 * (dx1 + dx2));
          } else {
            a = (dx2) / (dx1 * (dx1 + dx2));
            b = -(dx2 + dx1) / (dx1 * dx2);
            c = (2.0 * dx2 + dx1) / (dx2 * (dx1 + dx2));
          }
          const g0 = end == 0 ? f0 : fk, g1 = end == 0 ? f1 : fm, g2 = end == 0 ? f2 : fl;
          let v = a * g0 + b * g1 + c * g2;
          if (!numpyWeights(coords == 0, dx1, dx2, a, b, c) || (!Number.isFinite(v) && Number.isFinite(g0) && Number.isFinite(g1) && Number.isFinite(g2))) {
            v = stencil3(g0, g1, g2, dx1, dx2, end == 0 ? 0 : 2);
          }
          put(out, base + (end == 0 ? 0 : last) * inner + j, v, mode);
        }
      }
    }
  }
}

/**
 * n uniform central differences at samples k … k + n − 1 (neighbours ±stride), numpy's
 * (f₊ − f₋)/(2dx), two at a time. Stored, they are checked as a run (cheaper than
 * value by value, and a run outside the range is rare) and written again where one
 * left it; added to `out` (mode ±1), they are checked before.
 */
function centralRun(f: usize, out: usize, k: i32, n: i32, stride: i32, twov: v128, dx: f64, mode: i32): void {
  let q = 0;
  if (mode == 0) {
    let outside = f64x2.splat(0);
    for (; q + 1 < n; q += 2) {
      const v = f64x2.div(f64x2.sub(v128.load(at(f, k + q + stride)), v128.load(at(f, k + q - stride))), twov), d = f64x2.sub(v, v);
      v128.store(at(out, k + q), v);
      outside = v128.or(outside, f64x2.ne(d, d));
    }
    if (v128.any_true(outside)) for (let r = 0; r < q; r++) put(out, k + r, central(f, k + r, stride, dx), 0);
  } else {
    for (; q + 1 < n; q += 2) {
      const v = f64x2.div(f64x2.sub(v128.load(at(f, k + q + stride)), v128.load(at(f, k + q - stride))), twov);
      if (finite2(v)) putv(out, k + q, v, mode);
      else for (let r = q; r < q + 2; r++) put(out, k + r, central(f, k + r, stride, dx), mode);
    }
  }
  for (; q < n; q++) put(out, k + q, central(f, k + q, stride, dx), mode);
}

/** numpy's uniform central difference at sample k, or where it left the range from finite samples, the halved one. */
function central(f: usize, k: i32, stride: i32, dx: f64): f64 {
  const fp = load<f64>(at(f, k + stride)), fm = load<f64>(at(f, k - stride));
  const v = (fp - fm) / (2 * dx);
  return Number.isFinite(v) || !Number.isFinite(fp) || !Number.isFinite(fm) ? v : halvedCentral(f, k, stride, dx);
}

/** (f₊/2 − f₋/2)/dx: halving is exact for values whose difference overflows, and needs no 2·dx. */
// @ts-ignore: decorator
@inline function halvedCentral(f: usize, k: i32, stride: i32, dx: f64): f64 {
  return (load<f64>(at(f, k + stride)) * 0.5 - load<f64>(at(f, k - stride)) * 0.5) / dx;
}

/** numpy's interior value at sample k (weights a, b, c), or `stencil3` where it left the range from finite samples. */
function interiorChecked(a: f64, b: f64, c: f64, f: usize, k: i32, stride: i32, dx1: f64, dx2: f64): f64 {
  const fm = load<f64>(at(f, k - stride)), f0 = load<f64>(at(f, k)), fp = load<f64>(at(f, k + stride));
  const v = a * fm + b * f0 + c * fp;
  return Number.isFinite(v) || !Number.isFinite(fm) || !Number.isFinite(f0) || !Number.isFinite(fp) ? v : stencil3(fm, f0, fp, dx1, dx2, 1);
}

/** (g₁ − g₀)/d, numpy's one-sided difference, or where that difference overflows, formed halved. */
function oneSided(g0: f64, g1: f64, d: f64): f64 {
  const v = (g1 - g0) / d;
  if (Number.isFinite(v) || !Number.isFinite(g0) || !Number.isFinite(g1)) return v;
  return ratio(g1 * 0.5 - g0 * 0.5, 1, d, 1, 1);
}

/**
 * Whether numpy's weights for gaps dx1, dx2 hold what they should: normal doubles
 * (b may be 0, for equal gaps), and on coordinates formed from products of gaps
 * that are normal too (uniform weights are 1.5/dx and the like). Else they
 * overflowed to 0 or lost digits: `stencil3` instead.
 */
function numpyWeights(uniform: bool, dx1: f64, dx2: f64, a: f64, b: f64, c: f64): bool {
  const products = uniform || (normal(dx1 * (dx1 + dx2)) && normal(dx1 * dx2) && normal(dx2 * (dx1 + dx2)));
  return products && normal(a) && normal(c) && (b == 0 || normal(b));
}

/**
 * numpy's three-point stencil on samples g0, g1, g2 at gaps dx1, dx2, at the first
 * node (node 0: edgeOrder 2's left end), the middle one (1: the interior) or the
 * last (2: the right end), in a form that leaves the range only where the
 * derivative does. Its weights sum to 0, so it is Σ_{k≠p} w_k·(g_k − g_p) about a
 * pivot sample g_p, the smallest in size (inside, the smaller of the outer two): a
 * constant field gives exactly 0, and a large sample beside small ones meets no
 * cancellation of weights. Each weight is a ratio of gaps (numpy's formulas, b from the gaps'
 * difference, not from a + c), each difference exact as a two-sum hi + lo, and each
 * product formed on mantissas apart from its exponent (`ratioParts`).
 */
function stencil3(g0: f64, g1: f64, g2: f64, dx1: f64, dx2: f64, node: i32): f64 {
  // weight k is (n_k / (d_k·e_k))·2^x_k; S = dx1 + dx2, halved where it would overflow
  let S = dx1 + dx2, eS = 0;
  if (!Number.isFinite(S)) { S = dx1 * 0.5 + dx2 * 0.5; eS = 1; }
  const s = dx1 > 0 ? 1.0 : -1.0; // (the gaps' sign; weights' signs as for increasing coordinates, times s)
  if (node == 1) {
    weights(-dx2, dx1, S, -eS, dx2 - dx1, dx1, dx2, 0, dx1, dx2, S, -eS);
    signs(-s, dx2 > dx1 ? 1 : dx2 < dx1 ? -1 : 0, s); // (b = (dx2 − dx1)/(dx1·dx2), dx1·dx2 > 0)
  } else if (node == 0) {
    const w = -wideSum(dx1, dx2);
    weights(w, dx1, S, wideExponent - eS, S, dx1, dx2, eS, -dx1, dx2, S, -eS);
    signs(-s, s, -s);
  } else {
    const w = wideSum(dx2, dx1);
    weights(dx2, dx1, S, -eS, -S, dx1, dx2, eS, w, dx2, S, wideExponent - eS);
    signs(s, -s, s);
  }
  // a sample ±∞ or NaN: IEEE's Σ w_k·g_k, which the weights' signs on the non-finite samples decide
  // (the finite ones add a finite amount, which two of them near 1e308 would not, as ±1 times them)
  if (!Number.isFinite(g0) || !Number.isFinite(g1) || !Number.isFinite(g2)) {
    return (Number.isFinite(g0) ? 0 : sign0 * g0) + (Number.isFinite(g1) ? 0 : sign1 * g1) + (Number.isFinite(g2) ? 0 : sign2 * g2);
  }
  // the samples halved from 2^1022 up, so that no difference nor two-sum step overflows (exact for them)
  let e = 0;
  if (max(Math.abs(g1), max(Math.abs(g0), Math.abs(g2))) >= 4.49423283715579e307) { g0 *= 0.5; g1 *= 0.5; g2 *= 0.5; e = 1; }
  // (inside, the middle sample is never the pivot: a and c have opposite signs and, on nearly even gaps,
  // nearly equal sizes, so a·(g0 − g1) + c·(g2 − g1) would cancel them; at the ends they share a sign)
  const p = node == 1 ? (Math.abs(g0) <= Math.abs(g2) ? 0 : 2)
    : Math.abs(g0) <= Math.abs(g1) && Math.abs(g0) <= Math.abs(g2) ? 0 : Math.abs(g2) < Math.abs(g1) ? 2 : 1;
  const gp = p == 0 ? g0 : p == 1 ? g1 : g2;
  // the two terms k ≠ p, each as hi and lo parts; the hi parts added first, then the lo parts
  const kA = p == 0 ? 1 : 0, kB = p == 2 ? 1 : 2;
  const gA = kA == 0 ? g0 : g1, gB = kB == 1 ? g1 : g2;
  const dA = gA - gp, dB = gB - gp, lA = differenceError(gA, gp, dA), lB = differenceError(gB, gp, dB);
  termParts(kA, dA, e); const hA = partM, xA = partE;
  termParts(kB, dB, e); const hB = partM, xB = partE;
  termParts(kA, lA, e); const oA = partM, yA = partE;
  termParts(kB, lB, e); const oB = partM, yB = partE;
  sumParts(hA, xA, hB, xB);
  const hi = partM, kh = partE;
  sumParts(oA, yA, oB, yB);
  sumParts(hi, kh, partM, partE);
  return Math.scalbn(partM, partE);
}

// stencil3's weights: w_k = wn_k / (wd_k·we_k) · 2^wx_k, and their signs.
let wn0: f64 = 0, wd0: f64 = 1, we0: f64 = 1, wx0: i32 = 0;
let wn1: f64 = 0, wd1: f64 = 1, we1: f64 = 1, wx1: i32 = 0;
let wn2: f64 = 0, wd2: f64 = 1, we2: f64 = 1, wx2: i32 = 0;
let sign0: f64 = 0, sign1: f64 = 0, sign2: f64 = 0;

function weights(n0: f64, d0: f64, e0: f64, x0: i32, n1: f64, d1: f64, e1: f64, x1: i32, n2: f64, d2: f64, e2: f64, x2: i32): void {
  wn0 = n0; wd0 = d0; we0 = e0; wx0 = x0;
  wn1 = n1; wd1 = d1; we1 = e1; wx1 = x1;
  wn2 = n2; wd2 = d2; we2 = e2; wx2 = x2;
}

// @ts-ignore: decorator
@inline function signs(a: f64, b: f64, c: f64): void {
  sign0 = a; sign1 = b; sign2 = c;
}

/** w_k·d·2^e as partM·2^partE. */
function termParts(k: i32, d: f64, e: i32): void {
  if (k == 0) ratioParts(wn0, d, wd0, we0, wx0 + e);
  else if (k == 1) ratioParts(wn1, d, wd1, we1, wx1 + e);
  else ratioParts(wn2, d, wd2, we2, wx2 + e);
}

/** x·2^i + y·2^j as partM·2^partE, partM normalized to [1, 2) (0 at the least exponent): a sum that cancels keeps what is left. */
function sumParts(x: f64, i: i32, y: f64, j: i32): void {
  const k = max(i, j), m = Math.scalbn(x, i - k) + Math.scalbn(y, j - k);
  if (m == 0 || !Number.isFinite(m)) { partM = m; partE = m == 0 ? -100000 : k; return; }
  const b = binaryExponent(Math.abs(m));
  partM = Math.scalbn(m, -b);
  partE = k + b;
}

// wideSum's exponent: 2·x + y = wideSum(x, y)·2^wideExponent.
let wideExponent: i32 = 0;

/** 2·x + y for gaps x, y of one sign, as a value times 2^wideExponent: 2·x + y where it is finite, else halved once or twice. */
function wideSum(x: f64, y: f64): f64 {
  let v = 2 * x + y;
  wideExponent = 0;
  if (!Number.isFinite(v)) { v = x + y * 0.5; wideExponent = 1; }
  if (!Number.isFinite(v)) { v = x * 0.5 + y * 0.25; wideExponent = 2; }
  return v;
}

/** x − y − d exactly, for d = fl(x − y) (Knuth's two-sum on x and −y). */
// @ts-ignore: decorator
@inline function differenceError(x: f64, y: f64, d: f64): f64 {
  const yv = x - d;
  return (x - (d + yv)) + (yv - y);
}

/**
 * n1·n2 / (d1·d2) · 2^e for finite doubles (d1, d2 ≠ 0).
 */
function ratio(n1: f64, n2: f64, d1: f64, d2: f64, e: i32): f64 {
  ratioParts(n1, n2, d1, d2, e);
  return Math.scalbn(partM, partE);
}

// ratioParts' result: partM·2^partE.
let partM: f64 = 0, partE: i32 = 0;

/**
 * n1·n2 / (d1·d2) · 2^e as partM·2^partE, partM in (1/4, 4): the mantissas multiplied and
 * divided, the binary exponents added apart, so nothing leaves the range (one rounding
 * each). A zero numerator gives 0 at the least exponent, which adds nothing to a sum.
 */
function ratioParts(n1: f64, n2: f64, d1: f64, d2: f64, e: i32): void {
  if (n1 == 0 || n2 == 0) { partM = 0; partE = -100000; return; }
  const k1 = binaryExponent(Math.abs(n1)), k2 = binaryExponent(Math.abs(n2));
  const l1 = binaryExponent(Math.abs(d1)), l2 = binaryExponent(Math.abs(d2));
  partM = (Math.scalbn(n1, -k1) * Math.scalbn(n2, -k2)) / (Math.scalbn(d1, -l1) * Math.scalbn(d2, -l2));
  partE = k1 + k2 - l1 - l2 + e;
}

/** Whether |x| is a normal double (finite, at least the smallest normal). */
// @ts-ignore: decorator
@inline function normal(x: f64): bool {
  return Number.isFinite(x) && Math.abs(x) >= 2.2250738585072014e-308;
}

/** Whether both lanes are finite (x − x is NaN for ±∞ and NaN, else 0). */
// @ts-ignore: decorator
@inline function finite2(v: v128): bool {
  const d = f64x2.sub(v, v);
  return !v128.any_true(f64x2.ne(d, d));
}

/**
 * ∂²f/∂x² along the axis: the three-point second difference in the interior
 * (second order on uniform grids); at the ends the second derivative of the
 * parabola through the first (last) three samples (edgeOrder 1) or of the cubic
 * through four (edgeOrder 2, second order; needs len ≥ 4).
 * Every stencil is weighed on nodes in units of its widest gap h, and the
 * weights or the sum divided by h² (weightShare, sumShare): 1/h² and the products
 * of node gaps leave the range at spacings of 1e-108 and 1e103 where the result
 * does not.
 */
export function secondAxis(f: usize, out: usize, outer: i32, len: i32, inner: i32,
                           coords: usize, dx: f64, edgeOrder: i32, mode: i32, weights: usize): void {
  const last = len - 1;
  for (let o = 0; o < outer; o++) {
    const base = o * len * inner;
    for (let i = 1; i < last; i++) {
      // weights a, b, c in units of h, the wider of the gaps below (hm) and above (hp); r = the other over h ≤ 1
      let a: f64 = 1, b: f64 = -2, c: f64 = 1, h = dx;
      if (coords != 0) {
        const hm = load<f64>(at(coords, i)) - load<f64>(at(coords, i - 1)), hp = load<f64>(at(coords, i + 1)) - load<f64>(at(coords, i));
        if (Math.abs(hm) >= Math.abs(hp)) {
          h = hm;
          const r = hp / hm;
          a = 2 / (1 + r); b = -2 / r; c = 2 / (r * (1 + r));
        } else {
          h = hp;
          const r = hm / hp;
          a = 2 / (r * (1 + r)); b = -2 / r; c = 2 / (1 + r);
        }
      }
      const share = weightShare(h);
      a /= share; b /= share; c /= share;
      const row = base + i * inner;
      for (let j = 0; j < inner; j++) {
        const fm = load<f64>(at(f, row - inner + j)), f0 = load<f64>(at(f, row + j)), fp = load<f64>(at(f, row + inner + j));
        let value = sumShare(a * fm + b * f0 + c * fp, h);
        if (!Number.isFinite(value)) { // values near 1e308 whose weighted terms overflow: again over M
          const M = powerOfTwoAbove(Math.abs(a) + Math.abs(b) + Math.abs(c));
          value = sumShare((a / M) * fm + (b / M) * f0 + (c / M) * fp, h) * M;
        }
        put(out, row + j, value, mode);
      }
    }
    // Ends: second-derivative weights of the interpolating polynomial, at x0 and at x_last.
    const points = edgeOrder == 1 ? 3 : 4;
    for (let end = 0; end < 2; end++) {
      const first = end == 0 ? 0 : len - points, target = end == 0 ? 0 : last;
      // Node positions relative to the target sample, in units of h (the farthest node's distance),
      // into weights[points … 2·points).
      const nodes = at(weights, points), farthest = end == 0 ? points - 1 : len - points;
      const h = coords ? Math.abs(load<f64>(at(coords, farthest)) - load<f64>(at(coords, target))) : <f64>(points - 1) * Math.abs(dx);
      for (let k = 0; k < points; k++) {
        const xk = coords ? (load<f64>(at(coords, first + k)) - load<f64>(at(coords, target))) / h : <f64>(first + k - target) * (dx / h);
        store<f64>(at(nodes, k), xk);
      }
      fornbergSecond(nodes, points, weights, at(weights, 2 * points));
      const share = weightShare(h);
      for (let k = 0; k < points; k++) store<f64>(at(weights, k), load<f64>(at(weights, k)) / share);
      let wsum: f64 = 0;
      for (let k = 0; k < points; k++) wsum += Math.abs(load<f64>(at(weights, k)));
      for (let j = 0; j < inner; j++) {
        let s: f64 = 0;
        for (let k = 0; k < points; k++) s += load<f64>(at(weights, k)) * load<f64>(at(f, base + (first + k) * inner + j));
        let value = sumShare(s, h);
        if (!Number.isFinite(value)) { // as in the interior
          const M = powerOfTwoAbove(wsum);
          s = 0;
          for (let k = 0; k < points; k++) s += (load<f64>(at(weights, k)) / M) * load<f64>(at(f, base + (first + k) * inner + j));
          value = sumShare(s, h) * M;
        }
        put(out, base + target * inner + j, value, mode);
      }
    }
  }
}

/**
 * A second-derivative stencil's weights w (in units of h) give Σ w·f / h²: the
 * weights' share of that division by h² (1, h² or h) and the sum's (the rest).
 * Where |h| ≤ 1 the sum is divided (w/h² would overflow from 1e-154 down); up to
 * 1e100 the weights (a sum of values near 1e308 would overflow); beyond, one h
 * each (w/h² would underflow).
 */
// @ts-ignore: decorator
@inline function weightShare(h: f64): f64 {
  const m = Math.abs(h);
  return m <= 1 ? 1 : m <= 1e100 ? h * h : h;
}

/**
 * A power of two at least x (≥ 1): weights over it sum values of up to 1e308
 * without overflow, and dividing by it rounds nothing.
 */
function powerOfTwoAbove(x: f64): f64 {
  return Math.max(1, Math.pow(2, Math.ceil(Math.log2(x))));
}

/** The sum's share of the division by h² (see weightShare). */
// @ts-ignore: decorator
@inline function sumShare(sum: f64, h: f64): f64 {
  const m = Math.abs(h);
  return m <= 1 ? sum / h / h : m <= 1e100 ? sum : sum / h;
}

/**
 * Weights w[0 … m) of the second derivative at 0 from samples at nodes x[0 … m)
 * (Fornberg, "Generation of finite difference formulas on arbitrarily spaced
 * grids", Math. Comp. 51, 1988). `table` holds 3·m f64 of scratch.
 */
function fornbergSecond(x: usize, m: i32, w: usize, table: usize): void {
  // table[k·3 + d]: weight of node k for derivative d (0, 1, 2), built node by node.
  for (let i = 0; i < 3 * m; i++) store<f64>(at(table, i), 0);
  store<f64>(table, 1);
  let c1: f64 = 1;
  let c4 = load<f64>(x);
  for (let i = 1; i < m; i++) {
    const mn = min(i, 2);
    let c2: f64 = 1;
    const c5 = c4;
    c4 = load<f64>(at(x, i));
    for (let j = 0; j < i; j++) {
      const c3 = load<f64>(at(x, i)) - load<f64>(at(x, j));
      c2 *= c3;
      if (j == i - 1) {
        for (let k = mn; k >= 1; k--) {
          store<f64>(at(table, i * 3 + k), c1 * (<f64>k * load<f64>(at(table, (i - 1) * 3 + k - 1)) - c5 * load<f64>(at(table, (i - 1) * 3 + k))) / c2);
        }
        store<f64>(at(table, i * 3), -c1 * c5 * load<f64>(at(table, (i - 1) * 3)) / c2);
      }
      for (let k = mn; k >= 1; k--) {
        store<f64>(at(table, j * 3 + k), (c4 * load<f64>(at(table, j * 3 + k)) - <f64>k * load<f64>(at(table, j * 3 + k - 1))) / c3);
      }
      store<f64>(at(table, j * 3), c4 * load<f64>(at(table, j * 3)) / c3);
    }
    c1 = c2;
  }
  for (let k = 0; k < m; k++) store<f64>(at(w, k), load<f64>(at(table, k * 3 + 2)));
}
