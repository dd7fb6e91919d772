"""Evolved programs against the classical baselines and the published figures (by hand, not a test).

    python benchmarks/bench_evolve.py                         # 2^x and e^x, 120 s each (2 cores)
    python benchmarks/bench_evolve.py --seconds 60 --functions exp2
    python benchmarks/bench_evolve.py --ablation              # what each piece of the issue changes
    python benchmarks/bench_evolve.py --seconds 30 --cache-compare   # fits reused from the store
    python benchmarks/bench_evolve.py --scaling log1p --seconds 30  # front vs workers, islands

Each search is what `discover evolve FUNCTION --interval 0 1 --max-ops K --seconds S --seed N`
runs: a `program` search on the engine (seeds in round 0, then rounds on two islands). For each
op count it prints the verified front (max relative error evaluated in float64 on >= 10^5 points
against a 50-digit reference, the same in extended precision, the arb bound), the relative
minimax polynomial and the best rational P_m/Q_n at the same op count (both built and fitted by
the tool), the published or the issue's goal figure, and the time the search took to first
reach the figure it reports (from the run's history, seed round included; "-" where the
figure came from the final polish of the front).

`--ablation` measures the three points of the issue separately on the 10-op structure (a
continued fraction with a removable singularity, then squarings): the evaluator without IEEE
division (the program is rejected), the constant fit from the natural start against the
multi-start fit, and the front with and without the continued-fraction seeds and moves; and
what the Remez exchange and the coth seeds (the published structure and its deeper kin) give.
"""

import argparse
import math
import time

import numpy as np

from discover_plugins.evolve.cli import run_evolve

GOALS = {"exp2": {8: ("goal", 1e-11), 10: ("goal (ANZ 3.5e-15)", 1.3e-15), 11: ("goal", 5e-16),
                  12: ("goal", 5e-16)},
         "exp": {10: ("goal", 3e-14), 11: ("goal", 8e-16)}}


def search(fn, args):
    gen = {"function": fn, "interval": list(args.interval), "max_ops": args.max_ops,
           "seconds": args.seconds, "seed": args.seed, "round_seconds": args.round_seconds}
    return {"search": {"name": f"bench-evolve-{fn}", "kind": "program", "workers": 2},
            "generator": gen}


def first_reached(history, ops, err):
    """The earliest time the search held a program of at most ``ops`` ops with a check-grid
    error at most ``err`` (None if its history never shows it)."""
    for t, o, e in sorted(history):
        if o <= ops and e <= err * 1.0000001:
            return t
    return None


def table(fn, out, wall):
    base = {}
    for b in out["baselines"]:
        key = (b["method"], b["ops"])
        base[key] = min(base.get(key, math.inf), b["max_rel_error"])

    def best(method, ops):
        vals = [v for (m, o), v in base.items() if m == method and o <= ops]
        return min(vals) if vals else math.nan

    st = out["stats"]
    a, b = out["interval"]
    print(f"\n{fn} on [{a:g}, {b:g}]: {out['seconds']} s search in {st['rounds']} rounds, {wall:.1f} s "
          f"wall with verification and baselines; {st['children']} children, seeds "
          f"{st['seed_seconds']} s")
    print(f"{'ops':>4} {'float64':>9} {'exact':>9} {'bound':>9} {'minimax':>9} {'rational':>9}"
          f" {'figure':>22} {'reached':>8}  family")
    for ops in range(4, out["max_ops"] + 1):
        ev = [f for f in out["front"] if f["ops"] <= ops]
        goal = GOALS.get(fn, {}).get(ops) if out["interval"] == [0.0, 1.0] else None
        fig = f"{goal[0]} {goal[1]:.1e}" if goal else ""
        if not ev:
            continue
        e = ev[-1]
        bound = "-" if e.get("bound") is None else f"{e['bound']:.2e}"
        t = first_reached(out["history"], ops, e["fit_error"]) if e.get("fit_error") else None
        if t is not None:
            t += st["seed_seconds"] or 0.0      # history clocks start after the seed round
        met = "" if goal is None else ("  met" if e["max_rel_error"] <= goal[1] else "  not met")
        print(f"{ops:>4} {e['max_rel_error']:>9.2e} {e['max_rel_error_exact']:>9.2e} {bound:>9} "
              f"{best('minimax', ops):>9.2e} {best('rational', ops):>9.2e} {fig:>22} "
              f"{'-' if t is None else f'{t:.1f} s':>8}  {e['family']}{met}")


def time_to_front(history, front):
    """When the run's history first held programs as good as every one of ``front``."""
    want = {f["ops"]: f["fit_error"] for f in front}
    best = {}
    for t, ops, err in sorted(history):
        best[ops] = min(best.get(ops, math.inf), err)
        if all(min((v for k, v in best.items() if k <= o), default=math.inf) <= e * 1.0000001
               for o, e in want.items()):
            return t
    return None


def cache_compare(fn, args):
    """The same search run twice in one store: the second run reads every structure the first
    fitted from the store's functional hash table (stage ``fit``)."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        store = f"{tmp}/bench.sqlite"
        first = run_evolve(search(fn, args), store=store, baselines=False)
        t0 = time.time()
        again = run_evolve(search(fn, args), store=store, new_run=True, baselines=False)
        fit = again["stats"]["hash_table"].get("fit", {})
        print(f"{fn}: time to the first run's front: first run "
              f"{time_to_front(first['history'], first['front'])} s, second run (fits from the "
              f"store) {time_to_front(again['history'], first['front'])} s; second run: fit "
              f"table {fit.get('hits', 0)}/{fit.get('lookups', 0)} hits, "
              f"{again['stats']['fits']} fits ({time.time() - t0:.1f} s wall)")


def ablation(seconds=30.0):
    """The three points of the issue, each measured on its own."""
    from discover_plugins.evolve.fit import (fit_constants, fit_multistart, max_rel_error,
                                             polish_extended, polish_grid, polish_rounded)
    from discover_plugins.evolve.functions import TARGETS, dd_reference
    from discover_plugins.evolve.program import eval_population
    from discover_plugins.evolve.search import (_pade_cf, cf_program, make_grids, pole_cf3,
                                                symmetric_cf3)
    from discover_plugins.evolve.verify import measure

    t = TARGETS["exp2"]
    g = make_grids(t, 0.0, 1.0)
    p = cf_program(*_pade_cf(t, 0.0, 3, 3), squarings=3, centre=0.0)
    _, st = eval_population([p], np.array([0.0, 0.5, 1.0]))
    print(f"\n1. IEEE division: c/(x + c/x) structure (10 ops) at x = 0: status {st[0]} (0 = "
          f"accepted; without IEEE division, status 1: rejected)")
    gc = make_grids(t, -0.5, 0.5)
    q = cf_program(*_pade_cf(t, 0.0, 3, 3), squarings=3, centre=0.0)
    q1, _ = fit_constants(q, gc.fxs, gc.ffx)
    e1 = max_rel_error(q1, gc.cxs, gc.cfx)
    t0 = time.time()
    _, e2 = fit_multistart(q, gc.fxs, gc.ffx, starts=12, check=(gc.cxs, gc.cfx))
    print(f"2. the published 10-op structure on [-1/2, 1/2] (float64, check grid): natural "
          f"start {e1:.2e}, multi-start {e2:.2e} ({time.time() - t0:.1f} s)")
    xs = polish_grid(0.0, 1.0)
    hi, lo = dd_reference(t, xs)
    for label, cf in (("Pade start", _pade_cf(t, 0.5, 3, 3)),
                      ("symmetric start", symmetric_cf3(t, 0.0, 1.0, 0.5, 3))):
        q = cf_program(*cf, squarings=3, centre=0.5)
        q1, _ = fit_multistart(q, g.fxs, g.ffx, starts=12, check=(g.cxs, g.cfx))
        m1 = measure(q1, t, 0.0, 1.0, n=20001)
        q2, _ = polish_extended(q1, xs, hi, lo)
        q2, _ = polish_rounded(q2, xs, hi, lo)
        m2 = measure(q2, t, 0.0, 1.0, n=20001)
        print(f"   11 ops on [0, 1], {label}: multi-start {m1['max_rel_error']:.2e} (exact "
              f"{m1['max_rel_error_exact']:.2e}); + extended and float64-rounded polish "
              f"{m2['max_rel_error']:.2e} (exact {m2['max_rel_error_exact']:.2e})")
    for fn in ("exp2", "exp"):
        tf = TARGETS[fn]
        xf = polish_grid(0.0, 1.0)
        hf, lf = dd_reference(tf, xf)
        row = []
        for label, fit in (("symmetric", symmetric_cf3), ("pole_cf3 (no symmetry)", pole_cf3)):
            t0 = time.time()
            q = cf_program(*fit(tf, 0.0, 1.0, 0.0, 3), squarings=3, centre=0.0)
            q, _ = polish_extended(q, xf, hf, lf)
            q, _ = polish_rounded(q, xf, hf, lf)
            m = measure(q, tf, 0.0, 1.0, n=20001)
            row.append(f"{label} {m['max_rel_error']:.2e} (exact {m['max_rel_error_exact']:.2e}, "
                       f"{time.time() - t0:.1f} s)")
        print(f"   10 ops on [0, 1], {fn}, c0 + B/(x + C + k/(x + m/x)) then 3 squarings, "
              f"polished: " + "; ".join(row))
    from discover_plugins.evolve.fit import remez_polish
    from discover_plugins.evolve.search import Fitter, coth_seeds

    for fn in ("exp2", "exp"):
        tf = TARGETS[fn]
        xf = polish_grid(0.0, 1.0)
        hf, lf = dd_reference(tf, xf)
        t0 = time.time()
        q = cf_program(*pole_cf3(tf, 0.0, 1.0, 0.0, 3), squarings=3, centre=0.0)
        q, _ = polish_extended(q, xf, hf, lf)
        e_ext = measure(q, tf, 0.0, 1.0, n=20001)["max_rel_error_exact"]
        q, _ = remez_polish(q, tf, xf, hf, lf)
        e_rem = measure(q, tf, 0.0, 1.0, n=20001)["max_rel_error_exact"]
        print(f"4. {fn}, c0 + B/(x + C + k/(x + m/x)) then 3 squarings (10 ops), exact: extended "
              f"polish {e_ext:.3e}, Remez exchange {e_rem:.3e} (the structure's minimax, "
              f"{time.time() - t0:.1f} s)")
        fitter = Fitter(None, fn, 0.0, 1.0, make_grids(tf, 0.0, 1.0))
        row = []
        for p in coth_seeds(tf, 0.0, 1.0, 12):
            if p.meta["family"] not in ("coth2sq3", "coth3sq1", "coth4sq0"):
                continue
            t0 = time.time()
            q, _ = fitter.fit_seed(p)
            m = measure(q, tf, 0.0, 1.0, n=20001)
            row.append(f"{p.meta['family']} ({q.ops} ops) {m['max_rel_error']:.2e} (exact "
                       f"{m['max_rel_error_exact']:.2e}, {time.time() - t0:.1f} s)")
        print(f"   {fn}, coth seeds (closed-form start + Remez exchange), float64: "
              + "; ".join(row))
    for structures in (False, True):
        data = search("exp2", argparse.Namespace(max_ops=12, seconds=seconds, seed=0,
                                                 round_seconds=10.0, interval=[0.0, 1.0]))
        data["generator"]["structures"] = structures
        t0 = time.time()
        out = run_evolve(data, baselines=False)
        front = {f["ops"]: f["max_rel_error"] for f in out["front"]}
        row = "  ".join(f"{k}: {min(v for o, v in front.items() if o <= k):.2e}"
                        for k in (8, 10, 11, 12) if any(o <= k for o in front))
        print(f"3. {'with' if structures else 'without'} continued-fraction seeds and structural "
              f"moves, {seconds:.0f} s: {row}  ({time.time() - t0:.0f} s wall)")


def scaling(fn="log1p", seconds=30.0, seeds=(0, 1, 2), max_ops=10):
    """The front against the number of worker processes and islands (islands run in the
    engine's rounds, one task per island; on more machines the same search runs on Dask): for
    each layout the median over ``seeds`` of the best verified error at 6, 8 and 10 ops, and
    the children evaluated. ``fn`` should have no exact seed (the coth seeds set the front of
    2^x and e^x in the seed round, whatever the workers)."""
    import statistics

    print(f"\n{fn} on [0, 1], {seconds:.0f} s per run, median over seeds {list(seeds)}:")
    for workers, islands in ((1, 2), (2, 2), (2, 4)):
        fronts, kids, walls = [], [], []
        for sd in seeds:
            data = {"search": {"name": f"bench-scaling-{fn}", "kind": "program",
                               "workers": workers},
                    "generator": {"function": fn, "interval": [0.0, 1.0], "max_ops": max_ops,
                                  "seconds": seconds, "seed": sd, "islands": islands,
                                  "round_seconds": 10.0}}
            t0 = time.time()
            out = run_evolve(data, baselines=False)
            walls.append(time.time() - t0)
            fronts.append({f["ops"]: f["max_rel_error"] for f in out["front"]})
            kids.append(out["stats"]["children"])
        row = []
        for k in (6, 8, 10):
            vals = [min((v for o, v in fr.items() if o <= k), default=math.inf) for fr in fronts]
            row.append(f"{k}: {statistics.median(vals):.2e}")
        print(f"  {workers} worker(s), {islands} islands: " + "  ".join(row)
              + f"  children {statistics.median(kids):.0f}, wall {statistics.median(walls):.0f} s")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=120)
    ap.add_argument("--round-seconds", type=float, default=10.0)
    ap.add_argument("--max-ops", type=int, default=12)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--functions", nargs="+", default=["exp2", "exp"])
    ap.add_argument("--interval", nargs=2, type=float, default=[0.0, 1.0],
                    help="the interval (the published 10-op 2^x program is symmetric about 0: "
                         "--interval -0.5 0.5 measures that structure without a centring op)")
    ap.add_argument("--ablation", action="store_true")
    ap.add_argument("--scaling", metavar="FUNCTION", default=None,
                    help="the front against workers and islands for FUNCTION (e.g. log1p)")
    ap.add_argument("--cache-compare", action="store_true",
                    help="also run each search twice in one store (fits from the hash table)")
    args = ap.parse_args()
    if args.ablation:
        ablation(args.seconds)
        return
    if args.scaling:
        scaling(args.scaling, args.seconds)
        return
    for fn in args.functions:
        t0 = time.time()
        out = run_evolve(search(fn, args))
        table(fn, out, time.time() - t0)
        if args.cache_compare:
            cache_compare(fn, args)


if __name__ == "__main__":
    main()
