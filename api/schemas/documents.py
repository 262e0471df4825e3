"""Schemas of notarisation, document status and revocation."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    WithJsonSchema,
    computed_field,
)

from api.schemas.common import (
    ADDRESS,
    ADDRESS_FORMAT,
    DIGEST_INPUT,
    EXAMPLE_ADDRESS,
    EXAMPLE_DIGEST,
    EXAMPLE_LEAF,
    HEX32,
    AddressStr,
    Hex32,
    Links,
    ReceiptJson,
)
from notary.core.reasons import MAX_REASON, MIN_REASON, REASONS, reason_code, reason_name
from notary.pipeline.submissions import SIGNATURE_PATTERN

EXAMPLE_METADATA: dict[str, Any] = {
    "documentType": "export-certificate",
    "documentNumber": "EC-2024-000123",
    "holder": "Công ty TNHH Nông sản Mekong",
    "product": "Gạo ST25",
    "issuedOn": "2024-05-01",
}
DIGEST_TEXT = "SHA-256 of the document: 0x + 64 hex, sha256:<hex> or bare hex (sha256sum)"
REASON_PATTERN = "^(" + "|".join(REASONS.values()) + r"|[1-9][0-9]?|1[0-9]{2}|2[0-4][0-9]|25[0-5])$"
"""A reason's name or its code, 1 to 255 (what `reason_code` reads)."""
REASON_TEXT = (
    "why, recorded on chain: a name or its code, "
    + ", ".join(f"{code} `{name}`" for code, name in REASONS.items())
    + f"; codes {max(REASONS) + 1}-{MAX_REASON} are valid on chain and named `reason-N`"
)


def _uint256(value: object) -> int | None:
    """A uint256 sent as decimal text or as a JSON number (2.0 is the integer 2)."""
    if value is None:
        return None
    number: object = value
    if (isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 78) or (
        isinstance(value, float) and value.is_integer()
    ):
        number = int(value)
    if isinstance(number, bool) or not isinstance(number, int) or not 0 <= number < 1 << 256:
        raise ValueError("expected a uint256: decimal text or a whole number, 0 to 2**256 - 1")
    return number


def _reason(value: object) -> object:
    """A reason name or code as its code; other values are left for int validation."""
    if isinstance(value, str | int) and not isinstance(value, bool):
        return reason_code(value.strip() if isinstance(value, str) else value)
    return value


class DocumentSubmission(BaseModel):
    """One document by digest (or a JSON certificate, hashed in RFC 8785 form) and metadata."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "digest": EXAMPLE_DIGEST,
                    "metadata": EXAMPLE_METADATA,
                    "public": ["documentType", "documentNumber", "product"],
                }
            ],
            # Exactly one of the two, not null: the service answers 422 otherwise.
            "oneOf": [
                {"required": ["digest"], "properties": {"digest": {"type": "string"}}},
                {"required": ["document"], "properties": {"document": {"type": "object"}}},
            ],
        },
    )

    digest: str | None = Field(
        default=None,
        max_length=80,
        description=DIGEST_TEXT,
        json_schema_extra={"pattern": DIGEST_INPUT},  # Digest.parse checks, naming the field
    )
    document: dict[str, Any] | None = Field(
        default=None, description="a structured JSON certificate instead of a digest"
    )
    metadata: dict[str, Any] | None = Field(
        default=None, description="document facts; the service adds a random salt"
    )
    public: list[str] | None = Field(
        default=None,
        max_length=64,
        description="metadata fields a public verification (by leaf, QR code) may show; "
        "kept in the metadata as `publicFields`. Default: documentType, documentNumber, "
        "product, quantity, origin, issuedOn, expiresOn (never the holder unless listed)",
    )


SIGNATURE_TEXT = (
    "the issuer's EIP-712 signature of `Submission(address issuer,bytes32 leavesRoot)` "
    "(domain NotaryRegistry, version 2, the chain id, the registry) by one of its signing "
    "keys: 0x + 130 hex (r ‖ s ‖ v). Required when the issuer has a signing key on the "
    "blockchain, refused when it has none. Metadata of a signed document carries its own "
    "`salt` and is hashed exactly as sent (with `publicFields` from `public`)"
)
LEAVES_ROOT_TEXT = (
    "optional: the root you signed, the OpenZeppelin StandardMerkleTree root of the leaves "
    "(one document: its leaf); the service recomputes it from the documents and names a "
    "difference"
)
ISSUER_TEXT = "optional: the issuer the documents are for; must be the API key's issuer"


class SignedFields(BaseModel):
    """The issuer's signature of a submission (an issuer with signing keys must send it)."""

    signature: str | None = Field(
        default=None,
        description=SIGNATURE_TEXT,
        json_schema_extra={"pattern": SIGNATURE_PATTERN},  # checked by hand, naming the field
    )
    leavesRoot: str | None = Field(
        default=None, description=LEAVES_ROOT_TEXT, json_schema_extra={"pattern": HEX32}
    )
    issuer: str | None = Field(
        default=None,
        description=ISSUER_TEXT,
        json_schema_extra={"pattern": ADDRESS, "format": ADDRESS_FORMAT},
    )


class SingleSubmission(DocumentSubmission, SignedFields):
    """One document, signed by its issuer when the issuer has signing keys."""


class BulkSubmission(SignedFields):
    """Up to 10,000 documents, accepted all or nothing in one transaction; one signature
    for all of them when their issuer signs."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"documents": [{"digest": EXAMPLE_DIGEST, "metadata": EXAMPLE_METADATA}]}]
        },
    )

    documents: list[DocumentSubmission] = Field(max_length=10_000)


class IssuerRef(BaseModel):
    """An issuer's address and display name."""

    address: AddressStr
    name: str


class BatchRef(BaseModel):
    """The batch a document was sealed into."""

    id: int
    state: str
    url: str


class AnchorOut(BaseModel):
    """Where the batch root was anchored."""

    state: Literal["mined", "final"]
    txHash: Hex32
    blockNumber: int
    blockHash: Hex32
    timestamp: int


class RevocationOut(BaseModel):
    """A revocation request and how far it got on chain."""

    leaf: Hex32
    state: Literal["requested", "submitted", "revoked", "failed"]
    reason: int = Field(description=REASON_TEXT)
    note: str | None = None
    requestedAt: dt.datetime | None = None
    created: bool | None = Field(default=None, description="false: it had been requested before")

    @computed_field(description="the reason's name, e.g. `superseded` (`reason-N` if unnamed)")  # type: ignore[prop-decorator]
    @property
    def reasonName(self) -> str:
        return reason_name(self.reason)


class DocumentOut(BaseModel):
    """A notarised document: values, status, batch and anchor."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "leaf": EXAMPLE_LEAF,
                    "status": "pending",
                    "created": True,
                    "digest": EXAMPLE_DIGEST,
                    "issuer": {"address": EXAMPLE_ADDRESS, "name": "Sở Nông nghiệp"},
                    "metadataDigest": EXAMPLE_DIGEST,
                    "acceptedAt": "2024-05-01T08:00:00Z",
                }
            ]
        }
    )

    leaf: Hex32
    status: Literal["pending", "sealed", "anchored"]
    created: bool | None = Field(default=None, description="false: the same document existed")
    digest: Hex32
    issuer: IssuerRef
    metadataDigest: Hex32
    metadata: dict[str, Any] | None = None
    acceptedAt: dt.datetime
    batch: BatchRef | None = None
    anchor: AnchorOut | None = None
    revocation: RevocationOut | None = None
    receipt: ReceiptJson | None = Field(default=None, description="the signed receipt")
    links: Links


class BulkItemOut(BaseModel):
    """One document of a bulk submission, in submission order."""

    leaf: Hex32
    digest: Hex32
    status: Literal["pending", "sealed", "anchored"]
    created: bool


class SubmissionOut(BaseModel):
    """The signed submission: the root the issuer signed and the key that signed it."""

    leavesRoot: Hex32
    signer: AddressStr


class BulkOut(BaseModel):
    """What a bulk submission stored; fetch each receipt from /v1/documents/{leaf}/receipt."""

    count: int
    created: int
    existing: int
    submission: SubmissionOut | None = Field(
        default=None, description="for a signed submission: what was signed, and by whom"
    )
    documents: list[BulkItemOut]


class RevocationRequest(BaseModel):
    """Why a document is revoked; the reason code goes on chain, the note stays here."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"reason": "superseded", "note": "replaced by 131a"}]},
    )

    reason: Annotated[
        int,
        BeforeValidator(_reason),
        WithJsonSchema(
            {
                "oneOf": [
                    {"type": "string", "enum": list(REASONS.values())},
                    {"type": "integer", "minimum": MIN_REASON, "maximum": MAX_REASON},
                ],
                "description": REASON_TEXT,
            }
        ),
    ]
    note: str | None = Field(default=None, max_length=1000)
    signature: str | None = Field(
        default=None,
        description="for an issuer that signs (one with signing keys on the blockchain): its "
        "EIP-712 signature of `Revocation(address issuer,bytes32[] leaves,uint8 reason,uint256 "
        "nonce,uint256 deadline)` with `leaves` this one leaf, by a key it has authorised now "
        "or its root key; GET /v1/documents/{leaf}/revocation-request gives the typed data",
        pattern=SIGNATURE_PATTERN,
    )
    nonce: Annotated[
        int | None,
        BeforeValidator(_uint256),
        WithJsonSchema(
            {
                "oneOf": [
                    {"type": "string", "pattern": "^[0-9]{1,78}$"},
                    {"type": "integer", "minimum": 0},
                    {"type": "null"},
                ],
                "description": "the signed nonce (uint256, as decimal text or a number)",
            }
        ),
    ] = None
    deadline: Annotated[
        int | None,
        BeforeValidator(_uint256),
        WithJsonSchema(
            {
                "anyOf": [{"type": "integer", "minimum": 0}, {"type": "null"}],
                "description": "the signed deadline, Unix seconds (uint256)",
            }
        ),
    ] = None
