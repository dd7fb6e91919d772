"""The engine: drives a generator's work through the staged pipeline and records the results.

Two shapes of search run through it, on the same backends, store, hash table and record path:

*Shards* (enumeration). Per shard, in a worker process or in the driver::

    propose -> evaluate (tier 1) -> hash + dedup -> select -> refine (tier 2)
            -> verify (tier 3) -> canonicalise + identify -> provenance

*Rounds* (adaptive: evolution, proof saturation). Per round, in the driver::

    ask (tasks from the recorded state) -> work (tasks on the backend, in parallel)
            -> tell (merge into a new state; hits) -> verify hits (on the backend)
            -> record the round: discoveries + state + functional hashes, one transaction

The driver alone writes the store (:func:`discover.pipeline.record_findings`): a shard's
discoveries and "shard done", or a round's discoveries and the generator's state, are one
transaction, so a run killed at any moment (SIGKILL included) resumes from the last recorded
shard or round and loses and repeats nothing. A shard or round whose plugin code raises is
recorded as failed with its traceback; running the search again retries it. Ctrl-C stops the run
cleanly.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import Any, Callable


from . import hashing
from .errors import DiscoverError
from .generator import Generator, Hit, SearchContext, Shard, Task
from .hashtable import HashTable, merge_hash_stats
from .provenance import add_variants
from .pipeline import Finding, claimed_value, record_findings, verify_candidate, verify_hit
from .search import Search
from .backends import make_backend
from .limits import check_search_size
from .lease import StoreLease   # [lease] one writer per store; drivers of one search split work
from .store import DiscoveryRecord, Store

__all__ = ["run_search", "process_shard", "process_unit", "RunSummary", "ShardOutcome",
           "VerifyJob", "verify_candidate", "claimed_value"]


@dataclass
class ShardOutcome:
    """What a worker sends back for one unit of work: a shard, a round's task, or a round's
    verification job (``unit``). ``found`` holds ``(DiscoveryRecord, provenance graph)`` pairs,
    ``result`` a task's result, ``hashes`` the new functional-hash entries and ``hash_stats``
    the lookups and hits per stage."""

    shard: int
    candidates: int = 0
    hits: int = 0
    seconds: float = 0.0
    found: list = field(default_factory=list)
    stats: dict = field(default_factory=dict)
    error: str | None = None
    unit: str = "shard"
    result: Any = None
    hashes: list = field(default_factory=list)
    hash_stats: dict = field(default_factory=dict)


@dataclass(frozen=True)
class VerifyJob:
    """Tier 3 of one hit returned by an adaptive round, run on the backend."""

    round: int
    index: int
    hit: Hit

    @property
    def size(self) -> int:
        return 1


@dataclass
class RunSummary:
    """The outcome of :func:`run_search`."""

    run_id: int
    store: str
    search: dict
    status: str                    # "complete", "interrupted", "partial" (failed work)
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
    mode: str = "shards"
    rounds_done: int = 0
    rounds_failed: int = 0

    @property
    def rate(self) -> float:
        return self.candidates / self.seconds if self.seconds > 0 else 0.0

    def to_json(self) -> dict:
        out = {"run_id": self.run_id, "store": self.store, "status": self.status,
               "mode": self.mode,
               "shards_total": self.shards_total, "shards_done": self.shards_done,
               "shards_failed": self.shards_failed, "candidates": self.candidates,
               "seconds": round(self.seconds, 3), "candidates_per_second": round(self.rate, 1),
               "new_discoveries": self.new_discoveries, "resumed": self.resumed,
               "stats": self.stats, "discoveries": [d.to_json() for d in self.discoveries]}
        if self.mode == "rounds":
            out["rounds_done"] = self.rounds_done
            out["rounds_failed"] = self.rounds_failed
        return out

    def _repr_html_(self) -> str:
        from html import escape

        rows = "".join(f"<li>{d._repr_html_()}</li>" for d in self.discoveries[:50])
        return (f"<div><b>run {self.run_id}</b> ({escape(self.status)}): "
                f"{len(self.discoveries)} discoveries, {self.new_discoveries} new, "
                f"{self.seconds:.1f} s<ul>{rows}</ul></div>")


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
    by_key: dict[str, Finding] = {}
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
            key = gen.key(gen.canonical(hit.candidate))
            if key in by_key:
                if by_key[key].hit is not None:
                    by_key[key].hit.variants.append(gen.to_json(hit.candidate))
                continue
            found = verify_hit(gen, hit, ctx, search_meta, stats)
            if found is not None:
                by_key[key] = found
        stage_seconds["verify"] += time.perf_counter() - t
    for found in by_key.values():
        if found.graph is not None and found.hit is not None and found.hit.variants:
            add_variants(found.graph, found.hit.variants)
        out.found.append((found.record, found.graph))
    out.hits = stats["refined"]
    out.seconds = time.perf_counter() - t0
    stats["seconds"] = {k: round(v, 4) for k, v in stage_seconds.items()}
    out.stats = stats
    return out


def process_task(gen: Generator, params, task: Task, ctx: SearchContext,
                 search_meta: dict) -> ShardOutcome:
    """Run one task of an adaptive round (:meth:`Generator.work`)."""
    t0 = time.perf_counter()
    result = gen.work(params, task, ctx)
    return ShardOutcome(shard=task.index, unit="task", result=result, candidates=task.size,
                        seconds=time.perf_counter() - t0)


def process_verify(gen: Generator, params, job: VerifyJob, ctx: SearchContext,
                   search_meta: dict) -> ShardOutcome:
    """Tier 3, identification and provenance of one hit of an adaptive round."""
    t0 = time.perf_counter()
    stats: dict = {}
    found = verify_hit(gen, job.hit, ctx, search_meta, stats)
    out = ShardOutcome(shard=job.index, unit="verify", stats=stats,
                       seconds=time.perf_counter() - t0)
    if found is not None:
        out.found.append((found.record, found.graph))
    return out


def process_unit(gen: Generator, params, unit, ctx: SearchContext,
                 search_meta: dict) -> ShardOutcome:
    """Run one unit of work (a :class:`Shard`, :class:`Task` or :class:`VerifyJob`) and attach
    the functional-hash entries and counters it produced."""
    if ctx.hashes is None:
        ctx.hashes = HashTable(None)
    ctx.hashes.drain()
    if isinstance(unit, Shard):
        out = process_shard(gen, params, unit, ctx, search_meta)
    elif isinstance(unit, Task):
        out = process_task(gen, params, unit, ctx, search_meta)
    elif isinstance(unit, VerifyJob):
        out = process_verify(gen, params, unit, ctx, search_meta)
    else:
        raise DiscoverError(f"unknown unit of work {unit!r}")
    out.hashes, out.hash_stats = ctx.hashes.drain()
    return out


def _unique_counts(status):
    import numpy as np

    vals, counts = np.unique(status, return_counts=True)
    return [int(v) for v in vals], [int(c) for c in counts]


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
@StoreLease.leased   # [lease] acquire before choosing the run, release at the end
def run_search(search: Search, *, store: Store, plugins, workers: int | None = None,
               progress: Callable[[dict], None] | None = None, new_run: bool = False,
               max_shards: int | None = None, retry_failed: bool = False,
               scheduler: str | None = None, max_rounds: int | None = None,
               yes: bool = False, _lease: StoreLease | None = None) -> RunSummary:
    """Run (or resume) ``search``, writing to ``store``; return a :class:`RunSummary`.

    The latest run of the same search (same hash) is resumed: its finished shards are skipped,
    or its rounds continue from the last recorded one (for a completed run nothing is left to
    do, and its discoveries are returned). ``new_run=True`` starts a fresh run regardless.
    ``max_shards`` / ``max_rounds`` stop after that many shards / rounds (for previews and
    tests); the run can be resumed later. Failed shards are skipped on resume unless
    ``retry_failed``; a failed round is always retried (the next round depends on it).
    ``scheduler`` (``tcp://HOST:PORT``) runs the work on a Dask cluster instead of local
    processes. A new run of more candidates than the limit ``search_candidates``
    (:mod:`discover.limits`) is refused before any work, with the count and the estimated time,
    unless ``yes``.
    """
    check_writable_space(store.path)
    gen = plugins.generator(search.kind)
    ctx = search.context(plugins.constants)
    ctx.identification_basis = {c: plugins.identification_basis(c) for c in search.constants}
    ctx.hashes = HashTable(store.path)
    rounds_mode = gen.mode == "rounds"
    shards = [] if rounds_mode else list(gen.shards(search.params))
    run_id = _lease.peer_run() if _lease is not None and not new_run else None  # [lease] join
    resumed = run_id is not None
    if not new_run and run_id is None:
        # the latest run of this very search: resume it (nothing is left if it completed)
        same = store.find_runs(search_hash=search.hash)
        same = [r for r in same if r.mode != "verb"]
        if same:
            run_id, resumed = same[-1].id, True
        if run_id is None:
            changed = [r for r in store.find_runs(name=search.name)
                       if r.status != "complete" and r.search_hash != search.hash
                       and r.mode != "verb"]
            if changed:
                raise DiscoverError(
                    f"search {search.name!r} changed since its unfinished run {changed[-1].id} "
                    f"in {store.path} (search hash {changed[-1].search_hash} -> {search.hash}); "
                    f"resuming would mix two searches. Restore the file, or start afresh with "
                    f"--new-run (alias --force-new-run)")
    if run_id is None:
        check_search_size(sum(s.size for s in shards), yes=yes, name=search.name,
                          workers=workers or search.workers or default_workers())
        run_id = store.create_run(search.name, search.kind, search.hash, search.to_json(),
                                  gen.version, len(shards),
                                  mode="rounds" if rounds_mode else "shards")
    if _lease is not None:
        _lease.bind(run_id)   # [lease] record the run and renew the lease in a daemon thread
    meta = {"name": search.name, "hash": search.hash, "path": search.path or "",
            "params": dict(search.params), "constants": list(search.constants),
            "run": run_id}
    driver = _Driver(search, store, plugins, gen, ctx, meta, run_id, progress, workers,
                     scheduler)
    driver.lease = _lease   # [lease]
    try:
        if rounds_mode:
            return driver.rounds(resumed, max_rounds)
        return driver.shards(shards, resumed, max_shards, retry_failed)
    finally:
        driver.close()


class _Driver:
    """The driver's side of one run: dispatch work, record outcomes, summarise."""

    lease: StoreLease | None = None   # [lease] claims each shard / round before it is dispatched

    def __init__(self, search, store, plugins, gen, ctx, meta, run_id, progress, workers,
                 scheduler):
        self.search, self.store, self.plugins, self.gen = search, store, plugins, gen
        self.ctx, self.meta, self.run_id, self.progress = ctx, meta, run_id, progress
        self.workers_asked, self.scheduler = workers, scheduler
        self.agg = {"hashed": 0, "distinct": 0, "selected": 0, "refined": 0, "verified": 0,
                    "rejected": 0, "status": {}, "seconds": {}}
        self.hash_stats: dict = {}
        self.state = {"done": 0, "total": 0, "candidates": 0, "candidates_total": 0,
                      "discoveries": 0, "new": 0, "failed": 0, "started": time.time(),
                      "run_id": run_id}
        self.prepared = False
        self.dask = None
        self.pool = None

    def _emit(self, ev: dict) -> None:
        if self.progress:
            self.progress(ev)

    def _workers(self, n_units: int) -> int:
        w = self.workers_asked or self.search.workers or default_workers()
        return max(1, min(w, n_units or 1))

    def _backend(self, n_units: int):
        if not self.prepared and not self.scheduler:
            self.gen.prepare(self.search.params, self.ctx)
            self.prepared = True
        if self.scheduler:      # one client for the whole run (every round reuses it)
            if self.dask is None:
                self.dask = make_backend(gen=self.gen, search=self.search, ctx=self.ctx,
                                         meta=self.meta, workers=1, scheduler=self.scheduler)
            return self.dask
        workers = self._workers(n_units)
        if workers <= 1:
            return make_backend(gen=self.gen, search=self.search, ctx=self.ctx, meta=self.meta,
                                workers=1, scheduler=None)
        if self.pool is None:   # one pool of local workers for the whole run
            self.pool = make_backend(gen=self.gen, search=self.search, ctx=self.ctx,
                                     meta=self.meta, scheduler=None,
                                     workers=self._workers(10 ** 6))
        return self.pool

    def close(self) -> None:
        for name in ("dask", "pool"):
            backend = getattr(self, name)
            if backend is not None:
                backend.close()
                setattr(self, name, None)

    def _merge_stats(self, outcome: ShardOutcome) -> None:
        for k, v in outcome.stats.items():
            if k == "status":
                for code, n in v.items():
                    self.agg["status"][code] = self.agg["status"].get(code, 0) + n
            elif k == "seconds":
                for stage, sec in v.items():
                    self.agg["seconds"][stage] = round(self.agg["seconds"].get(stage, 0.0)
                                                       + sec, 4)
            elif isinstance(v, (int, float)) and not isinstance(v, bool):
                self.agg[k] = self.agg.get(k, 0) + v
        merge_hash_stats(self.hash_stats, outcome.hash_stats)

    def _count(self, results) -> None:
        for _rec, is_new in results:
            self.state["discoveries"] += 1
            self.state["new"] += int(is_new)

    def _warn(self, message: str) -> None:
        self._emit({"event": "warning", "message": message})

    # -- shards ------------------------------------------------------------------------
    def shards(self, shards, resumed, max_shards, retry_failed) -> RunSummary:
        store, run_id = self.store, self.run_id
        done = store.shards_done(run_id)
        skip = set(done) if retry_failed else set(done) | {f["shard"] for f in
                                                           store.failed_shards(run_id)}
        pending = [s for s in shards if s.index not in skip]
        if max_shards is not None:
            pending = pending[:max_shards]
        self.state.update(done=len(done), total=len(shards),
                          candidates_total=sum(s.size for s in shards))
        t0 = time.perf_counter()
        status = "complete"
        self._emit({"event": "start", **self.state, "pending": len(pending),
                    "resumed": resumed, "mode": "shards"})
        try:
            if pending:
                todo = (pending if self.lease is None    # [lease] claim before dispatching
                        else self.lease.claimed(pending, retry_failed=retry_failed))
                for outcome in self._backend(len(pending)).run(todo):
                    results = record_findings(
                        store, run_id, [Finding(r, g) for r, g in outcome.found], self.plugins,
                        index=outcome.shard, unit="shard", candidates=outcome.candidates,
                        hits=outcome.hits, seconds=outcome.seconds, stats=outcome.stats,
                        error=outcome.error, hashes=outcome.hashes, on_warning=self._warn)
                    self.state["done"] += 0 if outcome.error else 1
                    self.state["failed"] += 1 if outcome.error else 0
                    self.state["candidates"] += outcome.candidates
                    self._count(results)
                    self._merge_stats(outcome)
                    self._emit({"event": "shard", **self.state, "shard": outcome.shard,
                                "error": outcome.error, "elapsed": time.perf_counter() - t0})
        except KeyboardInterrupt:
            status = "interrupted"
        done_now = store.shards_done(run_id)
        if status != "interrupted":
            status = "complete" if len(done_now) == len(shards) else "partial"
        return self._finish(status, t0, did_work=bool(pending), resumed=resumed,
                            shards_total=len(shards), shards_done=len(done_now),
                            shards_failed=len(store.failed_shards(run_id)),
                            this_session=len(pending))

    # -- rounds ------------------------------------------------------------------------
    def rounds(self, resumed, max_rounds) -> RunSummary:
        store, run_id, gen, ctx = self.store, self.run_id, self.gen, self.ctx
        params = self.search.params
        last = store.last_round(run_id)
        if last is None:
            r, gstate, finished = 0, gen.start(params, ctx), False
        else:
            r, wrapped = last[0] + 1, last[1]
            gstate, finished = wrapped["generator"], bool(wrapped.get("finished"))
        total = gen.planned_rounds(params)
        self.state.update(done=r, total=total or 0)
        t0 = time.perf_counter()
        status = "complete"
        ran = 0
        self._emit({"event": "start", **self.state, "pending": None if total is None
                    else max(0, total - r), "resumed": resumed, "mode": "rounds"})
        try:
            while not finished and (max_rounds is None or ran < max_rounds):
                if self.lease is not None and not self.lease.claim(r, kind="round"):  # [lease]
                    self._warn(f"round {r} is run by another driver of this search")
                    status = "partial"
                    break
                tasks = list(gen.ask(params, gstate, r, ctx))
                if not tasks:
                    finished = True
                    break
                tr = time.perf_counter()
                error = None
                results: dict[int, ShardOutcome] = {}
                for outcome in self._backend(len(tasks)).run(tasks):
                    if outcome.error and error is None:
                        error = outcome.error
                    results[outcome.shard] = outcome
                hashes: list = []
                findings: list[Finding] = []
                outcome_stats: dict = {}
                if error is None:
                    try:
                        told = gen.tell(params, gstate, r, [results[t.index].result
                                                            for t in tasks], ctx)
                    except Exception:
                        import traceback

                        error = traceback.format_exc()
                if error is None:
                    for o in results.values():
                        hashes += o.hashes
                        merge_hash_stats(self.hash_stats, o.hash_stats)
                    new, hs = ctx.hashes.drain()     # entries the generator added in tell
                    hashes += new
                    merge_hash_stats(self.hash_stats, hs)
                    outcome_stats = dict(told.stats)
                    jobs = [VerifyJob(r, i, h) for i, h in enumerate(told.hits)]
                    if jobs:
                        for o in self._backend(len(jobs)).run(jobs):
                            if o.error:
                                self._warn(f"round {r}: verification of hit {o.shard} raised: "
                                           f"{o.error.strip().splitlines()[-1]}")
                                continue
                            findings += [Finding(rec, g) for rec, g in o.found]
                            hashes += o.hashes
                            self._merge_stats(o)
                    outcome_stats["hits"] = len(jobs)
                seconds = time.perf_counter() - tr
                wrapped = None if error else {"generator": told.state,
                                              "finished": bool(told.finished)}
                rec = record_findings(store, run_id, findings, self.plugins, index=r,
                                      unit="round", candidates=len(tasks), seconds=seconds,
                                      stats=outcome_stats, error=error, state=wrapped,
                                      hashes=hashes, on_warning=self._warn)
                ran += 1
                if error is not None:
                    self.state["failed"] += 1
                    self._emit({"event": "round", **self.state, "round": r, "error": error,
                                "elapsed": time.perf_counter() - t0})
                    status = "partial"
                    break
                for k, v in outcome_stats.items():
                    if isinstance(v, (int, float)) and not isinstance(v, bool):
                        self.agg[k] = self.agg.get(k, 0) + v
                self._count(rec)
                self.state["done"] = r + 1
                self.state["candidates"] += len(tasks)
                gstate, finished = told.state, bool(told.finished)
                self._emit({"event": "round", **self.state, "round": r, "error": None,
                            "elapsed": time.perf_counter() - t0})
                r += 1
        except KeyboardInterrupt:
            status = "interrupted"
        if status == "complete" and not finished:
            status = "partial"
        if status == "complete" and last is not None and ran == 0:
            pass
        runrec = store.run(run_id)
        return self._finish(status, t0, did_work=ran > 0, resumed=resumed, shards_total=0,
                            shards_done=0, shards_failed=0, this_session=ran,
                            rounds_done=runrec.rounds_done, rounds_failed=runrec.rounds_failed)

    # -- summary -----------------------------------------------------------------------
    def _finish(self, status, t0, *, did_work, resumed, shards_total, shards_done,
                shards_failed, this_session, rounds_done=0, rounds_failed=0) -> RunSummary:
        store, run_id = self.store, self.run_id
        elapsed = time.perf_counter() - t0
        agg = self.agg
        hashed = agg["hashed"]
        stats = {**agg, "hash_hit_rate": round(1 - agg["distinct"] / hashed, 4) if hashed
                 else 0.0, "candidates": self.state["candidates"],
                 "candidates_per_second": round(self.state["candidates"] / elapsed, 1)
                 if elapsed else 0, "workers": self._workers(max(this_session, 1)),
                 "stage_seconds": agg["seconds"], "hash_table": self.hash_stats}
        stats.pop("seconds", None)
        stats["wall_seconds"] = round(elapsed, 3)
        if not did_work and resumed:
            stats = store.run(run_id).stats or stats   # nothing ran: keep the real work's timing
        store.finish_run(run_id, status, stats)
        self._emit({"event": "end", **self.state, "status": status})
        return RunSummary(run_id=run_id, store=str(store.path), search=self.search.to_json(),
                          status=status, shards_total=shards_total, shards_done=shards_done,
                          shards_failed=shards_failed, shards_this_session=this_session,
                          candidates=self.state["candidates"], seconds=elapsed,
                          discoveries=store.discoveries(run_id=run_id),
                          new_discoveries=self.state["new"], stats=stats, resumed=resumed,
                          mode="rounds" if self.gen.mode == "rounds" else "shards",
                          rounds_done=rounds_done, rounds_failed=rounds_failed)
