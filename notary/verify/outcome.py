"""A verification's outcome and its one JSON form (the API's answer, `notary verify --json`).

Pure: no I/O, no globals.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from notary.core.reasons import reason_name
from notary.verify.facts import ChainFacts, facts_json
from notary.verify.judge import Judgement
from notary.verify.steps import STEP_DIGEST, STEP_SIGNATURE, Inclusion, Step


@dataclass(frozen=True)
class Outcome:
    """The pure steps, what the chain said (None if not asked or not reachable), the verdict."""

    inclusion: Inclusion
    chain: ChainFacts | None
    judgement: Judgement

    def step(self, name: str) -> Step:
        """The pure step called `name` (e.g. STEP_DIGEST)."""
        return next(s for s in self.inclusion.steps if s.name == name)

    @property
    def possessed(self) -> bool:
        """Whether a digest was given and matched the receipt's (the caller holds the file)."""
        step = self.step(STEP_DIGEST)
        return step.ok and not step.skipped

    @property
    def signature_checked(self) -> bool:
        """Whether the service's signature was checked (or vouched for by its signer)."""
        return not self.step(STEP_SIGNATURE).skipped


def outcome_json(outcome: Outcome, *, required_confirmations: int) -> dict[str, Any]:
    """The outcome as JSON: the verdict, why, every step, and the facts behind them.

    `chain` holds the chain's answer as the judge read it (`facts_json`), so that anyone
    holding another node's answer can compare the two by the one agreement rule.
    """
    j = outcome.judgement
    receipt = outcome.inclusion.receipt
    chain = outcome.chain
    on_chain = chain is not None and chain.issuer_name is not None
    reason = j.revocation_reason
    return {
        "verdict": j.verdict.value,
        "detail": j.detail,
        "failedStep": j.failed_step.name if j.failed_step else None,
        "steps": [
            {"name": s.name, "ok": s.ok, "skipped": s.skipped, "detail": s.detail}
            for s in outcome.inclusion.steps
        ],
        "leaf": receipt.leaf.hex,
        "issuer": receipt.issuer.address,
        "issuerName": chain.issuer_name if chain is not None and on_chain else receipt.issuer.name,
        "issuerNameSource": "chain" if on_chain else "service",
        "issuerActive": chain.issuer_deactivated_at is None
        if chain is not None and on_chain
        else None,
        "assurance": j.assurance.value if j.assurance is not None else None,
        "signer": j.signer,
        "confirmations": j.confirmations,
        "requiredConfirmations": required_confirmations,
        "anchoredAt": j.anchored_at,
        "revokedAt": j.revoked_at,
        "revocationReason": reason,
        "revocationReasonName": reason_name(reason) if isinstance(reason, int) else None,
        "promisedBy": receipt.service.promised_by,
        "batch": receipt.service.batch,
        "notes": list(j.notes),
        "chainBlock": chain.current_block if chain is not None else None,
        "chain": facts_json(chain) if chain is not None else None,
    }
