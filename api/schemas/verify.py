"""Schemas of verification requests and verdicts."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.common import (
    DIGEST_INPUT,
    EXAMPLE_ADDRESS,
    EXAMPLE_DIGEST,
    EXAMPLE_LEAF,
    AddressStr,
    Hex32,
    ReceiptJson,
)
from api.schemas.documents import DIGEST_TEXT

Verdict = Literal[
    "VALID", "VALID_PENDING_CONFIRMATIONS", "PENDING", "REVOKED", "INVALID", "UNVERIFIABLE"
]


EXAMPLE_RECEIPT: dict[str, Any] = {
    "format": "notary-receipt-v1",
    "status": "pending",
    "leafEncoding": ["bytes32", "address", "bytes32"],
    "values": [
        "0xa6fde21897ef1ea94f0e925793d37c009150264c70937fd4f8770bb1623c6be5",
        "0x5B38Da6a701c568545dCfcB03FcB875f56beddC4",
        "0x0000000000000000000000000000000000000000000000000000000000000000",
    ],
    "leaf": "0x9fddc9b40d824f262a7bc234434c66bcace374435621d371e120bbf54d5441ce",
    "issuer": {
        "address": "0x5B38Da6a701c568545dCfcB03FcB875f56beddC4",
        "name": "Sở Nông nghiệp tỉnh Đắk Lắk",
    },
    "service": {"id": "notary", "promisedBy": "2024-03-01T10:05:00Z"},
}
"""A well-formed (pending, unsigned) receipt; its leaf does not match its values, so it
verifies as INVALID: an example of the shape, not of a genuine document."""


class VerifyRequest(BaseModel):
    """What to verify: a receipt (with the digest to check it against), a leaf (with the
    digest, to see the full metadata), a digest with its issuer, or a digest alone (every
    issuer that notarised it)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"digest": EXAMPLE_DIGEST, "issuer": EXAMPLE_ADDRESS},
                {"digest": EXAMPLE_DIGEST},
                {"leaf": EXAMPLE_LEAF},
                {"receipt": EXAMPLE_RECEIPT},
            ],
            # One of the three, not null: the service answers 422 otherwise.
            "anyOf": [
                {"required": ["receipt"], "properties": {"receipt": {"type": "object"}}},
                {"required": ["leaf"], "properties": {"leaf": {"type": "string"}}},
                {"required": ["digest"], "properties": {"digest": {"type": "string"}}},
            ],
        },
    )

    receipt: ReceiptJson | None = Field(default=None, description="a notary-receipt-v1 or -v2")
    leaf: Hex32 | None = Field(default=None, description="a leaf notarised here")
    digest: str | None = Field(
        default=None,
        max_length=80,
        description=DIGEST_TEXT,
        json_schema_extra={"pattern": DIGEST_INPUT},  # Digest.parse checks, naming the field
    )
    issuer: AddressStr | None = Field(
        default=None, description="who issued it (without it, a digest finds every issuer)"
    )
    metadata: dict[str, Any] | None = Field(default=None, description="metadata to check")


class StepOut(BaseModel):
    """One verification step as the core library defines it."""

    name: str
    ok: bool
    skipped: bool
    detail: str


class AnchorOut(BaseModel):
    """Where the batch's root was anchored, as the receipt states it."""

    chain: str = Field(description="CAIP-2, e.g. eip155:31337")
    chainId: int
    contract: AddressStr
    txHash: Hex32
    blockNumber: int
    blockHash: Hex32
    timestamp: int


class ProofOut(BaseModel):
    """What anyone needs to recompute the leaf and fold the proof up to the root."""

    leafEncoding: list[str]
    values: list[str] = Field(description="[digest, issuer, metadataDigest]")
    leaf: Hex32
    proof: list[Hex32] | None = Field(default=None, description="absent until anchored")
    root: Hex32 | None = None
    anchor: AnchorOut | None = None
    issuerSignature: dict[str, Any] | None = Field(
        default=None,
        description="a notary-receipt-v2's issuer signature: signer, signature, leavesRoot, "
        "path, domain (notary/schemas/receipt-v2.json)",
    )


class ChainFactsOut(BaseModel):
    """What the chain answered, as the verdict read it (absent: not recorded). A node asked
    independently must say the same about everything but `currentBlock`."""

    chainId: int | None = None
    leaf: Hex32 | None = Field(default=None, description="the leaf the registry computed")
    root: Hex32 | None = Field(default=None, description="the root the proof led it to")
    anchoredAt: int | None = Field(default=None, description="block timestamp (Unix seconds)")
    anchoredBlock: int | None = None
    blockHash: Hex32 | None = None
    leafCount: int | None = None
    revokedAt: int | None = None
    revocationReason: int | str | None = None
    currentBlock: int | None = Field(default=None, description="the block the answer is as of")
    issuerName: str | None = None
    issuerRegisteredAt: int | None = None
    issuerDeactivatedAt: int | None = None
    signer: AddressStr | None = Field(
        default=None, description="checkSigned: the key that signed the document's submission"
    )
    inSubmission: bool | None = None
    signerAddedAt: int | None = None
    signerAddedBlock: int | None = None
    signerRemovedAt: int | None = None
    signerRemovedBlock: int | None = None
    signingSince: int | None = Field(
        default=None, description="the block of the issuer's first signing key"
    )
    signatureRequired: bool | None = Field(
        default=None, description="whether the document is genuine only with its issuer's signature"
    )
    authorised: bool | None = Field(
        default=None, description="whether the signer was a key of the issuer when anchored"
    )
    refused: str | None = Field(
        default=None,
        description="the error the registry refused to answer with (then the only fact with "
        "chainId): SignatureRequired, check refusing a signing issuer's document (NOT genuine "
        "at issuerSignature), or another that says nothing about the document (UNVERIFIABLE)",
    )


class VerificationOut(BaseModel):
    """The verdict, why, and every step.

    Metadata: a caller who proves possession (gives the receipt, or the document's digest
    or file) sees all of it and the receipt; anyone else, by leaf alone, sees only the
    fields the issuer made public, and never the salt.
    """

    verdict: Verdict
    detail: str
    failedStep: str | None = None
    steps: list[StepOut]
    leaf: Hex32 | None = None
    issuer: AddressStr | None = None
    issuerName: str | None = Field(
        default=None, description="as the registry on chain names the issuer, when it answered"
    )
    issuerNameSource: Literal["chain", "service"] | None = Field(
        default=None, description="chain: read from the registry; service: from its records"
    )
    issuerActive: bool | None = Field(
        default=None, description="false once the registry deactivated the issuer"
    )
    assurance: Literal["signed", "vouched"] | None = Field(
        default=None,
        description="for a genuine document, who vouches for its issuer: signed (a key the "
        "issuer authorised on the registry signed it) or vouched (registered with the "
        "issuer's API key: the service vouches for it)",
    )
    signer: AddressStr | None = Field(
        default=None, description="signed: the issuer's key that signed it"
    )
    confirmations: int | None = None
    requiredConfirmations: int | None = None
    anchoredAt: int | None = Field(default=None, description="block timestamp (Unix seconds)")
    revokedAt: int | None = None
    revocationReason: int | str | None = None
    revocationReasonName: str | None = Field(
        default=None, description="issued-in-error, superseded, withdrawn, ... or reason-N"
    )
    promisedBy: str | None = Field(
        default=None, description="pending: when the service promised to anchor (RFC 3339)"
    )
    batch: str | None = None
    notes: list[str] = Field(default_factory=list)
    checkedAt: dt.datetime
    chainBlock: int | None = Field(
        default=None,
        description="the block the chain's answer is as of: the latest block the service "
        "saw, polled at most every NOTARY_CHAIN_POLL_INTERVAL seconds (0.5 by default)",
    )
    chain: ChainFactsOut | None = Field(
        default=None, description="the chain's answer the verdict rests on, when it was asked"
    )
    metadata: dict[str, Any] | None = Field(
        default=None, description="all of it to a caller who proved possession; else public"
    )
    proof: ProofOut | None = None
    receipt: dict[str, Any] | None = Field(
        default=None,
        description="the signed receipt, to a caller who gave the document's digest or file",
    )


class VerificationListOut(BaseModel):
    """A digest alone: a verdict for every document notarised with it, by any issuer."""

    digest: Hex32
    count: int
    results: list[VerificationOut]
    checkedAt: dt.datetime
    verdict: Verdict | None = Field(default=None, description="INVALID when nothing was found")
    detail: str | None = None
