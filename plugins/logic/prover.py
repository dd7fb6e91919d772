"""Theory exploration: conjecture equations by probing, prove them by rewriting and induction.

The loop (after the Generative Logic idea of growing a graph of proved facts from axioms):

1. enumerate every term over the signature and the variables x, y, z up to ``max_size``
   symbols; evaluate all of them on random numerals with the numba kernel of :mod:`.probe`;
   terms with the same outputs on every probe fall into one class (functional hash);
2. each term of a class against the smallest term of its class is a conjecture; conjectures are
   normalised (variables renamed by first occurrence, sides ordered), deduplicated and queued,
   smallest first;
3. a conjecture whose two sides rewrite to the same normal form with the axioms and the theorems
   proved so far *follows*; it is kept as a theorem only when it is not an instance of a known
   fact, all proper subterms of both sides are in normal form (so it is new at its root, like
   ``x * S(0) = x`` or ``(x + y) + z = x + (y + z)`` once commutativity and left-commutativity
   are known), no single rewrite at the root of one side turns it into a known fact, and it is
   small (at most ``small`` symbols); otherwise it is dropped. A conjecture
   whose sides rewrite to other terms is replaced by the conjecture between its normal forms. Else the prover tries induction on each variable:
   the base case and the step case (with the induction hypothesis as an extra rule) are closed by
   rewriting. A proved conjecture becomes a rule; failed ones are retried after each new theorem.
4. implications ``s = t -> u = v`` (:func:`implication_conjectures`) are screened on numerals
   and proved by :meth:`Prover.prove_implication`: facts derived from the assumption by
   rewriting, constructor injectivity and modus ponens, directly or by induction.

Rewriting is *ordered*: a rule l = r rewrites an instance l s to r s only when l s > r s in the
lexicographic path ordering (LPO) whose precedence follows the declaration order (constructors
lowest; in Peano 0 < S < + < *), with the fixed constants ``@x`` of a proof below every symbol.
Goals are ground (all variables fixed), where the LPO is total, so commutativity and the other
permutative laws rewrite without looping, and every rewrite decreases the term: rewriting always
terminates.
"""

from __future__ import annotations

import heapq
import time
from dataclasses import dataclass, field

import numpy as np

from discover.errors import DiscoverError

from .probe import (TermInterpreter, check_axioms, check_sorted_axioms, enumerate_sorted,
                    enumerate_terms, eval_sorted, eval_terms, make_interpreter, probe_matrix, sorted_probes,
                    term_keys)
from .syntax import (Theory, normal_equation, rename_canonical, show, size, skolem, subst,
                     variables)

__all__ = ["Prover", "Step", "Chain", "Proof", "Theorem", "explore", "conjectures", "attempt",
           "add_theorem"]


@dataclass
class Step:
    rule: tuple          # ("axiom", name) | ("theorem", index) | ("hypothesis", k)
    direction: str       # "lr": rule lhs -> rhs, "rl": rhs -> lhs
    sigma: dict
    position: tuple
    before: object
    after: object


@dataclass
class Chain:
    """A proof of a ground equation lhs = rhs: both sides rewritten to one normal form."""

    lhs: object
    rhs: object
    left: list
    right: list

    def steps(self) -> int:
        return len(self.left) + len(self.right)


@dataclass
class Case:
    constructor: str
    fixed: tuple               # fixed constants (names) standing for the constructor's arguments
    hypotheses: list           # [(lhs, rhs)] ground induction hypotheses; for an implication
    chain: Chain               # [(lhs, rhs, premise_lhs, premise_rhs)]
    facts: list = field(default_factory=list)    # implication: derived facts (0 = assumption)


@dataclass
class Fact:
    """A ground equation derived inside an implication's case (from its assumption).

    ``rule``: ``assumption`` (the case's instance of the premise), ``rewrite`` (fact ``src``
    with its sides rewritten by ``chain``: ``chain.lhs``/``chain.rhs`` are the sides of ``src``
    and the steps end at this fact's sides), ``injectivity`` (``src`` is C(a..) = C(b..) for a
    constructor C; this fact is argument ``arg`` of both sides), ``modus_ponens`` (premise of the
    implication ``implication`` -- ("hypothesis", k) or ("theorem", i) -- instantiated by
    ``sigma`` is ``src``, possibly with its sides swapped; this fact is its conclusion)."""

    lhs: object
    rhs: object
    rule: str
    src: int | None = None
    chain: Chain | None = None
    arg: int = 0
    implication: tuple | None = None
    sigma: dict = field(default_factory=dict)

    def steps(self) -> int:
        return 1 + (self.chain.steps() if self.chain is not None else 0)


@dataclass
class Proof:
    method: str                # "rewrite" | "induction" | "direct" (implication, no induction)
    chain: Chain | None = None
    variable: str | None = None
    cases: list = field(default_factory=list)
    facts: list = field(default_factory=list)    # "direct": derived facts (0 = assumption)

    def steps(self) -> int:
        if self.method == "rewrite":
            return self.chain.steps()
        if self.method == "direct":
            return self.chain.steps() + sum(f.steps() for f in self.facts)
        return sum(c.chain.steps() + sum(f.steps() for f in c.facts) for c in self.cases)


@dataclass
class Theorem:
    index: int
    lhs: object
    rhs: object
    proof: Proof
    seconds: float
    premise: tuple | None = None

    def statement(self) -> str:
        eq = f"{show(self.lhs)} = {show(self.rhs)}"
        if self.premise is not None:
            return f"{show(self.premise[0])} = {show(self.premise[1])} -> {eq}"
        return eq


def _match(pat, t, s: dict) -> bool:
    if isinstance(pat, str):
        b = s.get(pat)
        if b is None:
            s[pat] = t
            return True
        return b == t
    if isinstance(t, str) or pat[0] != t[0] or len(pat) != len(t):
        return False
    for p, u in zip(pat[1:], t[1:]):
        if not _match(p, u, s):
            return False
    return True


class _Rule:
    __slots__ = ("ref", "lhs", "rhs", "direction", "ordered")

    def __init__(self, ref, lhs, rhs, direction, ordered):
        self.ref, self.lhs, self.rhs, self.direction, self.ordered = (ref, lhs, rhs, direction,
                                                                      ordered)


def _replace(t, pos, new):
    if not pos:
        return new
    i = pos[0]
    return t[:i] + (_replace(t[i], pos[1:], new),) + t[i + 1:]


class Prover:
    def __init__(self, theory: Theory):
        self.theory = theory
        self.sig = theory.signature
        self.rank = {s: i for i, s in enumerate(self.sig.arity)}
        self.rules: dict = {}            # root symbol -> [_Rule]
        self.facts: list = []            # (lhs, rhs, ref) of axioms and theorems, for instances
        self.theorems: list[Theorem] = []
        self.implications: list = []     # (ref, premise_lhs, premise_rhs, lhs, rhs)
        self._lpo_memo: dict = {}
        self._nf_memo: dict = {}
        for ax in theory.axioms:
            if ax.premise is None:
                self.add_rule(("axiom", ax.name), ax.lhs, ax.rhs)

    # -- ordering ----------------------------------------------------------------------
    def _prec(self, f):
        r = self.rank.get(f)
        return (1, r, "") if r is not None else (0, 0, f)

    def lpo(self, s, t) -> bool:
        """s > t in the lexicographic path ordering."""
        if isinstance(t, str):
            return s != t and not isinstance(s, str) and t in variables(s)
        if isinstance(s, str):
            return False
        key = (s, t)
        r = self._lpo_memo.get(key)
        if r is not None:
            return r
        r = self._lpo(s, t)
        self._lpo_memo[key] = r
        return r

    def _lpo(self, s, t) -> bool:
        for a in s[1:]:
            if a == t or self.lpo(a, t):
                return True
        pf, pg = self._prec(s[0]), self._prec(t[0])
        if pf > pg:
            return all(self.lpo(s, b) for b in t[1:])
        if pf == pg and len(s) == len(t):
            for a, b in zip(s[1:], t[1:]):
                if a != b:
                    if not self.lpo(a, b):
                        return False
                    return all(self.lpo(s, c) for c in t[1:])
            return False
        return False

    # -- rules -------------------------------------------------------------------------
    def add_rule(self, ref, lhs, rhs):
        """Add l = r as rule(s): oriented if the LPO orients it, else ordered both ways."""
        self._nf_memo.clear()
        self.facts.append((lhs, rhs, ref))
        if self.lpo(lhs, rhs) and set(variables(rhs)) <= set(variables(lhs)):
            new = [_Rule(ref, lhs, rhs, "lr", False)]
        elif self.lpo(rhs, lhs) and set(variables(lhs)) <= set(variables(rhs)):
            new = [_Rule(ref, rhs, lhs, "rl", False)]
        else:
            new = []
            if not isinstance(lhs, str) and set(variables(rhs)) <= set(variables(lhs)):
                new.append(_Rule(ref, lhs, rhs, "lr", True))
            if not isinstance(rhs, str) and set(variables(lhs)) <= set(variables(rhs)):
                new.append(_Rule(ref, rhs, lhs, "rl", True))
        for r in new:
            self.rules.setdefault(r.lhs[0], []).append(r)
        return new

    # -- rewriting -----------------------------------------------------------------------
    def _root_step(self, t, extra):
        for r in (extra.get(t[0], ()) if extra else ()):
            s: dict = {}
            if _match(r.lhs, t, s):
                u = subst(r.rhs, s)
                if not r.ordered or self.lpo(t, u):
                    return r, s, u
        for r in self.rules.get(t[0], ()):
            s = {}
            if _match(r.lhs, t, s):
                u = subst(r.rhs, s)
                if not r.ordered or self.lpo(t, u):
                    return r, s, u
        return None

    def _norm(self, t, extra, out: list, pos: tuple):
        """Normal form of t (ground or not); appends (relative position, rule, sigma, before,
        after) steps to out."""
        if isinstance(t, str):
            return t
        memo = None if extra else self._nf_memo.get(t)
        if memo is not None:
            nf, steps = memo
            out.extend((pos + p, r, s, b, a) for p, r, s, b, a in steps)
            return nf
        mine: list = []
        cur = t
        while True:
            if len(cur) > 1:
                args = tuple(self._norm(a, extra, mine, (i,)) if not isinstance(a, str) else a
                             for i, a in enumerate(cur[1:], 1))
                cur = (cur[0],) + args
            hit = self._root_step(cur, extra)
            if hit is None:
                break
            r, s, u = hit
            mine.append(((), r, s, cur, u))
            cur = u
        if not extra:
            self._nf_memo[t] = (cur, mine)
        out.extend((pos + p, r, s, b, a) for p, r, s, b, a in mine)
        return cur

    def normalize(self, t, extra=None):
        """(normal form, [Step]) with full terms before/after each step."""
        raw: list = []
        nf = self._norm(t, extra, raw, ())
        steps = []
        full = t
        for p, r, s, b, a in raw:
            after = _replace(full, p, a)
            steps.append(Step(r.ref, r.direction, dict(s), p, full, after))
            full = after
        assert full == nf
        return nf, steps

    def join(self, lhs, rhs, extra=None):
        a, sa = self.normalize(lhs, extra)
        b, sb = self.normalize(rhs, extra)
        if a == b:
            return Chain(lhs, rhs, sa, sb)
        return None

    # -- induction -----------------------------------------------------------------------
    def family(self, v, *terms):
        """(sort, constructors of the sort) of variable ``v`` in ``terms``."""
        if len(self.sig.families) <= 1:
            return 0, self.sig.constructors
        srt = self.sig.sort_of_vars(*terms).get(v, 0)
        return srt, self.sig.families[srt]

    def recursive(self, c, srt):
        """Indices of the arguments of constructor ``c`` of sort ``srt`` (they get hypotheses)."""
        if len(self.sig.families) <= 1:
            return range(self.sig.arity[c])
        return [j for j, a in enumerate(self.sig.sorts[c][0]) if a == srt]

    def prove_induction(self, lhs, rhs):
        vs = variables(lhs, variables(rhs))
        fixed_all = {v: ("@" + v,) for v in vs}
        for v in reversed(vs):
            cases = []
            srt, family = self.family(v, lhs, rhs)
            for c in family:
                k = self.sig.arity[c]
                names = tuple("@" + v + ("" if j == 0 else str(j)) for j in range(k))
                inst = dict(fixed_all)
                inst[v] = (c,) + tuple((n,) for n in names)
                hyps, extra = [], {}
                for n in (names[j] for j in self.recursive(c, srt)):
                    h = dict(fixed_all)
                    h[v] = (n,)
                    hl, hr = subst(lhs, h), subst(rhs, h)
                    hyps.append((hl, hr))
                    ref = ("hypothesis", len(hyps) - 1)
                    if self.lpo(hl, hr):
                        extra.setdefault(hl[0], []).append(_Rule(ref, hl, hr, "lr", False))
                    elif self.lpo(hr, hl):
                        extra.setdefault(hr[0], []).append(_Rule(ref, hr, hl, "rl", False))
                chain = self.join(subst(lhs, inst), subst(rhs, inst), extra)
                if chain is None:
                    break
                cases.append(Case(c, names, hyps, chain))
            else:
                return Proof("induction", variable=v, cases=cases)
        return None

    # -- implications ------------------------------------------------------------------
    def add_implication(self, ref, premise, lhs, rhs):
        """A proved implication is used by modus ponens only (never as a rewrite rule)."""
        self.implications.append((ref, premise[0], premise[1], lhs, rhs))

    def _ground_rule(self, ref, lhs, rhs):
        if self.lpo(lhs, rhs):
            return _Rule(ref, lhs, rhs, "lr", False)
        if self.lpo(rhs, lhs):
            return _Rule(ref, rhs, lhs, "rl", False)
        return None

    def close_case(self, assumption, goal, ihs, rounds: int = 4):
        """Derive ground facts from ``assumption`` until the ground ``goal`` joins.

        Facts come from the assumption by rewriting their sides to normal form, by constructor
        injectivity (C(a..) = C(b..) gives a_k = b_k) and by modus ponens with the implications
        ``ihs`` (induction hypotheses) and the proved implications. The goal is closed by
        rewriting with the rules plus the facts (ground, oriented by the LPO). Returns
        ``(facts, chain)`` or None."""
        facts = [Fact(assumption[0], assumption[1], "assumption")]
        known = {(assumption[0], assumption[1]), (assumption[1], assumption[0])}
        new = [0]
        impls = list(ihs) + self.implications
        cons = self.sig.constructors
        for _ in range(rounds + 1):
            extra: dict = {}
            for i, f in enumerate(facts):
                r = self._ground_rule(("fact", i), f.lhs, f.rhs)
                if r is not None and not isinstance(r.lhs, str):
                    extra.setdefault(r.lhs[0], []).append(r)
            chain = self.join(goal[0], goal[1], extra or None)
            if chain is not None:
                return facts, chain
            if not new:
                return None
            nxt = []
            for i in new:
                f = facts[i]
                derived = []
                a, sa = self.normalize(f.lhs)
                b, sb = self.normalize(f.rhs)
                if (a, b) != (f.lhs, f.rhs):
                    derived.append(Fact(a, b, "rewrite", src=i, chain=Chain(f.lhs, f.rhs, sa, sb)))
                if (not isinstance(f.lhs, str) and not isinstance(f.rhs, str)
                        and f.lhs[0] == f.rhs[0] and f.lhs[0] in cons and len(f.lhs) > 1):
                    for k in range(1, len(f.lhs)):
                        derived.append(Fact(f.lhs[k], f.rhs[k], "injectivity", src=i, arg=k))
                for ref, pl, pr, cl, cr in impls:
                    need = variables(cl, variables(cr))
                    for x, y in ((f.lhs, f.rhs), (f.rhs, f.lhs)):
                        sg: dict = {}
                        if _match(pl, x, sg) and _match(pr, y, sg) and all(v in sg for v in need):
                            derived.append(Fact(subst(cl, sg), subst(cr, sg), "modus_ponens",
                                                src=i, implication=ref, sigma=sg))
                            break
                for d in derived:
                    if d.lhs == d.rhs or (d.lhs, d.rhs) in known:
                        continue
                    known.update({(d.lhs, d.rhs), (d.rhs, d.lhs)})
                    facts.append(d)
                    nxt.append(len(facts) - 1)
            new = nxt
        return None

    def prove_implication(self, premise, lhs, rhs):
        """Prove ``premise -> lhs = rhs``: directly, else by induction on a variable (the
        hypothesis of a case is the implication itself for the constructor's arguments)."""
        pl, pr = premise
        vs = variables(pl, variables(pr, variables(lhs, variables(rhs))))
        fixed_all = {v: ("@" + v,) for v in vs}
        r = self.close_case((subst(pl, fixed_all), subst(pr, fixed_all)),
                            (subst(lhs, fixed_all), subst(rhs, fixed_all)), [])
        if r is not None:
            return Proof("direct", chain=r[1], facts=r[0])
        for v in reversed(vs):
            cases = []
            for c in self.sig.constructors:
                k = self.sig.arity[c]
                names = tuple("@" + v + ("" if j == 0 else str(j)) for j in range(k))
                inst = dict(fixed_all)
                inst[v] = (c,) + tuple((n,) for n in names)
                ihs, hyps = [], []
                for n in names:
                    h = dict(fixed_all)
                    h[v] = (n,)
                    hyp = (subst(lhs, h), subst(rhs, h), subst(pl, h), subst(pr, h))
                    ihs.append((("hypothesis", len(hyps)), hyp[2], hyp[3], hyp[0], hyp[1]))
                    hyps.append(hyp)
                r = self.close_case((subst(pl, inst), subst(pr, inst)),
                                    (subst(lhs, inst), subst(rhs, inst)), ihs)
                if r is None:
                    break
                cases.append(Case(c, names, hyps, r[1], r[0]))
            else:
                return Proof("induction", variable=v, cases=cases)
        return None

    # -- facts -----------------------------------------------------------------------
    def is_instance(self, lhs, rhs) -> bool:
        for fl, fr, _ in self.facts:
            for a, b in ((fl, fr), (fr, fl)):
                s: dict = {}
                if _match(a, lhs, s) and _match(b, rhs, s):
                    return True
        return False

    def one_step_known(self, a, b) -> bool:
        """Does one rewrite at the root of ``a`` give ``b`` or an instance of a known fact?"""
        for r in self.rules.get(a[0], ()) if not isinstance(a, str) else ():
            s: dict = {}
            if _match(r.lhs, a, s):
                u = subst(r.rhs, s)
                if r.ordered and not self.lpo(a, u):
                    continue
                if u == b or self.is_instance(_unfix(u), _unfix(b)):
                    return True
        return False

    def subterms_normal(self, t) -> bool:
        if isinstance(t, str):
            return True
        for a in t[1:]:
            if not isinstance(a, str) and self.normalize(a)[0] != a:
                return False
        return True


def _unfix(t):
    if isinstance(t, str):
        return t
    if len(t) == 1 and t[0].startswith("@"):
        return t[0][1:]
    return (t[0],) + tuple(_unfix(a) for a in t[1:])


def implication_conjectures(theory: Theory, syms, tables, max_side: int = 3, nprobes: int = 160,
                            hi: int = 7, min_support: int = 4):
    """Implications ``s = t -> u = v`` (u, v distinct variables, s and t terms of at most
    ``max_side`` symbols, not both variables) that hold on random numerals: on every probe where
    ``s = t`` holds (and at least ``min_support`` of them), ``u = v`` holds too; both u and v occur
    in the premise; neither side of the premise is a variable. Probes draw from ``0..hi`` (wider
    than the equations' probes: a premise must get a chance to hold with u != v). Returns canonical ``((s, t), (u, v))`` pairs, smallest first."""
    varnames = ["x", "y", "z"]
    terms = enumerate_terms(theory, max_side, tuple(varnames))
    probes = probe_matrix(len(varnames), nprobes, hi=hi, seed=5)
    values = eval_terms(terms, syms, tables, varnames, probes)
    good = ~np.isnan(values).any(axis=1)
    idx = np.flatnonzero(good)
    vals = values[idx]
    eq = vals[:, None, :] == vals[None, :, :]                 # (n, n, p)
    support = eq.sum(axis=2)
    out, seen = [], set()
    for a, b in ((0, 1), (0, 2), (1, 2)):
        concl = probes[:, a] == probes[:, b]
        holds = ~(eq & ~concl[None, None, :]).any(axis=2) & (support >= min_support)
        for i, j in zip(*np.nonzero(np.triu(holds, 1))):
            s, t = terms[idx[i]], terms[idx[j]]
            if isinstance(s, str) or isinstance(t, str):
                continue
            u, v = varnames[a], varnames[b]
            vs = variables(s, variables(t))
            if u not in vs or v not in vs:
                continue
            best = None
            for p1, p2 in ((s, t), (t, s)):
                for c1, c2 in ((u, v), (v, u)):
                    r = rename_canonical((p1, p2, c1, c2))
                    key = tuple(show(x) for x in r)
                    if best is None or key < best[0]:
                        best = (key, r)
            if best[0] not in seen:
                seen.add(best[0])
                r = best[1]
                out.append(((r[0], r[1]), (r[2], r[3])))
    out.sort(key=lambda c: (size(c[0][0]) + size(c[0][1]), tuple(show(x) for x in c[0] + c[1])))
    return out


def conjectures(theory: Theory, *, max_size: int = 7, nprobes: int = 24,
                with_implications: bool = True):
    """The conjecture queue of ``theory``, smallest first: ``(items, stats)``.

    Each item is ``(total size, larger side, key, a, b)``: an equation ``a = b`` (key: the two
    sides shown) or, for an implication, ``a = (s, t)`` the premise and ``b = (u, v)`` the
    conclusion (key ``("->", s, t, u, v)``). Deterministic: the probes are seeded, the items
    sorted. Raises :class:`.probe.InconsistentAxioms` for axioms false on numerals."""
    interp = make_interpreter(theory)
    if isinstance(interp, TermInterpreter):
        if len(theory.signature.families) > 2:
            raise DiscoverError("the explorer handles at most two sorts")
        check_sorted_axioms(theory, interp)
        varsorts = {"x": 0, "y": 0, "z": 0, "xs": 1, "ys": 1, "zs": 1}
        varnames = tuple(varsorts)
        terms = enumerate_sorted(theory, max_size, varsorts)
        probes = sorted_probes(interp, varsorts, nprobes)
        values = eval_sorted(interp, terms, varnames, probes)
        with_implications = False
    else:
        check_axioms(theory, interp)
        syms, tables = interp.tables()
        varnames = ("x", "y", "z")
        terms = enumerate_terms(theory, max_size, varnames)
        probes = probe_matrix(len(varnames), nprobes)
        values = eval_terms(terms, syms, tables, list(varnames), probes)
    keys, ok = term_keys(values)
    classes: dict = {}
    for i in np.flatnonzero(ok):
        classes.setdefault(int(keys[i]), []).append(terms[i])
    seen = set()
    items: list = []
    for members in classes.values():
        members.sort(key=lambda u: (size(u), show(u)))
        rep = members[0]
        for m in members[1:]:
            a, b = normal_equation(m, rep)
            k = (show(a), show(b))
            if k in seen:
                continue
            seen.add(k)
            items.append((size(a) + size(b), max(size(a), size(b)), k, a, b))
    implications = implication_conjectures(theory, syms, tables) if with_implications else []
    for (pl, pr), (cl, cr) in implications:
        k = ("->", show(pl), show(pr), show(cl), show(cr))
        items.append((size(pl) + size(pr) + size(cl) + size(cr), max(size(pl), size(pr)), k,
                      (pl, pr), (cl, cr)))
    items.sort(key=lambda it: it[:3])
    stats = {"implications": len(implications), "terms": len(terms), "classes": len(classes),
             "conjectures": len(items), "probes": int(nprobes)}
    return items, stats


def attempt(prover: Prover, item, *, small: int = 12, induct: bool = True, stats=None):
    """Try one conjecture ``item`` (see :func:`conjectures`) against the prover's facts.

    Returns ``(outcome, value)``: ``("proved", (lhs, rhs, premise, proof))``; ``("dropped",
    None)`` (it follows and is not worth keeping, or an implication whose premise is trivial or
    rewrites to its conclusion); ``("reduced", ((a, b), keep))``: its sides rewrite to the
    smaller conjecture ``a = b`` (``keep``: small enough to retry later as a consequence);
    ``("failed", None)``; ``("open", None)`` when ``induct`` is false and induction would be
    tried next. ``stats`` counts ``attempts`` (induction and implication proofs) and
    ``joinable``."""
    stats = {} if stats is None else stats
    _, _, k, a, b = item
    if k[0] == "->":
        (pl, pr), (cl, cr) = a, b
        fx = {v: ("@" + v,) for v in variables(pl, variables(pr))}
        npl, npr = prover.normalize(subst(pl, fx))[0], prover.normalize(subst(pr, fx))[0]
        gc = (subst(cl, fx), subst(cr, fx))
        if npl == npr or (npl, npr) in (gc, gc[::-1]):
            return "dropped", None   # the premise is trivial, or rewrites to the conclusion
        if not induct:
            return "open", None
        stats["attempts"] = stats.get("attempts", 0) + 1
        proof = prover.prove_implication((pl, pr), cl, cr)
        return ("failed", None) if proof is None else ("proved", (cl, cr, (pl, pr), proof))
    ga, gb = skolem(a), skolem(b)
    na, nb = prover.normalize(ga)[0], prover.normalize(gb)[0]
    if na == nb:
        stats["joinable"] = stats.get("joinable", 0) + 1
        if (size(a) + size(b) > small or prover.is_instance(a, b)
                or not prover.subterms_normal(ga) or not prover.subterms_normal(gb)
                or prover.one_step_known(ga, gb) or prover.one_step_known(gb, ga)):
            return "dropped", None
        return "proved", (a, b, None, Proof("rewrite", chain=prover.join(ga, gb)))
    ua, ub = normal_equation(_unfix(na), _unfix(nb))
    if (show(ua), show(ub)) != k:
        # the conjecture reduces to a smaller one: prove that one instead
        return "reduced", ((ua, ub), size(a) + size(b) <= small)
    if not induct:
        return "open", None
    stats["attempts"] = stats.get("attempts", 0) + 1
    proof = prover.prove_induction(a, b)
    return ("failed", None) if proof is None else ("proved", (a, b, None, proof))


def add_theorem(prover: Prover, lhs, rhs, premise, proof, seconds: float = 0.0) -> Theorem:
    """Append a proved statement to ``prover.theorems`` and make it usable: an equation as a
    rewrite rule, an implication for modus ponens."""
    th = Theorem(len(prover.theorems), lhs, rhs, proof, seconds, premise=premise)
    prover.theorems.append(th)
    if premise is None:
        prover.add_rule(("theorem", th.index), lhs, rhs)
    else:
        prover.add_implication(("theorem", th.index), premise, lhs, rhs)
    return th


def item_size(ab) -> tuple:
    """Queue priority ``(total size, larger side)`` of a conjecture ``(a, b)``."""
    a, b = ab
    return size(a) + size(b), max(size(a), size(b))


def explore(theory: Theory, *, seconds: float = 60.0, max_size: int = 7, nprobes: int = 24,
            stop_when=None, on_theorem=None, start: float | None = None,
            small: int = 12, with_implications: bool = True):
    """Explore ``theory`` one conjecture at a time (the sequential reference loop; the engine
    runs the same steps in rounds, see :mod:`.theorems`); returns ``(prover, stats)``.
    ``stop_when(prover)`` ends early."""
    t0 = time.perf_counter() if start is None else start
    items, cstats = conjectures(theory, max_size=max_size, nprobes=nprobes,
                                with_implications=with_implications)
    queue = list(items)
    heapq.heapify(queue)
    seen = {it[2] for it in items}
    stats = {**cstats, "attempts": 0, "joinable": 0, "failed": 0}
    prover = Prover(theory)
    failed: list = []
    while queue:
        if time.perf_counter() - t0 > seconds:
            stats["timeout"] = True
            break
        item = heapq.heappop(queue)
        outcome, value = attempt(prover, item, small=small, stats=stats)
        if outcome == "failed":
            failed.append(item)
        elif outcome == "reduced":
            (ua, ub), keep = value
            k2 = (show(ua), show(ub))
            if k2 not in seen:
                seen.add(k2)
                heapq.heappush(queue, (*item_size((ua, ub)), k2, ua, ub))
            if keep:
                failed.append(item)   # may become a recorded consequence later
        elif outcome == "proved":
            lhs, rhs, premise, proof = value
            th = add_theorem(prover, lhs, rhs, premise, proof, time.perf_counter() - t0)
            if on_theorem is not None:
                on_theorem(th)
            if stop_when is not None and stop_when(prover):
                break
            if proof.method == "induction" and premise is None:
                for f in failed:
                    heapq.heappush(queue, f)
                failed = []
    stats["failed"] = len(failed)
    stats["theorems"] = len(prover.theorems)
    stats["seconds"] = time.perf_counter() - t0
    return prover, stats
