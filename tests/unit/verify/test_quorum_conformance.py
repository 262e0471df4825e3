"""The API's quorum of endpoints (NOTARY_RPC_QUORUM) against the conformance vectors: each
case's nodes become endpoints answering as the case says, and the verdict is the one
`notary verify` and the page give. When every endpoint answers (an answer or a refusal),
any quorum gives that verdict, since the endpoints that answered must all agree; a node
that failed counts only towards a quorum of all of them."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any, cast

import pytest

from notary.chain.errors import ChainError, ContractReverted
from notary.chain.reader import CheckCache
from notary.chain.registry import Registry, SignedVerification, Verification
from notary.core.signing import public_key_from_hex
from notary.core.types import Digest
from notary.verify.onchain import conclude_on_chain, examine
from notary.verify.quorum import QuorumChecks
from tests.vectors.conformance.run_case import check_answer, receipt_of, signature_answer

VECTORS = json.loads(
    (Path(__file__).resolve().parents[2] / "vectors" / "conformance" / "cases.json").read_text(
        "utf-8"
    )
)
ASKED = [c for c in VECTORS["cases"] if "verdict" in c["expect"] and c["chain"]]


class Endpoint:
    """One node of a case as an endpoint: its chain id and its answer, or what it raised."""

    def __init__(self, said: dict[str, Any], issuer: str) -> None:
        self.said = said
        self.issuer = issuer

    async def chain_id(self) -> int:
        if "failure" in self.said:
            raise ChainError(f"{self.said['failure']}: {self.said['detail']}")
        return int(self.said["chainId"])

    async def check(self, *_: Any) -> Verification:
        answer = self._answer()
        assert isinstance(answer, Verification), "a v1 receipt is asked check"
        return answer

    async def check_signed(self, *_: Any) -> SignedVerification:
        answer = self._answer()
        assert isinstance(answer, SignedVerification), "a v2 receipt is asked checkSigned"
        return answer

    def _answer(self) -> Verification | SignedVerification:
        said = self.said
        if "failure" in said:
            raise ChainError(f"{said['failure']}: {said['detail']}")
        if "refused" in said:  # as the adapter decodes the revert
            args = (self.issuer,) if said["refused"] == "SignatureRequired" else ("0x",)
            raise ContractReverted(said["refused"], args)
        check = check_answer(said["check"])
        if "signature" in said:
            return SignedVerification(check, signature_answer(said["signature"]))
        return check


def _verdict(case: dict[str, Any], quorum: int) -> tuple[str, str | None]:
    receipt = receipt_of(case, VECTORS["receipts"])
    given = case["given"]
    keys = {k["keyId"]: public_key_from_hex(k["publicKey"]) for k in VECTORS["serviceKeys"]}
    examined = examine(
        receipt,
        required_confirmations=case["requiredConfirmations"],
        digest=Digest.from_hex(given["digest"]) if given["digest"] else None,
        public_keys=keys if given["serviceKeys"] else None,
    )
    members = [
        (f"https://node{i}.test", cast(CheckCache, Endpoint(said, receipt.values.issuer)))
        for i, said in enumerate(case["chain"])
    ]
    checks = QuorumChecks(members, quorum)
    outcome = asyncio.run(conclude_on_chain(examined, cast(Registry, None), checks))
    j = outcome.judgement
    return j.verdict.value, j.failed_step.name if j.failed_step else None


@pytest.mark.parametrize("case", ASKED, ids=lambda c: c["name"])
def test_every_quorum_gives_the_cases_verdict(case: dict[str, Any]) -> None:
    nodes = len(case["chain"])
    answered = all("failure" not in said for said in case["chain"])
    expected = (case["expect"]["verdict"], case["expect"]["failedStep"])
    for quorum in range(1, nodes + 1) if answered else [nodes]:
        assert _verdict(case, quorum) == expected, f"a quorum of {quorum} of {nodes}"
