"""The anchoring worker's lease on PostgreSQL (the fencing rule in notary.pipeline.leader):
a second worker takes it only after the first one's own deadline to send has passed, with
the next epoch; terminated connections do not end it; a release hands it over at once."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine, text

from notary.pipeline.leader import LeadershipLost, LeaseLock

pytestmark = [pytest.mark.postgres]
LEASE_S, SEND_S = 2.0, 0.5


@pytest.fixture
def engine(postgres_database: str) -> Iterator[Engine]:
    engine = create_engine(postgres_database)
    with engine.begin() as conn:  # free, as after a release
        conn.execute(text("UPDATE worker_lease SET expires_at = now(), holder = NULL"))
    try:
        yield engine
    finally:
        engine.dispose()


def test_a_standby_takes_the_next_epoch_only_after_the_holder_may_no_longer_send(
    engine: Engine,
) -> None:
    first, second = LeaseLock(engine, LEASE_S, SEND_S), LeaseLock(engine, LEASE_S, SEND_S)
    assert first.try_acquire() and not second.try_acquire()
    epoch = first.may_send(SEND_S)
    last_send_start = time.monotonic()
    # The holder is cut off: it renews no more. It may start a send only while one would
    # end before its deadline; the standby polls meanwhile.
    while not second.try_acquire():
        if time.monotonic() + SEND_S < first._valid_until:
            last_send_start = time.monotonic()
        time.sleep(0.01)
    taken = time.monotonic()
    assert second.epoch == epoch + 1
    assert last_send_start + SEND_S < taken  # every send of the old epoch ended before
    with pytest.raises(LeadershipLost):
        first.may_send(SEND_S)  # renewing finds its epoch gone
    assert not first.still_held()


def test_terminating_every_connection_does_not_end_the_lease(engine: Engine) -> None:
    holder, standby = LeaseLock(engine, 30.0, SEND_S), LeaseLock(engine, 30.0, SEND_S)
    assert holder.try_acquire()
    with create_engine(engine.url, isolation_level="AUTOCOMMIT").connect() as admin:
        admin.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        )
    assert not standby.try_acquire()
    assert holder.may_send(SEND_S) == holder.epoch


def test_a_release_hands_the_lease_over_at_once(engine: Engine) -> None:
    holder, standby = LeaseLock(engine, 30.0, SEND_S), LeaseLock(engine, 30.0, SEND_S)
    assert holder.try_acquire()
    epoch = holder.epoch
    holder.release()
    assert standby.try_acquire() and standby.epoch == (epoch or 0) + 1
    with pytest.raises(LeadershipLost):
        holder.may_send(SEND_S)
