"""Known-answer vectors (tests/vectors/): each records the command that reproduces it."""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from notary.core.digests import sha256_bytes
from notary.core.errors import FormatError
from notary.core.merkle import MerkleTree, leaf_hash, verify_multiproof
from notary.core.metadata import canonical_json, metadata_digest
from notary.core.receipts import Receipt
from notary.core.signing import key_id, public_key_from_pem
from notary.core.types import Digest, LeafValues
from notary.verify import ChainFacts, Verdict, judge, verify_receipt

VECTORS = Path(__file__).resolve().parents[2] / "vectors"
RECEIPTS = VECTORS / "receipts"
SHA256_INPUTS = {
    "empty": b"",
    "abc": b"abc",
    "one zero byte": b"\x00",
    "1 MiB of zeros plus one": bytes(1 << 20) + b"x",
    "utf-8 text": "Giấy chứng nhận".encode(),
}


def _load(name: str) -> Any:
    return json.loads((VECTORS / name).read_text("utf-8"))


def test_sha256() -> None:
    for vector in _load("sha256.json"):
        assert sha256_bytes(SHA256_INPUTS[vector["name"]]).hex == vector["digest"], vector[
            "command"
        ]


def test_metadata() -> None:
    for vector in _load("metadata.json"):
        assert canonical_json(vector["metadata"]) == vector["canonical"].encode()
        assert metadata_digest(vector["metadata"]).hex == vector["digest"]


def test_merkle_trees() -> None:
    data = _load("merkle.json")
    for vector in data["trees"]:
        values = [
            LeafValues(Digest.from_hex(d), a, Digest.from_hex(m)) for d, a, m in vector["values"]
        ]
        assert [leaf_hash(v).hex for v in values] == vector["leaves"]
        tree = MerkleTree.from_values(values)
        assert tree.root.hex == vector["root"]
        assert [["0x" + p.hex() for p in tree.proof(i)] for i in range(len(values))] == vector[
            "proofs"
        ]
        multi = tree.multiproof(vector["multiproofIndices"])
        expected = vector["multiproof"]
        assert ["0x" + p.hex() for p in multi.proof] == expected["proof"]
        assert multi.proof_flags == expected["proofFlags"]
        assert [leaf.hex for leaf in multi.leaves] == [
            leaf_hash(LeafValues(Digest.from_hex(d), a, Digest.from_hex(m))).hex
            for d, a, m in expected["leaves"]
        ]
        assert verify_multiproof(multi, tree.root)
    d, a, m = data["trees"][0]["values"][0]
    assert (
        leaf_hash(LeafValues(Digest.from_hex(d), a, Digest.from_hex(m))).hex
        == data["singleLeafRoot"]
    )


def _keys() -> dict[str, Any]:
    public = public_key_from_pem((RECEIPTS / "test-service-key.pub.pem").read_bytes())
    return {key_id(public): public}


def _chain() -> ChainFacts:
    anchored = Receipt.from_json((RECEIPTS / "anchored.receipt.json").read_text("utf-8"))
    assert anchored.anchor is not None
    return ChainFacts(
        anchored.anchor.timestamp,
        anchored.anchor.block_number,
        anchored.anchor.block_hash.hex,
        anchored.anchor.block_number + 20,
        issuer_name=anchored.issuer.name,
        issuer_registered_at=anchored.anchor.timestamp - 60,
    )


def test_example_receipts_verify() -> None:
    document = (RECEIPTS / "document.bin").read_bytes()
    for name, verdict in (("anchored", Verdict.VALID), ("pending", Verdict.PENDING)):
        receipt = Receipt.from_json((RECEIPTS / f"{name}.receipt.json").read_text("utf-8"))
        inclusion = verify_receipt(receipt, document=document, public_keys=_keys())
        assert inclusion.ok, inclusion.failed
        assert judge(inclusion, _chain(), required_confirmations=12).verdict is verdict
        # Re-serialising reproduces the signed file byte for byte.
        assert receipt.to_json() == (RECEIPTS / f"{name}.receipt.json").read_text("utf-8")


def _apply(doc: dict[str, Any], m: dict[str, Any]) -> dict[str, Any]:
    doc = copy.deepcopy(doc)
    if m["op"] == "setmany":
        for path, value in m["paths"]:
            _apply_one(doc, path, "set", value, m)
        return doc
    _apply_one(doc, m["path"], m["op"], m.get("value"), m)
    return doc


def _apply_one(doc: Any, path: list[Any], op: str, value: Any, m: dict[str, Any]) -> None:
    *parents, last = path
    target = doc
    for p in parents:
        target = target[p]
    if op == "set":
        target[last] = value
    elif op == "delete":
        del target[last]
    elif op == "append":
        target[last].append(value)
    elif op == "swap":
        target[last], target[m["with"]] = target[m["with"]], target[last]
    elif op == "flipbit":
        raw = bytearray.fromhex(target[last][2:])
        raw[m["bit"] // 8] ^= 1 << (m["bit"] % 8)
        target[last] = "0x" + raw.hex()


MUTATIONS = json.loads((RECEIPTS / "mutations.json").read_text("utf-8"))
BASE = json.loads((RECEIPTS / "anchored.receipt.json").read_text("utf-8"))


@pytest.mark.parametrize("mutation", MUTATIONS["verification"], ids=lambda m: m["name"])
def test_mutation_rejected_at_the_right_step(mutation: dict[str, Any]) -> None:
    receipt = Receipt.from_dict(_apply(BASE, mutation))
    document = (RECEIPTS / "document.bin").read_bytes()
    inclusion = verify_receipt(receipt, document=document, public_keys=_keys())
    assert inclusion.failed is not None and inclusion.failed.name == mutation["step"]
    result = judge(inclusion, _chain(), required_confirmations=1)
    assert result.verdict is Verdict.INVALID and result.failed_step == inclusion.failed


@pytest.mark.parametrize("mutation", MUTATIONS["format"], ids=lambda m: m["name"])
def test_malformed_receipt_names_the_field(mutation: dict[str, Any]) -> None:
    with pytest.raises(FormatError) as info:
        Receipt.from_json(json.dumps(_apply(BASE, mutation), ensure_ascii=False))
    assert info.value.field == mutation["formatError"]


@pytest.mark.skipif(
    not all(shutil.which(t) for t in ("jq", "openssl", "xxd")),
    reason="jq, openssl and xxd reproduce the signature check",
)
def test_signature_reproducible_with_jq_and_openssl(tmp_path: Path) -> None:
    receipt = RECEIPTS / "anchored.receipt.json"
    payload, signature = tmp_path / "payload.bin", tmp_path / "sig.bin"
    subprocess.run(
        f"jq -jcS 'del(.service.signature)' {receipt} > {payload} && "
        f"jq -r '.service.signature[2:]' {receipt} | xxd -r -p > {signature}",
        shell=True,
        check=True,
    )
    assert payload.read_bytes() == Receipt.from_json(receipt.read_text("utf-8")).signing_payload()
    done = subprocess.run(
        [
            "openssl",
            "pkeyutl",
            "-verify",
            "-pubin",
            "-inkey",
            str(RECEIPTS / "test-service-key.pub.pem"),
            "-rawin",
            "-in",
            str(payload),
            "-sigfile",
            str(signature),
        ],
        capture_output=True,
    )
    assert done.returncode == 0, done.stderr
