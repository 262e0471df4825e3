"""ASGI middleware: Content-Security-Policy and the other browser security headers.

Every response gets them (on JSON they cost nothing and protect a browser that opens an
API URL directly). The verification pages' policy is the default; the API docs pages get
`docs_policy` through `policies` (path -> policy). A header a route set itself is left
alone. Plain ASGI, like api/middleware.py; header bytes are built once, not per request.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from notary.settings.config import Settings

_COMMON = {
    "default-src": "'self'",
    "img-src": "'self' data: blob:",
    "worker-src": "'self' blob:",
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
PAGE_SCRIPT_SRC = "'self' 'wasm-unsafe-eval'"
"""hash-wasm compiles WebAssembly; 'wasm-unsafe-eval' allows exactly that, no JS eval."""
INLINE_STYLE_SRC = "'self' 'unsafe-inline'"
"""ReDoc styles itself with styled-components, which inserts <style> elements at run time
(blocked, it renders nothing). Only /redoc gets this, never the verification pages, and
its scripts stay 'self'. Swagger UI needs no exception."""

OTHER_HEADERS = (
    ("referrer-policy", "no-referrer"),
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "DENY"),
    ("permissions-policy", "camera=(self)"),  # the verification page scans QR codes
)
_ORIGIN_HOST = re.compile(r"[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\]")


def rpc_origin(url: str) -> str:
    """The origin (scheme://host[:port]) of an RPC URL, for connect-src.

    Rebuilt from its parts, so a path, credentials or a stray `;` in the setting can never
    reach the policy; ValueError for anything that is not an http(s) URL.
    """
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    if parts.scheme not in ("http", "https") or not _ORIGIN_HOST.fullmatch(host):
        raise ValueError(f"NOTARY_PUBLIC_RPC_URL is not an http(s) URL: {url!r}")
    port = f":{parts.port}" if parts.port is not None else ""
    return f"{parts.scheme}://{host}{port}"


def page_policy(settings: Settings | None) -> str:
    """The policy of the verification pages and everything else the service answers."""
    connect = "'self'"
    if settings is not None and settings.public_rpc_url:
        # The page asks the registry's `check` view itself through this node.
        connect += " " + rpc_origin(settings.public_rpc_url)
    return _policy({"script-src": PAGE_SCRIPT_SRC, "style-src": "'self'", "connect-src": connect})


def docs_policy(inline_styles: bool = False) -> str:
    """The policy of an API docs page: no WebAssembly, no other origin to call."""
    style = INLINE_STYLE_SRC if inline_styles else "'self'"
    return _policy({"script-src": "'self'", "style-src": style, "connect-src": "'self'"})


def _policy(directives: dict[str, str]) -> str:
    merged = {**_COMMON, **directives}
    order = ("default-src", "script-src", "style-src", "img-src", "connect-src", "worker-src")
    names = [*order, *(name for name in merged if name not in order)]
    return "; ".join(f"{name} {merged[name]}" for name in names)


def _encoded(policy: str) -> list[tuple[bytes, bytes]]:
    return [
        (b"content-security-policy", policy.encode("latin-1")),
        *((name.encode(), value.encode()) for name, value in OTHER_HEADERS),
    ]


class SecurityHeadersMiddleware:
    """Adds the security headers to every HTTP response; `policies` override the page
    policy for exact paths."""

    def __init__(self, app: ASGIApp, policies: Mapping[str, str] | None = None) -> None:
        self.app = app
        self._by_path = {path: _encoded(p) for path, p in (policies or {}).items()}
        self._page = _encoded(page_policy(None))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.app(scope, receive, self._at_startup(scope, send))
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = self._by_path.get(scope["path"], self._page)

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [h for h in extra if h[0] not in present]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_wrapper)

    def _at_startup(self, scope: Scope, send: Send) -> Send:
        """Build the page policy from the settings the lifespan opened, once.

        A bad NOTARY_PUBLIC_RPC_URL raises here, inside the app's lifespan: the lifespan
        unwinds (closing what it opened) and the start fails, rather than every request.
        """

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "lifespan.startup.complete":
                service = scope.get("state", {}).get("service")
                self._page = _encoded(page_policy(getattr(service, "settings", None)))
            await send(message)

        return send_wrapper
