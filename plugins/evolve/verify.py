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

from .functions import Target, dd_reference
from .program import Program, eval_population

__all__ = ["dense_grid", "measure", "prove_bound"]


def dense_grid(a: float, b: float, n: int = 100_001, cluster: int = 2_000) -> np.ndarray:
    w = b - a
    ends = w * np.logspace(-13, -1, cluster)
    xs = np.concatenate([np.linspace(a, b, n), a + ends, b - ends])
    xs = np.unique(np.clip(xs, a, b))
    return xs


def _extended(prog: Program, xs: np.ndarray) -> np.ndarray:
    v = [xs.astype(np.longdouble)]
    with np.errstate(all="ignore"):
        for i, o in enumerate(prog.op):
            x = v[prog.a[i]]
            c = np.longdouble(prog.c[i])
            y = v[prog.b[i]]
            r = {0: lambda: x + y, 1: lambda: x - y, 2: lambda: x * y, 3: lambda: x / y,
                 4: lambda: x + c, 5: lambda: x * c, 6: lambda: c - x, 7: lambda: c / x,
                 8: lambda: x * y + v[prog.d[i]], 9: lambda: np.sqrt(x),
                 10: lambda: x * c}[o]()
            v.append(r)
    return v[-1]


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
            ulp = np.spacing(np.abs(h32).astype(np.float32)).astype(np.float64)
            ok = ulp > 0
            out["float32_ulps"] = float(np.max(np.abs(v32[0].astype(np.float64) - h32)[ok]
                                               / ulp[ok]))
        else:
            out["float32_ulps"] = None
    return out


# -- rigorous bounds --------------------------------------------------------------------
def _series_eval(prog: Program, s, flint):
    v = [s]
    for i, o in enumerate(prog.op):
        x = v[prog.a[i]]
        c = flint.arb(prog.c[i])
        if o == 0:
            r = x + v[prog.b[i]]
        elif o == 1:
            r = x - v[prog.b[i]]
        elif o == 2:
            r = x * v[prog.b[i]]
        elif o == 3:
            r = x / v[prog.b[i]]
        elif o == 4:
            r = x + c
        elif o in (5, 10):
            r = x * c
        elif o == 6:
            r = c - x
        elif o == 7:
            r = c / x
        elif o == 8:
            r = x * v[prog.b[i]] + v[prog.d[i]]
        else:
            r = x.sqrt()
        v.append(r)
    return v


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


def prove_bound(prog: Program, target: Target, a: float, b: float, pieces: int = 256,
                order: int = 8, prec: int = 128) -> dict:
    """``{"bound": float64 bound or None, "bound_exact": exact-arithmetic bound or None}``."""
    try:
        import flint
    except ImportError:  # pragma: no cover
        return {"bound": None, "bound_exact": None, "reason": "python-flint not installed"}
    old = flint.ctx.prec
    flint.ctx.prec = prec
    try:
        total = flint.arb(0)
        total_fp = flint.arb(0)
        edges = [flint.arb(a) + (flint.arb(b) - flint.arb(a)) * k / pieces
                 for k in range(pieces + 1)]
        for k in range(pieces):
            lo, hi = edges[k], edges[k + 1]
            m = (lo + hi) / 2
            r = (hi - lo) / 2
            r = flint.arb(r.upper())
            ball = flint.arb(m.mid(), r.upper() + m.rad())
            sm = flint.arb_series([m, 1], prec=order + 1)
            sb = flint.arb_series([ball, 1], prec=order + 1)
            pm = _series_eval(prog, sm, flint)[-1]
            pb = _series_eval(prog, sb, flint)[-1]
            em = pm / target.series(sm) - 1
            eb = pb / target.series(sb) - 1
            cm = em.coeffs()
            cb = eb.coeffs()
            while len(cm) < order + 1:
                cm.append(flint.arb(0))
            while len(cb) < order + 1:
                cb.append(flint.arb(0))
            bound = flint.arb(0)
            rk = flint.arb(1)
            for j in range(order):
                bound += abs(cm[j]) * rk
                rk *= r
            bound += abs(cb[order]) * rk
            if not bound.is_finite():
                return {"bound": None, "bound_exact": None,
                        "reason": f"no finite enclosure on [{float(lo):.6g}, {float(hi):.6g}]"}
            ub = flint.arb(bound.upper())
            total = flint.arb(max(total.upper(), ub.upper()))
            # float64 rounding on this piece: |fl(p) - p| / |f|
            rb = _rounding_bound(prog, ball, flint)
            fmin = abs(target.arb(ball)).lower()
            if rb is None or not fmin > 0:
                fp = None
            else:
                fp = flint.arb((ub + rb / fmin).upper())
            if fp is None:
                total_fp = None
            elif total_fp is not None:
                total_fp = flint.arb(max(total_fp.upper(), fp.upper()))
        exact = float(total.upper())
        # round the float conversion upwards
        exact = float(np.nextafter(exact, np.inf))
        fp_bound = None if total_fp is None else float(np.nextafter(float(total_fp.upper()),
                                                                     np.inf))
        return {"bound": fp_bound, "bound_exact": exact}
    except (ZeroDivisionError, ValueError, ArithmeticError) as err:
        return {"bound": None, "bound_exact": None, "reason": str(err)}
    finally:
        flint.ctx.prec = old
