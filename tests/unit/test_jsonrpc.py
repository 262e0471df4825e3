"""The lean JSON-RPC clients: their httpx2 transports (blocking and asyncio: framing,
dropped connections, TLS, proxies, silence), concurrent calls on the event loop sharing
batches, and answers that are no answers (a batch short, reordered, with ids it was not
asked, junk, a whole-batch error; HTTP 429; truncated JSON): each a named ChainError,
never another call's answer.

A small local HTTP server stands in for the node's transport (framing, closed
connections, refusals, silence, malformed answers); the clients' answers against a real
Anvil are covered here and by every verification test.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import datetime as dt
import json
import re
import socket
import socketserver
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from hypothesis import example, given
from hypothesis import strategies as st
from web3 import Web3
from web3.types import RPCEndpoint

from notary.chain.connection import connect
from notary.chain.endpoints import FailoverProvider
from notary.chain.errors import BadAnswer, ChainError, NodeRefused, RateLimited, RpcUnavailable
from notary.chain.jsonrpc import MAX_BATCH, AsyncJsonRpc, JsonRpc, batch_answers
from notary.chain.transport import AsyncHttpTransport, HttpError, HttpStatusError, HttpTransport

Reply = Callable[[bytes], bytes]
"""Request body -> the raw HTTP response bytes."""


def _answer(body: bytes, *, framing: str = "length", close: bool = False) -> bytes:
    head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
    if close:
        head += "Connection: close\r\n"
    if framing == "chunked":
        half = len(body) // 2
        chunks = b"".join(b"%x;ext=1\r\n%s\r\n" % (len(p), p) for p in (body[:half], body[half:]))
        return (head + "Transfer-Encoding: chunked\r\n\r\n").encode() + chunks + b"0\r\n\r\n"
    if framing == "eof":
        return (head + "Connection: close\r\n\r\n").encode() + body
    return (head + f"Content-Length: {len(body)}\r\n\r\n").encode() + body


def _echo(payload: Any) -> Any:
    """A JSON-RPC 'node' answering each call with its own params."""
    if isinstance(payload, list):
        return [_echo(p) for p in payload]
    return {"jsonrpc": "2.0", "id": payload["id"], "result": payload["params"]}


class Node:
    """A local HTTP server; `reply` decides each answer, `bodies` records each request."""

    def __init__(self, reply: Reply, port: int = 0, tls: ssl.SSLContext | None = None) -> None:
        self.reply = reply
        self.bodies: list[Any] = []
        self.connections = 0
        self.open: list[socket.socket] = []
        node = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                node.connections += 1
                node.open.append(self.connection)
                while True:
                    line = self.rfile.readline()
                    if not line:
                        return
                    length = 0
                    while (header := self.rfile.readline()) not in (b"\r\n", b""):
                        name, _, value = header.partition(b":")
                        if name.lower() == b"content-length":
                            length = int(value)
                    body = self.rfile.read(length)
                    node.bodies.append(json.loads(body))
                    answer = node.reply(body)
                    self.wfile.write(answer)
                    if b"Connection: close" in answer.split(b"\r\n\r\n", 1)[0]:
                        return

        class Server(socketserver.ThreadingTCPServer):
            allow_reuse_address = True
            daemon_threads = True

            def get_request(self) -> tuple[socket.socket, Any]:
                sock, address = super().get_request()
                return (tls.wrap_socket(sock, server_side=True) if tls else sock), address

        self.server = Server(("127.0.0.1", port), Handler)
        host = "localhost" if tls else "127.0.0.1"
        scheme = "https" if tls else "http"
        self.url = f"{scheme}://{host}:{self.server.server_address[1]}/rpc"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        """Stop listening and drop every open connection."""
        self.server.shutdown()
        self.server.server_close()
        for conn in self.open:
            with contextlib.suppress(OSError):  # already closed by its handler
                conn.shutdown(socket.SHUT_RDWR)


@pytest.fixture
def node_with() -> Iterator[Callable[..., Node]]:
    nodes: list[Node] = []

    def start(reply: Reply, port: int = 0, tls: ssl.SSLContext | None = None) -> Node:
        nodes.append(Node(reply, port, tls))
        return nodes[-1]

    yield start
    for n in nodes:
        n.stop()


def _echoing(**framing: Any) -> Reply:
    return lambda body: _answer(json.dumps(_echo(json.loads(body))).encode(), **framing)


Post = Callable[[bytes], bytes]


@pytest.fixture(params=["blocking", "asyncio"])
def transport_for(request: pytest.FixtureRequest) -> Iterator[Callable[..., Post]]:
    """Both transports behind one blocking `post(body)` (the asyncio one on one loop)."""
    loop = asyncio.new_event_loop()
    opened: list[HttpTransport | AsyncHttpTransport] = []

    def make(url: str, timeout_s: float = 5.0) -> Post:
        if request.param == "blocking":
            opened.append(HttpTransport(urlsplit(url), timeout_s))
            return opened[-1].post
        http = AsyncHttpTransport(urlsplit(url), timeout_s)
        opened.append(http)
        return lambda body: loop.run_until_complete(http.post(body))

    yield make
    for http in opened:
        http.close()
    loop.run_until_complete(asyncio.sleep(0))  # let the aborted transports finish closing
    loop.close()


@pytest.mark.parametrize(
    "framing", [{"framing": "length"}, {"framing": "chunked"}, {"framing": "eof"}]
)
def test_transport_reads_every_framing(
    node_with: Callable[..., Node], transport_for: Callable[..., Post], framing: dict[str, Any]
) -> None:
    node = node_with(_echoing(**framing))
    post = transport_for(node.url)
    for i in range(3):
        body = json.dumps({"id": i, "params": ["x" * 1000 * i]}).encode()
        assert json.loads(post(body))["result"] == ["x" * 1000 * i]
    expected = 3 if framing["framing"] == "eof" else 1  # an EOF-framed answer ends the link
    assert node.connections == expected


def test_transport_speaks_tls_to_an_https_node(
    node_with: Callable[..., Node],
    transport_for: Callable[..., Post],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cert, key = _self_signed_localhost(tmp_path)
    server_side = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_side.load_cert_chain(cert, key)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # the client trusts it as its CA store
    node = node_with(_echoing(), tls=server_side)
    post = transport_for(node.url)
    for i in range(2):
        assert json.loads(post(b'{"id": %d, "params": [%d]}' % (i, i)))["result"] == [i]
    assert node.connections == 1
    monkeypatch.delenv("SSL_CERT_FILE")
    monkeypatch.setenv("SSL_CERT_DIR", str(tmp_path / "none"))
    with pytest.raises(HttpError, match="certificate verify failed"):  # untrusted: refused
        transport_for(node.url)(b"{}")


def _self_signed_localhost(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=1))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "node.pem", folder / "node.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def test_transport_goes_through_the_proxy_the_environment_names(
    node_with: Callable[..., Node],
    transport_for: Callable[..., Post],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    proxy = node_with(_echoing())  # answers whatever it is asked to forward
    monkeypatch.setenv("HTTP_PROXY", proxy.url.removesuffix("/rpc"))
    monkeypatch.delenv("NO_PROXY", raising=False)
    post = transport_for("http://node.invalid:8545/")  # resolvable only by the proxy
    assert json.loads(post(b'{"id": 7, "params": ["via proxy"]}'))["result"] == ["via proxy"]
    assert proxy.bodies == [{"id": 7, "params": ["via proxy"]}]


def test_transport_reconnects_once_when_the_kept_alive_link_was_closed(
    node_with: Callable[..., Node], transport_for: Callable[..., Post]
) -> None:
    node = node_with(_echoing(close=True))  # the node closes after each answer
    post = transport_for(node.url)
    assert json.loads(post(b'{"id": 1, "params": [1]}'))["result"] == [1]
    assert json.loads(post(b'{"id": 2, "params": [2]}'))["result"] == [2]
    assert node.connections == 2


def test_transport_raises_on_a_refusal_without_retrying(
    node_with: Callable[..., Node], transport_for: Callable[..., Post]
) -> None:
    node = node_with(lambda body: b"HTTP/1.1 503 Busy\r\nContent-Length: 4\r\n\r\nbusy")
    post = transport_for(node.url)
    with pytest.raises(HttpStatusError, match="HTTP 503"):
        post(b"{}")
    with pytest.raises(HttpStatusError):
        post(b"{}")  # still one request each, no retry
    assert len(node.bodies) == 2


def test_transport_rejects_what_is_not_http(
    node_with: Callable[..., Node], transport_for: Callable[..., Post]
) -> None:
    node = node_with(lambda body: b"SSH-2.0-OpenSSH\r\n\r\n")
    with pytest.raises(HttpError, match="RemoteProtocolError"):
        transport_for(node.url)(b"{}")


def test_transport_gives_up_on_a_node_that_does_not_answer(
    transport_for: Callable[..., Post],
) -> None:
    with socket.create_server(("127.0.0.1", 0)) as silent:  # accepts, never answers
        post = transport_for(f"http://127.0.0.1:{silent.getsockname()[1]}/", timeout_s=0.3)
        started = time.monotonic()
        with pytest.raises(TimeoutError):
            post(b"{}")
        assert time.monotonic() - started < 2.0


def _batching(url: str) -> AsyncJsonRpc:
    return AsyncJsonRpc(connect(url, timeout_s=5))


def test_calls_made_during_a_batch_go_out_together_and_each_gets_its_answer(
    node_with: Callable[..., Node],
) -> None:
    first = threading.Event()

    def slow_first(body: bytes) -> bytes:
        if not first.is_set():  # while this one is in flight, the others queue up
            first.set()
            time.sleep(0.3)
        return _echoing()(body)

    node = node_with(slow_first)
    rpc = _batching(node.url)
    callers = 3 * MAX_BATCH // 2

    async def scenario() -> list[Any]:
        lone = asyncio.ensure_future(rpc.request("echo", [0]))
        await asyncio.to_thread(first.wait, 5)
        rest = [rpc.request("echo", [i]) for i in range(1, callers)]
        try:
            return await asyncio.gather(lone, *rest)
        finally:
            rpc.close()

    answers = asyncio.run(scenario())
    assert [a["result"] for a in answers] == [[i] for i in range(callers)]
    assert isinstance(node.bodies[0], dict)  # a lone call: a plain request
    sizes = [len(b) if isinstance(b, list) else 1 for b in node.bodies]
    assert sizes == [1, MAX_BATCH, callers - 1 - MAX_BATCH]
    assert node.connections == 1


def test_a_node_refusing_batches_gets_one_request_per_call(
    node_with: Callable[..., Node],
) -> None:
    def no_batches(body: bytes) -> bytes:
        if isinstance(json.loads(body), list):
            refusal = {"jsonrpc": "2.0", "id": None, "error": {"code": -32600, "message": "no"}}
            return _answer(json.dumps(refusal).encode())
        return _echoing()(body)

    node = node_with(no_batches)
    rpc = _batching(node.url)

    async def scenario() -> list[Any]:
        try:
            return await asyncio.gather(*(rpc.request("echo", [i]) for i in range(6)))
        finally:
            rpc.close()

    answers = asyncio.run(scenario())
    assert [a["result"] for a in answers] == [[i] for i in range(6)]
    assert isinstance(node.bodies[0], list)  # tried as one batch, then one by one
    assert [isinstance(b, dict) for b in node.bodies[1:]] == [True] * 6


def test_a_node_that_goes_away_fails_every_waiting_call_until_it_is_back(
    node_with: Callable[..., Node],
) -> None:
    node = node_with(_echoing())
    port = node.server.server_address[1]
    rpc = _batching(node.url)

    async def calls(n: int) -> list[Any]:
        return await asyncio.gather(
            *(rpc.request("echo", [i]) for i in range(n)), return_exceptions=True
        )

    async def scenario() -> None:
        assert (await rpc.request("echo", [0]))["result"] == [0]
        node.stop()
        failures = await calls(8)
        assert all(isinstance(f, RpcUnavailable) for f in failures), failures
        assert all(f"127.0.0.1:{port}" in str(f) for f in failures)
        node_with(_echoing(), port)
        assert [a["result"] for a in await calls(3)] == [[0], [1], [2]]
        rpc.close()

    asyncio.run(scenario())


def test_a_caller_that_gives_up_leaves_the_batch_and_the_link_intact(
    node_with: Callable[..., Node],
) -> None:
    gate = threading.Event()

    def held(body: bytes) -> bytes:
        gate.wait(5)
        return _echoing()(body)

    node = node_with(held)
    rpc = _batching(node.url)

    async def scenario() -> None:
        kept = asyncio.ensure_future(rpc.request("echo", ["kept"]))
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(rpc.request("echo", ["dropped"]), 0.1)
        gate.set()
        assert (await kept)["result"] == ["kept"]
        assert (await rpc.request("echo", ["next"]))["result"] == ["next"]
        rpc.close()

    asyncio.run(scenario())
    assert node.connections == 1


def test_answers_from_anvil_through_both_clients(w3: Web3) -> None:
    chain_id = hex(w3.eth.chain_id)
    blocking = JsonRpc(w3)
    results: list[Any] = []
    threads = [
        threading.Thread(
            target=lambda: results.append(blocking.request("eth_chainId", [])["result"])
        )
        for _ in range(20)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    blocking.close()
    assert results == [chain_id] * 20

    batching = AsyncJsonRpc(w3)

    async def many() -> list[Any]:
        try:
            return await asyncio.gather(*(batching.request("eth_chainId", []) for _ in range(20)))
        finally:
            batching.close()

    assert [a["result"] for a in asyncio.run(many())] == [chain_id] * 20


# -- malformed answers: each a named ChainError, never a wrong answer for the wrong call ----


_LIMIT = {"code": -32005, "message": "limit exceeded"}


def _status(status: int, body: bytes) -> bytes:
    return b"HTTP/1.1 %d Refused\r\nContent-Length: %d\r\n\r\n%s" % (status, len(body), body)


def _lone_reply(answer: Any) -> Reply:
    """A node answering every request with `answer` (its id set to the request's, if asked)."""

    def reply(body: bytes) -> bytes:
        shaped = answer(json.loads(body)) if callable(answer) else answer
        return _answer(json.dumps(shaped).encode())

    return reply


def _mangled_batch(
    node_with: Callable[..., Node], mangle: Callable[[list[Any]], Any], count: int = 5
) -> list[Any]:
    """`count` calls sent as one batch (queued behind a lone call that holds the link),
    the node's answer to that batch passed through `mangle`; each call's answer or error."""
    holding = threading.Event()

    def reply(body: bytes) -> bytes:
        payload = json.loads(body)
        if isinstance(payload, dict):  # the lone call: the others queue up behind it
            holding.set()
            time.sleep(0.2)
            return _answer(json.dumps(_echo(payload)).encode())
        return _answer(json.dumps(mangle(_echo(payload))).encode())

    node = node_with(reply)
    rpc = _batching(node.url)

    async def scenario() -> list[Any]:
        lone = asyncio.ensure_future(rpc.request("echo", ["lone"]))
        await asyncio.to_thread(holding.wait, 5)
        try:
            return await asyncio.gather(
                *(rpc.request("echo", [i]) for i in range(count)), return_exceptions=True
            )
        finally:
            await lone
            rpc.close()

    answers = asyncio.run(scenario())
    assert sum(isinstance(b, list) for b in node.bodies) == 1, node.bodies  # one batch sent
    return answers


def _each_own_or_named(answers: list[Any]) -> None:
    """Every call got its own answer or a ChainError: never another call's answer."""
    for i, answer in enumerate(answers):
        if isinstance(answer, BaseException):
            assert isinstance(answer, ChainError), repr(answer)
        else:
            assert answer["result"] == [i], (i, answer)


def test_a_batch_answered_out_of_order_gives_each_call_its_own_answer(
    node_with: Callable[..., Node],
) -> None:
    answers = _mangled_batch(node_with, lambda items: items[::-1])
    assert [a["result"] for a in answers] == [[i] for i in range(5)]


def test_calls_a_batch_leaves_unanswered_fail_alone_and_say_so(
    node_with: Callable[..., Node],
) -> None:
    answers = _mangled_batch(node_with, lambda items: [items[3], items[0], items[1]])
    assert [a["result"] for a in (answers[0], answers[1], answers[3])] == [[0], [1], [3]]
    for missing in (answers[2], answers[4]):
        assert isinstance(missing, BadAnswer), missing
        assert "no answer to it in the batch (3 of 5)" in str(missing)
    assert all(isinstance(a, BadAnswer) for a in _mangled_batch(node_with, lambda items: []))


@pytest.mark.parametrize(
    ("mangle", "named"),
    [
        (lambda items: [{**x, "id": x["id"] + 1} for x in items], "did not send (id 5)"),
        (lambda items: [*items, {**items[0], "id": 7}], "did not send (id 7)"),
        (lambda items: [*items, {**items[1], "result": ["other"]}], "two answers to call 1"),
        (lambda items: [{**x, "id": str(x["id"])} for x in items], "did not send (id '0')"),
        (lambda items: [*items[:2], 42, *items[2:]], "a number among its answers"),
        (lambda items: {"jsonrpc": "2.0", "id": 0, "result": "0x1"}, "an object instead"),
        (lambda items: "busy", "a string instead of a list"),
        (lambda items: None, "null instead of a list"),
    ],
    ids=[
        "ids-shifted",
        "extra-item",
        "duplicate-id",
        "string-ids",
        "junk-item",
        "object",
        "string",
        "null",
    ],
)
def test_a_batch_answer_that_cannot_be_matched_fails_every_call_by_name(
    node_with: Callable[..., Node], mangle: Callable[[list[Any]], Any], named: str
) -> None:
    answers = _mangled_batch(node_with, mangle)
    assert all(isinstance(a, BadAnswer) for a in answers), answers
    assert named in str(answers[0]) and "the batch of 5 calls got" in str(answers[0])


def test_an_item_with_neither_result_nor_error_fails_only_its_call(
    node_with: Callable[..., Node],
) -> None:
    answers = _mangled_batch(
        node_with, lambda items: [*items[:2], {"jsonrpc": "2.0", "id": 2}, *items[3:]]
    )
    assert isinstance(answers[2], BadAnswer) and "neither a result nor an error" in str(answers[2])
    _each_own_or_named(answers)


def test_a_rate_limit_for_the_whole_batch_fails_each_call_with_it_and_is_not_resent(
    node_with: Callable[..., Node],
) -> None:
    limited = {"jsonrpc": "2.0", "id": None, "error": _LIMIT}
    answers = _mangled_batch(node_with, lambda items: limited)
    assert all(isinstance(a, RateLimited) for a in answers), answers
    assert "rate limited (-32005 limit exceeded)" in str(answers[0])


def test_errors_the_node_could_not_tie_to_a_call_explain_the_calls_left_unanswered(
    node_with: Callable[..., Node],
) -> None:
    untied = {"jsonrpc": "2.0", "id": None, "error": {"code": -32029, "message": "slow down"}}
    answers = _mangled_batch(node_with, lambda items: [items[0], untied, untied])
    assert answers[0]["result"] == [0]
    assert all(isinstance(a, RateLimited) for a in answers[1:]), answers


@given(
    st.lists(
        st.one_of(
            st.tuples(st.just("drop"), st.integers(0, 5)),
            st.tuples(st.just("duplicate"), st.integers(0, 5)),
            st.tuples(st.just("swap"), st.integers(0, 5)),
            st.tuples(
                st.just("id"),
                st.integers(0, 5),
                st.one_of(st.none(), st.integers(-2, 8), st.text(max_size=2), st.booleans()),
            ),
            st.tuples(st.just("result"), st.integers(0, 5)),
            st.tuples(st.just("junk"), st.integers(0, 5)),
        ),
        max_size=6,
    )
)
@example([("drop", 0), ("id", 0, 0)])  # call 0's answer lost, call 1's relabelled as 0's
def test_whatever_a_batch_answer_holds_each_call_gets_its_own_answer_or_a_chain_error(
    edits: list[tuple[Any, ...]],
) -> None:
    count = 6
    items: list[Any] = [{"jsonrpc": "2.0", "id": i, "result": [i]} for i in range(count)]
    for edit in edits:
        if not items:
            break
        at = edit[1] % len(items)
        if edit[0] == "drop":
            items.pop(at)
        elif edit[0] == "duplicate":
            items.insert(0, copy.deepcopy(items[at]))
        elif edit[0] == "swap":
            items[0], items[at] = items[at], items[0]
        elif edit[0] == "id" and isinstance(items[at], dict):
            # A node that labels an answer with another call's id answers that call: the
            # result follows the label, so "its own answer" stays checkable.
            items[at] = {**items[at], "id": edit[2], "result": [edit[2]]}
        elif edit[0] == "result" and isinstance(items[at], dict):
            items[at] = {key: value for key, value in items[at].items() if key != "result"}
        elif edit[0] == "junk":
            items[at] = [items[at]]
    answers = batch_answers(items, ["echo"] * count, "http://node.test")
    assert answers is not None
    _each_own_or_named(answers)


@pytest.mark.parametrize(
    ("answer", "error", "named"),
    [
        (lambda call: {**_echo(call), "id": 9}, BadAnswer, "the answer to another call (id 9)"),
        (lambda call: [_echo(call)], BadAnswer, "a list instead of an answer object"),
        (lambda call: {"jsonrpc": "2.0", "id": call["id"]}, BadAnswer, "neither a result"),
        (
            lambda call: {"jsonrpc": "2.0", "id": call["id"], "error": _LIMIT},
            RateLimited,
            "answered echo: rate limited (-32005 limit exceeded)",
        ),
    ],
    ids=["other-id", "list", "neither", "rate-limited"],
)
def test_a_lone_answer_that_is_not_the_answer_to_the_call_is_named(
    node_with: Callable[..., Node],
    answer: Callable[[Any], Any],
    error: type[ChainError],
    named: str,
) -> None:
    node = node_with(_lone_reply(answer))
    blocking = JsonRpc(connect(node.url, timeout_s=5))
    with pytest.raises(error, match=re.escape(named)):
        blocking.request("echo", [1])
    blocking.close()
    batching = _batching(node.url)

    async def ask() -> Any:
        try:
            return await batching.request("echo", [1])
        finally:
            batching.close()

    with pytest.raises(error, match=re.escape(named)):
        asyncio.run(ask())


@pytest.mark.parametrize(
    ("response", "error", "named"),
    [
        (_status(429, b"slow"), RateLimited, "rate limited (HTTP 429 slow)"),
        (
            _status(429, json.dumps({"id": 0, "error": _LIMIT | {"message": "quota"}}).encode()),
            RateLimited,
            "rate limited (-32005 quota)",
        ),
        (_status(503, b"busy"), RpcUnavailable, "did not answer: the endpoint answered HTTP 503"),
        (_status(403, b"no"), NodeRefused, "answered echo: HTTP 403"),
        (_answer(b'{"jsonrpc":"2.0","id":0,"resu'), BadAnswer, "not JSON"),
    ],
    ids=["429", "429-json", "503", "403", "truncated"],
)
def test_what_an_endpoint_says_instead_of_an_answer_is_named(
    node_with: Callable[..., Node], response: bytes, error: type[ChainError], named: str
) -> None:
    node = node_with(lambda body: response)
    blocking = JsonRpc(connect(node.url, timeout_s=5))
    with pytest.raises(error, match=re.escape(named)):
        blocking.request("echo", [1])
    blocking.close()
    batching = _batching(node.url)

    async def ask() -> Any:
        try:
            return await batching.request("echo", [1])
        finally:
            batching.close()

    with pytest.raises(error, match=re.escape(named)):
        asyncio.run(ask())


def test_a_rate_limited_endpoint_is_failed_over_like_a_silent_one(
    node_with: Callable[..., Node],
) -> None:
    limited = node_with(
        _lone_reply(lambda call: {"jsonrpc": "2.0", "id": call["id"], "error": _LIMIT})
    )
    healthy = node_with(_echoing())
    w3 = Web3(FailoverProvider([limited.url, healthy.url], timeout_s=5))
    blocking = JsonRpc(w3)
    assert blocking.request("echo", [1])["result"] == [1]
    blocking.close()
    assert w3.provider.make_request(RPCEndpoint("echo"), [2])["result"] == [2]
