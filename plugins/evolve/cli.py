"""The ``discover evolve`` verb: search, verify, compare with baselines, print, store."""

from __future__ import annotations

import hashlib
import json
import math
import sys
import time

from .functions import EvolveError, TARGETS, get_target

MIN_OPS = 2
MIN_SECONDS = 1.0
SEARCH_FIELDS = {"function": str, "interval": list, "max_ops": int, "seconds": (int, float),
                 "seed": int, "workers": int, "generations": int}


def add_command(subparsers) -> None:
    p = subparsers.add_parser(
        "evolve", help="evolve approximation programs for a function (Pareto front of max "
                       "relative error vs op count)")
    p.add_argument("function", nargs="?", help=f"one of: {', '.join(sorted(TARGETS))}")
    p.add_argument("--interval", nargs=2, type=float, metavar=("A", "B"))
    p.add_argument("--max-ops", type=int, default=None)
    p.add_argument("--seconds", type=float, default=None, help="search time budget")
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--workers", type=int, default=None, help="worker processes (default 2)")
    p.add_argument("--generations", type=int, default=None,
                   help="children per worker (exactly reproducible runs)")
    p.add_argument("--no-cache", action="store_true", help="disable the functional-hash cache")
    p.add_argument("--optional-ops", action="store_true", help="allow fma, sqrt, scaling")
    p.add_argument("--search", metavar="FILE", help="read the settings from a TOML file")
    p.add_argument("--store", metavar="PATH", help="record the front in a discover store")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_evolve)


def read_search(path: str) -> dict:
    try:
        import tomllib
    except ImportError:  # pragma: no cover
        import tomli as tomllib
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except OSError as err:
        raise EvolveError(f"cannot read search file {path}: {err}") from None
    except tomllib.TOMLDecodeError as err:
        raise EvolveError(f"{path}: not valid TOML ({err})") from None
    sec = data.get("evolve")
    if not isinstance(sec, dict):
        raise EvolveError(f"{path}: field 'evolve': missing table [evolve] (fields: "
                          f"{', '.join(SEARCH_FIELDS)})")
    for k, v in sec.items():
        if k not in SEARCH_FIELDS:
            raise EvolveError(f"{path}: field 'evolve.{k}': unknown (valid fields: "
                              f"{', '.join(SEARCH_FIELDS)})")
        if not isinstance(v, SEARCH_FIELDS[k]) or isinstance(v, bool):
            raise EvolveError(f"{path}: field 'evolve.{k}': expected "
                              f"{getattr(SEARCH_FIELDS[k], '__name__', 'a number')}, got {v!r}")
    if "interval" in sec and (len(sec["interval"]) != 2 or not all(
            isinstance(x, (int, float)) for x in sec["interval"])):
        raise EvolveError(f"{path}: field 'evolve.interval': expected [A, B], "
                          f"got {sec['interval']!r}")
    return sec


def settings(args) -> dict:
    s = {"function": None, "interval": None, "max_ops": 10, "seconds": 60.0, "seed": 0,
         "workers": 2, "generations": None}
    if args.search:
        s.update(read_search(args.search))
    for k in ("function", "interval", "max_ops", "seconds", "seed", "workers", "generations"):
        v = getattr(args, k)
        if v is not None:
            s[k] = v
    if not s["function"]:
        raise EvolveError(f"no function given; valid choices: {', '.join(sorted(TARGETS))}")
    if s["interval"] is None:
        raise EvolveError("no interval given: use --interval A B")
    if s["max_ops"] < MIN_OPS:
        raise EvolveError(f"--max-ops {s['max_ops']} is below the minimum {MIN_OPS}")
    if s["seconds"] < MIN_SECONDS:
        raise EvolveError(f"--seconds {s['seconds']} is below the minimum {MIN_SECONDS}")
    if not 1 <= s["workers"] <= 64:
        raise EvolveError(f"--workers {s['workers']}: choose between 1 and 64")
    return s


def run_evolve(s: dict, *, cache=True, optional=False, verify=True) -> dict:
    from .search import Config, baselines, evolve, lineage_of
    from .verify import measure, prove_bound

    a, b = float(s["interval"][0]), float(s["interval"][1])
    target = get_target(s["function"], a, b)
    cfg = Config(s["function"], a, b, int(s["max_ops"]), seconds=float(s["seconds"]),
                 seed=int(s["seed"]), workers=int(s["workers"]), generations=s["generations"],
                 cache=cache, optional_ops=optional)
    t0 = time.time()
    res = evolve(cfg, target)
    search_seconds = time.time() - t0
    front = []
    best = math.inf
    for e in res["front"]:
        item = {"ops": e.ops, "optional_ops": e.prog.optional_ops, "fit_error": e.err,
                "family": e.prog.meta.get("family", ""), "id": e.id}
        if verify:
            m = measure(e.prog, target, a, b)
            if not m["valid"] or m["max_rel_error"] is None or not math.isfinite(
                    m["max_rel_error"]):
                continue   # divides by zero or overflows on the dense grid: never reported
            if m["max_rel_error"] >= best:
                continue   # the dense check took away its advantage over a shorter program
            best = m["max_rel_error"]
            item.update(m)
            item.update(prove_bound(e.prog, target, a, b))
        item["python"] = e.prog.to_python("f")
        item["c"] = e.prog.to_c("f")
        item["text"] = e.prog.text()
        item["program"] = e.prog.to_dict()
        item["lineage"] = lineage_of(e.id, res["lineage"])
        front.append(item)
    base = baselines(target, a, b, cfg.max_ops)
    return {"function": s["function"], "interval": [a, b], "max_ops": cfg.max_ops,
            "seed": cfg.seed, "workers": cfg.workers, "seconds": round(search_seconds, 2),
            "stats": res["stats"], "front": front,
            "baselines": [{k: v for k, v in bl.items() if k != "program"} for bl in base],
            "history": res["history"]}


def store_front(out: dict, path: str) -> list:
    import networkx as nx

    from discover.store import DiscoveryRecord, Store
    from .program import Program
    from .search import probe_grid
    from discover.hashing import vector_keys
    from .program import eval_population

    search = {k: out[k] for k in ("function", "interval", "max_ops", "seed", "workers")}
    h = hashlib.sha256(json.dumps(search, sort_keys=True).encode()).hexdigest()
    a, b = out["interval"]
    records = []
    for item in out["front"]:
        prog = Program.from_dict(item["program"])
        vals, _ = eval_population([prog], probe_grid(a, b))
        fkey = int(vector_keys(vals, digits=12)[0][0])
        key = f"program:{out['function']}:{a!r}:{b!r}:ops{item['ops']}:{fkey:x}"
        g = nx.DiGraph()
        g.graph["kind"] = "program"
        g.add_node("search", type="search", **{k: json.dumps(v) if isinstance(v, list) else v
                                                for k, v in search.items()})
        chain = list(reversed(item["lineage"]))
        prev = "search"
        for rec in chain:
            node = rec["id"]
            g.add_node(node, type="candidate", ops=rec["ops"], err=rec["err"],
                       family=rec.get("family", ""))
            g.add_edge(prev, node, relation="seeded" if rec["parent"] is None else
                       "mutated: " + ", ".join(rec["mutations"]))
            prev = node
        g.add_node("discovery", type="discovery", key=key, ops=item["ops"],
                   max_rel_error=item.get("max_rel_error"), bound=item.get("bound"))
        g.add_edge(prev, "discovery", relation="verified")
        err = item.get("max_rel_error") or item["fit_error"]
        rec = DiscoveryRecord(
            kind="program", key=key,
            params={"function": out["function"], "interval": out["interval"],
                    "ops": item["ops"], "program": item["program"], "python": item["python"]},
            digits=-math.log10(err) if err > 0 else 17.0, text=item["text"], latex=item["text"],
            verdict={"max_rel_error": item.get("max_rel_error"), "bound": item.get("bound"),
                     "bound_exact": item.get("bound_exact")},
            extra={"max_rel_error": item.get("max_rel_error"), "bound": item.get("bound")})
        records.append((rec, g))
    with Store(path) as st:
        run_id = st.create_run(f"evolve-{out['function']}", "program", h, search, "1", 1)
        written = st.record_shard(run_id, 0, records, candidates=out["stats"]["children"],
                                  hits=len(records), seconds=out["seconds"], stats=out["stats"])
        st.finish_run(run_id, "done", out["stats"])
    return written


def cmd_evolve(args) -> int:
    s = settings(args)
    out = run_evolve(s, cache=not args.no_cache, optional=args.optional_ops)
    if args.store:
        store_front(out, args.store)
    if args.json:
        slim = dict(out)
        slim["front"] = [{k: v for k, v in f.items() if k not in ("lineage",)}
                         for f in out["front"]]
        print(json.dumps(slim, indent=1))
        return 0
    print(format_table(out))
    return 0


def format_table(out: dict) -> str:
    best = {}
    for bl in out["baselines"]:
        key = (bl["method"], bl["ops"])
        best[key] = min(best.get(key, math.inf), bl["max_rel_error"])

    def base_at(method, ops):
        vals = [v for (m, o), v in best.items() if m == method and o <= ops]
        return f"{min(vals):.2e}" if vals else "-"

    lines = [f"{out['function']} on {out['interval']}: {out['seconds']} s, "
             f"{out['stats']['children']} children, cache hit rate "
             f"{out['stats']['cache_hit_rate']:.1%}",
             f"{'ops':>4} {'evolved':>10} {'bound':>10} {'taylor':>10} {'minimax':>10} "
             f"{'pade':>10}  family"]
    for f in out["front"]:
        bound = "-" if f.get("bound") is None else f"{f['bound']:.2e}"
        err = f.get("max_rel_error", f["fit_error"])
        lines.append(f"{f['ops']:>4} {err:>10.2e} {bound:>10} {base_at('taylor', f['ops']):>10}"
                     f" {base_at('minimax', f['ops']):>10} {base_at('pade', f['ops']):>10}  "
                     f"{f['family']}")
    return "\n".join(lines)
