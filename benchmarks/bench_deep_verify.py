"""Deep verification: discover's PCF verifier against ramanujantools, measured in one run.

Run by hand (needs network access to PyPI for the ramanujantools side)::

    python benchmarks/bench_deep_verify.py [--count 1000] [--digits 100] [--apery-digits 10000]
                                           [--repeat 3] [--rt-python PATH]

1. ``count`` random PCFs with deg a = deg b = 2 (seeded; a's coefficients in [1, 5] x [-5, 5]
   x [1, 5], b's in [-5, 5] with a nonzero leading one; only candidates that converge to 130
   digits within depth 2000 and never terminate are kept). Their limits are computed first to
   130 digits (not timed). Each side then *verifies* every PCF to ``digits`` digits: depths
   grow from 32 until the side's own precision estimate supports ``digits`` digits, and the
   value is compared with the reference. discover: ``PCF.verify(value, digits)``;
   ramanujantools: ``PCF(a, b).limit(depth)`` doubling ``depth`` until
   ``Limit.precision() >= digits``, then ``|Limit.as_float() - value|`` is checked.
2. Apery's PCF (a = 34n^3+51n^2+27n+5, b = -n^6, limit 6/zeta(3)) to ``apery_digits`` correct
   digits. discover starts from nothing (``PCF.verify(6/zeta(3), digits)``, binary splitting,
   depth found by its error estimate); ramanujantools is given its best case: one call
   ``limit(N)`` at the depth discover needed (doubled only if its precision falls short).

ramanujantools is installed with pip into its own virtual environment in a temporary
directory and runs in a subprocess, so the two sides never share an interpreter. Medians of
``repeat`` runs are printed with the ratios. If it cannot be installed, only discover's figures
are printed.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import mpmath

from discover.constants import default_registry
from discover_plugins.cf.binsplit import deep_limit
from discover_plugins.cf.pcf import PCF

RT_SCRIPT = textwrap.dedent(r'''
    import json, sys, time, statistics
    sys.set_int_max_str_digits(0)
    import mpmath
    import sympy as sp
    from ramanujantools.pcf import PCF

    n = sp.Symbol("n")
    job = json.load(open(sys.argv[1]))

    def poly(c):
        return sum(int(x) * n ** (len(c) - 1 - i) for i, x in enumerate(c))

    def verify(a, b, claimed, digits, start):
        pcf = PCF(poly(a), poly(b))
        depth = start
        while True:
            lim = pcf.limit(depth)
            if lim.precision() >= digits or depth > 10 ** 6:
                break
            depth *= 2
        with mpmath.workdps(digits + 20):
            x = mpmath.mpf(lim.p()) / mpmath.mpf(lim.q())
            ok = abs(x - claimed) <= abs(claimed) * mpmath.mpf(10) ** (-digits)
        return bool(ok), depth

    out = {}
    items = job["pcfs"]
    with mpmath.workdps(job["digits"] + 30):
        claimed = [mpmath.mpf(c) for c in job["claimed"]]
    times, ok = [], 0
    for _ in range(job["repeat"]):
        t = time.perf_counter()
        ok = sum(verify(a, b, c, job["digits"], 32)[0] for (a, b), c in zip(items, claimed))
        times.append(time.perf_counter() - t)
    out["random"] = {"seconds": times, "verified": ok}
    with mpmath.workdps(job["apery_digits"] + 30):
        ap = mpmath.mpf(job["apery_claimed"])
    times = []
    for _ in range(job["repeat"]):
        t = time.perf_counter()
        okA, depth = verify([34, 51, 27, 5], [-1, 0, 0, 0, 0, 0, 0], ap, job["apery_digits"],
                            job["apery_depth"])
        times.append(time.perf_counter() - t)
    out["apery"] = {"seconds": times, "verified": okA, "depth": depth}
    print(json.dumps(out))
''')


def random_pcfs(count: int, seed: int = 2024):
    rng = random.Random(seed)
    out = []
    while len(out) < count:
        a = [rng.randint(1, 5), rng.randint(-5, 5), rng.randint(1, 5)]
        b = [rng.choice([-1, 1]) * rng.randint(1, 5), rng.randint(-5, 5), rng.randint(-5, 5)]
        if any(b[0] * k * k + b[1] * k + b[2] == 0 for k in range(1, 50)):
            continue
        try:
            value, _, _ = deep_limit(a, b, 130, max_depth=2000)
        except Exception:
            continue
        out.append((a, b, value))
    return out


def install_rt(where: Path, python: str | None) -> str | None:
    if python:
        return python
    env = where / "rt-venv"
    try:
        subprocess.run([sys.executable, "-m", "venv", str(env)], check=True)
        py = str(env / "bin" / "python")
        subprocess.run([py, "-m", "pip", "install", "-q", "ramanujantools"], check=True,
                       timeout=900)
        return py
    except (subprocess.SubprocessError, OSError) as err:
        print(f"ramanujantools could not be installed ({err}); reporting discover only")
        return None


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--count", type=int, default=1000)
    ap.add_argument("--digits", type=int, default=100)
    ap.add_argument("--apery-digits", type=int, default=10000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--rt-python", help="python of an environment that has ramanujantools")
    args = ap.parse_args(argv)

    print(f"preparing {args.count} random degree-2 PCFs ...", flush=True)
    items = random_pcfs(args.count)
    apery = PCF([34, 51, 27, 5], [-1, 0, 0, 0, 0, 0, 0])
    ap_claimed = default_registry().evaluate("6/zeta3", args.apery_digits + 30)

    # -- discover
    times, ok = [], 0
    for _ in range(args.repeat):
        t = time.perf_counter()
        ok = sum(PCF(a, b).verify(v, digits=args.digits).equal for a, b, v in items)
        times.append(time.perf_counter() - t)
    ours_random = statistics.median(times)
    print(f"discover: {ok}/{len(items)} verified to {args.digits} digits; median "
          f"{ours_random:.3f} s = {len(items) / ours_random:.0f} PCFs/s")
    times = []
    for _ in range(args.repeat):
        t = time.perf_counter()
        v = apery.verify(ap_claimed, digits=args.apery_digits)
        times.append(time.perf_counter() - t)
    ours_apery = statistics.median(times)
    print(f"discover: Apery 6/zeta(3) to {args.apery_digits} digits: equal={v.equal}, "
          f"digits={v.digits:.0f}, depth={v.depth}, {v.method}; median {ours_apery:.3f} s")

    # -- ramanujantools
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        print("installing ramanujantools into its own virtual environment ...", flush=True)
        py = install_rt(tmp, args.rt_python)
        if py is None:
            return 0
        version = subprocess.run([py, "-c", "import importlib.metadata as m; "
                                  "print(m.version('ramanujantools'))"],
                                 capture_output=True, text=True).stdout.strip()
        with mpmath.workdps(args.apery_digits + 30):
            job = {"pcfs": [[a, b] for a, b, _ in items], "digits": args.digits,
                   "claimed": [mpmath.nstr(v, args.digits + 25) for _, _, v in items],
                   "repeat": args.repeat, "apery_digits": args.apery_digits,
                   "apery_claimed": mpmath.nstr(ap_claimed, args.apery_digits + 25),
                   "apery_depth": int(v.depth)}
        (tmp / "job.json").write_text(json.dumps(job))
        (tmp / "rt_side.py").write_text(RT_SCRIPT)
        print(f"running ramanujantools {version} ...", flush=True)
        proc = subprocess.run([py, str(tmp / "rt_side.py"), str(tmp / "job.json")],
                              capture_output=True, text=True, env={**os.environ,
                                                                   "PYTHONPATH": ""})
        if proc.returncode:
            print("ramanujantools side failed:\n" + proc.stderr[-3000:])
            return 1
        rt = json.loads(proc.stdout.strip().splitlines()[-1])
    rt_random = statistics.median(rt["random"]["seconds"])
    rt_apery = statistics.median(rt["apery"]["seconds"])
    print(f"ramanujantools {version}: {rt['random']['verified']}/{len(items)} verified; median "
          f"{rt_random:.3f} s = {len(items) / rt_random:.0f} PCFs/s")
    print(f"ramanujantools {version}: Apery to {args.apery_digits} digits at depth "
          f"{rt['apery']['depth']} (given): verified={rt['apery']['verified']}; median "
          f"{rt_apery:.3f} s")
    print(f"ratio random (rt time / discover time): {rt_random / ours_random:.1f}x "
          f"(goal >= 20x)")
    print(f"ratio Apery  (rt time / discover time): {rt_apery / ours_apery:.1f}x (goal >= 2x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
