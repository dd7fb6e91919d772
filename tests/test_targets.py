import mpmath
import numpy as np
import sympy

from discover.targets import (MoebiusTable, apply_transform, compose_transform,
                              moebius_expression, normalise_transform)

PI = float(mpmath.pi)


def test_table_holds_each_value_once_and_excludes_degenerate_transforms():
    t = MoebiusTable.build("pi", PI, bound=3)
    c = t.coeffs.astype(np.int64)
    assert np.all(c[:, 0] * c[:, 3] - c[:, 1] * c[:, 2] != 0)
    assert len({tuple(row) for row in c.tolist()}) == len(t)
    # distinct transforms of a transcendental number have distinct values
    assert np.unique(np.round(t.values, 12)).size == len(t)


def test_match_finds_the_transform_of_a_known_value():
    t = MoebiusTable.build("pi", PI, bound=10)
    vals = np.array([4 / PI, (3 * PI + 1) / (2 - 7 * PI), 0.123456789])
    q, idx = t.match(vals, np.full(3, 1e-13))
    found = {int(a): t.transform(int(b)) for a, b in zip(q, idx)}
    assert found[0] == (4, 0, 0, 1)
    assert found[1] == normalise_transform((1, 3, 2, -7))
    assert 2 not in found


def test_match_survives_rounding_boundaries():
    t = MoebiusTable.build("pi", PI, bound=6, digits=8)
    v = t.values
    rng = np.random.default_rng(0)
    pick = rng.choice(len(t), 500, replace=False)
    noisy = v[pick] * (1 + rng.uniform(-2e-9, 2e-9, pick.size))
    q, idx = t.match(noisy, np.abs(noisy) * 5e-9)
    hits = {(int(a), int(b)) for a, b in zip(q, idx)}
    assert all((i, int(p)) in hits for i, p in enumerate(pick))


def test_expression_and_composition_agree_with_sympy():
    assert moebius_expression((4, 0, 0, 1), "pi") == "4/pi"
    e = sympy.sympify(moebius_expression((1, 3, 2, -7), "pi"))
    assert abs(float(e.subs("pi", sympy.pi)) - (1 + 3 * PI) / (2 - 7 * PI)) < 1e-14
    m = ((2, 1), (1, 0))           # x = (2y + 1)/y
    t = (4, 0, 0, 1)               # y = 4/pi
    x = compose_transform(m, t)
    assert abs(apply_transform(x, PI) - (2 * (4 / PI) + 1) / (4 / PI)) < 1e-14
