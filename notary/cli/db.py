"""`notary db upgrade|current`: create or migrate the database, or show its revision."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from sqlalchemy.engine import make_url

from notary.store.migrate import current, head, upgrade
from notary.util.private_files import private_dir

DEFAULT_DATA_DIR = ".notary"


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `db` command."""
    parser = commands.add_parser("db", help="migrate the database or show its schema revision")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    actions.add_parser(
        "upgrade", help="create or migrate the database to the newest schema"
    ).set_defaults(run=_upgrade)
    actions.add_parser("current", help="print the database's schema revision").set_defaults(
        run=_current
    )


def database_url() -> str:
    """NOTARY_DATABASE_URL, else SQLite at $NOTARY_DATA_DIR/notary.db (default ./.notary)."""
    url = os.environ.get("NOTARY_DATABASE_URL")
    if url:
        return url
    data_dir = Path(os.environ.get("NOTARY_DATA_DIR") or DEFAULT_DATA_DIR)
    return f"sqlite:///{(data_dir / 'notary.db').resolve()}"


def _shown(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def _upgrade(args: argparse.Namespace) -> int:
    url = database_url()
    if url.startswith("sqlite:///"):
        private_dir(Path(url.removeprefix("sqlite:///")).parent, data_dir=True)
    upgrade(url)
    print(f"database {_shown(url)} is at revision {head()} (newest)")
    return 0


def _current(args: argparse.Namespace) -> int:
    url = database_url()
    missing = url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists()
    revision = None if missing else current(url)  # never create a file just to look
    if revision is None:
        print(f"database {_shown(url)} is not migrated; run `notary db upgrade`")
    else:
        state = "newest" if revision == head() else f"newest is {head()}"
        print(f"database {_shown(url)} is at revision {revision} ({state})")
    return 0
