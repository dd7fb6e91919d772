"""Conservative matrix fields (CMF): walks through a lattice of matrices that yield PCFs.

A CMF in the variables ``x_1 .. x_d`` is one square matrix ``M_i(x)`` of rational functions per
axis such that walking one step along axis ``i`` and then one along ``j`` gives the same product
as the other order::

    M_i(x) M_j(x + e_i) = M_j(x) M_i(x + e_j)        for every pair i < j.

(Two variables: ``M_x(x, y) M_y(x + 1, y) = M_y(x, y) M_x(x, y + 1)``.) The product along any
lattice path then depends only on its end points. A *trajectory* is a direction ``t`` (an
integer vector) and a start point ``s``; its step matrix ``W(m)`` is the product along the
path from ``s + m t`` to ``s + (m + 1) t`` (axis by axis; a negative component walks backwards
with ``M_i(x - e_i)^{-1}``), and the walk is ``W(0) W(1) W(2) ...``.

A 2x2 walk is a PCF in disguise. With ``W(m) = [[A, B], [C, D]]`` and ``P_m = W(0) ... W(m)``,
the first column ``u_m`` of ``P_m`` satisfies, for ``m >= 1``,

    u_m = alpha(m) u_{m-1} + beta(m) u_{m-2},
    alpha(m) = A(m) + D(m-1) C(m) / C(m-1),   beta(m) = -det W(m-1) C(m) / C(m-1),

which is the recurrence of the PCF ``a(n) = alpha(n)``, ``b(n) = beta(n)`` (``p_n = a(n) p_{n-1} +
b(n) p_{n-2}``). :func:`walk_to_pcf` clears denominators with an equivalence transformation
(``a -> c a``, ``b -> c(n) c(n-1) b``), makes the coefficients integers, shifts the index past
the positive integer roots of ``b`` (where the walk would look like a terminating fraction), and
returns the canonical form of :mod:`discover_plugins.cf.canonical` (which removes the factors
the transformation and the field put in). Walking Apery's zeta(3) field along the diagonal gives
back Apery's PCF:

>>> from discover_plugins.cf.cmf import load_cmf
>>> z3 = load_cmf("zeta3")
>>> z3.pcf((1, 1)).pcf
PCF(a=[34, 51, 27, 5], b=[-1, 0, 0, 0, 0, 0, 0])

Known fields live in ``corpora/cmfs.toml``; entries are parsed by the whitelist parser of
:mod:`discover.safeexpr` (never evaluated as Python). A field that is not conservative is
refused, with the first offending pair of axes and the difference of the two products.
"""

from __future__ import annotations

import itertools
import math
import sys
from dataclasses import dataclass, field
from fractions import Fraction
from functools import reduce
from typing import Any, Iterable, Mapping, Sequence

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

import flint
import mpmath
import sympy

from discover.errors import DiscoverError, ExpressionError
from discover.safeexpr import parse

from .pcf import PCF

__all__ = ["CMF", "NotConservativeError", "Trajectory", "load_cmf", "known_cmfs",
           "read_cmf_file", "walk_to_pcf", "directions_up_to", "walk"]

_M = sympy.Symbol("m")
_N = sympy.Symbol("n")
#: Largest |coefficient| a reduced PCF may have to be screened by the int64 kernels.
INT64_SAFE = 2 ** 62


class NotConservativeError(DiscoverError):
    """The matrices of a field do not satisfy the conservation condition for some pair of axes."""


@dataclass(frozen=True)
class Trajectory:
    """The PCF of one trajectory of a field, with what it took to get there."""

    cmf: str
    direction: tuple[int, ...]
    start: tuple[int, ...]
    pcf: PCF                       # canonical form
    raw: PCF                       # after clearing denominators and shifting, before canonical
    shift: int                     # raw a(n) = alpha(n + shift) * (clearing factor)
    moebius: tuple                 # value(raw) = moebius(value(pcf)), from the canonical form
    step: list = field(default_factory=list)   # W(m) as strings, row by row

    def to_json(self) -> dict:
        return {"cmf": self.cmf, "direction": list(self.direction), "start": list(self.start),
                "a": list(self.pcf.a), "b": list(self.pcf.b), "raw_a": list(self.raw.a),
                "raw_b": list(self.raw.b), "shift": self.shift,
                "moebius": [list(r) for r in self.moebius], "step_matrix": self.step}


def _rational_function(expr: sympy.Expr, symbols: Sequence[sympy.Symbol], where: str):
    expr = sympy.sympify(expr)
    if expr.is_polynomial(*symbols) and not (expr.free_symbols - set(symbols)):
        # a polynomial needs no cancellation (the costly step): check its coefficients only
        if all(c.is_rational for c in sympy.Poly(expr, *symbols).coeffs()):
            return expr
    expr = sympy.cancel(expr)
    extra = expr.free_symbols - set(symbols)
    if extra:
        raise DiscoverError(f"{where}: unknown variable(s) {sorted(map(str, extra))}; a field's "
                            f"entries may use only its axes {[str(s) for s in symbols]}")
    num, den = sympy.fraction(expr)
    for part in (num, den):
        if not part.is_polynomial(*symbols) or not all(
                c.is_rational for c in sympy.Poly(part, *symbols).coeffs()):
            raise DiscoverError(f"{where}: {expr} is not a rational function with rational "
                                f"coefficients in {[str(s) for s in symbols]}")
    if den == 0:
        raise DiscoverError(f"{where}: division by zero")
    return expr


class CMF:
    """A conservative matrix field: one square matrix of rational functions per axis.

    Parameters
    ----------
    matrices:
        ``{axis name: matrix}``; a matrix is a list of rows whose entries are strings (parsed
        with the whitelist parser, e.g. ``"x^3 + (x+1)^3"``), integers or sympy expressions,
        or a ``sympy.Matrix``.
    name, constants, description:
        Label, corpus constants its walks are expected to reach, and a sentence.
    check:
        Verify the conservation condition symbolically (default); a failure raises
        :class:`NotConservativeError` naming the pair of axes.

    >>> e = CMF({"x": [["1", "-y-1"], ["-1", "x+y+2"]], "y": [["0", "-y-1"], ["-1", "x+y+1"]]})
    >>> e.axes, e.size
    (('x', 'y'), 2)
    >>> CMF({"x": [["x", "1"], ["1", "0"]], "y": [["y", "1"], ["1", "0"]]})
    ... # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    ...
    NotConservativeError: the matrices of axes x and y are not conservative: M_x(x, y) M_y(x+1, y) - M_y(x, y) M_x(x, y+1) = Matrix([[0, x - y], [-x + y, 0]]) (it must be the zero matrix)
    """

    def __init__(self, matrices: Mapping[str, Any], *, name: str = "",
                 constants: Iterable[str] = (), description: str = "", check: bool = True):
        if not isinstance(matrices, Mapping) or not matrices:
            raise DiscoverError(f"CMF {name or '(unnamed)'}: field 'matrices' must map each "
                                "axis name to a matrix, e.g. {x = [[...], [...]], "
                                "y = [[...], [...]]}")
        self.name = name or "cmf"
        self.constants = tuple(constants)
        self.description = description
        self.axes = tuple(str(a) for a in matrices)
        for a in self.axes:
            if not a.isidentifier() or a in ("m", "n", "E", "pi"):
                raise DiscoverError(f"CMF {self.name}: axis name {a!r} is not allowed; use plain "
                                    "names such as x, y, z (m, n, E, pi are reserved)")
        self.symbols = tuple(sympy.Symbol(a) for a in self.axes)
        table = dict(zip(self.axes, self.symbols))
        self.matrices: dict[str, sympy.Matrix] = {}
        size = None
        for axis, rows in matrices.items():
            where = f"CMF {self.name}: matrices.{axis}"
            if isinstance(rows, sympy.MatrixBase):
                rows = rows.tolist()
            if (not isinstance(rows, (list, tuple)) or not rows
                    or not all(isinstance(r, (list, tuple)) and len(r) == len(rows) for r in rows)):
                raise DiscoverError(f"{where}: expected a square matrix as a list of rows, e.g. "
                                    "[[\"0\", \"-x^3\"], [\"(x+1)^3\", \"x+y\"]]")
            if size is None:
                size = len(rows)
            elif len(rows) != size:
                raise DiscoverError(f"{where}: is {len(rows)}x{len(rows)} but the other axes "
                                    f"are {size}x{size}; all matrices must have one size")
            entries = []
            for i, row in enumerate(rows):
                out_row = []
                for j, entry in enumerate(row):
                    at = f"{where}[{i}][{j}]"
                    if isinstance(entry, str):
                        try:
                            expr = parse(entry, names=self.axes).to_sympy(table)
                        except ExpressionError as err:
                            raise DiscoverError(f"{at}: {err}") from err
                    elif isinstance(entry, bool):
                        raise DiscoverError(f"{at}: expected a number or an expression, got "
                                            f"{entry!r}")
                    elif isinstance(entry, (int, Fraction, sympy.Expr)):
                        expr = sympy.sympify(entry) if not isinstance(entry, Fraction) else \
                            sympy.Rational(entry.numerator, entry.denominator)
                    else:
                        raise DiscoverError(f"{at}: expected a string, an integer or a sympy "
                                            f"expression, got {type(entry).__name__}")
                    out_row.append(_rational_function(expr, self.symbols, at))
                entries.append(out_row)
            mat = sympy.Matrix(entries)
            if _det_vanishes(mat, self.symbols):
                raise DiscoverError(f"{where}: the matrix is singular for every point (det = 0); "
                                    "a walk through it carries no information")
            self.matrices[axis] = mat
        self.size = size
        if check:
            self.check()

    # -- conservation ---------------------------------------------------------------------
    def _shifted(self, axis: str, by: Mapping[str, int]) -> sympy.Matrix:
        subs = {s: s + by.get(a, 0) for a, s in zip(self.axes, self.symbols)}
        return self.matrices[axis].subs(subs, simultaneous=True)

    def violations(self) -> list[tuple[str, str, sympy.Matrix]]:
        """Pairs of axes ``(i, j)`` whose two paths around a unit square differ, with
        ``M_i(x) M_j(x + e_i) - M_j(x) M_i(x + e_j)`` (cancelled).

        The products are first formed exactly with python-flint multivariate polynomials
        (numerator and denominator over Z, any rank and dimension); only a pair that fails
        there is redone with sympy to print the difference."""
        try:
            suspect = _flint_violations(self)
        except Exception:               # pragma: no cover - fall back to sympy everywhere
            suspect = list(itertools.combinations(self.axes, 2))
        bad = []
        for i, j in suspect:
            lhs = self.matrices[i] * self._shifted(j, {i: 1})
            rhs = self.matrices[j] * self._shifted(i, {j: 1})
            diff = (lhs - rhs).applyfunc(lambda e: sympy.factor(sympy.cancel(e)))
            if any(e != 0 for e in diff):
                bad.append((i, j, diff))
        return bad

    def check(self) -> None:
        """Raise :class:`NotConservativeError` unless every pair of axes is conservative."""
        bad = self.violations()
        if bad:
            i, j, diff = bad[0]
            point = ", ".join(self.axes)
            shifted_i = ", ".join(f"{a}+1" if a == i else a for a in self.axes)
            shifted_j = ", ".join(f"{a}+1" if a == j else a for a in self.axes)
            more = f"; {len(bad) - 1} more pair(s) fail" if len(bad) > 1 else ""
            raise NotConservativeError(
                f"the matrices of axes {i} and {j} are not conservative: M_{i}({point}) "
                f"M_{j}({shifted_i}) - M_{j}({point}) M_{i}({shifted_j}) = {diff} (it must be "
                f"the zero matrix){more}")

    # -- trajectories ---------------------------------------------------------------------
    def _check_point(self, values, what: str) -> tuple[int, ...]:
        try:
            out = tuple(int(v) for v in values)
        except (TypeError, ValueError):
            raise DiscoverError(f"{what} must be {len(self.axes)} integers (one per axis "
                                f"{', '.join(self.axes)}), got {values!r}") from None
        if len(out) != len(self.axes) or any(isinstance(v, bool) for v in values):
            example = ",".join(["1"] * len(self.axes))
            raise DiscoverError(f"{what} must be {len(self.axes)} integers (one per axis "
                                f"{', '.join(self.axes)}), e.g. {example}; got {values!r}")
        return out

    def _step_rf(self, direction: Sequence[int], start: Sequence[int] | None):
        t = self._check_point(direction, "direction")
        if not any(t):
            raise DiscoverError("direction must not be the zero vector; e.g. --direction "
                                + ",".join(["1"] * len(self.axes)))
        s = self._check_point(start if start is not None else [1] * len(self.axes), "start")
        one, zero = _RF(flint.fmpq_poly([1])), _RF(flint.fmpq_poly([0]))
        W = [[one if i == j else zero for j in range(self.size)] for i in range(self.size)]
        ctx, mctx, (mgen,), entries = self._flint_entries()
        off = [0] * len(self.axes)
        for k, axis in enumerate(self.axes):
            for _ in range(abs(t[k])):
                if t[k] < 0:
                    off[k] -= 1
                args = [s[j] + off[j] + t[j] * mgen for j in range(len(self.axes))]
                M = []
                for i, row in enumerate(entries[axis]):
                    out_row = []
                    for j, (num, den) in enumerate(row):
                        dm = den.compose(*args, ctx=mctx)
                        if dm.is_zero():
                            where = tuple(s[q] + off[q] for q in range(len(self.axes)))
                            raise DiscoverError(
                                f"{self.name} along {t} from {s}: the trajectory lies in the "
                                f"singular set of M_{axis} (the denominator of entry [{i}][{j}], "
                                f"{sympy.fraction(self.matrices[axis][i, j])[1]}, vanishes at "
                                f"every point, starting at {where}); choose another direction "
                                "or start point")
                        out_row.append(_RF(_uni(num.compose(*args, ctx=mctx)), _uni(dm)))
                    M.append(out_row)
                W = _rf_matmul(W, M if t[k] > 0 else _rf_inverse(M))
                if t[k] > 0:
                    off[k] += 1
        return W, t, s

    def _flint_entries(self):
        """The matrices' entries as (numerator, denominator) fmpq_mpoly pairs (cached)."""
        cached = getattr(self, "_flint_cache", None)
        if cached is not None:
            return cached
        ctx = flint.fmpq_mpoly_ctx.get(tuple(self.axes), "lex")
        mctx = flint.fmpq_mpoly_ctx.get(("m",), "lex")

        def conv(expr):
            P = sympy.Poly(expr, *self.symbols, domain="QQ")
            return ctx.from_dict({tuple(int(e) for e in mon): flint.fmpq(int(c.p), int(c.q))
                                  for mon, c in P.terms()})

        entries = {}
        for axis, M in self.matrices.items():
            # entries are stored cancelled (see _rational_function)
            entries[axis] = [[tuple(conv(part) for part in sympy.fraction(e))
                              for e in row] for row in M.tolist()]
        self._flint_cache = (ctx, mctx, mctx.gens(), entries)
        return self._flint_cache

    def step_matrix(self, direction: Sequence[int],
                    start: Sequence[int] | None = None) -> sympy.Matrix:
        """``W(m)``, the product from ``start + m t`` to ``start + (m+1) t``, as a matrix of
        rational functions of ``m`` (axis by axis in the order of :attr:`axes`), factored."""
        W, _, _ = self._step_rf(direction, start)
        return sympy.Matrix([[e.to_sympy_factored() for e in row] for row in W])

    def walk(self, direction: Sequence[int], start: Sequence[int] | None, depth: int):
        """The exact product of the field's own matrices along ``depth`` steps of the
        trajectory, evaluated point by point as Fractions (no step matrix, no reduction to a
        PCF): an independent oracle for :meth:`pcf`. Returns a list of rows of Fractions."""
        t = self._check_point(direction, "direction")
        s = list(self._check_point(start if start is not None else [1] * len(self.axes),
                                   "start"))
        polys = {}
        for axis, M in self.matrices.items():
            polys[axis] = [[tuple(sympy.Poly(part, *self.symbols) for part in sympy.fraction(e))
                            for e in row] for row in M.tolist()]

        def at(axis, point):
            env = dict(zip(self.symbols, point))
            out = []
            for row in polys[axis]:
                vals = []
                for num, den in row:
                    d = Fraction(str(den.eval(env)))
                    if d == 0:
                        raise DiscoverError(f"the walk passes through a pole of M_{axis} at "
                                            f"{tuple(point)}; choose another start point")
                    vals.append(Fraction(str(num.eval(env))) / d)
                out.append(vals)
            return out

        n = self.size
        P = [[Fraction(int(i == j)) for j in range(n)] for i in range(n)]
        for _ in range(depth):
            for k, axis in enumerate(self.axes):
                for _ in range(abs(t[k])):
                    if t[k] < 0:
                        s[k] -= 1
                        M = _fraction_inverse(at(axis, s))
                    else:
                        M = at(axis, s)
                        s[k] += 1
                    P = [[sum((P[i][q] * M[q][j] for q in range(n)), Fraction(0))
                          for j in range(n)] for i in range(n)]
        return P

    def singular_points(self, direction: Sequence[int], start: Sequence[int] | None = None,
                        steps: int | None = None,
                        _W=None) -> list[tuple[int, tuple[int, ...], str]]:
        """Lattice points of the trajectory (step ``m >= 0``, the point ``start + m t``) where
        the step matrix ``W(m)`` has a pole or a zero determinant, with the reason: there the
        walk is undefined or collapses. ``steps`` bounds ``m`` (default: every integer root)."""
        W, t, s = _W if _W is not None else self._step_rf(direction, start)
        out = {}
        polys = [(e.den, "a pole of the step matrix") for row in W for e in row]
        det = _rf_det(W)
        polys.append((det.num, "a zero of the step matrix's determinant"))
        for poly, why in polys:
            if poly.degree() < 1:
                continue
            for root, _ in poly.roots():
                if root.q != 1:
                    continue
                r = int(root.p)
                if r >= 0 and (steps is None or r <= steps) and r not in out:
                    out[r] = why
        return [(m, tuple(si + m * ti for si, ti in zip(s, t)), out[m]) for m in sorted(out)]

    def recurrence(self, direction: Sequence[int], start: Sequence[int] | None = None):
        """The walk of any N x N field as a :class:`~discover_plugins.cf.linrec.LinearRecurrence`
        of order N: the rows 0 and 1 of ``P_m c`` are its numerator and denominator, so its limit
        is the ratio of the first two entries of the direction the walk's columns converge to
        (for 2x2 fields, the same limit as :meth:`pcf` up to the Moebius map it reports).
        Returns ``(recurrence, info)``; a trajectory through a pole or a singular matrix of the
        field raises :class:`DiscoverError` naming the lattice point."""
        from .linrec import LinearRecurrence, from_walk

        W, t, s = self._step_rf(direction, start)
        N = self.size
        coeffs, col = from_walk(W, what=f"{self.name} along {t} from {s}")
        bad = [int(r.p) for r, _ in flint.fmpq_poly(list(reversed(coeffs[0]))).roots()
               if r.q == 1 and int(r.p) >= N - 1] if len(coeffs[0]) > 1 else []
        n0 = max([N - 1] + [r for r in bad])
        sing = self.singular_points(t, s, steps=n0 + 1, _W=(W, t, s))
        if sing:
            m, point, why = sing[0]
            raise DiscoverError(f"{self.name} along {t} from {s} passes through the singular "
                                f"point {point} (step {m}: {why}); choose another start point")
        # x_m = P_m e_col for m = -1 .. n0 ; the recurrence index n is m
        P = flint.fmpq_mat(N, N, [int(i == j) for i in range(N) for j in range(N)])
        xs = [[Fraction(int(i == col)) for i in range(N)]]
        for m in range(0, n0 + 1):
            P = P * _rf_mat_at(W, m)
            xs.append([Fraction(int(P[i, col].p), int(P[i, col].q)) for i in range(N)])
        # initial values u(n0-N+1 .. n0) = x at indices n0-N+1 .. n0 (xs[0] is m = -1)
        init = xs[n0 - N + 2: n0 + 2]
        rec = LinearRecurrence(tuple(coeffs), p=tuple(v[0] for v in init),
                               q=tuple(v[1] for v in init), n0=n0)
        return rec, {"direction": list(t), "start": list(s), "column": col,
                     "step_matrix": [[str(e.to_sympy()) for e in row] for row in W]}

    def walk_product(self, direction: Sequence[int], start: Sequence[int] | None,
                     depth: int):
        """``W(0) W(1) .. W(depth-1)`` exactly (a python-flint ``fmpq_mat``): the step matrix
        evaluated at each step and multiplied by binary splitting. A step through a pole or a
        singular matrix raises :class:`DiscoverError` naming the lattice point."""
        W, t, s = self._step_rf(direction, start)
        sing = self.singular_points(t, s, steps=depth - 1, _W=(W, t, s))
        if sing:
            m, point, why = sing[0]
            raise DiscoverError(f"{self.name} along {t} from {s} passes through the singular "
                                f"point {point} (step {m}: {why}); choose another start point")
        # W(m) = K(m) / D(m) with K an integer polynomial matrix and D an integer polynomial:
        # the integer products need no gcds; one division at the end
        n = self.size
        den = reduce(lambda a, b: a * b // a.gcd(b), (e.den for row in W for e in row),
                     flint.fmpq_poly([1]))
        nums = [(e * _RF(den)).num for row in W for e in row]
        scale = reduce(math.lcm, (int(c.q) for p in nums + [den] for c in p.coeffs()), 1)
        # baby steps: the product of B consecutive steps as one polynomial matrix in m,
        # evaluated at m = 0, B, 2B, ..: B times fewer (larger) products by binary splitting
        Kp = [flint.fmpz_poly([int(c * scale) for c in p.coeffs()]) for p in nums]
        Dp = flint.fmpz_poly([int(c * scale) for c in den.coeffs()])
        B = max(1, min(8, int(math.isqrt(depth))))

        def pmul(X, Y):
            return [sum((X[i * n + k] * Y[k * n + j] for k in range(n)), flint.fmpz_poly([]))
                    for i in range(n) for j in range(n)]

        QB, DB = list(Kp), Dp
        for j in range(1, B):
            sh = flint.fmpz_poly([j, 1])
            QB = pmul(QB, [k(sh) for k in Kp])
            DB = DB * Dp(sh)
        blocks = depth // B
        mats = [flint.fmpz_mat(n, n, [q(B * t) for q in QB]) for t in range(blocks)]
        dens = [DB(B * t) for t in range(blocks)]
        for m in range(blocks * B, depth):
            mats.append(flint.fmpz_mat(n, n, [k(m) for k in Kp]))
            dens.append(Dp(m))

        def prod(lo, hi):
            if hi - lo == 1:
                return mats[lo], dens[lo]
            mid = (lo + hi) // 2
            (A, a), (B_, b) = prod(lo, mid), prod(mid, hi)
            return A * B_, a * b

        mats_n = len(mats)
        P, d = prod(0, mats_n)
        return flint.fmpq_mat(P) / d

    def pcf(self, direction: Sequence[int], start: Sequence[int] | None = None) -> Trajectory:
        """The PCF of a trajectory (2x2 fields): see the module docstring."""
        if self.size != 2:
            raise DiscoverError(f"CMF {self.name} has {self.size}x{self.size} matrices; only 2x2 "
                                "walks reduce to a polynomial continued fraction")
        W, t, s = self._step_rf(direction, start)
        poles = [p for p in self.singular_points(t, s, _W=(W, t, s))
                 if p[2].startswith("a pole")]
        if poles:
            m, point, why = poles[0]
            raise DiscoverError(f"{self.name} along {t} from {s} passes through the singular "
                                f"point {point} (step {m}: {why}); choose another start point")
        raw, shift = _walk_to_pcf_rf(W)
        canon, moeb = raw.canonical()
        step = [[str(sympy.factor(e.to_sympy())) for e in row] for row in W]
        return Trajectory(cmf=self.name, direction=t, start=s, pcf=canon, raw=raw, shift=shift,
                          moebius=moeb, step=step)

    def to_json(self) -> dict:
        return {"name": self.name, "axes": list(self.axes), "constants": list(self.constants),
                "description": self.description,
                "matrices": {a: [[str(e) for e in row] for row in M.tolist()]
                             for a, M in self.matrices.items()}}

    def __repr__(self) -> str:
        return f"CMF({self.name!r}, axes={self.axes}, size={self.size})"


def _det_vanishes(mat: sympy.Matrix, symbols) -> bool:
    """Whether ``det(mat)`` is identically zero: nonzero at one rational point settles it
    (cheap); otherwise the determinant is cancelled symbolically."""
    import random
    rng = random.Random(12345)
    for _ in range(3):
        point = {s: sympy.Rational(rng.randint(-10 ** 6, 10 ** 6), rng.randint(1, 997))
                 for s in symbols}
        try:
            value = mat.subs(point).det()
        except ZeroDivisionError:       # pragma: no cover - a pole at the random point
            continue
        if value.is_finite and value != 0:
            return False
    return sympy.cancel(mat.det()) == 0


# -- exact conservation check with multivariate polynomials (python-flint) ----------------
def _flint_violations(field: "CMF") -> list[tuple[str, str]]:
    """Pairs of axes whose conservation condition fails, computed with fmpz_mpoly fractions."""
    names = tuple(field.axes)
    ctx = flint.fmpz_mpoly_ctx.get(names, "lex")
    gens = ctx.gens()
    one = ctx.from_dict({(0,) * len(names): 1})

    def to_mpoly(expr):
        P = sympy.Poly(expr, *field.symbols, domain="QQ")
        terms = P.terms()
        den = reduce(math.lcm, (int(c.q) for _, c in terms), 1)
        return ctx.from_dict({tuple(int(e) for e in mon): int(c * den) for mon, c in terms}), den

    def frac(expr):
        num, den = sympy.fraction(sympy.cancel(expr))
        n, dn = to_mpoly(num)
        d, dd = to_mpoly(den)
        return (n * dd, d * dn)

    mats = {a: [[frac(e) for e in row] for row in M.tolist()] for a, M in field.matrices.items()}

    def shifted(axis, by):
        args = [g + 1 if names[k] == by else g for k, g in enumerate(gens)]
        return [[(n.compose(*args), d.compose(*args)) for n, d in row] for row in mats[axis]]

    def add(x, y):
        if x[0].is_zero():
            return y
        if y[0].is_zero():
            return x
        if x[1] == y[1]:
            return (x[0] + y[0], x[1])
        return (x[0] * y[1] + y[0] * x[1], x[1] * y[1])

    def mul(x, y):
        return (x[0] * y[0], x[1] * y[1])

    def matmul(X, Y):
        n = len(X)
        out = []
        for r in range(n):
            row = []
            for c in range(n):
                acc = (ctx.from_dict({}), one)
                for k in range(n):
                    if not X[r][k][0].is_zero() and not Y[k][c][0].is_zero():
                        acc = add(acc, mul(X[r][k], Y[k][c]))
                g = acc[0].gcd(acc[1]) if not acc[0].is_zero() else acc[1]
                row.append((acc[0] / g, acc[1] / g) if not acc[0].is_zero() else acc)
            out.append(row)
        return out

    bad = []
    for i, j in itertools.combinations(names, 2):
        lhs = matmul(mats[i], shifted(j, i))
        rhs = matmul(mats[j], shifted(i, j))
        if any(not (l[0] * r[1] - r[0] * l[1]).is_zero()
               for lr, rr in zip(lhs, rhs) for l, r in zip(lr, rr)):
            bad.append((i, j))
    return bad


# -- univariate rational functions (python-flint) ------------------------------------------
class _RF:
    """``num/den`` with ``fmpq_poly`` parts in ``m``, kept reduced (``den`` monic): products of
    a walk's step matrices stay polynomial-sized instead of growing sympy expression trees."""

    __slots__ = ("num", "den")

    def __init__(self, num, den=None):
        num = num if isinstance(num, flint.fmpq_poly) else flint.fmpq_poly(num)
        den = flint.fmpq_poly([1]) if den is None else den
        if den == 0:
            raise ZeroDivisionError("rational function with a zero denominator")
        if num == 0:
            self.num, self.den = num, flint.fmpq_poly([1])
            return
        g = num.gcd(den)
        num, den = num // g, den // g
        lead = den[den.degree()]
        self.num, self.den = num / lead, den / lead

    @classmethod
    def from_sympy(cls, expr, m=None) -> "_RF":
        m = m or _M
        num, den = sympy.fraction(sympy.cancel(expr))
        to = lambda e: flint.fmpq_poly([flint.fmpq(int(c.p), int(c.q)) for c in
                                        reversed(sympy.Poly(e, m).all_coeffs())])
        return cls(to(num), to(den))

    def to_sympy(self, m=None):
        m = m or _M

        def to(p):
            return sum((sympy.Rational(int(c.p), int(c.q)) * m ** i
                        for i, c in enumerate(p.coeffs())), sympy.Integer(0))
        return to(self.num) / to(self.den)

    def to_sympy_factored(self, m=None):
        """The same function as a product of irreducible factors (python-flint's factoring,
        not sympy's): what ``sympy.factor`` would print, much faster."""
        m = m or _M

        def part(p):
            if p == 0:
                return sympy.Integer(0)
            c, facs = p.factor()
            out = sympy.Rational(int(c.p), int(c.q))
            for f, e in facs:
                coeffs = f.coeffs()
                out *= sum((sympy.Rational(int(x.p), int(x.q)) * m ** i
                            for i, x in enumerate(coeffs)), sympy.Integer(0)) ** e
            return out
        return part(self.num) / part(self.den)

    def __add__(self, other):
        return _RF(self.num * other.den + other.num * self.den, self.den * other.den)

    def __sub__(self, other):
        return _RF(self.num * other.den - other.num * self.den, self.den * other.den)

    def __mul__(self, other):
        return _RF(self.num * other.num, self.den * other.den)

    def __truediv__(self, other):
        return _RF(self.num * other.den, self.den * other.num)

    def __neg__(self):
        return _RF(-self.num, self.den)

    def is_zero(self) -> bool:
        return self.num == 0

    def shift(self, k: int) -> "_RF":
        """``f(m + k)``."""
        x = flint.fmpq_poly([k, 1])
        return _RF(self.num(x), self.den(x))


def _rf_matmul(X, Y):
    n = len(X)
    out = []
    for i in range(n):
        row = []
        for j in range(len(Y[0])):
            acc = _RF(flint.fmpq_poly([0]))
            for k in range(n):
                if not X[i][k].is_zero() and not Y[k][j].is_zero():
                    acc = acc + X[i][k] * Y[k][j]
            row.append(acc)
        out.append(row)
    return out


def _uni(p) -> "flint.fmpq_poly":
    """A one-variable fmpq_mpoly as an fmpq_poly."""
    d = p.to_dict()
    if not d:
        return flint.fmpq_poly([0])
    top = max(k[0] for k in d)
    coeffs = [flint.fmpq(0)] * (top + 1)
    for (k,), c in d.items():
        coeffs[k] = c
    return flint.fmpq_poly(coeffs)


def _rf_mat_at(W, m: int):
    """The step matrix of :class:`_RF` entries at the integer ``m`` as an ``fmpq_mat``."""
    n = len(W)
    vals = []
    for row in W:
        for e in row:
            d = e.den(m)
            if d == 0:
                raise DiscoverError(f"pole of the step matrix at step {m}")
            vals.append(e.num(m) / d)
    return flint.fmpq_mat(n, n, vals)


def _rf_eval(e: "_RF", m: int) -> Fraction:
    d = e.den(m)
    if d == 0:
        raise DiscoverError(f"pole of the step matrix at step {m}")
    v = e.num(m) / d
    return Fraction(int(v.p), int(v.q))


def _rf_det(X) -> "_RF":
    """Determinant of a square matrix of rational functions (Laplace for small sizes)."""
    n = len(X)
    if n == 1:
        return X[0][0]
    if n == 2:
        return X[0][0] * X[1][1] - X[0][1] * X[1][0]
    acc = _RF(flint.fmpq_poly([0]))
    for j in range(n):
        if X[0][j].is_zero():
            continue
        minor = [row[:j] + row[j + 1:] for row in X[1:]]
        term = X[0][j] * _rf_det(minor)
        acc = acc + term if j % 2 == 0 else acc - term
    return acc


def _rf_inverse(X):
    """Inverse of a square matrix of rational functions (Gauss-Jordan)."""
    n = len(X)
    zero, one = _RF(flint.fmpq_poly([0])), _RF(flint.fmpq_poly([1]))
    A = [list(row) + [one if i == j else zero for j in range(n)] for i, row in enumerate(X)]
    for col in range(n):
        piv = next((r for r in range(col, n) if not A[r][col].is_zero()), None)
        if piv is None:
            raise DiscoverError("a step matrix is singular along this trajectory")
        A[col], A[piv] = A[piv], A[col]
        p = A[col][col]
        A[col] = [e / p for e in A[col]]
        for r in range(n):
            if r != col and not A[r][col].is_zero():
                f = A[r][col]
                A[r] = [e - f * c for e, c in zip(A[r], A[col])]
    return [row[n:] for row in A]


# -- reduction of a 2x2 walk to a PCF ------------------------------------------------------
def _fraction_inverse(M):
    """Inverse of a square matrix of Fractions (Gauss-Jordan)."""
    n = len(M)
    A = [list(row) + [Fraction(int(i == j)) for j in range(n)] for i, row in enumerate(M)]
    for col in range(n):
        piv = next((r for r in range(col, n) if A[r][col] != 0), None)
        if piv is None:
            raise DiscoverError("the walk passes through a singular matrix of the field; "
                                "choose another start point")
        A[col], A[piv] = A[piv], A[col]
        A[col] = [e / A[col][col] for e in A[col]]
        for r in range(n):
            if r != col and A[r][col] != 0:
                f = A[r][col]
                A[r] = [e - f * c for e, c in zip(A[r], A[col])]
    return [row[n:] for row in A]


def _integer_roots(coeffs: Sequence[int]) -> list[int]:
    poly = sympy.Poly(list(coeffs), _N)
    if poly.is_zero:
        return []
    return sorted(int(r) for r in sympy.roots(poly, filter="Z").keys())


def walk_to_pcf(W: sympy.Matrix, m: sympy.Symbol = _M) -> tuple[PCF, int]:
    """``(PCF, shift)`` of the walk ``W(0) W(1) ...`` of a 2x2 matrix of rational functions
    of ``m``: ``a(n) = c(n+s) alpha(n+s)``, ``b(n) = c(n+s) c(n+s-1) beta(n+s)`` scaled to
    integers, with ``s = shift`` the smallest shift that leaves no integer root of ``b`` (or
    pole) at ``n >= 1``.

    >>> import sympy
    >>> m = sympy.Symbol("m")
    >>> walk_to_pcf(sympy.Matrix([[0, m**2], [1, 2*m + 1]]), m)   # b(1) = 0: shifted once
    (PCF(a=[2, 1], b=[1, 0, 0]), 1)
    """
    return _walk_to_pcf_rf([[_RF.from_sympy(W[i, j], m) for j in range(2)] for i in range(2)])


def _walk_to_pcf_rf(W) -> tuple[PCF, int]:
    A, B, C, D = W[0][0], W[0][1], W[1][0], W[1][1]
    if C.is_zero():
        if B.is_zero():
            raise DiscoverError("this trajectory's step matrix is diagonal: the walk has no "
                                "continued fraction (choose another direction)")
        # conjugate by the swap [[0, 1], [1, 0]]: values change by a Moebius map only
        A, B, C, D = D, C, B, A
    det = A * D - B * C
    if det.is_zero():
        raise DiscoverError("this trajectory's step matrix is singular for every step")
    ratio = C / C.shift(-1)
    alpha = A + D.shift(-1) * ratio
    beta = -(det.shift(-1) * ratio)
    if beta.is_zero():
        raise DiscoverError("this trajectory gives b(n) = 0: a finite (rational) walk")
    # clearing factor c(m): multiple of both denominators (b -> c(m) c(m-1) b)
    c = alpha.den * beta.den // alpha.den.gcd(beta.den)
    a_poly = (alpha * _RF(c)).num
    b_poly = (beta * _RF(c) * _RF(c(flint.fmpq_poly([-1, 1])))).num
    # integer coefficients: a -> g a, b -> g^2 b
    coeffs = list(a_poly.coeffs()) + list(b_poly.coeffs())
    g = reduce(math.lcm, (int(x.q) for x in coeffs), 1)
    a_int = [int(x * g) for x in reversed(a_poly.coeffs())]
    b_int = [int(x * g * g) for x in reversed(b_poly.coeffs())]
    # shift past every positive integer root of b and every root >= 0 of the clearing factor
    bad = [r for r in _integer_roots(b_int) if r >= 1]
    if c.degree() > 0:
        lcm_c = reduce(math.lcm, (int(y.q) for y in c.coeffs()), 1)
        bad += [r for r in _integer_roots([int(x * lcm_c) for x in reversed(c.coeffs())])
                if r >= 0]
    shift = int(max(bad)) if bad else 0
    if shift:
        from .canonical import shift_poly
        a_int, b_int = list(shift_poly(a_int, shift)), list(shift_poly(b_int, shift))
    return PCF(a_int, b_int), shift


def directions_up_to(dim: int, max_step: int, negative: bool = False) -> list[tuple[int, ...]]:
    """Primitive integer directions with components in ``[0, max_step]`` (or
    ``[-max_step, max_step]`` with ``negative``), shortest first.

    >>> directions_up_to(2, 2)
    [(0, 1), (1, 0), (1, 1), (1, 2), (2, 1)]
    """
    lo = -max_step if negative else 0
    out = []
    for t in itertools.product(range(lo, max_step + 1), repeat=dim):
        if any(t) and reduce(math.gcd, (abs(x) for x in t)) == 1:
            out.append(t)
    return sorted(out, key=lambda t: (sum(abs(x) for x in t), t))


# -- the corpus ------------------------------------------------------------------------------
def read_cmf_file(path) -> dict[str, CMF]:
    """Read a TOML file of fields (the format of ``corpora/cmfs.toml``)::

        [zeta3]
        description = "..."
        constants = ["zeta3"]
        [zeta3.matrices]
        x = [["0", "-x^3"], ["(x+1)^3", "..."]]
        y = [[...], [...]]
    """
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as err:
        raise DiscoverError(f"{path}: cannot read the CMF file ({err})") from err
    out = {}
    for name, entry in data.items():
        if not isinstance(entry, dict) or "matrices" not in entry:
            raise DiscoverError(f"{path}: field '{name}.matrices' missing: each field is a "
                                f"table [{name}] with a sub-table [{name}.matrices] (one matrix "
                                "per axis)")
        unknown = set(entry) - {"matrices", "constants", "description"}
        if unknown:
            raise DiscoverError(f"{path}: field '{name}.{sorted(unknown)[0]}' is unknown; use "
                                "matrices, constants, description")
        consts = entry.get("constants", [])
        if not isinstance(consts, list) or not all(isinstance(c, str) for c in consts):
            raise DiscoverError(f"{path}: field '{name}.constants' must be a list of corpus names")
        try:
            out[name] = CMF(entry["matrices"], name=name, constants=consts,
                            description=str(entry.get("description", "")))
        except NotConservativeError as err:
            raise NotConservativeError(f"{path}: field {name}: {err}") from err
        except DiscoverError as err:
            raise DiscoverError(f"{path}: {err}") from err
    return out


_KNOWN: dict[str, CMF] | None = None


def known_cmfs() -> dict[str, CMF]:
    """The fields of ``corpora/cmfs.toml`` (checked once per process)."""
    global _KNOWN
    if _KNOWN is None:
        from discover_corpora import path as corpus_path
        _KNOWN = read_cmf_file(corpus_path("cmfs.toml"))
    return _KNOWN


def load_cmf(name: str, path=None) -> CMF:
    """A field by name, from ``path`` (a TOML file) or the corpus."""
    if not path:
        from .catalogue import catalogue, catalogue_field
        if name in catalogue():
            return catalogue_field(name)
    fields = read_cmf_file(path) if path else known_cmfs()
    if name not in fields:
        where = str(path) if path else "the catalogue"
        if not path:
            from .catalogue import catalogue
            known = list(catalogue())
        else:
            known = sorted(fields)
        raise DiscoverError(f"no conservative matrix field {name!r} in {where}; known: "
                            f"{', '.join(known)}")
    return fields[name]


def walk(field: "CMF | str", direction: Sequence[int], start: Sequence[int] | None = None, *,
         digits: int = 100, path=None, constants: Sequence[str] | None = None, plugins=None,
         findings: list | None = None) -> dict:
    """Reduce one trajectory to a PCF, identify its limit and verify it: the data behind
    ``discover cmf walk``.

    Returns :meth:`Trajectory.to_json` plus ``limit`` (30 digits, or None), ``expression``
    (closed form in the field's constants, or None), ``digits`` (verified digits, or the digits
    the convergents reached), ``verified``, ``delta``, ``convergence_rate`` and ``reason``.
    The limit is identified with PSLQ from ``digits + 20`` digits of exact convergents; that
    claim then goes through the one record path (:func:`discover.pipeline.verify_hit`: the cmf
    generator's tier 3 to ``digits`` digits against the closed form evaluated independently,
    delta, identification of the canonical form, provenance). A verified walk's finding is
    appended to ``findings`` (for ``discover cmf walk --store``).

    >>> r = walk("zeta3", (1, 1))
    >>> r["a"], r["b"], r["expression"], r["verified"]
    ([34, 51, 27, 5], [-1, 0, 0, 0, 0, 0, 0], '6/zeta3', True)
    """
    from discover import Tier
    from discover.errors import VerificationError
    from discover.identification import identify

    from .cmf_generator import trajectory_pcf
    from .verbs import _plugins, claim_of, verb_context, verify_claim

    if isinstance(field, str):
        field = load_cmf(field, path)
    if field.size != 2:
        return _walk_recurrence(field, direction, start, digits, constants, plugins, findings)
    tr = field.pcf(direction, start)
    out = tr.to_json()
    out.update(limit=None, expression=None, digits=0.0, verified=False, delta=None,
               convergence_rate=None, reason="")
    pl = _plugins(plugins)
    registry = pl.constants
    names = list(constants if constants is not None else field.constants) or registry.names()
    try:
        value = tr.pcf.limit(digits + 20)
    except VerificationError as err:
        # slowly converging walk: a conjecture from Richardson extrapolation, never a verdict
        out["reason"] = f"the limit could not be computed to {digits + 20} digits: {err}"
        try:
            value, extra_digits = tr.pcf.extrapolated_limit()
        except Exception:
            return out
        if not extra_digits or extra_digits < 15:
            return out
        extra_digits = int(extra_digits)
        out["limit"] = mpmath.nstr(value, min(30, extra_digits))
        try:
            found = identify(value, constants=names, digits=extra_digits, registry=registry)
        except ExpressionError:
            found = None
        if found is not None:
            out["expression"] = found.expression
            out["digits"] = float(extra_digits)
            out["reason"] += (f"; Richardson extrapolation agrees with {found.expression} to "
                              f"about {extra_digits} digits (a conjecture, not verified)")
        return out
    out["limit"] = mpmath.nstr(value, 30)
    # walks reach Moebius maps with large coefficients: allow 10^12 when the precision leaves
    # a wide margin (4 coefficients of 12 digits against digits + 20 digits)
    max_exp = max(6, min(12, (digits + 20) // 8))
    found = identify(value, constants=names, digits=digits + 20, registry=registry,
                     max_coeff=10 ** max_exp)
    if found is None:
        out["reason"] = (f"no closed form in {', '.join(names)} (PSLQ at {digits + 20} digits, "
                         f"coefficients up to 10^{max_exp})")
        return out
    out["expression"] = found.expression
    target, expression = claim_of(found)
    gen = pl.generator("cmf")
    ctx = verb_context(digits, [c for c in names if c in registry] if target is None
                       else [target.constant], pl)
    search = {"verb": "cmf walk", "name": f"cmf walk {field.name}", "cmf": field.name,
              "direction": out["direction"], "start": out["start"], "digits": digits,
              "constants": names}
    pslq = Tier("pslq", float(digits + 20), depth=0, value=found.expression,
                detail={"relation": [int(r) for r in found.relation], "basis": found.basis,
                        "max_coeff": f"10^{max_exp}", "limit": out["limit"]})
    finding, verdict = verify_claim(gen, trajectory_pcf(field, tr, direction, out["start"]), ctx,
                                    target=target, expression=expression, tiers=[pslq],
                                    search=search)
    out["digits"] = round(float(verdict.digits), 1)
    out["verified"] = bool(verdict.equal)
    out["convergence_rate"] = verdict.convergence_rate
    out["reason"] = verdict.reason
    out["delta"] = verdict.extra.get("delta")
    if finding is not None and findings is not None:
        findings.append(finding)
    return out


def _walk_recurrence(field: CMF, direction, start, digits: int, constants, plugins,
                     findings: list | None = None) -> dict:
    """``walk`` for an N x N field (N != 2): the order-N recurrence of the walk, its limit from
    exact terms (binary splitting), identified by PSLQ at ``digits + 20`` digits and checked
    against the closed form evaluated independently at ``digits`` digits."""
    from discover.errors import VerificationError
    from discover.identification import identify

    from .verbs import _plugins

    rec, info = field.recurrence(direction, start)
    out = {"cmf": field.name, "direction": info["direction"], "start": info["start"],
           "rank": field.size, "recurrence": rec.to_json(), "step_matrix": info["step_matrix"],
           "limit": None, "expression": None, "digits": 0.0, "verified": False, "delta": None,
           "convergence_rate": None, "reason": ""}
    pl = _plugins(plugins)
    registry = pl.constants
    names = list(constants if constants is not None else field.constants) or registry.names()
    try:
        value = rec.limit(digits + 20, max_depth=1 << 16)
    except VerificationError as err:
        out["reason"] = f"the limit could not be computed to {digits + 20} digits: {err}"
        return out
    out["limit"] = mpmath.nstr(value, 30)
    max_exp = max(6, min(12, (digits + 20) // 8))
    try:
        found = identify(value, constants=names, digits=digits + 20, registry=registry,
                         max_coeff=10 ** max_exp)
    except ExpressionError:
        found = None
    rate = rec.convergence_rate(50)
    out["convergence_rate"] = rate
    out["delta"] = rec.delta(50)
    if found is None:
        out["reason"] = (f"no closed form in {', '.join(names)} (PSLQ at {digits + 20} digits, "
                         f"coefficients up to 10^{max_exp})")
        return out
    out["expression"] = found.expression
    # independent check: the closed form evaluated by the registry against the limit
    closed = registry.evaluate(found.expression, digits + 30)
    with mpmath.workdps(digits + 30):
        diff = abs(closed - value)
        agree = float(-mpmath.log10(diff / max(abs(value), 1))) if diff else float(digits + 20)
    out["digits"] = round(min(agree, digits + 20), 1)
    out["verified"] = agree >= digits
    out["reason"] = (f"limit of the order-{rec.order} recurrence (exact terms, depth doubled "
                     f"until {digits + 20} digits settle) agrees with {found.expression} to "
                     f"{out['digits']} digits")
    if out["verified"] and findings is not None:
        # the one record path: tier 3 of the cmf generator on the recurrence candidate
        from discover import Tier

        from .cmf_generator import RecurrenceCandidate
        from .verbs import claim_of, verb_context, verify_claim
        target, expression = claim_of(found)
        ctx = verb_context(digits, [target.constant] if target is not None else
                           [c for c in names if c in registry], pl)
        cand = RecurrenceCandidate(rec, {"name": field.name, "direction": info["direction"],
                                         "start": info["start"], "rank": field.size})
        pslq = Tier("pslq", float(digits + 20), depth=0, value=found.expression,
                    detail={"relation": [int(r) for r in found.relation],
                            "basis": found.basis, "limit": out["limit"]})
        finding, _ = verify_claim(pl.generator("cmf"), cand, ctx, target=target,
                                  expression=expression, tiers=[pslq],
                                  search={"verb": "cmf walk", "cmf": field.name,
                                          "direction": info["direction"],
                                          "start": info["start"], "digits": digits})
        if finding is not None:
            findings.append(finding)
    return out
