"""Linear recurrences of any order with polynomial coefficients: the walks of N x N fields.

A :class:`LinearRecurrence` of order ``N`` is

    c_0(n) u(n) = c_1(n) u(n-1) + c_2(n) u(n-2) + ... + c_N(n) u(n-N)        (n > n0)

with integer polynomial coefficients ``c_k`` (highest power first, like a PCF's ``a`` and
``b``) and two solutions fixed by their initial values ``u(n0-N+1), .., u(n0)``: the
numerator ``p`` and the denominator ``q``. Its *limit* is ``lim p(n)/q(n)``. A PCF is the order-2
case ``c_0 = 1, c_1 = a, c_2 = b`` with ``p(-1), p(0) = 1, a(0)`` and ``q(-1), q(0) = 0, 1``
(:meth:`LinearRecurrence.from_pcf`).

Terms are computed exactly: the companion matrices ``K(n) = [[c_1 .. c_N], [c_0, 0 ..], ...]``
(integers; the state is scaled by ``c_0(n)``, which leaves the ratio ``p/q`` unchanged) are
multiplied by binary splitting (:func:`matrix_product`, the N x N generalisation of
:mod:`discover_plugins.cf.binsplit`).

:func:`from_walk` turns the walk of an N x N field along a trajectory into such a recurrence:
with ``P_m = W(0) .. W(m)`` every row of ``P_m c`` (for a fixed column ``c``) obeys one
recurrence whose coefficients come from the linear dependency of
``c, W(m+1) c, W(m+1) W(m+2) c, ..`` over the rational functions of ``m``.

>>> r = LinearRecurrence.from_pcf([2, 1], [1, 0, 0])      # 4/pi
>>> r.order, r.to_pcf()
(2, PCF(a=[2, 1], b=[1, 0, 0]))
>>> p, q = r.terms(3); int(p), int(q)
(204, 160)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from functools import reduce
from typing import Sequence

import mpmath
from gmpy2 import mpq, mpz

from discover.errors import DiscoverError, VerificationError

from .convergence import poly_values
from .pcf import PCF

__all__ = ["LinearRecurrence", "matrix_product", "from_walk"]

LEAF = 32


def _matmul(X, Y):
    n, k, m = len(X), len(Y), len(Y[0])
    return [[sum((X[i][t] * Y[t][j] for t in range(k) if X[i][t] and Y[t][j]), mpz(0))
             for j in range(m)] for i in range(n)]


def matrix_product(mats: Sequence) -> list:
    """``mats[0] @ mats[1] @ ... @ mats[-1]`` for square matrices of integers (lists of rows),
    by binary splitting with gmpy2 integers (the identity for an empty list).

    >>> matrix_product([[[1, 1], [0, 1]]] * 5)
    [[mpz(1), mpz(5)], [mpz(0), mpz(1)]]
    """
    if not mats:
        raise DiscoverError("matrix_product needs at least one matrix")

    def rec(lo, hi):
        if hi - lo <= LEAF:
            P = [[mpz(v) for v in row] for row in mats[lo]]
            for i in range(lo + 1, hi):
                P = _matmul(P, mats[i])
            return P
        mid = (lo + hi) // 2
        return _matmul(rec(lo, mid), rec(mid, hi))

    return rec(0, len(mats))


def _poly_int(coeffs, what):
    try:
        out = tuple(int(c) for c in coeffs)
    except (TypeError, ValueError):
        raise DiscoverError(f"{what}: expected integer coefficients (highest power first), got "
                            f"{coeffs!r}") from None
    if not out or any(isinstance(c, bool) for c in coeffs):
        raise DiscoverError(f"{what}: expected a nonempty list of integers, e.g. [1, 0]")
    return out


@dataclass(frozen=True)
class LinearRecurrence:
    """``c_0(n) u(n) = sum_k c_k(n) u(n-k)`` for ``n > n0``, with the solutions ``p`` and ``q``
    given by their values at ``n0-N+1 .. n0`` (oldest first)."""

    coeffs: tuple                # (c_0, c_1, ..., c_N), each a tuple of ints, highest first
    p: tuple                     # initial values of the numerator solution (Fractions)
    q: tuple                     # initial values of the denominator solution
    n0: int = 0

    def __post_init__(self):
        if len(self.coeffs) < 2:
            raise DiscoverError("a linear recurrence needs c_0 and at least c_1 (order >= 1)")
        object.__setattr__(self, "coeffs", tuple(_poly_int(c, f"coefficient c_{k}")
                                                 for k, c in enumerate(self.coeffs)))
        N = len(self.coeffs) - 1
        for name in ("p", "q"):
            vals = getattr(self, name)
            if len(vals) != N:
                raise DiscoverError(f"initial values {name}: expected {N} values (order {N}), "
                                    f"got {len(vals)}")
            object.__setattr__(self, name, tuple(Fraction(v) for v in vals))
        if all(c == 0 for c in self.coeffs[-1]):
            raise DiscoverError(f"c_{N} is zero: the order is less than {N}")

    # -- constructors ------------------------------------------------------------------------
    @classmethod
    def from_pcf(cls, a, b=None) -> "LinearRecurrence":
        """The order-2 recurrence of the PCF ``a(n)``, ``b(n)`` (``p_n / q_n`` its convergents)."""
        pcf = a if isinstance(a, PCF) else PCF(list(a), list(b))
        a0 = pcf.a_at(0)
        return cls(((1,), tuple(pcf.a), tuple(pcf.b)), p=(1, a0), q=(0, 1), n0=0)

    @property
    def order(self) -> int:
        return len(self.coeffs) - 1

    def to_pcf(self) -> PCF:
        """The PCF of an order-2 recurrence with ``c_0 = 1`` and the PCF's initial values."""
        if self.order != 2 or self.coeffs[0] != (1,) or self.n0 != 0:
            raise DiscoverError("only an order-2 recurrence with c_0 = 1 and n0 = 0 is a PCF")
        return PCF(list(self.coeffs[1]), list(self.coeffs[2]))

    def to_json(self) -> dict:
        return {"order": self.order, "coeffs": [list(c) for c in self.coeffs],
                "p": [str(v) for v in self.p], "q": [str(v) for v in self.q], "n0": self.n0}

    # -- exact terms ---------------------------------------------------------------------------
    def companion(self, n: int) -> list:
        """``K(n)``: ``c_0(n) (u(n), .., u(n-N+1)) = K(n) (u(n-1), .., u(n-N))``."""
        N = self.order
        c = [int(poly_values(k, n, n)[0]) for k in self.coeffs]
        K = [[0] * N for _ in range(N)]
        K[0] = c[1:]
        for i in range(1, N):
            K[i][i - 1] = c[0]
        return K

    def _state(self):
        """Initial state rows (u(n0), .., u(n0-N+1)) of p and q over a common denominator."""
        den = reduce(math.lcm, (v.denominator for v in self.p + self.q), 1)
        P = [int(v * den) for v in reversed(self.p)]
        Q = [int(v * den) for v in reversed(self.q)]
        return P, Q

    def terms(self, n: int) -> tuple:
        """``(p(n), q(n))`` exactly, as gmpy2 rationals (``mpq``), by binary splitting.

        >>> LinearRecurrence.from_pcf([34, 51, 27, 5], [-1, 0, 0, 0, 0, 0, 0]).terms(1)
        (mpq(584,1), mpq(117,1))
        """
        N = self.order
        if n <= self.n0:
            k = self.n0 - n
            if k >= N:
                raise DiscoverError(f"term {n} lies before the initial values (n0 = {self.n0})")
            return mpq(self.p[N - 1 - k]), mpq(self.q[N - 1 - k])
        mats, scale = [], mpz(1)
        for m in range(n, self.n0, -1):
            K = self.companion(m)
            c0 = K[1][0] if N > 1 else int(poly_values(self.coeffs[0], m, m)[0])
            if N == 1:
                K = [[K[0][0]]]
            if c0 == 0:
                raise DiscoverError(f"c_0({m}) = 0: the recurrence is singular at n = {m}; "
                                    "start it later (a larger n0)")
            scale *= c0
            mats.append(K)
        T = matrix_product(mats)
        P, Q = self._state()
        p = sum((T[0][j] * P[j] for j in range(N)), mpz(0))
        q = sum((T[0][j] * Q[j] for j in range(N)), mpz(0))
        den = reduce(math.lcm, (v.denominator for v in self.p + self.q), 1)
        return mpq(p, scale * den), mpq(q, scale * den)

    def values(self, n: int) -> list:
        """``(p(k), q(k))`` for ``k = n0+1 .. n`` term by term (exact Fractions): the plain
        loop the binary splitting is tested against."""
        N = self.order
        P, Q = list(self.p), list(self.q)
        out = []
        for m in range(self.n0 + 1, n + 1):
            c = [Fraction(int(poly_values(k, m, m)[0])) for k in self.coeffs]
            if c[0] == 0:
                raise DiscoverError(f"c_0({m}) = 0: the recurrence is singular at n = {m}")
            np_ = sum(c[k] * P[-k] for k in range(1, N + 1)) / c[0]
            nq = sum(c[k] * Q[-k] for k in range(1, N + 1)) / c[0]
            P.append(np_)
            Q.append(nq)
            out.append((np_, nq))
        return out

    # -- limit, rate, delta ----------------------------------------------------------------------
    def ratio(self, n: int):
        p, q = self.terms(n)
        if q == 0:
            raise VerificationError(f"q({n}) = 0")
        return p / q

    def limit(self, digits: int = 50, max_depth: int = 20000):
        """``lim p(n)/q(n)`` to ``digits`` digits (doubling the depth until two successive
        ratios agree to ``digits + 5`` digits); raises :class:`VerificationError` otherwise."""
        n = max(self.n0 + 16, 32)
        prev = None
        with mpmath.workdps(digits + 20):
            while n <= max_depth:
                r = self.ratio(n)
                x = mpmath.mpf(r.numerator) / mpmath.mpf(r.denominator)
                if prev is not None:
                    diff = abs(x - prev)
                    if diff == 0 or diff < mpmath.mpf(10) ** (-(digits + 5)) * max(1, abs(x)):
                        return +x
                prev = x
                n *= 2
        raise VerificationError(f"p(n)/q(n) did not settle to {digits} digits by depth "
                                f"{max_depth}")

    def _errors(self, ns, limit_digits):
        L = self.limit(limit_digits, max_depth=1 << 17)
        out = []
        with mpmath.workdps(limit_digits + 10):
            for k in ns:
                r = self.ratio(k)
                err = abs(mpmath.mpf(r.numerator) / r.denominator - L)
                out.append((r, err))
        return L, out

    def convergence_rate(self, n: int = 100, limit_digits: int | None = None) -> float:
        """Digits per term: the slope of ``-log10 |p(k)/q(k) - L|`` between ``n/2`` and ``n``
        (the limit is computed to more digits than either error needs)."""
        digits = limit_digits or 60 + 4 * n
        _, errs = self._errors((n // 2, n), digits)
        e = [(-mpmath.log10(err) if err else mpmath.mpf(digits)) for _, err in errs]
        return float((e[1] - e[0]) / (n - n // 2))

    def delta(self, n: int = 100, limit_digits: int | None = None) -> float:
        """Irrationality measure of the approximations ``p(n)/q(n)`` in lowest terms:
        ``|L - p/q| = q^-(1 + delta)``."""
        digits = limit_digits or 60 + 4 * n
        _, ((r, err),) = self._errors((n,), digits)
        if err == 0:
            return math.inf
        with mpmath.workdps(digits):
            return float(-1 - mpmath.log(err) / mpmath.log(abs(mpmath.mpf(r.denominator))))


# -- walks of N x N fields ----------------------------------------------------------------------
def from_walk(W, column: int | None = None, what: str = "this trajectory"):
    """``(coeffs, shift)`` of the order-N recurrence of the walk ``W(0) W(1) ..`` of an N x N
    step matrix of :class:`~discover_plugins.cf.cmf._RF` rational functions of ``m``: every row
    of ``x_m = P_m c`` (``P_m = W(0) .. W(m)``, ``c`` the unit vector ``column``) satisfies
    ``c_0(n) x_n = sum_k c_k(n) x_{n-k}`` for ``n >= N``, with integer polynomial ``c_k``
    (highest power first). The first column that gives a recurrence of full order is used."""
    import flint

    from .cmf import _RF

    N = len(W)
    zero, one = _RF(flint.fmpq_poly([0])), _RF(flint.fmpq_poly([1]))
    cols = [column] if column is not None else list(range(N))
    for col in cols:
        # v_0 = c, v_k = W(m+1) ... W(m+k) c  (as functions of m)
        v = [one if i == col else zero for i in range(N)]
        vs = [v]
        for k in range(1, N + 1):
            Wk = [[e.shift(k) for e in row] for row in W]
            # v_k(m) = W(m+1) v_{k-1}(m+1)
            prev = [e.shift(1) for e in vs[-1]]
            vs.append([reduce(lambda s, t: s + t, (W[i][j].shift(1) * prev[j] for j in range(N)),
                              zero) for i in range(N)])
            del Wk
        # solve sum_{k<N} lam_k v_k = -v_N
        A = [[vs[k][i] for k in range(N)] + [-vs[N][i]] for i in range(N)]
        ok = True
        for c in range(N):
            piv = next((r for r in range(c, N) if not A[r][c].is_zero()), None)
            if piv is None:
                ok = False
                break
            A[c], A[piv] = A[piv], A[c]
            p = A[c][c]
            A[c] = [e / p for e in A[c]]
            for r in range(N):
                if r != c and not A[r][c].is_zero():
                    f = A[r][c]
                    A[r] = [e - f * g for e, g in zip(A[r], A[c])]
        if not ok:
            continue
        lam = [A[i][N] for i in range(N)]      # x_{m+N} = -sum lam_k(m) x_{m+k}
        # n = m + N: c_0 x_n = sum_j c_j x_{n-j}, c_j(n) = -lam_{N-j}(n - N)
        terms = [one] + [-(lam[N - j].shift(-N)) for j in range(1, N + 1)]
        den = reduce(lambda s, t: s * t // s.gcd(t), (t.den for t in terms), flint.fmpq_poly([1]))
        polys = [(t * _RF(den)).num for t in terms]
        g = reduce(math.lcm, (int(c.q) for p in polys for c in p.coeffs()), 1)
        ints = [[int(c * g) for c in reversed(p.coeffs())] or [0] for p in polys]
        content = reduce(math.gcd, (c for p in ints for c in p), 0) or 1
        ints = [[c // content for c in p] for p in ints]
        return [tuple(p) for p in ints], col
    raise DiscoverError(f"{what}: the walk's vectors are dependent for every start column "
                        "(the walk splits into smaller recurrences); choose another direction")
