"""Where shards run: in the driver, in local worker processes, or on a Dask cluster.

Every backend takes units of work (shards, the tasks of an adaptive round, or a round's
verification jobs) and yields one :class:`~discover.engine.ShardOutcome` per unit, in completion
order. Workers only compute; the driver alone writes the store. An
exception in plugin code becomes a failed outcome carrying its traceback, never a crash.

- :class:`SerialBackend`: one process (``--workers 1``); simplest to debug.
- :class:`ProcessBackend`: ``N`` forked worker processes; state prepared by the driver (tables,
  compiled kernels) is inherited, not rebuilt (with ``spawn`` or ``forkserver``, forced by
  ``DISCOVER_START_METHOD``, it is pickled to each worker). Workers die with the driver, even
  when it is killed with SIGKILL (:mod:`discover.workers`).
- :class:`DaskBackend`: a ``distributed`` scheduler (``--scheduler tcp://HOST:PORT``). Each Dask
  worker rebuilds the plugins and the search from the search file's data once, then runs shards.
  A worker lost mid-shard is rescheduled by Dask on another worker, so no shard is lost; a shard
  is recorded only when its outcome reaches the driver.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing as mp
import os
import traceback
from typing import Iterator

from .errors import DiscoverError
from .generator import Shard

__all__ = ["SerialBackend", "ProcessBackend", "DaskBackend", "make_backend"]


def _safe(fn, unit, *args):
    from .engine import ShardOutcome

    try:
        return fn(*args, unit)
    except Exception:
        return ShardOutcome(shard=unit.index, error=traceback.format_exc(),
                            unit=_unit_name(unit))


def _unit_name(unit) -> str:
    return "shard" if isinstance(unit, Shard) else type(unit).__name__.lower()


def _process(gen, params, ctx, meta, unit):
    from .engine import process_unit

    return process_unit(gen, params, unit, ctx, meta)


class SerialBackend:
    """Run shards one after another in the driver process."""

    name = "serial"

    def __init__(self, gen, params, ctx, meta):
        self.args = (gen, params, ctx, meta)

    def run(self, shards: list[Shard]) -> Iterator:
        for shard in shards:
            yield _safe(_process, shard, *self.args)

    def close(self) -> None:
        pass


_WORKER_STATE: dict = {}


def _ignore_sigint() -> None:
    """Workers leave Ctrl-C to the driver, which stops cleanly and keeps what is finished."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _init_worker(parent_pid: int, state: bytes | None) -> None:
    """Pool initializer: ignore Ctrl-C, die with the driver (discover.workers), and for spawn
    and forkserver (nothing inherited) unpickle the state the driver prepared."""
    from .workers import guard_parent

    _ignore_sigint()
    guard_parent(parent_pid)
    if state is not None:
        import pickle

        _WORKER_STATE.update(pickle.loads(state))


def _in_worker(shard: Shard):
    st = _WORKER_STATE
    return _safe(_process, shard, st["gen"], st["params"], st["ctx"], st["meta"])


class ProcessBackend:
    """Run units in ``workers`` worker processes, at most two queued per worker.

    The pool is started on the first :meth:`run` and kept until :meth:`close`, so the rounds of
    an adaptive search reuse the same workers (state prepared by the driver before the first
    round is inherited once, not rebuilt every round).
    """

    name = "processes"

    def __init__(self, gen, params, ctx, meta, workers: int):
        self.state = dict(gen=gen, params=params, ctx=ctx, meta=meta)
        self.workers = workers
        self.pool = None

    def _start(self):
        import os
        import pickle

        from .workers import start_method

        _WORKER_STATE.update(self.state)
        method = start_method()
        state = None if method == "fork" else pickle.dumps(self.state)
        self.pool = cf.ProcessPoolExecutor(max_workers=self.workers,
                                           mp_context=mp.get_context(method),
                                           initializer=_init_worker,
                                           initargs=(os.getpid(), state))

    def run(self, shards: list[Shard]) -> Iterator:
        if self.pool is None:
            self._start()
        pool = self.pool
        queue = iter(shards)     # pulled lazily: each shard is claimed when dispatched
        running: set = set()
        try:
            while True:
                while len(running) < 2 * self.workers:
                    shard = next(queue, None)
                    if shard is None:
                        break
                    running.add(pool.submit(_in_worker, shard))
                if not running:
                    break
                finished, running = cf.wait(running, return_when=cf.FIRST_COMPLETED)
                for fut in finished:
                    yield fut.result()
        except BaseException:
            for fut in running:
                fut.cancel()
            self.close()
            raise

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None
        _WORKER_STATE.clear()


_DASK_CACHE: dict = {}


def _dask_shard(search_data: dict, search_path, meta: dict, shard):
    """Runs on a Dask worker: rebuild plugins and search once per worker, then one unit."""
    from .engine import ShardOutcome

    try:
        key = meta["hash"]
        if key not in _DASK_CACHE:
            from .pluginmanager import get_plugin_manager
            from .search import parse_search

            pl = get_plugin_manager()
            search = parse_search(search_data, pl, path=search_path)
            if search.hash != key:
                raise DiscoverError(f"the worker's plugins give search hash {search.hash}, the "
                                    f"driver's {key}: install the same discover and plugin "
                                    f"versions on every worker")
            gen = pl.generator(search.kind)
            ctx = search.context(pl.constants)
            ctx.identification_basis = {c: pl.identification_basis(c) for c in search.constants}
            from .hashtable import HashTable

            ctx.hashes = HashTable(None)    # the store is the driver's: start empty here
            gen.prepare(search.params, ctx)
            _DASK_CACHE.clear()
            _DASK_CACHE[key] = (gen, search.params, ctx)
        gen, params, ctx = _DASK_CACHE[key]
        return _process(gen, params, ctx, meta, shard)
    except Exception:
        return ShardOutcome(shard=shard.index, error=traceback.format_exc(),
                            unit=_unit_name(shard))


def _unit_key(unit) -> str:
    if isinstance(unit, Shard):
        return str(unit.index)
    return f"{_unit_name(unit)}-{unit.round}-{unit.index}"



def _connect_timeout() -> float:
    """Seconds to wait for a Dask scheduler: ``DISCOVER_DASK_TIMEOUT`` (default 20)."""
    raw = os.environ.get("DISCOVER_DASK_TIMEOUT", "20").strip()
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 < value <= 3600:
        raise DiscoverError(f"DISCOVER_DASK_TIMEOUT={raw!r} is not a number of seconds in "
                            f"(0, 3600]; set it to, for example, 20")
    return value

class DaskBackend:
    """Run shards on a ``distributed`` cluster given by its scheduler address."""

    name = "dask"

    def __init__(self, search, meta: dict, scheduler: str):
        try:
            import distributed
        except ImportError as err:
            raise DiscoverError("--scheduler needs the 'distributed' package: "
                                "pip install 'discover[dask]'") from err
        self.distributed = distributed
        self.search = search
        self.meta = meta
        timeout = _connect_timeout()
        try:
            self.client = distributed.Client(scheduler, timeout=timeout)
        except (OSError, TimeoutError) as err:
            raise DiscoverError(f"cannot reach the Dask scheduler at {scheduler} within {timeout:g} s "
                                f"({err}); start "
                                f"one with `dask scheduler` and workers with `dask worker "
                                f"{scheduler}`") from err

    def run(self, shards) -> Iterator:
        shards = list(shards)
        data = dict(self.search.raw)
        futures = [self.client.submit(_dask_shard, data, self.search.path, self.meta, shard,
                                      key=f"discover-{self.meta['hash']}-{self.meta['run']}-"
                                          f"{_unit_key(shard)}", retries=2, pure=False)
                   for shard in shards]
        try:
            for fut in self.distributed.as_completed(futures):
                yield fut.result()
        finally:
            for fut in futures:
                if not fut.done():
                    fut.cancel()

    def close(self) -> None:
        self.client.close()


def make_backend(*, gen, search, ctx, meta, workers: int, scheduler: str | None):
    if scheduler:
        return DaskBackend(search, meta, scheduler)
    if workers <= 1:
        return SerialBackend(gen, search.params, ctx, meta)
    return ProcessBackend(gen, search.params, ctx, meta, workers)
