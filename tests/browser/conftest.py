"""The browser tier: the real app served by uvicorn, a real Anvil, SQLite, and Debian's
Chromium driven by Playwright. Screenshots of every verdict land in
tests/browser/screenshots/ (git-ignored) for a person to look at."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright
from web3 import Web3

from tests.api.conftest import Issuer
from tests.browser.stack import Chain, Site, deploy, launch, site

SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
PHONE = {"width": 360, "height": 780}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Everything under tests/browser drives Chromium and runs on Anvil, and runs last:
    Playwright's sync API keeps an event loop running in the main thread while it is
    open (the whole session), which later tests running loops of their own cannot share."""
    here = Path(__file__).resolve().parent
    ours = [item for item in items if here in Path(str(item.fspath)).resolve().parents]
    for item in ours:
        item.add_marker(pytest.mark.browser)
        item.add_marker(pytest.mark.anvil)
    chosen = set(map(id, ours))
    items[:] = [item for item in items if id(item) not in chosen] + ours


# Package scope: Playwright's sync API keeps an event loop running in the main thread
# while it is open, which would break every later test that runs its own loop.
@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    """Headless Chromium; the session fails with what to install when it is missing."""
    try:
        chromium = launch(playwright)
    except RuntimeError as exc:
        pytest.fail(str(exc), pytrace=False)
    try:
        yield chromium
    finally:
        chromium.close()


@pytest.fixture(scope="session")
def page_chain(w3: Web3) -> Chain:
    """A registry deployed for the pages."""
    return deploy(w3)


@pytest.fixture(scope="session")
def web(
    w3: Web3, page_chain: Chain, anvil: object, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Site]:
    """The served app; its public RPC URL is the session's Anvil (which answers CORS)."""
    with site(tmp_path_factory.mktemp("web"), w3, page_chain, rpc_url=anvil.url) as served:  # type: ignore[attr-defined]
        yield served


@pytest.fixture
def issuer(web: Site) -> Issuer:
    """A fresh issuer, registered on chain."""
    registered = web.env.new_issuer("Chi cục Trồng trọt và Bảo vệ thực vật Bắc Giang")
    web.env.drain()
    return registered


def new_context(browser: Browser, lang: str = "en-GB", **options: object) -> BrowserContext:
    """A fresh phone-sized context (no cache, no cookies) speaking `lang`."""
    return browser.new_context(
        viewport=PHONE,
        locale=lang,
        extra_http_headers={"Accept-Language": lang},
        **options,  # type: ignore[arg-type]
    )


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A phone-sized page in English; console errors fail the test."""
    context = new_context(browser)
    tab = context.new_page()
    errors: list[str] = []
    # A refused request is logged too ("Failed to load resource": a 404 for an unknown
    # leaf, a dead node); anything else (a CSP violation, an exception) fails the test.
    tab.on(
        "console",
        lambda m: (
            errors.append(m.text)
            if m.type == "error" and not m.text.startswith("Failed to load resource")
            else None
        ),
    )
    tab.on("pageerror", lambda e: errors.append(str(e)))
    try:
        yield tab
    finally:
        context.close()
    assert not errors, f"the page logged errors: {errors}"


def verdict(page: Page, timeout_ms: float = 15_000) -> str:
    """The verdict of the first card once the page has one (not "checking")."""
    page.wait_for_selector('#main[data-state="done"]', timeout=timeout_ms)
    card = page.locator("article.card").first
    return str(card.get_attribute("data-verdict"))


def verdicts(page: Page) -> list[str]:
    """Every card's verdict, in order."""
    page.wait_for_selector('#main[data-state="done"]')
    return [
        str(v)
        for v in page.locator("article.card").evaluate_all(
            "cards => cards.map(c => c.dataset.verdict)"
        )
    ]


def shoot(page: Page, name: str) -> Path:
    """A full-page screenshot under tests/browser/screenshots/ (git-ignored)."""
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def serious_violations(page: Page) -> list[str]:
    """axe-core's serious and critical findings on the page as it is, every <details> open."""
    assert AXE.is_file(), "node_modules/axe-core is missing: run `make install`"
    page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
    page.add_script_tag(path=str(AXE))
    found = page.evaluate("axe.run().then(r => r.violations)")
    return [
        f"{v['id']}: {v['help']} ({len(v['nodes'])})"
        for v in found
        if v["impact"] in ("serious", "critical")
    ]


def fits_phone(page: Page) -> None:
    """No horizontal scroll at 360 px."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page is {width} px wide at {PHONE['width']} px"


def shoot_both(page: Page, name: str) -> None:
    """Screenshots in the page's language and, after the switch, in the other one; the
    verdict must survive the switch. Leaves the page in the other language."""
    first = page.evaluate("document.documentElement.lang")
    before = verdicts(page)
    fits_phone(page)
    shoot(page, f"{name}-{first}")
    page.click("#lang-switch")
    other = "en" if first == "vi" else "vi"
    page.wait_for_selector(f"html[lang={other}]", state="attached")
    assert verdicts(page) == before
    fits_phone(page)
    shoot(page, f"{name}-{other}")
