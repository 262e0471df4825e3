"""Fixtures shared by every test tier: a real Anvil node and funded local accounts."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import Web3

from notary.chain.anvil import AnvilNode, start_anvil
from notary.chain.connection import connect

TEST_BALANCE_WEI = 1_000 * 10**18


@pytest.fixture(scope="session")
def anvil() -> Iterator[AnvilNode]:
    """A throwaway Anvil on a free port, always stopped afterwards."""
    node = start_anvil()
    try:
        yield node
    finally:
        node.stop()


@pytest.fixture(scope="session")
def w3(anvil: AnvilNode) -> Web3:
    """A client of the session's Anvil."""
    return connect(anvil.url)


@pytest.fixture
def fund(w3: Web3) -> Callable[[], LocalAccount]:
    """Make a fresh random account with test ether (no well-known Anvil keys)."""

    def make() -> LocalAccount:
        account: LocalAccount = Account.create()
        w3.provider.make_request("anvil_setBalance", [account.address, hex(TEST_BALANCE_WEI)])
        return account

    return make
