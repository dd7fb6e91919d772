"""The same shards on a real Dask cluster (scheduler and two workers as processes on loopback)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import discover

pytest.importorskip("distributed")

SEARCH = {
    "search": {"name": "dask-pi", "kind": "pcf"},
    "generator": {"a_degree": 1, "a_range": [-5, 5], "b_degree": 2, "b_range": [-5, 5],
                  "shard_size": 4000},
    "match": {"constants": ["pi"], "coefficient_bound": 8},
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _dask(*args):
    exe = Path(sys.executable).with_name("dask")
    env = dict(os.environ, DISCOVER_DISABLE_PLUGIN_AUTOLOAD="1")
    return subprocess.Popen([str(exe), *args], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, env=env, start_new_session=True)


@pytest.fixture
def cluster():
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    procs = [_dask("scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard")]
    time.sleep(1.0)
    workers = [_dask("worker", address, "--nworkers", "1", "--nthreads", "1", "--no-dashboard",
                     "--host", "127.0.0.1") for _ in range(2)]
    procs += workers
    from distributed import Client

    deadline = time.time() + 90
    while True:
        try:
            with Client(address, timeout=5) as c:
                if len(c.scheduler_info()["workers"]) == 2:
                    break
        except OSError:
            pass
        if time.time() > deadline:
            pytest.fail("the Dask cluster did not come up")
        time.sleep(0.5)
    yield address, workers
    for p in procs:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGTERM)
    for p in procs:
        try:
            p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)


def test_dask_results_equal_local_results_even_when_a_worker_dies(cluster, tmp_path, plugins):
    address, workers = cluster
    local = discover.run(SEARCH, store=tmp_path / "local.sqlite", workers=1, plugins=plugins)
    # kill one worker shortly after the run starts: its shards must be rescheduled, not lost
    killer = threading.Timer(3.0, lambda: os.killpg(workers[0].pid, signal.SIGKILL))
    killer.start()
    try:
        remote = discover.run(SEARCH, store=tmp_path / "dask.sqlite", scheduler=address,
                              plugins=plugins)
    finally:
        killer.cancel()
    assert remote.status == "complete" and remote.shards_failed == 0
    assert remote.shards_done == remote.shards_total == local.shards_total
    assert sorted(d.key for d in remote.discoveries) == sorted(d.key for d in local.discoveries)
    assert [d.expression for d in sorted(remote.discoveries, key=lambda d: d.key)] == \
        [d.expression for d in sorted(local.discoveries, key=lambda d: d.key)]


def test_unreachable_scheduler_says_how_to_start_one(tmp_path, plugins, monkeypatch):
    monkeypatch.setenv("DISCOVER_DASK_TIMEOUT", "3")
    with pytest.raises(discover.DiscoverError, match="Dask scheduler at .* within 3 s.*start one with `dask scheduler`"):
        discover.run(SEARCH, store=tmp_path / "s.sqlite",
                     scheduler=f"tcp://127.0.0.1:{_free_port()}", plugins=plugins)


def test_a_bad_dask_timeout_is_named(tmp_path, plugins, monkeypatch):
    monkeypatch.setenv("DISCOVER_DASK_TIMEOUT", "soon")
    with pytest.raises(discover.DiscoverError, match="DISCOVER_DASK_TIMEOUT='soon'"):
        discover.run(SEARCH, store=tmp_path / "s.sqlite",
                     scheduler=f"tcp://127.0.0.1:{_free_port()}", plugins=plugins)
