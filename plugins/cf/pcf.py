"""The :class:`PCF` domain object: a polynomial continued fraction with integer coefficients.

Convention: ``value = a(0) + b(1)/(a(1) + b(2)/(a(2) + ...))``; coefficient lists are integers,
highest power of ``n`` first. Convergents ``p_n/q_n`` start from ``p_{-1} = 1, q_{-1} = 0,
p_0 = a(0), q_0 = 1`` and follow ``p_n = a(n) p_{n-1} + b(n) p_{n-2}`` (same for ``q``).

>>> from discover_plugins.cf.pcf import PCF
>>> f = PCF("2*n + 1", "n^2")
>>> f
PCF(a=[2, 1], b=[1, 0, 0])
>>> print(f)
PCF(2*n + 1, n**2)
>>> f.convergent(3)
(mpz(204), mpz(160))
>>> mpmath.nstr(f.limit(20), 20)              # 4/pi
'1.2732395447351626862'
>>> f.verify("4/pi", digits=50).equal
True
"""

from __future__ import annotations

import time
from typing import Iterator

import mpmath
import sympy
from gmpy2 import mpz

from discover.errors import ExpressionError
from discover.generator import Tier, Verdict
from discover.safeexpr import parse_polynomial

from . import canonical as _canon
from .convergence import _exact_claimed, compute_limit, extrapolate, poly_values, run_verify

__all__ = ["PCF", "OriginPCF", "VERIFY_METHODS"]

#: ``method`` values of :meth:`PCF.verify`: how the digits are obtained (``exact``,
#: ``extrapolated`` or ``auto``) or, keeping their old meaning, how exact convergents are
#: computed (``sequential``, ``binary-splitting``; both imply ``exact``).
VERIFY_METHODS = ("auto", "exact", "extrapolated", "sequential", "binary-splitting")

_N = sympy.Symbol("n")


def _coeffs(value, name: str) -> tuple:
    try:
        out = parse_polynomial(value)
    except ExpressionError as err:
        raise ExpressionError(f"PCF polynomial {name}: {err}") from err
    if not out:
        raise ExpressionError(f"PCF polynomial {name} is empty")
    return tuple(int(c) for c in out)


def _check_budget(digits, max_depth) -> None:
    """Refuse requests over the limits ``digits`` and ``depth`` (discover.limits) up front."""
    from discover import limits

    limits.check("digits", int(digits), "digits")
    limits.check("depth", int(max_depth), "max_depth", error=limits.LimitError)


def _too_slow(fields) -> bool:
    """An exact verdict that failed only because the convergence was too slow (not a refuted
    claim, not a terminating or singular PCF)."""
    return (not fields["equal"] and fields["reason"].startswith("convergence supports only")
            and "terminates_at" not in fields["extra"])


def _runner_for(method: str, digits) -> type | None:
    """Runner class for ``method``: binary splitting for ``"binary-splitting"`` and for
    ``"auto"`` above 1000 digits (None: the term-by-term default)."""
    if method not in ("auto", "sequential", "binary-splitting"):
        raise ValueError(f"unknown method {method!r}; use 'auto', 'sequential' or "
                         f"'binary-splitting'")
    if method == "binary-splitting" or (method == "auto" and digits > 1000):
        from .binsplit import DeepRunner
        return DeepRunner
    return None


class PCF:
    """A polynomial continued fraction ``a(0) + b(1)/(a(1) + b(2)/(a(2) + ...))``.

    Parameters
    ----------
    a, b : list of int or str
        Integer coefficients, highest power first (``[2, 1]`` is ``2n + 1``), or a polynomial
        in ``n`` as text (``"(n+1)^2"``), parsed with :func:`discover.safeexpr.parse_polynomial`.

    Raises
    ------
    discover.errors.ExpressionError
        If ``a`` or ``b`` is not an integer polynomial (the message names which).

    Examples
    --------
    >>> mpmath.nstr(PCF([2], [1]).limit(15), 15)      # 1 + sqrt(2)
    '2.4142135623731'
    >>> PCF([1, 0], "n").a_at(3), PCF([1, 0], "n").b_at(3)
    (3, 3)
    """

    __slots__ = ("_a", "_b", "_hash")

    def __init__(self, a, b):
        self._a = _coeffs(a, "a")
        self._b = _coeffs(b, "b")
        self._hash = hash((self._a, self._b))

    # -- value semantics ----------------------------------------------------------------
    def __setattr__(self, name, value):
        if hasattr(self, "_hash"):
            raise AttributeError("PCF is immutable")
        object.__setattr__(self, name, value)

    def __reduce__(self):
        return (PCF, (list(self._a), list(self._b)))

    def __eq__(self, other) -> bool:
        return isinstance(other, PCF) and self._a == other._a and self._b == other._b

    def __hash__(self) -> int:
        return self._hash

    def __repr__(self) -> str:
        return f"PCF(a={list(self._a)}, b={list(self._b)})"

    def __str__(self) -> str:
        a_expr, b_expr = self.sympy()
        return f"PCF({a_expr}, {b_expr})"

    def _repr_html_(self) -> str:
        """A PCF in Jupyter: a(n), b(n) and the continued fraction in LaTeX (for MathJax)."""
        from html import escape

        a_expr, b_expr = self.sympy()
        return (f"<div><b>{escape(str(self))}</b>: a(n) = <code>{escape(str(a_expr))}</code>, "
                f"b(n) = <code>{escape(str(b_expr))}</code><br>$${escape(self.latex())}$$</div>")

    @property
    def a(self) -> tuple:
        """Coefficients of ``a(n)``, highest power first."""
        return self._a

    @property
    def b(self) -> tuple:
        """Coefficients of ``b(n)``, highest power first."""
        return self._b

    @property
    def degrees(self) -> tuple[int, int]:
        """``(deg a, deg b)`` (the zero polynomial has degree 0).

        >>> PCF([34, 51, 27, 5], [-1, 0, 0, 0, 0, 0, 0]).degrees
        (3, 6)
        """
        return len(self._a) - 1, len(self._b) - 1

    def a_at(self, n: int) -> int:
        """``a(n)`` as an exact integer."""
        return poly_values(self._a, n, n)[0]

    def b_at(self, n: int) -> int:
        """``b(n)`` as an exact integer."""
        return poly_values(self._b, n, n)[0]

    def sympy(self) -> tuple[sympy.Expr, sympy.Expr]:
        """``(a(n), b(n))`` as sympy expressions in ``Symbol("n")``.

        >>> PCF([1, 2, 1], [3])
        PCF(a=[1, 2, 1], b=[3])
        >>> PCF([1, 2, 1], [3]).sympy()
        (n**2 + 2*n + 1, 3)
        """
        return (sympy.Poly(self._a, _N).as_expr(), sympy.Poly(self._b, _N).as_expr())

    def latex(self, terms: int = 3) -> str:
        r"""A LaTeX rendering: the first ``terms`` levels numerically, then the general term.

        >>> PCF([2, 1], [1, 0, 0]).latex()
        '1 + \\cfrac{1}{3 + \\cfrac{4}{5 + \\cfrac{9}{7 + \\ddots + \\cfrac{n^{2}}{2 n + 1 + \\ddots}}}}'
        """
        a_expr, b_expr = self.sympy()
        tail = (r"\ddots + \cfrac{" + sympy.latex(b_expr) + "}{" + sympy.latex(a_expr)
                + r" + \ddots}")
        out = tail
        for n in range(terms, 0, -1):
            bn = self.b_at(n)
            out = f"{self.a_at(n)} + {out}"
            out = r"\cfrac{" + str(bn) + "}{" + out + "}"
        return f"{self.a_at(0)} + {out}"

    # -- convergents -------------------------------------------------------------------
    def convergents(self, N: int) -> Iterator[tuple]:
        """Yield ``(p_n, q_n)`` (gmpy2 ``mpz``) for ``n = 0..N``.

        >>> [(int(p), int(q)) for p, q in PCF([2, 1], [1, 0, 0]).convergents(2)]
        [(1, 1), (4, 3), (24, 19)]
        """
        A = poly_values(self._a, 0, max(N, 0))
        B = poly_values(self._b, 0, max(N, 0))
        p1, q1, p, q = mpz(1), mpz(0), mpz(A[0]), mpz(1)
        yield p, q
        for an, bn in zip(A[1:], B[1:]):
            p, p1 = an * p + bn * p1, p
            q, q1 = an * q + bn * q1, q
            yield p, q

    def convergent(self, N: int, method: str = "auto") -> tuple:
        """``(p_N, q_N)`` as exact gmpy2 integers.

        ``method`` is ``"sequential"`` (term by term), ``"binary-splitting"`` (the matrix
        product split in halves, :mod:`discover_plugins.cf.binsplit`; much faster at depths of
        thousands and more) or ``"auto"`` (binary splitting from depth 512 on).

        >>> PCF([2, 1], [1, 0, 0]).convergent(3, method="binary-splitting")
        (mpz(204), mpz(160))
        """
        if method not in ("auto", "sequential", "binary-splitting"):
            raise ValueError(f"unknown method {method!r}; use 'auto', 'sequential' or "
                             f"'binary-splitting'")
        if N < 0:
            return mpz(1), mpz(0)
        if method == "binary-splitting" or (method == "auto" and N >= 512):
            from .binsplit import convergent as _bs_convergent
            return _bs_convergent(self._a, self._b, N)
        for pq in self.convergents(N):
            pass
        return pq

    # -- values ----------------------------------------------------------------------------
    def limit(self, digits: int = 50, max_depth: int = 20000,
              method: str = "auto") -> mpmath.mpf:
        """The value to ``digits`` significant digits from exact convergents.

        The depth grows (predicted from the fitted convergence, at most doubling) until the
        error estimate of :mod:`discover_plugins.cf.convergence` is below ``10**-(digits+2)``
        relative to the value (absolute if the convergent is 0).

        Raises
        ------
        discover.errors.VerificationError
            If the PCF terminates (``b(k) = 0``: a rational value), its denominators vanish,
            or ``max_depth`` (or a projection of the fitted rate to ``max_depth``) does not
            reach the precision; the message says how many digits were reached.

        ``method="extrapolated"`` extrapolates exact convergents instead (slowly converging
        PCFs, :func:`discover_plugins.cf.slow.extrapolated_limit`); it raises the same error
        when its estimate does not support ``digits`` digits or the PCF diverges, oscillates or
        terminates.

        >>> mpmath.nstr(PCF([6, 3], [-1, 0, 0]).limit(30), 25)     # 2/log(2)
        '2.885390081777926814719849'
        >>> mpmath.nstr(PCF([1], [1, 0, 0]).limit(30, method="extrapolated"), 25)   # 1/log(2)
        '1.442695040888963407359925'
        """
        _check_budget(digits, max_depth)
        if method == "extrapolated":
            from discover.errors import VerificationError

            from .slow import extrapolated_limit

            res = extrapolated_limit(self._a, self._b, int(digits), max_depth=int(max_depth))
            if res.status != "ok" or res.digits < digits + 2:
                raise VerificationError(f"{self!r}: extrapolation gives {res.digits:.1f} digits "
                                        f"({res.status}: {res.reason}); {digits} requested")
            with mpmath.workdps(int(digits) + 10):
                return +res.value
        value, _, _ = compute_limit(self._a, self._b, int(digits), int(max_depth),
                                    runner_cls=_runner_for(method, digits))
        return value

    def extrapolated_limit(self, n0: int = 1000, step: int = 100, orders=(8, 12),
                           dps: int = 120) -> tuple:
        """Richardson extrapolation in ``1/n`` for slowly converging PCFs: ``(value, digits)``.

        ``digits`` compares two extrapolation orders; it is a heuristic, not a bound (see
        :func:`discover_plugins.cf.convergence.extrapolate`).
        """
        return extrapolate(self._a, self._b, n0, step, orders, dps)

    def verify(self, claimed, digits: int = 100, max_depth: int = 20000,
               method: str = "auto") -> Verdict:
        """Compare the PCF's value with ``claimed`` using exact convergents, extrapolated if
        they converge too slowly.

        Parameters
        ----------
        claimed : mpmath.mpf, gmpy2.mpfr, number or str
            The claimed value, computed at ``>= digits + 20`` digits, or a whitelisted
            expression (``"6/zeta3"``) evaluated with the corpus constants at ``digits + 30``.
        digits : int
            Digits required for ``equal``.
        max_depth : int
            Largest depth tried (by either method).
        method : str
            ``"exact"``: digits from exact convergents and their error estimate only (geometric
            or fast convergence); ``"extrapolated"``: digits from the extrapolation of exact
            convergents (:mod:`discover_plugins.cf.slow`; algebraic convergence);
            ``"auto"`` (default): exact first, and if the measured convergence does not
            support ``digits`` digits (and the claim is not already refuted),
            extrapolation. ``"sequential"`` and ``"binary-splitting"`` are ``"exact"`` with
            that way of computing the convergents (``auto`` switches to binary splitting above
            1000 digits).

        Returns
        -------
        discover.generator.Verdict
            ``equal`` iff at least ``digits`` digits agree *and* the error estimate of the
            method that gave them supports ``digits`` digits. ``digits`` is ``min(agreeing,
            supported)`` (capped at ``digits + 20``); ``method`` is ``"exact"`` or
            ``"extrapolated"`` (``extra["method_detail"]`` says more); ``convergence_rate``
            is digits per term of the convergents (least squares over the second half of the
            computed range); ``extra["error_fit"]`` describes the fit, ``extra["extrapolation"]``
            the extrapolation. When no method reaches ``digits``, ``reason`` says how many digits
            each supports. Never raises for a bad PCF: termination, divergence, oscillation and
            vanishing denominators give ``equal=False`` with a reason.

        >>> v = PCF([2, 1], [1, 0, 0]).verify("4/pi + 10^-40", digits=60)
        >>> v.equal, round(v.digits), v.method
        (False, 40, 'exact')
        >>> v = PCF([3], [1, 1, 0]).verify("2/(10 - 3*pi)", digits=30)
        >>> v.equal, v.method
        (True, 'extrapolated')
        """
        if method not in VERIFY_METHODS:
            raise ValueError(f"unknown method {method!r}; use one of {', '.join(VERIFY_METHODS)}")
        _check_budget(digits, max_depth)
        t0 = time.perf_counter()
        digits = int(digits)
        max_depth = int(max_depth)
        fields = None
        if method != "extrapolated":
            conv = method if method in ("sequential", "binary-splitting") else "auto"
            runner = _runner_for(conv, digits)
            fields = run_verify(self._a, self._b, claimed, digits, max_depth, runner_cls=runner)
            fields["extra"]["method_detail"] = fields["method"]
            if runner is not None and (conv == "binary-splitting" or fields.get("depth", 0) > 512):
                fields["extra"]["method_detail"] = "exact convergents (gmpy2, binary splitting)"
            fields["method"] = "exact"
        if method == "extrapolated" or (method == "auto" and _too_slow(fields)):
            fields = self._verify_extrapolated(claimed, digits, max_depth, fields)
        fields["seconds"] = time.perf_counter() - t0
        name = "extrapolated" if fields["method"] == "extrapolated" else "exact"
        tier = Tier(name=name, precision_digits=float(digits + 20), depth=fields["depth"],
                    value=fields["value"], digits=fields["digits"], seconds=fields["seconds"],
                    detail=dict(fields["extra"]))
        return Verdict(equal=fields["equal"], digits=fields["digits"],
                       required=fields["required"], convergence_rate=fields["convergence_rate"],
                       depth=fields["depth"], value=fields["value"], claimed=fields["claimed"],
                       method=fields["method"], seconds=fields["seconds"],
                       reason=fields["reason"], tiers=[tier], extra=fields["extra"])

    def _verify_extrapolated(self, claimed, digits: int, max_depth: int, exact) -> dict:
        """The extrapolated verdict's fields, combined with the exact one's (if any)."""
        from .slow import verify_extrapolated

        cn, cd, cval = _exact_claimed(claimed, digits)
        s = verify_extrapolated(self._a, self._b, cn, cd, cval, digits, max_depth=max_depth)
        res = s.pop("slow")
        extra = {"method_detail": "extrapolated: " + (res.accelerator or "none") + " on exact "
                 "convergents (gmpy2, binary splitting)", "extrapolation": res.as_dict(),
                 "agreeing_digits": round(s["agree"], 2),
                 "supported_digits": round(s["supported"], 2)}
        if res.status in ("terminates", "vanishing") and exact is None:
            extra["terminates_at"] = res.depth
        s.update(claimed=mpmath.nstr(cval, digits + 2), extra=extra)
        if exact is None:
            return s
        # both ran: keep the exact fields as evidence, report the method that gave the digits
        exact_sup = exact["extra"].get("supported_digits", 0.0)
        extra["exact"] = {"supported_digits": exact_sup, "depth": exact["depth"],
                          "error_fit": exact["extra"].get("error_fit")}
        s["convergence_rate"] = exact["convergence_rate"]
        if res.status != "ok":
            exact["extra"]["extrapolation"] = res.as_dict()
            exact["extra"]["slow_path"] = res.status
            exact["reason"] += f"; extrapolation refused: {res.reason}"
            return exact
        if s["equal"] or s["digits"] >= exact["digits"]:
            if not s["equal"] and s["supported"] < digits:
                s["reason"] = (f"no method reaches {digits} digits: exact convergents support "
                               f"{exact_sup:.1f} digits at depth {exact['depth']}; "
                               f"extrapolation supports {s['supported']:.1f} ({res.reason})")
            return s
        exact["extra"]["extrapolation"] = res.as_dict()
        exact["reason"] = (f"no method reaches {digits} digits: exact convergents support "
                           f"{exact_sup:.1f} digits at depth {exact['depth']}; extrapolation "
                           f"supports {s['supported']:.1f} ({res.reason})")
        return exact

    # -- canonical form ------------------------------------------------------------------
    def canonical(self) -> tuple["PCF", tuple]:
        """``(canonical PCF, M)`` with ``value(self) = (m00 v + m01)/(m10 v + m11)`` where
        ``v = value(canonical)``; rules in :mod:`discover_plugins.cf.canonical`.

        >>> PCF([6, 3], [9, 0, 0]).canonical()
        (PCF(a=[2, 1], b=[1, 0, 0]), ((3, 0), (0, 1)))
        """
        a, b, m = _canon.canonical_form(self._a, self._b)
        return PCF(list(a), list(b)), m

    def key(self) -> str:
        """Dedup key of the canonical form, e.g. ``"pcf:a=2,1;b=1,0,0"``.

        >>> PCF("2*n+3", "(n+1)^2").key()
        'pcf:a=2,1;b=1,0,0'
        """
        c, _ = self.canonical()
        return "pcf:a=" + ",".join(map(str, c.a)) + ";b=" + ",".join(map(str, c.b))

    def to_json(self) -> dict:
        """``{"a": [...], "b": [...]}``."""
        return {"a": list(self._a), "b": list(self._b)}


class OriginPCF(PCF):
    """A PCF that remembers where it came from (``origin``: a field trajectory, an ESMA
    pattern), kept in its JSON under :attr:`origin_key` and so in the discovery's provenance.
    Subclasses set ``origin_key``."""

    __slots__ = ("_origin",)
    origin_key = "origin"

    def __init__(self, a, b, origin):
        object.__setattr__(self, "_origin", dict(origin))
        super().__init__(a, b)

    @property
    def origin(self) -> dict:
        return dict(self._origin)

    def __reduce__(self):
        return (type(self), (list(self.a), list(self.b), self._origin))

    def to_json(self) -> dict:
        return {**super().to_json(), self.origin_key: dict(self._origin)}
