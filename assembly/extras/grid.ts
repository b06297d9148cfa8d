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
 * numpy's numbers, also where its arithmetic leaves the range while the
 * derivative does not. A uniform central difference is (f₊/2 − f₋/2)/dx: numpy's
 * (f₊ − f₋)/(2dx) to the bit (halving is exact and commutes with rounding) but
 * for samples or differences within a factor 2 of the subnormal range, and it
 * overflows neither in the difference (values near 1e308) nor in 2·dx. Other
 * stencils are numpy's arithmetic, taken again in units of their widest gap
 * (`scaled`) where that sums finite values to ±∞ or NaN (weights 1.5/dx at
 * dx = 1e-300, values near 1e308) or forms its weights from products of gaps
 * beyond 1e±154, which overflow to 0 or lose digits.
 */
export function gradientAxis(f: usize, out: usize, outer: i32, len: i32, inner: i32,
                             coords: usize, dx: f64, edgeOrder: i32, mode: i32): void {
  const uniform = coords == 0, dxv = f64x2.splat(dx), half = f64x2.splat(0.5);
  for (let o = 0; o < outer; o++) {
    const base = o * len * inner;
    // Interior.
    if (uniform && inner == 1) { // the axis is contiguous: pairs of samples along it
      let i = 1;
      for (; i + 1 < len - 1; i += 2) {
        const k = base + i;
        putv(out, k, f64x2.div(f64x2.sub(f64x2.mul(v128.load(at(f, k + 1)), half), f64x2.mul(v128.load(at(f, k - 1)), half)), dxv), mode);
      }
      if (i < len - 1) put(out, base + i, central(f, base + i, 1, dx), mode);
    }
    for (let i = 1; i < len - 1 && !(uniform && inner == 1); i++) {
      const row = base + i * inner;
      let j = 0;
      if (uniform) {
        for (; j + 1 < inner; j += 2) {
          putv(out, row + j, f64x2.div(f64x2.sub(f64x2.mul(v128.load(at(f, row + inner + j)), half), f64x2.mul(v128.load(at(f, row - inner + j)), half)), dxv), mode);
        }
        for (; j < inner; j++) put(out, row + j, central(f, row + j, inner, dx), mode);
        continue;
      }
      // numpy's weights (a, b, c) on samples i−1, i, i+1, and the same in units of the wider gap
      const dx1 = load<f64>(at(coords, i)) - load<f64>(at(coords, i - 1));
      const dx2 = load<f64>(at(coords, i + 1)) - load<f64>(at(coords, i));
      const a = -(dx2) / (dx1 * (dx1 + dx2)), b = (dx2 - dx1) / (dx1 * dx2), c = dx1 / (dx2 * (dx1 + dx2));
      interiorUnits(dx1, dx2);
      if (!normal(dx1 * (dx1 + dx2)) || !normal(dx1 * dx2) || !normal(dx2 * (dx1 + dx2))) { // every line in units of the gap
        for (; j < inner; j++) put(out, row + j, scaled(load<f64>(at(f, row - inner + j)), load<f64>(at(f, row + j)), load<f64>(at(f, row + inner + j))), mode);
        continue;
      }
      const av = f64x2.splat(a), bv = f64x2.splat(b), cv = f64x2.splat(c);
      for (; j + 1 < inner; j += 2) {
        const v = f64x2.add(f64x2.add(
          f64x2.mul(av, v128.load(at(f, row - inner + j))),
          f64x2.mul(bv, v128.load(at(f, row + j)))),
          f64x2.mul(cv, v128.load(at(f, row + inner + j))));
        if (finite2(v)) putv(out, row + j, v, mode);
        else for (let q = j; q < j + 2; q++) put(out, row + q, checked(threeTerms(a, b, c, f, row + q, inner), f, row + q, inner), mode);
      }
      for (; j < inner; j++) put(out, row + j, checked(threeTerms(a, b, c, f, row + j, inner), f, row + j, inner), mode);
    }
    // The two ends.
    const last = len - 1;
    for (let j = 0; j < inner; j++) {
      const f0 = load<f64>(at(f, base + j)), f1 = load<f64>(at(f, base + inner + j));
      const fl = load<f64>(at(f, base + last * inner + j)), fm = load<f64>(at(f, base + (last - 1) * inner + j));
      if (edgeOrder == 1) {
        const d0 = coords ? load<f64>(at(coords, 1)) - load<f64>(at(coords, 0)) : dx;
        const dn = coords ? load<f64>(at(coords, last)) - load<f64>(at(coords, last - 1)) : dx;
        let v = (f1 - f0) / d0;
        if (!Number.isFinite(v) && Number.isFinite(f0) && Number.isFinite(f1)) { unitWeights(-1, 1, 0, d0); v = scaled(f0, f1, 0); }
        put(out, base + j, v, mode);
        v = (fl - fm) / dn;
        if (!Number.isFinite(v) && Number.isFinite(fm) && Number.isFinite(fl)) { unitWeights(-1, 1, 0, dn); v = scaled(fm, fl, 0); }
        put(out, base + last * inner + j, v, mode);
      } else {
        const f2 = load<f64>(at(f, base + 2 * inner + j)), fk = load<f64>(at(f, base + (last - 2) * inner + j));
        for (let end = 0; end < 2; end++) {
          // numpy's weights, and whether they came from products of gaps out of range; then the same in units of h
          let a: f64, b: f64, c: f64, odd = false;
          if (coords == 0) {
            if (end == 0) { a = -1.5 / dx; b = 2.0 / dx; c = -0.5 / dx; } else { a = 0.5 / dx; b = -2.0 / dx; c = 1.5 / dx; }
            if (end == 0) unitWeights(-1.5, 2, -0.5, dx); else unitWeights(0.5, -2, 1.5, dx);
          } else {
            const from = end == 0 ? 0 : last - 2;
            const dx1 = load<f64>(at(coords, from + 1)) - load<f64>(at(coords, from));
            const dx2 = load<f64>(at(coords, from + 2)) - load<f64>(at(coords, from + 1));
            if (end == 0) {
              a = -(2.0 * dx1 + dx2) / (dx1 * (dx1 + dx2));
              b = (dx1 + dx2) / (dx1 * dx2);
              c = -dx1 / (dx2 * (dx1 + dx2));
            } else {
              a = (dx2) / (dx1 * (dx1 + dx2));
              b = -(dx2 + dx1) / (dx1 * dx2);
              c = (2.0 * dx2 + dx1) / (dx2 * (dx1 + dx2));
            }
            odd = !normal(dx1 * (dx1 + dx2)) || !normal(dx1 * dx2) || !normal(dx2 * (dx1 + dx2));
            endUnits(dx1, dx2, end);
          }
          const g0 = end == 0 ? f0 : fk, g1 = end == 0 ? f1 : fm, g2 = end == 0 ? f2 : fl;
          let v = a * g0 + b * g1 + c * g2;
          if (odd || (!Number.isFinite(v) && Number.isFinite(g0) && Number.isFinite(g1) && Number.isFinite(g2))) v = scaled(g0, g1, g2);
          put(out, base + (end == 0 ? 0 : last) * inner + j, v, mode);
        }
      }
    }
  }
}

// The stencil `scaled` evaluates: weights in units of the gap wh (set by unitWeights,
// interiorUnits or endUnits just before).
let w0: f64 = 0, w1: f64 = 0, w2: f64 = 0, wh: f64 = 1;

// @ts-ignore: decorator
@inline function unitWeights(a: f64, b: f64, c: f64, h: f64): void {
  w0 = a; w1 = b; w2 = c; wh = h;
}

/** The interior weights for gaps dx1 below and dx2 above, in units of the wider (numpy's formulas with each gap over it). */
function interiorUnits(dx1: f64, dx2: f64): void {
  const h = Math.abs(dx1) >= Math.abs(dx2) ? dx1 : dx2, u1 = dx1 / h, u2 = dx2 / h;
  unitWeights(-u2 / (u1 * (u1 + u2)), (u2 - u1) / (u1 * u2), u1 / (u2 * (u1 + u2)), h);
}

/** edgeOrder 2's weights at the first (end 0) or last end, gaps dx1, dx2 of its three nodes, in units of the wider. */
function endUnits(dx1: f64, dx2: f64, end: i32): void {
  const h = Math.abs(dx1) >= Math.abs(dx2) ? dx1 : dx2, u1 = dx1 / h, u2 = dx2 / h;
  if (end == 0) unitWeights(-(2.0 * u1 + u2) / (u1 * (u1 + u2)), (u1 + u2) / (u1 * u2), -u1 / (u2 * (u1 + u2)), h);
  else unitWeights(u2 / (u1 * (u1 + u2)), -(u2 + u1) / (u1 * u2), (2.0 * u2 + u1) / (u2 * (u1 + u2)), h);
}

/**
 * Σ wₖ·fₖ / wh: the weights over a power of two M ≥ Σ|wₖ|, so that no term nor
 * the sum of finite values overflows, then M multiplied back in and wh divided
 * once (or, where that product overflows and wh is large, the quotient first).
 */
function scaled(f0: f64, f1: f64, f2: f64): f64 {
  const M = powerOfTwoAbove(Math.abs(w0) + Math.abs(w1) + Math.abs(w2));
  const t = (w0 / M) * f0 + (w1 / M) * f1 + (w2 / M) * f2, tm = t * M;
  return Number.isFinite(tm) ? tm / wh : (t / wh) * M;
}

/** numpy's value v at sample k of an interior node (neighbours ±stride): v, or the scaled stencil where v left the range but its samples did not. */
function checked(v: f64, f: usize, k: i32, stride: i32): f64 {
  if (Number.isFinite(v)) return v;
  const fm = load<f64>(at(f, k - stride)), f0 = load<f64>(at(f, k)), fp = load<f64>(at(f, k + stride));
  return Number.isFinite(fm) && Number.isFinite(f0) && Number.isFinite(fp) ? scaled(fm, f0, fp) : v;
}

// @ts-ignore: decorator
@inline function threeTerms(a: f64, b: f64, c: f64, f: usize, k: i32, stride: i32): f64 {
  return a * load<f64>(at(f, k - stride)) + b * load<f64>(at(f, k)) + c * load<f64>(at(f, k + stride));
}

/** Whether |x| is a normal double (finite, at least the smallest normal): a product of gaps numpy's weights may divide by. */
// @ts-ignore: decorator
@inline function normal(x: f64): bool {
  return Number.isFinite(x) && Math.abs(x) >= 2.2250738585072014e-308;
}

/** The uniform central difference at sample k (neighbours ±stride): (f₊/2 − f₋/2)/dx. */
// @ts-ignore: decorator
@inline function central(f: usize, k: i32, stride: i32, dx: f64): f64 {
  return (load<f64>(at(f, k + stride)) * 0.5 - load<f64>(at(f, k - stride)) * 0.5) / dx;
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
