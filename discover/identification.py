"""Identification: find a closed form for a number with integer relations (PSLQ, mpmath).

Given a value known to D digits, :func:`identify` looks, in order of simplicity, for

1. a rational number p/q;
2. a Moebius transform ``(c0 + c1 K)/(c2 + c3 K)`` of one named constant K;
3. an integer linear combination of 1 and a few named constants (the basis can be extended by
   plugins through the ``discover_identification_basis`` hook).

A relation counts only if its coefficients are small compared with the precision (so that it is
unlikely to be an artefact of PSLQ) and it holds to the full precision. "No relation found" is a
normal answer: ``None``.

>>> r = identify("1.27323954473516268615107010698011489627567716592365", constants=["pi"])
>>> r.expression
'4/pi'
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass
from typing import Sequence

import mpmath
import sympy

from .constants import ConstantRegistry, default_registry
from .errors import ExpressionError

__all__ = ["Identification", "identify", "parse_value"]


@dataclass
class Identification:
    """A closed form found for a value.

    ``expression`` is sympy-parsable text in terms of constant names (``"4/pi"``); ``relation``
    lists the integer coefficients over ``basis`` (the relation is sum(r_i * basis_i) = 0);
    ``digits`` is how many digits the relation was checked to; ``method`` says which strategy.
    """

    expression: str
    constants: list[str]
    relation: list[int]
    basis: list[str]
    digits: float
    method: str

    def to_dict(self) -> dict:
        return asdict(self)


_DECIMAL = re.compile(r"^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$")


def parse_value(value, registry: ConstantRegistry | None = None, dps: int | None = None):
    """Turn ``value`` into ``(mpf, digits)``.

    A decimal string keeps all its digits (its precision is the number of significant digits
    written); an expression (``"4/pi"``, ``"exp(2)"``) is evaluated at ``dps`` digits (default
    100); an mpf or float is taken at its own precision.
    """
    registry = registry or default_registry()
    if isinstance(value, str):
        if _DECIMAL.match(value):
            mant = value.strip().lstrip("+-").split("e")[0].split("E")[0].replace(".", "")
            digits = len(mant.lstrip("0")) or 1
            with mpmath.workdps(digits + 10):
                return mpmath.mpf(value.strip()), digits
        d = dps or 100
        return registry.evaluate(value, d), d
    if isinstance(value, mpmath.mpf):
        digits = dps or int(value.context.prec * math.log10(2)) if hasattr(value, "context") \
            else dps or 15
        return value, digits
    if isinstance(value, (int, float)):
        return mpmath.mpf(value), dps or 15
    raise ExpressionError(f"cannot identify {value!r}: give a decimal string, an expression or "
                          f"an mpmath number")


def _relation_ok(rel: Sequence[int], digits: float) -> bool:
    """Reject relations whose coefficients are too large to be meaningful at this precision."""
    size = sum(math.log10(abs(r) + 1) for r in rel)
    return size < 0.7 * digits


def _residual_digits(rel, vals) -> float:
    s = mpmath.fsum(r * v for r, v in zip(rel, vals))
    scale = max(abs(r * v) for r, v in zip(rel, vals) if r) or mpmath.mpf(1)
    cap = float(mpmath.mp.dps)
    if s == 0:
        return cap
    return min(cap, float(-mpmath.log10(abs(s) / scale)))


def identify(value, *, constants: Sequence[str] | None = None, digits: int | None = None,
             registry: ConstantRegistry | None = None, max_coeff: int = 10 ** 6,
             extra_basis: Sequence[str] = ()) -> Identification | None:
    """Find a closed form for ``value`` or return ``None``.

    Parameters
    ----------
    value:
        A decimal string (all its digits are used), a whitelisted expression (evaluated at
        ``digits``, default 100) or an mpmath number.
    constants:
        Names of constants to try (default: every constant of the registry).
    digits:
        Working precision; defaults to the precision of ``value``.
    max_coeff:
        Largest coefficient PSLQ may use.
    extra_basis:
        Further basis elements (whitelisted expressions over constant names) for the linear step.
    """
    registry = registry or default_registry()
    x, prec = parse_value(value, registry, digits)
    prec = int(digits or prec)
    if prec < 12:
        raise ExpressionError(f"value {value!r} has only {prec} digits; identification needs at "
                              f"least 12 (give more digits)")
    names = list(constants) if constants is not None else registry.names()
    consts = [registry.get(n) for n in names]
    work = prec - 2
    tol_digits = int(work * 0.85)
    with mpmath.workdps(work):
        x = +x
        tol = mpmath.mpf(10) ** (-tol_digits)
        found: list[Identification] = []

        rel = mpmath.pslq([x, 1], tol=tol, maxcoeff=max_coeff, maxsteps=10 ** 4)
        if rel and rel[0] != 0 and _relation_ok(rel, work):
            expr = sympy.Rational(-rel[1], rel[0])
            return Identification(str(expr), [], list(map(int, rel)), ["x", "1"],
                                  _residual_digits(rel, [x, 1]), "rational")
        for c in consts:
            k = c.value(work + 10)
            basis = [x, x * k, mpmath.mpf(1), k]
            rel = mpmath.pslq(basis, tol=tol, maxcoeff=max_coeff, maxsteps=10 ** 4)
            if not rel or (rel[0] == 0 and rel[1] == 0) or not _relation_ok(rel, work):
                continue
            r0, r1, r2, r3 = map(int, rel)
            if r0 * r3 - r1 * r2 == 0:     # degenerate: x would be rational
                continue
            sym = sympy.Symbol(c.name)
            expr = sympy.cancel(-(r2 + r3 * sym) / (r0 + r1 * sym))
            found.append(Identification(str(expr), [c.name], [r0, r1, r2, r3],
                                        ["x", f"x*{c.name}", "1", c.name],
                                        _residual_digits(rel, basis), "moebius"))
        if found:
            return min(found, key=lambda f: (sum(abs(r) for r in f.relation), f.expression))
        lin_names = [c.name for c in consts[:6]] + list(extra_basis)
        if lin_names:
            vals = [registry.evaluate(n, work + 10) for n in lin_names]
            basis = [x, mpmath.mpf(1), *vals]
            rel = mpmath.pslq(basis, tol=tol, maxcoeff=max_coeff, maxsteps=2 * 10 ** 4)
            if rel and rel[0] != 0 and _relation_ok(rel, work):
                syms = [registry.parse(n).to_sympy(registry.symbols()) for n in lin_names]
                expr = -(rel[1] + sum(r * s for r, s in zip(rel[2:], syms))) / rel[0]
                used = [n for n, r in zip(lin_names, rel[2:]) if r]
                return Identification(str(sympy.simplify(expr)), used, list(map(int, rel)),
                                      ["x", "1", *lin_names], _residual_digits(rel, basis),
                                      "linear")
    return None
