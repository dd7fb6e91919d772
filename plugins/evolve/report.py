"""The programs' section of ``discover report`` (hook ``discover_report_section``).

One block per (function, interval): a Pareto plot of the maximum relative error against the
op count of the stored programs, next to the baselines the tool builds itself (Taylor, minimax
polynomial and Pade programs, :func:`.search.baselines`), then a table of the programs with
their proven bounds and Python code. Self-contained (inline SVG) and escaped.
"""

from __future__ import annotations

import html
import io
import math

__all__ = ["report_section", "pareto_front"]

_MARKERS = {"taylor": "s", "minimax": "^", "pade": "D"}


def _interval(rec) -> tuple[float, float] | None:
    iv = rec.params.get("interval")
    try:
        a, b = float(iv[0]), float(iv[1])
    except (TypeError, ValueError, IndexError, KeyError):
        return None
    return a, b


def _measure(rec, name):
    v = rec.measures.get(name, rec.params.get(name))
    return None if v is None else v


def pareto_front(points: list[tuple[int, float]]) -> list[tuple[int, float]]:
    """The non-dominated ``(ops, error)`` points, by increasing ops (and decreasing error).

    >>> pareto_front([(1, 0.1), (2, 0.2), (3, 0.01), (3, 0.02)])
    [(1, 0.1), (3, 0.01)]
    """
    front: list[tuple[int, float]] = []
    for ops, err in sorted(points):
        if not front or err < front[-1][1]:
            if front and front[-1][0] == ops:
                continue
            front.append((ops, err))
    return front


def _svg(fig, plt) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight")
    plt.close(fig)
    text = buf.getvalue()
    return text[text.index("<svg"):]


def _pareto_svg(found: list[tuple[int, float]], bounds: list[tuple[int, float]],
                base: list[dict], title: str) -> str:
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    tiny = 1e-17
    fig, ax = plt.subplots(figsize=(5.6, 3.6))
    front = pareto_front(found)
    if front:
        xs = [p[0] for p in front]
        ys = [max(p[1], tiny) for p in front]
        ax.step(xs, ys, where="post", color="#1f77b4", lw=1, alpha=0.6)
    if found:
        ax.plot([p[0] for p in found], [max(p[1], tiny) for p in found], "o", color="#1f77b4",
                label="evolved (max rel error)")
    if bounds:
        ax.plot([p[0] for p in bounds], [max(p[1], tiny) for p in bounds], "x", color="#d62728",
                label="evolved (proven bound)")
    for method in sorted({b["method"] for b in base}):
        pts = [(b["ops"], b["max_rel_error"]) for b in base if b["method"] == method
               and b["max_rel_error"] is not None and math.isfinite(b["max_rel_error"])]
        if pts:
            ax.plot([p[0] for p in pts], [max(p[1], tiny) for p in pts],
                    _MARKERS.get(method, "v"), mfc="none", label=f"baseline: {method}")
    ax.set_yscale("log")
    ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    ax.set_xlabel("ops")
    ax.set_ylabel("max relative error")
    ax.set_title(title.replace("$", ""), fontsize=9)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=7)
    return _svg(fig, plt)


def _baselines(function: str, a: float, b: float, max_ops: int) -> tuple[list[dict], str]:
    from .functions import get_target
    from .search import baselines

    try:
        out = baselines(get_target(function, a, b), a, b, max(max_ops, 2))
    except Exception as err:          # an unknown function (a newer plugin's) still reports
        return [], f"no baselines: {type(err).__name__}: {err}"
    return [{k: v for k, v in d.items() if k != "program"} for d in out], ""


def report_section(records, store=None) -> str:
    """HTML for the ``program`` discoveries ``records``: Pareto plots next to the baselines,
    and a table per (function, interval) with each program's anchor ``dN``."""
    e = html.escape
    groups: dict = {}
    for rec in records:
        groups.setdefault((str(rec.params.get("function", "?")), _interval(rec)), []).append(rec)
    parts = []
    for (function, iv), recs in groups.items():
        recs = sorted(recs, key=lambda r: (_measure(r, "ops") or 0, r.id))
        where = "" if iv is None else f" on [{iv[0]:g}, {iv[1]:g}]"
        slug = "-".join(["".join(c if c.isalnum() else "_" for c in function)]
                        + ([] if iv is None else [f"{iv[0]:g}", f"{iv[1]:g}"]))
        parts.append(f"<h3>{e(function)}{e(where)}</h3>")
        found = [(int(_measure(r, "ops")), float(_measure(r, "max_rel_error"))) for r in recs
                 if _measure(r, "ops") is not None and _measure(r, "max_rel_error") is not None]
        bounds = [(int(_measure(r, "ops")), float(_measure(r, "bound"))) for r in recs
                  if _measure(r, "ops") is not None and _measure(r, "bound") is not None]
        base, note = ([], "no interval recorded") if iv is None else \
            _baselines(function, iv[0], iv[1], max((p[0] for p in found), default=2))
        parts.append(f"<div class='plots pareto' id='pareto-{e(slug, quote=True)}'>")
        parts.append(_pareto_svg(found, bounds, base, f"Pareto front: {function}{where}"))
        if base:
            parts.append("<table class='baselines'><tr><th>baseline</th><th>degree</th>"
                         "<th>ops</th><th>max rel error</th></tr>" + "".join(
                             f"<tr><td>{e(str(b['method']))}</td><td>{e(str(b['degree']))}</td>"
                             f"<td>{int(b['ops'])}</td><td>{float(b['max_rel_error']):.3e}"
                             f"</td></tr>" for b in base) + "</table>")
        parts.append("</div>")
        if note:
            parts.append(f"<p class='error'>{e(note)}</p>")
        front = set(pareto_front(found))
        parts.append("<table class='programs'><tr><th>id</th><th>ops</th><th>max rel error</th>"
                     "<th>proven bound</th><th>on front</th><th>verified by</th>"
                     "<th>program</th></tr>")
        for r in recs:
            ops, err, bound = (_measure(r, k) for k in ("ops", "max_rel_error", "bound"))
            on = ops is not None and err is not None and (int(ops), float(err)) in front
            python = r.params.get("python") or ""
            code = (f"<details><summary>Python</summary><pre>{e(python)}</pre></details>"
                    if python else "")
            parts.append(
                f"<tr id='d{r.id}'><td>{r.id}</td><td>{e(str(ops))}</td>"
                f"<td>{'-' if err is None else f'{float(err):.3e}'}</td>"
                f"<td>{'-' if bound is None else f'{float(bound):.3e}'}</td>"
                f"<td>{'yes' if on else ''}</td><td>{e(r.method or '-')}</td>"
                f"<td><code>{e(r.text)}</code>{code}</td></tr>")
        parts.append("</table>")
    return "\n".join(parts)
