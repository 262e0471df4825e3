"""One conformance case run by the Python engine, as `notary verify` would run it: the
receipt loaded strictly, the pure steps, each node's answer, the one agreement rule, the
verdict. The tests run exactly this; make_conformance.py runs it before writing a case."""

from __future__ import annotations

from typing import Any

from notary.chain.registry import SignatureCheck, Verification
from notary.core.receipts import Receipt
from notary.core.signing import public_key_from_hex
from notary.core.types import Digest
from notary.verify import Outcome, facts_of
from notary.verify.facts import facts_of_signed, refused_facts
from notary.verify.onchain import Examined, NodeAnswer, examine


def receipt_of(c: dict[str, Any], receipts: dict[str, Any]) -> Receipt:
    """Load a case's receipt strictly (FormatError if it is malformed)."""
    if "receiptText" in c:
        return Receipt.from_json(c["receiptText"])
    r = c["receipt"]
    return Receipt.from_dict(receipts[r] if isinstance(r, str) else r)


def run(c: dict[str, Any], receipts: dict[str, Any], keys: list[dict[str, str]]) -> Outcome:
    """A case's outcome by the Python engine (the tests run exactly this)."""
    receipt = receipt_of(c, receipts)
    given = c["given"]
    public = (
        {k["keyId"]: public_key_from_hex(k["publicKey"]) for k in keys}
        if given["serviceKeys"]
        else None
    )
    digest = Digest.from_hex(given["digest"]) if given["digest"] else None
    examined = examine(
        receipt,
        required_confirmations=c["requiredConfirmations"],
        digest=digest,
        public_keys=public,
    )
    return conclude(examined, c["chain"])


def conclude(examined: Examined, chain: list[dict[str, Any]] | None) -> Outcome:
    """What `notary verify` concludes when its nodes answer as `chain` says."""
    settled = examined.without_chain(chain is not None)
    if settled is not None:
        return settled
    assert chain is not None
    nodes = []
    for i, answer in enumerate(chain):
        if "failure" in answer:
            outcome = examined.unreachable(f"{answer['failure']}: {answer['detail']}")
        elif "refused" in answer:
            outcome = examined.with_facts(refused_facts(answer["refused"], answer["chainId"]))
        elif "signature" in answer:
            check, signature = check_answer(answer["check"]), signature_answer(answer["signature"])
            outcome = examined.with_facts(facts_of_signed(check, signature, answer["chainId"]))
        else:
            outcome = examined.with_facts(
                facts_of(check_answer(answer["check"]), answer["chainId"])
            )
        nodes.append(NodeAnswer(f"node {i + 1}", outcome))
    return examined.combine(nodes)


def check_answer(check: dict[str, Any]) -> Verification:
    """A vector's `check` fields as the registry adapter reads them."""
    return Verification(
        bytes.fromhex(check["leaf"][2:]),
        bytes.fromhex(check["root"][2:]),
        check["anchoredAt"],
        check["anchoredBlock"],
        check["leafCount"],
        check["revokedAt"],
        check["revocationReason"],
        check["currentBlock"],
        check["issuerName"],
        check["issuerRegisteredAt"],
        check["issuerDeactivatedAt"],
    )


def signature_answer(signature: dict[str, Any]) -> SignatureCheck:
    """A vector's `signature` fields (checkSigned's second answer) as the adapter reads them."""
    signer = signature["signer"]
    return SignatureCheck(
        None if signer == "0x" + "00" * 20 else signer,
        signature["inSubmission"],
        signature["signerAddedAt"],
        signature["signerAddedBlock"],
        signature["signerRemovedAt"],
        signature["signerRemovedBlock"],
        signature["signingSince"],
        signature["signatureRequired"],
        signature["authorised"],
    )


def states(outcome: Outcome) -> dict[str, str]:
    """Each step's state: ok, fail or skipped."""
    return {
        s.name: "skipped" if s.skipped else "ok" if s.ok else "fail"
        for s in outcome.inclusion.steps
    }
