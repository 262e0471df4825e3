"""Issuer signing keys on real nodes (Anvil, Ganache, Hardhat), through the chain adapter and
the core's signatures:
a signed document verifies as authorised, a forged one does not, a removed key keeps its
older documents and signs no new ones, the hot wallet alone revokes nothing of a signing
issuer and relays the issuer's own revocation; the registry before keys stays readable."""

from __future__ import annotations

import os
import re
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from eth_account.signers.local import LocalAccount
from web3 import Web3

from notary.chain import ChainError, ContractReverted, Registry, TxSender, connect
from notary.chain.artifact import load_artifact
from notary.chain.deploy import deploy_registry, grant_service_roles
from notary.chain.evm import choose_target
from notary.chain.registry import SignedVerification
from notary.core.issuer_signing import (
    IssuerKey,
    RegistryDomain,
    SubmissionRoot,
    keyed_nonce,
    submission_root,
    submission_signer,
    submission_tree,
)
from notary.core.merkle import MerkleTree, leaf_hash
from notary.core.types import Digest, Leaf, LeafValues
from notary.ops.devnodes import DevNode

from .conftest import funder

pytestmark = pytest.mark.anvil

Funder = Callable[[], LocalAccount]
NO_METADATA = Digest(bytes(32))


@dataclass
class Doc:
    """A document as a receipt carries it: values, batch proof, and the signed submission."""

    values: LeafValues
    proof: list[bytes]
    leaves_root: SubmissionRoot
    submission_proof: list[bytes]
    signature: bytes

    @property
    def leaf(self) -> Leaf:
        return leaf_hash(self.values)


@dataclass
class Setup:
    node: DevNode
    w3: Web3
    registry: Registry
    domain: RegistryDomain
    admin: LocalAccount
    hot_wallet: TxSender
    root: IssuerKey  # the agency's registered address: it never sends a transaction here
    key: IssuerKey  # a signing key the agency added

    def relay_add_signer(self, key: IssuerKey) -> None:
        nonce = self.registry.nonce(self.root.address)
        sig = self.root.sign_add_signer(
            self.domain, self.root.address, key.address, nonce, _deadline()
        )
        self.hot_wallet.transact(
            self.registry.add_signer_by_sig_call(
                self.root.address, key.address, nonce, _deadline(), sig
            )
        )

    def relay_remove_signer(self, key: IssuerKey) -> None:
        nonce = self.registry.nonce(self.root.address)
        sig = self.root.sign_remove_signer(
            self.domain, self.root.address, key.address, nonce, _deadline()
        )
        self.hot_wallet.transact(
            self.registry.remove_signer_by_sig_call(
                self.root.address, key.address, nonce, _deadline(), sig
            )
        )

    def anchor_submission(self, signer: IssuerKey | None, count: int = 1) -> list[Doc]:
        """`count` documents of the agency, signed as one submission by `signer` (None:
        unsigned), anchored by the hot wallet in a batch with another issuer's leaf."""
        values = [
            LeafValues.of(Digest(os.urandom(32)), self.root.address, NO_METADATA)
            for _ in range(count)
        ]
        leaves = [leaf_hash(v) for v in values]
        sub = submission_tree(leaves)
        root = submission_root(sub)
        signature = signer.sign_submission(self.domain, self.root.address, root) if signer else b""
        other = LeafValues.of(Digest(os.urandom(32)), self.admin.address, NO_METADATA)
        batch = MerkleTree.from_leaves([*leaves, leaf_hash(other)])
        self.hot_wallet.transact(self.registry.anchor_call(batch.root.raw, count + 1))
        return [Doc(v, batch.proof(i), root, sub.proof(i), signature) for i, v in enumerate(values)]

    def check(self, doc: Doc) -> SignedVerification:
        return self.registry.check_signed(
            doc.values.digest.raw,
            doc.values.issuer,
            doc.values.metadata_digest.raw,
            doc.proof,
            doc.leaves_root.raw,
            doc.submission_proof,
            doc.signature,
        )


def _deadline() -> int:
    return int(time.time()) + 3600


@pytest.fixture
def setup(devnode: DevNode) -> Setup:
    """A registry (the build the node runs) with one agency and one key, on every kind of node."""
    w3, fund = connect(devnode.url), funder(devnode)
    admin, hot = fund(), fund()
    deployment = deploy_registry(w3, admin, artifact=load_artifact(choose_target(w3)))
    registry = Registry(w3, deployment.address)
    grant_service_roles(registry, admin, hot.address)
    root, key = IssuerKey(os.urandom(32)), IssuerKey(os.urandom(32))
    TxSender(registry, admin).transact(registry.register_issuer_call(root.address, "Sở TN&MT"))
    s = Setup(devnode, w3, registry, registry.domain(), admin, TxSender(registry, hot), root, key)
    s.relay_add_signer(key)  # the agency pays nothing: the hot wallet relays its signature
    return s


def test_the_registry_reports_its_signing_domain(setup: Setup) -> None:
    assert setup.domain == RegistryDomain.of(int(setup.w3.eth.chain_id), setup.registry.address)


def test_a_signed_submission_verifies_as_authorised(setup: Setup) -> None:
    for doc in setup.anchor_submission(setup.key, count=3):
        answer = setup.check(doc)
        assert answer.verification.anchored_at > 0 and answer.verification.revoked_at == 0
        s = answer.signature
        assert (s.signer, s.in_submission, s.signature_required, s.authorised) == (
            setup.key.address,
            True,
            True,
            True,
        )
        assert s.signing_since == s.signer_added_block <= answer.verification.anchored_block
        assert s.signer_removed_block == 0


def test_forged_documents_are_not_authorised(setup: Setup) -> None:
    unsigned = setup.anchor_submission(None)[0]
    answer = setup.check(unsigned)
    assert answer.verification.anchored_at > 0  # the hot wallet could anchor it...
    assert answer.signature.signer is None and answer.signature.signature_required
    assert not answer.signature.authorised  # ...but not make it the agency's
    wrong_key = setup.anchor_submission(IssuerKey(os.urandom(32)))[0]
    answer = setup.check(wrong_key)
    assert answer.signature.signer is not None and answer.signature.signer_added_block == 0
    assert not answer.signature.authorised
    with pytest.raises(ContractReverted) as refused:  # `cast call check` shows no "anchored"
        setup.registry.check(
            unsigned.values.digest.raw, setup.root.address, bytes(32), unsigned.proof
        )
    assert refused.value.error_name == "SignatureRequired"


def test_a_removed_key_keeps_its_documents_and_signs_no_new_ones(setup: Setup) -> None:
    before = setup.anchor_submission(setup.key)[0]
    setup.relay_remove_signer(setup.key)
    after = setup.anchor_submission(setup.key)[0]
    record = setup.registry.signer_of(setup.root.address, setup.key.address)
    assert record.removed_block > 0 and not record.active
    assert setup.check(before).signature.authorised
    late = setup.check(after)
    assert late.verification.anchored_block > record.removed_block
    assert late.signature.signer == setup.key.address and not late.signature.authorised


def test_revoke_for_is_refused_for_a_signing_issuer(setup: Setup) -> None:
    doc = setup.anchor_submission(setup.key)[0]
    with pytest.raises(ContractReverted) as refused:
        setup.hot_wallet.transact(
            setup.registry.revoke_for_call(setup.root.address, [doc.leaf.raw], 1)
        )
    assert refused.value.error_name == "SignatureRequired"
    assert not setup.registry.revocation_of(setup.root.address, doc.leaf.raw).revoked


def test_revoke_by_sig_relayed_by_the_hot_wallet(setup: Setup) -> None:
    docs = setup.anchor_submission(setup.key, count=2)
    leaves = [d.leaf for d in docs]
    nonce = keyed_nonce(int(setup.key.address, 16), 0)  # the key's own nonce sequence
    assert setup.registry.nonce(setup.root.address, int(setup.key.address, 16)) == nonce
    deadline = _deadline()
    signature = setup.key.sign_revocation(
        setup.domain, setup.root.address, leaves, 3, nonce, deadline
    )
    forged = IssuerKey(os.urandom(32)).sign_revocation(
        setup.domain, setup.root.address, leaves, 3, nonce, deadline
    )
    call = setup.registry.revoke_by_sig_call
    with pytest.raises(ContractReverted) as refused:
        setup.hot_wallet.transact(
            call(setup.root.address, [x.raw for x in leaves], 3, nonce, deadline, forged)
        )
    assert refused.value.error_name == "UnauthorisedSigner"
    setup.hot_wallet.transact(
        call(setup.root.address, [x.raw for x in leaves], 3, nonce, deadline, signature)
    )
    for doc in docs:
        answer = setup.check(doc)
        assert answer.verification.revocation_reason == 3 and answer.signature.authorised
    assert setup.registry.nonce(setup.root.address, int(setup.key.address, 16)) == nonce + 1


def test_revoke_by_sig_stays_within_the_gas_target(setup: Setup) -> None:
    leaves = [Leaf(os.urandom(32)) for _ in range(100)]
    nonce, deadline = setup.registry.nonce(setup.root.address), _deadline()
    signature = setup.key.sign_revocation(
        setup.domain, setup.root.address, leaves, 2, nonce, deadline
    )
    receipt = setup.hot_wallet.transact(
        setup.registry.revoke_by_sig_call(
            setup.root.address, [x.raw for x in leaves], 2, nonce, deadline, signature
        )
    )
    assert receipt["gasUsed"] <= 26_000 * 100  # DESIGN: ≤ 26,000 gas per leaf at 100 leaves


def test_python_recovers_the_signer_the_contract_recovers(setup: Setup) -> None:
    doc = setup.anchor_submission(setup.key)[0]
    good = doc.signature
    s = int.from_bytes(good[32:64], "big")
    n = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
    candidates = [
        good,
        good[:32] + (n - s).to_bytes(32, "big") + bytes([55 - good[64]]),  # high s
        good[:64] + bytes([good[64] - 27]),  # v 0/1
        good[:64],
        b"",
        *(os.urandom(64) + bytes([27 + i % 2]) for i in range(6)),
    ]
    for signature in candidates:
        doc.signature = signature
        on_chain = setup.check(doc).signature.signer
        ours = submission_signer(setup.domain, setup.root.address, doc.leaves_root, signature)
        assert ours == on_chain, signature.hex()


def test_keys_are_listed_with_their_history(setup: Setup) -> None:
    second = IssuerKey(os.urandom(32))
    setup.relay_add_signer(second)
    setup.relay_remove_signer(setup.key)
    listed = setup.registry.signers_of(setup.root.address)
    assert [r.key for r in listed] == [setup.key.address, second.address]
    assert [r.active for r in listed] == [False, True]
    assert setup.registry.signing_since(setup.root.address) == listed[0].added_block
    assert setup.registry.nonce(setup.root.address) == 3  # add, add, remove


def test_the_registry_before_keys_keeps_answering_beside_this_one(setup: Setup) -> None:
    legacy = load_artifact(choose_target(setup.w3), contract="NotaryRegistryV1")
    v1 = deploy_registry(setup.w3, setup.admin, artifact=legacy).address
    old = Registry(setup.w3, v1)
    grant_service_roles(old, setup.admin, setup.hot_wallet.address)
    TxSender(old, setup.admin).transact(old.register_issuer_call(setup.root.address, "Sở TN&MT"))
    values = LeafValues.of(Digest(os.urandom(32)), setup.root.address, NO_METADATA)
    batch = MerkleTree.from_leaves([leaf_hash(values), Leaf(os.urandom(32))])
    TxSender(old, setup.hot_wallet.account).transact(old.anchor_call(batch.root.raw, 2))
    # A receipt anchored there names that contract; the current client reads it as before.
    args = (values.digest.raw, setup.root.address, bytes(32), batch.proof(0))
    answer = setup.registry.check(*args, contract=v1)
    assert answer.anchored_at > 0 and answer.issuer_name == "Sở TN&MT"
    assert answer == old.check(*args)
    with pytest.raises(ChainError):  # it has no checkSigned
        setup.registry.check_signed(*args, batch.root.raw, [], b"", contract=v1)


def test_the_documented_cast_call_of_check_signed(setup: Setup) -> None:
    if setup.node.kind == "hardhat":
        pytest.skip("cast 1.7 sends eth_call with both `input` and `data`, which Hardhat 3 refuses")
    page = (Path(__file__).resolve().parents[2] / "docs" / "verifying.md").read_text("utf-8")
    signature = re.search(r"'(checkSigned\([^']*)'", page)
    assert signature is not None, "docs/verifying.md shows no `cast call … checkSigned`"
    cast = (
        Path(__file__).resolve().parents[2] / "node_modules/@foundry-rs/cast-linux-amd64/bin/cast"
    )
    assert cast.is_file(), f"{cast} is missing: run `npm ci`"
    doc = setup.anchor_submission(setup.key, count=2)[0]
    done = subprocess.run(
        [
            str(cast),
            "call",
            "--rpc-url",
            setup.node.url,
            setup.registry.address,
            signature.group(1),
            doc.values.digest.hex,
            doc.values.issuer,
            doc.values.metadata_digest.hex,
            "[" + ",".join("0x" + p.hex() for p in doc.proof) + "]",
            doc.leaves_root.hex,
            "[" + ",".join("0x" + p.hex() for p in doc.submission_proof) + "]",
            "0x" + doc.signature.hex(),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    facts = done.stdout.strip().splitlines()[-1]  # the second tuple: the signature's facts
    assert facts.startswith(f"({setup.key.address}, true,") and facts.endswith("true, true)")
