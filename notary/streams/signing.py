"""Which issuers sign their documents, as the interval sealer asks it (through the chain).

An issuer signs from its first signing key on (`signingSince` on the registry) and for
good, so a "yes" is remembered for the life of the process; a "no" is asked again once
the `SignerView`'s answer is older than its max age (NOTARY_SIGNER_MAX_AGE). When the
chain does not answer and the issuer is not known to sign, the answer is None: its
stations' intervals wait (sealed at a later step) rather than be accepted unsigned and
anchored as documents every verifier would call NOT genuine.
"""

from __future__ import annotations

import logging

from notary.chain.errors import ChainError
from notary.core.types import Address, to_checksum_address
from notary.pipeline.signers import SignerView

log = logging.getLogger("notary.streams")


class ChainSigningIssuers:
    """`notary.streams.sealer.SigningIssuers` read from the registry through a SignerView."""

    def __init__(self, view: SignerView) -> None:
        self.view = view
        self._signing: set[Address] = set()
        self._unanswered: set[Address] = set()
        """Issuers the chain did not answer for, last asked (logged once until it does)."""

    def __call__(self, issuer: str) -> bool | None:
        """Whether `issuer` signs its documents now; None when the chain cannot say."""
        address = to_checksum_address(issuer, "issuer")
        if address in self._signing:
            return True
        keys = self.view.fresh(address)
        if keys is None:
            try:
                keys = self.view.refresh(address)
            except ChainError as exc:
                if address not in self._unanswered:
                    log.warning(
                        "not sealing issuer %s's station intervals until the chain says "
                        "whether it signs its documents: %s",
                        address,
                        exc,
                    )
                    self._unanswered.add(address)
                return None
            self._unanswered.discard(address)
        if keys.signing:
            self._signing.add(address)
        return keys.signing
