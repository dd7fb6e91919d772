"""Integer relations: python-flint's LLL against mpmath's PSLQ on bases of library constants.

    python benchmarks/bench_identify.py [--sizes 4 10 30 60]

For each size n, the basis is ``[x, 1, c_1, ..., c_(n-2)]`` with the first library constants and
``x = 3 c_2 - 2 c_(n-2) + 7 c_(n/2) + 1`` (a known relation), at ``60 + 2.5 n`` digits; both
algorithms must find a relation, and their times are printed (median of a few runs), with the
identification of a Moebius transform of a product (``(3 + 2 pi G^2)/(5 - pi G^2)``) over the
whole library.
"""

from __future__ import annotations

import argparse
import statistics
import time

import mpmath

from discover.constants import default_registry
from discover.identification import identify, integer_relation


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[4, 10, 30, 60])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    reg = default_registry()
    names = reg.names()
    print(f"{'basis':>5} {'digits':>6} {'lll s':>9} {'pslq s':>9}  relation found (lll / pslq)")
    for size in args.sizes:
        dps = int(60 + 2.5 * size)
        with mpmath.workdps(dps + 20):
            vals = [reg.get(n).value(dps + 20) for n in names[:max(size - 2, 2)]]
            x = 3 * vals[min(1, len(vals) - 1)] - 2 * vals[-1] + 7 * vals[len(vals) // 2] + 1
            basis = ([x, mpmath.mpf(1)] + vals)[:size]
            out = {}
            for algo in ("lll", "pslq"):
                times = []
                for _ in range(args.repeat if size <= 30 or algo == "lll" else 1):
                    t = time.perf_counter()
                    rel, _ = integer_relation(basis, int(dps * 0.85), 10 ** 6, algo,
                                              maxsteps=10 ** 5)
                    times.append(time.perf_counter() - t)
                out[algo] = (statistics.median(times), rel is not None)
        print(f"{size:>5} {dps:>6} {out['lll'][0]:>9.4f} {out['pslq'][0]:>9.4f}  "
              f"{out['lll'][1]} / {out['pslq'][1]}")
    value = mpmath.nstr(reg.evaluate("(3 + 2*pi*gauss^2)/(5 - pi*gauss^2)", 80), 60)
    t = time.perf_counter()
    found = identify(value)
    dt = time.perf_counter() - t
    print(f"identify (3 + 2 pi G^2)/(5 - pi G^2) over {len(names)} constants and their "
          f"products: {found.expression} ({found.method}, {found.algorithm}, {found.tried} bases, "
          f"{dt:.2f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
