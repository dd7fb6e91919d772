"""Convergence dynamics of PCFs (plugins/cf/dynamics.py)."""

import math

from discover_plugins.cf.dynamics import delta_at, dynamics, factorial_reduction
from discover_plugins.cf.generator import PCFGenerator
from discover_plugins.cf.pcf import PCF

APERY = ((34, 51, 27, 5), (-1, 0, 0, 0, 0, 0, 0))


def test_apery_delta_depth_1000():
    d = delta_at(*APERY, 1000, "6/zeta3")
    assert abs(d["delta"] - 0.086) < 0.002
    # the gcd holds a large factorial part that the reduction removes
    assert d["factorial_reduction"]["digits"] > 1000


def test_apery_delta_decreases_towards_0805():
    d300 = delta_at(*APERY, 300, "6/zeta3")["delta"]
    d1000 = delta_at(*APERY, 1000, "6/zeta3")["delta"]
    assert 0.0805 < d1000 < d300


def test_four_over_pi_delta():
    # a = 2n+1, b = n^2: delta about -0.2 from depth ~1000 on
    d = delta_at((2, 1), (1, 0, 0), 1000, "4/pi")["delta"]
    assert abs(d + 0.2) < 0.01


def test_delta_without_limit_uses_deeper_convergent():
    d = delta_at((2, 1), (1, 0, 0), 300)
    e = delta_at((2, 1), (1, 0, 0), 300, "4/pi")
    assert abs(d["delta"] - e["delta"]) < 1e-6


def test_dynamics_rate_and_fit():
    d = dynamics(*APERY, depth=200, limit="6/zeta3", points=6)
    assert abs(d["convergence_rate"] - 3.06) < 0.02       # 2*log10(17+12*sqrt 2)
    assert d["error_curve_fit"]["rms"] < 0.1


def test_factorial_reduction():
    import gmpy2
    g = gmpy2.fac(30) ** 2 * 7
    assert factorial_reduction(g, 40) == {"k": 2, "m": 30, "digits": round(2 * math.log10(math.factorial(30)), 2)}
    assert factorial_reduction(7, 10) is None


def test_generator_verify_stores_delta():
    v = PCFGenerator().verify(PCF([2, 1], [1, 0, 0]), "4/pi", 50)
    assert v.equal and "delta" in v.extra and "convergence_rate" in v.extra
    assert -0.3 < v.extra["delta"] < 0
    v = PCFGenerator().verify(PCF([2, 1], [1, 0, 0]), "4/pi + 1/10^30", 50)
    assert not v.equal and "delta" not in v.extra
