"""Every verdict the page can show, from a QR link, a file, a receipt and a digest."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, Page, expect

from notary.chain.registry import REGISTRAR_ROLE
from notary.chain.sender import TxSender
from notary.core.digests import sha256_bytes
from notary.core.issuer_signing import IssuerKey, submission_root, submission_tree
from notary.core.merkle import MerkleTree, leaf_hash
from notary.core.metadata import metadata_digest
from notary.core.receipts import AnchorInfo, IssuerSignature, Receipt, ServiceInfo
from notary.core.signing import sign_receipt
from notary.core.types import Digest, Hash32, LeafValues
from notary.settings.service_key import load_or_create_service_key
from notary.verify import Verdict
from notary.verify.onchain import verify_on_chain
from tests.api.conftest import Issuer
from tests.browser.conftest import new_context, shoot_both, verdict, verdicts
from tests.browser.stack import Chain, Site, sibling

METADATA = {
    "documentType": "phytosanitary-certificate",
    "documentNumber": "2026/0042",
    "holder": "Công ty TNHH Nông sản Thanh Hà",
    "product": "Vải thiều Thanh Hà",
    "quantity": "12 t",
    "origin": "VN-HD",
    "issuedOn": "2026-06-01",
    "expiresOn": "2099-12-31",
}


def anchored(web: Site, issuer: Issuer, content: bytes, **kw: Any) -> str:
    """Notarise `content` and anchor it; its leaf."""
    leaf: str = web.notarise_bytes(issuer, content, {**METADATA, **kw})["leaf"]
    web.env.drain()
    return leaf


def document(tmp_path: Path, name: str = "permit.pdf", size: int = 50_000) -> Path:
    path = tmp_path / name
    path.write_bytes(b"%PDF-1.7\n" + os.urandom(size))
    return path


def text(page: Page) -> str:
    return page.locator("#results").inner_text()


def checks_text(page: Page) -> str:
    """The list of checks of the first card, collapsed or not."""
    return str(page.locator("article.card details.checks").first.text_content())


def test_qr_link_genuine(web: Site, issuer: Issuer, page: Page) -> None:
    leaf = anchored(web, issuer, os.urandom(100))
    page.goto(f"{web.url}/v/{leaf}")
    assert verdict(page) == "VALID"
    body = text(page)
    assert "Genuine" in body and "Chi cục Trồng trọt" in body
    assert "2026/0042" in body and "Vải thiều Thanh Hà" in body  # public metadata
    assert "Công ty TNHH" not in body  # the holder is not public by default
    assert "Phytosanitary certificate" in body and "phytosanitary-certificate" not in body
    # Its issuer has no key of its own: the service vouches, and the page says so.
    assert "Registered with the issuer's API key; the service vouches for it." in body
    assert "with its own key" not in body
    # Every check passed: collapsed behind its count (the file was not given: not made).
    checks = page.locator("article.card details.checks")
    expect(checks).not_to_have_attribute("open", "")
    expect(checks.locator("summary")).to_have_text("Each check7 of 7 checks passed · 1 not made")
    assert "The node (" in checks_text(page) and "gives the same answer" in checks_text(page)
    expect(page.locator('.step[data-state="fail"]')).to_have_count(0)
    page.focus("article.card details.checks summary")  # opens from the keyboard
    page.keyboard.press("Enter")
    expect(checks).to_have_attribute("open", "")
    expect(page.locator(".step-ok >> text=gives the same answer")).to_be_visible()
    page.keyboard.press("Enter")
    shoot_both(page, "valid")


def test_old_qr_form(web: Site, issuer: Issuer, page: Page) -> None:
    leaf = anchored(web, issuer, os.urandom(100))
    page.goto(f"{web.url}/verify?leaf={leaf}")
    assert verdict(page) == "VALID"


def test_bad_link_is_refused(web: Site, page: Page) -> None:
    reply = page.goto(f"{web.url}/verify?leaf=<script>alert(1)</script>")
    assert reply is not None and reply.status == 400
    expect(page.locator(".notice-error").first).to_contain_text("not a valid verification link")
    assert "<script>" not in page.content().split("<main", 1)[1]


def test_genuine_file(web: Site, issuer: Issuer, page: Page, tmp_path: Path) -> None:
    path = document(tmp_path)
    anchored(web, issuer, path.read_bytes())
    page.goto(f"{web.url}/verify")
    page.set_input_files("#file", str(path))
    assert verdict(page) == "VALID"
    assert "Công ty TNHH" in text(page)  # the reader has the file: every field shows
    expect(page.locator("button.download")).to_have_count(1)  # under "Technical details"


def test_file_with_one_byte_changed(web: Site, issuer: Issuer, page: Page, tmp_path: Path) -> None:
    path = document(tmp_path)
    anchored(web, issuer, path.read_bytes())
    changed = bytearray(path.read_bytes())
    changed[len(changed) // 2] ^= 1
    path.write_bytes(bytes(changed))
    page.goto(f"{web.url}/verify")
    page.set_input_files("#file", str(path))
    assert verdict(page) == "INVALID"
    assert "NOT genuine" in text(page) and "No document with this fingerprint" in text(page)
    shoot_both(page, "invalid-file")


def test_file_against_its_qr_code(web: Site, issuer: Issuer, page: Page, tmp_path: Path) -> None:
    leaf = anchored(web, issuer, os.urandom(100))
    page.goto(f"{web.url}/v/{leaf}")
    assert verdict(page) == "VALID"
    page.set_input_files("#file", str(document(tmp_path)))
    page.wait_for_selector('article.card[data-verdict="INVALID"]')
    assert "not the one registered under this QR code" in text(page)


def test_revoked(web: Site, issuer: Issuer, page: Page) -> None:
    leaf = anchored(web, issuer, os.urandom(100))
    r = web.env.client.post(
        f"/v1/documents/{leaf}/revoke", json={"reason": 2}, headers=issuer.headers
    )
    assert r.status_code in (200, 202), r.text
    web.env.drain()
    page.goto(f"{web.url}/v/{leaf}")
    assert verdict(page) == "REVOKED"
    assert "replaced by a newer document" in text(page)
    assert "gives the same answer" in checks_text(page)
    shoot_both(page, "revoked")


def test_unknown_leaf(web: Site, page: Page) -> None:
    page.goto(f"{web.url}/v/0x{os.urandom(32).hex()}")
    assert verdict(page) == "INVALID"
    assert "does not match any document registered" in text(page)
    shoot_both(page, "unknown")


def test_pending(web: Site, issuer: Issuer, page: Page) -> None:
    leaf = web.notarise_bytes(issuer, os.urandom(100), METADATA)["leaf"]
    page.goto(f"{web.url}/v/{leaf}")
    assert verdict(page) == "PENDING"
    assert "promised to write it to the blockchain by" in text(page)
    # Nothing to ask the node yet is not a failure: the checks stay collapsed.
    expect(page.locator('.step[data-state="fail"]')).to_have_count(0)
    expect(page.locator("details.checks summary")).to_contain_text("5 of 5 checks passed")
    shoot_both(page, "pending")
    web.env.drain()  # leave nothing pending for the other tests' drains


def test_awaiting_confirmations(web: Site, issuer: Issuer, page: Page) -> None:
    leaf = anchored(web, issuer, os.urandom(100))
    with sibling(web, confirmations=1000) as url:
        page.goto(f"{url}/v/{leaf}")
        assert verdict(page) == "VALID_PENDING_CONFIRMATIONS"
        assert "of 1,000 confirmations" in text(page)
        shoot_both(page, "valid-pending-confirmations")


def test_receipt_upload(web: Site, issuer: Issuer, page: Page, tmp_path: Path) -> None:
    path = document(tmp_path)
    leaf = anchored(web, issuer, path.read_bytes())
    receipt = tmp_path / "permit.pdf.receipt.json"
    receipt.write_text(json.dumps(web.receipt(issuer, leaf)))
    page.goto(f"{web.url}/verify")
    page.set_input_files("#file", str(receipt))
    assert verdict(page) == "VALID"
    assert "2026/0042" in text(page)
    page.set_input_files("#file", [str(receipt), str(path)])  # the receipt and its document
    page.wait_for_selector(
        'article.card[data-verdict="VALID"] .step-ok >> text=The file', state="attached"
    )


def test_file_notarised_by_two_issuers(web: Site, page: Page, tmp_path: Path) -> None:
    path = document(tmp_path)
    names = ["Sở Tài nguyên và Môi trường Hà Nội", "Cục Bảo vệ thực vật"]
    for name in names:
        other = web.env.new_issuer(name)
        web.env.drain()
        web.notarise_bytes(other, path.read_bytes(), METADATA)
    web.env.drain()
    page.goto(f"{web.url}/verify")
    page.set_input_files("#file", str(path))
    assert verdicts(page) == ["VALID", "VALID"]
    body = text(page)
    assert "2 documents have this fingerprint" in body
    assert all(name in body for name in names)
    shoot_both(page, "two-issuers")


def test_pasted_digest(web: Site, issuer: Issuer, page: Page) -> None:
    content = os.urandom(100)
    anchored(web, issuer, content)
    page.goto(f"{web.url}/verify")
    page.fill("#digest", "nonsense")
    page.click("#digest-form button")
    expect(page.locator("#message")).to_contain_text("64 characters")
    page.fill("#digest", hashlib.sha256(content).hexdigest().upper())
    page.click("#digest-form button")
    assert verdict(page) == "VALID"


def test_the_file_never_leaves_the_device(
    web: Site, issuer: Issuer, page: Page, tmp_path: Path
) -> None:
    path = document(tmp_path, size=300_000)
    content = path.read_bytes()
    anchored(web, issuer, content)
    bodies: list[bytes] = []
    page.on("request", lambda r: bodies.append(r.post_data_buffer or b""))
    page.goto(f"{web.url}/verify")
    page.set_input_files("#file", str(path))
    assert verdict(page) == "VALID"
    assert any(b'"digest"' in body for body in bodies)  # the digest did go out
    samples = [content[i : i + 64] for i in range(0, len(content), len(content) // 16)]
    for body in bodies:
        assert len(body) < len(content)
        assert not any(sample in body for sample in samples), "a request carried file bytes"


def test_an_issuer_whose_registration_failed_is_not_genuine(
    web: Site, page_chain: Chain, page: Page, browser: Browser
) -> None:
    """The registry refused the registration (the service lacked REGISTRAR_ROLE), the
    anchor went through: NOT genuine at the issuer step, in both languages, and the page's
    own judgement from the node's answer (as on /verify/stream) says the same as Python's."""
    registry, admin, anchorer = page_chain.registry, page_chain.admin, page_chain.anchorer
    sender = TxSender(registry, admin)
    sender.transact(registry.contract.functions.revokeRole(REGISTRAR_ROLE, anchorer.address))
    try:
        unregistered = web.env.new_issuer("Chi cục Thủy sản tỉnh Cà Mau")
        leaf = anchored(web, unregistered, os.urandom(100))
    finally:
        sender.transact(registry.grant_role_call(REGISTRAR_ROLE, anchorer.address))
    page.goto(f"{web.url}/v/{leaf}")
    assert verdict(page) == "INVALID"
    body = text(page)
    assert "NOT genuine" in body and "Genuine" not in body.replace("NOT genuine", "")
    assert "was not registered on the blockchain when this document was written" in body
    assert "gives the same answer" in checks_text(page)  # the node agrees: not "cannot verify"
    checks = page.locator("article.card details.checks")
    expect(checks).to_have_attribute("open", "")  # never "every check passed" under NOT genuine
    expect(checks.locator("summary")).to_contain_text("1 failed")
    expect(page.locator('.step[data-state="fail"]')).to_contain_text(
        "registry did not know this issuer"
    )

    receipt = web.receipt(unregistered, leaf)
    python = verify_on_chain(
        Receipt.from_dict(receipt), registry, required_confirmations=0
    ).judgement
    assert python.verdict is Verdict.INVALID and python.failed_step is not None
    assert python.failed_step.name == "issuer"
    on_device = page.evaluate(
        """async ([base, rpc, receipt]) => {
          const { judgeOnDevice } = await import(`${base}/static/js/core/judge.js`);
          const { askRegistry } = await import(`${base}/static/js/core/node.js`);
          const { anchor, values, proof } = receipt;
          const answer = await askRegistry(rpc, anchor.contract, values, proof);
          return judgeOnDevice(receipt, [], { state: 'agree', answer }, 0);
        }""",
        [web.url, web.settings.public_rpc_url, receipt],
    )
    assert on_device["verdict"] == "INVALID"
    assert on_device["reasons"] == [{"key": "failed.issuerUnregistered"}]

    context = new_context(browser, "vi-VN")
    try:
        vi = context.new_page()
        vi.goto(f"{web.url}/v/{leaf}")
        assert verdict(vi) == "INVALID"
        assert "chưa được đăng ký trên chuỗi khối" in vi.locator("#results").inner_text()
    finally:
        context.close()


def test_markup_in_names_and_metadata_is_shown_as_text(web: Site, page: Page) -> None:
    """An issuer name and metadata made of markup: shown literally on /v/{leaf} and
    /issuers, nothing run (no dialog, no console error)."""
    markup = '<img src=x onerror="alert(1)"><script>alert(2)</script>'
    issuer = web.env.new_issuer(f"Chi cục {markup}")
    leaf = anchored(web, issuer, os.urandom(100), documentNumber=markup)
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(f"{web.url}/v/{leaf}")
    assert verdict(page) == "VALID"
    body = text(page)
    assert f"Chi cục {markup}" in body and markup in body.replace(f"Chi cục {markup}", "")
    expect(page.locator("#results img, #results script")).to_have_count(0)
    page.goto(f"{web.url}/issuers")
    expect(page.locator("#issuers")).to_contain_text(f"Chi cục {markup}")
    expect(page.locator("#issuers img, #issuers script")).to_have_count(0)
    assert dialogs == []


def _signing_issuer(web: Site, chain: Chain, name: str) -> tuple[Issuer, IssuerKey]:
    """An issuer registered through the service that authorised a signing key of its own
    (its root key signs AddSigner; the admin relays it)."""
    issuer = web.env.new_issuer(name)
    web.env.drain()
    registry = chain.registry
    key, root = IssuerKey(os.urandom(32)), IssuerKey(bytes(issuer.account.key))
    domain, nonce = registry.domain(), registry.nonce(issuer.address)
    deadline = 2**40
    signature = root.sign_add_signer(domain, issuer.address, key.address, nonce, deadline)
    TxSender(registry, chain.admin).transact(
        registry.add_signer_by_sig_call(issuer.address, key.address, nonce, deadline, signature)
    )
    return issuer, key


def _anchored_receipt(
    web: Site, chain: Chain, issuer: Issuer, content: bytes, signer: IssuerKey | None
) -> dict[str, Any]:
    """`content` anchored by the hot wallet outside the service, and its receipt signed by
    the service's key: v2 with `signer`'s signature of it, v1 without (a forgery when the
    issuer signs its documents)."""
    registry = chain.registry
    values = LeafValues.of(sha256_bytes(content), issuer.address, metadata_digest(None))
    leaf = leaf_hash(values)
    domain = registry.domain()
    signed = None
    if signer is not None:
        root = submission_root(submission_tree([leaf]))
        signature = signer.sign_submission(domain, issuer.address, root)
        signed = IssuerSignature(signer.address, signature, root, (), domain)
    other = LeafValues.of(Digest(os.urandom(32)), chain.admin.address, metadata_digest(None))
    batch = MerkleTree.from_leaves([leaf, leaf_hash(other)])
    mined = TxSender(registry, chain.anchorer).transact(registry.anchor_call(batch.root.raw, 2))
    block = registry.w3.eth.get_block(mined["blockNumber"])
    anchor = AnchorInfo(
        domain.chain_id,
        registry.address,
        Hash32(bytes(mined["transactionHash"])),
        mined["blockNumber"],
        Hash32(bytes(block["hash"])),
        block["timestamp"],
    )
    pending = Receipt.pending(values, issuer.name, ServiceInfo("notary"), issuer_signature=signed)
    receipt = pending.anchored(anchor, batch.proof(0), batch.root)
    return sign_receipt(receipt, load_or_create_service_key(web.settings)).to_dict()


def test_a_document_its_issuer_signed_says_who_signed_it(
    web: Site, page_chain: Chain, page: Page, tmp_path: Path
) -> None:
    """A receipt v2: the issuer's own key signed it, checked on the device and by the node
    (checkSigned); the page says so in other words than for a document the service vouches
    for. A forgery of the same issuer (anchored by the hot wallet, no signature) is NOT
    genuine, naming the missing signature."""
    issuer, key = _signing_issuer(web, page_chain, "Chi cục Kiểm dịch thực vật vùng I")
    path = document(tmp_path)
    receipt = tmp_path / "permit.pdf.receipt.json"
    receipt.write_text(
        json.dumps(_anchored_receipt(web, page_chain, issuer, path.read_bytes(), key))
    )
    page.goto(f"{web.url}/verify")
    page.set_input_files("#file", [str(receipt), str(path)])
    assert verdict(page) == "VALID"
    body = text(page)
    assert f"Signed by {issuer.name} with its own key, registered on the blockchain." in body
    assert "the service vouches" not in body
    checks = checks_text(page)
    assert "The proof and the issuer's signature check out on this device." in checks
    assert "The issuer's key signed the batch this document was sent in." in checks
    assert "gives the same answer" in checks  # the node's checkSigned agrees
    shoot_both(page, "valid-signed")

    forged = tmp_path / "forged.pdf"
    forged.write_bytes(b"%PDF-1.7\n" + os.urandom(5000))
    forged_receipt = tmp_path / "forged.pdf.receipt.json"
    forged_receipt.write_text(
        json.dumps(_anchored_receipt(web, page_chain, issuer, forged.read_bytes(), None))
    )
    page.goto(f"{web.url}/verify")
    page.set_input_files("#file", [str(forged_receipt), str(forged)])
    assert verdict(page) == "INVALID"
    body = text(page)  # in Vietnamese now: shoot_both left the page so
    assert "KHÔNG hợp lệ" in body and "tài liệu này không có chữ ký của đơn vị" in body
    expect(page.locator('.step[data-state="fail"]')).to_contain_text("Chữ ký của đơn vị cấp")
    assert "trả lời giống dịch vụ" in checks_text(page)  # the node refuses it too
    page.click("#lang-switch")
    page.wait_for_selector("html[lang=en]", state="attached")
    assert "NOT genuine" in text(page) and "carries no signature" in text(page)
    shoot_both(page, "invalid-unsigned")
