"""Schema migrations (Alembic, shipped inside the package) run from code or the CLI."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from notary.store.engine import make_engine

SCRIPT_LOCATION = "notary:migrations"


def alembic_config(database_url: str) -> Config:
    """An Alembic configuration for our migrations and `database_url` (no alembic.ini)."""
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    # ConfigParser interpolation: a literal % in a password must be doubled.
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """Bring the database at `database_url` up to `revision` (creating tables from empty)."""
    command.upgrade(alembic_config(database_url), revision)


def current(database_url: str) -> str | None:
    """The revision the database is at, or None when it was never migrated."""
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


def head() -> str:
    """The newest revision shipped with this version of notary."""
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    revision = script.get_current_head()
    if revision is None:
        raise RuntimeError("no migrations found in notary/migrations")
    return revision
