"""What a chain reader reports about a receipt's root, leaf and issuer, as the judge reads it.

`facts_of` reads the registry's `check` answer (zeros mean "not recorded") into
`ChainFacts` (None means "not recorded"); `facts_json` is their one JSON form, the one
the API's answers carry and the page reads its node's answer into (``facts.js``).

Pure: no I/O, no globals.
"""

from __future__ import annotations

from dataclasses import dataclass
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


def facts_of(answer: CheckAnswer, chain_id: int | None) -> ChainFacts:
    """The facts in a `check` answer from chain `chain_id` (its zeros read as None)."""
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
}
"""Field -> its name in JSON (the registry's own names, as node.js decodes them)."""


def facts_json(facts: ChainFacts) -> dict[str, Any]:
    """The facts as JSON: every field, None where nothing is recorded."""
    return {name: getattr(facts, field) for field, name in _JSON_NAMES.items()}


def json_name(field: str) -> str:
    """The JSON name of a `ChainFacts` field (e.g. ``anchoredAt``)."""
    return _JSON_NAMES[field]
