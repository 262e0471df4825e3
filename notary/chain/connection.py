"""Opening a JSON-RPC connection, and turning whatever a call through web3 raises into the
ChainError that says what the node did (`notary.chain.errors`)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager

import requests
from web3 import Web3
from web3.exceptions import (
    BadFunctionCallOutput,
    BadResponseFormat,
    ContractLogicError,
    ExtraDataLengthError,
    ProviderConnectionError,
    TooManyRequests,
    Web3RPCError,
)

from notary.chain.errors import (
    BadAnswer,
    ChainError,
    ContractReverted,
    NodeRefused,
    RateLimited,
    RpcUnavailable,
    http_failure,
    node_error,
)
from notary.chain.reverts import decode_revert, revert_data

DEFAULT_TIMEOUT_S = 10.0
NO_ANSWER = (requests.RequestException, ProviderConnectionError, ConnectionError, TimeoutError)
"""What a provider raises when its endpoint did not answer (or answered an HTTP error)."""
UNREADABLE = (BadResponseFormat, BadFunctionCallOutput, ExtraDataLengthError, json.JSONDecodeError)
"""What web3 raises when an answer came but cannot be read as one (truncated, not JSON-RPC,
empty return data from an address without the contract)."""


def connect(rpc_url: str, *, timeout_s: float = DEFAULT_TIMEOUT_S) -> Web3:
    """A Web3 client for `rpc_url` that fails fast instead of retrying internally.

    The anchoring worker has its own backoff; web3's built-in retries would only hide
    an outage for longer.
    """
    provider = Web3.HTTPProvider(
        rpc_url,
        request_kwargs={"timeout": timeout_s},
        exception_retry_configuration=None,
    )
    return Web3(provider)


def endpoint_of(w3: Web3) -> str:
    """The URL a client talks to, for error messages."""
    return str(getattr(w3.provider, "endpoint_uri", "the RPC endpoint"))


@contextmanager
def rpc_guard(w3: Web3, method: str | None = None) -> Iterator[None]:
    """Raise every failure of the RPC calls in the block as the ChainError it stands for.

    Reverts that the block does not name itself (see `Registry.reverts_named`) become
    ContractReverted; errors that are not about the node (our own bugs) pass unchanged.
    """
    try:
        yield
    except ChainError:
        raise
    except Exception as exc:
        failure = chain_failure(endpoint_of(w3), exc, method)
        if failure is None:
            raise
        raise failure from exc


def chain_failure(rpc_url: str, exc: BaseException, method: str | None = None) -> ChainError | None:
    """The ChainError a failed call through web3 stands for; None if `exc` is not about
    the node (it is then a bug of ours, left as it is)."""
    if isinstance(exc, ChainError):
        return exc
    if isinstance(exc, requests.HTTPError) and exc.response is not None:
        asked = method or _method_of(exc.request)
        return http_failure(rpc_url, asked, exc.response.status_code, exc.response.content)
    if isinstance(exc, NO_ANSWER):
        return RpcUnavailable(rpc_url, one_line(exc))
    if isinstance(exc, ContractLogicError):
        data = revert_data(exc.data)
        return decode_revert(data, {}) if data else ContractReverted("Error", (one_line(exc),))
    if isinstance(exc, Web3RPCError):
        error = (exc.rpc_response or {}).get("error")
        if isinstance(error, dict):
            return node_error(rpc_url, method, error)
        return NodeRefused(rpc_url, method, one_line(exc))  # e.g. a block it does not have
    if isinstance(exc, TooManyRequests):
        return RateLimited(rpc_url, method, one_line(exc))
    if isinstance(exc, UNREADABLE):
        return BadAnswer(rpc_url, method, one_line(exc))
    return None


def _method_of(request: object) -> str | None:
    """The JSON-RPC method a request of web3's provider asked (for messages)."""
    try:
        asked = json.loads(getattr(request, "body", None) or b"")
    except (TypeError, ValueError):
        return None
    method = asked.get("method") if isinstance(asked, dict) else None
    return method if isinstance(method, str) else None


def one_line(exc: BaseException) -> str:
    """A transport failure in one short line for an error message."""
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if "Connection refused" in str(exc):
        return "connection refused"
    if isinstance(exc, requests.Timeout | TimeoutError):
        return "timed out"
    if isinstance(exc, requests.exceptions.ChunkedEncodingError) or "IncompleteRead" in text:
        return "the connection closed in the middle of the answer"
    return text[:200]
