"""Polynomial fits for the core's special functions (erf-coefficients.py,
gamma-coefficients.py): interpolation at Chebyshev nodes in mpmath's precision,
of the lowest degree whose error on a fine grid is below a tolerance, returned
as monomial coefficients in s = (2v - a - b)/(b - a), which the core evaluates
by Horner's rule."""
import mpmath as mp


def fit(f, a, b, tol=mp.mpf("1e-18"), absolute=False):
    """Monomial coefficients (lowest first) in s of the interpolant of f on [a, b], and its error (relative, or absolute)."""
    a, b = mp.mpf(a), mp.mpf(b)
    grid = [(s, f((b - a) / 2 * s + (a + b) / 2)) for s in mp.linspace(-1, 1, 97)]
    for n in range(2, 40):
        nodes = [mp.cos(mp.pi * (k + mp.mpf(1) / 2) / (n + 1)) for k in range(n + 1)]
        vals = [f((b - a) / 2 * s + (a + b) / 2) for s in nodes]
        c = [2 * mp.fsum(vals[k] * mp.cos(mp.pi * j * (k + mp.mpf(1) / 2) / (n + 1)) for k in range(n + 1)) / (n + 1) for j in range(n + 1)]
        c[0] /= 2
        worst = max(abs(clenshaw(c, s) - exact) / (1 if absolute else abs(exact)) for s, exact in grid)
        if worst < tol:
            mono = [mp.mpf(0)] * (n + 1)
            for j in range(n + 1):
                for i, p in enumerate(mp.taylor(lambda s: mp.chebyt(j, s), 0, j)):
                    mono[i] += c[j] * p
            return [float(m) for m in mono], worst
    raise RuntimeError("no fit")


def clenshaw(c, s):
    """The Chebyshev series with coefficients c at s."""
    b1 = b2 = mp.mpf(0)
    for cj in reversed(c[1:]):
        b1, b2 = 2 * s * b1 - b2 + cj, b1
    return s * b1 - b2 + c[0]


def horner(coef, s):
    """The polynomial with monomial coefficients coef (lowest first) at s, in double arithmetic, as the core evaluates it."""
    r = 0.0
    for k in reversed(coef):
        r = r * s + k
    return r
