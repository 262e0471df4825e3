"""The static files (`/static`): versioned URLs cached for good, gzip for text.

`/static/v/<version>/<path>` serves `<path>` with `Cache-Control: immutable` for a year,
where `<version>` is a hash of every file under `api/static` (`asset_version()`): a
deployment that changes any file changes every versioned URL, so a browser never holds a
stale copy. The pages link their scripts, styles and catalogues through that prefix, and
the scripts import each other by relative paths, so the version carries through the whole
module graph. Other paths (`/static/js/x.js`, the API docs' files, an old version) are
served `no-cache`: revalidated with their ETag each time. `js/NAME.bundle.js` is
`js/NAME.js` with its static imports in one module (api/bundle.py), built once.
"""

from __future__ import annotations

import hashlib
import re
from functools import cache
from pathlib import Path

from starlette.middleware.gzip import GZipMiddleware
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.bundle import bundle

STATIC_DIR = Path(__file__).resolve().parent / "static"
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
GZIP_MIN_BYTES = 1024
"""Smaller answers are sent as they are (gzip's header would eat the saving)."""
_BUNDLE = re.compile(r"/js/([\w-]+)\.bundle\.js")
"""`js/NAME.bundle.js`: `js/NAME.js` and what it imports, as one module (api/bundle.py)."""


@cache
def asset_version(directory: Path = STATIC_DIR) -> str:
    """A short hash of every file's path and bytes under `directory` (once per process)."""
    digest = hashlib.sha256()
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        digest.update(path.relative_to(directory).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()[:12]


@cache
def _bundled(entry: Path) -> bytes:
    return bundle(entry).encode()


def static_prefix() -> str:
    """Where the pages link their assets: `/static/v/<version>`."""
    return f"/static/v/{asset_version()}"


class _VersionedStatic:
    """StaticFiles behind an optional `/v/<version>` segment, with the cache policy above."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.files = StaticFiles(directory=directory)
        self.version = asset_version(directory)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        root = scope.get("root_path", "")
        route = scope["path"][len(root) :] if scope["path"].startswith(root) else scope["path"]
        policy = REVALIDATE
        parts = route.split("/", 3)  # "", "v", version, rest
        if len(parts) == 4 and parts[1] == "v":
            policy = IMMUTABLE if parts[2] == self.version else REVALIDATE
            path = f"{root}/{parts[3]}"
            scope = {**scope, "path": path, "raw_path": path.encode()}

        route = scope["path"][len(root) :]
        wanted = _BUNDLE.fullmatch(route)
        entry = self.directory / "js" / f"{wanted.group(1)}.js" if wanted else None

        async def with_policy(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] in (200, 304):
                headers = [(k, v) for k, v in message.get("headers", []) if k != b"cache-control"]
                message = {**message, "headers": [*headers, (b"cache-control", policy.encode())]}
            await send(message)

        if entry is not None and entry.is_file():
            reply = Response(_bundled(entry), media_type="text/javascript")
            await reply(scope, receive, with_policy)
            return
        await self.files(scope, receive, with_policy)


def static_files(directory: Path = STATIC_DIR) -> ASGIApp:
    """The ASGI app mounted at `/static`."""
    return GZipMiddleware(_VersionedStatic(directory), minimum_size=GZIP_MIN_BYTES, compresslevel=6)
