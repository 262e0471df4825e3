"""When the answer cannot be trusted: the chain is unreachable, or the node the page asks
itself disagrees with the service. Both say "cannot verify", never "not genuine"."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from notary.chain.connection import connect
from notary.ops.anvil import AnvilNode, free_port, start_anvil
from tests.api.conftest import Issuer
from tests.browser.conftest import shoot_both, verdict
from tests.browser.stack import Chain, Site, deploy, sibling
from tests.browser.test_verdicts import anchored


@pytest.fixture(scope="module")
def other_node(page_chain: Chain) -> Iterator[AnvilNode]:
    """A second chain with the registry at the same address but nothing anchored in it."""
    node = start_anvil()
    try:
        w3 = connect(node.url)
        admin = page_chain.admin
        w3.provider.make_request("anvil_setBalance", [admin.address, hex(10**21)])  # type: ignore[arg-type]
        copy = deploy(w3, admin)
        assert copy.registry.address == page_chain.registry.address
        yield node
    finally:
        node.stop()


def test_chain_unreachable(web: Site, issuer: Issuer, page: Page) -> None:
    leaf = anchored(web, issuer, os.urandom(100))
    dead = f"http://127.0.0.1:{free_port()}"
    with sibling(web, rpc_url=dead, public_rpc_url=dead, rpc_timeout=2.0) as url:
        page.goto(f"{url}/v/{leaf}")
        assert verdict(page) == "UNVERIFIABLE"
        body = page.locator("#results").inner_text()
        assert "Cannot verify right now" in body and "NOT genuine" not in body
        assert "does not mean the document is false" in body
        assert "made no details of this document public" not in body  # nothing was answered
        shoot_both(page, "unverifiable-chain")


def test_node_disagrees_with_the_service(
    web: Site, issuer: Issuer, page: Page, other_node: AnvilNode
) -> None:
    leaf = anchored(web, issuer, os.urandom(100))
    with sibling(web, public_rpc_url=other_node.url) as url:
        page.goto(f"{url}/v/{leaf}")
        assert verdict(page) == "UNVERIFIABLE"
        body = page.locator("#results").inner_text()
        assert "The blockchain node and the service disagree: anchoring time" in body
        assert "NOT genuine" not in body
        # The service's anchoring time and issuer's name are not stated as facts.
        assert "Written to the blockchain\nCould not be confirmed: the service says" in body
        assert "not confirmed by the blockchain" in body
        checks = page.locator("article.card details.checks")
        expect(checks).to_have_attribute("open", "")  # a failed check: always expanded
        expect(checks.locator("summary")).to_contain_text("6 of 7 checks passed · 1 failed")
        shoot_both(page, "unverifiable-disagree")


def test_node_without_the_registry(web: Site, issuer: Issuer, page: Page) -> None:
    node = start_anvil()
    try:
        leaf = anchored(web, issuer, os.urandom(100))
        with sibling(web, public_rpc_url=node.url) as url:
            page.goto(f"{url}/v/{leaf}")
            assert verdict(page) == "UNVERIFIABLE"
            assert "could not be read" in page.locator("#results").inner_text()
    finally:
        node.stop()
