"""Verification answers that several RPC endpoints must agree on (NOTARY_RPC_QUORUM).

One provider can be wrong: a stale replica, a misconfigured network, or a node that lies.
`QuorumChecks` asks every configured endpoint the same `check` question at its own latest
block and accepts the answer only when at least `quorum` of them answered and every one
that answered says the same about the document (root, anchor time and block, revocation,
issuer). Anything less is a `ChainError` that names each endpoint and what it said, so the
verdict is UNVERIFIABLE with the reason; it is never INVALID on one node's word.

A contract's refusal (a revert of `check` or `checkSigned`) is an answer, not a failure: the
endpoint was asked and its registry said no. Refusals are held to the same rule: when every
endpoint that answered refused alike (the same error, the same arguments), the refusal is
raised as the agreed answer, as one node's is (SignatureRequired, a v1 receipt of an issuer
that signs: INVALID at issuerSignature; any other: UNVERIFIABLE naming it). Different
refusals, or an endpoint refusing while another answers, are a disagreement.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable, Sequence
from typing import TypeVar

from notary.chain.connection import connect
from notary.chain.errors import ChainError, ContractReverted
from notary.chain.jsonrpc import AsyncJsonRpc
from notary.chain.reader import BlockTracker, ChainChecks, CheckCache, Signed
from notary.chain.registry import Registry, SignedVerification, Verification
from notary.settings.config import Settings
from notary.verify.agreement import agreement_key
from notary.verify.facts import facts_of, facts_of_signed, refused_facts

T = TypeVar("T")


class EndpointsDisagree(ChainError):
    """The endpoints asked gave different answers, or too few answered."""


@dataclasses.dataclass(frozen=True)
class _Refusal:
    """The registry's refusal to answer (a revert), which is itself the endpoint's answer."""

    error: ContractReverted


A = TypeVar("A")


def _refusal_as_answer(answer: A | BaseException) -> A | _Refusal | BaseException:
    return _Refusal(answer) if isinstance(answer, ContractReverted) else answer


def _agreed_refusal(answers: Sequence[A | _Refusal]) -> list[A]:
    """The answers that are facts; if the endpoints agreed on a refusal, that refusal raised
    (they agree, so either all refused alike or none did)."""
    facts = [a for a in answers if not isinstance(a, _Refusal)]
    if not facts:
        first = answers[0]
        assert isinstance(first, _Refusal)
        raise first.error
    return facts


class QuorumChecks:
    """`ChainChecks` over several endpoints, at least `quorum` answering and all agreeing."""

    def __init__(self, members: Sequence[tuple[str, CheckCache]], quorum: int) -> None:
        if not 1 <= quorum <= len(members):
            raise ValueError(f"a quorum of {quorum} needs as many endpoints, got {len(members)}")
        self.members = list(members)
        self.quorum = quorum

    async def check(
        self,
        registry: Registry,
        digest: bytes,
        issuer: str,
        metadata_digest: bytes,
        proof: Sequence[bytes],
        at_least: int = 0,
        contract: str | None = None,
    ) -> Verification:
        """The answer every endpoint that answered gave (their lowest current block); their
        agreed refusal is raised as ContractReverted, as one node's is."""
        asked = await asyncio.gather(
            *(
                cache.check(registry, digest, issuer, metadata_digest, proof, at_least, contract)
                for _, cache in self.members
            ),
            return_exceptions=True,
        )
        answered: list[Verification | _Refusal | BaseException]
        answered = [_refusal_as_answer(a) for a in asked]
        agreed: list[Verification | _Refusal] = self._agreed(answered, _summary)
        verifications = _agreed_refusal(agreed)
        lowest = min(a.current_block for a in verifications)
        return dataclasses.replace(verifications[0], current_block=lowest)

    async def check_signed(
        self,
        registry: Registry,
        digest: bytes,
        issuer: str,
        metadata_digest: bytes,
        proof: Sequence[bytes],
        signed: Signed,
        at_least: int = 0,
        contract: str | None = None,
    ) -> SignedVerification:
        """The `checkSigned` answer every endpoint that answered gave (their lowest block);
        their agreed refusal is raised as ContractReverted."""
        asked = await asyncio.gather(
            *(
                cache.check_signed(
                    registry, digest, issuer, metadata_digest, proof, signed, at_least, contract
                )
                for _, cache in self.members
            ),
            return_exceptions=True,
        )
        answered: list[SignedVerification | _Refusal | BaseException]
        answered = [_refusal_as_answer(a) for a in asked]
        agreed: list[SignedVerification | _Refusal] = self._agreed(answered, _summary)
        answers = _agreed_refusal(agreed)
        lowest = min(a.verification.current_block for a in answers)
        first = answers[0]
        verification = dataclasses.replace(first.verification, current_block=lowest)
        return dataclasses.replace(first, verification=verification)

    async def chain_id(self) -> int:
        """The chain id all answering endpoints report."""
        asked = await asyncio.gather(
            *(cache.chain_id() for _, cache in self.members), return_exceptions=True
        )
        return self._agreed(asked, lambda chain_id: f"chain id {chain_id}")[0]

    def _agreed(self, asked: Sequence[T | BaseException], describe: Callable[[T], str]) -> list[T]:
        """The answers, if enough came and all agree; else EndpointsDisagree saying each."""
        answered = [(url, a) for (url, _), a in zip(self.members, asked, strict=True)]
        good = [(url, a) for url, a in answered if not isinstance(a, BaseException)]
        report = "; ".join(
            f"{url}: {_failure(a) if isinstance(a, BaseException) else describe(a)}"
            for url, a in answered
        )
        if len(good) < self.quorum:
            raise EndpointsDisagree(
                f"{len(good)} of {len(self.members)} RPC endpoints answered and "
                f"{self.quorum} must agree (NOTARY_RPC_QUORUM): {report}"
            )
        first = _essence(good[0][1])
        if any(_essence(a) != first for _, a in good[1:]):
            raise EndpointsDisagree(f"the RPC endpoints disagree: {report}")
        return [a for _, a in good]


def _essence(answer: object) -> object:
    if isinstance(answer, Verification):  # the one agreement rule (notary.verify.agreement)
        return agreement_key(facts_of(answer, None))
    if isinstance(answer, _Refusal):  # alike: the same error with the same arguments
        error = answer.error
        return agreement_key(refused_facts(error.error_name, None)), error.error_args
    if isinstance(answer, SignedVerification):
        return agreement_key(facts_of_signed(answer.verification, answer.signature, None))
    return answer


def _summary(v: Verification | SignedVerification | _Refusal) -> str:
    if isinstance(v, _Refusal):
        return "refused: " + str(v.error).removeprefix("NotaryRegistry reverted: ")
    if isinstance(v, SignedVerification):
        return _summary(v.verification)
    if not v.anchored_at:
        return f"root 0x{v.root.hex()[:12]}… not anchored (block {v.current_block})"
    revoked = f", revoked at {v.revoked_at}" if v.revoked_at else ""
    return (
        f"root 0x{v.root.hex()[:12]}… anchored at {v.anchored_at} in block "
        f"{v.anchored_block}{revoked} (block {v.current_block})"
    )


def _failure(exc: BaseException) -> str:
    return str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__


def open_checks(settings: Settings, reads: AsyncJsonRpc) -> ChainChecks:
    """The API's chain answers: through `reads` alone, or a quorum of every endpoint."""
    interval = settings.chain_poll_interval
    if settings.rpc_quorum <= 1:
        return CheckCache(BlockTracker(reads, interval))
    urls = settings.rpc_endpoints
    if settings.rpc_quorum > len(urls):
        raise ChainError(
            f"NOTARY_RPC_QUORUM={settings.rpc_quorum} needs as many endpoints in "
            f"NOTARY_RPC_URLS; {len(urls)} configured"
        )
    members = []
    for url in urls:  # each endpoint its own client and tracker: asked independently
        rpc = AsyncJsonRpc(connect(url, timeout_s=settings.rpc_timeout))
        members.append((url, CheckCache(BlockTracker(rpc, interval))))
    return QuorumChecks(members, settings.rpc_quorum)
