"""A station's window read from the store for an export, a page at a time.

`plan_window` decides everything before a byte is sent: which sealed intervals the
window holds, how many readings (the intervals' own counts, no scan), where and why it
ends before the end asked for, and whether one export may hold that many readings.
`stored_export` then reads the planned intervals in pages of at most PAGE_READINGS
readings, each page in its own short read transaction: an export's memory does not grow
with its readings, and no database connection waits on a slow reader. Sealed intervals
never change, so pages read in separate transactions still form one consistent export.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Connection, Table, bindparam, func, select

from notary.core.streams import Reading, Row, canonical_order, interval_start, order_key
from notary.core.types import Leaf
from notary.pipeline.receipts import ReceiptContext, load_in, receipt_of
from notary.store.engine import Store
from notary.store.errors import StoreError
from notary.store.models import Document, StreamInterval
from notary.store.models import Reading as ReadingRow
from notary.streams.export import MAX_EXPORT_INTERVALS, EndsEarly, station_json
from notary.streams.stations import StationRecord, get_station

MAX_EXPORT_READINGS = 1_000_000
"""Most readings one export holds (a window of a single interval excepted): a month of a
station sending 20 parameters every minute is 864,000. Over it, narrow the window."""
PAGE_READINGS = 5_000
"""Most readings held at once while an export is written: one page."""
PAGE_INTERVALS = 500
"""Most intervals (with their receipts) read in one page."""
_INTERVALS = cast(Table, StreamInterval.__table__)
_READINGS = cast(Table, ReadingRow.__table__)
_DOCS = cast(Table, Document.__table__)
_BEFORE_ANY_TIME = -(2**62)


class ExportTooLarge(StoreError, ValueError):
    """The window holds more readings than one export may."""

    def __init__(self, readings: int, limit: int, fits_until: int) -> None:
        super().__init__(f"the window holds {readings:,} readings, more than {limit:,}")
        self.readings = readings
        self.limit = limit
        self.fits_until = fits_until
        """The end of the longest start of the window that fits (at least one interval)."""


@dataclass(frozen=True)
class PlannedInterval:
    """A sealed interval of the window: its row, bounds, document leaf and reading count."""

    id: int
    start: int
    end: int
    leaf: bytes
    count: int


@dataclass(frozen=True)
class WindowPlan:
    """What an export of [start, end) will hold, decided before it is written."""

    station: StationRecord
    start: int
    end: int
    ends_early: EndsEarly | None
    intervals: tuple[PlannedInterval, ...]

    @property
    def readings(self) -> int:
        """Readings the export will hold."""
        return sum(i.count for i in self.intervals)


def plan_window(store: Store, code: str, start: int, end: int) -> WindowPlan:
    """The sealed intervals of [start, end), widened to whole intervals and cut to what is
    sealed (an interval awaiting its issuer's signature counts as not sealed yet) and to
    MAX_EXPORT_INTERVALS (the plan says where and why); ExportTooLarge over
    MAX_EXPORT_READINGS readings, UnknownStation for an unknown station."""
    with store.read() as conn:
        station = get_station(conn, code)
        length = station.interval_s
        first = max(interval_start(start, length), station.since)
        widened = -(-end // length) * length
        capped = first + MAX_EXPORT_INTERVALS * length
        last = max(first, min(widened, station.sealed_until, capped))
        # An interval awaiting its issuer's signature has no document (and no receipt) yet:
        # the export ends before it, as before an interval not sealed yet.
        awaiting = conn.execute(
            select(func.min(_INTERVALS.c.start_s)).where(
                _INTERVALS.c.station_id == station.id,
                _INTERVALS.c.document_id.is_(None),
                _INTERVALS.c.start_s >= first,
            )
        ).scalar()
        if awaiting is not None:
            last = max(first, min(last, awaiting))
        rows = conn.execute(
            select(
                _INTERVALS.c.id,
                _INTERVALS.c.start_s,
                _INTERVALS.c.end_s,
                _DOCS.c.leaf,
                _INTERVALS.c.reading_count,
            )
            .select_from(_INTERVALS.join(_DOCS, _DOCS.c.id == _INTERVALS.c.document_id))
            .where(
                _INTERVALS.c.station_id == station.id,
                _INTERVALS.c.start_s >= first,
                _INTERVALS.c.start_s < last,
            )
            .order_by(_INTERVALS.c.start_s)
        ).all()
    intervals = tuple(PlannedInterval(*row) for row in rows)
    ends_early = None
    if last < end:
        reason = "interval-limit" if last == capped else "not-sealed"
        ends_early = EndsEarly(start, end, reason)
    plan = WindowPlan(station, first, last, ends_early, intervals)
    limit = MAX_EXPORT_READINGS  # read when called, so that a test may lower it
    if plan.readings > limit and len(intervals) > 1:
        raise ExportTooLarge(plan.readings, limit, _fits_until(intervals, limit))
    return plan


def _fits_until(intervals: Sequence[PlannedInterval], limit: int) -> int:
    total = 0
    for k, interval in enumerate(intervals):
        total += interval.count
        if total > limit:
            return intervals[max(k - 1, 0)].end
    return intervals[-1].end


# -- reading it --------------------------------------------------------------------------


@dataclass(frozen=True)
class StoredInterval:
    """An interval of a stored export: its rows are read from the store as they are used."""

    start: int
    end: int
    receipt: Mapping[str, Any]
    rows: Iterable[Row]


@dataclass(frozen=True)
class StoredExport:
    """A planned window, read from the store as it is written (once: `intervals` pages)."""

    store: Store
    plan: WindowPlan
    ctx: ReceiptContext
    station: Mapping[str, Any] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "station", station_json(self.plan.station))

    @property
    def start(self) -> int:
        """The window's first interval's start."""
        return self.plan.start

    @property
    def end(self) -> int:
        """The window's end (exclusive)."""
        return self.plan.end

    @property
    def ends_early(self) -> EndsEarly | None:
        """Why the window ends before the end asked for, if it does."""
        return self.plan.ends_early

    @property
    def intervals(self) -> Iterator[StoredInterval]:
        """Each interval with its receipt and rows, a page at a time."""
        station = self.plan.station.id
        for group in _pages(self.plan.intervals):
            with self.store.read() as conn:
                receipts = [_receipt(conn, i.leaf, self.ctx) for i in group]
                held = _readings_of(conn, [i.id for i in group if i.count <= PAGE_READINGS])
            for interval, receipt in zip(group, receipts, strict=True):
                readings: Iterable[Reading]
                if interval.count <= PAGE_READINGS:
                    readings = canonical_order(held.get(interval.id, ()))
                else:
                    readings = _merged(self.store, station, interval.id)
                yield StoredInterval(
                    interval.start, interval.end, receipt, _rows(readings, interval.start)
                )


def stored_export(store: Store, plan: WindowPlan, ctx: ReceiptContext) -> StoredExport:
    """The planned window as an export its writers read a page at a time."""
    return StoredExport(store, plan, ctx)


def interval_readings(store: Store, station_id: int, interval_id: int) -> Iterator[Reading]:
    """One sealed interval's readings in canonical order, a page at a time."""
    return _merged(store, station_id, interval_id)


def _rows(readings: Iterable[Reading], start: int) -> Iterator[Row]:
    for number, reading in enumerate(readings, start=1):
        yield Row(number, reading, reading.time < start)


def _pages(intervals: Sequence[PlannedInterval]) -> Iterator[list[PlannedInterval]]:
    """Consecutive intervals of at most PAGE_READINGS readings together (PAGE_INTERVALS at
    most); an interval larger than a page alone (its readings then come in pages)."""
    page: list[PlannedInterval] = []
    held = 0
    for interval in intervals:
        if page and (held + interval.count > PAGE_READINGS or len(page) >= PAGE_INTERVALS):
            yield page
            page, held = [], 0
        page.append(interval)
        held += interval.count
    if page:
        yield page


def _receipt(conn: Connection, leaf: bytes, ctx: ReceiptContext) -> dict[str, Any]:
    return receipt_of(load_in(conn, Leaf(leaf)), ctx).to_dict()


_OF_INTERVALS = select(
    _READINGS.c.interval_id,
    _READINGS.c.time_s,
    _READINGS.c.parameter,
    _READINGS.c.value,
    _READINGS.c.unit,
    _READINGS.c.quality,
).where(_READINGS.c.interval_id.in_(bindparam("ids", expanding=True)))


def _readings_of(conn: Connection, interval_ids: Sequence[int]) -> dict[int, list[Reading]]:
    found: dict[int, list[Reading]] = {}
    if interval_ids:
        for iid, t, p, v, u, q in conn.execute(_OF_INTERVALS, {"ids": list(interval_ids)}):
            found.setdefault(iid, []).append(Reading(t, p, v, u, q))
    return found


_PARAMETERS = (
    select(_READINGS.c.parameter).where(_READINGS.c.interval_id == bindparam("interval")).distinct()
)
# One parameter's readings of an interval in time order, after a time: on both backends an
# index holds exactly this order (SQLite's interval index carries the key's parameter and
# time; PostgreSQL walks the key), so a page costs its own rows, not the interval's.
_PARAMETER_PAGE = (
    select(_READINGS.c.time_s, _READINGS.c.value, _READINGS.c.unit, _READINGS.c.quality)
    .where(
        _READINGS.c.interval_id == bindparam("interval"),
        _READINGS.c.station_id == bindparam("station"),
        _READINGS.c.parameter == bindparam("parameter"),
        _READINGS.c.time_s > bindparam("after"),
    )
    .order_by(_READINGS.c.time_s)
    .limit(bindparam("page"))
)


def _merged(store: Store, station_id: int, interval_id: int) -> Iterator[Reading]:
    """The interval's readings in canonical order (time, then parameter): each parameter's
    readings come in time order a page at a time, and are merged."""
    with store.read() as conn:
        parameters = list(conn.scalars(_PARAMETERS, {"interval": interval_id}))
    page = max(PAGE_READINGS // max(len(parameters), 1), 64)
    streams = [
        _parameter_readings(store, station_id, interval_id, parameter, page)
        for parameter in parameters
    ]
    return heapq.merge(*streams, key=order_key)


def _parameter_readings(
    store: Store, station_id: int, interval_id: int, parameter: str, page: int
) -> Iterator[Reading]:
    after = _BEFORE_ANY_TIME
    while True:
        with store.read() as conn:
            rows = conn.execute(
                _PARAMETER_PAGE,
                {
                    "interval": interval_id,
                    "station": station_id,
                    "parameter": parameter,
                    "after": after,
                    "page": page,
                },
            ).all()
        for t, v, u, q in rows:
            yield Reading(t, parameter, v, u, q)
        if len(rows) < page:
            return
        after = rows[-1][0]
