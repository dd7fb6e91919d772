"""Tests of the PCF numba kernels (float64 and double-double) and the double-double primitives."""

from __future__ import annotations

from fractions import Fraction

import mpmath
import numpy as np
import pytest

from discover_plugins.cf import ddarith as dd
from discover_plugins.cf.kernels import (NONFINITE, NOT_CONVERGED, OK, STATUS_NAMES, TERMINATED,
                                         ZERO_DENOMINATOR, eval_pcf_dd, eval_pcf_f64)
from discover_plugins.cf.pcf import PCF

KNOWN = [  # (a, b, value at 60 digits)
    ([2, 1], [1, 0, 0], lambda: 4 / mpmath.pi),
    ([34, 51, 27, 5], [-1, 0, 0, 0, 0, 0, 0], lambda: 6 / mpmath.zeta(3)),
    ([1, 0], [1, 0], lambda: 1 / (mpmath.e - 1)),
    ([6, 3], [-1, 0, 0], lambda: 2 / mpmath.log(2)),
    ([2], [1], lambda: 1 + mpmath.sqrt(2)),
]


def exact_convergent(a, b, depth):
    p, q = PCF(list(a), list(b)).convergent(depth)
    with mpmath.workdps(80):
        return mpmath.mpf(int(p)) / int(q)


def dd_value(hi, lo):
    with mpmath.workdps(80):
        return mpmath.mpf(float(hi)) + float(lo)


def rel(x, y):
    with mpmath.workdps(80):
        return float(abs(mpmath.mpf(x) - y) / max(1, abs(y)))


# -- known values ------------------------------------------------------------------------
@pytest.mark.parametrize("a,b,value", KNOWN)
def test_known_values_f64_and_dd(a, b, value):
    with mpmath.workdps(60):
        target = value()
    v, err, st = eval_pcf_f64([a], [b], 300)
    assert st[0] == OK
    assert rel(v[0], target) < 1e-14
    assert err[0] < 1e-12
    hi, lo, err2, st2 = eval_pcf_dd([a], [b], 300)
    assert st2[0] == OK
    assert rel(dd_value(hi[0], lo[0]), target) < 1e-29


def test_known_values_in_one_padded_batch():
    A = [k[0] for k in KNOWN]
    B = [k[1] for k in KNOWN]
    v, err, st = eval_pcf_f64(A, B, 300)
    assert st.tolist() == [OK] * len(KNOWN)
    for (a, b, value), x in zip(KNOWN, v):
        with mpmath.workdps(30):
            assert rel(x, value()) < 1e-14


# -- agreement with exact convergents ------------------------------------------------------
@pytest.mark.parametrize("da,db", [(1, 2), (2, 2), (2, 4), (3, 6)])
def test_random_pcfs_match_exact_convergents(da, db):
    rng = np.random.default_rng(100 * da + db)
    A = rng.integers(-6, 7, size=(120, da + 1))
    B = rng.integers(-6, 7, size=(120, db + 1))
    depth = 150
    v, err, st = eval_pcf_f64(A, B, depth)
    hi, lo, err2, st2 = eval_pcf_dd(A, B, depth)
    assert (st == st2).all()
    assert (st == OK).sum() > 40
    for i in np.nonzero(st == OK)[0]:
        x = exact_convergent(A[i], B[i], depth)
        assert rel(v[i], x) < 1e-13, (A[i], B[i])
        assert rel(dd_value(hi[i], lo[i]), x) < 1e-28, (A[i], B[i])


def test_terminated_values_are_exact_rationals():
    rng = np.random.default_rng(5)
    A = rng.integers(-6, 7, size=(400, 2))
    B = rng.integers(-6, 7, size=(400, 2))
    v, err, st = eval_pcf_f64(A, B, 50)
    hi, lo, _, st2 = eval_pcf_dd(A, B, 50)
    assert (st == st2).all()
    idx = np.nonzero(st == TERMINATED)[0]
    assert len(idx) > 5
    for i in idx:
        f = PCF(A[i].tolist(), B[i].tolist())
        k = next(n for n in range(1, 51) if f.b_at(n) == 0)
        p, q = f.convergent(k - 1)
        assert err[i] == 0.0
        assert abs(v[i] - int(p) / int(q)) <= 1e-14 * max(1, abs(v[i]))
        exact = Fraction(int(p), int(q))
        assert abs(F(hi[i]) + F(lo[i]) - exact) <= Fraction(1, 10 ** 30) * max(1, abs(exact))


# -- status codes --------------------------------------------------------------------------
def test_status_codes():
    # EXTRAPOLATED (5) and SLOW_REJECTED (6) belong to the slow path (tests/test_cf_slowscreen.py)
    assert {OK, TERMINATED, ZERO_DENOMINATOR, NOT_CONVERGED, NONFINITE, 5, 6} == set(STATUS_NAMES)
    # b(3) = 0: value p_2/q_2 = 2/3
    for v, st in [eval_pcf_f64([[2]], [[1, -3]], 10)[::2],
                  (lambda r: (r[0], r[3]))(eval_pcf_dd([[2]], [[1, -3]], 10))]:
        assert st[0] == TERMINATED and v[0] == pytest.approx(2 / 3, rel=1e-15)
    # a = 1, b = n - 3: q_2 = 0 and b(3) = 0, the finite fraction has no value
    assert eval_pcf_f64([[1]], [[1, -3]], 10)[2][0] == ZERO_DENOMINATOR
    assert eval_pcf_dd([[1]], [[1, -3]], 10)[3][0] == ZERO_DENOMINATOR
    # a = 0, b = 1: q_n = 1, 0, 1, 0, ...
    assert eval_pcf_f64([[0]], [[1]], 101)[2][0] == ZERO_DENOMINATOR
    assert eval_pcf_f64([[0]], [[1]], 100)[2][0] == NOT_CONVERGED
    assert eval_pcf_dd([[0]], [[1]], 101)[3][0] == ZERO_DENOMINATOR
    # a = 1, b = -1: period-6 oscillation
    assert eval_pcf_f64([[1]], [[-1]], 100)[2][0] == NOT_CONVERGED
    assert eval_pcf_dd([[1]], [[-1]], 100)[3][0] == NOT_CONVERGED
    # 1/log(2) converges like 1/n: not converged to 1e-6 at depth 100, fine with a loose tol
    assert eval_pcf_f64([[1]], [[1, 0, 0]], 100)[2][0] == NOT_CONVERGED
    assert eval_pcf_f64([[1]], [[1, 0, 0]], 100, tol=0.05)[2][0] == OK


def test_rescaling_deep_recurrence():
    # p_n ~ (n!)^3 * 34^n overflows float64 after ~100 steps without rescaling
    a, b = [34, 51, 27, 5], [-1, 0, 0, 0, 0, 0, 0]
    with mpmath.workdps(50):
        target = 6 / mpmath.zeta(3)
    v, err, st = eval_pcf_f64([a], [b], 400)
    assert st[0] == OK and rel(v[0], target) < 1e-14
    hi, lo, err2, st2 = eval_pcf_dd([a], [b], 400)
    assert st2[0] == OK and rel(dd_value(hi[0], lo[0]), target) < 1e-29
    # large coefficients and depth: values near 2**(1000 * depth) stay finite
    a, b = [1000, 0, 0, 7], [5, 0, 0, 0, 0, 0, 3]
    v, err, st = eval_pcf_f64([a], [b], 2000)
    x = exact_convergent(a, b, 2000)
    assert st[0] == OK and rel(v[0], x) < 1e-13


def test_deep_depth_agrees_with_exact():
    a, b = [3, 2, 1], [-1, 0, 2, 0, 0]
    x = exact_convergent(a, b, 1000)
    v, _, st = eval_pcf_f64([a], [b], 1000)
    hi, lo, _, st2 = eval_pcf_dd([a], [b], 1000)
    assert rel(v[0], x) < 1e-13
    assert rel(dd_value(hi[0], lo[0]), x) < 1e-28


# -- input handling ------------------------------------------------------------------------
def test_input_validation():
    with pytest.raises(ValueError, match="same number of rows"):
        eval_pcf_f64([[1, 2]], [[1], [2]], 10)
    with pytest.raises(ValueError, match="integer"):
        eval_pcf_f64([[1.5]], [[1]], 10)
    with pytest.raises(ValueError, match="depth"):
        eval_pcf_dd([[1]], [[1]], 0)
    v, e, s = eval_pcf_f64(np.zeros((0, 2), dtype=np.int64), np.zeros((0, 3), dtype=np.int64), 5)
    assert v.shape == (0,) and s.dtype == np.int8
    # 1-D input is one candidate; Fortran-ordered and int32 input are converted
    v1 = eval_pcf_f64([2, 1], [1, 0, 0], 50)[0]
    v2 = eval_pcf_f64(np.asfortranarray(np.array([[2, 1]] * 3, dtype=np.int32)),
                      np.array([[1, 0, 0]] * 3), 50)[0]
    assert v1.shape == (1,) and (v2 == v1[0]).all()


def test_block_boundaries_do_not_mix_candidates():
    # more candidates than one block of lanes, with a terminating one at the end of a block
    rng = np.random.default_rng(11)
    A = rng.integers(1, 5, size=(131, 2))
    B = rng.integers(1, 5, size=(131, 3))
    B[63] = [0, 1, -2]            # b(2) = 0
    v, _, st = eval_pcf_f64(A, B, 80)
    assert st[63] == TERMINATED
    for i in (0, 62, 64, 127, 128, 130):
        v1, _, st1 = eval_pcf_f64(A[i:i + 1], B[i:i + 1], 80)
        assert v1[0] == v[i] and st1[0] == st[i]


# -- double-double primitives ----------------------------------------------------------------
def F(x):
    return Fraction(float(x))


def test_error_free_transformations():
    rng = np.random.default_rng(2)
    for _ in range(200):
        a, b = rng.normal(size=2) * 10.0 ** rng.integers(-20, 20, size=2)
        s, e = dd.two_sum(a, b)
        assert F(s) + F(e) == F(a) + F(b)
        p, e = dd.two_prod(a, b)
        assert F(p) + F(e) == F(a) * F(b)
        assert dd.two_prod_dekker(a, b) == (p, e)
        if abs(a) >= abs(b):
            s, e = dd.quick_two_sum(a, b)
            assert F(s) + F(e) == F(a) + F(b)


def test_dd_arithmetic_accuracy():
    rng = np.random.default_rng(3)
    for _ in range(100):
        ah, bh = rng.normal(size=2) * 10.0 ** rng.integers(-5, 5, size=2)
        al, bl = dd.two_sum(ah, ah * 1e-17 * rng.normal())[1], bh * 1e-17 * rng.normal()
        ah, al = dd.quick_two_sum(ah, al)
        bh, bl = dd.quick_two_sum(bh, bl)
        A, B = F(ah) + F(al), F(bh) + F(bl)
        for got, want in [(dd.dd_add(ah, al, bh, bl), A + B), (dd.dd_mul(ah, al, bh, bl), A * B),
                          (dd.dd_div(ah, al, bh, bl), A / B), (dd.dd_sub(ah, al, bh, bl), A - B)]:
            g = F(got[0]) + F(got[1])
            scale = max(abs(A), abs(B), abs(want)) if want != A * B and want != A / B \
                else abs(want)
            assert abs(g - want) <= Fraction(1, 2 ** 100) * scale
    assert dd.dd_from_int(2 ** 62 + 1) == (2.0 ** 62, 1.0)
    h, l = dd.dd_from_int(2 ** 63 - 1)
    assert int(Fraction(h) + Fraction(l)) == 2 ** 63 - 1
    h, l = dd.dd_from_int(-(2 ** 63) + 5)
    assert int(Fraction(h) + Fraction(l)) == -(2 ** 63) + 5
