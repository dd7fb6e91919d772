"""Workers die with their driver: SIGKILL a real `discover run --workers 2` (and `discover
evolve --workers 2`) and no process of it is left."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(),
                                reason="reads /proc to find the workers")


def _children(pid: int) -> set[int]:
    out: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            out |= {int(x) for x in (task / "children").read_text().split()}
        except OSError:
            pass
    return out


def _descendants(pid: int) -> set[int]:
    found, todo = set(), [pid]
    while todo:
        for c in _children(todo.pop()):
            if c not in found:
                found.add(c)
                todo.append(c)
    return found


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


def _in_group(pgid: int) -> set[int]:
    """Live processes of process group ``pgid`` (the run was started in its own session)."""
    out = set()
    for p in Path("/proc").iterdir():
        if p.name.isdigit():
            try:
                fields = (p / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == pgid and fields[0] not in ("Z", "X"):
                out.add(int(p.name))
    return out


def _kill_driver_and_check(cmd, tmp_path, min_workers=2, env_extra=None, settle=1.0):
    env = dict(os.environ, DISCOVER_DISABLE_PLUGIN_AUTOLOAD="1", **(env_extra or {}))
    proc = subprocess.Popen(cmd, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.time() + 120
        workers: set[int] = set()
        while time.time() < deadline:
            workers = {p for p in _descendants(proc.pid) if _alive(p)}
            if len(workers) >= min_workers:
                break
            assert proc.poll() is None, "the run ended before its workers started"
            time.sleep(0.2)
        assert len(workers) >= min_workers, f"no workers appeared: {workers}"
        time.sleep(settle)       # let the workers get busy in a long task
        workers = {p for p in _descendants(proc.pid) if _alive(p)}
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        deadline = time.time() + 10
        left = workers | _in_group(proc.pid)
        while time.time() < deadline:
            left = {p for p in workers if _alive(p)} | _in_group(proc.pid)
            if not left:
                break
            time.sleep(0.1)
        assert not left, f"processes of the killed run are still alive: {sorted(left)}"
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)     # never leave anything behind ourselves
        except ProcessLookupError:
            pass


@pytest.mark.slow
@pytest.mark.parametrize("method", [None, "spawn"])
def test_run_workers_die_with_a_killed_driver(tmp_path, method):
    cmd = [sys.executable, "-m", "discover.cli", "run", str(ROOT / "searches/pi_mitm_paper.toml"),
           "--workers", "2", "--store", str(tmp_path / "x.sqlite"), "--quiet"]
    _kill_driver_and_check(cmd, tmp_path,
                           env_extra={"DISCOVER_START_METHOD": method} if method else None)


@pytest.mark.slow
def test_evolve_workers_die_with_a_killed_driver(tmp_path):
    cmd = [sys.executable, "-m", "discover.cli", "evolve", "exp2", "--interval", "0", "1",
           "--max-ops", "12", "--seconds", "120", "--workers", "2", "--store",
           str(tmp_path / "e.sqlite")]
    # past the short seed-fitting phase, into the long island phase
    _kill_driver_and_check(cmd, tmp_path, settle=8.0)
