"""The store: one SQLite file holding runs, completed shards, discoveries and their provenance.

Only the driver process writes. A shard is recorded as done in the *same transaction* as the
discoveries it produced, so a run killed at any moment resumes without losing or repeating
anything. A discovery is keyed by its generator's canonical key: the same formula found twice, in
one run or in two, is stored once (later finds are linked to it in ``discovery_runs``).

The default path is ``<user data dir>/discover/discover.sqlite`` (``platformdirs``).
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

import networkx as nx

from .errors import StoreError

__all__ = ["Store", "DiscoveryRecord", "RunRecord", "default_store_path", "SCHEMA_VERSION"]

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    search_hash TEXT NOT NULL,
    search_json TEXT NOT NULL,
    generator_version TEXT NOT NULL,
    started REAL NOT NULL,
    finished REAL,
    status TEXT NOT NULL DEFAULT 'running',
    shards_total INTEGER NOT NULL DEFAULT 0,
    stats_json TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE IF NOT EXISTS shards (
    run_id INTEGER NOT NULL REFERENCES runs(id),
    shard INTEGER NOT NULL,
    status TEXT NOT NULL,
    candidates INTEGER NOT NULL DEFAULT 0,
    hits INTEGER NOT NULL DEFAULT 0,
    seconds REAL NOT NULL DEFAULT 0,
    error TEXT,
    stats_json TEXT NOT NULL DEFAULT '{}',
    finished REAL NOT NULL,
    PRIMARY KEY (run_id, shard)
);
CREATE TABLE IF NOT EXISTS discoveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    key TEXT NOT NULL UNIQUE,
    constant TEXT,
    expression TEXT,
    params_json TEXT NOT NULL,
    digits REAL NOT NULL,
    convergence_rate REAL,
    text TEXT NOT NULL,
    latex TEXT NOT NULL,
    verdict_json TEXT NOT NULL,
    extra_json TEXT NOT NULL DEFAULT '{}',
    first_run INTEGER REFERENCES runs(id),
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS discovery_runs (
    discovery_id INTEGER NOT NULL REFERENCES discoveries(id),
    run_id INTEGER NOT NULL REFERENCES runs(id),
    shard INTEGER,
    found REAL NOT NULL,
    PRIMARY KEY (discovery_id, run_id)
);
CREATE TABLE IF NOT EXISTS provenance (
    discovery_id INTEGER PRIMARY KEY REFERENCES discoveries(id),
    graph_json TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS discoveries_constant ON discoveries(constant);
"""


def default_store_path() -> Path:
    """``$DISCOVER_STORE`` if set, else ``<user data dir>/discover/discover.sqlite``."""
    env = os.environ.get("DISCOVER_STORE")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_data_dir("discover", appauthor=False)) / "discover.sqlite"


@dataclass
class DiscoveryRecord:
    """A verified discovery as stored (what ``discover show`` lists)."""

    kind: str
    key: str
    params: dict
    digits: float
    text: str
    latex: str
    constant: str | None = None
    expression: str | None = None
    convergence_rate: float | None = None
    verdict: dict = field(default_factory=dict)
    extra: dict = field(default_factory=dict)
    id: int | None = None
    first_run: int | None = None
    created: float | None = None
    runs: list[int] = field(default_factory=list)

    def to_json(self) -> dict:
        """The ``discover show --json`` form: the generator's fields, then the common ones."""
        out = {"id": self.id, "kind": self.kind, **self.params, "constant": self.constant,
               "expression": self.expression, "digits": round(float(self.digits), 2),
               "convergence_rate": None if self.convergence_rate is None
               else round(float(self.convergence_rate), 4),
               "text": self.text, "key": self.key, "first_run": self.first_run,
               "runs": self.runs}
        for k, v in self.extra.items():
            out.setdefault(k, v)
        return out


@dataclass
class RunRecord:
    id: int
    name: str
    kind: str
    search_hash: str
    search: dict
    generator_version: str
    started: float
    finished: float | None
    status: str
    shards_total: int
    shards_done: int = 0
    shards_failed: int = 0
    stats: dict = field(default_factory=dict)


class Store:
    """An open store. Use as a context manager or call :meth:`close`.

    >>> import tempfile, pathlib
    >>> with Store(pathlib.Path(tempfile.mkdtemp()) / "s.sqlite") as st:
    ...     st.discoveries()
    []
    """

    def __init__(self, path: str | os.PathLike | None = None, *, readonly: bool = False):
        self.path = Path(path) if path is not None else default_store_path()
        self.readonly = readonly
        if readonly:
            if not self.path.exists():
                raise StoreError(f"store {self.path} does not exist; run a search first "
                                 f"(discover run SEARCH --store {self.path})")
            uri = f"file:{self.path}?mode=ro"
            self._db = self._connect(uri, uri=True)
        else:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as err:
                raise StoreError(f"cannot create the folder of store {self.path}: {err}; choose "
                                 f"another path with --store") from err
            if self.path.exists() and not os.access(self.path, os.W_OK):
                raise StoreError(f"store {self.path} is read-only; choose another path with "
                                 f"--store or fix its permissions")
            self._db = self._connect(str(self.path))
        self._check_schema()
        if not readonly:
            try:    # take (and release) the write lock now, not after an hour of work
                self._db.execute("BEGIN IMMEDIATE")
                self._db.execute("ROLLBACK")
            except sqlite3.OperationalError as err:
                self._db.close()
                raise StoreError(f"store {self.path} cannot be written ({err}); choose another "
                                 f"path with --store") from err

    @staticmethod
    def _connect(target: str, uri: bool = False) -> sqlite3.Connection:
        try:
            db = sqlite3.connect(target, uri=uri, timeout=30, isolation_level=None)
            db.row_factory = sqlite3.Row
            db.execute("PRAGMA foreign_keys = ON")
            return db
        except sqlite3.Error as err:
            raise StoreError(f"cannot open store {target}: {err}") from err

    def _check_schema(self) -> None:
        try:
            has_meta = self._db.execute(
                "SELECT name FROM sqlite_master WHERE type='table' AND name='meta'").fetchone()
            if has_meta:
                row = self._db.execute("SELECT value FROM meta WHERE key='schema_version'"
                                       ).fetchone()
                found = int(row["value"]) if row else None
                if found != SCHEMA_VERSION:
                    raise StoreError(
                        f"store {self.path} has schema version {found}, this discover needs "
                        f"{SCHEMA_VERSION}; it was left unmodified. Use another --store path or "
                        f"a discover version that matches")
                return
            tables = self._db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
            if tables:
                raise StoreError(f"{self.path} is an SQLite file but not a discover store; it was "
                                 f"left unmodified. Choose another --store path")
            if self.readonly:
                return
            self._db.execute("PRAGMA journal_mode = WAL")
            with self.transaction():
                for stmt in _SCHEMA.split(";"):
                    if stmt.strip():
                        self._db.execute(stmt)
                self._db.execute("INSERT INTO meta VALUES ('schema_version', ?)",
                                 (str(SCHEMA_VERSION),))
        except sqlite3.DatabaseError as err:
            raise StoreError(f"{self.path} is not a usable SQLite store ({err}); it was left "
                             f"unmodified. Choose another --store path") from err

    # -- plumbing ------------------------------------------------------------------------
    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    class _Tx:
        def __init__(self, db):
            self.db = db

        def __enter__(self):
            if self.db.in_transaction:
                # left open by an interruption (Ctrl-C) between BEGIN and the with-block: nothing
                # of it was committed, so dropping it loses nothing that counted as done
                self.db.execute("ROLLBACK")
            self.db.execute("BEGIN IMMEDIATE")
            return self.db

        def __exit__(self, exc_type, exc, tb):
            if exc_type is None:
                self.db.execute("COMMIT")
            else:
                self.db.execute("ROLLBACK")
            return False

    def transaction(self):
        """A write transaction (``BEGIN IMMEDIATE`` ... ``COMMIT``, rolled back on error)."""
        if self.readonly:
            raise StoreError(f"store {self.path} was opened read-only")
        return Store._Tx(self._db)

    # -- runs ------------------------------------------------------------------------------
    def create_run(self, name: str, kind: str, search_hash: str, search: dict,
                   generator_version: str, shards_total: int) -> int:
        with self.transaction() as db:
            cur = db.execute(
                "INSERT INTO runs (name, kind, search_hash, search_json, generator_version, "
                "started, shards_total) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (name, kind, search_hash, json.dumps(search, sort_keys=True), generator_version,
                 time.time(), shards_total))
            return int(cur.lastrowid)

    def find_runs(self, search_hash: str | None = None, name: str | None = None) -> list[RunRecord]:
        sql, args = "SELECT * FROM runs", []
        conds = []
        if search_hash is not None:
            conds.append("search_hash = ?")
            args.append(search_hash)
        if name is not None:
            conds.append("name = ?")
            args.append(name)
        if conds:
            sql += " WHERE " + " AND ".join(conds)
        sql += " ORDER BY id"
        return [self._run(row) for row in self._db.execute(sql, args).fetchall()]

    def run(self, run_id: int) -> RunRecord:
        row = self._db.execute("SELECT * FROM runs WHERE id = ?", (run_id,)).fetchone()
        if row is None:
            ids = [r[0] for r in self._db.execute("SELECT id FROM runs ORDER BY id")]
            raise StoreError(f"no run {run_id} in {self.path}; runs: {ids or 'none'}")
        return self._run(row)

    def runs(self) -> list[RunRecord]:
        return self.find_runs()

    def _run(self, row) -> RunRecord:
        counts = dict(self._db.execute(
            "SELECT status, count(*) FROM shards WHERE run_id = ? GROUP BY status",
            (row["id"],)).fetchall())
        return RunRecord(id=row["id"], name=row["name"], kind=row["kind"],
                         search_hash=row["search_hash"], search=json.loads(row["search_json"]),
                         generator_version=row["generator_version"], started=row["started"],
                         finished=row["finished"], status=row["status"],
                         shards_total=row["shards_total"], shards_done=counts.get("done", 0),
                         shards_failed=counts.get("failed", 0),
                         stats=json.loads(row["stats_json"]))

    def finish_run(self, run_id: int, status: str, stats: dict) -> None:
        with self.transaction() as db:
            db.execute("UPDATE runs SET finished = ?, status = ?, stats_json = ? WHERE id = ?",
                       (time.time(), status, json.dumps(stats, sort_keys=True), run_id))

    def shards_done(self, run_id: int) -> set[int]:
        return {r[0] for r in self._db.execute(
            "SELECT shard FROM shards WHERE run_id = ? AND status = 'done'", (run_id,))}

    def failed_shards(self, run_id: int | None = None) -> list[dict]:
        sql = "SELECT * FROM shards WHERE status = 'failed'"
        args: tuple = ()
        if run_id is not None:
            sql += " AND run_id = ?"
            args = (run_id,)
        return [dict(r) for r in self._db.execute(sql + " ORDER BY run_id, shard", args)]

    # -- the one write path for results -------------------------------------------------
    def record_shard(self, run_id: int, shard: int, records: Iterable[tuple["DiscoveryRecord",
                     nx.DiGraph]], *, candidates: int = 0, hits: int = 0, seconds: float = 0.0,
                     stats: dict | None = None, error: str | None = None
                     ) -> list[tuple[DiscoveryRecord, bool]]:
        """Write a shard's discoveries and mark the shard done (or failed) in one transaction.

        Returns ``(record, is_new)`` per discovery; ``is_new`` is false for a formula that was
        already stored (it is then linked to this run, not stored again).
        """
        from .provenance import graph_to_json

        out = []
        now = time.time()
        with self.transaction() as db:
            for rec, graph in records:
                row = db.execute("SELECT id, digits FROM discoveries WHERE key = ?",
                                 (rec.key,)).fetchone()
                if row is None:
                    cur = db.execute(
                        "INSERT INTO discoveries (kind, key, constant, expression, params_json, "
                        "digits, convergence_rate, text, latex, verdict_json, extra_json, "
                        "first_run, created) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                        (rec.kind, rec.key, rec.constant, rec.expression,
                         json.dumps(rec.params, sort_keys=True), float(rec.digits),
                         rec.convergence_rate, rec.text, rec.latex,
                         json.dumps(rec.verdict, sort_keys=True),
                         json.dumps(rec.extra, sort_keys=True), run_id, now))
                    rec.id = int(cur.lastrowid)
                    rec.first_run = run_id
                    db.execute("INSERT INTO provenance VALUES (?, ?)",
                               (rec.id, graph_to_json(graph)))
                    is_new = True
                else:
                    rec.id = int(row["id"])
                    is_new = False
                db.execute("INSERT OR IGNORE INTO discovery_runs VALUES (?, ?, ?, ?)",
                           (rec.id, run_id, shard, now))
                out.append((rec, is_new))
            db.execute(
                "INSERT OR REPLACE INTO shards (run_id, shard, status, candidates, hits, seconds,"
                " error, stats_json, finished) VALUES (?,?,?,?,?,?,?,?,?)",
                (run_id, shard, "failed" if error else "done", candidates, hits, seconds, error,
                 json.dumps(stats or {}, sort_keys=True), now))
        return out

    # -- reading ---------------------------------------------------------------------------
    def discoveries(self, *, run_id: int | None = None, kind: str | None = None,
                    constant: str | None = None) -> list[DiscoveryRecord]:
        sql = "SELECT d.* FROM discoveries d"
        conds, args = [], []
        if run_id is not None:
            sql += " JOIN discovery_runs r ON r.discovery_id = d.id"
            conds.append("r.run_id = ?")
            args.append(run_id)
        if kind is not None:
            conds.append("d.kind = ?")
            args.append(kind)
        if constant is not None:
            conds.append("d.constant = ?")
            args.append(constant)
        if conds:
            sql += " WHERE " + " AND ".join(conds)
        sql += " ORDER BY d.id"
        return [self._record(r) for r in self._db.execute(sql, args).fetchall()]

    def discovery(self, discovery_id: int) -> DiscoveryRecord:
        row = self._db.execute("SELECT * FROM discoveries WHERE id = ?",
                               (discovery_id,)).fetchone()
        if row is None:
            raise StoreError(f"no discovery {discovery_id} in {self.path}; see `discover show`")
        return self._record(row)

    def _record(self, row) -> DiscoveryRecord:
        runs = [r[0] for r in self._db.execute(
            "SELECT run_id FROM discovery_runs WHERE discovery_id = ? ORDER BY run_id",
            (row["id"],))]
        return DiscoveryRecord(
            id=row["id"], kind=row["kind"], key=row["key"], constant=row["constant"],
            expression=row["expression"], params=json.loads(row["params_json"]),
            digits=row["digits"], convergence_rate=row["convergence_rate"], text=row["text"],
            latex=row["latex"], verdict=json.loads(row["verdict_json"]),
            extra=json.loads(row["extra_json"]), first_run=row["first_run"],
            created=row["created"], runs=runs)

    def provenance(self, discovery_id: int) -> nx.DiGraph:
        from .provenance import graph_from_json

        row = self._db.execute("SELECT graph_json FROM provenance WHERE discovery_id = ?",
                               (discovery_id,)).fetchone()
        if row is None:
            raise StoreError(f"no provenance for discovery {discovery_id} in {self.path}")
        return graph_from_json(row["graph_json"])

    def iter_provenance(self) -> Iterator[tuple[DiscoveryRecord, nx.DiGraph]]:
        for rec in self.discoveries():
            yield rec, self.provenance(rec.id)
