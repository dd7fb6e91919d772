"""Evolve plugin: the command-line contract, the store and bad input."""

import json
import math

import pytest

from discover.cli import main
from discover.store import Store


def test_cli_json_contract_and_store(tmp_path, capsys):
    db = tmp_path / "s.sqlite"
    rc = main(["evolve", "exp", "--interval", "0", "1", "--max-ops", "5", "--seconds", "2",
               "--seed", "1", "--workers", "1", "--json", "--store", str(db)])
    assert rc == 0
    out = json.loads(capsys.readouterr().out)
    front = out["front"]
    assert front and 0 <= out["stats"]["cache_hit_rate"] <= 1
    errs = [f["max_rel_error"] for f in front]
    assert [f["ops"] for f in front] == sorted({f["ops"] for f in front})
    assert errs == sorted(errs, reverse=True)
    for f in front:
        assert f["ops"] <= 5 and math.isfinite(f["max_rel_error"])
        assert f["bound"] is None or f["bound"] >= f["max_rel_error"]
        ns = {}
        exec(f["python"], {"__builtins__": {}}, ns)
        assert abs(ns["f"](0.5) / math.exp(0.5) - 1) <= f["max_rel_error"] * 1.0001
    assert any(b["method"] == "minimax" for b in out["baselines"])
    # ops 4 beats the degree-2 minimax polynomial (5.15e-3) with a rational
    assert min(f["max_rel_error"] for f in front if f["ops"] <= 4) < 5.15e-3
    assert out["stats"]["seeds"] > 0 and out["stats"]["rounds"] >= 2 and out["history"]
    with Store(db) as st:
        recs = st.discoveries(kind="program")
        assert {f["discovery"] for f in front} <= {r.id for r in recs}
        assert all(r.digits is None and r.measures["max_rel_error"] is not None for r in recs)
        g = st.provenance(recs[0].id)
        assert "discovery" in g and g.number_of_nodes() >= 3
        assert any(d.get("type") == "ancestor" for _, d in g.nodes(data=True))


def test_cli_generations_run_is_reproducible_and_resumes_from_its_store(tmp_path, capsys):
    db = tmp_path / "s.sqlite"
    argv = ["evolve", "exp", "--interval", "0", "1", "--max-ops", "5", "--generations", "15",
            "--rounds", "2", "--seed", "2", "--workers", "1", "--json"]
    assert main(argv + ["--store", str(db)]) == 0
    first = json.loads(capsys.readouterr().out)
    assert main(argv) == 0                       # a temporary store: a new run
    second = json.loads(capsys.readouterr().out)
    key = [(f["ops"], f["max_rel_error"], f["python"]) for f in first["front"]]
    assert key == [(f["ops"], f["max_rel_error"], f["python"]) for f in second["front"]]
    assert first["stats"]["children"] == 2 * 2 * 15
    assert main(argv + ["--store", str(db)]) == 0     # the same search: resumed (nothing to do)
    again = json.loads(capsys.readouterr().out)
    assert again["run"] == first["run"] and [(f["ops"], f["python"]) for f in again["front"]] \
        == [(f["ops"], f["python"]) for f in first["front"]]


@pytest.mark.parametrize("argv,needle", [
    (["evolve", "nosuch", "--interval", "0", "1"], "valid choices"),
    (["evolve", "log1p", "--interval", "-2", "1"], "x > -1"),
    (["evolve", "exp", "--interval", "0", "1", "--max-ops", "1"], "minimum"),
    (["evolve", "exp", "--interval", "0", "1", "--seconds", "0.1"], "minimum"),
])
def test_cli_bad_input(argv, needle, capsys):
    assert main(argv) == 2
    assert needle in capsys.readouterr().err


def test_search_file_validation(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    head = '[search]\nname = "x"\nkind = "program"\n[generator]\ninterval = [0.0, 1.0]\n'
    bad.write_text(head + 'function = "exp"\nmax_ops = "ten"\n')
    assert main(["evolve", "--search", str(bad)]) == 2
    assert "generator.max_ops" in capsys.readouterr().err
    bad.write_text(head + 'functoin = "exp"\n')
    assert main(["evolve", "exp", "--search", str(bad)]) == 2
    assert "generator.functoin" in capsys.readouterr().err
    # the old format is refused with the way to convert it
    bad.write_text('[evolve]\nfunction = "exp"\ninterval = [0.0, 1.0]\n')
    assert main(["evolve", "--search", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "old format" in err and "[generator]" in err and 'kind = "program"' in err


def test_shipped_search_file_parses():
    from pathlib import Path

    from discover_plugins.evolve.cli import read_search

    s = read_search(str(Path(__file__).parent.parent / "searches" / "exp2_programs.toml"))
    assert s["search"]["kind"] == "program"
    assert s["generator"]["function"] == "exp2" and s["generator"]["interval"] == [0.0, 1.0]
