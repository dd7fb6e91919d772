"""A behaviour test for every hook of discover/hookspecs.py (generators are covered by
test_plugins.py and the guide): what a plugin registers is actually used."""

from __future__ import annotations

import json

import mpmath
import pytest

import discover
from discover import Constant, hookimpl
from discover import hookspecs
from discover.pluginmanager import get_plugin_manager

SMALL = {
    "search": {"name": "hooks-pi", "kind": "pcf"},
    "generator": {"a_degree": 1, "a_range": [-5, 5], "b_degree": 2, "b_range": [-5, 5],
                  "depth": 100, "shard_size": 5000},
    "match": {"constants": ["pi"], "coefficient_bound": 8},
    "verify": {"digits": 50},
}


def test_every_hookspec_has_a_behaviour_test_here():
    specs = {n for n in dir(hookspecs) if n.startswith("discover_")}
    covered = {"discover_generators", "discover_constants", "discover_identification_basis",
               "discover_on_discovery", "discover_exporters", "discover_public_names",
               "discover_add_commands", "discover_report_section"}
    assert specs == covered, specs ^ covered


class Listener:
    __name__ = "listener"

    def __init__(self):
        self.calls = []
        self.basis_asked = []

    @hookimpl
    def discover_on_discovery(self, discovery, run_id, is_new):
        self.calls.append((discovery.key, run_id, is_new))

    @hookimpl
    def discover_identification_basis(self, constant):
        self.basis_asked.append(constant)
        return []


def test_on_discovery_once_per_new_discovery_and_not_new_on_a_repeat(tmp_path):
    lis = Listener()
    pl = get_plugin_manager(autoload=False, extra=[lis])
    store = tmp_path / "s.sqlite"
    first = discover.run(SMALL, store=store, workers=1, plugins=pl)
    assert first.status == "complete" and first.new_discoveries > 0
    keys = [k for k, _, new in lis.calls if new]
    assert len(keys) == len(set(keys)) == first.new_discoveries
    assert sorted(keys) == sorted(d.key for d in discover.show(store))
    assert all(run == first.run_id for _, run, _ in lis.calls)
    assert "pi" in lis.basis_asked            # the run asked for the identification basis
    lis.calls.clear()
    again = discover.run(SMALL, store=store, workers=1, plugins=pl, new_run=True)
    assert again.run_id != first.run_id and again.new_discoveries == 0
    assert lis.calls and all(new is False for _, _, new in lis.calls)
    assert {k for k, _, _ in lis.calls} == set(keys)
    # resuming the completed run computes nothing and announces nothing
    lis.calls.clear()
    discover.run(SMALL, store=store, workers=1, plugins=pl)
    assert lis.calls == []


def test_exporters_are_registered_and_used_by_discover_export(tmp_path, monkeypatch, capsys):
    written = []

    class Exp:
        __name__ = "exporterplugin"

        @hookimpl
        def discover_exporters(self):
            def write(graph, path):
                written.append(path)
                path.write_text(f"nodes={graph.number_of_nodes()}\n")
            return [("nodecount", write)]

    pl = get_plugin_manager(autoload=False, extra=[Exp()])
    assert "nodecount" in pl.exporters
    store = tmp_path / "s.sqlite"
    discover.run(SMALL, store=store, workers=1, plugins=pl)
    paths = discover.export(store, tmp_path / "out", fmt="nodecount", plugins=pl)
    assert paths and all(p.read_text().startswith("nodes=") for p in paths)
    # and through the command line
    import discover.pluginmanager as pm_mod
    from discover import cli

    real = pm_mod.get_plugin_manager
    monkeypatch.setattr(pm_mod, "get_plugin_manager",
                        lambda **kw: real(**{**kw, "extra": [Exp()]}))
    written.clear()
    rc = cli.main(["export", "--store", str(store), "--format", "nodecount", "--out",
                   str(tmp_path / "cli"), "--json"])
    assert rc == 0
    out = json.loads(capsys.readouterr().out)
    assert out and len(written) == len(out) and all(p.endswith(".nodecount") for p in out)


def test_constants_added_by_a_plugin_are_usable_everywhere():
    class Const:
        __name__ = "constplugin"

        @hookimpl
        def discover_constants(self):
            return [Constant("sevenths", "pi/7", description="pi over seven")]

    pl = get_plugin_manager(autoload=False, extra=[Const()])
    assert "sevenths" in pl.constants
    with mpmath.workdps(40):
        assert abs(pl.constants.evaluate("7*sevenths", 40) - mpmath.pi) < mpmath.mpf(10) ** -35
    v = discover.verify(a="2*n+1", b="n^2", value="4/(7*sevenths)", digits=50, plugins=pl)
    assert v.equal
    s = discover.load({**SMALL, "match": {"constants": ["sevenths"]}}, plugins=pl)
    assert s.constants == ("sevenths",)


def test_identification_basis_is_used():
    class Basis:
        __name__ = "basisplugin"

        @hookimpl
        def discover_identification_basis(self, constant):
            return ["log(2)"] if constant == "pi" else []

    with mpmath.workdps(70):
        value = mpmath.nstr(mpmath.pi + 3 * mpmath.log(2), 60)
    plain = get_plugin_manager(autoload=False)
    assert discover.identify(value, constants=["pi"], plugins=plain) is None
    pl = get_plugin_manager(autoload=False, extra=[Basis()])
    assert pl.identification_basis("pi") == ["log(2)"]
    found = discover.identify(value, constants=["pi"], plugins=pl)
    assert found is not None and "log" in found.expression


def test_public_names(monkeypatch):
    marker = object()

    class Names:
        __name__ = "namesplugin"

        @hookimpl
        def discover_public_names(self):
            return {"hook_test_marker": marker, "run": "not the core run"}

    pl = get_plugin_manager(autoload=False, extra=[Names()])
    monkeypatch.setattr(discover.api, "_default_plugins", lambda: pl)
    assert discover.hook_test_marker is marker
    assert callable(discover.run)                 # a core name is never replaced
    with pytest.raises(AttributeError):
        discover.no_such_name_anywhere


def test_add_commands_through_main(monkeypatch, capsys):
    class Cmd:
        __name__ = "cmdplugin"

        @hookimpl
        def discover_add_commands(self, subparsers):
            p = subparsers.add_parser("greet", help="say hello")
            p.add_argument("--who", default="world")
            p.set_defaults(func=lambda args: print(f"hello {args.who}") or 0)

    import discover.pluginmanager as pm_mod
    from discover import cli

    real = pm_mod.get_plugin_manager
    monkeypatch.setattr(pm_mod, "get_plugin_manager",
                        lambda **kw: real(**{**kw, "extra": [Cmd()]}))
    assert cli.main(["greet", "--who", "hooks"]) == 0
    assert "hello hooks" in capsys.readouterr().out


def test_report_section_is_rendered_for_its_kind(tmp_path):
    seen = []

    class Section:
        __name__ = "sectionplugin"

        @hookimpl
        def discover_report_section(self, kind, records, store):
            seen.append((kind, len(records)))
            if kind != "pcf":
                return None
            return "<section id='hook-marker'>" + "".join(
                f"<p id='d{r.id}'>{len(store.provenance(r.id))}</p>" for r in records) + \
                "</section>"

    pl = get_plugin_manager(autoload=False, extra=[Section()])
    store = tmp_path / "s.sqlite"
    summary = discover.run(SMALL, store=store, workers=1, plugins=pl)
    page = discover.report(store, tmp_path / "r.html", plugins=pl)
    text = page.read_text()
    assert "hook-marker" in text
    assert ("pcf", len(summary.discoveries)) in seen
