"""What a chain reader reports about a receipt's root, leaf and issuer, as the judge reads it.

`facts_of` reads the registry's `check` answer (zeros mean "not recorded") into
`ChainFacts` (None means "not recorded"); `facts_json` is their one JSON form, the one
the API's answers carry and the page reads its node's answer into (``facts.js``).

Pure: no I/O, no globals.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Protocol


@dataclass(frozen=True)
class ChainFacts:
    """What a chain reader reports about the receipt's root and leaf."""

    anchored_at: int | None
    """Timestamp of the block that anchored the root; None if the contract has no record."""
    anchored_block: int | None = None
    block_hash: str | None = None
    current_block: int = 0
    """The block the answer is as of."""
    revoked_at: int | None = None
    revocation_reason: int | str | None = None
    issuer_name: str | None = None
    issuer_registered_at: int | None = None
    """When the registry registered the issuer; None if it never did."""
    issuer_deactivated_at: int | None = None
    chain_id: int | None = None
    """The chain the reader asked; checked against the receipt's when given."""
    leaf: str | None = None
    """The leaf the registry computed from the values (0x-hex); None if not reported."""
    root: str | None = None
    """The root the proof led the registry to (0x-hex); None if not reported."""
    leaf_count: int | None = None
    """Leaves in the anchored batch; None if not anchored or not reported."""
    signer: str | None = None
    """The key that signed the receipt's submission, as the registry recovered it
    (`checkSigned`); None if none recovers or no signature was asked about."""
    in_submission: bool | None = None
    """Whether the receipt's path leads from the leaf to its signed submission's root."""
    signer_added_at: int | None = None
    signer_added_block: int | None = None
    """When and in which block the issuer added `signer` as its key; None if never."""
    signer_removed_at: int | None = None
    signer_removed_block: int | None = None
    """When and in which block the issuer removed it; None if it did not."""
    signing_since: int | None = None
    """The block of the issuer's first signing key; None if it does not sign (or not asked)."""
    signature_required: bool | None = None
    """Whether this document is genuine only with its issuer's signature (the issuer signed
    from a block at or before the anchor's); None if the registry was not asked."""
    authorised: bool | None = None
    """Whether `signer` was a key of the issuer in the anchoring block, for a document of the
    signed submission; None if no signature was asked about."""
    refused: str | None = None
    """The error the registry refused to answer with, when that is itself the answer:
    ``SignatureRequired`` (`check` for a document of an issuer that signs)."""


class CheckAnswer(Protocol):
    """The fields of `NotaryRegistry.check`'s answer (`notary.chain.registry.Verification`)."""

    @property
    def leaf(self) -> bytes: ...
    @property
    def root(self) -> bytes: ...
    @property
    def anchored_at(self) -> int: ...
    @property
    def anchored_block(self) -> int: ...
    @property
    def leaf_count(self) -> int: ...
    @property
    def revoked_at(self) -> int: ...
    @property
    def revocation_reason(self) -> int: ...
    @property
    def current_block(self) -> int: ...
    @property
    def issuer_name(self) -> str: ...
    @property
    def issuer_registered_at(self) -> int: ...
    @property
    def issuer_deactivated_at(self) -> int: ...


class SignatureAnswer(Protocol):
    """The fields of `checkSigned`'s second answer (`notary.chain.registry.SignatureCheck`)."""

    @property
    def signer(self) -> str | None: ...
    @property
    def in_submission(self) -> bool: ...
    @property
    def signer_added_at(self) -> int: ...
    @property
    def signer_added_block(self) -> int: ...
    @property
    def signer_removed_at(self) -> int: ...
    @property
    def signer_removed_block(self) -> int: ...
    @property
    def signing_since(self) -> int: ...
    @property
    def signature_required(self) -> bool: ...
    @property
    def authorised(self) -> bool: ...


SIGNATURE_REQUIRED = "SignatureRequired"


def refused_facts(error: str, chain_id: int | None) -> ChainFacts:
    """The facts when the registry answered with a refusal that says something (`refused`):
    SignatureRequired, the issuer signs the document's batch and no signature came."""
    return ChainFacts(
        anchored_at=None,
        chain_id=chain_id,
        refused=error,
        signature_required=True if error == SIGNATURE_REQUIRED else None,
    )


def facts_of_signed(
    answer: CheckAnswer, signature: SignatureAnswer, chain_id: int | None
) -> ChainFacts:
    """The facts in a `checkSigned` answer (its zeros read as None)."""
    return replace(
        facts_of(answer, chain_id),
        signer=signature.signer,
        in_submission=signature.in_submission,
        signer_added_at=signature.signer_added_at or None,
        signer_added_block=signature.signer_added_block or None,
        signer_removed_at=signature.signer_removed_at or None,
        signer_removed_block=signature.signer_removed_block or None,
        signing_since=signature.signing_since or None,
        signature_required=signature.signature_required,
        authorised=signature.authorised,
    )


def facts_of(answer: CheckAnswer, chain_id: int | None) -> ChainFacts:
    """The facts in a `check` answer from chain `chain_id` (its zeros read as None): the
    registry answered, so it did not require a signature for this document."""
    anchored = bool(answer.anchored_at)
    revoked = bool(answer.revoked_at)
    return ChainFacts(
        anchored_at=answer.anchored_at or None,
        anchored_block=answer.anchored_block if anchored else None,
        current_block=answer.current_block,
        revoked_at=answer.revoked_at or None,
        revocation_reason=answer.revocation_reason if revoked else None,
        issuer_name=answer.issuer_name or None,
        issuer_registered_at=answer.issuer_registered_at or None,
        issuer_deactivated_at=answer.issuer_deactivated_at or None,
        chain_id=chain_id,
        leaf="0x" + bytes(answer.leaf).hex(),
        root="0x" + bytes(answer.root).hex(),
        leaf_count=answer.leaf_count if anchored else None,
        signature_required=False,
    )


_JSON_NAMES = {
    "chain_id": "chainId",
    "leaf": "leaf",
    "root": "root",
    "anchored_at": "anchoredAt",
    "anchored_block": "anchoredBlock",
    "block_hash": "blockHash",
    "leaf_count": "leafCount",
    "revoked_at": "revokedAt",
    "revocation_reason": "revocationReason",
    "current_block": "currentBlock",
    "issuer_name": "issuerName",
    "issuer_registered_at": "issuerRegisteredAt",
    "issuer_deactivated_at": "issuerDeactivatedAt",
    "signer": "signer",
    "in_submission": "inSubmission",
    "signer_added_at": "signerAddedAt",
    "signer_added_block": "signerAddedBlock",
    "signer_removed_at": "signerRemovedAt",
    "signer_removed_block": "signerRemovedBlock",
    "signing_since": "signingSince",
    "signature_required": "signatureRequired",
    "authorised": "authorised",
    "refused": "refused",
}
"""Field -> its name in JSON (the registry's own names, as node.js decodes them)."""


def facts_json(facts: ChainFacts) -> dict[str, Any]:
    """The facts as JSON: every field, None where nothing is recorded."""
    return {name: getattr(facts, field) for field, name in _JSON_NAMES.items()}


def json_name(field: str) -> str:
    """The JSON name of a `ChainFacts` field (e.g. ``anchoredAt``)."""
    return _JSON_NAMES[field]
