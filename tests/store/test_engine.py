"""SQLite runs in WAL with durable commits, enforced foreign keys and a busy timeout."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from notary.store.checkpoint import AUTOCHECKPOINT_PAGES, CHECKPOINT_INTERVAL_S
from notary.store.engine import SQLITE_BUSY_TIMEOUT_MS, open_store


def test_sqlite_pragmas(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'p.db'}")
    try:
        with store.read() as conn:
            pragma = {
                name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()
                for name in (
                    "journal_mode",
                    "synchronous",
                    "foreign_keys",
                    "busy_timeout",
                    "wal_autocheckpoint",
                )
            }
        assert pragma == {
            "journal_mode": "wal",
            "synchronous": 2,
            "foreign_keys": 1,
            "busy_timeout": SQLITE_BUSY_TIMEOUT_MS,
            "wal_autocheckpoint": AUTOCHECKPOINT_PAGES,
        }
    finally:
        store.dispose()


def test_nothing_is_created_until_used(tmp_path: Path) -> None:
    path = tmp_path / "lazy.db"
    store = open_store(f"sqlite:///{path}")
    time.sleep(CHECKPOINT_INTERVAL_S * 1.5)  # the checkpoint thread has looked for the file
    assert not path.exists()
    store.dispose()


def test_unsupported_database_is_refused() -> None:
    with pytest.raises(ValueError, match="unsupported database"):
        open_store("mysql://root@localhost/notary")
