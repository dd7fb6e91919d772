"""The continued-fraction plugin: polynomial continued fractions (PCF) found by search.

Registers the ``pcf``, ``cmf`` and ``esma`` generators and offers ``discover.PCF`` and ``discover.CMF``.
"""

from __future__ import annotations

from discover import hookimpl

from .cmf import CMF
from .cmf_generator import CMFGenerator
from .esma_generator import ESMAGenerator
from .generator import PCFGenerator
from .pcf import PCF

__all__ = ["CMF", "CMFGenerator", "ESMAGenerator", "PCF", "PCFGenerator"]


@hookimpl
def discover_generators():
    return [PCFGenerator(), CMFGenerator(), ESMAGenerator()]


@hookimpl
def discover_public_names():
    return {"PCF": PCF, "CMF": CMF}


@hookimpl
def discover_add_commands(subparsers):
    from .cmf_commands import add_commands as add_cmf_commands
    from .commands import add_commands
    add_commands(subparsers)
    add_cmf_commands(subparsers)
