"""Coefficients of the core's gamma family, erfinv and sinc′ (assembly/core/gamma.ts), fitted here.

Run: python3 scripts/gamma-coefficients.py  (needs mpmath and numpy; prints the
AssemblyScript tables and constants). Each fitted piece is a polynomial in a
variable s scaled to [-1, 1], interpolated at Chebyshev nodes in 60-digit
arithmetic, of the lowest degree whose interpolation error is below 1e-18
(relative, or absolute where the function has a zero inside); the series
tables are exact Bernoulli-number coefficients. The script then evaluates the
pieces in double arithmetic, as the core does, and prints their worst error
against mpmath.

  lgamma:   0 < x < 0.5:  -ln x + x*A(x),      A = lgamma(1 + x)/x,  s = 4x - 1
            0.5 <= x < 1.5:  (1 - x)*L(x),     L = lgamma(x)/(1 - x), two pieces
            1.5 <= x < 12:   (x - 2)*L(x),     L = lgamma(x)/(x - 2), four pieces
            x >= 12:  Stirling, B2k/(2k(2k-1)) for the powers 1/x^(2k-1)
  gamma:    Gamma(1 + f) = 1 + f(f - 1)*H(f), f in [0, 1],  s = 2f - 1
  digamma:  0 < x < 0.5:  psi(1 + x) - 1/x, psi(1 + x) fitted (absolute: it has a zero at 0.46)
            0.5 <= x < 12:  (x - x0)*R(x), R = psi(x)/(x - x0), x0 its positive root, five pieces
            x >= 12:  ln x - 1/(2x) - sum B2k/(2k) x^-2k
  zeta:     B2k/(2k)! for the Euler-Maclaurin tail of the Hurwitz zeta (polygamma)
  erfinv:   |y| <= 0.5:  y*C(y^2), C = erfinv(y)/y,  s = 8y^2 - 1
            |y| > 0.5:   a rougher fit (1e-12) of erfc^-1(c) in v = sqrt(-ln c), c = 1 - |y|,
                         which one Halley step on erfc then makes exact
  sinc':    |x| <= 1:  x*D(x^2), D = sinc'(x)/x,  s = 2x^2 - 1
"""
import mpmath as mp
import numpy as np

from chebyshev import fit, horner

mp.mp.dps = 60

X0 = mp.findroot(mp.digamma, mp.mpf("1.4616321449683623"))  # digamma's positive root


def lgamma_small(x):
    return mp.loggamma(1 + x) / x if x != 0 else -mp.euler


def lgamma_over_1(x):
    """lgamma(x)/(1 - x): positive on [0.5, 1.5], so that (1 - x)*L(x) is +0 at x = 1."""
    return mp.loggamma(x) / (1 - x) if x != 1 else mp.euler


def lgamma_over_2(x):
    return mp.loggamma(x) / (x - 2) if x != 2 else mp.digamma(2)


def gamma_excess(f):
    """H(f) = (Gamma(1 + f) - 1)/(f(f - 1)), its limits at f = 0 and 1."""
    if f == 0:
        return mp.euler
    if f == 1:
        return 1 - mp.euler
    return (mp.gamma(1 + f) - 1) / (f * (f - 1))


def digamma_over_root(x):
    return mp.digamma(x) / (x - X0)


def erfinv_over(y):
    return mp.erfinv(y) / y if y != 0 else mp.sqrt(mp.pi) / 2


def erfcinv_of_v(v):
    return mp.erfinv(1 - mp.exp(-v * v))


def sinc_derivative_over(x):
    if x == 0:
        return -mp.pi ** 2 / 3
    u = mp.pi * x
    return (mp.cos(u) - mp.sin(u) / u) / (x * x)


def gamma_overflow():
    """The least double x whose Gamma(x) rounds to infinity."""
    top = mp.mpf(2) ** 1024 - mp.mpf(2) ** 970  # halfway between the largest double and 2^1024
    x = float(mp.findroot(lambda t: mp.loggamma(t) - mp.log(top), 171.6))
    while mp.gamma(x) >= top:
        x = float(np.nextafter(x, 0))
    while mp.gamma(x) < top:
        x = float(np.nextafter(x, 200))
    return x


def gamma_underflow():
    """The least whole m with |Gamma(x)| < 2^-1075 (so rounding to 0) on all of (-m - 1, -m)."""
    m = 170
    while True:
        closest = max(abs(mp.gamma(-m - 1 + np.spacing(m + 1.0))), abs(mp.gamma(-m - np.spacing(float(m)))))
        if closest < mp.mpf(2) ** -1075:
            return m
        m += 1


def bernoulli_series(weight, x_from, tol):
    """weight(k)*B2k for k = 1, 2, ... until the next term at x_from is below tol."""
    out, k = [], 1
    while True:
        term = weight(k) * mp.bernoulli(2 * k)
        if out and abs(term) * x_from ** -(2 * k) < tol:
            return out
        out.append(term)
        k += 1


def table(name, values, comment):
    """Prints an AssemblyScript memory.data table, wrapped at 120 columns."""
    print(f"// {comment}")
    print(f"const {name} = memory.data<f64>([")
    line = " "
    for v in values:
        item = f" {float(v)!r},"
        if len(line) + len(item) > 120:
            print(line)
            line = " "
        line += item
    print(line)
    print("]);")


def piecewise(name, f_from, bounds, tol=mp.mpf("1e-18")):
    """Fits of f_from(a) on each piece [a, b) of bounds, zero-padded to one width."""
    fits = []
    for a, b in zip(bounds, bounds[1:]):
        coef, err = fit(f_from(a), a, b, tol)
        fits.append(coef)
        print(f"// {name} on [{a}, {b}]: degree {len(coef) - 1}, interpolation error {mp.nstr(err, 3)}")
    width = max(len(c) for c in fits)
    print(f"const {name}_BOUNDS = memory.data<f64>([" + ", ".join(repr(float(v)) for v in bounds) + "]);")
    print(f"const {name}_COUNT: i32 = {width};")
    table(name, [v for c in fits for v in c + [0.0] * (width - len(c))], f"{name} pieces, {width} coefficients each (zero-padded)")
    return fits


def single(name, f, a, b, **kw):
    coef, err = fit(f, a, b, **kw)
    print(f"const {name}_COUNT: i32 = {len(coef)};")
    table(name, coef, f"{name} on [{a}, {b}]: degree {len(coef) - 1}, interpolation error {mp.nstr(err, 3)}")
    return coef


def ulps(got, exact):
    """|got - exact| in units of the spacing of doubles at exact."""
    return float(abs(mp.mpf(got) - exact)) / np.spacing(abs(float(exact)))


def check(label, coef_at, exact, a, b, n=400):
    """Worst error in ulps of a piece evaluated in doubles, against mpmath, at n random points of [a, b)."""
    rng = np.random.default_rng(1)
    worst = max(ulps(coef_at(v), exact(mp.mpf(v))) for v in rng.uniform(a, b, n))
    print(f"// {label}: worst error in doubles {worst:.2f} ulp")


LGAMMA_BOUNDS = [0.5, 1, 1.5, 2.5, 4, 7, 12]
DIGAMMA_BOUNDS = [0.5, 1, 2, 4, 7, 12]
ERFCINV_BOUNDS = [0.83, 2.5, 6.1]  # v = sqrt(-ln c) for c in [2^-53, 0.5] is in [0.8326, 6.058]


def main():
    a = single("LGAMMA_SMALL", lgamma_small, 0, 0.5)
    lg = piecewise("LGAMMA", lambda lo: lgamma_over_1 if lo < 1.5 else lgamma_over_2, LGAMMA_BOUNDS)
    stirling = bernoulli_series(lambda k: mp.mpf(1) / (2 * k * (2 * k - 1)), 12, mp.mpf("1e-20"))
    print(f"const STIRLING_COUNT: i32 = {len(stirling)};")
    table("STIRLING", stirling, "B2k/(2k(2k - 1)), k = 1 ...: lgamma's Stirling series in 1/x^(2k-1)")
    print(f"// (ln 2pi - 1)/2 = {float((mp.log(2 * mp.pi) - 1) / 2)!r}")

    h = single("GAMMA_EXCESS", gamma_excess, 0, 1)
    print(f"// Gamma overflows from x = {gamma_overflow()!r}; |Gamma(x)| < 2^-1075 for x < -{gamma_underflow()}")

    ds = single("DIGAMMA_SMALL", lambda x: mp.digamma(1 + x), 0, 0.5, absolute=True)
    root_hi = float(X0)
    root_lo = float(X0 - root_hi)
    print(f"// digamma's root x0 = {root_hi!r} + {root_lo!r}")
    dg = piecewise("DIGAMMA", lambda lo: digamma_over_root, DIGAMMA_BOUNDS)
    psi_series = bernoulli_series(lambda k: mp.mpf(1) / (2 * k), 12, mp.mpf("1e-20"))
    print(f"const DIGAMMA_SERIES_COUNT: i32 = {len(psi_series)};")
    table("DIGAMMA_SERIES", psi_series, "B2k/(2k), k = 1 ...: digamma's asymptotic series in 1/x^2k")

    zeta = [mp.bernoulli(2 * k) / mp.factorial(2 * k) for k in range(1, 21)]
    print(f"const ZETA_TAIL_COUNT: i32 = {len(zeta)};")
    table("ZETA_TAIL", zeta, "B2k/(2k)!, k = 1 ... 20: the Euler-Maclaurin tail of the Hurwitz zeta")

    ec = single("ERFINV_CENTRAL", lambda t: erfinv_over(mp.sqrt(t)), 0, 0.25)
    piecewise("ERFCINV", lambda lo: erfcinv_of_v, ERFCINV_BOUNDS, tol=mp.mpf("1e-12"))

    sd = single("SINC_DERIVATIVE", lambda t: sinc_derivative_over(mp.sqrt(t)), 0, 1)

    # double-arithmetic checks of the pieces themselves
    check("lgamma, 0 < x < 0.5", lambda x: x * horner(a, 4 * x - 1) - np.log(x), mp.loggamma, 1e-6, 0.5)
    for (lo, hi), c in zip(zip(LGAMMA_BOUNDS, LGAMMA_BOUNDS[1:]), lg):
        check(f"lgamma on [{lo}, {hi})", lambda x: (1 - x if lo < 1.5 else x - 2) * horner(c, (2 * x - lo - hi) / (hi - lo)), mp.loggamma, lo, hi)
    check("Gamma(1 + f)", lambda f: 1 + f * (f - 1) * horner(h, 2 * f - 1), lambda f: mp.gamma(1 + f), 0, 1)
    check("digamma, 0 < x < 0.5", lambda x: horner(ds, 4 * x - 1) - 1 / x, mp.digamma, 1e-6, 0.5)
    for (lo, hi), c in zip(zip(DIGAMMA_BOUNDS, DIGAMMA_BOUNDS[1:]), dg):
        check(f"digamma on [{lo}, {hi})", lambda x: ((x - root_hi) - root_lo) * horner(c, (2 * x - lo - hi) / (hi - lo)), mp.digamma, lo, hi)
    check("erfinv, |y| <= 0.5", lambda y: y * horner(ec, 8 * y * y - 1), mp.erfinv, 0, 0.5)
    check("sinc', |x| <= 1", lambda x: x * horner(sd, 2 * x * x - 1), lambda x: sinc_derivative_over(x) * x, 1e-6, 1)


main()
