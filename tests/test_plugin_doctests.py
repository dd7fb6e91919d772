"""The doctests of the built-in plugins, run on the modules under their installed names.

Collecting ``plugins/`` by path would import each module a second time as ``plugins.cf.kernels``
and so on, next to ``discover_plugins.cf.kernels``: two compiled copies of every numba kernel
sharing one on-disk cache, and classes that are not the ones the engine uses."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import discover_plugins

MODULES = sorted(m.name for m in pkgutil.walk_packages(discover_plugins.__path__,
                                                        "discover_plugins."))


def test_the_walk_finds_the_plugins():
    assert {"discover_plugins.cf.kernels", "discover_plugins.evolve.program",
            "discover_plugins.logic.checker"} <= set(MODULES)
    pcf = importlib.import_module("discover_plugins.cf.pcf")
    assert sum(len(t.examples) for t in doctest.DocTestFinder().find(pcf)) >= 5


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name):
    module = importlib.import_module(name)
    failed, _ = doctest.testmod(module, report=False, optionflags=doctest.ELLIPSIS)
    assert failed == 0, f"{failed} doctest example(s) of {name} failed (output above)"
