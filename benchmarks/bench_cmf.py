"""Conservative matrix fields: discover against ramanujantools, side by side.

Run by hand from the repository root (the ramanujantools side needs PyPI, or an existing
environment given with ``--rt-python``)::

    python benchmarks/bench_cmf.py [--repeat 5] [--rt-python PATH]

Measured on both sides, each from a freshly built field (no cached trajectory matrices):

1. ``zeta3 (4,3)``: the trajectory (step) matrix of Apery's zeta(3) field along (4, 3) from
   (1, 1) as rational functions of the step index. discover: ``CMF.step_matrix``;
   ramanujantools: ``zeta3().trajectory_matrix`` (its diagonal-matrix cache cleared).
2. ``3F2 (0,0,0,1,1)``: the trajectory matrix of the 3F2 field at z = -1 (rank 3, five axes)
   along (0, 0, 0, 1, 1) from (1, 1, 1, 2, 2). discover: ``catalogue_field("pfq_3f2_m1")``;
   ramanujantools: ``pFq(3, 2, -1)``.
3. ``walk 1000``: the numeric walk of depth 1000 along the diagonal of the zeta(3) field from
   (1, 1), exact: the product of the trajectory matrices at steps 0..999. discover:
   ``CMF.walk_product`` (step matrix, then python-flint ``fmpq_mat`` products by binary
   splitting); ramanujantools: ``CMF.walk(trajectory, 1000, start)``.
4. ``walk 1000 (3F2)``: the same for the rank-3 3F2 trajectory of item 2.

ramanujantools is installed into its own virtual environment in a temporary directory and runs in
a subprocess. Medians of ``--repeat`` runs and the ratios ramanujantools / discover are printed.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

RT_SCRIPT = textwrap.dedent(r'''
    import json, sys, time, statistics
    import sympy as sp
    from ramanujantools.cmf import zeta3, pFq
    repeat = int(sys.argv[1])
    x, y = sp.symbols("x y")
    x0, x1, x2 = sp.symbols("x:3"); y0, y1 = sp.symbols("y:2")

    def timed(fn):
        out = []
        for _ in range(repeat):
            t = time.perf_counter(); fn(); out.append(time.perf_counter() - t)
        return statistics.median(out)

    def z3_matrix():
        c = zeta3(); c._calculate_diagonal_matrix.cache_clear()
        return c.trajectory_matrix({x: 4, y: 3}, {x: 1, y: 1})

    def f32_matrix():
        c = pFq(3, 2, -1); c._calculate_diagonal_matrix.cache_clear()
        return c.trajectory_matrix({x0: 0, x1: 0, x2: 0, y0: 1, y1: 1},
                                   {x0: 1, x1: 1, x2: 1, y0: 2, y1: 2})

    def z3_walk():
        c = zeta3(); c._calculate_diagonal_matrix.cache_clear()
        return c.walk({x: 1, y: 1}, 1000, {x: 1, y: 1})

    def f32_walk():
        c = pFq(3, 2, -1); c._calculate_diagonal_matrix.cache_clear()
        return c.walk({x0: 0, x1: 0, x2: 0, y0: 1, y1: 1}, 1000,
                      {x0: 1, x1: 1, x2: 1, y0: 2, y1: 2})

    print(json.dumps({"zeta3 (4,3)": timed(z3_matrix), "3F2 (0,0,0,1,1)": timed(f32_matrix),
                      "walk 1000": timed(z3_walk), "walk 1000 (3F2)": timed(f32_walk)}))
''')


def discover_side(repeat: int) -> dict:
    from discover_plugins.cf import catalogue as cat
    from discover_plugins.cf.cmf import CMF, known_cmfs

    z3 = known_cmfs()["zeta3"]
    spec = {a: z3.matrices[a] for a in z3.axes}

    def timed(fn):
        out = []
        for _ in range(repeat):
            t = time.perf_counter()
            fn()
            out.append(time.perf_counter() - t)
        return statistics.median(out)

    def fresh_3f2():
        cat.pfq_field.cache_clear()
        return cat.catalogue_field("pfq_3f2_m1")

    f32 = fresh_3f2()
    d32, s32 = (0, 0, 0, 1, 1), (1, 1, 1, 2, 2)

    def z3_walk():
        return CMF(spec, name="zeta3", check=False).walk_product((1, 1), (1, 1), 1000)

    def f32_walk():
        return f32.walk_product(d32, s32, 1000)

    # sanity: the fast product is the field's own point-by-point product (depth 12)
    P, Q = f32.walk(d32, s32, 12), f32.walk_product(d32, s32, 12)
    assert all(P[i][j].numerator == int(Q[i, j].p) and P[i][j].denominator == int(Q[i, j].q)
               for i in range(3) for j in range(3))
    return {"zeta3 (4,3)": timed(lambda: CMF(spec, name="zeta3", check=False)
                                 .step_matrix((4, 3), (1, 1))),
            "3F2 (0,0,0,1,1)": timed(lambda: f32.step_matrix(d32, s32)),
            "walk 1000": timed(z3_walk), "walk 1000 (3F2)": timed(f32_walk)}


def install_rt(where: Path) -> str | None:
    env = where / "rt-venv"
    try:
        subprocess.run([sys.executable, "-m", "venv", str(env)], check=True)
        py = str(env / "bin" / "python")
        subprocess.run([py, "-m", "pip", "install", "-q", "ramanujantools"], check=True,
                       capture_output=True)
        return py
    except (subprocess.SubprocessError, OSError) as err:
        print(f"ramanujantools could not be installed ({err}); discover's figures only")
        return None


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--rt-python", help="python of an environment with ramanujantools")
    args = ap.parse_args(argv)
    ours = discover_side(args.repeat)
    theirs = None
    with tempfile.TemporaryDirectory() as tmp:
        py = args.rt_python or install_rt(Path(tmp))
        if py:
            script = Path(tmp) / "rt_side.py"
            script.write_text(RT_SCRIPT)
            proc = subprocess.run([py, str(script), str(args.repeat)], capture_output=True,
                                  text=True)
            if proc.returncode == 0:
                theirs = json.loads(proc.stdout.strip().splitlines()[-1])
            else:
                print("ramanujantools side failed:\n" + proc.stderr[-2000:])
    print(f"{'task':<20} {'discover (s)':>14} {'ramanujantools (s)':>20} {'ratio rt/discover':>18}")
    for k, v in ours.items():
        if theirs:
            print(f"{k:<20} {v:>14.4f} {theirs[k]:>20.4f} {theirs[k] / v:>18.1f}")
        else:
            print(f"{k:<20} {v:>14.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
