"""Self-contained HTML reports of a store, and the per-kind columns of ``discover show``.

Everything is inlined (SVG drawn by matplotlib, CSS), so the page opens from a file with no
network. The page has one section per kind of discovery. A plugin renders the section of its
kinds through the hook ``discover_report_section`` (the evolve plugin draws a Pareto plot of
error against op count next to its baselines; the logic plugin lists theorems with their proofs
embedded under anchors). Kinds no plugin renders get the core's section: formulas with closed
forms rendered from LaTeX by matplotlib's mathtext, a convergence plot (when the generator
provides one) and a drawing of the provenance graph; or, for kinds without a value, a table of
their measures. Every string taken from the store is HTML-escaped.

:func:`columns` and :func:`cell` choose and format the columns of a kind's table (the same in
``discover show`` and in the report): the kind's identifying fields, then its measures (those the
generator declares in ``Generator.measures`` where it is loaded, else the records' own), then the
verification method.
"""

from __future__ import annotations

import datetime as _dt
import html
import io
import json
from pathlib import Path

import networkx as nx

from .errors import DiscoverError
from .store import DiscoveryRecord, Store

__all__ = ["write_report", "columns", "cell", "kind_title"]

_CSS = """
body{font-family:system-ui,sans-serif;margin:2em;max-width:1200px;color:#222}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;
text-align:left;vertical-align:top}th{background:#f3f3f3}.formula{margin:2em 0;padding:1em;
border:1px solid #ddd;border-radius:6px}.plots{display:flex;flex-wrap:wrap;gap:1em}
.plots svg{max-width:560px;height:auto}code{background:#f6f6f6;padding:1px 3px}
section.kind{border-top:2px solid #999;margin-top:2em}.error{color:#a00}
:target{background:#ffd}pre{background:#f6f6f6;padding:.5em;overflow-x:auto}
"""

# ---------------------------------------------------------------------------------------------
# columns per kind (discover show and the report)
# ---------------------------------------------------------------------------------------------
VALUE_KINDS = ("pcf", "cmf", "esma", "bbp")

# layout -> (leading columns, preset measures, trailing columns)
_LAYOUTS = {
    "value": (("id", "constant", "text", "expression"), ("digits", "convergence_rate", "delta"),
              ("method",)),
    "program": (("id", "function", "interval"), ("ops", "max_rel_error", "bound"), ("method",)),
    "theorem": (("id", "statement", "proof_method"), ("steps", "checked"), ()),
    "generic": (("id", "text"), (), ("method",)),
}

_LABELS = {"text": "formula", "expression": "value", "convergence_rate": "digits/term",
           "max_rel_error": "max rel error", "proof_method": "method",
           "bound_exact": "bound (exact)", "fit_error": "fit error",
           "ulps_float32": "ulps (float32)"}

_FORMATS = {"digits": "{:.1f}", "convergence_rate": "{:.3f}", "delta": "{:.4f}",
            "max_rel_error": "{:.3e}", "bound": "{:.3e}", "bound_exact": "{:.3e}",
            "fit_error": "{:.3e}", "seconds": "{:.3f}"}

_TITLES = {"value": "Formulas", "program": "Programs", "theorem": "Theorems"}


def _layout(kind: str, records) -> str:
    if kind in ("program", "theorem"):
        return kind
    if kind in VALUE_KINDS or any(r.digits is not None for r in records):
        return "value"
    return "generic"


def kind_title(kind: str, records) -> str:
    """A heading for the section or table of ``kind``."""
    return f"{_TITLES.get(_layout(kind, records), 'Discoveries')} ({kind})"


def _declared(kind: str, plugins) -> list[str] | None:
    gen = plugins.generators.get(kind) if plugins is not None else None
    if gen is None:
        return None
    return [m.name for m in getattr(gen, "measures", ())]


def value(rec: DiscoveryRecord, name: str, js: dict | None = None):
    """The value of column ``name`` for ``rec`` (None when it has none)."""
    if name in ("id", "text", "expression", "constant"):
        return getattr(rec, name)
    if name == "method":
        return rec.method or rec.verdict.get("method") or None
    if name == "proof_method":
        return rec.params.get("method") or rec.method or None
    if name in rec.measures:
        return rec.measures[name]
    if name in ("digits", "convergence_rate"):
        return getattr(rec, name)
    if name in rec.params:
        return rec.params[name]
    js = rec.to_json() if js is None else js
    return js.get(name)


def columns(kind: str, records, plugins=None, *, compact: bool = False
            ) -> list[tuple[str, str]]:
    """``(name, label)`` of the columns of ``kind``'s table for ``records``.

    The measures are the kind's usual ones (PCFs: digits, digits/term, delta; programs: ops,
    max rel error, bound; theorems: steps, checked) plus those its generator declares in
    ``Generator.measures`` (where plugins are loaded), else the records' own measure keys; a
    measure no record has is left out. ``compact`` (the listing of ``discover show``) keeps only
    the usual ones for the kinds that have them.
    """
    layout = _layout(kind, records)
    lead, preset, tail = _LAYOUTS[layout]
    names = list(preset)
    declared = _declared(kind, plugins)
    extra = list(declared or [])
    if declared is None or layout == "generic":
        for r in records:
            extra += [k for k in r.measures if k not in extra]
    if compact and preset:
        extra = []
    names += [n for n in extra if n not in names and n not in lead and n not in tail
              and n not in ("method", "proof_method")]
    jsons = [r.to_json() for r in records]
    names = [n for n in names
             if any(value(r, n, js) is not None for r, js in zip(records, jsons))]
    return [(n, _LABELS.get(n, n.replace("_", " "))) for n in (*lead, *names, *tail)]


def cell(name: str, v) -> str:
    """``v`` as table text (unescaped): numbers rounded per measure, intervals as [a, b]."""
    if v is None or v == "":
        return "-"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        fmt = _FORMATS.get(name)
        if fmt:
            return fmt.format(v)
        return f"{v:.3e}" if v and (abs(v) < 1e-3 or abs(v) >= 1e7) else f"{v:.6g}"
    if isinstance(v, (list, tuple)) and all(isinstance(x, (int, float)) and
                                            not isinstance(x, bool) for x in v):
        return "[" + ", ".join(f"{x:g}" for x in v) + "]"
    if isinstance(v, (list, tuple, dict)):
        return json.dumps(v, sort_keys=True)
    return str(v)


def rows(kind: str, records, plugins=None, *, compact: bool = False
         ) -> tuple[list[tuple[str, str]], list[list[str]]]:
    """The columns and the formatted (unescaped) cells of ``kind``'s table."""
    cols = columns(kind, records, plugins, compact=compact)
    out = []
    for r in records:
        js = r.to_json()
        out.append([cell(n, value(r, n, js)) for n, _ in cols])
    return cols, out


def by_kind(records) -> dict[str, list[DiscoveryRecord]]:
    """Records grouped by kind, kinds in order of first appearance."""
    groups: dict[str, list[DiscoveryRecord]] = {}
    for r in records:
        groups.setdefault(r.kind, []).append(r)
    return groups


# ---------------------------------------------------------------------------------------------
# drawing
# ---------------------------------------------------------------------------------------------
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
        import sympy

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


# ---------------------------------------------------------------------------------------------
# sections
# ---------------------------------------------------------------------------------------------
def _table_html(kind: str, records, plugins, anchors: bool = True) -> str:
    e = html.escape
    cols, cells = rows(kind, records, plugins)
    parts = ["<table><tr>" + "".join(f"<th>{e(label)}</th>" for _, label in cols) + "</tr>"]
    for rec, row in zip(records, cells):
        rid = f" id='d{rec.id}'" if anchors else ""
        parts.append(f"<tr{rid}>" + "".join(f"<td>{e(c)}</td>" for c in row) + "</tr>")
    parts.append("</table>")
    return "".join(parts)


def _value_section(st: Store, records, plugins) -> str:
    """The core's section for kinds with a value: each formula with its closed form, a
    convergence plot and its provenance graph."""
    e = html.escape
    parts = []
    for rec in records:
        parts.append(f"<div class='formula' id='d{rec.id}'><h3>#{rec.id} {e(rec.text)}</h3>")
        latex = _expression_latex(rec)
        if latex:
            parts.append(f"<p>value = {_latex_svg(latex)}</p>")
        digits = "" if rec.digits is None else f"verified to {rec.digits:.1f} digits"
        method = f" by {e(rec.method)}" if rec.method else ""
        parts.append(f"<p>{digits}{method}; key <code>{e(rec.key)}</code>; found in runs "
                     f"{e(', '.join(map(str, rec.runs)))}</p>")
        parts.append("<div class='plots'>")
        gen = plugins.generators.get(rec.kind) if plugins is not None else None
        if gen is not None:
            try:
                points = gen.convergence(gen.from_fields(rec.params))
            except Exception:
                points = None
            if points:
                parts.append(_convergence_svg(points, f"convergence of #{rec.id}"))
        parts.append(_provenance_svg(st.provenance(rec.id)))
        parts.append("</div></div>")
    return "\n".join(parts)


def _generic_section(st: Store, kind: str, records, plugins) -> str:
    """The core's section for kinds without a value that no plugin renders: a table of the
    measures, and small provenance graphs drawn."""
    parts = [_table_html(kind, records, plugins)]
    for rec in records:
        graph = st.provenance(rec.id)
        if graph.number_of_nodes() <= 30:
            parts.append(f"<div class='plots'><p>#{rec.id}</p>{_provenance_svg(graph)}</div>")
    return "\n".join(parts)


def _plugin_sections(plugins, kind: str, records, st: Store) -> tuple[list[str], list[str]]:
    """HTML fragments plugins render for ``kind`` and the problems met (a failing plugin is
    named; the others still render)."""
    if plugins is None:
        return [], []
    frags, problems = [], []
    call_each = getattr(plugins, "call_each", None)
    if call_each is not None:
        results = call_each("discover_report_section", kind=kind, records=records, store=st)
    else:     # a plugin manager without call_each: the same, one plugin at a time
        results = []
        pm = plugins.pm
        for impl in pm.hook.discover_report_section.get_hookimpls():
            others = [p for p in pm.get_plugins() if p is not impl.plugin]
            label = pm.get_name(impl.plugin) or repr(impl.plugin)
            try:
                got = pm.subset_hook_caller("discover_report_section", others)(
                    kind=kind, records=records, store=st)
                results.append((label, got[0] if got else None, None))
            except Exception as err:
                results.append((label, None, err))
    for label, result, err in results:
        if err is not None:
            problems.append(f"plugin {label!r}: discover_report_section raised "
                            f"{type(err).__name__}: {err}")
        elif result:
            frags.append(str(result))
    return frags, problems


def _summary_measures(kind: str, rec: DiscoveryRecord, cols) -> str:
    js = rec.to_json()
    skip = {"id", "text", "expression", "constant", "statement", "method", "proof_method"}
    return "; ".join(f"{label} {cell(n, value(rec, n, js))}" for n, label in cols
                     if n not in skip)


def write_report(store_path, out, *, run_id: int | None = None, plugins=None) -> Path:
    """Write a self-contained HTML report of ``store_path`` (optionally one run) to ``out``.

    ``plugins`` (a loaded plugin manager; the default one when ``None``) supplies convergence
    curves, the kinds' declared measures and the sections plugins render for their kinds.
    """
    if plugins is None:
        from .pluginmanager import get_plugin_manager

        plugins = get_plugin_manager()
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
                     "<th>status</th><th>work</th><th>started</th><th>wall s</th>"
                     "<th>candidates/s</th><th>parameters</th></tr>")
        for r in runs:
            started = _dt.datetime.fromtimestamp(r.started).isoformat(timespec="seconds")
            params = json.dumps(r.search.get("params", r.search.get("generator", {})),
                                sort_keys=True, default=str)
            if r.mode == "rounds":
                work = f"{r.rounds_done} rounds"
                failed = r.rounds_failed
            else:
                work = f"{r.shards_done}/{r.shards_total} shards"
                failed = r.shards_failed
            work += f" ({failed} failed)" if failed else ""
            parts.append(
                f"<tr><td>{r.id}</td><td>{e(r.name)}</td><td>{e(r.kind)}</td>"
                f"<td>{e(r.status)}</td><td>{e(work)}</td>"
                f"<td>{e(started)}</td><td>{e(str(r.stats.get('wall_seconds', '')))}</td>"
                f"<td>{e(str(r.stats.get('candidates_per_second', '')))}</td>"
                f"<td><code>{e(params)}</code></td></tr>")
        parts.append("</table>")
        recs = st.discoveries(run_id=run_id)
        groups = by_kind(recs)
        cols_of = {k: columns(k, g, plugins) for k, g in groups.items()}
        parts.append(f"<h2>Discoveries ({len(recs)})</h2>")
        if groups:
            parts.append("<p>" + ", ".join(
                f"<a href='#kind-{e(k, quote=True)}'>{e(kind_title(k, g))}: {len(g)}</a>"
                for k, g in groups.items()) + "</p>")
        parts.append("<table id='discoveries'><tr><th>id</th><th>kind</th><th>formula</th>"
                     "<th>constant</th><th>closed form</th><th>measures</th><th>verified by"
                     "</th></tr>")
        for rec in recs:
            parts.append(f"<tr><td><a href='#d{rec.id}'>{rec.id}</a></td><td>{e(rec.kind)}</td>"
                         f"<td>{e(rec.text)}</td><td>{e(rec.constant or '')}</td>"
                         f"<td class='expr'>{e(rec.expression or '')}</td>"
                         f"<td>{e(_summary_measures(rec.kind, rec, cols_of[rec.kind]))}</td>"
                         f"<td>{e(rec.method or '')}</td></tr>")
        parts.append("</table>")
        for kind, group in groups.items():
            parts.append(f"<section class='kind' id='kind-{e(kind, quote=True)}'>"
                         f"<h2>{e(kind_title(kind, group))}</h2>")
            frags, problems = _plugin_sections(plugins, kind, group, st)
            for p in problems:
                parts.append(f"<p class='error'>{e(p)}</p>")
            if frags:
                parts.extend(frags)
            elif _layout(kind, group) == "value":
                parts.append(_value_section(st, group, plugins))
            else:
                parts.append(_generic_section(st, kind, group, plugins))
            parts.append("</section>")
    parts.append("</body></html>")
    out.write_text("\n".join(parts), encoding="utf-8")
    return out
