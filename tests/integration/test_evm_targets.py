"""Each EVM build of the registry on a node running that EVM (Anvil's --hardfork): the
node's EVM is told by probing it, the matching build deploys, anchors within the gas
target and answers `check`; a build the node cannot run is refused before deploying."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import Web3

from notary.chain import Registry, TxSender, connect
from notary.chain.artifact import load_artifact
from notary.chain.deploy import deploy_registry, grant_service_roles
from notary.chain.errors import ChainError
from notary.chain.evm import choose_target, node_evm
from notary.ops.anvil import start_anvil

pytestmark = pytest.mark.anvil

ANCHOR_GAS_TARGET = 47_500  # DESIGN.md: anchor ≤ 47,500 gas, 21,000 intrinsic included
# Anvil's hardfork → the build `auto` must choose there (prague added no opcode solc uses).
HARDFORKS = {"london": "paris", "shanghai": "shanghai", "prague": "cancun", "osaka": "osaka"}


@pytest.fixture(scope="module", params=sorted(HARDFORKS))
def node(request: pytest.FixtureRequest) -> Iterator[tuple[str, Web3]]:
    anvil = start_anvil(extra_args=["--hardfork", request.param])
    try:
        yield request.param, connect(anvil.url)
    finally:
        anvil.stop()


def funded(w3: Web3) -> LocalAccount:
    """A fresh account paid by a transfer from the node's unlocked dev account."""
    account: LocalAccount = Account.create()
    tx = w3.eth.send_transaction(
        {"from": w3.eth.accounts[0], "to": account.address, "value": 10**19}
    )
    w3.eth.wait_for_transaction_receipt(tx)
    return account


def test_the_build_for_the_nodes_evm_deploys_anchors_and_checks(node: tuple[str, Web3]) -> None:
    hardfork, w3 = node
    target = choose_target(w3)
    assert target == HARDFORKS[hardfork]
    admin, anchorer = funded(w3), funded(w3)
    deployment = deploy_registry(w3, admin, artifact=load_artifact(target))
    assert w3.eth.get_code(deployment.address).to_0x_hex() == (
        load_artifact(target).deployed_bytecode
    )
    registry = Registry(w3, deployment.address)
    grant_service_roles(registry, admin, anchorer.address)
    TxSender(registry, admin).transact(registry.register_issuer_call(admin.address, "Sở"))
    root = os.urandom(32)
    receipt = TxSender(registry, anchorer).transact(registry.anchor_call(root, 1_000))
    assert receipt["gasUsed"] <= ANCHOR_GAS_TARGET, (target, receipt["gasUsed"])
    answer = registry.check(root, admin.address, b"\x00" * 32, [])
    assert answer.issuer_name == "Sở"  # check ran every opcode of the view on this EVM
    assert registry.issuer_of(admin.address).active


def test_a_build_newer_than_the_node_is_refused(node: tuple[str, Web3]) -> None:
    hardfork, w3 = node
    if HARDFORKS[hardfork] == "osaka":
        assert choose_target(w3, "shanghai") == "shanghai"  # older builds run on newer EVMs
        return
    with pytest.raises(ChainError, match=rf"cannot run the osaka build.*{HARDFORKS[hardfork]}"):
        choose_target(w3, "osaka")


def test_probing_names_the_nodes_evm(node: tuple[str, Web3]) -> None:
    hardfork, w3 = node
    assert node_evm(w3) == {"london": "paris", "prague": "cancun"}.get(hardfork, hardfork)
