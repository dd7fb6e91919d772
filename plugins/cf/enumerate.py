"""Coefficient boxes of polynomial continued fractions, and their deterministic shards.

A box is the product of one integer range per coefficient of a(n) and of b(n) (highest power
first). Candidate ``i`` of a box is ``(a_table[i // len(b_table)], b_table[i % len(b_table)])``:
an index space that any machine can slice the same way, which is what shards are.

By default a's leading coefficient is kept positive: negating a(n) (with b unchanged) negates the
value, which the Moebius table already covers, so the other half of the box repeats the first.
This is also how the published pi experiment counts its 4,270,617 candidates.

Two more prunings are opt-in. ``a_first_positive`` keeps a(n) only when its *first nonzero*
coefficient is positive (and drops a = 0): the same sign symmetry for every a, including those
whose leading coefficient is 0 in a box of mixed degrees, which halves the box exactly.
``b_nonzero`` drops b = 0 (every coefficient zero), where the value is just a(0). Over the box of
"Unsupervised Discovery of Formulas for Mathematical Constants" (degree 2, coefficients in
[-5, 5]) the paper's 1,768,900 PCFs are (11^3 - 1)^2, a != 0 and b != 0; with both options the
box holds half of them, 884,450.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Box", "coefficient_table"]


def coefficient_table(ranges: list[tuple[int, int]], leading_positive: bool = False,
                      first_positive: bool = False, nonzero: bool = False) -> np.ndarray:
    """All integer vectors with entry ``j`` in ``ranges[j]`` (inclusive), lexicographic order;
    ``first_positive`` keeps the vectors whose first nonzero entry is positive, ``nonzero``
    drops the zero vector.

    >>> coefficient_table([(1, 2), (0, 1)]).tolist()
    [[1, 0], [1, 1], [2, 0], [2, 1]]
    >>> coefficient_table([(-1, 1), (-1, 1)], first_positive=True).tolist()
    [[0, 1], [1, -1], [1, 0], [1, 1]]
    """
    axes = []
    for j, (lo, hi) in enumerate(ranges):
        if j == 0 and leading_positive:
            lo = max(lo, 1)
        axes.append(np.arange(lo, hi + 1, dtype=np.int64))
    if any(ax.size == 0 for ax in axes):
        return np.empty((0, len(ranges)), dtype=np.int64)
    grids = np.meshgrid(*axes, indexing="ij")
    table = np.stack([g.reshape(-1) for g in grids], axis=1)
    if first_positive or nonzero:
        nz = table != 0
        any_nz = nz.any(axis=1)
        keep = any_nz
        if first_positive:
            first = table[np.arange(table.shape[0]), np.argmax(nz, axis=1)]
            keep = keep & (first > 0)
        table = table[keep]
    return np.ascontiguousarray(table)


def _count(ranges, leading_positive=False, first_positive=False, nonzero=False) -> int:
    """Number of rows of :func:`coefficient_table` without building it."""
    sizes = []
    for j, (lo, hi) in enumerate(ranges):
        if j == 0 and leading_positive:
            lo = max(lo, 1)
        sizes.append(max(0, hi - lo + 1))
    total = 1
    for s in sizes:
        total *= s
    if not (first_positive or nonzero):
        return total
    zero_ok = [lo <= 0 <= hi for lo, hi in ranges]
    if not first_positive:
        return total - (1 if all(zero_ok) else 0)
    count = 0
    prefix = 1                      # vectors whose first j entries are all zero
    for j, (lo, hi) in enumerate(ranges):
        positives = max(0, hi - max(lo, 1) + 1)
        rest = 1
        for s in sizes[j + 1:]:
            rest *= s
        count += prefix * positives * rest
        prefix *= 1 if zero_ok[j] else 0
    return count


@dataclass(frozen=True)
class Box:
    """The search space of a PCF search: coefficient ranges of a and b (highest power first)."""

    a_ranges: tuple[tuple[int, int], ...]
    b_ranges: tuple[tuple[int, int], ...]
    a_leading_positive: bool = True
    a_first_positive: bool = False
    b_nonzero: bool = False

    def tables(self) -> tuple[np.ndarray, np.ndarray]:
        return (coefficient_table(list(self.a_ranges),
                                  self.a_leading_positive and not self.a_first_positive,
                                  first_positive=self.a_first_positive),
                coefficient_table(list(self.b_ranges), nonzero=self.b_nonzero))

    @property
    def size(self) -> int:
        """Number of candidates.

        >>> Box(((-5, 5),) * 3, ((-5, 5),) * 3, False, True, True).size    # the paper's box / 2
        884450
        """
        na = _count(list(self.a_ranges), self.a_leading_positive and not self.a_first_positive,
                    first_positive=self.a_first_positive)
        nb = _count(list(self.b_ranges), nonzero=self.b_nonzero)
        return na * nb

    def slice(self, tables: tuple[np.ndarray, np.ndarray], start: int, stop: int):
        """Coefficient arrays ``(A, B)`` of candidates ``start .. stop - 1``."""
        a_table, b_table = tables
        idx = np.arange(start, stop, dtype=np.int64)
        nb = b_table.shape[0]
        return (np.ascontiguousarray(a_table[idx // nb]), np.ascontiguousarray(b_table[idx % nb]))
