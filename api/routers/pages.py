"""The verification pages: `/verify`, `/v/{leaf}` (the QR target), `/verify/stream` (a
monitoring station's export) and `/issuers`.

Server-rendered shells in the reader's language; the page's own scripts ask
`POST /v1/verify`, hash files and check proofs on the reader's device. Nothing from the
URL reaches the page except a leaf, and only once it parses as one.

A link's page carries the service's answer for its leaf (the body `POST /v1/verify`
would give, as a JSON data block), so the verdict needs no second round trip; the scripts
still check it on the device and ask the node.
"""

from __future__ import annotations

import asyncio
import re
from functools import cache, partial
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.responses import HTMLResponse
from starlette.templating import Jinja2Templates

from api.assets import static_prefix
from api.deps import PublicLimit, ServiceDep
from api.i18n import COOKIE, LANGUAGES, choose_language, translate
from api.problems import Problem, from_error
from api.verifying import VerifyInput, run
from notary.core.errors import NotaryError

router = APIRouter(include_in_schema=False, dependencies=[PublicLimit])
TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
LEAF = re.compile(r"0x[0-9a-fA-F]{64}")
_LeafQuery = Annotated[str | None, Query(max_length=200)]
HASH_ONE_SHOT_MAX = 512 * 1024 * 1024
"""Files up to this size are read whole and hashed by Web Crypto in one call (~1.7 GB/s
here); larger ones, or where Web Crypto is absent, by hash-wasm slice by slice (~0.1 GB/s,
bounded memory). Given to the page as data-hash-one-shot-max (api/static/js/hashing.js)."""
ANSWER_WAIT_S = 0.5
"""How long a link's page waits for the service's answer to carry it; a chain slow to
answer must not hold up the page itself."""


@cache
def templates() -> Jinja2Templates:
    """The page templates (autoescaped), loaded on first use."""
    loaded = Jinja2Templates(directory=TEMPLATES)
    # `tojson` keeps the answer's order (the metadata as the issuer wrote it), still
    # escaping <, >, & and ' for a <script> block.
    loaded.env.policies["json.dumps_kwargs"] = {"sort_keys": False}
    return loaded


@router.get("/verify", response_class=HTMLResponse)
async def verify_page(
    request: Request, service: ServiceDep, leaf: _LeafQuery = None
) -> HTMLResponse:
    """Pick, drop or paste something to verify; `?leaf=` is the form printed QR codes use."""
    if leaf is None:
        return _render(request, service, "verify.html", leaf=None)
    return await _leaf_page(request, service, leaf)


@router.get("/verify/stream", response_class=HTMLResponse)
async def stream_page(request: Request, service: ServiceDep) -> HTMLResponse:
    """Drop a station's export (CSV/JSON) or a reading's proof; it is checked on the device.

    The page carries what it checks receipts with and never asks the service about the
    file: the registry's address, the confirmations required and the receipt-signing keys.
    """
    keys = [{"keyId": k.key_id, "publicKey": k.public_hex} for k in service.keys]
    return _render(
        request,
        service,
        "verify_stream.html",
        keys=keys,
        contract=service.registry.address,
        confirmations=service.settings.confirmations,
    )


@router.get("/v/{leaf}", response_class=HTMLResponse)
async def leaf_page(request: Request, service: ServiceDep, leaf: str) -> HTMLResponse:
    """The QR target: the page verifies this leaf as soon as it opens."""
    return await _leaf_page(request, service, leaf)


@router.get("/issuers", response_class=HTMLResponse)
async def issuers_page(request: Request, service: ServiceDep) -> HTMLResponse:
    """Every registered issuer with its on-chain status (data from `GET /v1/issuers`)."""
    return _render(request, service, "issuers.html")


async def _leaf_page(request: Request, service: ServiceDep, leaf: str) -> HTMLResponse:
    if LEAF.fullmatch(leaf) is None:
        return _render(request, service, "verify.html", leaf=None, bad_link=True, status=400)
    leaf = leaf.lower()
    answer = await _answer(service, leaf)
    return _render(request, service, "verify.html", leaf=leaf, answer=answer)


async def _answer(service: ServiceDep, leaf: str) -> dict[str, Any] | None:
    """What `POST /v1/verify {"leaf": …}` answers, as {status, body}: its answer or its
    problem, mapped as the endpoint maps it; None after ANSWER_WAIT_S (a chain slow to
    answer), when the page shows "checking" at once and its scripts ask the endpoint."""
    try:
        asked = run(service, VerifyInput(None, leaf, None, None, None))
        out = await asyncio.wait_for(asked, ANSWER_WAIT_S)
    except TimeoutError:
        return None
    except Problem as problem:
        return {"status": problem.status, "body": problem.body()}
    except NotaryError as exc:
        mapped = from_error(exc)
        return {"status": mapped.status, "body": mapped.body()}
    return {"status": 200, "body": out.model_dump(mode="json", by_alias=True, exclude_none=True)}


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
            "static": static_prefix(),
            "hash_one_shot_max": HASH_ONE_SHOT_MAX,
            **context,
        },
        status_code=status,
    )
    response.headers["Vary"] = "Accept-Language, Cookie"
    response.headers["Cache-Control"] = "no-cache"
    return response
