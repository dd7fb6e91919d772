"""The plugin template behind ``discover new-plugin NAME``: a complete, installable plugin.

:func:`create_plugin` writes a package folder holding its own ``pyproject.toml`` (with the
``discover.plugins`` entry point), a module with one small generator and its numba kernel, a
search file and pytest tests that pass as generated. The template generator enumerates the
series L(p) = sum_{k>=1} 1/(k p^k) = log(p/(p-1)) for integers p >= 2 and matches the values
against Moebius transforms of the target constants; with ``[match] constants = ["ln2"]`` it finds
L(2) = ln2. Replace the kernel and the candidate with your own.

The files are kept here as strings (not as ``.py`` files in a folder) so that the test runner,
which collects the core's modules for doctests, never imports them.
"""

from __future__ import annotations

import keyword
from pathlib import Path

from .errors import DiscoverError

__all__ = ["create_plugin", "validate_name", "template_files", "RESERVED"]

#: kinds and plugin names that a new plugin must not take
RESERVED = frozenset({"pcf", "cf", "bbp", "discover", "plugins", "corpora"})


def validate_name(name: str) -> str:
    """Return ``name`` if it can name a plugin, its kind and its module; raise otherwise."""
    if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name):
        raise DiscoverError(f"plugin name {name!r} is not a Python identifier; use lower-case "
                            f"letters, digits and underscores, starting with a letter "
                            f"(e.g. 'mykind')")
    if name != name.lower() or name.startswith("_"):
        raise DiscoverError(f"plugin name {name!r} should be lower case and not start with '_'; "
                            f"use e.g. {name.lower().lstrip('_') or 'mykind'!r}")
    if name in RESERVED:
        raise DiscoverError(f"plugin name {name!r} clashes with a name already used by discover "
                            f"(taken: {', '.join(sorted(RESERVED))}); choose another name, e.g. "
                            f"'{name}2' or 'my{name}'")
    return name


PYPROJECT = '''\
[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"

[project]
name = "discover-{{dist}}"
version = "0.1.0"
description = "A discover plugin: the {{name}} generator"
requires-python = ">=3.10"
# discover (with numpy, numba, mpmath) must be installed; it is not declared here so that the
# plugin can be installed with --no-deps next to a development checkout of discover.
dependencies = []

[project.optional-dependencies]
test = ["pytest>=7"]

[project.entry-points."discover.plugins"]
{{name}} = "discover_{{name}}"

[tool.setuptools]
packages = ["discover_{{name}}"]

[tool.pytest.ini_options]
testpaths = ["tests"]
'''

README = '''\
# discover-{{dist}}

A plugin for `discover` with one generator, kind `{{name}}`: the series
L(p) = sum_(k>=1) 1/(k p^k) = log(p/(p-1)) for p = 2..p_max, matched against Moebius transforms
(c0 + c1 K)/(c2 + c3 K) of the target constants.

```sh
pip install -e .                      # registers the entry point `{{name}}`
discover plugins --verbose            # the plugin, its hooks, its kind and search fields
discover run searches/{{name}}.toml --store {{name}}.sqlite
python -m pytest -q                   # the kernel against its oracle, verification, a search
```

Start from `discover_{{name}}/generator.py`: replace the kernel `series_f64`, the oracle
`series_mp` and the candidate (an integer p here). The guide to every hook and method is
`plugins/README.md` in the discover repository.
'''

INIT = '''\
"""discover plugin: the ``{{name}}`` generator."""

from __future__ import annotations

from discover import hookimpl

from .generator import Generator{{Class}}

__all__ = ["Generator{{Class}}"]


@hookimpl
def discover_generators():
    return [Generator{{Class}}()]
'''

GENERATOR = '''\
"""The ``{{name}}`` generator: L(p) = sum_{k>=1} 1/(k p^k) = log(p/(p-1)) for p = 2..p_max.

A candidate is the integer p. Tier 1 sums the series in float64 (numba), selection matches the
values against Moebius transforms of the targets, tier 3 sums it again with mpmath.
"""

from __future__ import annotations

import math
import time

import mpmath
import numba
import numpy as np

from discover import (Batch, Evaluation, Generator, Hit, SearchFileError, Shard, Target, Tier,
                      Verdict)
from discover.generator import Field
from discover.targets import MoebiusTable

VERSION = "0.1.0"


@numba.njit(cache=True)
def _series_kernel(p, out, status):
    for i in range(p.shape[0]):
        x = 1.0 / p[i]
        xk = x
        total = 0.0
        status[i] = 1                       # 1: did not settle in 200 terms
        for k in range(1, 200):
            term = xk / k
            total += term
            if term < 1e-17 * total:
                status[i] = 0
                break
            xk *= x
        out[i] = total


def series_f64(p: np.ndarray):
    """Tier 1: (values, status) of L(p) for an int64 array of p >= 2."""
    p = np.ascontiguousarray(p, dtype=np.int64)
    out = np.empty(p.shape[0])
    status = np.zeros(p.shape[0], dtype=np.int8)
    _series_kernel(p, out, status)
    return out, status


def series_mp(p: int, digits: int):
    """The oracle: L(p) summed with mpmath to ``digits`` digits."""
    with mpmath.workdps(digits + 10):
        terms = int(math.ceil((digits + 5) / math.log10(p))) + 2
        return mpmath.fsum(mpmath.mpf(1) / (k * mpmath.mpf(p) ** k) for k in range(1, terms))


class Generator{{Class}}(Generator):
    kind = "{{name}}"
    version = VERSION
    description = "series sum 1/(k p^k) = log(p/(p-1)) matched against Moebius transforms"
    fields = {"p": "the integer p >= 2 of sum 1/(k p^k)"}

    # the [generator] fields, declared once: the core validates every search file against
    # them (types, ranges, defaults) and `discover plugins --verbose` prints them
    search_fields = (
        Field("p_max", "int", 100, "largest p", min=2, max=10 ** 7),
        Field("shard_size", "int", 1000, "values of p per shard", min=1, max=10 ** 7),
    )

    def configure(self, section, context):
        params = self.validated(section)        # typed values, defaults filled in
        # only what the schema cannot say is checked here
        if not context.targets:
            raise SearchFileError("match.constants", "no target", "add constants = [\\"ln2\\"]")
        return params

    def shards(self, params):
        lo, hi, step = 2, params["p_max"], params["shard_size"]
        starts = list(range(lo, hi + 1, step))
        return [Shard(i, len(starts), {"lo": s, "hi": min(hi, s + step - 1)},
                      min(hi, s + step - 1) - s + 1) for i, s in enumerate(starts)]

    def prepare(self, params, context):
        series_f64(np.array([2]))              # compile before workers fork
        for name in context.targets:
            self._table(name, context)

    def _table(self, name, context):
        key = ("{{name}}-moebius", name, int(context.match.get("coefficient_bound", 10)))
        if key not in context.cache:
            context.cache[key] = MoebiusTable.build(name, context.constants.get(name).float(),
                                                    key[2])
        return context.cache[key]

    def propose(self, params, shard, context):
        p = np.arange(shard.spec["lo"], shard.spec["hi"] + 1, dtype=np.int64)
        yield Batch(params=p.reshape(-1, 1))

    def evaluate(self, params, batch):
        values, status = series_f64(batch.params[:, 0])
        return Evaluation(values=values, ok=status == 0, status=status,
                          error=np.abs(values) * 1e-15)

    def select(self, params, batch, evaluation, representatives, inverse, context):
        hits = []
        if representatives.size == 0:
            return hits
        vals = evaluation.values[representatives]
        tol = np.maximum(1e-12 * np.abs(vals), 1e-14)
        for name in context.targets:
            table = self._table(name, context)
            q, t = table.match(vals, tol)
            for qi, ti in zip(q.tolist(), t.tolist()):
                # expand the functional-hash group to all its members
                for member in np.flatnonzero(inverse == qi).tolist():
                    p = int(batch.params[member, 0])
                    hits.append(Hit(candidate=p, target=Target(name, table.transform(ti)),
                                    tiers=[Tier("float64", 15.9,
                                                value=repr(float(evaluation.values[member])))]))
        return hits

    def verify(self, candidate, claimed, digits):
        t0 = time.perf_counter()
        x = series_mp(candidate, digits + 20)
        with mpmath.workdps(digits + 30):
            diff = abs(x - claimed)
            agree = float(-mpmath.log10(diff / abs(claimed))) if diff else float(digits + 20)
        agree = min(agree, float(digits + 20))
        return Verdict(equal=agree >= digits, digits=agree, required=digits,
                       convergence_rate=math.log10(candidate), value=mpmath.nstr(x, 25),
                       method="mpmath series", seconds=time.perf_counter() - t0,
                       reason="" if agree >= digits else f"only {agree:.1f} digits agree")

    def value(self, candidate, digits):
        return series_mp(candidate, digits)

    def key(self, candidate):
        return f"{{name}}:{int(candidate)}"

    def to_json(self, candidate):
        return {"p": int(candidate)}

    def from_fields(self, fields):
        try:
            p = int(fields["p"])
        except (KeyError, TypeError, ValueError):
            raise SearchFileError("p", "missing or not an integer", "give --p 2") from None
        if p < 2:
            raise SearchFileError("p", f"p must be >= 2, got {p}", "give --p 2")
        return p

    def describe(self, candidate):
        return {"text": f"sum_k 1/(k {candidate}^k)",
                "latex": rf"\\sum_{{k\\ge1}} \\frac{{1}}{{k\\,{candidate}^k}}"}
'''

SEARCH = '''\
# The template search: L(p) = sum 1/(k p^k) for p = 2..60 against Moebius transforms of ln 2.
# Finds L(2) = ln2 (run: discover run searches/{{name}}.toml --store {{name}}.sqlite).
[search]
name = "{{name}}-ln2"
kind = "{{name}}"

[generator]
p_max = 60
shard_size = 30

[match]
constants = ["ln2"]
coefficient_bound = 6

[verify]
digits = 100
'''

TESTS = '''\
"""Tests of the {{name}} plugin: the kernel against its oracle, verification, and a search."""

from __future__ import annotations

from pathlib import Path

import mpmath
import numpy as np

import discover
import discover_{{name}}
from discover.pluginmanager import get_plugin_manager
from discover_{{name}}.generator import Generator{{Class}}, series_f64, series_mp

HERE = Path(__file__).resolve().parent.parent


def test_kernel_agrees_with_the_oracle():
    p = np.arange(2, 200)
    values, status = series_f64(p)
    assert (status == 0).all()
    for pi, v in zip(p.tolist(), values.tolist()):
        exact = float(series_mp(pi, 30))
        assert abs(v - exact) <= 1e-14 * exact
    with mpmath.workdps(40):               # the oracle itself against a closed form
        for pi in (2, 3, 10, 199):
            closed = mpmath.log(mpmath.mpf(pi) / (pi - 1))
            assert abs(series_mp(pi, 30) - closed) < mpmath.mpf(10) ** -28


def test_verify_accepts_ln2_and_rejects_a_near_miss():
    gen = Generator{{Class}}()
    with mpmath.workdps(140):
        assert gen.verify(2, +mpmath.log(2), 100).equal
        assert not gen.verify(2, mpmath.log(2) + mpmath.mpf(10) ** -40, 100).equal
    assert gen.key(gen.from_fields({"p": "2"})) == gen.key(2)


def test_the_search_finds_ln2(tmp_path):
    import pytest

    pl = get_plugin_manager(autoload=False, extra=[discover_{{name}}])
    assert "{{name}}" in pl.generators, pl.errors
    # a field outside its declared range is refused before any work, naming it
    bad = {"search": {"name": "x", "kind": "{{name}}"}, "generator": {"p_max": 1},
           "match": {"constants": ["ln2"]}}
    with pytest.raises(discover.SearchFileError, match="generator.p_max"):
        discover.api.load(bad, plugins=pl)
    summary = discover.run(HERE / "searches" / "{{name}}.toml", store=tmp_path / "s.sqlite",
                           workers=1, plugins=pl)
    assert summary.status == "complete"
    found = [(d.params["p"], d.expression) for d in summary.discoveries]
    assert (2, "ln2") in found
    assert all(d.digits >= 100 for d in summary.discoveries)
'''


def _fill(text: str, name: str) -> str:
    cls = "".join(part.capitalize() for part in name.split("_")) or name
    return (text.replace("{{name}}", name).replace("{{Class}}", cls)
            .replace("{{dist}}", name.replace("_", "-")))


def template_files(name: str) -> dict[str, str]:
    """The files of a new plugin called ``name``: relative path -> text."""
    validate_name(name)
    pkg = f"discover_{name}"
    files = {"pyproject.toml": PYPROJECT, "README.md": README, f"{pkg}/__init__.py": INIT,
             f"{pkg}/generator.py": GENERATOR, f"searches/{name}.toml": SEARCH,
             f"tests/test_{name}.py": TESTS}
    return {path: _fill(text, name) for path, text in files.items()}


def create_plugin(name: str, directory: str | Path | None = None) -> Path:
    """Write the plugin ``name`` into ``directory`` (default ``./discover-NAME``); return it.

    Refuses to write into a folder that exists and is not empty.
    """
    files = template_files(name)
    root = Path(directory) if directory is not None else Path(f"discover-{name.replace('_', '-')}")
    if root.exists() and any(root.iterdir()):
        raise DiscoverError(f"{str(root)!r} exists and is not empty; give an empty or new "
                            f"folder with --dir PATH")
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root
