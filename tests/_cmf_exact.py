"""Exact evaluation of matrix fields for the tests: matrices at rational points as Fractions."""

from __future__ import annotations

from fractions import Fraction

import sympy


def at(field, axis: str, point: dict) -> list[list[Fraction]]:
    """M_axis at a rational point, with Fractions only."""
    subs = {sympy.Symbol(k): sympy.Rational(v.numerator, v.denominator) for k, v in point.items()}
    M = field.matrices[axis].subs(subs)
    return [[Fraction(int(sympy.fraction(e)[0]), int(sympy.fraction(e)[1])) for e in row]
            for row in M.tolist()]


def mul(X, Y):
    return [[sum(X[i][k] * Y[k][j] for k in range(len(Y))) for j in range(len(Y[0]))]
            for i in range(len(X))]
