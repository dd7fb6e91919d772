"""Search files are validated before any work; errors name the field and the fix."""

import pytest

from discover.errors import SearchFileError
from discover.search import load_search, parse_search

GOOD = {
    "search": {"name": "t", "kind": "pcf"},
    "generator": {"a_degree": 1, "a_range": [-2, 2], "b_degree": 2, "b_range": [-2, 2]},
    "match": {"constants": ["pi"], "coefficient_bound": 5},
    "verify": {"digits": 50},
}


def _with(table, **changes):
    data = {k: dict(v) for k, v in GOOD.items()}
    data[table].update(changes)
    return data


def test_good_search_parses_and_hash_ignores_cosmetics(plugins):
    s = parse_search(GOOD, plugins)
    assert s.kind == "pcf" and s.constants == ("pi",) and s.verify_digits == 50
    t = parse_search(_with("search", name="other", description="x"), plugins)
    assert s.hash == t.hash
    u = parse_search(_with("generator", depth=200), plugins)
    assert u.hash != s.hash


@pytest.mark.parametrize("table,changes,field,fix", [
    ("search", {"kind": "nope"}, "search.kind", "use one of: cmf, esma"),
    ("match", {"constants": ["tau"]}, "match.constants", "discover constants"),
    ("match", {"coefficient_bound": 0}, "match.coefficient_bound", "between 1 and 60"),
    ("verify", {"digits": "many"}, "verify.digits", "integer"),
    ("generator", {"a_range": [3, 1]}, "generator.a_range", "lo <= hi"),
    ("generator", {"a_range": "1..3"}, "generator.a_range", "write a_range = ["),
    ("generator", {"a_range": [1, 2, 3]}, "generator.a_range", "at most 2"),
    ("generator", {"b_degree": 13}, "generator.b_degree", "between 0 and 12"),
    ("generator", {"a_leading_positive": 1}, "generator.a_leading_positive", "true"),
    ("generator", {"colour": 1}, "generator.colour", "use one of"),
    ("generator", {"depth": 5}, "generator.depth", "between 10 and 100000"),
    ("search", {"workers": -1}, "search.workers", "between 1"),
])
def test_bad_fields_are_named_with_a_fix(plugins, table, changes, field, fix):
    with pytest.raises(SearchFileError) as info:
        parse_search(_with(table, **changes), plugins)
    assert info.value.field == field
    assert fix in str(info.value)


def test_missing_table_and_unknown_table(plugins):
    with pytest.raises(SearchFileError, match="search"):
        parse_search({"generator": {}}, plugins)
    with pytest.raises(SearchFileError, match="unknown table"):
        parse_search({**GOOD, "extra": {}}, plugins)


def test_toml_syntax_error_names_the_file(plugins, tmp_path):
    p = tmp_path / "bad.toml"
    p.write_text("[search\nname = 1\n")
    with pytest.raises(SearchFileError, match="bad.toml.*not valid TOML"):
        load_search(p, plugins)


def test_expressions_in_search_files_are_never_executed(plugins, tmp_path):
    p = tmp_path / "evil.toml"
    marker = tmp_path / "pwned"
    p.write_text('[search]\nname = "x"\nkind = "pcf"\n[generator]\na_degree = 1\n'
                 'a_range = [1, 2]\nb_degree = 1\nb_range = [1, 2]\n[match]\n'
                 f'constants = ["__import__(\'os\').system(\'touch {marker}\')"]\n')
    with pytest.raises(SearchFileError, match="match.constants"):
        load_search(p, plugins)
    assert not marker.exists()


@pytest.mark.parametrize("name", ["pi", "e", "zeta3", "pi_mitm_paper"])
def test_shipped_searches_are_valid(plugins, name):
    from pathlib import Path

    s = load_search(Path(__file__).parent.parent / "searches" / f"{name}.toml", plugins)
    assert s.kind == "pcf"
    if name == "pi_mitm_paper":
        gen = plugins.generators["pcf"]
        assert sum(sh.size for sh in gen.shards(s.params)) == 4270617
        assert s.coefficient_bound == 20


@pytest.mark.parametrize("name,kind", [("esma_e", "esma"), ("esma_e2", "esma"),
                                       ("esma_tan1", "esma"), ("esma_bessel_ratio", "esma"),
                                       ("cmf_e", "cmf"), ("cmf_pi", "cmf"), ("cmf_zeta3", "cmf")])
def test_shipped_esma_and_cmf_searches_are_valid(plugins, name, kind):
    from pathlib import Path

    s = load_search(Path(__file__).parent.parent / "searches" / f"{name}.toml", plugins)
    assert s.kind == kind and s.verify_digits == 100


def test_pcf_and_cmf_declare_their_fields_and_measures(plugins):
    for kind in ("pcf", "cmf", "esma"):
        gen = plugins.generators[kind]
        assert gen.search_fields and {m.name for m in gen.measures} == \
            {"digits", "convergence_rate", "delta"}
    schema = plugins.generators["pcf"].schema()
    assert {"a_degree", "a_range", "a_ranges", "depth", "shard_size"} <= set(schema)
    assert "default 100" in schema["depth"]


def test_set_overrides_a_pcf_field_and_is_validated(plugins):
    s = parse_search(GOOD, plugins, overrides=["generator.depth=300"])
    assert s.params["depth"] == 300 and s.hash != parse_search(GOOD, plugins).hash
    with pytest.raises(SearchFileError, match="generator.refine_depth"):
        parse_search(GOOD, plugins, overrides=["generator.refine_depth=5"])
