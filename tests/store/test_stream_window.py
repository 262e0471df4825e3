"""An export read from the store a page at a time (notary.streams.window), on SQLite and
PostgreSQL: the same bytes as the whole window written at once, memory that does not grow
with the readings, the readings limit decided before writing, and where and why a window
ends before the end asked for."""

from __future__ import annotations

import datetime as dt
import tracemalloc

import pytest
from sqlalchemy import select

from notary.core.merkle import process_proof
from notary.core.signing import ServiceKey
from notary.core.streams import Reading, Row, canonical_order, interval_root
from notary.pipeline.receipts import ReceiptContext
from notary.store.engine import Store
from notary.store.models import Reading as ReadingRow
from notary.store.models import StreamInterval
from notary.streams import window
from notary.streams.export import (
    ExportInterval,
    StreamExport,
    csv_chunks,
    json_chunks,
    parse_export,
    station_json,
    to_csv,
    to_json,
)
from notary.streams.ingest import ingest, readings_from
from notary.streams.proof import reading_proof
from notary.streams.sealer import seal_due_intervals
from notary.streams.stations import StationRecord, create_station
from notary.streams.window import ExportTooLarge, plan_window, stored_export

from .conftest import ISSUER

T0 = 1_772_323_200  # 2026-03-01T00:00:00Z
LENGTH = 60
PARAMETERS = [("NOx", "mg/Nm³"), ("Nhiệt độ", "°C"), ("SO2", "mg/Nm³"), ("pH", "")]
"""Names whose UTF-8 byte order ("N" < "Nh" < "S" < "p") is what canonical order sorts by."""


def at(seconds: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(seconds, dt.UTC)


@pytest.fixture
def ctx() -> ReceiptContext:
    return ReceiptContext(
        "notary-test", ServiceKey.generate(), "0x" + "11" * 20, lambda: 31337, dt.timedelta(hours=1)
    )


def make_station(store: Store, code: str = "HN-01") -> StationRecord:
    with store.write() as conn:
        return create_station(
            conn,
            ISSUER,
            code,
            "Trạm",
            "stack-emission",
            {"latitude": 21.0, "longitude": 105.8},
            PARAMETERS,
            LENGTH,
            grace_s=0,
            since=T0,
            now=at(T0),
        )


def send(store: Store, station: StationRecord, times: range, now: int) -> None:
    items = [{"time": t, "parameter": p, "value": t % 97 / 4} for t in times for p, _ in PARAMETERS]
    for k in range(0, len(items), 50_000):
        ingest(store, station, readings_from(items[k : k + 50_000], station.parameters), at(now))


def backfilled(store: Store, readings: int, code: str = "HN-01") -> tuple[StationRecord, int]:
    """On-time readings in the first two intervals, then `readings` back-filled at once
    (all late: a second apiece per parameter after those) into the interval open then, as
    a station catching up does; the station and its window's end."""
    station = make_station(store, code)
    send(store, station, range(T0, T0 + 2 * LENGTH, 20), T0 + 10)
    per_parameter = readings // len(PARAMETERS)
    late_from = T0 + 2 * LENGTH
    now = (late_from + per_parameter) // LENGTH * LENGTH + LENGTH
    seal_all(store, now)
    send(store, station, range(late_from, late_from + per_parameter), now + 1)
    seal_all(store, now + LENGTH)
    plan = plan_window(store, station.code, now, now + LENGTH)
    assert [i.count for i in plan.intervals] == [per_parameter * len(PARAMETERS)]
    return station, now + LENGTH


def seal_all(store: Store, now: int) -> None:
    """Seal every interval due at `now` (the sealer shares a step out among stations)."""
    while seal_due_intervals(store, at(now)):
        pass


def whole(
    store: Store, station: StationRecord, start: int, end: int, ctx: ReceiptContext
) -> StreamExport:
    """The window read at once, the simplest way: what the paged export must equal."""
    plan = plan_window(store, station.code, start, end)
    intervals = []
    with store.read() as conn:
        for planned, written in zip(
            plan.intervals, stored_export(store, plan, ctx).intervals, strict=True
        ):
            rows = conn.execute(
                select(
                    ReadingRow.time_s,
                    ReadingRow.parameter,
                    ReadingRow.value,
                    ReadingRow.unit,
                    ReadingRow.quality,
                ).where(ReadingRow.interval_id == planned.id)
            ).all()
            readings = canonical_order(Reading(*row) for row in rows)
            intervals.append(
                ExportInterval(
                    planned.start,
                    planned.end,
                    written.receipt,
                    tuple(Row(n, r, r.time < planned.start) for n, r in enumerate(readings)),
                )
            )
    return StreamExport(
        station_json(station), plan.start, plan.end, tuple(intervals), ends_early=plan.ends_early
    )


@pytest.fixture
def small_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pages of 50 readings and 3 intervals: every path of the paging is taken."""
    monkeypatch.setattr(window, "PAGE_READINGS", 50)
    monkeypatch.setattr(window, "PAGE_INTERVALS", 3)


def test_a_paged_export_is_the_window_written_at_once(
    store: Store, ctx: ReceiptContext, small_pages: None
) -> None:
    station, end = backfilled(store, 400)
    plan = plan_window(store, station.code, T0, end)
    assert plan.readings == 400 + 2 * LENGTH // 20 * len(PARAMETERS)
    assert max(i.count for i in plan.intervals) > window.PAGE_READINGS  # read in pages
    expected = whole(store, station, T0, end, ctx)
    paged = stored_export(store, plan, ctx)
    assert b"".join(csv_chunks(paged)) == to_csv(expected)
    assert b"".join(json_chunks(paged)) == to_json(expected)
    assert parse_export(to_csv(expected)).reading_count == plan.readings


def test_a_paged_export_hashes_to_its_anchored_roots(
    store: Store, ctx: ReceiptContext, small_pages: None
) -> None:
    station, end = backfilled(store, 400)
    export = parse_export(
        to_csv(stored_export(store, plan_window(store, station.code, T0, end), ctx))
    )
    with store.read() as conn:
        roots = dict(conn.execute(select(StreamInterval.start_s, StreamInterval.root)).all())
    for interval in export.intervals:
        readings = [row.reading for row in interval.rows]
        assert interval_root(station.code, interval.start, readings).raw == roots[interval.start]


def test_a_readings_proof_from_paged_readings_leads_to_its_root(
    store: Store, ctx: ReceiptContext, small_pages: None
) -> None:
    station, end = backfilled(store, 400)
    found = reading_proof(store, station.code, "pH", T0 + 2 * LENGTH + 3, ctx)
    leaf = bytes.fromhex(found["leaf"][2:])
    siblings = [bytes.fromhex(p[2:]) for p in found["proof"]]
    with store.read() as conn:
        root = conn.execute(
            select(StreamInterval.root).where(StreamInterval.start_s == end - LENGTH)
        ).scalar_one()
    assert process_proof(leaf, siblings) == root
    assert found["reading"]["late"] is True and found["interval"]["count"] == 400


def _peak_bytes(store: Store, code: str, end: int, ctx: ReceiptContext) -> int:
    plan = plan_window(store, code, end - LENGTH, end)
    tracemalloc.start()
    try:
        for _ in csv_chunks(stored_export(store, plan, ctx)):
            pass
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_an_exports_memory_does_not_grow_with_its_readings(
    store: Store, ctx: ReceiptContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Structural, not a timing: the peak of writing 4N readings is about that of N (it
    grew 4x when the window was read and written whole)."""
    monkeypatch.setattr(window, "PAGE_READINGS", 1_000)
    _, end1 = backfilled(store, 10_000, "N-1")
    _, end4 = backfilled(store, 40_000, "N-4")
    _peak_bytes(store, "N-1", end1, ctx)  # warm: statements compiled, caches filled
    small = _peak_bytes(store, "N-1", end1, ctx)
    large = _peak_bytes(store, "N-4", end4, ctx)
    assert large < 1.5 * small, (small, large)


def test_the_readings_limit_is_decided_by_the_plan(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    station, end = backfilled(store, 400)
    monkeypatch.setattr(window, "MAX_EXPORT_READINGS", 100)
    with pytest.raises(ExportTooLarge) as refused:
        plan_window(store, station.code, T0, end)
    assert refused.value.readings > 400 and refused.value.limit == 100
    assert refused.value.fits_until == end - LENGTH  # all but the back-filled interval
    plan = plan_window(store, station.code, T0, refused.value.fits_until)
    assert plan.readings <= 100
    alone = plan_window(store, station.code, end - LENGTH, end)
    assert alone.readings > 100  # one interval always exports, however many it holds


def test_a_window_says_where_and_why_it_ends_early(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    station = make_station(store)
    seal_due_intervals(store, at(T0 + 5 * LENGTH))
    plan = plan_window(store, station.code, T0 - 3600, T0 + 8 * LENGTH + 7)
    assert (plan.start, plan.end) == (T0, T0 + 5 * LENGTH)
    assert plan.ends_early is not None
    assert (plan.ends_early.requested_start, plan.ends_early.requested_end) == (
        T0 - 3600,
        T0 + 8 * LENGTH + 7,
    )
    assert plan.ends_early.reason == "not-sealed"
    assert plan_window(store, station.code, T0, T0 + 5 * LENGTH).ends_early is None
    assert plan_window(store, station.code, T0, T0 + 5 * LENGTH - 30).ends_early is None
    monkeypatch.setattr(window, "MAX_EXPORT_INTERVALS", 2)
    capped = plan_window(store, station.code, T0, T0 + 5 * LENGTH)
    assert capped.end == T0 + 2 * LENGTH and capped.ends_early is not None
    assert capped.ends_early.reason == "interval-limit"


def test_an_export_that_ends_early_reads_back_as_it_says(store: Store, ctx: ReceiptContext) -> None:
    station = make_station(store)
    send(store, station, range(T0, T0 + 3 * LENGTH, 30), T0 + 3 * LENGTH)
    seal_due_intervals(store, at(T0 + 3 * LENGTH))
    plan = plan_window(store, station.code, T0, T0 + 86_400)
    for write in (to_csv, to_json):
        back = parse_export(write(stored_export(store, plan, ctx)))
        assert back.ends_early == plan.ends_early
        assert (back.start, back.end, len(back.intervals)) == (T0, T0 + 3 * LENGTH, 3)
