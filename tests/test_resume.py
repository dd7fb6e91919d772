"""A batch job killed at any moment resumes where it stopped: nothing lost, nothing repeated."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

import discover
from discover.errors import DiscoverError

SEARCH = """
[search]
name = "resume-pi"
kind = "pcf"

[generator]
a_degree = 1
a_range = [-6, 6]
b_degree = 2
b_range = [-6, 6]
shard_size = 1500

[match]
constants = ["pi"]
coefficient_bound = 10

[verify]
digits = 100
"""


def _run(search, store, *extra):
    return subprocess.Popen([sys.executable, "-m", "discover.cli", "run", str(search), "--store",
                             str(store), "--workers", "1", "--quiet", *extra],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def _shards_done(store) -> int:
    """Shards recorded so far (0 while the store is being created)."""
    if not store.exists():
        return 0
    try:
        db = sqlite3.connect(f"file:{store}?mode=ro", uri=True, timeout=1)
        try:
            return db.execute("SELECT count(*) FROM shards").fetchone()[0]
        finally:
            db.close()
    except sqlite3.Error:
        return 0


def _stored(store):
    db = sqlite3.connect(store)
    rows = db.execute("SELECT key, params_json, expression FROM discoveries ORDER BY key").fetchall()
    links = db.execute("SELECT discovery_id, run_id, count(*) FROM discovery_runs "
                       "GROUP BY discovery_id, run_id HAVING count(*) > 1").fetchall()
    db.close()
    return rows, links


def test_sigkill_at_random_moments_then_resume_equals_an_uninterrupted_run(tmp_path):
    search = tmp_path / "s.toml"
    search.write_text(SEARCH)
    reference = tmp_path / "ref.sqlite"
    proc = _run(search, reference)
    assert proc.wait(timeout=300) == 0, proc.stderr.read()

    store = tmp_path / "killed.sqlite"
    rng = random.Random(7)
    kills = 0
    for _ in range(4):
        # kill at a random moment once the run has recorded a few more shards: a fixed sleep
        # would outlast the whole run on a fast machine
        before = _shards_done(store)
        proc = _run(search, store)
        target = before + rng.randint(1, 25)
        deadline = time.time() + 120
        while proc.poll() is None and _shards_done(store) < target and time.time() < deadline:
            time.sleep(0.005)
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            kills += 1
        proc.wait(timeout=60)
    assert kills >= 1
    proc = _run(search, store)
    assert proc.wait(timeout=300) == 0, proc.stderr.read()

    ref_rows, _ = _stored(reference)
    rows, dup_links = _stored(store)
    assert ref_rows and rows == ref_rows
    assert dup_links == []
    db = sqlite3.connect(store)
    runs = db.execute("SELECT id, status FROM runs").fetchall()
    shards = db.execute("SELECT count(*), count(DISTINCT shard) FROM shards").fetchone()
    db.close()
    assert len(runs) == 1 and runs[0][1] == "complete"     # one run, resumed each time
    assert shards[0] == shards[1]                           # no shard recorded twice


def _small_search(name: str) -> dict:
    return {"search": {"name": name, "kind": "pcf"},
            "generator": {"a_degree": 1, "a_range": [1, 3], "b_degree": 2, "b_range": [-2, 2],
                          "shard_size": 100},
            "match": {"constants": ["pi"], "coefficient_bound": 6}}


def test_a_changed_search_is_not_resumed_silently(tmp_path, plugins):
    data = _small_search("chg")
    store = tmp_path / "s.sqlite"
    part = discover.run(data, store=store, workers=1, max_shards=1, plugins=plugins)
    assert part.status == "partial"
    data["generator"]["depth"] = 150
    with pytest.raises(DiscoverError, match="changed since its unfinished run"):
        discover.run(data, store=store, workers=1, plugins=plugins)
    fresh = discover.run(data, store=store, workers=1, plugins=plugins, new_run=True)
    assert fresh.status == "complete" and fresh.run_id != part.run_id


def test_max_shards_then_resume_completes_the_same_run(tmp_path, plugins):
    data = _small_search("part")
    store = tmp_path / "s.sqlite"
    first = discover.run(data, store=store, workers=1, max_shards=2, plugins=plugins)
    second = discover.run(data, store=store, workers=1, plugins=plugins)
    assert second.resumed and second.run_id == first.run_id and second.status == "complete"
    assert second.shards_done == second.shards_total
    assert second.shards_this_session == second.shards_total - 2
