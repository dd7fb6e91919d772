"""Final verification of evolved programs: a dense 50-digit measurement and a rigorous bound.

``measure`` evaluates the program in float64 (as deployed), in extended precision (an estimate of
the program's error in exact arithmetic) and in float32 (error in ULPs) on >= 10^5 points plus
points clustered at both ends of the interval, against a 50-digit mpmath reference.

``prove_bound`` bounds ``|p(x)/f(x) - 1|`` over the whole interval with arb ball arithmetic
(python-flint): the interval is cut into pieces; on each piece ``[m - r, m + r]`` the error
``e = p/f - 1`` is expanded as a Taylor series at the point ``m`` (orders ``< n``) plus a Lagrange
remainder whose coefficient is enclosed by evaluating the series on the whole ball, so

    |e(x)| <= sum_{k<n} |e_k(m)| r^k + sup|e_n(ball)| r^n.

A second pass bounds the float64 rounding error of the program on each piece by running-error
analysis in ball arithmetic (standard model |fl(a op b) - a op b| <= u |a op b|, u = 2^-53,
assuming no underflow), giving a bound for the program as evaluated in float64. ``None`` is
returned when a bound cannot be established (for instance where f vanishes in the interval).
"""

from __future__ import annotations

import numpy as np

from .functions import EvolveError, Target, dd_reference
from .program import Program, eval_extended, eval_population, run_values

__all__ = ["dense_grid", "measure", "prove_bound", "rational_form", "float32_points",
           "float32_exhaustive", "ulp32"]


def dense_grid(a: float, b: float, n: int = 100_001, cluster: int = 2_000) -> np.ndarray:
    w = b - a
    ends = w * np.logspace(-13, -1, cluster)
    xs = np.concatenate([np.linspace(a, b, n), a + ends, b - ends])
    xs = np.unique(np.clip(xs, a, b))
    return xs


def _extended(prog: Program, xs: np.ndarray) -> np.ndarray:
    return eval_extended(prog, xs)


def measure(prog: Program, target: Target, a: float, b: float, n: int = 100_001) -> dict:
    """Sampled errors on the dense grid: ``max_rel_error`` (float64 evaluation),
    ``max_rel_error_exact`` (extended precision), ``float32_ulps`` and ``valid``."""
    xs = dense_grid(a, b, n)
    hi, lo = dd_reference(target, xs, 50)
    nz = hi != 0
    vals, st = eval_population([prog], xs)
    out = {"points": int(xs.size), "valid": bool(st[0] == 0)}
    if st[0] != 0:
        out.update(max_rel_error=None, max_rel_error_exact=None, float32_ulps=None)
        return out
    p = vals[0]
    with np.errstate(all="ignore"):
        rel = np.abs(((p - hi) - lo) / hi)[nz]
        zero_bad = bool(np.any(p[~nz] != 0))
        out["max_rel_error"] = float("inf") if zero_bad else float(np.max(rel))
        out["worst_x"] = float(xs[nz][int(np.argmax(rel))])
        pe = _extended(prog, xs)
        ref = hi.astype(np.longdouble) + lo.astype(np.longdouble)
        rel_e = np.abs(pe[nz] / ref[nz] - 1)
        out["max_rel_error_exact"] = float(np.max(rel_e))
        x32 = np.unique(xs[::5].astype(np.float32)).astype(np.float64)
        v32, st32 = eval_population([prog], x32, dtype=np.float32)
        if st32[0] == 0:
            h32, _ = dd_reference(target, x32, 30)
            out["float32_ulps"] = float(np.max(np.abs(v32[0].astype(np.float64) - h32)
                                               / ulp32(h32)))
        else:
            out["float32_ulps"] = None
    return out


# -- rigorous bounds --------------------------------------------------------------------
def _series_eval(prog: Program, s, flint):
    return run_values(prog, s, flint.arb, lambda t: t.sqrt())


def _rounding_bound(prog: Program, ball, flint):
    """Upper bound of |fl(p)(x) - p(x)| for x in ``ball`` (floats in, float64 arithmetic)."""
    u = flint.arb(2) ** -53
    vals = _series_eval(prog, ball, flint)   # plain ball evaluation (values as arb)
    mag = [abs(v) for v in vals]
    err = [flint.arb(0)]
    for i, o in enumerate(prog.op):
        ea = err[prog.a[i]]
        A = mag[prog.a[i]]
        res = mag[i + 1]
        if o in (0, 1):
            e = ea + err[prog.b[i]]
        elif o == 2:
            eb, B = err[prog.b[i]], mag[prog.b[i]]
            e = A * eb + B * ea + ea * eb
        elif o == 3:
            eb, B = err[prog.b[i]], mag[prog.b[i]]
            den = B.lower() - eb
            if not den > 0:
                return None
            e = (ea + res * eb) / den
        elif o in (4, 6):
            e = ea
        elif o in (5, 10):
            e = ea * abs(flint.arb(prog.c[i]))
        elif o == 7:
            den = A.lower() - ea
            if not den > 0:
                return None
            e = res * ea / den
        elif o == 8:
            eb, B = err[prog.b[i]], mag[prog.b[i]]
            e = A * eb + B * ea + ea * eb + err[prog.d[i]]
        else:
            low = A.lower() - ea
            if not low > 0:
                return None
            e = ea / (low.sqrt() + A.lower().sqrt())
        if o != 10:
            e = e + u * (res + e)
        err.append(flint.arb(e.upper()))
    return err[-1]


def rational_form(prog: Program):
    """The program as an exact rational function ``N(x)/D(x)`` (python-flint ``fmpq_poly``,
    the float constants taken exactly, common factors cancelled at every division, so a
    removable singularity such as ``c/(x + c/x)`` at x = 0 disappears). None for a program
    with a square root."""
    import flint

    def q(v):
        n, d = float(v).as_integer_ratio()
        return flint.fmpq_poly([flint.fmpq(n, d)])

    one = flint.fmpq_poly([1])
    vals = [(flint.fmpq_poly([0, 1]), one)]
    for i, o in enumerate(prog.op):
        an, ad = vals[prog.a[i]]
        if o in (0, 1, 2, 3, 8):
            bn, bd = vals[prog.b[i]]
        if o == 0:
            r = (an * bd + bn * ad, ad * bd)
        elif o == 1:
            r = (an * bd - bn * ad, ad * bd)
        elif o == 2:
            r = (an * bn, ad * bd)
        elif o == 3:
            r = (an * bd, ad * bn)
        elif o == 4:
            r = (an + q(prog.c[i]) * ad, ad)
        elif o in (5, 10):
            r = (an * q(prog.c[i]), ad)
        elif o == 6:
            r = (q(prog.c[i]) * ad - an, ad)
        elif o == 7:
            r = (q(prog.c[i]) * ad, an)
        elif o == 8:
            dn, dd = vals[prog.d[i]]
            r = (an * bn * dd + dn * ad * bd, ad * bd * dd)
        else:
            return None
        n, d = r
        if d == 0:
            return None
        g = n.gcd(d)
        if g.degree() > 0:
            n, d = n / g, d / g
        vals.append((n, d))
    return vals[-1]


def _poly_series(poly, s, flint):
    out = flint.arb_series([0], prec=s.prec)
    for c in reversed(poly.coeffs()):
        out = out * s + flint.arb(c)
    return out


def _float_interval(prog: Program, lo: float, hi: float):
    """An enclosure ``(min, max)`` of every value the program returns *evaluated in float64*
    for the floats x in ``[lo, hi]``: IEEE round-to-nearest is monotone, so each operation's
    float result over a box lies between the float results at its corners. Signed zeros
    follow the sign of their interval. A divisor interval that straddles 0 (a removable
    singularity at a point that is not a float) gives an *outer* set ``|v| >= Q``, carried
    through additions (``Q - max|b|``), products and constant operations until a division
    brings it back to a bounded interval ``[-c/Q, c/Q]`` -- all with round-to-nearest, which
    is monotone. None where 0 * inf, inf - inf, or an unbounded output can occur."""
    OUT = "outer"

    def corners(f, A, B):
        with np.errstate(all="ignore"):
            vals = [f(np.float64(a), np.float64(b)) for a in A for b in B]
        if any(np.isnan(v) for v in vals):
            return None
        return (min(vals), max(vals))

    def signed(iv):
        if iv is None or iv[0] == OUT:
            return iv
        a, b = iv
        if a == 0 and b >= 0:
            a = 0.0
        if b == 0 and a <= 0:
            b = -0.0
        return (a, b)

    def mag(B):          # (min |b|, max |b|) of a bounded interval
        lo_, hi_ = abs(B[0]), abs(B[1])
        if B[0] <= 0 <= B[1]:
            return 0.0, max(lo_, hi_)
        return min(lo_, hi_), max(lo_, hi_)

    def outer(q):
        return (OUT, q) if q > 0 and not np.isnan(q) else None

    def straddles(B):
        return B[0] < 0 < B[1]

    def div(A, B):
        with np.errstate(all="ignore"):
            if A[0] == OUT and B[0] == OUT:
                return None
            if B[0] == OUT:
                m = mag(A)[1]
                if not np.isfinite(m):
                    return None
                q = np.float64(m) / np.float64(B[1])
                return (-q, q)
            if A[0] == OUT:
                return outer(np.float64(A[1]) / np.float64(mag(B)[1]))
            if straddles(B):
                amin = mag(A)[0]
                return outer(np.float64(amin) / np.float64(mag(B)[1])) if amin > 0 else None
            return corners(lambda p, q_: p / q_, A, B)

    def add(A, B, sign=1.0):
        with np.errstate(all="ignore"):
            if A[0] == OUT and B[0] == OUT:
                return None
            if A[0] == OUT or B[0] == OUT:
                Q = A[1] if A[0] == OUT else B[1]
                other = B if A[0] == OUT else A
                m = mag(other)[1]
                return outer(np.float64(Q) - np.float64(m)) if np.isfinite(m) else None
            return corners(lambda p, q_: p + sign * q_, A, B)

    def mul(A, B):
        with np.errstate(all="ignore"):
            if A[0] == OUT and B[0] == OUT:
                return outer(np.float64(A[1]) * np.float64(B[1]))
            if A[0] == OUT or B[0] == OUT:
                Q = A[1] if A[0] == OUT else B[1]
                other = B if A[0] == OUT else A
                m = mag(other)[0]
                return outer(np.float64(Q) * np.float64(m)) if m > 0 else None
            return corners(lambda p, q_: p * q_, A, B)

    v = [signed((np.float64(lo), np.float64(hi)))]
    for i, o in enumerate(prog.op):
        A = v[prog.a[i]]
        c = np.float64(prog.c[i])
        C = (c, c)
        if o in (0, 1, 2, 3, 8):
            B = v[prog.b[i]]
        if o == 0:
            r = add(A, B)
        elif o == 1:
            r = add(A, B, -1.0) if B[0] != OUT else add(A, B)
        elif o == 2:
            r = mul(A, B)
        elif o == 3:
            r = div(A, B)
        elif o == 4:
            r = add(A, C)
        elif o in (5, 10):
            r = mul(A, C) if c != 0 else (0.0, 0.0)
        elif o == 6:
            r = add(C, A, -1.0) if A[0] != OUT else add(C, A)
        elif o == 7:
            r = div(C, A)
        else:
            return None
        if r is None:
            return None
        v.append(signed(r))
    return None if v[-1][0] == OUT else v[-1]


def _singular_points(prog: Program, lo: float, hi: float) -> list:
    """Floats in [lo, hi] where a divisor of the program can vanish: x = 0 and the shifts
    ``x + c``/``c - x`` applied to x itself."""
    pts = {0.0}
    for i, o in enumerate(prog.op):
        if prog.a[i] == 0 and o == 4:
            pts.add(float(-np.float64(prog.c[i])))
        elif prog.a[i] == 0 and o == 6:
            pts.add(float(prog.c[i]))
    return sorted(p for p in pts if lo <= p <= hi)


def _tiny_piece(prog: Program, target: Target, lo: float, hi: float, flint):
    """The float64 relative error bound over the floats of a tiny piece around a singular
    point: the singular float itself evaluated exactly as IEEE float64 does, the floats on
    either side by :func:`_float_interval`; the target enclosed with arb."""
    xlo = float(np.nextafter(np.float64(lo), -np.inf)) if lo != float(np.float64(lo)) else lo
    xhi = float(np.float64(hi))
    parts = []
    start = xlo
    for s in _singular_points(prog, xlo, xhi):
        if start < s:
            parts.append((start, float(np.nextafter(s, -np.inf))))
        parts.append((s, s))
        start = float(np.nextafter(s, np.inf))
    if start <= xhi:
        parts.append((start, xhi))
    worst = flint.arb(0)
    for p, q in parts:
        if p == q:
            vals, st = eval_population([prog], np.array([p]))
            if st[0] != 0:
                return None
            y = (float(vals[0, 0]), float(vals[0, 0]))
        else:
            y = _float_interval(prog, p, q)
            if y is None or not (np.isfinite(y[0]) and np.isfinite(y[1])):
                return None
        fx = target.arb(flint.arb(p).union(flint.arb(q)))
        fl = abs(fx).lower()
        if not fl > 0:
            return None
        err = max(abs(flint.arb(y[1]) - fx).upper(), abs(fx - flint.arb(y[0])).upper())
        worst = flint.arb(max(worst.upper(), (flint.arb(err) / fl).upper()))
    return worst


def _pointwise(prog: Program, target: Target, lo: float, hi: float, flint,
               limit: int = 4096):
    """The float64 relative error at *every* float in [lo, hi] when there are at most
    ``limit`` of them: the program evaluated as IEEE float64 does, the target in arb at each
    float (rigorous: the program's inputs are floats). None when there are more, or an output
    is not finite."""
    x0 = np.float64(lo)                       # the smallest float >= lo
    if float(x0) < lo:
        x0 = np.nextafter(x0, np.inf)
    x1 = np.float64(hi)                       # the largest float <= hi
    if float(x1) > hi:
        x1 = np.nextafter(x1, -np.inf)
    if x1 < x0:
        return flint.arb(0)
    pts = [x0]
    while pts[-1] < x1 and len(pts) <= limit:
        pts.append(np.nextafter(pts[-1], np.inf))
    if len(pts) > limit:
        return None
    xs = np.array(pts, dtype=np.float64)
    vals, st = eval_population([prog], xs)
    if st[0] != 0:
        return None
    worst = 0.0
    for x, y in zip(xs.tolist(), vals[0].tolist()):
        fx = target.arb(flint.arb(x))
        fl = abs(fx).lower()
        if not fl > 0:
            return None
        e = (abs(flint.arb(y) - fx) / fl).upper()
        worst = max(worst, float(e))
    return flint.arb(float(np.nextafter(worst, np.inf)))


def prove_bound(prog: Program, target: Target, a: float, b: float, pieces: int = 256,
                order: int = 8, prec: int = 128, max_depth: int = 64) -> dict:
    """``{"bound": float64 bound or None, "bound_exact": exact-arithmetic bound or None}``.

    A piece on which the program's ball evaluation is not finite (a removable singularity
    such as ``c/(x + c/x)`` at x = 0, where IEEE division gives an infinite intermediate value
    and a finite output) is handled twice: the exact-arithmetic bound comes from the program
    rewritten as a rational function (:func:`rational_form`, no singularity left); the float64
    bound bisects the piece towards the singular point (``max_depth`` times) with the usual
    Taylor + running-error analysis on the pieces that exclude it, and bounds the last tiny
    piece by the singular float's own IEEE evaluation and a monotone float-interval
    evaluation of the floats on either side (:func:`_tiny_piece`); a sub-piece holding at most
    4096 floats is checked at every one of them (:func:`_pointwise`). ``singular_pieces`` counts
    the pieces that needed it."""
    try:
        import flint
    except ImportError:  # pragma: no cover
        return {"bound": None, "bound_exact": None, "reason": "python-flint not installed"}
    old = flint.ctx.prec
    flint.ctx.prec = prec
    state = {"rational": None, "singular": 0, "budget": 4000}
    has_div = prog.has_division()

    def taylor(lo, hi, rational=False):
        """Exact-arithmetic bound on [lo, hi] (arb), and the ball, or None."""
        m = (lo + hi) / 2
        r = flint.arb(((hi - lo) / 2).upper())
        ball = flint.arb(m.mid(), r.upper() + m.rad())
        sm = flint.arb_series([m, 1], prec=order + 1)
        sb = flint.arb_series([ball, 1], prec=order + 1)
        if rational:
            if state["rational"] is None:
                state["rational"] = rational_form(prog) or False
            if not state["rational"]:
                return None, ball
            N, D = state["rational"]
            pm = _poly_series(N, sm, flint) / _poly_series(D, sm, flint)
            pb = _poly_series(N, sb, flint) / _poly_series(D, sb, flint)
        else:
            pm = _series_eval(prog, sm, flint)[-1]
            pb = _series_eval(prog, sb, flint)[-1]
        cm = (pm / target.series(sm) - 1).coeffs()
        cb = (pb / target.series(sb) - 1).coeffs()
        cm += [flint.arb(0)] * (order + 1 - len(cm))
        cb += [flint.arb(0)] * (order + 1 - len(cb))
        bound = flint.arb(0)
        rk = flint.arb(1)
        for j in range(order):
            bound += abs(cm[j]) * rk
            rk *= r
        bound += abs(cb[order]) * rk
        if not bound.is_finite():
            return None, ball
        return flint.arb(bound.upper()), ball

    def safe_taylor(lo, hi, rational=False):
        try:
            return taylor(lo, hi, rational)
        except (ZeroDivisionError, ValueError, ArithmeticError):
            return None, None

    def piece(lo, hi, depth):
        """(exact bound, float64 bound or None) on [lo, hi]; exact None: no bound."""
        ub, ball = safe_taylor(lo, hi)
        if has_div and ub is not None:
            # near a singular point the program's own series overestimate: the rational
            # form has no singularity there and gives the tight exact bound
            ur, _ = safe_taylor(lo, hi, rational=True)
            if ur is not None and ur.upper() < ub.upper():
                ub = ur
        if ub is not None:
            rb = _rounding_bound(prog, ball, flint)
            fmin = abs(target.arb(ball)).lower()
            fp = None
            if rb is not None and fmin > 0 and rb.is_finite():
                fp = flint.arb((ub + rb / fmin).upper())
                # near a singular point outside the piece the magnitudes vary a lot across
                # it and the running-error bound overestimates: bisect while it is far above
                # the same bound at the piece's middle
                if depth < 40 and state["budget"] > 0:
                    m = (lo + hi) / 2
                    rm = _rounding_bound(prog, m, flint)
                    fm = abs(target.arb(m)).lower()
                    if rm is not None and fm > 0 and rb / fmin > 2 * (rm / fm) + 2.0 ** -60:
                        fp = None
            if fp is not None or depth >= max_depth:
                return ub, fp
        few = _pointwise(prog, target, float(lo.lower()), float(hi.upper()), flint)
        if few is not None:
            if ub is None:
                ub, _ = safe_taylor(lo, hi, rational=True)
            if ub is not None:
                return ub, flint.arb(max(few.upper(), ub.upper()))
        if depth >= max_depth:
            ub, _ = safe_taylor(lo, hi, rational=True)
            fp = _tiny_piece(prog, target, float(lo.lower()), float(hi.upper()), flint)
            if ub is not None and fp is not None:
                fp = flint.arb(max(fp.upper(), ub.upper()))
            return ub, fp
        if depth == 0:
            state["singular"] += 1
        state["budget"] -= 1
        if state["budget"] < 0:
            if ub is None:
                ub, _ = safe_taylor(lo, hi, rational=True)
            return ub, None
        mid = (lo + hi) / 2
        ex, fl = flint.arb(0), flint.arb(0)
        for p, q in ((lo, mid), (mid, hi)):
            e, f = piece(p, q, depth + 1)
            if e is None:
                return None, None
            ex = flint.arb(max(ex.upper(), e.upper()))
            fl = None if (f is None or fl is None) else flint.arb(max(fl.upper(), f.upper()))
        return ex, fl

    try:
        total = flint.arb(0)
        total_fp = flint.arb(0)
        edges = [flint.arb(a) + (flint.arb(b) - flint.arb(a)) * k / pieces
                 for k in range(pieces + 1)]
        for k in range(pieces):
            lo, hi = edges[k], edges[k + 1]
            exact_ub, fp = piece(lo, hi, 0)
            if exact_ub is None:
                return {"bound": None, "bound_exact": None,
                        "reason": f"no finite enclosure on [{float(lo):.6g}, {float(hi):.6g}]"}
            total = flint.arb(max(total.upper(), exact_ub.upper()))
            if total_fp is not None:
                total_fp = None if fp is None else flint.arb(max(total_fp.upper(), fp.upper()))
        exact = float(np.nextafter(float(total.upper()), np.inf))
        fp_bound = None if total_fp is None else float(np.nextafter(float(total_fp.upper()),
                                                                     np.inf))
        out = {"bound": fp_bound, "bound_exact": exact, "singular_pieces": state["singular"]}
        if fp_bound is None:
            out["reason"] = "no float64 rounding bound (a divisor or square root near 0)"
        return out
    except (ZeroDivisionError, ValueError, ArithmeticError) as err:
        return {"bound": None, "bound_exact": None, "reason": str(err)}
    finally:
        flint.ctx.prec = old


# -- float32 -----------------------------------------------------------------------------
_NUMPY_REF = {"exp": np.exp, "exp2": np.exp2, "expm1": np.expm1, "log": np.log,
              "log2": np.log2, "log1p": np.log1p, "sin": np.sin, "cos": np.cos, "tan": np.tan,
              "atan": np.arctan, "asin": np.arcsin, "sinh": np.sinh, "cosh": np.cosh,
              "tanh": np.tanh, "sqrt": np.sqrt, "cbrt": np.cbrt}


def ulp32(y) -> np.ndarray:
    """The float32 ULP of the *true* value ``y`` (float64 array): ``2^(e - 23)`` for ``y`` in
    the binade ``[2^e, 2^(e+1))`` (the spacing of the float32 numbers there), at least the
    subnormal spacing ``2^-149``; at 0 also ``2^-149``. Unlike ``numpy.spacing`` of the value
    rounded to float32, a true value just below a power of two is measured in the ULP of its
    own binade."""
    y = np.abs(np.asarray(y, np.float64))
    _, e = np.frexp(y)               # y = m 2^e, 0.5 <= m < 1: binade [2^(e-1), 2^e)
    u = np.ldexp(1.0, np.maximum(e - 24, -149))
    return np.where(y == 0, 2.0 ** -149, u)


def _f32_key(v) -> int:
    """float32 -> an integer, monotone in the value, consecutive floats consecutive keys
    (-0.0 and +0.0 share key 0)."""
    i = int(np.array(v, np.float32).view(np.int32))
    return i if i >= 0 else -(i & 0x7FFFFFFF)


def _f32_of_keys(ks: np.ndarray) -> np.ndarray:
    ks = np.asarray(ks, np.int64)
    bits = np.where(ks >= 0, ks, (-ks) | 0x80000000).astype(np.uint32)
    return bits.view(np.float32)


def _f32_range(a: float, b: float) -> tuple[int, int]:
    """The keys of the smallest and the largest float32 in [a, b]."""
    lo = np.float32(a)
    if float(lo) < a:
        lo = np.nextafter(lo, np.float32(np.inf))
    hi = np.float32(b)
    if float(hi) > b:
        hi = np.nextafter(hi, np.float32(-np.inf))
    return _f32_key(lo), _f32_key(hi)


def float32_points(a: float, b: float) -> np.ndarray:
    """Every float32 in [a, b], increasing (as float32)."""
    k0, k1 = _f32_range(a, b)
    return _f32_of_keys(np.arange(k0, k1 + 1, dtype=np.int64))


def float32_sample(a: float, b: float, n: int = 4096) -> np.ndarray:
    """About ``2 n`` float32 in [a, b] (as float64), increasing: ``n`` evenly spaced in value
    and ``n`` evenly spaced in the float32 order (so, on an interval reaching down to 0, also
    in the tiny binades, which an exhaustive check covers), plus both ends."""
    k0, k1 = _f32_range(a, b)
    ks = np.unique(np.linspace(k0, k1, n).round().astype(np.int64))
    by_key = _f32_of_keys(ks).astype(np.float64)
    by_val = np.linspace(a, b, n).astype(np.float32).astype(np.float64)
    xs = np.unique(np.concatenate([by_key, by_val]))
    return xs[(xs >= a) & (xs <= b)]


def float32_reference(target: Target):
    """A float64 function for ``target`` (numpy/libm; error a few float64 ULPs, ~2^-28 float32
    ULP), or None when it has none (then mpmath is the reference)."""
    return _NUMPY_REF.get(target.name) or getattr(target, "np", None)


def float32_exhaustive(prog: Program, target: Target, a: float, b: float, *,
                       chunk: int = 1 << 22, max_points: int = 1 << 31) -> dict:
    """The program evaluated in float32 at *every* float32 in [a, b] against a reference
    (float64 numpy/libm for the corpus functions and for expressions of the functions numpy
    has, error ~2^-28 float32 ULP; mpmath otherwise, up to 2*10^5 points): ``max_ulp`` (in
    units of the float32 ULP of the true value, :func:`ulp32`), ``worst_x``, ``points``,
    ``below_1ulp``. The floats are generated chunk by chunk from their integer keys, so
    [0, 1] (~1.07e9 floats) runs in bounded memory."""
    k0, k1 = _f32_range(a, b)
    npts = k1 - k0 + 1
    if npts > max_points:
        raise EvolveError(f"--float32: {npts} float32 values in [{a}, {b}] exceed "
                          f"{max_points}; choose a smaller interval")
    npref = float32_reference(target)
    if npref is None and npts > 200_000:
        raise EvolveError(f"--float32: {target.name!r} has no float64 reference for an "
                          f"exhaustive check over {npts} floats (at most 200000 with "
                          f"mpmath); choose a smaller interval or a corpus function")
    worst, worst_x = 0.0, None
    for s in range(k0, k1 + 1, chunk):
        x32 = _f32_of_keys(np.arange(s, min(s + chunk, k1 + 1), dtype=np.int64))
        v32, st = eval_population([prog], x32, dtype=np.float32)
        if st[0] != 0:
            return {"points": int(npts), "max_ulp": None, "below_1ulp": False,
                    "reason": "not finite in float32"}
        x64 = x32.astype(np.float64)
        if npref is not None:
            ref = npref(x64)
        else:
            ref, _ = dd_reference(target, x64, 30)
        with np.errstate(all="ignore"):
            e = np.abs(v32[0].astype(np.float64) - ref) / ulp32(ref)
        if not np.all(np.isfinite(e)):
            return {"points": int(npts), "max_ulp": None, "below_1ulp": False,
                    "reason": "reference not finite in the interval"}
        i = int(np.argmax(e))
        if e[i] > worst or worst_x is None:
            worst, worst_x = float(e[i]), float(x64[i])
    return {"points": int(npts), "max_ulp": worst, "worst_x": worst_x,
            "below_1ulp": worst < 1.0}
