"""`notary serve`: the HTTP API alone (run `notary worker` beside it to anchor)."""

from __future__ import annotations

import argparse

import uvicorn

from notary.cli.client import UsageError
from notary.ops.serving import reuse_port_available, serve_processes
from notary.settings.config import Settings

APP_FACTORY = "api.app:create_app"


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `serve` command."""
    parser = commands.add_parser(
        "serve", help="serve the API only (NOTARY_HOST:NOTARY_PORT); anchoring is `notary worker`"
    )
    parser.add_argument(
        "--workers", type=int, default=1, help="API processes sharing the port (default 1)"
    )
    parser.add_argument(
        "--no-access-log",
        dest="access_log",
        action="store_false",
        help="no line per request (/metrics still counts them by route and status)",
    )
    parser.set_defaults(run=_serve)


def _serve(args: argparse.Namespace) -> int:
    from api.server import server_options  # the web stack is only loaded by what serves

    settings = Settings()
    print(f"serving http://{settings.host}:{settings.port} ({args.workers} process(es))")
    # Each process builds its own app from NOTARY_* through the factory (nothing is shared
    # between them but the database and the chain); several get a socket each (SO_REUSEPORT).
    if args.workers > 1 and reuse_port_available():
        try:
            return serve_processes(
                APP_FACTORY,
                settings.host,
                settings.port,
                args.workers,
                log_level="info",
                access_log=args.access_log,
            )
        except OSError as exc:
            where = f"{settings.host}:{settings.port}"
            raise UsageError(f"cannot listen on {where}: {exc.strerror}") from None
    uvicorn.run(
        APP_FACTORY,
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=args.workers,
        log_level="info",
        access_log=args.access_log,
        **server_options(settings),
    )
    return 0
