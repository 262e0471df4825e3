"""Chain-backed verification: the pure checks of `notary.core.verify`, then ONE eth_call.

`NotaryRegistry.check` answers everything a verdict needs (anchor time and block of the
root the proof leads to, revocation, the issuer's status, the current block) in a single
call, so a verification costs one round trip to the node. A chain that cannot be asked
gives UNVERIFIABLE, never INVALID.

`examine` runs the pure steps; `verify_on_chain` completes them with a blocking call
(`notary verify`), `conclude_on_chain` on the API's event loop through its cache.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from web3.exceptions import Web3Exception

from notary.chain.connection import rpc_guard
from notary.chain.errors import ChainError
from notary.chain.reader import ChainChecks
from notary.chain.registry import Registry, Verification
from notary.core.receipts import Receipt
from notary.core.types import Digest
from notary.core.verify import (
    STEP_SIGNATURE,
    ChainFacts,
    Inclusion,
    Judgement,
    Step,
    judge,
    verify_receipt,
)


@dataclass(frozen=True)
class Outcome:
    """The pure steps, what the chain said (None if not asked or not reachable), the verdict."""

    inclusion: Inclusion
    chain: ChainFacts | None
    judgement: Judgement


CHAIN_FAILURES = (ChainError, Web3Exception, OSError)
"""What asking the chain may raise: the verdict is then UNVERIFIABLE."""


@dataclass(frozen=True)
class Examined:
    """A receipt after the pure steps; the chain's answer completes the verdict."""

    receipt: Receipt
    inclusion: Inclusion
    required_confirmations: int

    def without_chain(self, chain_configured: bool) -> Outcome | None:
        """The outcome if the chain has nothing to add (or cannot be asked); else None."""
        if not self.inclusion.ok or self.receipt.anchor is None:
            # INVALID or PENDING is decided without the chain: don't spend a call on it.
            return self._outcome(None)
        if not chain_configured:
            return self._outcome(None, "no RPC endpoint configured")
        return None

    def with_facts(self, facts: ChainFacts) -> Outcome:
        """The outcome given what the chain said."""
        return self._outcome(facts)

    def unreachable(self, exc: BaseException) -> Outcome:
        """The outcome when asking the chain failed with `exc` (UNVERIFIABLE)."""
        return self._outcome(None, exc.diagnostics() if isinstance(exc, ChainError) else str(exc))

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
    try:
        if chain_id is None:
            chain_id = await checks.chain_id()
        v = await checks.check(
            registry, *_asked(receipt), at_least=anchor.block_number, contract=anchor.contract
        )
    except CHAIN_FAILURES as exc:
        return examined.unreachable(exc)
    return examined.with_facts(_facts(v, chain_id))


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
    return _facts(registry.check(*_asked(receipt), contract=anchor.contract), chain_id)


def _asked(receipt: Receipt) -> tuple[bytes, str, bytes, tuple[bytes, ...]]:
    values = receipt.values
    assert receipt.proof is not None
    return values.digest.raw, values.issuer, values.metadata_digest.raw, tuple(receipt.proof)


def _facts(v: Verification, chain_id: int) -> ChainFacts:
    return ChainFacts(
        anchored_at=v.anchored_at or None,
        anchored_block=v.anchored_block if v.anchored_at else None,
        current_block=v.current_block,
        revoked_at=v.revoked_at or None,
        revocation_reason=v.revocation_reason if v.revoked_at else None,
        issuer_name=v.issuer_name or None,
        issuer_registered_at=v.issuer_registered_at or None,
        issuer_deactivated_at=v.issuer_deactivated_at or None,
        chain_id=chain_id,
    )


def _signed_by_service(inclusion: Inclusion, key_id: str) -> Inclusion:
    """The steps with the signature step stating who signed (nothing left to check)."""
    detail = f"signed by key {key_id} (this service, from its own records)"
    signed = Step(STEP_SIGNATURE, True, detail)
    steps = tuple(signed if s.name == STEP_SIGNATURE else s for s in inclusion.steps)
    return replace(inclusion, steps=steps)
