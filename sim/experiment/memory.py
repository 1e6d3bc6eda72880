"""Memory a step frees goes back to the operating system, so a process's peak is the most it holds at once.

Without this, what one step frees stays with the process and the next step's peak sits on top of it: a
replication's indicators on top of its simulation, the report's figures on top of its queries. Two allocators keep
freed memory by default: glibc raises its mmap threshold each time a large block is freed, so later large
arrays (numpy, pandas) come from a heap it seldom returns; and Arrow's default pool (mimalloc or jemalloc) keeps
its pages for reuse. Measured on one national replication's indicators: a peak of 981 MB with the defaults,
783 MB with both settings below (the data held at once is the same).

Arrow's C++ default pool (the one the Parquet reader uses) is chosen from ``ARROW_DEFAULT_MEMORY_POOL`` when
pyarrow is first imported, so :func:`return_freed_memory` is called by the command line before anything imports
pyarrow; processes started after it (local workers) inherit the environment. A value already in the
environment is left as it is.

While the model itself runs, the fixed threshold costs more than it saves: a replication's tables are converted a
chunk at a time, and each chunk's arrays, mapped on their own and unmapped when freed, were faulted in page by page
again at the next chunk (2.9 million page faults and 11 s of system time in a national replication, against 0.2
million and 1.7 s with glibc's defaults). :func:`simulation_allocation` raises the threshold for the simulation
and puts it back, with the freed memory returned, before the tables are read back.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import os
from collections.abc import Iterator
from contextlib import contextmanager

ARROW_POOL_VARIABLE, ARROW_POOL = "ARROW_DEFAULT_MEMORY_POOL", "system"
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
"""mallopt's parameters for the trim and mmap thresholds (glibc's malloc.h)."""
MMAP_THRESHOLD_VARIABLE = "MALLOC_MMAP_THRESHOLD_"
"""The same setting for processes started from this one (glibc reads it at start)."""
MMAP_THRESHOLD_BYTES = 128 * 1024
"""glibc's default mmap threshold, fixed: a block this big or bigger is mapped on its own and unmapped when freed."""

SIMULATION_MMAP_THRESHOLD_BYTES = 32 * 1024 * 1024
"""The threshold while the model runs: glibc's largest (``DEFAULT_MMAP_THRESHOLD_MAX`` on 64-bit), so a chunk's
arrays come from the heap and the next chunk reuses their pages."""
SIMULATION_TRIM_THRESHOLD_BYTES = 2 * SIMULATION_MMAP_THRESHOLD_BYTES
"""Free memory kept at the top of the heap while the model runs (glibc's dynamic setting is twice the mmap
threshold); afterwards glibc's default, 128 KiB, again."""
TRIM_THRESHOLD_BYTES = 128 * 1024
"""glibc's default trim threshold, fixed after the simulation: free memory above it at the top of the heap goes back."""

INDICATORS_MMAP_THRESHOLD_BYTES = 16 * 1024 * 1024
"""The threshold while a replication's indicators are computed: a group's columns (up to a national replication's
million rows, 8 MB a column) come from the heap, and the next group's reuse their pages instead of faulting fresh ones
in. Measured on a national replication's indicators in the command (twenty-seventh session): 4.9 CPU-s and a peak of
863-879 MiB, against 6.8-7.1 s (2.7 s of it page faults) and 805 MiB at 128 KiB, and 911 MiB at 32 MiB."""
INDICATORS_TRIM_THRESHOLD_BYTES = 2 * INDICATORS_MMAP_THRESHOLD_BYTES

_done = [False]


def return_freed_memory() -> None:
    """Make freed memory go back to the system, in this process and those it starts: Arrow on the system
    allocator, and glibc's mmap threshold fixed (left alone where the C library has no ``mallopt``). Idempotent."""
    if _done[0]:
        return
    _done[0] = True
    os.environ.setdefault(ARROW_POOL_VARIABLE, ARROW_POOL)
    os.environ.setdefault(MMAP_THRESHOLD_VARIABLE, str(MMAP_THRESHOLD_BYTES))
    import pyarrow as pa  # after the variable: the pool is chosen when pyarrow is first imported

    if os.environ[ARROW_POOL_VARIABLE] == ARROW_POOL:
        pa.set_memory_pool(pa.system_memory_pool())  # if pyarrow was imported before: at least its own functions
    _set_mmap_threshold(int(os.environ[MMAP_THRESHOLD_VARIABLE]))


@functools.cache
def _libc() -> ctypes.CDLL | None:
    """The C library, found once (``find_library`` runs ``ldconfig``); None where it cannot be loaded."""
    try:
        return ctypes.CDLL(ctypes.util.find_library("c"))
    except OSError:
        return None


def _set_mmap_threshold(threshold_bytes: int, trim_bytes: int | None = None) -> None:
    """glibc's mmap threshold set (and, with ``trim_bytes``, its trim threshold, and the heap's free pages given
    back); nothing where the C library is not glibc (macOS, Windows: the allocator stays as it is)."""
    libc = _libc()
    try:
        libc.mallopt(M_MMAP_THRESHOLD, threshold_bytes)
        if trim_bytes is not None:
            libc.mallopt(M_TRIM_THRESHOLD, trim_bytes)
            libc.malloc_trim(0)
    except (AttributeError, TypeError, ValueError):  # no library, or one without mallopt
        return


@contextmanager
def simulation_allocation() -> Iterator[None]:
    """Large blocks from the heap while the model runs; afterwards the threshold :func:`return_freed_memory` set,
    and the heap's free pages given back, so post-processing's peak does not sit on the simulation's."""
    with _allocation(SIMULATION_MMAP_THRESHOLD_BYTES, SIMULATION_TRIM_THRESHOLD_BYTES):
        yield


@contextmanager
def indicators_allocation() -> Iterator[None]:
    """Blocks up to a replication's columns from the heap while its indicators are computed (see
    :data:`INDICATORS_MMAP_THRESHOLD_BYTES`); afterwards as :func:`return_freed_memory` set them."""
    with _allocation(INDICATORS_MMAP_THRESHOLD_BYTES, INDICATORS_TRIM_THRESHOLD_BYTES):
        yield


@contextmanager
def _allocation(threshold_bytes: int, trim_bytes: int) -> Iterator[None]:
    """glibc's thresholds set for a step, and put back (with the heap's free pages given back) after it."""
    threshold = os.environ.get(MMAP_THRESHOLD_VARIABLE)
    if threshold is None:  # return_freed_memory was not called: glibc's own dynamic threshold is left alone
        yield
        return
    _set_mmap_threshold(threshold_bytes, trim_bytes)
    try:
        yield
    finally:
        _set_mmap_threshold(int(threshold), TRIM_THRESHOLD_BYTES)
