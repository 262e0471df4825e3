"""Errors about stored state, each saying what happened and what to do."""

from __future__ import annotations

from notary.core.errors import NotaryError


class StoreError(NotaryError):
    """Base for failures that concern the database's contents."""


class UnknownIssuer(StoreError, LookupError):
    """The issuer address is not registered with this service, or was deactivated."""

    def __init__(self, address: str, deactivated: bool = False) -> None:
        self.address = address
        self.deactivated = deactivated
        what = "was deactivated" if deactivated else "is not a registered issuer"
        super().__init__(f"issuer {address} {what}")

    def diagnostics(self) -> str:
        """Say how to register an issuer."""
        return f"{self}. An administrator registers issuers; deactivated issuers cannot notarise."


class DocumentNotFound(StoreError, LookupError):
    """No document with this leaf was notarised here."""

    def __init__(self, leaf_hex: str) -> None:
        self.leaf_hex = leaf_hex
        super().__init__(f"no document with leaf {leaf_hex}")


class DocumentPending(StoreError):
    """The document is accepted but not yet sealed into a batch, so it has no proof yet."""

    def __init__(self, leaf_hex: str) -> None:
        self.leaf_hex = leaf_hex
        super().__init__(f"document {leaf_hex} is pending: it has no batch or proof yet")

    def diagnostics(self) -> str:
        """Say when to come back."""
        return f"{self}. Batches are sealed every NOTARY_BATCH_INTERVAL seconds; try again then."
