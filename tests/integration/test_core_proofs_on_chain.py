"""Proofs made by notary.core verify in NotaryRegistry.check for random trees on Anvil."""

from __future__ import annotations

import os
import random
from collections.abc import Callable

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import Web3

from notary.chain import Registry, TxSender
from notary.chain.deploy import deploy_registry, grant_service_roles
from notary.core.merkle import MerkleTree
from notary.core.types import Digest, LeafValues

pytestmark = pytest.mark.anvil
SIZES = (1, 2, 3, 5, 8, 13, 100, 257, 1000)
CHECKED_PER_TREE = 12


def random_values(rng: random.Random, count: int) -> list[LeafValues]:
    issuers = [Account.create().address for _ in range(3)]
    return [
        LeafValues.of(Digest(os.urandom(32)), rng.choice(issuers), Digest(os.urandom(32)))
        for _ in range(count)
    ]


@pytest.mark.parametrize("size", SIZES)
def test_every_sampled_proof_verifies_in_the_contract(
    w3: Web3, fund: Callable[[], LocalAccount], size: int
) -> None:
    rng = random.Random(size)
    admin, anchorer = fund(), fund()
    registry = Registry(w3, deploy_registry(w3, admin).address)
    grant_service_roles(registry, admin, anchorer.address)
    values = random_values(rng, size)
    tree = MerkleTree.from_values(values)
    TxSender(registry, anchorer).transact(registry.anchor_call(tree.root.raw, size))

    for index in rng.sample(range(size), min(size, CHECKED_PER_TREE)):
        digest, issuer, metadata = values[index]
        answer = registry.check(digest.raw, issuer, metadata.raw, tree.proof(index))
        assert answer.leaf == tree.leaf(index).raw
        assert answer.root == tree.root.raw and answer.leaf_count == size
        assert answer.anchored_at > 0

    digest, issuer, metadata = values[0]
    tampered = registry.check(os.urandom(32), issuer, metadata.raw, tree.proof(0))
    assert tampered.anchored_at == 0 and tampered.root != tree.root.raw
