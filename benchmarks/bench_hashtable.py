"""The persistent functional hash table: time saved on a second run of the same search.

For each search file, runs it twice on one fresh store (the second time with ``new_run``, as
``discover run FILE --new-run`` does), and prints both wall times, their ratio, and the hit rate
per stage of the functional hash table (``verify``: canonical formulas already verified against
the same claim; ``value``: values already identified; ``fit``: evolved program structures already
fitted; ``proof``: conjectures already settled). Medians over ``--repeats`` fresh stores.

Run by hand:  python benchmarks/bench_hashtable.py [--repeats 3] [--workers 2]
                  [--set generator.rounds=2 ...] [SEARCH ...]
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
DEFAULT = [ROOT / "searches" / "pi.toml", ROOT / "searches" / "zeta3.toml"]


def twice(search, pl, workers: int) -> tuple[float, float, dict, int, int]:
    with tempfile.TemporaryDirectory() as tmp:
        store = Path(tmp) / "s.sqlite"
        t0 = time.perf_counter()
        first = discover.run(search, store=store, workers=workers, plugins=pl)
        t1 = time.perf_counter()
        second = discover.run(search, store=store, workers=workers, plugins=pl, new_run=True)
        t2 = time.perf_counter()
    return (t1 - t0, t2 - t1, second.stats.get("hash_table", {}), len(first.discoveries),
            len(second.discoveries))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("searches", nargs="*", default=[str(p) for p in DEFAULT])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--set", action="append", default=[], metavar="TABLE.FIELD=VALUE")
    args = ap.parse_args()
    pl = get_plugin_manager(autoload=False)
    for path in args.searches:
        search = discover.load(path, plugins=pl, overrides=args.set)
        discover.run(search, store=Path(tempfile.mkdtemp()) / "warm.sqlite", workers=1,
                     plugins=pl, max_shards=1)      # compile kernels before the clock
        firsts, seconds, tables = [], [], []
        for _ in range(args.repeats):
            a, b, table, n1, n2 = twice(search, pl, args.workers)
            firsts.append(a)
            seconds.append(b)
            tables.append(table)
        f, s = statistics.median(firsts), statistics.median(seconds)
        print(f"{Path(path).name}: first run {f:.2f} s, second run {s:.2f} s "
              f"(first/second {f / s:.2f}x, medians of {args.repeats}); "
              f"{n1} discoveries, {n2} again on the second run")
        for stage, c in sorted(tables[-1].items()):
            print(f"  {stage:8} {c['hits']:>7} hits of {c['lookups']:>7} lookups "
                  f"({c.get('hit_rate', 0):.1%}) on the second run")


if __name__ == "__main__":
    main()
