"""Self-contained HTML reports of a store: runs, discoveries, convergence plots, provenance.

Everything is inlined (SVG drawn by matplotlib, CSS), so the page opens from a file with no
network: closed forms are rendered from LaTeX by matplotlib's mathtext, each formula gets a
convergence plot (when its generator provides one) and a drawing of its provenance graph. Every
string taken from the store is HTML-escaped.
"""

from __future__ import annotations

import datetime as _dt
import html
import io
import json
from pathlib import Path

import networkx as nx
import sympy

from .errors import DiscoverError
from .store import DiscoveryRecord, Store

__all__ = ["write_report"]

_CSS = """
body{font-family:system-ui,sans-serif;margin:2em;max-width:1200px;color:#222}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;
text-align:left;vertical-align:top}th{background:#f3f3f3}.formula{margin:2em 0;padding:1em;
border:1px solid #ddd;border-radius:6px}.plots{display:flex;flex-wrap:wrap;gap:1em}
.plots svg{max-width:560px;height:auto}code{background:#f6f6f6;padding:1px 3px}
"""


def _matplotlib():
    try:
        import matplotlib

        matplotlib.use("Agg", force=True)
        import matplotlib.pyplot as plt
    except ImportError as err:
        raise DiscoverError("reports need matplotlib: pip install matplotlib") from err
    return plt


def _svg(fig) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight")
    _matplotlib().close(fig)
    text = buf.getvalue()
    return text[text.index("<svg"):]


def _latex_svg(latex: str) -> str:
    """Render ``latex`` with mathtext; fall back to escaped text if mathtext cannot."""
    plt = _matplotlib()
    fig = plt.figure(figsize=(0.01, 0.01))
    try:
        fig.text(0, 0, f"${latex}$", fontsize=16)
        return _svg(fig)
    except Exception:
        plt.close(fig)
        return f"<code>{html.escape(latex)}</code>"


def _expression_latex(rec: DiscoveryRecord) -> str:
    if not rec.expression:
        return ""
    try:
        from .safeexpr import parse

        expr = parse(rec.expression, allow_any_name=True).to_sympy()
        names = {sympy.Symbol("pi"): sympy.pi}
        return sympy.latex(expr.subs(names))
    except Exception:
        return ""


def _convergence_svg(points, title: str) -> str:
    plt = _matplotlib()
    fig, ax = plt.subplots(figsize=(5.2, 3.0))
    ax.plot([p[0] for p in points], [p[1] for p in points], lw=1.5)
    ax.set_xlabel("n")
    ax.set_ylabel("log10 relative step")
    ax.set_title(title, fontsize=9)
    ax.grid(alpha=0.3)
    return _svg(fig)


def _provenance_svg(graph: nx.DiGraph) -> str:
    plt = _matplotlib()
    fig, ax = plt.subplots(figsize=(5.6, 3.6))
    order = list(nx.topological_sort(graph)) if nx.is_directed_acyclic_graph(graph) else list(graph)
    layers = {}
    for node in order:
        preds = list(graph.predecessors(node))
        layers[node] = 1 + max((layers[p] for p in preds if p in layers), default=-1)
    for node, layer in layers.items():
        graph.nodes[node]["_layer"] = layer
    pos = nx.multipartite_layout(graph, subset_key="_layer")      # causes left of effects
    labels = {n: f"{n}\n{graph.nodes[n].get('type', '')}" for n in graph}
    nx.draw_networkx(graph, pos, ax=ax, labels=labels, node_size=900, font_size=6,
                     node_color="#cfe3f7", edge_color="#888", arrows=True)
    for node in graph:
        graph.nodes[node].pop("_layer", None)
    ax.axis("off")
    return _svg(fig)


def write_report(store_path, out, *, run_id: int | None = None, plugins=None) -> Path:
    """Write a self-contained HTML report of ``store_path`` (optionally one run) to ``out``."""
    out = Path(out)
    e = html.escape
    parts = ["<!doctype html><html><head><meta charset='utf-8'>",
             "<title>discover report</title>", f"<style>{_CSS}</style></head><body>",
             "<h1>discover report</h1>"]
    with Store(store_path, readonly=True) as st:
        runs = [st.run(run_id)] if run_id is not None else st.runs()
        parts.append(f"<p>store <code>{e(str(st.path))}</code>, written "
                     f"{e(_dt.datetime.now().isoformat(timespec='seconds'))}</p>")
        parts.append("<h2>Runs</h2><table><tr><th>run</th><th>search</th><th>kind</th>"
                     "<th>status</th><th>shards</th><th>started</th><th>wall s</th>"
                     "<th>candidates/s</th><th>parameters</th></tr>")
        for r in runs:
            started = _dt.datetime.fromtimestamp(r.started).isoformat(timespec="seconds")
            params = json.dumps(r.search.get("params", {}), sort_keys=True)
            parts.append(
                f"<tr><td>{r.id}</td><td>{e(r.name)}</td><td>{e(r.kind)}</td>"
                f"<td>{e(r.status)}</td><td>{r.shards_done}/{r.shards_total}"
                f"{' (' + str(r.shards_failed) + ' failed)' if r.shards_failed else ''}</td>"
                f"<td>{e(started)}</td><td>{r.stats.get('wall_seconds', '')}</td>"
                f"<td>{r.stats.get('candidates_per_second', '')}</td>"
                f"<td><code>{e(params)}</code></td></tr>")
        parts.append("</table>")
        recs = st.discoveries(run_id=run_id)
        parts.append(f"<h2>Discoveries ({len(recs)})</h2>")
        parts.append("<table id='discoveries'><tr><th>id</th><th>kind</th><th>formula</th>"
                     "<th>constant</th><th>closed form</th><th>verified digits</th>"
                     "<th>digits/term</th></tr>")
        for rec in recs:
            rate = "" if rec.convergence_rate is None else f"{rec.convergence_rate:.3f}"
            parts.append(f"<tr><td><a href='#d{rec.id}'>{rec.id}</a></td><td>{e(rec.kind)}</td>"
                         f"<td>{e(rec.text)}</td><td>{e(rec.constant or '')}</td>"
                         f"<td class='expr'>{e(rec.expression or '')}</td>"
                         f"<td>{rec.digits:.1f}</td><td>{rate}</td></tr>")
        parts.append("</table>")
        for rec in recs:
            parts.append(f"<div class='formula' id='d{rec.id}'><h3>#{rec.id} {e(rec.text)}"
                         f"</h3>")
            latex = _expression_latex(rec)
            if latex:
                parts.append(f"<p>value = {_latex_svg(latex)}</p>")
            parts.append(f"<p>verified to {rec.digits:.1f} digits; key <code>{e(rec.key)}</code>"
                         f"; found in runs {e(', '.join(map(str, rec.runs)))}</p>")
            parts.append("<div class='plots'>")
            gen = plugins.generators.get(rec.kind) if plugins is not None else None
            if gen is not None:
                try:
                    cand = gen.from_fields(rec.params)
                    points = gen.convergence(cand)
                except Exception:
                    points = None
                if points:
                    parts.append(_convergence_svg(points, f"convergence of #{rec.id}"))
            parts.append(_provenance_svg(st.provenance(rec.id)))
            parts.append("</div></div>")
    parts.append("</body></html>")
    out.write_text("\n".join(parts), encoding="utf-8")
    return out
