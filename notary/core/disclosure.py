"""What of a document's metadata a public verification may show.

The issuer chooses at notarisation: the submission's `public` list is kept inside the
metadata as `publicFields`, so the choice is covered by the metadataDigest and travels in
the receipt (nobody can widen it later without breaking the proof). Metadata without that
list shows `DEFAULT_PUBLIC`, which holds no personal data. The salt is never public: with
it, guessable fields could be confirmed against the digest in someone else's proof.

Changing `DEFAULT_PUBLIC` changes what is shown for documents notarised without a list:
only ever remove from it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from notary.core.errors import FormatError
from notary.core.metadata import SALT_FIELD

PUBLIC_FIELDS_KEY = "publicFields"
DEFAULT_PUBLIC: tuple[str, ...] = (
    "documentType",
    "documentNumber",
    "product",
    "quantity",
    "origin",
    "issuedOn",
    "expiresOn",
)
"""Shown when the issuer gave no list: what identifies the document and the goods, never
who holds it."""
MAX_PUBLIC_FIELDS = 64


def with_public(metadata: Mapping[str, Any] | None, public: Sequence[Any] | None) -> Any:
    """`metadata` with the issuer's `public` list recorded in it (checked), as submitted.

    Without a list, `metadata` itself (a `publicFields` already in it is checked the same
    way). FormatError naming `public[i]` for a name that is not a top-level field of the
    metadata, the salt, or a repeat.
    """
    if public is None:
        if metadata is not None and PUBLIC_FIELDS_KEY in metadata:
            _check(metadata[PUBLIC_FIELDS_KEY], metadata, f"metadata.{PUBLIC_FIELDS_KEY}")
        return metadata
    if metadata is not None and PUBLIC_FIELDS_KEY in metadata:
        raise FormatError(f"metadata.{PUBLIC_FIELDS_KEY}", "give the list as `public` instead")
    if metadata is None and not public:
        return None
    fields = metadata or {}
    _check(public, fields, "public")
    return {**fields, PUBLIC_FIELDS_KEY: list(public)}


def _check(public: Any, fields: Mapping[str, Any], where: str) -> None:
    if not isinstance(public, list | tuple):
        raise FormatError(where, "expected a list of metadata field names")
    if len(public) > MAX_PUBLIC_FIELDS:
        raise FormatError(where, f"at most {MAX_PUBLIC_FIELDS} field names")
    seen: set[str] = set()
    for i, name in enumerate(public):
        at = f"{where}[{i}]"
        if not isinstance(name, str):
            raise FormatError(at, "expected a metadata field name (string)")
        if name in (SALT_FIELD, PUBLIC_FIELDS_KEY):
            raise FormatError(at, f"{name!r} is never public")
        if name not in fields:
            raise FormatError(at, f"{name!r} is not a field of the metadata")
        if name in seen:
            raise FormatError(at, f"{name!r} is listed twice")
        seen.add(name)


def public_view(metadata: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The fields a public verification shows: those the issuer listed, else the defaults;
    never the salt. None when the document has no metadata."""
    if metadata is None:
        return None
    listed = metadata.get(PUBLIC_FIELDS_KEY)
    names = listed if isinstance(listed, list) else DEFAULT_PUBLIC
    return {
        name: metadata[name]
        for name in names
        if isinstance(name, str) and name in metadata and name != SALT_FIELD
    }
