"""An agency that signs, as the tests set one up on a real chain: its root key (its
registered address) authorises signing keys through relayed EIP-712 signatures that a
funded account sends, so the agency itself never pays gas."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field

from notary.chain import Registry, TxSender
from notary.core.issuer_signing import IssuerKey, RegistryDomain

DEADLINE_S = 3600


@dataclass
class Agency:
    """A registered issuer's root key, its signing keys, and who relays for it."""

    registry: Registry
    relayer: TxSender
    root: IssuerKey = field(default_factory=lambda: IssuerKey(os.urandom(32)))

    @property
    def address(self) -> str:
        return self.root.address

    @property
    def domain(self) -> RegistryDomain:
        return self.registry.domain()

    def add_key(self, key: IssuerKey | None = None) -> IssuerKey:
        """Authorise `key` (a new one by default) on chain, relayed; returns it."""
        key = key or IssuerKey(os.urandom(32))
        nonce, deadline = self.registry.nonce(self.address), int(time.time()) + DEADLINE_S
        signature = self.root.sign_add_signer(
            self.domain, self.address, key.address, nonce, deadline
        )
        self.relayer.transact(
            self.registry.add_signer_by_sig_call(
                self.address, key.address, nonce, deadline, signature
            )
        )
        return key

    def remove_key(self, key: IssuerKey) -> None:
        """End `key`'s authority on chain from the next block, relayed."""
        nonce, deadline = self.registry.nonce(self.address), int(time.time()) + DEADLINE_S
        signature = self.root.sign_remove_signer(
            self.domain, self.address, key.address, nonce, deadline
        )
        self.relayer.transact(
            self.registry.remove_signer_by_sig_call(
                self.address, key.address, nonce, deadline, signature
            )
        )
