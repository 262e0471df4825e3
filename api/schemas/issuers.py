"""Schemas of issuers and their API keys."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.common import (
    ADDRESS_TEXT,
    EXAMPLE_ADDRESS,
    AddressStr,
    DisplayName,
    DisplayText,
)


class IssuerCreate(BaseModel):
    """An issuing agency to register (also registered on chain)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "address": EXAMPLE_ADDRESS,
                    "name": "Sở Tài nguyên và Môi trường Hà Nội",
                    "jurisdiction": "VN-HN",
                }
            ]
        },
    )

    address: AddressStr = Field(
        description=ADDRESS_TEXT + "; an address a key can sign for: not the zero address "
        "nor one below 0x0000000000000000000000000000000000010000 (precompiles, system "
        "contracts)"
    )
    name: DisplayName = Field(
        min_length=1,
        max_length=200,
        description="as verifiers will read it; stored in NFC, runs of spaces as one. "
        "Refused: invisible, direction, control and separator characters, whitespace other "
        "than the space, compatibility forms (fullwidth letters), Latin mixed with Cyrillic "
        "or Greek, and a name that reads the same as another issuer's (Unicode TR39 "
        "skeletons, any case)",
    )
    jurisdiction: DisplayText | None = Field(default=None, max_length=200)


class IssuerOut(BaseModel):
    """An issuer as anyone may see it."""

    address: AddressStr
    name: str
    jurisdiction: str | None
    status: Literal["active", "deactivated"]
    onchain: str = Field(
        description="unregistered, registering, registered, deactivating, deactivated, or "
        "failed: the chain refused the registration (`onchainError` says why); the issuer "
        "cannot notarise until an administrator retries it"
    )
    onchainError: str | None = Field(
        description="why the chain refused the registration; null unless `onchain` is failed"
    )
    createdAt: dt.datetime
    deactivatedAt: dt.datetime | None


class IssuerList(BaseModel):
    """Every issuer."""

    issuers: list[IssuerOut]


class ApiKeyOut(BaseModel):
    """An API key without its secret."""

    id: int
    prefix: str = Field(description="the first characters, to tell keys apart")
    createdAt: dt.datetime
    revokedAt: dt.datetime | None = Field(description="null while the key works")


class NewApiKeyOut(ApiKeyOut):
    """A new key: `key` is shown this once; only its hash is stored."""

    key: str


class ApiKeyList(BaseModel):
    """An issuer's keys."""

    keys: list[ApiKeyOut]
