"""The interval sealer: every closed interval of every station becomes one document.

An interval [start, end) is due once `end + grace` has passed. Its readings (those not
sealed yet with a time before `end`, so late ones too, marked late) form the interval
tree; its root and counts are accepted as an ordinary pending document of the station's
issuer (`notary.pipeline.accept.accept_in`), which the batcher then seals and anchors
like any other. Everything one seal writes (the document, the interval row, each
reading's interval, the station's new `sealed_until`) is ONE transaction, and
(station, start) is unique: a crash loses nothing and nothing is sealed twice.

An issuer that signs its documents (it has a signing key on the registry) must sign its
stations' intervals too, and the service cannot sign for it: such an interval is sealed
the same way, but instead of a document it keeps its salted metadata and waits ("awaiting
signature", `notary.streams.awaiting`) until the issuer signs its leaf; it is never
accepted unsigned. Who signs is asked through `signing` (the worker passes the chain's
answer, `notary.streams.signing`); a station whose issuer's answer is unknown (the chain
did not answer) is not sealed this time. An interval accepted vouched for just before its
issuer added its first key, and not in a batch yet, is taken back to await the signature
(anchored after that key, it would be NOT genuine).

Fair to other issuers: a station that owes many intervals (back-filled, or after the
worker stood still) must not put them all in front of everyone else's documents. Each
call seals every due station's oldest due interval, and the rest ("catching up") only
while fewer than `catch_up` documents wait for a batch, shared out in turn among the
stations behind. The anchoring worker passes half a batch (NOTARY_BATCH_MAX / 2), so a
document accepted meanwhile, from anyone, goes into the next batch.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import (
    Connection,
    Table,
    bindparam,
    delete,
    exists,
    func,
    insert,
    select,
    text,
    update,
)

from notary.core.merkle import leaf_hasher
from notary.core.metadata import SALT_FIELD, canonical_json, new_salt
from notary.core.streams import (
    Reading,
    canonical_order,
    format_time,
    interval_metadata,
    interval_root,
)
from notary.core.types import Digest, Leaf
from notary.pipeline.accept import DocumentInput, accept_in
from notary.pipeline.batcher import DEFAULT_BATCH_MAX
from notary.pipeline.issuers import FAILED
from notary.store.engine import Store
from notary.store.models import (
    BY_LEAF,
    Document,
    Issuer,
    Revocation,
    Station,
    StreamInterval,
    leaf_params,
)
from notary.store.models import Reading as ReadingRow
from notary.util.memory import gc_paused

log = logging.getLogger("notary.streams")

MAX_INTERVALS_PER_TRANSACTION = 1_000
"""A worker catching up after a long stop seals in chunks of this many intervals."""
CATCH_UP_WAITING = DEFAULT_BATCH_MAX // 2
"""Intervals beyond each station's oldest due one are sealed only while fewer documents
than this wait for a batch (the worker passes half of NOTARY_BATCH_MAX)."""

_STATIONS = cast(Table, Station.__table__)
_ISSUERS = cast(Table, Issuer.__table__)
_INTERVALS = cast(Table, StreamInterval.__table__)
_READINGS = cast(Table, ReadingRow.__table__)
_DOCS = cast(Table, Document.__table__)
_REVOKED = cast(Table, Revocation.__table__)
SigningIssuers = Callable[[str], bool | None]
"""Whether an issuer signs its documents now (None: cannot be told now)."""
_DUE = (
    select(_STATIONS.c.id, _STATIONS.c.issuer_address)
    .select_from(_STATIONS.join(_ISSUERS, _ISSUERS.c.address == _STATIONS.c.issuer_address))
    .where(
        _ISSUERS.c.active.is_(True),
        _ISSUERS.c.onchain_state != FAILED,  # its intervals wait until it is registered
        _STATIONS.c.sealed_until + _STATIONS.c.interval_s + _STATIONS.c.grace_s <= bindparam("now"),
        _STATIONS.c.backfill_until <= bindparam("now"),  # its history may still come
    )
    .order_by(_STATIONS.c.id)
)
_WAITING = select(func.count()).select_from(
    select(_DOCS.c.id)
    .where(_DOCS.c.batch_id.is_(None), _DOCS.c.tree_index.is_(None))
    .limit(bindparam("cap"))
    .subquery()
)
"""Documents waiting for a batch, counted up to `cap` (an index walk of at most that)."""
_R = _READINGS.c
_CLAIM = select(_R.time_s, _R.parameter, _R.value, _R.unit, _R.quality).where(
    _R.interval_id.is_(None), _R.station_id == bindparam("station"), _R.time_s < bindparam("end")
)


@dataclass(frozen=True)
class SealedInterval:
    """One interval sealed: where, what root, how many readings, which document."""

    station: str
    start: int
    end: int
    count: int
    late_count: int
    root: Digest
    leaf: Leaf
    awaiting_signature: bool = False
    """The issuer signs: no document yet, the interval waits for its signature."""


@dataclass(frozen=True)
class _Due:
    station_id: int
    code: str
    issuer: str
    start: int
    end: int


def seal_due_intervals(
    store: Store,
    now: dt.datetime | None = None,
    catch_up: int = CATCH_UP_WAITING,
    signing: SigningIssuers | None = None,
) -> list[SealedInterval]:
    """Seal what is due now: each due station's oldest interval, and catching up while
    fewer than `catch_up` documents wait for a batch; in transactions of up to 1,000.

    `signing` tells which issuers sign (their intervals then await their signature);
    None asks nobody and accepts every interval vouched for (a store without a chain)."""
    at = now or dt.datetime.now(dt.UTC)
    now_s = int(at.timestamp())
    with store.read() as conn:
        rows = conn.execute(_DUE, {"now": now_s}).all()
        room = catch_up - conn.execute(_WAITING, {"cap": catch_up}).scalar_one() if rows else 0
        unsigned = [] if signing is None else conn.execute(_UNSIGNED_WAITING).all()
    signs = _who_signs({issuer for _, issuer in rows} | {u[0] for u in unsigned}, signing)
    reopen = [u[1:] for u in unsigned if signs.get(u[0])]
    if reopen:
        with store.write() as conn:
            _reopen(conn, reopen)
    due = [sid for sid, issuer in rows if issuer in signs]
    sealed: list[SealedInterval] = []
    while due:
        with gc_paused(), store.write() as conn:
            chunk, due, room = _plan(conn, due, now_s, store.is_sqlite, room)
            sealed.extend(_seal(conn, chunk, at, signs))
    return sealed


_UNSIGNED_WAITING = (
    select(_STATIONS.c.issuer_address, _INTERVALS.c.id, _DOCS.c.id, _DOCS.c.metadata_json)
    .select_from(
        _DOCS.join(_INTERVALS, _INTERVALS.c.document_id == _DOCS.c.id).join(
            _STATIONS, _STATIONS.c.id == _INTERVALS.c.station_id
        )
    )
    .where(
        _DOCS.c.batch_id.is_(None),
        _DOCS.c.tree_index.is_(None),
        _DOCS.c.submission_id.is_(None),
    )
)
"""Interval documents accepted vouched for and not in a batch yet, with their issuer (one
index probe per waiting document; `_reopen` leaves a revoked one as it is)."""


def _reopen(conn: Connection, intervals: Sequence[tuple[int, int, str]]) -> None:
    """Take back the unsigned documents of intervals whose issuer signs now (it added its
    first key since they were sealed): anchored after that key, they would be NOT genuine.
    Each interval awaits the issuer's signature again, with the metadata (and salt) its
    document had; a document that went into a batch or has a revocation meanwhile stays."""
    for interval_id, document_id, metadata_json in intervals:
        taken = conn.execute(
            update(_INTERVALS)
            .where(_INTERVALS.c.id == interval_id, _INTERVALS.c.document_id == document_id)
            .values(document_id=None, awaiting_metadata=metadata_json)
        ).rowcount
        if taken != 1:  # the interval changed meanwhile: leave it and its document be
            continue
        gone = conn.execute(
            delete(_DOCS).where(
                _DOCS.c.id == document_id,
                _DOCS.c.batch_id.is_(None),
                _DOCS.c.tree_index.is_(None),
                ~exists().where(_REVOKED.c.document_id == document_id),
            )
        ).rowcount
        if gone != 1:  # batched or revoked meanwhile: it stays as it is
            conn.execute(
                update(_INTERVALS)
                .where(_INTERVALS.c.id == interval_id)
                .values(document_id=document_id, awaiting_metadata=None)
            )
        else:
            log.warning(
                "interval %s was accepted before its issuer signed: it awaits the issuer's "
                "signature again",
                interval_id,
            )


def _who_signs(issuers: set[str], signing: SigningIssuers | None) -> dict[str, bool]:
    """Each issuer whose stations may be sealed now, and whether it signs."""
    if signing is None:
        return dict.fromkeys(issuers, False)
    known = {}
    for issuer in sorted(issuers):
        answer = signing(issuer)
        if answer is None:  # `signing` says why, once
            log.debug("not sealing issuer %s's station intervals now", issuer)
            continue
        known[issuer] = answer
    return known


def _plan(
    conn: Connection, station_ids: list[int], now_s: int, sqlite: bool, room: int
) -> tuple[list[_Due], list[int], int]:
    """The due intervals to seal in this transaction, the stations left for the next, and
    the room left for catching up.

    Read under the write lock (SQLite) or with the station rows locked (PostgreSQL), so
    `sealed_until` is what this transaction will move on from.
    """
    query = (
        select(
            _STATIONS.c.id,
            _STATIONS.c.code,
            _STATIONS.c.issuer_address,
            _STATIONS.c.interval_s,
            _STATIONS.c.grace_s,
            _STATIONS.c.sealed_until,
        )
        .where(_STATIONS.c.id.in_(station_ids))
        .order_by(_STATIONS.c.id)
    )
    if not sqlite:
        query = query.with_for_update()
    rows = conn.execute(query).all()
    served = rows[:MAX_INTERVALS_PER_TRANSACTION]
    left = [row[0] for row in rows[MAX_INTERVALS_PER_TRANSACTION:]]
    owed = {
        sid: (now_s - grace - sealed_until) // length
        for sid, _, _, length, grace, sealed_until in served
    }
    taken = _in_turn(owed, room)
    room -= sum(taken.values())
    plan = [
        _Due(sid, code, issuer, sealed_until + k * length, sealed_until + (k + 1) * length)
        for sid, code, issuer, length, _, sealed_until in served
        for k in range(taken.get(sid, 0))
    ]
    return plan, left, room


def _in_turn(owed: dict[int, int], room: int) -> dict[int, int]:
    """How many intervals each station seals: its oldest due one whatever the room, then
    one more each in turn while there is room (and at most a transaction's worth)."""
    taken = {sid: 1 for sid, count in owed.items() if count > 0}
    spare = min(room - len(taken), MAX_INTERVALS_PER_TRANSACTION - len(taken))
    behind = [sid for sid in taken if owed[sid] > 1]
    while spare > 0 and behind:
        for sid in behind[:spare]:
            taken[sid] += 1
        spare -= min(spare, len(behind))
        behind = [sid for sid in behind if owed[sid] > taken[sid]]
    return taken


def _seal(
    conn: Connection, plan: Sequence[_Due], at: dt.datetime, signs: dict[str, bool]
) -> list[SealedInterval]:
    """Seal the planned intervals (in order per station) in the caller's transaction: a
    document each, or, for an issuer that signs, the salted metadata awaiting its signature."""
    built = []
    for group in _by_station(plan):
        # One claim per station, shared out as sealing the intervals one by one would:
        # the first takes everything before its end (late readings too), each next one
        # what lies in its own span. One query instead of one per interval of a catch-up.
        rows = conn.execute(_CLAIM, {"station": group[0].station_id, "end": group[-1].end}).all()
        first, length = group[0].start, group[0].end - group[0].start
        shares: list[list[Any]] = [[] for _ in group]
        for row in rows:
            shares[max(0, (row[0] - first) // length)].append(row)
        for due, share in zip(group, shares, strict=True):
            readings = canonical_order(Reading(t, p, v, u, q) for t, p, v, u, q in share)
            late = sum(1 for r in readings if r.time < due.start)
            root = interval_root(due.code, due.start, readings)
            metadata = interval_metadata(due.code, due.start, due.end, len(readings), late)
            keys = [(r.parameter, r.time) for r in readings]
            built.append((due, keys, len(readings), late, root, metadata))
    by_issuer: dict[str, list[int]] = defaultdict(list)
    for k, (due, *_) in enumerate(built):
        by_issuer[due.issuer].append(k)
    leaves: dict[int, Leaf] = {}
    awaiting: dict[int, str] = {}  # k -> the salted metadata awaiting the issuer's signature
    for issuer, ks in by_issuer.items():
        if signs.get(issuer):
            leaf_of = leaf_hasher(issuer)
            for k in ks:
                canonical = canonical_json({**built[k][5], SALT_FIELD: new_salt()})
                awaiting[k] = canonical.decode("utf-8")
                leaves[k] = leaf_of(built[k][4], Digest(hashlib.sha256(canonical).digest()))
            continue
        results = accept_in(
            conn, issuer, [DocumentInput(built[k][4], built[k][5]) for k in ks], now=at
        )
        for k, result in zip(ks, results, strict=True):
            leaves[k] = result.record.leaf
    sealed = []
    last_end: dict[int, int] = {}
    for k, (due, keys, count, late, root, _) in enumerate(built):
        document_id = (
            None
            if k in awaiting
            else conn.execute(
                select(_DOCS.c.id).where(BY_LEAF), leaf_params(leaves[k].raw)
            ).scalar_one()
        )
        interval_id = conn.execute(
            insert(_INTERVALS)
            .values(
                station_id=due.station_id,
                start_s=due.start,
                end_s=due.end,
                reading_count=count,
                late_count=late,
                root=root.raw,
                document_id=document_id,
                awaiting_metadata=awaiting.get(k),
                sealed_at=at,
            )
            .returning(_INTERVALS.c.id)
        ).scalar_one()
        if keys:
            _place(conn, interval_id, due.station_id, keys)
        last_end[due.station_id] = due.end
        sealed.append(
            SealedInterval(
                due.code, due.start, due.end, count, late, root, leaves[k], k in awaiting
            )
        )
    for sid, end in last_end.items():
        conn.execute(update(_STATIONS).where(_STATIONS.c.id == sid).values(sealed_until=end))
    if sealed:
        log.info(
            "sealed %s intervals of %s stations (last ends %s)",
            len(sealed),
            len(last_end),
            format_time(max(s.end for s in sealed)),
        )
    return sealed


def _by_station(plan: Sequence[_Due]) -> list[list[_Due]]:
    """The plan's intervals grouped by station, each group in order (as planned)."""
    groups: dict[int, list[_Due]] = {}
    for due in plan:
        groups.setdefault(due.station_id, []).append(due)
    return list(groups.values())


def _place(
    conn: Connection, interval_id: int, station_id: int, keys: Sequence[tuple[str, int]]
) -> None:
    """Mark the claimed readings (by key: exactly the ones hashed) as sealed in the interval."""
    if conn.dialect.name == "postgresql":
        result = conn.execute(
            text(
                "UPDATE readings AS r SET interval_id = :interval_id"
                " FROM unnest(CAST(:parameters AS varchar[]), CAST(:times AS bigint[]))"
                " AS k(parameter, time_s)"
                " WHERE r.station_id = :station_id AND r.parameter = k.parameter"
                " AND r.time_s = k.time_s AND r.interval_id IS NULL"
            ),
            {
                "interval_id": interval_id,
                "station_id": station_id,
                "parameters": [p for p, _ in keys],
                "times": [t for _, t in keys],
            },
        )
    else:
        result = conn.exec_driver_sql(
            "UPDATE readings SET interval_id = ?"
            " WHERE station_id = ? AND parameter = ? AND time_s = ? AND interval_id IS NULL",
            [(interval_id, station_id, p, t) for p, t in keys],
        )
    if result.rowcount != len(keys):  # the transaction rolls back: nothing half-sealed
        raise RuntimeError(f"interval {interval_id}: readings were sealed elsewhere meanwhile")
