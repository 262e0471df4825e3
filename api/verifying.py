"""Verification requests over HTTP: find what to verify (a receipt, a leaf, a digest), have
the engine (`notary.verify`) judge it, and show the caller what its possession allows."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from api.problems import Problem
from api.schemas.verify import (
    AnchorOut,
    ChainFactsOut,
    ProofOut,
    StepOut,
    VerificationListOut,
    VerificationOut,
)
from api.state import ServiceState
from notary.core.disclosure import public_view
from notary.core.errors import FormatError
from notary.core.merkle import LEAF_ENCODING
from notary.core.receipts import Receipt, issuer_signature_json
from notary.core.types import Digest, Leaf, to_checksum_address
from notary.pipeline.digest_lookup import Ask, documents_for
from notary.pipeline.receipts import StoredDocument, documents_with_digest, load_in
from notary.verify import STEP_DIGEST, Outcome, Verdict, outcome_json
from notary.verify.onchain import conclude_on_chain, examine


@dataclass(frozen=True)
class VerifyInput:
    """What the caller gave, already parsed."""

    receipt: Mapping[str, Any] | None = None
    leaf: str | None = None
    digest: Digest | None = None
    issuer: str | None = None
    metadata: Mapping[str, Any] | None = None


async def run(service: ServiceState, given: VerifyInput) -> VerificationOut | VerificationListOut:
    """The verdict and every step for one request; a digest alone: one per document."""
    if given.receipt is not None:
        try:
            receipt = Receipt.from_dict(given.receipt)
        except FormatError as exc:
            field = "receipt" + (f".{exc.field}" if exc.field and exc.field != "$" else "")
            raise Problem(422, "invalid-field", exc.message, field=field) from None
        return await _judge(service, receipt, given.digest, given.metadata, own=False)
    if given.leaf is not None:
        leaf = Leaf.from_hex(given.leaf, "leaf")
        document = await service.lookup(load_in, leaf)
        return await _judge_own(service, document, given.digest, given.metadata)
    if given.digest is None:
        raise Problem(
            422,
            "invalid-field",
            "give a receipt, a leaf, or a digest (or file), with the issuer's address if known",
            field="digest",
        )
    if given.issuer is None:
        return await _judge_every(service, given.digest)
    issuer = to_checksum_address(given.issuer, "issuer")
    ask: Ask = (given.digest, issuer, given.metadata)
    found = await service.lookup_together(documents_for, ask)
    if found is None:
        return _not_found(given.digest, issuer)
    document, check_metadata = found
    metadata = given.metadata if check_metadata else None
    return await _judge_own(service, document, given.digest, metadata)


async def _judge_every(service: ServiceState, digest: Digest) -> VerificationListOut:
    """Every document notarised with `digest`, each judged on its own (their checks share
    the JSON-RPC batches in flight)."""
    documents = await service.lookup(documents_with_digest, digest)
    results = await asyncio.gather(*(_judge_own(service, d, digest, None) for d in documents))
    out = VerificationListOut(
        digest=digest.hex, count=len(results), results=results, checkedAt=_now()
    )
    if not results:
        out.verdict = Verdict.INVALID.value
        out.detail = f"{STEP_DIGEST}: no document with digest {digest} was notarised here"
    return out


async def _judge_own(
    service: ServiceState,
    document: StoredDocument,
    digest: Digest | None,
    metadata: Mapping[str, Any] | None,
) -> VerificationOut:
    """Judge the receipt this service signs from its own records."""
    if document.anchor is not None:
        await service.learn_chain_id()  # the receipt names it; asked without blocking
    receipt = service.signed_receipts.of(document, service.receipt_context())
    return await _judge(service, receipt, digest, metadata, own=True)


async def _judge(
    service: ServiceState,
    receipt: Receipt,
    digest: Digest | None,
    metadata: Mapping[str, Any] | None,
    *,
    own: bool,
) -> VerificationOut:
    """`own`: the service signed the receipt from its own records (nothing to check), and
    shows its metadata and the receipt itself only to a caller who gave the digest."""
    examined = examine(
        receipt,
        required_confirmations=service.settings.confirmations,
        digest=digest,
        metadata=metadata,
        public_keys=None if own else {k.key_id: k.public_key for k in service.keys},
        signed_by=service.service_key.key_id if own else None,
    )
    outcome = await conclude_on_chain(
        examined, service.registry, service.checks, service.known_chain_id
    )
    if outcome.chain is not None and outcome.chain.chain_id is not None:
        service.remember_chain_id(outcome.chain.chain_id)
    out = _out(outcome, service.settings.confirmations)
    if not own:  # the caller holds this receipt already
        out.metadata = _metadata(receipt.metadata)
    elif digest is not None and outcome.possessed:
        out.metadata = _metadata(receipt.metadata)
        out.receipt = receipt.to_dict()
    else:
        out.metadata = public_view(receipt.metadata)
    return out


def _metadata(metadata: Mapping[str, Any] | None) -> dict[str, Any] | None:
    return None if metadata is None else dict(metadata)


def _out(outcome: Outcome, required_confirmations: int) -> VerificationOut:
    """The engine's outcome form, with the receipt's proof part; metadata and receipt are
    the caller's to fill in (what its possession allows)."""
    fields = outcome_json(outcome, required_confirmations=required_confirmations)
    chain = fields.pop("chain")
    steps = [StepOut.model_construct(**step) for step in fields.pop("steps")]
    return VerificationOut.model_construct(
        **fields,
        steps=steps,
        chain=None if chain is None else ChainFactsOut.model_construct(**chain),
        checkedAt=_now(),
        proof=_proof(outcome.inclusion.receipt),
        metadata=None,
        receipt=None,
    )


def _proof(receipt: Receipt) -> ProofOut:
    """The receipt's proof part: values, leaf, proof, root, anchor and the issuer's signature
    (no metadata)."""
    a, signed = receipt.anchor, receipt.issuer_signature
    return ProofOut.model_construct(
        leafEncoding=list(LEAF_ENCODING),
        values=receipt.values.to_hex(),
        leaf=receipt.leaf.hex,
        proof=None if receipt.proof is None else ["0x" + p.hex() for p in receipt.proof],
        root=None if receipt.root is None else receipt.root.hex,
        issuerSignature=None if signed is None else issuer_signature_json(signed),
        anchor=None
        if a is None
        else AnchorOut.model_construct(
            chain=a.chain,
            chainId=a.chain_id,
            contract=a.contract,
            txHash=a.tx_hash.hex,
            blockNumber=a.block_number,
            blockHash=a.block_hash.hex,
            timestamp=a.timestamp,
        ),
    )


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _not_found(digest: Digest, issuer: str) -> VerificationOut:
    detail = f"no document with digest {digest} was notarised by {issuer} at this service"
    return VerificationOut(
        verdict=Verdict.INVALID.value,
        detail=f"{STEP_DIGEST}: {detail}",
        failedStep=STEP_DIGEST,
        steps=[StepOut(name=STEP_DIGEST, ok=False, skipped=False, detail=detail)],
        issuer=issuer,
        checkedAt=_now(),
    )
