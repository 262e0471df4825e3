"""Revoking a signing issuer's document: only with its own EIP-712 Revocation signature (a key
authorised now, or its root key), which the worker relays as revokeBySig through the same
outbox; neither an unsigned request nor the admin revokes anything of it."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import Web3

from notary.chain import Registry
from notary.client.stamping import signed_metadata
from notary.core.issuer_signing import IssuerKey, keyed_nonce
from notary.core.reasons import reason_code
from notary.core.types import Digest, Leaf
from notary.pipeline.signers import MIN_REREAD_S
from tests.api.conftest import ApiEnv, app_env, funded
from tests.api.test_signed_documents import Signing

pytestmark = pytest.mark.anvil

SUPERSEDED = reason_code("superseded")


@pytest.fixture
def signing(api: ApiEnv, w3: Web3) -> Signing:
    return Signing(api, api.new_issuer("Sở Giao thông Vận tải"), funded(w3))


def _anchored(api: ApiEnv, signing: Signing) -> Leaf:
    """A document of the signing issuer, signed and anchored."""
    doc = (Digest(os.urandom(32)), signed_metadata({"documentType": "permit"}))
    fields = signing.sign([doc]).fields(signing.issuer.address)
    body = {"digest": doc[0].hex, "metadata": doc[1], **fields}
    r = api.client.post("/v1/documents", json=body, headers=signing.issuer.headers)
    assert r.status_code == 202, r.text
    api.drain()
    return Leaf.from_hex(r.json()["leaf"])


def _signed_body(
    signing: Signing, leaf: Leaf, key: IssuerKey, deadline_s: int = 3600
) -> dict[str, Any]:
    nonce, deadline = (
        keyed_nonce(int.from_bytes(os.urandom(24), "big"), 0),
        int(time.time()) + deadline_s,
    )
    signature = key.sign_revocation(
        signing.domain, signing.issuer.address, [leaf], SUPERSEDED, nonce, deadline
    )
    return {
        "reason": "superseded",
        "signature": "0x" + signature.hex(),
        "nonce": str(nonce),
        "deadline": deadline,
    }


def _revoked_on_chain(api: ApiEnv, signing: Signing, leaf: Leaf) -> bool:
    return api.registry.revocation_of(signing.issuer.address, leaf.raw).revoked


def test_a_signed_revocation_is_relayed_and_revokes_on_chain(api: ApiEnv, signing: Signing) -> None:
    leaf = _anchored(api, signing)
    body = _signed_body(signing, leaf, signing.key)
    r = api.client.post(
        f"/v1/documents/{leaf.hex}/revoke", json=body, headers=signing.issuer.headers
    )
    assert r.status_code == 202, r.text
    api.drain()
    assert _revoked_on_chain(api, signing, leaf)
    status = api.client.get(f"/v1/documents/{leaf.hex}", headers=signing.issuer.headers).json()
    assert status["revocation"]["state"] == "revoked"


def test_the_root_key_may_sign_a_revocation_too(api: ApiEnv, signing: Signing) -> None:
    leaf = _anchored(api, signing)
    body = _signed_body(signing, leaf, signing.agency.root)
    r = api.client.post(
        f"/v1/documents/{leaf.hex}/revoke", json=body, headers=signing.issuer.headers
    )
    assert r.status_code == 202, r.text
    api.drain()
    assert _revoked_on_chain(api, signing, leaf)


def test_an_unsigned_revocation_of_a_signing_issuer_is_refused(
    api: ApiEnv, signing: Signing
) -> None:
    leaf = _anchored(api, signing)
    for who in (signing.issuer.headers, api.admin):
        r = api.client.post(f"/v1/documents/{leaf.hex}/revoke", json={"reason": 2}, headers=who)
        assert r.status_code == 422 and r.json()["field"] == "signature", r.text
        assert "revocation-request" in r.json()["detail"]
    api.drain()
    assert not _revoked_on_chain(api, signing, leaf)


@pytest.mark.parametrize(
    ("case", "field"),
    [
        ("a stranger's key", "signature"),
        ("another reason", "signature"),
        ("an expiring deadline", "deadline"),
        ("a spent nonce", "nonce"),
    ],
)
def test_a_revocation_signature_that_does_not_count_is_refused(
    api: ApiEnv, signing: Signing, case: str, field: str
) -> None:
    leaf = _anchored(api, signing)
    body = _signed_body(signing, leaf, signing.key)
    if case == "a stranger's key":
        body = _signed_body(signing, leaf, IssuerKey(os.urandom(32)))
    elif case == "another reason":
        body["reason"] = "fraud"
    elif case == "an expiring deadline":
        body = _signed_body(signing, leaf, signing.key, deadline_s=60)
    else:
        body["nonce"] = str(api.registry.nonce(signing.issuer.address) + 5)
        body = {**body, **_resigned(signing, leaf, int(body["nonce"]))}
    headers = signing.issuer.headers
    r = api.client.post(f"/v1/documents/{leaf.hex}/revoke", json=body, headers=headers)
    assert r.status_code == 422, (case, r.text)
    assert r.json()["field"] == field, (case, r.text)


def _resigned(signing: Signing, leaf: Leaf, nonce: int) -> dict[str, Any]:
    deadline = int(time.time()) + 3600
    signature = signing.key.sign_revocation(
        signing.domain, signing.issuer.address, [leaf], SUPERSEDED, nonce, deadline
    )
    return {"signature": "0x" + signature.hex(), "deadline": deadline}


def test_the_typed_data_the_service_gives_signs_as_eth_account_signs_it(
    api: ApiEnv, signing: Signing
) -> None:
    """An integrator signs the revocation-request answer with eth-account as it is."""
    leaf = _anchored(api, signing)
    secret = os.urandom(32)
    time.sleep(MIN_REREAD_S)  # the keys read for the submission may be read again
    signing.agency.add_key(IssuerKey(secret))
    headers = signing.issuer.headers
    typed = api.client.get(
        f"/v1/documents/{leaf.hex}/revocation-request?reason=superseded", headers=headers
    )
    assert typed.status_code == 200, typed.text
    data = typed.json()
    assert data["message"]["leaves"] == [leaf.hex] and data["message"]["reason"] == SUPERSEDED
    message = {**data["message"], "nonce": int(data["message"]["nonce"])}
    signed = Account.sign_typed_data(secret, full_message={**data, "message": message})
    body = {
        "reason": "superseded",
        "signature": signed.signature.to_0x_hex(),
        "nonce": data["message"]["nonce"],
        "deadline": data["message"]["deadline"],
    }
    r = api.client.post(f"/v1/documents/{leaf.hex}/revoke", json=body, headers=headers)
    assert r.status_code == 202, r.text
    api.drain()
    assert _revoked_on_chain(api, signing, leaf)


def test_a_key_removed_on_chain_revokes_nothing(
    w3: Web3, api_chain: tuple[Registry, LocalAccount], tmp_path: Path
) -> None:
    """NOTARY_SIGNER_MAX_AGE=0: the keys are read for every request."""
    with app_env(w3, api_chain, tmp_path, signer_max_age=0.0) as api:
        signing = Signing(api, api.new_issuer("Sở Y tế"), funded(w3))
        leaf = _anchored(api, signing)
        old = signing.key
        signing.agency.add_key()
        signing.agency.remove_key(old)
        body = _signed_body(signing, leaf, old)
        r = api.client.post(
            f"/v1/documents/{leaf.hex}/revoke", json=body, headers=signing.issuer.headers
        )
        assert r.status_code == 422 and r.json()["field"] == "signature", r.text
        api.drain()
        assert not _revoked_on_chain(api, signing, leaf)
