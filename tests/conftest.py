"""Fixtures shared by every test tier: a real Anvil node, funded local accounts, and a
migrated database on each backend (SQLite in a temp dir; PostgreSQL on the server named
by NOTARY_TEST_POSTGRES_URL or, when nothing answers there, on a throwaway server started
for the session from Debian's binaries (`notary.ops.devdb`) and stopped at its end; without
either, PostgreSQL tests fail loudly)."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from web3 import Web3

from notary.chain.connection import connect
from notary.ops.anvil import AnvilNode, start_anvil
from notary.ops.devdb import DevDatabaseError, ThrowawayPostgres, server_answers, start_throwaway
from notary.store.migrate import upgrade

TEST_BALANCE_WEI = 1_000 * 10**18
DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
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


@pytest.fixture(scope="session")
def anvil() -> Iterator[AnvilNode]:
    """A throwaway Anvil on a free port, always stopped afterwards."""
    node = start_anvil()
    try:
        yield node
    finally:
        node.stop()


@pytest.fixture(scope="session")
def w3(anvil: AnvilNode) -> Web3:
    """A client of the session's Anvil."""
    return connect(anvil.url)


@pytest.fixture
def fund(w3: Web3) -> Callable[[], LocalAccount]:
    """Make a fresh random account with test ether (no well-known Anvil keys)."""

    def make() -> LocalAccount:
        account: LocalAccount = Account.create()
        w3.provider.make_request("anvil_setBalance", [account.address, hex(TEST_BALANCE_WEI)])
        return account

    return make


class _Postgres:
    """Which server the session's PostgreSQL tests use, decided on first need."""

    url: str | None = None
    throwaway: ThrowawayPostgres | None = None


def configured_postgres_url() -> str:
    """Where the tests look for a PostgreSQL server first."""
    return os.environ.get("NOTARY_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)


def postgres_server_url() -> str:
    """The server to create test databases on: the configured one if it answers, else a
    throwaway one started now and stopped when the session ends."""
    if _Postgres.url is None:
        configured = configured_postgres_url()
        if server_answers(configured):
            _Postgres.url = configured
        else:
            try:
                _Postgres.throwaway = start_throwaway()
            except DevDatabaseError as exc:
                pytest.fail(
                    f"PostgreSQL does not answer at {_shown(configured)} and {exc}",
                    pytrace=False,
                )
            _Postgres.url = _Postgres.throwaway.url
    return _Postgres.url


@pytest.fixture(scope="session", autouse=True)
def _throwaway_postgres_stops() -> Iterator[None]:
    """Stop the throwaway PostgreSQL server, if the session started one."""
    try:
        yield
    finally:
        if _Postgres.throwaway is not None:
            _Postgres.throwaway.stop()


def pytest_report_header(config: pytest.Config) -> str:
    """Say where PostgreSQL tests will create their databases."""
    configured = configured_postgres_url()
    if server_answers(configured, timeout_s=1):
        return f"postgresql: the server at {_shown(configured)}"
    return (
        f"postgresql: nothing answers at {_shown(configured)}; a throwaway server from "
        "Debian's binaries starts when a test needs one, and stops at the end"
    )


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say which throwaway server the session used (it is stopped by now)."""
    server = _Postgres.throwaway
    if server is not None:
        state = "stopped" if not server.alive() else "STILL RUNNING"
        terminalreporter.write_line(f"postgresql: the tests used {server.describe()}; {state}")


def _shown(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


@contextmanager
def _new_postgres_database() -> Iterator[str]:
    """A new, empty database on the test server, dropped afterwards."""
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
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A migrated database created for this session on the test server, dropped afterwards."""
    with _new_postgres_database() as url:
        upgrade(url)
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with no tables yet on each backend, for tests of the migrations."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'notary.db'}"
        return
    with _new_postgres_database() as url:
        yield url


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
