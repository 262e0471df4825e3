"""Memory management for the bulk paths (accepting and sealing up to a million documents)."""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import platform
from collections.abc import Callable, Iterator
from contextlib import contextmanager

RELEASE_AFTER = 10_000
"""Documents sealed in one step from which the memory they took is handed back."""


@contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic garbage collection for a while (if it was on, it is turned on again).

    A bulk allocates several objects per document, all still alive, and every collection
    those allocations trigger walks them, the oldest generation the whole heap: a large
    share of accepting a bulk, and of building the tree when sealing a big batch
    (docs/benchmarks.md). Nothing in these paths makes reference cycles,
    so postponing collection to the end loses nothing.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def release_freed_memory() -> None:
    """Collect garbage, then hand the C heap's free pages back to the system (glibc).

    Sealing a 100,000-document batch frees what it built, but glibc keeps the pages: a
    worker's RSS stayed 40 MB higher after each big batch (118 → 164 MB over two, in
    process on PostgreSQL) and 126 MB with this after each (measured). A soak's chain
    outage makes exactly such batches when the backlog is sealed.
    """
    gc.collect()
    if _malloc_trim is not None:
        _malloc_trim(0)


def _find_malloc_trim() -> Callable[[int], int] | None:
    if platform.system() != "Linux":
        return None
    try:
        trim: Callable[[int], int] = ctypes.CDLL(
            ctypes.util.find_library("c") or "libc.so.6"
        ).malloc_trim
    except (OSError, AttributeError):  # not glibc (musl has no malloc_trim)
        return None
    return trim


_malloc_trim = _find_malloc_trim()
