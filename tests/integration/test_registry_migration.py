"""Moving the service from a registry before signing keys (v1) to the current one (v2), on a
real Anvil, as docs/operators.md tells an operator: receipts anchored on the old registry keep
naming it and verifying, by the API, by leaf and by `notary verify`; new batches are
anchored on the new one, where the issuers are registered again."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount
from fastapi.testclient import TestClient
from web3 import Web3

from api.app import create_app
from notary.chain import Registry
from notary.chain.artifact import load_artifact
from notary.chain.deploy import deploy_registry, grant_service_roles
from notary.cli import main
from notary.store.engine import open_store
from notary.store.migrate import upgrade
from tests.api.conftest import ApiEnv, Issuer, api_settings, funded

pytestmark = pytest.mark.anvil


def _registry(w3: Web3, admin: LocalAccount, hot: LocalAccount, contract: str) -> str:
    artifact = load_artifact(contract=contract)
    registry = Registry(w3, deploy_registry(w3, admin, artifact=artifact).address)
    grant_service_roles(registry, admin, hot.address)
    return registry.address


@contextmanager
def _service(w3: Web3, data: Path, contract: str, hot: LocalAccount) -> Iterator[ApiEnv]:
    """The API and its worker on the data dir's database, anchoring on `contract`."""
    settings = api_settings(data, w3, contract, hot)
    upgrade(settings.resolved_database_url)
    store = open_store(settings.resolved_database_url)
    try:
        with TestClient(create_app(settings)) as client:
            yield ApiEnv(client, settings, Registry(w3, contract), store)
    finally:
        store.dispose()


def _notarise(env: ApiEnv, issuer: Issuer) -> dict[str, Any]:
    """A document, anchored; its receipt."""
    leaf = env.notarise(issuer, {"documentType": "export-certificate"})["leaf"]
    env.drain()
    r = env.client.get(f"/v1/documents/{leaf}/receipt", headers=issuer.headers)
    assert r.status_code == 200, r.text
    receipt: dict[str, Any] = r.json()
    assert receipt["status"] == "anchored"
    return receipt


def _verdict(env: ApiEnv, body: dict[str, Any]) -> str:
    r = env.client.post("/v1/verify", json=body)
    assert r.status_code == 200, r.text
    return str(r.json()["verdict"])


def test_receipts_of_the_old_registry_keep_verifying_after_the_move(
    w3: Web3, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin, hot = funded(w3), funded(w3)
    old = _registry(w3, admin, hot, "NotaryRegistryV1")
    with _service(w3, tmp_path, old, hot) as before:
        issuer = before.new_issuer("Sở Công Thương tỉnh Lào Cai")
        first = _notarise(before, issuer)
    assert first["anchor"]["contract"] == old

    # The operator deploys the new registry, points the service at it and registers the
    # issuers there again (nothing was left to anchor on the old one).
    new = _registry(w3, admin, hot, "NotaryRegistry")
    monkeypatch.setenv("NOTARY_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("NOTARY_CONTRACT_ADDRESS", new)
    monkeypatch.delenv("NOTARY_DATABASE_URL", raising=False)
    assert main(["issuer", "register-again"]) == 0
    with _service(w3, tmp_path, new, hot) as after:
        second = _notarise(after, issuer)
        assert second["anchor"]["contract"] == new
        assert Registry(w3, new).issuer_of(issuer.address).registered
        # The old document's receipt, from the moved service, still names the old registry.
        again = after.client.get(f"/v1/documents/{first['leaf']}/receipt", headers=issuer.headers)
        assert again.json()["anchor"]["contract"] == old
        for receipt in (first, second):
            assert _verdict(after, {"receipt": receipt}) == "VALID"
            assert _verdict(after, {"leaf": receipt["leaf"]}) == "VALID"
        for receipt in (first, second):
            path = tmp_path / f"{receipt['leaf']}.receipt.json"
            path.write_text(json.dumps(receipt))
            rpc = str(w3.provider.endpoint_uri)  # type: ignore[attr-defined]
            assert main(["verify", str(path), "--rpc-url", rpc, "--json"]) == 0


def test_register_again_queues_every_active_issuer(tmp_path: Path) -> None:
    """Each issuer once, in the order registered; a deactivated one is left out."""
    url = f"sqlite:///{tmp_path / 'notary.db'}"
    upgrade(url)
    store = open_store(url)
    try:
        from notary.pipeline.issuers import deactivate_issuer, register_everywhere, register_issuer

        addresses = [Web3.to_checksum_address(os.urandom(20)) for _ in range(3)]
        for i, address in enumerate(addresses):
            register_issuer(store, address, f"Sở số {i + 1}", None, "test")
        deactivate_issuer(store, addresses[1], "test")
        assert register_everywhere(store, "test") == [addresses[0], addresses[2]]
    finally:
        store.dispose()
