"""When two answers from the chain agree: the one rule for every verifier.

Two honest nodes asked about the same document say the same about it: its root and leaf,
when and in which block the root was anchored, whether and why it was revoked, the
issuer's name, registration and deactivation, the chain. Only how far each one's chain has
grown (its current block) may differ. Anything else means that one of them is behind, on
another fork or lying, and the verdict is UNVERIFIABLE: never INVALID on one node's word.

Used by `notary verify` (several ``--rpc-url``), the API's quorum of endpoints
(``notary.verify.quorum``) and the page, which holds its node's answer against the
service's (``facts.js``, the same fields).

Pure: no I/O, no globals.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from notary.verify.facts import ChainFacts

AGREED: tuple[str, ...] = tuple(
    f.name for f in dataclasses.fields(ChainFacts) if f.name != "current_block"
)
"""The facts answers must agree on: all of them but the block each is as of."""


def agreement_key(facts: ChainFacts) -> tuple[object, ...]:
    """What two agreeing answers have in common (equal keys: they agree)."""
    return tuple(getattr(facts, name) for name in AGREED)


def differences(a: ChainFacts | None, b: ChainFacts | None) -> tuple[str, ...]:
    """The facts `a` and `b` differ on, in `AGREED` order; no answer (None) agrees only
    with no answer, and differs from an answer in everything."""
    if a is None or b is None:
        return () if a is b else AGREED
    return tuple(name for name in AGREED if getattr(a, name) != getattr(b, name))


def common(answers: Sequence[ChainFacts]) -> ChainFacts:
    """The answer of several that agree, as of the lowest block any of them saw (so that
    confirmations are never counted beyond what every one has seen)."""
    if not answers:
        raise ValueError("no answers to combine")
    for other in answers[1:]:
        if differences(answers[0], other):
            raise ValueError("the answers disagree; ask `differences` first")
    lowest = min(a.current_block for a in answers)
    return dataclasses.replace(answers[0], current_block=lowest)
