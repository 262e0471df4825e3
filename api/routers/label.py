"""`/v/{leaf}/label`: a printable A6 label for the issuer to stick on a document.

The QR code of the verification page, its URL in readable form, the issuer, the
document's number and the date it was notarised, in Vietnamese and English at once (the
label travels with the goods). Only the issuer's own key or the admin key may print it,
with 404 alike for absent and not yours, as for every other document read.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from pathlib import Path
from typing import Any

from fastapi import APIRouter
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.responses import HTMLResponse

from api import qr
from api.deps import PrincipalDep, ServiceDep
from api.routers.document_reads import LeafPath, own_document
from api.schemas.common import problems
from api.views import links

router = APIRouter(tags=["documents"])
TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
URL_CHARS_PER_LINE = 40
"""Characters of the URL per printed line: 40 monospace glyphs at 9.5 pt fill the 89 mm
between an A6 page's margins."""
NUMBER_FIELD = "documentNumber"


@cache
def _environment() -> Environment:
    """The label's template (autoescaped, a missing variable is an error), loaded on first use."""
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
    )


@router.get(
    "/v/{leaf}/label",
    response_class=HTMLResponse,
    summary="Printable A6 label: QR code, URL, issuer, document number, date",
    responses={200: {"content": {"text/html": {}}}, **problems(401, 404, 422, 429, 503)},
)
def document_label(leaf: LeafPath, service: ServiceDep, principal: PrincipalDep) -> HTMLResponse:
    """An A6 HTML label of one of the caller's documents, to print from the browser."""
    doc = own_document(service, principal, leaf)
    url = links(service, doc.record.leaf).verify
    html = (
        _environment()
        .get_template("label.html")
        .render(
            qr_svg=qr.inline_svg(url),
            url=url,
            url_lines=qr.url_lines(url, URL_CHARS_PER_LINE),
            issuer=doc.issuer_name,
            number=document_number(doc.record.metadata),
            recorded=utc_date(doc.record.created_at),
        )
    )
    return HTMLResponse(html, headers={"Cache-Control": "no-store"})


def document_number(metadata: dict[str, Any] | None) -> str | None:
    """The metadata's `documentNumber`, when it is a string or an integer."""
    value = (metadata or {}).get(NUMBER_FIELD)
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    return str(value)


def utc_date(moment: dt.datetime) -> str:
    """The UTC date (YYYY-MM-DD, read alike in both languages); naive times are UTC."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC)
    return moment.date().isoformat()
