"""Multi-objective evolution of approximation programs (max relative error vs op count).

The pieces the ``program`` generator (:mod:`.generator`) runs as rounds on the engine:

- :func:`seeds`: Horner polynomials, rational forms, squared polynomials and symmetric rational
  forms, with least-squares starting constants (fitted in the first round);
- :class:`Island`: one island's archive (the best few programs at each op count), converted to
  and from the JSON state the engine records after every round;
- :func:`evolve_island`: one round of one island: pick a parent, mutate its structure or
  constants (:func:`mutate`), fit the child's constants, offer it to the archive;
- :class:`Fitter`: constant fitting through the store's functional hash table (stage ``fit``),
  so a child fitted in an earlier round or run is not fitted again;
- :func:`baselines`: Taylor, minimax polynomial and Pade programs for comparison.

Randomness comes only from the generator handed in (seeded per search seed, island and round),
so with a fixed number of children per round a run is reproducible exactly.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
import warnings
from dataclasses import dataclass

import mpmath
import numpy as np

from discover.hashing import vector_keys

from .fit import (fit_constants, fit_multistart, max_rel_error, polish_extended, polish_grid,
                  remez_polish)
from .functions import Target, dd_reference, get_target, reference
from .program import BINARY, CONST, Builder, Program, eval_population

__all__ = ["seeds", "mutate", "structural_move", "newton_step", "compose_programs",
           "compose_move", "Moves", "Island", "Fitter", "evolve_island", "pareto_front",
           "baselines", "fit_grid", "check_grid", "probe_grid", "make_grids", "lineage_of"]


def fit_grid(a, b, n=240):
    k = np.arange(n)
    return np.sort((a + b) / 2 + (b - a) / 2 * np.cos(np.pi * k / (n - 1)))


def check_grid(a, b, n=2001):
    return np.unique(np.concatenate([np.linspace(a, b, n), fit_grid(a, b, 400)]))


def probe_grid(a, b, n=48):
    # irrational offsets so that accidental agreements at nice points do not collide
    return a + (b - a) * ((np.arange(n) + 0.5) / n + 0.0123 * np.sin(np.arange(n)))


def _nonzero(xs, fx):
    m = fx != 0
    return xs[m], fx[m]


def _zero_at(target: Target, a, b):
    """Points among a, 0, b where f vanishes exactly (programs must vanish there too)."""
    pts = []
    for z in (a, 0.0, b):
        if a <= z <= b and z not in pts:
            with mpmath.workdps(30):
                if target.mp(mpmath.mpf(z)) == 0:
                    pts.append(z)
    return pts


# -- seeds -------------------------------------------------------------------------------
def _poly_fit(xs, fx, deg, zero=False, var=None):
    """Relative least-squares polynomial coefficients (low to high) in ``var`` (default xs)."""
    v = xs if var is None else var
    powers = range(1, deg + 1) if zero else range(0, deg + 1)
    V = np.stack([v ** k for k in powers], axis=1) / fx[:, None]
    c, *_ = np.linalg.lstsq(V, np.ones_like(fx), rcond=None)
    return ([0.0] if zero else []) + list(c)


def seeds(target: Target, a, b, max_ops, cf: bool = True) -> list[Program]:
    xs, fx = _nonzero(fit_grid(a, b), reference(target, fit_grid(a, b)))
    zeros = _zero_at(target, a, b)
    zero0 = 0.0 in zeros
    out = []
    # Horner polynomials
    for d in range(1, max_ops // 2 + 1):
        bl = Builder()
        c = _poly_fit(xs, fx, d, zero=zero0)
        bl.horner(c, drop_zero=zero0)
        p = bl.program(family=f"horner{d}")
        if p.ops <= max_ops:
            out.append(p)
    # odd polynomials x * P(x^2)
    if target.odd and zero0:
        for m in range(1, max_ops // 2):
            bl = Builder()
            x2 = bl.emit(2, 0, 0)
            cc = _poly_fit(xs, fx / xs, m, var=xs * xs)
            t = bl.horner(cc, var=x2)
            bl.emit(2, t, 0)
            p = bl.program(family=f"odd{2 * m + 1}")
            if p.ops <= max_ops:
                out.append(p)
    # squares of polynomials (f > 0)
    if np.all(fx > 0) and not zeros:
        for d in range(1, max_ops // 2):
            bl = Builder()
            t = bl.horner(_poly_fit(xs, np.sqrt(fx), d))
            bl.emit(2, t, t)
            p = bl.program(family=f"square{d}")
            if p.ops <= max_ops:
                out.append(p)
    # rationals P_m / Q_n with monic Q
    for m in range(0 if not zero0 else 1, max_ops // 2 + 1):
        for n in range(1, max_ops // 2 + 1):
            bl = Builder()
            cp = [1.0] * (m + 1) if not zero0 else [0.0] + [1.0] * m
            if m == 0:
                tp = None
            else:
                tp = bl.horner(cp, drop_zero=zero0)
            tq = bl.horner([1.0] * (n + 1), monic=True)
            if tp is None:
                bl.emit(7, tq, c=1.0)
            else:
                bl.emit(3, tp, tq)
            p = bl.program(family=f"rational{m}/{n}")
            if p.ops <= max_ops:
                # initial constants: linearised least squares P - f Q = f x^n
                _init_rational(p, xs, fx, m, n, zero0)
                out.append(p)
    # symmetric rationals s * (E(u^2) + u O(u^2)) / (E(u^2) - u O(u^2)), u = x - mid
    if np.all(fx > 0) and not zeros:
        mid = (a + b) / 2
        for e in range(1, max_ops // 2):
            for o in range(0, e + 1):
                if 2 * e + 2 * o + 6 > max_ops:
                    continue
                bl = Builder()
                u = bl.emit(4, 0, c=-mid)
                u2 = bl.emit(2, u, u)
                E = bl.horner([1.0] * (e + 1), var=u2, monic=True)
                if o == 0:
                    O = bl.emit(5, u, c=0.5)
                else:
                    O = bl.emit(2, bl.horner([0.5] * (o + 1), var=u2), u)
                N = bl.emit(0, E, O)
                D = bl.emit(1, E, O)
                R = bl.emit(3, N, D)
                bl.emit(5, R, c=float(reference(target, np.array([mid]))[0]))
                p = bl.program(family=f"symrational{e}/{o}")
                _init_symmetric(p, target, mid, b - a)
                out.append(p)
    if cf and np.all(fx > 0) and not zeros:
        out += cf_seeds(target, a, b, max_ops)
        out += coth_seeds(target, a, b, max_ops)
    return out


def _keep_best(best, p: Program, xs: np.ndarray, fx: np.ndarray, max_ops: int):
    """``best`` (``(error, program)`` or None) or ``p`` with its maximum relative error on
    ``xs``, whichever is lower; ``p`` is passed over when it exceeds ``max_ops`` or is
    malformed."""
    if p.ops > max_ops or not p.valid_structure():
        return best
    vals, st = eval_population([p], xs)
    e = float(np.max(np.abs(vals[0] / fx - 1))) if st[0] == 0 else math.inf
    return (e, p) if best is None or e < best[0] else best


# P_d(z): z = A lam for the depth-d continued fraction of A coth(lam u) (see coth_seeds); the
# constraint polynomials from matching the Taylor series of S tanh(lam u) = A to order u^(2d)
_COTH_P = {1: [1.0, -3.0], 2: [1.0, -15.0, 45.0], 3: [1.0, -45.0, 630.0, -3150.0, 4725.0],
           4: [1.0, -105.0, 4095.0, -75600.0, 694575.0, -2976750.0, 4465125.0]}


def _coth_constants(lam: float, depth: int) -> list[tuple[float, float, list[float]]]:
    """``(A, m, [k_1, ..., k_{d-1}])`` for every real root z of P_d: ``A = z/lam``,
    ``m = z/lam^2``, ``k_j = z P_j(z) / ((2j - 1)(2j + 1) lam^2 P_{j-1}(z) P_{j-2}(z))``."""
    out = []
    for z in np.roots(_COTH_P[depth]):
        if abs(z.imag) > 1e-9 * abs(z) or z.real <= 0:
            continue
        z = float(z.real)
        P = [1.0] + [float(np.polyval(_COTH_P[j], z)) for j in range(1, depth)]
        if any(v == 0 for v in P):
            continue
        ks = [z * P[j] / ((2 * j - 1) * (2 * j + 1) * lam * lam * P[j - 1]
                         * (P[j - 2] if j >= 2 else 1.0)) for j in range(1, depth)]
        out.append((z / lam, z / lam ** 2, ks))
    return out


def coth_seeds(target: Target, a, b, max_ops) -> list[Program]:
    """Symmetric rationals from ``coth``'s continued fraction, then squarings, for
    exponential-like targets (depth 2 is the structure of the published 10-op program for 2^x;
    depth 3 with one squaring, also 10 ops, is an order of magnitude more accurate).

    With ``g = f^(1/2^s) = g(c) e^(2 lam u)``, ``u = x - c`` and ``T = tanh(lam u)``:
    ``g = g(c) (1 + T)/(1 - T) = g(c) (S + A)/(S - A)``, ``S = A coth(lam u)``. ``S`` is
    evaluated as ``t + k_1/(t + k_2/(t + ... k_{d-1}/t))`` with ``t = u + m/u`` (singular at
    u = 0, where IEEE division gives ``S = inf`` and ``g = g(c)``), so each level costs two
    ops; matching the Taylor series of ``S tanh(lam u)`` to ``A`` gives the constants in
    closed form (:func:`_coth_constants`). The program ``g(c) + 2 A g(c)/(t - A + k_1/...)``
    has ``2 d + 3`` ops from x when c = 0 (one more otherwise), then ``s`` squarings; its
    constants are solved by the Remez exchange in :meth:`Fitter.fit_seed` (from this start
    it reaches the structure's minimax). The centre is 0 when 0 lies in [a, b], else the end
    nearer 0; of the roots of P_d, the one whose start is closest to f is kept."""
    xs = fit_grid(a, b, 200)
    fx = reference(target, xs)
    if not np.all(fx > 0) or b <= a:
        return []
    rho, alpha = np.polyfit(xs, np.log(fx), 1)         # log f ~ alpha + rho x
    if not (math.isfinite(rho) and abs(rho) * (b - a) > 1e-6):
        return []
    c = 0.0 if a <= 0 <= b else (a if abs(a) < abs(b) else b)
    out = []
    for depth in (2, 3, 4):
        for sq in range(0, 6):
            if 2 * depth + 3 + sq + (c != 0) > max_ops:
                break
            lam = rho / 2 ** (sq + 1)
            g0 = math.exp((alpha + rho * c) / 2 ** sq)
            best = None
            for A, m, ks in _coth_constants(lam, depth):
                bl = Builder()
                u = 0 if c == 0 else bl.emit(4, 0, c=-c)
                t = bl.emit(0, u, bl.emit(7, u, c=m))           # t = u + m/u
                inner = t
                for kj in reversed(ks[1:]):
                    inner = bl.emit(0, t, bl.emit(7, inner, c=kj))
                S = bl.emit(0, bl.emit(4, t, c=-A), bl.emit(7, inner, c=ks[0]))
                v = bl.emit(4, bl.emit(7, S, c=2 * A * g0), c=g0)
                for _ in range(sq):
                    v = bl.emit(2, v, v)
                best = _keep_best(best, bl.program(family=f"coth{depth}sq{sq}"), xs, fx, max_ops)
            if best is not None and math.isfinite(best[0]):
                out.append(best[1])
    return out


def _cf_of(N: np.poly1d, D: np.poly1d, n: int):
    """``(alpha, beta, [h], [k])`` of ``N/D = alpha + beta/(x + h1 + k1/(x + h2 + ...))`` (a
    Stieltjes continued fraction, by repeated polynomial division), or None."""
    if D.order < n or D.coeffs[0] == 0:
        return None
    alpha, r = np.polydiv(N.coeffs, D.coeffs)
    alpha = float(alpha[-1])
    num, den = np.poly1d(D.coeffs), np.poly1d(r)
    a_s, b_s = [], []
    for _ in range(n):
        if den.order < 0 or not np.any(den.coeffs):
            return None
        q, rem = np.polydiv(num.coeffs, den.coeffs)
        q = np.concatenate([np.zeros(2 - len(q)), q]) if len(q) < 2 else q[-2:]
        if q[0] == 0:
            return None
        a_s.append(float(q[0]))
        b_s.append(float(q[1]))
        num, den = den, np.poly1d(rem)
    h = [b / a for a, b in zip(a_s, b_s)]
    k = [1.0 / (a_s[j] * a_s[j + 1]) for j in range(n - 1)]
    if not all(map(math.isfinite, [alpha, 1.0 / a_s[0]] + h + k)):
        return None
    return alpha, 1.0 / a_s[0], h, k


def _pade_cf(target: Target, x0: float, n: int, squarings: int):
    """The continued fraction (:func:`_cf_of`) of the [n/n] Pade approximant at ``x0`` of
    ``f^(1/2^squarings)``, or None where it does not exist."""
    with mpmath.workdps(40):
        try:
            root = mpmath.mpf(2) ** -squarings
            tay = mpmath.taylor(lambda t: target.mp(t) ** root, mpmath.mpf(x0), 2 * n)
            P, Q = mpmath.pade(tay, n, n)
        except Exception:
            return None
    shift = np.poly1d([1.0, -x0])
    N = sum((float(c) * shift ** k for k, c in enumerate(P)), np.poly1d([0.0]))
    D = sum((float(c) * shift ** k for k, c in enumerate(Q)), np.poly1d([0.0]))
    return _cf_of(N, D, n)


def symmetric_cf3(target: Target, a: float, b: float, c: float, squarings: int, n: int = 1500,
                  iters: int = 200):
    """Starting constants for the [3/3] continued fraction with its singular inner level at
    ``c``, from a *symmetric* rational: with ``g = f^(1/2^s)``, ``G(u) = g(c + u)/g(c)`` and
    ``tau = (G - 1)/(G + 1)``, fit ``tau`` by an odd rational ``T = u (o0 + o2 u^2)/(1 + e2 u^2)``
    (a linear problem, Lawson-reweighted to the minimax), so ``G = (1 + T)/(1 - T)`` exactly
    satisfies ``G(u) G(-u) = 1`` -- the symmetry of the exponential, which this turns into a
    well-conditioned fit where the direct fit of the program's constants stalls in shallow
    basins. Returns ``(alpha, beta, [h1, 0, 0], [k, m])`` for :func:`cf_program` (centre c)."""
    k_ = np.arange(n)
    xs = np.unique(np.concatenate([(a + b) / 2 + (b - a) / 2 * np.cos(np.pi * k_ / (n - 1)),
                                   np.linspace(a, b, n)]))
    xs = xs[xs != c]
    try:
        gx = reference(target, xs) ** (0.5 ** squarings)
        gc = float(reference(target, np.array([c]))[0] ** (0.5 ** squarings))
    except (ZeroDivisionError, ValueError, ArithmeticError, TypeError):
        return None     # f is not defined at the centre (outside its domain)
    if not (np.all(gx > 0) and gc > 0):
        return None
    u = xs - c
    G = gx / gc
    tau = (G - 1) / (G + 1)
    w2 = u * u
    A = np.stack([u, u * w2, -tau * w2], 1)
    wt = 1.0 / (1 - tau * tau)
    W = np.ones_like(u)
    best = None
    for _ in range(iters):
        sw = np.sqrt(W) * wt
        try:
            sol, *_ = np.linalg.lstsq(A * sw[:, None], tau * sw, rcond=None)
        except np.linalg.LinAlgError:
            return None
        o0, o2, e2 = sol
        r = (u * (o0 + o2 * w2) / (1 + e2 * w2) - tau) * wt
        e = float(np.max(np.abs(r)))
        if not np.isfinite(e):
            return None
        if best is None or e < best[0]:
            best = (e, o0, o2, e2)
        W = W * np.abs(r)
        W = W / W.sum() + 1e-12
    _, o0, o2, e2 = best
    if o2 == 0 or e2 == 0:
        return None
    bb = -2 * e2 / o2
    m = 1 / e2
    k = o0 / o2 - m
    return -gc, gc * bb, [bb / 2 - c, 0.0, 0.0], [k, m]


def _mobius_minimax(s: np.ndarray, g: np.ndarray, iters: int = 20):
    """The Moebius map ``(p s + q)/(s + r)`` closest to ``g`` in maximum relative error on the
    sample ``s`` (Loeb's linearisation ``p s + q - r g = g s``, divided by the previous
    denominator, with Lawson weights). Returns ``(error, (p, q, r))``; error inf on failure."""
    w = np.ones_like(s)
    den = np.ones_like(s)
    best = (math.inf, None)
    one = np.ones_like(s)
    with np.errstate(all="ignore"):
        for _ in range(iters):
            scale = 1.0 / (g * den)
            A = np.stack([s, one, -g], 1) * scale[:, None]
            sw = np.sqrt(w)
            try:
                sol, *_ = np.linalg.lstsq(A * sw[:, None], g * s * scale * sw, rcond=None)
            except (np.linalg.LinAlgError, ValueError):
                break
            p, q, r = sol
            D = s + r
            if np.any(D == 0):
                break
            res = (p * s + q) / D / g - 1
            e = float(np.max(np.abs(res)))
            if not np.isfinite(e):
                break
            if e < best[0]:
                best = (e, (float(p), float(q), float(r)))
            den = np.abs(D) / np.max(np.abs(D))
            w = w * np.abs(res)
            w = w / w.sum() + 1e-14
    return best


def pole_cf3(target: Target, a: float, b: float, c: float, squarings: int, start=None,
             n: int = 300, maxiter: int = 300):
    """Starting constants for the 7-op continued fraction ``R = c0 + B/(x + C + k/(t + m/t))``,
    ``t = x - c`` (singular at c), fitted to ``g = f^(1/2^s)`` without imposing any symmetry.
    Fitting its five constants directly is hopelessly ill-conditioned (the good region is a
    narrow curved valley, constants in the thousands). Instead: with ``s(t) = t + k/(t + m/t)``,
    ``R = (p s + q)/(s + r)`` is a Moebius map of ``s``, so for fixed ``(k, m)`` the best
    ``(p, q, r)`` is a small, well-conditioned rational minimax problem
    (:func:`_mobius_minimax`); only ``(log|k|, log|m|)`` are searched (Nelder-Mead), from the
    symmetric solution (:func:`symmetric_cf3`) or ``start = (k, m)``. Returns
    ``(alpha, beta, [h1, 0, 0], [k, m])`` for :func:`cf_program` (centre c), or None."""
    from scipy.optimize import minimize

    if start is None:
        sym = symmetric_cf3(target, a, b, c, squarings)
        if sym is None:
            return None
        start = (sym[3][0], sym[3][1])
    k0, m0 = start
    if not (k0 and m0 and math.isfinite(k0) and math.isfinite(m0)):
        return None
    k_ = np.arange(n)
    xs = np.unique(np.concatenate([(a + b) / 2 + (b - a) / 2 * np.cos(np.pi * k_ / (n - 1)),
                                   np.linspace(a, b, n)]))
    try:
        g = reference(target, xs) ** (0.5 ** squarings)
    except (ZeroDivisionError, ValueError, ArithmeticError, TypeError):
        return None
    if not np.all(g > 0):
        return None
    t = xs - c
    sk, sm = math.copysign(1.0, k0), math.copysign(1.0, m0)

    def s_of(v):
        with np.errstate(all="ignore"):
            return t + sk * math.exp(v[0]) / (t + sm * math.exp(v[1]) / t)

    def obj(v):
        s = s_of(v)
        if not np.all(np.isfinite(s)):
            return 1.0
        e, _ = _mobius_minimax(s, g)
        return math.log(e) if 0 < e < math.inf else 1.0

    v0 = np.array([math.log(abs(k0)), math.log(abs(m0))])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = minimize(obj, v0, method="Nelder-Mead",
                       options={"xatol": 1e-11, "fatol": 1e-4, "maxiter": maxiter,
                                "initial_simplex": v0 + np.array([[0, 0], [1e-3, 0], [0, 1e-3]])})
    v = res.x if res.fun <= obj(v0) else v0
    e, sol = _mobius_minimax(s_of(v), g, iters=60)
    if sol is None:
        return None
    p, q, r = sol
    k, m = sk * math.exp(v[0]), sm * math.exp(v[1])
    # R = p + (q - p r)/(s + r), and s + r = x + (r - c) + k/(t + m/t)
    return p, q - p * r, [r - c, 0.0, 0.0], [k, m]


def minimax_rational(xs: np.ndarray, g: np.ndarray, n: int, iters: int = 60):
    """A near-minimax [n/n] rational approximation of ``g`` (relative error) on ``xs``:
    Loeb's linearisation ``P - g Q = 0`` (Q monic, divided by the previous Q) with Lawson
    reweighting towards the minimax solution; polynomials in ``x - mid`` for conditioning.
    Returns ``(N, D)`` as ``numpy.poly1d`` in x, or None."""
    mid = (xs[0] + xs[-1]) / 2
    half = max((xs[-1] - xs[0]) / 2, 1e-300)
    u = (xs - mid) / half
    qprev = np.ones_like(u)
    w = np.ones_like(u)
    best = None
    for _ in range(iters):
        cols = [u ** j / qprev for j in range(n + 1)] + [-g * u ** j / qprev for j in range(n)]
        A = np.stack(cols, 1) / g[:, None]
        rhs = u ** n / qprev
        sw = np.sqrt(w)
        try:
            sol, *_ = np.linalg.lstsq(A * sw[:, None], rhs * sw, rcond=None)
        except np.linalg.LinAlgError:
            break
        P = np.poly1d(sol[: n + 1][::-1])
        Q = np.poly1d(np.concatenate([[1.0], sol[n + 1:][::-1]]))
        qv = Q(u)
        if np.any(qv == 0):
            break
        r = P(u) / qv / g - 1
        e = float(np.max(np.abs(r)))
        if not np.isfinite(e):
            break
        if best is None or e < best[0]:
            best = (e, P, Q)
        qprev = np.abs(qv) / np.max(np.abs(qv))
        w = w * np.abs(r)
        w = w / w.sum() + 1e-12
    if best is None:
        return None
    _, P, Q = best
    shift = np.poly1d([1.0 / half, -mid / half])
    N = sum((c * shift ** j for j, c in enumerate(P.coeffs[::-1])), np.poly1d([0.0]))
    D = sum((c * shift ** j for j, c in enumerate(Q.coeffs[::-1])), np.poly1d([0.0]))
    return N, D


def cf_program(alpha, beta, h, k, *, squarings=0, centre=None) -> Program:
    """``(alpha + beta/(x + h1 + k1/(x + h2 + ... + k_{n-1}/(x + h_n))))^(2^squarings)`` as a
    program. With ``centre`` the two innermost levels become ``t + k/t``, ``t = x - centre``
    (one op fewer, and none for ``t`` when the centre is 0): a removable singularity at the
    centre, evaluated with IEEE division, as in the published programs."""
    n = len(h)
    bl = Builder()
    if centre is not None and n >= 2:
        t = 0 if centre == 0 else bl.emit(4, 0, c=-centre)
        v = bl.emit(7, t, c=k[n - 2])
        v = bl.emit(0, t, v)
        top = n - 3
    else:
        v = bl.emit(4, 0, c=h[n - 1])
        top = n - 2
    for j in range(top, -1, -1):
        v = bl.emit(7, v, c=k[j])
        v = bl.emit(0, 0, v)
        v = bl.emit(4, v, c=h[j])
    v = bl.emit(7, v, c=beta)
    v = bl.emit(4, v, c=alpha)
    for _ in range(squarings):
        v = bl.emit(2, v, v)
    kind = "cf" if centre is None else ("cfz" if centre == 0 else "cfm")
    return bl.program(family=f"{kind}{n}sq{squarings}")


def cf_seeds(target: Target, a, b, max_ops) -> list[Program]:
    """Continued fractions of depth n (an [n/n] rational approximation of ``f^(1/2^s)``)
    followed by ``s`` squarings, in three forms: general; with the two innermost levels
    ``t + k/t``, ``t = x - c`` (a removable singularity at c, one op fewer); and with c = 0
    (no op for t). Starting constants: the continued fraction of a near-minimax rational
    (:func:`minimax_rational`), its two innermost shifts replaced by their mean (or 0); where
    that fails, of the Pade approximant."""
    mid = (a + b) / 2
    xs = fit_grid(a, b, 400)
    fx = reference(target, xs)
    out = []
    if not np.all(fx > 0):
        return out
    for n in range(1, 5):
        for sq in range(0, 5):
            if 3 * n + sq - 2 > max_ops:
                continue
            g = fx ** (0.5 ** sq)
            starts = []
            rat = minimax_rational(xs, g, n)
            if rat is not None:
                starts.append(_cf_of(*rat, n))
            starts.append(_pade_cf(target, mid, n, sq))
            starts = [c for c in starts if c is not None]
            centres = [None]
            if n >= 2:
                # singular at 0 even when 0 is outside [a, b] (then no division by zero occurs)
                centres += ["mid", "zero"]
            for centre in centres:
                best = None
                cands = list(starts)
                if centre == "zero":
                    cz = _pade_cf(target, 0.0, n, sq)
                    cands = ([cz] if cz is not None else []) + cands
                cands = [(cf, None) for cf in cands]
                if n == 3 and centre is not None:
                    cs = 0.0 if centre == "zero" else mid
                    sym = symmetric_cf3(target, a, b, cs, sq)
                    if sym is not None:
                        cands.append((sym, cs))
                        # the same structure without the symmetry: a Moebius map of the
                        # inner levels, searched over (k, m) only
                        pol = pole_cf3(target, a, b, cs, sq, start=(sym[3][0], sym[3][1]))
                        if pol is not None:
                            cands.append((pol, cs))
                for (al, be, hh, kk), fixed in cands:
                    c = fixed
                    if fixed is not None:
                        pass
                    elif centre == "mid":
                        c = -(hh[n - 2] + hh[n - 1]) / 2
                    elif centre == "zero":
                        c = 0.0
                    try:
                        p = cf_program(al, be, hh, kk, squarings=sq, centre=c)
                    except (IndexError, ValueError):
                        continue
                    best = _keep_best(best, p, xs, fx, max_ops)
                if best is not None:
                    out.append(best[1])
    return out


def _init_rational(p, xs, fx, m, n, zero0):
    # unknowns: p_k (k = zero0..m), q_0..q_{n-1}; P(x) - f Q'(x) = f x^n
    cols = [xs ** k for k in range(1 if zero0 else 0, m + 1)]
    cols += [-fx * xs ** k for k in range(n)]
    V = np.stack(cols, axis=1) / fx[:, None]
    rhs = xs ** n
    try:
        sol, *_ = np.linalg.lstsq(V, rhs, rcond=None)
    except np.linalg.LinAlgError:
        return
    pc = list(sol[: len(sol) - n])
    qc = list(sol[len(sol) - n:])
    # constants appear in program order: P's Horner (high to low), then Q's (monic)
    consts = []
    if m >= 1:
        hi_first = pc[::-1]
        consts += hi_first[:] if not zero0 else hi_first
    consts += qc[::-1]
    idx = p.free_constants()
    if len(idx) == len(consts):
        for i, v in zip(idx, consts):
            p.c[i] = float(v)


def _init_symmetric(p, target, mid, width):
    # scale the odd part with the local logarithmic derivative: f(mid+u)/f(mid-u) ~ exp(2 k u)
    with mpmath.workdps(20):
        fm = target.mp(mpmath.mpf(mid))
        k = float(mpmath.diff(target.mp, mpmath.mpf(mid)) / fm)
    if k == 0:
        return
    # Pade-like start for exp(k u): E = u^2 + 12/k^2 (times s), O = 6/k u
    idx = p.free_constants()
    for i in idx:
        if p.op[i] == 4 and p.c[i] == 1.0:
            p.c[i] = 12.0 / (k * k)
        elif p.op[i] == 5 and p.c[i] == 0.5:
            p.c[i] = 6.0 / k


# -- mutations ---------------------------------------------------------------------------
def _shift_refs(p: Program, start: int, delta: int):
    """Add ``delta`` to every reference >= start (value indices)."""
    for lst in (p.a, p.b, p.d):
        for i, v in enumerate(lst):
            if v >= start:
                lst[i] = v + delta


def _prepend(q: Program, o: int, c: float) -> Program:
    """``q`` with a new first instruction ``v = x (o) c`` that every read of x now reads."""
    _shift_refs(q, 1, 1)
    for lst in (q.a, q.b, q.d):
        for i, v in enumerate(lst):
            if v == 0:
                lst[i] = 1
    q.op.insert(0, o)
    q.a.insert(0, 0)
    q.b.insert(0, 0)
    q.d.insert(0, 0)
    q.c.insert(0, float(c))
    return q


# the Newton iteration for y ~ x^(n/d) on y^d = x^n: the instructions appended after the
# program (output y): (opcode, first operand, second operand, constant), operands "x", "y" or
# the index of an earlier appended instruction; the constants are refitted with the program's
NEWTON = {
    (-1, 1): [(2, "x", "y", 0.0), (6, 0, 0, 2.0), (2, "y", 1, 0.0)],            # y (2 - x y)
    (1, 2): [(3, "x", "y", 0.0), (0, "y", 0, 0.0), (5, 1, 0, 0.5)],             # (y + x/y)/2
    (-1, 2): [(2, "y", "y", 0.0), (2, 0, "x", 0.0), (5, 1, 0, -0.5),            # y (3/2 -
              (4, 2, 0, 1.5), (2, "y", 3, 0.0)],                                # x y^2 / 2)
    (1, 3): [(2, "y", "y", 0.0), (3, "x", 0, 0.0), (5, 1, 0, 0.5),              # 2/3 (y +
             (0, "y", 2, 0.0), (5, 3, 0, 2.0 / 3.0)],                           # x/(2 y^2))
    (-1, 3): [(2, "y", "y", 0.0), (2, 0, "y", 0.0), (2, 1, "x", 0.0),           # y (4/3 -
              (5, 2, 0, -1.0 / 3.0), (4, 3, 0, 4.0 / 3.0), (2, "y", 4, 0.0)],   # x y^3 / 3)
}


@dataclass
class Moves:
    """What the Newton-step and composition moves need from the island: the target's power
    ``(n, d)`` (None: no Newton step), the programs of the island's front (composition
    partners; empty: no composition) and the op budget."""

    power: tuple | None = None
    pool: tuple = ()
    max_ops: int = 10

    def available(self, p: Program) -> list[str]:
        out = []
        if self.power in NEWTON and p.ops + len(NEWTON[self.power]) <= self.max_ops:
            out.append("newton")
        if any(p.ops + h.ops <= self.max_ops for h in self.pool):
            out.append("compose")
        return out


def newton_step(p: Program, power: tuple) -> Program:
    """``p`` followed by one Newton iteration for ``y = x^(n/d)`` on ``y^d = x^n`` (for 1/sqrt:
    ``y (1.5 - 0.5 x y^2)``, 5 ops; 1/x: ``y (2 - x y)``, 3; sqrt: ``(y + x/y)/2``, 3; cbrt: 5;
    1/cbrt: 6), its constants free: a short program and a Newton step, refitted together."""
    if power not in NEWTON:
        raise ValueError(f"no Newton step for the power {power!r}: one of {sorted(NEWTON)}")
    q = p.copy()
    y = len(q.op)                     # value index of p's output
    base = y + 1                      # value index of the first appended instruction

    def ref(v):
        return 0 if v == "x" else y if v == "y" else base + v

    for o, a, b, c in NEWTON[power]:
        q.op.append(o)
        q.a.append(ref(a))
        q.b.append(ref(b) if o in BINARY else 0)
        q.d.append(0)
        q.c.append(float(c))
    return q


def compose_programs(p: Program, h: Program, how: str) -> Program:
    """``p(h(x))`` (``how = "of"``) or ``p(x) op h(x)`` (``how`` one of ``+ - * /``) as one
    program (not pruned)."""
    q = Program([], [], [], [], [], dict(p.meta))
    if how == "of":
        first, second, x_of_second = h, p, len(h.op)
    else:
        first, second, x_of_second = p, h, 0
    shift = len(first.op)
    q.op += list(first.op)
    q.a += list(first.a)
    q.b += list(first.b)
    q.d += list(first.d)
    q.c += [float(v) for v in first.c]
    for i in range(len(second.op)):
        q.op.append(second.op[i])
        for dst, src in ((q.a, second.a), (q.b, second.b), (q.d, second.d)):
            v = src[i]
            dst.append(x_of_second if v == 0 else v + shift)
        q.c.append(float(second.c[i]))
    if how != "of":
        q.op.append("+-*/".index(how))
        q.a.append(len(p.op))
        q.b.append(len(q.op) - 1)
        q.d.append(0)
        q.c.append(0.0)
    return q


def compose_move(p: Program, rng, moves: Moves) -> tuple[Program, str]:
    """``p`` composed with a program ``h`` of the island's front that fits the op budget with
    it: ``p(h(x))`` or ``p(x) op h(x)`` (op one of + - * /; one op more). The child is pruned
    and then refitted like any other."""
    room = moves.max_ops - p.ops
    forms = [("of", 0)] + [(o, 1) for o in "+-*/"]
    cands = [(h, how) for h in moves.pool for how, extra in forms if h.ops + extra <= room]
    if not cands:
        return p.copy(), "compose"
    h, how = cands[int(rng.integers(0, len(cands)))]
    name = "compose p(h(x))" if how == "of" else f"compose p(x) {how} h(x)"
    return compose_programs(p, h, how), name


def structural_move(p: Program, rng, kind: str | None = None,
                    moves: "Moves | None" = None) -> tuple[Program, str]:
    """A move a numerical analyst would try (the child is refitted afterwards):

    - ``square``: ``p(x/2)^2`` (exact for 2^x and e^x: f(x) = f(x/2)^2; its kin elsewhere);
    - ``cf extend``: one read of ``x`` becomes ``x + c/x`` (a continued fraction one level
      deeper, with a removable singularity at 0 evaluated with IEEE division);
    - ``centre``: every read of ``x`` reads ``x - c`` instead (c the interval's middle
      once fitted; seeds start it at 0.5);
    - ``newton``: one Newton iteration on the target's defining equation appended
      (:func:`newton_step`; only for targets ``x^(n/d)`` with such an equation, ``moves``);
    - ``compose``: the program composed with another from the island's front
      (:func:`compose_move`, ``moves``).

    Without ``kind``, one of the first three is drawn."""
    if kind == "newton":
        return newton_step(p, moves.power), "newton"
    if kind == "compose":
        return compose_move(p, rng, moves)
    q = p.copy()
    kind = kind or rng.choice(["square", "cf extend", "centre"])
    if kind == "square":
        q = _prepend(q, 5, 0.5)
        n = len(q.op)
        q.op.append(2)
        q.a.append(n)
        q.b.append(n)
        q.d.append(0)
        q.c.append(0.0)
    elif kind == "cf extend":
        reads = [(i, f) for i in range(len(q.op)) for f in ("a", "b")
                 if getattr(q, f)[i] == 0 and (f == "a" or q.op[i] in BINARY)]
        if not reads:
            return q, "cf extend"
        i, f = reads[int(rng.integers(0, len(reads)))]
        # insert t1 = c/x, t2 = x + t1 before instruction i; instruction i reads t2
        _shift_refs(q, i + 1, 2)
        q.op[i:i] = [7, 0]
        q.a[i:i] = [0, 0]
        q.b[i:i] = [0, i + 1]
        q.d[i:i] = [0, 0]
        q.c[i:i] = [float(rng.choice([1.0, -1.0])) * 10 ** rng.uniform(-3, 1), 0.0]
        getattr(q, f)[i + 2] = i + 2
    else:
        q = _prepend(q, 4, -0.5)
    return q, kind


def mutate(p: Program, rng, optional=False, structural=True,
           moves: Moves | None = None) -> tuple[Program, list[str]]:
    """A child of ``p``: a structural move (:func:`structural_move`; the Newton-step and
    composition moves when ``moves`` offers them, 8% of children each way) or one or two
    local edits (insert, remove, rewire, change op, perturb constant), pruned."""
    extra = moves.available(p) if moves is not None else []
    if extra and rng.random() < 0.08:
        q, name = structural_move(p, rng, kind=extra[int(rng.integers(0, len(extra)))],
                                  moves=moves)
        meta = dict(p.meta)
        q = q.pruned()
        q.meta = meta
        return q, [name]
    if structural and p.ops >= 6 and rng.random() < 0.08:      # structures worth squaring or deepening
        q, name = structural_move(p, rng)
        meta = dict(p.meta)
        q = q.pruned()
        q.meta = meta
        return q, [name]
    q = p.copy()
    names = []
    for _ in range(1 + int(rng.random() < 0.35)):
        kind = rng.choice(["insert", "remove", "rewire", "opchange", "const", "const"])
        L = len(q.op)
        if kind == "insert" or L <= 1:
            pos = int(rng.integers(0, L + 1))          # new instruction index
            o = int(rng.choice([0, 1, 2, 3, 4, 5, 6, 7, 2, 4, 5]))
            if optional and rng.random() < 0.1:
                o = int(rng.choice([8, 9, 10]))
            _shift_refs(q, pos + 1, 1)
            a = int(rng.integers(0, pos + 1))
            b = int(rng.integers(0, pos + 1))
            c = float(rng.choice([1.0, 0.5, 2.0, -1.0])) * (1 + 0.1 * rng.standard_normal())
            if o == 10:
                c = float(2.0 ** int(rng.integers(-3, 4)))
            if o in (4, 6):
                c = float(rng.standard_normal())
            q.op.insert(pos, o)
            q.a.insert(pos, a)
            q.b.insert(pos, b)
            q.d.insert(pos, int(rng.integers(0, pos + 1)))
            q.c.insert(pos, c)
            # make it live: a later instruction reads it, or it becomes the output
            later = list(range(pos + 1, len(q.op)))
            if later and rng.random() < 0.85:
                j = int(rng.choice(later))
                if q.op[j] in BINARY and rng.random() < 0.5:
                    q.b[j] = pos + 1
                else:
                    q.a[j] = pos + 1
            else:
                # append a combination of the old output and the new value
                q.op.append(int(rng.choice([0, 1, 2, 3])))
                q.a.append(len(q.op) - 1)
                q.b.append(pos + 1)
                q.d.append(0)
                q.c.append(0.0)
            names.append(f"insert {['add','sub','mul','div','addc','mulc','rsubc','rdivc','fma','sqrt','scale'][o]}")
        elif kind == "remove":
            i = int(rng.integers(0, L))
            repl = q.a[i]
            del q.op[i], q.a[i], q.b[i], q.d[i], q.c[i]
            for lst in (q.a, q.b, q.d):
                for k, v in enumerate(lst):
                    if v == i + 1:
                        lst[k] = repl
            _shift_refs(q, i + 2, -1)
            names.append("remove")
        elif kind == "rewire":
            i = int(rng.integers(0, L))
            if q.op[i] in BINARY and rng.random() < 0.5:
                q.b[i] = int(rng.integers(0, i + 1))
            else:
                q.a[i] = int(rng.integers(0, i + 1))
            names.append("rewire")
        elif kind == "opchange":
            i = int(rng.integers(0, L))
            if q.op[i] in BINARY:
                q.op[i] = int(rng.choice(BINARY))
            elif q.op[i] in CONST:
                q.op[i] = int(rng.choice(CONST))
            names.append("opchange")
        else:
            idx = q.free_constants()
            if idx:
                i = int(rng.choice(idx))
                q.c[i] = q.c[i] * (1 + 0.2 * rng.standard_normal()) + 0.01 * rng.standard_normal()
                names.append("perturb constant")
    meta = dict(p.meta)
    q = q.pruned()
    q.meta = meta
    return q, names


# -- the island --------------------------------------------------------------------------
KEEP = 4                       # programs kept per op count on each island
USES_C = CONST + (10,)


def canonical(p: Program) -> Program:
    """``p`` with the fields its instructions do not read set to 0, so that two children that
    compute the same thing in the same way have the same dict (and the same fit)."""
    q = p.copy()
    for i, o in enumerate(q.op):
        if o not in BINARY and o != 8:
            q.b[i] = 0
        if o != 8:
            q.d[i] = 0
        if o not in USES_C:
            q.c[i] = 0.0
    return q


def structure_digest(p: Program) -> str:
    """A digest of the exact program (structure and constants, bit for bit)."""
    d = p.to_dict()
    text = json.dumps([d["op"], d["a"], d["b"], d["d"], [float(v).hex() for v in d["c"]]])
    return hashlib.sha256(text.encode()).hexdigest()[:20]


@dataclass
class Grids:
    """The sample points of one function on one interval and its reference values there."""

    fxs: np.ndarray      # fit grid (Chebyshev points, f != 0)
    ffx: np.ndarray
    cxs: np.ndarray      # check grid (uniform + Chebyshev, f != 0)
    cfx: np.ndarray
    pxs: np.ndarray      # probe points of the functional hash


def make_grids(target: Target, a: float, b: float) -> Grids:
    fxs, ffx = _nonzero(fit_grid(a, b), reference(target, fit_grid(a, b)))
    cxs, cfx = _nonzero(check_grid(a, b), reference(target, check_grid(a, b)))
    return Grids(fxs, ffx, cxs, cfx, probe_grid(a, b))


def probe_key(prog: Program, pxs: np.ndarray) -> int | None:
    """The functional key of ``prog`` (its outputs at the probe points, 12 digits)."""
    vals, st = eval_population([prog], pxs)
    if st[0] != 0:
        return None
    return int(vector_keys(vals, digits=12)[0][0])


@dataclass
class Entry:
    prog: Program
    err: float
    ops: int
    id: str
    key: int


def new_stats() -> dict:
    return {"children": 0, "invalid": 0, "generations": 0, "lookups": 0, "hits": 0,
            "memo_hits": 0, "table_hits": 0, "fits": 0, "refits": 0}


class Island:
    """One island's archive: the best ``keep`` programs at each op count, as plain state.

    ``from_state``/``to_state`` convert it to and from the JSON kept in the run's recorded state,
    so that an island can run one round on any worker and be continued by another.
    """

    def __init__(self, index: int, max_ops: int, grids: Grids, keep: int = KEEP):
        self.index, self.max_ops, self.g, self.keep = index, max_ops, grids, keep
        self.archive: dict[int, list[Entry]] = {}
        self.counter = 0
        self.lineage: dict[str, dict] = {}      # records of the entries made since loading
        self.history: list = []                 # (seconds, ops, err) front improvements

    @classmethod
    def from_state(cls, state: dict, max_ops: int, grids: Grids, keep: int = KEEP) -> "Island":
        isl = cls(int(state["index"]), max_ops, grids, keep)
        isl.counter = int(state["counter"])
        for e in state["entries"]:
            p = Program.from_dict(e["program"])
            p.meta = {"family": e.get("family", "")}
            isl.archive.setdefault(int(e["ops"]), []).append(
                Entry(p, float(e["err"]), int(e["ops"]), e["id"], int(e["key"])))
        return isl

    def to_state(self) -> dict:
        return {"index": self.index, "counter": self.counter,
                "entries": [{"id": e.id, "ops": e.ops, "err": e.err, "key": str(e.key),
                             "family": e.prog.meta.get("family", ""),
                             "program": e.prog.to_dict()}
                            for ops in sorted(self.archive) for e in self.archive[ops]]}

    def entries(self) -> list[Entry]:
        return [e for ops in sorted(self.archive) for e in self.archive[ops]]

    def best_at(self, ops: int) -> float:
        lst = self.archive.get(ops)
        return lst[0].err if lst else math.inf

    def front_best_upto(self, ops: int) -> float:
        return min((self.best_at(k) for k in range(1, ops + 1)), default=math.inf)

    def offer(self, prog: Program, err: float, parent, muts, *, eid: str | None = None,
              when: float | None = None) -> bool:
        """Keep ``prog`` if it is among the best ``keep`` at its op count (new id unless
        ``eid``, an entry migrating from another island, is given)."""
        ops = prog.ops
        if not math.isfinite(err) or ops > self.max_ops or ops < 1:
            return False
        key = probe_key(prog, self.g.pxs)
        if key is None:
            return False
        lst = self.archive.setdefault(ops, [])
        same = [e for e in lst if e.key == key]
        if same:
            # the same function to 12 digits: keep the more accurate one (accurate programs of
            # different structure all agree with f to 12 digits)
            if err >= same[0].err:
                return False
            lst.remove(same[0])
        if len(lst) >= self.keep and err >= lst[-1].err:
            return False
        if eid is None:
            self.counter += 1
            eid = f"w{self.index}-{self.counter}"
            self.lineage[eid] = {"parent": parent, "mutations": list(muts), "ops": ops,
                                 "err": err, "family": prog.meta.get("family", "")}
        improved = err < self.front_best_upto(ops)
        lst.append(Entry(prog, err, ops, eid, key))
        lst.sort(key=lambda e: e.err)
        del lst[self.keep:]
        if improved and when is not None:
            self.history.append((round(when, 3), ops, err))
        return True


class Fitter:
    """Fits children's constants, through the store's functional hash table (stage ``fit``).

    A fit is a pure function of the exact child (its canonical structure and constants) and of
    the target: the table's key is the function, the interval, the child's functional key (its
    outputs at the probe points), its op count and a digest of the exact program. So an outcome
    read from the table is exactly what fitting again would give, whichever island, round, run
    or machine recorded it: a resumed run, a run on Dask (whose workers see an empty table) and
    an uninterrupted run reach the same archives. The minimax refinement of a fit is a second
    entry (``...|minimax``), as whether to refine depends on the island's archive.

    Within one round, an island also remembers its fits by functional key alone (``memo``): a
    child that computes the same function as one fitted earlier in the round (written another
    way) reuses that fit, as the in-memory cache of earlier versions did.
    """

    def __init__(self, hashes, function: str, a: float, b: float, grids: Grids, *,
                 cache: bool = True):
        self.hashes, self.function, self.a, self.b, self.g = hashes, function, a, b, grids
        self.cache = cache and hashes is not None
        self.memo: dict = {}
        self.target = get_target(function, a, b)

    def _key(self, tag: str, prog: Program, fkey: int) -> str:
        return (f"{self.function}|{self.a!r}|{self.b!r}|{tag}|{fkey:x}|{prog.ops}|"
                f"{structure_digest(prog)}")

    def _get(self, key):
        return self.hashes.get("fit", key) if self.cache else None

    def _put(self, key, prog: Program, fit_err: float, err: float) -> None:
        if self.cache:
            self.hashes.add("fit", key, "program", {
                "program": prog.to_dict(), "fit_error": fit_err if math.isfinite(fit_err)
                else None, "error": err if math.isfinite(err) else None})

    @staticmethod
    def _load(out) -> tuple[Program, float, float]:
        inf = math.inf
        return (Program.from_dict(out["program"]),
                inf if out["fit_error"] is None else float(out["fit_error"]),
                inf if out["error"] is None else float(out["error"]))

    def fit_seed(self, prog: Program) -> tuple[Program, float]:
        """A seed's constants (least squares, Lawson, minimax polish) and its check error."""
        g = self.g
        fkey = probe_key(prog, g.pxs)
        key = self._key("seed", prog, 0 if fkey is None else fkey)
        out = self._get(key)
        if out is not None:
            q, _, err = self._load(out)
            return q, err
        if prog.meta.get("family", "").startswith("coth"):
            # an exactly derived start in the basin of the structure's minimax: the Remez
            # exchange alone (a multi-start fit would leave that basin)
            xs = polish_grid(self.a, self.b, 600)
            hi, lo = dd_reference(self.target, xs)
            q, _ = remez_polish(prog, self.target, xs, hi, lo, rounds=12)
            err = max_rel_error(q, g.cxs, g.cfx)
            fit_err = err
        elif prog.meta.get("family", "").startswith("cf"):
            # continued fractions (+ squarings): a multimodal error surface, so random
            # multi-start, then a minimax polish in extended precision
            q, err = fit_multistart(prog, g.fxs, g.ffx, starts=8, check=(g.cxs, g.cfx))
            fit_err = err
            if math.isfinite(err) and err < 1e-9:
                hi, lo = dd_reference(self.target, g.fxs)
                q2, _ = polish_extended(q, g.fxs, hi, lo)
                e2 = max_rel_error(q2, g.cxs, g.cfx)
                if e2 < err:
                    q, err, fit_err = q2, e2, e2
        else:
            q, fit_err = fit_constants(prog, g.fxs, g.ffx, lawson_rounds=6)
            err = max_rel_error(q, g.cxs, g.cfx)
        q.meta = dict(prog.meta)
        self._put(key, q, fit_err, err)
        return q, err

    def fit_child(self, child: Program, fkey: int, best: float, have_level: bool,
                  stats: dict) -> tuple[Program, float]:
        """The child's fitted program and its maximum relative error on the check grid."""
        g = self.g
        stats["lookups"] += 1
        mk = (fkey, child.ops)
        if self.cache and mk in self.memo:
            stats["hits"] += 1
            stats["memo_hits"] += 1
            p, err = self.memo[mk]
            return p.copy(), err
        child = canonical(child)
        key = self._key("child", child, fkey)
        out = self._get(key)
        if out is not None:
            stats["hits"] += 1
            stats["table_hits"] += 1
            fitted, fit_err, err = self._load(out)
        else:
            stats["fits"] += 1
            fitted, fit_err = fit_constants(child, g.fxs, g.ffx, minimax=False, lawson_rounds=0,
                                            max_nfev=40)
            err = max_rel_error(fitted, g.cxs, g.cfx) if math.isfinite(fit_err) else fit_err
            self._put(key, fitted, fit_err, err)
        # minimax refinement only for promising structures
        if fit_err < 3 * best or not have_level:
            key2 = key + "|minimax"
            out = self._get(key2)
            if out is not None:
                fitted, fit_err, err = self._load(out)
            else:
                stats["refits"] += 1
                fitted, fit_err = fit_constants(fitted, g.fxs, g.ffx)
                err = max_rel_error(fitted, g.cxs, g.cfx) if math.isfinite(fit_err) else fit_err
                self._put(key2, fitted, fit_err, err)
        if self.cache:
            self.memo[mk] = (fitted.copy(), err)
        return fitted, err


def evolve_island(island: Island, fitter: Fitter, rng, *, generations: int | None = None,
                  deadline: float | None = None, optional: bool = False,
                  structural: bool = True, newton: bool = True, compose: bool = True,
                  clock: float = 0.0, stats: dict | None = None) -> dict:
    """Run one island for ``generations`` children, or until ``deadline`` (``time.time()``).

    Each step picks an op count, a parent among the best there (biased to the best), mutates
    it, fits the child's constants and offers it to the archive. ``newton`` offers the
    Newton-step move (targets with a defining equation, :attr:`.functions.Target.power`),
    ``compose`` the composition with a program of the island's front. ``clock`` is the
    island's time before this call (for the history). Returns the counters.
    """
    power = fitter.target.power if newton else None
    stats = new_stats() if stats is None else stats
    t0 = time.time()
    gen = 0
    while True:
        if generations is not None:
            if gen >= generations:
                break
        elif deadline is None or time.time() >= deadline:
            break
        gen += 1
        levels = sorted(island.archive)
        if not levels:
            break
        lv = int(rng.choice(levels))
        lst = island.archive[lv]
        parent = lst[min(int(rng.integers(0, len(lst))), int(rng.integers(0, len(lst))))]
        moves = None
        if power is not None or compose:
            pool = tuple(e.prog for e in pareto_front(island.entries())) if compose else ()
            moves = Moves(power, pool, island.max_ops)
        child, muts = mutate(parent.prog, rng, optional, structural, moves)
        stats["children"] += 1
        if not child.valid_structure() or child.ops > island.max_ops:
            stats["invalid"] += 1
            continue
        key = probe_key(child, island.g.pxs)
        if key is None:
            stats["invalid"] += 1
            continue
        fitted, err = fitter.fit_child(child, key, island.best_at(child.ops),
                                       bool(island.archive.get(child.ops)), stats)
        fitted.meta = dict(parent.prog.meta)
        island.offer(fitted, err, parent.id, muts, when=clock + time.time() - t0)
    stats["generations"] += gen
    return stats


def pareto_front(entries) -> list:
    """The entries with an error below that of every entry with fewer ops (one per op count);
    ties broken by id, so the front does not depend on the order of the islands' results."""
    front = []
    best = math.inf
    for e in sorted(entries, key=lambda e: (e.ops, e.err, e.id)):
        if e.err < best and (not front or front[-1].ops != e.ops):
            front.append(e)
            best = e.err
    return front


def lineage_of(eid: str, lineage: dict) -> list[dict]:
    """The chain of lineage records from ``eid`` back to its seed (newest first)."""
    chain = []
    seen = set()
    while eid is not None and eid in lineage and eid not in seen:
        seen.add(eid)
        rec = dict(lineage[eid])
        rec["id"] = eid
        chain.append(rec)
        eid = rec["parent"]
    return chain


def prune_lineage(lineage: dict, alive) -> dict:
    """The lineage records of ``alive`` ids and their ancestors (the rest cannot be reached)."""
    keep: dict = {}
    for eid in alive:
        while eid is not None and eid in lineage and eid not in keep:
            keep[eid] = lineage[eid]
            eid = lineage[eid]["parent"]
    return {k: lineage[k] for k in sorted(keep)}


# -- baselines ---------------------------------------------------------------------------
def baselines(target: Target, a, b, max_ops) -> list[dict]:
    """Taylor, minimax polynomial, best rational and Pade programs built and measured by the
    tool itself."""
    xs, fx = _nonzero(fit_grid(a, b), reference(target, fit_grid(a, b)))
    cxs, cfx = _nonzero(check_grid(a, b), reference(target, check_grid(a, b)))
    zero0 = 0.0 in _zero_at(target, a, b)
    x0 = 0.0 if a <= 0 <= b else a
    out = []
    with mpmath.workdps(40):
        tay = [float(v) for v in mpmath.taylor(target.mp, mpmath.mpf(x0), max_ops + 2)]
    for d in range(1, max_ops // 2 + 1):
        # Taylor in (x - x0)
        bl = Builder()
        var = 0 if x0 == 0 else bl.emit(4, 0, c=-x0)
        bl.horner(tay[: d + 1], var=var, drop_zero=zero0)
        p = bl.program()
        if p.ops <= max_ops:
            out.append({"method": "taylor", "degree": d, "ops": p.ops,
                        "max_rel_error": max_rel_error(p, cxs, cfx), "program": p})
        # relative minimax polynomial (fitted: least squares, Lawson, SLSQP exchange)
        bl = Builder()
        bl.horner(_poly_fit(xs, fx, d, zero=zero0), drop_zero=zero0)
        p = bl.program()
        if p.ops <= max_ops:
            q, _ = fit_constants(p, xs, fx)
            out.append({"method": "minimax", "degree": d, "ops": q.ops,
                        "max_rel_error": max_rel_error(q, cxs, cfx), "program": q})
    # best rational P_m/Q_n at each op count (least squares, Lawson, minimax polish)
    for p in seeds(target, a, b, max_ops):
        fam = p.meta.get("family", "")
        if not fam.startswith("rational"):
            continue
        q, _ = fit_constants(p, xs, fx)
        out.append({"method": "rational", "degree": fam[len("rational"):], "ops": q.ops,
                    "max_rel_error": max_rel_error(q, cxs, cfx), "program": q})
    for m in range(1, max_ops // 4 + 1):
        with mpmath.workdps(40):
            try:
                P, Q = mpmath.pade([mpmath.mpf(t) for t in tay[: 2 * m + 1]], m, m)
            except Exception:
                continue
        bl = Builder()
        var = 0 if x0 == 0 else bl.emit(4, 0, c=-x0)
        tp = bl.horner([float(v) for v in P], var=var, drop_zero=zero0)
        tq = bl.horner([float(v) for v in Q], var=var)
        bl.emit(3, tp, tq)
        p = bl.program()
        if p.ops <= max_ops:
            out.append({"method": "pade", "degree": f"[{m}/{m}]", "ops": p.ops,
                        "max_rel_error": max_rel_error(p, cxs, cfx), "program": p})
    return out
