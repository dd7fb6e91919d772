import numpy as np

from discover.hashing import dedup, value_keys, vector_keys


def test_values_closer_than_half_a_step_always_share_a_key():
    rng = np.random.default_rng(1)
    base = rng.uniform(-1e3, 1e3, 20000)
    digits = 8
    # perturb by less than half a unit in the last kept digit
    step = 10.0 ** (np.floor(np.log10(np.abs(base))) - digits + 1)
    other = base + rng.uniform(-0.45, 0.45, base.size) * step
    k1a, k2a = value_keys(base, digits)
    k1b, k2b = value_keys(other, digits)
    assert np.all((k1a == k1b) | (k2a == k2b))


def test_values_far_apart_do_not_share_keys():
    a = np.array([1.2345678, 3.0, -3.0])
    b = np.array([1.2345999, 3.0000001, 3.0])
    k1a, k2a = value_keys(a, 8)
    k1b, k2b = value_keys(b, 8)
    assert not np.any((k1a == k1b) | (k2a == k2b))


def test_invalid_values_never_match():
    k1, k2 = value_keys(np.array([np.nan, np.inf, 1.0]), 10, np.array([True, True, False]))
    assert len(set(k1.tolist())) == 1  # all sentinel
    assert k1[0] == k1[2]  # sentinels equal each other, and dedup ignores them via `ok`


def test_dedup_groups_equal_values_and_reports_hit_rate():
    vals = np.array([1.0, 2.0, 1.0 + 1e-15, 3.0, 2.0, np.nan])
    ok = np.isfinite(vals)
    reps, inverse, stats = dedup(vals, ok, digits=12)
    assert stats.seen == 5 and stats.distinct == 3
    assert abs(stats.hit_rate - 0.4) < 1e-12
    assert inverse[5] == -1
    assert inverse[0] == inverse[2] and inverse[1] == inverse[4]
    assert sorted(vals[reps].round(6).tolist()) == [1.0, 2.0, 3.0]


def test_vector_keys_hash_functions_by_their_outputs():
    x = np.linspace(0, 1, 7)
    f = np.stack([x * x, x * x + 1e-17, x + 1])
    k1, _ = vector_keys(f, 10)
    assert k1[0] == k1[1] != k1[2]


def test_tiny_and_huge_values_hash_without_error():
    vals = np.array([1e-320, -5e-310, 1e-290, 1e300, -1e300, 0.0])
    k1, k2 = value_keys(vals, 12)
    assert k1[0] == k1[1] == k1[5] == 0
    assert len(set(k1[2:5].tolist())) == 3
