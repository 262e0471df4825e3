"""The WAL of a SQLite store reaches the database file from the background thread."""

from __future__ import annotations

import os
import time
from pathlib import Path

from notary.core.types import Digest
from notary.pipeline.accept import DocumentInput, accept_many
from notary.store.engine import open_store
from notary.store.issuers import create_issuer
from notary.store.migrate import upgrade

from .conftest import ISSUER


def test_commits_reach_the_database_file_without_a_commit_checkpointing(tmp_path: Path) -> None:
    path = tmp_path / "notary.db"
    upgrade(f"sqlite:///{path}")
    store = open_store(f"sqlite:///{path}")
    try:
        with store.write() as conn:
            create_issuer(conn, ISSUER, "Agency")
        size_before = path.stat().st_size
        accept_many(store, ISSUER, [DocumentInput(Digest(os.urandom(32))) for _ in range(5_000)])
        assert path.stat().st_size == size_before  # the commit left its pages in the WAL
        deadline = time.monotonic() + 5
        while path.stat().st_size == size_before and time.monotonic() < deadline:
            time.sleep(0.05)
        assert path.stat().st_size > size_before + 5_000 * 32
        assert store.checkpointer is not None
    finally:
        store.dispose()
    assert store.checkpointer is not None and not store.checkpointer.running


def test_only_sqlite_files_are_checkpointed(postgres_database: str) -> None:
    for url in (postgres_database, "sqlite://"):
        store = open_store(url)
        store.dispose()
        assert store.checkpointer is None
