"""The page's assets: versioned URLs cached for good, everything else revalidated, text
gzipped; and a link's page carries the service's answer, so the verdict needs no second
round trip."""

from __future__ import annotations

import json
import os
import re
from typing import Any

from playwright.sync_api import Browser

from api.assets import IMMUTABLE, asset_version, static_prefix
from tests.api.conftest import Issuer
from tests.browser.stack import Site
from tests.browser.test_verdicts import anchored


def test_versioned_assets_are_immutable_and_gzipped(web: Site) -> None:
    client = web.env.client
    page = client.get("/verify")
    linked = re.findall(r'(?:href|src)="(/static/[^"]+)"', page.text)
    assert linked and all(url.startswith(static_prefix() + "/") for url in linked), linked
    for url in linked:
        reply = client.get(url, headers={"accept-encoding": "gzip"})
        assert reply.status_code == 200, url
        assert reply.headers["cache-control"] == IMMUTABLE, url
        assert reply.headers.get("content-encoding") == "gzip", url
    plain = client.get("/static/js/verify.js")
    assert plain.status_code == 200 and plain.headers["cache-control"] == "no-cache"
    old = client.get("/static/v/000000000000/js/verify.js")
    assert old.status_code == 200 and old.headers["cache-control"] == "no-cache"
    assert client.get(f"/static/v/{asset_version()}/../../app.py").status_code == 404
    etag = plain.headers["etag"]
    assert client.get("/static/js/verify.js", headers={"if-none-match": etag}).status_code == 304


def test_a_links_page_carries_the_services_answer(web: Site, issuer: Issuer) -> None:
    leaf = anchored(web, issuer, os.urandom(100))
    html = web.env.client.get(f"/v/{leaf}").text
    block = re.search(r'<script type="application/json" id="service-answer">(.*?)</script>', html)
    assert block is not None
    embedded = json.loads(block.group(1))
    asked = web.env.client.post("/v1/verify", json={"leaf": leaf})
    assert embedded["status"] == 200
    body, direct = embedded["body"], asked.json()
    assert [(k, v) for k, v in body.items() if k != "checkedAt"] == [
        (k, v) for k, v in direct.items() if k != "checkedAt"
    ]  # in the same order: the metadata as the issuer wrote it
    assert list(body["metadata"]) == list(direct["metadata"])
    unknown = web.env.client.get(f"/v/0x{os.urandom(32).hex()}").text
    found = re.search(r'id="service-answer">(.*?)</script>', unknown)
    assert found is not None and json.loads(found.group(1))["status"] == 404
    assert "<script>" not in web.env.client.get("/verify?leaf=<script>").text.split("<main")[1]


def test_the_page_is_one_module(web: Site, browser: Browser) -> None:
    """A cold load of /verify runs one script, the esbuild bundle (tests/api/test_page_build.py
    checks what is in it), and the page works: it reports ready. secp256k1 follows when the
    browser is idle (verify.js preloads it); no source module is fetched on its own."""
    context = browser.new_context()
    try:
        page = context.new_page()
        finished: list[Any] = []
        page.on("requestfinished", lambda r: finished.append(r.url))
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(f"{web.url}/verify")
        page.wait_for_selector("#main[data-ready]")
        page.wait_for_load_state("networkidle")
        scripts = [url for url in finished if url.endswith(".js")]
        assets = f"{web.url}{static_prefix()}"
        assert scripts[0] == f"{assets}/build/verify.js", scripts
        assert scripts[1:] in ([], [f"{assets}/vendor/@noble/curves/secp256k1.js"]), scripts
        assert errors == []
    finally:
        context.close()
