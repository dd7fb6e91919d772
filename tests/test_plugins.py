"""Plugins load through one entry-point group; a third-party plugin installs and runs a search."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from discover import Generator, hookimpl
from discover.pluginmanager import get_plugin_manager

from conftest import install_into_target

HERE = Path(__file__).parent


def test_builtin_plugin_is_listed_with_its_hooks(plugins):
    info = {i.name: i for i in plugins.info}
    assert info["cf"].origin == "built-in"
    assert "discover_generators" in info["cf"].hooks
    assert "pcf" in plugins.generators
    assert not plugins.errors


def test_a_broken_generator_is_reported_and_the_others_keep_working():
    class Incomplete(Generator):
        kind = "broken"

    class Plugin:
        __name__ = "brokenplugin"

        @hookimpl
        def discover_generators(self):
            return [Incomplete()]

    class Other:
        __name__ = "otherplugin"

        @hookimpl
        def discover_generators(self):
            return ["not a generator"]

    pl = get_plugin_manager(autoload=False, extra=[Plugin(), Other()])
    assert "pcf" in pl.generators and "broken" not in pl.generators
    assert any("brokenplugin" in e and "abstract" in e for e in pl.errors)
    assert any("otherplugin" in e and "not an instance" in e for e in pl.errors)


def test_a_duplicate_kind_is_refused_with_the_fix():
    gen = get_plugin_manager(autoload=False).generators["pcf"]

    class Dup:
        __name__ = "dup"

        @hookimpl
        def discover_generators(self):
            return [type(gen)()]

    pl = get_plugin_manager(autoload=False, extra=[Dup()])
    assert any("already registered" in e and "choose another kind" in e for e in pl.errors)


def test_a_hook_with_a_wrong_signature_is_reported():
    class Wrong:
        __name__ = "wrongsig"

        @hookimpl
        def discover_on_discovery(self, discovery, colour):
            pass

    pl = get_plugin_manager(autoload=False, extra=[Wrong()])
    assert any("wrongsig" in e for e in pl.errors)


@pytest.fixture(scope="module")
def installed_atan(tmp_path_factory):
    """Install tests/data/atan_plugin (its own pyproject and entry point) into a target folder."""
    target = tmp_path_factory.mktemp("site")
    src = tmp_path_factory.mktemp("src") / "atan_plugin"
    shutil.copytree(HERE / "data" / "atan_plugin", src)
    return install_into_target(target, src)


def _discover(env, *args, cwd=None):
    return subprocess.run([sys.executable, "-m", "discover.cli", *args], env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=300)


def test_third_party_plugin_is_listed(installed_atan):
    out = _discover(installed_atan, "plugins", "--json")
    assert out.returncode == 0, out.stderr
    rows = {r["name"]: r for r in json.loads(out.stdout)}
    assert rows["atan"]["origin"] == "third-party"
    assert rows["atan"]["distribution"] == "discover-atan"
    assert rows["atan"]["version"] == "0.3.0"
    assert rows["atan"]["kinds"] == ["atan"]
    assert rows["cf"]["origin"] == "built-in"


def test_no_plugins_flag_keeps_only_builtins(installed_atan):
    out = _discover(installed_atan, "--no-plugins", "plugins", "--json")
    names = {r["name"] for r in json.loads(out.stdout)}
    assert "atan" not in names and "cf" in names


def test_third_party_plugin_runs_a_search(installed_atan, tmp_path):
    search = tmp_path / "atan.toml"
    search.write_text('[search]\nname = "atan"\nkind = "atan"\n\n[generator]\np_max = 40\n\n'
                      '[match]\nconstants = ["pi"]\ncoefficient_bound = 6\n\n'
                      '[verify]\ndigits = 60\n')
    store = tmp_path / "s.sqlite"
    out = _discover(installed_atan, "run", str(search), "--store", str(store), "--json",
                    "--workers", "1")
    assert out.returncode == 0, out.stderr
    shown = _discover(installed_atan, "show", "--store", str(store), "--json")
    found = json.loads(shown.stdout)
    # atan(1) = pi/4 is the one value of atan(1/p) that is a Moebius transform of pi
    assert [(d["kind"], d["p"], d["expression"]) for d in found] == [("atan", 1, "pi/4")]
    assert found[0]["digits"] >= 60


def test_a_plugin_adds_a_command_and_a_clash_is_reported(capsys):
    from discover import cli

    class Cmd:
        __name__ = "cmdplugin"

        @hookimpl
        def discover_add_commands(self, subparsers):
            p = subparsers.add_parser("hello", help="say hello")
            p.add_argument("--who", default="world")
            p.set_defaults(func=lambda args: print(f"hello {args.who}") or 0)

    class Clash:
        __name__ = "clashplugin"

        @hookimpl
        def discover_add_commands(self, subparsers):
            subparsers.add_parser("run", help="takes a core verb")

    pl = get_plugin_manager(autoload=False, extra=[Cmd(), Clash()])
    parser = cli.build_parser(pl)
    args = parser.parse_args(["hello", "--who", "there"])
    assert args.func(args) == 0
    captured = capsys.readouterr()
    assert "hello there" in captured.out
    assert "clashplugin" in captured.err and "run" in captured.err
