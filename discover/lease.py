"""One writer per store: a lease, and per-shard claims for drivers of the same search.

A run holds a *lease* on its store, a row of the table ``leases`` in the store file (host, pid,
run id, search hash, since, renewed), renewed every few seconds by a daemon thread while it runs.
A lease is *stale*, and taken over, when it has not been renewed for ``stale_after`` seconds
(30 by default) or at once when its holder ran on this host and its process is gone (killed,
even with SIGKILL).

- A second driver of the **same** search (same search hash) shares the store: it joins the same
  run and *claims* each shard before dispatching it (table ``claims``, keyed ``(run_id, unit)``),
  so the two split the shards and no shard is computed twice; a shard already recorded in the
  store's ``shards`` table is never claimed again.
- A driver of a **different** search is refused with :class:`StoreBusyError`, naming who holds the
  store (host, pid, run, since when) and how to go on.

The tables are created if missing; the store's schema version is not touched. The engine calls
:class:`StoreLease` at four points: :meth:`~StoreLease.acquire` at the start (before choosing the
run; :meth:`~StoreLease.peer_run` then gives the run of a live peer of the same search to join),
:meth:`~StoreLease.bind` with the run chosen (which starts the renewing thread),
:meth:`~StoreLease.claim` before dispatching each shard (:meth:`~StoreLease.claimed` filters a
lazily pulled list), :meth:`~StoreLease.release` at the end. :meth:`StoreLease.leased` wraps the
engine's entry point to do the first and the last.

>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "s.sqlite"
>>> a = StoreLease(path, search_hash="h1", search_name="pi"); a.acquire(); a.bind(1)
>>> a.claim(0), a.claim(0)
(True, True)
>>> [h.search_name for h in a.holders()]
['pi']
>>> b = StoreLease(path, search_hash="h1"); b.acquire(); b.bind(1)
>>> b.claim(0), b.claim(1)
(False, True)
>>> StoreLease(path, search_hash="h2").acquire()
Traceback (most recent call last):
...
discover.lease.StoreBusyError: store ... is busy: ...
>>> a.release(); b.release()
"""

from __future__ import annotations

import os
import socket
import sqlite3
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from .errors import DiscoverError, StoreError

__all__ = ["StoreLease", "StoreBusyError", "Holder", "STALE_AFTER", "RENEW_EVERY"]

STALE_AFTER = 30.0      # seconds without renewal before a lease is taken over
RENEW_EVERY = 5.0       # seconds between two renewals
START_WAIT = 60.0       # at most this long for a peer of the same search to choose its run

_TABLES = """
CREATE TABLE IF NOT EXISTS leases (
    holder TEXT PRIMARY KEY,
    host TEXT NOT NULL,
    pid INTEGER NOT NULL,
    run_id INTEGER,
    search_hash TEXT NOT NULL,
    search_name TEXT NOT NULL DEFAULT '',
    since REAL NOT NULL,
    renewed REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS claims (
    run_id INTEGER NOT NULL,
    unit INTEGER NOT NULL,
    holder TEXT NOT NULL,
    claimed REAL NOT NULL,
    PRIMARY KEY (run_id, unit)
);
"""


class StoreBusyError(StoreError):
    """The store is leased by a run of another search; the message names the holder."""

    def __init__(self, message: str, holders: list["Holder"]):
        self.holders = holders
        super().__init__(message)


@dataclass(frozen=True)
class Holder:
    holder: str
    host: str
    pid: int
    run_id: int | None
    search_hash: str
    search_name: str
    since: float
    renewed: float

    def describe(self, now: float | None = None) -> str:
        now = time.time() if now is None else now
        since = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(self.since))
        name = f"search {self.search_name!r} " if self.search_name else "a search "
        run = f"run {self.run_id}" if self.run_id is not None else "a run being started"
        return (f"{name}(hash {self.search_hash}, {run}) by pid {self.pid} on host "
                f"{self.host} since {since}, renewed {max(0.0, now - self.renewed):.0f} s ago")


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return True
    try:    # a killed process not yet reaped by its parent is a zombie: dead for us
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except (OSError, IndexError):
        return True


class StoreLease:
    """A lease on the store at ``path`` for a run of the search ``search_hash``."""

    def __init__(self, path, *, search_hash: str, search_name: str = "",
                 stale_after: float | None = None, renew_every: float | None = None):
        self.path = Path(path)
        self.search_hash = search_hash
        self.search_name = search_name
        env_stale = os.environ.get("DISCOVER_LEASE_STALE_AFTER")
        self.stale_after = float(stale_after if stale_after is not None
                                 else env_stale or STALE_AFTER)
        self.renew_every = float(renew_every if renew_every is not None
                                 else min(RENEW_EVERY, self.stale_after / 3))
        self.host = socket.gethostname()
        self.pid = os.getpid()
        self.holder = f"{self.host}:{self.pid}:{uuid.uuid4().hex[:8]}"
        self.run_id: int | None = None
        self.lost = False
        self.held = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- plumbing --------------------------------------------------------------------------
    def _connect(self) -> sqlite3.Connection:
        try:
            db = sqlite3.connect(str(self.path), timeout=30, isolation_level=None)
        except sqlite3.Error as err:
            raise StoreError(f"cannot open store {self.path} for its lease: {err}") from err
        db.executescript(_TABLES)
        return db

    def _tx(self, fn):
        """Run ``fn(db)`` in one ``BEGIN IMMEDIATE`` transaction on a fresh connection."""
        db = self._connect()
        try:
            db.execute("BEGIN IMMEDIATE")
            try:
                out = fn(db)
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
            return out
        finally:
            db.close()

    def _clean(self, db, now: float) -> list[Holder]:
        """Drop stale leases (and the claims of holders without a lease); return the live ones."""
        live = []
        for row in db.execute("SELECT holder, host, pid, run_id, search_hash, search_name, "
                              "since, renewed FROM leases").fetchall():
            h = Holder(*row)
            stale = now - h.renewed > self.stale_after
            dead = h.host == self.host and h.pid != self.pid and not _pid_alive(h.pid)
            if (stale or dead) and h.holder != self.holder:
                db.execute("DELETE FROM leases WHERE holder = ?", (h.holder,))
            else:
                live.append(h)
        db.execute("DELETE FROM claims WHERE holder NOT IN (SELECT holder FROM leases)")
        return live

    def holders(self) -> list[Holder]:
        """The live holders of the store (stale ones are dropped on the way)."""
        return self._tx(lambda db: self._clean(db, time.time()))

    # -- the API the engine calls ----------------------------------------------------------
    def acquire(self, start_wait: float = START_WAIT) -> None:
        """Take the lease, or raise :class:`StoreBusyError` if another search holds the store.

        A peer of the same search that is still choosing its run is waited for (at most
        ``start_wait`` seconds), so that both join the same run.
        """
        deadline = time.time() + start_wait

        def attempt(db):
            now = time.time()
            live = [h for h in self._clean(db, now) if h.holder != self.holder]
            other = [h for h in live if h.search_hash != self.search_hash]
            if other:
                lines = "; ".join(h.describe(now) for h in other)
                raise StoreBusyError(
                    f"store {self.path} is busy: {lines}. Wait for that run to finish, stop it "
                    f"(it resumes later with `discover run`), or use another --store; a holder "
                    f"that stops renewing for {self.stale_after:.0f} s, or whose process on this "
                    f"host is gone, is taken over automatically", other)
            starting = [h for h in live if h.run_id is None]
            if starting and time.time() < deadline:
                return False
            db.execute("INSERT OR REPLACE INTO leases (holder, host, pid, run_id, search_hash, "
                       "search_name, since, renewed) VALUES (?, ?, ?, NULL, ?, ?, ?, ?)",
                       (self.holder, self.host, self.pid, self.search_hash, self.search_name,
                        now, now))
            return True

        while not self._tx(attempt):
            time.sleep(0.1)
        self.held = True

    def peer_run(self) -> int | None:
        """The run of a live peer of the same search, if one is running (join it)."""
        def q(db):
            for h in self._clean(db, time.time()):
                if (h.holder != self.holder and h.search_hash == self.search_hash
                        and h.run_id is not None):
                    return h.run_id
            return None
        return self._tx(q)

    def bind(self, run_id: int, *, renew: bool = True) -> None:
        """Record the run this lease works on and start renewing it in a daemon thread."""
        self.run_id = int(run_id)
        self._tx(lambda db: db.execute("UPDATE leases SET run_id = ?, renewed = ? WHERE holder = ?",
                                       (self.run_id, time.time(), self.holder)))
        if renew and self._thread is None:
            self._thread = threading.Thread(target=self._renew_loop, daemon=True,
                                            name="discover-lease")
            self._thread.start()

    def renew(self) -> bool:
        """Renew the lease now; False (and ``lost``) if it was taken over meanwhile."""
        def up(db):
            return db.execute("UPDATE leases SET renewed = ? WHERE holder = ?",
                              (time.time(), self.holder)).rowcount
        try:
            ok = bool(self._tx(up))
        except sqlite3.Error:
            return not self.lost      # a busy store: try again next time
        if not ok:
            self.lost = True
        return ok

    def _renew_loop(self) -> None:
        while not self._stop.wait(self.renew_every):
            self.renew()

    def claim(self, unit: int, *, retry_failed: bool = False, kind: str = "shard") -> bool:
        """Claim shard ``unit`` (or round ``unit`` with ``kind="round"``) of the bound run
        before dispatching it.

        False when another live driver claimed it, when it is already recorded in the store
        (done; or failed, unless ``retry_failed``: a failed round is always retried), or when
        this lease was lost.
        """
        if kind not in ("shard", "round"):
            raise ValueError(f"kind must be 'shard' or 'round', not {kind!r}")
        if self.lost or self.run_id is None:
            return self.run_id is None and not self.lost    # no run bound: nothing to split

        table = "shards" if kind == "shard" else "rounds"
        key = int(unit) if kind == "shard" else -1 - int(unit)    # rounds: negative units
        retry = retry_failed or kind == "round"

        def take(db):
            now = time.time()
            self._clean(db, now)
            try:
                row = db.execute(f"SELECT status FROM {table} WHERE run_id = ? AND {kind} = ?",
                                 (self.run_id, int(unit))).fetchone()
            except sqlite3.OperationalError:       # no such table (not a discover store)
                row = None
            if row is not None and (row[0] == "done" or not retry):
                return False
            mine = db.execute("SELECT 1 FROM leases WHERE holder = ?", (self.holder,)).fetchone()
            if mine is None:
                self.lost = True
                return False
            db.execute("INSERT OR IGNORE INTO claims (run_id, unit, holder, claimed) "
                       "VALUES (?, ?, ?, ?)", (self.run_id, key, self.holder, now))
            got = db.execute("SELECT holder FROM claims WHERE run_id = ? AND unit = ?",
                             (self.run_id, key)).fetchone()
            return got is not None and got[0] == self.holder
        return bool(self._tx(take))

    def claimed(self, shards, *, retry_failed: bool = False):
        """Yield the shards of ``shards`` this driver claims, one claim per shard as it is
        pulled (backends pull lazily, so two drivers of one search split the shards)."""
        for shard in shards:
            if self.claim(shard.index, retry_failed=retry_failed):
                yield shard

    def release(self) -> None:
        """Stop renewing and drop the lease. Claims stay, as a record of who computed what,
        until another driver finds them without a live lease and drops them."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        if not self.held:
            return

        def drop(db):
            db.execute("DELETE FROM leases WHERE holder = ?", (self.holder,))
        try:
            self._tx(drop)
        except (sqlite3.Error, DiscoverError):
            pass        # the lease goes stale on its own
        self.held = False

    @staticmethod
    def leased(fn):
        """Decorator for the engine's ``run_search(search, *, store, ...)``: acquire a lease on
        ``store`` for ``search`` around the call, pass it as ``_lease=``, release it after."""
        import functools

        @functools.wraps(fn)
        def wrapper(search, *args, store, **kw):
            lease = StoreLease(store.path, search_hash=search.hash, search_name=search.name)
            lease.acquire()
            try:
                return fn(search, *args, store=store, _lease=lease, **kw)
            finally:
                lease.release()
        return wrapper

    def __enter__(self) -> "StoreLease":
        self.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.release()
