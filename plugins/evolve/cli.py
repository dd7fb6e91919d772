"""The ``discover evolve`` verb: a short form of a ``program`` search, run through the engine.

It builds the search (``[search]`` + ``[generator]``, or reads one with ``--search FILE``), runs
it with :func:`discover.api.run` on ``--store`` (or a temporary store), then prints the verified
front next to the baselines, as a table or as the JSON of the scripts' contract (README).
"""

from __future__ import annotations

import json
import math
import sys

from discover.errors import SearchFileError

from .functions import EvolveError, TARGETS, get_target

__all__ = ["add_command", "build_search", "run_evolve", "format_table"]

# command-line option of each generator field, for error messages
OPTIONS = {"function": "FUNCTION", "interval": "--interval", "max_ops": "--max-ops",
           "seconds": "--seconds", "seed": "--seed", "generations": "--generations",
           "rounds": "--rounds", "round_seconds": "--round-seconds", "islands": "--islands",
           "optional_ops": "--optional-ops", "cache": "--no-cache", "newton": "--no-newton",
           "compose": "--no-compose"}


def add_command(subparsers) -> None:
    p = subparsers.add_parser(
        "evolve", help="evolve approximation programs for a function (Pareto front of max "
                       "relative error vs op count); a short form of a `program` search")
    p.add_argument("function", nargs="?", help=f"one of: {', '.join(sorted(TARGETS))}, or an "
                   "expression in x such as \"1/sqrt(x)\" (reference: mpmath at 50 digits)")
    p.add_argument("--interval", nargs=2, type=float, metavar=("A", "B"))
    p.add_argument("--max-ops", type=int, default=None)
    p.add_argument("--seconds", type=float, default=None, help="search time budget (default 60)")
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--workers", type=int, default=None, help="worker processes (default 2)")
    p.add_argument("--islands", type=int, default=None, help="islands (default 2)")
    p.add_argument("--generations", type=int, default=None,
                   help="children per island (per round with --rounds; exactly reproducible "
                        "runs)")
    p.add_argument("--rounds", type=int, default=None, help="evolution rounds (default: 1 with "
                   "--generations, else the budget in rounds of --round-seconds)")
    p.add_argument("--round-seconds", type=float, default=None,
                   help="seconds per round (default 10)")
    p.add_argument("--no-cache", action="store_true",
                   help="do not reuse fits from the functional hash table")
    p.add_argument("--optional-ops", action="store_true", help="allow fma, sqrt, scaling")
    p.add_argument("--no-newton", action="store_true",
                   help="without the Newton-step move (for 1/x, sqrt, 1/sqrt, cbrt, 1/cbrt)")
    p.add_argument("--no-compose", action="store_true",
                   help="without the move composing a program with one of the front")
    p.add_argument("--search", metavar="FILE", help="read the search from a search file "
                   "(kind = \"program\"); options given here override its fields")
    p.add_argument("--store", metavar="PATH", help="record the run in this store (resumes the "
                   "same search there; default: a temporary store)")
    p.add_argument("--new-run", action="store_true", help="start afresh even if the store holds "
                   "a run of the same search")
    p.add_argument("--cost", choices=("ops", "latency"), default="ops",
                   help="cost of a program on the front: its op count, or latency (a division "
                        "4 multiplies, a square root 5, an fma 1); both are reported")
    p.add_argument("--float32", action="store_true",
                   help="also round each front program's constants to float32, refit them in "
                        "float32 to the least max error in ULPs, and check both exhaustively "
                        "over every float32 in the interval (max ULP error before/after the "
                        "refit; 'below 1 ULP' reported)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_evolve)


def _read_toml(path: str) -> dict:
    try:
        import tomllib
    except ImportError:  # pragma: no cover
        import tomli as tomllib
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except OSError as err:
        raise EvolveError(f"cannot read search file {path}: {err}") from None
    except tomllib.TOMLDecodeError as err:
        raise EvolveError(f"{path}: not valid TOML ({err})") from None


def read_search(path: str) -> dict:
    """A search file of kind ``program`` as a dict; the old ``[evolve]`` table is refused with
    the way to convert it."""
    data = _read_toml(path)
    if "evolve" in data:
        raise EvolveError(
            f"{path}: field 'evolve': the [evolve] table is the old format of evolve search "
            f"files (fix: rename [evolve] to [generator], move `workers` to a new [search] "
            f"table with name = \"...\" and kind = \"program\"; see "
            f"searches/exp2_programs.toml)")
    kind = data.get("search", {}).get("kind") if isinstance(data.get("search"), dict) else None
    if kind != "program":
        raise EvolveError(f"{path}: field 'search.kind': {kind!r} is not a program search (fix: "
                          f"write kind = \"program\" in [search], or use `discover run {path}`)")
    return data


def build_search(args) -> dict:
    """The search dict of the command line (over ``--search FILE`` when given)."""
    if args.search:
        data = read_search(args.search)
        data = {k: dict(v) if isinstance(v, dict) else v for k, v in data.items()}
    else:
        data = {"search": {"kind": "program"}, "generator": {}}
    gen = data.setdefault("generator", {})
    given = {"function": args.function, "max_ops": args.max_ops, "seconds": args.seconds,
             "seed": args.seed, "generations": args.generations, "rounds": args.rounds,
             "round_seconds": args.round_seconds, "islands": args.islands}
    if args.interval is not None:
        given["interval"] = [float(v) for v in args.interval]
    for k, v in given.items():
        if v is not None:
            gen[k] = v
    if args.no_cache:
        gen["cache"] = False
    if args.optional_ops:
        gen["optional_ops"] = True
    if getattr(args, "no_newton", False):
        gen["newton"] = False
    if getattr(args, "no_compose", False):
        gen["compose"] = False
    if isinstance(gen.get("max_ops"), int) and gen["max_ops"] < 2:
        raise EvolveError(f"--max-ops {gen['max_ops']}: the budget is below the minimum of 2 "
                          f"operations (fix: --max-ops 2 or more)")
    if not gen.get("function"):
        raise EvolveError(f"no function given; valid choices: {', '.join(sorted(TARGETS))}")
    if gen.get("interval") is None:
        raise EvolveError("no interval given: use --interval A B")
    if gen.get("generations") is not None and gen.get("rounds") is None and not args.search:
        gen["rounds"] = 1     # --generations G alone: G children per island, as always
    s = data.setdefault("search", {})
    s.setdefault("name", f"evolve-{gen['function']}")
    s.setdefault("description", f"discover evolve {gen['function']}")
    s.setdefault("workers", 2)
    if args.workers is not None:
        s["workers"] = args.workers
    return data


def float32_report(prog, target, a: float, b: float) -> dict:
    """The program for float32: its constants rounded to float32, then refitted to minimise
    the maximum error in float32 ULPs of the true value (:func:`.fit.refit_float32_ulp`),
    both checked exhaustively over every float32 in [a, b]. ``max_ulp_rounded`` is the
    rounded program's, ``max_ulp_refit`` the refitted one's; ``max_ulp``, ``constants`` and
    ``c`` are those of the better of the two (``refit_kept``)."""
    import numpy as np

    from .fit import refit_float32_ulp
    from .functions import dd_reference
    from .search import check_grid
    from .verify import float32_exhaustive, float32_reference, float32_sample

    xs = np.unique(np.concatenate([check_grid(a, b).astype(np.float32).astype(np.float64),
                                   float32_sample(a, b)]))
    xs = xs[(xs >= a) & (xs <= b)]
    npref = float32_reference(target)
    if npref is not None:
        with np.errstate(all="ignore"):
            hi, lo = npref(xs), np.zeros_like(xs)
    else:
        hi, lo = dd_reference(target, xs)
    keep = (hi != 0) & np.isfinite(hi)
    rounded = prog.copy()
    for i in rounded.free_constants():
        rounded.c[i] = float(np.float32(rounded.c[i]))
    q, _ = refit_float32_ulp(prog, xs[keep], hi[keep], lo[keep])
    before = float32_exhaustive(rounded, target, a, b)
    after = float32_exhaustive(q, target, a, b)
    b_ulp, a_ulp = before.get("max_ulp"), after.get("max_ulp")
    kept = a_ulp is not None and (b_ulp is None or a_ulp <= b_ulp)
    out = dict(after if kept else before)
    q = q if kept else rounded
    out.update(max_ulp_rounded=b_ulp, max_ulp_refit=a_ulp, refit="ulp", refit_kept=kept)
    out.update(c=q.to_c("f", ctype="float", comment=(
        f"float32: max error {out['max_ulp']:.3f} ULP over all {out['points']} float32 in "
        f"[{a}, {b}] (exhaustive)" if out.get("max_ulp") is not None else None)),
        constants=[float(v) for v in q.c])
    return out


def run_evolve(data: dict, *, store=None, new_run: bool = False, plugins=None,
               workers: int | None = None, progress=None, baselines: bool = True,
               cost: str = "ops", float32: bool = False) -> dict:
    """Run the search ``data`` through the engine and return the output of ``--json``."""
    import tempfile

    from discover.api import run
    from discover.store import Store

    from .search import baselines as make_baselines

    workers = workers or data.get("search", {}).get("workers") or 2
    with tempfile.TemporaryDirectory(prefix="discover-evolve-") as tmp:
        path = store or f"{tmp}/evolve.sqlite"
        summary = run(data, store=path, workers=workers, plugins=plugins, new_run=new_run,
                      progress=progress)
        with Store(path, readonly=True) as st:
            last = st.last_round(summary.run_id)
            rounds = st.rounds(summary.run_id)
    params = summary.search["params"]
    state = last[1]["generator"] if last else {}
    a, b = params["interval"]
    front = []
    best = math.inf
    recs = [r for r in summary.discoveries if r.kind == "program"]
    for rec in sorted(recs, key=lambda r: (r.measures.get("ops", 0), r.id or 0)):
        m, p = rec.measures, rec.params
        err = m.get("max_rel_error")
        if err is None or not math.isfinite(err) or err >= best:
            continue   # the dense check took away its advantage over a shorter program
        best = err
        item = {"ops": m.get("ops", p.get("ops")), "optional_ops": m.get("optional_ops", 0),
                "fit_error": m.get("fit_error"), "family": p.get("family", ""),
                "id": p.get("evolved_id", ""), "valid": True}
        for k in ("points", "max_rel_error", "worst_x", "max_rel_error_exact", "float32_ulps",
                  "bound", "bound_exact"):
            item[k] = m.get(k)
        item.update(python=p.get("python"), c=p.get("c"), text=p.get("text", rec.text),
                    program=p.get("program"), discovery=rec.id)
        if p.get("program"):
            from .program import Program

            prog = Program.from_dict(p["program"])
            item["cost_ops"] = prog.cost("ops")
            item["cost_latency"] = prog.cost("latency")
            note = (f"max relative error {err:.3e} measured on {m.get('points')} points "
                    f"(50-digit reference)")
            if m.get("bound") is not None:
                note = (f"max relative error <= {m['bound']:.3e} proven (float64 evaluation, "
                        f"arb); " + note)
            item["c"] = prog.to_c("f", comment=note)
            if float32:
                item["float32"] = float32_report(prog, get_target(params["function"], a, b),
                                                 a, b)
        front.append(item)
    if cost == "latency":
        kept, best_e = [], math.inf
        for item in sorted(front, key=lambda f: (f.get("cost_latency", 0), f["max_rel_error"])):
            if item["max_rel_error"] < best_e:
                kept.append(item)
                best_e = item["max_rel_error"]
        front = kept
    stats = dict(state.get("stats", {}))
    stats["cache_hit_rate"] = stats["hits"] / stats["lookups"] if stats.get("lookups") else 0.0
    stats.update(seed_seconds=state.get("seed_seconds"), seeds=state.get("seeds"),
                 rounds=len([r for r in rounds if r["status"] == "done"]),
                 hash_table=summary.stats.get("hash_table", {}))
    base = []
    if baselines:
        base = make_baselines(get_target(params["function"], a, b), a, b, params["max_ops"])
    return {"function": params["function"], "interval": [a, b], "max_ops": params["max_ops"],
            "cost": cost,
            "seed": params["seed"], "workers": workers, "islands": params["islands"],
            "seconds": round(sum(r["seconds"] or 0 for r in rounds), 2),
            "run": summary.run_id, "status": summary.status, "store": store,
            "stats": stats, "front": front,
            "baselines": [{k: v for k, v in bl.items() if k != "program"} for bl in base],
            "history": [list(h) for h in state.get("history", [])]}


def cmd_evolve(args) -> int:
    try:
        data = build_search(args)
        out = run_evolve(data, store=args.store, new_run=args.new_run,
                         plugins=getattr(args, "_plugins", None), workers=args.workers,
                         cost=args.cost, float32=args.float32)
    except SearchFileError as err:
        if err.field.startswith("generator.") and not args.search:
            name = err.field.split(".", 1)[1].split("[", 1)[0]
            opt = OPTIONS.get(name, err.field)
            raise EvolveError(f"{opt}: {err.problem}" + (f" (fix: {err.fix})" if err.fix
                                                          else "")) from None
        raise
    if args.json:
        print(json.dumps(out, indent=1))
    else:
        print(format_table(out))
    if out["status"] == "interrupted":
        print("interrupted: run the same command with the same --store to resume",
              file=sys.stderr)
        return 130
    return 0 if out["status"] == "complete" else 1


def format_table(out: dict) -> str:
    best = {}
    for bl in out["baselines"]:
        key = (bl["method"], bl["ops"])
        best[key] = min(best.get(key, math.inf), bl["max_rel_error"])

    def base_at(method, ops):
        vals = [v for (m, o), v in best.items() if m == method and o <= ops]
        return f"{min(vals):.2e}" if vals else "-"

    lines = [f"{out['function']} on {out['interval']}: {out['seconds']} s, "
             f"{out['stats'].get('children', 0)} children, cache hit rate "
             f"{out['stats']['cache_hit_rate']:.1%}",
             f"{'ops':>4} {'evolved':>10} {'bound':>10} {'taylor':>10} {'minimax':>10} "
             f"{'rational':>10} {'pade':>10}  family"]
    for f in out["front"]:
        bound = "-" if f.get("bound") is None else f"{f['bound']:.2e}"
        err = f.get("max_rel_error", f["fit_error"])
        lines.append(f"{f['ops']:>4} {err:>10.2e} {bound:>10} {base_at('taylor', f['ops']):>10}"
                     f" {base_at('minimax', f['ops']):>10} {base_at('rational', f['ops']):>10}"
                     f" {base_at('pade', f['ops']):>10}  "
                     f"{f['family']}  latency {f.get('cost_latency', '-')}"
                     + (f"  float32 {f['float32']['max_ulp']:.2f} ULP"
                        + (" (below 1 ULP)" if f['float32'].get('below_1ulp') else "")
                        if f.get("float32", {}).get("max_ulp") is not None else ""))
    return "\n".join(lines)
