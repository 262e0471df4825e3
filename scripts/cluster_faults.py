"""Faults injected into a running `notary.ops.cluster.Cluster`: what the soak and the cluster
tests do to it. Not part of the package: nothing that runs notary needs to break it."""

from __future__ import annotations

import os
import signal
import time

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from notary.ops.cluster import Cluster


def kill_leader(cluster: Cluster) -> float:
    """SIGKILL the leading worker and, once the standby leads, start a new standby in its
    place; when it was killed."""
    index = cluster.leader()
    os.killpg(cluster.workers[index].popen.pid, signal.SIGKILL)
    killed_at = time.time()
    cluster.workers[index].popen.wait(10)
    # The killed worker's lease runs out before anyone may lead: a replacement started
    # now would race the standby for it.
    cluster.leader(timeout_s=60)
    cluster.workers[index] = cluster.start_worker(index)
    return killed_at


def stop_chain(cluster: Cluster) -> None:
    """Stop the cluster's Anvil (its state file keeps what was written up to a second ago);
    `cluster.start_chain()` starts it again."""
    if cluster.chain is not None:
        cluster.chain.stop()
        cluster.chain = None


def terminate_database_connections(cluster: Cluster) -> int:
    """`pg_terminate_backend` every other connection to the cluster's database; how many."""
    url = make_url(cluster.database_url)
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            killed = conn.execute(
                text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                    " WHERE datname = :db AND pid <> pg_backend_pid()"
                ),
                {"db": url.database},
            ).scalar_one()
    finally:
        admin.dispose()
    return int(killed)
