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


# -- the Newton-step move ----------------------------------------------------------------
def test_targets_with_a_defining_equation_are_detected():
    from discover_plugins.evolve.functions import TARGETS

    for text, power in (("1/sqrt(x)", (-1, 2)), ("x^-0.5", (-1, 2)), ("sqrt(x)/x", (-1, 2)),
                        ("1/x", (-1, 1)), ("x^(1/3)", (1, 3)), ("x^(-1/3)", (-1, 3)),
                        ("sqrt(x)", (1, 2)), ("2/sqrt(x)", None), ("exp(x)", None),
                        ("log(1+x)/x", None)):
        assert get_target(text, 1.0, 4.0).power == power, text
    assert TARGETS["sqrt"].power == (1, 2) and TARGETS["cbrt"].power == (1, 3)
    assert TARGETS["exp2"].power is None


def _const_program(c):
    from discover_plugins.evolve.program import Builder

    bl = Builder()
    t = bl.emit(5, 0, c=1e-3)               # y = c + 1e-3 x: a crude start that reads x
    bl.emit(4, t, c=c)
    return bl.program()


def test_newton_step_appends_one_newton_iteration():
    from discover_plugins.evolve.search import NEWTON, newton_step

    xs = np.linspace(1.0, 4.0, 13)
    y = 0.8 + 1e-3 * xs
    want = {(-1, 1): y * (2 - xs * y), (1, 2): (y + xs / y) / 2,
            (-1, 2): y * (1.5 - 0.5 * xs * y * y), (1, 3): (2 * y + xs / (y * y)) / 3,
            (-1, 3): y * (4 - xs * y ** 3) / 3}
    for power, cost in ((-1, 1), 3), ((1, 2), 3), ((-1, 2), 5), ((1, 3), 5), ((-1, 3), 6):
        p = _const_program(0.8)
        q = newton_step(p, power)
        assert len(NEWTON[power]) == cost and q.ops == p.ops + cost and q.valid_structure()
        vals, st = eval_population([q], xs)
        assert st[0] == 0
        np.testing.assert_allclose(vals[0], want[power], rtol=1e-14)
        assert len(q.free_constants()) > len(p.free_constants())      # refittable


def test_moves_offer_newton_only_with_an_equation_and_room():
    from discover_plugins.evolve.search import Moves

    p = _const_program(1.0)
    assert Moves((-1, 2), (), 10).available(p) == ["newton"]
    assert Moves((-1, 2), (), 6).available(p) == []            # 2 + 5 ops > 6
    assert Moves(None, (), 10).available(p) == []
    assert Moves((-1, 1), (), 5).available(p) == ["newton"]


def _island(fn, a, b, max_ops, level_max):
    from discover_plugins.evolve.search import Fitter, Island

    t = get_target(fn, a, b)
    g = make_grids(t, a, b)
    isl = Island(0, max_ops, g)
    fitter = Fitter(None, fn, a, b, g, cache=False)
    for p in seeds(t, a, b, max_ops, cf=False):
        if p.ops <= level_max:
            q, err = fitter.fit_seed(p)
            isl.offer(q, err, None, ["seed"])
    return isl, fitter


def test_newton_children_in_an_island_run_and_the_ablation_switch():
    """1/sqrt(x) on [1, 4] from the seeds of at most 4 ops: Newton children appear (and are
    far more accurate than their parents); with newton=False none does."""
    from discover_plugins.evolve.search import evolve_island

    runs = {}
    for newton in (True, False):
        isl, fitter = _island("1/sqrt(x)", 1.0, 4.0, 9, 4)
        parents = {e.id: e.err for e in isl.entries()}
        evolve_island(isl, fitter, np.random.default_rng([5, 0, 1]), generations=60,
                      newton=newton, compose=False)
        runs[newton] = (isl, parents)
    isl, parents = runs[True]
    kids = {k: r for k, r in isl.lineage.items() if r["mutations"] == ["newton"]}
    assert kids
    for r in kids.values():
        if r["parent"] in parents:
            assert r["err"] < 0.1 * parents[r["parent"]]
    assert min(isl.best_at(k) for k in range(6, 10)) < 1e-5
    without = runs[False][0]
    assert not any(r["mutations"] == ["newton"] for r in without.lineage.values())
    assert isl.front_best_upto(9) < 0.01 * without.front_best_upto(9)


# -- the composition move ----------------------------------------------------------------
def _fitted(fn, a, b, family):
    t = get_target(fn, a, b)
    g = make_grids(t, a, b)
    p = [p for p in seeds(t, a, b, 10, cf=False) if p.meta.get("family") == family][0]
    return fit_constants(p, g.fxs, g.ffx)[0]


def test_compose_programs_computes_the_composition():
    from discover_plugins.evolve.search import compose_programs

    p = _fitted("exp", 0.0, 1.0, "horner2")
    h = _fitted("exp", 0.0, 1.0, "rational1/1")
    xs = np.linspace(0.0, 1.0, 11)
    pv = eval_population([p], xs)[0][0]
    hv = eval_population([h], xs)[0][0]
    for how, want in (("of", eval_population([p], hv)[0][0]), ("+", pv + hv), ("-", pv - hv),
                      ("*", pv * hv), ("/", pv / hv)):
        q = compose_programs(p, h, how)
        assert q.valid_structure()
        assert q.ops == p.ops + h.ops + (0 if how == "of" else 1)
        np.testing.assert_allclose(eval_population([q], xs)[0][0], want, rtol=1e-15)


def test_compose_move_respects_the_budget_and_the_child_is_refitted():
    from discover_plugins.evolve.fit import max_rel_error
    from discover_plugins.evolve.search import Moves, compose_move, new_stats, probe_key

    a, b = 0.0, 1.0
    p = _fitted("exp", a, b, "horner2")                    # 4 ops
    h1 = _fitted("exp", a, b, "horner1")                   # 2 ops
    h3 = _fitted("exp", a, b, "horner3")                   # 6 ops
    assert Moves(None, (h3,), 9).available(p) == []        # 4 + 6 > 9
    mv = Moves(None, (h1, h3), 7)
    assert mv.available(p) == ["compose"]
    rng = np.random.default_rng(0)
    isl, fitter = _island("exp", a, b, 7, 2)
    seen = set()
    for _ in range(12):
        child, name = compose_move(p, rng, mv)
        child = child.pruned()
        assert name.startswith("compose") and child.valid_structure()
        assert child.ops in (p.ops + h1.ops, p.ops + h1.ops + 1) and child.ops <= 7
        seen.add(name)
        key = probe_key(child, isl.g.pxs)
        if key is None:                                     # p(x) / h(x) ... all finite here
            continue
        before = max_rel_error(child, isl.g.cxs, isl.g.cfx)
        fitted, err = fitter.fit_child(child, key, math.inf, False, new_stats())
        assert fitted.ops == child.ops
        assert fitted.c != child.c and err < before        # the constants were refitted
    assert len(seen) >= 3


def test_compose_children_in_an_island_run():
    from discover_plugins.evolve.search import evolve_island

    names = {}
    for compose in (True, False):
        isl, fitter = _island("exp", 0.0, 1.0, 8, 4)
        evolve_island(isl, fitter, np.random.default_rng([2, 0, 1]), generations=60,
                      compose=compose)
        names[compose] = [r["mutations"][0] for r in isl.lineage.values() if r["mutations"]]
        assert all(e.ops <= 8 for e in isl.entries())
    assert any(n.startswith("compose") for n in names[True])
    assert not any(n.startswith("compose") for n in names[False])


def test_ulp_refit_of_a_newton_program():
    """A rational [1/1] followed by a Newton step (9 ops), 1/sqrt(x) on [1, 4]: the refit for
    ULPs lowers the exhaustive max ULP by more than 10%."""
    from discover_plugins.evolve.search import newton_step

    a, b = 1.0, 4.0
    t, _ = _rational22("1/sqrt(x)", a, b)
    g = make_grids(t, a, b)
    p = [p for p in seeds(t, a, b, 10, cf=False) if p.meta.get("family") == "rational1/1"][0]
    q, _ = fit_constants(p, g.fxs, g.ffx)
    q, _ = fit_constants(newton_step(q, t.power), g.fxs, g.ffx)
    assert q.ops == 9
    xs = float32_sample(a, b)
    rounded = q.copy()
    for i in rounded.free_constants():
        rounded.c[i] = float(np.float32(rounded.c[i]))
    r, _ = refit_float32_ulp(q, xs, 1 / np.sqrt(xs))
    before = float32_exhaustive(rounded, t, a, b)["max_ulp"]
    assert float32_exhaustive(r, t, a, b)["max_ulp"] <= 0.9 * before
