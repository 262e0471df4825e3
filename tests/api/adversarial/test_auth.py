"""Adversarial suite, authentication: where a key may come from, how long it may be, whose
documents it opens, and that a revoked key is refused at once under concurrency, in the
process that revoked it and in the other API processes of the same service."""

from __future__ import annotations

import base64
import secrets
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import httpx2
import pytest
from eth_account.signers.local import LocalAccount
from fastapi.testclient import TestClient
from web3 import Web3

from api.app import create_app
from notary.chain import Registry
from notary.ops.anvil import free_port
from notary.settings.config import Settings
from notary.store.engine import open_store
from notary.store.migrate import upgrade
from tests.api.adversarial.live import serve_process
from tests.api.conftest import ADMIN_KEY, ApiEnv, Issuer, api_settings
from tests.browser.stack import serve

ROOT = Path(__file__).resolve().parents[3]
UNKNOWN_LEAF = "0x" + "ab" * 32
"""Asked with an issuer's key: 404 while the key works, 401 once it is revoked."""
HAMMERS = 6
TRIALS = 12
ADMIN = {"Authorization": f"Bearer {ADMIN_KEY}"}


# -- where a key may come from --------------------------------------------------------


@pytest.mark.parametrize(
    "place",
    ["cookie", "basic", "x-api-key", "query", "bearer-lowercase-scheme-only", "token-scheme"],
)
def test_a_key_anywhere_but_a_bearer_header_is_refused(
    api: ApiEnv, issuer: Issuer, place: str
) -> None:
    headers: dict[str, str] = {}
    params: dict[str, str] = {}
    if place == "cookie":
        headers["Cookie"] = f"api_key={issuer.key}; Authorization=Bearer {issuer.key}"
    elif place == "basic":
        token = base64.b64encode(f"{issuer.key}:".encode()).decode()
        headers["Authorization"] = f"Basic {token}"
    elif place == "x-api-key":
        headers["X-API-Key"] = issuer.key
    elif place == "query":
        params = {"api_key": issuer.key, "access_token": issuer.key}
    elif place == "bearer-lowercase-scheme-only":
        headers["Authorization"] = "bearer"
    else:
        headers["Authorization"] = f"Token {issuer.key}"
    r = api.client.get(f"/v1/documents/{UNKNOWN_LEAF}", headers=headers, params=params)
    assert r.status_code == 401, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.headers["www-authenticate"] == 'Bearer realm="notary"'
    assert issuer.key not in r.text


@pytest.mark.parametrize("length", [513, 4_000, 60_000])
def test_an_overlong_authorization_header_is_refused(api: ApiEnv, length: int) -> None:
    r = api.client.get(
        f"/v1/documents/{UNKNOWN_LEAF}", headers={"Authorization": "Bearer " + "k" * length}
    )
    assert r.status_code in (401, 431), r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert "k" * 100 not in r.text


def test_a_key_with_a_prefix_suffix_or_other_case_is_unknown(api: ApiEnv, issuer: Issuer) -> None:
    for variant in (issuer.key + "x", issuer.key[:-1], issuer.key.upper(), " " + issuer.key):
        headers = {"Authorization": f"Bearer {variant}"}
        if variant.startswith(" "):  # extra spaces around the key are trimmed, as RFC 6750 allows
            continue
        r = api.client.get(f"/v1/documents/{UNKNOWN_LEAF}", headers=headers)
        assert r.status_code == 401, variant


def test_another_issuers_key_opens_none_of_its_documents(api: ApiEnv) -> None:
    alice, mallory = api.new_issuer(unique_name()), api.new_issuer(unique_name())
    leaf = api.notarise(alice, {"documentNumber": "A-1"})["leaf"]
    for path in (f"/v1/documents/{leaf}", f"/v1/documents/{leaf}/receipt"):
        assert api.client.get(path, headers=alice.headers).status_code == 200
        denied = api.client.get(path, headers=mallory.headers)
        assert denied.status_code == 404 and "A-1" not in denied.text
    many = api.client.post(
        "/v1/documents:receipts", json={"leaves": [leaf]}, headers=mallory.headers
    )
    assert "A-1" not in many.text
    revoke = api.client.post(
        f"/v1/documents/{leaf}/revoke", json={"reason": 1}, headers=mallory.headers
    )
    assert revoke.status_code == 404
    keys = api.client.get(f"/v1/issuers/{alice.address}/keys", headers=mallory.headers)
    assert keys.status_code == 403


# -- a revoked key, under concurrency ---------------------------------------------------


@dataclass
class Hammering:
    """Threads asking with one key until stopped: (monotonic time sent, status) each."""

    results: list[tuple[float, int]]
    stop: threading.Event
    threads: list[threading.Thread]

    def finish(self) -> list[tuple[float, int]]:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=30)
        return self.results


def hammer(url: str, key: str, threads: int = HAMMERS) -> Hammering:
    """Start `threads` clients asking `url` for an unknown document with `key`, nonstop."""
    results: list[tuple[float, int]] = []
    stop = threading.Event()
    headers = {"Authorization": f"Bearer {key}"}

    def run() -> None:
        with httpx2.Client(base_url=url, timeout=30) as client:
            while not stop.is_set():
                sent = time.monotonic()
                status = client.get(f"/v1/documents/{UNKNOWN_LEAF}", headers=headers).status_code
                results.append((sent, status))

    started = [threading.Thread(target=run, daemon=True) for _ in range(threads)]
    for thread in started:
        thread.start()
    return Hammering(results, stop, started)


def unique_name() -> str:
    """An issuer name no other test uses (names that read alike are refused)."""
    return "Sở thử khóa " + secrets.token_hex(6)


def new_key(url: str, address: str) -> tuple[int, str]:
    """A new key of the issuer at `address`, made through the admin API at `url`."""
    r = httpx2.post(f"{url}/v1/issuers/{address}/keys", headers=ADMIN, timeout=30)
    assert r.status_code == 201, r.text
    return r.json()["id"], r.json()["key"]


def revoke_while_hammered(revoke_at: str, hammered: str, address: str) -> list[int]:
    """Revoke a fresh key through `revoke_at` while it is used nonstop at `hammered`; the
    statuses of the requests sent after the revocation answered."""
    key_id, key = new_key(revoke_at, address)
    running = hammer(hammered, key)
    while sum(status == 404 for _, status in running.results) < 2 * HAMMERS:
        time.sleep(0.005)  # the key works (and is cached) everywhere it is used
    revoked = httpx2.delete(f"{revoke_at}/v1/issuers/{address}/keys/{key_id}", headers=ADMIN)
    answered = time.monotonic()
    assert revoked.status_code == 200, revoked.text
    while sum(sent > answered for sent, _ in running.results) < 4 * HAMMERS:
        time.sleep(0.005)
    results = running.finish()
    assert {status for _, status in results} <= {401, 404}
    return [status for sent, status in results if sent > answered]


def test_a_revoked_key_is_refused_at_once_while_hammered(api: ApiEnv, issuer: Issuer) -> None:
    port = free_port()
    with serve(api.settings, port) as url:
        for trial in range(TRIALS):
            after = revoke_while_hammered(url, url, issuer.address)
            assert set(after) == {401}, f"trial {trial}: {after.count(404)} accepted after"


@pytest.fixture(params=["sqlite", "postgresql"])
def service_settings(
    request: pytest.FixtureRequest,
    w3: Web3,
    api_chain: tuple[Registry, LocalAccount],
    tmp_path: Path,
) -> Settings:
    """Settings of a fresh service (SQLite in its data dir, or the session's PostgreSQL)."""
    registry, anchorer = api_chain
    over = {}
    if request.param == "postgresql":
        over["database_url"] = request.getfixturevalue("postgres_database")
    (tmp_path / "data").mkdir()
    settings = api_settings(tmp_path / "data", w3, registry.address, anchorer, **over)
    upgrade(settings.resolved_database_url)
    return settings


def test_a_key_revoked_in_one_process_is_refused_at_once_by_another(
    service_settings: Settings, tmp_path: Path
) -> None:
    store = open_store(service_settings.resolved_database_url)
    try:
        with (
            TestClient(create_app(service_settings)) as client,
            serve_process(service_settings, tmp_path) as first,
            serve_process(service_settings, tmp_path) as second,
        ):
            env = ApiEnv(client, service_settings, None, store)  # type: ignore[arg-type]
            issuer = env.new_issuer(unique_name())
            for trial in range(TRIALS // 2):
                after = revoke_while_hammered(first, second, issuer.address)
                assert set(after) == {401}, f"trial {trial}: {after.count(404)} accepted after"
    finally:
        store.dispose()


def test_a_key_revoked_on_another_machine_is_forgotten_when_postgresql_tells(
    w3: Web3,
    api_chain: tuple[Registry, LocalAccount],
    postgres_database: str,
    tmp_path: Path,
) -> None:
    registry, anchorer = api_chain
    here, there = (
        api_settings(
            tmp_path / name, w3, registry.address, anchorer, database_url=postgres_database
        )
        for name in ("here", "there")
    )  # data dirs of their own, as on two machines: no revocations file in common
    for settings in (here, there):
        settings.data_dir.mkdir()
    store = open_store(postgres_database)
    try:
        with TestClient(create_app(here)) as revoking, TestClient(create_app(there)) as other:
            issuer = ApiEnv(revoking, here, registry, store).new_issuer(unique_name())
            service = other.app_state["service"]  # type: ignore[attr-defined]
            assert service.key_notices.wait_listening(30)
            path = f"/v1/issuers/{issuer.address}/keys"
            key = revoking.post(path, headers=ADMIN).json()
            headers = {"Authorization": f"Bearer {key['key']}"}
            assert other.get(f"/v1/documents/{UNKNOWN_LEAF}", headers=headers).status_code == 404
            remembered = service.auth_cache.ticket()
            assert revoking.delete(f"{path}/{key['id']}", headers=ADMIN).status_code == 200
            deadline = time.monotonic() + 30
            while service.auth_cache.ticket() == remembered:  # the notification arrived
                assert time.monotonic() < deadline, "no notification of the revocation"
                time.sleep(0.001)
            assert other.get(f"/v1/documents/{UNKNOWN_LEAF}", headers=headers).status_code == 401
    finally:
        store.dispose()
