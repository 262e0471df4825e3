"""One classification of what a node does instead of answering (notary.chain.errors), and
the same classification for calls through web3's provider (`rpc_guard`): no answer, a rate
limit, another JSON-RPC error, garbage, a revert. Never "did not answer" for a node that
answered, never an exception that is not a ChainError."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
from eth_abi.abi import encode as abi_encode
from web3.exceptions import Web3RPCError

from notary.chain.connection import connect, rpc_guard
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
from notary.chain.registry import Registry
from notary.chain.urls import is_local, shown_url
from notary.cli import main
from notary.ops.anvil import free_port

URL = "http://node.test"
_NOPE = "0x08c379a0" + abi_encode(["string"], ["nope"]).hex()
"""`Error("nope")`, as `require(false, "nope")` reverts."""


@pytest.mark.parametrize(
    ("error", "kind", "says"),
    [
        (
            {"code": -32005, "message": "limit exceeded"},
            RateLimited,
            "rate limited (-32005 limit exceeded)",
        ),
        ({"code": -32029, "message": "too many"}, RateLimited, "rate limited (-32029 too many)"),
        (
            {"code": 429, "message": "Your app has exceeded its compute units per second capacity"},
            RateLimited,
            "rate limited (429 Your app",
        ),
        (
            {"code": -32000, "message": "daily quota exceeded for this project"},
            RateLimited,
            "rate limited (-32000 daily quota",
        ),
        (
            {"code": -32000, "message": "invalid opcode"},
            NodeRefused,
            "answered eth_call: invalid opcode (-32000)",
        ),
        (
            {"code": -32603, "message": "EVM error InvalidFEOpcode"},
            NodeRefused,
            "EVM error InvalidFEOpcode (-32603)",
        ),
        (
            {"code": -32000, "message": "exceeds block gas limit"},
            NodeRefused,
            "exceeds block gas limit (-32000)",
        ),
        (
            {"code": -32000, "message": "gas limit exceeded"},
            NodeRefused,
            "gas limit exceeded (-32000)",
        ),
        ({"message": "\x1b[31mbusy\nnow\x00"}, NodeRefused, "answered eth_call: busy now"),
        (
            {"code": 3, "message": "execution reverted", "data": "0x"},
            ContractReverted,
            "execution reverted",
        ),
        (
            {"code": -32000, "message": "VM Exception while processing transaction: revert"},
            ContractReverted,
            "revert",
        ),
        ("internal error", BadAnswer, "gave no usable answer to eth_call: an error that is no"),
        ({"code": -32000, "message": "x" * 5000}, NodeRefused, "x" * 199 + "…"),
    ],
)
def test_each_error_a_node_answers_is_classified_once(
    error: object, kind: type[ChainError], says: str
) -> None:
    failure = node_error(URL, "eth_call", error)
    assert type(failure) is kind, failure
    assert says in str(failure)
    assert "did not answer" not in failure.diagnostics()


@pytest.mark.parametrize(
    "data",
    [
        _NOPE,  # geth, Anvil, Hardhat
        {"hash": "0x" + "ab" * 32, "programCounter": 7, "result": _NOPE},  # Ganache
        "Reverted " + _NOPE,  # Nethermind
    ],
)
def test_a_revert_is_named_from_its_data_in_any_nodes_shape(data: object) -> None:
    failure = node_error(URL, "eth_call", {"code": -32000, "message": "VM error", "data": data})
    assert isinstance(failure, ContractReverted) and failure.error_args == ("nope",), failure


def test_the_opcode_a_node_lacks_points_at_the_evm_build() -> None:
    failure = node_error(URL, "eth_call", {"code": -32000, "message": "invalid opcode"})
    assert "older than the registry's build" in failure.diagnostics()


# -- the same through web3's provider -------------------------------------------------------


Reply = Callable[[dict[str, Any]], tuple[int, bytes]]


@pytest.fixture
def node_saying() -> Iterator[Callable[[Reply], str]]:
    """A local HTTP 'node' answering every JSON-RPC request as `reply` says."""
    servers: list[http.server.ThreadingHTTPServer] = []

    def start(reply: Reply) -> str:
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                request = json.loads(self.rfile.read(int(self.headers["content-length"])))
                status, body = reply(request)
                self.send_response(status)
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def _error(code: int, message: str) -> Reply:
    def reply(request: dict[str, Any]) -> tuple[int, bytes]:
        answer = {
            "jsonrpc": "2.0",
            "id": request["id"],
            "error": {"code": code, "message": message},
        }
        return 200, json.dumps(answer).encode()

    return reply


@pytest.mark.parametrize(
    ("reply", "kind", "says"),
    [
        (
            _error(-32000, "invalid opcode"),
            NodeRefused,
            "answered eth_blockNumber: invalid opcode (-32000)",
        ),
        (
            _error(-32005, "request rate limited"),
            RateLimited,
            "rate limited (-32005 request rate limited)",
        ),
        (
            lambda request: (429, b"Too Many Requests"),
            RateLimited,
            "rate limited (HTTP 429 Too Many Requests)",
        ),
        (
            lambda request: (502, b"<html>Bad Gateway</html>"),
            RpcUnavailable,
            "did not answer: the endpoint answered HTTP 502",
        ),
        (
            lambda request: (200, b'{"jsonrpc":"2.0","id":0,"resu'),
            BadAnswer,
            "gave no usable answer to eth_blockNumber",
        ),
        (lambda request: (200, b"[]"), BadAnswer, "Malformed response"),
        (
            lambda request: (200, json.dumps({"jsonrpc": "2.0", "id": request["id"]}).encode()),
            BadAnswer,
            "gave no usable answer",
        ),
    ],
    ids=["invalid-opcode", "rate-limit", "http-429", "http-502", "truncated", "list", "neither"],
)
def test_calls_through_web3_raise_what_the_node_said(
    node_saying: Callable[[Reply], str], reply: Reply, kind: type[ChainError], says: str
) -> None:
    w3 = connect(node_saying(reply), timeout_s=5)
    with pytest.raises(kind) as failure, rpc_guard(w3, "eth_blockNumber"):
        w3.eth.block_number  # noqa: B018
    assert says in str(failure.value)


def test_a_node_that_is_not_there_did_not_answer() -> None:
    w3 = connect(f"http://127.0.0.1:{free_port()}", timeout_s=5)
    with pytest.raises(RpcUnavailable, match="connection refused"), rpc_guard(w3):
        w3.eth.block_number  # noqa: B018


def test_our_own_mistakes_are_not_blamed_on_the_node() -> None:
    w3 = connect(f"http://127.0.0.1:{free_port()}", timeout_s=5)
    with pytest.raises(KeyError), rpc_guard(w3):
        raise KeyError("a bug of ours")


@pytest.mark.parametrize(
    ("reply", "kind", "says"),
    [
        (
            _error(-32000, "invalid opcode"),
            NodeRefused,
            "answered eth_call: invalid opcode (-32000)",
        ),
        (_error(-32005, "limit exceeded"), RateLimited, "rate limited (-32005 limit exceeded)"),
    ],
)
def test_the_registrys_check_names_the_nodes_answer(
    node_saying: Callable[[Reply], str], reply: Reply, kind: type[ChainError], says: str
) -> None:
    registry = Registry(connect(node_saying(reply), timeout_s=5), "0x" + "11" * 20)
    with pytest.raises(kind) as failure:
        registry.check(bytes(32), "0x" + "22" * 20, bytes(32), [])
    assert says in str(failure.value) and "did not answer" not in str(failure.value)


@pytest.mark.parametrize(
    ("raised", "says"),
    [
        (
            Web3RPCError(
                "{'code': -32000, 'message': 'invalid opcode'}",
                rpc_response={
                    "jsonrpc": "2.0",
                    "id": 1,
                    "error": {"code": -32000, "message": "invalid opcode"},
                },
            ),
            "notary: The RPC endpoint answered a call: invalid opcode (-32000). The node's EVM",
        ),
        (
            requests.ConnectionError(
                "HTTPConnectionPool(host='127.0.0.1', port=9): Connection refused"
            ),
            "notary: The RPC endpoint did not answer: connection refused.",
        ),
    ],
    ids=["invalid-opcode", "refused"],
)
def test_the_command_line_says_what_the_node_said_not_unexpected(
    raised: Exception,
    says: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    def node_fails(*args: object) -> None:
        raise raised

    monkeypatch.setattr("notary.cli.config.settings_rows", node_fails)
    assert main(["config", "show"]) == 4
    err = capsys.readouterr().err
    assert err.startswith(says) and "unexpected" not in err and err.count("\n") == 1, err


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://mainnet.infura.io/v3/0123abcdsecret", "https://mainnet.infura.io/…"),
        ("https://node.example/?apikey=0123abcdsecret", "https://node.example/…"),
        ("https://user:0123abcdsecret@node.example:8545", "https://node.example:8545/…"),
        ("http://127.0.0.1:8545", "http://127.0.0.1:8545"),
        ("http://[::1]:8545/", "http://[::1]:8545"),
        ("not a url 0123abcdsecret", "an RPC URL that cannot be read"),
    ],
)
def test_an_rpc_url_is_shown_without_what_may_be_a_key(url: str, shown: str) -> None:
    assert shown_url(url) == shown
    for failure in (
        RpcUnavailable(url, "connection refused"),
        node_error(url, "eth_call", {"code": -32000, "message": "invalid opcode"}),
        http_failure(url, "eth_call", 429, b"slow down"),
    ):
        assert "0123abcdsecret" not in str(failure)


@pytest.mark.parametrize(
    ("url", "local"),
    [
        ("http://127.0.0.1:8545", True),
        ("http://localhost:8545/", True),
        ("http://[::1]:8545", True),
        ("https://rpc.example.org/v3/key", False),
        ("http://10.0.0.5:8545", False),
        ("http://[::1", False),  # unreadable: not this machine
    ],
)
def test_a_url_is_local_only_when_its_host_is_this_machine(url: str, local: bool) -> None:
    assert is_local(url) is local
