"""notary.util.memory: collection paused for the bulk paths, freed memory handed back after."""

from __future__ import annotations

import gc
import platform
from pathlib import Path

import pytest

from notary.util import memory


def _rss_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def test_gc_paused_restores_the_collector_as_it_was() -> None:
    assert gc.isenabled()
    with memory.gc_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with memory.gc_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


@pytest.mark.skipif(
    platform.system() != "Linux" or platform.libc_ver()[0] != "glibc", reason="glibc only"
)
def test_freed_heap_pages_are_handed_back() -> None:
    assert memory._malloc_trim is not None
    memory.release_freed_memory()
    before = _rss_kb()
    # ~100 MB in blocks glibc serves from its heap (above pymalloc's 512 bytes, below the
    # mmap threshold), with a small survivor after each so the heap's top cannot shrink.
    blocks = []
    for _ in range(50_000):
        blocks.append(bytes(2_000))
        blocks.append(bytes(100))
    del blocks[::2]
    grown = _rss_kb()
    memory.release_freed_memory()
    released = _rss_kb()
    assert grown - before > 50_000
    assert grown - released > 0.6 * (grown - before), (before, grown, released)
