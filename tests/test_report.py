"""HTML reports: self-contained, escaped, and showing the discoveries in a real browser."""

from __future__ import annotations

import shutil
import subprocess

import pytest

import discover
from discover.cli import main

SEARCH = {
    "search": {"name": "report-pi <b>&", "kind": "pcf"},
    "generator": {"a_degree": 1, "a_range": [1, 3], "b_degree": 2, "b_range": [-2, 2],
                  "shard_size": 200},
    "match": {"constants": ["pi"], "coefficient_bound": 6},
}


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("report")
    store = tmp / "s.sqlite"
    summary = discover.run(SEARCH, store=store, workers=1)
    out = tmp / "report.html"
    assert main(["report", "--store", str(store), "--html", str(out)]) == 0
    return summary, out


def test_report_is_self_contained_and_escaped(report):
    summary, out = report
    text = out.read_text()
    assert summary.discoveries
    assert "report-pi &lt;b&gt;&amp;" in text and "report-pi <b>" not in text
    # nothing is fetched: no scripts, stylesheets or images from elsewhere
    assert "<script" not in text and "<link" not in text
    assert "src=\"http" not in text and "src='http" not in text
    assert "href=\"http" not in text and "href='http" not in text
    for d in summary.discoveries:
        assert f"id='d{d.id}'" in text
    assert text.count("<svg") >= 2 * len(summary.discoveries)   # plot + provenance each


@pytest.mark.skipif(shutil.which("chromium") is None, reason="Debian's chromium not installed")
def test_report_renders_in_headless_chromium(report, tmp_path):
    summary, out = report
    cmd = ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
           "--no-first-run", "--disable-background-networking", "--disable-component-update",
           "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom",
           out.as_uri()]
    dom = subprocess.run(cmd, capture_output=True, text=True, timeout=120).stdout
    assert "Discoveries (" in dom
    for d in summary.discoveries:
        assert d.expression in dom
    assert "4/pi" in dom


@pytest.mark.skipif(shutil.which("chromium") is None, reason="Debian's chromium not installed")
def test_report_of_every_kind_renders_in_headless_chromium(tmp_path):
    # the schema-1 fixture (PCFs, programs, theorems), upgraded in place on first open
    from pathlib import Path

    store = tmp_path / "s.sqlite"
    shutil.copy(Path(__file__).parent / "data" / "store_schema1.sqlite", store)
    out = tmp_path / "all.html"
    assert main(["report", "--store", str(store), "--html", str(out)]) == 0
    cmd = ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
           "--no-first-run", "--disable-background-networking", "--disable-component-update",
           "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom",
           out.as_uri()]
    dom = subprocess.run(cmd, capture_output=True, text=True, timeout=120).stdout
    for section in ("Formulas (pcf)", "Programs (program)", "Theorems (theorem)"):
        assert section in dom
    assert "1/(e - 1)" in dom and "baseline" in dom and "(0 * x) = 0" in dom
    assert "id=\"pareto-exp2-0-1\"" in dom and "id=\"proof-15\"" in dom
