// Finite differences of black-box functions: the step rules, the stencils, the
// Richardson tables and the error estimates. JavaScript calls the user's
// function at the points these plans name; everything numeric happens here.
//
// A "line" is one direction of differentiation at one base point: a coordinate
// axis (partial, grad, Jacobian) or a given vector (directional). Along a line,
// samples are taken at t = c_k · h_r, h_r = h / 2^r for Richardson level r, and
//
//   scheme      offsets c_k        weights w_k (D = Σ w_k f_k / h_r)   error ~ h^q
//   central     −1, 1              −½, ½                               q = 2, 4, 6, …
//   forward     0, 1               −1, 1                               q = 1, 2, 3, …
//   backward    −1, 0              −1, 1                               q = 1, 2, 3, …
//   five-point  −2, −1, 1, 2       1/12, −8/12, 8/12, −1/12            q = 4, 6, 8, …
//
// Step rule (FiniteDiff.jl, numdifftools): h = ε^(1/(q₀+1+j·Δq))·s for j Richardson
// levels, with s = max(|x|, 1) along the line, so h is ∛ε·s for plain central
// differences and √ε·s for one-sided ones; then rounded so that x + h − x = h.
//
// Values of line ℓ are laid out level by level, S samples a level (S: the size
// of the requested scheme's stencil, the widest a call uses), each sample m
// outputs: values[((ℓ·levels + r)·S + k)·m + o].

/** Stencil schemes (bindings/tools/fd.ts mirrors the codes). */
export const enum Scheme { Central = 0, Forward = 1, Backward = 2, FivePoint = 3 }

const EPS: f64 = 2.220446049250313e-16;

// @ts-ignore: decorator
@inline function f(p: usize, i: i32): f64 { return load<f64>(p + (<usize>i << 3)); }
// @ts-ignore: decorator
@inline function setF(p: usize, i: i32, v: f64): void { store<f64>(p + (<usize>i << 3), v); }

/** Number of samples of a scheme's stencil. */
export function stencilSize(scheme: i32): i32 {
  return scheme == Scheme.FivePoint ? 4 : 2;
}

/** Offset c_k of sample k of a scheme (in units of the level's step). */
export function stencilOffset(scheme: i32, k: i32): f64 {
  if (scheme == Scheme.Central) return k == 0 ? -1 : 1;
  if (scheme == Scheme.Forward) return k == 0 ? 0 : 1;
  if (scheme == Scheme.Backward) return k == 0 ? -1 : 0;
  return k == 0 ? -2 : k == 1 ? -1 : k == 2 ? 1 : 2;
}

// @ts-ignore: decorator
@inline function weight(scheme: i32, k: i32): f64 {
  if (scheme == Scheme.Central) return k == 0 ? -0.5 : 0.5;
  if (scheme == Scheme.FivePoint) return k == 0 ? 1.0 / 12 : k == 1 ? -8.0 / 12 : k == 2 ? 8.0 / 12 : -1.0 / 12;
  return k == 0 ? -1 : 1;
}

/** Σ |w_k| of a scheme's weights (the rounding error's amplification). */
// @ts-ignore: decorator
@inline function weightSum(scheme: i32): f64 {
  return scheme == Scheme.Central ? 1 : scheme == Scheme.FivePoint ? 1.5 : 2;
}

/** Leading error order q₀ of a scheme, and how the orders grow (Δq) along a Richardson table. */
// @ts-ignore: decorator
@inline function order(scheme: i32): i32 {
  return scheme == Scheme.FivePoint ? 4 : scheme == Scheme.Central ? 2 : 1;
}
// @ts-ignore: decorator
@inline function orderStep(scheme: i32): i32 {
  return scheme == Scheme.Central || scheme == Scheme.FivePoint ? 2 : 1;
}

/** The automatic step for a scheme and Richardson depth at scale 1: ε^(1/(q₀+1+j·Δq)). */
function unitStep(scheme: i32, levels: i32): f64 {
  const q0 = order(scheme), dq = orderStep(scheme);
  return Math.pow(EPS, 1.0 / <f64>(q0 + 1 + (levels - 1) * dq));
}

/**
 * Plans n lines: for each, the scheme used (`requested`, unless a bound forces
 * a one-sided stencil) and the step h (`step[ℓ]` if finite, else automatic),
 * rounded so that x + h − x = h. x[ℓ] is the line's coordinate (0 for a
 * direction), scale[ℓ] its s, [lo, hi] the bounds the samples must stay within.
 * `step` 0: automatic steps throughout; `lo` 0: no bounds.
 */
export function fdPlan(n: i32, x: usize, scale: usize, step: usize, lo: usize, hi: usize,
                       requested: i32, levels: i32, schemeOut: usize, hOut: usize): void {
  // Unit steps per scheme, once (pow is not cheap): the requested one and the one-sided one.
  const unitRequested = unitStep(requested, levels), unitOneSided = unitStep(Scheme.Forward, levels);
  for (let l = 0; l < n; l++) {
    const xl = f(x, l), s = f(scale, l), given = step ? f(step, l) : NaN;
    const a = lo ? f(lo, l) : -Infinity, b = lo ? f(hi, l) : Infinity;
    let scheme = requested;
    let h = Number.isFinite(given) ? given : unitRequested * s;
    // Widest reach of the stencil on each side, in steps.
    const reach = scheme == Scheme.FivePoint ? 2.0 : 1.0;
    const below = scheme == Scheme.Forward ? 0 : reach, above = scheme == Scheme.Backward ? 0 : reach;
    if (xl - below * h < a || xl + above * h > b) {
      // A bound is in the way: go one-sided, towards the side with more room.
      scheme = b - xl >= xl - a ? Scheme.Forward : Scheme.Backward;
      if (!Number.isFinite(given)) h = unitOneSided * s;
      const room = scheme == Scheme.Forward ? b - xl : xl - a;
      if (h > room) h = room; // a domain narrower than the step: use what there is
    }
    // The step actually representable at x, on the side the stencil reaches.
    const t = scheme == Scheme.Backward ? xl - h : xl + h;
    if (Number.isFinite(t) && t != xl) h = Math.abs(t - xl);
    h = inside(xl, h, scheme, a, b);
    store<i32>(schemeOut + (<usize>l << 2), scheme);
    setF(hOut, l, h);
  }
}

/**
 * h, or the largest step below it whose farthest samples x + c·h (c = ±1, ±2: exact
 * multiples of h, rounded as JavaScript rounds them) stay within [a, b]: rounding can
 * carry a sample one ulp past a bound the step was fitted to. Every sample of every
 * Richardson level (steps h/2^r) lies between x and those, so within the bounds too.
 */
function inside(x: f64, h: f64, scheme: i32, a: f64, b: f64): f64 {
  const reach: f64 = scheme == Scheme.FivePoint ? 2 : 1;
  const below = scheme == Scheme.Forward ? 0 : reach, above = scheme == Scheme.Backward ? 0 : reach;
  for (let k = 0; k < 64 && ((below > 0 && x - below * h < a) || (above > 0 && x + above * h > b)); k++) {
    h = h * (1 - EPS); // the next double below h, or close to it
  }
  return h;
}

/**
 * Derivatives along n lines from their samples (layout above; `levels` =
 * Richardson depth + 1): out[ℓ·m + o] (or Jacobian order, see below), with error
 * bounds in err at the same places (see GROWTH and ROUNDING below for the model they assume).
 * With one level: the a-priori truncation + rounding bound for the step; with
 * more, the Richardson table's last correction plus the rounding bound of the
 * smallest step.
 */
export function fdCombine(n: i32, m: i32, values: usize, S: i32, schemes: usize, hs: usize, scale: usize,
                          levels: i32, out: usize, err: usize, table: usize, linesPerPoint: i32): void {
  for (let l = 0; l < n; l++) {
    const scheme = load<i32>(schemes + (<usize>l << 2)), h = f(hs, l), s = f(scale, l);
    const size = stencilSize(scheme), wsum = weightSum(scheme);
    for (let o = 0; o < m; o++) {
      let fmax: f64 = 0;
      for (let r = 0; r < levels; r++) {
        const hr = h / <f64>(1 << r);
        let d: f64 = 0;
        for (let k = 0; k < size; k++) {
          const v = f(values, (((l * levels + r) * S + k) * m) + o);
          d += weight(scheme, k) * v;
          fmax = Math.max(fmax, Math.abs(v));
        }
        setF(table, r, d / hr);
      }
      const hLast = h / <f64>(1 << (levels - 1)), sc = Math.max(s, 1e-300);
      // The model's U over its scale: W = U/s = max(|f|/s, |D|, 1/s). U itself, or g·U, leaves
      // the range where |f| or |D|·s passes 1e308 though the bound does not (D = 1e200 at x = 1e200).
      const W = Math.max(Math.max(fmax / sc, Math.abs(f(table, levels - 1))), 1 / sc);
      const rounding = ROUNDING * EPS * wsum * W * (sc / hLast); // ROUNDING·ε·U, over the step
      let value: f64, error: f64;
      if (levels == 1) {
        value = f(table, 0);
        // truncation = C·h^q·|f^(q+1)|, |f^(q+1)| ≤ GROWTH^(q+1)·U/s^(q+1), as C·(h·g)^q·GROWTH·W
        // (h^q and g^(q+1) apart overflow and underflow at |x| = 1e100)
        const q = order(scheme), g = GROWTH / sc;
        const c: f64 = scheme == Scheme.Central ? 1.0 / 6 : scheme == Scheme.FivePoint ? 1.0 / 30 : 0.5;
        error = c * intPow(h * g, q) * GROWTH * W + rounding;
      } else {
        richardson(table, levels, order(scheme), orderStep(scheme));
        value = f(table, levels - 1);
        error = Math.max(Math.abs(value - f(table, levels)), Math.abs(value - f(table, levels + 1))) + rounding;
      }
      // With L = linesPerPoint > 0, Jacobian order: out[(p·m + o)·L + line]; else out[ℓ·m + o].
      const L = linesPerPoint, index = L > 0 ? ((l / L) * m + o) * L + (l % L) : l * m + o;
      setF(out, index, value);
      setF(err, index, error + EPS * Math.abs(value));
    }
  }
}

/**
 * Richardson extrapolation in place over D(h), D(h/2), …: on return table[L−1]
 * is the most extrapolated value, and table[L], table[L+1] the two values it was
 * built from (for the error estimate). Orders q₀, q₀+Δq, … are the error terms
 * the successive columns cancel. `table` holds 3·L f64.
 */
function richardson(table: usize, L: i32, q0: i32, dq: i32): void {
  // Column by column in place (bottom up, so table[i − 1] still holds the
  // previous column); remember where the last column started from.
  let prevLast: f64 = 0, prevBefore: f64 = 0;
  for (let j = 1; j < L; j++) {
    const factor = Math.pow(2, <f64>(q0 + (j - 1) * dq));
    prevBefore = f(table, L - 2);
    prevLast = f(table, L - 1);
    for (let i = L - 1; i >= j; i--) {
      // (factor·D(h/2) − D(h))/(factor − 1), as D(h/2) plus the correction: factor·D overflows for |D| near 1e308
      const finer = f(table, i);
      setF(table, i, finer + (finer - f(table, i - 1)) / (factor - 1));
    }
  }
  setF(table, L, prevLast);
  setF(table, L + 1, prevBefore);
}

// The error bounds' model of the function. Along a line of scale s = max(|x|, 1),
// the function's values vary by up to U = max(|f|, |D|·s, 1): its largest sample,
// the size of the change its derivative implies, and 1 (so a function that
// happens to vanish at x, such as (x − 1)³ at 1, still has a scale). Its k-th
// derivative is then at most GROWTH^k·U/s^k: it may oscillate or bend up to
// GROWTH times within the scale s (x^p for p ≤ 10, sin(2πx)). Each sample is
// taken to be off by ROUNDING·ε·U, not ε·|f|, because a value computed with
// cancellation (a sum of large terms that is small) is off by ε times its terms.
// Functions outside the model — steeper, or whose terms are far larger than U —
// can have errors beyond the bound: pass a step, or use Richardson levels. The
// bounds are formed from U/s (U/(s_i·s_j) for second differences), which stays in range
// where U does not.
const GROWTH: f64 = 10;
const ROUNDING: f64 = 10;


/** x^k for a small whole k ≥ 0 (Math.pow costs more than a few multiplications). */
// @ts-ignore: decorator
@inline function intPow(x: f64, k: i32): f64 {
  let r: f64 = 1;
  for (let i = 0; i < k; i++) r *= x;
  return r;
}

/** Steps for second differences: h_i = ε^(1/(4+2j))·scale_i (j Richardson levels), representable at x_i. */
export function fdHessianPlan(n: i32, x: usize, scale: usize, step: usize, levels: i32, hOut: usize): void {
  for (let i = 0; i < n; i++) {
    const xi = f(x, i), given = f(step, i);
    let h = Number.isFinite(given) ? given : Math.pow(EPS, 1.0 / <f64>(4 + 2 * (levels - 1))) * f(scale, i);
    const t = xi + h;
    if (Number.isFinite(t) && t - xi != 0) h = t - xi;
    setF(hOut, i, h);
  }
}

/**
 * The Hessian from second differences: per level, samples f(x), then for each i
 * f(x + h_i e_i), f(x − h_i e_i), then for each pair i < j f(x ± h_i e_i ± h_j e_j)
 * in the order (+ +), (+ −), (− +), (− −). H[i][j] into out[i·n + j] (symmetric),
 * errors into err. Error: a-priori (one level) or from the Richardson table.
 */
export function fdHessianCombine(n: i32, values: usize, hs: usize, scale: usize, levels: i32,
                                 out: usize, err: usize, table: usize): void {
  const perLevel = 1 + 2 * n + 2 * n * (n - 1);
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      let fmax: f64 = 0;
      for (let r = 0; r < levels; r++) {
        const base = values + (<usize>(r * perLevel) << 3);
        const scaleR = <f64>(1 << r);
        const hi = f(hs, i) / scaleR, hj = f(hs, j) / scaleR;
        let d: f64;
        if (i == j) {
          const f0 = f(base, 0), fp = f(base, 1 + 2 * i), fm = f(base, 2 + 2 * i);
          d = (fp - 2 * f0 + fm) / hi / hi; // (not h², which overflows at |x| = 1e160)
          fmax = max(fmax, max(Math.abs(f0), max(Math.abs(fp), Math.abs(fm))));
        } else {
          const pair = pairIndex(n, i, j), at = 1 + 2 * n + 4 * pair;
          const pp = f(base, at), pm = f(base, at + 1), mp = f(base, at + 2), mm = f(base, at + 3);
          d = ((pp - pm) - (mp - mm)) / (4 * hi) / hj;
          fmax = max(max(fmax, Math.abs(pp)), max(Math.abs(pm), max(Math.abs(mp), Math.abs(mm))));
        }
        setF(table, r, d);
      }
      // Per variable, as the model says: scales s_i, s_j and steps h_i, h_j (the last level's for rounding).
      const si = Math.max(f(scale, i), 1e-300), sj = Math.max(f(scale, j), 1e-300), last = <f64>(1 << (levels - 1));
      const ri = si / f(hs, i), rj = sj / f(hs, j); // scale over step
      // V = U/(s_i·s_j) = max(|f|/(s_i·s_j), |D|, 1/(s_i·s_j)), as W above (U leaves the range at x = 1e120 for x²·y)
      const V = Math.max(Math.max(fmax / si / sj, Math.abs(f(table, levels - 1))), 1 / si / sj);
      const rounding = ROUNDING * 4 * EPS * V * (ri * last) * (rj * last); // 4 samples' weight, ROUNDING·ε·U each
      let value: f64, error: f64;
      if (levels == 1) {
        value = f(table, 0);
        // truncation: h²/12·|∂⁴f/∂x_i⁴| on the diagonal, (h_i²·|∂⁴f/∂x_i³∂x_j| + h_j²·|∂⁴f/∂x_i∂x_j³|)/6 off it,
        // each derivative at most GROWTH⁴·U over the scales of its variables
        const G4 = GROWTH * GROWTH * GROWTH * GROWTH;
        error = (i == j ? 1 / (ri * ri) / 12 : (1 / (ri * ri) + 1 / (rj * rj)) / 6) * G4 * V + rounding;
      } else {
        richardson(table, levels, 2, 2);
        value = f(table, levels - 1);
        error = Math.max(Math.abs(value - f(table, levels)), Math.abs(value - f(table, levels + 1))) + rounding;
      }
      error += EPS * Math.abs(value);
      setF(out, i * n + j, value);
      setF(out, j * n + i, value);
      setF(err, i * n + j, error);
      setF(err, j * n + i, error);
    }
  }
}

/** Index of the pair (i, j), i < j, in row order: (0,1), (0,2), …, (1,2), … */
// @ts-ignore: decorator
@inline function pairIndex(n: i32, i: i32, j: i32): i32 {
  return i * n - (i * (i + 1)) / 2 + (j - i - 1);
}
