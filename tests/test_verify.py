"""discover.verify: trustworthy verdicts, against independent oracles and real near misses."""

import mpmath
import pytest

import discover


def test_ramanujans_near_integer_is_rejected():
    # exp(pi sqrt(163)) = 262537412640768744 - 7.5e-13: the continued fraction N + 1/(N + ...)
    # agrees with it to about 29.5 significant digits, which passes float64 and double-double
    # precision but is not an identity.
    v = discover.verify(a="262537412640768744", b="1", value="exp(pi*sqrt(163))", digits=100)
    assert v.equal is False
    assert 28.5 < v.digits < 30.5
    assert "agrees to" in v.reason


def test_verify_accepts_objects_and_fields_alike():
    pcf = discover.PCF("2*n+1", "n^2")
    a = discover.verify(pcf, value="4/pi", digits=80)
    b = discover.verify(a=[2, 1], b=[1, 0, 0], value="4/pi", digits=80)
    assert a.equal and b.equal and abs(a.digits - b.digits) < 1e-9


def test_reported_digits_never_exceed_the_truth():
    # slow (algebraic) convergence: 1/ln 2 = 1 + 1/(1 + 4/(1 + 9/(...))) gains few digits
    v = discover.verify(a="1", b="n^2", value="1/ln2", digits=100, method="exact")
    pcf = discover.PCF("1", "n^2")
    p, q = pcf.convergent(v.depth)
    with mpmath.workdps(60):
        true = float(-mpmath.log10(abs(mpmath.mpf(p) / q - 1 / mpmath.log(2)) * mpmath.log(2)))
    assert v.equal is False and v.digits <= true + 0.5


@pytest.mark.parametrize("value", ["6/zeta3", "6/zeta(3)"])
def test_aperys_formula_to_500_digits(value):
    v = discover.verify(a="34*n^3+51*n^2+27*n+5", b="-n^6", value=value, digits=500)
    assert v.equal and v.digits >= 500 and 2.5 < v.convergence_rate < 3.5
