"""Straight-line programs over x, their numba kernels and their exports.

A program is a list of instructions; value 0 is ``x`` and instruction ``i`` writes value ``i+1``.
The last instruction is the output. Each instruction has an opcode, up to three value indices
(``a``, ``b``, ``d``) and a constant ``c``:

====  =========  ===============================  ========
code  name       value                            optional
====  =========  ===============================  ========
0     add        v[a] + v[b]
1     sub        v[a] - v[b]
2     mul        v[a] * v[b]
3     div        v[a] / v[b]
4     addc       v[a] + c
5     mulc       v[a] * c
6     rsubc      c - v[a]
7     rdivc      c / v[a]
8     fma        v[a] * v[b] + v[d]               yes
9     sqrt       sqrt(v[a])                       yes
10    scale      v[a] * c, c a power of two       yes
====  =========  ===============================  ========

Every instruction reads at least one value, so every live instruction depends on x: the op count
is the number of live instructions (constants are free). Optional ops are counted separately.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numba
import numpy as np

__all__ = ["Program", "OPS", "LATENCY", "eval_population", "eval_with_jacobian", "pack"]

OPS = ["add", "sub", "mul", "div", "addc", "mulc", "rsubc", "rdivc", "fma", "sqrt", "scale"]
BINARY = (0, 1, 2, 3)
CONST = (4, 5, 6, 7)
OPTIONAL = (8, 9, 10)
ST_OK, ST_DIVZERO, ST_NONFINITE = 0, 1, 2
# latency cost model (in multiply latencies, typical of current x86/ARM cores): a division or a
# square root costs several multiplies, an fma one
LATENCY = {"add": 1, "sub": 1, "mul": 1, "div": 4, "addc": 1, "mulc": 1, "rsubc": 1,
           "rdivc": 4, "fma": 1, "sqrt": 5, "scale": 1}


@dataclass
class Program:
    op: list
    a: list
    b: list
    d: list
    c: list
    meta: dict = field(default_factory=dict)

    def __len__(self):
        return len(self.op)

    def copy(self) -> "Program":
        return Program(list(self.op), list(self.a), list(self.b), list(self.d), list(self.c),
                       dict(self.meta))

    # -- structure ---------------------------------------------------------------------
    def args(self, i):
        o = self.op[i]
        if o in BINARY:
            return (self.a[i], self.b[i])
        if o == 8:
            return (self.a[i], self.b[i], self.d[i])
        return (self.a[i],)

    def live(self) -> list[bool]:
        n = len(self.op)
        live = [False] * n
        if n:
            live[-1] = True
        for i in range(n - 1, -1, -1):
            if live[i]:
                for j in self.args(i):
                    if j >= 1:
                        live[j - 1] = True
        return live

    def pruned(self) -> "Program":
        live = self.live()
        new_index = {0: 0}
        out = Program([], [], [], [], [], dict(self.meta))
        for i, keep in enumerate(live):
            if not keep:
                continue
            new_index[i + 1] = len(out.op) + 1
            out.op.append(self.op[i])
            out.a.append(new_index[self.a[i]])
            out.b.append(new_index.get(self.b[i], 0) if self.op[i] in BINARY + (8,) else 0)
            out.d.append(new_index.get(self.d[i], 0) if self.op[i] == 8 else 0)
            out.c.append(float(self.c[i]))
        return out

    @property
    def ops(self) -> int:
        return sum(self.live())

    @property
    def optional_ops(self) -> int:
        return sum(1 for o, lv in zip(self.op, self.live()) if lv and o in OPTIONAL)

    def free_constants(self) -> list[int]:
        return [i for i, o in enumerate(self.op) if o in CONST]

    def valid_structure(self) -> bool:
        for i, o in enumerate(self.op):
            if not 0 <= o < len(OPS):
                return False
            for j in self.args(i):
                if not 0 <= j <= i:
                    return False
        return len(self.op) > 0

    def to_dict(self) -> dict:
        return {"op": [OPS[o] for o in self.op], "a": list(self.a), "b": list(self.b),
                "d": list(self.d), "c": [float(v) for v in self.c]}

    @classmethod
    def from_dict(cls, d) -> "Program":
        return cls([OPS.index(o) for o in d["op"]], list(d["a"]), list(d["b"]), list(d["d"]),
                   [float(v) for v in d["c"]])

    # -- exports -----------------------------------------------------------------------
    def _lines(self, lit, sqrt="sqrt", fma=None):
        names = ["x"] + [f"t{i + 1}" for i in range(len(self.op))]
        out = []
        for i, o in enumerate(self.op):
            a = names[self.a[i]]
            b = names[self.b[i]] if o in BINARY + (8,) else ""
            c = lit(self.c[i])
            expr = {0: f"{a} + {b}", 1: f"{a} - {b}", 2: f"{a} * {b}", 3: f"{a} / {b}",
                    4: f"{a} + {c}", 5: f"{a} * {c}", 6: f"{c} - {a}", 7: f"{c} / {a}",
                    9: f"{sqrt}({a})", 10: f"{a} * {c}"}.get(o)
            if o == 8:
                dd = names[self.d[i]]
                expr = f"{a} * {b} + {dd}" if fma is None else f"{fma}({a}, {b}, {dd})"
            out.append((names[i + 1], expr))
        return out

    def cost(self, model: str = "ops") -> int:
        """The program's cost: ``ops`` (live operations) or ``latency`` (each live operation
        charged by :data:`LATENCY`: a division or a square root as several multiplies, an fma
        as one)."""
        if model == "ops":
            return self.ops
        if model != "latency":
            raise ValueError(f"cost model {model!r}: valid choices are 'ops', 'latency'")
        return sum(LATENCY[OPS[o]] for o, lv in zip(self.op, self.live()) if lv)

    def has_division(self) -> bool:
        return any(o in (3, 7) for o, lv in zip(self.op, self.live()) if lv)

    def to_python(self, name: str = "f") -> str:
        """A self-contained ``def f(x):`` using only arithmetic and float literals (and ``** 0.5``
        for the optional sqrt). Division is IEEE division: where the program divides by zero
        (a removable singularity, ``c/(x + c/x)`` at x = 0) the quotient is a signed infinity,
        as in numpy float64, numba or C; plain Python floats raise there instead."""
        lines = [f"def {name}(x):"]
        if self.has_division():
            lines.append("    # IEEE division: c/0 is a signed infinity and c/inf is 0 "
                         "(numpy/numba/C semantics)")
        for var, expr in self._lines(lambda v: repr(float(v))):
            if "sqrt(" in expr:
                expr = "(" + expr.replace("sqrt(", "").rstrip(")") + ") ** 0.5"
            lines.append(f"    {var} = {expr}")
        lines.append(f"    return t{len(self.op)}")
        return "\n".join(lines) + "\n"

    def to_c(self, name: str = "f", ctype: str = "double", comment: str | None = None) -> str:
        """C source (``fma``/``fmaf`` where the program uses fma; hexadecimal float literals);
        ``comment`` (e.g. the proven bound) goes in a comment above the function."""
        suffix = "f" if ctype == "float" else ""

        def lit(v):
            if ctype == "float":
                return float(np.float32(v)).hex() + suffix
            return float(v).hex() + suffix

        lines = []
        if comment:
            lines += ["/* " + line + " */" for line in comment.splitlines()]
        if self.has_division():
            lines.append("/* IEEE division: at a removable singularity an intermediate value is "
                         "a signed infinity (do not compile with -ffinite-math-only) */")
        lines.append(f"{ctype} {name}({ctype} x) {{")
        for var, expr in self._lines(lit, sqrt="sqrt" + suffix, fma="fma" + suffix):
            lines.append(f"    const {ctype} {var} = {expr};")
        lines.append(f"    return t{len(self.op)};")
        lines.append("}")
        return "\n".join(lines) + "\n"

    def to_numba(self):
        """A numba-jitted callable ``f(x)`` compiled from :meth:`to_python`."""
        ns: dict = {}
        exec(compile(self.to_python("f"), "<evolved>", "exec"), {"__builtins__": {}}, ns)
        return numba.njit(error_model="numpy")(ns["f"])

    def text(self) -> str:
        """One-line expression (shared values inlined)."""
        names = ["x"]
        for var, expr in self._lines(lambda v: f"{float(v):.6g}"):
            names.append(expr)
        # rebuild inlined
        vals = ["x"]
        for i, o in enumerate(self.op):
            a = vals[self.a[i]]
            b = vals[self.b[i]] if o in BINARY + (8,) else ""
            c = f"{self.c[i]:.6g}"
            vals.append({0: f"({a} + {b})", 1: f"({a} - {b})", 2: f"{a}*{b}", 3: f"{a}/{b}",
                         4: f"({a} + {c})", 5: f"{c}*{a}", 6: f"({c} - {a})", 7: f"{c}/{a}",
                         8: f"({a}*{b} + {vals[self.d[i]]})", 9: f"sqrt({a})",
                         10: f"{c}*{a}"}[o])
        return vals[-1]

    def _repr_html_(self) -> str:
        """A program in Jupyter: its one-line expression, op count and Python code."""
        from html import escape

        return (f"<div><b>program</b> ({self.ops} ops): <code>{escape(self.text())}</code>"
                f"<pre>{escape(self.to_python())}</pre></div>")


def pack(programs, dtype=np.float64):
    """Encode programs as padded arrays ``(op, a, b, d, c, lens)``."""
    n = len(programs)
    L = max(1, max(len(p) for p in programs))
    op = np.zeros((n, L), np.int64)
    a = np.zeros((n, L), np.int64)
    b = np.zeros((n, L), np.int64)
    d = np.zeros((n, L), np.int64)
    c = np.zeros((n, L), dtype)
    lens = np.zeros(n, np.int64)
    for i, p in enumerate(programs):
        k = len(p)
        lens[i] = k
        op[i, :k] = p.op
        a[i, :k] = p.a
        b[i, :k] = p.b
        d[i, :k] = p.d
        c[i, :k] = np.asarray(p.c, dtype=np.float64).astype(dtype)
    return op, a, b, d, c, lens


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _eval_pop(op, A, B, D, C, lens, xs, out, status):
    """IEEE evaluation: a division by zero gives a signed infinity and infinite intermediate
    values are carried on; only the output must be finite (status 1 when it is not and a
    division by zero happened on the way, 2 for any other non-finite output)."""
    P = op.shape[0]
    G = xs.shape[0]
    v = np.empty(op.shape[1] + 1, dtype=xs.dtype)
    for p in range(P):
        st = 0
        L = lens[p]
        for g in range(G):
            v[0] = xs[g]
            divzero = False
            for i in range(L):
                o = op[p, i]
                x = v[A[p, i]]
                if o == 0:
                    r = x + v[B[p, i]]
                elif o == 1:
                    r = x - v[B[p, i]]
                elif o == 2:
                    r = x * v[B[p, i]]
                elif o == 3:
                    den = v[B[p, i]]
                    if den == 0:
                        divzero = True
                    r = x / den
                elif o == 4:
                    r = x + C[p, i]
                elif o == 5 or o == 10:
                    r = x * C[p, i]
                elif o == 6:
                    r = C[p, i] - x
                elif o == 7:
                    if x == 0:
                        divzero = True
                    r = C[p, i] / x
                elif o == 8:
                    r = x * v[B[p, i]] + v[D[p, i]]
                else:
                    r = np.sqrt(x)
                v[i + 1] = r
            res = v[L]
            if not np.isfinite(res):
                st = 1 if divzero else 2
                break
            out[p, g] = res
        status[p] = st


def eval_population(programs, xs, dtype=np.float64):
    """Evaluate every program at every point of ``xs`` in ``dtype`` (float64 or float32).

    Division follows IEEE 754: ``c/0`` is a signed infinity and ``c/inf`` is 0, so a program
    with a removable singularity at a grid point (``c/(x + c/x)`` at x = 0) is evaluated as
    deployed code would. Returns ``(values (P, G), status (P,))``; status 0 = every output
    finite, 1 = a non-finite output after a division by zero, 2 = another non-finite output
    (overflow, 0/0, sqrt of a negative). Rows with status != 0 are not usable.
    """
    op, a, b, d, c, lens = pack(programs, dtype)
    xs = np.ascontiguousarray(xs, dtype=dtype)
    out = np.zeros((len(programs), xs.shape[0]), dtype=dtype)
    status = np.zeros(len(programs), np.int64)
    _eval_pop(op, a, b, d, c, lens, xs, out, status)
    return out, status


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _eval_jac(op, A, B, D, C, xs, val, jac):
    """Forward-mode derivative of every value with respect to every instruction's constant."""
    L = op.shape[0]
    G = xs.shape[0]
    for g in range(G):
        val[0, g] = xs[g]
        for k in range(L):
            jac[0, k, g] = 0.0
    ok = True
    for i in range(L):
        o = op[i]
        ai = A[i]
        bi = B[i]
        for g in range(G):
            x = val[ai, g]
            if o == 0:
                val[i + 1, g] = x + val[bi, g]
                for k in range(i):
                    jac[i + 1, k, g] = jac[ai, k, g] + jac[bi, k, g]
            elif o == 1:
                val[i + 1, g] = x - val[bi, g]
                for k in range(i):
                    jac[i + 1, k, g] = jac[ai, k, g] - jac[bi, k, g]
            elif o == 2:
                y = val[bi, g]
                val[i + 1, g] = x * y
                for k in range(i):
                    jac[i + 1, k, g] = jac[ai, k, g] * y + x * jac[bi, k, g]
            elif o == 3:
                y = val[bi, g]
                q = x / y
                val[i + 1, g] = q
                for k in range(i):
                    jac[i + 1, k, g] = (jac[ai, k, g] - q * jac[bi, k, g]) / y
            elif o == 4:
                val[i + 1, g] = x + C[i]
                for k in range(i):
                    jac[i + 1, k, g] = jac[ai, k, g]
            elif o == 5 or o == 10:
                val[i + 1, g] = x * C[i]
                for k in range(i):
                    jac[i + 1, k, g] = jac[ai, k, g] * C[i]
            elif o == 6:
                val[i + 1, g] = C[i] - x
                for k in range(i):
                    jac[i + 1, k, g] = -jac[ai, k, g]
            elif o == 7:
                q = C[i] / x
                val[i + 1, g] = q
                for k in range(i):
                    jac[i + 1, k, g] = -q / x * jac[ai, k, g]
            elif o == 8:
                y = val[bi, g]
                val[i + 1, g] = x * y + val[D[i], g]
                for k in range(i):
                    jac[i + 1, k, g] = jac[ai, k, g] * y + x * jac[bi, k, g] + jac[D[i], k, g]
            else:
                if x <= 0:
                    ok = False
                    x = 1e-300
                s = np.sqrt(x)
                val[i + 1, g] = s
                for k in range(i):
                    jac[i + 1, k, g] = jac[ai, k, g] / (2 * s)
            # derivative with respect to this instruction's own constant
            if o == 4:
                jac[i + 1, i, g] = 1.0
            elif o == 5:
                jac[i + 1, i, g] = x
            elif o == 6:
                jac[i + 1, i, g] = 1.0
            elif o == 7:
                jac[i + 1, i, g] = 1.0 / x
            else:
                jac[i + 1, i, g] = 0.0
        for k in range(i + 1, L):
            for g in range(G):
                jac[i + 1, k, g] = 0.0
    for g in range(G):
        if not np.isfinite(val[L, g]):
            ok = False
    return ok


def eval_with_jacobian(prog: Program, xs: np.ndarray):
    """``(output (G,), d output / d c_i (L, G), ok)`` for one program in float64, with IEEE
    division (``ok``: every output finite). Where an intermediate value is infinite (a
    removable singularity at a grid point) the derivatives there can be NaN; the fitter treats
    them as 0 (the output there does not depend on the constants to first order)."""
    L = len(prog)
    op = np.asarray(prog.op, np.int64)
    val = np.empty((L + 1, xs.shape[0]))
    jac = np.empty((L + 1, L, xs.shape[0]))
    ok = _eval_jac(op, np.asarray(prog.a, np.int64), np.asarray(prog.b, np.int64),
                   np.asarray(prog.d, np.int64), np.asarray(prog.c, np.float64),
                   np.ascontiguousarray(xs, np.float64), val, jac)
    return val[L], jac[L], bool(ok)


def run_values(prog: Program, x, const, sqrt) -> list:
    """Every value of the program run over objects with ``+ - * /`` (numpy arrays of any dtype,
    arb balls or series, ...): ``const`` turns a float constant into such an object and ``sqrt``
    takes a square root. The one interpreter of plain-arithmetic evaluation."""
    v = [x]
    for i, o in enumerate(prog.op):
        a = v[prog.a[i]]
        if o in (0, 1, 2, 3, 8):
            b = v[prog.b[i]]
        else:
            c = const(prog.c[i])
        if o == 0:
            r = a + b
        elif o == 1:
            r = a - b
        elif o == 2:
            r = a * b
        elif o == 3:
            r = a / b
        elif o == 4:
            r = a + c
        elif o in (5, 10):
            r = a * c
        elif o == 6:
            r = c - a
        elif o == 7:
            r = c / a
        elif o == 8:
            r = a * b + v[prog.d[i]]
        else:
            r = sqrt(a)
        v.append(r)
    return v


def eval_extended(prog: Program, xs: np.ndarray) -> np.ndarray:
    """The program in extended precision (numpy ``longdouble``, IEEE division): an estimate of
    its value in exact arithmetic, used for polishing constants below float64 noise."""
    with np.errstate(all="ignore"):
        return run_values(prog, np.asarray(xs).astype(np.longdouble), np.longdouble,
                          np.sqrt)[-1]


# -- builders ----------------------------------------------------------------------------
class Builder:
    """Append instructions and get their value indices (helper for seeds and baselines)."""

    def __init__(self):
        self.p = Program([], [], [], [], [])

    def emit(self, o, a, b=0, c=0.0, d=0):
        self.p.op.append(o)
        self.p.a.append(a)
        self.p.b.append(b)
        self.p.d.append(d)
        self.p.c.append(float(c))
        return len(self.p.op)

    def horner(self, coeffs, var=0, monic=False, drop_zero=False):
        """Horner form of sum coeffs[k] * v^k (coeffs low to high) -> value index.

        ``monic`` drops the leading multiplication (leading coefficient taken as 1);
        ``drop_zero`` leaves out the constant term (the polynomial vanishes at v = 0)."""
        deg = len(coeffs) - 1
        if deg == 0:
            raise ValueError("degree 0")
        if monic:
            if deg == 1 and drop_zero:
                return var
            t = self.emit(4, var, c=coeffs[deg - 1]) if not (deg == 1 and drop_zero) else var
        else:
            t = self.emit(5, var, c=coeffs[deg])
            if deg == 1 and drop_zero:
                return t
            t = self.emit(4, t, c=coeffs[deg - 1])
        for k in range(deg - 2, -1, -1):
            t = self.emit(2, t, var)
            if k == 0 and drop_zero:
                return t
            t = self.emit(4, t, c=coeffs[k])
        return t

    def program(self, **meta) -> Program:
        p = self.p.pruned()
        p.meta.update(meta)
        return p
