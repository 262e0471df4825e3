"""Reading intake: validate by hand, insert in bulk, idempotent by (station, parameter, time).

A reading resent with the same key is the same reading (a data logger retrying); one
resent with a different value is a conflict: the first stays, the caller is told. A
reading whose interval is already sealed is stored and sealed with the next interval,
marked late there: never folded into the interval already anchored.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, cast

import psycopg
from sqlalchemy import Connection, Table, select

from notary.core.errors import FormatError
from notary.core.streams import (
    DEFAULT_QUALITY,
    QUALITY_FLAGS,
    Reading,
    canonical_value,
    format_time,
    parse_time,
)
from notary.store.engine import Store
from notary.store.models import Reading as ReadingRow
from notary.streams.stations import StationRecord, get_station
from notary.util.memory import gc_paused

MAX_READINGS_PER_REQUEST = 100_000
"""Most readings one call takes (one transaction); a 20-parameter station sends 28,800 a day."""
MAX_CLOCK_SKEW_S = 300
"""How far in the future a reading's time may be (station clocks drift)."""
_KEYS = frozenset({"time", "parameter", "value", "unit", "quality"})
_QUALITY = frozenset(QUALITY_FLAGS)
_READINGS = cast(Table, ReadingRow.__table__)


class Conflict(NamedTuple):
    """A reading resent with other contents than the one stored: the stored one stays."""

    position: int
    parameter: str
    time: int


@dataclass(frozen=True)
class IngestResult:
    """What one call did with its readings."""

    received: int
    created: int
    existing: int
    late: int
    """Of the created: how many belong to intervals already sealed (sealed later, as late)."""
    conflicts: tuple[Conflict, ...]


def readings_from(
    items: object, parameters: Mapping[str, str], field: str = "readings"
) -> list[Reading]:
    """Validate parsed JSON readings against the station's parameters; errors name the item.

    By hand, not with pydantic: at 100,000 readings a second a model costs more than
    storing them. The unit may be left out (the station's) but must match when given.
    """
    if not isinstance(items, list):
        raise FormatError(field, "expected an array of readings")
    if len(items) > MAX_READINGS_PER_REQUEST:
        raise FormatError(field, f"more than {MAX_READINGS_PER_REQUEST} readings: split them")
    out: list[Reading] = []
    append = out.append
    times: dict[object, int] = {}
    for i, item in enumerate(items):
        if type(item) is not dict:
            raise FormatError(f"{field}[{i}]", "expected an object")
        if not item.keys() <= _KEYS:
            unknown = sorted(set(item) - _KEYS)[0]
            raise FormatError(f"{field}[{i}].{unknown}", "unknown field")
        try:
            raw_time, parameter, raw_value = item["time"], item["parameter"], item["value"]
        except KeyError as exc:
            raise FormatError(f"{field}[{i}].{exc.args[0]}", "missing") from None
        unit = parameters.get(parameter) if type(parameter) is str else None
        if unit is None:
            raise FormatError(
                f"{field}[{i}].parameter",
                f"{parameter!r} is not a parameter of this station ({', '.join(parameters)})",
            )
        if "unit" in item and item["unit"] != unit:
            raise FormatError(f"{field}[{i}].unit", f"{parameter} is measured in {unit!r}")
        quality = item.get("quality", DEFAULT_QUALITY)
        if type(quality) is not str or quality not in _QUALITY:
            raise FormatError(
                f"{field}[{i}].quality", f"expected one of {', '.join(QUALITY_FLAGS)}"
            )
        seconds = times.get(raw_time) if type(raw_time) is str else None
        if seconds is None:
            seconds = parse_time(raw_time, f"{field}[{i}].time")
            if type(raw_time) is str:
                times[raw_time] = seconds
        value = canonical_value(raw_value, f"{field}[{i}].value")
        append(Reading(seconds, parameter, value, unit, quality))
    return out


def ingest(
    store: Store,
    station: StationRecord,
    readings: Sequence[Reading],
    now: dt.datetime | None = None,
) -> IngestResult:
    """Store the station's readings in one transaction; committed before it returns."""
    received_at = now or dt.datetime.now(dt.UTC)
    _check_times(station, readings, received_at)
    keys = [(r.parameter, r.time) for r in readings]
    first: dict[tuple[str, int], int] = {}
    conflicts: list[Conflict] = []
    unique = readings
    if len(set(keys)) < len(keys):  # a key twice in one call: the first counts
        first = _first_positions(keys)
        conflicts = [
            Conflict(i, r.parameter, r.time)
            for i, r in enumerate(readings)
            if (j := first[keys[i]]) != i and readings[j] != r
        ]
        unique = [readings[i] for i in first.values()]
    with gc_paused(), store.write() as conn:
        sealed_until = get_station(conn, station.code).sealed_until
        created, existed = _insert(conn, station.id, unique, received_at)
        if existed:
            first = first or _first_positions(keys)
            conflicts.extend(_conflicts(conn, station.id, existed, readings, first))
    late = sum(1 for r in created if r.time < sealed_until)
    return IngestResult(
        len(readings), len(created), len(readings) - len(created), late, tuple(conflicts)
    )


def _first_positions(keys: Sequence[tuple[str, int]]) -> dict[tuple[str, int], int]:
    """Where each key first appears."""
    first: dict[tuple[str, int], int] = {}
    for i, key in enumerate(keys):
        first.setdefault(key, i)
    return first


def _check_times(station: StationRecord, readings: Sequence[Reading], now: dt.datetime) -> None:
    if not readings:
        return
    times = [r.time for r in readings]
    earliest, latest = min(times), max(times)
    if earliest < station.since:
        index = next(i for i, r in enumerate(readings) if r.time == earliest)
        raise FormatError(
            f"readings[{index}].time",
            f"{format_time(earliest)} is before the station's first interval "
            f"({format_time(station.since)})",
        )
    if latest > now.timestamp() + MAX_CLOCK_SKEW_S:
        index = next(i for i, r in enumerate(readings) if r.time == latest)
        raise FormatError(
            f"readings[{index}].time",
            f"{format_time(latest)} is in the future (the station's clock?)",
        )


_COLUMNS = ("station_id", "parameter", "time_s", "value", "unit", "quality", "received_at")
_NAMES = ", ".join(_COLUMNS)
_INSERT_SQLITE = (
    f"INSERT INTO readings ({_NAMES}) VALUES ({', '.join('?' * len(_COLUMNS))})"
    " ON CONFLICT (station_id, parameter, time_s) DO NOTHING"
)
_STAGING = (
    "CREATE TEMP TABLE IF NOT EXISTS reading_intake (station_id bigint, parameter varchar(32),"
    " time_s bigint, value varchar(32), unit varchar(32), quality varchar(12),"
    " received_at timestamptz) ON COMMIT DELETE ROWS"
)
_COPY_STAGED = f"COPY reading_intake ({_NAMES}) FROM STDIN"
_INSERT_STAGED = (
    f"INSERT INTO readings ({_NAMES}) SELECT {_NAMES} FROM reading_intake"
    " ON CONFLICT (station_id, parameter, time_s) DO NOTHING RETURNING parameter, time_s"
)


def _insert(
    conn: Connection, station_id: int, readings: Sequence[Reading], received_at: dt.datetime
) -> tuple[list[Reading], list[Reading]]:
    """Insert the readings not stored yet: (created, already there)."""
    # Plain DBAPI calls, as notary.pipeline.accept does: SQLAlchemy's per-row processing
    # would cost more than the insert. The timestamp is bound once, as the dialect stores it.
    stamp = _READINGS.c.received_at.type.dialect_impl(conn.dialect).bind_processor(conn.dialect)
    at = stamp(received_at) if stamp else received_at
    if conn.dialect.name == "sqlite":
        # Which keys exist already, asked per parameter over the call's time span (an index
        # seek each, ~20 per call): this transaction is the only writer (BEGIN IMMEDIATE),
        # so everything else is new.
        existing = _stored_keys(conn, station_id, readings)
        new, old = list(readings), []
        if existing:
            new = [r for r in readings if (r.parameter, r.time) not in existing]
            old = [r for r in readings if (r.parameter, r.time) in existing]
        rows = [(station_id, r.parameter, r.time, r.value, r.unit, r.quality, at) for r in new]
        if rows and conn.exec_driver_sql(_INSERT_SQLITE, rows).rowcount != len(rows):
            raise RuntimeError("readings appeared under the write lock: another writer?")
        return new, old
    rows = [(station_id, r.parameter, r.time, r.value, r.unit, r.quality, at) for r in readings]
    driver = cast(psycopg.Connection[Any], conn.connection.driver_connection)
    with driver.cursor() as cursor:
        cursor.execute(_STAGING)
        with cursor.copy(_COPY_STAGED) as copy:
            for row in rows:
                copy.write_row(row)
        cursor.execute(_INSERT_STAGED)  # RETURNING names exactly the new rows
        made = {(p, t) for p, t in cursor.fetchall()}
    if len(made) == len(rows):
        return list(readings), []
    created = [r for r in readings if (r.parameter, r.time) in made]
    existed = [r for r in readings if (r.parameter, r.time) not in made]
    return created, existed


_KEYS_OF = (
    "SELECT parameter, time_s FROM readings"
    " WHERE station_id = ? AND parameter = ? AND time_s BETWEEN ? AND ?"
)


def _stored_keys(
    conn: Connection, station_id: int, readings: Sequence[Reading]
) -> set[tuple[str, int]]:
    """The (parameter, time) keys of these readings already stored."""
    times: dict[str, list[int]] = {}
    for r in readings:
        times.setdefault(r.parameter, []).append(r.time)
    found: set[tuple[str, int]] = set()
    for parameter, of_parameter in times.items():
        low, high = min(of_parameter), max(of_parameter)
        stored = conn.exec_driver_sql(_KEYS_OF, (station_id, parameter, low, high))
        found.update((p, t) for p, t in stored)
    wanted = {(r.parameter, r.time) for r in readings} if found else set()
    return found & wanted


def _conflicts(
    conn: Connection,
    station_id: int,
    existed: Sequence[Reading],
    given: Sequence[Reading],
    first: Mapping[tuple[str, int], int],
) -> list[Conflict]:
    """The resent readings whose stored contents differ from what was sent now."""
    c = _READINGS.c
    stored = {
        (p, t): Reading(t, p, v, u, q)
        for p, t, v, u, q in conn.execute(
            select(c.parameter, c.time_s, c.value, c.unit, c.quality).where(
                c.station_id == station_id,
                c.time_s >= min(r.time for r in existed),
                c.time_s <= max(r.time for r in existed),
            )
        ).all()
    }
    return [
        Conflict(first[(r.parameter, r.time)], r.parameter, r.time)
        for r in existed
        if stored.get((r.parameter, r.time)) != r
    ]
