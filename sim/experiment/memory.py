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
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os

ARROW_POOL_VARIABLE, ARROW_POOL = "ARROW_DEFAULT_MEMORY_POOL", "system"
M_MMAP_THRESHOLD = -3
"""mallopt's parameter for the mmap threshold (glibc's malloc.h)."""
MMAP_THRESHOLD_VARIABLE = "MALLOC_MMAP_THRESHOLD_"
"""The same setting for processes started from this one (glibc reads it at start)."""
MMAP_THRESHOLD_BYTES = 128 * 1024
"""glibc's default mmap threshold, fixed: a block this big or bigger is mapped on its own and unmapped when freed."""

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
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c"))
        libc.mallopt(M_MMAP_THRESHOLD, int(os.environ[MMAP_THRESHOLD_VARIABLE]))
    except (OSError, AttributeError, TypeError, ValueError):  # not glibc (macOS, Windows): its allocator stays as is
        return
