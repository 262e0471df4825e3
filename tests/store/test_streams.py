"""Stations, reading intake and interval sealing, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from sqlalchemy import func, select

from notary.core.errors import FormatError
from notary.core.merkle import MerkleTree
from notary.core.streams import (
    EMPTY_ROOT,
    Reading,
    canonical_order,
    interval_leaves,
    interval_root,
)
from notary.core.types import to_checksum_address
from notary.pipeline.accept import accept
from notary.pipeline.batcher import seal_due_batches
from notary.pipeline.receipts import load_document
from notary.store.engine import Store
from notary.store.issuers import create_issuer
from notary.store.models import Document, StreamInterval
from notary.streams.backfill import (
    MAX_BACKFILL_INTERVALS,
    MAX_BACKFILL_WINDOW_S,
    MAX_ISSUER_BACKFILL_INTERVALS,
    owed_by_issuer,
)
from notary.streams.ingest import ingest, readings_from
from notary.streams.sealer import seal_due_intervals
from notary.streams.stations import (
    StationExists,
    StationRecord,
    create_station,
    get_station,
    list_stations,
)

from .conftest import ISSUER

T0 = 1_772_323_200  # 2026-03-01T00:00:00Z
PARAMETERS = [("PM2.5", "µg/m³"), ("SO2", "mg/Nm³"), ("pH", "")]


def at(seconds: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(seconds, dt.UTC)


def station(store: Store, code: str = "HN-01", interval_s: int = 300) -> StationRecord:
    with store.write() as conn:
        return create_station(
            conn,
            ISSUER,
            code,
            "Trạm Nguyễn Văn Cừ",
            "ambient-air",
            {"latitude": 21.0485, "longitude": 105.8795},
            PARAMETERS,
            interval_s,
            grace_s=30,
            since=T0,
            now=at(T0),
        )


def readings(*items: tuple[int, str, object]) -> list[Reading]:
    return readings_from(
        [{"time": t, "parameter": p, "value": v} for t, p, v in items], dict(PARAMETERS)
    )


def sealed_rows(store: Store) -> list[dict[str, object]]:
    table = StreamInterval.__table__
    with store.read() as conn:
        rows = conn.execute(select(table).order_by(table.c.start_s)).mappings()
        return [dict(row) for row in rows]


def test_station_is_registered_once_and_listed(store: Store) -> None:
    made = station(store)
    with pytest.raises(StationExists):
        station(store)
    with store.read() as conn:
        assert get_station(conn, "HN-01") == made
        assert [s.code for s in list_stations(conn)] == ["HN-01"]
    assert made.parameters == {"PM2.5": "µg/m³", "SO2": "mg/Nm³", "pH": ""}
    assert made.sealed_until == made.since == T0


@pytest.mark.parametrize("part", [0, 1])
def test_names_a_spreadsheet_would_run_as_a_formula_are_refused(store: Store, part: int) -> None:
    """Exports put parameters and units in CSV cells as they are (changing them would break
    the export's hashes), so a name starting =, +, - or @ is refused when registered."""
    for formula in ("=1+2", "+1", "-1", "@SUM(A1)"):
        pair = ["NO2", "µg/m³"]
        pair[part] = formula
        with pytest.raises(FormatError) as bad, store.write() as conn:
            create_station(
                conn,
                ISSUER,
                "HN-02",
                "Trạm",
                "water",
                {"latitude": 0, "longitude": 0},
                [*PARAMETERS, (pair[0], pair[1])],
                300,
            )
        assert bad.value.field == f"parameters[3].{('name', 'unit')[part]}"
        assert "formula" in bad.value.message


def register(
    store: Store, code: str, interval_s: int, since: int | None, **more: int
) -> StationRecord:
    """A station of ISSUER registered at T0 (`since` relative to it, or None)."""
    with store.write() as conn:
        return create_station(
            conn,
            ISSUER,
            code,
            "Trạm",
            "water",
            {"latitude": 10.0, "longitude": 106.0},
            [("pH", "")],
            interval_s,
            since=since,
            now=at(T0),
            **more,
        )


def test_an_interval_below_the_minimum_is_refused(store: Store) -> None:
    with pytest.raises(FormatError) as short:
        register(store, "HN-02", 30, None)
    assert short.value.field == "intervalSeconds" and "at least 60 s" in short.value.message
    assert register(store, "HN-03", 60, None).interval_s == 60
    assert register(store, "HN-04", 1, None, min_interval_s=1).interval_s == 1


def test_since_is_bounded_in_time_and_in_intervals(store: Store) -> None:
    week = MAX_BACKFILL_INTERVALS * 60
    assert register(store, "HN-02", 60, T0 - week).since == T0 - week
    for code, length, since in (
        ("HN-03", 60, T0 - week - 60),  # one interval more than a station may owe
        ("HN-04", 86_400, T0 - 367 * 86_400),  # more than a year back
        ("HN-05", 300, T0 + 300),  # in the future
        ("HN-06", 300, T0 + 60),  # not an interval's start
    ):
        with pytest.raises(FormatError) as bad:
            register(store, code, length, since)
        assert bad.value.field == "since", (code, bad.value)


def test_what_an_issuers_stations_owe_at_once_is_bounded(store: Store) -> None:
    full = MAX_BACKFILL_INTERVALS * 60
    stations = MAX_ISSUER_BACKFILL_INTERVALS // MAX_BACKFILL_INTERVALS
    for k in range(stations):
        register(store, f"BF-{k}", 60, T0 - full)
    room = MAX_ISSUER_BACKFILL_INTERVALS - stations * MAX_BACKFILL_INTERVALS
    with pytest.raises(FormatError) as over:
        register(store, "BF-over", 60, T0 - (room + 1) * 60)
    assert over.value.field == "since" and f"{stations * MAX_BACKFILL_INTERVALS:,}" in str(over)
    register(store, "BF-last", 60, T0 - room * 60)
    with store.read() as conn:
        assert owed_by_issuer(conn, ISSUER, T0) == MAX_ISSUER_BACKFILL_INTERVALS


def test_a_back_filled_station_keeps_its_past_open_until_its_window_closes(store: Store) -> None:
    """History sent right after registering goes into its own intervals, on time: nothing
    of the station is sealed before `backfill_until`; then everything due is, in order."""
    s = register(store, "BF-1", 300, T0 - 10 * 300, backfill_s=3_600)
    assert s.backfill_until == T0 + 3_600
    history = readings_from(
        [{"time": t, "parameter": "pH", "value": 7} for t in range(T0 - 3_000, T0 + 600, 60)],
        s.parameters,
    )
    assert ingest(store, s, history, now=at(T0 + 700)).late == 0
    assert seal_due_intervals(store, at(T0 + 3_599)) == []  # twelve intervals due, all held
    sealed = seal_due_intervals(store, at(T0 + 3_600))
    assert [x.start for x in sealed] == list(range(T0 - 3_000, T0 + 3_600 - 300 - 60 + 1, 300))
    assert sum(x.count for x in sealed) == len(history)
    assert all(x.late_count == 0 for x in sealed)


def test_without_a_window_the_past_is_sealed_at_once_and_history_arrives_late(
    store: Store,
) -> None:
    s = register(store, "BF-0", 300, T0 - 10 * 300, backfill_s=0)
    assert s.backfill_until == T0  # registered at T0: nothing held after it
    assert len(seal_due_intervals(store, at(T0 + 60))) == 10
    history = readings_from([{"time": T0 - 3_000, "parameter": "pH", "value": 7}], s.parameters)
    assert ingest(store, s, history, now=at(T0 + 70)).late == 1


def test_a_station_starting_now_has_nothing_to_hold(store: Store) -> None:
    assert register(store, "BF-now", 300, None, backfill_s=3_600).backfill_until == T0
    with pytest.raises(FormatError) as long:
        register(store, "BF-long", 300, T0 - 300, backfill_s=MAX_BACKFILL_WINDOW_S + 1)
    assert long.value.field == "backfillSeconds"


def test_intake_is_idempotent_and_reports_conflicts(store: Store) -> None:
    s = station(store)
    batch = readings((T0 + 60, "PM2.5", 35.2), (T0 + 60, "SO2", "0.41"), (T0 + 120, "pH", 7))
    first = ingest(store, s, batch, now=at(T0 + 130))
    assert (first.created, first.existing, first.conflicts) == (3, 0, ())
    again = ingest(store, s, batch, now=at(T0 + 140))
    assert (again.created, again.existing, again.conflicts) == (0, 3, ())
    changed = readings((T0 + 60, "PM2.5", 99), (T0 + 180, "PM2.5", 30))
    third = ingest(store, s, changed, now=at(T0 + 190))
    assert third.created == 1 and third.existing == 1
    assert [(c.position, c.parameter, c.time) for c in third.conflicts] == [(0, "PM2.5", T0 + 60)]


def test_a_key_twice_in_one_call_keeps_the_first_and_names_the_other(store: Store) -> None:
    s = station(store)
    batch = readings(
        (T0 + 60, "PM2.5", 35.2), (T0 + 60, "SO2", 1), (T0 + 60, "PM2.5", 35.2), (T0 + 60, "SO2", 2)
    )
    result = ingest(store, s, batch, now=at(T0 + 130))
    assert (result.received, result.created, result.existing) == (4, 2, 2)
    assert [(c.position, c.parameter) for c in result.conflicts] == [(3, "SO2")]
    resent = ingest(store, s, readings((T0 + 60, "SO2", 3), (T0 + 60, "SO2", 1)), now=at(T0 + 140))
    assert (resent.created, resent.existing) == (0, 2)
    # 1 differs from the call's first (3), and that first differs from what is stored (1)
    assert sorted((c.position, c.parameter) for c in resent.conflicts) == [(0, "SO2"), (1, "SO2")]


def test_intake_refuses_what_the_station_does_not_measure(store: Store) -> None:
    s = station(store)
    with pytest.raises(FormatError) as bad:
        readings_from([{"time": T0, "parameter": "NO2", "value": 1}], s.parameters)
    assert bad.value.field == "readings[0].parameter"
    with pytest.raises(FormatError) as unit:
        readings_from([{"time": T0, "parameter": "SO2", "value": 1, "unit": "ppm"}], s.parameters)
    assert unit.value.field == "readings[0].unit"
    with pytest.raises(FormatError) as early:
        ingest(store, s, readings((T0 - 1, "SO2", 1)), now=at(T0))
    assert early.value.field == "readings[0].time"
    with pytest.raises(FormatError):
        ingest(store, s, readings((T0 + 3_600, "SO2", 1)), now=at(T0))  # an hour ahead


def test_each_interval_is_sealed_once_into_one_document(store: Store) -> None:
    s = station(store)
    batch = readings((T0 + 10, "SO2", 0.4), (T0 + 10, "PM2.5", 35), (T0 + 290, "pH", 7.1))
    ingest(store, s, batch, now=at(T0 + 295))
    assert seal_due_intervals(store, at(T0 + 300 + 29)) == []  # within the grace
    sealed = seal_due_intervals(store, at(T0 + 600 + 30))  # two intervals are due
    assert [(x.start, x.count, x.late_count) for x in sealed] == [(T0, 3, 0), (T0 + 300, 0, 0)]
    assert sealed[0].root == interval_root("HN-01", T0, canonical_order(batch))
    assert sealed[1].root == EMPTY_ROOT
    assert seal_due_intervals(store, at(T0 + 600 + 31)) == []  # nothing sealed twice
    document = load_document(store, sealed[0].leaf)
    assert document.record.digest == sealed[0].root
    metadata = document.record.metadata
    assert metadata is not None
    assert (metadata["station"], metadata["intervalStart"], metadata["count"]) == (
        "HN-01",
        "2026-03-01T00:00:00Z",
        3,
    )
    with store.read() as conn:
        assert get_station(conn, "HN-01").sealed_until == T0 + 600
        assert conn.execute(select(func.count()).select_from(Document)).scalar() == 2
    (batch_made,) = seal_due_batches(store, at(T0 + 700), batch_interval_s=0)
    assert batch_made.leaf_count == 2  # both interval documents in one ordinary batch


def test_late_readings_go_to_the_next_interval_marked_late(store: Store) -> None:
    s = station(store)
    ingest(store, s, readings((T0 + 10, "SO2", 0.4)), now=at(T0 + 20))
    seal_due_intervals(store, at(T0 + 330))
    late = ingest(
        store, s, readings((T0 + 20, "SO2", 0.5), (T0 + 310, "SO2", 0.6)), now=at(T0 + 340)
    )
    assert late.late == 1
    sealed = seal_due_intervals(store, at(T0 + 630))
    assert [(x.start, x.count, x.late_count) for x in sealed] == [(T0 + 300, 2, 1)]
    first, second = sealed_rows(store)
    assert (first["reading_count"], second["reading_count"], second["late_count"]) == (1, 2, 1)
    moved = canonical_order(readings((T0 + 20, "SO2", 0.5), (T0 + 310, "SO2", 0.6)))
    leaves = interval_leaves("HN-01", T0 + 300, moved)
    assert second["root"] == MerkleTree.from_leaves(leaves).root.raw


def test_a_seal_that_fails_leaves_nothing_behind(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    s = station(store)
    ingest(store, s, readings((T0 + 10, "SO2", 0.4)), now=at(T0 + 20))

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("killed mid-seal")

    monkeypatch.setattr("notary.streams.sealer._place", broken)
    with pytest.raises(RuntimeError):
        seal_due_intervals(store, at(T0 + 330))
    with store.read() as conn:
        assert conn.execute(select(func.count()).select_from(Document)).scalar() == 0
        assert get_station(conn, "HN-01").sealed_until == T0
    monkeypatch.undo()
    assert [x.count for x in seal_due_intervals(store, at(T0 + 330))] == [1]


# -- fair sealing: what stations owe never holds back other issuers' documents ----------

OTHER = to_checksum_address("0x" + "6b" * 20)
OWED = 3_000


@pytest.fixture
def other_issuer(store: Store) -> str:
    with store.write() as conn:
        create_issuer(conn, OTHER, "Sở Y tế", jurisdiction="VN-CT")
    return OTHER


def owing(store: Store, code: str, issuer: str = ISSUER, owed: int = OWED) -> StationRecord:
    """A station registered at T0 whose first interval is `owed` one-minute intervals back."""
    with store.write() as conn:
        return create_station(
            conn, issuer, code, "Trạm", "water", {"latitude": 10.0, "longitude": 106.0},
            [("pH", "")], 60, grace_s=0, since=T0 - owed * 60, now=at(T0),
        )  # fmt: skip


def sealed_until(store: Store, code: str) -> int:
    with store.read() as conn:
        return get_station(conn, code).sealed_until


def test_a_station_catching_up_never_holds_back_another_issuers_document(
    store: Store, other_issuer: str
) -> None:
    """An order, not a timing: the document goes into the first batch after it came."""
    owing(store, "BACKLOG")
    now = at(T0 + 30)

    def step() -> list[int]:  # as the anchoring worker prepares each step
        seal_due_intervals(store, now, catch_up=500)
        return [b.id for b in seal_due_batches(store, now, batch_max=1_000, batch_interval_s=0)]

    before = step()
    result = accept(store, other_issuer, "0x" + "ab" * 32, now=now)
    after = step()
    document = load_document(store, result.record.leaf).record
    assert len(before) == 1 and document.batch_id == after[0]
    assert sealed_until(store, "BACKLOG") < T0 - 2_000 * 60  # most of what it owes waits


def test_stations_catch_up_in_turn_and_a_live_one_is_never_held_back(
    store: Store, other_issuer: str
) -> None:
    owing(store, "BEHIND-A")
    owing(store, "BEHIND-B", other_issuer)
    owing(store, "LIVE", owed=1)
    now = at(T0 + 30)
    first = Counter(s.station for s in seal_due_intervals(store, now, catch_up=101))
    assert first["LIVE"] == 1 and first["BEHIND-A"] == first["BEHIND-B"] == 50
    # Documents waiting for a batch fill the room: the stations behind get one interval
    # each (their oldest) until a batch takes them; a live station still gets its own.
    now = at(T0 + 60 + 30)
    second = Counter(s.station for s in seal_due_intervals(store, now, catch_up=101))
    assert second == {"LIVE": 1, "BEHIND-A": 1, "BEHIND-B": 1}
    seal_due_batches(store, now, batch_interval_s=0)
    third = Counter(s.station for s in seal_due_intervals(store, now, catch_up=101))
    assert third["BEHIND-A"] + third["BEHIND-B"] == 101
    assert abs(third["BEHIND-A"] - third["BEHIND-B"]) <= 1


CRASHING_SEALER = """
import datetime as dt, os, signal, sys
from notary.store.engine import open_store
from notary.streams import sealer
point, url, now = sys.argv[1], sys.argv[2], int(sys.argv[3])
place = sealer._place
def die_after_place(*args):
    place(*args)  # every row of the seal written, the transaction not committed
    os.kill(os.getpid(), signal.SIGKILL)
if point == "mid-seal":
    sealer._place = die_after_place
sealer.seal_due_intervals(open_store(url), dt.datetime.fromtimestamp(now, dt.UTC))
os.kill(os.getpid(), signal.SIGKILL)  # "after-commit": before anything else is recorded
"""


@pytest.mark.parametrize("point", ["mid-seal", "after-commit"])
def test_sigkill_during_a_seal_loses_nothing_and_seals_nothing_twice(
    store: Store, database_url: str, point: str
) -> None:
    import signal
    import subprocess
    import sys

    s = station(store)
    sent = readings(*[(T0 + 7 * k, "SO2", k) for k in range(200)])  # ~4.7 intervals
    ingest(store, s, sent, now=at(T0 + 1_400))
    now = T0 + 1_500 + 30
    crashed = subprocess.run(
        [sys.executable, "-c", CRASHING_SEALER, point, database_url, str(now)],
        capture_output=True,
        timeout=60,
    )
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr.decode()[-2000:]
    again = seal_due_intervals(store, at(now))
    assert (len(again) == 5) is (point == "mid-seal")  # committed before the kill: nothing left
    rows = sealed_rows(store)
    assert [r["start_s"] for r in rows] == [T0 + 300 * k for k in range(5)]
    assert sum(int(str(r["reading_count"])) for r in rows) == len(sent)
    with store.read() as conn:
        table = Document.__table__
        assert conn.execute(select(func.count()).select_from(table)).scalar() == 5
        unsealed = conn.exec_driver_sql(
            "SELECT count(*) FROM readings WHERE interval_id IS NULL"
        ).scalar()
    assert unsealed == 0
