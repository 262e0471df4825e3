"""A held lookup connection never serves an old snapshot, and replaces itself when lost."""

from __future__ import annotations

import os

from sqlalchemy import text

from notary.core.types import Digest
from notary.pipeline.accept import DocumentInput, accept_many
from notary.pipeline.receipts import candidates_in
from notary.store.engine import HeldLookups, Store
from tests.store.conftest import ISSUER


def _count(held: HeldLookups) -> int:
    with held.lookup() as conn:
        return int(conn.execute(text("SELECT count(*) FROM documents")).scalar_one())


def test_each_lookup_sees_what_was_committed_before_it(store: Store) -> None:
    held = HeldLookups(store)
    try:
        assert _count(held) == 0  # through SQLAlchemy: this began a transaction
        digest = Digest(os.urandom(32))
        accept_many(store, ISSUER, [DocumentInput(digest, None)])
        assert _count(held) == 1  # ...which ended with the lookup: no stale snapshot
        with held.lookup() as conn:  # on the driver's cursor, outside any transaction
            assert [r["digest"] for r in candidates_in(conn, [(digest, ISSUER)])[0]] == [digest.raw]
            assert not conn.in_transaction()
        accept_many(store, ISSUER, [DocumentInput(Digest(os.urandom(32)), None)])
        assert _count(held) == 2
    finally:
        held.close()


def test_a_lost_connection_is_replaced(store: Store) -> None:
    held = HeldLookups(store)
    try:
        with held.lookup() as first:
            first.invalidate()
        assert _count(held) == 0
        with held.lookup() as second:
            assert second is not first and not second.invalidated
    finally:
        held.close()
