"""One store, two backends: every test here runs on SQLite (a temp file) and PostgreSQL.

PostgreSQL: a fresh database is created on the server named by NOTARY_TEST_POSTGRES_URL
for the test session and dropped afterwards. If that server cannot be reached the
PostgreSQL half of the suite fails with a message saying so (never silently skipped).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from notary.core.types import to_checksum_address
from notary.store.engine import Store, open_store
from notary.store.issuers import create_issuer
from notary.store.migrate import upgrade

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
ISSUER = to_checksum_address("0x" + "5a" * 20)
TABLES = (
    "revocations",
    "documents",
    "chain_ops",
    "batch_nodes",
    "api_keys",
    "issuers",
    "batches",
    "audit_log",
)


def postgres_server_url() -> str:
    """The server to create test databases on."""
    return os.environ.get("NOTARY_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A migrated database created for this session on the test server, dropped afterwards."""
    server = make_url(postgres_server_url())
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    name = f"notary_test_{secrets.token_hex(4)}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as exc:
        admin.dispose()
        pytest.fail(
            f"PostgreSQL is not reachable at {server.render_as_string(hide_password=True)} "
            f"({type(exc.orig).__name__}). Start it, or point the tests at another server "
            "with NOTARY_TEST_POSTGRES_URL=postgresql+psycopg://USER@HOST:PORT/DB "
            "(a database the user may CREATE DATABASE from).",
            pytrace=False,
        )
    url = server.set(database=name).render_as_string(hide_password=False)
    try:
        upgrade(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated, empty database on each backend."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'notary.db'}"
        upgrade(url)
        yield url
        return
    url = request.getfixturevalue("postgres_database")
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE"))
    engine.dispose()
    yield url


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    """A store on the migrated database, with one active issuer (ISSUER)."""
    handle = open_store(database_url)
    with handle.write() as conn:
        create_issuer(conn, ISSUER, "Sở Tài nguyên và Môi trường", jurisdiction="VN-HN")
    try:
        yield handle
    finally:
        handle.dispose()
