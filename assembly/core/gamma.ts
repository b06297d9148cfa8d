// The gamma family, the inverse error function and the normalized sinc in double
// precision, each to a few ulps of mpmath where it is well conditioned
// (test/ops/gamma.test.ts checks them against committed mpmath values).
//
// lgamma = ln|Γ|:
//   0 < x < 0.5:     −ln x + x·A(x), A = lgamma(1 + x)/x
//   0.5 ≤ x < 12:    (1 − x)·L(x) below 1.5 and (x − 2)·L(x) above, in six pieces: the
//                    zeros at 1 and 2 factored out (1 − x, x − 2 are exact), so the
//                    relative accuracy holds next to them
//   x ≥ 12:          Stirling, (x − ½)(ln x − 1) + (ln 2π − 1)/2 + Σ B₂ₖ/(2k(2k−1)·x^(2k−1))
//   x < 0:           ln(π/|sin πx|) − lgamma(1 − x)
// gamma:
//   x > 0:           Γ(1 + f)·(f + 1)(f + 2)…(f + n) for x = 1 + n + f, f in [0, 1), with
//                    Γ(1 + f) = 1 + f(f − 1)·H(f) (exactly 1 at the integers) and the
//                    product in double-double: its factors x − k are exact, so only the
//                    fit's error and two roundings reach the result; Γ(1 + x)/x below 1
//   x < 0:           π/(sin πx · Γ(1 − x)), Γ(1 − x) scaled by 2^−128 where it would overflow
// digamma ψ:
//   0 < x < 0.5:     ψ(1 + x) − 1/x, ψ(1 + x) fitted
//   0.5 ≤ x < 12:    (x − x₀)·R(x) in five pieces, x₀ ≈ 1.46163 the root of ψ, held as hi + lo
//   x ≥ 12:          ln x − 1/(2x) − Σ B₂ₖ/(2k·x^(2k))
//   x < 0:           ψ(1 − x) − π/tan πx
// polygamma ψ⁽ⁿ⁾ = (−1)^(n+1)·n!·ζ(n + 1, x) for n ≥ 1: the Hurwitz zeta summed term by
//   term up to max(20, n + 10), then by Euler–Maclaurin; for x < 0 the sum is split at 0
//   into three zetas of positive arguments.
// erfinv:
//   |y| ≤ 0.5:       y·C(y²), C fitted
//   |y| > 0.5:       erfc⁻¹(1 − |y|) (1 − |y| is exact): a fit in √(−ln(1 − |y|)) good to
//                    1e-12, then one Halley step on erfc, exact to its ulp in the tail
// sinc = sin(πx)/(πx), sin πx from x reduced mod 2 (exactly) first; sinc′ = (cos πx − sinc x)/x,
//   but x·D(x²), D fitted, for |x| ≤ 1, where that difference would cancel.
//
// Each fitted function is a polynomial in a variable scaled to [−1, 1], fitted by
// scripts/gamma-coefficients.py (Chebyshev interpolation in 60-digit arithmetic,
// interpolation error below 1e-18), which also prints these tables, the series'
// Bernoulli coefficients and the constants below.

import { erfc } from "./special";
import { binaryExponent, productError } from "./exact";

// @ts-ignore: decorator
@inline const ASYMPTOTIC_FROM: f64 = 12; // where lgamma and digamma switch to their series
// @ts-ignore: decorator
@inline const HALF_LN_2PI_MINUS_HALF: f64 = 0.4189385332046727; // (ln 2π − 1)/2
// @ts-ignore: decorator
@inline const ROOT_HI: f64 = 1.4616321449683622; // ψ's positive root x₀ = ROOT_HI + ROOT_LO
// @ts-ignore: decorator
@inline const ROOT_LO: f64 = 9.549995429965697e-17;
// @ts-ignore: decorator
@inline const GAMMA_OVERFLOW: f64 = 171.62437695630274; // the least x whose Γ rounds to +∞
// @ts-ignore: decorator
@inline const GAMMA_UNDERFLOW: f64 = 184; // |Γ(x)| rounds to 0 for x < −184
// @ts-ignore: decorator
@inline const TWO_OVER_SQRT_PI: f64 = 1.1283791670955126;
// @ts-ignore: decorator
@inline const MAX_ORDER: f64 = 170; // polygamma's n! is finite up to here

/** A on x in [0, 0.5]: lgamma x = −ln x + x·A(x). */
const LGAMMA_SMALL_COUNT: i32 = 18;
const LGAMMA_SMALL = memory.data<f64>([
  -0.3930873456872526, 0.16563381231098723, -0.015967667997598377, 0.0021370436482554714, -0.0003257519756073092,
  5.311562671580853e-05, -9.01600691686654e-06, 1.57128037369592e-06, -2.789623710711107e-07, 5.021322326740046e-08,
  -9.13528980504721e-09, 1.6762792141038867e-09, -3.0990019441229285e-10, 5.760781200499198e-11,
  -1.0627462925728943e-11, 1.9939554753545143e-12, -4.4792184536411097e-13, 8.474526855020389e-14,
]);
/** L on the pieces [lo, hi) of [0.5, 12): lgamma x = (1 − x)·L(x) below 1.5, (x − 2)·L(x) above (L > 0). */
const LGAMMA_BOUNDS = memory.data<f64>([0.5, 1.0, 1.5, 2.5, 4.0, 7.0, 12.0]);
const LGAMMA_COUNT: i32 = 23;
const LGAMMA = memory.data<f64>([
  0.8131238057251815, -0.27273707406129066, 0.04499788189766013, -0.010237880772523219, 0.0026288591590196138,
  -0.0007175147282112107, 0.00020310341263709403, -5.890823348185131e-05, 1.738896097180771e-05, -5.202372388789411e-06,
  1.5730960597667722e-06, -4.798240459380385e-07, 1.4742126834106425e-07, -4.558181389468679e-08,
  1.4165591268478893e-08, -4.4073691581292014e-09, 1.3814283765582231e-09, -4.5146983088809824e-10,
  1.4254690974156298e-10, -3.3249822123557004e-11, 1.0517965424869715e-11, -8.089253938855183e-12, 2.5837575860405e-12,
  0.3930873456872526, -0.16563381231098723, 0.015967667997598377, -0.0021370436482554714, 0.0003257519756073092,
  -5.311562671580853e-05, 9.01600691686654e-06, -1.57128037369592e-06, 2.789623710711107e-07, -5.021322326740046e-08,
  9.13528980504721e-09, -1.6762792141038867e-09, 3.0990019441229285e-10, -5.760781200499198e-11, 1.0627462925728943e-11,
  -1.9939554753545143e-12, 4.4792184536411097e-13, -8.474526855020389e-14, 0.0, 0.0, 0.0, 0.0, 0.0, 0.42278433509846713,
  0.1612335167120566, -0.016838075263299536, 0.0025726010534730713, -0.0004615969392917596, 9.032844783558553e-05,
  -1.863677987501598e-05, 3.981793163166481e-06, -8.716982450984518e-07, 1.942529474587772e-07, -4.387338974983724e-08,
  1.0013314167996967e-08, -2.3043112100202176e-09, 5.339813130999916e-10, -1.2481202067269968e-10,
  2.923176066319201e-11, -6.566709534240663e-12, 1.5491338158886129e-12, -5.116584685713687e-13, 1.2167067542304562e-13,
  0.0, 0.0, 0.0, 0.7486415448869803, 0.16100961970871924, -0.015651156505576077, 0.0021818656267703147,
  -0.0003553300816225008, 6.310770686105422e-05, -1.183900656646127e-05, 2.3054258302981085e-06, -4.611136707382342e-07,
  9.408501750718763e-08, -1.949267816220807e-08, 4.08714863718757e-09, -8.653005346821272e-10, 1.84893994559437e-10,
  -3.971177323238624e-11, 8.34303396382753e-12, -1.809394270116173e-12, 5.104989252877815e-13, -1.117336352684254e-13,
  0.0, 0.0, 0.0, 0.0, 1.1308039907482046, 0.20583821050009135, -0.024142037253373178, 0.003980863685522094,
  -0.0007604460387733569, 0.0001578556484579682, -3.456997437147937e-05, 7.858301789856546e-06, -1.8358683276028127e-06,
  4.3793583247089117e-07, -1.0618966625029614e-07, 2.6088150637975912e-08, -6.476648562973151e-09,
  1.622561086935422e-09, -4.1161029210998144e-10, 1.0455866652177226e-10, -2.4931323424023712e-11,
  6.390120655173839e-12, -2.4787601214092105e-12, 6.421038032765538e-13, 0.0, 0.0, 0.0, 1.5585777894396358,
  0.21305336232110458, -0.024768917244910295, 0.003982748176182131, -0.0007358446969561312, 0.00014705832092715308,
  -3.0921712994652425e-05, 6.738054959888027e-06, -1.5076393913721143e-06, 3.442885506991362e-07,
  -7.990753104747014e-08, 1.879190185134578e-08, -4.4670251328578135e-09, 1.0717899942950057e-09,
  -2.6017190135435344e-10, 6.334217024534625e-11, -1.4659855153109226e-11, 3.604627486869654e-12,
  -1.2910204323542275e-12, 3.210995577196231e-13, 0.0, 0.0, 0.0,
]);
/** B₂ₖ/(2k(2k − 1)), k = 1 …: Stirling's series, in powers 1/x^(2k−1). */
const STIRLING_COUNT: i32 = 8;
const STIRLING = memory.data<f64>([
  0.08333333333333333, -0.002777777777777778, 0.0007936507936507937, -0.0005952380952380953, 0.0008417508417508417,
  -0.0019175269175269176, 0.00641025641025641, -0.029550653594771242,
]);
/** H on f in [0, 1]: Γ(1 + f) = 1 + f(f − 1)·H(f). */
const GAMMA_EXCESS_COUNT: i32 = 24;
const GAMMA_EXCESS = memory.data<f64>([
  0.45509229818896796, -0.06467679489777002, 0.040278844500666856, -0.01102939261538395, 0.004117504739507526,
  -0.0013390110779008576, 0.00045436075100977895, -0.0001514505918365796, 5.064814937715425e-05, -1.690025475882583e-05,
  5.638328206610698e-06, -1.8803122150471795e-06, 6.269398309587646e-07, -2.0901601035993427e-07, 6.971323909795428e-08,
  -2.3239198583298195e-08, 7.692912883139432e-09, -2.5643624732499133e-09, 9.110370318118271e-10,
  -3.0368134372306787e-10, 6.393297373460716e-11, -2.1311081600501904e-11, 2.131118148073656e-11,
  -7.103731916634108e-12,
]);
/** ψ(1 + x) on x in [0, 0.5]. */
const DIGAMMA_SMALL_COUNT: i32 = 19;
const DIGAMMA_SMALL = memory.data<f64>([
  -0.22745353337626542, 0.2993322886267777, -0.04149187304802876, 0.007245166690594561, -0.0013631817444553162,
  0.00026459771876439917, -5.21130858337054e-05, 1.0338544220559935e-05, -2.058742121526578e-06, 4.107786171352878e-07,
  -8.204985436285908e-08, 1.6398003794887352e-08, -3.2783196453376984e-09, 6.560509129332765e-10,
  -1.3119451147620347e-10, 2.57539193428722e-11, -5.15059152871776e-12, 1.2717200512140622e-12, -2.543414930659696e-13,
]);
/** R on the pieces [lo, hi) of [0.5, 12): ψ(x) = (x − x₀)·R(x). */
const DIGAMMA_BOUNDS = memory.data<f64>([0.5, 1.0, 2.0, 4.0, 7.0, 12.0]);
const DIGAMMA_COUNT: i32 = 24;
const DIGAMMA = memory.data<f64>([
  1.5258738485383445, -0.35692801622193143, 0.10746462831364717, -0.03456954948101094, 0.011367505140176742,
  -0.0037685657947307332, 0.0012533723798682753, -0.00041739888250120696, 0.00013907785362900527,
  -4.635148876072702e-05, 1.5449400145566903e-05, -5.149642506521637e-06, 1.7164858898878838e-06,
  -5.721587605526565e-07, 1.9081207995377823e-07, -6.360396138973957e-08, 2.1054139983742056e-08,
  -7.018045330208857e-09, 2.4932527342840935e-09, -8.310842175978818e-10, 1.749650970414983e-10, -5.832169846364424e-11,
  5.832169811818796e-11, -1.944056602660146e-11, 0.9510558760318328, -0.21181371064073024, 0.06013562106019684,
  -0.018550615381739702, 0.005936795278301875, -0.0019350666647392832, 0.0006368880303847901, -0.00021074841284590126,
  6.99501882655044e-05, -2.325823275895313e-05, 7.741234441368395e-06, -2.578133701610713e-06, 8.589062683365892e-07,
  -2.8621216825577647e-07, 9.543261570760428e-08, -3.1807298477301726e-08, 1.0528133851878114e-08,
  -3.509235492410718e-09, 1.2466690231864029e-09, -4.1555064115551965e-10, 8.748420037436287e-11,
  -2.9161179626023815e-11, 2.916093601085364e-11, -9.720300404202244e-12, 0.5998463449949618, -0.13320109197323368,
  0.036495945121321344, -0.010837922383551262, 0.0033543129644184643, -0.0010636279057826277, 0.00034247369523042535,
  -0.00011139565657303933, 3.648531108139926e-05, -1.2007975487028507e-05, 3.965648139388242e-06,
  -1.312896994713447e-06, 4.354266868712966e-07, -1.44602934202404e-07, 4.8091263682928756e-08, -1.599754262657872e-08,
  5.287560363636796e-09, -1.7604977332370052e-09, 6.248184389439063e-10, -2.0814658082339514e-10, 4.382663569144585e-11,
  -1.4601734800264164e-11, 1.458893220189217e-11, -4.862266851699464e-12, 0.3989466057616312, -0.07414042972458727,
  0.016504335666789806, -0.003944797921307097, 0.0009797561941192268, -0.00024922941082891587, 6.443359486512794e-05,
  -1.685173965306304e-05, 4.445223172769855e-06, -1.1802337575496415e-06, 3.149448400352061e-07, -8.437913257090205e-08,
  2.267798130085172e-08, -6.1075092683842784e-09, 1.649067917616454e-09, -4.499757406788872e-10, 1.2187620336584876e-10,
  -2.990066713379316e-11, 8.113169297401452e-12, -3.601958759182014e-12, 9.793811560667505e-13, 0.0, 0.0, 0.0,
  0.2734059844035714, -0.0505104701798426, 0.010924376550588852, -0.0025142025594884435, 0.0005986486081044759,
  -0.000145659224542368, 3.597685870936171e-05, -8.984542135773559e-06, 2.2626970820849635e-06, -5.736329481225025e-07,
  1.4620296131989517e-07, -3.742634379792637e-08, 9.615376723904542e-09, -2.4769962546752435e-09, 6.399586082656498e-10,
  -1.668139795272586e-10, 4.327734099556691e-11, -1.0365111747156965e-11, 2.6962327469545493e-12,
  -1.0937660091012112e-12, 2.854689212682302e-13, 0.0, 0.0, 0.0,
]);
/** B₂ₖ/(2k), k = 1 …: ψ's asymptotic series, in powers 1/x^(2k). */
const DIGAMMA_SERIES_COUNT: i32 = 9;
const DIGAMMA_SERIES = memory.data<f64>([
  0.08333333333333333, -0.008333333333333333, 0.003968253968253968, -0.004166666666666667, 0.007575757575757576,
  -0.021092796092796094, 0.08333333333333333, -0.4432598039215686, 3.0539543302701198,
]);
/** B₂ₖ/(2k)!, k = 1 … 20: the Euler–Maclaurin tail of the Hurwitz zeta. */
const ZETA_TAIL_COUNT: i32 = 20;
const ZETA_TAIL = memory.data<f64>([
  0.08333333333333333, -0.001388888888888889, 3.306878306878307e-05, -8.267195767195768e-07, 2.08767569878681e-08,
  -5.284190138687493e-10, 1.3382536530684679e-11, -3.3896802963225827e-13, 8.586062056277845e-15,
  -2.174868698558062e-16, 5.5090028283602295e-18, -1.3954464685812522e-19, 3.534707039629467e-21,
  -8.953517427037546e-23, 2.267952452337683e-24, -5.744790668872202e-26, 1.455172475614865e-27, -3.6859949406653103e-29,
  9.336734257095045e-31, -2.36502241570063e-32,
]);
/** C on t = y² in [0, 0.25]: erfinv y = y·C(y²). */
const ERFINV_CENTRAL_COUNT: i32 = 15;
const ERFINV_CENTRAL = memory.data<f64>([
  0.9174083670522701, 0.03356743029704948, 0.0026140273452605737, 0.0002522747551744839, 2.697700101020756e-05,
  3.063743625040001e-06, 3.6198641252228865e-07, 4.39827710829996e-08, 5.456543317613449e-09, 6.879478252422393e-10,
  8.785193915502063e-11, 1.1316245863143458e-11, 1.472932918049638e-12, 2.0671330379227348e-13, 2.7293232550077864e-14,
]);
/** erfc⁻¹ c on the pieces [lo, hi) of v = √(−ln c), to about 1e-12. */
const ERFCINV_BOUNDS = memory.data<f64>([0.83, 2.5, 6.1]);
const ERFCINV_COUNT: i32 = 18;
const ERFCINV = memory.data<f64>([
  1.3170361367338919, 0.8730396532855981, 0.008992764927676294, -0.010732232029600556, 0.006266923944363063,
  -0.002911975991974323, 0.0011612153484315648, -0.0003977422897369001, 0.00010990042066586751, -1.8010443367076975e-05,
  -4.2759729492810864e-06, 5.885673846314718e-06, -3.313218333390969e-06, 1.541696463076444e-06, -8.503597670627722e-07,
  2.80833932694252e-07, 8.0437694795928e-08, -6.118509069257082e-08, 4.060542733128421, 1.8529406508199735,
  -0.012512870846640338, 0.0026232945547285153, -0.0003117931185761077, -0.00011596871870098541, 0.00012645650667589373,
  -7.719344925868865e-05, 3.954732373252651e-05, -1.8480877888759378e-05, 8.203875642911063e-06,
  -3.6199544278523147e-06, 1.481745239646131e-06, -4.567302634865674e-07, 1.8608394712480732e-07,
  -1.4987937294140495e-07, 5.2877866369825215e-08, 0.0,
]);
/** D on t = x² in [0, 1]: sinc′ x = x·D(x²). */
const SINC_DERIVATIVE_COUNT: i32 = 11;
const SINC_DERIVATIVE = memory.data<f64>([
  -1.927775306184115, 1.1240770846497892, -0.21594762792310343, 0.020809812955636095, -0.0012098139609796133,
  4.714147249832422e-05, -1.318323564990085e-06, 2.776428099403956e-08, -4.5639834707313983e-10, 6.021961008276118e-12,
  -6.516088258224048e-14,
]);

function horner(table: usize, count: i32, s: f64): f64 {
  let r: f64 = 0;
  for (let k = count - 1; k >= 0; k--) r = r * s + load<f64>(table + (<usize>k << 3));
  return r;
}

/** The polynomial of the piece [lo, hi) of a zero-padded piecewise table that holds x (x below the last bound). */
function piecewise(bounds: usize, table: usize, count: i32, x: f64): f64 {
  let k = 0;
  while (x >= load<f64>(bounds + (<usize>(k + 1) << 3))) k++;
  const lo = load<f64>(bounds + (<usize>k << 3)), hi = load<f64>(bounds + (<usize>(k + 1) << 3));
  return horner(table + (<usize>(k * count) << 3), count, (2 * x - lo - hi) / (hi - lo));
}

/** x − 2·round(x/2), in [−1, 1]: exact, since it is a multiple of x's ulp no larger than 1. */
// @ts-ignore: decorator
@inline function reduceModTwo(x: f64): f64 {
  return x - 2 * nearest(x * 0.5);
}

/** sin πx, to about an ulp for every x (0 at the integers). */
function sinPi(x: f64): f64 {
  const r = reduceModTwo(x), a = Math.abs(r);
  let s: f64;
  if (a <= 0.25) s = Math.sin(Math.PI * a);
  else if (a <= 0.75) s = Math.cos(Math.PI * (a - 0.5));
  else s = Math.sin(Math.PI * (1 - a));
  return r < 0 ? -s : s;
}

/** cos πx, to about an ulp for every x (0 at the half-integers). */
function cosPi(x: f64): f64 {
  const a = Math.abs(reduceModTwo(x));
  if (a <= 0.25) return Math.cos(Math.PI * a);
  if (a <= 0.75) return Math.sin(Math.PI * (0.5 - a));
  return -Math.cos(Math.PI * (1 - a));
}

/** ln|Γ(x)|; +∞ at the poles 0, −1, −2, … and at ±∞. */
export function lgamma(x: f64): f64 {
  if (x > 0) return lgammaPositive(x);
  if (x != x) return x;
  if (x == Math.floor(x)) return Infinity;
  return Math.log(Math.PI / Math.abs(sinPi(x))) - lgammaPositive(1 - x);
}

function lgammaPositive(x: f64): f64 {
  if (x < 0.5) return x * horner(LGAMMA_SMALL, LGAMMA_SMALL_COUNT, 4 * x - 1) - Math.log(x);
  if (x < ASYMPTOTIC_FROM) return (x < 1.5 ? 1 - x : x - 2) * piecewise(LGAMMA_BOUNDS, LGAMMA, LGAMMA_COUNT, x);
  const u = 1 / x;
  return (x - 0.5) * (Math.log(x) - 1) + HALF_LN_2PI_MINUS_HALF + u * horner(STIRLING, STIRLING_COUNT, u * u);
}

/** Γ(x); ±∞ at ±0 (as C's tgamma), NaN at the negative integers and −∞, +∞ beyond 171.62. */
export function gamma(x: f64): f64 {
  if (x > 0) {
    if (x >= GAMMA_OVERFLOW) return Infinity;
    if (x < 1) return gammaOnePlus(x, 0, 1) / x;
    const n = Math.floor(x);
    return gammaOnePlus(x - n, <i32>n - 1, 1);
  }
  if (x == 0) return 1 / x;
  if (x != x || x == Math.floor(x)) return NaN;
  return gammaNegative(x);
}

/** Γ(x) for x < 0, not an integer, by reflection; 1 − x = 1 + m + f is passed as its exact parts. */
function gammaNegative(x: f64): f64 {
  const a = -x, m = Math.floor(a), s = sinPi(x);
  if (a > GAMMA_UNDERFLOW) return 0 * s; // ±0, Γ's sign being sin πx's
  if (m < 170) return Math.PI / (s * gammaOnePlus(a - m, <i32>m, 1));
  const scale: f64 = 2.938735877055719e-39; // 2^−128
  return Math.PI / (s * gammaOnePlus(a - m, <i32>m, scale)) * scale;
}

/** Γ(1 + n + f)·scale for f in [0, 1) and whole n ≥ 0 (scale a power of 2). */
function gammaOnePlus(f: f64, n: i32, scale: f64): f64 {
  return risingProduct((1 + f * (f - 1) * horner(GAMMA_EXCESS, GAMMA_EXCESS_COUNT, 2 * f - 1)) * scale, f, n);
}

/**
 * start·(f + 1)(f + 2)…(f + n), the factors being exact, in double-double (hi + lo),
 * so that the n roundings of a plain product do not pile up.
 */
function risingProduct(start: f64, f: f64, n: i32): f64 {
  let hi = start, lo: f64 = 0;
  for (let k = 1; k <= n; k++) {
    const y = f + <f64>k, p = hi * y;
    lo = lo * y + productError(hi, y, p);
    hi = p;
  }
  return hi + lo;
}

/** ψ(x) = Γ′(x)/Γ(x); NaN at the poles 0, −1, −2, … and at −∞. */
export function digamma(x: f64): f64 {
  if (x > 0) return digammaPositive(x);
  if (x != x || x == Math.floor(x)) return NaN;
  return digammaPositive(1 - x) - Math.PI * cosPi(x) / sinPi(x);
}

function digammaPositive(x: f64): f64 {
  if (x < 0.5) return horner(DIGAMMA_SMALL, DIGAMMA_SMALL_COUNT, 4 * x - 1) - 1 / x;
  if (x < ASYMPTOTIC_FROM) return ((x - ROOT_HI) - ROOT_LO) * piecewise(DIGAMMA_BOUNDS, DIGAMMA, DIGAMMA_COUNT, x);
  const u = 1 / (x * x);
  return Math.log(x) - 0.5 / x - u * horner(DIGAMMA_SERIES, DIGAMMA_SERIES_COUNT, u);
}

/**
 * ψ⁽ⁿ⁾(x), the n-th derivative of ψ, for whole n from 0 to 170 (NaN for other n, since
 * n! overflows beyond); NaN at the poles 0, −1, −2, … and at −∞.
 */
export function polygamma(n: f64, x: f64): f64 {
  if (!(n >= 0 && n <= MAX_ORDER) || n != Math.floor(n)) return NaN;
  if (n == 0) return digamma(x);
  const order = <i32>n;
  if (x > 0) return polygammaPositive(order, x);
  if (x != x || x == Math.floor(x)) return NaN;
  return polygammaNegative(order, x);
}

/**
 * (−1)^(n+1)·n!·ζ(n + 1, x) for x > 0. With x = m·2^e, m in [1, 2), the terms are formed
 * from (x + k)·2^−e and the sum scaled back by powers of 2 last, so that no intermediate
 * overflows or underflows unless the result does (x^−n alone would from x ≈ 1e15 for n = 20).
 */
function polygammaPositive(n: i32, x: f64): f64 {
  if (x == Infinity) return n & 1 ? 0 : -0.0;
  const s = n + 1, e = binaryExponent(x);
  const z = Math.scalbn(hurwitzZetaScaled(s, x, e), -e);
  const r = Math.scalbn(factorial(n) * z, -e * n);
  return n & 1 ? r : -r;
}

/**
 * ψ⁽ⁿ⁾(x) for x < 0, not an integer. With x = −(m + f), the terms (x + k)^−s of
 * ζ(s, x) are (−1)^s·(f + j)^−s for j = m … 0, then (1 − f + j)^−s: so
 * ζ(s, x) = (−1)^s·(ζ(s, f) − ζ(s, f + m + 1)) + ζ(s, 1 − f). The two large zetas are
 * combined first: for odd s they cancel next to ψ⁽ⁿ⁾'s zeros (as they must), and the small
 * ζ(s, f + m + 1) then still counts.
 */
function polygammaNegative(n: i32, x: f64): f64 {
  const s = n + 1, a = -x, f = a - Math.floor(a);
  const near = hurwitzZetaScaled(s, f, 0), far = hurwitzZetaScaled(s, a + 1, 0), mirror = hurwitzZetaScaled(s, 1 - f, 0);
  const z = s & 1 ? (mirror - near) + far : (near + mirror) - far;
  const r = factorial(n) * z;
  return n & 1 ? r : -r;
}

/**
 * ζ(s, x)·2^(e·s) = Σₖ ((x + k)·2^−e)^−s for x > 0 and whole s ≥ 2: term by term while
 * x + k < max(20, s + 9), then the Euler–Maclaurin tail. The terms are summed with
 * their roundings carried (up to 30 of them would otherwise cost as many half-ulps), and
 * each x + k is carried as its rounded sum a and the rounding aLo, whose effect is added
 * to first order: an ulp of x + k would otherwise cost s/2 ulps of its term.
 */
function hurwitzZetaScaled(s: i32, x: f64, e: i32): f64 {
  const from = Math.max(20, <f64>(s + 9));
  let sum: f64 = 0, sumLo: f64 = 0, a = x, aLo: f64 = 0;
  for (let k = 1; a < from; k++) {
    const term = Math.pow(Math.scalbn(a, -e), -s) * (1 - s * aLo / a), total = sum + term;
    sumLo += (sum - total) + term; // exact: the terms decrease, so sum ≥ term
    sum = total;
    a = x + <f64>k;
    const kPart = a - x; // two-sum: x + k = a + aLo exactly
    aLo = (x - (a - kPart)) + (<f64>k - kPart);
  }
  // the tail ζ(s, a + aLo) = a^−s·(tailFactor − aLo) to first order, since ∂ζ(s, a)/∂a ≈ −a^−s
  return sum + (sumLo + Math.pow(Math.scalbn(a, -e), -s) * (zetaTailFactor(s, a) - aLo));
}

/** a^s·ζ(s, a) for a ≥ max(20, s + 9): a/(s − 1) + ½ + Σ B₂ⱼ/(2j)!·s(s + 1)…(s + 2j − 2)/a^(2j−1). */
function zetaTailFactor(s: i32, a: f64): f64 {
  const lead = a / <f64>(s - 1) + 0.5, u = 1 / (a * a);
  let rising = <f64>s / a, sum: f64 = 0;
  for (let j = 0; j < ZETA_TAIL_COUNT; j++) {
    const term = load<f64>(ZETA_TAIL + (<usize>j << 3)) * rising;
    sum += term;
    if (Math.abs(term) < 1e-18 * lead) break;
    rising *= <f64>(s + 2 * j + 1) * <f64>(s + 2 * j + 2) * u;
  }
  return lead + sum;
}

/** n! for 0 ≤ n ≤ 170 (exact to n = 22, within an ulp beyond). */
// @ts-ignore: decorator
@inline function factorial(n: i32): f64 {
  return risingProduct(1, 0, n);
}

/** The inverse error function: ±∞ at ±1, NaN beyond. */
export function erfinv(y: f64): f64 {
  const a = Math.abs(y);
  if (!(a < 1)) return a == 1 ? y * Infinity : NaN;
  if (a <= 0.5) return y * horner(ERFINV_CENTRAL, ERFINV_CENTRAL_COUNT, 8 * y * y - 1);
  const x = erfcinvSmall(1 - a);
  return y < 0 ? -x : x;
}

/**
 * erfc⁻¹ c for 2^−53 ≤ c ≤ 0.5: the fit in √(−ln c), then one Halley step on
 * g(x) = erfc x − c. With δ = g/g′ and g″/g′ = −2x, the step is x − δ/(1 + x·δ); it
 * cubes the fit's 1e-12, and erfc's relative accuracy makes the result exact to an ulp.
 */
function erfcinvSmall(c: f64): f64 {
  const x = piecewise(ERFCINV_BOUNDS, ERFCINV, ERFCINV_COUNT, Math.sqrt(-Math.log(c)));
  const delta = (erfc(x) - c) / (-TWO_OVER_SQRT_PI * Math.exp(-x * x));
  return x - delta / (1 + x * delta);
}

/** The normalized sinc sin(πx)/(πx): 1 at 0, +0 at the other integers and at ±∞. */
export function sinc(x: f64): f64 {
  const a = Math.abs(x); // sinc is even: from |x|, its zeros are all +0
  if (a == 0) return 1;
  if (a == Infinity) return 0;
  return sinPi(a) / (Math.PI * a);
}

/** d/dx sinc x = (cos πx − sinc x)/x: 0 at 0 and at ±∞. */
export function sincDerivative(x: f64): f64 {
  if (Math.abs(x) <= 1) return x * horner(SINC_DERIVATIVE, SINC_DERIVATIVE_COUNT, 2 * x * x - 1);
  if (Math.abs(x) == Infinity) return 0;
  return (cosPi(x) - sinc(x)) / x;
}
