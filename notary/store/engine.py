"""Database engines and the `Store` handle: SQLite in WAL mode, or PostgreSQL by URL.

Nothing is created at import time; `open_store(url)` builds an engine when asked.

SQLite pragmas, per connection:
- journal_mode=WAL: readers never block the writer and the writer never blocks readers.
- synchronous=FULL: every commit fsyncs the WAL, so a document we answered "accepted"
  for survives a power cut or kernel panic, not just a process crash (NORMAL only
  guarantees the latter). Bulk accepts amortise the one fsync over 10,000 documents.
- foreign_keys=ON: SQLite ignores REFERENCES otherwise.
The file is created 0600 before each new connection opens it (`notary.util.private_files`): it
holds metadata and salts, and SQLite gives the -wal and -shm the database's own mode.
- busy_timeout: a writer waits for the single write lock instead of failing at once.
- wal_autocheckpoint: high, because a `WalCheckpointer` thread checkpoints every second
  (see `notary.store.checkpoint`).
Write transactions start with BEGIN IMMEDIATE: taking the write lock up front means a
transaction that read first can never fail half-way with SQLITE_BUSY when it writes.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url

from notary.store.checkpoint import AUTOCHECKPOINT_PAGES, WalCheckpointer
from notary.util.private_files import private_database

SQLITE_BUSY_TIMEOUT_MS = 30_000
"""How long a SQLite writer waits for the write lock (sealing 1M documents takes seconds)."""
SQLITE_CACHE_KIB = 64 * 1024
"""Page cache per connection: the unique leaf/dedup indexes are random-access B-trees."""
_IMMEDIATE = "notary_immediate"


@dataclass(frozen=True)
class Store:
    """An engine plus the two ways to use it: a read transaction or a write transaction."""

    engine: Engine
    checkpointer: WalCheckpointer | None = None

    @property
    def is_sqlite(self) -> bool:
        """True for SQLite, False for PostgreSQL."""
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A transaction that commits on success (BEGIN IMMEDIATE on SQLite)."""
        with self.engine.connect() as conn:
            conn = conn.execution_options(**{_IMMEDIATE: True})
            with conn.begin():
                yield conn

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read-only snapshot transaction, rolled back at the end."""
        with self.engine.connect() as conn, conn.begin() as tx:
            yield conn
            tx.rollback()

    @contextmanager
    def lookup(self) -> Iterator[Connection]:
        """For reads that need no snapshot across statements: each statement reads what
        is committed, and what a later one reads never changes once written (a sealed
        batch, its nodes), so no mix of two states can be seen.

        No transaction of its own: on PostgreSQL BEGIN and ROLLBACK would be two of a
        proof lookup's five round trips; on SQLite they cost half a verification's lookup.
        """
        with self.engine.connect() as conn:
            yield conn if self.is_sqlite else conn.execution_options(isolation_level="AUTOCOMMIT")

    def dispose(self) -> None:
        """Stop the background checkpoints and close every pooled connection."""
        if self.checkpointer is not None:
            self.checkpointer.stop()
        self.engine.dispose()


class HeldLookups:
    """`Store.lookup` for one thread that looks up often: a connection kept checked out.

    A pool checkout and return cost as much as a verification's SQLite lookup itself.
    Not thread-safe: for the API's event loop, on SQLite.
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self._conn: Connection | None = None

    @contextmanager
    def lookup(self) -> Iterator[Connection]:
        """The held connection (a new one if it was lost); any transaction a statement
        began ends with the block, so no snapshot outlives it."""
        conn = self._conn
        if conn is None or conn.invalidated:
            self.close()
            conn = self._conn = self.store.engine.connect()
        try:
            yield conn
        finally:
            if conn.in_transaction():
                conn.rollback()

    def close(self) -> None:
        """Return the connection to the pool."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for `url` (sqlite:///… or postgresql+psycopg://…) with our settings."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(url, **kwargs)
    if parsed.get_backend_name() == "postgresql":
        # No pool_pre_ping: its SELECT 1 per checkout was a sixth of a proof lookup. After
        # the server restarts, the first use of a pooled connection fails (the API answers
        # 503, retry) and SQLAlchemy then replaces every connection of the pool.
        return create_engine(url, **kwargs)
    raise ValueError(
        f"unsupported database {parsed.render_as_string(hide_password=True)}: "
        "use sqlite:///PATH or postgresql+psycopg://…"
    )


def open_store(url: str, **kwargs: Any) -> Store:
    """A `Store` on a new engine for `url`; a SQLite file is checkpointed in the background."""
    engine = make_engine(url, **kwargs)
    path = engine.url.database if engine.dialect.name == "sqlite" else None
    if not path or path == ":memory:":
        return Store(engine)
    return Store(engine, WalCheckpointer(path))


def _sqlite_engine(url: str, **kwargs: Any) -> Engine:
    engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, **kwargs)
    path = engine.url.database
    if path and path != ":memory:" and not path.startswith("file:"):

        @event.listens_for(engine, "do_connect")
        def _private_file(*_: Any) -> None:
            # Before SQLite opens (and would create) it: 0600, and so its -wal and -shm.
            private_database(Path(path))

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Driver autocommit, so that we (not pysqlite) decide how transactions begin.
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        for pragma in (
            "journal_mode=WAL",
            "synchronous=FULL",
            "foreign_keys=ON",
            f"busy_timeout={SQLITE_BUSY_TIMEOUT_MS}",
            f"cache_size=-{SQLITE_CACHE_KIB}",
            f"wal_autocheckpoint={AUTOCHECKPOINT_PAGES}",
        ):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get(_IMMEDIATE, False)
        # Straight to the driver: through exec_driver_sql, BEGIN cost more than the
        # verification lookup that follows it (it runs SQLAlchemy's whole statement path).
        driver = conn.connection.driver_connection
        assert driver is not None  # a checked-out connection
        driver.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine
