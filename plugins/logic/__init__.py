"""The ``logic`` plugin: theorems derived from axioms, with proof graphs a machine can check.

Registers the generator of kind ``theorem`` (hook ``discover_generators``; see
:mod:`.theorems`): saturation rounds of conjectures on the engine, every proof re-verified by the
independent checker before it is stored, so ``discover run searches/peano.toml`` stores checked
theorems and resumes after a kill. Adds two verbs (hook ``discover_add_commands``):

``discover prove AXIOMS [--seconds S] [--json] [--out DIR] [--store PATH] [--max-size N]``
    The short form of such a search: runs it through the engine (``--store`` or a temporary
    store), writes the proof graph of the checked theorems to ``DIR`` (JSON node-link, GraphML,
    HTML; default ``./proofs``) and prints the theorems.
``discover check GRAPH [--axioms AXIOMS] [--json]``
    Re-verify every step of a proof graph (its JSON export, or an exported provenance graph of a
    theorem) with the independent :mod:`.checker`; exit status 1 on any bad step.

See ``plugins/logic/README.md`` for the axiom syntax (also in :mod:`.syntax`).
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

from discover import hookimpl
from discover.errors import DiscoverError

__all__ = ["load_theory", "prove", "search_dict", "main_prove", "main_check"]

VERSION = "0.2.0"


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
    from discover import limits

    limit = limits.get().axiom_file_bytes
    try:
        nbytes = p.stat().st_size
        if nbytes > limit:      # refuse before reading a huge file into memory
            raise limits.LimitError(str(p), nbytes, limit, "axiom_file_bytes",
                                    problem=f"axiom file {p} has {nbytes} bytes, more than the "
                                            f"limit axiom_file_bytes = {limit}")
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise DiscoverError(f"cannot read the axiom file {p}: {err}") from err
    return parse_axioms(text, name=p.stem, source=str(p))


def search_dict(axioms: str, *, seconds: float = 30.0, max_size: int = 7, name: str = "",
                **generator) -> dict:
    """The search (same tables as a search file) that ``discover prove`` runs."""
    name = name or Path(axioms).stem
    return {"search": {"name": f"prove {name}", "kind": "theorem"},
            "generator": {"axioms": str(axioms), "seconds": float(seconds),
                          "max_size": int(max_size), **generator}}


def prove(theory, *, seconds: float = 30.0, max_size: int = 7, out: str | None = "proofs",
          store: str | None = None, workers: int | None = 1, plugins=None,
          new_run: bool = False, **generator):
    """Run the theorem search of ``theory`` (a :class:`.syntax.Theory` read from a file, a
    corpus name or a path) through the engine; returns a dict with the checked theorems, stats,
    graph and file paths (``_graph``, ``_prover``, ``_state``, ``_summary`` for Python callers).

    ``store``: the SQLite store (default: a temporary one, removed afterwards); ``generator``:
    more ``[generator]`` fields (``rounds``, ``batch``, ...)."""
    from discover.api import run
    from discover.store import Store

    from .graph import build_graph, write_all
    from .theorems import prover_from_state

    if isinstance(theory, (str, Path)):
        spec = str(theory)
        theory = load_theory(spec)
    else:
        spec = theory.source or theory.name
    data = search_dict(spec, seconds=seconds, max_size=max_size, name=theory.name, **generator)
    with tempfile.TemporaryDirectory() as tmp:
        path = store or str(Path(tmp) / "prove.sqlite")
        summary = run(data, store=path, workers=workers, plugins=plugins, new_run=new_run)
        with Store(path, readonly=True) as st:
            last = st.last_round(summary.run_id)
    state = last[1]["generator"] if last else {"theorems": [], "stats": {}}
    accepted = {d.params.get("statement") for d in summary.discoveries}
    prover = prover_from_state(theory, state, keep=accepted)
    graph = build_graph(theory, prover, name=theory.name)
    paths = write_all(graph, out, theory.name or "proofs") if out else {}
    theorems = [{"statement": th.statement(), "seconds": round(th.seconds, 4),
                 "steps": th.proof.steps(), "method": th.proof.method,
                 "node": f"theorem:{th.index}"} for th in prover.theorems]
    stats = dict(state.get("stats", {}))
    stats.update(theorems=len(theorems), seconds=state.get("seconds", 0.0),
                 rounds=summary.rounds_done, checked=len(accepted),
                 rejected=int(summary.stats.get("rejected", 0)),
                 hash_table=summary.stats.get("hash_table", {}))
    if state.get("stopped") == "seconds":
        stats["timeout"] = True
    result = {"theorems": theorems, "graph": paths.get("json"), "files": paths,
              "stats": {k: (round(v, 4) if isinstance(v, float) else v)
                        for k, v in stats.items()},
              "_graph": graph, "_prover": prover, "_state": state, "_summary": summary}
    if store:
        result["run"] = summary.run_id
    return result


def prove_tip(path, *, seconds: float = 10.0, out: str | None = "proofs", explore: bool = True):
    """Prove the goal of the TIP problem at ``path``: returns the dict that ``discover prove
    FILE.smt2 --json`` prints (goal, proved, graph, lemmas, seconds, counterexample, checked).
    A claimed proof is re-verified by the independent checker first; a rejected one is
    reported as not proved."""
    import time

    from .checker import check_tip
    from .goals import proof_graph, prove_goal
    from .tip import read_tip_file, show_statement

    t0 = time.monotonic()
    problem = read_tip_file(path)
    res = prove_goal(problem, seconds=seconds, explore=explore)
    graph = proof_graph(problem, res)
    out_d = {"goal": res["goal"], "proved": bool(res["proved"]), "graph": None,
             "lemmas": [show_statement(st) for _, st, _ in res["lemmas"]],
             "seconds": 0.0, "counterexample": res["counterexample"], "problem": problem.name}
    if res["proved"]:
        rep = check_tip(graph)
        if not rep.ok:
            out_d["proved"] = False
            out_d["check_errors"] = rep.errors[:5]
        elif out:
            d = Path(out)
            d.mkdir(parents=True, exist_ok=True)
            gp = d / f"{problem.name or 'goal'}.proof.json"
            gp.write_text(json.dumps(graph))
            out_d["graph"] = str(gp)
    out_d["seconds"] = round(time.monotonic() - t0, 3)
    return out_d


def main_prove(args) -> int:
    from .probe import InconsistentAxioms

    if str(args.axioms).endswith(".smt2"):
        res = prove_tip(args.axioms, seconds=args.seconds, out=args.out)
        if args.json:
            print(json.dumps(res, indent=1))
        else:
            print(f"goal: {res['goal']}")
            if res["proved"]:
                for lm in res["lemmas"]:
                    print(f"  lemma: {lm}")
                print(f"proved in {res['seconds']} s, checked; proof graph: {res['graph']}")
            elif res["counterexample"]:
                print(f"false: counterexample {res['counterexample']}")
            else:
                print(f"not proved in {res['seconds']} s")
        return 0 if res["proved"] else 1

    theory = load_theory(args.axioms)       # a syntax error names the line and column
    try:
        result = prove(theory, seconds=args.seconds, max_size=args.max_size, out=args.out,
                       store=str(args.store) if args.store else None, workers=args.workers)
    except InconsistentAxioms as exc:
        if args.json:
            print(json.dumps({"error": str(exc), "inconsistent": True, "theorems": []}))
        else:
            print(f"inconsistent: {exc}", file=sys.stderr)
        return 1
    public = {k: v for k, v in result.items() if not k.startswith("_")}
    if getattr(args, "minimal", False):
        laws, before = minimal_laws(theory, result["_prover"])
        public["minimal"] = {"before": before, "after": len(laws), "laws": laws}
        if not args.json:
            for law in laws:
                print(law)
            print(f"minimal: {len(laws)} laws of {before} theorems; every other theorem follows "
                  "from them and the axioms by rewriting")
            return 0
    if args.json:
        print(json.dumps(public, indent=1))
    else:
        for th in public["theorems"]:
            print(f"{th['seconds']:8.3f} s  {th['statement']}   [{th['method']}, "
                  f"{th['steps']} steps]")
        print(f"{len(public['theorems'])} theorems, each accepted by the proof checker; "
              f"proof graph: {public['graph']}")
    return 0


def minimal_laws(theory, prover) -> tuple:
    """Prune the proved equations of ``prover`` (a :class:`.prover.Prover` after a search) to a
    set from which every other one follows by the prover's rewriting with the axioms: smallest
    first, a law is dropped when rewriting with the axioms and the laws kept so far joins its
    sides; a second pass drops a kept law that the other kept ones give. Implications are kept
    as they are. Returns (kept statements, number of theorems before)."""
    from .prover import Prover
    from .syntax import skolem

    eqs = [th for th in prover.theorems if th.premise is None]
    imps = [th for th in prover.theorems if th.premise is not None]
    eqs.sort(key=lambda th: (len(th.statement()), th.index))

    def follows(th, laws):
        pv = Prover(theory)
        for k in laws:
            pv.add_rule(("theorem", k.index), k.lhs, k.rhs)
        return pv.join(skolem(th.lhs), skolem(th.rhs)) is not None

    kept = []
    for th in eqs:
        if not follows(th, kept):
            kept.append(th)
    for th in list(kept):
        rest = [k for k in kept if k is not th]
        if follows(th, rest):
            kept = rest
    return [th.statement() for th in kept + imps], len(prover.theorems)


def main_check(args) -> int:
    from .checker import check_file

    axioms = None
    if args.axioms:
        from .syntax import term_to_json

        th = load_theory(args.axioms)
        axioms = {a.name: (term_to_json(a.lhs), term_to_json(a.rhs)) for a in th.axioms}
    rep = check_file(args.graph, axioms)
    if getattr(args, "json", False):
        errors = rep.errors or ([] if rep.ok else ["no theorems in the graph"])
        print(json.dumps({"valid": rep.ok, "theorems": rep.verified, "steps": rep.steps,
                          "errors": errors}, indent=1))
        return 0 if rep.ok else 1
    if rep.ok:
        print(f"ok: {rep.theorems} theorems, {rep.steps} steps verified")
        return 0
    for e in rep.errors[:50] or ["no theorems in the graph"]:
        print(f"bad: {e}", file=sys.stderr)
    return 1


@hookimpl
def discover_generators():
    from .theorems import TheoremGenerator

    return [TheoremGenerator()]


@hookimpl
def discover_add_commands(subparsers):
    p = subparsers.add_parser("prove", help="derive theorems from an axiom file, with checked "
                              "proofs (a theorem search run through the engine)")
    p.add_argument("axioms", help="axiom file path or corpus name (e.g. peano), or a TIP "
                   "problem FILE.smt2 (then its goal is proved)")
    p.add_argument("--seconds", type=float, default=30.0, help="time budget (default 30)")
    p.add_argument("--max-size", type=int, default=7,
                   help="largest side of a conjecture, in symbols (default 7)")
    p.add_argument("--out", default="proofs", help="folder for the proof graph (default proofs)")
    p.add_argument("--store", default=None, help="record the run and its theorems in this "
                   "SQLite store (default: a temporary store); the same call resumes it")
    p.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    p.add_argument("--json", action="store_true", help="print a JSON object")
    p.add_argument("--minimal", action="store_true", help="also print a pruned set of laws from "
                   "which every other theorem follows by rewriting (counts before and after)")
    p.set_defaults(func=main_prove)
    c = subparsers.add_parser("check", help="re-verify a proof graph (JSON export)")
    c.add_argument("graph", help="proof graph JSON written by discover prove (or a theorem's "
                   "provenance graph written by discover export)")
    c.add_argument("--axioms", default=None, help="also compare axiom nodes with this file")
    c.add_argument("--json", action="store_true", help="print {valid, theorems, steps, errors}")
    c.set_defaults(func=main_check)


@hookimpl
def discover_report_section(kind, records, store):
    """The theorems' section of ``discover report``: each theorem linked to its proof."""
    if kind != "theorem":
        return None
    from .report import report_section

    return report_section(records, store)
