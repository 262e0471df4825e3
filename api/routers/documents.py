"""`POST /v1/documents` and `POST /v1/documents:bulk`: notarising documents."""

from __future__ import annotations

import hashlib
from typing import Annotated, Any

from fastapi import APIRouter, Header, Request
from starlette.responses import JSONResponse

from api.deps import IssuerDep, ServiceDep
from api.idempotency import MAX_KEY_LENGTH, Remembered
from api.openapi import body
from api.problems import Problem
from api.schemas.common import ADDRESS, ADDRESS_FORMAT, HEX32, problems
from api.schemas.documents import (
    ISSUER_TEXT,
    LEAVES_ROOT_TEXT,
    SIGNATURE_TEXT,
    BulkOut,
    BulkSubmission,
    DocumentOut,
    DocumentSubmission,
    SingleSubmission,
)
from api.signing import SignatureClaim, checked_signature, with_newer_keys
from api.state import ServiceState
from api.uploads import (
    FORM_TYPE,
    JSON_TYPE,
    media_type,
    read_body,
    read_form,
    require_content,
    unsupported,
)
from api.views import document_out, dump, parse_object, record_out, validate
from notary.core.disclosure import with_public
from notary.core.errors import FormatError
from notary.core.metadata import json_document_digest, parse_json_with_items
from notary.core.types import Digest
from notary.pipeline.accept import MAX_BULK_DOCUMENTS, DocumentInput, accept_many
from notary.pipeline.receipts import SignedBy, load_document, pending_receipt, receipt_of
from notary.pipeline.submissions import SIGNATURE_PATTERN, SubmissionSignature, UnknownSigner
from notary.util.memory import gc_paused

router = APIRouter(tags=["documents"])
MAX_JSON_SUBMISSION_BYTES = 1 << 20
"""Largest JSON body of one submission (a structured certificate inline, its metadata and
signature); a larger document goes as a file, which is hashed while it streams."""
MAX_BULK_ITEM_CHARS = 256 * 1024
"""Largest document of a bulk body, as JSON text (metadata is at most 16 KiB)."""
UPLOAD_FORM = {
    "type": "object",
    "required": ["file"],
    "additionalProperties": False,
    "properties": {
        "file": {
            "type": "string",
            "format": "binary",
            "minLength": 1,
            "description": "the document (hashed); an empty file proves nothing and is refused",
        },
        "metadata": {
            "type": "string",
            "description": "a JSON object",
            "example": '{"documentType": "environmental-permit", "product": "wastewater"}',
        },
        "public": {
            "type": "string",
            "description": "comma-separated metadata fields a public verification may show",
            "example": "documentType,product",
        },
        "signature": {
            "type": "string",
            "pattern": SIGNATURE_PATTERN,
            "description": SIGNATURE_TEXT,
        },
        "leavesRoot": {"type": "string", "pattern": HEX32, "description": LEAVES_ROOT_TEXT},
        "issuer": {
            "type": "string",
            "pattern": ADDRESS,
            "format": ADDRESS_FORMAT,
            "description": ISSUER_TEXT,
        },
    },
}
_SIGNATURE_FIELDS = ("signature", "leavesRoot", "issuer")
_FORM_FIELDS = frozenset({"metadata", "public", *_SIGNATURE_FIELDS})
_ACCEPTED = "application/json or multipart/form-data"


@router.post(
    "/documents",
    status_code=202,
    summary="Notarise one document",
    response_model=DocumentOut,
    response_model_exclude_none=True,
    responses={
        200: {"model": DocumentOut, "description": "The same document was notarised before"},
        **problems(400, 401, 403, 413, 415, 422, 429, 503),
    },
    openapi_extra=body(SingleSubmission, UPLOAD_FORM),
)
async def notarise(
    request: Request,
    service: ServiceDep,
    issuer: IssuerDep,
    idempotency_key: Annotated[
        str | None, Header(alias="Idempotency-Key", max_length=MAX_KEY_LENGTH)
    ] = None,
) -> JSONResponse:
    """Notarise a document by digest (JSON) or by upload (multipart, hashed while streaming).

    202 with the pending receipt for a new document; 200 with the existing record when the
    same document (same digest and metadata) was notarised before by this issuer.

    An issuer with signing keys on the blockchain signs each submission: `signature` is
    its EIP-712 `Submission(issuer, leavesRoot)` with `leavesRoot` the document's leaf,
    and the metadata carries the issuer's own `salt` (the service cannot add one to what
    was signed). Without a valid signature of a key it has authorised now: 422 naming
    `signature`.
    """
    assert issuer.issuer_address is not None and issuer.issuer_name is not None
    digest, metadata, fingerprint, claim = await _submission(request, service)
    signed = await checked_signature(service, issuer.issuer_address, claim)
    remembered = None
    if idempotency_key is not None:
        remembered = service.idempotency.get(issuer.subject, idempotency_key)
        if remembered is not None and remembered.fingerprint != fingerprint:
            raise Problem(
                422,
                "idempotency-key-reused",
                "this Idempotency-Key was sent before with a different request",
                field="Idempotency-Key",
            )
    assert service.group is not None
    try:
        result = await service.group.accept(
            issuer.issuer_address, DocumentInput(digest, metadata, signed)
        )
    except UnknownSigner:
        newer = (
            None
            if signed is None
            else await with_newer_keys(service, issuer.issuer_address, signed)
        )
        if newer is None:
            raise
        result = await service.group.accept(
            issuer.issuer_address, DocumentInput(digest, metadata, newer)
        )
    ctx = service.receipt_context()
    if result.created:
        service.metrics.inc("notary_documents_accepted_total")
        signed_by = None
        if result.submission is not None:
            signed_by = SignedBy.of(result.submission, result.record.leaf)
        receipt = pending_receipt(result.record, issuer.issuer_name, ctx, signed_by)
        out = record_out(service, result.record, issuer.issuer_name, receipt, created=True)
        status = 202
    else:
        doc = await service.blocking(load_document, service.store, result.record.leaf)
        out = document_out(service, doc, receipt_of(doc, ctx), created=False)
        status = remembered.status if remembered is not None else 200
    if idempotency_key is not None and remembered is None:
        service.idempotency.put(
            issuer.subject, idempotency_key, Remembered(fingerprint, out.leaf, status)
        )
    return JSONResponse(dump(out), status, headers={"Location": out.links.self})


async def _submission(
    request: Request, service: ServiceState
) -> tuple[Digest, dict[str, Any] | None, bytes, SignatureClaim]:
    """The digest, metadata, a fingerprint of the request and its signature fields, from
    either content type."""
    limit = service.settings.max_upload_bytes
    kind = media_type(request)
    if kind == JSON_TYPE:
        raw = await read_body(request, MAX_JSON_SUBMISSION_BYTES)
        sub = validate(SingleSubmission, await service.blocking(parse_object, raw, "$"))
        metadata = with_public(sub.metadata, sub.public)
        claim = SignatureClaim(sub.signature, sub.leavesRoot, sub.issuer)
        return _digest_of(sub, "digest"), metadata, hashlib.sha256(raw).digest(), claim
    if kind == FORM_TYPE:
        form = await read_form(request, limit, keep_dir=service.settings.keep_uploads_dir)
        unknown = set(form.fields) - _FORM_FIELDS
        if unknown:
            raise Problem(422, "invalid-field", "unknown form field", field=sorted(unknown)[0])
        digest = require_content(form)
        text = form.fields.get("metadata")
        metadata = parse_object(text, "metadata") if text else None
        public = form.fields.get("public")
        if public is not None:
            metadata = with_public(metadata, [name.strip() for name in public.split(",")])
        fields = form.fields
        # An empty form field is a field not filled in, as for `metadata`.
        claim = SignatureClaim(*(fields.get(name) or None for name in _SIGNATURE_FIELDS))
        given = "\x00".join(fields.get(name) or "" for name in sorted(_FORM_FIELDS))
        fingerprint = hashlib.sha256(digest.raw + given.encode()).digest()
        return digest, metadata, fingerprint, claim
    raise unsupported(_ACCEPTED)


_ITEM_KEYS = frozenset({"digest", "document", "metadata", "public"})
_BULK_KEYS = frozenset({"documents", "signature", "leavesRoot", "issuer"})


def _bulk_body(raw: bytes) -> dict[str, Any]:
    """A bulk body's JSON object, its documents read one by one and counted as they are."""
    try:
        body = parse_json_with_items(raw, "documents", MAX_BULK_DOCUMENTS, MAX_BULK_ITEM_CHARS)
    except FormatError as exc:
        if exc.field == "$":
            raise Problem(400, "malformed-request", exc.message, field="$") from None
        if exc.field == "documents":
            raise Problem(
                422, "invalid-field", f"at most {MAX_BULK_DOCUMENTS} documents", field="documents"
            ) from None
        raise Problem(422, "invalid-field", exc.message, field=exc.field) from None
    if not isinstance(body, dict):
        raise Problem(422, "invalid-field", "expected a JSON object", field="$")
    return body


def _bulk_claim(body: dict[str, Any]) -> SignatureClaim:
    """The bulk body's signature fields; 422 for a field it may not have."""
    extra = set(body) - _BULK_KEYS
    if extra:
        raise Problem(422, "invalid-field", "unknown field", field=sorted(extra)[0])
    return SignatureClaim(body.get("signature"), body.get("leavesRoot"), body.get("issuer"))


def _bulk_inputs(
    body: dict[str, Any], signed: SubmissionSignature | None = None
) -> list[DocumentInput]:
    """Check a bulk body's documents by hand: pydantic costs more than storing each one."""
    docs = body.get("documents")
    if not isinstance(docs, list):
        raise Problem(422, "invalid-field", "expected an array of documents", field="documents")
    if len(docs) > MAX_BULK_DOCUMENTS:
        raise Problem(
            422, "invalid-field", f"at most {MAX_BULK_DOCUMENTS} documents", field="documents"
        )
    inputs = []
    for i, item in enumerate(docs):
        where = f"documents[{i}]"
        if not _plain_digest_item(item):  # pydantic checks it and names what is wrong
            inputs.append(_digest_input(validate(DocumentSubmission, item), where, signed))
            continue
        metadata = item.get("metadata")
        if metadata is not None and not isinstance(metadata, dict):
            raise Problem(422, "invalid-field", "expected an object", field=f"{where}.metadata")
        if "public" in item:
            metadata = _published(metadata, item["public"], where)
        digest = Digest.parse(item["digest"], f"{where}.digest")
        inputs.append(DocumentInput(digest, metadata, signed))
    return inputs


def _published(metadata: Any, public: Any, where: str) -> Any:
    """`with_public` for one bulk item, errors naming the item."""
    try:
        return with_public(metadata, public)
    except FormatError as exc:
        raise FormatError(f"{where}.{exc.field}", exc.message) from None


def _plain_digest_item(item: object) -> bool:
    """An object with a short string `digest`, optional `metadata` and nothing else."""
    if not isinstance(item, dict) or not item.keys() <= _ITEM_KEYS or "document" in item:
        return False
    digest = item.get("digest")
    return isinstance(digest, str) and len(digest) <= 80


def _digest_input(
    sub: DocumentSubmission, where: str, signed: SubmissionSignature | None
) -> DocumentInput:
    metadata = _published(sub.metadata, sub.public, where)
    return DocumentInput(_digest_of(sub, f"{where}.digest"), metadata, signed)


def _digest_of(sub: DocumentSubmission, field: str) -> Digest:
    if (sub.digest is None) == (sub.document is None):
        raise Problem(
            422, "invalid-field", "give exactly one of `digest` and `document`", field=field
        )
    if sub.document is not None:
        return json_document_digest(sub.document)
    assert sub.digest is not None
    return Digest.parse(sub.digest, field)


@router.post(
    "/documents:bulk",
    status_code=202,
    summary=f"Notarise up to {MAX_BULK_DOCUMENTS:,} documents at once",
    response_model=BulkOut,
    responses={
        200: {"model": BulkOut, "description": "Every document existed already"},
        **problems(400, 401, 403, 413, 415, 422, 429, 503),
    },
    openapi_extra=body(BulkSubmission),
)
async def notarise_bulk(request: Request, service: ServiceDep, issuer: IssuerDep) -> JSONResponse:
    """Notarise many documents in one transaction (all or nothing), receipts fetched later.

    An issuer with signing keys on the blockchain signs the whole submission once:
    `signature` is its EIP-712 `Submission(issuer, leavesRoot)`, where `leavesRoot` is the
    OpenZeppelin StandardMerkleTree root of the documents' leaves, each leaf computed from
    the digest, the issuer and the SHA-256 of the metadata as sent (RFC 8785, with the
    issuer's own `salt`, and `publicFields` when `public` is given). Each receipt carries
    the signature, `leavesRoot` and the document's path to it.
    """
    if media_type(request) != JSON_TYPE:
        raise unsupported(JSON_TYPE)
    raw = await read_body(request, service.settings.max_upload_bytes)
    assert issuer.issuer_address is not None
    # Every document's objects live until the response is rendered; collections in
    # between would walk them (and the heap) for nothing.
    with gc_paused():
        return await _accept_bulk(service, issuer.issuer_address, raw)


async def _accept_bulk(service: ServiceState, issuer: str, raw: bytes) -> JSONResponse:
    """Parse, check and accept a bulk body; the response listing each document."""
    # Off the event loop, and a document at a time: a 50 MiB body read in one piece held
    # the interpreter (and so every other request) for as long as it took.
    body = await service.blocking(_bulk_body, raw)
    signed = await checked_signature(service, issuer, _bulk_claim(body))
    inputs = await service.blocking(_bulk_inputs, body, signed)
    try:
        results = await service.blocking(service.write, accept_many, service.store, issuer, inputs)
    except UnknownSigner:
        newer = None if signed is None else await with_newer_keys(service, issuer, signed)
        if newer is None:
            raise
        inputs = [DocumentInput(d, m, newer) for d, m, _ in inputs]
        results = await service.blocking(service.write, accept_many, service.store, issuer, inputs)
    created = sum(1 for r in results if r.created)
    service.metrics.inc("notary_documents_accepted_total", value=created)
    items = [
        {
            "leaf": r.record.leaf.hex,
            "digest": r.record.digest.hex,
            "status": r.record.status,
            "created": r.created,
        }
        for r in results
    ]
    content: dict[str, Any] = {
        "count": len(results),
        "created": created,
        "existing": len(results) - created,
    }
    checked = next((r.submission for r in results if r.submission is not None), None)
    if checked is not None:
        content["submission"] = {"leavesRoot": checked.leaves_root.hex, "signer": checked.signer}
    content["documents"] = items
    return JSONResponse(content, 202 if created else 200)
