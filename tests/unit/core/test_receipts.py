"""Receipts: round trips, strict loading, the schema, signing and the pending->anchored upgrade."""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from notary.core.errors import FormatError, VerificationError
from notary.core.merkle import MerkleTree, leaf_hash
from notary.core.receipts import AnchorInfo, Receipt, ServiceInfo
from notary.core.signing import (
    ServiceKey,
    key_id,
    public_key_from_hex,
    public_key_from_pem,
    sign_receipt,
    verify_receipt_signature,
)
from notary.core.types import Digest, Hash32, LeafValues

from .strategies import leaf_values

VECTORS = Path(__file__).resolve().parents[2] / "vectors" / "receipts"
SCHEMAS = Path(__file__).resolve().parents[3] / "notary" / "schemas"
SCHEMA = SCHEMAS / "receipt-v1.json"
SERVICE = ServiceInfo("https://notary.test", batch="b1", promised_by="2024-03-01T10:05:00Z")
ANCHOR = AnchorInfo(
    31337,
    "0x5FbDB2315678afecb367f032d93F642f64180aa3",
    Hash32(b"\x01" * 32),
    7,
    Hash32(b"\x02" * 32),
    1_700_000_000,
)


def _random_values() -> LeafValues:
    return LeafValues.of(Digest(os.urandom(32)), "0x" + os.urandom(20).hex(), Digest(bytes(32)))


def _anchored(values: list[LeafValues], i: int = 0) -> Receipt:
    tree = MerkleTree.from_values(values)
    pending = Receipt.pending(values[i], "Sở Tài nguyên và Môi trường", SERVICE, {"salt": "ab"})
    return pending.anchored(ANCHOR, tree.proof(i), tree.root)


@settings(max_examples=60, deadline=None)
@given(st.lists(leaf_values, min_size=1, max_size=9), st.booleans())
def test_round_trip(values: list[LeafValues], signed: bool) -> None:
    receipt = _anchored(values)
    key = ServiceKey.generate()
    if signed:
        receipt = sign_receipt(receipt, key)
    assert Receipt.from_json(receipt.to_json()) == receipt
    pending = Receipt.pending(values[0], "X", SERVICE)
    assert Receipt.from_json(pending.to_json()) == pending
    assert pending.status == "pending" and receipt.status == "anchored"


_example = json.loads((VECTORS / "anchored.receipt.json").read_text("utf-8"))
json_leaves = st.none() | st.booleans() | st.integers() | st.text(max_size=70) | st.floats()
json_any = st.recursive(
    json_leaves,
    lambda x: st.lists(x, max_size=3) | st.dictionaries(st.text(max_size=10), x, max_size=3),
    max_leaves=8,
)


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_malformed_input_only_raises_format_error(data: st.DataObject) -> None:
    doc = json.loads(json.dumps(_example))
    for _ in range(data.draw(st.integers(1, 3))):
        target = doc
        path = data.draw(
            st.sampled_from([[], ["anchor"], ["service"], ["issuer"], ["proof"], ["values"]])
        )
        for p in path:
            target = target[p] if isinstance(target, dict) and p in target else target
        if isinstance(target, dict) and target:
            key = data.draw(st.sampled_from(sorted(target)) | st.text(max_size=5))
            target[key] = data.draw(json_any)
        elif isinstance(target, list) and target:
            target[data.draw(st.integers(0, len(target) - 1))] = data.draw(json_any)
    text = json.dumps(doc, allow_nan=True)
    cut = data.draw(st.integers(0, len(text)))
    for candidate in (text, text[:cut], text + data.draw(st.text(max_size=3))):
        with contextlib.suppress(FormatError):  # anything else escaping fails the test
            Receipt.from_json(candidate)


def test_strict_loading_names_fields() -> None:
    text = (VECTORS / "anchored.receipt.json").read_text("utf-8")
    with pytest.raises(FormatError) as info:
        Receipt.from_json(text + " {}")
    assert info.value.field == "$"
    with pytest.raises(FormatError) as info:  # v2 is v1 and the issuer's signature
        Receipt.from_json(text.replace("notary-receipt-v1", "notary-receipt-v2"))
    assert info.value.field == "issuerSignature"
    with pytest.raises(FormatError, match="notary-receipt-v3"):
        Receipt.from_json(text.replace("notary-receipt-v1", "notary-receipt-v3"))
    with pytest.raises(FormatError):
        Receipt.from_json("[]")


@pytest.mark.parametrize(
    ("name", "change", "field"),
    [
        ("anchored", lambda r: [r], "$"),  # the whole value, as for JSON that does not parse
        ("anchored", lambda r: {**r, "service": {**r["service"], "keyId": None}}, "service.keyId"),
        (
            "pending",
            lambda r: {**r, "service": {**r["service"], "promisedBy": None}},
            "service.promisedBy",
        ),
        (
            "pending",
            lambda r: {**r, "service": {**r["service"], "promisedBy": "2024-03-01T10:05:00+00:99"}},
            "service.promisedBy",
        ),
    ],
)
def test_a_null_field_an_impossible_offset_or_a_non_object_is_named(
    name: str, change: Callable[[dict[str, Any]], object], field: str
) -> None:
    receipt = json.loads((VECTORS / f"{name}.receipt.json").read_text("utf-8"))
    with pytest.raises(FormatError) as info:
        Receipt.from_dict(change(receipt))
    assert info.value.field == field


def test_examples_match_the_schema() -> None:
    validator = jsonschema_rs.validator_for(json.loads(SCHEMA.read_text()))
    rng_values = [_random_values() for _ in range(3)]
    examples = [
        json.loads((VECTORS / f).read_text("utf-8"))
        for f in ("anchored.receipt.json", "pending.receipt.json")
    ]
    examples.append(
        json.loads(sign_receipt(_anchored(rng_values), ServiceKey.generate()).to_json())
    )
    examples.append(json.loads(Receipt.pending(rng_values[0], "X", SERVICE).to_json()))
    for example in examples:
        validator.validate(example)
    broken = dict(examples[0], status="pending")
    assert not validator.is_valid(broken)


def test_v2_examples_round_trip_and_match_their_schema_only() -> None:
    v1 = jsonschema_rs.validator_for(json.loads(SCHEMA.read_text()))
    v2 = jsonschema_rs.validator_for(json.loads((SCHEMAS / "receipt-v2.json").read_text()))
    for name in ("anchored-v2", "pending-v2"):
        text = (VECTORS / f"{name}.receipt.json").read_text("utf-8")
        receipt = Receipt.from_json(text)
        assert receipt.format == "notary-receipt-v2" and receipt.issuer_signature is not None
        assert receipt.to_json() == text
        v2.validate(json.loads(text))
        assert not v1.is_valid(json.loads(text))
    v1_example = json.loads((VECTORS / "anchored.receipt.json").read_text("utf-8"))
    assert not v2.is_valid(v1_example)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda r: r.pop("issuerSignature"), "issuerSignature"),
        (lambda r: r["issuerSignature"].update(extra=1), "issuerSignature.extra"),
        (lambda r: r["issuerSignature"].update(signer="0x" + "ab" * 20), "issuerSignature.signer"),
        (
            lambda r: r["issuerSignature"].update(signature=r["issuerSignature"]["signature"][:-2]),
            "issuerSignature.signature",
        ),
        (lambda r: r["issuerSignature"].update(leavesRoot="0x12"), "issuerSignature.leavesRoot"),
        (lambda r: r["issuerSignature"]["path"].append("0x1"), "issuerSignature.path[2]"),
        (
            lambda r: r["issuerSignature"]["domain"].update(version="1"),
            "issuerSignature.domain.version",
        ),
        (
            lambda r: r["issuerSignature"]["domain"].update(chainId=1),
            "issuerSignature.domain.chainId",
        ),
        (
            lambda r: r["issuerSignature"]["domain"].update(
                verifyingContract="0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512"
            ),
            "issuerSignature.domain.verifyingContract",
        ),
        (lambda r: r.update(format="notary-receipt-v1"), "issuerSignature"),  # v1 has none
    ],
)
def test_v2_strict_loading_names_the_field(
    change: Callable[[dict[str, Any]], object], field: str
) -> None:
    receipt = json.loads((VECTORS / "anchored-v2.receipt.json").read_text("utf-8"))
    change(receipt)
    with pytest.raises(FormatError) as info:
        Receipt.from_dict(receipt)
    assert info.value.field == field


def test_upgrade_refuses_a_proof_for_another_root() -> None:
    values = [_random_values() for _ in range(4)]
    tree = MerkleTree.from_values(values)
    pending = Receipt.pending(values[0], "X", SERVICE)
    with pytest.raises(VerificationError):
        pending.anchored(ANCHOR, tree.proof(1), tree.root)
    anchored = pending.anchored(ANCHOR, tree.proof(0), tree.root)
    assert anchored.service.promised_by is None and anchored.leaf == leaf_hash(values[0])


def test_signature_and_key_rotation() -> None:
    old, new = ServiceKey.generate(), ServiceKey.generate()
    receipt = _anchored([_random_values() for _ in range(3)])
    signed_old, signed_new = sign_receipt(receipt, old), sign_receipt(receipt, new)
    keys = {old.key_id: old.public_key, new.key_id: new.public_key}
    assert verify_receipt_signature(signed_old, keys) and verify_receipt_signature(signed_new, keys)
    with pytest.raises(VerificationError, match="unknown signing key"):
        verify_receipt_signature(signed_old, {new.key_id: new.public_key})
    with pytest.raises(VerificationError, match="not signed"):
        verify_receipt_signature(receipt, keys)
    with pytest.raises(VerificationError, match="another id"):
        verify_receipt_signature(signed_old, {old.key_id: new.public_key})
    tampered = Receipt.from_json(signed_old.to_json().replace("Môi trường", "Moi truong"))
    with pytest.raises(VerificationError, match="does not match"):
        verify_receipt_signature(tampered, keys)


def test_key_serialisation() -> None:
    key = ServiceKey.generate()
    again = ServiceKey.from_pem(key.to_pem(b"pw"), b"pw")
    assert again.key_id == key.key_id == key_id(public_key_from_pem(key.public_pem()))
    assert key_id(public_key_from_hex(key.public_hex())) == key.key_id
    assert "PRIVATE" not in repr(key)
    with pytest.raises(FormatError):
        ServiceKey.from_pem(b"junk")
    with pytest.raises(FormatError):
        public_key_from_hex("0x1234")
