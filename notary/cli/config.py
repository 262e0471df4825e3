"""`notary config show`: every setting, its value and where it came from; secrets redacted."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from dotenv import dotenv_values
from pydantic import SecretStr
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from notary.cli.client import API_KEY_ENV, SERVER_ENV
from notary.cli.output import table
from notary.settings.config import Settings

PREFIX = "NOTARY_"
ENV_FILE = Path(".env")
CLI_ONLY = {SERVER_ENV: False, API_KEY_ENV: True}
"""Variables only the command line reads (name -> secret)."""
REDACTED = "(set, redacted)"


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `config` command."""
    parser = commands.add_parser("config", help="show the configuration in effect")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    actions.add_parser(
        "show", help="every setting, its value and where it came from (secrets redacted)"
    ).set_defaults(run=_show)


def settings_rows(settings: Settings, env_file: Path = ENV_FILE) -> list[tuple[str, str, str]]:
    """(variable, shown value, source) for every setting; secrets never shown."""
    from_file = (
        {k.upper(): v for k, v in dotenv_values(env_file).items()} if env_file.exists() else {}
    )
    rows = []
    for name in type(settings).model_fields:
        variable = PREFIX + name.upper()
        value = getattr(settings, name)
        if variable in os.environ:
            source = "environment"
        elif variable in from_file:
            source = str(env_file)
        else:
            source = "default"
        rows.append((variable, _shown(name, value), source))
    rows.append(("(database in use)", _shown("database_url", settings.resolved_database_url), ""))
    for variable, secret in CLI_ONLY.items():
        value = os.environ.get(variable)
        shown = "" if value is None else (REDACTED if secret else value)
        rows.append((variable, shown, "environment" if value is not None else "unset (CLI only)"))
    return rows


def _shown(name: str, value: Any) -> str:
    if isinstance(value, SecretStr):
        return REDACTED
    if value is None:
        return ""
    if name == "database_url":
        try:  # a password in the URL is a secret too
            return make_url(str(value)).render_as_string(hide_password=True)
        except ArgumentError:
            return REDACTED
    return str(value)


def _show(args: argparse.Namespace) -> int:
    print(table(("variable", "value", "from"), settings_rows(Settings())))
    return 0
