"""Turning stored records and receipts into API schemas, and parsing shared inputs."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from api.problems import Problem
from api.schemas.common import Links
from api.schemas.documents import (
    AnchorOut,
    BatchRef,
    DocumentOut,
    IssuerRef,
    RevocationOut,
)
from api.state import ServiceState
from notary.core.errors import FormatError
from notary.core.metadata import parse_json
from notary.core.receipts import Receipt
from notary.core.types import Leaf
from notary.pipeline.receipts import StoredDocument
from notary.store.records import DocumentRecord

M = TypeVar("M", bound=BaseModel)


def validate(model: type[M], data: Any) -> M:
    """Validate parsed JSON as `model`; 422 naming every bad field."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = [
            {"field": _path(e["loc"]), "message": e["msg"]} for e in exc.errors(include_url=False)
        ]
        first = errors[0]
        raise Problem(
            422, "invalid-field", first["message"], field=first["field"], errors=errors
        ) from None


def parse_object(text: str | bytes, field: str) -> dict[str, Any]:
    """A JSON object from a body or a form field; 400/422 naming `field` otherwise."""
    try:
        value = parse_json(text)
    except FormatError as exc:
        raise Problem(
            400 if field == "$" else 422,
            "malformed-request" if field == "$" else "invalid-field",
            exc.message,
            field=field,
        ) from None
    if not isinstance(value, dict):
        raise Problem(422, "invalid-field", "expected a JSON object", field=field)
    return value


def parse_leaf(text: str) -> Leaf:
    """A leaf from a path parameter."""
    return Leaf.from_hex(text.lower() if text.startswith("0x") else text, "leaf")


def links(service: ServiceState, leaf: Leaf) -> Links:
    """The document's URLs; `verify` is the (browser) verification page."""
    base = f"/v1/documents/{leaf.hex}"
    return Links(
        self=service.url(base),
        receipt=service.url(base + "/receipt"),
        verify=service.url(f"/v/{leaf.hex}"),
        qrSvg=service.url(base + "/qr.svg"),
        qrPng=service.url(base + "/qr.png"),
    )


def record_out(
    service: ServiceState,
    record: DocumentRecord,
    issuer_name: str,
    receipt: Receipt | None,
    created: bool | None = None,
) -> DocumentOut:
    """A freshly stored record (no batch yet) as the API shows it."""
    return DocumentOut(
        leaf=record.leaf.hex,
        status=record.status,  # type: ignore[arg-type]
        created=created,
        digest=record.digest.hex,
        issuer=IssuerRef(address=record.issuer, name=issuer_name),
        metadataDigest=record.metadata_digest.hex,
        metadata=record.metadata,
        acceptedAt=record.created_at,
        receipt=receipt.to_dict() if receipt is not None else None,
        links=links(service, record.leaf),
    )


def document_out(
    service: ServiceState,
    doc: StoredDocument,
    receipt: Receipt | None,
    created: bool | None = None,
) -> DocumentOut:
    """A stored document with its batch, anchor and revocation."""
    out = record_out(service, doc.record, doc.issuer_name, receipt, created)
    record = doc.record
    if record.batch_id is not None:
        out.batch = BatchRef(
            id=record.batch_id,
            state=doc.batch_state or "sealed",
            url=service.url(f"/v1/batches/{record.batch_id}"),
        )
    if doc.anchor is not None:
        a = doc.anchor
        out.anchor = AnchorOut(
            state=a.state,  # type: ignore[arg-type]
            txHash="0x" + a.tx_hash.hex(),
            blockNumber=a.block_number,
            blockHash="0x" + a.block_hash.hex(),
            timestamp=a.timestamp,
        )
    if doc.revocation_state is not None:
        out.revocation = RevocationOut(
            leaf=record.leaf.hex,
            state=doc.revocation_state,  # type: ignore[arg-type]
            reason=doc.revocation_reason or 0,
        )
    return out


def dump(model: BaseModel) -> dict[str, Any]:
    """JSON-ready dict without null members."""
    return model.model_dump(mode="json", exclude_none=True)


def _path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "$"
