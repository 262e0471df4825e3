"""Opening a JSON-RPC connection and turning transport failures into RpcUnavailable."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import requests
from web3 import Web3
from web3.exceptions import ProviderConnectionError, Web3RPCError

from notary.chain.errors import RpcUnavailable

DEFAULT_TIMEOUT_S = 10.0


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
def rpc_guard(w3: Web3) -> Iterator[None]:
    """Map transport-level failures of a block of RPC calls to RpcUnavailable."""
    try:
        yield
    except (
        requests.RequestException,
        ProviderConnectionError,
        ConnectionError,
        TimeoutError,
    ) as exc:
        raise RpcUnavailable(endpoint_of(w3), one_line(exc)) from exc
    except Web3RPCError as exc:
        message = str(exc)
        if "connection" in message.lower():
            raise RpcUnavailable(endpoint_of(w3), one_line(exc)) from exc
        raise


def one_line(exc: BaseException) -> str:
    """A transport failure in one short line for an error message."""
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if "Connection refused" in str(exc):
        return "connection refused"
    if isinstance(exc, requests.Timeout | TimeoutError):
        return "timed out"
    return text[:200]
