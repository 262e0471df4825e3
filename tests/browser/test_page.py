"""The page itself: languages, keyboard-only use, accessibility, the issuers page, the
first load's size, and the message catalogues."""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path

from playwright.sync_api import Browser, Page, expect

from tests.api.conftest import Issuer
from tests.browser.conftest import fits_phone, new_context, serious_violations, shoot, verdict
from tests.browser.stack import Site
from tests.browser.test_verdicts import anchored

ROOT = Path(__file__).resolve().parents[2]
STATIC = ROOT / "api" / "static"
FIRST_LOAD_LIMIT = 150_000


def test_language_from_accept_language(web: Site, issuer: Issuer, browser: Browser) -> None:
    leaf = anchored(web, issuer, os.urandom(100))
    context = new_context(browser, "vi-VN")
    try:
        page = context.new_page()
        page.goto(f"{web.url}/v/{leaf}")
        assert verdict(page) == "VALID"
        assert page.evaluate("document.documentElement.lang") == "vi"
        assert "Hợp lệ" in page.locator("#results").inner_text()
        assert "12 thg 6, 2026" not in page.locator("#results").inner_text()
        assert "1 tháng 6, 2026" in page.locator("#results").inner_text()  # vi-VN dates
        expect(page.locator("#lang-switch")).to_have_attribute("lang", "en")
    finally:
        context.close()


def test_language_switch_is_remembered(web: Site, issuer: Issuer, page: Page) -> None:
    leaf = anchored(web, issuer, os.urandom(100))
    page.goto(f"{web.url}/v/{leaf}")
    assert verdict(page) == "VALID" and page.evaluate("document.documentElement.lang") == "en"
    page.click("#lang-switch")
    page.wait_for_selector("html[lang=vi]", state="attached")
    assert "Hợp lệ" in page.locator("#results").inner_text()
    assert page.title().endswith("Xác thực tài liệu")
    page.goto(f"{web.url}/verify")  # the server reads the cookie the switch set
    assert page.evaluate("document.documentElement.lang") == "vi"
    assert "Kiểm tra tài liệu" in page.locator("h1").inner_text()
    page.context.clear_cookies()  # localStorage alone still remembers
    page.goto(f"{web.url}/verify")
    page.wait_for_selector("#main[data-ready]")
    assert page.evaluate("document.documentElement.lang") == "vi"
    assert "Kiểm tra tài liệu" in page.locator("h1").inner_text()


def test_keyboard_only(web: Site, issuer: Issuer, page: Page) -> None:
    content = os.urandom(100)
    anchored(web, issuer, content)
    page.goto(f"{web.url}/verify")
    page.wait_for_selector("#main[data-ready]")
    focused: list[str] = []
    for _ in range(12):
        page.keyboard.press("Tab")
        focused.append(page.evaluate("document.activeElement.id || document.activeElement.tagName"))
        outline = page.evaluate(
            "(() => { const e = document.activeElement; const s = getComputedStyle(e);"
            " const l = e.labels && e.labels[0] ? getComputedStyle(e.labels[0]) : null;"
            " return s.outlineStyle !== 'none' || (l && l.outlineStyle !== 'none'); })()"
        )
        assert outline, f"no visible focus on {focused[-1]}"
        if focused[-1] == "digest":
            break
    assert focused[:1] != ["BODY"]
    assert {"lang-switch", "file", "scan", "photo", "digest"} <= set(focused), focused
    page.keyboard.type(hashlib.sha256(content).hexdigest())
    page.keyboard.press("Enter")
    assert verdict(page) == "VALID"
    assert page.evaluate("document.activeElement.dataset.verdict") == "VALID"  # focus moved
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Tab")
    with page.expect_file_chooser() as chooser:
        page.focus("#file")
        page.keyboard.press("Space")
    assert chooser.value.is_multiple()


def test_accessibility_scan(web: Site, issuer: Issuer, browser: Browser) -> None:
    leaf = anchored(web, issuer, os.urandom(100))
    # axe is injected as an inline script, which the page's CSP rightly refuses.
    context = new_context(browser, bypass_csp=True)
    try:
        page = context.new_page()
        for path in (f"/v/{leaf}", "/verify", "/issuers", "/v/0x" + "ab" * 32):
            page.goto(web.url + path)
            page.wait_for_selector('#main[data-state="done"], #main[data-ready]')
            page.wait_for_load_state("networkidle")
            serious = serious_violations(page)
            assert not serious, f"{path}: {serious}"
    finally:
        context.close()


def test_issuers_page(web: Site, issuer: Issuer, page: Page) -> None:
    page.goto(f"{web.url}/issuers")
    page.wait_for_selector('#main[data-state="done"]')
    card = page.locator(f'article.issuer[data-address="{issuer.address}"]')
    expect(card).to_contain_text("Chi cục Trồng trọt")
    expect(card).to_contain_text('registered as "Chi cục Trồng trọt')  # the node's record
    fits_phone(page)
    shoot(page, "issuers-en")


def test_first_load_size(web: Site, issuer: Issuer, browser: Browser) -> None:
    leaf = anchored(web, issuer, os.urandom(100))
    context = new_context(browser)
    try:
        page = context.new_page()
        requests = []
        page.on("requestfinished", lambda r: requests.append(r))
        page.goto(f"{web.url}/v/{leaf}")
        assert verdict(page) == "VALID"
        page.wait_for_load_state("networkidle")
        sizes = {r.url: r.sizes() for r in requests}
        total = sum(s["responseBodySize"] + s["responseHeadersSize"] for s in sizes.values())
        assert total <= FIRST_LOAD_LIMIT, f"{total} bytes: {sorted(sizes)}"
        assert not any("hash-wasm" in u or "jsQR" in u for u in sizes)  # loaded when needed
    finally:
        context.close()


def _catalogue(lang: str) -> dict[str, str]:
    result: dict[str, str] = json.loads((STATIC / "i18n" / f"{lang}.json").read_text("utf-8"))
    return result


def test_catalogues_cover_every_string() -> None:
    vi, en = _catalogue("vi"), _catalogue("en")
    assert set(vi) == set(en)
    for key in vi:  # the same placeholders in both languages
        assert set(re.findall(r"\{\w+\}", vi[key])) == set(re.findall(r"\{\w+\}", en[key])), key
    used = set()
    for path in [*(STATIC / "js").glob("*.js"), *(ROOT / "api" / "templates").glob("*.html")]:
        source = path.read_text("utf-8")
        used |= set(re.findall(r"""\bt\(\s*['"]([\w.-]+)['"]""", source))
        used |= set(re.findall(r"""data-i18n(?:-label)?="([\w.-]+)\"""", source))
    assert used - set(en) == set(), "keys used but missing from the catalogues"


def test_vietnamese_wording() -> None:
    words = " ".join(_catalogue("vi").values()).lower()
    for forbidden in ("công chứng", "chứng thực"):  # regulated legal acts (DESIGN)
        assert forbidden not in words


def test_reason_names_are_translated() -> None:
    from notary.core.reasons import REASONS

    for lang in ("vi", "en"):
        catalogue = _catalogue(lang)
        assert all(f"reason.{name}" in catalogue for name in REASONS.values()), lang
