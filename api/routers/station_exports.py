"""Monitoring stations' public exports: a window's readings with their proofs; a reading's proof."""

from __future__ import annotations

import datetime as dt
import math
from typing import Annotated, Literal

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


def _bound(at: dt.datetime, field: str) -> int:
    """A time given in a query as whole Unix seconds (floored); it must carry an offset."""
    if at.tzinfo is None:
        raise Problem(422, "invalid-field", "give an offset, e.g. Z", field=field)
    return math.floor(at.timestamp())


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
    start: Annotated[
        dt.datetime, Query(alias="from", description="RFC 3339; widened to an interval")
    ],
    end: Annotated[
        dt.datetime,
        Query(alias="to", description="RFC 3339, exclusive; a window is cut at 9,000 intervals"),
    ],
    as_format: Annotated[Literal["csv", "json"], Query(alias="format")] = "csv",
) -> Response:
    """Every sealed interval of [from, to): readings, and the receipt of each interval's
    document. `notary verify-stream FILE` checks it against the chain, without us; so does
    the page /verify/stream, on the reader's device (the file is never uploaded)."""
    t0, t1 = _bound(start, "from"), _bound(end, "to")
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
    time: Annotated[dt.datetime, Query(description="the reading's time, RFC 3339")],
) -> JSONResponse:
    """notary-reading-proof-v1: the reading's line and leaf, its proof to the interval root,
    and the interval document's receipt (interval root → batch root → chain)."""
    at = _bound(time, "time")
    if at != time.timestamp():  # readings are timestamped to the second
        raise Problem(404, "not-found", f"station {station_id} has no reading at {time}")
    try:
        found = reading_proof(service.store, station_id, parameter, at, service.receipt_context())
    except (UnknownStation, ReadingNotFound) as exc:
        raise Problem(404, "not-found", str(exc)) from None
    except ReadingNotSealed as exc:
        raise Problem(409, "conflict", str(exc)) from None
    return JSONResponse(found)
