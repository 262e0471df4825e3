"""`notary serve`: the HTTP API alone (run `notary worker` beside it to anchor)."""

from __future__ import annotations

import argparse

import uvicorn

from notary.config import Settings

APP_FACTORY = "api.app:create_app"


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `serve` command."""
    parser = commands.add_parser(
        "serve", help="serve the API only (NOTARY_HOST:NOTARY_PORT); anchoring is `notary worker`"
    )
    parser.add_argument(
        "--workers", type=int, default=1, help="API processes sharing the port (default 1)"
    )
    parser.set_defaults(run=_serve)


def _serve(args: argparse.Namespace) -> int:
    settings = Settings()
    print(f"serving http://{settings.host}:{settings.port} ({args.workers} process(es))")
    # The factory string lets uvicorn start several processes, each building its own app
    # from NOTARY_* (nothing is shared between them but the database and the chain).
    uvicorn.run(
        APP_FACTORY,
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=args.workers,
        log_level="info",
    )
    return 0
