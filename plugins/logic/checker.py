"""An independent checker of proof graphs (the JSON export of :mod:`.graph`).

It reads the node-link JSON and re-verifies every step by syntactic matching, with its own small
term functions: it imports neither the prover nor the probe. It rejects a graph when

* the graph has a cycle, or a step's premise is missing or not linked to the step by an edge;
* a step's ``before`` does not hold the premise's side (instantiated by the recorded
  substitution) at the recorded position, or its ``after`` is not ``before`` with that position
  replaced by the other side, or the substitution misses a variable of the premise;
* a chain does not start from its goal's sides, a step does not start where the previous ended,
  or the two sides do not end at one term;
* a theorem's proof does not prove exactly the theorem (its variables fixed as ``@x``), an
  induction does not have one case per constructor with the right goal and hypotheses, or a
  hypothesis is used outside its own case;
* an implication's case (its proof chain, or an induction case) does not start from the case's
  instance of the premise as fact 0, or a derived fact is not what its rule gives: ``rewrite``
  (steps checked as above), ``injectivity`` (argument k of both sides of C(..) = C(..) for a
  constructor C) or ``modus_ponens`` (the premise of a proved implication or of the case's own
  hypothesis, under the substitution, is the source fact; the fact is its conclusion); a fact,
  assumption or hypothesis is used outside its own case, or an implication used to rewrite;
* with several sorts (graph attribute ``sorts``), an induction's cases are not the
  constructors of the sort of its variable (read off the statement), or its hypotheses are not
  exactly those for the constructor arguments of that sort;
* an axiom node differs from the axioms given (when they are given).

Terms are nested JSON lists: a variable is a string, an application ``[symbol, arg, ...]``.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

__all__ = ["check_graph", "check_file", "CheckReport"]


class CheckReport:
    def __init__(self):
        self.errors: list[str] = []
        self.steps = 0
        self.theorems = 0
        self.verified: list[str] = []    # statements of the theorems checked without error

    @property
    def ok(self) -> bool:
        return not self.errors and self.theorems > 0

    def __repr__(self):
        return f"CheckReport(ok={self.ok}, theorems={self.theorems}, steps={self.steps}, " \
               f"errors={self.errors[:3]})"


def _is_var(t):
    return isinstance(t, str)


def _vars(t, out):
    if _is_var(t):
        if t not in out:
            out.append(t)
    else:
        for a in t[1:]:
            _vars(a, out)
    return out


def _subst(t, s):
    if _is_var(t):
        return s.get(t, t)
    return [t[0]] + [_subst(a, s) for a in t[1:]]


def _at(t, pos):
    for i in pos:
        if _is_var(t) or not isinstance(i, int) or i < 1 or i >= len(t):
            return None
        t = t[i]
    return t


def _put(t, pos, new):
    if not pos:
        return new
    i = pos[0]
    return t[:i] + [_put(t[i], pos[1:], new)] + t[i + 1:]


def _well_formed(t) -> bool:
    if _is_var(t):
        return bool(t) and not t.startswith("@")
    return (isinstance(t, list) and len(t) >= 1 and isinstance(t[0], str)
            and all(_well_formed(a) for a in t[1:]))


def _var_sorts(terms, sorts):
    """Variable -> set of sorts of the argument positions it occurs in (graph ``sorts``:
    symbol -> [argument sorts, result sort]); a whole side that is a variable takes the sort of
    the other side's root."""
    out: dict = {}

    def walk(t):
        if _is_var(t):
            return
        args = (sorts.get(t[0]) or [[], None])[0]
        for i, a in enumerate(t[1:]):
            if _is_var(a):
                out.setdefault(a, set()).add(args[i] if i < len(args) else None)
            else:
                walk(a)
    for t in terms:
        walk(t)
    for a, b in zip(terms[::2], terms[1::2]):
        for x, y in ((a, b), (b, a)):
            if _is_var(x) and not _is_var(y):
                out.setdefault(x, set()).add((sorts.get(y[0]) or [[], None])[1])
    return out


def _show(t, infix) -> str:
    """The fixed infix form of a JSON term (``(x + y)``, ``S(0)``), from the graph alone."""
    if _is_var(t):
        return t
    if len(t) == 1:
        return str(t[0])
    if len(t) == 3 and t[0] in infix:
        return f"({_show(t[1], infix)} {t[0]} {_show(t[2], infix)})"
    return f"{t[0]}(" + ", ".join(_show(a, infix) for a in t[1:]) + ")"


def _fix(t, names):
    return _subst(t, {v: ["@" + v] for v in names})


def check_graph(data: dict, axioms: dict | None = None) -> CheckReport:
    """Check node-link ``data``. ``axioms``: optional ``{name: (lhs, rhs)}`` to compare with."""
    rep = CheckReport()
    err = rep.errors.append
    try:
        nodes = {n["id"]: n for n in data["nodes"]}
        links = data.get("links", data.get("edges"))
        edges = {(e["source"], e["target"]) for e in links}
        constructors = dict(data.get("graph", {}).get("constructors", {}))
        infix = set(data.get("graph", {}).get("infix", []))
        sorts = data.get("graph", {}).get("sorts")
    except (KeyError, TypeError) as exc:
        err(f"not a proof graph: {exc}")
        return rep
    for u, v in edges:
        if u not in nodes or v not in nodes:
            err(f"edge {u} -> {v} names a missing node")
    # cycles (iterative DFS)
    succ: dict = {}
    for u, v in edges:
        succ.setdefault(u, []).append(v)
    state: dict = {}
    for root in nodes:
        if state.get(root):
            continue
        stack = [(root, iter(succ.get(root, ())))]
        state[root] = 1
        while stack:
            n, it = stack[-1]
            nxt = next(it, None)
            if nxt is None:
                state[n] = 2
                stack.pop()
            elif state.get(nxt) == 1:
                err(f"cycle through {nxt}")
                stack = []
            elif not state.get(nxt):
                state[nxt] = 1
                stack.append((nxt, iter(succ.get(nxt, ()))))
    if rep.errors:
        return rep
    if not constructors:
        err("the graph does not name its constructors")
    for nid, n in nodes.items():
        if n.get("type") == "axiom":
            if not (_well_formed(n.get("lhs")) and _well_formed(n.get("rhs"))):
                err(f"{nid}: malformed axiom")
            elif axioms is not None:
                want = axioms.get(n.get("name"))
                if want is None or [want[0], want[1]] != [n["lhs"], n["rhs"]]:
                    err(f"{nid}: not one of the given axioms")

    def check_chain(cid, lhs, rhs, allowed_hyps):
        c = nodes.get(cid)
        if c is None or c.get("type") != "chain":
            err(f"{cid}: missing chain")
            return
        if c.get("lhs") != lhs or c.get("rhs") != rhs:
            err(f"{cid}: proves {c.get('lhs')} = {c.get('rhs')}, not the goal {lhs} = {rhs}")
            return
        ends = []
        for side, start in (("left", lhs), ("right", rhs)):
            cur = start
            for sid in c.get(side, []):
                s = nodes.get(sid)
                if s is None or s.get("type") != "step":
                    err(f"{cid}: step {sid} is missing")
                    return
                if (sid, cid) not in edges:
                    err(f"{sid}: not linked to its chain {cid}")
                if s.get("before") != cur:
                    err(f"{sid}: starts from {s.get('before')}, not from {cur} "
                        f"(a step is missing or altered)")
                    return
                check_step(sid, s, allowed_hyps)
                cur = s.get("after")
            ends.append(cur)
        if ends[0] != ends[1]:
            err(f"{cid}: the sides end at different terms {ends[0]} and {ends[1]}")

    def check_step(sid, s, allowed_hyps):
        rep.steps += 1
        pid = s.get("rule")
        p = nodes.get(pid)
        if p is None:
            err(f"{sid}: premise {pid} is missing")
            return
        if (pid, sid) not in edges:
            err(f"{sid}: premise {pid} is not linked to the step")
        kind = p.get("type")
        if "premise_lhs" in p or "premise_rhs" in p:
            err(f"{sid}: premise {pid} is an implication, not an equation to rewrite with")
            return
        if kind in ("hypothesis", "assumption", "fact"):
            if pid not in allowed_hyps:
                err(f"{sid}: {kind} {pid} used outside its own case")
                return
        elif kind not in ("axiom", "theorem"):
            err(f"{sid}: premise {pid} is a {kind}, not an axiom, theorem or hypothesis")
            return
        l, r = p.get("lhs"), p.get("rhs")
        if s.get("direction") == "rl":
            l, r = r, l
        elif s.get("direction") != "lr":
            err(f"{sid}: direction must be lr or rl")
            return
        sigma = s.get("substitution") or {}
        for v in _vars(l, _vars(r, [])):
            if v not in sigma:
                err(f"{sid}: the substitution misses variable {v}")
                return
        pos = s.get("position")
        if not isinstance(pos, list):
            err(f"{sid}: bad position")
            return
        before, after = s.get("before"), s.get("after")
        if _at(before, pos) != _subst(l, sigma):
            err(f"{sid}: the instance of {pid} under the substitution is not at {pos}")
            return
        if after != _put(before, pos, _subst(r, sigma)):
            err(f"{sid}: the result is not the rewritten term")

    def check_facts(cid, c, assumption, impl_hyps):
        """Verify the derived facts of an implication's case in order; returns their ids."""
        ok: list = []
        ids = c.get("facts")
        if not isinstance(ids, list) or not ids:
            err(f"{cid}: an implication's case needs its assumption as fact 0")
            return ok
        for j, fid in enumerate(ids):
            f = nodes.get(fid)
            if f is None or (fid, cid) not in edges:
                err(f"{cid}: fact {fid} missing or not linked")
                return ok
            lhs, rhs = f.get("lhs"), f.get("rhs")
            if j == 0:
                if f.get("type") != "assumption" or [lhs, rhs] != list(assumption):
                    err(f"{fid}: not the case's assumption {assumption[0]} = {assumption[1]}")
                    return ok
                ok.append(fid)
                continue
            src = f.get("from")
            if f.get("type") != "fact" or src not in ok or (src, fid) not in edges:
                err(f"{fid}: not derived from an earlier fact of its case")
                return ok
            s = nodes[src]
            rule = f.get("rule")
            if rule == "rewrite":
                for side, cur, end in (("left", s.get("lhs"), lhs), ("right", s.get("rhs"), rhs)):
                    for sid in f.get(side, []):
                        st = nodes.get(sid)
                        if st is None or st.get("type") != "step" or (sid, fid) not in edges:
                            err(f"{fid}: step {sid} missing or not linked")
                            return ok
                        if st.get("before") != cur:
                            err(f"{sid}: starts from {st.get('before')}, not from {cur}")
                            return ok
                        check_step(sid, st, set())
                        cur = st.get("after")
                    if cur != end:
                        err(f"{fid}: rewriting ends at {cur}, not at {end}")
                        return ok
            elif rule == "injectivity":
                con, k = f.get("constructor"), f.get("argument")
                a, b = s.get("lhs"), s.get("rhs")
                n = constructors.get(con)
                if (n is None or not isinstance(k, int) or not 1 <= k <= n or _is_var(a)
                        or _is_var(b) or a[0] != con or b[0] != con or len(a) != n + 1
                        or len(b) != n + 1 or lhs != a[k] or rhs != b[k]):
                    err(f"{fid}: not argument {k} of both sides of {src} under constructor "
                        f"{con}")
                    return ok
            elif rule == "modus_ponens":
                iid = f.get("implication")
                imp = nodes.get(iid)
                if imp is None or (iid, fid) not in edges:
                    err(f"{fid}: implication {iid} missing or not linked")
                    return ok
                if not ((imp.get("type") == "hypothesis" and iid in impl_hyps)
                        or (imp.get("type") == "theorem" and "premise_lhs" in imp)):
                    err(f"{fid}: {iid} is not a proved implication or this case's hypothesis")
                    return ok
                pl, pr = imp.get("premise_lhs"), imp.get("premise_rhs")
                cl, cr = imp.get("lhs"), imp.get("rhs")
                sigma = f.get("substitution") or {}
                if any(v not in sigma for v in _vars(pl, _vars(pr, _vars(cl, _vars(cr, []))))):
                    err(f"{fid}: the substitution does not cover {iid}")
                    return ok
                prem = [_subst(pl, sigma), _subst(pr, sigma)]
                if prem not in ([s.get("lhs"), s.get("rhs")], [s.get("rhs"), s.get("lhs")]):
                    err(f"{fid}: {src} is not the premise of {iid} under the substitution")
                    return ok
                if [lhs, rhs] != [_subst(cl, sigma), _subst(cr, sigma)]:
                    err(f"{fid}: not the conclusion of {iid} under the substitution")
                    return ok
            else:
                err(f"{fid}: unknown rule {rule!r}")
                return ok
            ok.append(fid)
        return ok

    def _check_theorem(tid, t):
        lhs, rhs = t.get("lhs"), t.get("rhs")
        if not (_well_formed(lhs) and _well_formed(rhs)):
            err(f"{tid}: malformed statement")
            return
        implication = "premise_lhs" in t or "premise_rhs" in t
        plhs, prhs = t.get("premise_lhs"), t.get("premise_rhs")
        if implication and not (_well_formed(plhs) and _well_formed(prhs)):
            err(f"{tid}: malformed premise")
            return
        names = _vars(plhs, _vars(prhs, [])) if implication else []
        names = _vars(lhs, _vars(rhs, names))
        pid = t.get("proof")
        p = nodes.get(pid)
        if p is None or (pid, tid) not in edges:
            err(f"{tid}: proof {pid} missing or not linked")
            return
        if p.get("type") == "chain":
            allowed = set()
            if implication:
                allowed = set(check_facts(pid, p, (_fix(plhs, names), _fix(prhs, names)), set()))
            check_chain(pid, _fix(lhs, names), _fix(rhs, names), allowed)
        elif p.get("type") == "induction":
            v = p.get("variable")
            if (p.get("lhs") != lhs or p.get("rhs") != rhs or v not in names
                    or p.get("premise_lhs") != plhs or p.get("premise_rhs") != prhs):
                err(f"{pid}: the induction is not about {tid} or its variable is wrong")
                return
            others = [u for u in names if u != v]
            family, recursive = dict(constructors), {c: range(k) for c, k in
                                                     constructors.items()}
            if sorts:      # several sorts: induction over the constructors of v's sort
                vs = _var_sorts([plhs, prhs, lhs, rhs] if implication else [lhs, rhs], sorts)
                if v not in vs or len(vs[v]) != 1:
                    err(f"{pid}: the sort of {v} is not determined")
                    return
                srt = next(iter(vs[v]))
                family = {c: k for c, k in constructors.items() if sorts.get(c, [0, None])[1]
                          == srt}
                recursive = {c: [j for j, a in enumerate(sorts[c][0]) if a == srt]
                             for c in family}
            cases = {}
            for cid in p.get("cases", []):
                c = nodes.get(cid)
                if c is None or (cid, pid) not in edges:
                    err(f"{pid}: case {cid} missing or not linked")
                    continue
                cases[c.get("constructor")] = (cid, c)
            if set(cases) != set(family):
                err(f"{pid}: cases {sorted(cases)} do not match constructors "
                    f"{sorted(family)}")
                return
            for con, (cid, c) in cases.items():
                k = constructors[con]
                fixed = ["@" + v + ("" if j == 0 else str(j)) for j in range(k)]
                rec = [fixed[j] for j in recursive[con]]
                if list(c.get("fixed", [])) != fixed or any(f[1:] in names and f[1:] != v
                                                            for f in fixed):
                    err(f"{cid}: wrong fixed constants")
                    continue
                base = {u: ["@" + u] for u in others}
                goal = dict(base, **{v: [con] + [[f] for f in fixed]})
                hyp_ids = list(c.get("hypotheses", []))
                if len(hyp_ids) != len(rec):
                    err(f"{cid}: expected {len(rec)} hypotheses")
                    continue
                for f, hid in zip(rec, hyp_ids):
                    h = nodes.get(hid)
                    hs = dict(base, **{v: [f]})
                    if (h is None or h.get("type") != "hypothesis" or h.get("induction") != pid
                            or h.get("lhs") != _subst(lhs, hs)
                            or h.get("rhs") != _subst(rhs, hs)
                            or h.get("premise_lhs") != (_subst(plhs, hs) if implication else None)
                            or h.get("premise_rhs") != (_subst(prhs, hs) if implication
                                                        else None)):
                        err(f"{cid}: hypothesis {hid} is not the induction hypothesis")
                if implication:
                    allowed = set(check_facts(cid, c, (_subst(plhs, goal), _subst(prhs, goal)),
                                              set(hyp_ids)))
                else:
                    allowed = set(hyp_ids)
                check_chain(cid, _subst(lhs, goal), _subst(rhs, goal), allowed)
        else:
            err(f"{tid}: proof {pid} is neither a chain nor an induction")

    for tid, t in nodes.items():
        if t.get("type") != "theorem":
            continue
        rep.theorems += 1
        before = len(rep.errors)
        _check_theorem(tid, t)
        if len(rep.errors) == before:
            eq = f"{_show(t['lhs'], infix)} = {_show(t['rhs'], infix)}"
            if "premise_lhs" in t:
                eq = (f"{_show(t['premise_lhs'], infix)} = {_show(t['premise_rhs'], infix)} "
                      f"-> {eq}")
            rep.verified.append(eq)
    return rep


def check_file(path, axioms: dict | None = None) -> CheckReport:
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, ValueError) as exc:
        rep = CheckReport()
        rep.errors.append(f"cannot read {path}: {exc}")
        return rep
    if isinstance(data, dict) and data.get("format") == "tip-proof":
        return check_tip(data)
    return check_graph(data, axioms)


# ---------------------------------------------------------------- TIP proofs (format tip-proof)
#
# A graph written by ``discover prove FILE.smt2``: the problem's signature, its definitions
# (pattern equations, compared with the source file when it can be read), the lemmas used and
# the goal, each with a proof tree. Terms are JSON lists; a rule variable is a string, a fixed
# (skolem) constant ``["!x"]`` whose sort is given by its context. Rules of the proof trees:
#
# * ``chain``: steps ``[ref, dir, pos, sub, conds]`` from the goal's left side to its right side;
#   ``ref`` is a definition, an earlier lemma, ``hyp:i`` (a hypothesis of the context) or
#   ``ih:i`` (an induction hypothesis); the substitution must give every variable of the rule a
#   term of its sort; ``conds`` proves each hypothesis of a conditional rule (chains).
# * ``rewrite``: chains ``left``/``right`` from the goal's sides; ``then`` proves the ends.
# * ``split``: a term of a datatype sort; one case per constructor, in declaration order, with
#   fresh constants and the hypothesis ``term = K(constants)``.
# * ``induction`` (only at the root of a statement's proof): one case per constructor of the
#   variable's sort, the goal and hypotheses with the variable replaced by ``K(fresh)``, one
#   hypothesis per argument of the same sort: the statement at that argument, generalised over
#   the statement's other variables (they stay rule variables), its hypotheses as conditions
#   (``ih:2k``), and its instance at the case's constants (``ih:2k+1``).
# * ``have`` (a chain proves a new hypothesis), ``inj`` (``K(a..) = K(b..)`` gives ``a_i = b_i``),
#   ``absurd`` (a hypothesis ``K(..) = L(..)`` with distinct constructors closes the case).


class _TipBad(Exception):
    pass


def _tt(t):
    return t if isinstance(t, str) else tuple([t[0]] + [_tt(a) for a in t[1:]])


def check_tip(data: dict) -> CheckReport:
    from .tip import Statement, read_tip_file, show_statement

    rep = CheckReport()
    sig = {f: (tuple(a), r) for f, (a, r) in data.get("signature", {}).get("sig", {}).items()}
    dts = {s: [(k, tuple(a)) for k, a in cs]
           for s, cs in data.get("signature", {}).get("datatypes", {}).items()}
    cons = {k for cs in dts.values() for k, _ in cs}
    nodes = data.get("nodes", [])
    defs = {}
    for n in nodes:
        if n.get("kind") == "definition":
            defs[n["id"]] = (dict(n["vars"]), _tt(n["lhs"]), _tt(n["rhs"]), ())
    src_goal = None
    src = data.get("source")
    if src and Path(src).exists():
        prob = read_tip_file(src)
        want = {name: (dict(vs), l, r, ()) for name, vs, l, r in prob.rules}
        if want != defs:
            bad = [k for k in set(want) | set(defs) if want.get(k) != defs.get(k)]
            rep.errors.append(f"definitions differ from the source {src}: {sorted(bad)[:5]}")
            return rep
        psig = {f: (tuple(a), r) for f, (a, r) in prob.sig.items()}
        if psig != sig or {s: [(k, tuple(a)) for k, a in cs] for s, cs in
                           prob.datatypes.items()} != dts:
            rep.errors.append(f"the signature differs from the source {src}")
            return rep
        src_goal = show_statement(prob.goal)
    else:
        rep.errors.append(f"the source problem {src!r} cannot be read: definitions unchecked")
        return rep

    def sort_of(t, fixed, vsorts):
        if isinstance(t, str):
            if t not in vsorts:
                raise _TipBad(f"variable {t} has no sort here")
            return vsorts[t]
        if t[0].startswith("!"):
            if t[0][1:] not in fixed or len(t) != 1:
                raise _TipBad(f"unknown constant {t[0]}")
            return fixed[t[0][1:]]
        if t[0] not in sig:
            raise _TipBad(f"unknown symbol {t[0]}")
        args, res = sig[t[0]]
        if len(args) != len(t) - 1:
            raise _TipBad(f"{t[0]} takes {len(args)} arguments")
        for a, s in zip(t[1:], args):
            if sort_of(a, fixed, vsorts) != s:
                raise _TipBad(f"argument of {t[0]} is not a {s}")
        return res

    def at(t, pos):
        for i in pos:
            if isinstance(t, str) or not isinstance(i, int) or i < 1 or i >= len(t):
                raise _TipBad(f"position {pos} is not in the term")
            t = t[i]
        return t

    def put(t, pos, new):
        if not pos:
            return new
        i = pos[0]
        return t[:i] + (put(t[i], pos[1:], new),) + t[i + 1:]

    def subst(t, s):
        if isinstance(t, str):
            return s.get(t, t)
        return (t[0],) + tuple(subst(a, s) for a in t[1:])

    def repl(t, m):
        if t in m:
            return m[t]
        if isinstance(t, str):
            return t
        return (t[0],) + tuple(repl(a, m) for a in t[1:])

    lemmas = {}

    def rule(ref, ctx):
        if ref in defs:
            return defs[ref]
        if ref.startswith("lemma:") and ref in lemmas:
            return lemmas[ref]
        if ref.startswith("hyp:"):
            i = int(ref[4:])
            if 0 <= i < len(ctx["hyps"]):
                a, b = ctx["hyps"][i]
                return ({}, a, b, ())
        if ref.startswith("ih:"):
            i = int(ref[3:])
            if 0 <= i < len(ctx["ihs"]):
                return ctx["ihs"][i]
        raise _TipBad(f"rule {ref} is not available here")

    def chain(t, steps, ctx):
        for st in steps:
            ref, d, pos, sub, conds = st
            vs, l, r, hyps = rule(ref, ctx)
            sub = {k: _tt(v) for k, v in sub.items()}
            if set(sub) != set(vs):
                raise _TipBad(f"step by {ref}: substitution binds {sorted(sub)}, the rule has "
                              f"variables {sorted(vs)}")
            for v, val in sub.items():
                if sort_of(val, ctx["fixed"], {}) != vs[v]:
                    raise _TipBad(f"step by {ref}: {v} := a term not of sort {vs[v]}")
            src_, dst = (l, r) if d == "lr" else (r, l) if d == "rl" else (None, None)
            if src_ is None:
                raise _TipBad(f"step by {ref}: direction {d!r}")
            if at(t, tuple(pos)) != subst(src_, sub):
                raise _TipBad(f"step by {ref} at {pos}: the term there is not the rule's side")
            if len(conds) != len(hyps):
                raise _TipBad(f"step by {ref}: {len(hyps)} conditions, {len(conds)} proofs")
            for (a, b), c in zip(hyps, conds):
                a, b = subst(a, sub), subst(b, sub)
                if chain(a, c, ctx) != b:
                    raise _TipBad(f"step by {ref}: a condition's proof does not end at its side")
            t = put(t, tuple(pos), subst(dst, sub))
            rep.steps += 1
        return t

    def fresh(names, ctx):
        if len(set(names)) != len(names) or any(n in ctx["fixed"] for n in names):
            raise _TipBad(f"names {names} are not fresh")

    def check(node, goal, ctx, root=False):
        by = node.get("by")
        if by == "chain":
            if chain(goal[0], node["steps"], ctx) != goal[1]:
                raise _TipBad("a chain does not end at the goal's other side")
        elif by == "rewrite":
            a = chain(goal[0], node["left"], ctx)
            b = chain(goal[1], node["right"], ctx)
            check(node["then"], (a, b), ctx)
        elif by == "have":
            a, b = _tt(node["eq"][0]), _tt(node["eq"][1])
            if sort_of(a, ctx["fixed"], {}) != sort_of(b, ctx["fixed"], {}):
                raise _TipBad("have: sides of different sorts")
            if chain(a, node["steps"], ctx) != b:
                raise _TipBad("have: the chain does not prove the equation")
            check(node["then"], goal, dict(ctx, hyps=ctx["hyps"] + [(a, b)]))
        elif by == "inj":
            a, b = ctx["hyps"][node["hyp"]]
            if isinstance(a, str) or isinstance(b, str) or a[0] != b[0] or a[0] not in cons:
                raise _TipBad("inj: the hypothesis is not K(..) = K(..) for a constructor K")
            check(node["then"], goal, dict(ctx, hyps=ctx["hyps"] + list(zip(a[1:], b[1:]))))
        elif by == "absurd":
            a, b = ctx["hyps"][node["hyp"]]
            if isinstance(a, str) or isinstance(b, str) or a[0] not in cons or \
                    b[0] not in cons or a[0] == b[0]:
                raise _TipBad("absurd: the hypothesis is not K(..) = L(..) for distinct "
                              "constructors")
        elif by in ("split", "induction"):
            if by == "split":
                t = _tt(node["term"])
                srt = sort_of(t, ctx["fixed"], {})
            else:
                if not root:
                    raise _TipBad("induction is only allowed at the root of a statement's proof")
                x = node["var"]
                if x not in ctx["stmt_vars"]:
                    raise _TipBad(f"induction on {x}, not a variable of the statement")
                srt = ctx["stmt_vars"][x]
            if srt not in dts:
                raise _TipBad(f"{by} on a term of sort {srt}, which is not a datatype")
            cases = node["cases"]
            if [c["con"] for c in cases] != [k for k, _ in dts[srt]]:
                raise _TipBad(f"{by}: the cases are not the constructors of {srt}")
            for c, (k, argsorts) in zip(cases, dts[srt]):
                names = list(c["names"])
                if len(names) != len(argsorts):
                    raise _TipBad(f"{by}: case {k} needs {len(argsorts)} names")
                pat = (k,) + tuple(("!" + n,) for n in names)
                if by == "split" and node.get("subst"):
                    # the case t = K(..): t (a ground term) replaced by K(..) in the goal, the
                    # hypotheses and the induction hypotheses (equals for equals under the case
                    # assumption), which is added as the last hypothesis
                    fresh(names, ctx)
                    f2 = dict(ctx["fixed"], **dict(zip(names, argsorts)))
                    m = {t: pat}
                    sub_ctx = dict(ctx, fixed=f2,
                                   hyps=[(repl(a, m), repl(b, m)) for a, b in ctx["hyps"]] +
                                   [(t, pat)],
                                   ihs=[(vs, repl(l, m), repl(r, m),
                                         tuple((repl(a, m), repl(b, m)) for a, b in cs))
                                        for vs, l, r, cs in ctx["ihs"]])
                    check(c["proof"], (repl(goal[0], m), repl(goal[1], m)), sub_ctx)
                elif by == "split":
                    fresh(names, ctx)
                    f2 = dict(ctx["fixed"], **dict(zip(names, argsorts)))
                    sub_ctx = dict(ctx, fixed=f2, hyps=ctx["hyps"] + [(t, pat)])
                    check(c["proof"], goal, sub_ctx)
                else:
                    stv, st = ctx["stmt_vars"], ctx["stmt"]
                    others = {v: s for v, s in stv.items() if v != x}
                    if set(names) & set(others):
                        raise _TipBad(f"induction: names {names} clash with the statement")
                    if len(set(names)) != len(names):
                        raise _TipBad("induction: repeated names")
                    f2 = dict(others, **dict(zip(names, argsorts)))
                    sk = {v: ("!" + v,) for v in others}
                    sk[x] = pat
                    ihs = []
                    for n, s in zip(names, argsorts):
                        if s == srt:
                            # ih:2k generalised over the other variables, ih:2k+1 its
                            # instance at the case's constants
                            m = {x: ("!" + n,)}
                            ihs.append((dict(others), subst(st.concl[0], m), subst(st.concl[1], m),
                                        tuple((subst(a, m), subst(b, m)) for a, b in st.hyps)))
                            m = dict({v: ("!" + v,) for v in others}, **{x: ("!" + n,)})
                            ihs.append(({}, subst(st.concl[0], m), subst(st.concl[1], m),
                                        tuple((subst(a, m), subst(b, m)) for a, b in st.hyps)))
                    hyps = [(subst(a, sk), subst(b, sk)) for a, b in st.hyps]
                    g = (subst(st.concl[0], sk), subst(st.concl[1], sk))
                    check(c["proof"], g, {"fixed": f2, "hyps": hyps, "ihs": ihs,
                                          "stmt_vars": stv, "stmt": st})
        elif by in ("recursion", "simultaneous"):
            if not root:
                raise _TipBad(f"{by} induction is only allowed at the root of a statement's proof")
            vars_ = node["vars"]
            if by == "recursion":
                f = node["fun"]
                if f not in sig:
                    raise _TipBad(f"recursion induction along {f}, not a symbol of the problem")
                rows = [tuple(l[1:]) for _, l, _, _ in defs.values() if l[0] == f]
                if not rows:
                    raise _TipBad(f"recursion induction along {f}, which has no definition")
                psorts = list(sig[f][0])
                if len(vars_) != len(psorts):
                    raise _TipBad(f"recursion induction: {f} takes {len(psorts)} arguments")
            else:
                stv = ctx["stmt_vars"]
                if not vars_ or any(v not in stv for v in vars_):
                    raise _TipBad("simultaneous induction on a name that is not a variable of "
                                  "the statement")
                psorts = [stv[v] for v in vars_]
                if any(s not in dts for s in psorts):
                    raise _TipBad("simultaneous induction on a variable whose sort is not a "
                                  "datatype")
                rows = []
                for combo in itertools.product(*[dts[s] for s in psorts]):
                    k = itertools.count()
                    rows.append(tuple((c,) + tuple(f"p{next(k)}" for _ in a) for c, a in combo))
                if [list(c.get("cons", ())) for c in node["cases"]] != \
                        [[p[0] for p in r] for r in rows]:
                    raise _TipBad("simultaneous induction: the cases are not every combination "
                                  "of constructors in order")
            wf_induction(node, rows, list(vars_), psorts, ctx, by)
        else:
            raise _TipBad(f"unknown proof rule {by!r}")

    def pattern_sorts(p, srt, out):
        """Sorts of the variables of a constructor pattern p of sort srt."""
        if isinstance(p, str):
            if p in out:
                raise _TipBad(f"pattern variable {p} occurs twice (a non-linear pattern)")
            out[p] = srt
            return out
        if srt not in dts or p[0] not in dict(dts[srt]):
            raise _TipBad(f"pattern {p[0]}(..) is not a constructor of {srt}")
        args = dict(dts[srt])[p[0]]
        if len(args) != len(p) - 1:
            raise _TipBad(f"pattern {p[0]} takes {len(args)} arguments")
        for a, s in zip(p[1:], args):
            pattern_sorts(a, s, out)
        return out

    def covers(rows, sorts):
        """Every tuple of values of these sorts matches one of the (linear) pattern rows."""
        if not sorts:
            return bool(rows)
        if all(isinstance(r[0], str) for r in rows):
            return covers([r[1:] for r in rows], sorts[1:])
        if sorts[0] not in dts:
            return False
        for k, args in dts[sorts[0]]:
            sub = []
            for r in rows:
                if isinstance(r[0], str):
                    sub.append(("_",) * len(args) + tuple(r[1:]))
                elif r[0][0] == k:
                    sub.append(tuple(r[0][1:]) + tuple(r[1:]))
            if not covers(sub, list(args) + list(sorts[1:])):
                return False
        return True

    def subterms(t, out):
        out.append(t)
        if not isinstance(t, str):
            for a in t[1:]:
                subterms(a, out)
        return out

    def wf_induction(node, rows, vars_, psorts, ctx, by):
        """Well-founded induction on the tuple of the statement variables vars_ (None: a
        position not inducted on): one case per pattern row (the rows must cover every tuple
        of values), hypotheses at argument tuples that are subterms of the case's patterns,
        at least one a proper subterm, so the sum of the values' sizes decreases."""
        stv, st = ctx["stmt_vars"], ctx["stmt"]
        ind = [(j, v) for j, v in enumerate(vars_) if v is not None]
        if not ind:
            raise _TipBad(f"{by} induction on no variable")
        if len({v for _, v in ind}) != len(ind):
            raise _TipBad(f"{by} induction: a variable at two positions")
        for j, v in ind:
            if v not in stv or stv[v] != psorts[j]:
                raise _TipBad(f"{by} induction: {v} is not a variable of sort {psorts[j]}")
        rrows = [tuple(r[j] for j, _ in ind) for r in rows]
        rsorts = [psorts[j] for j, _ in ind]
        pvs = [pattern_sorts_row(r, rsorts) for r in rrows]
        if not covers(rrows, rsorts):
            raise _TipBad(f"{by} induction: the cases do not cover every value")
        cases = node["cases"]
        if len(cases) != len(rrows):
            raise _TipBad(f"{by} induction: {len(rrows)} cases expected, {len(cases)} given")
        indv = {v for _, v in ind}
        others = {v: s for v, s in stv.items() if v not in indv}
        for c, r, pv in zip(cases, rrows, pvs):
            names = list(c["names"])
            if len(names) != len(pv):
                raise _TipBad(f"{by} induction: a case needs {len(pv)} names")
            if len(set(names)) != len(names) or set(names) & set(others):
                raise _TipBad(f"{by} induction: names {names} are not fresh")
            inst = {p: ("!" + n,) for p, n in zip(pv, names)}
            f2 = dict(others, **{n: pv[p] for p, n in zip(pv, names)})
            pats = [subst(p, inst) for p in r]
            sk = {v: ("!" + v,) for v in others}
            sk.update({v: pats[i] for i, (_, v) in enumerate(ind)})
            ihs = []
            for tup in c["ihs"]:
                tup = [_tt(a) for a in tup]
                if len(tup) != len(ind):
                    raise _TipBad(f"{by} induction: a hypothesis needs {len(ind)} arguments")
                strict = False
                for a, p, s in zip(tup, pats, rsorts):
                    if a not in subterms(p, []) or sort_of(a, f2, {}) != s:
                        raise _TipBad(f"{by} induction: hypothesis argument {a} is not a "
                                      f"subterm of sort {s} of the case's pattern")
                    strict |= a != p
                if not strict:
                    raise _TipBad(f"{by} induction: a hypothesis at arguments that do not "
                                  "decrease")
                m = {v: a for (_, v), a in zip(ind, tup)}
                ihs.append((dict(others), subst(st.concl[0], m), subst(st.concl[1], m),
                            tuple((subst(a, m), subst(b, m)) for a, b in st.hyps)))
                m2 = dict({v: ("!" + v,) for v in others}, **m)
                ihs.append(({}, subst(st.concl[0], m2), subst(st.concl[1], m2),
                            tuple((subst(a, m2), subst(b, m2)) for a, b in st.hyps)))
            hyps = [(subst(a, sk), subst(b, sk)) for a, b in st.hyps]
            g = (subst(st.concl[0], sk), subst(st.concl[1], sk))
            check(c["proof"], g, {"fixed": f2, "hyps": hyps, "ihs": ihs, "stmt_vars": stv,
                                  "stmt": st})

    def pattern_sorts_row(r, sorts):
        out = {}
        for p, s in zip(r, sorts):
            pattern_sorts(_tt(p) if isinstance(p, list) else p, s, out)
        return out

    goal_seen = False
    for n in nodes:
        kind = n.get("kind")
        if kind not in ("lemma", "goal"):
            continue
        try:
            st = Statement.from_json(n["stmt"])
            text = show_statement(st)
            if text != n.get("statement"):
                raise _TipBad("the node's statement text is not its statement")
            if kind == "goal":
                if text != src_goal:
                    raise _TipBad("the goal is not the source problem's goal")
                goal_seen = True
            stv = dict(st.vars)
            if len(stv) != len(st.vars):
                raise _TipBad("repeated variable")
            for s in stv.values():
                if s not in data["signature"]["sorts"]:
                    raise _TipBad(f"unknown sort {s}")
            for a, b in list(st.hyps) + [st.concl]:
                if sort_of(a, {}, stv) != sort_of(b, {}, stv):
                    raise _TipBad("an equation's sides have different sorts")
            sk = {v: ("!" + v,) for v in stv}
            ctx = {"fixed": dict(stv), "hyps": [(subst(a, sk), subst(b, sk)) for a, b in st.hyps],
                   "ihs": [], "stmt_vars": stv, "stmt": st}
            check(n["proof"], (subst(st.concl[0], sk), subst(st.concl[1], sk)), ctx, root=True)
        except (_TipBad, KeyError, TypeError, ValueError, IndexError, RecursionError) as exc:
            kind_ = "" if isinstance(exc, _TipBad) else type(exc).__name__ + ": "
            rep.errors.append(f"{n.get('id')}: {kind_}{exc}")
            break
        if kind == "lemma":
            lemmas[n["id"]] = (stv, st.concl[0], st.concl[1], tuple(st.hyps))
        rep.theorems += 1
        rep.verified.append(text)
    if not goal_seen and not rep.errors:
        rep.errors.append("no goal node with a proof")
    return rep
