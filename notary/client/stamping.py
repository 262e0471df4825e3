"""A signed submission prepared on the issuer's machine: salted metadata, the documents'
leaves, and one EIP-712 `Submission` signature over their root. The key never leaves.

What the service checks (and what any client reproduces, e.g. with viem and
`@openzeppelin/merkle-tree`):
- each document's metadata is final before signing: `public` recorded as `publicFields`
  and a fresh 128-bit `salt` (32 lower-case hex digits) added, sent as is and hashed as
  RFC 8785 + SHA-256 (no metadata: 32 zero bytes);
- leaf = the OpenZeppelin `StandardMerkleTree` leaf of (digest, issuer, metadataDigest);
- leavesRoot = the `StandardMerkleTree` root of the submission's leaves (one document:
  its leaf);
- signature = EIP-712 `Submission(address issuer,bytes32 leavesRoot)` in the domain
  NotaryRegistry / 2 / chain id / registry (`GET /v1/chain` gives both).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from notary.core.disclosure import with_public
from notary.core.issuer_signing import (
    IssuerKey,
    RegistryDomain,
    SubmissionRoot,
    submission_root,
    submission_tree,
)
from notary.core.merkle import leaf_hash
from notary.core.metadata import SALT_FIELD, metadata_digest, new_salt
from notary.core.types import Digest, Leaf, LeafValues, to_checksum_address


def signed_metadata(
    metadata: Mapping[str, Any] | None, public: Sequence[str] | None = None
) -> dict[str, Any] | None:
    """The metadata as the issuer signs and sends it: `public` recorded in it as the
    service records it, and a fresh salt (None: no metadata)."""
    merged = with_public(metadata, list(public) if public is not None else None)
    if merged is None:
        return None
    return {**merged, SALT_FIELD: new_salt()}


def document_leaf(issuer: str, digest: Digest, metadata: Mapping[str, Any] | None) -> Leaf:
    """The leaf of a document whose metadata is final (salted)."""
    return leaf_hash(LeafValues(digest, issuer, metadata_digest(metadata)))


@dataclass(frozen=True)
class SignedSubmission:
    """What one request carries besides its documents."""

    leaves: list[Leaf]
    leaves_root: SubmissionRoot
    signature: bytes

    def fields(self, issuer: str) -> dict[str, str]:
        """The request's signature fields."""
        return {
            "issuer": issuer,
            "leavesRoot": self.leaves_root.hex,
            "signature": "0x" + self.signature.hex(),
        }


def sign_submission(
    key: IssuerKey,
    domain: RegistryDomain,
    issuer: str,
    documents: Sequence[tuple[Digest, Mapping[str, Any] | None]],
) -> SignedSubmission:
    """Sign documents (digest and final metadata each) as one submission of `issuer`."""
    issuer = to_checksum_address(issuer, "issuer")
    leaves = [document_leaf(issuer, digest, metadata) for digest, metadata in documents]
    root = submission_root(submission_tree(leaves))
    return SignedSubmission(leaves, root, key.sign_submission(domain, issuer, root))
