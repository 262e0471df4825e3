"""`notary dev`: the local chain, the database and the service in one command (`make run`)."""

from __future__ import annotations

import argparse
import signal
import threading

import uvicorn

from notary.cli.client import prompt_if_terminal
from notary.ops.localchain import chain_down, chain_up
from notary.settings.config import Settings
from notary.settings.keys import with_keystore_password
from notary.store.engine import open_store
from notary.store.migrate import upgrade
from notary.util.private_files import private_dir
from notary.worker.daemon import run_worker

DEV_STREAM_MIN_INTERVAL_S = 2
"""Shortest station interval on a developer's machine unless NOTARY_STREAM_MIN_INTERVAL
says otherwise: `notary demo-stream` feeds intervals of a few seconds (a service keeps 60)."""


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `dev` command."""
    parser = commands.add_parser(
        "dev", help="start the local chain, deploy, migrate SQLite and serve the API"
    )
    parser.add_argument(
        "--keep-chain", action="store_true", help="leave Anvil running when the service stops"
    )
    parser.set_defaults(run=_dev)


def dev_settings(settings: Settings) -> Settings:
    """`settings` with the developer's defaults where the environment set nothing."""
    if "stream_min_interval" in settings.model_fields_set:
        return settings
    return settings.model_copy(update={"stream_min_interval": DEV_STREAM_MIN_INTERVAL_S})


def _dev(args: argparse.Namespace) -> int:
    from api.app import create_app  # the web stack is only loaded by commands that serve
    from api.server import server_options

    settings = dev_settings(with_keystore_password(Settings(), prompt_if_terminal()))
    private_dir(settings.data_dir, data_dir=True)
    chain = chain_up(settings, attached=not args.keep_chain)  # dies with this process
    if settings.public_rpc_url is None:  # the local Anvil answers CORS: pages ask it too
        settings = settings.model_copy(update={"public_rpc_url": chain.rpc_url})
    upgrade(settings.resolved_database_url)
    base = f"http://{settings.host}:{settings.port}"
    print(f"chain     {chain.rpc_url}  (chain id {chain.deployment.chain_id})")
    print(f"registry  {chain.deployment.address}")
    print(f"database  {settings.resolved_database_url}")
    print(f"service   {base}")
    print(f"API docs  {base}/docs")
    stop = threading.Event()
    store = open_store(settings.resolved_database_url)
    # One process for local use: the anchoring worker runs beside the API in a thread.
    worker = threading.Thread(
        target=run_worker, args=(settings, store, stop.is_set), name="anchoring", daemon=True
    )
    worker.start()
    # uvicorn re-raises SIGTERM after its graceful shutdown; with a Python handler in place
    # that re-raise returns here and the `finally` below stops the worker and the chain.
    signal.signal(signal.SIGTERM, lambda signum, frame: None)
    try:
        uvicorn.run(
            create_app(settings),
            host=settings.host,
            port=settings.port,
            log_level="info",
            **server_options(settings),
        )
    finally:
        stop.set()
        worker.join(timeout=10)
        store.dispose()
        if chain.started and not args.keep_chain:
            chain_down(settings)
    return 0
