"""Monitoring stations: registration (issuer), public lists, reading intake."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from starlette.responses import JSONResponse

from api.bodies import json_model
from api.deps import IssuerDep, PublicLimit, ServiceDep
from api.openapi import body
from api.problems import Problem
from api.schemas.common import problems
from api.schemas.stations import (
    IngestOut,
    StationCreate,
    StationList,
    StationOut,
)
from api.state import ServiceState
from api.uploads import JSON_TYPE, media_type, read_body, unsupported
from api.views import dump
from notary.streams.awaiting import awaiting_counts
from notary.streams.bodies import readings_body
from notary.streams.ingest import MAX_READINGS_PER_REQUEST, IngestResult, ingest, readings_from
from notary.streams.stations import (
    StationExists,
    StationRecord,
    UnknownStation,
    create_station,
    get_station,
    list_stations,
)
from notary.util.memory import gc_paused

router = APIRouter(tags=["stations"])
NDJSON_TYPE = "application/x-ndjson"
MAX_READINGS_BODY = 32 << 20
"""Largest intake body: 100,000 readings of ~100 bytes with room to spare."""
StationPath = Annotated[
    str, Path(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$", description="the station's id")
]
READINGS_BODY = {
    "type": "array",
    "maxItems": MAX_READINGS_PER_REQUEST,
    "items": {
        "type": "object",
        "required": ["time", "parameter", "value"],
        "properties": {
            "time": {"type": "string", "format": "date-time", "example": "2026-03-01T02:10:00Z"},
            "parameter": {"type": "string", "example": "PM2.5"},
            "value": {"type": ["number", "string"], "example": 35.2},
            "unit": {"type": "string", "example": "µg/m³"},
            "quality": {
                "type": "string",
                "enum": ["valid", "suspect", "invalid", "calibration", "maintenance"],
            },
        },
    },
}


def station_out(station: StationRecord, awaiting: int = 0) -> StationOut:
    """A stored station as the API shows it (`awaiting`: its intervals awaiting a signature)."""
    return StationOut.model_validate(
        {
            "id": station.code,
            "name": station.name,
            "kind": station.kind,
            "issuer": station.issuer_address,
            "location": station.location,
            "parameters": [{"name": p, "unit": u} for p, u in station.parameters.items()],
            "intervalSeconds": station.interval_s,
            "graceSeconds": station.grace_s,
            "since": _utc(station.since),
            "sealedUntil": _utc(station.sealed_until),
            "backfillUntil": _utc(station.backfill_until),
            "createdAt": station.created_at,
            "awaitingSignature": awaiting,
        }
    )


def _utc(seconds: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(seconds, dt.UTC)


def station_or_404(service: ServiceDep, code: str) -> StationRecord:
    """The station with this id (any case); 404 naming `id` otherwise."""
    try:
        with service.store.read() as conn:
            return get_station(conn, code)
    except UnknownStation as exc:
        raise Problem(404, "not-found", str(exc), field="id") from None


@router.post(
    "/stations",
    status_code=201,
    response_model=StationOut,
    summary="Register a monitoring station (issuer)",
    responses=problems(400, 401, 403, 409, 413, 415, 422, 429, 503),
    openapi_extra=body(StationCreate),
)
def create(
    request: Annotated[StationCreate, Depends(json_model(StationCreate))],
    service: ServiceDep,
    issuer: IssuerDep,
) -> StationOut:
    """A station of the calling issuer; its readings are sealed every interval."""
    assert issuer.issuer_address is not None
    try:
        with service.store.write() as conn:
            station = create_station(
                conn,
                issuer.issuer_address,
                request.id,
                request.name,
                request.kind,
                request.location.model_dump(exclude_none=True),
                [(p.name, p.unit) for p in request.parameters],
                request.intervalSeconds or service.settings.stream_interval,
                request.graceSeconds,
                since=_since(request.since),
                min_interval_s=service.settings.stream_min_interval,
                backfill_s=_or(request.backfillSeconds, service.settings.stream_backfill_window),
            )
    except StationExists as exc:
        raise Problem(409, "conflict", str(exc), field="id") from None
    return station_out(station)


def _or(given: int | None, default: int) -> int:
    """`given` when given (0 included), else the service's default."""
    return default if given is None else given


def _since(at: dt.datetime | None) -> int | None:
    """The first interval's start as given, in Unix seconds (its bounds are the store's)."""
    if at is None:
        return None
    if at.tzinfo is None:
        raise Problem(422, "invalid-field", "give an offset, e.g. Z", field="since")
    if at.microsecond:
        raise Problem(422, "invalid-field", "a whole second", field="since")
    return int(at.timestamp())


@router.get(
    "/stations",
    response_model=StationList,
    summary="Every monitoring station (public)",
    dependencies=[PublicLimit],
    responses=problems(429, 503),
)
def list_all(service: ServiceDep) -> StationList:
    """Every station, its parameters, units and how far it is sealed."""
    with service.store.read() as conn:
        stations = list_stations(conn)
        awaiting = awaiting_counts(conn)
    return StationList(stations=[station_out(s, awaiting.get(s.id, (0, 0))[0]) for s in stations])


@router.get(
    "/stations/{station_id}",
    response_model=StationOut,
    summary="One monitoring station (public)",
    dependencies=[PublicLimit],
    responses=problems(404, 422, 429, 503),
)
def get_one(station_id: StationPath, service: ServiceDep) -> StationOut:
    """One station by id."""
    station = station_or_404(service, station_id)
    with service.store.read() as conn:
        awaiting = awaiting_counts(conn, [station.id]).get(station.id, (0, 0))[0]
    return station_out(station, awaiting)


@router.post(
    "/stations/{station_id}/readings",
    response_model=IngestOut,
    summary="Send readings (issuer): a JSON array or JSON lines",
    responses=problems(400, 401, 403, 404, 413, 415, 422, 429, 503),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                JSON_TYPE: {"schema": READINGS_BODY},
                NDJSON_TYPE: {
                    "schema": {
                        "type": "string",
                        "description": "one reading a line, each line exactly one JSON object "
                        f"(at most {MAX_READINGS_PER_REQUEST:,} lines)",
                    }
                },
            },
        }
    },
)
async def send_readings(
    station_id: StationPath, request: Request, service: ServiceDep, issuer: IssuerDep
) -> JSONResponse:
    """Store many readings at once; a reading sent again (same parameter and time) is kept once.

    A reading for an interval already sealed is stored and sealed with the next interval,
    marked late there (`late` counts them); it never changes a sealed interval.
    """
    kind = media_type(request)
    if kind not in (JSON_TYPE, NDJSON_TYPE):
        raise unsupported(f"{JSON_TYPE} or {NDJSON_TYPE}")
    station = await service.blocking(station_or_404, service, station_id)
    if station.issuer_address != issuer.issuer_address:
        raise Problem(403, "forbidden", f"station {station_id} belongs to another issuer")
    raw = await read_body(request, MAX_READINGS_BODY)
    # Parsing, validating and storing run on a worker thread: a full body is CPU work long
    # enough to stall every other request if it ran on the event loop.
    result = await service.blocking(_take, service, station, raw, kind == NDJSON_TYPE)
    return JSONResponse(_ingest_out(result))


def _take(service: ServiceState, station: StationRecord, raw: bytes, lines: bool) -> IngestResult:
    """Parse and validate a readings body, then store it (on a worker thread)."""
    with gc_paused():  # the parsed readings live until stored: nothing to collect
        readings = readings_from(readings_body(raw, lines), station.parameters)
        return service.write(ingest, service.store, station, readings)


def _ingest_out(result: IngestResult) -> dict[str, Any]:
    return dump(
        IngestOut.model_validate(
            {
                "received": result.received,
                "created": result.created,
                "existing": result.existing,
                "late": result.late,
                "conflicts": [
                    {"index": c.position, "parameter": c.parameter, "time": _utc(c.time)}
                    for c in result.conflicts
                ],
            }
        )
    )
