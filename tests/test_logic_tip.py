"""TIP problems: the reader, the goal-directed prover, its proof rules and their checker."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from discover_plugins.logic import load_theory, minimal_laws, prove, prove_tip
from discover_plugins.logic.checker import check_file, check_tip
from discover_plugins.logic.goals import find_counterexample, proof_graph, prove_goal
from discover_plugins.logic.tip import (TipError, read_tip, read_tip_file, show_statement,
                                        show_term)

DATA = Path(__file__).parent / "data" / "tip" / "isaplanner"
HEAD = """(declare-datatype Nat ((Z) (S (p Nat))))
(declare-datatype list (par (a) ((nil) (cons (head a) (tail (list a))))))
(define-fun-rec ++ (par (a) (((x (list a)) (y (list a))) (list a)))
  (match x ((nil y) ((cons z xs) (cons z (++ xs y))))))
"""


def rules_of(p):
    return {name: f"{show_term(l)} = {show_term(r)}" for name, _, l, r in p.rules}


# ---------------------------------------------------------------- reader

def test_reader_reads_every_problem_of_the_suite():
    files = sorted(DATA.glob("*.smt2"))
    assert len(files) == 86
    for f in files:
        p = read_tip_file(f)
        assert p.goal is not None and p.rules, f.name


def test_reader_par_match_and_monomorphisation():
    p = read_tip_file(DATA / "prop_01.smt2")
    r = rules_of(p)
    assert r["def:take<a>.3"] == "take<a>(S(z), cons<a>(x2, x3)) = cons<a>(x2, take<a>(z, x3))"
    assert r["def:drop<a>.1"] == "drop<a>(Z, y) = y"
    assert show_statement(p.goal) == \
        "forall n:Nat, xs:list<a>. ++<a>(take<a>(n, xs), drop<a>(n, xs)) = xs"
    assert p.datatypes["list<a>"] == [("nil<a>", []), ("cons<a>", ["a", "list<a>"])]
    # one function at two sorts gives two instances (prop_85: len at a and at b)
    p85 = read_tip_file(DATA / "prop_85.smt2")
    assert "len<a>" in p85.sig and "len<b>" in p85.sig


def test_reader_ite_bool_lambda_at_sort_and_goal_match():
    r = rules_of(read_tip_file(DATA / "prop_02.smt2"))
    assert r["def:count.2"] == \
        "count(x, cons<Nat>(z, ys)) = ite<Nat>(==(x, z), S(count(x, ys)), count(x, ys))"
    assert r["def:ite<Nat>.1"] == "ite<Nat>(true, x, y) = x"
    p35 = read_tip_file(DATA / "prop_35.smt2")      # lambda, defunctionalised; @
    assert rules_of(p35)["def:lam1"] == "@<a,Bool>(lam1, x) = false"
    assert "dropWhile<a>(lam1, xs)" in show_statement(p35.goal)
    p12 = read_tip_file(DATA / "prop_12.smt2")      # a function-typed variable
    assert dict(p12.goal.vars)["f"] == "fun<a,b>"
    p46 = read_tip_file(DATA / "prop_46.smt2")      # declare-sort, (_ nil (pair Any b))
    assert show_statement(p46.goal) == \
        "forall xs:list<b>. zip<Any,b>(nil<Any>, xs) = nil<pair<Any,b>>"
    p48 = read_tip_file(DATA / "prop_48.smt2")      # a match inside the goal: auxiliary function
    assert rules_of(p48)["def:goal~1.1"] == "goal~1(nil<Nat>) = true"
    assert p48.goal.hyps == [(("goal~1", "xs"), ("false",))]
    p37 = read_tip_file(DATA / "prop_37.smt2")      # (not b) as the conclusion
    assert p37.goal.concl[1] == ("false",)


def test_reader_plural_datatypes_define_fun_wildcard():
    text = """(declare-datatypes ((T 0)) (((A) (B) (C (x T)))))
(define-fun isA ((t T)) Bool (match t ((A true) (_ false))))
(prove (forall ((t T)) (= (isA (C t)) false)))"""
    p = read_tip(text)
    r = rules_of(p)
    assert r["def:isA.1"] == "isA(A) = true"
    assert r["def:isA.2"] == "isA(B) = false" and r["def:isA.3"].startswith("isA(C(")


@pytest.mark.parametrize("text, words", [
    (HEAD + "(assert true)\n", ["line 5, column 1", "assert"]),
    (HEAD + "(prove (forall ((x Nat)) (= x (S x)))", ["line 5, column 1", "expected ')'"]),
    (HEAD + "(prove (forall ((x Nat)) (= (foo x) x)))", ["line 5, column 29", "unknown symbol 'foo'"]),
    (HEAD + "(prove (forall ((x Nat)) (= (let ((y x)) y) x)))", ["line 5, column 29", "unsupported construct 'let'"]),
    (HEAD + "(prove (forall ((xs (list Nat))) (= (++ xs xs) Z)))", ["sides of = have sorts"]),
])
def test_reader_refuses_with_line_and_column(text, words):
    with pytest.raises(TipError) as e:
        read_tip(text)
    for w in words:
        assert w in str(e.value)


# ---------------------------------------------------------------- prover, graph, checker

def _graph(name, seconds=5.0):
    p = read_tip_file(DATA / name)
    res = prove_goal(p, seconds=seconds)
    assert res["proved"], name
    g = proof_graph(p, res)
    rep = check_tip(g)
    assert rep.ok, rep.errors
    assert show_statement(p.goal) in rep.verified
    return g


def _find(p, by):
    """The first proof node of rule ``by`` (depth first), or None."""
    if isinstance(p, dict):
        if p.get("by") == by:
            return p
        for v in p.values():
            q = _find(v, by)
            if q is not None:
                return q
    elif isinstance(p, list):
        for v in p:
            q = _find(v, by)
            if q is not None:
                return q
    return None


def _goal_node(g):
    return next(n for n in g["nodes"] if n["kind"] == "goal")


def _change_first_step(p, change) -> bool:
    """Apply ``change`` to the first list in proof ``p`` (depth first) for which it returns True;
    whether one was changed."""
    if isinstance(p, dict):
        return any(_change_first_step(v, change) for v in p.values())
    if isinstance(p, list):
        return change(p) or any(_change_first_step(v, change) for v in p)
    return False


def _rejects(g, mutate):
    bad = copy.deepcopy(g)
    mutate(bad)
    rep = check_tip(bad)
    assert not rep.ok
    return rep.errors


def test_induction_with_split_checked_and_corruptions():
    g = _graph("prop_01.smt2")
    ind = _find(_goal_node(g)["proof"], "induction")
    assert ind is not None and _find(ind, "split") is not None

    def swap_cases(d):
        c = _find(_goal_node(d)["proof"], "induction")["cases"]
        c.reverse()
    assert "constructors" in _rejects(g, swap_cases)[0]

    def drop_split_case(d):
        _find(_goal_node(d)["proof"], "split")["cases"].pop()
    assert "constructors" in _rejects(g, drop_split_case)[0]

    def split_on_other_sort(d):
        s = _find(_goal_node(d)["proof"], "split")
        s["term"] = ["Z"]                       # a Nat, the cases are list constructors
    _rejects(g, split_on_other_sort)

    def reuse_name(d):                          # split constants must be fresh
        ind = _find(_goal_node(d)["proof"], "induction")
        s = _find(ind["cases"][1]["proof"], "split")
        s["cases"][1]["names"][0] = ind["cases"][1]["names"][0]
    assert "fresh" in _rejects(g, reuse_name)[0]

    def induction_below_root(d):
        node = _goal_node(d)
        node["proof"] = {"by": "have", "eq": [["Z"], ["Z"]], "steps": [], "then": node["proof"]}
    assert "root" in _rejects(g, induction_below_root)[0]


def test_generalised_hypothesis_checked_and_corrupted():
    # prop_06: n - (n + m) = Z; the step case uses the hypothesis at another m
    g = _graph("prop_84.smt2")
    text = json.dumps(_goal_node(g)["proof"])
    assert '"ih:0"' in text

    def wrong_sort(d):
        def change(p):
            if len(p) == 5 and p[0] == "ih:0" and p[3]:
                p[3][next(iter(p[3]))] = ["true"]   # a Bool where the hypothesis needs a Nat/list
                return True
            return False
        assert _change_first_step(_goal_node(d)["proof"], change)
    _rejects(g, wrong_sort)

    def no_ih_in_base(d):                       # the base case has no hypothesis
        ind = _find(_goal_node(d)["proof"], "induction")
        ind["cases"][0]["proof"] = ind["cases"][1]["proof"]
    _rejects(g, no_ih_in_base)


def test_have_absurd_checked_and_corrupted():
    g = _graph("prop_62.smt2")
    proof = _goal_node(g)["proof"]
    assert _find(proof, "absurd") and _find(proof, "have")

    def bad_have(d):
        h = _find(_goal_node(d)["proof"], "have")
        h["eq"][1] = ["true"] if h["eq"][1] != ["true"] else ["false"]
    _rejects(g, bad_have)

    def bad_absurd(d):
        a = _find(_goal_node(d)["proof"], "absurd")
        a["hyp"] = 0                            # the goal's hypothesis is no clash
    assert "absurd" in _rejects(g, bad_absurd)[0]


def test_injectivity_checked_and_corrupted(tmp_path):
    f = tmp_path / "inj.smt2"
    f.write_text(HEAD + "(prove (forall ((x Nat) (y Nat) (xs (list Nat)))\n"
                 "  (=> (= (cons (S x) xs) (cons (S y) xs)) (= x y))))\n")
    p = read_tip_file(f)
    res = prove_goal(p, seconds=5)
    assert res["proved"]
    g = proof_graph(p, res)
    assert check_tip(g).ok and _find(_goal_node(g)["proof"], "inj")

    def bad_inj(d):
        i = _find(_goal_node(d)["proof"], "inj")
        i["then"] = {"by": "chain", "steps": [["hyp:9", "lr", [], {}, []]]}
    _rejects(g, bad_inj)


def test_checker_compares_definitions_and_goal_with_the_source():
    g = _graph("prop_01.smt2")

    def change_definition(d):
        n = next(n for n in d["nodes"] if n["id"] == "def:drop<a>.1")
        n["rhs"] = ["nil<a>"]
    assert "definitions differ" in _rejects(g, change_definition)[0]

    def change_goal(d):
        n = _goal_node(d)
        n["stmt"]["concl"][1] = ["nil<a>"]
        n["statement"] = n["statement"][:-2] + "nil<a>"
    _rejects(g, change_goal)

    def bad_step(d):
        s = _find(_goal_node(d)["proof"], "chain")
        s["steps"][0][2] = [1, 1, 1, 1]
    _rejects(g, bad_step)


def test_lemma_discovery_lemmas_are_nodes_and_checked():
    g = _graph("prop_47.smt2")
    lemmas = [n for n in g["nodes"] if n["kind"] == "lemma"]
    assert lemmas
    assert any(link["target"] == "goal" and link["source"].startswith("lemma:")
               for link in g["links"])
    rep = check_tip(g)
    assert all(n["statement"] in rep.verified for n in lemmas)

    def cite_later_lemma(d):                    # a lemma citing itself: no cycles
        n = next(n for n in d["nodes"] if n["kind"] == "lemma")
        n["proof"] = {"by": "chain", "steps": [[n["id"], "lr", [], {}, []]]}
    _rejects(g, cite_later_lemma)


def test_false_goal_gets_a_counterexample_and_no_proof(tmp_path):
    f = tmp_path / "false.smt2"
    f.write_text(HEAD + "(prove (forall ((xs (list Nat)) (ys (list Nat)))\n"
                 "  (= (++ xs ys) (++ ys xs))))\n")
    res = prove_tip(f, seconds=3, out=str(tmp_path / "out"))
    assert res["proved"] is False and res["graph"] is None
    cex = res["counterexample"]
    assert set(cex) == {"xs", "ys"} and cex["xs"] != cex["ys"]
    assert not (tmp_path / "out").exists()
    p = read_tip_file(f)
    assert find_counterexample(p, p.goal) is not None


def test_cli_prove_and_check_json(tmp_path, capsys):
    from discover.cli import main

    assert main(["prove", str(DATA / "prop_08.smt2"), "--seconds", "5", "--json",
                 "--out", str(tmp_path)]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["proved"] is True
    assert set(d) >= {"goal", "proved", "graph", "lemmas", "seconds"}
    assert main(["check", d["graph"], "--json"]) == 0
    cj = json.loads(capsys.readouterr().out)
    assert cj["valid"] is True and d["goal"] in cj["theorems"]
    assert check_file(d["graph"]).ok
    bad = json.loads(Path(d["graph"]).read_text())
    _goal_node(bad)["proof"] = {"by": "chain", "steps": []}
    (tmp_path / "bad.json").write_text(json.dumps(bad))
    assert main(["check", str(tmp_path / "bad.json"), "--json"]) == 1
    assert json.loads(capsys.readouterr().out)["valid"] is False


def test_cli_minimal_peano(tmp_path, capsys):
    from discover.cli import main

    assert main(["prove", "peano", "--seconds", "4", "--minimal", "--json",
                 "--out", str(tmp_path)]) == 0
    d = json.loads(capsys.readouterr().out)
    m = d["minimal"]
    assert m["before"] == len(d["theorems"]) and 0 < m["after"] == len(m["laws"]) < m["before"] / 2


def test_minimal_laws_on_peano():
    th = load_theory("peano")
    res = prove(th, seconds=4, out=None, rounds=12)
    laws, before = minimal_laws(th, res["_prover"])
    assert before == len(res["theorems"]) and 0 < len(laws) < before / 2
    statements = {t["statement"] for t in res["theorems"]}
    assert set(laws) <= statements


def test_conditional_lemma_used_with_its_condition_proved():
    # prop_66: len(filter(p, xs)) <= len(xs) needs a conditional lemma (monotonicity of <=)
    g = _graph("prop_66.smt2", seconds=8)
    cond = [n for n in g["nodes"] if n["kind"] == "lemma" and n["stmt"]["hyps"]]
    assert cond

    def drop_condition_proof(d):
        def change(p):
            if len(p) == 5 and isinstance(p[0], str) and p[4]:
                p[4] = []
                return True
            return False
        assert _change_first_step([n.get("proof") for n in d["nodes"]], change)
    assert "conditions" in " ".join(_rejects(g, drop_condition_proof))


# ---------------------------------------------------------------- recursion / simultaneous induction

def _scheme_graph(name, by):
    """The goal proved by the scheme ``by`` alone (structural induction switched off)."""
    import time
    from discover_plugins.logic.goals import Prover
    p = read_tip_file(DATA / name)
    pr = Prover(p, time.monotonic() + 5).prove_statement(p.goal, structural=False)
    assert pr is not None and pr["by"] == by, name
    g = proof_graph(p, {"goal": show_statement(p.goal), "proved": True, "proof": pr,
                        "lemmas": []})
    rep = check_tip(g)
    assert rep.ok, rep.errors
    assert show_statement(p.goal) in rep.verified
    return g


def test_recursion_induction_checked_and_corrupted():
    g = _scheme_graph("prop_01.smt2", "recursion")      # take(n, xs) ++ drop(n, xs) = xs
    node = _goal_node(g)["proof"]
    assert node["fun"] in ("take<a>", "drop<a>") and node["vars"] == ["n", "xs"]
    assert len(node["cases"]) == 3 and node["cases"][2]["ihs"]   # take(S z, cons x xs)

    def drop_case(d):
        _goal_node(d)["proof"]["cases"].pop(1)
    assert "cases expected" in _rejects(g, drop_case)[0]

    def no_decrease(d):                         # a hypothesis at the case's own pattern
        c = _goal_node(d)["proof"]["cases"][2]
        c["ihs"] = [[c["ihs"][0][0], c["ihs"][0][1]]]
        c["ihs"][0][0] = ["S", [("!" + c["names"][0])]]
        c["ihs"][0][1] = ["cons<a>"] + [["!" + n] for n in c["names"][1:]]
    assert "decrease" in _rejects(g, no_decrease)[0]

    def not_subterm(d):                         # a hypothesis at an arbitrary smaller-looking term
        c = _goal_node(d)["proof"]["cases"][2]
        c["ihs"][0][1] = ["nil<a>"]
    assert "subterm" in _rejects(g, not_subterm)[0]

    def element_for_list(d):                    # a subterm, but of the element sort
        c = _goal_node(d)["proof"]["cases"][2]
        c["ihs"][0][1] = ["!" + c["names"][1]]
    assert "of sort list<a>" in _rejects(g, element_for_list)[0]

    def same_var_twice(d):
        _goal_node(d)["proof"]["vars"] = ["n", "n"]
    assert _rejects(g, same_var_twice)

    def other_function(d):                      # ++ has one case per constructor of its list
        _goal_node(d)["proof"]["fun"] = "++<a>"
    assert _rejects(g, other_function)

    def below_root(d):
        n = _goal_node(d)
        n["proof"] = {"by": "rewrite", "left": [], "right": [], "then": n["proof"]}
    assert "root" in _rejects(g, below_root)[0]


def test_simultaneous_induction_checked_and_corrupted():
    g = _scheme_graph("prop_06.smt2", "simultaneous")    # n - (n + m) = 0
    node = _goal_node(g)["proof"]
    assert node["vars"] == ["n", "m"] and len(node["cases"]) == 4
    assert [c["cons"] for c in node["cases"]] == [["Z", "Z"], ["Z", "S"], ["S", "Z"], ["S", "S"]]

    def drop_case(d):
        _goal_node(d)["proof"]["cases"].pop()
    assert "combination" in _rejects(g, drop_case)[0]

    def no_decrease(d):
        c = _goal_node(d)["proof"]["cases"][3]
        c["ihs"].append([["S", ["!" + c["names"][0]]], ["S", ["!" + c["names"][1]]]])
    assert "decrease" in _rejects(g, no_decrease)[0]

    def not_subterm(d):
        c = _goal_node(d)["proof"]["cases"][3]
        c["ihs"].append([["S", ["!" + c["names"][0]]], ["Z"]])
    assert "subterm" in _rejects(g, not_subterm)[0]

    def unknown_variable(d):
        _goal_node(d)["proof"]["vars"] = ["n", "k"]
    assert "not a variable" in _rejects(g, unknown_variable)[0]


def test_conditional_goal_by_recursion_induction_with_hypothesis_instance():
    """sorted(xs) => sorted(insort(x, xs)) (prop_77) by recursion induction along sorted,
    given the totality lemma: the instance of the conditional hypothesis at the case's tail
    becomes a hypothesis (rule ``have`` citing ih:k with its condition proved)."""
    import time
    from discover_plugins.logic.goals import Prover
    from discover_plugins.logic.tip import Statement
    p = read_tip_file(DATA / "prop_77.smt2")
    pv = Prover(p, time.monotonic() + 10)
    tot = Statement([("x", "Nat"), ("y", "Nat")], [(("<=2", "x", "y"), ("false",))],
                    (("<=2", "y", "x"), ("true",)))
    pv.add_lemma(tot, pv.prove_statement(tot))
    pr = pv.prove_statement(p.goal)
    assert pr is not None and pr["by"] == "recursion" and pr["fun"] == "sorted"
    res = {"goal": show_statement(p.goal), "proved": True, "proof": pr,
           "lemmas": [(0, tot, pv.lemmas[0][1])]}
    g = proof_graph(p, res)
    rep = check_tip(g)
    assert rep.ok, rep.errors
    assert len(rep.verified) == 2

    def ih_without_condition(d):
        def walk(q):
            if isinstance(q, dict):
                if q.get("by") == "have" and q["steps"][0][0].startswith("ih:"):
                    q["steps"][0][4] = []
                    return True
                return any(walk(v) for v in q.values())
            if isinstance(q, list):
                return any(walk(v) for v in q)
            return False
        assert walk(_goal_node(d)["proof"])
    assert "condition" in _rejects(g, ih_without_condition)[0]


def test_generalisation_of_a_common_subterm_screened_by_evaluation():
    from discover_plugins.logic.goals import generalised_conjectures
    import random
    text = (DATA / "prop_72.smt2").read_text()
    text = text[:text.index("(prove")]
    true_goal = text + "(prove (par (a) (forall ((xs (list a))) (= (++ (rev xs) (_ nil a)) (rev xs)))))"
    p = read_tip(true_goal)
    cs = generalised_conjectures(p, p.goal, [], random.Random(1))
    assert [show_statement(c) for c in cs] == ["forall g0:list<a>. ++<a>(g0, nil<a>) = g0"]
    # take(len(xs), rev(xs)) = rev(xs) holds, but its generalisation over rev(xs) does not
    false_gen = text + ("(prove (par (a) (forall ((xs (list a))) "
                        "(= (take (len xs) (rev xs)) (rev xs)))))")
    p = read_tip(false_gen)
    assert generalised_conjectures(p, p.goal, [], random.Random(1)) == []


def test_backward_step_against_a_lemma_checked():
    """take(len(xs), rev(xs)) = rev(xs): len(xs) is rewritten to len(rev(xs)) against the
    lemma len(rev(xs)) = len(xs), then take(len(ys), ys) = ys applies; a chain proof."""
    import time
    from discover_plugins.logic.goals import Prover
    from discover_plugins.logic.tip import Statement
    p = read_tip_file(DATA / "prop_72.smt2")
    L = "list<a>"
    pv = Prover(p, time.monotonic() + 10)
    lemmas = [
        Statement([("x", L), ("y", "a")], [],
                  (("len<a>", ("++<a>", "x", ("cons<a>", "y", ("nil<a>",)))),
                   ("S", ("len<a>", "x")))),
        Statement([("x", L)], [], (("len<a>", ("rev<a>", "x")), ("len<a>", "x"))),
        Statement([("x", L)], [], (("take<a>", ("len<a>", "x"), "x"), "x")),
    ]
    for st in lemmas:
        pr = pv.prove_statement(st)
        assert pr is not None, show_statement(st)
        pv.add_lemma(st, pr)
    c = Statement([("x", L)], [], (("take<a>", ("len<a>", "x"), ("rev<a>", "x")), ("rev<a>", "x")))
    assert pv.prove_statement(c, depth=1) is None          # not by rewriting and induction
    pr = pv.backward(c)
    assert pr is not None and pr["by"] == "chain" and pr["steps"][0][1] == "rl"
    # the lemma nodes are checked in order (there is no goal node here)
    res = {"goal": show_statement(p.goal), "proved": False, "proof": None,
           "lemmas": [(k, st, pv.lemmas[k][1]) for k, st in enumerate(lemmas)] +
           [(3, c, pr)]}
    g = proof_graph(p, res)
    rep = check_tip(g)
    assert show_statement(c) in rep.verified and rep.errors == ["no goal node with a proof"]

    def forward_instead(d):                     # the first step in the lemma's own direction
        n = next(x for x in d["nodes"] if x.get("statement") == show_statement(c))
        n["proof"]["steps"][0][1] = "lr"
    bad = copy.deepcopy(g)
    forward_instead(bad)
    rep = check_tip(bad)
    assert show_statement(c) not in rep.verified and "lemma:3" in rep.errors[0]
