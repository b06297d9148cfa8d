"""Coefficients of the core's erf and erfc (assembly/core/special.ts), fitted here (the fits: chebyshev.py).

Run: python3 scripts/erf-coefficients.py  (needs mpmath and numpy; prints the
AssemblyScript tables). Each piece is a polynomial in a variable s scaled to
[-1, 1], interpolated at Chebyshev nodes in 60-digit arithmetic, of the
lowest degree whose interpolation error is below 1e-18 relative; the script
then evaluates the pieces in double arithmetic, as the core does, and prints
their worst error against mpmath.

  |x| < 0.84375:  erf x = x + x*Q(x^2),  Q(t) = erf(x)/x - 1
  0.84375 <= x < 10:  erfc x = exp(-x^2) * R(x),  R(x) = exp(x^2) erfc(x)
  10 <= x < 27.3:  erfc x = exp(-x^2)/x * G(1/x^2),  G(u) = x exp(x^2) erfc(x)
"""
import mpmath as mp
import numpy as np

from chebyshev import fit, horner

mp.mp.dps = 60


def Q(t):
    x = mp.sqrt(t)
    return mp.erf(x) / x - 1 if t != 0 else 2 / mp.sqrt(mp.pi) - 1


def R(x):
    return mp.exp(x * x) * mp.erfc(x)


def G(u):
    x = 1 / mp.sqrt(u)
    return x * mp.exp(x * x) * mp.erfc(x)


PIECES_R = [(0.84375, 1.25), (1.25, 2.0), (2.0, 3.0), (3.0, 4.5), (4.5, 6.5), (6.5, 10.0)]
G_RANGE = (1 / 27.5 ** 2, 1 / 100)


def main():
    q, qerr = fit(Q, 0, 0.84375 ** 2)
    print(f"// Q on t in [0, 0.84375^2]: degree {len(q) - 1}, interpolation error {mp.nstr(qerr, 3)}")
    print("const Q = memory.data<f64>([" + ", ".join(repr(v) for v in q) + "]);")
    rs = []
    for a, b in PIECES_R:
        r, err = fit(R, a, b)
        rs.append(r)
        print(f"// R on [{a}, {b}]: degree {len(r) - 1}, interpolation error {mp.nstr(err, 3)}")
    width = max(len(r) for r in rs)
    print(f"// R pieces, {width} coefficients each (zero-padded)")
    print("const R = memory.data<f64>([" + ", ".join(repr(v) for r in rs for v in r + [0.0] * (width - len(r))) + "]);")
    g, gerr = fit(G, *G_RANGE)
    print(f"// G on u in [1/27.5^2, 1/100]: degree {len(g) - 1}, interpolation error {mp.nstr(gerr, 3)}")
    print("const G = memory.data<f64>([" + ", ".join(repr(v) for v in g) + "]);")
    # double-arithmetic check of the pieces themselves
    rng = np.random.default_rng(1)
    worst = 0.0
    for (a, b), r in zip(PIECES_R, rs):
        for v in rng.uniform(a, b, 400):
            s = (2 * v - a - b) / (b - a)
            worst = max(worst, abs(horner(r, s) / float(R(mp.mpf(v))) - 1))
    print(f"// worst relative error of R in doubles: {worst / 2.220446049250313e-16:.2f} ulp")


main()
