"""Errors raised when talking to the chain, each saying what happened and what to do.

Every way a node can fail a call is classified here, whichever client made the call
(web3's provider through `notary.chain.connection.rpc_guard`, the lean JSON-RPC clients of
`notary.chain.jsonrpc`, the failover provider):

- `RpcUnavailable`: no answer (refused, timed out, the connection dropped, a gateway's 5xx);
- `RateLimited`: the node or its provider said to slow down (HTTP 429, -32005, a quota);
- `NodeRefused`: the node answered the call with another JSON-RPC error that is not a
  revert (e.g. "invalid opcode" from an EVM older than the contract's build);
- `BadAnswer`: what came back is no answer to the call (not JSON, a batch short of it);
- `WrongChain`: the node is on another chain than the one expected;
- `NodeBehind`: the node answers as of a block older than one known to exist (it lags);
- `ContractReverted`: the contract reverted.

None of them says anything about a document: a verification is UNVERIFIABLE naming the
node's answer, and the anchoring worker backs off and tries again.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from notary.chain.urls import shown_url
from notary.core.errors import NotaryError

RATE_LIMIT_CODES = frozenset({-32005, -32029, -32090, 429})
"""JSON-RPC error codes providers use for "too many requests" (-32005 is EIP-1474's
"limit exceeded"; -32029 and -32090 are used by hosted providers; some answer 429)."""
_RATE_LIMIT_WORDS = re.compile(
    r"rate.?limit|too many requests|quota|request limit|requests? per|limit exceeded|"
    r"exceeded .*(capacity|limit|credits|units)|compute units|throttl|daily request count",
    re.IGNORECASE,
)
_TERMINAL_CODES = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
"""Colour codes some nodes put in their messages (never passed on to a terminal)."""
_MAX_SAID = 200
"""Characters of a node's message kept in an error (a node may send a page of HTML)."""


class ChainError(NotaryError):
    """Base for every failure that involves the chain."""


class RpcUnavailable(ChainError):
    """The RPC endpoint did not answer (refused, timed out, dropped the connection)."""

    def __init__(self, rpc_url: str, cause: str) -> None:
        self.rpc_url = rpc_url
        self.cause = cause
        super().__init__(f"{_endpoint(rpc_url)} did not answer: {cause}")

    def diagnostics(self) -> str:
        return (
            f"{self}. Check that the node is running and NOTARY_RPC_URL points at it "
            "(for the local chain: `notary chain up`)."
        )


class NodeRefused(ChainError):
    """The node answered a call with a JSON-RPC error (or an HTTP error) that is no revert."""

    def __init__(
        self,
        rpc_url: str,
        method: str | None,
        said: str,
        *,
        code: int | None = None,
        http_status: int | None = None,
    ) -> None:
        self.rpc_url = rpc_url
        self.method = method
        self.said = said
        self.code = code
        self.http_status = http_status
        super().__init__(f"{_endpoint(rpc_url)} answered {method or 'a call'}: {self.answer}")

    @property
    def answer(self) -> str:
        """What the node said, with its code: `invalid opcode (-32000)`."""
        return f"{self.said} ({self.code})" if self.code is not None else self.said

    def diagnostics(self) -> str:
        hint = "the service tries again later; if it persists, ask the node's operator"
        if "opcode" in self.said.lower() or "notactivated" in self.said.lower():
            hint = (
                "the node's EVM may be older than the registry's build: deploy the build "
                "for its EVM version"
            )
        return f"{self}. {hint[0].upper()}{hint[1:]}."


class RateLimited(NodeRefused):
    """The node (or its provider) refused the call for now: too many requests, or a quota."""

    @property
    def answer(self) -> str:
        code = f"HTTP {self.http_status}" if self.code is None else str(self.code)
        said = f" {self.said}" if self.said else ""
        return f"rate limited ({code}{said})"

    def diagnostics(self) -> str:
        return (
            f"{self}. The worker backs off and tries again; for verifications, add "
            "endpoints (NOTARY_RPC_URLS) or raise the provider's limit."
        )


class BadAnswer(ChainError):
    """What the node sent back is no JSON-RPC answer to the call."""

    def __init__(self, rpc_url: str, method: str | None, why: str) -> None:
        self.rpc_url = rpc_url
        self.method = method
        self.why = why
        super().__init__(
            f"{_endpoint(rpc_url)} gave no usable answer to {method or 'a call'}: {why}"
        )


class WrongChain(ChainError):
    """The node is on another chain than the one expected."""

    def __init__(self, rpc_url: str, found: int, expected: int) -> None:
        self.rpc_url = rpc_url
        self.found = found
        self.expected = expected
        super().__init__(
            f"{_endpoint(rpc_url)} is on chain {found}, not on chain {expected} "
            "(NOTARY_RPC_URL points at another network, or the node is misconfigured)"
        )


class NodeBehind(ChainError):
    """The node answers as of a block older than one known to exist: it lags behind (or
    follows another fork), so what it does not show yet says nothing."""

    def __init__(self, rpc_url: str, at_block: int, needed: int, known_as: str) -> None:
        self.rpc_url = rpc_url
        self.at_block = at_block
        self.needed = needed
        super().__init__(
            f"{_endpoint(rpc_url)} answers as of block {at_block}, before block {needed} "
            f"({known_as}): it lags behind, or follows another fork"
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


def node_error(
    rpc_url: str, method: str | None, error: object, *, http_status: int | None = None
) -> ChainError:
    """The ChainError for a JSON-RPC `error` object a node answered `method` with."""
    if not isinstance(error, Mapping):
        return BadAnswer(
            rpc_url, method, f"an error that is not a JSON-RPC error object: {_said(error)}"
        )
    code = error.get("code")
    code = code if isinstance(code, int) and not isinstance(code, bool) else None
    message = _said(error.get("message", ""))
    if is_revert(error):
        return _revert(error, message)
    if is_rate_limit(code, message) or http_status == 429:
        return RateLimited(rpc_url, method, message, code=code, http_status=http_status)
    return NodeRefused(
        rpc_url, method, message or "an error without a message", code=code, http_status=http_status
    )


def answer_failure(rpc_url: str, method: str | None, answer: object) -> ChainError:
    """The ChainError for a JSON-RPC answer that carries no usable `result`."""
    if isinstance(answer, Mapping) and "error" in answer:
        return node_error(rpc_url, method, answer["error"])
    if isinstance(answer, Mapping) and "result" in answer:
        return BadAnswer(rpc_url, method, f"an unexpected result {_said(answer['result'])}")
    return BadAnswer(rpc_url, method, f"not a JSON-RPC answer: {_said(answer)}")


def http_failure(rpc_url: str, method: str | None, status: int, body: bytes) -> ChainError:
    """The ChainError for an HTTP answer other than 200 (its body may hold a JSON-RPC error)."""
    try:
        parsed = json.loads(body)
    except ValueError:
        parsed = None
    error = parsed.get("error") if isinstance(parsed, Mapping) else None
    if isinstance(error, Mapping):
        return node_error(rpc_url, method, error, http_status=status)
    reason = f"HTTP {status}"
    if status == 429:
        return RateLimited(
            rpc_url, method, _said(body.decode("utf-8", "replace")), http_status=status
        )
    if status >= 500:  # a gateway or load balancer saying the node behind it is down
        return RpcUnavailable(rpc_url, f"the endpoint answered {reason}")
    return NodeRefused(rpc_url, method, reason, http_status=status)


def is_revert(error: Mapping[str, Any]) -> bool:
    """Whether a JSON-RPC error object reports a revert: code 3, "revert" in its words, or
    revert data in any node's shape (`notary.chain.reverts`)."""
    from notary.chain.reverts import revert_data  # it builds this module's ContractReverted

    message = error.get("message")
    worded = isinstance(message, str) and "revert" in message.lower()
    return error.get("code") == 3 or worded or bool(revert_data(error))


def _revert(error: object, message: str) -> ContractReverted:
    """The revert named from its data (Error(string), Panic; a contract's own errors need
    its ABI: `Registry` names them), else by the node's words."""
    from notary.chain.reverts import decode_revert, revert_data

    data = revert_data(error)
    return decode_revert(data, {}) if data else ContractReverted("Error", (message,))


def is_rate_limit(code: int | None, message: str) -> bool:
    """Whether an error's code or words say "too many requests" (not a gas limit)."""
    if code in RATE_LIMIT_CODES:
        return True
    return bool(_RATE_LIMIT_WORDS.search(message)) and "gas" not in message.lower()


def _endpoint(rpc_url: str) -> str:
    """How a message names the endpoint (unknown: where the failure was met, e.g. the CLI)."""
    return f"RPC endpoint {shown_url(rpc_url)}" if rpc_url else "The RPC endpoint"


def _said(value: object) -> str:
    """A node's words in one short printable line."""
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    text = _TERMINAL_CODES.sub("", text)
    text = " ".join("".join(c if c.isprintable() else " " for c in text).split())
    return text if len(text) <= _MAX_SAID else text[: _MAX_SAID - 1] + "…"


def _show(value: Any) -> str:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    return str(value)
