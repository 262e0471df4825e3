"""Monitoring stations' public exports: a window's readings with their proofs; a reading's proof."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from starlette.responses import JSONResponse, Response

from api.deps import PublicLimit, ServiceDep
from api.problems import Problem
from api.routers.stations import StationPath
from api.schemas.common import problems
from api.uploads import JSON_TYPE
from notary.core.streams import format_time
from notary.streams.export import (
    ReadingNotFound,
    ReadingNotSealed,
    export_window,
    reading_proof,
    to_csv,
    to_json,
)
from notary.streams.stations import UnknownStation

router = APIRouter(tags=["stations"])


EARLIEST_S = -62_135_596_800
"""0001-01-01T00:00:00Z: the earliest time a query may name (RFC 3339 writes no earlier)."""
LATEST_S = 253_402_300_799
"""9999-12-31T23:59:59Z: the latest."""
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_SECOND = dt.timedelta(seconds=1)
_UNIX_SECONDS = re.compile(r"[+-]?[0-9]{1,20}")
_FORM = "expected RFC 3339 with an offset (2026-03-01T02:10:00Z) or Unix seconds"
_RANGE = "expected a time from 0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z"


def _seconds(text: str, field: str) -> tuple[int, bool]:
    """A query's time as whole Unix seconds (floored), and whether it was a whole second.

    RFC 3339 with an offset, or an integer of Unix seconds (as the export format reads
    them; never milliseconds), in years 1-9999 in UTC once the offset is applied.
    """
    if _UNIX_SECONDS.fullmatch(text):
        seconds, whole = int(text), True
    else:
        try:
            at = dt.datetime.fromisoformat(text)
        except ValueError:
            raise Problem(422, "invalid-field", _FORM, field=field) from None
        if at.tzinfo is None:
            raise Problem(422, "invalid-field", "give an offset, e.g. Z", field=field)
        since_epoch = at - _EPOCH  # exact, and never out of range for aware times
        seconds, part = divmod(since_epoch, _SECOND)
        whole = not part
    if not EARLIEST_S <= seconds <= LATEST_S:
        raise Problem(422, "invalid-field", _RANGE, field=field)
    return seconds, whole


def _time_query(alias: str, description: str) -> Any:
    return Query(
        alias=alias,
        min_length=1,
        max_length=64,
        description=description,
        json_schema_extra={"format": "date-time"},
    )


@router.get(
    "/stations/{station_id}/readings",
    summary="Export a window with its proofs (public): CSV or JSON",
    dependencies=[PublicLimit],
    responses={
        200: {
            "description": "notary-stream-export-v1: readings and each interval's receipt",
            "content": {"text/csv": {}, JSON_TYPE: {}},
        },
        **problems(404, 422, 429, 503),
    },
)
def export(
    station_id: StationPath,
    service: ServiceDep,
    start: Annotated[str, _time_query("from", "RFC 3339 or Unix seconds; widened to an interval")],
    end: Annotated[
        str,
        _time_query(
            "to", "RFC 3339 or Unix seconds, exclusive; a window is cut at 9,000 intervals"
        ),
    ],
    as_format: Annotated[Literal["csv", "json"], Query(alias="format")] = "csv",
) -> Response:
    """Every sealed interval of [from, to): readings, and the receipt of each interval's
    document. `notary verify-stream FILE` checks it against the chain, without us; so does
    the page /verify/stream, on the reader's device (the file is never uploaded)."""
    (t0, _), (t1, _) = _seconds(start, "from"), _seconds(end, "to")
    if t1 <= t0:
        raise Problem(422, "invalid-field", "must be after from", field="to")
    try:
        window = export_window(service.store, station_id, t0, t1, service.receipt_context())
    except UnknownStation as exc:
        raise Problem(404, "not-found", str(exc), field="id") from None
    name = f"{station_id}_{format_time(window.start)}_{format_time(window.end)}".replace(":", "")
    if as_format == "json":
        content, media = to_json(window), JSON_TYPE
    else:
        content, media = to_csv(window), "text/csv; charset=utf-8"
    disposition = f'attachment; filename="{name}.{as_format}"'
    return Response(content, media_type=media, headers={"Content-Disposition": disposition})


@router.get(
    "/stations/{station_id}/readings/proof",
    summary="One reading's proof up to the anchored root (public)",
    dependencies=[PublicLimit],
    responses=problems(404, 409, 422, 429, 503),
)
def proof(
    station_id: StationPath,
    service: ServiceDep,
    parameter: Annotated[str, Query(min_length=1, max_length=32)],
    time: Annotated[str, _time_query("time", "the reading's time, RFC 3339 or Unix seconds")],
) -> JSONResponse:
    """notary-reading-proof-v1: the reading's line and leaf, its proof to the interval root,
    and the interval document's receipt (interval root → batch root → chain)."""
    at, whole = _seconds(time, "time")
    if not whole:  # readings are timestamped to the second
        raise Problem(404, "not-found", f"station {station_id} has no reading at {time}")
    try:
        found = reading_proof(service.store, station_id, parameter, at, service.receipt_context())
    except (UnknownStation, ReadingNotFound) as exc:
        raise Problem(404, "not-found", str(exc)) from None
    except ReadingNotSealed as exc:
        raise Problem(409, "conflict", str(exc)) from None
    return JSONResponse(found)
