"""discover: find mathematical formulas by search, verify them, and keep their provenance.

The public names are listed in ``__all__``; plugins may add more (``discover.PCF`` comes from
the continued-fraction plugin) through the ``discover_public_names`` hook.
"""

from __future__ import annotations

from importlib import metadata as _metadata

from .constants import Constant, ConstantRegistry
from .errors import (DiscoverError, ExpressionError, LimitError, PluginError, SearchFileError,
                     StoreError, UnknownConstantError, VerificationError)
from .generator import (REQUIRED, Batch, Evaluation, Field, Generator, Hit, Measure,
                        RoundOutcome, SearchContext, Shard, Target, Task, Tier, Verdict)
from .hookspecs import hookimpl, hookspec
from .identification import Identification
from .pluginmanager import get_plugin_manager
from .search import Search
from .store import DiscoveryRecord, Store

try:
    __version__ = _metadata.version("discover")
except _metadata.PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0+unknown"

from .api import export, identify, load, plugins, report, run, show, verify  # noqa: E402

__all__ = [
    "__version__", "run", "verify", "identify", "show", "export", "report", "load", "plugins",
    "Generator", "Shard", "Batch", "Evaluation", "Hit", "Target", "Tier", "Verdict",
    "SearchContext", "Field", "REQUIRED", "Measure", "Task", "RoundOutcome", "get_plugin_manager", "Search", "Store", "DiscoveryRecord", "Identification", "Constant",
    "ConstantRegistry", "hookimpl", "hookspec", "DiscoverError", "ExpressionError",
    "LimitError", "PluginError", "SearchFileError", "StoreError", "UnknownConstantError", "VerificationError",
]


def __getattr__(name: str):
    """Resolve names offered by plugins (e.g. ``discover.PCF``) on first use."""
    if name.startswith("_"):
        raise AttributeError(name)
    offered = plugins().public_names()
    if name in offered:
        return offered[name]
    raise AttributeError(f"module 'discover' has no attribute {name!r}")
