"""The persistent functional hash table: what was computed once is not computed again.

One table in the store (``functional_hashes``) keyed by ``(stage, key)``, shared by every batch,
shard, round, run and generator. A *stage* names what the outcome saves:

``verify``
    a canonical candidate verified (or rejected) against a claimed closed form (the engine);
``value``
    a verified value's functional hash (its value rounded, :func:`discover.hashing.value_keys`)
    with its closed form, so a candidate of another kind with the same value (a PCF and a series)
    is identified without a new PSLQ search;
plugin stages
    for example ``fit`` (an evolved program structure already fitted) or ``proof`` (a conjecture
    already proved), written and read by the generators through :attr:`SearchContext.hashes`.

Workers read the table (a read-only SQLite connection per process, opened lazily) and collect
new entries in memory; the driver writes them in the same transaction as the unit's results, so
a killed run never records an outcome without the work that produced it. On a Dask worker, which
cannot see the store, the table starts empty and still collects new entries.

>>> t = HashTable(None)
>>> t.lookup("fit", ["k1"])
{}
>>> t.add("fit", "k1", "program", {"err": 1e-9})
>>> t.lookup("fit", ["k1"])["k1"]["err"]
1e-09
>>> t.stats()["fit"]
{'lookups': 2, 'hits': 1}
"""

from __future__ import annotations

import json
import os
import sqlite3
from typing import Any, Iterable

__all__ = ["HashTable"]


class HashTable:
    """A view of the store's functional hash table from one process (see the module doc)."""

    def __init__(self, path: str | os.PathLike | None):
        self.path = None if path is None else str(path)
        self._db: sqlite3.Connection | None = None
        self._pid: int | None = None
        self.local: dict[tuple[str, str], Any] = {}
        self.new: list[tuple[str, str, str, Any]] = []
        self.counts: dict[str, list[int]] = {}

    def __getstate__(self):  # pickled to workers and Dask: no connection, no pending entries
        return {"path": self.path}

    def __setstate__(self, state):
        self.__init__(state["path"])

    def _conn(self) -> sqlite3.Connection | None:
        if self.path is None or not os.path.exists(self.path):
            return None
        if self._db is None or self._pid != os.getpid():
            try:
                self._db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=30,
                                           check_same_thread=False)
                self._pid = os.getpid()
            except sqlite3.Error:
                self.path = None
                return None
        return self._db

    def lookup(self, stage: str, keys: Iterable) -> dict[str, Any]:
        """Outcomes recorded for ``keys`` at ``stage`` (this unit's new entries included)."""
        keys = [str(k) for k in keys]
        found: dict[str, Any] = {}
        missing = []
        for k in keys:
            if (stage, k) in self.local:
                found[k] = self.local[(stage, k)]
            else:
                missing.append(k)
        db = self._conn()
        if db is not None and missing:
            try:
                for i in range(0, len(missing), 500):
                    part = missing[i:i + 500]
                    q = ",".join("?" * len(part))
                    for key, outcome in db.execute(
                            f"SELECT key, outcome_json FROM functional_hashes WHERE stage = ? "
                            f"AND key IN ({q})", [stage, *part]):
                        found[key] = json.loads(outcome)
                        self.local[(stage, key)] = found[key]
            except sqlite3.Error:
                pass   # a store without the table (being upgraded) is an empty table
        c = self.counts.setdefault(stage, [0, 0])
        c[0] += len(keys)
        c[1] += len(found)
        return found

    def get(self, stage: str, key) -> Any:
        """The outcome for one key, or None."""
        return self.lookup(stage, [key]).get(str(key))

    def add(self, stage: str, key, kind: str, outcome: Any) -> None:
        """Remember a new outcome (recorded with the unit by the driver; first writer wins)."""
        key = str(key)
        if (stage, key) in self.local:
            return
        self.local[(stage, key)] = outcome
        self.new.append((stage, key, kind, outcome))

    def stats(self) -> dict[str, dict[str, int]]:
        return {s: {"lookups": c[0], "hits": c[1]} for s, c in self.counts.items()}

    def drain(self) -> tuple[list, dict]:
        """The new entries and the counters since the last drain (then both start afresh)."""
        new, stats = self.new, self.stats()
        self.new, self.counts = [], {}
        return new, stats


def merge_hash_stats(total: dict, part: dict) -> dict:
    """Add per-stage counters ``part`` into ``total`` (and refresh the hit rates)."""
    for stage, c in (part or {}).items():
        t = total.setdefault(stage, {"lookups": 0, "hits": 0})
        t["lookups"] += c.get("lookups", 0)
        t["hits"] += c.get("hits", 0)
        t["hit_rate"] = round(t["hits"] / t["lookups"], 4) if t["lookups"] else 0.0
    return total
