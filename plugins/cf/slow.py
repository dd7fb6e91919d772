"""Slowly (algebraically) converging PCFs: limits and verification by extrapolation.

Many published PCFs converge like a power of ``1/n``: for ``a(n)`` constant and ``b(n) = beta n^2
+ ...`` the convergents satisfy ``x_n - x ~ (-1)^n n^(-alpha) (c_0 + c_1/n + c_2/n^2 + ...)`` with
``alpha = a/sqrt(beta)``, and Euler's continued fractions of series such as ``zeta(2)`` have
``x_n - x ~ n^-alpha (c_0 + c_1/n + ...)`` without the sign. Exact convergents at depth
``10**4`` then give only a few digits, but the error *expansion* can be removed:

1. **Exact convergents in windows.** At depths ``N`` (doubling) the convergent ``p_N/q_N`` is
   computed exactly by binary splitting (:mod:`~discover_plugins.cf.binsplit`), then ``2K``
   more terms one by one. Only values of one parity, ``s_j = x_(N+2j)``, are extrapolated, so
   an alternating sign is no obstacle.
2. **The expansion is measured, not assumed.** The signs of the steps ``x_(n+1) - x_n`` in
   the window say *alternating* or *monotone* (anything else: *oscillating*, refused); the
   local exponent ``alpha`` comes from the step sizes at two depths (steps that do not shrink:
   *diverges*, refused); a ``b(k) = 0`` at a positive integer means the PCF *terminates*
   (rational value, refused).
3. **Two accelerators.** ``richardson``: Neville's scheme in ``h = 1/n`` at ``h = 0`` (exact
   for an expansion in integer powers of ``1/n``, of any starting power ``alpha``);
   ``levin``: the Levin-type transform with remainder estimate ``omega_j = n_j (s_(j+1) -
   s_j)``, ``x = L(s/omega)/L(1/omega)`` with ``L`` the divided difference in ``h`` of order
   ``K - 1`` (exact for ``s_j = x + omega_j P(1/n_j)``, which also covers non-integer
   ``alpha``). Working precision is the requested digits plus the size of the extrapolation
   weights (computed, not guessed), so cancellation never eats the digits.
4. **The error estimate** of an accelerator at depth ``N`` and order ``K`` is the largest of
   ``|E(N, K) - E(N, K')|`` (a lower order ``K' < K``) and ``|E(N, K) - E(N/2, K)|`` (half the
   depth): each compares the answer with a strictly worse one, so it bounds the error of the
   better one as long as the extrapolation converges at all. The estimate is accepted only if
   the lower orders also agree less well (the scheme converges in the order), otherwise the
   expansion does not fit and that accelerator supports nothing. When both accelerators support
   some digits they must agree with each other to that many digits; the reported digits never
   exceed their mutual agreement.

The result is a heuristic (no finite computation proves a limit) but every digit it reports is
backed by two independent comparisons; a claimed value that differs at the 20th or 35th digit is
rejected exactly like on the geometric path (tests/test_cf_slow.py).

>>> r = extrapolated_limit((3,), (1, 1, 0), 30)                 # 2/(10 - 3 pi)
>>> r.status, r.digits >= 30, r.alternating, round(r.exponent)
('ok', True, True, 3)
>>> with mpmath.workdps(60):
...     bool(abs(r.value - 2 / (10 - 3 * mpmath.pi)) < mpmath.mpf(10) ** -30)
True
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import mpmath

from .binsplit import convergent_pair
from .convergence import poly_values

__all__ = ["SlowResult", "extrapolated_limit", "verify_extrapolated", "positive_integer_root",
           "ACCELERATORS"]

ACCELERATORS = ("richardson", "levin")


@dataclass
class SlowResult:
    """Outcome of :func:`extrapolated_limit`.

    ``status`` is ``"ok"`` (``value`` holds the extrapolated limit, ``digits`` the digits the
    error estimate supports, relative to the value), ``"terminates"`` (``b(k) = 0``: rational
    value), ``"diverges"``, ``"oscillates"``, ``"vanishing"`` (``q_n = 0`` in a window) or
    ``"no-fit"`` (no accelerator converges: the error is not a power series in ``1/n`` times
    ``n^-alpha``, e.g. logarithmic terms).
    """

    status: str
    value: mpmath.mpf | None = None
    digits: float = 0.0
    depth: int = 0
    accelerator: str = ""
    order: int = 0
    exponent: float = math.nan
    alternating: bool = False
    reason: str = ""
    seconds: float = 0.0
    table: list = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"status": self.status, "digits": round(self.digits, 2), "depth": self.depth,
                "accelerator": self.accelerator, "order": self.order,
                "exponent": None if not math.isfinite(self.exponent) else round(self.exponent, 4),
                "alternating": self.alternating, "reason": self.reason,
                "estimates": self.table}


def positive_integer_root(b, upto: int) -> int | None:
    """The smallest ``k`` in ``1..upto`` with ``b(k) = 0``, or None (integer roots divide the
    lowest nonzero coefficient, so only its divisors are tried).

    >>> positive_integer_root((1, -7, 12), 100), positive_integer_root((1, 0, 1), 100)
    (3, None)
    """
    coeffs = [int(c) for c in b]
    if not any(coeffs):
        return 1
    while coeffs[-1] == 0:          # b(n) = n^k c(n): n = 0 is no positive root
        coeffs.pop()
    c0 = abs(coeffs[-1])
    cands = set()
    d = 1
    while d * d <= c0:
        if c0 % d == 0:
            cands.update((d, c0 // d))
        d += 1
    for k in sorted(cands):
        if k > upto:
            break
        if poly_values(tuple(coeffs), k, k)[0] == 0:
            return k
    return None


def _window(a, b, N: int, length: int):
    """Exact ``(p_n, q_n)`` for ``n = N .. N + length - 1``."""
    p, q, p1, q1 = convergent_pair(a, b, N)
    A = poly_values(a, N + 1, N + length - 1)
    B = poly_values(b, N + 1, N + length - 1)
    out = [(p, q)]
    for an, bn in zip(A, B):
        p, p1 = an * p + bn * p1, p
        q, q1 = an * q + bn * q1, q
        out.append((p, q))
    return out


def _weights_log10(N: int, K: int) -> float:
    """log10 of the largest Lagrange weight at h = 0 for the nodes ``h = 1/(N + 2j)``,
    ``j < K``: ``prod_(i != j) n_j / |n_j - n_i|`` (bounds the cancellation)."""
    best = 0.0
    for j in range(K):
        nj = N + 2 * j
        s = (K - 1) * math.log10(nj) - (K - 1) * math.log10(2)
        s -= (math.lgamma(j + 1) + math.lgamma(K - j)) / math.log(10)
        best = max(best, s)
    return best


def _richardson(hs, vs):
    t = list(vs)
    k = len(t)
    for m in range(1, k):
        for i in range(k - m):
            t[i] = (hs[i] * t[i + 1] - hs[i + m] * t[i]) / (hs[i] - hs[i + m])
    return t[0]


def _levin(hs, vs, ns):
    """``L(s/omega)/L(1/omega)``, ``omega_j = n_j (s_(j+1) - s_j)``; uses ``len(vs) - 1``
    nodes."""
    k = len(vs) - 1
    num = mpmath.mpf(0)
    den = mpmath.mpf(0)
    for j in range(k):
        om = ns[j] * (vs[j + 1] - vs[j])
        if om == 0:
            return None
        d = mpmath.mpf(1)
        for i in range(k):
            if i != j:
                d *= hs[j] - hs[i]
        w = 1 / (d * om)
        num += w * vs[j]
        den += w
    if den == 0:
        return None
    return num / den


def _accelerate(name: str, win_vals, N: int, K: int):
    """Accelerator ``name`` on the first ``K`` same-parity values ``x_(N+2j)``."""
    ns = [N + 2 * j for j in range(K + 1)]
    hs = [mpmath.mpf(1) / n for n in ns]
    vs = win_vals[0:2 * K + 1:2]
    if name == "richardson":
        return _richardson(hs[:K], vs[:K])
    return _levin(hs, vs[:K + 1], ns)


def _rel_digits(x, y, cap: float) -> float:
    """Digits to which ``x`` and ``y`` agree, relative to ``|x|`` (absolute if ``x = 0``)."""
    if x is None or y is None:
        return 0.0
    d = abs(x - y)
    if d == 0:
        return cap
    scale = abs(x) if x != 0 else mpmath.mpf(1)
    return max(0.0, min(cap, float(-mpmath.log10(d / scale))))


def _orders(digits: float) -> tuple[int, int, int]:
    """Orders ``(K0 < K1 < K2)`` for a goal of ``digits``: about 2.3 digits per order at depth
    1000 (measured on the published formulas), with room to spare."""
    K2 = int(min(max(16, math.ceil(digits * 0.5) + 12), 400))
    step = max(3, K2 // 6)
    return K2 - 2 * step, K2 - step, K2


class _Slow:
    """State of one extrapolation run: windows of values by depth."""

    def __init__(self, a, b, goal: float):
        self.a = tuple(int(c) for c in a)
        self.b = tuple(int(c) for c in b)
        self.goal = goal
        self.K0, self.K1, self.K2 = _orders(goal)
        self.windows: dict[int, list] = {}
        self.raw: dict[int, tuple] = {}
        self.dps = 0

    def length(self) -> int:
        return 2 * self.K2 + 3

    def values(self, N: int):
        if N not in self.raw:
            self.raw[N] = _window(self.a, self.b, N, self.length())
        need = int(self.goal + 30 + _weights_log10(N, self.K2 + 1))
        if N not in self.windows or self.dps < need:
            self.dps = max(self.dps, need)
            with mpmath.workdps(self.dps):
                self.windows[N] = [None if q == 0 else mpmath.mpf(int(p)) / int(q)
                                   for p, q in self.raw[N]]
        return self.windows[N]


def _classify(vals) -> str:
    """``"alternating"``, ``"monotone"`` or ``"oscillating"`` from the signs of the steps."""
    steps = [vals[i + 1] - vals[i] for i in range(len(vals) - 1)]
    signs = [(s > 0) - (s < 0) for s in steps]
    if all(s == 0 for s in signs):
        return "constant"
    if all(signs[i] == -signs[i + 1] != 0 for i in range(len(signs) - 1)):
        return "alternating"
    if all(s == signs[0] != 0 for s in signs):
        return "monotone"
    return "oscillating"


def _exponent(lo_vals, hi_vals, N_lo: int, N_hi: int, kind: str) -> float:
    """Local exponent ``alpha`` with ``|x_n - x| ~ n^-alpha``, from same-parity steps at two
    depths: ``|x_(n+2) - x_n| ~ 2 alpha |c| n^(-alpha-1)`` (monotone) or ``~ 2 |c| n^-alpha``
    (alternating, where consecutive steps straddle the limit)."""
    d_lo = abs(lo_vals[2] - lo_vals[0]) if kind == "monotone" else abs(lo_vals[1] - lo_vals[0])
    d_hi = abs(hi_vals[2] - hi_vals[0]) if kind == "monotone" else abs(hi_vals[1] - hi_vals[0])
    if d_lo == 0 or d_hi == 0:
        return math.inf
    slope = float(mpmath.log(d_lo / d_hi) / math.log(N_hi / N_lo))
    return slope - 1.0 if kind == "monotone" else slope


def extrapolated_limit(a, b, digits: float, max_depth: int = 2 ** 17, start: int = 512,
                       seconds: float = 60.0, stop=None) -> SlowResult:
    """The limit of a slowly converging PCF by extrapolating exact convergents (module doc).

    Depths ``start, 2 start, ...`` up to ``max_depth`` (or until ``seconds`` pass) until the
    estimate supports ``digits + 2`` digits. ``stop(result)`` may end the search early (the
    verifier stops once a mismatch is resolved). Never raises for a bad PCF: the status says
    what is wrong.
    """
    t0 = time.perf_counter()
    a = tuple(int(c) for c in a)
    b = tuple(int(c) for c in b)
    goal = float(digits) + 2
    st = _Slow(a, b, goal)
    span = st.length() + 2
    root = positive_integer_root(b, max_depth + span)
    if root is not None:
        return SlowResult("terminates", depth=root,
                          reason=f"PCF terminates at n={root} (b({root}) = 0): rational value")
    result = SlowResult("no-fit", reason="not computed")
    N_prev = None
    N = max(16, min(start, max_depth))
    while True:
        try:
            vals = st.values(N)
        except ZeroDivisionError:
            return SlowResult("vanishing", depth=N, reason=f"vanishing denominators near n={N}")
        if any(v is None for v in vals):
            bad = N + [i for i, v in enumerate(vals) if v is None][0]
            return SlowResult("vanishing", depth=bad, reason=f"q_n = 0 at n = {bad}")
        with mpmath.workdps(st.dps):
            kind = _classify(vals)
            if kind == "oscillating":
                return SlowResult("oscillates", depth=N + span,
                                  reason=f"the steps x_n - x_(n-1) change sign irregularly near "
                                         f"n={N}: the convergents oscillate")
            if kind == "constant":
                with mpmath.workdps(st.dps):
                    return SlowResult("ok", value=+vals[-1], digits=goal, depth=N + span,
                                      accelerator="none (constant convergents)",
                                      reason="the convergents are constant")
            if N_prev is not None:
                result = _estimate(st, N_prev, N, kind, t0)
                if result.status in ("diverges",):
                    return result
                if result.digits >= goal or (stop is not None and stop(result)):
                    return result
            if 2 * N > max_depth or time.perf_counter() - t0 > seconds:
                if N_prev is None:
                    result = SlowResult("no-fit", depth=N + span,
                                        reason=f"max_depth={max_depth} leaves room for one depth "
                                               f"only; extrapolation needs two")
                result.seconds = time.perf_counter() - t0
                if result.status == "ok" and result.digits < goal:
                    result.reason += (f"; stopped at depth {N + span} (max_depth={max_depth}, "
                                      f"{seconds:.0f} s budget)")
                return result
        if N_prev is not None and N_prev in st.windows and N_prev != N:
            st.windows.pop(N_prev, None)       # keep memory bounded
            st.raw.pop(N_prev, None)
        N_prev, N = N, 2 * N


def _estimate(st: _Slow, N1: int, N2: int, kind: str, t0: float) -> SlowResult:
    """Both accelerators at depths ``N1 < N2``: the better honest estimate (module doc)."""
    lo, hi = st.windows[N1], st.windows[N2]
    alpha = _exponent(lo, hi, N1, N2, kind)
    alternating = kind == "alternating"
    depth = N2 + st.length()
    if not alpha > 0.05:
        what = "oscillates" if alternating else "diverges"
        why = ("the alternating steps do not shrink" if alternating else
               "the steps shrink like 1/n or slower")
        return SlowResult(what, depth=depth, exponent=alpha, alternating=alternating,
                          reason=f"{why} (local exponent {alpha:.3f} between n={N1} and "
                                 f"n={N2}): the PCF does not converge", seconds=0.0)
    cap = st.dps - _weights_log10(N2, st.K2 + 1) - 10
    rows = []
    best = None
    for name in ACCELERATORS:
        e2 = _accelerate(name, hi, N2, st.K2)
        e1 = _accelerate(name, hi, N2, st.K1)
        e0 = _accelerate(name, hi, N2, st.K0)
        d2 = _accelerate(name, lo, N1, st.K2)
        if e2 is None or e1 is None or e0 is None or d2 is None:
            rows.append({"accelerator": name, "supported": 0.0, "fits": False})
            continue
        by_order = _rel_digits(e2, e1, cap)
        by_lower = _rel_digits(e1, e0, cap)
        by_depth = _rel_digits(e2, d2, cap)
        # the scheme must converge in the order: the lower orders agree less well
        fits = by_order >= min(by_lower, cap) + 0.5 or by_order >= cap - 1
        supported = max(0.0, min(by_order, by_depth) - 1.0) if fits else 0.0
        rows.append({"accelerator": name, "depth": N2, "orders": [st.K0, st.K1, st.K2],
                     "orders_agree": round(by_order, 2), "lower_orders_agree": round(by_lower, 2),
                     "depths_agree": round(by_depth, 2), "fits": fits,
                     "supported": round(supported, 2), "_value": e2})
        if best is None or supported > best["supported"]:
            best = rows[-1]
    values = [r for r in rows if r.get("supported", 0) > 0]
    cross = None
    if len(values) == 2:
        cross = _rel_digits(values[0]["_value"], values[1]["_value"], cap)
    for r in rows:
        r.pop("_value", None)
    if best is None or best["supported"] <= 0:
        return SlowResult("no-fit", depth=depth, exponent=alpha, alternating=alternating,
                          table=rows,
                          reason=f"no accelerator converges at depth {depth}: the error is not "
                                 f"n^-alpha times a power series in 1/n (logarithmic terms?)")
    with mpmath.workdps(st.dps):
        value = _accelerate(best["accelerator"], hi, N2, st.K2)
    digits = best["supported"]
    note = ""
    if cross is not None:
        if cross + 1.0 < digits:
            note = (f"; the two accelerators agree to only {cross:.1f} digits, so that many "
                    f"are claimed")
        digits = min(digits, cross + 1.0) if cross + 1.0 < digits else digits
    if digits < 1.0:
        return SlowResult("no-fit", depth=depth, exponent=alpha, alternating=alternating,
                          table=rows,
                          reason=f"less than one digit is supported at depth {depth}"
                                 + (f" (the accelerators agree to {cross:.1f} digits)"
                                    if cross is not None else "") + ": no consistent limit")
    shape = ("(-1)^n " if alternating else "") + f"n^-{alpha:.3f}"
    reason = (f"{best['accelerator']} extrapolation of exact convergents (error ~ {shape} "
              f"(c0 + c1/n + ...)) at depths {N1} and {N2}, orders {st.K1} and {st.K2}: "
              f"{digits:.1f} digits supported{note}")
    if cross is not None:
        reason += f"; cross-check between accelerators: {cross:.1f} digits"
    return SlowResult("ok", value=value, digits=digits, depth=depth,
                      accelerator=best["accelerator"], order=st.K2, exponent=alpha,
                      alternating=alternating, reason=reason, table=rows,
                      seconds=time.perf_counter() - t0)


def verify_extrapolated(a, b, cn: int, cd: int, cval, digits: int, max_depth: int = 2 ** 17,
                        seconds: float = 60.0) -> dict:
    """Compare the extrapolated limit with the claimed value ``cn/cd`` (exact dyadic rational,
    ``cval`` its mpf). Returns the fields of a Verdict (as
    :func:`~discover_plugins.cf.convergence.run_verify` does), method ``"extrapolated"``."""
    t0 = time.perf_counter()
    cap = float(digits + 20)

    def agreement(res: SlowResult) -> float:
        if res.value is None:
            return 0.0
        if cn == 0:
            return min(cap, float(-mpmath.log10(abs(res.value)))) if res.value else cap
        with mpmath.workdps(max(digits + 40, int(res.digits) + 40)):
            diff = abs(res.value - mpmath.mpf(cn) / cd)
            if diff == 0:
                return cap
            return min(cap, float(-mpmath.log10(diff / abs(mpmath.mpf(cn) / cd))))

    def stop(res: SlowResult) -> bool:
        ag = agreement(res)
        return res.status == "ok" and ag < digits and res.digits >= ag + 2

    res = extrapolated_limit(a, b, digits + 3, max_depth=max_depth, seconds=seconds, stop=stop)
    out = {"required": digits, "method": "extrapolated", "depth": res.depth,
           "convergence_rate": None, "slow": res}
    if res.status != "ok":
        out.update(equal=False, digits=0.0, value="nan", supported=0.0, agree=0.0,
                   reason=f"extrapolation refused: {res.reason}")
    else:
        agree = agreement(res)
        supported = max(0.0, min(cap, res.digits))
        got = min(agree, supported)
        equal = agree >= digits and supported >= digits
        if equal:
            reason = f"agrees to {got:.1f} digits (required {digits}); {res.reason}"
        elif agree < digits and agree + 1 < supported:
            reason = f"agrees to {agree:.1f} digits, needs {digits}; {res.reason}"
        else:
            reason = f"extrapolation supports only {supported:.1f} digits; {res.reason}"
        with mpmath.workdps(digits + 10):
            value = mpmath.nstr(res.value, digits + 2)
        out.update(equal=bool(equal), digits=float(got), value=value, supported=supported,
                   agree=agree, reason=reason)
    out["seconds"] = time.perf_counter() - t0
    return out
