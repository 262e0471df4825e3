"""Intervals of a signing issuer's station (migration 0013), on SQLite and PostgreSQL: sealed
but never accepted unsigned, they await the issuer's signature; one signature over the
root of many intervals' leaves accepts them through the signed-acceptance path."""

from __future__ import annotations

import datetime as dt
import os
import threading

import pytest
from alembic import command
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.exc import IntegrityError

from notary.core.errors import FormatError
from notary.core.issuer_signing import IssuerKey, RegistryDomain
from notary.core.merkle import leaf_hash
from notary.core.metadata import metadata_digest
from notary.core.signing import ServiceKey
from notary.core.streams import interval_root
from notary.core.types import Leaf, LeafValues
from notary.pipeline.batcher import seal_due_batches
from notary.pipeline.receipts import ReceiptContext
from notary.pipeline.revocations import request_revocation
from notary.pipeline.submissions import IssuerKeys, SignatureRefused, SubmissionSignature
from notary.store.engine import Store, open_store
from notary.store.issuers import create_issuer
from notary.store.migrate import alembic_config, upgrade
from notary.store.models import Document, Submission
from notary.streams.awaiting import (
    IntervalClaim,
    IntervalSignedAlready,
    awaiting_counts,
    awaiting_intervals,
    leaves_root_of,
    sign_intervals,
)
from notary.streams.export import EndsEarly
from notary.streams.ingest import ingest
from notary.streams.proof import ReadingNotSealed, reading_proof
from notary.streams.sealer import seal_due_intervals
from notary.streams.stations import StationRecord, get_station
from notary.streams.window import plan_window

from .conftest import ISSUER
from .test_streams import T0, at, readings, sealed_rows, station

DOMAIN = RegistryDomain.of(31337, "0x" + "42" * 20)
OFFICE = IssuerKey(bytes.fromhex("11" * 32))
SIGNS = IssuerKeys(ISSUER, 7, frozenset({OFFICE.address}))


def signs(issuer: str) -> bool:
    return True


def _sealed_awaiting(store: Store, intervals: int = 3) -> StationRecord:
    made = station(store)
    ingest(store, made, readings((T0 + 10, "PM2.5", 35.2), (T0 + 20, "SO2", "0.41")), at(T0))
    end = T0 + intervals * made.interval_s + made.grace_s
    seal_due_intervals(store, at(end), signing=signs)
    with store.read() as conn:
        return get_station(conn, made.code)


def _signature(
    store: Store, made: StationRecord, key: IssuerKey = OFFICE
) -> tuple[list[IntervalClaim], SubmissionSignature]:
    with store.read() as conn:
        waiting = awaiting_intervals(conn, made)
    root = leaves_root_of([w.leaf for w in waiting])
    signature = key.sign_submission(DOMAIN, ISSUER, root)
    claims = [IntervalClaim(w.start, w.leaf) for w in waiting]
    return claims, SubmissionSignature(signature, DOMAIN, SIGNS)


def _documents(store: Store) -> int:
    with store.read() as conn:
        return int(conn.execute(select(func.count()).select_from(Document)).scalar_one())


def test_a_signing_issuers_interval_is_sealed_without_a_document(store: Store) -> None:
    made = _sealed_awaiting(store)
    rows = sealed_rows(store)
    assert [r["start_s"] for r in rows] == [T0, T0 + 300, T0 + 600]
    assert all(r["document_id"] is None and r["awaiting_metadata"] for r in rows)
    assert _documents(store) == 0  # nothing the batcher could anchor unsigned
    assert made.sealed_until == T0 + 900
    with store.read() as conn:
        waiting = awaiting_intervals(conn, made)
        assert awaiting_counts(conn) == {made.id: (3, T0)}
        assert [w.start for w in awaiting_intervals(conn, made, after=T0, limit=1)] == [T0 + 300]
    first = waiting[0]
    assert first.root == interval_root(
        "HN-01", T0, readings((T0 + 10, "PM2.5", 35.2), (T0 + 20, "SO2", "0.41"))
    )
    assert first.metadata["count"] == 2 and len(first.metadata["salt"]) == 32
    assert first.leaf == leaf_hash(LeafValues(first.root, ISSUER, metadata_digest(first.metadata)))


def test_an_issuer_nobody_can_say_signs_is_not_sealed_now(store: Store) -> None:
    made = station(store)
    assert seal_due_intervals(store, at(T0 + 330), signing=lambda issuer: None) == []
    assert sealed_rows(store) == []
    sealed = seal_due_intervals(store, at(T0 + 330), signing=lambda issuer: False)
    assert [s.start for s in sealed] == [made.since] and not sealed[0].awaiting_signature
    assert _documents(store) == 1


def test_one_signature_accepts_many_intervals_as_one_submission(store: Store) -> None:
    made = _sealed_awaiting(store)
    claims, signed = _signature(store, made)
    with store.write() as conn:
        done = sign_intervals(conn, made, claims, signed, at(T0 + 1000))
    assert (done.accepted, done.signer) == (3, OFFICE.address)
    with store.read() as conn:
        assert awaiting_intervals(conn, made) == [] and awaiting_counts(conn) == {}
        linked = conn.execute(
            select(Document.leaf, Submission.leaves_root).join(
                Submission, Document.submission_id == Submission.id
            )
        ).all()
    assert {Leaf(leaf) for leaf, _ in linked} == {c.leaf for c in claims}
    assert {bytes(root) for _, root in linked} == {done.leaves_root.raw}
    assert all(r["document_id"] and r["awaiting_metadata"] is None for r in sealed_rows(store))
    with store.write() as conn:  # the same submission again: nothing new, no error
        again = sign_intervals(conn, made, claims, signed, at(T0 + 1001))
    assert (again.accepted, again.leaves_root, again.signer) == (
        0,
        done.leaves_root,
        OFFICE.address,
    )
    stranger = IssuerKey(os.urandom(32)).sign_submission(DOMAIN, ISSUER, done.leaves_root)
    forged = SubmissionSignature(stranger, DOMAIN, SIGNS)
    with pytest.raises(SignatureRefused), store.write() as conn:  # sent again, but not signed
        sign_intervals(conn, made, claims, forged)
    assert _documents(store) == 3


def test_a_refused_signature_accepts_nothing(store: Store) -> None:
    made = _sealed_awaiting(store)
    claims, _ = _signature(store, made)
    _, stranger = _signature(store, made, IssuerKey(os.urandom(32)))
    with pytest.raises(SignatureRefused) as refused, store.write() as conn:
        sign_intervals(conn, made, claims, stranger)
    assert refused.value.field == "signature"
    _, signed = _signature(store, made)
    with pytest.raises(SignatureRefused), store.write() as conn:  # over 3 leaves, not 2
        sign_intervals(conn, made, claims[:2], signed)
    bad_leaf = [claims[0], IntervalClaim(claims[1].start, claims[0].leaf), claims[2]]
    with pytest.raises(FormatError) as wrong, store.write() as conn:
        sign_intervals(conn, made, bad_leaf, signed)
    assert wrong.value.field == "intervals[1].leaf"
    with pytest.raises(FormatError) as unknown, store.write() as conn:
        sign_intervals(conn, made, [*claims, IntervalClaim(T0 + 900)], signed)
    assert unknown.value.field == "intervals[3].start"
    with pytest.raises(FormatError) as twice, store.write() as conn:
        sign_intervals(conn, made, [*claims, claims[0]], signed)
    assert twice.value.field == "intervals[3].start"
    assert _documents(store) == 0 and len(sealed_rows(store)) == 3


def test_an_interval_signed_in_another_submission_is_a_conflict(store: Store) -> None:
    made = _sealed_awaiting(store)
    claims, _ = _signature(store, made)
    root = leaves_root_of([claims[0].leaf])  # type: ignore[list-item]
    first = SubmissionSignature(OFFICE.sign_submission(DOMAIN, ISSUER, root), DOMAIN, SIGNS)
    with store.write() as conn:
        assert sign_intervals(conn, made, claims[:1], first).accepted == 1
    _, signed = _signature(store, made)  # the remaining two awaiting
    with pytest.raises(IntervalSignedAlready) as conflict, store.write() as conn:
        sign_intervals(conn, made, claims, signed)
    assert conflict.value.field == "intervals[0].start"
    with store.write() as conn:
        assert sign_intervals(conn, made, claims[1:], signed).accepted == 2


def test_migration_0013_keeps_an_interval_with_a_document_or_awaiting(
    empty_database_url: str,
) -> None:
    url = empty_database_url
    upgrade(url)
    handle = open_store(url)
    try:
        with handle.write() as conn:
            create_issuer(conn, ISSUER, "Sở Tài nguyên và Môi trường", jurisdiction="VN-HN")
        made = _sealed_awaiting(handle, intervals=1)
        with pytest.raises(IntegrityError), handle.write() as conn:
            conn.execute(
                text(
                    "INSERT INTO stream_intervals (station_id, start_s, end_s, reading_count,"
                    " late_count, root, sealed_at) VALUES (:s, :t, :e, 0, 0, :r, :at)"
                ),
                {"s": made.id, "t": T0 + 300, "e": T0 + 600, "r": bytes(32), "at": at(T0)},
            )
    finally:
        handle.dispose()
    with pytest.raises(RuntimeError, match="1 intervals await"):
        command.downgrade(alembic_config(url), "0012")
    engine = create_engine(url)
    try:
        with engine.begin() as conn:  # signed meanwhile (as far as the schema can tell)
            conn.execute(text("DELETE FROM readings"))
            conn.execute(text("DELETE FROM stream_intervals"))
    finally:
        engine.dispose()
    command.downgrade(alembic_config(url), "0012")
    upgrade(url)


def test_an_export_ends_before_an_interval_awaiting_its_signature(store: Store) -> None:
    made = _sealed_awaiting(store)
    claims, _ = _signature(store, made)
    root = leaves_root_of([claims[0].leaf])  # type: ignore[list-item]
    first = SubmissionSignature(OFFICE.sign_submission(DOMAIN, ISSUER, root), DOMAIN, SIGNS)
    with store.write() as conn:
        sign_intervals(conn, made, claims[:1], first)
    plan = plan_window(store, made.code, T0, T0 + 900)
    assert [i.start for i in plan.intervals] == [T0]
    assert (plan.end, plan.ends_early) == (T0 + 300, EndsEarly(T0, T0 + 900, "not-sealed"))


def test_a_readings_proof_waits_for_its_intervals_signature(store: Store) -> None:
    made = _sealed_awaiting(store, intervals=1)
    ctx = ReceiptContext(
        "notary-test", ServiceKey.generate(), "0x" + "11" * 20, lambda: 31337, dt.timedelta(hours=1)
    )
    with pytest.raises(ReadingNotSealed, match="awaits its issuer's signature"):
        reading_proof(store, made.code, "PM2.5", T0 + 10, ctx)


def test_the_same_signature_sent_twice_at_once_accepts_the_intervals_once(store: Store) -> None:
    made = _sealed_awaiting(store)
    claims, signed = _signature(store, made)
    start = threading.Barrier(2)
    done: list[int] = []

    def send() -> None:
        start.wait()
        with store.write() as conn:
            done.append(sign_intervals(conn, made, claims, signed).accepted)

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(done) == [0, 3]
    assert _documents(store) == 3


def test_an_interval_accepted_before_its_issuer_signed_awaits_its_signature(
    store: Store,
) -> None:
    """Sealed while the issuer had no key, and not in a batch yet when it added one: the
    document is taken back (anchored after the key, it would be NOT genuine)."""
    made = station(store)
    ingest(store, made, readings((T0 + 10, "PM2.5", 35.2)), at(T0))
    seal_due_intervals(store, at(T0 + 330), signing=lambda issuer: False)
    seal_due_batches(store, at(T0 + 330), batch_max=1, batch_interval_s=0)
    seal_due_intervals(store, at(T0 + 630), signing=lambda issuer: False)
    batched, waiting = sealed_rows(store)
    with store.read() as conn:
        metadata = conn.execute(
            select(Document.metadata_json).where(Document.id == waiting["document_id"])
        ).scalar_one()
    seal_due_intervals(store, at(T0 + 631), signing=signs)
    first, second = sealed_rows(store)
    assert first["document_id"] == batched["document_id"]  # in a batch: it stays
    assert (second["document_id"], second["awaiting_metadata"]) == (None, metadata)
    assert _documents(store) == 1
    with store.read() as conn:
        (again,) = awaiting_intervals(conn, get_station(conn, made.code))
    assert again.start == T0 + 300 and again.metadata["salt"] in metadata
    root = leaves_root_of([again.leaf])
    signed = SubmissionSignature(OFFICE.sign_submission(DOMAIN, ISSUER, root), DOMAIN, SIGNS)
    with store.write() as conn:
        assert sign_intervals(conn, made, [IntervalClaim(again.start)], signed).accepted == 1


def test_a_revoked_interval_document_is_not_taken_back(store: Store) -> None:
    made = station(store)
    (sealed,) = seal_due_intervals(store, at(T0 + 330), signing=lambda issuer: False)
    request_revocation(store, ISSUER, sealed.leaf, 1, "sealed in error", "test")
    seal_due_intervals(store, at(T0 + 331), signing=signs)
    (row,) = sealed_rows(store)
    assert row["document_id"] is not None and row["awaiting_metadata"] is None
    with store.read() as conn:
        assert awaiting_intervals(conn, made) == []
