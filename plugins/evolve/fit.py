"""Constant fitting for a program structure: relative least squares, then minimax refinement.

1. nonlinear least squares (scipy's trust-region reflective method) on the relative residuals
   ``p(x)/f(x) - 1`` with the exact Jacobian (forward-mode derivatives from the numba kernel);
2. Lawson's iteratively reweighted least squares towards the minimax solution;
3. a sequential linear-programming polish (SLSQP on ``min t s.t. |r_i| <= t``), the nonlinear
   analogue of a Remez step, accepted only when it lowers the maximum error.

A fit is bit-for-bit reproducible: the same program and grid give the same constants in any
process (a resumed run, a Dask worker), which the exactly reproducible runs of the ``program``
generator rely on. Hence trust-region reflective rather than MINPACK's Levenberg-Marquardt (whose
results depend on the memory alignment of its work arrays), and OpenBLAS held to one thread
while fitting (its results depend on the thread count, and Dask workers run with one).
"""

from __future__ import annotations

import contextlib
import os
import warnings

import numpy as np

from .program import Program, eval_with_jacobian

__all__ = ["fit_constants", "max_rel_error"]


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
    if not ok or not np.all(np.isfinite(r)) or not np.all(np.isfinite(J)):
        return None, None
    return r, J


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
    from scipy.optimize import least_squares, minimize

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

        def fun(c):
            r, _ = _residuals(prog, idx, c, xs, fx)
            return sw * (r if r is not None else np.full_like(xs, 1e3))

        def jac(c):
            r, J = _residuals(prog, idx, c, xs, fx)
            return sw[:, None] * (J if J is not None else np.zeros((xs.size, len(idx))))

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
        def cons(v):
            r, _ = _residuals(prog, idx, best_c + scale * v[:-1], xs, fx)
            if r is None:
                return np.full(2 * xs.size, -1.0)
            t = v[-1]
            return np.concatenate([t - r / t0, t + r / t0])

        def cons_jac(v):
            r, J = _residuals(prog, idx, best_c + scale * v[:-1], xs, fx)
            if J is None:
                J = np.zeros((xs.size, len(idx)))
            Js = J * scale / t0
            one = np.ones((xs.size, 1))
            return np.vstack([np.hstack([-Js, one]), np.hstack([Js, one])])

        v0 = np.zeros(len(idx) + 1)
        v0[-1] = 1.0
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                res = minimize(lambda v: v[-1], v0, jac=lambda v: np.eye(len(v))[-1],
                               method="SLSQP",
                               constraints=[{"type": "ineq", "fun": cons, "jac": cons_jac}],
                               options={"maxiter": 30, "ftol": 1e-10})
            c = best_c + scale * res.x[:-1]
            r, _ = _residuals(prog, idx, c, xs, fx)
            if r is not None:
                e = float(np.max(np.abs(r)))
                if e < best_err:
                    best_c, best_err = c, e
        except Exception:
            pass
    return put(best_c), best_err
