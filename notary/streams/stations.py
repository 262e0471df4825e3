"""Stations: an issuer's automatic monitoring stations, their parameters and intervals."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Connection, Table, insert, select
from sqlalchemy.exc import IntegrityError

from notary.core.errors import FormatError
from notary.core.streams import (
    STATION_KINDS,
    check_interval_length,
    parameter_name,
    station_id,
    unit_name,
)
from notary.core.types import to_checksum_address
from notary.store.errors import StoreError, UnknownIssuer
from notary.store.issuers import get_issuer
from notary.store.models import Station
from notary.streams.backfill import backfill_until, check_since

MAX_PARAMETERS = 64
MAX_GRACE_S = 3_600
MIN_INTERVAL_S = 60
"""Shortest interval by default (NOTARY_STREAM_MIN_INTERVAL): each interval of each station
becomes one anchored document, so one-second intervals made 86,400 of them a day."""
FORMULA_STARTS = "=+-@"
"""First characters refused in parameter names and units: a spreadsheet opening the CSV
export would run the cell as a formula (CSV injection). Refused when a station is
registered, since prefixing the cell on output would change the bytes the export's
readings are hashed from, and the export would no longer verify. Tab and carriage return,
which spreadsheets also treat so, are refused by the name format already."""
_STATIONS = cast(Table, Station.__table__)


class StationExists(StoreError, LookupError):
    """A station with this id, in any case, is registered already: ids are global and
    name exports, so no two may differ only in case (`st-a1`, `ST-A1`)."""

    def __init__(self, code: str, registered: str) -> None:
        self.code = code
        self.registered = registered
        same = "" if registered == code else f" as {registered}"
        super().__init__(f"station {code} is registered already{same}")


class UnknownStation(StoreError, LookupError):
    """No station with this id."""

    def __init__(self, code: str) -> None:
        self.code = code
        super().__init__(f"no station {code}")


@dataclass(frozen=True)
class StationRecord:
    """A stored station; `parameters` maps each parameter to its unit, in declared order."""

    id: int
    code: str
    issuer_address: str
    name: str
    kind: str
    location: Mapping[str, Any]
    parameters: Mapping[str, str]
    interval_s: int
    grace_s: int
    since: int
    sealed_until: int
    created_at: dt.datetime
    backfill_until: int
    """Nothing of the station is sealed before this (its back-fill window)."""

    @classmethod
    def from_row(cls, row: Mapping[Any, Any]) -> StationRecord:
        """From a `stations` row."""
        return cls(
            row["id"],
            row["code"],
            row["issuer_address"],
            row["name"],
            row["kind"],
            dict(row["location"]),
            {p["name"]: p["unit"] for p in row["parameters"]},
            row["interval_s"],
            row["grace_s"],
            row["since"],
            row["sealed_until"],
            row["created_at"],
            row["backfill_until"],
        )


FORMULA_REFUSAL = (
    "may not start with =, +, - or @: a spreadsheet opening the station's CSV export "
    "would run it as a formula"
)


def spreadsheet_safe(text: str, field: str) -> str:
    """A name that a spreadsheet shows as text, never runs: see FORMULA_STARTS."""
    if text and text[0] in FORMULA_STARTS:
        raise FormatError(field, FORMULA_REFUSAL)
    return text


def default_grace(interval_s: int) -> int:
    """How long after an interval ends it is sealed: a fifth of it, at most a minute."""
    return min(60, interval_s // 5)


def create_station(
    conn: Connection,
    issuer_address: str,
    code: str,
    name: str,
    kind: str,
    location: Mapping[str, Any],
    parameters: Sequence[tuple[str, str]],
    interval_s: int,
    grace_s: int | None = None,
    since: int | None = None,
    now: dt.datetime | None = None,
    min_interval_s: int = MIN_INTERVAL_S,
    backfill_s: int = 0,
) -> StationRecord:
    """Register a station of an active issuer in the caller's transaction; its first
    interval starts at `since` (default: the current interval), within the back-fill
    bounds of `notary.streams.backfill`, and a past start stays open `backfill_s` for its
    history."""
    issuer = to_checksum_address(issuer_address, "issuer")
    known = get_issuer(conn, issuer)
    if known is None or not known.active:
        raise UnknownIssuer(issuer, deactivated=known is not None)
    station_id(code, "id")
    if kind not in STATION_KINDS:
        raise FormatError("kind", f"expected one of {', '.join(STATION_KINDS)}")
    check_interval_length(interval_s)
    if interval_s < min_interval_s:
        raise FormatError(
            "intervalSeconds",
            f"at least {min_interval_s} s on this service: each interval is one anchored document",
        )
    grace = default_grace(interval_s) if grace_s is None else grace_s
    if not 0 <= grace <= min(MAX_GRACE_S, interval_s):
        raise FormatError("graceSeconds", f"expected 0 to {min(MAX_GRACE_S, interval_s)}")
    if not 1 <= len(parameters) <= MAX_PARAMETERS:
        raise FormatError("parameters", f"expected 1 to {MAX_PARAMETERS} parameters")
    seen: dict[str, str] = {}
    for i, (parameter, unit) in enumerate(parameters):
        spreadsheet_safe(
            parameter_name(parameter, f"parameters[{i}].name"), f"parameters[{i}].name"
        )
        spreadsheet_safe(unit_name(unit, f"parameters[{i}].unit"), f"parameters[{i}].unit")
        if parameter in seen:
            raise FormatError(f"parameters[{i}].name", f"{parameter} is listed twice")
        seen[parameter] = unit
    created = now or dt.datetime.now(dt.UTC)
    start = check_since(conn, issuer, since, interval_s, created)
    held_until = backfill_until(start, interval_s, created, backfill_s)
    taken = _registered_as(conn, code)
    if taken is not None:
        raise StationExists(code, taken)
    values = {
        "code": code,
        "code_folded": code.lower(),
        "issuer_address": issuer,
        "name": name,
        "kind": kind,
        "location": dict(location),
        "parameters": [{"name": p, "unit": u} for p, u in parameters],
        "interval_s": interval_s,
        "grace_s": grace,
        "since": start,
        "sealed_until": start,
        "created_at": created,
        "backfill_until": held_until,
    }
    try:
        with conn.begin_nested():  # a registration racing this one may take the id first
            new_id = conn.execute(
                insert(_STATIONS).values(values).returning(_STATIONS.c.id)
            ).scalar_one()
    except IntegrityError:
        winner = _registered_as(conn, code)
        if winner is None:
            raise
        raise StationExists(code, winner) from None
    return StationRecord.from_row({"id": new_id, **values})


def get_station(conn: Connection, code: str) -> StationRecord:
    """The station with this id, in any case (`hn-01` finds `HN-01`); UnknownStation
    otherwise. The exact id first: a station from before ids were unique whatever their
    case (migration 0008) is found by its own."""
    row = (
        conn.execute(select(_STATIONS).where(_STATIONS.c.code == code)).mappings().first()
        or conn.execute(select(_STATIONS).where(_STATIONS.c.code_folded == code.lower()))
        .mappings()
        .first()
    )
    if row is None:
        raise UnknownStation(code)
    return StationRecord.from_row(row)


def _registered_as(conn: Connection, code: str) -> str | None:
    """The id of the station registered under `code` in any case, if one is."""
    c = _STATIONS.c
    found: str | None = conn.execute(
        select(c.code).where((c.code_folded == code.lower()) | (c.code == code)).limit(1)
    ).scalar()
    return found


def list_stations(conn: Connection, issuer_address: str | None = None) -> list[StationRecord]:
    """Every station (of one issuer, if given), in registration order."""
    query = select(_STATIONS).order_by(_STATIONS.c.id)
    if issuer_address is not None:
        query = query.where(_STATIONS.c.issuer_address == issuer_address)
    return [StationRecord.from_row(row) for row in conn.execute(query).mappings()]
