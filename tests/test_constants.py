"""Every corpus constant evaluates to any precision and agrees with an independent oracle."""

import mpmath
import pytest

from discover.constants import Constant, default_registry
from discover.errors import DiscoverError, UnknownConstantError

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
}


@pytest.mark.parametrize("name", sorted(ORACLES))
def test_constant_against_oracle(name):
    c = default_registry().get(name)
    for dps in (30, 120):
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
