"""Intervals awaiting their issuer's signature: what the issuer signs, and taking its signature.

A station's issuer that signs its documents signs its intervals too (the sealer keeps
them "awaiting signature", `notary.streams.sealer`). Each awaiting interval's leaf is
fixed when it is sealed: the OpenZeppelin leaf of (interval root, issuer, SHA-256 of the
RFC 8785 metadata with the salt the service drew). The issuer signs many at once exactly
as it signs a bulk submission (`notary.core.issuer_signing`): one EIP-712
`Submission(issuer, leavesRoot)` over the root of the tree of their leaves, so a day of
one-minute intervals costs one signature on the agency's side, one check here and one on
each verifier's (each receipt carries its path to `leavesRoot`).

The signature is checked and stored by the one signed-acceptance path
(`notary.pipeline.accept.accept_in`, the `submissions` table): the intervals' documents
are accepted in the same transaction that links them to their intervals, all or none.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Connection, Table, bindparam, func, select, update

from notary.core.errors import FormatError
from notary.core.issuer_signing import (
    RegistryDomain,
    SubmissionRoot,
    submission_root,
    submission_tree,
    typed_data,
)
from notary.core.merkle import leaf_hasher
from notary.core.streams import format_time
from notary.core.types import Digest, Leaf, to_checksum_address
from notary.pipeline.accept import DocumentInput, accept_in
from notary.pipeline.submissions import SignedSubmission, SubmissionSignature
from notary.store.errors import StoreError
from notary.store.models import Document, Station, StreamInterval, Submission, hash_prefix
from notary.streams.stations import StationRecord

MAX_SIGNED_INTERVALS = 10_000
"""Most intervals one signature covers (as many as one bulk submission's documents)."""
MAX_LISTED_INTERVALS = 1_000
"""Most awaiting intervals one listing gives (a page; `after` gives the next)."""

_INTERVALS = cast(Table, StreamInterval.__table__)
_DOCS = cast(Table, Document.__table__)
_SUBMISSIONS = cast(Table, Submission.__table__)
_STATIONS = cast(Table, Station.__table__)
_I = _INTERVALS.c


@dataclass(frozen=True)
class AwaitingInterval:
    """A sealed interval whose document awaits the issuer's signature of `leaf`."""

    start: int
    end: int
    count: int
    late_count: int
    root: Digest
    """The interval tree's root: the document's digest."""
    metadata: dict[str, Any]
    """The document's metadata, salt included, exactly as it will be hashed."""
    metadata_digest: Digest
    leaf: Leaf
    sealed_at: dt.datetime


@dataclass(frozen=True)
class IntervalClaim:
    """An interval the issuer says it signed: its start, and the leaf it signed if given."""

    start: int
    leaf: Leaf | None = None


@dataclass(frozen=True)
class SignedIntervals:
    """What a signature did: the intervals it accepted (0: all were accepted before by
    this same submission), and the submission."""

    accepted: int
    leaves_root: SubmissionRoot
    signer: str | None
    """The key that signed."""


class IntervalSignedAlready(StoreError):
    """An interval listed was accepted before in another submission (a 409)."""

    def __init__(self, index: int, start: int, leaves_root: bytes | None) -> None:
        self.field = f"intervals[{index}].start"
        self.start = start
        by = "" if leaves_root is None else f" in submission 0x{leaves_root.hex()}"
        super().__init__(
            f"interval {format_time(start)} was signed already{by}: sign the others without it"
        )


def awaiting_intervals(
    conn: Connection, station: StationRecord, after: int | None = None, limit: int = 100
) -> list[AwaitingInterval]:
    """The station's intervals awaiting its issuer's signature, oldest first, starting
    after `after` (a page of at most `limit`)."""
    query = (
        select(_I.start_s, _I.end_s, _I.reading_count, _I.late_count, _I.root)
        .add_columns(_I.awaiting_metadata, _I.sealed_at)
        .where(_I.station_id == station.id, _I.document_id.is_(None))
        .order_by(_I.start_s)
        .limit(min(max(limit, 1), MAX_LISTED_INTERVALS))
    )
    if after is not None:
        query = query.where(_I.start_s > after)
    leaf_of = leaf_hasher(station.issuer_address)
    out = []
    for start, end, count, late, root, metadata, sealed_at in conn.execute(query):
        digest = Digest(root)
        metadata_digest = Digest(hashlib.sha256(metadata.encode("utf-8")).digest())
        out.append(
            AwaitingInterval(
                start,
                end,
                count,
                late,
                digest,
                json.loads(metadata),
                metadata_digest,
                leaf_of(digest, metadata_digest),
                sealed_at,
            )
        )
    return out


def awaiting_counts(
    conn: Connection, station_ids: Sequence[int] | None = None
) -> dict[int, tuple[int, int]]:
    """Per station with intervals awaiting a signature: how many, and the oldest's start."""
    query = (
        select(_I.station_id, func.count(), func.min(_I.start_s))
        .where(_I.document_id.is_(None))
        .group_by(_I.station_id)
    )
    if station_ids is not None:
        query = query.where(_I.station_id.in_(list(station_ids)))
    return {sid: (int(n), int(oldest)) for sid, n, oldest in conn.execute(query)}


def awaiting_by_station(conn: Connection) -> list[tuple[str, int, int]]:
    """Every station with intervals awaiting a signature: its id, how many, and the end of
    the oldest (Unix seconds)."""
    query = (
        select(_STATIONS.c.code, func.count(), func.min(_I.end_s))
        .select_from(_INTERVALS.join(_STATIONS, _STATIONS.c.id == _I.station_id))
        .where(_I.document_id.is_(None))
        .group_by(_STATIONS.c.code)
        .order_by(_STATIONS.c.code)
    )
    return [(code, int(n), int(end)) for code, n, end in conn.execute(query)]


def submission_typed_data(
    domain: RegistryDomain, issuer: str, leaves_root: SubmissionRoot
) -> dict[str, Any]:
    """The EIP-712 typed data of `Submission(issuer, leavesRoot)` (eth_signTypedData_v4)."""
    return typed_data(
        domain,
        "Submission",
        (("issuer", "address"), ("leavesRoot", "bytes32")),
        {"issuer": issuer, "leavesRoot": leaves_root.hex},
    )


def leaves_root_of(leaves: Sequence[Leaf]) -> SubmissionRoot:
    """The root an issuer signs for these intervals' leaves (one: its leaf)."""
    return submission_root(submission_tree(leaves))


_CLAIMED = (
    select(
        _I.id,
        _I.start_s,
        _I.root,
        _I.awaiting_metadata,
        _DOCS.c.leaf,
        _SUBMISSIONS.c.leaves_root,
    )
    .select_from(
        _INTERVALS.outerjoin(_DOCS, _DOCS.c.id == _I.document_id).outerjoin(
            _SUBMISSIONS, _SUBMISSIONS.c.id == _DOCS.c.submission_id
        )
    )
    .where(
        _I.station_id == bindparam("station"), _I.start_s.in_(bindparam("starts", expanding=True))
    )
)


_LOCK = (
    select(_I.id)
    .where(
        _I.station_id == bindparam("station"), _I.start_s.in_(bindparam("starts", expanding=True))
    )
    .with_for_update()
)


_LINK = (
    update(_INTERVALS)
    .where(_I.id == bindparam("interval"))
    .values(document_id=bindparam("document"), awaiting_metadata=None)
)
_BY_LEAVES = select(_DOCS.c.leaf, _DOCS.c.id).where(
    _DOCS.c.leaf_prefix.in_(bindparam("prefixes", expanding=True)),
    _DOCS.c.leaf.in_(bindparam("leaves", expanding=True)),
)
_LEAVES_A_QUERY = 1_000


def _document_ids(conn: Connection, leaves: Sequence[bytes]) -> dict[bytes, int]:
    """The ids of the documents with these leaves (through the leaf prefix index)."""
    found: dict[bytes, int] = {}
    for k in range(0, len(leaves), _LEAVES_A_QUERY):
        chunk = list(leaves[k : k + _LEAVES_A_QUERY])
        params = {"prefixes": [hash_prefix(leaf) for leaf in chunk], "leaves": chunk}
        found.update((bytes(leaf), row_id) for leaf, row_id in conn.execute(_BY_LEAVES, params))
    return found


def sign_intervals(
    conn: Connection,
    station: StationRecord,
    claims: Sequence[IntervalClaim],
    signed: SubmissionSignature,
    now: dt.datetime | None = None,
) -> SignedIntervals:
    """Accept the claimed awaiting intervals' documents as one submission signed by
    `signed`, in the caller's write transaction.

    FormatError naming `intervals[i].start` or `.leaf` (an interval not sealed, listed
    twice, or whose leaf is not the one given), SignatureRefused (`signature`,
    `leavesRoot`: as any signed submission), IntervalSignedAlready for an interval another
    submission accepted; the same submission sent again accepts nothing (`accepted` 0).
    """
    if not 1 <= len(claims) <= MAX_SIGNED_INTERVALS:
        raise FormatError("intervals", f"expected 1 to {MAX_SIGNED_INTERVALS:,} intervals")
    position: dict[int, int] = {}
    for i, claim in enumerate(claims):
        if position.setdefault(claim.start, i) != i:
            raise FormatError(f"intervals[{i}].start", "listed twice")
    params = {"station": station.id, "starts": list(position)}
    if conn.dialect.name != "sqlite":
        # Lock first, read after: a signature of the same intervals committed while this
        # one waited is then seen whole (its documents too), not half from the old snapshot.
        conn.execute(_LOCK, params).all()
    rows = {row.start_s: row for row in conn.execute(_CLAIMED, params)}
    leaf_of = leaf_hasher(station.issuer_address)
    leaves: list[Leaf] = []
    inputs: list[DocumentInput] = []
    awaiting_ids: list[int] = []  # the interval of each input, in order
    for i, claim in enumerate(claims):
        row = rows.get(claim.start)
        if row is None:
            raise FormatError(
                f"intervals[{i}].start",
                f"station {station.code} has no sealed interval starting at "
                f"{format_time(claim.start)}",
            )
        if row.awaiting_metadata is None:
            leaves.append(Leaf(row.leaf))
        else:
            canonical = row.awaiting_metadata.encode("utf-8")
            metadata_digest = Digest(hashlib.sha256(canonical).digest())
            leaves.append(leaf_of(Digest(row.root), metadata_digest))
            inputs.append(DocumentInput(Digest(row.root), json.loads(canonical), signed))
            awaiting_ids.append(row.id)
        if claim.leaf is not None and claim.leaf != leaves[-1]:
            raise FormatError(
                f"intervals[{i}].leaf",
                f"interval {format_time(claim.start)} has leaf {leaves[-1].hex}, not "
                f"{claim.leaf.hex} (GET …/intervals?state=awaiting-signature lists it)",
            )
    root = leaves_root_of(leaves)
    for i, claim in enumerate(claims):
        row = rows[claim.start]
        if row.awaiting_metadata is None and (
            inputs or row.leaves_root is None or bytes(row.leaves_root) != root.raw
        ):
            raise IntervalSignedAlready(i, claim.start, row.leaves_root)
    if not inputs:  # every interval was accepted in this very submission: sent again
        issuer = to_checksum_address(station.issuer_address, "issuer")
        again = signed.verify(issuer, leaves)  # still refused if it is not a good signature
        return SignedIntervals(0, root, again.signer)
    results = accept_in(conn, station.issuer_address, inputs, now)
    submission: SignedSubmission | None = results[0].submission
    made = [result.record.leaf.raw for result in results]
    ids = _document_ids(conn, made)
    conn.execute(
        _LINK,
        [
            {"interval": interval_id, "document": ids[leaf]}
            for interval_id, leaf in zip(awaiting_ids, made, strict=True)
        ],
    )
    return SignedIntervals(len(inputs), root, None if submission is None else submission.signer)
