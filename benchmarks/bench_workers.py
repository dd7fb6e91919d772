"""Speed-up of local worker processes: the same search with 1 and with N workers, in one run.

Prints the median wall time of each (full runs: screen, refinement, verification, store) and the
ratio. Run by hand:  python benchmarks/bench_workers.py [--search searches/pi_mitm_paper.toml]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import discover
from discover.pluginmanager import get_plugin_manager

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--search", default=str(ROOT / "searches" / "pi_mitm_paper.toml"))
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    pl = get_plugin_manager(autoload=False)
    search = discover.load(args.search, plugins=pl)
    discover.run(search, store=Path(tempfile.mkdtemp()) / "warm.sqlite", workers=1,
                 max_shards=1, plugins=pl)       # compile and warm caches outside the clock
    times: dict[int, list[float]] = {1: [], args.workers: []}
    found = {}
    for _ in range(args.repeats):
        for w in times:                          # interleaved, so noise hits both alike
            with tempfile.TemporaryDirectory() as tmp:
                t0 = time.perf_counter()
                s = discover.run(search, store=Path(tmp) / "s.sqlite", workers=w, plugins=pl)
                times[w].append(time.perf_counter() - t0)
                found[w] = sorted(d.key for d in s.discoveries)
    assert found[1] == found[args.workers], "results differ between 1 and N workers"
    m1, mn = statistics.median(times[1]), statistics.median(times[args.workers])
    print(f"{search.name}: {s.candidates:,} candidates, {len(found[1])} formulas (identical)")
    print(f"1 worker : median {m1:.2f} s  {times[1]}")
    print(f"{args.workers} workers: median {mn:.2f} s  {times[args.workers]}")
    print(f"speed-up 1 -> {args.workers} workers: {m1 / mn:.2f}x")


if __name__ == "__main__":
    main()
