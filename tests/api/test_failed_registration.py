"""An issuer whose on-chain registration the chain refused: marked failed, barred from
notarising until retried, and its documents anchored meanwhile never read as genuine, by the
API or by `notary verify` without the service."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from eth_account.signers.local import LocalAccount
from web3 import Web3

from notary.chain import Registry
from notary.chain.deploy import deploy_registry
from notary.chain.registry import ANCHORER_ROLE, REGISTRAR_ROLE
from notary.chain.sender import TxSender
from notary.cli import main
from tests.api.conftest import ApiEnv, Issuer, app_env, funded

pytestmark = pytest.mark.anvil


@pytest.fixture
def unregistering(w3: Web3, tmp_path: Path) -> Iterator[tuple[ApiEnv, LocalAccount, LocalAccount]]:
    """An app whose account may anchor but not register issuers (the admin forgot the role)."""
    admin, anchorer = funded(w3), funded(w3)
    registry = Registry(w3, deploy_registry(w3, admin).address)
    TxSender(registry, admin).transact(registry.grant_role_call(ANCHORER_ROLE, anchorer.address))
    with app_env(w3, (registry, anchorer), tmp_path) as env:
        yield env, admin, anchorer


def _verify_leaf(env: ApiEnv, leaf: str) -> dict[str, object]:
    r = env.client.post("/v1/verify", json={"leaf": leaf})
    assert r.status_code == 200, r.text
    body: dict[str, object] = r.json()
    return body


def test_a_refused_registration_is_failed_and_its_documents_are_not_genuine(
    unregistering: tuple[ApiEnv, LocalAccount, LocalAccount],
    w3: Web3,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    env, admin, anchorer = unregistering
    issuer: Issuer = env.new_issuer("Chi cục Chăn nuôi và Thú y tỉnh Sơn La")
    leaf = env.notarise(issuer)["leaf"]  # accepted while the registration is queued
    env.drain()

    shown = env.client.get(f"/v1/issuers/{issuer.address}").json()
    assert shown["onchain"] == "failed"
    assert "AccessControlUnauthorizedAccount" in shown["onchainError"]
    assert not env.registry.issuer_of(issuer.address).registered

    verdict = _verify_leaf(env, leaf)  # anchored, but under no registration
    assert verdict["verdict"] == "INVALID" and verdict["failedStep"] == "issuer"
    assert "is not registered on the blockchain" in str(verdict["detail"])
    receipt = env.client.get(f"/v1/documents/{leaf}/receipt", headers=issuer.headers)
    path = tmp_path / "r.receipt.json"
    path.write_bytes(receipt.content)
    rpc = str(w3.provider.endpoint_uri)  # type: ignore[attr-defined]
    assert main(["verify", str(path), "--rpc-url", rpc, "--json"]) == 1
    printed = json.loads(capsys.readouterr().out)
    assert "not registered on the blockchain" in json.dumps(printed)

    refused = env.client.post(
        "/v1/documents", json={"digest": "0x" + "ab" * 32}, headers=issuer.headers
    )
    assert refused.status_code == 403, refused.text
    assert refused.json()["type"].endswith("issuer-not-registered")
    assert f"/v1/issuers/{issuer.address}/register" in refused.json()["detail"]

    # The administrator fixes the cause and retries; new documents count, earlier ones never.
    w3.provider.make_request("evm_increaseTime", [5])  # type: ignore[arg-type]
    grant = env.registry.grant_role_call(REGISTRAR_ROLE, anchorer.address)
    TxSender(env.registry, admin).transact(grant)
    retried = env.client.post(f"/v1/issuers/{issuer.address}/register", headers=env.admin)
    assert retried.status_code == 200 and retried.json()["onchain"] == "unregistered"
    assert retried.json()["onchainError"] is None
    again = env.client.post(f"/v1/issuers/{issuer.address}/register", headers=env.admin)
    assert again.status_code == 409 and again.json()["field"] == "address"
    fresh = env.notarise(issuer)["leaf"]
    env.drain()
    assert env.client.get(f"/v1/issuers/{issuer.address}").json()["onchain"] == "registered"
    assert _verify_leaf(env, fresh)["verdict"] == "VALID"
    late = _verify_leaf(env, leaf)
    assert late["verdict"] == "INVALID" and late["failedStep"] == "issuer"
    assert "after this root was anchored" in str(late["detail"])


def test_a_failed_issuer_deactivated_stays_failed_and_cannot_be_retried(
    unregistering: tuple[ApiEnv, LocalAccount, LocalAccount],
) -> None:
    env = unregistering[0]
    issuer = env.new_issuer("Chi cục Quản lý chất lượng Nông Lâm sản và Thủy sản")
    env.drain()
    off = env.client.post(f"/v1/issuers/{issuer.address}/deactivate", headers=env.admin)
    assert off.status_code == 200 and off.json()["onchain"] == "failed", off.text
    env.drain()  # nothing was queued: the registry never knew it
    assert env.client.get(f"/v1/issuers/{issuer.address}").json()["onchain"] == "failed"
    retried = env.client.post(f"/v1/issuers/{issuer.address}/register", headers=env.admin)
    assert retried.status_code == 403, retried.text
