"""The engine's adaptive mode (rounds, ask/tell) with a small generator of its own, the persistent
functional hash table across runs, and the schema-1 upgrade.

The toy kind searches for the integer n in [0, 10^6) that minimises (n - 271828)^2 by random
sampling in islands: each round's tasks draw from a generator seeded by (seed, island, round),
the state keeps the best point found, and the last round's best becomes a discovery whose tier 3
is an exact recomputation (accepted only when the recorded value is right).
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from discover import hookimpl
from discover.engine import run_search
from discover.errors import SearchFileError
from discover.generator import Field, Generator, Hit, Measure, RoundOutcome, Task, Verdict
from discover.pluginmanager import get_plugin_manager
from discover.search import parse_search
from discover.store import Store

TARGET = 271828


class Point:
    def __init__(self, n: int, value: int):
        self.n, self.value = int(n), int(value)


class Sampler(Generator):
    kind = "toysampler"
    version = "1"
    mode = "rounds"
    search_fields = (
        Field("rounds", "int", 3, "rounds to run", min=1, max=50),
        Field("islands", "int", 2, "tasks per round", min=1, max=8),
        Field("draws", "int", 200, "samples per task", min=1, max=100000),
        Field("seed", "int", 0, "random seed"),
        Field("fail_round", "int", -1, "raise in this round (tests)"),
        Field("lie", "bool", False, "report a wrong value (tests: tier 3 must reject it)"),
    )
    measures = (Measure("value", "(n - target)^2", better="lower"),)
    flaky_marker: Path | None = None

    def start(self, params, context):
        return {"best": None, "value": None, "told": 0}

    def ask(self, params, state, round, context):
        if round >= params["rounds"]:
            return []
        return [Task(round, i, {"seed": [params["seed"], i, round], "best": state["best"]})
                for i in range(params["islands"])]

    def work(self, params, task, context):
        if task.round == params["fail_round"] and self.flaky_marker is not None \
                and not self.flaky_marker.exists():
            self.flaky_marker.write_text("failed once")
            raise RuntimeError("island exploded")
        rng = np.random.default_rng(task.spec["seed"])
        xs = rng.integers(0, 10 ** 6, size=params["draws"])
        if task.spec["best"] is not None:       # local steps around the best so far
            xs = np.concatenate([xs, task.spec["best"] + rng.integers(-500, 501, size=50)])
        vals = (xs - TARGET) ** 2
        i = int(np.argmin(vals))
        if context.hashes is not None:
            context.hashes.add("toy", str(int(xs[i])), self.kind, {"value": int(vals[i])})
        return {"best": int(xs[i]), "value": int(vals[i])}

    def tell(self, params, state, round, results, context):
        best = dict(state)
        for r in results:
            if best["value"] is None or (r["value"], r["best"]) < (best["value"], best["best"]):
                best.update(best=r["best"], value=r["value"])
        best["told"] = state["told"] + 1
        finished = round + 1 >= params["rounds"]
        hits = []
        if finished:
            value = best["value"] + (1 if params["lie"] else 0)
            hits = [Hit(candidate=Point(best["best"], value))]
        return RoundOutcome(state=best, hits=hits, finished=finished, stats={"draws": len(
            results) * params["draws"]})

    def verify(self, candidate, claimed, digits):
        assert claimed is None
        exact = (candidate.n - TARGET) ** 2
        ok = exact == candidate.value
        return Verdict(equal=ok, digits=0.0, required=0, method="exact recomputation",
                       measures={"value": exact}, reason="" if ok else "value is wrong")

    def key(self, candidate):
        return f"toy:{candidate.n}"

    def to_json(self, candidate):
        return {"n": candidate.n}


class _Plugin:
    __name__ = "toysampler"

    def __init__(self, gen):
        self.gen = gen

    @hookimpl
    def discover_generators(self):
        return [self.gen]


@pytest.fixture
def toy(tmp_path):
    gen = Sampler()
    gen.flaky_marker = tmp_path / "flaky"
    return get_plugin_manager(autoload=False, extra=[_Plugin(gen)]), gen


def _search(pl, **fields):
    return parse_search({"search": {"name": "toy", "kind": "toysampler"},
                         "generator": fields}, pl)


def _state(store: Store, run_id: int):
    return store.last_round(run_id)


def test_rounds_record_measures_state_and_discovery(toy, tmp_path):
    pl, _ = toy
    with Store(tmp_path / "s.sqlite") as st:
        summary = run_search(_search(pl, rounds=3), store=st, plugins=pl, workers=1)
        assert summary.status == "complete" and summary.mode == "rounds"
        assert summary.rounds_done == 3
        [rec] = summary.discoveries
        assert rec.digits is None and "digits" not in rec.to_json()
        assert rec.method == "exact recomputation"
        assert rec.measures == {"value": (rec.params["n"] - TARGET) ** 2}
        rnd, wrapped = _state(st, summary.run_id)
        assert rnd == 2 and wrapped["finished"] and wrapped["generator"]["told"] == 3
        graph = st.provenance(rec.id)
        assert graph.nodes["verdict"]["method"] == "exact recomputation"
        # the discovery was recorded in the same transaction as round 2
        with sqlite3.connect(st.path) as db:
            [(shard,)] = db.execute("SELECT shard FROM discovery_runs").fetchall()
        assert shard == 2


def test_resume_after_each_round_equals_an_uninterrupted_run(toy, tmp_path):
    pl, _ = toy
    search = _search(pl, rounds=4, seed=7)
    with Store(tmp_path / "a.sqlite") as st:
        whole = run_search(search, store=st, plugins=pl, workers=2)
        whole_state = _state(st, whole.run_id)[1]
    with Store(tmp_path / "b.sqlite") as st:
        for k in range(4):
            part = run_search(search, store=st, plugins=pl, workers=2, max_rounds=1)
            assert part.resumed == (k > 0)
            assert part.rounds_done == k + 1
        again = run_search(search, store=st, plugins=pl, workers=2)
        assert again.status == "complete" and again.shards_this_session == 0
        assert _state(st, part.run_id)[1] == whole_state
        assert [d.key for d in again.discoveries] == [d.key for d in whole.discoveries]


def test_a_failed_round_is_recorded_and_retried(toy, tmp_path):
    pl, _ = toy
    search = _search(pl, rounds=3, fail_round=1)
    with Store(tmp_path / "s.sqlite") as st:
        first = run_search(search, store=st, plugins=pl, workers=1)
        assert first.status == "partial" and first.rounds_done == 1
        [failed] = st.failed_rounds(first.run_id)
        assert failed["round"] == 1 and "island exploded" in failed["error"]
        second = run_search(search, store=st, plugins=pl, workers=1)
        assert second.status == "complete" and second.rounds_done == 3
        assert st.failed_rounds(first.run_id) == []
        assert len(second.discoveries) == 1


def test_tier3_rejection_stores_nothing(toy, tmp_path):
    pl, _ = toy
    with Store(tmp_path / "s.sqlite") as st:
        summary = run_search(_search(pl, rounds=2, lie=True), store=st, plugins=pl, workers=1)
        assert summary.status == "complete"
        assert summary.discoveries == []
        assert summary.stats["rejected"] == 1


def test_plugin_hash_stage_is_shared_across_runs(toy, tmp_path):
    pl, _ = toy
    search = _search(pl, rounds=2, seed=3)
    with Store(tmp_path / "s.sqlite") as st:
        run_search(search, store=st, plugins=pl, workers=1)
        assert st.hash_table_size()["toy"] >= 1
        # the generator may look up what earlier runs recorded
        gen = pl.generator("toysampler")
        from discover.hashtable import HashTable

        table = HashTable(st.path)
        best = _state(st, 1)[1]["generator"]["best"]
        assert table.get("toy", best) == {"value": (best - TARGET) ** 2}
        assert gen.kind == "toysampler"


def test_declared_fields_are_enforced_and_printed(toy):
    pl, gen = toy
    with pytest.raises(SearchFileError) as err:
        _search(pl, rounds=0)
    assert err.value.field == "generator.rounds" and "between 1 and 50" in str(err.value)
    with pytest.raises(SearchFileError) as err:
        _search(pl, round=3)
    assert err.value.field == "generator.round" and "rounds" in str(err.value)
    assert "rounds to run" in gen.schema()["rounds"]


def test_overrides_enter_the_hash(toy):
    pl, _ = toy
    data = {"search": {"name": "toy", "kind": "toysampler"}, "generator": {"rounds": 2}}
    a = parse_search(data, pl)
    b = parse_search(data, pl, overrides=["generator.rounds=3"])
    assert b.params["rounds"] == 3 and a.hash != b.hash
    with pytest.raises(SearchFileError):
        parse_search(data, pl, overrides=["generator.rounds"])


def test_a_generator_missing_its_mode_methods_is_refused():
    class Half(Sampler):
        kind = "half"
        tell = Generator.tell

    class P:
        __name__ = "half"

        @hookimpl
        def discover_generators(self):
            return [Half()]

    pl = get_plugin_manager(autoload=False, extra=[P()])
    assert "half" not in pl.generators
    assert any("does not implement tell" in e for e in pl.errors)


# ---------------------------------------------------------------------------------------------
# the persistent functional hash table across runs (PCF search)
# ---------------------------------------------------------------------------------------------
def test_second_run_reuses_verifications(plugins, tmp_path):
    search = parse_search({"search": {"name": "e-small", "kind": "pcf"},
                           "generator": {"a_degree": 1, "b_degree": 1, "a_range": [-4, 4],
                                         "b_range": [-4, 4]},
                           "match": {"constants": ["e"], "coefficient_bound": 4}}, plugins)
    with Store(tmp_path / "s.sqlite") as st:
        first = run_search(search, store=st, plugins=plugins, workers=1)
        assert first.discoveries
        assert first.stats["hash_table"]["verify"]["hits"] == 0
        second = run_search(search, store=st, plugins=plugins, workers=1, new_run=True)
        ht = second.stats["hash_table"]["verify"]
        assert ht["hits"] == ht["lookups"] > 0
        assert second.stats.get("verify_cached", 0) == ht["hits"]
        assert [d.key for d in second.discoveries] == [d.key for d in first.discoveries]
        assert second.new_discoveries == 0
        assert all(sorted(d.runs) == [first.run_id, second.run_id] for d in second.discoveries)


# ---------------------------------------------------------------------------------------------
# schema 1 -> 2
# ---------------------------------------------------------------------------------------------
FIXTURE = Path(__file__).parent / "data" / "store_schema1.sqlite"


def test_schema1_store_is_upgraded_in_place(tmp_path):
    path = tmp_path / "old.sqlite"
    shutil.copy(FIXTURE, path)
    with sqlite3.connect(path) as db:
        before = {r[0]: r[1] for r in db.execute("SELECT kind, count(*) FROM discoveries "
                                                   "GROUP BY kind")}
        pcf_digits = dict(db.execute("SELECT key, digits FROM discoveries WHERE kind='pcf'"))
    with Store(path, readonly=True) as st:       # even a read-only open upgrades a writable file
        recs = st.discoveries()
        assert {k: sum(r.kind == k for r in recs) for k in before} == before
        for r in recs:
            j = r.to_json()
            if r.kind == "pcf":
                assert r.digits == pcf_digits[r.key] and j["digits"] == round(r.digits, 2)
                assert r.measures["digits"] == round(r.digits, 2)
            else:
                assert r.digits is None and "digits" not in j
            if r.kind == "program":
                assert j["max_rel_error"] > 0 and j["ops"] >= 1
            if r.kind == "theorem":
                assert j["checked"] is False and j["statement"]
        st.provenance(recs[0].id)
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT value FROM meta").fetchone()[0] == "2"
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
        assert db.execute("SELECT count(*) FROM discovery_runs").fetchone()[0] >= sum(
            before.values())
    with Store(path) as st:                       # opening again changes nothing
        assert len(st.discoveries()) == sum(before.values())


def test_upgrade_of_a_readonly_schema1_store_is_refused_unmodified(tmp_path, monkeypatch):
    import discover.store as store_mod
    from discover.errors import StoreError

    path = tmp_path / "old.sqlite"
    shutil.copy(FIXTURE, path)
    # as root every file is writable: pretend this one is not
    real = store_mod.os.access
    monkeypatch.setattr(store_mod.os, "access",
                        lambda p, mode: False if Path(p) == path else real(p, mode))
    with pytest.raises(StoreError, match="discover upgrade"):
        Store(path, readonly=True)
    assert path.read_bytes() == FIXTURE.read_bytes()


def test_cli_upgrade(tmp_path):
    from discover.cli import main

    path = tmp_path / "old.sqlite"
    shutil.copy(FIXTURE, path)
    assert main(["upgrade", "--store", str(path)]) == 0
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT value FROM meta").fetchone()[0] == "2"
    assert json.loads(json.dumps(main(["upgrade", "--store", str(path)]))) == 0
