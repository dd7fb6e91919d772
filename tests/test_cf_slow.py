"""Slowly converging PCFs: verification by extrapolation of exact convergents (cf/slow.py).

Every formula below is checked first by an independent oracle: mpmath alone (its own forward
recurrence in floating point, then ``mpmath.richardson`` on the even convergents) must agree
with the closed form to 12 digits before the verifier is asked anything.
"""

import json
import subprocess
import sys

import mpmath
import pytest

import discover
from discover_plugins.cf.pcf import PCF
from discover_plugins.cf.slow import extrapolated_limit, positive_integer_root

REG = discover.default_registry() if hasattr(discover, "default_registry") else None
if REG is None:
    from discover.constants import default_registry
    REG = default_registry()

# (a, b, closed form, source)
PUBLISHED = [
    ((3,), (1, 1, 0), "2/(10-3*pi)",
     "Unsupervised Discovery of Formulas for Mathematical Constants (a = 3, b = n^2 + n)"),
    ((2,), (4, -4, 1), "1+4/pi", "Brouncker: 4/pi = 1 + 1/(2 + 9/(2 + 25/(2 + ...)))"),
    ((6,), (4, -4, 1), "3+pi", "Lange 1999: pi = 3 + 1/(6 + 9/(6 + 25/(6 + ...)))"),
    ((1,), (1, 0, 0), "1/log(2)", "Euler: ln 2 = 1/(1 + 1/(1 + 4/(1 + 9/...)))"),
    ((4,), (4, -4, 1), "2+pi*(1/agm(1,sqrt(2)))^2",
     "Unsupervised Discovery ...: Gauss's constant G = 1/agm(1, sqrt 2)"),
    ((8,), (4, -4, 1), "4+9*pi/(pi/agm(1,sqrt(2)))^2",
     "Unsupervised Discovery ...: the lemniscate constant"),
    ((2, 2, 1), (-1, 0, 0, 0, 0), "1/zeta(2)", "Euler's continued fraction of sum 1/k^2"),
    ((2, 3, 3, 1), (-1, 0, 0, 0, 0, 0, 0), "1/zeta(3)",
     "Euler's continued fraction of sum 1/k^3 (Apery's field along (1, 0))"),
    ((8, 0), (16, -32, 24, -8, 1), "1/catalan-1",
     "Euler's continued fraction of sum (-1)^k/(2k+1)^2"),
]
IDS = [f[2] for f in PUBLISHED]


def _oracle(a, b, n=400):
    """The limit by mpmath alone: float recurrence, Richardson on the even convergents."""
    with mpmath.workdps(60):
        pa = [mpmath.mpf(c) for c in a]
        pb = [mpmath.mpf(c) for c in b]
        p1, q1, p, q = mpmath.mpf(1), mpmath.mpf(0), mpmath.polyval(pa, 0), mpmath.mpf(1)
        xs = [p / q]
        for k in range(1, n + 1):
            an, bn = mpmath.polyval(pa, k), mpmath.polyval(pb, k)
            p, p1 = an * p + bn * p1, p
            q, q1 = an * q + bn * q1, q
            s = abs(q)
            p, p1, q, q1 = p / s, p1 / s, q / s, q1 / s
            xs.append(p / q)
        return mpmath.richardson(xs[n // 2::2])[0]


def _agree(x, y):
    with mpmath.workdps(250):
        d = abs(x - y)
        return 250.0 if d == 0 else float(-mpmath.log10(d / abs(y)))


@pytest.mark.parametrize("a,b,value,source", PUBLISHED, ids=IDS)
def test_published_slow_formulas_are_verified_by_extrapolation(a, b, value, source):
    with mpmath.workdps(120):
        target = REG.evaluate(value, 110)
    assert _agree(_oracle(a, b), target) > 12, f"oracle disagrees with {source}"
    pcf = PCF(list(a), list(b))
    before = pcf.verify(value, digits=30, method="exact")
    assert not before.equal and before.method == "exact" and "supports only" in before.reason
    for digits in (30, 50):
        v = pcf.verify(value, digits=digits)
        assert v.equal and v.method == "extrapolated" and v.digits >= digits, v.reason
        assert v.extra["exact"]["supported_digits"] < 30     # exact alone could not do it


@pytest.mark.parametrize("a,b,value,source", PUBLISHED[:6], ids=IDS[:6])
def test_extrapolated_digits_never_exceed_the_truth(a, b, value, source):
    with mpmath.workdps(200):
        target = REG.evaluate(value, 190)
    for digits in (30, 80):
        r = extrapolated_limit(a, b, digits)
        assert r.status == "ok" and r.digits >= digits
        assert _agree(r.value, target) >= r.digits, (digits, r.reason)


@pytest.mark.parametrize("a,b,value,source", [PUBLISHED[i] for i in (0, 1, 4, 7)],
                         ids=[IDS[i] for i in (0, 1, 4, 7)])
def test_near_misses_are_rejected(a, b, value, source):
    pcf = PCF(list(a), list(b))
    size = float(mpmath.log10(abs(REG.evaluate(value, 30))))
    for shift in (20, 35):
        claimed = f"{value} + 10^-{shift}"
        expect = shift + size          # relative digits that agree
        for digits in (30, 50):
            v = pcf.verify(claimed, digits=digits)
            if expect < digits:
                assert not v.equal, (claimed, digits, v.reason)
                assert expect - 0.3 < v.digits < expect + 0.3 and "agrees to" in v.reason
                assert v.method == "extrapolated"
            else:     # a shift of 1e-35 is below 30 digits: equal to 30 digits is the truth
                assert v.equal and v.digits < expect + 0.3
    # and the sign of the shift does not matter
    v = pcf.verify(f"{value} - 10^-20", digits=30)
    assert not v.equal and 20 + size - 0.3 < v.digits < 20 + size + 0.3


def test_forcing_a_method():
    pcf = PCF([3], [1, 1, 0])
    v = pcf.verify("2/(10-3*pi)", digits=30, method="extrapolated")
    assert v.equal and v.method == "extrapolated" and "exact" not in v.extra
    fast = PCF([2, 1], [1, 0, 0])
    e = fast.verify("4/pi", digits=60, method="extrapolated")   # geometric: extrapolation works too
    assert e.method == "extrapolated"
    assert fast.verify("4/pi", digits=60).method == "exact"
    with pytest.raises(ValueError, match="unknown method"):
        pcf.verify("1", digits=30, method="magic")


def test_no_method_reaches_the_digits():
    v = PCF([3], [1, 1, 0]).verify("2/(10-3*pi)", digits=400, max_depth=2048)
    assert not v.equal
    assert "no method reaches 400 digits" in v.reason
    assert "exact convergents support" in v.reason and "extrapolation supports" in v.reason
    assert v.digits < 400


@pytest.mark.parametrize("a,b,status", [
    ((1, 1), (-1, 0, 0), "oscillates"),      # a = n + 1, b = -n^2: complex roots
    ((1,), (1, -3, 0), "terminates"),         # b(3) = 0
    ((1,), (-1,), "vanishing"),               # q_n = 0 every third n
])
def test_bad_pcfs_are_refused_on_the_slow_path(a, b, status):
    r = extrapolated_limit(a, b, 30, max_depth=20000)
    assert r.status == status and r.value is None, r.reason
    v = PCF(list(a), list(b)).verify("1", digits=30, method="extrapolated")
    assert not v.equal and v.extra["extrapolation"]["status"] == status
    assert "extrapolation refused" in v.reason


def test_positive_integer_root():
    assert positive_integer_root((1, -7, 12), 10) == 3
    assert positive_integer_root((2, -5, 2), 10) == 2          # roots 1/2 and 2
    assert positive_integer_root((1, 0, 0), 10) is None
    assert positive_integer_root((1, 1, 0), 10) is None


def test_limit_by_extrapolation():
    with mpmath.workdps(60):
        x = PCF([2], [4, -4, 1]).limit(40, method="extrapolated")
        assert abs(x - (1 + 4 / mpmath.pi)) < mpmath.mpf(10) ** -40
    from discover.errors import VerificationError
    with pytest.raises(VerificationError, match="terminates"):
        PCF([1], [1, -3, 0]).limit(30, method="extrapolated")


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "discover.cli", *args], capture_output=True,
                          text=True, timeout=120)


def test_cli_verify_method():
    base = ["verify", "--a", "3", "--b", "n^2+n", "--value", "2/(10-3*pi)", "--digits", "30"]
    out = _cli(*base, "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["equal"] and data["method"] == "extrapolated" and data["digits"] >= 30
    for key in ("convergence_rate", "depth", "reason"):
        assert key in data
    out = _cli(*base, "--method", "exact", "--json")
    data = json.loads(out.stdout)
    assert out.returncode == 1 and data["method"] == "exact" and not data["equal"]
    assert "supports only" in data["reason"]
    out = _cli(*base, "--method", "nonsense")
    assert out.returncode == 2 and "auto, exact, extrapolated" in out.stderr
    out = _cli("verify", "--a", "3", "--b", "n^2+n", "--value", "2/(10-3*pi)+10^-20",
               "--digits", "30")
    assert out.returncode == 1 and "NOT EQUAL" in out.stdout and "agrees to 20" in out.stdout
