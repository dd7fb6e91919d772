"""Failure isolation: a plugin exception fails one shard; Ctrl-C stops cleanly; both resume."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys

import discover
from discover import hookimpl
from discover.cli import main
from discover.pluginmanager import get_plugin_manager

SEARCH = {
    "search": {"name": "flaky", "kind": "flaky"},
    "generator": {"a_degree": 1, "a_range": [1, 4], "b_degree": 2, "b_range": [-3, 3],
                  "shard_size": 300},
    "match": {"constants": ["pi"], "coefficient_bound": 8},
}
BROKEN = {"on": True}


def _flaky_plugin():
    base = type(get_plugin_manager(autoload=False).generators["pcf"])

    class Flaky(base):
        kind = "flaky"

        def propose(self, params, shard, context):
            if BROKEN["on"] and shard.index == 1:
                raise RuntimeError("plugin bug in shard 1")
            return super().propose(params, shard, context)

    class Plugin:
        __name__ = "flakyplugin"

        @hookimpl
        def discover_generators(self):
            return [Flaky()]

    return Plugin()


def test_an_exception_fails_one_shard_and_retry_failed_reruns_it(tmp_path, capsys):
    pl = get_plugin_manager(autoload=False, extra=[_flaky_plugin()])
    store = tmp_path / "s.sqlite"
    BROKEN["on"] = True
    first = discover.run(SEARCH, store=store, workers=1, plugins=pl)
    assert first.status == "partial" and first.shards_failed == 1
    assert first.shards_done == first.shards_total - 1
    assert main(["show", "--store", str(store), "--failed", "--json"]) == 0
    failed = json.loads(capsys.readouterr().out)
    assert [f["shard"] for f in failed] == [1] and "plugin bug in shard 1" in failed[0]["error"]
    # a plain resume leaves the failed shard alone; --retry-failed reruns it
    again = discover.run(SEARCH, store=store, workers=1, plugins=pl)
    assert again.shards_this_session == 0 and again.shards_failed == 1
    BROKEN["on"] = False
    fixed = discover.run(SEARCH, store=store, workers=1, plugins=pl, retry_failed=True)
    assert fixed.status == "complete" and fixed.shards_failed == 0
    assert fixed.run_id == first.run_id
    clean = discover.run(SEARCH, store=tmp_path / "clean.sqlite", workers=1, plugins=pl)
    assert sorted(d.key for d in fixed.discoveries) == sorted(d.key for d in clean.discoveries)


def test_ctrl_c_stops_cleanly_and_the_run_resumes(tmp_path):
    search = tmp_path / "s.toml"
    search.write_text('[search]\nname = "ctrlc"\nkind = "pcf"\n[generator]\na_degree = 1\n'
                      'a_range = [-12, 12]\nb_degree = 2\nb_range = [-12, 12]\nshard_size = 20000\n'
                      '[match]\nconstants = ["pi"]\ncoefficient_bound = 10\n')
    store = tmp_path / "s.sqlite"
    cmd = [sys.executable, "-m", "discover.cli", "run", str(search), "--store", str(store),
           "--workers", "2"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    for line in proc.stderr:                   # wait until shards are being recorded
        if line.startswith("shards "):
            break
    os.killpg(proc.pid, signal.SIGINT)          # what a terminal's Ctrl-C does
    out, err = proc.communicate(timeout=120)
    assert "Traceback" not in err, err
    assert proc.returncode == 130 and "interrupted" in out
    db = sqlite3.connect(store)
    status = db.execute("SELECT status FROM runs").fetchone()[0]
    kept = db.execute("SELECT count(*) FROM shards WHERE status = 'done'").fetchone()[0]
    db.close()
    assert status == "interrupted" and kept >= 1
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    db = sqlite3.connect(store)
    runs = db.execute("SELECT count(*), max(status) FROM runs").fetchone()
    shards = db.execute("SELECT count(*), count(DISTINCT shard) FROM shards").fetchone()
    db.close()
    assert runs == (1, "complete") and shards[0] == shards[1]
