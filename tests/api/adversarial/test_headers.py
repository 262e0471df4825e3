"""Adversarial suite, request headers: every header the service parses is bounded and read
in linear time, the request head as a whole is bounded by the server, proxy headers are
believed only from named proxies, and no secret in a URL reaches a log.

Where a case is about time (a 60,000-space Accept-Language took 42 s), what is tested is
the bound that prevents it: the header is refused before it is parsed, and the parser
(api.i18n) has no regular expression that could backtrack.
"""

from __future__ import annotations

import ast
import json
import logging
import random
from pathlib import Path

import httpx2
import pytest
import starlette.requests

from api.header_limits import LIMITS
from api.i18n import choose_language
from api.log_redaction import redact
from api.server import MAX_HEAD_BYTES, server_options
from notary.settings.config import Settings
from tests.api.adversarial.live import raw_request, serve_process, served
from tests.api.conftest import ApiEnv, Issuer

ROOT = Path(__file__).resolve().parents[3]
HOSTILE_ACCEPT_LANGUAGE = "a" + " " * 60_000 + "!"
"""The probe's request: 42 s on the event loop with the old parser."""


def is_problem(r: httpx2.Response | object) -> bool:
    headers = getattr(r, "headers", {})
    return str(headers.get("content-type", "")).startswith("application/problem+json")


# -- each parsed header: bounded --------------------------------------------------------


@pytest.mark.parametrize("path", ["/verify", "/verify/stream", "/issuers"])
def test_a_60000_space_accept_language_is_refused_before_it_is_parsed(
    api: ApiEnv, path: str
) -> None:
    r = api.client.get(path, headers={"Accept-Language": HOSTILE_ACCEPT_LANGUAGE})
    assert r.status_code == 431 and is_problem(r)
    assert r.json()["field"] == "Accept-Language"
    assert r.json()["type"] == "urn:notary:problem:header-too-large"


def test_an_accept_language_at_its_bound_is_read(api: ApiEnv) -> None:
    longest = "a" + " " * (LIMITS["Accept-Language"] - 5) + "!,en"
    assert len(longest) == LIMITS["Accept-Language"]
    r = api.client.get("/verify", headers={"Accept-Language": longest})
    assert r.status_code == 200 and '<html lang="en">' in r.text


@pytest.mark.parametrize("name", sorted(LIMITS))
def test_every_parsed_header_over_its_limit_is_refused_naming_it(api: ApiEnv, name: str) -> None:
    value = ("1" if name == "Content-Length" else "a") * (LIMITS[name] + 1)
    r = api.client.get("/healthz", headers={name: value})
    assert r.status_code == 431 and is_problem(r)
    assert r.json()["field"] == name and str(LIMITS[name]) in r.json()["detail"]
    assert value not in r.text


@pytest.mark.parametrize("name", sorted(set(LIMITS) - {"Content-Length", "Authorization"}))
def test_every_parsed_header_at_its_limit_is_let_through(api: ApiEnv, name: str) -> None:
    r = api.client.get("/healthz", headers={name: "a" * LIMITS[name]})
    assert r.status_code != 431


def test_the_idempotency_key_keeps_its_own_limit_below_the_header_bound(
    api: ApiEnv, issuer: Issuer
) -> None:
    body = {"digest": "0x" + random.randbytes(32).hex()}
    r = api.client.post(
        "/v1/documents", json=body, headers={**issuer.headers, "Idempotency-Key": "k" * 256}
    )
    assert r.status_code == 422 and r.json()["field"] == "Idempotency-Key"


# -- the page language: Accept-Language read linearly, cookies without backslashes -------


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("vi-VN,vi;q=0.9,en-US;q=0.8,en;q=0.7", "vi"),
        ("en-US,en;q=0.9,vi;q=0.8", "en"),
        ("fr-FR, fr;q=0.9, en;q=0.8, vi;q=0.9", "vi"),
        ("en;q=0.5 , vi ; q = 0.6", "vi"),
        ("en;Q=0.5,vi;q=0.4", "en"),
        ("fr", "en"),
        ("*", "en"),
        ("vi;q=0", "en"),
        ("vi;q=abc, en", "en"),
        ("vi;q=0.5;level=1, en;q=0.1", "en"),
        ("vi;q=1e999, en;q=0.1", "en"),
        ("123, vi", "vi"),
        ("en-" + "x" * 9 + ", vi", "vi"),
        ("ﬁ, vi", "vi"),
        (",,,;;;===, en", "en"),
        ("", "vi"),
        (None, "vi"),
        (HOSTILE_ACCEPT_LANGUAGE, "en"),
        (",".join(["fr"] * 40 + ["vi"]), "en"),  # only the first 32 ranges are read
    ],
)
def test_accept_language(header: str | None, expected: str) -> None:
    assert choose_language(None, header) == expected


@pytest.mark.parametrize("path", ["/verify", "/v1/issuers", "/healthz"])
def test_a_cookie_with_a_backslash_is_refused_before_it_is_unquoted(
    api: ApiEnv, path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """FastAPI unquotes every request's cookies; Python before 3.11.10 does it in time
    quadratic in backslashes (CVE-2024-7592), which RFC 6265 never allows in a cookie."""

    def refuse(cookie_string: str) -> dict[str, str]:
        raise AssertionError("a cookie with backslashes reached Starlette's cookie parser")

    monkeypatch.setattr(starlette.requests, "cookie_parser", refuse)
    cookie = 'x="' + "\\" * 4000 + '"; lang=en'
    r = api.client.get(path, headers={"Cookie": cookie})
    assert r.status_code == 400 and is_problem(r) and r.json()["field"] == "Cookie"


def test_the_lang_cookie_still_chooses_the_language(api: ApiEnv) -> None:
    r = api.client.get(
        "/verify", headers={"Cookie": "theme=dark; lang=en", "Accept-Language": "vi"}
    )
    assert r.status_code == 200 and '<html lang="en">' in r.text


# -- the whole request head: bounded by the server ---------------------------------------


def test_a_request_head_over_the_bound_is_refused_by_the_server(api: ApiEnv) -> None:
    with served(api.settings) as url:
        padding = b"X-Padding: " + b"a" * (MAX_HEAD_BYTES + 1) + b"\r\n"
        answer = raw_request(url, b"GET /healthz HTTP/1.1\r\nHost: t\r\n" + padding + b"\r\n")
        assert answer.startswith(b"HTTP/1.1 431 ")
        body = json.loads(answer.partition(b"\r\n\r\n")[2])
        assert body["type"] == "urn:notary:problem:header-too-large"
        long_url = b"/healthz?" + b"q" * (MAX_HEAD_BYTES + 1)
        answer = raw_request(url, b"GET " + long_url + b" HTTP/1.1\r\nHost: t\r\n\r\n")
        assert answer.startswith(b"HTTP/1.1 431 ")
        many = b"".join(b"X-H%d: v\r\n" % i for i in range(MAX_HEAD_BYTES // 8))
        answer = raw_request(url, b"GET /healthz HTTP/1.1\r\nHost: t\r\n" + many + b"\r\n")
        assert answer.startswith(b"HTTP/1.1 431 ")
        ok = raw_request(url, b"GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        assert ok.startswith(b"HTTP/1.1 200 ")


def test_a_request_head_over_the_bound_is_refused_by_h11_too(api: ApiEnv) -> None:
    with served(api.settings, http="h11") as url:
        # h11 bounds what it holds of an incomplete head: past it by more than a read.
        padding = b"X-Padding: " + b"a" * (16 * MAX_HEAD_BYTES) + b"\r\n"
        answer = raw_request(url, b"GET /healthz HTTP/1.1\r\nHost: t\r\n" + padding + b"\r\n")
        assert answer.startswith(b"HTTP/1.1 400 ")  # h11 says no more than that


def test_every_uvicorn_of_the_project_gets_the_server_options() -> None:
    """Each uvicorn.run / uvicorn.Config call in api/ and notary/ passes
    **server_options(...): no server escapes the head bound or the proxy setting."""
    calls = []
    for source in [*ROOT.glob("api/**/*.py"), *ROOT.glob("notary/**/*.py")]:
        for node in ast.walk(ast.parse(source.read_text(), str(source))):
            if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
                continue
            func = node.func
            if not (isinstance(func.value, ast.Name) and func.value.id == "uvicorn"):
                continue
            if func.attr not in ("run", "Config"):
                continue
            spread = [k.value for k in node.keywords if k.arg is None]
            named = [
                c.func.id
                for c in spread
                if isinstance(c, ast.Call) and isinstance(c.func, ast.Name)
            ]
            calls.append((f"{source.relative_to(ROOT)}:{node.lineno}", named))
    assert len(calls) >= 4  # notary serve (one and many processes), dev, demo's local service
    assert all(named == ["server_options"] for _, named in calls), calls


# -- proxy headers: believed only from the proxies named ----------------------------------


def random_address() -> str:
    return ".".join(str(random.randrange(1, 255)) for _ in range(4))


def spoofed_statuses(settings: Settings, requests: int = 20) -> list[int]:
    """Statuses of public requests from 127.0.0.1, each claiming another X-Forwarded-For."""
    limited = settings.model_copy(
        update={"public_rate_limit_per_s": 0.001, "public_rate_limit_burst": 5}
    )
    with served(limited) as url, httpx2.Client(base_url=url) as client:
        return [
            client.get("/v1/issuers", headers={"X-Forwarded-For": random_address()}).status_code
            for _ in range(requests)
        ]


def test_no_proxy_is_trusted_unless_named() -> None:
    assert Settings(_env_file=None).trusted_proxies == ""
    options = server_options(Settings(_env_file=None))
    assert options["proxy_headers"] is False


def test_x_forwarded_for_from_a_peer_not_named_does_not_move_the_rate_limit(api: ApiEnv) -> None:
    statuses = spoofed_statuses(api.settings)
    assert statuses.count(200) == 5 and statuses.count(429) == 15


def test_x_forwarded_for_from_a_named_proxy_is_the_client(api: ApiEnv) -> None:
    named = api.settings.model_copy(update={"trusted_proxies": "127.0.0.1"})
    assert set(spoofed_statuses(named)) == {200}


@pytest.mark.parametrize("value", ["proxy.example", "10.0.0.1/8", "10.0.0.300", "*x"])
def test_a_trusted_proxy_that_is_no_address_is_refused(value: str) -> None:
    with pytest.raises(ValueError, match="trusted_proxies"):
        Settings(_env_file=None, trusted_proxies=value)


# -- secrets in URLs: never in a log ----------------------------------------------------


class Lines(logging.Handler):
    """Every record as its handlers would write it."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def test_a_key_in_a_url_never_reaches_the_access_log(api: ApiEnv, issuer: Issuer) -> None:
    lines = Lines()
    with served(api.settings, access_log=True) as url:
        logging.getLogger("uvicorn.access").addHandler(lines)
        try:
            with httpx2.Client(base_url=url) as client:
                leaf = "0x" + "cd" * 32
                asked = client.get(
                    f"/v1/documents/{leaf}",
                    params={"api_key": issuer.key, "Access_Token": "tok-123", "page": "2"},
                )
                assert asked.status_code == 401 and issuer.key not in asked.text
                client.get(f"/v1/documents/{issuer.key}")
                client.get(f"/healthz?{issuer.key}")
                client.get("/healthz?x=" + issuer.key.replace("_", "%5F", 1))
        finally:
            logging.getLogger("uvicorn.access").removeHandler(lines)
    logged = "\n".join(lines.lines)
    assert len(lines.lines) == 4
    secret = issuer.key.removeprefix("nty_")
    assert secret not in logged and "tok-123" not in logged
    assert "api_key=***" in logged and "Access_Token=***" in logged and "page=2" in logged


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("/v1/x?api_key=abc&page=2", "/v1/x?api_key=***&page=2"),
        ("/v1/x?apikey=abc", "/v1/x?apikey=***"),
        ("/v1/x?X-API-KEY=abc", "/v1/x?X-API-KEY=***"),
        ("/v1/x?api%5Fkey=abc", "/v1/x?api%5Fkey=***"),
        (
            "/v1/x?token=a&password=b&sig=c&session=d&auth=e",
            "/v1/x?token=***&password=***&sig=***&session=***&auth=***",
        ),
        (
            "/v1/x?time=2026-01-01T00:00:00Z&format=csv",
            "/v1/x?time=2026-01-01T00:00:00Z&format=csv",
        ),
        ("/v1/nty_abcdefghijklmnop/x", "/v1/nty_***/x"),
        ("/v1/x?q=nty%5Fabcdefghijklmnop", "/v1/x?q=nty_***"),
        ("/v1/x?nty_admin_abcdefghijkl", "/v1/x?nty_***"),
        ("/v1/x?key", "/v1/x?key"),
        ("/v1/nty_short", "/v1/nty_short"),
    ],
)
def test_redact(url: str, expected: str) -> None:
    assert redact(url) == expected


def spoofed_statuses_of_serve(url: str, requests: int = 30) -> list[int]:
    with httpx2.Client(base_url=url) as client:
        return [
            client.get("/v1/issuers", headers={"X-Forwarded-For": random_address()}).status_code
            for _ in range(requests)
        ]


@pytest.mark.parametrize("trusted", ["", "127.0.0.1"])
def test_serve_with_workers_believes_x_forwarded_for_only_from_a_named_proxy(
    api: ApiEnv, tmp_path: Path, trusted: str
) -> None:
    limited = api.settings.model_copy(
        update={"public_rate_limit_per_s": 0.001, "public_rate_limit_burst": 5}
    )
    env = {"NOTARY_TRUSTED_PROXIES": trusted}
    with serve_process(limited, tmp_path, "--workers", "2", env=env) as url:
        statuses = spoofed_statuses_of_serve(url)
    if trusted:
        assert set(statuses) == {200}
    else:  # a bucket of 5 in each of the two processes, whatever the header says
        assert statuses.count(200) <= 10 and statuses.count(429) >= 20


@pytest.mark.parametrize(
    "header",
    [
        b"Accept-Language: \xff\xfe\x80, vi",
        b"Authorization: Bearer \xff\xfe\x80",
        b"Authorization: Bearer nty_\xc3\xa9",
        b"Cookie: lang=\xff",
        b"Content-Type: application/json; charset=\xff",
        b"Origin: http://\xff",
        b"X-Forwarded-For: \xff, 1.2.3.4",
        b"Accept-Language: vi\x00en",
        b"Authorization: Bearer a\rb",
    ],
)
def test_bytes_that_are_no_text_in_a_header_never_give_a_500(api: ApiEnv, header: bytes) -> None:
    with served(api.settings) as url:
        for path in (b"/verify", b"/v1/documents/0x" + b"ab" * 32):
            head = (
                b"GET "
                + path
                + b" HTTP/1.1\r\nHost: t\r\n"
                + header
                + b"\r\nConnection: close\r\n\r\n"
            )
            answer = raw_request(url, head)
            status = int(answer.split(b" ", 2)[1])
            assert status < 500 and status in (200, 400, 401), answer[:200]
