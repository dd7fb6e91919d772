"""The slow path of the PCF screen: extrapolated limits in the float64 and double-double kernels,
the box prunings, product constants as targets, and a small box search that finds formulas the
fast path alone cannot (``slow = true``).

Closed forms come from the constant registry (mpmath), never from the kernels under test.
"""

from __future__ import annotations

import json
import mpmath
import numpy as np
import pytest

import discover
from discover.constants import default_registry
from discover.errors import SearchFileError, UnknownConstantError
from discover.pluginmanager import get_plugin_manager
from discover_plugins.cf.enumerate import Box, coefficient_table
from discover_plugins.cf.kernels import (EXTRAPOLATED, NOT_CONVERGED, SLOW_REJECTED,
                                         STATUS_NAMES, eval_pcf_dd_slow, eval_pcf_f64,
                                         eval_pcf_f64_slow, slow_nodes)

REG = default_registry()

# (a, b, closed form): published slowly converging formulas (error ~ C n^-alpha)
SLOW = [
    ((3,), (1, 1, 0), "2/(10-3*pi)"),                         # unsupervised discovery paper
    ((2,), (4, -4, 1), "1+4/pi"),                              # Brouncker
    ((6,), (4, -4, 1), "3+pi"),                                # Lange
    ((1,), (1, 0, 0), "1/log(2)"),                             # Euler, ln 2
    ((4,), (4, -4, 1), "2+pi*(1/agm(1,sqrt(2)))^2"),           # Gauss's constant G: 2 + pi G^2
    ((8,), (4, -4, 1), "4+9*pi/(pi/agm(1,sqrt(2)))^2"),        # lemniscate constant
    ((2, 2, 1), (-1, 0, 0, 0, 0), "1/zeta(2)"),                # Euler's CF of sum 1/k^2
    ((2, -1), (-1, 2, 1), "sqrt(2)-1"),      # irrational exponent 2 sqrt 2: the Levin variant
]


def _true(expr: str, dps: int = 50):
    return REG.evaluate(expr, dps)


def _rel(x, expr: str) -> float:
    with mpmath.workdps(50):
        t = _true(expr)
        return float(abs(mpmath.mpf(x) - t) / abs(t))


# -- kernels -------------------------------------------------------------------------------
def test_status_names_include_the_slow_path():
    assert STATUS_NAMES[EXTRAPOLATED] == "extrapolated"
    assert STATUS_NAMES[SLOW_REJECTED] == "slow rejected"
    assert slow_nodes(2048, 7).tolist() == [32, 64, 128, 256, 512, 1024, 2048]
    with pytest.raises(ValueError, match="levels"):
        slow_nodes(2048, 2)


def test_fast_screen_misses_them_and_the_slow_screen_gets_10_digits():
    A = [list(a) for a, _, _ in SLOW]
    B = [list(b) for _, b, _ in SLOW]
    v0, e0, s0 = eval_pcf_f64(A, B, 100)
    for i, (_, _, expr) in enumerate(SLOW):
        # the fast screen at depth 100 is short of the 12 hashed digits: not converged, or loose
        assert s0[i] == NOT_CONVERGED or _rel(v0[i], expr) > 1e-12
    v, e, s = eval_pcf_f64_slow(A, B, 2048, 7, tol=1e-10)
    for i, (_, _, expr) in enumerate(SLOW):
        assert s[i] == EXTRAPOLATED, expr
        rel = _rel(v[i], expr)
        assert rel < 1e-10, (expr, rel)
        # the error estimate is honest: never below the true error
        assert e[i] >= rel * abs(v[i]) * 0.99, (expr, e[i], rel)


def test_double_double_extrapolation_supports_20_digits_honestly():
    A = [list(a) for a, _, _ in SLOW]
    B = [list(b) for _, b, _ in SLOW]
    hi, lo, err, st = eval_pcf_dd_slow(A, B, 8192, 9)
    for i, (_, _, expr) in enumerate(SLOW):
        assert st[i] == EXTRAPOLATED
        with mpmath.workdps(50):
            x = mpmath.mpf(float(hi[i])) + mpmath.mpf(float(lo[i]))
            diff = float(abs(x - _true(expr)))
        assert diff < 1e-19 * abs(hi[i]), (expr, diff)
        assert err[i] >= diff, (expr, err[i], diff)           # estimate bounds the error
        assert err[i] < 1e-16 * abs(hi[i])


@pytest.mark.parametrize("a,b,why", [
    ((1,), (-1, 0, 0), "complex characteristic roots: the convergents oscillate"),
    ((1,), (-5, 0, -1), "oscillates"),
    ((1,), (1, 0, 0, 0, 0), "Stern-Stolz: even and odd convergents tend to different values"),
    ((1,), (2, 0, 0), "irrational exponent 1/sqrt(2): no 10-digit fit"),
    ((1, 0), (1, -3), "b(3) = 0: terminates"),
])
def test_bad_candidates_are_slow_rejected(a, b, why):
    v, e, s = eval_pcf_f64_slow([list(a)], [list(b)], 2048, 7, tol=1e-10)
    assert s[0] == SLOW_REJECTED, why


def test_near_miss_is_not_within_the_estimate():
    """A value 1e-9 away from the limit lies outside the float64 estimate, and 1e-16 away
    outside the double-double one: the screen's tolerance is what it can support."""
    v, e, _ = eval_pcf_f64_slow([[3]], [[1, 1, 0]], 2048, 7)
    t = float(_true("2/(10-3*pi)"))
    assert abs(v[0] - t) <= 4 * e[0] < abs(v[0] - t * (1 + 1e-9))
    hi, lo, err, _ = eval_pcf_dd_slow([[3]], [[1, 1, 0]], 8192, 9)
    with mpmath.workdps(50):
        x = mpmath.mpf(float(hi[0])) + float(lo[0])
        shifted = _true("2/(10-3*pi)") * (1 + mpmath.mpf(10) ** -16)
        assert float(abs(x - shifted)) > 10 * err[0]


# -- box prunings --------------------------------------------------------------------------
def test_paper_box_count_and_sign_symmetry():
    paper = Box(((-5, 5),) * 3, ((-5, 5),) * 3, False, False, False)
    assert paper.size == 11 ** 6
    pruned = Box(((-5, 5),) * 3, ((-5, 5),) * 3, False, True, True)
    assert pruned.size == 884450 == (11 ** 3 - 1) ** 2 // 2    # the paper's 1,768,900 / 2
    A, B = pruned.tables()
    assert A.shape[0] * B.shape[0] == pruned.size
    assert not np.any(np.all(B == 0, axis=1)) and not np.any(np.all(A == 0, axis=1))
    kept = {tuple(r) for r in A.tolist()}
    for r in A.tolist():                          # exactly one of a, -a is kept
        assert tuple(-x for x in r) not in kept
    assert len(kept) == (11 ** 3 - 1) // 2


@pytest.mark.parametrize("ranges", [[(-2, 3), (0, 2)], [(0, 0), (-3, 1), (-1, 2)],
                                    [(1, 4), (-2, -1)]])
def test_counts_match_the_tables(ranges):
    for fp in (False, True):
        for nz in (False, True):
            box = Box(tuple(ranges), tuple(ranges), False, fp, nz)
            A, B = box.tables()
            assert box.size == A.shape[0] * B.shape[0]
            if fp:
                assert coefficient_table(ranges, first_positive=True).shape[0] == A.shape[0]


# -- product constants ---------------------------------------------------------------------
def test_product_constants_resolve_and_evaluate():
    reg = default_registry()
    c = reg.get("pi*gauss^2")
    assert c.name == "pi_times_gauss_pow2" and reg.get("pi * gauss**2") is c
    with mpmath.workdps(60):
        want = mpmath.pi / mpmath.agm(1, mpmath.sqrt(2)) ** 2
        assert abs(c.value(50) - want) < mpmath.mpf(10) ** -45
    # a closed form naming the product evaluates in a fresh registry too
    fresh = default_registry()
    with mpmath.workdps(40):
        assert abs(fresh.evaluate("1/(pi_times_gauss_pow2 - 2)", 30)
                   - 1 / (want - 2)) < mpmath.mpf(10) ** -25
    with pytest.raises(UnknownConstantError, match="known constants"):
        reg.get("pi*nosuchconstant")


def test_shipped_box_search_loads_with_its_count():
    pl = get_plugin_manager(autoload=False)
    s = discover.load("searches/unsupervised_box.toml", plugins=pl)
    assert s.params["slow"] is True and "pi_times_gauss_pow2" in s.constants
    gen = pl.generators["pcf"]
    assert gen._size(s.params) == 884450


def test_bad_slow_field_is_named():
    pl = get_plugin_manager(autoload=False)
    bad = {"search": {"name": "x", "kind": "pcf"},
           "generator": {"a_degree": 0, "a_range": [1, 3], "b_degree": 2, "b_range": [-1, 1],
                         "slow": True, "slow_levels": 2},
           "match": {"constants": ["pi"]}}
    with pytest.raises(SearchFileError, match="slow_levels"):
        discover.load(bad, plugins=pl)


# -- a small search, fast path alone against slow = true ------------------------------------
SMALL = {
    "search": {"name": "small-slow", "kind": "pcf"},
    "generator": {"a_degree": 0, "a_range": [1, 4], "b_degree": 2,
                  "b_ranges": [[1, 1], [-2, 2], [-1, 1]], "a_leading_positive": False,
                  "a_first_positive": True, "b_nonzero": True, "slow": True,
                  "shard_size": 1000},
    "match": {"constants": ["pi", "ln2"], "coefficient_bound": 10},
    "verify": {"digits": 25},
}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    pl = get_plugin_manager(autoload=False)
    d = tmp_path_factory.mktemp("slowscreen")
    slow = discover.run(SMALL, store=d / "slow.sqlite", workers=1, plugins=pl)
    fast = discover.run(SMALL, store=d / "fast.sqlite", workers=1, plugins=pl,
                        overrides=["generator.slow=false"])
    return slow, fast, d


def _formulas(summary):
    return {(tuple(x.params["a"]), tuple(x.params["b"])): x for x in summary.discoveries}


def test_slow_search_finds_what_the_fast_path_cannot(runs):
    slow, fast, _ = runs
    fs, ff = _formulas(slow), _formulas(fast)
    assert set(ff) <= set(fs)
    new = set(fs) - set(ff)
    assert ((3,), (1, 1, 0)) in new and ((1,), (1, 0, 0)) in new   # 2/(10-3 pi), 1/ln 2
    for key in new:
        d = fs[key]
        assert d.method == "extrapolated" and d.digits >= 25
        # independent check of the stored closed form: exact convergents (python ints) at
        # n = 1000, 1200, ..., 3200 and a textbook polynomial extrapolation to 1/n = 0 with
        # mpmath (neither the kernels nor cf/slow.py)
        a, b = key
        nodes = list(range(1000, 3201, 200))
        vals, p1, q1, p, q = {}, 1, 0, a[0], 1
        for n in range(1, nodes[-1] + 1):
            bn = sum(c * n ** k for k, c in enumerate(reversed(b)))
            p, p1, q, q1 = a[0] * p + bn * p1, p, a[0] * q + bn * q1, q
            if n in nodes:
                vals[n] = (p, q)
        with mpmath.workdps(120):
            hs = [mpmath.mpf(1) / n for n in nodes]
            ys = [mpmath.mpf(vals[n][0]) / vals[n][1] for n in nodes]
            est = sum(ys[j] * mpmath.fprod(hs[i] / (hs[i] - hs[j]) for i in range(len(hs))
                                           if i != j) for j in range(len(hs)))
            assert abs(est - REG.evaluate(d.expression, 60)) < 1e-15 * abs(est), d.expression


def test_run_summary_counts_each_path(runs):
    slow, fast, _ = runs
    st = {STATUS_NAMES[int(k)]: v for k, v in slow.stats["status"].items()}
    assert st.get("extrapolated", 0) > 0 and sum(st.values()) == slow.candidates
    stf = {STATUS_NAMES[int(k)]: v for k, v in fast.stats["status"].items()}
    assert "extrapolated" not in stf and stf.get("not converged", 0) > 0


def test_show_and_provenance_name_the_extrapolated_path(runs, capsys):
    from discover.cli import main
    from discover.store import Store

    slow, _, d = runs
    assert main(["show", "--store", str(d / "slow.sqlite"), "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert "extrapolated" in {r["method"] for r in rows}
    with Store(d / "slow.sqlite", readonly=True) as st:
        graphs = [st.provenance(x.id) for x in slow.discoveries if x.method == "extrapolated"]
        text = json.dumps([[dict(g.nodes[n]) for n in g.nodes] for g in graphs], default=str)
    # the screen and refinement tiers of the slow path are in the provenance
    assert "float64-extrapolated" in text and "double-double-extrapolated" in text


def test_cli_run_prints_the_paths(tmp_path, capsys):
    from discover.cli import main

    path = tmp_path / "tiny.toml"
    path.write_text('[search]\nname = "tiny-slow"\nkind = "pcf"\n[generator]\na_degree = 0\n'
                    'a_range = [1, 3]\nb_degree = 2\nb_ranges = [[1, 1], [0, 1], [0, 0]]\n'
                    'slow = true\n[match]\nconstants = ["pi", "ln2"]\ncoefficient_bound = 10\n'
                    '[verify]\ndigits = 20\n')
    assert main(["run", str(path), "--store", str(tmp_path / "t.sqlite"), "--workers", "1"]) == 0
    out = capsys.readouterr().out
    line = next(x for x in out.splitlines() if x.startswith("candidates by status"))
    assert "extrapolated" in line


def test_one_hit_per_candidate_and_constant():
    """sqrt 2 has many Moebius forms with small coefficients; one formula is verified once."""
    from discover import Hit, Target
    from discover_plugins.cf.generator import PCFGenerator
    from discover_plugins.cf.pcf import PCF

    c = PCF([2, -1], [-1, 2, 1])
    hits = [Hit(candidate=c, target=Target("sqrt2", (-1, 1, 1, 0))),      # sqrt2 - 1
            Hit(candidate=c, target=Target("sqrt2", (1, 0, 1, 1))),       # 1/(1 + sqrt2)
            Hit(candidate=c, target=Target("sqrt2", (3, -1, 7, 5))),
            Hit(candidate=c, target=Target("pi", (1, 0, 0, 1)))]
    kept = PCFGenerator._one_transform_each(hits)
    assert [(h.target.constant, h.target.transform) for h in kept] == [
        ("sqrt2", (-1, 1, 1, 0)), ("pi", (1, 0, 0, 1))]
