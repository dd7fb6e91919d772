"""Exact convergents of a PCF, an honest error estimate, and the limit/verify procedures.

Everything here works on coefficient tuples (highest power first) and gmpy2 integers;
:class:`~discover_plugins.cf.pcf.PCF` wraps it.

Error estimate
--------------
The step ``delta_n = x_n - x_{n-1}`` is known exactly: ``|delta_n| = |b(1)...b(n)| / |q_n q_{n-1}|``.
``|delta_N|`` alone underestimates the error ``|x - x_N| = |sum_{n>N} delta_n|`` when convergence
is slow (``delta_n ~ n**-k`` gives a tail ``~ N delta_N / (k-1)``), so :func:`estimate` looks at
``y_n = log10|delta_n|`` on a geometric grid of ``n`` (8 points per octave) over the second half
``[N/2, N]`` of the computed range and

1. fits ``y`` linearly in ``n`` (geometric convergence, slope = minus digits per term) and in
   ``log10 n`` (algebraic convergence, slope = ``-k``); the better fit (smaller RMS residual)
   plus its largest positive residual gives an envelope ``D`` of ``|delta_N|`` that ignores
   accidental dips of oscillating steps (and ``D >= |delta_N|``);
2. if the steps alternate in sign throughout the window (``delta_n / delta_{n-1} =
   a(n) q_{n-1}/q_n - 1 < 0``, checked exactly), the tail of an alternating series with
   decreasing terms is bounded by its first term: ``err = D``;
3. otherwise ``err = 2 D max(1, N / (k - 1))`` with ``k`` from the log-log fit: the integral
   bound of an algebraic tail, doubled against noise in the fit. For geometric or faster convergence the fitted ``k`` is large
   (``~1.7 N`` times the digits per term) and the factor is close to or below one, so the bound
   costs at most a digit; for ``exp(-c sqrt(n))`` convergence the window-average ``k`` is below
   the local one, which keeps the bound on the safe side; ``k <= 1`` gives ``err = inf``.

The estimate is a heuristic (no estimate from finitely many terms can be a proof) but it never
relies on the last step alone, which is what makes reports of slowly converging PCFs honest.
"""

from __future__ import annotations

import bisect
import math
import time
from dataclasses import dataclass, field

import gmpy2
import mpmath
import numpy as np
from gmpy2 import mpz

__all__ = ["Runner", "Estimate", "estimate", "poly_values", "log10_abs", "ratio_str",
           "compute_limit", "run_verify", "extrapolate"]

_LOG10_2 = math.log10(2.0)


def log10_abs(m) -> float:
    """``log10|m|`` of a (big) integer, accurate to about 1e-15 relative; -inf for 0.

    >>> round(log10_abs(10**400), 9)
    400.0
    """
    bl = m.bit_length()
    if bl < 1000:
        return math.log10(abs(m)) if bl else -math.inf
    s = bl - 64
    return math.log10(abs(m) >> s) + s * _LOG10_2


def poly_values(coeffs, n0: int, n1: int) -> list:
    """Exact values of the polynomial ``coeffs`` (highest power first) at ``n0..n1``.

    Uses numpy int64 when no intermediate can overflow, Python integers otherwise.

    >>> poly_values((1, 0, 1), 0, 3)
    [1, 2, 5, 10]
    """
    if n1 < n0:
        return []
    d = len(coeffs) - 1
    bound = sum(abs(int(c)) for c in coeffs) * max(1, abs(n0), abs(n1)) ** d
    if bound < 2 ** 62 and n1 - n0 >= 48:
        x = np.arange(n0, n1 + 1, dtype=np.int64)
        v = np.full(x.shape, int(coeffs[0]), dtype=np.int64)
        for c in coeffs[1:]:
            v = v * x + int(c)
        return v.tolist()
    out = []
    for n in range(n0, n1 + 1):
        v = 0
        for c in coeffs:
            v = v * n + int(c)
        out.append(v)
    return out


_GRID = sorted({int(round(2.0 ** (j / 8.0))) for j in range(24, 8 * 48)})


def _grid(lo: int, hi: int) -> list:
    """Sample points ``round(2**(j/8))`` (8 per octave, from 8 on) in ``[lo, hi]``, and ``hi``."""
    out = _GRID[bisect.bisect_left(_GRID, lo):bisect.bisect_right(_GRID, hi)]
    if not out or out[-1] != hi:
        out.append(hi)
    return out


class Runner:
    """Exact convergents ``p_n, q_n`` (gmpy2 ``mpz``) advanced on demand, with samples of
    ``log10|x_n - x_{n-1}|`` recorded on a geometric grid for :func:`estimate`.

    >>> r = Runner((2, 1), (1, 0, 0))
    >>> r.advance(3); (int(r.p), int(r.q))
    (204, 160)
    """

    def __init__(self, a, b):
        self.a = tuple(int(c) for c in a)
        self.b = tuple(int(c) for c in b)
        self.n = 0
        self.p1, self.q1 = mpz(1), mpz(0)
        self.p, self.q = mpz(poly_values(self.a, 0, 0)[0]), mpz(1)
        self.samples: list[tuple[int, float, bool]] = []   # (n, log10|delta_n|, alternating)
        self.terminated_at: int | None = None               # k with b(k) = 0

    def advance(self, N: int) -> None:
        """Iterate up to depth ``N`` (or to ``k - 1`` if ``b(k) = 0`` for some ``k <= N``)."""
        if self.terminated_at is not None or N <= self.n:
            return
        n0 = self.n + 1
        A = poly_values(self.a, n0, N)
        B = poly_values(self.b, n0, N)
        try:
            kz = B.index(0)
        except ValueError:
            kz = -1
        if kz >= 0:
            self.terminated_at = n0 + kz
            N = n0 + kz - 1
            if N < n0:
                return
        p, q, p1, q1 = self.p, self.q, self.p1, self.q1
        i = 0
        for pt in _grid(n0, N):
            j = pt - n0 + 1
            p, q, p1, q1 = self._stretch(A, B, i, j, p, q, p1, q1)
            i = j
            self._sample(pt, A[j - 1], p, q, p1, q1)
        self.p, self.q, self.p1, self.q1, self.n = p, q, p1, q1, N

    def _stretch(self, A, B, i, j, p, q, p1, q1):
        """Apply the terms ``A[i:j]``, ``B[i:j]`` to the convergents, one term at a time."""
        for an, bn in zip(A[i:j], B[i:j]):
            p, p1 = an * p + bn * p1, p
            q, q1 = an * q + bn * q1, q
        return p, q, p1, q1

    def _sample(self, n, an, p, q, p1, q1) -> None:
        if q == 0 or q1 == 0:
            self.samples.append((n, math.inf, False))
            return
        y = log10_abs(p * q1 - p1 * q) - log10_abs(q) - log10_abs(q1)
        r = an * q1 - q          # delta_n/delta_{n-1} = r/q
        self.samples.append((n, y, (r > 0) != (q > 0) and r != 0))

    def value_log10(self) -> float:
        """``log10|x_n|`` (-inf if ``p_n = 0``, nan if ``q_n = 0``)."""
        if self.q == 0:
            return math.nan
        return log10_abs(self.p) - log10_abs(self.q)


@dataclass
class Estimate:
    """Result of :func:`estimate` at depth ``n`` (all logs base 10)."""

    n: int
    log_err: float                   # log10 of the estimated |x - x_n|
    log_step: float                  # log10|x_n - x_{n-1}|
    kind: str = "none"               # "geometric", "algebraic" or "none"
    rate: float = 0.0                # digits per term (least squares, second half)
    exponent: float = 0.0            # k of delta_n ~ n**-k (least squares, second half)
    alternating: bool = False
    points: int = 0
    detail: dict = field(default_factory=dict)

    def project(self, depth: int, log_x: float) -> float:
        """Optimistic digits supported at ``depth``: the current ones plus ``rate`` per term."""
        now = log_x - self.log_err if math.isfinite(self.log_err) else 0.0
        return now + max(self.rate, 0.0) * max(depth - self.n, 0)

    def as_dict(self) -> dict:
        return {"kind": self.kind, "digits_per_term": round(self.rate, 6),
                "exponent": round(self.exponent, 4), "alternating": self.alternating,
                "points": self.points, "log10_step": round(self.log_step, 3),
                "log10_error": round(self.log_err, 3) if math.isfinite(self.log_err) else None}


def _fit(xs, ys):
    """Least-squares line: (slope, intercept, residuals)."""
    xm = sum(xs) / len(xs)
    ym = sum(ys) / len(ys)
    sxx = sum((x - xm) ** 2 for x in xs)
    if sxx == 0:
        return 0.0, ym, [y - ym for y in ys]
    s = sum((x - xm) * (y - ym) for x, y in zip(xs, ys)) / sxx
    c = ym - s * xm
    return s, c, [y - (s * x + c) for x, y in zip(xs, ys)]


def estimate(runner: Runner) -> Estimate:
    """Estimate ``log10|x - x_N|`` at the runner's depth ``N`` (see the module docstring)."""
    N = runner.n
    if not runner.samples or runner.samples[-1][0] != N:
        return Estimate(N, math.inf, math.inf)
    last = runner.samples[-1][1]
    win = [s for s in runner.samples if s[0] >= N / 2]
    if len(win) < 4:
        win = runner.samples[-4:]
    fin = [s for s in win if math.isfinite(s[1])]
    if not math.isfinite(last) or len(fin) < 2:
        return Estimate(N, math.inf, last, points=len(fin))
    ns = [float(s[0]) for s in fin]
    ys = [s[1] for s in fin]
    sg, cg, rg = _fit(ns, ys)
    sa, ca, ra = _fit([math.log10(x) for x in ns], ys)
    rms_g = math.sqrt(sum(r * r for r in rg) / len(rg))
    rms_a = math.sqrt(sum(r * r for r in ra) / len(ra))
    if rms_g <= rms_a:
        kind, env = "geometric", sg * N + cg + max(0.0, max(rg))
    else:
        kind, env = "algebraic", sa * math.log10(N) + ca + max(0.0, max(ra))
    env = max(env, last)
    alternating = len(win) >= 2 and all(s[2] for s in win)
    k = -sa
    if alternating:
        log_err = env
    elif k > 1.0 + 1e-9:
        log_err = env + max(0.0, math.log10(N / (k - 1.0))) + _LOG10_2   # x2 for fit noise
    else:
        log_err = math.inf
    return Estimate(N, log_err, last, kind, -sg, k, alternating, len(fin))


def ratio_str(p, q, sig: int) -> str:
    """``p/q`` to ``sig`` significant digits (mpmath's ``nstr`` format).

    >>> ratio_str(1, 3, 5)
    '0.33333'
    """
    if q == 0:
        return "nan"
    with mpmath.workdps(sig + 10):
        return mpmath.nstr(mpmath.mpf(int(p)) / int(q), sig)


def _next_depth(est: Estimate, N: int, deficit: float, max_depth: int) -> int:
    """Depth to try next: where the fitted convergence predicts ``deficit`` more digits, at least
    ``N + 8`` and at most ``2 N``."""
    if not math.isfinite(est.log_err) or deficit <= 0:
        nxt = 2 * N
    elif est.kind == "geometric" and est.rate > 0:
        nxt = int(N + 1.15 * deficit / est.rate) + 4
    elif est.kind == "algebraic" and est.exponent > 1:
        # the power can be astronomically large for a barely converging fit: cap it first
        power = min(deficit / (est.exponent - 1.0), 12.0)
        nxt = int(N * 10 ** power * 1.1) + 4
    else:
        nxt = 2 * N
    return max(N + 8, min(nxt, 2 * N, max_depth)) if N < max_depth else N


def _step_over_zero_q(runner: Runner) -> str | None:
    """If ``q_N`` or ``q_{N-1}`` vanishes, step on (at most three times); a message if
    denominators keep vanishing (then the convergents have no limit worth computing)."""
    zeros = set()
    for _ in range(3):
        if runner.terminated_at is not None or (runner.q != 0 and runner.q1 != 0):
            return None
        if runner.q == 0 and runner.q1 == 0:
            return f"vanishing denominator: q_n = 0 for all n >= {runner.n - 1}"
        zeros.add(runner.n if runner.q == 0 else runner.n - 1)
        runner.advance(runner.n + 1)
    if runner.terminated_at is not None or (runner.q != 0 and runner.q1 != 0):
        return None
    zeros.add(runner.n if runner.q == 0 else runner.n - 1)
    return f"vanishing denominators: q_n = 0 at n = {', '.join(map(str, sorted(zeros)))}"


def _drive(runner: Runner, goal_digits: float, max_depth: int, start: int, give_up,
           ) -> tuple[Estimate | None, str | None]:
    """Advance ``runner`` until ``goal_digits`` are supported, ``give_up(est, log_x)`` says
    stop, or ``max_depth`` is reached. Returns the last estimate and a failure message."""
    N = min(start, max_depth)
    est = None
    while True:
        runner.advance(N)
        if runner.terminated_at is not None:
            return est, f"PCF terminates at n={runner.terminated_at}: rational value"
        msg = _step_over_zero_q(runner)
        if msg:
            return est, msg
        if runner.terminated_at is not None:
            return est, f"PCF terminates at n={runner.terminated_at}: rational value"
        est = estimate(runner)
        log_x = runner.value_log10()
        if not math.isfinite(log_x):      # x_N = 0: use absolute error
            log_x = 0.0
        have = log_x - est.log_err
        if have >= goal_digits or runner.n >= max_depth or give_up(est, log_x):
            return est, None
        N = _next_depth(est, runner.n, goal_digits - have, max_depth)


def _hopeless(goal: float, max_depth: int):
    def check(est: Estimate, log_x: float) -> bool:
        return est.n >= 256 and est.project(max_depth, log_x) < goal - 1
    return check


def compute_limit(a, b, digits: int, max_depth: int, runner_cls=None):
    """The limit to ``digits`` significant digits: ``(mpf, depth, digits_supported)``, or raise
    :class:`discover.errors.VerificationError` saying how far it got. ``runner_cls`` (default
    :class:`Runner`) may be :class:`~discover_plugins.cf.binsplit.DeepRunner`."""
    from discover.errors import VerificationError

    runner = (runner_cls or Runner)(a, b)
    goal = digits + 2
    est, msg = _drive(runner, goal, max_depth, 32, _hopeless(goal, max_depth))
    if msg:
        raise VerificationError(f"PCF(a={list(a)}, b={list(b)}): {msg}")
    log_x = runner.value_log10()
    have = (log_x if math.isfinite(log_x) else 0.0) - est.log_err
    if have < goal:
        reached = max(0.0, have) if math.isfinite(have) else 0.0
        raise VerificationError(
            f"PCF(a={list(a)}, b={list(b)}) reaches only {reached:.1f} digits at depth "
            f"{runner.n} (max_depth={max_depth}); {digits} requested")
    with mpmath.workdps(digits + 10):
        return mpmath.mpf(int(runner.p)) / int(runner.q), runner.n, have


def _exact_claimed(claimed, digits: int):
    """``claimed`` as an exact dyadic rational ``(num, den)`` and an mpf."""
    if isinstance(claimed, str):
        from discover.constants import default_registry

        claimed = default_registry().evaluate(claimed, digits + 30)
    if isinstance(claimed, type(gmpy2.mpfr(0))):
        n_, d_ = claimed.as_integer_ratio()
        with mpmath.workprec(max(claimed.precision, 64)):
            return int(n_), int(d_), mpmath.mpf(int(n_)) / int(d_)
    if not isinstance(claimed, mpmath.mpf):
        with mpmath.workdps(digits + 30):
            claimed = mpmath.mpf(claimed)
    sign, man, exp, _ = claimed._mpf_
    if not man and exp:
        raise ValueError(f"claimed value {claimed} is not a finite number")
    man = -int(man) if sign else int(man)
    if exp >= 0:
        return man << exp, 1, claimed
    return man, 1 << (-exp), claimed


def run_verify(a, b, claimed, digits: int, max_depth: int, runner_cls=None):
    """Core of :meth:`PCF.verify`; returns the fields of a Verdict as a dict."""
    t0 = time.perf_counter()
    cn, cd, cval = _exact_claimed(claimed, digits)
    cap = float(digits + 20)
    log_c = log10_abs(cn) - log10_abs(cd) if cn else None
    runner = (runner_cls or Runner)(a, b)
    goal = digits + 5

    def agreement() -> float:
        if log_c is None:            # claimed 0: absolute agreement
            return min(cap, -runner.value_log10()) if runner.p else cap
        diff = runner.p * cd - cn * runner.q
        if diff == 0:
            return cap
        return min(cap, log10_abs(cn) + log10_abs(runner.q) - log10_abs(diff))

    hopeless = _hopeless(goal, max_depth)

    def give_up(est: Estimate, log_x: float) -> bool:
        # the mismatch is resolved: 2 more digits supported than agree, and no hope of equality
        supported = log_x - est.log_err
        agree = agreement()
        return (supported >= agree + 2 and agree < digits) or hopeless(est, log_x)

    est, msg = _drive(runner, goal, max_depth, 32, give_up)
    claimed_str = mpmath.nstr(cval, digits + 2)
    out = {"required": digits, "method": "exact convergents (gmpy2)", "claimed": claimed_str,
           "depth": runner.n, "convergence_rate": None, "extra": {}}
    if msg:
        value = ratio_str(runner.p, runner.q, digits + 2) if runner.q != 0 else "nan"
        out.update(equal=False, digits=0.0, value=value, reason=msg)
        if runner.terminated_at is not None:
            out["extra"] = {"terminates_at": runner.terminated_at,
                            "rational": f"{int(runner.p)}/{int(runner.q)}"}
        out["seconds"] = time.perf_counter() - t0
        return out
    log_x = runner.value_log10()
    log_x = log_x if math.isfinite(log_x) else 0.0
    supported = max(0.0, min(cap, log_x - est.log_err)) if math.isfinite(est.log_err) else 0.0
    agree = max(0.0, agreement())
    got = min(agree, supported)
    equal = agree >= digits and supported >= digits
    if equal:
        reason = f"agrees to {got:.1f} digits (required {digits})"
    elif agree < digits and agree + 1 < supported:
        reason = f"agrees to {agree:.1f} digits, needs {digits}"
    else:
        reason = f"convergence supports only {supported:.1f} digits at depth {runner.n}"
        if runner.n < max_depth:
            reason += (f" (stopped early: the fitted rate projects fewer than {digits} digits "
                       f"at max_depth={max_depth})")
    out.update(equal=bool(equal), digits=float(got), value=ratio_str(runner.p, runner.q,
                                                                      digits + 2),
               reason=reason, convergence_rate=est.rate if est.points >= 2 else None)
    out["extra"] = {"error_fit": est.as_dict(), "agreeing_digits": round(agree, 2),
                    "supported_digits": round(supported, 2)}
    out["seconds"] = time.perf_counter() - t0
    return out


def extrapolate(a, b, n0: int = 1000, step: int = 100, orders=(8, 12), dps: int = 120):
    """Richardson (Neville) extrapolation in ``1/n`` of exact convergents ``x_{n0 + j*step}``.

    For slowly (algebraically) converging PCFs whose convergents have an asymptotic expansion
    ``x_n ~ x + c_1/n + c_2/n**2 + ...``. ``step`` should be even so that all nodes have the
    same parity (alternating PCFs have separate expansions for even and odd ``n``). Returns
    ``(value, digits)`` where ``digits = -log10|E_K - E_K'|/|E_K|`` compares the two orders,
    a heuristic, not a bound.

    >>> v, d = extrapolate((1,), (1, 0, 0), n0=200, step=20, orders=(6, 10))   # 1/log(2)
    >>> d > 12 and abs(v - 1 / mpmath.log(2)) < 1e-12
    True
    """
    K = max(orders)
    nodes = [n0 + j * step for j in range(K)]
    runner = Runner(a, b)
    xs = []
    with mpmath.workdps(dps):
        for n in nodes:
            runner.advance(n)
            if runner.terminated_at is not None or runner.q == 0:
                raise ValueError("extrapolation needs a non-terminating PCF with q_n != 0")
            xs.append(mpmath.mpf(int(runner.p)) / int(runner.q))
        res = []
        for k in orders:
            h = [mpmath.mpf(1) / n for n in nodes[:k]]
            t = list(xs[:k])
            for m in range(1, k):           # Neville's scheme evaluated at h = 0
                for i in range(k - m):
                    t[i] = (h[i] * t[i + 1] - h[i + m] * t[i]) / (h[i] - h[i + m])
            res.append(t[0])
        best = res[-1]
        diff = abs(res[-1] - res[0])
        digits = float(-mpmath.log10(diff / abs(best))) if diff and best else float(dps)
        return +best, min(digits, float(dps))
