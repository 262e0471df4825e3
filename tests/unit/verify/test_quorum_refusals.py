"""A quorum of endpoints holds check's SignatureRequired refusal to the one agreement rule:
all refusing is the agreed answer (raised as ContractReverted, as one node's is), one
refusing while another answers is a disagreement (UNVERIFIABLE), never INVALID on one
node's word."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any, cast

import pytest

from notary.chain.errors import ChainError, ContractReverted
from notary.chain.quorum import EndpointsDisagree, QuorumChecks
from notary.chain.reader import CheckCache
from notary.chain.registry import Registry, Verification

ANSWER = Verification(b"\x01" * 32, b"\x02" * 32, 1_700_000_000, 7, 2, 0, 0, 9, "Sở", 1, 0)


class Endpoint:
    """One endpoint's canned answer to check: a Verification, or what it raised."""

    def __init__(self, answer: Verification | ChainError) -> None:
        self.answer = answer

    async def check(self, *_: Any) -> Verification:
        if isinstance(self.answer, ChainError):
            raise self.answer
        return self.answer


def _ask(*answers: Verification | ChainError, quorum: int = 2) -> Verification:
    members: Sequence[tuple[str, CheckCache]] = [
        (f"https://node{i}.test", cast(CheckCache, Endpoint(a))) for i, a in enumerate(answers)
    ]
    checks = QuorumChecks(members, quorum)
    registry = cast(Registry, None)
    return asyncio.run(checks.check(registry, b"\x00" * 32, "0x" + "11" * 20, b"\x00" * 32, ()))


def refused() -> ContractReverted:
    return ContractReverted("SignatureRequired")


def test_every_endpoint_refusing_alike_is_the_agreed_refusal() -> None:
    with pytest.raises(ContractReverted) as raised:
        _ask(refused(), refused())
    assert raised.value.error_name == "SignatureRequired"


def test_refusals_of_a_quorum_agree_while_another_endpoint_is_down() -> None:
    with pytest.raises(ContractReverted):
        _ask(refused(), refused(), ChainError("timed out"), quorum=2)


def test_one_refusing_and_one_answering_disagree() -> None:
    with pytest.raises(EndpointsDisagree, match="refused: SignatureRequired"):
        _ask(refused(), ANSWER)


def test_another_revert_is_no_answer() -> None:
    with pytest.raises(EndpointsDisagree, match="0 of 2"):
        _ask(ContractReverted("UnknownError"), ContractReverted("UnknownError"))


def test_agreeing_answers_still_agree() -> None:
    assert _ask(ANSWER, ANSWER) == ANSWER
