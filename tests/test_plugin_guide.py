"""plugins/README.md, the plugin author's guide: its Python samples run, and it names every hook."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from discover import hookspecs

GUIDE = Path(__file__).resolve().parent.parent / "plugins" / "README.md"
FENCE = re.compile(r"^```([^\n`]*)\n(.*?)^```\s*$", re.S | re.M)


def _blocks():
    return [(info.strip(), body) for info, body in FENCE.findall(GUIDE.read_text())]


def _hookspecs():
    return [(name, fn) for name, fn in inspect.getmembers(hookspecs, inspect.isfunction)
            if name.startswith("discover_") and hasattr(fn, f"{hookspecs.PROJECT}_spec")]


def _signature_text(name: str, fn) -> str:
    sig = inspect.signature(fn)

    def ann(a):
        return a if isinstance(a, str) else getattr(a, "__name__", str(a))

    params = ", ".join(p.name if p.annotation is inspect.Parameter.empty
                       else f"{p.name}: {ann(p.annotation)}" for p in sig.parameters.values())
    ret = "" if sig.return_annotation is inspect.Signature.empty \
        else f" -> {ann(sig.return_annotation)}"
    return f"{name}({params}){ret}"


def test_guide_has_python_samples():
    kinds = [info.split()[0] if info else "" for info, _ in _blocks()]
    assert kinds.count("python") >= 5


def test_python_samples_run_in_order_in_one_namespace(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    namespace: dict = {"__name__": "plugin_guide"}
    for i, (info, body) in enumerate(_blocks()):
        words = info.split()
        if not words or words[0] != "python":
            continue                       # toml, sh: shown, not executed
        if "norun" in words:
            pytest.fail(f"block {i} is tagged norun; every Python sample must run")
        exec(compile(body, f"{GUIDE}:block{i}", "exec"), namespace)


@pytest.mark.parametrize("name", [n for n, _ in _hookspecs()])
def test_guide_states_every_hook_signature(name):
    fn = dict(_hookspecs())[name]
    expected = _signature_text(name, fn)
    text = GUIDE.read_text()
    assert expected in text, f"plugins/README.md must contain `{expected}`"
    spec = getattr(fn, f"{hookspecs.PROJECT}_spec")
    if not spec.get("firstresult"):
        assert "None of the hooks is `firstresult`" in text


def test_every_hook_is_found():
    assert {"discover_generators", "discover_identification_basis"} <= dict(_hookspecs()).keys()
    assert _signature_text("discover_identification_basis",
                           hookspecs.discover_identification_basis) == \
        "discover_identification_basis(constant: str) -> list"
