"""The pages' JavaScript as esbuild bundles it at install time (scripts/build_page.mjs):
one bundle per page, served under the versioned prefix with the page's policy, its source
map beside it, and nothing it loads later (lazy modules, workers, a vendored library) from
anywhere but this service's /static."""

from __future__ import annotations

import json
import logging
import posixpath
import re
from pathlib import Path

import pytest

from api.assets import (
    IMMUTABLE,
    PAGE_BUNDLES,
    STATIC_DIR,
    missing_bundles,
    static_files,
    static_prefix,
)
from tests.api.conftest import ApiEnv
from tests.api.test_pages_security import assert_page_policy

PAGES = {"/verify": "verify", "/verify/stream": "stream", "/issuers": "issuers"}
DYNAMIC_IMPORT = re.compile(r"""\bimport\((["'`])([^"'`]*)\1\)""")
WORKER_URL = re.compile(r"""new URL\((["'`])([^"'`]*)\1,\s*import\.meta\.url\)""")
STATIC_IMPORT = re.compile(
    r"""\bimport\s*(?:[\w$]+\s*,?\s*)?(?:\{[^}]*\}|\*\s*as\s+[\w$]+)?\s*(?:from\s*)?["']"""
)
MAP_COMMENT = re.compile(r"^//# sourceMappingURL=([\w.-]+\.map)$", re.M)


def bundle_url(api: ApiEnv, page: str) -> str:
    html = api.client.get(page).text
    scripts = re.findall(r'<script type="module" src="([^"]+)"', html)
    assert len(scripts) == 1, scripts
    return str(scripts[0])


def loaded_later(source: str) -> list[str]:
    """The relative URLs a bundle loads after it runs: dynamic imports and workers."""
    return [m.group(2) for m in DYNAMIC_IMPORT.finditer(source)] + [
        m.group(2) for m in WORKER_URL.finditer(source) if not m.group(2).startswith("../i18n/")
    ]


def test_every_page_bundle_is_built() -> None:
    assert missing_bundles() == []
    assert {f"build/{name}.js" for name in PAGES.values()} == set(PAGE_BUNDLES)


def test_a_service_without_its_bundles_says_so(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Pages whose scripts were never built would show without working: the log names them."""
    (tmp_path / "build").mkdir()
    (tmp_path / "build" / "verify.js").write_text("")
    with caplog.at_level(logging.ERROR, logger="api.assets"):
        static_files(tmp_path)
    assert missing_bundles(tmp_path) == ["build/stream.js", "build/issuers.js"]
    assert "build/stream.js, build/issuers.js" in caplog.text and "make install" in caplog.text


@pytest.mark.parametrize(("page", "name"), PAGES.items())
def test_each_page_loads_its_one_bundle_with_the_page_policy(
    api: ApiEnv, page: str, name: str
) -> None:
    url = bundle_url(api, page)
    assert url == f"{static_prefix()}/build/{name}.js"
    reply = api.client.get(url, headers={"accept-encoding": "gzip"})
    assert reply.status_code == 200 and "javascript" in reply.headers["content-type"]
    assert reply.headers["cache-control"] == IMMUTABLE
    assert reply.headers.get("content-encoding") == "gzip"
    assert_page_policy(dict(reply.headers))
    assert not STATIC_IMPORT.search(reply.text), "a static import left in the bundle"
    assert "/js/" not in " ".join(loaded_later(reply.text)), "a source module loaded unbundled"


@pytest.mark.parametrize("name", ["verify", "stream", "issuers", "hashing", "scan"])
def test_what_a_bundle_loads_later_is_this_services_own_file(api: ApiEnv, name: str) -> None:
    base = f"{static_prefix()}/build/{name}.js"
    source = api.client.get(base).text
    for relative in loaded_later(source):
        assert relative.startswith(("./", "../")), f"{name}.js loads {relative}"
        target = posixpath.normpath(posixpath.join(posixpath.dirname(base), relative))
        assert target.startswith(static_prefix() + "/"), target
        assert api.client.get(target).status_code == 200, target
    assert not re.search(r"""\bimport\(\s*["'`](?:https?:)?//""", source)
    assert not re.search(r"""importScripts\(\s*["'`](?:https?:)?//""", source)


def test_lazy_modules_and_workers_are_bundled_too(api: ApiEnv) -> None:
    verify = api.client.get(f"{static_prefix()}/build/verify.js").text
    assert {"./hashing.js", "./scan.js"} <= set(loaded_later(verify))
    assert "./hash-worker.js" in loaded_later(
        api.client.get(f"{static_prefix()}/build/hashing.js").text
    )
    assert "./qr-worker.js" in loaded_later(api.client.get(f"{static_prefix()}/build/scan.js").text)
    for worker in ("hash-worker", "qr-worker"):
        reply = api.client.get(f"{static_prefix()}/build/{worker}.js")
        assert reply.status_code == 200 and MAP_COMMENT.search(reply.text), worker


@pytest.mark.parametrize("name", ["verify", "stream", "issuers", "hashing", "hash-worker"])
def test_source_maps_are_served_beside_the_bundles(api: ApiEnv, name: str) -> None:
    source = api.client.get(f"{static_prefix()}/build/{name}.js").text
    found = MAP_COMMENT.findall(source)
    assert found == [f"{name}.js.map"]
    reply = api.client.get(f"{static_prefix()}/build/{found[0]}")
    assert reply.status_code == 200 and reply.headers["content-type"] == "application/json"
    assert reply.headers["cache-control"] == IMMUTABLE
    sourcemap = json.loads(reply.text)
    assert f"../js/{name}.js" in sourcemap["sources"]
    assert len(sourcemap["sourcesContent"]) == len(sourcemap["sources"])
    for path in sourcemap["sources"]:  # the original files, served too
        original = posixpath.normpath(posixpath.join("build", path))
        assert (STATIC_DIR / original).is_file(), path
