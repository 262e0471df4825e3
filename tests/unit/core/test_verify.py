"""Step-by-step verification and verdicts."""

from __future__ import annotations

import dataclasses
import os

from notary.core.digests import sha256_bytes
from notary.core.merkle import MerkleTree
from notary.core.metadata import metadata_digest, with_salt
from notary.core.receipts import AnchorInfo, Receipt, ServiceInfo
from notary.core.signing import ServiceKey, sign_receipt
from notary.core.types import Digest, Hash32, LeafValues
from notary.verify import ChainFacts, Verdict, judge, verify_receipt

DOC = b"permit 42"
META = with_salt({"documentNumber": "42"})
ISSUER = "0x5B38Da6a701c568545dCfcB03FcB875f56beddC4"
ANCHOR = AnchorInfo(
    31337,
    "0x5FbDB2315678afecb367f032d93F642f64180aa3",
    Hash32(b"\x01" * 32),
    100,
    Hash32(b"\x02" * 32),
    1_700_000_000,
)
KEY = ServiceKey.generate()
KEYS = {KEY.key_id: KEY.public_key}
SERVICE = ServiceInfo("svc", batch="b", promised_by="2024-01-01T00:00:00Z")


def _receipts() -> tuple[Receipt, Receipt]:
    values = LeafValues.of(sha256_bytes(DOC), ISSUER, metadata_digest(META))
    others = [LeafValues.of(Digest(os.urandom(32)), ISSUER, Digest(bytes(32))) for _ in range(6)]
    tree = MerkleTree.from_values([*others, values])
    pending = sign_receipt(Receipt.pending(values, "Agency", SERVICE, META), KEY)
    anchored = sign_receipt(pending.anchored(ANCHOR, tree.proof(6), tree.root), KEY)
    return pending, anchored


def facts(**changes: object) -> ChainFacts:
    base = ChainFacts(
        anchored_at=1_700_000_000,
        anchored_block=100,
        block_hash=ANCHOR.block_hash.hex,
        current_block=111,
        issuer_name="Agency",
        issuer_registered_at=1_699_999_000,
        chain_id=31337,
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def test_all_steps_pass_and_valid() -> None:
    _, anchored = _receipts()
    inclusion = verify_receipt(anchored, document=DOC, public_keys=KEYS)
    assert [s.name for s in inclusion.steps] == [
        "digest",
        "metadata",
        "issuer",
        "leaf",
        "proof",
        "signature",
    ]
    assert inclusion.ok and not any(s.skipped for s in inclusion.steps)
    result = judge(inclusion, facts(), required_confirmations=12)
    assert result.verdict is Verdict.VALID and result.confirmations == 12 and not result.notes
    assert (
        judge(inclusion, facts(current_block=105), required_confirmations=12).verdict
        is Verdict.VALID_PENDING_CONFIRMATIONS
    )


def test_document_and_metadata_mismatch() -> None:
    _, anchored = _receipts()
    bad_doc = verify_receipt(anchored, document=b"permit 43")
    assert bad_doc.failed is not None and bad_doc.failed.name == "digest"
    verdict = judge(bad_doc, facts(), required_confirmations=1)
    assert verdict.verdict is Verdict.INVALID and verdict.failed_step == bad_doc.failed
    bad_meta = verify_receipt(anchored, digest=sha256_bytes(DOC), metadata={"documentNumber": "42"})
    assert bad_meta.failed is not None and bad_meta.failed.name == "metadata"


def test_skipped_steps() -> None:
    pending, _ = _receipts()
    stripped = dataclasses.replace(pending, metadata=None)
    inclusion = verify_receipt(stripped)
    assert inclusion.ok
    assert {s.name for s in inclusion.steps if s.skipped} == {
        "digest",
        "metadata",
        "proof",
        "signature",
    }
    assert judge(inclusion, None, required_confirmations=1).verdict is Verdict.PENDING


def test_unverifiable_never_invalid() -> None:
    _, anchored = _receipts()
    inclusion = verify_receipt(anchored)
    result = judge(inclusion, None, required_confirmations=1, chain_error="timeout")
    assert result.verdict is Verdict.UNVERIFIABLE and "timeout" in result.detail
    assert (
        judge(inclusion, facts(chain_id=1), required_confirmations=1).verdict
        is Verdict.UNVERIFIABLE
    )


def test_revoked_and_not_anchored() -> None:
    _, anchored = _receipts()
    inclusion = verify_receipt(anchored)
    revoked = judge(
        inclusion, facts(revoked_at=1_800_000_000, revocation_reason=2), required_confirmations=1
    )
    assert revoked.verdict is Verdict.REVOKED
    assert (revoked.revoked_at, revoked.revocation_reason) == (1_800_000_000, 2)
    missing = judge(
        inclusion, facts(anchored_at=None, anchored_block=None), required_confirmations=1
    )
    assert missing.verdict is Verdict.INVALID and missing.failed_step is not None
    assert missing.failed_step.name == "anchor"


def test_issuer_deactivation_and_notes() -> None:
    _, anchored = _receipts()
    inclusion = verify_receipt(anchored)
    later = judge(
        inclusion,
        facts(issuer_deactivated_at=1_800_000_000, issuer_name="New name"),
        required_confirmations=1,
    )
    assert later.verdict is Verdict.VALID and len(later.notes) == 2
    before = judge(inclusion, facts(issuer_deactivated_at=1_600_000_000), required_confirmations=1)
    assert before.verdict is Verdict.INVALID and before.failed_step is not None
    assert before.failed_step.name == "issuer"  # a fact about the issuer, as unregistered is


def test_reorganised_block_hash_is_reported() -> None:
    _, anchored = _receipts()
    result = judge(
        verify_receipt(anchored),
        facts(block_hash="0x" + "03" * 32, anchored_block=101),
        required_confirmations=1,
    )
    assert result.verdict is Verdict.VALID
    assert any("reorganised" in note for note in result.notes)


def test_an_issuer_the_registry_does_not_know_makes_it_invalid() -> None:
    _, anchored = _receipts()
    inclusion = verify_receipt(anchored, document=DOC, public_keys=KEYS)
    never = judge(inclusion, facts(issuer_registered_at=None), required_confirmations=1)
    assert never.verdict is Verdict.INVALID and never.failed_step is not None
    assert never.failed_step.name == "issuer"
    assert never.detail == f"issuer: issuer {ISSUER} is not registered on the blockchain"
    # Registered only after the root was anchored (a failed registration retried later).
    late = judge(inclusion, facts(issuer_registered_at=1_700_000_001), required_confirmations=1)
    assert late.verdict is Verdict.INVALID and late.failed_step is not None
    assert late.failed_step.name == "issuer" and "after this root was anchored" in late.detail
    # In the same block second as the anchor, or before it: it counts.
    same = judge(inclusion, facts(issuer_registered_at=1_700_000_000), required_confirmations=1)
    assert same.verdict is Verdict.VALID
    # Not anchored yet, or the chain not reachable: never INVALID for the issuer.
    pending = verify_receipt(_receipts()[0], document=DOC)
    assert judge(pending, None, required_confirmations=1).verdict is Verdict.PENDING
    assert judge(inclusion, None, required_confirmations=1).verdict is Verdict.UNVERIFIABLE


def test_an_answer_that_cannot_be_about_this_receipt_is_unverifiable() -> None:
    _, anchored = _receipts()
    inclusion = verify_receipt(anchored)
    assert anchored.root is not None
    behind = facts(anchored_at=None, anchored_block=None, current_block=99)
    other_leaf = facts(leaf="0x" + "33" * 32, root=anchored.root.hex)
    other_root = facts(leaf=anchored.leaf.hex, root="0x" + "33" * 32)
    for chain in (behind, other_leaf, other_root):
        result = judge(inclusion, chain, required_confirmations=1)
        assert result.verdict is Verdict.UNVERIFIABLE and result.failed_step is None
    at_anchor = facts(anchored_at=None, anchored_block=None, current_block=100)
    assert judge(inclusion, at_anchor, required_confirmations=1).verdict is Verdict.INVALID
    itself = facts(leaf=anchored.leaf.hex, root=anchored.root.hex)
    assert judge(inclusion, itself, required_confirmations=1).verdict is Verdict.VALID
