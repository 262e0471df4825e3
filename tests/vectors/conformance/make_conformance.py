"""Write the conformance vectors every verifier must pass (``cases.json`` beside this file).

    .venv/bin/python tests/vectors/conformance/make_conformance.py

Each case is a receipt (one of the named ``receipts``, a receipt object, or the text of a
file for the malformed ones), what was given with it (the document's digest, the service's
keys) and what each node asked would answer (the fields of ``NotaryRegistry.check`` and its
chain id, or that it did not answer), and what must come of it: the verdict, the failed
step and each step's state, or the field a strict load must name. The verdicts are stated
here by hand, from the rules (DESIGN.md, ``notary.verify``); this script checks the Python
engine gives them before writing anything, and records the steps it reports. Then the
file is frozen: ``tests/unit/verify/test_conformance.py`` (Python) and
``tests/js/conformance.test.js`` (the page's modules, ``node --test``) must both pass it.

The base receipts are ``tests/vectors/receipts/*.receipt.json`` (see that folder's README
for checking their signatures with openssl) and a few more signed here by the same
TEST-ONLY key, or by a second TEST-ONLY key the verifiers are not given; every other
receipt is one of them with the change its case's ``made`` describes.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))  # run as a script: find tests/

from notary.core.errors import FormatError
from notary.core.merkle import MerkleTree, leaf_hash
from notary.core.metadata import metadata_digest
from notary.core.receipts import Receipt, ServiceInfo
from notary.core.signing import ServiceKey, sign_receipt
from notary.core.types import Digest, Hash32, LeafValues
from notary.verify import AGREED
from notary.verify.facts import json_name
from tests.vectors.conformance.run_case import receipt_of, run, states

HERE = Path(__file__).resolve().parent
RECEIPTS = HERE.parent / "receipts"
OUT = HERE / "cases.json"
OTHER_ISSUER = "0xAb8483F64d9C6d1EcF9b849Ae677dD3315835cb2"
ZERO32 = "0x" + "00" * 32


def test_key(n: int) -> ServiceKey:
    """TEST-ONLY key n, from a public seed (never for anything real)."""
    seed = hashlib.sha256(f"notary TEST-ONLY service key {n}".encode()).digest()
    return ServiceKey(Ed25519PrivateKey.from_private_bytes(seed))


KEY = test_key(1)
OTHER_KEY = test_key(2)


def base_receipts() -> dict[str, dict[str, Any]]:
    """The named receipts the cases start from."""
    anchored = json.loads((RECEIPTS / "anchored.receipt.json").read_text("utf-8"))
    pending = json.loads((RECEIPTS / "pending.receipt.json").read_text("utf-8"))
    a = Receipt.from_dict(anchored)
    assert a.anchor is not None
    # A document without metadata, alone in its batch: its proof is empty, root = leaf.
    bare_values = LeafValues.of(
        Digest(hashlib.sha256(b"bare").digest()), a.values.issuer, metadata_digest(None)
    )
    bare_leaf = leaf_hash(bare_values)
    bare = Receipt.pending(bare_values, a.issuer.name, ServiceInfo(a.service.id, batch="b#43"))
    anchor = dataclasses.replace(
        a.anchor,
        block_number=43,
        timestamp=a.anchor.timestamp + 12,
        tx_hash=Hash32(hashlib.sha256(b"tx 43").digest()),
        block_hash=Hash32(hashlib.sha256(b"block 43").digest()),
    )
    tree = MerkleTree.from_leaves([bare_leaf])
    bare = sign_receipt(bare.anchored(anchor, tree.proof(0), tree.root), KEY)
    # The anchored receipt with its metadata taken out (the signature covered it).
    withheld = copy.deepcopy(anchored)
    del withheld["metadata"]
    unsigned = copy.deepcopy(anchored)
    del unsigned["service"]["signature"], unsigned["service"]["keyId"]
    other_key = sign_receipt(Receipt.from_dict(unsigned), OTHER_KEY).to_dict()
    signed = json.loads((RECEIPTS / "anchored-v2.receipt.json").read_text("utf-8"))
    signed_pending = json.loads((RECEIPTS / "pending-v2.receipt.json").read_text("utf-8"))
    # A signed document's receipt stripped to v1 (its service signature no longer holds).
    stripped = copy.deepcopy(signed)
    del stripped["issuerSignature"]
    stripped["format"] = "notary-receipt-v1"
    return {
        "anchored": anchored,
        "pending": pending,
        "bare": bare.to_dict(),
        "withheld": withheld,
        "unsigned": unsigned,
        "otherKey": other_key,
        "signed": signed,
        "signedPending": signed_pending,
        "stripped": stripped,
    }


BASES = base_receipts()
A = Receipt.from_dict(BASES["anchored"])
assert A.anchor is not None and A.root is not None
T = A.anchor.timestamp
BLOCK = A.anchor.block_number
DIGEST = A.values.digest.hex


def honest(
    receipt: str = "anchored", sig: dict[str, Any] | None = None, **changes: Any
) -> dict[str, Any]:
    """What an honest node at block BLOCK + 11 answers about a base receipt: `check`'s
    fields, and for a v2 receipt `checkSigned`'s `signature` fields (changed by `sig`)."""
    r = Receipt.from_dict(BASES[receipt])
    assert r.anchor is not None and r.root is not None
    check = {
        "leaf": r.leaf.hex,
        "root": r.root.hex,
        "anchoredAt": r.anchor.timestamp,
        "anchoredBlock": r.anchor.block_number,
        "leafCount": 5 if r.proof else 1,
        "revokedAt": 0,
        "revocationReason": 0,
        "currentBlock": r.anchor.block_number + 11,
        "issuerName": r.issuer.name,
        "issuerRegisteredAt": T - 3600,
        "issuerDeactivatedAt": 0,
    }
    chain_id = changes.pop("chainId", r.anchor.chain_id)
    unknown = set(changes) - set(check)
    assert not unknown, unknown
    answer: dict[str, Any] = {"chainId": chain_id, "check": {**check, **changes}}
    if r.issuer_signature is not None:
        signature = {
            "signer": r.issuer_signature.signer,
            "inSubmission": True,
            "signerAddedAt": r.anchor.timestamp - 1200,
            "signerAddedBlock": r.anchor.block_number - 7,
            "signerRemovedAt": 0,
            "signerRemovedBlock": 0,
            "signingSince": r.anchor.block_number - 7,
            "signatureRequired": True,
            "authorised": True,
        }
        assert not set(sig or {}) - set(signature), sig
        answer["signature"] = {**signature, **(sig or {})}
    return answer


def refusing(chain_id: int = 31337, error: str = "SignatureRequired") -> dict[str, Any]:
    """A registry's refusal to answer: by default a v2 registry's `check` refusing a signing
    issuer's document (SignatureRequired); `UnknownError` is a revert that names nothing
    (e.g. a contract at the address without `checkSigned`), no fact about the document."""
    return {"chainId": chain_id, "refused": error}


NOT_ANCHORED = {"anchoredAt": 0, "anchoredBlock": 0, "leafCount": 0}


def failure(kind: str, detail: str) -> dict[str, str]:
    """A node that did not answer: unreachable, refused (a JSON-RPC error) or malformed."""
    return {"failure": kind, "detail": detail}


def case(
    name: str,
    verdict: str,
    failed: str | None = None,
    *,
    receipt: str | dict[str, Any] = "anchored",
    made: str | None = None,
    chain: list[dict[str, Any]] | str | None = "honest",
    digest: str | None = None,
    keys: bool = True,
    required: int = 12,
    confirmations: int | None = None,
    assurance: str | None = None,
) -> dict[str, Any]:
    """A case that loads and gets `verdict` (and fails at step `failed`); a genuine one
    says who vouches for its issuer (`assurance`: signed or vouched)."""
    out: dict[str, Any] = {"name": name}
    if made:
        out["made"] = made
    out["receipt"] = receipt
    out["given"] = {"digest": digest, "serviceKeys": keys}
    out["requiredConfirmations"] = required
    base = receipt if isinstance(receipt, str) else "anchored"
    out["chain"] = [honest(base)] if chain == "honest" else chain
    out["expect"] = {"verdict": verdict, "failedStep": failed}
    if verdict in ("VALID", "VALID_PENDING_CONFIRMATIONS"):
        out["expect"]["assurance"] = assurance or "vouched"
    if confirmations is not None:
        out["expect"]["confirmations"] = confirmations
    return out


def mutated(
    name: str, step: str, change: Callable[[dict[str, Any]], None], made: str
) -> dict[str, Any]:
    """The anchored receipt changed by `change`, verified with its document and the keys:
    INVALID at `step`."""
    r = copy.deepcopy(BASES["anchored"])
    change(r)
    return case(name, "INVALID", step, receipt=r, made=f"anchored, {made}", digest=DIGEST)


def malformed(name: str, field: str, receipt: object, made: str) -> dict[str, Any]:
    """A receipt (object, or text when a string) a strict load refuses, naming `field`."""
    key = "receiptText" if isinstance(receipt, str) else "receipt"
    return {"name": name, "made": made, key: receipt, "expect": {"formatError": field}}


def edit(base: str, change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    r = copy.deepcopy(BASES[base])
    change(r)
    return r


def text(base: str = "anchored") -> str:
    return json.dumps(BASES[base], ensure_ascii=False, indent=2)


def flip(hex_value: str, bit: int) -> str:
    raw = bytearray.fromhex(hex_value[2:])
    raw[bit // 8] ^= 1 << (bit % 8)
    return "0x" + raw.hex()


def setter(path: list[Any], value: Any) -> Callable[[dict[str, Any]], None]:
    def change(r: dict[str, Any]) -> None:
        target: Any = r
        for p in path[:-1]:
            target = target[p]
        target[path[-1]] = value

    return change


def flipper(path: list[Any], bit: int) -> Callable[[dict[str, Any]], None]:
    def change(r: dict[str, Any]) -> None:
        target: Any = r
        for p in path[:-1]:
            target = target[p]
        target[path[-1]] = flip(target[path[-1]], bit)

    return change


def deleter(path: list[Any]) -> Callable[[dict[str, Any]], None]:
    def change(r: dict[str, Any]) -> None:
        target: Any = r
        for p in path[:-1]:
            target = target[p]
        del target[path[-1]]

    return change


def verdict_cases() -> list[dict[str, Any]]:
    late = T + 100
    return [
        case("genuine, final", "VALID", confirmations=12),
        case("genuine, with its document", "VALID", digest=DIGEST),
        case("genuine, signature not checked (no keys)", "VALID", keys=False),
        case(
            "genuine, awaiting confirmations",
            "VALID_PENDING_CONFIRMATIONS",
            chain=[honest(currentBlock=BLOCK + 5)],
            confirmations=6,
        ),
        case("genuine, no confirmations asked for", "VALID", required=0, confirmations=12),
        case(
            "genuine, the issuer renamed on chain since",
            "VALID",
            chain=[honest(issuerName="Sở Nông nghiệp và Môi trường tỉnh Đắk Lắk")],
        ),
        case(
            "genuine, the issuer deactivated after the anchor",
            "VALID",
            chain=[honest(issuerDeactivatedAt=late)],
        ),
        case(
            "genuine, the issuer registered in the anchor's second",
            "VALID",
            chain=[honest(issuerRegisteredAt=T)],
        ),
        case(
            "genuine, re-anchored in another block after a reorganisation",
            "VALID",
            chain=[honest(anchoredBlock=BLOCK + 1)],
            required=11,
            confirmations=11,
        ),
        case(
            "genuine, re-anchored earlier, the node's chain shorter than the receipt's block",
            "VALID",
            chain=[honest(anchoredBlock=BLOCK - 5, currentBlock=BLOCK - 2)],
            required=1,
            confirmations=4,
        ),
        case(
            "genuine, two nodes agree (confirmations as of the lower block)",
            "VALID_PENDING_CONFIRMATIONS",
            chain=[honest(currentBlock=BLOCK + 20), honest(currentBlock=BLOCK + 8)],
            confirmations=9,
        ),
        case("genuine, no metadata, alone in its batch", "VALID", receipt="bare"),
        case(
            "genuine, metadata withheld (not disclosed), signature not checked",
            "VALID",
            receipt="withheld",
            keys=False,
        ),
        case("pending", "PENDING", receipt="pending", chain=None),
        case(
            "pending, the node not needed",
            "PENDING",
            receipt="pending",
            chain=[failure("unreachable", "connection refused")],
        ),
        case("pending, with its document", "PENDING", receipt="pending", digest=DIGEST, chain=None),
        case("revoked", "REVOKED", chain=[honest(revokedAt=late, revocationReason=2)]),
        case(
            "revoked, before its confirmations",
            "REVOKED",
            chain=[honest(revokedAt=late, revocationReason=6, currentBlock=BLOCK)],
        ),
        case(
            "revoked by a deactivated issuer",
            "REVOKED",
            chain=[honest(revokedAt=late, revocationReason=3, issuerDeactivatedAt=late + 1)],
        ),
        case("not anchored on chain", "INVALID", "anchor", chain=[honest(**NOT_ANCHORED)]),
        case(
            "issuer never registered on chain",
            "INVALID",
            "issuer",
            chain=[honest(issuerRegisteredAt=0, issuerName="")],
        ),
        case(
            "issuer registered after the anchor",
            "INVALID",
            "issuer",
            chain=[honest(issuerRegisteredAt=T + 1)],
        ),
        case(
            "issuer deactivated before the anchor",
            "INVALID",
            "issuer",
            chain=[honest(issuerDeactivatedAt=T - 1)],
        ),
        case(
            "issuer deactivated in the anchor's second",
            "INVALID",
            "issuer",
            chain=[honest(issuerDeactivatedAt=T)],
        ),
        case(
            "issuer never registered, and revoked",
            "INVALID",
            "issuer",
            chain=[honest(issuerRegisteredAt=0, revokedAt=late, revocationReason=1)],
        ),
        case("another document", "INVALID", "digest", digest=flip(DIGEST, 0)),
        case(
            "another document, the node unreachable",
            "INVALID",
            "digest",
            digest=flip(DIGEST, 255),
            chain=[failure("unreachable", "timed out")],
        ),
        case(
            "signed by a key the service does not publish",
            "INVALID",
            "signature",
            receipt="otherKey",
        ),
        case("not signed", "INVALID", "signature", receipt="unsigned"),
        case("not signed, no keys to check it", "VALID", receipt="unsigned", keys=False),
        case(
            "metadata withheld, signature checked",
            "INVALID",
            "signature",
            receipt="withheld",
        ),
        case("no node named", "UNVERIFIABLE", chain=None),
        case("node unreachable", "UNVERIFIABLE", chain=[failure("unreachable", "timed out")]),
        case(
            "node refused the call",
            "UNVERIFIABLE",
            chain=[failure("refused", "execution reverted (-32000)")],
        ),
        case(
            "node's answer unreadable",
            "UNVERIFIABLE",
            chain=[failure("malformed", "no Verification tuple in the answer")],
        ),
        case("node on another chain", "UNVERIFIABLE", chain=[honest(chainId=1)]),
        case(
            "node on another chain, no record there",
            "UNVERIFIABLE",
            chain=[honest(chainId=11155111, **NOT_ANCHORED)],
        ),
        case(
            "node behind the receipt's anchor block",
            "UNVERIFIABLE",
            chain=[honest(**NOT_ANCHORED, currentBlock=BLOCK - 1)],
        ),
        case(
            "node at the receipt's anchor block without the root",
            "INVALID",
            "anchor",
            chain=[honest(**NOT_ANCHORED, currentBlock=BLOCK)],
        ),
        case(
            "node answered about another leaf",
            "UNVERIFIABLE",
            chain=[honest(leaf=flip(A.leaf.hex, 1))],
        ),
        case(
            "node answered about another root",
            "UNVERIFIABLE",
            chain=[honest(root=flip(A.root.hex, 1))],
        ),
        case(
            "two nodes disagree on the revocation",
            "UNVERIFIABLE",
            chain=[honest(), honest(revokedAt=late, revocationReason=2)],
        ),
        case(
            "two nodes disagree on the anchor",
            "UNVERIFIABLE",
            chain=[honest(), honest(**NOT_ANCHORED)],
        ),
        case(
            "two nodes disagree on the issuer's name",
            "UNVERIFIABLE",
            chain=[honest(), honest(issuerName="Chi cục Thủy sản")],
        ),
        case(
            "two nodes disagree on the chain",
            "UNVERIFIABLE",
            chain=[honest(), honest(chainId=1)],
        ),
        case(
            "one node of two unreachable",
            "UNVERIFIABLE",
            chain=[honest(), failure("unreachable", "connection refused")],
        ),
        case(
            "two nodes unreachable",
            "UNVERIFIABLE",
            chain=[failure("unreachable", "timed out"), failure("refused", "rate limited")],
        ),
        case(
            "two nodes agree the root is not anchored",
            "INVALID",
            "anchor",
            chain=[honest(**NOT_ANCHORED), honest(**NOT_ANCHORED, currentBlock=BLOCK + 3)],
        ),
    ]


S = Receipt.from_dict(BASES["signed"])
assert S.anchor is not None and S.issuer_signature is not None
SIGNED_BLOCK = S.anchor.block_number
SIGNER = S.issuer_signature.signer
HALF_ORDER = 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0
ORDER = 2 * HALF_ORDER + 1


def high_s(r: dict[str, Any]) -> None:
    """The same signature in its malleable form: s -> n - s, v flipped (ecrecover would
    recover the same key; OpenZeppelin and every verifier here refuse it)."""
    raw = bytes.fromhex(r["issuerSignature"]["signature"][2:])
    s_value = ORDER - int.from_bytes(raw[32:64], "big")
    v = 55 - raw[64]  # 27 <-> 28
    signature = raw[:32] + s_value.to_bytes(32, "big") + bytes([v])
    r["issuerSignature"]["signature"] = "0x" + signature.hex()


def signed_cases() -> list[dict[str, Any]]:
    """The issuer's signature: v2 receipts checked by checkSigned, v1 ones by check's
    refusal (SignatureRequired) for a signing issuer."""
    late = S.anchor.timestamp + 100
    signed = "signed"
    sig = "issuerSignature"

    def v2(name: str, change: Callable[[dict[str, Any]], None], made: str) -> dict[str, Any]:
        return case(
            name,
            "INVALID",
            sig,
            receipt=edit(signed, change),
            made=f"signed, {made}",
            chain=[honest(signed)],
            keys=False,
        )

    return [
        case("signed by the issuer's key", "VALID", receipt=signed, assurance="signed"),
        case(
            "signed, with its document",
            "VALID",
            receipt=signed,
            digest=S.values.digest.hex,
            assurance="signed",
        ),
        case(
            "signed, awaiting confirmations",
            "VALID_PENDING_CONFIRMATIONS",
            receipt=signed,
            chain=[honest(signed, currentBlock=SIGNED_BLOCK + 2)],
            confirmations=3,
            assurance="signed",
        ),
        case("signed, pending", "PENDING", receipt="signedPending", chain=None),
        case(
            "signed, the key removed after the anchor",
            "VALID",
            receipt=signed,
            chain=[
                honest(
                    signed,
                    sig={"signerRemovedAt": late, "signerRemovedBlock": SIGNED_BLOCK + 3},
                )
            ],
            assurance="signed",
        ),
        case(
            "signed, before the issuer signed anything (vouched)",
            "VALID",
            receipt=signed,
            chain=[
                honest(
                    signed,
                    sig={
                        "signerAddedBlock": SIGNED_BLOCK + 3,
                        "signingSince": SIGNED_BLOCK + 3,
                        "signatureRequired": False,
                        "authorised": False,
                    },
                )
            ],
        ),
        case(
            "signed, revoked",
            "REVOKED",
            receipt=signed,
            chain=[honest(signed, revokedAt=late, revocationReason=2)],
        ),
        case(
            "signed by a key not authorised, revoked",
            "REVOKED",
            receipt=signed,
            chain=[honest(signed, sig={"authorised": False}, revokedAt=late, revocationReason=6)],
        ),
        case(
            "signed by a key added after the anchor",
            "INVALID",
            sig,
            receipt=signed,
            chain=[
                honest(
                    signed,
                    sig={"signerAddedBlock": SIGNED_BLOCK + 1, "authorised": False},
                )
            ],
        ),
        case(
            "signed by a key removed before the anchor",
            "INVALID",
            sig,
            receipt=signed,
            chain=[
                honest(
                    signed,
                    sig={
                        "signerRemovedAt": S.anchor.timestamp - 60,
                        "signerRemovedBlock": SIGNED_BLOCK - 2,
                        "authorised": False,
                    },
                )
            ],
        ),
        case(
            "signed by a key removed in the anchor's block",
            "INVALID",
            sig,
            receipt=signed,
            chain=[
                honest(
                    signed,
                    sig={
                        "signerRemovedAt": S.anchor.timestamp,
                        "signerRemovedBlock": SIGNED_BLOCK,
                        "authorised": False,
                    },
                )
            ],
        ),
        case(
            "signed by a key the issuer never added",
            "INVALID",
            sig,
            receipt=signed,
            chain=[
                honest(
                    signed,
                    sig={"signerAddedAt": 0, "signerAddedBlock": 0, "authorised": False},
                )
            ],
        ),
        case(
            "signed, not anchored",
            "INVALID",
            "anchor",
            receipt=signed,
            chain=[honest(signed, sig={"authorised": False}, **NOT_ANCHORED)],
        ),
        case(
            "signed, the node recovered another signer",
            "UNVERIFIABLE",
            receipt=signed,
            chain=[honest(signed, sig={"signer": OTHER_ISSUER, "authorised": False})],
        ),
        case(
            "signed, the node says not in the submission",
            "UNVERIFIABLE",
            receipt=signed,
            chain=[honest(signed, sig={"inSubmission": False, "authorised": False})],
        ),
        case(
            "signed, two nodes disagree on the key",
            "UNVERIFIABLE",
            receipt=signed,
            chain=[honest(signed), honest(signed, sig={"authorised": False})],
        ),
        case(
            "signed, two nodes agree",
            "VALID",
            receipt=signed,
            chain=[honest(signed), honest(signed, currentBlock=SIGNED_BLOCK + 30)],
            assurance="signed",
            confirmations=12,
        ),
        v2(
            "signed, a bit of the signature flipped",
            flipper([sig, "signature"], 17),
            "bit 17 of issuerSignature.signature flipped",
        ),
        v2(
            "signed, s in the upper half",
            high_s,
            "issuerSignature.signature as (r, n - s, v flipped): the same key, malleable",
        ),
        v2(
            "signed, v written 0",
            lambda r: r[sig].update(signature=r[sig]["signature"][:-2] + "00"),
            "issuerSignature.signature's v byte 00",
        ),
        v2(
            "signed, another signer named",
            setter([sig, "signer"], OTHER_ISSUER),
            f"issuerSignature.signer set to {OTHER_ISSUER}",
        ),
        v2(
            "signed, a path element flipped",
            flipper([sig, "path", 0], 5),
            "bit 5 of issuerSignature.path[0] flipped",
        ),
        v2("signed, the path emptied", setter([sig, "path"], []), "issuerSignature.path []"),
        v2(
            "signed, leavesRoot flipped",
            flipper([sig, "leavesRoot"], 200),
            "bit 200 of issuerSignature.leavesRoot flipped",
        ),
        case(
            "signed, its document's leaf from another issuer",
            "INVALID",
            "issuer",
            receipt=edit(signed, setter(["values", 1], OTHER_ISSUER)),
            made=f"signed, values[1] set to {OTHER_ISSUER}",
            chain=[honest(signed)],
            keys=False,
        ),
        case(
            "signed, with the service's keys, a bit of the signature flipped",
            "INVALID",
            sig,
            receipt=edit(signed, flipper([sig, "signature"], 3)),
            made="signed, bit 3 of issuerSignature.signature flipped (the service's signature "
            "then fails too, after it)",
            chain=[honest(signed)],
        ),
        case(
            "a signing issuer's document with a v1 receipt",
            "INVALID",
            sig,
            receipt="stripped",
            made="signed, issuerSignature removed and format notary-receipt-v1",
            chain=[refusing()],
            keys=False,
        ),
        case(
            "a signing issuer's v1 receipt, the node on another chain",
            "UNVERIFIABLE",
            receipt="stripped",
            chain=[refusing(1)],
            keys=False,
        ),
        case(
            "a signing issuer's v1 receipt, one node refusing and one answering",
            "UNVERIFIABLE",
            receipt="stripped",
            chain=[refusing(), honest("stripped")],
            keys=False,
        ),
        case(
            "a signing issuer's v1 receipt, two nodes refusing",
            "INVALID",
            sig,
            receipt="stripped",
            chain=[refusing(), refusing()],
            keys=False,
        ),
        case(
            "a signing issuer's v1 receipt, three nodes refusing alike",
            "INVALID",
            sig,
            receipt="stripped",
            chain=[refusing(), refusing(), refusing()],
            keys=False,
        ),
        case(
            "a signing issuer's v1 receipt, two nodes refusing differently",
            "UNVERIFIABLE",
            receipt="stripped",
            chain=[refusing(), refusing(error="UnknownError")],
            keys=False,
        ),
        case(
            "a signing issuer's v1 receipt, one node refusing and one unreachable",
            "UNVERIFIABLE",
            receipt="stripped",
            chain=[refusing(), failure("unreachable", "timed out")],
            keys=False,
        ),
        case(
            "a signing issuer's v1 receipt, one node refusing and one refusing the call",
            "UNVERIFIABLE",
            receipt="stripped",
            chain=[refusing(), failure("refused", "execution reverted (-32000)")],
            keys=False,
        ),
        case(
            "a signing issuer's v1 receipt, two nodes refusing alike on two chains",
            "UNVERIFIABLE",
            receipt="stripped",
            chain=[refusing(), refusing(1)],
            keys=False,
        ),
        case(
            "a node refusing with an error that names nothing",
            "UNVERIFIABLE",
            receipt="stripped",
            chain=[refusing(error="UnknownError")],
            keys=False,
        ),
        case(
            "two nodes refusing alike with an error that names nothing",
            "UNVERIFIABLE",
            receipt="stripped",
            chain=[refusing(error="UnknownError"), refusing(error="UnknownError")],
            keys=False,
        ),
        case(
            "signed, two nodes refusing checkSigned alike with an error that names nothing",
            "UNVERIFIABLE",
            receipt=signed,
            chain=[refusing(error="UnknownError"), refusing(error="UnknownError")],
            keys=False,
        ),
        case(
            "a v1 receipt anchored before its issuer signed (vouched)",
            "VALID",
            receipt="stripped",
            chain=[honest("stripped")],
            keys=False,
        ),
    ]


def mutation_cases() -> list[dict[str, Any]]:
    other_proof = "0x61960bc808ce76b2dba56c6d55939329d2aaefe09569530edd5d20b9eccb617d"

    def swap_proof(r: dict[str, Any]) -> None:
        r["proof"][0], r["proof"][1] = r["proof"][1], r["proof"][0]

    def both_issuers(r: dict[str, Any]) -> None:
        r["values"][1] = r["issuer"]["address"] = OTHER_ISSUER

    return [
        mutated(
            "mutated: document digest",
            "digest",
            flipper(["values", 0], 100),
            "bit 100 of values[0] flipped",
        ),
        mutated(
            "mutated: issuer in the values",
            "issuer",
            setter(["values", 1], OTHER_ISSUER),
            f"values[1] set to {OTHER_ISSUER}",
        ),
        mutated(
            "mutated: issuer in the values and issuer.address",
            "leaf",
            both_issuers,
            f"values[1] and issuer.address set to {OTHER_ISSUER}",
        ),
        mutated(
            "mutated: issuer.address",
            "issuer",
            setter(["issuer", "address"], OTHER_ISSUER),
            f"issuer.address set to {OTHER_ISSUER}",
        ),
        mutated(
            "mutated: metadata digest",
            "metadata",
            flipper(["values", 2], 3),
            "bit 3 of values[2] flipped",
        ),
        mutated(
            "mutated: a metadata field",
            "metadata",
            setter(["metadata", "quantity"], 19300),
            "metadata.quantity set to 19300",
        ),
        mutated(
            "mutated: the metadata salt",
            "metadata",
            setter(["metadata", "salt"], "00112233445566778899aabbccddeefe"),
            "metadata.salt's last digit changed",
        ),
        mutated(
            "mutated: a metadata field added",
            "metadata",
            setter(["metadata", "note"], "x"),
            'metadata.note set to "x"',
        ),
        mutated(
            "mutated: metadata removed", "signature", deleter(["metadata"]), "metadata removed"
        ),
        mutated("mutated: leaf", "leaf", flipper(["leaf"], 1), "bit 1 of leaf flipped"),
        mutated(
            "mutated: a proof element",
            "proof",
            flipper(["proof", 0], 0),
            "bit 0 of proof[0] flipped",
        ),
        mutated(
            "mutated: the last proof element's high bit",
            "proof",
            flipper(["proof", 1], 255),
            "bit 255 of proof[1] flipped",
        ),
        mutated(
            "mutated: proof elements swapped", "proof", swap_proof, "proof[0] and proof[1] swapped"
        ),
        mutated(
            "mutated: a proof element added",
            "proof",
            lambda r: r["proof"].append(other_proof),
            f"{other_proof} appended to proof",
        ),
        mutated(
            "mutated: a proof element removed", "proof", deleter(["proof", 1]), "proof[1] removed"
        ),
        mutated("mutated: proof emptied", "proof", setter(["proof"], []), "proof set to []"),
        mutated("mutated: root", "proof", flipper(["root"], 7), "bit 7 of root flipped"),
        mutated(
            "mutated: issuer.name (signed)",
            "signature",
            setter(["issuer", "name"], "Sở Nông nghiệp tỉnh Lâm Đồng"),
            "issuer.name set to another province's",
        ),
        mutated(
            "mutated: anchor.blockNumber (signed)",
            "signature",
            setter(["anchor", "blockNumber"], BLOCK - 1),
            f"anchor.blockNumber set to {BLOCK - 1}",
        ),
        mutated(
            "mutated: anchor.timestamp (signed)",
            "signature",
            setter(["anchor", "timestamp"], T + 1),
            f"anchor.timestamp set to {T + 1}",
        ),
        mutated(
            "mutated: anchor.txHash (signed)",
            "signature",
            flipper(["anchor", "txHash"], 9),
            "bit 9 of anchor.txHash flipped",
        ),
        mutated(
            "mutated: anchor.blockHash (signed)",
            "signature",
            flipper(["anchor", "blockHash"], 9),
            "bit 9 of anchor.blockHash flipped",
        ),
        mutated(
            "mutated: anchor.contract (signed)",
            "signature",
            setter(["anchor", "contract"], "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512"),
            "anchor.contract set to 0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512",
        ),
        mutated(
            "mutated: service.id (signed)",
            "signature",
            setter(["service", "id"], "https://notary.example.com"),
            "service.id set to https://notary.example.com",
        ),
        mutated(
            "mutated: service.batch (signed)",
            "signature",
            setter(["service", "batch"], "2024-03-01T10:00:00Z#43"),
            "service.batch set to 2024-03-01T10:00:00Z#43",
        ),
        mutated(
            "mutated: service.keyId",
            "signature",
            setter(["service", "keyId"], "0123456789abcdef"),
            "service.keyId set to 0123456789abcdef",
        ),
        mutated(
            "mutated: a bit of the signature",
            "signature",
            flipper(["service", "signature"], 9),
            "bit 9 of service.signature flipped",
        ),
        mutated(
            "mutated: signature removed",
            "signature",
            deleter(["service", "signature"]),
            "service.signature removed",
        ),
    ]


def format_cases() -> list[dict[str, Any]]:
    a = text()
    big = 2**53
    return [
        malformed("not JSON", "$", "{", "the text {"),
        malformed("trailing garbage", "$", a + "x", "anchored's text, then x"),
        malformed("two receipts", "$", a + a, "anchored's text twice"),
        malformed(
            "duplicate key",
            "$",
            a.replace('"status": "anchored",', '"status": "anchored",\n  "status": "anchored",'),
            "anchored, status twice",
        ),
        malformed(
            "NaN",
            "$",
            a.replace('"timestamp": 1709287500', '"timestamp": NaN'),
            "anchored, anchor.timestamp written NaN",
        ),
        malformed("byte order mark", "$", "\ufeff" + a, "anchored's text after U+FEFF"),
        malformed(
            "nested deeper than 64",
            "$",
            a.replace('"quantity": 19200', '"quantity": ' + "[" * 63 + "]" * 63),
            "anchored, metadata.quantity 63 nested arrays deep (65 levels)",
        ),
        malformed("an array", "$", [BASES["anchored"]], "[anchored]"),
        malformed("a string", "$", '"notary-receipt-v1"', 'the text "notary-receipt-v1"'),
        malformed(
            "unknown format",
            "format",
            edit("anchored", setter(["format"], "notary-receipt-v9")),
            "anchored, format notary-receipt-v9",
        ),
        malformed(
            "no format", "format", edit("anchored", deleter(["format"])), "anchored, format removed"
        ),
        malformed(
            "unknown top-level field",
            "extra",
            edit("anchored", setter(["extra"], 1)),
            "anchored, extra: 1 added",
        ),
        malformed(
            "no status", "status", edit("anchored", deleter(["status"])), "anchored, status removed"
        ),
        malformed(
            "status revoked",
            "status",
            edit("anchored", setter(["status"], "revoked")),
            'anchored, status "revoked"',
        ),
        malformed(
            "wrong leaf encoding",
            "leafEncoding",
            edit("anchored", setter(["leafEncoding"], ["bytes32", "address"])),
            "anchored, leafEncoding without its last type",
        ),
        malformed(
            "two values",
            "values",
            edit("anchored", deleter(["values", 2])),
            "anchored, values[2] removed",
        ),
        malformed(
            "values not a list",
            "values",
            edit("anchored", setter(["values"], {})),
            "anchored, values {}",
        ),
        malformed(
            "digest too short",
            "values[0]",
            edit("anchored", setter(["values", 0], DIGEST[:-2])),
            "anchored, values[0] without its last byte",
        ),
        malformed(
            "digest not hex",
            "values[0]",
            edit("anchored", setter(["values", 0], DIGEST[:-1] + "g")),
            "anchored, values[0]'s last digit g",
        ),
        malformed(
            "digest in upper case",
            "values[0]",
            edit("anchored", setter(["values", 0], "0x" + DIGEST[2:].upper())),
            "anchored, values[0] in upper case",
        ),
        malformed(
            "digest without 0x",
            "values[0]",
            edit("anchored", setter(["values", 0], DIGEST[2:] + "00")),
            "anchored, values[0] without 0x and 00 added",
        ),
        malformed(
            "issuer in lower case",
            "values[1]",
            edit("anchored", setter(["values", 1], A.values.issuer.lower())),
            "anchored, values[1] in lower case",
        ),
        malformed(
            "issuer with a bad checksum",
            "values[1]",
            edit("anchored", setter(["values", 1], A.values.issuer.replace("B38", "b38"))),
            "anchored, values[1] with B38 as b38",
        ),
        malformed(
            "issuer too short",
            "values[1]",
            edit("anchored", setter(["values", 1], A.values.issuer[:-2])),
            "anchored, values[1] without its last byte",
        ),
        malformed(
            "metadata digest a number",
            "values[2]",
            edit("anchored", setter(["values", 2], 0)),
            "anchored, values[2] 0",
        ),
        malformed(
            "leaf too long",
            "leaf",
            edit("anchored", setter(["leaf"], A.leaf.hex + "00")),
            "anchored, leaf with 00 added",
        ),
        malformed(
            "anchored without proof",
            "proof",
            edit("anchored", deleter(["proof"])),
            "anchored, proof removed",
        ),
        malformed(
            "anchored without root",
            "root",
            edit("anchored", deleter(["root"])),
            "anchored, root removed",
        ),
        malformed(
            "anchored without anchor",
            "anchor",
            edit("anchored", deleter(["anchor"])),
            "anchored, anchor removed",
        ),
        malformed(
            "pending with a proof",
            "proof",
            edit("pending", setter(["proof"], [])),
            "pending, proof [] added",
        ),
        malformed(
            "pending without promisedBy",
            "service.promisedBy",
            edit("pending", deleter(["service", "promisedBy"])),
            "pending, service.promisedBy removed",
        ),
        malformed(
            "proof not a list",
            "proof",
            edit("anchored", setter(["proof"], "0x")),
            'anchored, proof "0x"',
        ),
        malformed(
            "proof element too short",
            "proof[1]",
            edit("anchored", lambda r: r["proof"].__setitem__(1, r["proof"][1][:-2])),
            "anchored, proof[1] without its last byte",
        ),
        malformed(
            "proof element not hex",
            "proof[0]",
            edit("anchored", lambda r: r["proof"].__setitem__(0, r["proof"][0][:-1] + "g")),
            "anchored, proof[0]'s last digit g",
        ),
        malformed(
            "proof element in upper case",
            "proof[0]",
            edit("anchored", lambda r: r["proof"].__setitem__(0, "0x" + r["proof"][0][2:].upper())),
            "anchored, proof[0] in upper case",
        ),
        malformed(
            "proof of 65 elements",
            "proof",
            edit("anchored", lambda r: r.__setitem__("proof", r["proof"][:1] * 65)),
            "anchored, proof of 65 copies of proof[0]",
        ),
        malformed(
            "root too short",
            "root",
            edit("anchored", setter(["root"], A.root.hex[:-2])),
            "anchored, root without its last byte",
        ),
        malformed(
            "anchor not an object",
            "anchor",
            edit("anchored", setter(["anchor"], [])),
            "anchored, anchor []",
        ),
        malformed(
            "unknown anchor field",
            "anchor.gasUsed",
            edit("anchored", setter(["anchor", "gasUsed"], 47440)),
            "anchored, anchor.gasUsed 47440 added",
        ),
        malformed(
            "anchor without blockHash",
            "anchor.blockHash",
            edit("anchored", deleter(["anchor", "blockHash"])),
            "anchored, anchor.blockHash removed",
        ),
        malformed(
            "chain id 0",
            "anchor.chainId",
            edit("anchored", lambda r: r["anchor"].update(chainId=0, chain="eip155:0")),
            "anchored, anchor.chainId 0 and chain eip155:0",
        ),
        malformed(
            "chain id a string",
            "anchor.chainId",
            edit("anchored", setter(["anchor", "chainId"], "31337")),
            'anchored, anchor.chainId "31337"',
        ),
        malformed(
            "chain not the chain id's",
            "anchor.chain",
            edit("anchored", setter(["anchor", "chain"], "eip155:1")),
            "anchored, anchor.chain eip155:1",
        ),
        malformed(
            "contract in lower case",
            "anchor.contract",
            edit("anchored", setter(["anchor", "contract"], A.anchor.contract.lower())),
            "anchored, anchor.contract in lower case",
        ),
        malformed(
            "txHash too short",
            "anchor.txHash",
            edit("anchored", setter(["anchor", "txHash"], A.anchor.tx_hash.hex[:-2])),
            "anchored, anchor.txHash without its last byte",
        ),
        malformed(
            "blockHash not hex",
            "anchor.blockHash",
            edit("anchored", setter(["anchor", "blockHash"], "0x" + "zz" * 32)),
            "anchored, anchor.blockHash 0x and 64 z",
        ),
        malformed(
            "negative block number",
            "anchor.blockNumber",
            edit("anchored", setter(["anchor", "blockNumber"], -1)),
            "anchored, anchor.blockNumber -1",
        ),
        malformed(
            "fractional block number",
            "anchor.blockNumber",
            edit("anchored", setter(["anchor", "blockNumber"], 42.5)),
            "anchored, anchor.blockNumber 42.5",
        ),
        malformed(
            "block number written 42.0",
            "anchor.blockNumber",
            a.replace('"blockNumber": 42', '"blockNumber": 42.0'),
            "anchored's text, anchor.blockNumber written 42.0",
        ),
        malformed(
            "block number written 4.2e1",
            "anchor.blockNumber",
            a.replace('"blockNumber": 42', '"blockNumber": 4.2e1'),
            "anchored's text, anchor.blockNumber written 4.2e1",
        ),
        malformed(
            "block number 2^53",
            "anchor.blockNumber",
            a.replace('"blockNumber": 42', f'"blockNumber": {big}'),
            f"anchored's text, anchor.blockNumber {big}",
        ),
        malformed(
            "timestamp true",
            "anchor.timestamp",
            edit("anchored", setter(["anchor", "timestamp"], True)),
            "anchored, anchor.timestamp true",
        ),
        malformed(
            "metadata a list",
            "metadata",
            edit("anchored", setter(["metadata"], [])),
            "anchored, metadata []",
        ),
        malformed(
            "metadata with an integer beyond 2^53",
            "metadata",
            a.replace('"quantity": 19200', f'"quantity": {big + 1}'),
            f"anchored's text, metadata.quantity {big + 1}",
        ),
        malformed(
            "metadata with a number beyond doubles",
            "metadata",
            a.replace('"quantity": 19200', '"quantity": 1e400'),
            "anchored's text, metadata.quantity 1e400",
        ),
        malformed(
            "metadata with a lone surrogate",
            "metadata",
            a.replace('"product": "Robusta coffee beans"', '"product": "Robusta \\ud800"'),
            "anchored's text, metadata.product with the escape \\ud800",
        ),
        malformed(
            "issuer not an object",
            "issuer",
            edit("anchored", setter(["issuer"], "Sở")),
            'anchored, issuer "Sở"',
        ),
        malformed(
            "unknown issuer field",
            "issuer.email",
            edit("anchored", setter(["issuer", "email"], "a@b.vn")),
            "anchored, issuer.email added",
        ),
        malformed(
            "issuer without name",
            "issuer.name",
            edit("anchored", deleter(["issuer", "name"])),
            "anchored, issuer.name removed",
        ),
        malformed(
            "issuer name empty",
            "issuer.name",
            edit("anchored", setter(["issuer", "name"], "")),
            'anchored, issuer.name ""',
        ),
        malformed(
            "issuer name of 257 characters",
            "issuer.name",
            edit("anchored", setter(["issuer", "name"], "Đ" * 257)),
            "anchored, issuer.name 257 times Đ",
        ),
        malformed(
            "issuer address in lower case",
            "issuer.address",
            edit("anchored", setter(["issuer", "address"], A.values.issuer.lower())),
            "anchored, issuer.address in lower case",
        ),
        malformed(
            "unknown service field",
            "service.url",
            edit("anchored", setter(["service", "url"], "https://x")),
            "anchored, service.url added",
        ),
        malformed(
            "service without id",
            "service.id",
            edit("anchored", deleter(["service", "id"])),
            "anchored, service.id removed",
        ),
        malformed(
            "service id empty",
            "service.id",
            edit("anchored", setter(["service", "id"], "")),
            'anchored, service.id ""',
        ),
        malformed(
            "key id in upper case",
            "service.keyId",
            edit("anchored", lambda r: r["service"].update(keyId=r["service"]["keyId"].upper())),
            "anchored, service.keyId in upper case",
        ),
        malformed(
            "key id null",
            "service.keyId",
            edit("anchored", setter(["service", "keyId"], None)),
            "anchored, service.keyId null",
        ),
        malformed(
            "signature without key id",
            "service.keyId",
            edit("anchored", deleter(["service", "keyId"])),
            "anchored, service.keyId removed",
        ),
        malformed(
            "signature too short",
            "service.signature",
            edit(
                "anchored", lambda r: r["service"].update(signature=r["service"]["signature"][:-2])
            ),
            "anchored, service.signature without its last byte",
        ),
        malformed(
            "signature in upper case",
            "service.signature",
            edit(
                "anchored",
                lambda r: r["service"].update(
                    signature="0x" + r["service"]["signature"][2:].upper()
                ),
            ),
            "anchored, service.signature in upper case",
        ),
        malformed(
            "batch empty",
            "service.batch",
            edit("anchored", setter(["service", "batch"], "")),
            'anchored, service.batch ""',
        ),
        malformed(
            "promisedBy on an anchored receipt",
            "service.promisedBy",
            edit("anchored", setter(["service", "promisedBy"], "2024-03-01T10:05:00Z")),
            "anchored, service.promisedBy added",
        ),
        malformed(
            "promisedBy null",
            "service.promisedBy",
            edit("pending", setter(["service", "promisedBy"], None)),
            "pending, service.promisedBy null",
        ),
        malformed(
            "promisedBy not a time",
            "service.promisedBy",
            edit("pending", setter(["service", "promisedBy"], "tomorrow")),
            'pending, service.promisedBy "tomorrow"',
        ),
        malformed(
            "promisedBy 29 February 2023",
            "service.promisedBy",
            edit("pending", setter(["service", "promisedBy"], "2023-02-29T10:05:00Z")),
            "pending, service.promisedBy 2023-02-29T10:05:00Z",
        ),
        malformed(
            "promisedBy at 24:00",
            "service.promisedBy",
            edit("pending", setter(["service", "promisedBy"], "2024-03-01T24:00:00Z")),
            "pending, service.promisedBy 2024-03-01T24:00:00Z",
        ),
        malformed(
            "promisedBy offset +00:99",
            "service.promisedBy",
            edit("pending", setter(["service", "promisedBy"], "2024-03-01T10:05:00+00:99")),
            "pending, service.promisedBy 2024-03-01T10:05:00+00:99",
        ),
        malformed(
            "promisedBy without offset",
            "service.promisedBy",
            edit("pending", setter(["service", "promisedBy"], "2024-03-01T10:05:00")),
            "pending, service.promisedBy 2024-03-01T10:05:00",
        ),
    ]


def signed_format_cases() -> list[dict[str, Any]]:
    sig = "issuerSignature"
    domain = [sig, "domain"]
    return [
        malformed(
            "v2 without issuerSignature",
            sig,
            edit("signed", deleter([sig])),
            "signed, issuerSignature removed",
        ),
        malformed(
            "issuerSignature in a v1 receipt",
            sig,
            edit("signed", setter(["format"], "notary-receipt-v1")),
            "signed, format notary-receipt-v1",
        ),
        malformed(
            "issuerSignature not an object",
            sig,
            edit("signed", setter([sig], [])),
            "signed, issuerSignature []",
        ),
        malformed(
            "unknown issuerSignature field",
            f"{sig}.nonce",
            edit("signed", setter([sig, "nonce"], 0)),
            "signed, issuerSignature.nonce 0",
        ),
        malformed(
            "issuerSignature without signer",
            f"{sig}.signer",
            edit("signed", deleter([sig, "signer"])),
            "signed, issuerSignature.signer removed",
        ),
        malformed(
            "signer with a bad checksum",
            f"{sig}.signer",
            edit("signed", setter([sig, "signer"], SIGNER.replace("B5A", "b5a"))),
            "signed, issuerSignature.signer with B5A as b5a",
        ),
        malformed(
            "issuer signature of 64 bytes",
            f"{sig}.signature",
            edit("signed", lambda r: r[sig].update(signature=r[sig]["signature"][:-2])),
            "signed, issuerSignature.signature without its last byte",
        ),
        malformed(
            "issuer signature in upper case",
            f"{sig}.signature",
            edit(
                "signed", lambda r: r[sig].update(signature="0x" + r[sig]["signature"][2:].upper())
            ),
            "signed, issuerSignature.signature in upper case",
        ),
        malformed(
            "leavesRoot too short",
            f"{sig}.leavesRoot",
            edit("signed", lambda r: r[sig].update(leavesRoot=r[sig]["leavesRoot"][:-2])),
            "signed, issuerSignature.leavesRoot without its last byte",
        ),
        malformed(
            "path not a list",
            f"{sig}.path",
            edit("signed", setter([sig, "path"], "0x")),
            'signed, issuerSignature.path "0x"',
        ),
        malformed(
            "path element not hex",
            f"{sig}.path[1]",
            edit("signed", lambda r: r[sig]["path"].__setitem__(1, "0x" + "zz" * 32)),
            "signed, issuerSignature.path[1] 0x and 64 z",
        ),
        malformed(
            "path of 65 elements",
            f"{sig}.path",
            edit("signed", lambda r: r[sig].update(path=r[sig]["path"][:1] * 65)),
            "signed, issuerSignature.path of 65 copies of path[0]",
        ),
        malformed(
            "domain missing",
            f"{sig}.domain",
            edit("signed", deleter(domain)),
            "signed, issuerSignature.domain removed",
        ),
        malformed(
            "domain of another name",
            f"{sig}.domain.name",
            edit("signed", setter([*domain, "name"], "OtherRegistry")),
            "signed, issuerSignature.domain.name OtherRegistry",
        ),
        malformed(
            "domain version 1",
            f"{sig}.domain.version",
            edit("signed", setter([*domain, "version"], "1")),
            'signed, issuerSignature.domain.version "1"',
        ),
        malformed(
            "domain version a number",
            f"{sig}.domain.version",
            edit("signed", setter([*domain, "version"], 2)),
            "signed, issuerSignature.domain.version 2",
        ),
        malformed(
            "domain on another chain than the anchor",
            f"{sig}.domain.chainId",
            edit("signed", setter([*domain, "chainId"], 1)),
            "signed, issuerSignature.domain.chainId 1",
        ),
        malformed(
            "domain chain id 0",
            f"{sig}.domain.chainId",
            edit("signed", setter([*domain, "chainId"], 0)),
            "signed, issuerSignature.domain.chainId 0",
        ),
        malformed(
            "domain of another registry than the anchor",
            f"{sig}.domain.verifyingContract",
            edit(
                "signed",
                setter(
                    [*domain, "verifyingContract"], "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512"
                ),
            ),
            "signed, issuerSignature.domain.verifyingContract 0xe7f1…0512",
        ),
        malformed(
            "domain contract in lower case",
            f"{sig}.domain.verifyingContract",
            edit(
                "signed",
                lambda r: r[sig]["domain"].update(
                    verifyingContract=r[sig]["domain"]["verifyingContract"].lower()
                ),
            ),
            "signed, issuerSignature.domain.verifyingContract in lower case",
        ),
    ]


def also_loads() -> list[dict[str, Any]]:
    """Forms a strict load accepts: what the file says is what is checked."""
    pending = text("pending")
    return [
        {
            **case(
                "promisedBy with an offset and nanoseconds",
                "PENDING",
                receipt=edit(
                    "pending",
                    setter(["service", "promisedBy"], "2024-03-01T17:05:00.123456789+07:00"),
                ),
                made="pending, service.promisedBy 2024-03-01T17:05:00.123456789+07:00",
                keys=False,
                chain=None,
            )
        },
        {
            "name": "pending, as its file's text",
            "made": "pending.receipt.json's text",
            "receiptText": pending,
            "given": {"digest": None, "serviceKeys": True},
            "requiredConfirmations": 12,
            "chain": None,
            "expect": {"verdict": "PENDING", "failedStep": None},
        },
    ]


def codec() -> dict[str, Any]:
    """The calls a verifier makes for the signed receipt (check and checkSigned calldata, from
    notary.chain.check_codec) and answers to read (ABI-encoded by eth_abi), so that every
    verifier's hand-written codec is held to the same bytes."""
    from eth_abi import encode
    from eth_utils.abi import function_signature_to_4byte_selector as selector

    from notary.chain.check_codec import encode_check_args, encode_check_signed_args
    from notary.chain.registry import CHECK_INPUTS, CHECK_SIGNED_INPUTS

    r, signed = S, S.issuer_signature
    assert r.proof is not None and signed is not None
    values = (r.values.digest.raw, r.values.issuer, r.values.metadata_digest.raw)
    check = selector(f"check({','.join(CHECK_INPUTS)})") + encode_check_args(*values, r.proof)
    check_signed = selector(f"checkSigned({','.join(CHECK_SIGNED_INPUTS)})") + (
        encode_check_signed_args(
            *values, r.proof, signed.leaves_root.raw, signed.path, signed.signature
        )
    )
    answer = honest("signed", issuerName="Chi cục Trồng trọt và BVTV Hải Dương ✓")
    c, sig = answer["check"], answer["signature"]
    verification = (
        bytes.fromhex(c["leaf"][2:]),
        bytes.fromhex(c["root"][2:]),
        *(c[k] for k in ("anchoredAt", "anchoredBlock", "leafCount", "revokedAt")),
        c["revocationReason"],
        c["currentBlock"],
        c["issuerName"],
        c["issuerRegisteredAt"],
        c["issuerDeactivatedAt"],
    )
    signature = tuple(sig[k] for k in sig)
    v_type = "(bytes32,bytes32,uint64,uint64,uint64,uint64,uint8,uint64,string,uint64,uint64)"
    s_type = "(address,bool,uint64,uint64,uint64,uint64,uint64,bool,bool)"
    refusal = selector("SignatureRequired(address)") + encode(["address"], [r.values.issuer])
    return {
        "about": "check and checkSigned calldata for the receipt `signed` (notary.chain."
        "check_codec), and answers as eth_abi encodes them with the fields they decode to; "
        "a revert with SignatureRequired's data is check's refusal",
        "values": r.values.to_hex(),
        "proof": ["0x" + p.hex() for p in r.proof],
        "check": "0x" + check.hex(),
        "checkSigned": "0x" + check_signed.hex(),
        "checkAnswer": "0x" + encode([v_type], [verification]).hex(),
        "checkSignedAnswer": "0x" + encode([v_type, s_type], [verification, signature]).hex(),
        "decoded": {**c, **sig},
        "refusal": {"code": 3, "message": "execution reverted", "data": "0x" + refusal.hex()},
    }


def dump(document: dict[str, Any]) -> str:
    """The vectors as JSON text: one line per case, so that a change shows as that case's."""
    head = json.dumps({**document, "cases": []}, indent=1, ensure_ascii=False)
    lines = ",\n".join("  " + json.dumps(c, ensure_ascii=False) for c in document["cases"])
    assert head.endswith('"cases": []\n}')
    return head[: -len("[]\n}")] + "[\n" + lines + "\n ]\n}\n"


def main() -> int:
    keys = [{"keyId": KEY.key_id, "publicKey": KEY.public_hex()}]
    cases = [
        *verdict_cases(),
        *signed_cases(),
        *mutation_cases(),
        *also_loads(),
        *format_cases(),
        *signed_format_cases(),
    ]
    names = [c["name"] for c in cases]
    assert len(names) == len(set(names)), "case names must be unique"
    for c in cases:
        expect = c["expect"]
        if "formatError" in expect:
            try:
                receipt_of(c, BASES)
            except FormatError as exc:
                wanted = expect["formatError"]
                if exc.field != wanted:
                    sys.exit(f"{c['name']}: refused naming {exc.field!r}, expected {wanted!r}")
                continue
            sys.exit(
                f"{c['name']}: loaded, expected a FormatError naming {expect['formatError']!r}"
            )
        outcome = run(c, BASES, keys)
        j = outcome.judgement
        failed = j.failed_step.name if j.failed_step else None
        if (j.verdict.value, failed) != (expect["verdict"], expect["failedStep"]):
            sys.exit(f"{c['name']}: {j.verdict.value} at {failed} ({j.detail}), expected {expect}")
        assurance = j.assurance.value if j.assurance is not None else None
        if assurance != expect.get("assurance"):
            sys.exit(f"{c['name']}: assurance {assurance}, expected {expect.get('assurance')}")
        if "confirmations" in expect and j.confirmations != expect["confirmations"]:
            sys.exit(
                f"{c['name']}: {j.confirmations} confirmations, expected {expect['confirmations']}"
            )
        expect["steps"] = states(outcome)
    document = {
        "about": (
            "Conformance vectors of receipt verification: every verifier (notary.verify, the "
            "page's JavaScript) must give each case's expected outcome. Run a case: load the "
            "receipt strictly (a name of `receipts`, an object, or `receiptText`, a file's "
            "text); with `expect.formatError` the load must fail naming that field. Else "
            "check the steps with `given.digest` (the document's SHA-256, when given) and, "
            "when `given.serviceKeys`, the `serviceKeys`; then, unless `chain` is null (no "
            "node named), hold each node's answer (`check`: the fields of "
            "NotaryRegistry.check with `chainId`, `refused`: the error the registry refused "
            "with, or a `failure`: unreachable, refused, malformed) against it: nodes that "
            "disagree on any of `agreed` make it UNVERIFIABLE (a refusal is an answer: "
            "refusals agree only with the same refusal, never with an answer or a failure), "
            "agreeing nodes count confirmations from the lowest current block; "
            "judge with `requiredConfirmations`. Expected: the verdict, the failed step "
            "(null if none), each step's state, and the confirmations where given. "
            "Regenerate with: .venv/bin/python tests/vectors/conformance/make_conformance.py"
        ),
        "agreed": [json_name(name) for name in AGREED],
        "serviceKeys": keys,
        "receipts": BASES,
        "codec": codec(),
        "cases": cases,
    }
    OUT.write_text(dump(document), encoding="utf-8")
    counts: dict[str, int] = {}
    for c in cases:
        key = c["expect"].get("verdict") or "format error"
        counts[key] = counts.get(key, 0) + 1
    print(f"wrote {OUT.relative_to(Path.cwd())}: {len(cases)} cases {counts}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
