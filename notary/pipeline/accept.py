"""Accepting documents: validate, salt, hash, and store them durably as pending.

Idempotent: the same (issuer, digest, metadata without salt) submitted again returns
the first record, never a second leaf. Because every submission would draw a fresh
salt (and so a different leaf), duplicates are found by `dedup_key`, a SHA-256 over the
issuer, the digest and the *unsalted* canonical metadata (cut to 128 bits), unique in the
table together with the digest's prefix.

Salt: the service chooses it (128 random bits, `notary.core.metadata`) for a submission
the issuer does not sign. Metadata that already carries a `salt` is then rejected: a
caller-chosen salt may be guessable, which would defeat what the salt is for, and silently
replacing it would surprise the caller.

Signed submissions (`notary.pipeline.submissions`): the issuer signs the root of the
submission's leaves, so it must know each leaf before sending, and so its metadata
digest: the metadata of a signed document carries the issuer's own `salt` (32 lower-case
hex digits of fresh randomness; `notary stamp --signer` draws it with `secrets`) and is
hashed exactly as sent. Documents carrying the same `SubmissionSignature` are one
submission; its signature is checked against their leaves before anything is stored, and
the submission (root, signer, signature, tree) is stored once, each new document pointing
at it. A signed document is never deduplicated against an unsigned one (their dedup keys
differ by tag): resending a document the service vouched for, signed, makes a new record.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple, cast

import psycopg
from sqlalchemy import Connection, Table, bindparam, select

from notary.core.digests import ZERO_DIGEST
from notary.core.errors import FormatError
from notary.core.merkle import leaf_hasher
from notary.core.metadata import (
    SALT_FIELD,
    canonical_json,
    check_metadata_size,
    new_salt,
    validate_metadata_fields,
)
from notary.core.types import Address, Digest, Leaf, to_checksum_address
from notary.pipeline.issuers import FAILED, RegistrationFailed
from notary.pipeline.submissions import SignedSubmission, SubmissionSignature
from notary.store.engine import Store
from notary.store.errors import UnknownIssuer
from notary.store.models import PENDING, Batch, Document, Issuer, Submission, hash_prefix
from notary.store.records import DocumentRecord
from notary.util.memory import gc_paused

MAX_BULK_DOCUMENTS = 10_000
"""Most documents `accept_many` takes in one call (and one transaction)."""
DEDUP_TAG = b"notary-dedup-v1\x00"
"""Domain separation for `dedup_key`; changing it makes old and new submissions distinct."""
SIGNED_DEDUP_TAG = b"notary-dedup-signed-v1\x00"
"""`DEDUP_TAG` of documents the issuer signed: never the same record as a vouched one."""
DEDUP_KEY_BYTES = 16
"""`dedup_key` is SHA-256 cut to 128 bits: two submissions of one issuer collide only after
~2^64 tries of that issuer's own, and a smaller key makes a smaller unique index (bulk
acceptance rewrites its pages on every commit)."""

_DOCS = cast(Table, Document.__table__)
_ISSUERS = cast(Table, Issuer.__table__)
_BATCHES = cast(Table, Batch.__table__)
_SUBMISSIONS = cast(Table, Submission.__table__)
_EXISTING_CHUNK = 1_000  # keys per IN (...) list: far below every backend's parameter limit


class DocumentInput(NamedTuple):
    """One document to notarise: its SHA-256 digest, optional metadata object and, for a
    signing issuer, the signature of the submission it is part of."""

    digest: Digest | str
    metadata: Mapping[str, object] | None = None
    signed: SubmissionSignature | None = None
    """Documents carrying the same object are one submission, leaves in their order."""


class AcceptResult(NamedTuple):
    """The stored record, and whether this call created it (False: it existed already)."""

    record: DocumentRecord
    created: bool
    submission: SignedSubmission | None = None
    """The signed submission a document this call created came in (None: unsigned, or
    not created by this call)."""


class BulkItemError(FormatError):
    """A malformed item in a bulk submission; `index` is its position, `field` names it."""

    def __init__(self, index: int, inner: FormatError) -> None:
        super().__init__(f"documents[{index}].{inner.field}", inner.message)
        self.index = index


class _Prepared(NamedTuple):
    digest: Digest
    metadata_json: str | None
    metadata_digest: Digest
    leaf: Leaf
    dedup_key: bytes


def accept(
    store: Store,
    issuer_address: str,
    digest: Digest | str,
    metadata: Mapping[str, object] | None = None,
    signed: SubmissionSignature | None = None,
    now: dt.datetime | None = None,
) -> AcceptResult:
    """Notarise one document for an issuer (signed: a submission of its own); committed
    before it returns."""
    issuer = to_checksum_address(issuer_address, "issuer")
    prepared = _preparer(issuer)(digest, metadata, signed is not None)
    submissions = None if signed is None else [signed.verify(issuer, [prepared.leaf])]
    return _store(store, issuer, [prepared], now, submissions)[0]


def accept_many(
    store: Store,
    issuer_address: str,
    documents: Sequence[DocumentInput],
    now: dt.datetime | None = None,
) -> list[AcceptResult]:
    """Notarise up to MAX_BULK_DOCUMENTS documents in one transaction: all or nothing."""
    if len(documents) > MAX_BULK_DOCUMENTS:
        raise FormatError(
            "documents",
            f"{len(documents)} documents in one call, limit "
            f"{MAX_BULK_DOCUMENTS}: split the submission",
        )
    issuer = to_checksum_address(issuer_address, "issuer")
    with gc_paused():
        prepared = _prepare_all(issuer, documents)
        if not prepared:
            return []
        return _store(
            store, issuer, prepared, now, _signed_submissions(issuer, documents, prepared)
        )


def _prepare_all(issuer: Address, documents: Sequence[DocumentInput]) -> list[_Prepared]:
    """Prepare every document, naming the first bad one by its index."""
    prepare = _preparer(issuer)
    prepared = []
    for index, item in enumerate(documents):
        try:
            digest, metadata, *signed = item
            prepared.append(prepare(digest, metadata, bool(signed) and signed[0] is not None))
        except BulkItemError:
            raise
        except FormatError as exc:
            raise BulkItemError(index, exc) from None
        except (TypeError, ValueError):
            raise BulkItemError(
                index, FormatError("", "expected a (digest, metadata) pair")
            ) from None
    return prepared


def _signed_submissions(
    issuer: Address, documents: Sequence[DocumentInput], prepared: Sequence[_Prepared]
) -> list[SignedSubmission | None] | None:
    """Each document's checked submission (None: unsigned); None when none is signed.

    Documents sharing a SubmissionSignature object are one submission, leaves in order.
    """
    signatures = [item[2] if len(item) > 2 else None for item in documents]
    first = signatures[0]
    if first is not None and all(signed is first for signed in signatures):  # one bulk
        checked = first.verify(issuer, [p.leaf for p in prepared])
        return [checked] * len(documents)
    groups: dict[int, tuple[SubmissionSignature, list[int]]] = {}
    for index, signed in enumerate(signatures):
        if signed is not None:
            groups.setdefault(id(signed), (signed, []))[1].append(index)
    if not groups:
        return None
    out: list[SignedSubmission | None] = [None] * len(documents)
    for signed, indices in groups.values():
        checked = signed.verify(issuer, [prepared[i].leaf for i in indices])
        for i in indices:
            out[i] = checked
    return out


def dedup_key(issuer: str, digest: Digest, unsalted_canonical: bytes | None) -> bytes:
    """The key identifying a submission whatever salt it gets (None: no metadata)."""
    return _dedup_prefix(issuer).copy_with(digest, unsalted_canonical)


class _DedupPrefix:
    """`dedup_key` for one issuer, with the tag and address hashed once."""

    __slots__ = ("_hasher",)

    def __init__(self, prefix: bytes) -> None:
        self._hasher = hashlib.sha256(prefix)

    def copy_with(self, digest: Digest, unsalted_canonical: bytes | None) -> bytes:
        hasher = self._hasher.copy()
        hasher.update(digest.raw)
        hasher.update(b"\x00" if unsalted_canonical is None else b"\x01" + unsalted_canonical)
        return hasher.digest()[:DEDUP_KEY_BYTES]


def _dedup_prefix(issuer: str) -> _DedupPrefix:
    return _DedupPrefix(DEDUP_TAG + bytes.fromhex(issuer[2:]))


def _preparer(
    issuer: Address,
) -> Callable[[Digest | str, Mapping[str, object] | None, bool], _Prepared]:
    """A function preparing one document of `issuer`; encodings of the issuer made once."""
    leaf_of = leaf_hasher(issuer)
    vouched = _dedup_prefix(issuer)
    signed_dedup = _DedupPrefix(SIGNED_DEDUP_TAG + bytes.fromhex(issuer[2:]))

    def prepare(
        digest: Digest | str, metadata: Mapping[str, object] | None, signed: bool = False
    ) -> _Prepared:
        """Validate one document and compute everything stored for it (no I/O)."""
        parsed = digest if isinstance(digest, Digest) else Digest.parse(digest, "digest")
        dedup = signed_dedup if signed else vouched
        if metadata is None:
            leaf = leaf_of(parsed, ZERO_DIGEST)
            return _Prepared(parsed, None, ZERO_DIGEST, leaf, dedup.copy_with(parsed, None))
        clean = validate_metadata_fields(metadata, "metadata")
        if signed:
            salt = _issuer_salt(clean)
        elif SALT_FIELD in clean:
            check_metadata_size(canonical_json(clean))  # as validate_metadata: size first
            raise FormatError("metadata.salt", "the service chooses the salt; leave it out")
        else:
            salt = new_salt()
            clean[SALT_FIELD] = salt
        canonical = canonical_json(clean)
        mdigest = Digest(hashlib.sha256(canonical).digest())
        unsalted = _without_salt(canonical, salt) or canonical_json(dict(metadata))
        check_metadata_size(unsalted)
        leaf = leaf_of(parsed, mdigest)
        return _Prepared(
            parsed, canonical.decode("utf-8"), mdigest, leaf, dedup.copy_with(parsed, unsalted)
        )

    return prepare


def _issuer_salt(metadata: Mapping[str, object]) -> str:
    """The salt a signed document's metadata carries (its form checked already)."""
    salt = metadata.get(SALT_FIELD)
    if not isinstance(salt, str):
        check_metadata_size(canonical_json(metadata))  # as validate_metadata: size first
        raise FormatError(
            "metadata.salt",
            "signed metadata carries its own salt: 32 lower-case hex digits of fresh "
            "randomness, hashed with it (the service cannot add one to what was signed)",
        )
    return salt


def _without_salt(canonical: bytes, salt: str) -> bytes | None:
    """The canonical form of the same object without its salt member, or None if unsure.

    RFC 8785 serialises each member independently and in key order, so deleting the
    member's bytes and one comma yields exactly the canonical form of the unsalted
    object; it saves a second canonicalisation per document.
    The fresh random salt makes the member's byte string occur once in practice.
    """
    member = b'"salt":"' + salt.encode("ascii") + b'"'
    if canonical.count(member) != 1:
        return None
    if b"," + member in canonical:
        return canonical.replace(b"," + member, b"")
    if member + b"," in canonical:
        return canonical.replace(member + b",", b"")
    return canonical.replace(member, b"")


def accept_in(
    conn: Connection,
    issuer_address: str,
    documents: Sequence[DocumentInput],
    now: dt.datetime | None = None,
) -> list[AcceptResult]:
    """`accept_many` inside the caller's write transaction (e.g. with what the documents
    record, such as a sealed monitoring interval), committed or rolled back with it."""
    issuer = to_checksum_address(issuer_address, "issuer")
    with gc_paused():
        prepared = _prepare_all(issuer, documents)
        if not prepared:
            return []
        submissions = _signed_submissions(issuer, documents, prepared)
        return _store_in(conn, issuer, prepared, now, submissions)


def _store(
    store: Store,
    issuer: Address,
    prepared: Sequence[_Prepared],
    now: dt.datetime | None,
    submissions: Sequence[SignedSubmission | None] | None = None,
) -> list[AcceptResult]:
    """Insert what is new, look up what existed, in one write transaction."""
    with store.write() as conn:
        return _store_in(conn, issuer, prepared, now, submissions)


def _store_in(
    conn: Connection,
    issuer: Address,
    prepared: Sequence[_Prepared],
    now: dt.datetime | None,
    submissions: Sequence[SignedSubmission | None] | None = None,
) -> list[AcceptResult]:
    """`_store` in the caller's transaction; `submissions[i]`: document i's (or None)."""
    created_at = now or dt.datetime.now(dt.UTC)
    first: dict[bytes, int] = {}  # dedup key -> the index of its first occurrence
    for i, p in enumerate(prepared):
        first.setdefault(p.dedup_key, i)
    _check_issuer(conn, issuer)
    new = [prepared[i] for i in first.values()]
    ids = None
    if submissions is not None:
        stored = _store_submissions(conn, issuer, submissions, created_at)
        ids = [stored.get(id(submissions[i])) for i in first.values()]
    inserted = _insert(conn, issuer, new, created_at, ids)
    signed = submissions or [None] * len(prepared)
    if len(inserted) == len(prepared):  # the usual bulk: all new, no repeats
        return [_created(p, issuer, created_at, signed[i]) for i, p in enumerate(prepared)]
    existing = _existing(conn, [p for k, p in zip(first, new, strict=True) if k not in inserted])
    results = {
        key: _created(prepared[i], issuer, created_at, signed[i])
        if key in inserted
        else AcceptResult(existing[key], False)
        for key, i in first.items()
    }
    # A repeat inside the same bulk reports the first occurrence's record, not created.
    return [
        results[p.dedup_key]
        if i == first[p.dedup_key]
        else AcceptResult(results[p.dedup_key].record, False)
        for i, p in enumerate(prepared)
    ]


_INSERT_SUBMISSION = {
    # Conflict: the same leaves were submitted (and signed) before; that record stands.
    "sqlite": "INSERT INTO submissions (issuer_address, leaves_root, signer, signature,"
    " leaf_count, nodes, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
    " ON CONFLICT (leaves_root) DO NOTHING",
    "postgresql": "INSERT INTO submissions (issuer_address, leaves_root, signer, signature,"
    " leaf_count, nodes, created_at) VALUES (%s, %s, %s, %s, %s, %s, %s)"
    " ON CONFLICT (leaves_root) DO NOTHING",
}
_SUBMISSION_IDS = select(_SUBMISSIONS.c.leaves_root, _SUBMISSIONS.c.id).where(
    _SUBMISSIONS.c.leaves_root.in_(bindparam("roots", expanding=True))
)


def _store_submissions(
    conn: Connection,
    issuer: Address,
    submissions: Sequence[SignedSubmission | None],
    created_at: dt.datetime,
) -> dict[int, int]:
    """Store each distinct submission once; its row id by `id()` of the object."""
    distinct = {id(s): s for s in submissions if s is not None}
    stamp = _SUBMISSIONS.c.created_at.type.dialect_impl(conn.dialect).bind_processor(conn.dialect)
    stored_at = stamp(created_at) if stamp else created_at
    rows = []
    for s in distinct.values():
        if s.issuer != issuer:  # SubmissionSignature.verify refuses it first
            raise FormatError("issuer", "one submission holds one issuer's documents")
        rows.append(
            (issuer, s.leaves_root.raw, s.signer, s.signature, s.leaf_count, s.nodes, stored_at)
        )
    conn.exec_driver_sql(_INSERT_SUBMISSION[conn.dialect.name], rows)
    roots = [s.leaves_root.raw for s in distinct.values()]
    by_root = {
        bytes(root): row_id for root, row_id in conn.execute(_SUBMISSION_IDS, {"roots": roots})
    }
    return {key: by_root[s.leaves_root.raw] for key, s in distinct.items()}


def _created(
    p: _Prepared, issuer: Address, created_at: dt.datetime, submission: SignedSubmission | None
) -> AcceptResult:
    """The result for a document this call stored: pending, in no batch yet."""
    record = DocumentRecord(
        p.leaf,
        p.digest,
        issuer,
        p.metadata_json,
        p.metadata_digest,
        PENDING,
        None,
        None,
        created_at,
    )
    return AcceptResult(record, True, submission)


def _insert(
    conn: Connection,
    issuer: str,
    new: Sequence[_Prepared],
    created_at: dt.datetime,
    submission_ids: Sequence[int | None] | None = None,
) -> set[bytes]:
    """Insert the documents whose dedup_key is not stored yet; returns the inserted keys."""
    # The dialect-level processor (SQLite: the text SQLAlchemy itself stores), applied once
    # per call; the generic type's processor left sqlite3 to format every row itself.
    stamp = _DOCS.c.created_at.type.dialect_impl(conn.dialect).bind_processor(conn.dialect)
    stored_at = stamp(created_at) if stamp else created_at
    ids = submission_ids or [None] * len(new)
    rows = [
        (
            p.leaf.raw,
            hash_prefix(p.leaf.raw),
            p.digest.raw,
            hash_prefix(p.digest.raw),
            issuer,
            p.metadata_json,
            p.metadata_digest.raw,
            p.dedup_key,
            PENDING,
            stored_at,
            submission_id,
        )
        for p, submission_id in zip(new, ids, strict=True)
    ]
    # Plain DBAPI calls: SQLAlchemy's per-row bind processing and RETURNING batches cost
    # more than the insert itself.
    if conn.dialect.name == "sqlite":
        return _insert_sqlite(conn, rows, new)
    return _insert_postgresql(conn, rows)


def _insert_sqlite(
    conn: Connection, rows: Sequence[tuple[object, ...]], new: Sequence[_Prepared]
) -> set[bytes]:
    """`_insert` on SQLite: the executemany without a savepoint around it.

    A savepoint makes SQLite copy each page it changes to a sub-journal, a cost a bulk
    insert does not need. This transaction is the only writer (BEGIN IMMEDIATE) and SQLite
    numbers new rows on from the largest id, so the rows above the largest id before
    the insert are exactly the ones it made.
    """
    last = conn.exec_driver_sql("SELECT max(id) FROM documents").scalar() or 0
    if conn.exec_driver_sql(_INSERT_SQLITE, rows).rowcount == len(rows):
        return {p.dedup_key for p in new}
    made = conn.exec_driver_sql("SELECT dedup_key FROM documents WHERE id > ?", (last,))
    return set(made.scalars())


_CONFLICT = ("digest_prefix", "dedup_key")  # the unique uq_documents_digest_prefix_dedup_key
_COLUMNS = (
    "leaf",
    "leaf_prefix",
    "digest",
    "digest_prefix",
    "issuer_address",
    "metadata_json",
    "metadata_digest",
    "dedup_key",
    "status",
    "created_at",
    "submission_id",
)
_NAMES = ", ".join(_COLUMNS)
_INSERT_SQLITE = (
    f"INSERT INTO documents ({_NAMES}) VALUES ({', '.join('?' * len(_COLUMNS))}) "
    f"ON CONFLICT ({', '.join(_CONFLICT)}) DO NOTHING"
)
# Per connection, emptied at each commit: no catalog change per bulk.
# Named for its columns: a session kept by a pooler across a deployment may still hold
# an older staging table.
_STAGING = (
    "CREATE TEMP TABLE IF NOT EXISTS document_intake_2 (leaf bytea, leaf_prefix bigint,"
    " digest bytea, digest_prefix bigint, issuer_address varchar(42), metadata_json text,"
    " metadata_digest bytea, dedup_key bytea, status varchar(8), created_at timestamptz,"
    " submission_id bigint) ON COMMIT DELETE ROWS"
)
_COPY_STAGED = f"COPY document_intake_2 ({_NAMES}) FROM STDIN"
_INSERT_STAGED = (
    f"INSERT INTO documents ({_NAMES}) SELECT {_NAMES} FROM document_intake_2 "
    f"ON CONFLICT ({', '.join(_CONFLICT)}) DO NOTHING RETURNING dedup_key"
)


def _insert_postgresql(conn: Connection, rows: Sequence[tuple[object, ...]]) -> set[bytes]:
    """`_insert` on PostgreSQL: COPY into a staging table, then one INSERT … SELECT.

    COPY streams every row in one command where executemany sent an INSERT per row:
    10,000 documents go in less than half the time (measured). RETURNING names exactly the rows that
    were new, so no savepoint and no second pass are needed when some existed.
    """
    driver = cast(psycopg.Connection[Any], conn.connection.driver_connection)
    with driver.cursor() as cursor:
        cursor.execute(_STAGING)
        with cursor.copy(_COPY_STAGED) as copy:
            for row in rows:
                copy.write_row(row)
        cursor.execute(_INSERT_STAGED)
        return {bytes(key) for (key,) in cursor.fetchall()}


def _check_issuer(conn: Connection, issuer: str) -> None:
    t = _ISSUERS
    row = conn.execute(
        select(t.c.active, t.c.onchain_state, t.c.onchain_error).where(t.c.address == issuer)
    ).first()
    if row is None:
        raise UnknownIssuer(issuer)
    if not row.active:
        raise UnknownIssuer(issuer, deactivated=True)
    if row.onchain_state == FAILED:  # its documents would be anchored under no registration
        raise RegistrationFailed(issuer, row.onchain_error)


_EXISTING = (
    select(
        _DOCS,
        _BATCHES.c.state.label("batch_state"),
        _BATCHES.c.anchored_at.label("batch_anchored_at"),
    )
    .select_from(_DOCS.outerjoin(_BATCHES, _BATCHES.c.id == _DOCS.c.batch_id))
    # Both lists, so that the (digest_prefix, dedup_key) index is used; a dedup key
    # commits to its digest, so no other row can match.
    .where(
        _DOCS.c.digest_prefix.in_(bindparam("digest_prefixes", expanding=True)),
        _DOCS.c.dedup_key.in_(bindparam("keys", expanding=True)),
    )
)


def _existing(conn: Connection, wanted: Sequence[_Prepared]) -> dict[bytes, DocumentRecord]:
    """The stored records of these documents, by dedup key."""
    found: dict[bytes, DocumentRecord] = {}
    for start in range(0, len(wanted), _EXISTING_CHUNK):
        chunk = wanted[start : start + _EXISTING_CHUNK]
        values = {
            "digest_prefixes": [hash_prefix(p.digest.raw) for p in chunk],
            "keys": [p.dedup_key for p in chunk],
        }
        for row in conn.execute(_EXISTING, values).mappings():
            found[row["dedup_key"]] = DocumentRecord.from_row(row)
    return found
