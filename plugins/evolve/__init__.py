"""The evolve plugin: evolved straight-line approximation programs (after AutoNumerics-Zero).

Adds the ``discover evolve`` verb. See ``plugins/evolve/README.md``.
"""

from __future__ import annotations

from discover import hookimpl


@hookimpl
def discover_add_commands(subparsers):
    from .cli import add_command

    add_command(subparsers)
