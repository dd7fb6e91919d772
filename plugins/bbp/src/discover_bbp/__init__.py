"""BBP-type series for ``discover``.

Registers the ``bbp`` generator: for a base b, a period m and a power s it evaluates the slices
S_j = sum_{k>=0} b^-k / (m k + j)^s (j = 1..m) and looks for an integer relation between the
target constant and the slices with PSLQ. Install with ``pip install ./plugins/bbp``.
"""

from __future__ import annotations

from discover import hookimpl

from .generator import BBP, BBPGenerator

__all__ = ["BBP", "BBPGenerator"]
__version__ = "0.1.0"


@hookimpl
def discover_generators():
    return [BBPGenerator()]
