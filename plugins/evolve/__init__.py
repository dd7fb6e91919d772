"""The evolve plugin: evolved straight-line approximation programs (after AutoNumerics-Zero).

Adds the generator of kind ``program`` (adaptive: rounds of island evolution on the engine) and
the ``discover evolve`` verb, a short form that builds such a search and runs it. See
``plugins/evolve/README.md``.
"""

from __future__ import annotations

from discover import hookimpl


@hookimpl
def discover_generators():
    from .generator import ProgramGenerator

    return [ProgramGenerator()]


@hookimpl
def discover_add_commands(subparsers):
    from .cli import add_command

    add_command(subparsers)


@hookimpl
def discover_report_section(kind, records, store):
    """The programs' section of ``discover report``: Pareto plots next to the baselines."""
    if kind != "program":
        return None
    from .report import report_section

    return report_section(records, store)
