"""ESMA on expansions whose pattern starts after irregular leading terms (cf/esma.py).

tan(1/2) = [0; 1, 1, 4, 1, 8, 1, 12, ...] used to end in "no pattern found": its period-2
pattern contracts to a PCF with b(1) = 0. Values built as [c0; c1, c2, <known expansion>] have
an irregular start of known length. Every conjecture is checked here independently: the PCF's
limit from exact convergents against the Moebius map of mpmath's value of the constant.
"""

from __future__ import annotations

import json

import mpmath
import pytest

from discover.constants import default_registry
from discover_plugins.cf.esma import analyse, conjecture_from_pattern, esma, interlaced_pattern
from discover_plugins.cf.pcf import PCF
from discover_plugins.cf.slow import positive_integer_root

REG = default_registry()

# value, length of the irregular start (terms before the pattern is first used)
IRREGULAR = [
    ("tan(1/2)", 2),
    ("tan(1/3)", 2),
    ("3+1/(7+1/(15+1/e))", 4),
    ("1+1/(2+1/(5+tan(1/2)))", 5),
    ("2+1/(3+1/(4+sqrt(e)))", 3),
]


def _check_conjecture(value: str, conj: dict, digits: int = 40) -> float:
    """Digits to which PCF(a, b) equals the Moebius image of the value (independent of the
    engine: exact convergents of the PCF, mpmath for the value)."""
    pcf = PCF(conj["a"], conj["b"])
    (m00, m01), (m10, m11) = conj["moebius"]
    with mpmath.workdps(digits + 30):
        x = pcf.limit(digits + 5)
        v = REG.evaluate(value, digits + 30)
        # value = (m00 x + m01) / (m10 x + m11)
        y = (m00 * x + m01) / (m10 * x + m11)
        d = abs(y - v)
        return float(-mpmath.log10(d / abs(v))) if d else 1e9


@pytest.mark.parametrize("value,start", IRREGULAR, ids=[v for v, _ in IRREGULAR])
def test_pattern_after_an_irregular_start_gives_a_correct_pcf(value, start):
    r = analyse(value, dps=300)
    assert r["conjectures"], f"no pattern found for {value}: {r['expansion'][:12]}"
    conj = r["conjectures"][0]
    pat = conj["pattern"]
    # the leading terms are folded into the Moebius map
    assert len(pat["prefix"]) <= start <= pat.get("folded_terms", len(pat["prefix"])) + 2
    assert positive_integer_root(conj["b"], 10 ** 4) is None      # the PCF does not terminate
    assert _check_conjecture(value, conj) > 40


def test_tan_half_block_pcf_is_restarted_one_block_later():
    seq = [0, 1] + [x for k in range(1, 80) for x in (1, 4 * k)]
    prefix, polys = interlaced_pattern(seq)
    assert prefix == 2 and len(polys) == 2
    conj = conjecture_from_pattern(seq, prefix, polys)
    assert conj is not None and conj["pattern"]["shift"] >= 1
    assert conj["pattern"]["folded_terms"] == prefix + 2 * conj["pattern"]["shift"]


def test_a_long_irregular_start_is_found():
    # nine arbitrary terms, then the expansion of e from its second term on
    tail = [1, 2, 1] + [x for k in range(2, 60) for x in (1, 1, 2 * k)]
    seq = [5, 3, 9, 2, 7, 1, 11, 4, 6] + tail
    pat = interlaced_pattern(seq)
    assert pat is not None and pat[0] >= 9 and len(pat[1]) == 3
    conj = conjecture_from_pattern(seq, *pat)
    assert conj is not None
    # the Moebius map reproduces the finite convergents' limit: check against the value of
    # the continued fraction itself, evaluated from its terms with mpmath
    with mpmath.workdps(80):
        v = mpmath.mpf(seq[-1])
        for c in reversed(seq[:-1]):
            v = c + 1 / v
        x = PCF(conj["a"], conj["b"]).limit(40)
        (m00, m01), (m10, m11) = conj["moebius"]
        assert abs((m00 * x + m01) / (m10 * x + m11) - v) < mpmath.mpf(10) ** -35


def test_no_pattern_no_conjecture():
    assert analyse("pi", dps=200)["conjectures"] == []


def test_esma_verifies_tan_half_through_the_engine(tmp_path):
    out = esma("tan(1/2)", dps=300, digits=50, store=tmp_path / "e.sqlite")
    conj = out["conjectures"]
    assert conj and conj[0]["verified"] and conj[0]["digits"] >= 50


def test_cli_esma_tan_half(capsys):
    from discover.cli import main

    assert main(["esma", "tan(1/2)", "--dps", "300", "--digits", "40", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data[0]["verified"] and data[0]["pattern"]["prefix"] == [0, 1]
