"""/docs and /redoc render in real headless Chromium with no other host reachable.

The real app runs under uvicorn on 127.0.0.1 against the session's Anvil. Every request
to any other host is aborted and counted (it must be zero), and every Content-Security-
Policy violation the pages raise is collected (none allowed), so the docs are proven to
work offline and under their own policy.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import uvicorn
from playwright.sync_api import Browser, Page, Route, sync_playwright
from web3 import Web3

from api.app import create_app
from notary.chain.anvil import free_port
from notary.chain.deploy import deploy_registry
from notary.store.migrate import upgrade
from tests.api.conftest import api_settings, funded

pytestmark = [pytest.mark.browser, pytest.mark.anvil]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
LOCAL_HOST = "127.0.0.1"
START_TIMEOUT_S = 30.0
RENDER_TIMEOUT_MS = 20_000
# Collects CSP violations from the first script the page runs (init scripts are not
# subject to the page's policy, so this listener is in place before anything is blocked).
REDOCLY_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"
"""ReDoc 2.x always renders this image in its sidebar footer (no option turns it off). The
policy's img-src blocks it before any request is made: the one violation /redoc raises."""
VIOLATION_LISTENER = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`);
});
"""


@pytest.fixture(scope="module")
def base_url(w3: Web3, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The real app served by uvicorn on a free 127.0.0.1 port, stopped afterwards."""
    admin, anchorer = funded(w3), funded(w3)
    registry = deploy_registry(w3, admin).address
    tmp: Path = tmp_path_factory.mktemp("docs")
    port = free_port()
    url = f"http://{LOCAL_HOST}:{port}"
    settings = api_settings(tmp, w3, registry, anchorer, public_url=url)
    upgrade(settings.resolved_database_url)
    config = uvicorn.Config(create_app(settings), host=LOCAL_HOST, port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.05)
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless (Playwright's own browser download is unavailable)."""
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@dataclass
class Watched:
    """A page whose off-host requests are aborted and counted, and its console errors."""

    page: Page
    off_host: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)

    def violations(self) -> list[str]:
        """The CSP violations the page reported so far."""
        found: list[str] = self.page.evaluate("window.__cspViolations")
        return found


@pytest.fixture
def watched(browser: Browser) -> Iterator[Watched]:
    """A fresh context and page that can reach 127.0.0.1 only."""
    context = browser.new_context()
    page = context.new_page()
    seen = Watched(page)

    def route(route: Route) -> None:
        if urlsplit(route.request.url).hostname == LOCAL_HOST:
            route.continue_()
        else:
            seen.off_host.append(route.request.url)
            route.abort()

    context.route("**/*", route)
    context.add_init_script(VIOLATION_LISTENER)
    page.on("console", lambda m: seen.console_errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: seen.console_errors.append(str(e)))
    try:
        yield seen
    finally:
        context.close()


def test_swagger_ui_lists_the_operations_offline(base_url: str, watched: Watched) -> None:
    page = watched.page
    response = page.goto(base_url + "/docs")
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


def test_redoc_shows_the_api_title_offline(base_url: str, watched: Watched) -> None:
    page = watched.page
    response = page.goto(base_url + "/redoc")
    assert response is not None and response.ok
    title = page.locator("h1", has_text="notary")
    title.first.wait_for(timeout=RENDER_TIMEOUT_MS)
    assert page.get_by_text("/v1/verify").count() > 0
    page.wait_for_load_state("networkidle")
    assert watched.off_host == []
    assert watched.violations() == [f"img-src {REDOCLY_LOGO}"]
    assert [e for e in watched.console_errors if REDOCLY_LOGO not in e] == []
