"""Errors raised when talking to the chain, each saying what happened and what to do."""

from __future__ import annotations

from typing import Any

from notary.core.errors import NotaryError


class ChainError(NotaryError):
    """Base for every failure that involves the chain."""


class RpcUnavailable(ChainError):
    """The RPC endpoint did not answer (refused, timed out, or returned garbage)."""

    def __init__(self, rpc_url: str, cause: str) -> None:
        self.rpc_url = rpc_url
        self.cause = cause
        super().__init__(f"RPC endpoint {rpc_url} did not answer: {cause}")

    def diagnostics(self) -> str:
        return (
            f"{self}. Check that the node is running and NOTARY_RPC_URL points at it "
            "(for the local chain: `notary chain up`)."
        )


class ContractReverted(ChainError):
    """The contract rejected a call with one of its custom errors (or a plain revert)."""

    def __init__(self, error_name: str, args: tuple[Any, ...] = ()) -> None:
        self.error_name = error_name
        self.error_args = args
        shown = ", ".join(_show(a) for a in args)
        super().__init__(f"NotaryRegistry reverted: {error_name}({shown})")


class TransactionFailed(ChainError):
    """A mined transaction has status 0, or a transaction could not be sent."""


def _show(value: Any) -> str:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    return str(value)
