"""Moved to `notary.verify` (the steps, the facts and the judge); these names stay
importable from here for the callers that still use them."""

from __future__ import annotations

from notary.verify.facts import ChainFacts
from notary.verify.judge import Judgement, Verdict, judge
from notary.verify.steps import (
    STEP_ANCHOR,
    STEP_DIGEST,
    STEP_ISSUER,
    STEP_LEAF,
    STEP_METADATA,
    STEP_PROOF,
    STEP_SIGNATURE,
    Inclusion,
    Step,
    verify_receipt,
)

__all__ = [
    "STEP_ANCHOR",
    "STEP_DIGEST",
    "STEP_ISSUER",
    "STEP_LEAF",
    "STEP_METADATA",
    "STEP_PROOF",
    "STEP_SIGNATURE",
    "ChainFacts",
    "Inclusion",
    "Judgement",
    "Step",
    "Verdict",
    "judge",
    "verify_receipt",
]
