"""PostgreSQL dropping every connection: one 503 problem per process, then service as usual."""

from __future__ import annotations

from pathlib import Path

from eth_account.signers.local import LocalAccount
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from web3 import Web3

from api.app import create_app
from notary.chain import Registry

from .conftest import api_settings


def _drop_connections(database_url: str) -> int:
    """Terminate every server process serving the database, as a server restart would."""
    url = make_url(database_url)
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            return len(
                conn.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                        " WHERE datname = :db AND pid <> pg_backend_pid()"
                    ),
                    {"db": url.database},
                ).all()
            )
    finally:
        admin.dispose()


def test_dropped_connections_give_one_503_then_answers(
    w3: Web3,
    api_chain: tuple[Registry, LocalAccount],
    postgres_database: str,
    tmp_path: Path,
) -> None:
    registry, anchorer = api_chain
    settings = api_settings(
        tmp_path,
        w3,
        registry.address,
        anchorer,
        database_url=postgres_database,
    )
    with TestClient(create_app(settings)) as client:
        assert client.get("/v1/issuers").status_code == 200
        assert _drop_connections(postgres_database) >= 1

        failed = client.get("/v1/issuers")
        assert failed.status_code == 503
        assert failed.headers["content-type"] == "application/problem+json"
        assert failed.json()["type"] == "urn:notary:problem:database-unavailable"
        assert failed.headers["retry-after"] == "1"

        assert client.get("/v1/issuers").status_code == 200
