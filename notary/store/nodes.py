"""A batch's Merkle node array, stored in fixed-size chunks so proofs read only a few.

The array is OpenZeppelin's `tree` layout (2n-1 nodes of 32 bytes, root at 0, children
of i at 2i+1 and 2i+2). One 64 MB blob per million leaves would be simplest, but SQLite
materialises the whole BLOB to evaluate substr() on it (~2 s per lookup, measured), so
the array is cut into rows of NODES_PER_CHUNK nodes; a proof touches ~log2(n) nodes that
lie in at most ~log2(n) - 5 chunks, fetched by one indexed query on both backends.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from typing import cast

from sqlalchemy import Connection, Table, bindparam, insert, select

from notary.store.models import BatchNodes

NODE_BYTES = 32
NODES_PER_CHUNK = 62
"""1,984 bytes a row: two fill a 4 KiB SQLite page, four an 8 KiB PostgreSQL page (measured:
64 nodes wasted half of each SQLite page). Stays under the TOAST threshold."""
CHUNK_BYTES = NODE_BYTES * NODES_PER_CHUNK
CACHED_CHUNKS = 8_192
"""Chunks a process keeps (~16 MB): every chunk of a 250,000-leaf batch, or the upper levels
of bigger ones, which every proof in the batch reads."""
_T = cast(Table, BatchNodes.__table__)

_READ = select(_T.c.chunk, _T.c.nodes).where(
    _T.c.batch_id == bindparam("batch_id"),
    _T.c.chunk.in_(bindparam("chunks", expanding=True)),
)


def write_nodes(conn: Connection, batch_id: int, nodes: bytes) -> int:
    """Store a node array (concatenated 32-byte nodes) for `batch_id`; returns the row count."""
    if not nodes or len(nodes) % NODE_BYTES:
        raise ValueError(f"node array of {len(nodes)} bytes is not a whole number of nodes")
    view = memoryview(nodes)
    rows = [
        {"batch_id": batch_id, "chunk": k, "nodes": bytes(view[off : off + CHUNK_BYTES])}
        for k, off in enumerate(range(0, len(nodes), CHUNK_BYTES))
    ]
    conn.execute(insert(_T), rows)
    return len(rows)


def sibling_indices(tree_index: int) -> list[int]:
    """Node indices of a leaf's proof, from the leaf's sibling up to the root's children."""
    path = []
    i = tree_index
    while i > 0:
        path.append(i + 1 if i & 1 else i - 1)
        i = (i - 1) >> 1
    return path


class _ChunkCache:
    """Recently read chunks, by (root, chunk number), least recently used dropped first.

    Keyed by the root, not the batch id: a root fixes the leaves and so every node of its
    tree, so an entry can never be stale, whichever database or batch it was read from.
    """

    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        self._chunks: OrderedDict[tuple[bytes, int], bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, root: bytes, chunks: Iterable[int]) -> dict[int, bytes]:
        found = {}
        with self._lock:
            for chunk in chunks:
                data = self._chunks.get((root, chunk))
                if data is not None:
                    self._chunks.move_to_end((root, chunk))
                    found[chunk] = data
        return found

    def put(self, root: bytes, rows: Mapping[int, bytes]) -> None:
        with self._lock:
            for chunk, data in rows.items():
                self._chunks[(root, chunk)] = data
            while len(self._chunks) > self._capacity:
                self._chunks.popitem(last=False)


_CACHE = _ChunkCache(CACHED_CHUNKS)


def read_nodes(
    conn: Connection, batch_id: int, root: bytes, indices: Iterable[int]
) -> Mapping[int, bytes]:
    """The 32-byte nodes at `indices` of a batch's array (whose root is `root`).

    Chunks read before come from a per-process cache; the rest from one query.
    """
    wanted = list(indices)
    chunks = sorted({i // NODES_PER_CHUNK for i in wanted})
    rows = _CACHE.get(root, chunks)
    missing = [chunk for chunk in chunks if chunk not in rows]
    if missing:
        result = conn.execute(_READ, {"batch_id": batch_id, "chunks": missing})
        fetched = {chunk: bytes(data) for chunk, data in result.all()}
        _CACHE.put(root, fetched)
        rows.update(fetched)
    found: dict[int, bytes] = {}
    for i in wanted:
        data = rows.get(i // NODES_PER_CHUNK)
        off = (i % NODES_PER_CHUNK) * NODE_BYTES
        if data is None or len(data) < off + NODE_BYTES:
            raise LookupError(f"batch {batch_id} has no node {i}")
        found[i] = bytes(data[off : off + NODE_BYTES])
    return found
