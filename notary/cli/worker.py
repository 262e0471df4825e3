"""`notary worker`: the anchoring worker as its own process (one per deployment is active)."""

from __future__ import annotations

import argparse
import logging
import signal
import threading
from types import FrameType

from notary.cli.client import prompt_if_terminal
from notary.pipeline.operations import WorkerConfig
from notary.settings.config import Settings
from notary.settings.keys import with_keystore_password
from notary.store.engine import open_store
from notary.worker.daemon import run_worker


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `worker` command."""
    parser = commands.add_parser(
        "worker", help="seal batches and anchor them (waits its turn if another worker leads)"
    )
    parser.add_argument(
        "--max-backoff",
        type=_seconds,
        default=WorkerConfig.backoff_max_s,
        metavar="SECONDS",
        help="longest wait between tries while the chain fails (no answer, rate limits, "
        "errors); the wait doubles from 0.5 s up to this (default %(default)g)",
    )
    parser.set_defaults(run=_worker)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0.1 <= value <= 3600:
        raise argparse.ArgumentTypeError("a number of seconds from 0.1 to 3600")
    return value


def _worker(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    settings = with_keystore_password(Settings(), prompt_if_terminal())
    store = open_store(settings.resolved_database_url)
    try:
        config = WorkerConfig(confirmations=settings.confirmations, backoff_max_s=args.max_backoff)
        run_worker(settings, store, stop.is_set, config)
    finally:
        store.dispose()
    return 0
