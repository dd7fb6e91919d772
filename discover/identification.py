"""Identification: find a closed form for a number with integer relations (LLL or PSLQ).

Given a value known to D digits, :func:`identify` looks, in order of simplicity, for

1. a rational number p/q;
2. a Moebius transform ``(c0 + c1 K)/(c2 + c3 K)`` of one named constant K;
3. a Moebius transform of a product ``K = K1 K2`` of two named constants (squares included:
   ``pi*gauss^2`` is ``lemniscate*gauss``);
4. an integer linear combination of 1 and a chosen basis: the named constants asked for (all of
   them; by default pi, e, ln2, zeta3, catalan and euler_gamma) plus any extra basis elements
   (plugins extend it through the ``discover_identification_basis`` hook).

Integer relations are found by :func:`integer_relation`: python-flint's LLL
(``fmpz_mat.lll``) on the lattice ``[I | round(10^d v)]``, or mpmath's PSLQ. Measured on
relations among library constants (``benchmarks/bench_identify.py``): a basis of 4 takes 0.3 ms
with LLL and 0.4 ms with PSLQ when a relation exists (PSLQ: 8 ms when none does), 10 elements
0.4 ms against 94 ms, 30 elements 26 ms against 13 s, 60 elements 0.5 s against 21 s; so
``method="auto"`` uses LLL from 3 elements on and PSLQ below.

A relation counts only if its coefficients are small compared with the precision (so that it is
unlikely to be an artefact; the allowance shrinks with the number of bases tried) and it holds to
the full precision. ``digits`` is how many digits the relation holds to; ``evidence_digits`` is
that minus the digits the relation's coefficients could explain by chance. "No relation found"
is a normal answer: ``None``.

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

__all__ = ["Identification", "identify", "parse_value", "integer_relation",
           "DEFAULT_LINEAR_BASIS"]

#: The linear step's basis when no constants are named.
DEFAULT_LINEAR_BASIS = ("pi", "e", "ln2", "zeta3", "catalan", "euler_gamma")


@dataclass
class Identification:
    """A closed form found for a value.

    ``expression`` is sympy-parsable text in terms of constant names (``"4/pi"``); ``relation``
    lists the integer coefficients over ``basis`` (the relation is sum(r_i * basis_i) = 0);
    ``digits`` is how many digits the relation was checked to; ``method`` says which strategy
    (``rational``, ``moebius``, ``moebius-product``, ``linear``); ``algorithm`` which
    integer-relation algorithm found it (``lll`` or ``pslq``); ``evidence_digits`` the digits
    beyond what the relation's coefficients could give by chance; ``tried`` how many bases were
    searched.
    """

    expression: str
    constants: list[str]
    relation: list[int]
    basis: list[str]
    digits: float
    method: str
    algorithm: str = "pslq"
    evidence_digits: float = 0.0
    tried: int = 1

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


def _relation_size(rel: Sequence[int]) -> float:
    return sum(math.log10(abs(r) + 1) for r in rel)


def _relation_ok(rel: Sequence[int], digits: float, tried: int = 1) -> bool:
    """Reject relations whose coefficients are too large to be meaningful at this precision
    (the allowance shrinks by log10 of the number of bases tried: more tries, more chances)."""
    return _relation_size(rel) < 0.7 * digits - math.log10(max(tried, 1))


def _residual_digits(rel, vals) -> float:
    s = mpmath.fsum(r * v for r, v in zip(rel, vals))
    scale = max(abs(r * v) for r, v in zip(rel, vals) if r) or mpmath.mpf(1)
    cap = float(mpmath.mp.dps)
    if s == 0:
        return cap
    return min(cap, float(-mpmath.log10(abs(s) / scale)))


def _lll_relation(values, digits: int, max_coeff: int):
    """The shortest vector of the LLL-reduced lattice ``[I | round(10^digits v)]`` if it is a
    relation with coefficients up to ``max_coeff`` (checked by the caller to full precision)."""
    import flint

    n = len(values)
    scale = mpmath.mpf(10) ** digits
    rows = []
    for i, v in enumerate(values):
        row = [0] * (n + 1)
        row[i] = 1
        row[n] = int(mpmath.nint(v * scale))
        rows.append(row)
    reduced = flint.fmpz_mat(rows).lll()
    for i in range(n):
        rel = [int(reduced[i, j]) for j in range(n)]
        if any(rel):
            return rel if max(abs(r) for r in rel) <= max_coeff else None
    return None


def integer_relation(values, digits: int, max_coeff: int = 10 ** 6, method: str = "auto",
                     maxsteps: int = 10 ** 4):
    """``(relation, algorithm)``: integers ``r`` with ``sum r_i v_i = 0`` to about ``digits``
    digits, or ``(None, algorithm)``.

    ``method`` is ``"lll"`` (python-flint), ``"pslq"`` (mpmath) or ``"auto"`` (LLL for 3
    elements and more, where it is 10 to 500 times faster; PSLQ for 2). The caller checks the
    relation to full precision (LLL returns its shortest vector, relation or not).

    >>> import mpmath
    >>> with mpmath.workdps(40):
    ...     integer_relation([mpmath.pi, 2 * mpmath.pi + 3, mpmath.mpf(1)], 30)
    ([-2, 1, -3], 'lll')
    """
    if method not in ("auto", "lll", "pslq"):
        raise ValueError(f"unknown integer-relation method {method!r}; use auto, lll or pslq")
    algo = method if method != "auto" else ("lll" if len(values) >= 3 else "pslq")
    if algo == "lll":
        try:
            rel = _lll_relation(values, digits, max_coeff)
        except ImportError:          # python-flint missing: PSLQ does the same job, slower
            algo = "pslq"
        else:
            if rel is not None:
                with mpmath.workdps(digits + 10):
                    s = abs(mpmath.fsum(r * v for r, v in zip(rel, values)))
                    scale = max(abs(v) for v in values) or 1
                    if s > scale * mpmath.mpf(10) ** (-digits // 2):
                        rel = None
            return rel, algo
    rel = mpmath.pslq(values, tol=mpmath.mpf(10) ** (-digits), maxcoeff=max_coeff,
                      maxsteps=maxsteps)
    return (list(map(int, rel)) if rel else None), algo


def _moebius(x, k, tol_digits: int, max_coeff: int, work: int, tried: int, method: str):
    """A Moebius relation ``r0 x + r1 x K + r2 + r3 K = 0`` (nondegenerate) or None."""
    basis = [x, x * k, mpmath.mpf(1), k]
    rel, algo = integer_relation(basis, tol_digits, max_coeff, method)
    if not rel or (rel[0] == 0 and rel[1] == 0) or not _relation_ok(rel, work, tried):
        return None
    r0, r1, r2, r3 = map(int, rel)
    if r0 * r3 - r1 * r2 == 0:     # degenerate: x would be rational
        return None
    digits = _residual_digits(rel, basis)
    if digits < tol_digits:
        return None
    return [r0, r1, r2, r3], digits, algo


def identify(value, *, constants: Sequence[str] | None = None, digits: int | None = None,
             registry: ConstantRegistry | None = None, max_coeff: int = 10 ** 6,
             extra_basis: Sequence[str] = (), products: bool = True,
             method: str = "auto") -> Identification | None:
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
        Largest coefficient a relation may use.
    extra_basis:
        Further basis elements (whitelisted expressions over constant names) for the linear step.
    products:
        Also try Moebius transforms of products of two of the constants (squares included).
    method:
        Integer-relation algorithm: ``auto``, ``lll`` or ``pslq`` (:func:`integer_relation`).
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
    n_single = len(consts)
    n_pairs = n_single * (n_single + 1) // 2 if products else 0
    with mpmath.workdps(work):
        x = +x
        rel, algo = integer_relation([x, mpmath.mpf(1)], tol_digits, max_coeff, "pslq")
        if rel and rel[0] != 0 and _relation_ok(rel, work):
            expr = sympy.Rational(-rel[1], rel[0])
            d = _residual_digits(rel, [x, 1])
            return Identification(str(expr), [], list(map(int, rel)), ["x", "1"], d, "rational",
                                  algo, round(d - _relation_size(rel), 2), 1)
        vals = [c.value(work + 10) for c in consts]
        found: list[Identification] = []
        for c, k in zip(consts, vals):
            hit = _moebius(x, k, tol_digits, max_coeff, work, n_single, method)
            if hit is None:
                continue
            (r0, r1, r2, r3), d, algo = hit
            sym = sympy.Symbol(c.name)
            expr = sympy.cancel(-(r2 + r3 * sym) / (r0 + r1 * sym))
            found.append(Identification(
                str(expr), [c.name], [r0, r1, r2, r3], ["x", f"x*{c.name}", "1", c.name], d,
                "moebius", algo, round(d - _relation_size([r0, r1, r2, r3]), 2), n_single))
        if found:
            return min(found, key=lambda f: (sum(abs(r) for r in f.relation), f.expression))
        if products and consts:
            tried = n_single + n_pairs
            for i in range(n_single):
                for j in range(i, n_single):
                    k = vals[i] * vals[j]
                    hit = _moebius(x, k, tol_digits, max_coeff, work, tried, method)
                    if hit is None:
                        continue
                    (r0, r1, r2, r3), d, algo = hit
                    a, b = consts[i].name, consts[j].name
                    sym = sympy.Symbol(a) * sympy.Symbol(b)
                    expr = sympy.cancel(-(r2 + r3 * sym) / (r0 + r1 * sym))
                    kname = f"{a}*{b}" if a != b else f"{a}^2"
                    found.append(Identification(
                        str(expr), sorted({a, b}), [r0, r1, r2, r3],
                        ["x", f"x*{kname}", "1", kname], d, "moebius-product", algo,
                        round(d - _relation_size([r0, r1, r2, r3]), 2), tried))
            if found:
                return min(found, key=lambda f: (sum(abs(r) for r in f.relation),
                                                 len(f.expression), f.expression))
        if constants is None:
            lin_names = [n for n in DEFAULT_LINEAR_BASIS if n in registry]
        else:
            lin_names = [c.name for c in consts]
        lin_names += list(extra_basis)
        if lin_names:
            lvals = [registry.evaluate(n, work + 10) for n in lin_names]
            basis = [x, mpmath.mpf(1), *lvals]
            rel, algo = integer_relation(basis, tol_digits, max_coeff, method,
                                         maxsteps=2 * 10 ** 4)
            if rel and rel[0] != 0 and _relation_ok(rel, work):
                d = _residual_digits(rel, basis)
                if d >= tol_digits:
                    syms = [registry.parse(n).to_sympy(registry.symbols()) for n in lin_names]
                    expr = -(rel[1] + sum(r * s for r, s in zip(rel[2:], syms))) / rel[0]
                    used = [n for n, r in zip(lin_names, rel[2:]) if r]
                    return Identification(str(sympy.simplify(expr)), used, list(map(int, rel)),
                                          ["x", "1", *lin_names], d, "linear", algo,
                                          round(d - _relation_size(rel), 2), 1)
    return None
