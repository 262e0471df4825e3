"""Checkpointing a SQLite WAL in the background, off the path of the requests that commit.

SQLite copies the write-ahead log back into the database file (a checkpoint) from inside
whichever commit makes the log pass `wal_autocheckpoint` pages; by default that is every
bulk commit, which then writes each page twice before it returns. Here a thread of the
process checkpoints once a second instead (PASSIVE: it never waits for, nor blocks,
readers or writers), and commits checkpoint themselves only past a much larger log, the
safety net for a thread that falls behind. A page changed by several commits within the
second reaches the database file once.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from urllib.request import pathname2url

CHECKPOINT_INTERVAL_S = 1.0
"""How often the background thread checkpoints."""
AUTOCHECKPOINT_PAGES = 100_000
"""Log size (pages of 4 KiB, 400 MiB) past which a commit checkpoints by itself."""

_log = logging.getLogger(__name__)


class WalCheckpointer:
    """A daemon thread checkpointing the WAL of the SQLite database at `path`."""

    def __init__(self, path: str, interval_s: float = CHECKPOINT_INTERVAL_S) -> None:
        self._path = path
        self._interval_s = interval_s
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sqlite-checkpoint", daemon=True)
        self._thread.start()

    @property
    def running(self) -> bool:
        """True until `stop` returns."""
        return self._thread.is_alive()

    def stop(self) -> None:
        """Stop the thread (after a checkpoint in progress ends)."""
        self._stopped.set()
        self._thread.join()

    def _run(self) -> None:
        conn: sqlite3.Connection | None = None
        try:
            while not self._stopped.wait(self._interval_s):
                try:
                    conn = conn or self._open()
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                except sqlite3.Error as exc:  # missing, busy or locked: try again next round
                    _log.debug("background checkpoint skipped: %s", exc)
        finally:
            if conn is not None:
                conn.close()

    def _open(self) -> sqlite3.Connection:
        """Connect to the database file, which the store, not this thread, creates."""
        uri = f"file:{pathname2url(self._path)}?mode=rw"
        return sqlite3.connect(uri, uri=True, isolation_level=None)
