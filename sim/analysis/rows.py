"""Reading a large ledger a block of rows at a time, for the detail tables.

A year's ledger has millions of rows; a float64 temporary over all of them costs as much
as a ninth of the run itself, and the tables used to make several. These helpers keep the
temporaries to one block of rows while giving exactly the values a whole-ledger
computation gives (counts add up; gathered values keep their order).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np

CHUNK_ROWS = 1 << 16
"""Rows per block: temporaries of a few MB (under a byte per parcel of a year's
ledger), and still few enough blocks that the loop costs nothing."""


def row_chunks(n: int, size: int | None = None) -> Iterator[slice]:
    """Consecutive slices covering rows ``0..n`` in order, each at most *size* rows.

    The default is :data:`CHUNK_ROWS`, read at the call so that tests can make it small.
    """
    size = size or CHUNK_ROWS
    for start in range(0, n, size):
        yield slice(start, min(start + size, n))


def chunked_mask(n: int, mask_of: Callable[[slice], np.ndarray]) -> np.ndarray:
    """A boolean mask over *n* rows, computed block by block by ``mask_of(rows)``."""
    mask = np.empty(n, dtype=bool)
    for rows in row_chunks(n):
        mask[rows] = mask_of(rows)
    return mask


def gather_hours(ledger, mask: np.ndarray, end: str, start: str = "t_hub") -> np.ndarray:
    """``ledger.column(end) - ledger.column(start)`` of the rows in *mask*, in row order.

    The same values as ``(end - start)[mask]`` without the full-length difference.
    """
    hours = np.empty(int(np.count_nonzero(mask)))
    ends, starts = ledger.column(end), ledger.column(start)
    filled = 0
    for rows in row_chunks(ledger.n):
        # The block's rows in the mask, found once and taken from both columns.
        mine = np.flatnonzero(mask[rows]) + rows.start
        np.subtract(ends.take(mine), starts.take(mine), out=hours[filled : filled + mine.size])
        filled += mine.size
    return hours
