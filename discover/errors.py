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
