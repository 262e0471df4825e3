"""Schemas of the service description, the chain and batches."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field

from api.schemas.common import AddressStr, Hex32


class PublicKeyOut(BaseModel):
    """A receipt-signing public key; retired keys stay listed so old receipts verify."""

    keyId: str = Field(description="16 hex digits of SHA-256 of the raw public key")
    algorithm: str = "Ed25519"
    publicKey: str = Field(description="32 raw bytes, hex")
    publicKeyPem: str
    validFrom: dt.datetime | None
    validUntil: dt.datetime | None = Field(description="null: the key in use now")


class ServiceOut(BaseModel):
    """Who signs receipts and with which keys."""

    id: str
    receiptFormat: str
    receiptSchema: str = Field(description="URL of the receipt JSON Schema")
    keys: list[PublicKeyOut]


class ChainOut(BaseModel):
    """The chain and registry anchors go to, and how far behind anchoring is."""

    chain: str
    chainId: int | None
    contract: AddressStr
    reachable: bool
    latestBlock: int | None
    anchoringLagSeconds: float = Field(description="age of the oldest unanchored document")
    confirmations: int = Field(description="confirmations required before final")


class BatchOut(BaseModel):
    """A sealed batch: its Merkle root and where it was anchored."""

    id: int
    root: Hex32
    leafCount: int
    state: str
    sealedAt: dt.datetime | None
    anchoredAt: dt.datetime | None
    txHash: Hex32 | None = None
    blockNumber: int | None = None
    blockHash: Hex32 | None = None
    timestamp: int | None = None
