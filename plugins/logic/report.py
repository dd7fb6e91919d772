"""The theorems' section of ``discover report`` (hook ``discover_report_section``).

A list of the stored theorems, each linked to its proof embedded further down the same page
(anchors, so the report stays one self-contained file): the nodes of the discovery's provenance
graph (axioms, hypotheses, rewrite steps, chains, inductions, theorems it uses) in an order where
every premise comes before its use, each linked to its premises. Every string is escaped.
"""

from __future__ import annotations

import html
import json

import networkx as nx

__all__ = ["report_section", "proof_html"]

_PROOF_TYPES = ("axiom", "theorem", "chain", "induction", "step", "hypothesis", "assumption",
                "fact")


def _order(graph: nx.DiGraph) -> list:
    if nx.is_directed_acyclic_graph(graph):
        return list(nx.lexicographical_topological_sort(graph, key=str))
    return sorted(graph, key=str)


def proof_html(graph: nx.DiGraph, prefix: str) -> str:
    """The nodes of a proof graph as HTML; node ``n`` gets the anchor ``prefix-<index>`` (ids
    stay unique when several proofs share a page)."""
    e = html.escape
    order = _order(graph)
    ids = {n: f"{prefix}-{i}" for i, n in enumerate(order)}

    def link(n) -> str:
        if n in ids:
            return f"<a href='#{ids[n]}'>{e(str(n))}</a>"
        return e(str(n))

    parts = ["<ol class='proof'>"]
    for n in order:
        d = graph.nodes[n]
        kind = str(d.get("type", ""))
        parts.append(f"<li id='{ids[n]}'><b>{e(str(n))}</b> <i>{e(kind)}</i>")
        if d.get("statement") is not None:
            parts.append(f" <code>{e(str(d['statement']))}</code>")
        if kind == "step":
            sub = ", ".join(f"{k} := {json.dumps(v)}"
                            for k, v in (d.get("substitution") or {}).items())
            parts.append(f"<br>by {link(d.get('rule'))} ({e(str(d.get('direction')))}) at "
                         f"{e(str(d.get('position')))} with {{{e(sub)}}}")
        elif kind == "induction":
            parts.append(f"<br>induction on <code>{e(str(d.get('variable')))}</code>")
        elif kind == "theorem" and d.get("method"):
            parts.append(f" ({e(str(d.get('method')))}, {e(str(d.get('steps', '?')))} steps)")
        elif kind not in _PROOF_TYPES:
            attrs = {k: v for k, v in d.items() if k != "type"}
            text = json.dumps(attrs, sort_keys=True, default=str)
            parts.append(f"<br><small>{e(text[:300] + ('...' if len(text) > 300 else ''))}"
                         f"</small>")
        preds = sorted(graph.predecessors(n), key=str)
        if preds:
            parts.append("<br>from: " + ", ".join(link(p) for p in preds))
        parts.append("</li>")
    parts.append("</ol>")
    return "".join(parts)


def _checked(rec) -> str:
    checked = rec.measures.get("checked")
    if checked is True:
        return "checked"
    if checked is False:
        why = rec.verdict.get("note") or "not independently checked"
        return f"NOT checked ({why})"
    return "-"


def report_section(records, store) -> str:
    """HTML for the ``theorem`` discoveries ``records``: a list (anchor ``dN`` per theorem)
    linking to each proof (anchor ``proof-N``), then the proofs, read from ``store``."""
    e = html.escape
    parts = ["<ol class='theorems'>"]
    for r in records:
        statement = str(r.params.get("statement") or r.text)
        method = r.params.get("method") or "-"
        steps = r.measures.get("steps", r.params.get("steps"))
        axioms = r.params.get("axioms")
        parts.append(
            f"<li id='d{r.id}'><a href='#proof-{r.id}'><code>{e(statement)}</code></a> "
            f"<small>#{r.id}; {e(str(method))}, {e(str(steps if steps is not None else '?'))} "
            f"steps{'; axioms ' + e(str(axioms)) if axioms else ''}; {e(_checked(r))}"
            f"{'; verified by ' + e(r.method) if r.method and r.method != method else ''}"
            f"</small></li>")
    parts.append("</ol><h3>Proofs</h3>")
    for r in records:
        statement = str(r.params.get("statement") or r.text)
        try:
            body = proof_html(store.provenance(r.id), f"p{r.id}")
        except Exception as err:
            body = f"<p class='error'>no proof graph: {e(str(err))}</p>"
        parts.append(f"<details class='proof' id='proof-{r.id}'><summary>Proof of #{r.id} "
                     f"<code>{e(statement)}</code> (<a href='#d{r.id}'>back</a>)</summary>"
                     f"{body}</details>")
    return "\n".join(parts)
