"""The checks that need no chain: one receipt against the document, its metadata, its
issuer, its leaf, its proof and the service's signature.

WARNING: changing a rule here changes what issued receipts verify as. The page applies the
same rules on the reader's device (``api/static/js/core/receipt.js``), and the conformance
vectors under ``tests/vectors/conformance/`` hold both to them: if one of those vectors
changes, a verdict on some receipt already issued has changed.

Pure: no I/O, no globals.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from notary.core.digests import ZERO_DIGEST, sha256_bytes
from notary.core.errors import NotaryError
from notary.core.issuer_signing import in_submission, submission_signer
from notary.core.merkle import leaf_hash, process_proof
from notary.core.metadata import metadata_digest
from notary.core.receipts import Receipt
from notary.core.signing import verify_receipt_signature
from notary.core.types import Digest

STEP_DIGEST = "digest"
STEP_METADATA = "metadata"
STEP_ISSUER = "issuer"
STEP_LEAF = "leaf"
STEP_PROOF = "proof"
STEP_ISSUER_SIGNATURE = "issuerSignature"
"""The issuer's own signature: checked here as far as it goes offline (a v2 receipt), and
against the chain (whether the issuer signs, and had authorised that key)."""
STEP_SIGNATURE = "signature"
"""The service's signature of the receipt (the name it has had since v1)."""
STEP_ANCHOR = "anchor"  # judged against the chain
STEPS = (
    STEP_DIGEST,
    STEP_METADATA,
    STEP_ISSUER,
    STEP_LEAF,
    STEP_PROOF,
    STEP_ISSUER_SIGNATURE,
    STEP_SIGNATURE,
)
"""The steps of `verify_receipt`, in the order they are made and reported (the issuer's
signature only for a receipt that carries one)."""


@dataclass(frozen=True)
class Step:
    """One check: its name, whether it passed and why; ``skipped`` if nothing was checked."""

    name: str
    ok: bool
    detail: str
    skipped: bool = False


@dataclass(frozen=True)
class Inclusion:
    """The outcome of the pure checks on one receipt."""

    receipt: Receipt
    steps: tuple[Step, ...]

    @property
    def ok(self) -> bool:
        """True if no step failed."""
        return self.failed is None

    @property
    def failed(self) -> Step | None:
        """The first failed step, if any."""
        return next((step for step in self.steps if not step.ok), None)


def verify_receipt(
    receipt: Receipt,
    *,
    document: bytes | None = None,
    digest: Digest | None = None,
    metadata: Mapping[str, Any] | None = None,
    public_keys: Mapping[str, Ed25519PublicKey] | None = None,
) -> Inclusion:
    """Check every step that needs no chain; never raises for a bad receipt."""
    values = receipt.values
    steps = [
        _digest_step(values.digest, document, digest),
        _metadata_step(values.metadata_digest, metadata, receipt.metadata),
    ]
    if receipt.issuer.address == values.issuer:
        steps.append(Step(STEP_ISSUER, True, f"issued by {values.issuer}"))
    else:
        steps.append(
            Step(
                STEP_ISSUER,
                False,
                f"issuer.address {receipt.issuer.address} is not "
                f"the issuer in the leaf values ({values.issuer})",
            )
        )
    recomputed = leaf_hash(values)
    steps.append(
        Step(
            STEP_LEAF,
            recomputed == receipt.leaf,
            f"leaf recomputed from the values: {recomputed.hex}"
            + ("" if recomputed == receipt.leaf else f", receipt says {receipt.leaf.hex}"),
        )
    )
    if receipt.proof is None or receipt.root is None:
        steps.append(Step(STEP_PROOF, True, "pending: no proof yet", skipped=True))
    else:
        implied = process_proof(recomputed, receipt.proof)
        ok = implied == receipt.root.raw
        steps.append(
            Step(
                STEP_PROOF,
                ok,
                f"proof of {len(receipt.proof)} hashes leads to "
                f"0x{implied.hex()}" + ("" if ok else f", not to {receipt.root.hex}"),
            )
        )
    if receipt.issuer_signature is not None:
        steps.append(_issuer_signature_step(receipt))
    if public_keys is None:
        steps.append(Step(STEP_SIGNATURE, True, "no service keys given", skipped=True))
    else:
        try:
            verify_receipt_signature(receipt, public_keys)
            steps.append(Step(STEP_SIGNATURE, True, f"signed by key {receipt.service.key_id}"))
        except NotaryError as exc:
            steps.append(Step(STEP_SIGNATURE, False, str(exc)))
    return Inclusion(receipt, tuple(steps))


def _digest_step(expected: Digest, document: bytes | None, digest: Digest | None) -> Step:
    if document is not None:
        digest = sha256_bytes(document)
    if digest is None:
        return Step(STEP_DIGEST, True, "no document given", skipped=True)
    if digest == expected:
        return Step(STEP_DIGEST, True, f"document digest {digest} matches")
    return Step(STEP_DIGEST, False, f"document digest {digest} is not the receipt's {expected}")


def _metadata_step(
    expected: Digest, given: Mapping[str, Any] | None, in_receipt: Mapping[str, Any] | None
) -> Step:
    metadata = given if given is not None else in_receipt
    if metadata is None:
        if expected == ZERO_DIGEST:
            return Step(STEP_METADATA, True, "no metadata")
        return Step(STEP_METADATA, True, "metadata not disclosed", skipped=True)
    try:
        actual = metadata_digest(metadata)
    except NotaryError as exc:
        return Step(STEP_METADATA, False, f"metadata cannot be canonicalised: {exc}")
    if actual == expected:
        return Step(STEP_METADATA, True, f"metadata digest {actual} matches")
    return Step(STEP_METADATA, False, f"metadata digest {actual} is not the receipt's {expected}")


def _issuer_signature_step(receipt: Receipt) -> Step:
    """The offline half of the issuer's signature: the document is in the signed submission,
    and the signature is the stated key's (whether the key counted is the chain's to say)."""
    signed = receipt.issuer_signature
    assert signed is not None
    if not in_submission(receipt.leaf, signed.path, signed.leaves_root):
        return Step(
            STEP_ISSUER_SIGNATURE,
            False,
            f"the path of {len(signed.path)} hashes does not lead from leaf {receipt.leaf.hex} "
            f"to the signed submission's root {signed.leaves_root.hex}",
        )
    signer = submission_signer(
        signed.domain, receipt.values.issuer, signed.leaves_root, signed.signature
    )
    if signer is None:
        detail = "no key recovers from the signature (not a valid Ethereum signature)"
        return Step(STEP_ISSUER_SIGNATURE, False, detail)
    if signer != signed.signer:
        detail = f"the signature is key {signer}'s, not {signed.signer}'s as the receipt says"
        return Step(STEP_ISSUER_SIGNATURE, False, detail)
    return Step(STEP_ISSUER_SIGNATURE, True, f"the submission was signed by key {signer}")
