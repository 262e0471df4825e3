"""Anchored receipts signed once per process; anything they are built from signs anew."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from notary.core.signing import ServiceKey
from notary.core.types import Leaf
from notary.pipeline.receipt_cache import SignedReceipts
from notary.pipeline.receipts import ReceiptContext, load_document, receipt_of
from tests.api.conftest import ApiEnv, Issuer


@pytest.fixture
def signatures(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """Every message the service key signs from now on."""
    signed: list[bytes] = []
    sign = ServiceKey.sign

    def counting(self: ServiceKey, message: bytes) -> bytes:
        signed.append(message)
        return sign(self, message)

    monkeypatch.setattr(ServiceKey, "sign", counting)
    return signed


def _context(api: ApiEnv) -> ReceiptContext:
    service = api.client.app_state["service"]  # type: ignore[attr-defined]
    context: ReceiptContext = service.receipt_context()
    return context


def test_a_certificate_verified_again_is_not_signed_again(
    api: ApiEnv, issuer: Issuer, signatures: list[bytes]
) -> None:
    doc = api.notarise(issuer)
    leaf = doc["leaf"]
    api.drain()
    signatures.clear()
    ask = {"leaf": leaf, "digest": doc["digest"]}  # the digest: the receipt is shown
    first, second = (api.client.post("/v1/verify", json=ask).json() for _ in "12")
    assert first["verdict"] == second["verdict"] == "VALID"
    assert first["receipt"] == second["receipt"]
    assert len(signatures) == 1
    fresh = receipt_of(load_document(api.store, Leaf.from_hex(leaf, "leaf")), _context(api))
    assert fresh.to_dict() == second["receipt"]  # deterministic: what signing now would give


def test_what_a_receipt_is_built_from_keys_it(
    api: ApiEnv, issuer: Issuer, signatures: list[bytes]
) -> None:
    leaves = [api.notarise(issuer)["leaf"] for _ in range(3)]
    pending = load_document(api.store, Leaf.from_hex(api.notarise(issuer)["leaf"], "leaf"))
    api.drain()
    documents = [load_document(api.store, Leaf.from_hex(leaf, "leaf")) for leaf in leaves]
    context = _context(api)
    kept = SignedReceipts(capacity=2)
    signatures.clear()

    def signs(*documents_: Any) -> int:
        before = len(signatures)
        for document in documents_:
            kept.of(document, context)
        return len(signatures) - before

    assert signs(documents[0], documents[0], documents[1]) == 2
    renamed = dataclasses.replace(documents[0], issuer_name="Sở Công Thương")
    assert signs(renamed) == 1
    assert kept.of(renamed, context).issuer.name == "Sở Công Thương"
    assert signs(documents[1], documents[2], documents[1]) == 1  # documents[0] dropped
    assert signs(documents[0]) == 1
    assert signs(pending, pending) == 2  # pending receipts carry a promise: never kept


def test_the_key_digest_tells_fields_apart() -> None:
    from notary.pipeline.receipt_cache import _digest

    assert _digest(None) != _digest("None") != _digest(b"None")
    assert _digest(1) != _digest("1")
    assert _digest(b"ab", b"c") != _digest(b"a", b"bc")
    assert _digest("ab", "c") != _digest("a", "bc")
    assert _digest(b"x", 1, "y") == _digest(b"x", 1, "y")
