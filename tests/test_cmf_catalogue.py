"""The CMF catalogue, order-N recurrences of walks, and coboundary equivalences.

Independent oracles: conservation is re-checked with exact Fractions at random points (no
sympy, no flint); recurrence terms are compared with the plain product of the field's own
matrices (``CMF.walk``) and with a term-by-term loop; every coboundary reported by ``relate``
is re-checked here by exact evaluation at many integers.
"""

from __future__ import annotations

import json
import random
import sys
from fractions import Fraction

import pytest
import sympy

from discover.errors import DiscoverError

import os
DISCOVER = os.path.join(os.path.dirname(sys.executable), "discover")
from discover_plugins.cf.catalogue import catalogue, catalogue_field
from discover_plugins.cf.linrec import LinearRecurrence, matrix_product
from discover_plugins.cf.pcf import PCF
from discover_plugins.cf.relate import relate


from _cmf_exact import at as _at, mul as _mul  # noqa: E402


@pytest.mark.parametrize("name", list(catalogue()))
def test_every_catalogue_field_is_conservative_at_random_points(name):
    field = catalogue_field(name)
    rng = random.Random(11)
    pairs = [(i, j) for i in field.axes for j in field.axes if i < j]
    checked = 0
    while checked < (1 if len(field.axes) > 5 else 2):
        p = {a: Fraction(rng.randint(-40, 40), rng.randint(1, 9)) + Fraction(1, 101)
             for a in field.axes}
        try:
            for i, j in pairs:
                pi_, pj_ = dict(p, **{i: p[i] + 1}), dict(p, **{j: p[j] + 1})
                assert _mul(_at(field, i, p), _at(field, j, pi_)) == \
                    _mul(_at(field, j, p), _at(field, i, pj_)), (name, i, j)
        except TypeError:          # a pole at this random point (zoo): draw another
            continue
        checked += 1


def test_catalogue_has_sources_and_ranks():
    ranks = {n: catalogue_field(n).size for n in catalogue()}
    assert len(ranks) >= 10 and set(ranks.values()) >= {2, 3}
    assert all(e.source for e in catalogue().values())


def test_non_conservative_rank3_field_is_refused_with_the_pair():
    from discover_plugins.cf.cmf import CMF, NotConservativeError
    good = {"x": [["x", "0", "0"], ["0", "1", "0"], ["0", "0", "1"]],
            "y": [["1", "0", "0"], ["0", "y", "0"], ["0", "0", "1"]]}
    assert CMF(good, name="diag3").violations() == []
    bad = dict(good, y=[["1", "0", "0"], ["0", "y", "0"], ["0", "0", "1 + x"]])
    with pytest.raises(NotConservativeError) as err:
        CMF(bad, name="bad3")
    assert "axes x and y" in str(err.value) and "zero matrix" in str(err.value)


def test_matrix_product_matches_plain_loop():
    rng = random.Random(3)
    mats = [[[rng.randint(-9, 9) for _ in range(3)] for _ in range(3)] for _ in range(100)]
    P = [[int(i == j) for j in range(3)] for i in range(3)]
    for M in mats:
        P = _mul(P, M)
    assert [[int(x) for x in row] for row in matrix_product(mats)] == P


def test_order2_recurrence_is_the_pcf():
    apery = PCF([34, 51, 27, 5], [-1, 0, 0, 0, 0, 0, 0])
    rec = LinearRecurrence.from_pcf(apery)
    for n in (1, 5, 40):
        p, q = rec.terms(n)
        P, Q = apery.convergent(n)
        assert p == P and q == Q
    assert rec.delta(60) > 0.0           # Apery's approximations prove irrationality
    assert 3.0 < rec.convergence_rate(60) < 3.2


def test_rank3_walk_recurrence_matches_exact_products():
    field = catalogue_field("pfq_3f2_m1")
    d, s = (0, 0, 0, 1, 1), (1, 1, 1, 2, 2)
    rec, info = field.recurrence(d, s)
    assert rec.order == 3
    loop = rec.values(rec.n0 + 12)
    for k in (rec.n0 + 3, rec.n0 + 12):
        P = field.walk(d, s, k + 1)          # P_k = W(0) .. W(k): k + 1 steps
        col = info["column"]
        p, q = rec.terms(k)
        assert p == P[0][col] and q == P[1][col]
        assert Fraction(p.numerator, p.denominator) == loop[k - rec.n0 - 1][0]


def test_rank3_walk_of_4f3_reaches_zeta3():
    from discover_plugins.cf.cmf import walk
    r = walk(catalogue_field("pfq_4f3_1"), (0, 0, 0, 0, 1, 1, 1), (1, 1, 1, 1, 3, 3, 3),
             digits=30, constants=["zeta3"])
    assert r["verified"] and "zeta3" in r["expression"] and r["recurrence"]["order"] == 3


def test_singular_trajectory_names_the_point():
    field = catalogue_field("pfq_3f2_m1")
    with pytest.raises(DiscoverError, match=r"singular point \(1, 1, 1, 2, 2\)"):
        field.recurrence((1, 0, 0, 0, 0), (1, 1, 1, 2, 2))


def _check_symbolic(U_strings, a, b, aT, bT, s):
    """M(n) U(n+1) - U(n) M_T(n+s) simplifies to zero (sympy, from the printed strings)."""
    n = sympy.Symbol("n")
    U = sympy.Matrix([[sympy.sympify(e) for e in row] for row in U_strings])
    P = lambda c, x: sum(k * x ** i for i, k in enumerate(reversed(c)))      # noqa: E731
    M = sympy.Matrix([[0, P(b, n)], [1, P(a, n)]])
    MT = sympy.Matrix([[0, P(bT, n + s)], [1, P(aT, n + s)]])
    assert sympy.simplify(M * U.subs(n, n + 1) - U * MT) == sympy.zeros(2, 2)
    assert sympy.simplify(U.det()) != 0


def _check_numeric(r, a, b):
    """M(n) U(n+1) == U(n) M_T(n+s) symbolically, and at many integers with Fractions."""
    n = sympy.Symbol("n")
    U = [[sympy.sympify(e) for e in row] for row in r["coboundary"]]
    aT, bT, s = r["trajectory"]["a"], r["trajectory"]["b"], r["shift"]
    _check_symbolic(r["coboundary"], a, b, aT, bT, s)

    def pv(c, x):
        v = 0
        for k in c:
            v = v * x + k
        return Fraction(v)

    def Uat(x):
        return [[Fraction(str(sympy.Rational(e.subs(n, x)))) for e in row] for row in U]

    for x in range(r["n0"], r["n0"] + 25):
        M = [[0, pv(b, x)], [1, pv(a, x)]]
        MT = [[0, pv(bT, x + s)], [1, pv(aT, x + s)]]
        assert _mul(M, Uat(x + 1)) == _mul(Uat(x), MT)
        Ux = Uat(x)
        assert Ux[0][0] * Ux[1][1] - Ux[0][1] * Ux[1][0] != 0


@pytest.mark.parametrize("a, b, fields", [
    ([34, 51, 27, 5], [-1, 0, 0, 0, 0, 0, 0], ["zeta3"]),     # Apery
    ([3, 1], [-2, 3, 0], ["pi"]),                                # corpus pi formula, 4/pi
])
def test_relate_proves_corpus_formulas_with_checked_coboundaries(a, b, fields):
    r = relate(a, b, fields=fields)
    assert r["related"] and r["cmf"] in fields
    for key in ("direction", "start", "trajectory", "shift", "coboundary", "n0"):
        assert key in r
    _check_numeric(r, a, b)


def test_relate_that_finds_nothing_says_what_it_tried():
    r = relate([1, 0], [1, 0], fields=["zeta3"])              # 1/(e - 1) against zeta(3)
    assert not r["related"] and r["tried"]["fields"] == ["zeta3"]
    assert "tried" in r["reason"] and "trajectories" in r["reason"]


def _cli(capsys, *args):
    from discover.cli import main
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_cli_list_json_and_relate_json(capsys):
    code, out, err = _cli(capsys, "cmf", "list", "--json")
    assert code == 0, err
    rows = {r["name"]: r for r in json.loads(out)}
    assert set(catalogue()) <= set(rows)
    assert rows["pfq_3f2_1"]["rank"] == 2 and rows["pfq_3f2_1"]["dimension"] == 5
    assert rows["pfq_4f3_1"]["rank"] == 3 and rows["pfq_4f3_1"]["source"]
    code, out, err = _cli(capsys, "cmf", "relate", "--a", "3,1", "--b=-2,3,0", "--cmf", "pi",
                          "--json")
    assert code == 0, err
    r = json.loads(out)
    assert r["related"] and len(r["coboundary"]) == 2
    _check_numeric(r, [3, 1], [-2, 3, 0])
    code, out, err = _cli(capsys, "cmf", "walk", "pfq_3f2_m1", "--direction", "1,0,0,0,0",
                          "--start", "1,1,1,2,2")
    assert code != 0 and "singular point (1, 1, 1, 2, 2)" in err


def test_relate_records_the_coboundary_in_the_provenance(tmp_path):
    from discover.store import Store
    from discover_plugins.cf.relate import record_relations
    a, b = [3, 1], [-2, 3, 0]
    r = relate(a, b, fields=["pi"])
    out = record_relations(tmp_path / "rel.sqlite", [r], digits=40)
    assert out["recorded"] == 1
    with Store(tmp_path / "rel.sqlite") as st:
        (d,) = st.discoveries()
        assert d.constant == "pi" and d.params == {"a": a, "b": b}
        nodes = [data for _, data in st.provenance(d.id).nodes(data=True)
                 if "derivation" in data]
    der = nodes[0]["derivation"]
    assert der["cmf"] == "pi" and der["coboundary"] == r["coboundary"]
    _check_numeric(dict(der, n0=der["n0"]), a, b)


def test_rank3_trajectory_search_verifies_zeta3_and_skips_singular_points(tmp_path):
    from discover import api
    from discover.store import Store
    search = {"search": {"name": "cmf-4f3-test", "kind": "cmf"},
              "generator": {"cmf": "pfq_4f3_1",
                            "directions": [[0, 0, 0, 0, 1, 1, 1], [1, 0, 0, 0, 0, 0, 0]],
                            "starts": [[1, 1, 1, 1, 3, 3, 3]], "depth": 100},
              "match": {"constants": ["zeta3"]}, "verify": {"digits": 40}}
    store = tmp_path / "s.sqlite"
    api.run(search, store=store)
    with Store(store) as st:
        rows = st.discoveries()
    assert len(rows) == 1
    (d,) = rows
    assert d.constant == "zeta3" and d.digits >= 40
    assert d.params["recurrence"]["order"] == 3
    assert d.params["cmf"]["direction"] == [0, 0, 0, 0, 1, 1, 1]
    # independent: the stored recurrence's limit equals the stored closed form
    rec = LinearRecurrence(tuple(tuple(c) for c in d.params["recurrence"]["coeffs"]),
                           p=tuple(Fraction(v) for v in d.params["recurrence"]["p"]),
                           q=tuple(Fraction(v) for v in d.params["recurrence"]["q"]),
                           n0=d.params["recurrence"]["n0"])
    import mpmath
    from discover.constants import default_registry
    value = rec.limit(45)
    closed = default_registry().evaluate(d.expression, 60)
    assert abs(value - closed) < mpmath.mpf(10) ** -40


def test_relate_store_counts_formulas_and_proves_pairs():
    from discover_plugins.cf.relate import relate_store
    formulas = [{"a": [3, 3], "b": [-2, 1, 0]}, {"a": [3, 1], "b": [-2, 3, 0]},
                {"a": [1, 0], "b": [1, 0]}]                    # two pi formulas and one for e
    out = relate_store(formulas, fields=["pi"])
    assert out["formulas"] == 3 and out["related"] == 2 and out["pairs_proven"] == 1
    assert not out["results"][2]["related"] and "tried" in out["results"][2]
    (pair,) = out["pairs"]
    i = pair["i"]
    _check_symbolic(pair["coboundary"], formulas[i]["a"], formulas[i]["b"],
                    pair["scaled_b"]["a"], pair["scaled_b"]["b"], pair["shift"])
    for r, f in zip(out["results"][:2], formulas):
        _check_numeric(r, f["a"], f["b"])


@pytest.mark.parametrize("name, d, s, depth", [
    ("zeta3", (1, 1), (1, 1), 37),
    ("pfq_3f2_m1", (0, 0, 0, 1, 1), (1, 1, 1, 2, 2), 21),
    ("pfq_2f1_m1", (0, 1, 1), (0, 1, 1), 5),
])
def test_walk_product_matches_the_fields_own_product(name, d, s, depth):
    field = catalogue_field(name)
    P, Q = field.walk(d, s, depth), field.walk_product(d, s, depth)
    assert [[Fraction(int(Q[i, j].p), int(Q[i, j].q)) for j in range(field.size)]
            for i in range(field.size)] == P


def test_3f2_trajectory_search_finds_zeta2_formulas_with_delta(tmp_path):
    from discover import api
    from discover.store import Store
    search = {"search": {"name": "cmf-3f2-test", "kind": "cmf"},
              "generator": {"cmf": "pfq_3f2_1",
                            "directions": [[1, 1, 1, 2, 2], [0, 0, 0, 1, 1]],
                            "starts": [[1, 1, 1, 2, 2]], "depth": 300},
              "match": {"constants": ["zeta2"]}, "verify": {"digits": 60}}
    store = tmp_path / "s.sqlite"
    api.run(search, store=store)
    with Store(store) as st:
        rows = sorted(st.discoveries(), key=lambda d: -d.measures["delta"])
    assert [d.constant for d in rows] == ["zeta2", "zeta2"]
    best = rows[0]
    assert best.params == {"a": [11, 11, 3], "b": [1, 0, 0, 0, 0]}   # Apery's 5/zeta(2)
    assert best.measures["delta"] > 0 > rows[1].measures["delta"]
    # independent: the stored formula's limit is its stored closed form
    import mpmath
    from discover.constants import default_registry
    value = PCF(best.params["a"], best.params["b"]).limit(50)
    assert abs(value - default_registry().evaluate(best.expression, 60)) < mpmath.mpf(10) ** -45
