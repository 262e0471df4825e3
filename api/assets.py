"""The static files (`/static`): versioned URLs cached for good, gzip for text.

`/static/v/<version>/<path>` serves `<path>` with `Cache-Control: immutable` for a year,
where `<version>` is a hash of every file under `api/static` (`asset_version()`): a
deployment that changes any file changes every versioned URL, so a browser never holds a
stale copy. The pages link their scripts, styles and catalogues through that prefix, and
the bundles (`build/`, made by scripts/build_page.mjs at install time) load their lazy
modules, workers, source maps and catalogues by relative paths, so the version carries
through all of them. Other paths (`/static/js/x.js`, the API docs' files, an old version)
are served `no-cache`: revalidated with their ETag each time.
"""

from __future__ import annotations

import hashlib
import logging
import mimetypes
from functools import cache
from pathlib import Path

from starlette.middleware.gzip import GZipMiddleware
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

STATIC_DIR = Path(__file__).resolve().parent / "static"
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
GZIP_MIN_BYTES = 1024
"""Smaller answers are sent as they are (gzip's header would eat the saving)."""
PAGE_BUNDLES = ("build/verify.js", "build/stream.js", "build/issuers.js")
"""What the pages link (scripts/build_page.mjs, git-ignored), with a `.map` beside each."""
mimetypes.add_type("application/json", ".map")  # source maps (not in every mime.types)


@cache
def asset_version(directory: Path = STATIC_DIR) -> str:
    """A short hash of every file's path and bytes under `directory` (once per process)."""
    digest = hashlib.sha256()
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        digest.update(path.relative_to(directory).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()[:12]


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

        async def with_policy(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] in (200, 304):
                headers = [(k, v) for k, v in message.get("headers", []) if k != b"cache-control"]
                message = {**message, "headers": [*headers, (b"cache-control", policy.encode())]}
            await send(message)

        await self.files(scope, receive, with_policy)


def missing_bundles(directory: Path = STATIC_DIR) -> list[str]:
    """The pages' bundles not built under `directory` (`make install` builds them)."""
    return [name for name in PAGE_BUNDLES if not (directory / name).is_file()]


def static_files(directory: Path = STATIC_DIR) -> ASGIApp:
    """The ASGI app mounted at `/static`; logs an error when the pages' scripts are not
    built (the pages would show without working)."""
    missing = missing_bundles(directory)
    if missing:
        logging.getLogger(__name__).error(
            "the pages' scripts are not built (%s): run `make install`", ", ".join(missing)
        )
    return GZipMiddleware(_VersionedStatic(directory), minimum_size=GZIP_MIN_BYTES, compresslevel=6)
