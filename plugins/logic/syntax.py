"""Terms, equations and the axiom-file syntax of the ``logic`` plugin.

Terms are plain tuples so that they hash and compare fast:

* a variable is a ``str`` (``"x"``);
* an application is a tuple ``(symbol, arg, ...)``; a constant is ``("0",)``;
* a *fixed* (Skolem) constant, used inside proofs for "an arbitrary but fixed x", is ``("@x",)``.

Axiom files
-----------
One declaration per line; ``#`` starts a comment::

    constructors 0/0 S/1          # the data: induction runs over these constructors
    infix + 6                     # binary operator with precedence 6 (higher binds tighter)
    infix * 7                     # operators associate to the left; "infix ^ 8 right" for right
    function f/2                  # a prefix function symbol f(t, t)
    axiom add_0: x + 0 = x        # a named axiom: an equation between terms
    axiom add_S: x + S(y) = S(x + y)

Each ``constructors`` line declares one sort (e.g. ``constructors nil/0 cons/2`` for lists); the
sorts of the other symbols are inferred from the axioms (``Signature.sorts``).
Identifiers starting with a lowercase letter that are not declared symbols are variables. A
statement is an equation ``t = t`` or an implication ``t = t -> t = t``. Parse errors raise
:class:`AxiomSyntaxError` with the line, the column and what was expected.

>>> p = parse_axioms("constructors 0/0 S/1\\ninfix + 6\\naxiom a: x + 0 = x\\n")
>>> show(p.axioms[0].lhs), show(p.axioms[0].rhs)
('(x + 0)', 'x')
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from discover.errors import DiscoverError

__all__ = ["AxiomSyntaxError", "Signature", "Axiom", "Theory", "parse_axioms", "parse_term",
           "show", "variables", "size", "subst", "rename_canonical", "normal_equation",
           "term_to_json", "term_from_json", "skolem", "is_var"]


class AxiomSyntaxError(DiscoverError, ValueError):
    """An axiom file is malformed; ``line`` and ``column`` are 1-based."""

    def __init__(self, message: str, line: int, column: int, source: str = ""):
        self.line, self.column = line, column
        where = f"{source}:" if source else "line "
        super().__init__(f"{where}{line}:{column}: {message}" if source
                         else f"line {line}, column {column}: {message}")


def is_var(t) -> bool:
    return isinstance(t, str)


def variables(t, out=None) -> list:
    """Variables of ``t`` in order of first occurrence."""
    if out is None:
        out = []
    if isinstance(t, str):
        if t not in out:
            out.append(t)
    else:
        for a in t[1:]:
            variables(a, out)
    return out


def size(t) -> int:
    if isinstance(t, str):
        return 1
    return 1 + sum(size(a) for a in t[1:])


def subst(t, s: dict):
    if isinstance(t, str):
        return s.get(t, t)
    if len(t) == 1:
        return t
    return (t[0],) + tuple(subst(a, s) for a in t[1:])


def skolem(t, fixed: dict | None = None):
    """Replace each variable x by the fixed constant ``("@x",)``."""
    return subst(t, {v: ("@" + v,) for v in variables(t)} if fixed is None else fixed)


_INFIX = {"+", "*", "^"}


def show(t, infix=None) -> str:
    """The fixed infix form: ``0``, ``S(t)``, ``(t + t)``, ``f(t, t)``."""
    if isinstance(t, str):
        return t
    if len(t) == 1:
        return t[0]
    ops = _INFIX if infix is None else infix
    if len(t) == 3 and t[0] in ops:
        return f"({show(t[1], ops)} {t[0]} {show(t[2], ops)})"
    return f"{t[0]}(" + ", ".join(show(a, ops) for a in t[1:]) + ")"


def term_to_json(t):
    return t if isinstance(t, str) else [t[0]] + [term_to_json(a) for a in t[1:]]


def term_from_json(j):
    return j if isinstance(j, str) else (j[0],) + tuple(term_from_json(a) for a in j[1:])


def rename_canonical(terms, names="xyzwuvabcdefghijklmnopqrt"):
    """Rename variables in order of first occurrence across ``terms`` to x, y, z, w, ...;
    a variable of a second sort (named with a plural ``s``, like ``xs``) to xs, ys, zs, ..."""
    order: list = []
    for t in terms:
        variables(t, order)
    ren, n1, n2 = {}, 0, 0
    for v in order:
        if len(v) > 1 and v.endswith("s"):
            ren[v] = names[n2] + "s" if n2 < len(names) else f"x{n2}s"
            n2 += 1
        else:
            ren[v] = names[n1] if n1 < len(names) else f"x{n1}"
            n1 += 1
    return tuple(subst(t, ren) for t in terms)


def normal_equation(lhs, rhs, key=None):
    """Canonical form of an equation: variables renamed, sides ordered; returns (lhs, rhs)."""
    a = rename_canonical((lhs, rhs))
    b = rename_canonical((rhs, lhs))
    ka, kb = (show(a[0]), show(a[1])), (show(b[0]), show(b[1]))
    if key is not None:
        ka, kb = key(a), key(b)
    return a if ka <= kb else b


@dataclass(frozen=True)
class Axiom:
    name: str
    lhs: object
    rhs: object
    premise: tuple | None = None     # (lhs, rhs) of an implication's hypothesis
    line: int = 0

    def statement(self) -> str:
        eq = f"{show(self.lhs)} = {show(self.rhs)}"
        if self.premise is not None:
            return f"{show(self.premise[0])} = {show(self.premise[1])} -> {eq}"
        return eq


@dataclass
class Signature:
    arity: dict = field(default_factory=dict)          # symbol -> arity
    constructors: list = field(default_factory=list)   # in declaration order
    infix: dict = field(default_factory=dict)          # op -> (precedence, right_assoc)
    families: list = field(default_factory=list)       # one constructor list per sort
    sorts: dict = field(default_factory=dict)          # symbol -> (arg sorts, result sort)

    def sort_of_vars(self, *terms) -> dict:
        """Sort (family index) of each variable, from the argument positions it occurs in."""
        out: dict = {}

        def walk(t):
            if isinstance(t, str):
                return
            args = self.sorts.get(t[0], ((), 0))[0]
            for i, a in enumerate(t[1:]):
                if isinstance(a, str):
                    out.setdefault(a, args[i] if i < len(args) else 0)
                else:
                    walk(a)
        for t in terms:
            walk(t)
        for t in terms:
            for v in variables(t):
                out.setdefault(v, 0)
        return out


@dataclass
class Theory:
    signature: Signature
    axioms: list
    name: str = ""
    source: str = ""


_TOKEN = re.compile(r"\s*(?:(?P<num>\d+)|(?P<id>[A-Za-z_][A-Za-z0-9_']*)|(?P<arrow>->)"
                    r"|(?P<op>[-+*^/=(),:<>|&!~]))")


class _Lexer:
    def __init__(self, text: str, line: int, col0: int, source: str):
        self.toks = []
        pos = 0
        text = text.rstrip()
        while pos < len(text):
            m = _TOKEN.match(text, pos)
            if not m or m.end() == pos:
                j = pos + len(text[pos:]) - len(text[pos:].lstrip())
                raise AxiomSyntaxError(f"unexpected character {text[j]!r}", line, col0 + j + 1,
                                       source)
            kind = m.lastgroup
            self.toks.append((kind, m.group(kind), col0 + m.start(kind) + 1))
            pos = m.end()
        self.i = 0
        self.depth = 0
        from discover import limits
        self.max_depth = limits.get().axiom_term_depth
        self.line, self.source = line, source
        self.end_col = col0 + len(text) + 1

    def peek(self):
        return self.toks[self.i] if self.i < len(self.toks) else ("end", "", self.end_col)

    def next(self):
        t = self.peek()
        self.i += 1
        return t

    def error(self, expected: str):
        kind, val, col = self.peek()
        got = "end of line" if kind == "end" else repr(val)
        raise AxiomSyntaxError(f"expected {expected}, found {got}", self.line, col, self.source)

    def expect(self, value: str, expected: str | None = None):
        if self.peek()[1] != value or self.peek()[0] == "end":
            self.error(expected or repr(value))
        return self.next()


def _parse_term(lx: _Lexer, sig: Signature, min_prec: int = 0):
    lx.depth += 1
    if lx.depth > lx.max_depth:
        col = lx.peek()[2]
        raise AxiomSyntaxError(f"term nested more than {lx.max_depth} levels deep (limit "
                               f"axiom_term_depth; raise it with DISCOVER_LIMIT_AXIOM_TERM_DEPTH)",
                               lx.line, col, lx.source)
    try:
        return _parse_term_inner(lx, sig, min_prec)
    finally:
        lx.depth -= 1


def _parse_term_inner(lx: _Lexer, sig: Signature, min_prec: int = 0):
    left = _parse_atom(lx, sig)
    while True:
        kind, val, col = lx.peek()
        if kind != "op" or val not in sig.infix:
            return left
        prec, right = sig.infix[val]
        if prec < min_prec:
            return left
        lx.next()
        rhs = _parse_term(lx, sig, prec if right else prec + 1)
        left = (val, left, rhs)


def _parse_atom(lx: _Lexer, sig: Signature):
    kind, val, col = lx.peek()
    if kind == "op" and val == "(":
        lx.next()
        t = _parse_term(lx, sig)
        lx.expect(")", "')' or an infix operator")
        return t
    if kind in ("num", "id"):
        lx.next()
        if val in sig.arity:
            n = sig.arity[val]
            if val in sig.infix:
                raise AxiomSyntaxError(f"operator {val!r} is infix", lx.line, col, lx.source)
            if n == 0:
                return (val,)
            lx.expect("(", f"'(' after {val} (it takes {n} argument{'s' * (n > 1)})")
            args = [_parse_term(lx, sig)]
            for _ in range(n - 1):
                lx.expect(",", f"',' ({val} takes {n} arguments)")
                args.append(_parse_term(lx, sig))
            lx.expect(")", f"')' ({val} takes {n} argument{'s' * (n > 1)})")
            return (val,) + tuple(args)
        if kind == "id" and val[0].islower():
            return val
        raise AxiomSyntaxError(f"unknown symbol {val!r} (declare it, or use a lowercase variable)",
                               lx.line, col, lx.source)
    lx.error("a term (a variable, a constant, f(...) or '(')")


def _parse_statement(lx: _Lexer, sig: Signature):
    a = _parse_term(lx, sig)
    lx.expect("=", "'=' or an infix operator")
    b = _parse_term(lx, sig)
    if lx.peek()[0] == "arrow":
        lx.next()
        c = _parse_term(lx, sig)
        lx.expect("=", "'=' or an infix operator")
        d = _parse_term(lx, sig)
        result = ((a, b), c, d)
    else:
        result = (None, a, b)
    if lx.peek()[0] != "end":
        lx.error("end of line, '->' or an infix operator")
    return result


def parse_term(text: str, sig: Signature):
    lx = _Lexer(text, 1, 0, "")
    t = _parse_term(lx, sig)
    if lx.peek()[0] != "end":
        lx.error("end of term or an infix operator")
    return t


def parse_statement(text: str, sig: Signature):
    """``(premise_or_None, lhs, rhs)`` from ``"t = t"`` or ``"t = t -> t = t"``."""
    return _parse_statement(_Lexer(text, 1, 0, ""), sig)


def parse_axioms(text: str, name: str = "", source: str = "") -> Theory:
    """Parse an axiom file's text; raises :class:`AxiomSyntaxError` (a ``DiscoverError``)."""
    from discover import limits

    lim = limits.get()
    if not isinstance(text, str):
        raise AxiomSyntaxError(f"expected the text of an axiom file, got {type(text).__name__}",
                               1, 1, source)
    nbytes = len(text.encode("utf-8", "surrogatepass"))
    if nbytes > lim.axiom_file_bytes:
        raise AxiomSyntaxError(f"the axiom file has {nbytes} bytes, more than the limit "
                               f"axiom_file_bytes = {lim.axiom_file_bytes} (raise it with "
                               f"DISCOVER_LIMIT_AXIOM_FILE_BYTES=N)", 1, 1, source)
    sig = Signature()
    axioms: list[Axiom] = []
    names = set()
    declarations = 0
    for ln, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0]
        stripped = line.lstrip()
        if not stripped.strip():
            continue
        indent = len(line) - len(stripped)
        declarations += 1
        if declarations > lim.axioms:
            raise AxiomSyntaxError(f"more than {lim.axioms} declarations and axioms (limit "
                                   f"axioms; raise it with DISCOVER_LIMIT_AXIOMS=N)", ln,
                                   indent + 1, source)
        word = stripped.split(None, 1)[0]
        rest_col = indent + len(word)
        rest = line[rest_col:]
        lx = _Lexer(rest, ln, rest_col, source)
        if word == "constructors":
            if lx.peek()[0] == "end":
                lx.error("constructor declarations like 0/0 S/1")
            sig.families.append([])
            while lx.peek()[0] != "end":
                sym, n = _decl(lx, sig)
                sig.constructors.append(sym)
                sig.families[-1].append(sym)
        elif word == "function":
            _decl(lx, sig)
            if lx.peek()[0] != "end":
                lx.error("end of line (one function per line)")
        elif word == "infix":
            kind, op, col = lx.next()
            if kind != "op" or op not in _INFIX:
                lx.i -= 1
                lx.error("an operator: one of + * ^")
            if op in sig.arity:
                raise AxiomSyntaxError(f"symbol {op!r} declared twice", ln, col, source)
            kind, prec, col = lx.next()
            if kind != "num":
                lx.i -= 1
                lx.error("a precedence (an integer; higher binds tighter)")
            right = False
            if lx.peek()[0] == "id" and lx.peek()[1] in ("left", "right"):
                right = lx.next()[1] == "right"
            if lx.peek()[0] != "end":
                lx.error("end of line or 'left'/'right'")
            sig.arity[op] = 2
            sig.infix[op] = (int(prec), right)
        elif word == "axiom":
            kind, nm, col = lx.next()
            if kind not in ("id", "num"):
                lx.i -= 1
                lx.error("an axiom name")
            if nm in names:
                raise AxiomSyntaxError(f"axiom {nm!r} named twice", ln, col, source)
            names.add(nm)
            lx.expect(":", "':' after the axiom name")
            if lx.peek()[0] == "end":
                lx.error("an equation 't = t' or an implication 't = t -> t = t'")
            prem, a, b = _parse_statement(lx, sig)
            axioms.append(Axiom(nm, a, b, prem, ln))
        else:
            raise AxiomSyntaxError(
                f"expected a declaration (constructors, function, infix, axiom), found {word!r}",
                ln, indent + 1, source)
    if not sig.constructors:
        raise AxiomSyntaxError("expected a 'constructors' declaration (e.g. constructors 0/0 S/1)",
                               max(1, len(text.splitlines())), 1, source)
    if not axioms:
        raise AxiomSyntaxError("expected at least one axiom", max(1, len(text.splitlines())), 1,
                               source)
    _infer_sorts(sig, axioms)
    return Theory(sig, axioms, name=name, source=source)


def _infer_sorts(sig: Signature, axioms) -> None:
    """Sorts by unification: each ``constructors`` line is a sort (its index); the argument and
    result sorts of every symbol follow from the axioms (unconstrained ones default to sort 0).
    """
    parent: dict = {}

    def find(a):
        while parent.get(a, a) != a:
            a = parent[a]
        return a

    def union(a, b):
        a, b = find(a), find(b)
        if a == b:
            return
        if isinstance(a, int) and isinstance(b, int):
            raise AxiomSyntaxError(f"sorts {a} and {b} (constructor families) are mixed", 1, 1)
        if isinstance(a, int):
            a, b = b, a
        parent[a] = b

    for i, fam in enumerate(sig.families):
        for c in fam:
            union(("res", c), i)

    def term(t, ax):
        if isinstance(t, str):
            return ("var", ax, t)
        for i, a in enumerate(t[1:]):
            union(("arg", t[0], i), term(a, ax))
        return ("res", t[0])

    for k, ax in enumerate(axioms):
        pairs = [(ax.lhs, ax.rhs)] + ([ax.premise] if ax.premise is not None else [])
        for a, b in pairs:
            union(term(a, k), term(b, k))
    for f, n in sig.arity.items():
        def sort(x):
            r = find(x)
            return r if isinstance(r, int) else 0
        sig.sorts[f] = (tuple(sort(("arg", f, i)) for i in range(n)), sort(("res", f)))


def _decl(lx: _Lexer, sig: Signature):
    kind, sym, col = lx.next()
    if kind not in ("id", "num"):
        lx.i -= 1
        lx.error("a symbol name like S/1")
    if kind == "id" and sym[0].islower() and len(sym) == 1:
        raise AxiomSyntaxError(f"single lowercase letters are variables, not symbols: {sym!r}",
                               lx.line, col, lx.source)
    lx.expect("/", f"'/' and an arity after {sym}")
    kind, n, col2 = lx.next()
    if kind != "num":
        lx.i -= 1
        lx.error("an arity (an integer)")
    if sym in sig.arity:
        raise AxiomSyntaxError(f"symbol {sym!r} declared twice", lx.line, col, lx.source)
    from discover import limits

    max_arity = limits.get().axiom_arity
    if int(n) > max_arity:
        raise AxiomSyntaxError(f"arity {int(n)} of {sym} is more than the limit axiom_arity = "
                               f"{max_arity} (raise it with DISCOVER_LIMIT_AXIOM_ARITY=N)",
                               lx.line, col2, lx.source)
    sig.arity[sym] = int(n)
    return sym, int(n)
