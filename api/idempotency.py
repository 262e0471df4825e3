"""`Idempotency-Key` for POST /v1/documents: a retried request gets the first answer.

The same document is already idempotent through the store (it returns the existing
record); the key adds the other half of the contract: reusing a key for a *different*
request is refused with 422 instead of silently notarising something else. Remembered in
this process for a day (bounded); across replicas the store's deduplication still holds.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from typing import NamedTuple

TTL_S = 24 * 3600.0
MAX_KEYS = 100_000
MAX_KEY_LENGTH = 255


class Remembered(NamedTuple):
    """What the first request with a key was and what it got."""

    fingerprint: bytes
    leaf: str
    status: int


class IdempotencyCache:
    """(caller, key) → the first request's fingerprint and outcome."""

    def __init__(self) -> None:
        self._items: OrderedDict[tuple[str, str], tuple[float, Remembered]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, caller: str, key: str) -> Remembered | None:
        """The remembered outcome, if the key was used within the TTL."""
        with self._lock:
            item = self._items.get((caller, key))
            if item is None or item[0] < time.monotonic() - TTL_S:
                return None
            return item[1]

    def put(self, caller: str, key: str, remembered: Remembered) -> None:
        """Remember the first outcome for a key (a concurrent duplicate keeps the first)."""
        with self._lock:
            self._items.setdefault((caller, key), (time.monotonic(), remembered))
            while len(self._items) > MAX_KEYS:
                self._items.popitem(last=False)
