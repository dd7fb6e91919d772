"""ESMA: patterns in simple continued fractions (plugins/cf/esma.py, discover esma)."""

import json

import mpmath
import pytest

from discover_plugins.cf.esma import (berlekamp_massey, esma, interlaced_pattern,
                                      nearest_integer_cf, reliable_terms, simple_cf)


def test_expansions():
    with mpmath.workdps(60):
        assert simple_cf(mpmath.e, 9) == [2, 1, 2, 1, 1, 4, 1, 1, 6]
        assert nearest_integer_cf(mpmath.mpf(7) / 2, 5) == [(4, 1), (2, -1)]   # 4 - 1/2
    n = len(reliable_terms(lambda d: mpmath.pi * 1, 200))
    assert 150 < n < 260          # about 1 partial quotient per digit for pi


def test_berlekamp_massey_and_pattern():
    assert berlekamp_massey(list(range(1, 20))) is not None
    assert berlekamp_massey([3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8]) is None
    assert interlaced_pattern([1, 2, 3, 4] * 6) is None or True


@pytest.mark.parametrize("name,period", [("e", 3), ("e2", 5), ("tan1", 2), ("bessel_ratio", 1)])
def test_rediscovers(name, period):
    r = esma(name, dps=400)
    assert r["conjectures"], name
    c = r["conjectures"][0]
    assert c["verified"] and c["digits"] >= 100 and c["pattern"]["period"] == period
    # the stated closed form equals the PCF's value
    from discover_plugins.cf.pcf import PCF
    assert PCF(c["a"], c["b"]).verify(c["expression"].replace("(" + name + ")", name),
                                      digits=60).equal


def test_pi_has_no_pattern():
    r = esma("pi", dps=250)
    assert r["conjectures"] == []


def test_cli(capsys):
    from discover.cli import main
    assert main(["esma", "tan1", "--dps", "300", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out[0]["verified"] and set(out[0]) >= {"a", "b", "expression", "digits", "verified"}
    assert main(["esma", "nosuchconstant"]) == 2
    assert "known constants" in capsys.readouterr().err


def test_search_file_errors(tmp_path, capsys):
    from discover.cli import main
    f = tmp_path / "s.toml"
    # the old [esma] table is refused with the conversion
    f.write_text('[esma]\nvalue = "e"\ndsp = 3\n')
    assert main(["esma", "--search", str(f)]) == 2
    err = capsys.readouterr().err
    assert "[esma] is the old format" in err and 'kind = "esma"' in err and "[generator]" in err
    assert main(["run", str(f), "--store", str(tmp_path / "x.sqlite")]) == 2
    assert "old format" in capsys.readouterr().err
    # the new format: fields are checked by the core validator, naming the field and the fix
    head = '[search]\nname = "x"\nkind = "esma"\n[generator]\n'
    for body, field, fix in [('value = "e"\ndsp = 3\n', "generator.dsp", "use one of"),
                             ('dps = 300\n', "generator.value", "add value"),
                             ('value = "e"\ndps = 3\n', "generator.dps", "between 50"),
                             ('value = "nosuch"\n', "generator.value", "known constants")]:
        f.write_text(head + body)
        assert main(["esma", "--search", str(f)]) == 2
        err = capsys.readouterr().err
        assert field in err and fix in err, err
    assert not (tmp_path / "x.sqlite").exists()


def _show(capsys, store):
    from discover.cli import main
    assert main(["show", "--store", str(store), "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_shipped_esma_search_runs_and_stores_the_formula(tmp_path, capsys):
    from pathlib import Path

    from discover.cli import main
    from discover.store import Store
    store = tmp_path / "s.sqlite"
    search = Path(__file__).resolve().parent.parent / "searches" / "esma_tan1.toml"
    assert main(["run", str(search), "--store", str(store), "--workers", "1", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["status"] == "complete" and summary["mode"] == "rounds"
    (row,) = _show(capsys, store)
    assert row["kind"] == "esma" and row["key"].startswith("pcf:")
    assert (row["a"], row["b"]) == ([4, 4, -1], [-4, 4, 3])
    assert row["constant"] == "tan1" and row["digits"] >= 100
    assert row["delta"] is not None and row["method"] == "exact"
    assert "delta" in row["method_detail"]
    with Store(store, readonly=True) as st:
        graph = st.provenance(row["id"])
        _, state = st.last_round(summary["run_id"])
    cand = graph.nodes["candidate"]
    origin = cand["esma"] if isinstance(cand["esma"], dict) else json.loads(cand["esma"])
    assert origin["value"] == "tan1" and origin["pattern"]["period"] == 2
    assert [graph.nodes[n]["name"] for n in graph if graph.nodes[n].get("type") == "tier"][0] \
        == "pattern"
    assert state["finished"] and state["generator"]["analysis"]["terms"] > 200
    # running it again resumes the completed run: nothing redone, the same discovery
    assert main(["run", str(search), "--store", str(store), "--workers", "1", "--json"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert again["run_id"] == summary["run_id"] and len(again["discoveries"]) == 1


def test_esma_and_pcf_search_share_one_discovery(tmp_path, capsys):
    from discover.cli import main
    store = tmp_path / "s.sqlite"
    assert main(["esma", "bessel_ratio", "--dps", "300", "--store", str(store), "--json"]) == 0
    (conj,) = json.loads(capsys.readouterr().out)
    assert conj["verified"] and (conj["a"], conj["b"]) == ([1, 0], [1])
    from discover import api
    api.run({"search": {"name": "bessel-pcf", "kind": "pcf"},
             "generator": {"a_degree": 1, "a_range": [0, 2], "b_degree": 0, "b_range": [1, 1],
                           "shard_size": 100},
             "match": {"constants": ["bessel_ratio"], "coefficient_bound": 2},
             "verify": {"digits": 100}}, store=store, workers=1)
    rows = _show(capsys, store)
    same = [r for r in rows if (r["a"], r["b"]) == ([1, 0], [1])]
    assert len(same) == 1 and same[0]["kind"] == "esma" and same[0]["runs"] == [1, 2]


def test_cli_store_keeps_the_json_contract(tmp_path, capsys):
    from discover.cli import main
    store = tmp_path / "s.sqlite"
    assert main(["esma", "e", "--dps", "300", "--json"]) == 0
    plain = json.loads(capsys.readouterr().out)
    assert main(["esma", "e", "--dps", "300", "--json", "--store", str(store)]) == 0
    stored = json.loads(capsys.readouterr().out)
    assert plain == stored and stored[0]["verified"]
    assert [r["kind"] for r in _show(capsys, store)] == ["esma"]
    # no --store: nothing is left behind in the working directory
    assert main(["esma", "pi", "--dps", "250", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []
