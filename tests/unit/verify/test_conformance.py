"""The Python engine against the conformance vectors (tests/vectors/conformance/cases.json),
which the page's JavaScript passes too (tests/js/conformance.test.js)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from notary.core.errors import FormatError
from notary.verify import AGREED
from notary.verify.facts import json_name
from tests.vectors.conformance.run_case import receipt_of, run, states

VECTORS = json.loads(
    (Path(__file__).resolve().parents[2] / "vectors" / "conformance" / "cases.json").read_text(
        "utf-8"
    )
)
CASES = VECTORS["cases"]
LOADING = [c for c in CASES if "formatError" in c["expect"]]
JUDGED = [c for c in CASES if "verdict" in c["expect"]]


def test_every_verdict_is_covered() -> None:
    verdicts = {c["expect"]["verdict"] for c in JUDGED}
    assert verdicts == {
        "VALID",
        "VALID_PENDING_CONFIRMATIONS",
        "PENDING",
        "REVOKED",
        "INVALID",
        "UNVERIFIABLE",
    }
    failed = {c["expect"]["failedStep"] for c in JUDGED if c["expect"]["verdict"] == "INVALID"}
    assert failed == {
        "digest",
        "metadata",
        "issuer",
        "leaf",
        "proof",
        "issuerSignature",
        "signature",
        "anchor",
    }
    genuine = [c for c in JUDGED if c["expect"]["verdict"].startswith("VALID")]
    assert {c["expect"]["assurance"] for c in genuine} == {"signed", "vouched"}


def test_the_agreed_facts_are_the_engines() -> None:
    assert VECTORS["agreed"] == [json_name(name) for name in AGREED]


@pytest.mark.parametrize("case", LOADING, ids=lambda c: c["name"])
def test_a_malformed_receipt_is_refused_naming_the_field(case: dict[str, Any]) -> None:
    with pytest.raises(FormatError) as refused:
        receipt_of(case, VECTORS["receipts"])
    assert refused.value.field == case["expect"]["formatError"], refused.value.message


@pytest.mark.parametrize("case", JUDGED, ids=lambda c: c["name"])
def test_the_verdict(case: dict[str, Any]) -> None:
    outcome = run(case, VECTORS["receipts"], VECTORS["serviceKeys"])
    j = outcome.judgement
    expect = case["expect"]
    assert j.verdict.value == expect["verdict"], j.detail
    assert (j.failed_step.name if j.failed_step else None) == expect["failedStep"], j.detail
    assert states(outcome) == expect["steps"]
    assurance = j.assurance.value if j.assurance is not None else None
    assert assurance == expect.get("assurance")
    if "confirmations" in expect:
        assert j.confirmations == expect["confirmations"]
