import mpmath
import pytest
import sympy

import discover
from discover.errors import ExpressionError
from discover.identification import identify


@pytest.mark.parametrize("expr,constant", [
    ("4/pi", "pi"), ("6/zeta3", "zeta3"), ("(3*e + 1)/(e - 2)", "e"), ("2/ln2", "ln2"),
    ("8/(3*catalan - 1)", "catalan"),
])
def test_identifies_moebius_transforms(expr, constant):
    reg = discover.plugins().constants
    value = mpmath.nstr(reg.evaluate(expr, 80), 80)
    found = identify(value)
    assert found is not None and found.constants == [constant]
    syms = {c: sympy.Symbol(c) for c in reg.names()}
    assert sympy.simplify(sympy.sympify(found.expression, locals=syms)
                          - sympy.sympify(expr, locals=syms)) == 0


def test_rational_values():
    assert identify("0.142857142857142857142857142857142857").expression == "1/7"


def test_no_relation_is_a_normal_answer():
    # digits typed at random: no small integer relation with pi or e
    value = "2.7643875297843621982740981265398172653981726539817264"
    assert identify(value, constants=["pi", "e"]) is None


def test_too_few_digits_is_an_error_with_the_fix():
    with pytest.raises(ExpressionError, match="more digits"):
        identify("3.14159")


def test_cli_identify_prints_a_sympy_parsable_form(capsys):
    from discover.cli import main

    value = mpmath.nstr(discover.plugins().constants.evaluate("4/(3*pi-8)", 60), 60)
    assert main(["identify", value, "--json", "--constants", "pi"]) == 0
    import json

    out = json.loads(capsys.readouterr().out)
    expr = sympy.sympify(out["expression"], locals={"pi": sympy.pi})
    assert abs(float(expr) - 4 / (3 * float(mpmath.pi) - 8)) < 1e-12


# -- the constant library: products, larger bases, LLL against PSLQ ----------------------------
def _digits_of(expr, n=60):
    return mpmath.nstr(discover.plugins().constants.evaluate(expr, n + 20), n)


@pytest.mark.parametrize("expr", ["(3 + 2*pi*gauss^2)/(5 - pi*gauss^2)", "2 + pi*gauss^2",
                                  "7/(zeta3*catalan)", "3*sqrt(3)/(2*gieseking)"])
def test_moebius_transforms_of_products(expr):
    reg = discover.plugins().constants
    found = identify(_digits_of(expr))
    assert found is not None and found.method == "moebius-product", found
    assert found.algorithm == "lll" and found.tried > 3000 and found.evidence_digits > 40
    with mpmath.workdps(70):
        got = reg.evaluate(found.expression, 60)
        assert abs(got - reg.evaluate(expr, 60)) < mpmath.mpf(10) ** -50
    assert identify(_digits_of(expr), products=False) is None or \
        identify(_digits_of(expr), products=False).method != "moebius-product"


def test_linear_relation_over_a_chosen_basis_lll_and_pslq_agree():
    names = ["zeta3", "zeta5", "zeta7", "catalan", "ln2", "ln3", "ln5", "gamma_1_4",
             "glaisher", "khinchin", "li4_half", "beta4"]
    value = _digits_of("3*zeta5 - 2*li4_half + beta4/5 - 1", 90)
    lll = identify(value, constants=names, products=False, method="lll")
    pslq = identify(value, constants=names, products=False, method="pslq")
    assert lll.method == pslq.method == "linear" and lll.algorithm == "lll"
    assert pslq.algorithm == "pslq"
    assert sorted(lll.constants) == sorted(pslq.constants) == ["beta4", "li4_half", "zeta5"]
    assert lll.relation in (pslq.relation, [-r for r in pslq.relation])


def test_integer_relation_methods():
    from discover.identification import integer_relation
    with mpmath.workdps(50):
        vals = [mpmath.zeta(3), mpmath.pi ** 2, 2 * mpmath.zeta(3) - 5 * mpmath.pi ** 2]
        for m in ("lll", "pslq", "auto"):
            rel, algo = integer_relation(vals, 40, method=m)
            assert rel in ([2, -5, -1], [-2, 5, 1]) and algo == ("lll" if m == "auto" else m)
        rel, _ = integer_relation([mpmath.zeta(3), mpmath.pi, mpmath.e], 40)
        assert rel is None
    with pytest.raises(ValueError, match="unknown integer-relation method"):
        integer_relation([1, 2], 10, method="magic")


def test_cli_identify_json_reports_the_algorithm_and_evidence(capsys):
    import json
    from discover.cli import main

    assert main(["identify", _digits_of("2 + pi*gauss^2"), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    for key in ("expression", "relation", "basis", "digits", "method"):   # the contract
        assert key in out
    assert out["method"] == "moebius-product" and out["algorithm"] == "lll"
    assert out["evidence_digits"] > 40 and out["tried"] > 3000


def test_gieseking_formula_is_statable_and_verified():
    # Euler's continued fraction of L(2, chi_-3) = sum_k 1/(3k+1)^2 - 1/(3k+2)^2
    # = 4 Cl2(pi/3)/(3 sqrt 3): a(n) = P(n) + Q(n), b(n) = -P(n) Q(n-1) with
    # P(n) = (6n+3)(3n-2)^2(3n-1)^2, Q(n) = (6n-3)(3n+1)^2(3n+2)^2; the limit is
    # P(0) + t_0 Q(0)/L = 12 - 9/L = 12 - (9/2) * 3 sqrt(3)/(2 Cl2(pi/3)).
    a = "(6*n-3)*(3*n+1)^2*(3*n+2)^2 + (6*n+3)*(3*n-2)^2*(3*n-1)^2"
    b = "-(6*n+3)*(6*n-9)*(3*n-2)^4*(3*n-1)^4"
    for value in ("12 - 27*sqrt(3)/(4*clsin(2, pi/3))", "12 - (9/2)*3*sqrt(3)/(2*gieseking)"):
        v = discover.verify(a=a, b=b, value=value, digits=40)
        assert v.equal and v.method == "extrapolated", v.reason
    bad = discover.verify(a=a, b=b, value="12 - 27*sqrt(3)/(4*clsin(2, pi/3)) + 10^-25",
                          digits=40)
    assert not bad.equal and 23 < bad.digits < 26
