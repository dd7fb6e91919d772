"""Every corpus constant evaluates to any precision and agrees with an independent oracle."""

import mpmath
import pytest

from discover.constants import Constant, default_registry
from discover.errors import DiscoverError, UnknownConstantError

from mpmath import euler, exp, inf, log, mpf, nsum, quad, sqrt, zeta



def series(f, n):
    return mpmath.fsum(f(k) for k in range(n))

def ln_int(p):          # log p = 2 atanh((p-1)/(p+1)), a series independent of mpmath.log
    x = mpf(p - 1) / (p + 1)
    return 2 * series(lambda k: x ** (2 * k + 1) / (2 * k + 1), 2000 if p > 10 else 700)

def eta(s):             # Dirichlet eta by nsum (alternating), then zeta(s) = eta/(1 - 2^(1-s))
    return nsum(lambda k: (-1) ** (k + 1) / k ** s, [1, inf]) / (1 - mpf(2) ** (1 - s))

def gamma_quad(q):      # Gamma(1/q) = q * integral_0^inf exp(-u^q) du
    return q * quad(lambda u: exp(-u ** q), [0, 1, 2, inf])

def li(s, x, n=1200):   # direct series of the polylogarithm, |x| <= 1/2
    return series(lambda k: mpf(x) ** (k + 1) / mpf(k + 1) ** s, n)

def clausen(theta):     # Cl2(theta) = Im Li2(e^(i theta))
    return mpmath.polylog(2, mpmath.expj(theta)).imag

def khinchin():         # ln K ln 2 = sum_n (zeta(2n) - 1)/n * (1 - 1/2 + ... - 1/(2n-2) + 1/(2n-1))
    tot = mpf(0)
    h = mpf(0)
    for n in range(1, 400):
        h += mpf(1) / (2 * n - 1) - (mpf(1) / (2 * n - 2) if n > 1 else 0)
        tot += (zeta(2 * n) - 1) / n * h
    return exp(tot / log(2))

def mobius(k):
    m, d, res = k, 2, 1
    while d * d <= m:
        if m % d == 0:
            m //= d
            if m % d == 0:
                return 0
            res = -res
        d += 1
    return -res if m > 1 else res

def mertens():          # M = gamma + sum_{k>=2} mu(k) log(zeta(k))/k
    return euler + mpmath.fsum(mobius(k) * log(zeta(k)) / k for k in range(2, 500) if mobius(k))

def pi_sq():
    return 6 * nsum(lambda k: 1 / k ** 2, [1, inf])


def stieltjes1():       # zeta(s) = 1/(s-1) + gamma - gamma_1 (s-1) + ...: -gamma_1 = f'(1),
    # f(s) = zeta(s) - 1/(s-1), by Cauchy's formula on the circle |s - 1| = 1/2 (trapezoid rule)
    n, r = 420, mpf(1) / 2
    tot = mpmath.fsum(zeta(1 + r * mpmath.expj(2 * mpmath.pi * k / n))
                      * mpmath.expj(-2 * mpmath.pi * k / n) for k in range(n))
    return -(tot / (n * r)).real       # the pole term 1/(s-1) contributes nothing to f'(1)


def gamma_const():
    return -mpmath.diff(mpmath.gamma, 1)


def gamma_quarter():    # Gamma(1/4)^2 = 2 sqrt(2) pi^(3/2) / agm(1, sqrt 2)
    return sqrt(2 * sqrt(2) * mpmath.pi ** 1.5 / mpmath.agm(1, sqrt(2)))


def bessel(nu, x, sign):   # the power series of J_nu / I_nu
    return series(lambda k: sign ** k * (mpf(x) / 2) ** (2 * k + nu)
                  / (mpmath.factorial(k) * mpmath.factorial(k + nu)), 200)


ORACLES = {
    "pi": lambda: mpmath.pi, "e": lambda: mpmath.e, "zeta2": lambda: mpmath.pi ** 2 / 6,
    "zeta3": lambda: mpmath.zeta(3), "zeta5": lambda: mpmath.zeta(5),
    "catalan": lambda: mpmath.nsum(lambda k: (-1) ** k / (2 * k + 1) ** 2, [0, mpmath.inf]),
    "ln2": lambda: mpmath.nsum(lambda k: 1 / (k * 2 ** k), [1, mpmath.inf]),
    "sqrt2": lambda: mpmath.sqrt(2), "phi": lambda: (1 + mpmath.sqrt(5)) / 2,
    "euler_gamma": lambda: -mpmath.diff(mpmath.gamma, 1),
    "gauss": lambda: mpmath.gamma(0.25) ** 2 / (2 * mpmath.sqrt(2 * mpmath.pi ** 3)),
    "lemniscate": lambda: mpmath.gamma(0.25) ** 2 / (2 * mpmath.sqrt(2 * mpmath.pi)),
    "e2": lambda: mpmath.e ** 2, "tan1": lambda: mpmath.sin(1) / mpmath.cos(1),
    "bessel_ratio": lambda: mpmath.besseli(1, 2) / mpmath.besseli(0, 2),
    "cbrt4": lambda: mpmath.mpf(4) ** (mpmath.mpf(1) / 3),
    # the library at LIReC's scale: a second formula, a series or a published expansion each
    "zeta7": lambda: nsum(lambda k: 1 / k ** 7, [1, inf]),
    "zeta9": lambda: nsum(lambda k: 1 / k ** 9, [1, inf]),
    "zeta11": lambda: nsum(lambda k: 1 / k ** 11, [1, inf]),
    "zeta_half": lambda: eta(mpf(1) / 2), "zeta_3_2": lambda: eta(mpf(3) / 2),
    "ln3": lambda: ln_int(3), "ln5": lambda: ln_int(5), "ln7": lambda: ln_int(7),
    "ln11": lambda: ln_int(11), "ln13": lambda: ln_int(13), "ln17": lambda: ln_int(17),
    "ln19": lambda: ln_int(19), "logpi": lambda: 2 * mpmath.loggamma(mpf(1) / 2),
    "sqrt3": lambda: mpmath.findroot(lambda x: x ** 2 - 3, 1.7),
    "sqrt5": lambda: mpmath.findroot(lambda x: x ** 2 - 5, 2.2),
    "sqrt7": lambda: mpmath.findroot(lambda x: x ** 2 - 7, 2.6),
    "cbrt2": lambda: mpmath.findroot(lambda x: x ** 3 - 2, 1.26),
    "cbrt3": lambda: mpmath.findroot(lambda x: x ** 3 - 3, 1.44),
    "plastic": lambda: mpmath.findroot(lambda x: x ** 3 - x - 1, 1.32),
    "sqrtpi": lambda: mpmath.gamma(mpf(1) / 2),
    "sqrt_e": lambda: series(lambda k: 1 / (2 ** k * mpmath.factorial(k)), 200),
    "exp_pi": lambda: mpmath.power(-1, -1j).real,          # e^pi = (-1)^(-i)
    "gelfond_schneider": lambda: exp(sqrt(2) * ln_int(2)),
    "ramanujan": lambda: mpf("262537412640768743.999999999999250072597198185688879"),
    "exp_euler": lambda: exp(gamma_const()),
    "sin1": lambda: series(lambda k: (-1) ** k / mpmath.factorial(2 * k + 1), 200),
    "cos1": lambda: series(lambda k: (-1) ** k / mpmath.factorial(2 * k), 200),
    "erf1": lambda: 2 / sqrt(mpmath.pi) * series(
        lambda k: (-1) ** k / (mpmath.factorial(k) * (2 * k + 1)), 200),
    "ei1": lambda: gamma_const() + series(lambda k: 1 / ((k + 1) * mpmath.factorial(k + 1)),
                                          200),
    "omega": lambda: mpmath.findroot(lambda x: x * exp(x) - 1, 0.56),
    "gompertz": lambda: quad(lambda x: exp(-x) / (1 + x), [0, 1, 10, inf]),
    "gamma_1_3": lambda: gamma_quad(3), "gamma_1_4": gamma_quarter,
    "gamma_1_5": lambda: gamma_quad(5), "gamma_1_6": lambda: gamma_quad(6),
    "glaisher": lambda: exp(mpf(1) / 12 - mpmath.zeta(-1, 1, 1)),
    "khinchin": khinchin, "mertens": mertens,
    "twin_prime": lambda: mpf("0.66016181584686957392781211001455577843262336028473341331944"),
    "levy": lambda: pi_sq() / (12 * ln_int(2)),
    "levy_khinchin": lambda: exp(pi_sq() / (12 * ln_int(2))),
    "lochs": lambda: 6 * ln_int(2) * (ln_int(2) + ln_int(5)) / pi_sq(),
    "sierpinski": lambda: mpmath.pi * (2 * ln_int(2) + 3 * 2 * mpmath.loggamma(mpf(1) / 2)
                                       + 2 * gamma_const() - 4 * log(gamma_quarter())),
    "weierstrass": lambda: mpf(2) ** (-mpf(1) / 4) * exp(mpmath.pi / 8)
    * mpmath.agm(1, sqrt(2)) / mpmath.pi,
    "parabolic": lambda: sqrt(2) + mpmath.asinh(1),
    "stieltjes1": stieltjes1,
    "beta4": lambda: nsum(lambda k: (-1) ** k / (2 * k + 1) ** 4, [0, inf]),
    "beta6": lambda: nsum(lambda k: (-1) ** k / (2 * k + 1) ** 6, [0, inf]),
    # Gieseking: (9 - psi1(2/3) + psi1(4/3))/(4 sqrt 3)
    "gieseking": lambda: (9 - mpmath.psi(1, mpf(2) / 3) + mpmath.psi(1, mpf(4) / 3))
    / (4 * sqrt(3)),
    "cl2_pi4": lambda: clausen(mpmath.pi / 4), "cl2_pi5": lambda: clausen(mpmath.pi / 5),
    "cl2_pi6": lambda: clausen(mpmath.pi / 6), "cl2_1": lambda: clausen(1),
    # psi1(1/3) = 2 pi^2/3 + 3 sqrt(3) Cl2(2 pi/3)
    "psi1_1_3": lambda: 2 * mpmath.pi ** 2 / 3 + 3 * sqrt(3) * clausen(2 * mpmath.pi / 3),
    "li2_half": lambda: mpmath.pi ** 2 / 12 - ln_int(2) ** 2 / 2,
    "li3_half": lambda: 7 * mpmath.zeta(3) / 8 - mpmath.pi ** 2 * ln_int(2) / 12
    + ln_int(2) ** 3 / 6,
    "li4_half": lambda: li(4, mpf(1) / 2), "li5_half": lambda: li(5, mpf(1) / 2),
    "li2_third": lambda: li(2, mpf(1) / 3), "li3_third": lambda: li(3, mpf(1) / 3),
    "li2_quarter": lambda: li(2, mpf(1) / 4), "li2_minus_half": lambda: li(2, -mpf(1) / 2),
    "li2_minus_third": lambda: li(2, -mpf(1) / 3),
    "ellipk_half": lambda: mpmath.pi / (2 * mpmath.agm(1, 1 / sqrt(2))),
    # Legendre's relation at m = 1/2: 2 E K - K^2 = pi/2
    "ellipe_half": lambda: (mpmath.pi / 2 + (mpmath.pi / (2 * mpmath.agm(1, 1 / sqrt(2)))) ** 2)
    / (2 * mpmath.pi / (2 * mpmath.agm(1, 1 / sqrt(2)))),
    "besselj0_1": lambda: bessel(0, 1, -1), "besseli0_1": lambda: bessel(0, 1, 1),
    "besseli1_1": lambda: bessel(1, 1, 1),
    # K0(x) = -(log(x/2) + gamma) I0(x) + sum_k (x^2/4)^k H_k/k!^2 (DLMF 10.31.2)
    "besselk0_1": lambda: -(-ln_int(2) + gamma_const()) * bessel(0, 1, 1) + series(
        lambda k: (mpf(1) / 4) ** k * mpmath.harmonic(k) / mpmath.factorial(k) ** 2, 200),
}
# published decimal expansions, checked to their length
PUBLISHED = {"ramanujan", "twin_prime"}     # OEIS A060295, A005597


@pytest.mark.parametrize("name", sorted(ORACLES))
def test_constant_against_oracle(name):
    c = default_registry().get(name)
    assert c.source, f"{name} has no source"
    for dps in ((30,) if name in PUBLISHED else (30, 120)):
        with mpmath.workdps(dps + 10):
            ref = ORACLES[name]()
            assert abs(c.value(dps) - ref) <= abs(ref) * mpmath.mpf(10) ** (-dps)


def test_every_corpus_constant_has_an_oracle_here():
    assert set(default_registry().names()) == set(ORACLES)


def test_aliases_and_unknown_names():
    reg = default_registry()
    assert reg.get("zeta(3)").name == "zeta3" and reg.get("Golden_Ratio").name == "phi"
    with pytest.raises(UnknownConstantError, match="known constants: .*catalan"):
        reg.get("tau")
    with pytest.raises(DiscoverError, match="already taken"):
        reg.add(Constant("other", "2", aliases=("pi",)))
