"""Submissions of an issuer that signs: single (JSON and upload) and bulk carry its EIP-712
Submission signature, checked against the keys it has authorised on chain now; without
one the service refuses, naming the field. An API key authenticates; it no longer makes a
document genuine by itself."""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount
from sqlalchemy import select
from web3 import Web3

from notary.chain import Registry, TxSender
from notary.client.stamping import SignedSubmission, sign_submission, signed_metadata
from notary.core.issuer_signing import IssuerKey, RegistryDomain, in_submission
from notary.core.receipts import Receipt
from notary.core.types import Digest, Leaf
from notary.pipeline.signers import MIN_REREAD_S
from notary.store.models import Document, Submission
from tests.agency import Agency
from tests.api.conftest import ApiEnv, Issuer, app_env, funded

pytestmark = pytest.mark.anvil


class Signing:
    """An issuer registered through the API and on chain, with one signing key."""

    def __init__(self, api: ApiEnv, issuer: Issuer, relayer: LocalAccount) -> None:
        self.api, self.issuer = api, issuer
        api.drain()  # registered on chain by the worker
        self.agency = Agency(
            api.registry, TxSender(api.registry, relayer), IssuerKey(issuer.account.key)
        )
        self.key = self.agency.add_key()
        chain = api.client.get("/v1/chain").json()
        self.domain = RegistryDomain.of(chain["chainId"], chain["contract"])

    def sign(
        self, docs: list[tuple[Digest, dict[str, Any] | None]], key: IssuerKey | None = None
    ) -> SignedSubmission:
        return sign_submission(key or self.key, self.domain, self.issuer.address, docs)


@pytest.fixture
def signing(api: ApiEnv, w3: Web3) -> Signing:
    return Signing(api, api.new_issuer("Sở Tài nguyên và Môi trường"), funded(w3))


def _doc(number: int) -> tuple[Digest, dict[str, Any] | None]:
    meta = signed_metadata({"documentType": "environmental-permit", "documentNumber": f"{number}"})
    return Digest(os.urandom(32)), meta


def _body(doc: tuple[Digest, dict[str, Any] | None]) -> dict[str, Any]:
    digest, metadata = doc
    return {"digest": digest.hex, "metadata": metadata}


def _stored_submission(api: ApiEnv, leaf: str) -> Any:
    with api.store.read() as conn:
        return conn.execute(
            select(Submission.__table__)
            .join(Document, Document.submission_id == Submission.id)
            .where(Document.leaf == Leaf.from_hex(leaf).raw)
        ).one()


def test_a_signed_document_is_accepted_and_its_signature_kept(
    api: ApiEnv, signing: Signing
) -> None:
    doc = _doc(1)
    signed = signing.sign([doc])
    body = {**_body(doc), **signed.fields(signing.issuer.address)}
    r = api.client.post("/v1/documents", json=body, headers=signing.issuer.headers)
    assert r.status_code == 202, r.text
    assert r.json()["leaf"] == signed.leaves[0].hex  # the leaf the issuer signed
    row = _stored_submission(api, r.json()["leaf"])
    assert (row.signer, row.signature) == (signing.key.address, signed.signature)


def test_a_signed_upload_is_accepted(api: ApiEnv, signing: Signing) -> None:
    data = os.urandom(5_000)
    meta = signed_metadata({"documentType": "land-use-decision"}, ["documentType"])
    signed = signing.sign([(Digest(hashlib.sha256(data).digest()), meta)])
    r = api.client.post(
        "/v1/documents",
        files={"file": ("decision.pdf", data, "application/pdf")},
        data={"metadata": json.dumps(meta), "signature": signed.fields("")["signature"]},
        headers=signing.issuer.headers,
    )
    assert r.status_code == 202, r.text
    assert r.json()["leaf"] == signed.leaves[0].hex


def test_a_signed_bulk_is_one_signature(api: ApiEnv, signing: Signing) -> None:
    docs = [_doc(i) for i in range(25)]
    signed = signing.sign(docs)
    body = {"documents": [_body(d) for d in docs], **signed.fields(signing.issuer.address)}
    r = api.client.post("/v1/documents:bulk", json=body, headers=signing.issuer.headers)
    assert r.status_code == 202, r.text
    answer = r.json()
    assert [d["leaf"] for d in answer["documents"]] == [leaf.hex for leaf in signed.leaves]
    assert answer["submission"] == {
        "leavesRoot": signed.leaves_root.hex,
        "signer": signing.key.address,
    }
    assert _stored_submission(api, answer["documents"][7]["leaf"]).leaf_count == 25


def test_an_unsigned_submission_of_a_signing_issuer_is_refused(
    api: ApiEnv, signing: Signing
) -> None:
    headers = signing.issuer.headers
    single = api.client.post("/v1/documents", json=_body(_doc(2)), headers=headers)
    bulk = api.client.post(
        "/v1/documents:bulk", json={"documents": [_body(_doc(3))]}, headers=headers
    )
    for r in (single, bulk):
        assert r.status_code == 422, r.text
        assert r.json()["field"] == "signature"
        assert "signs its documents" in r.json()["detail"]


def test_a_signature_that_does_not_count_is_refused_naming_the_field(
    api: ApiEnv, signing: Signing
) -> None:
    docs = [_doc(i) for i in range(3)]
    good = signing.sign(docs)
    fields = good.fields(signing.issuer.address)
    stranger = signing.sign(docs, key=IssuerKey(os.urandom(32)))
    other_root = signing.sign(docs[:2]).fields(signing.issuer.address)["leavesRoot"]
    unsalted = [(docs[0][0], {"documentType": "permit"}), *docs[1:]]
    cases = [
        ({**fields, "signature": stranger.fields("")["signature"]}, docs, "signature"),
        ({**fields, "signature": fields["signature"][:-2]}, docs, "signature"),
        ({**fields, "leavesRoot": other_root}, docs, "leavesRoot"),
        ({**fields, "issuer": Web3.to_checksum_address(os.urandom(20))}, docs, "issuer"),
        (
            signing.sign(unsalted).fields(signing.issuer.address),
            unsalted,
            "documents[0].metadata.salt",
        ),
    ]
    for extra, sent, field in cases:
        body = {"documents": [_body(d) for d in sent], **extra}
        r = api.client.post("/v1/documents:bulk", json=body, headers=signing.issuer.headers)
        assert r.status_code == 422, (field, r.text)
        assert r.json()["field"] == field, r.text


def test_an_issuer_without_keys_may_not_send_a_signature(api: ApiEnv, issuer: Issuer) -> None:
    doc = _doc(4)
    key = IssuerKey(os.urandom(32))
    chain = api.client.get("/v1/chain").json()
    domain = RegistryDomain.of(chain["chainId"], chain["contract"])
    signed = sign_submission(key, domain, issuer.address, [doc])
    body = {**_body(doc), **signed.fields(issuer.address)}
    r = api.client.post("/v1/documents", json=body, headers=issuer.headers)
    assert r.status_code == 422 and r.json()["field"] == "signature", r.text
    assert "no signing key" in r.json()["detail"]


def test_a_key_removed_on_chain_is_refused_within_the_stated_bound(
    w3: Web3, api_chain: tuple[Registry, LocalAccount], tmp_path: Path
) -> None:
    """NOTARY_SIGNER_MAX_AGE=0: the keys are read for every submission."""
    with app_env(w3, api_chain, tmp_path, signer_max_age=0.0) as api:
        signing = Signing(api, api.new_issuer("Sở Công Thương"), funded(w3))
        doc = _doc(5)
        body = {**_body(doc), **signing.sign([doc]).fields(signing.issuer.address)}
        before = api.client.post("/v1/documents", json=body, headers=signing.issuer.headers)
        assert before.status_code == 202, before.text
        signing.agency.remove_key(signing.key)
        doc = _doc(6)
        body = {**_body(doc), **signing.sign([doc]).fields(signing.issuer.address)}
        after = api.client.post("/v1/documents", json=body, headers=signing.issuer.headers)
        assert after.status_code == 422 and after.json()["field"] == "signature", after.text
        assert "not a signing key" in after.json()["detail"]


def test_a_key_added_a_moment_ago_counts_at_once(api: ApiEnv, signing: Signing) -> None:
    """The keys read for an earlier submission are read again for a key not among them."""
    first = _doc(7)
    body = {**_body(first), **signing.sign([first]).fields(signing.issuer.address)}
    assert (
        api.client.post("/v1/documents", json=body, headers=signing.issuer.headers).status_code
        == 202
    )
    time.sleep(MIN_REREAD_S)  # keys read less than a second ago are not read again
    second_key = signing.agency.add_key()
    doc = _doc(8)
    body = {**_body(doc), **signing.sign([doc], key=second_key).fields(signing.issuer.address)}
    r = api.client.post("/v1/documents", json=body, headers=signing.issuer.headers)
    assert r.status_code == 202, r.text


def test_a_signed_document_has_a_v2_receipt_that_verifies_as_signed(
    api: ApiEnv, signing: Signing
) -> None:
    one = _doc(9)
    body = {**_body(one), **signing.sign([one]).fields(signing.issuer.address)}
    r = api.client.post("/v1/documents", json=body, headers=signing.issuer.headers)
    assert r.status_code == 202, r.text
    pending = Receipt.from_dict(r.json()["receipt"])
    assert pending.format == "notary-receipt-v2" and pending.issuer_signature is not None
    assert pending.issuer_signature.signer == signing.key.address
    assert pending.issuer_signature.leaves_root.raw == pending.leaf.raw  # one: its own root
    docs = [_doc(i) for i in range(6)]
    signed = signing.sign(docs)
    bulk = {"documents": [_body(d) for d in docs], **signed.fields(signing.issuer.address)}
    r = api.client.post("/v1/documents:bulk", json=bulk, headers=signing.issuer.headers)
    assert r.status_code == 202, r.text
    api.drain()
    for leaf in [signed.leaves[3].hex, pending.leaf.hex]:
        got = api.client.get(f"/v1/documents/{leaf}/receipt", headers=signing.issuer.headers)
        receipt = Receipt.from_json(got.content)
        issuer_signature = receipt.issuer_signature
        assert receipt.status == "anchored" and issuer_signature is not None
        assert issuer_signature.domain == signing.domain
        assert in_submission(receipt.leaf, issuer_signature.path, issuer_signature.leaves_root)
        for ask in ({"receipt": got.json()}, {"leaf": leaf}):
            answer = api.client.post("/v1/verify", json=ask).json()
            assert answer["verdict"] == "VALID", answer
            assert answer["signer"] == signing.key.address, answer
