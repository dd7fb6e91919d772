"""Numba kernels that evaluate many polynomial continued fractions at once (tiers 1 and 2).

A PCF with integer polynomials ``a(n)``, ``b(n)`` has the value
``a(0) + b(1)/(a(1) + b(2)/(a(2) + ...))``, the limit of ``p_n / q_n`` where ``p_{-1} = 1``,
``q_{-1} = 0``, ``p_0 = a(0)``, ``q_0 = 1`` and ``p_n = a(n) p_{n-1} + b(n) p_{n-2}`` (same for
``q``). A batch is given as two integer matrices: row ``i`` of ``A`` (``B``) holds the
coefficients of ``a`` (``b``) of candidate ``i``, highest power first, rows padded with leading
zeros to a common degree.

* :func:`eval_pcf_f64` runs the recurrence in float64 (tier 1, the hot loop of a search). Blocks
  of 64 candidates advance in lock-step in structure-of-arrays state so that LLVM vectorises the
  recurrence; ``a(n)`` and ``b(n)`` come from forward differences (additions only, exact while
  the integers stay below ``2**53``). The four terms ``p_n, p_{n-1}, q_n, q_{n-1}`` of a
  candidate are multiplied by ``2**-500`` (``2**500``) together when the largest exceeds
  ``2**500`` (falls below ``2**-500``); this is exact and leaves every ratio unchanged, so
  depth is limited only by time, never by overflow. The test runs every ``K`` steps, ``K``
  chosen from a bound on the growth per step so that nothing can pass ``2**1000`` in between.
* :func:`eval_pcf_dd` runs the same recurrence in double-double arithmetic (about 31 digits,
  tier 2), one candidate at a time; ``a(n)`` and ``b(n)`` are exact while below ``2**106``.

* :func:`eval_pcf_f64_slow` and :func:`eval_pcf_dd_slow` are the slow path (search field
  ``slow = true``): for PCFs whose convergents approach the limit like a power of ``1/n``
  they extrapolate convergents taken at geometric depths (Richardson, each parity apart) and
  return the limit with an error estimate, status :data:`EXTRAPOLATED` or
  :data:`SLOW_REJECTED`.

Both return a status code per candidate (module constants, see :data:`STATUS_NAMES`) and
``err = |x_depth - x_{depth-1}|``, the last step, as an error estimate.

Examples
--------
>>> import numpy as np
>>> from discover_plugins.cf.kernels import eval_pcf_f64, OK
>>> v, err, st = eval_pcf_f64(np.array([[2, 1]]), np.array([[1, 0, 0]]), 200)
>>> round(float(v[0]), 12), int(st[0]) == OK          # 4/pi
(1.273239544735, True)
"""

from __future__ import annotations

import numba
import numpy as np

from .ddarith import (dd_add, dd_add_d, dd_div, dd_from_int, dd_mul, dd_mul_d, dd_scale, dd_sub,
                      two_prod)

__all__ = [
    "OK", "TERMINATED", "ZERO_DENOMINATOR", "NOT_CONVERGED", "NONFINITE", "STATUS_NAMES",
    "DEFAULT_TOL", "eval_pcf_f64", "eval_pcf_dd", "as_coefficient_matrix",
]

#: The recurrence reached ``depth`` and the last step is below ``tol * max(1, |x|)``.
OK = 0
#: ``b(k) == 0`` for some ``1 <= k <= depth``: a finite continued fraction with a rational value
#: ``p_{k-1}/q_{k-1}`` (returned as the value, with ``err = 0``).
TERMINATED = 1
#: ``q_depth == 0`` (or ``q_{k-1} == 0`` for a terminating candidate): no value.
ZERO_DENOMINATOR = 2
#: ``|x_depth - x_{depth-1}| > tol * max(1, |x|)``: divergent, oscillating or too slow.
NOT_CONVERGED = 3
#: The value or the last step is inf or nan.
NONFINITE = 4
STATUS_NAMES = {OK: "ok", TERMINATED: "terminated", ZERO_DENOMINATOR: "zero denominator",
                NOT_CONVERGED: "not converged", NONFINITE: "non-finite"}
DEFAULT_TOL = 1e-6

_BIG = 2.0 ** 500
_SMALL = 2.0 ** -500
_DOWN = 2.0 ** -500
_UP = 2.0 ** 500
_LANES = 64
_EXACT = 2.0 ** 53      # float64 integers below this are exact
_EXACT_DD = 2.0 ** 104  # double-double integers below this are exact (with margin)

_jit = numba.njit(cache=True, fastmath=False, nogil=True)


# ------------------------------------------------------------------------------ float64
@_jit
def _horner_f(c, x):
    v = float(c[0])
    for j in range(1, c.shape[0]):
        v = v * x + float(c[j])
    return v


@_jit
def _finish(p, q, p1, q1, tol):
    """Value, error and status from the last two convergents."""
    if q == 0.0:
        return np.nan, np.inf, ZERO_DENOMINATOR
    x = p / q
    x1 = p1 / q1 if q1 != 0.0 else np.inf
    e = abs(x - x1)
    if not np.isfinite(x):
        return x, e, NONFINITE
    if not e <= tol * max(1.0, abs(x)):   # also catches e = nan / inf
        return x, e, NOT_CONVERGED
    return x, e, OK


@_jit
def _f64_scalar(a, b, depth, tol):
    """One candidate, straightforward loop (used for candidates that terminate)."""
    p1, q1, p, q = 1.0, 0.0, _horner_f(a, 0.0), 1.0
    for n in range(1, depth + 1):
        x = float(n)
        an = _horner_f(a, x)
        bn = _horner_f(b, x)
        if bn == 0.0:
            if q == 0.0:
                return np.nan, np.inf, ZERO_DENOMINATOR
            return p / q, 0.0, TERMINATED
        p, p1 = an * p + bn * p1, p
        q, q1 = an * q + bn * q1, q
        mx = max(max(abs(p), abs(q)), max(abs(p1), abs(q1)))
        if mx > _BIG or (mx < _SMALL and mx > 0.0):
            s = _DOWN if mx > _BIG else _UP
            p, q, p1, q1 = p * s, q * s, p1 * s, q1 * s
    return _finish(p, q, p1, q1, tol)


@_jit
def _fd_init(c, fd, lane):
    """Forward-difference table of polynomial ``c`` at n = 1 into column ``lane`` of ``fd``:
    ``fd[j] = Delta^j c(1)``, so that ``c(n+1) = c(n) + Delta c(n)`` and so on."""
    d = c.shape[0] - 1
    for m in range(d + 1):
        fd[m, lane] = _horner_f(c, float(1 + m))
    for j in range(1, d + 1):
        for m in range(d, j - 1, -1):
            fd[m, lane] = fd[m, lane] - fd[m - 1, lane]


@_jit
def _step(a, b, p, q, p1, q1, bmin):
    """One recurrence step for every lane (a vectorisable loop over contiguous arrays)."""
    for l in range(a.shape[0]):
        al = a[l]
        bl = b[l]
        pn = al * p[l] + bl * p1[l]
        qn = al * q[l] + bl * q1[l]
        p1[l] = p[l]
        q1[l] = q[l]
        p[l] = pn
        q[l] = qn
        bmin[l] = np.minimum(bmin[l], abs(bl))  # min() becomes a slow masked store


@_jit
def _advance(x, dx):
    for l in range(x.shape[0]):
        x[l] += dx[l]


@_jit
def _f64_block(CA, CB, start, stop, depth, tol, vals, errs, status):
    """Candidates ``start..stop-1`` (at most ``_LANES``) in lock-step.

    Lanes hold structure-of-arrays state; ``a(n)``, ``b(n)`` come from forward differences
    (exact while the integers involved stay below 2**53). The largest of ``|p_n|, |q_n|,
    |p_{n-1}|, |q_{n-1}|`` grows by at most ``|a(n)| + |b(n)| <= G`` per step, so checking for
    rescaling every ``K = 480 / log2(G)`` steps keeps everything below ``2**1000``.
    """
    L = _LANES
    da = CA.shape[1] - 1
    db = CB.shape[1] - 1
    fa = np.zeros((da + 1, L))
    fb = np.zeros((db + 1, L))
    p = np.empty(L)
    q = np.ones(L)
    p1 = np.ones(L)
    q1 = np.zeros(L)
    bmin = np.full(L, np.inf)
    dep = float(depth)
    growth = 2.0
    for l in range(L):
        i = start + l if start + l < stop else start  # idle lanes repeat the first candidate
        _fd_init(CA[i], fa, l)
        _fd_init(CB[i], fb, l)
        p[l] = CA[i, da]
        ga = 0.0
        for j in range(da + 1):
            ga = ga * dep + abs(CA[i, j])
        gb = 0.0
        for j in range(db + 1):
            gb = gb * dep + abs(CB[i, j])
        growth = max(growth, ga + gb)
    every = max(1, int(480.0 / max(1.0, np.log2(growth))))
    check = every
    for n in range(1, depth + 1):
        _step(fa[0], fb[0], p, q, p1, q1, bmin)
        for j in range(da):
            _advance(fa[j], fa[j + 1])
        for j in range(db):
            _advance(fb[j], fb[j + 1])
        if n == check:
            check += every
            for l in range(L):
                mx = max(max(abs(p[l]), abs(q[l])), max(abs(p1[l]), abs(q1[l])))
                if mx > _BIG or (mx < _SMALL and mx > 0.0):
                    s = _DOWN if mx > _BIG else _UP
                    p[l] *= s
                    q[l] *= s
                    p1[l] *= s
                    q1[l] *= s
    for l in range(stop - start):
        i = start + l
        if bmin[l] == 0.0:  # b(k) = 0 for some k: redo it with the loop that stops there
            vals[i], errs[i], status[i] = _f64_scalar(CA[i], CB[i], depth, tol)
        else:
            vals[i], errs[i], status[i] = _finish(p[l], q[l], p1[l], q1[l], tol)


@_jit
def _f64_all(CA, CB, depth, tol, vals, errs, status):
    n = CA.shape[0]
    for start in range(0, n, _LANES):
        _f64_block(CA, CB, start, min(start + _LANES, n), depth, tol, vals, errs, status)


def as_coefficient_matrix(M, name: str = "A") -> np.ndarray:
    """Check and convert a batch of coefficient rows to a C-contiguous ``int64[n, d+1]``.

    A 1-D input is one candidate; a list of rows of different lengths is padded with leading
    zeros. Raises ``ValueError`` naming ``name`` on a bad shape or on non-integer entries.

    >>> as_coefficient_matrix([2, 1]).tolist()
    [[2, 1]]
    >>> as_coefficient_matrix([[1], [2, 1]]).tolist()
    [[0, 1], [2, 1]]
    """
    if isinstance(M, (list, tuple)) and M and all(isinstance(r, (list, tuple)) for r in M):
        width = max(len(r) for r in M)
        M = [[0] * (width - len(r)) + list(r) for r in M]
    arr = np.asarray(M)
    if arr.ndim == 1:
        arr = arr[None, :]
    if arr.ndim != 2 or arr.shape[1] == 0:
        raise ValueError(f"{name} must be a 2-D array of coefficient rows (n, degree+1), "
                         f"got shape {arr.shape}")
    if arr.dtype.kind not in "iub":
        if arr.dtype.kind == "f" and np.all(np.isfinite(arr)) and np.all(arr == np.round(arr)):
            arr = arr.astype(np.int64)
        else:
            raise ValueError(f"{name} must hold integer coefficients, got dtype {arr.dtype}")
    return np.ascontiguousarray(arr, dtype=np.int64)


def _prepare(A, B, depth):
    A = as_coefficient_matrix(A, "A")
    B = as_coefficient_matrix(B, "B")
    if A.shape[0] != B.shape[0]:
        raise ValueError(f"A and B must have the same number of rows, got {A.shape[0]} and "
                         f"{B.shape[0]}")
    depth = int(depth)
    if depth < 1:
        raise ValueError(f"depth must be >= 1, got {depth}")
    return A, B, depth


def eval_pcf_f64(A, B, depth: int, tol: float = DEFAULT_TOL):
    """Evaluate PCFs to ``depth`` terms in float64.

    Parameters
    ----------
    A, B : array_like of int, shape (n, da+1) and (n, db+1)
        Coefficients of ``a`` and ``b`` per candidate, highest power first. Coefficients
        above ``2**53`` in magnitude are rounded to float64.
    depth : int
        Number of recurrence steps (the value returned is ``p_depth / q_depth``).
    tol : float
        Convergence threshold of :data:`NOT_CONVERGED`.

    Returns
    -------
    values : float64[n]
        ``p_depth / q_depth`` (or ``p_{k-1}/q_{k-1}`` for a candidate that terminates at ``k``).
    err : float64[n]
        ``|x_depth - x_{depth-1}|`` (0 for terminated candidates).
    status : int8[n]
        :data:`OK`, :data:`TERMINATED`, :data:`ZERO_DENOMINATOR`, :data:`NOT_CONVERGED` or
        :data:`NONFINITE`.

    Examples
    --------
    >>> v, e, s = eval_pcf_f64([[6, 3], [1, 0]], [[-1, 0, 0], [1, 0]], 100)
    >>> v.round(12).tolist(), s.tolist()                 # 2/log(2), 1/(e-1)
    ([2.885390081778, 0.581976706869], [0, 0])
    >>> v, e, s = eval_pcf_f64([[2]], [[1, -3]], 10)   # b(3) = 0: value p_2/q_2 = 2/3
    >>> float(v[0]), s.tolist()
    (0.6666666666666666, [1])
    """
    A, B, depth = _prepare(A, B, depth)
    n = A.shape[0]
    vals = np.empty(n)
    errs = np.empty(n)
    status = np.empty(n, dtype=np.int8)
    if n:
        _f64_all(A.astype(np.float64), B.astype(np.float64), depth, float(tol), vals, errs,
                 status)
    return vals, errs, status


# ------------------------------------------------------------------------- double-double
@_jit
def _exact_limit(c):
    """Largest n (capped at 2**40) for which float Horner of coefficient row ``c`` is exact."""
    s = 0.0
    for j in range(c.shape[0]):
        s += abs(float(c[j]))
    d = c.shape[0] - 1
    if s == 0.0 or d == 0:
        return 1 << 40 if s < _EXACT else -1
    # |partial Horner sums| <= s * n**d
    lim = (_EXACT / s) ** (1.0 / d)
    return int(min(lim - 1.0, 2.0 ** 40))


@_jit
def _horner_dd(c, x):
    """``c(x)`` in double-double; exact for integer data below about ``2**104``."""
    h, l = dd_from_int(c[0])
    for j in range(1, c.shape[0]):
        h, l = dd_mul_d(h, l, x)
        ch, cl = dd_from_int(c[j])
        h, l = dd_add(h, l, ch, cl)
    return h, l


@_jit
def _dd_one(a, b, depth, tol):
    """One candidate in double-double: (hi, lo, err, status)."""
    na = _exact_limit(a)
    nb = _exact_limit(b)
    ph, pl = dd_from_int(a[a.shape[0] - 1])  # p_0 = a(0)
    qh, ql = 1.0, 0.0
    p1h, p1l = 1.0, 0.0
    q1h, q1l = 0.0, 0.0
    for n in range(1, depth + 1):
        x = float(n)
        if n <= na:
            ah, al = _horner_f(a, x), 0.0
        else:
            ah, al = _horner_dd(a, x)
        if n <= nb:
            bh, bl = _horner_f(b, x), 0.0
        else:
            bh, bl = _horner_dd(b, x)
        if bh == 0.0:
            if qh == 0.0:
                return np.nan, 0.0, np.inf, ZERO_DENOMINATOR
            vh, vl = dd_div(ph, pl, qh, ql)
            return vh, vl, 0.0, TERMINATED
        th, tl = dd_mul(ah, al, ph, pl)
        uh, ul = dd_mul(bh, bl, p1h, p1l)
        p1h, p1l = ph, pl
        ph, pl = dd_add(th, tl, uh, ul)
        th, tl = dd_mul(ah, al, qh, ql)
        uh, ul = dd_mul(bh, bl, q1h, q1l)
        q1h, q1l = qh, ql
        qh, ql = dd_add(th, tl, uh, ul)
        mx = max(max(abs(ph), abs(qh)), max(abs(p1h), abs(q1h)))
        if mx > _BIG or (mx < _SMALL and mx > 0.0):
            s = _DOWN if mx > _BIG else _UP
            ph, pl = dd_scale(ph, pl, s)
            qh, ql = dd_scale(qh, ql, s)
            p1h, p1l = dd_scale(p1h, p1l, s)
            q1h, q1l = dd_scale(q1h, q1l, s)
    if qh == 0.0:
        return np.nan, 0.0, np.inf, ZERO_DENOMINATOR
    vh, vl = dd_div(ph, pl, qh, ql)
    if q1h == 0.0:
        e = np.inf
    else:
        wh, wl = dd_div(p1h, p1l, q1h, q1l)
        dh, dl = dd_sub(vh, vl, wh, wl)
        e = abs(dh + dl)
    if not (np.isfinite(vh) and np.isfinite(vl)):
        return vh, vl, e, NONFINITE
    if not e <= tol * max(1.0, abs(vh)):
        return vh, vl, e, NOT_CONVERGED
    return vh, vl, e, OK


@_jit
def _dd_all(A, B, depth, tol, hi, lo, errs, status):
    for i in range(A.shape[0]):
        hi[i], lo[i], errs[i], status[i] = _dd_one(A[i], B[i], depth, tol)


def eval_pcf_dd(A, B, depth: int, tol: float = DEFAULT_TOL):
    """Evaluate PCFs to ``depth`` terms in double-double arithmetic (about 31 digits).

    Same inputs, statuses and conventions as :func:`eval_pcf_f64`; coefficients are exact
    (int64). The value is ``hi + lo``.

    Returns
    -------
    hi, lo : float64[n]
        The value as an unevaluated sum.
    err : float64[n]
        ``|x_depth - x_{depth-1}|``.
    status : int8[n]

    Examples
    --------
    >>> hi, lo, err, st = eval_pcf_dd([[2]], [[1]], 100)      # 1 + sqrt(2)
    >>> import mpmath
    >>> with mpmath.workdps(50):
    ...     float(abs(mpmath.mpf(hi[0]) + lo[0] - 1 - mpmath.sqrt(2))) < 1e-30
    True
    """
    A, B, depth = _prepare(A, B, depth)
    n = A.shape[0]
    hi = np.empty(n)
    lo = np.empty(n)
    errs = np.empty(n)
    status = np.empty(n, dtype=np.int8)
    if n:
        _dd_all(A, B, depth, float(tol), hi, lo, errs, status)
    return hi, lo, errs, status


# ----------------------------------------------------------------- slow path (extrapolation)
#: ``slow = true`` only: the convergents do not settle geometrically, and Richardson
#: extrapolation of convergents at geometric depths gives a limit whose error estimate is
#: within the requested tolerance (see :func:`eval_pcf_f64_slow`).
EXTRAPOLATED = 5
#: ``slow = true`` only: a candidate sent to the slow path whose extrapolated limit is not
#: consistent (diverges, oscillates, different even and odd limits, logarithmic terms, or an
#: exponent the two accelerations do not cover).
SLOW_REJECTED = 6
STATUS_NAMES[EXTRAPOLATED] = "extrapolated"
STATUS_NAMES[SLOW_REJECTED] = "slow rejected"
__all__ += ["EXTRAPOLATED", "SLOW_REJECTED", "slow_nodes", "eval_pcf_f64_slow",
            "eval_pcf_dd_slow"]

_HALF = 1  # Neville variable h = n^-1/2 (covers half-integer exponents); 0: h = 1/n


def slow_nodes(depth: int, levels: int) -> np.ndarray:
    """The even depths ``N, 2N, ..., 2^(levels-1) N = depth`` (``N`` rounded to even) at which
    the slow path takes convergents (and at ``n + 1`` for the odd-parity check).

    >>> slow_nodes(2048, 7).tolist()
    [32, 64, 128, 256, 512, 1024, 2048]
    """
    depth, levels = int(depth), int(levels)
    if levels < 3:
        raise ValueError(f"levels must be >= 3 (Richardson needs three depths), got {levels}")
    base = max(4, (depth >> (levels - 1)) & ~1)
    return np.array([base << k for k in range(levels)], dtype=np.int64)


@_jit
def _neville_f(t, nodes, off, half):
    """Richardson (Neville at h = 0) over ``t[0..K-1]`` taken at depths ``nodes + off``;
    ``h = 1/n`` or ``n^-1/2``. Returns ``(top, err)``: the order ``K - 1`` value and the
    largest distance to the two order ``K - 2`` values (one drops the shallowest node, one the
    deepest)."""
    K = t.shape[0]
    w = t.copy()
    lower_a = 0.0
    lower_b = 0.0
    for m in range(1, K):
        for i in range(K - m):
            ni = float(nodes[i] + off)
            nj = float(nodes[i + m] + off)
            if half == 1:
                c = (ni + np.sqrt(ni * nj)) / (nj - ni)
            else:
                c = ni / (nj - ni)
            w[i] = w[i + 1] + (w[i + 1] - w[i]) * c
        if m == K - 2:
            lower_a = w[0]
            lower_b = w[1]
    top = w[0]
    return top, max(abs(top - lower_a), abs(top - lower_b))


@_jit
def _levin_range_f(s, s2, nodes, off, lo, hi):
    """Levin-type transform over nodes ``lo .. hi-1``: the limit ``x`` for which
    ``(s_j - x) / omega_j`` is a polynomial of degree ``hi - lo - 2`` in ``h = 1/n``, with the
    remainder estimate ``omega_j = n_j (x_(n_j+2) - x_(n_j))``. Exact for ``x_n = x + n^-alpha
    (c_0 + c_1/n + ...)`` truncated, whatever ``alpha`` (irrational exponents included).
    Written as ``ref + sum c_j (s_j - ref) / sum c_j`` so that rounding is relative to the
    small differences."""
    ref = s[hi - 1]
    num = 0.0
    den = 0.0
    for j in range(lo, hi):
        nj = float(nodes[j] + off)
        om = nj * (s2[j] - s[j])
        if om == 0.0:
            return np.nan
        w = 1.0
        hj = 1.0 / nj
        for i in range(lo, hi):
            if i != j:
                w *= hj - 1.0 / float(nodes[i] + off)
        c = 1.0 / (w * om)
        num += c * (s[j] - ref)
        den += c
    if den == 0.0:
        return np.nan
    return ref + num / den


@_jit
def _levin_f(s, s2, nodes, off):
    """:func:`_levin_range_f` over all nodes, and its distance to the two lower orders."""
    K = s.shape[0]
    top = _levin_range_f(s, s2, nodes, off, 0, K)
    la = _levin_range_f(s, s2, nodes, off, 1, K)
    lb = _levin_range_f(s, s2, nodes, off, 0, K - 1)
    return top, max(abs(top - la), abs(top - lb))


@_jit
def _slow_one_f(a, b, nodes, half_ok, tol, ev, od, ev2, od2):
    """One candidate: convergents at ``nodes`` and ``nodes + 1``, then extrapolation."""
    K = nodes.shape[0]
    last = nodes[K - 1] + 3
    p1, q1, p, q = 1.0, 0.0, _horner_f(a, 0.0), 1.0
    k = 0
    for n in range(1, last + 1):
        x = float(n)
        bn = _horner_f(b, x)
        if bn == 0.0:
            return np.nan, np.inf, SLOW_REJECTED
        an = _horner_f(a, x)
        p, p1 = an * p + bn * p1, p
        q, q1 = an * q + bn * q1, q
        mx = max(max(abs(p), abs(q)), max(abs(p1), abs(q1)))
        if mx > _BIG or (mx < _SMALL and mx > 0.0):
            s = _DOWN if mx > _BIG else _UP
            p, q, p1, q1 = p * s, q * s, p1 * s, q1 * s
        if k < K and (n == nodes[k] + 1 or n == nodes[k] + 3):
            if q == 0.0 or q1 == 0.0:
                return np.nan, np.inf, SLOW_REJECTED
            if n == nodes[k] + 1:
                ev[k] = p1 / q1
                od[k] = p / q
            else:
                ev2[k] = p1 / q1
                od2[k] = p / q
                k += 1
    best_v = np.nan
    best_e = np.inf
    for variant in range(3):
        if variant == 1 and not half_ok:
            continue
        if variant < 2:
            ve, ee = _neville_f(ev, nodes, 0, variant)
            vo, eo = _neville_f(od, nodes, 1, variant)
        else:
            ve, ee = _levin_f(ev, ev2, nodes, 0)
            vo, eo = _levin_f(od, od2, nodes, 1)
            # the remainder estimates are differences of float64 convergents: their rounding
            # is not seen by the comparison of orders (measured: up to 3x), hence the margin
            ee *= 10.0
            eo *= 10.0
        e = max(max(ee, eo), abs(ve - vo))
        if e < best_e:
            best_v, best_e = ve, e
    if not (np.isfinite(best_v) and np.isfinite(best_e)):
        return best_v, np.inf, SLOW_REJECTED
    # the float64 convergents carry rounding that grows up to linearly with the depth where
    # the recurrence cancels (Euler's continued fraction of zeta(2): 2e-12 at depth 4096),
    # which no comparison of orders sees
    best_e = max(best_e, 1e-15 * abs(best_v) * float(last))
    if not best_e <= tol * max(1.0, abs(best_v)):
        return best_v, best_e, SLOW_REJECTED
    return best_v, best_e, EXTRAPOLATED


@_jit
def _slow_all_f(A, B, nodes, half_ok, tol, vals, errs, status):
    K = nodes.shape[0]
    ev = np.empty(K)
    od = np.empty(K)
    ev2 = np.empty(K)
    od2 = np.empty(K)
    for i in range(A.shape[0]):
        vals[i], errs[i], status[i] = _slow_one_f(A[i], B[i], nodes, half_ok, tol, ev, od,
                                                  ev2, od2)


def eval_pcf_f64_slow(A, B, depth: int = 4096, levels: int = 8, tol: float = 1e-10,
                      half: bool = True):
    """Limits of slowly (algebraically) converging PCFs in float64, by extrapolation.

    The convergents ``x_n`` are taken at the even depths :func:`slow_nodes` ``(depth,
    levels)`` and at the odd depths one further. Richardson extrapolation (Neville's scheme at
    ``h = 0``) runs on each parity separately, in ``h = 1/n`` (an error ``n^-alpha (c_0 + c_1/n
    + ...)`` with integer ``alpha``, alternating or not) and, with ``half``, in ``h = n^-1/2``
    (half-integer ``alpha``), and a Levin-type transform (any ``alpha``, irrational included:
    ``(x_n - x) / omega_n`` polynomial in ``1/n`` with ``omega_n = n (x_(n+2) - x_n)``, the
    convergents at ``n + 2`` and ``n + 3`` taken too; its float64 estimate carries a factor 10
    for the rounding of those differences); the variant with the smaller error estimate wins.
    The error
    estimate is the largest of: the distance of the top value to both lower-order values, the
    same for the odd parity, and the distance between the even and the odd limit (a PCF whose
    even and odd convergents tend to different values is rejected). Candidates whose estimate
    exceeds ``tol * max(1, |x|)`` get :data:`SLOW_REJECTED`, the others :data:`EXTRAPOLATED`.

    Returns ``(values, err, status)`` like :func:`eval_pcf_f64`.

    Examples
    --------
    >>> v, e, s = eval_pcf_f64_slow([[3]], [[1, 1, 0]], 2048, 7)   # 2/(10 - 3 pi)
    >>> abs(float(v[0]) - 2 / (10 - 3 * 3.141592653589793)) < 1e-12, s.tolist() == [EXTRAPOLATED]
    (True, True)
    """
    A, B, depth = _prepare(A, B, depth)
    nodes = slow_nodes(depth, levels)
    n = A.shape[0]
    vals = np.empty(n)
    errs = np.empty(n)
    status = np.empty(n, dtype=np.int8)
    if n:
        _slow_all_f(A.astype(np.float64), B.astype(np.float64), nodes, bool(half), float(tol),
                    vals, errs, status)
    return vals, errs, status


@_jit
def _dd_sqrt(x):
    """``sqrt`` of a nonnegative float in double-double (one Newton step)."""
    s = np.sqrt(x)
    if s == 0.0:
        return 0.0, 0.0
    ph, pl = two_prod(s, s)
    rh, rl = dd_sub(x, 0.0, ph, pl)
    return dd_add_d(s, 0.0, (rh + rl) / (2.0 * s))


@_jit
def _neville_dd(th, tl, nodes, off, half):
    K = th.shape[0]
    wh = th.copy()
    wl = tl.copy()
    la_h, la_l, lb_h, lb_l = 0.0, 0.0, 0.0, 0.0
    for m in range(1, K):
        for i in range(K - m):
            ni = float(nodes[i] + off)
            nj = float(nodes[i + m] + off)
            if half == 1:
                sh, sl = _dd_sqrt(ni * nj)           # ni * nj < 2**53: exact product
                sh, sl = dd_add_d(sh, sl, ni)
                ch, cl = dd_div(sh, sl, nj - ni, 0.0)
            else:
                ch, cl = dd_div(ni, 0.0, nj - ni, 0.0)
            dh, dl = dd_sub(wh[i + 1], wl[i + 1], wh[i], wl[i])
            dh, dl = dd_mul(dh, dl, ch, cl)
            wh[i], wl[i] = dd_add(wh[i + 1], wl[i + 1], dh, dl)
        if m == K - 2:
            la_h, la_l = wh[0], wl[0]
            lb_h, lb_l = wh[1], wl[1]
    eh, el = dd_sub(wh[0], wl[0], la_h, la_l)
    fh, fl = dd_sub(wh[0], wl[0], lb_h, lb_l)
    return wh[0], wl[0], max(abs(eh + el), abs(fh + fl))


@_jit
def _levin_range_dd(sh, sl, s2h, s2l, nodes, off, lo, hi):
    """:func:`_levin_range_f` with the values in double-double (weights in float64: the same
    weights in numerator and denominator keep the result exact for an exact model)."""
    rh, rl = sh[hi - 1], sl[hi - 1]
    nh, nl = 0.0, 0.0
    dh, dl = 0.0, 0.0
    for j in range(lo, hi):
        nj = float(nodes[j] + off)
        th, tl = dd_sub(s2h[j], s2l[j], sh[j], sl[j])
        om = nj * (th + tl)
        if om == 0.0:
            return np.nan, 0.0
        w = 1.0
        hj = 1.0 / nj
        for i in range(lo, hi):
            if i != j:
                w *= hj - 1.0 / float(nodes[i] + off)
        c = 1.0 / (w * om)
        uh, ul = dd_sub(sh[j], sl[j], rh, rl)
        uh, ul = dd_mul_d(uh, ul, c)
        nh, nl = dd_add(nh, nl, uh, ul)
        dh, dl = dd_add_d(dh, dl, c)
    if dh == 0.0:
        return np.nan, 0.0
    qh, ql = dd_div(nh, nl, dh, dl)
    return dd_add(rh, rl, qh, ql)


@_jit
def _levin_dd(sh, sl, s2h, s2l, nodes, off):
    K = sh.shape[0]
    th, tl = _levin_range_dd(sh, sl, s2h, s2l, nodes, off, 0, K)
    ah, al = _levin_range_dd(sh, sl, s2h, s2l, nodes, off, 1, K)
    bh, bl = _levin_range_dd(sh, sl, s2h, s2l, nodes, off, 0, K - 1)
    eh, el = dd_sub(th, tl, ah, al)
    fh, fl = dd_sub(th, tl, bh, bl)
    return th, tl, max(abs(eh + el), abs(fh + fl))


@_jit
def _slow_one_dd(a, b, nodes, half_ok, eh_, el_, oh_, ol_, e2h, e2l, o2h, o2l):
    K = nodes.shape[0]
    last = nodes[K - 1] + 3
    na = _exact_limit(a)
    nb = _exact_limit(b)
    ph, pl = dd_from_int(a[a.shape[0] - 1])
    qh, ql = 1.0, 0.0
    p1h, p1l = 1.0, 0.0
    q1h, q1l = 0.0, 0.0
    k = 0
    for n in range(1, last + 1):
        x = float(n)
        if n <= na:
            ah, al = _horner_f(a, x), 0.0
        else:
            ah, al = _horner_dd(a, x)
        if n <= nb:
            bh, bl = _horner_f(b, x), 0.0
        else:
            bh, bl = _horner_dd(b, x)
        if bh == 0.0:
            return np.nan, 0.0, np.inf, SLOW_REJECTED
        th, tl = dd_mul(ah, al, ph, pl)
        uh, ul = dd_mul(bh, bl, p1h, p1l)
        p1h, p1l = ph, pl
        ph, pl = dd_add(th, tl, uh, ul)
        th, tl = dd_mul(ah, al, qh, ql)
        uh, ul = dd_mul(bh, bl, q1h, q1l)
        q1h, q1l = qh, ql
        qh, ql = dd_add(th, tl, uh, ul)
        mx = max(max(abs(ph), abs(qh)), max(abs(p1h), abs(q1h)))
        if mx > _BIG or (mx < _SMALL and mx > 0.0):
            s = _DOWN if mx > _BIG else _UP
            ph, pl = dd_scale(ph, pl, s)
            qh, ql = dd_scale(qh, ql, s)
            p1h, p1l = dd_scale(p1h, p1l, s)
            q1h, q1l = dd_scale(q1h, q1l, s)
        if k < K and (n == nodes[k] + 1 or n == nodes[k] + 3):
            if qh == 0.0 or q1h == 0.0:
                return np.nan, 0.0, np.inf, SLOW_REJECTED
            if n == nodes[k] + 1:
                eh_[k], el_[k] = dd_div(p1h, p1l, q1h, q1l)
                oh_[k], ol_[k] = dd_div(ph, pl, qh, ql)
            else:
                e2h[k], e2l[k] = dd_div(p1h, p1l, q1h, q1l)
                o2h[k], o2l[k] = dd_div(ph, pl, qh, ql)
                k += 1
    bh_, bl_, be = np.nan, 0.0, np.inf
    for variant in range(3):
        if variant == 1 and not half_ok:
            continue
        if variant < 2:
            vh, vl, ee = _neville_dd(eh_, el_, nodes, 0, variant)
            wh, wl, eo = _neville_dd(oh_, ol_, nodes, 1, variant)
        else:
            vh, vl, ee = _levin_dd(eh_, el_, e2h, e2l, nodes, 0)
            wh, wl, eo = _levin_dd(oh_, ol_, o2h, o2l, nodes, 1)
        dh, dl = dd_sub(vh, vl, wh, wl)
        e = max(max(ee, eo), abs(dh + dl))
        if e < be:
            bh_, bl_, be = vh, vl, e
    if not (np.isfinite(bh_) and np.isfinite(be)):
        return bh_, bl_, np.inf, SLOW_REJECTED
    be = max(be, 1e-31 * abs(bh_) * float(last))
    return bh_, bl_, be, EXTRAPOLATED


@_jit
def _slow_all_dd(A, B, nodes, half_ok, hi, lo, errs, status):
    K = nodes.shape[0]
    eh = np.empty(K)
    el = np.empty(K)
    oh = np.empty(K)
    ol = np.empty(K)
    e2h = np.empty(K)
    e2l = np.empty(K)
    o2h = np.empty(K)
    o2l = np.empty(K)
    for i in range(A.shape[0]):
        hi[i], lo[i], errs[i], status[i] = _slow_one_dd(A[i], B[i], nodes, half_ok, eh, el,
                                                        oh, ol, e2h, e2l, o2h, o2l)


def eval_pcf_dd_slow(A, B, depth: int = 8192, levels: int = 9, half: bool = True):
    """:func:`eval_pcf_f64_slow` in double-double arithmetic (the refinement of slow hits).

    Returns ``(hi, lo, err, status)``: status :data:`EXTRAPOLATED` with ``err`` the error
    estimate (never below the rounding of the convergents), or :data:`SLOW_REJECTED` when a
    denominator vanishes, ``b(n) = 0`` or the result is not finite. The caller compares ``err``
    with what it needs.

    >>> hi, lo, err, st = eval_pcf_dd_slow([[3]], [[1, 1, 0]])
    >>> import mpmath
    >>> with mpmath.workdps(40):
    ...     x = mpmath.mpf(hi[0]) + lo[0]
    ...     bool(abs(x - 2 / (10 - 3 * mpmath.pi)) < 1e-20), bool(err[0] < 1e-16)
    (True, True)
    """
    A, B, depth = _prepare(A, B, depth)
    nodes = slow_nodes(depth, levels)
    n = A.shape[0]
    hi = np.empty(n)
    lo = np.empty(n)
    errs = np.empty(n)
    status = np.empty(n, dtype=np.int8)
    if n:
        _slow_all_dd(A, B, nodes, bool(half), hi, lo, errs, status)
    return hi, lo, errs, status
