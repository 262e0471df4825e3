"""A local service inside this process: chain, migrations, anchoring worker and API.

What `notary dev` runs in the foreground, as a context manager for commands that need a
service for a while (`notary demo` when nothing answers at NOTARY_HOST:NOTARY_PORT). The
local chain is left running afterwards, so what was anchored can still be verified.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import uvicorn

from notary.cli.client import CliError, prompt_if_terminal
from notary.ops.localchain import LocalChain, chain_up
from notary.settings.config import Settings
from notary.settings.keys import with_keystore_password
from notary.store.engine import open_store
from notary.store.migrate import upgrade
from notary.util.private_files import private_dir
from notary.worker.daemon import run_worker

START_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class Running:
    """The service that was started, and the chain it anchors on."""

    base_url: str
    chain: LocalChain


@contextmanager
def local_service(settings: Settings) -> Iterator[Running]:
    """Start the chain (if needed), migrate, and serve the API with a worker until exit."""
    from api.app import create_app  # the web stack is only loaded by commands that serve
    from api.server import server_options

    settings = with_keystore_password(settings, prompt_if_terminal())
    private_dir(settings.data_dir, data_dir=True)
    chain = chain_up(settings)
    upgrade(settings.resolved_database_url)
    store = open_store(settings.resolved_database_url)
    stop = threading.Event()
    worker = threading.Thread(
        target=run_worker, args=(settings, store, stop.is_set), name="anchoring", daemon=True
    )
    config = uvicorn.Config(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_level="warning",
        **server_options(settings),
    )
    server = uvicorn.Server(config)
    serving = threading.Thread(target=server.run, name="api", daemon=True)
    worker.start()
    serving.start()
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while not server.started:
            if not serving.is_alive() or time.monotonic() > deadline:
                raise CliError(
                    f"the service did not start on {settings.host}:{settings.port}: is the "
                    "port taken? Set NOTARY_PORT, or start it yourself with `make run`"
                )
            time.sleep(0.05)
        yield Running(f"http://{settings.host}:{settings.port}", chain)
    finally:
        server.should_exit = True
        stop.set()
        serving.join(timeout=10)
        worker.join(timeout=10)
        store.dispose()
