"""Verification by digest on PostgreSQL: concurrent lookups share batches (one thread hop,
one pipelined round trip) and every request still gets its own verdict or problem."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount
from fastapi.testclient import TestClient
from sqlalchemy import Connection
from web3 import Web3

from api import verifying
from api.app import create_app
from notary.chain import Registry
from notary.pipeline.digest_lookup import Ask
from notary.store.engine import open_store
from tests.api.conftest import ApiEnv, api_settings


@pytest.fixture
def pg_api(
    w3: Web3,
    api_chain: tuple[Registry, LocalAccount],
    postgres_database: str,
    tmp_path: Path,
) -> Iterator[ApiEnv]:
    """The app on the session's PostgreSQL database."""
    registry, anchorer = api_chain
    settings = api_settings(
        tmp_path, w3, registry.address, anchorer, database_url=postgres_database
    )
    store = open_store(postgres_database)
    try:
        with TestClient(create_app(settings)) as client:
            yield ApiEnv(client, settings, registry, store)
    finally:
        store.dispose()


def test_concurrent_verifications_share_lookups_and_keep_their_own_answers(
    pg_api: ApiEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    issuer = pg_api.new_issuer()
    notarised = [pg_api.notarise(issuer, {"lot": i}) for i in range(10)]
    pg_api.drain()
    batches: list[int] = []
    first = threading.Event()
    documents_for = verifying.documents_for

    def slow_first(conn: Connection, asks: list[Ask]) -> Any:
        batches.append(len(asks))
        if not first.is_set():  # the other requests arrive while this batch is in flight
            first.set()
            time.sleep(0.3)
        return documents_for(conn, asks)

    monkeypatch.setattr(verifying, "documents_for", slow_first)
    asks: list[dict[str, Any]] = [
        {"digest": n["receipt"]["values"][0], "issuer": issuer.address, "metadata": {"lot": i}}
        for i, n in enumerate(notarised)
    ]
    asks.append({**asks[0], "metadata": {"lot": 99}})  # notarised, but not with this
    asks.append({"digest": "0x" + os.urandom(32).hex(), "issuer": issuer.address})

    def verify(body: dict[str, Any]) -> Any:
        return pg_api.client.post("/v1/verify", json=body)

    with ThreadPoolExecutor(len(asks)) as pool:
        answers = list(pool.map(verify, asks))

    for n, answer in zip(notarised, answers[:10], strict=True):
        assert answer.status_code == 200, answer.text
        assert answer.json()["verdict"] == "VALID" and answer.json()["leaf"] == n["leaf"]
    assert answers[10].status_code == 422 and answers[10].json()["field"] == "metadata"
    assert answers[11].status_code == 200 and answers[11].json()["verdict"] == "INVALID"
    assert sum(batches) == len(asks) and max(batches) > 1, batches


def test_a_verification_while_the_database_is_unreachable_is_a_503(
    w3: Web3, api_chain: tuple[Registry, LocalAccount], tmp_path: Path
) -> None:
    registry, anchorer = api_chain
    settings = api_settings(
        tmp_path,
        w3,
        registry.address,
        anchorer,
        database_url="postgresql+psycopg://postgres@127.0.0.1:9/none",  # nothing listens
    )
    with TestClient(create_app(settings)) as client:
        body = {"digest": "0x" + os.urandom(32).hex(), "issuer": "0x" + "11" * 20}
        answers = [client.post("/v1/verify", json=body) for _ in range(2)]
    for answer in answers:
        assert answer.status_code == 503, answer.text
        assert answer.json()["type"] == "urn:notary:problem:database-unavailable"
