"""Proof graphs: every derived fact as a node of a networkx DiGraph, and its exports.

Node types (attribute ``type``):

``axiom``
    ``name``, ``statement``, ``lhs``, ``rhs`` (terms as nested JSON lists: a variable is a string,
    ``["S", "x"]`` is S(x), ``["0"]`` is 0, ``["@x"]`` is the fixed constant of a proof).
``theorem``
    ``statement``, ``lhs``, ``rhs``, ``method`` (``rewrite``, ``induction``, or ``direct`` for an
    implication proved without induction), ``proof`` (the id
    of its proof node), ``seconds``, ``steps``.
``chain``
    a proof of the ground equation ``lhs = rhs``: ``left`` and ``right`` list the step ids that
    rewrite each side to one common term. An induction case is a chain with ``constructor``,
    ``fixed`` and ``hypotheses``.
``induction``
    ``variable``, ``lhs``, ``rhs``, ``cases`` (chain ids, one per constructor).
``hypothesis``
    an induction hypothesis ``lhs = rhs`` (ground), usable only in its own case; for an
    implication it has ``premise_lhs``/``premise_rhs`` too and is used by modus ponens only.
``assumption`` / ``fact``
    implications (theorems with ``premise_lhs``/``premise_rhs``; method ``direct`` or
    ``induction``): a case chain lists in ``facts`` the ground equations it may rewrite with.
    Fact 0 is the ``assumption`` (the case's instance of the premise); each later ``fact`` has
    ``rule`` and ``from`` (an earlier fact): ``rewrite`` (``left``/``right`` steps rewrite the
    sides of ``from`` to its sides), ``injectivity`` (``from`` is C(a..) = C(b..) for a
    constructor C; the fact is argument ``argument`` of both sides) or ``modus_ponens``
    (``implication``, a theorem or hypothesis with a premise, whose premise under
    ``substitution`` is ``from``, sides in either order; the fact is its conclusion).
``step``
    one rewrite: ``rule`` (premise node id), ``direction`` (``lr`` uses the premise left to right,
    ``rl`` right to left), ``substitution`` (variable -> term), ``position`` (argument indices
    from the root, 1-based), ``before`` and ``after`` (whole terms).

Edges point from a premise to what it proves: premise -> step (``premise``), step -> chain
(``step``), chain -> induction (``case``), chain/induction -> theorem (``proof``), hypothesis ->
step (``premise``). A theorem used by a later proof therefore has an edge to each step using it.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

import networkx as nx

from discover.provenance import export_graphml, export_json

from .syntax import show, term_to_json

__all__ = ["build_graph", "write_html", "write_all"]


def _ref(rule, thm_id, case_id=None):
    kind, key = rule
    if kind == "axiom":
        return f"axiom:{key}"
    if kind == "theorem":
        return f"theorem:{key}"
    if kind == "fact":
        return f"{case_id}/fact:{key}"
    return f"{case_id}/hyp:{key}"


def _steps(g, owner, chain, thm_id, case_id=None):
    """Step nodes of both sides of ``chain``, linked to ``owner``; sets owner's left/right."""
    for side, steps in (("left", chain.left), ("right", chain.right)):
        ids = []
        for j, st in enumerate(steps):
            sid = f"{owner}/{side[0].upper()}{j}"
            prem = _ref(st.rule, thm_id, case_id)
            g.add_node(sid, type="step", rule=prem, direction=st.direction,
                       substitution={k: term_to_json(v) for k, v in sorted(st.sigma.items())},
                       position=list(st.position), before=term_to_json(st.before),
                       after=term_to_json(st.after),
                       statement=f"{show(st.before)} = {show(st.after)}")
            g.add_edge(prem, sid, relation="premise")
            g.add_edge(sid, owner, relation="step")
            ids.append(sid)
        g.nodes[owner][side] = ids


def _facts(g, cid, facts, thm_id):
    """Fact nodes of an implication's case ``cid`` (fact 0 is its assumption)."""
    ids = []
    for i, f in enumerate(facts):
        fid = f"{cid}/fact:{i}"
        attrs = dict(lhs=term_to_json(f.lhs), rhs=term_to_json(f.rhs), rule=f.rule,
                     statement=f"{show(f.lhs)} = {show(f.rhs)}")
        if f.rule == "assumption":
            g.add_node(fid, type="assumption", **attrs)
        else:
            src = f"{cid}/fact:{f.src}"
            g.add_node(fid, type="fact", **{"from": src}, **attrs)
            g.add_edge(src, fid, relation="premise")
            if f.rule == "rewrite":
                _steps(g, fid, f.chain, thm_id, cid)
            elif f.rule == "injectivity":
                g.nodes[fid].update(constructor=g.nodes[src]["lhs"][0], argument=f.arg)
            else:
                imp = _ref(f.implication, thm_id, cid)
                g.nodes[fid].update(implication=imp, substitution={
                    k: term_to_json(v) for k, v in sorted(f.sigma.items())})
                g.add_edge(imp, fid, relation="premise")
        g.add_edge(fid, cid, relation="fact")
        ids.append(fid)
    return ids


def _chain(g, cid, chain, thm_id, case_id=None, facts=None, **extra):
    g.add_node(cid, type="chain", lhs=term_to_json(chain.lhs), rhs=term_to_json(chain.rhs),
               statement=f"{show(chain.lhs)} = {show(chain.rhs)}", left=[], right=[], **extra)
    if facts:
        g.nodes[cid]["facts"] = _facts(g, cid, facts, thm_id)
    _steps(g, cid, chain, thm_id, case_id)


def build_graph(theory, prover, *, name: str = "") -> nx.DiGraph:
    g = nx.DiGraph()
    sig = theory.signature
    g.graph.update(kind="proof", name=name or theory.name,
                   constructors={c: sig.arity[c] for c in sig.constructors},
                   infix=sorted(sig.infix))
    if len(sig.families) > 1:
        g.graph["sorts"] = {f: [list(a), r] for f, (a, r) in sig.sorts.items()}
    for ax in theory.axioms:
        if ax.premise is not None:
            continue
        g.add_node(f"axiom:{ax.name}", type="axiom", name=ax.name, statement=ax.statement(),
                   lhs=term_to_json(ax.lhs), rhs=term_to_json(ax.rhs))
    for th in prover.theorems:
        tid = f"theorem:{th.index}"
        g.add_node(tid, type="theorem", statement=th.statement(), lhs=term_to_json(th.lhs),
                   rhs=term_to_json(th.rhs), method=th.proof.method,
                   seconds=round(th.seconds, 4), steps=th.proof.steps())
        if th.premise is not None:
            g.nodes[tid].update(premise_lhs=term_to_json(th.premise[0]),
                                premise_rhs=term_to_json(th.premise[1]))
        if th.proof.method in ("rewrite", "direct"):
            cid = f"{tid}/chain"
            _chain(g, cid, th.proof.chain, tid, cid, facts=th.proof.facts)
            g.add_edge(cid, tid, relation="proof")
            g.nodes[tid]["proof"] = cid
        else:
            iid = f"{tid}/induction"
            g.add_node(iid, type="induction", variable=th.proof.variable,
                       lhs=term_to_json(th.lhs), rhs=term_to_json(th.rhs), cases=[],
                       statement=th.statement())
            if th.premise is not None:
                g.nodes[iid].update(premise_lhs=term_to_json(th.premise[0]),
                                    premise_rhs=term_to_json(th.premise[1]))
            for case in th.proof.cases:
                cid = f"{tid}/case:{case.constructor}"
                hyps = []
                for k, h in enumerate(case.hypotheses):
                    hl, hr = h[0], h[1]
                    hid = f"{cid}/hyp:{k}"
                    st = f"{show(hl)} = {show(hr)}"
                    g.add_node(hid, type="hypothesis", lhs=term_to_json(hl),
                               rhs=term_to_json(hr), statement=st, induction=iid)
                    if len(h) == 4:      # the hypothesis of an implication is an implication
                        g.nodes[hid].update(premise_lhs=term_to_json(h[2]),
                                            premise_rhs=term_to_json(h[3]),
                                            statement=f"{show(h[2])} = {show(h[3])} -> {st}")
                    hyps.append(hid)
                _chain(g, cid, case.chain, tid, cid, facts=case.facts,
                       constructor=case.constructor, fixed=list(case.fixed), hypotheses=hyps)
                g.add_edge(cid, iid, relation="case")
                g.nodes[iid]["cases"].append(cid)
            g.add_edge(iid, tid, relation="proof")
            g.nodes[tid]["proof"] = iid
    return g


_CSS = """body{font-family:sans-serif;max-width:70em;margin:auto}
section{border-top:1px solid #ccc;padding:.3em 0}code{background:#f4f4f4}
.kind{color:#666;font-size:90%}:target{background:#ffd}"""


def write_html(graph: nx.DiGraph, path) -> None:
    """A self-contained page: one section per node; premises and users are links."""
    e = html.escape
    parts = ["<!DOCTYPE html>\n<html><head><meta charset='utf-8'>",
             f"<title>{e(str(graph.graph.get('name', 'proofs')))}</title>",
             f"<style>{_CSS}</style></head><body>",
             f"<h1>Proof graph {e(str(graph.graph.get('name', '')))}</h1>",
             "<h2>Theorems</h2><ol>"]
    for n, d in graph.nodes(data=True):
        if d.get("type") == "theorem":
            parts.append(f"<li><a href='#{e(n, quote=True)}'><code>{e(str(d['statement']))}"
                         f"</code></a> <span class='kind'>({e(str(d.get('method')))}, "
                         f"{e(str(d.get('seconds')))} s)</span></li>")
    parts.append("</ol><h2>All nodes</h2>")
    for n, d in graph.nodes(data=True):
        parts.append(f"<section id='{e(n, quote=True)}'><b>{e(str(n))}</b> "
                     f"<span class='kind'>{e(str(d.get('type')))}</span><br>"
                     f"<code>{e(str(d.get('statement', '')))}</code>")
        if d.get("type") == "step":
            sub = ", ".join(f"{e(k)} := {e(json.dumps(v))}"
                            for k, v in (d.get("substitution") or {}).items())
            parts.append(f"<br>by <a href='#{e(str(d['rule']), quote=True)}'>"
                         f"{e(str(d['rule']))}</a> ({e(str(d.get('direction')))}) at "
                         f"{e(str(d.get('position')))} with {{{sub}}}")
        if d.get("type") == "induction":
            parts.append(f"<br>induction on <code>{e(str(d.get('variable')))}</code>")
        preds = [p for p in graph.predecessors(n)]
        succs = [s for s in graph.successors(n)]
        if preds:
            parts.append("<br>from: " + ", ".join(
                f"<a href='#{e(p, quote=True)}'>{e(str(p))}</a>" for p in preds))
        if succs:
            parts.append("<br>used by: " + ", ".join(
                f"<a href='#{e(s, quote=True)}'>{e(str(s))}</a>" for s in succs))
        parts.append("</section>")
    parts.append("</body></html>\n")
    Path(path).write_text("\n".join(parts), encoding="utf-8")


def write_all(graph: nx.DiGraph, out_dir, stem: str) -> dict:
    """Write ``stem.json`` (node-link), ``stem.graphml`` and ``stem.html`` into ``out_dir``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"json": out / f"{stem}.json", "graphml": out / f"{stem}.graphml",
             "html": out / f"{stem}.html"}
    export_json(graph, paths["json"])
    export_graphml(graph, paths["graphml"])
    write_html(graph, paths["html"])
    return {k: str(v) for k, v in paths.items()}
