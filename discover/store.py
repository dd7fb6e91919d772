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

SCHEMA_VERSION = 2

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    search_hash TEXT NOT NULL,
    search_json TEXT NOT NULL,
    generator_version TEXT NOT NULL,
    mode TEXT NOT NULL DEFAULT 'shards',
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
    digits REAL,
    convergence_rate REAL,
    text TEXT NOT NULL,
    latex TEXT NOT NULL,
    verdict_json TEXT NOT NULL,
    extra_json TEXT NOT NULL DEFAULT '{}',
    first_run INTEGER REFERENCES runs(id),
    created REAL NOT NULL,
    measures_json TEXT NOT NULL DEFAULT '{}',
    method TEXT NOT NULL DEFAULT ''
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
CREATE TABLE IF NOT EXISTS rounds (
    run_id INTEGER NOT NULL REFERENCES runs(id),
    round INTEGER NOT NULL,
    status TEXT NOT NULL,
    state_json TEXT,
    tasks INTEGER NOT NULL DEFAULT 0,
    seconds REAL NOT NULL DEFAULT 0,
    error TEXT,
    stats_json TEXT NOT NULL DEFAULT '{}',
    finished REAL NOT NULL,
    PRIMARY KEY (run_id, round)
);
CREATE TABLE IF NOT EXISTS functional_hashes (
    stage TEXT NOT NULL,
    key TEXT NOT NULL,
    kind TEXT NOT NULL,
    outcome_json TEXT NOT NULL,
    run_id INTEGER,
    created REAL NOT NULL,
    PRIMARY KEY (stage, key)
);
"""

def _upgrade_measures(row, verdict: dict, extra: dict) -> tuple:
    """Schema 1 -> 2 for one discovery: (digits or None, measures, method)."""
    method = str(verdict.get("method", "") or "")
    if "required" in verdict:      # a tier-3 verdict written by the engine: digits are digits
        measures = {"digits": round(float(row["digits"]), 2),
                    "convergence_rate": row["convergence_rate"]}
        for k in ("delta",):
            if extra.get(k) is not None:
                measures[k] = extra[k]
        return row["digits"], measures, method
    measures = {k: v for k, v in verdict.items()
                if k not in ("equal", "method") and (v is None or isinstance(v, (int, float)))
                and not isinstance(v, bool)}
    params = json.loads(row["params_json"])
    for k in ("ops",):
        if isinstance(params.get(k), int):
            measures.setdefault(k, params[k])
    if "equal" in verdict:         # accepted by hand, never by an independent check
        measures["checked"] = False
        verdict["note"] = "recorded by schema 1 without an independent check"
    return None, measures, method


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
    digits: float | None
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
    measures: dict = field(default_factory=dict)
    method: str = ""

    def to_json(self) -> dict:
        """The ``discover show --json`` form: the generator's fields, its measures under their
        own names, then the common ones. ``digits`` and ``convergence_rate`` appear for kinds
        that measure them (PCFs), never as a stand-in for another quantity."""
        out = {"id": self.id, "kind": self.kind, **self.params}
        if self.constant is not None or self.expression is not None or self.digits is not None:
            out["constant"] = self.constant
            out["expression"] = self.expression
        if self.digits is not None:
            out["digits"] = round(float(self.digits), 2)
            out["convergence_rate"] = (None if self.convergence_rate is None
                                       else round(float(self.convergence_rate), 4))
        for k, v in self.measures.items():
            out.setdefault(k, v)
        out.setdefault("method", self.method)     # a theorem's proof method stays its own
        out["verified_by"] = self.method
        out.update({"text": self.text, "key": self.key, "first_run": self.first_run,
                    "runs": self.runs})
        for k, v in self.extra.items():
            out.setdefault(k, v)
        return out

    def _repr_html_(self) -> str:
        """A discovery in Jupyter: its formula, measures and verdict method."""
        from html import escape

        rows = "".join(f"<tr><th>{escape(str(k))}</th><td>{escape(str(v))}</td></tr>"
                       for k, v in self.measures.items())
        what = escape(self.text)
        if self.expression:
            what += f" = {escape(self.expression)}"
        return (f"<div><b>{escape(self.kind)}</b> {what}<br><i>verified by "
                f"{escape(self.method or '-')}</i><table>{rows}</table></div>")


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
    mode: str = "shards"
    rounds_done: int = 0
    rounds_failed: int = 0



def _where(sql: str, equal: dict) -> tuple[str, list]:
    """``sql`` with a WHERE clause requiring each column of ``equal`` whose value is not None to
    equal it (column names are the caller's literals, never user input), and the bound values."""
    conds = [(col, val) for col, val in equal.items() if val is not None]
    if conds:
        sql += " WHERE " + " AND ".join(f"{col} = ?" for col, _ in conds)
    return sql, [val for _, val in conds]

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
                if found == 1:
                    self._upgrade_from_1()
                    return
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

    def _upgrade_from_1(self) -> None:
        """Upgrade a schema-1 store in place, in one transaction (all or nothing).

        Schema 1 kept one scalar ``digits`` per discovery, which kinds without digits filled with
        other quantities. Schema 2 keeps each kind's measures under their own names: a row keeps
        ``digits`` only when its verdict came from a tier-3 verification (it has ``required``);
        otherwise ``digits`` becomes NULL and the verdict's numbers become its measures. A row
        whose acceptance was not an independent check is marked ``checked: false``.
        """
        if self.readonly:
            # upgrade through a writable connection when the file allows it
            if not os.access(self.path, os.W_OK):
                raise StoreError(
                    f"store {self.path} has schema version 1 and is read-only; it was left "
                    f"unmodified. Make it writable and run `discover upgrade --store "
                    f"{self.path}` (or any discover command that writes to it)")
            with Store(self.path):
                pass
            return
        db = self._db
        db.execute("PRAGMA foreign_keys = OFF")
        try:
            with self.transaction():
                db.execute("ALTER TABLE runs ADD COLUMN mode TEXT NOT NULL DEFAULT 'shards'")
                create = _SCHEMA.split("CREATE TABLE IF NOT EXISTS discoveries (")[1]
                create = create.split(");")[0]
                db.execute("CREATE TABLE discoveries_v2 (" + create + ")")
                rows = db.execute("SELECT * FROM discoveries ORDER BY id").fetchall()
                for r in rows:
                    verdict = json.loads(r["verdict_json"])
                    extra = json.loads(r["extra_json"])
                    digits, measures, method = _upgrade_measures(r, verdict, extra)
                    db.execute(
                        "INSERT INTO discoveries_v2 (id, kind, key, constant, expression, "
                        "params_json, digits, convergence_rate, text, latex, verdict_json, "
                        "extra_json, first_run, created, measures_json, method) "
                        "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                        (r["id"], r["kind"], r["key"], r["constant"], r["expression"],
                         r["params_json"], digits, r["convergence_rate"], r["text"], r["latex"],
                         json.dumps(verdict, sort_keys=True), r["extra_json"], r["first_run"],
                         r["created"], json.dumps(measures, sort_keys=True), method))
                db.execute("DROP TABLE discoveries")
                db.execute("ALTER TABLE discoveries_v2 RENAME TO discoveries")
                for stmt in _SCHEMA.split(";"):
                    if stmt.strip() and ("rounds" in stmt or "functional_hashes" in stmt
                                         or "discoveries_constant" in stmt):
                        db.execute(stmt)
                bad = db.execute("PRAGMA foreign_key_check").fetchall()
                if bad:
                    raise StoreError(f"store {self.path}: the upgrade to schema 2 found broken "
                                     f"references ({len(bad)}); it was left unmodified")
                db.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'",
                           (str(SCHEMA_VERSION),))
        finally:
            db.execute("PRAGMA foreign_keys = ON")

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
                   generator_version: str, shards_total: int, mode: str = "shards") -> int:
        """A new run; ``mode`` is ``"shards"``, ``"rounds"`` or ``"verb"`` (results recorded by
        a verb such as ``discover cmf walk --store``)."""
        with self.transaction() as db:
            cur = db.execute(
                "INSERT INTO runs (name, kind, search_hash, search_json, generator_version, "
                "started, shards_total, mode) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (name, kind, search_hash, json.dumps(search, sort_keys=True), generator_version,
                 time.time(), shards_total, mode))
            return int(cur.lastrowid)

    def find_runs(self, search_hash: str | None = None, name: str | None = None) -> list[RunRecord]:
        sql, args = _where("SELECT * FROM runs", {"search_hash": search_hash, "name": name})
        return [self._run(row) for row in self._db.execute(sql + " ORDER BY id", args)]

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
        rounds = dict(self._db.execute(
            "SELECT status, count(*) FROM rounds WHERE run_id = ? GROUP BY status",
            (row["id"],)).fetchall())
        return RunRecord(id=row["id"], name=row["name"], kind=row["kind"],
                         search_hash=row["search_hash"], search=json.loads(row["search_json"]),
                         generator_version=row["generator_version"], started=row["started"],
                         finished=row["finished"], status=row["status"],
                         shards_total=row["shards_total"], shards_done=counts.get("done", 0),
                         shards_failed=counts.get("failed", 0),
                         stats=json.loads(row["stats_json"]), mode=row["mode"],
                         rounds_done=rounds.get("done", 0), rounds_failed=rounds.get("failed", 0))

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
                     stats: dict | None = None, error: str | None = None,
                     hashes: Iterable[tuple] = ()) -> list[tuple[DiscoveryRecord, bool]]:
        """Write a shard's discoveries and mark the shard done (or failed) in one transaction."""
        return self.record_unit(run_id, shard, records, unit="shard", candidates=candidates,
                                hits=hits, seconds=seconds, stats=stats, error=error,
                                hashes=hashes)

    def record_unit(self, run_id: int, index: int, records: Iterable[tuple["DiscoveryRecord",
                    nx.DiGraph]], *, unit: str = "shard", candidates: int = 0, hits: int = 0,
                    seconds: float = 0.0, stats: dict | None = None, error: str | None = None,
                    state: dict | None = None, hashes: Iterable[tuple] = ()
                    ) -> list[tuple[DiscoveryRecord, bool]]:
        """Write one unit of work in one transaction: its discoveries, its new functional hashes
        and its completion (a shard done or failed; a round done or failed, with the generator's
        state after it).

        ``hashes`` are ``(stage, key, kind, outcome)`` tuples for the persistent functional hash
        table (first writer wins). Returns ``(record, is_new)`` per discovery; ``is_new`` is false
        for a formula that was already stored (it is then linked to this run, not stored again).
        A failed unit records no discoveries and no state.
        """
        from .provenance import graph_to_json

        if unit not in ("shard", "round"):
            raise StoreError(f"unknown unit {unit!r}")
        out = []
        now = time.time()
        records = [] if error else list(records)
        with self.transaction() as db:
            for stage, key, kind, outcome in ([] if error else hashes):
                db.execute("INSERT OR IGNORE INTO functional_hashes VALUES (?,?,?,?,?,?)",
                           (stage, str(key), kind, json.dumps(outcome, sort_keys=True),
                            run_id, now))
            for rec, graph in records:
                row = db.execute("SELECT * FROM discoveries WHERE key = ?",
                                 (rec.key,)).fetchone()
                if row is None and graph is None:
                    continue    # a link to a known discovery that this store does not hold
                if row is None:
                    cur = db.execute(
                        "INSERT INTO discoveries (kind, key, constant, expression, params_json, "
                        "digits, convergence_rate, text, latex, verdict_json, extra_json, "
                        "first_run, created, measures_json, method) "
                        "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                        (rec.kind, rec.key, rec.constant, rec.expression,
                         json.dumps(rec.params, sort_keys=True),
                         None if rec.digits is None else float(rec.digits),
                         rec.convergence_rate, rec.text, rec.latex,
                         json.dumps(rec.verdict, sort_keys=True),
                         json.dumps(rec.extra, sort_keys=True), run_id, now,
                         json.dumps(rec.measures, sort_keys=True), rec.method))
                    rec.id = int(cur.lastrowid)
                    rec.first_run = run_id
                    db.execute("INSERT INTO provenance VALUES (?, ?)",
                               (rec.id, graph_to_json(graph)))
                    is_new = True
                else:
                    rec = self._record(row)
                    is_new = False
                db.execute("INSERT OR IGNORE INTO discovery_runs VALUES (?, ?, ?, ?)",
                           (rec.id, run_id, index, now))
                if not is_new and run_id not in rec.runs:
                    rec.runs = sorted(rec.runs + [run_id])
                out.append((rec, is_new))
            if unit == "shard":
                db.execute(
                    "INSERT OR REPLACE INTO shards (run_id, shard, status, candidates, hits, "
                    "seconds, error, stats_json, finished) VALUES (?,?,?,?,?,?,?,?,?)",
                    (run_id, index, "failed" if error else "done", candidates, hits, seconds,
                     error, json.dumps(stats or {}, sort_keys=True), now))
            else:
                db.execute(
                    "INSERT OR REPLACE INTO rounds (run_id, round, status, state_json, tasks, "
                    "seconds, error, stats_json, finished) VALUES (?,?,?,?,?,?,?,?,?)",
                    (run_id, index, "failed" if error else "done",
                     None if error else json.dumps(state, sort_keys=True), candidates, seconds,
                     error, json.dumps(stats or {}, sort_keys=True), now))
                if not error:   # only the latest state is needed to resume: keep the file small
                    db.execute("UPDATE rounds SET state_json = NULL WHERE run_id = ? AND "
                               "round < ?", (run_id, index))
        return out

    # -- rounds and the functional hash table ----------------------------------------------
    def last_round(self, run_id: int) -> tuple[int, dict] | None:
        """``(round, state)`` of the latest round of ``run_id`` recorded as done, or None."""
        row = self._db.execute(
            "SELECT round, state_json FROM rounds WHERE run_id = ? AND status = 'done' "
            "AND state_json IS NOT NULL ORDER BY round DESC LIMIT 1", (run_id,)).fetchone()
        if row is None:
            return None
        return int(row["round"]), json.loads(row["state_json"])

    def rounds(self, run_id: int) -> list[dict]:
        """Every recorded round of ``run_id`` (without the states, which can be large)."""
        return [{**{k: r[k] for k in ("round", "status", "tasks", "seconds", "error")},
                 "stats": json.loads(r["stats_json"])}
                for r in self._db.execute(
                    "SELECT * FROM rounds WHERE run_id = ? ORDER BY round", (run_id,))]

    def failed_rounds(self, run_id: int | None = None) -> list[dict]:
        sql = "SELECT run_id, round, error, finished FROM rounds WHERE status = 'failed'"
        args: tuple = ()
        if run_id is not None:
            sql += " AND run_id = ?"
            args = (run_id,)
        return [dict(r) for r in self._db.execute(sql + " ORDER BY run_id, round", args)]

    def clear_failed_round(self, run_id: int, round: int) -> None:
        with self.transaction() as db:
            db.execute("DELETE FROM rounds WHERE run_id = ? AND round = ? AND status = 'failed'",
                       (run_id, round))

    def hash_outcomes(self, stage: str, keys: Iterable) -> dict[str, dict]:
        """The recorded outcomes of ``keys`` at ``stage`` of the functional hash table."""
        keys = [str(k) for k in keys]
        found: dict[str, dict] = {}
        for i in range(0, len(keys), 500):
            part = keys[i:i + 500]
            q = ",".join("?" * len(part))
            for row in self._db.execute(
                    f"SELECT key, outcome_json FROM functional_hashes WHERE stage = ? AND key IN "
                    f"({q})", [stage, *part]):
                found[row["key"]] = json.loads(row["outcome_json"])
        return found

    def hash_table_size(self) -> dict[str, int]:
        """Entries of the functional hash table per stage."""
        return {r[0]: r[1] for r in self._db.execute(
            "SELECT stage, count(*) FROM functional_hashes GROUP BY stage")}

    # -- reading ---------------------------------------------------------------------------
    def discoveries(self, *, run_id: int | None = None, kind: str | None = None,
                    constant: str | None = None) -> list[DiscoveryRecord]:
        sql = "SELECT d.* FROM discoveries d"
        if run_id is not None:
            sql += " JOIN discovery_runs r ON r.discovery_id = d.id"
        sql, args = _where(sql, {"r.run_id": run_id, "d.kind": kind, "d.constant": constant})
        return [self._record(r) for r in self._db.execute(sql + " ORDER BY d.id", args)]

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
            created=row["created"], runs=runs, measures=json.loads(row["measures_json"]),
            method=row["method"])

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
