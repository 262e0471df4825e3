"""Who signs, as the interval sealer asks it, on a real Anvil: an issuer without keys does
not sign (asked again once the answer is old), one with a key signs for good (even while
the chain is down), and one the chain cannot answer for is unknown, said once."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest
from eth_account.signers.local import LocalAccount
from web3 import Web3

from notary.chain import Registry, TxSender, connect
from notary.chain.deploy import deploy_registry, grant_service_roles
from notary.pipeline.signers import SignerView
from notary.streams.signing import ChainSigningIssuers
from tests.agency import Agency

pytestmark = pytest.mark.anvil


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_who_signs_for_the_sealer(
    w3: Web3, fund: Callable[[], LocalAccount], caplog: pytest.LogCaptureFixture
) -> None:
    admin, hot = fund(), fund()
    registry = Registry(w3, deploy_registry(w3, admin).address)
    grant_service_roles(registry, admin, hot.address)
    agency, other = (
        Agency(registry, TxSender(registry, hot)),
        Agency(registry, TxSender(registry, hot)),
    )
    for a in (agency, other):
        TxSender(registry, admin).transact(registry.register_issuer_call(a.address, a.address[:10]))
    clock = Clock()
    view = SignerView(registry, 10.0, clock)
    signing = ChainSigningIssuers(view)
    assert signing(agency.address) is False and signing(other.address) is False
    agency.add_key()
    assert signing(agency.address) is False  # the answer is at most 10 s old
    clock.now += 10.0
    assert signing(agency.address) is True

    view.registry = Registry(connect("http://127.0.0.1:9"), registry.address)  # nothing answers
    clock.now += 10.0
    with caplog.at_level(logging.WARNING, logger="notary.streams"):
        assert signing(agency.address) is True  # it signs for good
        assert signing(other.address) is None
        assert signing(other.address) is None
    said = [r.getMessage() for r in caplog.records if other.address in r.getMessage()]
    assert len(said) == 1 and "until the chain says whether it signs" in said[0]
    view.registry = registry
    assert signing(other.address) is False
