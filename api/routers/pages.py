"""The verification pages: `/verify`, `/v/{leaf}` (the QR target) and `/issuers`.

Server-rendered shells in the reader's language; the page's own scripts ask
`POST /v1/verify`, hash files and check proofs on the reader's device. Nothing from the
URL reaches the page except a leaf, and only once it parses as one.
"""

from __future__ import annotations

import re
from functools import cache, partial
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.responses import HTMLResponse
from starlette.templating import Jinja2Templates

from api.deps import PublicLimit, ServiceDep
from api.i18n import COOKIE, LANGUAGES, choose_language, translate

router = APIRouter(include_in_schema=False, dependencies=[PublicLimit])
TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
LEAF = re.compile(r"0x[0-9a-fA-F]{64}")
_LeafQuery = Annotated[str | None, Query(max_length=200)]


@cache
def templates() -> Jinja2Templates:
    """The page templates (autoescaped), loaded on first use."""
    return Jinja2Templates(directory=TEMPLATES)


@router.get("/verify", response_class=HTMLResponse)
async def verify_page(
    request: Request, service: ServiceDep, leaf: _LeafQuery = None
) -> HTMLResponse:
    """Pick, drop or paste something to verify; `?leaf=` is the form printed QR codes use."""
    if leaf is None:
        return _render(request, service, "verify.html", leaf=None)
    return _leaf_page(request, service, leaf)


@router.get("/v/{leaf}", response_class=HTMLResponse)
async def leaf_page(request: Request, service: ServiceDep, leaf: str) -> HTMLResponse:
    """The QR target: the page verifies this leaf as soon as it opens."""
    return _leaf_page(request, service, leaf)


@router.get("/issuers", response_class=HTMLResponse)
async def issuers_page(request: Request, service: ServiceDep) -> HTMLResponse:
    """Every registered issuer with its on-chain status (data from `GET /v1/issuers`)."""
    return _render(request, service, "issuers.html")


def _leaf_page(request: Request, service: ServiceDep, leaf: str) -> HTMLResponse:
    if LEAF.fullmatch(leaf) is None:
        return _render(request, service, "verify.html", leaf=None, bad_link=True, status=400)
    return _render(request, service, "verify.html", leaf=leaf.lower())


def _render(
    request: Request, service: ServiceDep, name: str, *, status: int = 200, **context: Any
) -> HTMLResponse:
    """`name` in the reader's language, with what the scripts need as data attributes."""
    lang = choose_language(request.cookies.get(COOKIE), request.headers.get("accept-language"))
    settings = service.settings
    response = templates().TemplateResponse(
        request,
        name,
        {
            "lang": lang,
            "other": next(code for code in LANGUAGES if code != lang),
            "t": partial(translate, lang),
            "rpc_url": settings.public_rpc_url or "",
            "public_url": settings.base_url,
            **context,
        },
        status_code=status,
    )
    response.headers["Vary"] = "Accept-Language, Cookie"
    response.headers["Cache-Control"] = "no-cache"
    return response
