"""Coefficient boxes of polynomial continued fractions, and their deterministic shards.

A box is the product of one integer range per coefficient of a(n) and of b(n) (highest power
first). Candidate ``i`` of a box is ``(a_table[i // len(b_table)], b_table[i % len(b_table)])``:
an index space that any machine can slice the same way, which is what shards are.

By default a's leading coefficient is kept positive: negating a(n) (with b unchanged) negates the
value, which the Moebius table already covers, so the other half of the box repeats the first.
This is also how the published pi experiment counts its 4,270,617 candidates.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Box", "coefficient_table"]


def coefficient_table(ranges: list[tuple[int, int]], leading_positive: bool = False) -> np.ndarray:
    """All integer vectors with entry ``j`` in ``ranges[j]`` (inclusive), lexicographic order.

    >>> coefficient_table([(1, 2), (0, 1)]).tolist()
    [[1, 0], [1, 1], [2, 0], [2, 1]]
    """
    axes = []
    for j, (lo, hi) in enumerate(ranges):
        if j == 0 and leading_positive:
            lo = max(lo, 1)
        axes.append(np.arange(lo, hi + 1, dtype=np.int64))
    if any(ax.size == 0 for ax in axes):
        return np.empty((0, len(ranges)), dtype=np.int64)
    grids = np.meshgrid(*axes, indexing="ij")
    return np.ascontiguousarray(np.stack([g.reshape(-1) for g in grids], axis=1))


@dataclass(frozen=True)
class Box:
    """The search space of a PCF search: coefficient ranges of a and b (highest power first)."""

    a_ranges: tuple[tuple[int, int], ...]
    b_ranges: tuple[tuple[int, int], ...]
    a_leading_positive: bool = True

    def tables(self) -> tuple[np.ndarray, np.ndarray]:
        return (coefficient_table(list(self.a_ranges), self.a_leading_positive),
                coefficient_table(list(self.b_ranges)))

    @property
    def size(self) -> int:
        na = 1
        for j, (lo, hi) in enumerate(self.a_ranges):
            if j == 0 and self.a_leading_positive:
                lo = max(lo, 1)
            na *= max(0, hi - lo + 1)
        nb = 1
        for lo, hi in self.b_ranges:
            nb *= max(0, hi - lo + 1)
        return na * nb

    def slice(self, tables: tuple[np.ndarray, np.ndarray], start: int, stop: int):
        """Coefficient arrays ``(A, B)`` of candidates ``start .. stop - 1``."""
        a_table, b_table = tables
        idx = np.arange(start, stop, dtype=np.int64)
        nb = b_table.shape[0]
        return (np.ascontiguousarray(a_table[idx // nb]), np.ascontiguousarray(b_table[idx % nb]))
