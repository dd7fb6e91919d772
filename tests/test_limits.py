"""Budgets (discover.limits): every request for unbounded work fails fast, naming the field, the
limit and how to raise it."""

import os
import subprocess
import sys
import time

import pytest

from discover import limits
from discover.errors import (DiscoverError, ExpressionError, LimitError, SearchTooLargeError)
from discover.safeexpr import parse, parse_polynomial


def _fast(fn, *args, seconds=1.0, **kw):
    t0 = time.perf_counter()
    with pytest.raises(LimitError) as info:
        fn(*args, **kw)
    assert time.perf_counter() - t0 < seconds
    return info.value


@pytest.mark.parametrize("text, name", [
    ("10**10**10", "exponent"),
    ("n**(10**9)", "exponent"),
    ("2^2^2^2^2^2", "exponent"),                 # a tower: 2^65536 is already too big
    ("9^9^9", "exponent"),
    ("(10^999)^999", "result_digits"),
    ("10^999*10^999*10^999*10^999*10^999*10^999*10^999*10^999*10^999*10^999*10^999",
     "result_digits"),
    ("gamma(10^9)", "result_digits"),              # factorial-like growth
    ("gamma(gamma(gamma(100)))", "result_digits"),
    ("exp(exp(exp(10)))", "result_digits"),
    ("1e999999999", "result_digits"),
    ("1" * 1500, "literal_digits"),
    ("2^(1/3)^(10^5)", "exponent"),
    ("besselj(10^6, 1)", "result_digits"),
])
def test_parser_budgets_fail_before_evaluating(text, name):
    err = _fast(parse, text, names=["n"])
    assert isinstance(err, ExpressionError)       # still an expression error for old callers
    assert err.name == name
    assert f"DISCOVER_LIMIT_{name.upper()}" in str(err)
    assert str(err.limit) in str(err)


def test_reasonable_expressions_still_parse_and_evaluate():
    for text in ["2^1000", "10^-500", "(n+1)^64", "4/pi", "exp(100)", "gamma(50)/2^100",
                 "2^(1/2)", "sqrt(10^999)", "zeta(3)", "besseli(1,2)/besseli(0,2)"]:
        parse(text, names=["n"])
    assert parse("2^1000").evaluate(30) > 0
    assert parse_polynomial("(n+1)^3") == [1, 3, 3, 1]
    assert parse_polynomial("(n+1)^(2+1)") == [1, 3, 3, 1]


def test_polynomial_degree_and_coefficient_limits():
    err = _fast(parse_polynomial, "(n+1)^50*(n+2)^50")
    assert err.name == "polynomial_degree" and "degree 100" in str(err)
    err = _fast(parse_polynomial, "10^999*10^10*n + 1")
    assert err.name == "coefficient_digits"
    err = _fast(parse_polynomial, [1] * 200)
    assert err.name == "polynomial_degree"


def test_env_variable_raises_a_limit(monkeypatch):
    with pytest.raises(LimitError):
        parse("2^2000")
    monkeypatch.setenv("DISCOVER_LIMIT_EXPONENT", "5000")
    assert limits.get().exponent == 5000
    parse("2^2000")
    monkeypatch.setenv("DISCOVER_LIMIT_EXPONENT", "lots")
    with pytest.raises(LimitError, match="DISCOVER_LIMIT_EXPONENT"):
        limits.get()


def test_every_limit_is_documented_in_the_readme_and_docstring():
    from pathlib import Path
    import dataclasses

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    section = readme.split("## Limits", 1)[1].split("\n## ", 1)[0]
    for f in dataclasses.fields(limits.Limits):
        assert f"`{f.name}`" in section, f.name
        assert f.name in limits.__doc__
        assert f"{f.default:,}".replace(",", "_") in section or str(f.default) in section, f.name


def test_digits_and_depth_limits_in_the_api():
    import discover
    from discover_plugins.cf.pcf import PCF

    err = _fast(discover.verify, a="2*n+1", b="n^2", value="4/pi", digits=10 ** 8)
    assert err.field == "digits" and err.limit == limits.get().digits
    _fast(discover.identify, "1.2732395447351626861510701069801148962756771659236515899813387",
          digits=10 ** 8)
    _fast(PCF("2*n+1", "n^2").verify, "4/pi", digits=10 ** 9)
    err = _fast(PCF("2*n+1", "n^2").limit, 50, max_depth=10 ** 12)
    assert err.field == "max_depth"


def test_check_search_size():
    info = limits.check_search_size(1000)
    assert info["exceeds"] is False and info["candidates"] == 1000
    with pytest.raises(SearchTooLargeError) as e:
        limits.check_search_size(10 ** 12, rate=1e6, workers=2, name="pi")
    msg = str(e.value)
    assert "1,000,000,000,000 candidates" in msg and "--yes" in msg
    assert "DISCOVER_LIMIT_SEARCH_CANDIDATES" in msg and "days" in msg
    assert e.value.estimated_seconds == pytest.approx(5e5)
    assert isinstance(e.value, DiscoverError)
    assert limits.check_search_size(10 ** 12, yes=True)["exceeds"] is True


def test_axiom_file_limits(monkeypatch, tmp_path):
    from discover_plugins.logic import load_theory
    from discover_plugins.logic.syntax import AxiomSyntaxError, parse_axioms

    head = "constructors 0/0 S/1\ninfix + 6\n"
    deep = head + "axiom a: " + "S(" * 5000 + "x" + ")" * 5000 + " = x\n"
    t0 = time.perf_counter()
    with pytest.raises(AxiomSyntaxError, match="axiom_term_depth"):
        parse_axioms(deep)
    with pytest.raises(AxiomSyntaxError, match="axiom_arity"):
        parse_axioms("constructors 0/0 S/100000000\naxiom a: x = x\n")
    monkeypatch.setenv("DISCOVER_LIMIT_AXIOMS", "3")
    with pytest.raises(AxiomSyntaxError, match="DISCOVER_LIMIT_AXIOMS"):
        parse_axioms(head + "".join(f"axiom a{i}: x + 0 = x\n" for i in range(5)))
    monkeypatch.setenv("DISCOVER_LIMIT_AXIOM_FILE_BYTES", "100")
    with pytest.raises(AxiomSyntaxError, match="axiom_file_bytes"):
        parse_axioms(head + "# " + "x" * 200 + "\naxiom a: x + 0 = x\n")
    big = tmp_path / "big.axioms"
    big.write_text(head + "# " + "x" * 200 + "\naxiom a: x + 0 = x\n")
    with pytest.raises(LimitError, match="axiom_file_bytes"):
        load_theory(str(big))
    assert time.perf_counter() - t0 < 5


def _cli(*args, timeout=30):
    env = dict(os.environ, DISCOVER_DISABLE_PLUGIN_AUTOLOAD="1")
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "discover.cli", *args], capture_output=True,
                          text=True, timeout=timeout, env=env)
    return proc, time.perf_counter() - t0


@pytest.mark.parametrize("args, needle", [
    (["--b", "n**2", "--value", "10**10**10"], "DISCOVER_LIMIT_EXPONENT"),
    (["--b", "n**(10**9)", "--value", "4/pi"], "DISCOVER_LIMIT_EXPONENT"),
    (["--b", "n**2", "--value", "4/pi", "--digits", "100000000"], "DISCOVER_LIMIT_DIGITS"),
])
def test_cli_verify_fails_fast(args, needle):
    proc, seconds = _cli("verify", "--a", "2*n+1", *args)
    assert proc.returncode == 2, proc.stderr
    assert needle in proc.stderr and "exceeds the limit" in proc.stderr
    # start-up (imports) takes about a second; the refusal itself is immediate
    assert seconds < 15


def test_a_search_over_the_size_limit_is_refused_before_any_work(plugins, tmp_path, monkeypatch):
    from pathlib import Path

    import discover
    from discover.errors import SearchTooLargeError
    from discover.store import Store

    monkeypatch.setenv("DISCOVER_LIMIT_SEARCH_CANDIDATES", "1000")   # read at each check
    search = Path(__file__).resolve().parent.parent / "searches" / "e.toml"
    with pytest.raises(SearchTooLargeError) as err:
        discover.run(search, store=tmp_path / "s.sqlite", workers=1, plugins=plugins)
    assert "187,500 candidates" in str(err.value) and "--yes" in str(err.value)
    with Store(tmp_path / "s.sqlite", readonly=True) as st:
        assert st.runs() == []          # refused before a run was created
    summary = discover.run(search, store=tmp_path / "s.sqlite", workers=1, plugins=plugins,
                           yes=True, max_shards=1)
    assert summary.shards_done == 1
