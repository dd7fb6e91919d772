"""Binary splitting of PCF convergents (plugins/cf/binsplit.py)."""

import mpmath
import pytest

from discover.constants import default_registry
from discover_plugins.cf.binsplit import DeepRunner, convergent, convergent_pair, deep_limit, product
from discover_plugins.cf.pcf import PCF

APERY = PCF([34, 51, 27, 5], [-1, 0, 0, 0, 0, 0, 0])


@pytest.mark.parametrize("a,b", [([2, 1], [1, 0, 0]), ([34, 51, 27, 5], [-1, 0, 0, 0, 0, 0, 0]),
                                 ([3, -1, 2], [-2, 1, 5]), ([1], [1, 0])])
@pytest.mark.parametrize("N", [0, 1, 2, 47, 48, 49, 300, 1001])
def test_matches_sequential(a, b, N):
    f = PCF(a, b)
    assert f.convergent(N, method="binary-splitting") == f.convergent(N, method="sequential")


def test_pair_and_product():
    p, q, p1, q1 = convergent_pair((2, 1), (1, 0, 0), 10)
    assert (p, q) == PCF([2, 1], [1, 0, 0]).convergent(10, method="sequential")
    assert (p1, q1) == PCF([2, 1], [1, 0, 0]).convergent(9, method="sequential")
    assert [int(x) for x in product((1,), (1,), 5, 4)] == [1, 0, 0, 1]


def test_bad_method():
    with pytest.raises(ValueError, match="unknown method"):
        APERY.convergent(5, method="fast")


def test_deep_runner_same_samples():
    from discover_plugins.cf.convergence import Runner
    r1, r2 = Runner((2, 1), (1, 0, 0)), DeepRunner((2, 1), (1, 0, 0))
    r1.advance(3000)
    r2.advance(3000)
    assert (r1.p, r1.q) == (r2.p, r2.q)
    assert [s[0] for s in r1.samples] == [s[0] for s in r2.samples]


def test_depth_1e5_affordable():
    p, q = convergent((34, 51, 27, 5), (-1, 0, 0, 0, 0, 0, 0), 30000)
    with mpmath.workdps(60):
        assert abs(mpmath.mpf(p) / q - 6 / mpmath.zeta(3)) < mpmath.mpf(10) ** -50


def test_apery_3000_digits():
    c = default_registry().evaluate("6/zeta3", 3030)
    v = APERY.verify(c, digits=3000, method="binary-splitting")
    assert v.equal and v.digits >= 3000 and v.method == "exact"
    assert "binary splitting" in v.extra["method_detail"]
    with mpmath.workdps(3030):
        c = c + mpmath.mpf(10) ** -2000
    bad = APERY.verify(c, digits=3000, method="binary-splitting")
    assert not bad.equal and 1995 < bad.digits < 2005


def test_deep_limit_honest_digits():
    # Brouncker's 4/pi converges algebraically; 60 digits are out of reach at depth 5000
    from discover.errors import VerificationError
    with pytest.raises(VerificationError, match="reaches only"):
        deep_limit((2,), (4, -4, 1), 60, max_depth=5000)
    v, depth, have = deep_limit((34, 51, 27, 5), (-1, 0, 0, 0, 0, 0, 0), 500)
    with mpmath.workdps(520):
        assert abs(v - 6 / mpmath.zeta(3)) < mpmath.mpf(10) ** -500
    assert have >= 502
