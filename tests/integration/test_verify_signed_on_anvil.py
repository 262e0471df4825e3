"""The verification engine's issuer-signature step against a real NotaryRegistry v2 on Anvil,
through `notary verify`'s path (one node, blocking) and the API's (the cache, on the event
loop): a document signed by a key the issuer had authorised when it was anchored is genuine
and says so; a forged one (the hot wallet anchored it, the issuer's key did not sign it) is
NOT genuine at that step, whatever receipt it comes with; an issuer without keys is vouched
for by the service, in other words."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

import pytest
from eth_account.signers.local import LocalAccount
from web3 import Web3

from notary.chain.artifact import load_artifact
from notary.chain.deploy import deploy_registry, grant_service_roles
from notary.chain.jsonrpc import AsyncJsonRpc
from notary.chain.reader import BlockTracker, ChainChecks, CheckCache
from notary.chain.registry import Registry
from notary.chain.sender import TxSender
from notary.core.issuer_signing import IssuerKey, RegistryDomain, submission_root, submission_tree
from notary.core.merkle import MerkleTree, leaf_hash
from notary.core.receipts import AnchorInfo, IssuerSignature, Receipt, ServiceInfo
from notary.core.types import Digest, Hash32, LeafValues
from notary.ops.anvil import AnvilNode
from notary.verify import Assurance, Outcome, Verdict
from notary.verify.onchain import conclude_on_chain, examine, verify_document, verify_on_chain
from notary.verify.quorum import QuorumChecks

pytestmark = pytest.mark.anvil

NO_METADATA = Digest(bytes(32))
SERVICE = ServiceInfo("https://notary.test", batch="b")


@dataclass
class Agency:
    w3: Web3
    registry: Registry
    domain: RegistryDomain
    registrar: TxSender
    hot_wallet: TxSender
    root: IssuerKey
    key: IssuerKey

    def receipts(self, signer: IssuerKey | None, count: int = 2) -> list[Receipt]:
        """`count` of its documents signed as one submission by `signer` (None: nobody
        signed; v1 receipts), anchored by the hot wallet with another issuer's leaf."""
        values = [
            LeafValues.of(Digest(os.urandom(32)), self.root.address, NO_METADATA)
            for _ in range(count)
        ]
        leaves = [leaf_hash(v) for v in values]
        submission = submission_tree(leaves)
        leaves_root = submission_root(submission)
        other = LeafValues.of(Digest(os.urandom(32)), self.key.address, NO_METADATA)
        batch = MerkleTree.from_leaves([*leaves, leaf_hash(other)])
        mined = self.hot_wallet.transact(self.registry.anchor_call(batch.root.raw, count + 1))
        block = self.w3.eth.get_block(mined["blockNumber"])
        anchor = AnchorInfo(
            self.domain.chain_id,
            self.registry.address,
            Hash32(bytes(mined["transactionHash"])),
            mined["blockNumber"],
            Hash32(bytes(block["hash"])),
            block["timestamp"],
        )
        out = []
        for i, v in enumerate(values):
            signed = None
            if signer is not None:
                signature = signer.sign_submission(self.domain, self.root.address, leaves_root)
                path = tuple(submission.proof(i))
                signed = IssuerSignature(signer.address, signature, leaves_root, path, self.domain)
            pending = Receipt.pending(v, "Sở TN&MT", SERVICE, issuer_signature=signed)
            out.append(pending.anchored(anchor, batch.proof(i), batch.root))
        return out

    def remove_key(self) -> None:
        nonce, deadline = self.registry.nonce(self.root.address), int(time.time()) + 3600
        signature = self.root.sign_remove_signer(
            self.domain, self.root.address, self.key.address, nonce, deadline
        )
        self.hot_wallet.transact(
            self.registry.remove_signer_by_sig_call(
                self.root.address, self.key.address, nonce, deadline, signature
            )
        )


@pytest.fixture
def agency(w3: Web3, fund: Callable[[], LocalAccount]) -> Agency:
    admin, hot = fund(), fund()
    registry = Registry(w3, deploy_registry(w3, admin).address)
    grant_service_roles(registry, admin, hot.address)
    root, key = IssuerKey(os.urandom(32)), IssuerKey(os.urandom(32))
    registrar = TxSender(registry, admin)
    registrar.transact(registry.register_issuer_call(root.address, "Sở TN&MT"))
    domain = registry.domain()
    hot_wallet = TxSender(registry, hot)
    nonce, deadline = registry.nonce(root.address), int(time.time()) + 3600
    signature = root.sign_add_signer(domain, root.address, key.address, nonce, deadline)
    hot_wallet.transact(
        registry.add_signer_by_sig_call(root.address, key.address, nonce, deadline, signature)
    )
    return Agency(w3, registry, domain, registrar, hot_wallet, root, key)


def _blocking(agency: Agency, receipt: Receipt) -> Outcome:
    return verify_on_chain(receipt, agency.registry, required_confirmations=0)


def _on_the_loop(agency: Agency, receipts: list[Receipt], quorum: bool = False) -> list[Outcome]:
    """The API's path: through the block cache, or a quorum of two endpoints (the same node)."""

    async def run() -> list[Outcome]:
        def cache() -> CheckCache:
            return CheckCache(BlockTracker(AsyncJsonRpc(agency.w3), 0.0))

        checks: ChainChecks = (
            QuorumChecks([("a", cache()), ("b", cache())], 2) if quorum else cache()
        )
        return [
            await conclude_on_chain(examine(r, required_confirmations=0), agency.registry, checks)
            for r in receipts
        ]

    return asyncio.run(run())


def _failed(outcome: Outcome) -> str | None:
    step = outcome.judgement.failed_step
    return step.name if step else None


def test_a_document_its_issuers_key_signed_is_genuine_and_says_so(agency: Agency) -> None:
    signed = agency.receipts(agency.key)
    outcomes = [_blocking(agency, r) for r in signed]
    outcomes += _on_the_loop(agency, signed) + _on_the_loop(agency, signed, quorum=True)
    for outcome in outcomes:
        j = outcome.judgement
        assert j.verdict is Verdict.VALID, j.detail
        assert j.assurance is Assurance.SIGNED and j.signer == agency.key.address
        assert "with its own key" in j.detail
        steps = {s.name: s.ok and not s.skipped for s in outcome.inclusion.steps}
        assert steps["issuerSignature"]


def test_a_forged_document_is_not_genuine_at_the_signature_step(agency: Agency) -> None:
    """The hot wallet anchors the agency's leaves itself: with a v1 receipt (check refuses
    it), or with a v2 receipt signed by a key the agency never added. A quorum of endpoints
    that all refuse the v1 receipt agree: that refusal is their answer."""
    unsigned = agency.receipts(None, count=1)
    other_key = agency.receipts(IssuerKey(os.urandom(32)), count=1)
    forged = [*unsigned, *other_key]
    outcomes = [_blocking(agency, r) for r in forged] + _on_the_loop(agency, forged)
    for outcome in outcomes + _on_the_loop(agency, forged, quorum=True):
        assert outcome.judgement.verdict is Verdict.INVALID, outcome.judgement.detail
        assert _failed(outcome) == "issuerSignature"
        assert outcome.judgement.assurance is None


def test_nodes_refusing_alike_agree_on_a_refusal_that_names_nothing(
    agency: Agency, fund: Callable[[], LocalAccount]
) -> None:
    """A receipt v2 naming the registry before keys (it has no checkSigned, so it refuses the
    call): one node's refusal and a quorum's agreed one say the same, UNVERIFIABLE naming
    the refusal (the quorum's was "0 of 2 endpoints answered"), never INVALID."""
    legacy = load_artifact(contract="NotaryRegistryV1")
    v1 = deploy_registry(agency.w3, fund(), artifact=legacy).address
    signed = agency.receipts(agency.key, count=1)[0]
    assert signed.anchor is not None
    elsewhere = replace(signed, anchor=replace(signed.anchor, contract=v1))
    outcomes = [_blocking(agency, elsewhere), *_on_the_loop(agency, [elsewhere])]
    for outcome in outcomes + _on_the_loop(agency, [elsewhere], quorum=True):
        j = outcome.judgement
        assert j.verdict is Verdict.UNVERIFIABLE, j.detail
        assert f"contract {v1}" in j.detail and "refused to answer" in j.detail, j.detail
        assert outcome.chain is not None and outcome.chain.refused is not None


def test_a_removed_key_keeps_its_documents_and_signs_no_new_ones(agency: Agency) -> None:
    before = agency.receipts(agency.key, count=1)[0]
    agency.remove_key()
    after = agency.receipts(agency.key, count=1)[0]
    kept = _blocking(agency, before).judgement
    assert kept.verdict is Verdict.VALID and kept.assurance is Assurance.SIGNED
    late = _blocking(agency, after)
    assert late.judgement.verdict is Verdict.INVALID and _failed(late) == "issuerSignature"
    assert "stopped being a signing key" in late.judgement.detail


def test_an_issuer_without_keys_is_vouched_for_in_other_words(agency: Agency) -> None:
    keyless = IssuerKey(os.urandom(32))
    agency.registrar.transact(
        agency.registry.register_issuer_call(keyless.address, "Chi cục Thủy sản")
    )
    plain = Agency(
        agency.w3,
        agency.registry,
        agency.domain,
        agency.registrar,
        agency.hot_wallet,
        keyless,
        keyless,
    )
    receipt = plain.receipts(None, count=1)[0]
    for outcome in [_blocking(agency, receipt), *_on_the_loop(agency, [receipt])]:
        j = outcome.judgement
        assert j.verdict is Verdict.VALID and j.assurance is Assurance.VOUCHED, j.detail
        assert "the service vouches for it" in j.detail and "own key" not in j.detail


def test_verify_document_asks_every_node_it_is_given(agency: Agency, anvil: AnvilNode) -> None:
    """The integrators' entry (`notary.verify_document`): the engine's verdicts from the
    node URLs alone; two URLs of one node agree, and a node that does not answer leaves
    the verdict open rather than calling a forged document genuine."""
    signed, forged = agency.receipts(agency.key, count=1)[0], agency.receipts(None, count=1)[0]
    genuine = verify_document(signed, [anvil.url, anvil.url])
    assert genuine.judgement.verdict is Verdict.VALID, genuine.judgement.detail
    assert genuine.judgement.assurance is Assurance.SIGNED
    assert verify_document(forged, [anvil.url]).judgement.verdict is Verdict.INVALID
    silent = verify_document(signed, [anvil.url, "http://127.0.0.1:9"], rpc_timeout=2.0)
    assert silent.judgement.verdict is Verdict.UNVERIFIABLE
