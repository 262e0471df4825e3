"""Verification: check a receipt step by step (pure), then judge it against chain facts.

``verify_receipt`` answers "do the document, the metadata, the leaf and the proof fit
together?"; ``judge`` adds what a chain reader reported and gives the verdict. A chain that
could not be asked gives UNVERIFIABLE, never INVALID.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from notary.core.digests import ZERO_DIGEST, sha256_bytes
from notary.core.errors import NotaryError
from notary.core.merkle import leaf_hash, process_proof
from notary.core.metadata import metadata_digest
from notary.core.receipts import Receipt
from notary.core.signing import verify_receipt_signature
from notary.core.types import Digest

STEP_DIGEST = "digest"
STEP_METADATA = "metadata"
STEP_ISSUER = "issuer"
STEP_LEAF = "leaf"
STEP_PROOF = "proof"
STEP_SIGNATURE = "signature"
STEP_ANCHOR = "anchor"  # judged against the chain


class Verdict(enum.StrEnum):
    """The final word, spelled the same in the API, the CLI and the page."""

    VALID = "VALID"
    VALID_PENDING_CONFIRMATIONS = "VALID_PENDING_CONFIRMATIONS"
    PENDING = "PENDING"
    REVOKED = "REVOKED"
    INVALID = "INVALID"
    UNVERIFIABLE = "UNVERIFIABLE"


@dataclass(frozen=True)
class Step:
    """One check: its name, whether it passed and why; ``skipped`` if nothing was checked."""

    name: str
    ok: bool
    detail: str
    skipped: bool = False


@dataclass(frozen=True)
class Inclusion:
    """The outcome of the pure checks on one receipt."""

    receipt: Receipt
    steps: tuple[Step, ...]

    @property
    def ok(self) -> bool:
        """True if no step failed."""
        return self.failed is None

    @property
    def failed(self) -> Step | None:
        """The first failed step, if any."""
        return next((step for step in self.steps if not step.ok), None)


@dataclass(frozen=True)
class ChainFacts:
    """What a chain reader reports about the receipt's root and leaf."""

    anchored_at: int | None
    """Timestamp of the block that anchored the root; None if the contract has no record."""
    anchored_block: int | None = None
    block_hash: str | None = None
    current_block: int = 0
    revoked_at: int | None = None
    revocation_reason: int | str | None = None
    issuer_name: str | None = None
    issuer_registered_at: int | None = None
    """When the registry registered the issuer; None if it never did."""
    issuer_deactivated_at: int | None = None
    chain_id: int | None = None
    """The chain the reader asked; checked against the receipt's when given."""


@dataclass(frozen=True)
class Judgement:
    """A verdict with what supports it."""

    verdict: Verdict
    detail: str
    failed_step: Step | None = None
    confirmations: int | None = None
    anchored_at: int | None = None
    revoked_at: int | None = None
    revocation_reason: int | str | None = None
    notes: tuple[str, ...] = ()
    """Facts worth showing that do not change the verdict (e.g. a different block hash)."""


def verify_receipt(
    receipt: Receipt,
    *,
    document: bytes | None = None,
    digest: Digest | None = None,
    metadata: Mapping[str, Any] | None = None,
    public_keys: Mapping[str, Ed25519PublicKey] | None = None,
) -> Inclusion:
    """Check every step that needs no chain; never raises for a bad receipt."""
    values = receipt.values
    steps = [
        _digest_step(values.digest, document, digest),
        _metadata_step(values.metadata_digest, metadata, receipt.metadata),
    ]
    if receipt.issuer.address == values.issuer:
        steps.append(Step(STEP_ISSUER, True, f"issued by {values.issuer}"))
    else:
        steps.append(
            Step(
                STEP_ISSUER,
                False,
                f"issuer.address {receipt.issuer.address} is not "
                f"the issuer in the leaf values ({values.issuer})",
            )
        )
    recomputed = leaf_hash(values)
    steps.append(
        Step(
            STEP_LEAF,
            recomputed == receipt.leaf,
            f"leaf recomputed from the values: {recomputed.hex}"
            + ("" if recomputed == receipt.leaf else f", receipt says {receipt.leaf.hex}"),
        )
    )
    if receipt.proof is None or receipt.root is None:
        steps.append(Step(STEP_PROOF, True, "pending: no proof yet", skipped=True))
    else:
        implied = process_proof(recomputed, receipt.proof)
        ok = implied == receipt.root.raw
        steps.append(
            Step(
                STEP_PROOF,
                ok,
                f"proof of {len(receipt.proof)} hashes leads to "
                f"0x{implied.hex()}" + ("" if ok else f", not to {receipt.root.hex}"),
            )
        )
    if public_keys is None:
        steps.append(Step(STEP_SIGNATURE, True, "no service keys given", skipped=True))
    else:
        try:
            verify_receipt_signature(receipt, public_keys)
            steps.append(Step(STEP_SIGNATURE, True, f"signed by key {receipt.service.key_id}"))
        except NotaryError as exc:
            steps.append(Step(STEP_SIGNATURE, False, str(exc)))
    return Inclusion(receipt, tuple(steps))


def judge(
    inclusion: Inclusion,
    chain: ChainFacts | None,
    *,
    required_confirmations: int,
    chain_error: str | None = None,
) -> Judgement:
    """The verdict from the pure checks plus what the chain reported (None: not reachable)."""
    failed = inclusion.failed
    if failed is not None:
        return Judgement(Verdict.INVALID, f"{failed.name}: {failed.detail}", failed_step=failed)
    receipt = inclusion.receipt
    anchor = receipt.anchor
    if anchor is None:
        promise = receipt.service.promised_by
        return Judgement(
            Verdict.PENDING,
            "not anchored yet"
            + (f"; the service promised to anchor by {promise}" if promise else ""),
        )
    if chain is None:
        return Judgement(
            Verdict.UNVERIFIABLE,
            "the chain could not be asked" + (f": {chain_error}" if chain_error else ""),
        )
    if chain.chain_id is not None and chain.chain_id != anchor.chain_id:
        return Judgement(
            Verdict.UNVERIFIABLE,
            f"asked chain {chain.chain_id} but the receipt is anchored on {anchor.chain}",
        )
    if chain.anchored_at is None or chain.anchored_block is None:
        step = Step(
            STEP_ANCHOR,
            False,
            f"contract {anchor.contract} on {anchor.chain} has no "
            f"record of root {receipt.root.hex if receipt.root else '?'}",
        )
        return Judgement(Verdict.INVALID, f"{step.name}: {step.detail}", failed_step=step)
    unregistered = _unregistered(receipt, chain.issuer_registered_at, chain.anchored_at)
    if unregistered is not None:
        return Judgement(
            Verdict.INVALID,
            f"{unregistered.name}: {unregistered.detail}",
            failed_step=unregistered,
            anchored_at=chain.anchored_at,
        )
    notes = _notes(receipt, chain)
    confirmations = max(0, chain.current_block - chain.anchored_block + 1)
    seen = Judgement(
        Verdict.VALID, "", anchored_at=chain.anchored_at, confirmations=confirmations, notes=notes
    )
    if chain.revoked_at is not None:
        return replace(
            seen,
            verdict=Verdict.REVOKED,
            revoked_at=chain.revoked_at,
            revocation_reason=chain.revocation_reason,
            detail=f"revoked at {_when(chain.revoked_at)} (reason {chain.revocation_reason})",
        )
    deactivated = chain.issuer_deactivated_at
    if deactivated is not None and chain.anchored_at >= deactivated:
        # An issuer's documents anchored before deactivation stay valid; later ones are not.
        step = Step(
            STEP_ANCHOR,
            False,
            f"issuer {receipt.values.issuer} was deactivated at "
            f"{_when(deactivated)}, before this root was anchored at {_when(chain.anchored_at)}",
        )
        return replace(
            seen, verdict=Verdict.INVALID, failed_step=step, detail=f"{step.name}: {step.detail}"
        )
    if confirmations < required_confirmations:
        return replace(
            seen,
            verdict=Verdict.VALID_PENDING_CONFIRMATIONS,
            detail=f"anchored, {confirmations} of {required_confirmations} confirmations",
        )
    return replace(
        seen,
        detail=f"anchored at {_when(chain.anchored_at)} in block {chain.anchored_block}, "
        f"{confirmations} confirmation{'' if confirmations == 1 else 's'}",
    )


def _unregistered(receipt: Receipt, registered_at: int | None, anchored_at: int) -> Step | None:
    """The failed issuer step when the registry did not know the issuer as the root was
    anchored, else None.

    The registry's record of an issuer is what ties its address to a name; without it
    nobody on chain vouches for who issued the document. The service registers an issuer
    before it anchors any of its documents (the worker sends operations in order), so this
    fails only when the registration failed (a later retry does not make earlier documents
    count, as a deactivation does not void earlier ones), never while it is merely pending.
    """
    issuer = receipt.values.issuer
    if registered_at is None:
        detail = f"issuer {issuer} is not registered on the blockchain"
    elif registered_at > anchored_at:
        detail = (
            f"issuer {issuer} was registered on the blockchain at {_when(registered_at)}, "
            f"after this root was anchored at {_when(anchored_at)}"
        )
    else:
        return None
    return Step(STEP_ISSUER, False, detail)


def _when(timestamp: int) -> str:
    """A block timestamp as people read it: ISO 8601 in UTC."""
    return dt.datetime.fromtimestamp(timestamp, dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _digest_step(expected: Digest, document: bytes | None, digest: Digest | None) -> Step:
    if document is not None:
        digest = sha256_bytes(document)
    if digest is None:
        return Step(STEP_DIGEST, True, "no document given", skipped=True)
    if digest == expected:
        return Step(STEP_DIGEST, True, f"document digest {digest} matches")
    return Step(STEP_DIGEST, False, f"document digest {digest} is not the receipt's {expected}")


def _metadata_step(
    expected: Digest, given: Mapping[str, Any] | None, in_receipt: Mapping[str, Any] | None
) -> Step:
    metadata = given if given is not None else in_receipt
    if metadata is None:
        if expected == ZERO_DIGEST:
            return Step(STEP_METADATA, True, "no metadata")
        return Step(STEP_METADATA, True, "metadata not disclosed", skipped=True)
    try:
        actual = metadata_digest(metadata)
    except NotaryError as exc:
        return Step(STEP_METADATA, False, f"metadata cannot be canonicalised: {exc}")
    if actual == expected:
        return Step(STEP_METADATA, True, f"metadata digest {actual} matches")
    return Step(STEP_METADATA, False, f"metadata digest {actual} is not the receipt's {expected}")


def _notes(receipt: Receipt, chain: ChainFacts) -> tuple[str, ...]:
    anchor = receipt.anchor
    assert anchor is not None
    notes = []
    if chain.block_hash is not None and chain.block_hash.lower() != anchor.block_hash.hex:
        notes.append(
            f"the chain has this root in block {chain.anchored_block} "
            f"({chain.block_hash}), not in block {anchor.block_number} "
            f"({anchor.block_hash.hex}) as the receipt records: the chain was "
            "reorganised and the root re-anchored; the chain's record is what counts"
        )
    elif chain.anchored_block is not None and chain.anchored_block != anchor.block_number:
        notes.append(
            f"the chain has this root in block {chain.anchored_block}, the receipt "
            f"says {anchor.block_number}"
        )
    if chain.issuer_name is not None and chain.issuer_name != receipt.issuer.name:
        notes.append(
            f"the issuer is now registered as {chain.issuer_name!r} "
            f"(receipt: {receipt.issuer.name!r})"
        )
    if chain.issuer_deactivated_at is not None:
        notes.append(
            f"the issuer was deactivated at {_when(chain.issuer_deactivated_at)}, after "
            "this document was anchored"
        )
    return tuple(notes)
