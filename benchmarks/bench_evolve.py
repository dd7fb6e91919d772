"""Evolved programs vs the relative minimax polynomial (run by hand, not a test).

    python benchmarks/bench_evolve.py --seconds 600          # the full run (2 cores)
    python benchmarks/bench_evolve.py --seconds 60 --no-cache-compare

For 2^x on [0, 1] and e^x on [0, 1]: the verified front (dense 50-digit grid, arb bound) next to
the relative minimax polynomial at every op count, the published AutoNumerics-Zero figure
(10 ops: 3.5e-15) and gplearn's 4.2e-4 for e^x. With the cache comparison, the same search is run
without the functional-hash cache and the time to reach the cached run's final front is printed.
"""

import argparse
import math

from discover_plugins.evolve.cli import run_evolve


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
    ap.add_argument("--max-ops", type=int, default=12)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-cache-compare", action="store_true")
    args = ap.parse_args()
    for fn, ref in (("exp2", "ANZ 10 ops: 3.5e-15"), ("exp", "gplearn: 4.2e-4")):
        s = {"function": fn, "interval": [0.0, 1.0], "max_ops": args.max_ops,
             "seconds": args.seconds, "seed": args.seed, "workers": 2, "generations": None}
        out = run_evolve(s)
        mm = {b["ops"]: b["max_rel_error"] for b in out["baselines"] if b["method"] == "minimax"}
        print(f"\n{fn} on [0, 1], {out['seconds']} s, {out['stats']['children']} children, "
              f"cache hit rate {out['stats']['cache_hit_rate']:.1%}  ({ref})")
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
            from discover_plugins.evolve.cli import run_evolve as rerun
            t_cache = time_to_reach(out["history"], out["front"])
            nc = rerun(s, cache=False, verify=False)
            t_nocache = time_to_reach(nc["history"], out["front"])
            print(f"time to the cached run's front: with cache {t_cache} s, without "
                  f"{t_nocache if t_nocache is not None else 'not reached'} s")


if __name__ == "__main__":
    main()
