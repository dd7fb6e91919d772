"""What the float32 ULP refit, the Newton-step move and the composition move change (by hand,
not a test; 2 cores).

    python benchmarks/bench_evolve_moves.py                     # all three, 30 s searches
    python benchmarks/bench_evolve_moves.py --only newton --seconds 30 --seeds 1 2 3
    python benchmarks/bench_evolve_moves.py --only float32 --quick   # skips log1p on [0, 1]

1. **float32 refit**: a fitted program, its constants rounded to float32, then refitted in
   float32 two ways -- for the least max *relative* error (the previous refit) and for the
   least max error in *ULPs of the true value* (`fit.refit_float32_ulp`, what `--float32`
   runs now) -- each checked exhaustively over every float32 in the interval.
2. **Newton step**: `discover evolve "1/sqrt(x)" --interval 1 4 --max-ops 10 --seconds S
   --seed N --no-compose`, with and without `--no-newton`: the verified front at each op
   count (max relative error, float64 evaluation, dense 50-digit check).
3. **composition**: `discover evolve exp --interval 0 1 --max-ops 10 --seconds S --seed N`
   (or `--compose-function F --compose-interval A B`), with and without `--no-compose`.

Searches with a time budget depend on the machine's load: quote medians over a few seeds.
"""

import argparse
import math
import statistics
import time

import numpy as np

from discover_plugins.evolve.cli import run_evolve
from discover_plugins.evolve.fit import fit_constants, polish_rounded, refit_float32_ulp
from discover_plugins.evolve.functions import get_target
from discover_plugins.evolve.search import check_grid, make_grids, newton_step, seeds
from discover_plugins.evolve.verify import (float32_exhaustive, float32_reference,
                                            float32_sample)


def float32_refit(quick: bool) -> None:
    cases = [("1/sqrt(x)", 1.0, 16.0, "rational2/2"), ("1/sqrt(x)", 1.0, 16.0, "horner4"),
             ("1/sqrt(x)", 1.0, 4.0, "rational2/2"), ("1/sqrt(x)", 1.0, 4.0, "rational3/3"),
             ("1/sqrt(x)", 1.0, 4.0, "rational1/1+newton")]
    if not quick:
        cases.append(("log1p", 0.0, 1.0, "rational2/2"))
    print("1. float32 refit: exhaustive max error in ULPs of the true value")
    for fn, a, b, fam in cases:
        t = get_target(fn, a, b)
        g = make_grids(t, a, b)
        base = fam.split("+")[0]
        p = [p for p in seeds(t, a, b, 14, cf=False) if p.meta.get("family") == base][0]
        q, _ = fit_constants(p, g.fxs, g.ffx)
        if fam.endswith("+newton"):
            q, _ = fit_constants(newton_step(q, t.power), g.fxs, g.ffx)
        xs = np.unique(np.concatenate([check_grid(a, b).astype(np.float32).astype(np.float64),
                                       float32_sample(a, b)]))
        hi = float32_reference(t)(xs)
        keep = hi != 0
        xs, hi = xs[keep], hi[keep]
        rounded = q.copy()
        for i in rounded.free_constants():
            rounded.c[i] = float(np.float32(rounded.c[i]))
        t0 = time.time()
        rel, _ = polish_rounded(q, xs, hi, np.zeros_like(hi), dtype=np.float32)
        t_rel = time.time() - t0
        t0 = time.time()
        ulp, _ = refit_float32_ulp(q, xs, hi)
        t_ulp = time.time() - t0
        figs = [float32_exhaustive(v, t, a, b) for v in (rounded, rel, ulp)]
        print(f"   {fn} on [{a:g}, {b:g}], {fam} ({q.ops} ops), {figs[0]['points']} floats: "
              f"rounded {figs[0]['max_ulp']:.1f}  relative refit {figs[1]['max_ulp']:.1f} "
              f"({t_rel:.1f} s)  ULP refit {figs[2]['max_ulp']:.1f} ({t_ulp:.1f} s)  "
              f"-> x{figs[2]['max_ulp'] / figs[0]['max_ulp']:.2f} of rounded, "
              f"x{figs[2]['max_ulp'] / figs[1]['max_ulp']:.2f} of relative refit")


def front_of(fn, a, b, max_ops, seconds, seed, **switches):
    gen = {"function": fn, "interval": [a, b], "max_ops": max_ops, "seconds": seconds,
           "seed": seed}
    gen.update(switches)
    data = {"search": {"name": f"bench-moves-{fn}", "kind": "program", "workers": 2},
            "generator": gen}
    out = run_evolve(data, baselines=False)
    front = {f["ops"]: f["max_rel_error"] for f in out["front"]}
    return {k: min((v for o, v in front.items() if o <= k), default=math.nan)
            for k in range(1, max_ops + 1)}, out["stats"].get("children", 0)


def ablation(title, fn, a, b, max_ops, seconds, seeds_, switch, base, show):
    print(f"{title}: {fn} on [{a:g}, {b:g}], {max_ops} ops, {seconds:g} s, seeds {seeds_} "
          f"(best max relative error at <= k ops, median over seeds)")
    rows = {}
    for on in (True, False):
        fronts = []
        for s in seeds_:
            f, kids = front_of(fn, a, b, max_ops, seconds, s, **base, **{switch: on})
            fronts.append(f)
            print(f"   {'with' if on else 'without'} {switch}, seed {s} ({kids} children): "
                  + "  ".join(f"{k}: {f[k]:.2e}" for k in show))
        rows[on] = {k: statistics.median(f[k] for f in fronts) for k in show}
    for on in (True, False):
        print(f"   median {'with' if on else 'without'} {switch}: "
              + "  ".join(f"{k}: {rows[on][k]:.2e}" for k in show))
    print("   ratio with/without: " + "  ".join(f"{k}: {rows[True][k] / rows[False][k]:.2g}"
                                                for k in show))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", choices=("float32", "newton", "compose"))
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    ap.add_argument("--quick", action="store_true", help="float32: skip log1p on [0, 1]")
    ap.add_argument("--compose-function", default="exp",
                    help="the target of the composition ablation (default exp)")
    ap.add_argument("--compose-interval", nargs=2, type=float, default=[0.0, 1.0])
    args = ap.parse_args()
    if args.only in (None, "float32"):
        float32_refit(args.quick)
    if args.only in (None, "newton"):
        ablation("2. Newton step", "1/sqrt(x)", 1.0, 4.0, 10, args.seconds, args.seeds,
                 "newton", {"compose": False}, (5, 6, 7, 8, 9, 10))
    if args.only in (None, "compose"):
        a, b = args.compose_interval
        ablation("3. composition", args.compose_function, a, b, 10, args.seconds, args.seeds,
                 "compose", {}, (4, 6, 8, 10))


if __name__ == "__main__":
    main()
