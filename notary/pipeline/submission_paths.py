"""Signed submissions' trees read back from the store: each document's path to its signed root.

A submission of n > 1 leaves keeps its whole node array in one row (`submissions.nodes`,
32(2n-1) bytes: 640 KB for the 10,000 leaves of the largest). A path needs the array
whole (the leaf is found by bisection), so arrays are kept in a per-process cache keyed by
the signed root, which fixes every node: an entry is never stale, and the documents of one
submission, verified or fetched together, read it once.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import cast

from sqlalchemy import Connection, Table, bindparam, select

from notary.core.types import Leaf
from notary.pipeline.submissions import path_in
from notary.store.models import Submission

CACHED_BYTES = 64 << 20
"""Node arrays a process keeps: about a hundred of the largest submissions."""
_T = cast(Table, Submission.__table__)
_READ = select(_T.c.nodes).where(_T.c.id == bindparam("id"))


class _Trees:
    """Node arrays by signed root, least recently used dropped first past a byte budget."""

    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        self._size = 0
        self._trees: OrderedDict[bytes, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, root: bytes) -> bytes | None:
        with self._lock:
            nodes = self._trees.get(root)
            if nodes is not None:
                self._trees.move_to_end(root)
            return nodes

    def put(self, root: bytes, nodes: bytes) -> None:
        with self._lock:
            if root in self._trees:
                return
            self._trees[root] = nodes
            self._size += len(nodes)
            while self._size > self._capacity and len(self._trees) > 1:
                _, dropped = self._trees.popitem(last=False)
                self._size -= len(dropped)


_TREES = _Trees(CACHED_BYTES)


def submission_path(
    conn: Connection, submission_id: int, leaves_root: bytes, leaf_count: int, leaf: Leaf
) -> list[bytes]:
    """The path from `leaf` to the root of the submission it came in (empty for one leaf)."""
    if leaf_count == 1:
        return []
    nodes = _TREES.get(leaves_root)
    if nodes is None:
        stored = conn.execute(_READ, {"id": submission_id}).scalar_one()
        nodes = bytes(stored)
        _TREES.put(leaves_root, nodes)
    return path_in(nodes, leaf)
