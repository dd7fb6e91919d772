"""Evolution as an adaptive (rounds) search on the engine: records, resume, SIGKILL, the fit
stage of the functional hash table, the dense check, and Dask."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

import discover
from discover.engine import run_search
from discover.store import Store

GEN = {"function": "exp", "interval": [0.0, 1.0], "max_ops": 5, "rounds": 3,
       "generations": 12, "seed": 4, "islands": 2, "migrate_every": 2, "dense_points": 5001}


def _search(name="evo-test", **gen):
    return {"search": {"name": name, "kind": "program"}, "generator": {**GEN, **gen}}


def _toml(data: dict) -> str:
    lines = []
    for table, fields in data.items():
        lines.append(f"[{table}]")
        for k, v in fields.items():
            lines.append(f"{k} = {json.dumps(v)}")
    return "\n".join(lines) + "\n"


def _front(records) -> list:
    """What must agree between runs: each program, its op count and its dense errors."""
    return sorted((r.measures["ops"], json.dumps(r.params["program"], sort_keys=True),
                   r.measures["max_rel_error"], r.measures["bound"]) for r in records)


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """An uninterrupted run of the test search (2 worker processes)."""
    from discover.pluginmanager import get_plugin_manager

    path = tmp_path_factory.mktemp("ref") / "ref.sqlite"
    summary = discover.run(_search(), store=path, workers=2,
                           plugins=get_plugin_manager(autoload=False))
    assert summary.status == "complete" and summary.rounds_done == 4   # seeds + 3 rounds
    return summary, path


def test_runs_through_the_engine_and_records_programs(reference, capsys):
    summary, path = reference
    recs = summary.discoveries
    assert recs and all(r.kind == "program" and r.digits is None for r in recs)
    for r in recs:
        m = r.measures
        assert set(m) >= {"ops", "max_rel_error", "bound", "bound_exact", "fit_error"}
        assert 1 <= m["ops"] <= 5 and np.isfinite(m["max_rel_error"])
        assert m["bound"] is None or m["bound"] >= m["max_rel_error"]
        assert "dense re-measurement" in r.method and "arb bound" in r.method
    with Store(path, readonly=True) as st:
        g = st.provenance(recs[-1].id)
        ancestors = [n for n, d in g.nodes(data=True) if d.get("type") == "ancestor"]
        assert ancestors and any(g.has_edge(a, "candidate") for a in ancestors)
        assert any(g.has_edge("generator", a) and g.edges["generator", a]["relation"]
                   == "seeded" for a in ancestors)
    # discover show --json: the fields of the scripts' contract
    from discover.cli import main

    assert main(["show", "--store", str(path), "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert len(shown) == len(recs)
    for item in shown:
        assert {"function", "interval", "ops", "max_rel_error", "bound", "python"} <= set(item)
        assert item["function"] == "exp" and item["interval"] == [0.0, 1.0]
        ns: dict = {}
        exec(item["python"], {"__builtins__": {}}, ns)
        assert abs(ns["f"](0.3) / np.exp(0.3) - 1) <= item["max_rel_error"] * 1.001


def test_resumed_run_ends_with_the_same_front(reference, tmp_path, plugins):
    ref, _ = reference
    search = discover.api.load(_search(), plugins=plugins)
    with Store(tmp_path / "s.sqlite") as st:
        for _ in range(3):   # seeds, round 1, round 2: each a separate, interrupted session
            part = run_search(search, store=st, plugins=plugins, workers=1, max_rounds=1)
            assert part.status == "partial" and not part.discoveries
        last = st.last_round(part.run_id)
        assert last[0] == 2 and last[1]["finished"] is False
        done = run_search(search, store=st, plugins=plugins, workers=1)
    assert done.status == "complete" and done.run_id == part.run_id
    assert _front(done.discoveries) == _front(ref.discoveries)


def test_sigkill_at_random_moments_then_rerun_gives_the_same_front(reference, tmp_path):
    ref, _ = reference
    f = tmp_path / "evo.toml"
    f.write_text(_toml(_search()))
    db = tmp_path / "k.sqlite"
    exe = Path(sys.executable).with_name("discover")
    cmd = [str(exe), "run", str(f), "--store", str(db), "--workers", "2", "--quiet"]
    env = dict(os.environ, DISCOVER_DISABLE_PLUGIN_AUTOLOAD="1")
    rng = random.Random(7)
    progress = []

    def recorded():
        if not db.exists():
            return None
        try:
            with Store(db, readonly=True) as st:
                runs = st.find_runs()
                last = st.last_round(runs[0].id) if runs else None
        except Exception:   # the store is being created
            return None
        return None if last is None else (last[0], last[1]["finished"])

    for _ in range(3):
        before = recorded()
        p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
                             start_new_session=True)
        # kill at a random moment after the session has recorded one more round
        deadline = time.time() + 120
        while recorded() == before and p.poll() is None and time.time() < deadline:
            time.sleep(0.01)
        # a round takes a fraction of a second on a fast machine: a longer wait would let the
        # run finish before the kill
        time.sleep(rng.uniform(0.0, 0.05))
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:     # it finished first: nothing left to kill
            pass
        p.wait()
        progress.append(recorded())
    # at least one kill left a run with rounds recorded and rounds to do
    assert any(pr is not None and not pr[1] for pr in progress), progress
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    with Store(db, readonly=True) as st:
        runs = [r for r in st.find_runs() if r.kind == "program"]
        assert len(runs) == 1 and runs[0].status == "complete"
        assert _front(st.discoveries(run_id=runs[0].id)) == _front(ref.discoveries)


def test_fit_stage_of_the_hash_table_hits_on_a_second_run(reference, tmp_path, plugins):
    ref, path = reference
    import shutil

    db = tmp_path / "again.sqlite"
    shutil.copy(path, db)
    again = discover.run(_search(), store=db, workers=1, new_run=True, plugins=plugins)
    assert again.run_id != ref.run_id
    fit = again.stats["hash_table"]["fit"]
    assert fit["hits"] > 0 and fit["hits"] == fit["lookups"]     # nothing fitted again
    assert again.stats["hash_table"]["verify"]["hits"] == len(again.discoveries)
    with Store(db, readonly=True) as st:
        state = st.last_round(again.run_id)[1]["generator"]
    assert state["stats"]["fits"] == 0 and state["stats"]["table_hits"] > 0
    assert _front(again.discoveries) == _front(ref.discoveries)


def _bad_candidate(dense_points=5001):
    """(1 + x) * (x - x0) / (x - x0): fine on the search's grids, 0/0 at a dense-grid point."""
    from discover_plugins.evolve.generator import ProgramCandidate
    from discover_plugins.evolve.program import Builder
    from discover_plugins.evolve.search import check_grid

    x0 = float(np.linspace(0.0, 1.0, dense_points)[1501])
    assert x0 not in set(check_grid(0.0, 1.0).tolist())
    bl = Builder()
    t = bl.emit(4, 0, c=-x0)
    q = bl.emit(3, t, t)
    u = bl.emit(4, 0, c=1.0)
    bl.emit(2, u, q)
    return ProgramCandidate("exp", (0.0, 1.0), bl.program().to_dict(), family="bad",
                            fit_error=0.27, evolved_id="w0-bad", dense_points=dense_points)


def test_a_program_failing_the_dense_check_is_not_recorded(tmp_path, plugins, monkeypatch):
    from discover.pipeline import check
    from discover_plugins.evolve.generator import ProgramGenerator

    gen = plugins.generator("program")
    bad = _bad_candidate()
    v = gen.verify(bad, None, 100)
    assert not v.equal and "divides by zero" in v.reason
    search = discover.api.load(_search(rounds=1, generations=4), plugins=plugins)
    ctx = search.context(plugins.constants)
    assert check(gen, bad, ctx) is None
    # and through a whole run: the front handed to the engine includes it, the store does not
    real_front = ProgramGenerator.front
    monkeypatch.setattr(ProgramGenerator, "front",
                        lambda self, params, state: real_front(self, params, state) + [bad])
    summary = discover.run(search, store=tmp_path / "bad.sqlite", workers=1, plugins=plugins)
    assert summary.status == "complete" and summary.discoveries
    assert gen.key(bad) not in {r.key for r in summary.discoveries}
    assert summary.stats["rejected"] >= 1


def test_search_files_and_bad_fields(plugins):
    root = Path(__file__).parent.parent / "searches"
    for name, fn in (("exp2_programs.toml", "exp2"), ("exp_programs.toml", "exp")):
        s = discover.api.load(root / name, plugins=plugins)
        assert s.kind == "program" and s.params["function"] == fn
        assert s.params["interval"] == [0.0, 1.0] and s.params["max_ops"] == 12
        assert s.params["seconds"] == 120 and s.params["seed"] == 0
    from discover.errors import SearchFileError

    with pytest.raises(SearchFileError, match="generator.interval.*x > 0"):
        discover.api.load(_search(function="log", interval=[-1.0, 1.0]), plugins=plugins)
    with pytest.raises(SearchFileError, match="generator.function.*valid choices"):
        discover.api.load(_search(function="nosuch"), plugins=plugins)
    with pytest.raises(SearchFileError, match="generator.interval.*at least 2"):
        discover.api.load(_search(interval=[0.0]), plugins=plugins)
    with pytest.raises(SearchFileError, match="generator.max_ops.*minimum 2"):
        discover.api.load(_search(max_ops=1), plugins=plugins)


# -- Dask ---------------------------------------------------------------------------------
try:
    from test_dask import cluster  # noqa: F401  (the fixture: a scheduler and two workers)
except (ImportError, pytest.skip.Exception):
    @pytest.fixture
    def cluster():
        pytest.skip("the Dask test needs the 'distributed' package")


def test_dask_run_equals_the_local_run_even_when_a_worker_dies(cluster, tmp_path, plugins):
    address, workers = cluster
    search = _search(name="evo-dask", rounds=4, generations=40)
    local = discover.run(search, store=tmp_path / "local.sqlite", workers=1, plugins=plugins)
    db = tmp_path / "dask.sqlite"
    killed = []

    def kill_when_a_round_is_recorded():
        # kill one worker once the run is under way: its task is rescheduled on the other
        deadline = time.time() + 120
        while time.time() < deadline:
            try:
                with Store(db, readonly=True) as st:
                    runs = st.find_runs()
                    last = st.last_round(runs[0].id) if runs else None
            except Exception:
                last = None
            if last is not None and last[0] >= 1:
                os.killpg(workers[0].pid, signal.SIGKILL)
                killed.append(last[0])
                return
            time.sleep(0.05)

    killer = threading.Thread(target=kill_when_a_round_is_recorded, daemon=True)
    killer.start()
    remote = discover.run(search, store=db, scheduler=address, plugins=plugins)
    killer.join(timeout=5)
    assert remote.status == "complete" and remote.rounds_done == 5
    assert killed and killed[0] < 4, killed       # the worker died mid-run
    assert _front(remote.discoveries) == _front(local.discoveries)
