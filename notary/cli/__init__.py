"""The `notary` command line: one sub-command module per resource.

Every error is caught once here and printed as one line saying what went wrong and what
to do (`--debug` shows the traceback too). Exit codes: 0 done (for `verify`: VALID);
1 `verify` found the document INVALID or REVOKED; 2 bad usage or input; 3 `verify` cannot
say yet (PENDING, UNVERIFIABLE); 4 an operation failed (service or chain unreachable,
wrong key, disk full, refused).
"""

from __future__ import annotations

import argparse
import errno
import sys
import traceback
from collections.abc import Sequence

import httpx2
import requests
from pydantic import ValidationError
from web3.exceptions import Web3Exception

from notary.chain.connection import chain_failure
from notary.cli import (
    chain,
    cluster,
    config,
    db,
    demo,
    dev,
    info,
    issuer,
    key,
    revoke,
    serve,
    stamp,
    stream,
    upgrade,
    verify,
    worker,
)
from notary.cli.client import API_KEY_ENV, EXIT_FAILED, EXIT_USAGE, CliError
from notary.client.service import ServiceError, ServiceUnreachable, WrongKey
from notary.core.errors import FormatError, NotaryError

EXIT_INTERRUPTED = 130


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every sub-command registered."""
    parser = argparse.ArgumentParser(prog="notary", description=__doc__.splitlines()[0])
    parser.add_argument("--debug", action="store_true", help="show tracebacks of errors")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in (
        stamp,
        upgrade,
        verify,
        info,
        issuer,
        key,
        revoke,
        demo,
        config,
        serve,
        worker,
        dev,
        chain,
        db,
        stream,
        cluster,
    ):
        module.register(commands)
    return parser


def main(argv: Sequence[str] | None = None, *, http: httpx2.Client | None = None) -> int:
    """Run the CLI; returns the process exit code.

    `http` replaces the HTTP client of commands that call the service (tests pass a
    TestClient of an app in the same process).
    """
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # argparse has printed its usage line
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    args.http = http
    try:
        result: int = args.run(args)
    except KeyboardInterrupt:
        print("notary: interrupted; run the same command again to resume", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:
        if args.debug:
            traceback.print_exc()
        message, code = _explain(exc)
        print(f"notary: {message}", file=sys.stderr)
        return code
    return result


def _explain(exc: Exception) -> tuple[str, int]:
    """One line for an error, and its exit code."""
    if isinstance(exc, CliError):
        return str(exc), exc.exit_code
    if isinstance(exc, ServiceError):
        return f"{exc}{_what_to_do(exc)}", EXIT_USAGE if exc.caller_error else EXIT_FAILED
    if isinstance(exc, FormatError):
        return str(exc), EXIT_USAGE
    if isinstance(exc, ValidationError) and exc.title == "Settings":  # a NOTARY_* variable
        error = exc.errors(include_url=False)[0]
        name = "NOTARY_" + "_".join(str(part) for part in error["loc"]).upper()
        return f"{name}: {error['msg'].removeprefix('Value error, ')}", EXIT_USAGE
    if isinstance(exc, NotaryError):
        return exc.diagnostics(), EXIT_FAILED
    if isinstance(exc, Web3Exception | requests.RequestException):
        failure = chain_failure(_url_of(exc), exc)  # what the node did, not "unexpected"
        if failure is not None:
            return failure.diagnostics(), EXIT_FAILED
    if isinstance(exc, OSError):
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return f"no space left on the device ({exc.filename or 'writing'}): free some", 4
        where = f" {exc.filename}" if exc.filename else ""
        return f"cannot use{where}: {exc.strerror or exc}", EXIT_FAILED
    return (
        f"unexpected {type(exc).__name__}: {exc} (run again with --debug and report it)",
        EXIT_FAILED,
    )


def _what_to_do(exc: ServiceError) -> str:
    """What the command line's user does about a failure of the service's client."""
    if isinstance(exc, ServiceUnreachable):
        return ": start it (`make run` or `notary serve`) or pass --server URL"
    if isinstance(exc, WrongKey):
        if exc.admin:
            return ": give the admin key (NOTARY_ADMIN_KEY, or --api-key-file)"
        return f": give an issuer's API key ({API_KEY_ENV}, or --api-key-file)"
    return ""


def _url_of(exc: Exception) -> str:
    """The endpoint a failed request of web3's provider went to, if it says."""
    request = getattr(exc, "request", None)
    return str(getattr(request, "url", "") or "")


if __name__ == "__main__":
    sys.exit(main())
