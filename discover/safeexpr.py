"""A whitelist parser for the expressions that users type: values, polynomials, closed forms.

Nothing a user writes (in a search file, on the command line, through the Python API) is ever
handed to ``eval``, ``exec`` or ``sympify``. Text is tokenised and parsed with Python's own
``tokenize``/``ast`` modules (which only *read* code), then every node of the tree is checked
against a short whitelist: numbers, the operators ``+ - * / ^ **``, known names (constants and
the caller's variables) and a short list of functions. Anything else, attribute access, subscripts,
keywords, lambdas, comprehensions, strings, is refused with :class:`~discover.errors.ExpressionError`.

The result is a small immutable tree (:class:`Expr`) that converts to a sympy expression (built
with sympy's API, node by node) and evaluates with mpmath at any precision.

Examples
--------
>>> from discover.safeexpr import parse, parse_polynomial
>>> parse("4/pi").to_sympy()
4/pi
>>> parse_polynomial("2*n^2 + 3*n - 1")
[2, 3, -1]
>>> parse("__import__('os').system('x')")
Traceback (most recent call last):
...
discover.errors.ExpressionError: invalid expression "__import__('os').system('x')": name '__import__' is not allowed ...
"""

from __future__ import annotations

import ast
import io
import math
import operator
import re
import tokenize
from fractions import Fraction
from dataclasses import dataclass
from typing import Callable, Iterable, Mapping

import mpmath
import sympy

from . import limits as _limits
from .errors import ExpressionError, ExpressionLimitError

__all__ = ["Expr", "parse", "parse_polynomial", "FUNCTIONS", "MAX_LENGTH"]

# Defaults only: the limits in force come from discover.limits (DISCOVER_LIMIT_* variables).
MAX_LENGTH = _limits.DEFAULTS.expression_length
MAX_DEPTH = _limits.DEFAULTS.expression_depth
MAX_EXPONENT = _limits.DEFAULTS.exponent


def _mp_cbrt(x):
    return mpmath.cbrt(x)


def _sympy_zeta(*args):
    """zeta(s), Hurwitz zeta(s, a); zeta(s, a, derivative) has no sympy counterpart."""
    return sympy.zeta(*args) if len(args) <= 2 else sympy.Function("zeta")(*args)


def _sympy_stieltjes(*args):
    return sympy.stieltjes(*args)


# name -> (number of arguments, or a tuple of the accepted numbers; mpmath function; sympy
# function). The names are mpmath's, with mpmath's argument conventions (ellipk(m) takes the
# parameter m = k^2; psi(m, z) is the polygamma function; beta is Euler's beta function).
FUNCTIONS: dict[str, tuple[int | tuple[int, ...], Callable, Callable]] = {
    "sqrt": (1, mpmath.sqrt, sympy.sqrt),
    "cbrt": (1, _mp_cbrt, sympy.cbrt),
    "exp": (1, mpmath.exp, sympy.exp),
    "log": (1, mpmath.log, sympy.log),
    "ln": (1, mpmath.log, sympy.log),
    "sin": (1, mpmath.sin, sympy.sin),
    "cos": (1, mpmath.cos, sympy.cos),
    "tan": (1, mpmath.tan, sympy.tan),
    "asin": (1, mpmath.asin, sympy.asin),
    "acos": (1, mpmath.acos, sympy.acos),
    "atan": (1, mpmath.atan, sympy.atan),
    "sinh": (1, mpmath.sinh, sympy.sinh),
    "cosh": (1, mpmath.cosh, sympy.cosh),
    "tanh": (1, mpmath.tanh, sympy.tanh),
    "asinh": (1, mpmath.asinh, sympy.asinh),
    "acosh": (1, mpmath.acosh, sympy.acosh),
    "atanh": (1, mpmath.atanh, sympy.atanh),
    "zeta": ((1, 2, 3), mpmath.zeta, _sympy_zeta),
    "gamma": (1, mpmath.gamma, sympy.gamma),
    "loggamma": (1, mpmath.loggamma, sympy.loggamma),
    "psi": (2, mpmath.psi, sympy.polygamma),
    "digamma": (1, mpmath.digamma, sympy.digamma),
    "beta": (2, mpmath.beta, sympy.beta),
    "clsin": (2, mpmath.clsin, sympy.Function("clsin")),
    "clcos": (2, mpmath.clcos, sympy.Function("clcos")),
    "altzeta": (1, mpmath.altzeta, sympy.dirichlet_eta),
    "stieltjes": ((1, 2), mpmath.stieltjes, _sympy_stieltjes),
    "ellipk": (1, mpmath.ellipk, sympy.elliptic_k),
    "ellipe": (1, mpmath.ellipe, sympy.elliptic_e),
    "lambertw": (1, mpmath.lambertw, sympy.LambertW),
    "e1": (1, mpmath.e1, lambda x: sympy.expint(1, x)),
    "ei": (1, mpmath.ei, sympy.Ei),
    "barnesg": (1, mpmath.barnesg, sympy.Function("barnesg")),
    "besselk": (2, mpmath.besselk, sympy.besselk),
    "erf": (1, mpmath.erf, sympy.erf),
    "abs": (1, mpmath.fabs, sympy.Abs),
    "agm": (2, mpmath.agm, sympy.Function("agm")),
    "besseli": (2, mpmath.besseli, sympy.besseli),
    "besselj": (2, mpmath.besselj, sympy.besselj),
    "polylog": (2, mpmath.polylog, sympy.polylog),
}

# Names every expression may use without a constant registry.
_BUILTIN_NAMES: dict[str, tuple[Callable[[], object], object]] = {
    "pi": (lambda: +mpmath.mp.pi, sympy.pi),
    "E": (lambda: +mpmath.mp.e, sympy.E),
    "catalan": (lambda: +mpmath.mp.catalan, sympy.Catalan),
    "euler": (lambda: +mpmath.mp.euler, sympy.EulerGamma),
}

_BINOPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "^"}


@dataclass(frozen=True)
class Expr:
    """A parsed, whitelisted expression tree.

    ``op`` is one of ``num`` (``args == (text,)``, the literal exactly as written), ``name``
    (``args == (identifier,)``), ``neg``, ``+``, ``-``, ``*``, ``/``, ``^`` or ``call``
    (``args == (function_name, *arguments)``).
    """

    op: str
    args: tuple
    source: str = ""

    # -- inspection -------------------------------------------------------------------------
    def names(self) -> set[str]:
        """Identifiers used in the expression (constants and variables, not functions)."""
        if self.op == "name":
            return {self.args[0]}
        if self.op == "num":
            return set()
        found: set[str] = set()
        for a in self.args:
            if isinstance(a, Expr):
                found |= a.names()
        return found

    # -- conversion ------------------------------------------------------------------------
    def to_sympy(self, symbols: Mapping[str, object] | None = None) -> sympy.Expr:
        """Build the sympy expression node by node (no text is sympified).

        ``symbols`` maps names to sympy objects; a name not in it becomes ``sympy.Symbol(name)``,
        except the built-in constants ``pi``, ``E``, ``catalan`` and ``euler``.
        """
        symbols = symbols or {}
        op, args = self.op, self.args
        if op == "num":
            return sympy.Rational(args[0]) if _is_decimal(args[0]) else sympy.Integer(args[0])
        if op == "name":
            name = args[0]
            if name in symbols:
                return symbols[name]
            if name in _BUILTIN_NAMES:
                return _BUILTIN_NAMES[name][1]
            return sympy.Symbol(name)
        if op == "call":
            fn = FUNCTIONS[args[0]][2]
            return fn(*(a.to_sympy(symbols) for a in args[1:]))
        return self._arith([a.to_sympy(symbols) for a in args], operator.pow)

    def evaluate(self, dps: int, env: Mapping[str, Callable[[int], object] | object] | None = None):
        """Evaluate with mpmath at ``dps`` decimal digits (plus guard digits) and return an mpf.

        ``env`` maps names to values or to callables ``f(dps) -> value``. The global mpmath
        precision is restored afterwards.
        """
        env = env or {}
        lim = _limits.get().digits
        if dps > lim + 1000:       # callers add guard digits to what was asked
            raise ExpressionLimitError("digits", dps, lim, "digits",
                                       problem=f"evaluating {self.source!r} at {dps} digits "
                                               f"exceeds the limit digits = {lim}")
        with mpmath.workdps(dps + 10):
            try:
                return +self._eval(env, dps + 10)
            except (ValueError, ZeroDivisionError, OverflowError, ArithmeticError) as err:
                if isinstance(err, ExpressionError):
                    raise
                raise ExpressionError(f"invalid expression {self.source!r}: cannot be "
                                      f"evaluated ({type(err).__name__}: {err})") from err

    def _eval(self, env, dps):
        op, args = self.op, self.args
        if op == "num":
            return mpmath.mpf(args[0])
        if op == "name":
            name = args[0]
            if name in env:
                v = env[name]
                return v(dps) if callable(v) else mpmath.mpf(v)
            if name in _BUILTIN_NAMES:
                return _BUILTIN_NAMES[name][0]()
            raise ExpressionError(f"invalid expression {self.source!r}: unknown name '{name}'")
        if op == "call":
            fn = FUNCTIONS[args[0]][1]
            return fn(*(a._eval(env, dps) for a in args[1:]))
        vals = [a._eval(env, dps) for a in args]
        if op == "/" and vals[1] == 0:
            raise ExpressionError(f"invalid expression {self.source!r}: division by zero")
        return self._arith(vals, mpmath.power)

    def _arith(self, vals: list, power: Callable):
        """This arithmetic node applied to its operands' values (sympy or mpmath alike)."""
        if self.op == "neg":
            return -vals[0]
        if self.op == "^":
            return power(vals[0], vals[1])
        fn = _ARITH.get(self.op)
        if fn is None:
            raise ExpressionError(f"internal: unknown node {self.op!r}")
        return fn(vals[0], vals[1])

    def __str__(self) -> str:
        return str(self.to_sympy())


_ARITH = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv}


def _is_decimal(text: str) -> bool:
    return any(c in text for c in ".eE")


def _fail(source: str, why: str) -> ExpressionError:
    return ExpressionError(
        f"invalid expression {source!r}: {why} (allowed: numbers, names of constants and "
        f"variables, + - * / ^ and the functions {', '.join(sorted(FUNCTIONS))})"
    )


def _tokens(source: str) -> tuple[str, dict[str, str]]:
    """Rewrite ``source`` so that ast can parse it without losing digits of long literals.

    Number literals are replaced by placeholder names (``_N0``, ``_N1``, ...) mapped to their
    exact text, and ``^`` becomes ``**``. User-written names may not start with an underscore,
    so placeholders cannot be forged.
    """
    numbers: dict[str, str] = {}
    out: list[tuple[int, str]] = []
    try:
        toks = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, IndentationError, SyntaxError, ValueError) as err:
        raise _fail(source, f"cannot be tokenised ({err})") from err
    for tok in toks:
        if tok.type == tokenize.NUMBER:
            text = tok.string.replace("_", "")
            if any(c in text.lower() for c in "jxob"):
                raise _fail(source, f"number literal {tok.string!r} is not a plain decimal")
            key = f"_N{len(numbers)}"
            numbers[key] = text
            out.append((tokenize.NAME, key))
        elif tok.type == tokenize.NAME:
            if tok.string.startswith("_"):
                raise _fail(source, f"name '{tok.string}' is not allowed")
            out.append((tok.type, tok.string))
        elif tok.type == tokenize.OP and tok.string == "^":
            out.append((tokenize.OP, "**"))
        elif tok.type in (tokenize.STRING,):
            raise _fail(source, "strings are not allowed")
        elif tok.type in (tokenize.NL, tokenize.NEWLINE, tokenize.ENDMARKER, tokenize.INDENT,
                          tokenize.DEDENT, tokenize.COMMENT):
            continue
        else:
            out.append((tok.type, tok.string))
    return tokenize.untokenize(out), numbers


def parse(source: str, names: Iterable[str] | None = None, *, allow_any_name: bool = False) -> Expr:
    """Parse ``source`` into a whitelisted :class:`Expr`.

    Parameters
    ----------
    source:
        The text, such as ``"4/pi"``, ``"2*n^2+1"`` or ``"besseli(1,2)/besseli(0,2)"``.
    names:
        The identifiers allowed besides ``pi``, ``E``, ``catalan`` and ``euler``. ``None`` with
        ``allow_any_name=True`` accepts any plain identifier (useful for closed forms written in
        terms of corpus names); resolving them is then the caller's job.

    Raises
    ------
    ExpressionError
        On anything outside the whitelist; the message says what was found and what is allowed.
    """
    if not isinstance(source, str):
        raise ExpressionError(f"invalid expression {source!r}: expected a string")
    lim = _limits.get()
    if len(source) > lim.expression_length:
        raise ExpressionLimitError(
            "expression", len(source), lim.expression_length, "expression_length",
            problem=f"invalid expression {source[:40] + '...'!r}: {len(source)} characters "
                    f"exceed the limit expression_length = {lim.expression_length}")
    if not source.strip():
        raise ExpressionError("invalid expression '': it is empty")
    allowed = set(names or ()) | set(_BUILTIN_NAMES)
    rewritten, numbers = _tokens(source)
    try:
        tree = ast.parse(rewritten.strip(), mode="eval")
    except SyntaxError as err:
        raise _fail(source, f"syntax error ({err.msg})") from err
    except (ValueError, MemoryError, RecursionError) as err:   # 3.10: "null bytes", deep input
        raise _fail(source, f"cannot be parsed ({err})") from err

    def build(node: ast.AST, depth: int) -> Expr:
        if depth > lim.expression_depth:
            raise ExpressionLimitError(
                "expression", depth, lim.expression_depth, "expression_depth",
                problem=f"invalid expression {source!r}: nested too deeply (more than "
                        f"expression_depth = {lim.expression_depth} levels)")
        if isinstance(node, ast.Name):
            ident = node.id
            if ident in numbers:
                return Expr("num", (numbers[ident],), source)
            if ident in FUNCTIONS and ident not in allowed:
                raise _fail(source, f"function '{ident}' used without arguments")
            if ident in allowed or (allow_any_name and ident.isidentifier()):
                return Expr("name", (ident,), source)
            raise _fail(source, f"name '{ident}' is not allowed; known names: "
                                f"{', '.join(sorted(allowed)) or '(none)'}")
        if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
            op = _BINOPS[type(node.op)]
            left, right = build(node.left, depth + 1), build(node.right, depth + 1)
            return Expr(op, (left, right), source)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            inner = build(node.operand, depth + 1)
            return Expr("neg", (inner,), source) if isinstance(node.op, ast.USub) else inner
        if isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
                what = node.func.id if isinstance(node.func, ast.Name) else ast.dump(node.func)[:40]
                raise _fail(source, f"name '{what}' is not allowed as a function")
            if node.keywords:
                raise _fail(source, "keyword arguments are not allowed")
            nargs = FUNCTIONS[node.func.id][0]
            accepted = nargs if isinstance(nargs, tuple) else (nargs,)
            if len(node.args) not in accepted:
                takes = " or ".join(map(str, accepted))
                raise _fail(source, f"{node.func.id}() takes {takes} argument(s), "
                                    f"{len(node.args)} given")
            return Expr("call", (node.func.id, *(build(a, depth + 1) for a in node.args)), source)
        raise _fail(source, f"{type(node).__name__} is not allowed")

    try:
        expr = build(tree.body, 0)
    except RecursionError as err:      # ast trees deeper than Python's own stack
        raise ExpressionLimitError(
            "expression", lim.expression_depth + 1, lim.expression_depth, "expression_depth",
            problem=f"invalid expression {source[:40]!r}: nested too deeply") from err
    _Budget(source, lim).bound(expr)
    return expr


# ------------------------------------------------------------------------------------------
# Budgets: every expression's size is estimated *before* anything is evaluated
# ------------------------------------------------------------------------------------------
_LOG10_2 = math.log10(2)
_LITERAL = re.compile(r"(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?")


def _log10_fraction(q: Fraction) -> float:
    """|log10|q|| for a nonzero exact rational (0 for 0)."""
    if q == 0:
        return 0.0
    p, d = abs(q.numerator), q.denominator
    lp = math.log10(p) if p.bit_length() < 1000 else p.bit_length() * _LOG10_2
    ld = math.log10(d) if d.bit_length() < 1000 else d.bit_length() * _LOG10_2
    return abs(lp - ld)


class _Budget:
    """Bottom-up bound of each node's size: ``(L, exact)`` where ``L >= |log10 |value||``
    (cancellation aside) and ``exact`` is the exact rational value of a constant integer/decimal
    subexpression (or None). Raises :class:`ExpressionLimitError` at the first node over a limit
    (exponent, literal digits, result digits), before any evaluation."""

    _SMALL = {"sin", "cos", "tan", "asin", "acos", "atan", "tanh", "erf"}
    _LOG = {"log", "ln", "asinh", "acosh", "atanh"}
    _EXP = {"exp", "sinh", "cosh"}

    def __init__(self, source: str, lim):
        self.source, self.lim = source, lim

    def _over(self, name: str, value, what: str) -> ExpressionLimitError:
        limit = getattr(self.lim, name)
        return ExpressionLimitError(
            "expression", value, limit, name,
            problem=f"invalid expression {self.source!r}: {what} exceeds the limit "
                    f"{name} = {limit}")

    def _result(self, L: float, exact=None):
        lim = self.lim.result_digits
        if not L <= lim:        # also catches nan/inf
            size = "an unbounded number of" if not math.isfinite(L) else f"about {L:.3g}"
            raise self._over("result_digits", L, f"a value of {size} decimal digits")
        return L, exact

    def _exponent_ok(self, magnitude: float, shown) -> None:
        if not magnitude <= self.lim.exponent:
            raise self._over("exponent", magnitude, f"the exponent {shown}")

    def bound(self, e: Expr):
        op, args = e.op, e.args
        if op == "num":
            return self._num(args[0])
        if op == "name":
            return 1.0, None
        if op == "neg":
            L, x = self.bound(args[0])
            return L, (-x if x is not None else None)
        if op == "call":
            return self._call(args[0], [self.bound(a) for a in args[1:]])
        (La, xa), (Lb, xb) = self.bound(args[0]), self.bound(args[1])
        if op in ("+", "-"):
            if xa is not None and xb is not None:
                x = xa + xb if op == "+" else xa - xb
                return self._result(_log10_fraction(x), x)
            return self._result(max(La, Lb) + _LOG10_2)
        if op == "*":
            if xa is not None and xb is not None:
                return self._result(La + Lb, xa * xb)
            return self._result(La + Lb)
        if op == "/":
            if xa is not None and xb is not None and xb != 0:
                return self._result(La + Lb, xa / xb)
            return self._result(La + Lb)
        # power
        if xb is not None and xb.denominator == 1:
            k = abs(xb.numerator)
            self._exponent_ok(k, xb.numerator)
            L = k * La
            self._result(L)
            if xa is not None:
                if xa == 0 and xb < 0:
                    raise _fail(self.source, "division by zero (0 to a negative power)")
                return self._result(L, xa ** int(xb))
            return self._result(L)
        if xb is not None:
            magnitude = float(abs(xb))
        else:
            magnitude = 10.0 ** Lb if Lb < 300 else math.inf
        self._exponent_ok(magnitude, f"of about 10^{Lb:.3g}" if xb is None else str(xb))
        return self._result(max(1.0, magnitude) * max(La, 1.0))

    def _num(self, text: str):
        m = _LITERAL.fullmatch(text)
        if not m:
            raise _fail(self.source, f"number literal {text!r} is not a plain decimal")
        whole, frac, exp = m.group(1) or "", m.group(2) or "", m.group(3)
        digits = len(whole.lstrip("0")) + len(frac)
        if digits > self.lim.literal_digits:
            raise self._over("literal_digits", digits, f"a number literal of {digits} digits")
        e = 0
        if exp is not None:
            if len(exp.lstrip("+-0")) > 9:
                raise self._over("result_digits", math.inf,
                                 f"the literal exponent {exp}")
            e = int(exp)
        L = len(whole.lstrip("0")) + len(frac) + abs(e)
        self._result(float(L))
        return self._result(_log10_fraction(Fraction(text)) if L else 0.0, Fraction(text))

    def _call(self, fn: str, args):
        Ls = [L for L, _ in args]
        L = max(Ls)
        big = 10.0 ** L if L < 300 else math.inf      # bound of |argument|
        if fn in ("sqrt", "cbrt"):
            return self._result(L / (2 if fn == "sqrt" else 3))
        if fn == "abs":
            return self._result(L)
        if fn in self._SMALL:
            return self._result(1.0)
        if fn in self._LOG:
            return self._result(math.log10(L * 2.31 + 1) + 1)
        if fn in self._EXP:
            return self._result(big * 0.4343 + 1)
        if fn == "gamma":
            return self._result(big * (L + 1) + 1)
        if fn == "zeta":
            return self._result(L + 1)
        if fn == "agm":
            return self._result(L + 1)
        if fn in ("besseli", "besselj"):
            order = 10.0 ** Ls[0] if Ls[0] < 300 else math.inf
            arg = 10.0 ** Ls[1] if Ls[1] < 300 else math.inf
            return self._result(arg * 0.4343 + order * (Ls[0] + Ls[1] + 1) + 1)
        if fn == "polylog":
            s = 10.0 ** Ls[0] if Ls[0] < 300 else math.inf
            return self._result(s * (Ls[0] + 1) + Ls[1] + 1)
        return self._result(L + 1)


def _degree(e: Expr, var: str, source: str, lim) -> int:
    """The degree in ``var`` of a polynomial expression, bounded before any expansion."""
    op, args = e.op, e.args
    if op == "num":
        d = 0
    elif op == "name":
        d = 1 if args[0] == var else 0
    elif op == "neg":
        d = _degree(args[0], var, source, lim)
    elif op == "call":
        d = max(_degree(a, var, source, lim) for a in args[1:])
    elif op in ("+", "-"):
        d = max(_degree(args[0], var, source, lim), _degree(args[1], var, source, lim))
    elif op in ("*", "/"):
        d = _degree(args[0], var, source, lim) + _degree(args[1], var, source, lim)
    else:
        base = _degree(args[0], var, source, lim)
        if base == 0:
            d = 0
        else:
            ex = args[1]
            k = None
            if not ex.names():
                exact = _Budget(source, lim).bound(ex)[1]
                if exact is not None and exact.denominator == 1:
                    k = int(exact)
            if k is None or k < 0:
                raise ExpressionError(f"invalid polynomial {source!r}: not a polynomial in "
                                      f"{var} (a power of {var} needs a non-negative integer "
                                      f"exponent)")
            d = base * k
    if d > lim.polynomial_degree:
        raise ExpressionLimitError(
            "polynomial", d, lim.polynomial_degree, "polynomial_degree",
            problem=f"invalid polynomial {source!r}: degree {d} exceeds the limit "
                    f"polynomial_degree = {lim.polynomial_degree}")
    return d


def parse_polynomial(source: str | Iterable[int], var: str = "n") -> list[int]:
    """Parse an integer polynomial in ``var`` and return its coefficients, highest power first.

    Accepts text (``"2*n^2 + 3*n - 1"``, ``"(n+1)^2"``) or a sequence of integers, which is
    returned as a list after checking. The zero polynomial is ``[0]``.

    >>> parse_polynomial("(n+1)*(n-1)")
    [1, 0, -1]
    >>> parse_polynomial([0, 0, 3])
    [3]
    """
    if not isinstance(source, str):
        try:
            coeffs = list(source)
        except TypeError as err:
            raise ExpressionError(f"invalid polynomial {source!r}: expected text or a list of "
                                  f"integers") from err
        lim = _limits.get()
        if len(coeffs) - 1 > lim.polynomial_degree:
            raise ExpressionLimitError(
                "polynomial", len(coeffs) - 1, lim.polynomial_degree, "polynomial_degree",
                problem=f"invalid polynomial: degree {len(coeffs) - 1} exceeds the limit "
                        f"polynomial_degree = {lim.polynomial_degree}")
        out = []
        for c in coeffs:
            if isinstance(c, bool) or not isinstance(c, int) and not (
                    hasattr(c, "__index__") and not isinstance(c, float)):
                raise ExpressionError(f"invalid polynomial {coeffs!r}: coefficient {c!r} is not "
                                      f"an integer")
            out.append(int(c))
            _check_coefficient(out[-1], lim, "")
        while len(out) > 1 and out[0] == 0:
            out.pop(0)
        return out or [0]
    expr = parse(source, names=[var])
    lim = _limits.get()
    _degree(expr, var, source, lim)
    sym = sympy.Symbol(var)
    sexpr = sympy.expand(expr.to_sympy({var: sym}))
    extra = sexpr.free_symbols - {sym}
    if extra or not sexpr.is_polynomial(sym):
        raise ExpressionError(f"invalid polynomial {source!r}: not a polynomial in {var}")
    poly = sympy.Poly(sexpr, sym)
    coeffs = poly.all_coeffs()
    if not all(c.is_integer for c in coeffs):
        raise ExpressionError(f"invalid polynomial {source!r}: coefficients must be integers, "
                              f"got {coeffs}")
    out = [int(c) for c in coeffs] or [0]
    for c in out:
        _check_coefficient(c, lim, source)
    return out


def _check_coefficient(c: int, lim, source: str) -> None:
    bits = abs(c).bit_length()
    if bits * _LOG10_2 > lim.coefficient_digits + 1:
        digits = len(str(abs(c))) if bits < 40000 else int(bits * _LOG10_2)
        if digits > lim.coefficient_digits:
            raise ExpressionLimitError(
                "polynomial", digits, lim.coefficient_digits, "coefficient_digits",
                problem=f"invalid polynomial {source!r}: a coefficient of {digits} digits "
                        f"exceeds the limit coefficient_digits = {lim.coefficient_digits}")
