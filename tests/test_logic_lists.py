"""The logic plugin on two sorts: lists of naturals (corpora/lists.axioms)."""

from __future__ import annotations

import json
import random

import pytest

from discover_plugins.logic import load_theory, prove
from discover_plugins.logic.checker import check_graph
from discover_plugins.logic.probe import TermInterpreter
from discover_plugins.logic.syntax import normal_equation, parse_statement

LIST_LAWS = ["app(xs, nil) = xs", "app(app(xs, ys), zs) = app(xs, app(ys, zs))",
             "len(app(xs, ys)) = len(xs) + len(ys)"]


@pytest.fixture(scope="module")
def lists():
    return load_theory("lists")


@pytest.fixture(scope="module")
def lrun(lists, tmp_path_factory):
    return prove(lists, seconds=60, out=str(tmp_path_factory.mktemp("lists")))


def test_sorts_are_inferred(lists):
    s = lists.signature.sorts
    assert s["cons"] == ((0, 1), 1) and s["app"] == ((1, 1), 1) and s["len"] == ((1,), 0)
    assert lists.signature.families == [["0", "S"], ["nil", "cons"]]


def test_list_laws_are_proved(lrun, lists):
    keys = {normal_equation(t.lhs, t.rhs) for t in lrun["_prover"].theorems}
    for law in LIST_LAWS:
        _, a, b = parse_statement(law, lists.signature)
        assert normal_equation(a, b) in keys, law
    g = lrun["_graph"]
    ind = [d for _, d in g.nodes(data=True) if d.get("type") == "induction"
           and d["variable"] == "xs"]
    assert ind


def _random_value(sort, rng):
    if sort == 0:
        return _num(rng.randint(0, 5))
    t = ("nil",)
    for _ in range(rng.randint(0, 4)):
        t = ("cons", _num(rng.randint(0, 3)), t)
    return t


def _num(n):
    t = ("0",)
    for _ in range(n):
        t = ("S", t)
    return t


def test_every_list_theorem_checks_and_is_true_on_random_lists(lrun, lists):
    data = json.loads(open(lrun["graph"]).read())
    rep = check_graph(data)
    assert rep.ok and rep.theorems == len(lrun["theorems"]), rep.errors[:5]
    interp = TermInterpreter(lists)
    rng = random.Random(3)
    for th in lrun["_prover"].theorems:
        vs = lists.signature.sort_of_vars(th.lhs, th.rhs)
        for _ in range(30):
            env = {v: _random_value(s, rng) for v, s in vs.items()}
            assert interp.value(th.lhs, env) == interp.value(th.rhs, env), th.statement()


def test_checker_rejects_list_induction_with_wrong_cases(lrun):
    data = json.loads(open(lrun["graph"]).read())
    ind = next(n for n in data["nodes"] if n["type"] == "induction" and n["variable"] == "xs")
    # a hypothesis for the element (a natural) of cons is not an induction hypothesis
    case = next(n for n in data["nodes"] if n["id"] in ind["cases"]
                and n["constructor"] == "cons")
    hyp = data["nodes"][[n["id"] for n in data["nodes"]].index(case["hypotheses"][0])]
    hyp["lhs"] = json.loads(json.dumps(hyp["lhs"]).replace('"@xs1"', '"@xs"'))
    assert not check_graph(data).ok
    # induction over the naturals' constructors for a list variable
    data = json.loads(open(lrun["graph"]).read())
    ind = next(n for n in data["nodes"] if n["type"] == "induction" and n["variable"] == "xs")
    case = next(n for n in data["nodes"] if n["id"] in ind["cases"] and n["constructor"] == "nil")
    case["constructor"] = "0"
    assert not check_graph(data).ok


def test_cli_prove_lists_json(tmp_path, capsys):
    from discover.cli import main
    assert main(["prove", "lists", "--seconds", "60", "--json", "--out", str(tmp_path)]) == 0
    stated = {t["statement"] for t in json.loads(capsys.readouterr().out)["theorems"]}
    assert {"app(xs, nil) = xs", "app(app(xs, ys), zs) = app(xs, app(ys, zs))",
            "(len(xs) + len(ys)) = len(app(xs, ys))"} <= stated
    assert main(["check", str(tmp_path / "lists.json"), "--axioms", "lists"]) == 0
