"""Provenance graphs: how each discovery came to be, as a networkx DiGraph.

Nodes carry a ``type`` (``search``, ``generator``, ``candidate``, ``tier``, ``target``,
``identification``, ``discovery``, or a generator's own types such as proof steps) and plain
attributes; edges point from a cause to its effect and carry a ``relation``. Graphs are stored as
node-link JSON and exported as JSON or GraphML (nested attributes are JSON-encoded for GraphML,
which only holds scalars).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Mapping

import networkx as nx

__all__ = ["build_provenance", "add_variants", "graph_to_json", "graph_from_json", "export_json",
           "export_graphml", "BUILTIN_EXPORTERS"]


def _jsonable(value: Any) -> Any:
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    try:  # numpy scalars
        return value.item()
    except AttributeError:
        return str(value)


def build_provenance(*, search: Mapping, generator: Mapping, candidate: Mapping, hit,
                     verdict, discovery: Mapping) -> nx.DiGraph:
    """The provenance DiGraph of one discovery.

    Parameters
    ----------
    search:
        ``{"name", "hash", "path", "params"}`` of the search that found it.
    generator:
        ``{"kind", "version", "plugin"}``.
    candidate:
        The candidate as found (before canonicalisation), JSON-able.
    hit:
        The :class:`discover.generator.Hit` with its tiers, target and identification.
    verdict:
        The tier-3 :class:`discover.generator.Verdict`.
    discovery:
        The stored form: key, canonical candidate, expression, digits.
    """
    g = nx.DiGraph()
    g.graph["kind"] = generator.get("kind", "")
    g.add_node("search", type="search", **_jsonable(dict(search)))
    g.add_node("generator", type="generator", **_jsonable(dict(generator)))
    g.add_edge("search", "generator", relation="configured")
    g.add_node("candidate", type="candidate", **_jsonable(dict(candidate)))
    g.add_edge("generator", "candidate", relation="proposed")
    prev = "candidate"
    tiers = list(hit.tiers) + list(getattr(verdict, "tiers", []) or [])
    for i, tier in enumerate(tiers):
        node = f"tier{i}:{tier.name}"
        g.add_node(node, type="tier", name=tier.name, precision_digits=tier.precision_digits,
                   depth=tier.depth, value=tier.value, digits=tier.digits,
                   seconds=round(float(tier.seconds), 6), detail=_jsonable(tier.detail))
        g.add_edge(prev, node, relation="evaluated" if i == 0 else "refined")
        prev = node
        if i == 0 and hit.target is not None:
            g.add_node("target", type="target", constant=hit.target.constant,
                       transform=list(hit.target.transform),
                       expression=hit.target.expression())
            g.add_edge(node, "target", relation="matched")
    if verdict is not None:
        g.add_node("verdict", type="verdict", **_jsonable(verdict.to_dict()))
        g.add_edge(prev, "verdict", relation="verified")
        prev = "verdict"
    if hit.identification:
        g.add_node("identification", type="identification", **_jsonable(hit.identification))
        g.add_edge(prev, "identification", relation="identified")
        if "target" in g:
            g.add_edge("target", "identification", relation="agrees with")
        prev = "identification"
    g.add_node("discovery", type="discovery", **_jsonable(dict(discovery)))
    g.add_edge(prev, "discovery", relation="recorded")
    add_variants(g, hit.variants)
    return g


def add_variants(g: nx.DiGraph, variants) -> None:
    """Add the other raw forms found for the same discovery (``variant`` nodes)."""
    start = sum(1 for _, d in g.nodes(data=True) if d.get("type") == "variant")
    for j, variant in enumerate(variants[start:], start):
        node = f"variant{j}"
        g.add_node(node, type="variant", **_jsonable(dict(variant)))
        g.add_edge(node, "discovery", relation="equivalent form")


def graph_to_json(graph: nx.DiGraph) -> str:
    """Node-link JSON text of ``graph`` (``networkx.node_link_data``, edges under ``links``)."""
    data = nx.node_link_data(graph, edges="links")
    return json.dumps(_jsonable(data), sort_keys=True)


def graph_from_json(text: str) -> nx.DiGraph:
    return nx.node_link_graph(json.loads(text), directed=True, edges="links")


def export_json(graph: nx.DiGraph, path: Path) -> None:
    """Write ``graph`` as indented node-link JSON."""
    data = nx.node_link_data(graph, edges="links")
    Path(path).write_text(json.dumps(_jsonable(data), indent=1, sort_keys=True) + "\n")


def _scalar(value: Any):
    if isinstance(value, (str, int, float, bool)):
        return value
    if value is None:
        return ""
    return json.dumps(_jsonable(value), sort_keys=True)


def export_graphml(graph: nx.DiGraph, path: Path) -> None:
    """Write ``graph`` as GraphML; nested attributes become JSON strings."""
    h = nx.DiGraph()
    h.graph.update({k: _scalar(v) for k, v in graph.graph.items()})
    for n, attrs in graph.nodes(data=True):
        h.add_node(n, **{k: _scalar(v) for k, v in attrs.items()})
    for u, v, attrs in graph.edges(data=True):
        h.add_edge(u, v, **{k: _scalar(x) for k, x in attrs.items()})
    nx.write_graphml(h, str(path))


BUILTIN_EXPORTERS = {"json": export_json, "graphml": export_graphml}
