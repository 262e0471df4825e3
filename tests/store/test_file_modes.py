"""The data dir is created 0700 and the SQLite database (with its -wal and -shm) 0600,
whoever creates them; a database others could read is tightened, a data dir others may
enter is left as the operator made it, with one warning."""

from __future__ import annotations

import logging
import os
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from notary.chain.deploy import Deployment, save_deployment
from notary.cli import main
from notary.pipeline.leader import FileLock
from notary.settings.config import Settings
from notary.settings.keys import load_or_create_key_file
from notary.settings.safety import admin_key_for
from notary.settings.service_key import load_or_create_service_key
from notary.store.engine import open_store
from notary.store.migrate import upgrade
from notary.util.private_files import private_database, private_dir


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def usual_umask() -> Iterator[None]:
    """The umask most systems start with, which made the database 0644 and its dir 0755."""
    before = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(before)


def test_a_new_database_and_the_dirs_made_for_it_are_private(tmp_path: Path) -> None:
    database = tmp_path / "data" / "sub" / "notary.db"
    url = f"sqlite:///{database}"
    upgrade(url)
    store = open_store(url)
    try:
        with store.write() as conn:  # the WAL and its index exist while a connection is open
            conn.execute(text("CREATE TABLE t (x)"))
            conn.execute(text("INSERT INTO t VALUES (1)"))
        files = [database, Path(f"{database}-wal"), Path(f"{database}-shm")]
        assert all(f.exists() for f in files)
        assert {f.name: mode(f) for f in files} == {f.name: 0o600 for f in files}
        assert mode(tmp_path / "data") == mode(tmp_path / "data" / "sub") == 0o700
    finally:
        store.dispose()


def test_a_database_others_could_read_is_tightened(tmp_path: Path) -> None:
    database = tmp_path / "notary.db"
    made = sqlite3.connect(database)
    made.execute("PRAGMA journal_mode=WAL")
    made.execute("CREATE TABLE t (x)")
    made.commit()  # left open: the -wal and -shm stay
    files = [database, Path(f"{database}-wal"), Path(f"{database}-shm")]
    for f in files:
        f.chmod(0o644)
    store = open_store(f"sqlite:///{database}")
    try:
        with store.read() as conn:
            conn.execute(text("SELECT count(*) FROM t"))
        assert {f.name: mode(f) for f in files} == {f.name: 0o600 for f in files}
    finally:
        store.dispose()
        made.close()


def test_a_data_dir_others_may_enter_is_left_with_one_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    with caplog.at_level(logging.WARNING, logger="notary.files"):
        private_dir(shared, data_dir=True)
        private_dir(shared, data_dir=True)
        private_dir(tmp_path)  # not a data dir: left alone, unnamed
    assert mode(shared) == 0o755
    warnings = [r.getMessage() for r in caplog.records if r.name == "notary.files"]
    assert len(warnings) == 1 and f"chmod 700 {shared}" in warnings[0]


def test_notary_db_upgrade_makes_a_private_data_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "fresh" / ".notary"
    monkeypatch.setenv("NOTARY_DATA_DIR", str(data))
    monkeypatch.delenv("NOTARY_DATABASE_URL", raising=False)
    assert main(["db", "upgrade"]) == 0
    assert mode(data) == 0o700 and mode(data / "notary.db") == 0o600


def test_a_key_file_gets_private_dirs(tmp_path: Path) -> None:
    key = tmp_path / "data" / "keys" / "anchor.key"
    load_or_create_key_file(key)
    assert mode(key) == 0o600
    assert mode(key.parent) == mode(tmp_path / "data") == 0o700


def test_the_service_key_the_admin_key_and_the_deployment_get_private_dirs(
    tmp_path: Path,
) -> None:
    """Whichever command first writes into a fresh data dir (`notary chain up` writes the
    deployment, `notary serve` the keys) makes it 0700."""
    settings = Settings(_env_file=None, data_dir=tmp_path / "a")
    load_or_create_service_key(settings)
    assert mode(tmp_path / "a") == mode(settings.keys_dir) == 0o700
    admin_key_for(Settings(_env_file=None, data_dir=tmp_path / "b"))
    assert mode(tmp_path / "b") == 0o700
    save_deployment(
        tmp_path / "c" / "deployment.json", Deployment(31337, "0x" + "11" * 20, 1, "0x")
    )
    assert mode(tmp_path / "c") == 0o700


def test_the_worker_lock_beside_a_new_database_is_in_a_private_dir(tmp_path: Path) -> None:
    lock = FileLock(tmp_path / "data" / "notary.db.worker.lock")
    assert lock.try_acquire()
    try:
        assert mode(tmp_path / "data") == 0o700
        assert mode(tmp_path / "data" / "notary.db.worker.lock") == 0o600
    finally:
        lock.release()


def test_opening_another_connection_keeps_the_locks_of_the_open_ones(tmp_path: Path) -> None:
    """Closing any descriptor of a file drops all of a process's POSIX locks on it, so the
    0600 guard that runs before each new connection must never open an existing database."""
    path = tmp_path / "notary.db"
    store = open_store(f"sqlite:///{path}")
    try:
        with store.write() as conn:
            conn.execute(text("CREATE TABLE t (x INTEGER)"))
        with store.write() as conn:  # an open WAL connection holds a shared lock on the file
            conn.execute(text("INSERT INTO t VALUES (1)"))
            private_database(path)  # what the next new connection's guard does
            other = subprocess.run(
                [sys.executable, "-c", _TRY_WRITE, str(path)], capture_output=True, text=True
            )
            assert other.stdout.strip() == "locked", other.stdout + other.stderr
    finally:
        store.dispose()


_TRY_WRITE = """
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], timeout=0, isolation_level=None)
try:
    mode = db.execute("PRAGMA journal_mode=DELETE").fetchone()[0]
except sqlite3.OperationalError as exc:
    print("locked" if "locked" in str(exc) else exc)
else:
    print(f"left WAL mode under open connections (journal_mode={mode})")
"""
