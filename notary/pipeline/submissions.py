"""Signed submissions: an issuer's EIP-712 `Submission` signature over the leaves it sent.

A signing issuer (one whose first key the registry recorded, `signingSince`) signs each
submission once: `Submission(issuer, leavesRoot)`, where `leavesRoot` is the root of the
OpenZeppelin `StandardMerkleTree` of the submission's leaves (`notary.core.issuer_signing`).
The service recomputes that root from the documents as it received them, recovers the key
that signed it and accepts the submission only if that key is one the issuer has
authorised now (`IssuerKeys`, read from the chain). Each document's receipt then carries
the signature, `leavesRoot` and its path to it, so 10,000 documents cost one signature
check here and one on every verifier's side.

This is the service refusing early what the chain would judge NOT genuine; the chain's
`checkSigned` (key authorised in the anchoring block) stays the only judge of a verdict.

Pure: no I/O. The API reads `IssuerKeys` through `notary.pipeline.signers`.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from notary.core.errors import FormatError
from notary.core.issuer_signing import (
    SIGNATURE_LENGTH,
    RegistryDomain,
    SubmissionRoot,
    submission_root,
    submission_signer,
    submission_tree,
)
from notary.core.types import Address, Leaf

SIGNATURE_FIELD = "signature"
LEAVES_ROOT_FIELD = "leavesRoot"
ISSUER_FIELD = "issuer"
SIGNATURE_PATTERN = rf"^0x[0-9a-fA-F]{{{2 * SIGNATURE_LENGTH}}}$"
"""A signature's form (r ‖ s ‖ v in hex), as the API's schemas state it."""
_SIGNATURE = re.compile(SIGNATURE_PATTERN)


class SignatureRefused(FormatError):
    """A submission's signature is missing, malformed or not an authorised key's (a 422
    naming `field`)."""


class UnknownSigner(SignatureRefused):
    """A valid signature by a key the issuer had not authorised when its keys were read
    (the caller may read them again once: a key added a moment ago counts at once)."""

    def __init__(self, signer: Address, message: str) -> None:
        super().__init__(SIGNATURE_FIELD, message)
        self.signer = signer


@dataclass(frozen=True)
class IssuerKeys:
    """What the registry says of an issuer's signing keys now."""

    issuer: Address
    signing_since: int
    """The block of the issuer's first key; 0 while it does not sign."""
    active: frozenset[Address]
    """Keys added and not removed: those that may sign a submission now."""

    @property
    def signing(self) -> bool:
        """Whether the issuer signs its documents (from `signing_since` on, for good)."""
        return self.signing_since != 0


def require_signature(keys: IssuerKeys, signed: bool) -> None:
    """Refuse an unsigned submission of a signing issuer, and a signed one of an issuer that
    has no key to sign with (its signature could never count)."""
    if keys.signing and not signed:
        raise SignatureRefused(
            SIGNATURE_FIELD,
            f"issuer {keys.issuer} signs its documents (since block {keys.signing_since}): "
            "send the EIP-712 Submission(issuer, leavesRoot) signature of one of its keys "
            "(notary stamp --signer KEYSTORE does it)",
        )
    if signed and not keys.signing:
        raise SignatureRefused(
            SIGNATURE_FIELD,
            f"issuer {keys.issuer} has no signing key on the blockchain, so no signature of "
            "its documents can count: add one first (notary issuer signer add), or send "
            "the documents unsigned",
        )


@dataclass(frozen=True)
class SignedSubmission:
    """A submission whose signature was checked: who signed what, and the tree to prove it."""

    issuer: Address
    signer: Address
    signature: bytes
    leaves_root: SubmissionRoot
    leaf_count: int
    nodes: bytes | None
    """The submission tree's node array (OpenZeppelin layout); None for one leaf."""


@dataclass(frozen=True)
class SubmissionSignature:
    """A signature sent with a submission, and what it is checked against.

    Documents that carry the same SubmissionSignature object are one submission: its
    leaves are theirs, in the order they were sent.
    """

    signature: bytes
    domain: RegistryDomain
    keys: IssuerKeys
    leaves_root: SubmissionRoot | None = None
    """The root the client says it signed, if it said (a clearer refusal when it differs)."""

    def verify(self, issuer: Address, leaves: Sequence[Leaf]) -> SignedSubmission:
        """The signed submission of `leaves` of `issuer`; SignatureRefused otherwise."""
        if self.keys.issuer != issuer:
            raise SignatureRefused(
                ISSUER_FIELD,
                f"the signature is checked against issuer {self.keys.issuer}'s keys, but the "
                f"documents are issuer {issuer}'s: one submission holds one issuer's documents",
            )
        tree = submission_tree(leaves)
        root = submission_root(tree)
        if self.leaves_root is not None and self.leaves_root != root:
            raise SignatureRefused(
                LEAVES_ROOT_FIELD,
                f"the documents as sent give leavesRoot {root.hex}, not {self.leaves_root.hex}: "
                "the root is the OpenZeppelin StandardMerkleTree root of the documents' leaves "
                "(with the metadata exactly as sent, salt included)",
            )
        signer = submission_signer(self.domain, issuer, root, self.signature)
        if signer is None:
            raise SignatureRefused(
                SIGNATURE_FIELD,
                "not a valid signature: 65 bytes r ‖ s ‖ v with v 27 or 28 and a low s",
            )
        if signer not in self.keys.active:
            raise UnknownSigner(
                signer,
                f"Submission(issuer {issuer}, leavesRoot {root.hex}) was signed by {signer}, "
                f"which is not a signing key issuer {issuer} has authorised now (a signature "
                "over another leavesRoot, chain or registry recovers to another address)",
            )
        nodes = tree.node_bytes() if len(leaves) > 1 else None
        return SignedSubmission(issuer, signer, self.signature, root, len(leaves), nodes)


def path_in(nodes: bytes | None, leaf: Leaf) -> list[bytes]:
    """The path from `leaf` to the root of a stored submission tree (empty for one leaf).

    The leaves sit sorted, last first, at the end of the OpenZeppelin node array, so the
    leaf is found by bisection; its path is the sibling of each node up to the root.
    """
    if nodes is None:
        return []
    count = (len(nodes) // 32 + 1) // 2
    top = 2 * count - 2
    target = leaf.raw
    lo, hi = 0, count
    while lo < hi:  # bisect_left over the sorted leaves, stored reversed at the end
        mid = (lo + hi) // 2
        at = 32 * (top - mid)
        if nodes[at : at + 32] < target:
            lo = mid + 1
        else:
            hi = mid
    index = top - lo
    if lo == count or nodes[32 * index : 32 * index + 32] != target:
        raise FormatError("leaf", f"leaf {leaf.hex} is not in this submission")
    path = []
    while index > 0:
        sibling = index + 1 if index & 1 else index - 1
        path.append(nodes[32 * sibling : 32 * sibling + 32])
        index = (index - 1) >> 1
    return path


def parse_signature(value: object) -> bytes:
    """Signature bytes from 0x + 130 hex digits; FormatError naming `signature`."""
    text = field_text(value, SIGNATURE_FIELD)
    if not _SIGNATURE.fullmatch(text):
        raise FormatError(
            SIGNATURE_FIELD, f"expected 0x and {2 * SIGNATURE_LENGTH} hex digits (r ‖ s ‖ v)"
        )
    return bytes.fromhex(text[2:])


def field_text(value: object, field: str) -> str:
    """`value` if it is a string; FormatError naming `field` otherwise."""
    if not isinstance(value, str):
        raise FormatError(field, "expected a string")
    return value


@functools.lru_cache(maxsize=16)
def registry_domain(chain_id: int, registry: str) -> RegistryDomain:
    """The registry's EIP-712 domain (its separator hashed once per process)."""
    return RegistryDomain.of(chain_id, registry)
