// Special functions AssemblyScript's Math lacks: the logistic function and
// softplus, and erf and erfc in double precision, to about an ulp of mpmath
// over the whole line, erfc without cancellation in its tail
// (test/ops/special.test.ts checks all four against committed mpmath values).
//
//   |x| < 0.84375:   erf x = x + x·Q(x²), and erfc x = 1 − erf x, arranged so
//                    that nothing cancels (erfc ≥ 0.23 there)
//   0.84375 ≤ x < 10: erfc x = e^(−x²)·R(x), R = e^(x²)·erfc, in six pieces
//   10 ≤ x < 27.5:   erfc x = e^(−x²)/x · G(1/x²), G = x·e^(x²)·erfc
//   beyond:          erfc x underflows to 0; erf x = ±(1 − erfc |x|)
//
// Each of Q, R, G is a polynomial in a variable scaled to [−1, 1], fitted by
// scripts/erf-coefficients.py (Chebyshev interpolation in 60-digit arithmetic,
// interpolation error below 1e-18), which also prints these tables.

import { upperHalf } from "./exact";

// @ts-ignore: decorator
@inline const SMALL: f64 = 0.84375;
// @ts-ignore: decorator
@inline const T: f64 = 0.7119140625; // SMALL², exact
// @ts-ignore: decorator
@inline const HUGE: f64 = 27.5; // erfc(27.3) is below the smallest subnormal

const Q_COUNT: i32 = 14;
const Q = memory.data<f64>([
  0.007659015985508003, -0.10861317050846143, 0.011119860785142632, -0.0009205427664059196, 6.276987296550272e-05,
  -3.618668898510572e-06, 1.8028828508859036e-07, -7.899854875966513e-09, 3.087447410930863e-10,
  -1.088575806400108e-11, 3.4952421170646704e-13, -1.0300853606341327e-14, 2.810935309125613e-16,
  -7.111519802956259e-18,
]);

/** The pieces of R: [lo, hi) in x, each with R_COUNT coefficients (zero-padded). */
const R_BOUNDS = memory.data<f64>([0.84375, 1.25, 2.0, 3.0, 4.5, 6.5, 10.0]);
const R_COUNT: i32 = 19;
const R = memory.data<f64>([
  0.41510797586171466, -0.05265951491024402, 0.005929397078566219, -0.0006079025332682387, 5.768859860857331e-05,
  -5.125855345149761e-06, 4.3007431281130495e-07, -3.429651411773847e-08, 2.6129338389373593e-09,
  -1.909856270815915e-10, 1.3438163746359538e-11, -9.13056932571861e-13, 6.089285509238724e-14,
  -3.882084223529719e-15, 0.0, 0.0, 0.0, 0.0, 0.0, 0.30226120936348594, -0.05476133874906875, 0.00913529176652644,
  -0.0014226632275738315, 0.000208857500182396, -2.9115790881537596e-05, 3.876050298978047e-06,
  -4.949828407074445e-07, 6.085984827327493e-08, -7.226775311999449e-09, 8.309262051997885e-10,
  -9.271394232680984e-11, 1.0051226528077018e-11, -1.0621352283767474e-12, 1.139820029349069e-13,
  -1.1454953461649502e-14, 0.0, 0.0, 0.0, 0.2108063640611436, -0.037173673394897334, 0.006234499271664239,
  -0.0010001961727627022, 0.0001541898009810762, -2.292471678557055e-05, 3.297184756555058e-06,
  -4.5991378690493624e-07, 6.23509805422363e-08, -8.231045886845501e-09, 1.0598053484404956e-09,
  -1.3327960574607426e-10, 1.6370931081216197e-11, -1.9715125149527955e-12, 2.4557491161343156e-13,
  -2.837850552546129e-14, 0.0, 0.0, 0.0, 0.14558972127503855, -0.027342193149542646, 0.004994299984120479,
  -0.0008890099608526433, 0.00015447661308493247, -2.6241051470593187e-05, 4.363379198991451e-06,
  -7.110249915775245e-07, 1.1366075635352506e-07, -1.78401364703713e-08, 2.7517480574279817e-09,
  -4.1744344748977115e-10, 6.231658386058411e-11, -9.13090541825045e-12, 1.3227982460581693e-12,
  -2.05981857088651e-13, 2.894818162660385e-14, 0.0, 0.0, 0.10096221839949909, -0.017794764701022602,
  0.0030910125438747696, -0.0005294638064742854, 8.948080413321427e-05, -1.4927753496087938e-05,
  2.4593866338167246e-06, -4.003220063774742e-07, 6.44039049674862e-08, -1.0244550354521081e-08,
  1.6117611770208097e-09, -2.509064101069434e-10, 3.8652589895761846e-11, -5.871160787646386e-12,
  8.867677237619284e-13, -1.4612908136571583e-13, 2.161853529687105e-14, 0.0, 0.0, 0.06789491988272056,
  -0.014197730803590757, 0.002948453663990171, -0.000608167208092382, 0.00012461263956795826, -2.536683640846838e-05,
  5.13083601115787e-06, -1.031283309304788e-06, 2.0600811869593212e-07, -4.090288037621706e-08, 8.07293308015587e-09,
  -1.5839951300057319e-09, 3.0901233079215136e-10, -5.997693470608892e-11, 1.1569196250026428e-11,
  -2.187411829500007e-12, 4.1749128922710486e-13, -9.524284661632113e-14, 1.7949270155337918e-14,
]);

/** G on u = 1/x² in [1/27.5², 1/100]. */
const G_LO: f64 = 1 / (27.5 * 27.5);
const G_HI: f64 = 0.01;
const G_COUNT: i32 = 9;
const G = memory.data<f64>([
  0.5626059735715361, -0.0012036078287454809, 7.640526145094073e-06, -7.996919554078828e-08, 1.1594076089585169e-09,
  -2.1387031522147976e-11, 4.772442591218028e-13, -1.2486790552553506e-14, 3.7258424677414813e-16,
]);

function horner(table: usize, count: i32, s: f64): f64 {
  let r: f64 = 0;
  for (let k = count - 1; k >= 0; k--) r = r * s + load<f64>(table + (<usize>k << 3));
  return r;
}

/** e^(−x²) for x ≥ 0: x² split as hi² (exact: hi has 26 bits) and (hi − x)(hi + x), so its rounding does not reach the exponent. */
export function expMinusSquare(x: f64): f64 {
  const hi = upperHalf(x);
  return Math.exp(-hi * hi) * Math.exp((hi - x) * (hi + x));
}

/** erfc x for x ≥ SMALL (NaN for NaN). */
function erfcTail(x: f64): f64 {
  if (x >= HUGE) return 0;
  if (x < 10) {
    let k = 0;
    while (x >= load<f64>(R_BOUNDS + (<usize>(k + 1) << 3))) k++;
    const lo = load<f64>(R_BOUNDS + (<usize>k << 3)), hi = load<f64>(R_BOUNDS + (<usize>(k + 1) << 3));
    return expMinusSquare(x) * horner(R + (<usize>(k * R_COUNT) << 3), R_COUNT, (2 * x - lo - hi) / (hi - lo));
  }
  const u = 1 / (x * x);
  return expMinusSquare(x) / x * horner(G, G_COUNT, (2 * u - G_LO - G_HI) / (G_HI - G_LO));
}

/** x·Q(x²) = erf x − x, for |x| < SMALL. */
// @ts-ignore: decorator
@inline function erfSmallExcess(x: f64): f64 {
  const t = x * x;
  return x * horner(Q, Q_COUNT, (2 * t - T) / T);
}

/** The error function. */
export function erf(x: f64): f64 {
  const ax = Math.abs(x);
  if (ax < SMALL) return x + erfSmallExcess(x);
  if (ax >= 6) return x > 0 ? 1 : -1; // 1 − erfc 6 rounds to 1
  const c = erfcTail(ax);
  return x > 0 ? 1 - c : c - 1;
}

/** The complementary error function 1 − erf x. */
export function erfc(x: f64): f64 {
  const ax = Math.abs(x);
  if (ax < SMALL) {
    const y = erfSmallExcess(x);
    return x < 0.25 ? 1 - (x + y) : 0.5 - ((x - 0.5) + y); // x − 0.5 is exact for x ≥ 0.25
  }
  const c = erfcTail(ax);
  return x > 0 ? c : 2 - c;
}

/** The logistic function 1/(1 + e^−x), from the side where e^∓x cannot overflow. */
export function sigmoid(x: f64): f64 {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

/** softplus x = ln(1 + e^x): x + ln(1 + e^−x) for x > 0, exact where e^x would overflow. */
export function softplus(x: f64): f64 {
  return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
}
