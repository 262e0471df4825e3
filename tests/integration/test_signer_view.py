"""The service's view of issuers' signing keys, on a real Anvil: read in one call, kept at
most NOTARY_SIGNER_MAX_AGE, a removed key gone once that has passed, and what happens when
the chain cannot be asked."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from eth_account.signers.local import LocalAccount
from web3 import Web3

from notary.chain import ChainError, Registry, TxSender, connect
from notary.chain.artifact import load_artifact
from notary.chain.deploy import deploy_registry, grant_service_roles
from notary.pipeline.signers import SignerView
from tests.agency import Agency

pytestmark = pytest.mark.anvil

MAX_AGE_S = 10.0


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def chain(w3: Web3, fund: Callable[[], LocalAccount]) -> tuple[Registry, TxSender, LocalAccount]:
    admin, hot = fund(), fund()
    registry = Registry(w3, deploy_registry(w3, admin).address)
    grant_service_roles(registry, admin, hot.address)
    return registry, TxSender(registry, hot), admin


def _agency(registry: Registry, hot: TxSender, admin: LocalAccount) -> Agency:
    agency = Agency(registry, hot)
    TxSender(registry, admin).transact(registry.register_issuer_call(agency.address, "Sở Xây dựng"))
    return agency


def test_a_removed_key_is_refused_once_the_view_is_older_than_its_bound(
    chain: tuple[Registry, TxSender, LocalAccount],
) -> None:
    registry, hot, admin = chain
    agency = _agency(registry, hot, admin)
    clock = Clock()
    view = SignerView(registry, MAX_AGE_S, clock)
    assert not view.for_submission(agency.address, signed=False).signing
    key = agency.add_key()
    clock.now += MAX_AGE_S  # the answer before the key was added has had its time
    keys = view.for_submission(agency.address, signed=True)
    assert keys.signing and keys.active == {key.address}
    assert keys.signing_since == registry.signing_since(agency.address)
    agency.remove_key(key)
    clock.now += MAX_AGE_S - 0.001
    assert view.fresh(agency.address) == keys  # within the bound the last answer is used
    clock.now += 0.001
    assert view.fresh(agency.address) is None
    after = view.for_submission(agency.address, signed=True)
    assert after.signing and after.active == frozenset()  # it signs for good, with no key


def test_a_registry_before_signing_keys_has_no_signing_issuer(
    w3: Web3, chain: tuple[Registry, TxSender, LocalAccount]
) -> None:
    _, _, admin = chain
    legacy = load_artifact(contract="NotaryRegistryV1")
    old = Registry(w3, deploy_registry(w3, admin, artifact=legacy).address)
    view = SignerView(old, MAX_AGE_S)
    keys = view.for_submission(admin.address, signed=False)
    assert not keys.signing and keys.active == frozenset()


def test_when_the_chain_cannot_be_asked(chain: tuple[Registry, TxSender, LocalAccount]) -> None:
    registry, hot, admin = chain
    signing, vouched = _agency(registry, hot, admin), _agency(registry, hot, admin)
    signing.add_key()
    clock = Clock()
    view = SignerView(registry, MAX_AGE_S, clock)
    view.for_submission(signing.address, signed=True)
    view.for_submission(vouched.address, signed=False)
    view.registry = Registry(connect("http://127.0.0.1:9"), registry.address)  # nothing answers
    clock.now += MAX_AGE_S
    with pytest.raises(ChainError):  # its keys may have changed: a signature cannot be checked
        view.for_submission(signing.address, signed=True)
    # It signs for good: its unsigned submissions stay refused (the caller sees it signing).
    assert view.for_submission(signing.address, signed=False).signing
    # An issuer not known to sign is accepted unsigned, as before issuer keys.
    assert not view.for_submission(vouched.address, signed=False).signing
    with pytest.raises(ChainError):
        view.for_submission(vouched.address, signed=True)
