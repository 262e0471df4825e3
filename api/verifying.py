"""Verification requests: find what to verify (a receipt, a leaf, a digest) and judge it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, select

from api.problems import Problem
from api.schemas.verify import StepOut, VerificationOut
from api.state import ServiceState
from notary.core.errors import FormatError
from notary.core.metadata import SALT_FIELD, canonical_json, metadata_digest
from notary.core.receipts import Receipt
from notary.core.types import Digest, Leaf, to_checksum_address
from notary.core.verify import STEP_DIGEST, Verdict
from notary.pipeline.accept import dedup_key
from notary.pipeline.receipts import load_document, receipt_of
from notary.store.models import Document
from notary.verification import Outcome, verify_on_chain

_DOCS = cast(Table, Document.__table__)
MAX_CANDIDATES = 100


@dataclass(frozen=True)
class VerifyInput:
    """What the caller gave, already parsed."""

    receipt: Mapping[str, Any] | None = None
    leaf: str | None = None
    digest: Digest | None = None
    issuer: str | None = None
    metadata: Mapping[str, Any] | None = None


def run(service: ServiceState, given: VerifyInput) -> VerificationOut:
    """The verdict and every step for one request."""
    if given.receipt is not None:
        try:
            receipt = Receipt.from_dict(given.receipt)
        except FormatError as exc:
            field = "receipt" + (f".{exc.field}" if exc.field and exc.field != "$" else "")
            raise Problem(422, "invalid-field", exc.message, field=field) from None
        return _judge(service, receipt, given.digest, given.metadata, echo=False)
    if given.leaf is not None:
        leaf = Leaf.from_hex(given.leaf, "leaf")
        receipt = receipt_of(load_document(service.store, leaf), service.receipt_context())
        return _judge(service, receipt, given.digest, given.metadata, echo=True)
    if given.digest is None or given.issuer is None:
        raise Problem(
            422,
            "invalid-field",
            "give a receipt, a leaf, or a digest (or file) with the issuer's address",
            field="issuer" if given.digest is not None else "digest",
        )
    issuer = to_checksum_address(given.issuer, "issuer")
    found = _find(service, given.digest, issuer, given.metadata)
    if found is None:
        return _not_found(given.digest, issuer)
    leaf, check_metadata = found
    receipt = receipt_of(load_document(service.store, leaf), service.receipt_context())
    metadata = given.metadata if check_metadata else None
    return _judge(service, receipt, given.digest, metadata, echo=True)


def _find(
    service: ServiceState, digest: Digest, issuer: str, metadata: Mapping[str, Any] | None
) -> tuple[Leaf, bool] | None:
    """The leaf notarised for (digest, issuer[, metadata]); True if the metadata is checkable."""
    with service.store.read() as conn:
        rows = conn.execute(
            select(_DOCS.c.leaf, _DOCS.c.metadata_digest, _DOCS.c.dedup_key, _DOCS.c.metadata_json)
            .where(_DOCS.c.digest == digest.raw, _DOCS.c.issuer_address == issuer)
            .order_by(_DOCS.c.id)
            .limit(MAX_CANDIDATES)
        ).all()
    if not rows:
        return None
    if metadata is not None:
        if SALT_FIELD in metadata:  # the full salted metadata: the receipt's digest must match
            wanted = metadata_digest(metadata).raw
            match = [r for r in rows if r.metadata_digest == wanted]
            return (Leaf(match[0].leaf), True) if match else (Leaf(rows[0].leaf), True)
        key = dedup_key(issuer, digest, canonical_json(dict(metadata)))
        match = [r for r in rows if r.dedup_key == key]
        if not match:
            raise Problem(
                422,
                "invalid-field",
                "this issuer notarised the digest, but with other metadata",
                field="metadata",
            )
        return Leaf(match[0].leaf), False
    bare = [r for r in rows if r.metadata_json is None]
    if bare or len(rows) == 1:
        return Leaf((bare or rows)[0].leaf), False
    raise Problem(
        422,
        "invalid-field",
        f"the issuer notarised this digest {len(rows)} times with different metadata: "
        "send the metadata (or the receipt) to choose",
        field="metadata",
    )


def _judge(
    service: ServiceState,
    receipt: Receipt,
    digest: Digest | None,
    metadata: Mapping[str, Any] | None,
    *,
    echo: bool,
) -> VerificationOut:
    outcome = verify_on_chain(
        receipt,
        service.registry,
        required_confirmations=service.settings.confirmations,
        digest=digest,
        metadata=metadata,
        public_keys={k.key_id: k.public_key for k in service.keys},
        chain_id=service.known_chain_id,
    )
    if outcome.chain is not None and outcome.chain.chain_id is not None:
        service.remember_chain_id(outcome.chain.chain_id)
    return _out(outcome, receipt if echo else None)


def _out(outcome: Outcome, echo: Receipt | None) -> VerificationOut:
    j = outcome.judgement
    receipt = outcome.inclusion.receipt
    return VerificationOut(
        verdict=j.verdict.value,
        detail=j.detail,
        failedStep=j.failed_step.name if j.failed_step else None,
        steps=[
            StepOut(name=s.name, ok=s.ok, skipped=s.skipped, detail=s.detail)
            for s in outcome.inclusion.steps
        ],
        leaf=receipt.leaf.hex,
        issuer=receipt.issuer.address,
        issuerName=receipt.issuer.name,
        confirmations=j.confirmations,
        anchoredAt=j.anchored_at,
        revokedAt=j.revoked_at,
        revocationReason=j.revocation_reason,
        notes=list(j.notes),
        checkedAt=dt.datetime.now(dt.UTC),
        receipt=echo.to_dict() if echo is not None else None,
    )


def _not_found(digest: Digest, issuer: str) -> VerificationOut:
    detail = f"no document with digest {digest} was notarised by {issuer} at this service"
    return VerificationOut(
        verdict=Verdict.INVALID.value,
        detail=f"{STEP_DIGEST}: {detail}",
        failedStep=STEP_DIGEST,
        steps=[StepOut(name=STEP_DIGEST, ok=False, skipped=False, detail=detail)],
        issuer=issuer,
        checkedAt=dt.datetime.now(dt.UTC),
    )
