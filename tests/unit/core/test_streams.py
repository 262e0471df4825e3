"""The stream-interval format: known answers from sha256sum and OpenZeppelin, and properties:
any edit, removal, insertion or reordering of a reading is detected and located."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from notary.core.errors import FormatError
from notary.core.streams import (
    EARLIEST_TIME,
    EMPTY_ROOT,
    LATEST_TIME,
    Claim,
    Reading,
    Row,
    canonical_order,
    canonical_value,
    compare_interval,
    format_time,
    interval_leaves,
    interval_root,
    parse_time,
    reading_line,
)

VECTORS = json.loads(
    (Path(__file__).parents[2] / "vectors" / "stream-interval.json").read_text("utf-8")
)
START = 1_772_331_000  # 2026-03-01T02:10:00Z
LENGTH = 300


@pytest.mark.parametrize("case", VECTORS["intervals"], ids=lambda c: c["title"])
def test_known_answers(case: dict) -> None:  # type: ignore[type-arg]
    start = parse_time(case["intervalStart"])
    readings = [
        Reading(parse_time(r["time"]), r["parameter"], r["value"], r["unit"], r["quality"])
        for r in case["readings"]
    ]
    lates = [r["late"] == "1" for r in case["readings"]]
    assert [
        reading_line(case["station"], r, late).decode()
        for r, late in zip(readings, lates, strict=True)
    ] == case["lines"]
    assert [leaf.hex for leaf in interval_leaves(case["station"], start, readings)] == case[
        "leaves"
    ]
    assert interval_root(case["station"], start, readings).hex == case["root"]
    assert interval_root(case["station"], start, readings[::-1]).hex == case["root"]


def test_the_empty_root_is_the_published_constant() -> None:
    (empty,) = [c for c in VECTORS["intervals"] if not c["readings"]]
    assert EMPTY_ROOT.hex == empty["root"]


@pytest.mark.parametrize("case", VECTORS["values"], ids=lambda c: repr(c["input"]))
def test_values_are_canonical(case: dict) -> None:  # type: ignore[type-arg]
    assert canonical_value(case["input"]) == case["canonical"]
    assert canonical_value(case["canonical"]) == case["canonical"]


@pytest.mark.parametrize(
    "bad", ["NaN", "1e999", "1,5", "", " 1", float("inf"), True, None, "9" * 40]
)
def test_values_that_are_not_measurements_are_refused(bad: object) -> None:
    with pytest.raises(FormatError):
        canonical_value(bad)


def test_times_are_rfc3339_with_an_offset() -> None:
    assert parse_time("2026-03-01T09:10:00+07:00") == START
    assert format_time(START) == "2026-03-01T02:10:00Z"
    for bad in ("2026-03-01T02:10:00", "2026-03-01 02:10:00Z", "2026-03-01T02:10:00.5Z", 1.5):
        with pytest.raises(FormatError):
            parse_time(bad)


OUT_OF_RANGE = [
    "0001-01-01T00:00:00+01:00",  # year 0 in UTC
    "9999-12-31T23:59:59-01:00",  # year 10000 in UTC
    10**12,
    -(10**12),
    10**20,
    10**30,
    EARLIEST_TIME - 1,
    LATEST_TIME + 1,
]


@pytest.mark.parametrize("bad", OUT_OF_RANGE, ids=repr)
def test_times_rfc3339_cannot_write_are_refused_naming_the_field(bad: object) -> None:
    with pytest.raises(FormatError) as refused:
        parse_time(bad, "readings[3].time")
    assert refused.value.field == "readings[3].time"
    assert "0001-01-01T00:00:00Z" in refused.value.message


def test_the_range_ends_are_times() -> None:
    assert parse_time("0001-01-01T00:00:00Z") == EARLIEST_TIME
    assert parse_time("9999-12-31T23:59:59Z") == LATEST_TIME
    assert format_time(EARLIEST_TIME) == "0001-01-01T00:00:00Z"
    assert format_time(LATEST_TIME) == "9999-12-31T23:59:59Z"


@pytest.mark.parametrize("seconds", [EARLIEST_TIME - 1, LATEST_TIME + 1, 10**30, -(10**30)])
def test_format_time_writes_any_integer(seconds: int) -> None:
    """Error messages quote times a caller sent: writing one must never raise."""
    assert format_time(seconds) == f"Unix time {seconds} (outside years 1-9999)"


# -- properties --------------------------------------------------------------------------

PARAMETERS = ("PM2.5", "SO2", "NOx", "pH", "Nhiệt độ")
values = st.decimals(min_value=-1000, max_value=100_000, places=2, allow_nan=False).map(
    lambda d: canonical_value(str(d))
)


@st.composite
def intervals(draw: st.DrawFn) -> list[Row]:
    """An interval's rows as an export lists them: canonical order, unique keys, some late."""
    keys = draw(
        st.lists(
            st.tuples(
                st.integers(START - 2 * LENGTH, START + LENGTH - 1), st.sampled_from(PARAMETERS)
            ),
            min_size=1,
            max_size=40,
            unique=True,
        )
    )
    readings = canonical_order(
        Reading(
            t,
            p,
            draw(values),
            "" if p == "pH" else "µg/m³",
            draw(st.sampled_from(("valid", "suspect"))),
        )
        for t, p in keys
    )
    return [Row(i + 2, r, r.time < START) for i, r in enumerate(readings)]


def _claim(rows: list[Row]) -> Claim:
    readings = [r.reading for r in rows]
    late = sum(1 for r in readings if r.time < START)
    return Claim(interval_root("HN-01", START, readings), len(rows), late)


def _renumber(rows: list[Row]) -> list[Row]:
    return [Row(i + 2, r.reading, r.late) for i, r in enumerate(rows)]


def _check(rows: list[Row], claim: Claim) -> list:  # type: ignore[type-arg]
    return compare_interval("HN-01", START, START + LENGTH, rows, claim)


@given(intervals())
def test_an_untouched_interval_has_no_difference(rows: list[Row]) -> None:
    assert _check(rows, _claim(rows)) == []


@given(intervals(), st.data())
def test_any_edit_is_detected(rows: list[Row], data: st.DataObject) -> None:
    claim = _claim(rows)
    i = data.draw(st.integers(0, len(rows) - 1))
    r = rows[i].reading
    edited = data.draw(
        st.sampled_from(
            [
                r._replace(value=canonical_value(str(float(r.value) + 0.01))),
                r._replace(quality="invalid"),
                r._replace(unit=r.unit + "x"),
            ]
        )
    )
    tampered = [*rows[:i], Row(rows[i].number, edited, rows[i].late), *rows[i + 1 :]]
    found = _check(tampered, claim)
    assert [d.kind for d in found] == ["changed"]


@given(intervals(), st.data())
def test_a_removal_is_detected_and_counted(rows: list[Row], data: st.DataObject) -> None:
    claim = _claim(rows)
    i = data.draw(st.integers(0, len(rows) - 1))
    found = _check(_renumber(rows[:i] + rows[i + 1 :]), claim)
    assert [d.kind for d in found] == ["missing"] and "1 missing" in found[0].detail


@given(intervals(), st.data())
def test_an_insertion_is_located_to_its_row(rows: list[Row], data: st.DataObject) -> None:
    claim = _claim(rows)
    taken = {(r.reading.time, r.reading.parameter) for r in rows}
    t = data.draw(st.integers(START, START + LENGTH - 1))
    p = data.draw(st.sampled_from(PARAMETERS))
    if (t, p) in taken:
        return
    extra = Reading(t, p, data.draw(values), "µg/m³", "valid")
    tampered = _renumber(canonical_order_rows([*rows, Row(0, extra, False)]))
    number = next(r.number for r in tampered if r.reading == extra)
    found = _check(tampered, claim)
    assert [(d.kind, d.rows) for d in found] == [("added", (number,))]


def canonical_order_rows(rows: list[Row]) -> list[Row]:
    return sorted(rows, key=lambda r: (r.reading.time, r.reading.parameter.encode()))


@given(intervals(), st.data())
@settings(max_examples=50)
def test_a_reordering_is_located_to_its_rows(rows: list[Row], data: st.DataObject) -> None:
    if len(rows) < 2:
        return
    claim = _claim(rows)
    i = data.draw(st.integers(0, len(rows) - 2))
    swapped = [*rows[:i], rows[i + 1], rows[i], *rows[i + 2 :]]
    found = _check(_renumber(swapped), claim)
    assert found and {d.kind for d in found} == {"reordered"}
    assert any(i + 2 in d.rows and i + 3 in d.rows for d in found)


@given(intervals(), st.data())
def test_a_late_flag_that_contradicts_the_time_is_located(
    rows: list[Row], data: st.DataObject
) -> None:
    claim = _claim(rows)
    i = data.draw(st.integers(0, len(rows) - 1))
    flipped = [*rows[:i], rows[i]._replace(late=not rows[i].late), *rows[i + 1 :]]
    found = _check(flipped, claim)
    assert [(d.kind, d.rows) for d in found] == [("late", (rows[i].number,))]
