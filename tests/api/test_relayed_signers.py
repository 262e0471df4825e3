"""Relayed changes of an issuer's signing keys on a real Anvil: the root key signs the EIP-712
AddSigner/RemoveSigner the service gives, the service checks it as the registry will and
queues it, and the worker sends it as addSignerBySig/removeSignerBySig, paying the gas. A
forged change (a signing key's signature, a spent nonce, a past deadline) is refused at the
API naming the field and, forced into the queue, refused by the chain with nothing sent; a
change sent before a crash is found on chain and never sent again."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import Web3

from notary.chain import Registry
from notary.client.stamping import sign_submission, signed_metadata
from notary.core.issuer_signing import IssuerKey, RegistryDomain, keyed_nonce
from notary.core.types import Digest
from notary.pipeline.effects import ADD_SIGNER, REMOVE_SIGNER
from notary.pipeline.ledger import StoreLedger
from notary.pipeline.operations import FINAL
from notary.store import chain_ops
from notary.worker.daemon import build_worker
from tests.api.conftest import ApiEnv, Issuer, app_env

pytestmark = pytest.mark.anvil


@pytest.fixture
def relay(w3: Web3, api_chain: tuple[Registry, LocalAccount], tmp_path: Path) -> Iterator[ApiEnv]:
    """An app that reads an issuer's keys for every submission (NOTARY_SIGNER_MAX_AGE=0)."""
    with app_env(w3, api_chain, tmp_path, signer_max_age=0.0) as env:
        yield env


@pytest.fixture
def agency(relay: ApiEnv) -> Issuer:
    """An issuer registered on chain; its account (the root key) holds no ether at all."""
    issuer = relay.new_issuer("Sở Khoa học và Công nghệ")
    relay.drain()
    assert relay.registry.w3.eth.get_balance(issuer.address) == 0
    return issuer


def _domain(api: ApiEnv) -> RegistryDomain:
    chain = api.client.get("/v1/chain").json()
    return RegistryDomain.of(chain["chainId"], chain["contract"])


def _typed(api: ApiEnv, issuer: Issuer, key: str, action: str) -> dict[str, Any]:
    r = api.client.get(
        f"/v1/issuers/{issuer.address}/signers/request",
        params={"key": key, "action": action},
        headers=issuer.headers,
    )
    assert r.status_code == 200, r.text
    typed: dict[str, Any] = r.json()
    return typed


def _signed_by(secret: bytes, typed: dict[str, Any]) -> dict[str, Any]:
    """The typed data signed with eth-account as it is, and the body that carries it."""
    message = {**typed["message"], "nonce": int(typed["message"]["nonce"])}
    signed = Account.sign_typed_data(secret, full_message={**typed, "message": message})
    return {
        "nonce": typed["message"]["nonce"],
        "deadline": typed["message"]["deadline"],
        "signature": signed.signature.to_0x_hex(),
    }


def _add(api: ApiEnv, issuer: Issuer, key: IssuerKey) -> Any:
    """POST the root key's signed addition of `key`, from the typed data the service gives."""
    typed = _typed(api, issuer, key.address, "add")
    body = {"key": key.address, **_signed_by(issuer.account.key, typed)}
    return api.client.post(
        f"/v1/issuers/{issuer.address}/signers", json=body, headers=issuer.headers
    )


def _remove(api: ApiEnv, issuer: Issuer, key: IssuerKey) -> Any:
    typed = _typed(api, issuer, key.address, "remove")
    body = _signed_by(issuer.account.key, typed)
    path = f"/v1/issuers/{issuer.address}/signers/{key.address}/remove"
    return api.client.post(path, json=body, headers=issuer.headers)


def _submit(api: ApiEnv, issuer: Issuer, key: IssuerKey) -> Any:
    doc = (Digest(os.urandom(32)), signed_metadata({"documentType": "permit"}))
    signed = sign_submission(key, _domain(api), issuer.address, [doc])
    body = {"digest": doc[0].hex, "metadata": doc[1], **signed.fields(issuer.address)}
    return api.client.post("/v1/documents", json=body, headers=issuer.headers)


def _signers(api: ApiEnv, issuer: Issuer) -> dict[str, Any]:
    r = api.client.get(f"/v1/issuers/{issuer.address}/signers")
    assert r.status_code == 200, r.text
    listed: dict[str, Any] = r.json()
    return listed


def test_a_relayed_key_signs_once_the_worker_adds_it(relay: ApiEnv, agency: Issuer) -> None:
    key = IssuerKey(os.urandom(32))
    r = _add(relay, agency, key)
    assert r.status_code == 202, r.text
    change = r.json()
    assert (change["action"], change["key"], change["state"]) == ("add", key.address, "queued")
    listed = _signers(relay, agency)
    assert listed["keys"] == [] and listed["signingSince"] is None
    assert [p["id"] for p in listed["pending"]] == [change["id"]]
    relay.drain()
    listed = _signers(relay, agency)
    (record,) = listed["keys"]
    assert record["key"] == key.address and record["status"] == "active"
    assert listed["signingSince"] == record["addedBlock"] and listed["pending"] == []
    assert relay.registry.signer_of(agency.address, key.address).active
    assert relay.registry.w3.eth.get_balance(agency.address) == 0  # the service paid
    accepted = _submit(relay, agency, key)
    assert accepted.status_code == 202, accepted.text


def test_a_relayed_removal_stops_the_key_signing(relay: ApiEnv, agency: Issuer) -> None:
    key = IssuerKey(os.urandom(32))
    assert _add(relay, agency, key).status_code == 202
    relay.drain()
    assert _submit(relay, agency, key).status_code == 202
    r = _remove(relay, agency, key)
    assert r.status_code == 202 and r.json()["action"] == "remove", r.text
    relay.drain()
    (record,) = _signers(relay, agency)["keys"]
    assert record["status"] == "removed" and record["removedBlock"] >= record["addedBlock"]
    refused = _submit(relay, agency, key)
    assert refused.status_code == 422 and refused.json()["field"] == "signature", refused.text


def test_the_same_change_sent_twice_is_queued_once(relay: ApiEnv, agency: Issuer) -> None:
    key = IssuerKey(os.urandom(32))
    typed = _typed(relay, agency, key.address, "add")
    body = {"key": key.address, **_signed_by(agency.account.key, typed)}
    path = f"/v1/issuers/{agency.address}/signers"
    first = relay.client.post(path, json=body, headers=agency.headers)
    again = relay.client.post(path, json=body, headers=agency.headers)
    assert (first.status_code, again.status_code) == (202, 200)
    assert again.json()["id"] == first.json()["id"]
    other = _add(relay, agency, key)  # another signature of the same change while it waits
    assert other.status_code == 409 and other.json()["field"] == "key", other.text


def test_only_the_issuer_or_the_admin_asks_for_a_change(relay: ApiEnv, agency: Issuer) -> None:
    stranger = relay.new_issuer("Sở Xây dựng")
    key = IssuerKey(os.urandom(32)).address
    path = f"/v1/issuers/{agency.address}/signers/request?key={key}&action=add"
    assert relay.client.get(path, headers=stranger.headers).status_code == 404
    assert relay.client.get(path).status_code == 401
    assert relay.client.get(path, headers=relay.admin).status_code == 200


@pytest.mark.parametrize(
    ("case", "field"),
    [
        ("signed by a signing key", "signature"),
        ("signed by a stranger", "signature"),
        ("a spent nonce", "nonce"),
        ("a nonce ahead", "nonce"),
        ("a past deadline", "deadline"),
        ("a deadline too close to relay", "deadline"),
        ("a key added before", "key"),
        ("removing a key never added", "key"),
        ("no signature", "signature"),
        ("a malformed signature", "signature"),
    ],
)
def test_a_change_the_registry_would_refuse_is_refused_naming_the_field(
    relay: ApiEnv, agency: Issuer, case: str, field: str
) -> None:
    secret = os.urandom(32)
    signing = IssuerKey(secret)
    first = _add(relay, agency, signing)
    assert first.status_code == 202
    relay.drain()  # a first change: its nonce is spent
    key = IssuerKey(os.urandom(32))
    typed = _typed(relay, agency, key.address, "add")
    body = {"key": key.address, **_signed_by(agency.account.key, typed)}
    path = f"/v1/issuers/{agency.address}/signers"
    domain, now = _domain(relay), int(time.time())
    root = IssuerKey(agency.account.key)

    def resigned(nonce: int, deadline: int) -> dict[str, Any]:
        signature = root.sign_add_signer(domain, agency.address, key.address, nonce, deadline)
        return {"nonce": str(nonce), "deadline": deadline, "signature": "0x" + signature.hex()}

    if case == "signed by a signing key":
        body = {"key": key.address, **_signed_by(secret, typed)}
    elif case == "signed by a stranger":
        body = {"key": key.address, **_signed_by(os.urandom(32), typed)}
    elif case == "a spent nonce":
        body.update(resigned(_spent(relay, first), now + 3600))
    elif case == "a nonce ahead":
        body.update(resigned(keyed_nonce(7, 3), now + 3600))
    elif case == "a past deadline":
        body.update(resigned(keyed_nonce(8, 0), now - 60))
    elif case == "a deadline too close to relay":
        body.update(resigned(keyed_nonce(9, 0), now + 60))
    elif case == "a key added before":
        typed = _typed(relay, agency, signing.address, "add")
        body = {"key": signing.address, **_signed_by(agency.account.key, typed)}
    elif case == "removing a key never added":
        typed = _typed(relay, agency, key.address, "remove")
        body = _signed_by(agency.account.key, typed)
        path = f"/v1/issuers/{agency.address}/signers/{key.address}/remove"
    elif case == "no signature":
        body.pop("signature")
    else:
        body["signature"] = "0x" + "ab" * 64
    r = relay.client.post(path, json=body, headers=agency.headers)
    assert r.status_code == 422, (case, r.text)
    assert r.json()["field"] == field, (case, r.text)
    assert _signers(relay, agency)["pending"] == []


def _spent(api: ApiEnv, answer: Any) -> int:
    """The nonce the change a POST queued spent (once the worker relayed it)."""
    return int(_op(api, answer.json()["id"])["payload"]["nonce"])


def _forced(api: ApiEnv, kind: str, payload: dict[str, Any]) -> int:
    """An operation written straight into the queue, past the API's checks."""
    with api.store.write() as conn:
        return chain_ops.enqueue(conn, kind, payload)


def _op(api: ApiEnv, op_id: int) -> Any:
    with api.store.read() as conn:
        return chain_ops.get(conn, op_id)


def _payload(agency: Issuer, key: str, nonce: int, deadline: int, signature: bytes) -> Any:
    return {
        "issuer": agency.address,
        "key": key,
        "nonce": str(nonce),
        "deadline": deadline,
        "signature": "0x" + signature.hex(),
    }


def test_forged_changes_forced_into_the_queue_are_refused_by_the_chain_and_never_sent(
    relay: ApiEnv, agency: Issuer
) -> None:
    signing = IssuerKey(os.urandom(32))
    first = _add(relay, agency, signing)
    assert first.status_code == 202
    relay.drain()
    domain, now = _domain(relay), int(time.time())
    root = IssuerKey(agency.account.key)
    spent = _spent(relay, first)
    key = IssuerKey(os.urandom(32)).address
    removal = root.sign_remove_signer(domain, agency.address, signing.address, 8, now + 3600)
    forged = [  # (the chain's refusal, kind, key, nonce, deadline, signature)
        (
            "UnauthorisedSigner",  # a signing key's signature: only the root key changes keys
            ADD_SIGNER,
            key,
            5,
            now + 3600,
            signing.sign_add_signer(domain, agency.address, key, 5, now + 3600),
        ),
        (
            "InvalidAccountNonce",  # a replayed (spent) nonce
            ADD_SIGNER,
            key,
            spent,
            now + 3600,
            root.sign_add_signer(domain, agency.address, key, spent, now + 3600),
        ),
        (
            "ExpiredSignature",
            ADD_SIGNER,
            key,
            6,
            now - 60,
            root.sign_add_signer(domain, agency.address, key, 6, now - 60),
        ),
        (
            "InvalidAccountNonce",  # a removal with a nonce ahead of its sequence
            REMOVE_SIGNER,
            signing.address,
            8,
            now + 3600,
            removal,
        ),
    ]
    ops = [
        (why, _forced(relay, kind, _payload(agency, k, nonce, deadline, signature)))
        for why, kind, k, nonce, deadline, signature in forged
    ]
    anchorer = relay.settings.anchor_key
    assert anchorer is not None
    hot = Account.from_key(anchorer.get_secret_value()).address
    sent_before = relay.registry.w3.eth.get_transaction_count(hot)
    relay.drain()
    relay.drain()  # a failed operation stays failed: nothing is tried again
    for why, op_id in ops:
        op = _op(relay, op_id)
        assert op["state"] == "failed" and why in op["last_error"], (why, op)
        assert op["raw_tx"] is None and op["tx_hash"] is None
    assert relay.registry.w3.eth.get_transaction_count(hot) == sent_before
    assert not relay.registry.signer_of(agency.address, key).added_block
    assert relay.registry.signer_of(agency.address, signing.address).active
    failed = [p for p in _signers(relay, agency)["pending"] if p["state"] == "failed"]
    assert {p["id"] for p in failed} == {op_id for _, op_id in ops}


class _CrashAfterBroadcast(StoreLedger):
    """A ledger whose worker dies once, right after it broadcast a transaction."""

    crashed = False

    def record_broadcast(self, op_id: int) -> None:
        if not _CrashAfterBroadcast.crashed:
            _CrashAfterBroadcast.crashed = True
            raise SystemExit("killed after broadcasting, before recording it")
        super().record_broadcast(op_id)


def test_a_change_sent_before_a_crash_is_found_on_chain_and_not_sent_again(
    relay: ApiEnv, agency: Issuer
) -> None:
    key = IssuerKey(os.urandom(32))
    op_id = _add(relay, agency, key).json()["id"]
    worker = build_worker(relay.settings, relay.store)
    worker.ledger = _CrashAfterBroadcast(relay.store)
    with pytest.raises(SystemExit):
        for _ in range(20):
            worker.step()
    hot = worker.sender.account.address
    sent = relay.registry.w3.eth.get_transaction_count(hot)
    assert _op(relay, op_id)["state"] == "signed"  # the broadcast was never recorded
    assert relay.registry.signer_of(agency.address, key.address).active  # but it was mined
    relay.drain()  # a new worker: the same bytes again, refused; the effect found on chain
    op = _op(relay, op_id)
    assert op["state"] == FINAL, op
    added = relay.registry.signer_of(agency.address, key.address).added_block
    assert op["block_number"] == added and op["tx_hash"] is not None
    assert relay.registry.w3.eth.get_transaction_count(hot) == sent  # nothing sent twice
