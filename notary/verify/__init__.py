"""Verification: one engine behind the API, `notary verify` and (ported rule for rule) the page.

- `steps`: the checks of one receipt that need no chain (document, metadata, issuer,
  leaf, proof, the issuer's signature as far as it goes offline, the service's signature);
- `facts`: what the chain reported (`ChainFacts`), read from the registry's answer;
- `agreement`: when two answers from the chain agree (one rule for every verifier);
- `judge`: the verdict from the steps and the facts;
- `outcome`: the outcome and its one JSON form;
- `onchain`: asking the chain (one `eth_call` per node) and putting it all together.

WARNING: `steps`, `facts`, `agreement` and `judge` decide what issued receipts verify
as. They are pure (no I/O, no globals), the page's JavaScript applies the same rules
(``api/static/js/core/receipt.js``, ``facts.js``, ``judge.js``), and the conformance vectors
under ``tests/vectors/conformance/`` pin both: if one of those vectors changes, a verdict
on some receipt already issued has changed.

This package imports no chain client; `notary.verify.onchain` does.
"""

from __future__ import annotations

from notary.verify.agreement import AGREED, differences
from notary.verify.facts import ChainFacts, facts_json, facts_of
from notary.verify.judge import Assurance, Judgement, Verdict, judge
from notary.verify.outcome import Outcome, outcome_json
from notary.verify.steps import (
    STEP_ANCHOR,
    STEP_DIGEST,
    STEP_ISSUER,
    STEP_ISSUER_SIGNATURE,
    STEP_LEAF,
    STEP_METADATA,
    STEP_PROOF,
    STEP_SIGNATURE,
    STEPS,
    Inclusion,
    Step,
    verify_receipt,
)

__all__ = [
    "AGREED",
    "STEPS",
    "STEP_ANCHOR",
    "STEP_DIGEST",
    "STEP_ISSUER",
    "STEP_ISSUER_SIGNATURE",
    "STEP_LEAF",
    "STEP_METADATA",
    "STEP_PROOF",
    "STEP_SIGNATURE",
    "Assurance",
    "ChainFacts",
    "Inclusion",
    "Judgement",
    "Outcome",
    "Step",
    "Verdict",
    "differences",
    "facts_json",
    "facts_of",
    "judge",
    "outcome_json",
    "verify_receipt",
]
