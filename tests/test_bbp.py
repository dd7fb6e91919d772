"""The BBP plugin (plugins/bbp, a separate distribution) installs and rediscovers three formulas."""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import sys
from pathlib import Path

import mpmath
import pytest

from conftest import install_into_target

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def installed_bbp(tmp_path_factory):
    """Install plugins/bbp (its own pyproject and entry point) into a target folder."""
    target = tmp_path_factory.mktemp("bbpsite")
    src = tmp_path_factory.mktemp("bbpsrc") / "bbp"      # build outside the checkout
    shutil.copytree(ROOT / "plugins" / "bbp", src,
                    ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    return install_into_target(target, src)


def _discover(env, *args):
    return subprocess.run([sys.executable, "-m", "discover.cli", *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=300)


def _run_and_show(env, name: str, tmp_path) -> list[dict]:
    store = tmp_path / f"{name}.sqlite"
    out = _discover(env, "run", f"searches/{name}.toml", "--store", str(store), "--workers", "1",
                    "--json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["status"] == "complete"
    shown = _discover(env, "show", "--store", str(store), "--json")
    assert shown.returncode == 0, shown.stderr
    return json.loads(shown.stdout)


def _value(expression: str) -> mpmath.mpf:
    from discover.constants import default_registry

    return default_registry().evaluate(expression, 60)


def test_bbp_plugin_is_listed_with_its_schema(installed_bbp):
    out = _discover(installed_bbp, "plugins", "--verbose", "--json")
    assert out.returncode == 0, out.stderr
    rows = {r["name"]: r for r in json.loads(out.stdout)}
    assert rows["bbp"]["distribution"] == "discover-bbp"
    assert rows["bbp"]["origin"] == "third-party"
    assert rows["bbp"]["kinds"] == ["bbp"] and not rows["bbp"]["error"]
    schema = rows["bbp"]["schemas"]["bbp"]
    assert {"bases", "periods", "powers", "expressions", "pslq_digits"} <= set(schema)


def test_bbp_formula_for_pi_with_provenance(installed_bbp, tmp_path):
    found = _run_and_show(installed_bbp, "bbp_pi", tmp_path)
    assert [(d["base"], d["period"], d["power"], d["coefficients"], d["scale"])
            for d in found] == [(16, 8, 1, [4, 0, 0, -2, -1, -1, 0, 0], 1)]
    assert found[0]["expression"] == "pi" and found[0]["digits"] >= 100
    # the measures of a PCF-like kind: digits, rate (log10 16) and delta of the partial sums
    assert abs(found[0]["convergence_rate"] - math.log10(16)) < 1e-3
    assert -1 < found[0]["delta"] < 0 and "delta" in found[0]["method"]
    exported = _discover(installed_bbp, "export", "--store", str(tmp_path / "bbp_pi.sqlite"),
                         "--out", str(tmp_path / "prov"), "--json")
    assert exported.returncode == 0, exported.stderr
    graph = json.loads(Path(json.loads(exported.stdout)[0]).read_text())
    types = {n["type"] for n in graph["nodes"]}
    assert {"search", "generator", "candidate", "tier", "verdict", "discovery"} <= types
    tiers = [n["name"] for n in graph["nodes"] if n["type"] == "tier"]
    assert tiers[:2] == ["float64", "pslq"] and "mpmath" in tiers


def test_bbp_series_for_ln2(installed_bbp, tmp_path):
    found = _run_and_show(installed_bbp, "bbp_ln2", tmp_path)
    forms = {(d["period"], tuple(d["coefficients"]), d["scale"]) for d in found}
    assert (1, (1,), 2) in forms             # ln 2 = (1/2) sum 2^-k / (k+1)
    assert all(d["base"] == 2 and d["digits"] >= 100 and d["expression"] == "ln2"
               for d in found)


def test_bbp_formula_for_pi_squared(installed_bbp, tmp_path):
    found = _run_and_show(installed_bbp, "bbp_pi2", tmp_path)
    assert [(d["base"], d["period"], d["power"], d["coefficients"], d["scale"])
            for d in found] == [(64, 6, 2, [144, -216, -72, -54, 9, 0], 8)]
    d = found[0]
    assert d["digits"] >= 100
    # the engine's independent identification may name it 6*zeta2; either way it is pi^2
    assert abs(_value(d["expression"]) - _value("pi^2")) < mpmath.mpf(10) ** -50


def test_bbp_verify_from_the_command_line(installed_bbp):
    ok = _discover(installed_bbp, "verify", "--kind", "bbp", "--base", "16", "--period", "8",
                   "--coefficients", "4,0,0,-2,-1,-1,0,0", "--value", "pi", "--digits", "100",
                   "--json")
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["digits"] >= 100
    bad = _discover(installed_bbp, "verify", "--kind", "bbp", "--base", "16", "--period", "8",
                    "--coefficients", "4,0,0,-2,-1,-1,0,1", "--value", "pi", "--digits", "100",
                    "--json")
    assert bad.returncode == 1
    assert not json.loads(bad.stdout)["equal"]


def test_bbp_fields_are_validated_by_the_core(installed_bbp, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[search]\nname = "b"\nkind = "bbp"\n[generator]\nbases = [1]\n'
                   '[match]\nconstants = ["pi"]\n')
    out = _discover(installed_bbp, "run", str(bad), "--store", str(tmp_path / "b.sqlite"))
    assert out.returncode == 2 and "generator.bases[0]" in out.stderr and "between 2 and" in \
        out.stderr
    bad.write_text('[search]\nname = "b"\nkind = "bbp"\n[generator]\npslq_digit = 60\n'
                   '[match]\nconstants = ["pi"]\n')
    out = _discover(installed_bbp, "run", str(bad), "--store", str(tmp_path / "b.sqlite"))
    assert out.returncode == 2 and "generator.pslq_digit" in out.stderr and "pslq_digits" in \
        out.stderr
    assert not (tmp_path / "b.sqlite").exists()
