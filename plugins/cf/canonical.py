"""Canonical representatives of PCFs under value-preserving (Moebius-related) transformations.

Three families of transformations change the coefficients of a PCF but relate the values by an
integer Moebius map ``v_self = (m00 v + m01) / (m10 v + m11)``:

Deflation (equivalence transformation)
    Dividing ``a(n)`` by ``c(n)`` and ``b(n)`` by ``c(n) c(n-1)`` (all ``n``) divides the value
    by ``c(0)``. Used with a constant ``c = g`` (``g | content(a)``, ``g**2 | content(b)``,
    ``g`` as large as possible) and with each irreducible factor ``c(n)`` of ``a(n)`` over Z
    (sympy ``factor_list``) such that ``c(n) c(n-1)`` divides ``b(n)`` and ``c(0) != 0``,
    repeated until nothing divides.
Sign
    ``a -> -a`` (``b`` unchanged) negates the value; the canonical form has a positive leading
    coefficient of ``a``.
Shift
    ``(a(n), b(n)) -> (a(n+k), b(n+k))``. For ``k = 1`` the old value is
    ``a(0) + b(1)/v_1 = (a(0) v_1 + b(1)) / v_1``; larger ``k`` compose these steps and a
    negative ``k`` uses the inverse (the adjugate matrix). A shift is allowed only if ``b`` does
    not vanish at the steps it traverses (``b(1..k)`` for ``k > 0``, ``b(k+1..0)`` for
    ``k < 0``). The representative shift is ``k = r``, the largest integer root ``r <= 0`` of
    ``b``, if there is one (then ``b_c(0) = 0``); otherwise the shift in ``[-20, 20]`` that
    minimises ``(sum of |coefficients| of a and b, |k|, k)``, iterated until ``k = 0`` is
    optimal (so the result is a fixed point).

Deflation and sign commute with shifts (content and divisibility are shift invariant), so the
canonical form is: deflate, fix the sign, shift, and deflate once more. It is idempotent:
``canonical(canonical(x)) == (canonical(x), identity)``.

A PCF with ``b = 0`` (a plain number ``a(0)``) is its own canonical form.

>>> from discover_plugins.cf.canonical import canonical_form
>>> canonical_form((2, 3), (1, 2, 1))          # 2n+3, (n+1)^2 -> 2n+1, n^2
((2, 1), (1, 0, 0), ((0, 1), (1, -1)))
"""

from __future__ import annotations

import functools
from math import gcd

import sympy

__all__ = ["canonical_form", "shift_poly", "IDENTITY", "mat_mul", "normalize_matrix"]

IDENTITY = ((1, 0), (0, 1))
_N = sympy.Symbol("n")
SHIFT_WINDOW = 20


def mat_mul(x, y):
    """2x2 integer matrix product."""
    return ((x[0][0] * y[0][0] + x[0][1] * y[1][0], x[0][0] * y[0][1] + x[0][1] * y[1][1]),
            (x[1][0] * y[0][0] + x[1][1] * y[1][0], x[1][0] * y[0][1] + x[1][1] * y[1][1]))


def normalize_matrix(m):
    """Divide by the gcd of the entries; make the first nonzero of ``(m10, m11)`` positive."""
    g = gcd(gcd(m[0][0], m[0][1]), gcd(m[1][0], m[1][1])) or 1
    m = ((m[0][0] // g, m[0][1] // g), (m[1][0] // g, m[1][1] // g))
    lead = m[1][0] if m[1][0] else m[1][1]
    if lead < 0:
        m = ((-m[0][0], -m[0][1]), (-m[1][0], -m[1][1]))
    return m


def _strip(c):
    c = list(c)
    while len(c) > 1 and c[0] == 0:
        c.pop(0)
    return tuple(c)


def _eval(c, n):
    v = 0
    for x in c:
        v = v * n + x
    return v


def shift_poly(c, k: int) -> tuple:
    """Coefficients of ``c(n + k)`` (highest power first).

    >>> shift_poly((1, 0, 0), 1)
    (1, 2, 1)
    """
    d = len(c) - 1
    out = [0] * (d + 1)          # out[i] = coefficient of n**i
    # Horner with (n + k): acc = acc * (n + k) + c_j, acc kept low-to-high
    acc = [0]
    for cj in c:
        new = [0] * (len(acc) + 1)
        for i, v in enumerate(acc):
            new[i + 1] += v
            new[i] += v * k
        new[0] += cj
        acc = new
    for i in range(d + 1):
        out[i] = acc[i] if i < len(acc) else 0
    return _strip(tuple(reversed(out)))


def _content(c) -> int:
    g = 0
    for x in c:
        g = gcd(g, x)
    return g


def _valuation(x: int, p: int) -> int:
    v = 0
    while x % p == 0:
        x //= p
        v += 1
    return v


def _deflate_constant(a, b):
    ca, cb = _content(a), _content(b)
    if cb == 0:
        return a, b, 1
    common = gcd(ca, cb) if ca else cb
    g = 1
    for p in sympy.factorint(common):
        e = _valuation(cb, p) // 2
        if ca:
            e = min(e, _valuation(ca, p))
        g *= p ** e
    if g == 1:
        return a, b, 1
    return tuple(x // g for x in a), tuple(x // g ** 2 for x in b), g


def _poly_div(num, den):
    """Exact division in Z[n] (coefficient tuples) or None."""
    qn, r = sympy.div(sympy.Poly(num, _N), sympy.Poly(den, _N))
    if not r.is_zero:
        return None
    coeffs = qn.all_coeffs()
    if not all(c.is_integer for c in coeffs):
        return None
    return tuple(int(c) for c in coeffs)


def _deflate_factors(a, b):
    """Remove irreducible factors c(n) of a(n) with c(n)c(n-1) | b(n); returns (a, b, c(0))."""
    if all(x == 0 for x in a) or all(x == 0 for x in b) or len(a) < 2:
        return a, b, 1
    scale = 1
    _, factors = sympy.factor_list(sympy.Poly(a, _N))
    for f, mult in factors:
        fc = tuple(int(x) for x in f.all_coeffs())
        if len(fc) < 2:
            continue
        c0 = _eval(fc, 0)
        if c0 == 0:
            continue
        f_prev = shift_poly(fc, -1)
        both = tuple(int(x) for x in (sympy.Poly(fc, _N) * sympy.Poly(f_prev, _N)).all_coeffs())
        for _ in range(mult):
            nb = _poly_div(b, both)
            na = _poly_div(a, fc)
            if nb is None or na is None:
                break
            a, b, scale = na, nb, scale * c0
    return a, b, scale


def _deflate(a, b):
    total = 1
    while True:
        a, b, g = _deflate_constant(a, b)
        a, b, c = _deflate_factors(a, b)
        total *= g * c
        if g == 1 and c == 1:
            return a, b, total


def _cost(a, b):
    return sum(abs(x) for x in a) + sum(abs(x) for x in b)


def _shift_matrix(a, b, k: int):
    """Matrix M with v(a, b) = M . v(a(n+k), b(n+k)), or None if a traversed b vanishes."""
    m = IDENTITY
    if k >= 0:
        for j in range(k):
            bj = _eval(b, j + 1)
            if bj == 0:
                return None
            m = mat_mul(m, ((_eval(a, j), bj), (1, 0)))
        return m
    # k < 0: (a, b) is the k-fold tail of (a(n+k), b(n+k)); invert that matrix
    for j in range(k, 0):
        bj = _eval(b, j + 1)
        if bj == 0:
            return None
        m = mat_mul(m, ((_eval(a, j), bj), (1, 0)))
    return ((m[1][1], -m[0][1]), (-m[1][0], m[0][0]))


def _integer_roots_nonpositive(b):
    roots = sympy.Poly(b, _N).ground_roots()
    return sorted(int(r) for r in roots if r.is_integer and r <= 0)


def _choose_shift(a, b):
    roots = _integer_roots_nonpositive(b) if any(b) else []
    if roots:
        return roots[-1]
    best_k, best = 0, (_cost(a, b), 0, 0)
    for k in range(-SHIFT_WINDOW, SHIFT_WINDOW + 1):
        if k == 0:
            continue
        key = (_cost(shift_poly(a, k), shift_poly(b, k)), abs(k), k)
        if key < best and _shift_matrix(a, b, k) is not None:
            best_k, best = k, key
    return best_k


def canonical_form(a, b):
    """Canonical ``(a_c, b_c, M)`` with ``value(a, b) = (m00 v + m01)/(m10 v + m11)``,
    ``v = value(a_c, b_c)`` (see the module docstring for the rules)."""
    return _canonical(_strip(tuple(int(x) for x in a)), _strip(tuple(int(x) for x in b)))


@functools.lru_cache(maxsize=4096)
def _canonical(a, b):
    if all(x == 0 for x in b):
        return a, b, IDENTITY
    m = IDENTITY
    a, b, g = _deflate(a, b)
    if g != 1:
        m = mat_mul(m, ((g, 0), (0, 1)))
    if a[0] < 0:
        a = tuple(-x for x in a)
        m = mat_mul(m, ((-1, 0), (0, 1)))
    for _ in range(100):            # shifts: until k = 0 is the representative
        k = _choose_shift(a, b)
        if k == 0:
            break
        sm = _shift_matrix(a, b, k)
        if sm is None:
            break
        m = mat_mul(m, sm)
        a, b = shift_poly(a, k), shift_poly(b, k)
    a2, b2, g = _deflate(a, b)       # shift invariant in principle; kept for safety
    if g != 1:
        a, b = a2, b2
        m = mat_mul(m, ((g, 0), (0, 1)))
    return a, b, normalize_matrix(m)
