"""The ``logic`` plugin: theorems derived from axioms, with proof graphs a machine can check.

Adds two verbs to the command line (hook ``discover_add_commands``):

``discover prove AXIOMS [--seconds S] [--json] [--out DIR] [--store PATH] [--max-size N]``
    Explore the axiom set (a path, or a corpus name such as ``peano``): conjecture equations by
    probing on random numerals, prove them by rewriting and induction, write the proof graph to
    ``DIR`` (JSON node-link, GraphML, HTML; default ``./proofs``) and print the theorems.
``discover check GRAPH [--axioms AXIOMS]``
    Re-verify every step of a proof graph (its JSON export) with the independent
    :mod:`.checker`; exit status 1 on any bad step.

See ``plugins/logic/README.md`` for the axiom syntax (also in :mod:`.syntax`).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from discover import hookimpl
from discover.errors import DiscoverError

__all__ = ["load_theory", "prove", "main_prove", "main_check"]

VERSION = "0.1.0"


def load_theory(spec: str):
    """Parse an axiom file given as a path or a corpus name (``peano`` -> corpora/peano.axioms)."""
    from .syntax import parse_axioms

    p = Path(spec)
    if not p.exists():
        import discover_corpora

        name = spec if spec.endswith(".axioms") else spec + ".axioms"
        try:
            p = discover_corpora.path(name)
        except FileNotFoundError as exc:
            raise DiscoverError(f"no axiom file {spec!r}: not a path, and {exc}") from None
    return parse_axioms(p.read_text(encoding="utf-8"), name=p.stem, source=str(p))


def prove(theory, *, seconds: float = 30.0, max_size: int = 7, out: str | None = "proofs",
          on_theorem=None):
    """Explore ``theory``; returns a dict with the theorems, stats, graph and file paths."""
    from .graph import build_graph, write_all
    from .prover import explore

    t0 = time.perf_counter()
    prover, stats = explore(theory, seconds=seconds, max_size=max_size, on_theorem=on_theorem,
                            start=t0)
    graph = build_graph(theory, prover, name=theory.name)
    paths = write_all(graph, out, theory.name or "proofs") if out else {}
    theorems = [{"statement": th.statement(), "seconds": round(th.seconds, 4),
                 "steps": th.proof.steps(), "method": th.proof.method,
                 "node": f"theorem:{th.index}"} for th in prover.theorems]
    return {"theorems": theorems, "graph": paths.get("json"), "files": paths,
            "stats": {k: (round(v, 4) if isinstance(v, float) else v)
                      for k, v in stats.items()},
            "_graph": graph, "_prover": prover}


def _latex(statement: str) -> str:
    return statement.replace("*", r"\cdot ").replace("->", r"\Rightarrow")


def store_results(result: dict, theory, store_path: str) -> int:
    """Record each theorem as a discovery of kind ``theorem`` (provenance: its proof subgraph)."""
    import networkx as nx

    from discover.store import DiscoveryRecord, Store

    graph = result["_graph"]
    with Store(store_path) as store:
        run = store.create_run(f"prove {theory.name}", "theorem", "axioms:" + theory.name,
                               {"axioms": theory.source, "stats": result["stats"]}, VERSION, 1)
        records = []
        for th in result["theorems"]:
            node = th["node"]
            sub = graph.subgraph(nx.ancestors(graph, node) | {node}).copy()
            sub.graph.update(graph.graph)
            rec = DiscoveryRecord(
                kind="theorem", key="theorem:" + th["statement"],
                params={"statement": th["statement"], "axioms": theory.name,
                        "method": th["method"]},
                digits=float(result["stats"].get("probes", 0)), text=th["statement"],
                latex=_latex(th["statement"]),
                verdict={"equal": True, "method": th["method"], "steps": th["steps"],
                         "seconds": th["seconds"]})
            records.append((rec, sub))
        store.record_shard(run, 0, records, candidates=result["stats"].get("conjectures", 0),
                           hits=len(records))
        store.finish_run(run, "done", result["stats"])
    return run


def main_prove(args) -> int:
    from .probe import InconsistentAxioms
    from .syntax import AxiomSyntaxError

    try:
        theory = load_theory(args.axioms)
    except AxiomSyntaxError:
        raise
    try:
        result = prove(theory, seconds=args.seconds, max_size=args.max_size, out=args.out)
    except InconsistentAxioms as exc:
        if args.json:
            print(json.dumps({"error": str(exc), "inconsistent": True, "theorems": []}))
        else:
            print(f"inconsistent: {exc}", file=sys.stderr)
        return 1
    if args.store:
        result["run"] = store_results(result, theory, args.store)
    public = {k: v for k, v in result.items() if not k.startswith("_")}
    if args.json:
        print(json.dumps(public, indent=1))
    else:
        for th in public["theorems"]:
            print(f"{th['seconds']:8.3f} s  {th['statement']}   [{th['method']}, "
                  f"{th['steps']} steps]")
        print(f"{len(public['theorems'])} theorems; proof graph: {public['graph']}")
    return 0


def main_check(args) -> int:
    from .checker import check_file

    axioms = None
    if args.axioms:
        from .syntax import term_to_json

        th = load_theory(args.axioms)
        axioms = {a.name: (term_to_json(a.lhs), term_to_json(a.rhs)) for a in th.axioms}
    rep = check_file(args.graph, axioms)
    if rep.ok:
        print(f"ok: {rep.theorems} theorems, {rep.steps} steps verified")
        return 0
    for e in rep.errors[:50] or ["no theorems in the graph"]:
        print(f"bad: {e}", file=sys.stderr)
    return 1


@hookimpl
def discover_add_commands(subparsers):
    p = subparsers.add_parser("prove", help="derive theorems from an axiom file, with proofs")
    p.add_argument("axioms", help="axiom file path or corpus name (e.g. peano)")
    p.add_argument("--seconds", type=float, default=30.0, help="time budget (default 30)")
    p.add_argument("--max-size", type=int, default=7,
                   help="largest side of a conjecture, in symbols (default 7)")
    p.add_argument("--out", default="proofs", help="folder for the proof graph (default proofs)")
    p.add_argument("--store", default=None, help="also record the theorems in this SQLite store")
    p.add_argument("--json", action="store_true", help="print a JSON object")
    p.set_defaults(func=main_prove)
    c = subparsers.add_parser("check", help="re-verify a proof graph (JSON export)")
    c.add_argument("graph", help="proof graph JSON written by discover prove")
    c.add_argument("--axioms", default=None, help="also compare axiom nodes with this file")
    c.set_defaults(func=main_check)


@hookimpl
def discover_report_section(kind, records, store):
    """The theorems' section of ``discover report``: each theorem linked to its proof."""
    if kind != "theorem":
        return None
    from .report import report_section

    return report_section(records, store)
