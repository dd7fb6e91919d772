"""Every shipped file loads and validates: each searches/*.toml through discover.api.load, and
each file of corpora/ through its own reader."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import mpmath
import pytest

import discover

ROOT = Path(__file__).resolve().parents[1]
SEARCHES = sorted((ROOT / "searches").glob("*.toml"))
CORPORA = ROOT / "corpora"

@pytest.fixture(scope="module")
def all_plugins():
    """The built-in plugins plus the separately distributed bbp plugin, from the checkout."""
    from discover.pluginmanager import get_plugin_manager

    src = str(ROOT / "plugins" / "bbp" / "src")
    added = src not in sys.path
    if added:
        sys.path.insert(0, src)
    try:
        import discover_bbp

        pl = get_plugin_manager(autoload=False, extra=[discover_bbp])
    finally:
        if added:
            sys.path.remove(src)
    assert not pl.errors, pl.errors
    return pl


def test_there_are_shipped_searches():
    assert len(SEARCHES) >= 10


@pytest.mark.parametrize("path", SEARCHES, ids=lambda p: p.name)
def test_every_search_file_loads(path, all_plugins):
    s = discover.load(path, plugins=all_plugins)
    assert s.name and s.kind in all_plugins.generators
    gen = all_plugins.generator(s.kind)
    if gen.mode == "shards":
        shards = list(gen.shards(s.params))
        assert shards and all(sh.size >= 0 for sh in shards)
    else:
        assert gen.mode == "rounds"
    json.dumps(s.to_json())


def test_every_corpus_file_has_a_validator():
    validated = {"constants.toml", "cmfs.toml", "known_pcfs.json", "approximation_baselines.md",
                 "__init__.py"}
    axioms = {p.name for p in CORPORA.glob("*.axioms")}
    shipped = {p.name for p in CORPORA.iterdir() if p.is_file()}
    assert shipped - validated - axioms == set(), "add a validator for the new corpus file"


def test_constants_corpus_evaluates():
    from discover.constants import default_registry, load_corpus_constants

    consts = load_corpus_constants(CORPORA / "constants.toml")
    assert len(consts) >= 5
    reg = default_registry()
    for c in consts:
        v = c.value(30)
        assert mpmath.isfinite(v) and v != 0, c.name
        assert reg.get(c.name).name == c.name
        for alias in c.aliases:
            assert reg.get(alias).name == c.name


def test_cmf_corpus_is_conservative():
    from discover_plugins.cf.cmf import read_cmf_file

    fields = read_cmf_file(CORPORA / "cmfs.toml")      # checked symbolically while read
    assert {"e", "pi", "zeta3"} <= set(fields)


def test_known_pcfs_corpus_is_well_formed():
    """Structure, closed forms and a cheap agreement check (test_cf_pcf.py verifies each)."""
    from discover.constants import default_registry
    from discover_plugins.cf.pcf import PCF

    reg = default_registry()
    data = json.loads((CORPORA / "known_pcfs.json").read_text())
    assert data["convention"] and data["formulas"]
    for f in data["formulas"]:
        assert all(isinstance(c, int) for c in f["a"] + f["b"]), f
        assert f["constant"] in reg and f["verified_digits"] > 0
        p, q = PCF(f["a"], f["b"]).convergent(300)
        with mpmath.workdps(40):
            limit = reg.evaluate(f["limit"], 40)
            assert abs(mpmath.mpf(int(p)) / int(q) - limit) < 2e-2 * abs(limit), f    # slow ones: ~1/n


@pytest.mark.parametrize("path", sorted(CORPORA.glob("*.axioms")), ids=lambda p: p.name)
def test_axiom_corpus_parses(path):
    from discover_plugins.logic import load_theory

    th = load_theory(str(path))
    assert th.axioms and th.signature.constructors


def test_baselines_document_is_there():
    text = (CORPORA / "approximation_baselines.md").read_text(encoding="utf-8")
    assert text.strip()
