"""Regenerate the known-answer vectors from *independent* tools (sha256sum, node + OZ, openssl).

Run from the repository root: ``.venv/bin/python tests/vectors/make_vectors.py``. Expected
values come from the external commands recorded beside each vector, never from notary's
own code, except the receipt examples (the format is ours), which are pinned by their
Ed25519 signatures and checked with openssl. A changed vector means a changed format.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
ENC = ["bytes32", "address", "bytes32"]
JS_ENC = "['bytes32','address','bytes32']"


def sh(command: str, stdin: bytes | None = None) -> str:
    return (
        subprocess.run(command, shell=True, check=True, capture_output=True, input=stdin, cwd=ROOT)
        .stdout.decode()
        .strip()
    )


def sha256_vectors() -> list[dict[str, str]]:
    commands = {
        "empty": "printf '' | sha256sum",
        "abc": "printf abc | sha256sum",
        "one zero byte": "echo -n 00 | xxd -r -p | sha256sum",
        "1 MiB of zeros plus one": "{ head -c 1048576 /dev/zero; printf x; } | sha256sum",
        "utf-8 text": "printf 'Giấy chứng nhận' | sha256sum",
    }
    return [
        {"name": name, "command": cmd, "digest": "0x" + sh(cmd).split()[0]}
        for name, cmd in commands.items()
    ]


def metadata_vectors() -> list[dict[str, object]]:
    cases = [
        (
            {
                "salt": "00112233445566778899aabbccddeeff",
                "documentType": "export-certificate",
                "documentNumber": "EC-2024-000123",
                "quantity": 12.5,
                "issuedOn": "2024-03-01",
            },
            '{"documentNumber":"EC-2024-000123","documentType":"export-certificate",'
            '"issuedOn":"2024-03-01","quantity":12.5,"salt":"00112233445566778899aabbccddeeff"}',
        ),
        (
            {
                "holder": "Hợp tác xã Nông nghiệp Đắk Lắk",
                "b": [1, 2.0, None, True],
                "a": {"z": 1e21, "y": "é"},
            },
            '{"a":{"y":"é","z":1e+21},"b":[1,2,null,true],"holder":"Hợp tác xã Nông nghiệp Đắk Lắk"}',  # noqa: E501
        ),
        (
            {
                "\u20ac": 1,
                "\r": 2,
                "1": 3,
                "\U0001f600": 4,
                "\u00f6": 5,
            },  # RFC 8785 §3.2.3 key order
            '{"\\r":2,"1":3,"ö":5,"€":1,"😀":4}',
        ),
    ]
    out = []
    for obj, canonical in cases:
        cmd = f"printf '%s' '{canonical}' | sha256sum"
        out.append(
            {
                "metadata": obj,
                "canonical": canonical,
                "command": cmd,
                "digest": "0x" + sh(cmd).split()[0],
            }
        )
    return out


def merkle_vectors() -> dict[str, object]:
    def v(i: int, addr: str) -> list[str]:
        return [
            "0x" + sh(f"printf doc{i} | sha256sum").split()[0],
            addr,
            "0x" + (sh(f"printf meta{i} | sha256sum").split()[0] if i % 2 else "00" * 32),
        ]

    issuers = [
        "0x5B38Da6a701c568545dCfcB03FcB875f56beddC4",
        "0xAb8483F64d9C6d1EcF9b849Ae677dD3315835cb2",
    ]
    trees = []
    for size in (1, 2, 3, 5, 8):
        values = [v(i, issuers[i % 2]) for i in range(size)]
        multi = [i for i in range(size) if i % 2 == 0]
        trees.append({"values": values, "multiproofIndices": multi})
    node = (
        "const T=require('@openzeppelin/merkle-tree').StandardMerkleTree;"
        "const v=JSON.parse(require('fs').readFileSync(0,'utf8'));"
        "console.log(JSON.stringify(v.map(x=>{const t=T.of(x.values," + JS_ENC + ");"
        "return {root:t.root,leaves:x.values.map(y=>t.leafHash(y)),"
        "proofs:x.values.map((_,i)=>t.getProof(i)),"
        "multiproof:t.getMultiProof(x.multiproofIndices)}})))"
    )
    answers = json.loads(sh(f'node -e "{node}"', json.dumps(trees).encode()))
    for tree, answer in zip(trees, answers, strict=True):
        tree.update(answer)
    single = json.dumps(trees[0]["values"][0]).replace('"', "'")
    one_liner = (
        "node -e \"const T=require('@openzeppelin/merkle-tree').StandardMerkleTree;"
        f'console.log(T.of([{single}],{JS_ENC}).root)"'
    )
    return {
        "leafEncoding": ENC,
        "library": "@openzeppelin/merkle-tree 1.0.8",
        "command": f'node -e "{node}" < input.json  (input: [{{values, '
        "multiproofIndices}] of each tree)",
        "singleLeafCommand": one_liner,
        "singleLeafRoot": sh(one_liner),
        "trees": trees,
    }


def receipt_vectors() -> None:
    """Example receipts signed by a fixed TEST-ONLY key (Ed25519 signatures are deterministic)."""
    import hashlib

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from notary.core.digests import sha256_bytes
    from notary.core.merkle import MerkleTree, leaf_hash
    from notary.core.metadata import metadata_digest
    from notary.core.receipts import AnchorInfo, Receipt, ServiceInfo
    from notary.core.signing import ServiceKey, sign_receipt
    from notary.core.types import Hash32, LeafValues

    out = HERE / "receipts"
    seed = hashlib.sha256(b"notary TEST-ONLY service key 1").digest()
    key = ServiceKey(Ed25519PrivateKey.from_private_bytes(seed))
    (out / "test-service-key.pub.pem").write_bytes(key.public_pem())
    issuer = "0x5B38Da6a701c568545dCfcB03FcB875f56beddC4"
    metadata = {
        "documentType": "export-certificate",
        "documentNumber": "EC-2024-000123",
        "holder": "Công ty TNHH Cà phê Tây Nguyên",
        "product": "Robusta coffee beans",
        "quantity": 19200,
        "origin": "Đắk Lắk, Việt Nam",
        "issuedOn": "2024-03-01",
        "expiresOn": "2025-03-01",
        "salt": "00112233445566778899aabbccddeeff",
    }
    document = b"%PDF-1.7 example export certificate EC-2024-000123\n"
    (out / "document.bin").write_bytes(document)
    values = LeafValues.of(sha256_bytes(document), issuer, metadata_digest(metadata))
    others = [
        LeafValues.of(sha256_bytes(b"doc%d" % i), issuer, metadata_digest(None))
        for i in range(1, 5)
    ]
    service = ServiceInfo(
        "https://notary.example.gov.vn",
        batch="2024-03-01T10:00:00Z#42",
        promised_by="2024-03-01T10:05:00Z",
    )
    pending = sign_receipt(
        Receipt.pending(values, "Sở Nông nghiệp tỉnh Đắk Lắk", service, metadata), key
    )
    tree = MerkleTree.from_leaves([leaf_hash(v) for v in [values, *others]])
    anchor = AnchorInfo(
        31337,
        "0x5FbDB2315678afecb367f032d93F642f64180aa3",
        Hash32(hashlib.sha256(b"tx").digest()),
        42,
        Hash32(hashlib.sha256(b"block").digest()),
        1709287500,
    )
    anchored = sign_receipt(pending.anchored(anchor, tree.proof(0), tree.root), key)
    (out / "pending.receipt.json").write_text(pending.to_json(), encoding="utf-8")
    (out / "anchored.receipt.json").write_text(anchored.to_json(), encoding="utf-8")


if __name__ == "__main__":
    receipt_vectors()
    (HERE / "sha256.json").write_text(
        json.dumps(sha256_vectors(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    (HERE / "metadata.json").write_text(
        json.dumps(metadata_vectors(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    (HERE / "merkle.json").write_text(
        json.dumps(merkle_vectors(), indent=2) + "\n", encoding="utf-8"
    )
    print("wrote sha256.json metadata.json merkle.json")
