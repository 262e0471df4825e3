"""Running the anchoring worker as a process: wait to be leader, then seal and anchor.

Several of these may run (one per replica); the leader lock lets exactly one anchor at
a time, and the others take over when it dies or stops renewing its lease; every
transaction goes out through a `FencedSender` (see `notary.pipeline.leader`).
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable

from sqlalchemy.exc import DBAPIError

from notary.pipeline.batcher import seal_due_batches
from notary.pipeline.leader import (
    FencedSender,
    LeaderLock,
    LeadershipLost,
    leader_lock_for,
    lease_timing,
)
from notary.pipeline.ledger import StoreLedger
from notary.pipeline.operations import AnchoringWorker, WorkerConfig
from notary.pipeline.revocations import queue_revocations
from notary.pipeline.signers import SignerView
from notary.settings.config import Settings
from notary.settings.runtime import open_registry, open_sender
from notary.store.engine import Store
from notary.streams.sealer import seal_due_intervals
from notary.streams.signing import ChainSigningIssuers

log = logging.getLogger("notary.worker")
LEADER_POLL_S = 0.25
"""How often a standby asks for the lock: a takeover starts at most this long after."""


__all__ = ["LeadershipLost", "build_worker", "run_worker"]


def build_worker(
    settings: Settings,
    store: Store,
    lock: LeaderLock | None = None,
    config: WorkerConfig | None = None,
) -> AnchoringWorker:
    """A worker that queues revocations, seals due intervals and batches before each step."""

    def prepare_operations() -> None:
        if lock is not None and not lock.still_held():
            raise LeadershipLost("the leader lock was lost")
        queue_revocations(store)
        now = dt.datetime.now(dt.UTC)
        # Their documents go into the batch sealed next; a station catching up fills at
        # most half of it, so documents accepted meanwhile are not held behind it.
        # A signing issuer's intervals await its signature instead (`notary.streams.signing`).
        seal_due_intervals(store, now, catch_up=max(1, settings.batch_max // 2), signing=signing)
        seal_due_batches(
            store,
            now,
            batch_max=settings.batch_max,
            batch_interval_s=settings.batch_interval,
        )

    registry = open_registry(settings)
    signing = ChainSigningIssuers(SignerView(registry, settings.signer_max_age))
    sender = open_sender(settings, registry)
    if lock is not None:
        sender = FencedSender(sender, lock, lease_timing(settings.rpc_timeout)[1])
    return AnchoringWorker(
        StoreLedger(store),
        sender,
        config or WorkerConfig(confirmations=settings.confirmations),
        before_step=prepare_operations,
    )


def run_worker(
    settings: Settings,
    store: Store,
    should_stop: Callable[[], bool],
    config: WorkerConfig | None = None,
) -> None:
    """Become leader (waiting as long as needed), then anchor until `should_stop()`.

    A leader that loses its lock or its database (connections terminated, a failover)
    steps down and stands by again: another worker may lead meanwhile, and whichever
    holds the lock next resumes from the database's records.
    """
    lock = leader_lock_for(store.engine, settings.rpc_timeout)
    try:
        while not should_stop():
            if not lock.try_acquire():
                time.sleep(LEADER_POLL_S)
                continue
            log.info("anchoring worker is leader")
            try:
                build_worker(settings, store, lock, config).run(should_stop)
            except (LeadershipLost, DBAPIError) as exc:
                log.warning("stepping down, standing by: %s", str(exc).splitlines()[0][:200])
                lock.release()
                time.sleep(LEADER_POLL_S)
    finally:
        lock.release()
