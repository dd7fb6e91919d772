"""Constant fitting for a program structure: relative least squares, then minimax refinement.

1. nonlinear least squares (scipy's trust-region reflective method) on the relative residuals
   ``p(x)/f(x) - 1`` with the exact Jacobian (forward-mode derivatives from the numba kernel);
2. Lawson's iteratively reweighted least squares towards the minimax solution;
3. a sequential linear-programming polish (SLSQP on ``min t s.t. |r_i| <= t``), the nonlinear
   analogue of a Remez step, accepted only when it lowers the maximum error;
4. for a front program, a nonlinear Remez exchange (:func:`remez_polish`) that solves for the
   structure's minimax exactly: k constants, an error that equioscillates at k + 1 points.

A fit is bit-for-bit reproducible: the same program and grid give the same constants in any
process (a resumed run, a Dask worker), which the exactly reproducible runs of the ``program``
generator rely on. Hence trust-region reflective rather than MINPACK's Levenberg-Marquardt (whose
results depend on the memory alignment of its work arrays), and OpenBLAS held to one thread
while fitting (its results depend on the thread count, and Dask workers run with one).
"""

from __future__ import annotations

import contextlib
import math
import os
import warnings

import numpy as np

from .program import Program, eval_extended, eval_population, eval_with_jacobian, run_values

__all__ = ["fit_constants", "fit_multistart", "polish_extended", "polish_rounded", "polish_grid",
           "remez_polish", "max_rel_error", "refit_float32_ulp"]


_BLAS: dict = {}


def _openblas_setters() -> list:
    """``(get, set)`` thread-count functions of the OpenBLAS libraries loaded in this process
    (numpy's and scipy's); empty where they cannot be found (then nothing is changed)."""
    pid = os.getpid()
    if _BLAS.get("pid") == pid:
        return _BLAS["fns"]
    import ctypes

    fns = []
    try:
        with open("/proc/self/maps") as fh:
            paths = sorted({line.split()[-1] for line in fh
                            if "openblas" in line.rsplit("/", 1)[-1].lower()})
    except OSError:
        paths = []
    for path in paths:
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for prefix in ("scipy_openblas", "openblas"):
            for suffix in ("64_", ""):
                get = getattr(lib, f"{prefix}_get_num_threads{suffix}", None)
                put = getattr(lib, f"{prefix}_set_num_threads{suffix}", None)
                if get is not None and put is not None:
                    fns.append((get, put))
                    break
            else:
                continue
            break
    _BLAS.update(pid=pid, fns=fns)
    return fns


@contextlib.contextmanager
def one_blas_thread():
    """Run the block with OpenBLAS on one thread (restored afterwards)."""
    import scipy.optimize  # noqa: F401  (loads scipy's OpenBLAS before it is looked up)

    fns = _openblas_setters()
    old = [get() for get, _ in fns]
    for _, put in fns:
        put(1)
    try:
        yield
    finally:
        for (_, put), n in zip(fns, old):
            put(n)


def _residuals(prog, idx, c, xs, fx):
    q = prog.copy()
    for j, i in enumerate(idx):
        q.c[i] = float(c[j])
    val, jac, ok = eval_with_jacobian(q, xs)
    r = val / fx - 1.0
    J = (jac[idx] / fx).T
    if not ok or not np.all(np.isfinite(r)):
        return None, None
    # at a removable singularity (an infinite intermediate value) the forward-mode derivative
    # is 0 * inf: the output there does not move with the constants to first order
    J = np.where(np.isfinite(J), J, 0.0)
    return r, J


def _weighted(residuals, sw: np.ndarray, n: int, k: int):
    """``(fun, jac)`` for scipy's least squares: the residuals and Jacobian of
    ``residuals(c) -> (r, J)`` weighted by ``sw`` (a failed evaluation gives large residuals
    and a zero Jacobian, so the step is refused rather than raising)."""
    def fun(c):
        r, _ = residuals(c)
        return sw * (r if r is not None else np.full(n, 1e3))

    def jac(c):
        _, J = residuals(c)
        return sw[:, None] * (J if J is not None else np.zeros((n, k)))

    return fun, jac


def max_rel_error(prog: Program, xs, fx) -> float:
    val, _, ok = eval_with_jacobian(prog, xs)
    if not ok:
        return float("inf")
    r = np.abs(val / fx - 1.0)
    m = float(np.max(r))
    return m if np.isfinite(m) else float("inf")


def fit_constants(prog: Program, xs: np.ndarray, fx: np.ndarray, *, minimax: bool = True,
                  lawson_rounds: int = 12, max_nfev: int = 60) -> tuple[Program, float]:
    """Fit the free constants of ``prog`` on the grid ``xs`` (reference values ``fx``).

    Returns ``(fitted program, max relative error on xs)``; ``inf`` when it cannot be evaluated.
    """
    with one_blas_thread():
        return _fit(prog, xs, fx, minimax=minimax, lawson_rounds=lawson_rounds,
                    max_nfev=max_nfev)


def _fit(prog, xs, fx, *, minimax, lawson_rounds, max_nfev):
    from scipy.optimize import least_squares

    idx = prog.free_constants()
    if not idx:
        return prog, max_rel_error(prog, xs, fx)
    c0 = np.array([prog.c[i] for i in idx], dtype=np.float64)

    def put(c):
        q = prog.copy()
        for j, i in enumerate(idx):
            q.c[i] = float(c[j])
        return q

    best_c, best_err = c0, np.inf
    r0, _ = _residuals(prog, idx, c0, xs, fx)
    if r0 is not None:
        best_err = float(np.max(np.abs(r0)))
    w = np.ones_like(xs)

    def run_lsq(c_start, w, nfev):
        sw = np.sqrt(w)

        fun, jac = _weighted(lambda c: _residuals(prog, idx, c, xs, fx), sw, xs.size, len(idx))

        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            res = least_squares(fun, c_start, jac=jac, method="trf", x_scale="jac",
                                max_nfev=nfev, xtol=1e-15, ftol=1e-15, gtol=1e-15)
        return res.x

    try:
        c = run_lsq(c0, w, max_nfev)
    except Exception:
        return put(best_c), best_err
    r, _ = _residuals(prog, idx, c, xs, fx)
    if r is not None and np.max(np.abs(r)) < best_err:
        best_c, best_err = c, float(np.max(np.abs(r)))
    if not minimax or r is None:
        return put(best_c), best_err
    for _ in range(lawson_rounds):
        w = w * np.abs(r)
        s = w.sum()
        if not np.isfinite(s) or s <= 0:
            break
        w = w / s + 1e-12 / xs.size
        try:
            c = run_lsq(c, w, 20)
        except Exception:
            break
        r, _ = _residuals(prog, idx, c, xs, fx)
        if r is None:
            break
        e = float(np.max(np.abs(r)))
        if e < best_err:
            best_c, best_err = c, e
    # SLSQP polish: variables z with c = best_c + scale * z, and t
    scale = np.maximum(np.abs(best_c), 1e-12)
    t0 = best_err
    if np.isfinite(t0) and t0 > 0:
        c = _minimax_step(lambda c: _residuals(prog, idx, c, xs, fx), best_c, scale, t0,
                          maxiter=30, ftol=1e-10)
        r = None if c is None else _residuals(prog, idx, c, xs, fx)[0]
        if r is not None:
            e = float(np.max(np.abs(r)))
            if e < best_err:
                best_c, best_err = c, e
    return put(best_c), best_err


def _minimax_step(residuals, base, scale, t0, *, maxiter, ftol):
    """One SLSQP solve of min t subject to |r_i(c)| <= t, with c = base + scale * z and t in
    units of ``t0`` (``residuals(c) -> (r, J)``, either None where the program fails): the new
    constants, or None when the solver fails."""
    from scipy.optimize import minimize

    def cons(v):
        r, _ = residuals(base + scale * v[:-1])
        if r is None:
            return np.full(2 * npts, -1.0)
        return np.concatenate([v[-1] - r / t0, v[-1] + r / t0])

    def cons_jac(v):
        _, J = residuals(base + scale * v[:-1])
        if J is None:
            J = np.zeros((npts, base.size))
        Js = J * scale / t0
        one = np.ones((npts, 1))
        return np.vstack([np.hstack([-Js, one]), np.hstack([Js, one])])

    r0, _ = residuals(base)
    if r0 is None:
        return None
    npts = r0.size
    v0 = np.zeros(base.size + 1)
    v0[-1] = 1.0
    try:
        with one_blas_thread(), warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            res = minimize(lambda v: v[-1], v0, jac=lambda v: np.eye(len(v))[-1],
                           method="SLSQP",
                           constraints=[{"type": "ineq", "fun": cons, "jac": cons_jac}],
                           options={"maxiter": maxiter, "ftol": ftol})
    except Exception:
        return None
    return base + scale * res.x[:-1]


# -- global fitting ----------------------------------------------------------------------
def _with(prog: Program, idx, c) -> Program:
    q = prog.copy()
    for j, i in enumerate(idx):
        q.c[i] = float(c[j])
    return q


def _ext_residuals(prog, idx, c, xs, ref):
    """Relative residuals with the program evaluated in extended precision against the
    double-double reference ``ref`` (longdouble), and the float64 Jacobian."""
    q = _with(prog, idx, c)
    _, jac, ok = eval_with_jacobian(q, xs)
    pe = eval_extended(q, xs)
    with np.errstate(all="ignore"):
        r = np.asarray(pe / ref - 1, dtype=np.float64)
    if not np.all(np.isfinite(r)):
        return None, None
    J = (jac[idx] / np.asarray(ref, np.float64)).T
    return r, np.where(np.isfinite(J), J, 0.0)


def polish_extended(prog: Program, xs: np.ndarray, hi: np.ndarray, lo: np.ndarray, *,
                    rounds: int = 25) -> tuple[Program, float]:
    """Minimax polish of the constants with the program evaluated in extended precision
    (``longdouble``) against a double-double reference ``hi + lo``: Lawson reweighting of
    least-squares steps, so constants are placed below the float64 evaluation noise that
    limits :func:`fit_constants` near 1e-16. Returns ``(program, max error in extended
    precision on xs)``."""
    from scipy.optimize import least_squares

    idx = prog.free_constants()
    ref = np.asarray(hi, np.longdouble) + np.asarray(lo, np.longdouble)
    c = np.array([prog.c[i] for i in idx], dtype=np.float64)
    r, _ = _ext_residuals(prog, idx, c, xs, ref)
    if r is None or not idx:
        return prog, (float(np.max(np.abs(r))) if r is not None else math.inf)
    best_c, best = c, float(np.max(np.abs(r)))
    w = np.ones_like(xs)
    with one_blas_thread(), warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        for _ in range(rounds):
            sw = np.sqrt(w)

            fun, jac = _weighted(lambda cc: _ext_residuals(prog, idx, cc, xs, ref), sw,
                                 xs.size, len(idx))

            try:
                c = least_squares(fun, c, jac=jac, method="trf", x_scale="jac", max_nfev=20,
                                  xtol=1e-15, ftol=1e-15, gtol=1e-15).x
            except Exception:
                break
            r, _ = _ext_residuals(prog, idx, c, xs, ref)
            if r is None:
                break
            e = float(np.max(np.abs(r)))
            if e < best:
                best_c, best = c.copy(), e
            w = w * np.abs(r)
            tot = w.sum()
            if not np.isfinite(tot) or tot <= 0:
                break
            w = w / tot + 1e-9 / xs.size
    # a sequential linear-programming step towards the minimax (SLSQP on min t subject to
    # |r_i| <= t), residuals in extended precision
    best_c, best = _minimax_steps(lambda c: _ext_residuals(prog, idx, c, xs, ref), best_c, best)
    return _with(prog, idx, best_c), best


def _minimax_steps(residuals, best_c, best, rounds: int = 3):
    """Up to ``rounds`` SLSQP minimax steps (:func:`_minimax_step`) from ``best_c``, each
    kept while it lowers the largest residual by 0.1%; ``residuals(c)`` returns ``(r, J)``
    (``r`` None where the program fails). Returns ``(constants, largest |r|)``."""
    scale = np.maximum(np.abs(best_c), 1e-300)
    for _ in range(rounds):
        if not (np.isfinite(best) and best > 0):
            break
        c = _minimax_step(residuals, best_c.copy(), scale, best, maxiter=40, ftol=1e-12)
        r = None if c is None else residuals(c)[0]
        if r is None:
            break
        e = float(np.max(np.abs(r)))
        if not e < best * 0.999:
            break
        best_c, best = c, e
    return best_c, best


def _sign_runs(r: np.ndarray) -> list[int]:
    """The index of the largest ``|r|`` in each maximal run of equal sign of ``r``."""
    out, start = [], 0
    for j in range(1, r.size + 1):
        if j == r.size or (r[j] > 0) != (r[start] > 0):
            out.append(start + int(np.argmax(np.abs(r[start:j]))))
            start = j
    return out


def _alternating_peaks(r: np.ndarray, floor: float = 1e-2) -> list[int]:
    """The sign-run peaks of ``r`` (:func:`_sign_runs`) above ``floor`` times the largest, with
    neighbours of equal sign merged into the larger: runs far below the maximum are either
    rounding noise or parts of the curve not yet levelled, and a reference taken among them
    sends the exchange astray (a Pade-like start has its error at one end of the interval)."""
    peaks = _sign_runs(r)
    top = max((abs(r[j]) for j in peaks), default=0.0)
    out: list[int] = []
    for j in peaks:
        if abs(r[j]) < floor * top:
            continue
        if out and (r[out[-1]] > 0) == (r[j] > 0):
            if abs(r[j]) > abs(r[out[-1]]):
                out[-1] = j
        else:
            out.append(j)
    return out


def remez_polish(prog: Program, target, xs: np.ndarray, hi: np.ndarray, lo: np.ndarray, *,
                 rounds: int = 10, dps: int = 40, free=None) -> tuple[Program, float]:
    """The minimax constants of the program's structure by a nonlinear Remez exchange.

    With k free constants the best program of a given structure has a relative error that
    equioscillates at k + 1 points (for the families met here: continued fractions with
    squarings, polynomials, rationals). Lawson reweighting and SLSQP only approach that
    solution; near 1e-14 the error of the constants is a cone (it grows linearly with the
    distance to the optimum, with a slope near 1e-6 per relative unit of a constant for the
    10-op continued fraction of 2^x), so a local method stalls on its sides. Here: take the
    extreme point of each sign run of the error on ``xs`` (the program in extended precision
    against the double-double reference ``hi + lo``; runs below 1% of the peak left out,
    :func:`_alternating_peaks`), choose k + 1 consecutive ones with the largest smallest
    amplitude (or, with too few, k + 1 Chebyshev points and alternating signs), and solve
    ``r(x_i; c) = s_i E`` for the k constants and the level E by Newton's method in mpmath at
    ``dps`` digits against ``target.mp``; repeat. At a point where the program divides by zero
    (a removable singularity, where IEEE division gives the limit) it is evaluated a distance
    far below the working precision away. ``free`` limits the constants solved for
    (instruction indices; the others stay as they are). Returns ``(program, max error on xs
    in extended precision)``; the input when no step lowers that error; it gives up cleanly on
    a singular or non-finite Newton system."""
    import mpmath

    idx = prog.free_constants() if free is None else list(free)
    k = len(idx)
    ref = np.asarray(hi, np.longdouble) + np.asarray(lo, np.longdouble)

    def grid_error(q):
        with np.errstate(all="ignore"):
            r = np.asarray(eval_extended(q, xs) / ref - 1, dtype=np.float64)
        return r

    r = grid_error(prog)
    best_err = float(np.max(np.abs(r))) if np.all(np.isfinite(r)) else math.inf
    if k == 0 or not math.isfinite(best_err):
        return prog, best_err
    best = prog
    cur = [float(prog.c[i]) for i in idx]
    with mpmath.workdps(dps):
        mp = mpmath.mp
        fx_cache: dict = {}

        def fx(x):
            if x not in fx_cache:
                fx_cache[x] = target.mp(mp.mpf(x))
            return fx_cache[x]

        def resid(c, x):
            vals = [mp.mpf(v) for v in prog.c]
            for j, i in enumerate(idx):
                vals[i] = c[j]
            q = Program(prog.op, prog.a, prog.b, prog.d, vals, prog.meta)
            try:
                v = run_values(q, mp.mpf(x), lambda t: t, mp.sqrt)[-1]
            except ZeroDivisionError:
                # a removable singularity at x: IEEE division gives the limit, which a point
                # far below the working precision away from x gives too
                v = run_values(q, mp.mpf(x) + mp.mpf(10) ** (10 - dps), lambda t: t,
                               mp.sqrt)[-1]
            return v / fx(x) - 1

        c = [mp.mpf(v) for v in cur]
        for _ in range(rounds):
            runs = _alternating_peaks(r)
            if len(runs) >= k + 1:
                pick = max(range(len(runs) - k),
                           key=lambda s: min(abs(r[j]) for j in runs[s:s + k + 1]))
                sel = runs[pick:pick + k + 1]
                pts = [float(xs[j]) for j in sel]
                sg = [1 if r[j] > 0 else -1 for j in sel]
                level = mp.mpf(float(np.mean([abs(r[j]) for j in sel])))
            else:
                lo_, hi_ = float(xs[0]), float(xs[-1])
                pts = [float((lo_ + hi_) / 2 - (hi_ - lo_) / 2 * math.cos(math.pi * i / k))
                       for i in range(k + 1)]
                sg = [1 - 2 * (i % 2) for i in range(k + 1)]
                level = mp.mpf(0)
            u = list(c) + [level]
            try:
                for _ in range(12):
                    F = mp.matrix([resid(u[:k], x) - s * u[k] for x, s in zip(pts, sg)])
                    J = mp.matrix(k + 1, k + 1)
                    for a_ in range(k):
                        h = abs(u[a_]) * mp.mpf(10) ** (-(dps // 2)) + mp.mpf(10) ** (-dps)
                        up, um = list(u[:k]), list(u[:k])
                        up[a_] += h
                        um[a_] -= h
                        for i, x in enumerate(pts):
                            J[i, a_] = (resid(up, x) - resid(um, x)) / (2 * h)
                    for i, s in enumerate(sg):
                        J[i, k] = -s
                    if not all(mp.isfinite(v) for v in list(F) + list(J)):
                        raise ValueError("non-finite residual at a reference point")
                    if any(all(J[i, a_] == 0 for i in range(k + 1)) for a_ in range(k + 1)):
                        raise ZeroDivisionError("a constant the error does not depend on")
                    d = mp.lu_solve(J, -F)
                    u = [u[i] + d[i] for i in range(k + 1)]
                    tol = mp.mpf(10) ** (8 - dps)
                    if all(abs(d[i]) <= tol * (1 + abs(u[i])) for i in range(k)):
                        break
            except (ZeroDivisionError, ValueError, OverflowError):
                break
            c = u[:k]
            if not all(mp.isfinite(t) for t in c):
                break
            q = prog.copy()
            for j, i in enumerate(idx):
                q.c[i] = float(c[j])
            r = grid_error(q)
            if not np.all(np.isfinite(r)):
                break
            e = float(np.max(np.abs(r)))
            if e < best_err:
                best, best_err = q, e
            elif e > 4 * best_err:
                break
    return best, best_err


def polish_grid(a: float, b: float, n: int = 1500) -> np.ndarray:
    """Points for polishing constants at the 1e-16 level: Chebyshev points plus a uniform
    grid (a minimax fitted on a coarse grid overshoots between its points)."""
    k = np.arange(n)
    cheb = (a + b) / 2 + (b - a) / 2 * np.cos(np.pi * k / (n - 1))
    return np.unique(np.concatenate([cheb, np.linspace(a, b, n)]))


def _ulp32(y):
    from .verify import ulp32

    return ulp32(y)


def polish_rounded(prog: Program, xs: np.ndarray, hi: np.ndarray, lo: np.ndarray, *,
                   dtype=np.float64, sweeps: int = 3, steps=(1, 2, 4, 8),
                   objective: str = "relative") -> tuple[Program, float]:
    """Polish the constants as rounded to the deployment format (``dtype``): a coordinate
    search over each constant moved by a few units in the last place of ``dtype``, accepted
    when the maximum error of the program *evaluated in dtype* on ``xs`` goes down: the
    relative error (``objective="relative"``) or the error in float32 ULPs of the true value
    (``"ulp"``, :func:`.verify.ulp32`; for ``dtype=float32``). Returns ``(program, that
    error)``."""
    if objective not in ("relative", "ulp"):
        raise ValueError(f"objective {objective!r}: valid choices are 'relative', 'ulp'")
    idx = prog.free_constants()
    ref = np.asarray(hi, np.float64)
    lo = np.asarray(lo, np.float64)
    x_d = np.asarray(xs, dtype)
    keep = np.asarray(x_d, np.float64) == np.asarray(xs, np.float64)
    x_d = x_d[keep]
    ref, lo = ref[keep], lo[keep]
    unit = ref if objective == "relative" else _ulp32(ref + lo)

    def err(q):
        vals, st = eval_population([q], x_d, dtype=dtype)
        if st[0] != 0:
            return math.inf
        with np.errstate(all="ignore"):
            e = np.abs(((vals[0].astype(np.float64) - ref) - lo) / unit)
        m = float(np.max(e))
        return m if np.isfinite(m) else math.inf

    q = prog.copy()
    for i in idx:
        q.c[i] = float(dtype(q.c[i]))
    best = err(q)
    for _ in range(sweeps):
        improved = False
        for i in idx:
            for k in steps:
                for sgn in (1, -1):
                    t = q.copy()
                    v = dtype(q.c[i])
                    for _ in range(k):
                        v = np.nextafter(v, dtype(np.inf) * sgn)
                    t.c[i] = float(v)
                    e = err(t)
                    if e < best:
                        q, best, improved = t, e, True
        if not improved:
            break
    return q, best


def refit_float32_ulp(prog: Program, xs: np.ndarray, hi: np.ndarray, lo=None, *,
                      lawson_rounds: int = 16) -> tuple:
    """Constants for deployment in float32 that minimise the maximum error in float32 ULPs of
    the true value (not the relative error: the two differ by up to 2x inside each binade, so
    they rank programs differently when the target spans several binades, e.g. 1/sqrt(x) on
    [1, 16] or log(1+x) on [0, 1]).

    1. Lawson rounds (least squares reweighted towards the minimax) and a minimax step (SLSQP,
       as in :func:`fit_constants`) on the error weighted by ``1/ulp`` with the program in
       float64 -- the best constants in exact arithmetic for this objective, from the
       program's own;
    2. from those and from the program's own constants, each rounded to float32: a coordinate
       search in float32 ULPs of the constants (:func:`polish_rounded`, ``objective="ulp"``)
       with the program evaluated in float32.

    ``xs`` should be float32 numbers (as float64) with the reference ``hi (+ lo)``. Returns
    ``(program, max ULP error on xs)``, the better of the two searches."""
    ref = np.asarray(hi, np.float64) + (0.0 if lo is None else np.asarray(lo, np.float64))
    lo_ = np.zeros_like(ref) if lo is None else np.asarray(lo, np.float64)
    hi_ = np.asarray(hi, np.float64)
    xs = np.asarray(xs, np.float64)
    u = _ulp32(ref)
    idx = prog.free_constants()
    starts = [prog]
    if idx:
        def residuals(c):
            q = _with(prog, idx, c)
            val, jac, ok = eval_with_jacobian(q, xs)
            if not ok:
                return None, None
            with np.errstate(all="ignore"):
                r = (val - ref) / u * 2.0 ** -24       # ~ relative error, in scale
                J = (jac[idx] / u * 2.0 ** -24).T
            if not np.all(np.isfinite(r)):
                return None, None
            return r, np.where(np.isfinite(J), J, 0.0)

        c0 = np.array([prog.c[i] for i in idx], dtype=np.float64)
        r0, _ = residuals(c0)
        if r0 is not None:
            best_c, best = c0, float(np.max(np.abs(r0)))
            # Lawson: least squares reweighted by |r| towards the weighted minimax
            from scipy.optimize import least_squares

            w = np.ones_like(xs)
            c, r = c0, r0
            with one_blas_thread(), warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                for _ in range(lawson_rounds):
                    w = w * np.abs(r)
                    tot = w.sum()
                    if not (np.isfinite(tot) and tot > 0):
                        break
                    w = w / tot + 1e-12 / xs.size
                    sw = np.sqrt(w)

                    fun, jac = _weighted(residuals, sw, xs.size, len(idx))

                    try:
                        c = least_squares(fun, c, jac=jac, method="trf", x_scale="jac",
                                          max_nfev=20, xtol=1e-15, ftol=1e-15,
                                          gtol=1e-15).x
                    except Exception:
                        break
                    r, _ = residuals(c)
                    if r is None:
                        break
                    e = float(np.max(np.abs(r)))
                    if e < best:
                        best_c, best = c.copy(), e
            best_c, best = _minimax_steps(residuals, best_c, best)
            if best_c is not c0:
                starts.append(_with(prog, idx, best_c))
    out = None
    for s in starts:
        q, e = polish_rounded(s, xs, hi_, lo_, dtype=np.float32, sweeps=4,
                              steps=(1, 2, 4, 8, 16, 64), objective="ulp")
        if out is None or e < out[1]:
            out = (q, e)
    return out


def fit_multistart(prog: Program, xs: np.ndarray, fx: np.ndarray, *, starts: int = 12,
                   seed: int = 0, spread=(0.05, 0.3, 1.0), keep: int = 3,
                   check: tuple | None = None) -> tuple[Program, float]:
    """Global constant fitting by random multi-start: the program's own constants and
    ``starts - 1`` random restarts around them (each constant multiplied by ``exp(s N(0,1))``
    with ``s`` cycling through ``spread``, its sign flipped with probability 0.05), each
    fitted by relative least squares; the ``keep`` best are refined to minimax
    (:func:`fit_constants`). The best by maximum relative error on ``check = (xs, fx)``
    (default the fit grid) is returned with that error. Deterministic for a given ``seed``.

    For structures whose error surface has many basins (continued fractions followed by
    squarings), a start from the classical expansion stalls in a shallow basin; restarts find
    the deep one (see tests/test_evolve_sota.py)."""
    rng = np.random.default_rng(seed)
    idx = prog.free_constants()
    cx, cf = check if check is not None else (xs, fx)
    if not idx:
        return prog, max_rel_error(prog, cx, cf)
    c0 = np.array([prog.c[i] for i in idx], dtype=np.float64)
    cands = []
    for k in range(starts):
        if k == 0:
            c = c0
        else:
            s = spread[(k - 1) % len(spread)]
            c = c0 * np.exp(s * rng.standard_normal(c0.size))
            flip = rng.random(c0.size) < 0.05
            c = np.where(flip, -c, c)
        q, e = fit_constants(_with(prog, idx, c), xs, fx, minimax=False, lawson_rounds=0,
                             max_nfev=80)
        if math.isfinite(e):
            cands.append((e, k, q))
    cands.sort(key=lambda t: (t[0], t[1]))
    best_prog, best_err = prog, max_rel_error(prog, cx, cf)
    for _, _, q in cands[:keep]:
        q, _ = fit_constants(q, xs, fx)
        e = max_rel_error(q, cx, cf)
        if e < best_err:
            best_prog, best_err = q, e
    return best_prog, best_err
