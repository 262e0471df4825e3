"""Key revocations told to API processes on other machines: PostgreSQL LISTEN/NOTIFY.

The revoking transaction sends a notification on CHANNEL; PostgreSQL delivers it to every
listening session when (and only if) that transaction commits. Each API process on
PostgreSQL listens on a connection of its own, in a thread, and empties its memory of keys
(`KeyMemory`, the API's key cache) on every notification. While that connection is down
the process remembers no key (each request asks the database), and it empties its memory
again once it listens anew, since notifications sent meanwhile are lost.
"""

from __future__ import annotations

import logging
import threading
from typing import Protocol

import psycopg
from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.pool import NullPool

log = logging.getLogger("notary.api")

CHANNEL = "notary_api_key_revoked"
POLL_S = 1.0
"""How often the listening thread looks up from waiting to see whether it must stop."""
RETRY_S = 1.0


class KeyMemory(Protocol):
    """What the listener needs of the keys a process remembers."""

    def pause(self) -> None:
        """Forget every key and remember none until `resume` (nobody listens now)."""

    def resume(self) -> None:
        """Remember keys again (revocations are heard again)."""

    def forget_all(self) -> None:
        """Forget every key remembered so far."""


def notify_revoked(conn: Connection) -> None:
    """In the revoking transaction: tell every listening API process once it commits."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_notify(:channel, '')"), {"channel": CHANNEL})


class RevocationListener:
    """A thread that empties `cache` whenever another process revokes a key."""

    def __init__(self, engine: Engine, cache: KeyMemory) -> None:
        # Its own connections, never the service's pool: a listening connection taken
        # from the pool would leave the pool a connection short, or take a dead one.
        self.engine = create_engine(engine.url, poolclass=NullPool)
        self.cache = cache
        self._stop = threading.Event()
        self._listening = threading.Event()
        self._thread = threading.Thread(target=self._run, name="key-revocations", daemon=True)

    def start(self) -> RevocationListener:
        """Start listening (keys are remembered only once it listens)."""
        self.cache.pause()
        self._thread.start()
        return self

    def wait_listening(self, timeout: float) -> bool:
        """True once the thread listens (for tests and start-up)."""
        return self._listening.wait(timeout)

    def stop(self) -> None:
        """Stop listening and wait for the thread."""
        self._stop.set()
        self._thread.join(timeout=POLL_S + 5)
        self.engine.dispose()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._listen()
            except Exception as exc:  # the thread must outlive any failure: it is the signal
                if self._listening.is_set():
                    log.warning("key revocations: lost the listening connection: %s", exc)
            self._listening.clear()
            self.cache.pause()
            self._stop.wait(RETRY_S)

    def _listen(self) -> None:
        raw = self.engine.raw_connection()
        driver = raw.driver_connection
        try:
            assert isinstance(driver, psycopg.Connection)
            driver.autocommit = True
            driver.execute(f"LISTEN {CHANNEL}")
            # Anything remembered before now may have been revoked while nobody listened.
            self.cache.resume()
            self._listening.set()
            while not self._stop.is_set():
                for _ in driver.notifies(timeout=POLL_S):
                    self.cache.forget_all()
        finally:
            raw.close()
