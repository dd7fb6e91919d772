"""The Python API: the same verbs as the command line.

>>> import discover
>>> v = discover.verify(a="2*n+1", b="n^2", value="4/pi", digits=50)
>>> v.equal, v.digits >= 50
(True, True)
>>> discover.identify("1.2732395447351626861510701069801148962756771659236515899813387524711743810738122807209104221300246876", constants=["pi"]).expression
'4/pi'
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from . import limits as _limits
from .engine import RunSummary, run_search
from .pipeline import claimed_value, verify_candidate, verify_methods
from .errors import DiscoverError, ExpressionError, PluginError
from .generator import Verdict
from .identification import Identification
from .identification import identify as _identify
from .pluginmanager import Plugins, get_plugin_manager
from .provenance import graph_to_json
from .search import Search, load_search, parse_search
from .store import DiscoveryRecord, Store

__all__ = ["run", "verify", "identify", "show", "export", "report", "load", "plugins"]


@functools.lru_cache(maxsize=1)
def _default_plugins() -> Plugins:
    return get_plugin_manager()


def plugins() -> Plugins:
    """The session's loaded plugins (built once, on first use)."""
    return _default_plugins()


def load(search: str | Path | Mapping[str, Any], *, plugins: Plugins | None = None,
         overrides: Sequence[str] = ()) -> Search:
    """Validate a search given as a path to a TOML file or as a dict with the same tables.

    ``overrides`` are ``"TABLE.FIELD=VALUE"`` strings (``discover run --set``) applied first.
    """
    pl = plugins or _default_plugins()
    if isinstance(search, Search):
        if overrides:
            return parse_search(search.raw, pl, path=search.path, overrides=overrides)
        return search
    if isinstance(search, Mapping):
        return parse_search(search, pl, overrides=overrides)
    return load_search(search, pl, overrides=overrides)


def run(search: str | Path | Mapping[str, Any] | Search, *, store: str | Path | Store | None = None,
        workers: int | None = None, new_run: bool = False, max_shards: int | None = None,
        retry_failed: bool = False, scheduler: str | None = None,
        progress: Callable[[dict], None] | None = None,
        plugins: Plugins | None = None, overrides: Sequence[str] = (),
        max_rounds: int | None = None, yes: bool = False) -> RunSummary:
    """Run (or resume) a search and return its summary, discoveries included.

    Parameters
    ----------
    search:
        Path of a TOML search file, a dict with the same tables, or a :class:`Search`.
    store:
        Path of the SQLite store (default: ``discover.store.default_store_path()``) or an open
        :class:`Store`.
    workers:
        Worker processes (default: the search file's ``workers`` or the number of cores).
    new_run:
        Start a new run even if a run of the same search exists (otherwise it is resumed).
    retry_failed:
        Run again the shards that failed in the resumed run.
    scheduler:
        Address of a Dask scheduler (``tcp://HOST:PORT``) to run the shards on.
    overrides:
        ``"TABLE.FIELD=VALUE"`` strings applied to the search before validation (they enter the
        search hash), e.g. ``["generator.seconds=30"]``.
    max_rounds:
        Stop an adaptive search after that many rounds (it resumes later).
    yes:
        Run a search larger than the limit ``search_candidates`` (see :mod:`discover.limits`);
        without it such a search is refused before any work, with its size and estimated time.
    """
    pl = plugins or _default_plugins()
    s = load(search, plugins=pl, overrides=overrides)
    options = dict(plugins=pl, workers=workers, progress=progress, new_run=new_run,
                   max_shards=max_shards, retry_failed=retry_failed, scheduler=scheduler,
                   max_rounds=max_rounds, yes=yes)
    if isinstance(store, Store):
        return run_search(s, store=store, **options)
    with Store(store) as st:
        return run_search(s, store=st, **options)


def _generator_for(candidate, kind: str | None, fields: Mapping[str, Any], pl: Plugins):
    if kind is not None:
        return pl.generator(kind)
    if candidate is not None:
        for gen in pl.generators.values():
            if gen.candidate_type is not None and isinstance(candidate, gen.candidate_type):
                return gen
        raise PluginError(f"no generator handles candidates of type {type(candidate).__name__}; "
                          f"pass kind=...")
    given = {k for k, v in fields.items() if v is not None}
    matching = [g for g in pl.generators.values() if given and given <= set(g.fields)]
    if len(matching) == 1:
        return matching[0]
    if not matching:
        known = {k: sorted(g.fields) for k, g in pl.generators.items()}
        raise DiscoverError(f"no candidate kind has the fields {sorted(given)}; kinds and their "
                            f"fields: {known}")
    raise DiscoverError(f"fields {sorted(given)} fit several kinds "
                        f"({', '.join(g.kind for g in matching)}); pass kind=...")


def verify(candidate: Any = None, *, value: str | Any, digits: int = 100, kind: str | None = None,
           plugins: Plugins | None = None, method: str = "auto", **fields: Any) -> Verdict:
    """Verify a candidate against a claimed value to ``digits`` digits.

    Give the candidate as an object (``discover.PCF(...)``) or as fields
    (``a="2*n+1", b="n^2"``); ``value`` is a whitelisted expression over constant names
    (``"4/pi"``, ``"6/zeta3"``) or an mpmath number. Returns a :class:`Verdict` with ``equal``,
    ``digits`` agreeing and the convergence rate. A near miss (agreeing to 15 digits but not to
    ``digits``) gives ``equal=False``.

    ``method`` (default ``"auto"``: the generator picks from the convergence it measures) forces
    a verification method where the generator offers several: for PCFs ``"exact"`` (exact
    convergents and their error estimate) or ``"extrapolated"`` (extrapolation of exact
    convergents, for slowly converging PCFs). ``verdict.method`` says which one gave the digits.
    """
    if digits < 1:
        raise ExpressionError(f"digits must be positive, got {digits}")
    _limits.check("digits", digits, "digits")
    pl = plugins or _default_plugins()
    gen = _generator_for(candidate, kind, fields, pl)
    if candidate is None:
        candidate = gen.from_fields(fields)
    if method != "auto" and method not in verify_methods(gen):
        offered = ", ".join(("auto", *verify_methods(gen)))
        raise ExpressionError(f"verification method {method!r} is not offered for {gen.kind} "
                              f"candidates; use one of: {offered}")
    claimed = claimed_value(value, pl.constants, digits) if isinstance(value, str) else value
    verdict = verify_candidate(gen, candidate, claimed, digits, method=method)
    if isinstance(value, str):
        verdict.claimed = verdict.claimed or value
        verdict.extra.setdefault("claimed_expression", value)
    return verdict


def identify(value, *, constants: Sequence[str] | None = None, digits: int | None = None,
             plugins: Plugins | None = None, products: bool = True,
             method: str = "auto") -> Identification | None:
    """Find a closed form of ``value`` (a decimal string, an expression or an mpf) with integer
    relations (LLL or PSLQ, ``method``): rational, Moebius over one constant or a product of two
    (``products``), linear over the named constants.

    Returns an :class:`~discover.identification.Identification` (``.expression`` is sympy-parsable)
    or ``None`` when no relation is found.
    """
    if digits is not None:
        _limits.check("digits", digits, "digits")
    pl = plugins or _default_plugins()
    extra = []
    for c in constants or ():
        extra += pl.identification_basis(pl.constants.get(c).name)
    return _identify(value, constants=constants, digits=digits, registry=pl.constants,
                     extra_basis=extra, products=products, method=method)


def show(store: str | Path | None = None, *, run: int | None = None, kind: str | None = None,
         constant: str | None = None) -> list[DiscoveryRecord]:
    """The stored discoveries (optionally of one run, kind or constant)."""
    with Store(store, readonly=True) as st:
        return st.discoveries(run_id=run, kind=kind, constant=constant)


def export(store: str | Path | None, out: str | Path, *, fmt: str = "json",
           discovery: int | None = None, plugins: Plugins | None = None) -> list[Path]:
    """Write each discovery's provenance graph to ``out/discovery-<id>.<fmt>``; return paths."""
    pl = plugins or _default_plugins()
    if fmt not in pl.exporters:
        raise DiscoverError(f"unknown export format {fmt!r}; available: "
                            f"{', '.join(sorted(pl.exporters))}")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    with Store(store, readonly=True) as st:
        recs = [st.discovery(discovery)] if discovery is not None else st.discoveries()
        for rec in recs:
            path = out / f"discovery-{rec.id}.{fmt}"
            pl.exporters[fmt](st.provenance(rec.id), path)
            paths.append(path)
    return paths


def report(store: str | Path | None, html: str | Path, *, run: int | None = None,
           plugins: Plugins | None = None) -> Path:
    """Write a self-contained HTML report (runs, discoveries, convergence plots, provenance)."""
    from .reporting import write_report

    return write_report(store, html, run_id=run, plugins=plugins or _default_plugins())


_ = graph_to_json  # re-exported for users of the API module
