"""Building the plugin manager: load built-in and third-party plugins through one entry-point group.

Nothing happens at import time: call :func:`get_plugin_manager`. Built-in plugins are the entry
points that the ``discover`` distribution itself declares; all others are third-party.

Environment variables
---------------------
``DISCOVER_DISABLE_PLUGIN_AUTOLOAD=1``
    Load only the built-in plugins (the same as ``discover --no-plugins``).
``DISCOVER_TRACE_HOOKS=1``
    Print every hook call and its result to standard error.
"""

from __future__ import annotations

import inspect
import os
import sys
import threading
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

import pluggy

from . import hookspecs
from .constants import ConstantRegistry, load_corpus_constants, Constant
from .errors import PluginError
from .generator import ROUND_METHODS, SHARD_METHODS, Generator

__all__ = ["ENTRY_POINT_GROUP", "PluginInfo", "Plugins", "get_plugin_manager"]

ENTRY_POINT_GROUP = "discover.plugins"
CORE_DISTRIBUTION = "discover"


@dataclass
class PluginInfo:
    """What ``discover plugins`` shows about one loaded (or failed) plugin."""

    name: str
    origin: str                 # "built-in" or "third-party"
    distribution: str
    version: str
    module: str
    hooks: list[str] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    error: str = ""


class Plugins:
    """A loaded plugin manager with the registries built from it.

    Attributes
    ----------
    pm:
        The ``pluggy.PluginManager``.
    generators:
        ``kind -> Generator`` instance.
    constants:
        The :class:`~discover.constants.ConstantRegistry` (corpus plus plugin constants).
    info:
        One :class:`PluginInfo` per plugin, including those that failed to load.
    errors:
        Start-up problems, one message per failing plugin (the others keep working).
    """

    def __init__(self, pm: pluggy.PluginManager, info: list[PluginInfo]):
        self.pm = pm
        self.info = info
        self.errors: list[str] = [i.error for i in info if i.error]
        self.generators: dict[str, Generator] = {}
        self.constants = ConstantRegistry(load_corpus_constants())
        self.exporters: dict[str, Any] = {}
        self._collect()

    def _plugin_label(self, plugin) -> str:
        return self.pm.get_name(plugin) or repr(plugin)

    def _info_for(self, label: str) -> PluginInfo | None:
        return next((i for i in self.info if i.name == label), None)

    def _fail(self, label: str, message: str) -> None:
        msg = f"plugin {label!r}: {message}"
        self.errors.append(msg)
        info = self._info_for(label)
        if info is not None:
            info.error = (info.error + "; " if info.error else "") + message

    def call_each(self, name: str, **kwargs):
        """Call hook ``name`` once per implementing plugin, through pluggy (so tracing and hook
        monitoring see every call), isolating failures: yields ``(label, result, error)`` with
        ``error`` the exception a plugin raised (its result is then ``None``)."""
        caller = getattr(self.pm.hook, name)
        for impl in caller.get_hookimpls():
            plugin = impl.plugin
            others = [p for p in self.pm.get_plugins() if p is not plugin]
            label = self._plugin_label(plugin)
            try:
                result = self.pm.subset_hook_caller(name, remove_plugins=others)(**kwargs)
            except Exception as err:  # a broken plugin must not take the others down
                yield label, None, err
                continue
            yield label, (result[0] if result else None), None

    def _check_pending(self) -> None:
        """Hook implementations whose name is no hook specification (a misspelling such as
        ``discover_generator``) are reported naming the plugin and the nearest hook."""
        import difflib

        specs = [n for n in dir(hookspecs) if n.startswith("discover_")]
        for name in dir(self.pm.hook):
            caller = getattr(self.pm.hook, name)
            if name.startswith("_") or not hasattr(caller, "get_hookimpls"):
                continue
            if caller.has_spec():
                continue
            for impl in caller.get_hookimpls():
                if impl.optionalhook:
                    continue
                near = difflib.get_close_matches(name, specs, n=1)
                hint = f"; did you mean {near[0]!r}?" if near else \
                    f"; the hooks are: {', '.join(specs)}"
                self._fail(self._plugin_label(impl.plugin),
                           f"implements {name!r}, which is not a discover hook{hint}")
        try:
            self.pm.check_pending()
        except pluggy.PluginValidationError:
            pass   # reported above, plugin by plugin

    def _collect(self) -> None:
        self._check_pending()
        for label, result, err in self.call_each("discover_generators"):
            if err is not None:
                self._fail(label, f"discover_generators raised {type(err).__name__}: {err}")
                continue
            if not isinstance(result, (list, tuple)):
                self._fail(label, f"discover_generators must return a list of Generator "
                                  f"instances, got {type(result).__name__}")
                continue
            for gen in result:
                problem = _check_generator(gen)
                if problem:
                    self._fail(label, problem)
                    continue
                if gen.kind in self.generators:
                    self._fail(label, f"generator kind {gen.kind!r} is already registered by "
                                      f"{getattr(self.generators[gen.kind], '_plugin', '?')!r}; "
                                      f"choose another kind name")
                    continue
                gen._plugin = label
                self.generators[gen.kind] = gen
                info = self._info_for(label)
                if info is not None:
                    info.kinds.append(gen.kind)
        for label, result, err in self.call_each("discover_constants"):
            try:
                if err is not None:
                    raise err
                for c in result or []:
                    if not isinstance(c, Constant):
                        raise PluginError(f"expected discover.constants.Constant, got {c!r}")
                    self.constants.add(Constant(c.name, c.expression, c.sympy_form, c.aliases,
                                                c.description, origin=label))
            except Exception as err:
                self._fail(label, f"discover_constants: {err}")
        from .provenance import BUILTIN_EXPORTERS

        self.exporters.update(BUILTIN_EXPORTERS)
        for label, result, err in self.call_each("discover_exporters"):
            try:
                if err is not None:
                    raise err
                for name, fn in result or []:
                    if name in self.exporters:
                        raise PluginError(f"export format {name!r} is already registered")
                    self.exporters[name] = fn
            except Exception as err:
                self._fail(label, f"discover_exporters: {err}")

    def generator(self, kind: str) -> Generator:
        """The generator for ``kind``; an unknown kind raises :class:`PluginError` listing kinds."""
        try:
            return self.generators[kind]
        except KeyError:
            raise PluginError(f"no generator of kind {kind!r}; available kinds: "
                              f"{', '.join(sorted(self.generators)) or '(none)'} "
                              f"(see `discover plugins`)") from None

    def public_names(self) -> dict[str, Any]:
        names: dict[str, Any] = {}
        for label, result, err in self.call_each("discover_public_names"):
            if err is not None:
                self._fail(label, f"discover_public_names raised {type(err).__name__}: {err}")
            elif isinstance(result, dict):
                for k, v in result.items():
                    names.setdefault(k, v)
        return names

    def identification_basis(self, constant: str) -> list[str]:
        seen: list[str] = []
        for label, result, err in self.call_each("discover_identification_basis",
                                                 constant=constant):
            if err is not None:
                self._fail(label, f"discover_identification_basis raised "
                                  f"{type(err).__name__}: {err}")
                continue
            for name in result or []:
                if name not in seen:
                    seen.append(name)
        return seen

    def notify_discovery(self, discovery, run_id: int, is_new: bool) -> list[str]:
        """Deliver ``discover_on_discovery`` to every listener; returns the problems (a
        listener that raises is named and the others still hear of the discovery)."""
        problems = []
        for label, _result, err in self.call_each("discover_on_discovery", discovery=discovery,
                                                  run_id=run_id, is_new=is_new):
            if err is not None:
                problems.append(f"plugin {label!r}: discover_on_discovery raised "
                                f"{type(err).__name__}: {err}")
        return problems


def _check_generator(gen: Any) -> str:
    if not isinstance(gen, Generator):
        return (f"discover_generators returned {gen!r}, which is not an instance of "
                f"discover.Generator; subclass it")
    abstract = getattr(type(gen), "__abstractmethods__", ())
    if abstract:
        return f"generator {type(gen).__name__} does not implement {', '.join(sorted(abstract))}"
    if gen.mode not in ("shards", "rounds"):
        return (f"generator {type(gen).__name__} has mode {gen.mode!r}; set the class attribute "
                f"`mode` to 'shards' or 'rounds'")
    needed = SHARD_METHODS if gen.mode == "shards" else ROUND_METHODS
    missing = [m for m in needed if getattr(type(gen), m) is getattr(Generator, m)]
    if missing:
        return (f"generator {type(gen).__name__} (mode {gen.mode!r}) does not implement "
                f"{', '.join(missing)}")
    if not isinstance(gen.kind, str) or not gen.kind.isidentifier():
        return (f"generator {type(gen).__name__} has kind {gen.kind!r}; set the class attribute "
                f"`kind` to an identifier such as 'pcf'")
    return ""


def _hooks_of(module) -> list[str]:
    return sorted(name for name, obj in inspect.getmembers(module)
                  if name.startswith("discover_") and hasattr(obj, "discover_impl"))


def _entry_points():
    eps = metadata.entry_points()
    if hasattr(eps, "select"):
        return list(eps.select(group=ENTRY_POINT_GROUP))
    return list(eps.get(ENTRY_POINT_GROUP, []))  # pragma: no cover


_lock = threading.Lock()


def get_plugin_manager(*, autoload: bool | None = None, extra: list | None = None) -> Plugins:
    """Build a fresh plugin manager and load the plugins.

    Parameters
    ----------
    autoload:
        Load third-party entry points. ``None`` reads ``DISCOVER_DISABLE_PLUGIN_AUTOLOAD``.
    extra:
        Additional plugin objects (modules or instances) to register, e.g. in tests.
    """
    if autoload is None:
        autoload = os.environ.get("DISCOVER_DISABLE_PLUGIN_AUTOLOAD", "") in ("", "0")
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    info: list[PluginInfo] = []
    with _lock:
        for ep in sorted(_entry_points(), key=lambda e: e.name):
            dist = getattr(ep, "dist", None)
            dist_name = dist.name if dist is not None else "?"
            builtin = dist_name.lower() == CORE_DISTRIBUTION
            if not builtin and not autoload:
                continue
            version = dist.version if dist is not None else "?"
            entry = PluginInfo(name=ep.name, origin="built-in" if builtin else "third-party",
                               distribution=dist_name, version=version, module=ep.value)
            info.append(entry)
            if pm.get_plugin(ep.name) is not None:
                entry.error = (f"the name {ep.name!r} is already taken by another plugin; rename "
                               f"the entry point in {dist_name}'s pyproject.toml")
                continue
            try:
                plugin = ep.load()
                pm.register(plugin, name=ep.name)
                entry.hooks = _hooks_of(plugin)
            except Exception as err:
                entry.error = (f"failed to load ({type(err).__name__}: {err}); fix or uninstall "
                               f"the distribution {dist_name!r}")
                if pm.get_plugin(ep.name) is not None:
                    pm.unregister(name=ep.name)
        for obj in extra or []:
            name = getattr(obj, "__name__", None) or type(obj).__name__
            entry = PluginInfo(name=name, origin="registered", distribution="-", version="-",
                               module=name)
            info.append(entry)
            try:
                pm.register(obj, name=name)
                entry.hooks = _hooks_of(obj)
            except Exception as err:
                entry.error = f"failed to register ({type(err).__name__}: {err})"
    if os.environ.get("DISCOVER_TRACE_HOOKS", "") not in ("", "0"):
        pm.trace.root.setwriter(lambda msg: print(msg, end="", file=sys.stderr))
        pm.enable_tracing()
    return Plugins(pm, info)
