"""A node that rate-limits `eth_sendRawTransaction` has not refused the transaction: the
sender says RateLimited (the worker backs off and resends the same signed bytes) rather than
TransactionFailed (which makes the worker sign again)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from eth_account.signers.local import LocalAccount
from web3 import Web3

from notary.chain import Registry, TxSender, connect
from notary.chain.deploy import deploy_registry, grant_service_roles
from notary.chain.errors import RateLimited, TransactionFailed

from .faultproxy import FaultProxy, RpcError

pytestmark = pytest.mark.anvil


@pytest.fixture
def proxy(w3: Web3) -> Iterator[FaultProxy]:
    proxy = FaultProxy(w3.provider.endpoint_uri).start()  # type: ignore[attr-defined]
    try:
        yield proxy
    finally:
        proxy.stop()


def test_a_rate_limited_send_is_backed_off_from_and_the_same_bytes_go_later(
    w3: Web3, fund: Callable[[], LocalAccount], proxy: FaultProxy
) -> None:
    admin, hot = fund(), fund()
    address = deploy_registry(w3, admin).address
    grant_service_roles(Registry(w3, address), admin, hot.address)
    sender = TxSender(Registry(connect(proxy.url), address), hot)
    call = sender.registry.anchor_call(b"\x11" * 32, 1)
    signed = sender.sign(call, nonce=sender.pending_nonce(), gas=sender.estimate_gas(call))

    limit = RpcError(
        code=-32005, message="limit exceeded", methods=frozenset({"eth_sendRawTransaction"})
    )
    with proxy.injecting(limit), pytest.raises(RateLimited):
        sender.broadcast(signed.raw)

    assert sender.broadcast(signed.raw) == signed.tx_hash
    assert sender.wait(signed.tx_hash)["status"] == 1


def test_a_refused_send_is_still_a_failed_transaction(
    w3: Web3, fund: Callable[[], LocalAccount], proxy: FaultProxy
) -> None:
    admin, hot = fund(), fund()
    address = deploy_registry(w3, admin).address
    grant_service_roles(Registry(w3, address), admin, hot.address)
    sender = TxSender(Registry(connect(proxy.url), address), hot)
    call = sender.registry.anchor_call(b"\x12" * 32, 1)
    signed = sender.sign(call, nonce=sender.pending_nonce(), gas=sender.estimate_gas(call))

    refusal = RpcError(
        code=-32000, message="nonce too low", methods=frozenset({"eth_sendRawTransaction"})
    )
    with proxy.injecting(refusal), pytest.raises(TransactionFailed):
        sender.broadcast(signed.raw)
