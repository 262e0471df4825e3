"""Schemas of an issuer's signing keys and the relayed changes of them."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema

from api.schemas.common import AddressStr
from notary.pipeline.submissions import SIGNATURE_PATTERN

UINT256_DIGITS = 78


def _uint256(value: object) -> int:
    """A uint256 sent as decimal text or as a JSON number (2.0 is the integer 2)."""
    number: object = value
    if (
        isinstance(value, str)
        and value.isascii()
        and value.isdigit()
        and len(value) <= UINT256_DIGITS
    ) or (isinstance(value, float) and value.is_integer()):
        number = int(value)
    if isinstance(number, bool) or not isinstance(number, int) or not 0 <= number < 1 << 256:
        raise ValueError("expected a uint256: decimal text or a whole number, 0 to 2**256 - 1")
    return number


Nonce = Annotated[
    int,
    BeforeValidator(_uint256),
    WithJsonSchema(
        {
            "oneOf": [
                {"type": "string", "pattern": f"^[0-9]{{1,{UINT256_DIGITS}}}$"},
                {"type": "integer", "minimum": 0},
            ],
            "description": "the signed nonce (uint256, as decimal text or a number)",
        }
    ),
]
Deadline = Annotated[
    int,
    BeforeValidator(_uint256),
    WithJsonSchema(
        {"type": "integer", "minimum": 0, "description": "the signed deadline, Unix seconds"}
    ),
]
SIGNED_BY_ROOT = (
    "the issuer's root key's EIP-712 signature (its registered address) of `{type}(address "
    "issuer,address key,uint256 nonce,uint256 deadline)`; GET "
    "/v1/issuers/{{address}}/signers/request gives the typed data"
)


class SignerRemoval(BaseModel):
    """The root key's signed removal of a signing key (the key is in the path)."""

    model_config = ConfigDict(extra="forbid")

    nonce: Nonce
    deadline: Deadline
    signature: str = Field(
        pattern=SIGNATURE_PATTERN, description=SIGNED_BY_ROOT.format(type="RemoveSigner")
    )


class SignerAddition(SignerRemoval):
    """The root key's signed authorisation of a new signing key."""

    key: AddressStr = Field(description="the signing key's address")
    signature: str = Field(
        pattern=SIGNATURE_PATTERN, description=SIGNED_BY_ROOT.format(type="AddSigner")
    )


class SignerOut(BaseModel):
    """One signing key of the issuer, as the registry records it."""

    key: AddressStr
    status: Literal["active", "removed"]
    addedAt: int = Field(description="block timestamp (Unix seconds)")
    addedBlock: int
    removedAt: int | None = Field(default=None, description="block timestamp (Unix seconds)")
    removedBlock: int | None = None


class SignerChangeOut(BaseModel):
    """A relayed change of a signing key, until the chain has it for good."""

    id: int
    action: Literal["add", "remove"]
    key: AddressStr
    state: Literal["queued", "signed", "broadcast", "mined", "final", "failed"] = Field(
        description="the worker's: queued → signed → broadcast → mined → final, or failed "
        "(the chain refused it: `error` says why)"
    )
    requestedAt: dt.datetime
    error: str | None = None


class SignersOut(BaseModel):
    """The issuer's signing keys on the registry, and its changes the service still relays."""

    issuer: AddressStr
    signingSince: int | None = Field(
        description="the block of its first key: from it on, its documents are genuine only "
        "with its signature (null: it does not sign)"
    )
    keys: list[SignerOut]
    pending: list[SignerChangeOut] = Field(
        description="changes queued here and not final on chain yet; a failed one stays "
        "listed while the key is not as it asked"
    )
