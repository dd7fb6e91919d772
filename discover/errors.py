"""One exception hierarchy for the whole toolkit.

Every error raised on purpose by ``discover`` derives from :class:`DiscoverError`, so a caller can
catch them all at once. Messages name the offending field or value and say how to fix it.
"""

from __future__ import annotations


class DiscoverError(Exception):
    """Base class of every error raised on purpose by ``discover``."""


class ExpressionError(DiscoverError, ValueError):
    """An expression (a value, a polynomial, a closed form) is malformed or not allowed.

    Expressions are parsed by a whitelist parser; anything outside the whitelist (attribute access,
    subscripts, unknown names or functions, lambdas, ...) is rejected, never evaluated.
    """


class SearchFileError(DiscoverError, ValueError):
    """A search file (TOML) is malformed: the message names the field and the fix."""

    def __init__(self, field: str, problem: str, fix: str | None = None, *, path: str | None = None):
        self.field = field
        self.problem = problem
        self.fix = fix
        self.path = path
        where = f"{path}: " if path else ""
        msg = f"{where}field '{field}': {problem}"
        if fix:
            msg += f" (fix: {fix})"
        super().__init__(msg)


class PluginError(DiscoverError):
    """A plugin failed to load or registered something invalid; the message names the plugin."""


class UnknownConstantError(DiscoverError, KeyError):
    """A constant name that the corpus does not know; the message lists the known names."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class StoreError(DiscoverError):
    """The store cannot be opened or written (incompatible version, read-only path, ...)."""


class VerificationError(DiscoverError):
    """A candidate could not be evaluated at all (for example a vanishing denominator)."""


class LimitError(DiscoverError, ValueError):
    """A request exceeds one of the budgets of :mod:`discover.limits`.

    ``field`` is the input that asked for too much, ``value`` what it asked, ``limit`` the bound
    and ``name`` the limit's name; the message says how to raise it (the environment variable
    ``DISCOVER_LIMIT_<NAME>``) unless ``fix`` says otherwise.
    """

    def __init__(self, field: str, value, limit, name: str, *, problem: str | None = None,
                 fix: str | None = None):
        self.field, self.value, self.limit, self.name = field, value, limit, name
        env = "DISCOVER_LIMIT_" + name.upper()
        self.env = env
        shown = value
        if isinstance(value, float) and value > 1e6:
            shown = f"about {value:.3g}"
        problem = problem or f"{field} = {shown} exceeds the limit {name} = {limit}"
        fix = fix or (f"ask for less, or raise the limit with the environment variable "
                      f"{env}=N (N > {limit})")
        self.problem, self.fix = problem, fix
        super().__init__(f"{problem} ({fix})")


class ExpressionLimitError(LimitError, ExpressionError):
    """An expression asks for too much work (an exponent, a literal or a result too large)."""


class SearchTooLargeError(LimitError):
    """A search has more candidates than ``search_candidates``; confirm with ``--yes``."""

    def __init__(self, *args, estimated_seconds: float | None = None, **kw):
        self.estimated_seconds = estimated_seconds
        super().__init__(*args, **kw)
