"""Run the anchoring worker and SIGKILL this process at a named point.

Used by the fault tests: `python crashing_worker.py POINT` with NOTARY_* set. The points
are the four moments where a crash could lose or duplicate work: right after sealing a
batch, after storing the signed transaction, after broadcasting it, and after it was
mined but before the worker recorded that.
"""

from __future__ import annotations

import os
import signal
import sys
from typing import Any

from notary.chain.sender import TxSender
from notary.pipeline.ledger import StoreLedger
from notary.settings.config import Settings
from notary.store.engine import open_store
from notary.worker import daemon

POINTS = ("sealed", "signed", "broadcast", "mined")


def die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def kill_after(owner: Any, name: str, only_if_result: bool = False) -> None:
    original = getattr(owner, name)

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        result = original(*args, **kwargs)
        if result or not only_if_result:
            die()
        return result

    setattr(owner, name, wrapped)


def kill_before(owner: Any, name: str) -> None:
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        die()

    setattr(owner, name, wrapped)


def main(point: str) -> None:
    if point == "sealed":
        kill_after(daemon, "seal_due_batches", only_if_result=True)
    elif point == "signed":
        kill_after(StoreLedger, "record_signed")
    elif point == "broadcast":
        kill_after(TxSender, "broadcast")
    elif point == "mined":
        kill_before(StoreLedger, "record_mined")
    else:
        raise SystemExit(f"unknown crash point {point!r}; one of {POINTS}")
    settings = Settings()
    daemon.run_worker(settings, open_store(settings.resolved_database_url), lambda: False)


if __name__ == "__main__":
    main(sys.argv[1])
