"""ASGI middleware: request metrics, header limits, and CORS opened for public endpoints only.

Plain ASGI rather than BaseHTTPMiddleware, which costs a task and a memory stream per
request (measurable at a thousand requests a second).
"""

from __future__ import annotations

import json
import re
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.header_limits import refused
from api.metrics import Metrics
from api.problems import PROBLEM_JSON, Problem

# Endpoints a browser page on another origin may call: verification and public reads.
PUBLIC = (
    ("POST", re.compile(r"/v1/verify")),
    (
        "GET",
        re.compile(r"/v1/(issuers(/[^/]+)?|chain|service(/receipt-schema\.json)?|batches/[^/]+)"),
    ),
    ("GET", re.compile(r"/(healthz|readyz)")),
)
CORS_MAX_AGE = "86400"
API_PREFIX = "/v1"


def is_public(method: str, path: str) -> bool:
    """Whether CORS is open for this method and path."""
    return any(m == method and p.fullmatch(path) for m, p in PUBLIC)


class ServiceMiddleware:
    """Times every request into the metrics, refuses headers over their limit (431) before
    anything parses them, and answers CORS for public endpoints."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method: str = scope["method"]
        path: str = scope["path"]
        problem = refused(scope["headers"])
        if problem is not None:
            labels = (("method", method), ("route", "unmatched"), ("status", str(problem.status)))
            self.metrics.inc("notary_http_requests_total", labels)
            await _send_problem(problem, path, send)
            return
        headers = dict(scope["headers"])
        origin = headers.get(b"origin")
        if method == "OPTIONS" and origin and b"access-control-request-method" in headers:
            await self._preflight(headers, path, send)
            return
        cors = origin is not None and is_public(method, path)
        started = time.perf_counter()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                if cors:
                    message["headers"] = [
                        *message.get("headers", []),
                        (b"access-control-allow-origin", b"*"),
                        (b"vary", b"Origin"),
                    ]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            route = _route_of(scope)
            labels = (("method", method), ("route", route), ("status", str(status)))
            self.metrics.inc("notary_http_requests_total", labels)
            self.metrics.observe(
                "notary_http_request_duration_seconds",
                time.perf_counter() - started,
                (("route", route),),
            )

    async def _preflight(self, headers: dict[bytes, bytes], path: str, send: Send) -> None:
        wanted = headers.get(b"access-control-request-method", b"").decode("latin-1").upper()
        allowed = is_public(wanted, path)
        out: list[tuple[bytes, bytes]] = [(b"vary", b"Origin")]
        if allowed:
            out += [
                (b"access-control-allow-origin", b"*"),
                (b"access-control-allow-methods", wanted.encode("latin-1")),
                (b"access-control-allow-headers", b"content-type"),
                (b"access-control-max-age", CORS_MAX_AGE.encode()),
            ]
        await send(
            {"type": "http.response.start", "status": 204 if allowed else 403, "headers": out}
        )
        await send({"type": "http.response.body", "body": b""})


async def _send_problem(problem: Problem, path: str, send: Send) -> None:
    body = json.dumps(problem.body(path)).encode()
    headers = [
        (b"content-type", PROBLEM_JSON.encode()),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
    ]
    await send({"type": "http.response.start", "status": problem.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _route_of(scope: Scope) -> str:
    route: Any = scope.get("route")
    path = getattr(route, "path", None)
    if not path:
        return "unmatched"
    # FastAPI reports the route as its router declared it, without the include prefix.
    if scope["path"].startswith(API_PREFIX + "/") and not str(path).startswith(API_PREFIX):
        return API_PREFIX + str(path)
    return str(path)
