"""Targets for matching: tables of Moebius transforms of a constant, joined by functional hash.

Meet-in-the-middle matching (MITM-RF, after the Ramanujan Machine): instead of asking of every
candidate value v "is v = (c0 + c1 K)/(c2 + c3 K) for some small integers?", build once the table
of all transforms of K with bounded integer coefficients, hash every entry with
:func:`discover.hashing.value_keys` (two keys per value: plain and offset grid), and join the
candidates' hashes against it. A join on either key finds every pair closer than half a rounding
step; a final float64 comparison removes the rest.

Transforms are normalised (coefficients coprime, denominator's leading coefficient positive) and
degenerate ones (c0 c3 = c1 c2, whose value does not depend on K) are dropped, so each value of
the table is one transform.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import reduce

import numba
import numpy as np
import sympy

from .hashing import value_keys

__all__ = ["MoebiusTable", "moebius_expression", "normalise_transform", "compose_transform",
           "apply_transform"]


def normalise_transform(t) -> tuple[int, int, int, int]:
    """Divide ``(c0, c1, c2, c3)`` by its gcd and make the first nonzero of (c2, c3) positive."""
    c = [int(x) for x in t]
    g = reduce(math.gcd, c)
    if g == 0:
        raise ValueError("the zero transform has no value")
    c = [x // g for x in c]
    lead = c[2] if c[2] != 0 else c[3]
    if lead < 0:
        c = [-x for x in c]
    return tuple(c)  # type: ignore[return-value]


def compose_transform(m, t) -> tuple[int, int, int, int]:
    """``m`` after ``t``: if y = t(K) and x = m(y) with m = ((m00, m01), (m10, m11)) meaning
    x = (m00 y + m01)/(m10 y + m11), return x as a transform of K."""
    (m00, m01), (m10, m11) = m
    c0, c1, c2, c3 = t
    # x = (m00 (c0+c1K) + m01 (c2+c3K)) / (m10 (c0+c1K) + m11 (c2+c3K))
    return normalise_transform((m00 * c0 + m01 * c2, m00 * c1 + m01 * c3,
                                m10 * c0 + m11 * c2, m10 * c1 + m11 * c3))


def apply_transform(t, k):
    """Value of ``(c0 + c1 k)/(c2 + c3 k)`` for any number type (float, mpf, sympy)."""
    c0, c1, c2, c3 = t
    return (c0 + c1 * k) / (c2 + c3 * k)


def moebius_expression(t, name: str) -> str:
    """A sympy-parsable closed form of ``(c0 + c1 K)/(c2 + c3 K)`` with K written as ``name``.

    >>> moebius_expression((4, 0, 0, 1), "pi")
    '4/pi'
    """
    k = sympy.Symbol(name)
    c0, c1, c2, c3 = (sympy.Integer(x) for x in t)
    expr = sympy.cancel((c0 + c1 * k) / (c2 + c3 * k))
    return str(expr)


@numba.njit(cache=True, nogil=True)
def _count_range(sorted_keys, key):
    lo = np.searchsorted(sorted_keys, key, side="left")
    hi = np.searchsorted(sorted_keys, key, side="right")
    return lo, hi


@numba.njit(cache=True, nogil=True)
def _join(q1, q2, qvals, qtol, s1, p1, s2, p2, tvals, out_q, out_t):
    """Join query keys against the table's sorted keys; keep pairs within ``qtol``.

    Returns the number of pairs written (the caller grows the output and retries if full).
    """
    n = 0
    cap = out_q.shape[0]
    for i in range(q1.shape[0]):
        lo, hi = _count_range(s1, q1[i])
        for j in range(lo, hi):
            t = p1[j]
            if abs(tvals[t] - qvals[i]) <= qtol[i]:
                if n < cap:
                    out_q[n] = i
                    out_t[n] = t
                n += 1
        lo, hi = _count_range(s2, q2[i])
        for j in range(lo, hi):
            t = p2[j]
            if abs(tvals[t] - qvals[i]) <= qtol[i]:
                # skip pairs already found through the plain key
                dup = False
                lo1, hi1 = _count_range(s1, q1[i])
                for jj in range(lo1, hi1):
                    if p1[jj] == t:
                        dup = True
                        break
                if not dup:
                    if n < cap:
                        out_q[n] = i
                        out_t[n] = t
                    n += 1
    return n


@dataclass
class MoebiusTable:
    """All normalised, non-degenerate transforms ``(c0 + c1 K)/(c2 + c3 K)``, |ci| <= bound.

    Build with :meth:`build`; query with :meth:`match`.

    >>> import mpmath
    >>> table = MoebiusTable.build("pi", float(mpmath.pi), bound=4)
    >>> q, t = table.match(np.array([4 / float(mpmath.pi)]), np.array([1e-12]))
    >>> [table.transform(i) for i in t]
    [(4, 0, 0, 1)]
    """

    constant: str
    value: float
    bound: int
    coeffs: np.ndarray        # int32[m, 4]
    values: np.ndarray        # float64[m]
    digits: int
    _s1: np.ndarray = None    # sorted plain keys
    _p1: np.ndarray = None
    _s2: np.ndarray = None    # sorted offset keys
    _p2: np.ndarray = None

    @classmethod
    def build(cls, constant: str, value: float, bound: int, digits: int = 10,
              max_abs: float = 1e6) -> "MoebiusTable":
        """Enumerate the transforms of ``value`` with coefficients in ``[-bound, bound]``.

        ``digits`` is the hash resolution (significant digits) of the join; entries with
        ``|value| > max_abs`` are dropped (a candidate that large is not matched).
        """
        if bound < 1:
            raise ValueError(f"bound must be at least 1, got {bound}")
        r = np.arange(-bound, bound + 1, dtype=np.int64)
        g = np.stack(np.meshgrid(r, r, r, r, indexing="ij"), axis=-1).reshape(-1, 4)
        c0, c1, c2, c3 = g.T
        keep = (c0 * c3 - c1 * c2) != 0
        lead = np.where(c2 != 0, c2, c3)
        keep &= lead > 0
        gcd = np.gcd(np.gcd(np.abs(c0), np.abs(c1)), np.gcd(np.abs(c2), np.abs(c3)))
        keep &= gcd == 1
        g = g[keep]
        vals = (g[:, 0] + g[:, 1] * value) / (g[:, 2] + g[:, 3] * value)
        fin = np.isfinite(vals) & (np.abs(vals) <= max_abs)
        g, vals = g[fin], vals[fin]
        table = cls(constant=constant, value=value, bound=bound, coeffs=g.astype(np.int32),
                    values=np.ascontiguousarray(vals), digits=digits)
        k1, k2 = value_keys(vals, digits)
        table._p1 = np.argsort(k1, kind="stable")
        table._s1 = k1[table._p1]
        table._p2 = np.argsort(k2, kind="stable")
        table._s2 = k2[table._p2]
        return table

    def __len__(self) -> int:
        return int(self.values.shape[0])

    def transform(self, i: int) -> tuple[int, int, int, int]:
        return tuple(int(x) for x in self.coeffs[i])  # type: ignore[return-value]

    def match(self, values: np.ndarray, tolerance: np.ndarray):
        """Pairs ``(query_index, table_index)`` whose values agree within ``tolerance[i]``
        (absolute) and share a functional hash key. Returns two int64 arrays."""
        values = np.ascontiguousarray(values, dtype=np.float64)
        tol = np.ascontiguousarray(np.broadcast_to(tolerance, values.shape), dtype=np.float64)
        q1, q2 = value_keys(values, self.digits, np.isfinite(values))
        cap = max(16, values.shape[0] // 8)
        while True:
            out_q = np.empty(cap, dtype=np.int64)
            out_t = np.empty(cap, dtype=np.int64)
            n = _join(q1, q2, values, tol, self._s1, self._p1, self._s2, self._p2,
                      self.values, out_q, out_t)
            if n <= cap:
                return out_q[:n], out_t[:n]
            cap = n
