#!/usr/bin/env python
"""Benchmark the float64 PCF screening kernel against plain C loops (gcc -O3).

Requirement: "The float64 screening kernel runs within 1.5x of a plain C loop (gcc -O3) over the
same recurrences; the benchmark compiles that C reference itself when gcc is present."

What it does:

1. builds a random batch like the published pi search: ``a(n)`` of degree 1 with coefficients in
   ``[-13, 13]`` (leading one > 0), ``b(n)`` of degree 2 with coefficients in ``[-11, 11]``,
   depth 100, 1,000,000 candidates (all command-line options);
2. writes C code that does per candidate what ``discover_plugins.cf.kernels.eval_pcf_f64``
   does, as a plain single-threaded loop over candidates (see C_SOURCE): ``a(n)``, ``b(n)`` by
   forward differences, ``p_n = a(n) p_{n-1} + b(n) p_{n-2}`` (same for ``q``), every ``K``
   steps (``K`` from the kernel's growth bound) the four terms multiplied by ``2**-500``
   (``2**500``) when the largest exceeds ``2**500`` (is below ``2**-500`` and nonzero), a stop
   at the first ``b(k) == 0`` (TERMINATED with ``p_{k-1}/q_{k-1}``, or ZERO_DENOMINATOR), and at
   the end ``x = p/q``, ``err = |x - p1/q1|`` with the same status tests. Variants: the degrees
   fixed at compile time (``-DNA -DNB``; gcc keeps everything in registers: the fastest), the
   degrees at run time like the kernel, and the textbook loop (Horner for ``a(k)``, ``b(k)``,
   rescaling test after every step). They are compiled into a temporary directory as shared
   libraries loaded with ctypes, with ``gcc -O3`` (what the requirement names) and
   ``gcc -O3 -march=native``, all with ``-ffp-contract=off``: gcc would otherwise fuse
   ``a*p + b*p1`` into FMAs under -march=native, which numba (fastmath off) does not do;
3. checks that every C variant agrees with numba (identical statuses; values within 1e-12
   relative where the status is OK or TERMINATED; in practice bit-identical) before timing
   anything, and exits with status 2 otherwise;
4. compiles numba first (in a private temporary cache; compilation is not timed), runs
   everything once untimed, then times all implementations ``--repeats`` times, interleaved
   (the machine is shared and noisy), and prints medians, candidates per second and the time
   ratios numba / C. The verdict compares numba's median with the median of the *fastest*
   plain ``gcc -O3`` loop; ``<= 1.5`` meets the bar.

Run (about 40 s on two cores)::

    python benchmarks/bench_pcf_kernel.py
    python benchmarks/bench_pcf_kernel.py --n 200000 --depth 1000 --repeats 15
    python benchmarks/bench_pcf_kernel.py --strict      # exit 1 when the ratio is above 1.5

Without gcc it says so and times numba only.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent


def _import_kernels():
    """``discover_plugins.cf.kernels``; if the ``cf`` package itself does not import (its
    ``__init__`` pulls in the generator and the rest of the plugin), load just the kernel module
    from ``plugins/cf`` with a bare package stub."""
    try:
        from discover_plugins.cf import kernels
        return kernels
    except ImportError as exc:
        import importlib
        import types

        print(f"note: `import discover_plugins.cf` failed ({exc}); loading "
              f"plugins/cf/kernels.py directly", file=sys.stderr, flush=True)
        for name in [m for m in sys.modules if m.startswith("discover_plugins.cf")]:
            del sys.modules[name]
        import discover_plugins
        stub = types.ModuleType("discover_plugins.cf")
        stub.__path__ = [str(REPO / "plugins" / "cf")]
        stub.__package__ = "discover_plugins.cf"
        sys.modules["discover_plugins.cf"] = stub
        discover_plugins.cf = stub
        return importlib.import_module("discover_plugins.cf.kernels")


# ------------------------------------------------------------------------------ C reference
C_SOURCE = r"""
/* Plain C references for discover_plugins.cf.kernels.eval_pcf_f64: one candidate at a time,
 * one thread. Both give the same values and statuses as the kernel (a(n), b(n) are exact
 * integers below 2**53 either way, and rescaling by 2**-+500 is exact). */
#include <math.h>
#include <stdint.h>

#define BIG   0x1p500
#define SMALL 0x1p-500
#define DOWN  0x1p-500
#define UP    0x1p500
#define CMAX  64

enum { OK = 0, TERMINATED = 1, ZERO_DENOMINATOR = 2, NOT_CONVERGED = 3, NONFINITE = 4 };

static inline double mx2(double a, double b) { return a > b ? a : b; }

static inline double horner(const double *c, int64_t m, double x)
{
    double v = c[0];
    for (int64_t j = 1; j < m; j++) v = v * x + c[j];
    return v;
}

static inline void finish(double p, double q, double p1, double q1, double tol,
                          double *val, double *err, int8_t *st)
{
    if (q == 0.0) { *val = NAN; *err = INFINITY; *st = ZERO_DENOMINATOR; return; }
    const double x = p / q;
    const double x1 = (q1 != 0.0) ? p1 / q1 : INFINITY;
    const double e = fabs(x - x1);
    *val = x; *err = e;
    if (!isfinite(x)) *st = NONFINITE;
    else if (!(e <= tol * mx2(1.0, fabs(x)))) *st = NOT_CONVERGED;
    else *st = OK;
}

static inline void terminated(double p, double q, double *val, double *err, int8_t *st)
{
    if (q == 0.0) { *val = NAN; *err = INFINITY; *st = ZERO_DENOMINATOR; }
    else          { *val = p / q; *err = 0.0;    *st = TERMINATED; }
}

/* Forward-difference table of c at n = 1: fd[j] = Delta^j c(1). */
static inline void fd_init(const double *c, int64_t m, double *fd)
{
    const int64_t d = m - 1;
    for (int64_t k = 0; k <= d; k++) fd[k] = horner(c, m, (double)(1 + k));
    for (int64_t j = 1; j <= d; j++)
        for (int64_t k = d; k >= j; k--) fd[k] = fd[k] - fd[k - 1];
}

/* One candidate with the kernel's algorithm: a(n), b(n) by forward differences (additions
 * only); the rescaling test every K steps, K = max(1, int(480 / max(1, log2(G)))) with
 * G = max(2, sum|a_j| depth^j + sum|b_j| depth^j), a bound on the growth per step (here per
 * candidate; the kernel takes the largest G of its block of lanes); stop at the first
 * b(k) == 0. ca, cb: coefficients (highest power first); fa, fb: scratch of na, nb doubles. */
static inline __attribute__((always_inline)) void
fd_one(const double *ca, const double *cb, const int64_t na, const int64_t nb,
       double *fa, double *fb, int64_t depth, double tol, double *val, double *err, int8_t *st)
{
    const double dep = (double)depth;
    fd_init(ca, na, fa);
    fd_init(cb, nb, fb);
    double ga = 0.0, gb = 0.0;
    for (int64_t j = 0; j < na; j++) ga = ga * dep + fabs(ca[j]);
    for (int64_t j = 0; j < nb; j++) gb = gb * dep + fabs(cb[j]);
    int64_t every = (int64_t)(480.0 / mx2(1.0, log2(mx2(2.0, ga + gb))));
    if (every < 1) every = 1;
    int64_t check = every;
    double p = ca[na - 1], q = 1.0, p1 = 1.0, q1 = 0.0;   /* p_0 = a(0) */
    for (int64_t k = 1; k <= depth; k++) {
        const double av = fa[0], bv = fb[0];
        if (bv == 0.0) { terminated(p, q, val, err, st); return; }   /* finite CF: x_{k-1} */
        const double pn = av * p + bv * p1;
        const double qn = av * q + bv * q1;
        p1 = p; q1 = q; p = pn; q = qn;
        for (int64_t j = 0; j < na - 1; j++) fa[j] += fa[j + 1];
        for (int64_t j = 0; j < nb - 1; j++) fb[j] += fb[j + 1];
        if (k == check) {
            check += every;
            const double mx = mx2(mx2(fabs(p), fabs(q)), mx2(fabs(p1), fabs(q1)));
            if (mx > BIG || (mx < SMALL && mx > 0.0)) {
                const double s = mx > BIG ? DOWN : UP;
                p *= s; q *= s; p1 *= s; q1 *= s;
            }
        }
    }
    finish(p, q, p1, q1, tol, val, err, st);
}

/* The kernel's algorithm, any degrees (given at run time, like the kernel). */
int eval_pcf_c(const int64_t *A, const int64_t *B, int64_t n, int64_t na, int64_t nb,
               int64_t depth, double tol, double *vals, double *errs, int8_t *status)
{
    double ca[CMAX], cb[CMAX], fa[CMAX], fb[CMAX];
    if (na < 1 || nb < 1 || na > CMAX || nb > CMAX) return -1;
    for (int64_t i = 0; i < n; i++) {
        for (int64_t j = 0; j < na; j++) ca[j] = (double)A[i * na + j];
        for (int64_t j = 0; j < nb; j++) cb[j] = (double)B[i * nb + j];
        fd_one(ca, cb, na, nb, fa, fb, depth, tol, vals + i, errs + i, status + i);
    }
    return 0;
}

/* The same with the degrees fixed at compile time (-DNA=da+1 -DNB=db+1): gcc unrolls the
 * coefficient and difference loops and keeps everything in registers. */
#ifndef NA
#define NA 2
#endif
#ifndef NB
#define NB 3
#endif
int eval_pcf_c_fixed(const int64_t *A, const int64_t *B, int64_t n, int64_t na, int64_t nb,
                     int64_t depth, double tol, double *vals, double *errs, int8_t *status)
{
    double ca[NA], cb[NB], fa[NA], fb[NB];
    if (na != NA || nb != NB) return -1;
    for (int64_t i = 0; i < n; i++) {
        for (int64_t j = 0; j < NA; j++) ca[j] = (double)A[i * NA + j];
        for (int64_t j = 0; j < NB; j++) cb[j] = (double)B[i * NB + j];
        fd_one(ca, cb, NA, NB, fa, fb, depth, tol, vals + i, errs + i, status + i);
    }
    return 0;
}

/* The textbook loop, for information: Horner for a(k) and b(k) and the rescaling test after
 * every step. */
int eval_pcf_c_horner(const int64_t *A, const int64_t *B, int64_t n, int64_t na, int64_t nb,
                      int64_t depth, double tol, double *vals, double *errs, int8_t *status)
{
    double ca[CMAX], cb[CMAX];
    if (na < 1 || nb < 1 || na > CMAX || nb > CMAX) return -1;
    for (int64_t i = 0; i < n; i++) {
        for (int64_t j = 0; j < na; j++) ca[j] = (double)A[i * na + j];
        for (int64_t j = 0; j < nb; j++) cb[j] = (double)B[i * nb + j];
        double p = ca[na - 1], q = 1.0, p1 = 1.0, q1 = 0.0;
        int term = 0;
        for (int64_t k = 1; k <= depth; k++) {
            const double x = (double)k;
            const double av = horner(ca, na, x), bv = horner(cb, nb, x);
            if (bv == 0.0) { term = 1; break; }
            const double pn = av * p + bv * p1;
            const double qn = av * q + bv * q1;
            p1 = p; q1 = q; p = pn; q = qn;
            const double mx = mx2(mx2(fabs(p), fabs(q)), mx2(fabs(p1), fabs(q1)));
            if (mx > BIG || (mx < SMALL && mx > 0.0)) {
                const double s = mx > BIG ? DOWN : UP;
                p *= s; q *= s; p1 *= s; q1 *= s;
            }
        }
        if (term) terminated(p, q, vals + i, errs + i, status + i);
        else finish(p, q, p1, q1, tol, vals + i, errs + i, status + i);
    }
    return 0;
}
"""

# label -> (C function, gcc flags). All use -ffp-contract=off: gcc would otherwise fuse
# a*p + b*p1 into an FMA under -march=native, which numba (fastmath off) does not do; the results
# are then bit-identical. -DNA/-DNB (the degrees + 1) are added by build_c.
O3 = ["-O3", "-ffp-contract=off"]
NATIVE = ["-O3", "-march=native", "-ffp-contract=off"]
C_BUILDS = {
    "C -O3, degrees fixed at compile time": ("eval_pcf_c_fixed", O3),
    "C -O3, degrees at run time": ("eval_pcf_c", O3),
    "C -O3, Horner + test every step": ("eval_pcf_c_horner", O3),
    "C -O3 -march=native, degrees fixed": ("eval_pcf_c_fixed", NATIVE),
}
#: The bar is judged against the fastest of these (all plain gcc -O3 loops).
REFERENCES = [k for k, (_, flags) in C_BUILDS.items() if flags == O3]


def build_c(workdir: Path, gcc: str, na: int, nb: int) -> dict:
    """Compile the C references (once per set of flags) for ``na``/``nb`` coefficients;
    label -> callable(A, B, depth, tol), in the order of C_BUILDS."""
    src = workdir / "pcf_ref.c"
    src.write_text(C_SOURCE)
    out = {}
    libs = {}
    for label, (fname, flags) in C_BUILDS.items():
        flags = [*flags, f"-DNA={na}", f"-DNB={nb}"]
        key = tuple(flags)
        lib = workdir / f"pcf_ref_{len(libs)}.so"
        cmd = [gcc, *flags, "-fPIC", "-shared", "-o", str(lib), str(src), "-lm"]
        if key not in libs:
            res = subprocess.run(cmd, capture_output=True, text=True)
            if res.returncode != 0:
                print(f"warning: `{' '.join(cmd)}` failed:\n{res.stderr}", file=sys.stderr)
                libs[key] = None
            else:
                libs[key] = ctypes.CDLL(str(lib))
        if libs[key] is None:
            continue
        fn = getattr(libs[key], fname)
        i64 = np.ctypeslib.ndpointer(np.int64, ndim=2, flags="C_CONTIGUOUS")
        f64 = np.ctypeslib.ndpointer(np.float64, ndim=1, flags="C_CONTIGUOUS")
        i8 = np.ctypeslib.ndpointer(np.int8, ndim=1, flags="C_CONTIGUOUS")
        fn.argtypes = [i64, i64, ctypes.c_int64, ctypes.c_int64, ctypes.c_int64, ctypes.c_int64,
                       ctypes.c_double, f64, f64, i8]
        fn.restype = ctypes.c_int

        def call(A, B, depth, tol, fn=fn):
            n = A.shape[0]
            vals = np.empty(n)
            errs = np.empty(n)
            status = np.empty(n, dtype=np.int8)
            rc = fn(A, B, n, A.shape[1], B.shape[1], depth, tol, vals, errs, status)
            if rc != 0:
                raise RuntimeError(f"C reference returned {rc}")
            return vals, errs, status

        call.cmd = " ".join([Path(gcc).name, *flags, "-fPIC", "-shared"])
        out[label] = call
    return out


# ------------------------------------------------------------------------------ batch
def make_batch(n: int, a_degree: int, a_bound: int, b_degree: int, b_bound: int, seed: int):
    """Random candidates: a's coefficients in [-a_bound, a_bound] with the leading one in
    [1, a_bound]; b's in [-b_bound, b_bound]. Highest power first, int64, C-contiguous."""
    rng = np.random.default_rng(seed)
    A = rng.integers(-a_bound, a_bound + 1, size=(n, a_degree + 1), dtype=np.int64)
    A[:, 0] = rng.integers(1, a_bound + 1, size=n, dtype=np.int64)
    B = rng.integers(-b_bound, b_bound + 1, size=(n, b_degree + 1), dtype=np.int64)
    return np.ascontiguousarray(A), np.ascontiguousarray(B)


def _fail(msg: str):
    print(f"FAIL: {msg}", file=sys.stderr, flush=True)
    raise SystemExit(2)


def check_agree(ref, got, label: str, rtol: float = 1e-12) -> str:
    """Exit with status 2 unless ``got`` matches ``ref`` (both ``(values, err, status)``):
    identical statuses; values within ``rtol`` relative where the status is OK or TERMINATED;
    err within ``rtol * max(1, |value|)`` where the status is OK."""
    v0, e0, s0 = ref
    v1, e1, s1 = got
    bad = np.flatnonzero(s0 != s1)
    if bad.size:
        i = bad[:5]
        _fail(f"{label}: {bad.size} statuses differ from numba, e.g. rows {i.tolist()}: "
              f"numba {s0[i].tolist()} vs {s1[i].tolist()}")
    has_value = np.isin(s0, [0, 1])  # OK, TERMINATED
    a, b = v0[has_value], v1[has_value]
    diff = np.abs(a - b)
    with np.errstate(invalid="ignore", divide="ignore"):
        rel = np.where(diff == 0.0, 0.0, diff / np.maximum(np.abs(a), np.abs(b)))
    worst = float(rel.max()) if rel.size else 0.0
    if not worst <= rtol:  # also catches nan
        j = int(np.nanargmax(rel)) if np.any(~np.isnan(rel)) else 0
        _fail(f"{label}: values differ from numba by {worst:.3e} relative (> {rtol:g}), "
              f"e.g. {float(a[j])!r} vs {float(b[j])!r}")
    ok = s0 == 0
    e_dev = np.abs(e0[ok] - e1[ok]) / np.maximum(1.0, np.abs(v0[ok]))
    e_worst = float(e_dev.max()) if e_dev.size else 0.0
    if not e_worst <= rtol:
        _fail(f"{label}: error estimates differ from numba by {e_worst:.3e} "
              f"(relative to max(1, |value|), > {rtol:g})")
    identical = int(np.sum((v0 == v1) | (np.isnan(v0) & np.isnan(v1))))
    return (f"{label}: statuses identical; max rel. value difference {worst:.1e} "
            f"(OK/TERMINATED); max err difference {e_worst:.1e}; "
            f"{identical:,}/{v0.size:,} values bit-identical")


def time_all(funcs: dict, args, repeats: int) -> dict:
    """Interleaved timing (round robin, so drifting load hits everyone alike); label -> times."""
    times = {label: [] for label in funcs}
    for _ in range(repeats):
        for label, f in funcs.items():
            t0 = time.perf_counter()
            f(*args)
            times[label].append(time.perf_counter() - t0)
    return times


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    ap.add_argument("--n", type=int, default=1_000_000, help="candidates in the batch")
    ap.add_argument("--depth", type=int, default=100, help="recurrence steps")
    ap.add_argument("--a-degree", type=int, default=1)
    ap.add_argument("--a-bound", type=int, default=13, help="|coefficients of a| <= this")
    ap.add_argument("--b-degree", type=int, default=2)
    ap.add_argument("--b-bound", type=int, default=11, help="|coefficients of b| <= this")
    ap.add_argument("--tol", type=float, default=None,
                    help="convergence tolerance; None: the kernel's DEFAULT_TOL")
    ap.add_argument("--repeats", type=int, default=9, help="timed runs of each implementation")
    ap.add_argument("--seed", type=int, default=2024)
    ap.add_argument("--max-ratio", type=float, default=1.5,
                    help="the bar: numba's median time / that of the fastest gcc -O3 loop")
    ap.add_argument("--strict", action="store_true",
                    help="exit 1 when the ratio is above --max-ratio")
    ap.add_argument("--no-c", action="store_true", help="time numba only")
    ap.add_argument("--emit-c", type=Path, default=None,
                    help="also write the C source to this path (compile it with "
                    "-DNA=<a degree + 1> -DNB=<b degree + 1>)")
    args = ap.parse_args(argv)
    sys.stdout.reconfigure(line_buffering=True)  # keep stdout and stderr notes in order
    if args.n < 1 or args.depth < 1 or args.repeats < 1:
        ap.error("--n, --depth and --repeats must be >= 1")
    if args.a_degree < 0 or args.b_degree < 0 or args.a_bound < 1 or args.b_bound < 0:
        ap.error("degrees must be >= 0, --a-bound >= 1, --b-bound >= 0")

    # A private numba cache: compile from source, never read (possibly stale) entries from or
    # write into the project's __pycache__. Compilation is excluded from the timings anyway.
    cache_dir = tempfile.TemporaryDirectory(prefix="bench_pcf_numba_")
    os.environ["NUMBA_CACHE_DIR"] = cache_dir.name
    if "numba" in sys.modules:
        print("note: numba was imported before NUMBA_CACHE_DIR was set", file=sys.stderr)
    kernels = _import_kernels()
    import numba

    tol = kernels.DEFAULT_TOL if args.tol is None else args.tol
    print(f"python {platform.python_version()}, numpy {np.__version__}, numba {numba.__version__}, "
          f"{platform.machine()} {_cpu_name()}, {os.cpu_count()} cpus")
    print(f"batch: n={args.n:,} depth={args.depth} a: degree {args.a_degree} in "
          f"[-{args.a_bound}, {args.a_bound}] (leading > 0), b: degree {args.b_degree} in "
          f"[-{args.b_bound}, {args.b_bound}], tol={tol:g}, seed={args.seed}")
    A, B = make_batch(args.n, args.a_degree, args.a_bound, args.b_degree, args.b_bound, args.seed)

    # numba: compile (or load from cache) on a tiny batch, then one untimed full run
    t0 = time.perf_counter()
    kernels.eval_pcf_f64(A[:8], B[:8], args.depth, tol)
    print(f"numba warm-up (compile or cache load): {time.perf_counter() - t0:.2f} s")
    ref = kernels.eval_pcf_f64(A, B, args.depth, tol)
    counts = np.bincount(ref[2].astype(np.int64), minlength=len(kernels.STATUS_NAMES))
    print("statuses: " + ", ".join(f"{kernels.STATUS_NAMES[s]} {c / args.n:.1%}"
                                   for s, c in enumerate(counts) if s in kernels.STATUS_NAMES))

    funcs = {"numba eval_pcf_f64": kernels.eval_pcf_f64}
    gcc = None if args.no_c else shutil.which("gcc")
    with tempfile.TemporaryDirectory(prefix="bench_pcf_") as tmp:
        if args.emit_c is not None:
            args.emit_c.write_text(C_SOURCE)
        if gcc is None:
            print("gcc not found on PATH: timing numba only" if not args.no_c
                  else "--no-c: timing numba only")
        else:
            ver = subprocess.run([gcc, "--version"], capture_output=True, text=True).stdout
            print(f"C reference: {ver.splitlines()[0] if ver else gcc}")
            for label, call in build_c(Path(tmp), gcc, A.shape[1], B.shape[1]).items():
                print(f"  {label}: {C_BUILDS[label][0]}() built with `{call.cmd}`")
                print("    check " + check_agree(ref, call(A, B, args.depth, tol), "vs numba"))
                funcs[label] = call
        times = time_all(funcs, (A, B, args.depth, tol), args.repeats)

    print(f"\ntimes over {args.repeats} interleaved runs (seconds; median [min .. max]):")
    med = {k: statistics.median(v) for k, v in times.items()}
    width = max(map(len, med))
    for label, ts in times.items():
        ns = med[label] / (args.n * args.depth) * 1e9
        print(f"  {label:<{width}}  median {med[label]:7.4f}  [{min(ts):.4f} .. {max(ts):.4f}]  "
              f"{args.n / med[label]:>11,.0f} candidates/s  {ns:5.2f} ns per candidate-step")
    nb = med["numba eval_pcf_f64"]
    verdict = 0
    nb_times = times["numba eval_pcf_f64"]
    if len(funcs) > 1:
        print("ratios numba / C (time): of the medians; of the best times; median of the "
              "ratios within a round")
    for label in funcs:
        if label.startswith("C"):
            paired = statistics.median([x / y for x, y in zip(nb_times, times[label])])
            best = min(nb_times) / min(times[label])
            print(f"  numba / {label:<{width}}  {nb / med[label]:5.2f}  {best:5.2f}  {paired:5.2f}")
    refs = [k for k in REFERENCES if k in med]
    if refs:
        best = min(refs, key=med.get)
        r = nb / med[best]
        ok = r <= args.max_ratio
        print(f"\nRESULT: numba eval_pcf_f64 takes {r:.2f}x the time of the fastest plain C loop "
              f"built with gcc -O3 ({best}; medians of {args.repeats} runs): "
              f"{'MEETS' if ok else 'MISSES'} the bar of <= {args.max_ratio}x")
        if not ok:
            print("(the machine may be noisy: compare the best-time ratio above, or rerun with "
                  "more --repeats)")
        if not ok and args.strict:
            verdict = 1
    else:
        print("\nRESULT: no C reference; numba timing only")
    cache_dir.cleanup()
    return verdict


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown cpu"


if __name__ == "__main__":
    sys.exit(main())
