"""`discover new-plugin NAME`: the template installs, is listed, runs its search and its tests."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from discover.errors import DiscoverError
from discover.template import create_plugin, template_files, validate_name


def _discover(env, *args, cwd=None):
    return subprocess.run([sys.executable, "-m", "discover.cli", *args], env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("name, words", [
    ("pcf", ["clashes", "choose another name"]),
    ("9lives", ["not a Python identifier", "e.g."]),
    ("my-kind", ["not a Python identifier"]),
    ("class", ["not a Python identifier"]),
    ("MyKind", ["lower case", "mykind"]),
])
def test_bad_names_are_refused_with_the_fix(name, words):
    with pytest.raises(DiscoverError) as err:
        validate_name(name)
    assert all(w in str(err.value) for w in words)


def test_cli_refuses_a_bad_name_and_a_non_empty_folder(tmp_path):
    env = dict(os.environ)
    out = _discover(env, "new-plugin", "pcf", "--dir", str(tmp_path / "x"))
    assert out.returncode == 2 and "choose another name" in out.stderr
    assert not (tmp_path / "x").exists()
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "keep.txt").write_text("mine")
    out = _discover(env, "new-plugin", "okname", "--dir", str(tmp_path / "full"))
    assert out.returncode == 2 and "--dir" in out.stderr


def test_template_files_are_complete():
    files = template_files("spiral")
    assert set(files) == {"pyproject.toml", "README.md", "discover_spiral/__init__.py",
                          "discover_spiral/generator.py", "searches/spiral.toml",
                          "tests/test_spiral.py"}
    assert 'spiral = "discover_spiral"' in files["pyproject.toml"]
    assert '[project.entry-points."discover.plugins"]' in files["pyproject.toml"]
    for path, text in files.items():
        assert "{{" not in text.replace("{{k", "").replace("{{1", ""), path
        if path.endswith(".py"):
            compile(text, path, "exec")


def test_generated_plugin_installs_lists_runs_and_passes_its_tests(tmp_path):
    from conftest import install_into_target

    env = dict(os.environ)
    env.pop("DISCOVER_DISABLE_PLUGIN_AUTOLOAD", None)
    made = _discover(env, "new-plugin", "spiral", "--dir", str(tmp_path / "pkg"))
    assert made.returncode == 0, made.stderr
    root = tmp_path / "pkg"
    src = tmp_path / "build-src"                 # pip builds in its source folder: use a copy
    shutil.copytree(root, src)
    # a second plugin, installed alongside, that fails to import
    broken = tmp_path / "broken-src"
    (broken / "discover_broken").mkdir(parents=True)
    (broken / "discover_broken" / "__init__.py").write_text("import no_such_module_xyz\n")
    (broken / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["setuptools>=61"]\nbuild-backend = "setuptools.build_meta"\n'
        '[project]\nname = "discover-broken"\nversion = "0.0.1"\n'
        '[project.entry-points."discover.plugins"]\nbroken = "discover_broken"\n'
        '[tool.setuptools]\npackages = ["discover_broken"]\n')
    env = install_into_target(tmp_path / "site", src, broken)

    listed = _discover(env, "plugins", "--verbose", "--json")
    assert listed.returncode == 0, listed.stderr
    rows = {r["name"]: r for r in json.loads(listed.stdout)}
    assert rows["spiral"]["origin"] == "third-party" and not rows["spiral"]["error"]
    assert rows["spiral"]["distribution"] == "discover-spiral"
    assert rows["spiral"]["kinds"] == ["spiral"] and "p_max" in rows["spiral"]["schemas"]["spiral"]
    # the broken one is reported by name with the fix; the others keep working
    assert "failed to load" in rows["broken"]["error"]
    assert "discover-broken" in rows["broken"]["error"] and rows["broken"]["kinds"] == []
    assert "broken" in listed.stderr and "fix or uninstall" in listed.stderr

    store = tmp_path / "s.sqlite"
    ran = _discover(env, "run", "searches/spiral.toml", "--store", str(store), "--workers", "1",
                    "--json", cwd=root)
    assert ran.returncode == 0, ran.stderr
    found = json.loads(ran.stdout)["discoveries"]
    assert [(d["kind"], d["p"], d["expression"]) for d in found] == [("spiral", 2, "ln2")]
    assert found[0]["digits"] >= 100

    tests = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
                           cwd=root, env=env, capture_output=True, text=True, timeout=300)
    assert tests.returncode == 0, tests.stdout + tests.stderr
    assert "3 passed" in tests.stdout


def test_create_plugin_default_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    root = create_plugin("my_series")
    assert root.name == "discover-my-series"
    assert (root / "discover_my_series" / "generator.py").exists()
    assert "class GeneratorMySeries" in (root / "discover_my_series" / "generator.py").read_text()
