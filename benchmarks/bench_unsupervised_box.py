"""The whole box of "Unsupervised Discovery of Formulas for Mathematical Constants", timed.

searches/unsupervised_box.toml: a(n), b(n) of degree <= 2, coefficients in [-5, 5], a != 0,
b != 0 (the paper's 1,768,900 PCFs; the sign symmetry of a keeps 884,450), matched against
Moebius transforms of pi, ln 2, Gauss's constant, the lemniscate constant, pi*G^2, Catalan,
zeta(2), zeta(3), e and sqrt 2. Prints, on this machine:

- candidates per second through each tier, measured on one core over the whole box: the
  float64 screen (depth 100), the float64 slow path (extrapolation, only the candidates that
  do not settle geometrically), the double-double refinement of slow candidates (a sample);
- the full run (``discover run``: screen, both refinements, 30-digit verification by the exact
  or the extrapolated method, identification, store) on ``--workers`` processes: wall time,
  candidates by status (path), verified formulas per constant and by method, next to the
  paper's budget (up to 900 core-hours, a 64-core cluster);
- the same run with ``slow = false`` (the fast-convergence path alone) and what it finds.

Run by hand:  python benchmarks/bench_unsupervised_box.py [--workers 2] [--repeats 1]
"""

from __future__ import annotations

import argparse
import collections
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

import discover
from discover.pluginmanager import get_plugin_manager

ROOT = Path(__file__).resolve().parent.parent
SEARCH = ROOT / "searches" / "unsupervised_box.toml"
PAPER_PCFS = 1_768_900
PAPER_BUDGET_CORE_HOURS = 900
PAPER_CORES = 64


def tier_rates(search, pl) -> dict:
    """Candidates per second of each kernel on one core, over the whole box."""
    from discover_plugins.cf.kernels import (EXTRAPOLATED, NOT_CONVERGED, OK, eval_pcf_dd_slow,
                                             eval_pcf_f64, eval_pcf_f64_slow)

    gen = pl.generator("pcf")
    p = search.params
    A_t, B_t = gen._box(p).tables()
    idx = np.arange(gen._size(p))
    A = np.ascontiguousarray(A_t[idx // B_t.shape[0]])
    B = np.ascontiguousarray(B_t[idx % B_t.shape[0]])
    eval_pcf_f64(A[:64], B[:64], 10)
    eval_pcf_f64_slow(A[:64], B[:64], 64, 4)
    eval_pcf_dd_slow(A[:8], B[:8], 256, 4)
    t = time.perf_counter()
    v, e, s = eval_pcf_f64(A, B, p["depth"])
    t_fast = time.perf_counter() - t
    scale = np.maximum(1.0, np.abs(v))
    route = np.flatnonzero((s == NOT_CONVERGED) | ((s == OK) & ~(e <= gen.FAST_STEP * scale)))
    t = time.perf_counter()
    _, _, s2 = eval_pcf_f64_slow(A[route], B[route], p["slow_depth"], p["slow_levels"],
                                 10.0 ** -p["slow_digits"])
    t_slow = time.perf_counter() - t
    sample = route[s2 == EXTRAPOLATED][:2000]
    t = time.perf_counter()
    eval_pcf_dd_slow(A[sample], B[sample], p["slow_refine_depth"], p["slow_refine_levels"])
    t_dd = time.perf_counter() - t
    return {"candidates": len(A), "fast_s": t_fast, "routed": len(route), "slow_s": t_slow,
            "extrapolated": int((s2 == EXTRAPOLATED).sum()), "dd_sample": len(sample),
            "dd_s": t_dd}


def full_run(pl, workers: int, slow: bool):
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        summary = discover.run(SEARCH, store=Path(tmp) / "box.sqlite", workers=workers,
                               plugins=pl, overrides=[f"generator.slow={str(slow).lower()}"],
                               yes=True)
        wall = time.perf_counter() - t
    return wall, summary


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=1, help="full runs per setting (median)")
    ap.add_argument("--no-fast-only", action="store_true",
                    help="skip the run with slow = false")
    args = ap.parse_args()

    pl = get_plugin_manager()
    search = discover.load(SEARCH, plugins=pl)
    from discover_plugins.cf.kernels import STATUS_NAMES

    size = pl.generator("pcf")._size(search.params)
    print(f"box: {size:,} candidates (the paper's {PAPER_PCFS:,} PCFs; a_first_positive keeps "
          f"one of a, -a: {PAPER_PCFS // 2:,})")

    r = tier_rates(search, pl)
    print("\ntiers, one core:")
    print(f"  float64 screen (depth {search.params['depth']}): {r['candidates']:,} in "
          f"{r['fast_s']:.2f} s = {r['candidates'] / r['fast_s']:,.0f} cand/s")
    print(f"  float64 slow path (depth {search.params['slow_depth']}, "
          f"{search.params['slow_levels']} levels): {r['routed']:,} routed in "
          f"{r['slow_s']:.2f} s = {r['routed'] / max(r['slow_s'], 1e-9):,.0f} cand/s; "
          f"{r['extrapolated']:,} extrapolated to {search.params['slow_digits']:g} digits")
    if r["dd_sample"]:
        print(f"  double-double slow refinement (depth {search.params['slow_refine_depth']}): "
              f"{r['dd_sample']:,} in {r['dd_s']:.2f} s = "
              f"{r['dd_sample'] / max(r['dd_s'], 1e-9):,.0f} cand/s")

    results = {}
    for slow in ([True] if args.no_fast_only else [True, False]):
        walls, summary = [], None
        for _ in range(args.repeats):
            wall, summary = full_run(pl, args.workers, slow)
            walls.append(wall)
        results[slow] = (statistics.median(walls), summary)
    wall, summary = results[True]
    st = summary.stats
    print(f"\nfull run, slow = true, {args.workers} workers: {wall:.1f} s "
          f"wall (median of {args.repeats}), {summary.candidates / wall:,.0f} cand/s end to end")
    print("  candidates by status: " + ", ".join(
        f"{STATUS_NAMES.get(int(c), c)} {n:,}" for c, n in sorted(st["status"].items(),
                                                                  key=lambda kv: int(kv[0]))))
    print("  stage seconds (summed over workers): " + ", ".join(
        f"{k} {v:.2f}" for k, v in st.get("stage_seconds", {}).items()))
    per = collections.Counter(d.constant for d in summary.discoveries)
    meth = collections.Counter(d.method for d in summary.discoveries)
    print(f"  verified formulas: {len(summary.discoveries)} "
          f"({', '.join(f'{k} {v}' for k, v in per.most_common())}); by method: "
          f"{', '.join(f'{k} {v}' for k, v in meth.most_common())}")
    core_hours = wall * args.workers / 3600
    print(f"  the paper: {PAPER_PCFS:,} PCFs, a budget of up to {PAPER_BUDGET_CORE_HOURS} "
          f"core-hours on a {PAPER_CORES}-core cluster; here {core_hours:.4f} core-hours "
          f"({PAPER_BUDGET_CORE_HOURS / max(core_hours, 1e-9):,.0f}x less)")
    if False in results:
        wall_f, fast = results[False]
        per_f = collections.Counter(d.constant for d in fast.discoveries)
        keys_f = {d.key for d in fast.discoveries}
        only_slow = [d for d in summary.discoveries if d.key not in keys_f]
        print(f"\nfast path alone (slow = false): {len(fast.discoveries)} formulas in "
              f"{wall_f:.1f} s ({', '.join(f'{k} {v}' for k, v in per_f.most_common())}); "
              f"the slow path adds {len(only_slow)}")


if __name__ == "__main__":
    main()
