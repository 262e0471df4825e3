"""The API docs, /docs (Swagger UI) and /redoc (ReDoc), served from local files only.

FastAPI's own pages load both from a CDN and start Swagger UI with an inline script; these
load the copies `scripts/build_static.py` makes from the pinned npm packages, and start
Swagger UI from a static file, so they work offline and under `script-src 'self'`.
"""

from __future__ import annotations

from html import escape

from fastapi import APIRouter, Request
from starlette.responses import HTMLResponse

from api.security_headers import docs_policy

router = APIRouter(include_in_schema=False)
SWAGGER_PATH = "/docs"
REDOC_PATH = "/redoc"
POLICIES = {SWAGGER_PATH: docs_policy(), REDOC_PATH: docs_policy(inline_styles=True)}
"""Their Content-Security-Policy (api/security_headers.py): ReDoc inserts <style> elements."""

VENDOR = "/static/vendor"
SWAGGER_JS = f"{VENDOR}/swagger-ui-dist/swagger-ui-bundle.js"
SWAGGER_CSS = f"{VENDOR}/swagger-ui-dist/swagger-ui.css"
REDOC_JS = f"{VENDOR}/redoc/bundles/redoc.standalone.js"
FAVICON = f"{VENDOR}/swagger-ui-dist/favicon-32x32.png"
SWAGGER_INIT = "/static/docs/swagger-init.js"
PAGE_CSS = "/static/docs/docs.css"

_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="icon" type="image/png" href="{root}{favicon}">
{links}
</head>
<body>
{body}
</body>
</html>
"""


@router.get(SWAGGER_PATH)
async def swagger_ui(request: Request) -> HTMLResponse:
    """Swagger UI for the OpenAPI document."""
    root = _root(request)
    return _page(
        request,
        f"{request.app.title} - Swagger UI",
        links=[f'<link rel="stylesheet" href="{root}{SWAGGER_CSS}">'],
        body=[
            f'<div id="swagger-ui" data-openapi-url="{_openapi_url(request)}"></div>',
            f'<script src="{root}{SWAGGER_JS}"></script>',
            f'<script src="{root}{SWAGGER_INIT}"></script>',
        ],
    )


@router.get(REDOC_PATH)
async def redoc(request: Request) -> HTMLResponse:
    """ReDoc for the OpenAPI document (no web fonts: ReDoc falls back to system fonts)."""
    root = _root(request)
    return _page(
        request,
        f"{request.app.title} - ReDoc",
        links=[f'<link rel="stylesheet" href="{root}{PAGE_CSS}">'],
        body=[
            f'<redoc spec-url="{_openapi_url(request)}"></redoc>',
            f'<script src="{root}{REDOC_JS}"></script>',
        ],
    )


def _page(request: Request, title: str, links: list[str], body: list[str]) -> HTMLResponse:
    html = _PAGE.format(
        title=escape(title),
        root=_root(request),
        favicon=FAVICON,
        links="\n".join(links),
        body="\n".join(body),
    )
    return HTMLResponse(html)


def _root(request: Request) -> str:
    """The mount prefix behind a proxy (ASGI root_path), already HTML-escaped."""
    return escape(str(request.scope.get("root_path", "")).rstrip("/"))


def _openapi_url(request: Request) -> str:
    return _root(request) + escape(str(request.app.openapi_url))
