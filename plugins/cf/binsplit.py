"""Deep convergents of a PCF by binary splitting of the 2x2 integer matrix product.

With ``S_n = [[p_n, p_{n-1}], [q_n, q_{n-1}]]`` the recurrence ``p_n = a(n) p_{n-1} + b(n)
p_{n-2}`` reads ``S_n = S_{n-1} M(n)`` where ``M(n) = [[a(n), 1], [b(n), 0]]`` (the transpose of
``[[a(n), b(n)], [1, 0]]``), and ``S_0 = [[a(0), 1], [1, 0]]``. The product ``M(n0) ... M(n1)`` is
computed by splitting the range in halves (exact gmpy2 integers, GMP's fast multiplication), so
its cost is ``O(M(size) log N)`` instead of the ``O(N * size)`` of the term-by-term loop; depths
of ``10**5`` and more are affordable.

:class:`DeepRunner` is a drop-in replacement for :class:`~discover_plugins.cf.convergence.Runner`
that advances between the sample points of the error estimate by binary splitting, so that
:func:`deep_limit` and :func:`deep_verify` report digits from exactly the same error estimate
as the ordinary procedures (never from the last step alone).

>>> from discover_plugins.cf.binsplit import convergent
>>> [int(x) for x in convergent((2, 1), (1, 0, 0), 3)]       # 4/pi: p_3, q_3
[204, 160]
"""

from __future__ import annotations

import math

from gmpy2 import mpz

from .convergence import Runner, compute_limit, poly_values, run_verify

__all__ = ["product", "convergent", "convergent_pair", "DeepRunner", "deep_limit",
           "deep_verify", "LEAF"]

#: Terms multiplied one by one at the leaves of the splitting.
LEAF = 48


def _leaf(A, B, lo, hi):
    """``M(lo) ... M(hi-1)`` over the value lists (indices relative to the lists)."""
    m00, m01, m10, m11 = mpz(A[lo]), mpz(1), mpz(B[lo]), mpz(0)
    for i in range(lo + 1, hi):
        an, bn = A[i], B[i]
        # [[m00, m01], [m10, m11]] * [[an, 1], [bn, 0]]
        m00, m01 = m00 * an + m01 * bn, m00
        m10, m11 = m10 * an + m11 * bn, m10
    return m00, m01, m10, m11


def _mul(x, y):
    x00, x01, x10, x11 = x
    y00, y01, y10, y11 = y
    return (x00 * y00 + x01 * y10, x00 * y01 + x01 * y11,
            x10 * y00 + x11 * y10, x10 * y01 + x11 * y11)


def _split(A, B, lo, hi):
    if hi - lo <= LEAF:
        return _leaf(A, B, lo, hi)
    mid = (lo + hi) // 2
    return _mul(_split(A, B, lo, mid), _split(A, B, mid, hi))


def product(a, b, n0: int, n1: int) -> tuple:
    """``M(n0) M(n0+1) ... M(n1)`` with ``M(n) = [[a(n), 1], [b(n), 0]]`` as a flat tuple
    ``(m00, m01, m10, m11)`` of mpz (the identity if ``n1 < n0``).

    >>> [int(x) for x in product((2, 1), (1, 0, 0), 1, 2)]
    [19, 3, 5, 1]
    """
    if n1 < n0:
        return mpz(1), mpz(0), mpz(0), mpz(1)
    A = poly_values(tuple(a), n0, n1)
    B = poly_values(tuple(b), n0, n1)
    return _split(A, B, 0, len(A))


def convergent_pair(a, b, N: int) -> tuple:
    """``(p_N, q_N, p_{N-1}, q_{N-1})`` by binary splitting."""
    a0 = poly_values(tuple(a), 0, 0)[0]
    s = (mpz(a0), mpz(1), mpz(1), mpz(0))
    if N <= 0:
        return s
    m = _mul(s, product(a, b, 1, N))
    return m[0], m[2], m[1], m[3]


def convergent(a, b, N: int) -> tuple:
    """``(p_N, q_N)`` as exact gmpy2 integers, by binary splitting."""
    if N < 0:
        return mpz(1), mpz(0)
    p, q, _, _ = convergent_pair(a, b, N)
    return p, q


class DeepRunner(Runner):
    """A :class:`Runner` that crosses long stretches between sample points by binary splitting.

    Samples (and hence the error estimate) are taken at the same geometric grid points as the
    term-by-term runner; only the arithmetic between them differs.

    >>> r = DeepRunner((2, 1), (1, 0, 0)); r.advance(3); (int(r.p), int(r.q))
    (204, 160)
    """

    #: Stretches shorter than this are iterated term by term.
    threshold = 256

    def _stretch(self, A, B, i, j, p, q, p1, q1):
        """Long stretches as one matrix product by binary splitting; short ones term by term."""
        if j - i < self.threshold:
            return super()._stretch(A, B, i, j, p, q, p1, q1)
        # [[p, p1], [q, q1]] * M(i) ... M(j-1)
        m00, m01, m10, m11 = _split(A, B, i, j)
        return (p * m00 + p1 * m10, q * m00 + q1 * m10, p * m01 + p1 * m11,
                q * m01 + q1 * m11)


def deep_limit(a, b, digits: int, max_depth: int = 10 ** 7):
    """:func:`~discover_plugins.cf.convergence.compute_limit` with binary splitting:
    ``(mpf, depth, digits_supported)``."""
    return compute_limit(a, b, digits, max_depth, runner_cls=DeepRunner)


def deep_verify(a, b, claimed, digits: int, max_depth: int = 10 ** 7) -> dict:
    """:func:`~discover_plugins.cf.convergence.run_verify` with binary splitting."""
    out = run_verify(a, b, claimed, digits, max_depth, runner_cls=DeepRunner)
    out["method"] = "exact convergents (gmpy2, binary splitting)"
    return out


def digits_per_term_hint(a, b) -> float:
    """Rough digits per term from the leading coefficients (for choosing a method); 0 if the
    convergence is not geometric or faster."""
    da, db = len(a) - 1, len(b) - 1
    if db < 2 * da:
        return math.inf
    if db > 2 * da:
        return 0.0
    # x^2 - a_lead x - b_lead = 0: ratio of the roots
    al, bl = a[0], b[0]
    disc = al * al + 4 * bl
    if disc <= 0:
        return 0.0
    r1, r2 = (abs(al) + math.sqrt(disc)) / 2, abs(abs(al) - math.sqrt(disc)) / 2
    return math.log10(r1 / r2) if r2 > 0 else math.inf
