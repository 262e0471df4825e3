"""`POST /v1/verify`: anyone checks a document, a receipt or a leaf (no key, CORS open)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from api.deps import get_service, public_limit
from api.openapi import body
from api.problems import Problem
from api.schemas.common import ADDRESS, ADDRESS_FORMAT, DIGEST_INPUT, HEX32, problems
from api.schemas.verify import VerificationListOut, VerificationOut, VerifyRequest
from api.uploads import (
    FORM_TYPE,
    JSON_TYPE,
    Form,
    media_type,
    read_body,
    read_form,
    unsupported,
)
from api.verifying import VerifyInput, run
from api.views import parse_object, validate
from notary.core.types import Digest

router = APIRouter(tags=["verify"])
MAX_VERIFY_JSON = 256 * 1024
"""A receipt plus metadata (a receipt the service issues is a few kilobytes; its metadata
16 KiB at most): small enough that parsing the largest body holds the interpreter only
briefly."""
VERIFY_FORM = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "file": {"type": "string", "format": "binary", "description": "the document (hashed)"},
        "issuer": {
            "type": "string",
            "pattern": ADDRESS,
            "format": ADDRESS_FORMAT,
            "description": "the issuer's address (without it, every issuer of the file)",
        },
        "leaf": {"type": "string", "pattern": HEX32, "description": "a leaf notarised here"},
        "digest": {
            "type": "string",
            "pattern": DIGEST_INPUT,
            "description": "SHA-256 of the document, instead of the file",
        },
        "metadata": {"type": "string", "description": "metadata JSON object"},
        "receipt": {"type": "string", "minLength": 2, "description": "the receipt JSON"},
    },
    # Something to verify: an empty field counts as absent.
    "anyOf": [{"required": [name]} for name in ("file", "leaf", "digest", "receipt")],
}
_FORM_FIELDS = frozenset({"issuer", "leaf", "digest", "metadata", "receipt"})


@router.post(
    "/verify",
    response_model=VerificationOut | VerificationListOut,
    response_model_exclude_none=True,
    summary="Verify a document, a receipt or a leaf",
    responses=problems(400, 404, 413, 415, 422, 429, 503),
    openapi_extra=body(VerifyRequest, VERIFY_FORM),
)
async def verify(request: Request) -> VerificationOut | VerificationListOut:
    """The verdict (VALID, VALID_PENDING_CONFIRMATIONS, PENDING, REVOKED, INVALID,
    UNVERIFIABLE) and every step, exactly as the core library defines them.

    By receipt (optionally with the document's digest or file to check against it), by
    leaf (optionally with the digest), by digest or uploaded file with the issuer's address
    (and the metadata, when the issuer notarised the same file more than once), or by
    digest or file alone: then the answer lists a verdict for every document notarised
    with that digest, by any issuer (`VerificationListOut`). The issuer's name is the one
    the registry on chain holds whenever the chain answered (`issuerNameSource`).

    What is shown of the metadata: everything (salt included) and the signed receipt to
    a caller who proves possession of the document (its digest or file matched) or of the
    receipt; to anyone else, by leaf alone, only the fields the issuer made public at
    notarisation (`public`), never the salt. Answers from one `eth_call` made
    at the latest block the service saw, which it polls every NOTARY_CHAIN_POLL_INTERVAL
    seconds (0.5 by default) and caches answers for: a revocation shows up within that
    interval, `chainBlock` says which block the answer is as of, and a chain that stops
    answering makes the verdict UNVERIFIABLE once the interval is over. A receipt the
    service builds from its own records (by digest or leaf) is signed by the service, so
    its `signature` step says who signed it rather than checking the signature again.
    """
    # The service and the limit inline, not as FastAPI dependencies: resolving those
    # cost more per request than either of them (the public hot path).
    service = await get_service(request)
    await public_limit(request, service)
    kind = media_type(request)
    # Parsed on a worker thread: a hostile 2 MiB body held the event loop for a third of
    # a second.
    if kind == JSON_TYPE:
        raw = await read_body(request, MAX_VERIFY_JSON)
        given = await service.blocking(_json_input, raw)
    elif kind == FORM_TYPE:
        form = await read_form(request, service.settings.max_upload_bytes)
        given = await service.blocking(_form_input, form)
    else:
        raise unsupported("application/json or multipart/form-data")
    return await run(service, given)


def _json_input(raw: bytes) -> VerifyInput:
    """What a JSON verification request asks."""
    req = validate(VerifyRequest, parse_object(raw, "$"))
    digest = Digest.parse(req.digest, "digest") if req.digest is not None else None
    return VerifyInput(req.receipt, req.leaf, digest, req.issuer, req.metadata)


def _form_input(form: Form) -> VerifyInput:
    """What a multipart verification request asks (a file is hashed as it streamed)."""
    unknown = set(form.fields) - _FORM_FIELDS
    if unknown:
        raise Problem(422, "invalid-field", "unknown form field", field=sorted(unknown)[0])
    fields = form.fields
    for name in ("receipt", "metadata"):
        if len(fields.get(name) or "") > MAX_VERIFY_JSON:
            raise Problem(413, "payload-too-large", f"over {MAX_VERIFY_JSON} bytes", field=name)
    if form.digest is not None and fields.get("digest"):
        raise Problem(422, "invalid-field", "give a file or a digest, not both", field="digest")
    typed = Digest.parse(fields["digest"], "digest") if fields.get("digest") else None
    return VerifyInput(
        parse_object(fields["receipt"], "receipt") if fields.get("receipt") else None,
        fields.get("leaf") or None,
        form.digest or typed,
        fields.get("issuer") or None,
        parse_object(fields["metadata"], "metadata") if fields.get("metadata") else None,
    )
