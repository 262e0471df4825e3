"""Leader election for the anchoring worker: exactly one process anchors at a time.

PostgreSQL: a session-level advisory lock held on a dedicated connection, released by
the server when that connection dies (a killed worker never leaves it stuck).
SQLite: an exclusive `flock` on a file beside the database, released by the kernel when
the process dies. Either way a second worker simply waits its turn.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import Protocol

from sqlalchemy import Connection, Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from notary.core.errors import NotaryError

# Stable across processes and versions: any 64-bit constant names "the anchoring worker".
ADVISORY_LOCK_KEY = 0x6E6F74617279  # "notary"


class LeaderLock(Protocol):
    """A lock that at most one process holds at a time."""

    def try_acquire(self) -> bool:
        """Take the lock if free; True if this process now holds it."""

    def still_held(self) -> bool:
        """False once the lock was lost (e.g. the database connection holding it died)."""

    def release(self) -> None:
        """Give the lock up (a no-op if not held)."""


class AdvisoryLock:
    """PostgreSQL `pg_try_advisory_lock` on a connection kept for as long as it is held."""

    def __init__(self, engine: Engine, key: int = ADVISORY_LOCK_KEY) -> None:
        self.engine = engine
        self.key = key
        self._connection: Connection | None = None

    def try_acquire(self) -> bool:
        if self._connection is not None:
            return True
        try:
            connection = self.engine.connect()
        except DBAPIError:
            return False  # the database is unreachable: nobody can lead through it now
        try:
            got = bool(
                connection.execute(
                    text("SELECT pg_try_advisory_lock(:k)"), {"k": self.key}
                ).scalar()
            )
            connection.commit()
        except DBAPIError:
            connection.invalidate()  # e.g. terminated by the server: never back in the pool
            connection.close()
            return False
        if got:
            self._connection = connection
        else:
            connection.close()
        return got

    def still_held(self) -> bool:
        if self._connection is None:
            return False
        try:
            self._connection.execute(text("SELECT 1"))
            self._connection.commit()
        except DBAPIError:
            self._connection.invalidate()
            self._connection.close()
            self._connection = None
            return False
        return True

    def release(self) -> None:
        if self._connection is None:
            return
        try:
            self._connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self.key})
            self._connection.commit()
        except DBAPIError:  # the connection died, and the server released the lock with it
            self._connection.invalidate()
        finally:
            self._connection.close()
            self._connection = None


class FileLock:
    """An exclusive, non-blocking `flock` on `path`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def try_acquire(self) -> bool:
        if self._fd is not None:
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        return True

    def still_held(self) -> bool:
        return self._fd is not None

    def release(self) -> None:
        if self._fd is None:
            return
        fcntl.flock(self._fd, fcntl.LOCK_UN)
        os.close(self._fd)
        self._fd = None


def leader_lock_for(engine: Engine) -> LeaderLock:
    """The right lock for the engine's database."""
    url = make_url(str(engine.url))
    if url.get_backend_name() == "postgresql":
        return AdvisoryLock(engine)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return FileLock(Path(url.database + ".worker.lock"))
    raise NotaryError(f"no leader lock for database {url.render_as_string(hide_password=True)}")
