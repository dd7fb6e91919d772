"""Every kind in `discover show`, `discover export` and `discover report`, and in Jupyter.

The store is the schema-1 fixture (PCFs, evolved programs, theorems), upgraded in place to
schema 2 when first opened: the shapes the engine's generators write.
"""

from __future__ import annotations

import html.parser
import json
import shutil
from pathlib import Path

import networkx as nx
import pytest

from discover import hookimpl
from discover.api import export
from discover.cli import main
from discover.pluginmanager import get_plugin_manager
from discover.reporting import columns, write_report
from discover.store import DiscoveryRecord, Store

FIXTURE = Path(__file__).parent / "data" / "store_schema1.sqlite"


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("show") / "s.sqlite"
    shutil.copy(FIXTURE, path)
    with Store(path):          # upgrades schema 1 -> 2 in place
        pass
    return path


@pytest.fixture(scope="module")
def plugins():
    return get_plugin_manager(autoload=False)


@pytest.fixture(scope="module")
def records(store):
    with Store(store, readonly=True) as st:
        recs = st.discoveries()
    return {k: [r for r in recs if r.kind == k] for k in ("pcf", "program", "theorem")}


def _show(capsys, monkeypatch, *args) -> str:
    monkeypatch.setenv("COLUMNS", "250")
    assert main(["show", *args]) == 0
    return capsys.readouterr().out


# ---------------------------------------------------------------------------------------------
# show
# ---------------------------------------------------------------------------------------------
def test_columns_are_each_kinds_own(records, plugins):
    labels = {k: [label for _, label in columns(k, recs, plugins)] for k, recs in records.items()}
    assert labels["pcf"] == ["id", "constant", "formula", "value", "digits", "digits/term",
                             "delta", "method"]
    assert labels["program"][:6] == ["id", "function", "interval", "ops", "max rel error",
                                     "bound"]
    assert labels["program"][-1] == "method" and "digits" not in labels["program"]
    assert labels["theorem"][:5] == ["id", "statement", "method", "steps", "checked"]
    assert "digits" not in labels["theorem"]
    # the listing of `discover show` keeps each kind's usual columns
    compact = {k: [label for _, label in columns(k, recs, plugins, compact=True)]
               for k, recs in records.items()}
    assert compact["program"] == ["id", "function", "interval", "ops", "max rel error", "bound",
                                  "method"]
    assert compact["theorem"] == ["id", "statement", "method", "steps", "checked"]
    assert compact["pcf"] == labels["pcf"]


def test_show_prints_one_table_per_kind(store, capsys, monkeypatch):
    out = _show(capsys, monkeypatch, "--store", str(store))
    assert "48 discoveries" in out
    assert "Formulas (pcf): 10" in out and "Programs (program): 4" in out
    assert "Theorems (theorem): 34" in out
    for header in ("digits/term", "delta", "max rel error", "bound", "interval", "statement",
                   "checked"):
        assert header in out
    assert "1/(e - 1)" in out and "8.673e-04" in out and "(0 + x) = x" in out
    assert "[0, 1]" in out                      # the program's interval


def test_show_one_discovery_of_each_kind(store, capsys, monkeypatch):
    out = _show(capsys, monkeypatch, "--store", str(store), "--id", "1")
    assert "PCF(n, n)" in out and "digits/term" in out
    out = _show(capsys, monkeypatch, "--store", str(store), "--id", "14")
    assert "max rel error" in out and "def f(x):" in out
    out = _show(capsys, monkeypatch, "--store", str(store), "--id", "15")
    assert "(0 * x) = 0" in out and "induction" in out and "checked" in out


def test_show_json_stays_a_flat_list_with_every_kind(store, capsys, monkeypatch):
    rows = json.loads(_show(capsys, monkeypatch, "--store", str(store), "--json"))
    by_kind = {r["kind"]: r for r in rows}
    pcf = by_kind["pcf"]
    assert {"a", "b", "constant", "expression", "digits", "convergence_rate", "delta", "id",
            "key", "text", "runs"} <= set(pcf)
    prog = by_kind["program"]
    assert {"function", "interval", "ops", "max_rel_error", "bound", "python"} <= set(prog)
    assert "digits" not in prog
    thm = by_kind["theorem"]
    assert {"statement", "method", "steps", "checked"} <= set(thm) and "digits" not in thm


def test_show_generic_kind_prints_its_measures(tmp_path, capsys, monkeypatch, plugins):
    path = tmp_path / "w.sqlite"
    with Store(path) as st:
        run = st.create_run("widgets", "widget", "h", {}, "1", 1)
        rec = DiscoveryRecord(kind="widget", key="widget:1", params={"size": 3}, digits=None,
                              text="w <b>&amp;", latex="w", measures={"speed": 3.5,
                                                                     "fuel_used": 12},
                              method="bench")
        g = nx.DiGraph()
        g.add_node("discovery", type="discovery")
        st.record_shard(run, 0, [(rec, g)])
        recs = st.discoveries()
    labels = [label for _, label in columns("widget", recs, plugins)]
    assert labels == ["id", "formula", "fuel used", "speed", "method"]   # stored sorted
    out = _show(capsys, monkeypatch, "--store", str(path))
    assert "speed" in out and "3.5" in out and "bench" in out
    report = write_report(path, tmp_path / "w.html", plugins=plugins).read_text()
    assert "w &lt;b&gt;&amp;amp;" in report and "w <b>" not in report
    assert "id='d1'" in report and "id='kind-widget'" in report


def test_show_failed_lists_failed_rounds_and_shards(tmp_path, capsys, monkeypatch):
    path = tmp_path / "f.sqlite"
    with Store(path) as st:
        run = st.create_run("evo", "program", "h", {}, "1", 0, mode="rounds")
        st.record_unit(run, 0, [], unit="round", state={"generator": {}, "finished": False})
        st.record_unit(run, 1, [], unit="round", error="Traceback\nValueError: island 3 broke")
        run2 = st.create_run("pi", "pcf", "h2", {}, "1", 2)
        st.record_shard(run2, 1, [], error="Traceback\nZeroDivisionError: shard bug")
    out = _show(capsys, monkeypatch, "--store", str(path), "--failed")
    assert f"run {run} round 1:" in out and "island 3 broke" in out
    assert f"run {run2} shard 1:" in out and "shard bug" in out
    rows = json.loads(_show(capsys, monkeypatch, "--store", str(path), "--failed", "--json"))
    assert [(r["unit"], r.get("round", r.get("shard"))) for r in rows] == [("shard", 1),
                                                                          ("round", 1)]
    out = _show(capsys, monkeypatch, "--store", str(path))
    assert "1 rounds, 1 failed" in out


# ---------------------------------------------------------------------------------------------
# export
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", ["json", "graphml"])
def test_export_every_kind(store, tmp_path, plugins, fmt):
    paths = export(store, tmp_path / fmt, fmt=fmt, plugins=plugins)
    assert len(paths) == 48 and all(p.stat().st_size > 0 for p in paths)
    theorem = tmp_path / fmt / f"discovery-15.{fmt}"
    if fmt == "graphml":
        g = nx.read_graphml(theorem)
    else:
        g = nx.node_link_graph(json.loads(theorem.read_text()), edges="links")
    assert any(d.get("type") == "theorem" for _, d in g.nodes(data=True))


# ---------------------------------------------------------------------------------------------
# report
# ---------------------------------------------------------------------------------------------
class _DOM(html.parser.HTMLParser):
    """Ids, local links, and the ids of the elements each kind's section contains."""

    def __init__(self):
        super().__init__()
        self.ids: set[str] = set()
        self.links: list[str] = []
        self.stack: list[tuple[str, str | None]] = []
        self.inside: dict[str, set[str]] = {}     # section id -> tags and ids inside it

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(a["id"])
        if tag == "a" and (a.get("href") or "").startswith("#"):
            self.links.append(a["href"][1:])
        for _, sid in self.stack:
            if sid and sid.startswith("kind-"):
                self.inside.setdefault(sid, set()).update({tag, f"#{a.get('id')}"})
        if tag not in ("br", "meta", "img", "input", "hr"):
            self.stack.append((tag, a.get("id")))

    def handle_endtag(self, tag):
        while self.stack:
            if self.stack.pop()[0] == tag:
                break


@pytest.fixture(scope="module")
def report(store, plugins, tmp_path_factory):
    out = tmp_path_factory.mktemp("report") / "all.html"
    assert main(["report", "--store", str(store), "--html", str(out)]) == 0
    dom = _DOM()
    dom.feed(out.read_text())
    return out, dom


def test_report_has_a_section_per_kind(report, records):
    out, dom = report
    assert {"kind-pcf", "kind-program", "kind-theorem"} <= dom.ids
    for kind, recs in records.items():
        for r in recs:
            assert f"#d{r.id}" in dom.inside[f"kind-{kind}"], (kind, r.id)
    assert "svg" in dom.inside["kind-pcf"]                   # convergence and provenance
    text = out.read_text()
    assert "<script" not in text and "href='http" not in text and "src='http" not in text


def test_report_pareto_plot_next_to_the_baselines(report):
    out, dom = report
    inside = dom.inside["kind-program"]
    assert "#pareto-exp2-0-1" in inside and "svg" in inside
    text = out.read_text()
    section = text[text.index("id='kind-program'"):text.index("id='kind-theorem'")]
    assert "baseline" in section and "minimax" in section and "taylor" in section
    assert "def f(x):" in section                             # the programs' code


def test_report_theorems_link_to_their_proofs(report, records):
    out, dom = report
    for r in records["theorem"]:
        assert f"proof-{r.id}" in dom.links and f"proof-{r.id}" in dom.ids
    missing = [h for h in dom.links if h not in dom.ids]
    assert not missing, missing[:5]
    text = out.read_text()
    assert "(0 * x) = 0" in text and "induction on" in text and "axiom:mul_S" in text


def test_a_failing_report_section_is_named_and_the_core_renders_instead(store, tmp_path):
    class Broken:
        @hookimpl
        def discover_report_section(self, kind, records, store):
            raise RuntimeError("section bug")

    pl = get_plugin_manager(autoload=False, extra=[Broken()])
    text = write_report(store, tmp_path / "r.html", plugins=pl).read_text()
    assert "section bug" in text and "discover_report_section raised" in text
    assert "id='proof-15'" in text and "id='pareto-exp2-0-1'" in text   # the others still work
    assert text.count("id='d1'") == 1


# ---------------------------------------------------------------------------------------------
# Jupyter
# ---------------------------------------------------------------------------------------------
def test_reprs_render_html_with_the_formula(records):
    from discover.engine import RunSummary
    from discover.generator import Verdict
    from discover_plugins.cf.pcf import PCF
    from discover_plugins.evolve.program import Program

    pcf = PCF([2, 1], [1, 0, 0])._repr_html_()
    assert "PCF(2*n + 1, n**2)" in pcf and "cfrac" in pcf
    prog = records["program"][-1]
    p = Program.from_dict(prog.params["program"])._repr_html_()
    assert "4 ops" in p and "def f(x):" in p and "&lt;" not in p
    rec = records["pcf"][0]._repr_html_()
    assert "PCF(n, n)" in rec and "1/(e - 1)" in rec
    thm = records["theorem"][0]._repr_html_()
    assert "(0 * x) = 0" in thm
    v = Verdict(equal=False, digits=0, required=0, method="proof checker", reason="bad <step>",
                measures={"steps": 4})._repr_html_()
    assert "NOT EQUAL" in v and "bad &lt;step&gt;" in v and "steps" in v
    s = RunSummary(run_id=1, store="s", search={}, status="complete", shards_total=1,
                   shards_done=1, shards_failed=0, shards_this_session=1, candidates=1,
                   seconds=1.0, discoveries=records["program"], new_discoveries=4,
                   stats={})._repr_html_()
    assert "run 1" in s and "(x + 0.964398)" in s
