import sqlite3

import networkx as nx
import pytest

from discover.errors import StoreError
from discover.provenance import export_graphml, export_json, graph_from_json, graph_to_json
from discover.store import DiscoveryRecord, Store


def _rec(key="pcf:a=2,1;b=1,0,0", digits=100.0):
    return DiscoveryRecord(kind="pcf", key=key, params={"a": [2, 1], "b": [1, 0, 0]},
                           digits=digits, text="PCF(2*n + 1, n**2)", latex="x",
                           constant="pi", expression="4/pi", convergence_rate=0.77)


def _graph():
    g = nx.DiGraph()
    g.add_node("search", type="search", params={"depth": 100})
    g.add_node("discovery", type="discovery", digits=100.0)
    g.add_edge("search", "discovery", relation="recorded")
    return g


def test_same_formula_is_stored_once_across_shards_and_runs(store_path):
    with Store(store_path) as st:
        r1 = st.create_run("pi", "pcf", "h1", {}, "0.1", 3)
        out = st.record_shard(r1, 0, [(_rec(), _graph())], candidates=10)
        assert out[0][1] is True
        out = st.record_shard(r1, 1, [(_rec(), _graph())], candidates=10)
        assert out[0][1] is False
        r2 = st.create_run("pi", "pcf", "h1", {}, "0.1", 3)
        st.record_shard(r2, 0, [(_rec(), _graph())])
        recs = st.discoveries()
        assert len(recs) == 1 and recs[0].runs == [r1, r2]
        assert st.shards_done(r1) == {0, 1}
        assert [d.id for d in st.discoveries(run_id=r2)] == [recs[0].id]


def test_a_failed_write_leaves_neither_results_nor_shard(store_path):
    with Store(store_path) as st:
        run = st.create_run("pi", "pcf", "h", {}, "0.1", 1)

        bad = _rec()
        bad.params = {"a": object()}  # not JSON-able: the transaction must roll back
        with pytest.raises(TypeError):
            st.record_shard(run, 0, [(_rec("k2"), _graph()), (bad, _graph())])
        assert st.discoveries() == [] and st.shards_done(run) == set()


def test_failed_shards_keep_their_traceback(store_path):
    with Store(store_path) as st:
        run = st.create_run("pi", "pcf", "h", {}, "0.1", 2)
        st.record_shard(run, 1, [], error="Traceback ...\nValueError: boom")
        assert st.shards_done(run) == set()
        assert "boom" in st.failed_shards(run)[0]["error"]


def test_provenance_round_trips_and_exports(store_path, tmp_path):
    with Store(store_path) as st:
        run = st.create_run("pi", "pcf", "h", {}, "0.1", 1)
        (rec, _), = st.record_shard(run, 0, [(_rec(), _graph())])
        g = st.provenance(rec.id)
    assert set(g.nodes) == {"search", "discovery"} and g.nodes["search"]["params"]["depth"] == 100
    assert nx.is_isomorphic(g, graph_from_json(graph_to_json(g)))
    export_json(g, tmp_path / "g.json")
    export_graphml(g, tmp_path / "g.graphml")
    h = nx.read_graphml(tmp_path / "g.graphml")
    assert h.has_edge("search", "discovery")


def test_incompatible_store_is_refused_and_left_unmodified(store_path):
    with Store(store_path):
        pass
    db = sqlite3.connect(store_path)
    db.execute("UPDATE meta SET value = '999' WHERE key = 'schema_version'")
    db.commit()
    db.close()
    before = store_path.read_bytes()
    with pytest.raises(StoreError, match="schema version 999"):
        Store(store_path)
    assert store_path.read_bytes() == before


def test_foreign_sqlite_file_is_refused(tmp_path):
    p = tmp_path / "other.sqlite"
    db = sqlite3.connect(p)
    db.execute("CREATE TABLE t (x)")
    db.commit()
    db.close()
    with pytest.raises(StoreError, match="not a discover store"):
        Store(p)


def test_readonly_store_missing_says_how_to_create_it(tmp_path):
    with pytest.raises(StoreError, match="run a search first"):
        Store(tmp_path / "nope.sqlite", readonly=True)


def test_a_full_disk_fails_at_start(tmp_path, monkeypatch, plugins):
    import shutil
    from collections import namedtuple

    import discover
    from discover.errors import DiscoverError

    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda p: usage(10 ** 9, 10 ** 9 - 1000, 1000))
    search = {"search": {"name": "x", "kind": "pcf"},
              "generator": {"a_degree": 1, "a_range": [1, 2], "b_degree": 1, "b_range": [1, 2]},
              "match": {"constants": ["pi"]}}
    with pytest.raises(DiscoverError, match="MiB free"):
        discover.run(search, store=tmp_path / "s.sqlite", workers=1, plugins=plugins)


def test_a_store_that_cannot_be_written_fails_at_open(tmp_path):
    path = tmp_path / "s.sqlite"
    with Store(path):
        pass
    locker = sqlite3.connect(path, isolation_level=None, timeout=0)
    locker.execute("BEGIN EXCLUSIVE")      # another process holds the write lock
    try:
        import discover.store as store_mod

        original = store_mod.Store._connect

        def fast(target, uri=False):
            db = original(target, uri)
            db.execute("PRAGMA busy_timeout = 100")
            return db

        store_mod.Store._connect = staticmethod(fast)
        with pytest.raises(StoreError, match="cannot be written"):
            Store(path)
    finally:
        store_mod.Store._connect = staticmethod(original)
        locker.execute("ROLLBACK")
        locker.close()


def test_a_transaction_left_open_by_an_interruption_is_dropped(store_path):
    with Store(store_path) as st:
        run = st.create_run("pi", "pcf", "h", {}, "0.1", 2)
        st._db.execute("BEGIN IMMEDIATE")          # as if Ctrl-C struck right after BEGIN
        st._db.execute("INSERT INTO shards (run_id, shard, status, finished) "
                       "VALUES (?, 0, 'done', 0)", (run,))
        st.finish_run(run, "interrupted", {})
        assert st.shards_done(run) == set() and st.run(run).status == "interrupted"
