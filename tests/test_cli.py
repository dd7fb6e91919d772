"""The command line: contracts for scripts, clear errors, nothing evaluated."""

from __future__ import annotations

import json
import subprocess
import sys

from discover.cli import main


def test_verify_json_contract(capsys):
    code = main(["verify", "--a", "2*n+1", "--b", "n**2", "--value", "4/pi", "--digits", "100",
                 "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and out["equal"] is True and out["digits"] >= 100
    assert out["convergence_rate"] > 0.5


def test_verify_rejects_a_near_miss_with_exit_status_1(capsys):
    code = main(["verify", "--a", "2*n+1", "--b", "n^2", "--value", "4/pi + 10^(-40)",
                 "--digits", "100", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 1 and out["equal"] is False and 38 <= out["digits"] <= 42


def test_verify_refuses_code_injection(capsys, tmp_path):
    marker = tmp_path / "pwned"
    code = main(["verify", "--a", f"__import__('os').system('touch {marker}')", "--b", "n^2",
                 "--value", "4/pi"])
    err = capsys.readouterr().err
    assert code == 2 and "not allowed" in err and not marker.exists()
    code = main(["verify", "--a", "2*n+1", "--b", "n^2", "--value",
                 f"__import__('os').system('touch {marker}')"])
    assert code == 2 and not marker.exists()


def test_run_with_a_bad_search_file_fails_before_any_work(tmp_path, capsys):
    p = tmp_path / "bad.toml"
    p.write_text('[search]\nname = "x"\nkind = "pcf"\n[generator]\na_degree = 1\n'
                 'a_range = [1, 2]\nb_degree = 2\nb_range = [1, 2]\n[match]\n'
                 'constants = ["pi"]\n[verify]\ndigits = "lots"\n')
    store = tmp_path / "s.sqlite"
    assert main(["run", str(p), "--store", str(store)]) == 2
    err = capsys.readouterr().err
    assert "verify.digits" in err and "fix:" in err
    assert not store.exists()


def test_run_prints_plain_progress_and_a_table_when_not_a_terminal(tmp_path):
    p = tmp_path / "s.toml"
    p.write_text('[search]\nname = "tiny"\nkind = "pcf"\n[generator]\na_degree = 1\n'
                 'a_range = [1, 3]\nb_degree = 2\nb_range = [-1, 1]\nshard_size = 100\n'
                 '[match]\nconstants = ["pi"]\ncoefficient_bound = 6\n')
    out = subprocess.run([sys.executable, "-m", "discover.cli", "run", str(p), "--store",
                          str(tmp_path / "s.sqlite"), "--workers", "1"],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert "shards" in out.stderr and "starting run" in out.stderr
    assert "4/pi" in out.stdout and "verified discoveries" in out.stdout
    assert "delta" in out.stdout          # PCFs carry an irrationality measure


def test_plugins_and_constants_listings(capsys):
    assert main(["plugins", "--json", "--verbose"]) == 0
    rows = json.loads(capsys.readouterr().out)
    cf = next(r for r in rows if r["name"] == "cf")
    assert cf["kinds"] == ["pcf", "cmf", "esma"] and "a_degree" in cf["schemas"]["pcf"]
    assert {"directions", "max_step"} <= set(cf["schemas"]["cmf"])
    assert main(["constants", "--json"]) == 0
    names = {c["name"] for c in json.loads(capsys.readouterr().out)}
    assert {"pi", "e", "zeta2", "zeta3", "zeta5", "catalan", "ln2", "sqrt2", "phi",
            "euler_gamma", "gauss", "lemniscate"} <= names


def test_unknown_constant_lists_known_names(capsys):
    assert main(["identify", "1.2345678901234567890123", "--constants", "tau"]) == 2
    assert "known constants" in capsys.readouterr().err


def test_rich_markup_in_data_is_printed_verbatim(capsys, tmp_path):
    # search names and schema texts with [brackets] must not be eaten as console markup
    assert main(["plugins", "--verbose"]) == 0
    out = capsys.readouterr().out
    assert "search-file fields ([generator] table)" in out
    assert "[generator.matrices]" in out


def test_a_value_starting_with_minus_is_taken_as_the_value(capsys):
    from discover.cli import _attach_negative_values

    assert _attach_negative_values(["verify", "--b", "-n^2+n", "--a", "-2,3", "--json"]) == \
        ["verify", "--b=-n^2+n", "--a=-2,3", "--json"]
    assert _attach_negative_values(["evolve", "--interval", "-2", "1"]) == \
        ["evolve", "--interval", "-2", "1"]
    assert _attach_negative_values(["show", "--json", "-q"]) == ["show", "--json", "-q"]
    # end to end: b(n) = -n^2 + ... given without '='
    code = main(["verify", "--a", "3*n+2", "--b", "-2*n^2+3*n", "--value", "12/(3*pi-4)",
                 "--digits", "40", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and out["equal"] is True, out
