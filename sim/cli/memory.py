"""How the command's processes ask the system for memory (set once, before numpy loads).

A run allocates and frees numpy temporaries the size of a day's parcels (hundreds of
kB) tens of thousands of times, plus a parcel ledger of hundreds of MB. Two defaults
made that slower than it need be (docs/performance.md, "Measured"):

- NumPy asks Linux for huge pages for large arrays; where the kernel then compacts
  memory on the spot (``transparent_hugepage/defrag`` "madvise", a common default), the
  first touch of the ledger costs more system time than huge pages save.
- glibc gives freed memory at the top of its heap back to the kernel above a threshold
  that follows the sizes freed so far, so a day's temporaries went back and were faulted
  in again the next day: 130,000 page faults and 0.3 s of system time in a 4 s run.

The command (not the Python API: a notebook's process is the user's to tune) sets both
for itself and, through the environment, for the worker processes it starts. A value
the user has set is kept.

Python's cyclic garbage collector walked every object of the loaded modules (~72,000:
pandas, pydantic, numpy ...) in each full collection: while they load, again during a
run, and again when the interpreter shuts down. The command collects nothing while they
load and then leaves them out of collection (:func:`modules_loading`).
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import os
import sys
from collections.abc import Iterator

MALLOC_SETTINGS = {"MALLOC_TRIM_THRESHOLD_": 256 << 20, "MALLOC_MMAP_THRESHOLD_": 32 << 20}
"""glibc's environment variables -> bytes: keep up to 256 MB of freed heap for reuse,
and take blocks from the heap up to 32 MB (glibc's own upper bound for its moving
threshold); larger blocks (a year's ledger columns) are mapped, and unmapped when freed."""

_MALLOPT = {"MALLOC_TRIM_THRESHOLD_": -1, "MALLOC_MMAP_THRESHOLD_": -3}
"""The same settings' ``mallopt`` parameters (M_TRIM_THRESHOLD, M_MMAP_THRESHOLD in
glibc's malloc.h): glibc reads the variables when a process starts, so this one, already
running, sets them by call."""


def tune_memory() -> bool:
    """Set the command's memory settings; True if this process's allocator took them.

    Call before numpy is imported. Only on Linux with glibc, and only when the user has
    set none of :data:`MALLOC_SETTINGS` (setting one turns glibc's moving thresholds off,
    so the two belong together).
    """
    os.environ.setdefault("NUMPY_MADVISE_HUGEPAGE", "0")
    if not sys.platform.startswith("linux") or any(name in os.environ for name in MALLOC_SETTINGS):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # no mallopt: not glibc
        return False
    # musl has a mallopt that does nothing and returns 0.
    if not all(mallopt(_MALLOPT[name], value) == 1 for name, value in MALLOC_SETTINGS.items()):
        return False
    os.environ.update({name: str(value) for name, value in MALLOC_SETTINGS.items()})
    return True


@contextlib.contextmanager
def modules_loading() -> Iterator[None]:
    """Load modules without collecting garbage, then leave their objects out of collection.

    Loading makes next to no garbage, and the modules live as long as the process, so
    collecting walked them for nothing (``gc.freeze``): 0.05 s while they load, half of
    the 0.15 s of collecting in the 120-day bench run, and 0.14 s at shutdown.
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if collecting:
            gc.enable()
