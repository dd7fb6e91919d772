"""Float32 refit in ULPs, the Newton-step and composition moves of the evolve plugin."""

import math

import mpmath
import numpy as np

from discover_plugins.evolve.cli import float32_report
from discover_plugins.evolve.fit import fit_constants, polish_rounded, refit_float32_ulp
from discover_plugins.evolve.functions import get_target
from discover_plugins.evolve.program import eval_population
from discover_plugins.evolve.search import make_grids, seeds
from discover_plugins.evolve.verify import (float32_exhaustive, float32_points, float32_sample,
                                            ulp32)


def _rational22(fn, a, b):
    t = get_target(fn, a, b)
    g = make_grids(t, a, b)
    p = [p for p in seeds(t, a, b, 10, cf=False) if p.meta.get("family") == "rational2/2"][0]
    q, _ = fit_constants(p, g.fxs, g.ffx)
    return t, q


def _oracle_max_ulp(prog, fn_mp, xs):
    """Brute force: every float32 one at a time, the program in float32, the true value by
    mpmath, the ULP from the true value's own binade."""
    worst = 0.0
    vals = eval_population([prog], np.asarray(xs, np.float32), dtype=np.float32)[0][0]
    with mpmath.workdps(40):
        for x, y in zip(xs, vals):
            ref = fn_mp(mpmath.mpf(float(x)))
            _, e = mpmath.frexp(ref)                   # ref = m 2^e, 1/2 <= |m| < 1
            ulp = mpmath.ldexp(1, max(int(e) - 24, -149))
            worst = max(worst, float(abs(mpmath.mpf(float(y)) - ref) / ulp))
    return worst


def test_ulp32_is_the_spacing_of_the_true_values_binade():
    y = np.array([1.0, 1.5, np.nextafter(2.0, 0), 2.0, 0.75, 1e-45, 0.0, -3.0])
    want = [2.0 ** -23, 2.0 ** -23, 2.0 ** -23, 2.0 ** -22, 2.0 ** -24, 2.0 ** -149,
            2.0 ** -149, 2.0 ** -22]
    assert ulp32(y).tolist() == want
    # numpy's spacing of the value rounded to float32 takes the ULP of the binade above
    assert float(np.spacing(np.float32(np.nextafter(2.0, 0)))) == 2.0 ** -22


def test_ulp_refit_lowers_the_exhaustive_max_ulp_across_binades():
    """1/sqrt(x) on [1, 16] (values over two binades): the refit for ULPs beats the program
    with its constants rounded to float32, and the refit for relative error, exhaustively
    over all 33554433 float32 there."""
    a, b = 1.0, 16.0
    t, q = _rational22("1/sqrt(x)", a, b)
    xs = float32_sample(a, b)
    hi = 1 / np.sqrt(xs)
    rounded = q.copy()
    for i in rounded.free_constants():
        rounded.c[i] = float(np.float32(rounded.c[i]))
    r_ulp, grid_ulp = refit_float32_ulp(q, xs, hi)
    r_rel, _ = polish_rounded(q, xs, hi, np.zeros_like(hi), dtype=np.float32)
    assert all(float(np.float32(v)) == v for v in r_ulp.c)
    before = float32_exhaustive(rounded, t, a, b)
    rel = float32_exhaustive(r_rel, t, a, b)
    assert before["points"] == 4 * 2 ** 23 + 1    # binades [1,2) .. [8,16), and 16
    # the report: the same exhaustive check before and after the ULP refit (on its own grid)
    rep = float32_report(q, t, a, b)
    assert rep["max_ulp_rounded"] == before["max_ulp"] and rep["refit"] == "ulp"
    after = rep["max_ulp_refit"]
    assert after <= 0.8 * before["max_ulp"]
    assert after < rel["max_ulp"]
    assert rep["refit_kept"] and rep["max_ulp"] == after and rep["points"] == before["points"]
    assert all(float(np.float32(v)) == v for v in rep["constants"])
    assert grid_ulp < 1.1 * after          # the grid search saw about the worst error


def test_exhaustive_check_of_the_refit_agrees_with_a_brute_force_oracle():
    """Across the binade boundary at 1 (input and output): every float32 in
    [1 - 2^-13, 1 + 2^-12], mpmath one point at a time."""
    a, b = 1.0 - 2.0 ** -13, 1.0 + 2.0 ** -12
    t, q = _rational22("1/sqrt(x)", 1.0, 16.0)
    xs = float32_points(a, b).astype(np.float64)
    assert xs.size == 2 ** 11 + 2 ** 11 + 1
    r, _ = refit_float32_ulp(q, xs, 1 / np.sqrt(xs))
    for prog in (q, r):
        out = float32_exhaustive(prog, t, a, b)
        worst = _oracle_max_ulp(prog, lambda x: 1 / mpmath.sqrt(x), xs)
        assert out["points"] == xs.size
        assert math.isclose(out["max_ulp"], worst, rel_tol=1e-6)
