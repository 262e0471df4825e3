"""Migrations from empty, the models matching them, and the `notary db` command."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from notary.cli import main
from notary.store.engine import open_store
from notary.store.migrate import current, head, upgrade
from notary.store.models import Base


def test_upgrade_from_empty_reaches_head(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    assert current(url) is None
    upgrade(url)
    assert current(url) == head()
    upgrade(url)  # a second run is a no-op
    assert current(url) == head()


def test_migrated_schema_matches_models(database_url: str) -> None:
    store = open_store(database_url)
    try:
        with store.engine.connect() as conn:
            diffs = compare_metadata(MigrationContext.configure(conn), Base.metadata)
            assert diffs == []
            assert set(inspect(conn).get_table_names()) >= set(Base.metadata.tables)
    finally:
        store.dispose()


def test_postgres_node_chunks_are_stored_plain(postgres_database: str) -> None:
    store = open_store(postgres_database)
    try:
        with store.read() as conn:
            storage = conn.exec_driver_sql(
                "SELECT attstorage FROM pg_attribute WHERE attrelid = 'batch_nodes'::regclass"
                " AND attname = 'nodes'"
            ).scalar()
        assert storage == "p"
    finally:
        store.dispose()


def test_cli_db_upgrade_and_current(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("NOTARY_DATABASE_URL", raising=False)
    monkeypatch.setenv("NOTARY_DATA_DIR", str(tmp_path / "data"))
    assert main(["db", "current"]) == 0
    assert "not migrated" in capsys.readouterr().out
    assert main(["db", "upgrade"]) == 0
    assert (tmp_path / "data" / "notary.db").exists()
    assert main(["db", "current"]) == 0
    assert head() in capsys.readouterr().out


def test_cli_reads_notary_database_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'elsewhere.db'}"
    monkeypatch.setenv("NOTARY_DATABASE_URL", url)
    assert main(["db", "upgrade"]) == 0
    assert current(url) == head()
