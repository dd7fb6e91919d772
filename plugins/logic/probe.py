"""Screening conjectures on random numerals with a numba kernel.

The meaning of every symbol comes from the axioms themselves: constructors build the data
(``0`` is 0 and ``S(n)`` is n + 1 for the naturals), and a defined symbol is evaluated by the
first axiom whose left side matches the arguments (``x + S(y) = S(x + y)``: recursion on the
second argument). :func:`value_tables` tabulates each symbol on ``0..T-1`` once in Python; the
numba kernel :func:`_eval_programs` then runs terms compiled to postfix programs over a batch of
probe assignments, looking values up in those tables.

Values are int64 and small: probes draw variables from ``0..3`` and a value outside ``0..T-1``
(T = 128 by default) makes that probe *unusable* (NaN) instead of wrapping around, so no overflow
can make two different functions look equal. Rows of probe outputs are hashed as float64 with
:func:`discover.hashing.vector_keys` (exact for such small integers).
"""

from __future__ import annotations

import sys

import numba
import numpy as np

from discover.errors import DiscoverError
from discover.hashing import vector_keys

from .syntax import Theory, variables

__all__ = ["Interpreter", "TermInterpreter", "make_interpreter", "enumerate_sorted",
           "sorted_probes", "eval_sorted", "check_sorted_axioms", "compile_terms", "eval_terms", "enumerate_terms", "probe_matrix",
           "InconsistentAxioms", "check_axioms", "python_eval", "term_keys"]

OP_VAR, OP_CONST, OP_APPLY = 0, 1, 2


class InconsistentAxioms(DiscoverError):
    """An axiom is false on numerals (or a symbol is not defined on some numerals)."""


class Interpreter:
    """Evaluate ground terms over naturals by the axioms (constructors 0/S as data)."""

    def __init__(self, theory: Theory, limit: int = 128):
        self.theory = theory
        self.sig = theory.signature
        self.limit = limit
        cons = self.sig.constructors
        arities = sorted(self.sig.arity[c] for c in cons)
        if arities != [0, 1]:
            raise DiscoverError("the numeral probe needs one constant and one unary constructor "
                                f"(like 0/0 S/1); got {', '.join(cons)}")
        self.zero = next(c for c in cons if self.sig.arity[c] == 0)
        self.succ = next(c for c in cons if self.sig.arity[c] == 1)
        self.defs: dict = {}
        for ax in theory.axioms:
            if ax.premise is None and not isinstance(ax.lhs, str) and ax.lhs[0] not in cons:
                self.defs.setdefault(ax.lhs[0], []).append(ax)
        self._memo: dict = {}

    def _match(self, pat, n: int, env: dict) -> bool:
        if isinstance(pat, str):
            if pat in env:
                return env[pat] == n
            env[pat] = n
            return True
        if pat[0] == self.zero:
            return n == 0
        if pat[0] == self.succ:
            return n > 0 and self._match(pat[1], n - 1, env)
        return False   # defined symbols are not patterns

    def apply(self, f: str, args: tuple) -> int:
        if f == self.zero:
            return 0
        if f == self.succ:
            return args[0] + 1
        key = (f,) + args
        v = self._memo.get(key)
        if v is not None:
            return v
        for ax in self.defs.get(f, ()):
            env: dict = {}
            if all(self._match(p, a, env) for p, a in zip(ax.lhs[1:], args)):
                v = self.value(ax.rhs, env)
                break
        else:
            raise InconsistentAxioms(f"no axiom defines {f} at {args} (the axioms must define "
                                     f"every symbol by recursion on {self.zero}/{self.succ})")
        self._memo[key] = v
        return v

    def value(self, t, env: dict) -> int:
        if isinstance(t, str):
            return env[t]
        return self.apply(t[0], tuple(self.value(a, env) for a in t[1:]))

    def _bounded(self, t, env: dict) -> int:
        """Like :meth:`value` but -1 as soon as any intermediate value leaves 0..limit-1."""
        if isinstance(t, str):
            return env[t]
        args = []
        for a in t[1:]:
            v = self._bounded(a, env)
            if v < 0:
                return -1
            args.append(v)
        return self._apply_bounded(t[0], tuple(args))

    def _apply_bounded(self, f: str, args: tuple) -> int:
        if f == self.zero:
            return 0
        if f == self.succ:
            return args[0] + 1 if args[0] + 1 < self.limit else -1
        key = (f,) + args
        v = self._bmemo.get(key)
        if v is not None:
            return v
        for ax in self.defs.get(f, ()):
            env: dict = {}
            if all(self._match(p, a, env) for p, a in zip(ax.lhs[1:], args)):
                v = self._bounded(ax.rhs, env)
                break
        else:
            raise InconsistentAxioms(f"no axiom defines {f} at {args} (the axioms must define "
                                     f"every symbol by recursion on {self.zero}/{self.succ})")
        self._bmemo[key] = v
        return v

    def tables(self):
        """``(symbols, tables)``: tables[k] is a (T, T) int64 array for binary symbol k (unary
        ones use row 0, constants entry [0, 0]); -1 marks values outside 0..T-1 (and values whose
        computation by the axioms passes outside that range: conservative, never wrong)."""
        syms = [s for s in self.sig.arity]
        T = self.limit
        self._bmemo: dict = {}
        tab = np.full((len(syms), T, T), -1, dtype=np.int64)
        old = sys.getrecursionlimit()
        sys.setrecursionlimit(max(old, 20000))
        try:
            for k, s in enumerate(syms):
                n = self.sig.arity[s]
                if n == 0:
                    tab[k, 0, 0] = self._apply_bounded(s, ())
                elif n == 1:
                    for a in range(T):
                        tab[k, 0, a] = self._apply_bounded(s, (a,))
                elif n == 2:
                    for b in range(T):
                        for a in range(T):
                            try:
                                tab[k, a, b] = self._apply_bounded(s, (a, b))
                            except RecursionError:
                                tab[k, a, b] = -1
                else:
                    raise DiscoverError(f"symbol {s}/{n}: the probe handles arities 0 to 2")
        finally:
            sys.setrecursionlimit(old)
        return syms, tab


def python_eval(interp: Interpreter, t, env: dict) -> int:
    """Independent pure-Python evaluation (exact integers, no table limit)."""
    return interp.value(t, env)


def compile_terms(terms, syms, varnames):
    """Postfix programs: int64 arrays ops/args of shape (n, L) and lengths (n,)."""
    index = {s: k for k, s in enumerate(syms)}
    vidx = {v: k for k, v in enumerate(varnames)}
    progs = []
    for t in terms:
        code: list = []

        def emit(u):
            if isinstance(u, str):
                code.append((OP_VAR, vidx[u], 0))
            else:
                for a in u[1:]:
                    emit(a)
                code.append((OP_APPLY if len(u) > 1 else OP_CONST, index[u[0]], len(u) - 1))
        emit(t)
        progs.append(code)
    L = max((len(c) for c in progs), default=1)
    ops = np.zeros((len(progs), L), dtype=np.int64)
    arg = np.zeros((len(progs), L), dtype=np.int64)
    nar = np.zeros((len(progs), L), dtype=np.int64)
    lens = np.zeros(len(progs), dtype=np.int64)
    for i, c in enumerate(progs):
        lens[i] = len(c)
        for j, (o, a, n) in enumerate(c):
            ops[i, j], arg[i, j], nar[i, j] = o, a, n
    return ops, arg, nar, lens


@numba.njit(cache=True, nogil=True)
def _eval_programs(ops, arg, nar, lens, tables, probes, out):
    n = ops.shape[0]
    p = probes.shape[0]
    stack = np.empty(ops.shape[1] + 1, dtype=np.int64)
    T = tables.shape[1]
    for i in range(n):
        for q in range(p):
            sp = 0
            bad = False
            for j in range(lens[i]):
                o = ops[i, j]
                if o == 0:
                    stack[sp] = probes[q, arg[i, j]]
                    sp += 1
                elif o == 1:
                    stack[sp] = tables[arg[i, j], 0, 0]
                    sp += 1
                else:
                    k = nar[i, j]
                    if k == 1:
                        a = stack[sp - 1]
                        v = tables[arg[i, j], 0, a] if 0 <= a < T else -1
                        stack[sp - 1] = v
                    else:
                        a = stack[sp - 2]
                        b = stack[sp - 1]
                        v = tables[arg[i, j], a, b] if (0 <= a < T and 0 <= b < T) else -1
                        sp -= 1
                        stack[sp - 1] = v
                    if v < 0:
                        bad = True
                        break
            out[i, q] = np.nan if bad else float(stack[0])


def probe_matrix(nvars: int, nprobes: int = 24, hi: int = 3, seed: int = 1) -> np.ndarray:
    """Probe assignments: the first rows are all-small corners, then random values in 0..hi."""
    rng = np.random.default_rng(seed)
    m = rng.integers(0, hi + 1, size=(nprobes, nvars)).astype(np.int64)
    m[0, :] = 0
    if nprobes > 1:
        m[1, :] = np.arange(nvars) % (hi + 1)
    return m


def eval_terms(terms, syms, tables, varnames, probes) -> np.ndarray:
    """Values (float64, NaN = unusable probe) of ``terms`` at ``probes``, shape (n, p)."""
    ops, arg, nar, lens = compile_terms(terms, syms, varnames)
    out = np.empty((len(terms), probes.shape[0]), dtype=np.float64)
    if len(terms):
        _eval_programs(ops, arg, nar, lens, tables, probes, out)
    return out


def term_keys(values: np.ndarray) -> np.ndarray:
    """Functional hash of each row (rows with an unusable probe get a key that never matches)."""
    ok = ~np.isnan(values).any(axis=1)
    return vector_keys(np.nan_to_num(values), digits=15, ok=ok)[0], ok


def enumerate_terms(theory: Theory, max_size: int, varnames=("x", "y", "z")):
    """All terms up to ``max_size`` symbols over the signature and the variables, smallest first."""
    sig = theory.signature
    by_size: dict[int, list] = {1: [v for v in varnames]}
    by_size[1] += [(s,) for s, n in sig.arity.items() if n == 0]
    for n in range(2, max_size + 1):
        out = []
        for s, k in sig.arity.items():
            if k == 1:
                out += [(s, a) for a in by_size[n - 1]]
            elif k == 2:
                for i in range(1, n - 1):
                    for a in by_size[i]:
                        for b in by_size[n - 1 - i]:
                            out.append((s, a, b))
            elif k > 2:
                raise DiscoverError(f"enumeration handles arities up to 2, not {s}/{k}")
        by_size[n] = out
    return [t for n in range(1, max_size + 1) for t in by_size[n]]


def check_axioms(theory: Theory, interp: Interpreter, nprobes: int = 32, hi: int = 4):
    """Raise :class:`InconsistentAxioms` naming the first axiom false on some numerals."""
    rng = np.random.default_rng(7)
    for ax in theory.axioms:
        vs = variables(ax.lhs, variables(ax.rhs, [] if ax.premise is None else
                                         variables(ax.premise[1], variables(ax.premise[0]))))
        for _ in range(nprobes):
            env = {v: int(rng.integers(0, hi + 1)) for v in vs}
            try:
                if ax.premise is not None and (interp.value(ax.premise[0], env)
                                               != interp.value(ax.premise[1], env)):
                    continue
                a, b = interp.value(ax.lhs, env), interp.value(ax.rhs, env)
            except RecursionError:
                continue
            if a != b:
                shown = ", ".join(f"{k}={v}" for k, v in env.items())
                raise InconsistentAxioms(
                    f"axiom {ax.name} ({ax.statement()}) is false on numerals: at {shown} the "
                    f"left side is {a} and the right side is {b}; the axiom set is inconsistent "
                    f"with its numeral model and is not explored")


# -- several sorts (e.g. naturals and lists) ----------------------------------------------
class TermInterpreter:
    """Evaluate ground terms of a many-sorted theory (one sort per ``constructors`` line) by
    the axioms. Values are constructor terms, interned as small integers (ids) for the numba
    kernel: the numerals 0..``nats``-1 of a 0/S family are ids 0..nats-1, other values (small
    lists) get ids as they appear, up to ``limit``; an id beyond it, or an ill-sorted
    application (no axiom matches), is unusable (-1)."""

    def __init__(self, theory: Theory, limit: int = 128, nats: int = 16, depth: int = 2,
                 elems: int = 2):
        self.theory = theory
        self.sig = theory.signature
        self.limit = limit
        cons = set(self.sig.constructors)
        self.defs: dict = {}
        for ax in theory.axioms:
            if ax.premise is None and not isinstance(ax.lhs, str) and ax.lhs[0] not in cons:
                self.defs.setdefault(ax.lhs[0], []).append(ax)
        self.ids: dict = {}
        self.terms: list = []
        self.domain: dict = {}          # sort -> ids of the probe values
        self.numerals: set = set()      # sorts that are 0/S naturals
        for k, fam in enumerate(self.sig.families):
            zero = [c for c in fam if self.sig.arity[c] == 0]
            one = [c for c in fam if self.sig.arity[c] == 1]
            if len(fam) == 2 and zero and one and self.sig.sorts[one[0]][0] == (k,):
                t = (zero[0],)
                vals = []
                for _ in range(nats):
                    vals.append(self.intern(t))
                    t = (one[0], t)
                self.domain[k] = vals
                self.numerals.add(k)
        for k, fam in enumerate(self.sig.families):
            if k in self.domain:
                continue
            level = [(c,) for c in fam if self.sig.arity[c] == 0]
            vals = list(level)
            for _ in range(depth):
                nxt = []
                for c in fam:
                    argsorts = self.sig.sorts[c][0]
                    if not argsorts:
                        continue
                    choices = [level if s == k else [self.terms[i] for i in
                                                     self.domain.get(s, [])[:elems]]
                               for s in argsorts]
                    combos = [()]
                    for ch in choices:
                        combos = [cmb + (a,) for cmb in combos for a in ch]
                    nxt += [(c,) + cmb for cmb in combos]
                level = nxt
                vals += nxt
            self.domain[k] = [self.intern(v) for v in vals]

    def intern(self, t) -> int:
        i = self.ids.get(t)
        if i is None:
            if len(self.terms) >= self.limit:
                return -1
            i = self.ids[t] = len(self.terms)
            self.terms.append(t)
        return i

    def intern_any(self, t) -> int:
        """An id for any value (no limit; ids past ``limit`` are not in the tables)."""
        i = self.ids.get(t)
        if i is None:
            i = self.ids[t] = len(self.terms)
            self.terms.append(t)
        return i

    def _match(self, pat, t, env) -> bool:
        if isinstance(pat, str):
            if pat in env:
                return env[pat] == t
            env[pat] = t
            return True
        return pat[0] == t[0] and len(pat) == len(t) and all(
            self._match(p, a, env) for p, a in zip(pat[1:], t[1:]))

    def apply(self, f, args):
        if f in self.sig.constructors:
            return (f,) + tuple(args)
        for ax in self.defs.get(f, ()):
            env: dict = {}
            if all(self._match(p, a, env) for p, a in zip(ax.lhs[1:], args)):
                return self.value(ax.rhs, env)
        return None

    def value(self, t, env: dict):
        if isinstance(t, str):
            return env[t]
        args = []
        for a in t[1:]:
            v = self.value(a, env)
            if v is None:
                return None
            args.append(v)
        return self.apply(t[0], args)

    def random_value(self, sort: int, rng):
        ids = self.domain[sort]
        return self.terms[ids[int(rng.integers(0, min(len(ids), 16)))]]

    def tables(self):
        """Like :meth:`Interpreter.tables`, over ids; filled to closure (new values get ids)."""
        syms = list(self.sig.arity)
        T = self.limit
        tab = np.full((len(syms), T, T), -1, dtype=np.int64)
        done = 0
        while done < len(self.terms):
            n = len(self.terms)
            for k, s in enumerate(syms):
                a_n = self.sig.arity[s]
                if a_n == 0:
                    tab[k, 0, 0] = self.intern(self.apply(s, ()))
                elif a_n == 1:
                    for a in range(done, n):
                        v = self.apply(s, (self.terms[a],))
                        tab[k, 0, a] = -1 if v is None else self.intern(v)
                elif a_n == 2:
                    for a in range(n):
                        for b in range(n):
                            if a < done and b < done:
                                continue
                            v = self.apply(s, (self.terms[a], self.terms[b]))
                            tab[k, a, b] = -1 if v is None else self.intern(v)
                else:
                    raise DiscoverError(f"symbol {s}/{a_n}: the probe handles arities 0 to 2")
            done = n
        return syms, tab


def make_interpreter(theory: Theory):
    """The numeral interpreter for one 0/S sort, else the many-sorted term interpreter."""
    if len(theory.signature.families) <= 1:
        return Interpreter(theory)
    return TermInterpreter(theory)


def enumerate_sorted(theory: Theory, max_size: int, varsorts: dict):
    """Well-sorted terms up to ``max_size`` symbols; ``varsorts``: variable -> sort."""
    sig = theory.signature
    nsorts = max(1, len(sig.families))
    by = {(s, 1): [v for v, vs in varsorts.items() if vs == s] for s in range(nsorts)}
    for f, n in sig.arity.items():
        if n == 0:
            by[(sig.sorts[f][1], 1)].append((f,))
    for size in range(2, max_size + 1):
        for s in range(nsorts):
            by[(s, size)] = []
        for f, n in sig.arity.items():
            argsorts, res = sig.sorts[f]
            if n == 1:
                by[(res, size)] += [(f, a) for a in by[(argsorts[0], size - 1)]]
            elif n == 2:
                for i in range(1, size - 1):
                    for a in by[(argsorts[0], i)]:
                        for b in by[(argsorts[1], size - 1 - i)]:
                            by[(res, size)].append((f, a, b))
            elif n > 2:
                raise DiscoverError(f"enumeration handles arities up to 2, not {f}/{n}")
    return [t for size in range(1, max_size + 1) for s in range(nsorts) for t in by[(s, size)]]


def sorted_probes(interp: TermInterpreter, varsorts: dict, nprobes: int = 24, seed: int = 1,
                  hi: int = 3):
    """Probe assignments (ids): naturals 0..hi, other sorts drawn from the small values."""
    rng = np.random.default_rng(seed)
    m = np.zeros((nprobes, len(varsorts)), dtype=np.int64)
    for j, (v, s) in enumerate(varsorts.items()):
        ids = interp.domain[s][:hi + 1] if s in interp.numerals else interp.domain[s]
        m[:, j] = rng.choice(np.asarray(ids, dtype=np.int64), size=nprobes)
        m[0, j] = ids[0]
    return m


def check_sorted_axioms(theory: Theory, interp: TermInterpreter, nprobes: int = 32):
    """Raise :class:`InconsistentAxioms` naming the first axiom false on small values."""
    rng = np.random.default_rng(7)
    for ax in theory.axioms:
        if ax.premise is not None:
            continue
        vs = theory.signature.sort_of_vars(ax.lhs, ax.rhs)
        for _ in range(nprobes):
            env = {v: interp.random_value(s, rng) for v, s in vs.items()}
            a, b = interp.value(ax.lhs, env), interp.value(ax.rhs, env)
            if a != b:
                raise InconsistentAxioms(f"axiom {ax.name} ({ax.statement()}) is false on "
                                         f"small values: {env}")


def eval_sorted(interp: TermInterpreter, terms, varnames, probes) -> np.ndarray:
    """Values of ``terms`` (each term's arguments must come earlier in ``terms``, as the
    enumeration gives them) at ``probes`` (ids of values), exactly in Python: every distinct
    value gets an id (float64 output, NaN where no axiom applies, i.e. ill-sorted)."""
    p = probes.shape[0]
    val: dict = {}
    for j, v in enumerate(varnames):
        val[v] = tuple(interp.terms[int(i)] for i in probes[:, j])
    memo: dict = {}
    out = np.empty((len(terms), p), dtype=np.float64)
    for n, t in enumerate(terms):
        if t not in val:
            args = [val[a] for a in t[1:]]
            row = []
            for q in range(p):
                key = (t[0],) + tuple(a[q] for a in args)
                r = memo.get(key, 0)
                if r == 0:
                    r = None if any(a[q] is None for a in args) else \
                        interp.apply(t[0], [a[q] for a in args])
                    memo[key] = r
                row.append(r)
            val[t] = tuple(row)
        out[n] = [np.nan if r is None else interp.intern_any(r) for r in val[t]]
    return out
