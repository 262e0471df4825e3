"""The "By hand, with any Ethereum node" recipes of docs/verifying.md run as written, with
bash, jq and Foundry's own cast, on receipts anchored on a real NotaryRegistry v2 on Anvil:
`check` of a v1 receipt answers its anchor, `checkSigned` of a v2 receipt answers that the
key which signed it was authorised, and `check` of a signing issuer's v1 receipt is refused."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from eth_account.signers.local import LocalAccount
from web3 import Web3

from notary.chain.deploy import deploy_registry, grant_service_roles
from notary.chain.registry import Registry
from notary.chain.sender import TxSender
from notary.core._keccak import keccak256
from notary.core.issuer_signing import IssuerKey, submission_root, submission_tree
from notary.core.merkle import MerkleTree, leaf_hash
from notary.core.receipts import AnchorInfo, IssuerSignature, Receipt, ServiceInfo
from notary.core.types import Digest, Hash32, LeafValues
from tests.browser.test_recheck import find_cast

pytestmark = pytest.mark.anvil

ROOT = Path(__file__).resolve().parents[2]
NO_METADATA = Digest(bytes(32))
PAGE = ROOT / "docs" / "verifying.md"


def recipes() -> list[str]:
    """The sh blocks of the page's "By hand" section, in order."""
    section = PAGE.read_text("utf-8").split("\n## By hand, with any Ethereum node\n", 1)[1]
    section = section.split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.*?)```", section, re.S)


class Chain:
    """A registry v2 with a vouched issuer and a signing one (its root authorised `key`)."""

    def __init__(self, w3: Web3, fund: Callable[[], LocalAccount]) -> None:
        admin, hot = fund(), fund()
        self.w3 = w3
        self.registry = Registry(w3, deploy_registry(w3, admin).address)
        grant_service_roles(self.registry, admin, hot.address)
        self.hot_wallet = TxSender(self.registry, hot)
        self.vouched, self.root, self.key = (IssuerKey(os.urandom(32)) for _ in range(3))
        registrar = TxSender(self.registry, admin)
        for issuer, name in ((self.vouched, "Sở NN&PTNT"), (self.root, "Sở TN&MT")):
            registrar.transact(self.registry.register_issuer_call(issuer.address, name))
        domain = self.domain = self.registry.domain()
        nonce, deadline = self.registry.nonce(self.root.address), int(time.time()) + 3600
        signature = self.root.sign_add_signer(
            domain, self.root.address, self.key.address, nonce, deadline
        )
        self.hot_wallet.transact(
            self.registry.add_signer_by_sig_call(
                self.root.address, self.key.address, nonce, deadline, signature
            )
        )

    def receipt(self, digest: bytes, issuer: IssuerKey, signer: IssuerKey | None) -> Receipt:
        """The anchored receipt of one document of `issuer` (signed by `signer`, if any)."""
        values = LeafValues.of(Digest(digest), issuer.address, NO_METADATA)
        leaf = leaf_hash(values)
        other = leaf_hash(LeafValues.of(Digest(os.urandom(32)), issuer.address, NO_METADATA))
        batch = MerkleTree.from_leaves([leaf, other])
        mined = self.hot_wallet.transact(self.registry.anchor_call(batch.root.raw, 2))
        block = self.w3.eth.get_block(mined["blockNumber"])
        anchor = AnchorInfo(
            self.domain.chain_id,
            self.registry.address,
            Hash32(bytes(mined["transactionHash"])),
            mined["blockNumber"],
            Hash32(bytes(block["hash"])),
            block["timestamp"],
        )
        signed = None
        if signer is not None:
            root = submission_root(submission_tree([leaf]))
            signature = signer.sign_submission(self.domain, issuer.address, root)
            signed = IssuerSignature(signer.address, signature, root, (), self.domain)
        service = ServiceInfo("https://notary.test", batch="b")
        pending = Receipt.pending(values, "Sở", service, issuer_signature=signed)
        return pending.anchored(anchor, batch.proof(0), batch.root)


def run(recipe: str, receipt: Receipt, rpc: str, folder: Path) -> subprocess.CompletedProcess[str]:
    """The recipe in bash in `folder`, with R and RPC set as the page sets them."""
    (folder / "permit.pdf.receipt.json").write_text(receipt.to_json(), "utf-8")
    cast_dir = find_cast().parent
    script = re.sub(r"^R=\S+; RPC=\S+\n", "", recipe)
    return subprocess.run(
        ["bash", "-eo", "pipefail", "-c", script],
        cwd=folder,
        env={
            "PATH": f"{cast_dir}:{os.environ['PATH']}",
            "R": "permit.pdf.receipt.json",
            "RPC": rpc,
            "HOME": str(folder),
        },
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture
def chain(w3: Web3, fund: Callable[[], LocalAccount]) -> Chain:
    return Chain(w3, fund)


def test_the_page_has_both_recipes() -> None:
    found = recipes()
    assert len(found) == 2 and "check(" in found[0] and "checkSigned(" in found[1]
    assert found[0].startswith("R=permit.pdf.receipt.json; RPC=")


def test_check_of_a_v1_receipt_answers_its_anchor(chain: Chain, tmp_path: Path) -> None:
    document = os.urandom(64)
    (tmp_path / "permit.pdf").write_bytes(document)
    receipt = chain.receipt(hashlib.sha256(document).digest(), chain.vouched, None)
    done = run(recipes()[0], receipt, w3_url(chain), tmp_path)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert lines[0].split()[0] == hashlib.sha256(document).hexdigest()  # sha256sum
    assert lines[1] == str(chain.domain.chain_id)  # cast chain-id
    answer = lines[-1]
    assert answer.startswith(f"({receipt.leaf.hex}, {receipt.root.hex if receipt.root else ''}")
    assert '"Sở NN&PTNT"' in answer


def test_check_signed_of_a_v2_receipt_says_the_key_was_authorised(
    chain: Chain, tmp_path: Path
) -> None:
    receipt = chain.receipt(os.urandom(32), chain.root, chain.key)
    assert json.loads(receipt.to_json())["format"] == "notary-receipt-v2"
    done = run(recipes()[1], receipt, w3_url(chain), tmp_path)
    assert done.returncode == 0, done.stderr
    facts = done.stdout.strip().splitlines()[-1]
    assert facts.startswith(f"({chain.key.address}, true,") and facts.endswith("true, true)")


def test_check_of_a_signing_issuers_v1_receipt_is_refused(chain: Chain, tmp_path: Path) -> None:
    document = os.urandom(64)
    (tmp_path / "permit.pdf").write_bytes(document)
    forged = chain.receipt(hashlib.sha256(document).digest(), chain.root, None)
    done = run(recipes()[0], forged, w3_url(chain), tmp_path)
    selector = "0x" + keccak256(b"SignatureRequired(address)")[:4].hex()
    assert done.returncode != 0 and f"custom error {selector}" in done.stderr
    assert chain.root.address[2:].lower() in done.stderr.lower()
    assert f"error {selector}`" in " ".join(PAGE.read_text("utf-8").split())


def w3_url(chain: Chain) -> str:
    url = getattr(chain.w3.provider, "endpoint_uri", None)
    assert isinstance(url, str)
    return url
