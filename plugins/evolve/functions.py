"""Target functions of the evolve plugin: the safe list, their domains, and cached references.

Each target has an mpmath implementation (the high-precision reference), an arb implementation
(for rigorous bounds with python-flint) and a domain rule. An interval is accepted only if the
function is finite on the whole closed interval.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import mpmath
import numpy as np

from discover.errors import DiscoverError

__all__ = ["EvolveError", "Target", "TARGETS", "get_target", "reference", "dd_reference"]


class EvolveError(DiscoverError, ValueError):
    """Bad input to ``discover evolve``: the message names the value and the valid choices."""


def _arb_exp2(x):
    import flint
    return (x * flint.arb(2).log()).exp()


def _arb_series_exp2(s):
    import flint
    return (s * flint.arb(2).log()).exp()


def _series(name):
    def f(s):
        return getattr(s, name)()
    return f


def _arb(name):
    def f(x):
        return getattr(x, name)()
    return f


def _series_log1p(s):
    return (s + 1).log()


def _series_tanh(s):
    e = (2 * s).exp()
    return (e - 1) / (e + 1)


def _series_sinh(s):
    e = s.exp()
    return (e - 1 / e) / 2


def _series_cosh(s):
    e = s.exp()
    return (e + 1 / e) / 2


def _series_expm1(s):
    return s.exp() - 1


def _series_log2(s):
    import flint
    return s.log() / flint.arb(2).log()


def _series_cbrt(s):
    return (s.log() / 3).exp()


# domain rules: a function of (a, b) returning None when the function is finite on [a, b], or a
# sentence saying why not
def _positive(a, b):
    return None if a > 0 else "it is defined (finite) only for x > 0: choose A > 0"


def _nonneg(a, b):
    return None if a >= 0 else "it is real only for x >= 0: choose A >= 0"


def _gt_minus_one(a, b):
    return None if a > -1 else "it is finite only for x > -1: choose A > -1"


def _tan_ok(a, b):
    k = math.ceil((a - math.pi / 2) / math.pi)
    pole = math.pi / 2 + k * math.pi
    return None if pole > b else f"tan has a pole at {pole:.6g} inside the interval"


def _gamma_ok(a, b):
    if a > 0:
        return None
    if math.floor(b) >= math.ceil(a) and math.ceil(a) <= 0:
        return ("gamma has poles at 0, -1, -2, ...: choose an interval that contains none "
                "(e.g. A > 0)")
    return None


def _asin_ok(a, b):
    return None if -1 <= a and b <= 1 else "it is real only on [-1, 1]"


def _always(a, b):
    return None


@dataclass(frozen=True)
class Target:
    name: str
    mp: Callable
    arb: Callable
    series: Callable
    domain: Callable
    odd: bool = False
    np: Callable | None = None      # float64 numpy version (exhaustive float32 checks)
    # f(x) = x^(n/d) with a cheap algebraic defining equation y^d = x^n (the Newton-step move):
    # (n, d) for 1/x, sqrt, 1/sqrt, cbrt, 1/cbrt; None otherwise
    power: tuple | None = None


TARGETS: dict[str, Target] = {t.name: t for t in [
    Target("exp", mpmath.exp, _arb("exp"), _series("exp"), _always),
    Target("exp2", lambda x: mpmath.power(2, x), _arb_exp2, _arb_series_exp2, _always),
    Target("expm1", mpmath.expm1, _arb("expm1"), _series_expm1, _always),
    Target("log", mpmath.log, _arb("log"), _series("log"), _positive),
    Target("log2", lambda x: mpmath.log(x, 2), lambda x: x.log() / x.const_log2(),
           _series_log2, _positive),
    Target("log1p", mpmath.log1p, _arb("log1p"), _series_log1p, _gt_minus_one),
    Target("sin", mpmath.sin, _arb("sin"), _series("sin"), _always, True),
    Target("cos", mpmath.cos, _arb("cos"), _series("cos"), _always),
    Target("tan", mpmath.tan, _arb("tan"), _series("tan"), _tan_ok, True),
    Target("atan", mpmath.atan, _arb("atan"), _series("atan"), _always, True),
    Target("asin", mpmath.asin, _arb("asin"), _series("asin"), _asin_ok, True),
    Target("sinh", mpmath.sinh, _arb("sinh"), _series_sinh, _always, True),
    Target("cosh", mpmath.cosh, _arb("cosh"), _series_cosh, _always),
    Target("tanh", mpmath.tanh, _arb("tanh"), _series_tanh, _always, True),
    Target("erf", mpmath.erf, _arb("erf"), _series("erf"), _always, True),
    Target("erfc", mpmath.erfc, _arb("erfc"), _series("erfc"), _always),
    Target("sqrt", mpmath.sqrt, _arb("sqrt"), _series("sqrt"), _nonneg, power=(1, 2)),
    Target("cbrt", mpmath.cbrt, lambda x: x.root(3), _series_cbrt, _positive, power=(1, 3)),
    Target("gamma", mpmath.gamma, _arb("gamma"), _series("gamma"), _gamma_ok),
]}


# functions of a target expression: mpmath is the reference; arb / arb_series (python-flint)
# give the rigorous bounds
_EXPR_FUNCS = {
    "exp": "exp", "log": "log", "ln": "log", "sqrt": "sqrt", "sin": "sin", "cos": "cos",
    "tan": "tan", "atan": "atan", "asin": "asin", "acos": "acos", "sinh": "sinh",
    "cosh": "cosh", "tanh": "tanh", "erf": "erf", "gamma": "gamma", "abs": None,
}


def _expr_eval(node, x, kind):
    """Evaluate a parsed expression (``discover.safeexpr.Expr``) at ``x`` with mpmath
    (``kind='mp'``) or python-flint (``'arb'``, ``'series'``)."""
    import flint

    op, args = node.op, node.args
    if kind == "np":
        return _expr_np(node, x)
    if op == "num":
        return mpmath.mpf(args[0]) if kind == "mp" else flint.arb(args[0])
    if op == "name":
        name = args[0]
        if name == "x":
            return x
        if kind == "mp":
            return {"pi": mpmath.pi, "E": mpmath.e}[name] * 1
        return {"pi": flint.arb.pi(), "E": flint.arb(1).exp()}[name]
    if op == "call":
        fn = args[0]
        vals = [_expr_eval(a, x, kind) for a in args[1:]]
        if kind == "mp":
            from discover.safeexpr import FUNCTIONS

            return FUNCTIONS[fn][1](*vals)
        meth = _EXPR_FUNCS.get(fn)
        if meth is None or len(vals) != 1:
            raise EvolveError(f"function {fn!r} in the target expression has no rigorous "
                              f"(arb) implementation; use one of "
                              f"{', '.join(k for k, v in _EXPR_FUNCS.items() if v)}")
        v = vals[0]
        if kind == "series" and meth in ("tanh", "sinh", "cosh"):
            e = v.exp()
            return {"tanh": (e * e - 1) / (e * e + 1), "sinh": (e - 1 / e) / 2,
                    "cosh": (e + 1 / e) / 2}[meth]
        if kind == "series" and meth == "erf":
            raise EvolveError("erf inside an expression has no series implementation here; "
                              "use the corpus name erf")
        return getattr(v, meth)()
    vals = [_expr_eval(a, x, kind) for a in args]
    if op == "neg":
        return -vals[0]
    if op == "+":
        return vals[0] + vals[1]
    if op == "-":
        return vals[0] - vals[1]
    if op == "*":
        return vals[0] * vals[1]
    if op == "/":
        return vals[0] / vals[1]
    if op == "^":
        base, ex = vals
        if args[1].op == "num" and float(args[1].args[0]).is_integer():
            n = int(float(args[1].args[0]))
            if kind == "mp":
                return mpmath.power(base, n)
            out = base ** 0 if kind != "series" else base * 0 + 1
            p = base if n >= 0 else 1 / base
            for _ in range(abs(n)):
                out = out * p
            return out
        if kind == "mp":
            return mpmath.power(base, ex)
        return (ex * base.log()).exp()
    raise EvolveError(f"internal: unknown node {op!r}")


_NP_FUNCS = {"exp": np.exp, "log": np.log, "ln": np.log, "sqrt": np.sqrt, "sin": np.sin,
             "cos": np.cos, "tan": np.tan, "atan": np.arctan, "asin": np.arcsin,
             "acos": np.arccos, "sinh": np.sinh, "cosh": np.cosh, "tanh": np.tanh,
             "abs": np.abs, "cbrt": np.cbrt}


def _expr_np(node, x):
    """The expression in float64 with numpy (the reference of the exhaustive float32 check:
    its error, a few float64 ULPs, is ~2^-28 float32 ULP); None if a function has no numpy
    counterpart."""
    op, args = node.op, node.args
    if op == "num":
        return np.float64(float(args[0]))
    if op == "name":
        return x if args[0] == "x" else {"pi": np.pi, "E": np.e}[args[0]]
    if op == "call":
        fn = _NP_FUNCS.get(args[0])
        vals = [_expr_np(a, x) for a in args[1:]]
        if fn is None or len(vals) != 1 or any(v is None for v in vals):
            return None
        return fn(vals[0])
    vals = [_expr_np(a, x) for a in args]
    if any(v is None for v in vals):
        return None
    with np.errstate(all="ignore"):
        if op == "neg":
            return -vals[0]
        return {"+": np.add, "-": np.subtract, "*": np.multiply, "/": np.divide,
                "^": np.power}[op](vals[0], vals[1])


def expression_target(text: str) -> Target:
    """A target from a safe expression in x (``"1/sqrt(x)"``, ``"log(1+x)/x"``), parsed by
    :mod:`discover.safeexpr` (never eval'd); the reference is mpmath."""
    from discover.errors import ExpressionError
    from discover.safeexpr import parse

    try:
        expr = parse(text, allow_any_name=True)
    except ExpressionError as err:
        raise EvolveError(f"function {text!r}: not a corpus name ({', '.join(sorted(TARGETS))})"
                          f" and not a valid expression in x: {err}") from None
    other = sorted(expr.names() - {"x", "pi", "E"})
    if expr.op == "name" and other:
        raise EvolveError(f"unknown function {text!r}; valid choices: "
                          f"{', '.join(sorted(TARGETS))}, or an expression in x such as "
                          f"\"1/sqrt(x)\"")
    if other:
        raise EvolveError(f"function {text!r}: the expression must be a function of x alone, "
                          f"it uses {', '.join(other)} (fix: write it in terms of x, with "
                          f"numbers for the other quantities)")
    if "x" not in expr.names():
        raise EvolveError(f"function {text!r}: the expression does not depend on x")

    def mp(x):
        return _expr_eval(expr, mpmath.mpf(x), "mp")

    probe = _expr_np(expr, np.array([0.5]))
    return Target(text, mp, lambda v: _expr_eval(expr, v, "arb"),
                  lambda s: _expr_eval(expr, s, "series"), _always,
                  np=None if probe is None else (lambda v: _expr_np(expr, v)),
                  power=power_of(mp))


# the powers x^(n/d) whose defining equation y^d = x^n gives a cheap Newton step
NEWTON_POWERS = ((-1, 1), (1, 2), (-1, 2), (1, 3), (-1, 3))


def power_of(mp: Callable):
    """``(n, d)`` when ``mp`` (a function of one mpmath number) is ``x^(n/d)`` for one of
    :data:`NEWTON_POWERS` (checked at 30 digits at x = 2, 3 and 7, whatever the expression's
    form: ``1/sqrt(x)``, ``x^-0.5``, ``sqrt(x)/x``), else None."""
    with mpmath.workdps(30):
        try:
            vals = [(x, mp(mpmath.mpf(x))) for x in (2, 3, 7)]
        except (ZeroDivisionError, ValueError, ArithmeticError, TypeError):
            return None
        for n, d in NEWTON_POWERS:
            if all(isinstance(v, mpmath.mpf) and v > 0
                   and abs(v / mpmath.power(x, mpmath.mpf(n) / d) - 1) < mpmath.mpf(10) ** -25
                   for x, v in vals):
                return (n, d)
    return None


def get_target(name: str, a: float, b: float, *, relative: bool = True) -> Target:
    """The target ``name`` (a corpus name or an expression in x) checked on ``[a, b]``; bad
    input raises :class:`EvolveError` naming the argument and the fix."""
    t = TARGETS.get(name)
    if t is None:
        t = expression_target(name)
    if not (math.isfinite(a) and math.isfinite(b)) or not a < b:
        raise EvolveError(f"--interval: [{a}, {b}] is not valid: need finite A < B")
    why = t.domain(a, b)
    if why:
        raise EvolveError(f"{name} is not finite on [{a}, {b}]: {why}")
    if relative:
        with mpmath.workdps(30):
            signs = set()
            for x in np.linspace(a, b, 257):
                try:
                    v = t.mp(mpmath.mpf(float(x)))
                except (ZeroDivisionError, ValueError, ArithmeticError):
                    v = mpmath.inf
                if not mpmath.isfinite(v) or isinstance(v, mpmath.mpc) or abs(v) > 1e300:
                    raise EvolveError(f"--interval: {name} is not finite (or not real) at "
                                      f"x = {x:.6g} in [{a}, {b}] (fix: choose an interval "
                                      f"inside its domain)")
                if v != 0:
                    signs.add(v > 0)
            if len(signs) > 1 and not (a <= 0 <= b and t.mp(mpmath.mpf(0)) == 0):
                raise EvolveError(f"--interval: {name} changes sign on [{a}, {b}]; the "
                                  f"relative error is not defined across its zero (fix: "
                                  f"choose an interval on one side of it, or one that ends "
                                  f"at the zero; an odd function crossing 0 at x = 0 is fine)")
        return t
    return t


_CACHE: dict = {}


def dd_reference(target: Target, xs: np.ndarray, dps: int = 50):
    """``f(xs)`` at ``dps`` digits as a double-double pair ``(hi, lo)``; cached per grid."""
    xs = np.ascontiguousarray(xs, dtype=np.float64)
    key = (target.name, dps, xs.shape[0], hash(xs.tobytes()))
    hit = _CACHE.get(key)
    if hit is not None:
        return hit
    path = None
    if xs.size >= 10_000:   # dense grids are also cached on disk
        import hashlib
        from pathlib import Path

        import platformdirs
        digest = hashlib.sha256(xs.tobytes() + f"{target.name}:{dps}".encode()).hexdigest()[:24]
        path = Path(platformdirs.user_cache_dir("discover")) / "evolve" / f"{digest}.npy"
        try:
            arr = np.load(path)
            _CACHE[key] = (arr[0], arr[1])
            return _CACHE[key]
        except (OSError, ValueError):
            pass
    hi = np.empty_like(xs)
    lo = np.empty_like(xs)
    f = target.mp
    with mpmath.workdps(dps):
        for i, x in enumerate(xs.tolist()):
            v = f(mpmath.mpf(x))
            h = float(v)
            hi[i] = h
            lo[i] = float(v - h)
    if len(_CACHE) > 64:
        _CACHE.clear()
    _CACHE[key] = (hi, lo)
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            np.save(path, np.stack([hi, lo]))
        except OSError:
            pass
    return hi, lo


def reference(target: Target, xs: np.ndarray, dps: int = 30) -> np.ndarray:
    return dd_reference(target, xs, dps)[0]
