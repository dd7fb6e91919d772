"""Conservative matrix fields: conservation check, walks reduced to PCFs, the trajectory search.

Oracles independent of the code under test: conservation is re-checked with exact Fractions at
random points (no sympy); the limit of a walk is computed from the field's own matrices (an
exact product, no reduction) and identified separately; Apery's PCF is written out by hand.
"""

from __future__ import annotations

import json
import random
from fractions import Fraction

import mpmath
import pytest
import sympy

from discover.errors import DiscoverError, SearchFileError
from discover.identification import identify
from discover_plugins.cf.cmf import (CMF, NotConservativeError, directions_up_to, known_cmfs,
                                     load_cmf, walk, walk_to_pcf)
from discover_plugins.cf.pcf import PCF

APERY = PCF([34, 51, 27, 5], [-1, 0, 0, 0, 0, 0, 0])


from _cmf_exact import at as _at, mul as _mul  # noqa: E402


@pytest.mark.parametrize("name", ["e", "pi", "zeta3"])
def test_corpus_fields_are_conservative_at_random_points(name):
    field = known_cmfs()[name]
    rng = random.Random(7)
    for _ in range(5):
        p = {a: Fraction(rng.randint(-30, 30), rng.randint(1, 7)) for a in field.axes}
        for i in field.axes:
            for j in field.axes:
                if i >= j:
                    continue
                pi_ = dict(p, **{i: p[i] + 1})
                pj_ = dict(p, **{j: p[j] + 1})
                assert _mul(_at(field, i, p), _at(field, j, pi_)) == \
                    _mul(_at(field, j, p), _at(field, i, pj_))


def test_non_conservative_field_is_refused_with_the_pair():
    with pytest.raises(NotConservativeError) as err:
        CMF({"x": [["1", "-y - 1"], ["-1", "x + y + 2"]],
             "y": [["0", "-y - 2"], ["-1", "x + y + 1"]]}, name="bad")
    msg = str(err.value)
    assert "axes x and y" in msg and "M_x(x, y) M_y(x+1, y)" in msg and "zero matrix" in msg


def _coboundary_3d(perturb: bool = False) -> CMF:
    """M_i(v) = U(v)^-1 U(v + e_i) is conservative for any invertible U."""
    x, y, z = sympy.symbols("x y z")
    # unimodular U (det 1), so the matrices stay polynomial
    U = sympy.Matrix([[1, x + y * z], [0, 1]]) * sympy.Matrix([[1, 0], [x * z + y, 1]])
    mats = {}
    for s in (x, y, z):
        M = (U.adjugate() * U.subs(s, s + 1)).applyfunc(sympy.expand)
        mats[str(s)] = M
    if perturb:
        mats["z"] = mats["z"] + sympy.Matrix([[0, 0], [0, x]])
    return CMF(mats, name="cob")


def test_three_axes_coboundary_is_conservative_and_perturbation_is_caught():
    field = _coboundary_3d()
    assert field.axes == ("x", "y", "z") and field.violations() == []
    with pytest.raises(NotConservativeError) as err:
        _coboundary_3d(perturb=True)
    assert "axes x and z" in str(err.value)


def test_entries_are_parsed_safely_and_bad_entries_named():
    with pytest.raises(DiscoverError) as err:
        CMF({"x": [["__import__('os')", "1"], ["1", "x"]], "y": [["1", "0"], ["0", "1"]]})
    assert "matrices.x[0][0]" in str(err.value)
    with pytest.raises(DiscoverError) as err:
        CMF({"x": [["x", "t"], ["1", "x"]], "y": [["1", "0"], ["0", "1"]]})
    assert "matrices.x[0][1]" in str(err.value) and "t" in str(err.value)
    with pytest.raises(DiscoverError) as err:
        CMF({"x": [["exp(x)", "1"], ["1", "x"]], "y": [["1", "0"], ["0", "1"]]})
    assert "rational function" in str(err.value)


def test_apery_from_the_diagonal_of_the_zeta3_field():
    tr = load_cmf("zeta3").pcf((1, 1))
    assert tr.pcf == APERY
    # the reduction is an equivalence: the raw PCF's value is the Moebius image of Apery's
    (m00, m01), (m10, m11) = tr.moebius
    with mpmath.workdps(60):
        v = APERY.limit(50)
        assert abs(tr.raw.limit(50) - (m00 * v + m01) / (m10 * v + m11)) < mpmath.mpf(10) ** -45
        assert abs(v - 6 / mpmath.zeta(3)) < mpmath.mpf(10) ** -45


def _walk_ratio(field, direction, start, depth, dps=60):
    P = field.walk(direction, start, depth)
    with mpmath.workdps(dps):
        return mpmath.mpf(P[0][0].numerator) / P[0][0].denominator / (
            mpmath.mpf(P[1][0].numerator) / P[1][0].denominator)


@pytest.mark.parametrize("name,direction,const", [
    ("zeta3", (1, 1), "zeta3"), ("e", (1, 2), "e"), ("e", (2, 1), "e"), ("pi", (1, 1), "pi"),
])
def test_walk_and_its_pcf_reach_the_same_constant(name, direction, const):
    field = load_cmf(name)
    ratio = _walk_ratio(field, direction, (1, 1), 120)
    # the walk itself, from the field's matrices: a Moebius transform of the constant
    direct = identify(mpmath.nstr(ratio, 40), constants=[const])
    assert direct is not None and direct.method == "moebius"
    # the reduced PCF: the same constant, verified to 100 digits
    result = walk(field, direction)
    assert result["verified"] and result["digits"] >= 100
    assert const in result["expression"]
    # and the two are Moebius-related with rational coefficients (PSLQ on [x, xy, 1, y])
    with mpmath.workdps(60):
        y = PCF(result["a"], result["b"]).limit(55)
        rel = mpmath.pslq([ratio, ratio * y, 1, y], tol=mpmath.mpf(10) ** -45,
                          maxcoeff=10 ** 8, maxsteps=10 ** 5)
    assert rel is not None


def test_slow_walk_is_a_conjecture_never_a_formula():
    result = walk("zeta3", (1, 0))
    assert result["a"] == [2, 3, 3, 1] and result["b"] == [-1, 0, 0, 0, 0, 0, 0]
    assert result["verified"] is False
    assert result["expression"] == "1/zeta3" and "not verified" in result["reason"]


def test_walk_to_pcf_of_a_pcf_matrix_and_degenerate_walks():
    m = sympy.Symbol("m")
    pcf, shift = walk_to_pcf(sympy.Matrix([[0, m ** 2], [1, 2 * m + 1]]), m)
    assert (pcf, shift) == (PCF([2, 1], [1, 0, 0]), 1)
    with pytest.raises(DiscoverError, match="diagonal"):
        walk_to_pcf(sympy.Matrix([[m + 1, 0], [0, m + 2]]), m)
    field = load_cmf("e")
    with pytest.raises(DiscoverError, match="zero vector"):
        field.pcf((0, 0))
    with pytest.raises(DiscoverError, match="one per axis x, y"):
        field.pcf((1, 1, 1))


def test_directions():
    assert directions_up_to(2, 1) == [(0, 1), (1, 0), (1, 1)]
    assert (2, 2) not in directions_up_to(2, 3) and (2, 3) in directions_up_to(2, 3)
    assert (-1, 1) in directions_up_to(2, 1, negative=True)


def _cli(capsys, *args):
    from discover.cli import main

    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_cli_walk_json_contract(capsys):
    code, out, err = _cli(capsys, "cmf", "walk", "zeta3", "--direction", "1,1", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["a"] == [34, 51, 27, 5] and data["b"] == [-1, 0, 0, 0, 0, 0, 0]
    assert data["expression"] == "6/zeta3" and data["verified"] is True
    assert data["digits"] >= 100 and data["direction"] == [1, 1]


def test_cli_check_refuses_a_non_conservative_file(tmp_path, capsys):
    f = tmp_path / "fields.toml"
    f.write_text('[bad]\nconstants = ["e"]\n[bad.matrices]\n'
                 'x = [["x", "1"], ["1", "0"]]\ny = [["y", "1"], ["1", "0"]]\n')
    code, out, err = _cli(capsys, "cmf", "check", "--file", str(f))
    assert code != 0
    assert "axes x and y" in err and "bad" in err
    code, out, err = _cli(capsys, "cmf", "walk", "nosuch", "--direction", "1,1")
    assert code != 0 and "known: e, pi, zeta3" in err
    code, out, err = _cli(capsys, "cmf", "check")
    from discover_plugins.cf.catalogue import catalogue
    assert code == 0 and out.count("conservative") == len(catalogue())


def _search(tmp_path, **generator):
    gen = {"cmf": "zeta3", "directions": [[1, 1], [1, 2]], "starts": [[1, 1]]}
    gen.update(generator)
    return {"search": {"name": "cmf-test", "kind": "cmf"}, "generator": gen,
            "match": {"constants": ["zeta3"]}, "verify": {"digits": 100}}


def test_trajectory_search_finds_apery_with_provenance(tmp_path, capsys):
    from discover import api

    store = tmp_path / "s.sqlite"
    api.run(_search(tmp_path), store=store)
    code, out, err = _cli(capsys, "show", "--store", str(store), "--json")
    rows = json.loads(out)
    assert len(rows) == 2           # Apery and the (1, 2) trajectory's zeta3 formula
    apery_row = next(r for r in rows if r["a"] == list(APERY.a))
    assert apery_row["b"] == list(APERY.b) and apery_row["expression"] == "6/zeta3"
    assert apery_row["kind"] == "cmf" and apery_row["digits"] >= 100
    assert 0.05 < apery_row["delta"] < 0.2      # depth 100: 0.12, tending to 0.08
    other = next(r for r in rows if r is not apery_row)
    assert "zeta3" in other["expression"] and other["digits"] >= 100
    prov = tmp_path / "prov.json"
    code, out, err = _cli(capsys, "export", "--store", str(store), "--id", str(apery_row["id"]),
                          "--format", "json", "--out", str(prov))
    assert code == 0, err
    (only,) = list(prov.iterdir())
    graph = json.loads(only.read_text())
    cand = next(n for n in graph["nodes"] if n.get("type") == "candidate")
    origin = cand["cmf"] if isinstance(cand["cmf"], dict) else json.loads(cand["cmf"])
    assert origin["name"] == "zeta3" and origin["direction"] == [1, 1]
    assert origin["start"] == [1, 1] and origin["raw_a"][0] == 34


def test_search_file_errors_name_the_field(tmp_path):
    from discover import api

    with pytest.raises(SearchFileError, match="generator.cmf"):
        api.load(_search(tmp_path, cmf="nosuch"))
    bad = {"x": [["x", "1"], ["1", "0"]], "y": [["y", "1"], ["1", "0"]]}
    with pytest.raises(SearchFileError) as err:
        api.load(_search(tmp_path, cmf="mine", matrices=bad))
    assert "generator.matrices" in str(err.value) and "axes x and y" in str(err.value)
    with pytest.raises(SearchFileError, match="generator.directions"):
        api.load(_search(tmp_path, directions=[[1, 1, 1]]))
    with pytest.raises(SearchFileError, match="generator.directions"):
        api.load(_search(tmp_path, directions=[[0, 0]]))


def test_inline_field_in_a_search_file(tmp_path):
    # a field given in the search file itself (data, parsed by the whitelist parser)
    from discover import api

    inline = {"x": [["1", "-y - 1"], ["-1", "x + y + 2"]],
              "y": [["0", "-y - 1"], ["-1", "x + y + 1"]]}
    spec = {"search": {"name": "inline", "kind": "cmf"},
            "generator": {"cmf": "my_e", "matrices": inline, "directions": [[1, 1], [1, 0]]},
            "match": {"constants": ["e"]}, "verify": {"digits": 100}}
    summary = api.run(spec, store=tmp_path / "i.sqlite")
    found = {d.expression for d in summary.discoveries}
    assert "(e + 1)/(e - 1)" in found and "e" in found
    assert all(d.digits >= 100 for d in summary.discoveries)


def test_long_trajectory_beyond_int64_is_screened_exactly(tmp_path, capsys):
    # (3, 1) of the zeta3 field reduces to a degree-(15, 30) PCF with 68-bit coefficients:
    # too big for the int64 kernels, so it is screened and refined with exact convergents
    from discover import api

    tr = load_cmf("zeta3").pcf((3, 1))
    assert max(abs(c) for c in tr.pcf.a + tr.pcf.b).bit_length() > 63
    store = tmp_path / "big.sqlite"
    api.run(_search(tmp_path, directions=[[3, 1]]), store=store)
    code, out, err = _cli(capsys, "show", "--store", str(store), "--json")
    (row,) = json.loads(out)
    assert row["a"] == list(tr.pcf.a) and row["digits"] >= 100 and "zeta3" in row["expression"]
    with mpmath.workdps(80):
        claimed = 1 / mpmath.zeta(3) * mpmath.mpf(2700256) / 3
        assert abs(tr.pcf.limit(60) - claimed) < mpmath.mpf(10) ** -55


def test_cli_walk_store_records_only_verified_walks(tmp_path, capsys):
    from discover.store import Store

    store = tmp_path / "w.sqlite"
    code, out, err = _cli(capsys, "cmf", "walk", "zeta3", "--direction", "1,1", "--json",
                          "--store", str(store))
    assert code == 0, err
    data = json.loads(out)          # the --json contract is the same with --store
    assert data["verified"] and data["expression"] == "6/zeta3" and "recorded" not in data
    # a slowly converging walk is a conjecture: its run records nothing
    code, out, err = _cli(capsys, "cmf", "walk", "zeta3", "--direction", "1,0", "--store",
                          str(store))
    assert code == 0 and "0 verified" in out
    code, out, err = _cli(capsys, "show", "--store", str(store), "--json")
    (row,) = json.loads(out)
    assert row["kind"] == "cmf" and (row["a"], row["b"]) == (list(APERY.a), list(APERY.b))
    assert row["expression"] == "6/zeta3" and row["digits"] >= 100 and row["delta"] > 0
    with Store(store, readonly=True) as st:
        runs = st.find_runs()
        graph = st.provenance(row["id"])
    assert [r.mode for r in runs] == ["verb", "verb"]
    assert graph.nodes["search"]["verb"] == "cmf walk"
    cand = graph.nodes["candidate"]
    origin = cand["cmf"] if isinstance(cand["cmf"], dict) else json.loads(cand["cmf"])
    assert origin["direction"] == [1, 1] and origin["raw_a"][0] == 34
    tiers = [graph.nodes[n]["name"] for n in graph if graph.nodes[n].get("type") == "tier"]
    assert tiers[0] == "pslq" and "exact" in tiers
