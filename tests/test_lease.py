"""One writer per store (discover.lease): two drivers of one search split the shards, a
different search is refused naming the holder, a holder killed by SIGKILL is taken over."""

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from discover.lease import StoreBusyError, StoreLease

ROOT = Path(__file__).resolve().parents[1]

SEARCH = """
[search]
name = "lease-pi"
kind = "pcf"

[generator]
a_degree = 1
a_range = [-10, 10]
b_degree = 2
b_range = [-10, 10]
depth = 100
shard_size = 20000

[match]
constants = ["pi"]
coefficient_bound = 12

[verify]
digits = 60
"""


def _start(search, store, *extra):
    env = dict(os.environ, DISCOVER_DISABLE_PLUGIN_AUTOLOAD="1")
    return subprocess.Popen([sys.executable, "-m", "discover.cli", "run", str(search), "--store",
                             str(store), "--json", "--quiet", *extra], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)


def _bound_lease(store, timeout=120):
    """Wait until a run holds a lease bound to its run; return (pid, run_id)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if Path(store).exists():
            try:
                with sqlite3.connect(store, timeout=30) as db:
                    row = db.execute("SELECT pid, run_id FROM leases WHERE run_id IS NOT NULL"
                                     ).fetchone()
                if row:
                    return row
            except sqlite3.OperationalError:
                pass
        time.sleep(0.05)
    raise AssertionError("no run took a lease")


def _kill(proc):
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait(timeout=30)


# -- the class on its own --------------------------------------------------------------------
def test_same_search_splits_claims_and_other_search_is_refused(tmp_path):
    path = tmp_path / "s.sqlite"
    a = StoreLease(path, search_hash="h1", search_name="pi")
    a.acquire()
    a.bind(7)
    b = StoreLease(path, search_hash="h1", search_name="pi")
    b.acquire()
    assert b.peer_run() == 7
    b.bind(7)
    got_a = [u for u in range(20) if a.claim(u)]
    got_b = [u for u in range(20) if b.claim(u)]
    assert got_a == list(range(20)) and got_b == []
    with pytest.raises(StoreBusyError) as err:
        StoreLease(path, search_hash="h2").acquire()
    msg = str(err.value)
    assert f"pid {os.getpid()}" in msg and socket.gethostname() in msg and "run 7" in msg
    assert "search 'pi'" in msg and "since" in msg and "another --store" in msg
    a.release()
    # a's claims are dropped once a has no lease: b may take them over
    assert all(b.claim(u) for u in range(20))
    b.release()
    c = StoreLease(path, search_hash="h2")
    c.acquire()          # the store is free again
    c.release()


def test_stale_lease_is_taken_over_and_a_lost_lease_claims_nothing(tmp_path):
    path = tmp_path / "s.sqlite"
    a = StoreLease(path, search_hash="h1", stale_after=0.3)
    a.acquire()
    a.bind(1, renew=False)
    assert a.claim(0)
    b = StoreLease(path, search_hash="h2", stale_after=0.3)
    with pytest.raises(StoreBusyError):
        b.acquire()
    time.sleep(0.5)                      # a stops renewing: stale
    b.acquire()
    assert not a.renew() and a.lost and not a.claim(1)
    b.release()


def test_dead_holder_on_this_host_is_taken_over_at_once(tmp_path):
    path = tmp_path / "s.sqlite"
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    a = StoreLease(path, search_hash="h1")
    a.acquire()
    a.bind(1, renew=False)
    with sqlite3.connect(path) as db:     # pretend the lease belongs to the child process
        db.execute("UPDATE leases SET pid = ?", (child.pid,))
    with pytest.raises(StoreBusyError, match=f"pid {child.pid}"):
        StoreLease(path, search_hash="h2").acquire()
    child.kill()
    child.wait()
    b = StoreLease(path, search_hash="h2")
    b.acquire()                           # immediately, not after 30 s
    assert [h.search_hash for h in b.holders()] == ["h2"]
    b.release()


# -- real runs ---------------------------------------------------------------------------------
@pytest.mark.slow
def test_two_drivers_of_one_search_compute_each_shard_once(tmp_path):
    search = tmp_path / "lease.toml"
    search.write_text(SEARCH)
    store = tmp_path / "s.sqlite"
    first = _start(search, store, "--workers", "1")
    try:
        _bound_lease(store)
        second = _start(search, store, "--workers", "1")
        out1, err1 = first.communicate(timeout=300)
        out2, err2 = second.communicate(timeout=300)
    finally:
        _kill(first)
    assert first.returncode == 0, err1
    assert second.returncode == 0, err2
    s1, s2 = json.loads(out1), json.loads(out2)
    assert s1["run_id"] == s2["run_id"]            # the second joined the first's run
    with sqlite3.connect(store) as db:
        total_candidates = db.execute("SELECT sum(candidates) FROM shards").fetchone()[0]
        rows = db.execute("SELECT shard, status FROM shards WHERE run_id = ?",
                          (s1["run_id"],)).fetchall()
        runs = db.execute("SELECT count(*) FROM runs").fetchone()[0]
        per_holder = dict(db.execute("SELECT holder, count(*) FROM claims GROUP BY holder"))
    assert runs == 1
    shards = [r[0] for r in rows]
    assert len(shards) == len(set(shards)) == s1["shards_total"]
    assert all(r[1] == "done" for r in rows)
    # each shard computed once: the candidates both drivers computed add up to the search's
    assert s1["candidates"] + s2["candidates"] == total_candidates
    assert s1["candidates"] > 0 and s2["candidates"] > 0, "the second driver got no shard"
    # claims are keyed (run, shard): never more than one per shard (those of a driver that
    # released its lease are dropped by the next one that looks)
    assert 0 < sum(per_holder.values()) <= s1["shards_total"]
    assert max(s1["shards_done"], s2["shards_done"]) == s1["shards_total"]


@pytest.mark.slow
def test_other_search_is_refused_then_takes_over_a_killed_holder(tmp_path):
    search = tmp_path / "lease.toml"
    search.write_text(SEARCH.replace("[-10, 10]", "[-13, 13]"))
    store = tmp_path / "s.sqlite"
    holder = _start(search, store, "--workers", "1")
    try:
        pid, run_id = _bound_lease(store)
        assert pid == holder.pid
        env = dict(os.environ, DISCOVER_DISABLE_PLUGIN_AUTOLOAD="1")
        other = [sys.executable, "-m", "discover.cli", "run", str(ROOT / "searches/cmf_e.toml"),
                 "--store", str(store), "--json", "--quiet"]
        refused = subprocess.run(other, capture_output=True, text=True, env=env, timeout=120)
        assert refused.returncode == 2
        assert "is busy" in refused.stderr and f"pid {holder.pid}" in refused.stderr
        assert f"run {run_id}" in refused.stderr and socket.gethostname() in refused.stderr
        assert "lease-pi" in refused.stderr and "since" in refused.stderr
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait(timeout=30)
        t0 = time.time()
        took = subprocess.run(other, capture_output=True, text=True, env=env, timeout=300)
        assert took.returncode == 0, took.stderr
        assert json.loads(took.stdout)["status"] == "complete"
        assert time.time() - t0 < 120        # no 30 s wait: the holder's pid is gone
    finally:
        _kill(holder)


def test_rounds_are_claimed_apart_from_shards(tmp_path):
    path = tmp_path / "s.sqlite"
    a, b = StoreLease(path, search_hash="h"), StoreLease(path, search_hash="h")
    a.acquire()
    a.bind(1, renew=False)
    b.acquire()
    b.bind(1, renew=False)
    assert a.claim(0, kind="round") and a.claim(0)          # round 0 and shard 0 are distinct
    assert not b.claim(0, kind="round") and not b.claim(0)
    assert b.claim(1, kind="round")
    with pytest.raises(ValueError):
        a.claim(2, kind="task")
    a.release()
    b.release()
