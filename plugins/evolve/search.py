"""Multi-objective evolution of approximation programs (max relative error vs op count).

Each worker process runs one island: it seeds an archive with Horner polynomials, rational forms
and symmetric rational forms (each with fitted constants), then repeatedly picks a parent from the
archive, mutates its structure or constants, fits the constants of the child and keeps it if it
improves the best few programs at its op count. Children are hashed functionally (their outputs
at probe points, with :func:`discover.hashing.vector_keys`); a child whose function was already
fitted reuses that result (a cache hit) instead of being fitted again.

Runs are seeded: worker ``w`` draws from ``numpy.random.default_rng([seed, w])``. With
``generations`` set the result is reproducible exactly; with only a time budget the sequence of
children is the same but how far it gets depends on the machine's speed.
"""

from __future__ import annotations

import math
import multiprocessing as mp
import time
from dataclasses import dataclass, field

import mpmath
import numpy as np

from discover.hashing import vector_keys

from .fit import fit_constants, max_rel_error
from .functions import Target, reference
from .program import BINARY, CONST, Builder, Program, eval_population

__all__ = ["Config", "evolve", "seeds", "baselines", "fit_grid", "check_grid"]


@dataclass
class Config:
    function: str
    a: float
    b: float
    max_ops: int
    seconds: float = 60.0
    seed: int = 0
    workers: int = 2
    generations: int | None = None
    cache: bool = True
    keep: int = 4
    optional_ops: bool = False
    target_error: float | None = None   # stop early once the front reaches this at max_ops


def fit_grid(a, b, n=240):
    k = np.arange(n)
    return np.sort((a + b) / 2 + (b - a) / 2 * np.cos(np.pi * k / (n - 1)))


def check_grid(a, b, n=2001):
    return np.unique(np.concatenate([np.linspace(a, b, n), fit_grid(a, b, 400)]))


def probe_grid(a, b, n=48):
    # irrational offsets so that accidental agreements at nice points do not collide
    return a + (b - a) * ((np.arange(n) + 0.5) / n + 0.0123 * np.sin(np.arange(n)))


def _nonzero(xs, fx):
    m = fx != 0
    return xs[m], fx[m]


def _zero_at(target: Target, a, b):
    """Points among a, 0, b where f vanishes exactly (programs must vanish there too)."""
    pts = []
    for z in (a, 0.0, b):
        if a <= z <= b and z not in pts:
            with mpmath.workdps(30):
                if target.mp(mpmath.mpf(z)) == 0:
                    pts.append(z)
    return pts


# -- seeds -------------------------------------------------------------------------------
def _poly_fit(xs, fx, deg, zero=False, var=None):
    """Relative least-squares polynomial coefficients (low to high) in ``var`` (default xs)."""
    v = xs if var is None else var
    powers = range(1, deg + 1) if zero else range(0, deg + 1)
    V = np.stack([v ** k for k in powers], axis=1) / fx[:, None]
    c, *_ = np.linalg.lstsq(V, np.ones_like(fx), rcond=None)
    return ([0.0] if zero else []) + list(c)


def seeds(target: Target, a, b, max_ops) -> list[Program]:
    xs, fx = _nonzero(fit_grid(a, b), reference(target, fit_grid(a, b)))
    zeros = _zero_at(target, a, b)
    zero0 = 0.0 in zeros
    out = []
    # Horner polynomials
    for d in range(1, max_ops // 2 + 1):
        bl = Builder()
        c = _poly_fit(xs, fx, d, zero=zero0)
        bl.horner(c, drop_zero=zero0)
        p = bl.program(family=f"horner{d}")
        if p.ops <= max_ops:
            out.append(p)
    # odd polynomials x * P(x^2)
    if target.odd and zero0:
        for m in range(1, max_ops // 2):
            bl = Builder()
            x2 = bl.emit(2, 0, 0)
            cc = _poly_fit(xs, fx / xs, m, var=xs * xs)
            t = bl.horner(cc, var=x2)
            bl.emit(2, t, 0)
            p = bl.program(family=f"odd{2 * m + 1}")
            if p.ops <= max_ops:
                out.append(p)
    # squares of polynomials (f > 0)
    if np.all(fx > 0) and not zeros:
        for d in range(1, max_ops // 2):
            bl = Builder()
            t = bl.horner(_poly_fit(xs, np.sqrt(fx), d))
            bl.emit(2, t, t)
            p = bl.program(family=f"square{d}")
            if p.ops <= max_ops:
                out.append(p)
    # rationals P_m / Q_n with monic Q
    for m in range(0 if not zero0 else 1, max_ops // 2 + 1):
        for n in range(1, max_ops // 2 + 1):
            bl = Builder()
            cp = [1.0] * (m + 1) if not zero0 else [0.0] + [1.0] * m
            if m == 0:
                tp = None
            else:
                tp = bl.horner(cp, drop_zero=zero0)
            tq = bl.horner([1.0] * (n + 1), monic=True)
            if tp is None:
                bl.emit(7, tq, c=1.0)
            else:
                bl.emit(3, tp, tq)
            p = bl.program(family=f"rational{m}/{n}")
            if p.ops <= max_ops:
                # initial constants: linearised least squares P - f Q = f x^n
                _init_rational(p, xs, fx, m, n, zero0)
                out.append(p)
    # symmetric rationals s * (E(u^2) + u O(u^2)) / (E(u^2) - u O(u^2)), u = x - mid
    if np.all(fx > 0) and not zeros:
        mid = (a + b) / 2
        for e in range(1, max_ops // 2):
            for o in range(0, e + 1):
                if 2 * e + 2 * o + 6 > max_ops:
                    continue
                bl = Builder()
                u = bl.emit(4, 0, c=-mid)
                u2 = bl.emit(2, u, u)
                E = bl.horner([1.0] * (e + 1), var=u2, monic=True)
                if o == 0:
                    O = bl.emit(5, u, c=0.5)
                else:
                    O = bl.emit(2, bl.horner([0.5] * (o + 1), var=u2), u)
                N = bl.emit(0, E, O)
                D = bl.emit(1, E, O)
                R = bl.emit(3, N, D)
                bl.emit(5, R, c=float(reference(target, np.array([mid]))[0]))
                p = bl.program(family=f"symrational{e}/{o}")
                _init_symmetric(p, target, mid, b - a)
                out.append(p)
    return out


def _init_rational(p, xs, fx, m, n, zero0):
    # unknowns: p_k (k = zero0..m), q_0..q_{n-1}; P(x) - f Q'(x) = f x^n
    cols = [xs ** k for k in range(1 if zero0 else 0, m + 1)]
    cols += [-fx * xs ** k for k in range(n)]
    V = np.stack(cols, axis=1) / fx[:, None]
    rhs = xs ** n
    try:
        sol, *_ = np.linalg.lstsq(V, rhs, rcond=None)
    except np.linalg.LinAlgError:
        return
    pc = list(sol[: len(sol) - n])
    qc = list(sol[len(sol) - n:])
    # constants appear in program order: P's Horner (high to low), then Q's (monic)
    consts = []
    if m >= 1:
        hi_first = pc[::-1]
        consts += hi_first[:] if not zero0 else hi_first
    consts += qc[::-1]
    idx = p.free_constants()
    if len(idx) == len(consts):
        for i, v in zip(idx, consts):
            p.c[i] = float(v)


def _init_symmetric(p, target, mid, width):
    # scale the odd part with the local logarithmic derivative: f(mid+u)/f(mid-u) ~ exp(2 k u)
    with mpmath.workdps(20):
        fm = target.mp(mpmath.mpf(mid))
        k = float(mpmath.diff(target.mp, mpmath.mpf(mid)) / fm)
    if k == 0:
        return
    # Pade-like start for exp(k u): E = u^2 + 12/k^2 (times s), O = 6/k u
    idx = p.free_constants()
    for i in idx:
        if p.op[i] == 4 and p.c[i] == 1.0:
            p.c[i] = 12.0 / (k * k)
        elif p.op[i] == 5 and p.c[i] == 0.5:
            p.c[i] = 6.0 / k


# -- mutations ---------------------------------------------------------------------------
def _shift_refs(p: Program, start: int, delta: int):
    """Add ``delta`` to every reference >= start (value indices)."""
    for lst in (p.a, p.b, p.d):
        for i, v in enumerate(lst):
            if v >= start:
                lst[i] = v + delta


def mutate(p: Program, rng, optional=False) -> tuple[Program, list[str]]:
    q = p.copy()
    names = []
    for _ in range(1 + int(rng.random() < 0.35)):
        kind = rng.choice(["insert", "remove", "rewire", "opchange", "const", "const"])
        L = len(q.op)
        if kind == "insert" or L <= 1:
            pos = int(rng.integers(0, L + 1))          # new instruction index
            o = int(rng.choice([0, 1, 2, 3, 4, 5, 6, 7, 2, 4, 5]))
            if optional and rng.random() < 0.1:
                o = int(rng.choice([8, 9, 10]))
            _shift_refs(q, pos + 1, 1)
            a = int(rng.integers(0, pos + 1))
            b = int(rng.integers(0, pos + 1))
            c = float(rng.choice([1.0, 0.5, 2.0, -1.0])) * (1 + 0.1 * rng.standard_normal())
            if o == 10:
                c = float(2.0 ** int(rng.integers(-3, 4)))
            if o in (4, 6):
                c = float(rng.standard_normal())
            q.op.insert(pos, o)
            q.a.insert(pos, a)
            q.b.insert(pos, b)
            q.d.insert(pos, int(rng.integers(0, pos + 1)))
            q.c.insert(pos, c)
            # make it live: a later instruction reads it, or it becomes the output
            later = list(range(pos + 1, len(q.op)))
            if later and rng.random() < 0.85:
                j = int(rng.choice(later))
                if q.op[j] in BINARY and rng.random() < 0.5:
                    q.b[j] = pos + 1
                else:
                    q.a[j] = pos + 1
            else:
                # append a combination of the old output and the new value
                q.op.append(int(rng.choice([0, 1, 2, 3])))
                q.a.append(len(q.op) - 1)
                q.b.append(pos + 1)
                q.d.append(0)
                q.c.append(0.0)
            names.append(f"insert {['add','sub','mul','div','addc','mulc','rsubc','rdivc','fma','sqrt','scale'][o]}")
        elif kind == "remove":
            i = int(rng.integers(0, L))
            repl = q.a[i]
            del q.op[i], q.a[i], q.b[i], q.d[i], q.c[i]
            for lst in (q.a, q.b, q.d):
                for k, v in enumerate(lst):
                    if v == i + 1:
                        lst[k] = repl
            _shift_refs(q, i + 2, -1)
            names.append("remove")
        elif kind == "rewire":
            i = int(rng.integers(0, L))
            if q.op[i] in BINARY and rng.random() < 0.5:
                q.b[i] = int(rng.integers(0, i + 1))
            else:
                q.a[i] = int(rng.integers(0, i + 1))
            names.append("rewire")
        elif kind == "opchange":
            i = int(rng.integers(0, L))
            if q.op[i] in BINARY:
                q.op[i] = int(rng.choice(BINARY))
            elif q.op[i] in CONST:
                q.op[i] = int(rng.choice(CONST))
            names.append("opchange")
        else:
            idx = q.free_constants()
            if idx:
                i = int(rng.choice(idx))
                q.c[i] = q.c[i] * (1 + 0.2 * rng.standard_normal()) + 0.01 * rng.standard_normal()
                names.append("perturb constant")
    meta = dict(p.meta)
    q = q.pruned()
    q.meta = meta
    return q, names


# -- the island --------------------------------------------------------------------------
@dataclass
class Entry:
    prog: Program
    err: float
    ops: int
    id: str
    key: int


@dataclass
class IslandResult:
    entries: list
    lineage: dict
    stats: dict
    history: list = field(default_factory=list)   # (seconds, ops, err) improvements


def _fit_seeds(args):
    cfg, target_name, chunk = args
    from .functions import TARGETS
    target = TARGETS[target_name]
    a, b = cfg.a, cfg.b
    fxs, ffx = _nonzero(fit_grid(a, b), reference(target, fit_grid(a, b)))
    cxs, cfx = _nonzero(check_grid(a, b), reference(target, check_grid(a, b)))
    out = []
    for d, meta in chunk:
        s = Program.from_dict(d)
        q, _ = fit_constants(s, fxs, ffx, lawson_rounds=6)
        out.append((q.to_dict(), meta, max_rel_error(q, cxs, cfx)))
    return out


def _island(cfg: Config, worker: int, deadline: float, target: Target,
            fitted_seeds=()) -> IslandResult:
    rng = np.random.default_rng([cfg.seed, worker])
    a, b = cfg.a, cfg.b
    fxs, ffx = _nonzero(fit_grid(a, b), reference(target, fit_grid(a, b)))
    cxs, cfx = _nonzero(check_grid(a, b), reference(target, check_grid(a, b)))
    pxs = probe_grid(a, b)
    archive: dict[int, list[Entry]] = {}
    lineage: dict[str, dict] = {}
    cache: dict = {}
    stats = {"lookups": 0, "hits": 0, "fits": 0, "children": 0, "invalid": 0,
             "generations": 0}
    history = []
    t_start = time.time()
    counter = [0]

    def hkey(prog):
        vals, st = eval_population([prog], pxs)
        if st[0] != 0:
            return None
        k1, _ = vector_keys(vals, digits=12)
        return int(k1[0])

    def best_at(ops):
        lst = archive.get(ops)
        return lst[0].err if lst else math.inf

    def front_best_upto(ops):
        return min((best_at(k) for k in range(1, ops + 1)), default=math.inf)

    def offer(prog, err, parent, muts):
        ops = prog.ops
        if not math.isfinite(err) or ops > cfg.max_ops or ops < 1:
            return False
        key = hkey(prog)
        if key is None:
            return False
        lst = archive.setdefault(ops, [])
        if any(e.key == key for e in lst):
            return False
        if len(lst) >= cfg.keep and err >= lst[-1].err:
            return False
        counter[0] += 1
        eid = f"w{worker}-{counter[0]}"
        improved = err < front_best_upto(ops)
        lst.append(Entry(prog, err, ops, eid, key))
        lst.sort(key=lambda e: e.err)
        del lst[cfg.keep:]
        lineage[eid] = {"parent": parent, "mutations": muts, "ops": ops, "err": err,
                        "family": prog.meta.get("family", "")}
        if improved:
            history.append((round(time.time() - t_start, 3), ops, err))
        return True

    for d, meta, err in fitted_seeds:
        q = Program.from_dict(d)
        q.meta = dict(meta)
        offer(q, err, None, [f"seed {meta.get('family', '')}"])

    gen = 0
    while True:
        if cfg.generations is not None:
            if gen >= cfg.generations:
                break
        elif time.time() >= deadline:
            break
        if cfg.target_error is not None and front_best_upto(cfg.max_ops) <= cfg.target_error:
            break
        gen += 1
        levels = sorted(archive)
        if not levels:
            break
        lv = int(rng.choice(levels))
        lst = archive[lv]
        parent = lst[min(int(rng.integers(0, len(lst))), int(rng.integers(0, len(lst))))]
        child, muts = mutate(parent.prog, rng, cfg.optional_ops)
        stats["children"] += 1
        if not child.valid_structure() or child.ops > cfg.max_ops:
            stats["invalid"] += 1
            continue
        key = hkey(child)
        if key is None:
            stats["invalid"] += 1
            continue
        ck = (key, child.ops)
        stats["lookups"] += 1
        if cfg.cache and ck in cache:
            stats["hits"] += 1
            fitted, err = cache[ck]
        else:
            stats["fits"] += 1
            fitted, err = fit_constants(child, fxs, ffx, minimax=False, lawson_rounds=0,
                                        max_nfev=40)
            # minimax refinement only for promising structures
            if err < 3 * best_at(child.ops) or not archive.get(child.ops):
                fitted, err = fit_constants(fitted, fxs, ffx)
            err = max_rel_error(fitted, cxs, cfx) if math.isfinite(err) else err
            fitted.meta = dict(parent.prog.meta)
            if cfg.cache:
                cache[ck] = (fitted, err)
        offer(fitted, err, parent.id, muts)
    stats["generations"] = gen
    entries = [e for lst in archive.values() for e in lst]
    return IslandResult(entries, lineage, stats, history)


def _run_island(args):
    cfg, worker, deadline, target_name, fitted = args
    from .functions import TARGETS
    res = _island(cfg, worker, deadline, TARGETS[target_name], fitted)
    return {"entries": [(e.prog.to_dict(), e.prog.meta, e.err, e.ops, e.id)
                        for e in res.entries],
            "lineage": res.lineage, "stats": res.stats, "history": res.history}


def evolve(cfg: Config, target: Target) -> dict:
    """Run the islands and merge them: returns the Pareto front (unverified), lineage, stats."""
    t0 = time.time()
    deadline = t0 + cfg.seconds
    seed_progs = [(p.to_dict(), p.meta) for p in seeds(target, cfg.a, cfg.b, cfg.max_ops)]
    # the costly seeds first, dealt round-robin so that both workers get a fair share
    seed_progs.sort(key=lambda s: -len(s[0]["op"]))
    chunks = [(cfg, target.name, seed_progs[w::cfg.workers]) for w in range(cfg.workers)]
    if cfg.workers > 1:
        ctx = mp.get_context("fork")
        with ctx.Pool(cfg.workers) as pool:
            fitted = [x for part in pool.map(_fit_seeds, chunks) for x in part]
            seed_seconds = time.time() - t0
            jobs = [(cfg, w, deadline, target.name, fitted) for w in range(cfg.workers)]
            results = pool.map(_run_island, jobs)
    else:
        fitted = _fit_seeds(chunks[0])
        seed_seconds = time.time() - t0
        results = [_run_island((cfg, 0, deadline, target.name, fitted))]
    lineage = {}
    entries = []
    stats = {"lookups": 0, "hits": 0, "fits": 0, "children": 0, "invalid": 0,
             "generations": 0}
    history = []
    for r in results:
        lineage.update(r["lineage"])
        for k in stats:
            stats[k] += r["stats"].get(k, 0)
        history += r["history"]
        for d, meta, err, ops, eid in r["entries"]:
            p = Program.from_dict(d)
            p.meta = meta
            entries.append(Entry(p, err, ops, eid, 0))
    stats["cache_hit_rate"] = stats["hits"] / stats["lookups"] if stats["lookups"] else 0.0
    stats["seed_seconds"] = round(seed_seconds, 3)
    stats["seeds"] = len(seed_progs)
    entries.sort(key=lambda e: (e.ops, e.err, e.id))
    front = []
    best = math.inf
    for e in entries:
        if e.err < best and (not front or front[-1].ops != e.ops):
            front.append(e)
            best = e.err
    history.sort()
    return {"front": front, "lineage": lineage, "stats": stats, "history": history,
            "all": entries}


def lineage_of(eid: str, lineage: dict) -> list[dict]:
    chain = []
    seen = set()
    while eid is not None and eid in lineage and eid not in seen:
        seen.add(eid)
        rec = dict(lineage[eid])
        rec["id"] = eid
        chain.append(rec)
        eid = rec["parent"]
    return chain


# -- baselines ---------------------------------------------------------------------------
def baselines(target: Target, a, b, max_ops) -> list[dict]:
    """Taylor, minimax polynomial and Pade programs built and measured by the tool itself."""
    xs, fx = _nonzero(fit_grid(a, b), reference(target, fit_grid(a, b)))
    cxs, cfx = _nonzero(check_grid(a, b), reference(target, check_grid(a, b)))
    zero0 = 0.0 in _zero_at(target, a, b)
    x0 = 0.0 if a <= 0 <= b else a
    out = []
    with mpmath.workdps(40):
        tay = [float(v) for v in mpmath.taylor(target.mp, mpmath.mpf(x0), max_ops + 2)]
    for d in range(1, max_ops // 2 + 1):
        # Taylor in (x - x0)
        bl = Builder()
        var = 0 if x0 == 0 else bl.emit(4, 0, c=-x0)
        bl.horner(tay[: d + 1], var=var, drop_zero=zero0)
        p = bl.program()
        if p.ops <= max_ops:
            out.append({"method": "taylor", "degree": d, "ops": p.ops,
                        "max_rel_error": max_rel_error(p, cxs, cfx), "program": p})
        # relative minimax polynomial (fitted: least squares, Lawson, SLSQP exchange)
        bl = Builder()
        bl.horner(_poly_fit(xs, fx, d, zero=zero0), drop_zero=zero0)
        p = bl.program()
        if p.ops <= max_ops:
            q, _ = fit_constants(p, xs, fx)
            out.append({"method": "minimax", "degree": d, "ops": q.ops,
                        "max_rel_error": max_rel_error(q, cxs, cfx), "program": q})
    for m in range(1, max_ops // 4 + 1):
        with mpmath.workdps(40):
            try:
                P, Q = mpmath.pade([mpmath.mpf(t) for t in tay[: 2 * m + 1]], m, m)
            except Exception:
                continue
        bl = Builder()
        var = 0 if x0 == 0 else bl.emit(4, 0, c=-x0)
        tp = bl.horner([float(v) for v in P], var=var, drop_zero=zero0)
        tq = bl.horner([float(v) for v in Q], var=var)
        bl.emit(3, tp, tq)
        p = bl.program()
        if p.ops <= max_ops:
            out.append({"method": "pade", "degree": f"[{m}/{m}]", "ops": p.ops,
                        "max_rel_error": max_rel_error(p, cxs, cfx), "program": p})
    return out
