"""Fault a new ledger's memory in on another core while the run goes on.

A run's parcel ledger is hundreds of MB, allocated at the start and written day by day.
The first write to each page of fresh memory costs a page fault; where the memory
behind a virtual machine is itself provided on first touch, as on the project's
machine, that is ~3 ms per MB: 0.2–0.7 s of a 120-day run went into the ledger's first
touch (docs/performance.md, "Measured"). Linux (5.14 and later) can fault memory in
without changing its contents (``madvise(MADV_POPULATE_WRITE)``), and does so with
Python's lock released, so a background thread fills the ledger's page tables ahead
of the simulation, row block by row block, on the core the simulation leaves idle.

Nothing depends on it: the contents are untouched, and where the call is not available
(another system, an older kernel) the thread stops and the pages fault in when written,
as before.
"""

from __future__ import annotations

import ctypes
import mmap
import sys
import threading
from collections.abc import Sequence

import numpy as np

MADV_POPULATE_WRITE = 23
"""Linux's madvise advice (include/uapi/asm-generic/mman-common.h)."""

SMALLEST_BYTES = 16 << 20
"""Arrays smaller than this together are left alone: not worth a thread."""

BLOCK_ROWS = 1 << 19
"""Rows of every array faulted in per call, in row order (4 MB of a float column)."""


def _load_madvise():
    if not sys.platform.startswith("linux"):
        return None
    try:
        madvise = ctypes.CDLL(None, use_errno=True).madvise
    except (OSError, AttributeError):
        return None
    madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    madvise.restype = ctypes.c_int
    return madvise


_MADVISE = _load_madvise()


class Prefault:
    """A thread faulting in *arrays*' memory, the first rows of each first.

    ``stop()`` ends it after the call under way (a ledger that grew replaces its arrays).
    The thread holds the arrays, so their memory stays theirs until it is done.
    """

    def __init__(self, arrays: Sequence[np.ndarray]) -> None:
        self._stopped = threading.Event()
        self.thread = None
        if _MADVISE is None or sum(a.nbytes for a in arrays) < SMALLEST_BYTES:
            return
        self.thread = threading.Thread(
            target=self._run, args=(tuple(arrays),), name="ruralsim-prefault", daemon=True
        )
        self.thread.start()

    def stop(self) -> None:
        """Fault in no more (the call under way finishes)."""
        self._stopped.set()

    def _run(self, arrays: tuple[np.ndarray, ...]) -> None:
        rows = max(a.size for a in arrays)
        for start in range(0, rows, BLOCK_ROWS):
            for array in arrays:
                if self._stopped.is_set() or not _populate(array, start, start + BLOCK_ROWS):
                    return


def _populate(array: np.ndarray, start: int, stop: int) -> bool:
    """Fault in the pages of ``array[start:stop]``; False if the system cannot.

    A page at either end may hold another object's bytes too: faulting it in changes
    nothing of theirs.
    """
    start, stop = min(start, array.size), min(stop, array.size)
    if stop <= start:
        return True
    page = mmap.PAGESIZE
    low = (array.ctypes.data + start * array.itemsize) // page * page
    high = -(-(array.ctypes.data + stop * array.itemsize) // page) * page
    return _MADVISE(low, high - low, MADV_POPULATE_WRITE) == 0
