"""Benchmark: the TIP IsaPlanner suite with the goal-directed prover.

Runs ``plugins.logic.prove_tip`` on every problem (default: ../shared/data/tip/isaplanner, or
tests/data/tip/isaplanner) with a per-problem budget, on a pool of worker processes, and prints
per problem: proved or not, seconds, lemmas used, then the total next to the published figures
and the median and worst time of the proved problems. Each claimed proof is re-verified by the
independent checker (``prove_tip`` does so; this script checks the written graph again).

    python benchmarks/bench_tip.py --seconds 10 --workers 2 [--json OUT.json] [DIR]
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from multiprocessing import Pool
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PUBLISHED = "HipSpec 80, Zeno 82, CVC4 80, Hipster 80-84 (of 85; ACL2s 74, IsaPlanner 47, Dafny 45)"


def one(job):
    path, seconds, out = job
    from plugins.logic import prove_tip
    from plugins.logic.checker import check_file

    t0 = time.monotonic()
    try:
        res = prove_tip(path, seconds=seconds, out=out)
    except Exception as exc:       # a refused construct: reported, not proved
        return {"problem": Path(path).stem, "proved": False, "seconds": time.monotonic() - t0,
                "error": f"{type(exc).__name__}: {exc}"}
    if res["proved"]:
        rep = check_file(res["graph"])
        res["checked"] = rep.ok and res["goal"] in rep.verified
        res["proved"] = res["checked"]
    return res


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder", nargs="?", default=None)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--json", default=None, help="write the per-problem results here")
    ap.add_argument("--only", default=None, help="comma-separated problem numbers")
    a = ap.parse_args(argv)
    folder = Path(a.folder) if a.folder else next(
        p for p in (ROOT.parent / "shared/data/tip/isaplanner", ROOT / "tests/data/tip/isaplanner")
        if p.exists())
    files = sorted(folder.glob("*.smt2"))
    if a.only:
        want = {int(x) for x in a.only.split(",")}
        files = [f for f in files if int(f.stem.split("_")[-1]) in want]
    out = tempfile.mkdtemp(prefix="bench-tip-")
    t0 = time.time()
    results = []
    import plugins.logic  # noqa: F401  (loaded once, before the workers fork)

    with Pool(a.workers) as pool:
        for r in pool.imap(one, [(str(f), a.seconds, out) for f in files], chunksize=1):
            results.append(r)
            why = r.get("error") or ("counterexample" if r.get("counterexample") else "")
            print(f"{r['problem']:10s} {'proved' if r['proved'] else '------':7s} "
                  f"{r['seconds']:7.2f} s  lemmas {len(r.get('lemmas', [])):2d}  {why[:90]}",
                  flush=True)
    wall = time.time() - t0
    proved = [r for r in results if r["proved"]]
    times = sorted(r["seconds"] for r in proved)
    print(f"\nproved with a checked proof: {len(proved)}/{len(results)} "
          f"({a.seconds:g} s per problem, {a.workers} workers, {wall:.0f} s wall)")
    print(f"published: {PUBLISHED}")
    if times:
        print(f"time per proved problem: median {statistics.median(times):.2f} s, "
              f"worst {times[-1]:.2f} s")
    print("unproved: " + " ".join(r["problem"] for r in results if not r["proved"]))
    if a.json:
        Path(a.json).write_text(json.dumps(results, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
