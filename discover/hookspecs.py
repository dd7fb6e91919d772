"""Hook specifications: every extension point of ``discover``, in one module.

A plugin is a module (or object) with functions marked ``@discover.hookimpl`` whose names and
argument names match the specifications below. It is found through the entry-point group
``discover.plugins`` (built-in plugins use exactly the same group). Implementations may take a
subset of the arguments of a specification, in any order; pluggy checks the names at start-up.

Unless a specification says ``firstresult``, every implementation is called and the results are
collected in a list (in the reverse order of registration).
"""

from __future__ import annotations

from typing import Any

import pluggy

PROJECT = "discover"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


# ---------------------------------------------------------------------------------------------
# generate
# ---------------------------------------------------------------------------------------------
@hookspec
def discover_generators() -> list:
    """Register candidate generators.

    Called once when the plugin manager is built. Return a list of instances of
    :class:`discover.generator.Generator` subclasses. The core checks each one: its ``kind``
    must be a non-empty identifier not used by another plugin, and it must implement every
    abstract method; otherwise start-up reports a :class:`discover.errors.PluginError` naming
    the plugin and the plugin is left out.
    """


# ---------------------------------------------------------------------------------------------
# evaluate / identify: constants and identification bases
# ---------------------------------------------------------------------------------------------
@hookspec
def discover_constants() -> list:
    """Add named constants.

    Return a list of :class:`discover.constants.Constant`. Names and aliases must not clash with
    the corpus or with another plugin (a clash is reported at start-up naming both owners).
    """


@hookspec
def discover_identification_basis(constant: str) -> list:
    """Extend the PSLQ basis used to identify a value found near ``constant``.

    ``constant`` is the name of the constant the search targeted (or ``""`` for free
    identification). Return a list of names of registered constants (or whitelisted expressions
    over them, such as ``"pi^2"``) to add to the basis; the core removes duplicates.
    """


# ---------------------------------------------------------------------------------------------
# record: listeners and exporters
# ---------------------------------------------------------------------------------------------
@hookspec
def discover_on_discovery(discovery: Any, run_id: int, is_new: bool) -> None:
    """Called in the driver process after a verified discovery is written to the store.

    ``discovery`` is a :class:`discover.store.DiscoveryRecord`; ``is_new`` is false when the
    same formula (same canonical key) was already stored, by this run or an earlier one.
    Return value ignored. An exception here is reported and does not stop the run.
    """


@hookspec
def discover_exporters() -> list:
    """Register provenance exporters.

    Return a list of ``(format_name, function)`` pairs where
    ``function(graph: networkx.DiGraph, path: pathlib.Path) -> None`` writes one provenance
    graph to ``path``. ``discover export --format NAME`` then offers the format; built-in formats
    are ``json`` (node-link) and ``graphml``.
    """


@hookspec
def discover_report_section(kind: str, records: list, store: Any) -> str | None:
    """Render the section of ``discover report`` for the discoveries of one kind.

    Called once per kind present in the report. ``records`` are that kind's
    :class:`discover.store.DiscoveryRecord` objects; ``store`` is the open (read-only)
    :class:`discover.store.Store` (for ``store.provenance(id)``). Return an HTML fragment
    (self-contained: inline SVG and CSS only, every string from the store escaped), or ``None``
    for a kind the plugin does not render. A section for discovery ``N`` should carry
    ``id='dN'`` so that the report's table links to it. Kinds no plugin renders get the core's
    section (formulas with convergence plots, or a table of measures). An exception here is
    reported in the page and the core's section is used instead.
    """


# ---------------------------------------------------------------------------------------------
# public names
# ---------------------------------------------------------------------------------------------
@hookspec
def discover_public_names() -> dict:
    """Offer names for the top-level ``discover`` namespace.

    Return a dict ``name -> object``; ``discover.<name>`` then resolves to the object (for
    example the continued-fraction plugin offers ``PCF``). Names already defined by the core
    are never replaced.
    """


# ---------------------------------------------------------------------------------------------
# command line
# ---------------------------------------------------------------------------------------------
@hookspec
def discover_add_commands(subparsers: Any) -> None:
    """Add verbs to the ``discover`` command line.

    Called once while the parser is built. ``subparsers`` is the object returned by argparse's
    ``add_subparsers``: call ``subparsers.add_parser(NAME, help=...)``, add options, and
    ``set_defaults(func=handler)`` where ``handler(args) -> int`` returns the exit status. Raise
    :class:`discover.errors.DiscoverError` for bad input: the command line prints it and exits
    with status 2. A name already taken by the core or another plugin is reported at start-up.
    Return value ignored.
    """
