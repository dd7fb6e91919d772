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
