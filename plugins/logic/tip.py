"""A reader of TIP problems (Tons of Inductive Problems, SMT-LIB 2.6 with TIP's extensions).

``read_tip(text)`` turns a ``.smt2`` problem into a :class:`Problem`: monomorphic datatypes,
function definitions compiled to pattern equations (``f(K(x), y) = rhs``), and the goal as a
:class:`Statement` (universally quantified variables, hypotheses, one equation).

Supported: ``declare-datatype`` / ``declare-datatypes`` (with ``par``), ``declare-sort`` (an
abstract sort), ``define-fun`` / ``define-fun-rec`` (with ``par``) whose bodies use ``match``
(constructor patterns and ``_``), ``ite``, ``not``/``and``/``or``/``=>``, ``true``/``false``,
``(_ K sort)`` instantiation, ``@`` application of function-typed values and ``lambda`` (closed
lambdas, defunctionalised into constants with an ``@`` equation), and one ``(prove ...)`` with
``par``, ``forall``, ``=>``, ``not`` and ``=`` at the top. Polymorphism is removed by
monomorphisation: each polymorphic symbol used at sort arguments ``T1, T2`` becomes the symbol
``f<T1,T2>``; the goal's own sort parameters are abstract sorts. A ``match`` that is not on a
variable (inside a term, or in the goal) becomes an auxiliary function ``f~k`` with its own
equations. Anything else is refused with a :class:`TipError` naming the construct, the line and
the column.

Terms are nested tuples ``(symbol, arg, ...)``; a variable is a string. Sorts are strings
(``Nat``, ``list<Nat>``, ``fun<a,Bool>``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from discover.errors import DiscoverError

__all__ = ["TipError", "Problem", "Statement", "read_tip", "read_tip_file", "show_term",
           "show_statement", "term_to_json", "term_from_json"]


class TipError(DiscoverError):
    """A malformed or unsupported TIP file: the message names line, column and construct."""


class Atom(str):
    line = 0
    col = 0


class SList(list):
    line = 0
    col = 0


def _where(x) -> str:
    return f"line {getattr(x, 'line', 0)}, column {getattr(x, 'col', 0)}"


def parse_sexprs(text: str) -> list:
    out, stack = [], []
    i, n, line, col0 = 0, len(text), 1, 0
    while i < n:
        c = text[i]
        if c == "\n":
            line += 1
            col0 = i + 1
            i += 1
        elif c in " \t\r":
            i += 1
        elif c == ";":
            while i < n and text[i] != "\n":
                i += 1
        elif c == "(":
            lst = SList()
            lst.line, lst.col = line, i - col0 + 1
            stack.append(lst)
            i += 1
        elif c == ")":
            if not stack:
                raise TipError(f"line {line}, column {i - col0 + 1}: unexpected ')'")
            lst = stack.pop()
            (stack[-1] if stack else out).append(lst)
            i += 1
        else:
            j = i
            if c == "|":
                j = text.find("|", i + 1)
                if j < 0:
                    raise TipError(f"line {line}, column {i - col0 + 1}: unterminated |symbol|")
                tok = text[i + 1:j]
                j += 1
            else:
                while j < n and text[j] not in " \t\r\n();":
                    j += 1
                tok = text[i:j]
            a = Atom(tok)
            a.line, a.col = line, i - col0 + 1
            (stack[-1] if stack else out).append(a)
            i = j
    if stack:
        s = stack[-1]
        raise TipError(f"{_where(s)}: expected ')' to close this '(' before the end of file")
    return out


# ---------------------------------------------------------------- sorts

def _sort_expr(x, params):
    """A sort s-expression -> a sort tree: str atom, ('?', name) parameter, or (head, *args)."""
    if isinstance(x, str):
        return ("?", str(x)) if x in params else str(x)
    if not x:
        raise TipError(f"{_where(x)}: expected a sort, found ()")
    head = x[0]
    if head == "=>":
        return ("fun",) + tuple(_sort_expr(y, params) for y in x[1:])
    return (str(head),) + tuple(_sort_expr(y, params) for y in x[1:])


def sort_name(s) -> str:
    if isinstance(s, str):
        return s
    if s[0] == "?":
        return s[1]
    return f"{s[0]}<{','.join(sort_name(a) for a in s[1:])}>"


def _subst_sort(s, m):
    if isinstance(s, str):
        return s
    if s[0] == "?":
        return m.get(s[1], s)
    return (s[0],) + tuple(_subst_sort(a, m) for a in s[1:])


def _unify(p, s, m) -> bool:
    """Match pattern sort p (with parameters) against ground sort s, extending m."""
    if not isinstance(p, str) and p[0] == "?":
        if p[1] in m:
            return m[p[1]] == s
        m[p[1]] = s
        return True
    if isinstance(p, str) or isinstance(s, str):
        return p == s
    return p[0] == s[0] and len(p) == len(s) and all(_unify(a, b, m) for a, b in zip(p[1:], s[1:]))


# ---------------------------------------------------------------- problem

@dataclass
class Statement:
    vars: list            # [(name, sort)]
    hyps: list            # [(lhs, rhs)]
    concl: tuple          # (lhs, rhs)

    def to_json(self):
        return {"vars": [list(v) for v in self.vars],
                "hyps": [[term_to_json(a), term_to_json(b)] for a, b in self.hyps],
                "concl": [term_to_json(self.concl[0]), term_to_json(self.concl[1])]}

    @staticmethod
    def from_json(d):
        return Statement([tuple(v) for v in d["vars"]],
                         [(term_from_json(a), term_from_json(b)) for a, b in d["hyps"]],
                         (term_from_json(d["concl"][0]), term_from_json(d["concl"][1])))


@dataclass
class Problem:
    name: str = ""
    source: str = ""
    datatypes: dict = field(default_factory=dict)   # sort -> [(constructor, [arg sorts])]
    sorts: set = field(default_factory=set)         # every sort used (abstract ones too)
    sig: dict = field(default_factory=dict)         # symbol -> ([arg sorts], result sort)
    constructors: dict = field(default_factory=dict)  # constructor -> sort
    rules: list = field(default_factory=list)       # (name, {var: sort}, lhs, rhs)
    goal: Statement | None = None

    def signature_json(self):
        return {"datatypes": {s: [[k, list(a)] for k, a in cs] for s, cs in self.datatypes.items()},
                "sorts": sorted(self.sorts),
                "sig": {f: [list(a), r] for f, (a, r) in self.sig.items()}}


def term_to_json(t):
    return t if isinstance(t, str) else [t[0]] + [term_to_json(a) for a in t[1:]]


def term_from_json(t):
    return t if isinstance(t, str) else (t[0],) + tuple(term_from_json(a) for a in t[1:])


def show_term(t) -> str:
    if isinstance(t, str):
        return t
    if len(t) == 1:
        return t[0]
    return f"{t[0]}({', '.join(show_term(a) for a in t[1:])})"


def show_statement(st: Statement) -> str:
    q = ", ".join(f"{v}:{s}" for v, s in st.vars)
    body = f"{show_term(st.concl[0])} = {show_term(st.concl[1])}"
    if st.hyps:
        body = " & ".join(f"{show_term(a)} = {show_term(b)}" for a, b in st.hyps) + " => " + body
    return f"forall {q}. {body}" if q else body


PRELUDE = """
(declare-datatype Bool ((false) (true)))
(define-fun not ((x Bool)) Bool (match x ((true false) (false true))))
(define-fun and ((x Bool) (y Bool)) Bool (match x ((true y) (false false))))
(define-fun or ((x Bool) (y Bool)) Bool (match x ((true true) (false y))))
(define-fun => ((x Bool) (y Bool)) Bool (match x ((true y) (false true))))
(define-fun ite (par (a) (((c Bool) (x a) (y a)) a)) (match c ((true x) (false y))))
"""


class _Reader:
    def __init__(self):
        self.dts = {}        # name -> (params, [(con, [(sel, sortexpr)])], node)
        self.cons = {}       # con -> datatype name
        self.abstract = set()
        self.funs = {}       # name -> (params, [(var, sortexpr)], result sortexpr, body, node)
        self.p = Problem()
        self.done_funs = set()
        self.todo = []
        self.aux = 0
        self.lams = 0
        self.tmap = {}

    # -------------------------------------------------- declarations
    def declare(self, form):
        head = form[0] if form else None
        if head == "declare-datatype":
            self._datatype(form[1], form[2], form)
        elif head == "declare-datatypes":
            if len(form) != 3:
                raise TipError(f"{_where(form)}: expected (declare-datatypes (sorts) (defs))")
            for (name, _arity), body in zip(form[1], form[2]):
                self._datatype(name, body, form)
        elif head == "declare-sort":
            if len(form) != 3 or form[2] != "0":
                raise TipError(f"{_where(form)}: only (declare-sort NAME 0) is supported")
            self.abstract.add(str(form[1]))
        elif head in ("define-fun", "define-fun-rec"):
            self._fun(form)
        elif head == "define-funs-rec":
            for decl, body in zip(form[1], form[2]):
                self._fun(SList([Atom("define-fun-rec")] + list(decl) + [body]), form)
        elif head in ("prove", "check-sat", "set-logic", "set-info", "set-option"):
            return
        else:
            raise TipError(f"{_where(form)}: unsupported construct {head!r} (expected "
                           "declare-datatype(s), declare-sort, define-fun(-rec) or prove)")

    def _datatype(self, name, body, where):
        params = []
        if isinstance(body, list) and body and body[0] == "par":
            params = [str(a) for a in body[1]]
            body = body[2]
        cons = []
        for c in body:
            if isinstance(c, str):
                c = SList([c])
            fields = []
            for f in c[1:]:
                if not isinstance(f, list) or len(f) != 2:
                    raise TipError(f"{_where(f)}: expected (selector sort) in constructor {c[0]}")
                fields.append((str(f[0]), _sort_expr(f[1], params)))
            cons.append((str(c[0]), fields))
            self.cons[str(c[0])] = str(name)
        self.dts[str(name)] = (params, cons, where)

    def _fun(self, form, where=None):
        if len(form) == 4 and isinstance(form[2], list) and form[2] and form[2][0] == "par":
            params = [str(a) for a in form[2][1]]
            sig = form[2][2]
            args, res = sig[0], sig[1]
            body = form[3]
        elif len(form) == 5:
            params, args, res, body = [], form[2], form[3], form[4]
        else:
            raise TipError(f"{_where(form)}: expected ({form[0]} name (args) sort body)")
        argl = [(str(a[0]), _sort_expr(a[1], params)) for a in args]
        self.funs[str(form[1])] = (params, argl, _sort_expr(res, params), body, form)

    # -------------------------------------------------- monomorphic instances
    def dt_instance(self, s):
        """Register the datatype instance of ground sort tree s; returns its sort name."""
        name = sort_name(s)
        if name in self.p.sorts:
            return name
        self.p.sorts.add(name)
        if isinstance(s, str):
            if s in self.dts:
                self._add_dt(s, name, {})
            elif s not in self.abstract and s != "Bool" and s not in self.goal_params:
                raise TipError(f"unknown sort {s!r}")
            return name
        if s[0] == "fun":
            for a in s[1:]:
                self.dt_instance(a)
            return name
        if s[0] not in self.dts:
            raise TipError(f"unknown sort {s[0]!r}")
        params = self.dts[s[0]][0]
        self._add_dt(s[0], name, dict(zip(params, s[1:])))
        return name

    def _add_dt(self, dt, name, m):
        params, cons, _ = self.dts[dt]
        lst = []
        self.p.datatypes[name] = lst
        for c, fields in cons:
            cname = c if not params else f"{c}<{','.join(sort_name(m[p]) for p in params)}>"
            argsorts = [self.dt_instance(_subst_sort(fs, m)) for _, fs in fields]
            lst.append((cname, argsorts))
            self.p.sig[cname] = (argsorts, name)
            self.p.constructors[cname] = name

    def con_instance(self, c, res_sort, node):
        """Constructor c at the ground datatype sort tree res_sort -> (name, [arg sort trees])."""
        dt = self.cons[c]
        params, cons, _ = self.dts[dt]
        m = {}
        if not _unify(_sort_expr_tree(dt, params), res_sort, m):
            raise TipError(f"{_where(node)}: constructor {c} does not build a {sort_name(res_sort)}")
        self.dt_instance(res_sort)
        fields = dict(cons)[c]
        name = c if not params else f"{c}<{','.join(sort_name(m[p]) for p in params)}>"
        return name, [_subst_sort(fs, m) for _, fs in fields]

    def fun_instance(self, f, m):
        params, argl, res, body, node = self.funs[f]
        name = f if not params else f"{f}<{','.join(sort_name(m[p]) for p in params)}>"
        if name not in self.p.sig:
            argsorts = [_subst_sort(s, m) for _, s in argl]
            rs = _subst_sort(res, m)
            self.p.sig[name] = ([self.dt_instance(s) for s in argsorts], self.dt_instance(rs))
            self.todo.append((name, [(v, s) for (v, _), s in zip(argl, argsorts)], rs, body, node, m))
        return name

    # -------------------------------------------------- terms
    def term(self, x, env):
        """Expression x with variables env (name -> ground sort tree) -> (term, sort tree)."""
        if isinstance(x, str):
            if x in env:
                return str(x), env[x]
            if x in ("true", "false"):
                self.dt_instance("Bool")
                return (str(x),), "Bool"
            if x in self.cons:
                dt = self.cons[x]
                if self.dts[dt][0]:
                    raise TipError(f"{_where(x)}: constructor {x} of a polymorphic datatype "
                                   f"needs its sort: (_ {x} SORT)")
                name, _ = self.con_instance(str(x), dt, x)
                return (name,), dt
            if x in self.funs and not self.funs[x][1]:
                return self.call(x, [], x)
            raise TipError(f"{_where(x)}: unknown symbol {x!r}")
        if not x:
            raise TipError(f"{_where(x)}: empty expression ()")
        head = x[0]
        if isinstance(head, list):
            if head and head[0] == "_" and len(head) >= 3:      # ((_ K s) args)
                return self.inst_con(head, x[1:], env, x)
            raise TipError(f"{_where(x)}: unsupported construct: application of a compound head")
        if head == "_":
            return self.inst_con(x, [], env, x)
        if head == "match":
            return self.match_aux(x, env)
        if head == "lambda":
            return self.lam(x, env)
        if head == "@":
            fn, fs = self.term(x[1], env)
            if isinstance(fs, str) or fs[0] != "fun" or len(fs) != len(x):
                raise TipError(f"{_where(x)}: @ applies a function value of sort (=> ...) to "
                               f"{len(fs) - 2 if not isinstance(fs, str) else 0} arguments")
            args = [self.term(a, env) for a in x[2:]]
            for (a, s), want in zip(args, fs[1:-1]):
                if s != want:
                    raise TipError(f"{_where(x)}: @ argument of sort {sort_name(s)}, expected "
                                   f"{sort_name(want)}")
            name = "@<" + ",".join(sort_name(s) for s in fs[1:]) + ">"
            if name not in self.p.sig:
                self.p.sig[name] = ([self.dt_instance(fs)] + [self.dt_instance(s) for s in fs[1:-1]],
                                    self.dt_instance(fs[-1]))
            return (name, fn) + tuple(a for a, _ in args), fs[-1]
        if head in ("=", "distinct", "let", "forall", "exists", "as"):
            where = " (only at the top of the goal)" if head == "=" else ""
            raise TipError(f"{_where(x)}: unsupported construct {head!r} inside a term{where}")
        if head in self.cons:
            args = [self.term(a, env) for a in x[1:]]
            dt = self.cons[head]
            params, cons, _ = self.dts[dt]
            fields = dict(cons)[str(head)]
            if len(fields) != len(args):
                raise TipError(f"{_where(x)}: {head} takes {len(fields)} arguments, "
                               f"found {len(args)}")
            m = {}
            for (_, fs), (_, s) in zip(fields, args):
                if not _unify(fs, s, m):
                    raise TipError(f"{_where(x)}: argument of {head} has sort {sort_name(s)}")
            if any(p not in m for p in params):
                raise TipError(f"{_where(x)}: cannot infer the sort of {head}; write (_ {head} ...)")
            res = _subst_sort(_sort_expr_tree(dt, params), m)
            name, _ = self.con_instance(str(head), res, x)
            return (name,) + tuple(a for a, _ in args), res
        if head in self.funs:
            return self.call(str(head), x[1:], x, env)
        raise TipError(f"{_where(x)}: unknown symbol {str(head)!r}")

    def inst_con(self, h, rest, env, node):
        c = h[1]
        if c not in self.cons:
            raise TipError(f"{_where(h)}: (_ {c} ...) instantiates an unknown constructor")
        dt = self.cons[c]
        params, cons, _ = self.dts[dt]
        targs = [self.sort_in_scope(s) for s in h[2:]]
        if len(targs) != len(params):
            raise TipError(f"{_where(h)}: {dt} takes {len(params)} sort arguments")
        res = _subst_sort(_sort_expr_tree(dt, params), dict(zip(params, targs)))
        name, argsorts = self.con_instance(str(c), res, h)
        args = [self.term(a, env) for a in rest]
        if len(args) != len(argsorts):
            raise TipError(f"{_where(node)}: {c} takes {len(argsorts)} arguments")
        return (name,) + tuple(a for a, _ in args), res

    def call(self, f, xs, node, env=None):
        params, argl, res, _, _ = self.funs[f]
        args = [self.term(a, env or {}) for a in xs]
        if len(args) != len(argl):
            raise TipError(f"{_where(node)}: {f} takes {len(argl)} arguments, found {len(args)}")
        m = {}
        for (_, ps), (_, s) in zip(argl, args):
            if not _unify(ps, s, m):
                raise TipError(f"{_where(node)}: argument of {f} has sort {sort_name(s)}, "
                               f"expected {sort_name(ps)}")
        if f == "ite" and "a" not in m:
            raise TipError(f"{_where(node)}: ite branches have different sorts")
        if any(p not in m for p in params):
            raise TipError(f"{_where(node)}: cannot infer the sort arguments of {f}")
        name = self.fun_instance(f, m)
        return (name,) + tuple(a for a, _ in args), _subst_sort(res, m)

    def lam(self, x, env):
        if len(x) != 3:
            raise TipError(f"{_where(x)}: expected (lambda ((x sort) ...) body)")
        bound = {str(v[0]): self.sort_in_scope(v[1]) for v in x[1]}
        for s in bound.values():
            self.dt_instance(s)
        body, bs = self.term(x[2], dict(bound))
        free = [v for v in term_vars(body) if v not in bound]
        if free:
            raise TipError(f"{_where(x)}: unsupported construct: lambda with free variables {free}")
        self.lams += 1
        fs = ("fun",) + tuple(bound.values()) + (bs,)
        name = f"lam{self.lams}"
        self.p.sig[name] = ([], self.dt_instance(fs))
        app = "@<" + ",".join(sort_name(s) for s in fs[1:]) + ">"
        if app not in self.p.sig:
            self.p.sig[app] = ([sort_name(fs)] + [sort_name(s) for s in fs[1:-1]], sort_name(bs))
        vs = list(bound)
        self.p.rules.append((f"def:{name}", {v: sort_name(s) for v, s in bound.items()},
                             (app, (name,)) + tuple(vs), body))
        return (name,), fs

    def match_aux(self, x, env):
        """A match inside a term: a new function over the match's free variables."""
        used = [v for v in env if _mentions(x, v)]
        self.aux += 1
        name = f"{self.cur}~{self.aux}"
        argl = [(v, env[v]) for v in used]
        # the result sort: infer from the first case body
        rules = []
        res = self.compile(x, {v: s for v, s in argl}, {v: v for v in used}, rules, name)
        rules = [(sb, rhs, {v: fs[v] for v in _used_vars(sb, [v for v, _ in argl], rhs)})
                 for sb, rhs, fs in rules]
        self.p.sig[name] = ([sort_name(s) for _, s in argl], self.dt_instance(res))
        self._emit(name, argl, rules)
        return (name,) + tuple(used), res

    def _emit(self, name, argl, rules):
        for k, (sub, rhs, vsorts) in enumerate(rules, 1):
            lhs = (name,) + tuple(sub[v] for v, _ in argl)
            self.p.rules.append((f"def:{name}.{k}" if len(rules) > 1 else f"def:{name}",
                                 {v: sort_name(s) for v, s in vsorts.items()}, lhs, rhs))

    def compile(self, body, env, sub, rules, fname, fsorts=None):
        """Compile body (matches on variables at the top) into equations: appends
        (substitution of the arguments, rhs, sorts of the pattern variables) to rules; returns
        the result sort. env: source variable -> sort tree; sub: source variable -> pattern."""
        if fsorts is None:
            fsorts = {v: sort_name(env[v]) for v in sub}
        if isinstance(body, list) and body and body[0] == "match":
            if len(body) != 3 or not isinstance(body[2], list):
                raise TipError(f"{_where(body)}: expected (match x ((pattern body) ...))")
            scrut = body[1]
            if not (isinstance(scrut, str) and scrut in env):
                t, s = self.match_aux(body, env)
                rules.append((dict(sub), term_subst(t, sub), dict(fsorts)))
                return s
            st = env[scrut]
            dtname = self.dt_instance(st)
            if dtname not in self.p.datatypes:
                raise TipError(f"{_where(body)}: match on a value of sort {dtname}, "
                               "which has no constructors")
            cur = sub[scrut]
            covered, res = [], None
            allcons = [c for c, _ in self.dts[self.cons_of(st)][1]]
            for case in body[2]:
                if not isinstance(case, list) or len(case) != 2:
                    raise TipError(f"{_where(case)}: expected (pattern body) in match")
                pat, rhs = case
                if pat == "_":
                    for c in allcons:
                        if c not in covered:
                            covered.append(c)
                            n = len(dict(self.dts[self.cons_of(st)][1])[c])
                            r = self._case(c, [f"_{i}" for i in range(n)], st, scrut, env, sub,
                                           rhs, rules, fname, cur, pat, fsorts)
                            res = r or res
                    continue
                pc = pat[0] if isinstance(pat, list) else pat
                pv = [str(v) for v in pat[1:]] if isinstance(pat, list) else []
                if pc not in self.cons or self.cons[pc] != self.cons_of(st):
                    raise TipError(f"{_where(pat)}: pattern {str(pc)!r} is not a constructor "
                                   f"of {dtname}")
                if pc in covered:
                    continue
                covered.append(str(pc))
                r = self._case(str(pc), pv, st, scrut, env, sub, rhs, rules, fname, cur, pat,
                               fsorts)
                res = r or res
            missing = [c for c in allcons if c not in covered]
            if missing:
                raise TipError(f"{_where(body)}: unsupported construct: match without a case "
                               f"for {', '.join(missing)}")
            return res
        t, s = self.term(body, env)
        rules.append((dict(sub), term_subst(t, sub), dict(fsorts)))
        return s

    def cons_of(self, st):
        return st if isinstance(st, str) else st[0]

    def _case(self, c, pv, st, scrut, env, sub, rhs, rules, fname, cur, node, fsorts):
        name, argsorts = self.con_instance(c, st, node)
        if len(pv) != len(argsorts):
            raise TipError(f"{_where(node)}: pattern {c} binds {len(pv)} variables, "
                           f"the constructor has {len(argsorts)} fields")
        env2 = dict(env)
        env2.update({v: s for v, s in zip(pv, argsorts)})
        if not isinstance(cur, str):       # the scrutinee is already a constructor here
            if cur[0] != name:
                return None
            sub2 = dict(sub)
            sub2.update({v: a for v, a in zip(pv, cur[1:])})
            return self.compile(rhs, env2, sub2, rules, fname, fsorts)
        taken = set(fsorts)
        fresh = []
        for v in pv:
            base = v.lstrip("_") and v or "x"
            if v.startswith("_"):
                base = f"{cur}{v}"
            w, k = base, 1
            while w in taken:
                k += 1
                w = f"{base}{k}"
            taken.add(w)
            fresh.append(w)
        pat = (name,) + tuple(fresh)
        sub2 = {k: term_subst(t, {cur: pat}) for k, t in sub.items()}
        sub2.update(dict(zip(pv, fresh)))
        fs2 = {k: s for k, s in fsorts.items() if k != cur}
        fs2.update({w: sort_name(s) for w, s in zip(fresh, argsorts)})
        return self.compile(rhs, env2, sub2, rules, fname, fs2)

    def sort_in_scope(self, x):
        return _subst_sort(_sort_expr(x, list(self.tmap)), self.tmap)

    def define(self, name, argl, rs, body, node, m):
        self.cur = name.split("<")[0]
        self.tmap = m
        env = {v: s for v, s in argl}
        rules = []
        self.compile(body, env, {v: v for v, _ in argl}, rules, name)
        out = [(sb, rhs, {v: fs[v] for v in _used_vars(sb, [v for v, _ in argl], rhs)})
               for sb, rhs, fs in rules]
        self._emit(name, argl, out)

    def finish(self):
        while self.todo:
            self.define(*self.todo.pop(0))


def _used_vars(sub, args, rhs):
    out = []
    for v in args:
        term_vars(sub[v], out)
    return term_vars(rhs, out)


def _sort_expr_tree(dt, params):
    return dt if not params else (dt,) + tuple(("?", p) for p in params)


def term_vars(t, out=None):
    """The variables of term ``t`` (a name, or a tuple ``(function, *arguments)``), in order of
    first occurrence."""
    out = [] if out is None else out
    if isinstance(t, str):
        if t not in out:
            out.append(t)
    else:
        for a in t[1:]:
            term_vars(a, out)
    return out


def term_subst(t, s):
    """``t`` with each variable named in ``s`` replaced by its term."""
    if isinstance(t, str):
        return s.get(t, t)
    return (t[0],) + tuple(term_subst(a, s) for a in t[1:])


def _mentions(x, v) -> bool:
    if isinstance(x, str):
        return x == v
    return any(_mentions(y, v) for y in x)


def _goal(r: _Reader, form):
    body = form[1] if len(form) == 2 else None
    if body is None:
        raise TipError(f"{_where(form)}: expected (prove FORMULA)")
    params = []
    if isinstance(body, list) and body and body[0] == "par":
        params = [str(a) for a in body[1]]
        body = body[2]
    r.goal_params = set(params)
    for p in params:
        r.p.sorts.add(p)
    vars_ = []
    env = {}
    while isinstance(body, list) and body and body[0] == "forall":
        for v in body[1]:
            s = _sort_expr(v[1], [])
            r.dt_instance(s)
            env[str(v[0])] = s
            vars_.append((str(v[0]), sort_name(s)))
        body = body[2]
    r.cur = "goal"
    hyps = []
    while isinstance(body, list) and body and body[0] == "=>" and len(body) == 3:
        hyps.append(_literal(r, body[1], env))
        body = body[2]
    concl = _literal(r, body, env)
    return Statement(vars_, hyps, concl)


def _literal(r, x, env):
    if isinstance(x, list) and x and x[0] == "=" and len(x) == 3:
        (a, sa), (b, sb) = r.term(x[1], env), r.term(x[2], env)
        if sa != sb:
            raise TipError(f"{_where(x)}: the sides of = have sorts {sort_name(sa)} and "
                           f"{sort_name(sb)}")
        return a, b
    if isinstance(x, list) and x and x[0] == "not" and len(x) == 2:
        if isinstance(x[1], list) and x[1] and x[1][0] == "=":
            raise TipError(f"{_where(x)}: unsupported construct: a negated equation "
                           "(not (= ...)) as a goal or hypothesis")
        t, s = r.term(x[1], env)
        if s != "Bool":
            raise TipError(f"{_where(x)}: not applied to a {sort_name(s)}")
        return t, ("false",)
    t, s = r.term(x, env)
    if s != "Bool":
        raise TipError(f"{_where(x)}: expected a Bool formula, found a term of sort {sort_name(s)}")
    return t, ("true",)


def read_tip(text: str, *, name: str = "", source: str = "") -> Problem:
    r = _Reader()
    r.goal_params = set()
    r.p.name, r.p.source = name, source
    for form in parse_sexprs(PRELUDE):
        r.declare(form)
    forms = parse_sexprs(text)
    goals = []
    for form in forms:
        if not isinstance(form, list) or not form:
            raise TipError(f"{_where(form)}: expected a command in parentheses, found {form!r}")
        if form[0] == "prove":
            if goals:
                raise TipError(f"{_where(form)}: a second (prove ...) command; a file states "
                               f"one goal (the first is at {_where(goals[0])})")
            goals.append(form)
        _located(form, r.declare, form)
        if form[0] == "declare-datatype" and form[1] == "Bool":
            raise TipError(f"{_where(form)}: Bool is built in")
    if not goals:
        raise TipError(f"line {text.count(chr(10)) + 1}, column 1: the file ends without a "
                       "(prove ...) command stating its goal")
    r.dt_instance("Bool")
    r.p.goal = _located(goals[0], _goal, r, goals[0])
    _located(goals[0], r.finish)
    return r.p


def _located(form, fn, *args):
    """``fn(*args)``, with a TipError that names no place given the place of ``form``."""
    try:
        return fn(*args)
    except TipError as err:
        if str(err).startswith("line "):
            raise
        raise TipError(f"{_where(form)}: {err}") from None


def read_tip_file(path) -> Problem:
    from pathlib import Path

    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise TipError(f"cannot read the TIP file {p}: {err}") from err
    try:
        return read_tip(text, name=p.stem, source=str(p))
    except TipError as err:
        raise TipError(f"{p}: {err}") from None
