"""The commands the page shows, run as a reader would run them: `cast call` against the
node with Foundry's own cast, and `notary verify` beside the receipt the page downloads."""

from __future__ import annotations

import os
import platform
import re
import shlex
import subprocess
import sys
from pathlib import Path

from playwright.sync_api import Page

from tests.api.conftest import Issuer
from tests.browser.conftest import verdict
from tests.browser.stack import Site
from tests.browser.test_verdicts import anchored, document

ROOT = Path(__file__).resolve().parents[2]
_PLATFORMS = {("Linux", "x86_64"): "linux-amd64", ("Linux", "aarch64"): "linux-arm64"}
NOTARY = Path(sys.executable).with_name("notary")
# cast's decoded tuple: (leaf, root, anchoredAt [sci], anchoredBlock, leafCount, revokedAt, …
TUPLE = re.compile(r"\((0x[0-9a-f]{64}), (0x[0-9a-f]{64}), (\d+)(?: \[[^\]]*\])?, (\d+)")


def find_cast() -> Path:
    """Cast from its npm platform package, as notary/ops/anvil.py finds Anvil."""
    suffix = _PLATFORMS.get((platform.system(), platform.machine()), "linux-amd64")
    cast = ROOT / "node_modules" / "@foundry-rs" / f"cast-{suffix}" / "bin" / "cast"
    assert cast.is_file(), f"{cast} is missing: run `npm ci`"
    return cast


def shown_commands(page: Page) -> dict[str, list[str]]:
    """The page's re-check commands, split as a shell would split them."""
    page.locator("article.card details.tech summary").first.click()
    texts = page.locator("article.card .command code").all_text_contents()
    return {shlex.split(text)[0]: shlex.split(text) for text in texts}


def run(argv: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NOTARY_")}
    env["NOTARY_DATA_DIR"] = str(cwd / ".notary")  # nothing of the service's own
    return subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def test_the_cast_call_shown_says_anchored(
    web: Site, issuer: Issuer, page: Page, tmp_path: Path
) -> None:
    leaf = anchored(web, issuer, os.urandom(100))
    page.goto(f"{web.url}/v/{leaf}")
    assert verdict(page) == "VALID"
    argv = shown_commands(page)["cast"]
    assert argv[1] == "call" and "--rpc-url" in argv
    done = run([str(find_cast()), *argv[1:]], tmp_path)
    assert done.returncode == 0, done.stderr
    found = TUPLE.search(done.stdout)
    assert found is not None, done.stdout
    assert found.group(1) == leaf  # the registry recomputed the same leaf
    assert int(found.group(3)) != 0  # anchoredAt
    assert "Chi cục Trồng trọt" in done.stdout  # the issuer as registered on chain


def test_the_notary_verify_shown_says_valid(
    web: Site, issuer: Issuer, page: Page, tmp_path: Path
) -> None:
    path = document(tmp_path)
    anchored(web, issuer, path.read_bytes())
    page.goto(f"{web.url}/verify")
    page.set_input_files("#file", str(path))
    assert verdict(page) == "VALID"
    commands = shown_commands(page)
    with page.expect_download() as download:
        page.locator("article.card button.download").click()
    name = download.value.suggested_filename
    assert name == "permit.pdf.receipt.json"
    download.value.save_as(tmp_path / name)  # beside the document, as the page says
    argv = commands["notary"]
    assert argv[1:3] == ["verify", "permit.pdf"]
    done = run([str(NOTARY), *argv[1:]], tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr  # 0: VALID
    assert "VALID" in done.stdout
    cast = run([str(find_cast()), *commands["cast"][1:]], tmp_path)
    found = TUPLE.search(cast.stdout)
    assert cast.returncode == 0 and found is not None and int(found.group(3)) != 0, cast.stdout
