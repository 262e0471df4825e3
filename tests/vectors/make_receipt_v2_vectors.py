"""Write the notary-receipt-v2 examples (tests/vectors/receipts/*-v2.receipt.json) and the
commands that reproduce what the issuer signed (receipts/v2.json).

Run from the repository root: ``.venv/bin/python tests/vectors/make_receipt_v2_vectors.py``.
The issuer's part comes from independent tools: the submission tree from node with
@openzeppelin/merkle-tree, the issuer's EIP-712 signature from ``cast wallet sign --data``
(TEST-ONLY key 2 signs for the issuer whose root key is TEST-ONLY key 1); the receipt
around it is ours, signed by the TEST-ONLY service key as the v1 examples are.
"""

from __future__ import annotations

import hashlib
import json
import shlex
import sys
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from make_issuer_signing_vectors import KEYS, TREE_COMMAND, cast, sh, typed_data  # noqa: E402

from notary.core.digests import sha256_bytes  # noqa: E402
from notary.core.issuer_signing import RegistryDomain, SubmissionRoot  # noqa: E402
from notary.core.merkle import MerkleTree, leaf_hash  # noqa: E402
from notary.core.metadata import metadata_digest  # noqa: E402
from notary.core.receipts import AnchorInfo, IssuerSignature, Receipt, ServiceInfo  # noqa: E402
from notary.core.signing import ServiceKey, sign_receipt  # noqa: E402
from notary.core.types import Digest, Hash32, Leaf, LeafValues  # noqa: E402

RECEIPTS = HERE / "receipts"
CHAIN_ID = 31337
CONTRACT = "0x5FbDB2315678afecb367f032d93F642f64180aa3"


def main() -> None:
    issuer = cast(f"wallet address --private-key {KEYS[0]}")[1]
    signer = cast(f"wallet address --private-key {KEYS[1]}")[1]
    document = (RECEIPTS / "document.bin").read_bytes()
    metadata = {
        "documentType": "phytosanitary-certificate",
        "documentNumber": "2024/0042",
        "holder": "Hợp tác xã Nông nghiệp Thanh Hà",
        "product": "Vải thiều Thanh Hà",
        "issuedOn": "2024-06-01",
        "salt": "8899aabbccddeeff0011223344556677",
    }
    values = LeafValues.of(sha256_bytes(document), issuer, metadata_digest(metadata))
    others = [
        LeafValues.of(
            Digest(hashlib.sha256(b"signed %d" % i).digest()), issuer, metadata_digest(None)
        )
        for i in (1, 2)
    ]
    submitted = [values, *others]
    tree_command = TREE_COMMAND + shlex.quote(json.dumps([v.to_hex() for v in submitted]))
    submission = json.loads(sh(tree_command))
    leaves_root = SubmissionRoot.from_hex(submission["root"])
    path = tuple(bytes.fromhex(p[2:]) for p in submission["proofs"][0])
    message = {"issuer": issuer, "leavesRoot": leaves_root.hex}
    data = typed_data("Submission", message, CHAIN_ID, CONTRACT)
    sign_command, signature = cast(
        f"wallet sign --data {shlex.quote(data)} --private-key {KEYS[1]}"
    )
    signed = IssuerSignature(
        signer,
        bytes.fromhex(signature[2:]),
        leaves_root,
        path,
        RegistryDomain.of(CHAIN_ID, CONTRACT),
    )

    seed = hashlib.sha256(b"notary TEST-ONLY service key 1").digest()
    key = ServiceKey(Ed25519PrivateKey.from_private_bytes(seed))
    service = ServiceInfo(
        "https://notary.example.gov.vn",
        batch="2024-06-01T08:00:00Z#7",
        promised_by="2024-06-01T08:05:00Z",
    )
    name = "Chi cục Trồng trọt và Bảo vệ thực vật tỉnh Hải Dương"
    pending = sign_receipt(Receipt.pending(values, name, service, metadata, signed), key)
    batch = [*submitted, LeafValues.of(Digest(bytes(32)), issuer, metadata_digest(None))]
    tree = MerkleTree.from_leaves([leaf_hash(v) for v in batch])
    anchor = AnchorInfo(
        CHAIN_ID,
        CONTRACT,
        Hash32(hashlib.sha256(b"tx v2").digest()),
        57,
        Hash32(hashlib.sha256(b"block v2").digest()),
        1717228800,
    )
    anchored = sign_receipt(pending.anchored(anchor, tree.proof(0), tree.root), key)
    (RECEIPTS / "pending-v2.receipt.json").write_text(pending.to_json(), encoding="utf-8")
    (RECEIPTS / "anchored-v2.receipt.json").write_text(anchored.to_json(), encoding="utf-8")
    assert Leaf.from_hex(submission["leaves"][0]) == leaf_hash(values)
    about = {
        "about": "What the issuer signed in the notary-receipt-v2 examples, and the commands "
        "that reproduce it (cast 1.7.1, @openzeppelin/merkle-tree 1.0.8). TEST-ONLY keys: "
        "the issuer is key 1's address, its signing key key 2.",
        "issuer": issuer,
        "signer": signer,
        "signerCommand": f"cast wallet address --private-key {KEYS[1]}",
        "submission": [v.to_hex() for v in submitted],
        "leavesRoot": leaves_root.hex,
        "path": submission["proofs"][0],
        "treeCommand": tree_command,
        "typedData": json.loads(data),
        "signature": signature,
        "signatureCommand": sign_command,
        "verifyCommand": f"cast wallet verify --address {signer} --data {shlex.quote(data)} "
        f"{signature}",
    }
    (RECEIPTS / "v2.json").write_text(json.dumps(about, indent=2, ensure_ascii=False) + "\n")
    print("wrote receipts/pending-v2.receipt.json, anchored-v2.receipt.json, v2.json")


if __name__ == "__main__":
    main()
