"""Moved to `notary.verify.onchain` (and `notary.verify.outcome`); these names stay
importable from here for the callers that still use them."""

from __future__ import annotations

from notary.verify.onchain import (
    CHAIN_FAILURES,
    Examined,
    ask_chain,
    conclude_on_chain,
    examine,
    verify_on_chain,
)
from notary.verify.outcome import Outcome

__all__ = [
    "CHAIN_FAILURES",
    "Examined",
    "Outcome",
    "ask_chain",
    "conclude_on_chain",
    "examine",
    "verify_on_chain",
]
