"""The chain adapter against NotaryRegistry on a real Anvil: deploy, roles, anchor,
revoke, the one-call check view, and errors by name."""

from __future__ import annotations

import os
from collections.abc import Callable

import pytest
from eth_abi import encode
from eth_account.signers.local import LocalAccount
from web3 import Web3

from notary.chain import ContractReverted, Registry, RpcUnavailable, TxSender, connect
from notary.chain.deploy import deploy_registry, grant_service_roles
from notary.chain.registry import ANCHORER_ROLE

pytestmark = pytest.mark.anvil

Funder = Callable[[], LocalAccount]


def leaf_of(digest: bytes, issuer: str, metadata_digest: bytes) -> bytes:
    """OpenZeppelin StandardMerkleTree leaf, written out independently of notary.core."""
    inner = Web3.keccak(
        encode(["bytes32", "address", "bytes32"], [digest, issuer, metadata_digest])
    )
    return bytes(Web3.keccak(inner))


def pair(a: bytes, b: bytes) -> bytes:
    return bytes(Web3.keccak(min(a, b) + max(a, b)))


@pytest.fixture
def roles(w3: Web3, fund: Funder) -> dict[str, LocalAccount]:
    return {"admin": fund(), "anchorer": fund(), "issuer": fund(), "stranger": fund()}


@pytest.fixture
def registry(w3: Web3, roles: dict[str, LocalAccount]) -> Registry:
    deployment = deploy_registry(w3, roles["admin"])
    registry = Registry(w3, deployment.address)
    grant_service_roles(registry, roles["admin"], roles["anchorer"].address)
    TxSender(registry, roles["admin"]).transact(
        registry.register_issuer_call(roles["issuer"].address, "Sở Tài nguyên và Môi trường")
    )
    return registry


def test_deploy_grants_roles(registry: Registry, roles: dict[str, LocalAccount]) -> None:
    assert registry.has_role(ANCHORER_ROLE, roles["anchorer"].address)
    assert not registry.has_role(ANCHORER_ROLE, roles["stranger"].address)
    issuer = registry.issuer_of(roles["issuer"].address)
    assert issuer.name == "Sở Tài nguyên và Môi trường" and issuer.active


def test_anchor_records_block_time_and_count(
    w3: Web3, registry: Registry, roles: dict[str, LocalAccount]
) -> None:
    root = os.urandom(32)
    assert not registry.anchor_of(root).anchored
    receipt = TxSender(registry, roles["anchorer"]).transact(registry.anchor_call(root, 1_000))
    block = w3.eth.get_block(receipt["blockNumber"])
    record = registry.anchor_of(root)
    assert (record.timestamp, record.block_number, record.leaf_count) == (
        block["timestamp"],
        receipt["blockNumber"],
        1_000,
    )
    assert receipt["gasUsed"] <= 50_000


def test_anchor_errors_are_named(registry: Registry, roles: dict[str, LocalAccount]) -> None:
    anchorer = TxSender(registry, roles["anchorer"])
    root = os.urandom(32)
    anchorer.transact(registry.anchor_call(root, 3))
    with pytest.raises(ContractReverted) as twice:
        anchorer.transact(registry.anchor_call(root, 3))
    assert twice.value.error_name == "AlreadyAnchored"
    assert twice.value.error_args == (root,)
    with pytest.raises(ContractReverted) as zero:
        anchorer.transact(registry.anchor_call(b"\x00" * 32, 3))
    assert zero.value.error_name == "ZeroRoot"
    with pytest.raises(ContractReverted) as stranger:
        TxSender(registry, roles["stranger"]).transact(registry.anchor_call(os.urandom(32), 1))
    assert stranger.value.error_name == "AccessControlUnauthorizedAccount"
    assert stranger.value.error_args[0] == roles["stranger"].address


def test_check_answers_a_whole_verification(
    w3: Web3, registry: Registry, roles: dict[str, LocalAccount]
) -> None:
    issuer = roles["issuer"].address
    docs = [(os.urandom(32), os.urandom(32)) for _ in range(2)]
    leaves = [leaf_of(d, issuer, m) for d, m in docs]
    root = pair(leaves[0], leaves[1])
    TxSender(registry, roles["anchorer"]).transact(registry.anchor_call(root, 2))

    digest, meta = docs[0]
    answer = registry.check(digest, issuer, meta, [leaves[1]])
    assert answer.leaf == leaves[0] and answer.root == root
    assert answer.anchored_at > 0 and answer.leaf_count == 2 and answer.revoked_at == 0
    assert answer.current_block == w3.eth.block_number
    assert answer.issuer_name == "Sở Tài nguyên và Môi trường"

    forged = registry.check(os.urandom(32), issuer, meta, [leaves[1]])
    assert forged.anchored_at == 0


def test_issuer_revokes_own_leaf_and_anchorer_revokes_for_it(
    registry: Registry, roles: dict[str, LocalAccount]
) -> None:
    issuer = roles["issuer"].address
    digest, meta = os.urandom(32), os.urandom(32)
    leaf = leaf_of(digest, issuer, meta)
    TxSender(registry, roles["anchorer"]).transact(registry.anchor_call(leaf, 1))

    TxSender(registry, roles["issuer"]).transact(registry.revoke_call([leaf], 3))
    revocation = registry.revocation_of(issuer, leaf)
    assert revocation.revoked and revocation.reason == 3
    assert registry.check(digest, issuer, meta, []).revocation_reason == 3

    others = [os.urandom(32) for _ in range(5)]
    TxSender(registry, roles["anchorer"]).transact(registry.revoke_for_call(issuer, others, 7))
    assert all(registry.revocation_of(issuer, x).reason == 7 for x in others)
    with pytest.raises(ContractReverted) as again:
        TxSender(registry, roles["issuer"]).transact(registry.revoke_call([leaf], 3))
    assert again.value.error_name == "AlreadyRevoked"


def test_a_stranger_cannot_revoke_into_an_issuers_namespace(
    registry: Registry, roles: dict[str, LocalAccount]
) -> None:
    leaf = os.urandom(32)
    with pytest.raises(ContractReverted):
        TxSender(registry, roles["stranger"]).transact(registry.revoke_call([leaf], 1))
    assert not registry.revocation_of(roles["issuer"].address, leaf).revoked


def test_signed_raw_tx_can_be_rebroadcast_and_replaced(
    w3: Web3, registry: Registry, roles: dict[str, LocalAccount]
) -> None:
    sender = TxSender(registry, roles["anchorer"])
    w3.provider.make_request("evm_setAutomine", [False])
    try:
        first_root, second_root = os.urandom(32), os.urandom(32)
        first = sender.sign(
            registry.anchor_call(first_root, 1), nonce=sender.pending_nonce(), gas=60_000
        )
        assert sender.broadcast(first.raw) == first.tx_hash
        assert sender.broadcast(first.raw) == first.tx_hash  # the same bytes again: harmless
        replacement = sender.replacement(registry.anchor_call(second_root, 1), first)
        assert replacement is not None  # within the fee cap
        assert replacement.nonce == first.nonce
        assert replacement.max_fee_per_gas > first.max_fee_per_gas
        sender.broadcast(replacement.raw)
        w3.provider.make_request("evm_mine", [])
    finally:
        w3.provider.make_request("evm_setAutomine", [True])
    assert sender.receipt(replacement.tx_hash) is not None
    assert sender.receipt(first.tx_hash) is None
    assert registry.anchor_of(second_root).anchored and not registry.anchor_of(first_root).anchored


def test_unreachable_rpc_names_the_url() -> None:
    url = "http://127.0.0.1:9"  # discard port: nothing answers JSON-RPC there
    registry = Registry(connect(url, timeout_s=2), "0x" + "11" * 20)
    with pytest.raises(RpcUnavailable) as failure:
        registry.anchor_of(os.urandom(32))
    assert url in str(failure.value)
    assert "\n" not in str(failure.value)
