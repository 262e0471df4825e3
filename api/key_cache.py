"""API keys found lately, and how a revocation empties that memory in every API process.

A key found in the database is trusted from memory for KEY_CACHE_TTL_S. A revocation must
end that at once, which takes three things:
- a generation: `put` stores what a lookup found only if no revocation was seen since that
  lookup began, so a lookup that read the key before the revocation committed cannot put
  it back after the revocation emptied the cache;
- the revocations file: the process that revoked appends a byte to `REVOCATIONS_FILE` in
  the data dir after the commit, and every API process sharing that data dir (`notary
  serve --workers N`, `notary cluster`, one machine) looks at its size before it trusts
  its cache, so none serves a revoked key from memory once the revocation has answered;
- on PostgreSQL, `notary.store.key_notices` for processes on other machines.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from pathlib import Path
from typing import Generic, TypeVar

log = logging.getLogger("notary.api")

V = TypeVar("V")
KEY_CACHE_TTL_S = 5.0
"""How long a found key is trusted without asking the database again: the longest a
revoked key can live where no revocation signal reached (docs/operators.md, "Keys")."""
KEY_CACHE_MAX = 10_000
REVOCATIONS_FILE = "api-key-revocations"
"""In the data dir; its size changes with every revocation (its content means nothing)."""


class RevocationsFile:
    """A file whose growth tells every process on this machine that a key was revoked."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._seen = self._size()

    def changed(self) -> bool:
        """True once for each change since the last call (one stat)."""
        size = self._size()
        if size == self._seen:
            return False
        self._seen = size
        return True

    def announce(self) -> None:
        """Tell the other processes (after the revocation committed)."""
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, b".")
            finally:
                os.close(fd)
        except OSError as exc:
            # The revocation holds (it is committed, and this process forgot the key); other
            # processes on this machine then forget it within KEY_CACHE_TTL_S.
            log.warning("cannot signal a key revocation in %s: %s", self.path, exc.strerror)

    def _size(self) -> int:
        try:
            return os.stat(self.path).st_size
        except OSError:
            return -1


class KeyCache(Generic[V]):
    """Key hash -> what the key stands for, trusted for KEY_CACHE_TTL_S unless revoked.

    `get` runs on the event loop; `ticket` and `put` on the threads that ask the database;
    `forget_all` on whichever learns of a revocation.
    """

    def __init__(self, revocations: RevocationsFile | None = None) -> None:
        self.revocations = revocations
        self._entries: dict[bytes, tuple[float, V]] = {}
        self._generation = 0
        self._caching = True
        self._lock = threading.Lock()

    def get(self, key_hash: bytes) -> V | None:
        """The remembered value, or None if the database must be asked."""
        if self.revocations is not None and self.revocations.changed():
            self.forget_all()
        entry = self._entries.get(key_hash)
        if entry is None or entry[0] <= time.monotonic():
            return None
        return entry[1]

    def ticket(self) -> int:
        """Taken before asking the database; `put` needs it."""
        return self._generation

    def put(self, key_hash: bytes, value: V, ticket: int) -> None:
        """Remember what the database said, unless a revocation was seen since `ticket`."""
        with self._lock:
            if ticket != self._generation or not self._caching:
                return
            if len(self._entries) >= KEY_CACHE_MAX:
                self._entries.clear()
            self._entries[key_hash] = (time.monotonic() + KEY_CACHE_TTL_S, value)

    def forget_all(self) -> None:
        """Forget every key, and whatever lookups in flight found."""
        with self._lock:
            self._generation += 1
            self._entries.clear()

    def pause(self) -> None:
        """Forget every key and remember none until `resume` (no revocation signal now)."""
        with self._lock:
            self._caching = False
            self._generation += 1
            self._entries.clear()

    def resume(self) -> None:
        """Remember keys again (the revocation signal is back)."""
        with self._lock:
            self._caching = True
            self._generation += 1

    def revoked(self) -> None:
        """A key was revoked here and committed: forget it, and tell the other processes."""
        self.forget_all()
        if self.revocations is not None:
            self.revocations.announce()

    def clear(self) -> None:
        """Forget every key (this process only)."""
        self.forget_all()
