"""Scanning a QR code: Chromium's fake camera fed a QR code as a .y4m video, and a photo."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import segno
from playwright.sync_api import Browser, Page, Playwright, expect

from tests.api.conftest import Issuer
from tests.browser.conftest import PHONE, verdict
from tests.browser.stack import Site, launch
from tests.browser.test_verdicts import anchored

WIDTH, HEIGHT = 640, 480


def qr_y4m(text: str, path: Path, frames: int = 5) -> Path:
    """A few frames of 4:2:0 video showing `text` as a QR code (black on white)."""
    rows = [list(row) for row in segno.make(text, error="m").matrix_iter(scale=8, border=4)]
    size = len(rows)
    assert size <= HEIGHT, "the QR code does not fit the frame"
    left, top = (WIDTH - size) // 2, (HEIGHT - size) // 2
    luma = bytearray(b"\xff" * (WIDTH * HEIGHT))
    for y, row in enumerate(rows):
        line = bytes(0 if dark else 255 for dark in row)
        start = (top + y) * WIDTH + left
        luma[start : start + size] = line
    chroma = b"\x80" * ((WIDTH // 2) * (HEIGHT // 2))
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{WIDTH} H{HEIGHT} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            out.write(b"FRAME\n" + bytes(luma) + chroma + chroma)
    return path


@pytest.fixture
def camera_for(playwright: Playwright, tmp_path: Path) -> Iterator[object]:
    """A Chromium whose camera shows a QR code of the given text."""
    browsers: list[Browser] = []

    def make(text: str) -> Page:
        video = qr_y4m(text, tmp_path / "qr.y4m")
        browser = launch(
            playwright,
            [
                "--use-fake-device-for-media-stream",
                "--use-fake-ui-for-media-stream",
                f"--use-file-for-fake-video-capture={video}",
            ],
        )
        browsers.append(browser)
        context = browser.new_context(viewport=PHONE, locale="en-GB")
        context.grant_permissions(["camera"])
        return context.new_page()

    yield make
    for browser in browsers:
        browser.close()


def test_camera_scan_opens_the_check(web: Site, issuer: Issuer, camera_for) -> None:  # type: ignore[no-untyped-def]
    leaf = anchored(web, issuer, os.urandom(100))
    page = camera_for(f"{web.url}/v/{leaf}")
    page.goto(f"{web.url}/verify")
    page.wait_for_selector("#main[data-ready]")
    page.click("#scan")
    page.wait_for_url(f"{web.url}/v/{leaf}", timeout=20_000)
    assert verdict(page) == "VALID"


def test_camera_scan_refuses_other_links(web: Site, camera_for) -> None:  # type: ignore[no-untyped-def]
    page = camera_for(f"https://example.org/v/0x{'ab' * 32}")
    page.goto(f"{web.url}/verify")
    page.wait_for_selector("#main[data-ready]")
    page.click("#scan")
    expect(page.locator("#message")).to_contain_text("not a link to this service", timeout=20_000)
    assert page.url == f"{web.url}/verify"


def test_photo_of_a_qr_code(web: Site, issuer: Issuer, page: Page, tmp_path: Path) -> None:
    leaf = anchored(web, issuer, os.urandom(100))
    photo = tmp_path / "qr.png"
    segno.make(f"{web.url}/verify?leaf={leaf}").save(str(photo), scale=6, border=4)
    page.goto(f"{web.url}/verify")
    page.wait_for_selector("#main[data-ready]")
    page.set_input_files("#photo", str(photo))
    page.wait_for_url(f"{web.url}/v/{leaf}")
    assert verdict(page) == "VALID"


def test_photo_without_a_qr_code(web: Site, page: Page, tmp_path: Path) -> None:
    blank = tmp_path / "blank.png"
    segno.make("x").save(str(blank), scale=1, border=0, dark="#fff")  # all white
    page.goto(f"{web.url}/verify")
    page.wait_for_selector("#main[data-ready]")
    page.set_input_files("#photo", str(blank))
    expect(page.locator("#message")).to_contain_text("No QR code was found")
