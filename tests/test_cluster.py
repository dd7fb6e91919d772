"""Clusters and parametric families of stored PCFs (plugins/cf/cluster.py, discover cluster)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import mpmath
import pytest
import sympy

from discover.errors import DiscoverError
from discover.constants import default_registry
from discover_plugins.cf.cluster import cluster, find_families, find_plane_family, verify_member
from discover_plugins.cf.pcf import PCF

SEARCHES = Path(__file__).resolve().parent.parent / "searches"


def _run(name: str, tmp_path_factory) -> Path:
    from discover.api import run

    store = tmp_path_factory.mktemp(f"cluster-{name}") / f"{name}.sqlite"
    run(SEARCHES / f"{name}.toml", store=store, workers=2)
    return store


@pytest.fixture(scope="module")
def e_store(tmp_path_factory):
    return _run("e", tmp_path_factory)


@pytest.fixture(scope="module")
def pi_store(tmp_path_factory):
    return _run("pi", tmp_path_factory)


@pytest.fixture(scope="module")
def e_result(e_store):
    return cluster(e_store, digits=100, new_members=3)


@pytest.fixture(scope="module")
def pi_result(pi_store):
    return cluster(pi_store, digits=100, new_members=3)


def _family(result, a, b):
    found = [f for f in result["families"] if f["a"] == a and f["b"] == b]
    assert found, [(f["a"], f["b"]) for f in result["families"]]
    return found[0]


def _moebius_of(expression: str, name: str) -> bool:
    """Whether ``expression`` is (c0 + c1 K)/(c2 + c3 K) with integers c_i and c0 c3 != c1 c2."""
    K = sympy.Symbol(name)
    num, den = sympy.fraction(sympy.together(sympy.sympify(expression, locals={name: K})))
    try:
        pn, pd = sympy.Poly(num, K), sympy.Poly(den, K)
    except sympy.PolynomialError:
        return False
    if pn.degree() > 1 or pd.degree() > 1:
        return False
    c1, c0 = ([0] + pn.all_coeffs())[-2:]
    c3, c2 = ([0] + pd.all_coeffs())[-2:]
    return all(sympy.Integer(c) == c for c in (c0, c1, c2, c3)) and c0 * c3 - c1 * c2 != 0


def test_e_family_found(e_result):
    fam = _family(e_result, "n + k", "n")
    assert fam["ks"] == [0, 1, 2, 3] and fam["degree_in_k"] == 1
    assert [m["a"] for m in fam["known"]] == [[1, 0], [1, 1], [1, 2], [1, 3]]
    assert all(m["b"] == [1, 0] for m in fam["known"])
    assert fam["a_coeffs"] == ["1", "k"] and fam["b_coeffs"] == ["1", "0"]
    # the b(n) = -n family is a second one, with its own k range
    assert _family(e_result, "n + k", "-n")["ks"] == [2, 3, 4, 5]


def test_e_new_members_verified_and_independent(e_result):
    fam = _family(e_result, "n + k", "n")
    good = [m for m in fam["new_members"] if m["verified"]]
    assert len(good) >= 3
    assert {m["k"] for m in good} >= {4, 5, 6}
    for m in good:
        assert m["digits"] >= 100 and _moebius_of(m["expression"], "e"), m
        assert m["a"] == [1, m["k"]] and m["b"] == [1, 0]
        # independent check: the PCF's limit against mpmath's value of the closed form
        with mpmath.workdps(140):
            f = sympy.lambdify(sympy.Symbol("e"), sympy.sympify(m["expression"]), "mpmath")
            claimed = f(mpmath.e)
            value = PCF(m["a"], m["b"]).limit(110)
            assert abs(value - claimed) <= abs(claimed) * mpmath.mpf(10) ** -100
        # and against the known pattern 1/(k! e - s_k), s_0 = 1, s_k = k s_(k-1) + 1
        s = 1
        for j in range(1, m["k"] + 1):
            s = j * s + 1
        with mpmath.workdps(120):
            expected = 1 / (math.factorial(m["k"]) * mpmath.e - s)
            assert abs(PCF(m["a"], m["b"]).limit(110) - expected) < mpmath.mpf(10) ** -100
    # a failed proposal carries no formula
    for m in fam["new_members"]:
        if not m["verified"]:
            assert m.get("expression") is None


def test_wrong_member_rejected(e_result):
    fam = _family(e_result, "n + k", "n")
    m = next(x for x in fam["new_members"] if x["verified"])
    assert verify_member(m["a"], m["b"], m["expression"], digits=100)["verified"]
    with mpmath.workdps(150):
        true = PCF(m["a"], m["b"]).limit(140)
        off = verify_member(m["a"], m["b"], true * (1 + mpmath.mpf(10) ** -60), digits=100)
    assert not off["verified"] and 55 <= off["digits"] <= 65
    # the closed form of the neighbouring member does not fit either
    k = m["k"]
    other = next(x for x in fam["new_members"] if x["verified"] and x["k"] != k)
    assert not verify_member(m["a"], m["b"], other["expression"], digits=100)["verified"]


def test_e_clusters_separate_dynamics(e_result):
    clusters = e_result["clusters"]
    assert sum(len(c["members"]) for c in clusters) == e_result["members"]
    by_member = {tuple(map(tuple, (m["a"], m["b"]))): c for c in clusters for m in c["members"]}
    fast = by_member[((4, 2), (1,))]
    slow = by_member[((1, 0), (1, 0))]
    assert fast is not slow
    assert fast["convergence"] == slow["convergence"] == "factorial"
    # 4n+2, b=1 is the simple continued fraction of (e+1)/(e-1): delta close to 1
    assert 0.9 < fast["delta"][0] <= fast["delta"][1] < 1.1
    assert slow["rate"][1] < fast["rate"][0]


def test_pi_families(pi_result):
    fam = _family(pi_result, "3*n + k", "-2*n**2 + 5*n")
    assert fam["ks"] == [-3, -2, -1, 0]
    odd = _family(pi_result, "2*n + 2*k + 1", "n**2 + 2*k*n")
    assert odd["ks"] == [0, 1, 2]
    good = [m for m in odd["new_members"] if m["verified"]]
    assert len(good) >= 3 and all(_moebius_of(m["expression"], "pi") for m in good)
    assert all(m["digits"] >= 100 for m in good)
    # k = -1 gives b(n) = n(n - 2), which vanishes at n = 2: not tried
    below = next(m for m in odd["new_members"] if m["k"] == -1)
    assert "skipped" in below and not below["verified"]
    # both families come from different clusters (rates 0.3 and 0.77 digits per term)
    assert fam["cluster"] != odd["cluster"]
    json.dumps(pi_result)


def test_pi_two_parameter_family(pi_result):
    # the 3n + s, -2n^2 + t n members fill a lattice plane: one two-parameter family
    (plane,) = pi_result["planes"]
    assert (plane["a"], plane["b"]) == ("3*n + s", "-2*n**2 + (2*t + 1)*n")
    assert len(plane["known"]) >= 10
    fam = _family(pi_result, "3*n + k", "-2*n**2 + 5*n")
    assert fam["id"] in plane["linear_slices"] and fam.get("slice_of_plane")
    good = [m for m in plane["new_members"] if m["verified"]]
    assert len(good) >= 3 and all(m["digits"] >= 100 for m in good)
    # a verified member really is what it claims (checked without the package's verifier)
    m = next(m for m in good if "pi" in m["expression"])
    pcf_value = PCF(m["a"], m["b"]).limit(60)
    with mpmath.workdps(60):
        claimed = default_registry().evaluate(m["expression"], 60)
        assert abs(pcf_value - claimed) < mpmath.mpf(10) ** -50
    # every member, known or new, has the family's shape
    for m in plane["new_members"]:
        assert m["a"] == [3, m["s"]] and m["b"] == [-2, 2 * m["t"] + 1, 0]


def test_find_plane_family_pure():
    vs = [(3, s, -2, 2 * t + 1, 0) for s, t in [(0, 0), (1, 0), (0, 1), (1, 1), (3, 2)]]
    plane = find_plane_family(vs, split=2)
    assert plane is not None and plane.pattern() == ("3*n + s", "-2*n**2 + (2*t + 1)*n")
    assert plane.member(5, 7) == ([3, 5], [-2, 15, 0])
    assert find_plane_family(vs[:4], split=2) is None            # too few members
    line = [(1, k, 1, 0) for k in range(6)]
    assert find_plane_family(line, split=2) is None              # a line, not a plane
    two_lines = [(1, k, s, 0) for k in range(4) for s in (1, -1)]
    assert find_plane_family(two_lines, split=2) is None         # two parallel lines


def test_find_families_pure():
    # linear: a = 2n + 2k + 1, b = n^2 + 2kn, plus an unrelated vector
    vecs = [(2, 1, 1, 0, 0), (2, 3, 1, 2, 0), (2, 5, 1, 4, 0), (2, 4, 1, 1, 0)]
    fams = find_families(vecs, split=2)
    assert [(f.pattern(), f.ks, f.degree) for f in fams] == [
        (("2*n + 2*k + 1", "n**2 + 2*k*n"), [0, 1, 2], 1)]
    assert fams[0].member(7) == ([2, 15], [1, 14, 0])
    # quadratic: the shifts a(n + k), b(n + k) of 2n + 1, n^2
    quad = [(2, 2 * k + 1, 1, 2 * k, k * k) for k in (3, 4, 5, 6)]
    fams = find_families(quad, split=2)
    assert len(fams) == 1 and fams[0].degree == 2 and fams[0].ks == [3, 4, 5, 6]
    assert fams[0].pattern() == ("2*n + 2*k + 1", "n**2 + 2*k*n + k**2")
    # three points off a line: no family
    assert find_families([(1, 0), (1, 1), (2, 3)], split=1) == []


def test_cli_json_and_table(e_store, capsys):
    from discover.cli import main

    assert main(["cluster", "--store", str(e_store), "--new", "2", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    fam = _family(out, "n + k", "n")
    assert [m["k"] for m in fam["new_members"]] == [4, 5, -1]
    assert sum(m["verified"] for m in fam["new_members"]) >= 2
    assert main(["cluster", "--store", str(e_store), "--new", "1"]) == 0
    text = capsys.readouterr().out
    assert "a(n) = n + k, b(n) = n" in text and "1/(24*e - 65)" in text


def test_errors(tmp_path, e_store, capsys):
    from discover.cli import main
    from discover.store import Store

    with pytest.raises(DiscoverError, match="does not exist"):
        cluster(tmp_path / "missing.sqlite")
    empty = tmp_path / "empty.sqlite"
    Store(empty).close()
    with pytest.raises(DiscoverError, match="no pcf discoveries"):
        cluster(empty)
    with pytest.raises(DiscoverError, match="--digits"):
        cluster(e_store, digits=5)
    with pytest.raises(DiscoverError, match="--new"):
        cluster(e_store, new_members=-1)
    with pytest.raises(DiscoverError, match="no run 9"):
        cluster(e_store, run=9)
    assert main(["cluster", "--store", str(empty)]) == 2
    assert "no pcf discoveries" in capsys.readouterr().err
    assert main(["cluster", "--store", str(e_store), "--digits", "0"]) == 2
    assert "--digits" in capsys.readouterr().err


def test_record_stores_verified_members_with_provenance(e_store, tmp_path, capsys):
    import shutil

    from discover.cli import main
    from discover.store import Store

    store = tmp_path / "copy.sqlite"
    shutil.copy(e_store, store)
    with Store(store, readonly=True) as st:
        before = {d.key for d in st.discoveries()}
    # without --record the store is only read
    assert main(["cluster", "--store", str(store), "--new", "2", "--json"]) == 0
    plain = json.loads(capsys.readouterr().out)
    assert "recorded" not in plain
    with Store(store, readonly=True) as st:
        assert {d.key for d in st.discoveries()} == before
    assert main(["cluster", "--store", str(store), "--new", "2", "--record", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [f["new_members"] for f in out["families"]] == \
        [f["new_members"] for f in plain["families"]]          # the same result, recorded
    tried = [m for f in out["families"] for m in f["new_members"] if "skipped" not in m]
    good = {PCF(m["a"], m["b"]).key() for m in tried if m["verified"]}
    bad = {PCF(m["a"], m["b"]).key() for m in tried if not m["verified"]}
    assert good and out["recorded"]["recorded"] >= len(good)
    with Store(store, readonly=True) as st:
        run = st.run(out["recorded"]["run"])
        recorded = st.discoveries(run_id=run.id)
        keys = {d.key for d in recorded}
        graph = st.provenance(next(d.id for d in recorded if d.key not in before))
        stored = {d.key for d in st.discoveries()}
    assert run.mode == "verb" and keys == good
    assert not (bad - before) & stored          # a member that failed is never recorded
    assert all(d.digits >= 100 and d.kind == "pcf" for d in recorded)
    assert graph.nodes["search"]["verb"] == "cluster"
    assert [graph.nodes[n]["name"] for n in graph
            if graph.nodes[n].get("type") == "tier"][0] == "pslq"


def test_near_miss_is_never_recorded(tmp_path):
    from discover.store import Store
    from discover_plugins.cf.verbs import record, verb_context, verify_claim
    from discover.api import plugins

    gen = plugins().generator("pcf")
    ctx = verb_context(100, ["e"])
    finding, verdict = verify_claim(gen, PCF([1, 4], [1, 0]), ctx,
                                    expression="1/(24*e - 65) + 10^-60")
    assert finding is None and not verdict.equal and 55 <= verdict.digits <= 65
    finding, verdict = verify_claim(gen, PCF([1, 4], [1, 0]), ctx, expression="1/(24*e - 65)")
    assert finding is not None and verdict.equal
    store = tmp_path / "s.sqlite"
    assert record(store, name="cluster", gen=gen, findings=[], search={})["recorded"] == 0
    with Store(store, readonly=True) as st:
        assert st.discoveries() == []
