"""Proof graphs: every derived fact as a node of a networkx DiGraph, and its exports.

Node types (attribute ``type``):

``axiom``
    ``name``, ``statement``, ``lhs``, ``rhs`` (terms as nested JSON lists: a variable is a string,
    ``["S", "x"]`` is S(x), ``["0"]`` is 0, ``["@x"]`` is the fixed constant of a proof).
``theorem``
    ``statement``, ``lhs``, ``rhs``, ``method`` (``rewrite`` or ``induction``), ``proof`` (the id
    of its proof node), ``seconds``, ``steps``.
``chain``
    a proof of the ground equation ``lhs = rhs``: ``left`` and ``right`` list the step ids that
    rewrite each side to one common term. An induction case is a chain with ``constructor``,
    ``fixed`` and ``hypotheses``.
``induction``
    ``variable``, ``lhs``, ``rhs``, ``cases`` (chain ids, one per constructor).
``hypothesis``
    an induction hypothesis ``lhs = rhs`` (ground), usable only in its own case.
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
    return f"{case_id}/hyp:{key}"


def _chain(g, cid, chain, thm_id, case_id=None, **extra):
    g.add_node(cid, type="chain", lhs=term_to_json(chain.lhs), rhs=term_to_json(chain.rhs),
               statement=f"{show(chain.lhs)} = {show(chain.rhs)}", left=[], right=[], **extra)
    for side, steps in (("left", chain.left), ("right", chain.right)):
        ids = []
        for j, st in enumerate(steps):
            sid = f"{cid}/{side[0].upper()}{j}"
            prem = _ref(st.rule, thm_id, case_id)
            g.add_node(sid, type="step", rule=prem, direction=st.direction,
                       substitution={k: term_to_json(v) for k, v in sorted(st.sigma.items())},
                       position=list(st.position), before=term_to_json(st.before),
                       after=term_to_json(st.after),
                       statement=f"{show(st.before)} = {show(st.after)}")
            g.add_edge(prem, sid, relation="premise")
            g.add_edge(sid, cid, relation="step")
            ids.append(sid)
        g.nodes[cid][side] = ids


def build_graph(theory, prover, *, name: str = "") -> nx.DiGraph:
    g = nx.DiGraph()
    sig = theory.signature
    g.graph.update(kind="proof", name=name or theory.name,
                   constructors={c: sig.arity[c] for c in sig.constructors},
                   infix=sorted(sig.infix))
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
        if th.proof.method == "rewrite":
            cid = f"{tid}/chain"
            _chain(g, cid, th.proof.chain, tid)
            g.add_edge(cid, tid, relation="proof")
            g.nodes[tid]["proof"] = cid
        else:
            iid = f"{tid}/induction"
            g.add_node(iid, type="induction", variable=th.proof.variable,
                       lhs=term_to_json(th.lhs), rhs=term_to_json(th.rhs), cases=[],
                       statement=th.statement())
            for case in th.proof.cases:
                cid = f"{tid}/case:{case.constructor}"
                hyps = []
                for k, (hl, hr) in enumerate(case.hypotheses):
                    hid = f"{cid}/hyp:{k}"
                    g.add_node(hid, type="hypothesis", lhs=term_to_json(hl),
                               rhs=term_to_json(hr), statement=f"{show(hl)} = {show(hr)}",
                               induction=iid)
                    hyps.append(hid)
                _chain(g, cid, case.chain, tid, cid, constructor=case.constructor,
                       fixed=list(case.fixed), hypotheses=hyps)
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
