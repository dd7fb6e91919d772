"""The continued-fraction plugin: polynomial continued fractions (PCF) found by search.

Registers the ``pcf`` generator and offers ``discover.PCF``.
"""

from __future__ import annotations

from discover import hookimpl

from .generator import PCFGenerator
from .pcf import PCF

__all__ = ["PCF", "PCFGenerator"]


@hookimpl
def discover_generators():
    return [PCFGenerator()]


@hookimpl
def discover_public_names():
    return {"PCF": PCF}


@hookimpl
def discover_add_commands(subparsers):
    from .commands import add_commands
    add_commands(subparsers)
