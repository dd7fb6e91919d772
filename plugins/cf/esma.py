"""ESMA: conjecture continued fractions from the expansion of a constant's value alone.

1. :func:`simple_cf` expands a high-precision value into its simple continued fraction
   ``[c0; c1, c2, ...]``; :func:`reliable_terms` expands at two precisions and keeps the common
   prefix (less one term), which is how many partial quotients the precision supports.
   :func:`nearest_integer_cf` gives the signed (nearest-integer) variant
   ``c0 + s1/(c1 + s2/(c2 + ...))`` with ``s_i = +-1``.
2. Patterns in the partial quotients: :func:`berlekamp_massey` finds the shortest linear
   recurrence with constant rational coefficients; :func:`interlaced_pattern` splits the
   sequence (after a short prefix) into ``k`` interleaved subsequences and fits each by a
   polynomial in its index (period-3 for ``e``: ``1, 2m+2, 1``).
3. A pattern is turned into a generalized continued fraction with ``b(n) = 1`` and ``a(n)``
   given by the pattern. For ``k = 1`` it is a PCF. For ``k > 1`` the period blocks are
   contracted: the product of the ``k`` matrices ``[[a, 1], [1, 0]]`` of block ``m`` is a
   matrix of polynomials in ``m``, and :func:`block_pcf` turns such a matrix sequence into a
   polynomial continued fraction (the value is related by a Moebius map, see
   :func:`conjecture_from_pattern`).
4. :func:`analyse` does steps 1-3 and returns the conjectures, unverified. Verification,
   identification of the canonical form and recording are the engine's: the ``esma``
   generator (:mod:`discover_plugins.cf.esma_generator`) hands each conjecture to the one
   record path (:mod:`discover.pipeline`), and :func:`esma` runs such a search.
"""

from __future__ import annotations

from fractions import Fraction

import mpmath
import sympy

from .pcf import PCF

__all__ = ["simple_cf", "nearest_integer_cf", "reliable_terms", "berlekamp_massey",
           "fit_polynomial", "interlaced_pattern", "block_pcf", "conjecture_from_pattern",
           "closed_form", "analyse", "esma"]

_M = sympy.Symbol("m")
_N = sympy.Symbol("n")


def _ratio(x):
    """An mpf as an exact ratio of integers ``(num, den)``, ``den > 0``."""
    sign, man, exp, _ = (+x)._mpf_
    man = -int(man) if sign else int(man)
    return (man << exp, 1) if exp >= 0 else (man, 1 << (-exp))


def simple_cf(x, terms: int) -> list[int]:
    """The first ``terms`` partial quotients of ``x`` (an mpf), by Euclid's algorithm on the
    exact binary rational it holds (so it stops when that rational is exhausted).

    >>> with mpmath.workdps(50): simple_cf(mpmath.e, 10)
    [2, 1, 2, 1, 1, 4, 1, 1, 6, 1]
    """
    p, q = _ratio(x)
    out = []
    while q and len(out) < terms:
        c, r = divmod(p, q)
        out.append(int(c))
        p, q = q, r
    return out


def nearest_integer_cf(x, terms: int) -> list[tuple[int, int]]:
    """Nearest-integer continued fraction ``c0 + s1/(c1 + s2/(c2 + ...))``: ``[(c0, 1), (c1,
    s1), ...]`` with ``|remainder| <= 1/2`` at each step.

    >>> with mpmath.workdps(40): nearest_integer_cf(mpmath.sqrt(2), 4)
    [(1, 1), (2, 1), (2, 1), (2, 1)]
    """
    p, q = _ratio(x)
    out = []
    s = 1
    while q and len(out) < terms:
        c = (2 * p + q) // (2 * q)          # nearest integer
        out.append((int(c), s))
        r = p - c * q                       # remainder r/q in [-1/2, 1/2)
        s = 1 if r > 0 else -1
        p, q = q, abs(r)
    return out


def reliable_terms(evaluate, dps: int, terms: int = 100000, variant: str = "simple") -> list:
    """Expand ``evaluate(dps)`` and ``evaluate(dps + dps // 2 + 10)``; return the common prefix
    less its last term (the terms the precision supports)."""
    f = simple_cf if variant == "simple" else nearest_integer_cf
    with mpmath.workdps(dps):
        a = f(evaluate(dps), terms)
    hi = dps + dps // 2 + 10
    with mpmath.workdps(hi):
        b = f(evaluate(hi), terms)
    k = 0
    while k < min(len(a), len(b)) and a[k] == b[k]:
        k += 1
    if k == min(len(a), len(b)) and len(a) == len(b):
        return a                              # finite expansion: a rational number
    return a[:max(k - 1, 0)]


def berlekamp_massey(seq) -> list[Fraction] | None:
    """Shortest recurrence ``s_n = c_1 s_{n-1} + ... + c_L s_{n-L}`` over the rationals:
    ``[c_1, ..., c_L]``, or None if ``2L`` is not safely below ``len(seq)`` (no evidence).

    >>> berlekamp_massey([1, 1, 2, 3, 5, 8, 13, 21, 34, 55])
    [Fraction(1, 1), Fraction(1, 1)]
    """
    s = [Fraction(x) for x in seq]
    C, B = [Fraction(1)], [Fraction(1)]
    L, m, bb = 0, 1, Fraction(1)
    for n in range(len(s)):
        d = s[n] + sum(C[i] * s[n - i] for i in range(1, L + 1))
        if d == 0:
            m += 1
            continue
        T = C[:]
        coef = d / bb
        C = C + [Fraction(0)] * (len(B) + m - len(C))
        for i, x in enumerate(B):
            C[i + m] -= coef * x
        if 2 * L <= n:
            L, B, bb, m = n + 1 - L, T, d, 1
        else:
            m += 1
    if 2 * L + 6 > len(s):
        return None
    C = C + [Fraction(0)] * (L + 1 - len(C))
    return [-C[i] for i in range(1, L + 1)]


def fit_polynomial(values, max_degree: int = 3):
    """The lowest-degree integer-valued polynomial (Fractions, highest power first) in the index
    ``0, 1, 2, ...`` that reproduces ``values``, using at least 3 more points than coefficients;
    None if there is none."""
    n = len(values)
    row = [int(v) for v in values]
    for d in range(max_degree + 1):
        if n < d + 4:
            return None
        nxt = [y - x for x, y in zip(row, row[1:])]
        if all(x == 0 for x in nxt):          # the (d+1)-th differences vanish
            pts = list(range(d + 1))
            poly = sympy.interpolate(list(zip(pts, [sympy.Integer(v) for v in values[:d + 1]])),
                                     _M) if d else sympy.Integer(values[0])
            poly = sympy.Poly(poly, _M)
            return [Fraction(int(c.p), int(c.q)) for c in poly.all_coeffs()]
        row = nxt
    return None


def interlaced_pattern(seq, max_period: int = 6, max_prefix: int = 12, max_degree: int = 2):
    """``(prefix_length, [poly_0, ..., poly_{k-1}])`` for the simplest ``k``-interlaced
    polynomial pattern of ``seq[prefix:]`` (each subsequence ``seq[prefix + j::k]`` a polynomial
    in its index), or None. Simplest: smallest ``k``, then shortest prefix.

    >>> e_cf = [2] + [x for k in range(1, 10) for x in (1, 2 * k, 1)]    # e = [2; 1, 2, 1, ...]
    >>> interlaced_pattern(e_cf)
    (1, [[Fraction(1, 1)], [Fraction(2, 1), Fraction(2, 1)], [Fraction(1, 1)]])
    """
    for k in range(1, max_period + 1):
        for s in range(0, max_prefix + 1):
            tail = seq[s:]
            if len(tail) < k * (max_degree + 6):
                continue
            polys = []
            for j in range(k):
                p = fit_polynomial(tail[j::k], max_degree)
                if p is None:
                    break
                polys.append(p)
            else:
                return s, polys
    return None


def _poly_expr(coeffs, var):
    return sum(sympy.Rational(c.numerator, c.denominator) * var ** (len(coeffs) - 1 - i)
               for i, c in enumerate(coeffs))


def block_pcf(block):
    """Turn a sequence of 2x2 polynomial matrices ``W(m) = [[A, B], [C, D]]`` (sympy, in ``m``,
    for ``m = 0, 1, ...``) into a PCF.

    With ``P_m = W(0) ... W(m)`` the first column ``u_m = (P_m)_{00}``, ``v_m = (P_m)_{10}``
    satisfy ``u_m = (A(m) + D(m-1) C(m)/C(m-1)) u_{m-1} - det W(m-1) C(m)/C(m-1) u_{m-2}``
    (same for ``v``). Multiplying by ``C(m-1)`` (an equivalence transformation) gives the
    polynomial ``a(m) = A(m) C(m-1) + D(m-1) C(m)`` and ``b(m) = -det W(m-1) C(m) C(m-2)``
    whose convergents are proportional to ``u_m, v_m`` for ``m >= 1``. Returns ``(a, b, lead)``
    with ``a, b`` sympy polynomials in ``n`` valid for ``n >= 2`` and ``lead`` the matrix
    ``P_1`` whose first column starts the recurrence.
    """
    A, B, C, D = block[0, 0], block[0, 1], block[1, 0], block[1, 1]
    det = sympy.expand(A * D - B * C)
    a = sympy.expand(A * C.subs(_M, _M - 1) + D.subs(_M, _M - 1) * C)
    b = sympy.expand(-det.subs(_M, _M - 1) * C * C.subs(_M, _M - 2))
    return a.subs(_M, _N), b.subs(_M, _N)


def _matrix_seq(polys):
    """Block matrix ``prod_j [[a_j(m), 1], [1, 0]]`` for one period ``m``."""
    W = sympy.eye(2)
    for p in polys:
        W = W * sympy.Matrix([[_poly_expr(p, _M), 1], [1, 0]])
    return W.applyfunc(sympy.expand)


def _int_coeffs(expr):
    poly = sympy.Poly(sympy.expand(expr), _N)
    cs = poly.all_coeffs()
    if not all(c.is_integer for c in cs):
        return None
    return [int(c) for c in cs]


def conjecture_from_pattern(seq, prefix: int, polys):
    """The PCF of an interlaced pattern and the Moebius map that ties it to the expanded value.

    Returns ``{"a", "b", "moebius", "pattern"}`` (or None when the pattern gives no integer
    PCF): the value equals ``(m00 x + m01)/(m10 x + m11)`` where ``x`` is the value of
    ``PCF(a, b)`` and ``moebius`` is ``[[m00, m01], [m10, m11]]``. Nothing is verified here: the
    conjecture is a claim for the engine's tier 3.

    >>> e_cf = [2] + [x for k in range(1, 10) for x in (1, 2 * k, 1)]
    >>> c = conjecture_from_pattern(e_cf, *interlaced_pattern(e_cf))
    >>> c["a"], c["b"], c["moebius"]
    ([8, 16, 4], [4, 4, -3], [[2, 3], [1, 0]])
    """
    k = len(polys)
    # head: prefix terms followed by the first two full blocks (n = 0, 1 of the PCF are
    # absorbed into the Moebius map), then blocks m = 2, 3, ... of the PCF
    if k == 1:
        a_expr = _poly_expr(polys[0], _N).subs(_N, _N + 0)
        # partial quotient c_{prefix + n} = poly(n); the PCF a(n) = poly(n), b(n) = 1
        a = _int_coeffs(a_expr)
        b = [1]
        head = seq[:prefix]
    else:
        found = _shifted_block_pcf(seq, prefix, polys)
        if found is None:
            return None
        return found
    if a is None or b is None:
        return None
    if k == 1:
        # value = [head; x] with x = PCF value: Moebius of the head convergents
        M = sympy.eye(2)
        for c in head:
            M = M * sympy.Matrix([[c, 1], [1, 0]])
        moeb = [[int(M[0, 0]), int(M[0, 1])], [int(M[1, 0]), int(M[1, 1])]]
        pcf = PCF(a, b)
    else:
        # value = [prefix; blocks 0, 1, then tail]; the PCF x = a(1) + b(2)/(a(2) + ...) has
        # convergents proportional to the first column of W(0) W(1) ... W(m) for m >= 1.
        # Build the Moebius map from exact convergents rather than by hand: x is determined by
        # a(0), b(1) chosen freely; take a(0) = 0, b(1) = 1 and solve the map from convergents.
        pcf = PCF(a, b)
        moeb = _fit_moebius(seq, prefix, polys, pcf)
        if moeb is None:
            return None
    (m00, m01), (m10, m11) = moeb
    if m00 * m11 - m01 * m10 == 0:
        return None
    return {"a": list(pcf.a), "b": list(pcf.b), "moebius": moeb,
            "pattern": {"prefix": [int(c) for c in seq[:prefix]], "period": k,
                        "polynomials": [[str(c) for c in p] for p in polys]}}


def _shift_poly(p, t: int):
    """Coefficients (Fractions, highest power first) of ``p(m + t)``."""
    if t == 0:
        return list(p)
    poly = sympy.Poly(sympy.expand(_poly_expr(p, _M).subs(_M, _M + t)), _M)
    return [Fraction(int(c.p), int(c.q)) for c in poly.all_coeffs()]


def _shifted_block_pcf(seq, prefix: int, polys, max_shift: int = 8):
    """The PCF of a ``k``-interlaced pattern (``k > 1``) whose leading terms are folded into
    the Moebius map.

    The contraction of :func:`block_pcf` divides by ``C(m)``, the lower-left entry of the block
    matrix, at ``m - 1`` and ``m - 2``; where ``C`` vanishes at a small block index the PCF has
    ``b(n) = 0`` and terminates (tan(1/2) = [0; 1, 1, 4, 1, 8, ...]: ``C(m) = 4m + 4`` vanishes
    at ``m = -1``, so ``b(1) = 0``). The pattern is then restarted ``t`` blocks later: the terms
    of the first ``t`` blocks join the irregular prefix, the polynomials become ``p(m + t)``,
    and the Moebius map (fitted on exact convergents) absorbs the whole prefix. The smallest
    ``t`` whose PCF has integer coefficients, no ``b(n) = 0`` for ``n >= 1`` and a consistent
    Moebius map wins.
    """
    from .slow import positive_integer_root

    k = len(polys)
    for t in range(0, max_shift + 1):
        shifted = [_shift_poly(p, t) for p in polys]
        new_prefix = prefix + k * t
        if new_prefix > len(seq):              # the folded terms must be known terms
            return None
        W = _matrix_seq(shifted)
        a_expr, b_expr = block_pcf(W)
        a, b = _int_coeffs(a_expr), _int_coeffs(b_expr)
        if a is None or b is None or not any(b):
            continue
        if positive_integer_root(b, 10 ** 6) is not None:
            continue
        pcf = PCF(a, b)
        moeb = _fit_moebius(seq, new_prefix, shifted, pcf)
        if moeb is None:
            continue
        (m00, m01), (m10, m11) = moeb
        if m00 * m11 - m01 * m10 == 0:
            continue
        return {"a": list(pcf.a), "b": list(pcf.b), "moebius": moeb,
                "pattern": {"prefix": [int(c) for c in seq[:prefix]], "period": k,
                            "polynomials": [[str(c) for c in p] for p in polys],
                            "folded_terms": new_prefix, "shift": t}}
    return None


def _fit_moebius(seq, prefix, polys, pcf):
    """The integer Moebius map ``value = M(x)`` relating the pattern's continued fraction and
    ``pcf``: from the exact convergents of both, ``M`` is fixed by three of them and checked on
    two more."""

    def cf_conv(nblocks):
        terms = list(seq[:prefix])
        for m in range(nblocks):
            for p in polys:
                terms.append(int(sum(c * m ** (len(p) - 1 - i) for i, c in enumerate(p))))
        h = sympy.Matrix([[1, 0], [0, 1]])
        for c in terms:
            h = h * sympy.Matrix([[c, 1], [1, 0]])
        return sympy.Rational(h[0, 0], h[1, 0])

    pc = list(pcf.convergents(12))
    xs = [sympy.Rational(int(p), int(q)) if q else None for p, q in pc]
    # block m of the pattern corresponds to PCF index n = m (n >= 1 convergents proportional)
    # value convergent after blocks 0..n  <->  x convergent at n; solve m00 x + m01 - y (m10 x
    # + m11) = 0 for n = 2..4 (homogeneous, 4 unknowns: 3 equations), check n = 5..8
    rows = []
    pairs = []
    for n in range(1, 9):
        y = cf_conv(n + 1)
        x = xs[n]
        if x is None:
            return None
        pairs.append((x, y))
    for x, y in pairs[:3]:
        rows.append([x, 1, -y * x, -y])
    ns = sympy.Matrix(rows).nullspace()
    if len(ns) != 1:
        return None
    vec = ns[0]
    den = sympy.ilcm(*[sympy.fraction(c)[1] for c in vec])
    vec = [int(c * den) for c in vec]
    g = 0
    for c in vec:
        g = sympy.igcd(g, c)
    vec = [c // g for c in vec] if g else vec
    m00, m01, m10, m11 = vec
    for x, y in pairs[3:]:
        if (m00 * x + m01) != y * (m10 * x + m11):
            return None
    if m00 * m11 - m01 * m10 == 0:
        return None
    return [[m00, m01], [m10, m11]]


def closed_form(name_expr: str, moeb) -> str:
    """The PCF's value ``x`` as an expression in the expanded value ``V``:
    ``x = (m11 V - m01)/(m00 - m10 V)``.

    >>> closed_form("e", [[2, 3], [1, 0]])
    '3/((e) - 2)'
    """
    (m00, m01), (m10, m11) = moeb
    V = sympy.Symbol("V")
    expr = sympy.simplify((m11 * V - m01) / (m00 - m10 * V))
    return str(expr).replace("V", f"({name_expr})")


def analyse(value_text: str, dps: int = 600, registry=None) -> dict:
    """Expand a corpus constant or a safe expression and conjecture PCFs from the patterns of
    its partial quotients (steps 1-3; nothing verified).

    Returns ``{"value", "terms", "expansion", "nearest_integer", "nearest_integer_terms",
    "recurrence", "conjectures"}``; each conjecture has ``a``, ``b``, ``moebius``,
    ``pattern``, ``expression`` (the PCF's value in terms of ``value``) and
    ``checked_terms`` (the partial quotients the pattern was fitted on). Raises
    :class:`discover.errors.ExpressionError` for an unknown name or a bad expression.
    """
    from discover.constants import default_registry

    registry = registry or default_registry()
    text = value_text.strip()
    name_expr = registry.get(text).name if text in registry else text
    registry.parse(name_expr)        # raises ExpressionError / unknown names listed

    def evaluate(d):
        return registry.evaluate(name_expr, d)

    seq = reliable_terms(evaluate, dps)
    signed = reliable_terms(evaluate, dps, variant="nearest")
    out = {"value": name_expr, "terms": len(seq), "expansion": seq[:30],
           "nearest_integer": [[c, s] for c, s in signed[:30]], "nearest_integer_terms":
           len(signed), "recurrence": None, "conjectures": []}
    usable = seq[:400]
    rec = berlekamp_massey(usable[1:121]) if len(usable) > 8 else None
    if rec is not None:
        out["recurrence"] = [str(c) for c in rec]
    pat = interlaced_pattern(usable) if len(usable) >= 12 else None
    if pat is None:
        return out
    prefix, polys = pat
    conj = conjecture_from_pattern(usable, prefix, polys)
    if conj is None:
        return out
    conj["expression"] = closed_form(name_expr, conj["moebius"])
    conj["checked_terms"] = len(usable)
    out["conjectures"].append(conj)
    return out


def esma(value_text: str, dps: int = 600, digits: int = 100, *, store=None, plugins=None,
         search: dict | None = None) -> dict:
    """Run ESMA on a corpus constant or a safe expression through the engine: an ``esma``
    search (one task: :func:`analyse`), whose conjectures are verified, identified and recorded
    by the one record path. ``store`` keeps the verified formulas (default: a temporary store);
    ``search`` is a search dict of kind ``esma`` to run instead of building one.

    Returns :func:`analyse`'s dict, each conjecture with ``digits`` and ``verified`` added, and
    ``run_id``/``store`` (None for a temporary store).
    """
    from .esma_generator import run_esma

    return run_esma(value_text, dps=dps, digits=digits, store=store, plugins=plugins,
                    search=search)
