"""Evolved programs vs the relative minimax polynomial, run through the engine (by hand, not a test).

    python benchmarks/bench_evolve.py --seconds 600          # the full run (2 cores)
    python benchmarks/bench_evolve.py --seconds 60 --no-cache-compare
    python benchmarks/bench_evolve.py --seconds 20 --functions exp2

For 2^x on [0, 1] and e^x on [0, 1]: the verified front (dense 50-digit grid, arb bound) next to
the relative minimax polynomial at every op count, the published AutoNumerics-Zero figure
(10 ops: 3.5e-15) and gplearn's 4.2e-4 for e^x. Each search is what `discover evolve FUNCTION
--interval 0 1 --max-ops K --seconds S --seed N --workers 2` runs: a `program` search on the
engine (seeds in round 0, then rounds of --round-seconds on two islands).

With the cache comparison, the same search is run again in the same store (a new run): every
structure it meets was fitted by the first run and is read from the store's functional hash table
(stage ``fit``); the time to reach the first run's front with and without that table is printed.
"""

import argparse
import math
import tempfile
import time

from discover_plugins.evolve.cli import run_evolve


def search(fn, args, *, cache=True):
    gen = {"function": fn, "interval": [0.0, 1.0], "max_ops": args.max_ops,
           "seconds": args.seconds, "seed": args.seed, "round_seconds": args.round_seconds,
           "cache": cache}
    return {"search": {"name": f"bench-evolve-{fn}", "kind": "program", "workers": 2},
            "generator": gen}


def time_to_reach(history, front):
    want = {f["ops"]: f["fit_error"] for f in front}
    best = {}
    for t, ops, err in history:
        best[ops] = min(best.get(ops, math.inf), err)
        if all(min((v for k, v in best.items() if k <= o), default=math.inf) <= e * 1.0000001
               for o, e in want.items()):
            return t
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=600)
    ap.add_argument("--round-seconds", type=float, default=10.0)
    ap.add_argument("--max-ops", type=int, default=12)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--functions", nargs="+", default=["exp2", "exp"])
    ap.add_argument("--no-cache-compare", action="store_true")
    args = ap.parse_args()
    refs = {"exp2": "ANZ 10 ops: 3.5e-15", "exp": "gplearn: 4.2e-4"}
    for fn in args.functions:
        with tempfile.TemporaryDirectory() as tmp:
            store = f"{tmp}/bench.sqlite"
            t0 = time.time()
            out = run_evolve(search(fn, args), store=store)
            wall = time.time() - t0
            mm = {b["ops"]: b["max_rel_error"] for b in out["baselines"]
                  if b["method"] == "minimax"}
            st = out["stats"]
            print(f"\n{fn} on [0, 1], {out['seconds']} s in {st['rounds']} rounds ({wall:.1f} s "
                  f"wall with verification and baselines), {st['children']} children, cache hit "
                  f"rate {st['cache_hit_rate']:.1%}, seeds {st['seed_seconds']} s  "
                  f"({refs.get(fn, '')})")
            print(f"{'ops':>4} {'evolved':>10} {'bound':>10} {'minimax poly':>13} {'ratio':>8}")
            for ops in range(4, args.max_ops + 1):
                ev = [f for f in out["front"] if f["ops"] <= ops]
                e = ev[-1] if ev else None
                p = min((v for k, v in mm.items() if k <= ops), default=math.nan)
                if e is None:
                    print(f"{ops:>4} {'-':>10} {'-':>10} {p:>13.2e}")
                    continue
                bound = "-" if e.get("bound") is None else f"{e['bound']:.2e}"
                print(f"{ops:>4} {e['max_rel_error']:>10.2e} {bound:>10} {p:>13.2e} "
                      f"{p / e['max_rel_error']:>8.1f}")
            if not args.no_cache_compare:
                t_first = time_to_reach(out["history"], out["front"])
                t0 = time.time()
                again = run_evolve(search(fn, args), store=store, new_run=True,
                                   baselines=False)
                t_again = time_to_reach(again["history"], out["front"])
                fit = again["stats"]["hash_table"].get("fit", {})
                print(f"time to the first run's front: first run {t_first} s, second run "
                      f"(fits from the store) {t_again if t_again is not None else 'not reached'}"
                      f" s; second run: {again['stats']['children']} children, fit table "
                      f"{fit.get('hits', 0)}/{fit.get('lookups', 0)} hits, "
                      f"{again['stats']['fits']} fits ({time.time() - t0:.1f} s wall)")


if __name__ == "__main__":
    main()
