"""The attack issuer keys must stop (issue 22), on a real Anvil, through every verifier.

The attacker holds the service's database, its hot wallet, its admin API key and its
receipt-signing key, but not the agency's signing key. It (a) notarises and anchors a
forged permit in the agency's name, through the API and by writing the database and
anchoring with the hot wallet itself; (b) tries to revoke a real permit of the agency,
through the API and with `revokeFor` from the hot wallet. Expected: (a) NOT genuine for
`POST /v1/verify` (by leaf and by receipt), `notary verify`, `cast call` (`check` refuses,
`checkSigned` says not authorised) and the page `/v/{leaf}`, each naming the missing or
wrong issuer signature; (b) nothing revoked on chain. And: a document signed with a key
that was removed afterwards stays genuine; one signed by that key and anchored after its
removal is not.

Lives in the browser tier because the page is one of the verifiers (Playwright must run
last in a session; see tests/browser/conftest.py).
"""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from eth_utils.abi import function_signature_to_4byte_selector
from playwright.sync_api import Page
from web3 import Web3

from notary.chain import ContractReverted, TxSender
from notary.cli import main
from notary.client.stamping import document_leaf, sign_submission, signed_metadata
from notary.core.issuer_signing import IssuerKey, keyed_nonce
from notary.core.merkle import MerkleTree
from notary.core.metadata import metadata_digest
from notary.core.receipts import AnchorInfo, Receipt, ServiceInfo
from notary.core.signing import sign_receipt
from notary.core.types import Digest, Hash32, Leaf, LeafValues
from notary.pipeline.accept import DocumentInput, accept_many
from notary.pipeline.receipts import SignedBy
from notary.pipeline.revocations import queue_revocations, request_revocation
from notary.settings.service_key import load_or_create_service_key
from tests.agency import Agency
from tests.api.conftest import Issuer, funded
from tests.browser.conftest import verdict
from tests.browser.stack import Chain, Site

ROOT = Path(__file__).resolve().parents[2]
CAST = ROOT / "node_modules/@foundry-rs/cast-linux-amd64/bin/cast"
CHECK = "check(bytes32,address,bytes32,bytes32[])"
CHECK_SIGNED = (
    "checkSigned(bytes32,address,bytes32,bytes32[],bytes32,bytes32[],bytes)"
    "((bytes32,bytes32,uint64,uint64,uint64,uint64,uint8,uint64,string,uint64,uint64),"
    "(address,bool,uint64,uint64,uint64,uint64,uint64,bool,bool))"
)
SIGNATURE_STEP = "issuerSignature"
SIGNATURE_REQUIRED = "0x" + function_signature_to_4byte_selector("SignatureRequired(address)").hex()
PERMIT = {"documentType": "environmental-permit", "documentNumber": "127/GPMT-STNMT"}


@dataclass
class Scene:
    """The agency (its root key and office key on chain) and what the attacker holds."""

    web: Site
    chain: Chain
    issuer: Issuer
    agency: Agency
    office: IssuerKey

    @property
    def hot_wallet(self) -> TxSender:
        return TxSender(self.chain.registry, self.chain.anchorer)

    def submit_signed(self, key: IssuerKey) -> str:
        """A permit submitted through the API, signed by `key`; its leaf."""
        doc = (Digest(os.urandom(32)), signed_metadata(PERMIT))
        domain = self.chain.registry.domain()
        fields = sign_submission(key, domain, self.issuer.address, [doc]).fields(
            self.issuer.address
        )
        body = {"digest": doc[0].hex, "metadata": doc[1], **fields}
        r = self.web.env.client.post("/v1/documents", json=body, headers=self.issuer.headers)
        assert r.status_code == 202, r.text
        return str(r.json()["leaf"])

    def anchor_directly(self, leaves: list[Leaf]) -> tuple[MerkleTree, dict[str, Any]]:
        """Anchor a tree of `leaves` (and a stranger's) with the hot wallet, bypassing the
        service; the tree and the receipt's anchor facts."""
        tree = MerkleTree.from_leaves([*leaves, Leaf(os.urandom(32))])
        receipt = self.hot_wallet.transact(
            self.chain.registry.anchor_call(tree.root.raw, len(leaves) + 1)
        )
        block = self.chain.registry.w3.eth.get_block(receipt["blockNumber"])
        anchor = {
            "tx_hash": Hash32(bytes(receipt["transactionHash"])),
            "block_number": int(receipt["blockNumber"]),
            "block_hash": Hash32(bytes(block["hash"])),
            "timestamp": int(block["timestamp"]),
        }
        return tree, anchor

    def forged_receipt(
        self,
        digest: Digest,
        metadata: dict[str, Any],
        signed_by: SignedBy | None = None,
    ) -> dict[str, Any]:
        """A receipt the attacker makes for a document it anchored itself, signed with the
        service's own receipt key (which it holds too)."""
        leaf = document_leaf(self.issuer.address, digest, metadata)
        tree, facts = self.anchor_directly([leaf])
        settings = self.web.settings
        key = load_or_create_service_key(settings)
        chain_id = int(self.chain.registry.w3.eth.chain_id)
        issuer_signature = None
        if signed_by is not None:
            issuer_signature = signed_by.in_receipt(chain_id, self.chain.registry.address)
        pending = Receipt.pending(
            LeafValues(digest, self.issuer.address, metadata_digest(metadata)),
            self.issuer.name,
            ServiceInfo(settings.service_id, key_id=key.key_id, batch="forged"),
            metadata,
            issuer_signature,
        )
        anchor = AnchorInfo(chain_id=chain_id, contract=self.chain.registry.address, **facts)
        receipt = pending.anchored(anchor, tree.proof(0), tree.root)
        return sign_receipt(receipt, key).to_dict()


@pytest.fixture
def scene(web: Site, page_chain: Chain, w3: Web3) -> Scene:
    """An agency that signs, with one office key on chain."""
    issuer = web.env.new_issuer("Sở Tài nguyên và Môi trường tỉnh Lâm Đồng")
    web.env.drain()  # registered on chain
    agency = Agency(page_chain.registry, TxSender(page_chain.registry, funded(w3)))
    agency.root = IssuerKey(bytes(issuer.account.key))
    office = agency.add_key()
    return Scene(web, page_chain, issuer, agency, office)


def _verify(scene: Scene, body: dict[str, Any]) -> dict[str, Any]:
    r = scene.web.env.client.post("/v1/verify", json=body)
    assert r.status_code == 200, r.text
    answer: dict[str, Any] = r.json()
    return answer


def _cli_verify(
    scene: Scene, receipt: dict[str, Any], tmp_path: Path, capsys: Any
) -> tuple[int, dict[str, Any]]:
    path = tmp_path / f"{receipt['leaf']}.receipt.json"
    path.write_text(json.dumps(receipt))
    rpc = str(scene.chain.registry.w3.provider.endpoint_uri)  # type: ignore[attr-defined]
    capsys.readouterr()
    code = main(["verify", str(path), "--rpc-url", rpc, "--json"])
    answer: dict[str, Any] = json.loads(capsys.readouterr().out)
    return code, answer["documents"][0] if "documents" in answer else answer


def _cast(scene: Scene, signature: str, *args: str) -> subprocess.CompletedProcess[str]:
    assert CAST.is_file(), f"{CAST} is missing: run `npm ci`"
    rpc = str(scene.chain.registry.w3.provider.endpoint_uri)  # type: ignore[attr-defined]
    return subprocess.run(
        [str(CAST), "call", "--rpc-url", rpc, scene.chain.registry.address, signature, *args],
        capture_output=True,
        text=True,
        check=False,
    )


def _proof_args(receipt: dict[str, Any]) -> list[str]:
    digest, issuer, metadata = receipt["values"]
    return [digest, issuer, metadata, "[" + ",".join(receipt["proof"]) + "]"]


def _not_genuine_everywhere(
    scene: Scene,
    receipt: dict[str, Any],
    page: Page,
    tmp_path: Path,
    capsys: Any,
    *,
    in_service: bool = False,
) -> None:
    """Every verifier says NOT genuine, naming the issuer's signature."""
    leaf = receipt["leaf"]
    by_receipt = _verify(scene, {"receipt": receipt})
    assert (by_receipt["verdict"], by_receipt["failedStep"]) == ("INVALID", SIGNATURE_STEP), (
        by_receipt
    )
    code, cli = _cli_verify(scene, receipt, tmp_path, capsys)
    assert code == 1 and cli["verdict"] == "INVALID" and cli["failedStep"] == SIGNATURE_STEP, cli
    refused = _cast(scene, CHECK, *_proof_args(receipt))
    # cast names the custom error by its selector: SignatureRequired(issuer).
    assert refused.returncode != 0 and SIGNATURE_REQUIRED in refused.stderr, refused.stderr
    signed = receipt.get("issuerSignature") or {"leavesRoot": leaf, "path": [], "signature": "0x"}
    facts = _cast(
        scene,
        CHECK_SIGNED,
        *_proof_args(receipt),
        signed["leavesRoot"],
        "[" + ",".join(signed["path"]) + "]",
        signed["signature"],
    )
    assert facts.returncode == 0, facts.stderr
    assert (
        facts.stdout.strip().splitlines()[-1].endswith("true, false)")
    )  # required, not authorised
    # The page: by its QR link when the service holds the document, and from the receipt
    # file (checked on the device and against the node) in every case.
    path = tmp_path / "permit.pdf.receipt.json"
    path.write_text(json.dumps(receipt))
    if in_service:
        page.goto(f"{scene.web.url}/v/{leaf}")
        _page_says_unsigned(page)
    page.goto(f"{scene.web.url}/verify")
    page.set_input_files("#file", str(path))
    _page_says_unsigned(page)


def _page_says_unsigned(page: Page) -> None:
    assert verdict(page) == "INVALID"
    body = page.locator("#results").inner_text()
    assert "NOT genuine" in body and "signature" in body, body


def test_a_forged_permit_through_the_api_is_refused(scene: Scene) -> None:
    client, admin = scene.web.env.client, scene.web.env.admin
    key = client.post(f"/v1/issuers/{scene.issuer.address}/keys", headers=admin)
    assert key.status_code == 201  # the attacker gives itself an API key of the agency
    headers = {"Authorization": f"Bearer {key.json()['key']}"}
    body = {"digest": "0x" + os.urandom(32).hex(), "metadata": PERMIT}
    unsigned = client.post("/v1/documents", json=body, headers=headers)
    assert unsigned.status_code == 422 and unsigned.json()["field"] == "signature"
    doc = (Digest(os.urandom(32)), signed_metadata(PERMIT))
    own = sign_submission(
        IssuerKey(os.urandom(32)), scene.chain.registry.domain(), scene.issuer.address, [doc]
    )
    forged = {"digest": doc[0].hex, "metadata": doc[1], **own.fields(scene.issuer.address)}
    signed = client.post("/v1/documents", json=forged, headers=headers)
    assert signed.status_code == 422 and signed.json()["field"] == "signature"
    assert client.post("/v1/documents", json=body, headers=admin).status_code == 403


def test_a_forged_permit_written_to_the_database_and_anchored_is_not_genuine_anywhere(
    scene: Scene, page: Page, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    env = scene.web.env
    # Written straight into the database (no API, no signature), sealed and anchored by
    # the service's own worker with the hot wallet.
    (written,) = accept_many(
        env.store, scene.issuer.address, [DocumentInput(Digest(os.urandom(32)), PERMIT)]
    )
    env.drain()
    leaf = written.record.leaf.hex
    by_leaf = _verify(scene, {"leaf": leaf})
    assert (by_leaf["verdict"], by_leaf["failedStep"]) == ("INVALID", SIGNATURE_STEP), by_leaf
    receipt = scene.web.receipt(scene.issuer, leaf)
    _not_genuine_everywhere(scene, receipt, page, tmp_path, capsys, in_service=True)
    # Anchored by the attacker itself, with a receipt signed by the service's key, and
    # "signed" with a key of its own: NOT genuine either.
    digest, metadata = Digest(os.urandom(32)), signed_metadata(PERMIT)
    stolen_name = sign_submission(
        IssuerKey(os.urandom(32)),
        scene.chain.registry.domain(),
        scene.issuer.address,
        [(digest, metadata)],
    )
    fake = SignedBy(
        IssuerKey(os.urandom(32)).address, stolen_name.signature, stolen_name.leaves_root, ()
    )
    forged = scene.forged_receipt(digest, metadata, fake)
    _not_genuine_everywhere(scene, forged, page, tmp_path, capsys)


def test_a_real_permit_cannot_be_revoked_without_the_agency(scene: Scene) -> None:
    env, registry = scene.web.env, scene.chain.registry
    leaf = scene.submit_signed(scene.office)
    env.drain()
    target = Leaf.from_hex(leaf)
    # Through the API, with the admin key: refused, with or without a signature of its own.
    r = env.client.post(f"/v1/documents/{leaf}/revoke", json={"reason": "fraud"}, headers=env.admin)
    assert r.status_code == 422 and r.json()["field"] == "signature"
    nonce, deadline = keyed_nonce(7, 0), 2**40
    own = IssuerKey(os.urandom(32)).sign_revocation(
        registry.domain(), scene.issuer.address, [target], 6, nonce, deadline
    )
    body = {"reason": 6, "signature": "0x" + own.hex(), "nonce": str(nonce), "deadline": deadline}
    r = env.client.post(f"/v1/documents/{leaf}/revoke", json=body, headers=env.admin)
    assert r.status_code == 422 and r.json()["field"] == "signature"
    # Written into the database and queued for the worker: the registry refuses revokeFor.
    request_revocation(env.store, scene.issuer.address, target, 6, "forged", "attacker")
    queue_revocations(env.store)
    env.drain()
    # With the hot wallet directly: revokeFor and a revokeBySig of its own key are refused.
    with pytest.raises(ContractReverted) as refused, registry.reverts_named():
        scene.hot_wallet.transact(registry.revoke_for_call(scene.issuer.address, [target.raw], 6))
    assert refused.value.error_name == "SignatureRequired"
    relayed = registry.revoke_by_sig_call(
        scene.issuer.address, [target.raw], 6, nonce, deadline, own
    )
    with pytest.raises(ContractReverted) as unauthorised, registry.reverts_named():
        scene.hot_wallet.transact(relayed)
    assert unauthorised.value.error_name == "UnauthorisedSigner"
    assert not registry.revocation_of(scene.issuer.address, target.raw).revoked
    status = env.client.get(f"/v1/documents/{leaf}", headers=scene.issuer.headers).json()
    assert status["revocation"]["state"] == "failed"
    receipt = scene.web.receipt(scene.issuer, leaf)
    assert _verify(scene, {"receipt": receipt})["verdict"] == "VALID"


def test_a_removed_key_keeps_its_documents_and_makes_no_new_ones(
    scene: Scene, page: Page, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    env = scene.web.env
    before = scene.submit_signed(scene.office)
    env.drain()
    scene.agency.add_key()  # the office moves to a new key
    scene.agency.remove_key(scene.office)
    kept = scene.web.receipt(scene.issuer, before)
    answer = _verify(scene, {"receipt": kept})
    assert answer["verdict"] == "VALID" and answer["signer"] == scene.office.address, answer
    # The stolen old key signs a permit after its removal; the thief anchors it itself.
    digest, metadata = Digest(os.urandom(32)), signed_metadata(PERMIT)
    signed = sign_submission(
        scene.office, scene.chain.registry.domain(), scene.issuer.address, [(digest, metadata)]
    )
    late = SignedBy(scene.office.address, signed.signature, signed.leaves_root, ())
    forged = scene.forged_receipt(digest, metadata, late)
    _not_genuine_everywhere(scene, forged, page, tmp_path, capsys)
