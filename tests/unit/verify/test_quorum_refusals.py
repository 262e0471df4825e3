"""A quorum of endpoints holds the registry's refusals (reverts of check and checkSigned) to
the one agreement rule: all refusing alike is the agreed answer (raised as ContractReverted,
as one node's is), different refusals or one refusing while another answers are a
disagreement (UNVERIFIABLE), never INVALID on one node's word."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any, cast

import pytest

from notary.chain.errors import ChainError, ContractReverted
from notary.chain.reader import CheckCache
from notary.chain.registry import Registry, SignatureCheck, SignedVerification, Verification
from notary.verify.quorum import EndpointsDisagree, QuorumChecks

ANSWER = Verification(b"\x01" * 32, b"\x02" * 32, 1_700_000_000, 7, 2, 0, 0, 9, "Sở", 1, 0)


KEY = "0x" + "22" * 20
SIGNED = SignedVerification(ANSWER, SignatureCheck(KEY, True, 1, 5, 0, 0, 3, True, True))

Answer = Verification | SignedVerification | ChainError


class Endpoint:
    """One endpoint's canned answer to check and checkSigned: its answer, or what it raised."""

    def __init__(self, answer: Answer) -> None:
        self.answer = answer

    async def check(self, *_: Any) -> Answer:
        if isinstance(self.answer, ChainError):
            raise self.answer
        return self.answer

    check_signed = check


def _checks(answers: Sequence[Answer], quorum: int) -> QuorumChecks:
    members: Sequence[tuple[str, CheckCache]] = [
        (f"https://node{i}.test", cast(CheckCache, Endpoint(a))) for i, a in enumerate(answers)
    ]
    return QuorumChecks(members, quorum)


ASKED = (cast(Registry, None), b"\x00" * 32, "0x" + "11" * 20, b"\x00" * 32, ())


def _ask(*answers: Answer, quorum: int = 2) -> Verification:
    return asyncio.run(_checks(answers, quorum).check(*ASKED))


def _ask_signed(*answers: Answer, quorum: int = 2) -> SignedVerification:
    signed = (b"\x00" * 32, (), b"")
    return asyncio.run(_checks(answers, quorum).check_signed(*ASKED, signed))


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


def test_any_refusal_alike_is_the_agreed_refusal() -> None:
    unknown = ("0x",)
    with pytest.raises(ContractReverted) as raised:
        _ask(ContractReverted("UnknownError", unknown), ContractReverted("UnknownError", unknown))
    assert raised.value.error_name == "UnknownError"


def test_different_refusals_disagree_whatever_the_quorum() -> None:
    other = ContractReverted("UnknownError", ("0x",))
    for quorum in (1, 2):
        with pytest.raises(EndpointsDisagree, match=r"disagree.*refused: UnknownError"):
            _ask(refused(), other, quorum=quorum)


def test_refusals_alike_need_the_same_arguments() -> None:
    with pytest.raises(EndpointsDisagree, match="disagree"):
        _ask(ContractReverted("Error", ("one",)), ContractReverted("Error", ("another",)))


def test_a_refusal_and_an_answer_disagree_whatever_the_quorum() -> None:
    with pytest.raises(EndpointsDisagree, match="disagree"):
        _ask(refused(), ANSWER, quorum=1)


def test_agreeing_answers_still_agree() -> None:
    assert _ask(ANSWER, ANSWER) == ANSWER


def test_checksigned_refusals_alike_agree_and_a_refusal_and_an_answer_disagree() -> None:
    unknown = ContractReverted("UnknownError", ("0x",))
    with pytest.raises(ContractReverted) as raised:
        _ask_signed(unknown, ContractReverted("UnknownError", ("0x",)))
    assert raised.value.error_name == "UnknownError"
    with pytest.raises(EndpointsDisagree, match="refused: UnknownError"):
        _ask_signed(SIGNED, unknown, quorum=1)
    assert _ask_signed(SIGNED, SIGNED) == SIGNED
