"""Budgets: one named limit for every input that could ask for unbounded work.

Every limit has a default and can be raised (or lowered) with an environment variable
``DISCOVER_LIMIT_<NAME>`` (the field name in upper case), read each time a limit is checked::

    DISCOVER_LIMIT_DIGITS=200000 discover verify --a "2*n+1" --b "n^2" --value "4/pi" --digits 150000

A request over a limit raises :class:`~discover.errors.LimitError` *before* any work is done; its
message names the field, the value asked for, the limit and the variable that raises it.

==========================  ==============  ===================================================
limit (env variable suffix) default         what it bounds
==========================  ==============  ===================================================
``expression_length``       2000            characters of an expression (value, polynomial)
``expression_depth``        60              nesting depth of an expression
``literal_digits``          1000            digits of one number literal (``123...``)
``exponent``                1000            abs. value of an exponent in ``x^k`` (estimated
                                            when not a literal)
``result_digits``           10000           estimated decimal digits of any intermediate value
                                            (abs of log10, e.g. ``10^10^10`` or ``gamma(10^9)``)
``polynomial_degree``       64              degree of a polynomial (``a(n)``, ``b(n)``)
``coefficient_digits``      1000            digits of a polynomial coefficient (estimated)
``digits``                  100000          digits requested for verification/identification
``depth``                   10000000        depth (terms) requested for a limit/verification
``search_candidates``       1000000000      candidates of a search before ``discover run``
                                            asks for confirmation (``--yes``)
``axiom_file_bytes``        1000000         size of an axiom file (logic plugin)
``axioms``                  10000           declarations + axioms in one axiom file
``axiom_term_depth``        200             nesting depth of a term in an axiom file
``axiom_arity``             32              arity of a declared symbol in an axiom file
==========================  ==============  ===================================================

Use :func:`get` for the current values and :func:`check` to enforce one.
"""

from __future__ import annotations

import dataclasses
import math
import os
from dataclasses import dataclass

from .errors import LimitError, SearchTooLargeError

__all__ = ["Limits", "get", "check", "check_search_size", "env_name", "DEFAULTS",
           "ASSUMED_RATE", "LimitError", "SearchTooLargeError"]

ENV_PREFIX = "DISCOVER_LIMIT_"


@dataclass(frozen=True)
class Limits:
    """The named limits (see the module docstring for what each bounds)."""

    expression_length: int = 2000
    expression_depth: int = 60
    literal_digits: int = 1000
    exponent: int = 1000
    result_digits: int = 10000
    polynomial_degree: int = 64
    coefficient_digits: int = 1000
    digits: int = 100000
    depth: int = 10_000_000
    search_candidates: int = 1_000_000_000
    axiom_file_bytes: int = 1_000_000
    axioms: int = 10000
    axiom_term_depth: int = 200
    axiom_arity: int = 32


DEFAULTS = Limits()

# Candidates per second per worker assumed for the time estimate when no rate was measured
# (the pcf generator screens roughly this many on one core of a laptop).
ASSUMED_RATE = 300_000.0


def env_name(name: str) -> str:
    """``digits`` -> ``DISCOVER_LIMIT_DIGITS``."""
    return ENV_PREFIX + name.upper()


def get() -> Limits:
    """The limits in force: the defaults, overridden by ``DISCOVER_LIMIT_<NAME>`` variables.

    A variable that is not a positive integer raises :class:`LimitError` naming it.
    """
    values = {}
    for f in dataclasses.fields(Limits):
        raw = os.environ.get(env_name(f.name))
        if raw is None or not raw.strip():
            continue
        try:
            val = int(raw.strip().replace("_", ""))
        except ValueError:
            val = 0
        if val <= 0:
            raise LimitError(env_name(f.name), raw, getattr(DEFAULTS, f.name), f.name,
                             problem=f"environment variable {env_name(f.name)}={raw!r} is not a "
                                     f"positive integer",
                             fix=f"unset it or set it to a positive integer (default "
                                 f"{getattr(DEFAULTS, f.name)})")
        values[f.name] = val
    return dataclasses.replace(DEFAULTS, **values) if values else DEFAULTS


def check(name: str, value, field: str | None = None, *, what: str | None = None,
          error: type[LimitError] = LimitError) -> None:
    """Raise ``error`` if ``value`` exceeds the limit ``name`` (``field`` names the input)."""
    limit = getattr(get(), name)
    if value is not None and value > limit:
        raise error(field or name, value, limit, name, problem=what)


def _fmt_seconds(s: float) -> str:
    if not math.isfinite(s):
        return "unknown"
    if s < 120:
        return f"{s:.0f} s"
    if s < 7200:
        return f"{s / 60:.0f} min"
    if s < 3 * 86400:
        return f"{s / 3600:.1f} h"
    return f"{s / 86400:.1f} days"


def check_search_size(candidates: int, *, rate: float | None = None, workers: int = 1,
                      yes: bool = False, name: str = "search") -> dict:
    """Refuse a search of more than ``search_candidates`` candidates unless ``yes``.

    ``rate`` is candidates per second per worker (default :data:`ASSUMED_RATE`). Returns
    ``{"candidates", "limit", "estimated_seconds", "exceeds"}``; raises
    :class:`~discover.errors.SearchTooLargeError` (a :class:`LimitError`) stating the count, the
    estimated time and how to go on (``--yes`` or ``DISCOVER_LIMIT_SEARCH_CANDIDATES``).
    """
    limit = get().search_candidates
    per_second = (rate if rate and rate > 0 else ASSUMED_RATE) * max(1, int(workers or 1))
    seconds = candidates / per_second
    info = {"candidates": int(candidates), "limit": limit, "estimated_seconds": seconds,
            "exceeds": candidates > limit}
    if candidates > limit and not yes:
        raise SearchTooLargeError(
            f"{name}.candidates", candidates, limit, "search_candidates",
            problem=f"{name} has {candidates:,} candidates (estimated {_fmt_seconds(seconds)} "
                    f"with {max(1, int(workers or 1))} worker(s) at {per_second:,.0f} "
                    f"candidates/s), more than the limit search_candidates = {limit:,}",
            fix="run it anyway with `discover run ... --yes` (yes=True in Python), shrink the "
                "ranges in [generator], or set DISCOVER_LIMIT_SEARCH_CANDIDATES to a larger "
                "number",
            estimated_seconds=seconds)
    return info
