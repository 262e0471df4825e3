"""What every command that calls the service shares: its options, its API key, the
client (`notary.client.service`) they name, and the errors the command line reports."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Callable
from pathlib import Path

from notary.client.service import Client
from notary.core.errors import NotaryError
from notary.settings.config import Settings

EXIT_USAGE = 2
EXIT_FAILED = 4
"""Exit codes of errors: 2 the input or the usage is wrong, 4 an operation could not be done."""
API_KEY_ENV = "NOTARY_API_KEY"
ADMIN_KEY_FILE = "admin-api.key"
"""Where `make run` leaves the local admin key, in NOTARY_DATA_DIR/keys (notary.settings.safety)."""


class CliError(NotaryError):
    """An error the command line reports as one line with its own exit code."""

    exit_code = EXIT_FAILED


class UsageError(CliError):
    """The command was given something it cannot use."""

    exit_code = EXIT_USAGE


def read_api_key(key_file: Path | None, *, admin: bool = False) -> str | None:
    """The API key: from `key_file`, else NOTARY_API_KEY (or NOTARY_ADMIN_KEY for admin)."""
    if key_file is not None:
        try:
            key = key_file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise UsageError(f"cannot read the API key file {key_file}: {exc.strerror}") from None
        if not key:
            raise UsageError(f"the API key file {key_file} is empty")
        return key
    names = ("NOTARY_ADMIN_KEY",) if admin else (API_KEY_ENV,)
    for name in names:
        value = os.environ.get(name, "").strip()
        if value:
            return value
    return None


SERVER_ENV = "NOTARY_SERVER"


def add_service_options(parser: argparse.ArgumentParser, *, admin: bool = False) -> None:
    """--server and --api-key-file, the options of every command that calls the service."""
    parser.add_argument(
        "--server",
        metavar="URL",
        help=f"the notary service (default ${SERVER_ENV}, else NOTARY_PUBLIC_URL or "
        "http://NOTARY_HOST:NOTARY_PORT)",
    )
    who = (
        "the admin key (default NOTARY_ADMIN_KEY, else the local data dir's)"
        if admin
        else (f"an issuer's API key (default ${API_KEY_ENV})")
    )
    parser.add_argument("--api-key-file", type=Path, metavar="FILE", help=f"a file holding {who}")


def service_from(args: argparse.Namespace, *, admin: bool = False) -> Client:
    """The client of the service the command's options name (over the test client main()
    was given, if any)."""
    settings = Settings()
    server = args.server or os.environ.get(SERVER_ENV) or settings.base_url
    key = read_api_key(args.api_key_file, admin=admin)
    if key is None and admin:
        local = settings.keys_dir / ADMIN_KEY_FILE  # what `make run` created
        if local.is_file():
            key = local.read_text(encoding="utf-8").strip()
    if key is None:
        where = (
            "NOTARY_ADMIN_KEY or --api-key-file" if admin else f"{API_KEY_ENV} or --api-key-file"
        )
        raise UsageError(f"no API key: set {where}")
    return Client(server, key, http=getattr(args, "http", None), admin=admin)


def prompt_if_terminal() -> Callable[[str], str] | None:
    """getpass when a person is at the terminal; None in services and pipes."""
    return getpass.getpass if sys.stdin.isatty() else None
