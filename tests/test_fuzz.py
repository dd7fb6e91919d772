"""Property-based fuzzing (hypothesis) of everything that reads user input: the safe parser,
search files (as dicts and as TOML text) and axiom files. Any input either parses or fails with
the project's own error type (DiscoverError subclasses), within the deadline; never another
exception, never a hang. The budget is fixed and derandomized so CI is reproducible.

TIP files: real IsaPlanner problems with spans deleted, duplicated or replaced by tokens of the
format; a refusal must name the line.
"""

import os
import string
import tempfile

import mpmath
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from discover.errors import DiscoverError
from discover.safeexpr import FUNCTIONS, parse, parse_polynomial

# CI: 200 examples per property, derandomized. DISCOVER_FUZZ_EXAMPLES=N runs N random ones.
_N = int(os.environ.get("DISCOVER_FUZZ_EXAMPLES", "0") or 0)
FUZZ = settings(max_examples=_N or 200, deadline=2000, derandomize=not _N, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])

# -- expressions ------------------------------------------------------------------------------
_atoms = st.one_of(
    st.integers(min_value=0, max_value=10 ** 30).map(str),
    st.sampled_from(["0", "1", "2", "10", "0.5", "1e5", "1e-300", "3.25", "1_000", "00",
                     "1e999999", "9" * 50]),
    st.sampled_from(["n", "pi", "E", "euler", "catalan", "x", "zeta3", "_N0", "__import__",
                     "os", "sqrt", "lambda", "None"]),
)


def _combine(children):
    binop = st.tuples(children, st.sampled_from(["+", "-", "*", "/", "^", "**", "//", "%", "@",
                                                 "==", "<", " and "]), children)
    return st.one_of(
        binop.map(lambda t: f"{t[0]}{t[1]}{t[2]}"),
        binop.map(lambda t: f"({t[0]}){t[1]}({t[2]})"),
        children.map(lambda c: f"-{c}"),
        children.map(lambda c: f"({c})"),
        st.tuples(st.sampled_from(sorted(FUNCTIONS) + ["eval", "open", "exp"]),
                  st.lists(children, min_size=0, max_size=3)).map(
            lambda t: f"{t[0]}({', '.join(t[1])})"),
        children.map(lambda c: f"{c}.real"),
        children.map(lambda c: f"{c}[0]"),
    )


expressions = st.recursive(_atoms, _combine, max_leaves=12)
junk = st.text(alphabet=string.printable + "π√²½\u0000\u202e", max_size=80)


def _parse_and_use(text: str) -> None:
    try:
        e = parse(text, names=["n", "x"])
    except DiscoverError:
        return
    try:
        e.to_sympy()
    except DiscoverError:
        pass
    try:
        v = e.evaluate(30, {"n": 3, "x": mpmath.mpf("0.25")})
        assert isinstance(v, (mpmath.mpf, mpmath.mpc)), type(v)
    except DiscoverError:
        pass


@FUZZ
@given(expressions)
def test_safe_parser_grammar(text):
    _parse_and_use(text)


@FUZZ
@given(junk)
def test_safe_parser_junk(text):
    _parse_and_use(text)


@FUZZ
@given(expressions)
def test_polynomial_parser(text):
    try:
        coeffs = parse_polynomial(text)
    except DiscoverError:
        return
    assert coeffs and all(isinstance(c, int) for c in coeffs)


# -- search files -----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def plugins():
    from discover.pluginmanager import get_plugin_manager

    return get_plugin_manager(autoload=False)


_scalars = st.one_of(st.none(), st.booleans(), st.integers(min_value=-10 ** 20, max_value=10 ** 20),
                     st.sampled_from([0, 1, 2, 3, -1, 100, 10 ** 9]),
                     st.floats(allow_nan=True), st.text(max_size=12),
                     st.sampled_from(["pi", "e", "zeta3", "pcf", "cmf", "2*n+1", ""]))
_values = st.recursive(_scalars, lambda c: st.one_of(st.lists(c, max_size=4),
                                                     st.dictionaries(st.text(max_size=8), c,
                                                                     max_size=3)),
                       max_leaves=10)
_gen_keys = st.sampled_from(["a_degree", "b_degree", "a_range", "b_range", "a_ranges", "b_ranges",
                             "a_leading_positive", "depth", "refine_depth", "shard_size", "cmf",
                             "matrices", "directions", "max_step", "negative", "starts", "bogus"])
_small_range = st.lists(st.integers(-4, 4), min_size=0, max_size=3)
_gen_values = st.one_of(_values, st.integers(-3, 20), _small_range,
                        st.lists(_small_range, max_size=3), st.sampled_from(["e", "pi", "zeta3"]))
search_dicts = st.fixed_dictionaries(
    {},
    optional={
        "search": st.fixed_dictionaries({}, optional={
            "name": st.one_of(st.text(max_size=10), _scalars),
            "kind": st.one_of(st.sampled_from(["pcf", "cmf", "nope"]), _scalars),
            "workers": _scalars, "description": _scalars, "extra": _scalars}),
        "generator": st.dictionaries(_gen_keys, _gen_values, max_size=6),
        "match": st.fixed_dictionaries({}, optional={
            "constants": st.one_of(st.lists(st.sampled_from(["pi", "e", "zeta3", "nope"]),
                                            max_size=2), _values),
            "coefficient_bound": _scalars, "digits": _scalars}),
        "verify": st.fixed_dictionaries({}, optional={"digits": _scalars}),
        "junk": _values,
    })


@FUZZ
@given(data=st.one_of(search_dicts, st.dictionaries(st.text(max_size=8), _values, max_size=3)))
def test_parse_search_dicts(plugins, data):
    from discover.search import parse_search

    try:
        parse_search(data, plugins)
    except DiscoverError:
        pass


_toml_lines = st.one_of(
    st.sampled_from(["[search]", "[generator]", "[match]", "[verify]", "[esma]", "[[x]]", "[",
                     'name = "pi"', 'kind = "pcf"', 'kind = "cmf"', "a_degree = 1",
                     "b_degree = 2", "a_range = [-3, 3]", "b_range = [-3, 3]",
                     'constants = ["pi"]', "digits = 50", "digits = 100000000",
                     "shard_size = 100", 'cmf = "e"', "max_step = 1", "depth = 10",
                     "a_range = [-99999999999999999999, 3]", 'x = """', "= 1", "a = 1\na = 2",
                     "coefficient_bound = 5"]),
    st.text(alphabet=string.printable, max_size=30))


@FUZZ
@given(st.lists(_toml_lines, max_size=14).map("\n".join))
def test_load_search_toml_text(plugins, text):
    from discover.search import load_search

    fd, path = tempfile.mkstemp(suffix=".toml")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", errors="surrogatepass") as fh:
            fh.write(text)
        try:
            load_search(path, plugins)
        except DiscoverError:
            pass
    finally:
        os.unlink(path)


# -- axiom files ------------------------------------------------------------------------------
_ax_lines = st.one_of(
    st.sampled_from(["constructors 0/0 S/1", "constructors nil/0 cons/2", "infix + 6",
                     "infix * 7", "infix ^ 8 right", "function f/2", "function g/1",
                     "axiom a: x + 0 = x", "axiom b: x + S(y) = S(x + y)",
                     "axiom c: f(x, y) = f(y, x)", "axiom d: x = y -> S(x) = S(y)",
                     "axiom e: (((x)))", "axiom: x = x", "constructors", "infix", "infix + x",
                     "function f/999999999999", "axiom f: S(S(S(S(0)))) = 0", "# comment",
                     "constructors 0/0 0/1", "axiom g: x * (y + z) = x * y + x * z",
                     "axiom h: cons(x, xs) = xs", "infix - 5", "function x/1"]),
    st.text(alphabet=string.printable, max_size=40))


@FUZZ
@given(st.lists(_ax_lines, max_size=12).map("\n".join))
def test_parse_axioms(text):
    from discover_plugins.logic.syntax import parse_axioms

    try:
        parse_axioms(text)
    except DiscoverError:
        pass


@FUZZ
@given(st.text(max_size=200))
def test_parse_axioms_junk(text):
    from discover_plugins.logic.syntax import parse_axioms

    try:
        parse_axioms(text)
    except DiscoverError:
        pass


# -- TIP files ------------------------------------------------------------------------------------
_TIP_DIR = os.path.join(os.path.dirname(__file__), "data", "tip", "isaplanner")
_TIP_FILES = sorted(f for f in os.listdir(_TIP_DIR) if f.endswith(".smt2"))
_TIP_TOKENS = ["(", ")", "()", "match", "ite", "lambda", "par", "assert", "declare-fun", "|x",
               "=>", "_", "0", "-1", "Bool", "true", "(prove", "(declare-datatype", "@", "=",
               "(define-fun-rec", "(case", "Nat", "list", "forall", "exists", ";", "\n", "\"\""]


@st.composite
def _tip_mutants(draw):
    with open(os.path.join(_TIP_DIR, draw(st.sampled_from(_TIP_FILES)))) as fh:
        text = fh.read()
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        i = draw(st.integers(min_value=0, max_value=len(text)))
        j = draw(st.integers(min_value=i, max_value=min(len(text), i + 40)))
        how = draw(st.sampled_from(["delete", "duplicate", "token", "truncate"]))
        if how == "delete":
            text = text[:i] + text[j:]
        elif how == "duplicate":
            text = text[:j] + text[i:j] + text[j:]
        elif how == "token":
            text = text[:i] + " " + draw(st.sampled_from(_TIP_TOKENS)) + " " + text[j:]
        else:
            text = text[:i]
    return text


@FUZZ
@given(_tip_mutants())
def test_read_tip_mutants(text):
    from discover_plugins.logic.tip import read_tip

    try:
        read_tip(text, name="fuzz")
    except DiscoverError as err:
        assert "line" in str(err), str(err)


@FUZZ
@given(st.text(alphabet=string.printable, max_size=200))
def test_read_tip_junk(text):
    from discover_plugins.logic.tip import read_tip

    try:
        read_tip(text, name="fuzz")
    except DiscoverError:
        pass
