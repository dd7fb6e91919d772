"""Evolve plugin: kernel, hashing cache, bounds and exports."""

import shutil
import subprocess

import mpmath
import numpy as np
import pytest

from discover.hashing import vector_keys
from discover_plugins.evolve.fit import fit_constants
from discover_plugins.evolve.functions import EvolveError, get_target, reference
from discover_plugins.evolve.program import Builder, Program, eval_population
from discover_plugins.evolve.search import (Fitter, Island, evolve_island, fit_grid,
                                            make_grids)
from discover_plugins.evolve.verify import measure, prove_bound


def _rational():
    # (x*x + 1.5) / (x - 3.25) + 0.5*x, sharing x*x
    bl = Builder()
    x2 = bl.emit(2, 0, 0)
    n = bl.emit(4, x2, c=1.5)
    d = bl.emit(4, 0, c=-3.25)
    q = bl.emit(3, n, d)
    h = bl.emit(5, 0, c=0.5)
    bl.emit(0, q, h)
    return bl.program()


def _exp2_poly(deg=4):
    t = get_target("exp2", 0, 1)
    xs = fit_grid(0, 1)
    bl = Builder()
    bl.horner([1.0] * (deg + 1))
    q, err = fit_constants(bl.program(), xs, reference(t, xs))
    return t, q, err


def test_kernel_matches_mpmath():
    p = _rational()
    assert p.ops == 6
    xs = np.linspace(-1, 2, 50)
    vals, st = eval_population([p, p], xs)
    assert list(st) == [0, 0]
    for x, v in zip(xs, vals[0]):
        X = mpmath.mpf(float(x))
        ref = (X * X + mpmath.mpf(1.5)) / (X - mpmath.mpf(3.25)) + X / 2
        assert abs(v - float(ref)) <= 4e-16 * abs(float(ref)) + 1e-300
    v32, st32 = eval_population([p], xs, dtype=np.float32)
    assert v32.dtype == np.float32 and st32[0] == 0
    assert np.max(np.abs(v32[0] - vals[0]) / np.abs(vals[0])) < 1e-6


def test_division_by_zero_is_invalid():
    bl = Builder()
    d = bl.emit(4, 0, c=-0.5)
    bl.emit(7, d, c=1.0)          # 1 / (x - 0.5)
    vals, st = eval_population([bl.program()], np.array([0.0, 0.5, 1.0]))
    assert st[0] == 1


def test_dead_code_pruned_and_op_count():
    p = _rational()
    q = Program(p.op + [5], p.a + [0], p.b + [0], p.d + [0], p.c + [2.0])  # output 2*x
    assert q.ops == 1 and len(q.pruned()) == 1


def test_equivalent_programs_hash_equal_and_cache_hits():
    p = _rational()
    q = p.copy()
    q.a[0], q.b[0] = 0, 0
    q.op[5], q.a[5], q.b[5] = 0, 5, 4     # h + q instead of q + h
    xs = np.linspace(0.1, 0.9, 48)
    vals, _ = eval_population([p, q], xs)
    k1, _ = vector_keys(vals, digits=12)
    assert k1[0] == k1[1]



def _island_run(hashes, generations=60):
    t = get_target("exp", 0, 1)
    g = make_grids(t, 0.0, 1.0)
    isl = Island(0, 6, g)
    isl.offer(_exp2_poly(2)[1], 0.1, None, ["seed"])
    fitter = Fitter(hashes, "exp", 0.0, 1.0, g)
    stats = evolve_island(isl, fitter, np.random.default_rng([3, 0, 1]),
                          generations=generations)
    return isl, stats


def test_fits_are_reused_within_a_round_and_from_the_table():
    from discover.hashtable import HashTable

    table = HashTable(None)
    isl, st = _island_run(table)
    assert st["lookups"] > 0 and st["memo_hits"] > 0 and st["table_hits"] == 0
    assert st["hits"] + st["fits"] == st["lookups"]
    # a later round (a fresh process) sees the recorded fits: nothing is fitted again, and
    # the island ends exactly where it ended when it fitted everything itself
    new, _ = table.drain()
    later = HashTable(None)
    for stage, key, kind, outcome in new:
        later.add(stage, key, kind, outcome)
    later.drain()
    isl2, st2 = _island_run(later)
    assert st2["fits"] == 0 and st2["refits"] == 0 and st2["table_hits"] > 0
    assert isl2.to_state() == isl.to_state()
    # and so does an island that fits everything again with no table (a Dask worker's view)
    isl3, _ = _island_run(HashTable(None))
    assert isl3.to_state() == isl.to_state()


def test_fit_reaches_minimax_and_bound_is_upper_bound():
    t, q, err = _exp2_poly(4)
    assert q.ops == 8
    assert 2.5e-6 < err < 2.7e-6          # relative minimax degree 4: 2.59e-6
    m = measure(q, t, 0, 1, n=20_001)
    b = prove_bound(q, t, 0, 1)
    assert m["valid"] and b["bound"] is not None
    assert m["max_rel_error_exact"] <= b["bound_exact"] <= 1.05 * m["max_rel_error_exact"]
    assert m["max_rel_error"] <= b["bound"]
    # an independent dense check at 40 digits on random points
    rng = np.random.default_rng(0)
    f = q.to_numba()
    worst = 0.0
    with mpmath.workdps(40):
        for x in rng.random(300):
            worst = max(worst, abs(f(x) / mpmath.power(2, mpmath.mpf(x)) - 1))
    assert worst <= b["bound"]


def test_exports_agree_with_kernel(tmp_path):
    p = _rational()
    xs = np.linspace(-1, 2, 17)
    vals, _ = eval_population([p], xs)
    ns = {}
    exec(p.to_python("f"), {"__builtins__": {}}, ns)
    assert [ns["f"](float(x)) for x in xs] == list(vals[0])
    jit = p.to_numba()
    assert [jit(float(x)) for x in xs] == list(vals[0])
    gcc = shutil.which("gcc")
    if gcc is None:
        pytest.skip("gcc not installed")
    src = tmp_path / "f.c"
    src.write_text("#include <stdio.h>\n#include <stdlib.h>\n#include <math.h>\n" + p.to_c("f")
                   + "int main(int c, char **v) { for (int i = 1; i < c; i++) "
                     "printf(\"%a\\n\", f(strtod(v[i], 0))); return 0; }\n")
    exe = tmp_path / "f"
    subprocess.run([gcc, "-O0", "-ffp-contract=off", str(src), "-o", str(exe), "-lm"],
                   check=True)
    out = subprocess.run([str(exe)] + [float(x).hex() for x in xs], capture_output=True,
                         text=True, check=True).stdout.split()
    assert [float.fromhex(s) for s in out] == list(vals[0])


@pytest.mark.parametrize("name,a,b,needle", [
    ("nope", 0, 1, "valid choices"), ("log", -1, 1, "x > 0"), ("tan", 0, 2, "pole"),
    ("exp", 1, 0, "A < B"), ("gamma", -1.5, 0.5, "poles")])
def test_bad_targets(name, a, b, needle):
    with pytest.raises(EvolveError, match=needle):
        get_target(name, a, b)
