"""Which keys an issuer has authorised now, read from the registry and kept a short while.

Accepting a submission checks its signature against the issuer's keys as the chain reports
them (`signersOf`: every key with the blocks it was added and removed in). One `eth_call`
answers for an issuer; the answer is used for at most `max_age` seconds
(NOTARY_SIGNER_MAX_AGE), so a key the issuer removes on chain is refused here at most that
long after the node has the removing block; a signature by a key not among those read
makes them read again (at most once a second), so a key just added counts at once. The
chain stays the judge: a document signed by a key removed before its batch is anchored
is NOT genuine whatever was accepted.

When the chain cannot be asked:
- a signed submission is refused (503) once the keys are older than `max_age`: its key
  may have been removed;
- an issuer known to sign stays known to sign (the registry never forgets it), so its
  unsigned submissions are still refused with 422;
- an issuer not known to sign keeps being accepted unsigned, as before issuer keys, so an
  outage of the chain does not stop the agencies that do not sign; should it have added
  its first key meanwhile, those documents are NOT genuine on chain (logged here).

A registry from before signing keys (no `signersOf`) has no signing issuer.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from notary.chain.errors import ChainError, ContractReverted
from notary.chain.registry import Registry
from notary.core.types import Address, to_checksum_address
from notary.pipeline.submissions import IssuerKeys

DEFAULT_MAX_AGE_S = 10.0
MIN_REREAD_S = 1.0
"""Keys read this recently are not read again for a signature by a key not among them."""
log = logging.getLogger("notary.signers")


@dataclass(frozen=True)
class _Entry:
    keys: IssuerKeys
    read_at: float


class SignerView:
    """Issuers' signing keys as the registry reported them, each read at most `max_age` ago."""

    def __init__(
        self,
        registry: Registry,
        max_age: float = DEFAULT_MAX_AGE_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.registry = registry
        self.max_age = max_age
        self._clock = clock
        self._entries: dict[Address, _Entry] = {}
        self._locks: dict[Address, threading.Lock] = {}
        self._guard = threading.Lock()

    def fresh(self, issuer: str) -> IssuerKeys | None:
        """The issuer's keys if read less than `max_age` ago (no I/O: for the event loop)."""
        entry = self._entries.get(to_checksum_address(issuer, "issuer"))
        if entry is None or self._clock() - entry.read_at >= self.max_age:
            return None
        return entry.keys

    def for_submission(self, issuer: str, signed: bool) -> IssuerKeys:
        """The keys a submission of `issuer` is checked against (blocking: may ask the chain).

        ChainError when the chain cannot be asked and the answer would matter (see the
        module docstring).
        """
        address = to_checksum_address(issuer, "issuer")
        with self._lock_of(address):
            keys = self.fresh(address)
            if keys is not None:
                return keys
            try:
                return self.refresh(address)
            except ChainError:
                stale = self._entries.get(address)
                if signed:
                    raise
                if stale is not None and stale.keys.signing:
                    return stale.keys  # it signs for good: its unsigned submission is refused
                log.warning(
                    "accepting an unsigned submission of issuer %s without asking the chain "
                    "whether it signs now (the chain did not answer)",
                    address,
                )
                return IssuerKeys(address, 0, frozenset())

    def refresh(self, issuer: str) -> IssuerKeys:
        """Ask the registry for the issuer's keys now, and keep the answer."""
        address = to_checksum_address(issuer, "issuer")
        started = self._clock()
        keys = _read(self.registry, address)
        self._entries[address] = _Entry(keys, started)
        return keys

    def newer(self, issuer: str) -> IssuerKeys | None:
        """The issuer's keys read again, unless they were read less than MIN_REREAD_S ago
        (None): a key added a moment ago counts at once, and a stream of signatures by
        keys that are not the issuer's costs the chain one call a second at most."""
        address = to_checksum_address(issuer, "issuer")
        with self._lock_of(address):
            entry = self._entries.get(address)
            if entry is not None and self._clock() - entry.read_at < MIN_REREAD_S:
                return None
            return self.refresh(address)

    def forget(self, issuer: str) -> None:
        """Drop what is known of the issuer's keys (e.g. after relaying a change of them)."""
        self._entries.pop(to_checksum_address(issuer, "issuer"), None)

    def _lock_of(self, issuer: Address) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(issuer, threading.Lock())


def _read(registry: Registry, issuer: Address) -> IssuerKeys:
    """The issuer's keys from one `signersOf` call; its first key's block is `signingSince`."""
    try:
        signers = registry.signers_of(issuer)
    except ContractReverted as exc:
        if exc.error_name != "Error":  # a custom error: a registry that has the function
            raise
        # A registry from before signing keys reverts plainly: it has no signersOf.
        return IssuerKeys(issuer, 0, frozenset())
    since = min((s.added_block for s in signers), default=0)
    active = frozenset(Address(s.key) for s in signers if s.active)
    return IssuerKeys(issuer, since, active)
