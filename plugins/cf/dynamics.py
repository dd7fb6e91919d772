"""Convergence dynamics of a PCF: irrationality measure ``delta``, convergence rate, error fit.

For reduced convergents ``p_n/q_n`` (``gcd(p_n, q_n) = 1``) of a PCF with limit ``L``,
``|p_n/q_n - L| = q_n**-(1 + delta_n)``, i.e. ``delta_n = -1 - log|p_n/q_n - L| / log q_n``.
``delta > 0`` at large ``n`` would prove ``L`` irrational (Apery's PCF for ``zeta(3)`` has
``delta -> 0.0805``). Before the gcd reduction the common factor is examined (``k = 3`` for
Apery's PCF, whose ``b(n) = -n**6`` makes ``p_n, q_n`` multiples of ``(m!)**3`` with
``m = n/2``); the largest such factorial ``(m!)**k`` is reported as ``factorial_reduction``.

The error curve ``log10|x_n - L|`` is fitted by least squares to ``c0 + c1 n + c2 n log10 n``
on a geometric grid of depths (``c2`` captures factorial convergence, ``c1`` geometric).

>>> from discover_plugins.cf.dynamics import dynamics
>>> d = dynamics((34, 51, 27, 5), (-1, 0, 0, 0, 0, 0, 0), depth=200, limit="6/zeta3")
>>> d["factorial_reduction"]["k"] >= 1, 0.05 < d["delta"] < 0.12
(True, True)
"""

from __future__ import annotations

import math

import gmpy2
import mpmath
import numpy as np
from gmpy2 import mpz

from .binsplit import convergent_pair
from .convergence import log10_abs

__all__ = ["delta_at", "dynamics", "factorial_power"]


def factorial_power(g, n: int, kmax: int = 12) -> int:
    """Largest ``k <= kmax`` with ``(n!)**k`` dividing ``g`` (0 for ``n < 2``)."""
    if n < 2 or g == 0:
        return 0
    f = gmpy2.fac(n)
    k = 0
    g = mpz(g)
    while k < kmax and g % f == 0:
        g //= f
        k += 1
    return k


def factorial_reduction(g, n: int, kmax: int = 6) -> dict | None:
    """The factorial part of ``g = gcd(p_n, q_n)``: the ``(m!)**k`` (``m <= n``, ``k <= kmax``)
    dividing ``g`` with the largest ``k log(m!)``, as ``{"k": k, "m": m, "digits": ...}``, or
    None if not even ``2!`` divides ``g``. (Divisibility by ``(m!)**k`` is monotone in ``m``,
    so the largest ``m`` for each ``k`` is found by bisection.)"""
    best = None
    for k in range(1, kmax + 1):
        if factorial_power(g, 2, k) < k:
            break
        lo, hi = 2, n
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if factorial_power(g, mid, k) >= k:
                lo = mid
            else:
                hi = mid - 1
        score = k * float(gmpy2.lgamma(lo + 1)[0])
        if best is None or score > best[0]:
            best = (score, k, lo)
    if best is None:
        return None
    return {"k": best[1], "m": best[2], "digits": round(best[0] / math.log(10), 2)}


def _limit_value(a, b, limit, depth: int, dps: int, limit_digits: float | None = None):
    """The limit to ``dps`` digits: from ``limit`` (an expression, evaluated at ``dps``, or a
    number known to ``limit_digits`` digits), or from the convergent at ``2 depth + 10`` when
    no limit is given or the number is not known to ``dps`` digits (a number good to 140
    digits would cap ``|p_n/q_n - L|`` at ``10**-140`` and bias delta downwards)."""
    if limit is not None and not isinstance(limit, str) and limit_digits is not None \
            and limit_digits < dps:
        limit = None
    if limit is None:
        p, q, _, _ = convergent_pair(a, b, 2 * depth + 10)
        with mpmath.workdps(dps):
            return mpmath.mpf(int(p)) / int(q)
    if isinstance(limit, str):
        from discover.constants import default_registry
        return default_registry().evaluate(limit, dps)
    with mpmath.workdps(dps):
        return mpmath.mpf(limit)


def _dps_for(a, b, depth: int) -> int:
    """Working digits: enough for ``|p/q - L|`` at ``depth`` (about ``2 log10 q_n``)."""
    p, q, _, _ = convergent_pair(a, b, depth)
    return int(2.2 * max(log10_abs(q), 1.0)) + 40


def delta_at(a, b, depth: int, limit=None, limit_digits: float | None = None) -> dict:
    """``delta`` at one depth: ``{"delta", "log10_q", "log10_error", "factorial_reduction",
    "gcd_digits"}``. ``limit`` is a value, an expression or None (then a convergent at about
    twice the depth is used, also when a numeric ``limit`` is known to fewer than the
    ``limit_digits`` the computation needs)."""
    p, q, _, _ = convergent_pair(a, b, depth)
    g = gmpy2.gcd(p, q)
    k = factorial_reduction(g, depth)
    pr, qr = p // g, q // g
    if qr < 0:
        pr, qr = -pr, -qr
    lq = log10_abs(qr)
    dps = int(2.2 * max(lq, 1.0)) + 40
    L = _limit_value(a, b, limit, depth, dps, limit_digits)
    with mpmath.workdps(dps):
        err = abs(mpmath.mpf(int(pr)) / int(qr) - L)
        lerr = float(mpmath.log10(err)) if err else -math.inf
    delta = (-1.0 - lerr / lq) if lq > 0 and math.isfinite(lerr) else math.nan
    return {"delta": delta, "log10_q": lq, "log10_error": lerr, "factorial_reduction": k,
            "gcd_digits": round(log10_abs(g), 2) if g else 0.0, "depth": depth}


def dynamics(a, b, depth: int = 300, limit=None, points: int = 10,
             limit_digits: float | None = None) -> dict:
    """``delta`` at ``depth``, the convergence rate (digits per term) and a fit of the error
    curve over ``points`` depths between ``depth/8`` and ``depth``."""
    a, b = tuple(int(c) for c in a), tuple(int(c) for c in b)
    out = delta_at(a, b, depth, limit, limit_digits)
    dps = int(2.2 * max(out["log10_q"], 1.0)) + 40 + int(out["gcd_digits"])
    L = _limit_value(a, b, limit, depth, dps, limit_digits)
    ns = sorted({max(2, int(round(depth / 8 * 8 ** (j / (points - 1))))) for j in range(points)})
    ys = []
    with mpmath.workdps(dps):
        for n in ns:
            p, q, _, _ = convergent_pair(a, b, n)
            e = abs(mpmath.mpf(int(p)) / int(q) - L) if q else mpmath.inf
            ys.append(float(mpmath.log10(e)) if e and e != mpmath.inf else math.nan)
    ok = [(n, y) for n, y in zip(ns, ys) if math.isfinite(y)]
    fit = None
    rate = None
    if len(ok) >= 3:
        X = np.array([[1.0, n, n * math.log10(n)] for n, _ in ok])
        Y = np.array([y for _, y in ok])
        c, *_ = np.linalg.lstsq(X, Y, rcond=None)
        resid = Y - X @ c
        fit = {"model": "log10|x_n - L| = c0 + c1*n + c2*n*log10(n)",
               "c0": round(float(c[0]), 4), "c1": round(float(c[1]), 6),
               "c2": round(float(c[2]), 6),
               "rms": round(float(math.sqrt(float(np.mean(resid ** 2)))), 4)}
        half = [(n, y) for n, y in ok if n >= depth / 2] or ok[-2:]
        if len(half) >= 2:
            (n0, y0), (n1, y1) = half[0], half[-1]
            rate = (y0 - y1) / (n1 - n0) if n1 != n0 else None
    out["convergence_rate"] = rate
    out["error_curve_fit"] = fit
    return out
