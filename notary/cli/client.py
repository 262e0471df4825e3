"""The notary service's HTTP API as the command line uses it: one pooled client, plain errors.

Every failure becomes a `CliError` whose one line says what went wrong and what to do;
the service's RFC 9457 problem documents are read for their `detail` and `field`.
Requests refused with 429 (the per-key rate limit) or 503 are retried after the
service's `Retry-After`, a few times, so a long `notary stamp` rides out a busy service.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2

from notary.config import Settings
from notary.core.errors import NotaryError

EXIT_USAGE = 2
EXIT_FAILED = 4
"""Exit codes of errors: 2 the input or the usage is wrong, 4 an operation could not be done."""
API_KEY_ENV = "NOTARY_API_KEY"
ADMIN_KEY_FILE = "admin-api.key"
"""Where `make run` leaves the local admin key, in NOTARY_DATA_DIR/keys (see notary/safety.py)."""
RETRIES = 8
MAX_RETRY_WAIT_S = 10.0
DEFAULT_TIMEOUT_S = 120.0
"""A bulk request of 10,000 documents is answered in well under a second; a long timeout
only matters for a service that is stuck, and then the user sees it fail eventually."""


class CliError(NotaryError):
    """An error the command line reports as one line with its own exit code."""

    exit_code = EXIT_FAILED


class UsageError(CliError):
    """The command was given something it cannot use."""

    exit_code = EXIT_USAGE


class ServiceUnreachable(CliError):
    """The notary service did not answer at all."""

    def __init__(self, url: str, cause: str) -> None:
        super().__init__(
            f"cannot reach the notary service at {url} ({cause}): start it "
            "(`make run` or `notary serve`) or pass --server URL"
        )


class WrongKey(CliError):
    """The service refused the API key (401) or the key may not do this (403)."""

    def __init__(self, status: int, detail: str, admin: bool) -> None:
        which = (
            "the admin key (NOTARY_ADMIN_KEY, or --api-key-file)"
            if admin
            else f"an issuer's API key ({API_KEY_ENV}, or --api-key-file)"
        )
        super().__init__(f"the service refused the API key ({status}: {detail}): give {which}")


class ServiceRefused(CliError):
    """The service answered with a problem other than authentication."""

    def __init__(self, status: int, problem: Mapping[str, Any]) -> None:
        detail = problem.get("detail") or problem.get("title") or "no detail"
        field = problem.get("field")
        where = f" (field `{field}`)" if field else ""
        super().__init__(f"the service refused the request: {status} {detail}{where}")
        self.status = status
        self.problem = dict(problem)
        if 400 <= status < 500 and status not in (404, 409, 429):
            self.exit_code = EXIT_USAGE


class NotFound(ServiceRefused):
    """The service has no such resource (404)."""


def read_api_key(key_file: Path | None, *, admin: bool = False) -> str | None:
    """The API key: from `key_file`, else NOTARY_API_KEY (or NOTARY_ADMIN_KEY for admin)."""
    if key_file is not None:
        try:
            key = key_file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise UsageError(f"cannot read the API key file {key_file}: {exc.strerror}") from None
        if not key:
            raise UsageError(f"the API key file {key_file} is empty")
        return key
    names = ("NOTARY_ADMIN_KEY",) if admin else (API_KEY_ENV,)
    for name in names:
        value = os.environ.get(name, "").strip()
        if value:
            return value
    return None


@dataclass
class Service:
    """A client of one notary service; `http` may be any httpx2 client (a TestClient too)."""

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

    def __enter__(self) -> Service:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def request(
        self, method: str, path: str, *, json: Any = None, content: bytes | None = None
    ) -> httpx2.Response:
        """Send a request; the response if it succeeded, else the matching CliError."""
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

    def _error(self, response: httpx2.Response) -> CliError:
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

    # The resources the commands use.

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


SERVER_ENV = "NOTARY_SERVER"


def add_service_options(parser: argparse.ArgumentParser, *, admin: bool = False) -> None:
    """--server and --api-key-file, the options of every command that calls the service."""
    parser.add_argument(
        "--server",
        metavar="URL",
        help=f"the notary service (default ${SERVER_ENV}, else NOTARY_PUBLIC_URL or "
        "http://NOTARY_HOST:NOTARY_PORT)",
    )
    who = (
        "the admin key (default NOTARY_ADMIN_KEY, else the local data dir's)"
        if admin
        else (f"an issuer's API key (default ${API_KEY_ENV})")
    )
    parser.add_argument("--api-key-file", type=Path, metavar="FILE", help=f"a file holding {who}")


def service_from(args: argparse.Namespace, *, admin: bool = False) -> Service:
    """The Service named by the command's options (and the test client main() was given)."""
    settings = Settings()
    server = args.server or os.environ.get(SERVER_ENV) or settings.base_url
    key = read_api_key(args.api_key_file, admin=admin)
    if key is None and admin:
        local = settings.keys_dir / ADMIN_KEY_FILE  # what `make run` created
        if local.is_file():
            key = local.read_text(encoding="utf-8").strip()
    if key is None:
        where = (
            "NOTARY_ADMIN_KEY or --api-key-file" if admin else f"{API_KEY_ENV} or --api-key-file"
        )
        raise UsageError(f"no API key: set {where}")
    return Service(server, key, http=getattr(args, "http", None), admin=admin)


def prompt_if_terminal() -> Callable[[str], str] | None:
    """getpass when a person is at the terminal; None in services and pipes."""
    return getpass.getpass if sys.stdin.isatty() else None
