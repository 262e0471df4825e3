"""/docs and /redoc render in real headless Chromium with no other host reachable.

The real app runs under uvicorn on 127.0.0.1 against the session's Anvil (the `web`
fixture of tests/browser/conftest.py). Every request to any other host is aborted and
counted (it must be zero), and every Content-Security-Policy violation the pages raise is
collected, so the docs are proven to work offline and under their own policy.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser

from tests.browser.offline import Watched, watch
from tests.browser.stack import Site

RENDER_TIMEOUT_MS = 20_000
REDOCLY_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"
"""ReDoc 2.x always renders this image in its sidebar footer (no option turns it off). The
policy's img-src blocks it before any request is made: the one violation /redoc raises."""


@pytest.fixture
def watched(browser: Browser) -> Iterator[Watched]:
    """A fresh context and page that can reach 127.0.0.1 only."""
    context = browser.new_context()
    try:
        yield watch(context)
    finally:
        context.close()


def test_swagger_ui_lists_the_operations_offline(web: Site, watched: Watched) -> None:
    page = watched.page
    response = page.goto(web.url + "/docs")
    assert response is not None and response.ok
    assert "script-src 'self'" in response.headers["content-security-policy"]
    paths = page.locator(".opblock-summary-path")
    paths.first.wait_for(timeout=RENDER_TIMEOUT_MS)
    shown = set(paths.all_inner_texts())
    assert {"/v1/verify", "/v1/documents", "/v1/issuers"} <= {p.strip() for p in shown}
    page.wait_for_load_state("networkidle")
    assert watched.off_host == []
    assert watched.violations() == []
    assert watched.console_errors == []


def test_redoc_shows_the_api_title_offline(web: Site, watched: Watched) -> None:
    page = watched.page
    response = page.goto(web.url + "/redoc")
    assert response is not None and response.ok
    title = page.locator("h1", has_text="notary")
    title.first.wait_for(timeout=RENDER_TIMEOUT_MS)
    assert page.get_by_text("/v1/verify").count() > 0
    page.wait_for_load_state("networkidle")
    assert watched.off_host == []
    assert watched.violations() == [f"img-src {REDOCLY_LOGO}"]
    assert [e for e in watched.console_errors if REDOCLY_LOGO not in e] == []
