"""The one agreement rule: what two answers from the chain must say alike."""

from __future__ import annotations

import dataclasses

import pytest

from notary.verify.agreement import AGREED, agreement_key, common, differences
from notary.verify.facts import ChainFacts

FACTS = ChainFacts(
    anchored_at=1_709_287_500,
    anchored_block=42,
    current_block=53,
    issuer_name="Sở Nông nghiệp tỉnh Đắk Lắk",
    issuer_registered_at=1_709_283_900,
    chain_id=31337,
    leaf="0x" + "11" * 32,
    root="0x" + "22" * 32,
    leaf_count=5,
)


def test_only_the_current_block_may_differ() -> None:
    later = dataclasses.replace(FACTS, current_block=60)
    assert differences(FACTS, later) == ()
    assert agreement_key(FACTS) == agreement_key(later)
    assert "current_block" not in AGREED


@pytest.mark.parametrize(
    "change",
    [
        {"anchored_at": None, "anchored_block": None},
        {"anchored_block": 43},
        {"revoked_at": 1_709_300_000, "revocation_reason": 2},
        {"issuer_name": "Chi cục Thủy sản"},
        {"issuer_registered_at": None},
        {"issuer_deactivated_at": 1_709_300_000},
        {"chain_id": 1},
        {"leaf": "0x" + "33" * 32},
        {"root": "0x" + "33" * 32},
        {"leaf_count": 6},
    ],
)
def test_any_other_fact_that_differs_is_a_disagreement(change: dict[str, object]) -> None:
    other = dataclasses.replace(FACTS, **change)  # type: ignore[arg-type]
    assert set(differences(FACTS, other)) == set(change)
    assert agreement_key(FACTS) != agreement_key(other)


def test_no_answer_agrees_only_with_no_answer() -> None:
    assert differences(None, None) == ()
    assert differences(FACTS, None) == AGREED == differences(None, FACTS)


def test_the_common_answer_is_as_of_the_lowest_block() -> None:
    answers = [dataclasses.replace(FACTS, current_block=b) for b in (70, 55, 61)]
    assert common(answers) == dataclasses.replace(FACTS, current_block=55)
    with pytest.raises(ValueError):
        common([FACTS, dataclasses.replace(FACTS, revoked_at=1)])
