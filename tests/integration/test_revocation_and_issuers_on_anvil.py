"""Issuer registration, deactivation and revocations go on chain through the outbox."""

from __future__ import annotations

import pytest
from eth_account import Account

from notary.core.errors import FormatError
from notary.core.types import Leaf
from notary.pipeline.issuers import IssuerExists, deactivate_issuer, register_issuer
from notary.pipeline.revocations import (
    REVOKE_BATCH_MAX,
    NotYourDocument,
    request_revocation,
    revocation_of,
)
from notary.store.errors import DocumentNotFound
from notary.store.issuers import get_issuer
from notary.worker.daemon import build_worker

from .worker_env import WorkerEnv, drain

pytestmark = pytest.mark.anvil


def test_issuer_registration_and_deactivation_reach_the_chain(env: WorkerEnv) -> None:
    address = Account.create().address
    register_issuer(env.store, address, "  Sở Nông nghiệp   tỉnh Lâm Đồng ", "VN-35", "admin")
    with pytest.raises(IssuerExists):
        register_issuer(env.store, address, "again", None, "admin")
    drain(build_worker(env.settings, env.store))
    on_chain = env.registry.issuer_of(address)
    assert on_chain.name == "Sở Nông nghiệp tỉnh Lâm Đồng" and on_chain.active
    with env.store.read() as conn:
        assert get_issuer(conn, address).onchain_state == "registered"  # type: ignore[union-attr]

    deactivate_issuer(env.store, address, "admin")
    drain(build_worker(env.settings, env.store))
    assert env.registry.issuer_of(address).deactivated_at > 0
    with env.store.read() as conn:
        assert get_issuer(conn, address).onchain_state == "deactivated"  # type: ignore[union-attr]


def test_revocations_are_grouped_into_few_transactions(env: WorkerEnv) -> None:
    leaves = env.accept(REVOKE_BATCH_MAX + 5)
    worker = build_worker(env.settings, env.store)
    drain(worker)
    for leaf in leaves[:-1]:
        request_revocation(env.store, env.issuer.address, leaf, 2, "withdrawn", "issuer")
    request_revocation(env.store, env.issuer.address, leaves[-1], 9, None, "issuer")
    again = request_revocation(env.store, env.issuer.address, leaves[0], 2, None, "issuer")
    assert not again.created
    head = env.registry.w3.eth.block_number
    drain(worker)
    assert env.registry.w3.eth.block_number - head == 3  # 200 + 4 leaves, then 1 other reason
    for leaf in leaves:
        record = revocation_of(env.store, leaf)
        assert record is not None and record.state == "revoked"
        assert env.registry.revocation_of(env.issuer.address, leaf.raw).reason == record.reason


def test_revocation_requests_are_checked(env: WorkerEnv) -> None:
    leaf = env.accept(1)[0]
    with pytest.raises(FormatError) as bad:
        request_revocation(env.store, env.issuer.address, leaf, 0, None, "issuer")
    assert bad.value.field == "reason"
    with pytest.raises(NotYourDocument):
        request_revocation(env.store, Account.create().address, leaf, 1, None, "intruder")
    with pytest.raises(DocumentNotFound):
        request_revocation(env.store, env.issuer.address, Leaf(b"\x01" * 32), 1, None, "x")
