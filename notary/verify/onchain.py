"""Verification against the chain: the pure steps, then ONE eth_call per node asked.

`NotaryRegistry.check` answers everything a verdict needs (anchor time and block of the
root the proof leads to, revocation, the issuer's status, the current block) in a single
call, so a verification costs one round trip to each node; `checkSigned` adds whether the
issuer's signature a v2 receipt carries counts. A v1 receipt of a document whose issuer
signs gets a refusal from `check` (SignatureRequired), which is itself the answer: INVALID.
Any refusal (a revert) is an answer, held to the agreement rule like any other; the others
say nothing about the document (UNVERIFIABLE, naming the refusal).
A chain that cannot be asked gives UNVERIFIABLE, never INVALID; so do nodes that disagree
(`notary.verify.agreement`).

`examine` runs the pure steps; `verify_on_chain` completes them with a blocking call on
one registry, `verify_on_nodes` on each of several endpoints (`notary verify`), and
`conclude_on_chain` on the API's event loop through its cache (or its quorum).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from web3 import Web3
from web3.exceptions import Web3Exception

from notary.chain.connection import connect, rpc_guard
from notary.chain.errors import ChainError, ContractReverted
from notary.chain.reader import ChainChecks, Signed
from notary.chain.registry import Registry
from notary.core.receipts import Receipt
from notary.core.types import Digest
from notary.verify.agreement import common, differences
from notary.verify.facts import (
    ChainFacts,
    facts_of,
    facts_of_signed,
    json_name,
    refused_facts,
)
from notary.verify.judge import Judgement, Verdict, judge
from notary.verify.outcome import Outcome
from notary.verify.steps import STEP_SIGNATURE, Inclusion, Step, verify_receipt

CHAIN_FAILURES = (ChainError, Web3Exception, OSError)
"""What asking the chain may raise: the verdict is then UNVERIFIABLE."""


@dataclass(frozen=True)
class NodeAnswer:
    """What asking one endpoint led to."""

    rpc_url: str
    outcome: Outcome


@dataclass(frozen=True)
class Examined:
    """A receipt after the pure steps; the chain's answer completes the verdict."""

    receipt: Receipt
    inclusion: Inclusion
    required_confirmations: int

    @property
    def settled(self) -> bool:
        """Whether the verdict is decided without the chain (INVALID or PENDING)."""
        return not self.inclusion.ok or self.receipt.anchor is None

    def without_chain(self, chain_configured: bool) -> Outcome | None:
        """The outcome if the chain has nothing to add (or cannot be asked); else None."""
        if self.settled:  # don't spend a call on it
            return self._outcome(None)
        if not chain_configured:
            return self._outcome(None, "no RPC endpoint configured")
        return None

    def with_facts(self, facts: ChainFacts) -> Outcome:
        """The outcome given what the chain said."""
        return self._outcome(facts)

    def unreachable(self, why: BaseException | str) -> Outcome:
        """The outcome when asking the chain failed (UNVERIFIABLE), saying why."""
        if isinstance(why, ChainError):
            why = why.diagnostics()
        return self._outcome(None, str(why))

    def combine(self, nodes: Sequence[NodeAnswer]) -> Outcome:
        """The outcome of asking several nodes: their common answer, judged, if they agree
        (`notary.verify.agreement`); else UNVERIFIABLE saying what each one said."""
        first = nodes[0].outcome
        answers = [node.outcome.chain for node in nodes]
        differ = sorted({name for a in answers[1:] for name in differences(answers[0], a)})
        if not differ:
            known = [a for a in answers if a is not None]
            return self.with_facts(common(known)) if known else first
        said = "; ".join(
            f"{n.rpc_url} says {n.outcome.judgement.verdict.value} ({n.outcome.judgement.detail})"
            for n in nodes
        )
        on = ", ".join(json_name(name) for name in differ)
        detail = f"the nodes disagree (on {on}): {said}"
        return replace(first, judgement=Judgement(Verdict.UNVERIFIABLE, detail))

    def _outcome(self, facts: ChainFacts | None, chain_error: str | None = None) -> Outcome:
        verdict = judge(
            self.inclusion,
            facts,
            required_confirmations=self.required_confirmations,
            chain_error=chain_error,
        )
        return Outcome(self.inclusion, facts, verdict)


def examine(
    receipt: Receipt,
    *,
    required_confirmations: int,
    document: bytes | None = None,
    digest: Digest | None = None,
    metadata: Mapping[str, Any] | None = None,
    public_keys: Mapping[str, Ed25519PublicKey] | None = None,
    signed_by: str | None = None,
) -> Examined:
    """The pure steps of a verification (no I/O).

    `signed_by` names the key this service signed the receipt with (its own receipt, built
    from its own records): the signature step then says so instead of checking it again.
    """
    inclusion = verify_receipt(
        receipt,
        document=document,
        digest=digest,
        metadata=metadata,
        public_keys=None if signed_by is not None else public_keys,
    )
    if signed_by is not None:
        inclusion = _signed_by_service(inclusion, signed_by)
    return Examined(receipt, inclusion, required_confirmations)


def verify_on_chain(
    receipt: Receipt,
    registry: Registry | None,
    *,
    required_confirmations: int,
    document: bytes | None = None,
    digest: Digest | None = None,
    metadata: Mapping[str, Any] | None = None,
    public_keys: Mapping[str, Ed25519PublicKey] | None = None,
) -> Outcome:
    """Verify a receipt completely; never raises for a bad receipt or an unreachable chain."""
    examined = examine(
        receipt,
        required_confirmations=required_confirmations,
        document=document,
        digest=digest,
        metadata=metadata,
        public_keys=public_keys,
    )
    settled = examined.without_chain(registry is not None)
    if settled is not None:
        return settled
    assert registry is not None  # without_chain settles a missing registry
    try:
        facts = ask_chain(registry, receipt)
    except CHAIN_FAILURES as exc:
        return examined.unreachable(exc)
    return examined.with_facts(facts)


@dataclass(frozen=True)
class Checked:
    """A verification across every node asked: the outcome to report and each node's."""

    outcome: Outcome
    nodes: tuple[NodeAnswer, ...]


def verify_on_nodes(examined: Examined, rpc_urls: Sequence[str], *, rpc_timeout: float) -> Checked:
    """Complete `examined` on every node in `rpc_urls` (one call each); nodes that disagree
    make it UNVERIFIABLE. A settled receipt (INVALID, PENDING) asks none."""
    settled = examined.without_chain(True)
    if settled is not None:  # judged before the chain: no node is asked
        return Checked(settled, tuple(NodeAnswer(url, settled) for url in rpc_urls))
    nodes = tuple(NodeAnswer(url, _ask_node(examined, url, rpc_timeout)) for url in rpc_urls)
    return Checked(examined.combine(nodes), nodes)


def verify_document(
    receipt: Receipt,
    rpc_urls: Sequence[str],
    *,
    document: bytes | None = None,
    digest: Digest | None = None,
    metadata: Mapping[str, Any] | None = None,
    public_keys: Mapping[str, Ed25519PublicKey] | None = None,
    required_confirmations: int = 0,
    rpc_timeout: float = 10.0,
) -> Outcome:
    """The verdict on `receipt`, and on the document (its bytes, or its digest) and the
    metadata when given, asked of every node in `rpc_urls` with no help from the service:
    nodes that disagree make it UNVERIFIABLE. `public_keys`: the service's receipt-signing
    keys by id, to check its signature too. Never raises for a bad receipt or a node."""
    examined = examine(
        receipt,
        required_confirmations=required_confirmations,
        document=document,
        digest=digest,
        metadata=metadata,
        public_keys=public_keys,
    )
    return verify_on_nodes(examined, rpc_urls, rpc_timeout=rpc_timeout).outcome


def _ask_node(examined: Examined, url: str, rpc_timeout: float) -> Outcome:
    receipt = examined.receipt
    assert receipt.anchor is not None
    w3 = connect(url, timeout_s=rpc_timeout)
    found = _chain_id(w3)
    if found is not None and found != receipt.anchor.chain_id:
        # Another chain: its registry (if any) says nothing about this receipt.
        return examined.with_facts(ChainFacts(anchored_at=None, chain_id=found))
    try:
        facts = ask_chain(Registry(w3, receipt.anchor.contract), receipt)
    except CHAIN_FAILURES as exc:
        return examined.unreachable(exc)
    return examined.with_facts(facts)


def _chain_id(w3: Web3) -> int | None:
    """The node's chain id, or None if it does not answer (the check then says why)."""
    try:
        with rpc_guard(w3):
            return int(w3.eth.chain_id)
    except CHAIN_FAILURES:
        return None


async def conclude_on_chain(
    examined: Examined, registry: Registry, checks: ChainChecks, chain_id: int | None = None
) -> Outcome:
    """Complete a verification on the event loop, as of the tracked latest block (cached).

    `checks` may ask several endpoints that must agree (NOTARY_RPC_QUORUM); endpoints that
    disagree or do not answer make the verdict UNVERIFIABLE, saying which and why.
    """
    settled = examined.without_chain(True)
    if settled is not None:
        return settled
    receipt = examined.receipt
    anchor = receipt.anchor
    assert anchor is not None and receipt.proof is not None
    asked, at_least, contract = _asked(receipt), anchor.block_number, anchor.contract
    signed = _signed(receipt)
    try:
        if chain_id is None:
            chain_id = await checks.chain_id()
        if signed is not None:
            both = await checks.check_signed(registry, *asked, signed, at_least, contract)
            return examined.with_facts(facts_of_signed(both.verification, both.signature, chain_id))
        v = await checks.check(registry, *asked, at_least=at_least, contract=contract)
    except ContractReverted as exc:  # the endpoints' (agreed) refusal is their answer
        return examined.with_facts(refused_facts(exc.error_name, chain_id))
    except CHAIN_FAILURES as exc:
        return examined.unreachable(exc)
    return examined.with_facts(facts_of(v, chain_id))


def ask_chain(registry: Registry, receipt: Receipt) -> ChainFacts:
    """ChainFacts for an anchored receipt from one `check` call (and eth_chainId).

    The receipt's own contract is asked, through `registry`'s connection, so that a receipt
    anchored in another deployment on the same chain is judged by that deployment.
    """
    anchor = receipt.anchor
    if anchor is None or receipt.proof is None:
        raise ValueError("only an anchored receipt can be checked on chain")
    with rpc_guard(registry.w3):
        chain_id = int(registry.w3.eth.chain_id)
    signed = _signed(receipt)
    try:
        if signed is not None:
            both = registry.check_signed(*_asked(receipt), *signed, contract=anchor.contract)
            return facts_of_signed(both.verification, both.signature, chain_id)
        return facts_of(registry.check(*_asked(receipt), contract=anchor.contract), chain_id)
    except ContractReverted as exc:  # a refusal is the registry's answer
        return refused_facts(exc.error_name, chain_id)


def _asked(receipt: Receipt) -> tuple[bytes, str, bytes, tuple[bytes, ...]]:
    values = receipt.values
    assert receipt.proof is not None
    return values.digest.raw, values.issuer, values.metadata_digest.raw, tuple(receipt.proof)


def _signed(receipt: Receipt) -> Signed | None:
    """checkSigned's last three arguments for a v2 receipt; None for v1."""
    s = receipt.issuer_signature
    return None if s is None else (s.leaves_root.raw, s.path, s.signature)


def _signed_by_service(inclusion: Inclusion, key_id: str) -> Inclusion:
    """The steps with the signature step stating who signed (nothing left to check)."""
    detail = f"signed by key {key_id} (this service, from its own records)"
    signed = Step(STEP_SIGNATURE, True, detail)
    steps = tuple(signed if s.name == STEP_SIGNATURE else s for s in inclusion.steps)
    return replace(inclusion, steps=steps)
