"""Tests of the PCF domain object: known formulas, honest verification, canonical forms."""

from __future__ import annotations

import json
import pickle

import mpmath
import pytest

from discover.constants import default_registry
from discover.errors import ExpressionError, VerificationError
from discover.generator import Verdict
from discover_corpora import path as corpus_path
from discover_plugins.cf.pcf import PCF

with open(corpus_path("known_pcfs.json")) as fh:
    FORMULAS = json.load(fh)["formulas"]

REG = default_registry()


def true_digits(x, y) -> float:
    with mpmath.workdps(220):
        d = abs(x - y)
        return float(-mpmath.log10(d / abs(y))) if d else 220.0


def value_at(pcf: PCF, depth: int):
    p, q = pcf.convergent(depth)
    with mpmath.workdps(220):
        return mpmath.mpf(int(p)) / int(q)


# -- the corpus of known formulas ------------------------------------------------------------
@pytest.mark.parametrize("i", range(len(FORMULAS)), ids=lambda i: f"{i}-{FORMULAS[i]['constant']}")
def test_known_formula(i):
    f = FORMULAS[i]
    pcf = PCF(f["a"], f["b"])
    with mpmath.workdps(220):
        target = REG.evaluate(f["limit"], 210)
    digits = min(f["verified_digits"], 60)
    v = pcf.verify(target, digits=digits, max_depth=4000, method="exact")
    assert isinstance(v, Verdict) and v.method == "exact"
    assert v.extra["method_detail"] == "exact convergents (gmpy2)"
    truth = true_digits(value_at(pcf, v.depth), target)
    supported = v.extra["supported_digits"]
    # honest reporting: neither the digits nor the supported digits exceed the truth
    assert v.digits <= truth + 0.05
    assert supported <= truth + 0.05
    assert truth >= min(f["verified_digits"], supported) - 0.05
    assert v.tiers[0].depth == v.depth and v.tiers[0].name == "exact"
    if f["source_verification"].startswith("exact integer convergent"):
        assert v.equal, v.reason
        assert v.digits >= digits and truth >= 30
        assert v.convergence_rate > 0 and v.extra["error_fit"]["kind"] in ("geometric",
                                                                          "algebraic")
    else:  # slowly converging: Neville extrapolation in the source; raw convergents fall short
        assert not v.equal and "supports only" in v.reason
        value, est = pcf.extrapolated_limit(n0=200, step=20, orders=(6, 10), dps=60)
        agree = true_digits(value, target)
        assert agree >= 8 and est <= agree + 0.5
        # the default method extrapolates exact convergents and says so
        auto = pcf.verify(target, digits=digits, max_depth=4000)
        assert auto.equal and auto.method == "extrapolated", auto.reason
        assert auto.extra["exact"]["supported_digits"] == supported


def test_known_facts_limit():
    cases = [([2, 1], [1, 0, 0], "4/pi"), ([34, 51, 27, 5], [-1] + [0] * 6, "6/zeta3"),
             ([1, 0], [1, 0], "1/(e-1)"), ([6, 3], [-1, 0, 0], "2/log(2)"),
             ([2], [1], "1+sqrt(2)")]
    for a, b, text in cases:
        with mpmath.workdps(80):
            target = REG.evaluate(text, 70)
            assert abs(PCF(a, b).limit(50) - target) < mpmath.mpf(10) ** -50 * abs(target)


# -- verification behaviour ----------------------------------------------------------------------
def test_near_miss_is_rejected_with_its_digits():
    with mpmath.workdps(140):
        claimed = 4 / mpmath.pi + mpmath.mpf(10) ** -40
    v = PCF([2, 1], [1, 0, 0]).verify(claimed, digits=100)
    assert not v.equal
    assert 39.5 <= v.digits <= 40.5
    assert "needs 100" in v.reason
    # the same with a text claim
    v2 = PCF([2, 1], [1, 0, 0]).verify("4/pi + 10^-40", digits=100)
    assert not v2.equal and abs(v2.digits - v.digits) < 0.1


def test_verify_string_claim_and_verdict_fields():
    v = PCF([34, 51, 27, 5], [-1, 0, 0, 0, 0, 0, 0]).verify("6/zeta3", digits=100)
    assert v.equal and v.required == 100 and v.digits >= 100
    assert v.value.startswith("4.99144423548424") and v.claimed.startswith("4.99144423548424")
    assert len(v.value.replace(".", "")) == 102
    assert v.convergence_rate == pytest.approx(3.06, abs=0.2)   # digits per term
    d = v.to_dict()
    assert d["equal"] and d["error_fit"]["kind"] in ("geometric", "algebraic")


@pytest.mark.parametrize("a,b,fragment", [
    ([2], [1, -3], "terminates at n=3"),
    ([0], [1], "denominator"),
    ([1], [1, -3], "terminates at n=3"),
    ([1], [-1], "supports only"),          # oscillates forever
    ([0], [0], "terminates at n=1"),
])
def test_verify_never_raises_for_bad_pcfs(a, b, fragment):
    v = PCF(a, b).verify("pi", digits=30, max_depth=2000)
    assert not v.equal and fragment in v.reason and v.digits == 0.0


def test_verify_reports_slow_convergence_honestly():
    # 1/log(2) = 1 + 1/(1 + 4/(1 + 9/...)) converges like 1/n
    pcf = PCF([1], [1, 0, 0])
    with mpmath.workdps(60):
        target = 1 / mpmath.log(2)
    v = pcf.verify(target, digits=30, max_depth=3000, method="exact")
    assert not v.equal and "supports only" in v.reason and v.method == "exact"
    assert v.digits <= true_digits(value_at(pcf, v.depth), target) + 0.05
    assert v.extra["error_fit"]["alternating"]
    # the default goes on to extrapolate, and labels the digits with that method
    auto = pcf.verify(target, digits=30, max_depth=3000)
    assert auto.equal and auto.method == "extrapolated" and auto.tiers[0].name == "extrapolated"
    assert auto.extra["exact"]["supported_digits"] == v.extra["supported_digits"]


def test_verify_is_fast_for_fast_pcfs():
    v = PCF([3, 3, 1], [-2, 3, 0, 0, 0]).verify("8/(2+3*zeta(2))", digits=50)
    assert v.equal and v.seconds < 0.5


# -- limit ------------------------------------------------------------------------------
def test_limit_errors():
    with pytest.raises(VerificationError, match="terminates at n=3"):
        PCF([2], [1, -3]).limit(20)
    with pytest.raises(VerificationError, match="denominator"):
        PCF([0], [1]).limit(20)
    with pytest.raises(VerificationError, match=r"reaches only \d+\.\d digits"):
        PCF([1], [1, 0, 0]).limit(30, max_depth=500)


def test_limit_of_slow_pcf_with_enough_depth():
    # Brouncker: 4/pi = 1 + 1/(2 + 9/(2 + 25/...)); with a(0) = 2 the value is 1 + 4/pi
    val = PCF([2], [4, -4, 1]).limit(2, max_depth=20000)
    assert abs(val - (1 + 4 / mpmath.pi)) < 1e-3


# -- the object itself ----------------------------------------------------------------------
def test_construction_and_representations():
    f = PCF("2*n + 1", "n^2")
    assert f == PCF([2, 1], [1, 0, 0]) == PCF([0, 2, 1], (1, 0, 0))
    assert hash(f) == hash(PCF([2, 1], [1, 0, 0]))
    assert repr(f) == "PCF(a=[2, 1], b=[1, 0, 0])"
    assert str(f) == "PCF(2*n + 1, n**2)"
    assert f.a == (2, 1) and f.b == (1, 0, 0) and f.degrees == (1, 2)
    assert (f.a_at(3), f.b_at(3)) == (7, 9)
    assert f.latex().startswith(r"1 + \cfrac{1}{3 + \cfrac{4}{5 +") and r"\ddots" in f.latex()
    a_expr, b_expr = f.sympy()
    assert str(a_expr) == "2*n + 1" and str(b_expr) == "n**2"
    assert pickle.loads(pickle.dumps(f)) == f
    with pytest.raises(AttributeError):
        f.x = 1
    assert f.to_json() == {"a": [2, 1], "b": [1, 0, 0]}


@pytest.mark.parametrize("a,b,which", [("n^(1/2)", "1", "a"), ([1], "x+1", "b"),
                                       ([1.5], [1], "a"), ([1], "__import__('os')", "b")])
def test_invalid_input_names_the_polynomial(a, b, which):
    with pytest.raises(ExpressionError, match=f"polynomial {which}"):
        PCF(a, b)


def test_convergents():
    f = PCF([2, 1], [1, 0, 0])
    pq = [(int(p), int(q)) for p, q in f.convergents(3)]
    assert pq == [(1, 1), (4, 3), (24, 19), (204, 160)]
    assert f.convergent(3) == (204, 160) and f.convergent(-1) == (1, 0)
    # |x_n - x_{n-1}| = |b(1)...b(n)| / |q_n q_{n-1}|
    (p1, q1), (p2, q2) = f.convergent(9), f.convergent(10)
    assert abs(p2 * q1 - p1 * q2) == (1 * 2 * 3 * 4 * 5 * 6 * 7 * 8 * 9 * 10) ** 2


# -- canonical form ---------------------------------------------------------------------------
def moebius(m, v):
    return (m[0][0] * v + m[0][1]) / (m[1][0] * v + m[1][1])


def check_relation(pcf: PCF):
    c, m = pcf.canonical()
    with mpmath.workdps(40):
        v_self = pcf.limit(30)
        v_c = c.limit(30)
        assert abs(moebius(m, v_c) - v_self) < mpmath.mpf(10) ** -25 * max(1, abs(v_self))
    return c, m


def test_canonical_scaling():
    base = PCF([2, 1], [1, 0, 0])
    scaled = PCF([6, 3], [9, 0, 0])
    assert scaled.key() == base.key() == "pcf:a=2,1;b=1,0,0"
    c, m = check_relation(scaled)
    assert c == base and m == ((3, 0), (0, 1))
    # b divisible by 4 but a only by 2 and 3: g = 2 only
    assert PCF([6, 6], [4, 0, 0]).canonical()[0] == PCF([3, 3], [1, 0, 0])


def test_canonical_shift():
    shifted = PCF([2, 3], [1, 2, 1])          # 2n+3, (n+1)^2
    assert shifted.key() == PCF([2, 1], [1, 0, 0]).key()
    c, m = check_relation(shifted)
    assert c == PCF([2, 1], [1, 0, 0])
    # a tail (k > 0) as well: 2n-1, (n-1)^2 has root 1 of b: it terminates, key still defined
    tail = PCF([2, 5], [1, 4, 4])             # 2n+5, (n+2)^2: two steps
    c, m = check_relation(tail)
    assert c == PCF([2, 1], [1, 0, 0])


def test_canonical_sign_flip():
    neg = PCF([-2, -1], [1, 0, 0])
    c, m = check_relation(neg)
    assert c == PCF([2, 1], [1, 0, 0]) and m == ((-1, 0), (0, 1))


def test_canonical_polynomial_deflation():
    # c(n) = n + 1: a = (n+1)(2n+1), b = c(n) c(n-1) n^2 = (n+1) n n^2
    inflated = PCF("(n+1)*(2*n+1)", "(n+1)*n*n^2")
    c, m = check_relation(inflated)
    assert c == PCF([2, 1], [1, 0, 0]) and m == ((1, 0), (0, 1))   # c(0) = 1
    # c(n) = n + 2: value scales by c(0) = 2
    inflated2 = PCF("(n+2)*(2*n+1)", "(n+2)*(n+1)*n^2")
    c, m = check_relation(inflated2)
    assert c == PCF([2, 1], [1, 0, 0]) and m == ((2, 0), (0, 1))


def test_canonical_no_root_uses_smallest_shift():
    f = PCF([1, 10], [1, 20, 101])             # n+10, (n+10)^2 + 1: no integer roots
    c, m = check_relation(f)
    assert c == PCF([1, 0], [1, 0, 1])
    g = PCF([34, 51, 27, 5], [-1, 0, 0, 0, 0, 0, 0])
    assert g.canonical() == (g, ((1, 0), (0, 1)))


@pytest.mark.parametrize("a,b", [([6, 3], [9, 0, 0]), ([2, 3], [1, 2, 1]), ([-4, -2], [4, 0, 0]),
                                 ([1, 10], [1, 20, 101]), ([3, 13, 13], [-2, -10, -14, -6, 0]),
                                 ([4], [4, -4, 1]), ([-3, 5, 7], [2, -1, 4]), ([0], [5]),
                                 ([2], [0])])
def test_canonical_is_idempotent(a, b):
    c, _ = PCF(a, b).canonical()
    c2, m2 = c.canonical()
    assert c2 == c and m2 == ((1, 0), (0, 1))
    assert PCF(a, b).key() == c.key()


def test_depth_prediction_survives_a_barely_algebraic_fit():
    # an exponent just above 1 once made 10 ** (deficit / (k - 1)) overflow a float
    from discover_plugins.cf.convergence import Estimate, _next_depth

    est = Estimate(n=512, log_err=-3.0, log_step=-3.5, kind="algebraic", exponent=1.0000001)
    assert _next_depth(est, 512, 100.0, 20000) == 1024
    est = Estimate(n=512, log_err=-3.0, log_step=-3.5, kind="algebraic", exponent=3.0)
    assert 520 <= _next_depth(est, 512, 1.0, 20000) <= 1024
