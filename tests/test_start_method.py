"""Start methods: a real search runs with spawn (state pickled through the pool initializer);
DISCOVER_START_METHOD forces one and is checked."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from discover.errors import DiscoverError
from discover.workers import start_method

ROOT = Path(__file__).resolve().parents[1]


def test_start_method_env(monkeypatch):
    monkeypatch.delenv("DISCOVER_START_METHOD", raising=False)
    assert start_method() in ("fork", "spawn")
    monkeypatch.setenv("DISCOVER_START_METHOD", "spawn")
    assert start_method() == "spawn"
    monkeypatch.setenv("DISCOVER_START_METHOD", "threads")
    with pytest.raises(DiscoverError, match="DISCOVER_START_METHOD"):
        start_method()


@pytest.mark.slow
def test_small_search_runs_with_spawn(tmp_path):
    env = dict(os.environ, DISCOVER_START_METHOD="spawn", DISCOVER_DISABLE_PLUGIN_AUTOLOAD="1")
    proc = subprocess.run([sys.executable, "-m", "discover.cli", "run",
                           str(ROOT / "searches/cmf_e.toml"), "--workers", "2", "--store",
                           str(tmp_path / "s.sqlite"), "--json", "--quiet"],
                          capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["status"] == "complete" and out["shards_failed"] == 0
    assert out["shards_done"] == out["shards_total"] and out["new_discoveries"] > 0
    assert "KeyError" not in proc.stderr
