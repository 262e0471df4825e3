"""Hashing on the device: Web Crypto up to the page's one-shot limit, hash-wasm slice by
slice beyond it; both give what Python's hashlib gives, and no request carries the bytes
(tests/browser/test_verdicts.py: test_the_file_never_leaves_the_device)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

from playwright.sync_api import Page

from tests.browser.stack import Site

SIZES = (0, 1, 20 * 2**20 + 12_345)
"""Empty, one byte, and three 8 MiB slices of which the last is short."""


def hash_on_page(page: Page, url: str, path: Path, one_shot_max: int | None) -> dict[str, Any]:
    """Open `url`, optionally lower the one-shot limit (the page's data- attribute, which
    nothing in a URL reaches), pick `path`; the worker's digest and engine."""
    page.goto(url)
    page.wait_for_selector("#main[data-ready]")
    if one_shot_max is not None:
        page.evaluate(f"document.getElementById('main').dataset.hashOneShotMax = '{one_shot_max}'")
    page.set_input_files("#file", str(path))
    page.wait_for_selector('#main[data-state="done"]', timeout=60_000)
    detail: dict[str, Any] = page.evaluate("performance.getEntriesByName('hash').at(-1).detail")
    return detail


def test_both_paths_give_hashlibs_digest(web: Site, page: Page, tmp_path: Path) -> None:
    for size in SIZES:
        path = tmp_path / f"file-{size}.bin"
        content = os.urandom(size)
        path.write_bytes(content)
        expected = "0x" + hashlib.sha256(content).hexdigest()
        native = hash_on_page(page, f"{web.url}/verify", path, None)
        assert (native["engine"], native["digest"]) == ("webcrypto", expected), size
        fallback = hash_on_page(page, f"{web.url}/verify", path, max(size - 1, 0) if size else -1)
        if size:  # a limit below the size: the incremental path
            assert (fallback["engine"], fallback["digest"]) == ("hash-wasm", expected), size
        else:  # a limit the page refuses falls back to the default: still Web Crypto
            assert (fallback["engine"], fallback["digest"]) == ("webcrypto", expected)


def test_the_limit_comes_from_the_page(web: Site) -> None:
    from api.routers.pages import HASH_ONE_SHOT_MAX

    page = web.env.client.get("/verify?leaf=1&hashOneShotMax=1")
    assert f'data-hash-one-shot-max="{HASH_ONE_SHOT_MAX}"' in page.text
    assert HASH_ONE_SHOT_MAX == 512 * 2**20
