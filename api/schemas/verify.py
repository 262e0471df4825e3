"""Schemas of verification requests and verdicts."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.common import EXAMPLE_ADDRESS, EXAMPLE_DIGEST, AddressStr, Hex32

Verdict = Literal[
    "VALID", "VALID_PENDING_CONFIRMATIONS", "PENDING", "REVOKED", "INVALID", "UNVERIFIABLE"
]


class VerifyRequest(BaseModel):
    """What to verify: a receipt (with the digest to check it against), a leaf, or a digest."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"digest": EXAMPLE_DIGEST, "issuer": EXAMPLE_ADDRESS},
                {"receipt": {"format": "notary-receipt-v1", "...": "..."}},
            ]
        },
    )

    receipt: dict[str, Any] | None = Field(default=None, description="a notary-receipt-v1")
    leaf: str | None = Field(default=None, max_length=80, description="a leaf notarised here")
    digest: str | None = Field(default=None, max_length=80, description="SHA-256 of the document")
    issuer: str | None = Field(default=None, max_length=80, description="who issued it")
    metadata: dict[str, Any] | None = Field(default=None, description="metadata to check")


class StepOut(BaseModel):
    """One verification step as the core library defines it."""

    name: str
    ok: bool
    skipped: bool
    detail: str


class VerificationOut(BaseModel):
    """The verdict, why, and every step."""

    verdict: Verdict
    detail: str
    failedStep: str | None = None
    steps: list[StepOut]
    leaf: Hex32 | None = None
    issuer: AddressStr | None = None
    issuerName: str | None = None
    confirmations: int | None = None
    anchoredAt: int | None = Field(default=None, description="block timestamp (Unix seconds)")
    revokedAt: int | None = None
    revocationReason: int | str | None = None
    notes: list[str] = Field(default_factory=list)
    checkedAt: dt.datetime
    chainBlock: int | None = Field(
        default=None,
        description="the block the chain's answer is as of: the latest block the service "
        "saw, polled at most every NOTARY_CHAIN_POLL_INTERVAL seconds (0.5 by default)",
    )
    receipt: dict[str, Any] | None = Field(default=None, description="the receipt that was checked")
