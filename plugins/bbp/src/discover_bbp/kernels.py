"""Tier 1: the slices of a BBP-type series in float64, with numba.

``slices_f64(rows, width, max_terms)`` takes rows ``(b, m, s)`` and returns, per row, the values
S_j = sum_{k>=0} b^-k / (m k + j)^s for j = 1..m (padded with zeros up to ``width``) and a status
code: 0 ok, 1 a value is not finite, 2 the sum did not settle within ``max_terms`` terms.
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = ["slices_f64", "OK", "NOT_FINITE", "NOT_CONVERGED"]

OK, NOT_FINITE, NOT_CONVERGED = 0, 1, 2


@numba.njit(cache=True, nogil=True)
def _slices(rows, width, max_terms, out, status):
    for i in range(rows.shape[0]):
        b = float(rows[i, 0])
        m = rows[i, 1]
        s = rows[i, 2]
        status[i] = OK
        for j in range(1, m + 1):
            total = 0.0
            bk = 1.0                      # b^-k
            settled = False
            for k in range(max_terms):
                d = float(m * k + j)
                term = bk / d ** s
                total += term
                if term <= 1e-17 * total:
                    settled = True
                    break
                bk /= b
            if not np.isfinite(total):
                status[i] = NOT_FINITE
            elif not settled and status[i] == OK:
                status[i] = NOT_CONVERGED
            out[i, j - 1] = total
        for j in range(m, width):
            out[i, j] = 0.0


def slices_f64(rows: np.ndarray, width: int, max_terms: int = 200):
    """Slices of every row ``(b, m, s)``: ``(values[n, width], status[n])``."""
    rows = np.ascontiguousarray(rows, dtype=np.int64)
    out = np.zeros((rows.shape[0], width), dtype=np.float64)
    status = np.zeros(rows.shape[0], dtype=np.int8)
    _slices(rows, width, max_terms, out, status)
    return out, status
