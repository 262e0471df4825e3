"""Migration 0012: the outbox takes an issuer's relayed key changes (add_signer,
remove_signer) and still refuses any other kind; on SQLite, where the table is rebuilt,
its partial indexes keep their conditions; downgrading drops such operations."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import create_engine, text
from sqlalchemy.exc import IntegrityError

from notary.store.migrate import alembic_config, upgrade

INSERT = text(
    "INSERT INTO chain_ops (kind, payload, state, created_at, updated_at)"
    " VALUES (:kind, '{}', 'queued', :at, :at)"
)


def _insert(url: str, kind: str) -> None:
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(INSERT, {"kind": kind, "at": dt.datetime.now(dt.UTC)})
    finally:
        engine.dispose()


def _count(url: str, sql: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text(sql)).scalar_one())
    finally:
        engine.dispose()


def test_the_outbox_takes_signer_changes_and_nothing_else(empty_database_url: str) -> None:
    url = empty_database_url
    upgrade(url)
    _insert(url, "add_signer")
    _insert(url, "remove_signer")
    with pytest.raises(IntegrityError):
        _insert(url, "rotate_everything")
    command.downgrade(alembic_config(url), "0011")
    assert _count(url, "SELECT count(*) FROM chain_ops") == 0
    with pytest.raises(IntegrityError):
        _insert(url, "add_signer")
    upgrade(url)
    _insert(url, "add_signer")


def test_sqlite_keeps_the_partial_indexes_conditions(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/notary.db"
    upgrade(url)
    sql = "SELECT count(*) FROM sqlite_master WHERE tbl_name = 'chain_ops' AND sql LIKE '%WHERE%'"
    assert _count(url, sql) == 2
