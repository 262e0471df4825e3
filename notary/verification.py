"""Chain-backed verification: the pure checks of `notary.core.verify`, then ONE eth_call.

`NotaryRegistry.check` answers everything a verdict needs (anchor time and block of the
root the proof leads to, revocation, the issuer's status, the current block) in a single
call, so a verification costs one round trip to the node. A chain that cannot be asked
gives UNVERIFIABLE, never INVALID. Used by the API and by `notary verify`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from web3.exceptions import Web3Exception

from notary.chain.connection import rpc_guard
from notary.chain.errors import ChainError
from notary.chain.reader import CheckCache
from notary.chain.registry import Registry
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


def ask_chain(
    registry: Registry,
    receipt: Receipt,
    chain_id: int | None = None,
    checks: CheckCache | None = None,
) -> ChainFacts:
    """ChainFacts for an anchored receipt from one `check` call (plus eth_chainId if unknown).

    The receipt's own contract is asked, through `registry`'s connection, so that a receipt
    anchored in another deployment on the same chain is judged by that deployment. With
    `checks`, the answer is as of the tracked latest block and may come from its cache.
    """
    anchor = receipt.anchor
    if anchor is None or receipt.proof is None:
        raise ValueError("only an anchored receipt can be checked on chain")
    target = registry
    if anchor.contract.lower() != registry.address.lower():
        target = Registry(registry.w3, anchor.contract, registry.artifact)
    values = receipt.values
    if chain_id is None:
        with rpc_guard(target.w3):
            chain_id = int(target.w3.eth.chain_id)
    asked = (values.digest.raw, values.issuer, values.metadata_digest.raw, receipt.proof)
    if checks is not None:
        v = checks.check(target, *asked, at_least=anchor.block_number)
    else:
        v = target.check(*asked)
    return ChainFacts(
        anchored_at=v.anchored_at or None,
        anchored_block=v.anchored_block if v.anchored_at else None,
        current_block=v.current_block,
        revoked_at=v.revoked_at or None,
        revocation_reason=v.revocation_reason if v.revoked_at else None,
        issuer_name=v.issuer_name or None,
        issuer_deactivated_at=v.issuer_deactivated_at or None,
        chain_id=chain_id,
    )


def verify_on_chain(
    receipt: Receipt,
    registry: Registry | None,
    *,
    required_confirmations: int,
    document: bytes | None = None,
    digest: Digest | None = None,
    metadata: Mapping[str, Any] | None = None,
    public_keys: Mapping[str, Ed25519PublicKey] | None = None,
    chain_id: int | None = None,
    checks: CheckCache | None = None,
    signed_by: str | None = None,
) -> Outcome:
    """Verify a receipt completely; never raises for a bad receipt or an unreachable chain.

    `signed_by` names the key that signed the receipt just now (this service's own receipt
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
        inclusion = _signed_just_now(inclusion, signed_by)
    if not inclusion.ok or receipt.anchor is None:
        # INVALID or PENDING is decided without the chain: don't spend a call on it.
        verdict = judge(inclusion, None, required_confirmations=required_confirmations)
        return Outcome(inclusion, None, verdict)
    if registry is None:
        return Outcome(
            inclusion,
            None,
            judge(
                inclusion,
                None,
                required_confirmations=required_confirmations,
                chain_error="no RPC endpoint configured",
            ),
        )
    try:
        facts = ask_chain(registry, receipt, chain_id, checks)
    except (ChainError, Web3Exception, OSError) as exc:
        error = exc.diagnostics() if isinstance(exc, ChainError) else str(exc)
        verdict = judge(
            inclusion, None, required_confirmations=required_confirmations, chain_error=error
        )
        return Outcome(inclusion, None, verdict)
    verdict = judge(inclusion, facts, required_confirmations=required_confirmations)
    return Outcome(inclusion, facts, verdict)


def _signed_just_now(inclusion: Inclusion, key_id: str) -> Inclusion:
    """The steps with the signature step stating who signed (nothing left to check)."""
    signed = Step(STEP_SIGNATURE, True, f"signed by key {key_id} (this service, just now)")
    steps = tuple(signed if s.name == STEP_SIGNATURE else s for s in inclusion.steps)
    return replace(inclusion, steps=steps)
