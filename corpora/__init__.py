"""Data shipped with discover: constants, known formulas, axiom sets.

The files in this folder are data, never code: expressions in them are read with the whitelist
parser of :mod:`discover.safeexpr`.
"""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent


def path(name: str) -> Path:
    """Return the path of a corpus file shipped with the package, e.g. ``path("constants.toml")``."""
    p = HERE / name
    if not p.exists():
        known = sorted(q.name for q in HERE.iterdir() if not q.name.startswith(("_", ".")))
        raise FileNotFoundError(f"no corpus file {name!r}; shipped files: {', '.join(known)}")
    return p
