"""Functional hashing: hash what a candidate computes, not how it is written.

A value's hash is the value rounded to a fixed number of significant digits. Rounding puts two
nearly equal values into different buckets when a rounding boundary falls between them, so every
value gets two keys: one on the plain grid and one on a grid offset by half a step. Two values
closer than half a step always share at least one of the two keys (the boundaries of the two grids
interleave, and an interval shorter than half a step contains at most one of them).

Vectors (a program's outputs at probe points) hash to one 64-bit key per grid by mixing the
rounded components. The same functions serve every generator, so a continued fraction and an
evolved program that compute the same number meet in one table.

>>> import numpy as np
>>> k1, k2 = value_keys(np.array([0.1234567890123, 0.1234567890124]), digits=10)
>>> bool(k1[0] == k1[1] or k2[0] == k2[1])
True
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numba
import numpy as np

__all__ = ["value_keys", "vector_keys", "dedup", "HashStats"]

_INVALID = np.int64(-(2 ** 63) + 1)


@numba.njit(cache=True, nogil=True)
def _value_keys(values, ok, digits, k_plain, k_offset):
    for i in range(values.shape[0]):
        v = values[i]
        if not ok[i] or not np.isfinite(v):
            k_plain[i] = _INVALID
            k_offset[i] = _INVALID
            continue
        if abs(v) < 1e-280:   # zero for hashing purposes (and no underflow below)
            k_plain[i] = 0
            k_offset[i] = 0
            continue
        a = abs(v)
        e = np.int64(np.floor(np.log10(a)))
        m = a / 10.0 ** (e - digits + 1)          # mantissa scaled to `digits` digits
        # Fold exponent and sign into the key; mantissa < 10**digits <= 10**15.
        sign = np.int64(1) if v > 0 else np.int64(-1)
        base = (e + 400) * np.int64(10) ** digits * 2
        k_plain[i] = sign * (base + np.int64(np.floor(m)) * 2)
        k_offset[i] = sign * (base + np.int64(np.floor(m + 0.5)) * 2 + 1)


def value_keys(values: np.ndarray, digits: int = 12, ok: np.ndarray | None = None):
    """Two int64 keys per value: rounded to ``digits`` significant digits on the plain grid and on
    the grid offset by half a unit. Invalid entries get a sentinel key that never matches.

    ``digits`` is at most 15 (float64 carries no more).
    """
    if not 1 <= digits <= 15:
        raise ValueError(f"digits must be between 1 and 15, got {digits}")
    values = np.ascontiguousarray(values, dtype=np.float64)
    if ok is None:
        ok = np.ones(values.shape[0], dtype=np.bool_)
    k1 = np.empty(values.shape[0], dtype=np.int64)
    k2 = np.empty(values.shape[0], dtype=np.int64)
    _value_keys(values, np.ascontiguousarray(ok, dtype=np.bool_), digits, k1, k2)
    return k1, k2


@numba.njit(cache=True, nogil=True)
def _mix(keys_plain, keys_offset, out_plain, out_offset):
    n, p = keys_plain.shape
    for i in range(n):
        h1 = np.uint64(1469598103934665603)
        h2 = np.uint64(1469598103934665603)
        for j in range(p):
            h1 = (h1 ^ np.uint64(keys_plain[i, j])) * np.uint64(1099511628211)
            h2 = (h2 ^ np.uint64(keys_offset[i, j])) * np.uint64(1099511628211)
        out_plain[i] = np.int64(h1 >> np.uint64(1))
        out_offset[i] = np.int64(h2 >> np.uint64(1))


def vector_keys(values: np.ndarray, digits: int = 12, ok: np.ndarray | None = None):
    """Keys for rows of probe outputs (shape ``(n, p)``): each row's rounded components, mixed.

    Components smaller than ``10**-digits`` times the row's largest are set to zero first. For
    vectors, the offset grid only helps when *every* component straddles a boundary the same way;
    callers that need tolerance should round coarsely (fewer digits) instead.
    """
    values = np.array(values, dtype=np.float64, copy=True)
    n, p = values.shape
    # components that are zero up to the row's own rounding are zero (x*x at x = 0 and a tiny
    # round-off there compute the same function)
    with np.errstate(invalid="ignore"):
        scale = np.nanmax(np.where(np.isfinite(values), np.abs(values), 0.0), axis=1)
    values[np.abs(values) < (scale * 10.0 ** (-digits))[:, None]] = 0.0
    flat = values.reshape(-1)
    rep_ok = np.repeat(np.ones(n, dtype=np.bool_) if ok is None else ok, p)
    k1, k2 = value_keys(flat, digits, rep_ok)
    o1 = np.empty(n, dtype=np.int64)
    o2 = np.empty(n, dtype=np.int64)
    _mix(k1.reshape(n, p), k2.reshape(n, p), o1, o2)
    if ok is not None:
        o1[~ok] = _INVALID
        o2[~ok] = _INVALID
    return o1, o2


@dataclass
class HashStats:
    """Counts for reporting the functional-hash hit rate of a run."""

    seen: int = 0          # usable candidates hashed
    distinct: int = 0      # distinct functional hashes among them
    extra: dict = field(default_factory=dict)

    @property
    def hit_rate(self) -> float:
        """Fraction of usable candidates whose work was saved because their hash was seen."""
        return 0.0 if self.seen == 0 else 1.0 - self.distinct / self.seen

    def add(self, other: "HashStats") -> None:
        self.seen += other.seen
        self.distinct += other.distinct


def dedup(values: np.ndarray, ok: np.ndarray, digits: int = 12):
    """Group usable candidates by functional hash (plain-grid key).

    Returns ``(representatives, inverse, stats)``: ``representatives`` are candidate indices, one
    per distinct hash (the first in the batch); ``inverse[i]`` is the position of candidate
    ``i``'s group in ``representatives`` or -1 for unusable candidates.
    """
    ok = np.asarray(ok, dtype=np.bool_)
    keys = value_keys(values, digits, ok)[0] if values.ndim == 1 else vector_keys(values, digits,
                                                                                   ok)[0]
    inverse = np.full(keys.shape[0], -1, dtype=np.int64)
    idx = np.flatnonzero(ok)
    if idx.size == 0:
        return idx, inverse, HashStats()
    uniq, first, inv = np.unique(keys[idx], return_index=True, return_inverse=True)
    inverse[idx] = inv
    return idx[first], inverse, HashStats(seen=int(idx.size), distinct=int(uniq.size))
