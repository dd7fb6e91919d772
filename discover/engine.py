"""The engine: drives a generator's shards through the staged pipeline and records the results.

Per shard (in a worker process, or in the driver when ``workers == 1``)::

    propose -> evaluate (tier 1) -> hash + dedup -> select -> refine (tier 2)
            -> verify (tier 3) -> canonicalise + identify -> provenance

The driver receives each shard's outcome and writes it with
:meth:`discover.store.Store.record_shard`: discoveries and "shard done" in one transaction. A shard
whose plugin code raises is recorded as failed with its traceback; the run goes on. Ctrl-C stops
the run cleanly: every shard already finished is in the store, and running the same search again
resumes with the shards that are left.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import mpmath

from . import hashing
from .errors import DiscoverError
from .generator import Generator, Hit, SearchContext, Shard, Verdict
from .identification import identify
from .provenance import build_provenance
from .search import Search
from .backends import make_backend
from .store import DiscoveryRecord, Store
from .targets import apply_transform

__all__ = ["run_search", "process_shard", "RunSummary", "ShardOutcome", "verify_candidate"]


@dataclass
class ShardOutcome:
    """What a worker sends back for one shard."""

    shard: int
    candidates: int = 0
    hits: int = 0
    seconds: float = 0.0
    found: list = field(default_factory=list)        # [(DiscoveryRecord, provenance graph)]
    stats: dict = field(default_factory=dict)
    error: str | None = None


@dataclass
class RunSummary:
    """The outcome of :func:`run_search`."""

    run_id: int
    store: str
    search: dict
    status: str                    # "complete", "interrupted", "partial" (failed shards)
    shards_total: int
    shards_done: int
    shards_failed: int
    shards_this_session: int
    candidates: int
    seconds: float
    discoveries: list[DiscoveryRecord]
    new_discoveries: int
    stats: dict
    resumed: bool = False

    @property
    def rate(self) -> float:
        return self.candidates / self.seconds if self.seconds > 0 else 0.0

    def to_json(self) -> dict:
        return {"run_id": self.run_id, "store": self.store, "status": self.status,
                "shards_total": self.shards_total, "shards_done": self.shards_done,
                "shards_failed": self.shards_failed, "candidates": self.candidates,
                "seconds": round(self.seconds, 3), "candidates_per_second": round(self.rate, 1),
                "new_discoveries": self.new_discoveries, "resumed": self.resumed,
                "stats": self.stats, "discoveries": [d.to_json() for d in self.discoveries]}


# ------------------------------------------------------------------------------------------
# Tier 3 helpers shared by the engine and discover.verify
# ------------------------------------------------------------------------------------------
def claimed_value(expression: str, constants, digits: int):
    """Evaluate a whitelisted closed form over the registry at ``digits`` (+ guard digits)."""
    return constants.evaluate(expression, digits + 30)


def verify_candidate(gen: Generator, candidate: Any, claimed, digits: int) -> Verdict:
    """Run the generator's tier-3 verification, timing it; never lets an exception escape."""
    t0 = time.perf_counter()
    try:
        verdict = gen.verify(candidate, claimed, digits)
    except Exception as err:  # a verification that crashes is a rejection, not a crash
        verdict = Verdict(equal=False, digits=0.0, required=digits,
                          reason=f"verification raised {type(err).__name__}: {err}")
    if not verdict.seconds:
        verdict.seconds = time.perf_counter() - t0
    return verdict


def _identify_value(gen: Generator, candidate, constant: str | None, ctx: SearchContext,
                    basis: list[str]) -> dict:
    value = gen.value(candidate, ctx.verify_digits + 20)
    if value is None:
        return {}
    names = [constant] if constant else None
    found = identify(value, constants=names, digits=ctx.verify_digits + 15,
                     registry=ctx.constants, extra_basis=basis)
    if found is None:
        return {}
    return {"method": f"pslq ({found.method})", "expression": found.expression,
            "relation": found.relation, "basis": found.basis,
            "digits": round(found.digits, 2)}


# ------------------------------------------------------------------------------------------
# One shard
# ------------------------------------------------------------------------------------------
def process_shard(gen: Generator, params, shard: Shard, ctx: SearchContext,
                  search_meta: dict) -> ShardOutcome:
    """Run one shard through every stage and return its verified discoveries."""
    t0 = time.perf_counter()
    out = ShardOutcome(shard=shard.index)
    stats = {"hashed": 0, "distinct": 0, "selected": 0, "refined": 0, "verified": 0,
             "rejected": 0, "status": {}}
    stage_seconds = {"evaluate": 0.0, "hash": 0.0, "select": 0.0, "refine": 0.0, "verify": 0.0}
    by_key: dict[str, tuple[DiscoveryRecord, Any, Hit]] = {}
    for batch in gen.propose(params, shard, ctx):
        out.candidates += len(batch)
        t = time.perf_counter()
        ev = gen.evaluate(params, batch)
        stage_seconds["evaluate"] += time.perf_counter() - t
        for code, count in zip(*_unique_counts(ev.status)):
            stats["status"][str(code)] = stats["status"].get(str(code), 0) + count
        t = time.perf_counter()
        reps, inverse, hs = hashing.dedup(ev.values, ev.ok, gen.hash_digits)
        stats["hashed"] += hs.seen
        stats["distinct"] += hs.distinct
        stage_seconds["hash"] += time.perf_counter() - t
        t = time.perf_counter()
        hits = gen.select(params, batch, ev, reps, inverse, ctx)
        stats["selected"] += len(hits)
        stage_seconds["select"] += time.perf_counter() - t
        t = time.perf_counter()
        hits = gen.refine(params, hits, ctx) if hits else hits
        stats["refined"] += len(hits)
        stage_seconds["refine"] += time.perf_counter() - t
        t = time.perf_counter()
        for hit in hits:
            canon = gen.canonical(hit.candidate)
            key = gen.key(canon)
            if key in by_key:
                by_key[key][2].variants.append(gen.to_json(hit.candidate))
                continue
            rec = _verify_hit(gen, hit, canon, key, ctx, search_meta, stats)
            if rec is not None:
                by_key[key] = rec
        stage_seconds["verify"] += time.perf_counter() - t
    for rec, _graph_args, hit in by_key.values():
        graph = build_provenance(hit=hit, verdict=hit.verdict, **_graph_args)
        out.found.append((rec, graph))
    out.hits = stats["refined"]
    out.seconds = time.perf_counter() - t0
    stats["seconds"] = {k: round(v, 4) for k, v in stage_seconds.items()}
    out.stats = stats
    return out


def _unique_counts(status):
    import numpy as np

    vals, counts = np.unique(status, return_counts=True)
    return [int(v) for v in vals], [int(c) for c in counts]


def _verify_hit(gen, hit: Hit, canon, key: str, ctx: SearchContext, search_meta: dict,
                stats: dict):
    """Tier 3 on the found form against its matched target, then the canonical form."""
    digits = ctx.verify_digits
    target = hit.target
    constant = target.constant if target is not None else None
    if target is not None:
        k = ctx.constants.get(constant).value(digits + 40)
        with mpmath.workdps(digits + 40):
            claimed = apply_transform(target.transform, k)
        verdict = verify_candidate(gen, hit.candidate, claimed, digits)
    elif hit.expression:
        verdict = verify_candidate(gen, hit.candidate,
                                   claimed_value(hit.expression, ctx.constants, digits), digits)
    else:
        verdict = Verdict(False, 0.0, digits, reason="nothing to verify against")
    hit.verdict = verdict
    if not verdict.equal:
        stats["rejected"] += 1
        return None
    stats["verified"] += 1
    expression = target.expression() if target is not None else hit.expression
    stored, stored_verdict = hit.candidate, verdict
    # Identify the canonical form independently (PSLQ at full precision) and verify it too;
    # if that fails, the found form is stored with the matched closed form.
    ident = _identify_value(gen, canon, constant, ctx,
                            list(ctx.identification_basis.get(constant or "", ())))
    if ident:
        cverdict = verify_candidate(gen, canon, claimed_value(ident["expression"],
                                                              ctx.constants, digits), digits)
        if cverdict.equal:
            stored, stored_verdict, expression = canon, cverdict, ident["expression"]
            hit.identification = {**ident, "of": "canonical form",
                                  "verified_digits": round(cverdict.digits, 2)}
    if stored is not canon:
        hit.identification = hit.identification or {
            "method": "moebius transform of the match", "expression": expression,
            "of": "found form"}
    desc = gen.describe(stored)
    rec = DiscoveryRecord(
        kind=gen.kind, key=key, params=gen.to_json(stored), digits=float(stored_verdict.digits),
        text=desc.get("text", ""), latex=desc.get("latex", ""), constant=constant,
        expression=expression, convergence_rate=stored_verdict.convergence_rate,
        verdict=stored_verdict.to_dict(), extra=dict(stored_verdict.extra))
    graph_args = dict(search=search_meta,
                      generator={"kind": gen.kind, "version": gen.version,
                                 "plugin": getattr(gen, "_plugin", "")},
                      candidate=gen.to_json(hit.candidate),
                      discovery={"key": key, **gen.to_json(stored), "constant": constant,
                                 "expression": expression,
                                 "digits": round(float(stored_verdict.digits), 2)})
    return rec, graph_args, hit


MIN_FREE_BYTES = 50 * 2 ** 20


def check_writable_space(path) -> None:
    """Fail at start, not after an hour, when the store's disk is (nearly) full."""
    import shutil
    from pathlib import Path

    folder = Path(path).resolve().parent
    free = shutil.disk_usage(folder).free
    if free < MIN_FREE_BYTES:
        raise DiscoverError(f"only {free / 2 ** 20:.1f} MiB free on the disk of the store "
                            f"{path}; free some space or choose another --store path")


def default_workers() -> int:
    return max(1, min(os.cpu_count() or 1, 8))


# ------------------------------------------------------------------------------------------
# The driver
# ------------------------------------------------------------------------------------------
def run_search(search: Search, *, store: Store, plugins, workers: int | None = None,
               progress: Callable[[dict], None] | None = None, new_run: bool = False,
               max_shards: int | None = None, retry_failed: bool = False,
               scheduler: str | None = None) -> RunSummary:
    """Run (or resume) ``search``, writing to ``store``; return a :class:`RunSummary`.

    The latest run of the same search (same hash) is resumed: its finished shards are skipped
    (for a completed run nothing is left to do, and its discoveries are returned).
    ``new_run=True`` starts a fresh run regardless. ``max_shards`` stops after that
    many shards (for previews and tests); the run can be resumed later. Failed shards are
    skipped on resume unless ``retry_failed``. ``scheduler`` (``tcp://HOST:PORT``) runs the
    shards on a Dask cluster instead of local processes.
    """
    check_writable_space(store.path)
    gen = plugins.generator(search.kind)
    ctx = search.context(plugins.constants)
    ctx.identification_basis = {c: plugins.identification_basis(c) for c in search.constants}
    shards = list(gen.shards(search.params))
    resumed = False
    run_id = None
    if not new_run:
        # the latest run of this very search: resume it (nothing is left if it completed)
        same = store.find_runs(search_hash=search.hash)
        if same:
            run_id, resumed = same[-1].id, True
        if run_id is None:
            changed = [r for r in store.find_runs(name=search.name)
                       if r.status != "complete" and r.search_hash != search.hash]
            if changed:
                raise DiscoverError(
                    f"search {search.name!r} changed since its unfinished run {changed[-1].id} "
                    f"in {store.path} (search hash {changed[-1].search_hash} -> {search.hash}); "
                    f"resuming would mix two searches. Restore the file, or start afresh with "
                    f"--new-run (alias --force-new-run)")
    if run_id is None:
        run_id = store.create_run(search.name, search.kind, search.hash, search.to_json(),
                                  gen.version, len(shards))
    done = store.shards_done(run_id)
    skip = set(done) if retry_failed else set(done) | {f["shard"] for f in
                                                       store.failed_shards(run_id)}
    pending = [s for s in shards if s.index not in skip]
    if max_shards is not None:
        pending = pending[:max_shards]
    workers = workers or search.workers or default_workers()
    workers = max(1, min(workers, len(pending) or 1))
    meta = {"name": search.name, "hash": search.hash, "path": search.path or "",
            "params": dict(search.params), "constants": list(search.constants),
            "run": run_id}
    total_candidates = sum(s.size for s in shards)
    state = {"done": len(done), "total": len(shards), "candidates": 0,
             "candidates_total": total_candidates, "discoveries": 0, "new": 0, "failed": 0,
             "started": time.time(), "run_id": run_id}
    agg = {"hashed": 0, "distinct": 0, "selected": 0, "refined": 0, "verified": 0,
           "rejected": 0, "status": {}, "seconds": {}}
    t0 = time.perf_counter()
    status = "complete"
    if progress:
        progress({"event": "start", **state, "pending": len(pending), "resumed": resumed})

    def record(outcome: ShardOutcome) -> None:
        results = store.record_shard(run_id, outcome.shard, outcome.found,
                                     candidates=outcome.candidates, hits=outcome.hits,
                                     seconds=outcome.seconds, stats=outcome.stats,
                                     error=outcome.error)
        state["done"] += 0 if outcome.error else 1
        state["failed"] += 1 if outcome.error else 0
        state["candidates"] += outcome.candidates
        for rec, is_new in results:
            state["discoveries"] += 1
            state["new"] += int(is_new)
            for problem in plugins.notify_discovery(rec, run_id, is_new):
                if progress:
                    progress({"event": "warning", "message": problem})
        for k in ("hashed", "distinct", "selected", "refined", "verified", "rejected"):
            agg[k] += outcome.stats.get(k, 0)
        for code, n in outcome.stats.get("status", {}).items():
            agg["status"][code] = agg["status"].get(code, 0) + n
        for stage, sec in outcome.stats.get("seconds", {}).items():
            agg["seconds"][stage] = round(agg["seconds"].get(stage, 0.0) + sec, 4)
        if progress:
            progress({"event": "shard", **state, "shard": outcome.shard,
                      "error": outcome.error, "elapsed": time.perf_counter() - t0})

    try:
        if pending:
            if not scheduler:
                gen.prepare(search.params, ctx)
            backend = make_backend(gen=gen, search=search, ctx=ctx, meta=meta, workers=workers,
                                   scheduler=scheduler)
            for outcome in backend.run(pending):
                record(outcome)
    except KeyboardInterrupt:
        status = "interrupted"
    elapsed = time.perf_counter() - t0
    done_now = store.shards_done(run_id)
    failed = len(store.failed_shards(run_id))
    if status != "interrupted":
        status = "complete" if len(done_now) == len(shards) else "partial"
    hashed = agg["hashed"]
    stats = {**agg, "hash_hit_rate": round(1 - agg["distinct"] / hashed, 4) if hashed else 0.0,
             "candidates": state["candidates"], "seconds": round(elapsed, 3),
             "candidates_per_second": round(state["candidates"] / elapsed, 1) if elapsed else 0,
             "workers": workers, "stage_seconds": agg["seconds"]}
    stats.pop("seconds", None)
    stats["wall_seconds"] = round(elapsed, 3)
    if not pending and resumed:
        stats = store.run(run_id).stats or stats   # nothing ran: keep the timing of the real work
    store.finish_run(run_id, status, stats)
    if progress:
        progress({"event": "end", **state, "status": status})
    return RunSummary(run_id=run_id, store=str(store.path), search=search.to_json(),
                      status=status, shards_total=len(shards), shards_done=len(done_now),
                      shards_failed=failed, shards_this_session=len(pending),
                      candidates=state["candidates"], seconds=elapsed,
                      discoveries=store.discoveries(run_id=run_id), new_discoveries=state["new"],
                      stats=stats, resumed=resumed)
