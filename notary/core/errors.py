"""The root of notary's error tree: every error says what happened and what to do about it."""

from __future__ import annotations


class NotaryError(Exception):
    """Base class of every error notary raises on purpose."""

    def diagnostics(self) -> str:
        """Explain the error to a person: what happened and, where known, what to do."""
        return str(self)


class FormatError(NotaryError, ValueError):
    """Input that does not have the required shape; ``field`` names where (e.g. ``proof[3]``).

    It is also a ``ValueError`` so that callers who already catch ``ValueError`` keep working.
    """

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}" if field else message)
        self.field = field
        self.message = message

    def diagnostics(self) -> str:
        """Say which field is malformed and how."""
        where = f"in `{self.field}`" if self.field else "in the input"
        return f"Malformed input {where}: {self.message}."


class VerificationError(NotaryError):
    """A check failed: a signature, a proof or a recorded fact does not match."""


class NotInTreeError(NotaryError, LookupError):
    """A leaf was looked up in a Merkle tree that does not contain it."""
