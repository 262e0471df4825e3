"""The verdict: the pure checks of one receipt plus what the chain reported about it.

A chain that could not be asked, or whose answer cannot be about this receipt (another
chain, a node behind the receipt's anchor block, another leaf or root), gives
UNVERIFIABLE, never INVALID.

WARNING: changing a rule here changes what issued receipts verify as. The page judges on
the reader's device by the same rules (``judgeOnDevice`` in ``api/static/js/core/judge.js``),
and the conformance vectors under ``tests/vectors/conformance/`` hold both to them: if
one of those vectors changes, a verdict on some receipt already issued has changed.

Pure: no I/O, no globals.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, replace

from notary.core.receipts import Receipt
from notary.verify.facts import SIGNATURE_REQUIRED, ChainFacts
from notary.verify.steps import (
    STEP_ANCHOR,
    STEP_ISSUER,
    STEP_ISSUER_SIGNATURE,
    Inclusion,
    Step,
)


class Verdict(enum.StrEnum):
    """The final word, spelled the same in the API, the CLI and the page."""

    VALID = "VALID"
    VALID_PENDING_CONFIRMATIONS = "VALID_PENDING_CONFIRMATIONS"
    PENDING = "PENDING"
    REVOKED = "REVOKED"
    INVALID = "INVALID"
    UNVERIFIABLE = "UNVERIFIABLE"


class Assurance(enum.StrEnum):
    """Who vouches that the issuer issued a genuine document: never said in the same words."""

    SIGNED = "signed"
    """A key the issuer authorised on the registry signed it, and counted when anchored."""
    VOUCHED = "vouched"
    """The issuer did not sign it (then): registered with its API key, the service vouches."""


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
    assurance: Assurance | None = None
    """For a genuine document: whether its issuer's key signed it, or the service vouches."""
    signer: str | None = None
    """The issuer's key that signed it, when `assurance` is SIGNED."""


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
        return _invalid(failed)
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
        return _unverifiable(
            "the chain could not be asked" + (f": {chain_error}" if chain_error else "")
        )
    if chain.chain_id is not None and chain.chain_id != anchor.chain_id:
        return _unverifiable(
            f"asked chain {chain.chain_id} but the receipt is anchored on {anchor.chain}"
        )
    if chain.refused == SIGNATURE_REQUIRED:
        # The registry answers for a signing issuer's documents only with their signature.
        step = Step(
            STEP_ISSUER_SIGNATURE,
            False,
            f"issuer {receipt.values.issuer} signs its documents, and this receipt carries no "
            "signature: the registry answers for the document only with one",
        )
        return _invalid(step)
    if chain.refused is not None:
        # No other refusal of check or checkSigned is a fact about a document: the contract
        # asked is not a registry that answers for this one, however many nodes say so.
        return _unverifiable(
            f"contract {anchor.contract} on {anchor.chain} refused to answer ({chain.refused}): "
            "it is not a registry that answers for this receipt"
        )
    elsewhere = _not_about_this_receipt(receipt, chain)
    if elsewhere is not None:
        return _unverifiable(elsewhere)
    if chain.anchored_at is None or chain.anchored_block is None:
        root = receipt.root.hex if receipt.root else "?"
        step = Step(
            STEP_ANCHOR,
            False,
            f"contract {anchor.contract} on {anchor.chain} has no record of root {root}",
        )
        return _invalid(step)
    unregistered = _unregistered(receipt, chain.issuer_registered_at, chain.anchored_at)
    if unregistered is not None:
        return _invalid(unregistered, anchored_at=chain.anchored_at)
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
    unsigned = _unsigned(receipt, chain)
    if unsigned is not None:
        return replace(
            seen,
            verdict=Verdict.INVALID,
            failed_step=unsigned,
            detail=f"{unsigned.name}: {unsigned.detail}",
        )
    deactivated = chain.issuer_deactivated_at
    if deactivated is not None and chain.anchored_at >= deactivated:
        # An issuer's documents anchored before deactivation stay valid; later ones are not.
        step = Step(
            STEP_ISSUER,
            False,
            f"issuer {receipt.values.issuer} was deactivated at "
            f"{_when(deactivated)}, before this root was anchored at {_when(chain.anchored_at)}",
        )
        return replace(
            seen, verdict=Verdict.INVALID, failed_step=step, detail=f"{step.name}: {step.detail}"
        )
    signed = bool(chain.signature_required)
    seen = replace(
        seen,
        assurance=Assurance.SIGNED if signed else Assurance.VOUCHED,
        signer=chain.signer if signed else None,
    )
    vouched = _vouched(receipt, chain)
    if confirmations < required_confirmations:
        return replace(
            seen,
            verdict=Verdict.VALID_PENDING_CONFIRMATIONS,
            detail=f"anchored, {confirmations} of {required_confirmations} confirmations; "
            + vouched,
        )
    return replace(
        seen,
        detail=f"anchored at {_when(chain.anchored_at)} in block {chain.anchored_block}, "
        f"{confirmations} confirmation{'' if confirmations == 1 else 's'}; {vouched}",
    )


def _unsigned(receipt: Receipt, chain: ChainFacts) -> Step | None:
    """The failed issuer-signature step when the document needs its issuer's signature and
    has none that counts (the registry's rule, `checkSigned`), else None."""
    if not chain.signature_required or chain.authorised:
        return None
    issuer = receipt.values.issuer
    signed = receipt.issuer_signature
    if signed is None:
        detail = f"issuer {issuer} signs its documents, and this receipt carries no signature"
    elif chain.signer_added_block is None:
        detail = f"key {chain.signer} was never a signing key of issuer {issuer}"
    elif chain.anchored_block is not None and chain.signer_added_block > chain.anchored_block:
        detail = (
            f"key {chain.signer} became a signing key of issuer {issuer} in block "
            f"{chain.signer_added_block}, after this root was anchored in block "
            f"{chain.anchored_block}"
        )
    elif chain.signer_removed_block is not None:
        detail = (
            f"key {chain.signer} stopped being a signing key of issuer {issuer} in block "
            f"{chain.signer_removed_block}, before this root was anchored in block "
            f"{chain.anchored_block}"
        )
    else:
        detail = f"key {chain.signer} was not authorised by issuer {issuer} when anchored"
    return Step(STEP_ISSUER_SIGNATURE, False, detail)


def _vouched(receipt: Receipt, chain: ChainFacts) -> str:
    """Who vouches for the issuer, in words that differ for a signed document."""
    if chain.signature_required:
        return (
            f"signed by {receipt.issuer.name} ({receipt.values.issuer}) with its own key "
            f"{chain.signer}, registered on the blockchain"
        )
    return "registered with the issuer's API key; the service vouches for it"


def _invalid(step: Step, anchored_at: int | None = None) -> Judgement:
    return Judgement(
        Verdict.INVALID, f"{step.name}: {step.detail}", failed_step=step, anchored_at=anchored_at
    )


def _unverifiable(detail: str) -> Judgement:
    return Judgement(Verdict.UNVERIFIABLE, detail)


def _not_about_this_receipt(receipt: Receipt, chain: ChainFacts) -> str | None:
    """Why the chain's answer cannot be held against this receipt, or None if it can.

    A node whose answer is as of a block older than the receipt's anchor block has "no
    record" only because it has not seen that block (it lags, or follows another fork). A
    registry computes the leaf, the root and the signer from what it was asked, so an
    answer about another leaf, root or signer is not its answer.
    """
    anchor = receipt.anchor
    assert anchor is not None
    if chain.anchored_at is None and chain.current_block < anchor.block_number:
        return (
            f"the node answered as of block {chain.current_block}, before the receipt's "
            f"anchor block {anchor.block_number}: it lags, or follows another fork"
        )
    if chain.leaf is not None and chain.leaf != receipt.leaf.hex:
        return f"the node answered about leaf {chain.leaf}, not the receipt's {receipt.leaf.hex}"
    if chain.root is not None and receipt.root is not None and chain.root != receipt.root.hex:
        return f"the node answered about root {chain.root}, not the receipt's {receipt.root.hex}"
    signed = receipt.issuer_signature
    # The registry recovers as the receipt's own check did (that step passed).
    if (
        signed is not None
        and chain.in_submission is not None
        and (not chain.in_submission or chain.signer != signed.signer)
    ):
        return (
            f"the node answered about another signature (signer {chain.signer}), "
            f"not the receipt's by {signed.signer}"
        )
    return None


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
