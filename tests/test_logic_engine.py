"""Theorem proving on the engine: kind ``theorem`` in rounds, every proof checked before storing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import discover
from discover.api import load, run
from discover.engine import run_search
from discover.provenance import graph_to_json
from discover.store import Store
from discover_plugins.logic.checker import check_graph

ROOT = Path(__file__).resolve().parents[1]
COMM = "(x + y) = (y + x)"


def search(rounds=4, **more):
    return {"search": {"name": "peano-test", "kind": "theorem", "workers": 1},
            "generator": {"axioms": "peano", "seconds": 600, "rounds": rounds, **more}}


def statements(summary):
    return sorted(d.params["statement"] for d in summary.discoveries)


@pytest.fixture(scope="module")
def honest(tmp_path_factory):
    path = tmp_path_factory.mktemp("honest") / "s.sqlite"
    return run(search(), store=path, workers=1), path


def test_peano_search_stores_checked_theorems(honest):
    summary, path = honest
    assert summary.status == "complete" and summary.mode == "rounds"
    assert summary.rounds_done == 4
    stated = statements(summary)
    assert COMM in stated and "(0 + x) = x" in stated and len(stated) >= 15
    for d in summary.discoveries:
        assert d.kind == "theorem" and d.digits is None
        assert d.measures["checked"] is True
        assert d.measures["method"] in ("induction", "rewrite", "direct")
        assert d.measures["steps"] >= 1
        assert "checker" in d.method or "checker" in d.verdict.get("method", "")
        assert d.verdict["equal"] is True


def test_show_json_gives_statement_method_steps_checked(honest, capsys):
    from discover.cli import main

    _, path = honest
    assert main(["show", "--store", str(path), "--kind", "theorem", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    row = next(r for r in rows if r["statement"] == COMM)
    assert row["method"] == "induction" and row["checked"] is True and row["steps"] >= 3
    assert "digits" not in row


def test_provenance_holds_the_proof_and_checks(honest, tmp_path):
    from discover.cli import main

    summary, path = honest
    rec = next(d for d in summary.discoveries if d.params["statement"] == COMM)
    with Store(path, readonly=True) as st:
        g = st.provenance(rec.id)
    types = {d.get("type") for _, d in g.nodes(data=True)}
    assert {"theorem", "induction", "step", "axiom", "discovery", "verdict"} <= types
    assert g.has_edge(g.graph["proof_of"], "discovery")
    rep = check_graph(json.loads(graph_to_json(g)))
    assert rep.ok and COMM in rep.verified, rep.errors[:3]
    # discover export writes it; discover check --json verifies the exported file
    assert main(["export", "--store", str(path), "--out", str(tmp_path / "x"), "--id",
                 str(rec.id)]) == 0
    out = tmp_path / "x" / f"discovery-{rec.id}.json"
    assert out.exists()
    assert main(["check", str(out), "--axioms", "peano"]) == 0


def test_check_json(honest, tmp_path, capsys):
    from discover.cli import main

    summary, path = honest
    rec = next(d for d in summary.discoveries if d.params["statement"] == COMM)
    with Store(path, readonly=True) as st:
        data = json.loads(graph_to_json(st.provenance(rec.id)))
    good = tmp_path / "good.json"
    good.write_text(json.dumps(data))
    assert main(["check", str(good), "--json"]) == 0
    obj = json.loads(capsys.readouterr().out)
    assert obj["valid"] is True and COMM in obj["theorems"] and obj["steps"] > 0
    assert obj["errors"] == []
    step = next(n for n in data["nodes"] if n.get("type") == "step" and n["substitution"])
    k = sorted(step["substitution"])[0]
    step["substitution"][k] = ["S", step["substitution"][k]]
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data))
    assert main(["check", str(bad), "--json"]) == 1
    obj = json.loads(capsys.readouterr().out)
    assert obj["valid"] is False and obj["errors"]


def test_resume_gives_the_same_theorems(honest, tmp_path):
    summary, _ = honest
    pl = discover.api.plugins()
    s = load(search(), plugins=pl)
    with Store(tmp_path / "r.sqlite") as st:
        part = run_search(s, store=st, plugins=pl, workers=1, max_rounds=2)
        assert part.status == "partial" and part.rounds_done == 2
        rest = run_search(s, store=st, plugins=pl, workers=1)
        assert rest.resumed and rest.run_id == part.run_id and rest.status == "complete"
        assert rest.rounds_done == 4
        a = st.last_round(rest.run_id)[1]["generator"]
    assert statements(rest) == statements(summary)
    with Store(honest[1], readonly=True) as st:
        b = st.last_round(summary.run_id)[1]["generator"]
    assert [t["statement"] for t in a["theorems"]] == [t["statement"] for t in b["theorems"]]
    assert a["pos"] == b["pos"] and a["pending"] == b["pending"]


def test_proof_stage_hits_on_a_second_run(tmp_path):
    path = tmp_path / "h.sqlite"
    first = run(search(rounds=3), store=path, workers=1)
    second = run(search(rounds=3), store=path, workers=1, new_run=True)
    assert second.run_id != first.run_id
    assert statements(second) == statements(first)
    ht1, ht2 = first.stats["hash_table"]["proof"], second.stats["hash_table"]["proof"]
    assert ht1["hits"] == 0 and ht2["hits"] > 0
    with Store(path, readonly=True) as st:
        assert st.hash_table_size().get("proof", 0) > 0


def test_a_corrupted_proof_is_rejected_and_never_stored(honest, tmp_path, monkeypatch):
    from discover_plugins.logic import prover as P

    original = P.Prover.prove_induction

    def corrupt(self, lhs, rhs):
        proof = original(self, lhs, rhs)
        if proof is not None and P.show(lhs) == "(x + y)" and P.show(rhs) == "(y + x)":
            step = next(s for c in proof.cases for s in c.chain.left + c.chain.right if s.sigma)
            k = sorted(step.sigma)[0]
            step.sigma[k] = ("S", step.sigma[k])        # a wrong substitution
        return proof

    monkeypatch.setattr(P.Prover, "prove_induction", corrupt)
    path = tmp_path / "c.sqlite"
    summary = run(search(), store=path, workers=1)
    stored = statements(summary)
    assert COMM in statements(honest[0]) and COMM not in stored
    assert summary.stats["rejected"] >= 1
    assert stored and set(stored) < set(statements(honest[0]))
    with Store(path, readonly=True) as st:
        for d in st.discoveries(kind="theorem"):
            assert check_graph(json.loads(graph_to_json(st.provenance(d.id)))).ok
        state = st.last_round(summary.run_id)[1]["generator"]
    # the generator proved it (its state holds it); the checker refused it
    assert COMM in [t["statement"] for t in state["theorems"]]


def test_verify_rejects_a_proof_of_another_statement(honest):
    from discover_plugins.logic.theorems import TheoremCandidate, TheoremGenerator

    summary, path = honest
    rec = next(d for d in summary.discoveries if d.params["statement"] == COMM)
    with Store(path, readonly=True) as st:
        g = st.provenance(rec.id)
    node = g.graph["proof_of"]
    data = json.loads(graph_to_json(g))
    gen = TheoremGenerator()
    from discover_plugins.logic import load_theory
    from discover_plugins.logic.theorems import theory_digest

    digest = theory_digest(load_theory("peano"))
    ok = TheoremCandidate(COMM, "peano", "peano", digest, "induction", 5, 0.0, node, data)
    assert gen.verify(ok, None, 100).equal
    wrong = TheoremCandidate("(x * y) = (y * x)", "peano", "peano", digest, "induction", 5, 0.0,
                             node, data)
    v = gen.verify(wrong, None, 100)
    assert not v.equal and "not (x * y) = (y * x)" in v.reason


def test_search_files_run_and_bad_axioms_are_named(tmp_path):
    from discover.cli import main
    from discover.errors import SearchFileError

    pl = discover.api.plugins()
    for name in ("peano", "lists"):
        s = load(ROOT / "searches" / f"{name}.toml", plugins=pl)
        assert s.kind == "theorem" and s.params["axioms"] == name and s.params["theory"]
    path = tmp_path / "f.sqlite"
    assert main(["run", str(ROOT / "searches" / "peano.toml"), "--store", str(path), "--quiet",
                 "--set", "generator.rounds=1"]) == 0
    with Store(path, readonly=True) as st:
        assert len(st.discoveries(kind="theorem")) >= 3
    with pytest.raises(SearchFileError, match="generator.axioms"):
        load(search() | {"generator": {"axioms": "no-such-theory"}}, plugins=pl)
