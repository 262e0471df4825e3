"""RFC 9457 problem responses: one exception type and one handler for every error we raise.

Every error leaves as `application/problem+json` with a stable `type`
(`urn:notary:problem:<slug>`), a human `title`, the `status`, a `detail` and, for bad
input, the offending `field`. The NotaryError tree is mapped here and nowhere else.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from functools import cache
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, Response

from notary.chain.errors import ChainError
from notary.core.errors import FormatError, NotaryError, VerificationError
from notary.pipeline.issuers import IssuerExists, NotFailed, RegistrationFailed
from notary.pipeline.revocations import NotYourDocument
from notary.store.errors import DocumentNotFound, DocumentPending, UnknownIssuer

PROBLEM_JSON = "application/problem+json"
TYPE_PREFIX = "urn:notary:problem:"
MAX_INSTANCE_CHARS = 200
"""Longest request path echoed whole in `instance`; a longer one is cut and ends in "…"."""
log = logging.getLogger("notary.api")

TITLES: Mapping[str, str] = {
    "malformed-request": "The request body could not be parsed",
    "invalid-field": "A field has an invalid value",
    "unauthenticated": "An API key is required",
    "forbidden": "This API key may not do that",
    "not-found": "Not found",
    "document-not-found": "No such document",
    "issuer-not-found": "No such issuer",
    "issuer-deactivated": "The issuer is deactivated",
    "document-pending": "The document is not sealed into a batch yet",
    "conflict": "The request conflicts with the current state",
    "issuer-exists": "The issuer is already registered",
    "issuer-not-registered": "The issuer's registration on the blockchain failed",
    "idempotency-key-reused": "The Idempotency-Key was used for a different request",
    "payload-too-large": "The request body is too large",
    "unsupported-media-type": "Unsupported content type",
    "method-not-allowed": "Method not allowed",
    "not-acceptable": "Not acceptable",
    "rate-limited": "Too many requests",
    "chain-unavailable": "The chain could not be reached",
    "database-unavailable": "The database could not be reached",
    "internal": "Internal error",
}


class Problem(Exception):
    """An error response: raise it anywhere in a handler or dependency."""

    def __init__(
        self,
        status: int,
        slug: str,
        detail: str,
        *,
        field: str | None = None,
        headers: Mapping[str, str] | None = None,
        errors: list[dict[str, str]] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.slug = slug
        self.detail = detail
        self.field = field
        self.headers = dict(headers or {})
        self.errors = errors

    def body(self, instance: str | None = None) -> dict[str, Any]:
        """The problem document."""
        out: dict[str, Any] = {
            "type": TYPE_PREFIX + self.slug,
            "title": TITLES.get(self.slug, self.slug.replace("-", " ").capitalize()),
            "status": self.status,
            "detail": self.detail,
        }
        if self.field is not None:
            out["field"] = self.field
        if self.errors:
            out["errors"] = self.errors
        if instance:
            out["instance"] = bounded(instance)
        return out

    def response(self, instance: str | None = None) -> JSONResponse:
        """The problem as a response."""
        return JSONResponse(
            self.body(instance), self.status, headers=self.headers, media_type=PROBLEM_JSON
        )


def bounded(path: str) -> str:
    """`path` as echoed in a problem: whole up to MAX_INSTANCE_CHARS, else cut with "…"."""
    if len(path) <= MAX_INSTANCE_CHARS:
        return path
    return path[:MAX_INSTANCE_CHARS] + "…"


def allowed_methods(openapi: Mapping[str, Any], path: str) -> str:
    """Every method the OpenAPI document declares at `path`, for a 405's `Allow`.

    Starlette names only the methods of the first route whose path matched, so a path
    served by several routes (GET and POST /v1/issuers) lost all but one; the document
    lists them all, and it is what clients read.
    """
    methods = {
        method.upper()
        for template, item in openapi.get("paths", {}).items()
        if _template_pattern(template).fullmatch(path)
        for method in item
        if method in _HTTP_METHODS
    }
    return ", ".join(sorted(methods))


_HTTP_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})


@cache
def _template_pattern(template: str) -> re.Pattern[str]:
    """`/v1/issuers/{address}/keys` as a pattern: each parameter one path segment."""
    return re.compile("[^/]+".join(re.escape(part) for part in re.split(r"\{[^}]*\}", template)))


def from_error(exc: NotaryError) -> Problem:
    """Map the NotaryError tree to problems (the one place that does)."""
    if isinstance(exc, FormatError):
        # "$" is the whole body: it did not parse at all, so 400; a bad field is 422.
        if exc.field == "$":
            return Problem(400, "malformed-request", exc.message, field="$")
        return Problem(422, "invalid-field", exc.message, field=exc.field)
    if isinstance(exc, DocumentNotFound):
        return Problem(404, "document-not-found", str(exc), field="leaf")
    if isinstance(exc, NotYourDocument):
        return Problem(404, "document-not-found", "no such document for this issuer", field="leaf")
    if isinstance(exc, UnknownIssuer):
        if exc.deactivated:
            return Problem(403, "issuer-deactivated", exc.diagnostics())
        return Problem(404, "issuer-not-found", str(exc), field="address")
    if isinstance(exc, DocumentPending):
        return Problem(409, "document-pending", exc.diagnostics())
    if isinstance(exc, IssuerExists):
        return Problem(409, "issuer-exists", str(exc), field="address")
    if isinstance(exc, RegistrationFailed):
        return Problem(403, "issuer-not-registered", exc.diagnostics())
    if isinstance(exc, NotFailed):
        return Problem(409, "conflict", str(exc), field="address")
    if isinstance(exc, ChainError):
        return Problem(503, "chain-unavailable", exc.diagnostics(), headers={"Retry-After": "5"})
    if isinstance(exc, VerificationError):
        return Problem(422, "invalid-field", str(exc))
    return Problem(400, "conflict" if isinstance(exc, LookupError) else "invalid-field", str(exc))


_STATUS_SLUGS = {
    400: "malformed-request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    406: "not-acceptable",
    409: "conflict",
    413: "payload-too-large",
    415: "unsupported-media-type",
    422: "invalid-field",
    429: "rate-limited",
}


def install(app: FastAPI) -> None:
    """Register the handlers that turn every error into problem+json."""

    async def on_problem(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, Problem)
        return exc.response(request.url.path)

    async def on_notary(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, NotaryError)
        return from_error(exc).response(request.url.path)

    async def on_validation(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        errors = [
            {"field": _loc(e.get("loc", ())), "message": str(e.get("msg", ""))}
            for e in exc.errors()
        ]
        first = errors[0] if errors else {"field": "", "message": "invalid request"}
        problem = Problem(
            422, "invalid-field", first["message"], field=first["field"], errors=errors
        )
        return problem.response(request.url.path)

    async def on_http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        slug = _STATUS_SLUGS.get(exc.status_code, "internal")
        detail = str(exc.detail) if exc.detail else TITLES.get(slug, "error")
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            path = request.scope["path"].removeprefix(request.scope.get("root_path", ""))
            allow = allowed_methods(app.openapi(), path)
            if allow:  # else a path outside the document (a page): Starlette's Allow stands
                headers["Allow"] = allow
        problem = Problem(exc.status_code, slug, detail, headers=headers)
        return problem.response(request.url.path)

    async def on_database(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, OperationalError)
        # The driver's message may name hosts and users; the type is enough to act on.
        log.warning(
            "database unavailable on %s %s: %s",
            request.method,
            request.url.path,
            type(exc.orig).__name__,
        )
        problem = Problem(
            503,
            "database-unavailable",
            "the database could not be reached; retry shortly",
            headers={"Retry-After": "1"},
        )
        return problem.response(request.url.path)

    async def on_unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        problem = Problem(500, "internal", "an unexpected error occurred; it was logged")
        return problem.response(request.url.path)

    app.add_exception_handler(Problem, on_problem)
    app.add_exception_handler(NotaryError, on_notary)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(OperationalError, on_database)
    app.add_exception_handler(Exception, on_unexpected)


def _loc(loc: Any) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    out = ""
    for part in parts:
        out += f"[{part}]" if part.isdigit() else (f".{part}" if out else part)
    return out or "$"
