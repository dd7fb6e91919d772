"""The logic plugin: axiom syntax, numeral probe, prover, proof graphs, checker, CLI."""

from __future__ import annotations

import json
import random
import shutil
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest

from discover_plugins.logic import load_theory, prove
from discover_plugins.logic.checker import check_file, check_graph
from discover_plugins.logic.graph import write_html
from discover_plugins.logic.probe import (InconsistentAxioms, Interpreter, check_axioms,
                                          enumerate_terms, eval_terms, probe_matrix,
                                          python_eval, term_keys)
from discover_plugins.logic.syntax import (AxiomSyntaxError, normal_equation, parse_axioms,
                                           parse_statement, skolem, variables)

LAWS = ["0 + x = x", "S(x) + y = S(x + y)", "x + y = y + x", "(x + y) + z = x + (y + z)",
        "0 * x = 0", "x * S(0) = x", "S(0) * x = x", "x * (y + z) = x * y + x * z",
        "(x + y) * z = x * z + y * z", "x * y = y * x", "(x * y) * z = x * (y * z)"]

HEAD = "constructors 0/0 S/1\ninfix + 6\ninfix * 7\n"


@pytest.fixture(scope="module")
def peano():
    return load_theory("peano")


@pytest.fixture(scope="module")
def run(peano, tmp_path_factory):
    out = tmp_path_factory.mktemp("proofs")
    t0 = time.perf_counter()
    result = prove(peano, seconds=60, out=str(out))
    result["elapsed"] = time.perf_counter() - t0
    return result


# -- syntax ------------------------------------------------------------------------------
@pytest.mark.parametrize("text, line, col, expected", [
    (HEAD + "axiom a: x + S(y = x\n", 4, 18, "')'"),
    (HEAD + "axiom a x + 0 = x\n", 4, 9, "':'"),
    (HEAD + "axiom a: x + 0\n", 4, 15, "'='"),
    (HEAD + "axiom a: x + Q(0) = x\n", 4, 14, "unknown symbol"),
    (HEAD + "axom a: x = x\n", 4, 1, "expected a declaration"),
    ("constructors 0/0 S\n", 1, 19, "'/'"),
    (HEAD + "axiom a: x + 0 = x $\n", 4, 20, "unexpected character"),
    (HEAD + "axiom a: x + 0 = x\naxiom a: x = x\n", 5, 7, "named twice"),
])
def test_parse_errors_point_at_line_and_column(text, line, col, expected):
    with pytest.raises(AxiomSyntaxError) as info:
        parse_axioms(text)
    assert (info.value.line, info.value.column) == (line, col), str(info.value)
    assert expected in str(info.value)
    assert f"line {line}, column {col}" in str(info.value)


def test_parse_precedence_and_implication(peano):
    prem, a, b = parse_statement("x + y * z = S(x) -> x = y", peano.signature)
    assert prem == (("+", "x", ("*", "y", "z")), ("S", "x")) and (a, b) == ("x", "y")
    assert normal_equation(("+", "y", "x"), ("+", "x", "y")) == (("+", "x", "y"),
                                                                  ("+", "y", "x"))
    assert len(peano.axioms) == 4


# -- probe -------------------------------------------------------------------------------
def test_kernel_agrees_with_python_evaluator(peano):
    interp = Interpreter(peano)
    syms, tables = interp.tables()
    terms = enumerate_terms(peano, 6)
    rng = random.Random(3)
    sample = rng.sample(terms, 400)
    probes = probe_matrix(3, 16)
    values = eval_terms(sample, syms, tables, ["x", "y", "z"], probes)
    checked = 0
    for t, row in zip(sample, values):
        for q, v in zip(probes, row):
            exact = python_eval(interp, t, dict(zip("xyz", map(int, q))))
            if np.isnan(v):
                assert exact >= interp.limit or True   # out of table: unusable, never wrong
            else:
                assert v == exact
                checked += 1
    assert checked > 5000


def test_functional_hash_groups_equal_terms(peano):
    interp = Interpreter(peano)
    syms, tables = interp.tables()
    s = peano.signature
    from discover_plugins.logic.syntax import parse_term
    terms = [parse_term(x, s) for x in ["x + y", "y + x", "x * y", "S(x) + y", "S(x + y)",
                                        "x + S(y)"]]
    keys, ok = term_keys(eval_terms(terms, syms, tables, ["x", "y", "z"], probe_matrix(3)))
    assert ok.all()
    assert keys[0] == keys[1] != keys[2]
    assert keys[3] == keys[4] == keys[5]


def test_inconsistent_axioms_are_reported(tmp_path, capsys):
    th = parse_axioms(HEAD + "axiom a: x + 0 = x\naxiom b: x + S(y) = S(x + y)\n"
                             "axiom c: x + 0 = S(x)\naxiom d: x * 0 = 0\n"
                             "axiom e: x * S(y) = x * y + x\n")
    with pytest.raises(InconsistentAxioms, match="axiom c"):
        check_axioms(th, Interpreter(th))
    p = tmp_path / "bad.axioms"
    p.write_text(HEAD + "axiom a: x + 0 = x\naxiom b: x + S(y) = S(x + y)\naxiom z: S(0) = 0\n"
                        "axiom d: x * 0 = 0\naxiom e: x * S(y) = x * y + x\n")
    from discover.cli import main
    assert main(["prove", str(p), "--json", "--out", str(tmp_path / "o")]) == 1
    out = json.loads(capsys.readouterr().out)
    assert out["inconsistent"] and "axiom z" in out["error"]


# -- prover ------------------------------------------------------------------------------
def test_prover_finds_the_laws_from_peano_alone(run, peano):
    prover = run["_prover"]
    assert run["elapsed"] < 60
    for law in LAWS:
        _, a, b = parse_statement(law, peano.signature)
        assert prover.join(skolem(a), skolem(b)) is not None, law
    stated = {t["statement"] for t in run["theorems"]}
    for s in ["(0 + x) = x", "(x + y) = (y + x)", "((x + y) + z) = (x + (y + z))",
              "(0 * x) = 0", "(x * S(0)) = x", "(S(0) * x) = x", "(x * y) = (y * x)",
              "((x * y) * z) = (x * (y * z))", "(S(x) + y) = S((x + y))",
              "((x * y) + (x * z)) = (x * (y + z))"]:
        assert s in stated, s


def test_every_theorem_true_on_random_numerals(run, peano):
    interp = Interpreter(peano)
    rng = random.Random(11)
    for th in run["_prover"].theorems:
        if th.premise is not None:
            continue        # implications: test_implications_true_on_random_numerals
        for _ in range(20):
            env = {v: rng.randint(0, 6) for v in variables(th.lhs, variables(th.rhs))}
            assert interp.value(th.lhs, env) == interp.value(th.rhs, env), th.statement()


def test_graph_files_and_checker(run):
    assert set(run["files"]) == {"json", "graphml", "html"}
    rep = check_file(run["graph"])
    assert rep.ok, rep.errors[:5]
    assert rep.theorems == len(run["theorems"]) and rep.steps > 100
    g = run["_graph"]
    ind = [n for n, d in g.nodes(data=True) if d["type"] == "induction"]
    assert ind and all(g.nodes[n]["variable"] for n in ind)


# -- implications -------------------------------------------------------------------------
CANCEL = ["(x + y) = (z + y) -> x = z", "(x + y) = (x + z) -> y = z"]


def test_cancellation_laws_proved_with_injectivity(run):
    stated = {t["statement"]: t for t in run["theorems"]}
    for s in CANCEL + ["S(x) = S(y) -> x = y"]:
        assert s in stated, s
    assert stated[CANCEL[0]]["method"] == "induction"
    g = run["_graph"]
    rules = {d.get("rule") for _, d in g.nodes(data=True) if d.get("type") == "fact"}
    assert {"injectivity", "modus_ponens", "rewrite"} <= rules


def test_implications_true_on_random_numerals(run, peano):
    interp = Interpreter(peano)
    rng = random.Random(5)
    imps = [th for th in run["_prover"].theorems if th.premise is not None]
    assert len(imps) >= 3
    for th in imps:
        (pl, pr), held = th.premise, 0
        vs = variables(pl, variables(pr, variables(th.lhs, variables(th.rhs))))
        for _ in range(3000):
            env = {v: rng.randint(0, 8) for v in vs}
            if interp.value(pl, env) == interp.value(pr, env):
                held += 1
                assert interp.value(th.lhs, env) == interp.value(th.rhs, env), th.statement()
        assert held > 0, th.statement()


def _cancel_nodes(data):
    t = _node(data, lambda n: n.get("statement") == CANCEL[0] and n["type"] == "theorem")
    return t, [n for n in data["nodes"] if n["id"].startswith(t["id"] + "/")]


def test_checker_rejects_corrupted_implication_proofs(run):
    data = _data(run)
    assert check_graph(data).ok
    # injectivity: take the wrong argument / a non-constructor
    t, ns = _cancel_nodes(data)
    inj = next(n for n in ns if n.get("rule") == "injectivity")
    inj["lhs"] = ["S", inj["lhs"]]
    assert not check_graph(data).ok
    data = _data(run)
    t, ns = _cancel_nodes(data)
    inj = next(n for n in ns if n.get("rule") == "injectivity")
    inj["constructor"] = "+"
    assert not check_graph(data).ok
    # modus ponens with a wrong substitution or a premise that does not match
    data = _data(run)
    t, ns = _cancel_nodes(data)
    mp = next(n for n in ns if n.get("rule") == "modus_ponens")
    mp["lhs"] = mp["rhs"] = ["0"]
    assert not check_graph(data).ok
    # the assumption altered: the case no longer assumes the premise
    data = _data(run)
    t, ns = _cancel_nodes(data)
    a = next(n for n in ns if n["type"] == "assumption")
    a["rhs"] = a["lhs"]
    assert not check_graph(data).ok
    # the statement altered
    data = _data(run)
    t, _ = _cancel_nodes(data)
    t["premise_rhs"] = ["+", "z", ["S", "y"]]
    assert not check_graph(data).ok
    # an implication (its own hypothesis) used as a rewrite rule
    data = _data(run)
    t, ns = _cancel_nodes(data)
    hyp = next(n for n in ns if n["type"] == "hypothesis")
    st = next(n for n in ns if n["type"] == "step")
    st["rule"] = hyp["id"]
    data["links"].append({"source": hyp["id"], "target": st["id"], "relation": "premise"})
    assert not check_graph(data).ok


# -- corrupted graphs --------------------------------------------------------------------
def _data(run):
    return json.loads(open(run["graph"]).read())


def _node(data, pred):
    return next(n for n in data["nodes"] if pred(n))


def test_checker_rejects_wrong_substitution(run):
    data = _data(run)
    n = _node(data, lambda n: n["type"] == "step" and n["substitution"])
    k = sorted(n["substitution"])[0]
    n["substitution"][k] = ["S", n["substitution"][k]]
    assert not check_graph(data).ok


def test_checker_rejects_dropped_step(run):
    data = _data(run)
    c = _node(data, lambda n: n["type"] == "chain" and len(n["left"]) >= 2)
    c["left"] = c["left"][1:]
    assert not check_graph(data).ok


def test_checker_rejects_altered_premise(run):
    data = _data(run)
    ax = _node(data, lambda n: n["id"] == "axiom:mul_S")
    ax["rhs"] = ["+", ["*", "x", "y"], "y"]          # x*S(y) = x*y + y
    assert not check_graph(data).ok
    data = _data(run)
    st = _node(data, lambda n: n["type"] == "step" and n["rule"].startswith("theorem:"))
    st["rule"] = "axiom:add_0"
    assert not check_graph(data).ok


def test_checker_rejects_cycle(run):
    data = _data(run)
    data["links"].append({"source": "theorem:1", "target": "theorem:0", "relation": "premise"})
    data["links"].append({"source": "theorem:0", "target": "theorem:1", "relation": "premise"})
    assert any("cycle" in e for e in check_graph(data).errors)


def test_checker_rejects_hypothesis_outside_its_case_and_wrong_statement(run):
    data = _data(run)
    t = _node(data, lambda n: n["type"] == "theorem" and n["method"] == "induction")
    t["rhs"] = ["S", t["rhs"]]
    assert not check_graph(data).ok
    data = _data(run)
    hyp = _node(data, lambda n: n["type"] == "hypothesis")
    st = _node(data, lambda n: n["type"] == "step" and n["rule"].startswith("axiom:"))
    st["rule"] = hyp["id"]
    data["links"].append({"source": hyp["id"], "target": st["id"], "relation": "premise"})
    assert not check_graph(data).ok


def test_checker_is_independent_of_the_prover():
    src = open(__import__("discover_plugins.logic.checker", fromlist=["x"]).__file__).read()
    assert "prover" not in src.split('"""', 2)[2].replace("the prover", "")
    assert "import" in src and ".prover" not in src and ".probe" not in src


def test_html_escapes_hostile_names(run, tmp_path):
    g = run["_graph"].copy()
    evil = "<script>alert('x')</script>"
    g.add_node(evil, type="axiom", name=evil, statement=evil + " = 0")
    g.add_edge(evil, "theorem:0", relation=evil)
    g.graph["name"] = evil
    p = tmp_path / "p.html"
    write_html(g, p)
    text = p.read_text()
    assert "<script>" not in text and "&lt;script&gt;" in text
    assert "href='#theorem:0'" in text


@pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium is not installed")
def test_html_in_headless_chromium(run):
    r = subprocess.run([shutil.which("chromium"), "--headless", "--no-sandbox",
                        "--disable-gpu", "--dump-dom", "file://" + run["files"]["html"]],
                       capture_output=True, text=True, timeout=120)
    dom = r.stdout
    assert 'id="theorem:0"' in dom and 'href="#theorem:0"' in dom, r.stderr[-500:]
    assert "<script" not in dom


# -- command line ------------------------------------------------------------------------
def test_cli_prove_json_and_check(tmp_path, capsys):
    from discover.cli import main
    out = tmp_path / "pr"
    store = tmp_path / "s.sqlite"
    assert main(["prove", "peano", "--seconds", "60", "--json", "--out", str(out), "--store",
                 str(store)]) == 0
    obj = json.loads(capsys.readouterr().out)
    assert obj["graph"] == str(out / "peano.json")
    import re
    term = r"(?:[a-z]|0|S\(.*\)|\(.* [+*] .*\))"
    for th in obj["theorems"]:
        assert set(th) >= {"statement", "seconds", "steps"}
        eq = term + " = " + term
        assert re.fullmatch(f"(?:{eq} -> )?{eq}", th["statement"]), th["statement"]
        assert th["seconds"] >= 0 and th["steps"] >= 1
    assert "(x + y) = (y + x)" in [t["statement"] for t in obj["theorems"]]
    assert obj["stats"]["rounds"] >= 1 and obj["stats"]["rejected"] == 0
    assert obj["stats"]["checked"] == len(obj["theorems"]) and obj["run"] >= 1
    assert main(["check", obj["graph"]]) == 0
    capsys.readouterr()
    assert main(["check", obj["graph"], "--json"]) == 0
    checked = json.loads(capsys.readouterr().out)
    assert checked["valid"] and sorted(checked["theorems"]) == sorted(
        t["statement"] for t in obj["theorems"])
    assert main(["check", obj["graph"], "--axioms", "peano"]) == 0
    data = json.loads(open(obj["graph"]).read())
    st = _node(data, lambda n: n["type"] == "step")
    st["after"] = ["S", st["after"]]
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data))
    assert main(["check", str(bad)]) == 1
    from discover.store import Store
    with Store(store) as s:
        recs = s.discoveries(kind="theorem")
        assert len(recs) == len(obj["theorems"])
        assert all(r.measures["checked"] is True and r.digits is None for r in recs)
        assert {r.params["statement"] for r in recs} == {t["statement"] for t in obj["theorems"]}
        g = s.provenance(recs[0].id)
        assert any(d.get("type") == "theorem" for _, d in g.nodes(data=True))


@pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium is not installed")
def test_following_a_link_in_headless_chromium_reaches_the_premise(run, tmp_path):
    """A harness page loads the proof page in a frame, clicks its first in-page link, and
    records where the browser went; the target element must exist on the page."""
    page = Path(run["files"]["html"])
    harness = page.parent / "follow-link-harness.html"
    harness.write_text(
        "<!doctype html><html><body><iframe id='f' src='" + page.name + "'></iframe><script>\n"
        "document.getElementById('f').onload = function () {\n"
        "  var d = this.contentDocument;\n"
        "  var a = d.querySelector('a[href^=\"#\"]');\n"
        "  var href = a.getAttribute('href');\n"
        "  a.click();\n"
        "  setTimeout(function () {\n"
        "    var h = decodeURIComponent(d.defaultView.location.hash.slice(1));\n"
        "    var el = d.getElementById(h);\n"
        "    document.body.setAttribute('data-result',\n"
        "      href + '|' + h + '|' + (el ? 'found' : 'missing'));\n"
        "  }, 300);\n"
        "};\n</script></body></html>\n")
    r = subprocess.run([shutil.which("chromium"), "--headless", "--no-sandbox", "--disable-gpu",
                        "--allow-file-access-from-files", "--virtual-time-budget=5000",
                        "--disable-background-networking", "--no-first-run",
                        f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom",
                        harness.as_uri()], capture_output=True, text=True, timeout=120)
    import re

    m = re.search(r'data-result="([^"]*)"', r.stdout)
    assert m, r.stdout[-500:] + r.stderr[-500:]
    href, reached, status = m.group(1).split("|")
    assert href == "#" + reached and status == "found"
