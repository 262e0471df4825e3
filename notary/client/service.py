"""A client of the notary service's HTTP API: one pooled connection set, plain errors.

Every failure is a `ServiceError` whose message says what went wrong; the service's
RFC 9457 problem documents are read for their `detail` and `field`. Requests refused with
429 (the per-key rate limit) or 503 are retried after the service's `Retry-After`, a few
times, so a long run of submissions rides out a busy service.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx2

from notary.core.errors import NotaryError

RETRIES = 8
MAX_RETRY_WAIT_S = 10.0
DEFAULT_TIMEOUT_S = 120.0
"""A bulk request of 10,000 documents is answered quickly; a long timeout only matters
for a service that is stuck, and then the caller sees it fail eventually."""


class ServiceError(NotaryError):
    """The service did not do what was asked. `caller_error`: the request itself was
    wrong (change it rather than send it again)."""

    caller_error = False


class ServiceUnreachable(ServiceError):
    """The notary service did not answer at all."""

    def __init__(self, url: str, cause: str) -> None:
        super().__init__(f"cannot reach the notary service at {url} ({cause})")
        self.url = url


class WrongKey(ServiceError):
    """The service refused the API key (401) or the key may not do this (403)."""

    def __init__(self, status: int, detail: str, admin: bool) -> None:
        super().__init__(f"the service refused the API key ({status}: {detail})")
        self.status = status
        self.admin = admin


class ServiceRefused(ServiceError):
    """The service answered with a problem other than authentication."""

    def __init__(self, status: int, problem: Mapping[str, Any]) -> None:
        detail = problem.get("detail") or problem.get("title") or "no detail"
        field = problem.get("field")
        where = f" (field `{field}`)" if field else ""
        super().__init__(f"the service refused the request: {status} {detail}{where}")
        self.status = status
        self.problem = dict(problem)
        self.caller_error = 400 <= status < 500 and status not in (404, 409, 429)


class NotFound(ServiceRefused):
    """The service has no such resource (404)."""


@dataclass
class Client:
    """A client of one notary service; `http` may be any httpx2 client (a TestClient too).
    `admin`: the key is the service's admin key (said when it is refused)."""

    base_url: str
    api_key: str | None = None
    http: httpx2.Client | None = None
    admin: bool = False

    def __post_init__(self) -> None:
        self.base_url = self.base_url.rstrip("/")
        self._owned = self.http is None
        if self.http is None:
            # Several requests in flight share kept-alive connections (one per thread).
            limits = httpx2.Limits(max_connections=32, max_keepalive_connections=32)
            self.http = httpx2.Client(timeout=DEFAULT_TIMEOUT_S, limits=limits)

    def close(self) -> None:
        """Close the connections this client opened."""
        if self._owned and self.http is not None:
            self.http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def request(
        self, method: str, path: str, *, json: Any = None, content: bytes | None = None
    ) -> httpx2.Response:
        """Send a request; the response if it succeeded, else the matching ServiceError."""
        assert self.http is not None
        headers = {"Accept": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        if content is not None:
            headers["Content-Type"] = "application/json"
        url = self.base_url + path
        for attempt in range(RETRIES + 1):
            try:
                response = self.http.request(
                    method, url, json=json, content=content, headers=headers
                )
            except httpx2.TransportError as exc:
                raise ServiceUnreachable(self.base_url, _cause(exc)) from None
            if response.status_code in (429, 503) and attempt < RETRIES:
                time.sleep(_retry_after(response, attempt))
                continue
            if response.status_code >= 400:
                raise self._error(response)
            return response
        raise AssertionError("unreachable: the last attempt returns or raises")

    def get_json(self, path: str) -> Any:
        """GET a JSON document."""
        return self.request("GET", path).json()

    def post_json(self, path: str, body: Any = None) -> Any:
        """POST a JSON body; the JSON answer."""
        return self.request("POST", path, json=body).json()

    def _error(self, response: httpx2.Response) -> ServiceError:
        status = response.status_code
        try:
            problem = response.json()
        except ValueError:
            problem = {}
        if not isinstance(problem, dict):
            problem = {}
        if status in (401, 403):
            return WrongKey(status, str(problem.get("detail", response.reason_phrase)), self.admin)
        if status == 404:
            return NotFound(status, problem)
        return ServiceRefused(status, problem)

    # The resources integrators and the command line use most.

    def submit_bulk(
        self, items: Sequence[Mapping[str, Any]], signed: Mapping[str, str] | None = None
    ) -> list[dict[str, Any]]:
        """POST /v1/documents:bulk (with a signed submission's fields); one answer per
        item, in order."""
        answer = self.post_json("/v1/documents:bulk", {"documents": list(items), **(signed or {})})
        documents: list[dict[str, Any]] = answer["documents"]
        return documents

    def receipts(self, leaves: Sequence[str]) -> list[dict[str, Any]]:
        """POST /v1/documents:receipts: each leaf's current receipt, in order."""
        answer = self.post_json("/v1/documents:receipts", {"leaves": list(leaves)})
        receipts: list[dict[str, Any]] = answer["receipts"]
        return receipts

    def document(self, leaf: str) -> dict[str, Any]:
        """GET /v1/documents/{leaf}: status, batch, anchor, revocation and links."""
        answer: dict[str, Any] = self.get_json(f"/v1/documents/{leaf}")
        return answer


def _retry_after(response: httpx2.Response, attempt: int) -> float:
    header = response.headers.get("Retry-After", "")
    try:
        wait = float(header)
    except ValueError:
        wait = 0.1 * 2**attempt
    return min(max(wait, 0.05), MAX_RETRY_WAIT_S)


def _cause(exc: httpx2.TransportError) -> str:
    if isinstance(exc, httpx2.ConnectError):
        return "connection refused or host unknown"
    if isinstance(exc, httpx2.TimeoutException):
        return "timed out"
    return type(exc).__name__
