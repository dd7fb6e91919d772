"""Theorem proving on the engine: kind ``theorem``, adaptive mode ``rounds``.

A run is a sequence of *saturation rounds* over the conjecture queue of an axiom file
(:func:`.prover.conjectures`: equations that hold on random numerals, smallest first, and the
screened implications):

``start``
    probe the axioms (inconsistent axioms stop the run here), build the queue; the state holds
    no theorem yet.
``ask``
    the next ``batch`` conjectures by priority (the rest of the initial queue merged with the
    *pending* ones: conjectures that others reduced to, and failed ones queued again), split into
    ``tasks`` tasks. Each task carries the statements proved so far, so any worker (a forked
    process, a Dask worker) rebuilds the same prover.
``work``
    each conjecture of the task is tried against the facts as of the round start (never against
    another worker's results, so the outcome does not depend on the split): rewriting, then
    induction or, for an implication, derived facts. The persistent functional hash table (stage
    ``proof``) is consulted first: a conjecture proved before, in this theory, by a proof whose
    premises are all among the current facts, is not proved again; one that failed against
    exactly the current facts is not tried again.
``tell``
    merges the results in queue order. A proved conjecture is checked again against the facts
    accepted earlier in the same merge: it may now follow (kept only if small and new at its
    root, with a rewriting proof by those facts), reduce to a smaller conjecture (which is
    queued), or stand with the worker's proof, which cites only facts of earlier rounds. Each
    accepted theorem is appended to the state (statement, sides, proof as JSON citing premises by
    statement) and returned as a hit whose candidate carries its proof graph: the theorem, its
    proof and every premise it cites, down to the axioms. Failed conjectures wait until a round
    proves a new theorem by induction, then join the queue again.

The engine then runs :meth:`TheoremGenerator.verify` on each hit: the independent checker
(:mod:`.checker`, which imports nothing from the prover) re-verifies the proof graph, and only
an accepted theorem is recorded. The run is finished when nothing is left to try since the last
new theorem, after ``rounds`` rounds, or when the proving time recorded in the state (start plus
the rounds' work, summed over tasks) exceeds ``seconds``. Nothing depends on the clock but that
budget: with ``rounds`` and a large ``seconds`` a run is reproducible, and a resumed run ends
with the same theorems as an uninterrupted one.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Mapping

from discover.errors import DiscoverError, SearchFileError
from discover.generator import (REQUIRED, Field, Generator, Hit, Measure, RoundOutcome, Task,
                                Tier, Verdict)

__all__ = ["TheoremGenerator", "TheoremCandidate", "CHECKER", "theory_digest",
           "prover_from_state", "proof_to_json", "proof_from_json"]

CHECKER = "proof checker (plugins/logic/checker.py)"
PROOF_STAGE = "proof"
PROVER_VERSION = "1"        # part of every "proof" hash key: bump when proofs change shape


@dataclass
class TheoremCandidate:
    """A proved statement on its way to the checker and the store.

    ``graph`` is node-link JSON (edges under ``links``) holding the theorem (node ``node``), its
    proof, and every theorem it cites with their proofs, down to the axioms: a graph that
    ``discover check`` verifies on its own."""

    statement: str
    axioms: str                 # the axiom file as the search gives it (corpus name or path)
    theory: str                 # the theory's name (file stem)
    digest: str                 # :func:`theory_digest` of the axioms
    method: str                 # rewrite | induction | direct
    steps: int
    seconds: float
    node: str
    graph: dict = field(default_factory=dict, repr=False)


# -- the theory ------------------------------------------------------------------------------
@lru_cache(maxsize=16)
def _theory(spec: str):
    from . import load_theory

    return load_theory(spec)


def theory_digest(theory) -> str:
    """A short hash of a theory's signature and axioms (not of its file's layout)."""
    sig = theory.signature
    payload = {"arity": list(sig.arity.items()), "constructors": list(sig.constructors),
               "infix": sorted((k, list(v)) for k, v in sig.infix.items()),
               "families": [list(f) for f in sig.families],
               "sorts": sorted((k, [list(a), r]) for k, (a, r) in sig.sorts.items()),
               "axioms": [(a.name, a.statement()) for a in theory.axioms]}
    text = json.dumps(payload, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _facts_digest(names) -> str:
    return hashlib.sha256("\n".join(names).encode()).hexdigest()[:16]


# -- JSON forms of terms, conjectures and proofs -----------------------------------------------
def _tj(t):
    from .syntax import term_to_json

    return term_to_json(t)


def _tf(j):
    from .syntax import term_from_json

    return term_from_json(j)


def item_to_json(item) -> list:
    total, side, k, a, b = item
    if k[0] == "->":
        return [total, side, list(k), [_tj(a[0]), _tj(a[1])], [_tj(b[0]), _tj(b[1])]]
    return [total, side, list(k), _tj(a), _tj(b)]


def item_from_json(j) -> tuple:
    total, side, k, a, b = j
    if k[0] == "->":
        return (total, side, tuple(k), (_tf(a[0]), _tf(a[1])), (_tf(b[0]), _tf(b[1])))
    return (total, side, tuple(k), _tf(a), _tf(b))


def _ref_to_json(ref, names):
    kind, key = ref
    return ["theorem", names[key]] if kind == "theorem" else [kind, key]


def _ref_from_json(j, index):
    kind, key = j
    return ("theorem", index[key]) if kind == "theorem" else (kind, key)


def _chain_to_json(c, names):
    def steps(lst):
        return [{"rule": _ref_to_json(s.rule, names), "dir": s.direction,
                 "sigma": {k: _tj(v) for k, v in sorted(s.sigma.items())},
                 "pos": list(s.position), "before": _tj(s.before), "after": _tj(s.after)}
                for s in lst]
    return {"lhs": _tj(c.lhs), "rhs": _tj(c.rhs), "left": steps(c.left), "right": steps(c.right)}


def _chain_from_json(j, index):
    from .prover import Chain, Step

    def steps(lst):
        return [Step(_ref_from_json(s["rule"], index), s["dir"],
                     {k: _tf(v) for k, v in s["sigma"].items()}, tuple(s["pos"]),
                     _tf(s["before"]), _tf(s["after"])) for s in lst]
    return Chain(_tf(j["lhs"]), _tf(j["rhs"]), steps(j["left"]), steps(j["right"]))


def _facts_to_json(facts, names):
    return [{"lhs": _tj(f.lhs), "rhs": _tj(f.rhs), "rule": f.rule, "src": f.src,
             "chain": None if f.chain is None else _chain_to_json(f.chain, names),
             "arg": f.arg,
             "implication": None if f.implication is None else _ref_to_json(f.implication, names),
             "sigma": {k: _tj(v) for k, v in sorted(f.sigma.items())}} for f in facts]


def _facts_from_json(lst, index):
    from .prover import Fact

    return [Fact(_tf(f["lhs"]), _tf(f["rhs"]), f["rule"], f["src"],
                 None if f["chain"] is None else _chain_from_json(f["chain"], index), f["arg"],
                 None if f["implication"] is None else _ref_from_json(f["implication"], index),
                 {k: _tf(v) for k, v in f["sigma"].items()}) for f in lst]


def proof_to_json(proof, names) -> dict:
    """A :class:`.prover.Proof` as JSON; a theorem it cites is named by its statement
    (``names[i]`` for theorem ``i``), so the proof stays valid in any run holding that
    statement."""
    return {"method": proof.method, "variable": proof.variable,
            "chain": None if proof.chain is None else _chain_to_json(proof.chain, names),
            "facts": _facts_to_json(proof.facts, names),
            "cases": [{"constructor": c.constructor, "fixed": list(c.fixed),
                       "hypotheses": [[_tj(x) for x in h] for h in c.hypotheses],
                       "chain": _chain_to_json(c.chain, names),
                       "facts": _facts_to_json(c.facts, names)} for c in proof.cases]}


def proof_from_json(j, index) -> Any:
    """The inverse of :func:`proof_to_json`; ``index`` maps a statement to its theorem index
    (KeyError for a premise the run does not hold)."""
    from .prover import Case, Proof

    return Proof(j["method"],
                 chain=None if j["chain"] is None else _chain_from_json(j["chain"], index),
                 variable=j["variable"],
                 cases=[Case(c["constructor"], tuple(c["fixed"]),
                             [tuple(_tf(x) for x in h) for h in c["hypotheses"]],
                             _chain_from_json(c["chain"], index),
                             _facts_from_json(c["facts"], index)) for c in j["cases"]],
                 facts=_facts_from_json(j["facts"], index))


def cited(proof_json) -> set:
    """Statements of the theorems a JSON proof cites."""
    out: set = set()

    def walk(x):
        if isinstance(x, dict):
            for k, v in x.items():
                if k in ("rule", "implication") and isinstance(v, list) and len(v) == 2 \
                        and v[0] == "theorem":
                    out.add(v[1])
                else:
                    walk(v)
        elif isinstance(x, list):
            for v in x:
                walk(v)
    walk(proof_json)
    return out


def _statement(lhs, rhs, premise) -> str:
    from .syntax import show

    eq = f"{show(lhs)} = {show(rhs)}"
    return eq if premise is None else f"{show(premise[0])} = {show(premise[1])} -> {eq}"


def _theorem_json(lhs, rhs, premise, proof, names) -> dict:
    return {"statement": _statement(lhs, rhs, premise), "lhs": _tj(lhs), "rhs": _tj(rhs),
            "premise": None if premise is None else [_tj(premise[0]), _tj(premise[1])],
            "method": proof.method, "steps": proof.steps(),
            "proof": proof_to_json(proof, names)}


# -- provers cached per process ------------------------------------------------------------------
def _prover_for(ctx, theory, digest: str, theorems: list, proofs: bool):
    """A prover holding exactly ``theorems`` (state entries, in order) as its facts, cached in
    ``ctx.cache`` and extended in place when the list grows. ``proofs``: rebuild the proofs too
    (the driver builds proof graphs from them; workers need only the rules)."""
    from .prover import Prover, add_theorem

    cache = ctx.cache.setdefault("logic.prover", {})
    pv = cache.get(digest)
    names = [t["statement"] for t in theorems]
    if (pv is None or pv.names != names[:len(pv.names)] or len(pv.names) > len(names)
            or (proofs and not pv.with_proofs)):
        pv = Prover(theory)
        pv.names, pv.with_proofs = [], proofs
        cache.clear()
        cache[digest] = pv
    index = {n: i for i, n in enumerate(pv.names)}
    for t in theorems[len(pv.names):]:
        proof = proof_from_json(t["proof"], index) if pv.with_proofs else None
        premise = None if t["premise"] is None else (_tf(t["premise"][0]), _tf(t["premise"][1]))
        add_theorem(pv, _tf(t["lhs"]), _tf(t["rhs"]), premise, proof, t.get("seconds", 0.0))
        index[t["statement"]] = len(pv.names)
        pv.names.append(t["statement"])
    return pv


def prover_from_state(theory, state: Mapping, keep=None):
    """A prover holding the theorems of a recorded state, proofs included, in order. ``keep``:
    only the statements in it (a theorem citing a premise left out is left out too)."""
    from .prover import Prover, add_theorem

    pv = Prover(theory)
    index: dict = {}
    for t in state.get("theorems", []):
        if keep is not None and t["statement"] not in keep:
            continue
        try:
            proof = proof_from_json(t["proof"], index)
        except KeyError:
            continue
        premise = None if t["premise"] is None else (_tf(t["premise"][0]), _tf(t["premise"][1]))
        add_theorem(pv, _tf(t["lhs"]), _tf(t["rhs"]), premise, proof, t.get("seconds", 0.0))
        index[t["statement"]] = len(index)
    return pv


# -- the generator ---------------------------------------------------------------------------------
class TheoremGenerator(Generator):
    """Theorems derived from an axiom file in saturation rounds; every proof checked before it
    is stored (see the module documentation)."""

    kind = "theorem"
    version = "0.2.0"
    mode = "rounds"
    description = ("theorems derived from an axiom file (rewriting, induction, implications) in "
                   "saturation rounds; each proof graph re-verified by an independent checker")
    fields: dict = {}          # a theorem is verified with its proof graph: discover check
    search_fields = (
        Field("axioms", "str", REQUIRED, "the axiom file: a corpus name (peano, lists) or the "
              "path of an .axioms file"),
        Field("max_size", "int", 7, "largest side of an equation conjecture, in symbols",
              min=3, max=8),
        Field("seconds", "float", 30.0, "proving time budget: start plus the rounds' work "
              "(summed over tasks), as recorded in the state", min=1, max=1e6),
        Field("rounds", "int", None, "stop after this many rounds (reproducible runs)", min=1,
              max=10 ** 6),
        Field("batch", "int", 200, "conjectures tried per round", min=1, max=10 ** 6),
        Field("tasks", "int", 2, "tasks a round's batch is split into, for parallel workers "
              "(the results do not depend on it)", min=1, max=1024),
        Field("nprobes", "int", 24, "numeral assignments each conjecture is probed on", min=8,
              max=256),
        Field("implications", "bool", True, "also conjecture implications s = t -> u = v"),
        Field("small", "int", 12, "largest consequence of known facts (both sides, in symbols) "
              "kept as a theorem", min=2, max=40),
    )
    measures = (
        Measure("steps", "rewrite steps in the proof (all cases)", "steps", "lower"),
        Measure("checked", "the independent proof checker accepted the proof graph"),
        Measure("method", "how it was proved: induction, rewrite, or direct (an implication "
                "without induction)"),
        Measure("seconds", "proving time of the run when the theorem was proved", "s", "lower"),
    )
    candidate_type = TheoremCandidate

    # -- search definition ------------------------------------------------------------------
    def configure(self, section, context):
        params = self.validated(section)
        try:
            theory = _theory(params["axioms"])
        except DiscoverError as exc:
            raise SearchFileError("generator.axioms", str(exc),
                                  "give a corpus name (peano, lists) or the path of an .axioms "
                                  "file") from None
        # an edited axiom file is another search (the digest enters the search hash)
        params["theory"] = theory_digest(theory)
        return params

    def _queue(self, params, ctx):
        """The initial conjecture queue (deterministic; computed once per process)."""
        from .prover import conjectures

        key = ("logic.queue", params["theory"], params["max_size"], params["nprobes"],
               params["implications"])
        got = ctx.cache.get(key)
        if got is None:
            items, stats = conjectures(_theory(params["axioms"]), max_size=params["max_size"],
                                       nprobes=params["nprobes"],
                                       with_implications=params["implications"])
            got = ctx.cache[key] = (items, stats, {it[2] for it in items})
        return got

    # -- rounds -----------------------------------------------------------------------------
    def start(self, params, context):
        t0 = time.perf_counter()
        _, stats, _ = self._queue(params, context)
        return {"theory": params["theory"], "pos": 0, "pending": [], "added": [],
                "failed": [], "theorems": [], "seconds": round(time.perf_counter() - t0, 4),
                "stats": {**stats, "attempts": 0, "joinable": 0, "cached": 0, "failed": 0,
                          "redundant": 0}}

    def _take(self, params, state, ctx):
        """The round's conjectures: the ``batch`` smallest of the rest of the initial queue and
        the pending ones; returns ``(taken, new position, pending left)``."""
        items, _, _ = self._queue(params, ctx)
        pending = [item_from_json(j) for j in state["pending"]]
        i, j, taken = state["pos"], 0, []
        while len(taken) < params["batch"] and (i < len(items) or j < len(pending)):
            if j >= len(pending) or (i < len(items) and items[i][:3] <= pending[j][:3]):
                taken.append(items[i])
                i += 1
            else:
                taken.append(pending[j])
                j += 1
        return taken, i, pending[j:]

    def ask(self, params, state, r, context):
        taken, _, _ = self._take(params, state, context)
        if not taken:
            return []
        rules = [{"statement": t["statement"], "lhs": t["lhs"], "rhs": t["rhs"],
                  "premise": t["premise"]} for t in state["theorems"]]
        facts = _facts_digest(t["statement"] for t in state["theorems"])
        n = min(params["tasks"], len(taken))
        size = math.ceil(len(taken) / n)
        chunks = [taken[k:k + size] for k in range(0, len(taken), size)]
        return [Task(r, i, {"theorems": rules, "facts": facts,
                                "items": [item_to_json(it) for it in chunk]}, size=len(chunk))
                for i, chunk in enumerate(chunks)]

    def work(self, params, task, context):
        from .prover import attempt

        t0 = time.perf_counter()
        theory = _theory(params["axioms"])
        spec = task.spec
        prover = _prover_for(context, theory, params["theory"], spec["theorems"], proofs=False)
        names = [t["statement"] for t in spec["theorems"]]
        known = set(names)
        hashes = context.hashes
        stats: dict = {}
        out = []
        for j in spec["items"]:
            item = item_from_json(j)
            oc, val = attempt(prover, item, small=params["small"], induct=False, stats=stats)
            if oc == "open":
                hkey = f"{PROVER_VERSION}|{params['theory']}|{' = '.join(item[2])}"
                fkey = f"{hkey}|{spec['facts']}"
                seen = hashes.lookup(PROOF_STAGE, [hkey, fkey]) if hashes is not None else {}
                prior = seen.get(hkey)
                if (prior and prior.get("outcome") == "proved"
                        and set(prior.get("cites", ())) <= known):
                    stats["cached"] = stats.get("cached", 0) + 1
                    out.append({"outcome": "proved", "theorem": prior["theorem"], "cached": True})
                    continue
                if fkey in seen:
                    stats["cached"] = stats.get("cached", 0) + 1
                    out.append({"outcome": "failed", "cached": True})
                    continue
                oc, val = attempt(prover, item, small=params["small"], stats=stats)
                if hashes is not None and oc == "proved":
                    th = _theorem_json(*val, names)
                    hashes.add(PROOF_STAGE, hkey, "theorem",
                               {"outcome": "proved", "statement": th["statement"],
                                "cites": sorted(cited(th["proof"])), "theorem": th})
                elif hashes is not None and oc == "failed":
                    hashes.add(PROOF_STAGE, fkey, "theorem",
                               {"outcome": "failed", "rules": len(names),
                                "facts": spec["facts"]})
            if oc == "proved":
                out.append({"outcome": "proved", "theorem": _theorem_json(*val, names)})
            elif oc == "reduced":
                (ua, ub), keep = val
                out.append({"outcome": "reduced", "to": [_tj(ua), _tj(ub)], "keep": keep})
            else:
                out.append({"outcome": oc})
        return {"results": out, "seconds": time.perf_counter() - t0, "stats": stats}

    def tell(self, params, state, r, results, context):
        from .graph import build_graph
        from .prover import add_theorem, attempt, item_size
        from .syntax import show

        t0 = time.perf_counter()
        theory = _theory(params["axioms"])
        _, _, base_keys = self._queue(params, context)
        taken, pos, pending = self._take(params, state, context)
        flat = [r for res in results for r in res["results"]]
        if len(flat) != len(taken):
            raise DiscoverError(f"round {r}: {len(flat)} results for {len(taken)} "
                                f"conjectures (the state and the tasks disagree)")
        work_seconds = sum(float(res.get("seconds", 0.0)) for res in results)
        elapsed = state["seconds"] + work_seconds
        prover = _prover_for(context, theory, params["theory"], state["theorems"], proofs=True)
        start_count = len(prover.theorems)
        theorems = list(state["theorems"])
        failed = list(state["failed"])
        added = list(state["added"])
        seen = set(base_keys) | {tuple(k) for k in added}
        stats = dict(state["stats"])
        for res in results:
            for k, v in res.get("stats", {}).items():
                stats[k] = stats.get(k, 0) + v
        new: list = []
        inductive = False

        def reduce(item, to, keep):
            ua, ub = _tf(to[0]), _tf(to[1])
            k2 = (show(ua), show(ub))
            if k2 not in seen:
                seen.add(k2)
                added.append(list(k2))
                pending.append((*item_size((ua, ub)), k2, ua, ub))
            if keep:
                failed.append([item_to_json(item), len(prover.theorems)])

        for item, res in zip(taken, flat):
            oc = res["outcome"]
            if oc == "proved":
                th = res["theorem"]
                index = {n: i for i, n in enumerate(prover.names)}
                proof = None
                if new:     # facts accepted earlier in this merge may settle it otherwise
                    oc2, val = attempt(prover, item, small=params["small"], induct=False)
                    if oc2 == "dropped":
                        stats["redundant"] += 1
                        continue
                    if oc2 == "reduced":
                        (ua, ub), keep = val
                        reduce(item, [_tj(ua), _tj(ub)], keep)
                        continue
                    if oc2 == "proved":          # a rewriting proof by those facts
                        th = _theorem_json(*val, prover.names)
                        proof = val[3]
                if th["statement"] in index:
                    continue
                if proof is None:
                    proof = proof_from_json(th["proof"], index)
                premise = (None if th["premise"] is None
                           else (_tf(th["premise"][0]), _tf(th["premise"][1])))
                add_theorem(prover, _tf(th["lhs"]), _tf(th["rhs"]), premise, proof,
                            round(elapsed, 4))
                prover.names.append(th["statement"])
                entry = {k: th[k] for k in ("statement", "lhs", "rhs", "premise", "method",
                                            "steps", "proof")}
                entry.update(seconds=round(elapsed, 4), round=r)
                theorems.append(entry)
                new.append(len(prover.theorems) - 1)
                inductive |= th["method"] == "induction" and premise is None
            elif oc == "failed":
                failed.append([item_to_json(item), start_count])
            elif oc == "reduced":
                reduce(item, res["to"], res["keep"])
        if inductive:     # new lemmas: the failed conjectures get another chance
            pending += [item_from_json(f[0]) for f in failed]
            failed = []
        pending.sort(key=lambda it: it[:3])
        stats["failed"] = len(failed)
        stats["theorems"] = len(theorems)
        hits = []
        if new:
            hits = self._hits(params, theory, prover, new, build_graph)
        spent = state["seconds"] + work_seconds + (time.perf_counter() - t0)
        items, _, _ = self._queue(params, context)
        exhausted = pos >= len(items) and not pending
        finished = (exhausted or spent >= params["seconds"]
                    or (params.get("rounds") is not None and r + 1 >= params["rounds"]))
        new_state = {"theory": params["theory"], "pos": pos,
                     "pending": [item_to_json(it) for it in pending], "added": added,
                     "failed": failed, "theorems": theorems, "seconds": round(spent, 4),
                     "stats": stats}
        if finished:
            new_state["stopped"] = ("exhausted" if exhausted else "seconds"
                                    if spent >= params["seconds"] else "rounds")
        return RoundOutcome(state=new_state, hits=hits, finished=finished,
                            stats={"conjectures": len(taken), "theorems": len(new),
                                   "failed": sum(r["outcome"] == "failed" for r in flat),
                                   "cached": sum(bool(r.get("cached")) for r in flat)})

    def _hits(self, params, theory, prover, new, build_graph):
        import networkx as nx

        graph = build_graph(theory, prover, name=theory.name)
        digest = params["theory"]
        hits = []
        for i in new:
            th = prover.theorems[i]
            node = f"theorem:{i}"
            sub = graph.subgraph(nx.ancestors(graph, node) | {node}).copy()
            sub.graph.update(graph.graph)
            data = nx.node_link_data(sub, edges="links")
            cand = TheoremCandidate(statement=th.statement(), axioms=params["axioms"],
                                    theory=theory.name, digest=digest, method=th.proof.method,
                                    steps=th.proof.steps(), seconds=th.seconds, node=node,
                                    graph=data)
            tier = Tier(name="prover", precision_digits=0, depth=th.proof.steps(),
                        value=cand.statement, detail={"method": cand.method,
                                                      "steps": cand.steps,
                                                      "nodes": sub.number_of_nodes()})
            hits.append(Hit(candidate=cand, tiers=[tier]))
        return hits

    # -- tier 3: the independent checker -----------------------------------------------------
    def verify(self, candidate, claimed, digits) -> Verdict:
        from .checker import check_graph

        t0 = time.perf_counter()
        errors: list = []
        try:
            theory = _theory(candidate.axioms)
        except DiscoverError as exc:
            theory = None
            errors.append(f"cannot read the axioms: {exc}")
        axioms = None
        if theory is not None:
            if theory_digest(theory) != candidate.digest:
                errors.append(f"the axiom file {candidate.axioms} changed since the proof")
            axioms = {a.name: (_tj(a.lhs), _tj(a.rhs)) for a in theory.axioms
                      if a.premise is None}
        rep = check_graph(candidate.graph, axioms)
        errors += rep.errors
        if not rep.ok and not rep.errors:
            errors.append("no theorem in the proof graph")
        node = next((n for n in candidate.graph.get("nodes", ())
                     if n.get("id") == candidate.node), None)
        if node is None or node.get("type") != "theorem":
            errors.append(f"the graph has no theorem node {candidate.node}")
        else:
            try:
                prem = ((_tf(node["premise_lhs"]), _tf(node["premise_rhs"]))
                        if "premise_lhs" in node else None)
                stated = _statement(_tf(node["lhs"]), _tf(node["rhs"]), prem)
            except (KeyError, TypeError, IndexError):
                stated = None
            if stated != candidate.statement:
                errors.append(f"{candidate.node} proves {stated}, not {candidate.statement}")
        ok = not errors
        return Verdict(equal=ok, digits=0.0, required=0, method=CHECKER,
                       seconds=time.perf_counter() - t0, value=candidate.statement,
                       reason="; ".join(errors[:5]),
                       measures={"steps": candidate.steps, "checked": ok,
                                 "method": candidate.method,
                                 "seconds": round(float(candidate.seconds), 4)})

    # -- description ------------------------------------------------------------------------
    def key(self, candidate) -> str:
        return f"theorem:{candidate.theory}@{candidate.digest[:8]}:{candidate.statement}"

    def to_json(self, candidate) -> dict:
        return {"statement": candidate.statement, "axioms": candidate.theory,
                "proof_method": candidate.method}

    def describe(self, candidate) -> dict:
        s = candidate.statement
        return {"text": s, "latex": s.replace("*", r"\cdot ").replace("->", r"\Rightarrow")}

    def provenance(self, candidate, graph) -> None:
        """The theorem's proof graph (its proof, the premises it cites and theirs, down to the
        axioms) joins the provenance graph; the theorem node points to the discovery. The
        graph keeps the signature, so an exported provenance graph passes ``discover check``."""
        data = candidate.graph
        for n in data.get("nodes", ()):
            attrs = {k: v for k, v in n.items() if k != "id"}
            graph.add_node(n["id"], **attrs)
        for e in data.get("links", ()):
            graph.add_edge(e["source"], e["target"],
                           **{k: v for k, v in e.items() if k not in ("source", "target")})
        graph.add_edge(candidate.node, "discovery", relation="proves")
        for k in ("constructors", "infix", "sorts"):
            if k in data.get("graph", {}):
                graph.graph[k] = data["graph"][k]
        graph.graph["proof_of"] = candidate.node
