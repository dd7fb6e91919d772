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
import tokenize
from dataclasses import dataclass
from typing import Callable, Iterable, Mapping

import mpmath
import sympy

from .errors import ExpressionError

__all__ = ["Expr", "parse", "parse_polynomial", "FUNCTIONS", "MAX_LENGTH"]

MAX_LENGTH = 2000
MAX_DEPTH = 60
MAX_EXPONENT = 1000


def _mp_cbrt(x):
    return mpmath.cbrt(x)


# name -> (number of arguments, mpmath function, sympy function)
FUNCTIONS: dict[str, tuple[int, Callable, Callable]] = {
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
    "zeta": (1, mpmath.zeta, sympy.zeta),
    "gamma": (1, mpmath.gamma, sympy.gamma),
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
        vals = [a.to_sympy(symbols) for a in args]
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
            return vals[0] ** vals[1]
        raise ExpressionError(f"internal: unknown node {op!r}")

    def evaluate(self, dps: int, env: Mapping[str, Callable[[int], object] | object] | None = None):
        """Evaluate with mpmath at ``dps`` decimal digits (plus guard digits) and return an mpf.

        ``env`` maps names to values or to callables ``f(dps) -> value``. The global mpmath
        precision is restored afterwards.
        """
        env = env or {}
        with mpmath.workdps(dps + 10):
            return +self._eval(env, dps + 10)

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
        if op == "neg":
            return -vals[0]
        if op == "+":
            return vals[0] + vals[1]
        if op == "-":
            return vals[0] - vals[1]
        if op == "*":
            return vals[0] * vals[1]
        if op == "/":
            if vals[1] == 0:
                raise ExpressionError(f"invalid expression {self.source!r}: division by zero")
            return vals[0] / vals[1]
        if op == "^":
            return mpmath.power(vals[0], vals[1])
        raise ExpressionError(f"internal: unknown node {op!r}")

    def __str__(self) -> str:
        return str(self.to_sympy())


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
    except (tokenize.TokenError, IndentationError, SyntaxError) as err:
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
    if len(source) > MAX_LENGTH:
        raise _fail(source[:40] + "...", f"longer than {MAX_LENGTH} characters")
    if not source.strip():
        raise ExpressionError("invalid expression '': it is empty")
    allowed = set(names or ()) | set(_BUILTIN_NAMES)
    rewritten, numbers = _tokens(source)
    try:
        tree = ast.parse(rewritten.strip(), mode="eval")
    except SyntaxError as err:
        raise _fail(source, f"syntax error ({err.msg})") from err

    def build(node: ast.AST, depth: int) -> Expr:
        if depth > MAX_DEPTH:
            raise _fail(source, "nested too deeply")
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
            if op == "^" and right.op == "num" and not _is_decimal(right.args[0]):
                if abs(int(right.args[0])) > MAX_EXPONENT:
                    raise _fail(source, f"exponent larger than {MAX_EXPONENT}")
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
            if len(node.args) != nargs:
                raise _fail(source, f"{node.func.id}() takes {nargs} argument(s), "
                                    f"{len(node.args)} given")
            return Expr("call", (node.func.id, *(build(a, depth + 1) for a in node.args)), source)
        raise _fail(source, f"{type(node).__name__} is not allowed")

    return build(tree.body, 0)


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
        out = []
        for c in coeffs:
            if isinstance(c, bool) or not isinstance(c, int) and not (
                    hasattr(c, "__index__") and not isinstance(c, float)):
                raise ExpressionError(f"invalid polynomial {coeffs!r}: coefficient {c!r} is not "
                                      f"an integer")
            out.append(int(c))
        while len(out) > 1 and out[0] == 0:
            out.pop(0)
        return out or [0]
    expr = parse(source, names=[var])
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
    return [int(c) for c in coeffs] or [0]
