"""Alembic environment: migrates the database at the URL handed over by notary.store.migrate.

SQLite rebuilds a table to alter it (batch mode): it copies the rows to a new table, drops
the old one and renames the new one. With foreign keys enforced, dropping a table that
other rows refer to fails, so, as SQLite prescribes for schema changes, enforcement is
off while migrating and `PRAGMA foreign_key_check` must find nothing before the commit.
"""

from __future__ import annotations

from typing import Any

from alembic import context
from sqlalchemy import Connection, event

from notary.store.engine import make_engine
from notary.store.models import Base

config = context.config
target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    sqlite = connection.dialect.name == "sqlite"
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things in place; batch mode copies the table instead.
        render_as_batch=sqlite,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
        if sqlite:
            _check_foreign_keys(connection)


def _check_foreign_keys(connection: Connection) -> None:
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
    if broken:
        table, rowid, parent, _ = broken[0]
        raise RuntimeError(
            f"migration left {len(broken)} broken foreign keys, e.g. {table} row {rowid} → {parent}"
        )


def _foreign_keys_off(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.execute("PRAGMA foreign_keys=OFF")


def run_migrations_online() -> None:
    """Migrate the database at `sqlalchemy.url`."""
    engine = make_engine(config.get_main_option("sqlalchemy.url") or "")
    if engine.dialect.name == "sqlite":
        # Runs after the engine's own connect listener (which turns enforcement on) and
        # outside any transaction, where SQLite honours it; the engine is disposed below.
        event.listen(engine, "connect", _foreign_keys_off)
    try:
        with engine.connect() as conn:
            _run(conn)
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported; run `notary db upgrade`")
run_migrations_online()
