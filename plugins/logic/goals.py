"""A goal-directed inductive prover for TIP problems (read by :mod:`.tip`).

``prove_goal(problem, seconds)`` tries the problem's goal with

* rewriting by the definitions (pattern equations), proved lemmas (oriented by size, ordered
  rewriting for permutative ones such as commutativity) and the hypotheses in context;
* case splits on a stuck term: the argument a definition needs to see as a constructor (an
  ``ite`` condition, a ``match`` scrutinee), one case per constructor with the hypothesis
  ``t = K(z)``; hypotheses are re-normalised in each case (``have``), decomposed by constructor
  injectivity (``inj``) and contradictory ones close the case (``absurd``);
* structural induction on a variable, the hypothesis generalised over the other variables
  (they stay universally quantified in it, so it is used at other instances, e.g. for
  accumulators and for recursion on two arguments), and conditional hypotheses (from a goal
  ``A => B``) used as conditional rewrite rules;
* recursion induction along a function's definition (one case per defining equation, a
  hypothesis per recursive call) and simultaneous induction on two variables, when structural
  induction fails; both are checked as one well-founded induction rule;
* lemma discovery: terms over the problem's signature are evaluated on generated values, terms
  with equal values give conjectured equations, which are proved (smallest first) and become
  rewrite rules, then the goal is tried again.

Before that the goal is evaluated on generated values: a false goal gets a counterexample and
no proof. Every proof is a JSON tree (``chain`` / ``split`` / ``induction`` / ``have`` /
``inj`` / ``absurd``) checked by :func:`plugins.logic.checker.check_tip` before it is reported.
"""

from __future__ import annotations

import itertools
import random
import time
import zlib
from pathlib import Path

from .tip import Problem, Statement, show_statement, show_term, term_to_json
from .tip import term_subst as _subst
from .tip import term_vars as _vars

__all__ = ["prove_goal", "evaluate", "find_counterexample", "proof_graph"]


class Budget(Exception):
    pass


def _size(t):
    return 1 if isinstance(t, str) else 1 + sum(_size(a) for a in t[1:])


def _bsize(t, cap=400):
    """The size of t, counting stops above cap."""
    n = 0
    stack = [t]
    while stack:
        x = stack.pop()
        n += 1
        if n > cap:
            return n
        if not isinstance(x, str):
            stack.extend(x[1:])
    return n


_CONS: set = set()     # constructors of the problem being proved (lowest in the term order)


def _pre(t, out):
    if isinstance(t, str):
        out.append((1, t))
    else:
        out.append((0 if t[0] in _CONS else 1 if t[0].startswith("!") else 2, t[0]))
        for a in t[1:]:
            _pre(a, out)
    return out


def _key(t):
    """Size, then the preorder of symbols, constructors lowest, defined symbols highest."""
    n = _bsize(t)
    return (n, _pre(t, []) if n <= 400 else [])


def _match(p, t, s):
    if isinstance(p, str):
        if p in s:
            return s[p] == t
        s[p] = t
        return True
    if isinstance(t, str) or p[0] != t[0] or len(p) != len(t):
        return False
    for a, b in zip(p[1:], t[1:]):
        if not _match(a, b, s):
            return False
    return True


def _at(t, pos):
    for i in pos:
        t = t[i]
    return t


def _put(t, pos, new):
    if not pos:
        return new
    i = pos[0]
    return t[:i] + (_put(t[i], pos[1:], new),) + t[i + 1:]


def _rep(t, m):
    """Replace the subterms that are keys of m (ground terms) by their values."""
    if t in m:
        return m[t]
    if isinstance(t, str):
        return t
    return (t[0],) + tuple(_rep(a, m) for a in t[1:])


def _subterms(t, out=None):
    out = [] if out is None else out
    out.append(t)
    if not isinstance(t, str):
        for a in t[1:]:
            _subterms(a, out)
    return out


def _sk(name):
    return ("!" + name,)


class Rule:
    __slots__ = ("ref", "vars", "lhs", "rhs", "conds", "dir", "ordered", "grows")

    def __init__(self, ref, vars_, lhs, rhs, conds=(), dir_="lr", ordered=False):
        self.ref, self.vars, self.lhs, self.rhs = ref, vars_, lhs, rhs
        self.conds, self.dir, self.ordered = tuple(conds), dir_, ordered
        self.grows = not ref.startswith("def:") and _size(rhs) > _size(lhs)


def orientations(ref, vars_, l, r, conds=()):
    """Usable rewrite rules for the equation l = r (named ref)."""
    vl, vr = set(_vars(l)), set(_vars(r))
    vc = set()
    for a, b in conds:
        vc |= set(_vars(a)) | set(_vars(b))
    out = []
    if isinstance(l, str) and isinstance(r, str):
        return out
    kl, kr = _key(l), _key(r)
    if not isinstance(l, str) and vr <= vl and vc <= vl and _size(l) > _size(r):
        out.append(Rule(ref, vars_, l, r, conds, "lr"))
    elif not isinstance(r, str) and vl <= vr and vc <= vr and _size(r) > _size(l):
        out.append(Rule(ref, vars_, r, l, conds, "rl"))
    elif vl == vr and vc <= vl:
        if not isinstance(l, str):
            out.append(Rule(ref, vars_, l, r, conds, "lr", ordered=kl != kr))
        if not isinstance(r, str):
            out.append(Rule(ref, vars_, r, l, conds, "rl", ordered=True))
    return out


class Rewriter:
    """Innermost rewriting with recorded steps ([ref, dir, pos, sub, conds])."""

    def __init__(self, rules, deadline, cond_depth=2):
        self.by_head = {}
        for r in rules:
            self.by_head.setdefault(r.lhs[0], []).append(r)
        self.cache = {}
        self.done = set()          # terms known to be in normal form
        self.deadline = deadline
        self.cond_depth = cond_depth
        self.count = 0
        self.record = True
        self.limit = 10 ** 9
        self.apply = None

    def normal(self, t):
        """(normal form, steps from t to it)."""
        hit = self.cache.get(t)
        if hit is not None:
            return hit
        steps = []
        nf = self._norm(t, (), steps, 0)
        res = (nf, tuple(steps))
        self.cache[t] = res
        return res

    def _norm(self, t, pos, steps, depth):
        if isinstance(t, str) or t in self.done:
            return t
        self.count += 1
        if self.count & 1023 == 0 and (time.monotonic() > self.deadline or
                                       self.count > self.limit):
            raise Budget()
        if depth > 400:
            raise Budget("depth")
        hit = self.cache.get(t)
        if hit is not None:
            for st in hit[1]:
                steps.append([st[0], st[1], list(pos) + st[2], st[3], st[4]])
            return hit[0]
        args = list(t[1:])
        for i, a in enumerate(args):
            if not isinstance(a, str):
                args[i] = self._norm(a, pos + (i + 1,), steps, depth + 1)
        t = (t[0],) + tuple(args)
        if self.apply is not None and t[0].startswith("@<") and t[1][0].startswith("#f"):
            v = self.apply(t)
            if v is not None:
                return v
        for r in self.by_head.get(t[0], ()):
            s = {}
            if not _match(r.lhs, t, s):
                continue
            new = _subst(r.rhs, s)
            if r.ordered and not (_key(new) < _key(t)):
                continue
            if r.grows and (depth > 60 or _bsize(new, 200) > 200):
                continue
            if self.record and _bsize(new, 600) > 600:
                raise Budget("size")
            conds = []
            if r.conds:
                ok = True
                if self.cond_depth <= 0:
                    continue
                for a, b in r.conds:
                    a, b = _subst(a, s), _subst(b, s)
                    if _vars(a) or _vars(b):
                        ok = False
                        break
                    ch = self.equal(a, b)
                    if ch is None:
                        ok = False
                        break
                    conds.append(ch)
                if not ok:
                    continue
            if self.record:
                steps.append([r.ref, r.dir, list(pos),
                              {k: term_to_json(v) for k, v in s.items()}, conds])
            return self._norm(new, pos, steps, depth + 1)
        self.done.add(t)
        return t

    def equal(self, a, b):
        """Steps of a chain from a to b if they have one normal form, else None."""
        self.cond_depth -= 1
        try:
            na, sa = self.normal(a)
            nb, sb = self.normal(b)
        finally:
            self.cond_depth += 1
        if na != nb:
            return None
        return list(sa) + reverse(sb)


def reverse(steps):
    return [[s[0], "rl" if s[1] == "lr" else "lr", s[2], s[3], s[4]] for s in reversed(steps)]


class Ctx:
    def __init__(self, fixed, hyps, ihs, active=None):
        self.fixed = dict(fixed)           # skolem name -> sort
        self.hyps = list(hyps)             # ground equations, indexed as the checker sees them
        self.ihs = list(ihs)               # (vars, l, r, conds) with rule variables
        self.active = list(range(len(hyps))) if active is None else list(active)
        self.ih_used = set()               # conditional hypothesis instances made hypotheses


class Prover:
    def __init__(self, problem: Problem, deadline: float):
        self.p = problem
        self.deadline = deadline
        _CONS.clear()
        _CONS.update(problem.constructors)
        self.defs = [Rule(name, vs, l, r) for name, vs, l, r in problem.rules]
        self.def_heads = {}
        self.def_eqs = {}
        for name, vs, l, r in problem.rules:
            self.def_heads.setdefault(l[0], []).append(l)
            self.def_eqs.setdefault(l[0], []).append((l, r))
        self.schemes = True                 # recursion and simultaneous induction
        self.scheme_seconds = 0.4           # at most this long on them per statement
        self.lemmas = []                    # (Statement, proof)
        self.lemma_rules = []
        self.fresh = itertools.count()
        self.stuck = []                     # (constants, lhs, rhs) of cases that failed

    # ------------------------------------------------------------ sorts
    def sort_of(self, t, ctx):
        if t[0].startswith("!"):
            return ctx.fixed[t[0][1:]]
        return self.p.sig[t[0]][1]

    # ------------------------------------------------------------ rules
    def rules_for(self, ctx, ih_dirs):
        rules = list(self.defs) + list(self.lemma_rules)
        for i in ctx.active:
            a, b = ctx.hyps[i]
            if a == b:
                continue
            if self._con(b) and not self._con(a):
                rules.append(Rule(f"hyp:{i}", {}, a, b, (), "lr"))
            elif self._con(a) and not self._con(b):
                rules.append(Rule(f"hyp:{i}", {}, b, a, (), "rl"))
            elif _key(a) >= _key(b):
                rules.append(Rule(f"hyp:{i}", {}, a, b, (), "lr"))
            else:
                rules.append(Rule(f"hyp:{i}", {}, b, a, (), "rl"))
        for j, (vs, l, r, conds) in enumerate(ctx.ihs):
            d = ih_dirs[j] if j < len(ih_dirs) else "lr"
            vl, vr = set(_vars(l)), set(_vars(r))
            vc = set()
            for a, b in conds:
                vc |= set(_vars(a)) | set(_vars(b))
            if d == "lr" and not isinstance(l, str) and vr | vc <= vl:
                rules.append(Rule(f"ih:{j}", vs, l, r, conds, "lr"))
            elif d == "rl" and not isinstance(r, str) and vl | vc <= vr:
                rules.append(Rule(f"ih:{j}", vs, r, l, conds, "rl"))
        return rules

    # ------------------------------------------------------------ one context
    def _prove_case(self, ctx: Ctx, goal, depth: int, every_up_to: int | None = None):
        """A proof of an induction case whose hypotheses come in pairs (each usable left to right
        or right to left): every combination of directions, or, past ``every_up_to`` pairs, all
        one way then all the other; None when none proves it."""
        n = len(ctx.ihs) // 2
        if every_up_to is not None and n > every_up_to:
            options = [("lr",) * len(ctx.ihs), ("rl",) * len(ctx.ihs)]
        else:
            options = [tuple(d for d in ds for _ in (0, 1))
                       for ds in itertools.product(("lr", "rl"), repeat=n)]
        for dirs in options:
            try:
                pr = self.prove_in(ctx, goal, depth, dirs)
            except (Budget, RecursionError):
                pr = None
            if pr is not None:
                return pr
        return None

    def prove_in(self, ctx, goal, depth, ih_dirs=()):
        if time.monotonic() > self.deadline:
            raise Budget()
        rw = Rewriter(self.rules_for(ctx, ih_dirs), self.deadline)
        wrap = []
        # a ground instance of a conditional induction hypothesis whose conditions hold here
        # becomes a hypothesis (then normalised with the others, so it meets the goal's form)
        for j, (vs, l, r, conds) in enumerate(ctx.ihs):
            if vs or not conds or j in ctx.ih_used:
                continue
            proofs = []
            for a, b in conds:
                ch = rw.equal(a, b)
                if ch is None:
                    break
                proofs.append(ch)
            else:
                ctx.ih_used.add(j)
                wrap.append({"by": "have", "eq": [term_to_json(l), term_to_json(r)],
                             "steps": [[f"ih:{j}", "lr", [], {}, proofs]]})
                ctx.hyps.append((l, r))
                ctx.active.append(len(ctx.hyps) - 1)
        # inter-reduce the hypotheses
        for _ in range(4):
            changed = False
            for i in list(ctx.active):
                a, b = ctx.hyps[i]
                others = Ctx(ctx.fixed, ctx.hyps, ctx.ihs, [k for k in ctx.active if k != i])
                rw2 = Rewriter(self.rules_for(others, ih_dirs), self.deadline)
                na, sa = rw2.normal(a)
                nb, sb = rw2.normal(b)
                if na == nb:
                    ctx.active.remove(i)
                    changed = True
                    continue
                if (na, nb) != (a, b):
                    steps = reverse(sa) + [[f"hyp:{i}", "lr", [], {}, []]] + list(sb)
                    wrap.append({"by": "have", "eq": [term_to_json(na), term_to_json(nb)],
                                 "steps": steps})
                    ctx.hyps.append((na, nb))
                    ctx.active.remove(i)
                    i = len(ctx.hyps) - 1
                    ctx.active.append(i)
                    a, b = na, nb
                    changed = True
                if self._con(a) and self._con(b):
                    if a[0] != b[0]:
                        return self._wrap(wrap, {"by": "absurd", "hyp": i})
                    wrap.append({"by": "inj", "hyp": i})
                    ctx.active.remove(i)
                    for x, y in zip(a[1:], b[1:]):
                        ctx.hyps.append((x, y))
                        ctx.active.append(len(ctx.hyps) - 1)
                    changed = True
            if not changed:
                break
            rw = Rewriter(self.rules_for(ctx, ih_dirs), self.deadline)
        l, r = goal
        nl, sl = rw.normal(l)
        nr, sr = rw.normal(r)
        if nl == nr:
            return self._wrap(wrap, {"by": "chain", "steps": list(sl) + reverse(sr)})
        if depth <= 0:
            if len(self.stuck) < 60:
                self.stuck.append((dict(ctx.fixed), nl, nr))
            return None
        tried = 0
        cands = []
        for t in self._stuck(nl, ctx) + self._stuck(nr, ctx):
            if t not in cands:
                cands.append(t)
        cands.sort(key=lambda t: 0 if self.sort_of(t, ctx) == "Bool" else
                   1 if t[0].startswith("!") else 2)
        for i in ctx.active:          # then what blocks a hypothesis (to reach a contradiction)
            for side in ctx.hyps[i]:
                for t in self._stuck(side, ctx):
                    if t not in cands:
                        cands.append(t)
        for t in cands:
            srt = self.sort_of(t, ctx)
            cases = []
            for con, argsorts in self.p.datatypes.get(srt, []):
                names = [f"c{next(self.fresh)}" for _ in argsorts]
                fixed = dict(ctx.fixed)
                fixed.update(zip(names, argsorts))
                pat = (con,) + tuple(_sk(n) for n in names)
                # the case: t replaced by K(z) in the goal, the hypotheses and the induction
                # hypotheses, and the hypothesis t = K(z)
                m = {t: pat}
                sub = Ctx(fixed, [(_rep(a, m), _rep(b, m)) for a, b in ctx.hyps] + [(t, pat)],
                          [(vs, _rep(l_, m), _rep(r_, m),
                            tuple((_rep(a, m), _rep(b, m)) for a, b in cs))
                           for vs, l_, r_, cs in ctx.ihs], ctx.active + [len(ctx.hyps)])
                sub.ih_used = set(ctx.ih_used)
                g = (_rep(nl, m), _rep(nr, m))
                pr = self.prove_in(sub, g, depth - 1, ih_dirs)
                if pr is None:
                    break
                cases.append({"con": con, "names": names, "proof": pr})
            else:
                split = {"by": "split", "term": term_to_json(t), "cases": cases, "subst": True}
                # the split proves nl = nr; the goal l = r follows by the chains
                return self._wrap(wrap, {"by": "rewrite", "left": list(sl), "right": list(sr),
                                         "then": split} if (sl or sr) else split)
            tried += 1
            if tried >= 3:
                break
        return None

    def _wrap(self, wrap, proof):
        for w in reversed(wrap):
            w = dict(w)
            w["then"] = proof
            proof = w
        return proof

    def _con(self, t):
        return not isinstance(t, str) and t[0] in self.p.constructors

    def _stuck(self, t, ctx, out=None):
        """Subterms a definition needs as a constructor, outermost first."""
        out = [] if out is None else out
        if isinstance(t, str):
            return out
        pats = self.def_heads.get(t[0])
        if pats:
            for p in pats:
                for i, (pa, a) in enumerate(zip(p[1:], t[1:])):
                    if not isinstance(pa, str) and not self._con(a) and a not in out:
                        if self.sort_of(a, ctx) in self.p.datatypes:
                            out.append(a)
                    elif not isinstance(pa, str) and self._con(a):
                        # nested constructor patterns: look one level deeper
                        for pb, b in zip(pa[1:], a[1:]):
                            if not isinstance(pb, str) and not isinstance(b, str) and \
                                    not self._con(b) and b not in out and \
                                    self.sort_of(b, ctx) in self.p.datatypes:
                                out.append(b)
        for a in t[1:]:
            self._stuck(a, ctx, out)
        return out

    # ------------------------------------------------------------ statements
    def prove_statement(self, st: Statement, depth=2, induction=True, structural=True):
        sk = {v: _sk(v) for v, _ in st.vars}
        fixed = dict(st.vars)
        hyps = [(_subst(a, sk), _subst(b, sk)) for a, b in st.hyps]
        goal = (_subst(st.concl[0], sk), _subst(st.concl[1], sk))
        try:
            pr = self.prove_in(Ctx(fixed, hyps, []), goal, depth)
        except (Budget, RecursionError):
            pr = None
        if pr is not None or not induction:
            return pr
        order = sorted([v for v, s in st.vars if s in self.p.datatypes],
                       key=lambda v: -self._rec_score(v, st)) if structural else []
        for x in order:
            if time.monotonic() > self.deadline:
                return None
            srt = fixed[x]
            cases = []
            for con, argsorts in self.p.datatypes[srt]:
                names = [f"{x}{k}" if f"{x}{k}" not in fixed else f"{x}_{k}"
                         for k in range(1, len(argsorts) + 1)]
                pat = (con,) + tuple(_sk(n) for n in names)
                f2 = {v: s for v, s in fixed.items() if v != x}
                f2.update(zip(names, argsorts))
                sk2 = {v: _sk(v) for v in f2}
                sk2[x] = pat
                others = {v: s for v, s in st.vars if v != x}
                ihs = []
                for n, s in zip(names, argsorts):
                    if s == srt:
                        # the hypothesis generalised over the other variables, then its
                        # instance at the case's own constants
                        m = {x: _sk(n)}
                        ihs.append((others, _subst(st.concl[0], m), _subst(st.concl[1], m),
                                    tuple((_subst(a, m), _subst(b, m)) for a, b in st.hyps)))
                        m = dict({v: _sk(v) for v in others}, **{x: _sk(n)})
                        ihs.append(({}, _subst(st.concl[0], m), _subst(st.concl[1], m),
                                    tuple((_subst(a, m), _subst(b, m)) for a, b in st.hyps)))
                hyps = [(_subst(a, sk2), _subst(b, sk2)) for a, b in st.hyps]
                goal = (_subst(st.concl[0], sk2), _subst(st.concl[1], sk2))
                pr = self._prove_case(Ctx(f2, hyps, ihs), goal, depth + 1)
                if pr is None:
                    break
                cases.append({"con": con, "names": names, "proof": pr})
            else:
                return {"by": "induction", "var": x, "cases": cases}
        if not self.schemes:
            return None
        saved = self.deadline
        self.deadline = min(saved, time.monotonic() + self.scheme_seconds)
        try:
            for node, rows, calls, vars_ in self._schemes(st):
                if time.monotonic() > self.deadline:
                    return None
                pr = self.wf_induction(st, node, rows, calls, vars_, depth)
                if pr is not None:
                    return pr
        finally:
            self.deadline = saved
        return None

    def _schemes(self, st: Statement):
        """Recursion induction along the calls of the statement's functions whose matched
        arguments are distinct variables, then simultaneous induction on two variables."""
        fixed = dict(st.vars)
        out, seen = [], set()

        def walk(t):
            if isinstance(t, str):
                return
            f = t[0]
            eqs = self.def_eqs.get(f)
            if eqs and not f.split("<")[0] in ("ite", "not", "and", "or", "=>", "&&", "||"):
                need = [j for j in range(len(t) - 1)
                        if any(not isinstance(l[j + 1], str) for l, _ in eqs)]
                args = [t[j + 1] for j in need]
                if need and all(isinstance(a, str) and fixed.get(a) in self.p.datatypes
                                for a in args) and len(set(args)) == len(args):
                    vars_ = [t[j + 1] if j in need else None for j in range(len(t) - 1)]
                    rows = [tuple(l[1:]) for l, _ in eqs]
                    calls = []
                    for l, r in eqs:
                        cs = []

                        def calls_in(u):
                            if isinstance(u, str):
                                return
                            if u[0] == f:
                                cs.append(tuple(u[1:]))
                            for a in u[1:]:
                                calls_in(a)
                        calls_in(r)
                        calls.append(cs)
                    # a single variable with one-level patterns: structural induction already
                    deep = len(need) > 1 or any(
                        not isinstance(a, str) for row in rows for j in need
                        if not isinstance(row[j], str) for a in row[j][1:])
                    key = (f, tuple(vars_))
                    if deep and key not in seen:
                        seen.add(key)
                        out.append(({"by": "recursion", "fun": f, "vars": vars_}, rows, calls,
                                    vars_))
            for a in t[1:]:
                walk(a)
        for a, b in [st.concl] + list(st.hyps):
            walk(a)
            walk(b)
        rec = [v for v, s in st.vars if s in self.p.datatypes and
               any(s in a for _, a in self.p.datatypes[s])]
        for x, y in itertools.combinations(rec, 2):
            psorts = [fixed[x], fixed[y]]
            rows, calls = [], []
            for combo in itertools.product(*[self.p.datatypes[s] for s in psorts]):
                k = itertools.count()
                row = tuple((c,) + tuple(f"p{next(k)}" for _ in a) for c, a in combo)
                rows.append(row)
                opts = []
                for pat, (c, a), srt in zip(row, combo, psorts):
                    opts.append([pat] + [pat[i + 1] for i, s in enumerate(a) if s == srt])
                calls.append([tup for tup in itertools.product(*opts) if tup != row])
            out.append(({"by": "simultaneous", "vars": [x, y]}, rows, calls, [x, y]))
        return out

    def wf_induction(self, st, node, rows, calls, vars_, depth):
        """Induction on the tuple of variables vars_ along pattern rows (checked by
        ``checker.wf_induction``): a case per row, hypotheses at the calls' arguments that
        are subterms of the row's patterns, at least one proper."""
        ind = [(j, v) for j, v in enumerate(vars_) if v is not None]
        indv = {v for _, v in ind}
        others = {v: s for v, s in st.vars if v not in indv}
        psorts = [dict(st.vars)[v] for _, v in ind]
        cases = []
        for row, cs in zip(rows, calls):
            rrow = [row[j] for j, _ in ind]
            pv = []
            for p in rrow:
                _vars(p, pv)
            names, used = [], set(others)
            for p in pv:
                n = f"{p}_"
                while n in used:
                    n += "_"
                used.add(n)
                names.append(n)
            inst = {p: _sk(n) for p, n in zip(pv, names)}
            pats = [_subst(p, inst) for p in rrow]
            f2 = dict(others)
            for p, n in zip(pv, names):
                f2[n] = self._pat_sort(rrow, psorts, p)
            sk = {v: _sk(v) for v in others}
            sk.update({v: pats[i] for i, (_, v) in enumerate(ind)})
            ihs, tups = [], []
            for call in cs:
                tup = tuple(_subst(call[j], inst) for j, _ in ind)
                subs = [set(_subterms(p)) for p in pats]
                if tup in tups or not all(a in sb for a, sb in zip(tup, subs)) or \
                        all(a == p for a, p in zip(tup, pats)) or \
                        any(self._sort_fixed(a, f2) != s for a, s in zip(tup, psorts)):
                    continue
                tups.append(tup)
                m = {v: a for (_, v), a in zip(ind, tup)}
                ihs.append((others, _subst(st.concl[0], m), _subst(st.concl[1], m),
                            tuple((_subst(a, m), _subst(b, m)) for a, b in st.hyps)))
                m2 = dict({v: _sk(v) for v in others}, **m)
                ihs.append(({}, _subst(st.concl[0], m2), _subst(st.concl[1], m2),
                            tuple((_subst(a, m2), _subst(b, m2)) for a, b in st.hyps)))
            hyps = [(_subst(a, sk), _subst(b, sk)) for a, b in st.hyps]
            goal = (_subst(st.concl[0], sk), _subst(st.concl[1], sk))
            pr = self._prove_case(Ctx(f2, hyps, ihs), goal, depth + 2, every_up_to=2)
            if pr is None:
                return None
            case = {"names": names, "ihs": [[term_to_json(a) for a in t] for t in tups],
                    "proof": pr}
            if node["by"] == "simultaneous":
                case = dict({"cons": [p[0] for p in row]}, **case)
            cases.append(case)
        return dict(node, cases=cases)

    def _pat_sort(self, rrow, psorts, var):
        def walk(p, srt):
            if isinstance(p, str):
                return srt if p == var else None
            args = dict(self.p.datatypes[srt])[p[0]]
            for a, s in zip(p[1:], args):
                r = walk(a, s)
                if r is not None:
                    return r
            return None
        for p, s in zip(rrow, psorts):
            r = walk(p, s)
            if r is not None:
                return r
        raise KeyError(var)

    def _sort_fixed(self, t, fixed):
        if t[0].startswith("!"):
            return fixed.get(t[0][1:])
        return self.p.sig[t[0]][1]

    def _rec_score(self, v, st):
        """Prefer variables that definitions match on (first argument positions)."""
        score = 0

        def walk(t):
            nonlocal score
            if isinstance(t, str):
                return
            for p in self.def_heads.get(t[0], ()):
                for pa, a in zip(p[1:], t[1:]):
                    if a == v and not isinstance(pa, str):
                        score += 1
            for a in t[1:]:
                walk(a)
        walk(st.concl[0])
        walk(st.concl[1])
        for a, b in st.hyps:
            walk(a)
            walk(b)
        return score

    def normalized(self, st: Statement):
        """The statement with its sides rewritten by the definitions and lemmas, or None."""
        sk = {v: _sk(v) for v, _ in st.vars}
        unsk = {("!" + v,): v for v, _ in st.vars}
        rw = Rewriter(list(self.defs) + list(self.lemma_rules), self.deadline)

        def back(t):
            if t in unsk:
                return unsk[t]
            return t if isinstance(t, str) else (t[0],) + tuple(back(a) for a in t[1:])
        try:
            l = back(rw.normal(_subst(st.concl[0], sk))[0])
            r = back(rw.normal(_subst(st.concl[1], sk))[0])
        except (Budget, RecursionError):
            return None
        if (l, r) == tuple(st.concl) or l == r:
            return None
        used = _vars(l) + [v for v in _vars(r) if v not in _vars(l)]
        for a, b in st.hyps:
            used += [v for v in _vars(a) + _vars(b) if v not in used]
        return Statement([(v, s) for v, s in st.vars if v in used], list(st.hyps), (l, r))

    def attempt(self, st: Statement):
        """prove_statement, then the normalised statement as a lemma and st from it."""
        pr = self.prove_statement(st)
        if pr is not None:
            return pr
        st2 = self.normalized(st)
        if st2 is None or time.monotonic() > self.deadline:
            return None
        pr2 = self.prove_statement(st2)
        if pr2 is None:
            return None
        self.add_lemma(st2, pr2)
        return self.prove_statement(st, induction=False)

    def backward(self, st: Statement):
        """A proof of an equation by rewriting against a lemma's orientation once: a subterm
        matching a lemma's right side is replaced by its left side (len(xs) -> len(rev(xs))),
        then one rule applies at an enclosing position (take(len(ys), ys) -> ys), then both
        sides are normalised. A chain proof, or None."""
        if st.hyps:
            return None
        sk = {v: _sk(v) for v, _ in st.vars}
        rw = Rewriter(list(self.defs) + list(self.lemma_rules), self.deadline)
        rules = list(self.defs) + list(self.lemma_rules)
        by_head = {}
        for r in rules:
            if not r.conds:
                by_head.setdefault(r.lhs[0], []).append(r)
        try:
            for left, right in ((st.concl[0], st.concl[1]), (st.concl[1], st.concl[0])):
                l, r = _subst(left, sk), _subst(right, sk)
                nr, sr = rw.normal(r)
                poss = []

                def walk(t, pos):
                    if not isinstance(t, str):
                        poss.append(pos)
                        for i, a in enumerate(t[1:], 1):
                            walk(a, pos + (i,))
                walk(l, ())
                for p in poss:
                    u = _at(l, p)
                    for R in self.lemma_rules:
                        if R.conds or isinstance(R.rhs, str) or \
                                not set(_vars(R.lhs)) <= set(_vars(R.rhs)):
                            continue
                        sub = {}
                        if not _match(R.rhs, u, sub):
                            continue
                        t1 = _put(l, p, _subst(R.lhs, sub))
                        back = [R.ref, "rl" if R.dir == "lr" else "lr", list(p),
                                {k: term_to_json(v) for k, v in sub.items()}, []]
                        for k in range(len(p) - 1, -1, -1):
                            q = p[:k]
                            v = _at(t1, q)
                            for R2 in by_head.get(v[0], ()):
                                s2 = {}
                                if not _match(R2.lhs, v, s2):
                                    continue
                                t2 = _put(t1, q, _subst(R2.rhs, s2))
                                step = [R2.ref, R2.dir, list(q),
                                        {k2: term_to_json(x) for k2, x in s2.items()}, []]
                                n2, s3 = rw.normal(t2)
                                if n2 == nr:
                                    steps = [back, step] + list(s3) + reverse(sr)
                                    if left is st.concl[0]:
                                        return {"by": "chain", "steps": steps}
                                    return {"by": "chain", "steps": reverse(steps)}
        except (Budget, RecursionError):
            return None
        return None

    def add_lemma(self, st: Statement, proof, push=False):
        """push: a distributivity lemma f(g(x, y)) = h(f(x), f(y)), used left to right."""
        k = len(self.lemmas)
        self.lemmas.append((st, proof))
        if push:
            self.lemma_rules.append(Rule(f"lemma:{k}", dict(st.vars), st.concl[0], st.concl[1],
                                         st.hyps, "lr"))
            return
        self.lemma_rules.extend(orientations(f"lemma:{k}", dict(st.vars), st.concl[0],
                                             st.concl[1], st.hyps))


# ---------------------------------------------------------------- evaluation

def evaluate(problem: Problem, t, limit=20000):
    """Normal form of a ground term by the definitions (None when it runs too long)."""
    rw = Rewriter([Rule(n, v, l, r) for n, v, l, r in problem.rules], time.monotonic() + 5)
    try:
        return rw.normal(t)[0]
    except (Budget, RecursionError):
        return None


class Evaluator:
    def __init__(self, problem, deadline=None):
        self.p = problem
        self.rw = Rewriter([Rule(n, v, l, r) for n, v, l, r in problem.rules],
                           deadline or time.monotonic() + 3600)
        self.rw.record = False
        self.rw.limit = 20000
        self.rw.apply = self._apply

    def _apply(self, t):
        """A generated function value applied to values: a fixed pseudo-random result."""
        f = t[1][0]
        res = f.split(":", 1)[1][4:-1].split(",")[-1]     # fun<a,...,r> -> r
        h = zlib.crc32(repr((f, t[2:])).encode()) & 0xFFFF
        if res == "Bool":
            return ("true",) if h % 2 else ("false",)
        if res in self.p.datatypes:
            return random_value(self.p, res, random.Random(h), 2)
        return (f"{res}#{h % 3}",)

    def __call__(self, t):
        self.rw.count = 0
        try:
            nf = self.rw.normal(t)[0]
        except (Budget, RecursionError):
            return None
        if len(self.rw.cache) > 30000 or len(self.rw.done) > 60000:
            self.rw.cache.clear()
            self.rw.done.clear()
        return nf


def random_value(problem, sort, rng, depth=3):
    cons = problem.datatypes.get(sort)
    if sort == "Nat" and cons and [c for c, _ in cons] == ["Z", "S"]:
        v = ("Z",)
        for _ in range(rng.randrange(depth + 2)):
            v = ("S", v)
        return v
    if cons and len(cons) == 2 and not cons[0][1] and sort in cons[1][1] and \
            len(cons[1][1]) == 2:        # a list
        nil, (cons_, (el, _)) = cons[0][0], cons[1]
        v = (nil,)
        for _ in range(rng.randrange(depth + 2)):
            x = random_value(problem, el, rng, 2)
            if x is None:
                return None
            v = (cons_, x, v)
        return v
    if cons is None:
        if sort.startswith("fun<"):
            return (f"#f{rng.randrange(1000)}:{sort}",)     # a function value, see _apply
        return (f"{sort}#{rng.randrange(3)}",)
    if depth <= 0:
        base = [c for c in cons if sort not in c[1]]
        c = base[0] if base else cons[0]
    else:
        c = rng.choice(cons)
        if sort == "Nat" or sort.startswith("list<"):
            rec = [k for k in cons if sort in k[1]]
            if rec and rng.random() < 0.6:
                c = rec[0]
    args = []
    for s in c[1]:
        v = random_value(problem, s, rng, depth - 1)
        if v is None:
            return None
        args.append(v)
    return (c[0],) + tuple(args)


def find_counterexample(problem: Problem, st: Statement, tries=120, seed=1, deadline=None):
    """An assignment on which the hypotheses hold and the conclusion fails, or None."""
    ev = Evaluator(problem, deadline)
    rng = random.Random(seed)
    for k in range(tries):
        env = {}
        for v, s in st.vars:
            val = random_value(problem, s, rng, depth=2 + k % 4)
            if val is None:
                return None
            env[v] = val
        ok = True
        for a, b in st.hyps:
            x, y = ev(_subst(a, env)), ev(_subst(b, env))
            if x is None or y is None or x != y:
                ok = False
                break
        if not ok:
            continue
        if deadline is not None and time.monotonic() > deadline:
            return None
        x, y = ev(_subst(st.concl[0], env)), ev(_subst(st.concl[1], env))
        if x is not None and y is not None and x != y:
            return {v: show_term(val) for v, val in env.items()}
    return None


# ---------------------------------------------------------------- lemma discovery

def _statement_functions(problem: Problem, st: Statement, keep, closure: bool) -> set:
    """The function symbols of the signature that occur in the statement (conclusion and
    hypotheses) and pass ``keep``, with those of the definitions of the symbols found: once, or
    until nothing new appears when ``closure``."""
    sig = problem.sig
    found: set = set()

    def collect(t):
        if isinstance(t, str):
            return
        if t[0] in sig and keep(t[0]):
            found.add(t[0])
        for a in t[1:]:
            collect(a)
    for a, b in [st.concl] + list(st.hyps):
        collect(a)
        collect(b)
    changed = True
    while changed:
        before = len(found)
        for n, vs, l, r in problem.rules:
            if l[0] in found:
                collect(r)
        changed = closure and len(found) != before
    return found


def _defined(problem: Problem):
    """Keep a symbol that is neither a constructor nor an internal (``~``) one."""
    return lambda f: f not in problem.constructors and "~" not in f


def _explore_terms(problem: Problem, st: Statement, max_size: int, cap: int):
    """Well-sorted terms over the goal's function symbols, smallest first: {sort: [terms]}."""
    sig = problem.sig
    funs = _statement_functions(problem, st, lambda f: not f.startswith("!"), closure=True)
    skip = {"ite", "not", "and", "or", "=>"}
    funs = {f for f in funs if "~" not in f and f.split("<")[0] not in skip and
            not f.startswith("@") and not f.startswith("lam")}
    for s, cs in problem.datatypes.items():
        for c, args in cs:
            if c in funs or s == "Bool":
                continue
            if not args or s == "Nat":
                funs.add(c)
    sorts = {s for _, s in st.vars}
    for f in funs:
        sorts.add(sig[f][1])
        sorts.update(sig[f][0])
    goal_funs = {s for _, s in st.vars if s.startswith("fun<")}
    sorts = {s for s in sorts if not s.startswith("fun<") or s in goal_funs}
    funs = {f for f in funs if all(s in sorts for s in sig[f][0])}
    by_size = {}
    names = {}
    for s in sorted(sorts):
        base = "".join(ch for ch in s.split("<")[0].lower() if ch.isalpha())[:2] or "v"
        nv = 3 if s in problem.datatypes and s != "Bool" else (2 if s != "Bool" else 0)
        if max_size >= 7 and nv:
            nv = 2
        if s.startswith("fun<"):
            nv = 1
        vs = [f"{base}{i}" for i in range(nv)]
        names[s] = vs
        by_size.setdefault((s, 1), []).extend(vs)
    for f in sorted(funs):
        if not sig[f][0]:
            by_size.setdefault((sig[f][1], 1), []).append((f,))
    total = sum(len(v) for v in by_size.values())
    for size in range(2, max_size + 1):
        for f in sorted(funs):
            args_s, res = sig[f]
            if not args_s:
                continue
            n = len(args_s)
            for split in _compositions(size - 1, n):
                pools = [by_size.get((s, k), []) for s, k in zip(args_s, split)]
                if any(not p for p in pools):
                    continue
                for combo in itertools.product(*pools):
                    by_size.setdefault((res, size), []).append((f,) + combo)
                    total += 1
                    if total > cap:
                        return by_size, names
    return by_size, names


def _compositions(total, parts):
    if parts == 1:
        if total >= 1:
            yield (total,)
        return
    for first in range(1, total - parts + 2):
        for rest in _compositions(total - first, parts - 1):
            yield (first,) + rest


def _canon(l, r, sorts):
    """Rename variables by first occurrence (per sort)."""
    order = _vars(l) + [v for v in _vars(r) if v not in _vars(l)]
    count = {}
    ren = {}
    for v in order:
        s = sorts[v]
        k = count.get(s, 0)
        count[s] = k + 1
        base = "".join(ch for ch in v if ch.isalpha())
        ren[v] = f"{base}{k}"
    return _subst(l, ren), _subst(r, ren), [(ren[v], sorts[v]) for v in order]


def distributive_conjectures(problem, st, rng, nprobes=14):
    """Conjectures f(.., g(x, y), ..) = h(f(.., x, ..), f(.., y, ..)) (either order of the
    arguments of h) for binary g, h of the goal's signature, kept when true on generated
    values: the distributivity lemmas (count over ++, filter over ++) that exploration by size
    reaches late."""
    sig = problem.sig
    fs = _statement_functions(problem, st, _defined(problem), closure=False)
    fs = {f for f in fs if f.split("<")[0] not in ("ite", "not", "and", "or", "=>")
          and not f.startswith("@") and not f.startswith("lam")}
    binary = [g for g in fs if len(sig[g][0]) == 2 and sig[g][0][0] == sig[g][0][1] == sig[g][1]]
    out = []
    for f in sorted(fs):
        args, res = sig[f]
        for k, srt in enumerate(args):
            for g in binary:
                if sig[g][1] != srt:
                    continue
                for h in binary:
                    if sig[h][1] != res:
                        continue
                    vs = [f"v{i}" for i in range(len(args))]
                    sorts = {v: a for v, a in zip(vs, args)}
                    sorts.update({"u0": srt, "u1": srt})
                    lhs = (f,) + tuple((g, "u0", "u1") if i == k else v for i, v in enumerate(vs))
                    fx = (f,) + tuple("u0" if i == k else v for i, v in enumerate(vs))
                    fy = (f,) + tuple("u1" if i == k else v for i, v in enumerate(vs))
                    for rhs in ((h, fx, fy), (h, fy, fx)):
                        vars_ = [v for v in vs if v != vs[k]] + ["u0", "u1"]
                        out.append(Statement([(v, sorts[v]) for v in vars_], [], (lhs, rhs)))
    # shifted distributivity: f(n, g(xs, ys)) = g(f(n, xs), f(h(n, m(xs)), ys)) (take / drop
    # over ++, with n - len(xs) for the second part)
    for f in sorted(fs):
        args, res = sig[f]
        if len(args) != 2 or args[1] != res or args[0] == res:
            continue
        for g in binary:
            if sig[g][1] != res:
                continue
            for m in sorted(fs):
                if sig[m][0] != [res] and tuple(sig[m][0]) != (res,) or sig[m][1] != args[0]:
                    continue
                for h in binary:
                    if sig[h][1] != args[0]:
                        continue
                    lhs = (f, "n0", (g, "u0", "u1"))
                    rhs = (g, (f, "n0", "u0"), (f, (h, "n0", (m, "u0")), "u1"))
                    c = Statement([("n0", args[0]), ("u0", res), ("u1", res)], [], (lhs, rhs))
                    out.append(c)
    keep = []
    ev = Evaluator(problem)
    for c in out:
        okc = True
        for k in range(nprobes):
            env = {v: random_value(problem, s, rng, depth=1 + k % 4) for v, s in c.vars}
            a, b = ev(_subst(c.concl[0], env)), ev(_subst(c.concl[1], env))
            if a is None or b is None or a != b:
                okc = False
                break
        if okc:
            c.push = True
            keep.append(c)
    return keep


def monotone_conjectures(problem, st, rng, nprobes=40):
    """Conditional conjectures P(.., x, ..) = true => P(.., K(.., x, ..), ..) = true (and the
    converse) for the Bool-valued functions of the goal and a constructor K that wraps an
    argument's sort (S, cons), kept when the conclusion holds on every generated value where
    the premise does (and the premise holds on some)."""
    sig = problem.sig
    fs = _statement_functions(problem, st, _defined(problem), closure=False)
    out = []
    ev = Evaluator(problem)
    for f in sorted(fs):
        args, res = sig[f]
        if f.split("<")[0] in ("ite", "not", "and", "or", "=>") or \
                any(a.startswith("fun<") for a in args) or "~" in f or f.startswith("@"):
            continue
        # the value kept: true for a predicate, else a constant constructor (x - y = Z)
        nullary = [c for c, a in problem.datatypes.get(res, []) if not a]
        if res == "Bool":
            val = ("true",)
        elif nullary and res != "Bool" and f not in problem.constructors:
            val = (nullary[0],)
        else:
            continue
        vs = [f"x{i}" for i in range(len(args))]
        for k, srt in enumerate(args):
            for con, cargs in problem.datatypes.get(srt, []):
                if srt not in cargs:
                    continue
                j = cargs.index(srt)
                extra = [f"e{i}" for i in range(len(cargs)) if i != j]
                it = iter(extra)
                wrapped = (con,) + tuple(vs[k] if i == j else next(it) for i in range(len(cargs)))
                small = (f,) + tuple(vs)
                big = (f,) + tuple(wrapped if i == k else v for i, v in enumerate(vs))
                sorts = dict(zip(vs, args))
                it = iter(extra)
                for i, a in enumerate(cargs):
                    if i != j:
                        sorts[next(it)] = a
                allv = [(v, sorts[v]) for v in vs + extra]
                for prem, concl in ((small, big), (big, small)):
                    hits, ok = 0, True
                    for p_ in range(nprobes):
                        env = {v: random_value(problem, s2, rng, depth=1 + p_ % 4)
                               for v, s2 in allv}
                        pv_ = ev(_subst(prem, env))
                        if pv_ != val:
                            continue
                        hits += 1
                        if ev(_subst(concl, env)) != val:
                            ok = False
                            break
                    if ok and hits >= 3:
                        c = Statement(allv, [(prem, val)], (concl, val))
                        c.deep = True
                        out.append(c)
    # P(x, y) = b1 => P(y, x) = b2 (totality, symmetry of a binary relation)
    for f in sorted(fs):
        args, res = sig[f]
        if res != "Bool" or len(args) != 2 or args[0] != args[1] or \
                f.split("<")[0] in ("ite", "not", "and", "or", "=>") or \
                args[0].startswith("fun<") or args[0] == "Bool":
            continue
        allv = [("x0", args[0]), ("x1", args[0])]
        for b1 in (("true",), ("false",)):
            for b2 in (("true",), ("false",)):
                hits, ok = 0, True
                for p_ in range(nprobes):
                    env = {v: random_value(problem, s2, rng, depth=1 + p_ % 4) for v, s2 in allv}
                    if ev((f, env["x0"], env["x1"])) != b1:
                        continue
                    hits += 1
                    if ev((f, env["x1"], env["x0"])) != b2:
                        ok = False
                        break
                if ok and hits >= 3:
                    c = Statement(allv, [((f, "x0", "x1"), b1)], ((f, "x1", "x0"), b2))
                    c.deep = True
                    out.append(c)
    # P(x) = true => P(g(.., x, ..)) = true: a defined function g preserves the property
    for f in sorted(fs):
        args, res = sig[f]
        if res != "Bool" or len(args) != 1 or args[0] not in problem.datatypes or \
                f.split("<")[0] in ("ite", "not", "and", "or", "=>") or args[0] == "Bool":
            continue
        srt = args[0]
        for g in sorted(fs):
            gargs, gres = sig[g]
            if gres != srt or srt not in gargs or g in problem.constructors or "~" in g or \
                    any(a.startswith("fun<") for a in gargs) or g.startswith("@"):
                continue
            k = gargs.index(srt)
            vs = [f"x{i}" for i in range(len(gargs))]
            allv = list(zip(vs, gargs))
            prem, concl = (f, vs[k]), (f, (g,) + tuple(vs))
            hits, ok = 0, True
            for p_ in range(nprobes):
                env = {v: random_value(problem, s2, rng, depth=1 + p_ % 4) for v, s2 in allv}
                if ev(_subst(prem, env)) != ("true",):
                    continue
                hits += 1
                if ev(_subst(concl, env)) != ("true",):
                    ok = False
                    break
            if ok and hits >= 3:
                c = Statement(allv, [(prem, ("true",))], (concl, ("true",)))
                c.deep = True
                out.append(c)
    # P(x, y) = true => Q(x, y) = b for two Bool-valued functions with the same arguments
    preds = [f for f in sorted(fs) if sig[f][1] == "Bool" and sig[f][0] and
             f.split("<")[0] not in ("ite", "not", "and", "or", "=>") and
             not any(a.startswith("fun<") for a in sig[f][0])]
    for f in preds:
        for g in preds:
            if f == g or sig[f][0] != sig[g][0]:
                continue
            args = sig[f][0]
            vs = [f"x{i}" for i in range(len(args))]
            allv = list(zip(vs, args))
            prem, concl = (f,) + tuple(vs), (g,) + tuple(vs)
            for b in (("true",), ("false",)):
                hits, ok = 0, True
                for p_ in range(nprobes):
                    env = {v: random_value(problem, s2, rng, depth=1 + p_ % 4) for v, s2 in allv}
                    if ev(_subst(prem, env)) != ("true",):
                        continue
                    hits += 1
                    if ev(_subst(concl, env)) != b:
                        ok = False
                        break
                if ok and hits >= 3:
                    c = Statement(allv, [(prem, ("true",))], (concl, b))
                    c.deep = True
                    out.append(c)
    return out


def stuck_conjectures(problem, st, stuck, rng, max_size=5, nprobes=14, deadline=None):
    """Lemmas suggested by failed cases: each stuck subterm (a defined function applied to
    something that contains a constant), generalised (constants, and defined subterms, become
    variables), is conjectured equal to the smallest enumerated term with the same values."""
    by_size, names = _explore_terms(problem, st, max_size, 6000)
    sorts = {v: s for s, vs in names.items() for v in vs}
    ev = Evaluator(problem, deadline)
    envs = [{v: random_value(problem, s, rng, depth=1 + k % 4) for v, s in sorts.items()}
            for k in range(nprobes)]

    def fp(t):
        vals = []
        for env in envs:
            v = ev(_subst(t, env))
            if v is None:
                return None
            vals.append(v)
        return tuple(vals)
    table = {}
    for (s, size) in sorted(by_size, key=lambda k: k[1]):
        for t in by_size[(s, size)]:
            if deadline is not None and time.monotonic() > deadline:
                return []
            f = fp(t)
            if f is not None and (s, f) not in table:
                table[(s, f)] = t
    defined = {l[0] for _, _, l, _ in problem.rules}
    out, seen = [], set()

    def sort_of(t, fixed):
        return fixed[t[0][1:]] if t[0].startswith("!") else problem.sig[t[0]][1]

    def subterms(t, acc):
        if not isinstance(t, str):
            acc.append(t)
            for a in t[1:]:
                subterms(a, acc)
        return acc
    for fixed, l, r in stuck:
        for u in subterms(l, []) + subterms(r, []):
            if u[0] not in defined or u[0].split("<")[0] in ("ite",) or _size(u) < 3:
                continue
            for deep in (False, True):
                ren, used = {}, {}

                def gen(t, top=True):
                    if not isinstance(t, str) and (t[0].startswith("!") or
                                                   (deep and not top and t[0] in defined)):
                        if t not in ren:
                            srt = sort_of(t, fixed)
                            pool = names.get(srt, [])
                            k = used.get(srt, 0)
                            if k >= len(pool):
                                raise KeyError(srt)
                            used[srt] = k + 1
                            ren[t] = pool[k]
                        return ren[t]
                    return t if isinstance(t, str) else \
                        (t[0],) + tuple(gen(a, False) for a in t[1:])
                try:
                    g = gen(u)
                    srt = sort_of(u, fixed)
                except KeyError:
                    continue
                f = fp(g)
                if f is None:
                    continue
                other = table.get((srt, f))
                if other is None or other == g or _key(other) >= _key(g):
                    continue
                l2, r2, vs = _canon(g, other, sorts)
                if (l2, r2) in seen:
                    continue
                seen.add((l2, r2))
                c = Statement(vs, [], (l2, r2))
                c.deep = True
                out.append(c)
    out.sort(key=lambda c: (_size(c.concl[0]) + _size(c.concl[1]), repr(c.concl)))
    return out


def generalised_conjectures(problem, st, stuck, rng, nprobes=30, limit=10, deadline=None):
    """Generalisation of a stuck equation: the goal and each failed case's sides, with every
    subterm headed by a defined function that occurs on both sides (the largest ones first)
    and every remaining constant replaced by a fresh variable; kept when true on generated
    values (a counterexample search by evaluation) and not trivial."""
    defined = {l[0] for _, _, l, _ in problem.rules}
    sk = {v: _sk(v) for v, _ in st.vars}
    items = [] if st.hyps else [(dict(st.vars), _subst(st.concl[0], sk),
                                 _subst(st.concl[1], sk))]
    items += list(stuck)
    ev = Evaluator(problem, deadline)
    out, seen = [], set()

    def sort_of(t, fixed):
        return fixed[t[0][1:]] if t[0].startswith("!") else problem.sig[t[0]][1]

    for fixed, l, r in items:
        if deadline is not None and time.monotonic() > deadline:
            break
        if _bsize(l, 40) + _bsize(r, 40) > 40:
            continue
        sl, sr = set(_subterms(l)), set(_subterms(r))
        common = [u for u in sl & sr if not isinstance(u, str) and u[0] in defined and
                  u[0].split("<")[0] != "ite" and sort_of(u, fixed) in problem.datatypes]
        common.sort(key=lambda u: -_size(u))
        for u in common[:3]:
            ren, sorts = {u: "g0"}, {"g0": sort_of(u, fixed)}
            try:
                srt0 = sort_of(u, fixed)
            except KeyError:
                continue
            k = itertools.count(1)

            def gen(t):
                if t in ren:
                    return ren[t]
                if isinstance(t, str):
                    return t
                if t[0].startswith("!"):
                    v = f"g{next(k)}"
                    ren[t] = v
                    sorts[v] = fixed[t[0][1:]]
                    return v
                return (t[0],) + tuple(gen(a) for a in t[1:])
            gl, gr = gen(l), gen(r)
            if gl == gr or (isinstance(gl, str) and isinstance(gr, str)):
                continue
            if any(s.startswith("fun<") for s in sorts.values()) or srt0 == "Bool":
                continue
            vs = [v for v in _vars(gl) + _vars(gr)]
            vs = list(dict.fromkeys(vs))
            c = Statement([(v, sorts[v]) for v in vs], [], (gl, gr))
            key = repr(_canon(gl, gr, sorts)[:2])
            if key in seen:
                continue
            seen.add(key)
            ok = True
            for p_ in range(nprobes):
                env = {v: random_value(problem, s2, rng, depth=1 + p_ % 7) for v, s2 in c.vars}
                a, b = ev(_subst(gl, env)), ev(_subst(gr, env))
                if a is None or b is None or a != b:
                    ok = False
                    break
            if ok:
                c.deep = True
                out.append(c)
                if len(out) >= limit:
                    return out
    return out


def conjectures(problem, st, rng, max_size=6, cap=6000, nprobes=14, deadline=None):
    by_size, names = _explore_terms(problem, st, max_size, cap)
    sorts = {v: s for s, vs in names.items() for v in vs}
    ev = Evaluator(problem, deadline)
    envs = []
    for k in range(nprobes):
        env = {}
        for v, s in sorts.items():
            env[v] = random_value(problem, s, rng, depth=1 + k % 4)
        envs.append(env)
    classes = {}
    for (s, size) in sorted(by_size, key=lambda k: k[1]):
        if deadline is not None and time.monotonic() > deadline:
            break
        for t in by_size[(s, size)]:
            vals = []
            for env in envs:
                v = ev(_subst(t, env))
                if v is None:
                    break
                vals.append(v)
            else:
                classes.setdefault((s, tuple(vals)), []).append(t)
    out, seen = [], set()
    for (s, _), ts in classes.items():
        if len(ts) < 2:
            continue
        ts.sort(key=_key)
        rep = ts[0]
        for t in ts[1:]:
            vr, vt = set(_vars(rep)), set(_vars(t))
            if not vt and not vr:
                continue
            l, r, vs = _canon(t, rep, sorts)
            if (l, r) not in seen:
                seen.add((l, r))
                out.append(Statement(vs, [], (l, r)))
    out.sort(key=lambda c: (_size(c.concl[0]) + _size(c.concl[1]), repr(c.concl)))
    return out


# ---------------------------------------------------------------- the driver

def prove_goal(problem: Problem, seconds: float = 10.0, *, explore: bool = True, seed: int = 1,
               log=None):
    """Try the problem's goal. Returns a dict: proved, goal, proof, lemmas [(Statement, proof)]
    used, counterexample, seconds."""
    t0 = time.monotonic()
    st = problem.goal
    res = {"goal": show_statement(st), "proved": False, "proof": None, "lemmas": [],
           "counterexample": None}
    cex = find_counterexample(problem, st, deadline=t0 + seconds / 4)
    if cex is not None:
        res["counterexample"] = cex
        res["seconds"] = time.monotonic() - t0
        return res
    deadline = t0 + seconds
    pv = Prover(problem, deadline)
    pr = pv.prove_statement(st)
    if pr is None and explore and time.monotonic() < deadline:
        rng = random.Random(seed)
        failed, seen = [], set()
        quick = [None]

        def try_lemma(c):
            sub = Prover(problem, min(deadline, time.monotonic() + 0.2))
            sub.lemmas, sub.lemma_rules = pv.lemmas, pv.lemma_rules
            try:
                if sub.prove_statement(c, depth=0, induction=False) is not None:
                    return None         # already follows by rewriting
            except Budget:
                return False
            deep = getattr(c, "deep", False)     # suggested by a failed case: more effort
            sub.schemes = deep      # recursion / simultaneous induction for those only
            sub.scheme_seconds = 0.2
            sub.deadline = min(deadline, time.monotonic() + (1.0 if deep else 0.3))
            try:
                lp = sub.prove_statement(c, depth=2 if deep else 1)
            except Budget:
                lp = None
            if lp is None:
                lp = sub.backward(c)
            if lp is None:
                return False
            pv.add_lemma(c, lp, push=getattr(c, "push", False))
            if log:
                log(f"lemma {show_statement(c)}")
            if quick[0] is None:
                # does the goal follow at once (by rewriting; with case splits after a lemma
                # suggested for the goal)?
                saved = pv.deadline
                pv.deadline = min(deadline, time.monotonic() + (0.2 if deep else 0.05))
                try:
                    quick[0] = pv.prove_statement(st, depth=2 if deep else 0, induction=False)
                except Budget:
                    pass
                finally:
                    pv.deadline = saved
            return True

        for max_size in (3, 4, 5, 6, 7):
            if time.monotonic() > deadline or pr is not None:
                break
            cands = conjectures(problem, st, rng, max_size=max_size, deadline=deadline,
                                cap=6000 if max_size < 7 else 15000)
            if max_size == 4:
                cands = cands + distributive_conjectures(problem, st, rng)
                cands = cands + stuck_conjectures(problem, st, pv.stuck, rng, deadline=deadline)
                cands = cands + monotone_conjectures(problem, st, rng)
                cands = cands + generalised_conjectures(problem, st, pv.stuck, rng,
                                                        deadline=deadline)
            new = 0
            for c in cands:
                key = repr((c.concl, c.vars))
                if key in seen:
                    continue
                seen.add(key)
                if time.monotonic() > deadline:
                    break
                ok = try_lemma(c)
                if ok:
                    new += 1
                elif ok is False:
                    failed.append(c)
                if quick[0] is not None:
                    pr = quick[0]
                    break
            # conjectures that failed before may follow with the newer lemmas
            while new and pr is None and time.monotonic() < deadline:
                again, failed, more = failed, [], 0
                for c in again:
                    if time.monotonic() > deadline or quick[0] is not None:
                        failed.append(c)
                        continue
                    ok = try_lemma(c)
                    if ok:
                        more += 1
                    elif ok is False:
                        failed.append(c)
                pv.deadline = deadline
                pr = quick[0] if quick[0] is not None else pv.attempt(st)
                if pr is not None or not more:
                    break
                new = more
            if pr is None and time.monotonic() < deadline:
                pv.deadline = deadline
                pr = pv.attempt(st)
    res["seconds"] = time.monotonic() - t0
    if pr is not None:
        res["proved"] = True
        res["proof"] = pr
        used = _used_lemmas(pr, pv.lemmas)
        res["lemmas"] = [(k, pv.lemmas[k][0], pv.lemmas[k][1]) for k in used]
    return res


def _refs(proof, out):
    if isinstance(proof, dict):
        for k, v in proof.items():
            if k in ("steps", "left", "right"):
                for s in v:
                    if isinstance(s[0], str) and s[0].startswith("lemma:"):
                        out.add(int(s[0][6:]))
                    for c in s[4]:
                        _refs({"steps": c}, out)
            else:
                _refs(v, out)
    elif isinstance(proof, list):
        for v in proof:
            _refs(v, out)
    return out


def _used_lemmas(proof, lemmas):
    todo = list(_refs(proof, set()))
    seen = set()
    while todo:
        k = todo.pop()
        if k in seen:
            continue
        seen.add(k)
        todo.extend(_refs(lemmas[k][1], set()))
    return sorted(seen)


def proof_graph(problem: Problem, res: dict) -> dict:
    """The JSON proof graph (format ``tip-proof``): definitions, the lemmas used, the goal;
    links from each premise to the node whose proof cites it."""
    nodes, links = [], []
    for name, vs, l, r in problem.rules:
        nodes.append({"id": name, "kind": "definition", "vars": vs, "lhs": term_to_json(l),
                      "rhs": term_to_json(r)})
    renum = {k: i for i, (k, _, _) in enumerate(res["lemmas"])}

    def fix(p):
        if isinstance(p, dict):
            return {k: fix(v) for k, v in p.items()}
        if isinstance(p, list):
            if p and isinstance(p[0], str) and p[0].startswith("lemma:") and len(p) == 5:
                return [f"lemma:{renum[int(p[0][6:])]}"] + [fix(x) for x in p[1:]]
            return [fix(x) for x in p]
        return p

    def cites(p):
        out = set()

        def walk(q):
            if isinstance(q, dict):
                for v in q.values():
                    walk(v)
            elif isinstance(q, list):
                if q and isinstance(q[0], str) and len(q) == 5 and (
                        q[0].startswith("def:") or q[0].startswith("lemma:")):
                    out.add(q[0])
                for v in q:
                    walk(v)
        walk(p)
        return out
    for i, (k, st, pr) in enumerate(res["lemmas"]):
        pr = fix(pr)
        nodes.append({"id": f"lemma:{i}", "kind": "lemma", "statement": show_statement(st),
                      "stmt": st.to_json(), "proof": pr})
        links += [{"source": c, "target": f"lemma:{i}"} for c in sorted(cites(pr))]
    if res.get("proved"):
        pr = fix(res["proof"])
        nodes.append({"id": "goal", "kind": "goal", "statement": res["goal"],
                      "stmt": problem.goal.to_json(), "proof": pr})
        links += [{"source": c, "target": "goal"} for c in sorted(cites(pr))]
    return {"format": "tip-proof", "version": 1, "problem": problem.name,
            "source": str(Path(problem.source).resolve()) if problem.source else "",
            "signature": problem.signature_json(), "nodes": nodes, "links": links}
